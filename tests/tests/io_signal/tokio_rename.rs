//! Common tokio library code with `tokio::` replaced by `anyrt::` (and `tokio::sync::` by
//! `anyrt::sync::`/`anyrt::channel::`): it must compile and run on every backend. Each line
//! here is one a blind rename of tokio's teaching server hit.

use std::sync::Arc;

use anyrt::channel::broadcast::{self, error::RecvError};
use anyrt::sync::{OwnedSemaphorePermit, Semaphore};
use anyrt::time::{self, Duration};
use anyrt_tests::*;

#[anyrt::test]
async fn a_renamed_tokio_program_runs() {
    // tokio::time::{self, Duration}
    time::sleep(Duration::from_millis(1)).await;

    // tokio::sync::broadcast::error::RecvError
    let (tx, mut rx) = broadcast::channel::<u32>(4);
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(rx.recv().await, Ok(1));
    assert_eq!(rx.recv().await, Err(RecvError::Closed));

    // Semaphore::acquire_owned, moved into a spawned task.
    let limit = Arc::new(Semaphore::new(1));
    let permit: OwnedSemaphorePermit = limit.clone().acquire_owned().await.unwrap();
    let task = anyrt::spawn(async move {
        let _permit = permit;
    });
    within("task", task).await.unwrap();
    assert_eq!(limit.available_permits(), 1);
}

// A start-up that returns io::Result, as with tokio's `Builder::build()?`.
fn start() -> std::io::Result<anyrt::Runtime> {
    Ok(anyrt::Runtime::builder(anyrt::Backend::enabled()[0]).build()?)
}

#[test]
fn a_runtime_error_converts_into_io_error() {
    let rt = start().unwrap();
    assert_eq!(rt.block_on(async { 7 }), 7);
    let missing = missing_backends();
    if let Some(&b) = missing.first() {
        let err: std::io::Error = anyrt::Runtime::builder(b).build().unwrap_err().into();
        assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
        assert!(
            err.to_string()
                .contains(&format!("enable the `{b}` feature")),
            "{err}"
        );
    }
}
