//! The racy corpus (examples/src/races.rs): how often each race shows on the real
//! multi-threaded runtimes (200 runs each), and how the simulation finds and replays it.
//!
//! `cargo run --release -p anyrt-examples --example races`

use std::time::Instant;

use anyrt::{Backend, Runtime};
use anyrt_examples::races::PROGRAMS;

const RUNS: usize = 200;

fn main() {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let real: Vec<Backend> = Backend::enabled()
        .iter()
        .copied()
        .filter(|&b| b != Backend::Sim)
        .collect();
    let mut rows = Vec::new();
    for (name, program) in PROGRAMS {
        let mut rates = Vec::new();
        for &backend in &real {
            let rt = Runtime::builder(backend)
                .worker_threads(2)
                .build()
                .expect("a runtime");
            let failed = (0..RUNS)
                .filter(|_| {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        rt.block_on(program())
                    }))
                    .is_err()
                })
                .count();
            rates.push(format!("{failed}/{RUNS}"));
        }
        rows.push((name, rates));
    }
    std::panic::set_hook(hook);
    println!(
        "| program | {} | sim: found by | seeds | replays |",
        real.iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|{}---|---:|---:|", "---:|".repeat(real.len()));
    for ((name, rates), (_, program)) in rows.into_iter().zip(PROGRAMS) {
        let start = Instant::now();
        #[cfg(feature = "sim")]
        let sim = match anyrt_examples::races::find(program) {
            Some(f) => format!(
                "{} | {} | {}/20 ({:.1?})",
                f.how,
                f.seeds,
                f.replays,
                start.elapsed()
            ),
            None => "not found in 4,000 seeds | – | –".to_owned(),
        };
        #[cfg(not(feature = "sim"))]
        let sim = {
            let _ = (program, start);
            "(build with `sim`) | – | –".to_owned()
        };
        println!("| {name} | {} | {sim} |", rates.join(" | "));
    }
}
