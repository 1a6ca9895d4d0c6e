//! futures' `Spawn` and `LocalSpawn` on `anyrt::Handle` and `anyrt::Runtime`: a library
//! written only against those traits, driven through anyrt on every backend.

// Everything here needs a backend; a build with none runs only features.rs.
#![cfg(feature = "_backend")]

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyrt::{Backend, Handle, Runtime};
use anyrt_tests::*;
use futures::task::{LocalSpawn, LocalSpawnExt, Spawn, SpawnError, SpawnExt};

/// A library that knows nothing of anyrt: only `futures::task::{Spawn, LocalSpawn}`.
mod spawn_lib {
    use futures::channel::{mpsc, oneshot};
    use futures::future::{join_all, RemoteHandle};
    use futures::task::{LocalSpawn, LocalSpawnExt, Spawn, SpawnError, SpawnExt};
    use futures::StreamExt;

    /// Squares each input in its own task and gathers the results in order.
    pub(crate) async fn squares(
        spawner: &impl Spawn,
        inputs: &[u64],
    ) -> Result<Vec<u64>, SpawnError> {
        let handles = inputs
            .iter()
            .map(|&x| spawner.spawn_with_handle(async move { x * x }))
            .collect::<Result<Vec<RemoteHandle<u64>>, _>>()?;
        Ok(join_all(handles).await)
    }

    /// The ends of a doubler: numbers in, doubled numbers out, and the count at the end.
    pub(crate) type Doubler = (
        mpsc::UnboundedSender<u32>,
        mpsc::UnboundedReceiver<u32>,
        oneshot::Receiver<usize>,
    );

    /// A background worker: doubles what it receives until the sender is dropped, then
    /// reports how many items it saw.
    pub(crate) fn start_doubler(spawner: &impl Spawn) -> Result<Doubler, SpawnError> {
        let (in_tx, mut in_rx) = mpsc::unbounded::<u32>();
        let (out_tx, out_rx) = mpsc::unbounded();
        let (done_tx, done_rx) = oneshot::channel();
        spawner.spawn(async move {
            let mut n = 0;
            while let Some(x) = in_rx.next().await {
                n += 1;
                let _ = out_tx.unbounded_send(x * 2);
            }
            let _ = done_tx.send(n);
        })?;
        Ok((in_tx, out_rx, done_rx))
    }

    /// Runs a `!Send` job on a local spawner.
    pub(crate) async fn local_job(
        spawner: &impl LocalSpawn,
        shared: std::rc::Rc<std::cell::Cell<u32>>,
    ) -> Result<u32, SpawnError> {
        let h = spawner.spawn_local_with_handle(async move {
            shared.set(shared.get() + 1);
            shared.get()
        })?;
        Ok(h.await)
    }
}

#[test]
fn handle_and_runtime_implement_spawn_and_local_spawn() {
    fn spawn<S: Spawn + LocalSpawn>() {}
    spawn::<Handle>();
    spawn::<Runtime>();
    spawn::<&Handle>();
    spawn::<Arc<Runtime>>();
}

#[anyrt::test]
async fn a_spawn_library_runs_on_the_current_runtime() {
    let handle = Handle::current();
    let got = within("squares", spawn_lib::squares(&handle, &[1, 2, 3, 4])).await;
    assert_eq!(got.unwrap(), vec![1, 4, 9, 16]);

    let (tx, mut rx, done) = spawn_lib::start_doubler(&handle).unwrap();
    for i in 0..10 {
        tx.unbounded_send(i).unwrap();
    }
    drop(tx);
    let mut out = Vec::new();
    while let Some(x) = within("doubled", futures::StreamExt::next(&mut rx)).await {
        out.push(x);
    }
    assert_eq!(out, (0..10).map(|i| i * 2).collect::<Vec<_>>());
    assert_eq!(within("done", done).await.unwrap(), 10);
}

#[anyrt::test]
async fn spawn_obj_runs_on_the_handles_backend_and_detaches() {
    let here = Backend::current();
    assert!(here.is_some());
    let handle = Handle::current();
    let (tx, rx) = futures::channel::oneshot::channel();
    // `handle.spawn` would be the inherent method; this is futures' `SpawnExt::spawn`.
    SpawnExt::spawn(&handle, async move {
        // Still running after `spawn` returned and nothing holds a handle to it.
        anyrt::time::sleep(std::time::Duration::from_millis(5)).await;
        let _ = tx.send(Backend::current());
    })
    .unwrap();
    assert_eq!(within("detached task", rx).await.unwrap(), here);
    assert!(handle.status().is_ok());
}

#[anyrt::test]
async fn local_spawn_works_in_a_local_context() {
    let handle = Handle::current();
    assert!(handle.status_local().is_ok());
    let shared = Rc::new(Cell::new(41));
    let got = within("local job", spawn_lib::local_job(&handle, shared.clone())).await;
    assert_eq!(got.unwrap(), 42);
    assert_eq!(shared.get(), 42);
    // A detached local task runs too.
    let (tx, rx) = futures::channel::oneshot::channel();
    let flag = Rc::new(Cell::new(false));
    let f = flag.clone();
    LocalSpawnExt::spawn_local(&handle, async move {
        f.set(true);
        let _ = tx.send(());
    })
    .unwrap();
    within("local task", rx).await.unwrap();
    assert!(flag.get());
}

#[anyrt::test]
async fn local_spawn_outside_a_local_context_is_a_shutdown_error() {
    // Inside an `anyrt::spawn` task there is no local executor: an error, not a panic.
    let handle = Handle::current();
    let got = within(
        "task",
        anyrt::spawn(async move {
            let status = handle.status_local();
            let spawned = LocalSpawnExt::spawn_local(&handle, async {});
            (status, spawned)
        }),
    )
    .await
    .unwrap();
    assert!(got.0.unwrap_err().is_shutdown());
    assert!(got.1.unwrap_err().is_shutdown());
}

per_backend! {
    fn local_spawn_on_a_plain_thread_is_a_shutdown_error(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let handle = rt.handle();
        let err: SpawnError = on_plain_thread("spawn_local", move || {
            LocalSpawnExt::spawn_local(&handle, async {}).unwrap_err()
        });
        assert!(err.is_shutdown());
        assert!(rt.status_local().unwrap_err().is_shutdown());
        // Inside the runtime's block_on there is a local context.
        let shared = Rc::new(Cell::new(1));
        let got = rt.block_on(spawn_lib::local_job(&rt, shared)).unwrap();
        assert_eq!(got, 2);
    }
}

per_backend! {
    fn runtime_as_a_spawner_from_a_plain_thread(b: Backend) {
        let rt = Arc::new(Runtime::new(b).unwrap());
        let spawner = rt.clone();
        // A foreign executor on a plain thread drives the library; the work runs on `rt`.
        let got = wait_plain("squares", async move {
            spawn_lib::squares(&*spawner, &[3, 5]).await
        });
        assert_eq!(got.unwrap(), vec![9, 25]);
        let seen = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        let s = seen.clone();
        SpawnExt::spawn(&*rt, async move {
            s.fetch_add(1, Ordering::SeqCst);
            let _ = tx.send(Backend::current());
        })
        .unwrap();
        assert_eq!(rx.recv_timeout(WAIT).unwrap(), Some(b));
        assert_eq!(seen.load(Ordering::SeqCst), 1);
    }
}

per_backend! {
    fn spawn_after_shutdown_is_a_shutdown_error(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let handle = rt.handle();
        drop(rt);
        // The handle outlives its runtime; the spawn is refused, not lost silently.
        let mut refused = false;
        for _ in 0..100 {
            match SpawnExt::spawn(&handle, async {}) {
                Err(e) => {
                    assert!(e.is_shutdown());
                    refused = true;
                    break;
                }
                // Shutdown may still be in progress on another thread.
                Ok(()) => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        }
        assert!(refused, "a spawn after the runtime was dropped was accepted");
    }
}
