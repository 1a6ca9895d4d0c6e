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

mod error;
mod join;
pub mod local;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use error::{panic_message, JoinError};
pub use join::{AbortOnDrop, JoinHandle, RawTask};

/// Yields once to the executor, letting other tasks run.
///
/// This is the backend-independent form; the facade's `anyrt::task::yield_now` uses the
/// native one where a backend has it (tokio's takes part in its co-op budget). Cancel-safe.
///
/// ```
/// futures_lite::future::block_on(async {
///     for _ in 0..3 {
///         anyrt_core::task::yield_now().await; // let other tasks run between steps
///     }
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`]: pending at the first poll (after waking its task), ready
/// at the second.
///
/// ```
/// use futures_lite::future::{block_on, poll_once};
///
/// let mut y = anyrt_core::task::yield_now();
/// assert_eq!(block_on(poll_once(&mut y)), None); // yielded once
/// assert_eq!(block_on(poll_once(&mut y)), Some(()));
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
