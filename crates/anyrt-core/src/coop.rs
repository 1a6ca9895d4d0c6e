//! Co-operative scheduling budget: a task looping over operations that are ready at once
//! yields at least once every [`BUDGET`] of them, on every backend, so that it can neither
//! starve its runtime nor escape `abort()`.
//!
//! tokio gives each task a budget of operations per poll; its own channels return `Pending`
//! when the budget is spent, so a busy loop yields to other tasks. anyrt's channels, locks,
//! ready sleeps and timeouts call [`poll_proceed`] for the same effect. On tokio (with the
//! `tokio` feature, which the tokio backend turns on) it is tokio's own budget, in any tokio
//! runtime, anyrt's or not, from the first call. Inside async code of another backend anyrt
//! can see it is a counter of the same size, per thread, that the backend resets when it
//! starts polling a task ([`reset`]). Elsewhere (a plain thread, a blocking closure, a
//! foreign executor anyrt cannot see) it is always `Ready`.
//!
//! ```
//! use std::task::{Context, Waker};
//!
//! // Outside any runtime there is no budget to spend: always ready.
//! let mut cx = Context::from_waker(Waker::noop());
//! assert!(anyrt_core::coop::poll_proceed(&mut cx).is_ready());
//! ```

use std::cell::Cell;
use std::task::{Context, Poll};

use crate::context::{self, ContextKind};
use crate::{foreign, Backend};

/// The operations a task may run before it yields: tokio's own budget, and anyrt's on the
/// other backends.
pub const BUDGET: u8 = 128;

thread_local! {
    // `const`, no destructor: one load and one store per operation.
    static LEFT: Cell<u8> = const { Cell::new(BUDGET) };
}

/// Which budget applies on the calling thread.
enum Budget {
    Tokio,
    Anyrt,
    None,
}

#[inline(always)]
fn budget() -> Budget {
    match context::current() {
        Some(ctx) if ctx.backend == Backend::Tokio => Budget::Tokio,
        Some(ctx) if ctx.kind == ContextKind::Async => Budget::Anyrt,
        Some(_) => Budget::None,
        // A plain thread or a foreign tokio runtime: tokio knows which.
        None => Budget::Tokio,
    }
}

/// anyrt's counter: one unit, or `Pending` (woken at once) when it is spent.
///
/// Spent, it stays spent until the backend starts the task's next poll ([`reset`]), as
/// tokio's budget does: an operation that swallows the `Pending` of another (a `timeout`
/// whose deadline passed, a `select!` over several) would otherwise go on with a fresh
/// budget, and a loop around it would never yield nor see its `abort()`.
#[inline(always)]
fn spend_anyrt(cx: &mut Context<'_>) -> Poll<()> {
    LEFT.with(|left| match left.get() {
        0 => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        n => {
            left.set(n - 1);
            Poll::Ready(())
        }
    })
}

/// Gives the task about to be polled on this thread a full budget. Backends call it where
/// they start polling a task (or the future of a `block_on`); on tokio, tokio does.
///
/// ```
/// anyrt_core::coop::reset();
/// ```
#[inline]
pub fn reset() {
    LEFT.with(|left| left.set(BUDGET));
}

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
#[inline(always)]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    match budget() {
        Budget::Tokio => foreign::spend_tokio(cx),
        Budget::Anyrt => spend_anyrt(cx),
        Budget::None => Poll::Ready(()),
    }
}

/// [`poll_proceed`] for operations built on `tokio::sync`, whose polls already spend
/// tokio's budget themselves: anyrt's counter where it applies, nothing on tokio.
#[inline]
pub(crate) fn poll_proceed_unless_tokio(cx: &mut Context<'_>) -> Poll<()> {
    match budget() {
        Budget::Anyrt => spend_anyrt(cx),
        Budget::Tokio | Budget::None => Poll::Ready(()),
    }
}

/// One unit of [`poll_proceed_unless_tokio`], awaited.
pub(crate) async fn step_unless_tokio() {
    std::future::poll_fn(poll_proceed_unless_tokio).await
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
#[inline(always)]
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
///
/// Inline, with the tokio path out of line: on the other backends a yield costs one
/// thread-local read more than a plain wake.
#[inline]
pub(crate) fn defer(cx: &mut Context<'_>) {
    #[cfg(feature = "tokio")]
    if context::current().is_none_or(|ctx| ctx.backend == Backend::Tokio) {
        foreign::defer_tokio(cx);
        return;
    }
    cx.waker().wake_by_ref();
}
