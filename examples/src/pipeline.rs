//! A runtime-agnostic fetch pipeline: a bounded pool of workers pulls jobs from a channel,
//! runs each attempt under a timeout, retries with exponential backoff, sends outcomes back
//! over a channel, and stops cleanly when cancelled.
//!
//! It depends on `anyrt` alone: the application that uses it picks the runtime. The work is
//! simulated (sleeps, no network) and deterministic, so every backend must produce the same
//! outcomes.

use std::time::Duration;

use anyrt::channel::{bounded, watch};
use anyrt::task::JoinSet;
use anyrt::time::{sleep, timeout};
use futures_lite::future;

/// One unit of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// Its id.
    pub id: u32,
    /// How the simulated server behaves for it.
    pub behaviour: Behaviour,
}

/// How the simulated server answers a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers after a short delay.
    Fast,
    /// Fails the first `n` attempts with a reset, then answers.
    Flaky(u32),
    /// Hangs on the first attempt (the timeout must cut it), then answers.
    SlowFirst,
    /// Never answers: only cancellation ends it.
    Stuck,
}

/// How the pipeline runs.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Jobs in flight at once.
    pub workers: usize,
    /// The time limit of one attempt.
    pub per_attempt: Duration,
    /// Attempts before giving up.
    pub max_attempts: u32,
    /// The first backoff; doubled after every failed attempt.
    pub backoff: Duration,
}

/// What happened to one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Fetched `bytes` after `attempts` attempts.
    Done {
        /// The job.
        id: u32,
        /// The simulated response size.
        bytes: usize,
        /// Attempts it took.
        attempts: u32,
    },
    /// Every attempt failed or timed out.
    Failed {
        /// The job.
        id: u32,
        /// The last error.
        error: &'static str,
    },
    /// Cancelled before it finished.
    Cancelled {
        /// The job.
        id: u32,
    },
}

impl Outcome {
    /// The job's id.
    pub fn id(&self) -> u32 {
        match self {
            Outcome::Done { id, .. } | Outcome::Failed { id, .. } | Outcome::Cancelled { id } => {
                *id
            }
        }
    }
}

/// Cancels a running pipeline; made by [`run`].
#[derive(Debug, Clone)]
pub struct CancelHandle(watch::Sender<bool>);

impl CancelHandle {
    /// Stops the pipeline: jobs in flight and jobs not started end as `Cancelled`.
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }
}

async fn fetch(job: Job, attempt: u32) -> Result<usize, &'static str> {
    let delay = match job.behaviour {
        Behaviour::SlowFirst if attempt == 1 => Duration::from_secs(3600),
        Behaviour::Stuck => Duration::MAX,
        _ => Duration::from_millis(2 + u64::from(job.id % 4)),
    };
    sleep(delay).await;
    match job.behaviour {
        Behaviour::Flaky(n) if attempt <= n => Err("connection reset"),
        _ => Ok(1_000 + job.id as usize * 10),
    }
}

async fn fetch_with_retries(job: Job, config: Config) -> Outcome {
    let mut backoff = config.backoff;
    let mut error = "no attempt made";
    for attempt in 1..=config.max_attempts {
        match timeout(config.per_attempt, fetch(job, attempt)).await {
            Ok(Ok(bytes)) => {
                return Outcome::Done {
                    id: job.id,
                    bytes,
                    attempts: attempt,
                }
            }
            Ok(Err(e)) => error = e,
            Err(_elapsed) => error = "timed out",
        }
        sleep(backoff).await;
        backoff *= 2;
    }
    Outcome::Failed { id: job.id, error }
}

/// Starts the pipeline over `jobs`. Outcomes arrive on the returned receiver in the order
/// jobs finish; the receiver closes when every job has an outcome.
pub fn run(jobs: Vec<Job>, config: Config) -> (anyrt::channel::Receiver<Outcome>, CancelHandle) {
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let (job_tx, job_rx) = bounded::<Job>(config.workers);
    let (out_tx, out_rx) = bounded::<Outcome>(config.workers);

    // The feeder: a bounded queue applies backpressure to it.
    anyrt::spawn(async move {
        for job in jobs {
            if job_tx.send(job).await.is_err() {
                break;
            }
        }
    });

    // The workers, owned by a supervisor task: dropping the JoinSet would abort them.
    anyrt::spawn(async move {
        let mut workers = JoinSet::new();
        for _ in 0..config.workers {
            let (job_rx, out_tx, mut cancel_rx) =
                (job_rx.clone(), out_tx.clone(), cancel_rx.clone());
            workers.spawn(async move {
                while let Ok(job) = job_rx.recv().await {
                    let cancelled = async {
                        let _ = cancel_rx.wait_for(|c| *c).await;
                        Outcome::Cancelled { id: job.id }
                    };
                    // Whichever finishes first; the loser is dropped (cancel-safe: both are).
                    let outcome = future::or(fetch_with_retries(job, config), cancelled).await;
                    if out_tx.send(outcome).await.is_err() {
                        break;
                    }
                }
            });
        }
        drop((job_rx, out_tx));
        while workers.join_next().await.is_some() {}
    });

    (out_rx, CancelHandle(cancel_tx))
}
