//! The [async-std](https://github.com/async-rs/async-std) backend of
//! [anyrt](https://docs.rs/anyrt): the **legacy** backend.
//!
//! # Legacy: async-std is discontinued
//!
//! async-std is no longer maintained upstream ([RUSTSEC-2025-0052]); its authors point to
//! [smol](https://github.com/smol-rs/smol), built on the same parts (async-executor,
//! async-io, blocking). This backend exists so that applications still on async-std can run
//! anyrt code; new applications should turn on anyrt's `smol` (or `tokio`) feature instead.
//! Moving an anyrt application from this backend to `anyrt-smol` changes no code.
//!
//! [RUSTSEC-2025-0052]: https://rustsec.org/advisories/RUSTSEC-2025-0052.html
//!
//! # Who should use this crate
//!
//! Nobody directly: applications turn on the `async-std` feature of `anyrt`, and the facade
//! calls this crate, through [`anyrt_core::Provider`], when async-std is the selected backend
//! (inside an async-std task, by `set_default_backend`, `ANYRT_BACKEND=async-std`, or as the
//! only backend compiled in). It has no Cargo features.
//!
//! ```
//! use anyrt_async_std::AsyncStd;
//! use anyrt_core::Provider;
//! use std::time::Duration;
//!
//! let sum = AsyncStd::block_on(async {
//!     let a = AsyncStd::spawn(async { 20 });
//!     let b = AsyncStd::spawn_blocking(|| 22);
//!     AsyncStd::sleep(Duration::from_millis(1)).await;
//!     a.await.unwrap() + b.await.unwrap()
//! });
//! assert_eq!(sum, 42);
//! ```
//!
//! # Where things run
//!
//! * A spawn outside an anyrt [`Runtime`] goes to **async-std's global runtime**: the
//!   same executor and threads as `async_std::task::spawn` (async-global-executor's), started
//!   on first use and configured by async-std (`ASYNC_STD_THREAD_COUNT`,
//!   `ASYNC_STD_THREAD_NAME`; one thread per CPU by default). It cannot be shut down.
//! * [`Runtime`] is an owned runtime: an executor of its own run by its worker threads on
//!   async-std's reactor (async-io) and blocking pool. Dropping it drops the tasks still
//!   pending, which async-std's global runtime could not do.
//! * `spawn_blocking` runs closures on the blocking pool async-std uses (`blocking`).
//! * [`Sleep`] is an `async_io::Timer`, the timer of `async_std::task::sleep`: it needs no
//!   runtime and works on any thread.
//! * `block_on` is `async_std::task::block_on`.
//!
//! # async-std task-locals
//!
//! Tasks spawned through anyrt (`anyrt::spawn`, [`Runtime::spawn`], [`Handle::spawn`]) are not
//! async-std tasks in async-std's own sense: async-std attaches its task-locals with a
//! wrapper that its public API adds only together with its 24-byte `JoinHandle`, which anyrt
//! would have to box (one allocation per spawn more than async-std's own spawn). So, inside
//! them:
//!
//! * `async_std::task::current()` panics and `async_std::task::try_current()` is `None`;
//! * `async_std::task_local!` values cannot be read (`LocalKey::with` panics,
//!   `try_with` errs).
//!
//! They do work in the future given to `anyrt::block_on` (which is async-std's) and in tasks
//! spawned with `async_std::task::spawn` directly, which is the way out for code that needs
//! them: anyrt's functions work inside such tasks, where the selection rule detects
//! async-std. Task-locals that work on every backend are planned in anyrt itself.
//!
//! # Panics and cancellation
//!
//! A task that panics leaves the runtime running; awaiting its handle gives a
//! `JoinError` with `is_panic()` (async-std's own `JoinHandle` would re-raise the panic in
//! the awaiting task). The panic is caught when the handle is awaited, not by boxing the
//! task. `abort()` drops the task at its next await; a blocking closure cannot be stopped.

// No `unsafe` here: the thread-local of the current runtime is anyrt-executor's.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]

mod block_on;
mod runtime;
mod task;

use anyrt_core::Backend;

pub use anyrt_executor::Sleep;

/// A socket on async-io's reactor (feature `net`): the
/// [`Reactor`](anyrt_core::net::Reactor) source of this backend.
#[cfg(all(feature = "net", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "net")))]
pub use anyrt_executor::Source;

#[cfg(all(feature = "net", unix))]
impl anyrt_core::net::Reactor for AsyncStd {
    type Source<T: anyrt_core::net::Io> = anyrt_executor::Source<T>;
}

pub use runtime::{Handle, Runtime};

/// The async-std backend, as the [`Provider`](anyrt_core::Provider) the facade dispatches to.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStd;

impl anyrt_core::Provider for AsyncStd {
    const BACKEND: Backend = Backend::AsyncStd;
    type Runtime = Runtime;
    type Handle = Handle;
    type Sleep = Sleep;

    fn build(config: &anyrt_core::RuntimeConfig) -> std::io::Result<Runtime> {
        config.check_knobs(Backend::AsyncStd)?;
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

    /// Onto the async-std runtime the calling thread is inside: an anyrt
    /// [`Runtime`] of this crate (a worker, its `block_on`, its blocking closures), else
    /// async-std's global runtime, which starts on first use. Never panics for lack of a
    /// runtime. Dropping the handle detaches the task. Tasks on the global runtime run on
    /// the same executor and threads as `async_std::task::spawn`'s, but without async-std's
    /// task-locals (see the [crate docs](crate#async-std-task-locals)).
    #[inline]
    fn spawn<F>(future: F) -> anyrt_core::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        anyrt_executor::spawn_current(Backend::AsyncStd, future, task::spawn_global)
    }

    /// On the blocking thread pool shared with async-std (the `blocking` crate's), with a
    /// blocking anyrt context (so `anyrt::block_on` works there); inside an anyrt
    /// [`Runtime`], spawns from `f` go to that runtime. `abort()` on the handle never stops
    /// a closure: it runs to its end and awaiting gives its result.
    #[inline]
    fn spawn_blocking<F, R>(f: F) -> anyrt_core::task::JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        anyrt_executor::spawn_blocking_current(Backend::AsyncStd, f)
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
impl anyrt_core::fs::Fs for AsyncStd {}
