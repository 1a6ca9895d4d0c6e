//! The network half of the backend contract (feature `net`): [`Reactor`], which a backend
//! implements next to [`Provider`], and [`Source`], one operating-system socket registered
//! with that backend's reactor.
//!
//! The facade writes every socket type (`anyrt::net::TcpStream`, `UdpSocket`, ...) once,
//! over a std socket in non-blocking mode and a [`Source`]: an operation is tried on the std
//! socket, and when it would block, the source waits for the reactor to report readiness
//! and tries again. A backend therefore supplies only readiness: tokio's reactor
//! (`AsyncFd`) on tokio, async-io's (`Async`) on smol and async-std.
//!
//! The simulation (`anyrt-sim`) has no readiness to give: its sockets are in-memory types of
//! its own, which the facade's socket types hold instead of a [`Source`] (its `Source` type
//! is uninhabited and [`Source::new`] fails with `Unsupported`).
//!
//! Unix only for now (a source is any `AsFd`).

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::task::{Context, Poll};

use crate::Provider;

/// What a socket type must be to be registered: an owned file descriptor (std's sockets),
/// whose `as_raw_fd` names the same open descriptor for as long as it is registered.
pub trait Io: AsFd + AsRawFd + fmt::Debug + Send + Sync + 'static {}

impl<T: AsFd + AsRawFd + fmt::Debug + Send + Sync + 'static> Io for T {}

/// A backend's reactor: how a socket is registered with it.
///
/// ```
/// use anyrt_core::net::{Reactor, Source};
/// use std::future::poll_fn;
/// use std::io::Read;
/// use std::os::unix::net::UnixStream;
///
/// // Generic over the backend, as the facade writes it.
/// fn first_byte<R: Reactor>() -> u8 {
///     R::block_on(async {
///         let (a, b) = UnixStream::pair().unwrap();
///         a.set_nonblocking(true).unwrap();
///         let a = R::Source::new(a).unwrap();
///         std::io::Write::write_all(&mut &b, b"x").unwrap();
///         let mut buf = [0u8; 1];
///         poll_fn(|cx| a.poll_read_with(cx, |s| (&mut &*s).read(&mut buf))).await.unwrap();
///         buf[0]
///     })
/// }
///
/// assert_eq!(first_byte::<anyrt_smol::Smol>(), b'x');
/// ```
pub trait Reactor: Provider {
    /// A socket of type `T` registered with this backend's reactor.
    type Source<T: Io>: Source<T>;
}

/// One socket registered with a reactor. Every operation takes `&self`, so a reader and a
/// writer can share it (split halves); each direction keeps the waker of the last task
/// that polled it.
pub trait Source<T: Io>: fmt::Debug + Send + Sync + Sized + 'static {
    /// Registers `io`, which must already be in non-blocking mode, with the reactor of the
    /// runtime the calling thread is inside, else with the backend's process-wide runtime.
    ///
    /// # Errors
    ///
    /// The reactor refusing the descriptor.
    fn new(io: T) -> io::Result<Self>;

    /// The socket.
    fn get_ref(&self) -> &T;

    /// Deregisters the socket and hands it back (still in non-blocking mode).
    ///
    /// # Errors
    ///
    /// The reactor failing to deregister it.
    fn into_inner(self) -> io::Result<T>;

    /// Runs `op` until it does not fail with `WouldBlock`, waiting for read readiness
    /// between attempts. `op` must be a non-blocking read-side operation on the socket.
    fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>>;

    /// As [`poll_read_with`](Self::poll_read_with), for write readiness.
    fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>>;
}
