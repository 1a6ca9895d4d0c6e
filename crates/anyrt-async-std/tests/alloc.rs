//! Allocation parity: anyrt's spawn allocates no more than `async_std::task::spawn`.
//!
//! A counting global allocator with a per-thread counter: only the allocations made by the
//! spawning thread inside the measured calls are counted, so tasks running on other
//! threads and other tests running in parallel do not disturb the count.

mod common;

use anyrt_async_std::AsyncStd;
use anyrt_core::{Provider, RuntimeConfig};
use anyrt_test_support::alloc::{count_this_thread, CountingAlloc};

use anyrt_core::task::JoinHandle;
use common::{plain_block_on, within};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let (r, n) = count_this_thread(f);
    (r, n as usize)
}

const ROUNDS: usize = 310;

/// Spawns and joins `ROUNDS` tasks one at a time, counting the allocations of the spawns.
fn count_spawns<H: std::future::Future>(mut spawn: impl FnMut(u64) -> H) -> usize {
    let mut total = 0;
    for i in 0..ROUNDS as u64 {
        let (handle, n) = allocations(|| spawn(i));
        total += n;
        plain_block_on(handle);
    }
    total
}

// One test for everything that touches async-std's global executor: its task queue
// allocates a block every 31 pushes, and spawns from tests running in parallel would shift
// those blocks between the measured rounds.
#[test]
fn spawn_and_spawn_blocking_allocate_no_more_than_async_std() {
    within(60, || {
        let native = |i: u64| async_std::task::spawn(async move { i + 1 });
        let anyrt = |i: u64| AsyncStd::spawn(async move { i + 1 });
        // Warm up both paths (lazy runtime start, the executor's slab, thread-locals).
        count_spawns(native);
        count_spawns(anyrt);
        let native_allocs = count_spawns(native);
        let anyrt_allocs = count_spawns(anyrt);
        let native_again = count_spawns(native);
        eprintln!(
            "allocations for {ROUNDS} spawns: async-std {native_allocs}, {native_again}; \
             anyrt {anyrt_allocs}"
        );
        // One task per spawn, plus the executor queue's blocks (ROUNDS is a multiple of 31,
        // so each round crosses the same number of them).
        assert!(
            anyrt_allocs <= native_allocs.min(native_again),
            "anyrt {anyrt_allocs} > async-std {native_allocs}/{native_again}"
        );
        assert!(anyrt_allocs <= ROUNDS + ROUNDS / 31, "{anyrt_allocs}");

        // async-std's spawn_blocking is `blocking::unblock` wrapped in a task: two
        // allocations; anyrt's is the `unblock` alone.
        let native = |i: u64| async_std::task::spawn_blocking(move || i + 1);
        let anyrt = |i: u64| AsyncStd::spawn_blocking(move || i + 1);
        count_spawns(native);
        count_spawns(anyrt);
        let native_allocs = count_spawns(native);
        let anyrt_allocs = count_spawns(anyrt);
        eprintln!(
            "allocations for {ROUNDS} spawn_blocking: async-std {native_allocs}; anyrt {anyrt_allocs}"
        );
        assert!(
            anyrt_allocs <= native_allocs,
            "{anyrt_allocs} > {native_allocs}"
        );
    });
}

#[test]
fn runtime_spawn_allocates_once() {
    within(60, || {
        let rt = AsyncStd::build(&RuntimeConfig::new().worker_threads(2)).unwrap();
        count_spawns(|i| rt.spawn(async move { i }));
        let n = count_spawns(|i| rt.spawn(async move { i }));
        eprintln!("allocations for {ROUNDS} Runtime::spawn: {n}");
        assert!(n <= ROUNDS + ROUNDS / 31 + 2, "{n}");
    });
}

#[test]
fn join_handle_is_stored_inline() {
    assert_eq!(std::mem::size_of::<JoinHandle<u64>>(), 16);
    // Wrapping a raw task does not allocate (it is stored inline).
    let (h, n) = allocations(JoinHandle::<u64>::cancelled);
    assert_eq!(n, 0);
    drop(h);
}
