//! The simulation's own promises, beyond the rows every backend keeps: the same seed gives
//! the same trace, different seeds different schedules, virtual time, timers due together in
//! seed order, blocking closures holding time, PCT, the fault hook, the deadlock report, and
//! the test attribute's exploration, replay token and determinism check.

#![cfg(feature = "sim")]

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyrt::sim::Scheduler;
use anyrt::time::Instant;
use anyrt::{Backend, Runtime};
use anyrt_tests::*;

fn sim(seed: u64) -> Runtime {
    Runtime::builder(Backend::Sim).seed(seed).build().unwrap()
}

/// Ten tasks passing 100 messages through one channel, with sleeps: a small program with
/// many interleavings. Gives the trace hash and the order the messages arrived in.
async fn workload() -> (u64, Vec<u32>) {
    let (tx, rx) = anyrt::channel::bounded::<u32>(4);
    let producers: Vec<_> = (0..10u32)
        .map(|p| {
            let tx = tx.clone();
            anyrt::spawn(async move {
                for i in 0..10 {
                    if i % 3 == 0 {
                        anyrt::time::sleep(Duration::from_millis(u64::from(p % 3))).await;
                    }
                    tx.send(p * 10 + i).await.unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut got = Vec::new();
    while let Ok(v) = rx.recv().await {
        got.push(v);
    }
    for p in producers {
        p.await.unwrap();
    }
    (anyrt::sim::trace_hash().unwrap(), got)
}

#[test]
fn the_same_seed_gives_the_same_trace_every_time() {
    let first = sim(7).block_on(workload());
    for _ in 0..100 {
        assert_eq!(sim(7).block_on(workload()), first);
    }
    assert_eq!(first.1.len(), 100);
}

#[test]
fn different_seeds_give_different_schedules() {
    let orders: HashSet<Vec<u32>> = (0..20).map(|s| sim(s).block_on(workload()).1).collect();
    assert!(
        orders.len() >= 15,
        "20 seeds gave only {} orders",
        orders.len()
    );
}

#[test]
fn an_hour_of_sleeps_takes_no_real_time() {
    let real = std::time::Instant::now();
    let virtual_elapsed = sim(1).block_on(async {
        let start = Instant::now();
        for _ in 0..3600 {
            anyrt::time::sleep(Duration::from_secs(1)).await;
        }
        start.elapsed()
    });
    assert!(
        virtual_elapsed >= Duration::from_secs(3600),
        "{virtual_elapsed:?}"
    );
    assert!(
        virtual_elapsed < Duration::from_secs(3601),
        "{virtual_elapsed:?}"
    );
    assert!(real.elapsed() < WAIT, "an hour took {:?}", real.elapsed());
}

/// The order in which five tasks sleeping until one instant wake.
fn wake_order(seed: u64) -> Vec<u32> {
    sim(seed).block_on(async {
        let order = Arc::new(Mutex::new(Vec::new()));
        let deadline = Instant::now() + Duration::from_secs(1);
        let tasks: Vec<_> = (0..5u32)
            .map(|i| {
                let order = order.clone();
                anyrt::spawn(async move {
                    anyrt::time::sleep_until(deadline).await;
                    order.lock().unwrap().push(i);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        order
    })
}

#[test]
fn timers_due_at_one_instant_fire_in_seed_order() {
    assert_eq!(wake_order(3), wake_order(3));
    let orders: HashSet<Vec<u32>> = (0..20).map(wake_order).collect();
    assert!(
        orders.len() > 5,
        "20 seeds gave only {} orders",
        orders.len()
    );
}

#[test]
fn time_stands_still_while_a_short_blocking_closure_runs() {
    let elapsed = sim(1).block_on(async {
        let start = Instant::now();
        let slept = anyrt::spawn_blocking(|| std::thread::sleep(Duration::from_millis(50)));
        // A timer that would fire meanwhile if time went on without the closure.
        let timer = anyrt::time::timeout(Duration::from_millis(10), slept).await;
        assert!(timer.is_ok(), "the timer fired while the closure held time");
        start.elapsed()
    });
    assert!(elapsed < Duration::from_millis(10), "{elapsed:?}");
}

#[test]
fn a_deadlock_is_reported_not_hung() {
    let msg = catch_panic(|| {
        sim(5).block_on(async {
            let (_tx, rx) = anyrt::channel::bounded::<()>(1);
            // Nothing will ever send: every task waits and no timer is set.
            let _ = rx.recv().await;
        })
    })
    .unwrap_err();
    assert!(msg.contains("deadlock"), "{msg}");
    assert!(msg.contains("seed 5"), "{msg}");
}

#[test]
fn buggify_is_seeded_and_never_fires_outside_a_simulation() {
    let draws = |seed| {
        sim(seed).block_on(async { (0..400).map(|_| anyrt::sim::buggify()).collect::<Vec<_>>() })
    };
    let a = draws(9);
    assert_eq!(a, draws(9));
    assert_ne!(a, draws(10));
    let fired = a.iter().filter(|&&b| b).count();
    assert!((60..=140).contains(&fired), "fired {fired} of 400 times");
    assert!(!anyrt::sim::buggify());
    assert_eq!(anyrt::sim::seed(), None);
    assert_eq!(sim(9).block_on(async { anyrt::sim::seed() }), Some(9));
}

#[test]
fn seeds_and_schedulers_are_refused_by_the_real_backends() {
    for &b in Backend::enabled() {
        if b == Backend::Sim {
            continue;
        }
        let err = Runtime::builder(b).seed(1).build().unwrap_err().to_string();
        assert!(err.contains("Backend::Sim"), "{b}: {err}");
    }
    let err = Runtime::builder(Backend::Sim)
        .scheduler(Scheduler::Pct { depth: 0 })
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("depth"), "{err}");
}

/// A bug that needs two orderings: `b` must check between `a`'s two steps, after both
/// tasks have gone through most of their work.
async fn depth_two_bug() -> bool {
    let step = Arc::new(AtomicU64::new(0));
    let a = anyrt::spawn({
        let step = step.clone();
        async move {
            for _ in 0..10 {
                anyrt::task::yield_now().await;
            }
            step.store(1, Ordering::SeqCst);
            for _ in 0..10 {
                anyrt::task::yield_now().await;
            }
            step.store(2, Ordering::SeqCst);
        }
    });
    let b = anyrt::spawn({
        let step = step.clone();
        async move {
            for _ in 0..15 {
                anyrt::task::yield_now().await;
            }
            step.load(Ordering::SeqCst) == 1
        }
    });
    a.await.unwrap();
    b.await.unwrap()
}

#[test]
fn pct_finds_a_depth_two_ordering_bug_within_a_thousand_seeds() {
    let found = (0..1000u64).find(|&seed| {
        Runtime::builder(Backend::Sim)
            .seed(seed)
            .scheduler(Scheduler::Pct { depth: 2 })
            .build()
            .unwrap()
            .block_on(depth_two_bug())
    });
    assert!(found.is_some(), "PCT missed the bug in 1,000 seeds");
}

// --- the test attribute: exploration, replay, check ------------------------------------

/// A lost update: one task reads a counter, yields once and writes back what it read plus
/// one; another, a few yields later, does the same without yielding. Run in the order the
/// tasks were woken, the second reads after the first wrote: the update is lost only when
/// the second runs ahead, between the first one's read and write. Only runs when a parent
/// test asks for it (it fails on purpose).
#[anyrt::test(sim(seeds = 200))]
async fn lost_update_is_found() {
    if std::env::var_os("ANYRT_TESTS_SIM_RACE").is_none() {
        return;
    }
    let counter = Arc::new(Mutex::new(0u32));
    let first = anyrt::spawn({
        let counter = counter.clone();
        async move {
            let read = *counter.lock().unwrap();
            anyrt::task::yield_now().await;
            *counter.lock().unwrap() = read + 1;
        }
    });
    let second = anyrt::spawn({
        let counter = counter.clone();
        async move {
            for _ in 0..3 {
                anyrt::task::yield_now().await;
            }
            let read = *counter.lock().unwrap();
            *counter.lock().unwrap() = read + 1;
        }
    });
    first.await.unwrap();
    second.await.unwrap();
    assert_eq!(*counter.lock().unwrap(), 2, "an update was lost");
}

#[test]
fn exploration_finds_the_race_prints_its_seed_and_a_token_that_replays_it() {
    if is_child() {
        return;
    }
    let race = [("ANYRT_TESTS_SIM_RACE", "1")];
    let out = run_self(&["lost_update_is_found::sim", "--exact"], &race);
    assert!(!out.success, "the race was not found\n{}", out.all());
    let all = out.all();
    assert!(all.contains("an update was lost"), "{all}");
    let seed = all
        .split("ANYRT_SIM_SEED=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no seed printed\n{all}"))
        .to_owned();
    let token = all
        .split("ANYRT_SIM_REPLAY=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no replay token printed\n{all}"))
        .to_owned();
    assert!(
        all.contains("cargo test lost_update_is_found::sim -- --exact"),
        "{all}"
    );
    // The seed alone fails again, and so does the shrunk schedule.
    let again = run_self(
        &["lost_update_is_found::sim", "--exact"],
        &[race[0], ("ANYRT_SIM_SEED", &seed)],
    );
    assert!(
        !again.success,
        "seed {seed} passed on its own\n{}",
        again.all()
    );
    let replay = run_self(
        &["lost_update_is_found::sim", "--exact"],
        &[race[0], ("ANYRT_SIM_REPLAY", &token)],
    );
    assert!(
        !replay.success,
        "the token {token} passed\n{}",
        replay.all()
    );
    assert!(
        replay.all().contains("an update was lost"),
        "{}",
        replay.all()
    );
    // Shrunk: the second task must run its three yields and its read between the first
    // one's two polls, and little else.
    let deviations = token.split(':').nth(1).map_or(0, |d| d.split(',').count());
    assert!(
        (1..=4).contains(&deviations),
        "the token {token} is not shrunk"
    );
    // And in the order the tasks were woken, the race does not show.
    let fifo = run_self(
        &["lost_update_is_found::sim", "--exact"],
        &[
            race[0],
            (
                "ANYRT_SIM_REPLAY",
                &format!("{:x}:", seed.parse::<u64>().unwrap()),
            ),
        ],
    );
    assert!(fifo.success, "the race shows in wake order\n{}", fifo.all());
}

static RUNS: AtomicU64 = AtomicU64::new(0);

/// A body whose schedule depends on something outside the seed (a count of its own runs).
#[anyrt::test(sim(check))]
async fn outside_state_breaks_determinism() {
    spawn_as_many_as_earlier_runs(&RUNS).await;
}

/// With `ANYRT_TESTS_SIM_NONDET` set: one spawn more at each run than at the one before, a
/// schedule that a count kept outside the seed decides.
async fn spawn_as_many_as_earlier_runs(runs: &AtomicU64) {
    if std::env::var_os("ANYRT_TESTS_SIM_NONDET").is_none() {
        return;
    }
    let n = runs.fetch_add(1, Ordering::SeqCst);
    for _ in 0..=n {
        anyrt::spawn(async {}).await.unwrap();
    }
}

/// Runs one test of this binary in a child with `env`, which must fail; its output.
fn failing_child(test: &str, env: &[(&str, &str)]) -> String {
    let out = run_self(&[test, "--exact"], env);
    let all = out.all();
    assert!(!out.success, "{test} passed with {env:?}\n{all}");
    all
}

#[test]
fn the_determinism_check_names_the_first_difference() {
    if is_child() {
        return;
    }
    let out = run_self(
        &["outside_state_breaks_determinism::sim", "--exact"],
        &[("ANYRT_TESTS_SIM_NONDET", "1")],
    );
    assert!(!out.success, "the check passed\n{}", out.all());
    assert!(out.all().contains("not deterministic"), "{}", out.all());
    assert!(out.all().contains("differ at step"), "{}", out.all());
}

static RUNS_UNCHECKED: AtomicU64 = AtomicU64::new(0);

/// The same, with no `check` in the attribute: only `ANYRT_SIM_CHECK=1` turns it on.
#[anyrt::test(sim)]
async fn outside_state_breaks_determinism_unchecked() {
    spawn_as_many_as_earlier_runs(&RUNS_UNCHECKED).await;
}

#[test]
fn the_environment_turns_the_determinism_check_on_whatever_the_attribute_says() {
    if is_child() {
        return;
    }
    let test = ["outside_state_breaks_determinism_unchecked::sim", "--exact"];
    let nondet = ("ANYRT_TESTS_SIM_NONDET", "1");
    let unchecked = run_self(&test, &[nondet]);
    assert!(unchecked.success, "{}", unchecked.all());
    let checked = failing_child(test[0], &[nondet, ("ANYRT_SIM_CHECK", "1")]);
    assert!(checked.contains("not deterministic"), "{checked}");
}

static BODY_RUNS: AtomicU64 = AtomicU64::new(0);

/// Fails on its second run only: a `static` every seed of one process shares.
#[anyrt::test(sim(seeds = 4))]
async fn a_static_shared_by_the_seeds() {
    if std::env::var_os("ANYRT_TESTS_SIM_STATIC").is_none() {
        return;
    }
    anyrt::task::yield_now().await;
    if BODY_RUNS.fetch_add(1, Ordering::SeqCst) == 1 {
        panic!("failed on the second run");
    }
}

#[test]
fn a_failure_that_does_not_repeat_is_reported_as_such_not_with_a_token() {
    if is_child() {
        return;
    }
    let all = failing_child(
        "a_static_shared_by_the_seeds::sim",
        &[("ANYRT_TESTS_SIM_STATIC", "1")],
    );
    assert!(all.contains("failed on the second run"), "{all}");
    assert!(all.contains("does not come from the schedule"), "{all}");
    assert!(all.contains("a `static`"), "{all}");
    assert!(
        !all.contains("ANYRT_SIM_REPLAY="),
        "a token that cannot reproduce it\n{all}"
    );
}

/// Fails whatever the schedule.
#[anyrt::test(sim(seeds = 2))]
async fn fails_in_every_schedule() {
    if std::env::var_os("ANYRT_TESTS_SIM_ALWAYS").is_none() {
        return;
    }
    let a = anyrt::spawn(async {});
    let b = anyrt::spawn(async {});
    a.await.unwrap();
    b.await.unwrap();
    panic!("always");
}

#[test]
fn a_failure_in_wake_order_says_it_does_not_depend_on_the_schedule() {
    if is_child() {
        return;
    }
    let all = failing_child(
        "fails_in_every_schedule::sim",
        &[("ANYRT_TESTS_SIM_ALWAYS", "1")],
    );
    assert!(all.contains("does not depend on the schedule"), "{all}");
    assert!(all.contains("ANYRT_SIM_REPLAY="), "{all}");
    assert!(!all.contains("to 0 decisions"), "{all}");
}

#[test]
fn a_bad_seed_in_the_environment_is_a_build_error() {
    if is_child() {
        let err = Runtime::builder(Backend::Sim)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("ANYRT_SIM_SEED"), "{err}");
        return;
    }
    let out = run_self(
        &["a_bad_seed_in_the_environment_is_a_build_error", "--exact"],
        &[("ANYRT_SIM_SEED", "lots")],
    );
    assert!(out.success, "{}", out.all());
}

/// Short blocking closures finish at real times that vary from run to run: their results
/// must still reach the simulation at steps the seed decides, so that the determinism check
/// (each seed run twice, traces compared) passes.
#[test]
fn short_blocking_closures_replay_under_the_determinism_check() {
    for round in 0..5 {
        let explored = anyrt::sim::Explore::seeds(50).check(true).run(|| async {
            let a = anyrt::spawn_blocking(|| 1);
            let b = anyrt::spawn(async {
                anyrt::task::yield_now().await;
                2
            });
            let c = anyrt::spawn_blocking(|| std::thread::sleep(Duration::from_micros(50)));
            let d = anyrt::spawn_blocking(|| 4);
            for _ in 0..3 {
                anyrt::task::yield_now().await;
            }
            assert_eq!(a.await.unwrap() + b.await.unwrap() + d.await.unwrap(), 7);
            c.await.unwrap();
        });
        if let Err(failure) = explored {
            panic!("round {round}: {}", failure.report("(this test)"));
        }
    }
}

/// Local tasks are interleaved from the seed: after one yield, a `spawn_local` task has run
/// at some seeds and not at others, and each seed replays its answer.
#[test]
fn spawn_local_tasks_are_reordered_by_the_seed() {
    assert_seeds_replay(
        "whether a local task ran before the first yield",
        24,
        |seed| {
            let rt = anyrt::Runtime::builder(Backend::Sim)
                .seed(seed)
                .build()
                .unwrap();
            rt.block_on(async {
                let ran = std::rc::Rc::new(std::cell::Cell::new(0));
                for _ in 0..3 {
                    let ran = ran.clone();
                    anyrt::spawn_local(async move { ran.set(ran.get() + 1) });
                }
                anyrt::task::yield_now().await;
                ran.get()
            })
        },
    );
}

/// `Scheduler::Fifo` (`sim(fifo)`): tasks in the order they were woken, the spawner before
/// its local tasks, at every seed; a task that only yields does not starve the body.
#[test]
fn the_fifo_scheduler_runs_tasks_in_wake_order() {
    let explored = anyrt::sim::Explore::seeds(20)
        .scheduler(Scheduler::Fifo)
        .run(|| async {
            let order = Arc::new(std::sync::Mutex::new(Vec::new()));
            for name in ["a", "b", "c"] {
                let order = order.clone();
                anyrt::spawn(async move { order.lock().unwrap().push(name) });
            }
            let local_ran = std::rc::Rc::new(std::cell::Cell::new(false));
            let flag = local_ran.clone();
            anyrt::spawn_local(async move { flag.set(true) });
            assert!(
                !local_ran.get(),
                "a local task ran before its spawner yielded"
            );
            anyrt::task::yield_now().await;
            assert_eq!(*order.lock().unwrap(), ["a", "b", "c"]);
            assert!(
                local_ran.get(),
                "a local task had not run after its spawner yielded"
            );

            // A task that only yields shares the thread with the body.
            let mut spinning = anyrt::spawn(async {
                loop {
                    anyrt::task::yield_now().await;
                }
            });
            for _ in 0..10 {
                anyrt::task::yield_now().await;
            }
            spinning.abort();
        });
    if let Err(failure) = explored {
        panic!("{}", failure.report("(this test)"));
    }
}

#[anyrt::test(sim(fifo, seeds = 5))]
async fn a_test_that_assumes_fifo_order_runs_under_sim_fifo() {
    let (tx, rx) = anyrt::channel::unbounded();
    for i in 0..4 {
        let tx = tx.clone();
        anyrt::spawn(async move { tx.send(i).await.unwrap() });
    }
    drop(tx);
    let mut got = Vec::new();
    while let Ok(i) = rx.recv().await {
        got.push(i);
    }
    assert_eq!(got, [0, 1, 2, 3]);
}

/// Seeded scheduling delays (on in `Explore` unless `delays(false)` or `sim(no_delays)`) find
/// the race that needs a slow task; the token replays it every time; without delays the
/// simulation never sees it.
#[test]
fn scheduling_delays_find_a_task_that_is_slow_to_run() {
    assert!(
        anyrt::sim::Explore::seeds(300)
            .delays(false)
            .run(races::slow_consumer)
            .is_ok(),
        "found without delays: the race needs a delayed task"
    );
    let failure = anyrt::sim::Explore::seeds(300)
        .delays(true)
        .run(races::slow_consumer)
        .expect_err("delays did not find the slow consumer");
    assert!(
        failure.message().contains("had not run yet"),
        "{}",
        failure.message()
    );
    eprintln!("found with delays at seed {} of 300", failure.seed());
    let token = failure.replay().to_string();
    for _ in 0..20 {
        let again = anyrt::sim::Explore::replay(&token)
            .unwrap()
            .delays(true)
            .run(races::slow_consumer);
        assert!(
            again.is_err(),
            "the token {token} did not replay the failure"
        );
    }
}

#[anyrt::test(sim(seeds = 20))]
async fn delays_keep_every_seed_deterministic() {
    // A busy mix of tasks, timers and channels: the determinism of each seed is checked by
    // the next test with the same body.
    let (tx, rx) = anyrt::channel::bounded(2);
    for i in 0..4u64 {
        let tx = tx.clone();
        anyrt::spawn(async move {
            anyrt::time::sleep(Duration::from_micros(30 * i)).await;
            tx.send(i).await.unwrap();
        });
    }
    drop(tx);
    let mut sum = 0;
    while let Ok(v) = rx.recv().await {
        sum += v;
    }
    assert_eq!(sum, 6);
}

#[test]
fn delays_replay_under_the_determinism_check() {
    let explored = anyrt::sim::Explore::seeds(30)
        .delays(true)
        .check(true)
        .run(the_consumer_ran_within_100_us_or_not);
    if let Err(failure) = explored {
        panic!("{}", failure.report("(this test)"));
    }
}

async fn the_consumer_ran_within_100_us_or_not() {
    let _ = anyrt::spawn(async {
        let (tx, rx) = anyrt::channel::bounded(1);
        let c = anyrt::spawn(async move { rx.recv().await.unwrap() });
        tx.send(1u8).await.unwrap();
        anyrt::time::sleep(Duration::from_micros(100)).await;
        c.await.unwrap()
    })
    .await;
}

/// The racy corpus (examples/src/races.rs; `--example races` adds the real runtimes'
/// rates): the simulation finds every race within 1,000 seeds of one of its searches, and
/// the token replays it 20 times out of 20.
#[path = "../../examples/src/races.rs"]
#[allow(unreachable_pub, dead_code)] // the example's module, public there
mod races;

#[test]
fn the_simulation_finds_and_replays_every_race_of_the_corpus() {
    for (name, program) in races::PROGRAMS {
        let found = races::find(program).unwrap_or_else(|| panic!("{name}: not found"));
        assert_eq!(found.replays, 20, "{name}: {found:?}");
        assert!(found.seeds <= 1000, "{name}: {found:?}");
    }
}

/// `check`: a seed that passes once and fails when run again, with the same steps, is
/// reported as not deterministic (not as a pass, and not with a token that does not fail).
#[test]
fn the_check_catches_a_seed_that_passes_then_fails() {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let explored = anyrt::sim::Explore::seeds(3).check(true).run(|| async {
        anyrt::task::yield_now().await;
        // An input outside the seed: how many times the body ran.
        assert!(
            RUNS.fetch_add(1, Ordering::SeqCst) != 1,
            "the second run differs"
        );
    });
    let failure = explored.expect_err("the check passed a body that fails on its second run");
    assert!(failure.is_nondeterminism(), "{}", failure.message());
    assert!(
        failure.message().contains("passed, then failed"),
        "{}",
        failure.message()
    );
}
