//! Spawning: [`spawn`], [`spawn_blocking`], [`yield_now`], and the [`RawTask`]s that turn
//! tokio's join handles into anyrt [`JoinHandle`]s without an allocation.

use std::fmt;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::{JoinError, JoinHandle, RawTask};
use anyrt_core::Backend;

use crate::runtime::{self, Stoppable};

/// tokio's own join handle (8 bytes, so [`JoinHandle::new`] stores it inline).
struct TokioTask<T>(tokio::task::JoinHandle<T>);

impl<T: 'static> RawTask<T> for TokioTask<T> {
    #[inline]
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        // tokio catches the task's panic where it polls the task and hands it over here:
        // nothing is boxed per spawn to catch it.
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.map_err(join_error))
    }

    fn abort(&mut self) {
        self.0.abort();
    }

    fn is_finished(&self) -> bool {
        self.0.is_finished()
    }
}

/// A blocking closure's handle: `abort` leaves it alone, since a started closure cannot be
/// stopped and anyrt does not distinguish "queued" from "started".
struct BlockingTask<T>(tokio::task::JoinHandle<T>);

impl<T: 'static> RawTask<T> for BlockingTask<T> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.map_err(join_error))
    }

    fn abort(&mut self) {}

    fn is_finished(&self) -> bool {
        self.0.is_finished()
    }
}

fn join_error(e: tokio::task::JoinError) -> JoinError {
    match e.try_into_panic() {
        Ok(payload) => JoinError::panic(payload),
        Err(_) => JoinError::cancelled(),
    }
}

/// Wraps tokio's handle of a task.
#[inline]
pub(crate) fn from_tokio<T: Send + 'static>(h: tokio::task::JoinHandle<T>) -> JoinHandle<T> {
    JoinHandle::new(TokioTask(h))
}

/// Wraps tokio's handle of a blocking closure.
pub(crate) fn from_tokio_blocking<T: Send + 'static>(
    h: tokio::task::JoinHandle<T>,
) -> JoinHandle<T> {
    JoinHandle::new(BlockingTask(h))
}

/// Whether anyrt's thread context says tokio. Every place that sets it (a worker thread of
/// an anyrt tokio runtime, a tokio blocking thread, `block_on`) also has tokio's own runtime
/// context entered, so tokio's free functions (`tokio::spawn`, `tokio::time::sleep`) work.
#[inline]
pub(crate) fn in_anyrt_tokio() -> bool {
    matches!(context::current(), Some(ctx) if ctx.backend == Backend::Tokio)
}

/// A blocking closure that runs with anyrt's blocking context, so `block_on` works in it.
pub(crate) fn blocking_closure<F, R>(f: F) -> impl FnOnce() -> R + Send + 'static
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    move || {
        let _ctx = context::enter(ThreadContext::blocking_on(Backend::Tokio));
        f()
    }
}

/// Spawns a task on the tokio runtime the calling thread is inside, else on the
/// process-wide runtime.
///
/// Inside anyrt's tokio context (a task, a `block_on`, a worker thread of an anyrt
/// [`Runtime`](crate::Runtime)) this is `tokio::spawn` after one thread-local read. Inside
/// a tokio runtime the application started itself, the task goes to that runtime. On a
/// thread with no tokio runtime, it goes to the process-wide runtime (started at the first
/// use). It never panics for lack of a runtime.
///
/// Dropping the returned handle detaches the task. The only allocation is tokio's own.
///
/// ```
/// let h = anyrt_tokio::spawn(async { 1 + 1 });
/// assert_eq!(anyrt_tokio::block_on(h).unwrap(), 2);
/// ```
#[inline]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // The wrapper stops the task from starting once its runtime is shut down (it has no
    // size and costs one thread-local read per poll).
    let future = Stoppable::new(future);
    let h = if in_anyrt_tokio() {
        tokio::spawn(future)
    } else {
        runtime::with_fallback_handle(|h| h.spawn(future))
    };
    from_tokio(h)
}

/// Runs a blocking closure on tokio's blocking thread pool (of the runtime chosen as for
/// [`spawn`]).
///
/// Inside the closure, anyrt's thread context says "blocking on tokio", so
/// [`block_on`](crate::block_on) and the `_blocking` channel methods work there.
/// [`abort`](JoinHandle::abort) on the handle does nothing: a closure cannot be stopped.
/// A panic in the closure comes back as [`JoinError::is_panic`].
///
/// ```
/// let h = anyrt_tokio::spawn_blocking(|| std::thread::sleep(std::time::Duration::from_millis(1)));
/// anyrt_tokio::block_on(h).unwrap();
/// ```
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let f = blocking_closure(f);
    let h = if in_anyrt_tokio() {
        tokio::task::spawn_blocking(f)
    } else {
        runtime::with_fallback_handle(|h| h.spawn_blocking(f))
    };
    from_tokio_blocking(h)
}

/// Yields once to the tokio scheduler, letting other tasks run: tokio's own
/// `tokio::task::yield_now`, so the task goes to the back of the run queue as with tokio.
///
/// Outside a tokio runtime it wakes itself at once and completes at the second poll.
///
/// ```
/// anyrt_tokio::block_on(anyrt_tokio::yield_now());
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`]: `Send`, `Sync`, `Unpin` and one byte.
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // tokio's yield has no state but "polled once": its first poll hands the waker to
        // the scheduler's deferred list (or wakes it outside a runtime) and pends, and its
        // second poll is ready. Polling a fresh one once and dropping it does exactly that,
        // behind a type that has a name.
        pin!(tokio::task::yield_now()).poll(cx)
    }
}

impl fmt::Debug for YieldNow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YieldNow")
            .field("yielded", &self.yielded)
            .finish()
    }
}

/// Whether the calling thread is inside a tokio runtime context: any tokio runtime, anyrt's
/// own included (`tokio::runtime::Handle::try_current().is_ok()`).
///
/// For the facade's backend selection, after anyrt's own thread context has been checked.
pub fn in_native_context() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}

/// Whether the calling thread is running a tokio task (`tokio::task::try_id().is_some()`),
/// where blocking would stall the runtime.
///
/// tokio gives blocking closures (`spawn_blocking`) a task id too, so this is also `true`
/// inside one, where blocking is fine: check anyrt's thread context first (it says
/// "blocking" inside anyrt's [`spawn_blocking`]). It is `false` in the body of a tokio
/// `block_on` (`#[tokio::main]`), which is not a task.
pub fn in_native_task() -> bool {
    tokio::task::try_id().is_some()
}
