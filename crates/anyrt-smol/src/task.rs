//! Spawning: [`spawn`], [`spawn_blocking`], [`yield_now`], and the native-context probes.

use std::future::Future;

use anyrt_core::task::JoinHandle;

pub use anyrt_core::task::YieldNow;

use crate::runtime::Smol;

/// Spawns a task onto the anyrt-smol runtime the calling thread is inside (a [`Runtime`]'s
/// worker or `block_on`, or a blocking closure it runs), else onto the process-wide runtime,
/// started lazily once with one worker thread per CPU (or the executor given to
/// [`set_global_executor`]). Never panics for lack of a runtime.
///
/// Dropping the handle detaches the task (smol's own `Task` would cancel it). No allocation
/// beyond the executor's own task.
///
/// ```
/// let task = anyrt_smol::spawn(async { 6 * 7 });
/// assert_eq!(anyrt_smol::block_on(task).unwrap(), 42);
/// ```
///
/// [`Runtime`]: crate::Runtime
/// [`set_global_executor`]: crate::set_global_executor
#[inline]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    anyrt_executor::spawn_current::<Smol, F>(future)
}

/// Runs `f` on the `blocking` crate's thread pool (the one smol uses).
///
/// Inside `f` the thread context is a blocking one of this backend, so `anyrt::block_on`
/// works there, and spawns go to the runtime that `spawn_blocking` was called in.
/// [`abort`](JoinHandle::abort) on the handle never stops the closure; a panic in it comes
/// back as a [`JoinError`](anyrt_core::task::JoinError) with `is_panic()`.
///
/// ```
/// let task = anyrt_smol::spawn_blocking(|| std::thread::current().name().is_some());
/// assert!(anyrt_smol::block_on(task).is_ok());
/// ```
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    anyrt_executor::spawn_blocking_current::<Smol, F, R>(f)
}

/// Yields once to the executor, letting other tasks run.
///
/// ```
/// anyrt_smol::block_on(anyrt_smol::yield_now());
/// ```
#[inline]
pub fn yield_now() -> YieldNow {
    anyrt_core::task::yield_now()
}

/// Whether the calling thread is inside a native smol runtime that anyrt did not start:
/// always `false`.
///
/// smol has no context to detect: an `async_executor::Executor` is a value that its owner
/// runs on threads of its choosing, and neither it nor async-io marks those threads. So
/// anyrt cannot see a foreign smol executor; an application that wants its own executor to
/// be anyrt's process-wide one hands it to [`set_global_executor`](crate::set_global_executor).
#[inline]
pub fn in_native_context() -> bool {
    false
}

/// Whether blocking is forbidden because the calling thread runs a native smol task: always
/// `false`, for the reason given at [`in_native_context`]. Inside a foreign smol executor's
/// task, `anyrt::block_on` cannot refuse to block.
#[inline]
pub fn in_native_task() -> bool {
    false
}
