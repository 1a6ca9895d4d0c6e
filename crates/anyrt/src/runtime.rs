//! Owned runtimes ([`Runtime`]) and handles to them ([`Handle`]).

use std::fmt;
use std::future::Future;
use std::time::Duration;

use anyrt_core::task::JoinHandle;
use anyrt_core::time::Instant;
use anyrt_core::{Backend, RuntimeConfig};

use crate::spawned::{self, spawn_in_context};
use crate::time::{Sleep, Timeout};

/// The error of building a [`Runtime`]. It implements `std::error::Error` (with the IO
/// error as its `source`), so `?` takes it into `anyhow` or `Box<dyn Error>`.
///
/// ```
/// use anyrt::{Backend, Runtime, RuntimeError};
///
/// fn start(backend: Backend) -> Result<Runtime, RuntimeError> {
///     Runtime::builder(backend).worker_threads(1).build()
/// }
///
/// match start(Backend::enabled()[0]) {
///     Ok(rt) => assert_eq!(rt.block_on(async { 1 }), 1),
///     Err(RuntimeError::NotEnabled(b)) => panic!("enable the `{b}` feature"),
///     Err(e) => panic!("{e}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The backend is not compiled in.
    NotEnabled(Backend),
    /// The backend failed to start (threads could not be spawned, ...).
    Io {
        /// The backend.
        backend: Backend,
        /// The cause.
        source: std::io::Error,
    },
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::NotEnabled(b) => write!(
                f,
                "cannot build a {b} runtime: the {b} backend is not compiled in; enable the \
                 `{b}` feature of anyrt (compiled in: {})",
                Backend::enabled()
                    .iter()
                    .map(|b| b.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            RuntimeError::Io { backend, source } => {
                write!(f, "could not start the {backend} runtime: {source}")
            }
        }
    }
}

/// For code that returns `io::Result` (a `main`, a server's start-up), as tokio's
/// `Builder::build` gives an `io::Error`: `NotEnabled` becomes `Unsupported`, `Io` its
/// cause's kind; the message is the same.
///
/// ```
/// fn start() -> std::io::Result<anyrt::Runtime> {
///     Ok(anyrt::Runtime::builder(anyrt::Backend::enabled()[0]).build()?)
/// }
/// assert!(start().is_ok());
/// ```
impl From<RuntimeError> for std::io::Error {
    fn from(e: RuntimeError) -> std::io::Error {
        let kind = match &e {
            RuntimeError::NotEnabled(_) => std::io::ErrorKind::Unsupported,
            RuntimeError::Io { source, .. } => source.kind(),
        };
        std::io::Error::new(kind, e)
    }
}

impl std::error::Error for RuntimeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RuntimeError::Io { source, .. } => Some(source),
            RuntimeError::NotEnabled(_) => None,
        }
    }
}

backend_enum! {
    enum RuntimeInner(Runtime);
}

/// An owned runtime of one backend.
///
/// Dropping it never blocks and never panics, also inside async code: tasks still pending
/// are dropped (their handles give a cancelled [`JoinError`](crate::task::JoinError)) and
/// running blocking closures are detached, on every backend.
///
/// ```
/// use anyrt::{Backend, Runtime};
///
/// let backend = Backend::enabled()[0];
/// let rt = Runtime::builder(backend).worker_threads(2).build().unwrap();
/// let h = rt.spawn(async { 40 + 2 });
/// assert_eq!(rt.block_on(h).unwrap(), 42);
/// ```
pub struct Runtime {
    inner: RuntimeInner,
}

/// Configures a [`Runtime`]; made by [`Runtime::builder`].
///
/// ```
/// use anyrt::{Backend, Runtime};
///
/// let rt = Runtime::builder(Backend::enabled()[0])
///     .worker_threads(2)
///     .thread_name("my-app-worker")
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    backend: Backend,
    config: RuntimeConfig,
}

impl Builder {
    /// The number of worker threads. Default: the number of CPUs, on every backend (smol's
    /// own default is one). Zero is an error from [`build`](Self::build), on every backend.
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    ///
    /// // One worker thread: a runtime for a background job, say.
    /// let rt = Runtime::builder(Backend::enabled()[0]).worker_threads(1).build().unwrap();
    /// assert_eq!(rt.block_on(rt.spawn(async { 7 })).unwrap(), 7);
    /// ```
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.config = self.config.worker_threads(n);
        self
    }

    /// A current-thread runtime, on every backend: no worker threads; its tasks run on the
    /// thread that calls [`Runtime::block_on`], while it does (what `#[tokio::test]` gives by
    /// default, and what tests written for it may rely on). [`worker_threads`](Self::worker_threads)
    /// does not apply. Blocking closures still run on the backend's blocking pool.
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    ///
    /// for &backend in Backend::enabled() {
    ///     let rt = Runtime::builder(backend).current_thread().build().unwrap();
    ///     let here = std::thread::current().id();
    ///     let there = rt.block_on(async { anyrt::spawn(async { std::thread::current().id() }).await });
    ///     assert_eq!(there.unwrap(), here, "{backend}");
    /// }
    /// ```
    pub fn current_thread(mut self) -> Self {
        self.config = self.config.current_thread();
        self
    }

    /// The seed of a simulation's schedule ([`Backend::Sim`]; default: `ANYRT_SIM_SEED`,
    /// else 0). The real backends' `build()` refuses it: their schedules are not seeded.
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    ///
    /// if Backend::Sim.is_enabled() {
    ///     let rt = Runtime::builder(Backend::Sim).seed(42).build().unwrap();
    ///     assert_eq!(rt.block_on(async { anyrt::sim::seed() }), Some(42));
    /// }
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.config = self.config.knob(Backend::Sim, "seed", seed);
        self
    }

    /// The scheduler of a simulation ([`Backend::Sim`]; default
    /// [`Scheduler::Random`](crate::sim::Scheduler::Random)). The real backends' `build()`
    /// refuses it.
    ///
    /// ```
    /// use anyrt::sim::Scheduler;
    /// use anyrt::{Backend, Runtime};
    ///
    /// let rt = Runtime::builder(Backend::Sim).scheduler(Scheduler::Pct { depth: 2 }).build();
    /// assert_eq!(rt.is_ok(), Backend::Sim.is_enabled());
    /// ```
    pub fn scheduler(mut self, scheduler: crate::sim::Scheduler) -> Self {
        self.config = self.config.knob(Backend::Sim, "scheduler", scheduler);
        self
    }

    /// Seeded scheduling delays in a simulation ([`Backend::Sim`]; off by default): each wake
    /// of a task has a one-in-ten chance, drawn from the seed, to hold the task back for up to
    /// a millisecond of virtual time while timers, network deliveries and other tasks go
    /// first, as a task that is slow to be scheduled on a loaded machine. The real backends'
    /// `build()` refuses it.
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    ///
    /// let rt = Runtime::builder(Backend::Sim).seed(3).delays(true).build();
    /// assert_eq!(rt.is_ok(), Backend::Sim.is_enabled());
    /// ```
    pub fn delays(mut self, on: bool) -> Self {
        self.config = self.config.knob(Backend::Sim, "delays", on);
        self
    }

    /// The name of the worker threads, on every backend (under [`Backend::Sim`], of the
    /// thread that runs its tasks while no `block_on` does).
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    ///
    /// // Not the simulation's: its tasks run on the thread in `block_on`.
    /// for &backend in Backend::enabled().iter().filter(|&&b| b != Backend::Sim) {
    ///     let rt = Runtime::builder(backend).thread_name("worker").build().unwrap();
    ///     let name = rt.spawn(async { std::thread::current().name().map(String::from) });
    ///     assert_eq!(rt.block_on(name).unwrap().as_deref(), Some("worker"), "{backend}");
    /// }
    /// ```
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.config = self.config.thread_name(name);
        self
    }

    /// Starts the runtime. Fails for a backend that is not compiled in, for zero worker
    /// threads, or if its threads cannot be started.
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    ///
    /// fn main() -> Result<(), Box<dyn std::error::Error>> {
    ///     let rt = Runtime::builder(Backend::enabled()[0]).build()?;
    ///     assert_eq!(rt.block_on(async { "ok" }), "ok");
    ///     // The same rule on every backend: zero workers is an error, not a panic.
    ///     assert!(Runtime::builder(Backend::enabled()[0]).worker_threads(0).build().is_err());
    ///     Ok(())
    /// }
    /// ```
    pub fn build(self) -> Result<Runtime, RuntimeError> {
        let backend = self.backend;
        if !crate::dispatch::compiled_in(backend) {
            return Err(RuntimeError::NotEnabled(backend));
        }
        let io = |source| RuntimeError::Io { backend, source };
        let inner: std::io::Result<RuntimeInner> =
            dispatch!(backend, P, wrap = RuntimeInner => P::build(&self.config).map(wrap));
        let inner = inner.map_err(io)?;
        Ok(Runtime { inner })
    }
}

impl Runtime {
    /// A runtime of `backend` with the default configuration (a worker per CPU).
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    ///
    /// let rt = Runtime::new(Backend::enabled()[0]).unwrap();
    /// assert_eq!(rt.block_on(async { 40 + 2 }), 42);
    /// ```
    pub fn new(backend: Backend) -> Result<Runtime, RuntimeError> {
        Runtime::builder(backend).build()
    }

    /// A builder for a runtime of `backend`.
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    ///
    /// let rt = Runtime::builder(Backend::enabled()[0]).worker_threads(1).build().unwrap();
    /// assert_eq!(rt.backend(), Backend::enabled()[0]);
    /// ```
    pub fn builder(backend: Backend) -> Builder {
        Builder {
            backend,
            config: RuntimeConfig::new(),
        }
    }

    /// The backend of this runtime.
    ///
    /// ```
    /// # #[cfg(feature = "smol")] {
    /// use anyrt::{Backend, Runtime};
    ///
    /// let rt = Runtime::new(Backend::Smol).unwrap();
    /// assert_eq!(rt.backend(), Backend::Smol);
    /// # }
    /// ```
    pub fn backend(&self) -> Backend {
        backend_of!(&self.inner, RuntimeInner)
    }

    /// Runs `future` to completion on the calling thread, inside this runtime: spawns inside
    /// it go to this runtime and [`spawn_local`](crate::spawn_local) works in it.
    ///
    /// # Panics
    ///
    /// Inside async code, as [`block_on`](crate::block_on).
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    /// use std::rc::Rc;
    ///
    /// let rt = Runtime::new(Backend::enabled()[0]).unwrap();
    /// let v = rt.block_on(async {
    ///     let task = anyrt::spawn(async { 20 }); // on this runtime
    ///     let local = anyrt::spawn_local(async { Rc::new(1) }); // !Send is fine here
    ///     task.await.unwrap() * 2 + *local.await.unwrap()
    /// });
    /// assert_eq!(v, 41);
    /// ```
    #[track_caller]
    #[inline]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if let Err(e) = anyrt_core::select::can_block() {
            panic!("{e}");
        }
        each_backend!(&self.inner, RuntimeInner, rt, P => P::runtime_block_on(rt, future))
    }

    /// Spawns a task on this runtime, from any thread. The task is detached if the handle
    /// is dropped, and dropped (cancelled) if the runtime is.
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    ///
    /// let rt = Runtime::new(Backend::enabled()[0]).unwrap();
    /// let handle = rt.spawn(async { "spawned from a plain thread" });
    /// assert_eq!(rt.block_on(handle).unwrap(), "spawned from a plain thread");
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_in_context!(future, true, |f| {
            each_backend!(&self.inner, RuntimeInner, rt, P => anyrt_core::Executor::spawn(rt, f))
        })
    }

    /// Runs a blocking closure on this runtime's blocking pool.
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    ///
    /// let rt = Runtime::new(Backend::enabled()[0]).unwrap();
    /// let handle = rt.spawn_blocking(|| std::env::current_dir().is_ok());
    /// assert!(rt.block_on(handle).unwrap());
    /// ```
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let f = spawned::blocking(f, true);
        each_backend!(&self.inner, RuntimeInner, rt, P => anyrt_core::Executor::spawn_blocking(rt, f))
    }

    /// A handle to this runtime. It does not keep the runtime alive.
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    ///
    /// let rt = Runtime::new(Backend::enabled()[0]).unwrap();
    /// let handle = rt.handle();
    /// let task = std::thread::spawn(move || handle.spawn(async { 1 })).join().unwrap();
    /// assert_eq!(rt.block_on(task).unwrap(), 1);
    /// ```
    pub fn handle(&self) -> Handle {
        let inner = each_backend!(&self.inner, RuntimeInner, rt, P, wrap = HandleInner => {
            wrap(P::runtime_handle(rt))
        });
        Handle { inner }
    }

    /// Shuts the runtime down, waiting at most `timeout` for its threads to stop. Pending
    /// tasks are dropped. Dropping the runtime does the same without waiting, and so does
    /// this inside async code (where waiting would stall the caller's runtime), on every
    /// backend.
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    /// use std::time::Duration;
    ///
    /// let rt = Runtime::new(Backend::enabled()[0]).unwrap();
    /// let handle = rt.handle();
    /// let stuck = rt.spawn(std::future::pending::<()>());
    /// rt.shutdown_timeout(Duration::from_secs(1));
    /// assert!(anyrt::block_on(stuck).unwrap_err().is_cancelled());
    /// // A spawn through a handle after shutdown gives a cancelled task.
    /// assert!(anyrt::block_on(handle.spawn(async {})).unwrap_err().is_cancelled());
    /// ```
    pub fn shutdown_timeout(self, timeout: Duration) {
        each_backend!(self.inner, RuntimeInner, rt, P => P::shutdown_timeout(rt, timeout))
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

backend_enum! {
    #[derive(Clone)]
    enum HandleInner(Handle);
}

/// A handle to a runtime: spawns onto it from any thread, plain std threads included.
///
/// Taken inside a runtime ([`Handle::current`]) it names that runtime; a handle does not
/// keep its runtime alive, and a spawn through it after the runtime shut down gives a
/// handle whose await is a cancelled [`JoinError`](crate::task::JoinError).
///
/// ```
/// let handle = anyrt::block_on(async { anyrt::Handle::current() });
/// let from_thread = std::thread::spawn(move || handle.spawn(async { 7 }))
///     .join()
///     .unwrap();
/// assert_eq!(anyrt::block_on(from_thread).unwrap(), 7);
/// ```
#[derive(Clone)]
pub struct Handle {
    inner: HandleInner,
}

impl Handle {
    /// The runtime the calling thread is inside; on a plain thread, the selected backend's
    /// process-wide runtime (started on first use). Never panics for lack of a runtime.
    ///
    /// ```
    /// use anyrt::{Backend, Handle, Runtime};
    ///
    /// let rt = Runtime::new(Backend::enabled()[0]).unwrap();
    /// let inside = rt.block_on(async { Handle::current() });
    /// assert_eq!(inside.backend(), rt.backend());
    ///
    /// let outside = Handle::current(); // a plain thread: the selected backend's global runtime
    /// assert_eq!(outside.backend(), Backend::selected());
    /// ```
    pub fn current() -> Handle {
        Handle::try_current().unwrap_or_else(|| Handle::global(Backend::selected()))
    }

    /// The runtime the calling thread is inside, or `None` on a plain thread.
    ///
    /// ```
    /// use anyrt::Handle;
    ///
    /// assert!(Handle::try_current().is_none());
    /// assert!(anyrt::block_on(async { Handle::try_current() }).is_some());
    /// ```
    pub fn try_current() -> Option<Handle> {
        let backend = Backend::current()?;
        dispatch!(backend, P, wrap = HandleInner => {
            P::current().map(|h| Handle { inner: wrap(h) })
        })
    }

    /// The process-wide runtime of `backend`, started on first use.
    ///
    /// # Panics
    ///
    /// If `backend` is not compiled in.
    ///
    /// ```
    /// use anyrt::{Backend, Handle};
    ///
    /// // Spawn onto a given backend's runtime from anywhere, and await it from anywhere.
    /// for &b in Backend::enabled() {
    ///     let task = Handle::global(b).spawn(async { Backend::current() });
    ///     assert_eq!(anyrt::block_on(task).unwrap(), Some(b));
    /// }
    /// ```
    #[track_caller]
    pub fn global(backend: Backend) -> Handle {
        dispatch!(backend, P, wrap = HandleInner => Handle { inner: wrap(P::global()) })
    }

    /// The backend of the runtime.
    ///
    /// ```
    /// use anyrt::{Backend, Handle};
    ///
    /// let b = Backend::enabled()[0];
    /// assert_eq!(Handle::global(b).backend(), b);
    /// ```
    pub fn backend(&self) -> Backend {
        backend_of!(&self.inner, HandleInner)
    }

    /// Spawns a task on the runtime, from any thread.
    ///
    /// ```
    /// // Take the handle inside the runtime, spawn onto it from a plain thread.
    /// let handle = anyrt::block_on(async { anyrt::Handle::current() });
    /// let task = std::thread::spawn(move || handle.spawn(async { 2 + 2 })).join().unwrap();
    /// assert_eq!(anyrt::block_on(task).unwrap(), 4);
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_with(future, true)
    }

    pub(crate) fn spawn_with<F>(&self, future: F, span: bool) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_in_context!(future, span, |f| {
            each_backend!(&self.inner, HandleInner, h, P => anyrt_core::Executor::spawn(h, f))
        })
    }

    /// Runs a blocking closure on the runtime's blocking pool.
    ///
    /// ```
    /// let handle = anyrt::Handle::current();
    /// let task = handle.spawn_blocking(|| std::fs::metadata(".").is_ok());
    /// assert!(anyrt::block_on(task).unwrap());
    /// ```
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let f = spawned::blocking(f, true);
        each_backend!(&self.inner, HandleInner, h, P => anyrt_core::Executor::spawn_blocking(h, f))
    }

    /// Runs `future` to completion on the calling thread, inside the handle's runtime.
    ///
    /// # Panics
    ///
    /// Inside async code, as [`block_on`](crate::block_on).
    ///
    /// ```
    /// use anyrt::{Backend, Handle};
    ///
    /// let b = Backend::enabled()[0];
    /// assert_eq!(Handle::global(b).block_on(async { Backend::current() }), Some(b));
    /// ```
    #[track_caller]
    #[inline]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if let Err(e) = anyrt_core::select::can_block() {
            panic!("{e}");
        }
        each_backend!(&self.inner, HandleInner, h, P => P::handle_block_on(h, future))
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

anyrt_core::impl_executor!(Handle {
    type Sleep = Sleep;

    fn sleep(&self, duration: Duration) -> Sleep {
        Sleep::on_backend(self.backend(), duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep::until_on(self.backend(), deadline)
    }

    fn now(&self) -> Instant {
        each_backend!(&self.inner, HandleInner, h, P => anyrt_core::Executor::now(h))
    }

    fn timeout<F: Future>(&self, duration: Duration, future: F) -> Timeout<F> {
        crate::time::timeout_on(self.backend(), self.now(), duration, future)
    }
});

anyrt_core::impl_executor!(Runtime {
    type Sleep = Sleep;

    fn sleep(&self, duration: Duration) -> Sleep {
        Sleep::on_backend(self.backend(), duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep::until_on(self.backend(), deadline)
    }

    fn now(&self) -> Instant {
        each_backend!(&self.inner, RuntimeInner, rt, P => anyrt_core::Executor::now(rt))
    }

    fn timeout<F: Future>(&self, duration: Duration, future: F) -> Timeout<F> {
        crate::time::timeout_on(self.backend(), self.now(), duration, future)
    }
});
