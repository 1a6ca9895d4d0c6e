//! Task handles: [`JoinHandle`], [`JoinError`], the [`RawTask`] trait a backend implements
//! for its native handle, the local executor behind `spawn_local`, and [`yield_now`].

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
/// native one where a backend has it (tokio's takes part in its co-op budget).
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
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
