//! async_executors 0.7, both ways: its traits for [`Handle`], and [`AsyncExecutorsAdapter`],
//! which makes one of its executors an anyrt [`Executor`].

use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use ::async_executors::{
    BlockingHandle, JoinHandle as AeJoinHandle, LocalSpawnHandle, SpawnBlocking, SpawnHandle,
    Timer, YieldNow,
};
use futures_core::future::BoxFuture;
use futures_util::future::FutureExt as _;
use futures_util::task::{FutureObj, LocalFutureObj, SpawnError};

use super::spawn::detach;
use crate::task::{JoinError, JoinHandle};
use crate::{Executor, Handle};

// ---- anyrt's handle as an async_executors executor ----

/// Spawns onto the handle's runtime. async_executors' contract: dropping the returned
/// handle cancels the task (`detach()` keeps it running); awaiting it re-raises the task's
/// panic. `Err(SpawnError::shutdown())` if the runtime has shut down.
impl<Out: Send + 'static> SpawnHandle<Out> for Handle {
    fn spawn_handle_obj(
        &self,
        future: FutureObj<'static, Out>,
    ) -> Result<AeJoinHandle<Out>, SpawnError> {
        // `remote_handle` gives async_executors' own semantics: the remote end stops the
        // future once the handle is dropped, and carries a panic over to the awaiter.
        let (remote, handle) = future.remote_handle();
        detach(Handle::spawn(self, remote))?;
        Ok(AeJoinHandle::remote_handle(handle))
    }
}

/// Spawns onto the **calling thread's** local executor, as
/// [`try_spawn_local`](crate::try_spawn_local) (whichever runtime the handle names).
/// Outside a local context, `Err(SpawnError::shutdown())`.
impl<Out: 'static> LocalSpawnHandle<Out> for Handle {
    fn spawn_handle_local_obj(
        &self,
        future: LocalFutureObj<'static, Out>,
    ) -> Result<AeJoinHandle<Out>, SpawnError> {
        let (remote, handle) = future.remote_handle();
        crate::try_spawn_local(remote).map_err(|_| SpawnError::shutdown())?;
        Ok(AeJoinHandle::remote_handle(handle))
    }
}

/// Runs the closure on the runtime's blocking pool, as [`Handle::spawn_blocking`]. Awaiting
/// the handle re-raises a panic of the closure, and panics if the runtime shut down before
/// the closure ran.
impl<R: Send + 'static> SpawnBlocking<R> for Handle {
    fn spawn_blocking<F>(&self, f: F) -> BlockingHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
    {
        blocking_handle(Handle::spawn_blocking(self, f))
    }

    fn spawn_blocking_dyn(&self, f: Box<dyn FnOnce() -> R + Send>) -> BlockingHandle<R> {
        blocking_handle(Handle::spawn_blocking(self, f))
    }
}

fn blocking_handle<R: Send + 'static>(handle: JoinHandle<R>) -> BlockingHandle<R> {
    BlockingHandle::async_global(Box::pin(async move {
        match handle.await {
            Ok(v) => v,
            Err(e) if e.is_panic() => panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("{e}: the runtime shut down before the blocking closure ran"),
        }
    }))
}

/// Sleeps on the handle's backend's timer, as [`Executor::sleep`].
impl Timer for Handle {
    fn sleep(&self, dur: Duration) -> BoxFuture<'static, ()> {
        Box::pin(Executor::sleep(self, dur))
    }
}

/// async_executors' own yield: wakes the task and pends once.
impl YieldNow for Handle {}

// ---- an async_executors executor as an anyrt Executor ----

/// An async_executors executor as an anyrt [`Executor`]: a backend from outside this
/// repository, plugged in through the core trait.
///
/// `E` implements async_executors' `SpawnHandle<()>` and `Timer` (its `ThreadPool` and
/// `LocalPool` need async_executors' `timer` feature for `Timer`). `E` must be
/// `Send + Sync`, as every `Executor` is, so a `LocalSpawner` (which is `!Send`) cannot be
/// wrapped.
///
/// ```
/// use anyrt::compat::AsyncExecutorsAdapter;
/// use anyrt::Executor;
/// use futures_util::task::{FutureObj, SpawnError};
/// use std::time::Duration;
///
/// // Any executor with async_executors' traits; a thread per task here, for brevity.
/// #[derive(Clone)]
/// struct Threads;
///
/// impl async_executors::SpawnHandle<()> for Threads {
///     fn spawn_handle_obj(
///         &self,
///         fut: FutureObj<'static, ()>,
///     ) -> Result<async_executors::JoinHandle<()>, SpawnError> {
///         use futures_util::FutureExt;
///         let (remote, handle) = fut.remote_handle();
///         std::thread::spawn(move || futures_lite::future::block_on(remote));
///         Ok(async_executors::JoinHandle::remote_handle(handle))
///     }
/// }
///
/// impl async_executors::Timer for Threads {
///     fn sleep(&self, d: Duration) -> futures_core::future::BoxFuture<'static, ()> {
///         Box::pin(async move { std::thread::sleep(d) }) // blocks: fine on its own thread
///     }
/// }
///
/// let exec = AsyncExecutorsAdapter::new(Threads);
/// let e2 = exec.clone();
/// let task = exec.spawn(async move {
///     e2.sleep(Duration::from_millis(1)).await;
///     6 * 7
/// });
/// assert_eq!(futures_lite::future::block_on(task).unwrap(), 42);
/// ```
///
/// What the returned [`JoinHandle`]s do, whatever `E` does with its own handles:
///
/// * dropping one detaches the task; [`abort`](JoinHandle::abort) drops the task's future
///   the next time the executor polls it and the handle gives a cancelled [`JoinError`];
/// * a panic in the task is caught where the adapter polls it and comes back as
///   [`JoinError::is_panic`] (with `panic = "abort"` nothing can be caught); the executor
///   keeps running;
/// * a task the executor drops unfinished (it shut down, or refused the spawn) gives a
///   cancelled `JoinError`.
///
/// [`sleep`](Executor::sleep) is `E`'s `Timer::sleep`, except that zero is ready at the
/// first poll and a duration beyond thirty years pends forever (timers that add it to
/// `Instant::now()` would overflow). [`spawn_blocking`](Executor::spawn_blocking) runs each
/// closure on a new thread: async_executors' executors do not all have a blocking pool.
///
/// Not carried over (anyrt cannot see inside `E`): `Backend::current()` is `None` in its
/// tasks and spawns there go to anyrt's selected backend; `spawn_local` does not work in
/// them; `anyrt::block_on` inside them cannot detect that it blocks an executor thread;
/// dropping the last clone of `E` follows `E`'s own shutdown rules.
#[derive(Debug, Clone, Default)]
pub struct AsyncExecutorsAdapter<E> {
    exec: E,
}

impl<E> AsyncExecutorsAdapter<E> {
    /// Wraps `exec`.
    ///
    /// ```
    /// use anyrt::compat::AsyncExecutorsAdapter;
    /// use anyrt::Executor;
    ///
    /// // Any async_executors executor; anyrt's own `Handle` is one, for brevity.
    /// let exec = AsyncExecutorsAdapter::new(anyrt::Handle::current());
    /// let task = exec.spawn(async { 6 * 7 });
    /// assert_eq!(anyrt::block_on(task).unwrap(), 42);
    /// ```
    pub fn new(exec: E) -> Self {
        AsyncExecutorsAdapter { exec }
    }

    /// The wrapped executor.
    ///
    /// ```
    /// use anyrt::compat::AsyncExecutorsAdapter;
    ///
    /// let exec = AsyncExecutorsAdapter::new(anyrt::Handle::current());
    /// assert_eq!(exec.get_ref().backend(), anyrt::Backend::selected());
    /// ```
    pub fn get_ref(&self) -> &E {
        &self.exec
    }

    /// Gives the wrapped executor back.
    ///
    /// ```
    /// use anyrt::compat::AsyncExecutorsAdapter;
    ///
    /// let exec = AsyncExecutorsAdapter::new(anyrt::Handle::current());
    /// let handle: anyrt::Handle = exec.into_inner();
    /// assert_eq!(anyrt::block_on(handle.spawn(async { 1 })).unwrap(), 1);
    /// ```
    pub fn into_inner(self) -> E {
        self.exec
    }
}

/// Sleeps longer than this pend forever: about thirty years, tokio's own cap.
const FOREVER: Duration = Duration::from_secs(86_400 * 365 * 30);

impl<E> Executor for AsyncExecutorsAdapter<E>
where
    E: SpawnHandle<()> + Timer + Send + Sync + 'static,
{
    type Sleep = BoxFuture<'static, ()>;

    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let shared = Arc::new(Shared::new());
        let task = AdapterTask {
            future: Some(future),
            completion: Completion(shared.clone()),
        };
        match self.exec.spawn_handle_obj(FutureObj::new(Box::new(task))) {
            // The adapter's own handle does the joining; `E`'s would cancel on drop.
            Ok(handle) => handle.detach(),
            Err(_) => return JoinHandle::cancelled(),
        }
        JoinHandle::new(AdapterJoin {
            shared,
            blocking: false,
        })
    }

    fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let shared = Arc::new(Shared::new());
        let completion = Completion(shared.clone());
        let spawned = std::thread::Builder::new()
            .name("anyrt-compat-blocking".into())
            .spawn(move || {
                let out = panic::catch_unwind(AssertUnwindSafe(f)).map_err(JoinError::panic);
                completion.finish(out);
            });
        if spawned.is_err() {
            return JoinHandle::cancelled();
        }
        JoinHandle::new(AdapterJoin {
            shared,
            blocking: true,
        })
    }

    /// The system's clock: the wrapped executor's timer is real, whatever backend anyrt
    /// runs on (under a simulation, anyrt's own clock is virtual).
    fn now(&self) -> anyrt_core::time::Instant {
        anyrt_core::time::Instant::system_now()
    }

    fn sleep(&self, duration: Duration) -> Self::Sleep {
        if duration.is_zero() {
            Box::pin(ReadyNow)
        } else if duration > FOREVER {
            Box::pin(std::future::pending())
        } else {
            self.exec.sleep(duration)
        }
    }
}

/// A sleep of zero: ready at the first poll. Zero-sized, so boxing it does not allocate.
struct ReadyNow;

impl Future for ReadyNow {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

/// The state a task and its [`JoinHandle`] share.
struct State<T> {
    /// The task's result, until the handle takes it.
    output: Option<Result<T, JoinError>>,
    finished: bool,
    aborted: bool,
    /// The handle was dropped: nobody can abort any more, so the task's waker is not kept.
    detached: bool,
    /// The task's waker, for `abort` to get the task polled (and dropped) soon. It keeps the
    /// task alive (the task holds this state), so it is released once the task finishes or
    /// its handle is dropped: a detached task lives by the executor's rules alone.
    task: Option<Waker>,
    /// The waker of whoever awaits the handle.
    join: Option<Waker>,
}

struct Shared<T>(Mutex<State<T>>);

impl<T> Shared<T> {
    fn new() -> Self {
        Shared(Mutex::new(State {
            output: None,
            finished: false,
            aborted: false,
            detached: false,
            task: None,
            join: None,
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // The lock is never held across user code, so poisoning cannot leave it half-updated.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The task's end of [`Shared`]: publishes the result once; dropped unfinished, it
/// publishes "cancelled" (the executor dropped the task without running it to its end).
struct Completion<T>(Arc<Shared<T>>);

impl<T> Completion<T> {
    fn finish(&self, out: Result<T, JoinError>) {
        // Wakers are woken and dropped after the lock is released: dropping one may drop a
        // task, whose `Completion` takes the lock.
        let (join, _task) = {
            let mut state = self.0.lock();
            if state.finished {
                return;
            }
            state.finished = true;
            state.output = Some(out);
            (state.join.take(), state.task.take())
        };
        if let Some(w) = join {
            w.wake();
        }
    }
}

impl<T> Drop for Completion<T> {
    fn drop(&mut self) {
        self.finish(Err(JoinError::cancelled()));
    }
}

pin_project_lite::pin_project! {
    /// The future handed to the executor: the user's future, with abort, panic catching and
    /// result publishing around it.
    struct AdapterTask<F, T> {
        // Declared first: dropped before `completion` reports a cancellation.
        #[pin]
        future: Option<F>,
        completion: Completion<T>,
    }
}

impl<F: Future<Output = T>, T> Future for AdapterTask<F, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let mut old_waker = None;
        let aborted = {
            let mut state = this.completion.0.lock();
            let keep = !state.aborted && !state.detached;
            if keep && !state.task.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                old_waker = state.task.replace(cx.waker().clone());
            }
            state.aborted
        };
        drop(old_waker);
        let out = if aborted {
            Err(JoinError::cancelled())
        } else {
            let Some(future) = this.future.as_mut().as_pin_mut() else {
                return Poll::Ready(());
            };
            match panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(v)) => Ok(v),
                Err(payload) => Err(JoinError::panic(payload)),
            }
        };
        // The future is dropped before the result is published, as on anyrt's backends; a
        // panic in its destructor must not unwind into the executor.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| this.future.set(None)));
        this.completion.finish(out);
        Poll::Ready(())
    }
}

/// The adapter's raw task behind [`JoinHandle`]. Dropping it detaches: the task runs on.
struct AdapterJoin<T> {
    shared: Arc<Shared<T>>,
    /// A blocking closure: `abort` leaves it alone (a started closure cannot be stopped).
    blocking: bool,
}

impl<T: Send + 'static> anyrt_core::task::RawTask<T> for AdapterJoin<T> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let mut state = self.shared.lock();
        if let Some(out) = state.output.take() {
            return Poll::Ready(out);
        }
        if state.finished {
            // Polled again after it gave its output.
            return Poll::Ready(Err(JoinError::cancelled()));
        }
        let old_waker = if state.join.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            None
        } else {
            state.join.replace(cx.waker().clone())
        };
        drop(state);
        drop(old_waker);
        Poll::Pending
    }

    fn abort(&mut self) {
        if self.blocking {
            return;
        }
        let waker = {
            let mut state = self.shared.lock();
            if state.finished || state.aborted {
                return;
            }
            state.aborted = true;
            state.task.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn is_finished(&self) -> bool {
        self.shared.lock().finished
    }
}

impl<T> Drop for AdapterJoin<T> {
    fn drop(&mut self) {
        let task = {
            let mut state = self.shared.lock();
            state.detached = true;
            state.task.take()
        };
        drop(task);
    }
}

impl<T> fmt::Debug for AdapterJoin<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdapterJoin")
            .field("blocking", &self.blocking)
            .finish_non_exhaustive()
    }
}
