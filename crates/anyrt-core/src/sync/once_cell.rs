use std::fmt;
use std::future::Future;

/// A cell written once, possibly by async code, then read freely: lazily initialised
/// shared state (a client, a connection pool, a config).
///
/// When several tasks call [`get_or_init`](Self::get_or_init) at once, one runs its
/// initialiser; the others wait for its result.
///
/// Built on `async_lock::OnceCell`.
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
    inner: async_lock::OnceCell<T>,
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
            inner: async_lock::OnceCell::new(),
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
        self.inner.is_initialized()
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
        self.inner.set(value).await
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
        self.inner.wait().await
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
            inner: async_lock::OnceCell::from(value),
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
