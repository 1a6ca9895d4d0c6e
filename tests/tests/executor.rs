//! The `Executor` trait for explicit injection, its dyn-compatible form `DynExecutor`, and the
//! prelude.

// Everything here needs a backend; a build with none runs only features.rs.
#![cfg(feature = "_backend")]

use std::sync::Arc;
use std::time::Duration;

use anyrt::task::JoinHandle;
use anyrt::{Backend, DynExecutor, Executor, Handle, Runtime};
use anyrt_tests::*;

/// What a library does with an injected executor.
async fn library_work<E: Executor + Clone>(exec: E) -> (Option<Backend>, Option<Backend>, u32) {
    let e2 = exec.clone();
    let spawned = exec.spawn(async move {
        e2.sleep(Duration::from_millis(1)).await;
        Backend::current()
    });
    let blocking = exec.spawn_blocking(Backend::current);
    let start = exec.now();
    exec.sleep_until(start + Duration::from_millis(2)).await;
    assert!(exec.now() >= start + Duration::from_millis(2));
    let timed = exec
        .timeout(Duration::from_millis(2), std::future::pending::<()>())
        .await;
    assert!(timed.is_err());
    let ok = exec.timeout(WAIT, async { 5u32 }).await.unwrap();
    (
        within("spawned", spawned).await.unwrap(),
        within("blocking", blocking).await.unwrap(),
        ok,
    )
}

/// A library that stores its executor type-erased.
struct Client {
    exec: Arc<dyn DynExecutor>,
}

impl Client {
    fn new(exec: impl Executor) -> Self {
        Client {
            exec: Arc::new(exec),
        }
    }

    fn ping(&self) -> JoinHandle<Option<Backend>> {
        self.exec.spawn(async { Backend::current() })
    }

    fn compute(&self) -> JoinHandle<u64> {
        self.exec.spawn_blocking(|| (1..=10).sum())
    }
}

#[test]
fn executor_and_dyn_executor_are_implemented_where_promised() {
    fn assert_executor<E: Executor>() {}
    assert_executor::<Handle>();
    assert_executor::<Runtime>();
    assert_executor::<Arc<Runtime>>();
    assert_executor::<Arc<dyn DynExecutor>>();
}

#[anyrt::test]
async fn handle_current_as_an_executor() {
    let here = Backend::current();
    let (spawned, blocking, ok) = library_work(Handle::current()).await;
    assert_eq!((spawned, blocking, ok), (here, here, 5));
}

#[anyrt::test]
async fn arc_dyn_executor_as_an_executor() {
    let here = Backend::current();
    let exec: Arc<dyn DynExecutor> = Arc::new(Handle::current());
    let (spawned, blocking, ok) = library_work(exec.clone()).await;
    assert_eq!((spawned, blocking, ok), (here, here, 5));
    // Panics and cancellation come through the type-erased form unchanged.
    let h = exec.spawn(async { panic!("dyn panic") });
    let err = within("join", h).await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(panic_message(&*err.into_panic()), "dyn panic");
    let mut h = exec.spawn(std::future::pending::<()>());
    h.abort();
    assert!(within("join", h).await.unwrap_err().is_cancelled());
}

per_backend! {
    fn runtime_and_its_handle_as_executors(b: Backend) {
        let rt = Arc::new(Runtime::new(b).unwrap());
        let client = Client::new(rt.handle());
        let by_rt = Client::new(rt.clone());
        let got = rt.block_on(async move {
            (
                within("ping", client.ping()).await.unwrap(),
                within("compute", client.compute()).await.unwrap(),
                within("ping", by_rt.ping()).await.unwrap(),
            )
        });
        assert_eq!(got, (Some(b), 55, Some(b)));
        let got = rt.block_on(library_work(rt.handle()));
        assert_eq!(got, (Some(b), Some(b), 5));
    }
}

per_backend! {
    fn injected_handle_spawns_onto_its_runtime_from_anywhere(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let client = Client::new(rt.handle());
        // From a plain thread, driven by a foreign executor.
        let got = wait_plain("ping", async move {
            (client.ping().await.unwrap(), client.compute().await.unwrap())
        });
        assert_eq!(got, (Some(b), 55));
    }
}

mod prelude_side_by_side_with_std {
    // Two glob imports: a name both export would make every use below ambiguous.
    #[allow(unused_imports)]
    use anyrt::prelude::*;
    #[allow(unused_imports)]
    use std::sync::*;

    use std::time::Duration;

    use anyrt::Handle;
    use anyrt_tests::wait_plain;

    #[test]
    fn prelude_brings_the_traits_and_no_clashing_names() {
        let m = Arc::new(Mutex::new(1));
        *m.lock().unwrap() += 1;
        let rw = RwLock::new(0);
        drop(rw.read().unwrap());
        let (tx, rx) = mpsc::channel();
        tx.send(*m.lock().unwrap()).unwrap();
        assert_eq!(rx.recv().unwrap(), 2);
        let _ = Barrier::new(1).wait();

        let v = wait_plain("prelude", async {
            // FutureExt (boxed), StreamExt (next) and Executor (sleep on a Handle) as `_`.
            let boxed = async { 3 }.boxed();
            let mut iv = anyrt::time::interval(Duration::from_millis(1));
            let _ = iv.next().await;
            let h = Handle::current();
            h.sleep(Duration::from_millis(1)).await;
            boxed.await
        });
        assert_eq!(v, 3);
    }
}
