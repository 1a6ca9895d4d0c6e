//! The owned [`Runtime`], its [`Builder`], and [`Handle`].
//!
//! async-std's global runtime cannot be shut down, so an owned runtime is an
//! `async_executor::Executor` of its own, run by worker threads on async-std's reactor
//! (async-io's) and its blocking pool (the `blocking` crate's). The workers own the
//! executor: when the runtime is dropped they stop, and the last one drops the executor,
//! which drops the tasks still pending.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use anyrt_core::context;
use anyrt_core::task::local::LocalScope;
use anyrt_core::task::JoinHandle;
use anyrt_core::{Backend, Executor};
use async_executor::Executor as AsyncExecutor;

use crate::task::{self, ASYNC, BLOCKING};
use crate::time::Sleep;

const DEFAULT_THREAD_NAME: &str = "anyrt-async-std-worker";

thread_local! {
    /// The anyrt [`Runtime`] the thread is inside, if any: set on its workers, in its
    /// `block_on` and in its blocking closures. `Global` means async-std's global runtime.
    /// Set only through a [`CurrentGuard`], which restores the previous value when dropped.
    static CURRENT: Cell<Current> = const { Cell::new(Current::GLOBAL) };
}

/// The runtime `spawn` uses on a thread, as stored in [`CURRENT`]: one tagged pointer,
/// so that the thread-local needs no destructor (a `const` thread-local of a type without
/// drop glue is one TLS slot: no lazy registration, never destroyed, so reading it is one
/// load and never fails). What it points to is owned by whoever holds the [`CurrentGuard`]
/// that stored it, and outlives it (see [`with_current`]).
#[derive(Clone, Copy)]
struct Current(*const ());

impl Current {
    /// async-std's global runtime: null.
    const GLOBAL: Current = Current(ptr::null());

    /// A worker thread or `Runtime::block_on`: the runtime is alive meanwhile. A
    /// `*const Shared` (low bit clear).
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

/// What the workers, the runtime and (weakly) the handles share.
struct Shared {
    executor: AsyncExecutor<'static>,
    /// Set when the runtime is dropped: later spawns give cancelled handles.
    closed: AtomicBool,
    /// This `Shared` itself, weakly: what `Handle::current()` and `spawn_blocking` take from
    /// the thread-local, which holds a plain reference.
    this: Weak<Shared>,
}

impl Shared {
    #[inline]
    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if self.closed.load(Ordering::Acquire) {
            return JoinHandle::cancelled();
        }
        // async-executor spawns with `propagate_panic`: a panic is caught at join.
        JoinHandle::from_async_task(self.executor.spawn(Stoppable { future }))
    }

    fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        if self.closed.load(Ordering::Acquire) {
            return JoinHandle::cancelled();
        }
        // A closure may run for ever: it must not keep the runtime (and its pending tasks)
        // alive, hence the weak reference.
        let runtime = self.this.clone();
        JoinHandle::from_blocking_async_task(blocking::unblock(move || {
            let _ctx = context::enter(BLOCKING);
            let _rt = enter_weak(&runtime);
            f()
        }))
    }
}

pin_project_lite::pin_project! {
    /// A task of an owned runtime. A worker runs every queued task before it looks at the
    /// shutdown signal again, so each task checks it: after shutdown a task that was still
    /// queued is not polled (it stays pending until the executor is dropped, which cancels
    /// it), as on the other backends.
    struct Stoppable<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Stoppable<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if stopping() {
            return Poll::Pending;
        }
        self.project().future.poll(cx)
    }
}

/// Whether the calling thread is a worker of a runtime that was shut down. Only workers
/// poll a runtime's tasks, and `CURRENT` holds their runtime: one read of a plain
/// thread-local and, on a worker, one load.
#[inline]
fn stopping() -> bool {
    with_current(|c| matches!(c, CurrentRef::Strong(s) if s.closed.load(Ordering::Acquire)))
}

/// Sets [`CURRENT`] until dropped, then restores the previous value. It borrows what the
/// stored pointer points to for its whole life.
struct CurrentGuard<'a> {
    prev: Current,
    // Not `Send`, through the raw pointer of `Current`: dropped on the thread it was made on.
    _referent: PhantomData<&'a Shared>,
}

/// Stores `current` in [`CURRENT`], giving back the previous value for the guard.
#[inline(always)]
fn enter(current: Current) -> Current {
    CURRENT.with(|c| c.replace(current))
}

/// Makes `shared` the calling thread's runtime, strongly: for a worker and
/// `Runtime::block_on`, which keep it alive meanwhile.
#[inline]
fn enter_strong(shared: &Shared) -> CurrentGuard<'_> {
    CurrentGuard {
        prev: enter(Current::strong(shared)),
        _referent: PhantomData,
    }
}

/// Makes `shared` the calling thread's runtime without keeping it alive: for a blocking
/// closure and `Handle::block_on`.
#[inline]
fn enter_weak(shared: &Weak<Shared>) -> CurrentGuard<'_> {
    CurrentGuard {
        prev: enter(Current::weak(shared)),
        _referent: PhantomData,
    }
}

/// Makes async-std's global runtime the calling thread's one.
fn enter_global() -> CurrentGuard<'static> {
    CurrentGuard {
        prev: enter(Current::GLOBAL),
        _referent: PhantomData,
    }
}

impl Drop for CurrentGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.prev));
    }
}

/// Spawns where the calling thread is: its anyrt runtime, else async-std's global one.
///
/// No borrow is held meanwhile: the destructors that the spawn may run (of a runtime whose
/// last reference an upgrade gave, with its executor and tasks) may spawn too.
#[inline]
pub(crate) fn spawn_here<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    with_current(move |c| match c {
        CurrentRef::Global => task::spawn_global(future),
        CurrentRef::Strong(shared) => shared.spawn(future),
        CurrentRef::Weak(weak) => match weak.upgrade() {
            Some(shared) => shared.spawn(future),
            None => JoinHandle::cancelled(),
        },
    })
}

/// Runs a blocking closure for the runtime the calling thread is inside, else globally.
pub(crate) fn spawn_blocking_here<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    with_current(move |c| match c {
        CurrentRef::Global => task::spawn_blocking_global(f),
        CurrentRef::Strong(shared) => shared.spawn_blocking(f),
        CurrentRef::Weak(weak) => match weak.upgrade() {
            Some(shared) => shared.spawn_blocking(f),
            None => JoinHandle::cancelled(),
        },
    })
}

/// Configures and builds a [`Runtime`].
///
/// ```
/// let rt = anyrt_async_std::Runtime::builder()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    worker_threads: Option<usize>,
    thread_name: Option<String>,
}

impl Builder {
    /// A builder with the defaults: one worker thread per CPU
    /// ([`std::thread::available_parallelism`]), named `anyrt-async-std-worker`.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The number of worker threads (at least 1: `build` fails on 0).
    pub fn worker_threads(mut self, n: usize) -> Builder {
        self.worker_threads = Some(n);
        self
    }

    /// The name of the worker threads.
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = Some(name.into());
        self
    }

    /// Starts the worker threads.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for zero worker threads; the OS error if a thread cannot be spawned.
    pub fn build(self) -> io::Result<Runtime> {
        let workers = match self.worker_threads {
            Some(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "anyrt-async-std: a runtime needs at least one worker thread; \
                     pass worker_threads(n) with n >= 1, or leave it unset for one per CPU",
                ))
            }
            Some(n) => n,
            None => thread::available_parallelism().map_or(1, usize::from),
        };
        let thread_name = self
            .thread_name
            .unwrap_or_else(|| DEFAULT_THREAD_NAME.to_owned());
        let shared = Arc::new_cyclic(|this| Shared {
            executor: AsyncExecutor::new(),
            closed: AtomicBool::new(false),
            this: this.clone(),
        });
        let (stop_tx, stop_rx) = async_channel::bounded::<()>(1);
        let exit = Arc::new(Exit::default());
        // Built first so that an error below shuts the started workers down.
        let runtime = Runtime {
            shared,
            stop: Some(stop_tx),
            exit,
            workers,
            thread_name,
        };
        for _ in 0..workers {
            let shared = runtime.shared.clone();
            let exit = runtime.exit.clone();
            let stop = stop_rx.clone();
            *exit.lock() += 1;
            let spawned = thread::Builder::new()
                .name(runtime.thread_name.clone())
                .spawn(move || worker_main(shared, exit, stop));
            if let Err(e) = spawned {
                runtime.exit.worker_stopped();
                return Err(e);
            }
        }
        Ok(runtime)
    }
}

/// Counts the running workers, for [`Runtime::shutdown_timeout`].
#[derive(Default)]
struct Exit {
    running: Mutex<usize>,
    stopped: Condvar,
}

impl Exit {
    fn lock(&self) -> MutexGuard<'_, usize> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn worker_stopped(&self) {
        *self.lock() -= 1;
        // Every time: `shutdown_timeout` on a worker waits for the others only.
        self.stopped.notify_all();
    }
}

fn worker_main(shared: Arc<Shared>, exit: Arc<Exit>, stop: async_channel::Receiver<()>) {
    context::set_for_thread(ASYNC);
    // Dropped last, also when unwinding: counts the worker out once it has given up its
    // share of the runtime.
    let _exit = WorkerExit { exit };
    // The locals below are dropped in reverse order, also when unwinding. The worker's
    // reference may be the runtime's last: dropping it drops the executor with the tasks
    // still pending, whose destructors may spawn. They find a dead runtime (and get
    // cancelled handles), not the global one, since the weak guard is still in place then.
    let weak = shared.this.clone();
    let _weak = enter_weak(&weak);
    // Moved after `_weak` so that it is dropped before.
    let shared = shared;
    let _strong = enter_strong(&shared);
    loop {
        // Task panics are caught by the executor (`propagate_panic`) and async-task aborts
        // on a panicking destructor of a cancelled task; should anything else unwind out of
        // the executor, the worker goes on, as async-std's own workers do.
        let run = panic::catch_unwind(AssertUnwindSafe(|| {
            async_io::block_on(shared.executor.run(async {
                // Completes when the runtime drops the sender.
                let _ = stop.recv().await;
            }))
        }));
        if run.is_ok() {
            break;
        }
    }
}

struct WorkerExit {
    exit: Arc<Exit>,
}

impl Drop for WorkerExit {
    fn drop(&mut self) {
        self.exit.worker_stopped();
    }
}

/// An owned async-std runtime: worker threads running an executor of their own on
/// async-std's reactor and blocking pool.
///
/// Unlike async-std's global runtime, it can be shut down: dropping it stops its workers
/// without waiting for them (it never blocks, also inside async code or on one of its own
/// workers), and the tasks still pending are dropped, their handles giving
/// `JoinError::is_cancelled()`; a task being polled at that moment finishes that poll,
/// and a task still queued is not polled again. Blocking closures already running are
/// detached. A spawn after the drop (through a [`Handle`]) gives a cancelled handle.
///
/// Its tasks run without async-std's task-locals, like every anyrt task on this backend.
///
/// ```
/// let rt = anyrt_async_std::Runtime::new().unwrap();
/// let handle = rt.spawn(async { 1 + 1 });
/// assert_eq!(rt.block_on(handle).unwrap(), 2);
/// ```
pub struct Runtime {
    shared: Arc<Shared>,
    /// Dropped to stop the workers.
    stop: Option<async_channel::Sender<()>>,
    exit: Arc<Exit>,
    workers: usize,
    thread_name: String,
}

impl Runtime {
    /// A runtime with the default configuration: one worker per CPU.
    ///
    /// # Errors
    ///
    /// If a worker thread cannot be spawned.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A [`Builder`] to configure a runtime.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Runs `future` to completion on the calling thread. Spawns inside it go to this
    /// runtime; `spawn_local` works inside it, and local tasks still pending when it returns
    /// are dropped.
    ///
    /// The future runs on `async_io::block_on`, not `async_std::task::block_on`: an owned
    /// runtime does not start async-std's global one, so async-std's task-locals are
    /// unavailable here.
    #[inline]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _ctx = context::enter(ASYNC);
        let _rt = enter_strong(&self.shared);
        async_io::block_on(LocalScope::new(future))
    }

    /// Spawns a task onto this runtime.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future)
    }

    /// Runs a blocking closure on the blocking pool; spawns from it go to this runtime.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.shared.spawn_blocking(f)
    }

    /// A handle to this runtime. It does not keep the runtime alive.
    pub fn handle(&self) -> Handle {
        Handle {
            kind: HandleKind::Runtime(Arc::downgrade(&self.shared)),
        }
    }

    /// Shuts the runtime down and waits at most `timeout` for its workers to stop. When it
    /// returns before the timeout, the tasks still pending have been dropped.
    ///
    /// Called on one of the runtime's own workers, it waits for the other workers only.
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown();
        let own_worker = with_current(
            |c| matches!(c, CurrentRef::Strong(s) if ptr::eq(s, Arc::as_ptr(&self.shared))),
        );
        let exit = self.exit.clone();
        drop(self);
        let target = usize::from(own_worker);
        let deadline = std::time::Instant::now().checked_add(timeout);
        let mut running = exit.lock();
        while *running > target {
            running = match deadline {
                None => exit
                    .stopped
                    .wait(running)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let now = std::time::Instant::now();
                    if now >= deadline {
                        break;
                    }
                    exit.stopped
                        .wait_timeout(running, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }

    /// Tells the workers to stop; never waits.
    fn shutdown(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        // Closing the channel completes every worker's `run`.
        self.stop.take();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("backend", &Backend::AsyncStd)
            .field("worker_threads", &self.workers)
            .field("thread_name", &self.thread_name)
            .finish()
    }
}

/// A handle to an async-std runtime: an anyrt [`Runtime`] of this crate, or async-std's
/// global runtime.
///
/// It spawns onto its runtime from any thread, and does not keep a [`Runtime`] alive: a
/// spawn through it after the runtime was dropped gives a handle that is cancelled.
///
/// ```
/// let rt = anyrt_async_std::Runtime::new().unwrap();
/// let handle = rt.handle();
/// let task = std::thread::spawn(move || handle.spawn(async { 7 })).join().unwrap();
/// assert_eq!(rt.block_on(task).unwrap(), 7);
/// drop(rt);
/// ```
#[derive(Clone)]
pub struct Handle {
    kind: HandleKind,
}

#[derive(Clone)]
enum HandleKind {
    Global,
    Runtime(Weak<Shared>),
}

impl Handle {
    /// The async-std runtime the calling thread is inside: an anyrt [`Runtime`] (a worker,
    /// its `block_on`, its blocking closures), else the global runtime when the thread runs
    /// anyrt code on this backend or a native async-std task; `None` elsewhere.
    pub fn current() -> Option<Handle> {
        let runtime = with_current(|c| match c {
            CurrentRef::Strong(s) => Some(s.this.clone()),
            CurrentRef::Weak(w) => Some(w.clone()),
            CurrentRef::Global => None,
        });
        if let Some(runtime) = runtime {
            return Some(Handle {
                kind: HandleKind::Runtime(runtime),
            });
        }
        let here = context::current().is_some_and(|c| c.backend == Backend::AsyncStd)
            || task::in_native_context();
        here.then(Handle::global)
    }

    /// async-std's global runtime, started on first use.
    pub fn global() -> Handle {
        Handle {
            kind: HandleKind::Global,
        }
    }

    /// Spawns a task onto the handle's runtime.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.kind {
            HandleKind::Global => task::spawn_global(future),
            HandleKind::Runtime(weak) => match weak.upgrade() {
                Some(shared) => shared.spawn(future),
                None => JoinHandle::cancelled(),
            },
        }
    }

    /// Runs a blocking closure on the blocking pool, for the handle's runtime.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match &self.kind {
            HandleKind::Global => {
                // The closure must not see a runtime this thread may be inside.
                task::spawn_blocking_global(f)
            }
            HandleKind::Runtime(weak) => match weak.upgrade() {
                Some(shared) => shared.spawn_blocking(f),
                None => JoinHandle::cancelled(),
            },
        }
    }

    /// Runs `future` to completion on the calling thread, inside the handle's runtime (see
    /// [`Runtime::block_on`] and [`block_on`](crate::block_on)). After the runtime shut
    /// down, spawns inside it give cancelled handles.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match &self.kind {
            HandleKind::Global => {
                let _rt = enter_global();
                crate::block_on(future)
            }
            HandleKind::Runtime(weak) => {
                let _ctx = context::enter(ASYNC);
                let _rt = enter_weak(weak);
                async_io::block_on(LocalScope::new(future))
            }
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Handle");
        d.field("backend", &Backend::AsyncStd);
        match &self.kind {
            HandleKind::Global => d.field("runtime", &"global"),
            HandleKind::Runtime(w) => match w.upgrade() {
                Some(s) if !s.closed.load(Ordering::Relaxed) => d.field("runtime", &"owned"),
                _ => d.field("runtime", &"owned, shut down"),
            },
        };
        d.finish()
    }
}

impl Executor for Handle {
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
        crate::sleep(duration)
    }
}

impl Executor for Runtime {
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
        crate::sleep(duration)
    }
}
