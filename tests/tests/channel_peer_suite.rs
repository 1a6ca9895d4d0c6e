//! A trusted channel suite's semantic tests, moved onto anyrt's `bounded` and `unbounded` and
//! run on every backend: the cases of async-channel's `tests/bounded.rs` and
//! `tests/unbounded.rs` (the channels whose API and rules anyrt's follow) and the cases of
//! tokio's `tests/sync_mpsc.rs` that anyrt's API has. Threads and seconds-long sleeps became
//! tasks and milliseconds; the counts are smaller, the assertions the same.
//!
//! Not moved, because anyrt has no such API: tokio's permits (`reserve`, `try_reserve`,
//! `reserve_owned`, `Permit`), `WeakSender`, `recv_many`, `max_capacity`, `send_timeout`,
//! the rendezvous `bounded(0)` (a panic by design, tested in `channel_mpmc.rs`), and
//! async-channel's `force_send` and `downgrade`. Cases about wasm or about tokio's own
//! runtime (`blocking_recv` inside a tokio runtime panicking with tokio's message) became
//! anyrt's rule: the `_blocking` methods panic inside async code, naming `spawn_blocking`.

#![cfg(feature = "_backend")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyrt::channel::{bounded, unbounded, Receiver, Sender, TryRecvError, TrySendError};
use anyrt_tests::*;
use futures::StreamExt;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn sleep(n: u64) {
    anyrt::time::sleep(ms(n)).await;
}

/// `bounded(cap)`, or `unbounded()` for `None`: most cases run on both.
fn channel<T>(cap: Option<usize>) -> (Sender<T>, Receiver<T>) {
    match cap {
        Some(c) => bounded(c),
        None => unbounded(),
    }
}

#[anyrt::test]
async fn smoke() {
    let (s, r) = bounded(1);
    s.send(7).await.unwrap();
    assert_eq!(r.try_recv(), Ok(7));
    s.send(8).await.unwrap();
    assert_eq!(r.recv().await, Ok(8));
    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));

    let (s, r) = unbounded();
    s.send(7).await.unwrap();
    assert_eq!(r.try_recv(), Ok(7));
    s.try_send(8).unwrap();
    assert_eq!(r.recv().await, Ok(8));
    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
}

#[anyrt::test]
async fn capacity() {
    for i in 1..10 {
        let (s, r) = bounded::<()>(i);
        assert_eq!((s.capacity(), r.capacity()), (Some(i), Some(i)));
    }
    let (s, r) = unbounded::<()>();
    assert_eq!((s.capacity(), r.capacity()), (None, None));
}

#[anyrt::test]
async fn len_empty_full() {
    let (s, r) = bounded(2);
    let state = |s: &Sender<()>| (s.len(), s.is_empty(), s.is_full());
    assert_eq!(state(&s), (0, true, false));
    assert_eq!((r.len(), r.is_empty(), r.is_full()), (0, true, false));
    s.send(()).await.unwrap();
    assert_eq!(state(&s), (1, false, false));
    assert_eq!((r.len(), r.is_empty(), r.is_full()), (1, false, false));
    s.send(()).await.unwrap();
    assert_eq!(state(&s), (2, false, true));
    assert_eq!((r.len(), r.is_empty(), r.is_full()), (2, false, true));
    r.recv().await.unwrap();
    assert_eq!(state(&s), (1, false, false));
    assert_eq!((r.len(), r.is_empty(), r.is_full()), (1, false, false));

    let (s, r) = unbounded();
    assert_eq!(state(&s), (0, true, false));
    s.send(()).await.unwrap();
    assert_eq!((r.len(), r.is_empty(), r.is_full()), (1, false, false));
}

#[anyrt::test]
async fn try_recv_as_messages_come_and_the_channel_closes() {
    for cap in [Some(100), None] {
        let (s, r) = channel(cap);
        let receiver = anyrt::spawn(async move {
            assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
            sleep(30).await;
            assert_eq!(r.try_recv(), Ok(7));
            sleep(20).await;
            assert_eq!(r.try_recv(), Err(TryRecvError::Closed));
        });
        let sender = anyrt::spawn(async move {
            sleep(10).await;
            s.send(7).await.unwrap();
        });
        within("the sender", sender).await.unwrap();
        within("the receiver", receiver).await.unwrap();
    }
}

#[anyrt::test]
async fn recv_waits_for_each_message_then_the_close() {
    for cap in [Some(100), None] {
        let (s, r) = channel(cap);
        let receiver = anyrt::spawn(async move {
            assert_eq!(r.recv().await, Ok(7));
            sleep(10).await;
            assert_eq!(r.recv().await, Ok(8));
            sleep(10).await;
            assert_eq!(r.recv().await, Ok(9));
            assert!(r.recv().await.is_err());
        });
        sleep(15).await;
        for v in 7..10 {
            s.send(v).await.unwrap();
        }
        drop(s);
        within("the receiver", receiver).await.unwrap();
    }
}

#[anyrt::test]
async fn try_send_full_then_room_then_closed() {
    let (s, r) = bounded(1);
    let sender = anyrt::spawn(async move {
        assert_eq!(s.try_send(1), Ok(()));
        assert_eq!(s.try_send(2), Err(TrySendError::Full(2)));
        sleep(30).await;
        assert_eq!(s.try_send(3), Ok(()));
        sleep(30).await;
        assert_eq!(s.try_send(4), Err(TrySendError::Closed(4)));
    });
    sleep(10).await;
    assert_eq!(r.try_recv(), Ok(1));
    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(within("the third message", r.recv()).await, Ok(3));
    drop(r);
    within("the sender", sender).await.unwrap();
}

#[anyrt::test]
async fn send_waits_for_room() {
    let (s, r) = bounded(1);
    let sender = anyrt::spawn(async move {
        for v in 7..11 {
            s.send(v).await.unwrap();
            sleep(5).await;
        }
    });
    sleep(15).await;
    for v in 7..11 {
        assert_eq!(within("a message", r.recv()).await, Ok(v));
    }
    within("the sender", sender).await.unwrap();
}

#[anyrt::test]
async fn send_after_close_hands_the_message_back() {
    for cap in [Some(100), None] {
        let (s, r) = channel(cap);
        for v in 1..4 {
            s.send(v).await.unwrap();
        }
        drop(r);
        assert_eq!(s.send(4).await.unwrap_err().into_inner(), 4);
        assert_eq!(s.try_send(5), Err(TrySendError::Closed(5)));
        assert_eq!(s.send(6).await.unwrap_err().into_inner(), 6);
    }
}

#[anyrt::test]
async fn recv_after_close_drains_then_fails() {
    for cap in [Some(100), None] {
        let (s, r) = channel(cap);
        for v in 1..4 {
            s.send(v).await.unwrap();
        }
        drop(s);
        for v in 1..4 {
            assert_eq!(r.recv().await, Ok(v));
        }
        assert!(r.recv().await.is_err());
        assert_eq!(r.try_recv(), Err(TryRecvError::Closed));
    }
}

#[anyrt::test]
async fn len_follows_sends_and_receives() {
    const COUNT: usize = 5_000;
    const CAP: usize = 100;
    let (s, r) = bounded(CAP);
    for _ in 0..CAP / 10 {
        for i in 0..50 {
            s.send(i).await.unwrap();
            assert_eq!(s.len(), i + 1);
        }
        for i in 0..50 {
            r.recv().await.unwrap();
            assert_eq!(r.len(), 50 - i - 1);
        }
    }
    for i in 0..CAP {
        s.send(i).await.unwrap();
        assert_eq!(s.len(), i + 1);
    }
    for _ in 0..CAP {
        r.recv().await.unwrap();
    }
    assert_eq!((s.len(), r.len()), (0, 0));
    let (s2, r2) = (s.clone(), r.clone());
    let receiver = anyrt::spawn(async move {
        for i in 0..COUNT {
            assert_eq!(r2.recv().await, Ok(i));
            assert!(r2.len() <= CAP);
        }
    });
    let sender = anyrt::spawn(async move {
        for i in 0..COUNT {
            s2.send(i).await.unwrap();
            assert!(s2.len() <= CAP);
        }
    });
    within("the sender", sender).await.unwrap();
    within("the receiver", receiver).await.unwrap();
    assert_eq!((s.len(), r.len()), (0, 0));
}

#[anyrt::test]
async fn receiver_and_sender_counts() {
    let (s, r) = bounded::<()>(5);
    let receivers: Vec<_> = (0..20).map(|_| r.clone()).collect();
    assert_eq!((s.receiver_count(), r.receiver_count()), (21, 21));
    drop(receivers);
    assert_eq!((s.receiver_count(), r.receiver_count()), (1, 1));
    let senders: Vec<_> = (0..20).map(|_| s.clone()).collect();
    assert_eq!((s.sender_count(), r.sender_count()), (21, 21));
    drop(senders);
    assert_eq!((s.sender_count(), r.sender_count()), (1, 1));
}

#[anyrt::test]
async fn dropping_the_receiver_wakes_a_waiting_sender() {
    let (s, r) = bounded(1);
    let sender = anyrt::spawn(async move {
        assert_eq!(s.send(()).await, Ok(()));
        assert_eq!(s.send(()).await.unwrap_err().into_inner(), ());
    });
    sleep(10).await;
    drop(r);
    within("the sender", sender).await.unwrap();
}

#[anyrt::test]
async fn dropping_the_sender_wakes_a_waiting_receiver() {
    for cap in [Some(1), None] {
        let (s, r) = channel::<()>(cap);
        let receiver = anyrt::spawn(async move { r.recv().await });
        sleep(10).await;
        drop(s);
        assert!(within("the receiver", receiver).await.unwrap().is_err());
    }
}

#[anyrt::test]
async fn spsc_in_order() {
    const COUNT: usize = 10_000;
    for cap in [Some(3), None] {
        let (s, r) = channel(cap);
        let receiver = anyrt::spawn(async move {
            for i in 0..COUNT {
                assert_eq!(r.recv().await, Ok(i));
            }
            assert!(r.recv().await.is_err());
        });
        let sender = anyrt::spawn(async move {
            for i in 0..COUNT {
                s.send(i).await.unwrap();
            }
        });
        within("the sender", sender).await.unwrap();
        within("the receiver", receiver).await.unwrap();
    }
}

/// Four senders send every value once each, four receivers take them (by `recv` or as a
/// `Stream`): each value arrives exactly four times.
async fn mpmc(cap: Option<usize>, as_stream: bool) {
    const COUNT: usize = 2_500;
    const TASKS: usize = 4;
    let (s, r) = channel::<usize>(cap);
    let seen: Arc<Vec<AtomicUsize>> = Arc::new((0..COUNT).map(|_| AtomicUsize::new(0)).collect());
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let mut r = r.clone();
        let seen = seen.clone();
        tasks.push(anyrt::spawn(async move {
            for _ in 0..COUNT {
                let n = if as_stream {
                    r.next().await.unwrap()
                } else {
                    r.recv().await.unwrap()
                };
                seen[n].fetch_add(1, Ordering::SeqCst);
            }
        }));
        let s = s.clone();
        tasks.push(anyrt::spawn(async move {
            for i in 0..COUNT {
                s.send(i).await.unwrap();
            }
        }));
    }
    for t in tasks {
        within("an mpmc task", t).await.unwrap();
    }
    for (i, c) in seen.iter().enumerate() {
        assert_eq!(c.load(Ordering::SeqCst), TASKS, "value {i}");
    }
}

#[anyrt::test]
async fn mpmc_bounded() {
    mpmc(Some(3), false).await;
}

#[anyrt::test]
async fn mpmc_bounded_stream() {
    mpmc(Some(3), true).await;
}

#[anyrt::test]
async fn mpmc_unbounded() {
    mpmc(None, false).await;
}

#[anyrt::test]
async fn mpmc_unbounded_stream() {
    mpmc(None, true).await;
}

// ---- tokio's sync_mpsc.rs cases anyrt's API has ----

#[anyrt::test]
async fn send_recv_stream_with_buffer() {
    let (tx, mut rx) = bounded::<i32>(16);
    let sender = anyrt::spawn(async move {
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
    });
    assert_eq!(Some(1), within("1", rx.next()).await);
    assert_eq!(Some(2), within("2", rx.next()).await);
    assert_eq!(None, within("the end", rx.next()).await);
    sender.await.unwrap();
}

#[anyrt::test]
async fn try_recv_close_while_empty() {
    for cap in [Some(16), None] {
        let (tx, rx) = channel::<()>(cap);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        drop(tx);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }
}

#[anyrt::test]
async fn receiver_close_refuses_sends_and_keeps_what_is_queued() {
    let (tx, rx) = bounded(16);
    tx.send(1).await.unwrap();
    rx.close();
    assert!(tx.is_closed());
    assert_eq!(tx.try_send(2), Err(TrySendError::Closed(2)));
    assert_eq!(rx.recv().await, Ok(1));
    assert!(rx.recv().await.is_err());
}

#[anyrt::test]
async fn tx_closed_resolves_once_the_receiver_goes() {
    let (tx, rx) = bounded::<()>(1);
    let waiting = anyrt::spawn({
        let tx = tx.clone();
        async move { tx.closed().await }
    });
    sleep(5).await;
    assert!(!waiting.is_finished());
    drop(rx);
    within("closed()", waiting).await.unwrap();
    assert!(tx.is_closed());
}

#[anyrt::test]
async fn unconsumed_messages_are_dropped_with_the_channel() {
    let msg = Arc::new(());
    let (tx, rx) = bounded(1);
    tx.try_send(msg.clone()).unwrap();
    assert_eq!(Arc::strong_count(&msg), 2);
    drop(rx);
    // The sender still holds the channel: the message goes with the last half.
    drop(tx);
    assert_eq!(Arc::strong_count(&msg), 1);
}

#[anyrt::test]
async fn blocking_recv_and_send_across_a_blocking_thread() {
    let (tx, rx) = bounded::<u8>(1);
    let blocking = anyrt::spawn_blocking(move || {
        assert_eq!(rx.recv_blocking(), Ok(10));
        assert_eq!(rx.recv_blocking(), Ok(11));
        assert!(rx.recv_blocking().is_err());
    });
    tx.send(10).await.unwrap();
    tx.send(11).await.unwrap();
    drop(tx);
    within("the blocking receiver", blocking).await.unwrap();

    let (tx, rx) = bounded::<u8>(1);
    let blocking = anyrt::spawn_blocking(move || {
        tx.send_blocking(10).unwrap();
        tx.send_blocking(11).unwrap();
    });
    assert_eq!(within("10", rx.recv()).await, Ok(10));
    assert_eq!(within("11", rx.recv()).await, Ok(11));
    within("the blocking sender", blocking).await.unwrap();
}

#[anyrt::test]
async fn blocking_recv_inside_async_code_panics_naming_spawn_blocking() {
    let (_tx, rx) = bounded::<u8>(1);
    let msg = catch_panic(|| rx.recv_blocking()).unwrap_err();
    assert!(msg.contains("spawn_blocking"), "{msg}");
}
