//! `anyrt::compat::AsyncExecutorsAdapter`: an executor from outside this repository
//! (async_executors' `ThreadPool`, futures' thread pool with futures-timer's timer) plugged in
//! through `anyrt::Executor`, held to the parts of the conformance suite that such an
//! executor supports. Every test awaits the adapter's handles from inside each anyrt backend
//! (`#[anyrt::test]`), so the handles are checked as foreign futures too.
//!
//! Covered here: spawn and join (on the pool's threads), a dropped handle detaches, `abort`
//! before completion cancels and drops the future, `abort` after completion keeps the output,
//! `is_finished`, a panic becomes `JoinError::is_panic` with its payload and the pool keeps
//! running, `spawn_blocking` (output, panic, `abort` does not stop it), `sleep` through the
//! adapter's timer (at least `d`, zero ready at the first poll, `Duration::MAX` pends),
//! `sleep_until`, `timeout`, a spawn the executor refuses or a task it drops unfinished gives
//! a cancelled `JoinError`, the type-erased `Arc<dyn DynExecutor>` form, a library generic
//! over `Executor`, and `JoinSet` over the adapter's handles.
//!
//! Skipped, by the conformance rule's name, and why:
//!
//! * **selection rule 1 / `Backend::current()` inside tasks**: the pool's threads are not
//!   anyrt's and carry no context anyrt can read; inside them `Backend::current()` is `None`
//!   and `anyrt::spawn` goes to the selected backend (pinned below as "not carried over").
//! * **`spawn_local` inside tasks**: the pool gives its tasks no local executor.
//! * **`block_on` inside tasks gives `BlockOnError`**: anyrt cannot see that a pool thread is
//!   an executor thread, so it cannot refuse.
//! * **runtime shutdown cancels pending tasks**: a `ThreadPool` has no shutdown; dropping its
//!   last clone stops the workers but leaves tasks parked on wakers alive. The adapter only
//!   guarantees that a task the executor drops unfinished reports cancellation (tested with
//!   an executor that drops its tasks).
//! * **`sleep(d)` ends within `d` + 1 ms plus scheduling**: the precision is futures-timer's,
//!   not anyrt's; only the lower bound is checked.
//! * **tokio's co-op budget, `Runtime::builder` worker count and thread names**: the executor
//!   is configured by its own builder; the budget is tokio's.
//! * **a blocking pool**: async_executors' `ThreadPool` has none, so the adapter runs each
//!   closure on a new thread; no pool-size rule is checked.

#![cfg(all(feature = "async-executors", feature = "_backend"))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyrt::compat::AsyncExecutorsAdapter;
use anyrt::task::{JoinHandle, JoinSet};
use anyrt::{Backend, DynExecutor, Executor};
use anyrt_tests::*;
use async_executors::ThreadPool;
use futures::task::{FutureObj, SpawnError};

type Adapter = AsyncExecutorsAdapter<ThreadPool>;

const POOL_PREFIX: &str = "ae-pool-";

fn pool() -> Adapter {
    let pool = ThreadPool::builder()
        .pool_size(2)
        .name_prefix(POOL_PREFIX)
        .create()
        .expect("start a futures ThreadPool");
    AsyncExecutorsAdapter::new(pool)
}

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("").to_owned()
}

#[test]
fn the_adapter_is_an_executor() {
    fn executor<E: Executor + Clone>() {}
    executor::<Adapter>();
    let _: Arc<dyn DynExecutor> = Arc::new(pool());
}

#[anyrt::test]
async fn spawn_and_join_on_the_pools_threads() {
    let exec = pool();
    let h = exec.spawn(async { (6 * 7, thread_name()) });
    let (v, name) = within("join", h).await.unwrap();
    assert_eq!(v, 42);
    assert!(name.starts_with(POOL_PREFIX), "ran on {name:?}");
}

#[anyrt::test]
async fn a_dropped_handle_detaches() {
    let exec = pool();
    let (tx, rx) = futures::channel::oneshot::channel();
    let e2 = exec.clone();
    drop(exec.spawn(async move {
        e2.sleep(Duration::from_millis(10)).await;
        let _ = tx.send("still ran");
    }));
    assert_eq!(within("detached task", rx).await, Ok("still ran"));
}

#[anyrt::test]
async fn abort_before_completion_cancels_and_drops_the_future() {
    let exec = pool();
    let flag = DropFlag::new();
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let guard = flag.guard();
    let mut h = exec.spawn(async move {
        s.fetch_add(1, Ordering::SeqCst);
        pending_with(guard).await
    });
    eventually("the task started", || started.load(Ordering::SeqCst) == 1).await;
    assert!(!h.is_finished());
    h.abort();
    let err = within("join", &mut h).await.unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert!(flag.is_dropped(), "the future was not dropped");
    assert!(h.is_finished());

    // Aborted at once, most likely before the pool polled it.
    let flag = DropFlag::new();
    let mut h = exec.spawn(pending_with(flag.guard()));
    h.abort();
    assert!(within("join", h).await.unwrap_err().is_cancelled());
    flag.wait_async("the future dropped").await;
}

#[anyrt::test]
async fn abort_after_completion_keeps_the_output() {
    let exec = pool();
    let mut h = exec.spawn(async { 9 });
    eventually("the task finished", || h.is_finished()).await;
    h.abort();
    assert_eq!(within("join", h).await.unwrap(), 9);
}

#[anyrt::test]
async fn a_panic_is_a_join_error_and_the_pool_keeps_running() {
    let exec = pool();
    let h = exec.spawn(async {
        if true {
            panic!("adapter panic");
        }
    });
    let err = within("join", h).await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(panic_message(&*err.into_panic()), "adapter panic");
    // Both workers still serve tasks.
    let hs: Vec<_> = (0..8).map(|i| exec.spawn(async move { i })).collect();
    let mut sum = 0;
    for h in hs {
        sum += within("after the panic", h).await.unwrap();
    }
    assert_eq!(sum, 28);
}

#[anyrt::test]
async fn spawn_blocking_output_panic_and_abort() {
    let exec = pool();
    let h = exec.spawn_blocking(|| (1..=10).sum::<u32>());
    assert_eq!(within("blocking", h).await.unwrap(), 55);

    let h = exec.spawn_blocking(|| -> u8 { panic!("blocking panic") });
    let err = within("blocking", h).await.unwrap_err();
    assert_eq!(panic_message(&*err.into_panic()), "blocking panic");

    // A started closure cannot be stopped: abort leaves it alone.
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let mut h = exec.spawn_blocking(move || {
        let _ = rx.recv_timeout(WAIT);
        "finished"
    });
    h.abort();
    drop(tx);
    assert_eq!(within("blocking", h).await.unwrap(), "finished");
}

#[anyrt::test]
async fn sleep_through_the_adapters_timer() {
    let exec = pool();
    let start = std::time::Instant::now();
    within("sleep", exec.sleep(Duration::from_millis(10))).await;
    assert!(start.elapsed() >= Duration::from_millis(10));

    let mut zero = exec.sleep(Duration::ZERO);
    assert!(poll_once(zero.as_mut()).is_ready());
    let mut past = exec.sleep_until(exec.now() - Duration::from_millis(1));
    assert!(poll_once(past.as_mut()).is_ready());
    let mut forever = exec.sleep(Duration::MAX);
    assert!(poll_once(forever.as_mut()).is_pending());

    let deadline = exec.now() + Duration::from_millis(5);
    within("sleep_until", exec.sleep_until(deadline)).await;
    assert!(exec.now() >= deadline);

    let late = exec
        .timeout(Duration::from_millis(5), std::future::pending::<()>())
        .await;
    assert!(late.is_err());
    assert_eq!(exec.timeout(WAIT, async { 1 }).await.unwrap(), 1);
}

/// An executor that refuses every spawn.
#[derive(Debug, Clone)]
struct Refuses;

impl async_executors::SpawnHandle<()> for Refuses {
    fn spawn_handle_obj(
        &self,
        _: FutureObj<'static, ()>,
    ) -> Result<async_executors::JoinHandle<()>, SpawnError> {
        Err(SpawnError::shutdown())
    }
}

/// An executor that accepts a task and drops it unpolled (as one that shuts down would).
#[derive(Debug, Clone)]
struct DropsTasks;

impl async_executors::SpawnHandle<()> for DropsTasks {
    fn spawn_handle_obj(
        &self,
        fut: FutureObj<'static, ()>,
    ) -> Result<async_executors::JoinHandle<()>, SpawnError> {
        use futures::FutureExt;
        let (remote, handle) = fut.remote_handle();
        drop(remote);
        Ok(async_executors::JoinHandle::remote_handle(handle))
    }
}

macro_rules! no_timer {
    ($t:ty) => {
        impl async_executors::Timer for $t {
            fn sleep(&self, _: Duration) -> futures::future::BoxFuture<'static, ()> {
                Box::pin(std::future::pending())
            }
        }
    };
}
no_timer!(Refuses);
no_timer!(DropsTasks);

#[anyrt::test]
async fn a_refused_or_dropped_task_is_cancelled() {
    let h = AsyncExecutorsAdapter::new(Refuses).spawn(async { 1 });
    assert!(h.is_finished());
    assert!(within("join", h).await.unwrap_err().is_cancelled());

    let flag = DropFlag::new();
    let h = AsyncExecutorsAdapter::new(DropsTasks).spawn(pending_with(flag.guard()));
    assert!(within("join", h).await.unwrap_err().is_cancelled());
    assert!(flag.is_dropped());
}

#[anyrt::test]
async fn not_carried_over_anyrt_cannot_see_the_pool() {
    let exec = pool();
    let h = exec.spawn(async {
        (
            Backend::current(),
            anyrt::try_spawn_local(async {}).is_err(),
        )
    });
    assert_eq!(within("join", h).await.unwrap(), (None, true));
}

/// What a library does with an injected executor (as in the executor conformance tests).
async fn library_work<E: Executor + Clone>(exec: E) -> (u32, u64) {
    let e2 = exec.clone();
    let spawned = exec.spawn(async move {
        e2.sleep(Duration::from_millis(1)).await;
        7
    });
    let blocking = exec.spawn_blocking(|| (1..=10u64).product());
    (
        within("spawned", spawned).await.unwrap(),
        within("blocking", blocking).await.unwrap(),
    )
}

#[anyrt::test]
async fn a_library_generic_over_executor_runs_on_the_adapter() {
    assert_eq!(library_work(pool()).await, (7, 3_628_800));
    let exec: Arc<dyn DynExecutor> = Arc::new(pool());
    assert_eq!(library_work(exec.clone()).await, (7, 3_628_800));
    let h: JoinHandle<()> = exec.spawn(async { panic!("dyn adapter panic") });
    let err = within("dyn join", h).await.unwrap_err();
    assert!(err.is_panic());
}

#[anyrt::test]
async fn join_set_over_the_adapters_handles() {
    let exec = pool();
    let mut set = JoinSet::new();
    for i in 0..5u32 {
        let e = exec.clone();
        let h: JoinHandle<u32> = exec.spawn(async move {
            e.sleep(Duration::from_millis(u64::from(5 - i))).await;
            i
        });
        set.insert(h);
    }
    let mut sum = 0;
    while let Some(r) = within("join_next", set.join_next()).await {
        sum += r.unwrap();
    }
    assert_eq!(sum, 10);
}
