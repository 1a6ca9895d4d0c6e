//! A channel for one value, sent once: replies and completion signals.
//!
//! Built on `tokio::sync::oneshot` (only tokio's `sync` feature: no runtime), which works
//! under every executor and from plain threads. The [`Receiver`] is itself a future.
//!
//! ```
//! anyrt::block_on(async {
//!     let (tx, rx) = anyrt::channel::oneshot::channel();
//!     std::thread::spawn(move || tx.send("done").unwrap());
//!     assert_eq!(rx.await, Ok("done"));
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot as imp;

use super::{assert_can_block, park_on, RecvError, SendError, TryRecvError};

/// Creates a oneshot channel.
///
/// ```
/// let (tx, mut rx) = anyrt::channel::oneshot::channel();
/// tx.send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = imp::channel();
    (Sender { inner: tx }, Receiver { inner: rx })
}

/// Sends the one value of a [`channel`]. Dropping it without sending closes the channel:
/// the receiver gets [`RecvError`].
///
/// ```
/// let (tx, rx) = anyrt::channel::oneshot::channel::<u8>();
/// drop(tx);
/// assert!(rx.recv_blocking().is_err());
/// ```
pub struct Sender<T> {
    inner: imp::Sender<T>,
}

impl<T> Sender<T> {
    /// Sends the value, consuming the sender. Never waits.
    ///
    /// Fails, handing the value back, if the receiver was dropped or closed.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(5).unwrap_err().into_inner(), 5);
    /// ```
    pub fn send(self, value: T) -> Result<(), SendError<T>> {
        self.inner.send(value).map_err(SendError)
    }

    /// Whether the receiver was dropped or closed (a send would fail).
    ///
    /// ```
    /// let (tx, mut rx) = anyrt::channel::oneshot::channel::<u8>();
    /// assert!(!tx.is_closed());
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Waits until the receiver is dropped or closed: useful to stop computing a reply
    /// nobody waits for any more.
    ///
    /// **Cancel-safe:** dropping the future has no effect on the channel.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let (mut tx, rx) = anyrt::channel::oneshot::channel::<u8>();
    ///     drop(rx);
    ///     tx.closed().await;
    /// });
    /// ```
    pub async fn closed(&mut self) {
        self.inner.closed().await
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("is_closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// Receives the value of a [`channel`]: `.await` it, or use [`try_recv`](Self::try_recv) or
/// [`recv_blocking`](Self::recv_blocking).
///
/// Awaiting it is **cancel-safe**: the receiver is `Unpin`, so it can be polled by
/// reference (`(&mut rx).await`, a `select!` arm) and polled again later without losing
/// the value. Once it has completed, polling it again gives [`RecvError`] (no panic).
///
/// ```
/// anyrt::block_on(async {
///     let (tx, rx) = anyrt::channel::oneshot::channel();
///     tx.send(3).unwrap();
///     assert_eq!(rx.await, Ok(3));
/// });
/// ```
pub struct Receiver<T> {
    inner: imp::Receiver<T>,
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent, without waiting.
    ///
    /// [`TryRecvError::Empty`] if not yet sent; [`TryRecvError::Closed`] if the sender was
    /// dropped without sending, or the value was already taken.
    ///
    /// ```
    /// use anyrt::channel::{oneshot, TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.inner.try_recv().map_err(|e| match e {
            imp::error::TryRecvError::Empty => TryRecvError::Empty,
            imp::error::TryRecvError::Closed => TryRecvError::Closed,
        })
    }

    /// Waits for the value, blocking the thread.
    ///
    /// # Panics
    ///
    /// Inside async code anyrt can see (an anyrt task or `block_on`, a tokio runtime, an
    /// async-std task) (the message names `spawn_blocking`); `.await` the receiver there.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::oneshot::channel();
    /// std::thread::spawn(move || tx.send(9).unwrap());
    /// assert_eq!(rx.recv_blocking(), Ok(9));
    /// ```
    #[track_caller]
    pub fn recv_blocking(self) -> Result<T, RecvError> {
        assert_can_block("anyrt::channel::oneshot::Receiver::recv_blocking");
        park_on(self)
    }

    /// Closes the channel without taking the value: a later `send` fails. A value sent
    /// before the close can still be taken with [`try_recv`](Self::try_recv).
    ///
    /// ```
    /// let (tx, mut rx) = anyrt::channel::oneshot::channel();
    /// rx.close();
    /// assert!(tx.send(1).is_err());
    /// ```
    pub fn close(&mut self) {
        self.inner.close()
    }

    /// Whether the value was sent and not yet taken.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::oneshot::channel();
    /// assert!(!rx.has_value());
    /// tx.send(1).unwrap();
    /// assert!(rx.has_value());
    /// ```
    pub fn has_value(&self) -> bool {
        !self.inner.is_empty()
    }

    /// Whether the receiver has nothing more to give: its value was taken, or the channel
    /// was closed with nothing in it.
    ///
    /// ```
    /// let (tx, mut rx) = anyrt::channel::oneshot::channel();
    /// tx.send(1).unwrap();
    /// assert!(!rx.is_terminated());
    /// rx.try_recv().unwrap();
    /// assert!(rx.is_terminated());
    /// ```
    pub fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // tokio's receiver panics when polled after completion; anyrt's returns the error.
        if self.inner.is_terminated() {
            return Poll::Ready(Err(RecvError));
        }
        std::task::ready!(crate::coop::poll_proceed_unless_tokio(cx));
        Pin::new(&mut self.inner)
            .poll(cx)
            .map(|r| r.map_err(|_| RecvError))
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("has_value", &self.has_value())
            .finish_non_exhaustive()
    }
}
