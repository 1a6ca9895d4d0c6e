//! Helpers shared by the tests of this crate.

#![allow(dead_code, unreachable_pub)]

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Runs `f` on a fresh plain thread and fails the test if it takes longer than `secs`
/// seconds (a deadlock fails instead of hanging). A panic in `f` is re-raised.
pub fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(panic::catch_unwind(AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(v)) => v,
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) => panic!("test timed out after {secs} s"),
    }
}

/// Awaits `fut` on the calling thread with `futures_lite`'s `block_on`, which knows nothing
/// of anyrt or async-std (a plain thread stays plain).
pub fn plain_block_on<F: std::future::Future>(fut: F) -> F::Output {
    futures_lite::future::block_on(fut)
}

/// Sends `()` on the channel when dropped: tells a test that a task's future was dropped.
pub struct DropSignal(pub mpsc::Sender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}
