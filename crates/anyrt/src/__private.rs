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

/// Runs one `#[anyrt::test]` body under the simulation: one seed (`ANYRT_SIM_SEED`, else
/// 0), or `seeds` of them (`ANYRT_SIM_SEEDS` overrides), or the schedule of
/// `ANYRT_SIM_REPLAY`. With `check` (or `ANYRT_SIM_CHECK=1`) each seed runs twice and the
/// traces must agree. The first failure prints its seed and the command that replays it,
/// then the shrunk schedule as a replay token, and fails the test with the original panic.
#[cfg(feature = "sim")]
pub fn run_sim_test<T, Fut, F>(
    name: &'static str,
    seeds: Option<u64>,
    check: bool,
    worker_threads: Option<usize>,
    body: F,
) where
    T: TestResult,
    Fut: Future<Output = T>,
    F: Fn() -> Fut,
{
    sim::run(name, seeds, check, worker_threads, &|| {
        Box::pin(async { body().await.check(name, Backend::Sim) })
    });
}

#[cfg(feature = "sim")]
mod sim {
    use std::any::Any;
    use std::future::Future;
    use std::panic::{self, AssertUnwindSafe};
    use std::pin::Pin;

    use anyrt_core::RuntimeConfig;
    use anyrt_sim::{Event, Runtime, Schedule};

    type Body<'a> = dyn Fn() -> Pin<Box<dyn Future<Output = ()> + 'a>> + 'a;

    /// How many replays shrinking may take.
    const SHRINK_RUNS: usize = 200;

    struct Run {
        failure: Option<Box<dyn Any + Send>>,
        schedule: Schedule,
        events: Vec<Event>,
    }

    fn env_u64(var: &str) -> Option<u64> {
        let value = std::env::var(var).ok()?;
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        let parsed = match value.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => value.parse(),
        };
        Some(parsed.unwrap_or_else(|e| panic!("{var}={value:?} is not a number ({e})")))
    }

    fn run_once(
        config: &RuntimeConfig,
        seed: u64,
        replay: Option<&Schedule>,
        record: bool,
        body: &Body<'_>,
    ) -> Run {
        let rt = match replay {
            Some(schedule) => Runtime::replay(config, schedule),
            None => Runtime::with_config(&config.clone().seed(seed)),
        }
        .unwrap_or_else(|e| panic!("could not start the sim runtime: {e}"));
        if record {
            rt.record_trace();
        }
        let failure = panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(body()))).err();
        let schedule = rt.schedule();
        let events = if record {
            rt.trace_events()
        } else {
            Vec::new()
        };
        Run {
            failure,
            schedule,
            events,
        }
    }

    pub(super) fn run(
        name: &'static str,
        seeds: Option<u64>,
        check: bool,
        worker_threads: Option<usize>,
        body: &Body<'_>,
    ) {
        // The test's name as the harness knows it: the module path without the crate.
        let test = match name.split_once("::") {
            Some((_, path)) => format!("{path}::sim"),
            None => format!("{name}::sim"),
        };
        let mut config = RuntimeConfig::new();
        if let Some(n) = worker_threads {
            config = config.worker_threads(n);
        }
        let check = check || std::env::var_os("ANYRT_SIM_CHECK").is_some_and(|v| v == "1");

        if let Ok(token) = std::env::var("ANYRT_SIM_REPLAY") {
            let schedule: Schedule = token
                .parse()
                .unwrap_or_else(|e| panic!("ANYRT_SIM_REPLAY: {e}"));
            let run = run_once(&config, schedule.seed(), Some(&schedule), false, body);
            if let Some(payload) = run.failure {
                eprintln!("anyrt-sim: `{test}` failed under the replayed schedule {schedule}");
                panic::resume_unwind(payload);
            }
            return;
        }

        let fixed = env_u64("ANYRT_SIM_SEED");
        let count = env_u64("ANYRT_SIM_SEEDS")
            .or(if fixed.is_some() { None } else { seeds })
            .unwrap_or(1);
        let base = fixed.unwrap_or(0);
        for k in 0..count {
            let seed = base.wrapping_add(k);
            let run = run_once(&config, seed, None, check, body);
            if let Some(payload) = run.failure {
                report_failure(&test, seed, k, count, &config, run.schedule, body);
                panic::resume_unwind(payload);
            }
            if check {
                let again = run_once(&config, seed, None, true, body);
                if let Some(step) = first_difference(&run.events, &again.events) {
                    panic!(
                        "anyrt-sim: `{test}` is not deterministic: seed {seed} ran twice and \
                         the traces differ at step {step}: {:?} then {:?}. Something outside \
                         the seed decides (std's clock, a HashMap's random order, a thread \
                         of the test's own, real IO)",
                        run.events.get(step),
                        again.events.get(step),
                    );
                }
            }
        }
    }

    fn first_difference(a: &[Event], b: &[Event]) -> Option<usize> {
        let common = a.iter().zip(b).position(|(x, y)| x != y);
        common.or((a.len() != b.len()).then(|| a.len().min(b.len())))
    }

    fn report_failure(
        test: &str,
        seed: u64,
        k: u64,
        count: u64,
        config: &RuntimeConfig,
        schedule: Schedule,
        body: &Body<'_>,
    ) {
        eprintln!(
            "anyrt-sim: `{test}` failed with seed {seed} (seed {} of {count}). Run that seed \
             again with:\n    ANYRT_SIM_SEED={seed} cargo test {test} -- --exact",
            k + 1
        );
        // The replays' own panics would drown the report: silenced meanwhile.
        let hook = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        let shrunk = schedule.shrink(SHRINK_RUNS, |candidate| {
            let run = run_once(config, seed, Some(candidate), false, body);
            run.failure.is_some().then_some(run.schedule)
        });
        panic::set_hook(hook);
        eprintln!(
            "anyrt-sim: shrunk the failing schedule from {} to {} decisions that differ from \
             running the task woken first; replay it exactly with:\n    \
             ANYRT_SIM_REPLAY={shrunk} cargo test {test} -- --exact",
            schedule.deviations(),
            shrunk.deviations(),
        );
    }
}
