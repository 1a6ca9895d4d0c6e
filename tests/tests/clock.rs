//! The clock belongs to the backend: task time in core and the facade is read through
//! `anyrt::time::Instant::now()` (the clock of the backend in effect), never from std
//! directly. The one read of `std::time::Instant::now()` is the system clock itself.

use std::path::Path;

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.display().to_string(), text));
        }
    }
}

#[test]
fn core_and_the_facade_read_task_time_from_the_backend_clock() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    let mut files = Vec::new();
    sources(&root.join("anyrt-core/src"), &mut files);
    sources(&root.join("anyrt/src"), &mut files);
    assert!(files.len() > 20, "the sources were not found");
    let mut std_reads = Vec::new();
    for (path, text) in &files {
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue; // docs may say what not to do
            }
            assert!(
                !code.contains("use std::time::Instant") && !code.contains("use std::time::{"),
                "{path}:{}: import anyrt's Instant, not std's: {line}",
                n + 1
            );
            if code.contains("std::time::Instant::now()") || code.contains("SystemTime::now()") {
                std_reads.push(format!("{path}:{}", n + 1));
            }
        }
    }
    assert_eq!(
        std_reads.len(),
        1,
        "only the system clock (Instant::system_now) may read std's clock: {std_reads:?}"
    );
    assert!(std_reads[0].contains("time/instant.rs"), "{std_reads:?}");
}
