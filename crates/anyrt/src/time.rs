//! Time: sleeps, timeouts and intervals on the selected backend's timers.
//!
//! Every function works anywhere, with or without a runtime. A zero duration or a deadline
//! already past is ready at the first poll on every backend (tokio's own sleep takes about
//! a millisecond); `sleep(Duration::MAX)` pends forever without panicking.
//!
//! Cancel safety: [`Sleep`] and [`Interval::tick`] are cancel-safe; a [`Timeout`] is
//! cancel-safe exactly when the future inside it is.
//!
//! Take time from [`Instant::now`] rather than `std::time::Instant::now()`: it reads the
//! backend's clock, so code written against it keeps working under a virtual clock.
//!
//! ```
//! use anyrt::time::{interval, sleep, timeout, Instant};
//! use std::time::Duration;
//!
//! anyrt::block_on(async {
//!     let start = Instant::now();
//!     sleep(Duration::from_millis(2)).await;
//!     let stuck = timeout(Duration::from_millis(1), std::future::pending::<()>()).await;
//!     assert!(stuck.is_err());
//!     let mut every_ms = interval(Duration::from_millis(1));
//!     every_ms.tick().await; // immediate
//!     every_ms.tick().await;
//!     assert!(start.elapsed() >= Duration::from_millis(3));
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

#[doc(inline)]
pub use anyrt_core::time::{Elapsed, Instant, MissedTickBehavior};

use crate::backend::select;

pin_project_lite::pin_project! {
    /// The future of [`sleep`] and [`sleep_until`]. Cancel-safe: dropping it cancels the
    /// timer and has no other effect.
    ///
    /// It may be `!Unpin`: pin it (`Box::pin`, `std::pin::pin!`) to keep it in a struct or
    /// across loop iterations and poll it by reference.
    ///
    /// ```
    /// use anyrt::time::{sleep, Sleep};
    /// use std::pin::Pin;
    /// use std::time::Duration;
    ///
    /// // A sleep kept in a struct, boxed so that the struct can move.
    /// struct Retry {
    ///     backoff: Pin<Box<Sleep>>,
    /// }
    ///
    /// anyrt::block_on(async {
    ///     let mut retry = Retry { backoff: Box::pin(sleep(Duration::from_millis(2))) };
    ///     retry.backoff.as_mut().await;
    /// });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct Sleep {
        #[pin]
        inner: SleepInner,
    }
}

pin_project_lite::pin_project! {
    #[project = SleepProj]
    enum SleepInner {
        Ready,
        Tokio { #[pin] s: TokioSleep },
        Smol { #[pin] s: SmolSleep },
        AsyncStd { #[pin] s: AsyncStdSleep },
    }
}

// Stand-ins keep the enum's shape the same in every feature combination.
cfg_if::cfg_if! {
    if #[cfg(feature = "tokio")] { type TokioSleep = anyrt_tokio::Sleep; }
    else { type TokioSleep = std::future::Pending<()>; }
}
cfg_if::cfg_if! {
    if #[cfg(feature = "smol")] { type SmolSleep = anyrt_smol::Sleep; }
    else { type SmolSleep = std::future::Pending<()>; }
}
cfg_if::cfg_if! {
    if #[cfg(feature = "async-std")] { type AsyncStdSleep = anyrt_async_std::Sleep; }
    else { type AsyncStdSleep = std::future::Pending<()>; }
}

// `sleep_on!(backend, sleep(d))`: the backend's own sleep, which reads the clock once.
macro_rules! sleep_on {
    ($backend:expr, $f:ident($arg:expr)) => {
        Sleep {
            inner: match $backend {
                #[cfg(feature = "tokio")]
                anyrt_core::Backend::Tokio => SleepInner::Tokio {
                    s: anyrt_tokio::$f($arg),
                },
                #[cfg(feature = "smol")]
                anyrt_core::Backend::Smol => SleepInner::Smol {
                    s: anyrt_smol::$f($arg),
                },
                #[cfg(feature = "async-std")]
                anyrt_core::Backend::AsyncStd => SleepInner::AsyncStd {
                    s: anyrt_async_std::$f($arg),
                },
                #[allow(unreachable_patterns)]
                other => crate::backend::not_compiled_in(other),
            },
        }
    };
}

impl Sleep {
    /// A sleep until `deadline` on `backend`'s timer.
    fn on(backend: anyrt_core::Backend, deadline: Instant) -> Sleep {
        sleep_on!(backend, sleep_until(deadline))
    }

    /// A sleep of `duration` on `backend`'s timer.
    pub(crate) fn on_backend(backend: anyrt_core::Backend, duration: Duration) -> Sleep {
        if duration.is_zero() {
            return Sleep::ready();
        }
        sleep_on!(backend, sleep(duration))
    }

    fn ready() -> Sleep {
        Sleep {
            inner: SleepInner::Ready,
        }
    }
}

impl Future for Sleep {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project().inner.project() {
            SleepProj::Ready => Poll::Ready(()),
            SleepProj::Tokio { s } => s.poll(cx),
            SleepProj::Smol { s } => s.poll(cx),
            SleepProj::AsyncStd { s } => s.poll(cx),
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep").finish_non_exhaustive()
    }
}

/// Waits until `duration` has elapsed: at least `duration`, on the selected backend's
/// timer. Zero is ready at the first poll. Cancel-safe.
///
/// ```
/// use std::time::Duration;
///
/// anyrt::block_on(async {
///     let start = anyrt::time::Instant::now();
///     anyrt::time::sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::on_backend(select(), duration)
}

/// Waits until `deadline`. A deadline already past is ready at the first poll. Cancel-safe.
///
/// ```
/// use anyrt::time::{sleep_until, Instant};
/// use std::time::Duration;
///
/// anyrt::block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
///     sleep_until(deadline).await; // already past: ready at once
/// });
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::on(select(), deadline)
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`] and [`timeout_at`]: `Ok(output)`, or `Err(Elapsed)` if the
    /// deadline came first. The inner future is polled first, and the timer is only armed
    /// when it is pending: a timeout around a future that is ready at once never touches
    /// the timer. Cancel-safe exactly when the inner future is.
    ///
    /// ```
    /// use anyrt::time::{timeout, Timeout};
    /// use std::time::Duration;
    ///
    /// anyrt::block_on(async {
    ///     let t: Timeout<_> = timeout(Duration::from_secs(1), async { "in time" });
    ///     assert_eq!(t.await, Ok("in time"));
    /// });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        #[pin]
        sleep: Sleep,
        deadline: Instant,
        backend: anyrt_core::Backend,
        armed: bool,
    }
}

impl<F> Timeout<F> {
    fn new(backend: anyrt_core::Backend, deadline: Instant, future: F) -> Self {
        Timeout {
            future,
            sleep: Sleep::ready(),
            deadline,
            backend,
            armed: false,
        }
    }

    /// The inner future.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (_tx, rx) = anyrt::channel::oneshot::channel::<u8>();
    /// let t = anyrt::time::timeout(Duration::from_secs(1), rx);
    /// assert!(!t.get_ref().is_terminated()); // still waiting for its value
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The inner future, mutably.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (tx, rx) = anyrt::channel::oneshot::channel::<u8>();
    /// let mut t = anyrt::time::timeout(Duration::from_secs(1), rx);
    /// tx.send(5).unwrap();
    /// assert_eq!(t.get_mut().try_recv(), Ok(5)); // took it without awaiting
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// The inner future, giving up the deadline.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// anyrt::block_on(async {
    ///     let t = anyrt::time::timeout(Duration::from_millis(1), async { 5 });
    ///     let unbounded = t.into_inner(); // no deadline any more
    ///     assert_eq!(unbounded.await, 5);
    /// });
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        if !*this.armed {
            *this.armed = true;
            this.sleep.set(Sleep::on(*this.backend, *this.deadline));
        }
        // On tokio the sleep is polled outside tokio's co-op budget, as in tokio's own
        // timeout, so a future that spends the budget cannot starve it.
        match this.sleep.poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed::new())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// Runs `future` with a time limit: `Err(Elapsed)` if it has not completed after
/// `duration`. The future is polled first, so a ready future gives its output even with a
/// zero limit. On tokio, tokio's co-op budget cannot starve it: its timer is polled
/// outside the budget, as tokio's own timeout does. Cancel-safe exactly when `future` is.
///
/// ```
/// use std::time::Duration;
///
/// anyrt::block_on(async {
///     let fast = anyrt::time::timeout(Duration::from_secs(1), async { 1 }).await;
///     assert_eq!(fast, Ok(1));
///     let slow = anyrt::time::timeout(Duration::from_millis(1), std::future::pending::<()>());
///     assert!(slow.await.is_err());
/// });
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    timeout_at(
        anyrt_core::time::deadline_after(Instant::now(), duration),
        future,
    )
}

/// Runs `future` until `deadline`; see [`timeout`]. Cancel-safe exactly when `future` is.
///
/// One deadline for several steps:
///
/// ```
/// use anyrt::time::{timeout_at, Instant};
/// use std::time::Duration;
///
/// anyrt::block_on(async {
///     let deadline = Instant::now() + Duration::from_secs(5);
///     let a = timeout_at(deadline, async { 1 }).await;
///     let b = timeout_at(deadline, async { 2 }).await;
///     assert_eq!((a, b), (Ok(1), Ok(2)));
///     let past = Instant::now();
///     assert!(timeout_at(past, std::future::pending::<()>()).await.is_err());
/// });
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout::new(select(), deadline, future)
}

/// The clock of an [`Interval`]: the backend selected when it was made. Code names it only
/// through the [`Interval`] alias.
///
/// ```
/// use anyrt::time::Interval; // = anyrt_core::time::Interval<BackendTimer>
/// use std::time::Duration;
///
/// let iv: Interval = anyrt::time::interval(Duration::from_secs(1));
/// assert_eq!(iv.period(), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BackendTimer(anyrt_core::Backend);

impl anyrt_core::time::Timer for BackendTimer {
    type Sleep = Sleep;

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        if deadline <= Instant::now() {
            return Sleep::ready();
        }
        Sleep::on(self.0, deadline)
    }
}

/// Ticks at a fixed period; see [`interval`]. `tick()` is cancel-safe. It is a `Stream`
/// of the instants the ticks were scheduled for.
///
/// ```
/// use anyrt::prelude::*; // StreamExt
/// use anyrt::time::Interval;
/// use std::time::Duration;
///
/// struct Heartbeat {
///     every: Interval,
/// }
///
/// anyrt::block_on(async {
///     let hb = Heartbeat { every: anyrt::time::interval(Duration::from_millis(1)) };
///     let beats: Vec<_> = hb.every.take(3).collect().await;
///     assert_eq!(beats.len(), 3);
/// });
/// ```
pub type Interval = anyrt_core::time::Interval<BackendTimer>;

/// An interval whose first tick completes at once, then every `period`. Missed ticks are
/// handled as its [`MissedTickBehavior`] says (default: `Burst`). `tick()` is cancel-safe;
/// an `Interval` is also a `Stream` of [`Instant`]s.
///
/// ```
/// use std::time::Duration;
///
/// anyrt::block_on(async {
///     let mut iv = anyrt::time::interval(Duration::from_millis(2));
///     let first = iv.tick().await;
///     let second = iv.tick().await;
///     assert!(second - first >= Duration::from_millis(2));
/// });
/// ```
///
/// # Panics
///
/// If `period` is zero.
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// An interval whose first tick is at `start`.
///
/// # Panics
///
/// If `period` is zero.
///
/// ```
/// use anyrt::time::{interval_at, Instant};
/// use std::time::Duration;
///
/// anyrt::block_on(async {
///     let start = Instant::now() + Duration::from_millis(5);
///     let mut iv = interval_at(start, Duration::from_millis(5));
///     assert_eq!(iv.tick().await, start); // not at once: at `start`
///     assert!(Instant::now() >= start);
/// });
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "anyrt::time::interval: the period must be greater than zero (got Duration::ZERO)"
    );
    anyrt_core::time::Interval::new_at(BackendTimer(select()), start, period)
}
