//! `block_on` and `try_block_on`: from sync code it runs the future on the selected backend;
//! inside async code anyrt can see (its own tasks and `block_on`, async-std tasks, tokio
//! tasks) `try_block_on` errs and `block_on` panics with a message naming `spawn_blocking`;
//! inside `spawn_blocking` it works.
//!
//! Semantics rows pinned here: "block_on from sync code", "block_on inside anyrt's own tasks
//! or block_on, inside async-std tasks, inside tokio tasks".

// Everything here needs a backend; a build with none runs only features.rs.
#![cfg(feature = "_backend")]

use std::time::Duration;

use anyrt::{Backend, BlockOnError, Runtime};
use anyrt_tests::*;

fn assert_names_spawn_blocking(msg: &str) {
    assert!(
        msg.contains("spawn_blocking"),
        "the message does not name spawn_blocking: {msg}"
    );
    // Never a backend's own message.
    for native in [
        "Cannot start a runtime from within a runtime",
        "Cannot block the current thread",
        "there is no reactor running",
    ] {
        assert!(!msg.contains(native), "a native message leaked: {msg}");
    }
}

/// The three ways of blocking on a future that must all refuse inside async code: the result
/// of `try_block_on`, the panic of `block_on`.
fn block_on_attempts() -> (Result<u8, BlockOnError>, Result<u8, String>) {
    let tried = anyrt::try_block_on(async { 1u8 });
    let panicked = catch_panic(|| anyrt::block_on(async { 2u8 }));
    (tried, panicked)
}

fn assert_refused(where_: &str, (tried, panicked): (Result<u8, BlockOnError>, Result<u8, String>)) {
    let err = tried.expect_err(&format!("try_block_on {where_} gave Ok"));
    assert_names_spawn_blocking(&err.to_string());
    let msg = panicked.expect_err(&format!("block_on {where_} did not panic"));
    assert_names_spawn_blocking(&msg);
}

// --- from sync code ----------------------------------------------------------------------

#[test]
fn block_on_from_sync_code_runs_the_future() {
    let v = on_plain_thread("block_on", || {
        anyrt::block_on(async {
            anyrt::time::sleep(Duration::from_millis(2)).await;
            let h = anyrt::spawn(async { 40 });
            h.await.unwrap() + 2
        })
    });
    assert_eq!(v, 42);
}

#[test]
fn block_on_from_sync_code_uses_the_selected_backend() {
    let (selected, inside, in_task) = on_plain_thread("block_on", || {
        let selected = Backend::selected();
        let (inside, in_task) = anyrt::block_on(async {
            let in_task = anyrt::spawn(async { Backend::current() }).await.unwrap();
            (Backend::current(), in_task)
        });
        (selected, inside, in_task)
    });
    assert_eq!(selected, expected_default_backend());
    assert_eq!(inside, Some(selected));
    assert_eq!(in_task, Some(selected));
}

#[test]
fn try_block_on_from_sync_code_is_ok() {
    let v = on_plain_thread("try_block_on", || anyrt::try_block_on(async { 3 }));
    assert_eq!(v.unwrap(), 3);
}

#[test]
fn block_on_from_many_plain_threads_at_once() {
    let (tx, rx) = std::sync::mpsc::channel();
    for i in 0..8u64 {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let v = anyrt::block_on(async move {
                anyrt::time::sleep(Duration::from_millis(5)).await;
                anyrt::spawn(async move { i * 2 }).await.unwrap()
            });
            tx.send(v).unwrap();
        });
    }
    let sum: u64 = (0..8)
        .map(|_| {
            rx.recv_timeout(WAIT)
                .expect("every thread's block_on to return")
        })
        .sum();
    assert_eq!(sum, (0..8).map(|i| i * 2).sum());
}

#[test]
fn block_on_twice_in_a_row_on_one_thread() {
    let v = on_plain_thread("block_on", || {
        let a = anyrt::block_on(async { 1 });
        let b = anyrt::block_on(async { anyrt::spawn(async { 2 }).await.unwrap() });
        a + b
    });
    assert_eq!(v, 3);
}

per_backend! {
    fn runtime_block_on_runs_the_future(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let v = rt.block_on(async {
            anyrt::time::sleep(Duration::from_millis(1)).await;
            (Backend::current(), anyrt::spawn(async { 5 }).await.unwrap())
        });
        assert_eq!(v, (Some(b), 5));
        // Again, on the same runtime.
        assert_eq!(rt.block_on(async { 6 }), 6);
    }
}

// --- a future pending at its first poll ----------------------------------------------------
//
// A future ready at its first poll may return before the backend's machinery (smol's reactor)
// is reached; one that is pending must still be woken by the waker of its latest poll,
// whichever waker its first poll got.

/// Pending at the first `rounds` polls, each time waking the waker it was given before
/// returning (a `yield_now` that wakes during its own poll).
fn woken_in_its_own_poll(rounds: u32) -> impl std::future::Future<Output = u32> {
    let mut polls = 0;
    std::future::poll_fn(move |cx| {
        polls += 1;
        if polls <= rounds {
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(polls)
        }
    })
}

/// Pending until a thread started at the first poll sets a flag, then wakes the waker stored
/// by the latest poll (as the `Future` contract asks of every future).
fn woken_from_another_thread() -> impl std::future::Future<Output = &'static str> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let done = Arc::new(AtomicBool::new(false));
    let waker: Arc<Mutex<Option<std::task::Waker>>> = Arc::default();
    let mut started = false;
    std::future::poll_fn(move |cx| {
        *waker.lock().unwrap() = Some(cx.waker().clone());
        if done.load(Ordering::SeqCst) {
            return std::task::Poll::Ready("woken");
        }
        if !started {
            started = true;
            let (done, waker) = (done.clone(), waker.clone());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                done.store(true, Ordering::SeqCst);
                let w = waker.lock().unwrap().clone();
                w.expect("polled at least once").wake();
            });
        }
        std::task::Poll::Pending
    })
}

#[test]
fn block_on_of_a_future_pending_at_its_first_poll_completes() {
    let (own, other, local) = on_plain_thread("block_on", || {
        (
            anyrt::block_on(woken_in_its_own_poll(3)),
            anyrt::block_on(woken_from_another_thread()),
            anyrt::block_on(async {
                // A local task spawned by the first poll, which then waits for it.
                let h = anyrt::spawn_local(async {
                    anyrt::task::yield_now().await;
                    9
                });
                h.await.unwrap()
            }),
        )
    });
    assert_eq!((own, other, local), (4, "woken", 9));
}

per_backend! {
    fn runtime_block_on_of_a_future_pending_at_its_first_poll_completes(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let own = rt.block_on(woken_in_its_own_poll(3));
        let other = rt.block_on(woken_from_another_thread());
        let timer = rt.block_on(async {
            anyrt::time::sleep(Duration::from_millis(2)).await;
            "slept"
        });
        assert_eq!((own, other, timer), (4, "woken", "slept"));
        // Through a handle, on a plain thread (the handle's own `block_on`).
        let handle = rt.handle();
        let other = on_plain_thread("Handle::block_on", move || {
            handle.block_on(woken_from_another_thread())
        });
        assert_eq!(other, "woken");
    }
}

// --- inside async code: refused, with a message naming spawn_blocking -------------------

#[anyrt::test]
async fn block_on_inside_block_on_is_refused() {
    // The body of #[anyrt::test] runs inside Runtime::block_on.
    assert_refused("inside block_on", block_on_attempts());
}

#[anyrt::test]
async fn block_on_inside_a_task_is_refused() {
    let attempts = within("the task", anyrt::spawn(async { block_on_attempts() }))
        .await
        .unwrap();
    assert_refused("inside a task", attempts);
}

#[anyrt::test]
async fn block_on_inside_a_task_after_an_await_is_refused() {
    let attempts = within(
        "the task",
        anyrt::spawn(async {
            anyrt::time::sleep(Duration::from_millis(1)).await;
            block_on_attempts()
        }),
    )
    .await
    .unwrap();
    assert_refused("inside a task", attempts);
}

#[anyrt::test(worker_threads = 1)]
async fn block_on_inside_a_task_on_one_worker_is_refused_not_deadlocked() {
    let attempts = within("the task", anyrt::spawn(async { block_on_attempts() }))
        .await
        .unwrap();
    assert_refused("inside a task on a one-thread runtime", attempts);
}

#[anyrt::test]
async fn block_on_inside_a_local_task_is_refused() {
    let attempts = within(
        "the local task",
        anyrt::spawn_local(async { block_on_attempts() }),
    )
    .await
    .unwrap();
    assert_refused("inside a local task", attempts);
}

#[anyrt::test]
async fn runtime_block_on_inside_async_code_is_refused() {
    let b = Backend::current().expect("inside a runtime");
    let msg = within(
        "the task",
        anyrt::spawn(async move {
            let rt = Runtime::new(b).unwrap();
            let r = catch_panic(|| rt.block_on(async { 1 }));
            // Dropping a runtime inside async code must not panic either.
            drop(rt);
            r
        }),
    )
    .await
    .unwrap()
    .expect_err("Runtime::block_on inside a task did not panic");
    assert_names_spawn_blocking(&msg);
}

#[anyrt::test]
async fn block_on_error_is_an_error_that_says_what_to_do() {
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<BlockOnError>();
    let err = anyrt::try_block_on(async {}).unwrap_err();
    let msg = err.to_string();
    assert_names_spawn_blocking(&msg);
    assert!(msg.contains("await"), "does not suggest .await: {msg}");
}

/// The refusal reads the same on every backend: only the backend's name may differ.
#[test]
fn block_on_refusal_message_is_the_same_on_every_backend() {
    let mut seen: Vec<(Backend, String, String)> = Vec::new();
    for &b in Backend::enabled() {
        let rt = Runtime::new(b).unwrap();
        let (tried, panicked) = rt.block_on(async {
            within("the task", anyrt::spawn(async { block_on_attempts() }))
                .await
                .unwrap()
        });
        let normalise = |s: String| s.replace(&b.to_string(), "<backend>");
        seen.push((
            b,
            normalise(tried.unwrap_err().to_string()),
            normalise(panicked.unwrap_err()),
        ));
    }
    for w in seen.windows(2) {
        assert_eq!(w[0].1, w[1].1, "try_block_on: {:?} vs {:?}", w[0].0, w[1].0);
        assert_eq!(
            w[0].2, w[1].2,
            "block_on panic: {:?} vs {:?}",
            w[0].0, w[1].0
        );
    }
}

// --- inside spawn_blocking it works --------------------------------------------------------

#[anyrt::test]
async fn block_on_inside_spawn_blocking_works() {
    let outer = Backend::current();
    let (v, tried, inside) = within(
        "spawn_blocking",
        anyrt::spawn_blocking(|| {
            let v = anyrt::block_on(async {
                anyrt::time::sleep(Duration::from_millis(1)).await;
                anyrt::spawn(async { 7 }).await.unwrap()
            });
            let tried = anyrt::try_block_on(async { 8 }).map_err(|e| e.to_string());
            let inside = anyrt::block_on(async { Backend::current() });
            (v, tried, inside)
        }),
    )
    .await
    .unwrap();
    assert_eq!(v, 7);
    assert_eq!(tried, Ok(8));
    assert!(inside.is_some());
    assert_eq!(inside, outer, "block_on in spawn_blocking left its runtime");
}

#[anyrt::test]
async fn block_on_inside_spawn_blocking_inside_a_task_works() {
    let h = anyrt::spawn(async {
        anyrt::spawn_blocking(|| anyrt::block_on(async { 9 }))
            .await
            .unwrap()
    });
    assert_eq!(within("the task", h).await.unwrap(), 9);
}

per_backend! {
    fn block_on_inside_runtime_spawn_blocking_works(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let h = rt.spawn_blocking(|| anyrt::block_on(async { Backend::current() }));
        assert_eq!(rt.block_on(within("spawn_blocking", h)).unwrap(), Some(b));
    }
}

// --- foreign runtimes anyrt can see: tokio and async-std ------------------------------------

#[cfg(feature = "tokio")]
#[test]
fn block_on_inside_a_native_tokio_task_is_refused() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let attempts = rt.block_on(async {
        tokio::time::timeout(WAIT, tokio::spawn(async { block_on_attempts() }))
            .await
            .expect("bounded")
            .unwrap()
    });
    assert_refused("inside a native tokio task", attempts);
}

#[cfg(feature = "tokio")]
#[test]
fn block_on_inside_a_native_current_thread_tokio_task_is_refused() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let attempts = rt.block_on(async {
        tokio::time::timeout(WAIT, tokio::spawn(async { block_on_attempts() }))
            .await
            .expect("bounded")
            .unwrap()
    });
    assert_refused("inside a native current-thread tokio task", attempts);
}

#[cfg(feature = "tokio")]
#[test]
fn block_on_inside_native_tokio_block_on_is_refused() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let attempts = rt.block_on(async { block_on_attempts() });
    assert_refused("inside tokio's block_on", attempts);
}

/// The body of a `#[tokio::main]` (the attribute itself, both flavors): a ready future too,
/// which `block_on` could complete at its first poll, is refused before it is polled.
#[cfg(feature = "tokio")]
#[test]
fn block_on_inside_tokio_main_is_refused() {
    #[tokio::main]
    async fn multi_thread_main() -> (Result<u8, BlockOnError>, Result<u8, String>) {
        block_on_attempts()
    }
    #[tokio::main(flavor = "current_thread")]
    async fn current_thread_main() -> (Result<u8, BlockOnError>, Result<u8, String>) {
        block_on_attempts()
    }
    let polled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    #[tokio::main(flavor = "current_thread")]
    async fn polls(polled: std::sync::Arc<std::sync::atomic::AtomicBool>) -> bool {
        let flag = polled.clone();
        anyrt::try_block_on(async move { flag.store(true, std::sync::atomic::Ordering::SeqCst) })
            .is_err()
    }
    assert_refused(
        "inside #[tokio::main]",
        on_plain_thread("tokio main", multi_thread_main),
    );
    assert_refused(
        "inside #[tokio::main(flavor = \"current_thread\")]",
        on_plain_thread("tokio main", current_thread_main),
    );
    let flag = polled.clone();
    assert!(on_plain_thread("tokio main", move || polls(flag)));
    assert!(
        !polled.load(std::sync::atomic::Ordering::SeqCst),
        "the refused future was polled"
    );
}

#[cfg(feature = "async-std")]
#[test]
fn block_on_inside_a_native_async_std_task_is_refused() {
    let attempts = on_plain_thread("async-std", || {
        async_std::task::block_on(async {
            async_std::future::timeout(WAIT, async_std::task::spawn(async { block_on_attempts() }))
                .await
                .expect("bounded")
        })
    });
    assert_refused("inside a native async-std task", attempts);
}

#[cfg(feature = "async-std")]
#[test]
fn block_on_inside_native_async_std_block_on_is_refused() {
    let attempts = on_plain_thread("async-std", || {
        async_std::task::block_on(async { block_on_attempts() })
    });
    assert_refused("inside async-std's block_on", attempts);
}

/// A foreign smol or futures executor cannot be seen: `block_on` there just blocks (this is
/// the documented line). It must still work rather than fail oddly.
#[test]
fn block_on_inside_a_foreign_futures_executor_blocks() {
    let v = wait_plain("futures::executor::block_on", async {
        anyrt::try_block_on(async {
            anyrt::time::sleep(Duration::from_millis(1)).await;
            6
        })
        .map_err(|e| e.to_string())
    });
    assert_eq!(v, Ok(6));
}
