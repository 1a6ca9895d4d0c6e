//! Timers: [`sleep`], [`sleep_until`], [`timeout`] and [`timeout_at`] on tokio's timer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use anyrt_core::time::{Elapsed, Instant};

use crate::runtime;
use crate::task::in_anyrt_tokio;

/// Runs `f` where tokio's timer functions work: in the current tokio context if there is
/// one, else with the process-wide runtime's handle entered.
#[inline]
fn with_timer<R>(f: impl FnOnce() -> R) -> R {
    if in_anyrt_tokio() {
        return f();
    }
    runtime::with_fallback_handle(|h| {
        let _enter = h.enter();
        f()
    })
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
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Sleep {
        #[pin]
        inner: Option<tokio::time::Sleep>,
    }
}

impl Sleep {
    const READY: Sleep = Sleep { inner: None };

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        self.inner.as_ref().is_none_or(|s| s.is_elapsed())
    }
}

impl Future for Sleep {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project().inner.as_pin_mut() {
            None => Poll::Ready(()),
            Some(sleep) => sleep.poll(cx),
        }
    }
}

/// A future that completes after `duration`, on tokio's timer.
///
/// [`Duration::ZERO`] is ready at the first poll; [`Duration::MAX`] pends (for about thirty
/// years) without panicking. It can be created on any thread: with no tokio runtime there,
/// it uses the process-wide runtime's timer. It lasts at least `duration`, and tokio's timer
/// has a resolution of one millisecond.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// anyrt_tokio::block_on(anyrt_tokio::sleep(Duration::from_millis(5)));
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// ```
#[inline]
pub fn sleep(duration: Duration) -> Sleep {
    if duration.is_zero() {
        return Sleep::READY;
    }
    // tokio's `sleep` caps the duration at about thirty years, so `Duration::MAX` is fine,
    // and it reads tokio's clock, so a paused test clock applies.
    Sleep {
        inner: Some(with_timer(|| tokio::time::sleep(duration))),
    }
}

/// A future that completes at `deadline`, on tokio's timer. A deadline already past is
/// ready at the first poll. See [`sleep`].
///
/// ```
/// use anyrt_core::time::Instant;
/// use std::time::Duration;
///
/// let deadline = Instant::now() + Duration::from_millis(2);
/// anyrt_tokio::block_on(anyrt_tokio::sleep_until(deadline));
/// assert!(Instant::now() >= deadline);
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    if deadline <= Instant::now() {
        return Sleep::READY;
    }
    Sleep {
        inner: Some(with_timer(|| tokio::time::sleep_until(to_tokio(deadline)))),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`] and [`timeout_at`]: `Ok(output)` if the future completes
    /// before the deadline, `Err(Elapsed)` otherwise.
    ///
    /// It is tokio's own `tokio::time::Timeout` (the future is polled first, and the timer
    /// is still polled when the future has used up tokio's co-op budget, so a busy future
    /// cannot starve it), except that with a zero or past deadline the future is polled
    /// once and, if it is not ready, the result is `Err(Elapsed)` at once.
    ///
    /// Cancel-safe exactly when the inner future is.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        inner: TimeoutInner<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = TimeoutProj]
    #[project_ref = TimeoutProjRef]
    #[derive(Debug)]
    enum TimeoutInner<F> {
        Tokio { #[pin] timeout: tokio::time::Timeout<F> },
        Expired { #[pin] future: F },
    }
}

impl<F> Timeout<F> {
    /// The inner future.
    pub fn get_ref(&self) -> &F {
        match &self.inner {
            TimeoutInner::Tokio { timeout } => timeout.get_ref(),
            TimeoutInner::Expired { future } => future,
        }
    }

    /// The inner future, mutably.
    pub fn get_mut(&mut self) -> &mut F {
        match &mut self.inner {
            TimeoutInner::Tokio { timeout } => timeout.get_mut(),
            TimeoutInner::Expired { future } => future,
        }
    }

    /// The inner future, giving up the deadline.
    pub fn into_inner(self) -> F {
        match self.inner {
            TimeoutInner::Tokio { timeout } => timeout.into_inner(),
            TimeoutInner::Expired { future } => future,
        }
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().inner.project() {
            TimeoutProj::Tokio { timeout } => timeout.poll(cx).map_err(|_| Elapsed::new()),
            TimeoutProj::Expired { future } => match future.poll(cx) {
                Poll::Ready(v) => Poll::Ready(Ok(v)),
                Poll::Pending => Poll::Ready(Err(Elapsed::new())),
            },
        }
    }
}

/// `future`, bounded by `duration`: `Err(Elapsed)` if it has not completed by then.
///
/// Delegates to `tokio::time::timeout`, so it is not starved by tokio's co-op budget. The
/// future is polled first: a ready future gives `Ok` even with a zero duration. A zero
/// duration gives `Err(Elapsed)` at the first poll if the future is not ready;
/// [`Duration::MAX`] never expires. Like [`sleep`], it works on any thread.
///
/// ```
/// use std::time::Duration;
///
/// let r = anyrt_tokio::block_on(anyrt_tokio::timeout(
///     Duration::from_millis(1),
///     std::future::pending::<()>(),
/// ));
/// assert!(r.is_err());
/// ```
#[inline]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    let inner = if duration.is_zero() {
        TimeoutInner::Expired { future }
    } else {
        TimeoutInner::Tokio {
            timeout: with_timer(|| tokio::time::timeout(duration, future)),
        }
    };
    Timeout { inner }
}

/// `future`, bounded by `deadline`. See [`timeout`]; a deadline already past behaves like
/// a zero duration.
///
/// ```
/// use anyrt_core::time::Instant;
/// use std::time::Duration;
///
/// let deadline = Instant::now() + Duration::from_secs(5);
/// let r = anyrt_tokio::block_on(anyrt_tokio::timeout_at(deadline, async { 7 }));
/// assert_eq!(r, Ok(7));
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    let inner = if deadline <= Instant::now() {
        TimeoutInner::Expired { future }
    } else {
        TimeoutInner::Tokio {
            timeout: with_timer(|| tokio::time::timeout_at(to_tokio(deadline), future)),
        }
    };
    Timeout { inner }
}
