//! [`with_tokio`]: a future from a tokio-only crate, on any backend.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project_lite::pin_project! {
    /// The future of [`with_tokio`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct WithTokio<F> {
        #[pin]
        future: F,
    }
}

/// Runs `future` (an async block that calls a tokio-only crate), from a crate built on tokio's reactor or timer (reqwest, hyper-util's
/// tokio adapters, tonic, `tokio::net`, `tokio::time`), on any backend: each poll runs
/// inside a tokio runtime context, the ambient one on tokio, else anyrt's process-wide tokio
/// runtime (started on first use). So "there is no reactor running, must be called from the
/// context of a Tokio 1.x runtime" never reaches the user. Needs the `tokio` feature; the
/// backend running the caller can be any.
///
/// ```
/// # extern crate tokio_io as tokio;
/// use std::time::Duration;
///
/// // A smol runtime; the future needs tokio's timer.
/// let rt = anyrt::Runtime::new(anyrt::Backend::Smol).unwrap();
/// rt.block_on(async {
///     // An async block: tokio's futures look for the context when they are created, so
///     // they must be created inside (`with_tokio(tokio::time::sleep(..))` would panic
///     // before `with_tokio` could help).
///     anyrt::compat::with_tokio(async {
///         tokio::time::sleep(Duration::from_millis(1)).await;
///     })
///     .await;
/// });
/// ```
///
/// What a tokio-only future spawns (`tokio::spawn` inside it) goes to that tokio runtime,
/// and so does an `anyrt::spawn` called from inside it: while it is polled, the thread is
/// inside a tokio context, and [`Backend::current`](crate::Backend::current) says tokio.
pub fn with_tokio<F: Future>(future: F) -> WithTokio<F> {
    WithTokio { future }
}

impl<F: Future> Future for WithTokio<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let future = self.project().future;
        anyrt_tokio::enter_tokio(|| future.poll(cx))
    }
}
