use std::fmt;

use crate::channel::assert_can_block;

/// Makes `n` tasks wait for each other: each [`wait`](Self::wait) returns once `n` have
/// called it, then the barrier can be used again.
///
/// Built on `async_lock::Barrier`.
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
    inner: async_lock::Barrier,
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
            inner: async_lock::Barrier::new(n),
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
            leader: self.inner.wait().await.is_leader(),
        }
    }

    /// Waits until `n` parties are waiting, blocking the thread.
    ///
    /// # Panics
    ///
    /// Inside an async task or `block_on` of an anyrt runtime (the message names
    /// `spawn_blocking`); use `wait().await` there.
    ///
    /// ```
    /// let b = anyrt::sync::Barrier::new(1);
    /// assert!(b.wait_blocking().is_leader());
    /// ```
    #[track_caller]
    pub fn wait_blocking(&self) -> BarrierWaitResult {
        assert_can_block("anyrt::sync::Barrier::wait_blocking");
        BarrierWaitResult {
            leader: self.inner.wait_blocking().is_leader(),
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
