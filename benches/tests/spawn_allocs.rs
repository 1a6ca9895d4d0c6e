//! The bar (CONTRIBUTING.md) "no heap allocation per spawn beyond what the native runtime's own spawn
//! makes", checked on every backend compiled in: the spawning thread's allocations over
//! `N` spawns, through anyrt and natively, on runtimes of the same shape; and the bytes they
//! ask for (a task of anyrt's own executor may take a few more: see `assert_no_more`).
//!
//! The spawned tasks never complete, so the executors' task tables grow the same way on
//! both sides; the slack (`N / 100`) absorbs their amortized growth, while one extra
//! allocation per spawn would add `N`.

// A build with no backend has nothing to check.
#![cfg(any(feature = "tokio", feature = "smol", feature = "async-std"))]

use std::future::pending;

use anyrt_benches::alloc::{count_this_thread_bytes, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const N: usize = 1_000;
/// The worker threads of the owned runtimes (async-std's global one has its own count).
#[cfg(any(feature = "tokio", feature = "smol"))]
const WORKERS: usize = 2;

/// Spawns `N` never-ending tasks with `spawn`, keeping the handles (allocated beforehand),
/// and returns the calling thread's allocation count and bytes for the spawns alone.
fn count_spawns<H>(mut spawn: impl FnMut() -> H) -> Spawns {
    // Warm-up: lazily initialized runtime state is not a per-spawn cost.
    let warm: Vec<H> = (0..10).map(|_| spawn()).collect();
    let mut handles = Vec::with_capacity(N);
    let ((), allocs, bytes) = count_this_thread_bytes(|| {
        for _ in 0..N {
            handles.push(spawn());
        }
    });
    drop(handles);
    drop(warm);
    Spawns { allocs, bytes }
}

/// What `N` spawns allocated on the spawning thread.
#[derive(Debug, Clone, Copy)]
struct Spawns {
    allocs: u64,
    bytes: u64,
}

/// `extra_bytes`: how many bytes more than the native task one of anyrt's may take. The
/// tokio and async-std backends spawn native tasks; on smol, anyrt's own executor keeps its
/// per-task state (a 16-byte metadata, a pointer to it beside the future) in the task.
#[track_caller]
fn assert_no_more(backend: &str, native: Spawns, anyrt: Spawns, extra_bytes: u64) {
    eprintln!(
        "{backend}: {N} spawns: native {} allocations ({} bytes), anyrt {} ({} bytes)",
        native.allocs, native.bytes, anyrt.allocs, anyrt.bytes
    );
    // The same slack as for the count below (the tables' amortized growth), at up to 64
    // bytes per allocation.
    let slack = (N / 100) as u64;
    assert!(
        anyrt.bytes <= native.bytes + extra_bytes * N as u64 + slack * 64,
        "{backend}: anyrt's tasks are larger than the native ones by more than {extra_bytes} \
         bytes: {} bytes for {N} spawns, native {}",
        anyrt.bytes,
        native.bytes
    );
    let (native, anyrt) = (native.allocs, anyrt.allocs);
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

    assert_no_more("tokio", native, anyrt, 0);
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

    assert_no_more("smol", native, anyrt, 24);
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
    assert_no_more("async-std", native, anyrt, 0);
}
