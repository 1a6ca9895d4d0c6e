//! The bar (CONTRIBUTING.md) "no heap allocation per spawn beyond what the native runtime's own spawn
//! makes", checked on every backend compiled in: the spawning thread's allocations over
//! `N` spawns, through anyrt and natively, on runtimes of the same shape.
//!
//! The spawned tasks never complete, so the executors' task tables grow the same way on
//! both sides; the slack (`N / 100`) absorbs their amortized growth, while one extra
//! allocation per spawn would add `N`.

// A build with no backend has nothing to check.
#![cfg(any(feature = "tokio", feature = "smol", feature = "async-std"))]

use std::future::pending;

use anyrt_benches::alloc::{count_this_thread, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const N: usize = 1_000;
/// The worker threads of the owned runtimes (async-std's global one has its own count).
#[cfg(any(feature = "tokio", feature = "smol"))]
const WORKERS: usize = 2;

/// Spawns `N` never-ending tasks with `spawn`, keeping the handles (allocated beforehand),
/// and returns the calling thread's allocation count for the spawns alone.
fn count_spawns<H>(mut spawn: impl FnMut() -> H) -> u64 {
    // Warm-up: lazily initialized runtime state is not a per-spawn cost.
    let warm: Vec<H> = (0..10).map(|_| spawn()).collect();
    let mut handles = Vec::with_capacity(N);
    let ((), allocs) = count_this_thread(|| {
        for _ in 0..N {
            handles.push(spawn());
        }
    });
    drop(handles);
    drop(warm);
    allocs
}

#[track_caller]
fn assert_no_more(backend: &str, native: u64, anyrt: u64) {
    eprintln!("{backend}: {N} spawns: native {native} allocations, anyrt {anyrt}");
    assert!(
        native >= N as u64,
        "{backend}: native spawn made {native} allocations for {N} spawns: the counter is broken"
    );
    assert!(
        anyrt <= native + (N / 100) as u64,
        "{backend}: anyrt spawn allocates more than the native one: {anyrt} allocations for \
         {N} spawns, native {native}"
    );
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_spawn_allocates_no_more_than_native() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap();
    let native = rt.block_on(async { count_spawns(|| tokio::spawn(pending::<()>())) });
    rt.shutdown_background();

    let rt = anyrt::Runtime::builder(anyrt::Backend::Tokio)
        .worker_threads(WORKERS)
        .build()
        .unwrap();
    let anyrt = rt.block_on(async { count_spawns(|| anyrt::spawn(pending::<()>())) });
    drop(rt);

    assert_no_more("tokio", native, anyrt);
}

#[cfg(feature = "smol")]
#[test]
fn smol_spawn_allocates_no_more_than_native() {
    use std::sync::Arc;

    let ex = Arc::new(async_executor::Executor::new());
    let (stop, stopped) = async_channel::bounded::<()>(1);
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let ex = ex.clone();
            let stopped = stopped.clone();
            std::thread::spawn(move || {
                async_io::block_on(ex.run(async move {
                    let _ = stopped.recv().await;
                }))
            })
        })
        .collect();
    let native = async_io::block_on(async { count_spawns(|| ex.spawn(pending::<()>())) });
    drop(stop);
    for w in workers {
        w.join().unwrap();
    }

    let rt = anyrt::Runtime::builder(anyrt::Backend::Smol)
        .worker_threads(WORKERS)
        .build()
        .unwrap();
    let anyrt = rt.block_on(async { count_spawns(|| anyrt::spawn(pending::<()>())) });
    drop(rt);

    assert_no_more("smol", native, anyrt);
}

#[cfg(feature = "async-std")]
#[test]
fn async_std_spawn_allocates_no_more_than_native() {
    // Both on async-std's global runtime (the tasks pend for the rest of the process).
    let native = async_std::task::block_on(async {
        count_spawns(|| async_std::task::spawn(pending::<()>()))
    });
    let anyrt = anyrt::Handle::global(anyrt::Backend::AsyncStd)
        .block_on(async { count_spawns(|| anyrt::spawn(pending::<()>())) });
    assert_no_more("async-std", native, anyrt);
}
