//! Interoperability: handing anyrt to code written against other abstractions, plugging
//! other executors into anyrt, and running inside runtimes anyrt did not start.
//!
//! # futures' `Spawn` and `LocalSpawn` (feature `futures`, on by default)
//!
//! [`Handle`] and [`Runtime`] implement [`futures::task::Spawn`](futures_util::task::Spawn),
//! so a library that takes `impl Spawn` (and uses `SpawnExt::spawn` or
//! `spawn_with_handle`) accepts anyrt:
//!
//! ```
//! use futures_util::task::{Spawn, SpawnExt};
//!
//! fn start_worker(spawner: &impl Spawn) -> Result<(), futures_util::task::SpawnError> {
//!     spawner.spawn(async { /* ... */ })
//! }
//!
//! anyrt::block_on(async {
//!     start_worker(&anyrt::Handle::current()).unwrap();
//! });
//! ```
//!
//! * `spawn_obj` is [`Handle::spawn`] with the handle dropped: the task is detached and runs
//!   on the handle's runtime. A spawn onto a runtime that has shut down gives
//!   `Err(SpawnError::shutdown())`.
//! * `spawn_local_obj` ([`LocalSpawn`](futures_util::task::LocalSpawn)) is
//!   [`try_spawn_local`](crate::try_spawn_local): the task goes to the **calling thread's**
//!   local executor, whatever runtime the handle names (a `!Send` task cannot move to
//!   another thread). It works where `spawn_local` works: inside `block_on`,
//!   `Runtime::block_on`, `#[anyrt::test]`, `#[anyrt::main]` and local tasks. Anywhere else
//!   (a plain thread, inside an `anyrt::spawn` task) it returns `Err(SpawnError::shutdown())`
//!   (futures' only error value) instead of panicking, and `status_local()` says the same
//!   beforehand.
//!
//! # async_executors (feature `async-executors`)
//!
//! [`Handle`] implements async_executors 0.7's `SpawnHandle<Out>`, `LocalSpawnHandle<Out>`,
//! `SpawnBlocking<R>`, `Timer` and `YieldNow`, so a library written against those traits runs
//! on anyrt's backend. Their contract is async_executors', not anyrt's: dropping its
//! `JoinHandle` cancels the task (call `detach()` to keep it running) and awaiting it
//! re-raises the task's panic.
//!
//! The other way round, `AsyncExecutorsAdapter` turns an executor that implements
//! async_executors' `SpawnHandle<()>` and `Timer` (its `ThreadPool`, `TokioTp`, `AsyncStd`,
//! ...) into an [`Executor`](crate::Executor): a backend that lives outside this repository,
//! plugged in through the core trait, with anyrt's semantics for the handles it returns.
//!
//! # Foreign runtimes: where the line is
//!
//! Code that runs inside a runtime anyrt did not start calls anyrt and gets that runtime
//! wherever anyrt can detect it:
//!
//! | caller is inside | `Backend::current()` | `anyrt::spawn` runs on | `sleep` uses |
//! |---|---|---|---|
//! | a tokio runtime the application built (`#[tokio::main]`, `Runtime::block_on`, its tasks, its `spawn_blocking` threads, `Handle::enter`) | `Some(Tokio)` | that runtime's workers (`spawn_blocking`: its blocking pool) | its timer |
//! | async-std (`async_std::task::block_on`, `#[async_std::main]`, an `async_std::task::spawn` task) | `Some(AsyncStd)` | async-std's global executor, the threads `async_std::task::spawn` uses | async-std's timer |
//! | `smol::block_on`, a task of the application's own `smol::Executor` | `None` | the selected backend (rules 2–5 below) | the selected backend's timer |
//! | `futures::executor::block_on`, a `ThreadPool`, any other executor | `None` | the selected backend | the selected backend's timer |
//!
//! anyrt's time functions use a foreign tokio runtime's timer, so that runtime needs it
//! enabled (`enable_time` or `enable_all`, which `#[tokio::main]` sets).
//!
//! Detection needs the backend's feature: a tokio runtime is seen only with the `tokio`
//! feature on, async-std only with `async-std`. Without it, that runtime is like the last two
//! rows.
//!
//! smol and `futures` executors keep no thread-local anyrt (or anyone) could read, so inside
//! them the rest of the selection rule (see the crate docs) applies: (2) `set_default_backend`, (3)
//! `ANYRT_BACKEND`, (4) the only enabled backend, (5) tokio, then smol, then async-std. The
//! task runs on that backend's process-wide runtime, and awaiting its `JoinHandle` from the
//! foreign executor works (the handle is an ordinary future). What cannot be checked there:
//! `anyrt::block_on` inside such a task cannot know it is blocking an executor thread, so it
//! blocks instead of returning `BlockOnError`.
//!
//! A smol application that wants anyrt's spawns on its own executor hands it over, first
//! thing in `main`, with [`smol::set_global_executor`] (feature `smol`) and selects smol
//! with [`set_default_backend`](crate::set_default_backend) if another backend is compiled
//! in too. It then drives the executor itself (`smol::block_on(ex.run(..))`); anyrt starts
//! no thread for it.
//!
//! [`Handle`]: crate::Handle
//! [`Handle::spawn`]: crate::Handle::spawn
//! [`Runtime`]: crate::Runtime

#[cfg(feature = "futures")]
mod spawn;

#[cfg(feature = "async-executors")]
mod async_executors;

#[cfg(all(feature = "hyper", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
pub mod hyper;

#[cfg(feature = "async-executors")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-executors")))]
pub use self::async_executors::AsyncExecutorsAdapter;

/// Handing the application's own smol executor to anyrt (feature `smol`).
///
/// smol has no "current executor" anyrt could detect. An application built around its own
/// `Arc<smol::Executor<'static>>` installs it here before anything spawns; from then on the
/// smol backend's spawns from threads outside an anyrt smol [`Runtime`](crate::Runtime) go
/// to it:
///
/// ```
/// use std::sync::Arc;
///
/// let ex = Arc::new(async_executor::Executor::new());
/// anyrt::compat::smol::set_global_executor(ex.clone()).unwrap();
/// let task = anyrt::Handle::global(anyrt::Backend::Smol).spawn(async { 1 + 1 });
/// // The application drives its executor; anyrt starts no thread for it.
/// assert_eq!(futures_lite::future::block_on(ex.run(task)).unwrap(), 2);
/// ```
#[cfg(feature = "smol")]
#[cfg_attr(docsrs, doc(cfg(feature = "smol")))]
pub mod smol {
    #[doc(inline)]
    pub use anyrt_smol::{set_global_executor, SetGlobalExecutorError};
}

#[cfg(feature = "tokio")]
mod with_tokio;

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use with_tokio::{with_tokio, WithTokio};
