//! Picking the backend in an application: Cargo feature, `set_default_backend`, `ANYRT_BACKEND`.
//!
//! Run it with `cargo run -p anyrt-examples --example pick_backend`.
//!
//! **The Cargo features** decide what is compiled in. An application that wants one runtime
//! enables one: `anyrt = { version = "0.1", features = ["smol"] }`. Features are additive: a
//! build may have several (this examples package enables `tokio`, `smol` and `async-std`).
//! Among those compiled in, the selection rule picks, first match wins (the same numbering
//! as the README and the crate docs):
//!
//! 1. the runtime the calling thread is inside (anyrt's own, an async-std task, a tokio
//!    runtime);
//! 2. **`anyrt::set_default_backend`**, first thing in `main`;
//! 3. **`ANYRT_BACKEND=smol`** (or `tokio`, `async-std`), read once per process;
//! 4. the only enabled backend;
//! 5. tokio, then smol, then async-std.
//!
//! Whatever the default, code inside a runtime (a `Runtime`, `block_on`, a task) uses that
//! runtime: `Backend::current()` names it, `Backend::selected()` is what a spawn would use.

use std::process::Command;

use anyrt::{Backend, Runtime};

/// Set on the child processes this example starts.
const CHILD: &str = "ANYRT_EXAMPLE_CHILD";

fn report(who: &str) {
    let inside = anyrt::block_on(async {
        let task = anyrt::spawn(async { Backend::current() }).await.unwrap();
        (Backend::current(), task)
    });
    println!(
        "{who}: outside: current {:?}, selected {}; in block_on: current {:?}; in a task: {:?}",
        Backend::current(),
        Backend::selected(),
        inside.0,
        inside.1
    );
}

fn main() {
    if let Ok(set) = std::env::var(CHILD) {
        if let Ok(backend) = set.parse() {
            // set_default_backend wins over ANYRT_BACKEND.
            anyrt::set_default_backend(backend).unwrap();
        }
        let env = std::env::var("ANYRT_BACKEND").unwrap_or_default();
        report(&format!(
            "  child  ANYRT_BACKEND={env:<9} set_default={set:<9}"
        ));
        return;
    }

    println!("compiled in (Cargo features): {:?}", Backend::enabled());

    // Each child is this program again, in a fresh process: the default is fixed once per
    // process, at the first selection.
    let me = std::env::current_exe().expect("the path of this example");
    let mut runs: Vec<(&str, &str)> = Backend::enabled().iter().map(|b| (b.name(), "")).collect();
    if Backend::Tokio.is_enabled() && Backend::Smol.is_enabled() {
        runs.push(("tokio", "smol"));
    }
    for (env, set) in runs {
        let out = Command::new(&me)
            .env("ANYRT_BACKEND", env)
            .env(CHILD, set)
            .output()
            .expect("the child runs");
        assert!(out.status.success(), "child failed: {out:?}");
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }

    // In this process: pick the default before anything spawns. A backend not compiled in,
    // or a second call, is an error that says why.
    let last = *Backend::enabled().last().unwrap();
    anyrt::set_default_backend(last).expect("nothing has selected a backend yet");
    if let Err(e) = anyrt::set_default_backend(Backend::enabled()[0]) {
        println!("  second set_default_backend: {e}");
    }
    report(&format!("  parent set_default={last}"));

    // An owned runtime of one backend overrides the default for the code it runs.
    let rt = Runtime::new(Backend::enabled()[0]).unwrap();
    let (cur, sel) = rt.block_on(async { (Backend::current(), Backend::selected()) });
    println!(
        "  inside Runtime::new({}): current {cur:?}, selected {sel}",
        rt.backend()
    );
}
