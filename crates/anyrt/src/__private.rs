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

/// Runs one `#[anyrt::test]` body under the simulation with [`crate::sim::Explore`]: one
/// seed (`ANYRT_SIM_SEED`, else 0), or `seeds` of them (`ANYRT_SIM_SEEDS` overrides), or
/// the schedule of `ANYRT_SIM_REPLAY`; `check` (or `ANYRT_SIM_CHECK=1`) runs each seed twice.
/// A failure prints its seed, the command that runs it again and the shrunk replay token,
/// then fails the test with the original panic.
#[cfg(feature = "sim")]
pub fn run_sim_test<T, Fut, F>(
    name: &'static str,
    seeds: Option<u64>,
    check: bool,
    pct: Option<u32>,
    worker_threads: Option<usize>,
    current_thread: bool,
    body: F,
) where
    T: TestResult,
    Fut: Future<Output = T>,
    F: Fn() -> Fut,
{
    use crate::sim::{Explore, Scheduler};

    // The test's name as the harness knows it: the module path without the crate.
    let test = match name.split_once("::") {
        Some((_, path)) => format!("{path}::sim"),
        None => format!("{name}::sim"),
    };
    let mut explore = Explore::from_env(seeds.unwrap_or(1)).check(check);
    if let Some(depth) = pct {
        explore = explore.scheduler(Scheduler::Pct { depth });
    }
    if let Some(n) = worker_threads {
        explore = explore.worker_threads(n);
    }
    if current_thread {
        explore = explore.current_thread();
    }
    let body = || async { body().await.check(name, Backend::Sim) };
    if let Err(failure) = explore.run(body) {
        let report = failure.report(&format!("cargo test {test} -- --exact"));
        if failure.is_nondeterminism() {
            panic!("{report}");
        }
        // The body's own panic message was printed when it panicked.
        eprintln!("{report}");
        panic::resume_unwind(failure.into_panic());
    }
}
