//! Running a future to completion from sync code.

use std::future::Future;

use anyrt_core::select::blocking_backend;

/// Runs a future to completion on the calling thread, on the selected backend.
///
/// Spawns inside it go to that backend's runtime, and [`spawn_local`](crate::spawn_local)
/// works inside it.
///
/// ```
/// let v = anyrt::block_on(async { 1 + 1 });
/// assert_eq!(v, 2);
///
/// // From async code, hand the blocking part to `spawn_blocking`: `block_on` works there.
/// let v = anyrt::block_on(async {
///     anyrt::spawn_blocking(|| anyrt::block_on(async { 3 })).await.unwrap()
/// });
/// assert_eq!(v, 3);
/// ```
///
/// # Panics
///
/// Inside async code (an anyrt task or `block_on`, an async-std task, a tokio task), with a
/// message naming [`spawn_blocking`](crate::spawn_blocking), on every backend: blocking
/// there would stall the runtime or deadlock. [`try_block_on`] returns the error instead.
/// On tokio the test is "inside a tokio runtime context", which also covers the body of a
/// tokio `block_on` (`#[tokio::main]`, where tokio itself would panic), the closures of
/// tokio's own `spawn_blocking` and a `Runtime::enter` guard: use anyrt's
/// [`spawn_blocking`](crate::spawn_blocking) for blocking code. Inside a foreign smol or
/// `futures` executor anyrt cannot tell, and blocks.
#[track_caller]
#[inline]
pub fn block_on<F: Future>(future: F) -> F::Output {
    match try_block_on(future) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

/// Like [`block_on`], returning [`BlockOnError`](crate::BlockOnError) inside async code
/// instead of panicking.
///
/// ```
/// assert_eq!(anyrt::try_block_on(async { 1 }).unwrap(), 1); // sync code: runs it
/// anyrt::block_on(async {
///     assert!(anyrt::try_block_on(async {}).is_err()); // async code: refused
/// });
/// ```
#[inline]
pub fn try_block_on<F: Future>(future: F) -> Result<F::Output, anyrt_core::BlockOnError> {
    let backend = blocking_backend()?;
    Ok(dispatch!(backend, P => P::block_on(future)))
}
