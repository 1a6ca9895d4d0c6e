//! The dispatch table: the one list of backends in the facade, and everything built on it.
//!
//! Each row names a [`Backend`] variant, its Cargo feature and its [`Provider`]. From the
//! table come: a provider alias per backend ([`p`]; a backend whose feature is off is
//! [`Disabled`], whose types are uninhabited), [`dispatch!`] (a `match` on a `Backend` that
//! runs an expression with `P` bound to the provider), and the facade's enums with one
//! variant per backend (`RuntimeInner`, `HandleInner`, `SleepInner`) with their matches. Every
//! enum has the same variants in every feature combination, so every match is exhaustive,
//! and a `Backend` the table does not name fails to compile (the assertion below).
//!
//! Adding a backend here is one row.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use anyrt_core::task::JoinHandle;
use anyrt_core::time::Instant;
use anyrt_core::{Backend, Executor, Provider, RuntimeConfig};

/// Calls `$callback! { { $args } rows }` with the rows of the table.
macro_rules! for_each_backend {
    ($callback:ident! { $($args:tt)* }) => {
        $callback! { { $($args)* }
            Tokio "tokio" anyrt_tokio::Tokio;
            Smol "smol" anyrt_smol::Smol;
            AsyncStd "async-std" anyrt_async_std::AsyncStd;
            Sim "sim" anyrt_sim::Sim;
        }
    };
}

macro_rules! provider_aliases {
    ({} $($variant:ident $feature:literal $provider:path;)*) => {
        /// The provider of each backend: its crate's, or [`Disabled`] when its feature is off.
        #[allow(unreachable_pub)]
        pub(crate) mod p {
            $(
                #[cfg(feature = $feature)]
                pub(crate) type $variant = $provider;
                #[cfg(not(feature = $feature))]
                pub(crate) type $variant = super::Disabled;
            )*
        }

        const _: () = assert!(
            Backend::ALL.len() == [$($feature),*].len(),
            "the dispatch table in crates/anyrt/src/dispatch.rs must have a row for every \
             anyrt_core::Backend",
        );

        /// Whether `backend`'s feature is on in this facade.
        pub(crate) const fn compiled_in(backend: Backend) -> bool {
            match backend {
                $(Backend::$variant => cfg!(feature = $feature),)*
                _ => false,
            }
        }
    };
}

for_each_backend!(provider_aliases! {});

/// `dispatch!(backend, P => expr)`: evaluates `expr` with the type `P` bound to the
/// provider of `backend` (an `anyrt_core::Backend`). A backend that is not compiled in
/// panics with a message naming the feature to enable. With `P, wrap = Enum`, `wrap` is
/// also bound to the constructor of `Enum`'s variant for that backend (a `backend_enum!`).
macro_rules! dispatch {
    ($backend:expr, $P:ident => $e:expr) => {
        // `Backend` has a variant of every name too: a `wrap` nobody uses.
        for_each_backend!(dispatch_arms! { ($backend) $P (_wrap Backend) ($e) })
    };
    ($backend:expr, $P:ident, $wrap:ident = $enum:ident => $e:expr) => {
        for_each_backend!(dispatch_arms! { ($backend) $P ($wrap $enum) ($e) })
    };
}

macro_rules! dispatch_arms {
    ({ ($backend:expr) $P:ident ($wrap:ident $enum:ident) ($e:expr) }
     $($variant:ident $feature:literal $provider:path;)*) => {
        match $backend {
            $(
                // A disabled backend's arm is dead code.
                #[allow(unreachable_code)]
                anyrt_core::Backend::$variant => {
                    #[allow(unused_imports)]
                    use anyrt_core::{Backend, Provider as _};
                    type $P = $crate::dispatch::p::$variant;
                    let $wrap = $enum::$variant;
                    if cfg!(feature = $feature) {
                        $e
                    } else {
                        anyrt_core::select::not_compiled_in(anyrt_core::Backend::$variant)
                    }
                }
            )*
            other => anyrt_core::select::not_compiled_in(other),
        }
    };
}

/// `backend_enum! { #[attrs] enum Name(Assoc); }`: an enum with one variant per backend,
/// holding that provider's associated type `Assoc`; `enum Name(<Trait>::Assoc)` takes the
/// associated type of another trait of the contract (`<anyrt_core::net::Net>::TcpStream`).
macro_rules! backend_enum {
    ($(#[$attr:meta])* $vis:vis enum $name:ident($assoc:ident);) => {
        for_each_backend!(backend_enum_rows! {
            $(#[$attr])* $vis enum $name(anyrt_core::Provider) $assoc
        });
    };
    ($(#[$attr:meta])* $vis:vis enum $name:ident(<$tr:path>::$assoc:ident);) => {
        for_each_backend!(backend_enum_rows! {
            $(#[$attr])* $vis enum $name($tr) $assoc
        });
    };
}

macro_rules! backend_enum_rows {
    ({ $(#[$attr:meta])* $vis:vis enum $name:ident($tr:path) $assoc:ident }
     $($variant:ident $feature:literal $provider:path;)*) => {
        $(#[$attr])*
        $vis enum $name {
            $($variant(<$crate::dispatch::p::$variant as $tr>::$assoc),)*
        }
    };
}

/// `each_backend!(value, Enum, x, P => expr)`: matches a `backend_enum!` value, binding the
/// inner value to `x` and the provider type to `P` (and, with `P, wrap = Other`, `wrap` to
/// the constructor of `Other`'s variant for the same backend).
macro_rules! each_backend {
    ($value:expr, $name:ident, $x:ident, $P:ident => $e:expr) => {
        for_each_backend!(each_backend_arms! { ($value) $name $x $P (_wrap Backend) ($e) })
    };
    ($value:expr, $name:ident, $x:ident, $P:ident, $wrap:ident = $enum:ident => $e:expr) => {
        for_each_backend!(each_backend_arms! { ($value) $name $x $P ($wrap $enum) ($e) })
    };
}

macro_rules! each_backend_arms {
    ({ ($value:expr) $name:ident $x:ident $P:ident ($wrap:ident $enum:ident) ($e:expr) }
     $($variant:ident $feature:literal $provider:path;)*) => {
        match $value {
            $(
                #[allow(unreachable_code)]
                $name::$variant($x) => {
                    #[allow(unused_imports)]
                    use anyrt_core::{Backend, Provider as _};
                    #[allow(dead_code)]
                    type $P = $crate::dispatch::p::$variant;
                    let $wrap = $enum::$variant;
                    $e
                }
            )*
        }
    };
}

/// `backend_of!(value, Enum)`: the `Backend` whose variant `value` is.
macro_rules! backend_of {
    ($value:expr, $name:ident) => {
        for_each_backend!(backend_of_arms! { ($value) $name })
    };
}

macro_rules! backend_of_arms {
    ({ ($value:expr) $name:ident } $($variant:ident $feature:literal $provider:path;)*) => {
        match $value {
            $($name::$variant(_) => anyrt_core::Backend::$variant,)*
        }
    };
}

/// The provider of a backend whose feature is off. Its types are uninhabited, so the facade's
/// enum variants for it can never be built, and it is never dispatched to: [`dispatch!`]
/// panics with "not compiled in" first.
// Unused when every backend is compiled in.
#[allow(dead_code)]
#[derive(Debug)]
pub(crate) enum Disabled {}

/// The uninhabited runtime, handle and sleep of [`Disabled`].
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub(crate) enum Never {}

impl Future for Never {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        match *self {}
    }
}

impl Executor for Never {
    type Sleep = Never;

    fn spawn<F>(&self, _: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match *self {}
    }

    fn spawn_blocking<F, R>(&self, _: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match *self {}
    }

    fn sleep(&self, _: Duration) -> Never {
        match *self {}
    }
}

#[allow(dead_code)]
#[cold]
fn disabled() -> ! {
    unreachable!("anyrt: dispatched to a backend that is not compiled in")
}

impl Provider for Disabled {
    // Never read: nothing is dispatched to a disabled backend.
    const BACKEND: Backend = Backend::Tokio;
    type Runtime = Never;
    type Handle = Never;
    type Sleep = Never;

    fn build(_: &RuntimeConfig) -> io::Result<Never> {
        disabled()
    }
    fn runtime_handle(runtime: &Never) -> Never {
        match *runtime {}
    }
    fn runtime_block_on<F: Future>(runtime: &Never, _: F) -> F::Output {
        match *runtime {}
    }
    fn shutdown_timeout(runtime: Never, _: Duration) {
        match runtime {}
    }
    fn handle_block_on<F: Future>(handle: &Never, _: F) -> F::Output {
        match *handle {}
    }
    fn current() -> Option<Never> {
        disabled()
    }
    fn global() -> Never {
        disabled()
    }
    fn spawn<F>(_: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        disabled()
    }
    fn spawn_blocking<F, R>(_: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        disabled()
    }
    fn block_on<F: Future>(_: F) -> F::Output {
        disabled()
    }
    fn sleep(_: Duration) -> Never {
        disabled()
    }
    fn sleep_until(_: Instant) -> Never {
        disabled()
    }
}
