//! The simulated network's own promises: a seed replays the same deliveries, latency is
//! virtual time, partitions hold TCP and lose UDP until repaired, a reset reaches the peer,
//! names come from `add_host`, a full buffer makes the writer wait, UDP loss and broadcast,
//! Unix paths in the simulation's own namespace.

#![cfg(feature = "sim")]

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyrt::net::{TcpListener, TcpStream, UdpSocket};
use anyrt::sim::net as simnet;
use anyrt::time::Instant;
use anyrt::{Backend, Runtime};
use anyrt_tests::*;
use futures::{AsyncReadExt, AsyncWriteExt};

fn sim(seed: u64) -> Runtime {
    Runtime::builder(Backend::Sim).seed(seed).build().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Eight clients on hosts of their own send five datagrams each to one server: the order the
/// server sees them in, and the trace hash.
async fn datagrams() -> (Vec<(SocketAddr, u8)>, u64) {
    let server = UdpSocket::bind("10.0.0.1:9000").await.unwrap();
    let clients: Vec<_> = (0..8u8)
        .map(|c| {
            anyrt::spawn(simnet::host(ip(&format!("10.0.1.{c}")), async move {
                let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
                for i in 0..5u8 {
                    s.send_to(&[c * 10 + i], "10.0.0.1:9000").await.unwrap();
                    anyrt::task::yield_now().await;
                }
                s
            }))
        })
        .collect();
    let mut got = Vec::new();
    let mut buf = [0u8; 4];
    for _ in 0..40 {
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(n, 1);
        got.push((from, buf[0]));
    }
    for c in clients {
        drop(c.await.unwrap());
    }
    (got, anyrt::sim::trace_hash().unwrap())
}

#[test]
fn a_seed_replays_the_same_deliveries_and_seeds_differ() {
    let first = sim(3).block_on(datagrams());
    for _ in 0..20 {
        assert_eq!(sim(3).block_on(datagrams()), first);
    }
    // Each datagram comes from its client's host.
    assert!(first
        .0
        .iter()
        .all(|(from, v)| from.ip() == ip(&format!("10.0.1.{}", v / 10))));
    let orders: std::collections::HashSet<_> = (0..10)
        .map(|seed| sim(seed).block_on(datagrams()).0)
        .collect();
    assert!(orders.len() >= 8, "{} orders of 10 seeds", orders.len());
}

#[test]
fn latency_is_virtual_time_and_a_round_trip_takes_two() {
    sim(1).block_on(async {
        simnet::set_latency(Duration::from_millis(10)..=Duration::from_millis(10));
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let server = anyrt::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut b = [0u8; 4];
            s.read_exact(&mut b).await.unwrap();
            s.write_all(&b).await.unwrap();
        });
        let start = Instant::now();
        let mut c = TcpStream::connect(addr).await.unwrap();
        let connected = start.elapsed();
        assert!(
            (Duration::from_millis(20)..Duration::from_millis(21)).contains(&connected),
            "{connected:?}"
        );
        let start = Instant::now();
        c.write_all(b"ping").await.unwrap();
        let mut b = [0u8; 4];
        c.read_exact(&mut b).await.unwrap();
        let rtt = start.elapsed();
        assert!(
            (Duration::from_millis(20)..Duration::from_millis(21)).contains(&rtt),
            "{rtt:?}"
        );
        server.await.unwrap();
    });
}

#[test]
fn a_partition_holds_tcp_and_loses_udp_until_repaired() {
    sim(2).block_on(async {
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        let l = TcpListener::bind((b, 80)).await.unwrap();
        let u = UdpSocket::bind((b, 53)).await.unwrap();
        let mut c = simnet::host(a, TcpStream::connect((b, 80))).await.unwrap();
        let (s, peer) = l.accept().await.unwrap();
        assert_eq!(peer.ip(), a);
        let cu = simnet::host(a, UdpSocket::bind("0.0.0.0:0")).await.unwrap();

        simnet::partition(a, b);
        c.write_all(b"held").await.unwrap(); // buffered: the write does not wait
        cu.send_to(b"lost", (b, 53)).await.unwrap();
        let mut buf = [0u8; 4];
        assert!(
            anyrt::time::timeout(Duration::from_secs(60), s.read(&mut buf))
                .await
                .is_err()
        );
        assert!(
            anyrt::time::timeout(Duration::from_secs(1), u.recv_from(&mut buf))
                .await
                .is_err()
        );
        // A new connection waits too (its timeout fires).
        let err = simnet::host(
            a,
            TcpStream::connect_timeout((b, 80), Duration::from_secs(5)),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);

        simnet::repair(a, b);
        let n = within("held data after repair", s.read(&mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"held");
        cu.send_to(b"sent", (b, 53)).await.unwrap();
        let (n, _) = within("datagram after repair", u.recv_from(&mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"sent");

        // isolate cuts every link of a host, rejoin restores them; loopback is never cut.
        simnet::isolate(b);
        let lo = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let lo_addr = lo.local_addr().unwrap();
        within("loopback while isolated", TcpStream::connect(lo_addr))
            .await
            .unwrap();
        simnet::heal();
        within("after heal", simnet::host(a, TcpStream::connect((b, 80))))
            .await
            .unwrap();
    });
}

#[test]
fn dropping_a_stream_with_unread_data_resets_the_peer() {
    sim(4).block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        c.write(b"never read").await.unwrap();
        anyrt::time::sleep(Duration::from_millis(5)).await;
        let reader = anyrt::spawn(async move {
            let mut buf = [0u8; 16];
            c.read(&mut buf).await
        });
        anyrt::time::sleep(Duration::from_millis(5)).await;
        drop(s); // with "never read" unread: a reset, not an end-of-file
        let err = within("reset", reader).await.unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");

        // Without unread data: end-of-file, then writes fail with BrokenPipe.
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        drop(s);
        let mut buf = [0u8; 4];
        assert_eq!(within("eof", c.read(&mut buf)).await.unwrap(), 0);
        let err = c.write(b"x").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");

        // A listener dropped with a connection never accepted resets it.
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        drop(l);
        let err = within("reset by listener", c.read(&mut buf))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    });
}

#[test]
fn names_come_from_add_host_and_errors_say_what_to_do() {
    sim(5).block_on(async {
        simnet::add_host("db.internal", ip("10.0.0.9"));
        let l = TcpListener::bind("db.internal:5432").await.unwrap();
        assert_eq!(l.local_addr().unwrap(), "10.0.0.9:5432".parse().unwrap());
        let c = TcpStream::connect("db.internal:5432").await.unwrap();
        assert_eq!(c.peer_addr().unwrap().port(), 5432);
        let all: Vec<_> = anyrt::net::lookup_host("localhost:80")
            .await
            .unwrap()
            .collect();
        assert_eq!(all, vec!["127.0.0.1:80".parse::<SocketAddr>().unwrap()]);
        let err = TcpStream::connect("nowhere.invalid:80").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert!(err.to_string().contains("add_host"), "{err}");
        // Nobody on the port: refused, in one latency.
        let err = TcpStream::connect("10.0.0.9:1").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        // Taken addresses, as on a real host.
        let err = TcpListener::bind("db.internal:5432").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
        let err = TcpListener::bind("0.0.0.0:5432").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    });
}

#[test]
fn a_full_buffer_makes_the_writer_wait_until_the_reader_reads() {
    sim(6).block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (mut s, _) = l.accept().await.unwrap();
        let big = vec![7u8; simnet::TCP_BUFFER + 1000];
        let mut written = 0;
        while let Ok(Ok(n)) =
            anyrt::time::timeout(Duration::from_secs(1), c.write(&big[written..])).await
        {
            written += n;
        }
        assert_eq!(
            written,
            simnet::TCP_BUFFER,
            "the writer waits once the buffer is full"
        );
        let writer = anyrt::spawn(async move {
            let mut c = c;
            c.write_all(&big[written..]).await.unwrap();
            c
        });
        let mut all = vec![0u8; simnet::TCP_BUFFER + 1000];
        within("drain", s.read_exact(&mut all)).await.unwrap();
        assert!(all.iter().all(|&b| b == 7));
        drop(within("writer", writer).await.unwrap());
    });
}

#[test]
fn udp_loss_is_seeded_and_broadcast_needs_the_flag() {
    let lost = |seed| {
        sim(seed).block_on(async {
            simnet::set_udp_loss(0.3);
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            for i in 0..1000u32 {
                a.send_to(&i.to_le_bytes(), b.local_addr().unwrap())
                    .await
                    .unwrap();
            }
            anyrt::time::sleep(Duration::from_secs(1)).await;
            let mut got = 0;
            let mut buf = [0u8; 4];
            while b.try_recv_from(&mut buf).is_ok() {
                got += 1;
            }
            1000 - got
        })
    };
    let n = lost(8);
    assert!((200..400).contains(&n), "{n} of 1000 lost at 0.3");
    assert_eq!(lost(8), n);

    sim(9).block_on(async {
        let a = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        let r1 = UdpSocket::bind("10.0.0.1:7000").await.unwrap();
        let r2 = UdpSocket::bind("10.0.0.2:7000").await.unwrap();
        let err = a.send_to(b"all", "255.255.255.255:7000").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        a.set_broadcast(true).unwrap();
        a.send_to(b"all", "255.255.255.255:7000").await.unwrap();
        let mut buf = [0u8; 3];
        for r in [&r1, &r2] {
            let (n, _) = within("broadcast", r.recv_from(&mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"all");
        }
    });
}

#[test]
fn network_calls_outside_a_simulation_say_where_to_call_them() {
    let err =
        std::panic::catch_unwind(|| simnet::partition(ip("10.0.0.1"), ip("10.0.0.2"))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("outside a simulation"), "{msg}");
}

#[test]
fn unix_paths_are_the_simulations_own() {
    sim(10).block_on(async {
        use anyrt::net::{UnixDatagram, UnixListener, UnixStream};
        let path = std::env::temp_dir().join(format!("anyrt-sim-{}.sock", std::process::id()));
        let l = UnixListener::bind(&path).unwrap();
        assert!(!path.exists(), "no file is made");
        let server = anyrt::spawn(async move {
            let (mut s, peer) = l.accept().await.unwrap();
            assert!(peer.is_unnamed());
            let mut b = [0u8; 4];
            s.read_exact(&mut b).await.unwrap();
            s.write_all(&b).await.unwrap();
        });
        let mut c = UnixStream::connect(&path).await.unwrap();
        c.write_all(b"unix").await.unwrap();
        let mut b = [0u8; 4];
        within("unix echo", c.read_exact(&mut b)).await.unwrap();
        assert_eq!(&b, b"unix");
        server.await.unwrap();
        // Nothing at a path: NotFound; a datagram socket's path: refused.
        let nowhere = path.with_extension("none");
        let err = UnixStream::connect(&nowhere).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        let d = UnixDatagram::bind(path.with_extension("dgram")).unwrap();
        let err = UnixStream::connect(path.with_extension("dgram"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        // A datagram's sender, by path.
        let named = UnixDatagram::bind(path.with_extension("named")).unwrap();
        named
            .send_to(b"hi", path.with_extension("dgram"))
            .await
            .unwrap();
        let (n, from) = within("datagram", d.recv_from(&mut b)).await.unwrap();
        assert_eq!(
            (&b[..n], from.as_pathname()),
            (&b"hi"[..], Some(path.with_extension("named").as_path()))
        );
    });
}
