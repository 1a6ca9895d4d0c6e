//! The smol backend of [anyrt](https://docs.rs/anyrt): anyrt's tasks, time and runtimes on
//! smol's parts ([`async_executor`], [`async_io`], [`blocking`]).
//!
//! **Who should use this crate:** almost no one directly. Libraries depend on `anyrt` with no
//! backend, applications turn on its `smol` feature, and `anyrt` calls into this crate. Use it
//! directly to write against this one backend with anyrt's semantics (detached tasks,
//! `JoinError`, a runtime whose drop cancels pending tasks), or to hand anyrt your
//! application's own smol executor with [`set_global_executor`].
//!
//! ```
//! use std::time::Duration;
//!
//! // No runtime to set up: a plain thread uses the process-wide one.
//! let task = anyrt_smol::spawn(async {
//!     anyrt_smol::sleep(Duration::from_millis(1)).await;
//!     "done"
//! });
//! assert_eq!(anyrt_smol::block_on(task).unwrap(), "done");
//!
//! // An owned runtime; dropping it cancels what is still pending.
//! let rt = anyrt_smol::Runtime::builder().worker_threads(2).build().unwrap();
//! let forever = rt.spawn(std::future::pending::<()>());
//! drop(rt);
//! let err = anyrt_smol::block_on(anyrt_smol::timeout(Duration::from_secs(5), forever))
//!     .unwrap()
//!     .unwrap_err();
//! assert!(err.is_cancelled());
//! ```
//!
//! How it maps anyrt's rules onto smol:
//!
//! * A [`Runtime`] is an [`async_executor::Executor`] run by worker threads (one per CPU by
//!   default; smol's own default is one) blocked in `async_io::block_on(executor.run(..))`.
//!   A [`Handle`] holds it weakly. Dropping the runtime never blocks: the workers stop on
//!   their own (no task is polled after the shutdown), and the executor, dropped with the
//!   last of them, cancels the tasks still pending. `Runtime::block_on` does not run the
//!   runtime's tasks on the calling thread: `worker_threads(n)` means `n` threads.
//! * Tasks are async-executor's `Task`s inside anyrt's
//!   [`JoinHandle`](anyrt_core::task::JoinHandle): no allocation beyond the executor's own,
//!   dropping the handle detaches the task, panics are caught at join.
//! * [`spawn_blocking`] runs on the `blocking` crate's pool, as smol's `unblock` does.
//! * [`sleep`] is an [`async_io::Timer`]: zero is ready at once, `Duration::MAX` pends.
//! * A spawn on a thread that is inside no anyrt-smol runtime goes to the process-wide
//!   runtime, started lazily (or to the executor given to [`set_global_executor`]). smol has
//!   no "current executor" anyrt could detect, so [`in_native_context`] and
//!   [`in_native_task`] are always `false`.
//!
//! This crate has no Cargo features.

// `unsafe` only where allowed item by item, with its SAFETY argument: the impl of
// `anyrt_executor::Flavor`, whose thread-local of the current runtime must be this crate's
// alone.
#![deny(unsafe_code)]

mod block_on;
mod runtime;
mod task;
mod time;

pub use block_on::block_on;
pub use runtime::{set_global_executor, Builder, Handle, Runtime, SetGlobalExecutorError};
pub use task::{in_native_context, in_native_task, spawn, spawn_blocking, yield_now, YieldNow};
pub use time::{sleep, sleep_until, timeout, timeout_at, Sleep, Timeout};
