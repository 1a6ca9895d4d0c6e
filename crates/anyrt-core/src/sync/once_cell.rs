use std::fmt;
use std::future::Future;
use std::pin::pin;

use tokio::sync::SetError;

/// A cell written once, possibly by async code, then read freely: lazily initialised
/// shared state (a client, a connection pool, a config).
///
/// When several tasks call [`get_or_init`](Self::get_or_init) at once, one runs its
/// initialiser; the others wait for its result.
///
/// Built on `tokio::sync::OnceCell` (tokio's `sync` feature only: no runtime in it).
///
/// ```
/// anyrt::block_on(async {
///     static CONFIG: anyrt::sync::OnceCell<String> = anyrt::sync::OnceCell::new();
///
///     let v = CONFIG.get_or_init(|| async { "loaded".to_string() }).await;
///     assert_eq!(v, "loaded");
///     assert_eq!(CONFIG.get().map(String::as_str), Some("loaded"));
/// });
/// ```
pub struct OnceCell<T> {
    inner: tokio::sync::OnceCell<T>,
    // Notified whenever an initialisation attempt ends (done, failed or cancelled), for
    // `wait` and for a `set` that found one in progress.
    settled: tokio::sync::Notify,
}

/// Notifies a cell's waiters when dropped: at the end of an initialisation attempt.
struct Settle<'a>(&'a tokio::sync::Notify);

impl Drop for Settle<'_> {
    fn drop(&mut self) {
        self.0.notify_waiters();
    }
}

impl<T> OnceCell<T> {
    /// Creates an empty cell. Usable in a `static`.
    ///
    /// ```
    /// let cell = anyrt::sync::OnceCell::<u8>::new();
    /// assert!(cell.get().is_none());
    /// ```
    pub const fn new() -> Self {
        OnceCell {
            inner: tokio::sync::OnceCell::const_new(),
            settled: tokio::sync::Notify::const_new(),
        }
    }

    /// The value, if the cell is initialised.
    ///
    /// ```
    /// let cell = anyrt::sync::OnceCell::from(1);
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.inner.get()
    }

    /// A mutable reference to the value, if initialised.
    ///
    /// ```
    /// let mut cell = anyrt::sync::OnceCell::from(1);
    /// *cell.get_mut().unwrap() = 2;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.inner.get_mut()
    }

    /// Whether the cell holds a value.
    ///
    /// ```
    /// assert!(!anyrt::sync::OnceCell::<u8>::new().is_initialized());
    /// ```
    pub fn is_initialized(&self) -> bool {
        self.inner.initialized()
    }

    /// The value; if the cell is empty, runs `init` to produce it. Concurrent callers wait
    /// for the one initialiser that runs.
    ///
    /// **Cancel-safe:** if the initialising call is dropped before it completes, the cell
    /// stays empty and the next waiting caller runs its own initialiser.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let cell = anyrt::sync::OnceCell::new();
    ///     assert_eq!(*cell.get_or_init(|| async { 1 }).await, 1);
    ///     assert_eq!(*cell.get_or_init(|| async { 2 }).await, 1);
    /// });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, init: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        if let Some(v) = self.inner.get() {
            return v;
        }
        let _settle = Settle(&self.settled);
        self.inner.get_or_init(init).await
    }

    /// Like [`get_or_init`](Self::get_or_init) with a fallible initialiser: on `Err`, the
    /// cell stays empty and the error is returned. Cancel-safe likewise.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let cell = anyrt::sync::OnceCell::new();
    ///     assert!(cell.get_or_try_init(|| async { Err::<u8, _>("down") }).await.is_err());
    ///     assert_eq!(cell.get_or_try_init(|| async { Ok::<_, ()>(1) }).await, Ok(&1));
    /// });
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, init: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.inner.get() {
            return Ok(v);
        }
        let _settle = Settle(&self.settled);
        self.inner.get_or_try_init(init).await
    }

    /// Sets the value if the cell is empty (waiting for an initialiser already running);
    /// otherwise hands `value` back in `Err`. On success, returns a reference to the stored
    /// value.
    ///
    /// **Cancel-safe:** if dropped before it completes, nothing is stored.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let cell = anyrt::sync::OnceCell::new();
    ///     assert_eq!(cell.set(1).await, Ok(&1));
    ///     assert_eq!(cell.set(2).await, Err(2));
    /// });
    /// ```
    pub async fn set(&self, value: T) -> Result<&T, T> {
        let mut value = value;
        loop {
            // Registered before the attempt, so an initialisation that ends in between is
            // not missed.
            let mut settled = pin!(self.settled.notified());
            settled.as_mut().enable();
            match self.inner.set(value) {
                Ok(()) => {
                    self.settled.notify_waiters();
                    return Ok(self.inner.get().expect("just set"));
                }
                Err(SetError::AlreadyInitializedError(v)) => return Err(v),
                Err(SetError::InitializingError(v)) => {
                    value = v;
                    settled.await;
                }
            }
        }
    }

    /// Waits until the cell is initialised (by someone else) and returns the value.
    ///
    /// **Cancel-safe:** dropping the future has no effect on the cell.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let cell = anyrt::sync::OnceCell::from(3);
    ///     assert_eq!(*cell.wait().await, 3);
    /// });
    /// ```
    pub async fn wait(&self) -> &T {
        loop {
            let mut settled = pin!(self.settled.notified());
            settled.as_mut().enable();
            if let Some(v) = self.inner.get() {
                return v;
            }
            settled.await;
        }
    }

    /// Takes the value out, leaving the cell empty.
    ///
    /// ```
    /// let mut cell = anyrt::sync::OnceCell::from(1);
    /// assert_eq!(cell.take(), Some(1));
    /// assert!(cell.get().is_none());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        self.inner.take()
    }

    /// Consumes the cell and returns the value, if any.
    ///
    /// ```
    /// assert_eq!(anyrt::sync::OnceCell::from(1).into_inner(), Some(1));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.inner.into_inner()
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> Self {
        OnceCell {
            inner: tokio::sync::OnceCell::new_with(Some(value)),
            settled: tokio::sync::Notify::const_new(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.get() {
            Some(v) => f.debug_tuple("OnceCell").field(v).finish(),
            None => f.write_str("OnceCell(<uninit>)"),
        }
    }
}
