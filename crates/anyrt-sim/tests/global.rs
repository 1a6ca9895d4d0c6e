//! The process-wide simulation, used from plain threads.

use std::time::Duration;

use anyrt_core::Provider;
use anyrt_sim::Sim;

#[test]
fn block_on_and_spawn_on_a_plain_thread_use_the_process_wide_simulation() {
    let out = Sim::block_on(async {
        let t = Sim::spawn(async {
            Sim::sleep(Duration::from_secs(5)).await;
            7
        });
        t.await.unwrap()
    });
    assert_eq!(out, 7);
}

/// `Provider::now` is the simulation's one clock: `Instant::now` reads it inside a
/// simulation, it moves by the virtual time slept (no real time, on an owned simulation;
/// the process-wide one keeps to real time), and outside every simulation it is the
/// system's clock.
#[test]
fn provider_now_is_the_virtual_clock_that_instant_now_reads() {
    use anyrt_core::time::Instant;
    let real = std::time::Instant::now();
    let rt = Sim::build(&anyrt_core::RuntimeConfig::new().knob(
        anyrt_core::Backend::Sim,
        anyrt_sim::SEED,
        1u64,
    ))
    .unwrap();
    let (before, after, instant_after) = Sim::runtime_block_on(&rt, async {
        let before = Sim::now();
        Sim::sleep(Duration::from_secs(3600)).await;
        (before, Sim::now(), Instant::now())
    });
    let slept = after.duration_since(before);
    assert!(
        slept >= Duration::from_secs(3600) && slept < Duration::from_secs(3601),
        "{slept:?}"
    );
    assert_eq!(
        instant_after, after,
        "Instant::now is not the provider's clock"
    );
    assert!(
        real.elapsed() < Duration::from_secs(60),
        "virtual time took real time"
    );
    // On a plain thread: the system's clock.
    let a = Instant::system_now();
    let now = Sim::now();
    assert!(now >= a && now <= Instant::system_now());
}
