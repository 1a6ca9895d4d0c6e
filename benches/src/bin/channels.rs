//! Channel benchmark: anyrt's channels against the fastest peers (tokio mpsc, flume,
//! async-channel, kanal, crossfire), on the native runtimes (what an application on tokio,
//! smol's executor or async-std runs) and on anyrt's own, in one run.
//!
//! `cargo run --release -p anyrt-benches --bin channels` (a few minutes).
//!
//! Every side of every workload is a spawned task (the thread in `block_on` only waits for
//! them), on a fresh runtime per round and workload:
//! - `ping-pong`: two tasks bounce a number over two `bounded(1)` channels;
//! - `4-prod`: 4 producers send into one `bounded(1024)` channel, one consumer;
//! - `64-fan-in`: 64 producers into one `bounded(1024)` channel, one consumer;
//! - `64-unbounded`: 64 producers into one unbounded channel (sends that never wait, a yield
//!   every 64), one consumer;
//! - `4x4-mpmc`: 4 producers and 4 consumers on one `bounded(64)` channel (not tokio mpsc,
//!   which has one receiver);
//! - `cancel`: 4 producers into one `bounded(64)` channel; the consumer races every `recv`
//!   against a yield and drops the `recv` when the yield wins (what a `select!` or a timeout
//!   does). Its second table counts the messages lost that way, summed over the rounds: a
//!   cancel-safe `recv` loses none.
//!
//! Runtimes: `tokio` (multi-thread), `async-executor` (an executor run by that many
//! threads, as smol applications do), `async-std` (its global runtime), and `anyrt <backend>`
//! for each backend compiled in (the simulation has its own bench, bin `sim`). Worker
//! threads: one per CPU, or `WORKERS=n`.
//!
//! Rounds interleave the implementations (rotating which goes first), so a noisy machine
//! shifts all of them alike. The table gives the median time per workload and anyrt / the
//! fastest of the other five: the ratio of the medians, and in brackets the median of the
//! per-round ratios (measured back to back on the same runtime). Ping-pong times are bimodal
//! on multi-threaded runtimes (whether the two tasks share a worker), so read both.
//! `ROUNDS=n` changes the number of rounds (default 11); `WORKLOADS=a,b`, `RUNTIMES=a,b`
//! and `IMPLS=a,b` measure only those (the warm-up round runs anyrt's channel whatever
//! `IMPLS` says); `ROUND_TIMES=1` prints every round's time on stderr (the spread a median
//! hides).
//!
//! `--smoke` runs one round. The run fails if anyrt's channels lost a message in `cancel`.
//!
//! `INLINE_CONSUMER=1` runs the consumer of `4-prod` and `64-fan-in` in the `block_on`
//! future, on the calling thread, as this bench did before it measured the native runtimes.
//! On anyrt's runtimes that placement favours anyrt's channels (the README's earlier table
//! came from it); with every side on the workers, what an application does, it does not.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyrt::Backend;

const PING_PONGS: u32 = 25_000;
const PRODUCERS: u32 = 4;
const PER_PRODUCER: u32 = 125_000;
const FAN_IN: u32 = 64;
const PER_FAN_IN: u32 = 8_000;
const CAP: usize = 1024;
const MPMC: u32 = 4;
const PER_MPMC: u32 = 50_000;
const MPMC_CAP: usize = 64;
const PER_CANCEL: u32 = 25_000;

/// Whether `INLINE_CONSUMER=1` asks for the consumer of `4-prod` and `64-fan-in` to run in
/// the `block_on` future instead of a task.
fn inline_consumer() -> bool {
    std::env::var_os("INLINE_CONSUMER").is_some_and(|v| v == "1")
}

/// A task's output, as every runtime's join handle gives it here.
type Task<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Where a workload spawns its tasks.
#[derive(Clone)]
enum Spawner {
    /// `anyrt::spawn`, inside an `anyrt::Runtime`'s `block_on`.
    Anyrt,
    Tokio,
    Executor(Arc<async_executor::Executor<'static>>),
    AsyncStd,
}

impl Spawner {
    fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Spawner::Anyrt => {
                let task = anyrt::spawn(future);
                Box::pin(async move { task.await.expect("task") })
            }
            Spawner::Tokio => {
                let task = tokio::spawn(future);
                Box::pin(async move { task.await.expect("task") })
            }
            Spawner::Executor(ex) => Box::pin(ex.spawn(future)),
            Spawner::AsyncStd => Box::pin(async_std::task::spawn(future)),
        }
    }
}

/// A runtime built for one round of one workload.
enum Host {
    Anyrt(anyrt::Runtime),
    Tokio(tokio::runtime::Runtime),
    Executor {
        ex: Arc<async_executor::Executor<'static>>,
        stop: async_channel::Sender<()>,
        threads: Vec<thread::JoinHandle<()>>,
    },
    AsyncStd,
}

/// The runtimes measured, by name.
fn runtime_names() -> Vec<String> {
    let mut names = vec![
        "tokio".to_owned(),
        "async-executor".to_owned(),
        "async-std".to_owned(),
    ];
    for b in Backend::enabled() {
        if *b != Backend::Sim {
            names.push(format!("anyrt {b}"));
        }
    }
    names.retain(|n| wanted("RUNTIMES", n));
    names
}

fn workers() -> usize {
    std::env::var("WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
}

impl Host {
    fn new(name: &str) -> Host {
        let n = workers();
        match name {
            "tokio" => Host::Tokio(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(n)
                    .enable_all()
                    .build()
                    .expect("tokio runtime"),
            ),
            "async-executor" => {
                let ex = Arc::new(async_executor::Executor::new());
                let (stop, stopped) = async_channel::bounded::<()>(1);
                let threads = (0..n)
                    .map(|_| {
                        let (ex, stopped) = (ex.clone(), stopped.clone());
                        thread::spawn(move || {
                            futures_lite::future::block_on(ex.run(stopped.recv())).ok();
                        })
                    })
                    .collect();
                Host::Executor { ex, stop, threads }
            }
            "async-std" => Host::AsyncStd,
            _ => {
                let backend: Backend = name
                    .strip_prefix("anyrt ")
                    .and_then(|b| b.parse().ok())
                    .expect("a runtime name");
                Host::Anyrt(
                    anyrt::Runtime::builder(backend)
                        .worker_threads(n)
                        .build()
                        .expect("anyrt runtime"),
                )
            }
        }
    }

    fn spawner(&self) -> Spawner {
        match self {
            Host::Anyrt(_) => Spawner::Anyrt,
            Host::Tokio(_) => Spawner::Tokio,
            Host::Executor { ex, .. } => Spawner::Executor(ex.clone()),
            Host::AsyncStd => Spawner::AsyncStd,
        }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self {
            Host::Anyrt(rt) => rt.block_on(future),
            Host::Tokio(rt) => rt.block_on(future),
            Host::Executor { .. } => futures_lite::future::block_on(future),
            Host::AsyncStd => async_std::task::block_on(future),
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Host::Executor { stop, threads, .. } = self {
            stop.close();
            for t in threads.drain(..) {
                t.join().expect("an executor thread");
            }
        }
    }
}

/// `$n` tasks on `$sp`, each sending `0..$per` into a clone of the sender `$chan` with
/// `$send`; `$chan` itself is dropped. Gives their handles.
macro_rules! spawn_producers {
    ($sp:expr, $chan:ident, $n:expr, $per:expr, |$tx:ident, $v:ident| $send:expr) => {{
        let per = $per;
        let handles: Vec<_> = (0..$n)
            .map(|_| {
                let $chan = $chan.clone();
                $sp.spawn(async move {
                    for i in 0..per {
                        let $tx = &$chan;
                        let $v = i;
                        $send;
                    }
                })
            })
            .collect();
        drop($chan);
        handles
    }};
}

/// Generates the workloads for one channel implementation. `$recv` must give an
/// `Option<u32>` (None once closed); `mpmc` names how a receiver is cloned, for the
/// implementations that have several receivers.
macro_rules! workloads {
    (
        $name:ident,
        bounded($cap:ident) => $make:expr,
        unbounded() => $make_unbounded:expr,
        send($tx:ident, $v:ident) => $send:expr,
        send_now($utx:ident, $uv:ident) => $send_now:expr,
        recv($rx:ident) => $recv:expr,
        $(clone_receiver($crx:ident) => $clone_rx:expr,)?
    ) => {
        mod $name {
            #![allow(unused_mut, clippy::redundant_locals)]
            use super::Spawner;

            pub(crate) async fn ping_pong(sp: Spawner, n: u32) {
                let bounded = |$cap: usize| $make;
                let (to_b, mut from_a) = bounded(1);
                let (to_a, mut from_b) = bounded(1);
                let b = sp.spawn(async move {
                    loop {
                        let v = {
                            let $rx = &mut from_a;
                            $recv
                        };
                        let Some(v) = v else { break };
                        let $tx = &to_a;
                        let $v = v + 1;
                        $send;
                    }
                });
                let a = sp.spawn(async move {
                    for i in 0..n {
                        {
                            let $tx = &to_b;
                            let $v = i;
                            $send;
                        }
                        let got = {
                            let $rx = &mut from_b;
                            $recv
                        };
                        assert_eq!(got, Some(i + 1));
                    }
                });
                a.await;
                b.await;
            }

            pub(crate) async fn many_to_one(sp: Spawner, producers: u32, per: u32, cap: usize) {
                let bounded = |$cap: usize| $make;
                let (tx, mut rx) = bounded(cap);
                let handles = spawn_producers!(sp, tx, producers, per, |$tx, $v| $send);
                let consume = async move {
                    let mut count = 0u64;
                    loop {
                        let v = {
                            let $rx = &mut rx;
                            $recv
                        };
                        if v.is_none() {
                            break count;
                        }
                        count += 1;
                    }
                };
                // `INLINE_CONSUMER=1`: the consumer is the `block_on` future itself, on the
                // calling thread (how this bench measured before: see the module docs).
                let consumer = if super::inline_consumer() {
                    Box::pin(consume)
                } else {
                    sp.spawn(consume)
                };
                let count = consumer.await;
                for h in handles {
                    h.await;
                }
                assert_eq!(count, u64::from(producers * per));
            }

            /// `producers` send into one unbounded channel (never waiting; a yield every 64
            /// messages, so that the consumer runs meanwhile), one consumer.
            pub(crate) async fn many_to_one_unbounded(sp: Spawner, producers: u32, per: u32) {
                let (tx, mut rx) = $make_unbounded;
                let handles: Vec<_> = (0..producers)
                    .map(|_| {
                        let tx = tx.clone();
                        sp.spawn(async move {
                            for i in 0..per {
                                {
                                    let $utx = &tx;
                                    let $uv = i;
                                    $send_now;
                                }
                                if i % 64 == 63 {
                                    futures_lite::future::yield_now().await;
                                }
                            }
                        })
                    })
                    .collect();
                drop(tx);
                let consumer = sp.spawn(async move {
                    let mut count = 0u64;
                    loop {
                        let v = {
                            let $rx = &mut rx;
                            $recv
                        };
                        if v.is_none() {
                            break count;
                        }
                        count += 1;
                    }
                });
                for h in handles {
                    h.await;
                }
                assert_eq!(consumer.await, u64::from(producers * per));
            }

            /// `producers` into one bounded(`cap`) channel; the consumer races each `recv`
            /// against a yield and drops it when the yield wins: the messages lost.
            pub(crate) async fn cancelled_receives(sp: Spawner, producers: u32, per: u32, cap: usize) -> u64 {
                let bounded = |$cap: usize| $make;
                let (tx, mut rx) = bounded(cap);
                let handles = spawn_producers!(sp, tx, producers, per, |$tx, $v| $send);
                let consumer = sp.spawn(async move {
                    let mut count = 0u64;
                    loop {
                        let raced = futures_lite::future::or(
                            async {
                                let $rx = &mut rx;
                                Some($recv)
                            },
                            async {
                                futures_lite::future::yield_now().await;
                                None
                            },
                        )
                        .await;
                        match raced {
                            Some(Some(_)) => count += 1,
                            Some(None) => break count,
                            None => {}
                        }
                    }
                });
                for h in handles {
                    h.await;
                }
                u64::from(producers * per) - consumer.await
            }

            /// `n` producers and `n` consumers on one bounded(`cap`) channel.
            #[allow(unused_variables, unreachable_code)]
            pub(crate) async fn mpmc(sp: Spawner, n: u32, per: u32, cap: usize) -> bool {
                $(
                    let bounded = |$cap: usize| $make;
                    let (tx, rx) = bounded(cap);
                    let producers = spawn_producers!(sp, tx, n, per, |$tx, $v| $send);
                    let consumers: Vec<_> = (0..n)
                        .map(|_| {
                            let mut rx = {
                                let $crx = &rx;
                                $clone_rx
                            };
                            sp.spawn(async move {
                                let mut count = 0u64;
                                loop {
                                    let v = {
                                        let $rx = &mut rx;
                                        $recv
                                    };
                                    if v.is_none() {
                                        break count;
                                    }
                                    count += 1;
                                }
                            })
                        })
                        .collect();
                    drop(rx);
                    for p in producers {
                        p.await;
                    }
                    let mut total = 0;
                    for c in consumers {
                        total += c.await;
                    }
                    assert_eq!(total, u64::from(n * per));
                    return true;
                )?
                false
            }
        }
    };
}

workloads!(
    anyrt_impl,
    bounded(cap) => anyrt::channel::bounded::<u32>(cap),
    unbounded() => anyrt::channel::unbounded::<u32>(),
    send(tx, v) => tx.send(v).await.unwrap(),
    send_now(tx, v) => tx.try_send(v).unwrap(),
    recv(rx) => rx.recv().await.ok(),
    clone_receiver(rx) => rx.clone(),
);
workloads!(
    tokio_impl,
    bounded(cap) => tokio::sync::mpsc::channel::<u32>(cap),
    unbounded() => tokio::sync::mpsc::unbounded_channel::<u32>(),
    send(tx, v) => tx.send(v).await.unwrap(),
    send_now(tx, v) => tx.send(v).unwrap(),
    recv(rx) => rx.recv().await,
);
workloads!(
    flume_impl,
    bounded(cap) => flume::bounded::<u32>(cap),
    unbounded() => flume::unbounded::<u32>(),
    send(tx, v) => tx.send_async(v).await.unwrap(),
    send_now(tx, v) => tx.send(v).unwrap(),
    recv(rx) => rx.recv_async().await.ok(),
    clone_receiver(rx) => rx.clone(),
);
workloads!(
    async_channel_impl,
    bounded(cap) => async_channel::bounded::<u32>(cap),
    unbounded() => async_channel::unbounded::<u32>(),
    send(tx, v) => tx.send(v).await.unwrap(),
    send_now(tx, v) => tx.try_send(v).unwrap(),
    recv(rx) => rx.recv().await.ok(),
    clone_receiver(rx) => rx.clone(),
);
workloads!(
    kanal_impl,
    bounded(cap) => kanal::bounded_async::<u32>(cap),
    unbounded() => kanal::unbounded_async::<u32>(),
    send(tx, v) => tx.send(v).await.unwrap(),
    send_now(tx, v) => assert!(tx.try_send(v).unwrap()),
    recv(rx) => rx.recv().await.ok(),
    clone_receiver(rx) => rx.clone(),
);
workloads!(
    crossfire_impl,
    bounded(cap) => crossfire::mpmc::bounded_async::<u32>(cap),
    unbounded() => crossfire::mpmc::unbounded_async::<u32>(),
    send(tx, v) => tx.send(v).await.unwrap(),
    send_now(tx, v) => tx.send(v).unwrap(),
    recv(rx) => rx.recv().await.ok(),
    clone_receiver(rx) => rx.clone(),
);

const IMPLS: [&str; 6] = [
    "anyrt",
    "tokio mpsc",
    "flume",
    "async-channel",
    "kanal",
    "crossfire",
];
const WORKLOADS: [&str; 6] = [
    "ping-pong",
    "4-prod",
    "64-fan-in",
    "64-unbounded",
    "4x4-mpmc",
    "cancel",
];

/// What one measurement gives: `None` where the implementation cannot run the workload
/// (one receiver), else the messages lost (always 0 but in `cancel`).
async fn run(imp: &str, workload: &str, sp: Spawner) -> Option<u64> {
    macro_rules! dispatch {
        ($m:ident) => {
            match workload {
                "ping-pong" => {
                    $m::ping_pong(sp, PING_PONGS).await;
                    Some(0)
                }
                "4-prod" => {
                    $m::many_to_one(sp, PRODUCERS, PER_PRODUCER, CAP).await;
                    Some(0)
                }
                "64-fan-in" => {
                    $m::many_to_one(sp, FAN_IN, PER_FAN_IN, CAP).await;
                    Some(0)
                }
                "64-unbounded" => {
                    $m::many_to_one_unbounded(sp, FAN_IN, PER_FAN_IN).await;
                    Some(0)
                }
                "4x4-mpmc" => $m::mpmc(sp, MPMC, PER_MPMC, MPMC_CAP).await.then_some(0),
                "cancel" => Some($m::cancelled_receives(sp, PRODUCERS, PER_CANCEL, MPMC_CAP).await),
                _ => unreachable!(),
            }
        };
    }
    match imp {
        "anyrt" => dispatch!(anyrt_impl),
        "tokio mpsc" => dispatch!(tokio_impl),
        "flume" => dispatch!(flume_impl),
        "async-channel" => dispatch!(async_channel_impl),
        "kanal" => dispatch!(kanal_impl),
        "crossfire" => dispatch!(crossfire_impl),
        _ => unreachable!(),
    }
}

/// Whether `item` is measured: all of them, or those the variable `var` names (comma
/// separated, e.g. `WORKLOADS=64-fan-in`).
fn wanted(var: &str, item: &str) -> bool {
    std::env::var(var).map_or(true, |list| list.split(',').any(|w| w == item))
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

/// Times and losses per (runtime, workload, implementation).
#[derive(Default)]
struct Results {
    times: BTreeMap<(usize, usize, usize), Vec<Duration>>,
    lost: BTreeMap<(usize, usize), u64>,
}

fn main() {
    // `--smoke`: one round (CI's check that every implementation runs and anyrt loses
    // nothing), no timing read.
    let smoke = std::env::args().any(|a| a == "--smoke");
    let rounds: usize = if smoke {
        1
    } else {
        std::env::var("ROUNDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(11)
    };
    let runtimes = runtime_names();
    let workloads: Vec<&str> = WORKLOADS
        .iter()
        .copied()
        .filter(|w| wanted("WORKLOADS", w))
        .collect();
    let log_rounds = std::env::var_os("ROUND_TIMES").is_some();
    let started = Instant::now();
    let mut res = Results::default();

    for round in 0..rounds {
        for (ri, runtime) in runtimes.iter().enumerate() {
            for (wi, workload) in workloads.iter().enumerate() {
                // Fresh runtime per round and workload; rotate the order of implementations.
                let host = Host::new(runtime);
                // Warm-up: threads spawned, caches touched.
                host.block_on(run("anyrt", workload, host.spawner()));
                for k in 0..IMPLS.len() {
                    let ii = (k + round) % IMPLS.len();
                    if !wanted("IMPLS", IMPLS[ii]) {
                        continue;
                    }
                    let (t, lost) = host.block_on(async {
                        let t0 = Instant::now();
                        let lost = run(IMPLS[ii], workload, host.spawner()).await;
                        (t0.elapsed(), lost)
                    });
                    let Some(lost) = lost else { continue };
                    if log_rounds {
                        eprintln!(
                            "{runtime} {workload} {} {:.2} ms, lost {lost}",
                            IMPLS[ii],
                            t.as_secs_f64() * 1e3
                        );
                    }
                    res.times.entry((ri, wi, ii)).or_default().push(t);
                    *res.lost.entry((ri, ii)).or_default() += lost;
                }
            }
        }
        eprintln!(
            "round {}/{rounds} done ({:.1?})",
            round + 1,
            started.elapsed()
        );
    }
    report(&res, &runtimes, &workloads, rounds);
    println!();
    println!("total run time: {:.1?}", started.elapsed());
    // anyrt's `recv` is cancel-safe: a loss is a bug, not a number.
    for (ri, runtime) in runtimes.iter().enumerate() {
        let lost = res.lost.get(&(ri, 0)).copied().unwrap_or(0);
        assert_eq!(
            lost, 0,
            "anyrt lost {lost} messages to dropped receives on {runtime}"
        );
    }
}

fn report(res: &Results, runtimes: &[String], workloads: &[&str], rounds: usize) {
    println!();
    println!(
        "channels: medians of {rounds} interleaved rounds (ms), {} worker threads, release; every side a spawned task",
        workers()
    );
    println!(
        "ping-pong: {PING_PONGS} round trips over bounded(1); 4-prod: {PRODUCERS} x {PER_PRODUCER} \
         over bounded({CAP}); 64-fan-in: {FAN_IN} x {PER_FAN_IN} over bounded({CAP}); \
         64-unbounded: {FAN_IN} x {PER_FAN_IN} over unbounded(); 4x4-mpmc: {MPMC} x {PER_MPMC} \
         over bounded({MPMC_CAP}), {MPMC} consumers; cancel: {PRODUCERS} x {PER_CANCEL} over \
         bounded({MPMC_CAP}), every recv raced with a yield"
    );
    println!();
    println!(
        "| runtime | workload | {} | anyrt / fastest other (paired) |",
        IMPLS.join(" | ")
    );
    println!("|---|---|{}---|", "---|".repeat(IMPLS.len()));
    for (ri, runtime) in runtimes.iter().enumerate() {
        for (wi, workload) in workloads.iter().enumerate() {
            let med: Vec<Option<Duration>> = (0..IMPLS.len())
                .map(|ii| res.times.get(&(ri, wi, ii)).map(|v| median(&mut v.clone())))
                .collect();
            let cells: Vec<String> = med
                .iter()
                .map(|m| m.map_or("–".to_owned(), fmt_ms))
                .collect();
            let fastest = med
                .iter()
                .enumerate()
                .skip(1)
                .filter_map(|(i, m)| m.map(|m| (i, m)))
                .min_by_key(|&(_, m)| m);
            let ratio = match (med[0], fastest) {
                (Some(a), Some((fi, f))) => {
                    // Paired ratios (same round, same runtime, back to back) cancel most of
                    // the load that other processes put on the machine.
                    let (xa, xb) = (&res.times[&(ri, wi, 0)], &res.times[&(ri, wi, fi)]);
                    let mut r: Vec<f64> = xa
                        .iter()
                        .zip(xb)
                        .map(|(x, y)| x.as_secs_f64() / y.as_secs_f64())
                        .collect();
                    r.sort_by(f64::total_cmp);
                    format!(
                        "{:.2} ({:.2}, {})",
                        a.as_secs_f64() / f.as_secs_f64(),
                        r[r.len() / 2],
                        IMPLS[fi]
                    )
                }
                _ => "–".to_owned(),
            };
            println!(
                "| {runtime} | {workload} | {} | {ratio} |",
                cells.join(" | ")
            );
        }
    }
    if workloads.contains(&"cancel") {
        println!();
        println!(
            "messages lost by a dropped recv (`cancel`, summed over {rounds} rounds of {} messages)",
            PRODUCERS * PER_CANCEL
        );
        println!();
        println!("| runtime | {} |", IMPLS.join(" | "));
        println!("|---|{}", "---|".repeat(IMPLS.len()));
        for (ri, runtime) in runtimes.iter().enumerate() {
            let cells: Vec<String> = (0..IMPLS.len())
                .map(|ii| {
                    res.lost
                        .get(&(ri, ii))
                        .map_or("–".to_owned(), u64::to_string)
                })
                .collect();
            println!("| {runtime} | {} |", cells.join(" | "));
        }
    }
}
