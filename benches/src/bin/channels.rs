//! Channel benchmark: anyrt's channels against tokio mpsc, async-channel and flume, on each
//! backend's runtime, in one run.
//!
//! `cargo run --release -p anyrt-benches --bin channels` (about a minute).
//!
//! Workloads, each on a fresh `anyrt::Runtime` per round (default worker count):
//! - `ping-pong`: two spawned tasks bounce a number over two `bounded(1)` channels;
//! - `4-prod`: 4 producers send into one `bounded(1024)` channel, one consumer;
//! - `64-fan-in`: 64 senders into one `bounded(1024)` channel, one consumer;
//! - `64-unbounded`: 64 senders into one `unbounded()` channel (sends that never wait, a
//!   yield every 64), one consumer.
//!
//! Rounds interleave the implementations (rotating which goes first), so a noisy machine
//! shifts all of them alike. The table gives the median time per workload, and the ratios
//! anyrt / async-channel (the same API and rules, what anyrt's channels were built on
//! before their own core; the bar is 1.10) and anyrt / the fastest of the other three: the
//! ratio of the medians, and in brackets the median of the per-round ratios (both measured
//! back to back on the same runtime). Ping-pong times
//! are bimodal on multi-threaded runtimes (whether the two tasks share a worker), so read
//! both. `ROUNDS=n` changes the number of rounds (default 21); `WORKLOADS=a,b` measures only
//! those; `WORKERS=n` gives the runtimes `n` worker threads (default: one per CPU);
//! `ROUND_TIMES=1` prints every round's time on stderr (the spread a median hides).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyrt::{Backend, Runtime};

const PING_PONGS: u32 = 25_000;
const PRODUCERS: u32 = 4;
const PER_PRODUCER: u32 = 125_000;
const FAN_IN: u32 = 64;
const PER_FAN_IN: u32 = 8_000;
const CAP: usize = 1024;

/// Generates the three workloads for one channel implementation. `$recv` must give an
/// `Option<u32>` (None once closed).
macro_rules! workloads {
    (
        $name:ident,
        bounded($cap:ident) => $make:expr,
        unbounded() => $make_unbounded:expr,
        send($tx:ident, $v:ident) => $send:expr,
        send_now($utx:ident, $uv:ident) => $send_now:expr,
        recv($rx:ident) => $recv:expr $(,)?
    ) => {
        mod $name {
            #[allow(unused_mut)]
            pub(crate) async fn ping_pong(n: u32) {
                let bounded = |$cap: usize| $make;
                let (to_b, mut from_a) = bounded(1);
                let (to_a, mut from_b) = bounded(1);
                let b = anyrt::spawn(async move {
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
                // Both sides are tasks: the block_on thread only waits for the end.
                let a = anyrt::spawn(async move {
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
                a.await.unwrap();
                b.await.unwrap();
            }

            #[allow(unused_mut)]
            pub(crate) async fn many_to_one(producers: u32, per: u32, cap: usize) {
                let bounded = |$cap: usize| $make;
                let (tx, mut rx) = bounded(cap);
                let handles: Vec<_> = (0..producers)
                    .map(|_| {
                        let tx = tx.clone();
                        anyrt::spawn(async move {
                            for i in 0..per {
                                let $tx = &tx;
                                let $v = i;
                                $send;
                            }
                        })
                    })
                    .collect();
                drop(tx);
                let mut count = 0u64;
                loop {
                    let v = {
                        let $rx = &mut rx;
                        $recv
                    };
                    if v.is_none() {
                        break;
                    }
                    count += 1;
                }
                assert_eq!(count, u64::from(producers * per));
                for h in handles {
                    h.await.unwrap();
                }
            }

            /// `producers` send into one unbounded channel (never waiting; a yield every 64
            /// messages, so that the consumer runs meanwhile), one consumer.
            #[allow(unused_mut)]
            pub(crate) async fn many_to_one_unbounded(producers: u32, per: u32) {
                let (tx, mut rx) = $make_unbounded;
                let handles: Vec<_> = (0..producers)
                    .map(|_| {
                        let tx = tx.clone();
                        anyrt::spawn(async move {
                            for i in 0..per {
                                {
                                    let $utx = &tx;
                                    let $uv = i;
                                    $send_now;
                                }
                                if i % 64 == 63 {
                                    anyrt::task::yield_now().await;
                                }
                            }
                        })
                    })
                    .collect();
                drop(tx);
                let mut count = 0u64;
                loop {
                    let v = {
                        let $rx = &mut rx;
                        $recv
                    };
                    if v.is_none() {
                        break;
                    }
                    count += 1;
                }
                assert_eq!(count, u64::from(producers * per));
                for h in handles {
                    h.await.unwrap();
                }
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
);
workloads!(
    async_channel_impl,
    bounded(cap) => async_channel::bounded::<u32>(cap),
    unbounded() => async_channel::unbounded::<u32>(),
    send(tx, v) => tx.send(v).await.unwrap(),
    send_now(tx, v) => tx.try_send(v).unwrap(),
    recv(rx) => rx.recv().await.ok(),
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
);

const IMPLS: [&str; 4] = ["anyrt", "async-channel", "tokio mpsc", "flume"];
const WORKLOADS: [&str; 4] = ["ping-pong", "4-prod", "64-fan-in", "64-unbounded"];

async fn run(imp: &str, workload: &str) {
    macro_rules! dispatch {
        ($m:ident) => {
            match workload {
                "ping-pong" => $m::ping_pong(PING_PONGS).await,
                "4-prod" => $m::many_to_one(PRODUCERS, PER_PRODUCER, CAP).await,
                "64-fan-in" => $m::many_to_one(FAN_IN, PER_FAN_IN, CAP).await,
                "64-unbounded" => $m::many_to_one_unbounded(FAN_IN, PER_FAN_IN).await,
                _ => unreachable!(),
            }
        };
    }
    match imp {
        "anyrt" => dispatch!(anyrt_impl),
        "async-channel" => dispatch!(async_channel_impl),
        "tokio mpsc" => dispatch!(tokio_impl),
        "flume" => dispatch!(flume_impl),
        _ => unreachable!(),
    }
}

/// Whether `workload` is measured: all of them, or those named in `WORKLOADS` (comma
/// separated, e.g. `WORKLOADS=64-fan-in`).
fn wanted(workload: &str) -> bool {
    std::env::var("WORKLOADS").map_or(true, |list| list.split(',').any(|w| w == workload))
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(21);
    // The simulation has no native runtime to compare with (bin `sim` measures it).
    let backends: Vec<Backend> = Backend::enabled()
        .iter()
        .copied()
        .filter(|&b| b != Backend::Sim)
        .collect();
    let log_rounds = std::env::var_os("ROUND_TIMES").is_some();
    let started = Instant::now();
    let mut times: BTreeMap<(usize, usize, usize), Vec<Duration>> = BTreeMap::new();

    for round in 0..rounds {
        for (bi, &backend) in backends.iter().enumerate() {
            for (wi, workload) in WORKLOADS.iter().enumerate() {
                if !wanted(workload) {
                    continue;
                }
                // Fresh runtime per round and workload; rotate the order of implementations.
                let rt = match std::env::var("WORKERS").ok().and_then(|w| w.parse().ok()) {
                    Some(w) => Runtime::builder(backend)
                        .worker_threads(w)
                        .build()
                        .expect("runtime"),
                    None => Runtime::new(backend).expect("runtime"),
                };
                // Warm-up: threads spawned, caches touched.
                rt.block_on(run("anyrt", workload));
                for k in 0..IMPLS.len() {
                    let ii = (k + round) % IMPLS.len();
                    let t = rt.block_on(async {
                        let t0 = Instant::now();
                        run(IMPLS[ii], workload).await;
                        t0.elapsed()
                    });
                    if log_rounds {
                        eprintln!(
                            "{backend} {workload} {} {:.2} ms",
                            IMPLS[ii],
                            t.as_secs_f64() * 1e3
                        );
                    }
                    times.entry((bi, wi, ii)).or_default().push(t);
                }
            }
        }
        eprintln!(
            "round {}/{rounds} done ({:.1?})",
            round + 1,
            started.elapsed()
        );
    }

    println!();
    println!(
        "channels: medians of {rounds} interleaved rounds, {} worker threads (default), release",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "ping-pong: {PING_PONGS} round trips over bounded(1); 4-prod: {PRODUCERS} x {PER_PRODUCER} \
         msgs over bounded({CAP}); 64-fan-in: {FAN_IN} x {PER_FAN_IN} msgs over bounded({CAP}); \
         64-unbounded: {FAN_IN} x {PER_FAN_IN} msgs over unbounded()"
    );
    println!();
    println!(
        "| backend | workload | anyrt | async-channel | tokio mpsc | flume | anyrt/async-channel (paired) | anyrt/fastest other (paired) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (bi, backend) in backends.iter().enumerate() {
        for (wi, workload) in WORKLOADS.iter().enumerate() {
            if !wanted(workload) {
                continue;
            }
            // Paired ratios (same round, same runtime, back to back) cancel most of the load
            // that other processes put on the machine; their median is shown in brackets.
            let paired = |a: usize, b: usize| {
                let (xa, xb) = (&times[&(bi, wi, a)], &times[&(bi, wi, b)]);
                let mut r: Vec<f64> = xa
                    .iter()
                    .zip(xb)
                    .map(|(x, y)| x.as_secs_f64() / y.as_secs_f64())
                    .collect();
                r.sort_by(f64::total_cmp);
                r[r.len() / 2]
            };
            let med: Vec<Duration> = (0..IMPLS.len())
                .map(|ii| median(&mut times[&(bi, wi, ii)].clone()))
                .collect();
            let (fastest_i, _) = med
                .iter()
                .enumerate()
                .skip(1)
                .min_by_key(|(_, d)| **d)
                .unwrap();
            let ratio = |a: usize, b: usize| med[a].as_secs_f64() / med[b].as_secs_f64();
            let (vs_base, vs_fastest) = (ratio(0, 1), ratio(0, fastest_i));
            let (paired_base, paired_fastest) = (paired(0, 1), paired(0, fastest_i));
            let flag = if (vs_base * 100.0).round() > 110.0 {
                " over bar"
            } else {
                ""
            };
            println!(
                "| {backend} | {workload} | {} | {} | {} | {} | {vs_base:.2} ({paired_base:.2}){flag} | {vs_fastest:.2} ({paired_fastest:.2}, {}) |",
                fmt_ms(med[0]),
                fmt_ms(med[1]),
                fmt_ms(med[2]),
                fmt_ms(med[3]),
                IMPLS[fastest_i],
            );
        }
    }
    println!();
    println!("total run time: {:.1?}", started.elapsed());
}
