//! Structured scopes: [`scope`] (the rules are in its docs).

use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

type Child<'env> = Pin<Box<dyn Future<Output = ()> + Send + 'env>>;

/// The scope a [`scope`] body spawns its children on: a handle, cheap to clone (a child may
/// hold one to spawn more children).
pub struct Scope<'env> {
    inner: Arc<Inner<'env>>,
}

/// What a scope's handles and its future share.
struct Inner<'env> {
    state: Mutex<State<'env>>,
    /// Invariant in `'env`: a child may not borrow anything shorter.
    _env: PhantomData<&'env mut &'env ()>,
}

struct State<'env> {
    /// Children spawned since the scope's future last took them.
    new: Vec<Child<'env>>,
    /// The scope's future, to wake when a child is spawned from elsewhere.
    waker: Option<Waker>,
    /// The scope has completed: nothing would run a child spawned now.
    closed: bool,
}

impl<'env> Inner<'env> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State<'env>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clone for Scope<'_> {
    fn clone(&self) -> Self {
        Scope {
            inner: self.inner.clone(),
        }
    }
}

impl std::fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}

impl<'env> Scope<'env> {
    /// Runs `future` as a child of the scope: it may borrow anything that outlives the
    /// [`scope`] call. It starts at the scope's next poll (which follows at once when the
    /// body awaits) and runs to its end even if its handle is dropped.
    ///
    /// # Panics
    ///
    /// If the scope has completed (a clone of its handle outlived it): nothing would run
    /// the child.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> ScopedJoinHandle<F::Output>
    where
        F: Future + Send + 'env,
        F::Output: Send + 'env,
    {
        let slot = Arc::new(Mutex::new(Slot {
            value: None,
            waker: None,
        }));
        let filled = slot.clone();
        let child: Child<'env> = Box::pin(async move {
            let value = future.await;
            let waker = {
                let mut slot = filled.lock().unwrap_or_else(PoisonError::into_inner);
                slot.value = Some(value);
                slot.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        });
        let waker = {
            let mut state = self.inner.lock();
            assert!(
                !state.closed,
                "Scope::spawn on a scope that has completed: a clone of its handle outlived \
                 anyrt::task::scope, and nothing would run this child"
            );
            state.new.push(child);
            state.waker.clone()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        ScopedJoinHandle { slot }
    }
}

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// The result of a child of a [`scope`] ([`Scope::spawn`]): await it for the child's
/// output. Dropping it does not stop the child.
pub struct ScopedJoinHandle<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> std::fmt::Debug for ScopedJoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedJoinHandle").finish_non_exhaustive()
    }
}

impl<T> Future for ScopedJoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Runs `body` with a [`Scope`] whose children ([`Scope::spawn`]) may borrow from the
/// caller; completes with the body's output once the body and every child have finished.
/// `body` is an async closure (`async |s| { .. }`) or a closure returning a future
/// (`|s| async move { .. }`).
///
/// ```
/// # anyrt::block_on(async {
/// let names = vec!["a".to_owned(), "bb".to_owned(), "ccc".to_owned()];
/// let total = anyrt::task::scope(async |s| {
///     // The children borrow `names`: no `Arc`, no `'static`.
///     let lens: Vec<_> = names.iter().map(|n| s.spawn(async move { n.len() })).collect();
///     let mut total = 0;
///     for len in lens {
///         total += len.await;
///     }
///     total
/// })
/// .await;
/// assert_eq!(total, 6);
/// # });
/// ```
///
/// The rules:
/// - **Every child ends first.** The scope's future completes once its body has returned and
///   every child has finished; a child nobody awaited still runs to its end.
/// - **A panic cancels the others.** A child's (or the body's) panic drops every other child
///   at once, and the scope's future resumes that panic (the body goes with the scope's
///   future, when its owner drops it).
/// - **Dropping the scope cancels.** Dropping the scope's future (a timeout, a `select!`, an
///   abort of the task it runs in) drops the body and every child.
/// - **The children run inside the scope's future**, polled by it on the thread that polls
///   it, never on other threads: a scope is concurrency, not parallelism (spawn `'static`
///   tasks for that). Each wake-up of the scope polls the body and every child not finished,
///   so it suits tens of children, not thousands.
///
/// **Why borrowing is sound.** `std::thread::scope` can lend borrows to threads because it
/// blocks until they end; an async scope cannot block, and its future can be leaked
/// (`mem::forget`) instead of dropped, so the borrowed data may be freed while the scope
/// never finished. Here that is harmless: the children are fields of the scope's own future
/// and run only when it is polled. A leaked scope is never polled again, so no child ever
/// touches the freed data (the children are leaked with it, never dropped, never run). A
/// scope that handed its children to an executor's threads would not have this property.
///
/// # Panics
///
/// The returned future resumes the first panic of the body or of a child, after dropping
/// every child.
pub fn scope<'env, F, Fut>(body: F) -> ScopeFuture<'env, Fut>
where
    F: FnOnce(Scope<'env>) -> Fut,
    Fut: Future,
{
    let scope = Scope {
        inner: Arc::new(Inner {
            state: Mutex::new(State {
                new: Vec::new(),
                waker: None,
                closed: false,
            }),
            _env: PhantomData,
        }),
    };
    let inner = scope.inner.clone();
    ScopeFuture {
        body: body(scope),
        output: None,
        running: Vec::new(),
        inner,
    }
}

pin_project_lite::pin_project! {
    /// The future of [`scope`]: `Send` when the body's future and output are.
    #[must_use = "a scope does nothing unless awaited"]
    pub struct ScopeFuture<'env, Fut: Future> {
        #[pin]
        body: Fut,
        output: Option<Fut::Output>,
        running: Vec<Option<Child<'env>>>,
        inner: Arc<Inner<'env>>,
    }
}

impl<Fut: Future> std::fmt::Debug for ScopeFuture<'_, Fut> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopeFuture")
            .field("children", &self.running.len())
            .field("body_done", &self.output.is_some())
            .finish_non_exhaustive()
    }
}

impl<'env, Fut: Future> Future for ScopeFuture<'env, Fut> {
    type Output = Fut::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Fut::Output> {
        let mut this = self.project();
        loop {
            if this.output.is_none() {
                match catch_unwind(AssertUnwindSafe(|| this.body.as_mut().poll(cx))) {
                    Ok(Poll::Ready(value)) => *this.output = Some(value),
                    Ok(Poll::Pending) => {}
                    Err(panic) => cancel_and_resume(this.inner, this.running, panic),
                }
            }
            let new = take_new(this.inner, cx);
            this.running.extend(new.into_iter().map(Some));
            let mut panicked = None;
            for slot in this.running.iter_mut() {
                let Some(child) = slot else { continue };
                match catch_unwind(AssertUnwindSafe(|| child.as_mut().poll(cx))) {
                    Ok(Poll::Ready(())) => *slot = None,
                    Ok(Poll::Pending) => {}
                    Err(panic) => {
                        panicked = Some(panic);
                        break;
                    }
                }
            }
            if let Some(panic) = panicked {
                cancel_and_resume(this.inner, this.running, panic);
            }
            this.running.retain(Option::is_some);
            // Children spawned by children: poll them in this same round.
            if this.inner.lock().new.is_empty() {
                break;
            }
        }
        if this.output.is_some() && this.running.is_empty() {
            let mut state = this.inner.lock();
            state.closed = true;
            state.waker = None;
            drop(state);
            Poll::Ready(this.output.take().expect("checked"))
        } else {
            Poll::Pending
        }
    }
}

/// The children spawned since the last look, and `cx`'s waker registered for the next.
fn take_new<'env>(inner: &Inner<'env>, cx: &Context<'_>) -> Vec<Child<'env>> {
    let mut state = inner.lock();
    if !state
        .waker
        .as_ref()
        .is_some_and(|w| w.will_wake(cx.waker()))
    {
        state.waker = Some(cx.waker().clone());
    }
    std::mem::take(&mut state.new)
}

/// Drops every child, then resumes `panic`.
fn cancel_and_resume<'env>(
    inner: &Inner<'env>,
    running: &mut Vec<Option<Child<'env>>>,
    panic: Box<dyn std::any::Any + Send>,
) -> ! {
    running.clear();
    let orphans = {
        let mut state = inner.lock();
        state.closed = true;
        std::mem::take(&mut state.new)
    };
    drop(orphans);
    resume_unwind(panic)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn poll_once<F: Future>(fut: Pin<&mut F>) -> Poll<F::Output> {
        fut.poll(&mut Context::from_waker(Waker::noop()))
    }

    /// A leaked scope (its future forgotten, never dropped) is never polled again: its
    /// children never touch the borrowed data after it is freed (AddressSanitizer runs this).
    #[test]
    fn a_leaked_scope_never_runs_its_children_again() {
        let polls = Arc::new(AtomicUsize::new(0));
        {
            let data = vec![1u8; 64];
            let counted = polls.clone();
            let data_ref = &data;
            let mut fut = Box::pin(scope(async move |s: Scope<'_>| {
                s.spawn(async move {
                    loop {
                        counted.fetch_add(usize::from(data_ref[63]), Ordering::SeqCst);
                        crate::task::yield_now().await;
                    }
                });
                std::future::pending::<()>().await;
            }));
            assert!(poll_once(fut.as_mut()).is_pending());
            assert!(poll_once(fut.as_mut()).is_pending());
            std::mem::forget(fut);
            drop(data);
        }
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn children_spawned_by_children_run_in_the_same_scope() {
        let mut fut = Box::pin(scope(async |s: Scope<'_>| {
            let inner = s.clone();
            let outer = s.spawn(async move { inner.spawn(async { 7 }).await * 6 });
            outer.await
        }));
        let mut out = None;
        for _ in 0..10 {
            if let Poll::Ready(v) = poll_once(fut.as_mut()) {
                out = Some(v);
                break;
            }
        }
        assert_eq!(out, Some(42));
    }

    #[test]
    fn a_handle_that_outlives_its_scope_cannot_spawn() {
        let mut kept = None;
        let mut fut = Box::pin(scope(async |s: Scope<'static>| kept = Some(s.clone())));
        assert!(poll_once(fut.as_mut()).is_ready());
        drop(fut);
        let late = kept.take().unwrap();
        let panic = std::panic::catch_unwind(AssertUnwindSafe(|| drop(late.spawn(async {}))));
        let payload = panic.unwrap_err();
        let msg = crate::task::panic_message(&*payload).unwrap_or_default();
        assert!(msg.contains("scope that has completed"), "{msg}");
    }
}
