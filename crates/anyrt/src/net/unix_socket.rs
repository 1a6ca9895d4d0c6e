//! Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`].

use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use anyrt_core::Backend;

backend_enum! {
    /// A Unix listener's socket, of one backend.
    #[derive(Debug)]
    enum ListenerIo(<anyrt_core::net::Net>::UnixListener);
}

backend_enum! {
    /// A Unix stream's socket, of one backend.
    #[derive(Debug)]
    pub(super) enum UnixIo(<anyrt_core::net::Net>::UnixStream);
}

stream_io_enum!(UnixIo);

backend_enum! {
    /// A Unix datagram socket, of one backend.
    #[derive(Debug)]
    enum DatagramIo(<anyrt_core::net::Net>::UnixDatagram);
}

/// A Unix stream listening socket, on the reactor of the backend in effect where it is
/// bound.
///
/// ```
/// use anyrt::net::{UnixListener, UnixStream};
///
/// let dir = std::env::temp_dir().join(format!("anyrt-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("sock");
/// # let _ = std::fs::remove_file(&path);
/// anyrt::block_on(async {
///     let listener = UnixListener::bind(&path).unwrap();
///     let client = UnixStream::connect(&path).await.unwrap();
///     let (server_side, _addr) = listener.accept().await.unwrap();
///     client.write(b"hi").await.unwrap();
///     let mut buf = [0u8; 2];
///     server_side.read(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hi");
/// });
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub struct UnixListener {
    io: ListenerIo,
}

impl UnixListener {
    /// Binds to `path` (which must not exist yet: remove a stale socket file first).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when `path` exists, the system's otherwise.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let path = path.as_ref();
        let io = new_socket!(ListenerIo, UnixListener, UnixListenerOps::bind(path))?;
        Ok(UnixListener { io })
    }

    /// Waits for a connection. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection; see [`accept`](Self::accept).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        each_backend!(&self.io, ListenerIo, l, P, wrap = UnixIo => {
            anyrt_core::net::UnixListenerOps::poll_accept(l, cx)
                .map_ok(|(s, peer)| (UnixStream { io: wrap(s) }, peer))
        })
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        forward!(&self.io, ListenerIo, UnixListenerOps::local_addr())
    }

    /// The backend whose reactor the listener is on.
    pub fn backend(&self) -> Backend {
        backend_of!(&self.io, ListenerIo)
    }

    /// Deregisters the listener and hands back the std one, still in non-blocking mode.
    ///
    /// # Errors
    ///
    /// The reactor failing to deregister it.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        forward!(self.io, ListenerIo, SocketOps::into_std())
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// Registers a std listener (set to non-blocking mode) with the reactor of the backend
    /// in effect here.
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        let io = new_socket!(ListenerIo, UnixListener, SocketOps::from_std(listener))?;
        Ok(UnixListener { io })
    }
}

socket_traits!(UnixListener, ListenerIo);

/// A Unix stream connection. As [`TcpStream`](super::TcpStream): reads and writes through
/// `&self`, owned halves from [`into_split`](Self::into_split), futures' IO traits (tokio's
/// with `tokio-io`, hyper's with `hyper`).
pub struct UnixStream {
    pub(super) io: UnixIo,
}

impl UnixStream {
    /// Connects to the socket at `path`, without blocking the thread when its backlog is
    /// full. Cancel-safe.
    ///
    /// # Errors
    ///
    /// `NotFound` when nothing is at `path`, `ConnectionRefused` when nothing listens there.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let io = new_socket!(async UnixIo, UnixStream, UnixStreamOps::connect(path))?;
        Ok(UnixStream { io })
    }

    /// A connected pair of streams (`socketpair`), on the reactor of the backend in effect
    /// here.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        dispatch!(Backend::selected(), P, wrap = UnixIo => {
            let (a, b) = <<P as anyrt_core::net::Net>::UnixStream as anyrt_core::net::UnixStreamOps>::pair()?;
            Ok((UnixStream { io: wrap(a) }, UnixStream { io: wrap(b) }))
        })
    }

    /// Reads into `buf`; `Ok(0)` at end-of-file. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_read(cx, buf)).await
    }

    /// Writes some of `buf` (one system call). Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's (`BrokenPipe` once the peer has gone).
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_write(cx, buf)).await
    }

    /// Reads what is there now, without waiting: `WouldBlock` when nothing is.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the system's.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        forward!(&self.io, UnixIo, StreamOps::try_read(buf))
    }

    /// Writes what fits now, without waiting: `WouldBlock` when nothing does.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the system's.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        forward!(&self.io, UnixIo, StreamOps::try_write(buf))
    }

    /// Shuts the read side, the write side or both down at once: std's
    /// `UnixStream::shutdown`, named apart so that it does not hide the IO traits'
    /// `shutdown()`/`close()` (a port from tokio calls `stream.shutdown().await`).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        forward!(&self.io, UnixIo, StreamOps::shutdown(how))
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        forward!(&self.io, UnixIo, StreamOps::peer_addr())
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        forward!(&self.io, UnixIo, StreamOps::local_addr())
    }

    /// The pending socket error (`SO_ERROR`), cleared by the call.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        forward!(&self.io, UnixIo, SocketOps::take_error())
    }

    /// Splits the stream into owned halves; see
    /// [`TcpStream::into_split`](super::TcpStream::into_split).
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
        backend_of!(&self.io, UnixIo)
    }

    /// Deregisters the stream and hands back the std one, still in non-blocking mode.
    ///
    /// # Errors
    ///
    /// The reactor failing to deregister it.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        forward!(self.io, UnixIo, SocketOps::into_std())
    }
}

impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// Registers a connected std stream (set to non-blocking mode) with the reactor of the
    /// backend in effect here.
    fn try_from(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        let io = new_socket!(UnixIo, UnixStream, SocketOps::from_std(stream))?;
        Ok(UnixStream { io })
    }
}

socket_traits!(UnixStream, UnixIo);

impl_stream_io!(UnixStream, |this| &this.io);

owned_halves!(UnixStream, SocketAddr, "Unix stream");

/// A Unix datagram socket, on the reactor of the backend in effect where it is created.
pub struct UnixDatagram {
    io: DatagramIo,
}

impl UnixDatagram {
    /// Binds to `path` (which must not exist yet).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when `path` exists, the system's otherwise.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let path = path.as_ref();
        let io = new_socket!(DatagramIo, UnixDatagram, UnixDatagramOps::bind(path))?;
        Ok(UnixDatagram { io })
    }

    /// A socket bound to no address (it can send; replies need an address).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn unbound() -> io::Result<UnixDatagram> {
        let io = new_socket!(DatagramIo, UnixDatagram, UnixDatagramOps::unbound())?;
        Ok(UnixDatagram { io })
    }

    /// A connected pair of sockets (`socketpair`).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        dispatch!(Backend::selected(), P, wrap = DatagramIo => {
            let (a, b) = <<P as anyrt_core::net::Net>::UnixDatagram as anyrt_core::net::UnixDatagramOps>::pair()?;
            Ok((UnixDatagram { io: wrap(a) }, UnixDatagram { io: wrap(b) }))
        })
    }

    /// Sets the default peer (connecting a datagram socket never blocks).
    ///
    /// # Errors
    ///
    /// `NotFound` or `ConnectionRefused` when nothing is bound at `path`.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        forward!(
            &self.io,
            DatagramIo,
            UnixDatagramOps::connect(path.as_ref())
        )
    }

    /// Sends `buf` to the connected peer. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| forward!(&self.io, DatagramIo, UnixDatagramOps::poll_send(cx, buf))).await
    }

    /// Receives one datagram from the connected peer. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_from(buf).await.map(|(n, _)| n)
    }

    /// Sends `buf` to the socket bound at `path`. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        poll_fn(|cx| {
            forward!(
                &self.io,
                DatagramIo,
                UnixDatagramOps::poll_send_to(cx, buf, path)
            )
        })
        .await
    }

    /// Receives one datagram: its length and sender. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| {
            forward!(
                &self.io,
                DatagramIo,
                UnixDatagramOps::poll_recv_from(cx, buf)
            )
        })
        .await
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        forward!(&self.io, DatagramIo, UnixDatagramOps::local_addr())
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` when not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        forward!(&self.io, DatagramIo, UnixDatagramOps::peer_addr())
    }

    /// Shuts the read side, the write side or both down (not on the simulated network:
    /// `Unsupported`).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let os: io::Result<&std::os::unix::net::UnixDatagram> =
            forward!(&self.io, DatagramIo, SocketOps::os());
        os?.shutdown(how)
    }

    /// The backend whose reactor the socket is on.
    pub fn backend(&self) -> Backend {
        backend_of!(&self.io, DatagramIo)
    }

    /// Deregisters the socket and hands back the std one, still in non-blocking mode.
    ///
    /// # Errors
    ///
    /// The reactor failing to deregister it.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        forward!(self.io, DatagramIo, SocketOps::into_std())
    }
}

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    /// Registers a std socket (set to non-blocking mode) with the reactor of the backend in
    /// effect here.
    fn try_from(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        let io = new_socket!(DatagramIo, UnixDatagram, SocketOps::from_std(socket))?;
        Ok(UnixDatagram { io })
    }
}

socket_traits!(UnixDatagram, DatagramIo);
