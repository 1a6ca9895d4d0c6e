//! Plain std threads, with no runtime of any kind: spawn, spawn_blocking, block_on, sleep,
//! timeout, interval and JoinSet all work there, on the selected backend, and never say
//! "there is no reactor running".
//!
//! Each test runs here on the default backend, and the `on_every_backend::*` tests re-run this
//! whole file in a child process per enabled backend, selected with `ANYRT_BACKEND`.
//!
//! Semantics row pinned here: "spawn / sleep / timeout called where no runtime is running".

// Everything here needs a backend; a build with none runs only features.rs.
#![cfg(feature = "_backend")]

use std::pin::pin;
use std::time::Duration;

use anyrt::task::JoinSet;
use anyrt::Backend;
use anyrt_tests::*;

fn selected() -> Backend {
    let b = Backend::selected();
    assert_eq!(b, expected_default_backend());
    b
}

#[test]
fn spawn_from_a_plain_thread_runs_on_the_selected_backend() {
    let b = selected();
    let h = on_plain_thread("spawn", || {
        assert_eq!(Backend::current(), None);
        anyrt::spawn(async {
            anyrt::time::sleep(Duration::from_millis(1)).await;
            Backend::current()
        })
    });
    // Joined from yet another plain thread by a foreign executor.
    assert_eq!(wait_plain("the task", h).unwrap(), Some(b));
}

#[test]
fn spawn_blocking_from_a_plain_thread() {
    let b = selected();
    let h = on_plain_thread("spawn_blocking", || anyrt::spawn_blocking(Backend::current));
    assert_eq!(wait_plain("the closure", h).unwrap(), Some(b));
}

#[test]
fn spawned_task_panic_and_abort_from_a_plain_thread() {
    let h = on_plain_thread("spawn", || anyrt::spawn(async { panic!("plain") }));
    let err = wait_plain("the task", h).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(panic_message(&*err.into_panic()), "plain");
    let mut h = on_plain_thread("spawn", || anyrt::spawn(std::future::pending::<()>()));
    h.abort();
    assert!(wait_plain("the task", h).unwrap_err().is_cancelled());
}

#[test]
fn dropped_handle_detaches_from_a_plain_thread() {
    let (tx, rx) = std::sync::mpsc::channel();
    on_plain_thread("spawn", move || {
        drop(anyrt::spawn(async move {
            anyrt::time::sleep(Duration::from_millis(5)).await;
            tx.send(1).unwrap();
        }))
    });
    assert_eq!(rx.recv_timeout(WAIT), Ok(1));
}

#[test]
fn sleep_and_timeout_under_a_foreign_executor_on_a_plain_thread() {
    let (slept, elapsed, ok) = wait_plain("time", async {
        let t = std::time::Instant::now();
        anyrt::time::sleep(Duration::from_millis(10)).await;
        let slept = t.elapsed();
        let elapsed =
            anyrt::time::timeout(Duration::from_millis(5), std::future::pending::<()>()).await;
        let ok = anyrt::time::timeout(WAIT, async { 2 }).await;
        (slept, elapsed, ok)
    });
    assert!(slept >= Duration::from_millis(10), "{slept:?}");
    assert!(elapsed.is_err());
    assert_eq!(ok, Ok(2));
}

#[test]
fn sleep_created_and_polled_on_a_plain_thread() {
    // Creating a sleep (where tokio's would need a reactor) and polling it once.
    on_plain_thread("sleep", || {
        let s = pin!(anyrt::time::sleep(Duration::from_secs(60)));
        assert!(poll_once(s).is_pending());
        let s = pin!(anyrt::time::sleep(Duration::ZERO));
        assert!(poll_once(s).is_ready());
        let t = pin!(anyrt::time::timeout(Duration::from_secs(60), async { 1 }));
        assert!(poll_once(t).is_ready());
    });
}

#[test]
fn interval_under_a_foreign_executor_on_a_plain_thread() {
    let ticks = wait_plain("interval", async {
        let mut iv = anyrt::time::interval(Duration::from_millis(3));
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(iv.tick().await);
        }
        v
    });
    assert_eq!(ticks[2] - ticks[0], Duration::from_millis(6));
}

#[test]
fn join_set_under_a_foreign_executor_on_a_plain_thread() {
    let sum = wait_plain("JoinSet", async {
        let mut set = JoinSet::new();
        for i in 0..5u32 {
            set.spawn(async move { i });
        }
        let mut sum = 0;
        while let Some(r) = set.join_next().await {
            sum += r.unwrap();
        }
        sum
    });
    assert_eq!(sum, 10);
}

#[test]
fn block_on_on_a_plain_thread_uses_the_selected_backend() {
    let b = selected();
    let got = on_plain_thread("block_on", || {
        anyrt::block_on(async { (Backend::current(), anyrt::spawn(async { 1 }).await.unwrap()) })
    });
    assert_eq!(got, (Some(b), 1));
}

#[test]
fn yield_now_under_a_foreign_executor() {
    wait_plain("yield_now", async {
        for _ in 0..10 {
            anyrt::task::yield_now().await;
        }
    });
}

#[test]
fn many_plain_threads_spawn_at_once() {
    let b = selected();
    let (tx, rx) = std::sync::mpsc::channel();
    for _ in 0..8 {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let h = anyrt::spawn(async { Backend::current() });
            tx.send(futures::executor::block_on(h).unwrap()).unwrap();
        });
    }
    for _ in 0..8 {
        assert_eq!(rx.recv_timeout(WAIT).unwrap(), Some(b));
    }
}

// --- every backend as the process-wide default -----------------------------------------

per_backend! {
    fn on_every_backend(b: Backend) {
        if is_child() {
            return;
        }
        let name = b.to_string();
        let out = run_self(&["--test-threads=2"], &[("ANYRT_BACKEND", &name)]);
        assert!(
            out.success,
            "the plain-thread tests failed with ANYRT_BACKEND={name}\n{}",
            out.all()
        );
        assert!(out.stdout.contains("test result: ok"), "{}", out.all());
    }
}
