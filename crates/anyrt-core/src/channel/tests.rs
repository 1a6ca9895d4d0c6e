use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use futures_core::Stream;
use futures_lite::future::block_on;

use super::*;
use crate::context::{self, ThreadContext};
use crate::Backend;

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountWaker(AtomicUsize);

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<CountWaker>, Waker) {
    let w = Arc::new(CountWaker::default());
    (w.clone(), Waker::from(w))
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Runs `f` as if inside an async task of a tokio runtime and returns its panic message.
fn panics_in_async<R>(f: impl FnOnce() -> R) -> String {
    let _g = context::enter(ThreadContext::async_on(Backend::Tokio));
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(p) => panic_text(p),
    }
}

#[test]
fn bounded_send_recv_and_metadata() {
    let (tx, rx) = bounded(2);
    assert_eq!(tx.capacity(), Some(2));
    assert_eq!(rx.capacity(), Some(2));
    assert!(tx.is_empty() && rx.is_empty());
    block_on(tx.send(1)).unwrap();
    tx.try_send(2).unwrap();
    assert!(tx.is_full() && rx.is_full());
    assert_eq!((tx.len(), rx.len()), (2, 2));
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(block_on(rx.recv()), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!((tx.sender_count(), tx.receiver_count()), (1, 1));
    let tx2 = tx.clone();
    let rx2 = rx.clone();
    assert_eq!((rx.sender_count(), rx.receiver_count()), (2, 2));
    assert!(tx.same_channel(&tx2) && rx.same_channel(&rx2));
    let (other, _orx) = bounded::<i32>(1);
    assert!(!tx.same_channel(&other));
}

#[test]
fn unbounded_never_full() {
    let (tx, rx) = unbounded();
    assert_eq!(tx.capacity(), None);
    for i in 0..10_000 {
        tx.try_send(i).unwrap();
    }
    assert!(!tx.is_full());
    assert_eq!(rx.len(), 10_000);
    assert_eq!(rx.try_recv(), Ok(0));
}

#[test]
fn bounded_zero_panics_with_a_clear_message() {
    let msg = panic_text(catch_unwind(|| bounded::<u8>(0)).unwrap_err());
    assert!(msg.contains("bounded(0)"), "{msg}");
    assert!(msg.contains("bounded(1)"), "{msg}");
}

#[test]
fn close_semantics() {
    let (tx, rx) = bounded(4);
    tx.try_send(1).unwrap();
    assert!(!tx.is_closed());
    assert!(rx.close());
    assert!(!tx.close());
    assert!(tx.is_closed() && rx.is_closed());
    // Sends fail and hand the value back.
    assert_eq!(tx.try_send(2), Err(TrySendError::Closed(2)));
    assert_eq!(block_on(tx.send(3)).unwrap_err().into_inner(), 3);
    assert_eq!(tx.send_blocking(4).unwrap_err().into_inner(), 4);
    // What was in it is still received, then the error.
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(block_on(rx.recv()), Err(RecvError));
    assert_eq!(rx.recv_blocking(), Err(RecvError));
}

#[test]
fn dropping_all_senders_or_receivers_closes() {
    let (tx, rx) = bounded::<u8>(1);
    let tx2 = tx.clone();
    drop(tx);
    assert!(!rx.is_closed());
    drop(tx2);
    assert!(rx.is_closed());
    assert!(rx.try_recv().unwrap_err().is_closed());

    let (tx, rx) = unbounded::<u8>();
    drop(rx);
    assert!(tx.is_closed());
    assert!(tx.try_send(1).unwrap_err().is_closed());
    block_on(tx.closed());
}

#[test]
fn error_types() {
    let e = TrySendError::Full(String::from("x"));
    assert!(e.is_full() && !e.is_closed());
    assert_eq!(format!("{e:?}"), "Full(..)");
    assert!(e.to_string().contains("full"));
    let e = TrySendError::Closed(1);
    assert!(e.is_closed() && !e.is_full());
    assert_eq!(e.into_inner(), 1);
    // Debug needs no T: Debug.
    struct NoDebug;
    let e = SendError(NoDebug);
    assert_eq!(format!("{e:?}"), "SendError(..)");
    assert!(e.to_string().contains("into_inner"));
    let _: NoDebug = e.into_inner();
    let e: TrySendError<u8> = SendError::new(1).into();
    assert!(e.is_closed());
    assert!(RecvError.to_string().contains("closed"));
    assert!(TryRecvError::Empty.is_empty() && !TryRecvError::Empty.is_closed());
    assert!(TryRecvError::Closed.is_closed());
    assert!(TryRecvError::Empty.to_string().contains("recv().await"));
    assert_eq!(TryRecvError::from(RecvError), TryRecvError::Closed);
    fn is_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    is_error(&SendError(1));
    is_error(&TrySendError::Full(1));
    is_error(&RecvError);
    is_error(&TryRecvError::Empty);
}

#[test]
fn debug_without_t_debug() {
    struct NoDebug;
    let (tx, rx) = bounded::<NoDebug>(3);
    assert!(format!("{tx:?}").contains("capacity: Some(3)"));
    assert!(format!("{rx:?}").starts_with("Receiver"));
    assert!(format!("{:?}", tx.send(NoDebug)).contains("SendFuture"));
    assert!(format!("{:?}", rx.recv()).contains("RecvFuture"));
}

#[test]
fn dropped_send_is_never_delivered() {
    let (tx, rx) = bounded(1);
    tx.try_send(1).unwrap();
    let (_c, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    {
        let mut fut = pin!(tx.send(2));
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        // Room appears while the future waits; it is then dropped without being polled.
        assert_eq!(rx.try_recv(), Ok(1));
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.try_send(3).unwrap();
    assert_eq!(rx.try_recv(), Ok(3));
}

#[test]
fn dropped_recv_passes_its_wakeup_on() {
    let (tx, rx) = bounded(4);
    let rx2 = rx.clone();
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let mut f1 = Box::pin(rx.recv());
    let mut f2 = Box::pin(rx2.recv());
    assert!(f1.as_mut().poll(&mut Context::from_waker(&w1)).is_pending());
    assert!(f2.as_mut().poll(&mut Context::from_waker(&w2)).is_pending());
    tx.try_send(7).unwrap();
    // One of them was woken. Drop that one without polling it: the other must be woken.
    let first_woken = c1.0.load(Ordering::SeqCst) > 0;
    let (survivor, survivor_count, survivor_waker) = if first_woken {
        drop(f1);
        (f2, c2, w2)
    } else {
        drop(f2);
        (f1, c1, w1)
    };
    assert!(survivor_count.0.load(Ordering::SeqCst) > 0, "wake-up lost");
    let mut survivor = survivor;
    assert_eq!(
        survivor
            .as_mut()
            .poll(&mut Context::from_waker(&survivor_waker)),
        Poll::Ready(Ok(7))
    );
}

#[test]
fn dropped_send_passes_its_turn_on() {
    let (tx, rx) = bounded(1);
    tx.try_send(0).unwrap();
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let mut f1 = Box::pin(tx.send(1));
    let mut f2 = Box::pin(tx.send(2));
    assert!(f1.as_mut().poll(&mut Context::from_waker(&w1)).is_pending());
    assert!(f2.as_mut().poll(&mut Context::from_waker(&w2)).is_pending());
    // Room for one: the oldest waiting sender is woken, and only it.
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(c1.0.load(Ordering::SeqCst), 1);
    assert_eq!(c2.0.load(Ordering::SeqCst), 0);
    // It goes away without sending: its turn passes to the next sender.
    drop(f1);
    assert_eq!(c2.0.load(Ordering::SeqCst), 1, "wake-up lost");
    assert_eq!(
        f2.as_mut().poll(&mut Context::from_waker(&w2)),
        Poll::Ready(Ok(()))
    );
    drop(f2);
    assert_eq!(rx.try_recv(), Ok(2));
}

/// A bounded channel's core and its ring, for tests that stop a push or pop half-way.
fn ring_of<T>(tx: &Sender<T>) -> (&chan::Chan<T>, &ring::Ring<T>) {
    let chan = tx.chan();
    match &chan.queue {
        chan::Queue::Bounded(ring) => (chan, ring),
        chan::Queue::Unbounded(_) => panic!("not a bounded channel"),
    }
}

fn poll_with<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

fn woken(c: &CountWaker) -> usize {
    c.0.load(Ordering::SeqCst)
}

#[test]
fn a_receiver_woken_while_a_push_is_half_done_loses_no_message() {
    let (tx, rx) = bounded(4);
    let rx2 = rx.clone();
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let mut f1 = Box::pin(rx.recv());
    let mut f2 = Box::pin(rx2.recv());
    assert!(poll_with(&mut f1, &w1).is_pending());
    assert!(poll_with(&mut f2, &w2).is_pending());
    let (chan, ring) = ring_of(&tx);
    // A push claims the first slot and is preempted before writing it; one behind it
    // completes and wakes the oldest receiver, which finds the first slot half-written.
    let half = ring.begin_push_for_test();
    tx.try_send(2).unwrap();
    assert_eq!(woken(&c1), 1);
    // It waits again (now behind the other receiver), and is polled again soon: the push
    // that completes the slot may not see it.
    assert!(poll_with(&mut f1, &w1).is_pending());
    assert_eq!(
        woken(&c1),
        2,
        "a receiver behind a busy slot is not polled again"
    );
    // The first push completes and wakes the oldest waiter; the one that takes the first
    // message wakes the other for the second.
    ring.finish_push_for_test(half, 1);
    chan.after_push();
    assert_eq!((woken(&c1), woken(&c2)), (2, 1));
    assert_eq!(poll_with(&mut f2, &w2), Poll::Ready(Ok(1)));
    assert_eq!(
        woken(&c1),
        3,
        "a receiver waits while a message it was woken for is in the channel"
    );
    assert_eq!(poll_with(&mut f1, &w1), Poll::Ready(Ok(2)));
}

#[test]
fn receivers_that_start_waiting_behind_a_half_done_push_are_all_woken() {
    // Two messages behind a half-done push, announced to no one (nobody waited yet); two
    // receivers start waiting, both finding the first slot busy.
    let (tx, rx) = bounded(4);
    let rx2 = rx.clone();
    let (chan, ring) = ring_of(&tx);
    let half = ring.begin_push_for_test();
    tx.try_send(2).unwrap();
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let mut f1 = Box::pin(rx.recv());
    let mut f2 = Box::pin(rx2.recv());
    assert!(poll_with(&mut f1, &w1).is_pending());
    assert!(poll_with(&mut f2, &w2).is_pending());
    // Each is polled again soon (the push may not see them), and waits meanwhile.
    assert_eq!((woken(&c1), woken(&c2)), (1, 1));
    ring.finish_push_for_test(half, 1);
    chan.after_push();
    assert_eq!((woken(&c1), woken(&c2)), (2, 1));
    assert_eq!(poll_with(&mut f1, &w1), Poll::Ready(Ok(1)));
    assert_eq!(
        woken(&c2),
        2,
        "a receiver that started waiting behind a half-done push sleeps with a message in \
         the channel"
    );
    assert_eq!(poll_with(&mut f2, &w2), Poll::Ready(Ok(2)));
}

#[test]
fn after_the_close_receivers_behind_a_half_done_push_get_the_message_then_the_close() {
    let (tx, rx) = bounded(4);
    let rx2 = rx.clone();
    let rx3 = rx.clone();
    let (chan, ring) = ring_of(&tx);
    // A push claimed a slot before the close and is still writing it.
    let half = ring.begin_push_for_test();
    assert!(tx.close());
    let wakers: Vec<_> = (0..3).map(|_| counting()).collect();
    let mut futs = [
        Box::pin(rx.recv()),
        Box::pin(rx2.recv()),
        Box::pin(rx3.recv()),
    ];
    for (f, (c, w)) in futs.iter_mut().zip(&wakers) {
        assert!(poll_with(f, w).is_pending());
        assert_eq!(
            woken(c),
            1,
            "a receiver behind a busy slot is not polled again"
        );
    }
    ring.finish_push_for_test(half, 7);
    chan.after_push();
    // Woken one after the other: the first takes the message, the others find the close.
    assert_eq!(poll_with(&mut futs[0], &wakers[0].1), Poll::Ready(Ok(7)));
    for i in 1..3 {
        assert_eq!(
            woken(&wakers[i].0),
            2,
            "receiver {i} waits on a closed, empty channel"
        );
        assert_eq!(
            poll_with(&mut futs[i], &wakers[i].1),
            Poll::Ready(Err(RecvError))
        );
    }
}

#[test]
fn a_sender_woken_while_a_pop_is_half_done_loses_no_room() {
    let (tx, rx) = bounded(2);
    tx.try_send(0).unwrap();
    tx.try_send(1).unwrap();
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let mut f1 = Box::pin(tx.send(10));
    let mut f2 = Box::pin(tx.send(20));
    assert!(poll_with(&mut f1, &w1).is_pending());
    assert!(poll_with(&mut f2, &w2).is_pending());
    let (chan, ring) = ring_of(&tx);
    // A pop claims the oldest message and is preempted before freeing its slot; one behind
    // it completes and wakes the oldest sender, which needs the slot still being freed.
    let half = ring.begin_pop_for_test();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(woken(&c1), 1);
    // It waits again (behind the other sender), and is polled again soon: the pop that
    // frees the slot may not see it.
    assert!(poll_with(&mut f1, &w1).is_pending());
    assert_eq!(
        woken(&c1),
        2,
        "a sender behind a busy slot is not polled again"
    );
    // The first pop completes and wakes the oldest waiter; the one that fills the first
    // place wakes the other for the second.
    assert_eq!(ring.finish_pop_for_test(half), 0);
    chan.after_pop(false);
    assert_eq!((woken(&c1), woken(&c2)), (2, 1));
    assert_eq!(poll_with(&mut f2, &w2), Poll::Ready(Ok(())));
    assert_eq!(
        woken(&c1),
        3,
        "a sender waits while the room it was woken for is free"
    );
    assert_eq!(poll_with(&mut f1, &w1), Poll::Ready(Ok(())));
    assert_eq!((rx.try_recv(), rx.try_recv()), (Ok(20), Ok(10)));
}

#[test]
fn senders_that_start_waiting_behind_a_half_done_pop_are_all_woken() {
    let (tx, rx) = bounded(2);
    tx.try_send(0).unwrap();
    tx.try_send(1).unwrap();
    let (chan, ring) = ring_of(&tx);
    // Two places behind a half-done pop, announced to no one.
    let half = ring.begin_pop_for_test();
    assert_eq!(rx.try_recv(), Ok(1));
    let (c1, w1) = counting();
    let (c2, w2) = counting();
    let mut f1 = Box::pin(tx.send(10));
    let mut f2 = Box::pin(tx.send(20));
    assert!(poll_with(&mut f1, &w1).is_pending());
    assert!(poll_with(&mut f2, &w2).is_pending());
    // Each is polled again soon (the pop may not see them), and waits meanwhile.
    assert_eq!((woken(&c1), woken(&c2)), (1, 1));
    assert_eq!(ring.finish_pop_for_test(half), 0);
    chan.after_pop(false);
    assert_eq!((woken(&c1), woken(&c2)), (2, 1));
    assert_eq!(poll_with(&mut f1, &w1), Poll::Ready(Ok(())));
    assert_eq!(
        woken(&c2),
        2,
        "a sender that started waiting behind a half-done pop sleeps with room in the channel"
    );
    assert_eq!(poll_with(&mut f2, &w2), Poll::Ready(Ok(())));
    assert_eq!((rx.try_recv(), rx.try_recv()), (Ok(10), Ok(20)));
}

/// Runs `poll` on a thread of its own, frozen at each point of its receive named in
/// `stops` until the test lets it go on: `reached` says where it stopped.
struct Frozen<R> {
    go: std::sync::mpsc::Sender<()>,
    reached: std::sync::mpsc::Receiver<&'static str>,
    done: std::thread::JoinHandle<R>,
}

impl<R: Send + 'static> Frozen<R> {
    fn start(stops: &'static [&'static str], poll: impl FnOnce() -> R + Send + 'static) -> Self {
        let (go, go_rx) = std::sync::mpsc::channel::<()>();
        let (reached_tx, reached) = std::sync::mpsc::channel();
        let done = std::thread::spawn(move || {
            pause::set(move |point| {
                if stops.contains(&point) {
                    reached_tx.send(point).unwrap();
                    go_rx
                        .recv_timeout(Duration::from_secs(10))
                        .expect("the test never let the receive go on");
                }
            });
            poll()
        });
        Frozen { go, reached, done }
    }

    fn expect(&self, point: &str) {
        let got = self.reached.recv_timeout(Duration::from_secs(10));
        assert_eq!(got, Ok(point));
    }

    fn go(&self) {
        self.go.send(()).unwrap();
    }

    fn finish(self) -> R {
        self.go.send(()).ok();
        self.done.join().unwrap()
    }
}

#[test]
fn a_receiver_notified_while_it_takes_another_message_passes_the_notification_on() {
    for cap in [None, Some(4)] {
        let (tx, rx) = match cap {
            None => unbounded(),
            Some(cap) => bounded(cap),
        };
        let (rx1, rx2) = (rx.clone(), rx.clone());
        let (c1, w1) = counting();
        let (c2, w2) = counting();
        // Both receivers find the channel empty and stop before they register.
        let r1 = Frozen::start(&["recv: before register", "recv: taken"], move || {
            let mut f = Box::pin(rx1.recv());
            poll_with(&mut f, &w1)
        });
        r1.expect("recv: before register");
        let (first_tx, first_rx) = std::sync::mpsc::channel();
        let (again_tx, again_rx) = std::sync::mpsc::channel::<()>();
        let r2 = Frozen::start(&["recv: before register"], move || {
            let mut f = Box::pin(rx2.recv());
            first_tx.send(poll_with(&mut f, &w2).is_pending()).unwrap();
            again_rx.recv().unwrap();
            poll_with(&mut f, &w2)
        });
        r2.expect("recv: before register");
        // A message announced to no one (nobody is registered yet).
        tx.try_send(1).unwrap();
        // The first registers and takes it; the second registers and finds nothing.
        r1.go();
        r1.expect("recv: taken");
        r2.go();
        assert_eq!(first_rx.recv_timeout(Duration::from_secs(10)), Ok(true));
        // A second message notifies the oldest registered receiver: the first, still
        // registered while it takes the first message.
        tx.try_send(2).unwrap();
        assert_eq!(r1.finish(), Poll::Ready(Ok(1)));
        assert_eq!(
            woken(&c2),
            1,
            "{cap:?}: the second receiver sleeps with a message in the channel"
        );
        again_tx.send(()).unwrap();
        assert_eq!(r2.finish(), Poll::Ready(Ok(2)));
        drop(c1);
    }
}

#[test]
fn waiting_receivers_are_woken_oldest_first_one_per_message() {
    let (tx, rx) = unbounded();
    let wakers: Vec<_> = (0..3).map(|_| counting()).collect();
    let mut futs: Vec<_> = (0..3).map(|_| Box::pin(rx.recv())).collect();
    for (f, (_, w)) in futs.iter_mut().zip(&wakers) {
        assert!(f.as_mut().poll(&mut Context::from_waker(w)).is_pending());
    }
    // Polled again with the same waker: still one registration each, not a second one.
    assert!(futs[0]
        .as_mut()
        .poll(&mut Context::from_waker(&wakers[0].1))
        .is_pending());
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    let woken: Vec<usize> = wakers
        .iter()
        .map(|(c, _)| c.0.load(Ordering::SeqCst))
        .collect();
    assert_eq!(woken, [1, 1, 0]);
    // Closing wakes the one left.
    tx.close();
    assert_eq!(wakers[2].0 .0.load(Ordering::SeqCst), 1);
    assert_eq!(
        futs[2]
            .as_mut()
            .poll(&mut Context::from_waker(&wakers[2].1)),
        Poll::Ready(Ok(1))
    );
}

#[test]
fn a_closed_future_waits_for_the_close() {
    let (tx, rx) = bounded::<u8>(1);
    let (c, w) = counting();
    let mut closed = Box::pin(tx.closed());
    assert!(closed
        .as_mut()
        .poll(&mut Context::from_waker(&w))
        .is_pending());
    drop(rx);
    assert_eq!(c.0.load(Ordering::SeqCst), 1);
    assert_eq!(
        closed.as_mut().poll(&mut Context::from_waker(&w)),
        Poll::Ready(())
    );
}

#[test]
fn stream_yields_then_ends() {
    let (tx, mut rx) = bounded(4);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    drop(tx);
    let (_c, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    let mut rx_pin = Pin::new(&mut rx);
    assert_eq!(rx_pin.as_mut().poll_next(&mut cx), Poll::Ready(Some(1)));
    assert_eq!(rx_pin.as_mut().poll_next(&mut cx), Poll::Ready(Some(2)));
    assert_eq!(rx_pin.as_mut().poll_next(&mut cx), Poll::Ready(None));
    use futures_core::stream::FusedStream;
    assert!(rx.is_terminated());
}

#[test]
fn blocking_methods_bridge_threads() {
    let (tx, rx) = bounded(1);
    let t = std::thread::spawn(move || {
        for i in 0..100 {
            tx.send_blocking(i).unwrap();
        }
    });
    for i in 0..100 {
        assert_eq!(rx.recv_blocking(), Ok(i));
    }
    t.join().unwrap();
    assert_eq!(rx.recv_blocking(), Err(RecvError));
}

#[test]
fn blocking_methods_panic_in_async_context() {
    let (tx, rx) = bounded::<u8>(1);
    let msg = panics_in_async(|| tx.send_blocking(1));
    assert!(msg.contains("spawn_blocking"), "{msg}");
    assert!(msg.contains("send_blocking"), "{msg}");
    assert!(msg.contains("tokio"), "{msg}");
    let msg = panics_in_async(|| rx.recv_blocking());
    assert!(
        msg.contains("spawn_blocking") && msg.contains("recv_blocking"),
        "{msg}"
    );
    let (_otx, orx) = oneshot::channel::<u8>();
    let msg = panics_in_async(|| orx.recv_blocking());
    assert!(msg.contains("spawn_blocking"), "{msg}");
    let (_btx, mut brx) = broadcast::channel::<u8>(1);
    let msg = panics_in_async(|| brx.recv_blocking());
    assert!(msg.contains("spawn_blocking"), "{msg}");
    // Nothing was sent by the refused call.
    assert!(rx.is_empty());
}

#[test]
fn blocking_methods_work_in_blocking_context() {
    let _g = context::enter(ThreadContext::blocking_on(Backend::Smol));
    let (tx, rx) = bounded(1);
    tx.send_blocking(1).unwrap();
    assert_eq!(rx.recv_blocking(), Ok(1));
}

/// Runs `f` once, inside one poll of a future on a current-thread tokio runtime: with a
/// fresh co-op budget of tokio's (128 units) that `f` can count.
#[cfg(feature = "tokio")]
fn in_one_tokio_poll<R>(f: impl FnOnce(&mut Context<'_>) -> R) -> R {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut f = Some(f);
    rt.block_on(std::future::poll_fn(move |cx| {
        Poll::Ready((f.take().unwrap())(cx))
    }))
}

/// Spends `n` units of the current task's budget.
#[cfg(feature = "tokio")]
fn spend(n: usize, cx: &mut Context<'_>) {
    for _ in 0..n {
        assert!(crate::coop::poll_proceed(cx).is_ready());
    }
}

#[cfg(feature = "tokio")]
#[test]
fn send_and_recv_respect_the_coop_budget() {
    let (tx, rx) = bounded(8);
    in_one_tokio_poll(|cx| {
        spend(126, cx);
        assert!(pin!(tx.send(1)).poll(cx).is_ready());
        assert!(pin!(tx.send(2)).poll(cx).is_ready());
        // Budget spent: Pending, and the message is not sent.
        assert!(pin!(tx.send(3)).poll(cx).is_pending());
        assert_eq!(rx.len(), 2);
        assert!(pin!(rx.recv()).poll(cx).is_pending());
        assert!(Pin::new(&mut rx.clone()).poll_next(cx).is_pending());
        assert_eq!(rx.len(), 2, "a recv refused by the budget took nothing");
    });
    assert_eq!(block_on(rx.recv()), Ok(1));
}

#[test]
fn oneshot_paths() {
    let (tx, mut rx) = oneshot::channel();
    assert!(!tx.is_closed());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(!rx.has_value());
    tx.send(1).unwrap();
    assert!(rx.has_value());
    assert_eq!(block_on(&mut rx), Ok(1));
    assert!(rx.is_terminated());
    // Polling again after completion is an error, not a panic.
    assert_eq!(block_on(&mut rx), Err(RecvError));

    let (tx, rx) = oneshot::channel::<String>();
    drop(tx);
    assert_eq!(block_on(rx), Err(RecvError));

    let (tx, mut rx) = oneshot::channel();
    rx.close();
    assert!(tx.is_closed());
    assert_eq!(tx.send(5).unwrap_err().into_inner(), 5);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (mut tx, rx) = oneshot::channel::<u8>();
    drop(rx);
    block_on(tx.closed());

    let (tx, rx) = oneshot::channel();
    let t = std::thread::spawn(move || rx.recv_blocking());
    std::thread::sleep(Duration::from_millis(10));
    tx.send(9).unwrap();
    assert_eq!(t.join().unwrap(), Ok(9));

    let (tx, rx) = oneshot::channel::<u8>();
    assert!(format!("{tx:?} {rx:?}").contains("Sender"));
}

#[test]
fn oneshot_recv_is_cancel_safe() {
    let (tx, mut rx) = oneshot::channel();
    let (_c, waker) = counting();
    assert!(Pin::new(&mut rx)
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    tx.send(1).unwrap();
    // The first poll was abandoned; the value is still there.
    assert_eq!(block_on(rx), Ok(1));
}

#[test]
fn broadcast_paths() {
    let (tx, mut rx1) = broadcast::channel(4);
    let mut rx2 = tx.subscribe();
    assert_eq!(tx.receiver_count(), 2);
    assert_eq!(tx.send(1), Ok(2));
    assert_eq!(tx.len(), 1);
    assert_eq!(rx1.len(), 1);
    assert_eq!(block_on(rx1.recv()), Ok(1));
    assert_eq!(rx2.try_recv(), Ok(1));
    assert!(rx1.is_empty() && tx.is_empty());
    assert_eq!(rx1.try_recv(), Err(broadcast::TryRecvError::Empty));
    let mut rx3 = rx1.resubscribe();
    tx.send(2).unwrap();
    assert_eq!(rx3.try_recv(), Ok(2));
    assert!(tx.same_channel(&tx.clone()));

    // Lagging: the receiver is told how many it missed, then continues.
    let (tx, mut rx) = broadcast::channel(4);
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    let err = block_on(rx.recv()).unwrap_err();
    assert_eq!(err, broadcast::RecvError::Lagged(6));
    assert_eq!(err.missed(), Some(6));
    assert!(err.to_string().contains("missed 6"), "{err}");
    assert_eq!(block_on(rx.recv()), Ok(6));
    for i in 10..20 {
        tx.send(i).unwrap();
    }
    let err = rx.try_recv().unwrap_err();
    assert_eq!(err.missed(), Some(9)); // 7..=15
    assert!(err.to_string().contains("missed 9"));
    assert_eq!(rx.try_recv(), Ok(16));

    // Closing.
    let (tx, mut rx) = broadcast::channel(2);
    tx.send(1).unwrap();
    drop(tx);
    assert!(rx.is_closed());
    assert_eq!(rx.recv_blocking(), Ok(1));
    assert_eq!(rx.recv_blocking(), Err(broadcast::RecvError::Closed));
    assert!(broadcast::RecvError::Closed.is_closed());
    assert!(rx.try_recv().unwrap_err().is_closed());
    assert!(broadcast::TryRecvError::Empty.is_empty());
    assert_eq!(broadcast::TryRecvError::Closed.missed(), None);

    // No receiver: the value comes back.
    let (tx, rx) = broadcast::channel(2);
    drop(rx);
    assert_eq!(tx.send(5).unwrap_err().into_inner(), 5);
    block_on(tx.closed());
    assert!(format!("{tx:?}").contains("receiver_count: 0"));
    let msg = panic_text(catch_unwind(|| broadcast::channel::<u8>(0)).unwrap_err());
    assert!(msg.contains("at least 1"), "{msg}");
}

#[test]
fn watch_paths() {
    let (tx, mut rx) = watch::channel(0);
    assert_eq!(*rx.borrow(), 0);
    assert_eq!(rx.has_changed(), Ok(false));
    tx.send(1).unwrap();
    assert_eq!(rx.has_changed(), Ok(true));
    block_on(rx.changed()).unwrap();
    assert_eq!(*rx.borrow(), 1);
    assert_eq!(rx.has_changed(), Ok(false));
    assert_eq!(tx.send_replace(2), 1);
    assert!(rx.borrow_and_update().has_changed());
    tx.send_modify(|v| *v += 1);
    assert!(!tx.send_if_modified(|_| false));
    assert_eq!(*tx.borrow(), 3);
    rx.mark_unchanged();
    assert_eq!(rx.has_changed(), Ok(false));
    rx.mark_changed();
    assert_eq!(rx.has_changed(), Ok(true));
    let rx2 = tx.subscribe();
    assert_eq!(tx.receiver_count(), 2);
    assert!(rx.same_channel(&rx2) && rx.same_channel(&rx.clone()));
    assert_eq!(*block_on(rx.wait_for(|v| *v == 3)).unwrap(), 3);
    assert_eq!(format!("{:?}", rx.borrow()), "3");
    drop(rx2);

    // Every receiver gone: send fails and hands back, send_replace still stores.
    drop(rx);
    assert!(tx.is_closed());
    block_on(tx.closed());
    assert_eq!(tx.send(9).unwrap_err().into_inner(), 9);
    assert_eq!(*tx.borrow(), 3);
    tx.send_replace(4);
    assert_eq!(*tx.borrow(), 4);

    // Every sender gone: changed and wait_for fail.
    let (tx, mut rx) = watch::channel(0);
    drop(tx);
    assert_eq!(rx.has_changed(), Err(RecvError));
    assert_eq!(block_on(rx.changed()), Err(RecvError));
    assert!(block_on(rx.wait_for(|v| *v == 1)).is_err());
}

#[test]
fn watch_changed_is_cancel_safe() {
    let (tx, mut rx) = watch::channel(0);
    let (_c, waker) = counting();
    {
        let fut = pin!(rx.changed());
        assert!(fut.poll(&mut Context::from_waker(&waker)).is_pending());
    }
    tx.send(1).unwrap();
    assert_eq!(rx.has_changed(), Ok(true));
    block_on(rx.changed()).unwrap();
}

#[cfg(feature = "tokio")]
#[test]
fn the_budget_is_only_asked_outside_smol_and_async_std() {
    let (tx, rx) = bounded(8);
    in_one_tokio_poll(|cx| {
        spend(128, cx);
        for backend in [Backend::Smol, Backend::AsyncStd] {
            let _g = context::enter(ThreadContext::async_on(backend));
            assert!(pin!(tx.send(1)).poll(cx).is_ready(), "{backend}");
            assert!(pin!(rx.recv()).poll(cx).is_ready(), "{backend}");
        }
        let _g = context::enter(ThreadContext::async_on(Backend::Tokio));
        assert!(pin!(tx.send(1)).poll(cx).is_pending());
    });
}

#[cfg(feature = "tokio")]
#[test]
fn a_future_takes_one_unit_of_budget_at_its_first_poll_only() {
    let (tx, rx) = bounded(1);
    in_one_tokio_poll(|cx| {
        spend(127, cx);
        let mut recv = pin!(rx.recv());
        assert!(recv.as_mut().poll(cx).is_pending()); // took the last unit, then waits
        tx.try_send(5).unwrap();
        // Re-polled after a wake-up: no second unit is asked for.
        assert_eq!(recv.as_mut().poll(cx), Poll::Ready(Ok(5)));
        // A new operation with the budget spent is refused.
        assert!(pin!(rx.recv()).poll(cx).is_pending());
    });
}

/// A message whose destructor panics if it was made to.
struct Bomb {
    armed: bool,
    dropped: Arc<AtomicUsize>,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, Ordering::SeqCst);
        if self.armed {
            panic!("a message's destructor panicked");
        }
    }
}

#[test]
fn a_panicking_message_destructor_does_not_leak_the_messages_behind_it() {
    for cap in [Some(8), None] {
        let dropped = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = match cap {
            Some(cap) => bounded(cap),
            None => unbounded(),
        };
        for i in 0..5 {
            tx.try_send(Bomb {
                armed: i == 1,
                dropped: dropped.clone(),
            })
            .ok()
            .unwrap();
        }
        drop(tx);
        let panic = catch_unwind(AssertUnwindSafe(|| drop(rx))).unwrap_err();
        assert_eq!(panic_text(panic), "a message's destructor panicked");
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            5,
            "{cap:?}: messages behind the one that panicked were leaked"
        );
    }
}

#[test]
fn park_on_polls_again_only_when_woken() {
    // A future pending until its waker is woken from another thread; stray unparks of the
    // waiting thread meanwhile must not poll it again.
    let polls = Arc::new(AtomicUsize::new(0));
    let (waker_tx, waker_rx) = std::sync::mpsc::channel::<(Waker, std::thread::Thread)>();
    let counted = polls.clone();
    let waiter = std::thread::spawn(move || {
        let mut sent = false;
        park_on(std::future::poll_fn(move |cx| {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            if !sent {
                waker_tx
                    .send((cx.waker().clone(), std::thread::current()))
                    .unwrap();
                sent = true;
            }
            if n == 0 {
                Poll::Pending
            } else {
                Poll::Ready(n)
            }
        }))
    });
    let (waker, thread) = waker_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    for _ in 0..20 {
        thread.unpark();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(
        polls.load(Ordering::SeqCst),
        1,
        "a stray unpark polled again"
    );
    waker.wake();
    assert_eq!(waiter.join().unwrap(), 1);
}
