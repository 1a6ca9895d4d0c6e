//! Task-locals (`anyrt::task_local!`): scopes nest and restore, a plain key stays in its
//! task, an `inherit` key follows every kind of spawn (two levels deep, into a `JoinSet`,
//! onto a `Handle`, into blocking closures), and many tasks on one worker keep their own
//! values: the same on every backend.

// Scopes that return the handle of a task they spawned.
#![allow(clippy::async_yields_async)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyrt::task::{AccessError, JoinSet};
use anyrt_tests::*;

anyrt::task_local! {
    /// Plain: never crosses a spawn.
    static REQUEST: u64;
    /// Inherited by spawned tasks.
    inherit static TENANT: String;
    inherit static TRACE: u32;
}

anyrt::task_local! {
    /// A visibility and docs come before `inherit`.
    pub inherit static LEVEL: usize;
}

#[anyrt::test]
async fn scopes_nest_and_the_outer_value_comes_back() {
    let seen = REQUEST
        .scope(1, async {
            let outer = REQUEST.get();
            let inner = REQUEST
                .scope(2, async {
                    anyrt::task::yield_now().await;
                    REQUEST.get()
                })
                .await;
            (outer, inner, REQUEST.get())
        })
        .await;
    assert_eq!(seen, (1, 2, 1));
    assert!(REQUEST.try_get().is_err());
}

#[anyrt::test]
async fn try_with_outside_a_scope_is_an_error_and_with_panics_saying_what_to_do() {
    let err: AccessError = REQUEST.try_with(|v| *v).unwrap_err();
    assert!(err.to_string().contains("scope"), "{err}");
    let msg = catch_panic(|| REQUEST.with(|v| *v)).unwrap_err();
    assert!(msg.contains("task-local value not set"), "{msg}");
    assert!(msg.contains("inherit static"), "{msg}");
}

#[anyrt::test]
async fn a_panic_inside_a_scope_restores_the_outer_value() {
    let out = TENANT
        .scope("outer".into(), async {
            let inner = TENANT.scope("inner".into(), async { panic!("boom inside the scope") });
            let caught = std::panic::AssertUnwindSafe(inner);
            let res = futures::FutureExt::catch_unwind(caught).await;
            assert!(res.is_err());
            let sync = std::panic::catch_unwind(|| {
                TENANT.sync_scope("sync".into(), || panic!("boom in sync_scope"))
            });
            assert!(sync.is_err());
            TENANT.get()
        })
        .await;
    assert_eq!(out, "outer");
    assert!(TENANT.try_get().is_err());
}

#[anyrt::test]
async fn a_plain_key_does_not_cross_a_spawn() {
    REQUEST
        .scope(7, async {
            let spawned = anyrt::spawn(async { REQUEST.try_get() });
            let local = anyrt::spawn_local(async { REQUEST.try_get() });
            let blocking = anyrt::spawn_blocking(|| REQUEST.try_get());
            assert!(within("spawn", spawned).await.unwrap().is_err());
            assert!(within("spawn_local", local).await.unwrap().is_err());
            assert!(within("spawn_blocking", blocking).await.unwrap().is_err());
            assert_eq!(REQUEST.get(), 7);
        })
        .await;
}

#[anyrt::test]
async fn an_inherited_key_follows_two_levels_of_spawn_and_into_a_join_set() {
    TENANT
        .scope("acme".into(), async {
            let grandchild = anyrt::spawn(async {
                let inner = anyrt::spawn(async { TENANT.get() });
                within("the grandchild", inner).await.unwrap()
            });
            assert_eq!(within("the child", grandchild).await.unwrap(), "acme");

            let mut set = JoinSet::new();
            set.spawn(async { TENANT.get() });
            set.spawn_local(async { TENANT.get() });
            set.spawn_blocking(|| TENANT.get());
            let mut n = 0;
            while let Some(res) = within("the join set", set.join_next()).await {
                assert_eq!(res.unwrap(), "acme");
                n += 1;
            }
            assert_eq!(n, 3);
        })
        .await;
}

#[anyrt::test]
async fn every_kind_of_spawn_inherits() {
    let handle = anyrt::Handle::current();
    TRACE
        .scope(42, async move {
            let a = anyrt::spawn(async { TRACE.get() });
            let b = anyrt::spawn_local(async { TRACE.get() });
            let c = anyrt::spawn_blocking(|| TRACE.get());
            let d = handle.spawn(async { TRACE.get() });
            let e = handle.spawn_blocking(|| TRACE.get());
            let f = anyrt::task::Builder::new()
                .no_span()
                .spawn(async { TRACE.get() });
            // A library that takes `impl Executor` and is handed anyrt's `Handle`.
            let x = anyrt::Executor::spawn(&handle, async { TRACE.get() });
            // A spawn from a blocking closure inherits too.
            let g = anyrt::spawn_blocking(|| anyrt::spawn(async { TRACE.get() }));
            for (what, h) in [("spawn", a), ("spawn_local", b), ("spawn_blocking", c)] {
                assert_eq!(within(what, h).await.unwrap(), 42, "{what}");
            }
            for (what, h) in [("Handle::spawn", d), ("Handle::spawn_blocking", e)] {
                assert_eq!(within(what, h).await.unwrap(), 42, "{what}");
            }
            assert_eq!(within("Builder::spawn", f).await.unwrap(), 42);
            assert_eq!(within("Executor::spawn", x).await.unwrap(), 42);
            let g = within("spawn_blocking", g).await.unwrap();
            assert_eq!(
                within("spawn from a blocking closure", g).await.unwrap(),
                42
            );
        })
        .await;
}

#[anyrt::test]
async fn a_child_sees_the_value_at_its_spawn_and_its_changes_stay_its_own() {
    LEVEL
        .scope(1, async {
            let child = anyrt::spawn(async {
                let before = LEVEL.get();
                let changed = LEVEL.scope(2, async { LEVEL.get() }).await;
                (before, changed, LEVEL.get())
            });
            // The parent's value is untouched by the child's inner scope.
            let (before, changed, after) = within("the child", child).await.unwrap();
            assert_eq!((before, changed, after), (1, 2, 1));
            assert_eq!(LEVEL.get(), 1);
            // A nested scope of the same key: the child gets the innermost value.
            let nested = LEVEL
                .scope(5, async { anyrt::spawn(async { LEVEL.get() }) })
                .await;
            assert_eq!(within("the nested child", nested).await.unwrap(), 5);
        })
        .await;
}

#[anyrt::test]
async fn the_value_is_cloned_not_shared() {
    #[derive(Debug)]
    struct Counted(Arc<AtomicUsize>);
    impl Clone for Counted {
        fn clone(&self) -> Self {
            self.0.fetch_add(1, Ordering::SeqCst);
            Counted(self.0.clone())
        }
    }
    anyrt::task_local! { inherit static COUNTED: Counted; }
    let clones = Arc::new(AtomicUsize::new(0));
    COUNTED
        .scope(Counted(clones.clone()), async {
            let hs: Vec<_> = (0..3).map(|_| anyrt::spawn(async {})).collect();
            for h in hs {
                within("a child", h).await.unwrap();
            }
        })
        .await;
    assert_eq!(clones.load(Ordering::SeqCst), 3, "one clone per spawn");
}

#[anyrt::test(worker_threads = 1)]
async fn many_tasks_on_one_worker_keep_their_own_values() {
    let mut set = JoinSet::new();
    for i in 0..64u64 {
        set.spawn(REQUEST.scope(i, async move {
            for _ in 0..5 {
                anyrt::time::sleep(Duration::from_micros(50 * (i % 3))).await;
                anyrt::task::yield_now().await;
                assert_eq!(REQUEST.get(), i);
            }
            REQUEST.get()
        }));
    }
    let mut sum = 0;
    while let Some(res) = within("64 tasks", set.join_next()).await {
        sum += res.unwrap();
    }
    assert_eq!(sum, (0..64).sum::<u64>());
    assert!(REQUEST.try_get().is_err());
}

#[anyrt::test]
async fn an_aborted_task_is_dropped_inside_its_context() {
    struct Check(Arc<AtomicUsize>);
    impl Drop for Check {
        fn drop(&mut self) {
            if TRACE.try_get() == Ok(9) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    let seen = Arc::new(AtomicUsize::new(0));
    let check = Check(seen.clone());
    let mut h = TRACE
        .scope(9, async move {
            anyrt::spawn(async move {
                let _check = check;
                std::future::pending::<()>().await
            })
        })
        .await;
    anyrt::time::sleep(Duration::from_millis(5)).await;
    h.abort();
    assert!(within("the aborted task", h)
        .await
        .unwrap_err()
        .is_cancelled());
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "the drop saw the inherited value"
    );
}

#[anyrt::test]
async fn sync_scope_is_seen_by_block_on_on_the_same_thread() {
    let out = anyrt::spawn_blocking(|| {
        TENANT.sync_scope("blocking".into(), || {
            anyrt::block_on(async { (TENANT.get(), anyrt::spawn(async { TENANT.get() })) })
        })
    })
    .await
    .unwrap();
    assert_eq!(out.0, "blocking");
    assert_eq!(within("the child", out.1).await.unwrap(), "blocking");
}
