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
//!
//! ```
//! use anyrt_core::task::local::{try_spawn_local, LocalScope};
//! use futures_lite::future::block_on;
//!
//! // Scopes nest: each `block_on` has its own local executor.
//! block_on(LocalScope::new(async {
//!     let outer = try_spawn_local(async { "outer" }).unwrap();
//!     let inner = block_on(LocalScope::new(async {
//!         try_spawn_local(async { "inner" }).unwrap().await.unwrap()
//!     }));
//!     assert_eq!((outer.await.unwrap(), inner), ("outer", "inner"));
//! }));
//! ```

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

pin_project_lite::pin_project! {
    /// Runs a future with a local executor available to `spawn_local` (created lazily).
    ///
    /// Backends wrap the future of every `block_on` in one. Local tasks still pending when
    /// the scope is dropped are dropped too; their handles give a cancelled `JoinError`.
    ///
    /// ```
    /// use anyrt_core::task::local::{try_spawn_local, LocalScope};
    /// use std::rc::Rc;
    ///
    /// // What a backend's `block_on` does with the caller's future.
    /// let out = futures_lite::future::block_on(LocalScope::new(async {
    ///     let shared = Rc::new(20); // not `Send`: fine for a local task
    ///     let h = try_spawn_local(async move { *shared + 1 }).unwrap();
    ///     h.await.unwrap() * 2
    /// }));
    /// assert_eq!(out, 42);
    /// ```
    pub struct LocalScope<F> {
        #[pin]
        future: F,
        // The depth this scope was last polled at, 0 if never: where its executor is filed.
        depth: u32,
    }

    impl<F> PinnedDrop for LocalScope<F> {
        fn drop(this: Pin<&mut Self>) {
            let depth = this.depth;
            if depth != 0 && ANY.with(Cell::get) {
                drop_executor(depth);
            }
        }
    }
}

impl<F> LocalScope<F> {
    /// Wraps `future`. Nothing is allocated until a `spawn_local` inside it.
    ///
    /// ```
    /// use anyrt_core::task::local::{try_spawn_local, LocalScope};
    /// use futures_lite::future::block_on;
    ///
    /// let pending = block_on(LocalScope::new(async {
    ///     try_spawn_local(std::future::pending::<()>()).unwrap()
    /// }));
    /// // The scope ended, and its local task with it.
    /// assert!(block_on(pending).unwrap_err().is_cancelled());
    /// ```
    pub fn new(future: F) -> Self {
        LocalScope { future, depth: 0 }
    }
}

impl<F: Future> Future for LocalScope<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let depth = DEPTH.with(|d| {
            let depth = d.get() + 1;
            d.set(depth);
            depth
        });
        *this.depth = depth;
        let _leave = Leave;
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(v);
        }
        if ANY.with(Cell::get) {
            drive(depth, cx);
        }
        Poll::Pending
    }
}

struct Leave;

impl Drop for Leave {
    #[inline]
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// Polls the driver of the executor filed at `depth`: it runs the local tasks that are ready
/// and registers `cx`'s waker for the rest. A local task that wakes the main future wakes
/// `cx`.
#[cold]
fn drive(depth: u32, cx: &mut Context<'_>) {
    // Take the driver out while it runs: local tasks may spawn more local tasks, which
    // borrows the list.
    let driver = ENTRIES.with(|entries| {
        entries
            .borrow_mut()
            .iter_mut()
            .find(|e| e.depth == depth)
            .and_then(|e| e.driver.take())
    });
    let Some(mut driver) = driver else { return };
    let _ = driver.as_mut().poll(cx);
    ENTRIES.with(|entries| {
        if let Some(e) = entries.borrow_mut().iter_mut().find(|e| e.depth == depth) {
            e.driver = Some(driver);
        }
    });
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
///
/// ```
/// # mod anyrt { pub use anyrt_core::*; pub use task::local::try_spawn_local; }
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
/// Errors outside a [`LocalScope`] (a plain thread, or a task spawned with `spawn`).
///
/// ```
/// use anyrt_core::task::local::{try_spawn_local, LocalScope};
///
/// assert!(try_spawn_local(async {}).is_err()); // no scope on a plain thread
/// futures_lite::future::block_on(LocalScope::new(async {
///     let h = try_spawn_local(async { 1 }).unwrap();
///     assert_eq!(h.await.unwrap(), 1);
/// }));
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
        ANY.with(|any| any.set(true));
        Ok(executor)
    })?;
    Ok(JoinHandle::from_async_task(executor.spawn(future)))
}
