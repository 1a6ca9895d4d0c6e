//! [`Sleep`]: a timer on a simulation's virtual clock.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use anyrt_core::time::Instant;

use crate::runtime::{current_or_global, global, offset_of, Shared};

/// A future that completes when a simulation's virtual clock reaches its deadline. The
/// clock jumps to the earliest deadline once every task is waiting, so a sleep of an hour
/// takes no real time. A deadline already past (or `Duration::ZERO`) is ready at the first
/// poll; `Duration::MAX` never fires (and never moves the clock). `Send`, `Unpin`,
/// cancel-safe: dropping it removes the timer.
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    // Boxed: one word, so that the facade's sleep (an enum over every backend's) stays the
    // size of the real backends' own.
    state: Box<State>,
}

struct State {
    shared: Weak<Shared>,
    /// The virtual deadline; `None`: never.
    deadline: Option<Duration>,
    key: Option<(Duration, u64)>,
    /// What was left of the sleep at its last pending poll: if its simulation is dropped,
    /// the rest is slept on the process-wide one.
    left: Duration,
}

impl Sleep {
    pub(crate) fn new(shared: Weak<Shared>, deadline: Option<Duration>) -> Sleep {
        Sleep {
            state: Box::new(State {
                shared,
                deadline,
                key: None,
                left: Duration::ZERO,
            }),
        }
    }

    /// A sleep of `duration` on the clock of the simulation the calling thread is inside
    /// (else the process-wide one's).
    pub fn after(duration: Duration) -> Sleep {
        current_or_global().sleep(duration)
    }

    /// A sleep until `deadline`, as [`after`](Self::after).
    pub fn at(deadline: Instant) -> Sleep {
        current_or_global().sleep_until(Some(offset_of(deadline)))
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self.state;
        let Some(deadline) = this.deadline else {
            return Poll::Pending;
        };
        let polled = this.shared.upgrade().and_then(|shared| {
            shared.poll_timer(deadline, &mut this.key, &mut this.left, cx.waker())
        });
        match polled {
            Some(true) => {
                this.deadline = Some(Duration::ZERO);
                Poll::Ready(())
            }
            Some(false) => Poll::Pending,
            None => {
                // Its simulation is gone (or shut down): the rest of the sleep is slept on
                // the process-wide one, as a real backend's timer outlives the runtime it
                // was made on.
                let global = global();
                let now = offset_of(global.now());
                this.shared = Arc::downgrade(global);
                this.key = None;
                this.deadline = now.checked_add(this.left);
                self.poll(cx)
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        let state = &mut *self.state;
        if let (Some(key), Some(shared)) = (state.key.take(), state.shared.upgrade()) {
            shared.cancel_timer(key);
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.state.deadline)
            .finish_non_exhaustive()
    }
}
