//! Co-operative scheduling budget.
//!
//! tokio gives each task a budget of operations per poll; its own channels return `Pending`
//! when the budget is spent, so a busy loop yields to other tasks. anyrt's channels and
//! locks call [`poll_proceed`] for the same effect. With the `tokio` feature (which the
//! tokio backend turns on) it is tokio's own budget, in any tokio runtime, anyrt's or not,
//! from the first call; inside an anyrt context of another backend, and without the feature,
//! it is always `Ready`.
//!
//! ```
//! use std::task::{Context, Waker};
//!
//! // Outside any runtime there is no budget to spend: always ready.
//! let mut cx = Context::from_waker(Waker::noop());
//! assert!(anyrt_core::coop::poll_proceed(&mut cx).is_ready());
//! ```

use std::task::{Context, Poll};

/// Consumes one unit of the current task's budget: `Pending` (with the task woken again
/// soon) when it is spent, so that the caller returns `Pending` and lets other tasks run.
///
/// ```
/// use std::collections::VecDeque;
/// use std::task::{ready, Context, Poll, Waker};
///
/// // The pattern in a hand-written receiver: spend budget before each message.
/// fn poll_recv(queue: &mut VecDeque<u32>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
///     ready!(anyrt_core::coop::poll_proceed(cx));
///     Poll::Ready(queue.pop_front())
/// }
///
/// let mut queue = VecDeque::from([1, 2]);
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(poll_recv(&mut queue, &mut cx), Poll::Ready(Some(1)));
/// ```
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    #[cfg(feature = "tokio")]
    {
        // Inside a smol or async-std context anyrt set there is no budget to take, and
        // anyrt's own thread-local (a plain `Cell` read) says so more cheaply than asking
        // tokio (about 40 instructions). On tokio, on a plain thread (tokio says "no budget
        // here") or in a foreign runtime, tokio decides.
        if crate::context::current().is_some_and(|ctx| ctx.backend != crate::Backend::Tokio) {
            return Poll::Ready(());
        }
        tokio::task::coop::poll_proceed(cx).map(|restore| restore.made_progress())
    }
    #[cfg(not(feature = "tokio"))]
    {
        let _ = cx;
        Poll::Ready(())
    }
}

/// [`poll_proceed`] once per operation: `taken` records that the operation already paid its
/// unit. An operation pays before it can complete at its first poll (where a loop over an
/// always-ready resource would otherwise never yield); a later poll follows a `Pending`, so
/// the task has yielded already.
///
/// ```
/// use std::task::{Context, Poll, Waker};
///
/// let mut taken = false;
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(anyrt_core::coop::poll_proceed_once(&mut taken, &mut cx), Poll::Ready(()));
/// assert!(taken);
/// ```
#[inline]
pub fn poll_proceed_once(taken: &mut bool, cx: &mut Context<'_>) -> Poll<()> {
    if !*taken {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        *taken = true;
    }
    Poll::Ready(())
}

/// Schedules the task to be polled again after the other ready tasks: what a yield does at
/// its first poll. In a tokio runtime, tokio's own deferral (the task goes to the back of the
/// run queue, as with `tokio::task::yield_now`); elsewhere the waker is woken at once.
#[inline]
pub(crate) fn defer(cx: &mut Context<'_>) {
    #[cfg(feature = "tokio")]
    if crate::context::current().is_none_or(|ctx| ctx.backend == crate::Backend::Tokio) {
        // tokio's yield has no state but "polled once": its first poll hands the waker to
        // the scheduler's deferred list (or wakes it outside a runtime) and pends. Polling a
        // fresh one once and dropping it does exactly that.
        let _ = std::future::Future::poll(std::pin::pin!(tokio::task::yield_now()), cx);
        return;
    }
    cx.waker().wake_by_ref();
}
