//! TCP: [`TcpListener`] and [`TcpStream`].

use std::future::poll_fn;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::task::{Context, Poll};
use std::time::Duration;

use anyrt_core::Backend;

use super::{each_addr, ToSocketAddrs};

backend_enum! {
    /// A listener's socket, of one backend.
    #[derive(Debug)]
    enum ListenerIo(<anyrt_core::net::Net>::TcpListener);
}

backend_enum! {
    /// A stream's socket, of one backend.
    #[derive(Debug)]
    pub(super) enum TcpIo(<anyrt_core::net::Net>::TcpStream);
}

stream_io_enum!(TcpIo);

/// A TCP listening socket, on the reactor of the backend in effect where it is bound.
///
/// ```
/// use anyrt::net::{TcpListener, TcpStream};
///
/// anyrt::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     let (server_side, peer) = listener.accept().await.unwrap();
///     assert_eq!(peer, client.local_addr().unwrap());
///     assert_eq!(server_side.peer_addr().unwrap(), client.local_addr().unwrap());
/// });
/// ```
pub struct TcpListener {
    io: ListenerIo,
}

impl TcpListener {
    /// Binds to `addr` (the first of its addresses that binds), with `SO_REUSEADDR` and a
    /// backlog of 1024, as tokio's. Port 0 picks a free port ([`local_addr`](Self::local_addr)
    /// tells which).
    ///
    /// # Errors
    ///
    /// `AddrInUse` for an address another socket holds, `AddrNotAvailable` for an address
    /// not on this host, the resolver's error for a name.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        each_addr(&addr, |addr| async move { TcpListener::bind_addr(addr) }).await
    }

    fn bind_addr(addr: SocketAddr) -> io::Result<TcpListener> {
        let io = new_socket!(ListenerIo, TcpListener, TcpListenerOps::bind(addr))?;
        Ok(TcpListener { io })
    }

    /// Waits for a connection: the stream (on the listener's reactor) and the peer's
    /// address. Cancel-safe: a dropped `accept` takes no connection from the queue.
    ///
    /// # Errors
    ///
    /// The system's (`EMFILE` when out of descriptors: the connection stays queued).
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection; see [`accept`](Self::accept).
    ///
    /// # Errors
    ///
    /// As [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        each_backend!(&self.io, ListenerIo, l, P, wrap = TcpIo => {
            anyrt_core::net::TcpListenerOps::poll_accept(l, cx)
                .map_ok(|(s, peer)| (TcpStream { io: wrap(s) }, peer))
        })
    }

    /// The local address (the port picked for port 0).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        forward!(&self.io, ListenerIo, TcpListenerOps::local_addr())
    }

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        forward!(&self.io, ListenerIo, TcpListenerOps::set_ttl(ttl))
    }

    /// `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn ttl(&self) -> io::Result<u32> {
        forward!(&self.io, ListenerIo, TcpListenerOps::ttl())
    }

    /// The backend whose reactor the listener is on.
    pub fn backend(&self) -> Backend {
        backend_of!(&self.io, ListenerIo)
    }

    /// Deregisters the listener and hands back the std one, still in non-blocking mode
    /// (call `set_nonblocking(false)` for blocking use).
    ///
    /// # Errors
    ///
    /// The reactor failing to deregister it.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        forward!(self.io, ListenerIo, SocketOps::into_std())
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    /// Registers a std listener (set to non-blocking mode) with the reactor of the backend
    /// in effect here.
    fn try_from(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        let io = new_socket!(ListenerIo, TcpListener, SocketOps::from_std(listener))?;
        Ok(TcpListener { io })
    }
}

socket_traits!(TcpListener, ListenerIo);

/// A TCP connection, on the reactor of the backend in effect where it was connected (or of
/// the listener that accepted it). Reads and writes through `&self` too, so one task can
/// read while another writes ([`into_split`](Self::into_split) gives owned halves).
///
/// It implements futures' `AsyncRead` and `AsyncWrite`; tokio's with feature `tokio-io`;
/// hyper's `rt::Read` and `rt::Write` with feature `hyper`.
pub struct TcpStream {
    pub(super) io: TcpIo,
}

impl TcpStream {
    /// Connects to `addr`, trying each of its addresses in turn. Cancel-safe (a dropped
    /// `connect` closes the half-open socket).
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// anyrt::block_on(async {
    ///     // A port nobody listens on (bound, then closed).
    ///     let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    ///     let err = anyrt::net::TcpStream::connect(port).await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    /// });
    /// ```
    ///
    /// # Errors
    ///
    /// The last address's error: `ConnectionRefused` for a closed port, the resolver's error
    /// for a name that does not resolve.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        each_addr(&addr, TcpStream::connect_addr).await
    }

    /// [`connect`](Self::connect), bounded by `timeout` on anyrt's timer.
    ///
    /// # Errors
    ///
    /// `TimedOut` once `timeout` has passed; otherwise as [`connect`](Self::connect).
    pub async fn connect_timeout(
        addr: impl ToSocketAddrs,
        timeout: Duration,
    ) -> io::Result<TcpStream> {
        match crate::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connect timed out after {timeout:?}"),
            )),
        }
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let io = new_socket!(async TcpIo, TcpStream, TcpStreamOps::connect(addr))?;
        Ok(TcpStream { io })
    }

    /// Reads into `buf`: the count read, `Ok(0)` at end-of-file (or for an empty `buf`).
    /// Cancel-safe: a dropped `read` consumed nothing.
    ///
    /// # Errors
    ///
    /// The system's (`ConnectionReset` for a peer that reset).
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_read(cx, buf)).await
    }

    /// Writes some of `buf` (one system call): the count written. Cancel-safe: a dropped
    /// `write` wrote nothing. futures' `AsyncWriteExt::write_all` writes all of it.
    ///
    /// # Errors
    ///
    /// The system's (`BrokenPipe` or `ConnectionReset` once the peer has gone).
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_write(cx, buf)).await
    }

    /// Reads into `buf` without removing the data from the queue. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| forward!(&self.io, TcpIo, TcpStreamOps::poll_peek(cx, buf))).await
    }

    /// Reads what is there now, without waiting: `WouldBlock` when nothing is.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the system's.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        forward!(&self.io, TcpIo, StreamOps::try_read(buf))
    }

    /// Writes what fits now, without waiting: `WouldBlock` when nothing does.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the system's.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        forward!(&self.io, TcpIo, StreamOps::try_write(buf))
    }

    /// Shuts the read side, the write side or both down at once (`Shutdown::Write`: the peer
    /// reads end-of-file): std's `TcpStream::shutdown`, named apart so that it does not hide
    /// the IO traits' `shutdown()`/`close()`, which a port from tokio calls as
    /// `stream.shutdown().await`.
    ///
    /// # Errors
    ///
    /// The system's (`NotConnected` once the connection is gone).
    pub fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        forward!(&self.io, TcpIo, StreamOps::shutdown(how))
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        forward!(&self.io, TcpIo, StreamOps::peer_addr())
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        forward!(&self.io, TcpIo, StreamOps::local_addr())
    }

    /// Sets `TCP_NODELAY` (no Nagle delay for small writes).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        forward!(&self.io, TcpIo, TcpStreamOps::set_nodelay(nodelay))
    }

    /// `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn nodelay(&self) -> io::Result<bool> {
        forward!(&self.io, TcpIo, TcpStreamOps::nodelay())
    }

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        forward!(&self.io, TcpIo, TcpStreamOps::set_ttl(ttl))
    }

    /// `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn ttl(&self) -> io::Result<u32> {
        forward!(&self.io, TcpIo, TcpStreamOps::ttl())
    }

    /// The pending socket error (`SO_ERROR`), cleared by the call (none on the simulated
    /// network, whose errors come from the operations themselves).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        forward!(&self.io, TcpIo, SocketOps::take_error())
    }

    /// Splits the stream into owned halves that can move to different tasks; dropping the
    /// write half shuts the write side down. `reunite` puts them back together.
    ///
    /// ```
    /// use anyrt::net::{TcpListener, TcpStream};
    ///
    /// anyrt::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (read, write) = stream.into_split();
    ///     let stream: TcpStream = read.reunite(write).unwrap();
    ///     # drop(stream);
    /// });
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split(self)
    }

    /// Borrows the stream as a read half and a write half, for two futures of one task (a
    /// `select!`, a `join!`, `copy` from one half into the other): tokio's `split`. For
    /// halves that move into different tasks, [`into_split`](Self::into_split).
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (ReadHalf { inner: self }, WriteHalf { inner: self })
    }

    /// The backend whose reactor the stream is on.
    pub fn backend(&self) -> Backend {
        backend_of!(&self.io, TcpIo)
    }

    /// Deregisters the stream and hands back the std one, still in non-blocking mode (call
    /// `set_nonblocking(false)` for blocking use).
    ///
    /// # Errors
    ///
    /// The reactor failing to deregister it.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        forward!(self.io, TcpIo, SocketOps::into_std())
    }
}

impl TryFrom<std::net::TcpStream> for TcpStream {
    type Error = io::Error;

    /// Registers a connected std stream (set to non-blocking mode) with the reactor of the
    /// backend in effect here.
    fn try_from(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        let io = new_socket!(TcpIo, TcpStream, SocketOps::from_std(stream))?;
        Ok(TcpStream { io })
    }
}

socket_traits!(TcpStream, TcpIo);

impl_stream_io!(TcpStream, |this| &this.io);

owned_halves!(TcpStream, SocketAddr, "TCP stream");
