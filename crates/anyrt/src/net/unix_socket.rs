//! Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`].

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use anyrt_core::Backend;
use socket2::{Domain, SockAddr, Socket, Type};

use super::stream::StreamIo;
use super::Registered;

io_enum! {
    /// A Unix listener's socket.
    enum ListenerIo { std::os::unix::net::UnixListener, anyrt_sim::net::UnixListener }
}

io_enum! {
    /// A Unix stream's socket.
    pub(super) enum UnixIo { std::os::unix::net::UnixStream, anyrt_sim::net::UnixStream }
}

stream_io_enum!(UnixIo, |s| s.stream());

io_enum! {
    /// A Unix datagram socket's socket.
    enum DatagramIo { std::os::unix::net::UnixDatagram, anyrt_sim::net::UnixDatagram }
}

/// The address of a simulated Unix socket: its path, or unnamed.
#[cfg(feature = "sim")]
fn sim_addr(path: Option<&Path>) -> io::Result<SocketAddr> {
    match path {
        Some(p) => SocketAddr::from_pathname(p),
        None => {
            // std has no constructor for an unnamed address: the one of an unbound socket,
            // made once.
            static UNNAMED: std::sync::OnceLock<SocketAddr> = std::sync::OnceLock::new();
            if let Some(a) = UNNAMED.get() {
                return Ok(a.clone());
            }
            let a = std::os::unix::net::UnixDatagram::unbound()?.local_addr()?;
            Ok(UNNAMED.get_or_init(|| a).clone())
        }
    }
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
        #[cfg(feature = "sim")]
        if super::on_sim() {
            return Ok(UnixListener {
                io: ListenerIo::Sim(anyrt_sim::net::UnixListener::bind(path.as_ref())?),
            });
        }
        let listener = std::os::unix::net::UnixListener::bind(path)?;
        UnixListener::try_from(listener)
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
    // One arm without feature `sim`.
    #[allow(clippy::infallible_destructuring_match)]
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let io = match &self.io {
            ListenerIo::Os(io) => io,
            #[cfg(feature = "sim")]
            ListenerIo::Sim(l) => {
                let stream = std::task::ready!(l.poll_accept(cx))?;
                let peer = sim_addr(stream.peer_path())?;
                return Poll::Ready(Ok((
                    UnixStream {
                        io: UnixIo::Sim(stream),
                    },
                    peer,
                )));
            }
        };
        let (stream, addr) = std::task::ready!(io.poll_read_with(cx, |l| l.accept()))?;
        stream.set_nonblocking(true)?;
        Poll::Ready(Ok((
            UnixStream {
                io: UnixIo::Os(io.new_like(stream)?),
            },
            addr,
        )))
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.io {
            ListenerIo::Os(io) => io.get_ref().local_addr(),
            #[cfg(feature = "sim")]
            ListenerIo::Sim(l) => sim_addr(Some(l.path())),
        }
    }

    /// The backend whose reactor the listener is on.
    pub fn backend(&self) -> Backend {
        self.io.backend()
    }

    /// Deregisters the listener and hands back the std one, still in non-blocking mode.
    ///
    /// # Errors
    ///
    /// The reactor failing to deregister it.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        self.io.into_os()?.into_inner()
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// Registers a std listener (set to non-blocking mode) with the reactor of the backend
    /// in effect here.
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: ListenerIo::Os(Registered::new(listener)?),
        })
    }
}

socket_traits!(UnixListener);

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
        #[cfg(feature = "sim")]
        if super::on_sim() {
            let stream = anyrt_sim::net::UnixStream::connect(path.as_ref()).await?;
            return Ok(UnixStream {
                io: UnixIo::Sim(stream),
            });
        }
        let addr = SockAddr::unix(path)?;
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        socket.set_nonblocking(true)?;
        match socket.connect(&addr) {
            Ok(()) => {}
            Err(e) if super::connect_in_progress(&e) => {}
            Err(e) => return Err(e),
        }
        let io: Registered<std::os::unix::net::UnixStream> = Registered::new(
            std::os::unix::net::UnixStream::from(std::os::fd::OwnedFd::from(socket)),
        )?;
        io.write_with(|s| match s.take_error()? {
            Some(e) => Err(e),
            None => match s.peer_addr() {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(e) => Err(e),
            },
        })
        .await?;
        Ok(UnixStream { io: UnixIo::Os(io) })
    }

    /// A connected pair of streams (`socketpair`), on the reactor of the backend in effect
    /// here.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        #[cfg(feature = "sim")]
        if super::on_sim() {
            let (a, b) = anyrt_sim::net::UnixStream::pair();
            let wrap = |s| UnixStream { io: UnixIo::Sim(s) };
            return Ok((wrap(a), wrap(b)));
        }
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::try_from(a)?, UnixStream::try_from(b)?))
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
        match &self.io {
            UnixIo::Os(io) => (&mut io.get_ref()).read(buf),
            #[cfg(feature = "sim")]
            UnixIo::Sim(s) => s.stream().try_read(buf),
        }
    }

    /// Writes what fits now, without waiting: `WouldBlock` when nothing does.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the system's.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match &self.io {
            UnixIo::Os(io) => (&mut io.get_ref()).write(buf),
            #[cfg(feature = "sim")]
            UnixIo::Sim(s) => s.stream().try_write(buf),
        }
    }

    /// Shuts the read side, the write side or both down.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match &self.io {
            UnixIo::Os(io) => io.get_ref().shutdown(how),
            #[cfg(feature = "sim")]
            UnixIo::Sim(s) => s.shutdown(how),
        }
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        match &self.io {
            UnixIo::Os(io) => io.get_ref().peer_addr(),
            #[cfg(feature = "sim")]
            UnixIo::Sim(s) => sim_addr(s.peer_path()),
        }
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.io {
            UnixIo::Os(io) => io.get_ref().local_addr(),
            #[cfg(feature = "sim")]
            UnixIo::Sim(s) => sim_addr(s.local_path()),
        }
    }

    /// The pending socket error (`SO_ERROR`), cleared by the call.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        match &self.io {
            UnixIo::Os(io) => io.get_ref().take_error(),
            #[cfg(feature = "sim")]
            UnixIo::Sim(_) => Ok(None),
        }
    }

    /// Splits the stream into owned halves; see
    /// [`TcpStream::into_split`](super::TcpStream::into_split).
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split(self)
    }

    /// The backend whose reactor the stream is on.
    pub fn backend(&self) -> Backend {
        self.io.backend()
    }

    /// Deregisters the stream and hands back the std one, still in non-blocking mode.
    ///
    /// # Errors
    ///
    /// The reactor failing to deregister it.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.io.into_os()?.into_inner()
    }
}

impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// Registers a connected std stream (set to non-blocking mode) with the reactor of the
    /// backend in effect here.
    fn try_from(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
            io: UnixIo::Os(Registered::new(stream)?),
        })
    }
}

socket_traits!(UnixStream);

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
        #[cfg(feature = "sim")]
        if super::on_sim() {
            return Ok(UnixDatagram {
                io: DatagramIo::Sim(anyrt_sim::net::UnixDatagram::bind(path.as_ref())?),
            });
        }
        UnixDatagram::try_from(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address (it can send; replies need an address).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn unbound() -> io::Result<UnixDatagram> {
        #[cfg(feature = "sim")]
        if super::on_sim() {
            return Ok(UnixDatagram {
                io: DatagramIo::Sim(anyrt_sim::net::UnixDatagram::unbound()?),
            });
        }
        UnixDatagram::try_from(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets (`socketpair`).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        #[cfg(feature = "sim")]
        if super::on_sim() {
            let (a, b) = anyrt_sim::net::UnixDatagram::pair()?;
            let wrap = |s| UnixDatagram {
                io: DatagramIo::Sim(s),
            };
            return Ok((wrap(a), wrap(b)));
        }
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::try_from(a)?, UnixDatagram::try_from(b)?))
    }

    /// Sets the default peer (connecting a datagram socket never blocks).
    ///
    /// # Errors
    ///
    /// `NotFound` or `ConnectionRefused` when nothing is bound at `path`.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        match &self.io {
            DatagramIo::Os(io) => io.get_ref().connect(path),
            #[cfg(feature = "sim")]
            DatagramIo::Sim(s) => s.connect(path.as_ref()),
        }
    }

    /// Sends `buf` to the connected peer. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        match &self.io {
            DatagramIo::Os(io) => io.write_with(|s| s.send(buf)).await,
            #[cfg(feature = "sim")]
            DatagramIo::Sim(s) => s.send_to(buf, None),
        }
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
        match &self.io {
            DatagramIo::Os(io) => io.write_with(|s| s.send_to(buf, path)).await,
            #[cfg(feature = "sim")]
            DatagramIo::Sim(s) => s.send_to(buf, Some(path)),
        }
    }

    /// Receives one datagram: its length and sender. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        match &self.io {
            DatagramIo::Os(io) => io.read_with(|s| s.recv_from(buf)).await,
            #[cfg(feature = "sim")]
            DatagramIo::Sim(s) => {
                let (n, from) = poll_fn(|cx| s.poll_recv_from(Some(cx), buf)).await?;
                Ok((n, sim_addr(from.as_deref())?))
            }
        }
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.io {
            DatagramIo::Os(io) => io.get_ref().local_addr(),
            #[cfg(feature = "sim")]
            DatagramIo::Sim(s) => sim_addr(s.local_path()),
        }
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` when not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        match &self.io {
            DatagramIo::Os(io) => io.get_ref().peer_addr(),
            #[cfg(feature = "sim")]
            DatagramIo::Sim(s) => sim_addr(s.peer_path()?.as_deref()),
        }
    }

    /// Shuts the read side, the write side or both down (not on the simulated network:
    /// `Unsupported`).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.os()?.get_ref().shutdown(how)
    }

    /// The backend whose reactor the socket is on.
    pub fn backend(&self) -> Backend {
        self.io.backend()
    }

    /// Deregisters the socket and hands back the std one, still in non-blocking mode.
    ///
    /// # Errors
    ///
    /// The reactor failing to deregister it.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.io.into_os()?.into_inner()
    }
}

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    /// Registers a std socket (set to non-blocking mode) with the reactor of the backend in
    /// effect here.
    fn try_from(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram {
            io: DatagramIo::Os(Registered::new(socket)?),
        })
    }
}

socket_traits!(UnixDatagram);
