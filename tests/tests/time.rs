//! Time: `sleep`, `sleep_until`, `timeout`, `timeout_at`, `interval`, `Instant`.
//!
//! Semantics rows pinned here: "sleep(Duration::ZERO), a deadline already past", "sleep(d)",
//! "interval(p)", "timeout" (tokio's co-op budget).
//!
//! Durations are measured on `anyrt::time::Instant`, the clock of the backend in effect: the
//! system's on the real backends, the virtual one under sim, where every bound here holds
//! exactly (and takes no real time).

// Everything here needs a backend; a build with none runs only features.rs.
#![cfg(feature = "_backend")]

use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use anyrt::time::{
    interval, interval_at, sleep, sleep_until, timeout, timeout_at, Elapsed, Instant, Interval,
    MissedTickBehavior, Sleep,
};
use anyrt::Backend;
use anyrt_tests::*;
use futures::StreamExt;

const MS: Duration = Duration::from_millis(1);

fn long_ago() -> Instant {
    Instant::now()
        .checked_sub(Duration::from_secs(1))
        .unwrap_or_else(Instant::now)
}

// --- ready at the first poll ------------------------------------------------------------

#[anyrt::test]
async fn sleep_zero_is_ready_at_the_first_poll() {
    for _ in 0..100 {
        let s = pin!(sleep(Duration::ZERO));
        assert!(poll_once(s).is_ready(), "sleep(ZERO) was pending");
    }
}

#[anyrt::test]
async fn sleep_zero_awaited_in_a_loop_takes_no_time() {
    // tokio's own sleep(ZERO) waits for the next timer tick (~1 ms): 200 of them would take
    // ~200 ms; ready at the first poll they take microseconds.
    let t = Instant::now();
    for _ in 0..200 {
        sleep(Duration::ZERO).await;
    }
    assert!(
        t.elapsed() < Duration::from_millis(100),
        "200 × sleep(ZERO) took {:?}",
        t.elapsed()
    );
}

#[anyrt::test]
async fn sleep_until_a_past_deadline_is_ready_at_the_first_poll() {
    let s = pin!(sleep_until(long_ago()));
    assert!(poll_once(s).is_ready());
    let s = pin!(sleep_until(Instant::now()));
    assert!(poll_once(s).is_ready());
}

#[anyrt::test]
async fn sleep_zero_in_a_spawned_task_is_ready_at_the_first_poll() {
    let ready = within(
        "the task",
        anyrt::spawn(async {
            let s = pin!(sleep(Duration::ZERO));
            let a = poll_once(s).is_ready();
            let s = pin!(sleep_until(long_ago()));
            a && poll_once(s).is_ready()
        }),
    )
    .await
    .unwrap();
    assert!(ready);
}

#[anyrt::test]
async fn timeout_at_a_past_deadline_is_decided_at_the_first_poll() {
    let t = pin!(timeout_at(long_ago(), std::future::pending::<()>()));
    assert!(matches!(poll_once(t), Poll::Ready(Err(_))));
    let t = pin!(timeout(Duration::ZERO, std::future::pending::<()>()));
    assert!(matches!(poll_once(t), Poll::Ready(Err(_))));
    // A ready future wins even against a zero timeout.
    let t = pin!(timeout(Duration::ZERO, async { 3 }));
    assert!(matches!(poll_once(t), Poll::Ready(Ok(3))));
}

#[test]
fn sleep_zero_is_ready_at_the_first_poll_on_a_plain_thread() {
    let (a, b) = on_plain_thread("poll", || {
        let s = pin!(sleep(Duration::ZERO));
        let a = poll_once(s).is_ready();
        let s = pin!(sleep_until(long_ago()));
        (a, poll_once(s).is_ready())
    });
    assert!(a && b);
}

// --- sleep(d) lasts at least d, not much more --------------------------------------------

#[anyrt::test]
async fn sleep_lasts_at_least_d() {
    for d in [MS, 3 * MS, 15 * MS, 40 * MS] {
        let t = Instant::now();
        within("sleep", sleep(d)).await;
        let took = t.elapsed();
        assert!(took >= d, "sleep({d:?}) took only {took:?}");
        assert!(
            took < d + Duration::from_secs(1),
            "sleep({d:?}) took {took:?}"
        );
    }
}

#[anyrt::test]
async fn sleep_until_lasts_until_the_deadline() {
    let deadline = Instant::now() + 20 * MS;
    within("sleep_until", sleep_until(deadline)).await;
    assert!(Instant::now() >= deadline);
    if Backend::current() != Some(Backend::Sim) {
        // The real backends' clock is std's (under sim it is virtual, and ahead or behind).
        assert!(std::time::Instant::now() >= std::time::Instant::from(deadline));
    }
}

#[anyrt::test]
async fn sleep_is_not_much_longer_than_d() {
    // At most d + 1 ms plus scheduling delay: the best of several runs is free of most of
    // the scheduling noise of a busy machine.
    let d = 10 * MS;
    let mut best = Duration::MAX;
    for _ in 0..6 {
        let t = Instant::now();
        within("sleep", sleep(d)).await;
        best = best.min(t.elapsed());
    }
    assert!(best >= d);
    assert!(
        best <= d + 8 * MS,
        "the best of 6 × sleep({d:?}) took {best:?}"
    );
}

#[anyrt::test]
async fn sleep_in_a_spawned_task_lasts_at_least_d() {
    let took = within(
        "the task",
        anyrt::spawn(async {
            let t = Instant::now();
            sleep(10 * MS).await;
            t.elapsed()
        }),
    )
    .await
    .unwrap();
    assert!(took >= 10 * MS, "{took:?}");
}

#[anyrt::test]
async fn many_concurrent_sleeps_each_last_at_least_their_d() {
    let hs: Vec<_> = (1..=20u64)
        .map(|i| {
            anyrt::spawn(async move {
                let d = Duration::from_millis(i);
                let t = Instant::now();
                sleep(d).await;
                (d, t.elapsed())
            })
        })
        .collect();
    for h in hs {
        let (d, took) = within("a sleeping task", h).await.unwrap();
        assert!(took >= d, "sleep({d:?}) took {took:?}");
    }
}

// --- Duration::MAX pends, never panics ---------------------------------------------------

#[anyrt::test]
async fn sleep_duration_max_pends_without_panicking() {
    let mut s = pin!(sleep(Duration::MAX));
    assert!(poll_once(s.as_mut()).is_pending());
    assert!(timeout(20 * MS, s).await.is_err());
}

#[anyrt::test]
async fn huge_durations_do_not_panic() {
    for d in [
        Duration::MAX,
        Duration::from_secs(u64::MAX / 2),
        Duration::from_secs(86_400 * 365 * 1000),
    ] {
        let s = pin!(sleep(d));
        assert!(poll_once(s).is_pending(), "sleep({d:?})");
        assert_eq!(
            within("timeout(huge, ready)", timeout(d, async { 1 })).await,
            Ok(1)
        );
        assert_eq!(
            within("timeout(huge, short sleep)", timeout(d, sleep(2 * MS))).await,
            Ok(())
        );
    }
}

#[anyrt::test]
async fn sleep_duration_max_in_a_task_can_be_aborted() {
    let mut h = anyrt::spawn(sleep(Duration::MAX));
    anyrt::time::sleep(2 * MS).await;
    assert!(!h.is_finished());
    h.abort();
    assert!(within("the aborted task", h)
        .await
        .unwrap_err()
        .is_cancelled());
}

// --- timeout ----------------------------------------------------------------------------------

#[anyrt::test]
async fn timeout_gives_ok_when_the_future_wins() {
    assert_eq!(timeout(WAIT, async { 5 }).await, Ok(5));
    assert_eq!(
        timeout(WAIT, async {
            sleep(2 * MS).await;
            6
        })
        .await,
        Ok(6)
    );
}

#[anyrt::test]
async fn timeout_gives_elapsed_after_d() {
    let t = Instant::now();
    let r = within("timeout", timeout(20 * MS, sleep(WAIT))).await;
    let took = t.elapsed();
    let err: Elapsed = r.unwrap_err();
    assert!(took >= 20 * MS, "timed out after only {took:?}");
    assert!(took < WAIT / 2);
    assert!(!err.to_string().is_empty());
}

#[anyrt::test]
async fn timeout_at_gives_elapsed_at_the_deadline() {
    let deadline = Instant::now() + 15 * MS;
    let r = within(
        "timeout_at",
        timeout_at(deadline, std::future::pending::<()>()),
    )
    .await;
    assert!(r.is_err());
    assert!(Instant::now() >= deadline);
    assert_eq!(timeout_at(Instant::now() + WAIT, async { 1 }).await, Ok(1));
}

#[anyrt::test]
async fn timeout_drops_the_inner_future_when_it_elapses() {
    let flag = DropFlag::new();
    let r = within("timeout", timeout(5 * MS, pending_with(flag.guard()))).await;
    assert!(r.is_err());
    assert!(flag.is_dropped());
}

#[anyrt::test]
async fn timeout_fires_around_a_busy_yielding_future() {
    let h = anyrt::spawn(async {
        timeout(20 * MS, async {
            loop {
                anyrt::task::yield_now().await;
            }
        })
        .await
    });
    let r: Result<(), Elapsed> = within("timeout around a yield loop", h).await.unwrap();
    assert!(r.is_err());
}

/// tokio's co-op budget: a future that keeps tokio's budget spent would starve a timeout
/// whose sleep is polled under the same budget; anyrt's timeout delegates to tokio's, which
/// is not starved.
#[cfg(feature = "tokio")]
#[anyrt::test(tokio)]
async fn timeout_is_not_starved_by_tokios_coop_budget() {
    let h = anyrt::spawn(async {
        timeout(20 * MS, async {
            loop {
                tokio::task::coop::consume_budget().await;
            }
        })
        .await
    });
    let r: Result<(), Elapsed> = within("timeout around a budget-spending loop", h)
        .await
        .unwrap();
    assert!(r.is_err());
}

/// The same through the `Executor` trait (`exec.timeout(..)` of an injected handle): on tokio
/// it must not be starved either.
#[cfg(feature = "tokio")]
#[anyrt::test(tokio)]
async fn executor_timeout_is_not_starved_by_tokios_coop_budget() {
    use anyrt::Executor;
    let h = anyrt::spawn(async {
        anyrt::Handle::current()
            .timeout(20 * MS, async {
                loop {
                    tokio::task::coop::consume_budget().await;
                }
            })
            .await
    });
    let r: Result<(), Elapsed> = within("Executor::timeout around a budget-spending loop", h)
        .await
        .unwrap();
    assert!(r.is_err());
}

#[test]
fn elapsed_is_an_error() {
    fn assert_error<T: std::error::Error + Send + Sync + 'static + Copy>() {}
    assert_error::<Elapsed>();
}

#[test]
fn sleep_is_a_send_future_named_sleep() {
    fn assert_send<T: Send + 'static>(_: &T) {}
    let s: Sleep = on_plain_thread("make a sleep", || sleep(MS));
    assert_send(&s);
}

#[anyrt::test]
async fn sleep_created_outside_a_task_runs_inside_one() {
    let s: Sleep = sleep(5 * MS);
    let t = Instant::now();
    within("the task", anyrt::spawn(s)).await.unwrap();
    assert!(t.elapsed() >= 5 * MS);
}

// --- interval ---------------------------------------------------------------------------------

#[anyrt::test]
async fn interval_first_tick_is_immediate() {
    let mut iv = interval(Duration::from_secs(3600));
    let t = pin!(iv.tick());
    assert!(poll_once(t).is_ready(), "the first tick was pending");
}

#[anyrt::test]
async fn interval_ticks_every_period() {
    let p = 15 * MS;
    let mut iv: Interval = interval(p);
    assert_eq!(iv.period(), p);
    let t0 = within("tick", iv.tick()).await;
    for k in 1..=3u32 {
        let s = within("tick", iv.tick()).await;
        assert_eq!(s, t0 + p * k, "tick {k} was scheduled off the period");
        assert!(Instant::now() >= s, "tick {k} came early");
    }
}

#[anyrt::test]
async fn interval_at_starts_at_the_given_instant() {
    let start = Instant::now() + 100 * MS;
    let mut iv = interval_at(start, 10 * MS);
    {
        let t = pin!(iv.tick());
        assert!(
            poll_once(t).is_pending(),
            "the first tick came before start"
        );
    }
    let first = within("tick", iv.tick()).await;
    assert_eq!(first, start);
    assert!(Instant::now() >= start);
    assert_eq!(within("tick", iv.tick()).await, start + 10 * MS);
}

#[anyrt::test]
async fn interval_is_a_stream() {
    let p = 5 * MS;
    let mut iv = interval(p);
    let ticks: Vec<Instant> = within("3 ticks", (&mut iv).take(3).collect()).await;
    assert_eq!(ticks.len(), 3);
    assert_eq!(ticks[1], ticks[0] + p);
    assert_eq!(ticks[2], ticks[0] + 2 * p);
    assert!(within("next", iv.next()).await.is_some());
}

#[anyrt::test]
async fn interval_zero_period_panics_with_a_clear_message() {
    for msg in [
        catch_panic(|| drop(interval(Duration::ZERO))).unwrap_err(),
        catch_panic(|| drop(interval_at(Instant::now(), Duration::ZERO))).unwrap_err(),
    ] {
        let lower = msg.to_lowercase();
        assert!(lower.contains("period"), "{msg}");
        assert!(lower.contains("zero"), "{msg}");
    }
}

#[test]
fn interval_zero_period_panics_on_a_plain_thread_too() {
    let msg = on_plain_thread("interval", || {
        catch_panic(|| drop(interval(Duration::ZERO))).unwrap_err()
    });
    assert!(msg.to_lowercase().contains("period"), "{msg}");
}

#[anyrt::test]
async fn interval_duration_max_ticks_once_then_pends() {
    let mut iv = interval(Duration::MAX);
    within("first tick", iv.tick()).await;
    let t = pin!(iv.tick());
    assert!(poll_once(t).is_pending());
}

#[anyrt::test]
async fn interval_default_missed_tick_behavior_is_burst() {
    let iv = interval(MS);
    assert_eq!(iv.missed_tick_behavior(), MissedTickBehavior::Burst);
}

/// Fall behind by `periods` and a quarter: the task is busy elsewhere (in another sleep)
/// and does not poll its interval meanwhile, on the backend's clock (virtual under sim).
async fn fall_behind(p: Duration, periods: u32) -> Instant {
    sleep(p * periods + p / 4).await;
    Instant::now()
}

#[anyrt::test]
async fn interval_burst_fires_missed_ticks_at_once_on_the_old_schedule() {
    let p = 20 * MS;
    let mut iv = interval(p);
    iv.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let t0 = within("tick", iv.tick()).await;
    fall_behind(p, 5).await;
    for k in 1..=5u32 {
        let t = pin!(iv.tick());
        match poll_once(t) {
            Poll::Ready(s) => assert_eq!(s, t0 + p * k, "burst tick {k}"),
            Poll::Pending => panic!("missed tick {k} was not fired at once"),
        }
    }
    let s = within("tick", iv.tick()).await;
    assert_eq!(s, t0 + p * 6, "Burst keeps the original schedule");
}

#[anyrt::test]
async fn interval_delay_fires_once_then_shifts_the_schedule() {
    let p = 60 * MS;
    let mut iv = interval(p);
    iv.set_missed_tick_behavior(MissedTickBehavior::Delay);
    assert_eq!(iv.missed_tick_behavior(), MissedTickBehavior::Delay);
    let t0 = within("tick", iv.tick()).await;
    let late = fall_behind(p, 3).await;
    {
        let t = pin!(iv.tick());
        match poll_once(t) {
            Poll::Ready(s) => assert_eq!(s, t0 + p, "the late tick"),
            Poll::Pending => panic!("the missed tick was not fired at once"),
        }
    }
    {
        let t = pin!(iv.tick());
        assert!(
            poll_once(t).is_pending(),
            "Delay fired a second missed tick at once"
        );
    }
    let s = within("tick", iv.tick()).await;
    assert!(
        s >= late + p,
        "Delay: the next tick {s:?} is not a period after the late one {late:?}"
    );
    assert!(Instant::now() >= late + p);
    let s2 = within("tick", iv.tick()).await;
    assert_eq!(s2, s + p, "Delay: the shifted schedule keeps the period");
}

#[anyrt::test]
async fn interval_skip_fires_once_then_keeps_the_original_grid() {
    let p = 60 * MS;
    let mut iv = interval(p);
    iv.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let t0 = within("tick", iv.tick()).await;
    let late = fall_behind(p, 3).await;
    {
        let t = pin!(iv.tick());
        match poll_once(t) {
            Poll::Ready(s) => assert_eq!(s, t0 + p, "the late tick"),
            Poll::Pending => panic!("the missed tick was not fired at once"),
        }
    }
    let polled_at = Instant::now();
    {
        let t = pin!(iv.tick());
        assert!(
            poll_once(t).is_pending(),
            "Skip fired a second missed tick at once"
        );
    }
    let s = within("tick", iv.tick()).await;
    let since = s - t0;
    assert_eq!(
        since.as_nanos() % p.as_nanos(),
        0,
        "Skip: the tick {since:?} after start is off the original grid of {p:?}"
    );
    assert!(s > late, "Skip: a skipped tick was fired");
    assert!(
        s <= polled_at + p,
        "Skip: {since:?} after start skipped more than the missed ticks"
    );
}

#[anyrt::test]
async fn interval_reset_restarts_a_period_from_now() {
    let p = 60 * MS;
    let mut iv = interval(p);
    within("tick", iv.tick()).await;
    fall_behind(p, 2).await;
    let before = Instant::now();
    iv.reset();
    {
        let t = pin!(iv.tick());
        assert!(poll_once(t).is_pending(), "a tick fired right after reset");
    }
    let s = within("tick", iv.tick()).await;
    assert!(s >= before + p, "the tick after reset came before a period");
    assert!(Instant::now() >= s);
}

#[anyrt::test]
async fn interval_tick_is_cancel_safe() {
    let p = 50 * MS;
    let mut iv = interval(p);
    let t0 = within("tick", iv.tick()).await;
    // A tick dropped before it fired loses nothing.
    assert!(timeout(2 * MS, iv.tick()).await.is_err());
    assert_eq!(within("tick", iv.tick()).await, t0 + p);
}

#[anyrt::test]
async fn interval_ticks_in_a_spawned_task() {
    let n = within(
        "the task",
        anyrt::spawn(async {
            let mut iv = interval(2 * MS);
            for _ in 0..5 {
                iv.tick().await;
            }
            5
        }),
    )
    .await
    .unwrap();
    assert_eq!(n, 5);
}

// --- Instant -------------------------------------------------------------------------------

// Not on sim, whose clock is virtual (`instant_is_the_virtual_clock_under_sim`).
#[anyrt::test(tokio, smol, async_std)]
async fn instant_reads_the_same_clock_as_std() {
    let a = std::time::Instant::now();
    let now = Instant::now();
    let b = std::time::Instant::now();
    let std_now: std::time::Instant = now.into();
    assert!(a <= std_now && std_now <= b);
    assert_eq!(Instant::from(std_now), now);
}

#[anyrt::test(sim)]
async fn instant_is_the_virtual_clock_under_sim() {
    let real = std::time::Instant::now();
    let start = Instant::now();
    sleep(Duration::from_secs(86_400)).await;
    let virtual_day = start.elapsed();
    assert!(
        virtual_day >= Duration::from_secs(86_400),
        "{virtual_day:?}"
    );
    assert!(virtual_day < Duration::from_secs(86_401), "{virtual_day:?}");
    assert!(
        real.elapsed() < WAIT,
        "a virtual day took {:?}",
        real.elapsed()
    );
}

#[anyrt::test]
async fn instant_arithmetic() {
    let a = Instant::now();
    let b = a + 5 * MS;
    assert_eq!(b - a, 5 * MS);
    assert_eq!(b.duration_since(a), 5 * MS);
    assert!(b > a);
    let mut c = a;
    c += MS;
    assert_eq!(c - a, MS);
    sleep(2 * MS).await;
    assert!(a.elapsed() >= 2 * MS);
    assert!(Instant::now() > a);
}
