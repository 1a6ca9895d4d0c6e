//! Hands the suite the list of its enabled Cargo features (`ANYRT_TESTS_FEATURES`, comma
//! separated, as spelled in Cargo.toml): the backends it expects compiled in are
//! `Backend::ALL` filtered by it, with no list of backends written here.

fn main() {
    let mut features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| {
            k.strip_prefix("CARGO_FEATURE_")
                .map(|f| f.to_lowercase().replace('_', "-"))
        })
        .collect();
    features.sort();
    println!(
        "cargo:rustc-env=ANYRT_TESTS_FEATURES={}",
        features.join(",")
    );
    println!("cargo:rerun-if-changed=build.rs");
}
