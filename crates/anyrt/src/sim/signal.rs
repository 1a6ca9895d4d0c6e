//! Signals of the simulated process (features `sim` and `signal`): under the sim backend,
//! `anyrt::signal`'s listeners see only what [`raise`] delivers, at a step of the seeded
//! schedule; a real signal sent to the process never reaches a simulation.
//!
//! ```
//! use anyrt::signal::unix::{signal, SignalKind};
//! use anyrt::{Backend, Runtime};
//!
//! let rt = Runtime::builder(Backend::Sim).seed(3).build().unwrap();
//! rt.block_on(async {
//!     let mut term = signal(SignalKind::terminate()).unwrap();
//!     let mut term2 = signal(SignalKind::terminate()).unwrap();
//!     assert_eq!(anyrt::sim::signal::raise(SignalKind::terminate()), 2);
//!     assert_eq!(term.recv().await, Some(()));
//!     assert_eq!(term2.recv().await, Some(()));
//! });
//! ```

use crate::signal::unix::SignalKind;

/// Delivers `kind` to every listener in the simulation the calling thread is inside, in the
/// order they were registered; returns how many there were. A signal nobody listens to is
/// dropped (the simulated process does not take a default action such as terminating).
///
/// # Panics
///
/// Outside a simulation, with a message that says where to call it.
#[track_caller]
pub fn raise(kind: SignalKind) -> usize {
    anyrt_sim::signal::raise(kind)
}
