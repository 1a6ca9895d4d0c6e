//! The system's processes over a backend's [`Reactor`]: what tokio, smol and async-std
//! supply.
//!
//! - **Exit.** A `SIGCHLD` listener ([`Signal`]) is registered before the spawn, so no exit
//!   is missed; each delivery (they coalesce) makes the child try `waitpid(WNOHANG)`.
//! - **Pipes.** std's pipe ends, made non-blocking and registered with the reactor; reads
//!   and writes are `read(2)`/`write(2)` on the descriptor.
//! - **No zombie.** A child dropped before it was reaped goes to a list of orphans that
//!   every later spawn and every reaped child try to reap (as tokio's orphan queue); a
//!   child still running then is reaped by whichever of those comes after its exit.

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::process::ExitStatus;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use super::{ChildOps, PipeOps, Spawned};
use crate::net::{Io, Reactor, Source};
use crate::signal::os::Signal;
use crate::signal::{SignalKind, SignalOps};

/// Children dropped before they were reaped.
static ORPHANS: Mutex<Vec<std::process::Child>> = Mutex::new(Vec::new());

/// Reaps the orphans that have exited.
fn reap_orphans() {
    let mut orphans = ORPHANS.lock().unwrap_or_else(PoisonError::into_inner);
    orphans.retain_mut(|c| matches!(c.try_wait(), Ok(None)));
}

/// Spawns `command` with its pipes on `R`'s reactor.
pub(super) fn spawn<R: Reactor>(command: &mut std::process::Command) -> io::Result<Spawned<R>> {
    reap_orphans();
    let exits = Signal::<R>::new(SignalKind::child())?;
    let mut child = command.spawn().map_err(|e| named(e, command))?;
    let stdin = child.stdin.take().map(Pipe::new).transpose()?;
    let stdout = child.stdout.take().map(Pipe::new).transpose()?;
    let stderr = child.stderr.take().map(Pipe::new).transpose()?;
    Ok(Spawned {
        child: Child {
            child: Some(child),
            status: None,
            exits,
        },
        stdin,
        stdout,
        stderr,
    })
}

/// `NotFound` (and `PermissionDenied`) name the program: std's say only "No such file or
/// directory".
fn named(e: io::Error, command: &std::process::Command) -> io::Error {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => io::Error::new(
            e.kind(),
            format!("cannot run {:?}: {e}", command.get_program()),
        ),
        _ => e,
    }
}

/// A child process of the system.
pub struct Child<R: Reactor> {
    /// `None` once reaped.
    child: Option<std::process::Child>,
    status: Option<ExitStatus>,
    exits: Signal<R>,
}

impl<R: Reactor> ChildOps for Child<R> {
    fn id(&self) -> Option<u32> {
        self.child.as_ref().map(std::process::Child::id)
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        loop {
            if let Some(status) = self.try_wait()? {
                return Poll::Ready(Ok(status));
            }
            // A `SIGCHLD` since the last look: look again. The listener sees every delivery
            // from before the spawn on, so the exit's cannot slip between.
            match self.exits.poll_recv(cx) {
                Poll::Ready(Some(())) => {}
                Poll::Ready(None) => {
                    return Poll::Ready(Err(io::Error::other(
                        "the SIGCHLD listener failed: the child's exit cannot be seen",
                    )))
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let child = self
            .child
            .as_mut()
            .expect("a child not reaped has its handle");
        let status = child.try_wait()?;
        if let Some(status) = status {
            self.status = Some(status);
            self.child = None;
            reap_orphans();
        }
        Ok(status)
    }

    fn start_kill(&mut self) -> io::Result<()> {
        match &mut self.child {
            // `kill` of a reaped child would signal nobody (or a reused pid): not sent.
            None => Ok(()),
            Some(child) => match child.kill() {
                Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
                other => other,
            },
        }
    }
}

impl<R: Reactor> Drop for Child<R> {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Ok(None) = child.try_wait() {
                ORPHANS
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(child);
            }
        }
    }
}

impl<R: Reactor> fmt::Debug for Child<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.id())
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// One end of a pipe to a child, on `R`'s reactor.
pub struct Pipe<R: Reactor, T: Io> {
    source: R::Source<T>,
    _reactor: PhantomData<fn() -> R>,
}

impl<R: Reactor, T: Io> Pipe<R, T> {
    fn new(end: T) -> io::Result<Self> {
        set_nonblocking(end.as_raw_fd())?;
        Ok(Pipe {
            source: R::Source::new(end)?,
            _reactor: PhantomData,
        })
    }
}

#[allow(unsafe_code)]
fn set_nonblocking(fd: i32) -> io::Result<()> {
    // SAFETY: `fcntl` on a descriptor the caller owns, reading then setting its flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[allow(unsafe_code)]
fn read_fd(fd: i32, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes of writes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

#[allow(unsafe_code)]
fn write_fd(fd: i32, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes of reads.
    let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

impl<R: Reactor, T: Io> PipeOps for Pipe<R, T> {
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.source
            .poll_read_with(cx, |end| read_fd(end.as_raw_fd(), buf))
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.source
            .poll_write_with(cx, |end| write_fd(end.as_raw_fd(), buf))
    }
}

impl<R: Reactor, T: Io> fmt::Debug for Pipe<R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipe")
            .field("end", self.source.get_ref())
            .finish()
    }
}
