//! Tasks: spawn, abort, detach, panics, spawn_blocking, yield_now, spawn_local, contexts.

mod common;

use anyrt_core::{Provider, RuntimeConfig};
use anyrt_tokio::Tokio;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::local::try_spawn_local;
use anyrt_core::task::JoinHandle;
use anyrt_core::Backend;

use common::{plain_block_on, poll_once_owned, thread_name, within, DropSignal, LIMIT};

#[test]
fn join_handle_is_two_words() {
    assert_eq!(std::mem::size_of::<JoinHandle<u64>>(), 16);
    assert_eq!(std::mem::size_of::<Option<JoinHandle<u64>>>(), 16);
    assert_eq!(std::mem::size_of::<tokio::task::JoinHandle<u64>>(), 8);
}

#[test]
fn spawn_from_plain_thread_goes_to_the_process_wide_runtime() {
    within(LIMIT, || {
        assert!(context::current().is_none());
        assert!(tokio::runtime::Handle::try_current().is_err());
        let h = Tokio::spawn(async { (thread_name(), context::current()) });
        let (name, ctx) = plain_block_on(h).unwrap();
        assert_eq!(name.as_deref(), Some("anyrt-tokio-worker"));
        assert_eq!(ctx, Some(ThreadContext::async_on(Backend::Tokio)));
    });
}

#[test]
fn dropped_handle_detaches() {
    within(LIMIT, || {
        let (tx, rx) = mpsc::channel();
        drop(Tokio::spawn(async move {
            Tokio::sleep(Duration::from_millis(20)).await;
            tx.send(7).unwrap();
        }));
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(7));
    });
}

#[test]
fn abort_before_completion_cancels_at_next_await() {
    within(LIMIT, || {
        let (tx, rx) = mpsc::channel();
        let (started_tx, started_rx) = mpsc::channel();
        let mut h = Tokio::spawn(async move {
            let _signal = DropSignal(tx);
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await;
        });
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        h.abort();
        let err = plain_block_on(h).unwrap_err();
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
        // The task's future was dropped.
        rx.recv_timeout(Duration::from_secs(10)).unwrap();
    });
}

#[test]
fn abort_before_first_poll_cancels() {
    within(LIMIT, || {
        Tokio::block_on(async {
            let mut h = Tokio::spawn(async { 1 });
            h.abort();
            // Either the task had already run (its output is kept) or it is cancelled.
            match h.await {
                Ok(v) => assert_eq!(v, 1),
                Err(e) => assert!(e.is_cancelled()),
            }
        });
    });
}

#[test]
fn abort_after_completion_keeps_the_output() {
    within(LIMIT, || {
        let mut h = Tokio::spawn(async { 5 });
        while !h.is_finished() {
            thread::sleep(Duration::from_millis(1));
        }
        h.abort();
        assert!(h.is_finished());
        assert_eq!(plain_block_on(h).unwrap(), 5);
    });
}

#[test]
fn panic_is_a_join_error_and_the_runtime_keeps_running() {
    within(LIMIT, || {
        let h = Tokio::spawn(async {
            panic!("boom");
        });
        let err = plain_block_on(h).unwrap_err();
        assert!(err.is_panic());
        assert!(!err.is_cancelled());
        assert_eq!(err.to_string(), "task panicked: boom");
        let payload = err.into_panic();
        assert_eq!(*payload.downcast::<&str>().unwrap(), "boom");

        // A String payload too.
        let n = std::hint::black_box(2);
        let h = Tokio::spawn(async move {
            panic!("boom {n}");
        });
        let err = plain_block_on(h).unwrap_err();
        assert_eq!(*err.into_panic().downcast::<String>().unwrap(), "boom 2");

        // The runtime still runs tasks.
        assert_eq!(plain_block_on(Tokio::spawn(async { 3 })).unwrap(), 3);
    });
}

#[test]
fn spawn_blocking_runs_in_a_blocking_context() {
    within(LIMIT, || {
        let h = Tokio::spawn_blocking(|| (context::current(), thread_name()));
        let (ctx, name) = plain_block_on(h).unwrap();
        assert_eq!(ctx, Some(ThreadContext::blocking_on(Backend::Tokio)));
        assert_eq!(name.as_deref(), Some("anyrt-tokio-worker"));
    });
}

#[test]
fn spawn_blocking_abort_does_not_stop_the_closure() {
    within(LIMIT, || {
        let (started_tx, started_rx) = mpsc::channel();
        let mut h = Tokio::spawn_blocking(move || {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(50));
            9
        });
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        h.abort();
        assert_eq!(plain_block_on(h).unwrap(), 9);

        // Also when aborted right away, possibly before the closure started.
        let mut h = Tokio::spawn_blocking(|| 10);
        h.abort();
        assert_eq!(plain_block_on(h).unwrap(), 10);
    });
}

#[test]
fn spawn_blocking_panic_is_a_join_error() {
    within(LIMIT, || {
        let h = Tokio::spawn_blocking(|| -> u8 { panic!("blocking boom") });
        let err = plain_block_on(h).unwrap_err();
        assert!(err.is_panic());
        assert_eq!(
            *err.into_panic().downcast::<&str>().unwrap(),
            "blocking boom"
        );
    });
}

#[test]
fn block_on_works_inside_spawn_blocking() {
    within(LIMIT, || {
        let rt =
            Tokio::build(&RuntimeConfig::new().worker_threads(2).thread_name("own-rt")).unwrap();
        let rt_handle = rt.handle();
        let out = Tokio::block_on(async move {
            Tokio::spawn_blocking(move || {
                // tokio allows Handle::block_on on its blocking threads: the process-wide
                // runtime, another runtime, and the runtime this closure runs on.
                let a = Tokio::block_on(async {
                    Tokio::sleep(Duration::from_millis(1)).await;
                    1
                });
                let b = rt_handle.block_on(async { Tokio::spawn(async { 2 }).await.unwrap() });
                let c = anyrt_tokio::Handle::global().block_on(async { 3 });
                // Back in the blocking context afterwards.
                assert_eq!(
                    context::current(),
                    Some(ThreadContext::blocking_on(Backend::Tokio))
                );
                a + b + c
            })
            .await
            .unwrap()
        });
        assert_eq!(out, 6);

        // On the runtime's own blocking pool, blocking on that same runtime.
        let h = rt.handle();
        let out = rt.block_on(async move { rt_spawn_blocking_block_on(h).await });
        assert_eq!(out, 4);
    });
}

async fn rt_spawn_blocking_block_on(h: anyrt_tokio::Handle) -> i32 {
    let h2 = h.clone();
    h.spawn_blocking(move || {
        assert_eq!(thread_name().as_deref(), Some("own-rt"));
        h2.block_on(async { Tokio::spawn(async { 4 }).await.unwrap() })
    })
    .await
    .unwrap()
}

#[test]
fn contexts() {
    within(LIMIT, || {
        assert_eq!(context::current(), None);
        assert!(tokio::runtime::Handle::try_current().is_err());
        assert!(tokio::task::try_id().is_none());
        Tokio::block_on(async {
            assert_eq!(
                context::current(),
                Some(ThreadContext::async_on(Backend::Tokio))
            );
            // The body of a block_on is in tokio's context, but is not a tokio task.
            assert!(tokio::runtime::Handle::try_current().is_ok());
            assert!(tokio::task::try_id().is_none());
            let (ctx, native_ctx, native_task) = Tokio::spawn(async {
                (
                    context::current(),
                    tokio::runtime::Handle::try_current().is_ok(),
                    tokio::task::try_id().is_some(),
                )
            })
            .await
            .unwrap();
            assert_eq!(ctx, Some(ThreadContext::async_on(Backend::Tokio)));
            assert!(native_ctx);
            assert!(native_task);
            // tokio gives blocking closures a task id as well: in_native_task is true there,
            // and anyrt's own context (checked first) says blocking.
            let (ctx, native_task) =
                Tokio::spawn_blocking(|| (context::current(), tokio::task::try_id().is_some()))
                    .await
                    .unwrap();
            assert_eq!(ctx, Some(ThreadContext::blocking_on(Backend::Tokio)));
            assert!(native_task);
        });
        // Restored after block_on.
        assert_eq!(context::current(), None);
        assert!(tokio::runtime::Handle::try_current().is_err());
    });
}

#[test]
fn spawn_inside_block_on_goes_to_the_process_wide_runtime() {
    within(LIMIT, || {
        let name = Tokio::block_on(async { Tokio::spawn(async { thread_name() }).await.unwrap() });
        assert_eq!(name.as_deref(), Some("anyrt-tokio-worker"));
    });
}

#[test]
fn yield_now_yields_once() {
    // Outside any runtime: wakes itself, ready at the second poll.
    let mut y = anyrt_core::task::yield_now();
    let mut y = std::pin::Pin::new(&mut y);
    assert!(common::poll_once(y.as_mut()).is_pending());
    assert!(common::poll_once(y.as_mut()).is_ready());
    assert!(format!("{:?}", anyrt_core::task::yield_now()).contains("YieldNow"));

    // Inside a current-thread runtime, it lets another task run.
    within(LIMIT, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let f = flag.clone();
            let h = tokio::spawn(async move {
                f.store(true, std::sync::atomic::Ordering::SeqCst);
            });
            let mut spins = 0;
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                anyrt_core::task::yield_now().await;
                spins += 1;
                assert!(spins < 1000, "yield_now never let the other task run");
            }
            h.await.unwrap();
        });
    });
}

#[test]
fn spawn_local_works_in_block_on() {
    within(LIMIT, || {
        let out = Tokio::block_on(async {
            let rc = Rc::new(5);
            let rc2 = rc.clone();
            let h = try_spawn_local(async move {
                Tokio::sleep(Duration::from_millis(1)).await;
                *rc2 + 1
            })
            .unwrap();
            h.await.unwrap() + *rc
        });
        assert_eq!(out, 11);
    });
}

#[test]
fn spawn_local_works_in_runtime_block_on() {
    within(LIMIT, || {
        let rt = Tokio::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
        let out = rt.block_on(async {
            let rc = Rc::new(1);
            let inner = try_spawn_local(async move {
                // Nested: a local task spawning a local task.
                let h = try_spawn_local(async move { *rc + 1 }).unwrap();
                h.await.unwrap()
            })
            .unwrap();
            inner.await.unwrap()
        });
        assert_eq!(out, 2);
        let out = rt
            .handle()
            .block_on(async { try_spawn_local(async { 3 }).unwrap().await.unwrap() });
        assert_eq!(out, 3);
    });
}

#[test]
#[allow(clippy::async_yields_async)] // the handle is returned on purpose, to await it later
fn pending_local_tasks_are_cancelled_when_block_on_returns() {
    within(LIMIT, || {
        let (tx, rx) = mpsc::channel();
        let h = Tokio::block_on(async move {
            let h = try_spawn_local(async move {
                let _signal = DropSignal(tx);
                std::future::pending::<u8>().await
            })
            .unwrap();
            // Let it start.
            anyrt_core::task::yield_now().await;
            h
        });
        rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(plain_block_on(h).unwrap_err().is_cancelled());

        let rt = Tokio::build(&RuntimeConfig::new()).unwrap();
        let h = rt.block_on(async { try_spawn_local(std::future::pending::<u8>()).unwrap() });
        assert!(plain_block_on(h).unwrap_err().is_cancelled());
    });
}

#[test]
fn spawn_local_fails_outside_a_local_scope() {
    within(LIMIT, || {
        assert!(try_spawn_local(async {}).is_err());
        let inside_task = Tokio::block_on(async {
            Tokio::spawn(async { try_spawn_local(async {}).is_err() })
                .await
                .unwrap()
        });
        assert!(inside_task);
    });
}

#[test]
fn join_handle_is_cancel_safe() {
    within(LIMIT, || {
        Tokio::block_on(async {
            let mut h = Tokio::spawn(async {
                Tokio::sleep(Duration::from_millis(20)).await;
                8
            });
            // Polling and dropping the await does not affect the task.
            assert!(poll_once_owned(&mut h).is_pending());
            assert_eq!(h.await.unwrap(), 8);
        });
    });
}

#[test]
fn coop_hook_spends_the_tokio_budget() {
    within(LIMIT, || {
        // Installed with the process-wide runtime; inside a tokio task, anyrt's budget check
        // is tokio's: it says Pending once the task's budget is spent.
        let readies = Tokio::block_on(async {
            Tokio::spawn(std::future::poll_fn(|cx| {
                let mut n = 0u32;
                while anyrt_core::coop::poll_proceed(cx).is_ready() {
                    n += 1;
                    assert!(n <= 10_000, "the budget never ran out");
                }
                std::task::Poll::Ready(n)
            }))
            .await
            .unwrap()
        });
        assert!((1..=128).contains(&readies), "{readies}");
        // Outside any task there is no budget: always ready.
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        for _ in 0..1000 {
            assert!(anyrt_core::coop::poll_proceed(&mut cx).is_ready());
        }
    });
}
