use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::{self, MaybeUninit};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr;
use std::task::{Context, Poll};

use super::drop_panic::{Forward, TaskMeta};
use super::JoinError;

/// A backend's native task handle, as seen by [`JoinHandle`].
///
/// A backend (or a third-party executor) implements this for its own handle type and wraps
/// it with [`JoinHandle::new`]. A type no larger than a pointer is stored inline, so a
/// `JoinHandle` built from tokio's handle or an [`async_task::Task`] costs no allocation.
///
/// Dropping the raw task must *detach* the task (let it run on), never cancel it.
///
/// ```
/// use anyrt_core::task::{JoinError, JoinHandle, RawTask};
/// use std::task::{Context, Poll};
///
/// // A task that had finished before it was wrapped: the output waits in the raw task.
/// struct Done(Option<u32>);
///
/// impl RawTask<u32> for Done {
///     fn poll_join(&mut self, _: &mut Context<'_>) -> Poll<Result<u32, JoinError>> {
///         // Polled again after giving its output: as a real task would, say "cancelled".
///         Poll::Ready(self.0.take().ok_or_else(JoinError::cancelled))
///     }
///     fn abort(&mut self) {} // finished: it keeps its output
///     fn is_finished(&self) -> bool {
///         true
///     }
/// }
///
/// let handle = JoinHandle::new(Done(Some(7)));
/// assert!(handle.is_finished());
/// assert_eq!(futures_lite::future::block_on(handle).unwrap(), 7);
/// ```
pub trait RawTask<T>: Unpin + 'static {
    /// Polls for the task's output. Panics of the task come back as [`JoinError::panic`],
    /// cancellation as [`JoinError::cancelled`]. An implementation: see [`RawTask`].
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;

    /// Asks the task to stop at its next await. A task that already finished keeps its output.
    /// An implementation: see [`RawTask`].
    fn abort(&mut self);

    /// Whether the task has finished (completed, panicked or been cancelled). An
    /// implementation: see [`RawTask`].
    fn is_finished(&self) -> bool;
}

type Slot = MaybeUninit<*mut ()>;

struct VTable<T> {
    poll: unsafe fn(*mut Slot, &mut Context<'_>) -> Poll<Result<T, JoinError>>,
    // The whole handle: an implementation may replace it (an aborted async-task handle
    // becomes one that waits for the cancellation to finish).
    abort: unsafe fn(*mut JoinHandle<T>),
    is_finished: unsafe fn(*const Slot) -> bool,
    drop: unsafe fn(*mut Slot),
}

struct Erased<R, T>(PhantomData<(R, fn() -> T)>);

impl<R: RawTask<T>, T: 'static> Erased<R, T> {
    const INLINE: bool = mem::size_of::<R>() <= mem::size_of::<Slot>()
        && mem::align_of::<R>() <= mem::align_of::<Slot>();

    const VTABLE: &'static VTable<T> = &VTable {
        poll: Self::poll,
        abort: Self::abort,
        is_finished: Self::is_finished,
        drop: Self::drop,
    };

    /// # Safety
    /// `slot` holds an `R` written by `JoinHandle::new_unchecked` with the same `R`.
    unsafe fn raw(slot: *mut Slot) -> *mut R {
        if Self::INLINE {
            slot.cast::<R>()
        } else {
            // SAFETY: a boxed `R` was stored as its pointer (caller's contract).
            unsafe { (*slot).assume_init().cast::<R>() }
        }
    }

    unsafe fn poll(slot: *mut Slot, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        // SAFETY: the slot holds a live `R`; the handle is borrowed mutably.
        unsafe { (*Self::raw(slot)).poll_join(cx) }
    }

    unsafe fn abort(handle: *mut JoinHandle<T>) {
        // SAFETY: the handle is live and its slot holds an `R` (as in `poll`).
        unsafe { (*Self::raw(&raw mut (*handle).slot)).abort() }
    }

    unsafe fn is_finished(slot: *const Slot) -> bool {
        // SAFETY: as in `poll`, read only.
        unsafe { (*Self::raw(slot.cast_mut())).is_finished() }
    }

    unsafe fn drop(slot: *mut Slot) {
        if Self::INLINE {
            // SAFETY: the slot holds a live `R` that is dropped exactly once, here.
            unsafe { ptr::drop_in_place(slot.cast::<R>()) }
        } else {
            // SAFETY: the pointer came from `Box::into_raw` and is freed exactly once.
            drop(unsafe { Box::from_raw(Self::raw(slot)) })
        }
    }
}

/// An owned permission to await a spawned task's output.
///
/// * Awaiting it gives `Ok(output)`, or `Err(JoinError)` if the task panicked or was
///   cancelled. The same on every backend.
/// * Dropping it **detaches** the task: the task keeps running (smol's own `Task` would
///   cancel it; anyrt does not). Use [`abort_on_drop`](Self::abort_on_drop) to tie the task
///   to a scope instead.
/// * It is `Send` when `T` is, `Unpin`, and two pointers wide on every backend.
///
/// Awaiting a `JoinHandle` is cancel-safe: dropping the await does not affect the task, and
/// the handle can be awaited again.
///
/// ```
/// use std::time::Duration;
///
/// anyrt::block_on(async {
///     let handle = anyrt::spawn(async { 6 * 7 });
///     assert_eq!(handle.await.unwrap(), 42);
///
///     // Cancel-safe: giving up on an await leaves the task and the handle as they were.
///     let (go, wait) = anyrt::channel::oneshot::channel::<()>();
///     let mut handle = anyrt::spawn(async move { wait.await.is_ok() });
///     let early = anyrt::time::timeout(Duration::from_millis(5), &mut handle).await;
///     assert!(early.is_err());
///     go.send(()).unwrap();
///     assert!(handle.await.unwrap());
/// });
/// ```
pub struct JoinHandle<T> {
    slot: Slot,
    // Points to a `'static` vtable; a raw pointer so that `JoinHandle<T>` needs no `T: 'static`.
    vtable: ptr::NonNull<VTable<T>>,
    // `JoinHandle<T>` is `Send`/`Sync` only by the impls below.
    _not_send: PhantomData<*const T>,
}

// SAFETY: every constructor guarantees the stored raw task is `Send + Sync` whenever `T` is
// `Send` (`new` requires it; `new_unchecked` makes it the caller's contract).
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: as above; `&JoinHandle` only exposes `is_finished`, which takes `&R`.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T: 'static> JoinHandle<T> {
    /// Wraps a backend's raw task. A raw task no larger than a pointer is stored inline;
    /// a larger one is boxed.
    ///
    /// ```
    /// use anyrt_core::task::{JoinError, JoinHandle, RawTask};
    /// use std::task::{Context, Poll};
    ///
    /// // A handle for a task that never ran (as for a spawn refused at shutdown).
    /// struct Refused;
    ///
    /// impl RawTask<u8> for Refused {
    ///     fn poll_join(&mut self, _: &mut Context<'_>) -> Poll<Result<u8, JoinError>> {
    ///         Poll::Ready(Err(JoinError::cancelled()))
    ///     }
    ///     fn abort(&mut self) {}
    ///     fn is_finished(&self) -> bool {
    ///         true
    ///     }
    /// }
    ///
    /// let handle: JoinHandle<u8> = JoinHandle::new(Refused);
    /// let err = futures_lite::future::block_on(handle).unwrap_err();
    /// assert!(err.is_cancelled());
    /// ```
    pub fn new<R>(raw: R) -> Self
    where
        R: RawTask<T> + Send + Sync,
    {
        // SAFETY: `R: Send + Sync`.
        unsafe { Self::new_unchecked(raw) }
    }

    /// Wraps a raw task that need not be `Send` (a local task's handle).
    ///
    /// # Safety
    ///
    /// If `T: Send`, `R` must be `Send + Sync`: the handle will be sent across threads.
    ///
    /// ```
    /// use anyrt_core::task::{JoinError, JoinHandle, RawTask};
    /// use std::rc::Rc;
    /// use std::task::{Context, Poll};
    ///
    /// // A local task's output: `Rc` is not `Send`, and neither is this raw task.
    /// struct LocalDone(Option<Rc<str>>);
    ///
    /// impl RawTask<Rc<str>> for LocalDone {
    ///     fn poll_join(&mut self, _: &mut Context<'_>) -> Poll<Result<Rc<str>, JoinError>> {
    ///         Poll::Ready(self.0.take().ok_or_else(JoinError::cancelled))
    ///     }
    ///     fn abort(&mut self) {}
    ///     fn is_finished(&self) -> bool {
    ///         true
    ///     }
    /// }
    ///
    /// // SAFETY: `Rc<str>` is not `Send`, so the handle cannot leave this thread.
    /// let handle = unsafe { JoinHandle::new_unchecked(LocalDone(Some("local".into()))) };
    /// assert_eq!(&*futures_lite::future::block_on(handle).unwrap(), "local");
    /// ```
    pub unsafe fn new_unchecked<R: RawTask<T>>(raw: R) -> Self {
        let mut slot: Slot = MaybeUninit::uninit();
        if Erased::<R, T>::INLINE {
            // SAFETY: `R` fits the slot in size and alignment (checked by `INLINE`).
            unsafe { ptr::write(slot.as_mut_ptr().cast::<R>(), raw) }
        } else {
            slot.write(Box::into_raw(Box::new(raw)).cast::<()>());
        }
        JoinHandle {
            slot,
            vtable: ptr::NonNull::from(Erased::<R, T>::VTABLE),
            _not_send: PhantomData,
        }
    }

    /// Wraps an [`async_task::Task`], as returned by `async_executor::Executor::spawn`,
    /// `blocking::unblock` or a hand-built executor. Its panics (with
    /// `propagate_panic(true)`) become [`JoinError::panic`]; a task that was dropped
    /// unfinished becomes [`JoinError::cancelled`]. No allocation.
    ///
    /// ```
    /// use anyrt_core::task::JoinHandle;
    ///
    /// let ex = async_executor::Executor::new();
    /// let handle = JoinHandle::from_async_task(ex.spawn(async { 1 + 1 }));
    /// let panicked = JoinHandle::from_async_task(ex.spawn(async { panic!("boom") }));
    /// futures_lite::future::block_on(ex.run(async {
    ///     assert_eq!(handle.await.unwrap(), 2);
    ///     assert!(panicked.await.unwrap_err().is_panic());
    /// }));
    /// ```
    ///
    /// A task built with metadata (`async_task::Builder::metadata`, as a hand-built
    /// executor does) is wrapped the same way; the metadata stays with the task.
    pub fn from_async_task<M: Send + Sync + 'static>(task: async_task::Task<T, M>) -> Self {
        // SAFETY: `async_task::Task<T, M>` is `Send` when `T: Send` (and `M: Send + Sync`)
        // and `Sync` when `M` is.
        let mut handle = unsafe { Self::new_unchecked(AsyncTask::new(task)) };
        // The same handle, with an `abort` that waits for the cancellation (see `AsyncTask`).
        handle.vtable = ptr::NonNull::from(AsyncTask::<T, M>::VTABLE);
        handle
    }

    /// Like [`from_async_task`](Self::from_async_task), for a task whose future is wrapped in
    /// [`CatchDropPanic`](super::drop_panic::CatchDropPanic) with the slot of its metadata: a
    /// task dropped unfinished whose destructor panicked (at abort, at shutdown) gives
    /// [`JoinError::panic`] with that payload instead of "cancelled", as on tokio. No
    /// One allocation: the handle keeps a pointer to the metadata beside async-task's
    /// (whose fallible handle does not give it). See [`drop_panic`](super::drop_panic).
    pub fn from_async_task_catching<M: TaskMeta>(task: async_task::Task<T, M>) -> Self {
        let meta = MetaRef(task.metadata());
        // SAFETY: as in `from_async_task`; `M: Send + Sync`, so `MetaRef` may cross threads.
        let mut handle = unsafe { Self::new_unchecked(Catching(AsyncTask::new(task), meta)) };
        handle.vtable = ptr::NonNull::from(Catching::<T, M>::VTABLE);
        handle
    }

    /// Like [`from_async_task`](Self::from_async_task), for a blocking closure's task:
    /// [`abort`](Self::abort) leaves it running, since a started closure cannot be stopped.
    ///
    /// ```
    /// use anyrt_core::task::JoinHandle;
    ///
    /// let ex = async_executor::Executor::new();
    /// // A real backend hands the closure to a blocking pool (the `blocking` crate).
    /// let task = ex.spawn(async { "the closure's result" });
    /// let mut handle = JoinHandle::from_blocking_async_task(task);
    /// handle.abort(); // no effect on a blocking closure
    /// let out = futures_lite::future::block_on(ex.run(handle));
    /// assert_eq!(out.unwrap(), "the closure's result");
    /// ```
    pub fn from_blocking_async_task<M: Send + Sync + 'static>(
        task: async_task::Task<T, M>,
    ) -> Self {
        // SAFETY: as in `from_async_task`.
        unsafe { Self::new_unchecked(Blocking(AsyncTask::new(task))) }
    }

    /// A handle to a task that never ran: awaiting it gives a cancelled [`JoinError`].
    /// Used for a spawn onto a runtime that has shut down.
    ///
    /// ```
    /// use anyrt_core::task::JoinHandle;
    ///
    /// let handle = JoinHandle::<u8>::cancelled();
    /// assert!(handle.is_finished());
    /// assert!(futures_lite::future::block_on(handle).unwrap_err().is_cancelled());
    /// ```
    pub fn cancelled() -> Self {
        Self::new(Cancelled)
    }
}

impl<T> JoinHandle<T> {
    /// Asks the task to stop: it is dropped at its next await and awaiting this handle gives
    /// `Err(e)` with `e.is_cancelled()`.
    ///
    /// A task that already completed keeps its output, and a blocking closure is never
    /// stopped (a started closure cannot be): awaiting gives its own result.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let mut stuck = anyrt::spawn(std::future::pending::<()>());
    ///     stuck.abort();
    ///     assert!(stuck.await.unwrap_err().is_cancelled());
    ///
    ///     let mut done = anyrt::spawn(async { 1 });
    ///     while !done.is_finished() {
    ///         anyrt::task::yield_now().await;
    ///     }
    ///     done.abort(); // too late: the output is kept
    ///     assert_eq!(done.await.unwrap(), 1);
    /// });
    /// ```
    pub fn abort(&mut self) {
        // SAFETY: the vtable matches the slot's contents; the handle is borrowed mutably.
        unsafe { ((*self.vtable.as_ptr()).abort)(self) }
    }

    /// Whether the task has finished: completed, panicked or been cancelled. It never
    /// waits: a finished task's handle gives its result at the first poll.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let handle = anyrt::spawn(async { "done" });
    ///     while !handle.is_finished() {
    ///         anyrt::task::yield_now().await; // let it run
    ///     }
    ///     assert_eq!(handle.await.unwrap(), "done");
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        // SAFETY: the vtable matches the slot's contents.
        unsafe { ((*self.vtable.as_ptr()).is_finished)(&self.slot) }
    }

    /// A guard that aborts the task when dropped, for tasks that must not outlive a scope.
    /// The guard is itself a future giving the task's output.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let (tx, rx) = anyrt::channel::oneshot::channel::<()>();
    ///     let guard = anyrt::spawn(async move {
    ///         let _tx = tx; // dropped with the task
    ///         std::future::pending::<()>().await
    ///     })
    ///     .abort_on_drop();
    ///     drop(guard); // aborts the task...
    ///     assert!(rx.await.is_err()); // ...which dropped its sender
    /// });
    /// ```
    pub fn abort_on_drop(self) -> AbortOnDrop<T> {
        AbortOnDrop(self)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: the vtable matches the slot's contents.
        unsafe { ((*self.vtable.as_ptr()).poll)(&mut self.slot, cx) }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // SAFETY: the vtable matches the slot's contents; dropped once.
        unsafe { ((*self.vtable.as_ptr()).drop)(&mut self.slot) }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// A [`JoinHandle`] that aborts its task when dropped. Made by
/// [`JoinHandle::abort_on_drop`]; awaiting it gives the task's output.
///
/// Awaiting `&mut guard` is cancel-safe, as for a `JoinHandle`; dropping the guard itself
/// aborts the task. It derefs to the [`JoinHandle`] (`is_finished`, `abort`).
///
/// ```
/// anyrt::block_on(async {
///     let guard = anyrt::spawn(async { 5 }).abort_on_drop();
///     assert_eq!(guard.await.unwrap(), 5);
/// });
/// ```
pub struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    /// Gives the handle back without aborting the task.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let guard = anyrt::spawn(async { 5 }).abort_on_drop();
    ///     let handle = guard.into_inner(); // dropping it now would detach, not abort
    ///     assert_eq!(handle.await.unwrap(), 5);
    /// });
    /// ```
    pub fn into_inner(self) -> JoinHandle<T> {
        let this = mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again.
        unsafe { ptr::read(&this.0) }
    }
}

impl<T> std::ops::Deref for AbortOnDrop<T> {
    type Target = JoinHandle<T>;
    fn deref(&self) -> &JoinHandle<T> {
        &self.0
    }
}

impl<T> std::ops::DerefMut for AbortOnDrop<T> {
    fn deref_mut(&mut self) -> &mut JoinHandle<T> {
        &mut self.0
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> fmt::Debug for AbortOnDrop<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AbortOnDrop").field(&self.0).finish()
    }
}

/// The raw task for an [`async_task::Task`]: `None` once aborted.
///
/// Dropping an async-task handle cancels the task but does not wait for it: the task may
/// still be running its poll. So `abort` (through the handle's own vtable entry) replaces
/// the handle with a [`Cancelling`] one that awaits async-task's `cancel()`: awaiting it
/// returns once the future has been dropped, and gives the output if the poll that was
/// running completed the task, as on tokio. Two allocations per abort; none per spawn.
struct AsyncTask<T, M = ()>(Option<async_task::FallibleTask<T, M>>);

impl<T, M> AsyncTask<T, M> {
    fn new(task: async_task::Task<T, M>) -> Self {
        AsyncTask(Some(task.fallible()))
    }
}

impl<T: 'static, M: 'static> AsyncTask<T, M> {
    const VTABLE: &'static VTable<T> = &VTable {
        poll: Erased::<AsyncTask<T, M>, T>::poll,
        abort: AsyncTask::<T, M>::abort_handle,
        is_finished: Erased::<AsyncTask<T, M>, T>::is_finished,
        drop: Erased::<AsyncTask<T, M>, T>::drop,
    };

    /// # Safety
    ///
    /// `handle` is a live `JoinHandle` built by `from_async_task` (its slot holds an
    /// `AsyncTask<T>`).
    unsafe fn abort_handle(handle: *mut JoinHandle<T>) {
        // SAFETY: the caller's contract: the slot holds an `AsyncTask<T>`, borrowed mutably.
        let this = unsafe { &mut *Erased::<AsyncTask<T, M>, T>::raw(&raw mut (*handle).slot) };
        // A task that finished keeps its output; an aborted one is `None`.
        let Some(task) = this.0.take_if(|t| !t.is_finished()) else {
            return;
        };
        let cancelling = Cancelling::start(task, None);
        // SAFETY: `handle` is live and borrowed mutably; the old handle dropped by the
        // assignment holds `AsyncTask(None)`, whose drop does nothing. The new raw task holds
        // the same task, so it is `Send`/`Sync` exactly when the old one was.
        unsafe { *handle = JoinHandle::new_unchecked(cancelling) };
    }
}

/// A cancelled async-task task whose cancellation may still be finishing: see [`AsyncTask`].
struct Cancelling<T> {
    state: std::sync::Mutex<CancelState<T>>,
    /// Where the task's destructor leaves its panic ([`Catching`]'s abort).
    drop_panic: Option<Forward>,
}

// Never pinned: the output is only moved out.
impl<T> Unpin for Cancelling<T> {}

enum CancelState<T> {
    /// async-task's `cancel()`, pending; and the waker of the last poll of the handle (the
    /// task's one awaiter), so that `is_finished` can look without losing it.
    Waiting {
        cancel: Pin<Box<dyn Future<Output = Option<T>>>>,
        waker: Option<std::task::Waker>,
    },
    Done(Result<T, JoinError>),
    Taken,
}

impl<T: 'static> Cancelling<T> {
    fn start<M: 'static>(
        task: async_task::FallibleTask<T, M>,
        drop_panic: Option<Forward>,
    ) -> Self {
        let mut cancel: Pin<Box<dyn Future<Output = Option<T>>>> = Box::pin(task.cancel());
        // The first poll cancels the task (it is dropped at its next await, or now if idle).
        let state = match Self::poll_cancel(&mut cancel, std::task::Waker::noop(), &drop_panic) {
            Poll::Ready(out) => CancelState::Done(out),
            Poll::Pending => CancelState::Waiting {
                cancel,
                waker: None,
            },
        };
        Cancelling {
            state: std::sync::Mutex::new(state),
            drop_panic,
        }
    }

    fn poll_cancel(
        cancel: &mut Pin<Box<dyn Future<Output = Option<T>>>>,
        waker: &std::task::Waker,
        drop_panic: &Option<Forward>,
    ) -> Poll<Result<T, JoinError>> {
        let mut cx = Context::from_waker(waker);
        // As at join: a panic of the task is resumed here (`propagate_panic`).
        match panic::catch_unwind(AssertUnwindSafe(|| cancel.as_mut().poll(&mut cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            // The poll that was running when `abort()` came completed the task.
            Ok(Poll::Ready(Some(v))) => Poll::Ready(Ok(v)),
            // Dropped: with a panic of its destructor, that panic.
            Ok(Poll::Ready(None)) => Poll::Ready(Err(drop_panic
                .as_ref()
                .and_then(|f| {
                    f.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .take()
                })
                .map_or_else(JoinError::cancelled, JoinError::panic))),
            Err(payload) => Poll::Ready(Err(JoinError::panic(payload))),
        }
    }
}

impl<T: 'static> RawTask<T> for Cancelling<T> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let state = self
            .state
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let out = match state {
            CancelState::Waiting { cancel, waker } => {
                *waker = Some(cx.waker().clone());
                match Self::poll_cancel(cancel, cx.waker(), &self.drop_panic) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(out) => out,
                }
            }
            CancelState::Done(_) => match std::mem::replace(state, CancelState::Taken) {
                CancelState::Done(out) => out,
                _ => unreachable!(),
            },
            CancelState::Taken => Err(JoinError::cancelled()),
        };
        *state = CancelState::Taken;
        Poll::Ready(out)
    }

    fn abort(&mut self) {}

    fn is_finished(&self) -> bool {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let CancelState::Waiting { cancel, waker } = &mut *state else {
            return true;
        };
        let waker = waker
            .clone()
            .unwrap_or_else(|| std::task::Waker::noop().clone());
        match Self::poll_cancel(cancel, &waker, &self.drop_panic) {
            Poll::Pending => false,
            Poll::Ready(out) => {
                *state = CancelState::Done(out);
                true
            }
        }
    }
}

impl<T: 'static, M: 'static> RawTask<T> for AsyncTask<T, M> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let Some(task) = self.0.as_mut() else {
            return Poll::Ready(Err(JoinError::cancelled()));
        };
        // The executor caught the task's panic (`propagate_panic`) and resumes it here: the
        // panic is caught at join instead of by boxing the task.
        match panic::catch_unwind(AssertUnwindSafe(|| Pin::new(task).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(Some(v))) => Poll::Ready(Ok(v)),
            Ok(Poll::Ready(None)) => Poll::Ready(Err(JoinError::cancelled())),
            Err(payload) => Poll::Ready(Err(JoinError::panic(payload))),
        }
    }

    // Reached only through `JoinHandle::new` (not `from_async_task`, whose vtable waits):
    // dropping an async-task handle cancels the task.
    fn abort(&mut self) {
        if self.0.as_ref().is_some_and(|t| !t.is_finished()) {
            self.0 = None;
        }
    }

    fn is_finished(&self) -> bool {
        self.0.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl<T, M> Drop for AsyncTask<T, M> {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.detach();
        }
    }
}

/// The raw task of [`JoinHandle::from_async_task_catching`]: an [`AsyncTask`] whose
/// "cancelled" becomes the panic its destructor left in the metadata's
/// [`DropPanic`](super::drop_panic::DropPanic).
struct Catching<T, M>(AsyncTask<T, M>, MetaRef<M>);

/// The task's metadata, valid while the handle holds the task.
struct MetaRef<M>(*const M);

// SAFETY: it is only read through `&M`, and `TaskMeta: Sync`.
unsafe impl<M: TaskMeta> Send for MetaRef<M> {}
// SAFETY: as above.
unsafe impl<M: TaskMeta> Sync for MetaRef<M> {}

impl<T, M> Catching<T, M> {
    /// The metadata's slot, while the task is held (`None` once aborted).
    fn drop_panic(&self) -> Option<&super::drop_panic::DropPanic>
    where
        M: TaskMeta,
    {
        // SAFETY: the metadata lives as long as the task, which `self.0` still holds.
        self.0
             .0
            .as_ref()
            .map(|_| unsafe { (*self.1 .0).drop_panic() })
    }
}

impl<T: 'static, M: TaskMeta> Catching<T, M> {
    const VTABLE: &'static VTable<T> = &VTable {
        poll: Erased::<Catching<T, M>, T>::poll,
        abort: Catching::<T, M>::abort_handle,
        is_finished: Erased::<Catching<T, M>, T>::is_finished,
        drop: Erased::<Catching<T, M>, T>::drop,
    };

    /// As [`AsyncTask::abort_handle`], keeping a slot for the destructor's panic: the
    /// metadata may be gone once `cancel()` has finished.
    ///
    /// # Safety
    ///
    /// `handle` is a live `JoinHandle` built by `from_async_task_catching`.
    unsafe fn abort_handle(handle: *mut JoinHandle<T>) {
        // SAFETY: the caller's contract: the slot holds a `Catching<T, M>`, borrowed mutably.
        let this = unsafe { &mut *Erased::<Catching<T, M>, T>::raw(&raw mut (*handle).slot) };
        let Some(task) = this.0 .0.take_if(|t| !t.is_finished()) else {
            return;
        };
        // SAFETY: `task` is held here: its metadata lives.
        let forward = unsafe { (*this.1 .0).drop_panic() }.forward();
        let cancelling = Cancelling::start(task, Some(forward));
        // SAFETY: as in `AsyncTask::abort_handle`.
        unsafe { *handle = JoinHandle::new_unchecked(cancelling) };
    }
}

impl<T: 'static, M: TaskMeta> RawTask<T> for Catching<T, M> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let out = std::task::ready!(self.0.poll_join(cx));
        Poll::Ready(match out {
            Err(e) if e.is_cancelled() => {
                let payload = self.drop_panic().and_then(|d| d.take());
                Err(payload.map_or(e, JoinError::panic))
            }
            out => out,
        })
    }

    fn abort(&mut self) {
        self.0.abort();
    }

    fn is_finished(&self) -> bool {
        self.0.is_finished()
    }
}

struct Blocking<R>(R);

impl<T, R: RawTask<T>> RawTask<T> for Blocking<R> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        self.0.poll_join(cx)
    }
    fn abort(&mut self) {}
    fn is_finished(&self) -> bool {
        self.0.is_finished()
    }
}

struct Cancelled;

impl<T> RawTask<T> for Cancelled {
    fn poll_join(&mut self, _: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        Poll::Ready(Err(JoinError::cancelled()))
    }
    fn abort(&mut self) {}
    fn is_finished(&self) -> bool {
        true
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(mem::size_of::<JoinHandle<u64>>(), 16);
        assert_eq!(mem::size_of::<Option<JoinHandle<u64>>>(), 16);
        const { assert!(Erased::<AsyncTask<u64>, u64>::INLINE) };
    }

    struct Big([u64; 4], #[allow(dead_code)] std::sync::Arc<()>);
    impl RawTask<u64> for Big {
        fn poll_join(&mut self, _: &mut Context<'_>) -> Poll<Result<u64, JoinError>> {
            Poll::Ready(Ok(self.0.iter().sum()))
        }
        fn abort(&mut self) {}
        fn is_finished(&self) -> bool {
            true
        }
    }

    #[test]
    fn boxed_raw_task_is_polled_and_dropped() {
        let arc = std::sync::Arc::new(());
        let h = JoinHandle::new(Big([1, 2, 3, 4], arc.clone()));
        assert!(h.is_finished());
        assert_eq!(futures_lite::future::block_on(h).unwrap(), 10);
        assert_eq!(std::sync::Arc::strong_count(&arc), 1);
    }

    #[test]
    fn cancelled_handle() {
        let h = JoinHandle::<u8>::cancelled();
        assert!(futures_lite::future::block_on(h)
            .unwrap_err()
            .is_cancelled());
    }

    #[test]
    fn async_task_detach_abort_panic() {
        let ex = async_executor::Executor::new();
        // Dropping the handle detaches.
        let (tx, rx) = std::sync::mpsc::channel();
        drop(JoinHandle::from_async_task(ex.spawn(async move {
            tx.send(1).unwrap();
        })));
        while ex.try_tick() {}
        assert_eq!(rx.try_recv(), Ok(1));
        // Abort before completion cancels.
        let mut h = JoinHandle::from_async_task(ex.spawn(async { 1 }));
        h.abort();
        while ex.try_tick() {}
        assert!(futures_lite::future::block_on(h)
            .unwrap_err()
            .is_cancelled());
        // Abort after completion keeps the output.
        let mut h = JoinHandle::from_async_task(ex.spawn(async { 2 }));
        while ex.try_tick() {}
        h.abort();
        assert_eq!(futures_lite::future::block_on(h).unwrap(), 2);
        // A panic comes back as a JoinError.
        let h = JoinHandle::from_async_task(ex.spawn(async { panic!("boom") }));
        while ex.try_tick() {}
        let err: JoinError = futures_lite::future::block_on(h).unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.to_string(), "task panicked: boom");
    }
}
