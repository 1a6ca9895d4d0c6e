//! Signals, the third part of the IO contract (feature `signal`, unix): [`Signals`], a
//! backend's listeners of one signal, next to [`Net`](crate::net::Net)'s sockets.
//!
//! A backend implements [`Signals`]: one associated type, the listener ([`SignalOps`]), and
//! the constructor that registers it. The facade's `anyrt::signal::unix::Signal` holds one of
//! these per backend and forwards every call.
//!
//! - tokio, smol and async-std answer with [`os::Signal`] over their
//!   [`Reactor`](crate::net::Reactor): a handler (signal-hook-registry's, the one tokio's
//!   `tokio::signal` installs too) writes a byte into a socket pair per listener, and the
//!   listener waits for the read end's readiness. One implementation: the same errors, the
//!   same coalescing, the same handler chain on every real backend.
//! - the simulation answers with listeners of its own: a real signal never reaches a
//!   simulation; `anyrt::sim::signal::raise` delivers one inside it.
//!
//! [`check`] is the one validation every backend runs first, so that a bad signal number
//! fails with the same error everywhere.

use std::fmt;
use std::io;
use std::task::{Context, Poll};

use crate::Provider;

pub mod os;

/// The signals of a backend: the listeners of one signal kind.
///
/// A backend on the system's signals implements [`Reactor`](crate::net::Reactor) and is a
/// `Signals` by the blanket impl below ([`os::Signal`] over its reactor); the simulation
/// implements it directly.
pub trait Signals: Provider {
    /// One listener of one signal kind.
    type Signal: SignalOps;

    /// Registers a listener of `kind`: it sees every delivery from now on (several that
    /// arrive before it is polled may count as one).
    ///
    /// # Errors
    ///
    /// What [`check`] says of `kind`; the system refusing to install the handler.
    fn signal(kind: SignalKind) -> io::Result<Self::Signal>;
}

/// A listener of one signal kind.
pub trait SignalOps: fmt::Debug + Send + Sync + Sized + 'static {
    /// `Ready(Some(()))` once at least one delivery has arrived since the last one this
    /// listener gave (deliveries in between coalesce); `Ready(None)` when no delivery can
    /// come any more. Cancel-safe: a delivery is taken only by a call that returns it.
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>>;

    /// The kind it listens to.
    fn kind(&self) -> SignalKind;
}

/// The system's signals over a backend's reactor: what tokio, smol and async-std supply.
impl<R: crate::net::Reactor> Signals for R {
    type Signal = os::Signal<R>;

    fn signal(kind: SignalKind) -> io::Result<Self::Signal> {
        os::Signal::new(kind)
    }
}

/// A signal number, as tokio's `SignalKind`: the constructors name the usual ones,
/// [`from_raw`](Self::from_raw) takes any.
///
/// ```
/// use anyrt_core::signal::SignalKind;
///
/// assert_eq!(SignalKind::interrupt().as_raw_value(), libc::SIGINT);
/// assert_eq!(SignalKind::from_raw(libc::SIGUSR1), SignalKind::user_defined1());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// Any signal number (checked when a listener is registered).
    pub const fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw_value(&self) -> i32 {
        self.0
    }

    /// `SIGALRM`: a real-time timer expired.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGCHLD`: a child process changed state.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGHUP`: the terminal hung up (daemons take it as "reload").
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGINT`: Ctrl-C at the terminal.
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGIO`: IO is possible on a descriptor.
    pub const fn io() -> SignalKind {
        SignalKind(libc::SIGIO)
    }

    /// `SIGPIPE`: a write to a pipe nobody reads.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGQUIT`: Ctrl-\ at the terminal.
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGTERM`: a polite request to terminate.
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGUSR1`.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGWINCH`: the terminal's window changed size.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> SignalKind {
        SignalKind(signum)
    }
}

impl From<SignalKind> for i32 {
    fn from(kind: SignalKind) -> i32 {
        kind.0
    }
}

impl fmt::Debug for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match name(self.0) {
            Some(name) => write!(f, "SignalKind({name})"),
            None => write!(f, "SignalKind({})", self.0),
        }
    }
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match name(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "signal {}", self.0),
        }
    }
}

fn name(signum: i32) -> Option<&'static str> {
    Some(match signum {
        libc::SIGALRM => "SIGALRM",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGIO => "SIGIO",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGWINCH => "SIGWINCH",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGSEGV => "SIGSEGV",
        _ => return None,
    })
}

/// The signals no handler may take: `SIGKILL` and `SIGSTOP` cannot be caught, and a handler
/// that returns from `SIGILL`, `SIGFPE` or `SIGSEGV` runs the faulting instruction again.
pub const FORBIDDEN: [i32; 5] = [
    libc::SIGKILL,
    libc::SIGSTOP,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGSEGV,
];

/// Whether a listener of `kind` may be registered: the same answer on every backend,
/// simulated or not.
///
/// # Errors
///
/// `InvalidInput` naming the signal: a number that is no signal of this system, or one of
/// [`FORBIDDEN`].
///
/// ```
/// use anyrt_core::signal::{check, SignalKind};
/// use std::io::ErrorKind;
///
/// assert!(check(SignalKind::user_defined1()).is_ok());
/// assert_eq!(check(SignalKind::from_raw(libc::SIGKILL)).unwrap_err().kind(), ErrorKind::InvalidInput);
/// assert_eq!(check(SignalKind::from_raw(-3)).unwrap_err().kind(), ErrorKind::InvalidInput);
/// assert_eq!(check(SignalKind::from_raw(100_000)).unwrap_err().kind(), ErrorKind::InvalidInput);
/// ```
pub fn check(kind: SignalKind) -> io::Result<()> {
    let signum = kind.as_raw_value();
    if FORBIDDEN.contains(&signum) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "cannot listen to {kind}: SIGKILL and SIGSTOP cannot be caught, and SIGILL, \
                 SIGFPE and SIGSEGV are faults a handler cannot resume from"
            ),
        ));
    }
    if signum <= 0 || !os::is_signal(signum) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("cannot listen to signal {signum}: it is not a signal number on this system"),
        ));
    }
    Ok(())
}
