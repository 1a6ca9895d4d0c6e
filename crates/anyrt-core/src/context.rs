//! The thread-local that says which anyrt runtime the calling thread is inside.
//!
//! Backends set it on their worker threads, inside `block_on` and inside `spawn_blocking`
//! closures; the facade reads it first (one thread-local read) when it picks a backend or
//! decides whether blocking is allowed.
//!
//! ```
//! use anyrt_core::context::{self, ThreadContext};
//! use anyrt_core::Backend;
//!
//! assert_eq!(context::current(), None); // a plain thread
//! let guard = context::enter(ThreadContext::async_on(Backend::Tokio));
//! assert_eq!(context::current().map(|c| c.backend), Some(Backend::Tokio));
//! drop(guard);
//! assert_eq!(context::current(), None);
//! ```

use std::cell::Cell;

use crate::time::Instant;
use crate::Backend;

/// What kind of code the calling thread is running.
///
/// ```
/// use anyrt_core::context::{ContextKind, ThreadContext};
/// use anyrt_core::Backend;
///
/// let ctx = ThreadContext::blocking_on(Backend::Smol);
/// assert_eq!(ctx.kind, ContextKind::Blocking); // block_on is allowed here
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContextKind {
    /// Async code: a runtime worker, a task, or the future inside `block_on`. Blocking here
    /// stalls other tasks, so `block_on` and the `_blocking` channel methods refuse.
    Async,
    /// A blocking closure (`spawn_blocking`): blocking is allowed.
    Blocking,
}

/// The anyrt runtime context of a thread: which backend, and what kind of code.
///
/// ```
/// use anyrt_core::context::{ContextKind, ThreadContext};
/// use anyrt_core::Backend;
///
/// let ctx = ThreadContext { backend: Backend::Tokio, kind: ContextKind::Async };
/// assert_eq!(ctx, ThreadContext::async_on(Backend::Tokio));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadContext {
    /// The backend whose runtime the thread is inside.
    pub backend: Backend,
    /// Whether the thread is running async code or a blocking closure.
    pub kind: ContextKind,
}

impl ThreadContext {
    /// An async context of `backend`: a runtime worker, a task, a `block_on`.
    ///
    /// ```
    /// use anyrt_core::context::{ContextKind, ThreadContext};
    /// use anyrt_core::Backend;
    ///
    /// assert_eq!(ThreadContext::async_on(Backend::Smol).kind, ContextKind::Async);
    /// ```
    pub const fn async_on(backend: Backend) -> Self {
        ThreadContext {
            backend,
            kind: ContextKind::Async,
        }
    }

    /// A blocking context of `backend`: a `spawn_blocking` closure.
    ///
    /// ```
    /// use anyrt_core::context::{ContextKind, ThreadContext};
    /// use anyrt_core::Backend;
    ///
    /// assert_eq!(ThreadContext::blocking_on(Backend::Smol).kind, ContextKind::Blocking);
    /// ```
    pub const fn blocking_on(backend: Backend) -> Self {
        ThreadContext {
            backend,
            kind: ContextKind::Blocking,
        }
    }
}

thread_local! {
    static CURRENT: Cell<Option<ThreadContext>> = const { Cell::new(None) };
    // Apart from `CURRENT`, which stays two bytes: only a backend with a clock of its own
    // (a virtual one) sets it.
    static CLOCK: Cell<Option<fn() -> Instant>> = const { Cell::new(None) };
}

/// The clock of task time on the calling thread, if a backend set one other than the
/// system's (see [`enter_clock`]).
#[inline]
pub fn clock() -> Option<fn() -> Instant> {
    CLOCK.with(Cell::get)
}

/// Makes `clock` the clock of task time on the calling thread until the guard is dropped:
/// what [`Instant::now`](crate::time::Instant::now) reads meanwhile. For a backend whose time
/// is not the system's (a virtual clock); the real backends never call it.
///
/// ```
/// use anyrt_core::context;
/// use anyrt_core::time::Instant;
/// use std::time::Duration;
///
/// fn frozen() -> Instant {
///     // A clock that never moves, for the example: a virtual clock's `now`.
///     static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
///     *ORIGIN.get_or_init(Instant::system_now)
/// }
///
/// let _guard = context::enter_clock(frozen);
/// let a = Instant::now();
/// std::thread::sleep(Duration::from_millis(2));
/// assert_eq!(Instant::now(), a); // task time is the entered clock
/// ```
pub fn enter_clock(clock: fn() -> Instant) -> ClockGuard {
    ClockGuard {
        prev: CLOCK.with(|c| c.replace(Some(clock))),
    }
}

/// Restores the previous clock when dropped. Returned by [`enter_clock`].
#[derive(Debug)]
#[must_use = "the clock is left again when the guard is dropped"]
pub struct ClockGuard {
    prev: Option<fn() -> Instant>,
}

impl Drop for ClockGuard {
    fn drop(&mut self) {
        let prev = self.prev;
        CLOCK.with(|c| c.set(prev));
    }
}

/// The anyrt context of the calling thread, if a backend set one.
///
/// ```
/// assert_eq!(anyrt_core::context::current(), None); // a plain thread
/// ```
#[inline]
pub fn current() -> Option<ThreadContext> {
    CURRENT.with(Cell::get)
}

/// Sets the context of the calling thread until the guard is dropped, then restores the
/// previous one.
///
/// ```
/// use anyrt_core::context::{self, ThreadContext};
/// use anyrt_core::Backend;
///
/// // What a backend does around a blocking closure.
/// let _guard = context::enter(ThreadContext::blocking_on(Backend::Smol));
/// assert_eq!(context::current(), Some(ThreadContext::blocking_on(Backend::Smol)));
/// ```
#[inline]
pub fn enter(ctx: ThreadContext) -> EnterGuard {
    let prev = CURRENT.with(|c| c.replace(Some(ctx)));
    EnterGuard { prev }
}

/// Sets the context of the calling thread for the rest of its life (runtime worker threads).
///
/// ```
/// use anyrt_core::context::{self, ThreadContext};
/// use anyrt_core::Backend;
///
/// let worker = std::thread::spawn(|| {
///     context::set_for_thread(ThreadContext::async_on(Backend::Smol));
///     context::current()
/// });
/// assert_eq!(worker.join().unwrap(), Some(ThreadContext::async_on(Backend::Smol)));
/// assert_eq!(context::current(), None); // other threads are untouched
/// ```
pub fn set_for_thread(ctx: ThreadContext) {
    CURRENT.with(|c| c.set(Some(ctx)));
}

/// Restores the previous thread context when dropped. Returned by [`enter`].
///
/// ```
/// use anyrt_core::context::{self, ThreadContext};
/// use anyrt_core::Backend;
///
/// let outer = context::enter(ThreadContext::async_on(Backend::Tokio));
/// {
///     let _inner = context::enter(ThreadContext::blocking_on(Backend::Tokio));
/// } // `_inner` restores the async context
/// assert_eq!(context::current(), Some(ThreadContext::async_on(Backend::Tokio)));
/// drop(outer);
/// ```
#[derive(Debug)]
#[must_use = "the context is left again when the guard is dropped"]
pub struct EnterGuard {
    prev: Option<ThreadContext>,
}

impl Drop for EnterGuard {
    #[inline]
    fn drop(&mut self) {
        let prev = self.prev;
        CURRENT.with(|c| c.set(prev));
    }
}
