//! What `#[anyrt::test]` generates: one test per enabled backend named `<test>::<backend>`,
//! limited by a backend list, on a fresh runtime of that backend (`worker_threads = N` sets
//! its size), with `Result` bodies, and a failure that names its backend. (Macro misuse is
//! pinned by the trybuild cases of `macros_ui.rs`.)

// Everything here needs a backend; a build with none runs only features.rs.
#![cfg(feature = "_backend")]

use std::time::Duration;

use anyrt::Backend;
use anyrt_tests::*;

#[anyrt::test]
async fn generated() {
    assert!(Backend::current().is_some());
}

#[cfg(all(feature = "tokio", feature = "smol"))]
#[anyrt::test(tokio, smol)]
async fn limited() {
    let b = Backend::current().unwrap();
    assert!(b == Backend::Tokio || b == Backend::Smol, "{b}");
}

#[anyrt::test]
async fn result_body_ok() -> Result<(), std::io::Error> {
    anyrt::time::sleep(Duration::from_millis(1)).await;
    Ok(())
}

#[anyrt::test]
async fn result_body_with_question_mark() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = "42".parse()?;
    assert_eq!(n, 42);
    Ok(())
}

/// Fails only in the child process started by `failure_names_its_backend`.
#[anyrt::test]
async fn failing_result() -> Result<(), String> {
    if is_child() && std::env::var_os("ANYRT_TESTS_FAIL").is_some() {
        return Err("deliberate failure".to_owned());
    }
    Ok(())
}

/// Panics only in the child process started by `failure_names_its_backend`.
#[anyrt::test]
async fn failing_panic() {
    if is_child() && std::env::var_os("ANYRT_TESTS_FAIL").is_some() {
        panic!("deliberate panic");
    }
}

// Not on sim: a simulation has one thread whatever `worker_threads` says.
#[anyrt::test(tokio, smol, async_std, worker_threads = 2)]
async fn worker_threads_two_runs_two_tasks_at_once() {
    let rv = Rendezvous::new(2);
    let hs: Vec<_> = (0..2)
        .map(|_| {
            let rv = rv.clone();
            anyrt::spawn(async move { rv.arrive_and_wait(WAIT / 2) })
        })
        .collect();
    for h in hs {
        assert!(
            within("a probe task", h).await.unwrap(),
            "two tasks did not run at once with worker_threads = 2"
        );
    }
}

#[anyrt::test(worker_threads = 1)]
async fn worker_threads_one_runs_one_task_at_a_time() {
    let rv = Rendezvous::new(2);
    let hs: Vec<_> = (0..2)
        .map(|_| {
            let rv = rv.clone();
            anyrt::spawn(async move { rv.arrive_and_wait(Duration::from_millis(200)) })
        })
        .collect();
    for h in hs {
        within("a probe task", h).await.unwrap();
    }
    assert_eq!(
        rv.max_concurrent(),
        1,
        "worker_threads = 1 ran two tasks at once"
    );
}

fn listed() -> Vec<String> {
    let out = run_self(&["--list"], &[]);
    assert!(out.success, "{}", out.all());
    out.stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn one_test_per_enabled_backend_named_after_it() {
    if is_child() {
        return;
    }
    let names = listed();
    for &b in Backend::ALL {
        let ident = b.ident();
        let name = format!("generated::{ident}");
        assert_eq!(
            names.contains(&name),
            Backend::enabled().contains(&b),
            "{name} in {names:?}"
        );
    }
    if cfg!(all(feature = "tokio", feature = "smol")) {
        assert!(names.contains(&"limited::tokio".to_owned()));
        assert!(names.contains(&"limited::smol".to_owned()));
        assert!(
            !names.iter().any(|n| n.starts_with("limited::async")),
            "#[anyrt::test(tokio, smol)] made an async-std test: {names:?}"
        );
    }
}

#[test]
fn failure_names_its_backend() {
    if is_child() {
        return;
    }
    for &b in Backend::enabled() {
        let ident = b.ident();
        for test in ["failing_result", "failing_panic"] {
            let full = format!("{test}::{ident}");
            let out = run_self(&[&full, "--exact"], &[("ANYRT_TESTS_FAIL", "1")]);
            assert!(!out.success, "{full} should have failed\n{}", out.all());
            // Beyond the test's own name, the failure message names the backend.
            let rest = out.all().replace(&full, "");
            assert!(
                rest.contains(&b.to_string()) || rest.contains(ident),
                "the failure of {full} does not name its backend\n{}",
                out.all()
            );
        }
    }
}

/// Each backend's test has its own copy of the body, so a `static` in it (a drop counter,
/// a fail-once flag) counts only that test's runs: the tests run in parallel, and with one
/// shared body the second backend to run would see the first one's increment.
#[anyrt::test]
async fn a_static_in_the_body_is_each_backends_own() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    static FAILED_ONCE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let before = RUNS.fetch_add(1, Ordering::SeqCst);
    assert_eq!(before, 0, "this body ran before, on another backend");
    // A fail-once flag as bb8's tests use it: every backend's first attempt sees `false`.
    assert!(!FAILED_ONCE.swap(true, Ordering::SeqCst));
    // Give the other backends' tests time to run their increments meanwhile.
    anyrt::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
}
