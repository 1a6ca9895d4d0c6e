//! Tasks: spawn and join, detach on drop, abort, panics, `is_finished`, `abort_on_drop`,
//! `JoinSet`, and the traits and size of `JoinHandle` and `JoinError`.
//!
//! Semantics rows pinned here: "JoinHandle dropped", "abort() before the task completes",
//! "abort() after it completed, or on a blocking closure already running", "task panics".

// Everything here needs a backend; a build with none runs only features.rs.
#![cfg(feature = "_backend")]

use std::error::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use anyrt::task::{AbortOnDrop, JoinError, JoinHandle, JoinSet};
use anyrt::Backend;
use anyrt_tests::*;
use futures::channel::oneshot;

fn assert_send<T: Send>() {}
fn assert_send_sync_static<T: Send + Sync + 'static>() {}
fn assert_unpin<T: Unpin>() {}
fn assert_error<T: Error + Send + Sync + 'static>() {}

// --- spawn and join ----------------------------------------------------------------------

#[anyrt::test]
async fn spawn_and_join_gives_the_output() {
    let h = anyrt::spawn(async { 6 * 7 });
    assert_eq!(within("join", h).await.unwrap(), 42);
}

#[anyrt::test]
async fn spawn_runs_on_the_runtime_of_the_caller() {
    let outer = Backend::current();
    assert!(outer.is_some(), "#[anyrt::test] body runs inside a runtime");
    let inner = within("join", anyrt::spawn(async { Backend::current() }))
        .await
        .unwrap();
    assert_eq!(inner, outer);
}

#[anyrt::test]
async fn spawn_from_a_task_and_join_there() {
    let h = anyrt::spawn(async {
        let inner = anyrt::spawn(async { 20 });
        inner.await.unwrap() + 1
    });
    assert_eq!(within("join", h).await.unwrap(), 21);
}

#[anyrt::test]
async fn task_module_spawn_is_the_same_spawn() {
    let h: JoinHandle<u8> = anyrt::task::spawn(async { 3 });
    assert_eq!(within("join", h).await.unwrap(), 3);
    let h: JoinHandle<u8> = anyrt::task::spawn_blocking(|| 4);
    assert_eq!(within("join", h).await.unwrap(), 4);
}

#[anyrt::test]
async fn many_tasks_all_join() {
    let handles: Vec<_> = (0..200u64)
        .map(|i| {
            anyrt::spawn(async move {
                anyrt::task::yield_now().await;
                i
            })
        })
        .collect();
    let mut sum = 0;
    for h in handles {
        sum += within("join", h).await.unwrap();
    }
    assert_eq!(sum, (0..200).sum::<u64>());
}

#[anyrt::test]
async fn spawn_blocking_runs_off_the_async_thread() {
    let here = std::thread::current().id();
    let there = within(
        "spawn_blocking",
        anyrt::spawn_blocking(|| std::thread::current().id()),
    )
    .await
    .unwrap();
    assert_ne!(here, there);
}

#[anyrt::test]
async fn join_handle_await_is_cancel_safe() {
    let (tx, rx) = oneshot::channel::<u32>();
    let mut h = anyrt::spawn(async move { rx.await.unwrap() });
    // An await dropped before the task finished does not affect the task or the handle.
    let first = anyrt::time::timeout(Duration::from_millis(10), &mut h).await;
    assert!(first.is_err(), "the task cannot have finished yet");
    tx.send(9).unwrap();
    assert_eq!(within("join", h).await.unwrap(), 9);
}

#[anyrt::test]
async fn yield_now_is_pending_once_then_ready() {
    let mut y = std::pin::pin!(anyrt::task::yield_now());
    assert!(futures::poll!(y.as_mut()).is_pending());
    within("yield_now", y).await;
}

#[anyrt::test(worker_threads = 1)]
async fn yield_now_lets_other_tasks_run() {
    let n = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            anyrt::spawn(async move {
                n.fetch_add(1, Ordering::SeqCst);
                // Each waits for the other, only ever yielding: with one worker thread this
                // finishes only if yield_now lets the other task run.
                while n.load(Ordering::SeqCst) < 2 {
                    anyrt::task::yield_now().await;
                }
            })
        })
        .collect();
    for t in tasks {
        within("both tasks, one worker", t).await.unwrap();
    }
}

// --- JoinHandle dropped: the task keeps running ------------------------------------------

#[anyrt::test]
async fn dropped_handle_detaches_the_task() {
    let (tx, rx) = oneshot::channel();
    let h = anyrt::spawn(async move {
        // Suspend at least once so that a drop-cancels runtime (smol) would get the chance.
        anyrt::time::sleep(Duration::from_millis(20)).await;
        anyrt::task::yield_now().await;
        let _ = tx.send(7);
    });
    drop(h);
    assert_eq!(within("the detached task", rx).await, Ok(7));
}

#[anyrt::test]
async fn dropped_handle_of_an_unpolled_task_detaches_it() {
    let (tx, rx) = oneshot::channel();
    drop(anyrt::spawn(async move {
        let _ = tx.send(1);
    }));
    assert_eq!(within("the detached task", rx).await, Ok(1));
}

#[anyrt::test]
async fn dropped_blocking_handle_detaches_the_closure() {
    let (tx, rx) = oneshot::channel();
    drop(anyrt::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(20));
        let _ = tx.send(5);
    }));
    assert_eq!(within("the detached closure", rx).await, Ok(5));
}

#[anyrt::test]
async fn detached_task_spawned_from_a_task_outlives_it() {
    let (tx, rx) = oneshot::channel();
    let outer = anyrt::spawn(async move {
        drop(anyrt::spawn(async move {
            anyrt::time::sleep(Duration::from_millis(20)).await;
            let _ = tx.send(3);
        }));
    });
    within("outer", outer).await.unwrap();
    assert_eq!(within("the detached grandchild", rx).await, Ok(3));
}

// --- abort --------------------------------------------------------------------------------

#[anyrt::test]
async fn abort_before_completion_cancels_and_drops_the_task() {
    let flag = DropFlag::new();
    let started = DropFlag::new();
    let (guard, started_guard) = (flag.guard(), started.guard());
    let mut h = anyrt::spawn(async move {
        drop(started_guard);
        pending_with(guard).await
    });
    started.wait_async("the task to start").await;
    assert!(!flag.is_dropped());
    h.abort();
    let err = within("the aborted task", h).await.unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert!(!err.is_panic());
    flag.wait_async("the aborted task's future to be dropped")
        .await;
}

#[anyrt::test]
async fn abort_right_after_spawn_cancels() {
    let flag = DropFlag::new();
    let mut h = anyrt::spawn(pending_with(flag.guard()));
    h.abort();
    let err = within("the aborted task", h).await.unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    flag.wait_async("the aborted task's future to be dropped")
        .await;
}

#[anyrt::test]
async fn abort_stops_the_task_at_its_next_await() {
    let steps = Arc::new(AtomicUsize::new(0));
    let s = steps.clone();
    let mut h = anyrt::spawn(async move {
        loop {
            s.fetch_add(1, Ordering::SeqCst);
            anyrt::time::sleep(Duration::from_millis(1)).await;
        }
    });
    eventually("the task to run", || steps.load(Ordering::SeqCst) > 2).await;
    h.abort();
    assert!(within("the aborted task", h)
        .await
        .unwrap_err()
        .is_cancelled());
    let after = steps.load(Ordering::SeqCst);
    anyrt::time::sleep(Duration::from_millis(30)).await;
    assert!(
        steps.load(Ordering::SeqCst) <= after + 1,
        "the aborted task kept running"
    );
}

/// A task that signals when its poll has started and then keeps the worker for a while
/// without yielding: `abort()` comes while its poll is running.
fn busy_then(
    started: anyrt::channel::oneshot::Sender<()>,
    flag: &DropFlag,
    end: Option<u32>,
) -> impl std::future::Future<Output = u32> + Send + 'static {
    let guard = flag.guard();
    async move {
        let _guard = guard;
        let _ = started.send(());
        std::thread::sleep(Duration::from_millis(100));
        match end {
            Some(v) => v,
            None => std::future::pending().await,
        }
    }
}

#[anyrt::test]
async fn awaiting_an_aborted_handle_returns_once_the_future_is_dropped() {
    let flag = DropFlag::new();
    let (started, is_started) = anyrt::channel::oneshot::channel();
    let mut h = anyrt::spawn(busy_then(started, &flag, None));
    within("the task to start", is_started).await.unwrap();
    h.abort();
    assert!(
        !h.is_finished(),
        "is_finished() while the aborted task still runs"
    );
    let err = within("the aborted task", &mut h).await.unwrap_err();
    assert!(err.is_cancelled());
    assert!(
        flag.is_dropped(),
        "the aborted handle's await returned while the task still held its resources"
    );
    assert!(h.is_finished());
}

/// On every backend: tokio keeps such a result, and so does anyrt's own executor (under smol
/// and async-std), which marks the task aborted and drops it at its next poll rather than
/// closing it under the running poll. Under sim (one thread) `abort()` can only come between
/// polls, so there the rule holds trivially.
#[anyrt::test]
async fn abort_during_the_last_poll_keeps_the_result() {
    let flag = DropFlag::new();
    let (started, is_started) = anyrt::channel::oneshot::channel();
    let mut h = anyrt::spawn(busy_then(started, &flag, Some(42)));
    within("the task to start", is_started).await.unwrap();
    h.abort(); // the poll that is running completes the task
    assert_eq!(within("the aborted task", h).await.unwrap(), 42);
    assert!(flag.is_dropped());
}

#[anyrt::test]
async fn abort_after_completion_keeps_the_output() {
    let mut h = anyrt::spawn(async { 5 });
    eventually("the task to finish", || h.is_finished()).await;
    h.abort();
    assert_eq!(within("join", h).await.unwrap(), 5);
}

#[anyrt::test]
async fn abort_after_a_panic_keeps_the_panic() {
    let mut h = anyrt::spawn(async { panic!("kept panic") });
    eventually("the task to finish", || h.is_finished()).await;
    h.abort();
    let err = within("join", h).await.unwrap_err();
    assert!(err.is_panic(), "{err:?}");
    assert_eq!(panic_message(&*err.into_panic()), "kept panic");
}

#[anyrt::test]
async fn abort_on_a_running_blocking_closure_gives_its_result() {
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let mut h = anyrt::spawn_blocking(move || {
        started_tx.send(()).unwrap();
        go_rx.recv_timeout(WAIT).expect("released by the test");
        42
    });
    eventually("the closure to start", || started_rx.try_recv().is_ok()).await;
    h.abort();
    go_tx.send(()).unwrap();
    assert_eq!(within("the blocking closure", h).await.unwrap(), 42);
}

#[anyrt::test]
async fn abort_after_a_blocking_closure_finished_gives_its_result() {
    let mut h = anyrt::spawn_blocking(|| "done");
    eventually("the closure to finish", || h.is_finished()).await;
    h.abort();
    assert_eq!(within("join", h).await.unwrap(), "done");
}

#[anyrt::test]
async fn abort_twice_is_harmless() {
    let mut h = anyrt::spawn(std::future::pending::<()>());
    h.abort();
    h.abort();
    assert!(within("join", h).await.unwrap_err().is_cancelled());
}

#[anyrt::test]
async fn abort_under_load_cancels_exactly_the_aborted_tasks() {
    let released = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut hs: Vec<JoinHandle<usize>> = (0..300)
        .map(|i| {
            let released = released.clone();
            anyrt::spawn(async move {
                while !released.load(Ordering::SeqCst) {
                    anyrt::time::sleep(Duration::from_millis(1)).await;
                }
                i
            })
        })
        .collect();
    for h in hs.iter_mut().step_by(2) {
        h.abort();
    }
    // A task whose poll was running when `abort()` came and that completes in that poll gives
    // its result (the abort rule, as on tokio): the release comes well after the aborts, so
    // that no such poll can see it (one preempted mid-poll under load did, once).
    anyrt::time::sleep(Duration::from_millis(50)).await;
    released.store(true, Ordering::SeqCst);
    for (i, h) in hs.into_iter().enumerate() {
        let r = within("a task under load", h).await;
        if i % 2 == 0 {
            assert!(r.unwrap_err().is_cancelled(), "task {i} was aborted");
        } else {
            assert_eq!(r.unwrap(), i);
        }
    }
}

#[anyrt::test]
async fn join_set_under_load() {
    let mut set = JoinSet::new();
    for i in 0..300u64 {
        set.spawn(async move {
            anyrt::task::yield_now().await;
            i
        });
    }
    let mut sum = 0;
    while let Some(r) = within("join_next", set.join_next()).await {
        sum += r.unwrap();
    }
    assert_eq!(sum, (0..300).sum::<u64>());
}

// --- panics -------------------------------------------------------------------------------

#[anyrt::test]
async fn panic_gives_is_panic_and_the_payload() {
    let h = anyrt::spawn(async {
        anyrt::task::yield_now().await;
        panic!("boom in a task");
    });
    let err: JoinError = within("join", h).await.unwrap_err();
    assert!(err.is_panic(), "{err:?}");
    assert!(!err.is_cancelled());
    let payload = err.into_panic();
    assert_eq!(
        *payload.downcast::<&'static str>().expect("a &str payload"),
        "boom in a task"
    );
}

#[anyrt::test]
async fn panic_with_a_formatted_message_keeps_the_string_payload() {
    let n = 17;
    let h = anyrt::spawn(async move {
        if n > 0 {
            panic!("value was {n}");
        }
        n
    });
    let err = within("join", h).await.unwrap_err();
    assert_eq!(
        *err.into_panic()
            .downcast::<String>()
            .expect("a String payload"),
        "value was 17"
    );
}

#[anyrt::test]
async fn panic_with_a_custom_payload_is_returned_as_is() {
    #[derive(Debug, PartialEq)]
    struct Custom(u32);
    let h = anyrt::spawn(async {
        std::panic::panic_any(Custom(9));
    });
    let err = within("join", h).await.unwrap_err();
    assert!(err.is_panic());
    let p = err.try_into_panic().expect("a panic, not a cancellation");
    assert_eq!(*p.downcast::<Custom>().unwrap(), Custom(9));
}

#[anyrt::test]
async fn panic_in_spawn_blocking_gives_is_panic() {
    let h = anyrt::spawn_blocking(|| -> u8 { panic!("boom in a closure") });
    let err = within("join", h).await.unwrap_err();
    assert!(err.is_panic(), "{err:?}");
    assert_eq!(panic_message(&*err.into_panic()), "boom in a closure");
}

#[anyrt::test(worker_threads = 1)]
async fn runtime_keeps_running_after_task_panics() {
    for i in 0..4 {
        let h = anyrt::spawn(async move { panic!("panic {i}") });
        assert!(within("join", h).await.unwrap_err().is_panic());
    }
    // The single worker survived them all.
    assert_eq!(within("join", anyrt::spawn(async { 1 })).await.unwrap(), 1);
    anyrt::time::sleep(Duration::from_millis(1)).await;
}

#[anyrt::test(worker_threads = 1)]
async fn runtime_keeps_running_after_detached_tasks_panic() {
    // Nobody awaits these: smol and async-std re-raise such panics natively.
    for i in 0..4 {
        drop(anyrt::spawn(async move {
            anyrt::task::yield_now().await;
            panic!("detached panic {i}")
        }));
    }
    anyrt::time::sleep(Duration::from_millis(30)).await;
    let hs: Vec<_> = (0..8).map(|i| anyrt::spawn(async move { i })).collect();
    for (i, h) in hs.into_iter().enumerate() {
        assert_eq!(within("join after panics", h).await.unwrap(), i);
    }
    let t = within("spawn_blocking after panics", anyrt::spawn_blocking(|| 3)).await;
    assert_eq!(t.unwrap(), 3);
}

#[anyrt::test]
async fn into_panic_can_be_resumed() {
    let err = within("join", anyrt::spawn(async { panic!("resume me") }))
        .await
        .unwrap_err();
    let resumed = std::panic::catch_unwind(move || std::panic::resume_unwind(err.into_panic()));
    assert_eq!(panic_message(&*resumed.unwrap_err()), "resume me");
}

#[anyrt::test]
async fn try_into_panic_of_a_cancelled_task_gives_the_error_back() {
    let mut h = anyrt::spawn(std::future::pending::<()>());
    h.abort();
    let err = within("join", h).await.unwrap_err();
    let err = err.try_into_panic().unwrap_err();
    assert!(err.is_cancelled());
}

// --- is_finished ----------------------------------------------------------------------------

#[anyrt::test]
async fn is_finished_turns_true_when_the_task_completes() {
    let (tx, rx) = oneshot::channel::<()>();
    let h = anyrt::spawn(async move {
        let _ = rx.await;
        8
    });
    anyrt::time::sleep(Duration::from_millis(10)).await;
    assert!(!h.is_finished());
    tx.send(()).unwrap();
    eventually("is_finished", || h.is_finished()).await;
    assert_eq!(within("join", h).await.unwrap(), 8);
}

#[anyrt::test]
async fn is_finished_after_a_panic_and_after_abort() {
    let p = anyrt::spawn(async { panic!("x") });
    eventually("a panicked task to be finished", || p.is_finished()).await;
    assert!(within("join", p).await.unwrap_err().is_panic());

    let mut a = anyrt::spawn(std::future::pending::<()>());
    assert!(!a.is_finished());
    a.abort();
    eventually("an aborted task to be finished", || a.is_finished()).await;
}

#[anyrt::test]
async fn is_finished_for_blocking_closures() {
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let h = anyrt::spawn_blocking(move || {
        let _ = go_rx.recv_timeout(WAIT);
    });
    anyrt::time::sleep(Duration::from_millis(10)).await;
    assert!(!h.is_finished());
    go_tx.send(()).unwrap();
    eventually("is_finished", || h.is_finished()).await;
}

// --- abort_on_drop --------------------------------------------------------------------------

#[anyrt::test]
async fn abort_on_drop_aborts_when_dropped() {
    let flag = DropFlag::new();
    let started = DropFlag::new();
    let sg = started.guard();
    let g = flag.guard();
    let guard: AbortOnDrop<()> = anyrt::spawn(async move {
        drop(sg);
        pending_with(g).await
    })
    .abort_on_drop();
    started.wait_async("the task to start").await;
    drop(guard);
    flag.wait_async("the task dropped with its guard").await;
}

#[anyrt::test]
async fn abort_on_drop_awaits_to_the_output() {
    let guard = anyrt::spawn(async { 11 }).abort_on_drop();
    assert_eq!(within("join", guard).await.unwrap(), 11);
}

#[anyrt::test]
async fn abort_on_drop_into_inner_does_not_abort() {
    let (tx, rx) = oneshot::channel();
    let guard = anyrt::spawn(async move {
        anyrt::time::sleep(Duration::from_millis(20)).await;
        let _ = tx.send(1);
    })
    .abort_on_drop();
    drop(guard.into_inner());
    assert_eq!(within("the detached task", rx).await, Ok(1));
}

#[anyrt::test]
async fn abort_on_drop_derefs_to_the_handle() {
    let mut guard = anyrt::spawn(std::future::pending::<()>()).abort_on_drop();
    assert!(!guard.is_finished());
    guard.abort();
    assert!(within("join", guard).await.unwrap_err().is_cancelled());
}

// --- JoinSet --------------------------------------------------------------------------------

#[anyrt::test]
async fn join_set_collects_every_output() {
    let mut set = JoinSet::new();
    assert!(set.is_empty());
    for i in 0..10u32 {
        set.spawn(async move {
            anyrt::time::sleep(Duration::from_millis(u64::from(10 - i))).await;
            i
        });
    }
    assert_eq!(set.len(), 10);
    assert!(!set.is_empty());
    let mut got = Vec::new();
    while let Some(r) = within("join_next", set.join_next()).await {
        got.push(r.unwrap());
    }
    got.sort_unstable();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
    assert!(set.is_empty());
    assert_eq!(set.len(), 0);
    assert!(within("join_next on empty", set.join_next())
        .await
        .is_none());
}

#[anyrt::test]
async fn join_set_join_next_gives_the_first_to_finish() {
    let mut set = JoinSet::new();
    set.spawn(async {
        anyrt::time::sleep(Duration::from_secs(5)).await;
        "slow"
    });
    set.spawn(async { "fast" });
    let first = within("join_next", set.join_next()).await.unwrap().unwrap();
    assert_eq!(first, "fast");
    assert_eq!(set.len(), 1);
}

#[anyrt::test]
async fn join_set_reports_panics() {
    let mut set = JoinSet::new();
    set.spawn(async { panic!("in a set") });
    let err: JoinError = within("join_next", set.join_next())
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(panic_message(&*err.into_panic()), "in a set");
}

#[anyrt::test]
async fn join_set_abort_all_cancels_every_task() {
    let flags: Vec<_> = (0..5).map(|_| DropFlag::new()).collect();
    let mut set = JoinSet::new();
    for f in &flags {
        set.spawn(pending_with(f.guard()));
    }
    set.abort_all();
    let mut n = 0;
    while let Some(r) = within("join_next after abort_all", set.join_next()).await {
        assert!(r.unwrap_err().is_cancelled());
        n += 1;
    }
    assert_eq!(n, 5);
    for f in &flags {
        f.wait_async("aborted tasks to be dropped").await;
    }
}

#[anyrt::test]
async fn dropping_a_join_set_aborts_its_tasks() {
    let flags: Vec<_> = (0..5).map(|_| DropFlag::new()).collect();
    let mut set = JoinSet::new();
    for f in &flags {
        set.spawn(pending_with(f.guard()));
    }
    anyrt::time::sleep(Duration::from_millis(5)).await;
    drop(set);
    for f in &flags {
        f.wait_async("the tasks of a dropped JoinSet to be dropped")
            .await;
    }
}

#[anyrt::test]
async fn join_set_tasks_run_without_being_polled() {
    let (tx, rx) = oneshot::channel();
    let mut set = JoinSet::new();
    set.spawn(async move {
        let _ = tx.send(2);
    });
    assert_eq!(within("a JoinSet task", rx).await, Ok(2));
    assert!(within("join_next", set.join_next()).await.unwrap().is_ok());
}

#[anyrt::test]
async fn join_set_is_send_and_usable_from_a_task() {
    assert_send::<JoinSet<u32>>();
    let h = anyrt::spawn(async {
        let mut set = JoinSet::new();
        for i in 0..3u32 {
            set.spawn(async move { i * 2 });
        }
        let mut sum = 0;
        while let Some(r) = set.join_next().await {
            sum += r.unwrap();
        }
        sum
    });
    assert_eq!(within("join", h).await.unwrap(), 6);
}

// --- JoinError and JoinHandle: traits and size ------------------------------------------

#[test]
fn join_error_is_an_error_send_sync_static() {
    assert_error::<JoinError>();
    assert_send_sync_static::<JoinError>();
}

#[test]
fn join_handle_is_send_unpin_and_small() {
    assert_send::<JoinHandle<u64>>();
    assert_send::<AbortOnDrop<u64>>();
    assert_unpin::<JoinHandle<u64>>();
    assert_unpin::<AbortOnDrop<u64>>();
    assert!(
        std::mem::size_of::<JoinHandle<u64>>() <= 16,
        "JoinHandle is {} bytes; the bar is at most 16",
        std::mem::size_of::<JoinHandle<u64>>()
    );
    assert!(std::mem::size_of::<JoinHandle<[u8; 1024]>>() <= 16);
}

// The bar (CONTRIBUTING.md) asks for the native handle's size (8 bytes for tokio and smol) when one backend
// is compiled in. anyrt's `JoinHandle` is one type in anyrt-core for every backend: the
// native handle stored inline plus a vtable pointer, 16 bytes in every build (the bar for
// several backends). This known deviation is pinned here so that it cannot grow unnoticed.
#[cfg(all(feature = "tokio", not(feature = "smol"), not(feature = "async-std")))]
#[test]
fn join_handle_is_the_native_handle_plus_a_vtable_with_tokio_alone() {
    assert_eq!(
        std::mem::size_of::<JoinHandle<u64>>(),
        std::mem::size_of::<tokio::task::JoinHandle<u64>>() + std::mem::size_of::<usize>()
    );
}

#[cfg(all(feature = "smol", not(feature = "tokio"), not(feature = "async-std")))]
#[test]
fn join_handle_is_the_native_handle_plus_a_vtable_with_smol_alone() {
    assert_eq!(
        std::mem::size_of::<JoinHandle<u64>>(),
        std::mem::size_of::<smol::Task<u64>>() + std::mem::size_of::<usize>()
    );
}

/// CONTRIBUTING.md's bars: "`JoinHandle`: the native handle's size when one backend is compiled in".
#[cfg(all(feature = "async-std", not(feature = "tokio"), not(feature = "smol")))]
#[test]
fn join_handle_is_the_native_size_with_async_std_alone() {
    assert!(
        std::mem::size_of::<JoinHandle<u64>>()
            <= std::mem::size_of::<async_std::task::JoinHandle<u64>>()
    );
}

async fn join_with_question_mark(fail: bool) -> Result<u32, Box<dyn Error + Send + Sync>> {
    let v = anyrt::spawn(async move {
        if fail {
            panic!("bubbled up");
        }
        4
    })
    .await?;
    Ok(v)
}

#[anyrt::test]
async fn join_error_converts_with_question_mark() {
    assert_eq!(join_with_question_mark(false).await.unwrap(), 4);
    let err = join_with_question_mark(true).await.unwrap_err();
    let join = err
        .downcast_ref::<JoinError>()
        .expect("the boxed error is the JoinError");
    assert!(join.is_panic());
    assert!(err.to_string().contains("bubbled up"), "{err}");
}

#[anyrt::test]
async fn join_error_display_says_what_happened() {
    let mut h = anyrt::spawn(std::future::pending::<()>());
    h.abort();
    let cancelled = within("join", h).await.unwrap_err();
    assert!(cancelled.to_string().contains("cancel"), "{cancelled}");
    let panicked = within("join", anyrt::spawn(async { panic!("shown") }))
        .await
        .unwrap_err();
    assert!(panicked.to_string().contains("shown"), "{panicked}");
    assert!(format!("{panicked:?}").contains("shown"));
}

#[anyrt::test]
async fn body_may_return_result_and_use_question_mark_on_join(
) -> Result<(), Box<dyn Error + Send + Sync>> {
    let v = anyrt::spawn(async { 1 }).await?;
    assert_eq!(v, 1);
    Ok(())
}

#[anyrt::test]
async fn join_error_crosses_threads() {
    let err = within("join", anyrt::spawn(async { panic!("sent") }))
        .await
        .unwrap_err();
    let msg = within(
        "a task holding the error",
        anyrt::spawn(async move { err.to_string() }),
    )
    .await
    .unwrap();
    assert!(msg.contains("sent"));
}

// A destructor that panics: tests/destructor_panic.rs (in child processes: a regression
// aborts the process).

// -------------------------------------------------------------------------------------------
// Structured scopes (`anyrt::task::scope`).

#[anyrt::test]
async fn a_scope_lends_borrows_and_waits_for_every_child() {
    let mut log = Vec::new();
    let words = ["one", "two", "three"];
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let total = anyrt::task::scope(async |s| {
        let handles: Vec<_> = words
            .iter()
            .map(|w| {
                let counter = &counter;
                s.spawn(async move {
                    anyrt::time::sleep(std::time::Duration::from_millis(w.len() as u64)).await;
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    w.len()
                })
            })
            .collect();
        // A child whose handle is dropped still runs to its end before the scope returns.
        drop(s.spawn(async {
            anyrt::time::sleep(std::time::Duration::from_millis(20)).await;
            counter.fetch_add(100, std::sync::atomic::Ordering::SeqCst);
        }));
        let mut total = 0;
        for h in handles {
            total += h.await;
        }
        total
    })
    .await;
    assert_eq!(total, 11);
    assert_eq!(counter.load(std::sync::atomic::Ordering::SeqCst), 103);
    log.push(total); // the borrow of the environment ended with the scope
    assert_eq!(log, [11]);
}

#[anyrt::test]
async fn a_childs_panic_cancels_its_siblings_and_is_resumed_by_the_scope() {
    let flag = DropFlag::new();
    let guard = flag.guard();
    let scoped = anyrt::spawn(async move {
        anyrt::task::scope(async |s| {
            s.spawn(pending_with(guard));
            s.spawn(async {
                anyrt::task::yield_now().await;
                panic!("child failed");
            });
            std::future::pending::<()>().await;
        })
        .await;
    });
    let err = within("the scope", scoped).await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(panic_message(&*err.into_panic()), "child failed");
    assert!(flag.is_dropped(), "the sibling was not cancelled");
}

#[anyrt::test]
async fn dropping_a_scope_cancels_its_children() {
    let flag = DropFlag::new();
    let guard = flag.guard();
    let cut = anyrt::time::timeout(
        std::time::Duration::from_millis(20),
        anyrt::task::scope(async |s| {
            s.spawn(pending_with(guard));
            std::future::pending::<()>().await;
        }),
    )
    .await;
    assert!(cut.is_err());
    assert!(flag.is_dropped(), "a child outlived its dropped scope");
}

/// A scope's future is `Send` when its children and body are: it runs in a spawned task.
#[anyrt::test]
async fn a_scope_runs_inside_a_spawned_task() {
    let sum = anyrt::spawn(async {
        let data = [1, 2, 3];
        anyrt::task::scope(async |s| {
            let a = s.spawn(async { data[..2].iter().sum::<i32>() });
            let b = s.spawn(async { data[2] });
            a.await + b.await
        })
        .await
    });
    assert_eq!(within("the task", sum).await.unwrap(), 6);
}

/// A scope polled only when woken (no runtime: a plain thread's loop that re-polls only after
/// a wake) loses no wake-up: children wait on a channel another thread feeds, and a third
/// thread, once the scope may be idle, spawns the child the body waits for through a cloned
/// handle (a spawn that did not wake the scope would hang the loop, and fail it).
#[test]
fn a_scope_polled_only_when_woken_loses_no_wake() {
    let mut pendings = 0;
    for round in 0..20 {
        let (tx, rx) = anyrt::channel::bounded::<u64>(4);
        let (done_tx, done_rx) = anyrt::channel::bounded::<()>(1);
        let feeder = std::thread::spawn(move || {
            for i in 0..2_000 {
                tx.send_blocking(i).unwrap();
            }
        });
        let summed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut late = None;
        let mut fut = Box::pin(anyrt::task::scope(|s: anyrt::task::Scope<'static>| {
            let outside = s.clone();
            let idle = summed.clone();
            late = Some(std::thread::spawn(move || {
                // Once the body waits for this child alone, nothing else would poll the scope.
                while !idle.load(Ordering::SeqCst) {
                    std::thread::yield_now();
                }
                std::thread::sleep(Duration::from_millis(1));
                drop(outside.spawn(async move { done_tx.send(()).await.unwrap() }));
            }));
            let summed = summed.clone();
            async move {
                let sums: Vec<_> = (0..2)
                    .map(|_| {
                        let rx = rx.clone();
                        s.spawn(async move {
                            let mut sum = 0;
                            while let Ok(v) = rx.recv().await {
                                sum += v;
                            }
                            sum
                        })
                    })
                    .collect();
                let mut total = 0;
                for sum in sums {
                    total += sum.await;
                }
                summed.store(true, Ordering::SeqCst);
                done_rx.recv().await.unwrap();
                total
            }
        }));
        let total = poll_only_when_woken(&format!("scope, round {round}"), &mut pendings, |cx| {
            std::future::Future::poll(fut.as_mut(), cx)
        });
        feeder.join().unwrap();
        late.take().unwrap().join().unwrap();
        assert_eq!(total, (0..2_000).sum::<u64>(), "round {round}");
    }
    assert!(
        pendings > 0,
        "the scope never waited: the test proves nothing"
    );
}
