//! Running a future to completion from sync code.

use std::fmt;
use std::future::Future;

use anyrt_core::context::{self, ContextKind};

use crate::backend::select;
use crate::Backend;

/// The error of [`try_block_on`]: the caller is async code, where blocking the thread would
/// stall its runtime or deadlock.
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
/// runtime context (a task, or the body of a foreign tokio `block_on`).
#[inline]
pub(crate) fn check_can_block() -> Result<(), BlockOnError> {
    let refused = match context::current() {
        Some(ctx) => (ctx.kind == ContextKind::Async).then_some(ctx.backend),
        None => foreign_task(),
    };
    match refused {
        None => Ok(()),
        Some(b) => Err(BlockOnError {
            backend: Some(b.into()),
        }),
    }
}

#[cold]
fn foreign_task() -> Option<anyrt_core::Backend> {
    #[cfg(feature = "async-std")]
    if anyrt_async_std::in_native_task() {
        return Some(anyrt_core::Backend::AsyncStd);
    }
    // A tokio context, not only a tokio task: the body of a foreign `Runtime::block_on`
    // (`#[tokio::main]`) is no task, and tokio would panic there with its own message.
    #[cfg(feature = "tokio")]
    if anyrt_tokio::in_native_context() {
        return Some(anyrt_core::Backend::Tokio);
    }
    None
}

/// Runs a future to completion on the calling thread, on the selected backend.
///
/// Spawns inside it go to that backend's runtime, and [`spawn_local`](crate::spawn_local)
/// works inside it.
///
/// ```
/// let v = anyrt::block_on(async { 1 + 1 });
/// assert_eq!(v, 2);
/// ```
///
/// # Panics
///
/// Inside async code (an anyrt task or `block_on`, an async-std task, a tokio task), with a
/// message naming [`spawn_blocking`](crate::spawn_blocking), on every backend: blocking
/// there would stall the runtime or deadlock. [`try_block_on`] returns the error instead.
/// Inside a foreign smol or `futures` executor anyrt cannot tell, and blocks.
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    match try_block_on(future) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

/// Like [`block_on`], returning [`BlockOnError`] inside async code instead of panicking.
///
/// ```
/// anyrt::block_on(async {
///     assert!(anyrt::try_block_on(async {}).is_err());
/// });
/// ```
pub fn try_block_on<F: Future>(future: F) -> Result<F::Output, BlockOnError> {
    check_can_block()?;
    Ok(dispatch!(select(), rt => rt::block_on(future)))
}
