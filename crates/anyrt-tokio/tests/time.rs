//! Timers: zero and past deadlines, Duration::MAX, plain threads, timeouts, the co-op budget.

mod common;

use anyrt_core::{Provider, RuntimeConfig};
use anyrt_tokio::Tokio;
use std::pin::pin;
use std::time::Duration;

use anyrt_core::time::{Elapsed, Instant};
use anyrt_core::Executor;

use common::{plain_block_on, poll_once, poll_once_owned, within, LIMIT};

#[test]
fn sleep_zero_is_ready_at_the_first_poll() {
    // On a plain thread: no runtime needed, none started for it.
    assert!(poll_once_owned(Tokio::sleep(Duration::ZERO)).is_ready());
    assert!(Tokio::sleep(Duration::ZERO).is_elapsed());
    within(LIMIT, || {
        Tokio::block_on(async {
            assert!(poll_once_owned(Tokio::sleep(Duration::ZERO)).is_ready());
            // Many in a row: each is ready at once (tokio's own would wait for a tick).
            let start = std::time::Instant::now();
            for _ in 0..1000 {
                Tokio::sleep(Duration::ZERO).await;
            }
            assert!(start.elapsed() < Duration::from_millis(500));
        });
    });
}

#[test]
fn past_deadline_is_ready_at_the_first_poll() {
    let past = Instant::now();
    assert!(poll_once_owned(Tokio::sleep_until(past)).is_ready());
    let long_ago = Instant::now() - Duration::from_millis(5);
    within(LIMIT, move || {
        Tokio::block_on(async move {
            assert!(poll_once_owned(Tokio::sleep_until(long_ago)).is_ready());
            assert!(poll_once_owned(Tokio::sleep_until(Instant::now())).is_ready());
        });
    });
}

#[test]
fn duration_max_pends_without_panicking() {
    within(LIMIT, || {
        // Created on a plain thread.
        let mut s = pin!(Tokio::sleep(Duration::MAX));
        assert!(poll_once(s.as_mut()).is_pending());
        assert!(!s.is_elapsed());
        let far = Instant::now().far_future();
        assert!(poll_once_owned(Tokio::sleep_until(far)).is_pending());
        // Inside the runtime, and as a timeout.
        Tokio::block_on(async {
            assert!(poll_once_owned(Tokio::sleep(Duration::MAX)).is_pending());
            assert_eq!(Tokio::timeout(Duration::MAX, async { 2 }).await, Ok(2));
            let t = Tokio::timeout(Duration::MAX, std::future::pending::<()>());
            assert!(poll_once_owned(t).is_pending());
        });
    });
}

#[test]
fn sleep_lasts_at_least_its_duration() {
    within(LIMIT, || {
        Tokio::block_on(async {
            for ms in [1, 5, 20] {
                let d = Duration::from_millis(ms);
                let start = std::time::Instant::now();
                Tokio::sleep(d).await;
                assert!(start.elapsed() >= d, "{:?} < {d:?}", start.elapsed());
            }
            let deadline = Instant::now() + Duration::from_millis(10);
            Tokio::sleep_until(deadline).await;
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
        plain_block_on(Tokio::sleep(Duration::from_millis(10)));
        assert!(start.elapsed() >= Duration::from_millis(10));

        let r = plain_block_on(Tokio::timeout(
            Duration::from_millis(10),
            std::future::pending::<()>(),
        ));
        assert_eq!(r, Err(Elapsed::new()));
        let r = plain_block_on(Tokio::timeout(Duration::from_secs(10), async { 1 }));
        assert_eq!(r, Ok(1));
        let r = plain_block_on(Tokio::timeout_at(
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
            poll_once_owned(Tokio::timeout(Duration::ZERO, async { 1 })),
            std::task::Poll::Ready(Ok(1))
        );
        assert_eq!(
            poll_once_owned(Tokio::timeout_at(Instant::now(), async { 2 })),
            std::task::Poll::Ready(Ok(2))
        );
        Tokio::block_on(async {
            assert_eq!(
                Tokio::timeout(Duration::from_millis(1), async { 3 }).await,
                Ok(3)
            );
        });
    });
}

#[test]
fn zero_timeout_of_a_pending_future_elapses_at_the_first_poll() {
    let r = poll_once_owned(Tokio::timeout(Duration::ZERO, std::future::pending::<()>()));
    assert_eq!(r, std::task::Poll::Ready(Err(Elapsed::new())));
    let r = poll_once_owned(Tokio::timeout_at(
        Instant::now(),
        std::future::pending::<()>(),
    ));
    assert_eq!(r, std::task::Poll::Ready(Err(Elapsed::new())));
}

#[test]
fn timeout_accessors() {
    let mut t = Tokio::timeout(Duration::from_secs(1), std::future::ready(4));
    assert!(format!("{t:?}").contains("Timeout"));
    assert_eq!(t.get_ref().clone().into_inner(), 4);
    assert_eq!(t.get_mut().clone().into_inner(), 4);
    assert_eq!(t.into_inner().into_inner(), 4);
    let t = Tokio::timeout(Duration::ZERO, std::future::ready(5));
    assert_eq!(t.into_inner().into_inner(), 5);
}

#[test]
fn timeout_is_not_starved_by_the_coop_budget() {
    // A future that always uses up tokio's budget: a timeout built on tokio's plain sleep
    // would see the budget spent too and never fire. anyrt's sleep is polled unconstrained,
    // as tokio's own timeout polls its timer then.
    within(LIMIT, || {
        let r = Tokio::block_on(async {
            Tokio::spawn(async {
                Tokio::timeout(Duration::from_millis(20), async {
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

/// A future that spends tokio's whole co-op budget at every poll, and never completes.
async fn spend_the_budget_forever() {
    loop {
        tokio::task::coop::consume_budget().await;
    }
}

#[test]
fn sleep_is_not_starved_by_the_coop_budget_in_a_generic_timeout() {
    // `anyrt_core::time::Timeout<F, Sleep>` is what `Executor::timeout` builds: it polls the
    // future, then the sleep, with no budget left.
    within(LIMIT, || {
        let rt = Tokio::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
        let results = rt.block_on(async {
            Tokio::spawn(async {
                let generic = anyrt_core::time::Timeout::new(
                    spend_the_budget_forever(),
                    Tokio::sleep(Duration::from_millis(20)),
                )
                .await;
                let handle = anyrt_tokio::Handle::current().unwrap();
                let through_handle = handle
                    .timeout(Duration::from_millis(20), spend_the_budget_forever())
                    .await;
                let global = anyrt_tokio::Handle::global()
                    .timeout(Duration::from_millis(20), spend_the_budget_forever())
                    .await;
                [generic, through_handle, global]
            })
            .await
            .unwrap()
        });
        assert_eq!(results, [Err(Elapsed::new()); 3]);
    });
}

#[test]
fn elapsed_sleep_is_ready_with_no_budget_left() {
    within(LIMIT, || {
        // Two workers: while this task blocks its worker, the other one drives the timer.
        let rt = Tokio::build(&RuntimeConfig::new().worker_threads(2)).unwrap();
        let ready = plain_block_on(rt.spawn(async {
            let mut s = pin!(Tokio::sleep(Duration::from_millis(2)));
            assert!(poll_once(s.as_mut()).is_pending());
            let start = std::time::Instant::now();
            while !s.is_elapsed() && start.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(2));
            }
            // Spend the budget, then poll: tokio's own sleep would pend until the next poll
            // of the task.
            while tokio::task::coop::has_budget_remaining() {
                tokio::task::coop::consume_budget().await;
            }
            poll_once(s.as_mut()).is_ready()
        }))
        .unwrap();
        assert!(ready);
    });
}

#[test]
fn sleep_and_timeout_outlive_the_runtime_they_were_made_on() {
    within(LIMIT, || {
        let rt = Tokio::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
        let handle = rt.handle();
        let d = Duration::from_millis(150);
        let start = std::time::Instant::now();
        // On its timer: in its block_on (one polled once, so registered there), in one of its
        // tasks, through its handle, and a timeout.
        let (mut polled, fresh, until, timeout) = rt.block_on(async {
            let mut polled = Box::pin(Tokio::sleep(d));
            assert!(poll_once(polled.as_mut()).is_pending());
            let fresh = Box::pin(Tokio::sleep(d));
            let until = Box::pin(Tokio::sleep_until(Instant::now() + d));
            let mut timeout = Box::pin(Tokio::timeout(d, std::future::pending::<()>()));
            assert!(poll_once(timeout.as_mut()).is_pending());
            (polled, fresh, until, timeout)
        });
        // Handing the sleep out unawaited is the point.
        #[allow(clippy::async_yields_async)]
        let in_task = plain_block_on(rt.spawn(async move {
            let mut s = Box::pin(Tokio::sleep(d));
            assert!(poll_once(s.as_mut()).is_pending());
            s
        }))
        .unwrap();
        let mut through_handle = Box::pin(handle.sleep(d));
        assert!(poll_once(through_handle.as_mut()).is_pending());
        let exec_timeout = Box::pin(handle.timeout(d, std::future::pending::<()>()));

        drop(rt);
        // Let the workers see the shutdown and shut the timer down (which fires its entries).
        std::thread::sleep(Duration::from_millis(50));
        assert!(!polled.is_elapsed(), "elapsed early after the shutdown");
        assert!(poll_once(polled.as_mut()).is_pending());

        // Awaited on a plain thread, in a task of the process-wide runtime, and on another
        // anyrt runtime: no panic, and not before the deadline.
        plain_block_on(polled);
        plain_block_on(fresh);
        Tokio::block_on(Tokio::spawn(until)).unwrap();
        let other = Tokio::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
        other.block_on(in_task);
        plain_block_on(through_handle);
        assert!(start.elapsed() >= d, "{:?}", start.elapsed());
        assert_eq!(plain_block_on(timeout), Err(Elapsed::new()));
        assert_eq!(other.block_on(exec_timeout), Err(Elapsed::new()));
        assert!(start.elapsed() < Duration::from_secs(5));

        // Its deadline passed before the next poll: ready at once.
        let rt = Tokio::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
        #[allow(clippy::async_yields_async)]
        let mut s = rt.block_on(async {
            let mut s = Box::pin(Tokio::sleep(Duration::from_millis(5)));
            assert!(poll_once(s.as_mut()).is_pending());
            s
        });
        drop(rt);
        std::thread::sleep(Duration::from_millis(20));
        assert!(s.is_elapsed());
        assert!(poll_once(s.as_mut()).is_ready());
    });
}

#[test]
fn sleep_in_a_handle_block_on_survives_a_concurrent_shutdown() {
    within(LIMIT, || {
        let rt = Tokio::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
        let handle = rt.handle();
        let (slept_tx, slept_rx) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            handle.block_on(async {
                let mut s = pin!(Tokio::sleep(Duration::from_millis(150)));
                assert!(poll_once(s.as_mut()).is_pending());
                slept_tx.send(()).unwrap();
                s.await;
                // Made after the shutdown, in a block_on through the handle.
                Tokio::sleep(Duration::from_millis(5)).await;
            });
        });
        slept_rx.recv().unwrap();
        drop(rt);
        t.join().unwrap();
    });
}

#[test]
fn sleep_is_debug_and_send() {
    fn assert_send<T: Send + 'static>(_: &T) {}
    let s = Tokio::sleep(Duration::from_millis(1));
    assert_send(&s);
    assert!(format!("{s:?}").contains("Sleep"));
    let t = Tokio::timeout(Duration::from_millis(1), async {});
    assert_send(&t);
}

#[test]
fn sleep_in_a_spawned_task_and_on_an_owned_runtime() {
    within(LIMIT, || {
        let rt = Tokio::build(&RuntimeConfig::new().worker_threads(1)).unwrap();
        let start = std::time::Instant::now();
        rt.block_on(async {
            Tokio::spawn(Tokio::sleep(Duration::from_millis(5)))
                .await
                .unwrap();
            Tokio::sleep(Duration::from_millis(5)).await;
        });
        assert!(start.elapsed() >= Duration::from_millis(10));
    });
}
