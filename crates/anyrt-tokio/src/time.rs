//! Timers: [`Sleep`] on tokio's timer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use anyrt_core::time::Instant;

use crate::global;
use crate::owned::{self, in_anyrt_tokio, RuntimeId};

/// A tokio sleep made by `make` where tokio's timer functions work: in the current tokio
/// context if there is one, else with the process-wide runtime's handle entered; tagged
/// with the anyrt runtime whose timer that is, if anyrt owns it.
#[inline]
fn on_current_timer(make: impl FnOnce() -> tokio::time::Sleep) -> Sleep {
    if in_anyrt_tokio() {
        // anyrt's context says tokio: its thread-local names the anyrt runtime whose
        // context is entered here (`None`: the process-wide one).
        return Sleep::on_timer(make(), owned::thread_runtime());
    }
    global::with_fallback_handle(|h| {
        let _enter = h.enter();
        Sleep::on_timer(make(), None)
    })
}

/// A sleep on the timer of `handle`, the runtime identified by `runtime`.
pub(crate) fn sleep_on(
    handle: &tokio::runtime::Handle,
    runtime: Option<RuntimeId>,
    duration: Duration,
) -> Sleep {
    if duration.is_zero() {
        return Sleep::READY;
    }
    let _enter = handle.enter();
    Sleep::on_timer(tokio::time::sleep(duration), runtime)
}

/// A sleep until `deadline` on the timer of `handle`, the runtime identified by `runtime`.
pub(crate) fn sleep_until_on(
    handle: &tokio::runtime::Handle,
    runtime: Option<RuntimeId>,
    deadline: Instant,
) -> Sleep {
    if deadline <= Instant::now() {
        return Sleep::READY;
    }
    let _enter = handle.enter();
    Sleep::on_timer(tokio::time::sleep_until(to_tokio(deadline)), runtime)
}

fn to_tokio(deadline: Instant) -> tokio::time::Instant {
    tokio::time::Instant::from_std(deadline.into_std())
}

pin_project_lite::pin_project! {
    /// The future of [`sleep`] and [`sleep_until`]: completes at its deadline.
    ///
    /// A zero duration or a deadline already past is ready at the first poll (tokio's own
    /// sleep would wait for the next millisecond tick). It is `Send` and `'static`, not
    /// `Unpin`: pin it (`std::pin::pin!`) to poll it by hand. Dropping it cancels it.
    ///
    /// It does not take part in tokio's co-op budget (as on the other backends, which have
    /// none): a deadline is not a resource that can starve others, and a timeout built on
    /// it (`anyrt_core::time::Timeout`) still fires when the future it bounds uses up the
    /// budget, as tokio's own timeout polls its timer then.
    ///
    /// It outlives the runtime it was created on: if that is an anyrt
    /// [`Runtime`](crate::Runtime) that has shut down, the sleep moves to the process-wide
    /// runtime's timer at its next poll and still completes at its deadline.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Sleep {
        #[pin]
        inner: Option<tokio::time::Sleep>,
        // The anyrt runtime whose timer `inner` is on (`None`: a runtime that never shuts
        // down as far as anyrt knows: the process-wide one, or one anyrt does not own).
        runtime: Option<RuntimeId>,
    }
}

impl Sleep {
    const READY: Sleep = Sleep {
        inner: None,
        runtime: None,
    };

    #[inline]
    fn on_timer(inner: tokio::time::Sleep, runtime: Option<RuntimeId>) -> Sleep {
        Sleep {
            inner: Some(inner),
            runtime,
        }
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        match &self.inner {
            None => true,
            // A shut-down runtime's timer fires all its sleeps at once: read the clock.
            Some(s) if self.runtime.is_some_and(RuntimeId::is_closed) => {
                tokio::time::Instant::now() >= s.deadline()
            }
            Some(s) => s.is_elapsed(),
        }
    }
}

impl Future for Sleep {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        if this.runtime.is_some_and(RuntimeId::is_closed) {
            // tokio panics when a sleep on a shut-down runtime's timer is polled.
            *this.runtime = None;
            move_to_global_timer(this.inner.as_mut());
        }
        match this.inner.as_pin_mut() {
            None => Poll::Ready(()),
            // Unconstrained: see the type's docs. The wrapper only sets tokio's budget
            // thread-local around the poll.
            Some(sleep) => Pin::new(&mut tokio::task::coop::unconstrained(sleep)).poll(cx),
        }
    }
}

/// Replaces a sleep on a shut-down runtime's timer with one for the same deadline on the
/// process-wide runtime's timer (or with nothing, if the deadline has passed).
#[cold]
fn move_to_global_timer(mut inner: Pin<&mut Option<tokio::time::Sleep>>) {
    let Some(deadline) = inner.as_ref().as_pin_ref().map(|s| s.deadline()) else {
        return;
    };
    if deadline <= tokio::time::Instant::now() {
        inner.set(None);
        return;
    }
    let _enter = global::global().handle().enter();
    inner.set(Some(tokio::time::sleep_until(deadline)));
}

/// A future that completes after `duration`, on tokio's timer.
///
/// [`Duration::ZERO`] is ready at the first poll; [`Duration::MAX`] pends (for about thirty
/// years) without panicking. It can be created on any thread: with no tokio runtime there,
/// it uses the process-wide runtime's timer. It lasts at least `duration`, and tokio's timer
/// has a resolution of one millisecond.
#[inline]
pub(crate) fn sleep(duration: Duration) -> Sleep {
    if duration.is_zero() {
        return Sleep::READY;
    }
    // tokio's `sleep` caps the duration at about thirty years, so `Duration::MAX` is fine,
    // and it reads tokio's clock, so a paused test clock applies.
    on_current_timer(|| tokio::time::sleep(duration))
}

/// A future that completes at `deadline`, on tokio's timer. A deadline already past is
/// ready at the first poll. See [`sleep`].
pub(crate) fn sleep_until(deadline: Instant) -> Sleep {
    if deadline <= Instant::now() {
        return Sleep::READY;
    }
    on_current_timer(|| tokio::time::sleep_until(to_tokio(deadline)))
}
