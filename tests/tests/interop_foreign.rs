//! Foreign runtimes: code inside a runtime anyrt did not start calls anyrt. tokio and
//! async-std are detected (`Backend::current()` names them and the task runs on that
//! runtime's threads); smol and `futures` executors cannot be, so the selection rule's
//! process default applies there. This pins the table in `anyrt::compat`'s docs.
//!
//! Nothing here calls `set_default_backend` in this process (the smol hand-over test does it
//! in a child process), so the default on undetectable executors is
//! `expected_default_backend()`.

// Everything here needs a real backend (foreign runtimes beside it); the simulation alone
// has nothing to run here.
#![cfg(feature = "_real")]

use std::thread;
use std::time::Duration;

use anyrt::Backend;
use anyrt_tests::*;

#[cfg(any(feature = "tokio", feature = "async-std"))]
fn thread_name() -> String {
    thread::current().name().unwrap_or("").to_owned()
}

#[cfg(any(feature = "tokio", feature = "smol"))]
fn thread_id() -> std::thread::ThreadId {
    thread::current().id()
}

#[cfg(feature = "tokio")]
mod tokio_foreign {
    use super::*;

    const NAME: &str = "foreign-tokio";

    fn foreign_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(NAME)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn inside_a_foreign_multi_thread_runtime_anyrt_uses_it() {
        let rt = foreign_runtime();
        rt.block_on(async {
            assert_eq!(Backend::current(), Some(Backend::Tokio));
            assert_eq!(Backend::selected(), Backend::Tokio);
            assert_eq!(anyrt::Handle::current().backend(), Backend::Tokio);
            let task = anyrt::spawn(async {
                anyrt::time::sleep(Duration::from_millis(1)).await;
                (thread_name(), Backend::current())
            });
            let (name, backend) = within("task", task).await.unwrap();
            assert_eq!(
                name, NAME,
                "the task did not run on the foreign runtime's workers"
            );
            assert_eq!(backend, Some(Backend::Tokio));
            // tokio names its blocking threads like its workers.
            let blocking = anyrt::spawn_blocking(|| (thread_name(), Backend::current()));
            let (name, backend) = within("blocking", blocking).await.unwrap();
            assert_eq!(
                name, NAME,
                "the closure did not run on the foreign blocking pool"
            );
            assert_eq!(backend, Some(Backend::Tokio));
            // Spawns from inside a native tokio task go there too.
            let nested = tokio::spawn(async { anyrt::spawn(async { thread_name() }).await });
            assert_eq!(within("nested", nested).await.unwrap().unwrap(), NAME);
            // A handle taken here spawns onto this runtime from a plain thread.
            let handle = anyrt::Handle::current();
            let from_plain = on_plain_thread("spawn through the handle", move || {
                futures::executor::block_on(handle.spawn(async { thread_name() }))
            });
            assert_eq!(from_plain.unwrap(), NAME);
        });
    }

    /// `#[tokio::main]` and `#[tokio::test]` run the body in a current-thread runtime's
    /// `block_on`: anyrt's tasks run on that runtime, on the calling thread.
    #[tokio::test]
    async fn inside_tokio_test_anyrt_spawns_onto_its_current_thread_runtime() {
        assert_eq!(Backend::current(), Some(Backend::Tokio));
        let me = thread_id();
        let task = anyrt::spawn(async move {
            anyrt::time::sleep(Duration::from_millis(1)).await;
            thread_id()
        });
        assert_eq!(within("task", task).await.unwrap(), me);
        // anyrt's timeout and sleep use this runtime's timer.
        let late = anyrt::time::timeout(Duration::from_millis(2), std::future::pending::<()>());
        assert!(within("timeout", late).await.is_err());
    }

    /// The documented limit (crates/anyrt/src/compat/mod.rs): anyrt uses a foreign tokio
    /// runtime's timer, so that tokio's paused test clock applies to anyrt's sleeps too; a
    /// foreign runtime built without `enable_time` has no timer, and a sleep inside it panics
    /// with tokio's message. No public tokio API tells whether a runtime has a timer. Spawning
    /// still works there. This pins the limit, so a change to it is noticed.
    #[test]
    #[should_panic(expected = "timers are disabled")]
    fn inside_a_foreign_runtime_without_a_timer_sleep_panics_as_documented() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let me = thread_id();
        rt.block_on(async {
            assert_eq!(Backend::current(), Some(Backend::Tokio));
            assert_eq!(anyrt::spawn(async { thread_id() }).await.unwrap(), me);
            anyrt::time::sleep(Duration::from_millis(2)).await;
        });
    }

    #[test]
    fn a_plain_thread_that_entered_a_foreign_runtime_uses_it() {
        let rt = foreign_runtime();
        let _guard = rt.enter();
        assert_eq!(Backend::current(), Some(Backend::Tokio));
        let name = futures::executor::block_on(anyrt::spawn(async { thread_name() }));
        assert_eq!(name.unwrap(), NAME);
    }
}

#[cfg(feature = "async-std")]
mod async_std_foreign {
    use super::*;

    /// The name of async-std's executor threads (`async-std/runtime` unless
    /// `ASYNC_STD_THREAD_NAME` says otherwise).
    fn async_std_thread_name() -> String {
        async_std::task::block_on(async_std::task::spawn(async { thread_name() }))
    }

    #[test]
    fn inside_async_std_block_on_anyrt_uses_async_std() {
        let expected = async_std_thread_name();
        async_std::task::block_on(async {
            assert_eq!(Backend::current(), Some(Backend::AsyncStd));
            assert_eq!(Backend::selected(), Backend::AsyncStd);
            let task = anyrt::spawn(async {
                anyrt::time::sleep(Duration::from_millis(1)).await;
                (thread_name(), Backend::current())
            });
            let (name, backend) = within("task", task).await.unwrap();
            assert_eq!(
                name, expected,
                "the task did not run on async-std's threads"
            );
            assert_eq!(backend, Some(Backend::AsyncStd));
            let blocking = anyrt::spawn_blocking(Backend::current);
            assert_eq!(
                within("blocking", blocking).await.unwrap(),
                Some(Backend::AsyncStd)
            );
        });
    }

    /// `#[async_std::main]`, `#[async_std::test]` and native async-std tasks.
    #[async_std::test]
    async fn inside_async_std_tasks_anyrt_uses_async_std() {
        let expected = async_std::task::spawn(async { thread_name() }).await;
        let got = async_std::task::spawn(async {
            assert_eq!(Backend::current(), Some(Backend::AsyncStd));
            anyrt::spawn(async { (thread_name(), Backend::current()) }).await
        })
        .await
        .unwrap();
        assert_eq!(got, (expected, Some(Backend::AsyncStd)));
    }
}

/// smol keeps no "current executor": anyrt cannot see it, so the process default applies.
#[cfg(feature = "smol")]
mod smol_foreign {
    use super::*;

    #[test]
    fn inside_smol_block_on_the_selection_rule_applies() {
        let expected = expected_default_backend();
        smol::block_on(async {
            assert_eq!(Backend::current(), None);
            assert_eq!(Backend::selected(), expected);
            let task = anyrt::spawn(async {
                anyrt::time::sleep(Duration::from_millis(1)).await;
                Backend::current()
            });
            // The handle is an ordinary future: smol's block_on drives the await.
            assert_eq!(within("task", task).await.unwrap(), Some(expected));
            let blocking = anyrt::spawn_blocking(|| 5);
            assert_eq!(within("blocking", blocking).await.unwrap(), 5);
        });
    }

    #[test]
    fn inside_a_smol_executors_task_the_selection_rule_applies() {
        let expected = expected_default_backend();
        let ex = smol::Executor::new();
        let got = smol::block_on(ex.run(ex.spawn(async {
            let outer = Backend::current();
            let inner = anyrt::spawn(async { Backend::current() }).await.unwrap();
            // Where the line is: anyrt cannot tell that this thread runs an executor, so
            // block_on does not refuse (it would be refused inside anyrt's own tasks).
            let nested = anyrt::try_block_on(async { 1 }).is_ok();
            (outer, inner, nested)
        })));
        assert_eq!(got, (None, Some(expected), true));
    }

    /// The way out: the application hands its executor to anyrt (in a child process, since
    /// the hand-over and the default backend are process-wide).
    #[test]
    fn a_smol_app_hands_its_executor_to_anyrt() {
        if is_child() {
            anyrt::set_default_backend(Backend::Smol).unwrap();
            let ex = std::sync::Arc::new(smol::Executor::new());
            anyrt::compat::smol::set_global_executor(ex.clone()).unwrap();
            let me = thread_id();
            let got = smol::block_on(ex.run(async {
                assert_eq!(Backend::current(), None);
                assert_eq!(Backend::selected(), Backend::Smol);
                // Only this thread runs `ex`: the task ran on the application's executor.
                anyrt::spawn(async { thread_id() }).await.unwrap()
            }));
            assert_eq!(got, me);
            println!("CHILD-OK");
            return;
        }
        let out = run_self(
            &[
                "smol_foreign::a_smol_app_hands_its_executor_to_anyrt",
                "--exact",
                "--nocapture",
            ],
            &[],
        );
        assert!(
            out.success && out.stdout.contains("CHILD-OK"),
            "{}",
            out.all()
        );
    }
}

/// A `futures` executor is as invisible as smol.
#[test]
fn inside_a_futures_executor_the_selection_rule_applies() {
    let expected = expected_default_backend();
    let got = on_plain_thread("futures block_on", || {
        futures::executor::block_on(async {
            let outer = Backend::current();
            let inner = anyrt::spawn(async { Backend::current() }).await.unwrap();
            (outer, inner)
        })
    });
    assert_eq!(got, (None, Some(expected)));
}
