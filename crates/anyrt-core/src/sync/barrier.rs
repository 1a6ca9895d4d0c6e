use std::fmt;
use std::pin::pin;
use std::sync::{Mutex, PoisonError};

use crate::channel::{assert_can_block, park_on};

/// Makes `n` tasks wait for each other: each [`wait`](Self::wait) returns once `n` have
/// called it, then the barrier can be used again.
///
/// Built on a generation count and `tokio::sync::Notify`.
///
/// ```
/// anyrt::block_on(async {
///     use std::sync::Arc;
///
///     let barrier = Arc::new(anyrt::sync::Barrier::new(2));
///     let b2 = barrier.clone();
///     let t = std::thread::spawn(move || b2.wait_blocking().is_leader());
///     let here = barrier.wait().await.is_leader();
///     let there = t.join().unwrap();
///     assert!(here ^ there); // exactly one leader
/// });
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
    released: tokio::sync::Notify,
}

struct State {
    arrived: usize,
    // Counts the releases: a waiter is done once it has moved on from the one it joined.
    generation: u64,
}

impl Barrier {
    /// Creates a barrier for `n` parties (`0` behaves like `1`: nobody waits). Usable in a
    /// `static`.
    ///
    /// ```
    /// let b = anyrt::sync::Barrier::new(1);
    /// assert!(b.wait_blocking().is_leader());
    /// ```
    pub const fn new(n: usize) -> Self {
        Barrier {
            n,
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
            }),
            released: tokio::sync::Notify::const_new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn arrive(&self) -> bool {
        let generation = {
            let mut state = self.state();
            state.arrived += 1;
            if state.arrived >= self.n {
                state.arrived = 0;
                state.generation += 1;
                drop(state);
                self.released.notify_waiters();
                return true;
            }
            state.generation
        };
        loop {
            // Registered before the check, so a release in between is not missed.
            let mut released = pin!(self.released.notified());
            released.as_mut().enable();
            if self.state().generation != generation {
                return false;
            }
            released.await;
        }
    }

    /// Waits until `n` parties are waiting. Exactly one of them gets a result with
    /// [`is_leader`](BarrierWaitResult::is_leader).
    ///
    /// **Not cancel-safe:** a dropped `wait` still counts as arrived for the current round
    /// (as in tokio and async-lock); do not race it against a timeout unless the whole group
    /// gives up.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let b = anyrt::sync::Barrier::new(1);
    ///     assert!(b.wait().await.is_leader());
    /// });
    /// ```
    pub async fn wait(&self) -> BarrierWaitResult {
        BarrierWaitResult {
            leader: self.arrive().await,
        }
    }

    /// Waits until `n` parties are waiting, blocking the thread.
    ///
    /// # Panics
    ///
    /// Inside async code anyrt can see (an anyrt task or `block_on`, a tokio runtime, an
    /// async-std task) (the message names `spawn_blocking`); use `wait().await` there.
    ///
    /// ```
    /// let b = anyrt::sync::Barrier::new(1);
    /// assert!(b.wait_blocking().is_leader());
    /// ```
    #[track_caller]
    pub fn wait_blocking(&self) -> BarrierWaitResult {
        assert_can_block("anyrt::sync::Barrier::wait_blocking");
        BarrierWaitResult {
            leader: park_on(self.arrive()),
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").finish_non_exhaustive()
    }
}

/// What [`Barrier::wait`] returns.
///
/// ```
/// let r: anyrt::sync::BarrierWaitResult = anyrt::sync::Barrier::new(1).wait_blocking();
/// assert!(r.is_leader());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// Whether this party is the round's leader (exactly one per round).
    ///
    /// ```
    /// assert!(anyrt::sync::Barrier::new(1).wait_blocking().is_leader());
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}
