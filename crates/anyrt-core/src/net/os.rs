//! The operating system's sockets over a backend's [`Reactor`]: the one implementation of
//! [`Net`](super::Net)'s socket traits that tokio, smol and async-std share.
//!
//! Each type is a std socket in non-blocking mode, registered with `R`'s reactor: an
//! operation is tried on the std socket, and when it would block, the reactor is asked for
//! readiness and the operation is tried again. A backend on OS sockets names these types in
//! its `impl Net` and writes nothing else:
//!
//! ```
//! use anyrt_core::net::{os, SocketOps, TcpListenerOps};
//!
//! let addr = "127.0.0.1:0".parse().unwrap();
//! let listener = os::TcpListener::<anyrt_smol::Smol>::bind(addr).unwrap();
//! assert_ne!(listener.local_addr().unwrap().port(), 0);
//! assert!(listener.fd().is_some());
//! ```

use std::fmt;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice, Read, Write};
use std::mem::MaybeUninit;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net as unix;
use std::path::Path;
use std::task::{Context, Poll};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::{
    Io, Reactor, SocketOps, Source, StreamOps, TcpListenerOps, TcpStreamOps, UdpSocketOps,
    UnixDatagramOps, UnixListenerOps, UnixStreamOps,
};

/// A socket type of this module: a std socket registered with `R`'s reactor, with the
/// [`SocketOps`] every kind shares.
macro_rules! os_socket {
    ($(#[$m:meta])* $name:ident($std:ty)) => {
        $(#[$m])*
        pub struct $name<R: Reactor>(R::Source<$std>);

        impl<R: Reactor> $name<R> {
            fn register(io: $std) -> io::Result<Self> {
                R::Source::new(io).map($name)
            }
        }

        impl<R: Reactor> fmt::Debug for $name<R> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("Socket")
                    .field("backend", &R::BACKEND)
                    .field("io", self.0.get_ref())
                    .finish()
            }
        }

        impl<R: Reactor> SocketOps for $name<R> {
            type Std = $std;

            fn from_std(std: $std) -> io::Result<Self> {
                std.set_nonblocking(true)?;
                Self::register(std)
            }

            fn into_std(self) -> io::Result<$std> {
                self.0.into_inner()
            }

            fn os(&self) -> io::Result<&$std> {
                Ok(self.0.get_ref())
            }

            fn fd(&self) -> Option<BorrowedFd<'_>> {
                Some(self.0.get_ref().as_fd())
            }

            fn take_error(&self) -> io::Result<Option<io::Error>> {
                self.0.get_ref().take_error()
            }
        }
    };
}

os_socket! {
    /// A TCP listener on `R`'s reactor.
    TcpListener(std::net::TcpListener)
}

os_socket! {
    /// A TCP stream on `R`'s reactor.
    TcpStream(std::net::TcpStream)
}

os_socket! {
    /// A UDP socket on `R`'s reactor.
    UdpSocket(std::net::UdpSocket)
}

os_socket! {
    /// A Unix stream listener on `R`'s reactor.
    UnixListener(unix::UnixListener)
}

os_socket! {
    /// A Unix stream on `R`'s reactor.
    UnixStream(unix::UnixStream)
}

os_socket! {
    /// A Unix datagram socket on `R`'s reactor.
    UnixDatagram(unix::UnixDatagram)
}

/// Resolves `name` with the system's resolver on `R`'s blocking pool.
pub fn lookup_host<R: Reactor>(
    name: String,
) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'static {
    let lookup = R::spawn_blocking(move || {
        std::net::ToSocketAddrs::to_socket_addrs(&name).map(Iterator::collect)
    });
    async move {
        lookup
            .await
            .map_err(|e| io::Error::other(format!("anyrt::net: the name lookup failed: {e}")))?
    }
}

/// `read(2)` into memory that may be uninitialised; the first `n` bytes returned are
/// initialised.
#[allow(unsafe_code)]
fn read_uninit(io: &impl AsRawFd, dst: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    // SAFETY: `dst` is valid for writes of `dst.len()` bytes and `read(2)` writes at most
    // that many; it never reads the buffer, so uninitialised bytes are fine.
    let n = unsafe { libc::read(io.as_raw_fd(), dst.as_mut_ptr().cast(), dst.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Whether a non-blocking `connect` is under way (not an error).
fn connect_in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock
}

/// Starts a non-blocking connect of `socket` to `addr`, registers the socket as a `T`, and
/// waits until the handshake is over: writable, then the socket's error says how it went.
async fn connect_socket<R: Reactor, T>(socket: Socket, addr: &SockAddr) -> io::Result<R::Source<T>>
where
    T: Io + From<OwnedFd>,
    T: ConnectedPeer,
{
    socket.set_nonblocking(true)?;
    match socket.connect(addr) {
        Ok(()) => {}
        Err(e) if connect_in_progress(&e) => {}
        Err(e) => return Err(e),
    }
    let io = R::Source::new(T::from(OwnedFd::from(socket)))?;
    poll_fn(|cx| {
        io.poll_write_with(cx, |s| {
            if let Some(e) = s.take_error()? {
                return Err(e);
            }
            match s.has_peer() {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(e) => Err(e),
            }
        })
    })
    .await?;
    Ok(io)
}

/// A std stream that can say whether its connect is over.
trait ConnectedPeer {
    fn take_error(&self) -> io::Result<Option<io::Error>>;
    fn has_peer(&self) -> io::Result<()>;
}

impl ConnectedPeer for std::net::TcpStream {
    fn take_error(&self) -> io::Result<Option<io::Error>> {
        std::net::TcpStream::take_error(self)
    }
    fn has_peer(&self) -> io::Result<()> {
        self.peer_addr().map(drop)
    }
}

impl ConnectedPeer for unix::UnixStream {
    fn take_error(&self) -> io::Result<Option<io::Error>> {
        unix::UnixStream::take_error(self)
    }
    fn has_peer(&self) -> io::Result<()> {
        self.peer_addr().map(drop)
    }
}

/// [`StreamOps`] for a stream type of this module, whose std stream reads and writes
/// through `&`.
macro_rules! os_stream {
    ($name:ident, $addr:ty) => {
        impl<R: Reactor> StreamOps for $name<R> {
            type Addr = $addr;

            #[inline]
            fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
                self.0.poll_read_with(cx, |mut s| s.read(buf))
            }

            #[inline]
            fn poll_read_uninit(
                &self,
                cx: &mut Context<'_>,
                buf: &mut [MaybeUninit<u8>],
            ) -> Poll<io::Result<usize>> {
                self.0.poll_read_with(cx, |s| read_uninit(s, buf))
            }

            #[inline]
            fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                self.0.poll_write_with(cx, |mut s| s.write(buf))
            }

            #[inline]
            fn poll_write_vectored(
                &self,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.0.poll_write_with(cx, |mut s| s.write_vectored(bufs))
            }

            fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
                (&mut self.0.get_ref()).read(buf)
            }

            fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
                (&mut self.0.get_ref()).write(buf)
            }

            fn shutdown(&self, how: Shutdown) -> io::Result<()> {
                self.0.get_ref().shutdown(how)
            }

            fn local_addr(&self) -> io::Result<$addr> {
                self.0.get_ref().local_addr()
            }

            fn peer_addr(&self) -> io::Result<$addr> {
                self.0.get_ref().peer_addr()
            }
        }
    };
}

os_stream!(TcpStream, SocketAddr);
os_stream!(UnixStream, unix::SocketAddr);

impl<R: Reactor> TcpListenerOps for TcpListener<R> {
    type Stream = TcpStream<R>;

    fn bind(addr: SocketAddr) -> io::Result<Self> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(1024)?;
        Self::register(socket.into())
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream<R>, SocketAddr)>> {
        let (stream, peer) = std::task::ready!(self.0.poll_read_with(cx, |l| l.accept()))?;
        Poll::Ready(TcpStream::from_std(stream).map(|s| (s, peer)))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().local_addr()
    }

    fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.0.get_ref().set_ttl(ttl)
    }

    fn ttl(&self) -> io::Result<u32> {
        self.0.get_ref().ttl()
    }
}

impl<R: Reactor> TcpStreamOps for TcpStream<R> {
    async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        connect_socket::<R, _>(socket, &addr.into())
            .await
            .map(TcpStream)
    }

    fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.0.poll_read_with(cx, |s| s.peek(buf))
    }

    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.0.get_ref().set_nodelay(nodelay)
    }

    fn nodelay(&self) -> io::Result<bool> {
        self.0.get_ref().nodelay()
    }

    fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.0.get_ref().set_ttl(ttl)
    }

    fn ttl(&self) -> io::Result<u32> {
        self.0.get_ref().ttl()
    }
}

impl<R: Reactor> UdpSocketOps for UdpSocket<R> {
    fn bind(addr: SocketAddr) -> io::Result<Self> {
        Self::from_std(std::net::UdpSocket::bind(addr)?)
    }

    fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.0.get_ref().connect(addr)
    }

    fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.0.poll_write_with(cx, |s| s.send(buf))
    }

    fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.0.poll_read_with(cx, |s| s.recv(buf))
    }

    fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.0.poll_write_with(cx, |s| s.send_to(buf, target))
    }

    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.0.poll_read_with(cx, |s| s.recv_from(buf))
    }

    fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.0.poll_read_with(cx, |s| s.peek_from(buf))
    }

    fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.0.poll_read_with(cx, |s| s.peek(buf))
    }

    fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.0.get_ref().recv_from(buf)
    }

    fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.0.get_ref().send_to(buf, target)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().local_addr()
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().peer_addr()
    }

    fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.0.get_ref().set_broadcast(on)
    }

    fn broadcast(&self) -> io::Result<bool> {
        self.0.get_ref().broadcast()
    }

    fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.0.get_ref().set_ttl(ttl)
    }

    fn ttl(&self) -> io::Result<u32> {
        self.0.get_ref().ttl()
    }
}

impl<R: Reactor> UnixListenerOps for UnixListener<R> {
    type Stream = UnixStream<R>;

    fn bind(path: &Path) -> io::Result<Self> {
        Self::from_std(unix::UnixListener::bind(path)?)
    }

    fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(UnixStream<R>, unix::SocketAddr)>> {
        let (stream, addr) = std::task::ready!(self.0.poll_read_with(cx, |l| l.accept()))?;
        Poll::Ready(UnixStream::from_std(stream).map(|s| (s, addr)))
    }

    fn local_addr(&self) -> io::Result<unix::SocketAddr> {
        self.0.get_ref().local_addr()
    }
}

impl<R: Reactor> UnixStreamOps for UnixStream<R> {
    async fn connect(path: &Path) -> io::Result<Self> {
        let addr = SockAddr::unix(path)?;
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        connect_socket::<R, _>(socket, &addr).await.map(UnixStream)
    }

    fn pair() -> io::Result<(Self, Self)> {
        let (a, b) = unix::UnixStream::pair()?;
        Ok((Self::from_std(a)?, Self::from_std(b)?))
    }
}

impl<R: Reactor> UnixDatagramOps for UnixDatagram<R> {
    fn bind(path: &Path) -> io::Result<Self> {
        Self::from_std(unix::UnixDatagram::bind(path)?)
    }

    fn unbound() -> io::Result<Self> {
        Self::from_std(unix::UnixDatagram::unbound()?)
    }

    fn pair() -> io::Result<(Self, Self)> {
        let (a, b) = unix::UnixDatagram::pair()?;
        Ok((Self::from_std(a)?, Self::from_std(b)?))
    }

    fn connect(&self, path: &Path) -> io::Result<()> {
        self.0.get_ref().connect(path)
    }

    fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.0.poll_write_with(cx, |s| s.send(buf))
    }

    fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        path: &Path,
    ) -> Poll<io::Result<usize>> {
        self.0.poll_write_with(cx, |s| s.send_to(buf, path))
    }

    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, unix::SocketAddr)>> {
        self.0.poll_read_with(cx, |s| s.recv_from(buf))
    }

    fn local_addr(&self) -> io::Result<unix::SocketAddr> {
        self.0.get_ref().local_addr()
    }

    fn peer_addr(&self) -> io::Result<unix::SocketAddr> {
        self.0.get_ref().peer_addr()
    }
}
