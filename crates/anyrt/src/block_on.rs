//! Running a future to completion from sync code.

use std::fmt;
use std::future::Future;

use anyrt_core::context::{self, ContextKind};

use crate::Backend;

/// The error of [`try_block_on`]: the caller is async code, where blocking the thread would
/// stall its runtime or deadlock.
///
/// ```
/// anyrt::block_on(async {
///     let err = anyrt::try_block_on(async {}).unwrap_err();
///     assert_eq!(err.backend, anyrt::Backend::current());
///     assert!(err.to_string().contains("spawn_blocking")); // the way out
/// });
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BlockOnError {
    /// The runtime the caller is inside.
    pub backend: Option<Backend>,
}

impl fmt::Display for BlockOnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        anyrt_core::BlockOnError::new(self.backend.map(Into::into)).fmt(f)
    }
}

impl std::error::Error for BlockOnError {}

/// `Err` where blocking is refused: anyrt's own async code, an async-std task, a tokio
/// runtime context (a task, or the body of a foreign tokio `block_on`, which is no task and
/// where tokio would panic with its own message). Otherwise the backend a `block_on` here
/// runs on. One thread-local read inside anyrt; one probe of the foreign runtimes outside.
#[inline]
pub(crate) fn blocking_backend() -> Result<anyrt_core::Backend, BlockOnError> {
    let refused = match context::current() {
        Some(ctx) if ctx.kind == ContextKind::Async => ctx.backend,
        Some(ctx) => return Ok(ctx.backend),
        None => match crate::backend::foreign_context() {
            Some(b) => b,
            None => return Ok(crate::backend::default_backend()),
        },
    };
    Err(BlockOnError {
        backend: Some(refused.into()),
    })
}

/// `Err` where blocking is refused (see [`blocking_backend`]).
#[inline]
pub(crate) fn check_can_block() -> Result<(), BlockOnError> {
    blocking_backend().map(drop)
}

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

/// Like [`block_on`], returning [`BlockOnError`] inside async code instead of panicking.
///
/// ```
/// assert_eq!(anyrt::try_block_on(async { 1 }).unwrap(), 1); // sync code: runs it
/// anyrt::block_on(async {
///     assert!(anyrt::try_block_on(async {}).is_err()); // async code: refused
/// });
/// ```
#[inline]
pub fn try_block_on<F: Future>(future: F) -> Result<F::Output, BlockOnError> {
    let backend = blocking_backend()?;
    Ok(dispatch!(backend, rt => rt::block_on(future)))
}
