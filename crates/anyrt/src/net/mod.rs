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
//! [`backend`](TcpStream::backend) is `Backend::Sim`; it has no OS socket (its descriptor,
//! through `AsFd`, is `/dev/null`'s, on which socket calls fail). What that network does not
//! model fails with `Unsupported`: multicast, `shutdown` of a Unix datagram socket,
//! `TryFrom` of a std socket and `into_std`. Unix sockets are named by paths of the
//! simulation's own there: no file is made.
//!
//! # IO traits
//!
//! Every stream ([`TcpStream`], [`UnixStream`] and their owned halves) implements futures'
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

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::marker::PhantomData;
#[cfg(any(feature = "tokio-io", feature = "hyper"))]
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
#[cfg(any(feature = "tokio-io", feature = "hyper"))]
use std::os::fd::AsRawFd;
use std::task::{Context, Poll};

use anyrt_core::net::{Io, Reactor, Source};
use anyrt_core::Backend;

use crate::dispatch::Never;

/// `Debug`, `AsFd` and `AsRawFd` for a socket type whose `io` field is an `io_enum!`.
macro_rules! socket_traits {
    ($ty:ident) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($ty)).field(&self.io).finish()
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.io.fd()
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.io.fd())
            }
        }
    };
}

/// The socket of a type that has one on the simulated network too: an OS socket registered
/// with a reactor, or (feature `sim`, created under the sim backend) the simulation's.
macro_rules! io_enum {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $std:ty, $sim:ty }) => {
        $(#[$m])*
        #[derive(Debug)]
        $vis enum $name {
            Os($crate::net::Registered<$std>),
            #[cfg(feature = "sim")]
            Sim($sim),
        }

        #[allow(dead_code)]
        impl $name {
            pub(crate) fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
                match self {
                    Self::Os(io) => std::os::fd::AsFd::as_fd(io.get_ref()),
                    #[cfg(feature = "sim")]
                    Self::Sim(_) => $crate::net::sim_fd(),
                }
            }

            pub(crate) fn backend(&self) -> anyrt_core::Backend {
                match self {
                    Self::Os(io) => io.backend(),
                    #[cfg(feature = "sim")]
                    Self::Sim(_) => anyrt_core::Backend::Sim,
                }
            }

            /// The OS socket; for a simulated one, what the simulated network does not
            /// model: `Unsupported`.
            pub(crate) fn os(&self) -> std::io::Result<&$crate::net::Registered<$std>> {
                match self {
                    Self::Os(io) => Ok(io),
                    #[cfg(feature = "sim")]
                    Self::Sim(_) => Err($crate::net::sim_unsupported()),
                }
            }

            pub(crate) fn into_os(self) -> std::io::Result<$crate::net::Registered<$std>> {
                match self {
                    Self::Os(io) => Ok(io),
                    #[cfg(feature = "sim")]
                    Self::Sim(_) => Err($crate::net::sim_unsupported()),
                }
            }
        }
    };
}

/// Whether a socket made here belongs to the simulated network (the sim backend is in
/// effect).
#[cfg(feature = "sim")]
pub(crate) fn on_sim() -> bool {
    Backend::selected() == Backend::Sim
}

/// The host the calling task's connections leave from under the sim backend.
#[cfg(feature = "sim")]
pub(crate) fn sim_host() -> Option<IpAddr> {
    crate::sim::net::current_host()
}

/// What a simulated socket answers for what the simulated network does not model.
#[cfg(feature = "sim")]
pub(crate) fn sim_unsupported() -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, anyrt_sim::NET_UNSUPPORTED)
}

/// The descriptor a simulated socket shows (`AsFd`): `/dev/null`'s, opened once, on which
/// every socket call fails with `ENOTSOCK`.
#[cfg(feature = "sim")]
pub(crate) fn sim_fd() -> std::os::fd::BorrowedFd<'static> {
    use std::os::fd::AsFd;
    static NULL: std::sync::OnceLock<std::fs::File> = std::sync::OnceLock::new();
    NULL.get_or_init(|| {
        std::fs::File::open("/dev/null")
            .expect("anyrt: opening /dev/null (the descriptor a simulated socket shows)")
    })
    .as_fd()
}

#[macro_use]
mod stream;
mod tcp_socket;
mod udp;
mod unix_socket;

pub use tcp_socket::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix_socket::{UnixDatagram, UnixListener, UnixStream};

/// The owned halves of a [`TcpStream`] ([`TcpStream::into_split`]), as in `tokio::net::tcp`.
pub mod tcp {
    pub use super::tcp_socket::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
}

/// The owned halves of a [`UnixStream`] ([`UnixStream::into_split`]), as in
/// `tokio::net::unix`.
pub mod unix {
    pub use super::unix_socket::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
}

// -------------------------------------------------------------------------------------------
// A socket registered with the reactor of one backend.

macro_rules! registered_enum {
    ({} $($variant:ident $feature:literal $provider:path;)*) => {
        /// A std socket registered with one backend's reactor.
        pub(crate) enum Registered<T: Io> {
            $($variant(<crate::dispatch::p::$variant as Reactor>::Source<T>),)*
        }
    };
}

for_each_backend!(registered_enum! {});

impl<T: Io> Registered<T> {
    /// Registers `io` (already non-blocking) with the reactor of the backend in effect here.
    pub(crate) fn new(io: T) -> io::Result<Self> {
        dispatch!(Backend::selected(), P, wrap = Registered => {
            Ok(wrap(<P as Reactor>::Source::new(io)?))
        })
    }

    /// Registers `io` with the same backend's reactor as `self` (an accepted connection).
    pub(crate) fn new_like<U: Io>(&self, io: U) -> io::Result<Registered<U>> {
        each_backend!(self, Registered, _s, P, wrap = Registered => {
            Ok(wrap(<P as Reactor>::Source::new(io)?))
        })
    }

    pub(crate) fn get_ref(&self) -> &T {
        each_backend!(self, Registered, s, P => s.get_ref())
    }

    pub(crate) fn into_inner(self) -> io::Result<T> {
        each_backend!(self, Registered, s, P => s.into_inner())
    }

    pub(crate) fn backend(&self) -> Backend {
        backend_of!(self, Registered)
    }

    #[inline]
    pub(crate) fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        each_backend!(self, Registered, s, P => s.poll_read_with(cx, op))
    }

    #[inline]
    pub(crate) fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        each_backend!(self, Registered, s, P => s.poll_write_with(cx, op))
    }

    pub(crate) async fn read_with<R>(
        &self,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_read_with(cx, &mut op)).await
    }

    pub(crate) async fn write_with<R>(
        &self,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_write_with(cx, &mut op)).await
    }
}

impl<T: Io> fmt::Debug for Registered<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("backend", &self.backend())
            .field("io", self.get_ref())
            .finish()
    }
}

/// The source of a backend that is not compiled in: never built.
pub(crate) struct NeverSource<T>(Never, PhantomData<fn() -> T>);

impl<T> fmt::Debug for NeverSource<T> {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {}
    }
}

impl Reactor for crate::dispatch::Disabled {
    type Source<T: Io> = NeverSource<T>;
}

impl<T: Io> Source<T> for NeverSource<T> {
    fn new(_: T) -> io::Result<Self> {
        unreachable!("anyrt: a socket registered with a backend that is not compiled in")
    }
    fn get_ref(&self) -> &T {
        match self.0 {}
    }
    fn into_inner(self) -> io::Result<T> {
        match self.0 {}
    }
    fn poll_read_with<R>(
        &self,
        _: &mut Context<'_>,
        _: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        match self.0 {}
    }
    fn poll_write_with<R>(
        &self,
        _: &mut Context<'_>,
        _: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        match self.0 {}
    }
}

/// `read(2)` into memory that may be uninitialised; the first `n` bytes returned are
/// initialised.
#[cfg(any(feature = "tokio-io", feature = "hyper"))]
#[allow(unsafe_code)]
pub(crate) fn read_uninit(io: &impl AsRawFd, dst: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
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
pub(crate) fn connect_in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock
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

/// The addresses of `addr`, looked up on the blocking pool when it is a name.
pub(crate) fn resolve(
    addr: &(impl ToSocketAddrs + ?Sized),
) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'static {
    let addrs = sealed::Sealed::to_addrs(addr);
    #[cfg(feature = "sim")]
    let sim = on_sim();
    async move {
        match addrs {
            Addrs::Ready(r) => r,
            // The simulated network's own names, never the system's resolver.
            #[cfg(feature = "sim")]
            Addrs::Lookup(name) if sim => anyrt_sim::net::lookup(&name),
            Addrs::Lookup(name) => crate::spawn_blocking(move || {
                std::net::ToSocketAddrs::to_socket_addrs(&name).map(Iterator::collect)
            })
            .await
            .map_err(|e| io::Error::other(format!("anyrt::net: the name lookup failed: {e}")))?,
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
