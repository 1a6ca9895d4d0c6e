//! The counting allocator of the report's untimed allocation pass and of the
//! spawn-allocation test: `anyrt-test-support`'s, re-exported.

pub use anyrt_test_support::alloc::{
    count_all, count_this_thread, count_this_thread_bytes, stop_counting, CountingAlloc,
};
