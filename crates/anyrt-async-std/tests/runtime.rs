//! The owned `Runtime`: where tasks run, shutdown, handles, local tasks.

mod common;

use anyrt_core::{Provider, RuntimeConfig};
use std::future::pending;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyrt_async_std::{AsyncStd, Handle, Runtime};
use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::local::try_spawn_local;
use anyrt_core::{Backend, Executor};
use common::{plain_block_on, within, DropSignal};

fn thread_name() -> Option<String> {
    thread::current().name().map(str::to_owned)
}

fn small() -> Runtime {
    AsyncStd::build(&RuntimeConfig::new().worker_threads(2)).unwrap()
}

#[test]
fn tasks_run_on_the_runtime_workers() {
    within(10, || {
        let rt = small();
        let name = rt.block_on(rt.spawn(async { thread_name() })).unwrap();
        assert_eq!(name.as_deref(), Some("anyrt-async-std-worker"));
        // A free `spawn` inside `block_on` and inside a task goes to this runtime too.
        let (a, b) = rt.block_on(async {
            let a = AsyncStd::spawn(async { thread_name() }).await.unwrap();
            let b =
                AsyncStd::spawn(async { AsyncStd::spawn(async { thread_name() }).await.unwrap() })
                    .await
                    .unwrap();
            (a, b)
        });
        assert_eq!(a.as_deref(), Some("anyrt-async-std-worker"));
        assert_eq!(b.as_deref(), Some("anyrt-async-std-worker"));
        // The context on the workers.
        let ctx = rt.block_on(rt.spawn(async { context::current() })).unwrap();
        assert_eq!(ctx, Some(ThreadContext::async_on(Backend::AsyncStd)));
        assert_eq!(
            rt.block_on(async { context::current() }),
            Some(ThreadContext::async_on(Backend::AsyncStd))
        );
        assert_eq!(context::current(), None);
    });
}

#[test]
fn builder_options() {
    within(10, || {
        let rt = AsyncStd::build(
            &RuntimeConfig::new()
                .worker_threads(3)
                .thread_name("custom-name"),
        )
        .unwrap();
        let name = plain_block_on(rt.spawn(async { thread_name() })).unwrap();
        assert_eq!(name.as_deref(), Some("custom-name"));
        let dbg = format!("{rt:?}");
        assert!(dbg.contains("worker_threads: 3"), "{dbg}");
        let err = AsyncStd::build(&RuntimeConfig::new().worker_threads(0)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        AsyncStd::build(&RuntimeConfig::new()).unwrap();
    });
}

#[test]
fn spawn_blocking_inside_the_runtime_spawns_back_onto_it() {
    within(10, || {
        let rt = small();
        // `spawn_blocking` called inside `block_on`: the closure belongs to the runtime.
        let (ctx, name, has_handle) = rt
            .block_on(async {
                AsyncStd::spawn_blocking(|| {
                    let name = plain_block_on(AsyncStd::spawn(async { thread_name() })).unwrap();
                    (context::current(), name, Handle::current().is_some())
                })
                .await
            })
            .unwrap();
        assert_eq!(ctx, Some(ThreadContext::blocking_on(Backend::AsyncStd)));
        assert_eq!(name.as_deref(), Some("anyrt-async-std-worker"));
        assert!(has_handle);
        // anyrt's block_on works in a blocking closure, and its spawns go to the runtime.
        let name = rt
            .block_on(rt.spawn_blocking(|| {
                AsyncStd::block_on(async { AsyncStd::spawn(async { thread_name() }).await })
            }))
            .unwrap()
            .unwrap();
        assert_eq!(name.as_deref(), Some("anyrt-async-std-worker"));
    });
}

#[test]
fn handle_spawns_from_a_plain_thread() {
    within(10, || {
        let rt = small();
        let handle = rt.block_on(async { Handle::current() }).unwrap();
        let task = thread::spawn(move || handle.spawn(async { thread_name() }))
            .join()
            .unwrap();
        let name = plain_block_on(task).unwrap();
        assert_eq!(name.as_deref(), Some("anyrt-async-std-worker"));
        let handle = rt.handle();
        assert_eq!(handle.block_on(handle.spawn_blocking(|| 5)).unwrap(), 5);
        let name =
            handle.block_on(async { AsyncStd::spawn(async { thread_name() }).await.unwrap() });
        assert_eq!(name.as_deref(), Some("anyrt-async-std-worker"));
        assert!(format!("{handle:?}").contains("owned"));
    });
}

#[test]
fn panics_are_join_errors_and_the_runtime_keeps_running() {
    within(10, || {
        let rt = small();
        for _ in 0..4 {
            let err = rt
                .block_on(rt.spawn(async {
                    if true {
                        panic!("runtime boom");
                    }
                }))
                .unwrap_err();
            assert!(err.is_panic());
            assert_eq!(
                *err.into_panic().downcast::<&str>().unwrap(),
                "runtime boom"
            );
        }
        let sum: u32 = rt.block_on(async {
            let hs: Vec<_> = (0..32).map(|i| AsyncStd::spawn(async move { i })).collect();
            let mut sum = 0;
            for h in hs {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, (0..32).sum());
    });
}

#[test]
fn abort_and_detach_on_the_runtime() {
    within(10, || {
        let rt = small();
        let (dropped_tx, dropped_rx) = mpsc::channel();
        let (started_tx, started_rx) = mpsc::channel();
        let mut h = rt.spawn(async move {
            let _s = DropSignal(dropped_tx);
            started_tx.send(()).unwrap();
            pending::<()>().await
        });
        started_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        h.abort();
        dropped_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(plain_block_on(h).unwrap_err().is_cancelled());

        let (tx, rx) = mpsc::channel();
        drop(rt.spawn(async move {
            AsyncStd::sleep(Duration::from_millis(5)).await;
            tx.send(1).unwrap();
        }));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(1));

        let mut h = rt.spawn(async { 3 });
        while !h.is_finished() {
            thread::sleep(Duration::from_millis(1));
        }
        h.abort();
        assert_eq!(plain_block_on(h).unwrap(), 3);
    });
}

#[test]
fn drop_cancels_pending_tasks_without_blocking() {
    within(10, || {
        let rt = small();
        let (dropped_tx, dropped_rx) = mpsc::channel();
        let (started_tx, started_rx) = mpsc::channel();
        let pending_task = rt.spawn(async move {
            let _s = DropSignal(dropped_tx);
            started_tx.send(()).unwrap();
            pending::<u8>().await
        });
        let sleeping_task = rt.spawn(AsyncStd::sleep(Duration::from_secs(3600)));
        started_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        // A worker busy in a blocking loop does not make the drop wait either.
        let busy = rt.spawn(async { thread::sleep(Duration::from_millis(300)) });
        thread::sleep(Duration::from_millis(20));
        let start = Instant::now();
        drop(rt);
        assert!(
            start.elapsed() < Duration::from_millis(200),
            "{:?}",
            start.elapsed()
        );
        dropped_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(plain_block_on(pending_task).unwrap_err().is_cancelled());
        assert!(plain_block_on(sleeping_task).unwrap_err().is_cancelled());
        // The busy task was running: it finishes its poll, which completes it.
        assert!(plain_block_on(busy).is_ok());
    });
}

#[test]
fn drop_inside_async_code_does_not_block() {
    within(10, || {
        let rt = small();
        let pending_task = rt.spawn(pending::<()>());
        let took = AsyncStd::block_on(async move {
            let start = Instant::now();
            drop(rt);
            start.elapsed()
        });
        assert!(took < Duration::from_millis(200), "{took:?}");
        assert!(plain_block_on(pending_task).unwrap_err().is_cancelled());

        // Inside a task of async-std's global runtime.
        let rt = small();
        let took = plain_block_on(AsyncStd::spawn(async move {
            let start = Instant::now();
            drop(rt);
            start.elapsed()
        }))
        .unwrap();
        assert!(took < Duration::from_millis(200), "{took:?}");

        // Inside a task of another owned runtime, and inside its own block_on's future.
        let other = small();
        let rt = small();
        plain_block_on(other.spawn(async move { drop(rt) })).unwrap();
    });
}

#[test]
fn drop_on_its_own_worker() {
    within(10, || {
        let rt = small();
        let slot: Arc<Mutex<Option<Runtime>>> = Arc::default();
        let s = slot.clone();
        let (dropped_tx, dropped_rx) = mpsc::channel();
        let signal = DropSignal(dropped_tx);
        let other = rt.spawn(async move {
            let _s = signal;
            pending::<()>().await
        });
        let dropper = rt.spawn(async move {
            loop {
                let taken = s.lock().unwrap().take();
                if let Some(rt) = taken {
                    drop(rt);
                    return "dropped";
                }
                AsyncStd::sleep(Duration::from_millis(1)).await;
            }
        });
        *slot.lock().unwrap() = Some(rt);
        // The dropping task completes in the poll that drops the runtime.
        assert_eq!(plain_block_on(dropper).unwrap(), "dropped");
        dropped_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(plain_block_on(other).unwrap_err().is_cancelled());
    });
}

#[test]
fn spawn_through_a_handle_after_shutdown_is_cancelled() {
    within(10, || {
        let rt = small();
        let handle = rt.handle();
        drop(rt);
        let (dropped_tx, dropped_rx) = mpsc::channel();
        let signal = DropSignal(dropped_tx);
        let h = handle.spawn(async move {
            let _s = signal;
            1
        });
        assert!(h.is_finished());
        assert!(plain_block_on(h).unwrap_err().is_cancelled());
        // The future was dropped, not run.
        dropped_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(plain_block_on(handle.spawn_blocking(|| 1))
            .unwrap_err()
            .is_cancelled());
        // block_on through the dead handle still runs its own future; spawns inside are
        // cancelled.
        let r = handle.block_on(async { AsyncStd::spawn(async { 1 }).await });
        assert!(r.unwrap_err().is_cancelled());
        assert!(format!("{handle:?}").contains("shut down"));
    });
}

#[test]
fn handle_does_not_keep_the_runtime_alive() {
    within(10, || {
        let rt = small();
        let handle = rt.handle();
        let (dropped_tx, dropped_rx) = mpsc::channel();
        let signal = DropSignal(dropped_tx);
        let h = handle.spawn(async move {
            let _s = signal;
            pending::<()>().await
        });
        let _keep = handle.clone();
        drop(rt);
        dropped_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(plain_block_on(h).unwrap_err().is_cancelled());
    });
}

#[test]
fn blocking_closures_are_detached_at_shutdown() {
    within(10, || {
        let rt = small();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel();
        let h = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            // The runtime is gone: a spawn from here is cancelled, not sent elsewhere.
            plain_block_on(AsyncStd::spawn(async { 1 }))
                .unwrap_err()
                .is_cancelled()
        });
        started_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        let start = Instant::now();
        drop(rt);
        assert!(start.elapsed() < Duration::from_millis(200));
        go_tx.send(()).unwrap();
        assert!(plain_block_on(h).unwrap());
    });
}

#[test]
fn shutdown_timeout_waits_for_the_workers() {
    within(10, || {
        let rt = small();
        let (dropped_tx, dropped_rx) = mpsc::channel();
        let signal = DropSignal(dropped_tx);
        let h = rt.spawn(async move {
            let _s = signal;
            pending::<()>().await
        });
        thread::sleep(Duration::from_millis(10));
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_secs(5));
        assert!(start.elapsed() < Duration::from_secs(1));
        // Pending tasks were dropped before it returned.
        assert_eq!(dropped_rx.try_recv(), Ok(()));
        assert!(plain_block_on(h).unwrap_err().is_cancelled());
    });
}

#[test]
fn shutdown_timeout_gives_up_after_the_timeout() {
    within(10, || {
        let rt = small();
        let (started_tx, started_rx) = mpsc::channel();
        let _busy = rt.spawn(async move {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(1500));
        });
        started_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(100));
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(100), "{took:?}");
        assert!(took < Duration::from_millis(1000), "{took:?}");
    });
}

#[test]
fn shutdown_timeout_on_its_own_worker_does_not_wait_for_itself() {
    within(10, || {
        let rt = small();
        let slot: Arc<Mutex<Option<Runtime>>> = Arc::default();
        let s = slot.clone();
        let h = rt.spawn(async move {
            loop {
                let taken = s.lock().unwrap().take();
                if let Some(rt) = taken {
                    let start = Instant::now();
                    rt.shutdown_timeout(Duration::from_secs(5));
                    return start.elapsed();
                }
                AsyncStd::sleep(Duration::from_millis(1)).await;
            }
        });
        *slot.lock().unwrap() = Some(rt);
        let took = plain_block_on(h).unwrap();
        assert!(took < Duration::from_secs(2), "{took:?}");
    });
}

#[test]
fn spawn_local_in_runtime_block_on() {
    within(10, || {
        let rt = small();
        let v = rt.block_on(async {
            let rc = std::rc::Rc::new(1);
            let r = rc.clone();
            try_spawn_local(async move { *r + 1 })
                .unwrap()
                .await
                .unwrap()
        });
        assert_eq!(v, 2);
        let (dropped_tx, dropped_rx) = mpsc::channel();
        let signal = DropSignal(dropped_tx);
        // The handles leave their block_on on purpose.
        #[allow(clippy::async_yields_async)]
        let local = rt.block_on(async move {
            try_spawn_local(async move {
                let _s = signal;
                pending::<()>().await
            })
            .unwrap()
        });
        dropped_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(plain_block_on(local).unwrap_err().is_cancelled());
        // Through a handle too.
        #[allow(clippy::async_yields_async)]
        let local = rt
            .handle()
            .block_on(async { try_spawn_local(pending::<()>()).unwrap() });
        assert!(plain_block_on(local).unwrap_err().is_cancelled());
        // Not inside the runtime's tasks.
        assert!(rt
            .block_on(rt.spawn(async { try_spawn_local(async {}).is_err() }))
            .unwrap());
    });
}

#[test]
fn executor_trait() {
    fn run<E: Executor>(exec: &E) -> u32 {
        let h = exec.spawn(async { 1 });
        let b = exec.spawn_blocking(|| 2);
        plain_block_on(async {
            exec.sleep(Duration::from_millis(1)).await;
            let t = exec
                .timeout(Duration::from_secs(5), async { 3 })
                .await
                .unwrap();
            h.await.unwrap() + b.await.unwrap() + t
        })
    }
    within(10, || {
        let rt = small();
        assert_eq!(run(&rt), 6);
        assert_eq!(run(&rt.handle()), 6);
        assert_eq!(run(&Handle::global()), 6);
    });
}

#[test]
fn many_tasks_under_shutdown() {
    within(20, || {
        for _ in 0..20 {
            let rt = small();
            let handles: Vec<_> = (0..200)
                .map(|i| {
                    rt.spawn(async move {
                        for _ in 0..i % 5 {
                            anyrt_core::task::yield_now().await;
                        }
                        i
                    })
                })
                .collect();
            drop(rt);
            for h in handles {
                match plain_block_on(h) {
                    Ok(_) => {}
                    Err(e) => assert!(e.is_cancelled()),
                }
            }
        }
    });
}

#[test]
fn queued_tasks_do_not_run_after_shutdown() {
    use std::sync::atomic::{AtomicBool, Ordering};

    within(10, || {
        let rt = AsyncStd::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        // Keep the only worker busy so that the next tasks stay queued.
        drop(rt.spawn(async move {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(200));
        }));
        started_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let ran = ran.clone();
                rt.spawn(async move { ran.store(true, Ordering::SeqCst) })
            })
            .collect();
        drop(rt);
        for h in handles {
            assert!(plain_block_on(h).unwrap_err().is_cancelled());
        }
        thread::sleep(Duration::from_millis(100));
        assert!(
            !ran.load(Ordering::SeqCst),
            "a queued task ran after shutdown"
        );
    });
}
