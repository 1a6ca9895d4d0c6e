//! TCP over the simulated network.

use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::{alive, poll_link, route, Net, Proto, TCP_BUFFER};
use crate::runtime::{current_or_global, Shared};

/// A listener's state.
pub(crate) struct Listener {
    /// Connections whose handshake reached the listener, not yet accepted.
    queue: VecDeque<Accepted>,
    waker: Option<Waker>,
    ttl: u32,
}

/// The server's end of a connection in a listener's queue.
struct Accepted {
    read: u64,
    write: u64,
    local: SocketAddr,
    peer: SocketAddr,
}

/// One direction of a connection.
pub(crate) struct Pipe {
    src: SocketAddr,
    dst: SocketAddr,
    segments: VecDeque<Segment>,
    /// Bytes written and not yet read.
    queued: usize,
    /// When the last segment arrives: the next arrives no earlier.
    last_at: Duration,
    /// The writer shut down: end-of-file arrives then.
    fin: Option<Duration>,
    /// The writer reset the connection: the reader's next read fails.
    reset: bool,
    /// The reader shut its side down: reads give end-of-file.
    reader_shut: bool,
    reader_gone: bool,
    writer_gone: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

struct Segment {
    at: Duration,
    data: Vec<u8>,
    /// How much of `data` was read.
    read: usize,
}

impl Pipe {
    fn new(src: SocketAddr, dst: SocketAddr) -> Pipe {
        Pipe {
            src,
            dst,
            segments: VecDeque::new(),
            queued: 0,
            last_at: Duration::ZERO,
            fin: None,
            reset: false,
            reader_shut: false,
            reader_gone: false,
            writer_gone: false,
            read_waker: None,
            write_waker: None,
        }
    }

    /// Shuts the writer's side: end-of-file after the data. The reader's waker, to wake then.
    fn close_write(&mut self, net_latency: Duration, now: Duration) -> Option<(Duration, Waker)> {
        if self.fin.is_some() {
            return None;
        }
        let at = (now + net_latency).max(self.last_at);
        self.fin = Some(at);
        self.read_waker.take().map(|w| (at, w))
    }
}

/// A TCP listener of the simulated network.
pub struct TcpListener {
    shared: Weak<Shared>,
    id: u64,
    addr: SocketAddr,
}

impl TcpListener {
    /// Binds `addr` in the network of the simulation the calling thread is inside (else
    /// the process-wide one's); port 0 picks a free port.
    ///
    /// # Errors
    ///
    /// `AddrInUse` for an address another listener holds.
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        let shared = current_or_global();
        let mut net = shared.net();
        let id = net.id();
        let addr = net.bind(Proto::Tcp, addr, id)?;
        net.listeners.insert(
            id,
            Listener {
                queue: VecDeque::new(),
                waker: None,
                ttl: 64,
            },
        );
        drop(net);
        Ok(TcpListener {
            shared: Arc::downgrade(&shared),
            id,
            addr,
        })
    }

    /// Polls for a connection. Cancel-safe.
    ///
    /// # Errors
    ///
    /// The simulation has shut down.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let shared = alive(&self.shared)?;
        let mut net = shared.net();
        let Some(listener) = net.listeners.get_mut(&self.id) else {
            return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
        };
        match listener.queue.pop_front() {
            Some(a) => Poll::Ready(Ok((
                TcpStream::new(&self.shared, a.read, a.write, a.local, a.peer, false),
                a.peer,
            ))),
            None => {
                listener.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// The bound address (with the port picked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its simulation, if still there.
    pub(crate) fn shared(&self) -> Option<Arc<Shared>> {
        self.shared.upgrade()
    }

    /// Sets the TTL (kept, with no effect on the simulated network).
    pub fn set_ttl(&self, ttl: u32) {
        if let Some(shared) = self.shared.upgrade() {
            if let Some(l) = shared.net().listeners.get_mut(&self.id) {
                l.ttl = ttl;
            }
        }
    }

    /// The TTL (64 unless set).
    pub fn ttl(&self) -> u32 {
        self.shared
            .upgrade()
            .and_then(|s| s.net().listeners.get(&self.id).map(|l| l.ttl))
            .unwrap_or(64)
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let now = shared.now_offset();
        let mut wakers = Vec::new();
        {
            let mut net = shared.net();
            net.unbind(Proto::Tcp, self.addr);
            if let Some(listener) = net.listeners.remove(&self.id) {
                // Connections never accepted are reset, as closing a listening socket does.
                for a in listener.queue {
                    wakers.extend(drop_end(&mut net, a.read, a.write, now, true));
                }
            }
        }
        shared.wake_all_at(wakers);
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimTcpListener")
            .field("addr", &self.addr)
            .finish()
    }
}

/// A TCP connection of the simulated network. Every operation takes `&self`; a reader and a
/// writer can share it.
pub struct TcpStream {
    shared: Weak<Shared>,
    read: u64,
    write: u64,
    local: SocketAddr,
    peer: SocketAddr,
    /// Whether this end holds its local port (the connecting end does).
    holds_port: bool,
    nodelay: AtomicBool,
    ttl: AtomicU32,
}

/// Drops one end of a connection (its read pipe `read`, its write pipe `write`): end-of-file
/// to the peer after the data, or a reset when `reset` or when data of the peer's is still
/// unread. The wakers to wake, and when.
fn drop_end(
    net: &mut Net,
    read: u64,
    write: u64,
    now: Duration,
    reset: bool,
) -> Vec<(Duration, Waker)> {
    let mut wakers = Vec::new();
    let latency = net.latency();
    let unread = net.pipes.get(&read).is_some_and(|p| p.queued > 0);
    if let Some(p) = net.pipes.get_mut(&read) {
        p.reader_gone = true;
        wakers.extend(p.write_waker.take().map(|w| (now, w)));
    }
    if let Some(p) = net.pipes.get_mut(&write) {
        p.writer_gone = true;
        if reset || unread {
            p.reset = true;
            wakers.extend(p.read_waker.take().map(|w| (now + latency, w)));
        } else {
            wakers.extend(p.close_write(latency, now));
        }
    }
    for id in [read, write] {
        if net
            .pipes
            .get(&id)
            .is_some_and(|p| p.reader_gone && p.writer_gone)
        {
            net.pipes.remove(&id);
        }
    }
    wakers
}

impl TcpStream {
    fn new(
        shared: &Weak<Shared>,
        read: u64,
        write: u64,
        local: SocketAddr,
        peer: SocketAddr,
        holds_port: bool,
    ) -> TcpStream {
        TcpStream {
            shared: shared.clone(),
            read,
            write,
            local,
            peer,
            holds_port,
            nodelay: AtomicBool::new(false),
            ttl: AtomicU32::new(64),
        }
    }

    /// Two connected ends, at `a` and `b`, made at once (no handshake): what a socket pair
    /// is. Neither holds a port.
    pub(crate) fn pair(
        shared: &Arc<Shared>,
        a: SocketAddr,
        b: SocketAddr,
    ) -> (TcpStream, TcpStream) {
        let mut net = shared.net();
        let (ab, ba) = (net.id(), net.id());
        net.pipes.insert(ab, Pipe::new(a, b));
        net.pipes.insert(ba, Pipe::new(b, a));
        drop(net);
        let weak = Arc::downgrade(shared);
        (
            TcpStream::new(&weak, ba, ab, a, b, false),
            TcpStream::new(&weak, ab, ba, b, a, false),
        )
    }

    /// Connects to `addr` in the network of the simulation the calling thread is inside
    /// (else the process-wide one's), from `host` (see the module's docs). Takes a round
    /// trip of the link; waits while the link is cut. Cancel-safe.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` when nobody listens on `addr`.
    pub fn connect(
        addr: SocketAddr,
        host: Option<IpAddr>,
    ) -> impl Future<Output = io::Result<TcpStream>> + Send + 'static {
        let shared = Arc::downgrade(&current_or_global());
        async move {
            let (dst, src_ip) = route(addr, host);
            // The handshake's first leg.
            one_way(&shared, src_ip, dst.ip()).await?;
            let stream = {
                let sim = alive(&shared)?;
                let mut net = sim.net();
                let listener = net
                    .find(Proto::Tcp, dst)
                    .filter(|id| net.listeners.contains_key(id));
                let Some(listener) = listener else {
                    return Err(io::Error::new(
                        io::ErrorKind::ConnectionRefused,
                        format!(
                            "connection refused: nobody listens on {dst} in the simulated network"
                        ),
                    ));
                };
                let read = net.id();
                let write = net.id();
                let local = net.bind(Proto::Tcp, SocketAddr::new(src_ip, 0), write)?;
                net.pipes.insert(write, Pipe::new(local, dst));
                net.pipes.insert(read, Pipe::new(dst, local));
                let l = net.listeners.get_mut(&listener).expect("found above");
                l.queue.push_back(Accepted {
                    read: write,
                    write: read,
                    local: dst,
                    peer: local,
                });
                let waker = l.waker.take();
                drop(net);
                if let Some(w) = waker {
                    w.wake();
                }
                TcpStream::new(&shared, read, write, local, dst, true)
            };
            // The answer's way back.
            one_way(&shared, src_ip, dst.ip()).await?;
            Ok(stream)
        }
    }

    /// Reads into `buf` what has arrived: the count, `Ok(0)` at end-of-file. Cancel-safe.
    ///
    /// # Errors
    ///
    /// `ConnectionReset` when the peer reset the connection.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut at = 0;
        self.take(Some(cx), false, buf.len(), &mut |chunk| {
            buf[at..at + chunk.len()].copy_from_slice(chunk);
            at += chunk.len();
        })
    }

    /// As [`poll_read`](Self::poll_read), into memory that may be uninitialised: the first
    /// bytes counted are initialised.
    ///
    /// # Errors
    ///
    /// As [`poll_read`](Self::poll_read).
    pub fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        let mut at = 0;
        self.take(Some(cx), false, buf.len(), &mut |chunk| {
            for (d, s) in buf[at..at + chunk.len()].iter_mut().zip(chunk) {
                d.write(*s);
            }
            at += chunk.len();
        })
    }

    /// As [`poll_read`](Self::poll_read), leaving the data to be read again.
    ///
    /// # Errors
    ///
    /// As [`poll_read`](Self::poll_read).
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut at = 0;
        self.take(Some(cx), true, buf.len(), &mut |chunk| {
            buf[at..at + chunk.len()].copy_from_slice(chunk);
            at += chunk.len();
        })
    }

    /// Reads what has arrived, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when nothing has; otherwise as [`poll_read`](Self::poll_read).
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut at = 0;
        match self.take(None, false, buf.len(), &mut |chunk| {
            buf[at..at + chunk.len()].copy_from_slice(chunk);
            at += chunk.len();
        }) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// Hands `copy` up to `max` bytes that have arrived (in order), consuming them unless
    /// `peek`; without `cx`, `Pending` means "would block" and registers nothing.
    fn take(
        &self,
        cx: Option<&mut Context<'_>>,
        peek: bool,
        max: usize,
        copy: &mut dyn FnMut(&[u8]),
    ) -> Poll<io::Result<usize>> {
        let shared = alive(&self.shared)?;
        let now = shared.now_offset();
        let mut guard = shared.net();
        let net = &mut *guard;
        let Some(pipe) = net.pipes.get(&self.read) else {
            return Poll::Ready(Ok(0));
        };
        if pipe.reset {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            )));
        }
        if pipe.reader_shut || max == 0 {
            return Poll::Ready(Ok(0));
        }
        if net.is_cut(pipe.src.ip(), pipe.dst.ip()) {
            if let Some(cx) = cx {
                net.cut_waiters.push(cx.waker().clone());
            }
            return Poll::Pending;
        }
        let pipe = net.pipes.get_mut(&self.read).expect("looked up above");
        let mut n = 0;
        for seg in &mut pipe.segments {
            if seg.at > now || n == max {
                break;
            }
            let part = &seg.data[seg.read..];
            let k = part.len().min(max - n);
            copy(&part[..k]);
            n += k;
            if !peek {
                seg.read += k;
            }
        }
        if n > 0 {
            let mut writer = None;
            if !peek {
                while pipe
                    .segments
                    .front()
                    .is_some_and(|s| s.read == s.data.len())
                {
                    pipe.segments.pop_front();
                }
                pipe.queued -= n;
                writer = pipe.write_waker.take();
            }
            drop(guard);
            if let Some(w) = writer {
                w.wake();
            }
            return Poll::Ready(Ok(n));
        }
        if pipe.segments.is_empty() && pipe.fin.is_some_and(|at| at <= now) {
            return Poll::Ready(Ok(0));
        }
        let Some(cx) = cx else {
            return Poll::Pending;
        };
        pipe.read_waker = Some(cx.waker().clone());
        let next = pipe.segments.front().map(|s| s.at).or(pipe.fin);
        drop(guard);
        if let Some(at) = next {
            shared.wake_at(at, cx.waker().clone());
        }
        Poll::Pending
    }

    /// Writes what fits of `buf` in the connection's buffer: the count. Cancel-safe (it
    /// writes nothing unless it completes).
    ///
    /// # Errors
    ///
    /// `BrokenPipe` once the write side is shut down or the peer has gone;
    /// `ConnectionReset` once the peer reset the connection.
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.put(Some(cx), buf)
    }

    /// Writes what fits now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when nothing fits; otherwise as [`poll_write`](Self::poll_write).
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self.put(None, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn put(&self, cx: Option<&mut Context<'_>>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let shared = alive(&self.shared)?;
        let now = shared.now_offset();
        let mut guard = shared.net();
        let net = &mut *guard;
        let latency = net.latency();
        let reset = net.pipes.get(&self.read).is_some_and(|p| p.reset);
        let Some(pipe) = net.pipes.get_mut(&self.write) else {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        };
        if reset {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            )));
        }
        if pipe.reader_gone || pipe.fin.is_some() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                if pipe.reader_gone {
                    "broken pipe: the peer has closed the connection"
                } else {
                    "broken pipe: the write side is shut down"
                },
            )));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let room = TCP_BUFFER - pipe.queued;
        if room == 0 {
            if let Some(cx) = cx {
                pipe.write_waker = Some(cx.waker().clone());
            }
            return Poll::Pending;
        }
        let n = room.min(buf.len());
        let at = (now + latency).max(pipe.last_at);
        pipe.last_at = at;
        pipe.segments.push_back(Segment {
            at,
            data: buf[..n].to_vec(),
            read: 0,
        });
        pipe.queued += n;
        let reader = pipe.read_waker.take();
        drop(guard);
        if let Some(w) = reader {
            shared.wake_at(at, w);
        }
        Poll::Ready(Ok(n))
    }

    /// Shuts the read side, the write side or both down (`Write`: the peer reads
    /// end-of-file after the data written).
    ///
    /// # Errors
    ///
    /// `NotConnected` once the simulation has shut down.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let shared = alive(&self.shared)?;
        let now = shared.now_offset();
        let mut wakers = Vec::new();
        {
            let mut net = shared.net();
            let latency = net.latency();
            if matches!(how, Shutdown::Write | Shutdown::Both) {
                if let Some(p) = net.pipes.get_mut(&self.write) {
                    wakers.extend(p.close_write(latency, now));
                    wakers.extend(p.write_waker.take().map(|w| (now, w)));
                }
            }
            if matches!(how, Shutdown::Read | Shutdown::Both) {
                if let Some(p) = net.pipes.get_mut(&self.read) {
                    p.reader_shut = true;
                    wakers.extend(p.read_waker.take().map(|w| (now, w)));
                }
            }
        }
        shared.wake_all_at(wakers);
        Ok(())
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Sets `TCP_NODELAY` (kept; the simulated network never delays small writes).
    pub fn set_nodelay(&self, on: bool) {
        self.nodelay.store(on, Ordering::Relaxed);
    }

    /// `TCP_NODELAY`.
    pub fn nodelay(&self) -> bool {
        self.nodelay.load(Ordering::Relaxed)
    }

    /// Sets the TTL (kept, with no effect).
    pub fn set_ttl(&self, ttl: u32) {
        self.ttl.store(ttl, Ordering::Relaxed);
    }

    /// The TTL (64 unless set).
    pub fn ttl(&self) -> u32 {
        self.ttl.load(Ordering::Relaxed)
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let now = shared.now_offset();
        let wakers = {
            let mut net = shared.net();
            if self.holds_port {
                net.unbind(Proto::Tcp, self.local);
            }
            drop_end(&mut net, self.read, self.write, now, false)
        };
        shared.wake_all_at(wakers);
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimTcpStream")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .finish()
    }
}

/// One trip of a packet between `a` and `b`: waits while their link is cut, then the
/// link's latency.
async fn one_way(shared: &Weak<Shared>, a: IpAddr, b: IpAddr) -> io::Result<()> {
    poll_fn(|cx| {
        let sim = alive(shared)?;
        let mut net = sim.net();
        poll_link(&mut net, a, b, cx).map(Ok::<(), io::Error>)
    })
    .await?;
    let sleep = {
        let sim = alive(shared)?;
        let latency = sim.net().latency();
        sim.sleep(latency)
    };
    sleep.await;
    Ok(())
}
