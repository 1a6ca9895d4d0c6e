//! The workloads, each written twice per backend: natively, the way a user of that runtime
//! writes it, and through anyrt. Both sides of a pair have the same shape: the same worker
//! count, the same task structure, the same number of operations.
//!
//! | workload | where it runs |
//! |---|---|
//! | spawn+join, yield, sleep, timeout, spawn_blocking | inside one spawned task |
//! | `Runtime::block_on` | on the calling thread, against an owned runtime |
//! | `block_on` (free function) | on the calling thread, on the process-wide runtime |
//!
//! tokio and smol run on an owned runtime built for each round ([`run_owned`]). async-std's
//! global runtime cannot be rebuilt, so its workloads, and the free `block_on` of every
//! backend (anyrt's process-wide runtimes are global too), run in a process of their own
//! per round ([`run_process_wide`]).

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::alloc;

pub use anyrt::Backend;

/// How long each sleep of the sleep workload lasts.
pub const SLEEP: Duration = Duration::from_millis(10);
/// The limit of the timeout workload (never reached: the future is ready).
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a round waits for a runtime's threads to stop.
const SHUTDOWN: Duration = Duration::from_secs(10);

/// Which implementation runs a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The backend's own API.
    Native,
    /// anyrt's API on that backend.
    Anyrt,
}

impl Side {
    /// `"native"` or `"anyrt"`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Native => "native",
            Side::Anyrt => "anyrt",
        }
    }

    /// Parses [`name`](Self::name).
    pub fn parse(s: &str) -> Option<Side> {
        match s {
            "native" => Some(Side::Native),
            "anyrt" => Some(Side::Anyrt),
            _ => None,
        }
    }
}

/// One benchmarked operation, repeated `n` times per round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Spawn `n` tasks that return a value, then join them all.
    SpawnJoin,
    /// One task calling `yield_now` `n` times.
    Yield,
    /// `Runtime::block_on` of a ready future, `n` times, on an owned runtime.
    BlockOn,
    /// The free `block_on` of a ready future, `n` times (process-wide runtime).
    BlockOnFree,
    /// The free `block_on` of a future pending once (it wakes itself at its first poll),
    /// `n` times: the path of a future that is not ready at once.
    BlockOnYield,
    /// `n` concurrent `sleep(10 ms)` in one task; the time includes the 10 ms wait.
    Sleep,
    /// `timeout` around a ready future, `n` times in one task.
    Timeout,
    /// [`Timeout`](Self::Timeout) with the native side yielding (its runtime's `yield_now`)
    /// once every 128 timeouts, as anyrt's co-op budget makes the anyrt side do: what the
    /// budget costs on each runtime, apart from anyrt's own cost. A reference, with no bar.
    TimeoutCoop,
    /// `spawn_blocking` of a trivial closure and await it, `n` times in a row.
    SpawnBlocking,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 9] = [
        Workload::SpawnJoin,
        Workload::Yield,
        Workload::BlockOn,
        Workload::BlockOnFree,
        Workload::BlockOnYield,
        Workload::Sleep,
        Workload::Timeout,
        Workload::TimeoutCoop,
        Workload::SpawnBlocking,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::SpawnJoin => "spawn_join",
            Workload::Yield => "yield",
            Workload::BlockOn => "block_on",
            Workload::BlockOnFree => "block_on_free",
            Workload::BlockOnYield => "block_on_yield",
            Workload::Sleep => "sleep",
            Workload::Timeout => "timeout",
            Workload::TimeoutCoop => "timeout_coop",
            Workload::SpawnBlocking => "spawn_blocking",
        }
    }

    /// Parses [`name`](Self::name).
    pub fn parse(s: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == s)
    }

    /// What the report calls it.
    pub fn label(self) -> &'static str {
        match self {
            Workload::SpawnJoin => "spawn+join",
            Workload::Yield => "yield_now",
            Workload::BlockOn => "Runtime::block_on",
            Workload::BlockOnFree => "block_on (free fn)",
            Workload::BlockOnYield => "block_on (yields once)",
            Workload::Sleep => "sleep(10ms) concurrent",
            Workload::Timeout => "timeout(ready)",
            Workload::TimeoutCoop => "timeout(ready), native yields /128",
            Workload::SpawnBlocking => "spawn_blocking",
        }
    }

    /// The number of operations of a full round.
    pub fn full_count(self) -> u64 {
        match self {
            Workload::SpawnJoin => 10_000,
            Workload::Yield => 100_000,
            Workload::BlockOn => 10_000,
            Workload::BlockOnFree => 10_000,
            Workload::BlockOnYield => 10_000,
            Workload::Sleep => 10_000,
            Workload::Timeout | Workload::TimeoutCoop => 100_000,
            Workload::SpawnBlocking => 1_000,
        }
    }

    /// The number of operations of a smoke round (CI: does it still run at all?).
    pub fn smoke_count(self) -> u64 {
        match self {
            Workload::Yield | Workload::Timeout | Workload::TimeoutCoop => 1_000,
            Workload::SpawnBlocking => 10,
            _ => 100,
        }
    }

    /// Whether CONTRIBUTING.md's performance bars set one (anyrt / native ≤ 1.05) for it.
    pub fn has_bar(self) -> bool {
        !matches!(self, Workload::SpawnBlocking | Workload::TimeoutCoop)
    }

    /// Whether the workload exists on `backend`. async-std has no owned runtime of its
    /// own (anyrt's owned async-std runtime is an async-executor), so only the free
    /// `block_on` is compared there.
    pub fn applies_to(self, backend: Backend) -> bool {
        !(backend == Backend::AsyncStd && self == Workload::BlockOn)
    }

    /// Where a round of it runs on `backend`.
    pub fn placement(self, backend: Backend) -> Placement {
        if backend == Backend::AsyncStd
            || matches!(self, Workload::BlockOnFree | Workload::BlockOnYield)
        {
            Placement::ProcessWide
        } else {
            Placement::Owned
        }
    }
}

/// Where a round runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// On a runtime built for the round and shut down after it, in this process.
    Owned,
    /// On the process-wide runtime: one process per round.
    ProcessWide,
}

/// The result of one round.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    /// The time of the measured region.
    pub elapsed: Duration,
    /// Allocations in the measured region, by every thread (only in a counting pass).
    pub allocs: Option<u64>,
}

/// Times a region; in a counting pass, also counts its allocations.
#[derive(Debug)]
pub struct Meter {
    start: Instant,
    count: bool,
}

impl Meter {
    /// Starts the region. `count`: count allocations (an untimed pass).
    #[inline]
    pub fn start(count: bool) -> Meter {
        if count {
            alloc::count_all();
        }
        Meter {
            start: Instant::now(),
            count,
        }
    }

    /// Ends the region.
    #[inline]
    pub fn stop(self) -> Measured {
        let elapsed = self.start.elapsed();
        let allocs = self.count.then(alloc::stop_counting);
        Measured { elapsed, allocs }
    }
}

/// The worker count of every runtime, native and anyrt: one per CPU (anyrt's default).
pub fn workers() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// The value out of a join or a timeout, whatever the runtime wraps it in.
trait Value {
    type Out;
    fn value(self) -> Self::Out;
}

impl Value for u64 {
    type Out = u64;
    #[inline]
    fn value(self) -> u64 {
        self
    }
}

impl<T, E: std::fmt::Debug> Value for Result<T, E> {
    type Out = T;
    #[inline]
    fn value(self) -> T {
        self.expect("the task failed")
    }
}

impl<T> Value for Option<T> {
    type Out = T;
    #[inline]
    fn value(self) -> T {
        self.expect("timed out")
    }
}

/// Writes `task_body`: the workloads that run inside one task, with the runtime's own
/// spelling of each operation.
macro_rules! task_workloads {
    (
        $ctx:ident: $cty:ty;
        // Whether `TimeoutCoop` yields every 128 timeouts (the native sides; anyrt's budget
        // yields by itself).
        coop_yields: $coop_yields:literal;
        spawn($sf:ident) => $spawn:expr;
        yield_now() => $yield_now:expr;
        sleep($sd:ident) => $sleep:expr;
        timeout($td:ident, $tf:ident) => $timeout:expr;
        spawn_blocking($bf:ident) => $spawn_blocking:expr;
    ) => {
        /// Runs `w` inside the task this future is spawned as.
        #[allow(unused_variables)]
        pub(crate) async fn task_body($ctx: $cty, w: Workload, n: u64, count: bool) -> Measured {
            match w {
                Workload::SpawnJoin => {
                    let mut handles = Vec::with_capacity(n as usize);
                    let meter = Meter::start(count);
                    for i in 0..n {
                        let $sf = async move { black_box(i) };
                        handles.push($spawn);
                    }
                    let mut sum = 0u64;
                    for h in handles.drain(..) {
                        sum += h.await.value();
                    }
                    let m = meter.stop();
                    black_box(sum);
                    m
                }
                Workload::Yield => {
                    let meter = Meter::start(count);
                    for _ in 0..n {
                        $yield_now.await;
                    }
                    meter.stop()
                }
                Workload::Sleep => {
                    let meter = Meter::start(count);
                    let mut set = FuturesUnordered::new();
                    for _ in 0..n {
                        let $sd = SLEEP;
                        set.push($sleep);
                    }
                    let mut done = 0u64;
                    while set.next().await.is_some() {
                        done += 1;
                    }
                    let m = meter.stop();
                    assert_eq!(done, n);
                    m
                }
                Workload::Timeout | Workload::TimeoutCoop => {
                    let coop = $coop_yields && w == Workload::TimeoutCoop;
                    let mut until_yield = 128u32;
                    let meter = Meter::start(count);
                    let mut sum = 0u64;
                    for i in 0..n {
                        if coop {
                            until_yield -= 1;
                            if until_yield == 0 {
                                until_yield = 128;
                                $yield_now.await;
                            }
                        }
                        let $td = TIMEOUT;
                        let $tf = async move { black_box(i) };
                        sum += $timeout.await.value();
                    }
                    let m = meter.stop();
                    black_box(sum);
                    m
                }
                Workload::SpawnBlocking => {
                    let meter = Meter::start(count);
                    let mut sum = 0u64;
                    for i in 0..n {
                        let $bf = move || black_box(i);
                        sum += $spawn_blocking.await.value();
                    }
                    let m = meter.stop();
                    black_box(sum);
                    m
                }
                Workload::BlockOn | Workload::BlockOnFree | Workload::BlockOnYield => {
                    unreachable!("block_on workloads run on the calling thread")
                }
            }
        }
    };
}

/// Through anyrt: the same code for every backend.
mod via_anyrt {
    use super::*;

    task_workloads! {
        _ctx: ();
        coop_yields: false;
        spawn(f) => anyrt::spawn(f);
        yield_now() => anyrt::task::yield_now();
        sleep(d) => anyrt::time::sleep(d);
        timeout(d, f) => anyrt::time::timeout(d, f);
        spawn_blocking(f) => anyrt::spawn_blocking(f);
    }
}

/// Native tokio.
#[cfg(feature = "tokio")]
mod native_tokio {
    use super::*;

    task_workloads! {
        _ctx: ();
        coop_yields: true;
        spawn(f) => tokio::spawn(f);
        yield_now() => tokio::task::yield_now();
        sleep(d) => tokio::time::sleep(d);
        timeout(d, f) => tokio::time::timeout(d, f);
        spawn_blocking(f) => tokio::task::spawn_blocking(f);
    }

    /// tokio has no free `block_on`: `#[tokio::main]` is `Runtime::block_on` on a runtime
    /// that lives as long as the process, as anyrt's process-wide one does.
    pub(crate) fn process_runtime() -> &'static tokio::runtime::Runtime {
        static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
        RT.get_or_init(runtime)
    }

    pub(crate) fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers())
            .enable_all()
            .build()
            .expect("cannot build a tokio runtime")
    }
}

/// Native smol: an `async_executor::Executor` run by worker threads on async-io, timers
/// from async-io, `blocking::unblock`; what `smol` re-exports.
#[cfg(feature = "smol")]
mod native_smol {
    use super::*;
    use async_executor::Executor;
    use std::future::Future;
    use std::sync::Arc;

    task_workloads! {
        ex: Arc<Executor<'static>>;
        coop_yields: true;
        spawn(f) => ex.spawn(f);
        yield_now() => futures_lite::future::yield_now();
        sleep(d) => async_io::Timer::after(d);
        // smol has no `timeout`: its idiom is `future.or(timer)`. The timer is made
        // up front so that the deadline is fixed when `timeout` is called, as with tokio,
        // async-std and anyrt.
        timeout(d, f) => {
            let timer = async_io::Timer::after(d);
            futures_lite::future::or(async move { Some(f.await) }, async move {
                timer.await;
                None
            })
        };
        spawn_blocking(f) => blocking::unblock(f);
    }

    /// A multi-thread smol runtime, shaped like anyrt's smol `Runtime`: `workers` threads
    /// blocked in `async_io::block_on(ex.run(..))`; `block_on` is `async_io::block_on` on
    /// the calling thread, which does not run the executor's tasks (anyrt's does not
    /// either).
    pub(crate) struct Runtime {
        pub(crate) ex: Arc<Executor<'static>>,
        stop: Option<async_channel::Sender<()>>,
        threads: Vec<thread::JoinHandle<()>>,
    }

    impl Runtime {
        pub(crate) fn new(workers: usize) -> Runtime {
            let ex = Arc::new(Executor::new());
            let (stop, stopped) = async_channel::bounded::<()>(1);
            let threads = (0..workers)
                .map(|_| {
                    let ex = ex.clone();
                    let stopped = stopped.clone();
                    thread::Builder::new()
                        .name("native-smol-worker".into())
                        .spawn(move || {
                            async_io::block_on(ex.run(async move {
                                let _ = stopped.recv().await;
                            }))
                        })
                        .expect("cannot start a worker thread")
                })
                .collect();
            Runtime {
                ex,
                stop: Some(stop),
                threads,
            }
        }

        pub(crate) fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
            async_io::block_on(future)
        }

        pub(crate) fn shutdown(mut self) {
            drop(self.stop.take());
            for t in self.threads.drain(..) {
                t.join().expect("a worker thread panicked");
            }
        }
    }
}

/// Native async-std (its global runtime).
#[cfg(feature = "async-std")]
mod native_async_std {
    use super::*;

    task_workloads! {
        _ctx: ();
        coop_yields: true;
        spawn(f) => async_std::task::spawn(f);
        yield_now() => async_std::task::yield_now();
        sleep(d) => async_std::task::sleep(d);
        timeout(d, f) => async_std::future::timeout(d, f);
        spawn_blocking(f) => async_std::task::spawn_blocking(f);
    }
}

/// `i`, after being pending once: the first poll wakes its own waker and returns `Pending`
/// (a `yield_now` that any runtime, or none, can drive).
fn yield_once(i: u64) -> impl std::future::Future<Output = u64> {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            std::task::Poll::Ready(black_box(i))
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
}

/// `n` times `block_on` of a ready future through `block_on`.
#[inline(always)]
fn block_on_loop(n: u64, count: bool, mut block_on: impl FnMut(u64) -> u64) -> Measured {
    let meter = Meter::start(count);
    let mut sum = 0u64;
    for i in 0..n {
        sum += block_on(i);
    }
    let m = meter.stop();
    black_box(sum);
    m
}

/// One round of `w` on a runtime built for it (then shut down, untimed). For tokio and
/// smol, every workload but [`Workload::BlockOnFree`].
///
/// # Panics
///
/// If the backend is not compiled in, the placement is not [`Placement::Owned`], or the
/// workload fails.
pub fn run_owned(backend: Backend, w: Workload, side: Side, n: u64, count: bool) -> Measured {
    assert_eq!(w.placement(backend), Placement::Owned, "{w:?} on {backend}");
    if side == Side::Anyrt {
        let rt = anyrt::Runtime::builder(backend)
            .worker_threads(workers())
            .build()
            .expect("cannot build the anyrt runtime");
        let m = if w == Workload::BlockOn {
            block_on_loop(n, count, |i| rt.block_on(async move { black_box(i) }))
        } else {
            let task = rt.spawn(via_anyrt::task_body((), w, n, count));
            rt.block_on(task).expect("the workload task failed")
        };
        rt.shutdown_timeout(SHUTDOWN);
        return m;
    }
    match backend {
        #[cfg(feature = "tokio")]
        Backend::Tokio => {
            let rt = native_tokio::runtime();
            let m = if w == Workload::BlockOn {
                block_on_loop(n, count, |i| rt.block_on(async move { black_box(i) }))
            } else {
                let task = rt.spawn(native_tokio::task_body((), w, n, count));
                rt.block_on(task).expect("the workload task failed")
            };
            rt.shutdown_timeout(SHUTDOWN);
            m
        }
        #[cfg(feature = "smol")]
        Backend::Smol => {
            let rt = native_smol::Runtime::new(workers());
            let m = if w == Workload::BlockOn {
                block_on_loop(n, count, |i| rt.block_on(async move { black_box(i) }))
            } else {
                let task = rt
                    .ex
                    .spawn(native_smol::task_body(rt.ex.clone(), w, n, count));
                rt.block_on(task)
            };
            rt.shutdown();
            m
        }
        other => panic!("no owned native runtime for {other}"),
    }
}

/// Prepares this process for [`run_process_wide`] rounds of `backend`: makes it anyrt's
/// default backend (for the anyrt side; a no-op for the native side).
pub fn prepare_process_wide(backend: Backend, side: Side) {
    if side == Side::Anyrt {
        anyrt::set_default_backend(backend).expect("the default backend was already set");
    }
}

/// One round of `w` on the process-wide runtime of `backend` (after
/// [`prepare_process_wide`]). The first round of a process also starts the runtime: run it
/// as a warm-up.
///
/// # Panics
///
/// If the backend is not compiled in, the placement is not [`Placement::ProcessWide`], or
/// the workload fails.
pub fn run_process_wide(
    backend: Backend,
    w: Workload,
    side: Side,
    n: u64,
    count: bool,
) -> Measured {
    assert_eq!(
        w.placement(backend),
        Placement::ProcessWide,
        "{w:?} on {backend}"
    );
    if side == Side::Anyrt {
        return if w == Workload::BlockOnFree {
            block_on_loop(n, count, |i| anyrt::block_on(async move { black_box(i) }))
        } else if w == Workload::BlockOnYield {
            block_on_loop(n, count, |i| anyrt::block_on(yield_once(i)))
        } else {
            let task = anyrt::spawn(via_anyrt::task_body((), w, n, count));
            anyrt::block_on(task).expect("the workload task failed")
        };
    }
    match (backend, w) {
        #[cfg(feature = "tokio")]
        (Backend::Tokio, Workload::BlockOnFree) => {
            let rt = native_tokio::process_runtime();
            block_on_loop(n, count, |i| rt.block_on(async move { black_box(i) }))
        }
        #[cfg(feature = "tokio")]
        (Backend::Tokio, Workload::BlockOnYield) => {
            let rt = native_tokio::process_runtime();
            block_on_loop(n, count, |i| rt.block_on(yield_once(i)))
        }
        #[cfg(feature = "smol")]
        (Backend::Smol, Workload::BlockOnYield) => {
            block_on_loop(n, count, |i| async_io::block_on(yield_once(i)))
        }
        #[cfg(feature = "async-std")]
        (Backend::AsyncStd, Workload::BlockOnYield) => {
            block_on_loop(n, count, |i| async_std::task::block_on(yield_once(i)))
        }
        #[cfg(feature = "smol")]
        (Backend::Smol, Workload::BlockOnFree) => {
            // `smol::block_on` is `async_io::block_on`, which anyrt's smol backend uses.
            block_on_loop(n, count, |i| {
                async_io::block_on(async move { black_box(i) })
            })
        }
        #[cfg(feature = "async-std")]
        (Backend::AsyncStd, Workload::BlockOnFree) => block_on_loop(n, count, |i| {
            async_std::task::block_on(async move { black_box(i) })
        }),
        #[cfg(feature = "async-std")]
        (Backend::AsyncStd, w) => async_std::task::block_on(async_std::task::spawn(
            native_async_std::task_body((), w, n, count),
        )),
        (other, w) => panic!("no process-wide native {w:?} for {other}"),
    }
}

/// The sizes, in bytes, of what a user holds: a join handle, a sleep, a timeout around a
/// ready future, natively (per backend compiled in) and through anyrt. Holding many is
/// common, so a larger one costs memory traffic (CONTRIBUTING.md's bars: the handle at most 16 bytes).
pub fn sizes() -> Vec<(&'static str, Vec<(String, usize)>)> {
    use std::future::Ready;
    use std::mem::size_of;
    #[cfg(any(feature = "smol", feature = "async-std"))]
    use std::mem::size_of_val;

    let mut handle = Vec::new();
    let mut sleep = Vec::new();
    let mut timeout = Vec::new();
    #[cfg(feature = "tokio")]
    {
        handle.push((
            "tokio".to_owned(),
            size_of::<tokio::task::JoinHandle<u64>>(),
        ));
        sleep.push(("tokio".to_owned(), size_of::<tokio::time::Sleep>()));
        timeout.push((
            "tokio".to_owned(),
            size_of::<tokio::time::Timeout<Ready<u64>>>(),
        ));
    }
    #[cfg(feature = "smol")]
    {
        handle.push(("smol".to_owned(), size_of::<async_task::Task<u64>>()));
        sleep.push(("smol".to_owned(), size_of::<async_io::Timer>()));
        // Built, not polled: the type of `or` over async blocks has no name.
        let timer = async_io::Timer::after(TIMEOUT);
        let f = std::future::ready(1u64);
        let t = futures_lite::future::or(async move { Some(f.await) }, async move {
            timer.await;
            None
        });
        timeout.push(("smol".to_owned(), size_of_val(&t)));
    }
    #[cfg(feature = "async-std")]
    {
        handle.push((
            "async-std".to_owned(),
            size_of::<async_std::task::JoinHandle<u64>>(),
        ));
        // Built, not polled: neither needs a runtime to exist.
        sleep.push((
            "async-std".to_owned(),
            size_of_val(&async_std::task::sleep(SLEEP)),
        ));
        timeout.push((
            "async-std".to_owned(),
            size_of_val(&async_std::future::timeout(
                TIMEOUT,
                std::future::ready(1u64),
            )),
        ));
    }
    handle.push((
        "anyrt".to_owned(),
        size_of::<anyrt::task::JoinHandle<u64>>(),
    ));
    sleep.push(("anyrt".to_owned(), size_of::<anyrt::time::Sleep>()));
    timeout.push((
        "anyrt".to_owned(),
        size_of::<anyrt::time::Timeout<Ready<u64>>>(),
    ));
    vec![
        ("JoinHandle<u64>", handle),
        ("sleep future", sleep),
        ("timeout(ready) future", timeout),
    ]
}
