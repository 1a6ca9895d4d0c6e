//! Structured cancellation: `abort`, `abort_on_drop`, `JoinSet`, timeouts, cancel-safe `recv`.
//!
//! Run it with `cargo run -p anyrt-examples --example cancellation`.
//!
//! Cancelling a task drops its future at its next `.await`: destructors run, nothing after
//! that await does. `Stopped` below reports each drop over a channel, so the example can
//! show (with bounded waits) which tasks were stopped.

use std::future::Future;
use std::time::Duration;

use anyrt::channel::{self, Sender};
use anyrt::task::JoinSet;
use anyrt::time::{sleep, timeout};
use futures_lite::future;

/// Sends its name when dropped: proof that a task's future was dropped.
struct Stopped(&'static str, Sender<&'static str>);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.1.try_send(self.0);
    }
}

/// A task that would run for an hour unless cancelled. The guard is part of the future
/// from the start, so it reports even a task aborted before its first poll.
async fn long_task(_guard: Stopped) {
    sleep(Duration::from_secs(3600)).await;
}

/// Bounds every wait of the example, so a bug fails instead of hanging.
fn within<F: Future>(f: F) -> anyrt::time::Timeout<F> {
    timeout(Duration::from_secs(2), f)
}

async fn demo() {
    let (tx, stopped) = channel::unbounded();

    // abort(): the task is dropped at its next await; its handle says it was cancelled.
    let mut h = anyrt::spawn(long_task(Stopped("aborted", tx.clone())));
    h.abort();
    let err = h.await.unwrap_err();
    println!(
        "  abort()           -> is_cancelled: {}, {err}",
        err.is_cancelled()
    );

    // Dropping a plain handle detaches: the task keeps running (smol would cancel it).
    let (done_tx, done_rx) = channel::oneshot::channel();
    drop(anyrt::spawn(
        async move { done_tx.send("still ran").unwrap() },
    ));
    println!(
        "  handle dropped    -> {}",
        within(done_rx).await.unwrap().unwrap()
    );

    // abort_on_drop(): a guard for tasks that must not outlive their scope.
    {
        let _guard = anyrt::spawn(long_task(Stopped("scoped", tx.clone()))).abort_on_drop();
        sleep(Duration::from_millis(5)).await;
    }
    // Dropping a JoinSet aborts every task in it.
    let mut set = JoinSet::new();
    for name in ["set-1", "set-2", "set-3"] {
        set.spawn(long_task(Stopped(name, tx.clone())));
    }
    drop(set);
    let mut names = Vec::new();
    for _ in 0..5 {
        names.push(within(stopped.recv()).await.unwrap().unwrap());
    }
    names.sort();
    println!("  dropped futures   -> {names:?}");

    // timeout(): the inner future is dropped when the time is up.
    let slow = timeout(Duration::from_millis(10), sleep(Duration::from_secs(60))).await;
    let fast = timeout(Duration::from_millis(500), async { "fast" }).await;
    println!("  timeout           -> slow: {slow:?}, fast: {fast:?}");

    // recv() is cancel-safe: in a race, the losing recv future is dropped and no message
    // is lost. Here the tick wins often, and all 20 messages still arrive.
    let (msg_tx, msg_rx) = channel::bounded(4);
    anyrt::spawn(async move {
        for i in 0..20u32 {
            msg_tx.send(i).await.unwrap();
            sleep(Duration::from_millis(1)).await;
        }
    });
    let (mut got, mut ticks) = (Vec::new(), 0);
    loop {
        let msg = async { Some(msg_rx.recv().await) };
        let tick = async {
            sleep(Duration::from_micros(300)).await;
            None
        };
        match future::or(msg, tick).await {
            Some(Ok(i)) => got.push(i),
            Some(Err(_closed)) => break,
            None => ticks += 1,
        }
    }
    assert_eq!(got, (0..20).collect::<Vec<_>>());
    println!(
        "  recv() in a race  -> all {} messages, in order, after {ticks} lost races",
        got.len()
    );
}

/// Checking a reader's cancel safety under the simulation: a frame reader that keeps the
/// frame read so far in a local loses it when a `select!` or a timeout drops it;
/// `anyrt::sim::cancel::CancelCheck` drops it at each of its await points and finds that.
#[cfg(feature = "sim")]
fn checker() {
    use anyrt::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
    use anyrt::sim::cancel::CancelCheck;

    struct Frames {
        stream: DuplexStream,
        frames: Vec<Vec<u8>>,
    }

    // Frames of a length byte and that many bytes, arriving two bytes at a time.
    async fn setup() -> Frames {
        let (stream, mut peer) = anyrt::io::duplex(64);
        anyrt::spawn(async move {
            for frame in [&b"hello"[..], b"frames"] {
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
            frames: Vec::new(),
        }
    }

    // The bug: the length byte, once read, lives only in this future.
    async fn read_frame(s: &mut Frames) -> Vec<u8> {
        let mut len = [0u8; 1];
        s.stream.read_exact(&mut len).await.unwrap();
        let mut frame = vec![0u8; len[0] as usize];
        s.stream.read_exact(&mut frame).await.unwrap();
        frame
    }

    let result = CancelCheck::seeds(4).run(
        setup,
        async |s: &mut Frames| {
            let frame = read_frame(s).await;
            s.frames.push(frame);
        },
        async |s: &mut Frames| {
            while s.frames.len() < 2 {
                let frame = read_frame(s).await;
                s.frames.push(frame);
            }
            assert_eq!(
                s.frames,
                [&b"hello"[..], b"frames"],
                "the frames came apart"
            );
        },
    );
    match result {
        Ok(report) => println!(
            "\ncancel-safety check: {} drops, none broke the frames (unexpected)",
            report.cuts
        ),
        Err(failure) => println!("\ncancel-safety check of a frame reader:\n  {failure}"),
    }
}

#[cfg(not(feature = "sim"))]
fn checker() {}

fn main() {
    for &backend in anyrt::Backend::enabled() {
        println!("{backend}:");
        anyrt::Runtime::new(backend).unwrap().block_on(demo());
    }
    checker();
}
