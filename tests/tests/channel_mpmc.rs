//! `anyrt::channel::{bounded, unbounded}` on every backend: every method and error path,
//! cancel safety in both directions, the blocking bridge, channels across backends, and
//! tokio's co-op budget.
//!
//! Semantics rows pinned here: "channel `recv()` future dropped before it completes",
//! "channel `send()` future dropped before it completes", "a busy loop over anyrt channels
//! on tokio", "`_blocking` channel methods inside an async task anyrt can see".

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use anyrt::channel::{
    bounded, unbounded, Receiver, RecvError, SendError, Sender, TryRecvError, TrySendError,
};
use anyrt::Backend;
use anyrt_tests::*;
use futures::future::{select, Either};
use futures::StreamExt;

fn assert_send_sync_static<T: Send + Sync + 'static>() {}
fn assert_clone<T: Clone>() {}
fn assert_unpin<T: Unpin>() {}

/// A small xorshift generator: enough randomness for cancellation points, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// True with probability 1/n.
    fn one_in(&mut self, n: u64) -> bool {
        matches!(self.next() % n, 0)
    }
}

/// Polls `fut` until the first time it is pending, then yields once to the executor, and
/// drops it if it has not completed by then: a cancellation while the future is registered
/// as a waiter. `Some(out)` if it completed.
async fn poll_then_cancel<F: Future>(fut: F) -> Option<F::Output> {
    let fut = pin!(fut);
    match select(fut, pin!(anyrt::task::yield_now())).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(((), _)) => None,
    }
}

/// Polls `fut` once and drops it if it is pending: a cancellation right after the future
/// registered as a waiter, racing the producers' wake-ups.
async fn poll_once_or_cancel<F: Future>(fut: F) -> Option<F::Output> {
    let mut fut = pin!(fut);
    std::future::poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(v) => Poll::Ready(Some(v)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

// --- types ---------------------------------------------------------------------------------

#[test]
fn handles_are_clone_send_sync_unpin() {
    assert_send_sync_static::<Sender<u8>>();
    assert_send_sync_static::<Receiver<u8>>();
    assert_clone::<Sender<std::cell::Cell<u8>>>();
    assert_clone::<Receiver<std::cell::Cell<u8>>>();
    assert_unpin::<Receiver<u8>>();
    assert_unpin::<Sender<u8>>();
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<SendError<u8>>();
    assert_error::<TrySendError<u8>>();
    assert_error::<RecvError>();
    assert_error::<TryRecvError>();
}

// --- every method, every error path ------------------------------------------------------

#[anyrt::test]
async fn send_recv_try_and_metadata() {
    let (tx, rx) = bounded(2);
    assert_eq!((tx.capacity(), rx.capacity()), (Some(2), Some(2)));
    assert!(tx.is_empty() && rx.is_empty() && !tx.is_full());
    within("send", tx.send(1)).await.unwrap();
    tx.try_send(2).unwrap();
    assert!(tx.is_full() && rx.is_full());
    assert_eq!((tx.len(), rx.len()), (2, 2));
    let err = tx.try_send(3).unwrap_err();
    assert!(err.is_full() && !err.is_closed());
    assert_eq!(err.into_inner(), 3);
    assert_eq!(within("recv", rx.recv()).await, Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    let err = rx.try_recv().unwrap_err();
    assert!(err.is_empty() && !err.is_closed());

    let (utx, urx) = unbounded();
    assert_eq!((utx.capacity(), urx.capacity()), (None, None));
    for i in 0..1000 {
        utx.try_send(i).unwrap();
    }
    assert_eq!(urx.len(), 1000);
    assert!(!utx.is_full());
}

#[anyrt::test]
async fn close_from_either_side_hands_messages_back() {
    for close_on_sender in [true, false] {
        let (tx, rx) = bounded(4);
        tx.send(1).await.unwrap();
        let closed_now = if close_on_sender {
            tx.close()
        } else {
            rx.close()
        };
        assert!(closed_now);
        assert!(!tx.close() && !rx.close(), "second close reports false");
        assert!(tx.is_closed() && rx.is_closed());
        assert_eq!(
            within("send", tx.send(2)).await.unwrap_err().into_inner(),
            2
        );
        let err = tx.try_send(3).unwrap_err();
        assert!(err.is_closed() && !err.is_full());
        assert_eq!(err.into_inner(), 3);
        // The message already in the channel is still received, then the error.
        assert_eq!(within("recv", rx.recv()).await, Ok(1));
        assert_eq!(within("recv", rx.recv()).await, Err(RecvError::new()));
        assert!(rx.try_recv().unwrap_err().is_closed());
    }
}

#[anyrt::test]
async fn dropping_every_sender_ends_the_receivers() {
    let (tx, rx) = bounded::<u32>(4);
    let rx2 = rx.clone();
    let waiting = anyrt::spawn(async move { rx2.recv().await });
    let tx2 = tx.clone();
    drop(tx);
    tx2.send(5).await.unwrap();
    drop(tx2);
    let first = within("the waiting receiver", waiting).await.unwrap();
    let second = within("recv", rx.recv()).await;
    // One of the two receivers got the message, the other the end of the channel.
    let got = [first, second];
    assert!(
        got == [Ok(5), Err(RecvError::new())] || got == [Err(RecvError::new()), Ok(5)],
        "{got:?}"
    );
}

#[anyrt::test]
async fn dropping_every_receiver_fails_pending_and_later_sends() {
    let (tx, rx) = bounded(1);
    tx.send(0u8).await.unwrap();
    let tx2 = tx.clone();
    let pending_send = anyrt::spawn(async move { tx2.send(1).await });
    anyrt::time::sleep(Duration::from_millis(5)).await;
    drop(rx);
    let err = within("the pending send", pending_send)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.into_inner(),
        1,
        "the pending send hands its message back"
    );
    assert!(tx.is_closed());
    within("closed", tx.closed()).await;
}

#[anyrt::test]
async fn counts_and_same_channel() {
    let (tx, rx) = bounded::<u8>(1);
    let (tx2, rx2, rx3) = (tx.clone(), rx.clone(), rx.clone());
    assert_eq!((tx.sender_count(), tx.receiver_count()), (2, 3));
    assert!(tx.same_channel(&tx2) && rx.same_channel(&rx3));
    let (other_tx, _other_rx) = bounded::<u8>(1);
    assert!(!tx.same_channel(&other_tx));
    drop((tx2, rx2));
    assert_eq!((rx.sender_count(), rx.receiver_count()), (1, 2));
}

#[anyrt::test]
async fn receiver_is_a_stream_until_closed() {
    let (tx, mut rx) = bounded(8);
    let producer = anyrt::spawn(async move {
        for i in 0..100 {
            tx.send(i).await.unwrap();
        }
    });
    let got: Vec<i32> = within("collect", rx.by_ref().collect()).await;
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    within("producer", producer).await.unwrap();
    assert_eq!(rx.next().await, None);
    use futures::stream::FusedStream;
    assert!(rx.is_terminated());
}

#[anyrt::test]
async fn errors_debug_without_t_debug_and_say_what_to_do() {
    struct NoDebug;
    let (tx, rx) = bounded::<NoDebug>(1);
    tx.try_send(NoDebug).unwrap();
    let full = tx.try_send(NoDebug).unwrap_err();
    assert_eq!(format!("{full:?}"), "Full(..)");
    assert!(full.to_string().contains("send().await"), "{full}");
    drop(rx);
    let closed = tx.send(NoDebug).await.unwrap_err();
    assert_eq!(format!("{closed:?}"), "SendError(..)");
    assert!(closed.to_string().contains("into_inner"), "{closed}");
    assert!(format!("{tx:?}").contains("is_closed: true"));
    assert!(RecvError::new().to_string().contains("stop receiving"));
    assert!(TryRecvError::Empty.to_string().contains("recv().await"));
}

#[anyrt::test]
async fn bounded_zero_is_a_clear_panic() {
    // anyrt picks "a clear error" over a rendezvous channel (see `bounded`).
    let msg = catch_panic(|| bounded::<u8>(0)).unwrap_err();
    assert!(msg.contains("bounded(0)"), "{msg}");
    assert!(msg.contains("bounded(1)"), "{msg}");
}

// --- cancel safety -------------------------------------------------------------------------

#[anyrt::test]
async fn dropped_send_is_never_delivered() {
    let (tx, rx) = bounded(1);
    tx.send(0u32).await.unwrap();
    // A send that waits on the full channel, abandoned by a timeout.
    let timed_out = anyrt::time::timeout(Duration::from_millis(5), tx.send(1)).await;
    assert!(timed_out.is_err());
    // Room appears after the drop: the dropped message must not take it.
    assert_eq!(rx.recv().await, Ok(0));
    anyrt::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));

    // The same with the losing arm of a select, many times, while a consumer drains.
    let (tx, rx) = bounded(1);
    let consumer = anyrt::spawn(async move {
        let mut got = Vec::new();
        while let Ok(v) = rx.recv().await {
            got.push(v);
        }
        got
    });
    let mut expected = Vec::new();
    for i in 0..2000u32 {
        if poll_then_cancel(tx.send(i)).await.is_some() {
            expected.push(i);
        }
    }
    drop(tx);
    let got = within("the consumer", consumer).await.unwrap();
    assert_eq!(got, expected, "exactly the completed sends were delivered");
}

#[anyrt::test]
async fn dropped_recv_never_loses_a_message() {
    let (tx, rx) = bounded(4);
    let producer = anyrt::spawn(async move {
        let mut rng = Rng::new(7);
        for i in 0..5000u32 {
            tx.send(i).await.unwrap();
            if rng.one_in(50) {
                anyrt::time::sleep(Duration::from_micros(100)).await;
            }
        }
    });
    let mut got = Vec::new();
    let mut cancelled = 0;
    within("the select loop", async {
        loop {
            let recv = pin!(rx.recv());
            let tick = pin!(anyrt::time::sleep(Duration::from_micros(50)));
            match select(recv, tick).await {
                Either::Left((Ok(v), _)) => got.push(v),
                Either::Left((Err(_), _)) => break,
                Either::Right(_) => cancelled += 1,
            }
        }
    })
    .await;
    within("producer", producer).await.unwrap();
    assert_eq!(got, (0..5000).collect::<Vec<_>>());
    assert!(cancelled > 0, "the test never cancelled a recv");
}

/// 1,000,000 numbered messages, 4 producers and 4 consumers over `bounded(64)`. Consumers
/// cancel pending `recv()` at random (dropped right after registering as a waiter, dropped
/// after a yield, or lost to a timer) and producers cancel pending `send()` at random
/// (retrying the same number), so a lost message shows up as a gap, and a late delivery of
/// a dropped send as a duplicate. Producers pause now and then so the channel runs empty
/// and receivers really wait, and consumers fall behind now and then so that senders wait. About 2 s per backend in a debug build; bounded by 60 s.
#[anyrt::test]
async fn stress_mpmc_with_random_cancellation() {
    stress_with_random_cancellation(4, 4, 1_000_000).await;
}

/// The same with 8 producers and 8 consumers (more waiters at once, so more of them meet a
/// slot another task is half-way through).
#[anyrt::test]
async fn stress_8x8_mpmc_with_random_cancellation() {
    stress_with_random_cancellation(8, 8, 400_000).await;
}

async fn stress_with_random_cancellation(n_producers: u32, n_consumers: u64, total: u32) {
    let per = total / n_producers;
    let (tx, rx) = bounded::<u32>(64);
    let cancelled_recv = Arc::new(AtomicUsize::new(0));
    let cancelled_send = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();

    let producers: Vec<_> = (0..n_producers)
        .map(|p| {
            let tx = tx.clone();
            let cancelled = cancelled_send.clone();
            anyrt::spawn(async move {
                let mut rng = Rng::new(100 + p as u64);
                for i in p * per..(p + 1) * per {
                    if i & 63 == 0 {
                        anyrt::task::yield_now().await;
                    }
                    loop {
                        if rng.one_in(8) {
                            match poll_once_or_cancel(tx.send(i)).await {
                                Some(r) => break r.unwrap(),
                                None => {
                                    cancelled.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        } else if rng.one_in(8) {
                            match poll_then_cancel(tx.send(i)).await {
                                Some(r) => break r.unwrap(),
                                None => {
                                    cancelled.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        } else {
                            break tx.send(i).await.unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    drop(tx);

    let consumers: Vec<_> = (0..n_consumers)
        .map(|c| {
            let rx = rx.clone();
            let cancelled = cancelled_recv.clone();
            anyrt::spawn(async move {
                let mut rng = Rng::new(200 + c);
                let mut got = Vec::with_capacity((total / 3) as usize);
                loop {
                    let r = if rng.one_in(4) {
                        match poll_once_or_cancel(rx.recv()).await {
                            Some(r) => r,
                            None => {
                                cancelled.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                        }
                    } else if rng.one_in(4) {
                        match poll_then_cancel(rx.recv()).await {
                            Some(r) => r,
                            None => {
                                cancelled.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                        }
                    } else if rng.one_in(512) {
                        // A real timer racing a waiting recv.
                        match anyrt::time::timeout(Duration::from_micros(20), rx.recv()).await {
                            Ok(r) => r,
                            Err(_) => {
                                cancelled.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                        }
                    } else {
                        rx.recv().await
                    };
                    if rng.one_in(64) {
                        // Fall behind now and then, so that senders find the channel full.
                        anyrt::task::yield_now().await;
                    }
                    match r {
                        Ok(v) => got.push(v),
                        Err(_) => break got,
                    }
                }
            })
        })
        .collect();
    drop(rx);

    let bound = Duration::from_secs(60);
    let outcome = anyrt::time::timeout(bound, async {
        for p in producers {
            p.await.unwrap();
        }
        let mut all = Vec::new();
        for c in consumers {
            all.push(c.await.unwrap());
        }
        all
    })
    .await;
    let per_consumer = outcome.unwrap_or_else(|_| panic!("stress test exceeded {bound:?}"));

    let mut seen = vec![false; total as usize];
    let mut count = 0usize;
    for got in &per_consumer {
        // Each producer's numbers arrive in order at any one consumer (FIFO channel).
        let mut last = vec![None::<u32>; n_producers as usize];
        for &v in got {
            assert!(!seen[v as usize], "message {v} delivered twice");
            seen[v as usize] = true;
            count += 1;
            let p = (v / per) as usize;
            assert!(last[p].is_none_or(|l| l < v), "message {v} out of order");
            last[p] = Some(v);
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        panic!("message {missing} lost ({count} of {total} received)");
    }
    assert_eq!(count, total as usize);
    let (cr, cs) = (
        cancelled_recv.load(Ordering::Relaxed),
        cancelled_send.load(Ordering::Relaxed),
    );
    assert!(
        cr > 0 && cs > 0,
        "no recv ({cr}) or no send ({cs}) was cancelled"
    );
    eprintln!(
        "stress on {:?}: {total} messages in {:?}, {cr} recv and {cs} send cancelled",
        Backend::current(),
        started.elapsed()
    );
}

/// Rounds of [`close_races_sends_and_receives`]; `ANYRT_STRESS_ROUNDS` sets more, for a run
/// by hand.
fn close_race_rounds() -> u32 {
    std::env::var("ANYRT_STRESS_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// 4 senders, 3 receivers and a closer on `bounded(16)`, in rounds: the close comes at a
/// random point while senders push and receivers wait, so that it meets receivers waiting
/// behind a push that is half-way. Every receiver must end (a receiver asleep on a closed,
/// empty channel hangs the round: 10 s, then the test fails) and every message sent is
/// received once.
#[anyrt::test]
async fn close_races_sends_and_receives() {
    const SENDERS: u32 = 4;
    const RECEIVERS: usize = 3;
    let rounds = close_race_rounds();
    let mut rng = Rng::new(7);
    for round in 0..rounds {
        let (tx, rx) = bounded::<u32>(16);
        let close_after = rng.next() % 64;
        let senders: Vec<_> = (0..SENDERS)
            .map(|p| {
                let tx = tx.clone();
                anyrt::spawn(async move {
                    let mut sent = Vec::new();
                    for i in 0.. {
                        let v = p * 1_000_000 + i;
                        if tx.send(v).await.is_err() {
                            break;
                        }
                        sent.push(v);
                        if i % 8 == 7 {
                            anyrt::task::yield_now().await;
                        }
                    }
                    sent
                })
            })
            .collect();
        let receivers: Vec<_> = (0..RECEIVERS)
            .map(|_| {
                let rx = rx.clone();
                anyrt::spawn(async move {
                    let mut got = Vec::new();
                    while let Ok(v) = rx.recv().await {
                        got.push(v);
                    }
                    got
                })
            })
            .collect();
        let closer = anyrt::spawn(async move {
            for _ in 0..close_after {
                anyrt::task::yield_now().await;
            }
            tx.close();
        });
        drop(rx);
        within("the closer", closer).await.unwrap();
        let mut sent = Vec::new();
        for s in senders {
            sent.extend(within("a sender after the close", s).await.unwrap());
        }
        let mut got = Vec::new();
        for r in receivers {
            let what = format!("round {round}: a receiver after the close");
            got.extend(within(&what, r).await.unwrap());
        }
        sent.sort_unstable();
        got.sort_unstable();
        assert_eq!(
            got, sent,
            "round {round}: what was sent is not what was received"
        );
    }
}

/// The same race on plain threads through the blocking methods, which poll again only when
/// woken (a lost wake-up hangs them as it would a task).
#[test]
fn close_races_blocking_sends_and_receives() {
    const SENDERS: u32 = 4;
    const RECEIVERS: usize = 3;
    let rounds = close_race_rounds() / 3;
    let mut rng = Rng::new(11);
    for round in 0..rounds {
        let (tx, rx) = bounded::<u32>(16);
        let close_after = rng.next() % 200;
        let out = on_plain_thread("a round of the blocking close race", move || {
            std::thread::scope(|scope| {
                let senders: Vec<_> = (0..SENDERS)
                    .map(|p| {
                        let tx = tx.clone();
                        scope.spawn(move || {
                            let mut sent = Vec::new();
                            for i in 0.. {
                                let v = p * 1_000_000 + i;
                                if tx.send_blocking(v).is_err() {
                                    break;
                                }
                                sent.push(v);
                            }
                            sent
                        })
                    })
                    .collect();
                let receivers: Vec<_> = (0..RECEIVERS)
                    .map(|_| {
                        let rx = rx.clone();
                        scope.spawn(move || {
                            let mut got = Vec::new();
                            while let Ok(v) = rx.recv_blocking() {
                                got.push(v);
                            }
                            got
                        })
                    })
                    .collect();
                drop(rx);
                for _ in 0..close_after {
                    std::thread::yield_now();
                }
                tx.close();
                let mut sent: Vec<u32> = senders
                    .into_iter()
                    .flat_map(|s| s.join().unwrap())
                    .collect();
                let mut got: Vec<u32> = receivers
                    .into_iter()
                    .flat_map(|r| r.join().unwrap())
                    .collect();
                sent.sort_unstable();
                got.sort_unstable();
                (sent, got)
            })
        });
        assert_eq!(
            out.1, out.0,
            "round {round}: what was sent is not what was received"
        );
    }
}

// --- the blocking bridge -------------------------------------------------------------------

#[anyrt::test]
async fn plain_thread_producer_feeds_an_async_consumer() {
    let (tx, rx) = bounded(16);
    let producer = std::thread::spawn(move || {
        for i in 0..10_000u32 {
            tx.send_blocking(i).unwrap();
        }
    });
    let mut next = 0;
    within("the stream of messages", async {
        while let Ok(v) = rx.recv().await {
            assert_eq!(v, next);
            next += 1;
        }
    })
    .await;
    assert_eq!(next, 10_000);
    producer.join().unwrap();
}

#[anyrt::test]
async fn async_producer_feeds_a_plain_thread_consumer() {
    let (tx, rx) = bounded(16);
    let consumer = std::thread::spawn(move || {
        let mut n = 0u32;
        while let Ok(v) = rx.recv_blocking() {
            assert_eq!(v, n);
            n += 1;
        }
        n
    });
    for i in 0..10_000u32 {
        within("send", tx.send(i)).await.unwrap();
    }
    drop(tx);
    let n = within(
        "the consumer thread",
        anyrt::spawn_blocking(move || consumer.join().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(n, 10_000);
}

#[anyrt::test]
async fn blocking_methods_panic_inside_async_code() {
    let (tx, rx) = bounded::<u8>(1);
    // In the body (inside the runtime's block_on) ...
    let msg = catch_panic(|| rx.recv_blocking()).unwrap_err();
    assert!(msg.contains("spawn_blocking"), "{msg}");
    let msg = catch_panic(|| tx.send_blocking(1)).unwrap_err();
    assert!(msg.contains("spawn_blocking"), "{msg}");
    assert!(rx.is_empty(), "the refused send sent nothing");
    // ... and inside a spawned task, even on a channel that would not block.
    let (tx2, rx2) = (tx.clone(), rx.clone());
    let msgs = within(
        "the task",
        anyrt::spawn(async move {
            (
                catch_panic(|| tx2.send_blocking(1)).unwrap_err(),
                catch_panic(|| rx2.recv_blocking()).unwrap_err(),
            )
        }),
    )
    .await
    .unwrap();
    assert!(msgs.0.contains("spawn_blocking"), "{}", msgs.0);
    assert!(msgs.1.contains("spawn_blocking"), "{}", msgs.1);
    assert!(rx.is_empty());
}

#[anyrt::test]
async fn blocking_methods_work_inside_spawn_blocking() {
    let (tx, rx) = bounded(1);
    let (back_tx, back_rx) = bounded(1);
    let worker = anyrt::spawn_blocking(move || {
        while let Ok(v) = rx.recv_blocking() {
            back_tx.send_blocking(v * 2).unwrap();
        }
    });
    for i in 0..100u32 {
        tx.send(i).await.unwrap();
        assert_eq!(within("reply", back_rx.recv()).await, Ok(i * 2));
    }
    drop(tx);
    within("the blocking worker", worker).await.unwrap();
}

// --- across backends ---------------------------------------------------------------------

/// Senders on one backend's `Runtime`, receivers on another's, for every ordered pair of
/// the backends in this build.
#[test]
fn senders_and_receivers_on_different_backends() {
    let backends = compiled_backends();
    for &from in &backends {
        for &to in &backends {
            if from == to {
                continue;
            }
            let rt_from = anyrt::Runtime::new(from).unwrap();
            let rt_to = anyrt::Runtime::new(to).unwrap();
            let (tx, rx) = bounded::<u32>(8);
            let producers: Vec<_> = (0..2u32)
                .map(|p| {
                    let tx = tx.clone();
                    rt_from.spawn(async move {
                        assert_eq!(Backend::current(), Some(from));
                        for i in 0..5000 {
                            tx.send(p * 5000 + i).await.unwrap();
                        }
                    })
                })
                .collect();
            drop(tx);
            let consumers: Vec<_> = (0..2)
                .map(|_| {
                    let rx = rx.clone();
                    rt_to.spawn(async move {
                        assert_eq!(Backend::current(), Some(to));
                        let mut got = Vec::new();
                        while let Ok(v) = rx.recv().await {
                            got.push(v);
                        }
                        got
                    })
                })
                .collect();
            drop(rx);
            let mut all = rt_to.block_on(within("the cross-backend run", async {
                for p in producers {
                    p.await.unwrap();
                }
                let mut all = Vec::new();
                for c in consumers {
                    all.extend(c.await.unwrap());
                }
                all
            }));
            all.sort_unstable();
            assert_eq!(all, (0..10_000).collect::<Vec<_>>(), "{from} -> {to}");
        }
    }
}

// --- tokio's co-op budget ------------------------------------------------------------------

/// A receive loop over an always-full channel never waits, so without the co-op budget it
/// would starve every other task on its worker. With one worker, a task spawned after the
/// loop started can only run (and set the flag) if the loop yields, as tokio's own mpsc
/// does.
#[anyrt::test(tokio, worker_threads = 1)]
async fn busy_recv_loop_yields_on_tokio() {
    let (tx, rx) = bounded::<u32>(16);
    for i in 0..16 {
        tx.try_send(i).unwrap();
    }
    let flag = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let (flag2, started2) = (flag.clone(), started.clone());
    let busy = anyrt::spawn(async move {
        started2.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut iterations = 0u64;
        while !flag2.load(Ordering::SeqCst) {
            let v = rx.recv().await.unwrap();
            tx.try_send(v).unwrap(); // keep it full: recv is always ready
            iterations += 1;
            if Instant::now() > deadline {
                return Err(iterations);
            }
        }
        Ok(iterations)
    });
    // Wait on this (block_on) thread, not the worker, until the loop runs.
    wait_until("the busy loop to start", || started.load(Ordering::SeqCst));
    anyrt::spawn(async move { flag.store(true, Ordering::SeqCst) });
    match within("the busy loop", busy).await.unwrap() {
        Ok(n) => assert!(n > 0),
        Err(n) => panic!("the busy recv loop never yielded ({n} iterations in 5 s)"),
    }
}

/// Senders and receivers on plain threads through the blocking methods (each polls again
/// only when woken, so a lost wake-up hangs it), at capacities from 1 to 100 (around 32, a
/// batch a wake policy that wakes fewer waiters would use). The receivers take an exact
/// share each and stop, with `cap` messages left for the channel: every sender must still
/// finish (no sender sleeps while there is room after the last receive), and every receiver
/// must get its share (none sleeps while a message waits after the last send). A hang fails
/// the test after 60 s.
#[test]
fn senders_and_receivers_polled_only_when_woken_lose_no_wake_up() {
    const SENDERS: u64 = 4;
    const RECEIVERS: u64 = 3;
    // Many short rounds: the end of a round, when the last receive or send is done, is
    // where a wake-up left to a waiter that does not pass it on would be lost.
    const EACH: u64 = 40;
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for round in 0..150 {
            for cap in [1, 2, 3, 31, 32, 33, 64, 100] {
                let total = SENDERS * EACH;
                let (tx, rx) = bounded::<u64>(cap);
                let senders: Vec<_> = (0..SENDERS)
                    .map(|p| {
                        let tx = tx.clone();
                        std::thread::spawn(move || {
                            for i in 0..EACH {
                                tx.send_blocking(p * EACH + i).unwrap();
                            }
                        })
                    })
                    .collect();
                // Shares that leave `cap` messages in the channel.
                let taken = total - cap as u64;
                let receivers: Vec<_> = (0..RECEIVERS)
                    .map(|r| {
                        let rx = rx.clone();
                        let share = taken / RECEIVERS + u64::from(r < taken % RECEIVERS);
                        std::thread::spawn(move || {
                            (0..share)
                                .map(|_| rx.recv_blocking().unwrap())
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                for s in senders {
                    s.join().unwrap();
                }
                let mut got: Vec<u64> = receivers
                    .into_iter()
                    .flat_map(|r| r.join().unwrap())
                    .collect();
                assert_eq!(rx.len(), cap, "round {round}, bounded({cap})");
                got.extend(std::iter::from_fn(|| rx.try_recv().ok()));
                got.sort_unstable();
                assert!(
                    got.iter().copied().eq(0..total),
                    "round {round}, bounded({cap}): the messages received are not those sent"
                );
            }
        }
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("a sender or receiver polled only when woken hung: a lost wake-up");
}
