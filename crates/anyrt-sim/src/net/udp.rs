//! UDP over the simulated network.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::{alive, loopback, route, Net, Proto, UDP_QUEUE};
use crate::runtime::{current_or_global, Shared};

/// A UDP socket's state.
pub(crate) struct Udp {
    addr: SocketAddr,
    /// The address its datagrams leave from.
    src_ip: IpAddr,
    peer: Option<SocketAddr>,
    /// What has been sent to it, by arrival time (then sending order).
    queue: VecDeque<Datagram>,
    waker: Option<Waker>,
    broadcast: bool,
    ttl: u32,
}

struct Datagram {
    at: Duration,
    from: SocketAddr,
    data: Vec<u8>,
}

/// The largest datagram (IPv4's limit for UDP).
const MAX_DATAGRAM: usize = 65_507;

/// A UDP socket of the simulated network.
pub struct UdpSocket {
    shared: Weak<Shared>,
    id: u64,
    addr: SocketAddr,
}

impl UdpSocket {
    /// Binds `addr` in the network of the simulation the calling thread is inside (else
    /// the process-wide one's); port 0 picks a free port. On the unspecified address, its
    /// datagrams leave from `host` (else the loopback address).
    ///
    /// # Errors
    ///
    /// `AddrInUse` for an address another socket holds.
    pub fn bind(addr: SocketAddr, host: Option<IpAddr>) -> io::Result<UdpSocket> {
        let shared = current_or_global();
        let mut net = shared.net();
        let id = net.id();
        let addr = net.bind(Proto::Udp, addr, id)?;
        let src_ip = if addr.ip().is_unspecified() {
            host.filter(|h| h.is_ipv4() == addr.is_ipv4())
                .unwrap_or_else(|| loopback(addr.ip()))
        } else {
            addr.ip()
        };
        net.udp.insert(
            id,
            Udp {
                addr,
                src_ip,
                peer: None,
                queue: VecDeque::new(),
                waker: None,
                broadcast: false,
                ttl: 64,
            },
        );
        drop(net);
        Ok(UdpSocket {
            shared: Arc::downgrade(&shared),
            id,
            addr,
        })
    }

    fn with<R>(&self, f: impl FnOnce(&mut Net, u64) -> R) -> io::Result<R> {
        let shared = alive(&self.shared)?;
        let mut net = shared.net();
        Ok(f(&mut net, self.id))
    }

    /// Sets the default peer: `send` goes to it and only its datagrams are received.
    ///
    /// # Errors
    ///
    /// `NotConnected` once the simulation has shut down.
    pub fn connect(&self, peer: SocketAddr) -> io::Result<()> {
        self.with(|net, id| {
            let (peer, _) = route(peer, None);
            if let Some(u) = net.udp.get_mut(&id) {
                u.peer = Some(peer);
                // Datagrams from others, queued before, are not for it any more.
                u.queue.retain(|d| d.from == peer);
            }
        })
    }

    /// The default peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` without one.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.with(|net, id| net.udp.get(&id).and_then(|u| u.peer))?
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotConnected,
                    "the socket has no peer: call connect first",
                )
            })
    }

    /// The bound address (with the port picked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its simulation, if still there.
    pub(crate) fn shared(&self) -> Option<std::sync::Arc<Shared>> {
        self.shared.upgrade()
    }

    /// Sends `buf` to `target` (to the default peer when `None`): the count, at once. A
    /// datagram nobody is bound to receive, or that the link loses, is dropped silently.
    ///
    /// # Errors
    ///
    /// `NotConnected` for `None` without a peer; `PermissionDenied` for a broadcast address
    /// without [`set_broadcast`](Self::set_broadcast); `InvalidInput` for port 0 or a
    /// datagram over 65,507 bytes.
    pub fn send_to(&self, buf: &[u8], target: Option<SocketAddr>) -> io::Result<usize> {
        let shared = alive(&self.shared)?;
        let now = shared.now_offset();
        let mut guard = shared.net();
        let net = &mut *guard;
        let me = net.udp.get(&self.id).expect("a live socket's state");
        let target = match target.or(me.peer) {
            Some(t) => t,
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "send on a UDP socket with no peer: call connect first, or use send_to",
                ))
            }
        };
        if target.port() == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot send to port 0",
            ));
        }
        if buf.len() > MAX_DATAGRAM {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a datagram of {} bytes is over UDP's limit of {MAX_DATAGRAM}",
                    buf.len()
                ),
            ));
        }
        let from = SocketAddr::new(me.src_ip, self.addr.port());
        let receivers: Vec<u64> = if target.ip() == IpAddr::V4(Ipv4Addr::BROADCAST) {
            if !me.broadcast {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "sending to the broadcast address needs set_broadcast(true)",
                ));
            }
            net.udp
                .iter()
                .filter(|(_, u)| u.addr.is_ipv4() && u.addr.port() == target.port())
                .map(|(&id, _)| id)
                .collect()
        } else {
            let (dst, _) = route(target, None);
            net.find(Proto::Udp, dst).into_iter().collect()
        };
        let mut wakers = Vec::new();
        for id in receivers {
            let Some(dst_ip) = net.udp.get(&id).map(|u| u.src_ip) else {
                continue;
            };
            if net.is_cut(from.ip(), dst_ip) || net.lost() {
                continue;
            }
            let at = now + net.latency();
            let u = net.udp.get_mut(&id).expect("looked up above");
            if u.queue.len() >= UDP_QUEUE || u.peer.is_some_and(|p| p != from) {
                continue;
            }
            let pos = u.queue.partition_point(|d| d.at <= at);
            u.queue.insert(
                pos,
                Datagram {
                    at,
                    from,
                    data: buf.to_vec(),
                },
            );
            wakers.extend(u.waker.take().map(|w| (at, w)));
        }
        drop(guard);
        shared.wake_all_at(wakers);
        Ok(buf.len())
    }

    /// Receives a datagram that has arrived into `buf` (the rest of a longer one is
    /// dropped): its length in `buf` and its sender. Cancel-safe. Without `cx`, `Pending`
    /// means "would block".
    ///
    /// # Errors
    ///
    /// `NotConnected` once the simulation has shut down.
    pub fn poll_recv_from(
        &self,
        cx: Option<&mut Context<'_>>,
        buf: &mut [u8],
        peek: bool,
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        let shared = alive(&self.shared)?;
        let now = shared.now_offset();
        let mut net = shared.net();
        let u = net.udp.get_mut(&self.id).expect("a live socket's state");
        if let Some(d) = u.queue.front().filter(|d| d.at <= now) {
            let n = d.data.len().min(buf.len());
            buf[..n].copy_from_slice(&d.data[..n]);
            let from = d.from;
            if !peek {
                u.queue.pop_front();
            }
            return Poll::Ready(Ok((n, from)));
        }
        let Some(cx) = cx else {
            return Poll::Pending;
        };
        u.waker = Some(cx.waker().clone());
        let next = u.queue.front().map(|d| d.at);
        drop(net);
        if let Some(at) = next {
            shared.wake_at(at, cx.waker().clone());
        }
        Poll::Pending
    }

    /// Sets `SO_BROADCAST`: whether it may send to `255.255.255.255` (every socket bound to
    /// that port receives it).
    ///
    /// # Errors
    ///
    /// `NotConnected` once the simulation has shut down.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.with(|net, id| {
            if let Some(u) = net.udp.get_mut(&id) {
                u.broadcast = on;
            }
        })
    }

    /// `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// `NotConnected` once the simulation has shut down.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.with(|net, id| net.udp.get(&id).is_some_and(|u| u.broadcast))
    }

    /// Sets the TTL (kept, with no effect).
    ///
    /// # Errors
    ///
    /// `NotConnected` once the simulation has shut down.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.with(|net, id| {
            if let Some(u) = net.udp.get_mut(&id) {
                u.ttl = ttl;
            }
        })
    }

    /// The TTL (64 unless set).
    ///
    /// # Errors
    ///
    /// `NotConnected` once the simulation has shut down.
    pub fn ttl(&self) -> io::Result<u32> {
        self.with(|net, id| net.udp.get(&id).map_or(64, |u| u.ttl))
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            let mut net = shared.net();
            net.unbind(Proto::Udp, self.addr);
            net.udp.remove(&self.id);
        }
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimUdpSocket")
            .field("addr", &self.addr)
            .finish()
    }
}
