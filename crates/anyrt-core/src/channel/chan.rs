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
//! the next one, and so does one notified while it took something else. Where a push or a
//! pop announces nothing (behind a slot that another thread is half-way through), each
//! waiter that takes a message or a place wakes the next one while any is left
//! ([`Chan::after_pop`]): no message waits in the channel while a receiver sleeps, and no
//! room while a sender does. Wakers are woken and dropped only once the lock is released. The notifier
//! frees the slot of the waiter it wakes; each slot's generation, readable without the lock
//! ([`Waiters`]), tells the woken future so, so that it does not lock the list again.
//!
//! Sending or receiving while nobody waits takes no lock: each list keeps the number of its
//! linked waiters in an atomic. A waiter links itself, then fences, then looks at the queue
//! again, so that either it sees the message (or place) or the other side sees it waiting
//! (the pattern of event-listener, which async-channel uses). The other side needs no fence
//! of its own for that ([`Waiters::linked_after_claim`]): the `SeqCst` read-modify-write
//! that claimed its slot (the queue's head or tail moved) orders its `SeqCst` load of the
//! count, and the waiter's second look reads that head or tail. A bounded push or pop costs
//! one locked instruction, not two (the unbounded push keeps its fence: see
//! [`Chan::after_push`]).
//!
//! What that read does not order is the slot's last store (its stamp: written, or freed),
//! so a waiter that finds a slot half-way through another thread's push or pop
//! ([`Busy`](PopError::Busy)) is not sure to be seen by that thread once it is done: it is
//! polled again after the runtime's other ready tasks instead ([`coop::defer`]), where
//! concurrent-queue spins the thread. The window is the few instructions between a claim
//! and its stamp, unless that thread is preempted there.
//!
//! [`coop::defer`]: crate::coop

use std::sync::PoisonError;
use std::task::Waker;

use concurrent_queue::ConcurrentQueue;

use super::ring::{PopError, PushError, Ring};
use crate::loom::full_fence;
use crate::loom::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use crate::loom::sync::{Mutex, MutexGuard};

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
        // linking after finds the queue closed when it looks again, or (a receiver) a slot
        // still being pushed, and polls again until that push is done.
        self.recv.notify_all();
        self.send.notify_all();
        self.close.notify_all();
        true
    }

    /// After a message was pushed: wakes a waiting receiver, if any; and, bounded, the next
    /// waiting sender if there is room left (see [`after_pop`](Self::after_pop)). A load or
    /// two when nobody waits; call it right after the push (see
    /// [`Waiters::linked_after_claim`]).
    #[inline]
    pub(crate) fn after_push(&self) {
        match &self.queue {
            Queue::Bounded(ring) => {
                if self.recv.linked_after_claim() != 0 {
                    self.recv.notify_one_slow();
                }
                if self.send.linked_after_claim() != 0 && (!ring.is_full() || ring.is_closed()) {
                    self.send.notify_one_slow();
                }
            }
            Queue::Unbounded(_) => {
                // The rule of `linked_after_claim` would hold here too (concurrent-queue's
                // push claims its slot with a `SeqCst` compare-exchange), but that is
                // concurrent-queue's inside, not its contract: the fence stays. Measured: no
                // difference on `64-unbounded` (its push ends with a locked write anyway).
                full_fence();
                if self.recv.linked() != 0 {
                    self.recv.notify_one_slow();
                }
            }
        }
    }

    /// After a message was popped by a receiver whose registration (if any) is removed:
    /// wakes a waiting sender, if any; and the next waiting receiver if messages are left.
    ///
    /// The second wake is what keeps every message matched with a waiter when a push
    /// announces nothing, which happens in two ways:
    ///
    /// * bounded: a message pushed behind a slot still being pushed ([`Busy`](PopError::Busy))
    ///   wakes a receiver that finds the busy slot first (it polls again until that slot is
    ///   done), or wakes no one (nobody waited yet); the receivers that sleep meanwhile are
    ///   woken one by one, each by the one before, once the busy push completes.
    /// * a receiver notified (for one message) while it took another, pushed before it
    ///   registered and so announced to no one, passes that notification on (`notified`):
    ///   tokio's and event-listener's rule for a notified waiter that goes away.
    ///
    /// Unbounded, only the second (no slot is ever busy there), so that a pop with nobody
    /// waiting stays free of fences.
    #[inline]
    pub(crate) fn after_pop(&self, notified: bool) {
        match &self.queue {
            Queue::Bounded(ring) => {
                if self.send.linked_after_claim() != 0 {
                    self.send.notify_one_slow();
                }
                if self.recv.linked_after_claim() != 0 && (!ring.is_empty() || ring.is_closed()) {
                    self.recv.notify_one_slow();
                }
            }
            Queue::Unbounded(q) => {
                if notified && !q.is_empty() {
                    self.recv.notify_one();
                }
            }
        }
    }

    /// A receiver found the channel closed and empty: receivers that started waiting after
    /// the close (they found a slot busy) are woken to find the same.
    #[cold]
    pub(crate) fn closed_for_receivers(&self) {
        full_fence();
        if self.recv.linked() != 0 {
            self.recv.notify_all();
        }
    }

    /// A receiver's registration was removed after a notification it did not use (its
    /// future dropped): the next waiting receiver gets the turn if there is something to
    /// receive (a message, or the close).
    pub(crate) fn pass_on_to_receiver(&self) {
        if !self.queue.is_empty() || self.queue.is_closed() {
            self.recv.notify_one();
        }
    }

    /// As [`pass_on_to_receiver`](Self::pass_on_to_receiver), for a sender: the next
    /// waiting sender gets the turn if there is room.
    pub(crate) fn pass_on_to_sender(&self) {
        if !self.queue.is_full() {
            self.send.notify_one();
        }
    }
}

impl<T> Drop for Chan<T> {
    fn drop(&mut self) {
        // The messages left are dropped here, oldest first, with std's rule for a destructor
        // that panics (`Vec`'s and `VecDeque`'s): the others are still dropped while that
        // panic unwinds (a second panic aborts the process), none is leaked. Neither queue's
        // own destructor would go on after a panic.
        drop_all(&self.queue);
    }
}

/// Pops and drops every message of `queue`, going on if a destructor panics.
fn drop_all<T>(queue: &Queue<T>) {
    /// Drops the rest if dropped while a message's destructor unwinds.
    struct Rest<'a, T>(&'a Queue<T>);

    impl<T> Drop for Rest<'_, T> {
        fn drop(&mut self) {
            drop_all(self.0);
        }
    }

    while let Ok(msg) = queue.pop() {
        let rest = Rest(queue);
        drop(msg);
        std::mem::forget(rest);
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
            Queue::Unbounded(q) => q.push(value).map_err(|e| match e {
                concurrent_queue::PushError::Full(v) => PushError::Full(v),
                concurrent_queue::PushError::Closed(v) => PushError::Closed(v),
            }),
        }
    }

    #[inline]
    pub(crate) fn pop(&self) -> Result<T, PopError> {
        match self {
            Queue::Bounded(q) => q.pop(),
            Queue::Unbounded(q) => q.pop().map_err(|e| match e {
                concurrent_queue::PopError::Empty => PopError::Empty,
                concurrent_queue::PopError::Closed => PopError::Closed,
            }),
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

/// A [`WaitList`] behind a lock, with the number of its waiters and the generation of each
/// of its slots readable without the lock.
///
/// A slot is freed by whoever unlinks it: its waiter's future going away, or the notifier
/// that takes its waker. Freeing bumps the slot's generation, so a future that finds its
/// generation changed knows, without the lock, that it was notified and its slot is gone:
/// a receive that was woken for its message takes one lock (the registration) besides the
/// notifier's, not two.
pub(crate) struct Waiters {
    linked: AtomicUsize,
    generations: Generations,
    list: Mutex<WaitList>,
}

/// A waiter's registration: its slot, and the slot's generation when it took it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WaitKey {
    index: Key,
    generation: usize,
}

impl Waiters {
    pub(crate) fn new() -> Waiters {
        Waiters {
            linked: AtomicUsize::new(0),
            generations: Generations::new(),
            list: Mutex::new(WaitList::new()),
        }
    }

    #[inline]
    fn lock(&self) -> MutexGuard<'_, WaitList> {
        // Nothing panics while holding the lock (wakers are woken and dropped outside it),
        // so a poisoned lock still holds a consistent list.
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `key`'s slot is still its own (linked): not notified, not freed.
    #[inline]
    fn holds(&self, key: WaitKey) -> bool {
        self.generations.get(key.index).load(Ordering::Acquire) == key.generation
    }

    /// Changes the count of linked waiters: only under the lock, so a load and a store, not
    /// a locked read-modify-write. What orders it for the other side is the fence a waiter
    /// makes after linking itself (see [`linked_after_claim`](Self::linked_after_claim));
    /// a count read stale after an unlink only sends a notifier to the lock for nothing.
    #[inline]
    fn set_linked(&self, f: impl FnOnce(usize) -> usize) {
        self.linked
            .store(f(self.linked.load(Ordering::Relaxed)), Ordering::Relaxed);
    }

    /// Frees slot `k` (unlinked already, under the lock): a new generation.
    fn free(&self, list: &mut WaitList, k: Key) {
        let generation = self.generations.get(k);
        generation.store(
            generation.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Release,
        );
        list.free.push(k);
        self.set_linked(|n| n - 1);
    }

    /// Registers a waiter, or updates the one registered before at `key` if it still waits
    /// there, then fences: the caller looks at the queue again before it returns `Pending`.
    pub(crate) fn register(&self, key: &mut Option<WaitKey>, waker: &Waker) {
        let mut list = self.lock();
        if let Some(k) = *key {
            if self.holds(k) {
                let old = list.update(k.index, waker);
                drop(list);
                drop(old);
                full_fence();
                return;
            }
        }
        let index = list.insert(waker);
        self.generations.ensure(index);
        *key = Some(WaitKey {
            index,
            generation: self.generations.get(index).load(Ordering::Relaxed),
        });
        self.set_linked(|n| n + 1);
        drop(list);
        full_fence();
    }

    /// The number of waiters linked (not notified): read after a [`full_fence`].
    #[inline]
    pub(crate) fn linked(&self) -> usize {
        self.linked.load(Ordering::Relaxed)
    }

    /// The number of waiters linked, read by a thread whose last operation on the queue was
    /// a push or a pop that claimed its slot with a `SeqCst` read-modify-write of the queue's
    /// tail or head (both queues' `compare_exchange`): no fence needed.
    ///
    /// Why: a waiter links itself (the count goes up, under the lock), fences, then reads
    /// that tail or head. Were both to miss the other, the single order of `SeqCst`
    /// operations and fences would hold a cycle: this load < the waiter's fence (this load
    /// read a count older than the link, which comes before that fence; C++20
    /// [atomics.order] p4.2) < the claim (the waiter's read after that fence missed it;
    /// p4.3) < this load (program order). On x86 the claim is a locked instruction, a full
    /// barrier, and this load a plain `mov`.
    ///
    /// Under loom the fence stays: loom treats `SeqCst` accesses as `AcqRel`, weaker than
    /// the rule above, and would report the lost wake-up the rule excludes.
    #[inline]
    pub(crate) fn linked_after_claim(&self) -> usize {
        #[cfg(loom)]
        full_fence();
        self.linked.load(Ordering::SeqCst)
    }

    /// Forgets the registration at `key` if it was notified: call at the start of a poll. A
    /// notification that reached the waiter before its poll is used by that poll; one that
    /// comes later, while the poll takes a message, is reported by [`remove`](Self::remove),
    /// so that it can be passed on.
    #[inline]
    pub(crate) fn consume(&self, key: &mut Option<WaitKey>) {
        if key.is_some_and(|k| !self.holds(k)) {
            *key = None;
        }
    }

    /// Removes a waiter, if registered: whether it had been notified (and so may owe its
    /// turn to another waiter). Takes no lock if it was.
    ///
    /// Inline, and a test only when nothing is registered (every send or receive that did
    /// not wait, and the drop of its future); the rest is out of line, so that the common
    /// call does not pay for the registers the rest needs.
    #[inline]
    pub(crate) fn remove(&self, key: &mut Option<WaitKey>) -> bool {
        match key.take() {
            None => false,
            Some(k) => self.remove_registered(k),
        }
    }

    /// [`remove`](Self::remove) of a registration.
    #[inline(never)]
    fn remove_registered(&self, k: WaitKey) -> bool {
        if !self.holds(k) {
            return true;
        }
        let mut list = self.lock();
        // Notified between the look above and the lock?
        if !self.holds(k) {
            return true;
        }
        let old = list.unlink(k.index);
        self.free(&mut list, k.index);
        drop(list);
        drop(old);
        false
    }

    /// Wakes the oldest waiter, if any. Call after making a message or a place available;
    /// cheap (a fence and a load) when nobody waits.
    #[inline]
    pub(crate) fn notify_one(&self) {
        full_fence();
        if self.linked.load(Ordering::Relaxed) == 0 {
            return;
        }
        self.notify_one_slow();
    }

    #[cold]
    pub(crate) fn notify_one_slow(&self) {
        let mut list = self.lock();
        let w = self.pop(&mut list);
        drop(list);
        if let Some(w) = w {
            w.wake();
        }
    }

    /// Unlinks and frees the oldest waiter: its waker.
    fn pop(&self, list: &mut WaitList) -> Option<Waker> {
        let k = list.head;
        if k == NONE {
            return None;
        }
        let w = list.unlink(k);
        self.free(list, k);
        w
    }

    /// Wakes every waiter.
    pub(crate) fn notify_all(&self) {
        let mut wakers = Vec::new();
        let mut list = self.lock();
        while let Some(w) = self.pop(&mut list) {
            wakers.push(w);
        }
        drop(list);
        for w in wakers {
            w.wake();
        }
    }
}

/// An index of [`WaitList`]'s slab; `NONE` for none.
type Key = u32;
const NONE: Key = Key::MAX;

struct Entry {
    /// `None` while the slot is free.
    waker: Option<Waker>,
    prev: Key,
    next: Key,
}

/// Waiting tasks, oldest first: a doubly linked list inside a slab (a freed slot is reused
/// by the next registration). Every slot in use is linked.
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

    /// Takes a slot for `waker`, linked at the end (the caller bumps the count).
    fn insert(&mut self, waker: &Waker) -> Key {
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
        k
    }

    /// Replaces the waker of the waiter at `k` if it changed: the old one, to be dropped
    /// once the lock is released (dropping a waker may drop a task, whose future may hold a
    /// half of this channel).
    #[must_use = "drop the old waker after unlocking"]
    fn update(&mut self, k: Key, waker: &Waker) -> Option<Waker> {
        match &mut self.entries[k as usize].waker {
            Some(w) if w.will_wake(waker) => None,
            Some(w) => Some(std::mem::replace(w, waker.clone())),
            None => unreachable!("a slot in use has a waker"),
        }
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

    /// Unlinks `k`: its waker (to be woken or dropped once the lock is released).
    #[must_use = "wake or drop the waker after unlocking"]
    fn unlink(&mut self, k: Key) -> Option<Waker> {
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
        self.entries[k as usize].waker.take()
    }
}

/// The generation of every slot of a [`WaitList`], readable without its lock: segments that
/// never move once allocated (segment `s` holds `BASE << s` slots), allocated under the lock.
struct Generations {
    segments: [AtomicPtr<AtomicUsize>; SEGMENTS],
}

const BASE: usize = 8;
const SEGMENTS: usize = 30;

impl Generations {
    fn new() -> Generations {
        Generations {
            segments: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())),
        }
    }

    /// The segment of slot `k` and its place there.
    #[inline]
    fn locate(k: Key) -> (usize, usize) {
        let j = k as usize / BASE + 1;
        let s = (usize::BITS - 1 - j.leading_zeros()) as usize;
        (s, k as usize - BASE * ((1 << s) - 1))
    }

    /// Allocates the segment of slot `k` if it is not yet: only under the list's lock.
    fn ensure(&self, k: Key) {
        let (s, _) = Generations::locate(k);
        if self.segments[s].load(Ordering::Acquire).is_null() {
            let segment: Box<[AtomicUsize]> = (0..BASE << s).map(|_| AtomicUsize::new(0)).collect();
            self.segments[s].store(Box::into_raw(segment).cast(), Ordering::Release);
        }
    }

    /// The generation of slot `k`, whose segment was allocated (`k` came from the list).
    #[inline]
    #[allow(unsafe_code)]
    fn get(&self, k: Key) -> &AtomicUsize {
        let (s, i) = Generations::locate(k);
        let segment = self.segments[s].load(Ordering::Acquire);
        assert!(!segment.is_null(), "a wait slot without its generation");
        // SAFETY: a segment `s` holds `BASE << s` values (`i` is below that, by `locate`),
        // is never moved, and is freed only when `self` is dropped.
        unsafe { &*segment.add(i) }
    }
}

impl Drop for Generations {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        for (s, segment) in self.segments.iter().enumerate() {
            // The last reference: nothing else reads the segments.
            let segment = segment.load(Ordering::Relaxed);
            if !segment.is_null() {
                // SAFETY: allocated by `ensure` as a boxed slice of `BASE << s` values.
                drop(unsafe {
                    Box::from_raw(std::ptr::slice_from_raw_parts_mut(segment, BASE << s))
                });
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn generations_locate_every_slot_once() {
        let mut seen = std::collections::HashSet::new();
        for k in 0..10_000u32 {
            let (s, i) = Generations::locate(k);
            assert!(i < BASE << s, "slot {k}: {i} outside segment {s}");
            assert!(seen.insert((s, i)), "slot {k} shares its place");
        }
        assert_eq!(Generations::locate(Key::MAX - 1).0, SEGMENTS - 1);
    }

    #[test]
    fn a_notified_waiter_knows_it_without_the_lock_and_its_slot_is_reused() {
        let waiters = Waiters::new();
        let waker = std::task::Waker::noop();
        let (mut a, mut b) = (None, None);
        waiters.register(&mut a, waker);
        waiters.register(&mut b, waker);
        waiters.notify_one();
        // `a` was the oldest: notified, its slot freed.
        assert!(!waiters.holds(a.unwrap()));
        assert!(waiters.holds(b.unwrap()));
        // The lock is held by someone else: `a`'s removal does not need it.
        std::thread::scope(|scope| {
            let _guard = waiters.lock();
            let (tx, rx) = std::sync::mpsc::channel();
            let mut stale = a;
            let waiters = &waiters;
            scope.spawn(move || tx.send(waiters.remove(&mut stale)).unwrap());
            let notified = rx.recv_timeout(std::time::Duration::from_secs(10));
            assert_eq!(
                notified,
                Ok(true),
                "a notified waiter's removal took the lock"
            );
        });
        // The freed slot is taken again, with a new generation.
        let mut c = None;
        waiters.register(&mut c, waker);
        assert_eq!(c.unwrap().index, a.unwrap().index);
        assert_ne!(c.unwrap().generation, a.unwrap().generation);
        assert!(!waiters.remove(&mut b));
        // A stale key registers anew instead of taking over the slot.
        waiters.register(&mut a, waker);
        assert_ne!(a.unwrap().index, c.unwrap().index);
        assert_eq!(waiters.linked.load(Ordering::Relaxed), 2);
        // Oldest first: `c`, then `a`.
        waiters.notify_one();
        assert!(!waiters.holds(c.unwrap()) && waiters.holds(a.unwrap()));
        assert!(waiters.remove(&mut c));
        assert!(!waiters.remove(&mut a));
        assert_eq!(waiters.linked.load(Ordering::Relaxed), 0);
    }
}
