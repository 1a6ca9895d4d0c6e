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
///
/// ```
/// use anyrt_core::BoxFuture;
///
/// let jobs: Vec<BoxFuture<u32>> = vec![Box::pin(async { 1 }), Box::pin(std::future::ready(2))];
/// let sum: u32 = futures_lite::future::block_on(async {
///     let mut sum = 0;
///     for job in jobs {
///         sum += job.await;
///     }
///     sum
/// });
/// assert_eq!(sum, 3);
/// ```
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Something that spawns tasks, runs blocking closures and sleeps.
///
/// Implemented by `anyrt::Handle`, `anyrt::Runtime`, each backend crate's handle, and
/// `Arc<dyn DynExecutor>`. A library takes one by value to be told where to run:
///
/// ```
/// use anyrt::Executor;
/// use std::time::Duration;
///
/// struct Poller<E> {
///     exec: E,
/// }
///
/// impl<E: Executor + Clone> Poller<E> {
///     fn start(&self) -> anyrt::task::JoinHandle<u32> {
///         let exec = self.exec.clone();
///         self.exec.spawn(async move {
///             exec.sleep(Duration::from_millis(1)).await;
///             7
///         })
///     }
/// }
///
/// // The application decides where it runs: here, wherever anyrt runs.
/// let poller = Poller { exec: anyrt::Handle::current() };
/// assert_eq!(anyrt::block_on(poller.start()).unwrap(), 7);
/// ```
///
/// A third-party backend implements the required methods and builds each
/// [`JoinHandle`] from its own task type, with [`JoinHandle::new`] (any [`RawTask`]) or
/// [`JoinHandle::from_async_task`]:
///
/// ```
/// use anyrt_core::task::JoinHandle;
/// use anyrt_core::{BoxFuture, Executor};
/// use std::future::Future;
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// #[derive(Clone)]
/// struct MyBackend(Arc<async_executor::Executor<'static>>);
///
/// impl Executor for MyBackend {
///     type Sleep = BoxFuture<()>;
///
///     fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
///     where
///         F: Future + Send + 'static,
///         F::Output: Send + 'static,
///     {
///         JoinHandle::from_async_task(self.0.spawn(future))
///     }
///
///     fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
///     where
///         F: FnOnce() -> R + Send + 'static,
///         R: Send + 'static,
///     {
///         // A real backend runs `f` on a blocking pool (the `blocking` crate, say).
///         JoinHandle::from_blocking_async_task(self.0.spawn(async move { f() }))
///     }
///
///     fn sleep(&self, d: Duration) -> BoxFuture<()> {
///         // A real backend uses its reactor's timer (async-io's `Timer`, say).
///         let (tx, rx) = anyrt_core::channel::oneshot::channel();
///         std::thread::spawn(move || {
///             std::thread::sleep(d);
///             let _ = tx.send(());
///         });
///         Box::pin(async move {
///             let _ = rx.await;
///         })
///     }
/// }
///
/// let ex = Arc::new(async_executor::Executor::new());
/// let backend = MyBackend(ex.clone());
/// let task = backend.spawn({
///     let backend = backend.clone();
///     async move {
///         backend.sleep(Duration::from_millis(1)).await;
///         "ran on MyBackend"
///     }
/// });
/// let out = futures_lite::future::block_on(ex.run(task));
/// assert_eq!(out.unwrap(), "ran on MyBackend");
/// ```
pub trait Executor: Send + Sync + 'static {
    /// The future returned by [`sleep`](Self::sleep).
    type Sleep: Future<Output = ()> + Send + 'static;

    /// Spawns a task. It runs to completion even if the handle is dropped.
    ///
    /// ```
    /// use anyrt::Executor;
    ///
    /// fn start_job(exec: &impl Executor) -> anyrt::task::JoinHandle<u32> {
    ///     exec.spawn(async { 40 + 2 })
    /// }
    ///
    /// let handle = start_job(&anyrt::Handle::current());
    /// assert_eq!(anyrt::block_on(handle).unwrap(), 42);
    /// ```
    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Runs a blocking closure on a thread pool meant for blocking.
    ///
    /// ```
    /// use anyrt::Executor;
    ///
    /// let exec = anyrt::Handle::current();
    /// let handle = exec.spawn_blocking(|| std::fs::metadata(".").is_ok());
    /// assert!(anyrt::block_on(handle).unwrap());
    /// ```
    fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static;

    /// A future that completes after `duration` (at once for zero). Cancel-safe.
    ///
    /// ```
    /// use anyrt::Executor;
    /// use std::time::Duration;
    ///
    /// let exec = anyrt::Handle::current();
    /// anyrt::block_on(async {
    ///     let start = exec.now();
    ///     exec.sleep(Duration::from_millis(2)).await;
    ///     assert!(exec.now() - start >= Duration::from_millis(2));
    /// });
    /// ```
    fn sleep(&self, duration: Duration) -> Self::Sleep;

    /// The current time of this executor's clock. Code that takes its time from here keeps
    /// working under an executor with a virtual clock.
    ///
    /// ```
    /// use anyrt::Executor;
    ///
    /// let exec = anyrt::Handle::current();
    /// let t = exec.now();
    /// assert!(exec.now() >= t);
    /// ```
    fn now(&self) -> Instant {
        Instant::now()
    }

    /// A future that completes at `deadline` (at once if it is past). Cancel-safe.
    ///
    /// ```
    /// use anyrt::Executor;
    /// use std::time::Duration;
    ///
    /// let exec = anyrt::Handle::current();
    /// anyrt::block_on(async {
    ///     let deadline = exec.now() + Duration::from_millis(2);
    ///     exec.sleep_until(deadline).await;
    ///     assert!(exec.now() >= deadline);
    /// });
    /// ```
    fn sleep_until(&self, deadline: Instant) -> Self::Sleep {
        self.sleep(deadline.saturating_duration_since(self.now()))
    }

    /// `future`, bounded by `duration`, on this executor's timer: `Err(Elapsed)` if it has
    /// not completed in time. Cancel-safe exactly when `future` is.
    ///
    /// ```
    /// use anyrt::Executor;
    /// use std::time::Duration;
    ///
    /// let exec = anyrt::Handle::current();
    /// anyrt::block_on(async {
    ///     let slow = exec.timeout(Duration::from_millis(1), std::future::pending::<()>());
    ///     assert!(slow.await.is_err());
    ///     assert_eq!(exec.timeout(Duration::from_secs(1), async { 1 }).await, Ok(1));
    /// });
    /// ```
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
/// use anyrt::{DynExecutor, Executor};
/// use std::sync::Arc;
///
/// struct Client {
///     exec: Arc<dyn DynExecutor>, // no type parameter to carry around
/// }
///
/// impl Client {
///     fn new(exec: impl Executor) -> Self {
///         Client { exec: Arc::new(exec) }
///     }
///     fn ping(&self) -> anyrt::task::JoinHandle<&'static str> {
///         self.exec.spawn(async { "pong" })
///     }
/// }
///
/// let client = Client::new(anyrt::Handle::current());
/// assert_eq!(anyrt::block_on(client.ping()).unwrap(), "pong");
/// ```
pub trait DynExecutor: Send + Sync + 'static {
    /// Spawns a boxed task. `Arc<dyn DynExecutor>` also has [`Executor::spawn`], which
    /// boxes for you and keeps the output type.
    ///
    /// ```
    /// use anyrt::DynExecutor;
    /// use std::sync::Arc;
    ///
    /// let exec: Arc<dyn DynExecutor> = Arc::new(anyrt::Handle::current());
    /// let handle = exec.spawn_dyn(Box::pin(async { /* ... */ }));
    /// anyrt::block_on(handle).unwrap();
    /// ```
    fn spawn_dyn(&self, future: BoxFuture<()>) -> JoinHandle<()>;
    /// Runs a boxed blocking closure.
    ///
    /// ```
    /// use anyrt::DynExecutor;
    /// use std::sync::Arc;
    ///
    /// let exec: Arc<dyn DynExecutor> = Arc::new(anyrt::Handle::current());
    /// let handle = exec.spawn_blocking_dyn(Box::new(|| std::thread::yield_now()));
    /// anyrt::block_on(handle).unwrap();
    /// ```
    fn spawn_blocking_dyn(&self, f: Box<dyn FnOnce() + Send + 'static>) -> JoinHandle<()>;
    /// A boxed sleep. Cancel-safe.
    ///
    /// ```
    /// use anyrt::DynExecutor;
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let exec: Arc<dyn DynExecutor> = Arc::new(anyrt::Handle::current());
    /// anyrt::block_on(exec.sleep_dyn(Duration::from_millis(1)));
    /// ```
    fn sleep_dyn(&self, duration: Duration) -> BoxFuture<()>;
    /// The executor's clock.
    ///
    /// ```
    /// use anyrt::DynExecutor;
    /// use std::sync::Arc;
    ///
    /// let exec: Arc<dyn DynExecutor> = Arc::new(anyrt::Handle::current());
    /// assert!(exec.now_dyn() <= anyrt::time::Instant::now());
    /// ```
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
///
/// ```
/// use anyrt_core::time::{Interval, Timer};
/// use anyrt_core::ExecutorTimer;
/// use std::time::Duration;
///
/// let timer = ExecutorTimer(anyrt::Handle::current()); // any Executor
/// let mut iv = Interval::new_at(timer, anyrt::time::Instant::now(), Duration::from_millis(1));
/// anyrt::block_on(async {
///     iv.tick().await;
///     iv.tick().await;
/// });
/// ```
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

/// An interval driven by `exec`'s clock and sleeps; its first tick is immediate.
///
/// # Panics
///
/// If `period` is zero.
///
/// ```
/// use std::time::Duration;
///
/// let mut iv = anyrt_core::interval_on(anyrt::Handle::current(), Duration::from_millis(1));
/// anyrt::block_on(async {
///     let first = iv.tick().await;
///     assert_eq!(iv.tick().await - first, Duration::from_millis(1));
/// });
/// ```
pub fn interval_on<E: Executor>(exec: E, period: Duration) -> time::Interval<ExecutorTimer<E>> {
    let start = exec.now();
    time::Interval::new_at(ExecutorTimer(exec), start, period)
}

/// Implements [`Executor`] for a type whose inherent `spawn` and `spawn_blocking` methods
/// have the trait's signatures; the block gives `type Sleep` and the other methods
/// (`sleep`, and any default to override). A generic type takes its parameters first:
/// `impl_executor!(impl<P: Bound> Runtime<P> { .. })`.
///
/// ```
/// use anyrt_core::task::JoinHandle;
/// use std::future::Future;
/// use std::time::Duration;
///
/// struct Cancelled;
///
/// impl Cancelled {
///     fn spawn<F>(&self, _: F) -> JoinHandle<F::Output>
///     where
///         F: Future + Send + 'static,
///         F::Output: Send + 'static,
///     {
///         JoinHandle::cancelled()
///     }
///     fn spawn_blocking<F, R>(&self, _: F) -> JoinHandle<R>
///     where
///         F: FnOnce() -> R + Send + 'static,
///         R: Send + 'static,
///     {
///         JoinHandle::cancelled()
///     }
/// }
///
/// anyrt_core::impl_executor!(Cancelled {
///     type Sleep = std::future::Ready<()>;
///     fn sleep(&self, _: Duration) -> Self::Sleep {
///         std::future::ready(())
///     }
/// });
/// ```
#[macro_export]
macro_rules! impl_executor {
    // With generics: `impl<P: Bound> Type<P> { .. }`.
    (impl<$($g:ident: $bound:path),*> $ty:ty { type Sleep = $sleep:ty; $($rest:tt)* }) => {
        impl<$($g: $bound),*> $crate::Executor for $ty {
            type Sleep = $sleep;

            #[inline]
            fn spawn<F>(&self, future: F) -> $crate::task::JoinHandle<F::Output>
            where
                F: ::core::future::Future + ::core::marker::Send + 'static,
                F::Output: ::core::marker::Send + 'static,
            {
                <$ty>::spawn(self, future)
            }

            #[inline]
            fn spawn_blocking<F, R>(&self, f: F) -> $crate::task::JoinHandle<R>
            where
                F: ::core::ops::FnOnce() -> R + ::core::marker::Send + 'static,
                R: ::core::marker::Send + 'static,
            {
                <$ty>::spawn_blocking(self, f)
            }

            $($rest)*
        }
    };
    ($ty:ty { type Sleep = $sleep:ty; $($rest:tt)* }) => {
        $crate::impl_executor!(impl<> $ty { type Sleep = $sleep; $($rest)* });
    };
}
