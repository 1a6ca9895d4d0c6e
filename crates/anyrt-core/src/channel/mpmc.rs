//! [`bounded`] and [`unbounded`] multi-producer multi-consumer channels, on anyrt's own
//! core ([`chan`](super::chan)): a lock-free queue and lists of waiting tasks that a wait
//! takes a reusable slot in, so that a wait allocates nothing.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::stream::{FusedStream, Stream};

use super::chan::{Chan, WaitKey};
use super::error::{RecvError, SendError, TryRecvError, TrySendError};
use super::ring::{PopError, PushError};
use super::{assert_can_block, park_on};
use crate::coop;
use crate::loom::sync::atomic::Ordering;
use crate::loom::sync::Arc;

/// Creates a channel that holds at most `cap` messages: `send().await` waits while it is
/// full, which pushes back on fast producers.
///
/// Both halves can be cloned: every message goes to exactly one of the receivers.
///
/// # Panics
///
/// If `cap` is 0. anyrt has no rendezvous channel (a `send` that completes only when a
/// receiver takes the message cannot also promise that a dropped `send` never delivers):
/// use `bounded(1)` for the smallest buffer, or a [`oneshot`](super::oneshot) reply to learn
/// when a message was handled.
///
/// ```
/// anyrt::block_on(async {
///     use anyrt::channel::bounded;
///
///     let (tx, rx) = bounded(2);
///     tx.send(1).await.unwrap();
///     tx.send(2).await.unwrap();
///     assert!(tx.try_send(3).unwrap_err().is_full());
///     assert_eq!(rx.recv().await, Ok(1));
/// });
/// ```
#[track_caller]
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        cap > 0,
        "anyrt::channel::bounded(0): the capacity must be at least 1. anyrt has no rendezvous \
         channel; use bounded(1) for the smallest buffer, or send a oneshot::Sender along \
         with the message to learn when it was handled"
    );
    channel(Some(cap))
}

/// Creates a channel with no limit on the number of messages it holds: `send` never waits.
///
/// Prefer [`bounded`] unless the producer is known to be slower than the consumer: an
/// unbounded channel turns a slow consumer into unbounded memory use.
///
/// ```
/// use anyrt::channel::unbounded;
///
/// let (tx, rx) = unbounded();
/// for i in 0..1000 {
///     tx.try_send(i).unwrap(); // never full
/// }
/// assert_eq!(rx.len(), 1000);
/// assert_eq!(rx.capacity(), None);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    channel(None)
}

fn channel<T>(cap: Option<usize>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(cap));
    (
        Sender { chan: chan.clone() },
        Receiver { chan, stream: None },
    )
}

/// The sending half of a [`bounded`] or [`unbounded`] channel. Clone it for more producers.
///
/// The channel closes when every `Sender` is dropped (receivers then drain what is left and
/// get [`RecvError`]), or when [`close`](Self::close) is called on either half.
///
/// ```
/// anyrt::block_on(async {
///     let (tx, rx) = anyrt::channel::unbounded();
///     let tx2 = tx.clone();
///     tx.send("a").await.unwrap();
///     tx2.send("b").await.unwrap();
///     assert_eq!(rx.recv().await, Ok("a"));
///     assert_eq!(rx.recv().await, Ok("b"));
/// });
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends a message, waiting while the channel is full.
    ///
    /// Returns [`SendError`] (with the message) if the channel is closed.
    ///
    /// **Cancel-safe:** if the future is dropped before it completes, the message was not
    /// sent and never will be: it is dropped with the future. The message enters the channel
    /// only in the poll that returns `Ready(Ok(()))`. On tokio, each poll takes part in the
    /// task's co-op budget.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let (tx, rx) = anyrt::channel::bounded(1);
    ///     tx.send(1).await.unwrap();
    ///     drop(rx);
    ///     assert_eq!(tx.send(2).await.unwrap_err().into_inner(), 2);
    /// });
    /// ```
    pub fn send(&self, msg: T) -> SendFuture<'_, T> {
        SendFuture {
            sender: self,
            msg: Some(msg),
            key: None,
            budgeted: false,
        }
    }

    /// Sends a message if there is room right now, without waiting.
    ///
    /// ```
    /// use anyrt::channel::bounded;
    ///
    /// let (tx, rx) = bounded(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// rx.close();
    /// assert!(tx.try_send(3).unwrap_err().is_closed());
    /// ```
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        match self.chan.queue.push(msg) {
            Ok(()) => {
                self.chan.after_push();
                Ok(())
            }
            Err(PushError::Full(msg) | PushError::Busy(msg)) => Err(TrySendError::Full(msg)),
            Err(PushError::Closed(msg)) => Err(TrySendError::Closed(msg)),
        }
    }

    /// Sends a message, blocking the thread while the channel is full: the bridge from
    /// synchronous code (a plain thread, or a closure in `anyrt::spawn_blocking`) to async
    /// consumers.
    ///
    /// # Panics
    ///
    /// Inside async code anyrt can see (an anyrt task or `block_on`, a tokio runtime, an
    /// async-std task), where blocking would stall the runtime or deadlock: the message names
    /// `spawn_blocking`. Use `send().await` there. In a runtime anyrt cannot see (a foreign
    /// executor), this cannot be checked.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::bounded(1);
    /// let t = std::thread::spawn(move || {
    ///     for i in 0..3 {
    ///         tx.send_blocking(i).unwrap();
    ///     }
    /// });
    /// let got: Vec<i32> = (0..3).map(|_| rx.recv_blocking().unwrap()).collect();
    /// assert_eq!(got, [0, 1, 2]);
    /// t.join().unwrap();
    /// ```
    #[track_caller]
    pub fn send_blocking(&self, msg: T) -> Result<(), SendError<T>> {
        assert_can_block("anyrt::channel::Sender::send_blocking");
        park_on(self.send(msg))
    }

    /// Closes the channel; returns `true` if this call closed it, `false` if it was closed
    /// already.
    ///
    /// Sends then fail; receivers still get the messages already in the channel, then
    /// [`RecvError`]. Pending `send` and `recv` futures wake up.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::unbounded();
    /// tx.try_send(1).unwrap();
    /// assert!(tx.close());
    /// assert!(!tx.close());
    /// assert!(tx.is_closed());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert!(rx.try_recv().unwrap_err().is_closed());
    /// ```
    pub fn close(&self) -> bool {
        self.chan.close()
    }

    /// Whether the channel is closed (by [`close`](Self::close) or because every receiver
    /// was dropped).
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::bounded::<u8>(1);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.queue.is_closed()
    }

    /// The number of messages in the channel.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::bounded(4);
    /// tx.try_send(()).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.queue.len()
    }

    /// Whether the channel holds no message.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::bounded::<u8>(4);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.queue.is_empty()
    }

    /// Whether the channel is full (never, for an unbounded channel).
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::bounded(1);
    /// tx.try_send(()).unwrap();
    /// assert!(tx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.chan.queue.is_full()
    }

    /// The capacity: `Some(cap)` for [`bounded`], `None` for [`unbounded`].
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::bounded::<u8>(8);
    /// assert_eq!(tx.capacity(), Some(8));
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.chan.queue.capacity()
    }

    /// The number of live [`Receiver`]s.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::bounded::<u8>(1);
    /// let _rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.chan.receivers.load(Ordering::Relaxed)
    }

    /// The number of live `Sender`s.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::bounded::<u8>(1);
    /// assert_eq!(tx.sender_count(), 1);
    /// ```
    pub fn sender_count(&self) -> usize {
        self.chan.senders.load(Ordering::Relaxed)
    }

    /// Whether `self` and `other` send into the same channel.
    ///
    /// ```
    /// let (tx, _rx) = anyrt::channel::bounded::<u8>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// Waits until the channel is closed (every receiver dropped, or `close()` called).
    ///
    /// **Cancel-safe:** dropping the future has no effect on the channel.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let (tx, rx) = anyrt::channel::bounded::<u8>(1);
    ///     drop(rx);
    ///     tx.closed().await;
    /// });
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        Closed {
            sender: self,
            key: None,
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.chan.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.close();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("is_closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// The receiving half of a [`bounded`] or [`unbounded`] channel. Clone it for more
/// consumers: each message goes to exactly one receiver.
///
/// `Receiver` is a [`Stream`] of messages that ends when the channel is closed and empty.
///
/// # A receive left waiting
///
/// A [`recv`](Self::recv) future that returned `Pending`, or a `Receiver` whose
/// [`poll_next`](Stream::poll_next) did, keeps its place among the waiting receivers until it
/// is polled again or dropped (the stream's place: until the `Receiver` is dropped). A
/// message's wake-up can go to it, the oldest waiter first. Polled again, it takes the
/// message or hands the wake-up on; dropped, it hands it on. Kept but never polled again,
/// it holds that wake-up, and another receiver of the channel may sleep while the message
/// waits: a pending future is a promise to poll it again (tokio's and async-channel's
/// receivers hold their wake-up the same way). So drop a receive you stopped polling: a
/// `select!` loop that recreates `rx.recv()` each time does; a stream kept in a struct and
/// no longer polled should be dropped or polled to its end.
///
/// ```
/// anyrt::block_on(async {
///     use futures_lite::StreamExt;
///
///     let (tx, mut rx) = anyrt::channel::unbounded();
///     tx.send(1).await.unwrap();
///     tx.send(2).await.unwrap();
///     assert_eq!(rx.next().await, Some(1)); // no pinning needed: Receiver is Unpin
///     drop(tx);
///     let rest: Vec<i32> = rx.collect().await;
///     assert_eq!(rest, [2]);
/// });
/// ```
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
    /// The receiver's place among the waiting receivers, as a `Stream`.
    stream: Option<WaitKey>,
}

impl<T> Receiver<T> {
    /// Receives a message, waiting while the channel is empty.
    ///
    /// Returns [`RecvError`] once the channel is closed and empty.
    ///
    /// **Cancel-safe:** if the future is dropped before it completes (the losing arm of a
    /// `select!`, a timeout), no message is lost: a message leaves the channel only in the
    /// poll that returns it, and a wake-up meant for the dropped future passes on to another
    /// waiting receiver. On tokio, each poll takes part in the task's co-op budget, so a busy
    /// receive loop yields to other tasks.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let (tx, rx) = anyrt::channel::bounded(1);
    ///     tx.send("hi").await.unwrap();
    ///     assert_eq!(rx.recv().await, Ok("hi"));
    ///     drop(tx);
    ///     assert!(rx.recv().await.is_err());
    /// });
    /// ```
    pub fn recv(&self) -> RecvFuture<'_, T> {
        RecvFuture {
            receiver: self,
            key: None,
            budgeted: false,
        }
    }

    /// Receives a message if one is there right now, without waiting.
    ///
    /// ```
    /// use anyrt::channel::{bounded, TryRecvError};
    ///
    /// let (tx, rx) = bounded(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(7).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(7));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.chan.queue.pop() {
            Ok(v) => {
                self.chan.after_pop(false);
                Ok(v)
            }
            Err(PopError::Empty | PopError::Busy) => Err(TryRecvError::Empty),
            Err(PopError::Closed) => Err(TryRecvError::Closed),
        }
    }

    /// Receives a message, blocking the thread while the channel is empty: the bridge from
    /// async producers to synchronous code (a plain thread, or a closure in
    /// `anyrt::spawn_blocking`).
    ///
    /// # Panics
    ///
    /// Inside async code anyrt can see (an anyrt task or `block_on`, a tokio runtime, an
    /// async-std task), where blocking would stall the runtime or deadlock: the message names
    /// `spawn_blocking`. Use `recv().await` there. In a runtime anyrt cannot see (a foreign
    /// executor), this cannot be checked.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::unbounded();
    /// std::thread::spawn(move || tx.send_blocking(42).unwrap());
    /// assert_eq!(rx.recv_blocking(), Ok(42));
    /// ```
    #[track_caller]
    pub fn recv_blocking(&self) -> Result<T, RecvError> {
        assert_can_block("anyrt::channel::Receiver::recv_blocking");
        park_on(self.recv())
    }

    /// Closes the channel; returns `true` if this call closed it, `false` if it was closed
    /// already. Messages already in the channel can still be received.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::bounded(1);
    /// tx.try_send(1).unwrap();
    /// assert!(rx.close());
    /// assert!(tx.try_send(2).unwrap_err().is_closed());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn close(&self) -> bool {
        self.chan.close()
    }

    /// Whether the channel is closed (by `close()` or because every sender was dropped).
    /// Messages may still be left in it.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::bounded::<u8>(1);
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.queue.is_closed()
    }

    /// The number of messages in the channel.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::bounded(4);
    /// tx.try_send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.queue.len()
    }

    /// Whether the channel holds no message.
    ///
    /// ```
    /// let (_tx, rx) = anyrt::channel::bounded::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.queue.is_empty()
    }

    /// Whether the channel is full (never, for an unbounded channel).
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::bounded(1);
    /// tx.try_send(()).unwrap();
    /// assert!(rx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.chan.queue.is_full()
    }

    /// The capacity: `Some(cap)` for [`bounded`], `None` for [`unbounded`].
    ///
    /// ```
    /// let (_tx, rx) = anyrt::channel::unbounded::<u8>();
    /// assert_eq!(rx.capacity(), None);
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.chan.queue.capacity()
    }

    /// The number of live `Receiver`s.
    ///
    /// ```
    /// let (_tx, rx) = anyrt::channel::bounded::<u8>(1);
    /// assert_eq!(rx.receiver_count(), 1);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.chan.receivers.load(Ordering::Relaxed)
    }

    /// The number of live [`Sender`]s.
    ///
    /// ```
    /// let (tx, rx) = anyrt::channel::bounded::<u8>(1);
    /// let _tx2 = tx.clone();
    /// assert_eq!(rx.sender_count(), 2);
    /// ```
    pub fn sender_count(&self) -> usize {
        self.chan.senders.load(Ordering::Relaxed)
    }

    /// Whether `self` and `other` receive from the same channel.
    ///
    /// ```
    /// let (_tx, rx) = anyrt::channel::bounded::<u8>(1);
    /// assert!(rx.same_channel(&rx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

/// A waiter (linked already) found the slot it needs half-way through another thread's push
/// or pop: that thread's check for waiters, once it is done, is not ordered after its last
/// store to the slot (see `chan.rs`), so the task is polled again after the runtime's other
/// ready tasks rather than left waiting for it. Rare: the window is a few instructions,
/// unless that thread is preempted inside it.
#[cold]
fn retry_behind_busy_slot(cx: &mut Context<'_>) {
    // loom would explore a retry without bound for ever (a load may read the old stamp
    // every time). There each thread retries twice, then waits for the thread in the slot
    // to wake it, which the fence kept under loom guarantees (`linked_after_claim`): the
    // models check both paths.
    #[cfg(loom)]
    {
        loom::thread_local! {
            static RETRIES: std::cell::Cell<u8> = std::cell::Cell::new(0);
        }
        if RETRIES.with(|r| r.replace(r.get().saturating_add(1))) >= 2 {
            return;
        }
        loom::thread::yield_now();
    }
    coop::defer(cx);
}

impl<T> Receiver<T> {
    /// One receive attempt for the future or stream registered at `key`: `None` once the
    /// channel is closed and empty.
    #[inline]
    fn poll_recv(&self, key: &mut Option<WaitKey>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let chan = &*self.chan;
        // A notification that woke this poll is used by it.
        chan.recv.consume(key);
        let mut registered = false;
        loop {
            match chan.queue.pop() {
                Ok(v) => {
                    #[cfg(all(test, not(loom)))]
                    super::pause::point("recv: taken");
                    // Notified meanwhile (for another message): passed on by `after_pop`.
                    let notified = chan.recv.remove(key);
                    chan.after_pop(notified);
                    return Poll::Ready(Some(v));
                }
                Err(PopError::Closed) => {
                    chan.recv.remove(key);
                    chan.closed_for_receivers();
                    return Poll::Ready(None);
                }
                Err(PopError::Empty) if registered => return Poll::Pending,
                Err(PopError::Busy) if registered => {
                    retry_behind_busy_slot(cx);
                    return Poll::Pending;
                }
                Err(PopError::Empty | PopError::Busy) => {
                    // Linked, then a second look: a message pushed meanwhile is seen here,
                    // or its sender sees this receiver waiting. A slot still being pushed:
                    // polled again soon (its sender may not see this receiver).
                    #[cfg(all(test, not(loom)))]
                    super::pause::point("recv: before register");
                    chan.recv.register(key, cx.waker());
                    registered = true;
                }
            }
        }
    }

    /// Takes a receiver's registration out; if it had been woken for a message it did not
    /// take, the next waiting receiver gets its turn.
    #[inline(never)]
    fn unregister(&self, key: &mut Option<WaitKey>) {
        let chan = &*self.chan;
        if chan.recv.remove(key) {
            chan.pass_on_to_receiver();
        }
    }
}

#[cfg(all(test, not(loom)))]
impl<T> Sender<T> {
    pub(crate) fn chan(&self) -> &Chan<T> {
        &self.chan
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.receivers.fetch_add(1, Ordering::Relaxed);
        Receiver {
            chan: self.chan.clone(),
            stream: None,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut key = self.stream.take();
        self.unregister(&mut key);
        if self.chan.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.close();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("is_closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// Cancel-safe like [`Receiver::recv`]: a message leaves the channel only in the poll that
/// returns it. Ends (`None`) when the channel is closed and empty.
impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        ready!(coop::poll_proceed(cx));
        let this = &mut *self;
        let mut key = this.stream.take();
        let out = this.poll_recv(&mut key, cx);
        this.stream = key;
        out
    }
}

impl<T> FusedStream for Receiver<T> {
    fn is_terminated(&self) -> bool {
        self.chan.queue.is_closed() && self.chan.queue.is_empty()
    }
}

/// The future of [`Sender::send`]. Cancel-safe: dropped before it completes, its message
/// is dropped with it and never delivered.
///
/// ```
/// anyrt::block_on(async {
///     let (tx, _rx) = anyrt::channel::bounded(1);
///     let fut: anyrt::channel::SendFuture<'_, u8> = tx.send(1);
///     fut.await.unwrap();
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct SendFuture<'a, T> {
    sender: &'a Sender<T>,
    /// `None` once sent (or given back).
    msg: Option<T>,
    /// Its place among the waiting senders.
    key: Option<WaitKey>,
    // Whether this future already took its unit of the co-op budget (see `poll`).
    budgeted: bool,
}

// The message is never pinned: it is moved into the queue.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        ready!(coop::poll_proceed_once(&mut this.budgeted, cx));
        let chan = &*this.sender.chan;
        let mut msg = this.msg.take().expect("SendFuture polled after completion");
        // A notification that woke this poll is used by it.
        chan.send.consume(&mut this.key);
        let mut registered = false;
        loop {
            match chan.queue.push(msg) {
                Ok(()) => {
                    // Notified meanwhile (for other room): `after_push` wakes the next
                    // waiting sender while room is left.
                    chan.send.remove(&mut this.key);
                    chan.after_push();
                    return Poll::Ready(Ok(()));
                }
                Err(PushError::Closed(m)) => {
                    chan.send.remove(&mut this.key);
                    return Poll::Ready(Err(SendError(m)));
                }
                Err(PushError::Full(m)) if registered => {
                    this.msg = Some(m);
                    return Poll::Pending;
                }
                Err(PushError::Busy(m)) if registered => {
                    this.msg = Some(m);
                    retry_behind_busy_slot(cx);
                    return Poll::Pending;
                }
                Err(e @ (PushError::Full(_) | PushError::Busy(_))) => {
                    // Linked, then a second try: room made meanwhile is seen here, or its
                    // receiver sees this sender waiting. A slot still being popped: polled
                    // again soon (its receiver may not see this sender).
                    msg = e.into_inner();
                    chan.send.register(&mut this.key, cx.waker());
                    registered = true;
                }
            }
        }
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        if self.key.is_none() {
            return;
        }
        let chan = &*self.sender.chan;
        // Woken for room it did not take: the next waiting sender gets its turn.
        if chan.send.remove(&mut self.key) {
            chan.pass_on_to_sender();
        }
        // The message, if not sent, is dropped after this.
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture").finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv`]. Cancel-safe: dropped before it completes, no message
/// is lost.
///
/// ```
/// anyrt::block_on(async {
///     let (tx, rx) = anyrt::channel::bounded(1);
///     tx.send(1).await.unwrap();
///     let fut: anyrt::channel::RecvFuture<'_, u8> = rx.recv();
///     assert_eq!(fut.await, Ok(1));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RecvFuture<'a, T> {
    receiver: &'a Receiver<T>,
    /// Its place among the waiting receivers.
    key: Option<WaitKey>,
    // Whether this future already took its unit of the co-op budget (see `poll`).
    budgeted: bool,
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        ready!(coop::poll_proceed_once(&mut this.budgeted, cx));
        match this.receiver.poll_recv(&mut this.key, cx) {
            Poll::Ready(Some(v)) => Poll::Ready(Ok(v)),
            Poll::Ready(None) => Poll::Ready(Err(RecvError)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // A test where the receive never waited (or used its wake-up): the common drop.
        if self.key.is_some() {
            self.receiver.unregister(&mut self.key);
        }
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture").finish_non_exhaustive()
    }
}

/// The future of [`Sender::closed`]. Cancel-safe.
///
/// ```
/// anyrt::block_on(async {
///     let (tx, rx) = anyrt::channel::bounded::<u8>(1);
///     rx.close();
///     let fut: anyrt::channel::Closed<'_, u8> = tx.closed();
///     fut.await;
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Closed<'a, T> {
    sender: &'a Sender<T>,
    key: Option<WaitKey>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let chan = &*this.sender.chan;
        if !chan.queue.is_closed() {
            chan.close.register(&mut this.key, cx.waker());
            if !chan.queue.is_closed() {
                return Poll::Pending;
            }
        }
        chan.close.remove(&mut this.key);
        Poll::Ready(())
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        self.sender.chan.close.remove(&mut self.key);
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed").finish_non_exhaustive()
    }
}
