//! The [tokio](https://tokio.rs) backend of [anyrt](https://docs.rs/anyrt).
//!
//! **Who should use this crate:** the `anyrt` facade, which reaches it through
//! [`anyrt_core::Provider`] when its `tokio` feature is on, and authors of other anyrt
//! backends who want to see how one is built. Applications and libraries depend on `anyrt`
//! (with feature `tokio`) instead: it picks the backend, checks where blocking is allowed and
//! gives one path to each item.
//!
//! What is here: [`Tokio`], the `Provider`; its owned [`Runtime`]
//! and [`Handle`] (both [`Executor`](anyrt_core::Executor)s; [`Handle::from_tokio`] wraps a
//! runtime the application built with tokio); and [`Sleep`], tokio's timer with anyrt's
//! rules: a zero or past deadline is ready at the first poll,
//! [`Duration::MAX`](std::time::Duration::MAX) pends without panicking, a sleep is never held
//! back by tokio's co-op budget (so a timeout is not starved by a future that uses it up, as
//! with tokio's own timeout), and a sleep on an anyrt [`Runtime`] that shut down moves to the
//! process-wide runtime's timer instead of panicking.
//!
//! # Where tasks go
//!
//! A spawn goes to the tokio runtime the calling thread is inside: an anyrt [`Runtime`], the
//! process-wide runtime (inside its `block_on` and its tasks), or a tokio runtime the
//! application started itself (`#[tokio::main]`). On a thread with no tokio runtime it goes
//! to the process-wide runtime, a multi-thread tokio runtime with one worker per CPU,
//! started at the first use and never shut down. Nothing here panics for lack of a runtime.
//!
//! The same holds for timers, with one line anyrt cannot cross: a tokio runtime that the
//! application built *without* `enable_time` has no timer, and creating a sleep or a
//! timeout inside it panics with tokio's own message, as `tokio::time::sleep` would.
//!
//! # Example
//!
//! ```
//! use anyrt_core::{Provider, RuntimeConfig};
//! use anyrt_tokio::Tokio;
//! use std::time::Duration;
//!
//! let out = Tokio::block_on(async {
//!     let task = Tokio::spawn(async {
//!         Tokio::sleep(Duration::from_millis(1)).await;
//!         6 * 7
//!     });
//!     task.await.unwrap()
//! });
//! assert_eq!(out, 42);
//!
//! // An owned runtime: dropping it shuts it down without blocking.
//! let rt = Tokio::build(&RuntimeConfig::new().worker_threads(2)).unwrap();
//! assert_eq!(rt.block_on(async { Tokio::spawn(async { 1 }).await.unwrap() }), 1);
//! ```
//!
//! Feature `net`: the IO half of the contract ([`Net`](anyrt_core::net::Net)) through a
//! [`Reactor`](anyrt_core::net::Reactor): the system's sockets of `anyrt_core::net::os` on
//! tokio's IO driver, through `AsyncFd` (unix). The crate enables tokio's `rt`, `rt-multi-thread` and `time`;
//! the runtimes it builds call `enable_all`, so tokio's IO driver is on too when another
//! crate in the build enables tokio's `net` (tokio-only futures such as `tokio::net` then
//! run inside anyrt's tokio runtimes).

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod block_on;
mod global;
#[cfg(all(feature = "net", unix))]
mod net;
mod owned;
mod runtime;
mod task;
mod time;

use anyrt_core::Backend;

pub use runtime::{Handle, Runtime};
pub use time::Sleep;

/// Runs `f` inside a tokio runtime context: the one the thread is in, else the process-wide
/// runtime's (started on first use). What `anyrt::compat::with_tokio` enters around each
/// poll of a future from a tokio-only crate.
pub fn enter_tokio<R>(f: impl FnOnce() -> R) -> R {
    global::with_fallback_handle(|h| {
        let _entered = h.enter();
        f()
    })
}

/// A socket on tokio's reactor (feature `net`): the [`Reactor`](anyrt_core::net::Reactor)
/// source of this backend.
#[cfg(all(feature = "net", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "net")))]
pub use net::Source;

/// The tokio backend, as the [`Provider`](anyrt_core::Provider) the facade dispatches to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokio;

impl anyrt_core::Provider for Tokio {
    const BACKEND: Backend = Backend::Tokio;
    type Runtime = Runtime;
    type Handle = Handle;
    type Sleep = Sleep;

    fn build(config: &anyrt_core::RuntimeConfig) -> std::io::Result<Runtime> {
        config.check_knobs(Backend::Tokio)?;
        Runtime::with_config(config)
    }

    fn runtime_handle(runtime: &Runtime) -> Handle {
        runtime.handle()
    }

    #[inline]
    fn runtime_block_on<F: std::future::Future>(runtime: &Runtime, future: F) -> F::Output {
        runtime.block_on(future)
    }

    fn shutdown_timeout(runtime: Runtime, timeout: std::time::Duration) {
        runtime.shutdown_timeout(timeout);
    }

    #[inline]
    fn handle_block_on<F: std::future::Future>(handle: &Handle, future: F) -> F::Output {
        handle.block_on(future)
    }

    fn current() -> Option<Handle> {
        Handle::current()
    }

    fn global() -> Handle {
        Handle::global()
    }

    #[inline]
    fn spawn<F>(future: F) -> anyrt_core::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        task::spawn(future)
    }

    #[inline]
    fn spawn_blocking<F, R>(f: F) -> anyrt_core::task::JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        task::spawn_blocking(f)
    }

    #[inline]
    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        block_on::block_on(future)
    }

    #[inline]
    fn sleep(duration: std::time::Duration) -> Sleep {
        time::sleep(duration)
    }

    #[inline]
    fn sleep_until(deadline: anyrt_core::time::Instant) -> Sleep {
        time::sleep_until(deadline)
    }
}

/// Files: `std::fs` on this backend's blocking pool (the contract's defaults).
#[cfg(all(feature = "fs", unix))]
impl anyrt_core::fs::Fs for Tokio {}
