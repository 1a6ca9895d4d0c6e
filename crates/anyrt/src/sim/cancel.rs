//! A cancellation-safety checker (feature `sim`): drops an operation at each of its await
//! points in turn, under the simulation, and checks an invariant after each drop.
//!
//! A future dropped at an `.await` loses whatever it held there: bytes read into a local
//! buffer, a message taken from a channel and not yet returned, a half-done update. The
//! compiler does not see it, and a test that never cancels never finds it. [`CancelCheck`]
//! does what a `select!` or a timeout does, at every point:
//!
//! 1. it runs `setup`, then the operation to its end, counting the times the operation's
//!    future returned `Pending` (`n`), then `after` (the follow-up and the invariant);
//! 2. for each `k` in `1..=n`, in a fresh simulation with the same seed (so the run is the
//!    same up to the drop), it runs `setup`, polls the operation until its `k`-th `Pending`,
//!    drops it there, and runs `after`.
//!
//! `after` panics (an `assert!`) when the invariant does not hold; a follow-up that waits
//! more than a minute of virtual time fails too (something waits for what the dropped
//! operation took). Several seeds give several interleavings of the operation with the
//! tasks `setup` spawned. A failure names the seed and `k`, and [`CancelCheck::only`]
//! replays it.
//!
//! ```
//! use anyrt::sim::cancel::CancelCheck;
//!
//! struct State {
//!     rx: anyrt::channel::Receiver<u32>,
//!     got: Vec<u32>,
//! }
//!
//! // Is `recv` cancel-safe: does a dropped `recv` never lose a message?
//! let report = CancelCheck::seeds(4)
//!     .run(
//!         async || {
//!             let (tx, rx) = anyrt::channel::bounded(2);
//!             anyrt::spawn(async move {
//!                 for i in 0..6 {
//!                     tx.send(i).await.unwrap();
//!                 }
//!             });
//!             State { rx, got: Vec::new() }
//!         },
//!         // The operation: take three messages.
//!         async |s: &mut State| {
//!             for _ in 0..3 {
//!                 let v = s.rx.recv().await.unwrap();
//!                 s.got.push(v);
//!             }
//!         },
//!         // The follow-up and the invariant: every message arrives once, in order.
//!         async |s: &mut State| {
//!             while let Ok(v) = s.rx.recv().await {
//!                 s.got.push(v);
//!             }
//!             assert_eq!(s.got, [0, 1, 2, 3, 4, 5]);
//!         },
//!     )
//!     .unwrap();
//! assert!(report.cuts > 0);
//! ```

use std::any::Any;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use crate::{Backend, Runtime};

/// How long `after` may take, in virtual time, before the check fails.
const FOLLOW_UP_LIMIT: Duration = Duration::from_secs(60);

/// A cancellation-safety check: which seeds, and which drop points (all unless
/// [`only`](Self::only)).
#[derive(Debug, Clone)]
pub struct CancelCheck {
    first_seed: u64,
    seeds: u64,
    only: Option<usize>,
}

/// What a passing check covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CancelReport {
    /// The seeds run.
    pub seeds: u64,
    /// The drops checked, over every seed (the await points of each seed's run).
    pub cuts: usize,
}

/// A check that failed: the seed, where the operation was dropped, and the panic.
#[derive(Debug)]
pub struct CancelFailure {
    seed: u64,
    cut: Option<usize>,
    pendings: usize,
    message: String,
}

impl CancelFailure {
    /// The seed of the failing run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// After which `Pending` of the operation it was dropped (`k`, from 1); `None`: it ran
    /// to its end, and the invariant failed all the same.
    pub fn cut(&self) -> Option<usize> {
        self.cut
    }

    /// How many times the operation returned `Pending` when it ran to its end, at this seed.
    pub fn pendings(&self) -> usize {
        self.pendings
    }

    /// The panic message of `after` (or of the operation).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for CancelFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cut {
            Some(k) => write!(
                f,
                "not cancel-safe: dropped after its {} `Pending` (of {}), at seed {}, the \
                 follow-up failed: {}\nReplay it with CancelCheck::only({}, {}).run(..)",
                ordinal(k),
                self.pendings,
                self.seed,
                self.message,
                self.seed,
                k
            ),
            None => write!(
                f,
                "the invariant fails with no cancellation at all (seed {}): {}",
                self.seed, self.message
            ),
        }
    }
}

impl std::error::Error for CancelFailure {}

fn ordinal(k: usize) -> String {
    let suffix = match (k % 10, k % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{k}{suffix}")
}

impl CancelCheck {
    /// Seeds `0..n` (each gives one interleaving of the operation with `setup`'s tasks).
    ///
    /// # Panics
    ///
    /// With `n == 0`.
    pub fn seeds(n: u64) -> CancelCheck {
        assert!(n > 0, "CancelCheck::seeds(0): check at least one seed");
        CancelCheck {
            first_seed: 0,
            seeds: n,
            only: None,
        }
    }

    /// Starts at `seed` instead of 0.
    pub fn first_seed(mut self, seed: u64) -> CancelCheck {
        self.first_seed = seed;
        self
    }

    /// Only the drop after the `k`-th `Pending` at `seed`: a failure's replay, with the
    /// panic's output not silenced.
    pub fn only(seed: u64, k: usize) -> CancelCheck {
        CancelCheck {
            first_seed: seed,
            seeds: 1,
            only: Some(k),
        }
    }

    /// Runs the check: see the module's docs.
    ///
    /// # Errors
    ///
    /// The first failing seed and drop point.
    ///
    /// # Panics
    ///
    /// Without the `sim` backend compiled in (it is: this module exists only with it).
    pub fn run<S, Setup, Op, After>(
        &self,
        setup: Setup,
        op: Op,
        after: After,
    ) -> Result<CancelReport, CancelFailure>
    where
        Setup: AsyncFn() -> S,
        Op: AsyncFn(&mut S),
        After: AsyncFn(&mut S),
    {
        let mut cuts = 0;
        for seed in self.first_seed..self.first_seed + self.seeds {
            let fail = |cut, pendings, payload: Box<dyn Any + Send>| CancelFailure {
                seed,
                cut,
                pendings,
                message: payload_text(&*payload),
            };
            if let Some(k) = self.only {
                let full = once(seed, None, &setup, &op, &after).map_err(|p| fail(None, 0, p))?;
                once(seed, Some(k), &setup, &op, &after).map_err(|p| fail(Some(k), full, p))?;
                cuts += 1;
                continue;
            }
            cuts += quiet(|| {
                let full = once(seed, None, &setup, &op, &after).map_err(|p| fail(None, 0, p))?;
                for k in 1..=full {
                    once(seed, Some(k), &setup, &op, &after).map_err(|p| fail(Some(k), full, p))?;
                }
                Ok(full)
            })?;
        }
        Ok(CancelReport {
            seeds: self.seeds,
            cuts,
        })
    }
}

/// One run at `seed`: the operation dropped at its `cut`-th `Pending` (or run to its end);
/// how many `Pending`s it returned, or the panic.
fn once<S, Setup, Op, After>(
    seed: u64,
    cut: Option<usize>,
    setup: &Setup,
    op: &Op,
    after: &After,
) -> Result<usize, Box<dyn Any + Send>>
where
    Setup: AsyncFn() -> S,
    Op: AsyncFn(&mut S),
    After: AsyncFn(&mut S),
{
    let rt = Runtime::builder(Backend::Sim)
        .seed(seed)
        .build()
        .expect("a simulation starts");
    panic::catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            let mut state = setup().await;
            let mut pendings = 0;
            {
                let mut fut = pin!(op(&mut state));
                poll_fn(|cx| match fut.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(()),
                    Poll::Pending => {
                        pendings += 1;
                        if Some(pendings) == cut {
                            Poll::Ready(()) // the operation is dropped here
                        } else {
                            Poll::Pending
                        }
                    }
                })
                .await;
            }
            let follow_up = crate::time::timeout(FOLLOW_UP_LIMIT, after(&mut state)).await;
            assert!(
                follow_up.is_ok(),
                "the follow-up did not finish within {} s of virtual time: it waits for \
                 something the dropped operation took or left half done",
                FOLLOW_UP_LIMIT.as_secs()
            );
            pendings
        })
    }))
}

fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a payload that is not a string".to_owned()
    }
}

/// Runs `f` with panic output silenced (the search's own failures would drown the report).
fn quiet<R>(f: impl FnOnce() -> R) -> R {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let out = f();
    panic::set_hook(hook);
    out
}
