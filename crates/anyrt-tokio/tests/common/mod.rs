//! Helpers shared by the test binaries.
#![allow(dead_code)]

use std::future::Future;
use std::pin::pin;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

/// Runs `f` on a fresh plain thread and fails if it takes longer than `limit`: a deadlock
/// fails the test instead of hanging it. Panics of `f` are propagated.
pub(crate) fn within<T, F>(limit: Duration, f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let t = thread::Builder::new()
        .name("test-body".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    match rx.recv_timeout(limit) {
        Ok(v) => {
            t.join().unwrap();
            v
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match t.join() {
            Err(p) => std::panic::resume_unwind(p),
            Ok(()) => unreachable!("the body neither returned nor panicked"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("timed out after {limit:?} (deadlock?)"),
    }
}

/// Awaits `f` on the calling thread with no runtime at all (futures-lite's block_on).
pub(crate) fn plain_block_on<F: Future>(f: F) -> F::Output {
    futures_lite::future::block_on(f)
}

/// Polls `f` once with a no-op waker.
pub(crate) fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls an unpinned future once.
pub(crate) fn poll_once_owned<F: Future>(f: F) -> Poll<F::Output> {
    let f = pin!(f);
    poll_once(f)
}

/// The name of the calling thread.
pub(crate) fn thread_name() -> Option<String> {
    thread::current().name().map(str::to_owned)
}

/// Sends a message when dropped: tells whether a task's future was dropped.
pub(crate) struct DropSignal(pub(crate) mpsc::Sender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

pub(crate) const LIMIT: Duration = Duration::from_secs(20);
