//! The thread-local executor behind `spawn_local`, shared by every backend.
//!
//! Each backend's `block_on` runs its future in a [`scope`]. The scope costs two
//! thread-local stores per poll until the first `spawn_local` inside it creates a local
//! executor; that executor is then driven alongside the future, and dropped (cancelling the
//! tasks still pending) when the scope ends, i.e. when the `block_on` returns.
//!
//! The scope publishes only its nesting depth, not a pointer to itself: taking the address
//! of the future's own state on every poll costs the ready path about 10 ns (measured), as
//! the optimiser can no longer keep it in registers. The executors live in a thread-local
//! list keyed by that depth.
//!
//! ```
//! use anyrt_core::task::local::{scope, try_spawn_local};
//! use futures_lite::future::block_on;
//!
//! // Scopes nest: each `block_on` has its own local executor.
//! scope(
//!     async {
//!         let outer = try_spawn_local(async { "outer" }).unwrap();
//!         let inner = scope(
//!             async { try_spawn_local(async { "inner" }).unwrap().await.unwrap() },
//!             block_on,
//!         );
//!         assert_eq!((outer.await.unwrap(), inner), ("outer", "inner"));
//!     },
//!     block_on,
//! );
//!
//! // The scope ended, and its pending local task with it.
//! let pending = scope(async { try_spawn_local(std::future::pending::<()>()).unwrap() }, block_on);
//! assert!(block_on(pending).unwrap_err().is_cancelled());
//! ```

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};

use async_task::Runnable;

use crate::loom::sync::{Mutex, MutexGuard};

use super::drop_panic::{CatchDropPanic, DropPanic};
use super::JoinHandle;

/// How many local tasks one poll of a scope runs before it lets the scope's own future (and
/// the runtime under the `block_on`) have a turn.
const RUNS_PER_POLL: usize = 128;

struct Entry {
    depth: u32,
    executor: Rc<LocalExecutor>,
}

/// A single-threaded executor on async-task: a run queue that wakes may fill from any thread
/// (a local task's waker can travel), and the wakers of the live tasks, so that dropping the
/// executor can cancel every task still pending, scheduled or not.
struct LocalExecutor {
    queue: Arc<Queue>,
    // Slot `i` holds the waker of a live task, `None` once it has finished; `free` lists the
    // empty slots.
    active: RefCell<Vec<Option<Waker>>>,
    free: RefCell<Vec<usize>>,
}

/// The run queue of a [`LocalExecutor`], which a task's waker fills from any thread, and the
/// waker of the `block_on` that drives it. Generic over what it queues for its loom models.
struct Queue<R = Runnable<DropPanic>> {
    runnables: Mutex<VecDeque<R>>,
    // The waker of the `block_on` whose scope drives this executor, woken by a schedule.
    driver: Mutex<Option<Waker>>,
}

impl<R> Queue<R> {
    fn new() -> Queue<R> {
        Queue {
            runnables: Mutex::new(VecDeque::new()),
            driver: Mutex::new(None),
        }
    }

    /// Queues `runnable`, then wakes the driver: either the driver's next look at the queue
    /// (after it registered) finds it, or the driver registered before and is woken.
    fn push(&self, runnable: R) {
        lock(&self.runnables).push_back(runnable);
        let driver = lock(&self.driver).clone();
        if let Some(driver) = driver {
            driver.wake();
        }
    }

    /// Registers the driver's waker; the caller looks at the queue after.
    fn register_driver(&self, waker: &Waker) {
        let mut driver = lock(&self.driver);
        if !driver.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *driver = Some(waker.clone());
        }
    }

    fn take(&self) -> VecDeque<R> {
        mem::take(&mut *lock(&self.runnables))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LocalExecutor {
    fn new() -> LocalExecutor {
        LocalExecutor {
            queue: Arc::new(Queue::new()),
            active: RefCell::new(Vec::new()),
            free: RefCell::new(Vec::new()),
        }
    }

    fn spawn<F>(self: &Rc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let slot = match self.free.borrow_mut().pop() {
            Some(slot) => slot,
            None => {
                let mut active = self.active.borrow_mut();
                active.push(None);
                active.len() - 1
            }
        };
        // The slot is freed when the future is dropped: at completion or cancellation, on
        // this thread (async-task drops a local future where it was spawned). Weakly: the
        // scope's drop of the last strong reference is what cancels the tasks.
        let this = Rc::downgrade(self);
        let future = OnDrop {
            future,
            on_drop: Some(move || {
                if let Some(executor) = this.upgrade() {
                    executor.release(slot);
                }
            }),
        };
        let queue = self.queue.clone();
        // `propagate_panic`: a panic is caught where the task is polled and resumed at join,
        // where the `JoinHandle` turns it into a `JoinError`. A panic of the future's
        // destructor (at abort, or when the scope ends) is caught into the metadata and given
        // by the handle too: async-task would abort the process.
        #[allow(unsafe_code)]
        let (runnable, task) = async_task::Builder::new()
            .metadata(DropPanic::new())
            .propagate_panic(true)
            .spawn_local(
                // SAFETY: the metadata outlives the future (async-task drops it first).
                move |slot| unsafe { CatchDropPanic::new(future, slot) },
                move |r| queue.push(r),
            );
        self.active.borrow_mut()[slot] = Some(runnable.waker());
        runnable.schedule();
        JoinHandle::from_async_task_catching(task)
    }

    fn release(&self, slot: usize) {
        if let Some(waker) = self.active.borrow_mut().get_mut(slot) {
            *waker = None;
            self.free.borrow_mut().push(slot);
        }
    }

    /// Runs the scheduled tasks, at most [`RUNS_PER_POLL`]; asks to be polled again if some
    /// are left.
    fn run(&self, cx: &mut Context<'_>, seeded: bool) {
        self.queue.register_driver(cx.waker());
        // Under a backend that replays a seeded schedule, a poll runs a seeded number of the
        // ready tasks (at least one) and leaves the rest for a later poll: the tasks the
        // schedule runs in between (and the `block_on` future) interleave with them.
        let mut budget = if seeded {
            1 + crate::rand::below(3) as usize
        } else {
            RUNS_PER_POLL
        };
        loop {
            let mut batch = self.queue.take();
            if batch.is_empty() {
                return;
            }
            while let Some(runnable) = batch.pop_front() {
                if budget == 0 {
                    // Back to the front of the queue, in order, for the next poll.
                    let mut queue = lock(&self.queue.runnables);
                    batch.push_front(runnable);
                    batch.append(&mut queue);
                    *queue = batch;
                    drop(queue);
                    cx.waker().wake_by_ref();
                    return;
                }
                budget -= 1;
                runnable.run();
            }
        }
    }
}

impl Drop for LocalExecutor {
    fn drop(&mut self) {
        // Wake every live task, so that each is in the queue, then drop the queue: dropping a
        // `Runnable` cancels its task and drops its future here, on its own thread. The
        // destructors may spawn or wake: nothing is borrowed meanwhile.
        *lock(&self.queue.driver) = None;
        let wakers: Vec<Waker> = self.active.take().into_iter().flatten().collect();
        for waker in wakers {
            waker.wake();
        }
        loop {
            let batch = self.queue.take();
            if batch.is_empty() {
                break;
            }
            drop(batch);
        }
    }
}

pin_project_lite::pin_project! {
    /// A future that calls `on_drop` when it is dropped (completed or not).
    struct OnDrop<F, D: FnOnce()> {
        #[pin]
        future: F,
        on_drop: Option<D>,
    }

    impl<F, D: FnOnce()> PinnedDrop for OnDrop<F, D> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(f) = this.project().on_drop.take() {
                f();
            }
        }
    }
}

impl<F: Future, D: FnOnce()> Future for OnDrop<F, D> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}

// Three thread-locals rather than one struct: the two counters have no destructor, so
// reading them on every poll is a plain load (a thread-local with a destructor checks its
// registration on each access).
thread_local! {
    /// How many scopes are being polled on this thread, nested; 0 outside any scope.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Whether `ENTRIES` is non-empty.
    static ANY: Cell<bool> = const { Cell::new(false) };
    static ENTRIES: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// Runs `run(scope)`, where `scope` is `future` with a local executor available to
/// `spawn_local` (created lazily, at the first `spawn_local`). Local tasks still pending
/// when `run` returns (or unwinds) are dropped; their handles give a cancelled `JoinError`.
///
/// Backends call it around the future of every `block_on`, with their `block_on` as `run`:
/// `run` must poll the scope on the calling thread (the scope is not `Send`). The cleanup
/// lives in this call rather than in the scope's destructor: a future with no destructor
/// keeps the ready path of a `block_on` about 3 ns shorter (measured on smol).
///
/// ```
/// use anyrt_core::task::local::{scope, try_spawn_local};
/// use futures_lite::future::block_on;
/// use std::rc::Rc;
///
/// // What a backend's `block_on` does with the caller's future.
/// let out = scope(
///     async {
///         let shared = Rc::new(20); // not `Send`: fine for a local task
///         let h = try_spawn_local(async move { *shared + 1 }).unwrap();
///         h.await.unwrap() * 2
///     },
///     block_on,
/// );
/// assert_eq!(out, 42);
/// ```
#[inline]
pub fn scope<F: Future, R>(future: F, run: impl FnOnce(LocalScope<F>) -> R) -> R {
    let end = ScopeEnd {
        depth: DEPTH.with(Cell::get) + 1,
    };
    run(LocalScope {
        future,
        depth: end.depth,
        _not_send: PhantomData,
    })
}

/// Drops the local executor of the scope at `depth` (and of any deeper one), if there is one.
struct ScopeEnd {
    depth: u32,
}

impl Drop for ScopeEnd {
    #[inline]
    fn drop(&mut self) {
        if ANY.with(Cell::get) {
            drop_executor(self.depth);
        }
    }
}

pin_project_lite::pin_project! {
    /// A future run with a local executor available to `spawn_local`: made by [`scope`],
    /// which drops the executor when its `run` returns.
    pub struct LocalScope<F> {
        #[pin]
        future: F,
        // Where this scope's executor is filed: one more than the depth of the scopes being
        // polled when it was made.
        depth: u32,
        // Polled on the thread whose executors it names.
        _not_send: PhantomData<*const ()>,
    }
}

impl<F: Future> Future for LocalScope<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let depth = *this.depth;
        let _leave = Leave {
            prev: DEPTH.with(|d| d.replace(depth)),
        };
        crate::coop::reset();
        // Under a seeded schedule the local tasks go first in half the polls, so that a
        // local task and the future that spawned it run in either order. (The thread-locals
        // are read only once a local executor exists: a plain `block_on` pays nothing.)
        if ANY.with(Cell::get) && crate::rand::interleaving() && crate::rand::below(2) == 0 {
            drive(depth, cx, true);
        }
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(v);
        }
        if ANY.with(Cell::get) {
            drive(depth, cx, crate::rand::interleaving());
        }
        Poll::Pending
    }
}

struct Leave {
    prev: u32,
}

impl Drop for Leave {
    #[inline]
    fn drop(&mut self) {
        let prev = self.prev;
        DEPTH.with(|d| d.set(prev));
    }
}

/// Polls the driver of the executor filed at `depth`: it runs the local tasks that are ready
/// and registers `cx`'s waker for the rest. A local task that wakes the main future wakes
/// `cx`.
#[cold]
fn drive(depth: u32, cx: &mut Context<'_>, seeded: bool) {
    // Cloned out of the list while it runs: local tasks may spawn more local tasks, which
    // borrows the list.
    let executor = ENTRIES.with(|entries| {
        entries
            .borrow()
            .iter()
            .find(|e| e.depth == depth)
            .map(|e| e.executor.clone())
    });
    if let Some(executor) = executor {
        executor.run(cx, seeded);
    }
}

#[cold]
fn drop_executor(depth: u32) {
    let removed: Vec<Entry> = ENTRIES.with(|entries| {
        let mut entries = entries.borrow_mut();
        let (gone, kept) = entries.drain(..).partition(|e| e.depth >= depth);
        *entries = kept;
        ANY.with(|any| any.set(!entries.is_empty()));
        gone
    });
    // Dropped outside the borrow: dropping an executor drops its tasks, whose destructors
    // may touch the list.
    drop(removed);
}

impl<F: fmt::Debug> fmt::Debug for LocalScope<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalScope")
            .field("future", &self.future)
            .finish_non_exhaustive()
    }
}

/// The error of `spawn_local` called where no local executor can run the task.
///
/// ```
/// let err = anyrt::try_spawn_local(async {}).unwrap_err(); // a plain thread
/// assert!(err.to_string().contains("anyrt::spawn for a Send future"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SpawnLocalError;

impl fmt::Display for SpawnLocalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "anyrt::spawn_local called outside a local context: it works inside anyrt::block_on, \
             Runtime::block_on, #[anyrt::test] and #[anyrt::main] bodies and in tasks spawned by \
             spawn_local. Call it from there, or use anyrt::spawn for a Send future",
        )
    }
}

impl std::error::Error for SpawnLocalError {}

/// Spawns a `!Send` future on the calling thread's local executor.
///
/// Errors outside a [`scope`] (a plain thread, or a task spawned with `spawn`).
///
/// ```
/// use anyrt_core::task::local::{scope, try_spawn_local};
///
/// assert!(try_spawn_local(async {}).is_err()); // no scope on a plain thread
/// let run = async {
///     let h = try_spawn_local(async { 1 }).unwrap();
///     assert_eq!(h.await.unwrap(), 1);
/// };
/// scope(run, futures_lite::future::block_on);
/// ```
pub fn try_spawn_local<F>(future: F) -> Result<JoinHandle<F::Output>, SpawnLocalError>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let depth = DEPTH.with(Cell::get);
    if depth == 0 {
        return Err(SpawnLocalError);
    }
    let executor = ENTRIES.with(|entries| {
        let mut entries = entries.borrow_mut();
        if let Some(e) = entries.iter().find(|e| e.depth == depth) {
            return e.executor.clone();
        }
        let executor = Rc::new(LocalExecutor::new());
        entries.push(Entry {
            depth,
            executor: executor.clone(),
        });
        ANY.with(|any| any.set(true));
        executor
    });
    Ok(executor.spawn(future))
}

#[cfg(all(test, loom))]
mod loom_local {
    //! loom models of the local executor's cross-thread wake: a local task's waker, woken
    //! on another thread, queues the task and wakes the `block_on` that drives the executor.

    use std::task::Poll;

    use loom::future::block_on;
    use loom::sync::Arc;
    use loom::thread;

    use super::Queue;

    /// Drives `queue` as `LocalExecutor::run` does until it took `n` items.
    fn drive(queue: &Queue<u32>, n: usize) -> Vec<u32> {
        let mut got = Vec::new();
        block_on(std::future::poll_fn(|cx| {
            queue.register_driver(cx.waker());
            got.extend(queue.take());
            if got.len() == n {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
        got
    }

    #[test]
    fn loom_local_a_wake_from_another_thread_reaches_the_driver() {
        loom::model(|| {
            let queue = Arc::new(Queue::new());
            let q = queue.clone();
            let t = thread::spawn(move || q.push(1));
            assert_eq!(drive(&queue, 1), [1]);
            t.join().unwrap();
        });
    }

    #[test]
    fn loom_local_wakes_from_two_threads_reach_the_driver() {
        loom::model(|| {
            let queue = Arc::new(Queue::new());
            let pushers: Vec<_> = (0..2)
                .map(|v| {
                    let q = queue.clone();
                    thread::spawn(move || q.push(v))
                })
                .collect();
            let mut got = drive(&queue, 2);
            got.sort_unstable();
            assert_eq!(got, [0, 1]);
            for p in pushers {
                p.join().unwrap();
            }
        });
    }
}
