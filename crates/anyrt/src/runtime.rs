//! Owned runtimes ([`Runtime`]) and handles to them ([`Handle`]).

use std::fmt;
use std::future::Future;
use std::time::Duration;

use anyrt_core::task::JoinHandle;
use anyrt_core::time::Instant;

use crate::backend::{current_core, select};
use crate::time::Sleep;
use crate::Backend;

/// The error of building a [`Runtime`].
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

impl std::error::Error for RuntimeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RuntimeError::Io { source, .. } => Some(source),
            RuntimeError::NotEnabled(_) => None,
        }
    }
}

enum RuntimeInner {
    #[cfg(feature = "tokio")]
    Tokio(anyrt_tokio::Runtime),
    #[cfg(feature = "smol")]
    Smol(anyrt_smol::Runtime),
    #[cfg(feature = "async-std")]
    AsyncStd(anyrt_async_std::Runtime),
    #[cfg(not(any(feature = "tokio", feature = "smol", feature = "async-std")))]
    Never(std::convert::Infallible),
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
#[derive(Debug, Clone)]
pub struct Builder {
    backend: Backend,
    worker_threads: Option<usize>,
    thread_name: Option<String>,
}

impl Builder {
    /// The number of worker threads. Default: the number of CPUs, on every backend (smol's
    /// own default is one).
    ///
    /// # Panics
    ///
    /// If `n` is zero.
    #[track_caller]
    pub fn worker_threads(mut self, n: usize) -> Self {
        assert!(n > 0, "Runtime::builder: worker_threads must be at least 1");
        self.worker_threads = Some(n);
        self
    }

    /// The name of the worker threads.
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.thread_name = Some(name.into());
        self
    }

    /// Starts the runtime. Fails for a backend that is not compiled in.
    pub fn build(self) -> Result<Runtime, RuntimeError> {
        let backend = self.backend;
        let io = |source| RuntimeError::Io { backend, source };
        let inner = match anyrt_core::Backend::from(backend) {
            #[cfg(feature = "tokio")]
            anyrt_core::Backend::Tokio => {
                let mut b = anyrt_tokio::Runtime::builder();
                if let Some(n) = self.worker_threads {
                    b = b.worker_threads(n);
                }
                if let Some(name) = self.thread_name {
                    b = b.thread_name(name);
                }
                RuntimeInner::Tokio(b.build().map_err(io)?)
            }
            #[cfg(feature = "smol")]
            anyrt_core::Backend::Smol => {
                let mut b = anyrt_smol::Runtime::builder();
                if let Some(n) = self.worker_threads {
                    b = b.worker_threads(n);
                }
                if let Some(name) = self.thread_name {
                    b = b.thread_name(name);
                }
                RuntimeInner::Smol(b.build().map_err(io)?)
            }
            #[cfg(feature = "async-std")]
            anyrt_core::Backend::AsyncStd => {
                let mut b = anyrt_async_std::Runtime::builder();
                if let Some(n) = self.worker_threads {
                    b = b.worker_threads(n);
                }
                if let Some(name) = self.thread_name {
                    b = b.thread_name(name);
                }
                RuntimeInner::AsyncStd(b.build().map_err(io)?)
            }
            #[allow(unreachable_patterns)]
            _ => return Err(RuntimeError::NotEnabled(backend)),
        };
        Ok(Runtime { inner })
    }
}

impl Runtime {
    /// A runtime of `backend` with the default configuration.
    pub fn new(backend: Backend) -> Result<Runtime, RuntimeError> {
        Runtime::builder(backend).build()
    }

    /// A builder for a runtime of `backend`.
    pub fn builder(backend: Backend) -> Builder {
        Builder {
            backend,
            worker_threads: None,
            thread_name: None,
        }
    }

    /// The backend of this runtime.
    pub fn backend(&self) -> Backend {
        match &self.inner {
            #[cfg(feature = "tokio")]
            RuntimeInner::Tokio(_) => Backend::Tokio,
            #[cfg(feature = "smol")]
            RuntimeInner::Smol(_) => Backend::Smol,
            #[cfg(feature = "async-std")]
            RuntimeInner::AsyncStd(_) => Backend::AsyncStd,
            #[cfg(not(any(feature = "tokio", feature = "smol", feature = "async-std")))]
            RuntimeInner::Never(n) => match *n {},
        }
    }

    /// Runs `future` to completion on the calling thread, inside this runtime: spawns inside
    /// it go to this runtime and [`spawn_local`](crate::spawn_local) works in it.
    ///
    /// # Panics
    ///
    /// Inside async code, as [`block_on`](crate::block_on).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if let Err(e) = crate::block_on::check_can_block() {
            panic!("{e}");
        }
        each_backend!(&self.inner, RuntimeInner, rt, _b => rt.block_on(future))
    }

    /// Spawns a task on this runtime.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        each_backend!(&self.inner, RuntimeInner, rt, _b => rt.spawn(future))
    }

    /// Runs a blocking closure on this runtime's blocking pool.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        each_backend!(&self.inner, RuntimeInner, rt, _b => rt.spawn_blocking(f))
    }

    /// A handle to this runtime. It does not keep the runtime alive.
    pub fn handle(&self) -> Handle {
        let inner =
            each_backend!(&self.inner, RuntimeInner, rt, _b => HandleInner::from(rt.handle()));
        Handle { inner }
    }

    /// Shuts the runtime down, waiting at most `timeout` for its threads to stop. Pending
    /// tasks are dropped.
    pub fn shutdown_timeout(self, timeout: Duration) {
        each_backend!(self.inner, RuntimeInner, rt, _b => rt.shutdown_timeout(timeout))
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
enum HandleInner {
    #[cfg(feature = "tokio")]
    Tokio(anyrt_tokio::Handle),
    #[cfg(feature = "smol")]
    Smol(anyrt_smol::Handle),
    #[cfg(feature = "async-std")]
    AsyncStd(anyrt_async_std::Handle),
    #[cfg(not(any(feature = "tokio", feature = "smol", feature = "async-std")))]
    Never(std::convert::Infallible),
}

cfg_tokio! {
    impl From<anyrt_tokio::Handle> for HandleInner {
        fn from(h: anyrt_tokio::Handle) -> Self {
            HandleInner::Tokio(h)
        }
    }
}
#[cfg(feature = "smol")]
impl From<anyrt_smol::Handle> for HandleInner {
    fn from(h: anyrt_smol::Handle) -> Self {
        HandleInner::Smol(h)
    }
}
cfg_async_std! {
    impl From<anyrt_async_std::Handle> for HandleInner {
        fn from(h: anyrt_async_std::Handle) -> Self {
            HandleInner::AsyncStd(h)
        }
    }
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
    pub fn current() -> Handle {
        Handle::try_current().unwrap_or_else(|| Handle::global(Backend::from(select())))
    }

    /// The runtime the calling thread is inside, or `None` on a plain thread.
    pub fn try_current() -> Option<Handle> {
        let backend = current_core()?;
        dispatch!(backend, rt => rt::Handle::current().map(|h| Handle { inner: HandleInner::from(h) }))
    }

    /// The process-wide runtime of `backend`, started on first use.
    ///
    /// # Panics
    ///
    /// If `backend` is not compiled in.
    #[track_caller]
    pub fn global(backend: Backend) -> Handle {
        dispatch!(anyrt_core::Backend::from(backend), rt => Handle { inner: HandleInner::from(rt::Handle::global()) })
    }

    /// The backend of the runtime.
    pub fn backend(&self) -> Backend {
        match &self.inner {
            #[cfg(feature = "tokio")]
            HandleInner::Tokio(_) => Backend::Tokio,
            #[cfg(feature = "smol")]
            HandleInner::Smol(_) => Backend::Smol,
            #[cfg(feature = "async-std")]
            HandleInner::AsyncStd(_) => Backend::AsyncStd,
            #[cfg(not(any(feature = "tokio", feature = "smol", feature = "async-std")))]
            HandleInner::Never(n) => match *n {},
        }
    }

    /// Spawns a task on the runtime.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        each_backend!(&self.inner, HandleInner, h, _x => h.spawn(future))
    }

    /// Runs a blocking closure on the runtime's blocking pool.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        each_backend!(&self.inner, HandleInner, h, _x => h.spawn_blocking(f))
    }

    /// Runs `future` to completion on the calling thread, inside the handle's runtime.
    ///
    /// # Panics
    ///
    /// Inside async code, as [`block_on`](crate::block_on).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if let Err(e) = crate::block_on::check_can_block() {
            panic!("{e}");
        }
        each_backend!(&self.inner, HandleInner, h, _x => h.block_on(future))
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

/// A sleep on `backend`'s timer, even if the caller is inside another runtime.
fn sleep_on(backend: Backend, duration: Duration) -> Sleep {
    Sleep::on_backend(backend.into(), duration)
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
        sleep_on(self.backend(), duration)
    }

    fn now(&self) -> Instant {
        Instant::now()
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
        sleep_on(self.backend(), duration)
    }
}
