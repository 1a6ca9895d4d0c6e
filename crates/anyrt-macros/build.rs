//! The backends this crate generates tests for: every feature of its Cargo.toml (each is a
//! backend, turned on by `anyrt`'s feature of the same name), in the order written there,
//! each with whether it is on. Written to `$OUT_DIR/backends.rs` as the rows of
//! `Backend::ALL`, so that a new backend is one line in Cargo.toml.

use std::env;
use std::fs;
use std::path::Path;

fn main() {
    let manifest = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("Cargo.toml");
    println!("cargo::rerun-if-changed={}", manifest.display());
    let text = fs::read_to_string(&manifest).expect("anyrt-macros: reading Cargo.toml");
    let mut rows = String::new();
    let mut in_features = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_features = line == "[features]";
            continue;
        }
        let Some((name, _)) = line.split_once('=').filter(|_| in_features) else {
            continue;
        };
        let feature = name.trim();
        if feature.is_empty() || feature.starts_with('#') {
            continue;
        }
        // `async-std`: the argument `async_std`, the variant `AsyncStd`.
        let ident = feature.replace('-', "_");
        let variant: String = feature
            .split('-')
            .map(|w| w[..1].to_uppercase() + &w[1..])
            .collect();
        let on = env::var_os(format!("CARGO_FEATURE_{}", ident.to_uppercase())).is_some();
        rows.push_str(&format!(
            "    Backend::new({ident:?}, {variant:?}, {on}),\n"
        ));
    }
    assert!(
        !rows.is_empty(),
        "anyrt-macros: no backend features in Cargo.toml"
    );
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("backends.rs");
    fs::write(out, format!("&[\n{rows}]\n")).expect("anyrt-macros: writing backends.rs");
}
