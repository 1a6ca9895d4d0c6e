//! The thread-local executor behind `spawn_local`, shared by every backend.
//!
//! Each backend's `block_on` wraps its future in a [`LocalScope`]. The scope costs two
//! thread-local counter updates per poll until the first `spawn_local` inside it creates a
//! local executor; that executor is then driven alongside the future, and dropped
//! (cancelling the tasks still pending) when the scope is dropped, i.e. when the `block_on`
//! returns.
//!
//! The scope publishes only its nesting depth, not a pointer to itself: taking the address
//! of the future's own state on every poll costs the ready path about 10 ns (measured), as
//! the optimiser can no longer keep it in registers. The executors live in a thread-local
//! list keyed by that depth.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use async_executor::LocalExecutor;

use super::JoinHandle;

struct Entry {
    depth: u32,
    executor: Rc<LocalExecutor<'static>>,
    driver: Option<Pin<Box<dyn Future<Output = ()>>>>,
}

struct Locals {
    /// How many scopes are being polled on this thread, nested; 0 outside any scope.
    depth: Cell<u32>,
    /// Whether `entries` is non-empty (read on every poll without borrowing the list).
    any: Cell<bool>,
    entries: RefCell<Vec<Entry>>,
}

thread_local! {
    static LOCALS: Locals = const {
        Locals {
            depth: Cell::new(0),
            any: Cell::new(false),
            entries: RefCell::new(Vec::new()),
        }
    };
}

pin_project_lite::pin_project! {
    /// Runs a future with a local executor available to `spawn_local` (created lazily).
    ///
    /// Backends wrap the future of every `block_on` in one. Local tasks still pending when
    /// the scope is dropped are dropped too; their handles give a cancelled `JoinError`.
    pub struct LocalScope<F> {
        #[pin]
        future: F,
        // The depth this scope was last polled at, 0 if never: where its executor is filed.
        depth: u32,
    }

    impl<F> PinnedDrop for LocalScope<F> {
        fn drop(this: Pin<&mut Self>) {
            let depth = this.depth;
            if depth != 0 && LOCALS.with(|l| l.any.get()) {
                drop_executor(depth);
            }
        }
    }
}

impl<F> LocalScope<F> {
    /// Wraps `future`.
    pub fn new(future: F) -> Self {
        LocalScope { future, depth: 0 }
    }
}

impl<F: Future> Future for LocalScope<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let depth = LOCALS.with(|l| {
            let d = l.depth.get() + 1;
            l.depth.set(d);
            d
        });
        *this.depth = depth;
        let _leave = Leave;
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(v);
        }
        if LOCALS.with(|l| l.any.get()) {
            drive(depth, cx);
        }
        Poll::Pending
    }
}

struct Leave;

impl Drop for Leave {
    #[inline]
    fn drop(&mut self) {
        LOCALS.with(|l| l.depth.set(l.depth.get() - 1));
    }
}

/// Polls the driver of the executor filed at `depth`: it runs the local tasks that are ready
/// and registers `cx`'s waker for the rest. A local task that wakes the main future wakes
/// `cx`.
#[cold]
fn drive(depth: u32, cx: &mut Context<'_>) {
    // Take the driver out while it runs: local tasks may spawn more local tasks, which
    // borrows the list.
    let driver = LOCALS.with(|l| {
        l.entries
            .borrow_mut()
            .iter_mut()
            .find(|e| e.depth == depth)
            .and_then(|e| e.driver.take())
    });
    let Some(mut driver) = driver else { return };
    let _ = driver.as_mut().poll(cx);
    LOCALS.with(|l| {
        if let Some(e) = l.entries.borrow_mut().iter_mut().find(|e| e.depth == depth) {
            e.driver = Some(driver);
        }
    });
}

#[cold]
fn drop_executor(depth: u32) {
    let removed: Vec<Entry> = LOCALS.with(|l| {
        let mut entries = l.entries.borrow_mut();
        let (gone, kept) = entries.drain(..).partition(|e| e.depth >= depth);
        *entries = kept;
        l.any.set(!entries.is_empty());
        gone
    });
    // Dropped outside the borrow: dropping an executor drops its tasks, whose destructors
    // may touch the list.
    for mut e in removed {
        e.driver.take();
        drop(e.executor);
    }
}

impl<F: fmt::Debug> fmt::Debug for LocalScope<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalScope")
            .field("future", &self.future)
            .finish_non_exhaustive()
    }
}

/// The error of `spawn_local` called where no local executor can run the task.
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
/// Errors outside a [`LocalScope`] (a plain thread, or a task spawned with `spawn`).
pub fn try_spawn_local<F>(future: F) -> Result<JoinHandle<F::Output>, SpawnLocalError>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let executor = LOCALS.with(|l| {
        let depth = l.depth.get();
        if depth == 0 {
            return Err(SpawnLocalError);
        }
        let mut entries = l.entries.borrow_mut();
        if let Some(e) = entries.iter().find(|e| e.depth == depth) {
            return Ok(e.executor.clone());
        }
        let executor = Rc::new(LocalExecutor::new());
        let runner = executor.clone();
        entries.push(Entry {
            depth,
            executor: executor.clone(),
            driver: Some(Box::pin(async move {
                runner.run(std::future::pending::<()>()).await;
            })),
        });
        l.any.set(true);
        Ok(executor)
    })?;
    Ok(JoinHandle::from_async_task(executor.spawn(future)))
}
