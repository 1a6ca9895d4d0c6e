//! The per-thread generator of unbiased choices: the branch `anyrt::select!` polls first,
//! the stream a merge polls first. A backend that must replay a schedule (the simulation)
//! swaps in a state of its own seed while its tasks run ([`swap`]); elsewhere the generator
//! seeds itself from std's `RandomState` at the first draw.
//!
//! ```
//! let pick = anyrt_core::rand::below(3);
//! assert!(pick < 3);
//!
//! // A seeded state gives the same draws.
//! let saved = anyrt_core::rand::swap(42);
//! let first: Vec<u32> = (0..8).map(|_| anyrt_core::rand::below(10)).collect();
//! anyrt_core::rand::swap(42);
//! let again: Vec<u32> = (0..8).map(|_| anyrt_core::rand::below(10)).collect();
//! assert_eq!(first, again);
//! anyrt_core::rand::swap(saved);
//! ```

use std::cell::Cell;
use std::hash::{BuildHasher, Hasher};

thread_local! {
    /// xorshift64* state; 0: not seeded yet.
    static STATE: Cell<u64> = const { Cell::new(0) };
    /// Whether local tasks are interleaved from this generator ([`swap_interleaving`]).
    static INTERLEAVE: Cell<bool> = const { Cell::new(false) };
}

/// Turns the seeded interleaving of `spawn_local` tasks on or off for this thread and
/// returns the previous setting. A backend that replays a seeded schedule (the simulation)
/// turns it on while its async code runs: a `block_on`'s local tasks then run in an order
/// drawn from the generator (before or after the future that spawned them, a few per poll)
/// instead of always after it, in spawn order.
pub fn swap_interleaving(on: bool) -> bool {
    INTERLEAVE.with(|i| i.replace(on))
}

/// Whether [`swap_interleaving`] turned the interleaving on for this thread.
#[inline]
pub fn interleaving() -> bool {
    INTERLEAVE.with(Cell::get)
}

/// A number in `0..n` (0 for `n == 0`).
#[inline]
pub fn below(n: u32) -> u32 {
    STATE.with(|s| {
        let mut x = s.get();
        if x == 0 {
            x = fresh();
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        let out = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32;
        ((out * u64::from(n)) >> 32) as u32
    })
}

/// Replaces this thread's state with `state` (0: seed afresh at the next draw) and returns
/// the one it had, to put back later.
pub fn swap(state: u64) -> u64 {
    STATE.with(|s| s.replace(state))
}

/// A state from `seed` (never 0): what a backend that replays its schedule swaps in.
pub fn state_from_seed(seed: u64) -> u64 {
    // splitmix64's finaliser spreads neighbouring seeds apart.
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) | 1
}

#[cold]
fn fresh() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish() | 1
}
