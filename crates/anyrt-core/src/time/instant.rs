use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

/// A measurement of the clock anyrt's timers run on.
///
/// [`Instant::now`] reads the clock of the backend in effect: the system's monotonic clock
/// on tokio, smol and async-std, a virtual clock where a backend provides one. An `Instant`
/// converts losslessly to and from [`std::time::Instant`]. Take task time from
/// `anyrt::time::Instant::now()` instead of `std::time::Instant::now()`, and code keeps
/// working under a virtual clock.
///
/// ```
/// use anyrt::time::Instant;
/// use std::time::Duration;
///
/// let a = Instant::now();
/// let b = a + Duration::from_millis(5);
/// assert_eq!(b - a, Duration::from_millis(5));
/// let std: std::time::Instant = b.into();
/// assert_eq!(Instant::from(std), b);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(std::time::Instant);

impl Instant {
    /// The current time of the clock of the backend in effect: the
    /// [`Provider::now`](crate::Provider::now) a backend entered on the calling thread (see
    /// [`context::enter_clock`](crate::context::enter_clock): a simulation's virtual clock),
    /// else the system's monotonic clock, every real backend's.
    ///
    /// ```
    /// let start = anyrt::time::Instant::now();
    /// assert!(anyrt::time::Instant::now() >= start);
    /// ```
    #[inline]
    pub fn now() -> Instant {
        match crate::context::clock() {
            Some(clock) => clock(),
            None => Instant::system_now(),
        }
    }

    /// The system's monotonic clock: what every real backend's timers run on. The one place
    /// anyrt reads `std::time::Instant::now()` for task time.
    ///
    /// ```
    /// let t = anyrt::time::Instant::system_now();
    /// assert!(t <= anyrt::time::Instant::system_now());
    /// ```
    #[inline]
    pub fn system_now() -> Instant {
        Instant(std::time::Instant::now())
    }

    /// The `std` instant.
    ///
    /// ```
    /// let i = anyrt::time::Instant::now();
    /// let std: std::time::Instant = i.into_std();
    /// assert_eq!(anyrt::time::Instant::from_std(std), i);
    /// ```
    #[inline]
    pub fn into_std(self) -> std::time::Instant {
        self.0
    }

    /// From a `std` instant.
    ///
    /// ```
    /// let std = std::time::Instant::now();
    /// assert_eq!(anyrt::time::Instant::from_std(std).into_std(), std);
    /// ```
    #[inline]
    pub fn from_std(i: std::time::Instant) -> Instant {
        Instant(i)
    }

    /// Time elapsed since `earlier`, zero if `earlier` is later.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let a = anyrt::time::Instant::now();
    /// let b = a + Duration::from_secs(1);
    /// assert_eq!(b.saturating_duration_since(a), Duration::from_secs(1));
    /// assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
    /// ```
    #[inline]
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// Time elapsed since `earlier`, zero if `earlier` is later (it never panics, unlike
    /// `std`'s before Rust 1.60).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let a = anyrt::time::Instant::now();
    /// let b = a + Duration::from_millis(3);
    /// assert_eq!(b.duration_since(a), Duration::from_millis(3));
    /// assert_eq!(a.duration_since(b), Duration::ZERO);
    /// ```
    #[inline]
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// Time elapsed since `self`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let start = anyrt::time::Instant::now();
    /// std::thread::sleep(Duration::from_millis(2));
    /// assert!(start.elapsed() >= Duration::from_millis(2));
    /// ```
    #[inline]
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// `self + d`, or `None` on overflow.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let now = anyrt::time::Instant::now();
    /// assert!(now.checked_add(Duration::from_secs(1)).is_some());
    /// assert_eq!(now.checked_add(Duration::MAX), None);
    /// ```
    #[inline]
    pub fn checked_add(&self, d: Duration) -> Option<Instant> {
        self.0.checked_add(d).map(Instant)
    }

    /// `self - d`, or `None` on overflow.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let now = anyrt::time::Instant::now();
    /// assert_eq!(now.checked_sub(Duration::ZERO), Some(now));
    /// assert_eq!(now.checked_sub(Duration::MAX), None);
    /// ```
    #[inline]
    pub fn checked_sub(&self, d: Duration) -> Option<Instant> {
        self.0.checked_sub(d).map(Instant)
    }

    /// About thirty years from `self`: the deadline used for sleeps that never end.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let now = anyrt::time::Instant::now();
    /// assert!(now.far_future() - now > Duration::from_secs(86_400 * 365 * 29));
    /// ```
    #[inline]
    pub fn far_future(&self) -> Instant {
        const THIRTY_YEARS: Duration = Duration::from_secs(86_400 * 365 * 30);
        self.checked_add(THIRTY_YEARS).unwrap_or(*self)
    }
}

impl From<std::time::Instant> for Instant {
    #[inline]
    fn from(i: std::time::Instant) -> Self {
        Instant(i)
    }
}

impl From<Instant> for std::time::Instant {
    #[inline]
    fn from(i: Instant) -> Self {
        i.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    #[inline]
    fn add(self, d: Duration) -> Instant {
        Instant(self.0 + d)
    }
}

impl AddAssign<Duration> for Instant {
    #[inline]
    fn add_assign(&mut self, d: Duration) {
        self.0 += d;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    #[inline]
    fn sub(self, d: Duration) -> Instant {
        Instant(self.0 - d)
    }
}

impl SubAssign<Duration> for Instant {
    #[inline]
    fn sub_assign(&mut self, d: Duration) {
        self.0 -= d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    #[inline]
    fn sub(self, other: Instant) -> Duration {
        self.saturating_duration_since(other)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
