//! The [tokio](https://tokio.rs) backend of [anyrt](https://docs.rs/anyrt).
//!
//! **Who should use this crate:** the `anyrt` facade, which dispatches to it when its
//! `tokio` feature is on, and authors of other anyrt backends who want to see how one is
//! built. Applications and libraries depend on `anyrt` (with feature `tokio`) instead: it
//! picks the backend, checks where blocking is allowed and gives one path to each item.
//!
//! What is here, with the same names in every backend crate:
//!
//! * [`spawn`], [`spawn_blocking`], [`block_on`] and [`yield_now`];
//! * [`sleep`], [`sleep_until`], [`timeout`] and [`timeout_at`], on tokio's own timers,
//!   except that a zero or past deadline is ready at the first poll,
//!   [`Duration::MAX`](std::time::Duration::MAX) pends without panicking, a sleep is never
//!   held back by tokio's co-op budget (so a timeout is not starved by a future that uses
//!   it up, as with tokio's own timeout), and a sleep on an anyrt [`Runtime`] that shut down
//!   moves to the process-wide runtime's timer instead of panicking;
//! * an owned [`Runtime`] (built by a [`Builder`]) and a [`Handle`] to one, both
//!   implementing [`anyrt_core::Executor`];
//! * [`in_native_context`] and [`in_native_task`], for the facade's backend selection and
//!   blocking checks.
//!
//! # Where tasks go
//!
//! A spawn goes to the tokio runtime the calling thread is inside: an anyrt [`Runtime`], the
//! process-wide runtime (inside [`block_on`] and its tasks), or a tokio runtime the
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
//! use std::time::Duration;
//!
//! let out = anyrt_tokio::block_on(async {
//!     let task = anyrt_tokio::spawn(async {
//!         anyrt_tokio::sleep(Duration::from_millis(1)).await;
//!         6 * 7
//!     });
//!     task.await.unwrap()
//! });
//! assert_eq!(out, 42);
//!
//! // An owned runtime: dropping it shuts it down without blocking.
//! let rt = anyrt_tokio::Runtime::builder().worker_threads(2).build().unwrap();
//! assert_eq!(rt.block_on(async { anyrt_tokio::spawn(async { 1 }).await.unwrap() }), 1);
//! ```
//!
//! This crate has no Cargo features. It enables tokio's `rt`, `rt-multi-thread` and `time`;
//! the runtimes it builds call `enable_all`, so tokio's IO driver is on too when another
//! crate in the build enables tokio's `net` (tokio-only futures such as `tokio::net` then
//! run inside anyrt's tokio runtimes).

#![forbid(unsafe_code)]

mod block_on;
mod runtime;
mod task;
mod time;

pub use block_on::block_on;
pub use runtime::{Builder, Handle, Runtime};
pub use task::{in_native_context, in_native_task, spawn, spawn_blocking, yield_now, YieldNow};
pub use time::{sleep, sleep_until, timeout, timeout_at, Sleep, Timeout};
