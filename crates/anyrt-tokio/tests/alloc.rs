//! No allocation per spawn beyond tokio's own: counted per thread by a global allocator.

use anyrt_core::Provider;
use anyrt_test_support::alloc::{count_this_thread, min_allocs, CountingAlloc};
use anyrt_tokio::Tokio;
use std::future::Future;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Allocations made on this thread by `f` (the smallest of a few runs, so that a one-off
/// growth of some queue does not count).
fn count<R>(f: impl FnMut() -> R) -> u64 {
    min_allocs(5, f)
}

fn ready() -> impl Future<Output = u64> + Send + 'static {
    std::future::ready(7)
}

#[test]
fn spawn_allocates_as_much_as_tokio_spawn() {
    assert_eq!(std::mem::size_of::<anyrt_core::task::JoinHandle<u64>>(), 16);

    // A foreign current-thread runtime entered on this thread: both spawns go to it.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _enter = rt.enter();
    // Warm up: lazily initialised statics, the inject queue, the coop-hook Once.
    for _ in 0..100 {
        drop(tokio::spawn(ready()));
        drop(Tokio::spawn(ready()));
    }
    let native = count(|| tokio::spawn(ready()));
    let anyrt = count(|| Tokio::spawn(ready()));
    assert!(native >= 1, "tokio::spawn allocates its task");
    assert_eq!(
        anyrt, native,
        "anyrt_tokio::spawn allocated more than tokio::spawn"
    );

    // Blocking closures: wait for each to finish (outside the count), so that an idle
    // blocking thread takes the next one instead of a new thread being started.
    let native = count_blocking(|| tokio::task::spawn_blocking(|| 1));
    let anyrt = count_blocking(|| Tokio::spawn_blocking(|| 1));
    assert_eq!(anyrt, native, "anyrt_tokio::spawn_blocking allocated more");
}

fn count_blocking<H: Future + Unpin>(mut spawn: impl FnMut() -> H) -> u64 {
    (0..10)
        .map(|_| {
            let (h, n) = count_this_thread(&mut spawn);
            futures_lite::future::block_on(h);
            // Let the blocking thread go idle again.
            std::thread::sleep(std::time::Duration::from_millis(2));
            n
        })
        .min()
        .unwrap()
}

#[test]
fn spawn_in_anyrt_context_allocates_as_much_as_tokio_spawn() {
    // The hot path: inside anyrt's block_on, anyrt's spawn is tokio::spawn.
    Tokio::block_on(async {
        for _ in 0..100 {
            drop(tokio::spawn(ready()));
            drop(Tokio::spawn(ready()));
        }
        let native = count(|| tokio::spawn(ready()));
        let anyrt = count(|| Tokio::spawn(ready()));
        assert_eq!(anyrt, native);
    });
}
