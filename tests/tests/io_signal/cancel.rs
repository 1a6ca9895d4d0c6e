//! The cancellation-safety checker (`anyrt::sim::cancel`) on what the docs call cancel-safe:
//! each operation is dropped at every one of its await points, over several seeds, and the
//! follow-up checks that nothing was lost or left half done. And a frame reader that keeps a
//! partial frame in a local, which the checker must catch.
#![cfg(all(feature = "sim", target_os = "linux"))]

use std::sync::Arc;
use std::time::Duration;

use anyrt::io::{AsyncReadExt, AsyncWriteExt};
use anyrt::sim::cancel::{CancelCheck, CancelFailure, CancelReport};

const SEEDS: u64 = 6;

#[track_caller]
fn passes(what: &str, result: Result<CancelReport, CancelFailure>) {
    match result {
        Ok(report) => assert!(report.cuts > 0, "{what}: no await point was checked"),
        Err(failure) => panic!("{what}: {failure}"),
    }
}

#[test]
fn channel_recv_is_cancel_safe() {
    struct S {
        rx: anyrt::channel::Receiver<u32>,
        got: Vec<u32>,
    }
    passes(
        "channel recv",
        CancelCheck::seeds(SEEDS).run(
            async || {
                let (tx, rx) = anyrt::channel::bounded(2);
                for p in 0..2u32 {
                    let tx = tx.clone();
                    anyrt::spawn(async move {
                        for i in 0..4 {
                            tx.send(p * 100 + i).await.unwrap();
                        }
                    });
                }
                S {
                    rx,
                    got: Vec::new(),
                }
            },
            async |s: &mut S| {
                for _ in 0..3 {
                    let v = s.rx.recv().await.unwrap();
                    s.got.push(v);
                }
            },
            async |s: &mut S| {
                while let Ok(v) = s.rx.recv().await {
                    s.got.push(v);
                }
                s.got.sort_unstable();
                assert_eq!(
                    s.got,
                    [0, 1, 2, 3, 100, 101, 102, 103],
                    "a message was lost"
                );
            },
        ),
    );
}

#[test]
fn channel_send_is_cancel_safe() {
    struct S {
        tx: Option<anyrt::channel::Sender<u32>>,
        sent: Vec<u32>,
        consumer: Option<anyrt::task::JoinHandle<Vec<u32>>>,
    }
    passes(
        "channel send",
        CancelCheck::seeds(SEEDS).run(
            async || {
                let (tx, rx) = anyrt::channel::bounded(1);
                let consumer = anyrt::spawn(async move {
                    let mut got = Vec::new();
                    while let Ok(v) = rx.recv().await {
                        got.push(v);
                        anyrt::task::yield_now().await;
                    }
                    got
                });
                S {
                    tx: Some(tx),
                    sent: Vec::new(),
                    consumer: Some(consumer),
                }
            },
            async |s: &mut S| {
                for i in 0..4 {
                    s.tx.as_ref().unwrap().send(i).await.unwrap();
                    s.sent.push(i);
                }
            },
            // A send dropped before it completed delivers nothing; one that completed
            // delivers its message once.
            async |s: &mut S| {
                drop(s.tx.take());
                let got = s.consumer.take().unwrap().await.unwrap();
                assert_eq!(got, s.sent, "received is not what was sent");
            },
        ),
    );
}

#[test]
fn broadcast_recv_is_cancel_safe() {
    struct S {
        rx: anyrt::channel::broadcast::Receiver<u32>,
        got: Vec<u32>,
    }
    passes(
        "broadcast recv",
        CancelCheck::seeds(SEEDS).run(
            async || {
                let (tx, rx) = anyrt::channel::broadcast::channel(16);
                anyrt::spawn(async move {
                    for i in 0..6 {
                        tx.send(i).unwrap();
                        anyrt::task::yield_now().await;
                    }
                });
                S {
                    rx,
                    got: Vec::new(),
                }
            },
            async |s: &mut S| {
                for _ in 0..3 {
                    let v = s.rx.recv().await.unwrap();
                    s.got.push(v);
                }
            },
            async |s: &mut S| {
                while let Ok(v) = s.rx.recv().await {
                    s.got.push(v);
                }
                assert_eq!(s.got, [0, 1, 2, 3, 4, 5], "a message was lost or repeated");
            },
        ),
    );
}

#[test]
fn mutex_lock_and_semaphore_acquire_are_cancel_safe() {
    struct S {
        lock: Arc<anyrt::sync::Mutex<u32>>,
        sem: Arc<anyrt::sync::Semaphore>,
        others: Vec<anyrt::task::JoinHandle<()>>,
    }
    passes(
        "Mutex::lock and Semaphore::acquire",
        CancelCheck::seeds(SEEDS).run(
            async || {
                let lock = Arc::new(anyrt::sync::Mutex::new(0));
                let sem = Arc::new(anyrt::sync::Semaphore::new(2));
                let others = (0..3)
                    .map(|_| {
                        let (lock, sem) = (lock.clone(), sem.clone());
                        anyrt::spawn(async move {
                            let _permit = sem.acquire().await.unwrap();
                            let mut g = lock.lock().await;
                            anyrt::time::sleep(Duration::from_micros(50)).await;
                            *g += 1;
                        })
                    })
                    .collect();
                // The others take the permits and the lock first: the operation waits.
                for _ in 0..4 {
                    anyrt::task::yield_now().await;
                }
                S { lock, sem, others }
            },
            async |s: &mut S| {
                let _permit = s.sem.acquire().await.unwrap();
                *s.lock.lock().await += 10;
            },
            async |s: &mut S| {
                for t in s.others.drain(..) {
                    t.await.unwrap();
                }
                assert_eq!(
                    s.sem.available_permits(),
                    2,
                    "a dropped acquire kept a permit"
                );
                let value = *s
                    .lock
                    .try_lock()
                    .expect("a dropped lock() left the mutex held");
                assert!(value == 3 || value == 13, "{value}");
            },
        ),
    );
}

#[test]
fn accept_read_and_recv_from_are_cancel_safe() {
    use anyrt::net::{TcpListener, TcpStream, UdpSocket};
    struct Accept {
        listener: TcpListener,
        accepted: usize,
    }
    passes(
        "TcpListener::accept",
        CancelCheck::seeds(SEEDS).run(
            async || {
                let listener = TcpListener::bind("10.0.0.1:80").await.unwrap();
                for _ in 0..4 {
                    anyrt::spawn(async {
                        let mut c = TcpStream::connect("10.0.0.1:80").await.unwrap();
                        c.write_all(b"x").await.unwrap();
                        anyrt::time::sleep(Duration::from_secs(3)).await;
                    });
                }
                Accept {
                    listener,
                    accepted: 0,
                }
            },
            async |s: &mut Accept| {
                for _ in 0..2 {
                    s.listener.accept().await.unwrap();
                    s.accepted += 1;
                }
            },
            async |s: &mut Accept| {
                while s.accepted < 4 {
                    s.listener.accept().await.unwrap();
                    s.accepted += 1;
                }
            },
        ),
    );

    struct Read {
        stream: TcpStream,
        got: Vec<u8>,
    }
    let all: Vec<u8> = (0..=99).collect();
    let expected = all.clone();
    passes(
        "TcpStream read",
        CancelCheck::seeds(SEEDS).run(
            async || {
                let listener = TcpListener::bind("10.0.0.2:80").await.unwrap();
                let data = all.clone();
                anyrt::spawn(async move {
                    let mut c = TcpStream::connect("10.0.0.2:80").await.unwrap();
                    for chunk in data.chunks(7) {
                        c.write_all(chunk).await.unwrap();
                        anyrt::task::yield_now().await;
                    }
                });
                let (stream, _) = listener.accept().await.unwrap();
                Read {
                    stream,
                    got: Vec::new(),
                }
            },
            async |s: &mut Read| {
                let mut buf = [0u8; 10];
                for _ in 0..3 {
                    let n = s.stream.read(&mut buf).await.unwrap();
                    s.got.extend_from_slice(&buf[..n]);
                }
            },
            async |s: &mut Read| {
                s.stream.read_to_end(&mut s.got).await.unwrap();
                assert_eq!(s.got, expected, "bytes were lost");
            },
        ),
    );

    struct Udp {
        socket: UdpSocket,
        got: Vec<u8>,
    }
    passes(
        "UdpSocket::recv_from",
        CancelCheck::seeds(SEEDS).run(
            async || {
                let socket = UdpSocket::bind("10.0.0.3:53").await.unwrap();
                anyrt::spawn(async {
                    let out = UdpSocket::bind("10.0.0.4:0").await.unwrap();
                    for i in 0..6u8 {
                        out.send_to(&[i], "10.0.0.3:53").await.unwrap();
                        anyrt::time::sleep(Duration::from_micros(100)).await;
                    }
                });
                Udp {
                    socket,
                    got: Vec::new(),
                }
            },
            async |s: &mut Udp| {
                let mut buf = [0u8; 8];
                for _ in 0..2 {
                    let (n, _) = s.socket.recv_from(&mut buf).await.unwrap();
                    s.got.extend_from_slice(&buf[..n]);
                }
            },
            async |s: &mut Udp| {
                let mut buf = [0u8; 8];
                while s.got.len() < 6 {
                    let (n, _) = s.socket.recv_from(&mut buf).await.unwrap();
                    s.got.extend_from_slice(&buf[..n]);
                }
                s.got.sort_unstable();
                assert_eq!(s.got, [0, 1, 2, 3, 4, 5]);
            },
        ),
    );
}

#[test]
fn a_file_read_is_cancel_safe() {
    struct S {
        file: anyrt::fs::File,
        got: Vec<u8>,
    }
    let content: Vec<u8> = (0..200u32).map(|i| i as u8).collect();
    let expected = content.clone();
    passes(
        "File read",
        CancelCheck::seeds(SEEDS).run(
            async || {
                anyrt::fs::write("/data", &content).await.unwrap();
                let file = anyrt::fs::File::open("/data").await.unwrap();
                S {
                    file,
                    got: Vec::new(),
                }
            },
            async |s: &mut S| {
                let mut buf = [0u8; 16];
                for _ in 0..3 {
                    let n = s.file.read(&mut buf).await.unwrap();
                    s.got.extend_from_slice(&buf[..n]);
                }
            },
            async |s: &mut S| {
                s.file.read_to_end(&mut s.got).await.unwrap();
                assert_eq!(s.got, expected, "bytes were lost or repeated");
            },
        ),
    );
}

/// Frames of a length byte and that many bytes, over a stream that delivers them in pieces.
struct Frames {
    stream: anyrt::io::DuplexStream,
    /// What the cancel-safe reader has of a frame so far (kept across drops).
    partial: Vec<u8>,
    frames: Vec<Vec<u8>>,
}

async fn frames_setup() -> Frames {
    let (stream, mut peer) = anyrt::io::duplex(64);
    anyrt::spawn(async move {
        for frame in [&b"hello"[..], b"frames", b"!"] {
            let mut bytes = vec![frame.len() as u8];
            bytes.extend_from_slice(frame);
            for piece in bytes.chunks(2) {
                peer.write_all(piece).await.unwrap();
                anyrt::task::yield_now().await;
            }
        }
    });
    Frames {
        stream,
        partial: Vec::new(),
        frames: Vec::new(),
    }
}

async fn frames_check(s: &mut Frames, read: impl AsyncFn(&mut Frames) -> Option<Vec<u8>>) {
    while s.frames.len() < 3 {
        let frame = read(s)
            .await
            .expect("the stream ended in the middle of the frames");
        s.frames.push(frame);
    }
    assert_eq!(
        s.frames,
        [&b"hello"[..], b"frames", b"!"],
        "the frames came apart"
    );
}

/// Not cancel-safe: the frame read so far lives in a local of the future.
async fn read_frame_unsafe(s: &mut Frames) -> Option<Vec<u8>> {
    let mut len = [0u8; 1];
    s.stream.read_exact(&mut len).await.ok()?;
    let mut frame = vec![0u8; len[0] as usize];
    s.stream.read_exact(&mut frame).await.ok()?;
    Some(frame)
}

/// Cancel-safe: the frame read so far lives in the caller's state.
async fn read_frame_safe(s: &mut Frames) -> Option<Vec<u8>> {
    loop {
        if let Some(&len) = s.partial.first() {
            if s.partial.len() > len as usize {
                let frame = s.partial[1..=len as usize].to_vec();
                s.partial.drain(..=len as usize);
                return Some(frame);
            }
        }
        let mut byte = [0u8; 1];
        match s.stream.read(&mut byte).await {
            Ok(1) => s.partial.push(byte[0]),
            _ => return None,
        }
    }
}

#[test]
fn the_checker_finds_a_frame_reader_that_keeps_its_frame_in_a_local() {
    let failure = CancelCheck::seeds(SEEDS)
        .run(
            frames_setup,
            async |s: &mut Frames| {
                let frame = read_frame_unsafe(s).await.unwrap();
                s.frames.push(frame);
            },
            async |s: &mut Frames| frames_check(s, read_frame_unsafe).await,
        )
        .expect_err("the checker did not find the lost partial frame");
    let k = failure.cut().expect("found by a drop, not without one");
    assert!(k >= 1 && k <= failure.pendings(), "{failure}");
    let text = failure.to_string();
    assert!(
        text.contains("not cancel-safe") && text.contains("CancelCheck::only"),
        "{text}"
    );

    // The replay fails the same way.
    let again = CancelCheck::only(failure.seed(), k)
        .run(
            frames_setup,
            async |s: &mut Frames| {
                let frame = read_frame_unsafe(s).await.unwrap();
                s.frames.push(frame);
            },
            async |s: &mut Frames| frames_check(s, read_frame_unsafe).await,
        )
        .expect_err("the replay passed");
    assert_eq!(again.cut(), Some(k));

    // The reader that keeps its partial frame in the state passes.
    passes(
        "the cancel-safe frame reader",
        CancelCheck::seeds(SEEDS).run(
            frames_setup,
            async |s: &mut Frames| {
                let frame = read_frame_safe(s).await.unwrap();
                s.frames.push(frame);
            },
            async |s: &mut Frames| frames_check(s, read_frame_safe).await,
        ),
    );
}

#[test]
fn a_follow_up_that_waits_for_ever_fails_instead_of_hanging() {
    struct S {
        rx: anyrt::channel::Receiver<u32>,
        _tx: anyrt::channel::Sender<u32>,
    }
    let failure = CancelCheck::seeds(1)
        .run(
            async || {
                let (tx, rx) = anyrt::channel::bounded(1);
                S { rx, _tx: tx }
            },
            async |s: &mut S| {
                let _ = s.rx.try_recv();
            },
            async |s: &mut S| {
                s.rx.recv().await.unwrap();
            },
        )
        .expect_err("a follow-up that never ends passed");
    assert!(
        failure.message().contains("did not finish within"),
        "{failure}"
    );
}
