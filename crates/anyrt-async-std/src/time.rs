//! Timers on async-std's reactor (async-io's): [`Sleep`], [`sleep`], [`sleep_until`],
//! [`timeout`], [`timeout_at`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use anyrt_core::time::{deadline_after, Instant};
use async_io::Timer;

/// A future that completes at a deadline. Made by [`sleep`] and [`sleep_until`].
///
/// It is an `async_io::Timer`, the timer behind `async_std::task::sleep`, so it needs no
/// runtime: it can be created and awaited on any thread, under any executor (async-io's
/// reactor runs on a thread of its own when no `block_on` drives it). A deadline already
/// past (or `Duration::ZERO`) is ready at the first poll; once ready, it stays ready.
///
/// Cancel-safe: dropping it only removes the timer.
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    timer: Timer,
    deadline: Instant,
    fired: bool,
}

impl Sleep {
    fn at(deadline: Instant) -> Sleep {
        Sleep {
            timer: Timer::at(deadline.into_std()),
            deadline,
            fired: false,
        }
    }

    /// The instant at which the sleep completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        self.fired || Instant::now() >= self.deadline
    }

    /// Moves the deadline to `deadline` (re-arming a sleep that already completed).
    pub fn reset(&mut self, deadline: Instant) {
        self.timer.set_at(deadline.into_std());
        self.deadline = deadline;
        self.fired = false;
    }
}

impl Future for Sleep {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired {
            return Poll::Ready(());
        }
        match Pin::new(&mut self.timer).poll(cx) {
            Poll::Ready(_) => {
                self.fired = true;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("fired", &self.fired)
            .finish()
    }
}

/// Sleeps for `duration`. `Duration::ZERO` is ready at the first poll; `Duration::MAX`
/// pends (about thirty years) without panicking.
///
/// ```
/// use std::time::Duration;
///
/// anyrt_async_std::block_on(anyrt_async_std::sleep(Duration::from_millis(1)));
/// ```
#[inline]
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::at(deadline_after(Instant::now(), duration))
}

/// Sleeps until `deadline`; a deadline already past is ready at the first poll.
#[inline]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::at(deadline)
}

/// The future of [`timeout`] and [`timeout_at`]: `Ok(output)` if the future completes
/// first, `Err(Elapsed)` if the deadline passes first. The future is polled first.
pub type Timeout<F> = anyrt_core::time::Timeout<F, Sleep>;

/// Bounds `future` by `duration`.
///
/// ```
/// use std::time::Duration;
///
/// let r = anyrt_async_std::block_on(anyrt_async_std::timeout(
///     Duration::from_millis(1),
///     std::future::pending::<()>(),
/// ));
/// assert!(r.is_err());
/// ```
#[inline]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout::new(future, sleep(duration))
}

/// Bounds `future` by `deadline`.
#[inline]
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout::new(future, sleep_until(deadline))
}
