//! anyrt's own executor, on async-task: what the smol and async-std backends' runtimes run.
//!
//! Its scheduling is async-executor's (1.14, MIT OR Apache-2.0, by Stjepan Glavina and John
//! Nunley): one global queue, a bounded local queue per runner that is filled by stealing
//! from the global queue and from the other runners, sleeping runners woken one at a time,
//! and a yield to the reactor every 200 tasks. So a task costs here what it costs on smol's
//! executor. Fewer wake-ups of sleeping runners, by tokio's rules:
//!
//! * a task woken while it runs (a yield) is queued without waking a sleeping runner, since
//!   the runner polling it picks it up when the poll returns;
//! * a task woken by the task a runner is polling goes to that runner's next slot (tokio's
//!   LIFO slot) and runs when the poll returns, on the same thread: two tasks passing
//!   messages stay on one runner instead of waking another at every message (at most 3 in a
//!   row from the slot, then the queues get their turn; the joiner of a task that completes
//!   is queued behind the others instead);
//! * a runner that takes a task wakes another only if work is left in the queues (one that
//!   was sleeping looks at every runner's, so that tasks behind a runner busy in a long
//!   poll are picked up).
//!
//! A lone task yielding in a loop stays on its runner, and so do a channel's two ends. The
//! price is tokio's: a task in a runner's next slot waits for the poll before it to return
//! unless another runner, awake for other work, takes it. What async-executor cannot give,
//! and this one does:
//!
//! * **Tasks are dropped by running them, never by dropping their `Runnable`.** Each task's
//!   future is wrapped in a [`Guarded`], which, polled once its task was aborted or its
//!   executor closed, drops the future it holds (inside `catch_unwind`) and completes the
//!   task with that outcome: "cancelled", or the payload of its destructor's panic. async-task
//!   itself never cancels a task, so its handle (an `async_task::Task`, one pointer) is polled
//!   directly and gives the payload without a slot beside it: no allocation beyond the task's
//!   own, and `abort()` costs no allocation either.
//! * **Closing drops every task that is not being polled, at once**, on the closing thread:
//!   all tasks are woken (the executor keeps their wakers, as async-executor does) and every
//!   queued one is run as above. A task being polled (a worker blocked in it) is dropped by
//!   its worker when its poll returns. async-executor drops its tasks only when the executor
//!   itself is dropped, which a worker blocked inside `run` prevents. A task is never dropped
//!   inside another thread's `wake()` (which may hold a lock the task's destructor takes):
//!   one woken by another thread in a race with the close is dropped on a thread of the
//!   executor's own, right after.
//! * **`abort()` keeps a result produced in time**: it marks the task and wakes it; the task
//!   is dropped at its next poll, so a poll that was running when `abort()` came and
//!   completed the task gives its output, and awaiting the handle returns only once the
//!   future is gone.

// `unsafe` only where allowed item by item: pointers into a task's own allocation (its
// metadata, the executor state its schedule function owns), and the wrapper's in-place drop.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::mem::{self, ManuallyDrop};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::task::{Context, Poll, Waker};

use anyrt_core::task::drop_panic::Payload;
use anyrt_core::task::{JoinError, JoinHandle, RawTask};
use async_task::{Builder, Runnable, ScheduleInfo, WithInfo};
use concurrent_queue::ConcurrentQueue;
use slab::Slab;

/// What a task's future gives its handle: its output, or what became of it when it was
/// dropped unfinished (`None`: cancelled; `Some`: its destructor panicked with that).
type Outcome<T> = Result<T, Option<Payload>>;

/// An executor of anyrt's own. Dropping it closes it ([`close`](Self::close)).
pub struct Pool {
    state: Arc<State>,
}

impl Pool {
    /// An empty executor; nothing runs its tasks until [`run`](Self::run) is called.
    pub fn new() -> Pool {
        Pool {
            state: Arc::new(State::new()),
        }
    }

    /// Spawns a task; a cancelled handle if the executor is closed.
    #[inline]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let mut active = self.state.active();
        // Checked under the lock: `close` takes the wakers under it, so a task is either
        // refused here or woken (and dropped) by `close`.
        if self.state.is_closed() {
            // The future is dropped after the lock: its destructor may spawn.
            drop(active);
            drop(future);
            return JoinHandle::cancelled();
        }
        let entry = active.vacant_entry();
        let meta = Meta {
            state: StateRef(Arc::as_ptr(&self.state)),
            index: u32::try_from(entry.key())
                .expect("anyrt: more than 4 billion tasks alive at once on one runtime"),
            aborted: AtomicBool::new(false),
            dropped: AtomicBool::new(false),
        };
        let state = self.state.clone();
        #[allow(unsafe_code)]
        let (runnable, task) = Builder::new().metadata(meta).propagate_panic(true).spawn(
            // SAFETY: `meta` is the task's metadata, which async-task drops after the
            // future.
            |meta| unsafe { Guarded::new(future, meta) },
            WithInfo(move |runnable, info: ScheduleInfo| {
                state.schedule(runnable, info.woken_while_running)
            }),
        );
        entry.insert(runnable.waker());
        // A new task goes to the global queue (where any runner takes it), not to the
        // spawning runner's next slot: that one is for a task woken by the one running.
        // Queued under the lock: `close` sets `closed`, then takes the lock, then drains, so
        // either this spawn saw `closed` and refused, or `close` finds the task queued.
        let pushed = self.state.queue.push(runnable);
        debug_assert!(
            pushed.is_ok(),
            "the global queue is unbounded and never closed"
        );
        drop(active);
        self.state.notify();
        JoinHandle::new(Handle(Some(task)))
    }

    /// Runs the executor's tasks on the calling thread until `future` completes (a worker
    /// runs it until its runtime shuts down).
    pub async fn run<T>(&self, future: impl Future<Output = T>) -> T {
        let mut runner = Runner::new(&self.state);
        let mut rng = fastrand::Rng::new();
        let run_forever = async {
            loop {
                for _ in 0..200 {
                    let runnable = runner.runnable(&mut rng).await;
                    runner.run(runnable);
                }
                // Lets the reactor and the thread's `block_on` future in.
                futures_lite::future::yield_now().await;
            }
        };
        futures_lite::FutureExt::or(future, run_forever).await
    }

    /// Whether the executor was closed.
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.state.is_closed()
    }

    /// Closes the executor: no task is spawned from now on, and every task that is not being
    /// polled is dropped before this returns, on the calling thread (its handle gives
    /// "cancelled", or the panic of its destructor). A task being polled is dropped by the
    /// thread polling it, once that poll returns without completing it; one that another
    /// thread wakes while this runs, by a thread the executor starts for it (never inside
    /// that `wake()`).
    pub fn close(&self) {
        self.state.close();
    }
}

impl Default for Pool {
    fn default() -> Self {
        Pool::new()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.state.close();
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let active = match self.state.active.try_lock() {
            Ok(active) => Some(active.len()),
            Err(_) => None,
        };
        f.debug_struct("Pool")
            .field("active", &active)
            .field("global_tasks", &self.state.queue.len())
            .field("closed", &self.state.is_closed())
            .finish_non_exhaustive()
    }
}

/// The executor's state, shared by its tasks' schedule functions (each owns an `Arc`).
struct State {
    queue: ConcurrentQueue<Runnable<Meta>>,
    local_queues: RwLock<Vec<Arc<Local>>>,
    /// Whether a sleeping runner was notified and has not picked a task yet.
    notified: AtomicBool,
    sleepers: Mutex<Sleepers>,
    /// The wakers of the tasks not finished, for `close` and `abort`.
    active: Mutex<Slab<Waker>>,
    closed: AtomicBool,
    /// Whether a reaper thread is draining the closed executor ([`State::reap`]).
    reaping: AtomicBool,
    /// Sleeping runners woken by `notify`.
    #[cfg(test)]
    runners_woken: std::sync::atomic::AtomicUsize,
    /// Run by `close` once the executor is marked closed, before its tasks are woken: what a
    /// test does in the race's window.
    #[cfg(test)]
    after_close_flag: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl State {
    fn new() -> State {
        State {
            queue: ConcurrentQueue::unbounded(),
            local_queues: RwLock::new(Vec::new()),
            notified: AtomicBool::new(true),
            sleepers: Mutex::new(Sleepers {
                count: 0,
                wakers: Vec::new(),
                free_ids: Vec::new(),
            }),
            active: Mutex::new(Slab::new()),
            closed: AtomicBool::new(false),
            reaping: AtomicBool::new(false),
            #[cfg(test)]
            runners_woken: std::sync::atomic::AtomicUsize::new(0),
            #[cfg(test)]
            after_close_flag: Mutex::new(None),
        }
    }

    fn active(&self) -> MutexGuard<'_, Slab<Waker>> {
        self.active.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[inline]
    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// [`is_closed`](Self::is_closed) after queueing a task: `SeqCst`, against `close`'s swap
    /// and fence (a store-buffering pair: the queue's push is a `SeqCst` read-modify-write,
    /// then this load; `close` swaps the flag, fences, then pops). Either this thread sees
    /// the close and drains, or `close`'s drain finds the task; both may. On x86 a `SeqCst`
    /// load is a plain load.
    #[inline]
    fn is_closed_after_push(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// The schedule function of every task.
    ///
    /// * A task woken while it was running (it yielded, or spent its co-op budget) is
    ///   scheduled by the thread that ran it, right after the poll (async-task's rule): it
    ///   goes to the back of that runner's local queue, behind the tasks it woke, and no
    ///   sleeping runner is woken for it (tokio queues a yield on its worker too). In the
    ///   global queue instead, the other runner took it between two of its polls: a
    ///   channel's receiver that spent its budget then moved from thread to thread, away
    ///   from the senders it woke (anyrt smol, 4 producers: 22 ms instead of 10).
    /// * A task woken by the task a runner of this executor is polling goes to that
    ///   runner's next slot (tokio's LIFO slot): it runs as soon as the poll returns, on
    ///   the same thread, and no sleeping runner is woken for it. So two tasks that take
    ///   turns (a channel's sender and receiver) stay on one thread instead of handing
    ///   every message across threads through a wake-up. The task it displaces from the
    ///   slot goes to the runner's local queue, and a sleeping runner is woken for that one.
    ///   Not a task woken because the polled one completed (its joiner): that one queues
    ///   behind the tasks already queued, so that a task joining many others in a row
    ///   finds them finished instead of waiting for each one in turn.
    /// * Any other wake (the reactor, a timer, another thread) queues the task in the
    ///   global queue and wakes a sleeping runner.
    #[inline]
    fn schedule(self: &Arc<Self>, runnable: Runnable<Meta>, woken_while_running: bool) {
        if let Some(local) = Local::running_here(self) {
            if woken_while_running {
                local.push(self, runnable);
            } else if let Some(displaced) = local.next.replace(runnable) {
                local.push(self, displaced);
                self.notify();
            }
        } else {
            self.push_global(runnable, !woken_while_running);
        }
        self.drop_if_closed(woken_while_running);
    }

    /// Queues `runnable` in the global queue, waking a sleeping runner if `notify`.
    #[inline]
    fn push_global(&self, runnable: Runnable<Meta>, notify: bool) {
        let pushed = self.queue.push(runnable);
        debug_assert!(
            pushed.is_ok(),
            "the global queue is unbounded and never closed"
        );
        if notify {
            self.notify();
        }
    }

    /// A task queued after `close` (woken by a poll that was running then, or by a wake
    /// that raced the close) is dropped here: no runner may be left to run it. Running it
    /// only drops its future (its `Guarded` sees the executor closed).
    ///
    /// It is run on this thread only right after a poll (`after_poll`: async-task's own
    /// call, on the thread that polled). Any other wake may come from code holding a lock
    /// that the task's destructor takes (event-listener wakes under its own lock): there
    /// the task goes to a thread of its own ([`reap`](Self::reap)), unless this thread is
    /// draining the executor already, whose loop finds it.
    #[inline]
    fn drop_if_closed(self: &Arc<Self>, after_poll: bool) {
        if !self.is_closed_after_push() {
            return;
        }
        if after_poll {
            self.drain();
        } else if !Draining::is_here(self) {
            self.reap();
        }
    }

    /// Drains the closed executor on a thread of its own (one at a time): for tasks queued
    /// by a wake that raced the close, which only happens in that race.
    #[cold]
    fn reap(self: &Arc<Self>) {
        // Acquire-release on both sides (`reap_queued`): a push before a swap that found a
        // reaper running is seen by that reaper's check after its own swap.
        if self.reaping.swap(true, Ordering::AcqRel) {
            return;
        }
        let state = self.clone();
        let spawned = std::thread::Builder::new()
            .name("anyrt-executor-close".into())
            .spawn(move || state.reap_queued());
        if spawned.is_err() {
            // No thread to be had: dropped here, the last resort.
            self.reap_queued();
        }
    }

    fn reap_queued(&self) {
        loop {
            self.drain();
            self.reaping.swap(false, Ordering::AcqRel);
            if !self.has_queued() || self.reaping.swap(true, Ordering::AcqRel) {
                return;
            }
        }
    }

    /// Whether a task is queued anywhere.
    fn has_queued(&self) -> bool {
        !self.queue.is_empty()
            || self
                .local_queues
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .any(|local| !local.queue.is_empty() || !local.next.is_empty())
    }

    #[inline]
    fn notify(&self) {
        if self
            .notified
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            let waker = self
                .sleepers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .notify();
            if let Some(w) = waker {
                #[cfg(test)]
                self.runners_woken.fetch_add(1, Ordering::Relaxed);
                w.wake();
            }
        }
    }

    fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        // See `is_closed_after_push`.
        std::sync::atomic::fence(Ordering::SeqCst);
        #[cfg(test)]
        if let Some(hook) = self.after_close_flag.lock().unwrap().take() {
            hook();
        }
        // The wakes below queue the tasks for this thread's drain (`drop_if_closed`).
        let _draining = Draining::enter(self);
        // Taken out under the lock, woken outside it: a task that ends takes the lock to
        // leave the set.
        let wakers = mem::take(&mut *self.active());
        for (_, waker) in wakers {
            waker.wake();
        }
        self.run_queued();
    }

    /// Runs every queued task once the executor is closed: each only drops its future.
    ///
    /// A task dropped here may wake another (a future awaiting its handle, a channel's other
    /// end): that one is queued, and this loop runs it too. Scheduling it does not drain
    /// again on this thread ([`Draining`]): a chain of tasks, each dropping the one that
    /// awaits it, is run in a loop, not in nested drains (about 30 frames per task, which
    /// overflowed the stack at 10,000 tasks).
    fn drain(&self) {
        let Some(_draining) = Draining::enter(self) else {
            // This thread is draining this executor already, further up its stack.
            return;
        };
        self.run_queued();
    }

    /// [`drain`](Self::drain)'s loop, on a thread that entered [`Draining`].
    fn run_queued(&self) {
        loop {
            let mut ran = false;
            while let Ok(r) = self.queue.pop() {
                r.run();
                ran = true;
            }
            let locals: Vec<_> = self
                .local_queues
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            for local in locals {
                while let Some(r) = local.next.take() {
                    r.run();
                    ran = true;
                }
                while let Ok(r) = local.queue.pop() {
                    r.run();
                    ran = true;
                }
            }
            if !ran {
                return;
            }
        }
    }

    /// Wakes the task at `index` of the active set, if it is still there.
    fn wake(&self, index: usize) {
        let waker = self.active().get(index).cloned();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

thread_local! {
    /// The executors this thread is draining (`State::drain`), by address: usually none, one
    /// while a runtime is dropped.
    static DRAINING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// This thread's drain of one executor, until dropped.
struct Draining(usize);

impl Draining {
    /// Whether this thread is draining `state`.
    fn is_here(state: &State) -> bool {
        let me = ptr::from_ref(state).addr();
        DRAINING
            .try_with(|d| d.borrow().contains(&me))
            .unwrap_or(false)
    }

    /// `None` if this thread is draining `state` already. Where the thread-local is gone (a
    /// thread's last destructors), drains nest as before.
    fn enter(state: &State) -> Option<Draining> {
        let me = ptr::from_ref(state).addr();
        let entered = DRAINING.try_with(|d| {
            let mut d = d.borrow_mut();
            if d.contains(&me) {
                false
            } else {
                d.push(me);
                true
            }
        });
        match entered {
            Ok(false) => None,
            Ok(true) | Err(_) => Some(Draining(me)),
        }
    }
}

impl Drop for Draining {
    fn drop(&mut self) {
        let _ = DRAINING.try_with(|d| d.borrow_mut().retain(|&s| s != self.0));
    }
}

/// A pointer to the executor state, valid while the task it is the metadata of exists: the
/// task's schedule function, which async-task keeps in the same allocation until it frees
/// it, owns an `Arc` of it.
struct StateRef(*const State);

// SAFETY: `State` is `Send + Sync`; only shared references are made from the pointer.
#[allow(unsafe_code)]
unsafe impl Send for StateRef {}
// SAFETY: as above.
#[allow(unsafe_code)]
unsafe impl Sync for StateRef {}

/// A task's async-task metadata: 16 bytes. With the pointer its [`Guarded`] adds to the
/// future, a task takes 8 bytes more than on smol's executor (88 against 80 for a small
/// future: the same allocator size class).
struct Meta {
    state: StateRef,
    /// Its entry in [`State::active`].
    index: u32,
    /// Set by `abort()`: the next poll drops the future.
    aborted: AtomicBool,
    /// Whether the task's future was dropped: only its [`Guarded`] reads and writes it, in
    /// a poll or in its destructor, which async-task's own hand-offs order one after the
    /// other (so `Relaxed` is enough). Here rather than in `Guarded`, where it would take a
    /// word of its own.
    dropped: AtomicBool,
}

impl Meta {
    #[inline]
    #[allow(unsafe_code)]
    fn state(&self) -> &State {
        // SAFETY: see `StateRef`: `self` is the metadata of a task that exists.
        unsafe { &*self.state.0 }
    }
}

/// A task's future as the executor runs it (see the module docs): dropped in place, inside
/// `catch_unwind`, as soon as it completes or when its task is polled after an abort or the
/// executor's close.
struct Guarded<F> {
    /// Dropped in place once [`Meta::dropped`] is set.
    future: ManuallyDrop<F>,
    meta: *const Meta,
}

// SAFETY: `meta` is only read through `&Meta`, and `Meta` is `Sync`; `F` is `Send` where
// it is spawned.
#[allow(unsafe_code)]
unsafe impl<F: Send> Send for Guarded<F> {}

impl<F> Guarded<F> {
    /// # Safety
    ///
    /// `meta` outlives the returned future: it is the task's metadata.
    #[allow(unsafe_code)]
    unsafe fn new(future: F, meta: &Meta) -> Guarded<F> {
        Guarded {
            future: ManuallyDrop::new(future),
            meta,
        }
    }

    #[inline]
    #[allow(unsafe_code)]
    fn meta(&self) -> &Meta {
        // SAFETY: `new`'s contract.
        unsafe { &*self.meta }
    }

    /// Whether the future is still there.
    #[inline]
    fn live(&self) -> bool {
        !self.meta().dropped.load(Ordering::Relaxed)
    }

    /// Drops the future, if it is still there, and takes the task out of the active set: the
    /// payload if its destructor panicked.
    #[allow(unsafe_code)]
    fn finish(&mut self) -> Option<Payload> {
        let payload = if self.live() {
            self.meta().dropped.store(true, Ordering::Relaxed);
            let future = &mut self.future;
            panic::catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: dropped once (`dropped` is now set), in place (never moved: it may
                // be pinned), and never used again.
                unsafe { ManuallyDrop::drop(future) }
            }))
            .err()
        } else {
            None
        };
        let meta = self.meta();
        drop(meta.state().active().try_remove(meta.index as usize));
        payload
    }
}

impl<F: Future> Future for Guarded<F> {
    type Output = Outcome<F::Output>;

    #[inline]
    #[allow(unsafe_code)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is pinned structurally: it is never moved out (dropped in place),
        // and nothing else of `Guarded` is pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let meta = this.meta();
        // (Never polled again once it gave `Ready`: async-task does not.)
        if meta.aborted.load(Ordering::Acquire) || meta.state().is_closed() {
            return Poll::Ready(Err(this.finish()));
        }
        anyrt_core::coop::reset();
        // SAFETY: as above.
        let future = unsafe { Pin::new_unchecked(&mut *this.future) };
        match future.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(out) => {
                // The task that awaits this one is queued behind the others (see
                // `State::schedule`).
                Local::leave();
                // Dropped at once, as tokio does: a panic of its destructor is the task's.
                Poll::Ready(match this.finish() {
                    None => Ok(out),
                    Some(payload) => Err(Some(payload)),
                })
            }
        }
    }
}

impl<F> Drop for Guarded<F> {
    fn drop(&mut self) {
        // Reached with the future still there only after its poll panicked (async-task
        // caught that panic: it is the task's outcome), so a second payload is not kept.
        if self.live() {
            drop(self.finish());
        }
    }
}

/// A task's handle, as a [`JoinHandle`] holds it: the async-task handle, which the executor
/// never cancels (so it always ends with an [`Outcome`]); `None` once its output was taken.
struct Handle<T>(Option<async_task::Task<Outcome<T>, Meta>>);

impl<T: Send + 'static> RawTask<T> for Handle<T> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let Some(task) = self.0.as_mut() else {
            return Poll::Ready(Err(JoinError::cancelled()));
        };
        // A panic of the task is resumed here (`propagate_panic`) and caught again.
        let out = match panic::catch_unwind(AssertUnwindSafe(|| Pin::new(task).poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Ok(v))) => Ok(v),
            Ok(Poll::Ready(Err(None))) => Err(JoinError::cancelled()),
            Ok(Poll::Ready(Err(Some(payload)))) | Err(payload) => Err(JoinError::panic(payload)),
        };
        self.0 = None;
        Poll::Ready(out)
    }

    fn abort(&mut self) {
        let Some(task) = &self.0 else { return };
        if task.is_finished() {
            // A task that completed keeps its output.
            return;
        }
        let meta = task.metadata();
        meta.aborted.store(true, Ordering::Release);
        // Woken so that it is polled (and dropped) also if nothing else would wake it. Had
        // it finished meanwhile, its entry may be another task's now: a spurious wake-up.
        meta.state().wake(meta.index as usize);
    }

    fn is_finished(&self) -> bool {
        self.0.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl<T> Drop for Handle<T> {
    fn drop(&mut self) {
        // Detaches: dropping an async-task handle would cancel the task.
        if let Some(t) = self.0.take() {
            t.detach();
        }
    }
}

// ---- The scheduling below is async-executor 1.14's, with its own comments shortened. ----

struct Sleepers {
    /// Runners registered (sleeping or notified).
    count: usize,
    /// The wakers of the sleeping runners, with their ids.
    wakers: Vec<(usize, Waker)>,
    free_ids: Vec<usize>,
}

impl Sleepers {
    fn insert(&mut self, waker: &Waker) -> usize {
        let id = match self.free_ids.pop() {
            Some(id) => id,
            None => self.count + 1,
        };
        self.count += 1;
        self.wakers.push((id, waker.clone()));
        id
    }

    /// Updates a sleeping runner's waker; `false` if it was still sleeping (not notified).
    fn update(&mut self, id: usize, waker: &Waker) -> bool {
        for item in &mut self.wakers {
            if item.0 == id {
                item.1.clone_from(waker);
                return false;
            }
        }
        self.wakers.push((id, waker.clone()));
        true
    }

    /// Removes a runner; `true` if it had been notified.
    fn remove(&mut self, id: usize) -> bool {
        self.count -= 1;
        self.free_ids.push(id);
        for i in (0..self.wakers.len()).rev() {
            if self.wakers[i].0 == id {
                self.wakers.remove(i);
                return false;
            }
        }
        true
    }

    fn is_notified(&self) -> bool {
        self.count == 0 || self.count > self.wakers.len()
    }

    fn notify(&mut self) -> Option<Waker> {
        if self.wakers.len() == self.count {
            self.wakers.pop().map(|item| item.1)
        } else {
            None
        }
    }
}

/// A runner's place among the sleepers.
struct Ticker<'a> {
    state: &'a State,
    /// Its sleeper id; 0 when awake.
    sleeping: usize,
}

impl Ticker<'_> {
    fn sleep(&mut self, waker: &Waker) -> bool {
        let mut sleepers = self
            .state
            .sleepers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match self.sleeping {
            0 => self.sleeping = sleepers.insert(waker),
            id => {
                if !sleepers.update(id, waker) {
                    return false;
                }
            }
        }
        self.state
            .notified
            .store(sleepers.is_notified(), Ordering::Release);
        true
    }

    /// Leaves the sleepers, if among them: whether this runner had been notified.
    fn leave(&mut self) -> bool {
        if self.sleeping == 0 {
            return false;
        }
        let mut sleepers = self
            .state
            .sleepers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let notified = sleepers.remove(self.sleeping);
        self.state
            .notified
            .store(sleepers.is_notified(), Ordering::Release);
        self.sleeping = 0;
        notified
    }

    fn wake(&mut self) {
        self.leave();
    }

    /// The next task `search` finds, sleeping until it finds one: with whether it slept.
    async fn runnable_with(
        &mut self,
        mut search: impl FnMut() -> Option<Runnable<Meta>>,
    ) -> (Runnable<Meta>, bool) {
        std::future::poll_fn(|cx| loop {
            match search() {
                None => {
                    if !self.sleep(cx.waker()) {
                        return Poll::Pending;
                    }
                }
                Some(r) => {
                    let slept = self.sleeping != 0;
                    self.wake();
                    return Poll::Ready((r, slept));
                }
            }
        })
        .await
    }
}

impl Drop for Ticker<'_> {
    fn drop(&mut self) {
        // A notification this runner got passes to another one.
        if self.leave() {
            self.state.notify();
        }
    }
}

/// Tasks polled in a row from a runner's next slot before it takes one from its queues
/// (tokio's limit): two tasks waking each other do not keep the others waiting.
const NEXT_SLOT_POLLS: u32 = 3;

/// A thread running the executor: its queues.
struct Runner<'a> {
    state: &'a Arc<State>,
    ticker: Ticker<'a>,
    local: Arc<Local>,
    ticks: usize,
    /// Tasks taken from the next slot in a row.
    next_polls: u32,
}

impl<'a> Runner<'a> {
    fn new(state: &'a Arc<State>) -> Runner<'a> {
        let runner = Runner {
            state,
            ticker: Ticker { state, sleeping: 0 },
            local: Arc::new(Local {
                state: Arc::as_ptr(state).addr(),
                queue: ConcurrentQueue::bounded(512),
                next: Slot(AtomicPtr::new(ptr::null_mut())),
            }),
            ticks: 0,
            next_polls: 0,
        };
        state
            .local_queues
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(runner.local.clone());
        runner
    }

    /// Runs `runnable` with this runner as the thread's running one (see `State::schedule`).
    #[inline]
    fn run(&self, runnable: Runnable<Meta>) {
        let _running = Local::enter(&self.local);
        runnable.run();
    }

    async fn runnable(&mut self, rng: &mut fastrand::Rng) -> Runnable<Meta> {
        if let Some(r) = self.local.next.take() {
            if self.next_polls < NEXT_SLOT_POLLS {
                // Its waker's poll just returned: no other runner is woken for it.
                self.next_polls += 1;
                return r;
            }
            // Its turn comes after the queued tasks.
            self.local.push(self.state, r);
        }
        self.next_polls = 0;
        let (runnable, slept) = self
            .ticker
            .runnable_with(|| {
                if let Ok(r) = self.local.queue.pop() {
                    return Some(r);
                }
                if let Ok(r) = self.state.queue.pop() {
                    steal(&self.state.queue, &self.local.queue);
                    return Some(r);
                }
                if let Ok(local_queues) = self.state.local_queues.try_read() {
                    // From a random one on, each other runner once.
                    let n = local_queues.len();
                    let start = rng.usize(..n);
                    let others = local_queues
                        .iter()
                        .chain(local_queues.iter())
                        .skip(start)
                        .take(n)
                        .filter(|local| !Arc::ptr_eq(local, &self.local));
                    for local in others {
                        steal(&local.queue, &self.local.queue);
                        if let Ok(r) = self.local.queue.pop() {
                            return Some(r);
                        }
                        // A task woken by a poll that has not returned yet (it may run
                        // long).
                        if let Some(r) = local.next.take() {
                            return Some(r);
                        }
                    }
                }
                None
            })
            .await;
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks % 64 == 0 {
            // For fairness, the global queue's tasks get their turn.
            steal(&self.state.queue, &self.local.queue);
        }
        // Another runner picks up where this one leaves off, in case this task runs long:
        // if anything is left to pick up (what is queued later wakes a runner itself). A
        // runner that was woken passes the turn on also for what waits behind the other
        // runners (one busy in a long poll may hold tasks in its local queue that no one
        // was woken for); one that did not sleep looks at its own queues only, so a task
        // that keeps it busy wakes no one.
        if !self.local.queue.is_empty()
            || !self.state.queue.is_empty()
            || (slept && self.others_have_tasks())
        {
            self.state.notify();
        }
        runnable
    }

    /// Whether another runner's local queue or next slot holds a task.
    fn others_have_tasks(&self) -> bool {
        let locals = self
            .state
            .local_queues
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        locals
            .iter()
            .any(|local| !local.queue.is_empty() || !local.next.is_empty())
    }
}

impl Drop for Runner<'_> {
    fn drop(&mut self) {
        self.state
            .local_queues
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|local| !Arc::ptr_eq(local, &self.local));
        // Back to the global queue (or, once the executor is closed, dropped).
        if let Some(r) = self.local.next.take() {
            self.state.push_global(r, false);
        }
        while let Ok(r) = self.local.queue.pop() {
            self.state.push_global(r, false);
        }
        self.state.drop_if_closed(false);
        // A task this runner would have picked up (one woken while it ran, which wakes no
        // one) goes to another runner.
        if !self.state.queue.is_empty() {
            self.state.notify();
        }
    }
}

/// A runner's queues, which the other runners steal from and `close` drains.
struct Local {
    /// The address of the executor's [`State`], to tell its runners from other executors'.
    state: usize,
    queue: ConcurrentQueue<Runnable<Meta>>,
    /// The task woken last by the task this runner is polling: run next.
    next: Slot,
}

thread_local! {
    /// The runner whose task this thread is polling; null outside a poll.
    static RUNNING: Cell<*const Local> = const { Cell::new(ptr::null()) };
}

impl Local {
    /// Makes `local` the thread's running one until the guard is dropped.
    #[inline]
    fn enter(local: &Arc<Local>) -> Running {
        Running(RUNNING.replace(Arc::as_ptr(local)))
    }

    /// Makes the thread's poll no runner's for the rest of it: what it wakes is queued in
    /// the global queue.
    #[inline]
    fn leave() {
        RUNNING.set(ptr::null());
    }

    /// The runner of `state`'s executor whose task this thread is polling.
    #[inline]
    #[allow(unsafe_code)]
    fn running_here(state: &State) -> Option<&Local> {
        let local = RUNNING.get();
        if local.is_null() {
            return None;
        }
        // SAFETY: set by `enter` for the time of a poll, from an `Arc` that its runner keeps
        // beyond it: the guard restores the previous value when the poll ends.
        let local = unsafe { &*local };
        (local.state == ptr::from_ref(state).addr()).then_some(local)
    }

    /// Queues `runnable` in the local queue, or in the global one when it is full.
    fn push(&self, state: &State, runnable: Runnable<Meta>) {
        if let Err(e) = self.queue.push(runnable) {
            state.push_global(e.into_inner(), false);
        }
    }
}

/// Restores the thread's previous running runner.
struct Running(*const Local);

impl Drop for Running {
    #[inline]
    fn drop(&mut self) {
        RUNNING.set(self.0);
    }
}

/// A place for one task: an async-task `Runnable` as its raw pointer, or null.
struct Slot(AtomicPtr<()>);

impl Slot {
    /// Puts `runnable` in, giving the one it displaces.
    #[inline]
    fn replace(&self, runnable: Runnable<Meta>) -> Option<Runnable<Meta>> {
        let old = self.0.swap(runnable.into_raw().as_ptr(), Ordering::AcqRel);
        Slot::from_raw(old)
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.0.load(Ordering::Relaxed).is_null()
    }

    /// Takes the task out, if there is one.
    #[inline]
    fn take(&self) -> Option<Runnable<Meta>> {
        if self.is_empty() {
            return None;
        }
        Slot::from_raw(self.0.swap(ptr::null_mut(), Ordering::AcqRel))
    }

    #[inline]
    #[allow(unsafe_code)]
    fn from_raw(raw: *mut ()) -> Option<Runnable<Meta>> {
        // SAFETY: every non-null pointer in the slot comes from `Runnable::into_raw` and is
        // swapped out once: it is turned back into its `Runnable` once.
        NonNull::new(raw).map(|raw| unsafe { Runnable::from_raw(raw) })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Emptied by its runner when it leaves; a task left here would be lost otherwise.
        if let Some(r) = self.take() {
            r.schedule();
        }
    }
}

/// Moves half of `src` (rounded up, as much as fits) to `dest`.
fn steal<T>(src: &ConcurrentQueue<T>, dest: &ConcurrentQueue<T>) {
    let mut count = src.len().div_ceil(2);
    if count > 0 {
        if let Some(cap) = dest.capacity() {
            count = count.min(cap - dest.len());
        }
        for _ in 0..count {
            let Ok(t) = src.pop() else { break };
            assert!(dest.push(t).is_ok(), "a local queue overflowed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use event_listener::Event;
    use std::sync::atomic::AtomicUsize;
    use std::thread;
    use std::time::{Duration, Instant};

    fn sleeping_runners(pool: &Pool) -> usize {
        pool.state.sleepers.lock().unwrap().wakers.len()
    }

    /// Waits (at most 10 s) until `n` runners sleep.
    fn until_asleep(pool: &Pool, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while sleeping_runners(pool) < n {
            assert!(Instant::now() < deadline, "the runners never went to sleep");
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// A thread running `pool` until `stopped` is set and `stop` notified.
    fn runner(
        pool: &Arc<Pool>,
        stop: &Arc<Event>,
        stopped: &Arc<AtomicBool>,
    ) -> thread::JoinHandle<()> {
        let (pool, stop, stopped) = (pool.clone(), stop.clone(), stopped.clone());
        thread::spawn(move || {
            async_io::block_on(pool.run(async {
                while !stopped.load(Ordering::Acquire) {
                    let listener = stop.listen();
                    if stopped.load(Ordering::Acquire) {
                        break;
                    }
                    listener.await;
                }
            }))
        })
    }

    /// Runs `tasks` on a pool of `n` runners that sleep when they start (waiting for each
    /// task, at most 30 s): how many times a sleeping runner was woken meanwhile.
    fn runners_woken_by<F>(n: usize, tasks: impl FnOnce(&Arc<Pool>) -> Vec<JoinHandle<F>>) -> usize
    where
        F: Send + 'static,
    {
        let pool = Arc::new(Pool::new());
        let stop = Arc::new(Event::new());
        let stopped = Arc::new(AtomicBool::new(false));
        let runners: Vec<_> = (0..n).map(|_| runner(&pool, &stop, &stopped)).collect();
        until_asleep(&pool, n);
        let before = pool.state.runners_woken.load(Ordering::Relaxed);
        for task in tasks(&pool) {
            let deadline = async_io::Timer::after(Duration::from_secs(30));
            let out = async_io::block_on(futures_lite::FutureExt::or(
                async { Some(task.await) },
                async {
                    deadline.await;
                    None
                },
            ));
            assert!(out.expect("a task did not end in 30 s").is_ok());
        }
        let woken = pool.state.runners_woken.load(Ordering::Relaxed) - before;
        stopped.store(true, Ordering::Release);
        stop.notify(usize::MAX);
        for r in runners {
            r.join().unwrap();
        }
        woken
    }

    /// A task that yields (or spends its co-op budget) stays on its runner while the other
    /// runner is busy with a yielding task of its own: in the global queue, the other runner
    /// took it at its next look there (at least one tick in 64), and a channel's receiver
    /// went from thread to thread, away from the senders it had woken.
    #[test]
    fn a_yielding_task_stays_on_its_runner_while_the_other_is_busy() {
        const YIELDS: usize = 20_000;
        let pool = Arc::new(Pool::new());
        let stop = Arc::new(Event::new());
        let stopped = Arc::new(AtomicBool::new(false));
        let runners: Vec<_> = (0..2).map(|_| runner(&pool, &stop, &stopped)).collect();
        until_asleep(&pool, 2);
        let done = Arc::new(AtomicBool::new(false));
        // Keeps the other runner busy: yields until the first task is done.
        let busy = pool.spawn({
            let done = done.clone();
            async move {
                while !done.load(Ordering::Acquire) {
                    futures_lite::future::yield_now().await;
                }
            }
        });
        // Started once the busy task runs, on the other runner.
        let started = Instant::now();
        while sleeping_runners(&pool) > 1 {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no runner woke"
            );
            thread::sleep(Duration::from_millis(1));
        }
        let moves = pool.spawn({
            let done = done.clone();
            async move {
                let mut moves = 0;
                let mut here = thread::current().id();
                for _ in 0..YIELDS {
                    futures_lite::future::yield_now().await;
                    let now = thread::current().id();
                    moves += usize::from(now != here);
                    here = now;
                }
                done.store(true, Ordering::Release);
                moves
            }
        });
        let deadline = async_io::Timer::after(Duration::from_secs(30));
        let out = async_io::block_on(futures_lite::FutureExt::or(
            async { Some((moves.await, busy.await)) },
            async {
                deadline.await;
                None
            },
        ));
        done.store(true, Ordering::Release);
        stopped.store(true, Ordering::Release);
        stop.notify(usize::MAX);
        for r in runners {
            r.join().unwrap();
        }
        let (moves, busy) = out.expect("the tasks did not end in 30 s");
        busy.unwrap();
        let moves = moves.unwrap();
        // A steal is rare (the other runner's own queue is never empty); the global queue
        // gave one move per 64 ticks or more (hundreds here).
        assert!(
            moves < YIELDS / 200,
            "a yielding task moved between runners {moves} times in {YIELDS} yields"
        );
    }

    #[test]
    fn a_lone_yielding_task_wakes_no_other_runner() {
        const YIELDS: usize = 20_000;
        let woken = runners_woken_by(2, |pool| {
            vec![pool.spawn(async {
                for _ in 0..YIELDS {
                    futures_lite::future::yield_now().await;
                }
            })]
        });
        // The spawn wakes one runner; a yield is picked up by the runner that polled the task
        // (async-executor's rule woke the other runner at nearly every yield).
        assert!(
            woken <= 4,
            "{woken} sleeping runners woken for one task yielding {YIELDS} times"
        );
    }

    /// Waits until `turn` is `mine` (0 or 1) modulo 2.
    async fn my_turn(turn: &AtomicUsize, mine: usize, event: &Event) {
        while turn.load(Ordering::Acquire) % 2 != mine {
            let listener = event.listen();
            if turn.load(Ordering::Acquire) % 2 == mine {
                break;
            }
            listener.await;
        }
    }

    #[test]
    fn two_tasks_taking_turns_wake_no_other_runner() {
        const TURNS: usize = 20_000;
        let woken = runners_woken_by(2, |pool| {
            let turn = Arc::new(AtomicUsize::new(0));
            let events = Arc::new([Event::new(), Event::new()]);
            (0..2)
                .map(|mine| {
                    let (turn, events) = (turn.clone(), events.clone());
                    pool.spawn(async move {
                        for _ in 0..TURNS / 2 {
                            my_turn(&turn, mine, &events[mine]).await;
                            turn.fetch_add(1, Ordering::AcqRel);
                            events[1 - mine].notify(1);
                        }
                    })
                })
                .collect()
        });
        // The spawns wake a runner each; the task woken by the other runs next on the same
        // runner (a wake-up of the other runner at nearly every turn before).
        assert!(
            woken <= 6,
            "{woken} sleeping runners woken for two tasks taking {TURNS} turns"
        );
    }

    #[test]
    fn two_tasks_taking_turns_leave_the_others_their_turn() {
        // One runner: the task that ends the turns runs only if the two taking turns do
        // not keep the runner to themselves through its next slot.
        runners_woken_by(1, |pool| {
            let turn = Arc::new(AtomicUsize::new(0));
            let events = Arc::new([Event::new(), Event::new()]);
            let stop = Arc::new(AtomicBool::new(false));
            let mut tasks: Vec<_> = (0..2)
                .map(|mine| {
                    let (turn, events, stop) = (turn.clone(), events.clone(), stop.clone());
                    pool.spawn(async move {
                        loop {
                            my_turn(&turn, mine, &events[mine]).await;
                            turn.fetch_add(1, Ordering::AcqRel);
                            events[1 - mine].notify(1);
                            if stop.load(Ordering::Acquire) {
                                break;
                            }
                        }
                    })
                })
                .collect();
            tasks.push(pool.spawn(async move { stop.store(true, Ordering::Release) }));
            tasks
        });
    }

    /// Blocks its thread until `n` probes run at once (at most 2 s): whether they did.
    fn probe(running: &AtomicUsize, n: usize) -> bool {
        running.fetch_add(1, Ordering::AcqRel);
        let deadline = Instant::now() + Duration::from_secs(2);
        while running.load(Ordering::Acquire) < n {
            if Instant::now() > deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(1));
        }
        true
    }

    #[test]
    fn tasks_queued_behind_a_blocked_runner_wake_the_sleeping_ones() {
        // Four runners; a task spawns three that block, then blocks itself until all four
        // run at once. The first runner woken takes one and moves another to its local
        // queue, so the last sleeping runner is woken only if the runner woken after it
        // passes the turn on although its own queues are empty.
        runners_woken_by(4, |pool| {
            let pool2 = pool.clone();
            let running = Arc::new(AtomicUsize::new(0));
            vec![pool.spawn(async move {
                let probes: Vec<_> = (0..3)
                    .map(|_| {
                        let running = running.clone();
                        pool2.spawn(async move { probe(&running, 4) })
                    })
                    .collect();
                let all = probe(&running, 4);
                for p in probes {
                    assert!(
                        p.await.unwrap() && all,
                        "four tasks never ran at once on four runners"
                    );
                }
            })]
        });
    }

    #[test]
    fn a_task_joining_many_is_queued_behind_them() {
        // One runner: a task that spawns 100 and joins them in order is woken by the first
        // one's end; queued behind the other 99, it finds them all finished. Run next, it
        // would wait for each of them in turn (100 polls).
        let polls = Arc::new(AtomicUsize::new(0));
        let counted = polls.clone();
        runners_woken_by(1, move |pool| {
            let pool2 = pool.clone();
            let mut joins = Box::pin(async move {
                let children: Vec<_> = (0..100).map(|i| pool2.spawn(async move { i })).collect();
                for (i, child) in children.into_iter().enumerate() {
                    assert_eq!(child.await.unwrap(), i);
                }
            });
            let counting = std::future::poll_fn(move |cx| {
                counted.fetch_add(1, Ordering::Relaxed);
                joins.as_mut().poll(cx)
            });
            vec![pool.spawn(counting)]
        });
        let polls = polls.load(Ordering::Relaxed);
        assert!(polls <= 3, "the joining task was polled {polls} times");
    }

    /// Awaits `task` on this thread, at most 10 s: whether it ended.
    fn ends_within_10s<T>(task: JoinHandle<T>) -> bool {
        async_io::block_on(futures_lite::FutureExt::or(
            async {
                let _ = task.await;
                true
            },
            async {
                async_io::Timer::after(Duration::from_secs(10)).await;
                false
            },
        ))
    }

    /// A wake that races the close (another thread wakes a waiting task after the executor
    /// is marked closed, before `close` wakes it) must not drop the task inside `wake()`:
    /// the waker's caller may hold a lock the task's destructor takes (event-listener
    /// notifies under its own lock, and here the caller holds one of its own too).
    #[test]
    fn a_wake_racing_the_close_drops_the_task_outside_the_wakers_locks() {
        struct TakesLock(Arc<Mutex<()>>);
        impl Drop for TakesLock {
            fn drop(&mut self) {
                drop(self.0.lock());
            }
        }
        let pool = Arc::new(Pool::new());
        let lock = Arc::new(Mutex::new(()));
        let gate = Arc::new(Event::new());
        let task = pool.spawn({
            let (gate, lock) = (gate.clone(), lock.clone());
            async move {
                let _takes_lock = TakesLock(lock);
                gate.listen().await;
            }
        });
        // Polled once by hand: the task waits on the gate.
        pool.state.queue.pop().unwrap().run();
        let woke = Arc::new(AtomicBool::new(false));
        *pool.state.after_close_flag.lock().unwrap() = Some(Box::new({
            let woke = woke.clone();
            move || {
                let (done_tx, done_rx) = std::sync::mpsc::channel();
                thread::spawn(move || {
                    let guard = lock.lock();
                    gate.notify(usize::MAX);
                    drop(guard);
                    let _ = done_tx.send(());
                });
                // A wake that ran the task's destructor under the locks never returns.
                let returned = done_rx.recv_timeout(Duration::from_secs(10)).is_ok();
                woke.store(returned, Ordering::SeqCst);
            }
        }));
        pool.close();
        assert!(
            woke.load(Ordering::SeqCst),
            "a wake racing the close dropped the task under the waker's locks (deadlock)"
        );
        assert!(ends_within_10s(task), "the task was never dropped");
    }

    /// The pool's own tasks are async-task's, whose state machine uses std's atomics: a loom
    /// model cannot see into them. What the pool adds around them (the closed flag against a
    /// spawn or a wake, the drain) is checked here instead, by racing them on real threads
    /// for many rounds: every task ends, none is left queued on a closed pool.
    #[test]
    fn every_task_ends_when_close_races_spawns_and_wakes() {
        for round in 0..300 {
            let pool = Arc::new(Pool::new());
            let stop = Arc::new(Event::new());
            let stopped = Arc::new(AtomicBool::new(false));
            let runner = runner(&pool, &stop, &stopped);
            let gate = Arc::new(Event::new());
            let waiting: Vec<_> = (0..16)
                .map(|_| {
                    let gate = gate.clone();
                    pool.spawn(async move { gate.listen().await })
                })
                .collect();
            // Spawns and wakes on one thread while this one closes the pool.
            let racer = {
                let (pool, gate) = (pool.clone(), gate.clone());
                thread::spawn(move || {
                    let mut spawned = Vec::new();
                    for i in 0..16 {
                        spawned.push(pool.spawn(async move { i }));
                        if i % 4 == 0 {
                            gate.notify(usize::MAX);
                        }
                    }
                    spawned
                })
            };
            for _ in 0..round % 50 {
                std::hint::spin_loop();
            }
            pool.close();
            let spawned = racer.join().unwrap();
            for (i, task) in waiting.into_iter().enumerate() {
                assert!(
                    ends_within_10s(task),
                    "round {round}: waiting task {i} never ended"
                );
            }
            for (i, task) in spawned.into_iter().enumerate() {
                assert!(
                    ends_within_10s(task),
                    "round {round}: spawned task {i} never ended"
                );
            }
            stopped.store(true, Ordering::Release);
            stop.notify(usize::MAX);
            runner.join().unwrap();
        }
    }
}
