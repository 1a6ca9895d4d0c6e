//! The owned [`Runtime`] and [`Handle`].
//!
//! async-std's global runtime cannot be shut down, so an owned runtime is an executor of its
//! own (anyrt-executor's `Pool`), run by worker threads on async-std's reactor (async-io's)
//! and its blocking pool (the `blocking` crate's): the owned runtime of `anyrt-executor`,
//! shared with anyrt-smol. Dropping the runtime closes the executor, which drops the tasks
//! still pending at once (a task a worker is polling, once that poll returns), and the
//! workers stop.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use anyrt_core::context;
use anyrt_core::task::JoinHandle;
use anyrt_core::Backend;
use anyrt_executor::Sleep;

use crate::{task, AsyncStd};

/// An owned async-std runtime: worker threads (one per CPU by default, named
/// `anyrt-async-std-worker`) running an executor of their own on async-std's reactor and
/// blocking pool. Its methods and its shutdown are [`anyrt_executor::Runtime`]'s.
///
/// Unlike async-std's global runtime, it can be shut down: dropping it stops its workers
/// without waiting for them (it never blocks, also inside async code or on one of its own
/// workers), and the tasks still pending are dropped, their handles giving
/// `JoinError::is_cancelled()`; a task being polled at that moment finishes that poll,
/// and a task still queued is not polled again. Blocking closures already running are
/// detached. A spawn after the drop (through a [`Handle`]) gives a cancelled handle.
///
/// Its tasks run without async-std's task-locals, like every anyrt task on this backend, and
/// its `block_on` runs on async-io's `block_on`, not `async_std::task::block_on`: an owned
/// runtime does not start async-std's global one.
///
/// ```
/// use anyrt_core::RuntimeConfig;
///
/// let rt = anyrt_async_std::Runtime::with_config(&RuntimeConfig::new()).unwrap();
/// let handle = rt.spawn(async { 1 + 1 });
/// assert_eq!(rt.block_on(handle).unwrap(), 2);
/// ```
pub type Runtime = anyrt_executor::Runtime<AsyncStd>;

impl From<anyrt_executor::Handle<AsyncStd>> for Handle {
    /// What [`Runtime::handle`] gives, with [`Handle::current`] and [`Handle::global`].
    fn from(runtime: anyrt_executor::Handle<AsyncStd>) -> Handle {
        Handle {
            kind: HandleKind::Runtime(runtime),
        }
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
            HandleKind::Global => anyrt_executor::spawn_blocking_global(Backend::AsyncStd, f),
            HandleKind::Runtime(runtime) => runtime.spawn_blocking(f),
        }
    }

    /// Runs `future` to completion on the calling thread, inside the handle's runtime (see
    /// [`Runtime::block_on`]; on the global runtime, `async_std::task::block_on`). After the runtime shut
    /// down, spawns inside it give cancelled handles.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match &self.kind {
            HandleKind::Global => {
                anyrt_executor::in_global(Backend::AsyncStd, || crate::block_on::block_on(future))
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
