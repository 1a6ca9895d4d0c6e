//! The application's own executor as the process-wide one, and the allocation count of a
//! spawn (anyrt's against async-executor's own, on the same executor).
//!
//! One process: `set_global_executor` must run before anything uses the process-wide
//! runtime, so every test here goes through `app_executor()` first.

use anyrt_core::{Provider, RuntimeConfig};
use anyrt_smol::Smol;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyrt_smol::Handle;
use anyrt_test_support::alloc::{count_this_thread, CountingAlloc};
use async_executor::Executor;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn allocations(f: impl FnOnce()) -> usize {
    count_this_thread(f).1 as usize
}

const APP_THREAD: &str = "app-executor";

/// The application's executor, installed as anyrt-smol's process-wide one and run by two
/// threads of the application.
fn app_executor() -> &'static Arc<Executor<'static>> {
    static EX: OnceLock<Arc<Executor<'static>>> = OnceLock::new();
    EX.get_or_init(|| {
        let ex = Arc::new(Executor::new());
        anyrt_smol::set_global_executor(ex.clone()).expect("nothing used the global yet");
        for _ in 0..2 {
            let ex = ex.clone();
            std::thread::Builder::new()
                .name(APP_THREAD.into())
                .spawn(move || async_io::block_on(ex.run(std::future::pending::<()>())))
                .unwrap();
        }
        ex
    })
}

fn within<F: Future>(f: F) -> F::Output {
    anyrt_test_support::block_on_within::<Smol, F>(f)
}

fn thread_name() -> Option<String> {
    std::thread::current().name().map(str::to_owned)
}

#[test]
fn spawns_go_to_the_application_executor() {
    let ex = app_executor();
    assert!(anyrt_smol::set_global_executor(ex.clone()).is_err());

    let name = within(Smol::spawn(async { thread_name() })).unwrap();
    assert_eq!(name.as_deref(), Some(APP_THREAD));
    let name = within(Handle::global().spawn(async { thread_name() })).unwrap();
    assert_eq!(name.as_deref(), Some(APP_THREAD));
    // Inside the plain block_on and inside blocking closures too.
    let name = Smol::block_on(Smol::spawn(async { thread_name() })).unwrap();
    assert_eq!(name.as_deref(), Some(APP_THREAD));
    let name = within(Smol::spawn_blocking(|| {
        Smol::block_on(Smol::spawn(async { thread_name() })).unwrap()
    }))
    .unwrap();
    assert_eq!(name.as_deref(), Some(APP_THREAD));
    // The application's threads carry no anyrt context: nothing to detect there.
    let current = within(Smol::spawn(async { Handle::current().is_none() })).unwrap();
    assert!(current);
    // A spawn from a task of the application's executor goes back to it.
    let name = within(Smol::spawn(async {
        Smol::spawn(async { thread_name() }).await.unwrap()
    }))
    .unwrap();
    assert_eq!(name.as_deref(), Some(APP_THREAD));
}

/// The same future type for both spawns.
async fn task(i: u64) -> u64 {
    std::hint::black_box(i)
}

/// Makes the executor's task slab large enough for everything a measurement spawns, and
/// waits until it is empty again.
fn warm_up(spawn: impl Fn(Duration)) {
    for _ in 0..4 * N {
        spawn(Duration::from_millis(100));
    }
}

/// A multiple of the executor queue's block size (31 slots): both measurements allocate
/// the same number of queue blocks whatever the queue's position.
const N: usize = 31 * 40;

#[test]
fn spawn_allocates_as_often_as_async_executor() {
    let ex = app_executor();
    warm_up(|d| {
        drop(Smol::spawn(Smol::sleep(d)));
        ex.spawn(Smol::sleep(d)).detach();
    });
    let start = Instant::now();
    while !ex.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "warm-up tasks stuck"
        );
        std::thread::sleep(Duration::from_millis(5));
    }

    for _ in 0..3 {
        let anyrt = allocations(|| {
            for i in 0..N as u64 {
                drop(Smol::spawn(task(i)));
            }
        });
        let native = allocations(|| {
            for i in 0..N as u64 {
                ex.spawn(task(i)).detach();
            }
        });
        assert!(native >= N, "the counter counts ({native})");
        assert_eq!(
            anyrt, native,
            "anyrt_smol::spawn vs Executor::spawn, {N} spawns"
        );
    }

    // A runtime's spawn, inside its block_on (the worker-thread path), against the same
    // executor code.
    let rt = Smol::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
    rt.block_on(async {
        let warm: Vec<_> = (0..4 * N)
            .map(|_| Smol::spawn(Smol::sleep(Duration::from_millis(100))))
            .collect();
        for h in warm {
            h.await.unwrap();
        }
    });
    let native = allocations(|| {
        for i in 0..N as u64 {
            ex.spawn(task(i)).detach();
        }
    });
    let in_runtime = rt.block_on(async {
        allocations(|| {
            for i in 0..N as u64 {
                drop(Smol::spawn(task(i)));
            }
        })
    });
    assert_eq!(in_runtime, native, "spawn inside a Runtime, {N} spawns");
    let runtime_spawn = allocations(|| {
        for i in 0..N as u64 {
            drop(rt.spawn(task(i)));
        }
    });
    assert_eq!(runtime_spawn, native, "Runtime::spawn, {N} spawns");
}
