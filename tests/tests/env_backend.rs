//! `ANYRT_BACKEND`: read once per process, it picks the backend on threads that are inside no
//! runtime. Process-global state, so this file holds one test, which re-runs this binary as
//! child processes with the variable set; the child's half of the test is the part under
//! `is_child()`.

// Everything here needs a backend; a build with none runs only features.rs.
#![cfg(feature = "_backend")]

use std::time::Duration;

use anyrt::{Backend, Runtime};
use anyrt_tests::*;

const MODE: &str = "ANYRT_TESTS_ENV_MODE";

/// In the child, with `ANYRT_BACKEND` set to a valid, compiled-in backend.
fn child_valid(b: Backend) {
    assert_eq!(
        Backend::selected(),
        b,
        "Backend::selected() ignores ANYRT_BACKEND={b}"
    );
    assert_eq!(Backend::current(), None);
    assert_eq!(anyrt::Handle::current().backend(), b);
    // spawn, block_on, sleep and timeout on a thread in no runtime go to that backend.
    let (in_block_on, in_task) = anyrt::block_on(async {
        anyrt::time::sleep(Duration::from_millis(1)).await;
        let t = anyrt::spawn(async { Backend::current() });
        (Backend::current(), within("task", t).await.unwrap())
    });
    assert_eq!(in_block_on, Some(b));
    assert_eq!(in_task, Some(b));
    let free = futures::executor::block_on(anyrt::spawn(async { Backend::current() })).unwrap();
    assert_eq!(free, Some(b));
    // A runtime of another backend still wins inside it (rule 1 before rule 3).
    for &other in Backend::enabled() {
        let rt = Runtime::new(other).unwrap();
        assert_eq!(rt.block_on(async { Backend::selected() }), other);
    }
    // Read once: changing the variable now changes nothing.
    let other = Backend::enabled()
        .iter()
        .copied()
        .find(|&o| o != b)
        .unwrap_or(b);
    std::env::set_var("ANYRT_BACKEND", other.to_string());
    assert_eq!(Backend::selected(), b, "ANYRT_BACKEND was read again");
    std::env::set_var("ANYRT_BACKEND", "not-a-backend");
    assert_eq!(Backend::selected(), b, "ANYRT_BACKEND was read again");
    println!("CHILD-OK selected={b}");
}

/// In the child, with `ANYRT_BACKEND` set to something that cannot be used: selecting a
/// backend must fail with a message that says what to do.
fn child_invalid() {
    let msg = catch_panic(|| {
        // Any of these consults the selection rule; the first must fail clearly.
        let b = Backend::selected();
        drop(anyrt::spawn(async {}));
        b
    });
    match msg {
        Ok(b) => println!("CHILD-SELECTED {b}"),
        Err(m) => println!("CHILD-PANIC {m}"),
    }
}

#[test]
fn anyrt_backend_env_var_selects_the_backend() {
    if is_child() {
        let v = std::env::var("ANYRT_BACKEND").unwrap_or_default();
        match std::env::var(MODE).as_deref() {
            Ok("valid") => child_valid(v.parse().unwrap()),
            Ok("invalid") => child_invalid(),
            _ => {}
        }
        return;
    }
    let args = [
        "anyrt_backend_env_var_selects_the_backend",
        "--exact",
        "--nocapture",
    ];

    // Every compiled-in backend can be selected by name; "async_std" is accepted as a
    // spelling of "async-std" only if FromStr accepts it, so use Display's names.
    for &b in Backend::enabled() {
        let name = b.to_string();
        let out = run_self(&args, &[("ANYRT_BACKEND", &name), (MODE, "valid")]);
        assert!(
            out.success,
            "ANYRT_BACKEND={name}: the child failed\n{}",
            out.all()
        );
        assert!(
            out.stdout.contains(&format!("CHILD-OK selected={b}")),
            "{}",
            out.all()
        );
    }

    // Upper case and surrounding blanks are fine too, if FromStr says so.
    let first = Backend::enabled()[0];
    if let Ok(b) = format!(" {} ", first.to_string().to_uppercase()).parse::<Backend>() {
        let name = format!(" {} ", first.to_string().to_uppercase());
        let out = run_self(&args, &[("ANYRT_BACKEND", &name), (MODE, "valid")]);
        assert!(
            out.success && out.stdout.contains(&format!("CHILD-OK selected={b}")),
            "{}",
            out.all()
        );
    }

    // An unknown value: a panic that names the variable and the valid values.
    let out = run_self(&args, &[("ANYRT_BACKEND", "tokyo"), (MODE, "invalid")]);
    let all = out.all();
    assert!(
        !out.stdout.contains("CHILD-SELECTED"),
        "ANYRT_BACKEND=tokyo was silently ignored\n{all}"
    );
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("CHILD-PANIC"))
        .unwrap_or_else(|| panic!("no clear error for ANYRT_BACKEND=tokyo\n{all}"));
    assert!(
        line.contains("ANYRT_BACKEND"),
        "does not name the variable: {line}"
    );
    for valid in all_backend_names() {
        assert!(line.contains(valid), "does not list {valid}: {line}");
    }

    // A known backend that is not compiled in: a panic that names the feature.
    for b in missing_backends() {
        let name = b.to_string();
        let out = run_self(&args, &[("ANYRT_BACKEND", &name), (MODE, "invalid")]);
        let all = out.all();
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with("CHILD-PANIC"))
            .unwrap_or_else(|| {
                panic!("no clear error for ANYRT_BACKEND={name} (not compiled in)\n{all}")
            });
        assert!(line.contains(&name), "{line}");
        assert!(
            line.contains("feature"),
            "does not name the feature to enable: {line}"
        );
    }
}
