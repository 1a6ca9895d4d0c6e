//! [`Backend`]: the names of the runtimes anyrt can run on, written once.

use std::fmt;
use std::str::FromStr;

// The one list of backends in this crate: the enum, `ALL`, the names and the Cargo features
// of the compiled-in list all come from it.
macro_rules! backends {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $ident:literal;)*) => {
        /// An async runtime that anyrt can run on.
        ///
        /// Which backends exist in a build depends on the Cargo features of `anyrt`
        /// (`tokio`, `smol`, `async-std`, `sim`); this enum names all of them so that code can
        /// talk about a backend whether or not it is compiled in ([`Backend::enabled`] lists
        /// those that are).
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
            $($(#[$doc])* $variant,)*
        }

        impl Backend {
            /// Every backend anyrt knows, compiled in or not, in the order of the default
            /// selection rule. A slice: a new backend is not a breaking change.
            ///
            /// ```
            /// use anyrt::Backend;
            ///
            /// let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
            /// assert_eq!(&names[..3], ["tokio", "smol", "async-std"]);
            /// ```
            pub const ALL: &'static [Backend] = &[$(Backend::$variant),*];

            /// The compiled-in backends, in the same order.
            pub(crate) const ENABLED: &'static [Backend] = &[
                $(#[cfg(feature = $name)] Backend::$variant,)*
            ];

            /// The name used by `Display`, `FromStr`, `ANYRT_BACKEND` and the Cargo feature.
            ///
            /// ```
            /// use anyrt::Backend;
            ///
            /// assert_eq!(Backend::AsyncStd.name(), "async-std");
            /// assert_eq!(Backend::Tokio.to_string(), "tokio");
            /// ```
            pub const fn name(self) -> &'static str {
                match self {
                    $(Backend::$variant => $name,)*
                }
            }

            /// The backend's place in [`Backend::ALL`]: a dense index for a table with one
            /// entry per backend (`[T; Backend::ALL.len()]`).
            ///
            /// ```
            /// use anyrt::Backend;
            ///
            /// for (i, b) in Backend::ALL.iter().enumerate() {
            ///     assert_eq!(b.index(), i);
            /// }
            /// ```
            pub const fn index(self) -> usize {
                self as usize
            }

            /// The name as a Rust identifier, as in test names (`my_test::async_std`).
            ///
            /// ```
            /// use anyrt::Backend;
            ///
            /// assert_eq!(Backend::AsyncStd.ident(), "async_std");
            /// assert_eq!(Backend::Tokio.ident(), "tokio");
            /// ```
            pub const fn ident(self) -> &'static str {
                match self {
                    $(Backend::$variant => $ident,)*
                }
            }
        }
    };
}

backends! {
    /// [tokio](https://tokio.rs): the `tokio` feature.
    Tokio = "tokio", "tokio";
    /// [smol](https://github.com/smol-rs/smol) (async-executor, async-io, blocking): the
    /// `smol` feature.
    Smol = "smol", "smol";
    /// [async-std](https://github.com/async-rs/async-std), discontinued upstream since 2025
    /// (RUSTSEC-2025-0052); supported as a legacy backend: the `async-std` feature.
    AsyncStd = "async-std", "async_std";
    /// anyrt's deterministic simulation: one thread, a seeded schedule, virtual time (the
    /// `sim` feature).
    Sim = "sim", "sim";
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error returned when a string names no backend.
///
/// ```
/// use anyrt::Backend;
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
            "unknown anyrt backend {:?}: expected one of ",
            self.input
        )?;
        for (i, b) in Backend::ALL.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{:?}", b.name())?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseBackendError {}

impl FromStr for Backend {
    type Err = ParseBackendError;

    /// The name or its identifier form, in any case and without separators (`"async-std"`,
    /// `"async_std"`, `"AsyncStd"`).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim().to_ascii_lowercase();
        Backend::ALL
            .iter()
            .copied()
            .find(|b| s == b.name() || s == b.ident() || s == b.name().replace('-', ""))
            .ok_or_else(|| ParseBackendError {
                input: input.to_owned(),
            })
    }
}
