//! Network IO on every backend (feature `net`, unix): TCP, UDP, Unix sockets and name
//! lookup, with the shape of `std::net` and `tokio::net`.
//!
//! ```
//! use anyrt::net::{TcpListener, TcpStream};
//! use futures_util::{AsyncReadExt, AsyncWriteExt};
//!
//! anyrt::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let server = anyrt::spawn(async move {
//!         let (mut stream, _peer) = listener.accept().await?;
//!         let mut line = [0u8; 5];
//!         stream.read_exact(&mut line).await?;
//!         stream.write_all(&line).await?; // echo
//!         std::io::Result::Ok(())
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     let mut back = [0u8; 5];
//!     client.read_exact(&mut back).await?;
//!     assert_eq!(&back, b"hello");
//!     server.await.unwrap()
//! })
//! .unwrap();
//! ```
//!
//! # Which reactor a socket uses
//!
//! A socket belongs to the backend in effect where it is created ([`Backend::selected`]):
//! tokio's reactor on tokio (the IO driver of the tokio runtime the caller is inside, else
//! of anyrt's process-wide tokio runtime), async-io's on smol and async-std. A socket
//! accepted from a listener belongs to the listener's. After that it works when polled from
//! any thread, task or runtime: a stream opened on tokio can be read from a smol task.
//! [`TcpStream::backend`] (and the same method on every type) says which one it is. A
//! socket on a tokio runtime that has shut down fails its operations with an `io::Error`
//! (tokio's own rule); one on a tokio runtime the application built without `enable_io`
//! cannot be created (tokio panics, as `tokio::net` would).
//!
//! # Under the sim backend
//!
//! A socket created where the sim backend is in effect belongs to the simulation's
//! in-memory network instead of the system's: the same types and methods, each
//! segment after a latency drawn from the seed, names from `anyrt::sim::net::add_host`, links
//! cut by `anyrt::sim::net::partition` (see `anyrt::sim::net`, features `sim` and `net`). Its
//! [`backend`](TcpStream::backend) is `Backend::Sim`. It has no OS socket and so no file
//! descriptor: `AsFd::as_fd` and `AsRawFd::as_raw_fd` on it panic, with a message that says
//! so (a descriptor that is not the socket's would let a write through it vanish, or a
//! `close` of it break another socket; code that needs the descriptor checks `backend()`
//! first). What that network does not model fails with `Unsupported`: multicast, `shutdown`
//! of a Unix datagram socket, `TryFrom` of a std socket and `into_std`. Unix sockets are
//! named by paths of the simulation's own there: no file is made.
//!
//! # IO traits
//!
//! Every stream ([`TcpStream`], [`UnixStream`] and their owned and borrowed halves) implements futures'
//! `AsyncRead` and `AsyncWrite` (use `futures::AsyncReadExt` and `AsyncWriteExt`, or the
//! same traits from `futures-lite`); with feature `tokio-io`, tokio's `AsyncRead` and
//! `AsyncWrite` too; with feature `hyper`, hyper 1.x's `rt::Read` and `rt::Write` (see
//! [`compat::hyper`](crate::compat::hyper)). `AsyncWrite::poll_close` (tokio's
//! `poll_shutdown`) shuts the write side down: the peer reads end-of-file.
//!
//! # Cancel safety
//!
//! | future | cancel-safe | dropped before it completes |
//! |---|---|---|
//! | `accept` | yes | no connection is taken from the queue |
//! | `read`, `peek`, `recv`, `recv_from`, `peek_from` | yes | no data is consumed |
//! | `write`, `send`, `send_to` | yes | nothing was written (each is one system call, made when it completes) |
//! | `write_all` (futures' `AsyncWriteExt`) | **no** | part of the buffer may have been written |
//! | `connect`, `bind`, [`lookup_host`] | yes | the socket (or the lookup's result) is dropped |
//!
//! # Errors
//!
//! Every failure is an [`io::Error`] of the system's kind, the same on every backend, never a
//! panic: `ConnectionRefused` for a closed port, `AddrInUse` for a bound address,
//! `ConnectionReset` for a peer that reset, `TimedOut` from
//! [`TcpStream::connect_timeout`], and the resolver's error for a name that does not
//! resolve (`InvalidInput` for an address that names no port).
//!
//! # Names
//!
//! Every `addr` argument is a [`ToSocketAddrs`]: a `SocketAddr`, an `(IpAddr, u16)`, a
//! `"host:port"` string, a `(&str, u16)`, or a slice of addresses. A string that is an
//! address is parsed on the spot; any other name is resolved by the system's resolver on the
//! backend's blocking pool, never on the async thread.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use anyrt_core::Backend;

/// `forward!(io, Enum, Trait::method(args))`: the call on whichever backend's socket `io`
/// (a `backend_enum!` of a socket kind) holds, through the contract's trait `Trait`.
macro_rules! forward {
    ($io:expr, $enum:ident, $tr:ident :: $m:ident ( $($arg:expr),* $(,)? )) => {
        each_backend!($io, $enum, s, P => anyrt_core::net::$tr::$m(s $(, $arg)*))
    };
}

/// `new_socket!(Enum, Assoc, Trait::constructor(args))`: a socket made by the backend in
/// effect here (`Backend::selected`), its `<P as Net>::Assoc`, wrapped in `Enum`.
macro_rules! new_socket {
    ($enum:ident, $assoc:ident, $tr:ident :: $m:ident ( $($arg:expr),* )) => {{
        let socket: std::io::Result<$enum> =
            dispatch!(anyrt_core::Backend::selected(), P, wrap = $enum => {
                <<P as anyrt_core::net::Net>::$assoc as anyrt_core::net::$tr>::$m($($arg),*)
                    .map(wrap)
            });
        socket
    }};
    (async $enum:ident, $assoc:ident, $tr:ident :: $m:ident ( $($arg:expr),* )) => {{
        let socket: std::io::Result<$enum> =
            dispatch!(anyrt_core::Backend::selected(), P, wrap = $enum => {
                <<P as anyrt_core::net::Net>::$assoc as anyrt_core::net::$tr>::$m($($arg),*)
                    .await
                    .map(wrap)
            });
        socket
    }};
}

/// `Debug`, `AsFd` and `AsRawFd` for a socket type whose `io` field is a `backend_enum!`.
macro_rules! socket_traits {
    ($ty:ident, $enum:ident) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($ty)).field(&self.io).finish()
            }
        }

        /// The socket's descriptor.
        ///
        /// # Panics
        ///
        /// For a socket of the simulated network (`backend()` is `Backend::Sim`), which has
        /// none; see the [module docs](crate::net#under-the-sim-backend).
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                match forward!(&self.io, $enum, SocketOps::fd()) {
                    Some(fd) => fd,
                    None => $crate::net::no_fd(stringify!($ty)),
                }
            }
        }

        /// The socket's descriptor.
        ///
        /// # Panics
        ///
        /// As `as_fd`: for a socket of the simulated network.
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&std::os::fd::AsFd::as_fd(self))
            }
        }
    };
}

/// What `AsFd` says for a socket with no descriptor (the simulation's).
#[cold]
#[track_caller]
pub(crate) fn no_fd(ty: &str) -> ! {
    panic!(
        "anyrt::net::{ty}: a socket of the simulated network (Backend::Sim) has no file \
         descriptor; code that needs one runs on tokio, smol or async-std (check `backend()`)"
    )
}

#[macro_use]
mod stream;
mod tcp_socket;
mod udp;
mod unix_socket;

pub use tcp_socket::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix_socket::{UnixDatagram, UnixListener, UnixStream};

/// The halves of a [`TcpStream`], as in `tokio::net::tcp`: owned ([`TcpStream::into_split`])
/// and borrowed ([`TcpStream::split`]).
pub mod tcp {
    pub use super::tcp_socket::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
}

/// The halves of a [`UnixStream`], as in `tokio::net::unix`: owned
/// ([`UnixStream::into_split`]) and borrowed ([`UnixStream::split`]).
pub mod unix {
    pub use super::unix_socket::{
        OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf,
    };
}

// -------------------------------------------------------------------------------------------
// Names.

/// What an `addr` argument can be: addresses, or names the system's resolver turns into
/// addresses (on the backend's blocking pool). Implemented for `SocketAddr`,
/// `SocketAddrV4`, `SocketAddrV6`, `(IpAddr, u16)`, `(Ipv4Addr, u16)`, `(Ipv6Addr, u16)`,
/// `&[SocketAddr]`, `[SocketAddr; N]`, `Vec<SocketAddr>`, `&str` and `String`
/// (`"host:port"`), `(&str, u16)` and `(String, u16)`, and references to these. Sealed.
pub trait ToSocketAddrs: sealed::Sealed {}

mod sealed {
    use super::Addrs;

    pub trait Sealed {
        fn to_addrs(&self) -> Addrs;
    }
}

/// What a [`ToSocketAddrs`] gives: addresses at once, or a name to look up.
#[doc(hidden)]
#[derive(Debug)]
pub enum Addrs {
    Ready(io::Result<Vec<SocketAddr>>),
    Lookup(String),
}

macro_rules! addrs_of_addr {
    ($($t:ty),*) => {$(
        impl ToSocketAddrs for $t {}
        impl sealed::Sealed for $t {
            fn to_addrs(&self) -> Addrs {
                Addrs::Ready(Ok(vec![SocketAddr::from(*self)]))
            }
        }
    )*};
}

addrs_of_addr!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for [SocketAddr] {}
impl sealed::Sealed for [SocketAddr] {
    fn to_addrs(&self) -> Addrs {
        Addrs::Ready(Ok(self.to_vec()))
    }
}

impl<const N: usize> ToSocketAddrs for [SocketAddr; N] {}
impl<const N: usize> sealed::Sealed for [SocketAddr; N] {
    fn to_addrs(&self) -> Addrs {
        Addrs::Ready(Ok(self.to_vec()))
    }
}

impl ToSocketAddrs for Vec<SocketAddr> {}
impl sealed::Sealed for Vec<SocketAddr> {
    fn to_addrs(&self) -> Addrs {
        Addrs::Ready(Ok(self.clone()))
    }
}

impl ToSocketAddrs for str {}
impl sealed::Sealed for str {
    fn to_addrs(&self) -> Addrs {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Addrs::Ready(Ok(vec![addr])),
            // No port: std's error, without a lookup.
            Err(_) if !self.contains(':') => Addrs::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid socket address {self:?}: expected \"host:port\""),
            ))),
            Err(_) => Addrs::Lookup(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl sealed::Sealed for String {
    fn to_addrs(&self) -> Addrs {
        self.as_str().to_addrs()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::Sealed for (&str, u16) {
    fn to_addrs(&self) -> Addrs {
        let (host, port) = *self;
        match host.parse::<IpAddr>() {
            Ok(ip) => Addrs::Ready(Ok(vec![SocketAddr::new(ip, port)])),
            Err(_) => Addrs::Lookup(format!("{host}:{port}")),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::Sealed for (String, u16) {
    fn to_addrs(&self) -> Addrs {
        (self.0.as_str(), self.1).to_addrs()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::Sealed for &T {
    fn to_addrs(&self) -> Addrs {
        (**self).to_addrs()
    }
}

/// The addresses of `addr`, looked up by the backend in effect here when it is a name.
pub(crate) fn resolve(
    addr: &(impl ToSocketAddrs + ?Sized),
) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'static {
    let addrs = sealed::Sealed::to_addrs(addr);
    // The backend where the call is made, not where the future is first polled.
    let backend = Backend::selected();
    async move {
        match addrs {
            Addrs::Ready(r) => r,
            Addrs::Lookup(name) => {
                dispatch!(backend, P => <P as anyrt_core::net::Net>::lookup_host(name).await)
            }
        }
    }
}

/// Looks `host` up (a `"host:port"` string, a `(host, port)` pair, or addresses): the
/// system's resolver runs on the backend's blocking pool. Cancel-safe.
///
/// ```
/// anyrt::block_on(async {
///     let addrs: Vec<_> = anyrt::net::lookup_host("localhost:80").await.unwrap().collect();
///     assert!(addrs.iter().all(|a| a.port() == 80 && a.ip().is_loopback()));
///     // No port: an error, at once.
///     let err = anyrt::net::lookup_host("localhost").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// });
/// ```
///
/// # Errors
///
/// The resolver's, for a name that does not resolve.
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<std::vec::IntoIter<SocketAddr>> {
    Ok(resolve(&host).await?.into_iter())
}

/// Tries `f` on each address of `addrs` in turn: the first success, else the last error.
pub(crate) async fn each_addr<T, F, Fut>(
    addrs: &(impl ToSocketAddrs + ?Sized),
    mut f: F,
) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in resolve(addrs).await? {
        match f(addr).await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}
