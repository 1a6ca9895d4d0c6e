//! Backend selection: `Backend::current`, `Backend::selected`, `Backend::enabled`, foreign
//! runtimes (tokio, async-std: seen; smol and futures executors: not seen, the selection rule
//! applies), and `Backend`'s `Display`/`FromStr`.
//!
//! Semantics row pinned here: "spawn / sleep / timeout called where no runtime is running (a
//! plain thread, a foreign runtime)".

// Everything here needs a backend; a build with none runs only features.rs.
#![cfg(feature = "_backend")]

use std::time::Duration;

use anyrt::{Backend, Runtime};
use anyrt_tests::*;

// --- Backend::enabled / current / selected ----------------------------------------------

#[test]
fn enabled_lists_exactly_the_compiled_backends() {
    assert_eq!(Backend::enabled().to_vec(), compiled_backends());
}

#[test]
fn current_on_a_plain_thread_is_none() {
    assert_eq!(on_plain_thread("current", Backend::current), None);
}

#[test]
fn selected_on_a_plain_thread_follows_the_default_rule() {
    let selected = on_plain_thread("selected", Backend::selected);
    assert_eq!(selected, expected_default_backend());
    assert!(Backend::enabled().contains(&selected));
    // Asking again gives the same answer.
    assert_eq!(Backend::selected(), selected);
}

#[anyrt::test]
async fn current_and_selected_agree_everywhere_inside_a_runtime() {
    let here = Backend::current().expect("inside #[anyrt::test]");
    assert_eq!(Backend::selected(), here);
    let (t, ts) = within(
        "task",
        anyrt::spawn(async { (Backend::current(), Backend::selected()) }),
    )
    .await
    .unwrap();
    assert_eq!((t, ts), (Some(here), here));
    let (bl, bls) = within(
        "closure",
        anyrt::spawn_blocking(|| (Backend::current(), Backend::selected())),
    )
    .await
    .unwrap();
    assert_eq!((bl, bls), (Some(here), here));
    let (l, ls) = within(
        "local",
        anyrt::spawn_local(async { (Backend::current(), Backend::selected()) }),
    )
    .await
    .unwrap();
    assert_eq!((l, ls), (Some(here), here));
}

per_backend! {
    fn current_inside_each_runtime_names_it(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let got = rt.block_on(async {
            let task = anyrt::spawn(async {
                anyrt::task::yield_now().await;
                Backend::current()
            });
            let nested = anyrt::spawn(async {
                anyrt::spawn(async { Backend::current() }).await.unwrap()
            });
            (
                Backend::current(),
                Backend::selected(),
                within("task", task).await.unwrap(),
                within("nested", nested).await.unwrap(),
            )
        });
        assert_eq!(got, (Some(b), b, Some(b), Some(b)));
        // Outside again: back to no runtime.
        assert_eq!(on_plain_thread("current", Backend::current), None);
    }
}

per_backend! {
    fn a_runtime_of_another_backend_wins_over_the_default(b: Backend) {
        // Rule 1 beats rules 2–5: inside a smol runtime spawn goes to smol even where tokio
        // is the default.
        let rt = Runtime::new(b).unwrap();
        let ran_on = rt.block_on(async {
            let sleep_ok = anyrt::time::timeout(WAIT, anyrt::time::sleep(Duration::from_millis(1)))
                .await
                .is_ok();
            assert!(sleep_ok);
            anyrt::spawn(async { Backend::current() }).await.unwrap()
        });
        assert_eq!(ran_on, Some(b));
    }
}

// --- a foreign tokio runtime: spawn goes to it ------------------------------------------------

#[cfg(feature = "tokio")]
fn native_tokio(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("native-tokio")
        .enable_all()
        .build()
        .unwrap()
}

#[cfg(feature = "tokio")]
#[test]
fn inside_a_foreign_tokio_runtime_current_is_tokio() {
    let rt = native_tokio(2);
    let (in_block_on, in_task) = rt.block_on(async {
        let in_task = tokio::spawn(async { Backend::current() }).await.unwrap();
        (Backend::current(), in_task)
    });
    assert_eq!(in_block_on, Some(Backend::Tokio));
    assert_eq!(in_task, Some(Backend::Tokio));
}

#[cfg(feature = "tokio")]
#[test]
fn inside_a_foreign_tokio_runtime_spawn_goes_to_that_runtime() {
    let rt = native_tokio(2);
    let (selected, name, in_tokio_ctx, task_id) = rt.block_on(async {
        tokio::time::timeout(
            WAIT,
            tokio::spawn(async {
                let selected = Backend::selected();
                let (name, ctx, id) = anyrt::spawn(async {
                    (
                        std::thread::current().name().map(str::to_owned),
                        tokio::runtime::Handle::try_current().is_ok(),
                        tokio::task::try_id().is_some(),
                    )
                })
                .await
                .unwrap();
                (selected, name, ctx, id)
            }),
        )
        .await
        .expect("bounded")
        .unwrap()
    });
    assert_eq!(selected, Backend::Tokio);
    assert_eq!(name.as_deref(), Some("native-tokio"));
    assert!(in_tokio_ctx);
    assert!(task_id);
}

#[cfg(feature = "tokio")]
#[test]
fn inside_a_foreign_current_thread_tokio_runtime_spawn_goes_to_it() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let here = std::thread::current().id();
    let there = rt.block_on(async {
        tokio::time::timeout(WAIT, anyrt::spawn(async { std::thread::current().id() }))
            .await
            .expect("a task on a current-thread runtime runs while block_on awaits it")
            .unwrap()
    });
    assert_eq!(
        here, there,
        "the task left the foreign current-thread runtime"
    );
}

#[cfg(feature = "tokio")]
#[test]
fn inside_a_foreign_tokio_runtime_time_and_blocking_work() {
    let rt = native_tokio(1);
    let (slept, timed_out, blocking) = rt.block_on(async {
        tokio::time::timeout(WAIT, async {
            let t = std::time::Instant::now();
            anyrt::time::sleep(Duration::from_millis(5)).await;
            let slept = t.elapsed();
            let timed_out =
                anyrt::time::timeout(Duration::from_millis(5), std::future::pending::<()>())
                    .await
                    .is_err();
            let blocking = anyrt::spawn_blocking(|| 3).await.unwrap();
            (slept, timed_out, blocking)
        })
        .await
        .expect("bounded")
    });
    assert!(slept >= Duration::from_millis(5));
    assert!(timed_out);
    assert_eq!(blocking, 3);
}

/// A runtime started by the #[tokio::main]/#[tokio::test] macros is a foreign runtime too.
#[cfg(feature = "tokio")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_tokio_test_spawn_sleep_and_timeout_work() {
    assert_eq!(Backend::current(), Some(Backend::Tokio));
    let v = tokio::time::timeout(
        WAIT,
        anyrt::spawn(async {
            anyrt::time::sleep(Duration::from_millis(1)).await;
            (
                Backend::current(),
                tokio::runtime::Handle::try_current().is_ok(),
            )
        }),
    )
    .await
    .expect("bounded")
    .unwrap();
    assert_eq!(v, (Some(Backend::Tokio), true));
}

// --- a foreign async-std task: seen ----------------------------------------------------------

#[cfg(feature = "async-std")]
#[test]
fn inside_a_native_async_std_task_current_is_async_std() {
    let (current, ran_on) = on_plain_thread("async-std", || {
        async_std::task::block_on(async {
            async_std::future::timeout(
                WAIT,
                async_std::task::spawn(async {
                    let current = Backend::current();
                    let ran_on = anyrt::spawn(async { Backend::current() }).await.unwrap();
                    (current, ran_on)
                }),
            )
            .await
            .expect("bounded")
        })
    });
    assert_eq!(current, Some(Backend::AsyncStd));
    assert_eq!(ran_on, Some(Backend::AsyncStd));
}

// --- foreign executors anyrt cannot see: the selection rule applies ---------------------------

#[cfg(feature = "smol")]
#[test]
fn inside_smol_block_on_the_selection_rule_applies() {
    let expected = expected_default_backend();
    let (current, selected, ran_on, slept, timed_out) = on_plain_thread("smol::block_on", || {
        smol::block_on(async {
            let current = Backend::current();
            let selected = Backend::selected();
            let ran_on = anyrt::spawn(async { Backend::current() }).await.unwrap();
            let t = std::time::Instant::now();
            anyrt::time::sleep(Duration::from_millis(3)).await;
            let slept = t.elapsed();
            let timed_out =
                anyrt::time::timeout(Duration::from_millis(3), std::future::pending::<()>())
                    .await
                    .is_err();
            (current, selected, ran_on, slept, timed_out)
        })
    });
    assert_eq!(current, None, "a foreign smol::block_on cannot be seen");
    assert_eq!(selected, expected);
    assert_eq!(ran_on, Some(expected));
    assert!(slept >= Duration::from_millis(3));
    assert!(timed_out);
}

#[cfg(feature = "smol")]
#[test]
fn inside_a_foreign_smol_executor_task_the_selection_rule_applies() {
    let expected = expected_default_backend();
    let (current, ran_on) = on_plain_thread("smol executor", || {
        let ex = smol::Executor::new();
        smol::block_on(ex.run(async {
            ex.spawn(async {
                let current = Backend::current();
                let ran_on = anyrt::spawn(async { Backend::current() }).await.unwrap();
                anyrt::time::sleep(Duration::from_millis(1)).await;
                (current, ran_on)
            })
            .await
        }))
    });
    assert_eq!(current, None);
    assert_eq!(ran_on, Some(expected));
}

#[test]
fn inside_futures_executor_spawn_sleep_and_timeout_work() {
    let expected = expected_default_backend();
    let (current, ran_on, timed_out) = wait_plain("futures executor", async {
        let current = Backend::current();
        let ran_on = anyrt::spawn(async { Backend::current() }).await.unwrap();
        anyrt::time::sleep(Duration::from_millis(2)).await;
        let timed_out =
            anyrt::time::timeout(Duration::from_millis(2), std::future::pending::<()>())
                .await
                .is_err();
        (current, ran_on, timed_out)
    });
    assert_eq!(current, None);
    assert_eq!(ran_on, Some(expected));
    assert!(timed_out);
}

// --- Display / FromStr ------------------------------------------------------------------------

#[test]
fn backend_display_and_from_str_round_trip() {
    // The names are public API (features, `ANYRT_BACKEND`): pinned for the first three.
    assert_eq!(
        all_backend_names().take(3).collect::<Vec<_>>(),
        ["tokio", "smol", "async-std"]
    );
    for &b in Backend::ALL {
        let name = b.name();
        assert_eq!(b.to_string(), name);
        assert_eq!(name.parse::<Backend>().unwrap(), b);
        assert_eq!(b.to_string().parse::<Backend>().unwrap(), b);
    }
}

#[test]
fn backend_from_str_rejects_unknown_names_clearly() {
    for bad in ["tokyo", "", "std", "glommio"] {
        let err = bad.parse::<Backend>().unwrap_err();
        let msg = err.to_string();
        for valid in all_backend_names() {
            assert!(
                msg.contains(valid),
                "{bad:?}: the error does not list {valid}: {msg}"
            );
        }
        let _: &dyn std::error::Error = &err;
    }
}

#[test]
fn backend_is_copy_eq_hash_debug() {
    fn assert_traits<T: Copy + Eq + std::hash::Hash + std::fmt::Debug + Send + Sync + 'static>() {}
    assert_traits::<Backend>();
    let set: std::collections::HashSet<Backend> = Backend::enabled().iter().copied().collect();
    assert_eq!(set.len(), Backend::enabled().len());
}
