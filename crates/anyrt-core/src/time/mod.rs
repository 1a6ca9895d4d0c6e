//! Time, built on a backend's sleep: [`Instant`], [`Elapsed`], [`Timeout`], [`Interval`],
//! [`MissedTickBehavior`] and the [`Timer`] trait a clock implements.
//!
//! Nothing here reads the wall clock directly except [`Instant::now`], the one place a
//! virtual clock (the planned `sim` backend) will hook into.

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
pub trait Timer {
    /// The future of one sleep.
    type Sleep: Future<Output = ()>;

    /// The clock's current time.
    fn now(&self) -> Instant;

    /// A future that completes at `deadline` (at once if it is already past).
    fn sleep_until(&self, deadline: Instant) -> Self::Sleep;
}

/// The error of a timeout: the deadline passed before the future completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Elapsed;

impl Elapsed {
    /// The error value (for backends and adapters).
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
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F, S> {
        #[pin]
        future: F,
        #[pin]
        sleep: S,
    }
}

impl<F, S> Timeout<F, S> {
    /// `future` bounded by `sleep`.
    pub fn new(future: F, sleep: S) -> Self {
        Timeout { future, sleep }
    }

    /// The inner future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The inner future, mutably.
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// The inner future, giving up the deadline.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future, S: Future<Output = ()>> Future for Timeout<F, S> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
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
pub fn deadline_after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d).unwrap_or_else(|| now.far_future())
}
