//! Which anyrt-owned tokio runtime a thread belongs to, and whether it has shut down: the
//! state that tasks, sleeps and handles consult without a reference count.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use anyrt_core::context;
use anyrt_core::Backend;

/// Whether anyrt's thread context says tokio. Every place that sets it (a worker thread of
/// an anyrt tokio runtime, a tokio blocking thread, `block_on`) also has tokio's own runtime
/// context entered, so tokio's free functions (`tokio::spawn`, `tokio::time::sleep`) work.
#[inline]
pub(crate) fn in_anyrt_tokio() -> bool {
    matches!(context::current(), Some(ctx) if ctx.backend == Backend::Tokio)
}

/// The shut-down state of an anyrt-owned runtime, in a slot that is never freed, so that
/// tasks, sleeps and handles can refer to it without a reference count (a sleep is made far
/// more often than a runtime). Once its runtime has shut down, a slot is reused by the next
/// runtime built; the epoch tells the two apart. There are never more slots than anyrt
/// runtimes open at once.
#[derive(Debug)]
struct Slot {
    epoch: AtomicU64,
}

static FREE_SLOTS: Mutex<Vec<&'static Slot>> = Mutex::new(Vec::new());

/// An anyrt-owned runtime, as its tasks, sleeps and handles see it: `Copy`, 16 bytes, and
/// [`is_closed`](Self::is_closed) is one atomic load.
#[derive(Clone, Copy)]
pub(crate) struct RuntimeId {
    slot: &'static Slot,
    epoch: u64,
}

impl RuntimeId {
    /// A fresh, open runtime id.
    pub(crate) fn open() -> RuntimeId {
        let free = FREE_SLOTS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let slot = free.unwrap_or_else(|| {
            Box::leak(Box::new(Slot {
                epoch: AtomicU64::new(0),
            }))
        });
        RuntimeId {
            slot,
            epoch: slot.epoch.load(Ordering::Acquire),
        }
    }

    /// Whether the runtime has shut down (or started to).
    #[inline]
    pub(crate) fn is_closed(self) -> bool {
        self.slot.epoch.load(Ordering::Acquire) != self.epoch
    }

    /// Marks the runtime shut down, for good, and frees its slot for a later runtime.
    pub(crate) fn close(self) {
        let next = self.epoch.wrapping_add(1);
        let closed =
            self.slot
                .epoch
                .compare_exchange(self.epoch, next, Ordering::AcqRel, Ordering::Acquire);
        if closed.is_ok() {
            FREE_SLOTS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(self.slot);
        }
    }
}

impl fmt::Debug for RuntimeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeId")
            .field("closed", &self.is_closed())
            .finish()
    }
}

thread_local! {
    /// The anyrt-owned runtime this thread belongs to: set for good on its worker and
    /// blocking threads, and for the duration of a `block_on` through it. `None` for the
    /// process-wide runtime (which never shuts down) and on every other thread. No
    /// destructor, so reading it is as cheap as a thread-local gets.
    static THREAD_RUNTIME: Cell<Option<RuntimeId>> = const { Cell::new(None) };
}

/// The anyrt-owned runtime the calling thread belongs to (see [`THREAD_RUNTIME`]).
#[inline]
pub(crate) fn thread_runtime() -> Option<RuntimeId> {
    THREAD_RUNTIME.get()
}

/// Sets [`THREAD_RUNTIME`] for good (a runtime's own threads).
pub(crate) fn set_thread_runtime(runtime: Option<RuntimeId>) {
    THREAD_RUNTIME.set(runtime);
}

/// Sets [`THREAD_RUNTIME`] until dropped, then restores the previous value.
pub(crate) struct ThreadRuntimeGuard {
    prev: Option<RuntimeId>,
}

pub(crate) fn enter_thread_runtime(runtime: Option<RuntimeId>) -> ThreadRuntimeGuard {
    ThreadRuntimeGuard {
        prev: THREAD_RUNTIME.replace(runtime),
    }
}

impl Drop for ThreadRuntimeGuard {
    fn drop(&mut self) {
        THREAD_RUNTIME.set(self.prev);
    }
}

pin_project_lite::pin_project! {
    /// A task's future, which stops being polled once its runtime has shut down.
    ///
    /// tokio's workers go on taking queued tasks until they notice a shutdown; tasks of a
    /// dropped runtime must not run in that window. A task is only polled by its runtime's
    /// threads, so the check reads their thread-local (`None`, never closed, on the
    /// process-wide runtime's and foreign runtimes' threads): no size, no allocation, one
    /// thread-local read per poll. A task stopped this way pends until tokio's shutdown
    /// drops it, which cancels it.
    pub(crate) struct Stoppable<F> {
        #[pin]
        future: F,
    }
}

impl<F> Stoppable<F> {
    #[inline]
    pub(crate) fn new(future: F) -> Stoppable<F> {
        Stoppable { future }
    }
}

impl<F: Future> Future for Stoppable<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if thread_runtime().is_some_and(RuntimeId::is_closed) {
            return Poll::Pending;
        }
        self.project().future.poll(cx)
    }
}
