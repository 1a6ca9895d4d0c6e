//! `#[anyrt::test]` in a library's own tests: each test runs once per enabled backend.
//!
//! Run the tests with `cargo test -p anyrt-examples --example testing`
//! (`cargo run -p anyrt-examples --example testing` explains them).
//!
//! The library needs no backend feature; its tests do. In the library's `Cargo.toml`:
//!
//! ```toml
//! [dependencies]
//! anyrt = "0.1"
//!
//! [dev-dependencies]
//! anyrt = { version = "0.1", features = ["tokio", "smol", "async-std"] }
//! ```

use std::future::Future;
use std::time::Duration;

/// The library function under test: retries `op` up to `attempts` times, pausing `pause`
/// between attempts; gives the last error if every attempt failed.
async fn retry<T, E, Fut>(
    attempts: u32,
    pause: Duration,
    mut op: impl FnMut() -> Fut,
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match op().await {
            Err(_) if tries < attempts => anyrt::time::sleep(pause).await,
            done => return done,
        }
    }
}

fn main() {
    let v = anyrt::block_on(retry(3, Duration::ZERO, || async { Ok::<_, ()>(7) }));
    println!("retry(..) = {v:?} on {}", anyrt::Backend::selected());
    println!("this file's tests are in `mod tests`; run them on every backend with");
    println!("    cargo test -p anyrt-examples --example testing");
    println!("each #[anyrt::test] fn NAME becomes one test per backend, for example:");
    for b in anyrt::Backend::enabled() {
        println!(
            "    tests::succeeds_on_the_third_try::{}",
            b.name().replace('-', "_")
        );
    }
    println!("and `cargo test -p anyrt-examples --example testing ::smol` runs smol's only.");
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use anyrt::Backend;

    use super::retry;

    // A plain test: one `#[test]` per enabled backend, each on a fresh runtime.
    #[anyrt::test]
    async fn succeeds_on_the_third_try() {
        let calls = AtomicU32::new(0);
        let out = retry(5, Duration::from_millis(1), || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err("not yet"),
                n => Ok(n),
            }
        })
        .await;
        assert_eq!(out, Ok(2));
        assert!(
            Backend::current().is_some(),
            "the body runs inside its backend"
        );
    }

    // The body may return a Result: an `Err` fails the test, naming the backend.
    #[anyrt::test]
    async fn gives_up_in_time() -> Result<(), anyrt::time::Elapsed> {
        let gave_up = anyrt::time::timeout(
            Duration::from_secs(2),
            retry(3, Duration::from_millis(1), || async {
                Err::<(), _>("down")
            }),
        )
        .await?;
        assert_eq!(gave_up, Err("down"));
        Ok(())
    }

    // Only these backends get a test (a backend not compiled in is skipped, never an error).
    #[anyrt::test(tokio, smol)]
    async fn only_on_tokio_and_smol() {
        let b = Backend::current().unwrap();
        assert!(matches!(b, Backend::Tokio | Backend::Smol), "ran on {b}");
    }

    // A runtime of two worker threads: spawned retries run in parallel.
    #[anyrt::test(worker_threads = 2)]
    async fn concurrent_retries() {
        let calls = Arc::new(AtomicU32::new(0));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let calls = calls.clone();
                anyrt::spawn(async move {
                    retry(2, Duration::from_millis(1), || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        Err::<(), _>(())
                    })
                    .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), Err(()));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 8);
    }
}
