//! Writing a library against anyrt: ambient calls, or an executor the caller injects.
//!
//! Run it with `cargo run -p anyrt-examples --example library`.
//!
//! `my_library` below is what a library crate would hold (its items are `pub` there; here
//! they live in a binary, hence `pub(crate)`). It names no runtime: its `Cargo.toml` says
//! `anyrt = "0.1"` with no backend feature. `main` plays the application and runs it on
//! every backend compiled into this build.

use anyrt::{Backend, Runtime};

mod my_library {
    use std::sync::Arc;
    use std::time::Duration;

    use anyrt::task::JoinHandle;
    use anyrt::{Backend, DynExecutor, Executor};

    /// Ambient: spawns and sleeps wherever the caller runs (its runtime, or the backend the
    /// application selected). Checks each key concurrently, each with a time limit.
    pub(crate) async fn check_all(keys: &[&'static str]) -> Vec<String> {
        let handles: Vec<JoinHandle<String>> = keys
            .iter()
            .map(|&key| {
                anyrt::spawn(async move {
                    let work = anyrt::time::sleep(Duration::from_millis(key.len() as u64 * 5));
                    match anyrt::time::timeout(Duration::from_millis(20), work).await {
                        Ok(()) => format!("{key}: ok"),
                        Err(_elapsed) => format!("{key}: timed out"),
                    }
                })
            })
            .collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.expect("the check task does not panic"));
        }
        out
    }

    /// Injected, generic: the caller says where the heartbeat task runs. `Arc<E>` is an
    /// `Executor` too, so the task can keep a clone for its sleeps.
    #[derive(Debug)]
    pub(crate) struct Heartbeat<E> {
        exec: Arc<E>,
    }

    impl<E: Executor> Heartbeat<E> {
        pub(crate) fn new(exec: E) -> Self {
            Heartbeat {
                exec: Arc::new(exec),
            }
        }

        /// Beats `n` times, `every` apart, on the injected executor; gives the beat count and
        /// the backend the task ran on.
        pub(crate) fn start(&self, n: u32, every: Duration) -> JoinHandle<(u32, Option<Backend>)> {
            let exec = self.exec.clone();
            self.exec.spawn(async move {
                let mut beats = 0;
                for _ in 0..n {
                    exec.sleep(every).await;
                    beats += 1;
                }
                (beats, Backend::current())
            })
        }
    }

    /// Injected, type-erased: no generic parameter to thread through the library's types.
    /// `Arc<dyn DynExecutor>` implements `Executor` (one allocation more per spawn).
    pub(crate) struct Client {
        exec: Arc<dyn DynExecutor>,
    }

    impl Client {
        pub(crate) fn new(exec: impl Executor) -> Self {
            Client {
                exec: Arc::new(exec),
            }
        }

        /// Runs a blocking lookup on the executor's blocking pool.
        pub(crate) fn lookup(&self, key: &'static str) -> JoinHandle<String> {
            self.exec
                .spawn_blocking(move || format!("{key} = {}", key.len()))
        }
    }

    impl std::fmt::Debug for Client {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Client").finish_non_exhaustive()
        }
    }
}

fn main() {
    println!(
        "the same library on every enabled backend: {:?}",
        Backend::enabled()
    );
    for &backend in Backend::enabled() {
        let rt = Runtime::new(backend).expect("the runtime starts");
        // The application decides where the library's tasks run: here, on `rt`.
        let heartbeat = my_library::Heartbeat::new(rt.handle());
        let client = my_library::Client::new(rt.handle());

        // A handle spawns from any thread: this lookup starts before any block_on.
        let lookup = client.lookup("config");

        let (checks, beat, looked_up) = rt.block_on(async {
            let checks = my_library::check_all(&["a", "bb", "ccccccccc"]).await;
            let beat = heartbeat.start(3, std::time::Duration::from_millis(2));
            (checks, beat.await.unwrap(), lookup.await.unwrap())
        });
        println!("{backend}:");
        println!("  ambient  check_all  -> {checks:?}");
        println!("  injected Heartbeat  -> {} beats on {:?}", beat.0, beat.1);
        println!("  injected Client     -> {looked_up}");
        assert_eq!(beat, (3, Some(backend)));
    }
    println!("done: one library, no runtime named in it");
}
