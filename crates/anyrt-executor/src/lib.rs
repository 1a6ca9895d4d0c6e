//! The owned multi-threaded runtime on async-io's reactor shared by the smol and async-std
//! backends of [anyrt](https://docs.rs/anyrt), with an executor of anyrt's own ([`Pool`]).
//!
//! **Who uses this crate:** `anyrt-smol` and `anyrt-async-std`, and nothing else. Their
//! `Runtime` is this crate's [`Runtime`] of their provider (`Runtime<Smol>`); their `Handle`
//! wraps this crate's [`Handle`] beside their own process-wide runtime. Nothing here calls
//! back into a backend: a backend crate calls [`spawn_current`] with its
//! [`anyrt_core::Backend`] and says where a spawn outside every runtime of this crate goes.
//! Blocking closures run on the `blocking` crate's pool for both.
//!
//! What is shared:
//!
//! * [`Pool`]: the executor, on async-task, with async-executor's scheduling less the
//!   wake-ups of idle workers that a yield or a message between two tasks caused there
//!   (tokio's rules: a yield and a task woken by the running one stay on its worker). Closing it drops every task that
//!   is not being polled at once, a task's handle gives the panic of its destructor, and
//!   `abort()` keeps a result produced in time (see its module).
//! * [`Runtime`]: a [`Pool`] run by N worker threads blocked in
//!   `async_io::block_on(pool.run(..))`, a closed flag with a shutdown signal, and
//!   [`Runtime::shutdown_timeout`], which waits for the workers with a deadline. Dropping it
//!   never blocks; it closes the pool, which drops the tasks still pending (their handles
//!   give `is_cancelled()`) except one that a worker is polling, dropped once that poll
//!   returns.
//! * [`Shared`]: what the workers, the runtime and (weakly) the [`Handle`]s share: the pool,
//!   or, for smol's process-wide runtime, an [`async_executor::Executor`] the application
//!   runs.
//! * [`block_on`]: `async_io::block_on`, under the smol backend's `block_on` and every
//!   owned runtime's, except that a future ready at its first poll never reaches async-io
//!   (a quarter of the time of smol's `block_on` of a ready future).
//! * The current runtime of a thread: one word per backend in a `const` thread-local of
//!   this crate, set through guards, read by [`spawn_current`] and
//!   [`spawn_blocking_current`].
//!
//! Everything on the spawn and poll paths is inlined, with the backend a constant: no
//! allocation beyond the executor's own task, no indirection beyond the thread-local read.

// `unsafe` only where allowed item by item, with its SAFETY argument: the thread-local of
// the current runtime (`with_current`), a plain pointer so that the spawn and poll hot paths
// read it with one load.
#![deny(unsafe_code)]

#[cfg(all(feature = "net", unix))]
mod net;
mod pool;
mod time;

#[cfg(all(feature = "net", unix))]
pub use net::Source;
pub use pool::Pool;
pub use time::Sleep;

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe, RefUnwindSafe, UnwindSafe};
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::drop_panic::DiscardDropPanic;
use anyrt_core::task::local;
use anyrt_core::task::JoinHandle;
use anyrt_core::{Backend, Provider, RuntimeConfig};
use async_executor::Executor;
use event_listener::Event;

thread_local! {
    /// The runtime of this crate the thread is inside, one slot per backend
    /// ([`Backend::index`]): a smol runtime's worker is inside none of async-std's, so an
    /// async-std spawn there goes to async-std's process-wide runtime. Written only here,
    /// through the guards below; `GLOBAL` (the initial value) means none.
    static CURRENT: [Cell<Current>; Backend::ALL.len()] =
        const { [const { Cell::new(Current::GLOBAL) }; Backend::ALL.len()] };
}

/// Runs `f` with the calling thread's slot of `backend` in [`CURRENT`].
#[inline(always)]
fn slot<R>(backend: Backend, f: impl FnOnce(&Cell<Current>) -> R) -> R {
    CURRENT.with(|slots| f(&slots[backend.index()]))
}

/// What a runtime's workers, the runtime and (weakly) its handles and the thread-local
/// share: the executor and the shutdown signal. Closing it ([`Runtime`]'s drop) drops the
/// tasks still pending (their handles give `is_cancelled()`).
pub struct Shared {
    executor: Exec,
    closed: AtomicBool,
    shutdown: Event,
    /// This `Shared` itself, weakly: what `Handle::current()` and `spawn_blocking` take from
    /// the thread-local, which holds a plain reference.
    this: Weak<Shared>,
    /// The backend its threads run as.
    backend: Backend,
}

/// Starts `f` on the `blocking` crate's thread pool (the one smol and async-std use), as it
/// is: the caller enters the context and the current runtime inside `f`.
fn unblock<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    JoinHandle::from_blocking_async_task(blocking::unblock(f))
}

/// The executor of a [`Shared`].
enum Exec {
    /// anyrt's own: every runtime of this crate.
    Own(Pool),
    /// The application's (smol's process-wide runtime, `set_global_executor`), which the
    /// application runs and which is never shut down.
    Application(Arc<Executor<'static>>),
}

impl fmt::Debug for Exec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exec::Own(pool) => pool.fmt(f),
            Exec::Application(ex) => ex.fmt(f),
        }
    }
}

impl Shared {
    fn with(backend: Backend, executor: Exec) -> Arc<Shared> {
        Arc::new_cyclic(|this| Shared {
            executor,
            closed: AtomicBool::new(false),
            shutdown: Event::new(),
            this: this.clone(),
            backend,
        })
    }

    /// A runtime state around the application's `executor`, not run by any worker of this
    /// crate: the application runs it.
    ///
    /// Its tasks are async-executor's: a panic of a task's destructor (at abort, or when the
    /// executor is dropped) is caught and discarded (the panic hook has printed it) and the
    /// handle says cancelled, since async-executor gives a task no room for the payload.
    pub fn from_executor(backend: Backend, executor: Arc<Executor<'static>>) -> Arc<Shared> {
        Shared::with(backend, Exec::Application(executor))
    }

    /// Runs the executor's tasks on the calling thread until `future` completes.
    async fn run<T>(&self, future: impl Future<Output = T>) -> T {
        match &self.executor {
            Exec::Own(pool) => pool.run(future).await,
            Exec::Application(ex) => ex.run(future).await,
        }
    }

    /// Spawns a task on the executor; a cancelled handle if the runtime has shut down.
    #[inline]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.executor {
            // Refuses once closed itself.
            Exec::Own(pool) => pool.spawn(future),
            Exec::Application(ex) => spawn_application(ex, future),
        }
    }

    /// Runs `f` on the blocking pool with this runtime as its thread's current one (weakly:
    /// a closure may run for ever and must not keep the runtime alive); a cancelled handle,
    /// and `f` not run, if the runtime has shut down.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        if self.is_closed() {
            return JoinHandle::cancelled();
        }
        let runtime = self.this.clone();
        let backend = self.backend;
        unblock(move || {
            let _context = context::enter(ThreadContext::blocking_on(backend));
            let _current = enter_weak(backend, &runtime);
            f()
        })
    }

    /// Whether the runtime has been told to shut down.
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Tells the workers to stop and drops the tasks that are not being polled; never waits
    /// (for a task being polled, its worker drops it once that poll returns).
    fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.shutdown.notify(usize::MAX);
        if let Exec::Own(pool) = &self.executor {
            // The destructors of the tasks dropped here may spawn: they find this runtime,
            // closed (and get cancelled handles), not the one the thread is in.
            let _current = enter_weak(self.backend, &self.this);
            pool.close();
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

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("backend", &self.backend)
            .field("closed", &self.is_closed())
            .field("executor", &self.executor)
            .finish()
    }
}

/// A spawn onto the application's executor. async-executor spawns with `propagate_panic`: a
/// panic is caught at join. A panic of the future's destructor (at abort or when the
/// executor is dropped) is caught where it is dropped (async-task would abort the process)
/// and discarded: async-executor gives a task no metadata to keep the payload in, so the
/// handle says cancelled.
fn spawn_application<F>(ex: &Executor<'static>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    JoinHandle::from_async_task(ex.spawn(CoopTask {
        future: DiscardDropPanic::new(future),
    }))
}

pin_project_lite::pin_project! {
    /// A task's future on the application's executor: the co-op budget is renewed at each
    /// poll (anyrt's own executor does this in its task wrapper).
    struct CoopTask<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for CoopTask<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        anyrt_core::coop::reset();
        self.project().future.poll(cx)
    }
}

/// The runtime a thread is inside, as stored in its backend's slot of [`CURRENT`]: one
/// tagged pointer, so that the thread-local needs no
/// destructor (a `const` thread-local of a type without drop glue is one TLS slot: no lazy
/// registration, never destroyed, so reading it is one load and never fails). What it points
/// to is owned by whoever holds the guard that stored it, and outlives it.
#[derive(Clone, Copy, Debug)]
struct Current(*const ());

impl Current {
    /// No runtime of this crate: the backend's process-wide one. The initial value.
    const GLOBAL: Current = Current(ptr::null());

    /// A runtime worker or `Runtime::block_on`: the runtime outlives the thread's use of it,
    /// so the spawn hot path needs no upgrade. A `*const Shared` (low bit clear).
    #[inline(always)]
    fn strong(shared: &Shared) -> Current {
        const { assert!(align_of::<Shared>() > WEAK_TAG) };
        Current(ptr::from_ref(shared).cast())
    }

    /// A blocking closure or `Handle::block_on`: must not keep the runtime alive. A
    /// `*const Weak<Shared>` with [`WEAK_TAG`] set.
    #[inline(always)]
    fn weak(weak: &Weak<Shared>) -> Current {
        const { assert!(align_of::<Weak<Shared>>() > WEAK_TAG) };
        Current(ptr::from_ref(weak).cast::<()>().map_addr(|a| a | WEAK_TAG))
    }
}

/// The tag of [`Current::weak`]: a bit that is clear in the address of every `Shared` and
/// every `Weak<Shared>` (checked where they are stored).
const WEAK_TAG: usize = 1;

/// [`Current`] with references, valid for one [`with_current`] call.
enum CurrentRef<'a> {
    Global,
    Strong(&'a Shared),
    Weak(&'a Weak<Shared>),
}

/// Runs `f` with the calling thread's current runtime.
#[inline(always)]
#[allow(unsafe_code)]
fn with_current<R>(backend: Backend, f: impl FnOnce(CurrentRef<'_>) -> R) -> R {
    let Current(ptr) = slot(backend, Cell::get);
    let current = if ptr.addr() & WEAK_TAG != 0 {
        // SAFETY: a pointer is in a slot of `CURRENT` only while the `CurrentGuard`
        // that put it there is alive (the guard puts the previous value back when dropped;
        // guards live on the stack of the thread they were made on, since they are not
        // `Send`, are never leaked by this crate, and are dropped in reverse order of
        // creation, as stack values are). The guard borrows the `Shared` (or `Weak`) for its
        // whole life (`CurrentGuard<'a>`), so the referent cannot be moved or dropped while
        // the pointer is stored. `f` runs below the frame that owns the guard, so it cannot
        // end that borrow either: the reference is valid for all of `f`. Only shared
        // references are ever made from these pointers. Only this crate makes a `Current`
        // that points somewhere (its field is private), each to a `Shared` or a
        // `Weak<Shared>`, one type for every backend, and only this crate writes `CURRENT`
        // (a private thread-local, written only through guards). Tagged, it is a `Weak<Shared>`
        // (`Current::weak`), and clearing the tag gives its address back (with its
        // provenance).
        CurrentRef::Weak(unsafe { &*ptr.map_addr(|a| a & !WEAK_TAG).cast::<Weak<Shared>>() })
    } else if ptr.is_null() {
        CurrentRef::Global
    } else {
        // SAFETY: as above; untagged and not null, it is a `Shared` (`Current::strong`).
        CurrentRef::Strong(unsafe { &*ptr.cast::<Shared>() })
    };
    f(current)
}

/// Sets a backend's current runtime until dropped, then restores the previous value. It
/// borrows what the stored pointer points to for its whole life.
///
/// Never given out: a guard dropped out of order (kept past the guard it was made under)
/// would put back a pointer whose referent is gone.
struct CurrentGuard<'a> {
    backend: Backend,
    prev: Current,
    // Not `Send`, through the raw pointer of `Current`: dropped on the thread it was made on.
    _referent: PhantomData<&'a Shared>,
}

#[inline(always)]
fn enter(backend: Backend, current: Current) -> Current {
    slot(backend, |c| c.replace(current))
}

/// Makes `shared` the calling thread's runtime, strongly: for a worker and
/// `Runtime::block_on`, which keep it alive meanwhile.
#[inline]
fn enter_strong(backend: Backend, shared: &Shared) -> CurrentGuard<'_> {
    CurrentGuard {
        backend,
        prev: enter(backend, Current::strong(shared)),
        _referent: PhantomData,
    }
}

/// Makes `shared` the calling thread's runtime without keeping it alive: for a blocking
/// closure and `Handle::block_on`.
#[inline]
fn enter_weak(backend: Backend, shared: &Weak<Shared>) -> CurrentGuard<'_> {
    CurrentGuard {
        backend,
        prev: enter(backend, Current::weak(shared)),
        _referent: PhantomData,
    }
}

/// `async_io::block_on(future)`, except that a future ready at its first poll returns
/// without reaching async-io: that poll gets a no-op waker, and only a future that returns
/// `Pending` to it goes on to `async_io::block_on`, which polls it again at once with a waker
/// that unparks this thread. A future registers the waker of its latest poll (the `Future`
/// contract), so the no-op one is never the only waker a wake-up reaches.
///
/// Why: `async_io::block_on` costs about 120 instructions even for a ready future (a parker
/// taken from a thread-local and reset, a counter the reactor thread reads, a wake-up of that
/// thread at the end), more than everything anyrt adds around it. A pending future pays one
/// poll more.
///
/// ```
/// use std::task::Poll;
///
/// assert_eq!(anyrt_executor::block_on(async { 7 }), 7);
///
/// // A future pending at the first poll is polled again with a real waker.
/// let mut polls = 0;
/// let v = anyrt_executor::block_on(std::future::poll_fn(|cx| {
///     polls += 1;
///     if polls < 3 {
///         cx.waker().wake_by_ref(); // woken at once: the no-op waker's wake is not lost
///         Poll::Pending
///     } else {
///         Poll::Ready(polls)
///     }
/// }));
/// assert_eq!(v, 3);
/// ```
#[inline]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    if let Poll::Ready(v) = future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        return v;
    }
    async_io::block_on(future)
}

/// Runs `f` with the backend's process-wide runtime as the calling thread's one (for a
/// `block_on` on the process-wide runtime inside an owned one), then restores the previous
/// one, also if `f` unwinds.
#[inline]
pub fn in_global<R>(backend: Backend, f: impl FnOnce() -> R) -> R {
    let _current = CurrentGuard::<'static> {
        backend,
        prev: enter(backend, Current::GLOBAL),
        _referent: PhantomData,
    };
    f()
}

impl Drop for CurrentGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        slot(self.backend, |c| c.set(self.prev));
    }
}

/// Spawns onto the calling thread's runtime of `backend`, else with `global` (the backend's
/// process-wide runtime). A runtime that was dropped or shut down gives a cancelled handle.
/// What `Provider::spawn` is on the smol backend:
/// `spawn_current(Backend::Smol, future, runtime::spawn_global)`.
#[inline]
pub fn spawn_current<F>(
    backend: Backend,
    future: F,
    global: impl FnOnce(F) -> JoinHandle<F::Output>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // No borrow is held meanwhile: the destructors that the spawn may run (of a runtime
    // whose last reference an upgrade gave, with its executor and tasks) may spawn too.
    with_current(backend, move |c| match c {
        CurrentRef::Strong(shared) => shared.spawn(future),
        CurrentRef::Global => global(future),
        CurrentRef::Weak(weak) => spawn_weak(weak, future),
    })
}

/// Runs a blocking closure tied to the calling thread's runtime of `backend`, if any, so
/// that spawns and `Handle::current()` inside it see that runtime; else with no runtime of
/// this crate.
pub fn spawn_blocking_current<F, R>(backend: Backend, f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    with_current(backend, move |c| match c {
        CurrentRef::Strong(shared) => shared.spawn_blocking(f),
        CurrentRef::Weak(weak) => spawn_blocking_weak(weak, f),
        CurrentRef::Global => spawn_blocking_global(backend, f),
    })
}

/// Runs `f` on the blocking pool with the blocking context of `backend` and no runtime of
/// this crate as its current one.
pub fn spawn_blocking_global<F, R>(backend: Backend, f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    unblock(move || {
        let _context = context::enter(ThreadContext::blocking_on(backend));
        f()
    })
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
        Some(s) => s.spawn(future),
        None => JoinHandle::cancelled(),
    }
}

fn spawn_blocking_weak<F, R>(shared: &Weak<Shared>, f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match shared.upgrade() {
        Some(s) => s.spawn_blocking(f),
        None => JoinHandle::cancelled(),
    }
}

/// The runtime of `P` the calling thread is inside, weakly: a runtime's worker, its
/// `block_on` or a blocking closure it runs. `None` when it is inside none (the backend then
/// decides whether the thread belongs to its process-wide runtime).
pub fn current<P: Provider>() -> Option<Handle<P>> {
    with_current(P::BACKEND, |c| match c {
        CurrentRef::Strong(shared) => Some(shared.this.clone()),
        CurrentRef::Weak(weak) => Some(weak.clone()),
        CurrentRef::Global => None,
    })
    .map(|shared| Handle {
        shared,
        _backend: PhantomData,
    })
}

/// Counts the workers still running, for [`Runtime::shutdown_timeout`].
#[derive(Default)]
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
        // Every time: `shutdown_timeout` on a worker waits for the others only.
        self.0.exited.notify_all();
    }
}

fn run_worker(shared: Arc<Shared>, alive: AliveGuard) {
    let backend = shared.backend;
    context::set_for_thread(ThreadContext::async_on(backend));
    // Dropped last, also when unwinding: counts the worker out once it has given up its
    // share of the runtime.
    let _alive = alive;
    // The locals below are dropped in reverse order, also when unwinding. The worker's
    // reference may be the runtime's last: dropping it drops the executor with the tasks
    // still pending, whose destructors may spawn. They find a dead runtime (and get
    // cancelled handles), not the process-wide one, since the weak guard is still in place.
    let weak = shared.this.clone();
    let _weak = enter_weak(backend, &weak);
    // Moved after `_weak` so that it is dropped before.
    let shared = shared;
    let _strong = enter_strong(backend, &shared);
    loop {
        // Task panics are caught by the executor (and resumed at join); this only guards the
        // worker against a panic elsewhere (a waker, a destructor), so that the runtime keeps
        // all its threads.
        let run = panic::catch_unwind(AssertUnwindSafe(|| {
            async_io::block_on(shared.run(shared.closed()));
        }));
        if run.is_ok() || shared.is_closed() {
            break;
        }
    }
}

/// An owned runtime of the backend `P` (`anyrt_smol::Runtime` is `Runtime<Smol>`): a
/// [`Pool`] run by worker threads (one per CPU by default) on async-io's reactor, with the
/// `blocking` crate's thread pool for [`spawn_blocking`](Runtime::spawn_blocking).
///
/// Dropping it shuts it down without blocking, also inside async code or on one of its own
/// workers: the tasks still pending are dropped before the drop returns, on the dropping
/// thread (their handles give `is_cancelled()`, or the panic of their destructor), except a
/// task a worker is polling, which that worker drops once the poll returns; the workers are
/// told to stop and detached; blocking closures already running go on, detached. A spawn
/// through a [`Handle`] after that gives a cancelled handle.
///
/// `anyrt_smol::Runtime` and `anyrt_async_std::Runtime` show it at work.
pub struct Runtime<P> {
    shared: Arc<Shared>,
    _backend: PhantomData<fn() -> P>,
    workers: Vec<thread::JoinHandle<()>>,
    alive: Arc<Alive>,
    // No workers: the executor runs inside `block_on`.
    current_thread: bool,
}

impl<P: Provider> Runtime<P> {
    /// Starts a runtime: one worker thread per CPU unless the configuration says otherwise
    /// (smol's own default is 1; anyrt's is the number of CPUs on every backend), named
    /// `anyrt-<backend>-worker` (`anyrt-smol-worker`) unless it names them; or a
    /// [current-thread](RuntimeConfig::current_thread) runtime. What
    /// [`Provider::build`] does for the smol and async-std backends.
    ///
    /// # Errors
    ///
    /// `worker_threads(0)`, or a worker thread that cannot be started (the ones already
    /// started stop again).
    pub fn with_config(config: &RuntimeConfig) -> io::Result<Runtime<P>> {
        if config.is_current_thread() {
            return Ok(Runtime::current_thread());
        }
        let workers = config.workers()?;
        match config.name() {
            Some(name) => Runtime::start(workers, name),
            None => Runtime::start(workers, &format!("anyrt-{}-worker", P::BACKEND)),
        }
    }

    /// Starts `worker_threads` workers named `thread_name` on a new executor.
    fn start(worker_threads: usize, thread_name: &str) -> io::Result<Runtime<P>> {
        let mut rt = Runtime {
            shared: Shared::with(P::BACKEND, Exec::Own(Pool::new())),
            _backend: PhantomData,
            workers: Vec::with_capacity(worker_threads),
            alive: Arc::new(Alive::default()),
            current_thread: false,
        };
        for _ in 0..worker_threads {
            let shared = rt.shared.clone();
            // Counted before the thread starts, so that `shutdown_timeout` waits for it too.
            *rt.alive.lock() += 1;
            let guard = AliveGuard(rt.alive.clone());
            let worker = thread::Builder::new()
                .name(thread_name.to_owned())
                .spawn(move || run_worker(shared, guard))?;
            // On `?` above the closure (and its guard) was dropped; `rt` is dropped too,
            // which signals the workers already started to stop.
            rt.workers.push(worker);
        }
        Ok(rt)
    }

    /// A current-thread runtime: no worker thread; its tasks run on the thread that calls
    /// [`block_on`](Self::block_on), while it does. Dropping it drops the tasks still
    /// pending at once.
    fn current_thread() -> Runtime<P> {
        Runtime {
            shared: Shared::with(P::BACKEND, Exec::Own(Pool::new())),
            _backend: PhantomData,
            workers: Vec::new(),
            alive: Arc::new(Alive::default()),
            current_thread: true,
        }
    }

    /// What the runtime's workers and handles share.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The number of worker threads.
    pub fn worker_threads(&self) -> usize {
        self.workers.len()
    }

    /// Runs `future` to completion on the calling thread, inside this runtime: `spawn` in it
    /// goes to this runtime, and `spawn_local` works in it (local tasks still pending when it
    /// returns are dropped). The calling thread does not run the runtime's tasks (smol's
    /// `block_on(ex.run(..))` idiom would): its workers do, so `worker_threads(n)` means `n`
    /// threads run tasks, as on every backend; except on a current-thread runtime, where
    /// nobody else does.
    ///
    /// Does not check whether blocking is allowed here; the `anyrt` facade does.
    #[inline]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _context = context::enter(ThreadContext::async_on(P::BACKEND));
        let _current = enter_strong(P::BACKEND, &self.shared);
        if self.current_thread {
            // The calling thread runs the runtime's tasks meanwhile.
            return local::scope(future, |f| async_io::block_on(self.shared.run(f)));
        }
        local::scope(future, block_on)
    }

    /// Spawns a task on this runtime.
    #[inline]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future)
    }

    /// Runs `f` on the blocking thread pool; spawns inside it go to this runtime.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.shared.spawn_blocking(f)
    }

    /// A handle to this runtime, as the backend's own handle type (`anyrt_smol::Handle`). It
    /// does not keep the runtime alive.
    pub fn handle(&self) -> P::Handle
    where
        P::Handle: From<Handle<P>>,
    {
        Handle::new(&self.shared).into()
    }

    /// Shuts the runtime down and waits at most `timeout` for its worker threads to stop (a
    /// worker busy in a task that does not yield stops only when the task does). The tasks
    /// that are not being polled are dropped at once, as by a drop; one a worker was
    /// polling is dropped by that worker when its poll returns.
    ///
    /// Called on one of this runtime's own workers, it waits for the other workers only.
    /// Called in async code (where waiting would stall a runtime) it does not wait, like a
    /// drop.
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shared.close();
        if anyrt_core::check_can_block().is_err() {
            // Async code (anyrt's, a tokio runtime, an async-std task): waiting would stall
            // the caller's runtime. Shut down as a drop does, without waiting.
            return;
        }
        let me = thread::current().id();
        let on_worker = self.workers.iter().any(|w| w.thread().id() == me);
        let target = usize::from(on_worker);
        let deadline = Instant::now().checked_add(timeout);
        let mut count = self.alive.lock();
        while *count > target {
            count = match deadline {
                None => self
                    .alive
                    .exited
                    .wait(count)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
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

impl<P> Drop for Runtime<P> {
    fn drop(&mut self) {
        // Never blocks: the workers stop on their own and the last of them to let go of the
        // executor drops it (and the tasks still pending). The thread handles are detached.
        self.shared.close();
    }
}

impl<P: Provider> fmt::Debug for Runtime<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("backend", &P::BACKEND)
            .field("worker_threads", &self.workers.len())
            .field("executor", &self.shared.executor)
            .finish()
    }
}

/// A weak handle to a runtime: spawns onto it from any thread without keeping it alive.
/// After the runtime is dropped or shut down, a spawn through it gives a cancelled handle.
pub struct Handle<P> {
    shared: Weak<Shared>,
    _backend: PhantomData<fn() -> P>,
}

impl<P> Clone for Handle<P> {
    fn clone(&self) -> Self {
        Handle {
            shared: self.shared.clone(),
            _backend: PhantomData,
        }
    }
}

impl<P: Provider> Handle<P> {
    /// A handle to `shared`.
    pub fn new(shared: &Arc<Shared>) -> Handle<P> {
        Handle {
            shared: Arc::downgrade(shared),
            _backend: PhantomData,
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

    /// Runs `future` to completion on the calling thread, inside this runtime (without
    /// keeping it alive: after the runtime has shut down the future still runs, and spawns
    /// inside it give cancelled handles).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _context = context::enter(ThreadContext::async_on(P::BACKEND));
        let _current = enter_weak(P::BACKEND, &self.shared);
        local::scope(future, block_on)
    }

    /// Whether the runtime is still there and not shut down.
    pub fn is_alive(&self) -> bool {
        self.shared.upgrade().is_some_and(|s| !s.is_closed())
    }
}

impl<P: Provider> fmt::Debug for Handle<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("backend", &P::BACKEND)
            .field("alive", &self.is_alive())
            .finish()
    }
}

// A panic cannot leave a runtime half-updated: its state is the executor (unwind-safe
// itself) and atomics. tokio's runtime is unwind-safe too, so the facade's can be.
impl<P> UnwindSafe for Runtime<P> {}
impl<P> RefUnwindSafe for Runtime<P> {}
impl<P> UnwindSafe for Handle<P> {}
impl<P> RefUnwindSafe for Handle<P> {}

anyrt_core::impl_executor!(
    impl<P: Provider> Runtime<P> {
        type Sleep = Sleep;

        fn sleep(&self, duration: Duration) -> Sleep {
            Sleep::after(duration)
        }

        fn sleep_until(&self, deadline: anyrt_core::time::Instant) -> Sleep {
            Sleep::at(deadline)
        }
    }
);
