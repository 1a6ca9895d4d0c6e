//! The IO half of the contract (feature `net`, `anyrt_core::net::Net`): an in-memory network.
//!
//! Under a simulation `anyrt::net`'s sockets are not the system's: they are
//! [`TcpListener`], [`TcpStream`], [`UdpSocket`] and the Unix ones ([`UnixListener`],
//! [`UnixStream`], [`UnixDatagram`]) here, whose bytes travel through the simulation's
//! memory. Each segment or datagram arrives after a latency drawn from the
//! seed ([`set_latency`]), so a seed gives one order of deliveries and replays it exactly;
//! [`partition`], [`isolate`] and [`heal`] cut and restore the links between addresses.
//!
//! The model, as a real loopback would behave where it can:
//!
//! * **Hosts are addresses.** A socket bound to `10.0.0.1:80` is on host `10.0.0.1`; any
//!   address can be bound. A connection or datagram leaves from the caller's host (the
//!   `host` argument, which `anyrt::sim::net::host` sets for a task and the tasks it
//!   spawns), else from the loopback address of the destination's family; a connection to
//!   a loopback address leaves from that address. The loopback addresses name one shared
//!   host.
//! * **TCP** is reliable and ordered: a write is buffered (up to [`TCP_BUFFER`] bytes not
//!   yet read, then the writer waits) and readable after the link's latency, each segment no
//!   earlier than the one before. Dropping a stream sends end-of-file after its data; with
//!   data of its peer's still unread, it resets the connection instead (the peer's reads fail
//!   with `ConnectionReset`), as Linux does. A connect takes a round trip; to a port nobody
//!   listens on it fails with `ConnectionRefused`.
//! * **UDP** is not: each datagram has its own latency (so datagrams can arrive out of
//!   order), is dropped with the probability set by [`set_udp_loss`], when its receiver's
//!   queue holds [`UDP_QUEUE`] datagrams, or when nobody is bound to its destination.
//! * **Cut links.** While two addresses are partitioned (or one is isolated), datagrams
//!   between them are lost, and TCP holds its data: nothing is delivered, a connect waits,
//!   and everything resumes once the link is repaired (as retransmission would).
//! * **Names.** `localhost` is `127.0.0.1`; other names are the ones [`add_host`] gave.
//! * **Unix sockets** are named by paths in the simulation's own namespace (no file is made;
//!   a path bound twice is `AddrInUse`, one nobody bound is `NotFound`), with the latency of
//!   a link and never cut, like TCP and UDP over one host.
//!
//! Multicast, `shutdown` of a Unix datagram socket, and `std` sockets brought in with
//! `TryFrom` (or handed back by `into_std`) are not part of the simulated network: they
//! fail with `Unsupported` ([`NET_UNSUPPORTED`]).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::rng::Rng;
use crate::runtime::{current, Shared};

mod ops;
mod tcp;
mod udp;
mod unix;

pub use ops::{current_host, host};

pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};

/// What `anyrt::net` says under the simulation for what its network does not model.
pub const NET_UNSUPPORTED: &str = "this is not part of the simulated network: under the sim \
     backend, anyrt::net's sockets live in memory (made with bind, connect and pair), with no \
     multicast, no shutdown of a Unix datagram socket, and no std sockets brought in with \
     TryFrom or handed back by into_std. Run the tests that need these on tokio, smol or \
     async-std (`#[anyrt::test(tokio, smol, async_std)]`)";

/// The most bytes a TCP connection holds for its reader (written, not yet read) before a
/// writer waits.
pub const TCP_BUFFER: usize = 256 * 1024;

/// The most datagrams a UDP socket holds for its reader; more are dropped.
pub const UDP_QUEUE: usize = 1024;

/// The latency of a link unless [`set_latency`] says otherwise.
pub const DEFAULT_LATENCY: RangeInclusive<Duration> =
    Duration::from_micros(50)..=Duration::from_micros(500);

const FIRST_EPHEMERAL_PORT: u16 = 49152;

// -------------------------------------------------------------------------------------------
// The network's state, one per simulation.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Proto {
    Tcp,
    Udp,
}

pub(crate) struct Net {
    /// The network's numbers (latencies, losses), apart from the schedule's.
    rng: Rng,
    latency: (Duration, Duration),
    udp_loss: f64,
    next_port: u16,
    next_id: u64,
    /// Every bound address, with the id of the socket holding it.
    bound: BTreeMap<(Proto, SocketAddr), u64>,
    listeners: BTreeMap<u64, tcp::Listener>,
    pipes: BTreeMap<u64, tcp::Pipe>,
    udp: BTreeMap<u64, udp::Udp>,
    /// Partitioned pairs of addresses, the smaller first.
    cuts: BTreeSet<(IpAddr, IpAddr)>,
    isolated: BTreeSet<IpAddr>,
    /// What waits for a link to be repaired.
    cut_waiters: Vec<Waker>,
    hosts: BTreeMap<String, Vec<IpAddr>>,
    /// Unix sockets: the address behind each bound path, and back.
    unix_paths: BTreeMap<std::path::PathBuf, SocketAddr>,
    unix_names: BTreeMap<SocketAddr, std::path::PathBuf>,
}

impl Net {
    pub(crate) fn new(seed: u64) -> Net {
        Net {
            rng: Rng::new(seed ^ 0x2545_F491_4F6C_DD1D),
            latency: (*DEFAULT_LATENCY.start(), *DEFAULT_LATENCY.end()),
            udp_loss: 0.0,
            next_port: FIRST_EPHEMERAL_PORT,
            next_id: 1,
            bound: BTreeMap::new(),
            listeners: BTreeMap::new(),
            pipes: BTreeMap::new(),
            udp: BTreeMap::new(),
            cuts: BTreeSet::new(),
            isolated: BTreeSet::new(),
            cut_waiters: Vec::new(),
            hosts: BTreeMap::new(),
            unix_paths: BTreeMap::new(),
            unix_names: BTreeMap::new(),
        }
    }

    fn id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// One link's latency, drawn from the network's numbers.
    fn latency(&mut self) -> Duration {
        let (lo, hi) = self.latency;
        let span = (hi - lo).as_nanos() as u64;
        if span == 0 {
            return lo;
        }
        lo + Duration::from_nanos(self.rng.next_u64() % (span + 1))
    }

    /// Whether a datagram of UDP is lost on the way.
    fn lost(&mut self) -> bool {
        self.udp_loss > 0.0
            && ((self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < self.udp_loss
    }

    /// Whether the link between `a` and `b` is cut (a host always reaches itself).
    fn is_cut(&self, a: IpAddr, b: IpAddr) -> bool {
        a != b
            && (self.isolated.contains(&a)
                || self.isolated.contains(&b)
                || self.cuts.contains(&ordered(a, b)))
    }

    /// Whether `addr` (with `proto`) conflicts with a bound address: the same port and
    /// family, and the same address or either one unspecified.
    fn in_use(&self, proto: Proto, addr: SocketAddr) -> bool {
        self.bound.keys().any(|&(p, b)| {
            p == proto
                && b.port() == addr.port()
                && b.is_ipv4() == addr.is_ipv4()
                && (b.ip() == addr.ip() || b.ip().is_unspecified() || addr.ip().is_unspecified())
        })
    }

    /// Binds `addr` for socket `id`: port 0 picks the next free ephemeral port.
    fn bind(&mut self, proto: Proto, mut addr: SocketAddr, id: u64) -> io::Result<SocketAddr> {
        if addr.port() == 0 {
            let span = u32::from(u16::MAX - FIRST_EPHEMERAL_PORT) + 1;
            let found = (0..span).find(|_| {
                addr.set_port(self.next_port);
                self.next_port = self
                    .next_port
                    .checked_add(1)
                    .unwrap_or(FIRST_EPHEMERAL_PORT);
                !self.in_use(proto, addr)
            });
            if found.is_none() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!(
                        "no free port left on {} in the simulated network",
                        addr.ip()
                    ),
                ));
            }
        } else if self.in_use(proto, addr) {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("address {addr} is already in use in the simulated network"),
            ));
        }
        self.bound.insert((proto, addr), id);
        Ok(addr)
    }

    fn unbind(&mut self, proto: Proto, addr: SocketAddr) {
        self.bound.remove(&(proto, addr));
    }

    /// The socket bound to `addr` (exactly, else on the unspecified address of its family
    /// and its port).
    fn find(&self, proto: Proto, addr: SocketAddr) -> Option<u64> {
        let any = SocketAddr::new(unspecified(addr.ip()), addr.port());
        self.bound
            .get(&(proto, addr))
            .or_else(|| self.bound.get(&(proto, any)))
            .copied()
    }

    fn repaired(&mut self) -> Vec<Waker> {
        std::mem::take(&mut self.cut_waiters)
    }
}

fn ordered(a: IpAddr, b: IpAddr) -> (IpAddr, IpAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

fn unspecified(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    }
}

pub(super) fn loopback(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
        IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
    }
}

/// Where traffic to `dst` goes (the unspecified address means this host, as on Linux) and
/// which address it leaves from.
fn route(dst: SocketAddr, host: Option<IpAddr>) -> (SocketAddr, IpAddr) {
    let mut dst = dst;
    if dst.ip().is_unspecified() {
        dst.set_ip(loopback(dst.ip()));
    }
    let src = if dst.ip().is_loopback() {
        dst.ip()
    } else {
        host.filter(|h| h.is_ipv4() == dst.is_ipv4())
            .unwrap_or_else(|| loopback(dst.ip()))
    };
    (dst, src)
}

/// The simulation a socket belongs to, or the error of one whose simulation is gone.
fn alive(shared: &std::sync::Weak<Shared>) -> io::Result<Arc<Shared>> {
    shared.upgrade().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotConnected,
            "the simulation this socket belongs to has shut down",
        )
    })
}

fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

/// Waits while the link between `a` and `b` is cut.
fn poll_link(net: &mut Net, a: IpAddr, b: IpAddr, cx: &mut Context<'_>) -> Poll<()> {
    if net.is_cut(a, b) {
        net.cut_waiters.push(cx.waker().clone());
        Poll::Pending
    } else {
        Poll::Ready(())
    }
}

// -------------------------------------------------------------------------------------------
// What a test does to the network.

/// The simulation the calling thread is inside, for a function of this module.
fn this_simulation(what: &str) -> Arc<Shared> {
    current().unwrap_or_else(|| {
        panic!(
            "anyrt::sim::net::{what} was called outside a simulation: call it from code that \
             runs on a sim runtime (a `::sim` test of #[anyrt::test], or a runtime built with \
             Backend::Sim)"
        )
    })
}

/// Sets the latency of every link of the current simulation's network: each TCP segment
/// and each datagram takes a duration drawn (from the seed) uniformly in `latency`
/// ([`DEFAULT_LATENCY`] until this is called). A range of one value makes it fixed.
///
/// # Panics
///
/// Outside a simulation.
pub fn set_latency(latency: RangeInclusive<Duration>) {
    let (lo, hi) = (*latency.start(), *latency.end());
    let shared = this_simulation("set_latency");
    shared.net().latency = (lo.min(hi), lo.max(hi));
}

/// Sets the probability (clamped to `0.0..=1.0`) with which a UDP datagram is lost, drawn
/// from the seed; 0 until this is called. TCP never loses data.
///
/// # Panics
///
/// Outside a simulation.
pub fn set_udp_loss(probability: f64) {
    let shared = this_simulation("set_udp_loss");
    shared.net().udp_loss = if probability.is_nan() {
        0.0
    } else {
        probability.clamp(0.0, 1.0)
    };
}

/// Cuts the link between hosts `a` and `b` (both ways) until [`repair`] or [`heal`].
///
/// # Panics
///
/// Outside a simulation.
pub fn partition(a: IpAddr, b: IpAddr) {
    let shared = this_simulation("partition");
    shared.net().cuts.insert(ordered(a, b));
}

/// Restores the link between `a` and `b` that [`partition`] cut.
///
/// # Panics
///
/// Outside a simulation.
pub fn repair(a: IpAddr, b: IpAddr) {
    let shared = this_simulation("repair");
    let wakers = {
        let mut net = shared.net();
        net.cuts.remove(&ordered(a, b));
        net.repaired()
    };
    wake_all(wakers);
}

/// Cuts every link of host `ip` (a crashed or unreachable machine) until [`rejoin`] or
/// [`heal`]. Its own traffic to itself goes on.
///
/// # Panics
///
/// Outside a simulation.
pub fn isolate(ip: IpAddr) {
    let shared = this_simulation("isolate");
    shared.net().isolated.insert(ip);
}

/// Restores the links that [`isolate`] cut.
///
/// # Panics
///
/// Outside a simulation.
pub fn rejoin(ip: IpAddr) {
    let shared = this_simulation("rejoin");
    let wakers = {
        let mut net = shared.net();
        net.isolated.remove(&ip);
        net.repaired()
    };
    wake_all(wakers);
}

/// Restores every link: no partition, no isolated host.
///
/// # Panics
///
/// Outside a simulation.
pub fn heal() {
    let shared = this_simulation("heal");
    let wakers = {
        let mut net = shared.net();
        net.cuts.clear();
        net.isolated.clear();
        net.repaired()
    };
    wake_all(wakers);
}

/// Makes `name` resolve to `ip` in the current simulation (`anyrt::net::lookup_host`,
/// and every `"name:port"` argument). Several calls for one name give several addresses,
/// in call order.
///
/// # Panics
///
/// Outside a simulation.
pub fn add_host(name: &str, ip: IpAddr) {
    let shared = this_simulation("add_host");
    shared
        .net()
        .hosts
        .entry(name.to_ascii_lowercase())
        .or_default()
        .push(ip);
}

/// The addresses of `name` (`"host:port"`) in the network of the simulation the calling
/// thread is inside (else the process-wide one's): `localhost` and the names
/// [`add_host`] gave.
///
/// # Errors
///
/// `InvalidInput` without a port; `NotFound` for a name the network does not know.
pub fn lookup(name: &str) -> io::Result<Vec<SocketAddr>> {
    let Some((host, port)) = name.rsplit_once(':') else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid socket address {name:?}: expected \"host:port\""),
        ));
    };
    let port: u16 = port.parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid port in {name:?}"),
        )
    })?;
    let host = host.to_ascii_lowercase();
    let shared = crate::runtime::current_or_global();
    let ips = shared.net().hosts.get(&host).cloned();
    let ips = match ips {
        Some(ips) => ips,
        None if host == "localhost" => vec![Ipv4Addr::LOCALHOST.into()],
        None => {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "failed to look up {host:?}: no host of that name in the simulated network \
                     (give it one with anyrt::sim::net::add_host)"
                ),
            ))
        }
    };
    Ok(ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect())
}
