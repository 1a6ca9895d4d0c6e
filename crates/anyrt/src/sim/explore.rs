//! [`Explore`]: runs a test body under many seeds, and shrinks the first failure into a
//! replay token. What `#[anyrt::test(sim(seeds = N))]` calls, for harnesses of one's own.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};

use anyrt_core::{Backend, RuntimeConfig};
use anyrt_sim::{Event, Runtime, Schedule};

use super::Scheduler;
use crate::__private::TestResult;

/// How many replays shrinking may take.
const SHRINK_RUNS: usize = 200;

/// Runs a test body under a series of seeds, each on a fresh simulation, stopping at the
/// first failure: a panic of the body (or of a task it awaits and unwraps). The failure is
/// then shrunk to the schedule with the fewest decisions that differ from running the task
/// woken first, which [`Failure::replay`] gives as a token.
///
/// ```
/// use anyrt::sim::Explore;
/// use std::sync::{Arc, Mutex};
///
/// // A lost update, when the second task runs between the first one's read and write.
/// async fn two_increments() {
///     let n = Arc::new(Mutex::new(0));
///     let first = anyrt::spawn({
///         let n = n.clone();
///         async move {
///             let read = *n.lock().unwrap();
///             anyrt::task::yield_now().await;
///             *n.lock().unwrap() = read + 1;
///         }
///     });
///     let second = anyrt::spawn({
///         let n = n.clone();
///         async move {
///             anyrt::task::yield_now().await;
///             let read = *n.lock().unwrap();
///             *n.lock().unwrap() = read + 1;
///         }
///     });
///     first.await.unwrap();
///     second.await.unwrap();
///     assert_eq!(*n.lock().unwrap(), 2, "lost update");
/// }
///
/// let failure = Explore::seeds(200).run(two_increments).unwrap_err();
/// assert!(failure.message().contains("lost update"));
/// // The token replays the failing schedule exactly.
/// let token = failure.replay().to_string();
/// assert!(Explore::replay(&token).unwrap().run(two_increments).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Explore {
    first_seed: u64,
    seeds: u64,
    replay: Option<Schedule>,
    check: bool,
    config: RuntimeConfig,
}

impl Explore {
    /// `n` seeds, from 0, with the [`Random`](Scheduler::Random) scheduler and scheduling
    /// delays ([`delays`](Self::delays)).
    pub fn seeds(n: u64) -> Explore {
        Explore {
            first_seed: 0,
            seeds: n.max(1),
            replay: None,
            check: false,
            config: RuntimeConfig::new().knob(Backend::Sim, anyrt_sim::DELAYS, true),
        }
    }

    /// `n` seeds unless the environment says otherwise: `ANYRT_SIM_REPLAY` (one run of that
    /// schedule), `ANYRT_SIM_SEED` (that seed alone, or the first of `ANYRT_SIM_SEEDS`),
    /// `ANYRT_SIM_SEEDS` (how many), `ANYRT_SIM_CHECK=1` ([`check`](Self::check)).
    ///
    /// # Panics
    ///
    /// If one of them is set to something that is not a number (or a token), naming it.
    pub fn from_env(n: u64) -> Explore {
        let mut explore = Explore::seeds(n);
        if let Ok(token) = std::env::var("ANYRT_SIM_REPLAY") {
            if !token.trim().is_empty() {
                let schedule = token
                    .parse::<Schedule>()
                    .unwrap_or_else(|e| panic!("ANYRT_SIM_REPLAY: {e}"));
                explore.replay = Some(schedule);
            }
        }
        if let Some(seed) = env_u64("ANYRT_SIM_SEED") {
            explore.first_seed = seed;
            explore.seeds = 1;
        }
        if let Some(n) = env_u64("ANYRT_SIM_SEEDS") {
            explore.seeds = n.max(1);
        }
        if std::env::var_os("ANYRT_SIM_CHECK").is_some_and(|v| v == "1") {
            explore.check = true;
        }
        explore
    }

    /// One run, of the schedule of a replay token (as printed after `ANYRT_SIM_REPLAY=`).
    ///
    /// # Errors
    ///
    /// A string that is not a token, saying what is wrong with it.
    pub fn replay(token: &str) -> Result<Explore, anyrt_sim::ParseScheduleError> {
        let mut explore = Explore::seeds(1);
        explore.replay = Some(token.parse()?);
        Ok(explore)
    }

    /// Seeds from `seed` on (default 0).
    pub fn first_seed(mut self, seed: u64) -> Explore {
        self.first_seed = seed;
        self
    }

    /// The scheduler of every run (default [`Scheduler::Random`]).
    pub fn scheduler(mut self, scheduler: Scheduler) -> Explore {
        self.config = self
            .config
            .knob(Backend::Sim, anyrt_sim::SCHEDULER, scheduler);
        self
    }

    /// Seeded scheduling delays in every run (on unless turned off here; see
    /// [`Builder::delays`](crate::Builder::delays)): they find the races that need a task to
    /// be slow to run after its wake (a message overtaking it, a timer firing first). A
    /// replay token replays with the setting of the `Explore` that replays it (on unless
    /// turned off: `ANYRT_SIM_REPLAY` reruns the test, whose attribute says the same again).
    pub fn delays(mut self, on: bool) -> Explore {
        self.config = self.config.knob(Backend::Sim, anyrt_sim::DELAYS, on);
        self
    }

    /// `worker_threads` of every run's configuration (checked as on every backend: zero is
    /// an error; a simulation has one thread whatever it says).
    pub fn worker_threads(mut self, n: usize) -> Explore {
        self.config = self.config.worker_threads(n);
        self
    }

    /// A current-thread simulation for every run (`#[anyrt::test(current_thread)]`): no
    /// background driver, so tasks spawned from outside wait for `block_on` (see
    /// `Runtime::builder(..).current_thread()`).
    pub fn current_thread(mut self) -> Explore {
        self.config = self.config.current_thread();
        self
    }

    /// Runs every seed twice and fails if the two traces differ: something outside the
    /// seed decided the schedule (std's clock, a `HashMap`'s order, a thread of the test's
    /// own, real IO).
    pub fn check(mut self, check: bool) -> Explore {
        self.check = check;
        self
    }

    /// Runs `body` under each seed in turn, each on a fresh simulation; `Ok` with the
    /// number of runs if none failed.
    ///
    /// # Errors
    ///
    /// The first failure, with its seed and its shrunk schedule.
    ///
    /// # Panics
    ///
    /// If a simulation cannot be built from the configuration (zero worker threads,
    /// `Pct { depth: 0 }`).
    pub fn run<F, Fut>(&self, body: F) -> Result<u64, Failure>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        if let Some(schedule) = &self.replay {
            let run = self.run_once(schedule.seed(), Some(schedule), false, &body);
            return match run.failure {
                Some(payload) => Err(Failure {
                    seed: schedule.seed(),
                    index: 0,
                    of: 1,
                    found: schedule.clone(),
                    shrunk: schedule.clone(),
                    payload,
                    kind: Kind::Panic,
                }),
                None => Ok(1),
            };
        }
        for k in 0..self.seeds {
            let seed = self.first_seed.wrapping_add(k);
            let run = self.run_once(seed, None, self.check, &body);
            if let Some(payload) = run.failure {
                // A failure is reported with a seed and a token only if its schedule fails
                // again: one that passes on replay came from outside the schedule.
                let repeats = self.fails_again(seed, &run.schedule, &body);
                let shrunk = match repeats {
                    true => self.shrink(seed, &run.schedule, &body),
                    false => run.schedule.clone(),
                };
                return Err(Failure {
                    seed,
                    index: k,
                    of: self.seeds,
                    found: run.schedule,
                    shrunk,
                    payload,
                    kind: match repeats {
                        true => Kind::Panic,
                        false => Kind::Unrepeatable,
                    },
                });
            }
            if self.check {
                let again = self.run_once(seed, None, true, &body);
                let differs = first_difference(&run.events, &again.events);
                if let (None, Some(payload)) = (differs, &again.failure) {
                    // The same steps, another end: the outcome depends on something the
                    // schedule does not (a HashMap's order, std's clock, a static of the
                    // body shared by the runs).
                    let message = format!(
                        "anyrt-sim: not deterministic: seed {seed} passed, then failed when run \
                         again with the same steps ({}). The outcome depends on something \
                         outside the seed: std's clock, a HashMap's random order, a static \
                         shared by the runs, real IO",
                        anyrt_core::task::panic_message(&**payload).unwrap_or("<not a string>"),
                    );
                    return Err(Failure::nondeterministic(
                        seed,
                        k,
                        self.seeds,
                        run.schedule,
                        message,
                    ));
                }
                if let Some(step) = differs {
                    let message = format!(
                        "anyrt-sim: not deterministic: seed {seed} ran twice and the traces \
                         differ at step {step}: {:?} then {:?}. Something outside the seed \
                         decides the schedule (std's clock, a HashMap's random order, a \
                         thread of the test's own, real IO)",
                        run.events.get(step),
                        again.events.get(step),
                    );
                    return Err(Failure::nondeterministic(
                        seed,
                        k,
                        self.seeds,
                        run.schedule,
                        message,
                    ));
                }
            }
        }
        Ok(self.seeds)
    }

    fn run_once<F, Fut>(&self, seed: u64, replay: Option<&Schedule>, record: bool, body: &F) -> Run
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        let rt = match replay {
            Some(schedule) => Runtime::replay(&self.config, schedule),
            None => Runtime::with_config(&self.config.clone().knob(
                Backend::Sim,
                anyrt_sim::SEED,
                seed,
            )),
        }
        .unwrap_or_else(|e| panic!("anyrt::sim::Explore: could not build a simulation: {e}"));
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

    /// Whether `schedule`, replayed, fails again (its panic message silenced).
    fn fails_again<F, Fut>(&self, seed: u64, schedule: &Schedule, body: &F) -> bool
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        silenced(|| {
            self.run_once(seed, Some(schedule), false, body)
                .failure
                .is_some()
        })
    }

    fn shrink<F, Fut>(&self, seed: u64, schedule: &Schedule, body: &F) -> Schedule
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        silenced(|| {
            schedule.shrink(SHRINK_RUNS, |candidate| {
                let run = self.run_once(seed, Some(candidate), false, body);
                run.failure.is_some().then_some(run.schedule)
            })
        })
    }
}

/// Runs `f` with panic messages silenced: the replays' own panics would drown the report
/// (the hook is the process's, so another test's panic message in this window is lost too).
fn silenced<R>(f: impl FnOnce() -> R) -> R {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let out = f();
    panic::set_hook(hook);
    out
}

struct Run {
    failure: Option<Box<dyn Any + Send>>,
    schedule: Schedule,
    events: Vec<Event>,
}

fn first_difference(a: &[Event], b: &[Event]) -> Option<usize> {
    let common = a.iter().zip(b).position(|(x, y)| x != y);
    common.or((a.len() != b.len()).then(|| a.len().min(b.len())))
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

/// The first failing run of an [`Explore`]: its seed, its schedule shrunk, and the panic.
pub struct Failure {
    seed: u64,
    index: u64,
    of: u64,
    found: Schedule,
    shrunk: Schedule,
    payload: Box<dyn Any + Send>,
    kind: Kind,
}

/// What a [`Failure`] is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The body panicked, and its schedule replayed fails again.
    Panic,
    /// The check found two runs of one seed that differ (no panic of the body).
    Nondeterministic,
    /// The body panicked, and its schedule replayed passed: the failure came from outside it.
    Unrepeatable,
}

impl Failure {
    /// A seed whose two runs differ (`message` says how).
    fn nondeterministic(
        seed: u64,
        index: u64,
        of: u64,
        schedule: Schedule,
        message: String,
    ) -> Failure {
        Failure {
            seed,
            index,
            of,
            found: schedule.clone(),
            shrunk: schedule,
            payload: Box::new(message),
            kind: Kind::Nondeterministic,
        }
    }

    /// Whether the failure is the determinism check's (two runs of one seed differed)
    /// rather than a panic of the body.
    pub fn is_nondeterminism(&self) -> bool {
        self.kind == Kind::Nondeterministic
    }

    /// Whether the failing schedule passed when replayed: the failure does not come from
    /// the schedule (state the test keeps between runs, or an input the simulation does
    /// not control), and no seed or token reproduces it.
    pub fn is_unrepeatable(&self) -> bool {
        self.kind == Kind::Unrepeatable
    }

    /// The seed that failed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The shrunk failing schedule: its `Display` is the replay token.
    pub fn replay(&self) -> &Schedule {
        &self.shrunk
    }

    /// The schedule the failing seed took, before shrinking.
    pub fn found(&self) -> &Schedule {
        &self.found
    }

    /// The panic message (`"<not a string>"` for a payload that is not one).
    pub fn message(&self) -> &str {
        anyrt_core::task::panic_message(&*self.payload).unwrap_or("<not a string>")
    }

    /// The report a test prints: the seed, the command that runs it again
    /// (`ANYRT_SIM_SEED=<seed> <command>`) and the one that replays the shrunk schedule
    /// (`ANYRT_SIM_REPLAY=<token> <command>`).
    pub fn report(&self, command: &str) -> String {
        if self.kind == Kind::Nondeterministic {
            return format!(
                "{}\nRun that seed again with:\n    ANYRT_SIM_SEED={} ANYRT_SIM_CHECK=1 {command}",
                self.message(),
                self.seed
            );
        }
        if self.kind == Kind::Unrepeatable {
            return format!(
                "anyrt-sim: failed with seed {} (seed {} of {}), then passed when that run's \
                 schedule was replayed: the failure does not come from the schedule, and no \
                 seed or replay token reproduces it. Look for state the test keeps between \
                 runs (a `static`, a file, an environment variable: each seed runs the body \
                 again in the same process) or an input the simulation does not control \
                 (std's clock, a thread-local random generator such as the one of tokio's \
                 unbiased `select!`, a thread of the test's own). Test: {command}",
                self.seed,
                self.index + 1,
                self.of,
            );
        }
        let shrunk = match self.shrunk.deviations() {
            0 => format!(
                "anyrt-sim: it fails in the order tasks are woken too (no decision from the \
                 seed, down from {}): the failure does not depend on the schedule; replay it \
                 exactly with:",
                self.found.deviations()
            ),
            n => format!(
                "anyrt-sim: shrunk the failing schedule from {} to {n} decisions that differ \
                 from running the task woken first; replay it exactly with:",
                self.found.deviations()
            ),
        };
        format!(
            "anyrt-sim: failed with seed {} (seed {} of {}). Run that seed again with:\n    \
             ANYRT_SIM_SEED={} {command}\n{shrunk}\n    ANYRT_SIM_REPLAY={} {command}",
            self.seed,
            self.index + 1,
            self.of,
            self.seed,
            self.shrunk,
        )
    }

    /// The panic payload, to resume it.
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        self.payload
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("seed", &self.seed)
            .field("replay", &self.shrunk.to_string())
            .field("message", &self.message())
            .finish()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {} failed ({}); replay: ANYRT_SIM_REPLAY={}",
            self.seed,
            self.message(),
            self.shrunk
        )
    }
}

/// What `#[anyrt::test]` calls for its `sim` test (not public API): runs the body under the
/// simulation with [`Explore`]: one
/// seed (`ANYRT_SIM_SEED`, else 0), or `seeds` of them (`ANYRT_SIM_SEEDS` overrides), or
/// the schedule of `ANYRT_SIM_REPLAY`; `check` (or `ANYRT_SIM_CHECK=1`) runs each seed twice.
/// A failure prints its seed, the command that runs it again and the shrunk replay token,
/// then fails the test with the original panic.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)] // one per option of the attribute; only the macro calls it
pub fn run_sim_test<T, Fut, F>(
    name: &'static str,
    seeds: Option<u64>,
    check: bool,
    scheduler: Option<Scheduler>,
    delays: bool,
    worker_threads: Option<usize>,
    current_thread: bool,
    body: F,
) where
    T: TestResult,
    Fut: Future<Output = T>,
    F: Fn() -> Fut,
{
    // The test's name as the harness knows it: the module path without the crate.
    let test = match name.split_once("::") {
        Some((_, path)) => format!("{path}::sim"),
        None => format!("{name}::sim"),
    };
    // The attribute's `check` turns the check on; it never turns off the environment's.
    let mut explore = Explore::from_env(seeds.unwrap_or(1));
    if check {
        explore = explore.check(true);
    }
    if let Some(scheduler) = scheduler {
        explore = explore.scheduler(scheduler);
    }
    if !delays {
        explore = explore.delays(false);
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
