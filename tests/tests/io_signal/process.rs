//! `anyrt::process` on every real backend: output, status, piped stdin and stdout, kill,
//! try_wait, a cancelled wait, no zombie left by a dropped child (killed with
//! `kill_on_drop`), the errors of a missing or non-executable program and of a closed pipe;
//! under sim, an `Unsupported` spawn that says what to do.
#![cfg(target_os = "linux")]

use std::io::ErrorKind;
use std::process::Stdio;
use std::time::Duration;

use anyrt::io::{AsyncReadExt, AsyncWriteExt};
use anyrt::process::Command;
use anyrt_tests::*;

/// Whether process `pid` is gone (reaped): a zombie still has its `/proc` entry.
fn reaped(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A pid reused by another process: not ours any more.
        Ok(stat) => !stat.contains(") Z "),
    }
}

#[anyrt::test(tokio, smol, async_std)]
async fn output_and_status_as_std_gives_them() {
    let out = within("echo", Command::new("echo").args(["a", "b"]).output())
        .await
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"a b\n");
    assert!(out.stderr.is_empty());

    let out = within(
        "sh",
        Command::new("sh")
            .args(["-c", "echo \"$GREETING\" >&2; pwd; exit 3"])
            .env("GREETING", "hi")
            .current_dir("/tmp")
            .output(),
    )
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(out.stderr, b"hi\n");
    assert_eq!(out.stdout, b"/tmp\n");

    let status = within("false", Command::new("false").status())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(1));
}

#[anyrt::test(tokio, smol, async_std)]
async fn a_piped_child_echoes_its_stdin() {
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(child.id().is_some());
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // More than a pipe holds: the writer waits for the reader, on the reactor.
    let data: Vec<u8> = (0..256 * 1024u32).map(|i| i as u8).collect();
    let expected = data.clone();
    let writer = anyrt::spawn(async move {
        stdin.write_all(&data).await.unwrap();
        // Dropping it closes the child's stdin: cat ends.
    });
    let mut back = Vec::new();
    within("cat's output", stdout.read_to_end(&mut back))
        .await
        .unwrap();
    within("the writer", writer).await.unwrap();
    assert!(back == expected, "cat gave back other bytes");
    let status = within("cat", child.wait()).await.unwrap();
    assert!(status.success());
    assert_eq!(child.id(), None, "a reaped child has no id");
    // Waiting again gives the same status.
    assert_eq!(child.wait().await.unwrap(), status);
}

#[anyrt::test(tokio, smol, async_std)]
async fn kill_try_wait_and_a_cancelled_wait() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    assert!(child.try_wait().unwrap().is_none());
    // A wait cut short by a timeout leaves the child to be waited for again.
    let cut = anyrt::time::timeout(Duration::from_millis(20), child.wait()).await;
    assert!(cut.is_err());
    within("kill", child.kill()).await.unwrap();
    let status = child
        .try_wait()
        .unwrap()
        .expect("a killed child has exited");
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    // A second kill of a reaped child is no error.
    child.start_kill().unwrap();
}

#[anyrt::test(tokio, smol, async_std)]
async fn a_dropped_child_is_not_left_a_zombie() {
    // Dropped while running, with kill_on_drop: killed, then reaped.
    let child = Command::new("sleep")
        .arg("30")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let killed = child.id().unwrap();
    drop(child);
    // Dropped without kill_on_drop: runs to its end, then reaped.
    let child = Command::new("true").spawn().unwrap();
    let ended = child.id().unwrap();
    drop(child);
    // Orphans are reaped by later spawns and waits.
    for _ in 0..500 {
        if reaped(killed) && reaped(ended) {
            return;
        }
        Command::new("true").status().await.unwrap();
        anyrt::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "a dropped child is still a zombie (killed: {}, ended: {})",
        reaped(killed),
        reaped(ended)
    );
}

#[anyrt::test(tokio, smol, async_std)]
async fn bad_programs_and_closed_pipes_fail_with_the_same_errors() {
    let err = Command::new("anyrt-no-such-program").spawn().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("anyrt-no-such-program"), "{err}");

    // A file without an execute bit: even root may not run it.
    let path = std::env::temp_dir().join(format!(
        "anyrt-not-executable-{}-{:?}",
        std::process::id(),
        anyrt::Backend::current().unwrap()
    ));
    std::fs::write(&path, "#!/bin/sh\n").unwrap();
    let err = Command::new(&path).spawn().unwrap_err();
    let _ = std::fs::remove_file(&path);
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(err.to_string().contains("anyrt-not-executable"), "{err}");

    // A write to a child that closed its stdin: BrokenPipe, not a SIGPIPE.
    let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    within("true", child.wait()).await.unwrap();
    let err = stdin.write_all(&[0; 1 << 17]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
}

#[cfg(feature = "sim")]
#[anyrt::test(sim)]
async fn a_simulation_runs_no_programs_and_says_so() {
    let err = Command::new("echo").spawn().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let msg = err.to_string();
    assert!(
        msg.contains("\"echo\"") && msg.contains("#[anyrt::test(tokio, smol, async_std)]"),
        "{msg}"
    );
    let err = Command::new("echo").output().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}
