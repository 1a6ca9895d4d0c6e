//! Time on async-io's timers: [`sleep`], [`sleep_until`], [`timeout`], [`timeout_at`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use anyrt_core::time::Instant;
use async_io::Timer;

/// A future with a deadline, built on [`Sleep`]: gives `Ok(output)` if the future completes
/// first, `Err(Elapsed)` if the deadline passes. The future is polled first.
pub type Timeout<F> = anyrt_core::time::Timeout<F, Sleep>;

/// The future of [`sleep`] and [`sleep_until`]: an [`async_io::Timer`].
///
/// It needs no runtime: async-io's reactor (driven by any thread blocked in
/// `async_io::block_on`, else by its own "async-io" thread) wakes it. Dropping it removes
/// the timer. `Send`, `Unpin`, cancel-safe.
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    timer: Timer,
}

impl Future for Sleep {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.timer).poll(cx).map(drop)
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep").field("timer", &self.timer).finish()
    }
}

/// A future that completes after `duration`.
///
/// `Duration::ZERO` is ready at the first poll; a duration too large for the clock (such as
/// `Duration::MAX`) never completes and never panics.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// anyrt_smol::block_on(anyrt_smol::sleep(Duration::from_millis(5)));
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    // `Timer::after` turns an overflowing deadline into `Timer::never()`.
    Sleep {
        timer: Timer::after(duration),
    }
}

/// A future that completes at `deadline`; one already past is ready at the first poll.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        timer: Timer::at(deadline.into_std()),
    }
}

/// `future`, bounded by `duration`: `Err(Elapsed)` if it has not completed by then.
///
/// ```
/// use std::time::Duration;
///
/// let slow = anyrt_smol::timeout(Duration::from_millis(1), std::future::pending::<()>());
/// assert!(anyrt_smol::block_on(slow).is_err());
/// let fast = anyrt_smol::timeout(Duration::ZERO, async { 1 });
/// assert_eq!(anyrt_smol::block_on(fast), Ok(1));
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout::new(future, sleep(duration))
}

/// `future`, bounded by `deadline`: `Err(Elapsed)` if it has not completed by then.
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout::new(future, sleep_until(deadline))
}
