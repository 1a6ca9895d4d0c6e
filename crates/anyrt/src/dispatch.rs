//! The dispatch table: the one list of backends in the facade, written out in each of the
//! macros below as one arm per backend behind its Cargo feature (tokio's
//! `runtime/scheduler` pattern: an enum of implementations, a `match` in each method).
//!
//! - [`dispatch!`]: a `match` on a [`Backend`] that runs an expression with `P` bound to that
//!   backend's [`Provider`] (`anyrt_smol::Smol`, ...); a backend that is not compiled in
//!   panics with a message naming the feature to enable.
//! - [`backend_enum!`]: an enum with one variant per compiled-in backend, holding one of its
//!   provider's associated types (`RuntimeInner`, `HandleInner`, the socket kinds of `net`).
//! - [`each_backend!`]: a `match` on such an enum, with `P` bound to the variant's provider.
//! - [`backend_of!`]: the `Backend` of such an enum's variant.
//! - [`SleepInner`]: `anyrt::time::Sleep`'s enum of the backends' sleeps.
//!
//! Adding a backend is one arm in each macro and a row of [`ROWS`]; a `Backend` that
//! [`ROWS`] does not name fails to compile (the assertion below).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use anyrt_core::time::Instant;
use anyrt_core::Backend;

/// Every backend, in the order of the macros' arms.
pub(crate) const ROWS: [(Backend, bool); 4] = [
    (Backend::Tokio, cfg!(feature = "tokio")),
    (Backend::Smol, cfg!(feature = "smol")),
    (Backend::AsyncStd, cfg!(feature = "async-std")),
    (Backend::Sim, cfg!(feature = "sim")),
];

const _: () = assert!(
    Backend::ALL.len() == ROWS.len(),
    "the dispatch table in crates/anyrt/src/dispatch.rs must have a row (and an arm in each \
     macro) for every anyrt_core::Backend",
);

/// Whether `backend`'s feature is on in this facade.
pub(crate) fn compiled_in(backend: Backend) -> bool {
    ROWS.iter().any(|&(b, on)| b == backend && on)
}

/// `dispatch!(backend, P => expr)`: evaluates `expr` with the type `P` bound to the provider
/// of `backend` (an `anyrt_core::Backend`). A backend that is not compiled in panics with a
/// message naming the feature to enable. With `P, wrap = Enum`, `wrap` is also bound to the
/// constructor of `Enum`'s variant for that backend (a [`backend_enum!`]).
macro_rules! dispatch {
    ($backend:expr, $P:ident => $e:expr) => {
        dispatch!(@arms $backend, $P, [] => $e)
    };
    ($backend:expr, $P:ident, $wrap:ident = $enum:ident => $e:expr) => {
        dispatch!(@arms $backend, $P, [$wrap $enum] => $e)
    };
    (@arms $backend:expr, $P:ident, $wrap:tt => $e:expr) => {
        match $backend {
            #[cfg(feature = "tokio")]
            anyrt_core::Backend::Tokio => {
                #[allow(unused_imports)]
                use anyrt_core::Provider as _;
                type $P = anyrt_tokio::Tokio;
                bind_wrap!($wrap Tokio);
                $e
            }
            #[cfg(feature = "smol")]
            anyrt_core::Backend::Smol => {
                #[allow(unused_imports)]
                use anyrt_core::Provider as _;
                type $P = anyrt_smol::Smol;
                bind_wrap!($wrap Smol);
                $e
            }
            #[cfg(feature = "async-std")]
            anyrt_core::Backend::AsyncStd => {
                #[allow(unused_imports)]
                use anyrt_core::Provider as _;
                type $P = anyrt_async_std::AsyncStd;
                bind_wrap!($wrap AsyncStd);
                $e
            }
            #[cfg(feature = "sim")]
            anyrt_core::Backend::Sim => {
                #[allow(unused_imports)]
                use anyrt_core::Provider as _;
                type $P = anyrt_sim::Sim;
                bind_wrap!($wrap Sim);
                $e
            }
            #[allow(unreachable_patterns)]
            other => anyrt_core::select::not_compiled_in(other),
        }
    };
}

/// In an arm of [`dispatch!`] or [`each_backend!`]: `[wrap Enum]` binds `wrap` to the
/// constructor of `Enum`'s variant of the arm's backend; `[]` binds nothing.
#[allow(unused_macros)] // with no backend compiled in
macro_rules! bind_wrap {
    ([] $variant:ident) => {};
    ([$wrap:ident $enum:ident] $variant:ident) => {
        let $wrap = $enum::$variant;
    };
}

/// `backend_enum! { #[attrs] enum Name(Assoc); }`: an enum with one variant per compiled-in
/// backend, holding that provider's associated type `Assoc`; `enum Name(<Trait>::Assoc)`
/// takes the associated type of another trait of the contract
/// (`<anyrt_core::net::Net>::TcpStream`).
macro_rules! backend_enum {
    ($(#[$attr:meta])* $vis:vis enum $name:ident($assoc:ident);) => {
        backend_enum! { $(#[$attr])* $vis enum $name(<anyrt_core::Provider>::$assoc); }
    };
    ($(#[$attr:meta])* $vis:vis enum $name:ident(<$tr:path>::$assoc:ident);) => {
        $(#[$attr])*
        $vis enum $name {
            #[cfg(feature = "tokio")]
            Tokio(<anyrt_tokio::Tokio as $tr>::$assoc),
            #[cfg(feature = "smol")]
            Smol(<anyrt_smol::Smol as $tr>::$assoc),
            #[cfg(feature = "async-std")]
            AsyncStd(<anyrt_async_std::AsyncStd as $tr>::$assoc),
            #[cfg(feature = "sim")]
            Sim(<anyrt_sim::Sim as $tr>::$assoc),
        }
    };
}

/// `each_backend!(value, Enum, x, P => expr)`: matches a [`backend_enum!`] value, binding the
/// inner value to `x` and the provider type to `P` (and, with `P, wrap = Other`, `wrap` to
/// the constructor of `Other`'s variant for the same backend).
macro_rules! each_backend {
    ($value:expr, $name:ident, $x:ident, $P:ident => $e:expr) => {
        each_backend!(@arms $value, $name, $x, $P, [] => $e)
    };
    ($value:expr, $name:ident, $x:ident, $P:ident, $wrap:ident = $enum:ident => $e:expr) => {
        each_backend!(@arms $value, $name, $x, $P, [$wrap $enum] => $e)
    };
    (@arms $value:expr, $name:ident, $x:ident, $P:ident, $wrap:tt => $e:expr) => {
        match $value {
            #[cfg(feature = "tokio")]
            $name::Tokio($x) => {
                #[allow(unused_imports)]
                use anyrt_core::Provider as _;
                #[allow(dead_code)]
                type $P = anyrt_tokio::Tokio;
                bind_wrap!($wrap Tokio);
                $e
            }
            #[cfg(feature = "smol")]
            $name::Smol($x) => {
                #[allow(unused_imports)]
                use anyrt_core::Provider as _;
                #[allow(dead_code)]
                type $P = anyrt_smol::Smol;
                bind_wrap!($wrap Smol);
                $e
            }
            #[cfg(feature = "async-std")]
            $name::AsyncStd($x) => {
                #[allow(unused_imports)]
                use anyrt_core::Provider as _;
                #[allow(dead_code)]
                type $P = anyrt_async_std::AsyncStd;
                bind_wrap!($wrap AsyncStd);
                $e
            }
            #[cfg(feature = "sim")]
            $name::Sim($x) => {
                #[allow(unused_imports)]
                use anyrt_core::Provider as _;
                #[allow(dead_code)]
                type $P = anyrt_sim::Sim;
                bind_wrap!($wrap Sim);
                $e
            }
            // With no backend compiled in, the enum has no variant and no value.
            #[allow(unreachable_patterns)]
            _ => unreachable!("anyrt: a value of a backend that is not compiled in"),
        }
    };
}

/// `backend_of!(value, Enum)`: the `Backend` whose variant `value` is.
macro_rules! backend_of {
    ($value:expr, $name:ident) => {
        match $value {
            #[cfg(feature = "tokio")]
            $name::Tokio(_) => anyrt_core::Backend::Tokio,
            #[cfg(feature = "smol")]
            $name::Smol(_) => anyrt_core::Backend::Smol,
            #[cfg(feature = "async-std")]
            $name::AsyncStd(_) => anyrt_core::Backend::AsyncStd,
            #[cfg(feature = "sim")]
            $name::Sim(_) => anyrt_core::Backend::Sim,
            #[allow(unreachable_patterns)]
            _ => unreachable!("anyrt: a value of a backend that is not compiled in"),
        }
    };
}

// -------------------------------------------------------------------------------------------
// `anyrt::time::Sleep`'s enum of the backends' sleeps.

/// Each backend's sleep, or [`Never`] where its feature is off (pin-project-lite's variants
/// cannot be `cfg`'d out).
mod sleeps {
    #[cfg(feature = "tokio")]
    pub(super) type Tokio = <anyrt_tokio::Tokio as anyrt_core::Provider>::Sleep;
    #[cfg(not(feature = "tokio"))]
    pub(super) type Tokio = super::Never;
    #[cfg(feature = "smol")]
    pub(super) type Smol = <anyrt_smol::Smol as anyrt_core::Provider>::Sleep;
    #[cfg(not(feature = "smol"))]
    pub(super) type Smol = super::Never;
    #[cfg(feature = "async-std")]
    pub(super) type AsyncStd = <anyrt_async_std::AsyncStd as anyrt_core::Provider>::Sleep;
    #[cfg(not(feature = "async-std"))]
    pub(super) type AsyncStd = super::Never;
    #[cfg(feature = "sim")]
    pub(super) type Sim = <anyrt_sim::Sim as anyrt_core::Provider>::Sleep;
    #[cfg(not(feature = "sim"))]
    pub(super) type Sim = super::Never;
}

pin_project_lite::pin_project! {
    /// The sleep of one backend (or none yet) inside `anyrt::time::Sleep`.
    #[project = SleepProj]
    pub(crate) enum SleepInner {
        Ready,
        // A timeout's sleep before its first poll: armed only if the future it bounds is
        // pending, so a timeout around a ready future never touches the timer.
        Unarmed { backend: Backend, deadline: Instant },
        Tokio { #[pin] s: sleeps::Tokio },
        Smol { #[pin] s: sleeps::Smol },
        AsyncStd { #[pin] s: sleeps::AsyncStd },
        Sim { #[pin] s: sleeps::Sim },
    }
}

/// When a sleep ends.
#[derive(Clone, Copy)]
pub(crate) enum When {
    At(Instant),
    After(Duration),
}

impl SleepInner {
    /// A sleep on `backend`'s timer: the backend's own sleep, which reads the clock once.
    pub(crate) fn on(backend: Backend, when: When) -> SleepInner {
        #[allow(dead_code)] // with no backend compiled in
        fn sleep<P: anyrt_core::Provider>(when: When) -> P::Sleep {
            match when {
                When::At(deadline) => P::sleep_until(deadline),
                When::After(duration) => P::sleep(duration),
            }
        }
        match backend {
            #[cfg(feature = "tokio")]
            Backend::Tokio => SleepInner::Tokio {
                s: sleep::<anyrt_tokio::Tokio>(when),
            },
            #[cfg(feature = "smol")]
            Backend::Smol => SleepInner::Smol {
                s: sleep::<anyrt_smol::Smol>(when),
            },
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => SleepInner::AsyncStd {
                s: sleep::<anyrt_async_std::AsyncStd>(when),
            },
            #[cfg(feature = "sim")]
            Backend::Sim => SleepInner::Sim {
                s: sleep::<anyrt_sim::Sim>(when),
            },
            #[allow(unreachable_patterns)]
            other => anyrt_core::select::not_compiled_in(other),
        }
    }

    /// Polls the backend's sleep; an unarmed one is armed on its backend first.
    #[inline]
    pub(crate) fn poll_sleep(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let (backend, deadline) = match self.as_mut().project() {
            SleepProj::Ready => return Poll::Ready(()),
            SleepProj::Unarmed { backend, deadline } => (*backend, *deadline),
            SleepProj::Tokio { s } => return s.poll(cx),
            SleepProj::Smol { s } => return s.poll(cx),
            SleepProj::AsyncStd { s } => return s.poll(cx),
            SleepProj::Sim { s } => return s.poll(cx),
        };
        self.set(SleepInner::on(backend, When::At(deadline)));
        self.poll_sleep(cx)
    }
}

/// The sleep of a backend that is not compiled in, in [`SleepInner`] (whose pin-projected
/// variants cannot be `cfg`'d out): uninhabited, never built.
#[allow(dead_code)]
#[derive(Debug)]
pub(crate) enum Never {}

impl std::future::Future for Never {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        match *self {}
    }
}
