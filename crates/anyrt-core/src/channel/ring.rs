//! The message queue of a bounded channel: a fixed ring of slots, each with a stamp (Dmitry
//! Vyukov's bounded MPMC queue, as concurrent-queue 2.5 and crossbeam's `ArrayQueue` write
//! it; MIT OR Apache-2.0), with one change: an operation that meets a slot another thread is
//! in the middle of (a push that claimed it and has not written yet, a pop that claimed it
//! and has not freed it yet) does not wait for that thread. concurrent-queue spins there
//! until the other thread finishes, which, when that thread was preempted (more runnable
//! threads than cores), burns the rest of the spinner's time slice. Here `pop` and `push`
//! say [`Busy`](PopError::Busy): the channel's future then returns `Pending` and is polled
//! again after the runtime's other ready tasks (see `chan.rs` for why it does not wait for
//! the other thread to wake it).

use std::mem::MaybeUninit;

use crate::loom::cell::UnsafeCell;
use crate::loom::full_fence;
use crate::loom::hint::spin_loop;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};

impl<T> PushError<T> {
    /// The value that was not pushed.
    pub(crate) fn into_inner(self) -> T {
        match self {
            PushError::Full(v) | PushError::Busy(v) | PushError::Closed(v) => v,
        }
    }
}

/// Why a pop gave nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PopError {
    /// Nothing in the queue.
    Empty,
    /// The oldest value is still being pushed (and values behind it may be in already).
    Busy,
    /// Closed and empty.
    Closed,
}

/// Why a push was refused, with the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PushError<T> {
    /// No room.
    Full(T),
    /// The slot it needs is still being popped (and slots behind it may be free already).
    Busy(T),
    /// Closed.
    Closed(T),
}

/// A value on a cache line of its own (two, for the prefetcher of x86's adjacent lines).
#[repr(align(128))]
struct Padded<T>(T);

struct Slot<T> {
    /// `index + lap` when empty at that lap, `index + lap + 1` when it holds a value.
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// A bounded MPMC queue that never waits for another thread (see the module docs).
pub(crate) struct Ring<T> {
    /// The next slot to pop: index, lap.
    head: Padded<AtomicUsize>,
    /// The next slot to push: index, mark bit (closed), lap.
    tail: Padded<AtomicUsize>,
    buffer: Box<[Slot<T>]>,
    /// The lap unit: twice the mark bit.
    one_lap: usize,
    /// The bit of `tail` that says closed, above every index.
    mark_bit: usize,
}

// SAFETY: values move between threads through the slots (`T: Send`); each slot's value is
// accessed only by the thread that claimed the slot by moving `head` or `tail` past it.
#[allow(unsafe_code)]
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above.
#[allow(unsafe_code)]
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// # Panics
    ///
    /// If `cap` is 0.
    pub(crate) fn new(cap: usize) -> Ring<T> {
        assert!(cap > 0, "capacity must be positive");
        let buffer = (0..cap)
            .map(|i| Slot {
                stamp: AtomicUsize::new(i),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        let mark_bit = (cap + 1).next_power_of_two();
        Ring {
            head: Padded(AtomicUsize::new(0)),
            tail: Padded(AtomicUsize::new(0)),
            buffer,
            one_lap: mark_bit * 2,
            mark_bit,
        }
    }

    /// The position after `pos` (an index and a lap).
    #[inline]
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.mark_bit - 1);
        if index + 1 < self.buffer.len() {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    /// Pushes `value`; `Busy` while the slot it would take is still being popped.
    #[inline]
    #[allow(unsafe_code)]
    pub(crate) fn push(&self, value: T) -> Result<(), PushError<T>> {
        let mut tail = self.tail.0.load(Ordering::Relaxed);
        loop {
            if tail & self.mark_bit != 0 {
                return Err(PushError::Closed(value));
            }
            let slot = &self.buffer[tail & (self.mark_bit - 1)];
            let stamp = slot.stamp.load(Ordering::Acquire);
            if tail == stamp {
                // Empty at this lap: claim it.
                match self.tail.0.compare_exchange_weak(
                    tail,
                    self.next(tail),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: claimed by the move of `tail`; no pop reads it before the
                        // stamp says it holds a value.
                        slot.value.with_mut(|v| unsafe { (*v).write(value) });
                        slot.stamp.store(tail + 1, Ordering::Release);
                        return Ok(());
                    }
                    Err(t) => tail = t,
                }
            } else if stamp.wrapping_add(self.one_lap) == tail + 1 {
                // Still holds the value of the lap before: full, or being popped.
                full_fence();
                let head = self.head.0.load(Ordering::Relaxed);
                return if head.wrapping_add(self.one_lap) == tail {
                    Err(PushError::Full(value))
                } else {
                    Err(PushError::Busy(value))
                };
            } else {
                // Another push took it: look again.
                spin_loop();
                tail = self.tail.0.load(Ordering::Relaxed);
            }
        }
    }

    /// Pops the oldest value; `Busy` while it is still being pushed.
    #[inline]
    #[allow(unsafe_code)]
    pub(crate) fn pop(&self) -> Result<T, PopError> {
        let mut head = self.head.0.load(Ordering::Relaxed);
        loop {
            let slot = &self.buffer[head & (self.mark_bit - 1)];
            let stamp = slot.stamp.load(Ordering::Acquire);
            if head + 1 == stamp {
                // Holds a value: claim it.
                match self.head.0.compare_exchange_weak(
                    head,
                    self.next(head),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: claimed by the move of `head`; written by its push (the
                        // stamp, acquired above, says so); no push writes it before the
                        // stamp says it is free.
                        let value = slot.value.with_mut(|v| unsafe { (*v).assume_init_read() });
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        return Ok(value);
                    }
                    Err(h) => head = h,
                }
            } else if stamp == head {
                // Empty at this lap: nothing pushed, or being pushed.
                full_fence();
                let tail = self.tail.0.load(Ordering::Relaxed);
                return if tail & !self.mark_bit != head {
                    Err(PopError::Busy)
                } else if tail & self.mark_bit != 0 {
                    Err(PopError::Closed)
                } else {
                    Err(PopError::Empty)
                };
            } else {
                // Another pop took it: look again.
                spin_loop();
                head = self.head.0.load(Ordering::Relaxed);
            }
        }
    }

    /// The number of values, those being pushed included.
    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.0.load(Ordering::SeqCst);
            let head = self.head.0.load(Ordering::SeqCst);
            if self.tail.0.load(Ordering::SeqCst) == tail {
                let hix = head & (self.mark_bit - 1);
                let tix = tail & (self.mark_bit - 1);
                return if hix < tix {
                    tix - hix
                } else if hix > tix {
                    self.buffer.len() - hix + tix
                } else if (tail & !self.mark_bit) == head {
                    0
                } else {
                    self.buffer.len()
                };
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        let head = self.head.0.load(Ordering::SeqCst);
        let tail = self.tail.0.load(Ordering::SeqCst);
        (tail & !self.mark_bit) == head
    }

    pub(crate) fn is_full(&self) -> bool {
        let tail = self.tail.0.load(Ordering::SeqCst);
        let head = self.head.0.load(Ordering::SeqCst);
        head.wrapping_add(self.one_lap) == tail & !self.mark_bit
    }

    pub(crate) fn capacity(&self) -> usize {
        self.buffer.len()
    }

    /// Closes the queue to pushes: `true` if this call closed it.
    pub(crate) fn close(&self) -> bool {
        self.tail.0.fetch_or(self.mark_bit, Ordering::SeqCst) & self.mark_bit == 0
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.tail.0.load(Ordering::SeqCst) & self.mark_bit != 0
    }
}

#[cfg(all(test, not(loom)))]
impl<T> Ring<T> {
    /// Claims the next slot as a push does, without writing it: a push preempted half-way.
    pub(crate) fn begin_push_for_test(&self) -> usize {
        let tail = self.tail.0.load(Ordering::SeqCst);
        assert_eq!(
            self.buffer[tail & (self.mark_bit - 1)]
                .stamp
                .load(Ordering::SeqCst),
            tail
        );
        self.tail.0.store(self.next(tail), Ordering::SeqCst);
        tail
    }

    /// Claims the oldest value as a pop does, without reading it: a pop preempted half-way.
    pub(crate) fn begin_pop_for_test(&self) -> usize {
        let head = self.head.0.load(Ordering::SeqCst);
        assert_eq!(
            self.buffer[head & (self.mark_bit - 1)]
                .stamp
                .load(Ordering::SeqCst),
            head + 1
        );
        self.head.0.store(self.next(head), Ordering::SeqCst);
        head
    }

    /// Completes the pop begun at `head`: its value.
    #[allow(unsafe_code)]
    pub(crate) fn finish_pop_for_test(&self, head: usize) -> T {
        let slot = &self.buffer[head & (self.mark_bit - 1)];
        // SAFETY: claimed by `begin_pop_for_test`, written by its push, read once.
        let value = slot.value.with_mut(|v| unsafe { (*v).assume_init_read() });
        slot.stamp
            .store(head.wrapping_add(self.one_lap), Ordering::Release);
        value
    }

    /// Completes the push begun at `tail`.
    #[allow(unsafe_code)]
    pub(crate) fn finish_push_for_test(&self, tail: usize, value: T) {
        let slot = &self.buffer[tail & (self.mark_bit - 1)];
        // SAFETY: claimed by `begin_push_for_test`, written once.
        slot.value.with_mut(|v| unsafe { (*v).write(value) });
        slot.stamp.store(tail + 1, Ordering::Release);
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // What is left, dropped by popping it (no push or pop is in progress: this is the
        // last reference), so that one destructor's panic does not leak the rest: `Chan`'s
        // destructor drains the queue first, with std's rule for a panicking element.
        while self.pop().is_ok() {}
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn pushes_and_pops_in_order_over_many_laps() {
        let ring = Ring::new(3);
        for lap in 0..10 {
            for i in 0..3 {
                ring.push(lap * 3 + i).unwrap();
            }
            assert!(ring.is_full());
            assert!(matches!(ring.push(99), Err(PushError::Full(99))));
            assert_eq!(ring.len(), 3);
            for i in 0..3 {
                assert_eq!(ring.pop(), Ok(lap * 3 + i));
            }
            assert!(ring.is_empty());
            assert_eq!(ring.pop(), Err(PopError::Empty));
        }
    }

    #[test]
    fn close_refuses_pushes_and_pops_what_is_left() {
        let ring = Ring::new(2);
        ring.push(1).unwrap();
        assert!(ring.close());
        assert!(!ring.close());
        assert!(ring.is_closed());
        assert!(matches!(ring.push(2), Err(PushError::Closed(2))));
        assert_eq!(ring.pop(), Ok(1));
        assert_eq!(ring.pop(), Err(PopError::Closed));
    }

    #[test]
    fn drop_drops_what_is_left() {
        let counted = Arc::new(());
        let ring = Ring::new(4);
        for _ in 0..4 {
            ring.push(counted.clone()).unwrap();
        }
        drop(ring.pop());
        ring.push(counted.clone()).unwrap();
        drop(ring.pop());
        assert_eq!(Arc::strong_count(&counted), 4);
        drop(ring);
        assert_eq!(Arc::strong_count(&counted), 1);
    }

    /// Runs `f` on a thread of its own: its result, or a panic if it takes over 10 s.
    fn within_10s<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()).unwrap());
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("a ring operation waited for another thread")
    }

    #[test]
    fn a_slot_half_way_through_a_push_or_a_pop_reads_as_busy() {
        let ring = Arc::new(Ring::<u32>::new(1));
        // A push that claimed slot 0 and was preempted before writing it.
        ring.tail.0.store(ring.next(0), Ordering::SeqCst);
        let r = ring.clone();
        assert_eq!(within_10s(move || r.pop()), Err(PopError::Busy));
        assert!(!ring.is_empty());
        // It finishes.
        #[allow(unsafe_code)]
        // SAFETY: the slot was claimed above and is written once.
        ring.buffer[0].value.with_mut(|v| unsafe { (*v).write(7) });
        ring.buffer[0].stamp.store(1, Ordering::Release);
        // A pop that claims it and is preempted before freeing it.
        ring.head.0.store(ring.next(0), Ordering::SeqCst);
        let r = ring.clone();
        assert!(matches!(
            within_10s(move || r.push(8)),
            Err(PushError::Busy(8))
        ));
        // It finishes.
        #[allow(unsafe_code)]
        // SAFETY: written above, read once.
        let v = ring.buffer[0]
            .value
            .with_mut(|v| unsafe { (*v).assume_init_read() });
        assert_eq!(v, 7);
        ring.buffer[0].stamp.store(ring.one_lap, Ordering::Release);
        ring.push(8).unwrap();
        assert_eq!(ring.pop(), Ok(8));
    }

    #[test]
    fn threads_pushing_and_popping_lose_and_duplicate_nothing() {
        const PER: usize = 100_000;
        let ring = Arc::new(Ring::new(8));
        let pushers: Vec<_> = (0..3)
            .map(|t| {
                let ring = ring.clone();
                std::thread::spawn(move || {
                    for i in 0..PER {
                        let mut v = t * PER + i;
                        while let Err(e) = ring.push(v) {
                            v = match e {
                                PushError::Full(v) | PushError::Busy(v) => v,
                                PushError::Closed(_) => unreachable!(),
                            };
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let poppers: Vec<_> = (0..2)
            .map(|_| {
                let ring = ring.clone();
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    loop {
                        match ring.pop() {
                            Ok(v) => got.push(v),
                            Err(PopError::Closed) => return got,
                            Err(PopError::Empty | PopError::Busy) => std::thread::yield_now(),
                        }
                    }
                })
            })
            .collect();
        for p in pushers {
            p.join().unwrap();
        }
        ring.close();
        let mut all: Vec<usize> = poppers
            .into_iter()
            .flat_map(|p| p.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..3 * PER).collect::<Vec<_>>());
    }
}
