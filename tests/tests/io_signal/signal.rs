//! `anyrt::signal` on every backend: every listener of a signal sees a delivery, deliveries
//! coalesce, `recv` is cancel-safe, `ctrl_c`, the error kind of a bad signal number; under
//! sim, `raise` in schedule order and no real signal reaching the simulation.
//!
//! Signals are process-wide and the suite's tests run on parallel threads: each test on a
//! real backend uses a real-time signal of its own (`rt_signal`), so no test sees another's.
#![cfg(target_os = "linux")]

use std::io::ErrorKind;
use std::time::Duration;

use anyrt::signal::unix::{signal, SignalKind};
use anyrt::Backend;
use anyrt_tests::*;

/// A real-time signal that only this test on this backend raises: `SIGRTMIN + 4 * base +
/// the backend's index` (glibc keeps the first two real-time signals for itself, which
/// `SIGRTMIN()` already skips).
fn rt_signal(base: i32) -> SignalKind {
    let backend = Backend::current().expect("inside a test runtime");
    let index = Backend::ALL.iter().position(|&b| b == backend).unwrap() as i32;
    let signum = libc::SIGRTMIN() + 4 * base + index;
    assert!(signum <= libc::SIGRTMAX(), "out of real-time signals");
    SignalKind::from_raw(signum)
}

/// Sends `kind` to this process: through the system on a real backend, through the
/// simulation under sim.
fn deliver(kind: SignalKind) {
    if Backend::current() == Some(Backend::Sim) {
        #[cfg(feature = "sim")]
        anyrt::sim::signal::raise(kind);
    } else {
        // SAFETY: `kill` on our own pid with a signal a listener has a handler for.
        let rc = unsafe { libc::kill(libc::getpid(), kind.as_raw_value()) };
        assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
    }
}

#[anyrt::test]
async fn every_listener_of_a_signal_sees_a_delivery() {
    let kind = rt_signal(0);
    let mut a = signal(kind).unwrap();
    let mut b = signal(kind).unwrap();
    assert_eq!(a.kind(), kind);
    assert_eq!(Some(a.backend()), Backend::current());
    deliver(kind);
    assert_eq!(within("first listener", a.recv()).await, Some(()));
    assert_eq!(within("second listener", b.recv()).await, Some(()));
    // A listener made after the delivery did not see it.
    let mut late = signal(kind).unwrap();
    let nothing = anyrt::time::timeout(Duration::from_millis(30), late.recv()).await;
    assert!(
        nothing.is_err(),
        "a listener saw a delivery from before it existed"
    );
}

#[anyrt::test]
async fn deliveries_before_a_poll_coalesce_and_recv_is_cancel_safe() {
    let kind = rt_signal(1);
    let mut s = signal(kind).unwrap();
    // A recv dropped before any delivery loses nothing.
    let early = anyrt::time::timeout(Duration::from_millis(10), s.recv()).await;
    assert!(early.is_err());
    for _ in 0..5 {
        deliver(kind);
    }
    // Let every delivery land (the handler runs on whichever thread the system picks).
    anyrt::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(within("coalesced", s.recv()).await, Some(()));
    let again = anyrt::time::timeout(Duration::from_millis(30), s.recv()).await;
    assert!(
        again.is_err(),
        "five deliveries before one poll gave more than one recv"
    );
    // And the next delivery is seen again.
    deliver(kind);
    assert_eq!(within("next", s.recv()).await, Some(()));
}

#[anyrt::test]
async fn a_listener_is_a_stream() {
    use futures::StreamExt;
    let kind = rt_signal(2);
    let mut s = signal(kind).unwrap();
    deliver(kind);
    assert_eq!(within("next", s.next()).await, Some(()));
}

#[anyrt::test]
async fn ctrl_c_waits_for_sigint() {
    // A listener first: SIGINT has a handler before anything raises it (a raise before the
    // handler would end the test process).
    let _guard = signal(SignalKind::interrupt()).unwrap();
    let stop = anyrt::spawn(anyrt::signal::ctrl_c());
    // ctrl_c registers at its first poll, which the test cannot see: raise until it ends.
    within("ctrl_c", async {
        while !stop.is_finished() {
            deliver(SignalKind::interrupt());
            anyrt::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    stop.await.unwrap().unwrap();
}

#[anyrt::test]
async fn a_bad_signal_number_is_invalid_input_naming_it() {
    for (signum, says) in [
        (libc::SIGKILL, "SIGKILL"),
        (libc::SIGSTOP, "SIGSTOP"),
        (libc::SIGSEGV, "SIGSEGV"),
        (libc::SIGILL, "SIGILL"),
        (libc::SIGFPE, "SIGFPE"),
        (0, "signal 0"),
        (-1, "signal -1"),
        (100_000, "signal 100000"),
    ] {
        let err = signal(SignalKind::from_raw(signum)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{signum}: {err}");
        assert!(err.to_string().contains(says), "{signum}: {err}");
    }
}

#[anyrt::test(tokio, smol, async_std)]
async fn a_listener_works_when_polled_from_another_backend() {
    let kind = rt_signal(3);
    let mut s = signal(kind).unwrap();
    let made_on = s.backend();
    // Polled from a plain thread's block_on on some other backend's runtime.
    let other = Backend::enabled()
        .iter()
        .copied()
        .find(|&b| b != made_on && b != Backend::Sim)
        .unwrap_or(made_on);
    deliver(kind);
    let got = anyrt::spawn_blocking(move || {
        anyrt::Runtime::builder(other)
            .build()
            .unwrap()
            .block_on(async move { within("recv elsewhere", s.recv()).await })
    })
    .await
    .unwrap();
    assert_eq!(got, Some(()));
}

#[cfg(feature = "sim")]
#[anyrt::test(sim)]
async fn under_sim_a_real_signal_never_arrives_and_raise_does() {
    // The real signal is ignored by the process (the simulation installs no handler, so
    // without this it would end the test process).
    let signum = libc::SIGRTMAX() - 1;
    // SAFETY: setting a real-time signal nothing else in the suite uses to SIG_IGN.
    unsafe { libc::signal(signum, libc::SIG_IGN) };
    let kind = SignalKind::from_raw(signum);
    let mut s = signal(kind).unwrap();
    // SAFETY: the signal is ignored (above).
    unsafe { libc::raise(signum) };
    let real = anyrt::time::timeout(Duration::from_secs(60), s.recv()).await;
    assert!(real.is_err(), "a real signal reached the simulation");
    assert_eq!(anyrt::sim::signal::raise(kind), 1);
    assert_eq!(s.recv().await, Some(()));
    // Nobody listens to SIGHUP: dropped, and the simulated process goes on.
    assert_eq!(anyrt::sim::signal::raise(SignalKind::hangup()), 0);
}

#[cfg(feature = "sim")]
#[test]
fn raise_outside_a_simulation_says_where_to_call_it() {
    let err =
        std::panic::catch_unwind(|| anyrt::sim::signal::raise(SignalKind::hangup())).unwrap_err();
    let msg = panic_message(&*err);
    assert!(msg.contains("outside a simulation"), "{msg}");
    assert!(msg.contains("Backend::Sim"), "{msg}");
}

#[cfg(feature = "sim")]
#[test]
fn raise_wakes_listeners_in_a_seeded_order_that_replays() {
    let run = |seed: u64| {
        let rt = anyrt::Runtime::builder(Backend::Sim)
            .seed(seed)
            .build()
            .unwrap();
        rt.block_on(async {
            let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let mut tasks = Vec::new();
            for i in 0..4 {
                let mut s = signal(SignalKind::user_defined2()).unwrap();
                let order = order.clone();
                tasks.push(anyrt::spawn(async move {
                    s.recv().await.unwrap();
                    order.lock().unwrap().push(i);
                }));
            }
            anyrt::task::yield_now().await;
            anyrt::sim::signal::raise(SignalKind::user_defined2());
            for t in tasks {
                t.await.unwrap();
            }
            let order = order.lock().unwrap().clone();
            order
        })
    };
    assert_seeds_replay("the order listeners see a raise", 16, run);
}
