//! [`Sleep`]: the timer of the smol and async-std backends, an [`async_io::Timer`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use anyrt_core::time::{deadline_after, Instant};
use async_io::Timer;

/// A future that completes at a deadline: an `async_io::Timer`, the timer behind smol's and
/// `async_std::task::sleep`.
///
/// It needs no runtime: it can be created and awaited on any thread, under any executor
/// (async-io's reactor runs on a thread of its own when no `block_on` drives it). A deadline
/// already past (or `Duration::ZERO`) is ready at the first poll; `Duration::MAX` pends
/// (about thirty years) without panicking; once ready, it stays ready. `Send`, `Unpin`,
/// cancel-safe: dropping it only removes the timer.
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    timer: Timer,
    fired: bool,
}

impl Sleep {
    /// A sleep of `duration`, from now.
    #[inline]
    pub fn after(duration: Duration) -> Sleep {
        Sleep::at(deadline_after(Instant::now(), duration))
    }

    /// A sleep until `deadline`.
    #[inline]
    pub fn at(deadline: Instant) -> Sleep {
        Sleep {
            timer: Timer::at(deadline.into_std()),
            fired: false,
        }
    }

    /// Moves the deadline to `deadline` (re-arming a sleep that already completed).
    pub fn reset(&mut self, deadline: Instant) {
        self.timer.set_at(deadline.into_std());
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
            .field("timer", &self.timer)
            .field("fired", &self.fired)
            .finish()
    }
}
