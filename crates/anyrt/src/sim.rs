//! Deterministic simulation (feature `sim`): what a library or a test asks of the
//! simulation it runs in. Every function here works in every build: outside a simulation
//! (or without the feature) [`buggify`] is `false` and the others are `None`, so a library
//! can call them unconditionally.
//!
//! Under the `sim` backend a runtime's tasks all run on the thread in `block_on`, the next
//! task is picked from a seed, and time is virtual: it jumps to the earliest timer when every
//! task is waiting, so an hour of sleeps takes no real time. The same seed gives the same
//! schedule, which the trace hash shows.
//!
//! ```
//! # #[cfg(feature = "sim")] {
//! use anyrt::{Backend, Runtime};
//! use std::time::Duration;
//!
//! let run = |seed| {
//!     let rt = Runtime::builder(Backend::Sim).seed(seed).build().unwrap();
//!     rt.block_on(async {
//!         let tasks: Vec<_> = (0..4u64)
//!             .map(|i| anyrt::spawn(async move {
//!                 anyrt::time::sleep(Duration::from_secs(i)).await;
//!                 anyrt::task::yield_now().await;
//!             }))
//!             .collect();
//!         for t in tasks {
//!             t.await.unwrap();
//!         }
//!         anyrt::sim::trace_hash().unwrap()
//!     })
//! };
//! assert_eq!(run(1), run(1)); // one seed, one schedule
//! # }
//! ```

pub use anyrt_core::Scheduler;

/// The probability with which [`buggify`] fires inside a simulation.
pub const BUGGIFY_PROBABILITY: f64 = 0.25;

/// The fault hook: inside a simulation, `true` with probability [`BUGGIFY_PROBABILITY`],
/// drawn from the simulation's seed (the same seed gives the same answers); always `false`
/// elsewhere. A library guards the faults it wants its tests to see with it:
///
/// ```
/// async fn send(buf: &[u8]) -> std::io::Result<usize> {
///     if anyrt::sim::buggify() {
///         // Only ever under a simulation: a short write, as a real socket may do.
///         return Ok(buf.len() / 2);
///     }
///     Ok(buf.len())
/// }
///
/// // Outside a simulation the hook never fires.
/// assert_eq!(anyrt::block_on(send(b"abcd")).unwrap(), 4);
/// ```
pub fn buggify() -> bool {
    buggify_with(BUGGIFY_PROBABILITY)
}

/// [`buggify`] with a probability of the caller's (clamped to `0.0..=1.0`).
///
/// ```
/// assert!(!anyrt::sim::buggify_with(1.0)); // not in a simulation
/// ```
pub fn buggify_with(probability: f64) -> bool {
    #[cfg(feature = "sim")]
    {
        anyrt_sim::buggify_with(probability.clamp(0.0, 1.0))
    }
    #[cfg(not(feature = "sim"))]
    {
        let _ = probability;
        false
    }
}

/// The seed of the simulation the calling thread is inside.
///
/// ```
/// assert_eq!(anyrt::sim::seed(), None); // a plain thread
/// ```
pub fn seed() -> Option<u64> {
    #[cfg(feature = "sim")]
    {
        anyrt_sim::seed()
    }
    #[cfg(not(feature = "sim"))]
    {
        None
    }
}

/// The hash of the trace so far (every spawn, poll, delivery from outside and timer fire,
/// in order) of the simulation the calling thread is inside. Two runs of one seed give
/// the same hash; a difference means something outside the seed changed the schedule.
///
/// ```
/// assert_eq!(anyrt::sim::trace_hash(), None); // a plain thread
/// ```
pub fn trace_hash() -> Option<u64> {
    #[cfg(feature = "sim")]
    {
        anyrt_sim::trace_hash()
    }
    #[cfg(not(feature = "sim"))]
    {
        None
    }
}

#[cfg(feature = "sim")]
#[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
pub mod cancel;
#[cfg(feature = "sim")]
mod explore;
#[cfg(all(feature = "sim", feature = "fs", unix))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "sim", feature = "fs"))))]
pub mod fs;
#[cfg(all(feature = "sim", feature = "net", unix))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "sim", feature = "net"))))]
pub mod net;
#[cfg(all(feature = "sim", feature = "signal", unix))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "sim", feature = "signal"))))]
pub mod signal;
#[cfg(feature = "sim")]
#[doc(hidden)]
pub use explore::run_sim_test;
#[cfg(feature = "sim")]
#[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
pub use explore::{Explore, Failure};
