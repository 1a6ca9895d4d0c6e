//! Runtimes: shutdown (never blocks, cancels pending tasks), handles, block_on, spawn_local,
//! worker threads.

use anyrt_core::{Provider, RuntimeConfig};
use std::collections::HashSet;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::local::try_spawn_local;
use anyrt_core::task::JoinHandle;
use anyrt_core::Backend;
use anyrt_smol::{Handle, Runtime, Smol};

const LIMIT: Duration = Duration::from_secs(10);

/// Awaits `f` on this thread (not an anyrt thread), failing instead of hanging.
fn within<F: Future>(f: F) -> F::Output {
    anyrt_test_support::block_on_within::<Smol, F>(f)
}

fn assert_cancelled<T: std::fmt::Debug>(handle: JoinHandle<T>) {
    let err = within(handle).expect_err("the task should have been cancelled");
    assert!(err.is_cancelled(), "{err:?}");
}

use anyrt_test_support::DropFlag;

fn drop_flag() -> (DropFlag, Arc<AtomicBool>) {
    DropFlag::new()
}

/// A task that never completes on its own, and a flag set when its future is dropped.
fn pending_task(rt: &Runtime) -> (JoinHandle<()>, Arc<AtomicBool>) {
    let (guard, flag) = drop_flag();
    let handle = rt.spawn(async move {
        let _guard = guard;
        Smol::sleep(Duration::from_secs(3600)).await;
    });
    (handle, flag)
}

#[test]
fn drop_cancels_pending_tasks() {
    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    let (started, flag) = pending_task(&rt);
    // Let it start (register its timer) before the drop.
    within(rt.spawn(Smol::sleep(Duration::from_millis(20)))).unwrap();
    let (unpolled, flag2) = pending_task(&rt);
    drop(rt);
    assert_cancelled(started);
    assert_cancelled(unpolled);
    assert!(flag.load(Ordering::SeqCst));
    assert!(flag2.load(Ordering::SeqCst));
}

#[test]
fn drop_never_blocks_on_a_busy_worker() {
    let rt = Smol::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (busy_tx, busy_rx) = mpsc::channel();
    let busy = rt.spawn(async move {
        busy_tx.send(()).unwrap();
        // Blocks the only worker until released.
        release_rx.recv_timeout(LIMIT).unwrap();
        1
    });
    busy_rx.recv_timeout(LIMIT).unwrap();
    let (queued, flag) = pending_task(&rt);
    let ran = Arc::new(AtomicBool::new(false));
    let never_polled: Vec<_> = (0..4)
        .map(|_| {
            let ran = ran.clone();
            rt.spawn(async move { ran.store(true, Ordering::SeqCst) })
        })
        .collect();
    let start = Instant::now();
    drop(rt);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "drop blocked for {:?}",
        start.elapsed()
    );
    release_tx.send(()).unwrap();
    // The busy task finishes its poll and completes; the queued ones are dropped once the
    // worker has stopped, without running.
    assert_eq!(within(busy).unwrap(), 1);
    assert_cancelled(queued);
    assert!(flag.load(Ordering::SeqCst));
    for h in never_polled {
        assert_cancelled(h);
    }
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        !ran.load(Ordering::SeqCst),
        "a queued task ran after shutdown"
    );
}

#[test]
fn drop_inside_one_of_its_own_tasks() {
    let rt = Smol::build(&RuntimeConfig::new().worker_threads(2)).unwrap();
    let (pending, flag) = pending_task(&rt);
    let (tx, rx) = mpsc::channel::<Runtime>();
    let killer = rt.spawn(async move {
        let rt = rx.recv_timeout(LIMIT).unwrap();
        let start = Instant::now();
        drop(rt);
        start.elapsed()
    });
    tx.send(rt).unwrap();
    let took = within(killer).unwrap();
    assert!(took < Duration::from_secs(1), "drop blocked for {took:?}");
    assert_cancelled(pending);
    assert!(flag.load(Ordering::SeqCst));
}

#[test]
fn drop_inside_block_on_and_inside_another_runtime() {
    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    let (pending, _) = pending_task(&rt);
    Smol::block_on(async move {
        let start = Instant::now();
        drop(rt);
        assert!(start.elapsed() < Duration::from_secs(1));
    });
    assert_cancelled(pending);

    let outer = Smol::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    let (pending, _) = pending_task(&rt);
    let took = within(outer.spawn(async move {
        let start = Instant::now();
        drop(rt);
        start.elapsed()
    }))
    .unwrap();
    assert!(took < Duration::from_secs(1));
    assert_cancelled(pending);

    // Inside the other runtime's block_on too.
    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    let (pending, _) = pending_task(&rt);
    outer.block_on(async move { drop(rt) });
    assert_cancelled(pending);
}

#[test]
fn shutdown_timeout_waits_and_cancels() {
    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    let (pending, flag) = pending_task(&rt);
    let start = Instant::now();
    rt.shutdown_timeout(LIMIT);
    assert!(start.elapsed() < Duration::from_secs(2));
    // The workers have stopped and the executor is gone: cancelled already.
    assert!(pending.is_finished());
    assert!(flag.load(Ordering::SeqCst));
    assert_cancelled(pending);
}

#[test]
fn shutdown_timeout_gives_up_on_a_busy_worker() {
    let rt = Smol::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (busy_tx, busy_rx) = mpsc::channel();
    let busy = rt.spawn(async move {
        busy_tx.send(()).unwrap();
        release_rx.recv_timeout(LIMIT).unwrap();
    });
    busy_rx.recv_timeout(LIMIT).unwrap();
    let (queued, _) = pending_task(&rt);
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(100));
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(100), "{took:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    release_tx.send(()).unwrap();
    within(busy).unwrap();
    assert_cancelled(queued);
}

#[test]
fn shutdown_timeout_on_its_own_worker_does_not_wait_for_itself() {
    let rt = Smol::build(&RuntimeConfig::new().worker_threads(2)).unwrap();
    let (pending, _) = pending_task(&rt);
    let (tx, rx) = mpsc::channel::<Runtime>();
    let killer = rt.spawn(async move {
        let rt = rx.recv_timeout(LIMIT).unwrap();
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_secs(5));
        start.elapsed()
    });
    tx.send(rt).unwrap();
    let took = within(killer).unwrap();
    assert!(took < Duration::from_secs(2), "waited {took:?}");
    assert_cancelled(pending);
}

#[test]
fn handle_after_shutdown_gives_cancelled_handles() {
    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    let handle = rt.handle();
    assert!(format!("{handle:?}").contains("alive: true"));
    assert_eq!(within(handle.spawn(async { 1 })).unwrap(), 1);
    drop(rt);
    assert!(format!("{handle:?}").contains("alive: false"));
    let ran = Arc::new(AtomicBool::new(false));
    let ran2 = ran.clone();
    assert_cancelled(handle.spawn(async move { ran2.store(true, Ordering::SeqCst) }));
    let ran3 = ran.clone();
    assert_cancelled(handle.spawn_blocking(move || ran3.store(true, Ordering::SeqCst)));
    // block_on through the dead handle still runs the future; spawns inside are cancelled.
    let err = handle
        .block_on(async { Smol::spawn(async { 2 }).await })
        .unwrap_err();
    assert!(err.is_cancelled());
    assert!(!ran.load(Ordering::SeqCst));

    // The same after shutdown_timeout.
    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    let handle = rt.handle();
    rt.shutdown_timeout(LIMIT);
    assert_cancelled(handle.spawn(async {}));
}

#[test]
fn spawn_through_a_handle_racing_the_shutdown_never_hangs() {
    for round in 0..100 {
        let rt = Smol::build(&RuntimeConfig::new().worker_threads(2)).unwrap();
        let handle = rt.handle();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let spawner = std::thread::spawn(move || {
            go_rx.recv().unwrap();
            let mut handles = Vec::new();
            for i in 0..50 {
                handles.push(if i % 2 == 0 {
                    handle.spawn(async {
                        anyrt_core::task::yield_now().await;
                        Some(1)
                    })
                } else {
                    handle.spawn(async {
                        Smol::sleep(Duration::from_secs(3600)).await;
                        None
                    })
                });
            }
            handles
        });
        go_tx.send(()).unwrap();
        if round % 2 == 0 {
            std::thread::yield_now();
        }
        drop(rt);
        let handles = spawner.join().unwrap();
        for h in handles {
            // Either it ran before the shutdown, or it is cancelled: never pending forever.
            match within(h) {
                Ok(v) => assert_eq!(v, Some(1)),
                Err(e) => assert!(e.is_cancelled()),
            }
        }
    }
}

#[test]
fn block_on_contexts() {
    assert_eq!(context::current(), None);
    assert!(Handle::current().is_none());
    Smol::block_on(async {
        assert_eq!(
            context::current(),
            Some(ThreadContext::async_on(Backend::Smol))
        );
        assert!(anyrt_core::check_can_block().is_err());
        // Inside the plain block_on: the process-wide runtime.
        assert!(Handle::current().is_some());
    });
    assert_eq!(context::current(), None);

    let rt = Smol::build(
        &RuntimeConfig::new()
            .worker_threads(1)
            .thread_name("ctx-worker"),
    )
    .unwrap();
    rt.block_on(async {
        assert_eq!(
            context::current(),
            Some(ThreadContext::async_on(Backend::Smol))
        );
        assert!(Handle::current().is_some());
    });
    assert_eq!(context::current(), None);
    assert!(Handle::current().is_none());

    let (ctx, name) = within(rt.spawn(async {
        (
            context::current(),
            std::thread::current().name().map(str::to_owned),
        )
    }))
    .unwrap();
    assert_eq!(ctx, Some(ThreadContext::async_on(Backend::Smol)));
    assert_eq!(name.as_deref(), Some("ctx-worker"));

    // A panic in block_on restores the context.
    let r = std::panic::catch_unwind(|| rt.block_on(async { panic!("in block_on") }));
    assert!(r.is_err());
    assert_eq!(context::current(), None);
    assert!(Handle::current().is_none());
}

#[test]
fn runtime_block_on_spawns_onto_that_runtime() {
    let rt = Smol::build(
        &RuntimeConfig::new()
            .worker_threads(2)
            .thread_name("rbo-worker"),
    )
    .unwrap();
    let names = rt.block_on(async {
        let mut names = Vec::new();
        for _ in 0..20 {
            names.push(
                Smol::spawn(async { std::thread::current().name().map(str::to_owned) })
                    .await
                    .unwrap(),
            );
        }
        names
    });
    for name in names {
        // Always a worker: the thread in block_on does not run the runtime's tasks.
        assert_eq!(name.as_deref(), Some("rbo-worker"));
    }
    // Through a handle, from another thread.
    let handle = rt.handle();
    let name = std::thread::spawn(move || {
        handle.block_on(async {
            Smol::spawn(async { std::thread::current().name().map(str::to_owned) })
                .await
                .unwrap()
        })
    })
    .join()
    .unwrap();
    assert_eq!(name.as_deref(), Some("rbo-worker"));
}

fn local_scope_rules(block_on: impl FnOnce(std::pin::Pin<Box<dyn Future<Output = ()>>>)) {
    let leftover: Rc<Mutex<Option<JoinHandle<()>>>> = Rc::new(Mutex::new(None));
    let dropped = Arc::new(AtomicBool::new(false));
    let slot = leftover.clone();
    let flag = DropFlag(dropped.clone());
    block_on(Box::pin(async move {
        // !Send futures, nested local spawns.
        let rc = Rc::new(5);
        let rc2 = rc.clone();
        let h = try_spawn_local(async move {
            let inner = try_spawn_local(async move { *rc2 + 1 }).unwrap();
            inner.await.unwrap()
        })
        .unwrap();
        assert_eq!(h.await.unwrap(), 6);
        assert_eq!(*rc, 5);
        // A spawned (Send) task does not see the local scope, even if it runs on this thread.
        let outside = Smol::spawn(async { try_spawn_local(async {}).is_err() });
        assert!(outside.await.unwrap());
        // Left pending when block_on returns.
        *slot.lock().unwrap() = Some(
            try_spawn_local(async move {
                let _flag = flag;
                std::future::pending::<()>().await
            })
            .unwrap(),
        );
        anyrt_core::task::yield_now().await;
    }));
    let handle = leftover.lock().unwrap().take().unwrap();
    assert!(handle.is_finished());
    assert!(dropped.load(Ordering::SeqCst));
    assert_cancelled(handle);
}

#[test]
fn spawn_local_in_block_on() {
    local_scope_rules(Smol::block_on);
}

#[test]
fn spawn_local_in_runtime_block_on() {
    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    local_scope_rules(|f| rt.block_on(f));
    local_scope_rules(|f| rt.handle().block_on(f));
}

#[test]
fn spawn_local_outside_a_scope_is_an_error() {
    assert!(try_spawn_local(async {}).is_err());
    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    assert!(within(rt.spawn(async { try_spawn_local(async {}).is_err() })).unwrap());
}

#[test]
fn worker_threads_default_to_available_parallelism() {
    let n = std::thread::available_parallelism().unwrap().get();
    let rt = Smol::build(&RuntimeConfig::new().thread_name("deftest")).unwrap();

    // Each task blocks its worker for a while, so tasks run on as many threads at once as
    // there are workers, and never more.
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let max = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..4 * n)
        .map(|_| {
            let (seen, running, max) = (seen.clone(), running.clone(), max.clone());
            rt.spawn(async move {
                let me = std::thread::current();
                assert_eq!(me.name(), Some("deftest"));
                seen.lock().unwrap().insert(me.id());
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(30));
                running.fetch_sub(1, Ordering::SeqCst);
            })
        })
        .collect();
    for t in tasks {
        within(t).unwrap();
    }
    assert!(seen.lock().unwrap().len() <= n);
    assert!(max.load(Ordering::SeqCst) <= n);

    #[cfg(target_os = "linux")]
    {
        let threads = std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter(|e| {
                let comm = e.as_ref().unwrap().path().join("comm");
                std::fs::read_to_string(comm).is_ok_and(|c| c.trim() == "deftest")
            })
            .count();
        assert_eq!(threads, n);
    }
}

#[test]
fn one_worker_runs_one_task_at_a_time_even_in_block_on() {
    let rt = Smol::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
    let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let max = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    rt.block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (running, max) = (running.clone(), max.clone());
                Smol::spawn(async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in tasks {
            Smol::timeout(LIMIT, t).await.unwrap().unwrap();
        }
    });
    assert_eq!(max.load(Ordering::SeqCst), 1);
}

#[test]
fn zero_worker_threads_is_an_error() {
    let err = Smol::build(&RuntimeConfig::new().worker_threads(0)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(
        err.to_string()
            .contains("worker_threads must be at least 1"),
        "{err}"
    );
}

#[test]
fn set_global_executor_after_start_is_an_error() {
    let _ = Handle::global();
    let ex = Arc::new(async_executor::Executor::new());
    let err = anyrt_smol::set_global_executor(ex.clone()).unwrap_err();
    assert!(err.to_string().contains("set_global_executor"));
    assert!(Arc::ptr_eq(&err.into_inner(), &ex));
}

#[test]
fn debug_impls() {
    let rt = Smol::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
    assert!(format!("{rt:?}").contains("worker_threads: 1"));
}

/// The executor shared with anyrt-async-std keeps one current runtime per backend: a smol
/// runtime entered inside an async-std runtime's blocking closure takes smol's spawns only,
/// and async-std's still go to the async-std runtime (not to its process-wide one), inside
/// and after.
#[test]
fn runtimes_of_the_two_executor_backends_nest_without_hiding_each_other() {
    use anyrt_async_std::AsyncStd;

    let config = RuntimeConfig::new().worker_threads(1);
    let smol = Arc::new(Runtime::with_config(&config.clone().thread_name("nest-smol")).unwrap());
    let std_rt = anyrt_async_std::Runtime::with_config(&config.thread_name("nest-std")).unwrap();
    let name = || std::thread::current().name().map(str::to_owned);
    let inner = smol.clone();
    let names = std_rt.block_on(std_rt.spawn_blocking(move || {
        let (in_smol, async_std_in_smol) = inner.block_on(async {
            (
                Smol::spawn(async move { name() }).await.unwrap(),
                AsyncStd::spawn(async move { name() }).await.unwrap(),
            )
        });
        let after =
            anyrt_test_support::block_on_within::<Smol, _>(AsyncStd::spawn(async move { name() }))
                .unwrap();
        (in_smol, async_std_in_smol, after)
    }));
    let (in_smol, async_std_in_smol, after) = names.unwrap();
    assert_eq!(in_smol.as_deref(), Some("nest-smol"));
    assert_eq!(async_std_in_smol.as_deref(), Some("nest-std"));
    assert_eq!(after.as_deref(), Some("nest-std"));
}
