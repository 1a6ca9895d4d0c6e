//! Tasks on async-std's global runtime: detach, abort, panics, contexts, detection.

mod common;

use anyrt_core::{Backend, Provider};
use std::future::pending;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyrt_async_std::AsyncStd;
use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::JoinHandle;
use common::{plain_block_on, within, DropSignal};

const ASYNC: ThreadContext = ThreadContext::async_on(Backend::AsyncStd);
const BLOCKING: ThreadContext = ThreadContext::blocking_on(Backend::AsyncStd);

#[test]
fn join_handle_is_two_pointers() {
    assert_eq!(std::mem::size_of::<JoinHandle<u64>>(), 16);
    assert_eq!(std::mem::size_of::<Option<JoinHandle<u64>>>(), 16);
}

#[test]
fn spawn_and_join() {
    within(10, || {
        assert_eq!(
            AsyncStd::block_on(AsyncStd::spawn(async { 6 * 7 })).unwrap(),
            42
        );
    });
}

#[test]
fn dropped_handle_detaches() {
    within(10, || {
        let (tx, rx) = mpsc::channel();
        drop(AsyncStd::spawn(async move {
            AsyncStd::sleep(Duration::from_millis(10)).await;
            tx.send(7).unwrap();
        }));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(7));
    });
}

#[test]
fn abort_before_completion_cancels_at_next_await() {
    within(10, || {
        let (started_tx, started_rx) = mpsc::channel();
        let (dropped_tx, dropped_rx) = mpsc::channel();
        let mut handle = AsyncStd::spawn(async move {
            let _signal = DropSignal(dropped_tx);
            started_tx.send(()).unwrap();
            pending::<u32>().await
        });
        started_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        handle.abort();
        // The future is dropped by the executor...
        dropped_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        // ...and the handle says so.
        let err = plain_block_on(handle).unwrap_err();
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
    });
}

#[test]
fn abort_after_completion_keeps_the_output() {
    within(10, || {
        let mut handle = AsyncStd::spawn(async { 5 });
        while !handle.is_finished() {
            thread::sleep(Duration::from_millis(1));
        }
        handle.abort();
        assert_eq!(plain_block_on(handle).unwrap(), 5);
    });
}

#[test]
fn panic_is_a_join_error_and_the_runtime_keeps_running() {
    within(10, || {
        let err = AsyncStd::block_on(AsyncStd::spawn(async {
            if true {
                panic!("boom");
            }
        }))
        .unwrap_err();
        assert!(err.is_panic());
        assert!(!err.is_cancelled());
        assert_eq!(err.to_string(), "task panicked: boom");
        assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
        // The runtime still runs tasks, many of them.
        let handles: Vec<_> = (0..64).map(|i| AsyncStd::spawn(async move { i })).collect();
        let sum: u32 = AsyncStd::block_on(async {
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, (0..64).sum());
    });
}

#[test]
fn native_async_std_join_handle_would_rethrow_the_panic() {
    // The quirk anyrt hides: async-std's own handle re-raises the task's panic in the joiner.
    within(10, || {
        let joined = std::panic::catch_unwind(|| {
            async_std::task::block_on(async_std::task::spawn(async {
                if true {
                    panic!("native boom");
                }
            }))
        });
        assert!(joined.is_err());
    });
}

#[test]
fn spawn_from_a_plain_thread() {
    within(10, || {
        assert!(context::current().is_none());
        let handle = AsyncStd::spawn(async {
            AsyncStd::sleep(Duration::from_millis(1)).await;
            7
        });
        assert_eq!(plain_block_on(handle).unwrap(), 7);
    });
}

#[test]
fn global_tasks_share_async_std_threads() {
    within(10, || {
        let ours = plain_block_on(AsyncStd::spawn(async {
            thread::current().name().map(str::to_owned)
        }))
        .unwrap();
        let native = plain_block_on(async_std::task::spawn(async {
            thread::current().name().map(str::to_owned)
        }));
        // async-std configured the global executor (its thread names), not
        // async-global-executor's defaults: it is one runtime.
        let expected =
            std::env::var("ASYNC_STD_THREAD_NAME").unwrap_or_else(|_| "async-std/runtime".into());
        assert_eq!(ours.as_deref(), Some(expected.as_str()));
        assert_eq!(native.as_deref(), Some(expected.as_str()));
    });
}

#[test]
fn thread_contexts() {
    within(10, || {
        assert_eq!(context::current(), None);
        let in_task = plain_block_on(AsyncStd::spawn(async { context::current() })).unwrap();
        assert_eq!(in_task, Some(ASYNC));
        let in_blocking = plain_block_on(AsyncStd::spawn_blocking(context::current)).unwrap();
        assert_eq!(in_blocking, Some(BLOCKING));
        assert_eq!(
            AsyncStd::block_on(async { context::current() }),
            Some(ASYNC)
        );
        // Restored afterwards.
        assert_eq!(context::current(), None);
        // The context is per poll: the global threads are async-std's, not anyrt's.
        let native = plain_block_on(async_std::task::spawn(async { context::current() }));
        assert_eq!(native, None);
    });
}

#[test]
fn spawn_blocking_runs_and_abort_does_not_stop_it() {
    within(10, || {
        assert_eq!(
            plain_block_on(AsyncStd::spawn_blocking(|| 1 + 1)).unwrap(),
            2
        );
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel();
        let mut handle = AsyncStd::spawn_blocking(move || {
            started_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            "done"
        });
        started_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        handle.abort();
        go_tx.send(()).unwrap();
        assert_eq!(plain_block_on(handle).unwrap(), "done");
    });
}

#[test]
fn spawn_blocking_panic_is_a_join_error() {
    within(10, || {
        let err = plain_block_on(AsyncStd::spawn_blocking(|| {
            if true {
                panic!("blocking boom");
            }
        }))
        .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.to_string(), "task panicked: blocking boom");
    });
}

#[test]
fn block_on_works_inside_spawn_blocking() {
    within(10, || {
        let v = AsyncStd::block_on(AsyncStd::spawn_blocking(|| {
            assert!(anyrt_core::check_can_block().is_ok());
            AsyncStd::block_on(async { AsyncStd::spawn(async { 3 }).await.unwrap() })
        }));
        assert_eq!(v.unwrap(), 3);
    });
}

#[test]
fn block_on_forbids_blocking_inside() {
    within(10, || {
        AsyncStd::block_on(async {
            assert!(anyrt_core::check_can_block().is_err());
        });
        plain_block_on(AsyncStd::spawn(async {
            assert!(anyrt_core::check_can_block().is_err());
        }))
        .unwrap();
    });
}

/// Whether async-std's own task context is there (its task-locals work).
fn in_native_task() -> bool {
    async_std::task::try_current().is_some()
}

/// What the selection rule sees: async-std's task context, past anyrt's own.
fn selected_here() -> Option<Backend> {
    Backend::current()
}

#[test]
fn native_detection() {
    within(10, || {
        assert!(!in_native_task());
        assert_eq!(selected_here(), None);
        assert!(async_std::task::block_on(async {
            in_native_task() && selected_here() == Some(Backend::AsyncStd)
        }));
        let in_spawned = plain_block_on(async_std::task::spawn(async {
            in_native_task() && selected_here() == Some(Backend::AsyncStd)
        }));
        assert!(in_spawned);
        // anyrt's block_on runs on async-std's, so async-std's task-locals work in it...
        assert!(AsyncStd::block_on(async {
            async_std::task::current();
            in_native_task()
        }));
        // ...but anyrt's tasks carry anyrt's context instead (documented).
        assert!(!plain_block_on(AsyncStd::spawn(async { in_native_task() })).unwrap());
        assert!(!plain_block_on(AsyncStd::spawn_blocking(in_native_task)).unwrap());
    });
}

#[test]
fn anyrt_code_works_inside_native_async_std_tasks() {
    within(10, || {
        let v = async_std::task::block_on(async_std::task::spawn(async {
            let h = AsyncStd::spawn(async { 20 });
            let b = AsyncStd::spawn_blocking(|| 22);
            AsyncStd::sleep(Duration::from_millis(1)).await;
            h.await.unwrap() + b.await.unwrap()
        }));
        assert_eq!(v, 42);
    });
}

#[test]
fn yield_now_lets_others_run() {
    within(10, || {
        AsyncStd::block_on(async {
            let mut y = std::pin::pin!(anyrt_core::task::yield_now());
            assert!(futures_lite::future::poll_once(y.as_mut()).await.is_none());
            assert!(futures_lite::future::poll_once(y.as_mut()).await.is_some());
        });
    });
}

#[test]
fn spawn_local_in_block_on_and_pending_ones_are_cancelled() {
    use anyrt_core::task::local::try_spawn_local;
    use std::rc::Rc;

    within(10, || {
        let v = AsyncStd::block_on(async {
            let shared = Rc::new(5);
            let s = shared.clone();
            try_spawn_local(async move { *s + 1 })
                .unwrap()
                .await
                .unwrap()
        });
        assert_eq!(v, 6);
        // The handle leaves its block_on on purpose.
        #[allow(clippy::async_yields_async)]
        let pending_local = AsyncStd::block_on(async { try_spawn_local(pending::<()>()).unwrap() });
        assert!(plain_block_on(pending_local).unwrap_err().is_cancelled());
        // Not inside an anyrt::spawn task, nor on a plain thread.
        assert!(try_spawn_local(async {}).is_err());
        let in_task = AsyncStd::block_on(AsyncStd::spawn(async {
            try_spawn_local(async {}).is_err()
        }))
        .unwrap();
        assert!(in_task);
    });
}

#[test]
fn handle_current_outside_a_runtime() {
    within(10, || {
        assert!(anyrt_async_std::Handle::current().is_none());
        let h = AsyncStd::block_on(async { anyrt_async_std::Handle::current() }).unwrap();
        assert_eq!(plain_block_on(h.spawn(async { 1 })).unwrap(), 1);
        let h = plain_block_on(AsyncStd::spawn(async {
            anyrt_async_std::Handle::current()
        }))
        .unwrap();
        assert!(h.is_some());
        let h = async_std::task::block_on(async { anyrt_async_std::Handle::current() });
        assert!(h.is_some());
        let g = anyrt_async_std::Handle::global();
        assert_eq!(plain_block_on(g.spawn_blocking(|| 2)).unwrap(), 2);
        assert_eq!(g.block_on(async { 3 }), 3);
        assert!(format!("{g:?}").contains("global"));
    });
}
