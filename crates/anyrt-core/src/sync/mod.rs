//! Async synchronisation primitives that work on every runtime, across runtimes, and (with
//! the `_blocking` methods) from plain threads.
//!
//! | type | for |
//! |---|---|
//! | [`Mutex`] | exclusive access to data, held across `.await` |
//! | [`RwLock`] | many readers or one writer, held across `.await` |
//! | [`Semaphore`] | limiting concurrency (at most N requests in flight) |
//! | [`Notify`] | waking a task without sending data |
//! | [`Barrier`] | N tasks waiting for each other |
//! | [`OnceCell`] | a value initialised once, by async code |
//!
//! # `std::sync::Mutex` or `anyrt::sync::Mutex`?
//!
//! **Use [`std::sync::Mutex`] (or `RwLock`) when the critical section is short and never
//! awaits while the lock is held** — updating a counter, a map, a cache entry. That is the
//! common case, even in async code: a std lock is faster, and a lock that is never held
//! across an `.await` is released before the task can be suspended, so it cannot stall the
//! runtime for long or deadlock with other tasks. Its guard is not `Send`, so the compiler
//! rejects a spawned future that holds it across an `.await`, which is the mistake to avoid.
//!
//! **Use [`anyrt::sync::Mutex`](Mutex) when the guard must be held across an `.await`** — for
//! example to keep a connection or a file exclusive during an async write, or to serialise
//! async operations — or when the critical section is long enough that blocking a worker
//! thread on it would stall other tasks. Waiting for it suspends the task instead of
//! blocking the thread. It costs more per lock than a std mutex, so do not use it just
//! because the code is async.
//!
//! # Rules
//!
//! - **Cancel safety** is stated on every async method. Dropping a pending `lock()`,
//!   `read()`, `write()` or `acquire()` before it completes leaves nothing held and loses no
//!   wake-up for the other waiters.
//! - **Blocking bridge.** The `_blocking` methods work on plain threads and inside
//!   `anyrt::spawn_blocking`; inside async code anyrt can see (an anyrt task or `block_on`, a
//!   tokio runtime, an async-std task) they panic with a message naming `spawn_blocking`
//!   rather than stall the runtime.
//! - **Co-op budget.** Acquiring a [`Mutex`], [`RwLock`] or [`Semaphore`] and waiting on a
//!   [`Notify`] take part in the task's co-op budget (tokio's on tokio, anyrt's counter on
//!   the other backends; see `anyrt_core::coop`), so a loop over locks that are free yields.
//!
//! # What they are built on
//!
//! [`Mutex`], [`RwLock`], [`Semaphore`], [`Notify`] and [`OnceCell`] wrap `tokio::sync`'s
//! (tokio's `sync` feature only: no runtime in it, they work under every executor and from
//! plain threads; their semantics, fair queues and stored permits, are the ones most users
//! know); [`Barrier`] is a generation count on `tokio::sync::Notify`, so that it can be
//! built in a `const`. The blocking forms park the calling thread on the same futures. The
//! wrappers keep the public API anyrt's own.
//!
//! ```
//! anyrt::block_on(async {
//!     use std::sync::Arc;
//!     use anyrt::sync::Mutex;
//!
//!     let conn = Arc::new(Mutex::new(Vec::<String>::new()));
//!     let mut guard = conn.lock().await;
//!     // Held across an await: this is what the async mutex is for.
//!     std::future::ready(()).await;
//!     guard.push("written".into());
//! });
//! ```

mod barrier;
mod mutex;
mod notify;
mod once_cell;
mod rwlock;
mod semaphore;

pub use barrier::{Barrier, BarrierWaitResult};
pub use mutex::{Mutex, MutexGuard};
pub use notify::{Notified, Notify};
pub use once_cell::OnceCell;
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, SemaphorePermitArc,
    TryAcquireError,
};

#[cfg(all(test, not(loom)))]
mod tests;
