//! `#[anyrt::test]` and `#[anyrt::main]`: the compile-fail cases with their expected
//! messages (`ui/fail`), the cases that must compile and run (`ui/pass`), and the
//! generated tests themselves (below: each of these is one `#[test]` per enabled backend).
//!
//! Bless changed messages with `TRYBUILD=overwrite cargo test -p anyrt-tests --test macros_ui`
//! and read the `.stderr` diff: each message should point at the token at fault.

use std::sync::atomic::{AtomicUsize, Ordering};

// The pass cases name backends (`#[anyrt::main(smol)]`), so they run in the build with every
// backend; one trybuild run per CI pass is enough.
#[cfg(all(feature = "tokio", feature = "smol", feature = "async-std"))]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
    t.pass("ui/pass/*.rs");
}

#[anyrt::test]
async fn plain() {
    let n = std::future::ready(41).await + 1;
    assert_eq!(n, 42);
}

#[anyrt::test]
async fn returns_ok() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "7".parse()?;
    assert_eq!(n, 7);
    Ok(())
}

#[anyrt::test]
#[should_panic = "failed on the"]
async fn returns_err_fails_naming_the_backend() -> Result<(), String> {
    Err("expected".to_owned())
}

#[anyrt::test]
#[should_panic = "boom"]
async fn panics() {
    panic!("boom");
}

#[anyrt::test(smol, worker_threads = 2)]
async fn limited_and_sized() {
    assert_eq!(anyrt::Backend::current(), Some(anyrt::Backend::Smol));
}

/// Each generated test runs on its own backend.
#[anyrt::test]
async fn runs_on_its_backend() {
    let current = anyrt::Backend::current().expect("inside a runtime");
    let name = std::thread::current().name().unwrap_or_default().to_owned();
    // The harness names the thread after the test, e.g. `runs_on_its_backend::async_std`.
    if let Some(suffix) = name.rsplit("::").next() {
        let want = anyrt::Backend::ALL
            .iter()
            .copied()
            .find(|b| b.ident() == suffix);
        if let Some(want) = want {
            assert_eq!(current, want, "test thread {name}");
        }
    }
}

static HELPER_CALLS: AtomicUsize = AtomicUsize::new(0);

fn tokio() -> usize {
    HELPER_CALLS.fetch_add(1, Ordering::Relaxed)
}

/// Paths in the body mean what they meant outside the attribute: `tokio()` is the function
/// above, not the generated test of the same name.
#[anyrt::test]
async fn body_sees_the_enclosing_module() {
    let _ = tokio();
    let _ = self::tokio();
}
