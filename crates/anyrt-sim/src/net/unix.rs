//! Unix-domain sockets over the simulated network: paths instead of addresses, built on the
//! TCP and UDP sockets of the network, each bound to an address of its own that no test can
//! name (so no partition ever cuts it, as no network stands between two local processes).

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv6Addr, Shutdown, SocketAddr};
use std::path::{Path, PathBuf};
use std::task::{Context, Poll};

use super::{Net, TcpListener, TcpStream, UdpSocket};
use crate::runtime::{current_or_global, Shared};

/// A fresh address for one Unix socket, in a unique local IPv6 range (`fd00:0:0:a11::/64`).
fn pseudo(net: &mut Net) -> SocketAddr {
    let n = net.id();
    let ip = Ipv6Addr::new(
        0xfd00,
        0,
        0,
        0x0a11,
        (n >> 48) as u16,
        (n >> 32) as u16,
        (n >> 16) as u16,
        n as u16,
    );
    SocketAddr::new(IpAddr::V6(ip), 1)
}

/// Claims `path` for a socket at a fresh address.
fn claim(shared: &Shared, path: &Path) -> io::Result<SocketAddr> {
    let mut net = shared.net();
    if net.unix_paths.contains_key(path) {
        return Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!(
                "address {} is already in use in the simulated network",
                path.display()
            ),
        ));
    }
    let addr = pseudo(&mut net);
    net.unix_paths.insert(path.to_owned(), addr);
    net.unix_names.insert(addr, path.to_owned());
    Ok(addr)
}

fn release(shared: &Shared, path: &Path) {
    let mut net = shared.net();
    if let Some(addr) = net.unix_paths.remove(path) {
        net.unix_names.remove(&addr);
    }
}

/// The address bound at `path`, or the error of a path nothing is bound at.
fn lookup(path: &Path) -> io::Result<SocketAddr> {
    current_or_global()
        .net()
        .unix_paths
        .get(path)
        .copied()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no socket at {} in the simulated network", path.display()),
            )
        })
}

/// A Unix stream listener of the simulated network.
#[derive(Debug)]
pub struct UnixListener {
    inner: TcpListener,
    path: PathBuf,
}

impl UnixListener {
    /// Binds `path` in the network of the simulation the calling thread is inside (else the
    /// process-wide one's).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when a socket is bound there already.
    pub fn bind(path: &Path) -> io::Result<UnixListener> {
        let shared = current_or_global();
        let addr = claim(&shared, path)?;
        match TcpListener::bind(addr) {
            Ok(inner) => Ok(UnixListener {
                inner,
                path: path.to_owned(),
            }),
            Err(e) => {
                release(&shared, path);
                Err(e)
            }
        }
    }

    /// Polls for a connection. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The simulation has shut down.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<UnixStream>> {
        let (inner, _) = std::task::ready!(self.inner.poll_accept(cx))?;
        Poll::Ready(Ok(UnixStream {
            inner,
            local: Some(self.path.clone()),
            peer: None,
        }))
    }

    /// The path it is bound to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for UnixListener {
    fn drop(&mut self) {
        if let Some(shared) = self.inner.shared() {
            release(&shared, &self.path);
        }
    }
}

/// A Unix stream of the simulated network.
#[derive(Debug)]
pub struct UnixStream {
    inner: TcpStream,
    local: Option<PathBuf>,
    peer: Option<PathBuf>,
}

impl UnixStream {
    /// Connects to the listener at `path`. Cancel-safe.
    ///
    /// # Errors
    ///
    /// `NotFound` when nothing is bound at `path`; `ConnectionRefused` when the socket there
    /// is not a listener.
    pub fn connect(path: &Path) -> impl Future<Output = io::Result<UnixStream>> + Send + 'static {
        let target = lookup(path).map(|addr| (addr, path.to_owned()));
        async move {
            let (addr, path) = target?;
            let inner = TcpStream::connect(addr, Some(addr.ip())).await?;
            Ok(UnixStream {
                inner,
                local: None,
                peer: Some(path),
            })
        }
    }

    /// Two connected, unnamed ends.
    pub fn pair() -> (UnixStream, UnixStream) {
        let shared = current_or_global();
        let (a, b) = {
            let mut net = shared.net();
            (pseudo(&mut net), pseudo(&mut net))
        };
        let (a, b) = TcpStream::pair(&shared, a, b);
        let unnamed = |inner| UnixStream {
            inner,
            local: None,
            peer: None,
        };
        (unnamed(a), unnamed(b))
    }

    /// The stream's TCP connection underneath (reads, writes, shutdown).
    pub fn stream(&self) -> &TcpStream {
        &self.inner
    }

    /// Shuts a side down, as [`TcpStream::shutdown`].
    ///
    /// # Errors
    ///
    /// As [`TcpStream::shutdown`].
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// The path it is bound to: the listener's for an accepted stream, none for a
    /// connecting one.
    pub fn local_path(&self) -> Option<&Path> {
        self.local.as_deref()
    }

    /// The peer's path: the listener's for a connecting stream, none for an accepted one.
    pub fn peer_path(&self) -> Option<&Path> {
        self.peer.as_deref()
    }
}

/// A Unix datagram socket of the simulated network.
#[derive(Debug)]
pub struct UnixDatagram {
    inner: UdpSocket,
    path: Option<PathBuf>,
}

impl UnixDatagram {
    fn at(path: Option<&Path>) -> io::Result<UnixDatagram> {
        let shared = current_or_global();
        let addr = match path {
            Some(p) => claim(&shared, p)?,
            None => pseudo(&mut shared.net()),
        };
        match UdpSocket::bind(addr, None) {
            Ok(inner) => Ok(UnixDatagram {
                inner,
                path: path.map(Path::to_owned),
            }),
            Err(e) => {
                if let Some(p) = path {
                    release(&shared, p);
                }
                Err(e)
            }
        }
    }

    /// Binds `path`.
    ///
    /// # Errors
    ///
    /// `AddrInUse` when a socket is bound there already.
    pub fn bind(path: &Path) -> io::Result<UnixDatagram> {
        UnixDatagram::at(Some(path))
    }

    /// An unnamed socket (it can send, and receive replies to what it sent).
    ///
    /// # Errors
    ///
    /// None in practice (the simulation's address space is not exhausted).
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::at(None)
    }

    /// Two unnamed sockets connected to each other.
    ///
    /// # Errors
    ///
    /// As [`unbound`](Self::unbound).
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = (UnixDatagram::unbound()?, UnixDatagram::unbound()?);
        a.inner.connect(b.inner.local_addr())?;
        b.inner.connect(a.inner.local_addr())?;
        Ok((a, b))
    }

    /// Sets the default peer to the socket at `path`.
    ///
    /// # Errors
    ///
    /// `NotFound` when nothing is bound at `path`.
    pub fn connect(&self, path: &Path) -> io::Result<()> {
        self.inner.connect(lookup(path)?)
    }

    /// Sends `buf` to `path` (to the default peer when `None`), at once.
    ///
    /// # Errors
    ///
    /// `NotFound` when nothing is bound at `path`; `NotConnected` for `None` without a peer.
    pub fn send_to(&self, buf: &[u8], path: Option<&Path>) -> io::Result<usize> {
        let target = path.map(lookup).transpose()?;
        self.inner.send_to(buf, target)
    }

    /// Receives a datagram: its length and the sender's path (none for an unnamed sender).
    /// Cancel-safe; without `cx`, `Pending` means "would block".
    ///
    /// # Errors
    ///
    /// The simulation has shut down.
    pub fn poll_recv_from(
        &self,
        cx: Option<&mut Context<'_>>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, Option<PathBuf>)>> {
        let (n, from) = std::task::ready!(self.inner.poll_recv_from(cx, buf, false))?;
        Poll::Ready(Ok((n, self.name_of(from))))
    }

    /// The path it is bound to, if any.
    pub fn local_path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The peer's path, if connected to a named socket.
    ///
    /// # Errors
    ///
    /// `NotConnected` without a peer.
    pub fn peer_path(&self) -> io::Result<Option<PathBuf>> {
        let peer = self.inner.peer_addr()?;
        Ok(self.name_of(peer))
    }

    /// The path bound at `addr`, if any.
    fn name_of(&self, addr: SocketAddr) -> Option<PathBuf> {
        let shared = self.inner.shared()?;
        let name = shared.net().unix_names.get(&addr).cloned();
        name
    }
}

impl Drop for UnixDatagram {
    fn drop(&mut self) {
        if let (Some(p), Some(shared)) = (&self.path, self.inner.shared()) {
            release(&shared, p);
        }
    }
}
