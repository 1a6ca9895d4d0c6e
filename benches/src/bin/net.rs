//! Sockets: `anyrt::net` against the native sockets of the same backend (tokio::net on
//! tokio, async-io's `Async` on smol, async_std::net on async-std), on the same anyrt
//! runtime, so the ratio is the socket layer's alone (hyper's workload: against the native
//! runtime too, as DESIGN's bar says).
//!
//! ```text
//! cargo run --release -p anyrt-benches --bin net              # the report
//! cargo run --release -p anyrt-benches --bin net -- --smoke   # tiny counts (CI)
//! cargo run --release -p anyrt-benches --bin net -- tcp_bulk  # one workload (or several)
//! target/release/net --side anyrt --backend smol tcp_bulk      # one round of one side
//! ```
//!
//! Workloads (loopback): `tcp_pingpong` (64-byte request and reply, one connection),
//! `tcp_bulk` (1 MiB written in 64 KiB writes and read back by the peer), `udp_pingpong`
//! (64-byte datagrams), `hyper_requests` (HTTP/1.1 GETs, one at a time on one kept-alive
//! connection, between hyper's server and client: on an anyrt runtime over
//! `anyrt::net::TcpStream`, against hyper on the native runtime over its own socket, see
//! `anyrt_benches::hyper_native`). Each round builds a fresh 2-worker runtime; native and anyrt rounds
//! alternate (the order flips every round); the ratio is the median of per-round ratios.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use anyrt::Backend;
use anyrt_benches::hyper_native::{AsyncIo, TokioIo};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

const MSG: usize = 64;
const CHUNK: usize = 64 * 1024;
const BULK: usize = 1024 * 1024;

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Native,
    Anyrt,
}

#[derive(Clone, Copy)]
enum Work {
    TcpPingPong,
    TcpBulk,
    UdpPingPong,
    HyperRequests,
}

impl Work {
    fn name(self) -> &'static str {
        match self {
            Work::TcpPingPong => "tcp_pingpong",
            Work::TcpBulk => "tcp_bulk",
            Work::UdpPingPong => "udp_pingpong",
            Work::HyperRequests => "hyper_requests",
        }
    }
}

/// Ping-pong over any futures-io stream pair: `n` round trips of `MSG` bytes.
async fn pingpong<S>(mut client: S, mut server: S, n: usize)
where
    S: futures_lite::AsyncRead + futures_lite::AsyncWrite + Unpin + Send + 'static,
{
    let echo = anyrt::spawn(async move {
        let mut buf = [0u8; MSG];
        for _ in 0..n {
            server.read_exact(&mut buf).await.unwrap();
            server.write_all(&buf).await.unwrap();
        }
    });
    let mut buf = [7u8; MSG];
    for _ in 0..n {
        client.write_all(&buf).await.unwrap();
        client.read_exact(&mut buf).await.unwrap();
    }
    echo.await.unwrap();
}

/// `n` MiB from client to server, in `CHUNK` writes.
async fn bulk<S>(mut client: S, mut server: S, n: usize)
where
    S: futures_lite::AsyncRead + futures_lite::AsyncWrite + Unpin + Send + 'static,
{
    let sink = anyrt::spawn(async move {
        let mut buf = vec![0u8; CHUNK];
        let mut total = 0;
        while total < n * BULK {
            total += server.read(&mut buf).await.unwrap();
        }
    });
    let buf = vec![1u8; CHUNK];
    for _ in 0..n * (BULK / CHUNK) {
        client.write_all(&buf).await.unwrap();
    }
    sink.await.unwrap();
}

async fn tokio_pingpong(
    mut client: tokio::net::TcpStream,
    mut server: tokio::net::TcpStream,
    n: usize,
) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let echo = anyrt::spawn(async move {
        let mut buf = [0u8; MSG];
        for _ in 0..n {
            server.read_exact(&mut buf).await.unwrap();
            server.write_all(&buf).await.unwrap();
        }
    });
    let mut buf = [7u8; MSG];
    for _ in 0..n {
        client.write_all(&buf).await.unwrap();
        client.read_exact(&mut buf).await.unwrap();
    }
    echo.await.unwrap();
}

async fn tokio_bulk(
    mut client: tokio::net::TcpStream,
    mut server: tokio::net::TcpStream,
    n: usize,
) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let sink = anyrt::spawn(async move {
        let mut buf = vec![0u8; CHUNK];
        let mut total = 0;
        while total < n * BULK {
            total += server.read(&mut buf).await.unwrap();
        }
    });
    let buf = vec![1u8; CHUNK];
    for _ in 0..n * (BULK / CHUNK) {
        client.write_all(&buf).await.unwrap();
    }
    sink.await.unwrap();
}

async fn hello(
    _: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<http_body_util::Full<&'static [u8]>>, std::convert::Infallible> {
    Ok(hyper::Response::new(http_body_util::Full::new(b"hello")))
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// How a workload spawns: a task of the runtime under test, and a future of its end.
type Spawn<'a> = &'a (dyn Fn(BoxFuture) -> BoxFuture + Sync);

/// `n` GETs, one at a time, from hyper's client to hyper's server over one connection; the
/// server's connection and the client's are tasks of `spawn`'s runtime.
async fn hyper_requests<S>(client: S, server: S, n: usize, spawn: Spawn<'_>)
where
    S: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    use http_body_util::BodyExt;
    let served = spawn(Box::pin(async move {
        hyper::server::conn::http1::Builder::new()
            .serve_connection(server, hyper::service::service_fn(hello))
            .await
            .unwrap();
    }));
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, http_body_util::Empty<&[u8]>>(client)
            .await
            .unwrap();
    let conn = spawn(Box::pin(async move { conn.await.unwrap() }));
    for _ in 0..n {
        sender.ready().await.unwrap();
        let req = hyper::Request::get("/")
            .header("host", "localhost")
            .body(http_body_util::Empty::new())
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"hello");
    }
    drop(sender);
    conn.await;
    served.await;
}

/// A hyper round on the native runtime of `backend` over its own sockets: tokio's runtime
/// (2 workers) with `TokioIo`; an async-executor driven by 2 threads with async-io's `Async`
/// on smol; async-std's global runtime with `Async` (async-std has no hyper adapter; its
/// `TcpStream` wraps the same type). The seconds it took.
fn native_hyper_round(backend: Backend, n: usize) -> f64 {
    let (c, s) = std_pair();
    for x in [&c, &s] {
        x.set_nonblocking(true).unwrap();
    }
    match backend {
        Backend::Tokio => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let c = TokioIo(tokio::net::TcpStream::from_std(c).unwrap());
                let s = TokioIo(tokio::net::TcpStream::from_std(s).unwrap());
                let spawn = |f: BoxFuture| -> BoxFuture {
                    let h = tokio::spawn(f);
                    Box::pin(async move { h.await.unwrap() })
                };
                let start = Instant::now();
                hyper_requests(c, s, n, &spawn).await;
                start.elapsed().as_secs_f64()
            })
        }
        Backend::AsyncStd => async_std::task::block_on(async move {
            let c = AsyncIo(async_io::Async::new(c).unwrap());
            let s = AsyncIo(async_io::Async::new(s).unwrap());
            let spawn = |f: BoxFuture| -> BoxFuture { Box::pin(async_std::task::spawn(f)) };
            let start = Instant::now();
            hyper_requests(c, s, n, &spawn).await;
            start.elapsed().as_secs_f64()
        }),
        _ => {
            let ex = Arc::new(async_executor::Executor::new());
            let (stop, stopped) = async_channel::bounded::<()>(1);
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    let (ex, stopped) = (ex.clone(), stopped.clone());
                    std::thread::spawn(move || {
                        async_io::block_on(ex.run(async move {
                            let _ = stopped.recv().await;
                        }))
                    })
                })
                .collect();
            let spawner = ex.clone();
            let spawn = move |f: BoxFuture| -> BoxFuture { Box::pin(spawner.spawn(f)) };
            let took = async_io::block_on(async move {
                let c = AsyncIo(async_io::Async::new(c).unwrap());
                let s = AsyncIo(async_io::Async::new(s).unwrap());
                let start = Instant::now();
                hyper_requests(c, s, n, &spawn).await;
                start.elapsed().as_secs_f64()
            });
            drop(stop);
            for w in workers {
                w.join().unwrap();
            }
            took
        }
    }
}

/// A connected std pair on loopback.
fn std_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    c.set_nodelay(true).unwrap();
    s.set_nodelay(true).unwrap();
    (c, s)
}

fn udp_pair() -> (
    std::net::UdpSocket,
    std::net::UdpSocket,
    SocketAddr,
    SocketAddr,
) {
    let a = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    a.connect(ba).unwrap();
    b.connect(aa).unwrap();
    (a, b, aa, ba)
}

macro_rules! udp_loop {
    ($a:expr, $b:expr, $n:expr) => {{
        let (a, b, n) = ($a, $b, $n);
        let echo = anyrt::spawn(async move {
            let mut buf = [0u8; MSG];
            for _ in 0..n {
                let k = b.recv(&mut buf).await.unwrap();
                b.send(&buf[..k]).await.unwrap();
            }
        });
        let mut buf = [7u8; MSG];
        for _ in 0..n {
            a.send(&buf).await.unwrap();
            a.recv(&mut buf).await.unwrap();
        }
        echo.await.unwrap();
    }};
}

/// One timed round: the seconds `work` took on `side`, on a fresh runtime of `backend`.
fn round(backend: Backend, work: Work, side: Side, n: usize) -> f64 {
    if matches!((work, side), (Work::HyperRequests, Side::Native)) {
        return native_hyper_round(backend, n);
    }
    let rt = anyrt::Runtime::builder(backend)
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async move {
        let (c, s) = std_pair();
        let (ua, ub, _, _) = udp_pair();
        for x in [&c, &s] {
            x.set_nonblocking(true).unwrap();
        }
        ua.set_nonblocking(true).unwrap();
        ub.set_nonblocking(true).unwrap();
        let start = Instant::now();
        match (side, backend) {
            (Side::Anyrt, _) => {
                let c = anyrt::net::TcpStream::try_from(c).unwrap();
                let s = anyrt::net::TcpStream::try_from(s).unwrap();
                let ua = anyrt::net::UdpSocket::try_from(ua).unwrap();
                let ub = anyrt::net::UdpSocket::try_from(ub).unwrap();
                match work {
                    Work::TcpPingPong => pingpong(c, s, n).await,
                    Work::TcpBulk => bulk(c, s, n).await,
                    Work::UdpPingPong => udp_loop!(ua, ub, n),
                    Work::HyperRequests => {
                        let spawn = |f: BoxFuture| -> BoxFuture {
                            let h = anyrt::spawn(f);
                            Box::pin(async move { h.await.unwrap() })
                        };
                        hyper_requests(c, s, n, &spawn).await
                    }
                }
            }
            (Side::Native, Backend::Tokio) => {
                let c = tokio::net::TcpStream::from_std(c).unwrap();
                let s = tokio::net::TcpStream::from_std(s).unwrap();
                let ua = tokio::net::UdpSocket::from_std(ua).unwrap();
                let ub = tokio::net::UdpSocket::from_std(ub).unwrap();
                match work {
                    Work::TcpPingPong => tokio_pingpong(c, s, n).await,
                    Work::TcpBulk => tokio_bulk(c, s, n).await,
                    Work::UdpPingPong => udp_loop!(ua, ub, n),
                    Work::HyperRequests => unreachable!("on the native runtime"),
                }
            }
            (Side::Native, Backend::AsyncStd) => {
                let c = async_std::net::TcpStream::from(c);
                let s = async_std::net::TcpStream::from(s);
                let ua = async_std::net::UdpSocket::from(ua);
                let ub = async_std::net::UdpSocket::from(ub);
                match work {
                    Work::TcpPingPong => pingpong(c, s, n).await,
                    Work::TcpBulk => bulk(c, s, n).await,
                    Work::UdpPingPong => udp_loop!(ua, ub, n),
                    Work::HyperRequests => unreachable!("on the native runtime"),
                }
            }
            (Side::Native, _) => {
                let c = async_io::Async::new(c).unwrap();
                let s = async_io::Async::new(s).unwrap();
                let ua = async_io::Async::new(ua).unwrap();
                let ub = async_io::Async::new(ub).unwrap();
                match work {
                    Work::TcpPingPong => pingpong(c, s, n).await,
                    Work::TcpBulk => bulk(c, s, n).await,
                    Work::UdpPingPong => udp_loop!(ua, ub, n),
                    Work::HyperRequests => unreachable!("on the native runtime"),
                }
            }
        }
        start.elapsed().as_secs_f64()
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    // Workload names given on the command line: only those (all without any).
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| {
            !a.starts_with("--") && a.parse::<Backend>().is_err() && a != "native" && a != "anyrt"
        })
        .collect();
    let rounds = if smoke { 1 } else { 21 };
    // `--side native|anyrt --backend NAME WORKLOAD`: one round of one side, for strace or a
    // profiler.
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    if let (Some(side), Some(backend)) = (value("--side"), value("--backend")) {
        let side = if side == "native" {
            Side::Native
        } else {
            Side::Anyrt
        };
        let backend: Backend = backend.parse().expect("a backend name");
        let work = [
            Work::TcpPingPong,
            Work::TcpBulk,
            Work::UdpPingPong,
            Work::HyperRequests,
        ]
        .into_iter()
        .find(|w| only.iter().any(|o| o == w.name()))
        .expect("a workload name");
        let n = if matches!(work, Work::TcpBulk) {
            32
        } else {
            5_000
        };
        println!("{:.3} s", round(backend, work, side, n));
        return;
    }
    println!("| workload | backend | native | anyrt | anyrt/native |");
    println!("|---|---|---|---|---|");
    // Not the simulation: its sockets live in its memory, with nothing native to set beside.
    for &backend in Backend::enabled().iter().filter(|&&b| b != Backend::Sim) {
        for work in [
            Work::TcpPingPong,
            Work::TcpBulk,
            Work::UdpPingPong,
            Work::HyperRequests,
        ] {
            if !only.is_empty() && !only.iter().any(|o| o == work.name()) {
                continue;
            }
            let n = match (work, smoke) {
                (_, true) => 10,
                (Work::TcpBulk, false) => 32,
                _ => 5_000,
            };
            let (mut native, mut ours, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            for r in 0..rounds {
                let (a, b) = if r % 2 == 0 {
                    let a = round(backend, work, Side::Native, n);
                    (a, round(backend, work, Side::Anyrt, n))
                } else {
                    let b = round(backend, work, Side::Anyrt, n);
                    (round(backend, work, Side::Native, n), b)
                };
                native.push(a);
                ours.push(b);
                ratios.push(b / a);
            }
            let per = |s: f64| match work {
                Work::TcpBulk => format!("{:.2} ms/MiB", s * 1e3 / n as f64),
                Work::HyperRequests => format!("{:.0} req/s", n as f64 / s),
                _ => format!("{:.2} µs/rt", s * 1e6 / n as f64),
            };
            println!(
                "| {} | {} | {} | {} | {:.3} |",
                work.name(),
                backend,
                per(median(native)),
                per(median(ours)),
                median(ratios)
            );
        }
    }
}
