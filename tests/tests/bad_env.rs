//! A bad `ANYRT_BACKEND` only affects selection: it is read at rule 3 of the selection rule,
//! and its error appears only there. Explicit runtimes, their handles and `#[anyrt::test]`
//! never read it. Process-global state: each case re-runs this binary as a child process.

#![cfg(feature = "_backend")]

use std::time::Duration;

use anyrt::{Backend, Handle, Runtime};
use anyrt_tests::*;

/// What the child does with a bad `ANYRT_BACKEND`: everything that names its backend works.
fn child_explicit_runtimes_work() {
    for &b in Backend::enabled() {
        let rt = Runtime::new(b).unwrap();
        let inside = rt.block_on(async {
            anyrt::time::sleep(Duration::from_millis(1)).await;
            let t = anyrt::spawn(async { Backend::current() });
            within("a task", t).await.unwrap()
        });
        assert_eq!(inside, Some(b));
        assert_eq!(rt.handle().block_on(async { Backend::selected() }), b);
        assert_eq!(
            Handle::global(b).block_on(async { Backend::current() }),
            Some(b)
        );
        let t = rt.spawn(async { 1 });
        assert_eq!(rt.block_on(t).unwrap(), 1);
    }
    println!("CHILD-OK");
}

/// What the child does to reach rule 3: the clear error, there only.
fn child_rule_3_fails_clearly() {
    match catch_panic(|| anyrt::block_on(async {})) {
        Ok(()) => println!("CHILD-NO-PANIC"),
        Err(m) => println!("CHILD-PANIC {m}"),
    }
}

#[anyrt::test]
async fn an_anyrt_test_body_for_the_child() {
    assert!(Backend::current().is_some());
    anyrt::spawn(async {}).await.unwrap();
}

const MODE: &str = "ANYRT_TESTS_BAD_ENV_MODE";

#[test]
fn a_bad_anyrt_backend_only_affects_selection() {
    if is_child() {
        match std::env::var(MODE).as_deref() {
            Ok("explicit") => child_explicit_runtimes_work(),
            Ok("rule3") => child_rule_3_fails_clearly(),
            _ => {}
        }
        return;
    }
    let name = "a_bad_anyrt_backend_only_affects_selection";
    for bad in ["tokyo", "sim-not-compiled", "glommio"] {
        let out = run_self(
            &[name, "--exact", "--nocapture"],
            &[("ANYRT_BACKEND", bad), (MODE, "explicit")],
        );
        assert!(
            out.success && out.stdout.contains("CHILD-OK"),
            "ANYRT_BACKEND={bad} broke an explicit runtime:\n{}",
            out.all()
        );
        let out = run_self(
            &[name, "--exact", "--nocapture"],
            &[("ANYRT_BACKEND", bad), (MODE, "rule3")],
        );
        assert!(
            out.stdout.contains("CHILD-PANIC ANYRT_BACKEND"),
            "ANYRT_BACKEND={bad}: block_on on a plain thread must fail naming the variable:\n{}",
            out.all()
        );
        // Every #[anyrt::test] runs on its own runtime: the variable is never read.
        for &b in Backend::enabled() {
            let test = format!("an_anyrt_test_body_for_the_child::{}", b.ident());
            let out = run_self(&[&test, "--exact"], &[("ANYRT_BACKEND", bad)]);
            assert!(
                out.success && out.stdout.contains("1 passed"),
                "ANYRT_BACKEND={bad} failed #[anyrt::test] on {b}:\n{}",
                out.all()
            );
        }
    }
}
