//! Helpers shared by the tests of this crate.

#![allow(dead_code, unused_imports, unreachable_pub)]

use std::time::Duration;

pub use anyrt_test_support::{plain_block_on, DropSignal};

/// Runs `f` on a fresh plain thread and fails the test if it takes longer than `secs`
/// seconds (a deadlock fails instead of hanging). A panic in `f` is re-raised.
pub fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    anyrt_test_support::within_thread(Duration::from_secs(secs), f)
}
