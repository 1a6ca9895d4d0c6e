//! The backend-independent core of [anyrt](https://docs.rs/anyrt).
//!
//! **Who should depend on this crate:** authors of anyrt backends. A backend crate
//! implements [`Provider`] (and builds [`JoinHandle`](task::JoinHandle)s from its own
//! tasks); a third-party executor that only wants to run anyrt code implements
//! [`Executor`]. Libraries and applications depend on `anyrt`, which re-exports everything
//! here under one path each.
//!
//! What is here: the [`Provider`] trait and the [`RuntimeConfig`] every backend reads; the
//! [`Executor`] trait and its dyn-compatible form [`DynExecutor`];
//! [`JoinHandle`](task::JoinHandle), [`JoinError`](task::JoinError) and the
//! [`RawTask`](task::RawTask) trait a backend implements for its native handle; the local
//! executor behind `spawn_local` ([`task::local`]); time combinators built on a backend's
//! sleep ([`time`]); channels and sync primitives; the thread context the backends set
//! ([`context`]); [`Backend`] with the selection rule ([`Backend::selected`]); and, with
//! feature `net`, the IO half of the contract (`net::Net`, the sockets a backend supplies)
//! with the system's sockets over a backend's reactor (`net::os`). There is no runtime in
//! this crate.
//!
//! # Which crate to depend on
//!
//! | you write | depend on |
//! |---|---|
//! | a library that runs on any runtime | `anyrt`, with no backend feature |
//! | an application | `anyrt`, with the features of its backends (`tokio`, `smol`, ...) |
//! | a backend: your own executor, plugged into anyrt | `anyrt-core` (this crate) |
//!
//! `anyrt-tokio`, `anyrt-smol` and `anyrt-async-std` are the implementation crates behind
//! `anyrt`'s features; applications never name them.
//!
//! # Features
//!
//! Each backend crate turns on the feature of its name (`tokio`, `smol`, `async-std`,
//! `sim`), which adds the backend to [`Backend::enabled`]. `tokio` and `async-std` also let the selection
//! rule and the co-op budget ask those runtimes' thread-locals whether the calling thread is
//! inside one of theirs (`tokio::task::coop`, `Handle::try_current`,
//! `async_std::task::try_current`): queries, never a runtime. With no feature this crate has
//! no runtime dependency at all.
//!
//! # Examples in these docs
//!
//! They are written as an `anyrt` user writes them (`anyrt::spawn`, `anyrt::block_on`,
//! `anyrt::Handle`) and run against the real facade; items only backend authors use show
//! `anyrt_core::` paths.
//!
//! ```
//! use anyrt_core::task::JoinHandle;
//!
//! // A backend turns its native tasks into `JoinHandle`s; anyrt does the rest.
//! let ex = async_executor::Executor::new();
//! let handle = JoinHandle::from_async_task(ex.spawn(async { 1 + 1 }));
//! assert_eq!(futures_lite::future::block_on(ex.run(handle)).unwrap(), 2);
//! ```

// `unsafe` only where allowed item by item, each block with its SAFETY argument: the
// type-erased `JoinHandle` (`task::join`) and the metadata slot of a destructor's panic
// (`task::drop_panic`).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]

mod backend;
pub mod channel;
pub mod context;
pub mod coop;
mod executor;
mod foreign;
#[cfg(all(feature = "fs", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "fs")))]
pub mod fs;
mod loom;
#[cfg(all(feature = "net", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "net")))]
pub mod net;
#[cfg(all(feature = "process", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "process")))]
pub mod process;
mod provider;
pub mod rand;
pub mod select;
#[cfg(all(feature = "signal", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "signal")))]
pub mod signal;
pub mod sync;
pub mod task;
pub mod time;

use std::fmt;

pub use backend::{Backend, ParseBackendError};
pub use executor::{interval_on, BoxFuture, DynExecutor, Executor, ExecutorTimer};
pub use provider::{Provider, RuntimeConfig, Scheduler};
pub use select::{set_default_backend, SelectionError};

/// The error of `anyrt::try_block_on` called where blocking would stall or deadlock a
/// runtime: inside an async task or inside another `block_on`.
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
    /// The runtime the caller is inside, where known.
    pub backend: Option<Backend>,
}

impl BlockOnError {
    /// The error for a caller inside `backend`'s runtime.
    ///
    /// ```
    /// use anyrt::{Backend, BlockOnError};
    ///
    /// let err = BlockOnError::new(Some(Backend::Smol));
    /// assert_eq!(err.backend, Some(Backend::Smol));
    /// let unknown = BlockOnError::new(None); // the runtime is not known
    /// assert!(unknown.to_string().starts_with("anyrt::block_on called from async code:"));
    /// ```
    pub fn new(backend: Option<Backend>) -> Self {
        BlockOnError { backend }
    }
}

impl fmt::Display for BlockOnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("anyrt::block_on called from async code")?;
        if let Some(b) = self.backend {
            write!(f, " (inside a {b} task or block_on)")?;
        }
        f.write_str(
            ": blocking this thread would stall its runtime or deadlock. `.await` the future \
             instead, or run the blocking code in anyrt::spawn_blocking, where block_on works",
        )
    }
}

impl std::error::Error for BlockOnError {}

/// `Err` where blocking would stall a runtime or deadlock: inside anyrt's own async code (a
/// task, a runtime worker, a `block_on`), an async-std task or a tokio runtime context; `Ok`
/// on a plain thread and in a blocking closure. The same test as `anyrt::try_block_on`'s, and
/// what the `_blocking` methods of the channels and locks check.
///
/// ```
/// assert!(anyrt_core::check_can_block().is_ok()); // a plain thread
/// anyrt::block_on(async {
///     assert!(anyrt_core::check_can_block().is_err()); // async code
///     let inside = anyrt::spawn_blocking(anyrt_core::check_can_block).await.unwrap();
///     assert!(inside.is_ok()); // a blocking closure
/// });
/// ```
#[inline]
pub fn check_can_block() -> Result<(), BlockOnError> {
    select::can_block().map(drop)
}
