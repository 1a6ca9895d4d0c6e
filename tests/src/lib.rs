//! Helpers shared by the conformance suite.
//!
//! Every wait in the suite goes through one of these helpers and is bounded by [`WAIT`], so a
//! deadlock fails a test instead of hanging CI:
//!
//! * async code awaits through [`within`] (an `anyrt::time::timeout`);
//! * sync code waits with [`wait_until`], [`DropFlag::wait`] or [`on_plain_thread`] (a std
//!   channel with `recv_timeout`);
//! * [`run_self`] re-runs the test binary as a child process (for process-global state such
//!   as `ANYRT_BACKEND`) and kills it if it overruns.
//!
//! [`per_backend!`] turns a sync test that takes a [`Backend`] into one `#[test]` per enabled
//! backend, named like `#[anyrt::test]`'s (`<name>::tokio`, `<name>::smol`,
//! `<name>::async_std`), for tests that must build, drop or outlive a `Runtime` themselves.

use std::any::Any;
use std::future::Future;
use std::io::Read;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use anyrt::Backend;

/// The bound on every wait in the suite: far above what any correct run needs, far below a
/// CI timeout.
pub const WAIT: Duration = Duration::from_secs(10);

/// Set in the environment of a child process started by [`run_self`].
pub const CHILD_ENV: &str = "ANYRT_TESTS_CHILD";

/// The Cargo features this build of the suite was compiled with (its build script reads
/// them), as spelled in its Cargo.toml.
pub fn suite_features() -> Vec<&'static str> {
    env!("ANYRT_TESTS_FEATURES")
        .split(',')
        .filter(|f| !f.is_empty())
        .collect()
}

/// The backends this build of the suite enables, in selection order: [`Backend::ALL`]
/// filtered by the suite's features (each backend's feature is named after it).
pub fn compiled_backends() -> Vec<Backend> {
    let features = suite_features();
    Backend::ALL
        .iter()
        .copied()
        .filter(|b| features.contains(&b.name()))
        .collect()
}

/// The backends this build of the suite leaves out.
pub fn missing_backends() -> Vec<Backend> {
    let compiled = compiled_backends();
    Backend::ALL
        .iter()
        .copied()
        .filter(|b| !compiled.contains(b))
        .collect()
}

/// The names of every backend, as errors list them.
pub fn all_backend_names() -> impl Iterator<Item = &'static str> {
    Backend::ALL.iter().map(|b| b.name())
}

/// What `Backend::selected()` must say on a plain thread of a process where nobody called
/// `set_default_backend`: `ANYRT_BACKEND` if set, else the first enabled backend in the order
/// tokio, smol, async-std (rules 3–5 of the selection rule in the crate docs).
pub fn expected_default_backend() -> Backend {
    if let Ok(v) = std::env::var("ANYRT_BACKEND") {
        if let Ok(b) = v.parse() {
            return b;
        }
    }
    *compiled_backends()
        .first()
        .expect("no backend feature enabled")
}

/// Awaits `fut`, failing the test (with `what` in the message) if it takes longer than
/// [`WAIT`].
///
/// Under the simulation the bound is real time, checked at every poll: virtual time does not
/// wait for the plain threads some tests talk to (a virtual timeout would fire as soon as
/// the simulation is idle), and a wait with nothing pending at all is reported by the
/// simulation itself as a deadlock.
pub async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    if Backend::current() == Some(Backend::Sim) {
        let deadline = Instant::now() + WAIT;
        let mut fut = std::pin::pin!(fut);
        return std::future::poll_fn(|cx| {
            assert!(
                Instant::now() < deadline,
                "timed out after {WAIT:?} (real time) waiting for {what}"
            );
            fut.as_mut().poll(cx)
        })
        .await;
    }
    match anyrt::time::timeout(WAIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
    }
}

/// Polls `cond` (every millisecond, with `anyrt::time::sleep`) until it holds; fails the test
/// after [`WAIT`].
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    // Bounded in real time under the simulation too, where the sleeps below take none.
    let deadline = Instant::now() + WAIT;
    within(what, async {
        while !cond() {
            assert!(
                Instant::now() < deadline,
                "timed out after {WAIT:?} waiting for {what}"
            );
            anyrt::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
}

/// Blocks the calling thread until `cond` holds; fails the test after [`WAIT`].
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `f` on a fresh, plain std thread (no runtime of any kind there) and gives its result.
/// A panic in `f` is resumed here; `f` running longer than [`WAIT`] fails the test.
pub fn on_plain_thread<R, F>(what: &str, f: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name("plain-std-thread".into())
        .spawn(move || {
            let _ = tx.send(panic::catch_unwind(AssertUnwindSafe(f)));
        })
        .expect("spawn a std thread");
    match rx.recv_timeout(WAIT) {
        Ok(Ok(v)) => v,
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) => panic!("timed out after {WAIT:?} waiting for {what} on a plain thread"),
    }
}

/// Drives `fut` to completion with `futures::executor::block_on` on a fresh plain thread
/// (no runtime there: the future must bring its own), bounded by [`WAIT`].
pub fn wait_plain<F>(what: &str, fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    on_plain_thread(what, move || futures::executor::block_on(fut))
}

/// Polls `fut` once with a waker that does nothing.
pub fn poll_once<F: Future + ?Sized>(fut: Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

/// The message of a panic payload (`&str` or `String`), or a placeholder.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// Runs `f`, giving `Err(message)` if it panics.
pub fn catch_panic<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_message(&*p))
}

/// Records whether the [`DropGuard`]s made from it were dropped: put a guard into a task to
/// see that the task (its future) was dropped.
#[derive(Debug, Clone, Default)]
pub struct DropFlag(Arc<AtomicBool>);

/// Sets its [`DropFlag`] when dropped.
#[derive(Debug)]
pub struct DropGuard(Arc<AtomicBool>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl DropFlag {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A guard that sets this flag when dropped.
    pub fn guard(&self) -> DropGuard {
        DropGuard(self.0.clone())
    }

    /// Whether a guard was dropped.
    pub fn is_dropped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Blocks until a guard was dropped; fails the test after [`WAIT`].
    pub fn wait(&self, what: &str) {
        wait_until(what, || self.is_dropped());
    }

    /// Waits (async) until a guard was dropped; fails the test after [`WAIT`].
    pub async fn wait_async(&self, what: &str) {
        eventually(what, || self.is_dropped()).await
    }
}

/// A future that never completes and holds `guard` until it is dropped.
pub async fn pending_with(guard: DropGuard) {
    std::future::pending::<()>().await;
    drop(guard);
}

/// `n` parties that each block their thread until all have arrived (or `patience` passed):
/// a probe for how many threads run tasks at the same time.
#[derive(Debug)]
pub struct Rendezvous {
    n: usize,
    arrived: AtomicUsize,
    inside: AtomicUsize,
    max_inside: AtomicUsize,
}

impl Rendezvous {
    /// A rendezvous of `n` parties.
    pub fn new(n: usize) -> Arc<Self> {
        Arc::new(Rendezvous {
            n,
            arrived: AtomicUsize::new(0),
            inside: AtomicUsize::new(0),
            max_inside: AtomicUsize::new(0),
        })
    }

    /// Arrives and blocks the thread until all `n` arrived (true) or `patience` passed
    /// (false).
    pub fn arrive_and_wait(&self, patience: Duration) -> bool {
        self.arrived.fetch_add(1, Ordering::SeqCst);
        let now_inside = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_inside.fetch_max(now_inside, Ordering::SeqCst);
        let deadline = Instant::now() + patience;
        let all = loop {
            if self.arrived.load(Ordering::SeqCst) >= self.n {
                break true;
            }
            if Instant::now() >= deadline {
                break false;
            }
            thread::sleep(Duration::from_millis(1));
        };
        self.inside.fetch_sub(1, Ordering::SeqCst);
        all
    }

    /// The most parties that were blocked at the same time.
    pub fn max_concurrent(&self) -> usize {
        self.max_inside.load(Ordering::SeqCst)
    }
}

/// The output of a child process started by [`run_self`].
#[derive(Debug)]
pub struct ChildOutput {
    /// Whether it exited with status 0.
    pub success: bool,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

impl ChildOutput {
    /// stdout and stderr together, for assertion messages.
    pub fn all(&self) -> String {
        format!("--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr)
    }
}

/// Whether this process is a child started by [`run_self`].
pub fn is_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// Re-runs the current test binary with `args` (libtest arguments, such as a test name and
/// `--exact`) and `env` added to a clean copy of this environment (`ANYRT_BACKEND` removed
/// unless given, and the simulation's variables; [`CHILD_ENV`] set). Fails the test if the child runs longer than 60 s.
pub fn run_self(args: &[&str], env: &[(&str, &str)]) -> ChildOutput {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .env_remove("ANYRT_BACKEND")
        .env_remove("RUST_TEST_THREADS")
        .env_remove("ANYRT_SIM_SEED")
        .env_remove("ANYRT_SIM_SEEDS")
        .env_remove("ANYRT_SIM_REPLAY")
        .env_remove("ANYRT_SIM_CHECK")
        .env(CHILD_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("re-run the test binary");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stdout = out_reader.join().unwrap_or_default();
            let stderr = err_reader.join().unwrap_or_default();
            panic!(
                "child test process {args:?} {env:?} ran longer than 60 s\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
            );
        }
        thread::sleep(Duration::from_millis(5));
    };
    ChildOutput {
        success: status.success(),
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}

/// Turns `fn name(b: Backend) { .. }` into one `#[test]` per backend feature of this build,
/// named `name::tokio`, `name::smol`, `name::async_std` and `name::sim`, each calling the
/// body with its backend: `#[anyrt::test]` on a sync function that takes a `Backend`. For
/// sync tests that build, drop or outlive a `Runtime` themselves (which an async
/// `#[anyrt::test]` body, already inside one, cannot).
///
/// `per_backend! { not_on_sim: "why"; fn .. }` leaves out the simulation, for a rule that
/// cannot apply to it; the reason is written at the test.
#[macro_export]
macro_rules! per_backend {
    (not_on_sim: $reason:literal; $(#[$meta:meta])* fn $name:ident($b:ident: Backend) $body:block) => {
        #[::anyrt::test(tokio, smol, async_std)]
        $(#[$meta])*
        #[doc = $reason]
        fn $name($b: ::anyrt::Backend) $body
    };
    ($(#[$meta:meta])* fn $name:ident($b:ident: Backend) $body:block) => {
        #[::anyrt::test]
        $(#[$meta])*
        fn $name($b: ::anyrt::Backend) $body
    };
}

/// Runs `run` under seeds `0..seeds` twice each and fails unless every seed gives the same
/// result both times and at least two seeds give different ones: what a choice the
/// simulation seeds (a wake order, `select!`'s branch) must show.
pub fn assert_seeds_replay<T: PartialEq + std::fmt::Debug>(
    what: &str,
    seeds: u64,
    run: impl Fn(u64) -> T,
) {
    let runs: Vec<T> = (0..seeds).map(&run).collect();
    for (seed, first) in runs.iter().enumerate() {
        assert_eq!(
            first,
            &run(seed as u64),
            "{what}: seed {seed} did not replay"
        );
    }
    assert!(
        runs.iter().any(|r| r != &runs[0]),
        "{what}: {seeds} seeds gave one result ({:?}): the choice is not drawn from the seed",
        runs[0]
    );
}

/// A waker that only records its wake and unparks the thread that polls: the loop of
/// [`poll_only_when_woken`] polls again only once it was woken, so a lost wake-up hangs it
/// (bounded: the test fails, naming the side). A re-poll that does not wait for a wake would
/// hide one.
struct WokenFlag {
    woken: std::sync::atomic::AtomicBool,
    thread: std::thread::Thread,
}

impl std::task::Wake for WokenFlag {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.woken.store(true, std::sync::atomic::Ordering::Release);
        self.thread.unpark();
    }
}

/// Polls `poll` on this thread until it is ready, again only when woken; panics (naming
/// `what`) if no wake comes within 10 s of a `Pending`. Adds the `Pending`s to `pendings`.
pub fn poll_only_when_woken<T>(
    what: &str,
    pendings: &mut usize,
    mut poll: impl FnMut(&mut std::task::Context<'_>) -> std::task::Poll<T>,
) -> T {
    use std::sync::atomic::Ordering;
    let flag = std::sync::Arc::new(WokenFlag {
        woken: std::sync::atomic::AtomicBool::new(false),
        thread: std::thread::current(),
    });
    let waker = std::task::Waker::from(flag.clone());
    let mut cx = std::task::Context::from_waker(&waker);
    loop {
        flag.woken.store(false, Ordering::Release);
        if let std::task::Poll::Ready(v) = poll(&mut cx) {
            return v;
        }
        *pendings += 1;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !flag.woken.load(Ordering::Acquire) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(
                !left.is_zero(),
                "{what}: pending and never woken (a lost wake-up)"
            );
            std::thread::park_timeout(left);
        }
    }
}
