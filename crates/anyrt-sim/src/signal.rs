//! Signals inside a simulation (feature `signal`): the listeners of
//! [`Signals`](anyrt_core::signal::Signals), and [`raise`], the only way a signal reaches
//! them. A real signal sent to the process never does: the simulation installs no handler.
//!
//! A raise wakes every listener of its kind in the order they were registered; the wakes
//! take their turn in the seeded schedule like any other, so a seed replays the same
//! interleaving of the signal with the rest of the test.
//!
//! ```
//! use anyrt_core::signal::{SignalKind, SignalOps, Signals};
//! use anyrt_core::{Provider, RuntimeConfig};
//! use anyrt_sim::Sim;
//! use std::future::poll_fn;
//!
//! let rt = Sim::build(&RuntimeConfig::new()).unwrap();
//! Sim::runtime_block_on(&rt, async {
//!     let mut hup = Sim::signal(SignalKind::hangup()).unwrap();
//!     assert_eq!(anyrt_sim::signal::raise(SignalKind::hangup()), 1); // one listener saw it
//!     assert_eq!(poll_fn(|cx| hup.poll_recv(cx)).await, Some(()));
//! });
//! ```

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll, Waker};

use anyrt_core::signal::{check, SignalKind, SignalOps};

use crate::runtime;

/// The listeners of one simulation, in registration order.
#[derive(Default)]
pub(crate) struct Registry {
    slots: Vec<Weak<Slot>>,
}

struct Slot {
    kind: SignalKind,
    state: Mutex<SlotState>,
}

#[derive(Default)]
struct SlotState {
    pending: bool,
    waker: Option<Waker>,
}

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Registry {
    fn register(&mut self, kind: SignalKind) -> Arc<Slot> {
        let slot = Arc::new(Slot {
            kind,
            state: Mutex::new(SlotState::default()),
        });
        self.slots.retain(|s| s.strong_count() > 0);
        self.slots.push(Arc::downgrade(&slot));
        slot
    }

    /// Marks every live listener of `kind` and hands back their wakers.
    fn raise(&mut self, kind: SignalKind) -> (usize, Vec<Waker>) {
        self.slots.retain(|s| s.strong_count() > 0);
        let mut seen = 0;
        let mut wakers = Vec::new();
        for slot in self.slots.iter().filter_map(Weak::upgrade) {
            if slot.kind == kind {
                seen += 1;
                let mut st = slot.lock();
                st.pending = true;
                wakers.extend(st.waker.take());
            }
        }
        (seen, wakers)
    }
}

/// A listener of one signal kind inside a simulation.
pub struct Signal {
    slot: Arc<Slot>,
}

impl Signal {
    /// Registers a listener with the simulation the calling thread is inside, else the
    /// process-wide one.
    pub(crate) fn new(kind: SignalKind) -> io::Result<Signal> {
        check(kind)?;
        let slot = runtime::current_or_global().signals().register(kind);
        Ok(Signal { slot })
    }
}

impl SignalOps for Signal {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let mut st = self.slot.lock();
        if std::mem::take(&mut st.pending) {
            return Poll::Ready(Some(()));
        }
        match &mut st.waker {
            Some(w) => w.clone_from(cx.waker()),
            None => st.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    fn kind(&self) -> SignalKind {
        self.slot.kind
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.slot.kind)
            .field("simulated", &true)
            .finish_non_exhaustive()
    }
}

/// Delivers `kind` to every listener registered in the simulation the calling thread is
/// inside, and returns how many there were. A signal nobody listens to is dropped (a real
/// process would take its default action, often to terminate: the simulation does not).
///
/// # Panics
///
/// Outside a simulation: there is no simulated process to signal (a real one is signalled
/// with `libc::kill` or `kill(1)`).
#[track_caller]
pub fn raise(kind: SignalKind) -> usize {
    let Some(shared) = runtime::current() else {
        panic!(
            "anyrt::sim::signal::raise({kind}) was called outside a simulation: it signals the \
             simulated process of the Backend::Sim runtime the calling thread is inside (call \
             it from a task or a block_on of that runtime)"
        )
    };
    let (seen, wakers) = shared.signals().raise(kind);
    for w in wakers {
        w.wake();
    }
    seen
}
