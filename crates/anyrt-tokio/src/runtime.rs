//! The owned [`Runtime`] and [`Handle`]s to tokio runtimes.

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::mpsc;
use std::time::Duration;

use anyrt_core::context::{self, ContextKind};
use anyrt_core::task::JoinHandle;
use anyrt_core::time::Instant;
use anyrt_core::RuntimeConfig;

use crate::block_on::{block_on_runtime, block_on_with};
use crate::global::{self, DEFAULT_THREAD_NAME};
use crate::owned::{thread_runtime, RuntimeId, Stoppable};
use crate::task::{blocking_closure, from_tokio, from_tokio_blocking, in_native_task};
use crate::time::{self, Sleep};

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
/// use anyrt_core::RuntimeConfig;
///
/// let rt = anyrt_tokio::Runtime::with_config(&RuntimeConfig::new()).unwrap();
/// let h = rt.spawn(async { 5 });
/// assert_eq!(rt.block_on(h).unwrap(), 5);
/// drop(rt);
/// ```
pub struct Runtime {
    // `None` only once shut down (in `drop` or `shutdown_timeout`).
    rt: Option<tokio::runtime::Runtime>,
    handle: Handle,
    // A current-thread runtime runs its tasks in `Runtime::block_on` only (tokio's
    // `Handle::block_on` does not drive it).
    current_thread: bool,
}

impl Runtime {
    /// Builds a runtime: a multi-thread tokio runtime with all of tokio's drivers that are
    /// compiled in enabled, whose threads carry anyrt's tokio context (what
    /// [`Provider::build`](anyrt_core::Provider::build) does for this backend).
    ///
    /// # Errors
    ///
    /// `worker_threads(0)`, or the operating system refusing to start the threads.
    pub fn with_config(config: &RuntimeConfig) -> io::Result<Runtime> {
        let workers = match config.is_current_thread() {
            true => None,
            false => Some(config.workers()?),
        };
        let name = config.name().unwrap_or(DEFAULT_THREAD_NAME).to_owned();
        let id = RuntimeId::open();
        let rt = global::build_tokio(workers, name, Some(id)).inspect_err(|_| id.close())?;
        Ok(Runtime {
            handle: Handle {
                inner: rt.handle().clone(),
                runtime: Some(id),
            },
            rt: Some(rt),
            current_thread: workers.is_none(),
        })
    }

    /// Runs `future` to completion on the calling thread, inside this runtime: tasks it
    /// spawns go to this runtime, and `spawn_local` works in it (local tasks still pending
    /// when it returns are dropped).
    ///
    /// It does not check whether blocking is allowed (the facade does); it works inside a
    /// blocking closure.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match &self.rt {
            Some(rt) if self.current_thread => block_on_runtime(rt, self.handle.runtime, future),
            _ => self.handle.block_on(future),
        }
    }

    /// Spawns a task on this runtime. Dropping the handle detaches the task.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs a blocking closure on this runtime's blocking pool, with anyrt's blocking
    /// context entered (so `block_on` works inside it).
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
/// assert_eq!(anyrt_tokio::Handle::global().block_on(h).unwrap(), 2);
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
    /// process-wide runtime (inside its `block_on` and its tasks), or a tokio runtime
    /// started by the application. `None` on a thread with no tokio runtime.
    pub fn current() -> Option<Handle> {
        let inner = tokio::runtime::Handle::try_current().ok()?;
        Some(Handle {
            inner,
            runtime: thread_runtime(),
        })
    }

    /// The process-wide runtime's handle (the runtime is started at the first use).
    pub fn global() -> Handle {
        Handle {
            inner: global::global().handle().clone(),
            runtime: None,
        }
    }

    /// A handle to a runtime built with tokio directly.
    ///
    /// [`block_on`](Self::block_on) through it on a current-thread runtime does not drive
    /// that runtime's timers; use a multi-thread runtime.
    pub fn from_tokio(handle: tokio::runtime::Handle) -> Handle {
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

    /// Runs a blocking closure on this runtime's blocking pool, with anyrt's blocking
    /// context entered (so `block_on` works inside it).
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
