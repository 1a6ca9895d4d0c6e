//! Support for the macros of `anyrt-macros`. Not public API.

use std::fmt::Debug;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};

pub use crate::Backend;
use crate::Runtime;

/// What a `#[anyrt::test]` body may return.
#[diagnostic::on_unimplemented(
    message = "`#[anyrt::test]` functions return `()` or `Result<(), E>` with `E: Debug`, not `{Self}`"
)]
pub trait TestResult {
    /// Panics with a message naming the test and backend if the result is a failure.
    fn check(self, name: &str, backend: Backend);
}

impl TestResult for () {
    fn check(self, _: &str, _: Backend) {}
}

impl<E: Debug> TestResult for Result<(), E> {
    fn check(self, name: &str, backend: Backend) {
        if let Err(e) = self {
            panic!("test `{name}` failed on the {backend} backend: {e:?}");
        }
    }
}

fn runtime(
    backend: Backend,
    worker_threads: Option<usize>,
    current_thread: bool,
    what: &str,
) -> Runtime {
    let mut b = Runtime::builder(backend);
    if let Some(n) = worker_threads {
        b = b.worker_threads(n);
    }
    if current_thread {
        b = b.current_thread();
    }
    b.build()
        .unwrap_or_else(|e| panic!("{what}: could not start the {backend} runtime: {e}"))
}

/// Runs one `#[anyrt::test]` body on a fresh runtime of `backend`.
pub fn run_test<T: TestResult>(
    name: &'static str,
    backend: Backend,
    worker_threads: Option<usize>,
    current_thread: bool,
    fut: impl Future<Output = T>,
) {
    let rt = runtime(backend, worker_threads, current_thread, name);
    match panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(fut))) {
        Ok(result) => result.check(name, backend),
        Err(payload) => {
            eprintln!("test `{name}` panicked on the {backend} backend");
            panic::resume_unwind(payload)
        }
    }
}

/// Runs an `#[anyrt::main]` body: on the default selection, or on a fresh runtime of
/// `backend`.
pub fn run_main<T>(
    backend: Option<Backend>,
    worker_threads: Option<usize>,
    current_thread: bool,
    fut: impl Future<Output = T>,
) -> T {
    match (backend, worker_threads, current_thread) {
        (None, None, false) => crate::block_on(fut),
        (b, n, c) => {
            runtime(b.unwrap_or_else(Backend::selected), n, c, "anyrt::main").block_on(fut)
        }
    }
}

/// The branch an unbiased `select!` polls first: anyrt's per-thread generator, which the
/// simulation seeds (so that a seed replays the choice).
#[inline]
pub fn select_start(n: u32) -> u32 {
    anyrt_core::rand::below(n)
}

/// The `i`-th of `n` branches counted from `start`, wrapping (a function, so that the
/// macros' expansion has no `% 1` for a lint to flag in the caller's code).
#[inline]
pub fn nth_from(start: u32, i: u32, n: u32) -> usize {
    ((start + i) % n) as usize
}

#[cfg(feature = "macros")]
pub use anyrt_macros::{join, select, try_join};
