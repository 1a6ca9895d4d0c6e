//! The smol backend of [anyrt](https://docs.rs/anyrt): anyrt's tasks, time and runtimes on
//! smol's parts ([`async_executor`], [`async_io`], [`blocking`]).
//!
//! **Who should use this crate:** almost no one directly. Libraries depend on `anyrt` with no
//! backend, applications turn on its `smol` feature, and `anyrt` reaches this crate through
//! [`anyrt_core::Provider`]. An application built around its own smol executor hands it to
//! anyrt with [`set_global_executor`] (re-exported as `anyrt::compat::smol::set_global_executor`).
//!
//! ```
//! use anyrt_core::{Provider, RuntimeConfig};
//! use anyrt_smol::Smol;
//! use std::time::Duration;
//!
//! // No runtime to set up: a plain thread uses the process-wide one.
//! let task = Smol::spawn(async {
//!     Smol::sleep(Duration::from_millis(1)).await;
//!     "done"
//! });
//! assert_eq!(Smol::block_on(task).unwrap(), "done");
//!
//! // An owned runtime; dropping it cancels what is still pending.
//! let rt = Smol::build(&RuntimeConfig::new().worker_threads(2)).unwrap();
//! let forever = rt.spawn(std::future::pending::<()>());
//! drop(rt);
//! assert!(Smol::block_on(forever).unwrap_err().is_cancelled());
//! ```
//!
//! How it maps anyrt's rules onto smol:
//!
//! * A [`Runtime`] is an executor of anyrt's own (anyrt-executor's `Pool`: async-task tasks
//!   scheduled as async-executor schedules them) run by worker threads (one per CPU by
//!   default; smol's own default is one) blocked in `async_io::block_on(executor.run(..))`.
//!   A [`Handle`] holds it weakly. Dropping the runtime never blocks: it closes the
//!   executor, which drops the tasks still pending at once (a task a worker is polling, once
//!   that poll returns; no task is polled after the shutdown), and the workers stop.
//!   `Runtime::block_on` does not run the runtime's tasks on the calling thread:
//!   `worker_threads(n)` means `n` threads.
//! * Tasks are async-task `Task`s inside anyrt's `JoinHandle`: no allocation beyond the
//!   task's own, dropping the handle detaches the task, panics are caught at join, and the
//!   panic of a task's destructor (at abort, at shutdown) is given by its handle.
//! * `spawn_blocking` runs on the `blocking` crate's pool, as smol's `unblock` does.
//! * [`Sleep`] is an [`async_io::Timer`]: zero is ready at once, `Duration::MAX` pends.
//! * A spawn on a thread that is inside no anyrt-smol runtime goes to the process-wide
//!   runtime, started lazily (or to the executor given to [`set_global_executor`]). smol has
//!   no "current executor" anyrt could detect: inside a foreign smol executor, anyrt's
//!   selection rule sees a plain thread.
//!
//! This crate has no Cargo features.

// No `unsafe` here: the thread-local of the current runtime is anyrt-executor's.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]

mod block_on;
mod runtime;

use anyrt_core::Backend;

pub use anyrt_executor::Sleep;

/// A socket on async-io's reactor (feature `net`): the
/// [`Reactor`](anyrt_core::net::Reactor) source of this backend.
#[cfg(all(feature = "net", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "net")))]
pub use anyrt_executor::Source;

#[cfg(all(feature = "net", unix))]
impl anyrt_core::net::Reactor for Smol {
    type Source<T: anyrt_core::net::Io> = anyrt_executor::Source<T>;
}

pub use runtime::{set_global_executor, Handle, Runtime, SetGlobalExecutorError};

/// The smol backend, as the [`Provider`](anyrt_core::Provider) the facade dispatches to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Smol;

impl anyrt_core::Provider for Smol {
    const BACKEND: Backend = Backend::Smol;
    type Runtime = Runtime;
    type Handle = Handle;
    type Sleep = Sleep;

    fn build(config: &anyrt_core::RuntimeConfig) -> std::io::Result<Runtime> {
        config.check_knobs(Backend::Smol)?;
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

    /// Onto the anyrt-smol runtime the calling thread is inside (a `Runtime`'s worker or
    /// `block_on`, or a blocking closure it runs), else onto the process-wide runtime,
    /// started lazily once with one worker thread per CPU (or the executor given to
    /// [`set_global_executor`]). Never panics for lack of a runtime. Dropping the handle
    /// detaches the task (smol's own `Task` would cancel it). No allocation beyond the
    /// executor's own task.
    #[inline]
    fn spawn<F>(future: F) -> anyrt_core::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        anyrt_executor::spawn_current(Backend::Smol, future, runtime::spawn_global)
    }

    /// On the `blocking` crate's thread pool (the one smol uses), with this backend's
    /// blocking context entered (so `block_on` works inside it); spawns inside it go to the
    /// runtime that `spawn_blocking` was called in. `abort` never stops the closure.
    #[inline]
    fn spawn_blocking<F, R>(f: F) -> anyrt_core::task::JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        anyrt_executor::spawn_blocking_current(Backend::Smol, f)
    }

    #[inline]
    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        block_on::block_on(future)
    }

    #[inline]
    fn sleep(duration: std::time::Duration) -> Sleep {
        Sleep::after(duration)
    }

    #[inline]
    fn sleep_until(deadline: anyrt_core::time::Instant) -> Sleep {
        Sleep::at(deadline)
    }
}

/// Files: `std::fs` on this backend's blocking pool (the contract's defaults).
#[cfg(all(feature = "fs", unix))]
impl anyrt_core::fs::Fs for Smol {}
