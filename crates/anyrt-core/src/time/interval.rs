use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{Instant, Timer};

/// What an [`Interval`] does when ticks were missed (the consumer fell behind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MissedTickBehavior {
    /// Fire the missed ticks at once, one after the other, until caught up (the default, as
    /// in tokio).
    #[default]
    Burst,
    /// Fire once now, then every period from now on: the schedule shifts.
    Delay,
    /// Fire once now, then at the next tick of the original schedule.
    Skip,
}

/// Ticks every period; the first tick completes at once.
///
/// Made by `anyrt::time::interval`. `tick()` is cancel-safe: dropping it does not lose a tick.
pub struct Interval<T: Timer> {
    timer: T,
    period: Duration,
    next: Instant,
    behavior: MissedTickBehavior,
    sleep: Option<Pin<Box<T::Sleep>>>,
}

impl<T: Timer> Interval<T> {
    /// An interval of `period` on `timer`, first tick at `start`.
    ///
    /// # Panics
    ///
    /// If `period` is zero.
    #[track_caller]
    pub fn new_at(timer: T, start: Instant, period: Duration) -> Self {
        assert!(
            !period.is_zero(),
            "anyrt::time::interval: the period must be greater than zero (got Duration::ZERO)"
        );
        Interval {
            timer,
            period,
            next: start,
            behavior: MissedTickBehavior::default(),
            sleep: None,
        }
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The behaviour on missed ticks.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.behavior
    }

    /// Sets the behaviour on missed ticks.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.behavior = behavior;
    }

    /// Restarts the schedule: the next tick is one period from now.
    pub fn reset(&mut self) {
        self.next = super::deadline_after(self.timer.now(), self.period);
        self.sleep = None;
    }

    /// Polls for the next tick, giving the instant it was scheduled for.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let now = self.timer.now();
        if now < self.next {
            let next = self.next;
            let timer = &self.timer;
            let sleep = self
                .sleep
                .get_or_insert_with(|| Box::pin(timer.sleep_until(next)));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        self.sleep = None;
        let scheduled = self.next;
        let now = self.timer.now();
        self.next = match self.behavior {
            MissedTickBehavior::Burst => super::deadline_after(scheduled, self.period),
            _ if now.saturating_duration_since(scheduled) < self.period => {
                super::deadline_after(scheduled, self.period)
            }
            MissedTickBehavior::Delay => super::deadline_after(now, self.period),
            MissedTickBehavior::Skip => {
                let behind = now.saturating_duration_since(scheduled).as_nanos();
                let period = self.period.as_nanos();
                let skipped = behind / period + 1;
                let step = self
                    .period
                    .saturating_mul(u32::try_from(skipped).unwrap_or(u32::MAX));
                super::deadline_after(scheduled, step)
            }
        };
        Poll::Ready(scheduled)
    }

    /// Waits for the next tick, giving the instant it was scheduled for. Cancel-safe.
    pub fn tick(&mut self) -> Tick<'_, T> {
        Tick { interval: self }
    }
}

impl<T: Timer> fmt::Debug for Interval<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("period", &self.period)
            .field("next", &self.next)
            .field("missed_tick_behavior", &self.behavior)
            .finish()
    }
}

impl<T: Timer> Unpin for Interval<T> {}

impl<T: Timer> futures_core::Stream for Interval<T> {
    type Item = Instant;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}

/// The future of [`Interval::tick`].
#[must_use = "futures do nothing unless awaited"]
pub struct Tick<'a, T: Timer> {
    interval: &'a mut Interval<T>,
}

impl<T: Timer> Future for Tick<'_, T> {
    type Output = Instant;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        self.interval.poll_tick(cx)
    }
}

impl<T: Timer> fmt::Debug for Tick<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tick").finish_non_exhaustive()
    }
}
