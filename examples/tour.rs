//! The anyrt tour: one runtime-agnostic library, run on every enabled backend.
//!
//! Run it with `cargo run --release -p anyrt-examples --example tour`.
//!
//! The library is `anyrt_examples::pipeline` (examples/src/pipeline.rs): a fetch pipeline
//! with a bounded worker pool, a timeout per attempt, retries with backoff, outcomes over a
//! channel and a cancellation path. It names no runtime. This binary runs it on each
//! backend, prints what happened and how long it took, and checks the outcomes match. With
//! the `sim` feature the same code also runs under the deterministic simulation (in virtual
//! time), and a last step shows a lost-update bug (examples/src/counter.rs) that the real
//! runtimes almost never show found by seed exploration, shrunk and replayed.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyrt::time::Instant;
use anyrt::{Backend, Runtime};
use anyrt_examples::pipeline::{self, Behaviour, Config, Job, Outcome};
use anyrt_examples::{counter, echo, wal};

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

/// One line per outcome, in words.
fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Done {
            id,
            bytes,
            attempts: 1,
        } => format!("job {id:>2}: fetched {bytes} bytes"),
        Outcome::Done {
            id,
            bytes,
            attempts,
        } => {
            format!("job {id:>2}: fetched {bytes} bytes on attempt {attempts} (retried)")
        }
        Outcome::Failed { id, error } => {
            format!("job {id:>2}: failed every attempt, gave up (last error: {error})")
        }
        Outcome::Cancelled { id } => {
            format!("job {id:>2}: cancelled (stuck; the run was cancelled)")
        }
    }
}

/// The network step: `anyrt_examples::echo` (a line protocol written once on `anyrt::net`)
/// served on each backend's runtime and asked from the next backend's.
fn network() {
    println!(
        "\nNetwork: examples/src/echo.rs is a line-protocol server and client written once on \
         anyrt::net.\nEach backend serves it on loopback, and the next backend's runtime asks:"
    );
    // Sockets of the simulation live in its memory: it serves itself, below.
    let backends: Vec<Backend> = Backend::enabled()
        .iter()
        .copied()
        .filter(|&b| b != Backend::Sim)
        .collect();
    for (i, &server_side) in backends.iter().enumerate() {
        let client_side = backends[(i + 1) % backends.len()];
        let server_rt = Runtime::new(server_side).expect("the runtime starts");
        let listener = server_rt
            .block_on(anyrt::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind on loopback");
        let addr = listener.local_addr().expect("a local address");
        let server = server_rt.spawn(echo::serve(listener, 1));
        let client_rt = Runtime::new(client_side).expect("the runtime starts");
        let answers = client_rt
            .block_on(echo::ask(addr, &["ping", "over", "loopback"]))
            .expect("the server answers");
        server_rt
            .block_on(server)
            .expect("the server task")
            .expect("the server");
        assert_eq!(answers, ["PING", "OVER", "LOOPBACK"]);
        println!(
            "  server on {:<9} client on {:<9} answers {answers:?}",
            server_side.to_string(),
            client_side.to_string()
        );
    }
    #[cfg(feature = "sim")]
    simulated_network();
}

/// The same server and client on the simulation's in-memory network: two hosts, seeded
/// latency, virtual time; then the server's host cut off, and the client's timeout.
#[cfg(feature = "sim")]
fn simulated_network() {
    let rt = Runtime::builder(Backend::Sim)
        .seed(1)
        .build()
        .expect("the simulation starts");
    let real = std::time::Instant::now();
    let (answers, took, cut_off) = rt.block_on(async {
        let server: std::net::IpAddr = "10.0.0.1".parse().expect("an address");
        let client: std::net::IpAddr = "10.0.0.2".parse().expect("an address");
        let listener = anyrt::net::TcpListener::bind((server, 7))
            .await
            .expect("bind on the simulated network");
        let served = anyrt::spawn(echo::serve(listener, 2));
        let start = anyrt::time::Instant::now();
        let ask = |lines: &'static [&'static str]| {
            anyrt::sim::net::host(client, echo::ask((server, 7), lines))
        };
        let answers = ask(&["ping", "over", "memory"])
            .await
            .expect("the server answers");
        let took = start.elapsed();
        anyrt::sim::net::isolate(server);
        let cut_off = ask(&["anyone?"]).await.expect_err("the server is cut off");
        anyrt::sim::net::rejoin(server);
        ask(&["back"]).await.expect("the server answers again");
        served.await.expect("the server task").expect("the server");
        (answers, took, cut_off)
    });
    assert_eq!(answers, ["PING", "OVER", "MEMORY"]);
    assert_eq!(cut_off.kind(), std::io::ErrorKind::TimedOut);
    println!(
        "  server on sim (host 10.0.0.1), client on sim (host 10.0.0.2) answers {answers:?}\n    \
         in {took:.1?} of virtual time ({:.1?} real); with the server's host isolated, the \
         client's\n    connect gives {:?} after its 5 s timeout, at once; rejoined, it answers \
         again",
        real.elapsed(),
        cut_off.kind(),
    );
}

/// The simulation step: a lost-update bug that real runtimes almost never show, found by
/// exploring seeds, shrunk, and replayed.
#[cfg(feature = "sim")]
fn simulation() {
    use anyrt::sim::{Explore, Scheduler};

    const RUNS: u32 = 200;
    println!(
        "\nSimulation: examples/src/counter.rs counts hits with a read-modify-write across \
         awaits, a lost\nupdate when a second request records its hit between the first \
         one's read and write. Two\nrequests, {RUNS} runs on each real backend:"
    );
    for &backend in Backend::enabled().iter().filter(|&&b| b != Backend::Sim) {
        let rt = Runtime::new(backend).expect("the runtime starts");
        let lost = (0..RUNS)
            .filter(|_| rt.block_on(counter::two_requests()) != 2)
            .count();
        println!("  {backend:<9} lost a hit in {lost} of {RUNS} runs");
    }
    let scenario = || async { assert_eq!(counter::two_requests().await, 2, "a hit was lost") };
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let random = Explore::seeds(1000).run(scenario);
    let pct = Explore::seeds(1000)
        .scheduler(Scheduler::Pct { depth: 2 })
        .run(scenario);
    let replayed = pct
        .as_ref()
        .err()
        .map(|f| Explore::replay(&f.replay().to_string()).expect("a token"))
        .map(|replay| replay.run(scenario).is_err());
    std::panic::set_hook(quiet);
    println!(
        "  sim, random schedules: {}",
        match &random {
            Ok(n) => format!(
                "{n} seeds passed (the bug needs the second request to run 50 \
                              times in a row)"
            ),
            Err(f) => format!("found at seed {}", f.seed()),
        }
    );
    match pct {
        Ok(n) => println!("  sim, PCT (depth 2): {n} seeds passed"),
        Err(f) => {
            println!(
                "  sim, PCT (depth 2): found at seed {} ({}); shrunk from {} to {} decisions \
                 off the wake order",
                f.seed(),
                f.message().lines().next().unwrap_or_default(),
                f.found().deviations(),
                f.replay().deviations()
            );
            println!(
                "  replay token {} {}",
                f.replay(),
                if replayed == Some(true) {
                    "fails again, exactly (ANYRT_SIM_REPLAY=<token> in a test)"
                } else {
                    "did NOT fail again"
                }
            );
        }
    }
}

/// The crash step: a write-ahead log's group commit acknowledges records before they are
/// durable; crashes at seeded moments find it, and the fixed log survives every seed.
#[cfg(feature = "sim")]
fn crashes() {
    use anyrt::sim::Explore;
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    println!(
        "\nCrashes: examples/src/wal.rs appends 40 records to a log, syncing every 4 and \
         acknowledging\neach. On each real backend it writes to a real file; under sim, the \
         disk is in memory and\n`anyrt::sim::fs::crash()` cuts the power 0.9 ms (virtual) in:"
    );
    let commit_buggy = wal::Commit {
        group: 4,
        ack_before_sync: true,
    };
    for &backend in Backend::enabled().iter().filter(|&&b| b != Backend::Sim) {
        let rt = Runtime::new(backend).expect("the runtime starts");
        let path = std::env::temp_dir().join(format!("anyrt-tour-wal-{}", std::process::id()));
        let kept = rt.block_on(async {
            let log = wal::open(&path).await.expect("the log opens");
            let acked = Arc::new(Mutex::new(Vec::new()));
            wal::append(log, 40, commit_buggy, acked).await;
            wal::recover(&path).await.expect("the log reads back")
        });
        let _ = std::fs::remove_file(&path);
        println!("  {backend:<9} wrote and read back {} records", kept.len());
    }
    let scenario = |commit: wal::Commit| {
        move || async move {
            let path = Path::new("/data/wal");
            anyrt::fs::create_dir_all("/data").await.unwrap();
            anyrt::fs::File::open("/")
                .await
                .unwrap()
                .sync_all()
                .await
                .unwrap();
            let log = wal::open(path).await.unwrap();
            let acked = Arc::new(Mutex::new(Vec::new()));
            let writer = anyrt::spawn(wal::append(log, 40, commit, acked.clone()));
            anyrt::time::sleep(Duration::from_micros(900)).await;
            anyrt::sim::fs::crash();
            writer.await.unwrap();
            let kept = wal::recover(path).await.unwrap();
            let lost: Vec<u32> = acked
                .lock()
                .unwrap()
                .iter()
                .copied()
                .filter(|r| !kept.contains(r))
                .collect();
            assert!(
                lost.is_empty(),
                "acknowledged records {lost:?} were lost in the crash"
            );
        }
    };
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let real = std::time::Instant::now();
    let buggy = Explore::seeds(1000).run(scenario(commit_buggy));
    let fixed = Explore::seeds(1000).run(scenario(wal::Commit {
        group: 4,
        ack_before_sync: false,
    }));
    let took = real.elapsed();
    std::panic::set_hook(quiet);
    match buggy {
        Ok(n) => println!("  sim, acknowledged before synced: {n} seeds passed (not found)"),
        Err(f) => println!(
            "  sim, acknowledged before synced: found at seed {}: {}\n  replay token {}",
            f.seed(),
            f.message().lines().next().unwrap_or_default(),
            f.replay()
        ),
    }
    match fixed {
        Ok(n) => println!(
            "  sim, acknowledged after the sync: {n} seeds passed ({took:.1?} for both searches)"
        ),
        Err(f) => println!(
            "  sim, acknowledged after the sync: FAILED at seed {}: {}",
            f.seed(),
            f.message()
        ),
    }
}

#[cfg(not(feature = "sim"))]
fn crashes() {}

#[cfg(not(feature = "sim"))]
fn simulation() {
    println!("\n(Build with the `sim` feature for the simulation step.)");
}

fn main() {
    println!(
        "anyrt tour: one library, every backend ({})\n",
        Backend::enabled()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "The library is examples/src/pipeline.rs: a fetch pipeline that names no runtime. It \
         runs 24\njobs on {} workers with a {:?} timeout per attempt and up to {} attempts: most \
         jobs answer at once,\nsome fail twice before answering, some are slow the first time, \
         one always fails, and three\nhang until the run is cancelled. The same code now runs \
         on each backend's own runtime.\n",
        CONFIG.workers, CONFIG.per_attempt, CONFIG.max_attempts
    );
    let mut runs = Vec::new();
    for &backend in Backend::enabled() {
        println!("{backend}:");
        let rt = Runtime::new(backend).expect("the runtime starts");
        let real = std::time::Instant::now();
        // Timed inside: on the backend's clock (virtual under sim).
        let (outcomes, took) = rt.block_on(async {
            let start = Instant::now();
            let outcomes = drive().await;
            (outcomes, start.elapsed())
        });
        let clock = if backend == Backend::Sim {
            format!(" of virtual time ({:.1?} real)", real.elapsed())
        } else {
            String::new()
        };
        let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
        println!(
            "\r  {} done ({} after retries), {} failed, {} cancelled, in {:.0?}{clock}",
            count(|o| matches!(o, Outcome::Done { .. })),
            count(|o| matches!(o, Outcome::Done { attempts, .. } if *attempts > 1)),
            count(|o| matches!(o, Outcome::Failed { .. })),
            count(|o| matches!(o, Outcome::Cancelled { .. })),
            took
        );
        runs.push((backend, outcomes));
    }
    let (first, rest) = runs.split_first().expect("at least one backend");
    for (backend, outcomes) in rest {
        assert_eq!(outcomes, &first.1, "{backend} differs from {}", first.0);
    }
    println!(
        "\nWhat happened to each job (the same on all {} backends, checked):",
        runs.len()
    );
    for o in &first.1 {
        println!("  {}", describe(o));
    }
    network();
    simulation();
    crashes();
    println!(
        "\nThe times above are mostly the timeouts and the backoff the jobs wait for, not a \
         benchmark:\nfor speed, run `cargo run --release -p anyrt-benches --bin compare`. Next: \
         examples/library.rs\n(writing such a library) and examples/testing.rs (testing it on \
         every backend)."
    );
}
