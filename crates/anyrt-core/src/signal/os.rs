//! The system's signals over a backend's [`Reactor`]: what tokio, smol and async-std supply.
//!
//! Each listener owns a socket pair. A handler registered with signal-hook-registry (the
//! registry `tokio::signal` uses too, so that both can listen in one process) writes one
//! byte into the pair's write end at each delivery; the listener drains the read end,
//! registered with the backend's reactor. Several listeners of one signal each have their
//! own pair, so each sees every delivery.
//!
//! The write end lives inside the handler's closure: signal-hook-registry drops a closure
//! only once no handler can still be running it, so a delivery racing the listener's drop
//! never writes to a closed (or reused) descriptor.

use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::task::{Context, Poll};

use signal_hook_registry::SigId;

use super::{check, SignalKind, SignalOps};
use crate::net::{Reactor, Source};

/// A listener of one signal, on the reactor of `R`.
pub struct Signal<R: Reactor> {
    read: R::Source<UnixStream>,
    id: SigId,
    kind: SignalKind,
}

impl<R: Reactor> Signal<R> {
    /// Installs the handler (once per process and signal) and registers a listener.
    ///
    /// # Errors
    ///
    /// [`check`]'s; the system's, creating the pair or installing the handler.
    #[allow(unsafe_code)]
    pub fn new(kind: SignalKind) -> io::Result<Self> {
        check(kind)?;
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        let read = R::Source::new(read)?;
        let action = move || {
            // Full pipe: a delivery is already waiting, this one coalesces with it.
            let _ = (&write).write(&[1]);
        };
        // SAFETY: the action is async-signal-safe: one `write(2)` on a descriptor it owns
        // (std's `Write` for `&UnixStream` is that call; its error is built from errno, with
        // no allocation), no lock, no allocation. `check` has refused the forbidden signals
        // signal-hook-registry would panic on.
        let id = unsafe { signal_hook_registry::register(kind.as_raw_value(), action) }?;
        Ok(Signal { read, id, kind })
    }
}

/// Reads what has arrived: `Ok(())` for one or more bytes, `WouldBlock` for none.
fn drain(mut read: &UnixStream) -> io::Result<()> {
    let mut buf = [0u8; 64];
    let mut got = false;
    loop {
        match read.read(&mut buf) {
            Ok(0) => {
                return match got {
                    true => Ok(()),
                    false => Err(io::ErrorKind::UnexpectedEof.into()),
                }
            }
            Ok(_) => got = true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && got => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

impl<R: Reactor> SignalOps for Signal<R> {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        // An error from the pair (it cannot close: its write end lives in the registered
        // handler) ends the stream.
        self.read.poll_read_with(cx, drain).map(|r| r.ok())
    }

    fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl<R: Reactor> Drop for Signal<R> {
    fn drop(&mut self) {
        // The handler stays installed (the signal's default action does not come back, as
        // with tokio); this listener's action and its write end go.
        signal_hook_registry::unregister(self.id);
    }
}

impl<R: Reactor> fmt::Debug for Signal<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Whether `signum` is a signal of this system: `sigaction` that only reads says so.
#[allow(unsafe_code)]
pub(crate) fn is_signal(signum: i32) -> bool {
    let mut old = std::mem::MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: a null `act` makes `sigaction` only read the current disposition into `old`,
    // a valid pointer to a `sigaction`; it fails with EINVAL for a number that is no signal.
    unsafe { libc::sigaction(signum, std::ptr::null(), old.as_mut_ptr()) == 0 }
}
