//! Spawning onto the async-std runtime the calling thread is inside.

use std::future::Future;
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::JoinHandle;
use anyrt_core::Backend;

/// The context of async code on this backend.
pub(crate) const ASYNC: ThreadContext = ThreadContext::async_on(Backend::AsyncStd);

/// Spawns onto async-std's global executor: the `async_global_executor` one that
/// `async_std::task::spawn` uses, so the two share their threads.
///
/// The future is wrapped in [`Tracked`] only: the raw task is the single allocation (as for
/// `async_std::task::spawn`, which wraps the future in its task-locals instead), and the
/// 8-byte `async_task::Task` is stored inline in the [`JoinHandle`]. The executor spawns with
/// `propagate_panic`, so a panic is caught at join.
pub(crate) fn spawn_global<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    init_global();
    JoinHandle::from_async_task(async_global_executor::spawn(Tracked { future }))
}

/// Makes sure async-std's global runtime is configured by async-std itself (thread count
/// from `ASYNC_STD_THREAD_COUNT`, names from `ASYNC_STD_THREAD_NAME` or `async-std/runtime`)
/// before anyrt's first spawn onto it; `async_global_executor::spawn` alone would start it
/// with its own defaults. async-std offers no public way to start its runtime but a spawn
/// or a `block_on`: an empty task, spawned once per process, is the cheapest.
#[inline]
fn init_global() {
    static INIT: Once = Once::new();
    INIT.call_once(|| drop(async_std::task::spawn(async {})));
}

pin_project_lite::pin_project! {
    /// A task of the global executor: its threads are async-std's, not anyrt's, so the anyrt
    /// thread context is entered around each poll.
    struct Tracked<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _ctx = context::enter(ASYNC);
        anyrt_core::coop::reset();
        self.project().future.poll(cx)
    }
}
