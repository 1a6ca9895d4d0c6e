//! [`Runtime`], [`Builder`], [`Handle`], the process-wide runtime and the thread-local that
//! says which executor `spawn` uses on the calling thread.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe, RefUnwindSafe, UnwindSafe};
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::local::LocalScope;
use anyrt_core::task::JoinHandle;
use anyrt_core::Backend;
use async_executor::Executor;
use event_listener::Event;

use crate::task::spawn_blocking_in;
use crate::time::Sleep;

/// What a runtime's workers, its handles and the thread-local share: the executor and the
/// shutdown signal. The executor is dropped with the last `Arc<Shared>`, which cancels the
/// tasks still pending (their handles give `is_cancelled()`).
pub(crate) struct Shared {
    executor: Arc<Executor<'static>>,
    closed: AtomicBool,
    shutdown: Event,
    /// This `Shared` itself, weakly: what `Handle::current()` and `spawn_blocking` take from
    /// the thread-local, which holds a plain reference.
    this: Weak<Shared>,
}

impl Shared {
    fn new(executor: Arc<Executor<'static>>) -> Arc<Shared> {
        Arc::new_cyclic(|this| Shared {
            executor,
            closed: AtomicBool::new(false),
            shutdown: Event::new(),
            this: this.clone(),
        })
    }

    #[inline]
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        JoinHandle::from_async_task(self.executor.spawn(Stoppable { future }))
    }

    #[inline]
    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn close(&self) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            self.shutdown.notify(usize::MAX);
        }
    }

    /// Completes once [`close`](Self::close) was called: what the workers run the executor
    /// until.
    async fn closed(&self) {
        loop {
            if self.is_closed() {
                return;
            }
            let listener = self.shutdown.listen();
            // Checked again after registering, so a `close` in between is not missed.
            if self.is_closed() {
                return;
            }
            listener.await;
        }
    }
}

pin_project_lite::pin_project! {
    /// A task's future, which stops being polled once its runtime has shut down.
    ///
    /// A worker told to stop leaves the executor only when the executor yields to it, which
    /// can be after up to 200 more task polls; tasks queued at the shutdown must not run in
    /// that window. The check reads the thread-local the worker already holds (a task is
    /// only polled by its runtime's workers), so the wrapper adds no size and no
    /// allocation. A task stopped this way pends until the executor is dropped,
    /// which cancels it.
    struct Stoppable<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Stoppable<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if runtime_stopping() {
            return Poll::Pending;
        }
        self.project().future.poll(cx)
    }
}

/// Whether the calling thread belongs to a runtime that has been told to shut down: one
/// read of a plain thread-local and, on a runtime's worker, one load.
#[inline]
fn runtime_stopping() -> bool {
    with_current(|c| matches!(c, CurrentRef::Strong(s) if s.is_closed()))
}

/// A spawn through a weak reference: a runtime that was dropped or shut down gives a
/// cancelled handle (its executor is gone or about to be, so the task would never run).
#[inline(never)]
fn spawn_weak<F>(shared: &Weak<Shared>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match shared.upgrade() {
        Some(s) if !s.is_closed() => s.spawn(future),
        _ => JoinHandle::cancelled(),
    }
}

fn spawn_blocking_weak<F, R>(shared: &Weak<Shared>, f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match shared.upgrade() {
        Some(s) if !s.is_closed() => spawn_blocking_in(Some(shared.clone()), f),
        _ => JoinHandle::cancelled(),
    }
}

/// The executor `spawn` uses on a thread, as stored in [`CURRENT`]: one tagged pointer,
/// so that the thread-local needs no destructor (a `const` thread-local of a type without
/// drop glue is one TLS slot: no lazy registration, never destroyed, so reading it is one
/// load and never fails). What it points to is owned by whoever holds the [`CurrentGuard`]
/// that stored it, and outlives it (see [`with_current`]).
#[derive(Clone, Copy)]
struct Current(*const ());

impl Current {
    /// The process-wide runtime (a plain thread, or the plain `block_on`): null.
    const GLOBAL: Current = Current(ptr::null());

    /// A runtime worker or `Runtime::block_on`: the runtime outlives the thread's use of
    /// it, so the spawn hot path needs no upgrade. A `*const Shared` (low bit clear).
    #[inline(always)]
    fn strong(shared: &Shared) -> Current {
        Current(ptr::from_ref(shared).cast())
    }

    /// A blocking closure or `Handle::block_on`: must not keep the runtime alive. A
    /// `*const Weak<Shared>` with [`WEAK_TAG`] set.
    #[inline(always)]
    fn weak(weak: &Weak<Shared>) -> Current {
        Current(ptr::from_ref(weak).cast::<()>().map_addr(|a| a | WEAK_TAG))
    }
}

/// The tag of [`Current::weak`]: a bit that is clear in the address of every `Shared` and
/// every `Weak<Shared>`.
const WEAK_TAG: usize = 1;
const _: () = assert!(align_of::<Shared>() > WEAK_TAG && align_of::<Weak<Shared>>() > WEAK_TAG);

/// [`Current`] with references, valid for one [`with_current`] call.
enum CurrentRef<'a> {
    Global,
    Strong(&'a Shared),
    Weak(&'a Weak<Shared>),
}

thread_local! {
    /// Set only through a [`CurrentGuard`], which restores the previous value when dropped.
    static CURRENT: Cell<Current> = const { Cell::new(Current::GLOBAL) };
}

/// Runs `f` with the calling thread's current runtime.
#[inline(always)]
#[allow(unsafe_code)]
fn with_current<R>(f: impl FnOnce(CurrentRef<'_>) -> R) -> R {
    let Current(ptr) = CURRENT.with(Cell::get);
    let current = if ptr.addr() & WEAK_TAG != 0 {
        // SAFETY: a pointer is in `CURRENT` only while the `CurrentGuard` that put it there
        // is alive (the guard puts the previous value back when dropped; guards are
        // crate-private, live on the stack of the thread they were made on, since they are
        // not `Send`, are never leaked, and are dropped in reverse order of creation, as
        // stack values are). The guard borrows the `Shared` (or `Weak`) for its whole life
        // (`CurrentGuard<'a>`), so the referent cannot be moved or dropped while the pointer
        // is stored. `f` runs below the frame that owns the guard, so it cannot end that
        // borrow either: the reference is valid for all of `f`. Only shared references are
        // ever made from these pointers. Tagged, it is a `Weak<Shared>` (`Current::weak`),
        // and clearing the tag gives its address back (with its provenance).
        CurrentRef::Weak(unsafe { &*ptr.map_addr(|a| a & !WEAK_TAG).cast::<Weak<Shared>>() })
    } else if ptr.is_null() {
        CurrentRef::Global
    } else {
        // SAFETY: as above; untagged and not null, it is a `Shared` (`Current::strong`).
        CurrentRef::Strong(unsafe { &*ptr.cast::<Shared>() })
    };
    f(current)
}

/// Sets [`CURRENT`] until dropped, then restores the previous value. It borrows what the
/// stored pointer points to for its whole life.
pub(crate) struct CurrentGuard<'a> {
    prev: Current,
    // Not `Send`, through the raw pointer of `Current`: dropped on the thread it was made on.
    _referent: PhantomData<&'a Shared>,
}

#[inline(always)]
fn enter(current: Current) -> Current {
    CURRENT.with(|c| c.replace(current))
}

/// Makes `shared` the calling thread's runtime, strongly: for a worker and `Runtime::block_on`,
/// which keep it alive meanwhile.
#[inline]
pub(crate) fn enter_strong(shared: &Shared) -> CurrentGuard<'_> {
    CurrentGuard {
        prev: enter(Current::strong(shared)),
        _referent: PhantomData,
    }
}

/// Makes `shared` the calling thread's runtime without keeping it alive: for a blocking
/// closure and `Handle::block_on`.
#[inline]
pub(crate) fn enter_weak(shared: &Weak<Shared>) -> CurrentGuard<'_> {
    CurrentGuard {
        prev: enter(Current::weak(shared)),
        _referent: PhantomData,
    }
}

impl Drop for CurrentGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.prev));
    }
}

/// Spawns onto the calling thread's runtime, else onto the process-wide one.
#[inline]
pub(crate) fn spawn_current<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // No borrow is held meanwhile: the destructors that the spawn may run (of a runtime
    // whose last reference an upgrade gave, with its executor and tasks) may spawn too.
    with_current(move |c| {
        let shared = match c {
            CurrentRef::Strong(shared) => shared,
            CurrentRef::Global => global(),
            CurrentRef::Weak(shared) => return spawn_weak(shared, future),
        };
        shared.spawn(future)
    })
}

/// Runs a blocking closure, tied to the calling thread's runtime (if any) so that spawns and
/// `Handle::current()` inside it see that runtime.
pub(crate) fn spawn_blocking_current<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let current = with_current(|c| match c {
        CurrentRef::Strong(shared) => Some(shared.this.clone()),
        CurrentRef::Weak(shared) => Some(shared.clone()),
        CurrentRef::Global => None,
    });
    match current {
        Some(shared) => spawn_blocking_weak(&shared, f),
        None => spawn_blocking_in(None, f),
    }
}

/// The process-wide runtime: started lazily, or the application's executor
/// ([`set_global_executor`]). Never dropped.
struct Global {
    shared: Arc<Shared>,
    // Kept so that its workers run for the rest of the process (a static is never dropped).
    _runtime: Option<Runtime>,
}

static GLOBAL: OnceLock<Global> = OnceLock::new();

/// The name of the process-wide runtime's worker threads.
const GLOBAL_THREAD_NAME: &str = "anyrt-smol-global";

#[inline]
fn global() -> &'static Arc<Shared> {
    &GLOBAL.get_or_init(start_global).shared
}

#[cold]
fn start_global() -> Global {
    let runtime = Runtime::builder()
        .thread_name(GLOBAL_THREAD_NAME)
        .build()
        .unwrap_or_else(|e| {
            panic!("anyrt-smol: could not start the process-wide runtime's worker threads: {e}")
        });
    Global {
        shared: runtime.shared.clone(),
        _runtime: Some(runtime),
    }
}

/// Makes `executor` the process-wide executor of this backend, instead of the runtime that
/// anyrt-smol would otherwise start lazily (with one worker thread per CPU).
///
/// smol has no "current executor" that anyrt could detect, so an application built around
/// its own [`async_executor::Executor`] (`smol::Executor` is the same type) hands it over
/// here, at the start of `main`, before anything spawns. From then on [`spawn`](crate::spawn)
/// and [`Handle::global`] use it on every thread that is not inside an anyrt-smol
/// [`Runtime`]. Blocking closures still run on the `blocking` crate's pool.
///
/// **The application runs the executor** (for example `async_io::block_on(ex.run(..))` on
/// some threads): anyrt-smol starts no thread for it. Threads running it are not marked as
/// anyrt threads, so `Handle::current()` is `None` there and `anyrt::block_on` cannot refuse
/// to block inside its tasks.
///
/// # Errors
///
/// If the process-wide executor was already set or started (something spawned or used
/// [`Handle::global`] first). The error gives `executor` back.
///
/// ```
/// use std::sync::Arc;
///
/// let ex = Arc::new(async_executor::Executor::new());
/// anyrt_smol::set_global_executor(ex.clone()).unwrap();
/// let task = anyrt_smol::spawn(async { 1 + 1 });
/// // The application drives its executor.
/// assert_eq!(async_io::block_on(ex.run(task)).unwrap(), 2);
/// assert!(anyrt_smol::set_global_executor(ex).is_err());
/// ```
pub fn set_global_executor(executor: Arc<Executor<'static>>) -> Result<(), SetGlobalExecutorError> {
    let mut slot = Some(executor);
    GLOBAL.get_or_init(|| Global {
        // `get_or_init` runs this at most once, so the executor is still there.
        shared: Shared::new(slot.take().expect("executor taken once")),
        _runtime: None,
    });
    match slot {
        None => Ok(()),
        Some(executor) => Err(SetGlobalExecutorError { executor }),
    }
}

/// The error of [`set_global_executor`] called after the process-wide executor was already
/// set or started. It holds the executor that was not installed.
#[derive(Debug)]
#[non_exhaustive]
pub struct SetGlobalExecutorError {
    executor: Arc<Executor<'static>>,
}

impl SetGlobalExecutorError {
    /// The executor that was not installed.
    pub fn into_inner(self) -> Arc<Executor<'static>> {
        self.executor
    }
}

impl fmt::Display for SetGlobalExecutorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "anyrt-smol: the process-wide executor is already set or started (something \
             spawned or used the process-wide runtime first); call \
             anyrt_smol::set_global_executor once, at the start of main, before anything uses \
             anyrt",
        )
    }
}

impl std::error::Error for SetGlobalExecutorError {}

/// Configures and starts a [`Runtime`].
///
/// ```
/// let rt = anyrt_smol::Runtime::builder()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .build()
///     .unwrap();
/// let name = anyrt_smol::block_on(rt.spawn(async {
///     std::thread::current().name().map(str::to_owned)
/// }));
/// assert_eq!(name.unwrap().as_deref(), Some("my-worker"));
/// ```
#[derive(Debug, Clone)]
#[must_use = "a Builder does nothing until `build` is called"]
pub struct Builder {
    worker_threads: Option<usize>,
    thread_name: String,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// A builder with the defaults: one worker thread per CPU, threads named
    /// `anyrt-smol-worker`.
    pub fn new() -> Builder {
        Builder {
            worker_threads: None,
            thread_name: "anyrt-smol-worker".to_owned(),
        }
    }

    /// The number of worker threads running the executor. Default:
    /// [`std::thread::available_parallelism`] (smol's own default is 1; anyrt's is the
    /// number of CPUs on every backend).
    ///
    /// # Panics
    ///
    /// If `n` is zero.
    pub fn worker_threads(mut self, n: usize) -> Builder {
        assert!(
            n > 0,
            "anyrt_smol::Builder: worker_threads must be at least 1"
        );
        self.worker_threads = Some(n);
        self
    }

    /// The name of the worker threads.
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = name.into();
        self
    }

    /// Starts the worker threads.
    ///
    /// # Errors
    ///
    /// If a worker thread cannot be started (the ones already started stop again).
    pub fn build(self) -> io::Result<Runtime> {
        let n = self.worker_threads.unwrap_or_else(default_worker_threads);
        let shared = Shared::new(Arc::new(Executor::new()));
        let alive = Arc::new(Alive {
            count: Mutex::new(0),
            exited: Condvar::new(),
        });
        let mut rt = Runtime {
            shared,
            workers: Vec::with_capacity(n),
            alive,
        };
        for _ in 0..n {
            let shared = rt.shared.clone();
            // Counted before the thread starts, so that `shutdown_timeout` waits for it too.
            *rt.alive.lock() += 1;
            let guard = AliveGuard(rt.alive.clone());
            let worker = thread::Builder::new()
                .name(self.thread_name.clone())
                .spawn(move || run_worker(shared, guard))?;
            // On `?` above the closure (and its guard) was dropped; `rt` is dropped too,
            // which signals the workers already started to stop.
            rt.workers.push(worker);
        }
        Ok(rt)
    }
}

fn default_worker_threads() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// Counts the workers still running, for [`Runtime::shutdown_timeout`].
struct Alive {
    count: Mutex<usize>,
    exited: Condvar,
}

impl Alive {
    fn lock(&self) -> MutexGuard<'_, usize> {
        self.count.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Decrements [`Alive`] when a worker ends, also if it unwinds.
struct AliveGuard(Arc<Alive>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        *self.0.lock() -= 1;
        self.0.exited.notify_all();
    }
}

fn run_worker(shared: Arc<Shared>, alive: AliveGuard) {
    context::set_for_thread(ThreadContext::async_on(Backend::Smol));
    let current = enter_strong(&shared);
    loop {
        // Task panics are caught by the executor (and resumed at join); this only guards
        // the worker against a panic elsewhere (a waker, a destructor), so that the runtime
        // keeps all its threads.
        let run = panic::catch_unwind(AssertUnwindSafe(|| {
            async_io::block_on(shared.executor.run(shared.closed()));
        }));
        if run.is_ok() || shared.is_closed() {
            break;
        }
    }
    // Release this worker's references before it counts as stopped: when the last one goes,
    // the executor is dropped and the tasks still pending are cancelled.
    drop(current);
    drop(shared);
    drop(alive);
}

/// A smol runtime owned by anyrt: an [`async_executor::Executor`] run by worker threads
/// (one per CPU by default) on async-io's reactor, with `blocking`'s thread pool for
/// [`spawn_blocking`](Runtime::spawn_blocking).
///
/// Dropping it shuts it down without blocking, also inside async code or on one of its own
/// workers: the workers are told to stop and detached; the tasks still pending are dropped
/// once they have (their handles give [`is_cancelled`](anyrt_core::task::JoinError::is_cancelled));
/// blocking closures already running go on, detached.
///
/// ```
/// use std::time::Duration;
///
/// let rt = anyrt_smol::Runtime::new().unwrap();
/// let handle = rt.spawn(async {
///     anyrt_smol::sleep(Duration::from_millis(1)).await;
///     7
/// });
/// assert_eq!(rt.block_on(handle).unwrap(), 7);
/// ```
pub struct Runtime {
    shared: Arc<Shared>,
    workers: Vec<thread::JoinHandle<()>>,
    alive: Arc<Alive>,
}

impl Runtime {
    /// A runtime with the default configuration (see [`Builder`]).
    ///
    /// # Errors
    ///
    /// If a worker thread cannot be started.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A [`Builder`] to configure a runtime.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Runs `future` to completion on the calling thread, inside this runtime: `spawn` in it
    /// goes to this runtime, and `spawn_local` works in it (local tasks still pending when it
    /// returns are dropped).
    ///
    /// The calling thread does not run the runtime's tasks (smol's `block_on(ex.run(..))`
    /// idiom would): its workers do, so `worker_threads(n)` means `n` threads run tasks, as
    /// on every backend.
    ///
    /// Does not check whether blocking is allowed here; the `anyrt` facade does.
    #[inline]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _context = context::enter(ThreadContext::async_on(Backend::Smol));
        let _current = enter_strong(&self.shared);
        async_io::block_on(LocalScope::new(future))
    }

    /// Spawns a task on this runtime. Dropping the handle detaches the task.
    #[inline]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future)
    }

    /// Runs `f` on the blocking thread pool; spawns inside it go to this runtime.
    /// [`abort`](JoinHandle::abort) does not stop a closure.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        spawn_blocking_in(Some(Arc::downgrade(&self.shared)), f)
    }

    /// A handle to this runtime. It does not keep the runtime alive.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Shuts the runtime down and waits at most `timeout` for its worker threads to stop
    /// (a worker busy in a task that does not yield stops only when the task does). Once
    /// they have all stopped, the tasks still pending are dropped before this returns.
    ///
    /// Called on one of this runtime's own workers, it waits for the other workers only.
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shared.close();
        let me = thread::current().id();
        let on_worker = self.workers.iter().any(|w| w.thread().id() == me);
        let target = usize::from(on_worker);
        let deadline = std::time::Instant::now().checked_add(timeout);
        let mut count = self.alive.lock();
        while *count > target {
            count = match deadline {
                None => self
                    .alive
                    .exited
                    .wait(count)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    self.alive
                        .exited
                        .wait_timeout(count, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        drop(count);
        for worker in std::mem::take(&mut self.workers) {
            // A worker that counted itself out has nothing left to do but exit; one that is
            // still running is detached.
            if worker.is_finished() {
                let _ = worker.join();
            }
        }
        // Dropping `self` releases the runtime's reference: if the workers are gone, the
        // executor and its pending tasks are dropped here.
    }
}

// A panic cannot leave a runtime half-updated: its state is the executor (unwind-safe
// itself) and atomics. tokio's runtime is unwind-safe too, so the facade's can be.
impl UnwindSafe for Runtime {}
impl RefUnwindSafe for Runtime {}
impl UnwindSafe for Handle {}
impl RefUnwindSafe for Handle {}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Never blocks: the workers stop on their own and the last of them to let go of the
        // executor drops it (and the tasks still pending). The thread handles are detached.
        self.shared.close();
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("worker_threads", &self.workers.len())
            .field("executor", &self.shared.executor)
            .finish()
    }
}

/// A handle to a [`Runtime`] (or to the process-wide runtime): spawns onto it from any
/// thread. It does not keep the runtime alive: after the runtime is dropped or shut down,
/// a spawn through it gives a handle that is
/// [`is_cancelled`](anyrt_core::task::JoinError::is_cancelled).
///
/// ```
/// let rt = anyrt_smol::Runtime::new().unwrap();
/// let handle = rt.handle();
/// let task = std::thread::spawn(move || handle.spawn(async { 5 })).join().unwrap();
/// assert_eq!(rt.block_on(task).unwrap(), 5);
/// ```
#[derive(Clone)]
pub struct Handle {
    shared: Weak<Shared>,
}

impl Handle {
    /// The runtime the calling thread is inside: a [`Runtime`]'s worker, its `block_on` or a
    /// blocking closure it runs; the process-wide runtime inside the plain [`block_on`](crate::block_on),
    /// its workers and its blocking closures. `None` on a plain thread, and on threads that
    /// run an executor anyrt did not start (smol has no context anyrt could read).
    pub fn current() -> Option<Handle> {
        let shared = with_current(|c| match c {
            CurrentRef::Strong(shared) => Some(shared.this.clone()),
            CurrentRef::Weak(shared) => Some(shared.clone()),
            CurrentRef::Global => None,
        });
        match shared {
            Some(shared) => Some(Handle { shared }),
            None => match context::current() {
                Some(ctx) if ctx.backend == Backend::Smol => Some(Handle::global()),
                _ => None,
            },
        }
    }

    /// The process-wide runtime: started lazily, once, with one worker thread per CPU
    /// (named `anyrt-smol-global`) and never shut down; or the executor given to
    /// [`set_global_executor`].
    pub fn global() -> Handle {
        Handle {
            shared: Arc::downgrade(global()),
        }
    }

    /// Spawns a task on the runtime; a cancelled handle if the runtime has shut down.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_weak(&self.shared, future)
    }

    /// Runs `f` on the blocking thread pool; spawns inside it go to this runtime. A
    /// cancelled handle (and `f` not run) if the runtime has shut down.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        spawn_blocking_weak(&self.shared, f)
    }

    /// Runs `future` to completion on the calling thread, inside this runtime: `spawn` in it
    /// goes to this runtime and `spawn_local` works in it. As with [`Runtime::block_on`], the
    /// runtime's workers run its tasks, not the calling thread.
    ///
    /// It does not keep the runtime alive: after the runtime has shut down the future still
    /// runs, and spawns inside it give cancelled handles.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _context = context::enter(ThreadContext::async_on(Backend::Smol));
        let _current = enter_weak(&self.shared);
        async_io::block_on(LocalScope::new(future))
    }

    fn is_alive(&self) -> bool {
        self.shared.upgrade().is_some_and(|s| !s.is_closed())
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("alive", &self.is_alive())
            .finish()
    }
}

impl anyrt_core::Executor for Handle {
    type Sleep = Sleep;

    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Handle::spawn(self, future)
    }

    fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Handle::spawn_blocking(self, f)
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        crate::time::sleep(duration)
    }

    fn sleep_until(&self, deadline: anyrt_core::time::Instant) -> Sleep {
        crate::time::sleep_until(deadline)
    }
}

impl anyrt_core::Executor for Runtime {
    type Sleep = Sleep;

    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Runtime::spawn(self, future)
    }

    fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Runtime::spawn_blocking(self, f)
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        crate::time::sleep(duration)
    }

    fn sleep_until(&self, deadline: anyrt_core::time::Instant) -> Sleep {
        crate::time::sleep_until(deadline)
    }
}
