//! Inside runtimes the application built itself (a tokio runtime, an async-std task), anyrt
//! applies the same rules as inside its own: the `_blocking` methods refuse with the panic
//! that names `spawn_blocking`, exactly where `try_block_on` refuses, and (on tokio) a loop
//! of ready channel operations spends tokio's co-op budget from the first call.

#![allow(dead_code, unused_imports)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyrt_tests::*;

/// Runs `f` where a `_blocking` call must be refused, with a message sent on the channel
/// after two seconds so that a wrong answer (blocking) ends instead of deadlocking.
fn refused_here(what: &str, f: impl FnOnce() -> Result<String, String>) {
    match f() {
        Err(msg) => assert!(
            msg.contains("spawn_blocking"),
            "{what}: the refusal must name spawn_blocking: {msg}"
        ),
        Ok(got) => panic!("{what}: a _blocking call blocked instead of refusing ({got})"),
    }
}

/// `recv_blocking` and `lock_blocking`, each in `catch_panic`: `Err(message)` if refused.
fn try_the_blocking_calls() -> Result<String, String> {
    let (tx, rx) = anyrt::channel::bounded::<u32>(1);
    let late = thread::spawn(move || {
        thread::sleep(Duration::from_secs(2));
        let _ = tx.send_blocking(1);
    });
    let recv = catch_panic(|| {
        rx.recv_blocking()
            .map(|v| v.to_string())
            .unwrap_or_default()
    });
    drop(late);
    let lock = anyrt::sync::Mutex::new(0);
    let locked = catch_panic(|| *lock.lock_blocking());
    match (recv, locked) {
        (Err(a), Err(_)) => Err(a),
        (Ok(v), _) => Ok(format!("recv_blocking gave {v}")),
        (_, Ok(v)) => Ok(format!("lock_blocking gave {v}")),
    }
}

#[cfg(feature = "tokio")]
#[test]
fn blocking_calls_refuse_inside_a_foreign_tokio_runtime() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // In one of its tasks: blocking would deadlock the only worker.
    let in_task = rt.block_on(async { tokio::spawn(async { try_the_blocking_calls() }).await });
    refused_here("a task of a current-thread tokio runtime", || {
        in_task.unwrap()
    });
    // In the body of its block_on (#[tokio::main]), where try_block_on refuses too.
    rt.block_on(async {
        assert!(anyrt::try_block_on(async {}).is_err());
        refused_here("the body of a tokio block_on", try_the_blocking_calls);
    });
    // In anyrt's spawn_blocking it works, from inside that runtime as anywhere.
    let ok = rt.block_on(async {
        anyrt::spawn_blocking(|| {
            let (tx, rx) = anyrt::channel::bounded(1);
            tx.send_blocking(7).unwrap();
            rx.recv_blocking().unwrap()
        })
        .await
        .unwrap()
    });
    assert_eq!(ok, 7);
}

#[cfg(feature = "async-std")]
#[test]
fn blocking_calls_refuse_inside_a_native_async_std_task() {
    let in_task = async_std::task::block_on(async_std::task::spawn(async {
        assert!(anyrt::try_block_on(async {}).is_err());
        try_the_blocking_calls()
    }));
    refused_here("an async_std::task::spawn task", || in_task);
}

/// In a fresh process: the very first anyrt call is a channel loop inside a tokio runtime
/// the application built. tokio's co-op budget must apply from that first call, so the
/// loop yields and another task gets to run.
#[cfg(feature = "tokio")]
#[test]
fn the_tokio_budget_applies_in_a_foreign_runtime_from_the_start() {
    if !is_child() {
        let out = run_self(
            &[
                "the_tokio_budget_applies_in_a_foreign_runtime_from_the_start",
                "--exact",
            ],
            &[],
        );
        assert!(
            out.success && out.stdout.contains("1 passed"),
            "{}",
            out.all()
        );
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let iterations = rt.block_on(async {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        tokio::spawn(async move { r.store(true, Ordering::SeqCst) });
        let (tx, rx) = anyrt::channel::bounded(1);
        let mut n = 0u32;
        while !ran.load(Ordering::SeqCst) && n < 50_000 {
            tx.send(n).await.unwrap();
            rx.recv().await.unwrap();
            n += 1;
        }
        n
    });
    assert!(
        iterations <= 256,
        "a busy loop of ready channel operations ran {iterations} times before another task \
         could: the co-op budget does not apply"
    );
}
