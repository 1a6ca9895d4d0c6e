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
    let first = Backend::ALL
        .iter()
        .copied()
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
    for feature in all_backend_names() {
        assert!(
            msg.contains(feature),
            "does not name the {feature} feature: {msg}"
        );
    }
}

/// The suite's lists of backends come from `Backend::ALL`, except one that cannot: its Cargo
/// features (one per backend, each on by default). A backend added to `Backend::ALL` and
/// missing there fails here, by name.
#[test]
fn every_backend_has_a_feature() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("read the suite's Cargo.toml");
    let features = manifest
        .split("\n[features]\n")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("a [features] table in the suite's Cargo.toml");
    let default = features
        .lines()
        .find(|l| l.starts_with("default ="))
        .expect("a default feature list");
    for &b in Backend::ALL {
        let name = b.name();
        assert!(
            features
                .lines()
                .any(|l| l.starts_with(&format!("{name} ="))),
            "the suite's Cargo.toml has no `{name}` feature (tests/Cargo.toml [features])"
        );
        assert!(
            default.contains(&format!("\"{name}\"")),
            "the `{name}` feature is not in the suite's default features"
        );
    }
}
