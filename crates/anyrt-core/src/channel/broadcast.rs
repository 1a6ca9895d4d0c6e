//! A multi-producer channel where every receiver gets every value.
//!
//! The channel keeps the last `cap` values (rounded up to a power of two). Senders never
//! wait: when the buffer is full, a send overwrites the oldest value. A receiver that falls
//! that far behind is told so: its next `recv` gives [`RecvError::Lagged`] with the number
//! of values it missed, and then continues with the oldest value still kept.
//!
//! Built on `tokio::sync::broadcast` (only tokio's `sync` feature: no runtime), which works
//! under every executor and from plain threads.
//!
//! ```
//! anyrt::block_on(async {
//!     let (tx, mut rx1) = anyrt::channel::broadcast::channel(16);
//!     let mut rx2 = tx.subscribe();
//!     tx.send("event").unwrap();
//!     assert_eq!(rx1.recv().await, Ok("event"));
//!     assert_eq!(rx2.recv().await, Ok("event"));
//! });
//! ```

use std::fmt;

use tokio::sync::broadcast as imp;

use super::{assert_can_block, park_on, SendError};

/// The errors under tokio's path (`tokio::sync::broadcast::error`), so that a port is a
/// rename: `anyrt::channel::broadcast::error::RecvError`.
pub mod error {
    pub use super::{RecvError, TryRecvError};
    pub use crate::channel::SendError;
}

/// Creates a broadcast channel that keeps the last `cap` values (rounded up to a power of
/// two) for receivers that have not seen them yet.
///
/// # Panics
///
/// If `cap` is 0 or larger than `usize::MAX / 2`.
///
/// ```
/// use anyrt::channel::broadcast::{channel, TryRecvError};
///
/// let (tx, mut rx) = channel(2);
/// for i in 0..5 {
///     tx.send(i).unwrap();
/// }
/// // The receiver missed 0, 1 and 2: they were overwritten.
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(3)));
/// assert_eq!(rx.try_recv(), Ok(3));
/// ```
#[track_caller]
pub fn channel<T: Clone>(cap: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        cap > 0 && cap <= usize::MAX >> 1,
        "anyrt::channel::broadcast::channel({cap}): the capacity must be at least 1 (and at \
         most usize::MAX / 2); it is how many values are kept for receivers that lag behind"
    );
    let (tx, rx) = imp::channel(cap);
    (Sender { inner: tx }, Receiver { inner: rx })
}

/// The sending half of a [`channel`]. Clone it for more producers; make receivers with
/// [`subscribe`](Self::subscribe).
///
/// The channel closes when every `Sender` is dropped: receivers then get the values left,
/// then [`RecvError::Closed`].
///
/// ```
/// let (tx, rx) = anyrt::channel::broadcast::channel::<u8>(4);
/// let tx2 = tx.clone();
/// assert_eq!(tx2.receiver_count(), 1);
/// # drop(rx);
/// ```
pub struct Sender<T> {
    inner: imp::Sender<T>,
}

impl<T> Sender<T> {
    /// Sends a value to every current receiver; returns how many receivers will see it.
    /// Never waits: when the buffer is full, the oldest value is overwritten and receivers
    /// that had not seen it get [`RecvError::Lagged`].
    ///
    /// Fails, handing the value back, when there is no receiver.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::broadcast::channel(4);
    /// assert_eq!(tx.send(1), Ok(1));
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        self.inner.send(value).map_err(|e| SendError(e.0))
    }

    /// A new receiver that gets every value sent from now on.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut late = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(late.try_recv(), Ok(2));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        Receiver {
            inner: self.inner.subscribe(),
        }
    }

    /// The number of live receivers.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::broadcast::channel::<u8>(4);
    /// assert_eq!(tx.receiver_count(), 1);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.inner.receiver_count()
    }

    /// The number of values not yet seen by the slowest receiver.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether every receiver has seen every value.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::broadcast::channel::<u8>(4);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Whether `self` and `other` send into the same channel.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::broadcast::channel::<u8>(4);
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        self.inner.same_channel(&other.inner)
    }

    /// Waits until there is no receiver left.
    ///
    /// **Cancel-safe:** dropping the future has no effect on the channel.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let (tx, rx) = anyrt::channel::broadcast::channel::<u8>(4);
    ///     drop(rx);
    ///     tx.closed().await;
    /// });
    /// ```
    pub async fn closed(&self) {
        self.inner.closed().await
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("receiver_count", &self.receiver_count())
            .finish_non_exhaustive()
    }
}

/// The receiving half of a [`channel`]: gets every value sent after it was created.
///
/// Not `Clone` (a clone would have to choose where to start): use
/// [`resubscribe`](Self::resubscribe) or [`Sender::subscribe`].
///
/// ```
/// anyrt::block_on(async {
///     let (tx, mut rx) = anyrt::channel::broadcast::channel(4);
///     tx.send(1).unwrap();
///     drop(tx);
///     assert_eq!(rx.recv().await, Ok(1));
///     assert_eq!(rx.recv().await, Err(anyrt::channel::broadcast::RecvError::Closed));
/// });
/// ```
pub struct Receiver<T> {
    inner: imp::Receiver<T>,
}

impl<T: Clone> Receiver<T> {
    /// Receives the next value, waiting while there is none.
    ///
    /// [`RecvError::Lagged(n)`](RecvError::Lagged) if `n` values were overwritten before this
    /// receiver saw them (the next call continues with the oldest value kept);
    /// [`RecvError::Closed`] when every sender is dropped and no value is left.
    ///
    /// **Cancel-safe:** if the future is dropped before it completes, no value is lost for
    /// this receiver.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let (tx, mut rx) = anyrt::channel::broadcast::channel(4);
    ///     tx.send(5).unwrap();
    ///     assert_eq!(rx.recv().await, Ok(5));
    /// });
    /// ```
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        crate::coop::step_unless_tokio().await;
        self.inner.recv().await.map_err(RecvError::from_imp)
    }

    /// Receives the next value if there is one, without waiting.
    ///
    /// ```
    /// use anyrt::channel::broadcast::{channel, TryRecvError};
    ///
    /// let (tx, mut rx) = channel::<u8>(4);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.inner.try_recv().map_err(|e| match e {
            imp::error::TryRecvError::Empty => TryRecvError::Empty,
            imp::error::TryRecvError::Closed => TryRecvError::Closed,
            imp::error::TryRecvError::Lagged(n) => TryRecvError::Lagged(n),
        })
    }

    /// Receives the next value, blocking the thread while there is none.
    ///
    /// # Panics
    ///
    /// Inside async code anyrt can see (an anyrt task or `block_on`, a tokio runtime, an
    /// async-std task) (the message names `spawn_blocking`); use `recv().await` there.
    ///
    /// ```
    /// let (tx, mut rx) = anyrt::channel::broadcast::channel(4);
    /// std::thread::spawn(move || tx.send(1).unwrap());
    /// assert_eq!(rx.recv_blocking(), Ok(1));
    /// ```
    #[track_caller]
    pub fn recv_blocking(&mut self) -> Result<T, RecvError> {
        assert_can_block("anyrt::channel::broadcast::Receiver::recv_blocking");
        park_on(self.recv())
    }

    /// A new receiver of the same channel that gets every value sent from now on (not the
    /// ones this receiver has not yet seen).
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::broadcast::channel(4);
    /// let mut rx2 = rx.resubscribe();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx2.try_recv(), Ok(1));
    /// ```
    pub fn resubscribe(&self) -> Self {
        Receiver {
            inner: self.inner.resubscribe(),
        }
    }
}

impl<T> Receiver<T> {
    /// The number of values this receiver has not yet seen.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether this receiver has seen every value.
    ///
    /// ```
    /// let (_tx, rx) = anyrt::channel::broadcast::channel::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Whether every sender was dropped (values may be left to receive).
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::broadcast::channel::<u8>(4);
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// The error of [`Receiver::recv`].
///
/// ```
/// use anyrt::channel::broadcast::RecvError;
///
/// let e = RecvError::Lagged(3);
/// assert_eq!(e.missed(), Some(3));
/// assert!(e.to_string().contains("missed 3"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecvError {
    /// Every sender was dropped and no value is left: stop receiving.
    Closed,
    /// This receiver fell behind and missed this many values (they were overwritten). The
    /// channel is still open: the next `recv` gives the oldest value still kept.
    Lagged(u64),
}

impl RecvError {
    fn from_imp(e: imp::error::RecvError) -> Self {
        match e {
            imp::error::RecvError::Closed => RecvError::Closed,
            imp::error::RecvError::Lagged(n) => RecvError::Lagged(n),
        }
    }

    /// How many values were missed, for [`RecvError::Lagged`].
    ///
    /// ```
    /// assert_eq!(anyrt::channel::broadcast::RecvError::Closed.missed(), None);
    /// ```
    pub fn missed(&self) -> Option<u64> {
        match self {
            RecvError::Lagged(n) => Some(*n),
            RecvError::Closed => None,
        }
    }

    /// Whether the channel is closed and drained.
    ///
    /// ```
    /// assert!(anyrt::channel::broadcast::RecvError::Closed.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, RecvError::Closed)
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str(
                "receiving on a closed broadcast channel: every sender was dropped and no \
                 value is left; stop receiving",
            ),
            RecvError::Lagged(n) => write!(
                f,
                "broadcast receiver lagged behind and missed {n} value(s), overwritten before \
                 it read them; the channel is still open and the next recv gives the oldest \
                 value kept. Receive faster or create the channel with a larger capacity"
            ),
        }
    }
}

impl std::error::Error for RecvError {}

/// The error of [`Receiver::try_recv`].
///
/// ```
/// use anyrt::channel::broadcast::TryRecvError;
///
/// assert!(TryRecvError::Empty.is_empty());
/// assert_eq!(TryRecvError::Lagged(2).missed(), Some(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TryRecvError {
    /// No new value yet; the channel is open.
    Empty,
    /// Every sender was dropped and no value is left.
    Closed,
    /// This receiver missed this many values (see [`RecvError::Lagged`]).
    Lagged(u64),
}

impl TryRecvError {
    /// How many values were missed, for [`TryRecvError::Lagged`].
    ///
    /// ```
    /// assert_eq!(anyrt::channel::broadcast::TryRecvError::Empty.missed(), None);
    /// ```
    pub fn missed(&self) -> Option<u64> {
        match self {
            TryRecvError::Lagged(n) => Some(*n),
            _ => None,
        }
    }

    /// Whether there was no new value yet.
    ///
    /// ```
    /// assert!(anyrt::channel::broadcast::TryRecvError::Empty.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, TryRecvError::Empty)
    }

    /// Whether the channel is closed and drained.
    ///
    /// ```
    /// assert!(anyrt::channel::broadcast::TryRecvError::Closed.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TryRecvError::Closed)
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str(
                "receiving on an empty broadcast channel: no new value yet; retry later or \
                 use recv().await",
            ),
            TryRecvError::Closed => RecvError::Closed.fmt(f),
            TryRecvError::Lagged(n) => RecvError::Lagged(*n).fmt(f),
        }
    }
}

impl std::error::Error for TryRecvError {}
