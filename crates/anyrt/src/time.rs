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

#[doc(inline)]
pub use anyrt_core::time::{Elapsed, Instant, MissedTickBehavior};
#[doc(inline)]
pub use anyrt_core::{interval_on, ExecutorTimer};
/// std's `Duration`, here as in `tokio::time`, so that a port's `use tokio::time::Duration`
/// is a rename.
pub use std::time::Duration;

use anyrt_core::Backend;

use crate::dispatch::{SleepInner, When};

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
        // One unit of the co-op budget, taken at the first poll, so that a loop of ready
        // sleeps yields; `true` from the start for a timeout's sleep, which must never be
        // held back by the budget.
        budgeted: bool,
    }
}

impl Sleep {
    /// A sleep on `backend`'s timer: the backend's own sleep, which reads the clock once.
    fn on(backend: Backend, when: When) -> Sleep {
        Sleep {
            inner: SleepInner::on(backend, when),
            budgeted: false,
        }
    }
}

impl Future for Sleep {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        std::task::ready!(anyrt_core::coop::poll_proceed_once(this.budgeted, cx));
        this.inner.poll_sleep(cx)
    }
}

impl Sleep {
    /// A sleep of `duration` on `backend`'s timer, even if the caller is inside another
    /// runtime.
    pub(crate) fn on_backend(backend: Backend, duration: Duration) -> Sleep {
        if duration.is_zero() {
            return Sleep::ready();
        }
        Sleep::on(backend, When::After(duration))
    }

    /// A sleep until `deadline` on `backend`'s timer.
    pub(crate) fn until_on(backend: Backend, deadline: Instant) -> Sleep {
        Sleep::on(backend, When::At(deadline))
    }

    fn ready() -> Sleep {
        Sleep {
            inner: SleepInner::Ready,
            budgeted: false,
        }
    }

    /// A sleep until `deadline` on `backend`'s timer, made at its first poll.
    #[inline]
    fn unarmed(backend: Backend, deadline: Instant) -> Sleep {
        Sleep {
            inner: SleepInner::Unarmed { backend, deadline },
            budgeted: true,
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
#[inline]
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::on_backend(Backend::selected(), duration)
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
#[inline]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::until_on(Backend::selected(), deadline)
}

/// The future of [`timeout`] and [`timeout_at`] (and of
/// [`Executor::timeout`](crate::Executor::timeout), with the executor's sleep as `S`):
/// `Ok(output)`, or `Err(Elapsed)` if the deadline came first. The inner future is polled
/// first, and the timer is only armed when it is pending: a timeout around a future that is
/// ready at once never touches the timer. Cancel-safe exactly when the inner future is.
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
pub type Timeout<F, S = Sleep> = anyrt_core::time::Timeout<F, S>;

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
#[inline]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    timeout_on(Backend::selected(), Instant::now(), duration, future)
}

/// A timeout of `duration` from `now` on `backend`'s timer, whose sleep is armed only if the
/// future is pending and never held back by the co-op budget.
#[inline]
pub(crate) fn timeout_on<F: Future>(
    backend: Backend,
    now: Instant,
    duration: Duration,
    future: F,
) -> Timeout<F> {
    let deadline = anyrt_core::time::deadline_after(now, duration);
    Timeout::new(future, Sleep::unarmed(backend, deadline))
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
#[inline]
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout::new(future, Sleep::unarmed(Backend::selected(), deadline))
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
pub struct BackendTimer(Backend);

impl anyrt_core::time::Timer for BackendTimer {
    type Sleep = Sleep;

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        if deadline <= Instant::now() {
            return Sleep::ready();
        }
        Sleep::until_on(self.0, deadline)
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
    anyrt_core::time::Interval::new_at(BackendTimer(Backend::selected()), start, period)
}
