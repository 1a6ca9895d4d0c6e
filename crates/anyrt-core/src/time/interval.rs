use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{Instant, Timer};

/// What an [`Interval`] does when ticks were missed (the consumer fell behind).
///
/// With a period of 10 ms and a consumer that comes back 35 ms after the tick at 0 ms, the
/// ticks complete at these times (the value each gives is the time it was scheduled for):
///
/// | behaviour | ticks complete at |
/// |---|---|
/// | `Burst` | 35, 35, 35 (for 10, 20, 30), then 40, 50, ... |
/// | `Delay` | 35, then 45, 55, ... |
/// | `Skip` | 35, then 40, 50, ... |
///
/// ```
/// use anyrt::time::MissedTickBehavior;
/// use std::time::Duration;
///
/// let mut iv = anyrt::time::interval(Duration::from_millis(10));
/// assert_eq!(iv.missed_tick_behavior(), MissedTickBehavior::Burst); // the default
/// iv.set_missed_tick_behavior(MissedTickBehavior::Skip);
/// ```
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
/// It is also a `Stream` of the instants the ticks were scheduled for.
///
/// ```
/// use std::time::Duration;
///
/// anyrt::block_on(async {
///     let start = anyrt::time::Instant::now();
///     let mut iv = anyrt::time::interval(Duration::from_millis(5));
///     for _ in 0..3 {
///         iv.tick().await; // at 0, 5 and 10 ms
///     }
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
pub struct Interval<T: Timer> {
    timer: T,
    period: Duration,
    next: Instant,
    behavior: MissedTickBehavior,
    sleep: Option<Pin<Box<T::Sleep>>>,
}

impl<T: Timer> Interval<T> {
    /// An interval of `period` on `timer`, first tick at `start`. For backends; code on
    /// anyrt calls `anyrt::time::interval` or `interval_at`.
    ///
    /// # Panics
    ///
    /// If `period` is zero.
    ///
    /// ```
    /// use anyrt_core::time::{Instant, Interval, Timer};
    /// use std::cell::Cell;
    /// use std::future::{ready, Ready};
    /// use std::time::Duration;
    ///
    /// // A virtual clock: a sleep moves the clock to its deadline, at once.
    /// struct Virtual(Cell<Instant>);
    ///
    /// impl Timer for &Virtual {
    ///     type Sleep = Ready<()>;
    ///     fn now(&self) -> Instant {
    ///         self.0.get()
    ///     }
    ///     fn sleep_until(&self, deadline: Instant) -> Ready<()> {
    ///         self.0.set(self.0.get().max(deadline));
    ///         ready(())
    ///     }
    /// }
    ///
    /// let clock = Virtual(Cell::new(Instant::now()));
    /// let start = clock.0.get();
    /// let hour = Duration::from_secs(3600);
    /// let mut iv = Interval::new_at(&clock, start, hour);
    /// futures_lite::future::block_on(async {
    ///     assert_eq!(iv.tick().await, start);
    ///     assert_eq!(iv.tick().await, start + hour); // an hour later, in no time
    /// });
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let iv = anyrt::time::interval(Duration::from_millis(250));
    /// assert_eq!(iv.period(), Duration::from_millis(250));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The behaviour on missed ticks.
    ///
    /// ```
    /// use anyrt::time::MissedTickBehavior;
    /// use std::time::Duration;
    ///
    /// let iv = anyrt::time::interval(Duration::from_secs(1));
    /// assert_eq!(iv.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.behavior
    }

    /// Sets the behaviour on missed ticks.
    ///
    /// ```
    /// use anyrt::time::MissedTickBehavior;
    /// use std::time::Duration;
    ///
    /// // A heartbeat that, after a stall, sends one beat and keeps its original rhythm.
    /// let mut heartbeat = anyrt::time::interval(Duration::from_secs(1));
    /// heartbeat.set_missed_tick_behavior(MissedTickBehavior::Skip);
    /// assert_eq!(heartbeat.missed_tick_behavior(), MissedTickBehavior::Skip);
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.behavior = behavior;
    }

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// anyrt::block_on(async {
    ///     let period = Duration::from_millis(10);
    ///     let mut iv = anyrt::time::interval(period);
    ///     iv.tick().await; // immediate
    ///     let before = anyrt::time::Instant::now();
    ///     iv.reset(); // e.g. activity seen: postpone the next idle check
    ///     iv.tick().await;
    ///     assert!(before.elapsed() >= period);
    /// });
    /// ```
    pub fn reset(&mut self) {
        self.next = super::deadline_after(self.timer.now(), self.period);
        self.sleep = None;
    }

    /// Polls for the next tick, giving the instant it was scheduled for: for a hand-written
    /// `Future` or `Stream`.
    ///
    /// ```
    /// use std::task::{Context, Waker};
    /// use std::time::Duration;
    ///
    /// let mut iv = anyrt::time::interval(Duration::from_secs(60));
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(iv.poll_tick(&mut cx).is_ready()); // the first tick is immediate
    /// assert!(iv.poll_tick(&mut cx).is_pending()); // the next is a minute away
    /// ```
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

    /// Waits for the next tick, giving the instant it was scheduled for. Cancel-safe: a
    /// `tick()` dropped before it completes (the losing branch of a select, a timeout) loses
    /// no tick.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// anyrt::block_on(async {
    ///     let mut iv = anyrt::time::interval(Duration::from_millis(50));
    ///     let first = iv.tick().await;
    ///     // Give up waiting for the next tick...
    ///     let early = anyrt::time::timeout(Duration::from_millis(1), iv.tick()).await;
    ///     assert!(early.is_err());
    ///     // ...and it is still there, on schedule.
    ///     assert_eq!(iv.tick().await - first, Duration::from_millis(50));
    /// });
    /// ```
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

/// The future of [`Interval::tick`]: gives the instant the tick was scheduled for.
/// Cancel-safe.
///
/// ```
/// use std::time::Duration;
///
/// anyrt::block_on(async {
///     let mut iv = anyrt::time::interval(Duration::from_millis(1));
///     let tick = iv.tick(); // borrows the interval until it completes
///     let at = tick.await;
///     assert!(at <= anyrt::time::Instant::now());
/// });
/// ```
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
