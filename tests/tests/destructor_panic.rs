//! Row "a task's destructor panics" (issue 10, item 1): at abort, at a runtime's shutdown,
//! and for a `spawn_local` task still pending when its `block_on` returns. The process, the
//! runtime and the caller go on, and awaiting the handle gives `is_panic()` with the payload
//! on every backend. Each case runs in a child process: async-task drops a future under an
//! abort-on-panic guard, so a regression aborts the process, which must not take the suite
//! with it.

use anyrt::channel::oneshot;
use anyrt::{Backend, Runtime};
use anyrt_tests::*;

struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("boom in a destructor");
    }
}

/// A task that holds a [`PanicOnDrop`] and never finishes; `started` is sent once it holds it.
async fn panicking_destructor(started: oneshot::Sender<()>) {
    let _guard = PanicOnDrop;
    let _ = started.send(());
    std::future::pending::<()>().await
}

/// Runs `body` in a child process (this test again, alone); the parent checks that the
/// child finished and printed `CHILD-OK`.
fn in_child(name: &str, body: impl FnOnce()) {
    if is_child() {
        body();
        println!("CHILD-OK");
        return;
    }
    let out = run_self(&[name, "--exact", "--nocapture"], &[]);
    assert!(
        out.success && out.stdout.contains("CHILD-OK"),
        "{name}: the child did not finish (an abort is a crash):\n{}",
        out.all()
    );
}

/// What the handle of an aborted or shut-down task gives on `b`: the destructor's panic.
/// (Before smol and async-std ran on anyrt's own executor, their `spawn` tasks gave
/// "cancelled": async-executor gives a task no room for the payload.)
fn check(b: Backend, err: anyrt::task::JoinError, local: bool) {
    assert!(err.is_panic(), "{b} (local: {local}): {err:?}");
    assert_eq!(
        panic_message(&*err.into_panic()),
        "boom in a destructor",
        "{b}"
    );
}

#[test]
fn at_abort_the_runtime_goes_on() {
    in_child("at_abort_the_runtime_goes_on", || {
        for &b in Backend::enabled() {
            let rt = Runtime::new(b).unwrap();
            rt.block_on(async {
                let (started, running) = oneshot::channel();
                let mut h = anyrt::spawn(panicking_destructor(started));
                within("the task to start", running).await.unwrap();
                h.abort();
                check(b, within("the aborted task", h).await.unwrap_err(), false);
                let later = within("a later task", anyrt::spawn(async { 1 })).await;
                assert_eq!(later.unwrap(), 1, "{b}");
            });
        }
    });
}

#[test]
fn at_shutdown_the_caller_goes_on() {
    in_child("at_shutdown_the_caller_goes_on", || {
        for &b in Backend::enabled() {
            let rt = Runtime::new(b).unwrap();
            let (started, running) = oneshot::channel();
            let h = rt.spawn(panicking_destructor(started));
            rt.block_on(async { within("the task to start", running).await.unwrap() });
            drop(rt); // neither panics nor aborts the process
            check(b, wait_plain("the dropped task", h).unwrap_err(), false);
        }
    });
}

#[test]
fn a_local_task_pending_when_its_block_on_returns() {
    in_child("a_local_task_pending_when_its_block_on_returns", || {
        for &b in Backend::enabled() {
            let rt = Runtime::new(b).unwrap();
            // The handle comes out of the `block_on` on purpose: awaited after it returned.
            #[allow(clippy::async_yields_async)]
            let h = rt.block_on(async {
                let (started, running) = oneshot::channel();
                let h = anyrt::spawn_local(panicking_destructor(started));
                within("the local task to start", running).await.unwrap();
                h // still pending: dropped when this block_on returns
            });
            check(
                b,
                wait_plain("the dropped local task", h).unwrap_err(),
                true,
            );
            // And aborted, inside its block_on.
            rt.block_on(async {
                let (started, running) = oneshot::channel();
                let mut h = anyrt::spawn_local(panicking_destructor(started));
                within("the local task to start", running).await.unwrap();
                h.abort();
                check(
                    b,
                    within("the aborted local task", h).await.unwrap_err(),
                    true,
                );
            });
        }
    });
}
