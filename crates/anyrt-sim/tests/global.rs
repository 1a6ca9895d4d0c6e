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
