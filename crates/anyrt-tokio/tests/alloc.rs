//! No allocation per spawn beyond tokio's own: counted per thread by a global allocator.

use anyrt_core::Provider;
use anyrt_tokio::Tokio;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator; only counts on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

/// Allocations made on this thread by `f` (the smallest of a few runs, so that a one-off
/// growth of some queue does not count).
fn count<R>(mut f: impl FnMut() -> R) -> u64 {
    (0..5)
        .map(|_| {
            let before = allocs();
            let r = f();
            let n = allocs() - before;
            drop(r);
            n
        })
        .min()
        .unwrap()
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
            let before = allocs();
            let h = spawn();
            let n = allocs() - before;
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
