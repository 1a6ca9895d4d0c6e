//! Task handles: [`JoinHandle`], [`JoinError`], the [`RawTask`] trait a backend implements
//! for its native handle, the local executor behind `spawn_local`, and [`yield_now`].
//!
//! ```
//! use anyrt_core::task::JoinHandle;
//!
//! // A backend wraps its native task in a `JoinHandle`; the caller only ever awaits it.
//! let ex = async_executor::Executor::new();
//! let handle: JoinHandle<u32> = JoinHandle::from_async_task(ex.spawn(async { 7 }));
//! assert_eq!(futures_lite::future::block_on(ex.run(handle)).unwrap(), 7);
//! ```

#[allow(unsafe_code)]
pub mod drop_panic;
mod error;
// The type-erased handle: a native handle stored inline in two words, behind a vtable.
#[allow(unsafe_code)]
mod join;
pub mod local;
mod scope;
pub mod task_local;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use error::{panic_message, JoinError};
pub use join::{AbortOnDrop, JoinHandle, RawTask};
pub use scope::{scope, Scope, ScopeFuture, ScopedJoinHandle};
pub use task_local::{AccessError, LocalKey, TaskLocalFuture};

/// Yields once to the executor, letting other tasks run. On tokio it is tokio's own yield
/// (the task goes to the back of the run queue, after the other ready tasks). Cancel-safe.
///
/// ```
/// anyrt::block_on(async {
///     for _ in 0..3 {
///         anyrt::task::yield_now().await; // let other tasks run between steps
///     }
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`]: pending at the first poll (after scheduling its task to run
/// again), ready at the second. `Send`, `Sync`, `Unpin`, one byte.
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Waker};
///
/// let mut y = pin!(anyrt::task::yield_now());
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(y.as_mut().poll(&mut cx).is_pending()); // yielded once
/// assert!(y.as_mut().poll(&mut cx).is_ready());
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        crate::coop::defer(cx);
        Poll::Pending
    }
}
