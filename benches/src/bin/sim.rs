//! The simulation's two bars: one virtual hour of 1-second sleeps (3,600 timer fires) in
//! under 10 ms of real time, and at least 1,000 seeds per second explored for a small test
//! (10 tasks sending 100 messages over one channel), on one core (the simulation is one
//! thread).
//!
//! ```text
//! cargo run --release -p anyrt-benches --bin sim              # the report
//! cargo run --release -p anyrt-benches --bin sim -- --smoke   # tiny counts (CI)
//! ```
//!
//! Each figure is the median of several rounds, each on fresh simulations. Nothing is
//! compared with a native runtime: no other runtime has virtual time to compare with.

use std::time::{Duration, Instant};

use anyrt::sim::Explore;
use anyrt::{Backend, Runtime};

/// 3,600 sleeps of one second, one after the other, in one task.
fn virtual_hour() -> Duration {
    let rt = Runtime::builder(Backend::Sim).seed(1).build().unwrap();
    let start = Instant::now();
    rt.block_on(async {
        for _ in 0..3600 {
            anyrt::time::sleep(Duration::from_secs(1)).await;
        }
    });
    start.elapsed()
}

/// The small test of the bar: 10 tasks send 10 messages each over one bounded channel.
async fn ten_tasks_hundred_messages() {
    let (tx, rx) = anyrt::channel::bounded::<u32>(8);
    for p in 0..10u32 {
        let tx = tx.clone();
        drop(anyrt::spawn(async move {
            for i in 0..10 {
                tx.send(p * 10 + i).await.unwrap();
            }
        }));
    }
    drop(tx);
    let mut n = 0;
    while rx.recv().await.is_ok() {
        n += 1;
    }
    assert_eq!(n, 100);
}

/// Seeds explored per second.
fn seeds_per_second(seeds: u64) -> f64 {
    let start = Instant::now();
    let runs = Explore::seeds(seeds)
        .run(ten_tasks_hundred_messages)
        .expect("the test passes under every seed");
    runs as f64 / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let (rounds, seeds) = if smoke { (1, 20) } else { (7, 2000) };
    let hour = median(
        (0..rounds)
            .map(|_| virtual_hour().as_secs_f64() * 1e3)
            .collect(),
    );
    let rate = median((0..rounds).map(|_| seeds_per_second(seeds)).collect());
    println!("sim bench ({rounds} rounds, median)");
    println!(
        "  virtual hour of 1 s sleeps: {hour:8.2} ms real   (bar: under 10 ms)   {}",
        if hour < 10.0 { "ok" } else { "MISSED" }
    );
    println!(
        "  seeds per second (10 tasks, 100 messages): {rate:8.0}   (bar: at least 1,000)   {}",
        if rate >= 1000.0 { "ok" } else { "MISSED" }
    );
}
