//! A task's destructor that panics: caught where the future is dropped, kept in the task's
//! metadata, and given by its handle.
//!
//! async-task drops a task's future (at cancellation, at an executor's shutdown) under a
//! guard that aborts the process if the drop panics. A task built on async-task wraps its
//! future in [`CatchDropPanic`], which drops the future inside `catch_unwind`; the payload
//! goes to the task's [`DropPanic`] (its metadata, or part of it: [`TaskMeta`]), and a handle
//! made with [`JoinHandle::from_async_task_catching`](super::JoinHandle::from_async_task_catching)
//! turns the task's "cancelled" into [`JoinError::panic`](super::JoinError::panic) with that
//! payload, as tokio's `JoinHandle` does. The slot costs no allocation; the handle, one.
//!
//! ```
//! use anyrt_core::task::drop_panic::{CatchDropPanic, DropPanic};
//! use anyrt_core::task::JoinHandle;
//! use std::sync::{Arc, Mutex};
//!
//! struct PanicOnDrop;
//! impl Drop for PanicOnDrop {
//!     fn drop(&mut self) {
//!         panic!("boom in a destructor");
//!     }
//! }
//!
//! // A hand-built executor: one queue.
//! let queue = Arc::new(Mutex::new(Vec::new()));
//! let q = queue.clone();
//! let (runnable, task) = async_task::Builder::new()
//!     .metadata(DropPanic::new())
//!     .propagate_panic(true)
//!     // SAFETY: the metadata outlives the future (async-task drops the future first).
//!     .spawn(
//!         |slot| {
//!             let future = async {
//!                 let _guard = PanicOnDrop;
//!                 futures_lite::future::yield_now().await; // back in the queue
//!                 std::future::pending::<()>().await
//!             };
//!             unsafe { CatchDropPanic::new(future, slot) }
//!         },
//!         move |r| q.lock().unwrap().push(r),
//!     );
//! runnable.run(); // the task holds its guard, and has rescheduled itself
//! let handle = JoinHandle::from_async_task_catching(task);
//! // The executor goes away: dropping a task's runnable drops its future, which panics.
//! queue.lock().unwrap().clear();
//! let err = futures_lite::future::block_on(handle).unwrap_err();
//! assert!(err.is_panic()); // not an abort of the process, not "cancelled"
//! ```

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

/// A panic's payload.
pub type Payload = Box<dyn Any + Send>;

/// Where the handle of an aborted task waits for the payload (see [`DropPanic::forward`]).
pub(crate) type Forward = Arc<Mutex<Option<Payload>>>;

/// Where a task's destructor leaves its panic: the task's async-task metadata (or part of
/// it). `const`-constructible; one mutex, touched only when a future is dropped with a panic
/// and when a handle looks for one.
#[derive(Default)]
pub struct DropPanic(Mutex<Slot>);

#[derive(Default)]
struct Slot {
    payload: Option<Payload>,
    /// Set by an abort: the payload goes there instead (the aborting handle no longer holds
    /// the task, whose metadata may be gone when it looks).
    forward: Option<Forward>,
}

impl DropPanic {
    /// An empty slot.
    pub const fn new() -> DropPanic {
        DropPanic(Mutex::new(Slot {
            payload: None,
            forward: None,
        }))
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn put(&self, payload: Payload) {
        let mut slot = self.lock();
        match &slot.forward {
            Some(f) => *f.lock().unwrap_or_else(PoisonError::into_inner) = Some(payload),
            None => slot.payload = Some(payload),
        }
    }

    /// The payload of the task's destructor, if it panicked.
    pub fn take(&self) -> Option<Payload> {
        self.lock().payload.take()
    }

    /// From now on the payload goes to the returned slot (with one already left, it is moved
    /// there): what an abort keeps once it hands the task to async-task's `cancel()`.
    pub(crate) fn forward(&self) -> Forward {
        let mut slot = self.lock();
        let f = Arc::new(Mutex::new(slot.payload.take()));
        slot.forward = Some(f.clone());
        f
    }
}

impl fmt::Debug for DropPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropPanic")
            .field("panicked", &self.lock().payload.is_some())
            .finish()
    }
}

/// Task metadata that holds a [`DropPanic`].
pub trait TaskMeta: Send + Sync + 'static {
    /// The slot.
    fn drop_panic(&self) -> &DropPanic;
}

impl TaskMeta for DropPanic {
    fn drop_panic(&self) -> &DropPanic {
        self
    }
}

/// The task's slot, borrowed for as long as the future lives (async-task drops a task's
/// future before its metadata).
struct SlotRef(*const DropPanic);

// SAFETY: it points to a `DropPanic`, which is `Sync`; it is only read through `&`.
unsafe impl Send for SlotRef {}
// SAFETY: as above.
unsafe impl Sync for SlotRef {}

/// A task's future whose destructor's panic is caught (and kept in the task's
/// [`DropPanic`]) instead of unwinding into async-task, which would abort the process. The
/// size of the future and a pointer.
pub struct CatchDropPanic<F> {
    future: ManuallyDrop<F>,
    slot: SlotRef,
}

impl<F> Drop for CatchDropPanic<F> {
    fn drop(&mut self) {
        // SAFETY: dropped once, here, in place (never moved: it may be pinned).
        if let Some(payload) = unsafe { drop_catching(&mut self.future) } {
            // SAFETY: the task's metadata, which outlives the future (`new`'s contract).
            unsafe { (*self.slot.0).put(payload) };
        }
    }
}

/// Drops the future in place inside `catch_unwind`: the payload of a panic of its
/// destructor.
///
/// # Safety
///
/// `future` is not used again.
#[inline]
unsafe fn drop_catching<F>(future: &mut ManuallyDrop<F>) -> Option<Payload> {
    // SAFETY: the caller's contract.
    panic::catch_unwind(AssertUnwindSafe(|| unsafe { ManuallyDrop::drop(future) })).err()
}

/// A task's future whose destructor's panic is caught and discarded (the panic hook has
/// printed it): for an executor that gives a task no metadata to keep the payload in
/// (async-executor's). The process goes on; the handle says cancelled. The size of the
/// future.
pub struct DiscardDropPanic<F> {
    future: ManuallyDrop<F>,
}

impl<F> Drop for DiscardDropPanic<F> {
    fn drop(&mut self) {
        // SAFETY: dropped once, here, in place.
        drop(unsafe { drop_catching(&mut self.future) });
    }
}

impl<F> DiscardDropPanic<F> {
    /// Wraps a task's future.
    pub fn new(future: F) -> Self {
        DiscardDropPanic {
            future: ManuallyDrop::new(future),
        }
    }
}

impl<F: Future> Future for DiscardDropPanic<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: a structural pin projection: the future is never moved out (it is dropped
        // in place), and `DiscardDropPanic` is `Unpin` only if `F` is.
        unsafe { self.map_unchecked_mut(|s| &mut *s.future) }.poll(cx)
    }
}

impl<F> fmt::Debug for DiscardDropPanic<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiscardDropPanic").finish_non_exhaustive()
    }
}

impl<F> CatchDropPanic<F> {
    /// Wraps a task's future; a panic of its destructor goes to `slot`.
    ///
    /// # Safety
    ///
    /// `slot` must outlive the returned future: the task's async-task metadata does (the
    /// `&M` its `Builder::spawn` closure receives), since async-task drops a task's future
    /// before its metadata.
    pub unsafe fn new(future: F, slot: &DropPanic) -> Self {
        CatchDropPanic {
            future: ManuallyDrop::new(future),
            slot: SlotRef(slot),
        }
    }
}

impl<F: Future> Future for CatchDropPanic<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: as in `DiscardDropPanic::poll`.
        unsafe { self.map_unchecked_mut(|s| &mut *s.future) }.poll(cx)
    }
}

impl<F> fmt::Debug for CatchDropPanic<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatchDropPanic").finish_non_exhaustive()
    }
}
