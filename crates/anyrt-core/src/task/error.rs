use std::any::Any;
use std::fmt;
use std::sync::Mutex;

/// Why awaiting a [`JoinHandle`](crate::task::JoinHandle) gave no value: the task was
/// cancelled, or it panicked.
///
/// `JoinError` is `Send + Sync + 'static` and implements [`std::error::Error`], so `?`
/// turns it into `anyhow::Error` or `Box<dyn Error + Send + Sync>`.
///
/// ```
/// use anyrt::task::JoinError;
///
/// let err = JoinError::cancelled();
/// assert!(err.is_cancelled());
/// assert_eq!(err.to_string(), "task was cancelled");
///
/// let err = JoinError::panic(Box::new("boom"));
/// assert!(err.is_panic());
/// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
/// ```
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Cancelled,
    // The payload is only reached by value (`into_panic`), so the lock is never contended;
    // it is there so that `JoinError` is `Sync` without unsafe code.
    Panic(Mutex<Box<dyn Any + Send + 'static>>),
}

impl JoinError {
    /// The error of a task that was cancelled: aborted, or dropped by a runtime shutdown.
    /// For backends; code that awaits a handle reads [`is_cancelled`](Self::is_cancelled).
    ///
    /// ```
    /// let err = anyrt::task::JoinError::cancelled();
    /// assert!(err.is_cancelled() && !err.is_panic());
    /// ```
    pub fn cancelled() -> Self {
        JoinError {
            repr: Repr::Cancelled,
        }
    }

    /// The error of a task that panicked with `payload` (what `catch_unwind` returned).
    ///
    /// ```
    /// let payload = std::panic::catch_unwind(|| panic!("boom")).unwrap_err();
    /// let err = anyrt::task::JoinError::panic(payload);
    /// assert_eq!(err.to_string(), "task panicked: boom");
    /// ```
    pub fn panic(payload: Box<dyn Any + Send + 'static>) -> Self {
        JoinError {
            repr: Repr::Panic(Mutex::new(payload)),
        }
    }

    /// Whether the task was cancelled (aborted, or dropped by a runtime shutdown or the end
    /// of the `block_on` that owned it).
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let mut handle = anyrt::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Whether the task panicked. The runtime keeps running, on every backend.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let err = anyrt::spawn(async { panic!("boom") }).await.unwrap_err();
    ///     assert!(err.is_panic());
    ///     assert_eq!(anyrt::spawn(async { 1 }).await.unwrap(), 1); // still running
    /// });
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload, to resume it with [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// If the task was cancelled rather than panicked; use
    /// [`try_into_panic`](Self::try_into_panic) when unsure.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let err = anyrt::spawn(async { panic!("boom") }).await.unwrap_err();
    ///     let payload = err.into_panic();
    ///     assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    ///     // In real code, carry the panic on: std::panic::resume_unwind(payload)
    /// });
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.try_into_panic() {
            Ok(payload) => payload,
            Err(_) => panic!("JoinError::into_panic called on a cancelled task's error; check is_panic() first or use try_into_panic()"),
        }
    }

    /// The panic payload, or the error itself if the task was cancelled.
    ///
    /// ```
    /// use anyrt::task::JoinError;
    ///
    /// let err = JoinError::cancelled();
    /// let err = err.try_into_panic().unwrap_err(); // no payload: the error comes back
    /// assert!(err.is_cancelled());
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(p) => Ok(p.into_inner().unwrap_or_else(|e| e.into_inner())),
            Repr::Cancelled => Err(self),
        }
    }

    fn panic_message(&self) -> Option<String> {
        let Repr::Panic(p) = &self.repr else {
            return None;
        };
        let p = p.lock().unwrap_or_else(|e| e.into_inner());
        Some(
            panic_message(&**p)
                .unwrap_or("<non-string payload>")
                .to_owned(),
        )
    }
}

/// The message of a panic payload, if it is a string.
///
/// ```
/// use anyrt_core::task::panic_message;
///
/// assert_eq!(panic_message(&"boom"), Some("boom"));
/// assert_eq!(panic_message(&String::from("formatted 1")), Some("formatted 1"));
/// assert_eq!(panic_message(&42), None);
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Some(s)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        Some(s)
    } else {
        None
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.panic_message() {
            None => f.write_str("task was cancelled"),
            Some(msg) => write!(f, "task panicked: {msg}"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.panic_message() {
            None => f.write_str("JoinError::Cancelled"),
            Some(msg) => write!(f, "JoinError::Panic({msg:?})"),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(e: JoinError) -> Self {
        std::io::Error::other(e)
    }
}
