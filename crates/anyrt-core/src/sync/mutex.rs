use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::channel::{assert_can_block, park_on};

/// An async mutex: waiting for it suspends the task instead of blocking the thread, and its
/// guard may be held across `.await`.
///
/// Prefer `std::sync::Mutex` for short critical sections that never await while holding
/// the lock (see the [module docs](super)). Built on `tokio::sync::Mutex` (tokio's `sync`
/// feature only: no runtime in it), which is fair: waiters get the lock in the order they
/// asked.
///
/// ```
/// anyrt::block_on(async {
///     let m = anyrt::sync::Mutex::new(1);
///     *m.lock().await += 1;
///     assert_eq!(*m.lock().await, 2);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    inner: tokio::sync::Mutex<T>,
}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `value`. Usable in a `static`.
    ///
    /// ```
    /// static COUNT: anyrt::sync::Mutex<u32> = anyrt::sync::Mutex::new(0);
    /// assert_eq!(*COUNT.try_lock().unwrap(), 0);
    /// ```
    pub const fn new(value: T) -> Self {
        Mutex {
            inner: tokio::sync::Mutex::const_new(value),
        }
    }

    /// Consumes the mutex and returns the value.
    ///
    /// ```
    /// assert_eq!(anyrt::sync::Mutex::new(5).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, waiting while another holder has it.
    ///
    /// **Cancel-safe:** if the future is dropped before it completes, the lock is not held
    /// and the next waiter is not skipped.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let m = anyrt::sync::Mutex::new(String::new());
    ///     m.lock().await.push('a');
    ///     assert_eq!(*m.lock().await, "a");
    /// });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        crate::coop::step_unless_tokio().await;
        MutexGuard {
            inner: self.inner.lock().await,
        }
    }

    /// Locks the mutex if it is free right now.
    ///
    /// ```
    /// let m = anyrt::sync::Mutex::new(0);
    /// let g = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_none());
    /// drop(g);
    /// assert!(m.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.inner.try_lock().ok().map(|inner| MutexGuard { inner })
    }

    /// Locks the mutex, blocking the thread while another holder has it.
    ///
    /// # Panics
    ///
    /// Inside async code anyrt can see (an anyrt task or `block_on`, a tokio runtime, an
    /// async-std task) (the message names `spawn_blocking`); use `lock().await` there.
    ///
    /// ```
    /// let m = anyrt::sync::Mutex::new(0);
    /// *m.lock_blocking() += 1;
    /// assert_eq!(*m.lock_blocking(), 1);
    /// ```
    #[track_caller]
    pub fn lock_blocking(&self) -> MutexGuard<'_, T> {
        assert_can_block("anyrt::sync::Mutex::lock_blocking");
        MutexGuard {
            inner: park_on(self.inner.lock()),
        }
    }

    /// A mutable reference to the value: no locking needed, the borrow proves exclusivity.
    ///
    /// ```
    /// let mut m = anyrt::sync::Mutex::new(0);
    /// *m.get_mut() = 3;
    /// assert_eq!(m.into_inner(), 3);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: fmt::Debug + ?Sized> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_lock() {
            Some(g) => f.debug_struct("Mutex").field("data", &&*g).finish(),
            None => f.write_str("Mutex { <locked> }"),
        }
    }
}

/// Exclusive access to a [`Mutex`]'s value; the lock is released when it is dropped.
///
/// ```
/// anyrt::block_on(async {
///     let m = anyrt::sync::Mutex::new(vec![1]);
///     let mut g: anyrt::sync::MutexGuard<'_, Vec<i32>> = m.lock().await;
///     g.push(2);
/// });
/// ```
pub struct MutexGuard<'a, T: ?Sized> {
    inner: tokio::sync::MutexGuard<'a, T>,
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: fmt::Debug + ?Sized> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display + ?Sized> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
