//! `Runtime` and `Handle`: one owned runtime per backend, its builder (worker threads, thread
//! name), shutdown (drop and `shutdown_timeout`) and handles used from anywhere.
//!
//! Semantics row pinned here: "runtime shutdown (Runtime dropped)"; also the "Default worker
//! count: the number of CPUs, on every backend" rule of the README.

// Everything here needs a backend; a build with none runs only features.rs.
#![cfg(feature = "_backend")]
// Some tests carry a JoinHandle out of a block_on on purpose, to see what became of its task.
#![allow(clippy::async_yields_async)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use anyrt::task::JoinHandle;
use anyrt::{Backend, Handle, Runtime};
use anyrt_tests::*;

/// How long a drop may take and still count as "never blocks".
const QUICK: Duration = Duration::from_millis(500);

fn cpus() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// The number of worker threads of `rt`, observed: `n + 1` tasks spawned from outside (so the
/// caller's thread cannot run them) each block their thread until all have arrived or 500 ms
/// passed; at most as many run at once as there are workers.
fn observed_workers(rt: &Runtime, n: usize) -> usize {
    let rv = Rendezvous::new(n + 1);
    let hs: Vec<JoinHandle<bool>> = (0..=n)
        .map(|_| {
            let rv = rv.clone();
            rt.spawn(async move { rv.arrive_and_wait(Duration::from_millis(500)) })
        })
        .collect();
    for h in hs {
        wait_plain("a probe task", h).unwrap();
    }
    rv.max_concurrent()
}

// --- Runtime per backend ------------------------------------------------------------------

per_backend! {
    fn runtime_new_runs_on_its_backend(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        assert_eq!(rt.backend(), b);
        assert_eq!(rt.handle().backend(), b);
        let (inside, in_task, in_blocking, handle) = rt.block_on(async {
            let in_task = within("task", anyrt::spawn(async { Backend::current() }))
                .await
                .unwrap();
            let in_blocking = within("closure", anyrt::spawn_blocking(Backend::current))
                .await
                .unwrap();
            (Backend::current(), in_task, in_blocking, Handle::current().backend())
        });
        assert_eq!(inside, Some(b));
        assert_eq!(in_task, Some(b));
        assert_eq!(in_blocking, Some(b));
        assert_eq!(handle, b);
    }
}

per_backend! {
    fn runtime_spawn_from_outside_block_on(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let h = rt.spawn(async {
            anyrt::time::sleep(Duration::from_millis(1)).await;
            Backend::current()
        });
        assert_eq!(wait_plain("rt.spawn", h).unwrap(), Some(b));
        let h = rt.spawn_blocking(|| (Backend::current(), 3));
        assert_eq!(wait_plain("rt.spawn_blocking", h).unwrap(), (Some(b), 3));
    }
}

per_backend! {
    fn runtime_spawn_abort_and_panic(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let mut h = rt.spawn(std::future::pending::<()>());
        h.abort();
        assert!(wait_plain("abort", h).unwrap_err().is_cancelled());
        let h = rt.spawn(async { panic!("rt panic") });
        let err = wait_plain("panic", h).unwrap_err();
        assert!(err.is_panic());
        assert_eq!(wait_plain("after a panic", rt.spawn(async { 2 })).unwrap(), 2);
    }
}

per_backend! {
    fn two_runtimes_of_one_backend_are_independent(b: Backend) {
        let one = Runtime::builder(b).thread_name("anyrt-rt-one").build().unwrap();
        let two = Runtime::builder(b).thread_name("anyrt-rt-two").build().unwrap();
        let name = || thread::current().name().map(str::to_owned);
        assert_eq!(
            wait_plain("one", one.spawn(async move { name() })).unwrap().as_deref(),
            Some("anyrt-rt-one")
        );
        assert_eq!(
            wait_plain("two", two.spawn(async move { name() })).unwrap().as_deref(),
            Some("anyrt-rt-two")
        );
        // Shutting one down leaves the other running.
        drop(one);
        assert_eq!(wait_plain("two", two.spawn(async { 1 })).unwrap(), 1);
        // anyrt::spawn and Handle::current() inside a runtime's block_on go to that runtime
        // (not to the one shut down, where they would be cancelled). The task runs on one
        // of its workers, or (smol) on the thread driving block_on.
        let here = thread::current().name().map(str::to_owned);
        let (free, via_handle) = two.block_on(async move {
            let free = within("spawn", anyrt::spawn(async move { name() })).await.unwrap();
            let via_handle = within("spawn", Handle::current().spawn(async move { name() }))
                .await
                .unwrap();
            (free, via_handle)
        });
        for got in [free, via_handle] {
            assert!(
                got.as_deref() == Some("anyrt-rt-two") || got == here,
                "{b}: a task spawned inside two's block_on ran on {got:?}"
            );
        }
    }
}

per_backend! {
    not_on_sim: "not on sim: a simulation has one thread, the one in block_on; worker_threads is checked (zero is an error) and otherwise ignored, and it names no threads";
    fn default_worker_threads_is_the_number_of_cpus(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let n = cpus();
        assert_eq!(
            observed_workers(&rt, n),
            n,
            "{b}: default worker threads should be available_parallelism() = {n}"
        );
    }
}

per_backend! {
    not_on_sim: "not on sim: a simulation has one thread, the one in block_on; worker_threads is checked (zero is an error) and otherwise ignored, and it names no threads";
    fn builder_default_worker_threads_is_the_number_of_cpus(b: Backend) {
        let rt = Runtime::builder(b).build().unwrap();
        let n = cpus();
        assert_eq!(observed_workers(&rt, n), n);
    }
}

per_backend! {
    not_on_sim: "not on sim: a simulation has one thread, the one in block_on; worker_threads is checked (zero is an error) and otherwise ignored, and it names no threads";
    fn builder_worker_threads_sets_the_worker_count(b: Backend) {
        for n in [1, 3] {
            let rt = Runtime::builder(b).worker_threads(n).build().unwrap();
            assert_eq!(observed_workers(&rt, n), n, "{b}: worker_threads({n})");
        }
    }
}

per_backend! {
    not_on_sim: "not on sim: a simulation has one thread, the one in block_on; worker_threads is checked (zero is an error) and otherwise ignored, and it names no threads";
    fn builder_thread_name_names_the_workers(b: Backend) {
        let rt = Runtime::builder(b)
            .worker_threads(2)
            .thread_name("anyrt-named")
            .build()
            .unwrap();
        let hs: Vec<_> = (0..8)
            .map(|_| {
                rt.spawn(async {
                    anyrt::task::yield_now().await;
                    thread::current().name().map(str::to_owned)
                })
            })
            .collect();
        for h in hs {
            assert_eq!(
                wait_plain("a task", h).unwrap().as_deref(),
                Some("anyrt-named")
            );
        }
    }
}

per_backend! {
    not_on_sim: "not on sim: a simulation has one thread, the one in block_on; worker_threads is checked (zero is an error) and otherwise ignored, and it names no threads";
    fn builder_accepts_an_owned_thread_name(b: Backend) {
        let rt = Runtime::builder(b)
            .thread_name(String::from("anyrt-owned"))
            .build()
            .unwrap();
        let name = wait_plain("a task", rt.spawn(async { thread::current().name().map(str::to_owned) }));
        assert_eq!(name.unwrap().as_deref(), Some("anyrt-owned"));
    }
}

// --- shutdown ----------------------------------------------------------------------------------

per_backend! {
    fn drop_never_blocks_on_pending_tasks_or_running_closures(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (done_tx, done_rx) = mpsc::channel();
        drop(rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            let _ = go_rx.recv_timeout(WAIT);
            done_tx.send(()).unwrap();
        }));
        drop(rt.spawn(anyrt::time::sleep(Duration::from_secs(3600))));
        drop(rt.spawn(std::future::pending::<()>()));
        started_rx.recv_timeout(WAIT).expect("the closure to start");

        let t = Instant::now();
        drop(rt);
        let took = t.elapsed();
        assert!(took < QUICK, "{b}: dropping the runtime blocked for {took:?}");

        // The running closure was detached, not killed: it finishes when released.
        go_tx.send(()).unwrap();
        done_rx.recv_timeout(WAIT).expect("the detached closure to finish");
    }
}

per_backend! {
    not_on_sim: "not on sim: one thread polls every task, so no task can hog a worker while another runs";
    fn drop_never_blocks_on_a_task_hogging_its_worker(b: Backend) {
        let rt = Runtime::builder(b).worker_threads(1).build().unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        drop(rt.spawn(async move {
            started_tx.send(()).unwrap();
            // Blocks its worker thread (bad async code, but it exists).
            thread::sleep(Duration::from_secs(2));
        }));
        started_rx.recv_timeout(WAIT).expect("the task to start");
        let t = Instant::now();
        drop(rt);
        let took = t.elapsed();
        assert!(took < QUICK, "{b}: dropping the runtime blocked for {took:?}");
    }
}

per_backend! {
    fn drop_cancels_pending_tasks(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let flags: Vec<DropFlag> = (0..4).map(|_| DropFlag::new()).collect();
        let mut hs = Vec::new();
        // A task waiting forever, a sleeping one, and one spawned from inside a task.
        hs.push(rt.spawn(pending_with(flags[0].guard())));
        let g = flags[1].guard();
        hs.push(rt.spawn(async move {
            anyrt::time::sleep(Duration::from_secs(3600)).await;
            drop(g);
        }));
        let g = flags[2].guard();
        let inner = rt.block_on(async move {
            let inner = anyrt::spawn(pending_with(g));
            anyrt::task::yield_now().await;
            inner
        });
        hs.push(inner);
        let h = rt.handle();
        let g = flags[3].guard();
        hs.push(on_plain_thread("handle.spawn", move || h.spawn(pending_with(g))));
        thread::sleep(Duration::from_millis(20));
        assert!(flags.iter().all(|f| !f.is_dropped()));

        drop(rt);
        for (i, f) in flags.iter().enumerate() {
            f.wait(&format!("{b}: pending task {i} to be dropped with its runtime"));
        }
        for (i, h) in hs.into_iter().enumerate() {
            let err = wait_plain("a cancelled task's handle", h).unwrap_err();
            assert!(err.is_cancelled(), "{b}: task {i}: {err:?}");
        }
    }
}

per_backend! {
    fn drop_cancels_tasks_that_were_never_polled(b: Backend) {
        let rt = Runtime::builder(b).worker_threads(1).build().unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        // Keep the only worker busy until after the drop, so the next tasks stay queued.
        drop(rt.spawn(async move {
            started_tx.send(()).unwrap();
            let _ = go_rx.recv_timeout(WAIT);
        }));
        started_rx.recv_timeout(WAIT).unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let ran = ran.clone();
                rt.spawn(async move { ran.store(true, Ordering::SeqCst) })
            })
            .collect();
        drop(rt);
        // The worker comes back only now, after the runtime was dropped.
        go_tx.send(()).unwrap();
        for h in hs {
            let err = wait_plain("a queued task's handle", h).unwrap_err();
            assert!(err.is_cancelled(), "{err:?}");
        }
        thread::sleep(Duration::from_millis(100));
        assert!(!ran.load(Ordering::SeqCst), "{b}: a queued task ran after shutdown");
    }
}

per_backend! {
    fn drop_inside_async_code_never_panics_or_blocks(b: Backend) {
        for &outer_backend in Backend::enabled() {
            let outer = Runtime::new(outer_backend).unwrap();
            // Inside block_on.
            let inner = Runtime::new(b).unwrap();
            drop(inner.spawn(std::future::pending::<()>()));
            let took = outer
                .block_on(async move {
                    let t = Instant::now();
                    catch_panic(move || drop(inner)).map(|()| t.elapsed())
                })
                .unwrap_or_else(|m| panic!("dropping a {b} runtime inside {outer_backend}'s block_on panicked: {m}"));
            assert!(took < QUICK, "{took:?}");
            // Inside a task.
            let inner = Runtime::new(b).unwrap();
            drop(inner.spawn(std::future::pending::<()>()));
            let r = outer.block_on(within(
                "the task",
                anyrt::spawn(async move {
                    let t = Instant::now();
                    catch_panic(move || drop(inner)).map(|()| t.elapsed())
                }),
            ));
            let took = r.unwrap().unwrap_or_else(|m| {
                panic!("dropping a {b} runtime inside a {outer_backend} task panicked: {m}")
            });
            assert!(took < QUICK, "{took:?}");
        }
    }
}

per_backend! {
    fn drop_inside_a_foreign_tokio_runtime_never_panics(b: Backend) {
        #[cfg(feature = "tokio")]
        {
            let native = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            let inner = Runtime::new(b).unwrap();
            let r = native.block_on(async move {
                tokio::spawn(async move { catch_panic(move || drop(inner)) })
                    .await
                    .unwrap()
            });
            r.unwrap_or_else(|m| panic!("dropping a {b} runtime in a tokio task panicked: {m}"));
        }
        let _ = b;
    }
}

per_backend! {
    fn drop_inside_spawn_blocking_of_its_own_runtime(b: Backend) {
        let rt = Arc::new(Runtime::new(b).unwrap());
        let r2 = rt.clone();
        let (tx, rx) = mpsc::channel();
        drop(rt.spawn_blocking(move || {
            wait_until("the test to let go of the runtime", || Arc::strong_count(&r2) == 1);
            let t = Instant::now();
            // The last reference: the runtime is dropped on one of its own blocking threads.
            let r = catch_panic(move || drop(r2)).map(|()| t.elapsed());
            tx.send(r).unwrap();
        }));
        drop(rt);
        let took = rx
            .recv_timeout(WAIT)
            .expect("dropping a runtime on its own blocking thread to return")
            .unwrap_or_else(|m| panic!("{b}: {m}"));
        assert!(took < QUICK, "{b}: {took:?}");
    }
}

per_backend! {
    fn spawn_through_a_handle_after_shutdown_is_cancelled(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let h = rt.handle();
        drop(rt);
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let j = h.spawn(async move { r.store(true, Ordering::SeqCst) });
        let err = wait_plain("a spawn after shutdown", j).unwrap_err();
        assert!(err.is_cancelled(), "{b}: {err:?}");
        assert!(!ran.load(Ordering::SeqCst));
        // The same from another thread, through a clone.
        let h2 = h.clone();
        let j = on_plain_thread("spawn", move || h2.spawn(async { 1 }));
        assert!(wait_plain("a spawn after shutdown", j).unwrap_err().is_cancelled());
    }
}

per_backend! {
    fn spawn_blocking_through_a_handle_after_shutdown_is_cancelled(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let h = rt.handle();
        drop(rt);
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let j = h.spawn_blocking(move || r.store(true, Ordering::SeqCst));
        let err = wait_plain("a spawn_blocking after shutdown", j).unwrap_err();
        assert!(err.is_cancelled(), "{b}: {err:?}");
        assert!(!ran.load(Ordering::SeqCst));
    }
}

/// Spawns a task on `rt` that blocks its worker thread until the returned sender sends (or is
/// dropped), or 10 s passed; returns once the task is running, with the task's handle.
fn block_a_worker(rt: &Runtime) -> (mpsc::Sender<()>, JoinHandle<()>) {
    let (release, stuck) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    let blocker = rt.spawn(async move {
        started_tx.send(()).unwrap();
        let _ = stuck.recv_timeout(Duration::from_secs(10));
    });
    started_rx.recv_timeout(WAIT).unwrap();
    (release, blocker)
}

per_backend! {
    fn shutdown_timeout_returns_in_time_and_cancels_tasks(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let flag = DropFlag::new();
        let h = rt.spawn(pending_with(flag.guard()));
        let (started_tx, started_rx) = mpsc::channel();
        drop(rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_secs(2));
        }));
        started_rx.recv_timeout(WAIT).unwrap();
        let t = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(100));
        let took = t.elapsed();
        assert!(
            took < Duration::from_millis(100) + QUICK,
            "{b}: shutdown_timeout(100 ms) took {took:?}"
        );
        flag.wait("the pending task to be dropped");
        assert!(wait_plain("the handle", h).unwrap_err().is_cancelled());
    }
}

per_backend! {
    fn shutdown_timeout_zero_never_blocks(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        drop(rt.spawn_blocking(|| thread::sleep(Duration::from_secs(1))));
        thread::sleep(Duration::from_millis(10));
        let t = Instant::now();
        rt.shutdown_timeout(Duration::ZERO);
        assert!(t.elapsed() < QUICK, "{:?}", t.elapsed());
    }
}

per_backend! {
    fn shutdown_timeout_inside_async_code_never_waits(b: Backend) {
        // A runtime whose only worker is stuck in a task until this test lets it go.
        let rt = Runtime::builder(b).worker_threads(1).build().unwrap();
        let (release, _) = block_a_worker(&rt);
        // Shut it down from async code: waiting there would stall the caller's runtime.
        let outer = Runtime::new(b).unwrap();
        let took = outer.block_on(async move {
            let t = std::time::Instant::now();
            rt.shutdown_timeout(Duration::from_secs(30));
            t.elapsed()
        });
        release.send(()).ok();
        assert!(
            took < Duration::from_secs(5),
            "{b}: shutdown_timeout inside block_on waited {took:?} for a stuck worker"
        );
    }
}

per_backend! {
    not_on_sim: "the simulation runs every task on one thread: a task that blocks it blocks the simulation";
    /// Issue 10, item 7: dropping a runtime while one task blocks a worker thread drops every
    /// task that is not being polled at once, not when the blocking task yields. (tokio drops
    /// them on its other worker, within microseconds of the drop; the bound here is for a
    /// loaded machine. Before the fix, smol and async-std dropped them only once the blocking
    /// task let its worker go, 10 s later here.)
    fn a_blocked_worker_does_not_delay_dropping_the_other_tasks(b: Backend) {
        const IDLE: usize = 16;
        let rt = Runtime::builder(b).worker_threads(2).build().unwrap();
        let (release, blocker) = block_a_worker(&rt);
        let flags: Vec<DropFlag> = (0..2 * IDLE).map(|_| DropFlag::new()).collect();
        let (polled_tx, polled_rx) = mpsc::channel();
        let mut handles = Vec::new();
        for (i, flag) in flags.iter().enumerate() {
            let guard = flag.guard();
            let polled = polled_tx.clone();
            handles.push(rt.spawn(async move {
                polled.send(()).unwrap();
                if i % 2 == 0 {
                    // Idle: its waker is held by nothing.
                    pending_with(guard).await
                } else {
                    // Waiting on a timer that would fire in an hour.
                    anyrt::time::sleep(Duration::from_secs(3600)).await;
                    drop(guard);
                }
            }));
        }
        for _ in 0..flags.len() {
            polled_rx.recv_timeout(WAIT).unwrap();
        }
        let t = Instant::now();
        drop(rt);
        let returned = t.elapsed();
        let mut after = Duration::ZERO;
        while flags.iter().any(|f| !f.is_dropped()) && after < Duration::from_secs(2) {
            thread::sleep(Duration::from_millis(1));
            after = t.elapsed();
        }
        let left = flags.iter().filter(|f| !f.is_dropped()).count();
        release.send(()).ok();
        assert!(returned < QUICK, "{b}: the drop took {returned:?}");
        assert_eq!(
            left,
            0,
            "{b}: {left} of {} pending tasks not dropped {after:?} after the runtime's drop \
             (one worker blocked in a task)",
            flags.len()
        );
        for h in handles {
            assert!(wait_plain("a dropped task's handle", h).unwrap_err().is_cancelled());
        }
        // The blocking task ends once let go (its poll completes it).
        let _ = wait_plain("the blocking task", blocker);
    }
}

per_backend! {
    not_on_sim: "it keeps a shut-down runtime alive with a task that blocks a worker thread";
    /// A spawn refused by a runtime that has shut down (but is still there: a worker is
    /// blocked in a task) drops its future at once; the future's destructor may spawn again
    /// (refused too), with no deadlock.
    fn a_refused_spawn_drops_its_future_whose_destructor_spawns(b: Backend) {
        struct SpawnsOnDrop(Handle, Option<mpsc::Sender<bool>>);
        impl Drop for SpawnsOnDrop {
            fn drop(&mut self) {
                let j = self.0.spawn(async {});
                let refused = wait_plain("the inner refused spawn", j).is_err();
                self.1.take().unwrap().send(refused).unwrap();
            }
        }
        let rt = Runtime::builder(b).worker_threads(1).build().unwrap();
        let (release, _) = block_a_worker(&rt);
        let h = rt.handle();
        drop(rt);
        let (dropped_tx, dropped_rx) = mpsc::channel();
        let guard = SpawnsOnDrop(h.clone(), Some(dropped_tx));
        let j = on_plain_thread("a spawn onto a runtime that shut down", move || {
            h.spawn(async move { drop(guard) })
        });
        let inner_refused = dropped_rx.recv_timeout(WAIT);
        release.send(()).ok();
        assert_eq!(inner_refused, Ok(true), "{b}");
        assert!(wait_plain("the refused spawn", j).unwrap_err().is_cancelled());
    }
}

per_backend! {
    fn a_current_thread_runtime_runs_its_tasks_on_the_block_on_thread(b: Backend) {
        let rt = Runtime::builder(b).current_thread().build().unwrap();
        let here = thread::current().id();
        // Spawned before any block_on: it runs once one drives the runtime.
        let early = rt.spawn(async { thread::current().id() });
        let (in_task, nested, early) = rt.block_on(async move {
            let in_task = anyrt::spawn(async { thread::current().id() });
            let nested = anyrt::spawn(async {
                anyrt::time::sleep(Duration::from_millis(1)).await;
                anyrt::spawn(async { thread::current().id() }).await.unwrap()
            });
            (
                within("a task", in_task).await.unwrap(),
                within("a nested task", nested).await.unwrap(),
                within("the early task", early).await.unwrap(),
            )
        });
        assert_eq!((in_task, nested, early), (here, here, here), "{b}");
        // Blocking closures still go to a pool.
        let blocking = rt.block_on(anyrt::spawn_blocking(|| thread::current().id()));
        assert_ne!(blocking.unwrap(), here, "{b}");
        // Dropping it cancels what is still pending.
        let flag = DropFlag::new();
        let pending = rt.spawn(pending_with(flag.guard()));
        drop(rt);
        flag.wait("the pending task to be dropped");
        assert!(wait_plain("the handle", pending).unwrap_err().is_cancelled());
    }
}

/// `#[anyrt::test(current_thread)]`: what `#[tokio::test]` gives by default.
#[anyrt::test(current_thread)]
async fn current_thread_tests_run_their_tasks_on_the_test_thread() {
    let here = thread::current().id();
    let there = anyrt::spawn(async { thread::current().id() });
    assert_eq!(within("a task", there).await.unwrap(), here);
}

// --- Handle ------------------------------------------------------------------------------------

#[test]
fn handle_is_clone_send_sync_static() {
    fn assert_traits<T: Clone + Send + Sync + 'static + std::fmt::Debug>() {}
    assert_traits::<Handle>();
}

per_backend! {
    fn handle_spawns_onto_its_runtime_from_a_plain_thread(b: Backend) {
        let rt = Runtime::builder(b).thread_name("anyrt-handle-rt").build().unwrap();
        let h = rt.handle();
        let (backend, name, blocking) = on_plain_thread("handle use", move || {
            assert_eq!(Backend::current(), None);
            let j = h.spawn(async {
                (Backend::current(), thread::current().name().map(str::to_owned))
            });
            let (backend, name) = futures::executor::block_on(j).unwrap();
            let blocking = futures::executor::block_on(h.spawn_blocking(Backend::current)).unwrap();
            (backend, name, blocking)
        });
        assert_eq!(backend, Some(b));
        assert_eq!(name.as_deref(), Some("anyrt-handle-rt"));
        assert_eq!(blocking, Some(b));
    }
}

per_backend! {
    fn handle_current_inside_a_runtime_is_that_runtime(b: Backend) {
        let rt = Runtime::builder(b).thread_name("anyrt-current-rt").build().unwrap();
        let (h, try_h) = rt.block_on(async { (Handle::current(), Handle::try_current()) });
        let try_h = try_h.expect("Handle::try_current inside a runtime");
        assert_eq!(h.backend(), b);
        assert_eq!(try_h.backend(), b);
        // Taken inside, used outside: it still spawns onto that runtime.
        for h in [h, try_h] {
            let name = wait_plain("spawn", h.spawn(async { thread::current().name().map(str::to_owned) }));
            assert_eq!(name.unwrap().as_deref(), Some("anyrt-current-rt"));
        }
        // Inside a task and a blocking closure of that runtime too.
        let (in_task, in_blocking) = rt.block_on(async {
            let t = anyrt::spawn(async { Handle::try_current().map(|h| h.backend()) }).await.unwrap();
            let bl = anyrt::spawn_blocking(|| Handle::try_current().map(|h| h.backend())).await.unwrap();
            (t, bl)
        });
        assert_eq!(in_task, Some(b));
        assert_eq!(in_blocking, Some(b));
    }
}

#[test]
fn handle_try_current_on_a_plain_thread_is_none() {
    assert!(on_plain_thread("try_current", || Handle::try_current().is_none()));
}

#[test]
fn handle_current_on_a_plain_thread_is_the_selected_backend() {
    let (backend, ran_on) = on_plain_thread("Handle::current", || {
        let h = Handle::current();
        let ran_on = futures::executor::block_on(h.spawn(async { Backend::current() })).unwrap();
        (h.backend(), ran_on)
    });
    assert_eq!(backend, Backend::selected());
    assert_eq!(backend, expected_default_backend());
    assert_eq!(ran_on, Some(backend));
}

per_backend! {
    fn handle_does_not_keep_its_runtime_alive(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let flag = DropFlag::new();
        drop(rt.spawn(pending_with(flag.guard())));
        let h = rt.handle();
        drop(rt);
        flag.wait("the runtime to shut down although a handle is alive");
        drop(h);
    }
}

// --- backends not compiled in -----------------------------------------------------------------

/// A runtime of each backend this build leaves out: an error that names its feature.
#[test]
fn a_runtime_of_a_backend_not_compiled_in_is_an_error_naming_its_feature() {
    for b in missing_backends() {
        let feature = b.name();
        let err = Runtime::new(b).expect_err("a runtime of a backend that is not compiled in");
        let msg = err.to_string();
        assert!(
            msg.contains(feature),
            "{b}: the message does not name the feature: {msg}"
        );
        let _: &dyn std::error::Error = &err;
        let err = Runtime::builder(b)
            .build()
            .expect_err("builder of a missing backend");
        assert!(err.to_string().contains(feature));
    }
}

per_backend! {
    /// A sleep and a timeout made on a runtime still complete at their deadline after that
    /// runtime is dropped (tokio's own sleep panics when its runtime is gone; anyrt's moves to
    /// the process-wide timer), polled from a plain thread with no runtime.
    fn sleep_and_timeout_outlive_their_runtime(b: Backend) {
        let rt = Runtime::new(b).unwrap();
        let (sleep, timeout) = rt.block_on(async {
            let mut sleep = Box::pin(anyrt::time::sleep(Duration::from_millis(50)));
            let mut timeout = Box::pin(anyrt::time::timeout(
                Duration::from_millis(50),
                std::future::pending::<()>(),
            ));
            // Register both with this runtime's timer before it goes away.
            assert!(poll_once(sleep.as_mut()).is_pending());
            assert!(poll_once(timeout.as_mut()).is_pending());
            (sleep, timeout)
        });
        let start = Instant::now();
        drop(rt);
        wait_plain("a sleep made on a dropped runtime", sleep);
        assert!(wait_plain("a timeout made on a dropped runtime", timeout).is_err());
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(40), "finished early: {took:?}");
    }
}

/// The length of the chain of waiting tasks a runtime is dropped with.
const CHAIN: usize = 100_000;
/// Set in the child of [`a_runtime_dropped_with_a_long_chain_of_waiting_tasks_returns`]:
/// `BACKEND` or `BACKEND current_thread`.
const CHAIN_ENV: &str = "ANYRT_TESTS_CHAIN";

/// Drops a runtime whose tasks form a chain: each awaits the handle of the one before, the
/// first a oneshot that never comes. Dropping the first (at shutdown) wakes the second,
/// whose drop wakes the third, and so on: the runtime must drop them in a loop, not run the
/// woken one from inside the drop of the one before (30 frames a task overflowed the stack).
fn drop_a_runtime_with_a_chain_of_waiting_tasks(spec: &str) {
    let mut words = spec.split(' ');
    let backend: Backend = words.next().unwrap().parse().unwrap();
    let mut builder = Runtime::builder(backend);
    if words.next() == Some("current_thread") {
        builder = builder.current_thread();
    }
    let rt = builder.build().unwrap();
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (never_tx, never) = anyrt::channel::oneshot::channel::<()>();
    let last = rt.block_on(async {
        let counted = started.clone();
        let mut prev = anyrt::spawn(async move {
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = never.await;
        });
        for _ in 1..CHAIN {
            let counted = started.clone();
            prev = anyrt::spawn(async move {
                counted.fetch_add(1, Ordering::SeqCst);
                let _ = prev.await;
            });
        }
        eventually("every task of the chain to wait", || {
            started.load(Ordering::SeqCst) == CHAIN
        })
        .await;
        prev
    });
    drop(rt);
    let out = wait_plain("the last task of the chain", last);
    assert!(out.unwrap_err().is_cancelled());
    drop(never_tx);
    println!("CHILD-OK");
}

#[test]
fn a_runtime_dropped_with_a_long_chain_of_waiting_tasks_returns() {
    let name = "a_runtime_dropped_with_a_long_chain_of_waiting_tasks_returns";
    if is_child() {
        if let Ok(spec) = std::env::var(CHAIN_ENV) {
            drop_a_runtime_with_a_chain_of_waiting_tasks(&spec);
        }
        return;
    }
    for b in compiled_backends() {
        for spec in [b.to_string(), format!("{b} current_thread")] {
            let out = run_self(&[name, "--exact", "--nocapture"], &[(CHAIN_ENV, &spec)]);
            assert!(
                out.success && out.stdout.contains("CHILD-OK"),
                "{spec}: dropping a runtime with a chain of {CHAIN} waiting tasks failed:\n{}",
                out.all()
            );
        }
    }
}

per_backend! {
    /// A task left waiting when its runtime is dropped is never dropped inside another
    /// thread's `wake()`: that thread may hold a lock the task's destructor takes (here its
    /// own, around the notify). The runtime drops it at the shutdown, or on a thread of its
    /// own, so the wake returns.
    fn a_wake_after_the_runtime_is_dropped_runs_no_destructor_inside_it(b: Backend) {
        struct TakesLock(Arc<std::sync::Mutex<()>>);
        impl Drop for TakesLock {
            fn drop(&mut self) {
                drop(self.0.lock());
            }
        }
        let rt = Runtime::new(b).unwrap();
        let lock = Arc::new(std::sync::Mutex::new(()));
        let notify = Arc::new(anyrt::sync::Notify::new());
        let (started_tx, started_rx) = mpsc::channel();
        let task = rt.spawn({
            let (lock, notify) = (lock.clone(), notify.clone());
            async move {
                let _takes_lock = TakesLock(lock);
                let notified = notify.notified();
                started_tx.send(()).unwrap();
                notified.await;
            }
        });
        started_rx.recv_timeout(WAIT).expect("the task never started");
        // Let it reach its wait (the notify below must find it waiting, if it is still there).
        thread::sleep(Duration::from_millis(20));
        drop(rt);
        let (done_tx, done_rx) = mpsc::channel();
        thread::spawn(move || {
            let guard = lock.lock();
            notify.notify_waiters();
            drop(guard);
            let _ = done_tx.send(());
        });
        done_rx
            .recv_timeout(WAIT)
            .expect("a wake after the runtime's drop ran the task's destructor inside it (deadlock)");
        drop(task);
    }
}

/// A task in the run queue when its runtime is dropped, whose destructor wakes another task
/// while holding a lock that the other task's destructor takes (a pipe whose ends two tasks
/// hold, waking under its lock). The woken task must be dropped after the first one's drop
/// returns, never inside it: the simulation dropped it inside, and the lock deadlocked
/// (found with `anyrt::io::duplex`).
#[anyrt::test]
fn a_task_dropped_at_shutdown_that_wakes_another_under_a_lock_does_not_deadlock(b: Backend) {
    use std::sync::{Arc, Mutex};
    use std::task::{Poll, Waker};

    type Shared = Arc<Mutex<Option<Waker>>>;
    /// Wakes the waiting task while holding the lock, as it is dropped.
    struct WakesUnderLock(Shared);
    impl Drop for WakesUnderLock {
        fn drop(&mut self) {
            let guard = self.0.lock().unwrap();
            if let Some(w) = guard.as_ref() {
                w.wake_by_ref();
            }
        }
    }
    /// Takes the lock as it is dropped.
    struct LocksOnDrop(Shared);
    impl Drop for LocksOnDrop {
        fn drop(&mut self) {
            drop(self.0.lock().unwrap());
        }
    }

    on_plain_thread("runtime drop", move || {
        for _ in 0..10 {
            let rt = Runtime::builder(b).worker_threads(1).build().unwrap();
            let shared: Shared = Arc::default();
            let (go, wait) = anyrt::channel::oneshot::channel::<()>();
            rt.block_on(async {
                let held = LocksOnDrop(shared.clone());
                let waiting = shared.clone();
                anyrt::spawn(async move {
                    let _held = held;
                    std::future::poll_fn(|cx| {
                        *waiting.lock().unwrap() = Some(cx.waker().clone());
                        Poll::<()>::Pending
                    })
                    .await
                });
                let waker = WakesUnderLock(shared.clone());
                anyrt::spawn(async move {
                    let _waker = waker;
                    let _ = wait.await;
                    std::future::pending::<()>().await
                });
                anyrt::task::yield_now().await;
                anyrt::task::yield_now().await;
                // The second task is woken, and the runtime goes before it runs.
                let _ = go.send(());
            });
            drop(rt);
        }
    });
}
