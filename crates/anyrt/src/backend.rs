//! Backend names and the selection rule.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use anyrt_core::context;

/// An async runtime anyrt can run on.
///
/// ```
/// use anyrt::Backend;
///
/// // What this build can run on.
/// assert!(!Backend::enabled().is_empty());
/// // A plain thread is inside no runtime...
/// assert_eq!(Backend::current(), None);
/// // ...but a spawn here would go to the selected backend.
/// assert!(Backend::enabled().contains(&Backend::selected()));
/// assert_eq!("async-std".parse::<Backend>().unwrap(), Backend::AsyncStd);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Backend {
    /// tokio (feature `tokio`).
    Tokio,
    /// smol: async-executor, async-io and blocking (feature `smol`).
    Smol,
    /// async-std (feature `async-std`); discontinued upstream since 2025, kept as a legacy
    /// backend.
    AsyncStd,
}

const ENABLED: &[Backend] = &[
    #[cfg(feature = "tokio")]
    Backend::Tokio,
    #[cfg(feature = "smol")]
    Backend::Smol,
    #[cfg(feature = "async-std")]
    Backend::AsyncStd,
];

impl Backend {
    /// The backends compiled into this build, in the order of the default rule (tokio, smol,
    /// async-std).
    ///
    /// ```
    /// // Run the same check on every backend this build has.
    /// for &backend in anyrt::Backend::enabled() {
    ///     let rt = anyrt::Runtime::new(backend).unwrap();
    ///     assert_eq!(rt.block_on(async { anyrt::Backend::current() }), Some(backend));
    /// }
    /// ```
    pub fn enabled() -> &'static [Backend] {
        ENABLED
    }

    /// Whether this backend is compiled in (its Cargo feature is on).
    ///
    /// ```
    /// use anyrt::Backend;
    ///
    /// assert_eq!(Backend::Smol.is_enabled(), cfg!(feature = "smol"));
    /// assert!(Backend::enabled().iter().all(|b| b.is_enabled()));
    /// ```
    pub fn is_enabled(self) -> bool {
        ENABLED.contains(&self)
    }

    /// The runtime the calling thread is inside: anyrt's own (a `Runtime`, `block_on`, a
    /// task, a blocking closure), an async-std task, or a tokio runtime context. `None` on a
    /// plain thread, and inside runtimes anyrt cannot see (a foreign smol or `futures`
    /// executor).
    ///
    /// ```
    /// use anyrt::Backend;
    ///
    /// assert_eq!(Backend::current(), None); // a plain thread
    /// let inside = anyrt::block_on(async { Backend::current() });
    /// assert_eq!(inside, Some(Backend::selected()));
    /// ```
    pub fn current() -> Option<Backend> {
        current_core().map(Backend::from)
    }

    /// The backend a spawn on this thread would use: [`current`](Self::current) if any,
    /// else the process default (`set_default_backend`, then `ANYRT_BACKEND`, then the only
    /// enabled backend, then tokio, smol, async-std in that order).
    ///
    /// # Panics
    ///
    /// If no backend is compiled in, or `ANYRT_BACKEND` names a backend that is unknown or
    /// not compiled in; the message says what to change.
    ///
    /// ```
    /// use anyrt::{Backend, Runtime};
    ///
    /// // On a plain thread: the process default.
    /// println!("anyrt::spawn here runs on {}", Backend::selected());
    /// // Inside a runtime: that runtime, whatever the default.
    /// for &b in Backend::enabled() {
    ///     let rt = Runtime::new(b).unwrap();
    ///     assert_eq!(rt.block_on(async { Backend::selected() }), b);
    /// }
    /// ```
    pub fn selected() -> Backend {
        Backend::from(select())
    }

    /// The name: `"tokio"`, `"smol"` or `"async-std"` (also the Cargo feature's name).
    /// `Display` prints it and `FromStr` parses it.
    ///
    /// ```
    /// use anyrt::Backend;
    ///
    /// assert_eq!(Backend::AsyncStd.name(), "async-std");
    /// assert_eq!(Backend::Tokio.to_string(), "tokio");
    /// assert_eq!("smol".parse::<Backend>().unwrap(), Backend::Smol);
    /// ```
    pub fn name(self) -> &'static str {
        anyrt_core::Backend::from(self).name()
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = anyrt_core::ParseBackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<anyrt_core::Backend>().map(Backend::from)
    }
}

impl From<anyrt_core::Backend> for Backend {
    fn from(b: anyrt_core::Backend) -> Self {
        match b {
            anyrt_core::Backend::Tokio => Backend::Tokio,
            anyrt_core::Backend::Smol => Backend::Smol,
            anyrt_core::Backend::AsyncStd => Backend::AsyncStd,
            #[allow(unreachable_patterns)]
            other => unreachable!("anyrt_core::Backend::{other:?} has no facade name"),
        }
    }
}

impl From<Backend> for anyrt_core::Backend {
    fn from(b: Backend) -> Self {
        match b {
            Backend::Tokio => anyrt_core::Backend::Tokio,
            Backend::Smol => anyrt_core::Backend::Smol,
            Backend::AsyncStd => anyrt_core::Backend::AsyncStd,
        }
    }
}

/// The error of [`set_default_backend`](crate::set_default_backend).
///
/// ```
/// use anyrt::{Backend, SelectionError};
///
/// let first = Backend::enabled()[0];
/// anyrt::set_default_backend(first).unwrap();
/// match anyrt::set_default_backend(first) {
///     Err(SelectionError::AlreadySet { current }) => assert_eq!(current, first),
///     other => panic!("expected AlreadySet, got {other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SelectionError {
    /// The backend is not compiled in.
    NotEnabled(Backend),
    /// The default was already fixed: by an earlier call, or by the first spawn or selection
    /// that needed it.
    AlreadySet {
        /// The default in force.
        current: Backend,
    },
}

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectionError::NotEnabled(b) => write!(
                f,
                "the {b} backend is not compiled in: enable the `{b}` feature of anyrt \
                 (compiled in: {})",
                enabled_list()
            ),
            SelectionError::AlreadySet { current } => write!(
                f,
                "the default backend is already {current}: set_default_backend must be called \
                 before the first spawn, block_on or selection (first thing in main)"
            ),
        }
    }
}

impl std::error::Error for SelectionError {}

static DEFAULT: OnceLock<anyrt_core::Backend> = OnceLock::new();

/// Sets the backend used where the calling thread is inside no runtime (a plain thread,
/// `main`). Call it first thing in `main`; it fails once any spawn or selection has fixed
/// the default, and for a backend that is not compiled in.
///
/// It overrides `ANYRT_BACKEND`. Code inside a runtime keeps using that runtime.
///
/// ```
/// # #[cfg(feature = "smol")] {
/// anyrt::set_default_backend(anyrt::Backend::Smol).unwrap();
/// assert_eq!(anyrt::Backend::selected(), anyrt::Backend::Smol);
/// assert!(anyrt::set_default_backend(anyrt::Backend::Smol).is_err());
/// # }
/// ```
pub fn set_default_backend(backend: Backend) -> Result<(), SelectionError> {
    if !backend.is_enabled() {
        return Err(SelectionError::NotEnabled(backend));
    }
    let mut set = false;
    let current = *DEFAULT.get_or_init(|| {
        set = true;
        backend.into()
    });
    if set {
        Ok(())
    } else {
        Err(SelectionError::AlreadySet {
            current: current.into(),
        })
    }
}

/// The process default (rules 2–5), fixed at first use.
pub(crate) fn default_backend() -> anyrt_core::Backend {
    *DEFAULT.get_or_init(compute_default)
}

fn compute_default() -> anyrt_core::Backend {
    if let Some(value) = std::env::var_os("ANYRT_BACKEND") {
        let value = value.to_string_lossy();
        if !value.trim().is_empty() {
            let backend: Backend = value
                .parse()
                .unwrap_or_else(|e| panic!("ANYRT_BACKEND: {e}; compiled in: {}", enabled_list()));
            if !backend.is_enabled() {
                panic!(
                    "ANYRT_BACKEND={value:?}, but the {backend} backend is not compiled in: \
                     enable the `{backend}` feature of anyrt, or set ANYRT_BACKEND to one of: {}",
                    enabled_list()
                );
            }
            return backend.into();
        }
    }
    match ENABLED.first() {
        Some(b) => (*b).into(),
        None => no_backend(),
    }
}

fn enabled_list() -> String {
    if ENABLED.is_empty() {
        return "none".to_owned();
    }
    ENABLED
        .iter()
        .map(|b| b.name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cold]
#[track_caller]
fn no_backend() -> ! {
    panic!(
        "anyrt has no backend compiled in: the application must enable at least one of the \
         features `tokio`, `smol`, `async-std` of the `anyrt` crate, for example \
         `anyrt = {{ version = \"0.1\", features = [\"tokio\"] }}`"
    )
}

#[cold]
#[track_caller]
pub(crate) fn not_compiled_in(b: anyrt_core::Backend) -> ! {
    if ENABLED.is_empty() {
        no_backend()
    }
    panic!(
        "the {b} backend is not compiled in: enable the `{b}` feature of anyrt (compiled in: {})",
        enabled_list()
    )
}

/// Rule 1: the runtime the calling thread is inside.
#[inline]
pub(crate) fn current_core() -> Option<anyrt_core::Backend> {
    if let Some(ctx) = context::current() {
        return Some(ctx.backend);
    }
    foreign_context()
}

#[cold]
pub(crate) fn foreign_context() -> Option<anyrt_core::Backend> {
    #[cfg(feature = "async-std")]
    if anyrt_async_std::in_native_context() {
        return Some(anyrt_core::Backend::AsyncStd);
    }
    #[cfg(feature = "tokio")]
    if anyrt_tokio::in_native_context() {
        return Some(anyrt_core::Backend::Tokio);
    }
    None
}

/// The whole selection rule. One thread-local read inside an anyrt context.
#[inline]
pub(crate) fn select() -> anyrt_core::Backend {
    current_core().unwrap_or_else(default_backend)
}
