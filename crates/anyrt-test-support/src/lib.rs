//! What anyrt's own tests and benches repeat, written once: bounded waits that turn a
//! deadlock into a failure ([`within_thread`], [`block_on_within`]), drop probes
//! ([`DropFlag`], [`DropSignal`]) and a counting global allocator ([`alloc`]).
//!
//! It depends on `anyrt-core` only, so that the backend crates' tests can use it as well
//! as the facade's.

pub mod alloc;

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use anyrt_core::Provider;

/// The bound on a test's wait: far above what any correct run needs, far below a CI
/// timeout.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Runs `f` on a fresh plain thread and fails if it takes longer than `limit`: a deadlock
/// fails the test instead of hanging it. A panic in `f` is resumed here.
pub fn within_thread<T, F>(limit: Duration, f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name("test-body".into())
        .spawn(move || {
            let _ = tx.send(panic::catch_unwind(AssertUnwindSafe(f)));
        })
        .expect("spawn the test body's thread");
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => v,
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) => panic!("timed out after {limit:?} (a deadlock?)"),
    }
}

/// Awaits `f` on the calling thread with a `block_on` that knows nothing of anyrt (a plain
/// thread stays plain), bounded by [`LIMIT`] on `P`'s timer.
#[track_caller]
pub fn block_on_within<P: Provider, F: Future>(f: F) -> F::Output {
    match plain_block_on(P::timeout(LIMIT, f)) {
        Ok(v) => v,
        Err(_) => panic!("timed out after {LIMIT:?} (a deadlock?)"),
    }
}

/// Awaits `f` on the calling thread with futures-lite's `block_on`: no runtime at all.
pub fn plain_block_on<F: Future>(f: F) -> F::Output {
    futures_lite::future::block_on(f)
}

/// Sets a flag when dropped: put one into a task to see that its future was dropped.
#[derive(Debug)]
pub struct DropFlag(pub Arc<AtomicBool>);

impl DropFlag {
    /// A guard and the flag it sets when dropped.
    pub fn new() -> (DropFlag, Arc<AtomicBool>) {
        let flag = Arc::new(AtomicBool::new(false));
        (DropFlag(flag.clone()), flag)
    }
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Sends `()` on its channel when dropped: a drop that another thread waits for.
#[derive(Debug)]
pub struct DropSignal(pub mpsc::Sender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// The name of the calling thread.
pub fn thread_name() -> Option<String> {
    thread::current().name().map(str::to_owned)
}
