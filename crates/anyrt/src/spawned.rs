//! What every spawn of the facade carries into its task: the inherited task-locals and, with
//! the `tracing` feature, the span current at the spawn. One wrapper for futures, one for
//! blocking closures, used by `spawn`, `spawn_local`, `spawn_blocking`, `JoinSet`,
//! `Handle` and `Runtime`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use anyrt_core::task::task_local::Inherited;

/// The context taken at a spawn, when there is one.
#[derive(Debug)]
pub(crate) struct TaskContext {
    inherited: Inherited,
    span: Option<span::Current>,
}

impl TaskContext {
    /// The context of the caller (its inherited task-locals and its span), or `None` when it
    /// has neither: then nothing is built, nothing dropped.
    #[inline]
    pub(crate) fn capture(with_span: bool) -> Option<Self> {
        let span = if with_span { span::current() } else { None };
        if span.is_none() && !Inherited::any_in_scope() {
            return None;
        }
        Some(TaskContext {
            inherited: Inherited::capture(),
            span,
        })
    }

    fn enter<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let _span = self.span.as_ref().map(span::Current::enter);
        self.inherited.enter(f)
    }
}

pin_project_lite::pin_project! {
    /// A spawned future in its spawn's context (around each poll and its drop).
    pub(crate) struct InContext<F> {
        cx: TaskContext,
        #[pin]
        future: Option<F>,
    }

    impl<F> PinnedDrop for InContext<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.future.is_some() {
                let mut future = this.future;
                this.cx.enter(|| future.set(None));
            }
        }
    }
}

impl<F> InContext<F> {
    /// `future`, to run in `cx` (not empty).
    #[inline]
    pub(crate) fn new(cx: TaskContext, future: F) -> Self {
        InContext {
            cx,
            future: Some(future),
        }
    }
}

/// Spawns `$future` with `|$f| $spawn`, wrapped in its spawn's context only when there is
/// one. The common case (nothing inherited, no span) pays one thread-local load, and its
/// task is the caller's future itself: a wrapper polled every time measured +85
/// instructions per spawn+join on smol (callgrind), the price of the second instance.
macro_rules! spawn_in_context {
    ($future:expr, $span:expr, |$f:ident| $spawn:expr) => {{
        match $crate::spawned::TaskContext::capture($span) {
            None => {
                let $f = $future;
                $spawn
            }
            Some(cx) => {
                let $f = $crate::spawned::InContext::new(cx, $future);
                $spawn
            }
        }
    }};
}
pub(crate) use spawn_in_context;

impl<F: Future> Future for InContext<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let future = this
            .future
            .as_pin_mut()
            .expect("a spawned future is never polled after it completed");
        this.cx.enter(|| future.poll(cx))
    }
}

/// `f`, to run in the context captured here.
#[inline]
pub(crate) fn blocking<F, R>(f: F, with_span: bool) -> impl FnOnce() -> R + Send + 'static
where
    F: FnOnce() -> R + Send + 'static,
{
    let mut cx = TaskContext::capture(with_span);
    move || match &mut cx {
        None => f(),
        Some(cx) => cx.enter(f),
    }
}

#[cfg(feature = "tracing")]
mod span {
    /// The span current at a spawn.
    #[derive(Debug)]
    pub(super) struct Current(tracing::Span);

    /// The span current here, if any.
    #[inline]
    pub(super) fn current() -> Option<Current> {
        // No subscriber was ever set: no span can be current (and asking costs more than the
        // rest of a spawn's bookkeeping).
        if !tracing::dispatcher::has_been_set() {
            return None;
        }
        let span = tracing::Span::current();
        (!span.is_none()).then_some(Current(span))
    }

    impl Current {
        pub(super) fn enter(&self) -> tracing::span::Entered<'_> {
            self.0.enter()
        }
    }
}

#[cfg(not(feature = "tracing"))]
mod span {
    /// Without the `tracing` feature there is never a span.
    #[derive(Debug)]
    pub(super) enum Current {}

    #[inline]
    pub(super) fn current() -> Option<Current> {
        None
    }

    impl Current {
        pub(super) fn enter(&self) {
            match *self {}
        }
    }
}
