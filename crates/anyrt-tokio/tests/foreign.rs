//! A tokio runtime that anyrt did not start (`#[tokio::main]`, `#[tokio::test]`): anyrt's
//! spawns and timers go to it.

mod common;

use anyrt_core::Provider;
use anyrt_tokio::Tokio;
use std::time::Duration;

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::Backend;

use common::{thread_name, within, LIMIT};

#[test]
fn spawn_inside_a_foreign_multi_thread_runtime_goes_to_it() {
    within(LIMIT, || {
        // What #[tokio::main] expands to, with a thread name to recognise its workers.
        let foreign = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("foreign-worker")
            .enable_all()
            .build()
            .unwrap();
        foreign.block_on(async {
            assert_eq!(context::current(), None);
            assert!((Backend::current() == Some(Backend::Tokio)));
            assert!(tokio::task::try_id().is_none());
            let name = Tokio::spawn(async { thread_name() }).await.unwrap();
            assert_eq!(name.as_deref(), Some("foreign-worker"));

            // Inside one of its tasks.
            let (name, native_task, ctx) = tokio::spawn(async {
                let name = Tokio::spawn(async { thread_name() }).await.unwrap();
                (name, tokio::task::try_id().is_some(), context::current())
            })
            .await
            .unwrap();
            assert_eq!(name.as_deref(), Some("foreign-worker"));
            assert!(native_task);
            assert_eq!(ctx, None);

            // Blocking closures go to its blocking pool, with anyrt's blocking context.
            let (name, ctx) = Tokio::spawn_blocking(|| (thread_name(), context::current()))
                .await
                .unwrap();
            assert_eq!(name.as_deref(), Some("foreign-worker"));
            assert_eq!(ctx, Some(ThreadContext::blocking_on(Backend::Tokio)));

            // Its timer serves anyrt's sleeps and timeouts.
            let start = std::time::Instant::now();
            Tokio::sleep(Duration::from_millis(5)).await;
            assert!(start.elapsed() >= Duration::from_millis(5));
            assert!(
                Tokio::timeout(Duration::from_millis(5), std::future::pending::<()>())
                    .await
                    .is_err()
            );

            let h = anyrt_tokio::Handle::current().unwrap();
            let name = h.spawn(async { thread_name() }).await.unwrap();
            assert_eq!(name.as_deref(), Some("foreign-worker"));
        });
    });
}

#[tokio::test]
async fn spawn_inside_tokio_test_goes_to_its_current_thread_runtime() {
    // A current-thread runtime runs its tasks on the thread of its block_on: this one.
    let me = std::thread::current().id();
    let there = Tokio::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_eq!(there, me);
    // Timers of the test's runtime work for anyrt's sleeps (it drives them in block_on).
    Tokio::sleep(Duration::from_millis(2)).await;
    anyrt_core::task::yield_now().await;
}

#[tokio::test(start_paused = true)]
async fn sleep_follows_a_paused_tokio_clock() {
    // tokio's virtual time applies to anyrt's sleeps in a tokio test: an hour passes at once.
    let start = std::time::Instant::now();
    Tokio::sleep(Duration::from_secs(3600)).await;
    assert!(start.elapsed() < Duration::from_secs(60));
}
