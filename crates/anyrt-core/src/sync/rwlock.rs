use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::channel::{assert_can_block, park_on};

/// An async reader-writer lock: many readers or one writer, and guards that may be held
/// across `.await`.
///
/// Prefer `std::sync::RwLock` for short critical sections that never await while holding
/// the lock (see the [module docs](super)). Built on `tokio::sync::RwLock` (tokio's `sync`
/// feature only: no runtime in it), which is fair: waiters are served in the order they
/// asked, so once a writer waits, new readers wait behind it and writers are not starved.
///
/// ```
/// anyrt::block_on(async {
///     let lock = anyrt::sync::RwLock::new(5);
///     {
///         let r1 = lock.read().await;
///         let r2 = lock.read().await;
///         assert_eq!(*r1 + *r2, 10);
///     }
///     *lock.write().await += 1;
///     assert_eq!(*lock.read().await, 6);
/// });
/// ```
pub struct RwLock<T: ?Sized> {
    inner: tokio::sync::RwLock<T>,
}

impl<T> RwLock<T> {
    /// Creates an unlocked lock holding `value`. Usable in a `static`.
    ///
    /// ```
    /// static CONFIG: anyrt::sync::RwLock<u32> = anyrt::sync::RwLock::new(0);
    /// assert_eq!(*CONFIG.try_read().unwrap(), 0);
    /// ```
    pub const fn new(value: T) -> Self {
        RwLock {
            inner: tokio::sync::RwLock::const_new(value),
        }
    }

    /// Consumes the lock and returns the value.
    ///
    /// ```
    /// assert_eq!(anyrt::sync::RwLock::new(5).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Acquires shared read access, waiting while a writer holds or waits for the lock.
    ///
    /// **Cancel-safe:** if the future is dropped before it completes, nothing is held.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let lock = anyrt::sync::RwLock::new(1);
    ///     assert_eq!(*lock.read().await, 1);
    /// });
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        crate::coop::step_unless_tokio().await;
        RwLockReadGuard {
            inner: self.inner.read().await,
        }
    }

    /// Acquires exclusive write access, waiting while readers or a writer hold the lock.
    ///
    /// **Cancel-safe:** if the future is dropped before it completes, nothing is held and
    /// readers blocked behind this waiting writer proceed.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let lock = anyrt::sync::RwLock::new(1);
    ///     *lock.write().await = 2;
    ///     assert_eq!(*lock.read().await, 2);
    /// });
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        crate::coop::step_unless_tokio().await;
        RwLockWriteGuard {
            inner: self.inner.write().await,
        }
    }

    /// Acquires read access if it is available right now.
    ///
    /// ```
    /// let lock = anyrt::sync::RwLock::new(1);
    /// let w = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_none());
    /// drop(w);
    /// assert!(lock.try_read().is_some());
    /// ```
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.inner
            .try_read()
            .ok()
            .map(|inner| RwLockReadGuard { inner })
    }

    /// Acquires write access if it is available right now.
    ///
    /// ```
    /// let lock = anyrt::sync::RwLock::new(1);
    /// let r = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_none());
    /// drop(r);
    /// assert!(lock.try_write().is_some());
    /// ```
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.inner
            .try_write()
            .ok()
            .map(|inner| RwLockWriteGuard { inner })
    }

    /// Acquires read access, blocking the thread.
    ///
    /// # Panics
    ///
    /// Inside async code anyrt can see (an anyrt task or `block_on`, a tokio runtime, an
    /// async-std task) (the message names `spawn_blocking`); use `read().await` there.
    ///
    /// ```
    /// let lock = anyrt::sync::RwLock::new(1);
    /// assert_eq!(*lock.read_blocking(), 1);
    /// ```
    #[track_caller]
    pub fn read_blocking(&self) -> RwLockReadGuard<'_, T> {
        assert_can_block("anyrt::sync::RwLock::read_blocking");
        RwLockReadGuard {
            inner: park_on(self.inner.read()),
        }
    }

    /// Acquires write access, blocking the thread.
    ///
    /// # Panics
    ///
    /// Inside async code anyrt can see (an anyrt task or `block_on`, a tokio runtime, an
    /// async-std task) (the message names `spawn_blocking`); use `write().await` there.
    ///
    /// ```
    /// let lock = anyrt::sync::RwLock::new(1);
    /// *lock.write_blocking() = 2;
    /// assert_eq!(*lock.read_blocking(), 2);
    /// ```
    #[track_caller]
    pub fn write_blocking(&self) -> RwLockWriteGuard<'_, T> {
        assert_can_block("anyrt::sync::RwLock::write_blocking");
        RwLockWriteGuard {
            inner: park_on(self.inner.write()),
        }
    }

    /// A mutable reference to the value: no locking needed.
    ///
    /// ```
    /// let mut lock = anyrt::sync::RwLock::new(0);
    /// *lock.get_mut() = 3;
    /// assert_eq!(lock.into_inner(), 3);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: fmt::Debug + ?Sized> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_read() {
            Some(g) => f.debug_struct("RwLock").field("data", &&*g).finish(),
            None => f.write_str("RwLock { <locked> }"),
        }
    }
}

/// Shared read access to an [`RwLock`]'s value, released when dropped.
///
/// ```
/// anyrt::block_on(async {
///     let lock = anyrt::sync::RwLock::new(1);
///     let g: anyrt::sync::RwLockReadGuard<'_, i32> = lock.read().await;
///     assert_eq!(*g, 1);
/// });
/// ```
pub struct RwLockReadGuard<'a, T: ?Sized> {
    inner: tokio::sync::RwLockReadGuard<'a, T>,
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: fmt::Debug + ?Sized> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive write access to an [`RwLock`]'s value, released when dropped.
///
/// ```
/// anyrt::block_on(async {
///     let lock = anyrt::sync::RwLock::new(1);
///     let mut g: anyrt::sync::RwLockWriteGuard<'_, i32> = lock.write().await;
///     *g = 2;
/// });
/// ```
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    inner: tokio::sync::RwLockWriteGuard<'a, T>,
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: fmt::Debug + ?Sized> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
