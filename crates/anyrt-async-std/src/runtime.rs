//! The owned [`Runtime`] and [`Handle`].
//!
//! async-std's global runtime cannot be shut down, so an owned runtime is an executor of its
//! own (anyrt-executor's `Pool`), run by worker threads on async-std's reactor (async-io's)
//! and its blocking pool (the `blocking` crate's): the owned runtime of `anyrt-executor`,
//! shared with anyrt-smol. Dropping the runtime closes the executor, which drops the tasks
//! still pending at once (a task a worker is polling, once that poll returns), and the
//! workers stop.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::io;
use std::thread::LocalKey;
use std::time::Duration;

use anyrt_core::context;
use anyrt_core::task::JoinHandle;
use anyrt_core::{Backend, RuntimeConfig};
use anyrt_executor::{Current, Flavor, Sleep};

use crate::task;

// This backend is an `anyrt-executor` flavor too.
pub(crate) use crate::AsyncStd;

thread_local! {
    /// The anyrt [`Runtime`] the thread is inside, if any: set on its workers, in its
    /// `block_on` and in its blocking closures. `GLOBAL` means async-std's global runtime.
    /// Written only by `anyrt-executor`.
    static CURRENT: Cell<Current> = const { Cell::new(Current::GLOBAL) };
}

// SAFETY: `CURRENT` is private to this module, returned by this flavor only, and written
// by nothing but anyrt-executor.
#[allow(unsafe_code)]
unsafe impl Flavor for AsyncStd {
    const BACKEND: Backend = Backend::AsyncStd;
    const THREAD_NAME: &'static str = "anyrt-async-std-worker";

    #[inline(always)]
    fn current_key() -> &'static LocalKey<Cell<Current>> {
        &CURRENT
    }

    #[inline]
    fn spawn_global<F>(future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        task::spawn_global(future)
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
/// use anyrt_core::RuntimeConfig;
///
/// let rt = anyrt_async_std::Runtime::with_config(&RuntimeConfig::new()).unwrap();
/// let handle = rt.spawn(async { 1 + 1 });
/// assert_eq!(rt.block_on(handle).unwrap(), 2);
/// ```
pub struct Runtime {
    inner: anyrt_executor::Runtime<AsyncStd>,
    thread_name: String,
}

impl Runtime {
    /// Starts a runtime: one worker thread per CPU unless the configuration says otherwise,
    /// named `anyrt-async-std-worker` unless it names them. What
    /// [`Provider::build`](anyrt_core::Provider::build) does for this backend.
    ///
    /// # Errors
    ///
    /// `worker_threads(0)`, or a worker thread that cannot be started.
    pub fn with_config(config: &RuntimeConfig) -> io::Result<Runtime> {
        let thread_name = config.name().unwrap_or(AsyncStd::THREAD_NAME).to_owned();
        let inner = match config.is_current_thread() {
            true => anyrt_executor::Runtime::current_thread(),
            false => anyrt_executor::Runtime::start(config.workers()?, &thread_name)?,
        };
        Ok(Runtime { inner, thread_name })
    }

    /// Runs `future` to completion on the calling thread. Spawns inside it go to this
    /// runtime; `spawn_local` works inside it, and local tasks still pending when it returns
    /// are dropped.
    ///
    /// The future runs on async-io's `block_on` (through `anyrt_executor::block_on`, which
    /// returns a future ready at its first poll without it), not `async_std::task::block_on`:
    /// an owned runtime does not start async-std's global one, so async-std's task-locals
    /// are unavailable here.
    #[inline]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner.block_on(future)
    }

    /// Spawns a task onto this runtime.
    #[inline]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future)
    }

    /// Runs a blocking closure on the blocking pool; spawns from it go to this runtime.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.spawn_blocking(f)
    }

    /// A handle to this runtime. It does not keep the runtime alive.
    pub fn handle(&self) -> Handle {
        Handle {
            kind: HandleKind::Runtime(self.inner.handle()),
        }
    }

    /// Shuts the runtime down and waits at most `timeout` for its workers to stop. When it
    /// returns before the timeout, the tasks still pending have been dropped.
    ///
    /// Called on one of the runtime's own workers, it waits for the other workers only; in
    /// async code, it does not wait.
    pub fn shutdown_timeout(self, timeout: Duration) {
        self.inner.shutdown_timeout(timeout);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("backend", &Backend::AsyncStd)
            .field("worker_threads", &self.inner.worker_threads())
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
/// use anyrt_core::RuntimeConfig;
///
/// let rt = anyrt_async_std::Runtime::with_config(&RuntimeConfig::new()).unwrap();
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
    Runtime(anyrt_executor::Handle<AsyncStd>),
}

impl Handle {
    /// The async-std runtime the calling thread is inside: an anyrt [`Runtime`] (a worker,
    /// its `block_on`, its blocking closures), else the global runtime when the thread runs
    /// anyrt code on this backend or a native async-std task; `None` elsewhere.
    pub fn current() -> Option<Handle> {
        if let Some(runtime) = anyrt_executor::current::<AsyncStd>() {
            return Some(Handle {
                kind: HandleKind::Runtime(runtime),
            });
        }
        let here = context::current().is_some_and(|c| c.backend == Backend::AsyncStd)
            || async_std::task::try_current().is_some();
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
            HandleKind::Runtime(runtime) => runtime.spawn(future),
        }
    }

    /// Runs a blocking closure on the blocking pool, for the handle's runtime.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match &self.kind {
            // The closure must not see a runtime this thread may be inside.
            HandleKind::Global => anyrt_executor::spawn_blocking_global::<AsyncStd, F, R>(f),
            HandleKind::Runtime(runtime) => runtime.spawn_blocking(f),
        }
    }

    /// Runs `future` to completion on the calling thread, inside the handle's runtime (see
    /// [`Runtime::block_on`]; on the global runtime, `async_std::task::block_on`). After the runtime shut
    /// down, spawns inside it give cancelled handles.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match &self.kind {
            HandleKind::Global => {
                anyrt_executor::in_global::<AsyncStd, _>(|| crate::block_on::block_on(future))
            }
            HandleKind::Runtime(runtime) => runtime.block_on(future),
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Handle");
        d.field("backend", &Backend::AsyncStd);
        match &self.kind {
            HandleKind::Global => d.field("runtime", &"global"),
            HandleKind::Runtime(runtime) if runtime.is_alive() => d.field("runtime", &"owned"),
            HandleKind::Runtime(_) => d.field("runtime", &"owned, shut down"),
        };
        d.finish()
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

anyrt_core::impl_executor!(Runtime {
    type Sleep = Sleep;

    fn sleep(&self, duration: Duration) -> Sleep {
        Sleep::after(duration)
    }

    fn sleep_until(&self, deadline: anyrt_core::time::Instant) -> Sleep {
        Sleep::at(deadline)
    }
});
