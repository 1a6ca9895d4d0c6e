//! loom models of the channel core: the ring ([`Ring`]), the wait lists ([`Waiters`]) and
//! the channels built on them, every interleaving of a few threads checked under loom's
//! memory model.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p anyrt-core --release --lib loom_
//! ```
//!
//! A model that never completes a receive or a send it should (a lost wake-up) fails with
//! loom's "deadlock" report: every thread is parked. Each model is small on purpose (two or
//! three threads, one or two messages each): loom's cost grows with the product of the
//! threads' steps.

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Wake, Waker};

use loom::future::block_on;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use super::chan::Waiters;
use super::ring::{PopError, PushError, Ring};
use super::*;

/// Runs `f` under every interleaving loom explores, with a preemption bound of 2 unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    builder.check(f);
}

/// A waker that counts its wake-ups, for the models that poll by hand.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (std::sync::Arc<Count>, Waker) {
    let c = std::sync::Arc::new(Count::default());
    (c.clone(), Waker::from(c))
}

fn poll_with<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// Pushes `v`, trying at most three times (yielding between tries while the ring is full
/// or its slot busy): whether it went in. A spin without bound would have loom explore it
/// for ever.
fn push(ring: &Ring<u32>, mut v: u32) -> bool {
    for _ in 0..3 {
        match ring.push(v) {
            Ok(()) => return true,
            Err(PushError::Closed(_)) => return false,
            Err(PushError::Full(x) | PushError::Busy(x)) => {
                v = x;
                thread::yield_now();
            }
        }
    }
    false
}

/// Pops, trying at most three times: the value, if one came.
fn pop(ring: &Ring<u32>) -> Option<u32> {
    for _ in 0..3 {
        match ring.pop() {
            Ok(v) => return Some(v),
            Err(PopError::Closed) => return None,
            Err(PopError::Empty | PopError::Busy) => thread::yield_now(),
        }
    }
    None
}

/// What is left in `ring` once every thread is done (nothing is half-way then).
fn drain(ring: &Ring<u32>) -> Vec<u32> {
    let mut left = Vec::new();
    loop {
        match ring.pop() {
            Ok(v) => left.push(v),
            Err(PopError::Empty | PopError::Closed) => return left,
            Err(PopError::Busy) => panic!("a slot busy with no thread in it"),
        }
    }
}

/// Every value pushed comes out exactly once: popped by a thread or left in the ring.
fn exactly_once(pushed: &[u32], mut out: Vec<u32>) {
    let mut pushed = pushed.to_vec();
    pushed.sort_unstable();
    out.sort_unstable();
    assert_eq!(out, pushed);
}

// ---- The ring ----

#[test]
fn loom_ring_one_producer_one_consumer_capacity_1() {
    model(|| {
        let ring = Arc::new(Ring::new(1));
        let r = ring.clone();
        let t = thread::spawn(move || (0..2).filter(|&v| push(&r, v)).collect::<Vec<_>>());
        let mut out: Vec<u32> = (0..2).filter_map(|_| pop(&ring)).collect();
        let pushed = t.join().unwrap();
        out.extend(drain(&ring));
        // In order, and all of it.
        assert_eq!(out, pushed);
    });
}

#[test]
fn loom_ring_two_producers_capacity_1() {
    model(|| {
        let ring = Arc::new(Ring::new(1));
        let producers: Vec<_> = (0..2)
            .map(|v| {
                let r = ring.clone();
                thread::spawn(move || push(&r, v).then_some(v))
            })
            .collect();
        let mut out: Vec<u32> = pop(&ring).into_iter().collect();
        let pushed: Vec<u32> = producers
            .into_iter()
            .filter_map(|p| p.join().unwrap())
            .collect();
        assert!(
            !pushed.is_empty(),
            "neither push went in while the ring had room"
        );
        out.extend(drain(&ring));
        exactly_once(&pushed, out);
    });
}

#[test]
fn loom_ring_two_consumers_capacity_2() {
    model(|| {
        let ring = Arc::new(Ring::new(2));
        assert!(push(&ring, 0) && push(&ring, 1));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let r = ring.clone();
                thread::spawn(move || pop(&r))
            })
            .collect();
        let mut out: Vec<u32> = consumers
            .into_iter()
            .filter_map(|c| c.join().unwrap())
            .collect();
        out.extend(drain(&ring));
        exactly_once(&[0, 1], out);
    });
}

#[test]
fn loom_ring_two_producers_two_consumers_capacity_1() {
    // The main thread is a producer, then a consumer: three threads in all.
    model(|| {
        let ring = Arc::new(Ring::new(1));
        let r = ring.clone();
        let producer = thread::spawn(move || push(&r, 1).then_some(1));
        let r = ring.clone();
        let consumer = thread::spawn(move || pop(&r));
        let mut pushed: Vec<u32> = push(&ring, 0).then_some(0).into_iter().collect();
        let mut out: Vec<u32> = pop(&ring).into_iter().collect();
        out.extend(consumer.join().unwrap());
        pushed.extend(producer.join().unwrap());
        out.extend(drain(&ring));
        exactly_once(&pushed, out);
    });
}

#[test]
fn loom_ring_wraps_its_laps_capacity_2() {
    model(|| {
        let ring = Arc::new(Ring::new(2));
        assert!(push(&ring, 0));
        assert_eq!(pop(&ring), Some(0));
        let r = ring.clone();
        let t = thread::spawn(move || (1..4).filter(|&v| push(&r, v)).collect::<Vec<_>>());
        let mut out: Vec<u32> = (0..2).filter_map(|_| pop(&ring)).collect();
        let pushed = t.join().unwrap();
        out.extend(drain(&ring));
        assert_eq!(out, pushed);
    });
}

#[test]
fn loom_ring_close_races_a_push() {
    model(|| {
        let ring = Arc::new(Ring::new(2));
        let r = ring.clone();
        let producer = thread::spawn(move || push(&r, 7));
        let r = ring.clone();
        let closer = thread::spawn(move || r.close());
        let mut out: Vec<u32> = pop(&ring).into_iter().collect();
        let pushed = producer.join().unwrap();
        assert!(closer.join().unwrap());
        out.extend(drain(&ring));
        // Everything pushed before the close comes out once, then `Closed`.
        assert_eq!(out, if pushed { vec![7] } else { vec![] });
        assert_eq!(ring.pop(), Err(PopError::Closed));
    });
}

#[test]
fn loom_ring_len_stays_within_its_capacity() {
    model(|| {
        let ring = Arc::new(Ring::new(1));
        let r = ring.clone();
        let t = thread::spawn(move || {
            push(&r, 1);
            assert!(r.len() <= 1);
        });
        assert!(ring.len() <= 1);
        pop(&ring);
        assert!(ring.len() <= 1);
        t.join().unwrap();
        drain(&ring);
        assert_eq!(ring.len(), 0);
        assert!(ring.is_empty());
    });
}

// ---- The wait list ----

#[test]
fn loom_waiters_a_notification_is_either_delivered_or_reported_by_remove() {
    model(|| {
        let waiters = Arc::new(Waiters::new());
        let (count, waker) = counting();
        let mut key = None;
        waiters.register(&mut key, &waker);
        let w = waiters.clone();
        let notifier = thread::spawn(move || w.notify_one());
        let notified = waiters.remove(&mut key);
        notifier.join().unwrap();
        // Removed first: never woken. Notified first: woken once, and `remove` says so.
        assert_eq!(count.0.load(Ordering::SeqCst), usize::from(notified));
        assert_eq!(waiters.linked(), 0);
    });
}

#[test]
fn loom_waiters_a_waiter_either_sees_the_event_or_is_woken() {
    model(|| {
        let waiters = Arc::new(Waiters::new());
        let event = Arc::new(AtomicBool::new(false));
        let (w, e) = (waiters.clone(), event.clone());
        let notifier = thread::spawn(move || {
            e.store(true, Ordering::Relaxed);
            w.notify_one();
        });
        let (count, waker) = counting();
        let mut key = None;
        waiters.register(&mut key, &waker);
        let seen = event.load(Ordering::Relaxed);
        notifier.join().unwrap();
        assert!(
            seen || count.0.load(Ordering::SeqCst) == 1,
            "a lost wake-up"
        );
        waiters.remove(&mut key);
    });
}

#[test]
fn loom_waiters_notify_all_reaches_every_waiter_linked_before() {
    model(|| {
        let waiters = Arc::new(Waiters::new());
        let closed = Arc::new(AtomicBool::new(false));
        let (w, c) = (waiters.clone(), closed.clone());
        let closer = thread::spawn(move || {
            c.store(true, Ordering::Relaxed);
            crate::loom::full_fence();
            w.notify_all();
        });
        let counts: Vec<_> = (0..2)
            .map(|_| {
                let (count, waker) = counting();
                let mut key = None;
                waiters.register(&mut key, &waker);
                (count, closed.load(Ordering::Relaxed), key)
            })
            .collect();
        closer.join().unwrap();
        for (count, seen, mut key) in counts {
            assert!(
                seen || count.0.load(Ordering::SeqCst) == 1,
                "a lost wake-up"
            );
            waiters.remove(&mut key);
        }
    });
}

// ---- Channels: receive ----

#[test]
fn loom_bounded_1_one_sender_waits_for_room() {
    model(|| {
        let (tx, rx) = bounded(1);
        let t = thread::spawn(move || {
            block_on(async {
                tx.send(1).await.unwrap();
                tx.send(2).await.unwrap();
            })
        });
        let got = block_on(async { [rx.recv().await, rx.recv().await] });
        assert_eq!(got, [Ok(1), Ok(2)]);
        t.join().unwrap();
    });
}

/// Sorted, for comparing what several threads received.
fn sorted<const N: usize>(mut v: [u32; N]) -> [u32; N] {
    v.sort_unstable();
    v
}

#[test]
fn loom_bounded_2_receivers_waiting_behind_a_half_done_push() {
    // One thread's push may stop half-way while the main thread's push completes behind it
    // and both receivers start waiting: the one that takes the first message must leave
    // the second to the other (it would sleep with a message in the channel).
    model(|| {
        let (tx, rx) = bounded(2);
        let tx2 = tx.clone();
        let pusher = thread::spawn(move || block_on(tx2.send(0)).unwrap());
        let rx2 = rx.clone();
        let receiver = thread::spawn(move || block_on(rx2.recv()).unwrap());
        block_on(tx.send(1)).unwrap();
        let mine = block_on(rx.recv()).unwrap();
        assert_eq!(sorted([mine, receiver.join().unwrap()]), [0, 1]);
        pusher.join().unwrap();
    });
}

#[test]
fn loom_bounded_2_senders_waiting_behind_a_half_done_pop() {
    // The mirror image: a pop stopped half-way, room made behind it, two senders waiting.
    model(|| {
        let (tx, rx) = bounded(2);
        tx.try_send(0).unwrap();
        tx.try_send(1).unwrap();
        let rx2 = rx.clone();
        let popper = thread::spawn(move || block_on(rx2.recv()).unwrap());
        let tx2 = tx.clone();
        let sender = thread::spawn(move || block_on(tx2.send(2)).unwrap());
        let mine = block_on(rx.recv()).unwrap();
        block_on(tx.send(3)).unwrap();
        sender.join().unwrap();
        let popped = popper.join().unwrap();
        let left = [rx.try_recv().unwrap(), rx.try_recv().unwrap()];
        assert_eq!(sorted([mine, popped, left[0], left[1]]), [0, 1, 2, 3]);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    });
}

#[test]
fn loom_bounded_3_two_senders_waiting_both_get_room_from_two_pops() {
    // Capacity 3, full, two senders waiting, two pops and then no more: each place made
    // must reach a sender (the second pop may come while the first sender, woken, has not
    // yet pushed), or a sender sleeps with room in the channel.
    model(|| {
        let (tx, rx) = bounded(3);
        for i in 0..3 {
            tx.try_send(i).unwrap();
        }
        let senders: Vec<_> = (3..5)
            .map(|i| {
                let tx = tx.clone();
                thread::spawn(move || block_on(tx.send(i)).unwrap())
            })
            .collect();
        // Full: both pops take a message at once.
        let mut all = vec![rx.try_recv().unwrap(), rx.try_recv().unwrap()];
        for s in senders {
            s.join().unwrap();
        }
        while let Ok(v) = rx.try_recv() {
            all.push(v);
        }
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2, 3, 4]);
    });
}

#[test]
fn loom_bounded_3_two_receivers_waiting_both_get_a_message_from_two_pushes() {
    // The mirror image: two receivers waiting on an empty channel of capacity 3, two
    // messages pushed and then no more: each must reach a receiver.
    model(|| {
        let (tx, rx) = bounded(3);
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || block_on(rx.recv()).unwrap())
            })
            .collect();
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        let mut got: Vec<u32> = receivers.into_iter().map(|r| r.join().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

#[test]
fn loom_unbounded_a_receiver_notified_while_it_takes_another_message() {
    // Both receivers look before either registers; the first message comes then (announced
    // to no one), the second once both wait, while the oldest takes the first.
    model(|| {
        let (tx, rx) = unbounded();
        let sender = thread::spawn(move || {
            tx.try_send(1).unwrap();
            tx.try_send(2).unwrap();
        });
        let rx2 = rx.clone();
        let receiver = thread::spawn(move || block_on(rx2.recv()).unwrap());
        let mine = block_on(rx.recv()).unwrap();
        assert_eq!(sorted([mine, receiver.join().unwrap()]), [1, 2]);
        sender.join().unwrap();
    });
}

#[test]
fn loom_close_races_a_push_with_two_receivers() {
    // A push claimed before the close may still be half-way when receivers start waiting
    // on the closed channel: one takes its message, the other must see the close. The push
    // is the main thread's, so that the receivers' waits, not preemptions, order the rest.
    model(|| {
        let (tx, rx) = bounded(2);
        let (tx2, rx2) = (tx.clone(), rx.clone());
        let closing = thread::spawn(move || {
            assert!(tx2.close());
            block_on(rx2.recv()).ok()
        });
        let receiver = thread::spawn(move || block_on(rx.recv()).ok());
        let sent = block_on(tx.send(7)).is_ok();
        let got: Vec<u32> = [closing.join().unwrap(), receiver.join().unwrap()]
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(got, if sent { vec![7] } else { vec![] });
    });
}

#[test]
fn loom_close_wakes_a_waiting_receiver() {
    model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let closer = thread::spawn(move || assert!(tx.close()));
        assert_eq!(block_on(rx.recv()), Err(RecvError));
        closer.join().unwrap();
    });
}

#[test]
fn loom_the_last_sender_dropped_ends_a_waiting_receiver() {
    model(|| {
        let (tx, rx) = unbounded();
        let t = thread::spawn(move || {
            tx.try_send(1).unwrap();
            drop(tx);
        });
        let got = block_on(async { [rx.recv().await, rx.recv().await] });
        assert_eq!(got, [Ok(1), Err(RecvError)]);
        t.join().unwrap();
    });
}

#[test]
fn loom_the_last_receiver_dropped_fails_a_waiting_sender() {
    model(|| {
        let (tx, rx) = bounded(1);
        tx.try_send(1).unwrap();
        let t = thread::spawn(move || drop(rx));
        let err = block_on(tx.send(2)).unwrap_err();
        assert_eq!(err.into_inner(), 2);
        t.join().unwrap();
    });
}

#[test]
fn loom_sender_closed_future_sees_the_receiver_go() {
    model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let t = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        assert!(tx.is_closed());
        t.join().unwrap();
    });
}

// ---- Channels: cancellation ----

#[test]
fn loom_a_receive_dropped_after_its_wake_passes_the_message_on() {
    model(|| {
        let (tx, rx) = unbounded();
        let rx2 = rx.clone();
        // A receiver that waits, then goes away (a `select!` arm that lost).
        let quitter = thread::spawn(move || {
            let (_, waker) = counting();
            let mut f = Box::pin(rx2.recv());
            if let Poll::Ready(v) = poll_with(&mut f, &waker) {
                return v.ok();
            }
            None
        });
        let sender = thread::spawn(move || tx.try_send(1).unwrap());
        let quitter_got = quitter.join().unwrap();
        sender.join().unwrap();
        if quitter_got.is_none() {
            assert_eq!(block_on(rx.recv()), Ok(1), "the message was lost");
        }
    });
}

#[test]
fn loom_a_receive_dropped_while_another_waits_passes_its_turn() {
    model(|| {
        let (tx, rx) = bounded(1);
        let rx2 = rx.clone();
        let (_, waker) = counting();
        // Registered first: the oldest waiter, woken first.
        let mut quitter = Box::pin(rx2.recv());
        assert!(poll_with(&mut quitter, &waker).is_pending());
        let waiter = thread::spawn(move || block_on(rx.recv()));
        let sender = thread::spawn(move || tx.try_send(1).unwrap());
        drop(quitter);
        sender.join().unwrap();
        assert_eq!(waiter.join().unwrap(), Ok(1));
    });
}

#[test]
fn loom_a_send_dropped_after_its_wake_passes_its_turn_and_never_delivers() {
    model(|| {
        let (tx, rx) = bounded(1);
        tx.try_send(1).unwrap();
        let tx2 = tx.clone();
        let (_, waker) = counting();
        // Registered first: the oldest waiting sender, woken first.
        let mut quitter = Box::pin(tx2.send(99));
        assert!(poll_with(&mut quitter, &waker).is_pending());
        let waiter = thread::spawn(move || block_on(tx.send(2)));
        let receiver = thread::spawn(move || {
            let first = block_on(rx.recv());
            (first, rx)
        });
        drop(quitter);
        assert_eq!(waiter.join().unwrap(), Ok(()));
        let (first, rx) = receiver.join().unwrap();
        assert_eq!(first, Ok(1));
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        drop(tx2);
    });
}

#[test]
fn loom_a_receiver_polled_while_registered_loses_no_wake_up() {
    // `select!`, `join!` and `timeout` poll a registered receive again when the task is
    // woken for something else: here, once, before it waits for its own wake.
    model(|| {
        let (tx, rx) = bounded(2);
        let rx2 = rx.clone();
        let selecting = thread::spawn(move || {
            block_on(async {
                let mut f = pin!(rx2.recv());
                let mut spurious = 1;
                std::future::poll_fn(|cx| match f.as_mut().poll(cx) {
                    Poll::Ready(v) => Poll::Ready(v),
                    Poll::Pending if spurious > 0 => {
                        spurious -= 1;
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                    Poll::Pending => Poll::Pending,
                })
                .await
            })
        });
        let sender = thread::spawn(move || {
            tx.try_send(0).unwrap();
            tx.try_send(1).unwrap();
        });
        let mine = block_on(rx.recv()).unwrap();
        assert_eq!(sorted([mine, selecting.join().unwrap().unwrap()]), [0, 1]);
        sender.join().unwrap();
    });
}

// ---- Channels: the other ways in ----

#[test]
fn loom_try_recv_and_recv_take_each_message_once() {
    model(|| {
        let (tx, rx) = bounded(2);
        let rx2 = rx.clone();
        let trying = thread::spawn(move || rx2.try_recv().ok());
        let t = thread::spawn(move || {
            tx.try_send(1).unwrap();
            tx.try_send(2).unwrap();
        });
        let mine = block_on(rx.recv()).unwrap();
        t.join().unwrap();
        let mut got = vec![mine];
        got.extend(trying.join().unwrap());
        got.extend(rx.try_recv().ok());
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

#[test]
fn loom_blocking_methods_across_threads() {
    model(|| {
        let (tx, rx) = bounded(1);
        let t = thread::spawn(move || {
            tx.send_blocking(1).unwrap();
            tx.send_blocking(2).unwrap();
        });
        assert_eq!(rx.recv_blocking(), Ok(1));
        assert_eq!(rx.recv_blocking(), Ok(2));
        t.join().unwrap();
        assert_eq!(rx.recv_blocking(), Err(RecvError));
    });
}

#[test]
fn loom_a_receiver_stream_ends_after_every_message() {
    model(|| {
        let (tx, mut rx) = bounded(1);
        let sender = thread::spawn(move || {
            block_on(async {
                tx.send(0).await.unwrap();
                tx.send(1).await.unwrap();
            })
        });
        let mut got = Vec::new();
        block_on(std::future::poll_fn(|cx| loop {
            match futures_core::Stream::poll_next(Pin::new(&mut rx), cx) {
                Poll::Ready(Some(v)) => got.push(v),
                Poll::Ready(None) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }));
        sender.join().unwrap();
        assert_eq!(got, [0, 1]);
    });
}

#[test]
fn loom_one_sender_s_messages_arrive_in_order() {
    model(|| {
        let (tx, rx) = bounded(4);
        let tx2 = tx.clone();
        let a = thread::spawn(move || {
            tx.try_send(10).unwrap();
            tx.try_send(11).unwrap();
        });
        let b = thread::spawn(move || tx2.try_send(20).unwrap());
        let got: Vec<u32> = block_on(async {
            let mut got = Vec::new();
            while let Ok(v) = rx.recv().await {
                got.push(v);
            }
            got
        });
        a.join().unwrap();
        b.join().unwrap();
        let from_a: Vec<u32> = got.iter().copied().filter(|v| *v < 20).collect();
        assert_eq!(from_a, [10, 11]);
        assert_eq!(got.len(), 3);
    });
}

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn loom_messages_left_are_dropped_once_when_both_halves_go() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = bounded(2);
        for _ in 0..2 {
            assert!(tx.try_send(Counted(drops.clone())).is_ok());
        }
        let t = thread::spawn(move || drop(rx.try_recv()));
        drop(tx);
        t.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    });
}
