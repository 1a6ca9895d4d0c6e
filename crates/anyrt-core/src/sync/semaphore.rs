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
///     let a = sem.acquire().await;
///     let b = sem.acquire().await;
///     assert!(sem.try_acquire().is_none());
///     drop(a);
///     assert!(sem.try_acquire().is_some());
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

    /// A permit of the inner semaphore; it is never closed.
    async fn take(&self) -> tokio::sync::SemaphorePermit<'_> {
        match self.inner.acquire().await {
            Ok(permit) => permit,
            Err(_) => unreachable!("anyrt::sync::Semaphore is never closed"),
        }
    }

    /// Takes a permit, waiting while none is available. The permit returns when the
    /// [`SemaphorePermit`] is dropped.
    ///
    /// **Cancel-safe:** if the future is dropped before it completes, no permit is taken.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let sem = anyrt::sync::Semaphore::new(1);
    ///     let permit = sem.acquire().await;
    ///     assert_eq!(sem.available_permits(), 0);
    ///     drop(permit);
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire(&self) -> SemaphorePermit<'_> {
        SemaphorePermit {
            inner: self.take().await,
        }
    }

    /// Takes a permit if one is available right now.
    ///
    /// ```
    /// let sem = anyrt::sync::Semaphore::new(0);
    /// assert!(sem.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.inner
            .try_acquire()
            .ok()
            .map(|inner| SemaphorePermit { inner })
    }

    /// Takes a permit, blocking the thread while none is available.
    ///
    /// # Panics
    ///
    /// Inside async code anyrt can see (an anyrt task or `block_on`, a tokio runtime, an
    /// async-std task) (the message names `spawn_blocking`); use `acquire().await` there.
    ///
    /// ```
    /// let sem = anyrt::sync::Semaphore::new(1);
    /// let _p = sem.acquire_blocking();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    #[track_caller]
    pub fn acquire_blocking(&self) -> SemaphorePermit<'_> {
        assert_can_block("anyrt::sync::Semaphore::acquire_blocking");
        SemaphorePermit {
            inner: park_on(self.take()),
        }
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
    ///     let permit = sem.acquire_arc().await;
    ///     std::thread::spawn(move || drop(permit)).join().unwrap();
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire_arc(self: &Arc<Self>) -> SemaphorePermitArc {
        self.acquire().await.inner.forget();
        SemaphorePermitArc {
            sem: Some(self.clone()),
        }
    }

    /// Takes an owned permit (see [`acquire_arc`](Self::acquire_arc)) if one is available
    /// right now.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let sem = Arc::new(anyrt::sync::Semaphore::new(1));
    /// let p = sem.try_acquire_arc().unwrap();
    /// assert!(sem.try_acquire_arc().is_none());
    /// drop(p);
    /// ```
    pub fn try_acquire_arc(self: &Arc<Self>) -> Option<SemaphorePermitArc> {
        let permit = self.inner.try_acquire().ok()?;
        permit.forget();
        Some(SemaphorePermitArc {
            sem: Some(self.clone()),
        })
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
///     let p: anyrt::sync::SemaphorePermit<'_> = sem.acquire().await;
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
