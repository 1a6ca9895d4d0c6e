//! The IO half of the backend contract (feature `net`): [`Net`], the sockets a backend
//! supplies, next to [`Provider`]; and [`Reactor`], the readiness a backend on the operating
//! system's sockets supplies so that it can reuse [`os`], the one implementation of those
//! sockets.
//!
//! A backend implements [`Net`]: one associated type per socket kind (TCP listener and
//! stream, UDP socket, Unix listener, stream and datagram socket), each implementing the
//! trait of its kind ([`TcpListenerOps`], [`TcpStreamOps`], ...), and name lookup. The
//! facade's `anyrt::net` types hold one of these per backend, in one enum each, and forward
//! every call with a `match`: they never look at how a backend makes its sockets.
//!
//! - tokio, smol and async-std answer with [`os`]'s types over their [`Reactor`] (tokio's
//!   `AsyncFd`, async-io's `Async`): a std socket in non-blocking mode, tried, and when it
//!   would block, waited on for readiness.
//! - the simulation (`anyrt-sim`) answers with its in-memory sockets: no descriptor, no
//!   reactor; what they do not model fails with `Unsupported` (`SocketOps::os`).
//!
//! The IO still to come takes the same shape: files, child processes and signals are each one
//! more associated type (or a method set) on a trait of this kind, with an [`os`]
//! implementation the real backends share and one of the simulation's.
//!
//! Unix only for now (an OS socket is any `AsFd`).

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::Path;
use std::task::{Context, Poll};

use crate::Provider;

pub mod os;

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

    /// Runs `op` until it does not fail with `WouldBlock`, waiting for the readiness of
    /// `interest` between attempts. `op` must be a non-blocking operation on the socket of
    /// that side (a read for [`Interest::Read`]).
    fn poll_with<R>(
        &self,
        interest: Interest,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>>;

    /// [`poll_with`](Self::poll_with) for read readiness.
    #[inline]
    fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_with(Interest::Read, cx, op)
    }

    /// [`poll_with`](Self::poll_with) for write readiness.
    #[inline]
    fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_with(Interest::Write, cx, op)
    }
}

/// The readiness a [`Source`] operation waits for: each direction keeps the waker of the
/// last task that polled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Readable (reads, accepts, receives).
    Read,
    /// Writable (writes, sends, a connect's end).
    Write,
}

// -------------------------------------------------------------------------------------------
// The sockets a backend supplies.

/// The sockets of a backend: the IO half of the contract, next to [`Provider`].
///
/// A backend on the system's sockets implements [`Reactor`] instead, and is a `Net` by the
/// blanket impl below, with [`os`]'s types over its reactor; a backend with sockets of its
/// own (the simulation) implements `Net` on them.
///
/// Every constructor makes its socket on this backend (on the reactor of the runtime the
/// calling thread is inside, else the backend's process-wide one; for the simulation, in the
/// simulation the calling thread is inside). An accepted connection belongs to its
/// listener's backend.
///
/// ```
/// use anyrt_core::net::{Net, SocketOps, StreamOps, TcpListenerOps, TcpStreamOps};
/// use std::future::poll_fn;
///
/// // Generic over the backend, as the facade's dispatch calls it.
/// fn echo_one_byte<N: Net>() -> u8 {
///     N::block_on(async {
///         let listener = N::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
///         let addr = listener.local_addr().unwrap();
///         let client = N::TcpStream::connect(addr).await.unwrap();
///         let (server, _) = poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
///         poll_fn(|cx| client.poll_write(cx, b"x")).await.unwrap();
///         let mut buf = [0u8; 1];
///         poll_fn(|cx| server.poll_read(cx, &mut buf)).await.unwrap();
///         assert!(server.fd().is_some()); // an OS socket
///         buf[0]
///     })
/// }
///
/// assert_eq!(echo_one_byte::<anyrt_smol::Smol>(), b'x');
/// ```
pub trait Net: Provider {
    /// A TCP listener.
    type TcpListener: TcpListenerOps<Stream = Self::TcpStream>;
    /// A TCP connection.
    type TcpStream: TcpStreamOps;
    /// A UDP socket.
    type UdpSocket: UdpSocketOps;
    /// A Unix stream listener.
    type UnixListener: UnixListenerOps<Stream = Self::UnixStream>;
    /// A Unix stream.
    type UnixStream: UnixStreamOps;
    /// A Unix datagram socket.
    type UnixDatagram: UnixDatagramOps;

    /// Resolves `name` (`"host:port"`), never on the async thread: the system's resolver on
    /// the blocking pool for the real backends, the simulated network's names for the
    /// simulation.
    fn lookup_host(
        name: String,
    ) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'static;
}

/// The system's sockets over a backend's reactor: what tokio, smol and async-std supply.
impl<R: Reactor> Net for R {
    type TcpListener = os::TcpListener<R>;
    type TcpStream = os::TcpStream<R>;
    type UdpSocket = os::UdpSocket<R>;
    type UnixListener = os::UnixListener<R>;
    type UnixStream = os::UnixStream<R>;
    type UnixDatagram = os::UnixDatagram<R>;

    fn lookup_host(
        name: String,
    ) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'static {
        os::lookup_host::<R>(name)
    }
}

/// What every socket kind has: its std counterpart, its descriptor (if it has one), its
/// pending error.
pub trait SocketOps: fmt::Debug + Send + Sync + Sized + 'static {
    /// The std socket of the same kind (`std::net::TcpStream` for a TCP stream).
    type Std;

    /// Takes a std socket over (setting it to non-blocking mode).
    ///
    /// # Errors
    ///
    /// The reactor refusing it; `Unsupported` where the backend has no OS sockets.
    fn from_std(std: Self::Std) -> io::Result<Self>;

    /// Hands the std socket back (in non-blocking mode).
    ///
    /// # Errors
    ///
    /// The reactor failing to deregister it; `Unsupported` where there is none.
    fn into_std(self) -> io::Result<Self::Std>;

    /// The std socket, for what only the operating system has (multicast options, say).
    ///
    /// # Errors
    ///
    /// `Unsupported` where the backend has no OS sockets, with a message that says so.
    fn os(&self) -> io::Result<&Self::Std>;

    /// The file descriptor; `None` for a socket with none (the simulation's).
    fn fd(&self) -> Option<BorrowedFd<'_>>;

    /// The pending error (`SO_ERROR`), taken.
    ///
    /// # Errors
    ///
    /// The system's.
    fn take_error(&self) -> io::Result<Option<io::Error>>;
}

/// A connected byte stream (TCP or Unix): reads and writes through `&self`, so a reader and
/// a writer can share it. Each direction keeps the waker of the last task that polled it.
pub trait StreamOps: SocketOps {
    /// Its kind's address type.
    type Addr;

    /// Reads into `buf`; `Ok(0)` at end-of-file.
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// Reads into memory that may be uninitialised; the first `n` bytes are then initialised.
    fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>>;

    /// Writes some of `buf`.
    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    /// Writes some of `bufs`.
    fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;

    /// Reads what is there now, else `WouldBlock`; registers no waker.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the system's.
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;

    /// Writes what fits now, else `WouldBlock`; registers no waker.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the system's.
    fn try_write(&self, buf: &[u8]) -> io::Result<usize>;

    /// Shuts one or both directions down.
    ///
    /// # Errors
    ///
    /// The system's (`NotConnected` where it already is).
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    fn local_addr(&self) -> io::Result<Self::Addr>;

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// The system's.
    fn peer_addr(&self) -> io::Result<Self::Addr>;
}

/// A TCP listener.
pub trait TcpListenerOps: SocketOps<Std = std::net::TcpListener> {
    /// The stream an accept gives.
    type Stream: TcpStreamOps;

    /// Binds to `addr` with `SO_REUSEADDR` and a backlog of 1024, as tokio's.
    ///
    /// # Errors
    ///
    /// The system's (`AddrInUse`, `AddrNotAvailable`).
    fn bind(addr: SocketAddr) -> io::Result<Self>;

    /// Polls for a connection: the stream (on the listener's backend) and the peer's address.
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(Self::Stream, SocketAddr)>>;

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    fn local_addr(&self) -> io::Result<SocketAddr>;

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    fn set_ttl(&self, ttl: u32) -> io::Result<()>;

    /// `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    fn ttl(&self) -> io::Result<u32>;
}

/// A TCP connection.
pub trait TcpStreamOps: StreamOps<Std = std::net::TcpStream, Addr = SocketAddr> {
    /// Connects to `addr`. Dropped before it completes, it closes the half-open socket.
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self>> + Send;

    /// Reads into `buf` without taking the data from the queue.
    fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// Sets `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// The system's.
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()>;

    /// `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// The system's.
    fn nodelay(&self) -> io::Result<bool>;

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    fn set_ttl(&self, ttl: u32) -> io::Result<()>;

    /// `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    fn ttl(&self) -> io::Result<u32>;
}

/// A UDP socket.
pub trait UdpSocketOps: SocketOps<Std = std::net::UdpSocket> {
    /// Binds to `addr`.
    ///
    /// # Errors
    ///
    /// The system's (`AddrInUse`).
    fn bind(addr: SocketAddr) -> io::Result<Self>;

    /// Sets the peer that `poll_send` sends to and `poll_recv` receives from.
    ///
    /// # Errors
    ///
    /// The system's.
    fn connect(&self, addr: SocketAddr) -> io::Result<()>;

    /// Sends to the connected peer.
    fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    /// Receives from the connected peer.
    fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// Sends to `target`.
    fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>>;

    /// Receives one datagram, with its sender.
    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>>;

    /// [`poll_recv_from`](Self::poll_recv_from), leaving the datagram queued.
    fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>>;

    /// [`poll_recv`](Self::poll_recv), leaving the datagram queued.
    fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// Receives a datagram that is there now, else `WouldBlock`; registers no waker.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the system's.
    fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)>;

    /// Sends now, else `WouldBlock`; registers no waker.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the system's.
    fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize>;

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    fn local_addr(&self) -> io::Result<SocketAddr>;

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected`, or the system's.
    fn peer_addr(&self) -> io::Result<SocketAddr>;

    /// Sets `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// The system's.
    fn set_broadcast(&self, on: bool) -> io::Result<()>;

    /// `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// The system's.
    fn broadcast(&self) -> io::Result<bool>;

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    fn set_ttl(&self, ttl: u32) -> io::Result<()>;

    /// `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    fn ttl(&self) -> io::Result<u32>;
}

/// A Unix stream listener.
pub trait UnixListenerOps: SocketOps<Std = std::os::unix::net::UnixListener> {
    /// The stream an accept gives.
    type Stream: UnixStreamOps;

    /// Binds to `path`.
    ///
    /// # Errors
    ///
    /// The system's (`AddrInUse` for a path that exists).
    fn bind(path: &Path) -> io::Result<Self>;

    /// Polls for a connection: the stream and the peer's address.
    fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(Self::Stream, std::os::unix::net::SocketAddr)>>;

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    fn local_addr(&self) -> io::Result<std::os::unix::net::SocketAddr>;
}

/// A Unix stream.
pub trait UnixStreamOps:
    StreamOps<Std = std::os::unix::net::UnixStream, Addr = std::os::unix::net::SocketAddr>
{
    /// Connects to the listener at `path`.
    fn connect(path: &Path) -> impl Future<Output = io::Result<Self>> + Send;

    /// Two connected streams.
    ///
    /// # Errors
    ///
    /// The system's.
    fn pair() -> io::Result<(Self, Self)>;
}

/// A Unix datagram socket.
pub trait UnixDatagramOps: SocketOps<Std = std::os::unix::net::UnixDatagram> {
    /// Binds to `path`.
    ///
    /// # Errors
    ///
    /// The system's.
    fn bind(path: &Path) -> io::Result<Self>;

    /// A socket bound to no path.
    ///
    /// # Errors
    ///
    /// The system's.
    fn unbound() -> io::Result<Self>;

    /// Two connected sockets.
    ///
    /// # Errors
    ///
    /// The system's.
    fn pair() -> io::Result<(Self, Self)>;

    /// Sets the peer that `poll_send` sends to.
    ///
    /// # Errors
    ///
    /// The system's.
    fn connect(&self, path: &Path) -> io::Result<()>;

    /// Sends to the connected peer.
    fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    /// Sends to the socket bound at `path`.
    fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        path: &Path,
    ) -> Poll<io::Result<usize>>;

    /// Receives one datagram, with its sender's address.
    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, std::os::unix::net::SocketAddr)>>;

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    fn local_addr(&self) -> io::Result<std::os::unix::net::SocketAddr>;

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// The system's.
    fn peer_addr(&self) -> io::Result<std::os::unix::net::SocketAddr>;
}
