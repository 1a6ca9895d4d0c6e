//! Files: `anyrt::fs` against each backend's native way of doing the same call, side by
//! side in one run: `tokio::fs` on tokio; `blocking::unblock` of `std::fs` on smol (what
//! smol's `async-fs` does, call for call); `async_std::fs` on async-std.
//!
//! ```text
//! cargo run --release -p anyrt-benches --bin fs              # the report (under a minute)
//! cargo run --release -p anyrt-benches --bin fs -- --smoke   # tiny counts, 1 round (CI)
//! cargo run --release -p anyrt-benches --bin fs -- read_4k   # one workload (or several)
//! cargo run --release -p anyrt-benches --bin fs -- --backend smol --rounds 31
//! target/release/fs --side anyrt --backend smol read_4k      # one side, for strace/perf
//! TMPDIR=/dev/shm target/release/fs                        # the calls without the disk (tmpfs)
//! ```
//!
//! Workloads, each repeated `ops` times inside one task of the runtime under test:
//! `read_4k` (`fs::read` of a 4 KiB file), `write_4k` (`fs::write` of 4 KiB, a new file per
//! call), `copy_1m` (`fs::copy` of a 1 MiB file to a new file), `read_dir_1k` (`read_dir` of
//! a directory of 1,000 entries, every entry taken: `next_entry` with tokio and anyrt, the
//! `Stream` with async-std, one `unblock` per entry as async-fs does with smol), and
//! `file_write_4k` (`File::create`, `write_all` of 4 KiB, `flush`, a new file per call).
//! The writing workloads make a new file per call, removed after the round (untimed): a
//! file truncated and rewritten in place would be flushed to the disk at its close (ext4's
//! `auto_da_alloc`), and the run would time the disk, not the calls. Making a file still
//! costs the file system's metadata work (hundreds of µs on a slow disk): with
//! `TMPDIR=/dev/shm` the run measures the calls on tmpfs.
//!
//! Method (as `net` and `compare`): for each (backend, workload) the native and the anyrt
//! round alternate, the order flipping every round; tokio and smol rounds run on a runtime
//! built for the round (one worker per CPU, `workloads::workers`, as in `compare`),
//! async-std's on its global runtime, both sides (anyrt's `spawn` outside a runtime goes
//! there: this binary makes async-std anyrt's default backend). The ratio is the median of
//! the per-round ratios anyrt / native; a warm-up pair sizes the number of rounds to a time
//! budget per pair.
//! Everything happens under a directory of `std::env::temp_dir()` named with the pid,
//! removed at the end.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyrt::Backend;
use anyrt_benches::workloads::workers;

const SMALL: usize = 4 * 1024;
const BIG: usize = 1024 * 1024;
const ENTRIES: usize = 1_000;

/// Time a (backend, workload) pair may take for its measured rounds.
const PAIR_BUDGET: Duration = Duration::from_millis(2_500);
const MIN_ROUNDS: usize = 7;
const MAX_ROUNDS: usize = 41;
/// After this, every remaining pair gets `MIN_ROUNDS` (the run must stay near a minute).
const SOFT_DEADLINE: Duration = Duration::from_secs(45);
/// A run still going after this is stuck: the watchdog removes the directory and ends it.
const HARD_DEADLINE: Duration = Duration::from_secs(300);
/// How long a round waits for a runtime's threads to stop.
const SHUTDOWN: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Native,
    Anyrt,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Work {
    Read4k,
    Write4k,
    Copy1m,
    ReadDir1k,
    FileWrite4k,
    SpawnTrue,
}

impl Work {
    const ALL: [Work; 6] = [
        Work::Read4k,
        Work::Write4k,
        Work::Copy1m,
        Work::ReadDir1k,
        Work::FileWrite4k,
        Work::SpawnTrue,
    ];

    fn name(self) -> &'static str {
        match self {
            Work::Read4k => "read_4k",
            Work::Write4k => "write_4k",
            Work::Copy1m => "copy_1m",
            Work::ReadDir1k => "read_dir_1k",
            Work::FileWrite4k => "file_write_4k",
            Work::SpawnTrue => "spawn_true",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Work::Read4k => "read 4 KiB",
            Work::Write4k => "write 4 KiB",
            Work::Copy1m => "copy 1 MiB",
            Work::ReadDir1k => "read_dir 1,000 entries",
            Work::FileWrite4k => "File 4 KiB write_all+flush",
            Work::SpawnTrue => "process: spawn+wait of `true`",
        }
    }

    /// Calls per round: a round of a few tens of milliseconds.
    fn count(self, smoke: bool) -> usize {
        match (self, smoke) {
            (_, true) => 3,
            (Work::Read4k, false) => 1_000,
            (Work::Write4k | Work::FileWrite4k, false) => 200,
            (Work::Copy1m, false) => 40,
            (Work::ReadDir1k, false) => 5,
            (Work::SpawnTrue, false) => 30,
        }
    }

    /// Whether a round makes a file per call (in `Files::targets`), removed after it.
    fn makes_files(self) -> bool {
        matches!(self, Work::Write4k | Work::Copy1m | Work::FileWrite4k)
    }
}

/// The benchmark's directory and what is in it.
struct Files {
    root: PathBuf,
    /// A 4 KiB file.
    small: PathBuf,
    /// A 1 MiB file.
    big: PathBuf,
    /// A directory of `ENTRIES` empty files.
    listing: PathBuf,
    /// The files a writing round makes, one per call (none exists between rounds).
    targets: Vec<PathBuf>,
    /// The 4 KiB written.
    data: Vec<u8>,
}

impl Files {
    fn make(root: PathBuf, max_ops: usize) -> std::io::Result<Files> {
        std::fs::create_dir_all(&root)?;
        let pattern = |len: usize| (0..len).map(|i| (i % 251) as u8).collect::<Vec<u8>>();
        let small = root.join("small-4k");
        std::fs::write(&small, pattern(SMALL))?;
        let big = root.join("big-1m");
        std::fs::write(&big, pattern(BIG))?;
        let listing = root.join("listing");
        std::fs::create_dir(&listing)?;
        for i in 0..ENTRIES {
            std::fs::File::create(listing.join(format!("entry-{i:04}")))?;
        }
        let out = root.join("out");
        std::fs::create_dir(&out)?;
        let targets = (0..max_ops)
            .map(|i| out.join(format!("file-{i:04}")))
            .collect();
        Ok(Files {
            root,
            small,
            big,
            listing,
            targets,
            data: pattern(SMALL),
        })
    }

    /// Removes the files a round of `w` made (untimed).
    fn clean(&self, w: Work, n: usize) {
        if w.makes_files() {
            for p in &self.targets[..n] {
                std::fs::remove_file(p).expect("a file the round made");
            }
        }
    }
}

/// Removes the benchmark's directory when the run ends (or panics).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Through anyrt: the same code on every backend.
async fn anyrt_body(f: Arc<Files>, w: Work, n: usize) -> Duration {
    use anyrt::io::AsyncWriteExt;
    let start = Instant::now();
    match w {
        Work::Read4k => {
            for _ in 0..n {
                let bytes = anyrt::fs::read(&f.small).await.unwrap();
                assert_eq!(bytes.len(), SMALL);
            }
        }
        Work::Write4k => {
            for p in &f.targets[..n] {
                anyrt::fs::write(p, &f.data).await.unwrap();
            }
        }
        Work::Copy1m => {
            for p in &f.targets[..n] {
                assert_eq!(anyrt::fs::copy(&f.big, p).await.unwrap(), BIG as u64);
            }
        }
        Work::ReadDir1k => {
            for _ in 0..n {
                let mut dir = anyrt::fs::read_dir(&f.listing).await.unwrap();
                let mut seen = 0;
                while let Some(entry) = dir.next_entry().await.unwrap() {
                    black_box(&entry);
                    seen += 1;
                }
                assert_eq!(seen, ENTRIES);
            }
        }
        Work::FileWrite4k => {
            for p in &f.targets[..n] {
                let mut file = anyrt::fs::File::create(p).await.unwrap();
                file.write_all(&f.data).await.unwrap();
                file.flush().await.unwrap();
            }
        }
        Work::SpawnTrue => {
            for _ in 0..n {
                let status = anyrt::process::Command::new("true").status().await.unwrap();
                assert!(status.success());
            }
        }
    }
    start.elapsed()
}

/// Native tokio: `tokio::fs`.
async fn tokio_body(f: Arc<Files>, w: Work, n: usize) -> Duration {
    use tokio::io::AsyncWriteExt;
    let start = Instant::now();
    match w {
        Work::Read4k => {
            for _ in 0..n {
                let bytes = tokio::fs::read(&f.small).await.unwrap();
                assert_eq!(bytes.len(), SMALL);
            }
        }
        Work::Write4k => {
            for p in &f.targets[..n] {
                tokio::fs::write(p, &f.data).await.unwrap();
            }
        }
        Work::Copy1m => {
            for p in &f.targets[..n] {
                assert_eq!(tokio::fs::copy(&f.big, p).await.unwrap(), BIG as u64);
            }
        }
        Work::ReadDir1k => {
            for _ in 0..n {
                let mut dir = tokio::fs::read_dir(&f.listing).await.unwrap();
                let mut seen = 0;
                while let Some(entry) = dir.next_entry().await.unwrap() {
                    black_box(&entry);
                    seen += 1;
                }
                assert_eq!(seen, ENTRIES);
            }
        }
        Work::FileWrite4k => {
            for p in &f.targets[..n] {
                let mut file = tokio::fs::File::create(p).await.unwrap();
                file.write_all(&f.data).await.unwrap();
                file.flush().await.unwrap();
            }
        }
        Work::SpawnTrue => {
            for _ in 0..n {
                let status = tokio::process::Command::new("true").status().await.unwrap();
                assert!(status.success());
            }
        }
    }
    start.elapsed()
}

/// Native async-std: `async_std::fs`.
async fn async_std_body(f: Arc<Files>, w: Work, n: usize) -> Duration {
    use futures_lite::{AsyncWriteExt, StreamExt};
    let start = Instant::now();
    match w {
        Work::Read4k => {
            for _ in 0..n {
                let bytes = async_std::fs::read(&f.small).await.unwrap();
                assert_eq!(bytes.len(), SMALL);
            }
        }
        Work::Write4k => {
            for p in &f.targets[..n] {
                async_std::fs::write(p, &f.data).await.unwrap();
            }
        }
        Work::Copy1m => {
            for p in &f.targets[..n] {
                assert_eq!(async_std::fs::copy(&f.big, p).await.unwrap(), BIG as u64);
            }
        }
        Work::ReadDir1k => {
            for _ in 0..n {
                let mut dir = async_std::fs::read_dir(&f.listing).await.unwrap();
                let mut seen = 0;
                while let Some(entry) = dir.next().await {
                    black_box(&entry.unwrap());
                    seen += 1;
                }
                assert_eq!(seen, ENTRIES);
            }
        }
        Work::FileWrite4k => {
            for p in &f.targets[..n] {
                let mut file = async_std::fs::File::create(p).await.unwrap();
                file.write_all(&f.data).await.unwrap();
                file.flush().await.unwrap();
            }
        }
        // async-std's own `process` is unstable-only: async-process, which it re-exports.
        Work::SpawnTrue => spawn_true_async_process(n).await,
    }
    start.elapsed()
}

/// Native smol: `std::fs` through `blocking::unblock`, as smol's `async-fs` writes each call
/// (its `read_dir` takes one `unblock` per entry; its `File` is an `Unblock` of the
/// `std::fs::File`).
async fn smol_body(f: Arc<Files>, w: Work, n: usize) -> Duration {
    use blocking::unblock;
    use futures_lite::AsyncWriteExt;
    let start = Instant::now();
    match w {
        Work::Read4k => {
            for _ in 0..n {
                let path = f.small.clone();
                let bytes = unblock(move || std::fs::read(path)).await.unwrap();
                assert_eq!(bytes.len(), SMALL);
            }
        }
        Work::Write4k => {
            for p in &f.targets[..n] {
                let (path, contents) = (p.clone(), f.data.clone());
                unblock(move || std::fs::write(path, contents))
                    .await
                    .unwrap();
            }
        }
        Work::Copy1m => {
            for p in &f.targets[..n] {
                let (from, to) = (f.big.clone(), p.clone());
                let copied = unblock(move || std::fs::copy(from, to)).await.unwrap();
                assert_eq!(copied, BIG as u64);
            }
        }
        Work::ReadDir1k => {
            for _ in 0..n {
                let path = f.listing.clone();
                let mut dir = unblock(move || std::fs::read_dir(path)).await.unwrap();
                let mut seen = 0;
                loop {
                    let (back, next) = unblock(move || {
                        let next = dir.next();
                        (dir, next)
                    })
                    .await;
                    dir = back;
                    match next {
                        Some(entry) => black_box(Arc::new(entry.unwrap())),
                        None => break,
                    };
                    seen += 1;
                }
                assert_eq!(seen, ENTRIES);
            }
        }
        Work::FileWrite4k => {
            for p in &f.targets[..n] {
                let path = p.clone();
                let file = unblock(move || std::fs::File::create(path)).await.unwrap();
                let mut file = blocking::Unblock::new(file);
                file.write_all(&f.data).await.unwrap();
                file.flush().await.unwrap();
            }
        }
        Work::SpawnTrue => spawn_true_async_process(n).await,
    }
    start.elapsed()
}

/// smol's and async-std's native child processes: async-process.
async fn spawn_true_async_process(n: usize) {
    for _ in 0..n {
        let status = async_process::Command::new("true").status().await.unwrap();
        assert!(status.success());
    }
}

/// A multi-thread smol runtime, as the other benches build it: an `async_executor::Executor`
/// run by `workers` threads in `async_io::block_on`.
struct SmolRuntime {
    ex: Arc<async_executor::Executor<'static>>,
    stop: async_channel::Sender<()>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl SmolRuntime {
    fn new(workers: usize) -> SmolRuntime {
        let ex = Arc::new(async_executor::Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (0..workers)
            .map(|_| {
                let (ex, stopped) = (ex.clone(), stopped.clone());
                thread::spawn(move || {
                    async_io::block_on(ex.run(async move {
                        let _ = stopped.recv().await;
                    }))
                })
            })
            .collect();
        SmolRuntime { ex, stop, threads }
    }

    fn shutdown(self) {
        drop(self.stop);
        for t in self.threads {
            t.join().expect("a worker thread panicked");
        }
    }
}

/// One round of `w` on `side`: the seconds its `n` calls took (the runtime's start and
/// stop, and the removal of the files made, untimed).
fn round(backend: Backend, w: Work, side: Side, files: &Arc<Files>, n: usize) -> f64 {
    let f = files.clone();
    let took = match (side, backend) {
        // async-std's global runtime, as the native side's (anyrt's default backend).
        (Side::Anyrt, Backend::AsyncStd) => {
            anyrt::block_on(anyrt::spawn(anyrt_body(f, w, n))).expect("the workload task")
        }
        (Side::Anyrt, _) => {
            let rt = anyrt::Runtime::builder(backend)
                .worker_threads(workers())
                .build()
                .expect("cannot build the anyrt runtime");
            let took = rt
                .block_on(rt.spawn(anyrt_body(f, w, n)))
                .expect("the workload task");
            rt.shutdown_timeout(SHUTDOWN);
            took
        }
        (Side::Native, Backend::Tokio) => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers())
                .enable_all()
                .build()
                .expect("cannot build a tokio runtime");
            let took = rt
                .block_on(rt.spawn(tokio_body(f, w, n)))
                .expect("the workload task");
            rt.shutdown_timeout(SHUTDOWN);
            took
        }
        (Side::Native, Backend::AsyncStd) => {
            async_std::task::block_on(async_std::task::spawn(async_std_body(f, w, n)))
        }
        (Side::Native, Backend::Smol) => {
            let rt = SmolRuntime::new(workers());
            let took = async_io::block_on(rt.ex.spawn(smol_body(f, w, n)));
            rt.shutdown();
            took
        }
        (Side::Native, other) => panic!("no native file system for {other}"),
    };
    files.clean(w, n);
    took.as_secs_f64()
}

struct Opts {
    smoke: bool,
    rounds: Option<usize>,
    /// Calls per round, for every workload (`--n`).
    n: Option<usize>,
    backends: Vec<Backend>,
    works: Vec<Work>,
    side: Option<Side>,
}

const USAGE: &str = "usage: fs [--smoke] [--rounds N] [--n N] [--backend LIST] \
[--side native|anyrt] [WORKLOAD...]
  backends: tokio, smol, async-std (those compiled in)
  workloads: read_4k, write_4k, copy_1m, read_dir_1k, file_write_4k";

impl Opts {
    fn parse() -> Result<Opts, String> {
        let mut opts = Opts {
            smoke: false,
            rounds: None,
            n: None,
            // The simulation's files live in its memory, with nothing native to set beside.
            backends: Backend::enabled()
                .iter()
                .copied()
                .filter(|&b| b != Backend::Sim)
                .collect(),
            works: Vec::new(),
            side: None,
        };
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{arg} needs a value"))
            };
            match arg.as_str() {
                "--smoke" => opts.smoke = true,
                "--rounds" => {
                    let r: usize = value()?.parse().map_err(|e| format!("--rounds: {e}"))?;
                    opts.rounds = Some(r.max(1));
                }
                "--n" => {
                    let n: usize = value()?.parse().map_err(|e| format!("--n: {e}"))?;
                    opts.n = Some(n.max(1));
                }
                "--backend" => {
                    opts.backends = value()?
                        .split(',')
                        .map(|s| s.parse::<Backend>().map_err(|e| e.to_string()))
                        .collect::<Result<Vec<_>, _>>()?;
                    opts.backends
                        .retain(|&b| b.is_enabled() && b != Backend::Sim);
                }
                "--side" => {
                    opts.side = Some(match value()?.as_str() {
                        "native" => Side::Native,
                        "anyrt" => Side::Anyrt,
                        other => return Err(format!("unknown side {other}")),
                    });
                }
                "-h" | "--help" => {
                    println!("{USAGE}");
                    process::exit(0);
                }
                name => match Work::ALL.into_iter().find(|w| w.name() == name) {
                    Some(w) => opts.works.push(w),
                    None => return Err(format!("unknown argument {name}")),
                },
            }
        }
        if opts.works.is_empty() {
            opts.works = Work::ALL.to_vec();
        }
        Ok(opts)
    }

    /// Calls per round of `w`.
    fn count(&self, w: Work) -> usize {
        self.n.unwrap_or_else(|| w.count(self.smoke))
    }
}

/// The `q` quantile (nearest rank) of `v`.
fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn fmt_time(s: f64) -> String {
    if s < 1e-3 {
        format!("{:.2} µs", s * 1e6)
    } else {
        format!("{:.3} ms", s * 1e3)
    }
}

struct Row {
    work: Work,
    backend: Backend,
    n: usize,
    rounds: usize,
    /// Median seconds per call.
    native: f64,
    anyrt: f64,
    /// Median, 25th and 75th percentile of the per-round ratios anyrt / native.
    ratio: f64,
    p25: f64,
    p75: f64,
}

fn measure_pair(
    backend: Backend,
    w: Work,
    files: &Arc<Files>,
    opts: &Opts,
    started: Instant,
) -> Row {
    let n = opts.count(w);
    let rounds = match opts.rounds {
        Some(r) => r,
        None if opts.smoke => 1,
        None => {
            // The warm-up pair (the page cache, the blocking pools) also sizes the rounds.
            let t = Instant::now();
            round(backend, w, Side::Native, files, n);
            round(backend, w, Side::Anyrt, files, n);
            let fit = (PAIR_BUDGET.as_secs_f64() / t.elapsed().as_secs_f64().max(1e-6)) as usize;
            let r = if started.elapsed() > SOFT_DEADLINE {
                MIN_ROUNDS
            } else {
                fit.clamp(MIN_ROUNDS, MAX_ROUNDS)
            };
            r | 1 // odd: the median is a round's value
        }
    };
    let (mut native, mut ours, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..rounds {
        let (a, b) = if r % 2 == 0 {
            let a = round(backend, w, Side::Native, files, n);
            (a, round(backend, w, Side::Anyrt, files, n))
        } else {
            let b = round(backend, w, Side::Anyrt, files, n);
            (round(backend, w, Side::Native, files, n), b)
        };
        native.push(a / n as f64);
        ours.push(b / n as f64);
        ratios.push(b / a);
    }
    Row {
        work: w,
        backend,
        n,
        rounds,
        native: quantile(&mut native, 0.5),
        anyrt: quantile(&mut ours, 0.5),
        ratio: quantile(&mut ratios, 0.5),
        p25: quantile(&mut ratios, 0.25),
        p75: quantile(&mut ratios, 0.75),
    }
}

/// Ends the process if it is still running after `limit`, removing `dir` first.
fn watchdog(limit: Duration, dir: PathBuf) {
    thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            thread::sleep(limit);
            eprintln!("fs: still running after {limit:?}; giving up");
            let _ = std::fs::remove_dir_all(&dir);
            process::exit(3);
        })
        .expect("cannot start the watchdog thread");
}

fn main() {
    let opts = match Opts::parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("fs: {e}\n\n{USAGE}");
            process::exit(2);
        }
    };
    if opts.backends.is_empty() {
        eprintln!("fs: no backend to run (none of the selected ones is compiled in)");
        process::exit(2);
    }
    if Backend::AsyncStd.is_enabled() {
        // anyrt's async-std side runs on async-std's global runtime, as the native one.
        anyrt::set_default_backend(Backend::AsyncStd).expect("the default backend is unset");
    }
    let root = std::env::temp_dir().join(format!("anyrt-bench-fs-{}", process::id()));
    let _remove = RemoveOnDrop(root.clone());
    watchdog(HARD_DEADLINE, root.clone());
    let max_ops = Work::ALL.iter().map(|&w| opts.count(w)).max().unwrap_or(1);
    let files = Arc::new(Files::make(root, max_ops).expect("cannot make the benchmark's files"));

    if let Some(side) = opts.side {
        profile_side(&opts, side, &files);
        return;
    }

    let started = Instant::now();
    let pairs: Vec<(Backend, Work)> = opts
        .backends
        .iter()
        .flat_map(|&b| opts.works.iter().map(move |&w| (b, w)))
        .collect();
    let mut rows = Vec::new();
    for (i, &(backend, w)) in pairs.iter().enumerate() {
        let what = format!("{backend} {}", w.name());
        eprint!("[{:>2}/{}] {what:<24}", i + 1, pairs.len());
        let t = Instant::now();
        let row = measure_pair(backend, w, &files, &opts, started);
        eprintln!(
            " {:>3} rounds  ratio {:.3}  ({:.1} s)",
            row.rounds,
            row.ratio,
            t.elapsed().as_secs_f64()
        );
        rows.push(row);
    }

    println!();
    println!(
        "anyrt::fs vs native: {} CPUs, {} worker threads per runtime, files under {}{}",
        thread::available_parallelism().map_or(1, |n| n.get()),
        workers(),
        files.root.parent().unwrap_or(Path::new("/")).display(),
        if opts.smoke {
            " (SMOKE: tiny counts, timings meaningless)"
        } else {
            ""
        }
    );
    println!();
    println!("| workload | backend | ops/round | rounds | native/op | anyrt/op | anyrt/native | p25–p75 |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.3} | {:.2}–{:.2} |",
            r.work.label(),
            r.backend,
            r.n,
            r.rounds,
            fmt_time(r.native),
            fmt_time(r.anyrt),
            r.ratio,
            r.p25,
            r.p75
        );
    }
    println!();
    println!(
        "native: tokio::fs (tokio), blocking::unblock of std::fs as async-fs (smol), \
         async_std::fs (async-std). anyrt/native: median of per-round ratios; native/op, \
         anyrt/op: medians. Rounds alternate native and anyrt."
    );
    println!("took {:.1} s", started.elapsed().as_secs_f64());
}

/// `--side`: one side of each selected pair, in this process, for strace or a profiler.
fn profile_side(opts: &Opts, side: Side, files: &Arc<Files>) {
    let rounds = opts.rounds.unwrap_or(5);
    for &backend in &opts.backends {
        for &w in &opts.works {
            let n = opts.count(w);
            for r in 0..rounds {
                let s = round(backend, w, side, files, n);
                println!(
                    "{backend} {} {side:?} round {r}: {}/op",
                    w.name(),
                    fmt_time(s / n as f64)
                );
            }
        }
    }
}
