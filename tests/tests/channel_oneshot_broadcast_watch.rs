//! `anyrt::channel::{oneshot, broadcast, watch}` on every backend: every method and error
//! path, cancel safety, the blocking bridge, and use across backends and plain threads.

use std::pin::pin;
use std::time::Duration;

use anyrt::channel::{broadcast, oneshot, watch, RecvError, TryRecvError};
use anyrt::Backend;
use anyrt_tests::*;
use futures::future::{select, Either};

fn assert_send_sync_static<T: Send + Sync + 'static>() {}

#[test]
fn handles_are_send_sync() {
    assert_send_sync_static::<oneshot::Sender<u8>>();
    assert_send_sync_static::<oneshot::Receiver<u8>>();
    assert_send_sync_static::<broadcast::Sender<u8>>();
    assert_send_sync_static::<broadcast::Receiver<u8>>();
    assert_send_sync_static::<watch::Sender<u8>>();
    assert_send_sync_static::<watch::Receiver<u8>>();
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<broadcast::RecvError>();
    assert_error::<broadcast::TryRecvError>();
}

// --- oneshot -------------------------------------------------------------------------------

#[anyrt::test]
async fn oneshot_send_from_a_task_and_from_a_thread() {
    let (tx, rx) = oneshot::channel();
    anyrt::spawn(async move { tx.send(1).unwrap() });
    assert_eq!(within("oneshot", rx).await, Ok(1));

    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || tx.send("from a thread").unwrap());
    assert_eq!(within("oneshot", rx).await, Ok("from a thread"));
}

#[anyrt::test]
async fn oneshot_error_paths() {
    // Sender dropped without sending.
    let (tx, rx) = oneshot::channel::<u8>();
    drop(tx);
    assert_eq!(within("oneshot", rx).await, Err(RecvError::new()));
    // Receiver gone: the value comes back.
    let (mut tx, rx) = oneshot::channel();
    drop(rx);
    within("closed", tx.closed()).await;
    assert!(tx.is_closed());
    assert_eq!(tx.send(3).unwrap_err().into_inner(), 3);
    // try_recv: empty, value, then closed; close() refuses later sends.
    let (tx, mut rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(4).unwrap();
    assert!(rx.has_value());
    assert_eq!(rx.try_recv(), Ok(4));
    assert!(rx.is_terminated());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(
        (&mut rx).await,
        Err(RecvError::new()),
        "polled after the end: no panic"
    );
    let (tx, mut rx) = oneshot::channel::<u8>();
    rx.close();
    assert!(tx.send(5).is_err());
}

#[anyrt::test]
async fn oneshot_await_is_cancel_safe() {
    let (tx, mut rx) = oneshot::channel();
    let r = anyrt::time::timeout(Duration::from_millis(5), &mut rx).await;
    assert!(r.is_err());
    tx.send(6).unwrap();
    assert_eq!(within("oneshot after a timeout", rx).await, Ok(6));
}

#[anyrt::test]
async fn oneshot_blocking_bridge() {
    let (tx, rx) = oneshot::channel::<u8>();
    let msg = catch_panic(move || rx.recv_blocking()).unwrap_err();
    assert!(msg.contains("spawn_blocking"), "{msg}");
    assert!(tx.is_closed(), "the refused receiver was dropped");

    let (tx, rx) = oneshot::channel();
    let waiter = anyrt::spawn_blocking(move || rx.recv_blocking());
    anyrt::time::sleep(Duration::from_millis(5)).await;
    tx.send(7).unwrap();
    assert_eq!(within("recv_blocking", waiter).await.unwrap(), Ok(7));
}

// --- broadcast -----------------------------------------------------------------------------

#[anyrt::test]
async fn broadcast_every_receiver_gets_every_value() {
    let (tx, rx) = broadcast::channel(16);
    let receivers: Vec<_> = (0..3)
        .map(|_| {
            let mut rx = tx.subscribe();
            anyrt::spawn(async move {
                let mut got = Vec::new();
                loop {
                    match rx.recv().await {
                        Ok(v) => got.push(v),
                        Err(broadcast::RecvError::Closed) => break got,
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        })
        .collect();
    drop(rx);
    assert_eq!(tx.receiver_count(), 3);
    for i in 0..10 {
        tx.send(i).unwrap();
        anyrt::task::yield_now().await;
    }
    drop(tx);
    for r in receivers {
        let got = within("a receiver", r).await.unwrap();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
    }
}

#[anyrt::test]
async fn broadcast_lagging_receiver_is_told_how_many_it_missed() {
    let (tx, mut rx) = broadcast::channel(4);
    for i in 0..10u32 {
        tx.send(i).unwrap();
    }
    let err = within("recv", rx.recv()).await.unwrap_err();
    assert_eq!(err, broadcast::RecvError::Lagged(6));
    assert_eq!(err.missed(), Some(6));
    assert!(err.to_string().contains("missed 6"), "{err}");
    // Not closed: it continues with the oldest value kept.
    for want in 6..10 {
        assert_eq!(within("recv", rx.recv()).await, Ok(want));
    }
    assert!(rx.try_recv().unwrap_err().is_empty());
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.try_recv(), Err(broadcast::TryRecvError::Lagged(1)));
}

#[anyrt::test]
async fn broadcast_error_paths() {
    let (tx, rx) = broadcast::channel(2);
    drop(rx);
    assert_eq!(tx.send(1).unwrap_err().into_inner(), 1);
    within("closed", tx.closed()).await;
    let mut rx = tx.subscribe();
    tx.send(2).unwrap();
    drop(tx);
    assert!(rx.is_closed());
    assert_eq!(rx.recv().await, Ok(2));
    assert_eq!(rx.recv().await, Err(broadcast::RecvError::Closed));
    assert!(rx.try_recv().unwrap_err().is_closed());
    let msg = catch_panic(|| broadcast::channel::<u8>(0)).unwrap_err();
    assert!(msg.contains("at least 1"), "{msg}");
}

#[anyrt::test]
async fn broadcast_recv_is_cancel_safe() {
    // Room for every value: what is tested is that a `recv` dropped by the `select` loses
    // nothing, not that the consumer keeps up (on a loaded machine it can be descheduled for
    // longer than the producer needs to fill a smaller channel, and then it lags).
    let (tx, mut rx) = broadcast::channel(512);
    let producer = anyrt::spawn(async move {
        for i in 0..500u32 {
            tx.send(i).unwrap();
            if matches!(i % 7, 0) {
                anyrt::time::sleep(Duration::from_micros(200)).await;
            }
        }
    });
    let mut got = Vec::new();
    within("the select loop", async {
        loop {
            let recv = pin!(rx.recv());
            match select(recv, pin!(anyrt::time::sleep(Duration::from_micros(50)))).await {
                Either::Left((Ok(v), _)) => got.push(v),
                Either::Left((Err(broadcast::RecvError::Closed), _)) => break,
                Either::Left((Err(e), _)) => panic!("{e}"),
                Either::Right(_) => {}
            }
        }
    })
    .await;
    within("producer", producer).await.unwrap();
    assert_eq!(got, (0..500).collect::<Vec<_>>());
}

#[anyrt::test]
async fn broadcast_blocking_bridge() {
    let (tx, mut rx) = broadcast::channel::<u8>(4);
    let msg = catch_panic(|| rx.recv_blocking()).unwrap_err();
    assert!(msg.contains("spawn_blocking"), "{msg}");
    let waiter = anyrt::spawn_blocking(move || rx.recv_blocking());
    anyrt::time::sleep(Duration::from_millis(5)).await;
    tx.send(8).unwrap();
    assert_eq!(within("recv_blocking", waiter).await.unwrap(), Ok(8));
}

// --- watch ---------------------------------------------------------------------------------

#[anyrt::test]
async fn watch_receivers_see_the_latest_value() {
    let (tx, mut rx) = watch::channel(0u32);
    let mut rx2 = rx.clone();
    let watcher = anyrt::spawn(async move {
        let v = rx2.wait_for(|v| *v == 100).await.map(|r| *r);
        v
    });
    for i in 1..=100 {
        tx.send(i).unwrap();
        if matches!(i % 10, 0) {
            anyrt::task::yield_now().await;
        }
    }
    assert_eq!(within("wait_for", watcher).await.unwrap(), Ok(100));
    within("changed", rx.changed()).await.unwrap();
    assert_eq!(*rx.borrow_and_update(), 100);
    assert_eq!(rx.has_changed(), Ok(false));
}

#[anyrt::test]
async fn watch_paths_and_errors() {
    let (tx, mut rx) = watch::channel(String::from("a"));
    assert_eq!(tx.send_replace("b".into()), "a");
    tx.send_modify(|s| s.push('c'));
    assert!(!tx.send_if_modified(|_| false));
    assert_eq!(*tx.borrow(), "bc");
    assert!(rx.borrow().as_str() == "bc");
    rx.mark_unchanged();
    assert_eq!(rx.has_changed(), Ok(false));
    rx.mark_changed();
    within("changed", rx.changed()).await.unwrap();
    let rx2 = tx.subscribe();
    assert_eq!(tx.receiver_count(), 2);
    assert!(rx.same_channel(&rx2));
    drop((rx, rx2));
    // No receiver: send hands the value back and does not store it.
    assert!(tx.is_closed());
    within("closed", tx.closed()).await;
    assert_eq!(tx.send("d".into()).unwrap_err().into_inner(), "d");
    assert_eq!(*tx.borrow(), "bc");
    // No sender: changed fails.
    let (tx, mut rx) = watch::channel(0);
    let waiting = anyrt::spawn(async move { rx.changed().await });
    anyrt::time::sleep(Duration::from_millis(5)).await;
    drop(tx);
    assert_eq!(
        within("changed", waiting).await.unwrap(),
        Err(RecvError::new())
    );
}

#[anyrt::test]
async fn watch_changed_is_cancel_safe() {
    let (tx, mut rx) = watch::channel(0);
    let r = anyrt::time::timeout(Duration::from_millis(5), rx.changed()).await;
    assert!(r.is_err());
    tx.send(1).unwrap();
    within("changed after a timeout", rx.changed())
        .await
        .unwrap();
    assert_eq!(*rx.borrow(), 1);
}

// --- across backends -----------------------------------------------------------------------

#[test]
fn oneshot_broadcast_and_watch_across_backends() {
    let backends = compiled_backends();
    for &from in &backends {
        for &to in &backends {
            if from == to {
                continue;
            }
            let rt_from = anyrt::Runtime::new(from).unwrap();
            let rt_to = anyrt::Runtime::new(to).unwrap();
            let (otx, orx) = oneshot::channel();
            let (btx, mut brx) = broadcast::channel(8);
            let (wtx, mut wrx) = watch::channel(0);
            let consumer = rt_to.spawn(async move {
                assert_eq!(Backend::current(), Some(to));
                let one = orx.await.unwrap();
                let b = brx.recv().await.unwrap();
                let w = *wrx.wait_for(|v| *v == 3).await.unwrap();
                (one, b, w)
            });
            let producer = rt_from.spawn(async move {
                assert_eq!(Backend::current(), Some(from));
                otx.send(1).unwrap();
                btx.send(2).unwrap();
                for v in 1..=3 {
                    wtx.send(v).unwrap();
                    anyrt::time::sleep(Duration::from_millis(1)).await;
                }
                // Keep the senders alive until the consumer is done.
                (btx, wtx)
            });
            let got = rt_from.block_on(within("the consumer", consumer)).unwrap();
            assert_eq!(got, (1, 2, 3), "{from} -> {to}");
            drop(rt_to.block_on(within("the producer", producer)));
        }
    }
}
