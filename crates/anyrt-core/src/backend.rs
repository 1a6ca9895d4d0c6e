//! The [`Backend`] enum: the names of the runtimes anyrt can run on.

use std::fmt;
use std::str::FromStr;

/// An async runtime that anyrt can run on.
///
/// Which backends exist in a build depends on the Cargo features of the `anyrt` facade
/// (`tokio`, `smol`, `async-std`); this enum names all of them so that code can talk about
/// a backend whether or not it is compiled in.
///
/// ```
/// use anyrt_core::Backend;
///
/// let b: Backend = "smol".parse().unwrap();
/// assert_eq!(b, Backend::Smol);
/// assert_eq!(b.to_string(), "smol");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Backend {
    /// [tokio](https://tokio.rs): the `tokio` feature.
    Tokio,
    /// [smol](https://github.com/smol-rs/smol) (async-executor, async-io, blocking): the `smol` feature.
    Smol,
    /// [async-std](https://github.com/async-rs/async-std), discontinued upstream since 2025
    /// (RUSTSEC-2025-0052); supported as a legacy backend: the `async-std` feature.
    AsyncStd,
}

impl Backend {
    /// Every backend anyrt knows, in the order of the default selection rule (compiled in
    /// or not; the facade's `Backend::enabled()` gives those that are).
    ///
    /// ```
    /// use anyrt_core::Backend;
    ///
    /// let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
    /// assert_eq!(names, ["tokio", "smol", "async-std"]);
    /// ```
    pub const ALL: [Backend; 3] = [Backend::Tokio, Backend::Smol, Backend::AsyncStd];

    /// The name used by `Display`, `FromStr`, `ANYRT_BACKEND` and the Cargo feature.
    ///
    /// ```
    /// use anyrt_core::Backend;
    ///
    /// assert_eq!(Backend::AsyncStd.name(), "async-std");
    /// assert_eq!(Backend::AsyncStd.to_string(), "async-std");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Tokio => "tokio",
            Backend::Smol => "smol",
            Backend::AsyncStd => "async-std",
        }
    }

    /// The name as a Rust identifier, as used in test names (`my_test::async_std`).
    ///
    /// ```
    /// use anyrt_core::Backend;
    ///
    /// assert_eq!(Backend::AsyncStd.ident(), "async_std");
    /// assert_eq!(Backend::Tokio.ident(), "tokio");
    /// ```
    pub const fn ident(self) -> &'static str {
        match self {
            Backend::Tokio => "tokio",
            Backend::Smol => "smol",
            Backend::AsyncStd => "async_std",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error returned when a string names no backend.
///
/// ```
/// use anyrt_core::Backend;
///
/// let err = "glommio".parse::<Backend>().unwrap_err();
/// assert_eq!(err.input, "glommio");
/// assert!(err.to_string().contains("expected one of"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseBackendError {
    /// The string that was given.
    pub input: String,
}

impl fmt::Display for ParseBackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown anyrt backend {:?}: expected one of \"tokio\", \"smol\", \"async-std\"",
            self.input
        )
    }
}

impl std::error::Error for ParseBackendError {}

impl FromStr for Backend {
    type Err = ParseBackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tokio" => Ok(Backend::Tokio),
            "smol" => Ok(Backend::Smol),
            "async-std" | "async_std" | "asyncstd" => Ok(Backend::AsyncStd),
            _ => Err(ParseBackendError {
                input: s.to_owned(),
            }),
        }
    }
}
