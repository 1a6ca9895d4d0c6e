//! Co-operative scheduling budget, as a hook a backend fills in.
//!
//! tokio gives each task a budget of operations per poll; its own channels return `Pending`
//! when the budget is spent, so a busy loop yields to other tasks. anyrt's channels call
//! [`poll_proceed`] for the same effect. The tokio backend installs its budget here; with no
//! hook installed (or outside a tokio task) it is always `Ready`.

use std::sync::atomic::{AtomicPtr, Ordering};
use std::task::{Context, Poll};

type Hook = fn(&mut Context<'_>) -> Poll<()>;

static HOOK: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());

/// Installs the budget hook (done by the tokio backend; the last one installed wins).
pub fn set_hook(hook: Hook) {
    HOOK.store(hook as *mut (), Ordering::Release);
}

/// Consumes one unit of the current task's budget: `Pending` (with the task woken again
/// soon) when it is spent, so that the caller returns `Pending` and lets other tasks run.
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    let hook = HOOK.load(Ordering::Acquire);
    if hook.is_null() {
        return Poll::Ready(());
    }
    // SAFETY: the only non-null value ever stored is a `Hook` cast to a pointer.
    let hook: Hook = unsafe { std::mem::transmute::<*mut (), Hook>(hook) };
    hook(cx)
}
