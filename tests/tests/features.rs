//! Builds with one backend, with several, and with none. The suite is run with every backend
//! feature alone (`--no-default-features --features smol` etc.) and with all together; the
//! tests here check what each combination promises.

#[allow(unused_imports)]
use anyrt::Backend;
#[allow(unused_imports)]
use anyrt_tests::*;

#[test]
fn enabled_matches_the_features_of_this_build() {
    assert_eq!(Backend::enabled().to_vec(), compiled_backends());
}

/// Rule 4: the only enabled backend is selected, whatever the built-in order says.
#[cfg(any(
    all(
        feature = "tokio",
        not(feature = "smol"),
        not(feature = "async-std"),
        not(feature = "sim")
    ),
    all(
        feature = "smol",
        not(feature = "tokio"),
        not(feature = "async-std"),
        not(feature = "sim")
    ),
    all(
        feature = "async-std",
        not(feature = "tokio"),
        not(feature = "smol"),
        not(feature = "sim")
    ),
    all(
        feature = "sim",
        not(feature = "tokio"),
        not(feature = "smol"),
        not(feature = "async-std")
    ),
))]
#[test]
fn the_only_backend_is_selected() {
    if std::env::var_os("ANYRT_BACKEND").is_some() {
        return;
    }
    let only = Backend::enabled()[0];
    assert_eq!(Backend::enabled().len(), 1);
    assert_eq!(on_plain_thread("selected", Backend::selected), only);
    let ran_on = wait_plain("spawn", async {
        anyrt::spawn(async { Backend::current() }).await.unwrap()
    });
    assert_eq!(ran_on, Some(only));
}

/// With several backends and no other rule, tokio, then smol, then async-std (rule 5).
#[cfg(any(
    all(feature = "tokio", feature = "smol"),
    all(feature = "tokio", feature = "async-std"),
    all(feature = "smol", feature = "async-std"),
    all(feature = "sim", feature = "_real"),
))]
#[test]
fn the_built_in_order_decides_between_several() {
    if std::env::var_os("ANYRT_BACKEND").is_some() {
        return;
    }
    let first = [
        Backend::Tokio,
        Backend::Smol,
        Backend::AsyncStd,
        Backend::Sim,
    ]
    .into_iter()
    .find(|b| Backend::enabled().contains(b))
    .unwrap();
    assert_eq!(on_plain_thread("selected", Backend::selected), first);
}

/// No backend: anything that needs one panics with a message naming the features.
#[cfg(not(feature = "_backend"))]
#[test]
fn no_backend_panics_naming_the_features() {
    assert!(Backend::enabled().is_empty());
    let msg = catch_panic(|| drop(anyrt::spawn(async {}))).unwrap_err();
    for feature in ["tokio", "smol", "async-std"] {
        assert!(
            msg.contains(feature),
            "does not name the {feature} feature: {msg}"
        );
    }
}
