//! Runtimes: the process-wide one, the owned [`Runtime`], its [`Builder`] and [`Handle`].

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::io;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Mutex, Once, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use anyrt_core::context::{self, ContextKind, ThreadContext};
use anyrt_core::task::JoinHandle;
use anyrt_core::time::Instant;
use anyrt_core::Backend;

use crate::block_on::block_on_with;
use crate::task::{blocking_closure, from_tokio, from_tokio_blocking, in_native_task};
use crate::time::{self, Sleep};

const DEFAULT_THREAD_NAME: &str = "anyrt-tokio-worker";

static GLOBAL: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
static COOP_HOOK: Once = Once::new();

/// Lets anyrt's channels take part in tokio's co-op budget (see `anyrt_core::coop`).
pub(crate) fn install_coop_hook() {
    COOP_HOOK.call_once(|| anyrt_core::coop::set_hook(coop_hook));
}

fn coop_hook(cx: &mut Context<'_>) -> Poll<()> {
    tokio::task::coop::poll_proceed(cx).map(|restore| restore.made_progress())
}

fn default_worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

fn build_tokio(
    workers: usize,
    name: String,
    runtime: Option<RuntimeId>,
) -> io::Result<tokio::runtime::Runtime> {
    if workers == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "anyrt-tokio: worker_threads must be at least 1",
        ));
    }
    install_coop_hook();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(name)
        .enable_all()
        // tokio runs this on its workers and on its blocking threads alike: both are inside
        // the runtime's context (anyrt's blocking closures enter the blocking context
        // themselves).
        .on_thread_start(move || {
            context::set_for_thread(ThreadContext::async_on(Backend::Tokio));
            THREAD_RUNTIME.set(runtime);
        })
        .build()
}

/// The process-wide runtime: built at the first use, never dropped.
pub(crate) fn global() -> &'static tokio::runtime::Runtime {
    GLOBAL.get_or_init(|| {
        build_tokio(
            default_worker_threads(),
            DEFAULT_THREAD_NAME.to_owned(),
            None,
        )
        .unwrap_or_else(|e| panic!("anyrt-tokio: cannot start the process-wide tokio runtime: {e}"))
    })
}

/// The shut-down state of an anyrt-owned runtime, in a slot that is never freed, so that
/// tasks, sleeps and handles can refer to it without a reference count (a sleep is made far
/// more often than a runtime). Once its runtime has shut down, a slot is reused by the next
/// runtime built; the epoch tells the two apart. There are never more slots than anyrt
/// runtimes open at once.
#[derive(Debug)]
struct Slot {
    epoch: AtomicU64,
}

static FREE_SLOTS: Mutex<Vec<&'static Slot>> = Mutex::new(Vec::new());

/// An anyrt-owned runtime, as its tasks, sleeps and handles see it: `Copy`, 16 bytes, and
/// [`is_closed`](Self::is_closed) is one atomic load.
#[derive(Clone, Copy)]
pub(crate) struct RuntimeId {
    slot: &'static Slot,
    epoch: u64,
}

impl RuntimeId {
    /// A fresh, open runtime id.
    fn open() -> RuntimeId {
        let free = FREE_SLOTS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let slot = free.unwrap_or_else(|| {
            Box::leak(Box::new(Slot {
                epoch: AtomicU64::new(0),
            }))
        });
        RuntimeId {
            slot,
            epoch: slot.epoch.load(Ordering::Acquire),
        }
    }

    /// Whether the runtime has shut down (or started to).
    #[inline]
    pub(crate) fn is_closed(self) -> bool {
        self.slot.epoch.load(Ordering::Acquire) != self.epoch
    }

    /// Marks the runtime shut down, for good, and frees its slot for a later runtime.
    fn close(self) {
        let next = self.epoch.wrapping_add(1);
        let closed =
            self.slot
                .epoch
                .compare_exchange(self.epoch, next, Ordering::AcqRel, Ordering::Acquire);
        if closed.is_ok() {
            FREE_SLOTS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(self.slot);
        }
    }
}

impl fmt::Debug for RuntimeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeId")
            .field("closed", &self.is_closed())
            .finish()
    }
}

thread_local! {
    /// The anyrt-owned runtime this thread belongs to: set for good on its worker and
    /// blocking threads, and for the duration of a `block_on` through it. `None` for the
    /// process-wide runtime (which never shuts down) and on every other thread. No
    /// destructor, so reading it is as cheap as a thread-local gets.
    static THREAD_RUNTIME: Cell<Option<RuntimeId>> = const { Cell::new(None) };
}

/// The anyrt-owned runtime the calling thread belongs to (see [`THREAD_RUNTIME`]).
#[inline]
pub(crate) fn thread_runtime() -> Option<RuntimeId> {
    THREAD_RUNTIME.get()
}

/// Sets [`THREAD_RUNTIME`] until dropped, then restores the previous value.
pub(crate) struct ThreadRuntimeGuard {
    prev: Option<RuntimeId>,
}

pub(crate) fn enter_thread_runtime(runtime: Option<RuntimeId>) -> ThreadRuntimeGuard {
    ThreadRuntimeGuard {
        prev: THREAD_RUNTIME.replace(runtime),
    }
}

impl Drop for ThreadRuntimeGuard {
    fn drop(&mut self) {
        THREAD_RUNTIME.set(self.prev);
    }
}

pin_project_lite::pin_project! {
    /// A task's future, which stops being polled once its runtime has shut down.
    ///
    /// tokio's workers go on taking queued tasks until they notice a shutdown; tasks of a
    /// dropped runtime must not run in that window. A task is only polled by its runtime's
    /// threads, so the check reads their thread-local (`None`, never closed, on the
    /// process-wide runtime's and foreign runtimes' threads): no size, no allocation, one
    /// thread-local read per poll. A task stopped this way pends until tokio's shutdown
    /// drops it, which cancels it.
    pub(crate) struct Stoppable<F> {
        #[pin]
        future: F,
    }
}

impl<F> Stoppable<F> {
    #[inline]
    pub(crate) fn new(future: F) -> Stoppable<F> {
        Stoppable { future }
    }
}

impl<F: Future> Future for Stoppable<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if thread_runtime().is_some_and(RuntimeId::is_closed) {
            return Poll::Pending;
        }
        self.project().future.poll(cx)
    }
}

/// Calls `f` with the handle of the tokio runtime the thread is inside (a foreign one, when
/// anyrt's own context does not say tokio), else with the process-wide runtime's.
pub(crate) fn with_fallback_handle<R>(f: impl FnOnce(&tokio::runtime::Handle) -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => {
            install_coop_hook();
            f(&h)
        }
        Err(_) => f(global().handle()),
    }
}

/// Configures and builds a [`Runtime`].
///
/// ```
/// let rt = anyrt_tokio::Builder::new()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .build()
///     .unwrap();
/// let name = rt.block_on(async {
///     anyrt_tokio::spawn(async { std::thread::current().name().map(str::to_owned) })
///         .await
///         .unwrap()
/// });
/// assert_eq!(name.as_deref(), Some("my-worker"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    worker_threads: Option<usize>,
    thread_name: Option<String>,
}

impl Builder {
    /// A builder with the defaults: one worker per CPU
    /// ([`std::thread::available_parallelism`]), threads named `anyrt-tokio-worker`.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The number of worker threads (at least 1; [`build`](Self::build) fails on 0).
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = Some(n);
        self
    }

    /// The name of the runtime's threads (workers and blocking threads).
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = Some(name.into());
        self
    }

    /// Builds the runtime: a multi-thread tokio runtime with all of tokio's drivers that are
    /// compiled in enabled, whose threads carry anyrt's tokio context.
    ///
    /// # Errors
    ///
    /// `worker_threads(0)`, or the operating system refusing to start the threads.
    pub fn build(&self) -> io::Result<Runtime> {
        let workers = self.worker_threads.unwrap_or_else(default_worker_threads);
        let name = self
            .thread_name
            .clone()
            .unwrap_or_else(|| DEFAULT_THREAD_NAME.to_owned());
        let id = RuntimeId::open();
        let rt = build_tokio(workers, name, Some(id)).inspect_err(|_| id.close())?;
        Ok(Runtime {
            handle: Handle {
                inner: rt.handle().clone(),
                runtime: Some(id),
            },
            rt: Some(rt),
        })
    }
}

/// An owned tokio runtime: a multi-thread tokio runtime whose worker threads carry anyrt's
/// tokio context.
///
/// Dropping it shuts it down **without blocking and without panicking**, also inside async
/// code and on one of its own threads: tasks still pending are dropped (their handles give
/// [`JoinError::is_cancelled`](anyrt_core::task::JoinError::is_cancelled), as soon as a
/// worker has seen the shutdown), blocking closures already running are detached, and a
/// spawn through a [`Handle`] afterwards gives a cancelled handle. Tasks that were queued
/// but not yet polled never start: they are dropped too, although tokio's workers go on
/// taking queued tasks until they notice the shutdown.
///
/// A sleep or timeout created on the runtime (on its timer) and still pending when it shuts
/// down keeps working, as on the other backends: at its next poll it moves to the
/// process-wide runtime's timer and completes at its deadline (tokio's own would panic:
/// "A Tokio 1.x context was found, but it is being shutdown").
///
/// ```
/// let rt = anyrt_tokio::Runtime::new().unwrap();
/// let h = rt.spawn(async { 5 });
/// assert_eq!(rt.block_on(h).unwrap(), 5);
/// drop(rt);
/// ```
pub struct Runtime {
    // `None` only once shut down (in `drop` or `shutdown_timeout`).
    rt: Option<tokio::runtime::Runtime>,
    handle: Handle,
}

impl Runtime {
    /// A runtime with the defaults of [`Builder::new`].
    ///
    /// # Errors
    ///
    /// The operating system refusing to start the threads.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A [`Builder`] to configure a runtime.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Runs `future` to completion on the calling thread, inside this runtime: tasks it
    /// spawns go to this runtime, and `spawn_local` works in it (local tasks still pending
    /// when it returns are dropped).
    ///
    /// Like [`block_on`](crate::block_on), it does not check whether blocking is allowed
    /// (the facade does); it works inside a blocking closure.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns a task on this runtime. Dropping the handle detaches the task.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs a blocking closure on this runtime's blocking pool; see
    /// [`spawn_blocking`](crate::spawn_blocking).
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// A handle to this runtime. It does not keep the runtime alive.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Shuts the runtime down, waiting at most `duration` for its threads to stop (blocking
    /// closures still running after that are detached).
    ///
    /// Where waiting would stall a runtime (inside async code: an anyrt task or `block_on`,
    /// or a tokio task) it does not wait, like dropping the runtime. Inside a foreign tokio
    /// `block_on` (where tokio itself would panic), the wait happens on a helper thread.
    pub fn shutdown_timeout(mut self, duration: Duration) {
        let Some(rt) = self.rt.take() else {
            return;
        };
        self.handle.mark_shut_down();
        let ctx = context::current();
        if ctx.is_some_and(|c| c.kind == ContextKind::Async) || in_native_task() {
            rt.shutdown_background();
        } else if ctx.is_none() && tokio::runtime::Handle::try_current().is_ok() {
            // Possibly the body of a foreign tokio `block_on`, where tokio panics rather than
            // wait: wait on a thread that is outside every runtime.
            let (tx, rx) = mpsc::channel::<tokio::runtime::Runtime>();
            let waiter = std::thread::Builder::new()
                .name("anyrt-tokio-shutdown".to_owned())
                .spawn(move || {
                    if let Ok(rt) = rx.recv() {
                        rt.shutdown_timeout(duration);
                    }
                });
            match waiter {
                Ok(waiter) => match tx.send(rt) {
                    Ok(()) => {
                        let _ = waiter.join();
                    }
                    Err(mpsc::SendError(rt)) => rt.shutdown_background(),
                },
                Err(_) => rt.shutdown_background(),
            }
        } else {
            rt.shutdown_timeout(duration);
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            self.handle.mark_shut_down();
            // Waits for nothing: safe in async code and on the runtime's own threads.
            rt.shutdown_background();
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}

/// A handle to a tokio runtime: spawns onto it from any thread.
///
/// `Clone + Send + Sync`. It does not keep the runtime alive: after the runtime shut down, a
/// spawn through it gives a handle whose `await` is a cancelled
/// [`JoinError`](anyrt_core::task::JoinError).
///
/// ```
/// let handle = anyrt_tokio::Handle::global();
/// let h = std::thread::spawn(move || handle.spawn(async { 2 })).join().unwrap();
/// assert_eq!(anyrt_tokio::block_on(h).unwrap(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Handle {
    inner: tokio::runtime::Handle,
    // The anyrt `Runtime` this handle is to (`None`: a runtime anyrt does not own, or the
    // process-wide one, which never shuts down).
    runtime: Option<RuntimeId>,
}

impl Handle {
    /// The tokio runtime the calling thread is inside: an anyrt [`Runtime`], the
    /// process-wide runtime (inside [`block_on`](crate::block_on) and its tasks), or a tokio
    /// runtime started by the application. `None` on a thread with no tokio runtime.
    pub fn current() -> Option<Handle> {
        let inner = tokio::runtime::Handle::try_current().ok()?;
        install_coop_hook();
        Some(Handle {
            inner,
            runtime: thread_runtime(),
        })
    }

    /// The process-wide runtime's handle (the runtime is started at the first use).
    pub fn global() -> Handle {
        Handle {
            inner: global().handle().clone(),
            runtime: None,
        }
    }

    /// A handle to a runtime built with tokio directly.
    ///
    /// [`block_on`](Self::block_on) through it on a current-thread runtime does not drive
    /// that runtime's timers; use a multi-thread runtime.
    pub fn from_tokio(handle: tokio::runtime::Handle) -> Handle {
        install_coop_hook();
        Handle {
            inner: handle,
            runtime: None,
        }
    }

    /// The underlying tokio handle, for tokio-only APIs (`enter`, metrics).
    pub fn as_tokio(&self) -> &tokio::runtime::Handle {
        &self.inner
    }

    /// Spawns a task on this runtime. Dropping the handle detaches the task. After the
    /// runtime shut down, the future is dropped and the handle gives a cancelled
    /// [`JoinError`](anyrt_core::task::JoinError).
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if self.is_shut_down() {
            return JoinHandle::cancelled();
        }
        // tokio gives a cancelled handle too for a runtime anyrt does not own.
        from_tokio(self.inner.spawn(Stoppable::new(future)))
    }

    /// Runs a blocking closure on this runtime's blocking pool; see
    /// [`spawn_blocking`](crate::spawn_blocking).
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        if self.is_shut_down() {
            return JoinHandle::cancelled();
        }
        from_tokio_blocking(self.inner.spawn_blocking(blocking_closure(f)))
    }

    /// Runs `future` to completion on the calling thread, inside this runtime; see
    /// [`Runtime::block_on`].
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        block_on_with(&self.inner, self.runtime, future)
    }

    fn is_shut_down(&self) -> bool {
        self.runtime.is_some_and(RuntimeId::is_closed)
    }

    fn mark_shut_down(&self) {
        if let Some(id) = self.runtime {
            id.close();
        }
    }

    /// A sleep on this runtime's timer (on the caller's, once the runtime shut down: there
    /// is no point in starting on a timer that is gone).
    fn sleep_here(&self, duration: Duration) -> Sleep {
        if self.is_shut_down() {
            return time::sleep(duration);
        }
        time::sleep_on(&self.inner, self.runtime, duration)
    }

    fn sleep_until_here(&self, deadline: Instant) -> Sleep {
        if self.is_shut_down() {
            return time::sleep_until(deadline);
        }
        time::sleep_until_on(&self.inner, self.runtime, deadline)
    }
}

impl From<tokio::runtime::Handle> for Handle {
    fn from(handle: tokio::runtime::Handle) -> Handle {
        Handle::from_tokio(handle)
    }
}

anyrt_core::impl_executor!(Handle {
    type Sleep = Sleep;

    fn sleep(&self, duration: Duration) -> Sleep {
        self.sleep_here(duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        self.sleep_until_here(deadline)
    }
});

anyrt_core::impl_executor!(Runtime {
    type Sleep = Sleep;

    fn sleep(&self, duration: Duration) -> Sleep {
        self.handle.sleep_here(duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        self.handle.sleep_until_here(deadline)
    }
});
