//! Time: sleeps and timeouts, with and without a runtime.

use anyrt_core::{Provider, RuntimeConfig};
use anyrt_smol::Smol;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use anyrt_core::time::{Elapsed, Instant};

fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn sleep_zero_is_ready_at_first_poll() {
    assert!(poll_once(&mut Smol::sleep(Duration::ZERO)).is_ready());
}

#[test]
fn past_deadline_is_ready_at_first_poll() {
    let past = Instant::now() - Duration::from_millis(10);
    assert!(poll_once(&mut Smol::sleep_until(past)).is_ready());
    assert!(poll_once(&mut Smol::sleep_until(Instant::now())).is_ready());
    // A timeout whose future is ready gives its output even at a zero duration.
    assert_eq!(
        poll_once(&mut Smol::timeout(Duration::ZERO, std::future::ready(3))),
        Poll::Ready(Ok(3))
    );
    assert_eq!(
        poll_once(&mut Smol::timeout_at(
            past,
            Box::pin(std::future::pending::<()>())
        )),
        Poll::Ready(Err(Elapsed::new()))
    );
}

#[test]
fn duration_max_pends_without_panicking() {
    let mut sleep = Smol::sleep(Duration::MAX);
    assert!(poll_once(&mut sleep).is_pending());
    assert!(poll_once(&mut sleep).is_pending());
    let bounded = Smol::timeout(Duration::from_millis(20), sleep);
    assert_eq!(Smol::block_on(bounded), Err(Elapsed::new()));
    // Far, but representable: still pends.
    let mut far = Smol::sleep(Duration::from_secs(u64::MAX / 4));
    assert!(poll_once(&mut far).is_pending());
}

#[test]
fn sleep_lasts_at_least_its_duration() {
    for ms in [1, 10, 30] {
        let d = Duration::from_millis(ms);
        let start = std::time::Instant::now();
        Smol::block_on(Smol::sleep(d));
        let took = start.elapsed();
        assert!(took >= d, "slept {took:?} < {d:?}");
        assert!(
            took < d + Duration::from_secs(2),
            "slept {took:?} for {d:?}"
        );
    }
    let deadline = Instant::now() + Duration::from_millis(15);
    Smol::block_on(Smol::sleep_until(deadline));
    assert!(Instant::now() >= deadline);
}

#[test]
fn sleep_and_timeout_work_without_any_runtime() {
    // A foreign executor (futures-lite's block_on), no anyrt context anywhere.
    let start = std::time::Instant::now();
    futures_lite::future::block_on(Smol::sleep(Duration::from_millis(10)));
    assert!(start.elapsed() >= Duration::from_millis(10));

    let r = futures_lite::future::block_on(Smol::timeout(
        Duration::from_millis(10),
        std::future::pending::<()>(),
    ));
    assert_eq!(r, Err(Elapsed::new()));
    let r = futures_lite::future::block_on(Smol::timeout(
        Duration::from_secs(10),
        Smol::sleep(Duration::from_millis(1)),
    ));
    assert_eq!(r, Ok(()));

    // Created on one thread, awaited on another.
    let sleep = Smol::sleep(Duration::from_millis(5));
    std::thread::spawn(move || futures_lite::future::block_on(sleep))
        .join()
        .unwrap();
}

#[test]
fn timeout_inside_tasks() {
    let rt = Smol::build(&RuntimeConfig::new()).unwrap();
    let r = rt.block_on(async {
        Smol::spawn(async {
            let slow = Smol::timeout(
                Duration::from_millis(5),
                Smol::sleep(Duration::from_secs(60)),
            )
            .await;
            let fast = Smol::timeout(Duration::from_secs(60), async { 9 }).await;
            (slow, fast)
        })
        .await
        .unwrap()
    });
    assert_eq!(r, (Err(Elapsed::new()), Ok(9)));
}

#[test]
fn sleep_is_send_and_debug() {
    fn send<T: Send + 'static + std::fmt::Debug>(_: &T) {}
    let s = Smol::sleep(Duration::from_millis(1));
    send(&s);
    assert!(format!("{s:?}").starts_with("Sleep"));
}
