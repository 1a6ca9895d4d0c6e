//! Tasks: spawning, joining, cancelling.
//!
//! | call | needs | runs on |
//! |---|---|---|
//! | [`spawn`] | `Send + 'static` future | the runtime the thread is inside, else the selected backend's process-wide runtime |
//! | [`spawn_local`] | `'static` future (no `Send`) | the calling thread's local executor: inside `block_on`, `Runtime::block_on`, `#[anyrt::test]`, `#[anyrt::main]` and local tasks |
//! | [`spawn_blocking`] | `Send + 'static` closure | the backend's blocking thread pool |
//!
//! **Where a `Send` bound comes from.** `spawn` may move the task between worker threads,
//! so its future must be `Send`: everything it holds across an `.await` must be. When the
//! compiler says "future cannot be sent between threads safely ... `Rc<..>` is not `Send`",
//! it points at the value held across the await: drop it before the await, swap `Rc` for
//! `Arc` and `RefCell` for a lock, or run the future with `spawn_local`, which has no `Send`
//! bound.
//!
//! **Cancel safety.** Awaiting a [`JoinHandle`] is cancel-safe: dropping the await leaves
//! the task running and the handle usable. [`JoinSet::join_next`] and [`yield_now`] are
//! cancel-safe too.
//!
//! ```
//! use std::rc::Rc;
//!
//! anyrt::block_on(async {
//!     let sent = anyrt::spawn(async { 1 }); // Send: any worker thread
//!     let rc = Rc::new(2);
//!     let local = anyrt::spawn_local(async move { *rc }); // !Send: this thread
//!     let blocking = anyrt::spawn_blocking(|| 3); // the blocking pool
//!     let sum = sent.await.unwrap() + local.await.unwrap() + blocking.await.unwrap();
//!     assert_eq!(sum, 6);
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

#[doc(inline)]
pub use anyrt_core::task::local::SpawnLocalError;
#[doc(inline)]
pub use anyrt_core::task::{scope, Scope, ScopeFuture, ScopedJoinHandle};
#[doc(inline)]
pub use anyrt_core::task::{yield_now, AbortOnDrop, JoinError, JoinHandle, YieldNow};
#[doc(inline)]
pub use anyrt_core::task::{AccessError, LocalKey, TaskLocalFuture};

use anyrt_core::Backend;

use crate::spawned::{self, spawn_in_context};
use crate::unordered::Unordered;

/// Spawns a task on the runtime the calling thread is inside, or, on a plain thread, on the
/// selected backend's process-wide runtime (started on first use). Never fails for lack of
/// a runtime.
///
/// The task runs to completion even if the handle is dropped (it is detached); awaiting the
/// handle gives its output, or a [`JoinError`] if it panicked or was aborted.
///
/// ```
/// let handle = anyrt::spawn(async { 6 * 7 });
/// assert_eq!(anyrt::block_on(handle).unwrap(), 42);
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Builder::new().spawn(future)
}

/// Spawns a `!Send` future on the calling thread's local executor.
///
/// Works inside `block_on`, `Runtime::block_on`, `#[anyrt::test]` and `#[anyrt::main]`
/// bodies and inside tasks spawned by `spawn_local`, on every backend. The local executor is
/// created by the first `spawn_local`; local tasks still pending when that `block_on`
/// returns are dropped and their handles give a cancelled [`JoinError`].
///
/// ```
/// use std::rc::Rc;
///
/// anyrt::block_on(async {
///     let shared = Rc::new(5);
///     let s = shared.clone();
///     let h = anyrt::spawn_local(async move { *s + 1 });
///     assert_eq!(h.await.unwrap(), 6);
/// });
/// ```
///
/// # Panics
///
/// Anywhere else (a plain thread, a task spawned with [`spawn`]), with the same message on
/// every backend; [`try_spawn_local`] returns the error instead.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Builder::new().spawn_local(future)
}

/// Like [`spawn_local`], returning an error outside a local context.
///
/// ```
/// assert!(anyrt::try_spawn_local(async {}).is_err()); // a plain thread
/// ```
pub fn try_spawn_local<F>(future: F) -> Result<JoinHandle<F::Output>, SpawnLocalError>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Builder::new().try_spawn_local(future)
}

/// Runs a blocking closure on the selected backend's blocking thread pool.
///
/// Inside the closure, [`block_on`](crate::block_on) and the `_blocking` channel methods
/// work. [`JoinHandle::abort`] does not stop a closure: awaiting gives its result.
///
/// ```
/// let h = anyrt::spawn_blocking(|| std::fs::metadata(".").is_ok());
/// assert!(anyrt::block_on(h).unwrap());
/// ```
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Builder::new().spawn_blocking(f)
}

/// Options for one spawn. Today one: whether the task runs in the `tracing` span current at
/// the spawn (feature `tracing`; on by default). Inherited task-locals always follow.
///
/// ```
/// use anyrt::task::Builder;
///
/// anyrt::block_on(async {
///     // A long-lived background task that should not sit inside the request's span.
///     let h = Builder::new().no_span().spawn(async { 1 });
///     assert_eq!(h.await.unwrap(), 1);
/// });
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use = "a task Builder does nothing until one of its spawn methods is called"]
pub struct Builder {
    span: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// The defaults: the task runs in the caller's span.
    pub fn new() -> Self {
        Builder { span: true }
    }

    /// The task does not enter the span current at the spawn (it starts with none).
    pub fn no_span(self) -> Self {
        Builder { span: false }
    }

    /// As [`spawn`], with these options.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_in_context!(future, self.span, |f| {
            dispatch!(Backend::selected(), P => P::spawn(f))
        })
    }

    /// As [`spawn_local`], with these options.
    ///
    /// # Panics
    ///
    /// Where [`spawn_local`] does.
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        match self.try_spawn_local(future) {
            Ok(h) => h,
            Err(e) => panic!("{e}"),
        }
    }

    /// As [`try_spawn_local`], with these options.
    pub fn try_spawn_local<F>(self, future: F) -> Result<JoinHandle<F::Output>, SpawnLocalError>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_in_context!(future, self.span, |f| {
            anyrt_core::task::local::try_spawn_local(f)
        })
    }

    /// As [`spawn_blocking`], with these options.
    pub fn spawn_blocking<F, R>(self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let f = spawned::blocking(f, self.span);
        dispatch!(Backend::selected(), P => P::spawn_blocking(f))
    }

    /// As [`Handle::spawn`](crate::Handle::spawn), with these options.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let handle = anyrt::Handle::current();
    ///     let h = anyrt::task::Builder::new().no_span().spawn_on(async { 2 }, &handle);
    ///     assert_eq!(h.await.unwrap(), 2);
    /// });
    /// ```
    pub fn spawn_on<F>(self, future: F, handle: &crate::Handle) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn_with(future, self.span)
    }
}

/// A set of tasks, joined in the order they finish. Dropping the set aborts its tasks.
///
/// It is also a `Stream` of the tasks' results (`StreamExt::next` is `join_next`).
///
/// ```
/// use anyrt::task::JoinSet;
///
/// anyrt::block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..4u32 {
///         set.spawn(async move { i * 10 });
///     }
///     let mut sum = 0;
///     while let Some(res) = set.join_next().await {
///         sum += res.unwrap();
///     }
///     assert_eq!(sum, 60);
/// });
/// ```
pub struct JoinSet<T> {
    tasks: Unordered<T>,
}

impl<T> JoinSet<T> {
    /// An empty set (also `JoinSet::default()`).
    ///
    /// ```
    /// let set: anyrt::task::JoinSet<u32> = anyrt::task::JoinSet::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> Self {
        JoinSet {
            tasks: Unordered::new(),
        }
    }

    /// The number of tasks not yet joined (finished or not).
    ///
    /// ```
    /// use anyrt::task::JoinSet;
    ///
    /// anyrt::block_on(async {
    ///     let mut set = JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     set.spawn(async { 2 });
    ///     assert_eq!(set.len(), 2);
    ///     set.join_next().await;
    ///     assert_eq!(set.len(), 1);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task is left to join.
    ///
    /// ```
    /// use anyrt::task::JoinSet;
    ///
    /// anyrt::block_on(async {
    ///     let mut set = JoinSet::new();
    ///     set.spawn(async {});
    ///     assert!(!set.is_empty());
    ///     set.join_next().await.unwrap().unwrap();
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tasks.len() == 0
    }

    /// Adds an already spawned task: one spawned on a given runtime, say. It is aborted
    /// with the set.
    ///
    /// ```
    /// use anyrt::task::JoinSet;
    ///
    /// anyrt::block_on(async {
    ///     let mut set = JoinSet::new();
    ///     set.insert(anyrt::Handle::current().spawn(async { 7 }));
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 7);
    /// });
    /// ```
    pub fn insert(&mut self, handle: JoinHandle<T>) {
        self.tasks.push(handle);
    }

    /// Aborts every task in the set; they stay in the set until joined (giving cancelled
    /// errors, or their output if they had finished).
    ///
    /// ```
    /// use anyrt::task::JoinSet;
    ///
    /// anyrt::block_on(async {
    ///     let mut set = JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_all(&mut self) {
        self.tasks.for_each_mut(JoinHandle::abort);
    }

    /// Waits for the next task to finish: `None` when the set is empty. Cancel-safe: a task
    /// that finishes while this future is dropped stays in the set.
    ///
    /// ```
    /// use anyrt::task::JoinSet;
    /// use std::time::Duration;
    ///
    /// anyrt::block_on(async {
    ///     let mut set = JoinSet::new();
    ///     let (go, wait) = anyrt::channel::oneshot::channel::<()>();
    ///     set.spawn(async move { wait.await.is_ok() });
    ///     // Give up waiting...
    ///     let early = anyrt::time::timeout(Duration::from_millis(5), set.join_next()).await;
    ///     assert!(early.is_err());
    ///     go.send(()).unwrap();
    ///     // ...and nothing was lost: the task is still in the set.
    ///     assert!(set.join_next().await.unwrap().unwrap());
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Polls for the next finished task: `Ready(None)` when the set is empty. For a
    /// hand-written `Future` or `Stream`.
    ///
    /// ```
    /// use anyrt::task::JoinSet;
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let mut set = JoinSet::new();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(matches!(set.poll_join_next(&mut cx), Poll::Ready(None)));
    /// set.spawn(std::future::pending::<()>());
    /// assert!(set.poll_join_next(&mut cx).is_pending());
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.tasks.len() == 0 {
            return Poll::Ready(None);
        }
        self.tasks.poll_next(cx).map(Some)
    }

    /// Aborts every task and waits until all have finished. Cancel-safe: the tasks are
    /// aborted at the first poll, and those not yet joined stay in the set.
    ///
    /// ```
    /// use anyrt::task::JoinSet;
    ///
    /// anyrt::block_on(async {
    ///     let mut set = JoinSet::new();
    ///     for _ in 0..3 {
    ///         set.spawn(std::future::pending::<()>());
    ///     }
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns a task (as [`spawn`]) into the set.
    ///
    /// ```
    /// use anyrt::task::JoinSet;
    ///
    /// anyrt::block_on(async {
    ///     let mut set = JoinSet::new();
    ///     for url in ["a", "b", "c"] {
    ///         set.spawn(async move { url.len() }); // a fetch, say
    ///     }
    ///     let mut total = 0;
    ///     while let Some(res) = set.join_next().await {
    ///         total += res.unwrap();
    ///     }
    ///     assert_eq!(total, 3);
    /// });
    /// ```
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(spawn(future));
    }

    /// Runs a blocking closure (as [`spawn_blocking`]) in the set. Aborting the set does
    /// not stop a closure.
    ///
    /// ```
    /// use anyrt::task::JoinSet;
    ///
    /// anyrt::block_on(async {
    ///     let mut set = JoinSet::new();
    ///     set.spawn_blocking(|| std::env::current_dir().is_ok());
    ///     assert!(set.join_next().await.unwrap().unwrap());
    /// });
    /// ```
    pub fn spawn_blocking<F>(&mut self, f: F)
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(spawn_blocking(f));
    }
}

impl<T: 'static> JoinSet<T> {
    /// Spawns a local task (as [`spawn_local`]) into the set.
    ///
    /// # Panics
    ///
    /// Where [`spawn_local`] does.
    ///
    /// ```
    /// use anyrt::task::JoinSet;
    /// use std::rc::Rc;
    ///
    /// anyrt::block_on(async {
    ///     let mut set = JoinSet::new();
    ///     let shared = Rc::new(10);
    ///     for i in 0..3 {
    ///         let shared = shared.clone();
    ///         set.spawn_local(async move { *shared + i });
    ///     }
    ///     let mut sum = 0;
    ///     while let Some(res) = set.join_next().await {
    ///         sum += res.unwrap();
    ///     }
    ///     assert_eq!(sum, 33);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F)
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(spawn_local(future));
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

impl<T> futures_core::Stream for JoinSet<T> {
    type Item = Result<T, JoinError>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_join_next(cx)
    }
}
