//! [`Unordered`]: a set of join handles polled only when woken, for `JoinSet`.
//!
//! Each handle gets a waker of its own that records its slot in a shared ready queue, so a
//! poll of the set polls only the handles whose tasks made progress: `join_next` over `n`
//! tasks costs O(1) per finished task, not O(n). One allocation per handle (its waker), as
//! futures' `FuturesUnordered` makes.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use anyrt_core::task::{JoinError, JoinHandle};

/// The slots whose handles were woken, and the waker of the task polling the set.
#[derive(Default)]
struct Ready {
    slots: Mutex<VecDeque<usize>>,
    parent: Mutex<Option<Waker>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The waker of one slot.
struct SlotWaker {
    slot: usize,
    queued: AtomicBool,
    ready: Arc<Ready>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        lock(&self.ready.slots).push_back(self.slot);
        let parent = lock(&self.ready.parent).clone();
        if let Some(parent) = parent {
            parent.wake();
        }
    }
}

struct Entry<T> {
    handle: JoinHandle<T>,
    waker: Arc<SlotWaker>,
}

pub(crate) struct Unordered<T> {
    slots: Vec<Option<Entry<T>>>,
    free: Vec<usize>,
    len: usize,
    ready: Arc<Ready>,
}

impl<T> Unordered<T> {
    pub(crate) fn new() -> Self {
        Unordered {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            ready: Arc::default(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn push(&mut self, handle: JoinHandle<T>) {
        let slot = self.free.pop().unwrap_or(self.slots.len());
        if slot == self.slots.len() {
            self.slots.push(None);
        }
        let waker = Arc::new(SlotWaker {
            slot,
            queued: AtomicBool::new(false),
            ready: self.ready.clone(),
        });
        // Polled at the next poll of the set, like any handle that was woken.
        waker.wake_by_ref();
        self.slots[slot] = Some(Entry { handle, waker });
        self.len += 1;
    }

    pub(crate) fn for_each_mut(&mut self, mut f: impl FnMut(&mut JoinHandle<T>)) {
        for entry in self.slots.iter_mut().flatten() {
            f(&mut entry.handle);
        }
    }

    /// The output of a handle that finished, `Pending` (with `cx` woken when one may have)
    /// if none has; the caller checks for emptiness first.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        {
            let mut parent = lock(&self.ready.parent);
            if !parent.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *parent = Some(cx.waker().clone());
            }
        }
        // At most one pass over what is queued now, so that a handle that wakes itself at
        // once cannot keep this poll going.
        let queued = lock(&self.ready.slots).len();
        for _ in 0..queued {
            let Some(slot) = lock(&self.ready.slots).pop_front() else {
                break;
            };
            // A slot freed (and maybe reused) since it was queued: its old waker's wake.
            let Some(entry) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            entry.waker.queued.store(false, Ordering::Release);
            let waker = Waker::from(entry.waker.clone());
            let mut task_cx = Context::from_waker(&waker);
            if let Poll::Ready(out) = Pin::new(&mut entry.handle).poll(&mut task_cx) {
                self.slots[slot] = None;
                self.free.push(slot);
                self.len -= 1;
                return Poll::Ready(out);
            }
        }
        if !lock(&self.ready.slots).is_empty() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}
