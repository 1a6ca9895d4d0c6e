//! The thread-local that says which anyrt runtime the calling thread is inside.
//!
//! Backends set it on their worker threads, inside `block_on` and inside `spawn_blocking`
//! closures; the facade reads it first (one thread-local read) when it picks a backend or
//! decides whether blocking is allowed.

use std::cell::Cell;

use crate::Backend;

/// What kind of code the calling thread is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContextKind {
    /// Async code: a runtime worker, a task, or the future inside `block_on`. Blocking here
    /// stalls other tasks, so `block_on` and the `_blocking` channel methods refuse.
    Async,
    /// A blocking closure (`spawn_blocking`): blocking is allowed.
    Blocking,
}

/// The anyrt runtime context of a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadContext {
    /// The backend whose runtime the thread is inside.
    pub backend: Backend,
    /// Whether the thread is running async code or a blocking closure.
    pub kind: ContextKind,
}

impl ThreadContext {
    /// An async context of `backend`.
    pub const fn async_on(backend: Backend) -> Self {
        ThreadContext {
            backend,
            kind: ContextKind::Async,
        }
    }

    /// A blocking context of `backend`.
    pub const fn blocking_on(backend: Backend) -> Self {
        ThreadContext {
            backend,
            kind: ContextKind::Blocking,
        }
    }
}

thread_local! {
    static CURRENT: Cell<Option<ThreadContext>> = const { Cell::new(None) };
}

/// The anyrt context of the calling thread, if a backend set one.
#[inline]
pub fn current() -> Option<ThreadContext> {
    CURRENT.with(Cell::get)
}

/// Sets the context of the calling thread until the guard is dropped, then restores the
/// previous one.
#[inline]
pub fn enter(ctx: ThreadContext) -> EnterGuard {
    let prev = CURRENT.with(|c| c.replace(Some(ctx)));
    EnterGuard { prev }
}

/// Sets the context of the calling thread for the rest of its life (runtime worker threads).
pub fn set_for_thread(ctx: ThreadContext) {
    CURRENT.with(|c| c.set(Some(ctx)));
}

/// Restores the previous thread context when dropped. Returned by [`enter`].
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
