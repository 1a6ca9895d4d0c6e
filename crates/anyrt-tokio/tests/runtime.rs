//! Owned runtimes and handles: building, shutdown, handles after shutdown, the Executor trait.

mod common;

use anyrt_core::{Provider, RuntimeConfig};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::time::Elapsed;
use anyrt_core::{Backend, Executor};
use anyrt_tokio::{Handle, Runtime, Tokio};

use common::{plain_block_on, thread_name, within, DropSignal, LIMIT};

fn small_rt(name: &str) -> Runtime {
    Tokio::build(&RuntimeConfig::new().worker_threads(2).thread_name(name)).unwrap()
}

#[test]
fn builder_options() {
    within(LIMIT, || {
        let rt =
            Tokio::build(&RuntimeConfig::new().worker_threads(3).thread_name("three")).unwrap();
        assert_eq!(rt.handle().as_tokio().metrics().num_workers(), 3);
        let (name, ctx) =
            plain_block_on(rt.spawn(async { (thread_name(), context::current()) })).unwrap();
        assert_eq!(name.as_deref(), Some("three"));
        assert_eq!(ctx, Some(ThreadContext::async_on(Backend::Tokio)));

        let err = Tokio::build(&RuntimeConfig::new().worker_threads(0)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);

        let rt = Tokio::build(&RuntimeConfig::new()).unwrap();
        let cpus = thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(rt.handle().as_tokio().metrics().num_workers(), cpus);
        assert!(format!("{rt:?}").contains("Runtime"));
    });
}

#[test]
fn runtime_block_on_spawns_onto_that_runtime() {
    within(LIMIT, || {
        let rt = small_rt("mine");
        let (direct, nested, blocking, ctx) = rt.block_on(async {
            assert_eq!(
                context::current(),
                Some(ThreadContext::async_on(Backend::Tokio))
            );
            let direct = Tokio::spawn(async { thread_name() }).await.unwrap();
            let nested =
                Tokio::spawn(async { Tokio::spawn(async { thread_name() }).await.unwrap() })
                    .await
                    .unwrap();
            let blocking = Tokio::spawn_blocking(thread_name).await.unwrap();
            let ctx = Handle::current()
                .unwrap()
                .spawn(async { thread_name() })
                .await
                .unwrap();
            (direct, nested, blocking, ctx)
        });
        for name in [direct, nested, blocking, ctx] {
            assert_eq!(name.as_deref(), Some("mine"));
        }
        assert_eq!(context::current(), None);
    });
}

#[test]
fn handle_current_and_global() {
    within(LIMIT, || {
        assert!(Handle::current().is_none());
        let h = Tokio::block_on(async { Handle::current() }).unwrap();
        assert_eq!(
            plain_block_on(h.spawn(async { thread_name() }))
                .unwrap()
                .as_deref(),
            Some("anyrt-tokio-worker")
        );
        let rt = small_rt("cur");
        let h = rt.block_on(async { Handle::current() }).unwrap();
        // A handle taken inside a runtime spawns onto it from a plain thread.
        let name = thread::spawn(move || plain_block_on(h.spawn(async { thread_name() })))
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(name.as_deref(), Some("cur"));
        let g = Handle::global();
        assert_eq!(
            plain_block_on(g.spawn_blocking(thread_name))
                .unwrap()
                .as_deref(),
            Some("anyrt-tokio-worker")
        );
        assert!(format!("{g:?}").contains("Handle"));
        // From a tokio handle.
        let h = Handle::from(rt.handle().as_tokio().clone());
        assert_eq!(
            plain_block_on(h.spawn(async { thread_name() }))
                .unwrap()
                .as_deref(),
            Some("cur")
        );
    });
}

#[test]
fn drop_cancels_pending_tasks_and_does_not_block() {
    within(LIMIT, || {
        let rt = small_rt("dropped");
        let (tx, rx) = mpsc::channel();
        let (started_tx, started_rx) = mpsc::channel();
        let pending = rt.spawn(async move {
            let _signal = DropSignal(tx);
            started_tx.send(()).unwrap();
            std::future::pending::<u8>().await
        });
        let sleeping = rt.spawn(Tokio::sleep(Duration::from_secs(60)));
        // A blocking closure that is running when the runtime is dropped: detached.
        let (blocking_started_tx, blocking_started_rx) = mpsc::channel();
        let blocking = rt.spawn_blocking(move || {
            blocking_started_tx.send(()).unwrap();
            thread::sleep(Duration::from_secs(2));
            1
        });
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        blocking_started_rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap();

        let start = Instant::now();
        drop(rt);
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "drop blocked for {:?}",
            start.elapsed()
        );

        assert!(plain_block_on(pending).unwrap_err().is_cancelled());
        assert!(plain_block_on(sleeping).unwrap_err().is_cancelled());
        rx.recv_timeout(Duration::from_secs(10)).unwrap();
        // The detached closure still finishes and hands over its result.
        assert_eq!(plain_block_on(blocking).unwrap(), 1);
    });
}

#[test]
fn drop_cancels_tasks_that_were_queued_but_never_polled() {
    within(LIMIT, || {
        let rt = Tokio::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let ran = Arc::new(AtomicUsize::new(0));
        // The only worker spawns tasks (onto its own queue), then stays busy until after the
        // drop, so every one of them is still queued then.
        let ran2 = ran.clone();
        let busy = rt.spawn(async move {
            let local: Vec<_> = (0..4)
                .map(|_| {
                    let ran = ran2.clone();
                    Tokio::spawn(async move { ran.fetch_add(1, Ordering::SeqCst) })
                })
                .collect();
            started_tx.send(()).unwrap();
            let _ = go_rx.recv_timeout(Duration::from_secs(10));
            local
        });
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        // And from outside (tokio's shared queue), through the runtime and a handle.
        let handle = rt.handle();
        let outside: Vec<_> = (0..4)
            .map(|i| {
                let ran = ran.clone();
                let task = async move { ran.fetch_add(1, Ordering::SeqCst) };
                if i % 2 == 0 {
                    rt.spawn(task)
                } else {
                    handle.spawn(task)
                }
            })
            .collect();
        drop(rt);
        // The worker comes back only now, after the runtime was dropped.
        go_tx.send(()).unwrap();
        let local = match plain_block_on(busy) {
            Ok(local) => local,
            // Cancelled as it returned: its handles went with it (detached, never polled).
            Err(e) => {
                assert!(e.is_cancelled(), "{e:?}");
                Vec::new()
            }
        };
        for h in local.into_iter().chain(outside) {
            assert!(plain_block_on(h).unwrap_err().is_cancelled());
        }
        thread::sleep(Duration::from_millis(100));
        assert_eq!(
            ran.load(Ordering::SeqCst),
            0,
            "a queued task ran after the drop"
        );
    });
}

#[test]
fn tasks_of_other_runtimes_run_on_after_a_drop() {
    within(LIMIT, || {
        // The shut-down check is per runtime: the process-wide runtime and another anyrt
        // runtime go on running tasks, also ones spawned from the dropped runtime's threads
        // after its shutdown through their handles.
        let rt = small_rt("dropped-first");
        let other = small_rt("other");
        let other_handle = other.handle();
        let global = Handle::global();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel();
        let from_inside = rt.spawn(async move {
            started_tx.send(()).unwrap();
            let _ = go_rx.recv_timeout(Duration::from_secs(10));
            (
                other_handle.spawn(async { thread_name() }),
                global.spawn(async { thread_name() }),
            )
        });
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        drop(rt);
        go_tx.send(()).unwrap();
        if let Ok((on_other, on_global)) = plain_block_on(from_inside) {
            assert_eq!(plain_block_on(on_other).unwrap().as_deref(), Some("other"));
            assert_eq!(
                plain_block_on(on_global).unwrap().as_deref(),
                Some("anyrt-tokio-worker")
            );
        }
        assert_eq!(plain_block_on(other.spawn(async { 3 })).unwrap(), 3);
        assert_eq!(plain_block_on(Tokio::spawn(async { 4 })).unwrap(), 4);
        // A new runtime built after the drop (it may reuse the dropped one's shut-down
        // slot) is not shut down.
        let next = small_rt("next");
        assert_eq!(plain_block_on(next.spawn(async { 5 })).unwrap(), 5);
        assert_eq!(plain_block_on(next.handle().spawn(async { 6 })).unwrap(), 6);
    });
}

#[test]
fn drop_inside_async_code_does_not_panic_or_block() {
    within(LIMIT, || {
        // In a block_on.
        let rt = small_rt("inner");
        let h = rt.spawn(std::future::pending::<()>());
        Tokio::block_on(async move {
            drop(rt);
        });
        assert!(plain_block_on(h).unwrap_err().is_cancelled());

        // In a task of another runtime.
        let outer = small_rt("outer");
        let rt = small_rt("inner2");
        let h = rt.spawn(std::future::pending::<()>());
        plain_block_on(outer.spawn(async move { drop(rt) })).unwrap();
        assert!(plain_block_on(h).unwrap_err().is_cancelled());

        // In a tokio runtime's block_on (as in #[tokio::main]).
        let foreign = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let rt = small_rt("inner3");
        foreign.block_on(async move { drop(rt) });
    });
}

#[test]
fn drop_on_its_own_worker_thread() {
    within(LIMIT, || {
        let rt = small_rt("self-drop");
        let other = rt.spawn(std::future::pending::<()>());
        let slot = Arc::new(Mutex::new(None::<Runtime>));
        let slot2 = slot.clone();
        let h = rt.spawn(async move {
            // Wait until the runtime is in the slot, then drop it from its own worker.
            loop {
                if let Some(rt) = slot2.lock().unwrap().take() {
                    drop(rt);
                    break;
                }
                Tokio::sleep(Duration::from_millis(1)).await;
            }
            thread_name()
        });
        *slot.lock().unwrap() = Some(rt);
        // The dropping task itself either finished or was cancelled right after; it must
        // not hang or panic.
        match plain_block_on(h) {
            Ok(name) => assert_eq!(name.as_deref(), Some("self-drop")),
            Err(e) => assert!(e.is_cancelled()),
        }
        assert!(plain_block_on(other).unwrap_err().is_cancelled());
    });
}

#[test]
fn spawn_through_a_handle_after_shutdown_is_cancelled() {
    within(LIMIT, || {
        let rt = small_rt("gone");
        let handle = rt.handle();
        drop(rt);
        assert!(plain_block_on(handle.spawn(async { 1 }))
            .unwrap_err()
            .is_cancelled());
        assert!(plain_block_on(handle.spawn_blocking(|| 1))
            .unwrap_err()
            .is_cancelled());
        // Through the Executor trait too.
        assert!(plain_block_on(Executor::spawn(&handle, async { 1 }))
            .unwrap_err()
            .is_cancelled());

        let rt = small_rt("gone2");
        let handle = rt.handle();
        rt.shutdown_timeout(Duration::from_secs(1));
        assert!(plain_block_on(handle.spawn(async { 1 }))
            .unwrap_err()
            .is_cancelled());
        // Some time later as well (every worker has exited by then).
        thread::sleep(Duration::from_millis(50));
        assert!(plain_block_on(handle.spawn(async { 1 }))
            .unwrap_err()
            .is_cancelled());
        // Its timer is gone: a sleep through the handle uses the caller's instead of
        // panicking when polled.
        let start = Instant::now();
        plain_block_on(Executor::sleep(&handle, Duration::from_millis(5)));
        assert!(start.elapsed() >= Duration::from_millis(5));

        // tokio itself cancels a spawn onto a runtime that shut down (what a handle to a
        // runtime anyrt does not own relies on), right away and after the workers exited.
        let native = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let handle = Handle::from_tokio(native.handle().clone());
        native.shutdown_background();
        assert!(plain_block_on(handle.spawn(async { 1 }))
            .unwrap_err()
            .is_cancelled());
        assert!(plain_block_on(handle.spawn_blocking(|| 1))
            .unwrap_err()
            .is_cancelled());
        thread::sleep(Duration::from_millis(50));
        assert!(plain_block_on(handle.spawn(async { 1 }))
            .unwrap_err()
            .is_cancelled());
    });
}

#[test]
fn shutdown_timeout_waits_at_most_its_duration() {
    within(LIMIT, || {
        let rt = small_rt("timeout");
        let (started_tx, started_rx) = mpsc::channel();
        let _blocking = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_secs(3));
        });
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(100));
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(90), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");

        // With nothing running, it returns as soon as the threads stopped.
        let rt = small_rt("quick");
        plain_block_on(rt.spawn(async {})).unwrap();
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_secs(5));
        assert!(start.elapsed() < Duration::from_secs(2));
    });
}

#[test]
fn shutdown_timeout_in_async_code_does_not_panic() {
    within(LIMIT, || {
        let rt = small_rt("a");
        Tokio::block_on(async move {
            let start = Instant::now();
            rt.shutdown_timeout(Duration::from_secs(5));
            assert!(start.elapsed() < Duration::from_secs(1));
        });
        let rt = small_rt("b");
        plain_block_on(Tokio::spawn(async move {
            rt.shutdown_timeout(Duration::from_secs(5));
        }))
        .unwrap();
        // In a foreign tokio block_on, where tokio itself would panic: it waits on a helper.
        let foreign = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let rt = small_rt("c");
        foreign.block_on(async move {
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        // In a blocking closure: it waits.
        let rt = small_rt("d");
        plain_block_on(Tokio::spawn_blocking(move || {
            rt.shutdown_timeout(Duration::from_secs(5));
        }))
        .unwrap();
    });
}

#[test]
fn runtime_is_send_sync_and_handle_is_clone_send_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Runtime>();
    assert_send_sync::<Handle>();
    fn assert_clone<T: Clone>() {}
    assert_clone::<Handle>();
}

async fn use_executor<E: Executor + Clone>(exec: E) -> (Option<String>, u8, Result<(), Elapsed>) {
    let e2 = exec.clone();
    let name = exec
        .spawn(async move {
            e2.sleep(Duration::from_millis(1)).await;
            thread_name()
        })
        .await
        .unwrap();
    let b = exec.spawn_blocking(|| 4u8).await.unwrap();
    let start = Instant::now();
    exec.sleep(Duration::from_millis(5)).await;
    assert!(start.elapsed() >= Duration::from_millis(5));
    exec.sleep_until(exec.now()).await;
    let t = exec
        .timeout(Duration::from_millis(5), std::future::pending::<()>())
        .await;
    (name, b, t)
}

#[test]
fn executor_trait_on_handle_and_runtime() {
    within(LIMIT, || {
        let rt = Arc::new(small_rt("exec"));
        let (name, b, t) = plain_block_on(use_executor(rt.clone()));
        assert_eq!(name.as_deref(), Some("exec"));
        assert_eq!(b, 4);
        assert!(t.is_err());
        let (name, _, _) = Tokio::block_on(use_executor(rt.handle()));
        assert_eq!(name.as_deref(), Some("exec"));
        let (name, _, _) = plain_block_on(use_executor(Handle::global()));
        assert_eq!(name.as_deref(), Some("anyrt-tokio-worker"));
        // The dyn-compatible form.
        let dynexec: Arc<dyn anyrt_core::DynExecutor> = Arc::new(rt.handle());
        assert_eq!(plain_block_on(dynexec.spawn(async { 6 })).unwrap(), 6);
    });
}
