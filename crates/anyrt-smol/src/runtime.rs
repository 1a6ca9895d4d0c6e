//! [`Runtime`] (anyrt-executor's owned runtime, shared with anyrt-async-std), [`Handle`]
//! (its handle, or the process-wide runtime's) and the process-wide runtime.

use std::fmt;
use std::future::Future;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyrt_core::context;
use anyrt_core::task::JoinHandle;
use anyrt_core::{Backend, RuntimeConfig};
use anyrt_executor::{Shared, Sleep};
use async_executor::Executor;

use crate::Smol;

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

/// A spawn onto the process-wide runtime: where a thread inside no runtime of this backend
/// spawns.
#[inline]
pub(crate) fn spawn_global<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    global().spawn(future)
}

#[cold]
fn start_global() -> Global {
    let runtime = Runtime::with_config(&RuntimeConfig::new().thread_name(GLOBAL_THREAD_NAME))
        .unwrap_or_else(|e| {
            panic!("anyrt-smol: could not start the process-wide runtime's worker threads: {e}")
        });
    Global {
        shared: runtime.shared().clone(),
        _runtime: Some(runtime),
    }
}

/// Makes `executor` the process-wide executor of this backend, instead of the runtime that
/// anyrt-smol would otherwise start lazily (with one worker thread per CPU).
///
/// smol has no "current executor" that anyrt could detect, so an application built around
/// its own [`async_executor::Executor`] (`smol::Executor` is the same type) hands it over
/// here, at the start of `main`, before anything spawns. From then on `anyrt::spawn` (on
/// this backend) and [`Handle::global`] use it on every thread that is not inside an anyrt-smol
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
/// use anyrt_core::Provider;
/// use anyrt_smol::Smol;
/// use std::sync::Arc;
///
/// let ex = Arc::new(async_executor::Executor::new());
/// anyrt_smol::set_global_executor(ex.clone()).unwrap();
/// let task = Smol::spawn(async { 1 + 1 });
/// // The application drives its executor.
/// assert_eq!(async_io::block_on(ex.run(task)).unwrap(), 2);
/// assert!(anyrt_smol::set_global_executor(ex).is_err());
/// ```
pub fn set_global_executor(executor: Arc<Executor<'static>>) -> Result<(), SetGlobalExecutorError> {
    let mut slot = Some(executor);
    GLOBAL.get_or_init(|| Global {
        // `get_or_init` runs this at most once, so the executor is still there.
        shared: Shared::from_executor(Backend::Smol, slot.take().expect("executor taken once")),
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
            "the process-wide smol executor is already set or started (something spawned \
             or used the process-wide runtime first); call \
             anyrt::compat::smol::set_global_executor once, at the start of main, before \
             anything uses anyrt",
        )
    }
}

impl std::error::Error for SetGlobalExecutorError {}

/// A smol runtime owned by anyrt: an executor of anyrt's own (with async-executor's
/// scheduling) run by worker threads (one per CPU by default; smol's own default is 1) on
/// async-io's reactor, with `blocking`'s thread pool for
/// [`spawn_blocking`](anyrt_executor::Runtime::spawn_blocking). Its methods and its shutdown
/// are [`anyrt_executor::Runtime`]'s.
///
/// ```
/// use anyrt_core::{Provider, RuntimeConfig};
/// use anyrt_smol::Smol;
///
/// let rt = Smol::build(&RuntimeConfig::new().worker_threads(2)).unwrap();
/// let name = rt.block_on(rt.spawn(async { std::thread::current().name().map(str::to_owned) }));
/// assert_eq!(name.unwrap().as_deref(), Some("anyrt-smol-worker"));
/// ```
pub type Runtime = anyrt_executor::Runtime<Smol>;

impl UnwindSafe for Handle {}
impl RefUnwindSafe for Handle {}

impl From<anyrt_executor::Handle<Smol>> for Handle {
    /// What [`Runtime::handle`] gives, with [`Handle::current`] and [`Handle::global`].
    fn from(inner: anyrt_executor::Handle<Smol>) -> Handle {
        Handle { inner }
    }
}

/// A handle to a [`Runtime`] (or to the process-wide runtime): spawns onto it from any
/// thread. It does not keep the runtime alive: after the runtime is dropped or shut down,
/// a spawn through it gives a handle that is
/// [`is_cancelled`](anyrt_core::task::JoinError::is_cancelled).
///
/// ```
/// use anyrt_core::RuntimeConfig;
///
/// let rt = anyrt_smol::Runtime::with_config(&RuntimeConfig::new()).unwrap();
/// let handle = rt.handle();
/// let task = std::thread::spawn(move || handle.spawn(async { 5 })).join().unwrap();
/// assert_eq!(rt.block_on(task).unwrap(), 5);
/// ```
#[derive(Clone)]
pub struct Handle {
    inner: anyrt_executor::Handle<Smol>,
}

impl Handle {
    /// The runtime the calling thread is inside: a [`Runtime`]'s worker, its `block_on` or a
    /// blocking closure it runs; the process-wide runtime inside the plain `block_on`, its
    /// workers and its blocking closures. `None` on a plain thread, and on threads that
    /// run an executor anyrt did not start (smol has no context anyrt could read).
    pub fn current() -> Option<Handle> {
        match anyrt_executor::current::<Smol>() {
            Some(inner) => Some(Handle { inner }),
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
            inner: anyrt_executor::Handle::new(global()),
        }
    }

    /// Spawns a task on the runtime; a cancelled handle if the runtime has shut down.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future)
    }

    /// Runs `f` on the blocking thread pool; spawns inside it go to this runtime. A
    /// cancelled handle (and `f` not run) if the runtime has shut down.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.spawn_blocking(f)
    }

    /// Runs `future` to completion on the calling thread, inside this runtime: `spawn` in it
    /// goes to this runtime and `spawn_local` works in it. As with [`Runtime::block_on`], the
    /// runtime's workers run its tasks, not the calling thread.
    ///
    /// It does not keep the runtime alive: after the runtime has shut down the future still
    /// runs, and spawns inside it give cancelled handles.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner.block_on(future)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("alive", &self.inner.is_alive())
            .finish()
    }
}

anyrt_core::impl_executor!(Handle {
    type Sleep = Sleep;

    fn sleep(&self, duration: Duration) -> Sleep {
        Sleep::after(duration)
    }

    fn sleep_until(&self, deadline: anyrt_core::time::Instant) -> Sleep {
        Sleep::at(deadline)
    }
});
