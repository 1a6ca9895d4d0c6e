//! `anyrt::net` on every backend: TCP, UDP and Unix echo, many connections, half-close,
//! owned halves, the error kinds of bad input, cancel safety of accept/read/recv, sockets
//! polled from another thread, tokio's and hyper's IO traits, a hyper server answered by
//! hyper's client and by curl, and `compat::with_tokio`. Loopback only, bounded in count and
//! time.
//!
//! On sim too, over the simulated network, except what it does not model (Unix sockets,
//! multicast, std sockets, the system's resolver, a real client such as curl); tests/sim_net.rs
//! has the simulation's own (latency, partitions, loss, replay).

use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use anyrt::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use anyrt::Backend;
use anyrt_tests::*;
use futures::{AsyncReadExt, AsyncWriteExt};

const SHORT: Duration = Duration::from_millis(20);

async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

/// An echo server for `n` connections: each is echoed until end-of-file.
fn echo_server(l: TcpListener, n: usize) -> anyrt::task::JoinHandle<()> {
    anyrt::spawn(async move {
        let mut conns = anyrt::task::JoinSet::new();
        for _ in 0..n {
            let (mut s, _) = l.accept().await.unwrap();
            conns.spawn(async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    let k = s.read(&mut buf).await.unwrap();
                    if k == 0 {
                        break;
                    }
                    s.write_all(&buf[..k]).await.unwrap();
                }
            });
        }
        while let Some(r) = conns.join_next().await {
            r.unwrap();
        }
    })
}

fn temp_path(name: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "anyrt-net-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[anyrt::test]
async fn tcp_echo_and_the_socket_is_on_the_current_backend() {
    let (l, addr) = listener().await;
    assert_eq!(Some(l.backend()), Backend::current());
    let server = echo_server(l, 1);
    let mut c = within("connect", TcpStream::connect(addr)).await.unwrap();
    assert_eq!(Some(c.backend()), Backend::current());
    c.set_nodelay(true).unwrap();
    assert!(c.nodelay().unwrap());
    c.set_ttl(42).unwrap();
    assert_eq!(c.ttl().unwrap(), 42);
    assert_eq!(c.peer_addr().unwrap(), addr);
    let msg: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let mut back = vec![0u8; msg.len()];
    within("echo", async {
        let (r, w) = (&c, &c);
        let write = async {
            for chunk in msg.chunks(7000) {
                let mut off = 0;
                while off < chunk.len() {
                    off += w.write(&chunk[off..]).await.unwrap();
                }
            }
        };
        let read = async {
            let mut off = 0;
            while off < back.len() {
                off += r.read(&mut back[off..]).await.unwrap();
            }
        };
        futures::join!(write, read);
    })
    .await;
    assert!(back == msg);
    c.close().await.unwrap();
    within("server", server).await.unwrap();
}

#[anyrt::test]
async fn many_concurrent_connections() {
    const N: usize = 64;
    let (l, addr) = listener().await;
    let server = echo_server(l, N);
    let mut clients = anyrt::task::JoinSet::new();
    for i in 0..N {
        clients.spawn(async move {
            let mut c = TcpStream::connect(addr).await.unwrap();
            let msg = format!("client {i}");
            c.write_all(msg.as_bytes()).await.unwrap();
            let mut back = vec![0u8; msg.len()];
            c.read_exact(&mut back).await.unwrap();
            assert_eq!(back, msg.as_bytes());
        });
    }
    within("clients", async {
        while let Some(r) = clients.join_next().await {
            r.unwrap();
        }
    })
    .await;
    within("server", server).await.unwrap();
}

#[anyrt::test]
async fn half_close_the_peer_reads_eof_and_can_still_answer() {
    let (l, addr) = listener().await;
    let server = anyrt::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).await.unwrap(); // ends at the client's shutdown
        s.write_all(format!("got {}", all.len()).as_bytes())
            .await
            .unwrap();
    });
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"12345").await.unwrap();
    c.shutdown_std(Shutdown::Write).unwrap();
    let mut reply = String::new();
    within("reply", c.read_to_string(&mut reply)).await.unwrap();
    assert_eq!(reply, "got 5");
    within("server", server).await.unwrap();
}

#[anyrt::test]
async fn owned_halves_move_to_tasks_and_reunite() {
    let (l, addr) = listener().await;
    let server = echo_server(l, 2);
    let (mut r, mut w) = TcpStream::connect(addr).await.unwrap().into_split();
    let writer = anyrt::spawn(async move {
        w.write_all(b"ping").await.unwrap();
        w
    });
    let mut buf = [0u8; 4];
    within("read half", r.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"ping");
    let w = writer.await.unwrap();
    assert_eq!(r.peer_addr().unwrap(), addr);
    let mut stream = r.reunite(w).unwrap();
    stream.write_all(b"!").await.unwrap();
    let mut one = [0u8; 1];
    within("reunited", stream.read_exact(&mut one))
        .await
        .unwrap();

    // Halves of two different streams: both come back.
    let (r1, w1) = stream.into_split();
    let (r2, w2) = TcpStream::connect(addr).await.unwrap().into_split();
    let err = r1.reunite(w2).unwrap_err();
    assert!(err.to_string().contains("different"));
    drop((err, r2, w1));
    within("server", server).await.unwrap();
}

#[anyrt::test(tokio, smol, async_std)]
async fn bad_input_gives_io_errors_of_the_right_kind() {
    // A closed port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = within("refused", TcpStream::connect(closed))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    // An address in use.
    let (l, addr) = listener().await;
    let err = TcpListener::bind(addr).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let err = UdpSocket::bind(u.local_addr().unwrap()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    // A name that does not resolve (the reserved `.invalid` domain), and one with no port.
    // A resolver that is slow to say no (no DNS server reachable) is not this test's failure.
    if let Ok(r) = anyrt::time::timeout(WAIT, TcpStream::connect("anyrt-test.invalid:80")).await {
        let err = r.unwrap_err();
        assert_ne!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    }
    let err = TcpStream::connect("localhost").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    // A name that resolves (from the hosts file): connects.
    let port = addr.port();
    let s = within("localhost", TcpStream::connect(("localhost", port))).await;
    assert!(s.is_ok() || s.unwrap_err().kind() == ErrorKind::ConnectionRefused);
    drop(l);
    // Nothing at a Unix path.
    let err = UnixStream::connect(temp_path("missing")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[anyrt::test(tokio, smol, async_std)]
async fn a_peer_that_resets_mid_read_gives_connection_reset() {
    let (l, addr) = listener().await;
    let c = TcpStream::connect(addr).await.unwrap();
    let (s, _) = l.accept().await.unwrap();
    // Linger 0: close sends a RST instead of a FIN.
    let std = s.into_std().unwrap();
    socket2::SockRef::from(&std)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    let reader = anyrt::spawn(async move {
        let mut buf = [0u8; 16];
        c.read(&mut buf).await
    });
    anyrt::time::sleep(SHORT).await;
    drop(std);
    let err = within("reset", reader).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
}

#[anyrt::test]
async fn connect_timeout_fires_and_connects() {
    let (_l, addr) = listener().await;
    let ok = TcpStream::connect_timeout(addr, Duration::from_secs(5)).await;
    assert!(ok.is_ok());
    let err = TcpStream::connect_timeout(addr, Duration::ZERO).await;
    // Zero: timed out before the handshake, or a loopback handshake that finished at once.
    if let Err(e) = err {
        assert_eq!(e.kind(), ErrorKind::TimedOut);
    }
}

#[anyrt::test]
async fn accept_read_and_recv_are_cancel_safe() {
    let (l, addr) = listener().await;
    // A timed-out accept takes nothing from the queue.
    assert!(anyrt::time::timeout(SHORT, l.accept()).await.is_err());
    let c = TcpStream::connect(addr).await.unwrap();
    let (s, peer) = within("accept after a cancelled one", l.accept())
        .await
        .unwrap();
    assert_eq!(peer, c.local_addr().unwrap());
    // A timed-out read consumes nothing.
    let mut buf = [0u8; 8];
    assert!(anyrt::time::timeout(SHORT, s.read(&mut buf)).await.is_err());
    c.write(b"data").await.unwrap();
    let n = within("read after a cancelled one", s.read(&mut buf))
        .await
        .unwrap();
    assert_eq!(&buf[..n], b"data");
    // peek leaves it there.
    c.write(b"xy").await.unwrap();
    let mut p = [0u8; 2];
    within("peek", s.peek(&mut p)).await.unwrap();
    within("read", s.read(&mut buf)).await.unwrap();
    assert_eq!(&buf[..2], b"xy");
    // A timed-out recv_from loses no datagram.
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    assert!(anyrt::time::timeout(SHORT, b.recv_from(&mut buf))
        .await
        .is_err());
    a.send_to(b"dgram", b.local_addr().unwrap()).await.unwrap();
    let (n, from) = within("recv_from", b.recv_from(&mut buf)).await.unwrap();
    assert_eq!((&buf[..n], from), (&b"dgram"[..], a.local_addr().unwrap()));
}

#[anyrt::test]
async fn udp_send_recv_connected_and_peek() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    a.connect(ba).await.unwrap();
    b.connect(aa).await.unwrap();
    assert_eq!(a.peer_addr().unwrap(), ba);
    for i in 0..20u8 {
        a.send(&[i; 3]).await.unwrap();
        let mut buf = [0u8; 8];
        let (n, from) = within("peek_from", b.peek_from(&mut buf)).await.unwrap();
        assert_eq!((n, from), (3, aa));
        let n = within("recv", b.recv(&mut buf)).await.unwrap();
        assert_eq!(&buf[..n], &[i; 3]);
    }
    a.set_broadcast(true).unwrap();
    assert!(a.broadcast().unwrap());
}

/// Multicast and the std round trip: the system's sockets only.
#[anyrt::test(tokio, smol, async_std)]
async fn udp_multicast_options_and_into_std() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let ba = b.local_addr().unwrap();
    a.set_multicast_loop_v4(false).unwrap();
    assert!(!a.multicast_loop_v4().unwrap());
    let std = b.into_std().unwrap();
    let back = UdpSocket::try_from(std).unwrap();
    assert_eq!(back.local_addr().unwrap(), ba);
}

#[anyrt::test]
async fn unix_stream_and_datagram() {
    let path = temp_path("stream.sock");
    let l = UnixListener::bind(&path).unwrap();
    assert_eq!(l.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    let err = UnixListener::bind(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    let server = anyrt::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).await.unwrap();
        s.write_all(&all).await.unwrap();
    });
    let mut c = within("unix connect", UnixStream::connect(&path))
        .await
        .unwrap();
    assert_eq!(c.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
    assert!(c.local_addr().unwrap().is_unnamed());
    c.write_all(b"over unix").await.unwrap();
    c.shutdown_std(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    within("unix echo", c.read_to_end(&mut back)).await.unwrap();
    assert_eq!(back, b"over unix");
    within("server", server).await.unwrap();

    let (x, y) = UnixStream::pair().unwrap();
    let (mut xr, _xw) = x.into_split();
    let (_yr, mut yw) = y.into_split();
    yw.write_all(b"halves").await.unwrap();
    drop(yw); // shuts the write side down
    let mut got = Vec::new();
    within("unix halves", xr.read_to_end(&mut got))
        .await
        .unwrap();
    assert_eq!(got, b"halves");

    let (d1, d2) = UnixDatagram::pair().unwrap();
    d1.send(b"dg").await.unwrap();
    let mut buf = [0u8; 4];
    let n = within("unix datagram", d2.recv(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"dg");
    let bound = temp_path("dgram.sock");
    let server = UnixDatagram::bind(&bound).unwrap();
    let client = UnixDatagram::unbound().unwrap();
    client.send_to(b"to path", &bound).await.unwrap();
    let (n, from) = within("recv_from", server.recv_from(&mut buf[..]))
        .await
        .unwrap();
    assert_eq!(&buf[..n], b"to p");
    assert!(from.is_unnamed());
    // The socket files (none on sim: its paths are its own).
    if Backend::current() != Some(Backend::Sim) {
        std::fs::remove_file(&path).unwrap();
        std::fs::remove_file(&bound).unwrap();
    }
}

#[anyrt::test(tokio, smol, async_std)]
async fn a_socket_works_when_polled_from_a_plain_thread() {
    let (l, addr) = listener().await;
    let server = echo_server(l, 1);
    let c = TcpStream::connect(addr).await.unwrap();
    // Moved to a thread with no runtime, driven by futures' executor.
    let n = anyrt::spawn_blocking(move || {
        futures::executor::block_on(async move {
            let mut c = c;
            c.write_all(b"elsewhere").await.unwrap();
            let mut buf = [0u8; 9];
            c.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"elsewhere");
            buf.len()
        })
    });
    assert_eq!(within("plain thread", n).await.unwrap(), 9);
    within("server", server).await.unwrap();
}

#[anyrt::test]
async fn tokio_io_traits() {
    let (l, addr) = listener().await;
    let server = echo_server(l, 1);
    let mut c = TcpStream::connect(addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut c, b"tokio traits")
        .await
        .unwrap();
    let mut buf = [0u8; 12];
    tokio::io::AsyncReadExt::read_exact(&mut c, &mut buf)
        .await
        .unwrap();
    assert_eq!(&buf, b"tokio traits");
    tokio::io::AsyncWriteExt::shutdown(&mut c).await.unwrap();
    let mut rest = Vec::new();
    within(
        "eof",
        tokio::io::AsyncReadExt::read_to_end(&mut c, &mut rest),
    )
    .await
    .unwrap();
    assert!(rest.is_empty());
    within("server", server).await.unwrap();
}

async fn hello(
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<String>, std::convert::Infallible> {
    Ok(hyper::Response::new(format!("hello {}", req.uri().path())))
}

/// A hyper HTTP/1.1 server on anyrt's adapters for `n` connections.
fn hyper_server(l: TcpListener, n: usize) -> anyrt::task::JoinHandle<()> {
    anyrt::spawn(async move {
        let mut conns = anyrt::task::JoinSet::new();
        for _ in 0..n {
            let (s, _) = l.accept().await.unwrap();
            conns.spawn(async move {
                hyper::server::conn::http1::Builder::new()
                    .timer(anyrt::compat::hyper::Timer::new())
                    .header_read_timeout(Duration::from_secs(5))
                    .serve_connection(s, hyper::service::service_fn(hello))
                    .await
                    .unwrap();
            });
        }
        while let Some(r) = conns.join_next().await {
            r.unwrap();
        }
    })
}

#[anyrt::test]
async fn hyper_server_answers_hyper_client() {
    use http_body_util::BodyExt;
    let (l, addr) = listener().await;
    let server = hyper_server(l, 1);

    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
        .handshake::<_, String>(stream)
        .await
        .unwrap();
    let conn = anyrt::spawn(conn);
    for i in 0..10 {
        // One request at a time on an HTTP/1 connection: wait until it is free.
        within("ready", sender.ready()).await.unwrap();
        let req = hyper::Request::get(format!("/n{i}"))
            .header("host", "localhost")
            .body(String::new())
            .unwrap();
        let resp = within("hyper client", sender.send_request(req))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, format!("hello /n{i}").as_bytes());
    }
    drop(sender);
    within("client conn", conn).await.unwrap().unwrap();
    within("server", server).await.unwrap();
}

#[anyrt::test(tokio, smol, async_std)]
async fn hyper_server_answers_curl() {
    let (l, addr) = listener().await;
    let server = hyper_server(l, 1);
    // A real client: curl, as a child process.
    let url = format!("http://{addr}/curl");
    let out = within(
        "curl",
        anyrt::spawn_blocking(move || {
            std::process::Command::new("curl")
                .args(["-sS", "--max-time", "10", &url])
                .output()
        }),
    )
    .await
    .unwrap()
    .expect("curl is installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"hello /curl");
    within("server", server).await.unwrap();
}

#[anyrt::test]
async fn hyper_executor_and_timer_run_on_anyrt() {
    use hyper::rt::{Executor as _, Timer as _};
    let (tx, rx) = anyrt::channel::oneshot::channel();
    anyrt::compat::hyper::Executor::new().execute(async move {
        tx.send(Backend::current()).unwrap();
    });
    assert_eq!(within("executor", rx).await.unwrap(), Backend::current());
    let timer = anyrt::compat::hyper::Timer::new();
    let start = timer.now();
    within("timer", timer.sleep(Duration::from_millis(5))).await;
    assert!(timer.now() - start >= Duration::from_millis(5));
    within("past deadline", timer.sleep_until(start)).await;
}

#[cfg(feature = "tokio")]
#[anyrt::test(tokio, smol, async_std)]
async fn with_tokio_runs_tokio_only_futures_on_every_backend() {
    let (l, addr) = listener().await;
    let server = echo_server(l, 1);
    // tokio::net and tokio::time need a tokio context: on smol and async-std too.
    let n = within(
        "tokio::net",
        anyrt::compat::with_tokio(async move {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            tokio::time::sleep(Duration::from_millis(1)).await;
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(b"from tokio").await.unwrap();
            let mut buf = [0u8; 10];
            s.read_exact(&mut buf).await.unwrap();
            buf.len()
        }),
    )
    .await;
    assert_eq!(n, 10);
    within("server", server).await.unwrap();
}

#[anyrt::test(sim)]
async fn what_the_simulated_network_does_not_model_says_unsupported() {
    let check = |err: std::io::Error| {
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert!(
            err.to_string().contains("tokio, smol or async-std"),
            "{err}"
        );
    };
    let (a, _b) = UnixStream::pair().unwrap();
    check(a.into_std().unwrap_err());
    let (d, _e) = UnixDatagram::pair().unwrap();
    check(d.shutdown(Shutdown::Both).unwrap_err());
    let std = std::os::unix::net::UnixStream::pair().unwrap().0;
    check(UnixStream::try_from(std).unwrap_err());
    let std = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    check(UdpSocket::try_from(std).unwrap_err());
    let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    assert_eq!(u.backend(), Backend::Sim);
    check(u.set_multicast_loop_v4(false).unwrap_err());
    check(u.into_std().unwrap_err());
    // A simulated socket has no descriptor: `as_fd` panics, saying so and what to do.
    let (l, _) = listener().await;
    let (s, _t) = UnixStream::pair().unwrap();
    for panic in [
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| l.as_raw_fd())).unwrap_err(),
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.as_fd().as_raw_fd()))
            .unwrap_err(),
    ] {
        let msg = panic.downcast_ref::<String>().unwrap();
        assert!(
            msg.contains("simulated network") && msg.contains("no file descriptor"),
            "{msg}"
        );
        assert!(msg.contains("backend()"), "{msg}");
    }
}

/// Read and write readiness through each real backend's reactor: an anyrt stream read (and
/// written) from a plain thread that polls again only when woken moves every byte of a peer
/// that writes (and reads) in small bursts with pauses, so that the anyrt side keeps hitting
/// `WouldBlock` and waiting for readiness. The simulation has no reactor (its sockets are
/// polled by its own driver).
#[anyrt::test(tokio, smol, async_std)]
fn readiness_is_never_lost_when_polled_only_when_woken(b: Backend) {
    use std::io::{Read, Write};
    use std::pin::Pin;

    const TOTAL: usize = 256 * 1024;
    let rt = anyrt::Runtime::new(b).unwrap();
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let mut stream = rt.block_on(TcpStream::connect(addr)).unwrap();
    assert_eq!(stream.backend(), b);
    let (mut peer, _) = std_listener.accept().unwrap();

    // The peer writes in bursts; the anyrt side reads, polled only when woken.
    let writer = std::thread::spawn({
        let mut peer = peer.try_clone().unwrap();
        move || {
            let chunk = [7u8; 1500];
            let mut sent = 0;
            while sent < TOTAL {
                let n = chunk.len().min(TOTAL - sent);
                peer.write_all(&chunk[..n]).unwrap();
                sent += n;
                if sent % (16 * 1024) < n {
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
        }
    });
    let mut got = 0;
    let mut buf = vec![0u8; 4096];
    let mut pendings = 0;
    while got < TOTAL {
        let n = poll_only_when_woken("read", &mut pendings, |cx| {
            futures::AsyncRead::poll_read(Pin::new(&mut stream), cx, &mut buf)
        })
        .unwrap();
        assert_ne!(n, 0, "end-of-file after {got} of {TOTAL} bytes");
        assert!(buf[..n].iter().all(|&x| x == 7));
        got += n;
    }
    writer.join().unwrap();
    assert!(
        pendings > 0,
        "{b}: the reader never waited: the test proves nothing"
    );

    // The anyrt side writes more than the socket buffers hold (made small); the peer reads
    // slowly.
    socket2::SockRef::from(&peer)
        .set_recv_buffer_size(4096)
        .unwrap();
    socket2::SockRef::from(&stream)
        .set_send_buffer_size(4096)
        .unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1500];
        let mut got = 0;
        while got < 4 * TOTAL {
            let n = peer.read(&mut buf).unwrap();
            assert_ne!(n, 0);
            got += n;
            if got % (16 * 1024) < n {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    });
    let chunk = vec![9u8; 8192];
    let mut sent = 0;
    let mut pendings = 0;
    while sent < 4 * TOTAL {
        let n = chunk.len().min(4 * TOTAL - sent);
        sent += poll_only_when_woken("write", &mut pendings, |cx| {
            futures::AsyncWrite::poll_write(Pin::new(&mut stream), cx, &chunk[..n])
        })
        .unwrap();
    }
    reader.join().unwrap();
    assert!(
        pendings > 0,
        "{b}: the writer never waited: the test proves nothing"
    );
    drop(stream);
    drop(rt);
}

/// A port from tokio calls `stream.shutdown().await` with `tokio::io::AsyncWriteExt` in
/// scope: no inherent method of the same name may hide it.
#[anyrt::test(tokio, smol, async_std)]
async fn a_tokio_ports_shutdown_await_reaches_the_io_trait() {
    use tokio::io::AsyncWriteExt as _;
    let (l, addr) = listener().await;
    let server = anyrt::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).await.unwrap(); // ends at the client's shutdown
        all
    });
    let mut c = TcpStream::connect(addr).await.unwrap();
    futures::AsyncWriteExt::write_all(&mut c, b"bye")
        .await
        .unwrap();
    c.shutdown().await.unwrap();
    assert_eq!(within("server", server).await.unwrap(), b"bye");

    let (mut a, b) = UnixStream::pair().unwrap();
    a.shutdown().await.unwrap();
    let mut rest = Vec::new();
    let mut b = b;
    within("eof", b.read_to_end(&mut rest)).await.unwrap();
    assert!(rest.is_empty());
}
