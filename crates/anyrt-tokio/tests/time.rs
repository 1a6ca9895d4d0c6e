//! Timers: zero and past deadlines, Duration::MAX, plain threads, timeouts, the co-op budget.

mod common;

use std::pin::pin;
use std::time::Duration;

use anyrt_core::time::{Elapsed, Instant};

use common::{plain_block_on, poll_once, poll_once_owned, within, LIMIT};

#[test]
fn sleep_zero_is_ready_at_the_first_poll() {
    // On a plain thread: no runtime needed, none started for it.
    assert!(poll_once_owned(anyrt_tokio::sleep(Duration::ZERO)).is_ready());
    assert!(anyrt_tokio::sleep(Duration::ZERO).is_elapsed());
    within(LIMIT, || {
        anyrt_tokio::block_on(async {
            assert!(poll_once_owned(anyrt_tokio::sleep(Duration::ZERO)).is_ready());
            // Many in a row: each is ready at once (tokio's own would wait for a tick).
            let start = std::time::Instant::now();
            for _ in 0..1000 {
                anyrt_tokio::sleep(Duration::ZERO).await;
            }
            assert!(start.elapsed() < Duration::from_millis(500));
        });
    });
}

#[test]
fn past_deadline_is_ready_at_the_first_poll() {
    let past = Instant::now();
    assert!(poll_once_owned(anyrt_tokio::sleep_until(past)).is_ready());
    let long_ago = Instant::now() - Duration::from_millis(5);
    within(LIMIT, move || {
        anyrt_tokio::block_on(async move {
            assert!(poll_once_owned(anyrt_tokio::sleep_until(long_ago)).is_ready());
            assert!(poll_once_owned(anyrt_tokio::sleep_until(Instant::now())).is_ready());
        });
    });
}

#[test]
fn duration_max_pends_without_panicking() {
    within(LIMIT, || {
        // Created on a plain thread.
        let mut s = pin!(anyrt_tokio::sleep(Duration::MAX));
        assert!(poll_once(s.as_mut()).is_pending());
        assert!(!s.is_elapsed());
        let far = Instant::now().far_future();
        assert!(poll_once_owned(anyrt_tokio::sleep_until(far)).is_pending());
        // Inside the runtime, and as a timeout.
        anyrt_tokio::block_on(async {
            assert!(poll_once_owned(anyrt_tokio::sleep(Duration::MAX)).is_pending());
            assert_eq!(
                anyrt_tokio::timeout(Duration::MAX, async { 2 }).await,
                Ok(2)
            );
            let t = anyrt_tokio::timeout(Duration::MAX, std::future::pending::<()>());
            assert!(poll_once_owned(t).is_pending());
        });
    });
}

#[test]
fn sleep_lasts_at_least_its_duration() {
    within(LIMIT, || {
        anyrt_tokio::block_on(async {
            for ms in [1, 5, 20] {
                let d = Duration::from_millis(ms);
                let start = std::time::Instant::now();
                anyrt_tokio::sleep(d).await;
                assert!(start.elapsed() >= d, "{:?} < {d:?}", start.elapsed());
            }
            let deadline = Instant::now() + Duration::from_millis(10);
            anyrt_tokio::sleep_until(deadline).await;
            assert!(Instant::now() >= deadline);
        });
    });
}

#[test]
fn sleep_and_timeout_from_a_plain_thread() {
    within(LIMIT, || {
        assert!(tokio::runtime::Handle::try_current().is_err());
        // Created and awaited with no runtime on this thread: the process-wide runtime's
        // timer wakes it.
        let start = std::time::Instant::now();
        plain_block_on(anyrt_tokio::sleep(Duration::from_millis(10)));
        assert!(start.elapsed() >= Duration::from_millis(10));

        let r = plain_block_on(anyrt_tokio::timeout(
            Duration::from_millis(10),
            std::future::pending::<()>(),
        ));
        assert_eq!(r, Err(Elapsed::new()));
        let r = plain_block_on(anyrt_tokio::timeout(Duration::from_secs(10), async { 1 }));
        assert_eq!(r, Ok(1));
        let r = plain_block_on(anyrt_tokio::timeout_at(
            Instant::now() + Duration::from_millis(5),
            std::future::pending::<()>(),
        ));
        assert!(r.is_err());
    });
}

#[test]
fn timeout_polls_the_future_first() {
    within(LIMIT, || {
        // Ready future, zero or past deadline: its output wins.
        assert_eq!(
            poll_once_owned(anyrt_tokio::timeout(Duration::ZERO, async { 1 })),
            std::task::Poll::Ready(Ok(1))
        );
        assert_eq!(
            poll_once_owned(anyrt_tokio::timeout_at(Instant::now(), async { 2 })),
            std::task::Poll::Ready(Ok(2))
        );
        anyrt_tokio::block_on(async {
            assert_eq!(
                anyrt_tokio::timeout(Duration::from_millis(1), async { 3 }).await,
                Ok(3)
            );
        });
    });
}

#[test]
fn zero_timeout_of_a_pending_future_elapses_at_the_first_poll() {
    let r = poll_once_owned(anyrt_tokio::timeout(
        Duration::ZERO,
        std::future::pending::<()>(),
    ));
    assert_eq!(r, std::task::Poll::Ready(Err(Elapsed::new())));
    let r = poll_once_owned(anyrt_tokio::timeout_at(
        Instant::now(),
        std::future::pending::<()>(),
    ));
    assert_eq!(r, std::task::Poll::Ready(Err(Elapsed::new())));
}

#[test]
fn timeout_accessors() {
    let mut t = anyrt_tokio::timeout(Duration::from_secs(1), std::future::ready(4));
    assert!(format!("{t:?}").contains("Timeout"));
    assert_eq!(t.get_ref().clone().into_inner(), 4);
    assert_eq!(t.get_mut().clone().into_inner(), 4);
    assert_eq!(t.into_inner().into_inner(), 4);
    let t = anyrt_tokio::timeout(Duration::ZERO, std::future::ready(5));
    assert_eq!(t.into_inner().into_inner(), 5);
}

#[test]
fn timeout_is_not_starved_by_the_coop_budget() {
    // A future that always uses up tokio's budget: a timeout built on a plain sleep would
    // see the budget spent too and never fire. tokio's timeout (which anyrt delegates to)
    // polls its timer unconstrained then.
    within(LIMIT, || {
        let r = anyrt_tokio::block_on(async {
            anyrt_tokio::spawn(async {
                anyrt_tokio::timeout(Duration::from_millis(20), async {
                    loop {
                        tokio::task::coop::consume_budget().await;
                    }
                })
                .await
            })
            .await
            .unwrap()
        });
        assert_eq!(r, Err::<(), _>(Elapsed::new()));
    });
}

#[test]
fn sleep_is_debug_and_send() {
    fn assert_send<T: Send + 'static>(_: &T) {}
    let s = anyrt_tokio::sleep(Duration::from_millis(1));
    assert_send(&s);
    assert!(format!("{s:?}").contains("Sleep"));
    let t = anyrt_tokio::timeout(Duration::from_millis(1), async {});
    assert_send(&t);
}

#[test]
fn sleep_in_a_spawned_task_and_on_an_owned_runtime() {
    within(LIMIT, || {
        let rt = anyrt_tokio::Runtime::builder()
            .worker_threads(1)
            .build()
            .unwrap();
        let start = std::time::Instant::now();
        rt.block_on(async {
            anyrt_tokio::spawn(anyrt_tokio::sleep(Duration::from_millis(5)))
                .await
                .unwrap();
            anyrt_tokio::sleep(Duration::from_millis(5)).await;
        });
        assert!(start.elapsed() >= Duration::from_millis(10));
    });
}
