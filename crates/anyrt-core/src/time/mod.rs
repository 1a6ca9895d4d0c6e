//! Time, built on a backend's sleep: [`Instant`], [`Elapsed`], [`Timeout`], [`Interval`],
//! [`MissedTickBehavior`] and the [`Timer`] trait a clock implements.
//!
//! Nothing here reads the system's clock except [`Instant::now`], which reads the clock of
//! the backend in effect on the calling thread: [`Provider::now`](crate::Provider::now)
//! of the backend that entered it there (a simulation's virtual clock), else the system's
//! monotonic clock, which is every real backend's.
//!
//! Cancel safety: a [`Timeout`] is cancel-safe exactly when the future inside it is;
//! [`Interval::tick`] is cancel-safe.
//!
//! ```
//! use anyrt_core::time::{Elapsed, Timeout};
//!
//! // A timeout is a race between a future and a sleep; the future is polled first.
//! let fast = Timeout::new(async { 1 }, std::future::ready(()));
//! assert_eq!(futures_lite::future::block_on(fast), Ok(1));
//! let slow = Timeout::new(std::future::pending::<u8>(), std::future::ready(()));
//! assert_eq!(futures_lite::future::block_on(slow), Err(Elapsed::new()));
//! ```

mod instant;
mod interval;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub use instant::Instant;
pub use interval::{Interval, MissedTickBehavior};

/// A clock with sleeps: what [`Interval`] and [`Timeout`] are built on.
///
/// Every [`Executor`](crate::Executor) is one through [`ExecutorTimer`](crate::ExecutorTimer).
/// A clock of one's own, for example a virtual one for tests:
///
/// ```
/// use anyrt_core::time::{Instant, Interval, Timer};
/// use std::cell::Cell;
/// use std::future::{ready, Ready};
/// use std::time::Duration;
///
/// // A sleep moves the clock to its deadline, at once.
/// struct Virtual(Cell<Instant>);
///
/// impl Timer for &Virtual {
///     type Sleep = Ready<()>;
///     fn now(&self) -> Instant {
///         self.0.get()
///     }
///     fn sleep_until(&self, deadline: Instant) -> Ready<()> {
///         self.0.set(self.0.get().max(deadline));
///         ready(())
///     }
/// }
///
/// let clock = Virtual(Cell::new(Instant::now()));
/// let start = (&clock).now();
/// let mut daily = Interval::new_at(&clock, start, Duration::from_secs(86_400));
/// futures_lite::future::block_on(async {
///     for _ in 0..365 {
///         daily.tick().await; // a year of ticks, in no time
///     }
/// });
/// assert_eq!((&clock).now() - start, Duration::from_secs(86_400 * 364));
/// ```
pub trait Timer {
    /// The future of one sleep.
    type Sleep: Future<Output = ()>;

    /// The clock's current time. An implementation: see [`Timer`].
    fn now(&self) -> Instant;

    /// A future that completes at `deadline` (at once if it is already past). An
    /// implementation: see [`Timer`].
    fn sleep_until(&self, deadline: Instant) -> Self::Sleep;
}

/// The error of a timeout: the deadline passed before the future completed.
///
/// It converts into `std::io::Error` (kind `TimedOut`), so `?` works in IO code.
///
/// ```
/// use std::time::Duration;
///
/// anyrt::block_on(async {
///     let res = anyrt::time::timeout(Duration::from_millis(1), std::future::pending::<()>());
///     let err: anyrt::time::Elapsed = res.await.unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed");
///     let io: std::io::Error = err.into();
///     assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Elapsed;

impl Elapsed {
    /// The error value (for backends and adapters).
    ///
    /// ```
    /// let e = anyrt::time::Elapsed::new();
    /// assert_eq!(e, anyrt::time::Elapsed::default());
    /// ```
    pub const fn new() -> Self {
        Elapsed
    }
}

impl Default for Elapsed {
    fn default() -> Self {
        Elapsed
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> Self {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}

pin_project_lite::pin_project! {
    /// A future with a deadline: gives `Ok(output)` if the future completes first,
    /// `Err(Elapsed)` if the sleep does. The future is polled first, so a future that is
    /// ready gives its output even with a zero timeout.
    ///
    /// Cancel-safe exactly when the inner future is.
    ///
    /// This is what [`Executor::timeout`](crate::Executor::timeout) returns; the facade's
    /// `anyrt::time::timeout` has its own `Timeout` with the same behaviour.
    ///
    /// ```
    /// use anyrt_core::time::{Elapsed, Timeout};
    /// use futures_lite::future::block_on;
    ///
    /// // Any future as the deadline: here one that is already due.
    /// let late = Timeout::new(std::future::pending::<()>(), std::future::ready(()));
    /// assert_eq!(block_on(late), Err(Elapsed::new()));
    /// // A ready future wins even against a deadline already due.
    /// let ready = Timeout::new(async { 7 }, std::future::ready(()));
    /// assert_eq!(block_on(ready), Ok(7));
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F, S> {
        #[pin]
        future: F,
        #[pin]
        sleep: S,
        // One unit of the co-op budget, taken at the first poll: a loop of timeouts around
        // ready futures yields too.
        budgeted: bool,
    }
}

impl<F, S> Timeout<F, S> {
    /// `future` bounded by `sleep`.
    ///
    /// ```
    /// use anyrt_core::time::Timeout;
    ///
    /// let t = Timeout::new(async { "work" }, std::future::pending::<()>());
    /// assert_eq!(futures_lite::future::block_on(t), Ok("work"));
    /// ```
    #[inline]
    pub fn new(future: F, sleep: S) -> Self {
        Timeout {
            future,
            sleep,
            budgeted: false,
        }
    }

    /// The inner future.
    ///
    /// ```
    /// use anyrt_core::time::Timeout;
    ///
    /// let (tx, rx) = anyrt_core::channel::oneshot::channel::<u8>();
    /// let t = Timeout::new(rx, std::future::pending::<()>());
    /// assert!(!t.get_ref().is_terminated()); // the receiver, still waiting
    /// # drop(tx);
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The inner future, mutably.
    ///
    /// ```
    /// use anyrt_core::time::Timeout;
    ///
    /// let mut t = Timeout::new(std::future::ready(3), std::future::pending::<()>());
    /// *t.get_mut() = std::future::ready(4);
    /// assert_eq!(futures_lite::future::block_on(t), Ok(4));
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// The inner future, giving up the deadline.
    ///
    /// ```
    /// use anyrt_core::time::Timeout;
    ///
    /// let t = Timeout::new(async { 5 }, std::future::ready(()));
    /// let unbounded = t.into_inner(); // the deadline no longer applies
    /// assert_eq!(futures_lite::future::block_on(unbounded), 5);
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F, S> fmt::Debug for Timeout<F, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout").finish_non_exhaustive()
    }
}

impl<F: Future, S: Future<Output = ()>> Future for Timeout<F, S> {
    type Output = Result<F::Output, Elapsed>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        std::task::ready!(crate::coop::poll_proceed_once(this.budgeted, cx));
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match this.sleep.poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// `Instant::now() + d`, saturating far in the future instead of overflowing, so that
/// `sleep(Duration::MAX)` pends instead of panicking.
///
/// ```
/// use anyrt_core::time::{deadline_after, Instant};
/// use std::time::Duration;
///
/// let now = Instant::now();
/// assert_eq!(deadline_after(now, Duration::from_secs(1)), now + Duration::from_secs(1));
/// assert_eq!(deadline_after(now, Duration::MAX), now.far_future());
/// ```
#[inline]
pub fn deadline_after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d).unwrap_or_else(|| now.far_future())
}
