//! [`block_on`]: running a future to completion on the calling thread.

use std::future::Future;

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::local;
use anyrt_core::Backend;

use crate::global;
use crate::owned::{self, RuntimeId};

/// Runs `future` to completion on the calling thread, with the process-wide tokio runtime's
/// context entered: tasks it spawns go to that runtime, and its timers are that runtime's.
///
/// Inside it, anyrt's thread context says "async on tokio", and `spawn_local` works
/// (`anyrt_core::task::local::try_spawn_local`); local tasks still pending when it returns
/// are dropped.
///
/// This does **not** check whether blocking is allowed here: the `anyrt` facade does, before
/// it calls this. Called where tokio forbids it (inside a tokio task or another tokio
/// `block_on`), it panics with tokio's message. It works inside a blocking closure.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    block_on_with(global::global().handle(), None, future)
}

/// `block_on` of a current-thread runtime `rt` (the one that runs its tasks), identified by
/// `id`: as [`block_on_with`], through the runtime rather than a handle.
pub(crate) fn block_on_runtime<F: Future>(
    rt: &tokio::runtime::Runtime,
    id: Option<RuntimeId>,
    future: F,
) -> F::Output {
    let _ctx = context::enter(ThreadContext::async_on(Backend::Tokio));
    let _rt = owned::enter_thread_runtime(id);
    local::scope(future, |f| rt.block_on(f))
}

/// `block_on` through `handle`, the runtime identified by `id` (`None`: one that anyrt does
/// not own or the process-wide one): the local scope innermost, anyrt's async context held
/// throughout.
pub(crate) fn block_on_with<F: Future>(
    handle: &tokio::runtime::Handle,
    id: Option<RuntimeId>,
    future: F,
) -> F::Output {
    let _ctx = context::enter(ThreadContext::async_on(Backend::Tokio));
    // Sleeps made in the future are on `handle`'s timer: they must know whose it is.
    let _rt = owned::enter_thread_runtime(id);
    // Every anyrt runtime is multi-thread: `Handle::block_on` polls the future here while
    // the worker threads drive IO and timers, exactly like `Runtime::block_on`.
    local::scope(future, |f| handle.block_on(f))
}
