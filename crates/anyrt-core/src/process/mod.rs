//! Child processes, the fifth part of the IO contract (feature `process`, unix):
//! [`Processes`], a backend's children and their pipes.
//!
//! - tokio, smol and async-std answer with [`os`] over their
//!   [`Reactor`](crate::net::Reactor): `std::process::Command` spawns; the pipes, made
//!   non-blocking, wait on the reactor; a child's exit is seen through a `SIGCHLD` listener
//!   ([`crate::signal::os::Signal`], registered before the spawn) and `waitpid`. One
//!   implementation: the same errors and the same reaping on every real backend.
//! - the simulation has no processes: its [`Processes::spawn`] fails with `Unsupported`,
//!   saying why and what to do ([`NoProcess`] for its types).

use std::fmt;
use std::io;
use std::process::ExitStatus;
use std::task::{Context, Poll};

use crate::Provider;

pub mod os;

/// The child processes of a backend.
pub trait Processes: Provider {
    /// A running (or finished, not yet waited for) child.
    type Child: ChildOps;
    /// The write end of a child's piped stdin.
    type Stdin: PipeOps;
    /// The read end of a child's piped stdout.
    type Stdout: PipeOps;
    /// The read end of a child's piped stderr.
    type Stderr: PipeOps;

    /// Spawns `command` (its `Stdio` settings as given).
    ///
    /// # Errors
    ///
    /// `NotFound` for a program that does not exist (the message names it),
    /// `PermissionDenied` for one that may not run, the system's otherwise.
    fn spawn(command: &mut std::process::Command) -> io::Result<Spawned<Self>>;
}

/// A child just spawned, with the pipes the command asked for.
pub struct Spawned<P: Processes> {
    /// The child.
    pub child: P::Child,
    /// Its stdin, if piped.
    pub stdin: Option<P::Stdin>,
    /// Its stdout, if piped.
    pub stdout: Option<P::Stdout>,
    /// Its stderr, if piped.
    pub stderr: Option<P::Stderr>,
}

impl<P: Processes> fmt::Debug for Spawned<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spawned")
            .field("child", &self.child)
            .finish_non_exhaustive()
    }
}

/// A child process.
pub trait ChildOps: fmt::Debug + Send + Sync + 'static {
    /// Its process id; `None` once it has been waited for.
    fn id(&self) -> Option<u32>;

    /// `Ready` with its exit status once it has exited (and reaped it). Cancel-safe; any
    /// number of calls give the same status.
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>>;

    /// Its exit status if it has exited, without waiting.
    ///
    /// # Errors
    ///
    /// The system's.
    fn try_wait(&mut self) -> io::Result<Option<ExitStatus>>;

    /// Sends it `SIGKILL` (no error if it has already exited).
    ///
    /// # Errors
    ///
    /// The system's.
    fn start_kill(&mut self) -> io::Result<()>;
}

/// One end of a pipe to a child: reads (stdout, stderr) or writes (stdin).
pub trait PipeOps: fmt::Debug + Send + Sync + 'static {
    /// Reads what has arrived; `Ready(Ok(0))` at end of file.
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// Writes what fits; `BrokenPipe` once the child closed its end.
    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
}

/// The system's processes over a backend's reactor: what tokio, smol and async-std supply.
impl<R: crate::net::Reactor> Processes for R {
    type Child = os::Child<R>;
    type Stdin = os::Pipe<R, std::process::ChildStdin>;
    type Stdout = os::Pipe<R, std::process::ChildStdout>;
    type Stderr = os::Pipe<R, std::process::ChildStderr>;

    fn spawn(command: &mut std::process::Command) -> io::Result<Spawned<Self>> {
        os::spawn(command)
    }
}

/// What a backend with no processes uses for [`Processes`]' types: no value of it exists.
#[derive(Debug)]
pub enum NoProcess {}

impl ChildOps for NoProcess {
    fn id(&self) -> Option<u32> {
        match *self {}
    }

    fn poll_wait(&mut self, _: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        match *self {}
    }

    fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        match *self {}
    }

    fn start_kill(&mut self) -> io::Result<()> {
        match *self {}
    }
}

impl PipeOps for NoProcess {
    fn poll_read(&self, _: &mut Context<'_>, _: &mut [u8]) -> Poll<io::Result<usize>> {
        match *self {}
    }

    fn poll_write(&self, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        match *self {}
    }
}
