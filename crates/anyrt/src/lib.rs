//! Write async Rust once; run it on tokio, smol or async-std, with one behaviour on every
//! runtime.
//!
//! **Library authors** depend on `anyrt` with no backend feature and call [`spawn`],
//! [`time::sleep`], [`block_on`], or take an `impl` [`Executor`]. **Applications** pick the
//! backend with a Cargo feature; features are additive, any combination may be on:
//!
//! | feature | what it adds |
//! |---|---|
//! | `tokio` | the tokio backend |
//! | `smol` | the smol backend (async-executor, async-io, blocking) |
//! | `async-std` | the async-std backend (legacy: async-std is discontinued upstream, RUSTSEC-2025-0052; prefer smol) |
//! | `macros` (default) | [`#[anyrt::test]`](test) and [`#[anyrt::main]`](main) |
//! | `async-executors` | the async_executors 0.7 traits on [`Handle`], and an adapter the other way ([`compat`]) |
//!
//! ```
//! use std::time::Duration;
//!
//! let out = anyrt::block_on(async {
//!     let h = anyrt::spawn(async {
//!         anyrt::time::sleep(Duration::from_millis(1)).await;
//!         21 * 2
//!     });
//!     h.await.unwrap()
//! });
//! assert_eq!(out, 42);
//! ```
//!
//! # Which backend runs a call
//!
//! No call needs a thread context: [`spawn`], [`time::sleep`], [`block_on`] work on a plain
//! thread as well as inside any runtime. The backend is picked by this rule, first match
//! wins:
//!
//! 1. the runtime the calling thread is inside: anyrt's own (one thread-local read), then an
//!    async-std task, then a tokio task or runtime context — this is [`Backend::current`];
//! 2. [`set_default_backend`];
//! 3. the `ANYRT_BACKEND` environment variable (`tokio`, `smol`, `async-std`), read once;
//! 4. the only enabled backend;
//! 5. tokio, then smol, then async-std.
//!
//! [`Backend::selected`] tells which backend a spawn on this thread would use. A backend
//! whose runtime is not running is started lazily, once, as a process-wide runtime. anyrt
//! cannot see a foreign smol `Executor` or a `futures` executor: inside those, rules 2–5
//! apply.
//!
//! # One behaviour on every backend
//!
//! | situation | rule |
//! |---|---|
//! | `JoinHandle` dropped | the task keeps running (detached) |
//! | `abort()` before the task completes | dropped at its next await; awaiting gives `is_cancelled()` |
//! | `abort()` after completion, or on a blocking closure | awaiting gives the task's own result |
//! | task panics | the runtime keeps running; awaiting gives `is_panic()`, `into_panic()` gives the payload (nothing can be caught with `panic = "abort"`) |
//! | spawn / sleep / timeout with no runtime running | works, on the selected backend |
//! | `spawn_local` | works inside `block_on`, `Runtime::block_on`, `#[anyrt::test]` and local tasks; pending local tasks are cancelled when that `block_on` returns; elsewhere the same clear error |
//! | `block_on` inside async code | `try_block_on` gives `Err(BlockOnError)`, `block_on` panics naming `spawn_blocking`; it works inside `spawn_blocking` |
//! | `sleep(ZERO)`, a past deadline | ready at the first poll |
//! | `interval(ZERO)` | panics with a clear message |
//! | `Runtime` dropped | never blocks or panics; pending tasks are cancelled; blocking closures detached |
//!
//! # Futures from tokio-only crates
//!
//! Futures from crates built on tokio's reactor (reqwest, `tokio::net`, tonic) need a tokio
//! runtime context when they are polled. On the tokio backend they just work. On smol or
//! async-std, run them on tokio: enable the `tokio` feature too and spawn them through a
//! tokio handle (`anyrt::Handle::global(anyrt::Backend::Tokio).spawn(fut)`), awaiting the
//! `JoinHandle` from any backend.

#![cfg_attr(docsrs, feature(doc_cfg))]
// With no backend compiled in, every dispatch ends in the "enable a feature" panic.
#![cfg_attr(
    not(any(feature = "tokio", feature = "smol", feature = "async-std")),
    allow(unreachable_code, unused_variables, dead_code)
)]

#[macro_use]
mod macros;

mod backend;
mod block_on;
mod runtime;

pub mod prelude;
pub mod task;
pub mod time;

#[doc(hidden)]
pub mod __private;

#[doc(inline)]
pub use anyrt_core::channel;
#[doc(inline)]
pub use anyrt_core::sync;
#[doc(inline)]
pub use anyrt_core::{DynExecutor, Executor};
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
pub use anyrt_macros::{main, test};

pub use backend::{set_default_backend, Backend, SelectionError};
pub use block_on::{block_on, try_block_on, BlockOnError};
pub use runtime::{Builder, Handle, Runtime, RuntimeError};
pub use task::{spawn, spawn_blocking, spawn_local, try_spawn_local};

// Used by `#[anyrt::test]`: expand their input only if the backend is compiled in.

#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_tokio { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_tokio {
    ($($t:tt)*) => {};
}

#[cfg(feature = "smol")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_smol { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(feature = "smol"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_smol {
    ($($t:tt)*) => {};
}

#[cfg(feature = "async-std")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_std { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(feature = "async-std"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_std {
    ($($t:tt)*) => {};
}

// Interoperability: futures' Spawn traits, async_executors, foreign runtimes.
pub mod compat;

// Every snippet of the README compiles and runs as a doctest.
#[cfg(all(doctest, feature = "tokio", feature = "smol", feature = "async-std"))]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
