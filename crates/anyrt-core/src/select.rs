//! The selection rule: which backend a call runs on, and where blocking is refused.
//!
//! First match wins: (1) the runtime the calling thread is inside: anyrt's own (one
//! thread-local read, checked first), then an async-std task, then a tokio task, then a
//! foreign tokio runtime's context; (2) [`set_default_backend`]; (3) `ANYRT_BACKEND`;
//! (4) the only enabled backend; (5) tokio, then smol, then async-std.
//!
//! The rule lives here, with [`Backend`], because `Backend::current()` and
//! `Backend::selected()` are methods of that type. Rule 1's probes of foreign runtimes
//! (tokio's `Handle::try_current`, `async_std::task::try_current`) are in `foreign.rs`, the
//! one module of this crate that names a runtime.

use std::fmt;
use std::sync::OnceLock;

use crate::context::{self, ContextKind};
use crate::{foreign, Backend, BlockOnError};

impl Backend {
    /// The backends compiled into this build, in the order of the default rule (tokio,
    /// smol, async-std).
    ///
    /// ```
    /// // Run the same check on every backend this build has.
    /// for &backend in anyrt::Backend::enabled() {
    ///     let rt = anyrt::Runtime::new(backend).unwrap();
    ///     assert_eq!(rt.block_on(async { anyrt::Backend::current() }), Some(backend));
    /// }
    /// ```
    pub const fn enabled() -> &'static [Backend] {
        Backend::ENABLED
    }

    /// Whether this backend is compiled in (its Cargo feature is on).
    ///
    /// ```
    /// use anyrt::Backend;
    ///
    /// assert!(Backend::enabled().iter().all(|b| b.is_enabled()));
    /// ```
    pub fn is_enabled(self) -> bool {
        Backend::ENABLED.contains(&self)
    }

    /// The runtime the calling thread is inside: anyrt's own (a `Runtime`, `block_on`, a
    /// task, a blocking closure), an async-std task, or a tokio runtime context (rule 1 of
    /// the selection rule). `None` on a plain thread, and inside runtimes anyrt cannot see
    /// (a foreign smol or `futures` executor).
    ///
    /// ```
    /// use anyrt::Backend;
    ///
    /// assert_eq!(Backend::current(), None); // a plain thread
    /// let inside = anyrt::block_on(async { Backend::current() });
    /// assert_eq!(inside, Some(Backend::selected()));
    /// ```
    #[inline]
    pub fn current() -> Option<Backend> {
        match context::current() {
            Some(ctx) => Some(ctx.backend),
            None => foreign::context(),
        }
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
    #[inline]
    pub fn selected() -> Backend {
        match context::current() {
            Some(ctx) => ctx.backend,
            None => foreign::context().unwrap_or_else(default_backend),
        }
    }
}

/// The error of [`set_default_backend`].
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

static DEFAULT: OnceLock<Backend> = OnceLock::new();

/// Sets the backend used where the calling thread is inside no runtime (a plain thread,
/// `main`). Call it first thing in `main`; it fails once any spawn or selection has fixed
/// the default, and for a backend that is not compiled in.
///
/// It overrides `ANYRT_BACKEND`. Code inside a runtime keeps using that runtime.
///
/// ```
/// # if anyrt::Backend::Smol.is_enabled() {
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
        backend
    });
    if set {
        Ok(())
    } else {
        Err(SelectionError::AlreadySet { current })
    }
}

/// The process default (rules 2–5), fixed at first use.
///
/// # Panics
///
/// As [`Backend::selected`].
#[inline]
pub fn default_backend() -> Backend {
    match DEFAULT.get() {
        Some(b) => *b,
        None => init_default(),
    }
}

#[cold]
fn init_default() -> Backend {
    *DEFAULT.get_or_init(compute_default)
}

fn compute_default() -> Backend {
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
            return backend;
        }
    }
    match Backend::ENABLED.first() {
        Some(b) => *b,
        None => no_backend(),
    }
}

fn enabled_list() -> String {
    if Backend::ENABLED.is_empty() {
        return "none".to_owned();
    }
    names(Backend::ENABLED)
}

fn names(backends: &[Backend]) -> String {
    backends
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
         features {} of the `anyrt` crate, for example \
         `anyrt = {{ version = \"0.1\", features = [\"tokio\"] }}`",
        names(Backend::ALL)
    )
}

/// Panics for a backend that is not compiled in, with a message that names the feature to
/// enable (or, with none compiled in, the features to choose from).
#[cold]
#[track_caller]
pub fn not_compiled_in(b: Backend) -> ! {
    if Backend::ENABLED.is_empty() {
        no_backend()
    }
    panic!(
        "the {b} backend is not compiled in: enable the `{b}` feature of anyrt (compiled in: {})",
        enabled_list()
    )
}

/// `Err` where blocking is refused: anyrt's own async code, an async-std task, a tokio
/// runtime context (a task, or the body of a foreign tokio `block_on`, which is no task and
/// where tokio would panic with its own message). Otherwise `Ok`, with the backend of the
/// blocking closure the thread is in, if any. It never reads the process default (so a bad
/// `ANYRT_BACKEND` cannot fail an explicit runtime's `block_on`). One thread-local read
/// inside anyrt; one probe of the foreign runtimes outside.
#[inline]
pub fn can_block() -> Result<Option<Backend>, BlockOnError> {
    let refused = match context::current() {
        Some(ctx) if ctx.kind == ContextKind::Async => ctx.backend,
        Some(ctx) => return Ok(Some(ctx.backend)),
        None => match foreign::context() {
            Some(b) => b,
            None => return Ok(None),
        },
    };
    Err(BlockOnError::new(Some(refused)))
}

/// [`can_block`], then the backend a `block_on` here runs on: the blocking closure's, else
/// the process default (rules 2–5).
///
/// # Panics
///
/// As [`Backend::selected`], where the default is needed and cannot be had.
#[inline]
pub fn blocking_backend() -> Result<Backend, BlockOnError> {
    Ok(can_block()?.unwrap_or_else(default_backend))
}
