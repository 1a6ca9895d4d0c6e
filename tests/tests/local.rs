//! `spawn_local`: where it works (inside `block_on`, `Runtime::block_on`, `#[anyrt::test]`,
//! tasks spawned by `spawn_local`), what happens to local tasks still pending when that
//! `block_on` returns, and the one clear error everywhere else.
//!
//! Semantics row pinned here: "spawn_local".

// Everything here needs a backend; a build with none runs only features.rs.
#![cfg(feature = "_backend")]
// Some tests carry a JoinHandle out of a block_on on purpose, to see what became of its task.
#![allow(clippy::async_yields_async)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyrt::task::JoinHandle;
use anyrt::{Backend, Runtime};
use anyrt_tests::*;

/// The error message of `spawn_local` outside a local context, taken on a plain thread.
fn reference_message() -> String {
    on_plain_thread("try_spawn_local", || {
        anyrt::try_spawn_local(async {}).unwrap_err().to_string()
    })
}

fn assert_clear_message(msg: &str) {
    assert!(
        msg.contains("spawn_local"),
        "does not name spawn_local: {msg}"
    );
    assert!(
        msg.contains("block_on"),
        "does not say where spawn_local works: {msg}"
    );
}

// --- where it works ------------------------------------------------------------------------

#[anyrt::test]
async fn spawn_local_works_in_anyrt_test() {
    let counter = Rc::new(Cell::new(0));
    let c = counter.clone();
    let h = anyrt::spawn_local(async move {
        anyrt::task::yield_now().await;
        c.set(c.get() + 1);
        Rc::strong_count(&c)
    });
    assert_eq!(within("the local task", h).await.unwrap(), 2);
    assert_eq!(counter.get(), 1);
}

#[anyrt::test]
async fn spawn_local_runs_on_the_calling_thread() {
    let here = std::thread::current().id();
    let h = anyrt::spawn_local(async { std::thread::current().id() });
    assert_eq!(within("the local task", h).await.unwrap(), here);
}

#[anyrt::test]
async fn spawn_local_task_can_sleep_and_use_timers() {
    let rc = Rc::new(RefCell::new(Vec::new()));
    let r = rc.clone();
    let h = anyrt::spawn_local(async move {
        for i in 0..3 {
            anyrt::time::sleep(Duration::from_millis(2)).await;
            r.borrow_mut().push(i);
        }
    });
    within("the local task", h).await.unwrap();
    assert_eq!(*rc.borrow(), vec![0, 1, 2]);
}

#[anyrt::test]
async fn try_spawn_local_is_ok_in_a_local_context() {
    let h = anyrt::try_spawn_local(async { Rc::new(3) }).expect("a local context");
    assert_eq!(*within("the local task", h).await.unwrap(), 3);
}

#[anyrt::test]
async fn spawn_local_nested_in_local_tasks() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let h = anyrt::spawn_local(async move {
        l.borrow_mut().push("outer");
        let l2 = l.clone();
        let inner = anyrt::spawn_local(async move {
            l2.borrow_mut().push("inner");
            let l3 = l2.clone();
            anyrt::spawn_local(async move { l3.borrow_mut().push("innermost") })
                .await
                .unwrap();
        });
        inner.await.unwrap();
    });
    within("nested local tasks", h).await.unwrap();
    assert_eq!(*log.borrow(), vec!["outer", "inner", "innermost"]);
}

#[anyrt::test]
async fn local_tasks_run_without_being_awaited() {
    let done = Rc::new(Cell::new(false));
    let d = done.clone();
    drop(anyrt::spawn_local(async move {
        anyrt::task::yield_now().await;
        d.set(true);
    }));
    eventually("a detached local task", || done.get()).await;
}

#[anyrt::test]
async fn local_task_panic_gives_is_panic() {
    let h = anyrt::spawn_local(async {
        let _not_send = Rc::new(());
        panic!("local boom");
    });
    let err = within("the local task", h).await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(panic_message(&*err.into_panic()), "local boom");
    // The local executor keeps working.
    let h = anyrt::spawn_local(async { 1 });
    assert_eq!(within("another local task", h).await.unwrap(), 1);
}

#[anyrt::test]
async fn local_task_abort_gives_is_cancelled() {
    let flag = DropFlag::new();
    let mut h = anyrt::spawn_local(pending_with(flag.guard()));
    anyrt::task::yield_now().await;
    h.abort();
    assert!(within("the aborted local task", h)
        .await
        .unwrap_err()
        .is_cancelled());
    flag.wait_async("the aborted local task to be dropped")
        .await;
}

#[anyrt::test]
async fn local_task_can_wait_for_a_spawned_task() {
    let h = anyrt::spawn_local(async {
        let rc = Rc::new(5);
        let v = anyrt::spawn(async { 10 }).await.unwrap();
        *rc + v
    });
    assert_eq!(within("the local task", h).await.unwrap(), 15);
}

per_backend! {
    fn spawn_local_works_in_runtime_block_on(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let v = rt.block_on(async {
            let rc = Rc::new(Cell::new(1));
            let r = rc.clone();
            let h = anyrt::spawn_local(async move {
                anyrt::time::sleep(Duration::from_millis(1)).await;
                r.set(r.get() * 10);
            });
            within("the local task", h).await.unwrap();
            rc.get()
        });
        assert_eq!(v, 10);
    }
}

per_backend! {
    fn spawn_local_works_in_anyrt_block_on_inside_spawn_blocking(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let v = rt.block_on(async {
            let h = anyrt::spawn_blocking(|| {
                anyrt::block_on(async {
                    let rc = Rc::new(2);
                    anyrt::spawn_local(async move { *rc * 3 }).await.unwrap()
                })
            });
            within("spawn_blocking", h).await.unwrap()
        });
        assert_eq!(v, 6);
    }
}

#[test]
fn spawn_local_works_in_anyrt_block_on_from_a_plain_thread() {
    let v = on_plain_thread("block_on", || {
        anyrt::block_on(async {
            let rc = Rc::new(Cell::new(0));
            let r = rc.clone();
            let h = anyrt::spawn_local(async move {
                anyrt::task::yield_now().await;
                r.set(4);
            });
            within("the local task", h).await.unwrap();
            rc.get()
        })
    });
    assert_eq!(v, 4);
}

// --- local tasks still pending when block_on returns are dropped ------------------------

per_backend! {
    fn pending_local_tasks_are_cancelled_when_block_on_returns(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let started = DropFlag::new();
        let flag = DropFlag::new();
        let (g, sg) = (flag.guard(), started.guard());
        let h: JoinHandle<()> = rt.block_on(async move {
            let h = anyrt::spawn_local(async move {
                drop(sg);
                pending_with(g).await
            });
            started.wait_async("the local task to start").await;
            h
        });
        assert!(flag.is_dropped(), "a pending local task outlived its block_on");
        let err = wait_plain("the cancelled local task", h).unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
    }
}

per_backend! {
    fn unpolled_local_tasks_are_cancelled_when_block_on_returns(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let h: JoinHandle<()> = rt.block_on(async move {
            anyrt::spawn_local(async move { r.store(true, Ordering::SeqCst) })
        });
        let res = wait_plain("the local task's handle", h);
        // Either it ran before block_on returned, or it was dropped unrun: never left behind.
        match res {
            Ok(()) => assert!(ran.load(Ordering::SeqCst)),
            Err(e) => {
                assert!(e.is_cancelled(), "{e:?}");
                assert!(!ran.load(Ordering::SeqCst));
            }
        }
        // And nothing runs it later.
        std::thread::sleep(Duration::from_millis(20));
        let after = ran.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(after, ran.load(Ordering::SeqCst));
    }
}

per_backend! {
    fn local_tasks_do_not_leak_into_the_next_block_on(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let flag = DropFlag::new();
        let g = flag.guard();
        rt.block_on(async move {
            drop(anyrt::spawn_local(pending_with(g)));
            anyrt::task::yield_now().await;
        });
        assert!(flag.is_dropped());
        // A second block_on on the same thread starts with a fresh local executor.
        let v = rt.block_on(async {
            anyrt::spawn_local(async { Rc::new(8) }).await.unwrap()
        });
        assert_eq!(*v, 8);
    }
}

per_backend! {
    fn pending_local_tasks_are_cancelled_when_block_on_unwinds(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let flag = DropFlag::new();
        let g = flag.guard();
        let handle = Rc::new(RefCell::new(None));
        let out = handle.clone();
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async move {
                *out.borrow_mut() = Some(anyrt::spawn_local(pending_with(g)));
                anyrt::task::yield_now().await;
                panic!("the block_on's future panics");
            })
        }));
        assert!(res.is_err());
        assert!(flag.is_dropped(), "a pending local task outlived a block_on that panicked");
        let h: JoinHandle<()> = handle.borrow_mut().take().unwrap();
        assert!(wait_plain("the cancelled local task", h).unwrap_err().is_cancelled());
        // The thread's next block_on has a local executor of its own.
        let v = rt.block_on(async { anyrt::spawn_local(async { 5 }).await.unwrap() });
        assert_eq!(v, 5);
    }
}

#[test]
fn pending_local_tasks_are_cancelled_when_anyrt_block_on_returns() {
    let flag = DropFlag::new();
    let f = flag.clone();
    let h = on_plain_thread("block_on", move || {
        anyrt::block_on(async move {
            let h = anyrt::spawn_local(pending_with(f.guard()));
            anyrt::task::yield_now().await;
            h
        })
    });
    assert!(flag.is_dropped());
    assert!(wait_plain("the handle", h).unwrap_err().is_cancelled());
}

// --- everywhere else: the same clear error ---------------------------------------------

#[test]
fn try_spawn_local_on_a_plain_thread_errors_clearly() {
    let msg = reference_message();
    assert_clear_message(&msg);
    let err = on_plain_thread("try_spawn_local", || {
        anyrt::try_spawn_local(async {}).unwrap_err()
    });
    let _: &dyn std::error::Error = &err;
    assert_eq!(format!("{err}"), msg);
    let _ = format!("{err:?}");
}

#[test]
fn spawn_local_on_a_plain_thread_panics_with_the_same_message() {
    let reference = reference_message();
    let panicked = on_plain_thread("spawn_local", || {
        catch_panic(|| drop(anyrt::spawn_local(async {}))).unwrap_err()
    });
    assert!(
        panicked.contains(&reference),
        "panic message {panicked:?} does not carry the error {reference:?}"
    );
}

#[anyrt::test]
async fn spawn_local_inside_a_spawned_task_errors_the_same_way() {
    let reference = reference_message();
    let (err, panicked) = within(
        "the task",
        anyrt::spawn(async {
            let err = anyrt::try_spawn_local(async {})
                .map(drop)
                .unwrap_err()
                .to_string();
            let panicked = catch_panic(|| drop(anyrt::spawn_local(async {}))).unwrap_err();
            (err, panicked)
        }),
    )
    .await
    .unwrap();
    assert_eq!(
        err,
        reference,
        "try_spawn_local in a task on {:?}",
        Backend::current()
    );
    assert!(
        panicked.contains(&reference),
        "spawn_local in a task on {:?}: {panicked:?}",
        Backend::current()
    );
}

#[anyrt::test(worker_threads = 1)]
async fn spawn_local_inside_a_spawned_task_errors_even_after_a_yield() {
    let reference = reference_message();
    let hs: Vec<_> = (0..4)
        .map(|_| {
            anyrt::spawn(async {
                anyrt::task::yield_now().await;
                anyrt::time::sleep(Duration::from_millis(1)).await;
                anyrt::try_spawn_local(async {})
                    .map(drop)
                    .unwrap_err()
                    .to_string()
            })
        })
        .collect();
    for h in hs {
        assert_eq!(within("the task", h).await.unwrap(), reference);
    }
}

#[anyrt::test]
async fn spawn_local_inside_spawn_blocking_errors_the_same_way() {
    let reference = reference_message();
    let err = within(
        "the closure",
        anyrt::spawn_blocking(|| {
            anyrt::try_spawn_local(async {})
                .map(drop)
                .unwrap_err()
                .to_string()
        }),
    )
    .await
    .unwrap();
    assert_eq!(err, reference);
}

per_backend! {
    fn spawn_local_inside_runtime_spawn_errors_the_same_way(b: Backend) {
        let reference = reference_message();
        let rt = Runtime::new(b).unwrap();
        let h = rt.spawn(async {
            anyrt::try_spawn_local(async {}).map(drop).unwrap_err().to_string()
        });
        let err = rt.block_on(within("the task", h)).unwrap();
        assert_eq!(err, reference);
    }
}

#[test]
fn spawn_local_in_a_foreign_futures_executor_errors() {
    // futures' executor is not a local context anyrt knows.
    let reference = reference_message();
    let err = wait_plain("futures::executor::block_on", async {
        anyrt::try_spawn_local(async {})
            .map(drop)
            .unwrap_err()
            .to_string()
    });
    assert_eq!(err, reference);
}
