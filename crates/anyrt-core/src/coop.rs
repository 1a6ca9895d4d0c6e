//! Co-operative scheduling budget, as a hook a backend fills in.
//!
//! tokio gives each task a budget of operations per poll; its own channels return `Pending`
//! when the budget is spent, so a busy loop yields to other tasks. anyrt's channels call
//! [`poll_proceed`] for the same effect. The tokio backend installs its budget here; with no
//! hook installed (or outside a tokio task) it is always `Ready`.
//!
//! ```
//! use std::task::{Context, Waker};
//!
//! // No hook installed: always ready.
//! let mut cx = Context::from_waker(Waker::noop());
//! assert!(anyrt_core::coop::poll_proceed(&mut cx).is_ready());
//! ```

use std::sync::atomic::{AtomicPtr, Ordering};
use std::task::{Context, Poll};

type Hook = fn(&mut Context<'_>) -> Poll<()>;

static HOOK: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());

/// Installs the budget hook (done by the tokio backend; the last one installed wins).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::task::{Context, Poll, Waker};
///
/// static SPENT: AtomicUsize = AtomicUsize::new(0);
///
/// // A budget of three operations, then one `Pending` that asks to be polled again.
/// fn budget(cx: &mut Context<'_>) -> Poll<()> {
///     if SPENT.fetch_add(1, Ordering::Relaxed) % 4 == 3 {
///         cx.waker().wake_by_ref();
///         return Poll::Pending;
///     }
///     Poll::Ready(())
/// }
///
/// anyrt_core::coop::set_hook(budget);
/// let mut cx = Context::from_waker(Waker::noop());
/// let polls: Vec<bool> = (0..4)
///     .map(|_| anyrt_core::coop::poll_proceed(&mut cx).is_ready())
///     .collect();
/// assert_eq!(polls, [true, true, true, false]);
/// ```
pub fn set_hook(hook: Hook) {
    HOOK.store(hook as *mut (), Ordering::Release);
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
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    // Inside a smol or async-std context anyrt set there is no budget to take, and anyrt's
    // own thread-local (a plain `Cell` read) says so more cheaply than asking tokio (about 40
    // instructions). On tokio, on a plain thread, or in a foreign runtime, the hook decides.
    if crate::context::current().is_some_and(|ctx| ctx.backend != crate::Backend::Tokio) {
        return Poll::Ready(());
    }
    let hook = HOOK.load(Ordering::Acquire);
    if hook.is_null() {
        return Poll::Ready(());
    }
    // SAFETY: the only non-null value ever stored is a `Hook` cast to a pointer.
    let hook: Hook = unsafe { std::mem::transmute::<*mut (), Hook>(hook) };
    hook(cx)
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
