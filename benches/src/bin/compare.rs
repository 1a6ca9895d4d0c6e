//! The report: every workload on every backend, natively and through anyrt, as ratios.
//!
//! ```text
//! cargo run --release -p anyrt-benches --bin compare             # the full report (~2 min)
//! cargo run --release -p anyrt-benches --bin compare -- --smoke  # tiny counts, 1 round (CI)
//! ```
//!
//! Method: for each (backend, workload) the native and the anyrt round alternate (the order
//! flips every round), each on a runtime built for that round with the same worker count;
//! the ratio is the median of the per-round ratios anyrt / native. Process-wide runtimes
//! (async-std's global one, and the free `block_on` of every backend) cannot be rebuilt:
//! each of their rounds is a process of its own (this binary, re-run with `--child`).
//! Allocations are counted in one more round per side, untimed, by a counting global
//! allocator (all threads, measured region only).
//!
//! Options: `--smoke`; `--rounds N`; `--backend tokio,smol,async-std`; `--workload
//! spawn_join,yield,block_on,block_on_free,block_on_yield,sleep,timeout,timeout_coop,
//! spawn_blocking`; `--n N` (operations per round); `--side native|anyrt` (run one side
//! only, in this process, for a profiler: `valgrind --tool=callgrind
//! target/release/compare --backend smol --workload timeout --side anyrt --rounds 1`);
//! `--no-allocs` (skip the counting pass). `benches/callgrind.sh BACKEND WORKLOAD` counts
//! the instructions per operation of both sides: the same comparison without the noise of
//! a shared machine.

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::process::{self, Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use anyrt_benches::alloc::CountingAlloc;
use anyrt_benches::workloads::{
    prepare_process_wide, run_owned, run_process_wide, sizes, workers, Backend, Measured,
    Placement, Side, Workload,
};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Time a (backend, workload) pair may take for its measured rounds.
const PAIR_BUDGET: Duration = Duration::from_secs(8);
const MIN_ROUNDS: usize = 11;
const MAX_ROUNDS: usize = 201;
/// After this, every remaining pair gets `MIN_ROUNDS` (the full run must stay under 5 min).
const SOFT_DEADLINE: Duration = Duration::from_secs(200);
/// A run still going after this is stuck: the watchdog ends it.
const HARD_DEADLINE: Duration = Duration::from_secs(600);
const SMOKE_DEADLINE: Duration = Duration::from_secs(120);
const CHILD_DEADLINE: Duration = Duration::from_secs(120);

/// What is running now, for the watchdog's message.
static RUNNING: Mutex<String> = Mutex::new(String::new());

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1..]);
        return;
    }
    let opts = match Opts::parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("compare: {e}\n\n{USAGE}");
            process::exit(2);
        }
    };
    if opts.backends.is_empty() {
        eprintln!("compare: no backend to run (none of the selected ones is compiled in)");
        process::exit(2);
    }
    watchdog(if opts.smoke {
        SMOKE_DEADLINE
    } else {
        HARD_DEADLINE
    });
    if let Some(side) = opts.side {
        profile_side(&opts, side);
        return;
    }
    report(&opts);
}

const USAGE: &str = "usage: compare [--smoke] [--rounds N] [--n N] [--backend LIST] \
[--workload LIST] [--side native|anyrt] [--no-allocs]
  backends: tokio, smol, async-std (those compiled in)
  workloads: spawn_join, yield, block_on, block_on_free, block_on_yield, sleep, timeout,
  timeout_coop, spawn_blocking";

struct Opts {
    smoke: bool,
    rounds: Option<usize>,
    n: Option<u64>,
    backends: Vec<Backend>,
    workloads: Vec<Workload>,
    side: Option<Side>,
    allocs: bool,
}

impl Opts {
    fn parse(args: &[String]) -> Result<Opts, String> {
        let mut opts = Opts {
            smoke: false,
            rounds: None,
            n: None,
            // The simulation has no native runtime to compare with (bin `sim` measures it).
            backends: Backend::enabled()
                .iter()
                .copied()
                .filter(|&b| b != Backend::Sim)
                .collect(),
            workloads: Workload::ALL.to_vec(),
            side: None,
            allocs: true,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{arg} needs a value"))
            };
            match arg.as_str() {
                "--smoke" => opts.smoke = true,
                "--no-allocs" => opts.allocs = false,
                "--rounds" => {
                    let r: usize = value()?.parse().map_err(|e| format!("--rounds: {e}"))?;
                    opts.rounds = Some(r.max(1));
                }
                "--n" => opts.n = Some(value()?.parse().map_err(|e| format!("--n: {e}"))?),
                "--backend" => {
                    opts.backends = value()?
                        .split(',')
                        .map(|s| s.parse::<Backend>().map_err(|e| e.to_string()))
                        .collect::<Result<Vec<_>, _>>()?;
                    opts.backends
                        .retain(|&b| b.is_enabled() && b != Backend::Sim);
                }
                "--workload" => {
                    opts.workloads = value()?
                        .split(',')
                        .map(|s| Workload::parse(s).ok_or_else(|| format!("unknown workload {s}")))
                        .collect::<Result<Vec<_>, _>>()?;
                }
                "--side" => {
                    let v = value()?;
                    opts.side = Some(Side::parse(&v).ok_or_else(|| format!("unknown side {v}"))?);
                }
                "-h" | "--help" => {
                    println!("{USAGE}");
                    process::exit(0);
                }
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(opts)
    }

    fn count(&self, w: Workload) -> u64 {
        self.n.unwrap_or(if self.smoke {
            w.smoke_count()
        } else {
            w.full_count()
        })
    }
}

/// Ends the process if it is still running after `limit` (a hung workload must not hang CI).
fn watchdog(limit: Duration) {
    thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            thread::sleep(limit);
            let running = RUNNING.lock().map(|s| s.clone()).unwrap_or_default();
            eprintln!("compare: still running after {limit:?} (in: {running}); giving up");
            process::exit(3);
        })
        .expect("cannot start the watchdog thread");
}

fn set_running(what: String) {
    if let Ok(mut r) = RUNNING.lock() {
        *r = what;
    }
}

/// `--child BACKEND WORKLOAD SIDE N [--count]`: one round on the process-wide runtime,
/// after a warm-up round; prints `RESULT <nanoseconds> <allocations or ->`.
fn child(args: &[String]) {
    let usage = "--child BACKEND WORKLOAD SIDE N [--count]";
    let (backend, w, side, n) = match args {
        [b, w, s, n, ..] => (
            b.parse::<Backend>().expect(usage),
            Workload::parse(w).expect(usage),
            Side::parse(s).expect(usage),
            n.parse::<u64>().expect(usage),
        ),
        _ => panic!("usage: {usage}"),
    };
    let count = args.get(4).map(String::as_str) == Some("--count");
    watchdog(CHILD_DEADLINE);
    // Every child warms up both sides, in the same order, whichever it measures: so the
    // native and the anyrt process start their measured round from the same state (the same
    // runtimes started, the same one-time allocations made). A one-time allocation only one
    // side makes (a thread-local's destructor list, say) moves where glibc puts the blocks
    // that every later call allocates and frees, and that alone moved async-std's `block_on`
    // by 10 % from one process to the next, natively too.
    prepare_process_wide(backend, Side::Anyrt);
    for warm in [Side::Native, Side::Anyrt] {
        run_process_wide(backend, w, warm, n, false);
    }
    let m = run_process_wide(backend, w, side, n, count);
    let allocs = m.allocs.map_or_else(|| "-".to_owned(), |a| a.to_string());
    println!("RESULT {} {allocs}", m.elapsed.as_nanos());
}

fn run_child(backend: Backend, w: Workload, side: Side, n: u64, count: bool) -> Measured {
    let exe = std::env::current_exe().expect("cannot find this executable");
    let mut cmd = Command::new(exe);
    cmd.arg("--child")
        .arg(backend.name())
        .arg(w.name())
        .arg(side.name())
        .arg(n.to_string())
        .stdin(Stdio::null());
    if count {
        cmd.arg("--count");
    }
    let out = cmd.output().expect("cannot start a child process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        panic!(
            "the child process for {} {} {} failed ({}):\n{stderr}",
            backend,
            w.name(),
            side.name(),
            out.status
        );
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("no RESULT from the child process:\n{stdout}\n{stderr}"));
    let mut parts = line.split_whitespace();
    let nanos: u64 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .expect("RESULT ns");
    let allocs = parts.next().and_then(|s| s.parse().ok());
    Measured {
        elapsed: Duration::from_nanos(nanos),
        allocs,
    }
}

/// One round of one side, wherever the pair runs.
fn round(backend: Backend, w: Workload, side: Side, n: u64, count: bool) -> Measured {
    match w.placement(backend) {
        Placement::Owned => run_owned(backend, w, side, n, count),
        Placement::ProcessWide => run_child(backend, w, side, n, count),
    }
}

struct Row {
    backend: Backend,
    workload: Workload,
    n: u64,
    rounds: usize,
    /// Median time per operation, in nanoseconds.
    native: f64,
    anyrt: f64,
    /// Median, 25th and 75th percentile of the per-round ratios anyrt / native.
    ratio: f64,
    ratio_p25: f64,
    ratio_p75: f64,
    /// Allocations per operation (counting pass).
    native_allocs: Option<f64>,
    anyrt_allocs: Option<f64>,
}

fn measure_pair(backend: Backend, w: Workload, opts: &Opts, started: Instant) -> Row {
    let n = opts.count(w);
    let rounds = match opts.rounds {
        Some(r) => r,
        None if opts.smoke => 1,
        None => {
            // The warm-up pair also sizes the number of rounds to the budget.
            let t = Instant::now();
            round(backend, w, Side::Native, n, false);
            round(backend, w, Side::Anyrt, n, false);
            let pair = t.elapsed().as_secs_f64().max(1e-6);
            let fit = (PAIR_BUDGET.as_secs_f64() / pair) as usize;
            let r = if started.elapsed() > SOFT_DEADLINE {
                MIN_ROUNDS
            } else {
                fit.clamp(MIN_ROUNDS, MAX_ROUNDS)
            };
            r | 1 // odd: the median is a round's value
        }
    };
    let mut native = Vec::with_capacity(rounds);
    let mut anyrt = Vec::with_capacity(rounds);
    let mut ratios = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let (a, b) = if r % 2 == 0 {
            let nat = round(backend, w, Side::Native, n, false);
            (nat, round(backend, w, Side::Anyrt, n, false))
        } else {
            let any = round(backend, w, Side::Anyrt, n, false);
            (round(backend, w, Side::Native, n, false), any)
        };
        let per_op = |m: Measured| m.elapsed.as_secs_f64() * 1e9 / n as f64;
        native.push(per_op(a));
        anyrt.push(per_op(b));
        ratios.push(per_op(b) / per_op(a));
    }
    let (native_allocs, anyrt_allocs) = if opts.allocs {
        let per_op = |m: Measured| m.allocs.map(|a| a as f64 / n as f64);
        (
            per_op(round(backend, w, Side::Native, n, true)),
            per_op(round(backend, w, Side::Anyrt, n, true)),
        )
    } else {
        (None, None)
    };
    Row {
        backend,
        workload: w,
        n,
        rounds,
        native: quantile(&mut native, 0.5),
        anyrt: quantile(&mut anyrt, 0.5),
        ratio: quantile(&mut ratios, 0.5),
        ratio_p25: quantile(&mut ratios, 0.25),
        ratio_p75: quantile(&mut ratios, 0.75),
        native_allocs,
        anyrt_allocs,
    }
}

/// The `q` quantile (nearest rank) of `v`.
fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i]
}

fn report(opts: &Opts) {
    let started = Instant::now();
    let pairs: Vec<(Backend, Workload)> = opts
        .backends
        .iter()
        .flat_map(|&b| {
            opts.workloads
                .iter()
                .filter(move |w| w.applies_to(b))
                .map(move |&w| (b, w))
        })
        .collect();
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for (i, &(backend, w)) in pairs.iter().enumerate() {
        let what = format!("{backend} {}", w.name());
        set_running(what.clone());
        eprint!("[{:>2}/{}] {what:<28}", i + 1, pairs.len());
        let _ = std::io::stderr().flush();
        let t = Instant::now();
        match panic::catch_unwind(AssertUnwindSafe(|| measure_pair(backend, w, opts, started))) {
            Ok(row) => {
                eprintln!(
                    " {:>3} rounds  ratio {:.3}  ({:.1} s)",
                    row.rounds,
                    row.ratio,
                    t.elapsed().as_secs_f64()
                );
                rows.push(row);
            }
            Err(_) => {
                eprintln!(" PANICKED");
                failed.push(what);
            }
        }
    }
    print_table(opts, &rows, started.elapsed());
    if !failed.is_empty() {
        eprintln!("\ncompare: these workloads panicked: {}", failed.join(", "));
        process::exit(1);
    }
}

fn fmt_time(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.1} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn fmt_count(n: u64) -> String {
    // 10000 -> "10,000"
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn fmt_allocs(a: Option<f64>) -> String {
    a.map_or_else(|| "-".to_owned(), |a| format!("{a:.2}"))
}

/// The bar (CONTRIBUTING.md, "Performance bars"): anyrt / native ≤ 1.05; with all backends compiled in, or at most 6 ns
/// more per operation; with one, or at most 2 ns more for an operation under 40 ns.
fn verdict(row: &Row) -> &'static str {
    if !row.workload.has_bar() {
        return "n/a";
    }
    let delta = row.anyrt - row.native;
    let ok = if Backend::enabled().len() > 1 {
        row.ratio <= 1.05 || delta <= 6.0
    } else {
        row.ratio <= 1.05 || (row.native < 40.0 && delta <= 2.0)
    };
    if ok {
        "ok"
    } else {
        "MISS"
    }
}

fn print_table(opts: &Opts, rows: &[Row], took: Duration) {
    let enabled: Vec<&str> = Backend::enabled().iter().map(|b| b.name()).collect();
    println!();
    println!(
        "anyrt vs native: {} CPUs, {} worker threads per runtime, backends compiled in: {}{}",
        thread::available_parallelism().map_or(1, |n| n.get()),
        workers(),
        enabled.join(", "),
        if opts.smoke {
            " (SMOKE: tiny counts, timings meaningless)"
        } else {
            ""
        }
    );
    let header = [
        "workload",
        "backend",
        "ops",
        "rounds",
        "native/op",
        "anyrt/op",
        "Δ/op",
        "ratio",
        "p25–p75",
        "allocs/op nat",
        "allocs/op anyrt",
        "bar",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let delta = r.anyrt - r.native;
            vec![
                r.workload.label().to_owned(),
                r.backend.name().to_owned(),
                fmt_count(r.n),
                r.rounds.to_string(),
                fmt_time(r.native),
                fmt_time(r.anyrt),
                format!(
                    "{}{}",
                    if delta < 0.0 { "-" } else { "+" },
                    fmt_time(delta.abs())
                ),
                format!("{:.3}", r.ratio),
                format!("{:.2}–{:.2}", r.ratio_p25, r.ratio_p75),
                fmt_allocs(r.native_allocs),
                fmt_allocs(r.anyrt_allocs),
                verdict(r).to_owned(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cols: &[String]| {
        let mut s = String::from("|");
        for (i, c) in cols.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            // Text left-aligned, numbers right-aligned.
            if i < 2 {
                s += &format!(" {c}{} |", " ".repeat(pad));
            } else {
                s += &format!(" {}{c} |", " ".repeat(pad));
            }
        }
        s
    };
    println!();
    println!(
        "{}",
        line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>())
    );
    let sep: Vec<String> = widths
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i < 2 {
                "-".repeat(*w)
            } else {
                format!("{}:", "-".repeat(w.saturating_sub(1)))
            }
        })
        .collect();
    println!("{}", line(&sep));
    for c in &cells {
        println!("{}", line(c));
    }
    println!();
    println!(
        "ratio: median of per-round anyrt/native (p25–p75 shows the noise); native/op, \
         anyrt/op: medians; rounds alternate native and anyrt on fresh runtimes, one process \
         per round for process-wide runtimes (async-std, free block_on). sleep includes its \
         10 ms wait. allocs/op: a separate untimed round, all threads. bar: CONTRIBUTING.md's performance bars \
         (≤ 1.05, or ≤ 6 ns/op more with several backends compiled in)."
    );
    let spawn_rows: Vec<&Row> = rows
        .iter()
        .filter(|r| r.workload == Workload::SpawnJoin)
        .collect();
    if !spawn_rows.is_empty() && opts.allocs {
        println!();
        println!("spawn allocations (anyrt must make no more than native):");
        for r in spawn_rows {
            let (Some(nat), Some(any)) = (r.native_allocs, r.anyrt_allocs) else {
                continue;
            };
            // 0.01/op of slack: amortized growth of the executors' queues and slabs varies
            // from run to run; an extra allocation per spawn would be +1.00.
            let ok = any <= nat + 0.01;
            println!(
                "  {:<10} native {nat:.3}/spawn, anyrt {any:.3}/spawn: {}",
                r.backend.name(),
                if ok { "ok" } else { "MORE" }
            );
        }
    }
    println!();
    println!("sizes in bytes (what a user holds):");
    for (what, per) in sizes() {
        let cols: Vec<String> = per.iter().map(|(who, n)| format!("{who} {n}")).collect();
        println!("  {what:<22} {}", cols.join(", "));
    }
    println!();
    println!("took {:.1} s", took.as_secs_f64());
}

/// `--side`: one side of each selected pair, in this process, for a profiler.
fn profile_side(opts: &Opts, side: Side) {
    let rounds = opts.rounds.unwrap_or(5);
    let mut prepared = None;
    for &backend in &opts.backends {
        for &w in opts.workloads.iter().filter(|w| w.applies_to(backend)) {
            let n = opts.count(w);
            let run_n = |n, count| match w.placement(backend) {
                Placement::Owned => run_owned(backend, w, side, n, count),
                Placement::ProcessWide => run_process_wide(backend, w, side, n, count),
            };
            let run = |count| run_n(n, count);
            if w.placement(backend) == Placement::ProcessWide {
                match prepared {
                    None => {
                        prepare_process_wide(backend, side);
                        prepared = Some(backend);
                    }
                    Some(b) if b == backend => {}
                    Some(b) => {
                        eprintln!(
                            "compare: --side runs process-wide workloads of one backend per \
                             process ({b} already); skipping {backend} {}",
                            w.name()
                        );
                        continue;
                    }
                }
                // Warm-up: starts the process-wide runtime. A fixed count, so that runs
                // with different `--n` differ by exactly their extra operations
                // (`benches/callgrind.sh` relies on it).
                run_n(n.min(1_000), false);
            }
            for r in 0..rounds {
                let m = run(false);
                println!(
                    "{backend} {} {} round {r}: {}/op",
                    w.name(),
                    side.name(),
                    fmt_time(m.elapsed.as_secs_f64() * 1e9 / n as f64)
                );
            }
            if opts.allocs {
                let m = run(true);
                println!(
                    "{backend} {} {} allocs/op: {}",
                    w.name(),
                    side.name(),
                    fmt_allocs(m.allocs.map(|a| a as f64 / n as f64))
                );
            }
        }
    }
}
