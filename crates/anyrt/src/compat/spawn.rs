//! futures' `Spawn` and `LocalSpawn` for [`Handle`] and [`Runtime`]: see the
//! [module docs](super#futures-spawn-and-localspawn).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_util::task::{FutureObj, LocalFutureObj, LocalSpawn, Spawn, SpawnError};

use crate::task::JoinHandle;
use crate::{Handle, Runtime};

/// Detaches a freshly spawned task; `Err(shutdown)` if its runtime refused it.
///
/// A spawn onto a runtime that has shut down gives a handle that is already finished and
/// cancelled. Only a finished handle is polled, so the common path costs one check.
pub(crate) fn detach<T>(mut handle: JoinHandle<T>) -> Result<(), SpawnError> {
    if handle.is_finished() {
        let mut cx = Context::from_waker(Waker::noop());
        if let Poll::Ready(Err(e)) = Pin::new(&mut handle).poll(&mut cx) {
            if e.is_cancelled() {
                return Err(SpawnError::shutdown());
            }
        }
    }
    Ok(())
}

/// Whether the calling thread has a local executor `spawn_local` can use.
///
/// anyrt-core has no read-only probe, so this spawns an empty local task (which also creates
/// the scope's local executor, as any first `spawn_local` would).
fn local_status() -> Result<(), SpawnError> {
    crate::try_spawn_local(async {})
        .map(drop)
        .map_err(|_| SpawnError::shutdown())
}

fn spawn_local_obj(future: LocalFutureObj<'static, ()>) -> Result<(), SpawnError> {
    crate::try_spawn_local(future)
        .map(drop)
        .map_err(|_| SpawnError::shutdown())
}

/// Spawns onto this handle's runtime, detached. `Err(SpawnError::shutdown())` if the
/// runtime has shut down.
impl Spawn for Handle {
    fn spawn_obj(&self, future: FutureObj<'static, ()>) -> Result<(), SpawnError> {
        detach(Handle::spawn(self, future))
    }
}

/// Spawns onto this runtime, detached. `Err(SpawnError::shutdown())` if it has shut down.
impl Spawn for Runtime {
    fn spawn_obj(&self, future: FutureObj<'static, ()>) -> Result<(), SpawnError> {
        detach(Runtime::spawn(self, future))
    }
}

/// [`try_spawn_local`](crate::try_spawn_local), detached: the task runs on the **calling
/// thread's** local executor (inside `block_on`, `Runtime::block_on`, `#[anyrt::test]`,
/// `#[anyrt::main]` or a local task), whichever runtime the handle names. Elsewhere it
/// returns `Err(SpawnError::shutdown())` (futures' only error), and so does
/// `status_local()`.
impl LocalSpawn for Handle {
    fn spawn_local_obj(&self, future: LocalFutureObj<'static, ()>) -> Result<(), SpawnError> {
        spawn_local_obj(future)
    }

    fn status_local(&self) -> Result<(), SpawnError> {
        local_status()
    }
}

/// As for [`Handle`]: the calling thread's local executor, so it works inside this runtime's
/// [`block_on`](Runtime::block_on) (or any other local context); elsewhere
/// `Err(SpawnError::shutdown())`.
impl LocalSpawn for Runtime {
    fn spawn_local_obj(&self, future: LocalFutureObj<'static, ()>) -> Result<(), SpawnError> {
        spawn_local_obj(future)
    }

    fn status_local(&self) -> Result<(), SpawnError> {
        local_status()
    }
}
