//! Spawning ([`spawn`], [`spawn_blocking`]) and the [`RawTask`]s that turn tokio's join
//! handles into anyrt [`JoinHandle`]s without an allocation.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::{JoinError, JoinHandle, RawTask};
use anyrt_core::Backend;

use crate::global;
use crate::owned::{in_anyrt_tokio, Stoppable};

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
#[inline]
pub(crate) fn spawn<F>(future: F) -> JoinHandle<F::Output>
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
        global::with_fallback_handle(|h| h.spawn(future))
    };
    from_tokio(h)
}

/// Runs a blocking closure on tokio's blocking thread pool (of the runtime chosen as for
/// [`spawn`]).
///
/// Inside the closure, anyrt's thread context says "blocking on tokio", so `block_on` and the `_blocking` channel methods work there.
/// [`abort`](JoinHandle::abort) on the handle does nothing: a closure cannot be stopped.
/// A panic in the closure comes back as [`JoinError::is_panic`].
pub(crate) fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let f = blocking_closure(f);
    let h = if in_anyrt_tokio() {
        tokio::task::spawn_blocking(f)
    } else {
        global::with_fallback_handle(|h| h.spawn_blocking(f))
    };
    from_tokio_blocking(h)
}

/// Whether the calling thread is running a tokio task (`tokio::task::try_id().is_some()`),
/// where blocking would stall the runtime.
///
/// tokio gives blocking closures (`spawn_blocking`) a task id too, so this is also `true`
/// inside one, where blocking is fine: check anyrt's thread context first (it says
/// "blocking" inside anyrt's [`spawn_blocking`]). It is `false` in the body of a tokio
/// `block_on` (`#[tokio::main]`), which is not a task.
pub(crate) fn in_native_task() -> bool {
    tokio::task::try_id().is_some()
}
