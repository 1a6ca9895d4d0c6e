//! Tasks: detach, abort, panics, blocking closures, spawns from anywhere.

use anyrt_core::{Provider, RuntimeConfig};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::JoinHandle;
use anyrt_core::Backend;
use anyrt_smol::{Handle, Smol};

/// Awaits `f` on this thread (not an anyrt thread), failing instead of hanging.
fn within<F: Future>(f: F) -> F::Output {
    anyrt_test_support::block_on_within::<Smol, F>(f)
}

use anyrt_test_support::DropFlag;

#[test]
fn join_handle_is_two_pointers() {
    assert_eq!(std::mem::size_of::<JoinHandle<u64>>(), 16);
    assert_eq!(std::mem::size_of::<Option<JoinHandle<u64>>>(), 16);
}

#[test]
fn dropped_handle_detaches_the_task() {
    // smol's own `Task` cancels on drop; anyrt's handle must not.
    for rt in [None, Some(Smol::build(&RuntimeConfig::new()).unwrap())] {
        let (release_tx, release_rx) = signal();
        let (done_tx, done_rx) = mpsc::channel();
        let task = async move {
            release_rx.await;
            Smol::sleep(Duration::from_millis(5)).await;
            done_tx.send(()).unwrap();
        };
        let handle = match &rt {
            Some(rt) => rt.spawn(task),
            None => Smol::spawn(task),
        };
        drop(handle);
        release_tx();
        done_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("a detached task must run to completion");
    }
}

/// A one-shot signal: calling the closure releases the future (which polls a flag).
fn signal() -> (impl FnOnce(), impl Future<Output = ()> + Send) {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    let wait = async move {
        while !flag.load(Ordering::SeqCst) {
            Smol::sleep(Duration::from_millis(1)).await;
        }
    };
    (move || set.store(true, Ordering::SeqCst), wait)
}

#[test]
fn abort_before_completion_cancels() {
    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let mut handle = rt.spawn(async move {
        let _flag = flag;
        std::future::pending::<u32>().await
    });
    handle.abort();
    let err = within(&mut handle).unwrap_err();
    assert!(err.is_cancelled());
    assert!(!err.is_panic());
    assert!(handle.is_finished());
    // Awaiting again gives the same answer.
    assert!(within(&mut handle).unwrap_err().is_cancelled());
    for _ in 0..1000 {
        if dropped.load(Ordering::SeqCst) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        dropped.load(Ordering::SeqCst),
        "the aborted future was dropped"
    );
}

#[test]
fn abort_after_completion_keeps_the_output() {
    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    let mut handle = rt.spawn(async { 7u32 });
    for _ in 0..2000 {
        if handle.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(handle.is_finished());
    handle.abort();
    assert_eq!(within(handle).unwrap(), 7);
}

#[test]
fn panic_is_caught_at_join_and_the_runtime_keeps_running() {
    // One worker: if the panic took it down, nothing would run afterwards.
    let rt = Smol::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
    let handle = rt.spawn(async {
        panic!("boom");
    });
    let err: anyrt_core::task::JoinError = within(handle).unwrap_err();
    assert!(err.is_panic());
    assert!(!err.is_cancelled());
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
    assert_eq!(within(rt.spawn(async { 1 })).unwrap(), 1);

    // The same on the process-wide runtime.
    let n = std::hint::black_box(1);
    let handle = Smol::spawn(async move { panic!("global {n}") });
    let err = within(handle).unwrap_err();
    assert_eq!(*err.into_panic().downcast::<String>().unwrap(), "global 1");
    assert_eq!(within(Smol::spawn(async { 2 })).unwrap(), 2);
}

#[test]
fn spawn_from_a_plain_thread_uses_the_process_wide_runtime() {
    assert!(context::current().is_none());
    assert!(Handle::current().is_none());
    let (name, ctx) = within(Smol::spawn(async {
        (
            std::thread::current().name().map(str::to_owned),
            context::current(),
        )
    }))
    .unwrap();
    assert_eq!(name.as_deref(), Some("anyrt-smol-global"));
    assert_eq!(ctx, Some(ThreadContext::async_on(Backend::Smol)));
    // A task of the process-wide runtime spawns onto it too.
    let inner = within(Smol::spawn(async {
        Smol::spawn(async { std::thread::current().name().map(str::to_owned) })
            .await
            .unwrap()
    }))
    .unwrap();
    assert_eq!(inner.as_deref(), Some("anyrt-smol-global"));
}

#[test]
fn spawn_inside_a_runtime_task_goes_to_that_runtime() {
    let rt = Smol::build(
        &RuntimeConfig::new()
            .worker_threads(2)
            .thread_name("inner-spawn"),
    )
    .unwrap();
    let (name, same) = within(rt.spawn(async {
        let name = Smol::spawn(async { std::thread::current().name().map(str::to_owned) })
            .await
            .unwrap();
        (name, Handle::current().is_some())
    }))
    .unwrap();
    assert_eq!(name.as_deref(), Some("inner-spawn"));
    assert!(same);
}

#[test]
fn spawn_blocking_runs_in_a_blocking_context() {
    let ctx = within(Smol::spawn_blocking(context::current)).unwrap();
    assert_eq!(ctx, Some(ThreadContext::blocking_on(Backend::Smol)));
    // The context is restored for the next closure on the same pool thread.
    assert!(context::current().is_none());

    // Blocking is allowed there: a block_on inside works.
    let v = within(Smol::spawn_blocking(|| {
        anyrt_core::check_can_block().unwrap();
        Smol::block_on(async { Smol::spawn(async { 3 }).await.unwrap() })
    }))
    .unwrap();
    assert_eq!(v, 3);
}

#[test]
fn spawn_blocking_of_a_runtime_spawns_onto_that_runtime() {
    let rt = Smol::build(
        &RuntimeConfig::new()
            .worker_threads(1)
            .thread_name("blocking-owner"),
    )
    .unwrap();
    let name = within(rt.spawn_blocking(|| {
        assert!(Handle::current().is_some());
        let task = Smol::spawn(async { std::thread::current().name().map(str::to_owned) });
        Smol::block_on(task).unwrap()
    }))
    .unwrap();
    assert_eq!(name.as_deref(), Some("blocking-owner"));
}

#[test]
fn abort_does_not_stop_a_blocking_closure() {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let mut handle = Smol::spawn_blocking(move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        11
    });
    started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    handle.abort();
    release_tx.send(()).unwrap();
    assert_eq!(within(handle).unwrap(), 11);
}

#[test]
fn blocking_panic_is_caught_at_join() {
    let handle = Smol::spawn_blocking(|| -> u8 { panic!("blocking boom") });
    let err = within(handle).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(
        *err.into_panic().downcast::<&str>().unwrap(),
        "blocking boom"
    );
}

#[test]
fn yield_now_yields_once() {
    let mut fut = anyrt_core::task::yield_now();
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(std::pin::Pin::new(&mut fut).poll(&mut cx).is_pending());
    assert!(std::pin::Pin::new(&mut fut).poll(&mut cx).is_ready());
    within(Smol::spawn(async {
        for _ in 0..10 {
            anyrt_core::task::yield_now().await;
        }
    }))
    .unwrap();
}

#[test]
fn no_native_context_to_detect() {
    // smol marks no thread: inside a foreign smol executor the selection rule sees a plain
    // thread.
    assert_eq!(anyrt_core::Backend::current(), None);
    let ex = async_executor::Executor::new();
    let inside =
        futures_lite::future::block_on(ex.run(ex.spawn(async { anyrt_core::Backend::current() })));
    assert_eq!(inside, None);
}

#[test]
fn executor_trait_through_handle_and_runtime() {
    use anyrt_core::Executor;

    fn run_on<E: Executor>(exec: &E) -> JoinHandle<u32> {
        let sleep = exec.sleep(Duration::from_millis(1));
        exec.spawn(async move {
            sleep.await;
            5
        })
    }

    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    assert_eq!(within(run_on(&rt)).unwrap(), 5);
    assert_eq!(within(run_on(&rt.handle())).unwrap(), 5);
    assert_eq!(within(run_on(&Handle::global())).unwrap(), 5);
    assert_eq!(within(rt.handle().spawn_blocking(|| 6)).unwrap(), 6);
    let dyn_exec: Arc<dyn anyrt_core::DynExecutor> = Arc::new(rt.handle());
    assert_eq!(within(dyn_exec.spawn(async { 8 })).unwrap(), 8);
}
