//! Counting allocators: a binary installs one with `#[global_allocator]`.
//!
//! [`CountingAlloc`] counts every allocation in the process while [`count_all`] is on
//! (worker threads included): what the report's untimed allocation pass uses. Off, it costs
//! one relaxed load of a flag that nothing writes, the same on the native and the anyrt side.
//!
//! [`ThreadCountingAlloc`] counts only the allocations of a thread inside
//! [`count_this_thread`]: what the spawn-allocation test uses, so that the runtime's worker
//! threads (and other tests) do not add to the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static COUNTING: AtomicBool = AtomicBool::new(false);
static COUNT: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting allocations (`alloc`, `alloc_zeroed` and `realloc`, not
/// `dealloc`) made while [`count_all`] is on.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

#[inline]
fn count_global() {
    if COUNTING.load(Ordering::Relaxed) {
        COUNT.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; counting touches only atomics.
unsafe impl GlobalAlloc for CountingAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_global();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_global();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_global();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Starts counting every thread's allocations from zero ([`CountingAlloc`]).
pub fn count_all() {
    COUNT.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
}

/// Stops counting and returns the number of allocations since [`count_all`].
pub fn stop_counting() -> u64 {
    COUNTING.store(false, Ordering::SeqCst);
    COUNT.load(Ordering::SeqCst)
}

thread_local! {
    // `const`-initialized: reading it never allocates (or recurses into the allocator).
    static THREAD_COUNTING: Cell<bool> = const { Cell::new(false) };
    static THREAD_COUNT: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting the allocations of a thread inside
/// [`count_this_thread`] only.
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadCountingAlloc;

#[inline]
fn count_thread() {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = THREAD_COUNTING.try_with(|on| {
        if on.get() {
            let _ = THREAD_COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

// SAFETY: every call is forwarded to `System` unchanged; counting touches only this
// thread's `Cell`s.
unsafe impl GlobalAlloc for ThreadCountingAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_thread();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_thread();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_thread();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Runs `f` and returns its result with the number of allocations the calling thread made
/// in it ([`ThreadCountingAlloc`]).
pub fn count_this_thread<R>(f: impl FnOnce() -> R) -> (R, u64) {
    THREAD_COUNT.with(|c| c.set(0));
    THREAD_COUNTING.with(|on| on.set(true));
    let r = f();
    THREAD_COUNTING.with(|on| on.set(false));
    (r, THREAD_COUNT.with(Cell::get))
}
