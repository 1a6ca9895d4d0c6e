//! The simulation's answer to the IO half of the contract ([`Net`]): the in-memory sockets
//! of this module, with no descriptor and no reactor.
//!
//! What the simulated network does not model fails with `Unsupported` ([`NET_UNSUPPORTED`]):
//! the std socket behind one ([`SocketOps::os`], `into_std`, `from_std`, and so multicast and
//! `shutdown` of a Unix datagram socket). A simulated socket has no file descriptor
//! ([`SocketOps::fd`] is `None`).

use std::future::Future;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::os::fd::BorrowedFd;
use std::os::unix::net::SocketAddr as UnixAddr;
use std::path::Path;
use std::task::{Context, Poll};

use anyrt_core::net::{
    Net, SocketOps, StreamOps, TcpListenerOps, TcpStreamOps, UdpSocketOps, UnixDatagramOps,
    UnixListenerOps, UnixStreamOps,
};

use super::{lookup, NET_UNSUPPORTED};
use super::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use crate::Sim;

anyrt_core::task_local! {
    inherit static HOST: IpAddr;
}

/// Runs `fut` as host `ip`: the connections it makes (and UDP sockets it binds) leave from
/// `ip`, and so do those of the tasks it spawns. Outside it, traffic leaves from the loopback
/// address. It only matters in a simulation, where [`partition`](super::partition) and
/// [`isolate`](super::isolate) cut links between hosts.
pub async fn host<F: Future>(ip: IpAddr, fut: F) -> F::Output {
    HOST.scope(ip, fut).await
}

/// The host [`host`] set for the calling task, if any.
pub fn current_host() -> Option<IpAddr> {
    HOST.try_with(|ip| *ip).ok()
}

impl Net for Sim {
    type TcpListener = TcpListener;
    type TcpStream = TcpStream;
    type UdpSocket = UdpSocket;
    type UnixListener = UnixListener;
    type UnixStream = UnixStream;
    type UnixDatagram = UnixDatagram;

    /// The simulated network's own names, never the system's resolver.
    async fn lookup_host(name: String) -> io::Result<Vec<SocketAddr>> {
        lookup(&name)
    }
}

fn unsupported() -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, NET_UNSUPPORTED)
}

/// The `std` address of a simulated Unix socket's path (`None`: unnamed).
fn unix_addr(path: Option<&Path>) -> io::Result<UnixAddr> {
    match path {
        Some(p) => UnixAddr::from_pathname(p),
        None => {
            // std has no constructor for an unnamed address: the one of an unbound socket,
            // made once.
            static UNNAMED: std::sync::OnceLock<UnixAddr> = std::sync::OnceLock::new();
            if let Some(a) = UNNAMED.get() {
                return Ok(a.clone());
            }
            let a = std::os::unix::net::UnixDatagram::unbound()?.local_addr()?;
            Ok(UNNAMED.get_or_init(|| a).clone())
        }
    }
}

/// [`SocketOps`] for a simulated socket: no std socket, no descriptor, no pending error.
macro_rules! sim_socket {
    ($($ty:ident($std:ty);)*) => {$(
        impl SocketOps for $ty {
            type Std = $std;

            fn from_std(_: $std) -> io::Result<Self> {
                Err(unsupported())
            }

            fn into_std(self) -> io::Result<$std> {
                Err(unsupported())
            }

            fn os(&self) -> io::Result<&$std> {
                Err(unsupported())
            }

            fn fd(&self) -> Option<BorrowedFd<'_>> {
                None
            }

            fn take_error(&self) -> io::Result<Option<io::Error>> {
                Ok(None)
            }
        }
    )*};
}

sim_socket! {
    TcpListener(std::net::TcpListener);
    TcpStream(std::net::TcpStream);
    UdpSocket(std::net::UdpSocket);
    UnixListener(std::os::unix::net::UnixListener);
    UnixStream(std::os::unix::net::UnixStream);
    UnixDatagram(std::os::unix::net::UnixDatagram);
}

/// One segment, from the first buffer that is not empty (std's default `write_vectored`).
fn first_nonempty<'a>(bufs: &'a [IoSlice<'_>]) -> &'a [u8] {
    bufs.iter()
        .find(|b| !b.is_empty())
        .map_or(&[][..], |b| &**b)
}

impl StreamOps for TcpStream {
    type Addr = SocketAddr;

    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        TcpStream::poll_read(self, cx, buf)
    }

    fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        TcpStream::poll_read_uninit(self, cx, buf)
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        TcpStream::poll_write(self, cx, buf)
    }

    fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        TcpStream::poll_write(self, cx, first_nonempty(bufs))
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        TcpStream::try_read(self, buf)
    }

    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        TcpStream::try_write(self, buf)
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        TcpStream::shutdown(self, how)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(TcpStream::local_addr(self))
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(TcpStream::peer_addr(self))
    }
}

impl TcpStreamOps for TcpStream {
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self>> + Send {
        TcpStream::connect(addr, current_host())
    }

    fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        TcpStream::poll_peek(self, cx, buf)
    }

    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        TcpStream::set_nodelay(self, nodelay);
        Ok(())
    }

    fn nodelay(&self) -> io::Result<bool> {
        Ok(TcpStream::nodelay(self))
    }

    fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        TcpStream::set_ttl(self, ttl);
        Ok(())
    }

    fn ttl(&self) -> io::Result<u32> {
        Ok(TcpStream::ttl(self))
    }
}

impl TcpListenerOps for TcpListener {
    type Stream = TcpStream;

    fn bind(addr: SocketAddr) -> io::Result<Self> {
        TcpListener::bind(addr)
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        TcpListener::poll_accept(self, cx)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(TcpListener::local_addr(self))
    }

    fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        TcpListener::set_ttl(self, ttl);
        Ok(())
    }

    fn ttl(&self) -> io::Result<u32> {
        Ok(TcpListener::ttl(self))
    }
}

impl UdpSocketOps for UdpSocket {
    fn bind(addr: SocketAddr) -> io::Result<Self> {
        UdpSocket::bind(addr, current_host())
    }

    fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        UdpSocket::connect(self, addr)
    }

    fn poll_send(&self, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.send_to(buf, None))
    }

    fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        UdpSocket::poll_recv_from(self, Some(cx), buf, false).map_ok(|(n, _)| n)
    }

    fn poll_send_to(
        &self,
        _: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.send_to(buf, Some(target)))
    }

    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        UdpSocket::poll_recv_from(self, Some(cx), buf, false)
    }

    fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        UdpSocket::poll_recv_from(self, Some(cx), buf, true)
    }

    fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        UdpSocket::poll_recv_from(self, Some(cx), buf, true).map_ok(|(n, _)| n)
    }

    fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        match UdpSocket::poll_recv_from(self, None, buf, false) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.send_to(buf, Some(target))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(UdpSocket::local_addr(self))
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        UdpSocket::peer_addr(self)
    }

    fn set_broadcast(&self, on: bool) -> io::Result<()> {
        UdpSocket::set_broadcast(self, on)
    }

    fn broadcast(&self) -> io::Result<bool> {
        UdpSocket::broadcast(self)
    }

    fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        UdpSocket::set_ttl(self, ttl)
    }

    fn ttl(&self) -> io::Result<u32> {
        UdpSocket::ttl(self)
    }
}

impl StreamOps for UnixStream {
    type Addr = UnixAddr;

    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.stream().poll_read(cx, buf)
    }

    fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        self.stream().poll_read_uninit(cx, buf)
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.stream().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.stream().poll_write(cx, first_nonempty(bufs))
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream().try_read(buf)
    }

    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.stream().try_write(buf)
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        UnixStream::shutdown(self, how)
    }

    fn local_addr(&self) -> io::Result<UnixAddr> {
        unix_addr(self.local_path())
    }

    fn peer_addr(&self) -> io::Result<UnixAddr> {
        unix_addr(self.peer_path())
    }
}

impl UnixStreamOps for UnixStream {
    fn connect(path: &Path) -> impl Future<Output = io::Result<Self>> + Send {
        UnixStream::connect(path)
    }

    fn pair() -> io::Result<(Self, Self)> {
        Ok(UnixStream::pair())
    }
}

impl UnixListenerOps for UnixListener {
    type Stream = UnixStream;

    fn bind(path: &Path) -> io::Result<Self> {
        UnixListener::bind(path)
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, UnixAddr)>> {
        let stream = std::task::ready!(UnixListener::poll_accept(self, cx))?;
        let peer = unix_addr(stream.peer_path())?;
        Poll::Ready(Ok((stream, peer)))
    }

    fn local_addr(&self) -> io::Result<UnixAddr> {
        unix_addr(Some(self.path()))
    }
}

impl UnixDatagramOps for UnixDatagram {
    fn bind(path: &Path) -> io::Result<Self> {
        UnixDatagram::bind(path)
    }

    fn unbound() -> io::Result<Self> {
        UnixDatagram::unbound()
    }

    fn pair() -> io::Result<(Self, Self)> {
        UnixDatagram::pair()
    }

    fn connect(&self, path: &Path) -> io::Result<()> {
        UnixDatagram::connect(self, path)
    }

    fn poll_send(&self, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.send_to(buf, None))
    }

    fn poll_send_to(
        &self,
        _: &mut Context<'_>,
        buf: &[u8],
        path: &Path,
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.send_to(buf, Some(path)))
    }

    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, UnixAddr)>> {
        let (n, from) = std::task::ready!(UnixDatagram::poll_recv_from(self, Some(cx), buf))?;
        Poll::Ready(unix_addr(from.as_deref()).map(|from| (n, from)))
    }

    fn local_addr(&self) -> io::Result<UnixAddr> {
        unix_addr(self.local_path())
    }

    fn peer_addr(&self) -> io::Result<UnixAddr> {
        unix_addr(self.peer_path()?.as_deref())
    }
}
