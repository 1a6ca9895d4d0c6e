//! The core of the [`bounded`](super::bounded) and [`unbounded`](super::unbounded) channels:
//! a queue and three lists of waiting tasks under one mutex.
//!
//! A task that waits (to receive, to send, for the close) takes a slot in a list kept inside
//! the channel ([`WaitList`]): a slab entry, reused by the next wait, so that waiting
//! allocates nothing once the lists have grown to the number of tasks that wait at once.
//! Waiters are woken oldest first, one per message or per free place; a waiter woken that
//! goes away without taking what it was woken for (its future dropped) passes its turn to
//! the next one. Wakers are woken and messages dropped only once the lock is released.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Waker;

/// The shared state of a channel.
pub(crate) struct Chan<T> {
    state: Mutex<State<T>>,
    /// `None`: unbounded.
    cap: Option<usize>,
}

pub(crate) struct State<T> {
    pub(crate) queue: VecDeque<T>,
    pub(crate) closed: bool,
    pub(crate) senders: usize,
    pub(crate) receivers: usize,
    /// Receivers waiting for a message (or the close).
    pub(crate) recv: WaitList,
    /// Senders waiting for room (or the close).
    pub(crate) send: WaitList,
    /// `Sender::closed()` futures.
    pub(crate) close: WaitList,
}

impl<T> Chan<T> {
    pub(crate) fn new(cap: Option<usize>) -> Chan<T> {
        Chan {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                closed: false,
                senders: 1,
                receivers: 1,
                recv: WaitList::new(),
                send: WaitList::new(),
                close: WaitList::new(),
            }),
            cap,
        }
    }

    #[inline]
    pub(crate) fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing panics while holding the lock (wakers are woken and messages dropped
        // outside it), so a poisoned lock still holds a consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[inline]
    pub(crate) fn cap(&self) -> Option<usize> {
        self.cap
    }

    /// Whether the queue has room for one more message.
    #[inline]
    pub(crate) fn has_room(&self, state: &State<T>) -> bool {
        self.cap.is_none_or(|cap| state.queue.len() < cap)
    }

    /// Closes the channel: `true` if this call closed it. Every waiter is woken (the caller
    /// wakes the returned wakers once the lock is released).
    pub(crate) fn close(state: &mut State<T>) -> Option<Vec<Waker>> {
        if state.closed {
            return None;
        }
        state.closed = true;
        let mut wakers = Vec::new();
        state.recv.notify_all(&mut wakers);
        state.send.notify_all(&mut wakers);
        state.close.notify_all(&mut wakers);
        Some(wakers)
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
pub(crate) struct WaitList {
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
    #[must_use = "drop the old waker after unlocking"]
    pub(crate) fn register(&mut self, key: &mut Option<Key>, waker: &Waker) -> Option<Waker> {
        if let Some(k) = *key {
            let e = &mut self.entries[k as usize];
            match &mut e.waker {
                Some(w) => {
                    if w.will_wake(waker) {
                        return None;
                    }
                    return Some(std::mem::replace(w, waker.clone()));
                }
                None => {
                    e.waker = Some(waker.clone());
                    self.link(k);
                    return None;
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
        None
    }

    /// Removes a waiter (if registered): whether it had been notified (and so may owe its
    /// turn to another waiter), and its waker, to be dropped once the lock is released.
    #[must_use = "pass the turn on if notified; drop the waker after unlocking"]
    pub(crate) fn remove(&mut self, key: &mut Option<Key>) -> (bool, Option<Waker>) {
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
    pub(crate) fn notify_one(&mut self) -> Option<Waker> {
        let k = self.head;
        if k == NONE {
            return None;
        }
        self.unlink(k);
        self.entries[k as usize].waker.take()
    }

    fn notify_all(&mut self, out: &mut Vec<Waker>) {
        while let Some(w) = self.notify_one() {
            out.push(w);
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
