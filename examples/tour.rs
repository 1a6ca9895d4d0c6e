//! The anyrt tour: one small runtime-agnostic library, run on every enabled backend.
//!
//! Run it with `cargo run --release -p anyrt-examples --example tour`.
//!
//! The library (`pipeline` below) is what a library author writes: it depends on `anyrt`
//! alone. It fetches a batch of jobs with a bounded pool of workers, a timeout per attempt,
//! retries with backoff, and a cancellation path. The binary runs it on each backend and
//! checks that every backend produced the same results.

use std::time::Instant;

use anyrt::{Backend, Runtime};

/// A runtime-agnostic library: it names no runtime, only anyrt.
mod pipeline {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use anyrt::task::JoinSet;
    use anyrt::time::{sleep, timeout};

    /// What happened to one job.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Outcome {
        /// Fetched after `attempts` tries.
        Done { id: u32, bytes: usize, attempts: u32 },
        /// Every attempt timed out or failed.
        Failed { id: u32, attempts: u32 },
        /// Cancelled before it finished.
        Cancelled { id: u32 },
    }

    /// Simulated work: deterministic per (job, attempt), no network.
    async fn fetch(id: u32, attempt: u32) -> Result<usize, &'static str> {
        let slow = id % 7 == 3 && attempt == 1; // first try of some jobs hangs
        let flaky = id % 5 == 1 && attempt < 3; // some fail twice
        sleep(Duration::from_millis(if slow { 500 } else { 2 + u64::from(id % 4) })).await;
        if flaky {
            return Err("connection reset");
        }
        Ok(1000 + id as usize * 10)
    }

    async fn fetch_with_retries(id: u32, per_try: Duration, max_attempts: u32) -> Outcome {
        let mut backoff = Duration::from_millis(1);
        for attempt in 1..=max_attempts {
            match timeout(per_try, fetch(id, attempt)).await {
                Ok(Ok(bytes)) => {
                    return Outcome::Done {
                        id,
                        bytes,
                        attempts: attempt,
                    }
                }
                Ok(Err(_)) | Err(_) => {
                    sleep(backoff).await;
                    backoff *= 2;
                }
            }
        }
        Outcome::Failed {
            id,
            attempts: max_attempts,
        }
    }

    /// Fetches `jobs` with at most `workers` in flight. Jobs at or above `cancel_from` are
    /// started and then cancelled, to show the cancellation path.
    pub async fn run(jobs: u32, workers: usize, cancel_from: u32) -> Vec<Outcome> {
        let progress = Arc::new(AtomicU32::new(0));
        let mut set = JoinSet::new();
        let mut out = Vec::new();
        let mut cancelled = Vec::new();
        for id in 0..jobs {
            while set.len() >= workers {
                out.push(set.join_next().await.unwrap().unwrap());
            }
            if id >= cancel_from {
                let mut h = anyrt::spawn(fetch_with_retries(id, Duration::from_millis(50), 3));
                h.abort();
                cancelled.push((id, h));
                continue;
            }
            let progress = progress.clone();
            set.spawn(async move {
                let o = fetch_with_retries(id, Duration::from_millis(50), 3).await;
                progress.fetch_add(1, Ordering::Relaxed);
                o
            });
        }
        while let Some(r) = set.join_next().await {
            out.push(r.unwrap());
        }
        for (id, h) in cancelled {
            match h.await {
                Err(e) if e.is_cancelled() => out.push(Outcome::Cancelled { id }),
                other => panic!("job {id} should have been cancelled: {other:?}"),
            }
        }
        out.sort_by_key(|o| match o {
            Outcome::Done { id, .. } | Outcome::Failed { id, .. } | Outcome::Cancelled { id } => *id,
        });
        out
    }
}

fn main() {
    let backends = Backend::enabled();
    println!("anyrt tour: backends compiled in: {backends:?}");
    let mut results = Vec::new();
    for &backend in backends {
        print!("running the pipeline on {backend:<9} ... ");
        let start = Instant::now();
        let rt = Runtime::new(backend).expect("runtime");
        let out = rt.block_on(pipeline::run(24, 4, 20));
        let took = start.elapsed();
        let done = out.iter().filter(|o| matches!(o, pipeline::Outcome::Done { .. })).count();
        let retried = out
            .iter()
            .filter(|o| matches!(o, pipeline::Outcome::Done { attempts, .. } if *attempts > 1))
            .count();
        let cancelled = out.len() - done;
        println!("{done} done ({retried} after retries), {cancelled} cancelled, in {took:.0?}");
        results.push((backend, out));
    }
    if let Some((first, rest)) = results.split_first() {
        for (b, out) in rest {
            assert_eq!(out, &first.1, "{b} differs from {}", first.0);
        }
        println!("all {} backends produced the same {} results", results.len(), first.1.len());
    }
}
