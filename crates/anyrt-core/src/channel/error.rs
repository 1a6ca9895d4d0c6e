//! The error types of [`bounded`](super::bounded) and [`unbounded`](super::unbounded)
//! channels, also used by [`oneshot`](super::oneshot) and [`watch`](super::watch).
//!
//! Every error that refuses a message hands it back: nothing is lost. `Debug` never
//! requires `T: Debug`, so `.unwrap()` works for any message type.

use std::fmt;

/// The error of [`Sender::send`](super::Sender::send) and
/// [`Sender::send_blocking`](super::Sender::send_blocking): the channel is closed, so the
/// message was not sent. The message is handed back by [`into_inner`](Self::into_inner).
///
/// ```
/// use anyrt::channel::bounded;
///
/// let (tx, rx) = bounded::<String>(1);
/// drop(rx);
/// let err = tx.send_blocking("hello".to_string()).unwrap_err();
/// assert_eq!(err.into_inner(), "hello");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The error for a message that could not be sent (for adapters and tests).
    ///
    /// ```
    /// let err = anyrt::channel::SendError::new(5);
    /// assert_eq!(err.into_inner(), 5);
    /// ```
    pub const fn new(value: T) -> Self {
        SendError(value)
    }

    /// The message that was not sent.
    ///
    /// ```
    /// let err = anyrt::channel::SendError::new("msg");
    /// assert_eq!(err.into_inner(), "msg");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "sending on a closed channel: every receiver was dropped or the channel was \
             closed, so the message was not sent; into_inner() hands it back",
        )
    }
}

impl<T> std::error::Error for SendError<T> {}

/// The error of [`Sender::try_send`](super::Sender::try_send): the message could not be
/// sent right now. It is handed back by [`into_inner`](Self::into_inner).
///
/// ```
/// use anyrt::channel::{bounded, TrySendError};
///
/// let (tx, _rx) = bounded(1);
/// tx.try_send(1).unwrap();
/// let err = tx.try_send(2).unwrap_err();
/// assert!(err.is_full());
/// assert!(matches!(err, TrySendError::Full(2)));
/// assert_eq!(err.into_inner(), 2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrySendError<T> {
    /// The channel is full: retry later, or `send().await` to wait for room.
    Full(T),
    /// The channel is closed: every receiver was dropped or `close()` was called.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The message that was not sent.
    ///
    /// ```
    /// let err = anyrt::channel::TrySendError::Closed(3);
    /// assert_eq!(err.into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }

    /// Whether the send failed because the channel was full.
    ///
    /// ```
    /// assert!(anyrt::channel::TrySendError::Full(()).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Whether the send failed because the channel was closed.
    ///
    /// ```
    /// assert!(anyrt::channel::TrySendError::Closed(()).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(e: SendError<T>) -> Self {
        TrySendError::Closed(e.0)
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str(
                "sending on a full channel: the message was not sent; into_inner() hands it \
                 back. Retry later, or use send().await to wait for room",
            ),
            TrySendError::Closed(_) => f.write_str(
                "sending on a closed channel: every receiver was dropped or the channel was \
                 closed, so the message was not sent; into_inner() hands it back",
            ),
        }
    }
}

impl<T> std::error::Error for TrySendError<T> {}

/// The error of `recv`: the channel is closed (every sender was dropped, or `close()` was
/// called) and no message is left. This is the normal end of a channel: stop receiving.
///
/// ```
/// use anyrt::channel::{unbounded, RecvError};
///
/// let (tx, rx) = unbounded::<u8>();
/// drop(tx);
/// assert_eq!(rx.recv_blocking(), Err(RecvError::new()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct RecvError;

impl RecvError {
    /// The error value (for adapters and tests).
    ///
    /// ```
    /// let _ = anyrt::channel::RecvError::new();
    /// ```
    pub const fn new() -> Self {
        RecvError
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "receiving on a closed channel: every sender was dropped or the channel was \
             closed, and no message is left; this is the end of the channel, stop receiving",
        )
    }
}

impl std::error::Error for RecvError {}

/// The error of `try_recv`: no message right now.
///
/// ```
/// use anyrt::channel::{bounded, TryRecvError};
///
/// let (tx, rx) = bounded::<u8>(1);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert!(rx.try_recv().unwrap_err().is_closed());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TryRecvError {
    /// The channel is empty but open: retry later, or `recv().await` to wait.
    Empty,
    /// The channel is closed and empty: no message will ever come.
    Closed,
}

impl TryRecvError {
    /// Whether the channel was empty but still open.
    ///
    /// ```
    /// assert!(anyrt::channel::TryRecvError::Empty.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, TryRecvError::Empty)
    }

    /// Whether the channel was closed and empty.
    ///
    /// ```
    /// assert!(anyrt::channel::TryRecvError::Closed.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TryRecvError::Closed)
    }
}

impl From<RecvError> for TryRecvError {
    fn from(_: RecvError) -> Self {
        TryRecvError::Closed
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str(
                "receiving on an empty channel: no message yet; retry later, or use \
                 recv().await to wait for one",
            ),
            TryRecvError::Closed => f.write_str(
                "receiving on a closed channel: every sender was dropped or the channel was \
                 closed, and no message is left; this is the end of the channel, stop \
                 receiving",
            ),
        }
    }
}

impl std::error::Error for TryRecvError {}
