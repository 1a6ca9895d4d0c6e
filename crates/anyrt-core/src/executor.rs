//! The [`Executor`] trait: what a backend implements, and what a library takes by value for
//! explicit injection. [`DynExecutor`] is its dyn-compatible form.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::task::{JoinError, JoinHandle, RawTask};
use crate::time::{self, Instant, Timeout, Timer};

/// A boxed, `Send` future (the currency of [`DynExecutor`]).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Something that spawns tasks, runs blocking closures and sleeps.
///
/// Implemented by `anyrt::Handle`, `anyrt::Runtime`, each backend crate's handle, and
/// `Arc<dyn DynExecutor>`. A library takes one by value to be told where to run:
///
/// ```
/// use anyrt_core::Executor;
/// use std::time::Duration;
///
/// struct Poller<E> { exec: E }
///
/// impl<E: Executor + Clone> Poller<E> {
///     fn start(&self) -> anyrt_core::task::JoinHandle<u32> {
///         let exec = self.exec.clone();
///         self.exec.spawn(async move {
///             exec.sleep(Duration::from_millis(1)).await;
///             7
///         })
///     }
/// }
/// ```
///
/// A third-party backend implements the required methods and builds each
/// [`JoinHandle`] from its own task type, with [`JoinHandle::new`] (any [`RawTask`]) or
/// [`JoinHandle::from_async_task`].
pub trait Executor: Send + Sync + 'static {
    /// The future returned by [`sleep`](Self::sleep).
    type Sleep: Future<Output = ()> + Send + 'static;

    /// Spawns a task. It runs to completion even if the handle is dropped.
    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Runs a blocking closure on a thread pool meant for blocking.
    fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static;

    /// A future that completes after `duration` (at once for zero).
    fn sleep(&self, duration: Duration) -> Self::Sleep;

    /// The current time of this executor's clock.
    fn now(&self) -> Instant {
        Instant::now()
    }

    /// A future that completes at `deadline`.
    fn sleep_until(&self, deadline: Instant) -> Self::Sleep {
        self.sleep(deadline.saturating_duration_since(self.now()))
    }

    /// `future`, bounded by `duration`.
    fn timeout<F: Future>(&self, duration: Duration, future: F) -> Timeout<F, Self::Sleep> {
        Timeout::new(future, self.sleep(duration))
    }
}

impl<E: Executor + ?Sized> Executor for Arc<E> {
    type Sleep = E::Sleep;

    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        (**self).spawn(future)
    }

    fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        (**self).spawn_blocking(f)
    }

    fn sleep(&self, duration: Duration) -> Self::Sleep {
        (**self).sleep(duration)
    }

    fn now(&self) -> Instant {
        (**self).now()
    }

    fn sleep_until(&self, deadline: Instant) -> Self::Sleep {
        (**self).sleep_until(deadline)
    }
}

/// The dyn-compatible form of [`Executor`], for libraries that store an
/// `Arc<dyn DynExecutor>`. Every `Executor` is one; `Arc<dyn DynExecutor>` is an `Executor`
/// again (its futures and outputs are boxed: one allocation more per spawn).
///
/// ```
/// use anyrt_core::{DynExecutor, Executor};
/// use std::sync::Arc;
///
/// struct Client { exec: Arc<dyn DynExecutor> }
///
/// impl Client {
///     fn new(exec: impl Executor) -> Self {
///         Client { exec: Arc::new(exec) }
///     }
///     fn ping(&self) -> anyrt_core::task::JoinHandle<&'static str> {
///         self.exec.spawn(async { "pong" })
///     }
/// }
/// ```
pub trait DynExecutor: Send + Sync + 'static {
    /// Spawns a boxed task.
    fn spawn_dyn(&self, future: BoxFuture<()>) -> JoinHandle<()>;
    /// Runs a boxed blocking closure.
    fn spawn_blocking_dyn(&self, f: Box<dyn FnOnce() + Send + 'static>) -> JoinHandle<()>;
    /// A boxed sleep.
    fn sleep_dyn(&self, duration: Duration) -> BoxFuture<()>;
    /// The executor's clock.
    fn now_dyn(&self) -> Instant;
}

impl<E: Executor> DynExecutor for E {
    fn spawn_dyn(&self, future: BoxFuture<()>) -> JoinHandle<()> {
        self.spawn(future)
    }

    fn spawn_blocking_dyn(&self, f: Box<dyn FnOnce() + Send + 'static>) -> JoinHandle<()> {
        self.spawn_blocking(f)
    }

    fn sleep_dyn(&self, duration: Duration) -> BoxFuture<()> {
        Box::pin(self.sleep(duration))
    }

    fn now_dyn(&self) -> Instant {
        self.now()
    }
}

impl Executor for dyn DynExecutor {
    type Sleep = BoxFuture<()>;

    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let slot = Arc::new(Mutex::new(None));
        let out = slot.clone();
        let inner = self.spawn_dyn(Box::pin(async move {
            let v = future.await;
            *out.lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
        }));
        JoinHandle::new(Mapped { inner, slot })
    }

    fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let slot = Arc::new(Mutex::new(None));
        let out = slot.clone();
        let inner = self.spawn_blocking_dyn(Box::new(move || {
            let v = f();
            *out.lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
        }));
        JoinHandle::new(Mapped { inner, slot })
    }

    fn sleep(&self, duration: Duration) -> Self::Sleep {
        self.sleep_dyn(duration)
    }

    fn now(&self) -> Instant {
        self.now_dyn()
    }
}

/// A `JoinHandle<()>` whose task leaves its output in a slot.
struct Mapped<T> {
    inner: JoinHandle<()>,
    slot: Arc<Mutex<Option<T>>>,
}

impl<T: Send + 'static> RawTask<T> for Mapped<T> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        match Pin::new(&mut self.inner).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => {
                let v = self.slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                Poll::Ready(v.ok_or_else(JoinError::cancelled))
            }
        }
    }

    fn abort(&mut self) {
        self.inner.abort();
    }

    fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

/// Any [`Executor`] is a [`Timer`] (for [`time::Interval`]).
#[derive(Clone)]
pub struct ExecutorTimer<E>(pub E);

impl<E> fmt::Debug for ExecutorTimer<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExecutorTimer")
    }
}

impl<E: Executor> Timer for ExecutorTimer<E> {
    type Sleep = E::Sleep;

    fn now(&self) -> Instant {
        self.0.now()
    }

    fn sleep_until(&self, deadline: Instant) -> Self::Sleep {
        self.0.sleep_until(deadline)
    }
}

/// An interval driven by `exec`'s clock and sleeps.
pub fn interval_on<E: Executor>(exec: E, period: Duration) -> time::Interval<ExecutorTimer<E>> {
    let start = exec.now();
    time::Interval::new_at(ExecutorTimer(exec), start, period)
}
