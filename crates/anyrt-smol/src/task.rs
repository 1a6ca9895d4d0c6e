//! Spawning onto the runtime the calling thread is inside.

use std::future::Future;

use anyrt_core::task::JoinHandle;

use crate::runtime::Smol;

/// Spawns a task onto the anyrt-smol runtime the calling thread is inside (a `Runtime`'s
/// worker or `block_on`, or a blocking closure it runs), else onto the process-wide runtime,
/// started lazily once with one worker thread per CPU (or the executor given to
/// [`set_global_executor`](crate::set_global_executor)). Never panics for lack of a runtime.
///
/// Dropping the handle detaches the task (smol's own `Task` would cancel it). No allocation
/// beyond the executor's own task.
#[inline]
pub(crate) fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    anyrt_executor::spawn_current::<Smol, F>(future)
}

/// Runs `f` on the `blocking` crate's thread pool (the one smol uses), with this backend's
/// blocking context entered (so `block_on` works inside it); spawns inside it go to the
/// runtime that `spawn_blocking` was called in. `abort` never stops the closure.
pub(crate) fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    anyrt_executor::spawn_blocking_current::<Smol, F, R>(f)
}
