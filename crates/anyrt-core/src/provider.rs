//! [`Provider`], the trait every backend crate implements, and [`RuntimeConfig`], the one
//! configuration of an owned runtime on every backend.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::io;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use crate::task::JoinHandle;
use crate::time::{Instant, Timeout};
use crate::{Backend, Executor};

/// What a backend crate implements: the `anyrt` facade reaches every backend through this
/// trait, by static dispatch (each call is monomorphised for the backend it runs on: no
/// indirection on any hot path).
///
/// A backend is a unit type (`anyrt_tokio::Tokio`, `anyrt_smol::Smol`, ...) whose associated
/// functions are the backend's ambient operations (they run on the runtime the calling
/// thread is inside, else on the backend's process-wide runtime, started lazily), with its
/// owned [`Runtime`](Self::Runtime) and [`Handle`](Self::Handle) types for the rest.
///
/// What every implementation must guarantee (the conformance suite checks it through the
/// facade): a spawn never fails for lack of a runtime; dropping a [`JoinHandle`] detaches;
/// the anyrt [`context`](crate::context) is set on the runtime's threads, inside `block_on`
/// and inside blocking closures; the future of every `block_on` runs in a
/// [`scope`](crate::task::local::scope) (innermost); dropping a runtime never
/// blocks and cancels the tasks still pending.
///
/// ```
/// use anyrt_core::{Backend, Provider, RuntimeConfig};
///
/// // Generic code over a backend, as the facade's dispatch table writes it.
/// fn answer<P: Provider>() -> u32 {
///     let rt = P::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
///     P::runtime_block_on(&rt, async { P::spawn(async { 6 * 7 }).await.unwrap() })
/// }
///
/// assert_eq!(answer::<anyrt_smol::Smol>(), 42);
/// assert_eq!(anyrt_smol::Smol::BACKEND, Backend::Smol);
/// ```
pub trait Provider: Sized + Send + Sync + 'static {
    /// Which backend this is.
    const BACKEND: Backend;

    /// An owned runtime: what `anyrt::Runtime` wraps. Dropping it shuts it down without
    /// blocking; its tasks still pending are dropped.
    type Runtime: Executor<Sleep = Self::Sleep> + fmt::Debug;

    /// A handle to a runtime of this backend: what `anyrt::Handle` wraps. It does not keep
    /// the runtime alive.
    type Handle: Executor<Sleep = Self::Sleep> + Clone + fmt::Debug;

    /// The future of a sleep on this backend's timer. Ready at the first poll for a zero
    /// duration or a past deadline; `Duration::MAX` pends without panicking.
    type Sleep: Future<Output = ()> + Send + 'static;

    /// Builds an owned runtime. `worker_threads(0)` is an error here, on every backend
    /// ([`RuntimeConfig::workers`] says so).
    ///
    /// # Errors
    ///
    /// An invalid configuration, or the operating system refusing to start the threads.
    fn build(config: &RuntimeConfig) -> io::Result<Self::Runtime>;

    /// A handle to `runtime`.
    fn runtime_handle(runtime: &Self::Runtime) -> Self::Handle;

    /// Runs `future` to completion on the calling thread, inside `runtime`: spawns inside go
    /// to it and `spawn_local` works. Does not check whether blocking is allowed (the facade
    /// does).
    fn runtime_block_on<F: Future>(runtime: &Self::Runtime, future: F) -> F::Output;

    /// Shuts `runtime` down, waiting at most `timeout` for its threads.
    fn shutdown_timeout(runtime: Self::Runtime, timeout: Duration);

    /// Runs `future` to completion on the calling thread, inside `handle`'s runtime.
    fn handle_block_on<F: Future>(handle: &Self::Handle, future: F) -> F::Output;

    /// The runtime of this backend the calling thread is inside, if any.
    fn current() -> Option<Self::Handle>;

    /// The backend's process-wide runtime, started on first use.
    fn global() -> Self::Handle;

    /// Spawns on the runtime the calling thread is inside, else on the process-wide one.
    fn spawn<F>(future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Runs a blocking closure on the backend's blocking pool, with the blocking context
    /// entered (so `block_on` works inside it).
    fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static;

    /// Runs `future` to completion on the calling thread, on the process-wide runtime (or
    /// the runtime the thread is inside, in a blocking closure). Does not check whether
    /// blocking is allowed.
    fn block_on<F: Future>(future: F) -> F::Output;

    /// A sleep of `duration` on the timer of the runtime the thread is inside, else on the
    /// process-wide runtime's.
    fn sleep(duration: Duration) -> Self::Sleep;

    /// A sleep until `deadline`; see [`sleep`](Self::sleep).
    fn sleep_until(deadline: Instant) -> Self::Sleep;

    /// The backend's clock: the system's monotonic clock on the real backends, a virtual
    /// one on a simulation. Its deadlines are measured on it.
    ///
    /// A backend with a clock other than the system's enters this function as the clock of
    /// the threads it runs ([`context::enter_clock`](crate::context::enter_clock)):
    /// [`Instant::now`] reads it there, and the system's clock everywhere else. So it is the
    /// one definition of a backend's time; nothing else in anyrt reads a backend's clock.
    fn now() -> Instant {
        Instant::now()
    }

    /// `future`, bounded by `duration` on this backend's timer.
    fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F, Self::Sleep> {
        Timeout::new(future, Self::sleep(duration))
    }

    /// `future`, bounded by `deadline` on this backend's timer.
    fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F, Self::Sleep> {
        Timeout::new(future, Self::sleep_until(deadline))
    }
}

/// The configuration of an owned runtime, the same on every backend.
///
/// `anyrt::Runtime::builder(backend)` fills one in; a backend reads it in
/// [`Provider::build`]. A setting of one backend only (the simulation's seed, say) travels
/// in its typed slot: [`knob`](Self::knob) puts it there, naming the backend; that backend
/// reads it with [`get_knob`](Self::get_knob), and every other backend's `build()` refuses
/// it with [`check_knobs`](Self::check_knobs). The struct is `#[non_exhaustive]` and is only
/// built through its methods.
///
/// ```
/// use anyrt_core::RuntimeConfig;
///
/// let config = RuntimeConfig::new().worker_threads(2).thread_name("db-worker");
/// assert_eq!(config.workers().unwrap(), 2);
/// assert_eq!(config.name(), Some("db-worker"));
/// // Zero workers is an error when the runtime is built, on every backend.
/// assert!(RuntimeConfig::new().worker_threads(0).workers().is_err());
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RuntimeConfig {
    worker_threads: Option<usize>,
    thread_name: Option<String>,
    current_thread: bool,
    knobs: Vec<Knob>,
}

/// One backend's own setting, in [`RuntimeConfig`]'s typed slot.
#[derive(Clone)]
struct Knob {
    backend: Backend,
    name: &'static str,
    value: Arc<dyn KnobValue>,
}

/// A knob's value: any `'static` type, read back by the type it was given as.
trait KnobValue: Any + Send + Sync + fmt::Debug {
    fn as_any(&self) -> &dyn Any;
}

impl<T: Any + Send + Sync + fmt::Debug> KnobValue for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl fmt::Debug for Knob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{} = {:?}", self.backend, self.name, self.value)
    }
}

/// How a simulation picks the next task among the ready ones, at every step, from its seed
/// (the `sim` backend's `"scheduler"` knob; the real backends have their own schedulers). A
/// data type here, not in the simulation's crate, so that `anyrt::Builder::scheduler` exists
/// in every build.
///
/// ```
/// use anyrt_core::{Backend, RuntimeConfig, Scheduler};
///
/// let config = RuntimeConfig::new().knob(Backend::Sim, "scheduler", Scheduler::Pct { depth: 2 });
/// assert_eq!(
///     config.get_knob::<Scheduler>(Backend::Sim, "scheduler"),
///     Some(&Scheduler::Pct { depth: 2 })
/// );
/// assert_eq!(Scheduler::default(), Scheduler::Random);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Scheduler {
    /// Uniformly at random among the ready tasks (the default).
    #[default]
    Random,
    /// Probabilistic concurrency testing (Burckhardt et al., 2010): every task gets a random
    /// priority, the highest-priority ready task runs, and at `depth - 1` random steps the
    /// running task drops to the lowest priority. A bug that needs `depth` specific orderings
    /// is found with a probability that depends on the number of tasks and steps, not on the
    /// number of interleavings.
    Pct {
        /// The number of orderings the bugs looked for depend on (at least 1).
        depth: u32,
    },
    /// First woken, first run: ready tasks (and the `block_on` future) in the order they were
    /// woken, and `spawn_local` tasks in spawn order after the future that spawned them, as
    /// a one-thread runtime runs them (tokio's `current_thread`). For tests that assume that
    /// order; a seed then changes only the simulated latencies and `select!`'s draws.
    Fifo,
}

impl RuntimeConfig {
    /// The defaults: one worker thread per CPU, the backend's own thread name.
    pub fn new() -> RuntimeConfig {
        RuntimeConfig::default()
    }

    /// The number of worker threads (checked by [`workers`](Self::workers): zero is an
    /// error from `build()`).
    pub fn worker_threads(mut self, n: usize) -> RuntimeConfig {
        self.worker_threads = Some(n);
        self
    }

    /// The name of the runtime's threads.
    pub fn thread_name(mut self, name: impl Into<String>) -> RuntimeConfig {
        self.thread_name = Some(name.into());
        self
    }

    /// The number of worker threads to start: the one given, or the number of CPUs
    /// ([`std::thread::available_parallelism`], 1 if unknown), on every backend.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for zero worker threads.
    pub fn workers(&self) -> io::Result<usize> {
        match self.worker_threads {
            Some(0) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "worker_threads must be at least 1 (got 0); leave it unset for one worker \
                 per CPU",
            )),
            Some(n) => Ok(n),
            None => Ok(std::thread::available_parallelism().map_or(1, NonZeroUsize::get)),
        }
    }

    /// The thread name given, if any.
    pub fn name(&self) -> Option<&str> {
        self.thread_name.as_deref()
    }

    /// A current-thread runtime: no worker threads; the runtime's tasks run on the thread
    /// that calls its `block_on`, while it does (what `#[tokio::test]` gives by default).
    /// `worker_threads` does not apply to it. Blocking closures still run on a pool.
    ///
    /// ```
    /// use anyrt_core::RuntimeConfig;
    ///
    /// assert!(RuntimeConfig::new().current_thread().is_current_thread());
    /// assert!(!RuntimeConfig::new().is_current_thread());
    /// ```
    pub fn current_thread(mut self) -> RuntimeConfig {
        self.current_thread = true;
        self
    }

    /// Whether [`current_thread`](Self::current_thread) was asked for.
    pub fn is_current_thread(&self) -> bool {
        self.current_thread
    }

    /// Sets `backend`'s own setting `name` to `value` (replacing one of the same backend and
    /// name): the typed slot for what only one backend has. That backend's `build()` reads it
    /// with [`get_knob`](Self::get_knob); every other backend's refuses it
    /// ([`check_knobs`](Self::check_knobs)), so a setting never silently does nothing.
    ///
    /// ```
    /// use anyrt_core::{Backend, RuntimeConfig};
    ///
    /// let config = RuntimeConfig::new().knob(Backend::Sim, "seed", 42u64);
    /// assert_eq!(config.get_knob::<u64>(Backend::Sim, "seed"), Some(&42));
    /// assert_eq!(config.get_knob::<u32>(Backend::Sim, "seed"), None); // not as a u32
    /// assert_eq!(RuntimeConfig::new().get_knob::<u64>(Backend::Sim, "seed"), None);
    /// ```
    pub fn knob<T>(mut self, backend: Backend, name: &'static str, value: T) -> RuntimeConfig
    where
        T: Any + Send + Sync + fmt::Debug,
    {
        self.knobs
            .retain(|k| (k.backend, k.name) != (backend, name));
        self.knobs.push(Knob {
            backend,
            name,
            value: Arc::new(value),
        });
        self
    }

    /// `backend`'s setting `name`, if one was given as a `T`.
    pub fn get_knob<T: Any>(&self, backend: Backend, name: &str) -> Option<&T> {
        self.knobs
            .iter()
            .find(|k| k.backend == backend && k.name == name)
            .and_then(|k| (*k.value).as_any().downcast_ref())
    }

    /// `Err` if a setting of another backend than `backend` was given: what every
    /// backend's `build()` returns first.
    ///
    /// # Errors
    ///
    /// `InvalidInput`, naming the setting and the backend it belongs to.
    ///
    /// ```
    /// use anyrt_core::{Backend, RuntimeConfig};
    ///
    /// let config = RuntimeConfig::new().knob(Backend::Sim, "seed", 1u64);
    /// assert!(config.check_knobs(Backend::Sim).is_ok());
    /// let err = config.check_knobs(Backend::Tokio).unwrap_err();
    /// assert!(err.to_string().contains("Backend::Sim"), "{err}");
    /// ```
    pub fn check_knobs(&self, backend: Backend) -> io::Result<()> {
        match self.knobs.iter().find(|k| k.backend != backend) {
            None => Ok(()),
            Some(k) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "`{name}` is a setting of the {owner} backend only (Backend::{owner:?}); a \
                     {backend} runtime has no such setting",
                    name = k.name,
                    owner = k.backend,
                ),
            )),
        }
    }
}
