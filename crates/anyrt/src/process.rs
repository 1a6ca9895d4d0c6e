//! Child processes (feature `process`, unix), with the names of `tokio::process`:
//! [`Command`], [`Child`] and its piped [`ChildStdin`], [`ChildStdout`], [`ChildStderr`], on
//! every backend.
//!
//! ```
//! use anyrt::process::Command;
//!
//! # #[cfg(not(feature = "sim"))]
//! anyrt::block_on(async {
//!     let out = Command::new("echo").arg("hello").output().await?;
//!     assert!(out.status.success());
//!     assert_eq!(out.stdout, b"hello\n");
//!
//!     let err = Command::new("no-such-program").spawn().unwrap_err();
//!     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
//!     assert!(err.to_string().contains("no-such-program"));
//!     std::io::Result::Ok(())
//! })
//! .unwrap();
//! ```
//!
//! What to know, the same on every backend:
//! - **One implementation** on tokio, smol and async-std: `std::process::Command` spawns; the
//!   pipes wait on the backend's reactor; an exit is seen through a `SIGCHLD` listener
//!   (installing the handler once, as `tokio::process` does). A child is polled from any
//!   runtime.
//! - **Errors.** A program that does not exist is `NotFound`, one that may not run
//!   `PermissionDenied`; both messages name the program. A write to a child's stdin after
//!   it closed it is `BrokenPipe` (never a `SIGPIPE` that kills the caller).
//! - **No zombie.** [`Child::wait`] reaps the child. A `Child` dropped before that is
//!   reaped by a later spawn or wait once it has exited (as tokio's orphan queue does);
//!   with [`Command::kill_on_drop`] it is also killed when dropped. Otherwise a dropped
//!   child runs on (as tokio's, unlike smol's `async-process`, which does the same).
//! - **Under the sim backend** nothing spawns: [`Command::spawn`] fails with `Unsupported`,
//!   saying why (a real program would escape the seeded schedule) and what to do.
//!
//! Cancel safety: [`Child::wait`] is cancel-safe; reads and writes of the pipes are as a
//! socket's (bytes are taken only by a call that returns them).

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::process::{ExitStatus, Output, Stdio};
use std::task::{Context, Poll};

#[allow(unused_imports)] // with no backend compiled in
use anyrt_core::process::{ChildOps, PipeOps, Processes};
use anyrt_core::Backend;

/// A program to run, as `std::process::Command` (and `tokio::process::Command`).
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
    stdin_set: bool,
    stdout_set: bool,
    stderr_set: bool,
}

impl Command {
    /// Runs `program` (found on `PATH` unless it is a path), with no arguments, the
    /// caller's environment, directory and standard streams.
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, val);
        self
    }

    /// Sets environment variables.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts from an empty environment.
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Runs it in `dir`.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Its stdin (`Stdio::piped()` gives [`Child::stdin`]).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.stdin_set = true;
        self
    }

    /// Its stdout (`Stdio::piped()` gives [`Child::stdout`]).
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.stdout_set = true;
        self
    }

    /// Its stderr (`Stdio::piped()` gives [`Child::stderr`]).
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.stderr_set = true;
        self
    }

    /// Kills the child when its [`Child`] is dropped before it exited (off by default: a
    /// dropped child runs on, and is reaped once it exits).
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Whether [`kill_on_drop`](Self::kill_on_drop) is set.
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// The `std::process::Command` inside (the settings std has and this type does not).
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The `std::process::Command` inside, to change.
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts it, on the backend in effect here.
    ///
    /// # Errors
    ///
    /// `NotFound` (no such program), `PermissionDenied` (not executable), naming the
    /// program; `Unsupported` under the sim backend; the system's otherwise.
    pub fn spawn(&mut self) -> io::Result<Child> {
        let backend = Backend::selected();
        let kill_on_drop = self.kill_on_drop;
        let std = &mut self.std;
        dispatch!(backend, P => {
            let spawned = <P as Processes>::spawn(std)?;
            #[allow(unreachable_code)] // the simulation's types are uninhabited
            Ok(Child {
                inner: Box::new(spawned.child),
                stdin: spawned.stdin.map(|s| ChildStdin { inner: Box::new(s) }),
                stdout: spawned.stdout.map(|s| ChildStdout { inner: Box::new(s) }),
                stderr: spawned.stderr.map(|s| ChildStderr { inner: Box::new(s) }),
                kill_on_drop,
            })
        })
    }

    /// Runs it to its end with the standard streams inherited (unless set), and gives its
    /// exit status.
    ///
    /// # Errors
    ///
    /// [`spawn`](Self::spawn)'s; the system's, waiting.
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        // Inherited or not, the pipes the command asked for are not the caller's to read:
        // closed, as std's `status` does.
        drop(child.stdin.take());
        drop(child.stdout.take());
        drop(child.stderr.take());
        child.wait().await
    }

    /// Runs it to its end with stdout and stderr captured (and stdin empty) unless set, and
    /// gives its status and output.
    ///
    /// # Errors
    ///
    /// [`spawn`](Self::spawn)'s; the system's, reading or waiting.
    pub async fn output(&mut self) -> io::Result<Output> {
        if !self.stdin_set {
            self.std.stdin(Stdio::null());
        }
        if !self.stdout_set {
            self.std.stdout(Stdio::piped());
        }
        if !self.stderr_set {
            self.std.stderr(Stdio::piped());
        }
        self.spawn()?.wait_with_output().await
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
            stdin_set: false,
            stdout_set: false,
            stderr_set: false,
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("std", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

/// A child process ([`Command::spawn`]), as `tokio::process::Child`.
pub struct Child {
    inner: Box<dyn ChildOps>,
    /// Its stdin, if piped (take it to write; dropping it closes the child's stdin).
    pub stdin: Option<ChildStdin>,
    /// Its stdout, if piped.
    pub stdout: Option<ChildStdout>,
    /// Its stderr, if piped.
    pub stderr: Option<ChildStderr>,
    kill_on_drop: bool,
}

impl Child {
    /// Its process id; `None` once it has been reaped.
    pub fn id(&self) -> Option<u32> {
        self.inner.id()
    }

    /// Waits for it to exit (closing its stdin first, so that a child reading it ends) and
    /// reaps it. Cancel-safe; waiting again gives the same status.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        std::future::poll_fn(|cx| self.poll_wait(cx)).await
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        self.inner.poll_wait(cx)
    }

    /// Its exit status if it has exited (reaping it), without waiting.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.inner.try_wait()
    }

    /// Sends it `SIGKILL` without waiting (no error if it has exited).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn start_kill(&mut self) -> io::Result<()> {
        self.inner.start_kill()
    }

    /// Kills it and waits for it.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await?;
        Ok(())
    }

    /// Waits for it to exit, reading all of its piped stdout and stderr meanwhile.
    ///
    /// # Errors
    ///
    /// The system's, reading or waiting.
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        use futures_util::AsyncReadExt;
        drop(self.stdin.take());
        async fn all(pipe: Option<impl futures_io::AsyncRead + Unpin>) -> io::Result<Vec<u8>> {
            let mut out = Vec::new();
            if let Some(mut pipe) = pipe {
                pipe.read_to_end(&mut out).await?;
            }
            Ok(out)
        }
        let (stdout, stderr) =
            futures_util::future::try_join(all(self.stdout.take()), all(self.stderr.take()))
                .await?;
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.kill_on_drop && matches!(self.try_wait(), Ok(None)) {
            let _ = self.start_kill();
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.id())
            .field("kill_on_drop", &self.kill_on_drop)
            .finish_non_exhaustive()
    }
}

macro_rules! pipe {
    ($(#[$doc:meta])* $name:ident, read) => {
        pipe!(@type $(#[$doc])* $name);

        impl futures_io::AsyncRead for $name {
            fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
                self.inner.poll_read(cx, buf)
            }
        }

        #[cfg(feature = "tokio-io")]
        impl tokio_io::io::AsyncRead for $name {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio_io::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let n = std::task::ready!(futures_io::AsyncRead::poll_read(self, cx, buf.initialize_unfilled()))?;
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
        }
    };
    ($(#[$doc:meta])* $name:ident, write) => {
        pipe!(@type $(#[$doc])* $name);

        impl futures_io::AsyncWrite for $name {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                self.inner.poll_write(cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }

        #[cfg(feature = "tokio-io")]
        impl tokio_io::io::AsyncWrite for $name {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                futures_io::AsyncWrite::poll_write(self, cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }
    };
    (@type $(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name {
            inner: Box<dyn PipeOps>,
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.inner, f)
            }
        }
    };
}

pipe! {
    /// The write end of a child's stdin (futures' `AsyncWrite`, tokio's with `tokio-io`);
    /// dropping it closes the child's stdin. `close`/`shutdown` does nothing: drop it.
    ChildStdin, write
}
pipe! {
    /// The read end of a child's stdout (futures' `AsyncRead`, tokio's with `tokio-io`).
    ChildStdout, read
}
pipe! {
    /// The read end of a child's stderr (futures' `AsyncRead`, tokio's with `tokio-io`).
    ChildStderr, read
}
