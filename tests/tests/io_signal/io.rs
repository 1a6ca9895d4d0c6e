//! `anyrt::io` on every backend: integer reads and writes, `read_buf`/`write_all_buf`,
//! `duplex` (back-pressure, end-of-file, a dropped peer, cancel safety), `copy_bidirectional`
//! (in memory and as a TCP proxy), lines, split halves in two tasks, and tokio's traits on a
//! `DuplexStream`.

use std::io::ErrorKind;
use std::time::Duration;

use anyrt::io::{
    copy, copy_bidirectional, duplex, empty, repeat, sink, split, AsyncBufReadExt, AsyncReadExt,
    AsyncWriteExt, BufReader, BufWriter,
};
use anyrt_tests::*;
use futures::StreamExt;

#[anyrt::test]
async fn integers_round_trip_in_both_byte_orders() {
    let (mut a, mut b) = duplex(7); // smaller than a u128: the write waits for the reader
    let writer = anyrt::spawn(async move {
        a.write_u8(1).await.unwrap();
        a.write_i16(-2).await.unwrap();
        a.write_u32_le(3).await.unwrap();
        a.write_i64(-4).await.unwrap();
        a.write_u128_le(u128::MAX - 5).await.unwrap();
        a.write_f64(6.5).await.unwrap();
    });
    assert_eq!(within("u8", b.read_u8()).await.unwrap(), 1);
    assert_eq!(b.read_i16().await.unwrap(), -2);
    assert_eq!(b.read_u32_le().await.unwrap(), 3);
    assert_eq!(b.read_i64().await.unwrap(), -4);
    assert_eq!(
        within("u128", b.read_u128_le()).await.unwrap(),
        u128::MAX - 5
    );
    assert_eq!(b.read_f64().await.unwrap(), 6.5);
    within("writer", writer).await.unwrap();
    // The writer is gone: end-of-file, as `UnexpectedEof` for a number.
    let err = within("eof", b.read_u32()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
}

#[anyrt::test]
async fn read_buf_and_write_all_buf_use_bytes_buffers() {
    use bytes::Buf;
    let (mut a, mut b) = duplex(1024);
    let mut out = bytes::Bytes::from_static(b"a frame of bytes");
    a.write_all_buf(&mut out).await.unwrap();
    assert!(!out.has_remaining(), "write_all_buf advances what it wrote");
    drop(a);
    let mut got = bytes::BytesMut::with_capacity(4);
    while within("read_buf", b.read_buf(&mut got)).await.unwrap() > 0 {}
    assert_eq!(&got[..], b"a frame of bytes");
}

#[anyrt::test]
async fn duplex_ends_with_eof_and_a_dropped_reader_is_a_broken_pipe() {
    let (mut a, mut b) = duplex(16);
    a.write_all(b"last words").await.unwrap();
    a.shutdown().await.unwrap();
    let err = a.write_all(b"more").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
    let mut all = Vec::new();
    within("read_to_end", b.read_to_end(&mut all))
        .await
        .unwrap();
    assert_eq!(all, b"last words");

    let (mut c, d) = duplex(16);
    drop(d);
    let err = c.write_all(b"to nobody").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    assert!(err.to_string().contains("dropped"), "{err}");
}

#[anyrt::test]
async fn a_dropped_read_loses_nothing() {
    let (mut a, mut b) = duplex(16);
    let mut buf = [0u8; 8];
    let early = anyrt::time::timeout(Duration::from_millis(5), b.read(&mut buf)).await;
    assert!(early.is_err());
    a.write_all(b"kept").await.unwrap();
    let n = within("read", b.read(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"kept");
}

#[test]
#[should_panic(expected = "a pipe with no room")]
fn a_duplex_of_no_room_says_why() {
    let _ = duplex(0);
}

#[anyrt::test]
async fn copy_bidirectional_between_two_pipes() {
    let (mut client, mut proxy_a) = duplex(64);
    let (mut proxy_b, mut server) = duplex(64);
    let proxy = anyrt::spawn(async move { copy_bidirectional(&mut proxy_a, &mut proxy_b).await });
    let big = vec![7u8; 100_000]; // many times the pipes' room
    let sent = big.clone();
    let client_task = anyrt::spawn(async move {
        client.write_all(&sent).await.unwrap();
        client.shutdown().await.unwrap();
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await.unwrap();
        reply
    });
    let mut got = Vec::new();
    within("server read", server.read_to_end(&mut got))
        .await
        .unwrap();
    assert_eq!(got.len(), big.len());
    server.write_all(b"done").await.unwrap();
    server.shutdown().await.unwrap();
    assert_eq!(within("client", client_task).await.unwrap(), b"done");
    assert_eq!(within("proxy", proxy).await.unwrap().unwrap(), (100_000, 4));
}

#[cfg(unix)]
#[anyrt::test]
async fn copy_bidirectional_as_a_tcp_proxy() {
    use anyrt::net::{TcpListener, TcpStream};
    let backend = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend_addr = backend.local_addr().unwrap();
    let echo = anyrt::spawn(async move {
        let (mut s, _) = backend.accept().await.unwrap();
        let (mut r, mut w) = s.split();
        copy(&mut r, &mut w).await.unwrap();
    });
    let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front_addr = front.local_addr().unwrap();
    let proxy = anyrt::spawn(async move {
        let (mut inbound, _) = front.accept().await.unwrap();
        let mut outbound = TcpStream::connect(backend_addr).await.unwrap();
        copy_bidirectional(&mut inbound, &mut outbound)
            .await
            .unwrap()
    });
    let mut c = within("connect", TcpStream::connect(front_addr))
        .await
        .unwrap();
    c.write_all(b"through the proxy").await.unwrap();
    c.shutdown().await.unwrap();
    let mut back = Vec::new();
    within("echo", c.read_to_end(&mut back)).await.unwrap();
    assert_eq!(back, b"through the proxy");
    assert_eq!(within("proxy", proxy).await.unwrap(), (17, 17));
    within("echo server", echo).await.unwrap();
}

#[anyrt::test]
async fn lines_of_a_buffered_reader_are_a_stream() {
    let (mut a, b) = duplex(8);
    let writer = anyrt::spawn(async move {
        let mut w = BufWriter::new(&mut a);
        w.write_all(b"one\ntwo\r\nthree").await.unwrap();
        w.flush().await.unwrap();
    });
    let lines: Vec<String> = within(
        "lines",
        BufReader::new(b).lines().map(|l| l.unwrap()).collect(),
    )
    .await;
    assert_eq!(lines, ["one", "two", "three"]);
    within("writer", writer).await.unwrap();
}

#[anyrt::test]
async fn split_halves_work_from_two_tasks() {
    let (a, mut b) = duplex(4);
    let (mut r, mut w) = split(a);
    let writer = anyrt::spawn(async move {
        for i in 0..100u32 {
            w.write_u32(i).await.unwrap();
        }
    });
    let echo = anyrt::spawn(async move {
        let mut sum = 0u64;
        for _ in 0..100 {
            sum += u64::from(b.read_u32().await.unwrap());
        }
        sum
    });
    assert_eq!(within("sum", echo).await.unwrap(), 4950);
    within("writer", writer).await.unwrap();
    let mut rest = Vec::new();
    within("eof", r.read_to_end(&mut rest)).await.unwrap();
    assert!(rest.is_empty());
}

#[anyrt::test]
async fn empty_sink_and_repeat() {
    let mut none = Vec::new();
    empty().read_to_end(&mut none).await.unwrap();
    assert!(none.is_empty());
    let n = copy(repeat(b'x').take(1000), &mut sink()).await.unwrap();
    assert_eq!(n, 1000);
}

#[anyrt::test]
async fn tokio_io_traits_on_a_duplex_stream() {
    let (mut a, mut b) = duplex(32);
    tokio::io::AsyncWriteExt::write_u64(&mut a, 42)
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::shutdown(&mut a).await.unwrap();
    assert_eq!(tokio::io::AsyncReadExt::read_u64(&mut b).await.unwrap(), 42);
    let mut rest = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut b, &mut rest)
        .await
        .unwrap();
    assert!(rest.is_empty());
}

/// The pipe's wake-ups, with no runtime at all: a writer thread and a reader thread, each
/// polling again only when woken (a lost wake-up hangs one side and fails the test), move
/// 1 MiB in uneven chunks through a pipe of 64 bytes, in order, both sides waiting often.
#[test]
fn a_duplex_loses_no_wake_up_when_polled_only_when_woken() {
    use std::pin::Pin;
    const TOTAL: usize = 1 << 20;
    let (mut a, mut b) = duplex(64);
    let writer = std::thread::spawn(move || {
        let mut pendings = 0;
        let mut sent = 0;
        let mut size = 1;
        while sent < TOTAL {
            let chunk: Vec<u8> = (sent..(sent + size).min(TOTAL)).map(|i| i as u8).collect();
            let n = poll_only_when_woken("write", &mut pendings, |cx| {
                futures::AsyncWrite::poll_write(Pin::new(&mut a), cx, &chunk)
            })
            .unwrap();
            sent += n;
            size = size % 200 + 7;
        }
        pendings
    });
    let mut pendings = 0;
    let mut got = 0;
    let mut buf = [0u8; 97];
    while got < TOTAL {
        let n = poll_only_when_woken("read", &mut pendings, |cx| {
            futures::AsyncRead::poll_read(Pin::new(&mut b), cx, &mut buf)
        })
        .unwrap();
        assert_ne!(n, 0, "end-of-file after {got} of {TOTAL} bytes");
        for (k, &x) in buf[..n].iter().enumerate() {
            assert_eq!(x, (got + k) as u8, "byte {} out of order", got + k);
        }
        got += n;
    }
    let writer_pendings = writer.join().unwrap();
    assert!(
        pendings > 0 && writer_pendings > 0,
        "a side never waited (reader {pendings}, writer {writer_pendings}): the test proves nothing"
    );
}

#[anyrt::test]
async fn a_unix_streams_borrowed_halves() {
    let (mut a, mut b) = anyrt::net::UnixStream::pair().unwrap();
    let (mut ra, mut wa) = a.split();
    let (ping, pong) = anyrt::join!(
        async {
            wa.write_all(b"ping").await.unwrap();
            let mut back = [0u8; 4];
            ra.read_exact(&mut back).await.unwrap();
            back
        },
        async {
            let mut got = [0u8; 4];
            b.read_exact(&mut got).await.unwrap();
            b.write_all(&got).await.unwrap();
            got
        }
    );
    assert_eq!((&ping, &pong), (b"ping", b"ping"));
}
