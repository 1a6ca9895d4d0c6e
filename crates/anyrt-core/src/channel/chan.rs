//! The core of the [`bounded`](super::bounded) and [`unbounded`](super::unbounded) channels:
//! a lock-free queue of messages (a [`Ring`] when bounded, concurrent-queue's unbounded
//! queue otherwise) and three lists of waiting tasks, each behind a lock that is taken only
//! when someone waits.
//!
//! A task that waits (to receive, to send, for the close) takes a slot in a list kept inside
//! the channel ([`WaitList`]): a slab entry, reused by the next wait, so that waiting
//! allocates nothing once the lists have grown to the number of tasks that wait at once.
//! Waiters are woken oldest first, one per message or per free place; a waiter woken that
//! goes away without taking what it was woken for (its future dropped) passes its turn to
//! the next one. Wakers are woken and dropped only once the lock is released.
//!
//! Sending or receiving while nobody waits takes no lock: each list keeps the number of its
//! linked waiters in an atomic, read after a full fence by whoever made a message or a place
//! available. A waiter links itself, then fences, then looks at the queue again, so that
//! either it sees the message (or place) or the other side sees it waiting (the pattern of
//! event-listener, which async-channel uses).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use concurrent_queue::ConcurrentQueue;

use super::ring::{PopError, PushError, Ring};

/// The shared state of a channel.
pub(crate) struct Chan<T> {
    pub(crate) queue: Queue<T>,
    /// Receivers waiting for a message (or the close).
    pub(crate) recv: Waiters,
    /// Senders waiting for room (or the close); unused when unbounded.
    pub(crate) send: Waiters,
    /// `Sender::closed()` futures.
    pub(crate) close: Waiters,
    pub(crate) senders: AtomicUsize,
    pub(crate) receivers: AtomicUsize,
}

impl<T> Chan<T> {
    pub(crate) fn new(cap: Option<usize>) -> Chan<T> {
        Chan {
            queue: match cap {
                Some(cap) => Queue::Bounded(Ring::new(cap)),
                None => Queue::Unbounded(ConcurrentQueue::unbounded()),
            },
            recv: Waiters::new(),
            send: Waiters::new(),
            close: Waiters::new(),
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
        }
    }

    /// Closes the channel: `true` if this call closed it. Every waiter is woken.
    pub(crate) fn close(&self) -> bool {
        if !self.queue.close() {
            return false;
        }
        // After the close, under each list's lock: a waiter linked before is woken here; one
        // linking after finds the queue closed when it looks again.
        self.recv.notify_all();
        self.send.notify_all();
        self.close.notify_all();
        true
    }

    /// Wakes a waiting receiver, if any: after a message was pushed.
    #[inline]
    pub(crate) fn notify_receiver(&self) {
        self.recv.notify_one();
    }

    /// Wakes a waiting sender, if any: after a message was popped.
    #[inline]
    pub(crate) fn notify_sender(&self) {
        if self.queue.capacity().is_some() {
            self.send.notify_one();
        }
    }
}

/// A channel's messages: a [`Ring`] when bounded (which never waits for another thread),
/// concurrent-queue's list of blocks when unbounded.
pub(crate) enum Queue<T> {
    Bounded(Ring<T>),
    Unbounded(ConcurrentQueue<T>),
}

impl<T> Queue<T> {
    #[inline]
    pub(crate) fn push(&self, value: T) -> Result<(), PushError<T>> {
        match self {
            Queue::Bounded(q) => q.push(value),
            Queue::Unbounded(q) => q.push(value),
        }
    }

    #[inline]
    pub(crate) fn pop(&self) -> Result<T, PopError> {
        match self {
            Queue::Bounded(q) => q.pop(),
            Queue::Unbounded(q) => q.pop(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Queue::Bounded(q) => q.len(),
            Queue::Unbounded(q) => q.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Queue::Bounded(q) => q.is_empty(),
            Queue::Unbounded(q) => q.is_empty(),
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        match self {
            Queue::Bounded(q) => q.is_full(),
            Queue::Unbounded(_) => false,
        }
    }

    #[inline]
    pub(crate) fn capacity(&self) -> Option<usize> {
        match self {
            Queue::Bounded(q) => Some(q.capacity()),
            Queue::Unbounded(_) => None,
        }
    }

    fn close(&self) -> bool {
        match self {
            Queue::Bounded(q) => q.close(),
            Queue::Unbounded(q) => q.close(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Queue::Bounded(q) => q.is_closed(),
            Queue::Unbounded(q) => q.is_closed(),
        }
    }
}

/// A full memory fence: orders this thread's store (a message pushed, a waiter linked)
/// before its next load (the waiter count, the queue).
#[inline]
pub(crate) fn full_fence() {
    // On x86 a `lock`ed instruction on a local is a full barrier like `mfence`, and cheaper
    // (concurrent-queue's and event-listener's `full_fence`).
    #[cfg(target_arch = "x86_64")]
    {
        let mut local = 0_u64;
        // SAFETY: a locked read-modify-write of a local, changing nothing that is read.
        #[allow(unsafe_code)]
        unsafe {
            std::arch::asm!(
                "lock not qword ptr [{0}]",
                in(reg) &raw mut local,
                options(nostack, preserves_flags)
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    std::sync::atomic::fence(Ordering::SeqCst);
}

/// A [`WaitList`] behind a lock, with the number of its linked (not yet notified) waiters
/// readable without the lock.
pub(crate) struct Waiters {
    linked: AtomicUsize,
    list: Mutex<WaitList>,
}

impl Waiters {
    const fn new() -> Waiters {
        Waiters {
            linked: AtomicUsize::new(0),
            list: Mutex::new(WaitList::new()),
        }
    }

    #[inline]
    fn lock(&self) -> MutexGuard<'_, WaitList> {
        // Nothing panics while holding the lock (wakers are woken and dropped outside it),
        // so a poisoned lock still holds a consistent list.
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a waiter, or updates one registered before (`key`), then fences: the
    /// caller looks at the queue again before it returns `Pending`.
    pub(crate) fn register(&self, key: &mut Option<WaitKey>, waker: &Waker) {
        let mut list = self.lock();
        let (linked, old) = list.register(key, waker);
        if linked {
            self.linked.fetch_add(1, Ordering::SeqCst);
        }
        drop(list);
        drop(old);
        full_fence();
    }

    /// Removes a waiter, if registered: whether it had been notified (and so may owe its
    /// turn to another waiter).
    pub(crate) fn remove(&self, key: &mut Option<WaitKey>) -> bool {
        if key.is_none() {
            return false;
        }
        let mut list = self.lock();
        let (notified, old) = list.remove(key);
        if old.is_some() {
            self.linked.fetch_sub(1, Ordering::Relaxed);
        }
        drop(list);
        drop(old);
        notified
    }

    /// Wakes the oldest linked waiter, if any. Call after making a message or a place
    /// available; cheap (a fence and a load) when nobody waits.
    #[inline]
    pub(crate) fn notify_one(&self) {
        full_fence();
        if self.linked.load(Ordering::Relaxed) == 0 {
            return;
        }
        self.notify_one_slow();
    }

    #[cold]
    fn notify_one_slow(&self) {
        let mut list = self.lock();
        let w = list.notify_one();
        if w.is_some() {
            self.linked.fetch_sub(1, Ordering::Relaxed);
        }
        drop(list);
        if let Some(w) = w {
            w.wake();
        }
    }

    /// Wakes every linked waiter.
    fn notify_all(&self) {
        let mut wakers = Vec::new();
        let mut list = self.lock();
        while let Some(w) = list.notify_one() {
            wakers.push(w);
        }
        self.linked.store(0, Ordering::Relaxed);
        drop(list);
        for w in wakers {
            w.wake();
        }
    }
}

/// An index of [`WaitList`]'s slab; `NONE` for none.
pub(crate) type WaitKey = u32;
type Key = WaitKey;
const NONE: Key = Key::MAX;

struct Entry {
    /// `None` once notified (the waker was taken to be woken).
    waker: Option<Waker>,
    prev: Key,
    next: Key,
}

/// Waiting tasks, oldest first: a doubly linked list inside a slab (a freed entry is reused
/// by the next registration). A notified entry leaves the list but keeps its slot until its
/// future sees it (then it registers again or goes away).
struct WaitList {
    entries: Vec<Entry>,
    free: Vec<Key>,
    head: Key,
    tail: Key,
}

impl WaitList {
    const fn new() -> WaitList {
        WaitList {
            entries: Vec::new(),
            free: Vec::new(),
            head: NONE,
            tail: NONE,
        }
    }

    /// Registers a waiter (or updates one, with `key` kept from its last registration):
    /// linked at the end if it is new or was notified; its waker replaced if it changed.
    /// The waker it replaced is returned, to be dropped once the lock is released (dropping
    /// a waker may drop a task, whose future may hold a half of this channel).
    /// Whether it was linked now (not before), and the waker it replaced.
    #[must_use = "count the link; drop the old waker after unlocking"]
    fn register(&mut self, key: &mut Option<Key>, waker: &Waker) -> (bool, Option<Waker>) {
        if let Some(k) = *key {
            let e = &mut self.entries[k as usize];
            match &mut e.waker {
                Some(w) => {
                    if w.will_wake(waker) {
                        return (false, None);
                    }
                    return (false, Some(std::mem::replace(w, waker.clone())));
                }
                None => {
                    e.waker = Some(waker.clone());
                    self.link(k);
                    return (true, None);
                }
            }
        }
        let entry = Entry {
            waker: Some(waker.clone()),
            prev: NONE,
            next: NONE,
        };
        let k = match self.free.pop() {
            Some(k) => {
                self.entries[k as usize] = entry;
                k
            }
            None => {
                let k = Key::try_from(self.entries.len())
                    .ok()
                    .filter(|&k| k != NONE)
                    .expect("anyrt channel: more than 4 billion tasks waiting at once");
                self.entries.push(entry);
                k
            }
        };
        self.link(k);
        *key = Some(k);
        (true, None)
    }

    /// Removes a waiter (if registered): whether it had been notified (and so may owe its
    /// turn to another waiter), and its waker, to be dropped once the lock is released.
    #[must_use = "pass the turn on if notified; drop the waker after unlocking"]
    fn remove(&mut self, key: &mut Option<Key>) -> (bool, Option<Waker>) {
        let Some(k) = key.take() else {
            return (false, None);
        };
        let waker = self.entries[k as usize].waker.take();
        if waker.is_some() {
            self.unlink(k);
        }
        self.free.push(k);
        (waker.is_none(), waker)
    }

    /// Takes the oldest waiter's waker, leaving its entry notified.
    fn notify_one(&mut self) -> Option<Waker> {
        let k = self.head;
        if k == NONE {
            return None;
        }
        self.unlink(k);
        self.entries[k as usize].waker.take()
    }

    fn link(&mut self, k: Key) {
        let tail = self.tail;
        {
            let e = &mut self.entries[k as usize];
            e.prev = tail;
            e.next = NONE;
        }
        if tail == NONE {
            self.head = k;
        } else {
            self.entries[tail as usize].next = k;
        }
        self.tail = k;
    }

    fn unlink(&mut self, k: Key) {
        let (prev, next) = {
            let e = &self.entries[k as usize];
            (e.prev, e.next)
        };
        if prev == NONE {
            self.head = next;
        } else {
            self.entries[prev as usize].next = next;
        }
        if next == NONE {
            self.tail = prev;
        } else {
            self.entries[next as usize].prev = prev;
        }
    }
}
