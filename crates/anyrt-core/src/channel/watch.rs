//! A channel that holds one value, the latest: receivers see the current value and can wait
//! for it to change. Intermediate values may be skipped; the latest is never missed.
//!
//! Built on `tokio::sync::watch` (only tokio's `sync` feature: no runtime), which works
//! under every executor and from plain threads.
//!
//! ```
//! anyrt::block_on(async {
//!     let (tx, mut rx) = anyrt::channel::watch::channel("starting");
//!     tx.send("ready").unwrap();
//!     rx.changed().await.unwrap();
//!     assert_eq!(*rx.borrow_and_update(), "ready");
//! });
//! ```

use std::fmt;
use std::ops::Deref;

use tokio::sync::watch as imp;

use super::{RecvError, SendError};

/// Creates a watch channel holding `init`.
///
/// ```
/// let (tx, rx) = anyrt::channel::watch::channel(0);
/// tx.send(1).unwrap();
/// assert_eq!(*rx.borrow(), 1);
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = imp::channel(init);
    (Sender { inner: tx }, Receiver { inner: rx })
}

/// The sending half of a watch [`channel`]. Clone it for more producers.
///
/// ```
/// let (tx, rx) = anyrt::channel::watch::channel(0);
/// tx.send_modify(|v| *v += 1);
/// assert_eq!(*rx.borrow(), 1);
/// ```
pub struct Sender<T> {
    inner: imp::Sender<T>,
}

impl<T> Sender<T> {
    /// Replaces the value and notifies the receivers.
    ///
    /// Fails when there is no receiver: the value is then **not** stored and is handed back
    /// (use [`send_replace`](Self::send_replace) to store it regardless).
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::watch::channel(0);
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().into_inner(), 2);
    /// assert_eq!(*tx.borrow(), 1);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.inner.send(value).map_err(|e| SendError(e.0))
    }

    /// Replaces the value (whether or not there are receivers), notifies the receivers, and
    /// returns the previous value.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::watch::channel(0);
    /// assert_eq!(tx.send_replace(1), 0);
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        self.inner.send_replace(value)
    }

    /// Modifies the value in place (whether or not there are receivers) and notifies the
    /// receivers.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify<F: FnOnce(&mut T)>(&self, modify: F) {
        self.inner.send_modify(modify)
    }

    /// Modifies the value in place; notifies the receivers only if `modify` returns `true`.
    /// Returns what `modify` returned.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::watch::channel(0);
    /// assert!(!tx.send_if_modified(|_| false));
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn send_if_modified<F: FnOnce(&mut T) -> bool>(&self, modify: F) -> bool {
        self.inner.send_if_modified(modify)
    }

    /// Borrows the current value. Hold the [`Ref`] briefly: it blocks senders while held.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::watch::channel(3);
    /// assert_eq!(*tx.borrow(), 3);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            inner: self.inner.borrow(),
        }
    }

    /// A new receiver; it counts the current value as seen.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::watch::channel(0);
    /// let rx2 = tx.subscribe();
    /// assert!(!rx2.has_changed().unwrap());
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        Receiver {
            inner: self.inner.subscribe(),
        }
    }

    /// The number of live receivers.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::watch::channel(0);
    /// assert_eq!(tx.receiver_count(), 1);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.inner.receiver_count()
    }

    /// Whether every receiver was dropped.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::watch::channel(0);
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Waits until every receiver is dropped.
    ///
    /// **Cancel-safe:** dropping the future has no effect on the channel.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let (tx, rx) = anyrt::channel::watch::channel(0);
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

/// The receiving half of a watch [`channel`]. Clone it for more consumers; each clone keeps
/// its own record of which value it has seen.
///
/// ```
/// let (tx, rx) = anyrt::channel::watch::channel(0);
/// let rx2 = rx.clone();
/// tx.send(1).unwrap();
/// assert!(rx.has_changed().unwrap() && rx2.has_changed().unwrap());
/// ```
pub struct Receiver<T> {
    inner: imp::Receiver<T>,
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen. Hold the [`Ref`] briefly: it
    /// blocks senders while held.
    ///
    /// ```
    /// let (_tx, rx) = anyrt::channel::watch::channel("a");
    /// assert_eq!(*rx.borrow(), "a");
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            inner: self.inner.borrow(),
        }
    }

    /// Borrows the current value and marks it seen.
    ///
    /// ```
    /// let (tx, mut rx) = anyrt::channel::watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 1);
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        Ref {
            inner: self.inner.borrow_and_update(),
        }
    }

    /// Whether a value not yet seen is there. [`RecvError`] once every sender is dropped.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::watch::channel(0);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// drop(tx);
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        self.inner.has_changed().map_err(|_| RecvError)
    }

    /// Marks the current value as not seen, so the next [`changed`](Self::changed) returns
    /// at once.
    ///
    /// ```
    /// let (_tx, mut rx) = anyrt::channel::watch::channel(0);
    /// rx.mark_changed();
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// ```
    pub fn mark_changed(&mut self) {
        self.inner.mark_changed()
    }

    /// Marks the current value as seen.
    ///
    /// ```
    /// let (tx, mut rx) = anyrt::channel::watch::channel(0);
    /// tx.send(1).unwrap();
    /// rx.mark_unchanged();
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// ```
    pub fn mark_unchanged(&mut self) {
        self.inner.mark_unchanged()
    }

    /// Waits for a value not yet seen, and marks it seen. Returns at once if there is one
    /// already; [`RecvError`] when every sender is dropped (and there is no unseen value).
    ///
    /// **Cancel-safe:** dropping the future before it completes leaves the receiver as it
    /// was: the change is still reported by the next call.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let (tx, mut rx) = anyrt::channel::watch::channel(0);
    ///     std::thread::spawn(move || tx.send(1).unwrap());
    ///     rx.changed().await.unwrap();
    ///     assert_eq!(*rx.borrow(), 1);
    /// });
    /// ```
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        crate::coop::step_unless_tokio().await;
        self.inner.changed().await.map_err(|_| RecvError)
    }

    /// Waits until the value satisfies `f` (checking the current value first), marks it
    /// seen and returns it. [`RecvError`] if every sender is dropped first.
    ///
    /// **Cancel-safe:** dropping the future has no effect beyond marking seen the values it
    /// already checked.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let (tx, mut rx) = anyrt::channel::watch::channel(0);
    ///     std::thread::spawn(move || {
    ///         for i in 1..=5 {
    ///             tx.send(i).unwrap();
    ///         }
    ///     });
    ///     let v = rx.wait_for(|v| *v >= 5).await.unwrap();
    ///     assert_eq!(*v, 5);
    /// });
    /// ```
    pub async fn wait_for(&mut self, f: impl FnMut(&T) -> bool) -> Result<Ref<'_, T>, RecvError> {
        match self.inner.wait_for(f).await {
            Ok(inner) => Ok(Ref { inner }),
            Err(_) => Err(RecvError),
        }
    }

    /// Whether `self` and `other` watch the same channel.
    ///
    /// ```
    /// let (_tx, rx) = anyrt::channel::watch::channel(0);
    /// assert!(rx.same_channel(&rx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        self.inner.same_channel(&other.inner)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Receiver {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

/// A borrow of a watch channel's value. It holds a read lock: keep it short, and never hold
/// it across an `.await`.
///
/// ```
/// let (_tx, rx) = anyrt::channel::watch::channel(String::from("x"));
/// let r: anyrt::channel::watch::Ref<'_, String> = rx.borrow();
/// assert_eq!(r.len(), 1);
/// ```
pub struct Ref<'a, T> {
    inner: imp::Ref<'a, T>,
}

impl<T> Ref<'_, T> {
    /// Whether this value had not been seen by the receiver when it was borrowed (always
    /// `false` for [`Receiver::borrow`] after a `borrow_and_update`).
    ///
    /// ```
    /// let (tx, mut rx) = anyrt::channel::watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert!(rx.borrow_and_update().has_changed());
    /// ```
    pub fn has_changed(&self) -> bool {
        self.inner.has_changed()
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
