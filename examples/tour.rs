//! The anyrt tour: one runtime-agnostic library, run on every enabled backend.
//!
//! Run it with `cargo run --release -p anyrt-examples --example tour`.
//!
//! The library is `anyrt_examples::pipeline` (examples/src/pipeline.rs): a fetch pipeline
//! with a bounded worker pool, a timeout per attempt, retries with backoff, outcomes over a
//! channel and a cancellation path. It names no runtime. This binary runs it on each
//! backend, prints what happened and how long it took, and checks the outcomes match.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyrt::time::Instant;
use anyrt::{Backend, Runtime};
use anyrt_examples::pipeline::{self, Behaviour, Config, Job, Outcome};

fn jobs() -> Vec<Job> {
    (0..24)
        .map(|id| {
            let behaviour = match id {
                21..=23 => Behaviour::Stuck,
                _ if id % 5 == 1 => Behaviour::Flaky(2),
                _ if id % 7 == 3 => Behaviour::SlowFirst,
                _ if id == 20 => Behaviour::Flaky(9),
                _ => Behaviour::Fast,
            };
            Job { id, behaviour }
        })
        .collect()
}

const CONFIG: Config = Config {
    workers: 4,
    per_attempt: Duration::from_millis(50),
    max_attempts: 3,
    backoff: Duration::from_millis(1),
};

/// Runs the pipeline; cancels it once only the stuck jobs are left.
async fn drive() -> Vec<Outcome> {
    let jobs = jobs();
    let total = jobs.len();
    let stuck = jobs
        .iter()
        .filter(|j| j.behaviour == Behaviour::Stuck)
        .count();
    let (outcomes, cancel) = pipeline::run(jobs, CONFIG);
    let mut all = Vec::new();
    let live = std::io::stdout().is_terminal();
    while let Ok(outcome) = outcomes.recv().await {
        all.push(outcome);
        if live {
            print!("\r  {:>2}/{total} jobs", all.len());
            let _ = std::io::stdout().flush();
        }
        if all.len() == total - stuck {
            cancel.cancel();
        }
    }
    all.sort_by_key(Outcome::id);
    all
}

fn main() {
    println!(
        "anyrt tour: one library, every backend ({:?})\n",
        Backend::enabled()
    );
    let mut runs = Vec::new();
    for &backend in Backend::enabled() {
        println!("{backend}:");
        let rt = Runtime::new(backend).expect("the runtime starts");
        let start = Instant::now();
        let outcomes = rt.block_on(drive());
        let took = start.elapsed();
        let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
        println!(
            "\r  {} done ({} after retries), {} failed, {} cancelled, in {:.0?}",
            count(|o| matches!(o, Outcome::Done { .. })),
            count(|o| matches!(o, Outcome::Done { attempts, .. } if *attempts > 1)),
            count(|o| matches!(o, Outcome::Failed { .. })),
            count(|o| matches!(o, Outcome::Cancelled { .. })),
            took
        );
        runs.push((backend, outcomes));
    }
    let (first, rest) = runs.split_first().expect("at least one backend");
    println!("\noutcomes on {}:", first.0);
    for o in &first.1 {
        println!("  {o:?}");
    }
    for (backend, outcomes) in rest {
        assert_eq!(outcomes, &first.1, "{backend} differs from {}", first.0);
    }
    println!(
        "\nthe outcomes of all {} backends matched ({} jobs each)",
        runs.len(),
        first.1.len()
    );
}
