//! Write async Rust once; run it on tokio, smol or async-std, with one behaviour on every
//! runtime, and test it under a deterministic simulation.
//!
//! **Library authors** depend on `anyrt` with no backend feature and call [`spawn`],
//! [`time::sleep`], [`block_on`], or take an `impl` [`Executor`]. **Applications** pick the
//! backend with a Cargo feature; features are additive, any combination may be on:
//!
//! | feature | what it adds |
//! |---|---|
//! | `tokio` | the tokio backend |
//! | `smol` | the smol backend (async-io, blocking; anyrt's own executor on async-task) |
//! | `async-std` | the async-std backend (legacy: async-std is discontinued upstream, RUSTSEC-2025-0052; prefer smol) |
//! | `sim` | the deterministic simulation backend for tests: seeded schedules, virtual time, replay tokens, an in-memory network ([`sim`]) |
//! | `macros` (default) | [`#[anyrt::test]`](test) and [`#[anyrt::main]`](main) |
//! | `futures` (default) | futures' `FutureExt`/`StreamExt`/`SinkExt` in the [`prelude`]; futures' `Spawn` for [`Handle`] and [`Runtime`] ([`compat`]) |
//! | `async-executors` | the async_executors 0.7 traits on [`Handle`], and an adapter the other way ([`compat`]) |
//! | `tracing` | spawned tasks run in the `tracing` span current at the spawn ([`task::Builder::no_span`] opts out) |
//! | `net` | `anyrt::net`: TCP, UDP and Unix sockets and `lookup_host` on every backend (unix), with futures' `AsyncRead`/`AsyncWrite` |
//! | `tokio-io` | tokio's `AsyncRead`/`AsyncWrite` on `anyrt::net`'s streams |
//! | `hyper` | hyper 1.x `rt::Read`/`rt::Write` on the streams, `compat::hyper::{Executor, Timer}` |
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
//! # Which crate to depend on
//!
//! | you write | depend on |
//! |---|---|
//! | a library | `anyrt = { version = "0.1", default-features = false }`: no backend, the application picks |
//! | an application | `anyrt = { version = "0.1", features = ["tokio"] }`: its backends |
//! | a backend (your own executor) | `anyrt-core`: implement [`Executor`] for it |
//!
//! `anyrt-tokio`, `anyrt-smol`, `anyrt-async-std` and `anyrt-sim` are implementation crates
//! behind the features above; applications never name them. `anyrt-core` is re-exported here item by
//! item, so libraries and applications need only `anyrt`.
//!
//! A library's own tests need a backend: enable the backends (and `macros`) in its
//! `[dev-dependencies]` (`anyrt = { version = "0.1", features = ["macros", "tokio",
//! "smol"] }`), and `#[anyrt::test]` runs each test on every one of them. With
//! `default-features = false` and no backend, a library builds 8 crates (anyrt, anyrt-core
//! and 6 small dependencies: async-task, concurrent-queue, tokio with only its `sync`
//! feature, ...).
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
//! | `abort()` before the task completes | the task is dropped at its next await; awaiting gives `Err(JoinError)` with `is_cancelled()` |
//! | awaiting an aborted handle | returns only once the task has finished or its future has been dropped (what it held is released by then); `is_finished()` is false until then. A task that completes in the poll running when `abort()` came gives its result, on every backend |
//! | `abort()` after it completed, or on a blocking closure | awaiting gives the task's own result |
//! | a task's destructor panics (at `abort()`, at a runtime's shutdown, or a `spawn_local` task still pending when its `block_on` returns) | the process, the runtime and the caller go on (the panic never unwinds into `Runtime::drop` or `block_on`); awaiting the handle gives `is_panic()` with the payload, on every backend (one exception: a task on an application's own smol executor, handed over with `set_global_executor`, gives `is_cancelled()`, since async-executor keeps no room for the payload; the panic hook has printed it) |
//! | task panics | the runtime keeps running; awaiting gives `is_panic()`; `into_panic()` returns the payload (with `panic = "abort"` nothing can be caught) |
//! | spawn / sleep / timeout where no runtime runs | works, on the selected backend; never "there is no reactor running" |
//! | `spawn_local` | works inside `block_on`, `Runtime::block_on`, `#[anyrt::test]` and local tasks; pending local tasks are cancelled when that `block_on` returns; elsewhere the same clear error |
//! | `block_on` from sync code | runs the future on the selected backend |
//! | `block_on` inside async code (anyrt tasks, async-std tasks, tokio runtimes) | `try_block_on` returns `Err(BlockOnError)`, `block_on` panics naming `spawn_blocking`; inside `spawn_blocking` it works |
//! | `_blocking` channel and lock methods in async code anyrt can see | the same test as `block_on`: a panic naming `spawn_blocking`, never a deadlock |
//! | `sleep(Duration::ZERO)`, a past deadline | ready at the first poll |
//! | `sleep(Duration::MAX)` | pends, never panics |
//! | `interval(p)` | first tick immediate; `p == ZERO` panics with a clear message |
//! | `timeout` on tokio | tokio's co-op budget cannot starve it (its timer is polled outside the budget, as in tokio's own timeout) |
//! | a loop over operations that are ready at once (channels, locks, `sleep(ZERO)`, past deadlines, `timeout` of a ready future) | yields at least once every 128 of them: tokio's co-op budget on tokio (also in a tokio runtime anyrt did not build), a counter of the same size on smol and async-std; it can neither starve its runtime nor escape `abort()` |
//! | `Runtime` dropped | never blocks or panics; pending tasks cancelled; blocking closures detached; a later spawn through a handle is cancelled. Tasks that wake each other as they are dropped (a chain of 100,000, each awaiting the one before) are dropped one after the other, never one inside another's drop; no task is dropped inside another thread's `wake()` (which may hold a lock its destructor takes) |
//! | `shutdown_timeout` inside async code | does not wait (as a drop), on every backend |
//! | `Runtime::builder(b).current_thread()`, `#[anyrt::test(current_thread)]` | the runtime's tasks run on the thread that calls `block_on` (what `#[tokio::test]` gives by default) |
//! | `worker_threads(0)` | an error from `build()`, on every backend |
//! | `ANYRT_BACKEND` unknown or not compiled in | an error only where rule 3 of the selection rule is reached; explicit runtimes, handles and `#[anyrt::test]` never read it |
//! | several backend features on | all compile together; never `compile_error!` |
//! | a task-local (`anyrt::task_local!`) | set for its scope's future only, around each poll; many tasks on one worker see their own values; a panic in a scope restores the outer value |
//! | a spawn inside a task-local's scope | a key declared `inherit` is cloned into the task (`spawn`, `spawn_local`, `spawn_blocking`, `JoinSet`, `Handle`, `Runtime`); a plain key is not |
//! | a spawn inside a `tracing` span (feature `tracing`) | the task runs in that span; `task::Builder::no_span()` opts out |
//!
//! # Cancel safety
//!
//! A future is cancel-safe if dropping it before it completes (the losing branch of a
//! `select!`, a timeout) loses nothing: awaiting a new one later gives what the dropped one
//! would have.
//!
//! | future | cancel-safe | dropped before it completes |
//! |---|---|---|
//! | awaiting a [`JoinHandle`] or `&mut` [`AbortOnDrop`] | yes | the task runs on; await again |
//! | [`JoinSet::join_next`] | yes | a task that finished stays in the set |
//! | [`JoinSet::shutdown`] | yes | the tasks are aborted; those not joined stay in the set |
//! | [`time::sleep`], [`time::sleep_until`], [`Executor::sleep`] | yes | nothing happens |
//! | [`timeout`], [`timeout_at`], [`Executor::timeout`] | if its future is | drops its future |
//! | [`Interval::tick`] | yes | no tick is lost |
//! | [`task::yield_now`] | yes | nothing happens |
//! | channel `recv` | yes | no message is lost |
//! | channel `send` | yes | the message is not delivered: it is dropped with the future |
//! | `lock`, `read`, `write`, `acquire`, `notified` ([`sync`]) | yes | nothing is held |
//! | [`sync::Barrier::wait`] | **no** | it still counts as arrived |
//!
//! Each method's own documentation says the same. Dropping an [`AbortOnDrop`] or a
//! [`JoinSet`] itself aborts the tasks; dropping a `JoinHandle` detaches.
//!
//! [`JoinHandle`]: task::JoinHandle
//! [`AbortOnDrop`]: task::AbortOnDrop
//! [`JoinSet`]: task::JoinSet
//! [`JoinSet::join_next`]: task::JoinSet::join_next
//! [`JoinSet::shutdown`]: task::JoinSet::shutdown
//! [`Interval::tick`]: time::Interval::tick
//! [`timeout`]: time::timeout
//! [`timeout_at`]: time::timeout_at
//!
//! ```
//! use std::time::Duration;
//!
//! anyrt::block_on(async {
//!     let (go, wait) = anyrt::channel::oneshot::channel::<()>();
//!     let mut task = anyrt::spawn(async move { wait.await.is_ok() });
//!     // Give up waiting for the task: it runs on, and the handle still works.
//!     let early = anyrt::time::timeout(Duration::from_millis(5), &mut task).await;
//!     assert!(early.is_err());
//!     go.send(()).unwrap();
//!     assert!(task.await.unwrap());
//! });
//! ```
//!
//! # Locks in async code
//!
//! A `std::sync::Mutex` is the right lock in async code when the critical section is short
//! and never awaits while the lock is held; [`sync::Mutex`] is for a guard held across an
//! `.await`. The [`sync`] module says when to use which.
//!
//! # Testing and `main` (feature `macros`)
//!
//! [`#[anyrt::test]`](test) runs an async test on every enabled backend (`my_test::tokio`,
//! `my_test::smol`, `my_test::async_std`, and `my_test::sim` under the deterministic
//! simulation of the `sim` feature, which [`sim`] describes), each on a fresh [`Runtime`];
//! [`#[anyrt::main]`](main) runs an `async fn main` with [`block_on`]:
//!
//! ```
//! #[anyrt::test]
//! async fn answers() {
//!     assert_eq!(anyrt::spawn(async { 6 * 7 }).await.unwrap(), 42);
//! }
//!
//! #[anyrt::main]
//! async fn main() {
//!     anyrt::time::sleep(std::time::Duration::from_millis(1)).await;
//! }
//! ```
//!
//! # Task context: task-locals and spans
//!
//! A value that must follow work across tasks (a request id, a tenant, a deadline) is a
//! task-local declared `inherit`: [`task_local!`] keys are set with
//! [`scope`](task::LocalKey::scope) and read with [`with`](task::LocalKey::with),
//! [`get`](task::LocalKey::get) or [`try_with`](task::LocalKey::try_with) (an error, never a
//! panic, outside a scope). An `inherit` key is cloned into every task spawned inside its
//! scope; a plain key never crosses a spawn (a per-task budget, a borrowed transaction).
//! With the `tracing` feature, spawned tasks also run in the caller's span.
//!
//! Which to use: pass a value as an argument when the code that needs it is a call or two
//! away; a task-local when it is many layers down through code you do not own (logging,
//! metrics, multi-tenant routing). An inherited value is cloned once per spawn (one
//! allocation per key); spawns with no inherited key in scope pay one thread-local load.
//!
//! ```
//! anyrt::task_local! {
//!     /// Follows the request into every task it spawns.
//!     inherit static REQUEST_ID: u64;
//! }
//!
//! async fn handler() -> u64 {
//!     // Deep inside, in a spawned helper: no parameter threaded through.
//!     anyrt::spawn(async { REQUEST_ID.get() }).await.unwrap()
//! }
//!
//! anyrt::block_on(REQUEST_ID.scope(7, async {
//!     assert_eq!(handler().await, 7);
//! }));
//! ```
//!
//! # Futures from tokio-only crates
//!
//! Futures from crates built on tokio's reactor (reqwest, `tokio::net`, tonic) need a tokio
//! runtime context when they are polled. On the tokio backend they just work. On smol or
//! async-std, enable the `tokio` feature too and wrap them in `compat::with_tokio(async {
//! .. })`: each poll then runs inside a tokio context (anyrt's process-wide tokio runtime).
//! Sockets of your own need none of this: `anyrt::net` (feature `net`) runs on every
//! backend's reactor.

#![cfg_attr(docsrs, feature(doc_cfg))]
// `unsafe` only item by item, with its SAFETY argument: reads into uninitialised buffers
// (`net`'s tokio and hyper IO traits).
#![deny(unsafe_code)]
// With no backend compiled in, every dispatch ends in the "enable a feature" panic.
#![cfg_attr(not(feature = "_rt"), allow(unreachable_code, unused_variables))]

#[macro_use]
mod dispatch;

mod block_on;
#[cfg(feature = "macros")]
mod macros;
mod runtime;
mod spawned;
mod unordered;

#[cfg(all(feature = "fs", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "fs")))]
pub mod fs;
#[cfg(feature = "io")]
#[cfg_attr(docsrs, doc(cfg(feature = "io")))]
pub mod io;
#[cfg(all(feature = "net", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "net")))]
pub mod net;
pub mod prelude;
#[cfg(all(feature = "process", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "process")))]
pub mod process;
#[cfg(all(feature = "signal", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "signal")))]
pub mod signal;
pub mod sim;
pub mod stream;
pub mod task;
pub mod time;

#[doc(hidden)]
pub mod __private;

#[doc(inline)]
pub use anyrt_core::channel;
#[doc(inline)]
pub use anyrt_core::sync;
#[doc(inline)]
pub use anyrt_core::{
    set_default_backend, Backend, BlockOnError, BoxFuture, DynExecutor, Executor,
    ParseBackendError, SelectionError,
};
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
pub use anyrt_macros::{main, test};

/// Declares task-local keys; `inherit static` ones are cloned into spawned tasks. See
/// [`task::LocalKey`].
#[doc(inline)]
pub use anyrt_core::task_local;

pub use block_on::{block_on, try_block_on};
pub use runtime::{Builder, Handle, Runtime, RuntimeError};
pub use task::{spawn, spawn_blocking, spawn_local, try_spawn_local};

// Interoperability: futures' Spawn traits, async_executors, foreign runtimes.
pub mod compat;

// Every snippet of the README compiles and runs as a doctest.
#[cfg(all(doctest, feature = "tokio", feature = "smol", feature = "async-std"))]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

// And every snippet of the migration guide.
#[cfg(all(doctest, feature = "tokio", feature = "smol", feature = "async-std"))]
#[doc = include_str!("../../../docs/MIGRATION.md")]
struct MigrationDoctests;
