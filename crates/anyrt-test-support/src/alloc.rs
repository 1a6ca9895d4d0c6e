//! A counting allocator: a test or bench binary installs it with
//! `#[global_allocator] static A: CountingAlloc = CountingAlloc;`.
//!
//! Two ways to count, both off by default, where the allocator costs one relaxed load of a
//! flag per allocation (the same for the native and the anyrt side of a benchmark):
//!
//! * [`count_this_thread`]: the allocations of the calling thread only, so that worker
//!   threads and tests running in parallel do not add to the count;
//! * [`count_all`] ... [`stop_counting`]: every allocation in the process, worker threads
//!   included.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

const ALL: u8 = 1;
const THREADS: u8 = 2;

/// Which counts are on: `ALL`, and `THREADS` once any thread has counted (never cleared:
/// the thread-local says whether this thread is counting).
static MODE: AtomicU8 = AtomicU8::new(0);
static COUNT: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // `const`-initialised, no destructor: reading them never allocates.
    static THREAD_COUNTING: Cell<bool> = const { Cell::new(false) };
    static THREAD_COUNT: Cell<u64> = const { Cell::new(0) };
    static THREAD_BYTES: Cell<u64> = const { Cell::new(0) };
}

/// The counting allocator; see the [module docs](self).
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

#[inline]
fn note(size: usize) {
    let mode = MODE.load(Ordering::Relaxed);
    if mode == 0 {
        return;
    }
    if mode & ALL != 0 {
        COUNT.fetch_add(1, Ordering::Relaxed);
    }
    if mode & THREADS != 0 {
        // `try_with`: the allocator also runs while thread-locals are torn down.
        let _ = THREAD_COUNTING.try_with(|on| {
            if on.get() {
                let _ = THREAD_COUNT.try_with(|c| c.set(c.get() + 1));
                let _ = THREAD_BYTES.try_with(|b| b.set(b.get() + size as u64));
            }
        });
    }
}

// SAFETY: every call is forwarded to `System` unchanged; counting touches only atomics and
// this thread's `Cell`s.
unsafe impl GlobalAlloc for CountingAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Starts counting every allocation in the process, from zero.
pub fn count_all() {
    COUNT.store(0, Ordering::SeqCst);
    MODE.fetch_or(ALL, Ordering::SeqCst);
}

/// Stops [`count_all`]'s count and gives it.
pub fn stop_counting() -> u64 {
    MODE.fetch_and(!ALL, Ordering::SeqCst);
    COUNT.load(Ordering::SeqCst)
}

/// Runs `f`, counting the allocations the calling thread makes meanwhile.
pub fn count_this_thread<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let (r, allocs, _) = count_this_thread_bytes(f);
    (r, allocs)
}

/// [`count_this_thread`], with the bytes those allocations asked for (a `realloc` counts
/// its new size).
pub fn count_this_thread_bytes<R>(f: impl FnOnce() -> R) -> (R, u64, u64) {
    MODE.fetch_or(THREADS, Ordering::SeqCst);
    THREAD_COUNT.with(|c| c.set(0));
    THREAD_BYTES.with(|b| b.set(0));
    THREAD_COUNTING.with(|on| on.set(true));
    let r = f();
    THREAD_COUNTING.with(|on| on.set(false));
    (
        r,
        THREAD_COUNT.with(Cell::get),
        THREAD_BYTES.with(Cell::get),
    )
}

/// The fewest allocations of `runs` runs of `f` on this thread (what it returns is dropped
/// after the count), so that a one-off growth of some queue does not count.
pub fn min_allocs<R>(runs: usize, mut f: impl FnMut() -> R) -> u64 {
    (0..runs)
        .map(|_| count_this_thread(&mut f).1)
        .min()
        .unwrap_or(0)
}
