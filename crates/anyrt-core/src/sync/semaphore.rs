use std::fmt;
use std::sync::Arc;

use crate::channel::{assert_can_block, park_on};

/// A counting semaphore: at most N permits out at once. The usual tool to cap concurrency
/// (requests in flight, open files).
///
/// Built on `tokio::sync::Semaphore` (tokio's `sync` feature only: no runtime in it), which
/// is fair: permits go to waiters in the order they asked.
///
/// ```
/// anyrt::block_on(async {
///     let sem = anyrt::sync::Semaphore::new(2);
///     let a = sem.acquire().await.unwrap();
///     let b = sem.acquire().await.unwrap();
///     assert!(sem.try_acquire().is_err());
///     drop(a);
///     assert!(sem.try_acquire().is_ok());
///     # drop(b);
/// });
/// ```
pub struct Semaphore {
    inner: tokio::sync::Semaphore,
}

impl Semaphore {
    /// Creates a semaphore with `permits` permits. Usable in a `static`.
    ///
    /// # Panics
    ///
    /// If `permits` is more than [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// static LIMIT: anyrt::sync::Semaphore = anyrt::sync::Semaphore::new(4);
    /// assert_eq!(LIMIT.available_permits(), 4);
    /// ```
    pub const fn new(permits: usize) -> Self {
        Semaphore {
            inner: tokio::sync::Semaphore::const_new(permits),
        }
    }

    /// The most permits a semaphore can hold (`usize::MAX >> 3`).
    pub const MAX_PERMITS: usize = tokio::sync::Semaphore::MAX_PERMITS;

    /// Takes a permit, waiting while none is available. The permit returns when the
    /// [`SemaphorePermit`] is dropped. Fails once the semaphore is [closed](Self::close),
    /// also for an acquire already waiting.
    ///
    /// **Cancel-safe:** if the future is dropped before it completes, no permit is taken.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let sem = anyrt::sync::Semaphore::new(1);
    ///     let permit = sem.acquire().await.unwrap();
    ///     assert_eq!(sem.available_permits(), 0);
    ///     drop(permit);
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        crate::coop::step_unless_tokio().await;
        match self.inner.acquire().await {
            Ok(inner) => Ok(SemaphorePermit { inner }),
            Err(_) => Err(AcquireError(())),
        }
    }

    /// Takes a permit if one is available right now.
    ///
    /// ```
    /// let sem = anyrt::sync::Semaphore::new(0);
    /// assert!(sem.try_acquire().unwrap_err().is_no_permits());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.inner
            .try_acquire()
            .map(|inner| SemaphorePermit { inner })
            .map_err(TryAcquireError::from_tokio)
    }

    /// Takes a permit, blocking the thread while none is available. Fails once the semaphore
    /// is closed.
    ///
    /// # Panics
    ///
    /// Inside async code anyrt can see (an anyrt task or `block_on`, a tokio runtime, an
    /// async-std task): the message names `spawn_blocking`; use `acquire().await` there.
    ///
    /// ```
    /// let sem = anyrt::sync::Semaphore::new(1);
    /// let _p = sem.acquire_blocking().unwrap();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    #[track_caller]
    pub fn acquire_blocking(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        assert_can_block("anyrt::sync::Semaphore::acquire_blocking");
        park_on(self.acquire())
    }

    /// Takes a permit that owns a reference to the semaphore, so it can move into a
    /// spawned task. Waits while none is available.
    ///
    /// **Cancel-safe:** if the future is dropped before it completes, no permit is taken.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     use std::sync::Arc;
    ///
    ///     let sem = Arc::new(anyrt::sync::Semaphore::new(1));
    ///     let permit = sem.acquire_arc().await.unwrap();
    ///     std::thread::spawn(move || drop(permit)).join().unwrap();
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire_arc(self: &Arc<Self>) -> Result<SemaphorePermitArc, AcquireError> {
        self.acquire().await?.inner.forget();
        Ok(SemaphorePermitArc {
            sem: Some(self.clone()),
        })
    }

    /// Takes an owned permit (see [`acquire_arc`](Self::acquire_arc)) if one is available
    /// right now.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let sem = Arc::new(anyrt::sync::Semaphore::new(1));
    /// let p = sem.try_acquire_arc().unwrap();
    /// assert!(sem.try_acquire_arc().is_err());
    /// drop(p);
    /// ```
    pub fn try_acquire_arc(self: &Arc<Self>) -> Result<SemaphorePermitArc, TryAcquireError> {
        self.try_acquire()?.inner.forget();
        Ok(SemaphorePermitArc {
            sem: Some(self.clone()),
        })
    }

    /// [`acquire_arc`](Self::acquire_arc) under tokio's name and receiver (the `Arc` by
    /// value), so that a port from `tokio::sync` is a rename.
    ///
    /// **Cancel-safe**, as `acquire_arc`.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     use anyrt::sync::{OwnedSemaphorePermit, Semaphore};
    ///     use std::sync::Arc;
    ///
    ///     let sem = Arc::new(Semaphore::new(1));
    ///     let permit: OwnedSemaphorePermit = sem.clone().acquire_owned().await.unwrap();
    ///     assert!(sem.clone().try_acquire_owned().is_err());
    ///     drop(permit);
    ///     assert!(sem.try_acquire_owned().is_ok());
    /// });
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_arc().await
    }

    /// [`try_acquire_arc`](Self::try_acquire_arc) under tokio's name and receiver.
    ///
    /// # Errors
    ///
    /// As `try_acquire_arc`.
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_arc()
    }

    /// Closes the semaphore: every acquire waiting now, and every later one, fails with
    /// [`AcquireError`]. Permits already taken stay valid; [`add_permits`](Self::add_permits)
    /// still counts, but nobody can take them. A connection pool closes its semaphore to
    /// turn its waiters away at shutdown.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let sem = anyrt::sync::Semaphore::new(1);
    ///     let held = sem.acquire().await.unwrap();
    ///     sem.close();
    ///     assert!(sem.is_closed());
    ///     assert!(sem.acquire().await.is_err());
    ///     assert!(sem.try_acquire().unwrap_err().is_closed());
    ///     drop(held); // still a valid permit until here
    /// });
    /// ```
    pub fn close(&self) {
        self.inner.close();
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// let sem = anyrt::sync::Semaphore::new(1);
    /// assert!(!sem.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Adds `n` permits.
    ///
    /// ```
    /// let sem = anyrt::sync::Semaphore::new(0);
    /// sem.add_permits(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.inner.add_permits(n)
    }

    /// The number of permits available right now.
    ///
    /// ```
    /// assert_eq!(anyrt::sync::Semaphore::new(3).available_permits(), 3);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.inner.available_permits()
    }
}

/// The error of an acquire on a [closed](Semaphore::close) semaphore.
///
/// ```
/// let sem = anyrt::sync::Semaphore::new(1);
/// sem.close();
/// let err = anyrt::block_on(sem.acquire()).unwrap_err();
/// assert_eq!(err.to_string(), "the semaphore is closed: it gives no more permits");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the semaphore is closed: it gives no more permits")
    }
}

impl std::error::Error for AcquireError {}

/// The error of [`Semaphore::try_acquire`]: no permit right now, or the semaphore is closed.
///
/// ```
/// let sem = anyrt::sync::Semaphore::new(0);
/// let err = sem.try_acquire().unwrap_err();
/// assert!(err.is_no_permits() && !err.is_closed());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryAcquireError {
    /// The semaphore is closed.
    Closed,
    /// No permit is available right now.
    NoPermits,
}

impl TryAcquireError {
    fn from_tokio(e: tokio::sync::TryAcquireError) -> Self {
        match e {
            tokio::sync::TryAcquireError::Closed => TryAcquireError::Closed,
            tokio::sync::TryAcquireError::NoPermits => TryAcquireError::NoPermits,
        }
    }

    /// Whether the semaphore is closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, TryAcquireError::Closed)
    }

    /// Whether no permit was available.
    pub fn is_no_permits(&self) -> bool {
        matches!(self, TryAcquireError::NoPermits)
    }
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => {
                f.write_str("the semaphore is closed: it gives no more permits")
            }
            TryAcquireError::NoPermits => f.write_str("no permit is available right now"),
        }
    }
}

impl std::error::Error for TryAcquireError {}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available_permits", &self.available_permits())
            .finish()
    }
}

/// A permit of a [`Semaphore`], returned when dropped.
///
/// ```
/// anyrt::block_on(async {
///     let sem = anyrt::sync::Semaphore::new(1);
///     let p: anyrt::sync::SemaphorePermit<'_> = sem.acquire().await.unwrap();
///     p.forget();
///     assert_eq!(sem.available_permits(), 0);
/// });
/// ```
pub struct SemaphorePermit<'a> {
    inner: tokio::sync::SemaphorePermit<'a>,
}

impl SemaphorePermit<'_> {
    /// Consumes the permit without returning it: the semaphore has one permit fewer for
    /// good.
    ///
    /// ```
    /// let sem = anyrt::sync::Semaphore::new(1);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget(self) {
        self.inner.forget()
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").finish_non_exhaustive()
    }
}

/// A permit of an `Arc<Semaphore>`, returned when dropped. `'static`, so it can move into a
/// spawned task. Made by [`Semaphore::acquire_arc`].
///
/// ```
/// use std::sync::Arc;
///
/// let sem = Arc::new(anyrt::sync::Semaphore::new(1));
/// let p: anyrt::sync::SemaphorePermitArc = sem.try_acquire_arc().unwrap();
/// drop(p);
/// assert_eq!(sem.available_permits(), 1);
/// ```
pub struct SemaphorePermitArc {
    sem: Option<Arc<Semaphore>>,
}

/// tokio's name for [`SemaphorePermitArc`] (what [`Semaphore::acquire_owned`] gives).
pub type OwnedSemaphorePermit = SemaphorePermitArc;

impl SemaphorePermitArc {
    /// Consumes the permit without returning it.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let sem = Arc::new(anyrt::sync::Semaphore::new(1));
    /// sem.try_acquire_arc().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.sem = None;
    }
}

impl Drop for SemaphorePermitArc {
    fn drop(&mut self) {
        if let Some(sem) = self.sem.take() {
            sem.inner.add_permits(1);
        }
    }
}

impl fmt::Debug for SemaphorePermitArc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermitArc").finish_non_exhaustive()
    }
}
