//! `set_default_backend`: process-global, so this file holds one test. It must run before
//! anything in the process spawns or selects a backend.

// Everything here needs a backend; a build with none runs only features.rs.
#![cfg(feature = "_backend")]

use std::time::Duration;

use anyrt::{Backend, Runtime};
use anyrt_tests::*;

#[test]
fn set_default_backend_then_selected_and_a_late_call_errors() {
    // The last enabled backend: with several compiled in, not the one rules 3–5 would pick.
    let chosen = *Backend::enabled().last().expect("a backend feature");
    anyrt::set_default_backend(chosen).expect("the first call, before any spawn");

    // Rule 2 beats ANYRT_BACKEND and the built-in order on threads in no runtime.
    assert_eq!(Backend::selected(), chosen);
    assert_eq!(on_plain_thread("selected", Backend::selected), chosen);
    assert_eq!(anyrt::Handle::current().backend(), chosen);
    let (in_block_on, in_task) = on_plain_thread("block_on", || {
        anyrt::block_on(async {
            anyrt::time::sleep(Duration::from_millis(1)).await;
            let t = anyrt::spawn(async { Backend::current() });
            (Backend::current(), within("task", t).await.unwrap())
        })
    });
    assert_eq!(in_block_on, Some(chosen));
    assert_eq!(in_task, Some(chosen));
    let free = wait_plain("spawn", async {
        anyrt::spawn(async { Backend::current() }).await.unwrap()
    });
    assert_eq!(free, Some(chosen));

    // Rule 1 still beats rule 2: inside another backend's runtime, that runtime.
    for &b in Backend::enabled() {
        let rt = Runtime::new(b).unwrap();
        assert_eq!(rt.block_on(async { Backend::selected() }), b);
    }

    // After a spawn, changing the default is an error that says why; the choice stands.
    for &b in Backend::enabled() {
        let err = anyrt::set_default_backend(b).expect_err("a call after the first spawn");
        let msg = err.to_string();
        assert!(
            msg.contains("before") || msg.contains("already"),
            "the error does not say why the call came too late: {msg}"
        );
        let _: &dyn std::error::Error = &err;
    }
    assert_eq!(Backend::selected(), chosen);
}
