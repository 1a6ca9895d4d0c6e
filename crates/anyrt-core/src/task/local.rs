//! The thread-local executor behind `spawn_local`, shared by every backend.
//!
//! Each backend's `block_on` wraps its future in a [`LocalScope`]. The scope costs nothing
//! until the first `spawn_local` inside it creates a local executor; that executor is then
//! driven alongside the future, and dropped (cancelling the tasks still pending) when the
//! `block_on` returns.

use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::rc::Rc;
use std::task::{Context, Poll};

use async_executor::LocalExecutor;

use super::JoinHandle;

thread_local! {
    static SCOPE: Cell<*const ScopeState> = const { Cell::new(ptr::null()) };
}

#[derive(Default)]
struct ScopeState {
    executor: OnceCell<Rc<LocalExecutor<'static>>>,
    driver: RefCell<Option<Pin<Box<dyn Future<Output = ()>>>>>,
}

pin_project_lite::pin_project! {
    /// Runs a future with a local executor available to `spawn_local` (created lazily).
    ///
    /// Backends wrap the future of every `block_on` in one. Local tasks still pending when
    /// the scope is dropped are dropped too; their handles give a cancelled `JoinError`.
    pub struct LocalScope<F> {
        #[pin]
        future: F,
        state: ScopeState,
    }
}

impl<F> LocalScope<F> {
    /// Wraps `future`.
    pub fn new(future: F) -> Self {
        LocalScope {
            future,
            state: ScopeState::default(),
        }
    }
}

impl<F: Future> Future for LocalScope<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let state: &ScopeState = this.state;
        let prev = SCOPE.with(|s| s.replace(state));
        let _restore = Restore(prev);
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(v);
        }
        if state.executor.get().is_some() {
            let mut driver = state.driver.borrow_mut();
            if let Some(d) = driver.as_mut() {
                // Never ready: it runs the local tasks that are ready and registers `cx`'s
                // waker for the rest. A local task that wakes the main future wakes `cx`.
                let _ = d.as_mut().poll(cx);
            }
        }
        Poll::Pending
    }
}

impl Drop for ScopeState {
    fn drop(&mut self) {
        // Drop the driver first: it holds a reference to the executor.
        self.driver.get_mut().take();
    }
}

struct Restore(*const ScopeState);

impl Drop for Restore {
    #[inline]
    fn drop(&mut self) {
        let prev = self.0;
        SCOPE.with(|s| s.set(prev));
    }
}

impl<F: fmt::Debug> fmt::Debug for LocalScope<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalScope")
            .field("future", &self.future)
            .field("local_executor", &self.state.executor.get().is_some())
            .finish()
    }
}

/// The error of `spawn_local` called where no local executor can run the task.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SpawnLocalError;

impl fmt::Display for SpawnLocalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "anyrt::spawn_local called outside a local context: it works inside anyrt::block_on, \
             Runtime::block_on, #[anyrt::test] and #[anyrt::main] bodies and in tasks spawned by \
             spawn_local. Call it from there, or use anyrt::spawn for a Send future",
        )
    }
}

impl std::error::Error for SpawnLocalError {}

/// Spawns a `!Send` future on the calling thread's local executor.
///
/// Errors outside a [`LocalScope`] (a plain thread, or a task spawned with `spawn`).
pub fn try_spawn_local<F>(future: F) -> Result<JoinHandle<F::Output>, SpawnLocalError>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let state = SCOPE.with(Cell::get);
    if state.is_null() {
        return Err(SpawnLocalError);
    }
    // SAFETY: `SCOPE` is non-null only while the `LocalScope` that owns the state is being
    // polled on this thread (it is reset before that poll returns), so the state is alive.
    let state = unsafe { &*state };
    let executor = state.executor.get_or_init(|| {
        let ex = Rc::new(LocalExecutor::new());
        let runner = ex.clone();
        *state.driver.borrow_mut() = Some(Box::pin(async move {
            runner.run(std::future::pending::<()>()).await;
        }));
        ex
    });
    Ok(JoinHandle::from_async_task(executor.spawn(future)))
}
