//! UDP: [`UdpSocket`].

use std::future::poll_fn;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::task::{Context, Poll};

use anyrt_core::Backend;

use super::{each_addr, resolve, ToSocketAddrs};

backend_enum! {
    /// A UDP socket, of one backend.
    #[derive(Debug)]
    enum UdpIo(<anyrt_core::net::Net>::UdpSocket);
}

/// A UDP socket, on the reactor of the backend in effect where it is bound. Every method
/// takes `&self`: share it (in an `Arc`) between a sending and a receiving task. Under the
/// sim backend it is a socket of the simulated network, whose multicast methods fail with
/// `Unsupported`.
///
/// ```
/// use anyrt::net::UdpSocket;
///
/// anyrt::block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0u8; 16];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
/// });
/// ```
pub struct UdpSocket {
    io: UdpIo,
}

impl UdpSocket {
    /// Binds to `addr` (the first of its addresses that binds); port 0 picks a free port.
    ///
    /// # Errors
    ///
    /// `AddrInUse` for an address another socket holds, the resolver's error for a name.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        each_addr(&addr, |addr| async move {
            let io = new_socket!(UdpIo, UdpSocket, UdpSocketOps::bind(addr))?;
            Ok(UdpSocket { io })
        })
        .await
    }

    /// Sets the default peer: [`send`](Self::send) goes to it and [`recv`](Self::recv)
    /// receives only from it.
    ///
    /// # Errors
    ///
    /// The last address's error, the resolver's error for a name.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        each_addr(&addr, |addr| async move {
            forward!(&self.io, UdpIo, UdpSocketOps::connect(addr))
        })
        .await
    }

    /// Sends `buf` to the connected peer: the count sent. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's (`ConnectionRefused` after an ICMP port-unreachable from the peer).
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| forward!(&self.io, UdpIo, UdpSocketOps::poll_send(cx, buf))).await
    }

    /// Receives one datagram from the connected peer into `buf` (the rest of a longer one
    /// is dropped). Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| forward!(&self.io, UdpIo, UdpSocketOps::poll_recv(cx, buf))).await
    }

    /// Sends `buf` to `target` (its first address). Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's, the resolver's for a name, `InvalidInput` for a name with no address.
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let addr = resolve(&target).await?.into_iter().next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to")
        })?;
        poll_fn(|cx| self.poll_send_to(cx, buf, addr)).await
    }

    /// Receives one datagram into `buf`: its length and sender. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// Polls for a datagram; see [`recv_from`](Self::recv_from).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        forward!(&self.io, UdpIo, UdpSocketOps::poll_recv_from(cx, buf))
    }

    /// Polls to send `buf` to `target`; see [`send_to`](Self::send_to).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        forward!(&self.io, UdpIo, UdpSocketOps::poll_send_to(cx, buf, target))
    }

    /// Receives the next datagram into `buf` without removing it from the queue: its
    /// length and sender. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| forward!(&self.io, UdpIo, UdpSocketOps::poll_peek_from(cx, buf))).await
    }

    /// [`recv`](Self::recv) without removing the datagram. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| forward!(&self.io, UdpIo, UdpSocketOps::poll_peek(cx, buf))).await
    }

    /// Receives a datagram that is there now, without waiting: `WouldBlock` when none is.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the system's.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        forward!(&self.io, UdpIo, UdpSocketOps::try_recv_from(buf))
    }

    /// Sends without waiting: `WouldBlock` when the send buffer is full.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the system's.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        forward!(&self.io, UdpIo, UdpSocketOps::try_send_to(buf, target))
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        forward!(&self.io, UdpIo, UdpSocketOps::local_addr())
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](Self::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        forward!(&self.io, UdpIo, UdpSocketOps::peer_addr())
    }

    /// Sets `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        forward!(&self.io, UdpIo, UdpSocketOps::set_broadcast(on))
    }

    /// `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn broadcast(&self) -> io::Result<bool> {
        forward!(&self.io, UdpIo, UdpSocketOps::broadcast())
    }

    /// Joins an IPv4 multicast group on `interface` (`Ipv4Addr::UNSPECIFIED`: the system
    /// picks).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn join_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.os()?.join_multicast_v4(&group, &interface)
    }

    /// Leaves an IPv4 multicast group.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn leave_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.os()?.leave_multicast_v4(&group, &interface)
    }

    /// Joins an IPv6 multicast group on the interface of that index (0: the system picks).
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn join_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.os()?.join_multicast_v6(group, interface)
    }

    /// Leaves an IPv6 multicast group.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn leave_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.os()?.leave_multicast_v6(group, interface)
    }

    /// Sets `IP_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.os()?.set_multicast_loop_v4(on)
    }

    /// `IP_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.os()?.multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.os()?.set_multicast_ttl_v4(ttl)
    }

    /// `IP_MULTICAST_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.os()?.multicast_ttl_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.os()?.set_multicast_loop_v6(on)
    }

    /// `IPV6_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.os()?.multicast_loop_v6()
    }

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        forward!(&self.io, UdpIo, UdpSocketOps::set_ttl(ttl))
    }

    /// `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn ttl(&self) -> io::Result<u32> {
        forward!(&self.io, UdpIo, UdpSocketOps::ttl())
    }

    /// The pending socket error (`SO_ERROR`), cleared by the call.
    ///
    /// # Errors
    ///
    /// The system's.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        forward!(&self.io, UdpIo, SocketOps::take_error())
    }

    /// The backend whose reactor the socket is on.
    pub fn backend(&self) -> Backend {
        backend_of!(&self.io, UdpIo)
    }

    /// The std socket, for the options only the system has; `Unsupported` on the simulated
    /// network.
    fn os(&self) -> io::Result<&std::net::UdpSocket> {
        forward!(&self.io, UdpIo, SocketOps::os())
    }

    /// Deregisters the socket and hands back the std one, still in non-blocking mode.
    ///
    /// # Errors
    ///
    /// The reactor failing to deregister it.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        forward!(self.io, UdpIo, SocketOps::into_std())
    }
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// Registers a std socket (set to non-blocking mode) with the reactor of the backend in
    /// effect here.
    fn try_from(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        let io = new_socket!(UdpIo, UdpSocket, SocketOps::from_std(socket))?;
        Ok(UdpSocket { io })
    }
}

socket_traits!(UdpSocket, UdpIo);
