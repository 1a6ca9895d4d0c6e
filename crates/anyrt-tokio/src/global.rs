//! The process-wide tokio runtime, and the tokio runtime a call outside anyrt's context goes
//! to.

use std::io;
use std::sync::OnceLock;

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::Backend;

use crate::owned::{self, RuntimeId};

pub(crate) const DEFAULT_THREAD_NAME: &str = "anyrt-tokio-worker";

static GLOBAL: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// A multi-thread tokio runtime whose threads carry anyrt's tokio context (and, for an
/// anyrt-owned runtime, its id).
pub(crate) fn build_tokio(
    workers: Option<usize>,
    name: String,
    runtime: Option<RuntimeId>,
) -> io::Result<tokio::runtime::Runtime> {
    // `None`: a current-thread runtime (its tasks run in its `block_on`).
    let mut builder = match workers {
        Some(n) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
        None => tokio::runtime::Builder::new_current_thread(),
    };
    builder
        .thread_name(name)
        .enable_all()
        // tokio runs this on its workers and on its blocking threads alike: both are inside
        // the runtime's context (anyrt's blocking closures enter the blocking context
        // themselves).
        .on_thread_start(move || {
            context::set_for_thread(ThreadContext::async_on(Backend::Tokio));
            owned::set_thread_runtime(runtime);
        })
        .build()
}

/// The process-wide runtime: built at the first use, never dropped.
pub(crate) fn global() -> &'static tokio::runtime::Runtime {
    GLOBAL.get_or_init(|| {
        let workers = anyrt_core::RuntimeConfig::new().workers().unwrap_or(1);
        build_tokio(Some(workers), DEFAULT_THREAD_NAME.to_owned(), None).unwrap_or_else(|e| {
            panic!("anyrt-tokio: cannot start the process-wide tokio runtime: {e}")
        })
    })
}

/// Calls `f` with the handle of the tokio runtime the thread is inside (a foreign one, when
/// anyrt's own context does not say tokio), else with the process-wide runtime's.
pub(crate) fn with_fallback_handle<R>(f: impl FnOnce(&tokio::runtime::Handle) -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => f(&h),
        Err(_) => f(global().handle()),
    }
}
