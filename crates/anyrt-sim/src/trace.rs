//! The trace of a simulation: every step it takes, folded into a hash (and kept as a list
//! when asked), so that two runs can be compared.

use std::time::Duration;

/// One step of a simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// A task was spawned (its id, in spawn order; 0 is the future of `block_on`).
    Spawn(u64),
    /// A task (or, as 0, the future of `block_on`) was polled.
    Poll(u64),
    /// A wake or spawn from outside the driving thread was delivered to the run queue.
    Deliver(u64),
    /// A timer fired (its creation number) at a virtual time (since the simulation's origin).
    Fire(u64, Duration),
    /// The fault hook drew a number.
    Fault(u64),
    /// A woken task was held back for a scheduling delay (its id, the delay).
    Delay(u64, Duration),
}

/// The trace: a running hash of the events, their count, and the events themselves while
/// recording.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    hash: u64,
    steps: u64,
    events: Option<Vec<Event>>,
}

impl Trace {
    pub(crate) fn push(&mut self, event: Event) {
        let (kind, a, b) = match event {
            Event::Spawn(id) => (1, id, 0),
            Event::Poll(id) => (2, id, 0),
            Event::Deliver(id) => (3, id, 0),
            Event::Fire(seq, at) => (4, seq, at.as_nanos() as u64),
            Event::Fault(draw) => (5, draw, 0),
            Event::Delay(id, d) => (6, id, d.as_nanos() as u64),
        };
        self.hash = mix(self.hash ^ mix(kind ^ mix(a ^ mix(b))));
        if let Some(events) = &mut self.events {
            events.push(event);
        }
    }

    /// Counts one scheduling decision.
    pub(crate) fn step(&mut self) {
        self.steps += 1;
    }

    pub(crate) fn steps(&self) -> u64 {
        self.steps
    }

    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    pub(crate) fn record(&mut self) {
        self.events.get_or_insert_with(Vec::new);
    }

    pub(crate) fn events(&self) -> &[Event] {
        self.events.as_deref().unwrap_or(&[])
    }
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
