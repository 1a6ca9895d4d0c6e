//! async_executors 0.7's traits on `anyrt::Handle`: a library written only against
//! `SpawnHandle`, `LocalSpawnHandle`, `SpawnBlocking`, `Timer` and `YieldNow`, driven through
//! anyrt on every backend. The handles follow async_executors' contract (drop cancels,
//! `detach()` keeps running, a panic is re-raised at the await), not anyrt's.

#![cfg(all(feature = "async-executors", feature = "_backend"))]

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use anyrt::{Backend, Handle, Runtime};
use anyrt_tests::*;
use async_executors::{
    LocalSpawnHandleExt, SpawnBlocking, SpawnHandle, SpawnHandleExt, Timer, TimerExt, YieldNow,
};
use futures::FutureExt;

/// A library that knows nothing of anyrt: only async_executors' traits.
mod ae_lib {
    use std::time::Duration;

    use async_executors::{
        LocalSpawnHandle, LocalSpawnHandleExt, SpawnBlocking, SpawnHandle, SpawnHandleExt, Timer,
        TimerExt, YieldNow,
    };
    use futures::task::SpawnError;

    /// Scales every input: each in its own task that waits on the timer, yields, and does
    /// the arithmetic on the blocking pool; then sums. A stuck step fails after `limit`.
    pub(crate) async fn scaled_sum<E>(
        exec: &E,
        inputs: &[u64],
        limit: Duration,
    ) -> Result<u64, String>
    where
        E: SpawnHandle<u64> + SpawnBlocking<u64> + Timer + YieldNow + Clone + Send + Sync + 'static,
    {
        let mut handles = Vec::new();
        for &x in inputs {
            let exec2 = exec.clone();
            let h = exec
                .spawn_handle(async move {
                    exec2.sleep(Duration::from_millis(1)).await;
                    exec2.yield_now().await;
                    exec2.spawn_blocking(move || x * 10).await
                })
                .map_err(|e| e.to_string())?;
            handles.push(h);
        }
        let mut sum = 0;
        for h in handles {
            sum += exec.timeout(limit, h).await.map_err(|e| e.to_string())?;
        }
        Ok(sum)
    }

    /// Counts on a `!Send` counter in a local task.
    pub(crate) async fn local_count<E: LocalSpawnHandle<u32>>(
        exec: &E,
        counter: std::rc::Rc<std::cell::Cell<u32>>,
    ) -> Result<u32, SpawnError> {
        let h = exec.spawn_handle_local(async move {
            counter.set(counter.get() + 1);
            counter.get()
        })?;
        Ok(h.await)
    }
}

#[test]
fn handle_implements_the_async_executors_traits() {
    fn all<E>()
    where
        E: SpawnHandle<u8>
            + SpawnHandle<String>
            + async_executors::LocalSpawnHandle<Rc<u8>>
            + SpawnBlocking<u8>
            + Timer
            + YieldNow,
    {
    }
    all::<Handle>();
    all::<Arc<Handle>>();
    // Object-safe: a library may store the handle type-erased.
    let _: Option<Arc<dyn SpawnHandle<u8> + Send + Sync>> = None::<Arc<Handle>>.map(|h| h as _);
}

#[anyrt::test]
async fn an_async_executors_library_runs_on_anyrt() {
    let handle = Handle::current();
    let got = ae_lib::scaled_sum(&handle, &[1, 2, 3, 4], WAIT).await;
    assert_eq!(got, Ok(100));
    // The library's tasks and blocking closures ran on this runtime.
    let here = Backend::current();
    let spawned = handle.spawn_handle(async { Backend::current() }).unwrap();
    assert_eq!(within("spawned", spawned).await, here);
    let blocking = SpawnBlocking::spawn_blocking(&handle, Backend::current);
    assert_eq!(within("blocking", blocking).await, here);
}

#[anyrt::test]
async fn type_erased_spawn_handle() {
    let exec: Arc<dyn SpawnHandle<u32> + Send + Sync> = Arc::new(Handle::current());
    let h = exec.spawn_handle(async { 7 }).unwrap();
    assert_eq!(within("join", h).await, 7);
}

#[anyrt::test]
async fn dropping_the_join_handle_cancels_detach_keeps_running() {
    let handle = Handle::current();
    let flag = DropFlag::new();
    let h = handle.spawn_handle(pending_with(flag.guard())).unwrap();
    // Let it start, then drop the handle: async_executors' contract is cancellation.
    anyrt::time::sleep(Duration::from_millis(5)).await;
    assert!(!flag.is_dropped());
    drop(h);
    flag.wait_async("the task dropped with its handle").await;

    let (tx, rx) = futures::channel::oneshot::channel();
    let h = handle
        .spawn_handle(async move {
            anyrt::time::sleep(Duration::from_millis(5)).await;
            let _ = tx.send(42);
        })
        .unwrap();
    h.detach();
    assert_eq!(within("detached task", rx).await, Ok(42));
}

#[anyrt::test]
async fn a_panic_is_reraised_at_the_await_and_the_runtime_keeps_running() {
    let handle = Handle::current();
    let h = handle
        .spawn_handle(async {
            if true {
                panic!("ae task panic");
            }
            1u8
        })
        .unwrap();
    let payload = within("join", AssertUnwindSafe(h).catch_unwind())
        .await
        .unwrap_err();
    assert_eq!(panic_message(&*payload), "ae task panic");

    let h = SpawnBlocking::<u8>::spawn_blocking(&handle, || panic!("ae blocking panic"));
    let payload = within("blocking", AssertUnwindSafe(h).catch_unwind())
        .await
        .unwrap_err();
    assert_eq!(panic_message(&*payload), "ae blocking panic");

    let h = handle.spawn_handle(async { 5u8 }).unwrap();
    assert_eq!(within("after the panics", h).await, 5);
}

#[anyrt::test]
async fn spawn_blocking_dyn_runs_the_boxed_closure() {
    let handle = Handle::current();
    let h = handle.spawn_blocking_dyn(Box::new(|| "boxed".to_owned()));
    assert_eq!(within("blocking", h).await, "boxed");
}

#[anyrt::test]
async fn timer_and_timeout() {
    let handle = Handle::current();
    // The handle's clock (virtual under sim).
    let start = anyrt::time::Instant::now();
    within("sleep", Timer::sleep(&handle, Duration::from_millis(10))).await;
    assert!(start.elapsed() >= Duration::from_millis(10));
    // Zero is ready at the first poll (anyrt's rule, kept through the trait).
    let mut zero = Timer::sleep(&handle, Duration::ZERO);
    assert!(poll_once(zero.as_mut()).is_ready());
    let late = handle
        .timeout(Duration::from_millis(5), std::future::pending::<()>())
        .await;
    assert_eq!(late, Err(async_executors::TimeoutError));
    let early = handle.timeout(WAIT, async { 3 }).await;
    assert_eq!(early, Ok(3));
}

#[anyrt::test]
async fn yield_now_lets_another_task_run() {
    let handle = Handle::current();
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let h = handle
        .spawn_handle_local(async move { r.set(true) })
        .unwrap();
    // The local task runs on this thread, only when this one yields.
    for _ in 0..100 {
        if ran.get() {
            break;
        }
        handle.yield_now().await;
    }
    assert!(ran.get());
    within("local task", h).await;
}

#[anyrt::test]
async fn local_spawn_handle_in_and_out_of_a_local_context() {
    let handle = Handle::current();
    let counter = Rc::new(Cell::new(1));
    let got = within("local", ae_lib::local_count(&handle, counter.clone())).await;
    assert_eq!(got.unwrap(), 2);
    // Inside an `anyrt::spawn` task there is no local executor: an error, not a panic.
    let err = within(
        "task",
        anyrt::spawn(async move {
            async_executors::LocalSpawnHandleExt::<u32>::spawn_handle_local(&handle, async { 0 })
                .map(drop)
                .unwrap_err()
        }),
    )
    .await
    .unwrap();
    assert!(err.is_shutdown());
}

per_backend! {
    fn a_plain_thread_drives_the_library_on_a_runtime(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let handle = rt.handle();
        let got = wait_plain("scaled_sum", async move {
            ae_lib::scaled_sum(&handle, &[5, 6], WAIT).await
        });
        assert_eq!(got, Ok(110));
    }
}

per_backend! {
    fn spawn_handle_after_shutdown_is_a_shutdown_error(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let handle = rt.handle();
        drop(rt);
        let mut refused = false;
        for _ in 0..100 {
            match handle.spawn_handle(async { 1u8 }) {
                Err(e) => {
                    assert!(e.is_shutdown());
                    refused = true;
                    break;
                }
                // Shutdown may still be in progress on another thread.
                Ok(h) => {
                    h.detach();
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
        assert!(refused, "a spawn after the runtime was dropped was accepted");
    }
}
