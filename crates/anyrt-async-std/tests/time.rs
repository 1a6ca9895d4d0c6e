//! Timers: zero and past deadlines, `Duration::MAX`, durations, timeouts, plain threads.

mod common;

use anyrt_core::Provider;
use std::future::{pending, Future};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use anyrt_async_std::AsyncStd;
use anyrt_core::time::Instant;
use common::{plain_block_on, within};

fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn zero_and_past_deadlines_are_ready_at_the_first_poll() {
    // No runtime, no reactor: a plain thread and a no-op waker.
    assert!(poll_once(pin!(AsyncStd::sleep(Duration::ZERO))).is_ready());
    let past = Instant::now() - Duration::from_millis(5);
    assert!(poll_once(pin!(AsyncStd::sleep_until(past))).is_ready());
    assert!(poll_once(pin!(AsyncStd::timeout(Duration::ZERO, async { 1 }))).is_ready());
    match poll_once(pin!(AsyncStd::timeout(Duration::ZERO, pending::<()>()))) {
        Poll::Ready(Err(_)) => {}
        other => panic!("expected Elapsed at the first poll, got {other:?}"),
    }
}

#[test]
fn a_completed_sleep_stays_ready() {
    let mut s = pin!(AsyncStd::sleep(Duration::ZERO));
    assert!(poll_once(s.as_mut()).is_ready());
    assert!(poll_once(s.as_mut()).is_ready());
}

#[test]
fn duration_max_pends_without_panicking() {
    within(10, || {
        let mut s = pin!(AsyncStd::sleep(Duration::MAX));
        assert!(poll_once(s.as_mut()).is_pending());
        let r = AsyncStd::block_on(AsyncStd::timeout(
            Duration::from_millis(5),
            AsyncStd::sleep(Duration::MAX),
        ));
        assert!(r.is_err());
        assert_eq!(
            AsyncStd::block_on(AsyncStd::timeout(Duration::MAX, async { 9 })).unwrap(),
            9,
            "a timeout of Duration::MAX does not panic either"
        );
    });
}

#[test]
fn sleep_lasts_at_least_its_duration() {
    within(10, || {
        let d = Duration::from_millis(20);
        let start = std::time::Instant::now();
        AsyncStd::block_on(AsyncStd::sleep(d));
        let took = start.elapsed();
        assert!(took >= d, "slept {took:?} < {d:?}");
        assert!(took < d + Duration::from_secs(1), "slept {took:?}");
    });
}

#[test]
fn sleep_spawn_and_timeout_from_a_plain_thread() {
    within(10, || {
        let start = std::time::Instant::now();
        plain_block_on(AsyncStd::sleep(Duration::from_millis(10)));
        assert!(start.elapsed() >= Duration::from_millis(10));
        let r = plain_block_on(AsyncStd::timeout(Duration::from_millis(5), pending::<()>()));
        assert!(r.is_err());
        let r = plain_block_on(AsyncStd::timeout(Duration::from_secs(5), async {
            AsyncStd::sleep(Duration::from_millis(1)).await;
            4
        }));
        assert_eq!(r.unwrap(), 4);
        let h = AsyncStd::spawn(async {
            AsyncStd::timeout(Duration::from_millis(1), pending::<()>()).await
        });
        assert!(plain_block_on(h).unwrap().is_err());
    });
}

#[test]
fn timeout_polls_the_future_first() {
    within(10, || {
        let past = Instant::now() - Duration::from_secs(1);
        assert_eq!(
            AsyncStd::block_on(AsyncStd::timeout_at(past, async { 1 })).unwrap(),
            1
        );
        let e = AsyncStd::block_on(AsyncStd::timeout_at(past, pending::<()>())).unwrap_err();
        assert_eq!(e.to_string(), "deadline has elapsed");
    });
}

#[test]
fn reset_moves_the_deadline() {
    within(10, || {
        let mut s = pin!(AsyncStd::sleep(Duration::MAX));
        let deadline = Instant::now() + Duration::from_millis(5);
        s.as_mut().get_mut().reset(deadline);
        AsyncStd::block_on(s.as_mut());
        assert!(Instant::now() >= deadline);
        // Re-arming a completed sleep.
        let again = Instant::now() + Duration::from_millis(5);
        s.as_mut().get_mut().reset(again);
        assert!(poll_once(s.as_mut()).is_pending());
        AsyncStd::block_on(s);
        assert!(Instant::now() >= again);
        assert!(format!("{:?}", AsyncStd::sleep(Duration::ZERO)).starts_with("Sleep"));
    });
}
