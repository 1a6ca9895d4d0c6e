//! The runtimes anyrt can see from outside, and the one place in this crate that queries
//! them (the `tokio::sync` wrappers use tokio's `sync` feature, a library with no runtime).
//!
//! DESIGN's contract names two foreign runtimes: rule 1 of the selection rule (the calling
//! thread is inside an async-std task, a tokio task or a tokio runtime's context, started by
//! the application without anyrt), and the co-op budget, which is tokio's own budget in any
//! tokio runtime, anyrt's or not. Both are answered by querying those runtimes'
//! thread-locals, compiled in with the backend feature that names them (the backend crate
//! turns it on, and depends on that runtime anyway): nothing here starts or drives a
//! runtime, and a build without those backends has none of it.
//!
//! Why here and not behind [`Provider`](crate::Provider): the answer is needed before anyrt
//! has run any code of the backend (a library's first `anyrt::spawn` inside an
//! application's `#[tokio::main]`, a channel polled in a tokio task), and Rust has no
//! portable way for a backend crate to register a function before its first call.

#[cfg(any(feature = "tokio", feature = "async-std"))]
use crate::Backend;
#[cfg(feature = "tokio")]
use std::task::{Context, Poll};

/// Rule 1 past anyrt's own context: an async-std task, a tokio task, a tokio runtime
/// context, in that order (with their features). Out of line: inside anyrt's own runtimes
/// the selection never gets here.
#[cold]
pub(crate) fn context() -> Option<crate::Backend> {
    #[cfg(feature = "async-std")]
    if async_std::task::try_current().is_some() {
        return Some(Backend::AsyncStd);
    }
    #[cfg(feature = "tokio")]
    if tokio::runtime::Handle::try_current().is_ok() {
        return Some(Backend::Tokio);
    }
    None
}

/// One unit of tokio's budget (in a tokio runtime; always ready outside one).
#[cfg(feature = "tokio")]
#[inline]
pub(crate) fn spend_tokio(cx: &mut Context<'_>) -> Poll<()> {
    tokio::task::coop::poll_proceed(cx).map(|restore| restore.made_progress())
}

/// Without tokio there is no tokio budget to spend.
#[cfg(not(feature = "tokio"))]
#[inline]
pub(crate) fn spend_tokio(_: &mut std::task::Context<'_>) -> std::task::Poll<()> {
    std::task::Poll::Ready(())
}

/// tokio's yield has no state but "polled once": its first poll hands the waker to the
/// scheduler's deferred list (or wakes it outside a runtime) and pends. Polling a fresh one
/// once and dropping it does exactly that.
#[cfg(feature = "tokio")]
#[inline(never)]
pub(crate) fn defer_tokio(cx: &mut Context<'_>) {
    let _ = std::future::Future::poll(std::pin::pin!(tokio::task::yield_now()), cx);
}
