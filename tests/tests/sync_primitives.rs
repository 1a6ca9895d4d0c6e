//! `anyrt::sync::{Mutex, RwLock, Semaphore, Notify, Barrier, OnceCell}` on every backend:
//! every method, cancel safety, the blocking bridge, and use across backends and threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyrt::sync::{Barrier, Mutex, Notify, OnceCell, RwLock, Semaphore};
use anyrt::Backend;
use anyrt_tests::*;

fn assert_send_sync_static<T: Send + Sync + 'static>() {}

#[test]
fn primitives_are_send_sync() {
    assert_send_sync_static::<Mutex<u8>>();
    assert_send_sync_static::<RwLock<u8>>();
    assert_send_sync_static::<Semaphore>();
    assert_send_sync_static::<Notify>();
    assert_send_sync_static::<Barrier>();
    assert_send_sync_static::<OnceCell<u8>>();
    fn guard_is_send<T: Send>(_: &T) {}
    let m = Mutex::new(0);
    guard_is_send(&m.try_lock().unwrap());
}

#[anyrt::test]
async fn mutex_is_exclusive_across_tasks_and_awaits() {
    let m = Arc::new(Mutex::new(0u64));
    let inside = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (m, inside) = (m.clone(), inside.clone());
            anyrt::spawn(async move {
                for _ in 0..100 {
                    let mut g = m.lock().await;
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two holders");
                    // Held across an await: what the async mutex is for.
                    anyrt::task::yield_now().await;
                    *g += 1;
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for t in tasks {
        within("a task", t).await.unwrap();
    }
    assert_eq!(*m.lock().await, 800);
}

#[anyrt::test]
async fn mutex_lock_is_cancel_safe() {
    let m = Arc::new(Mutex::new(0));
    let g = m.lock().await;
    let r = anyrt::time::timeout(Duration::from_millis(5), m.lock()).await;
    assert!(r.is_err());
    let m2 = m.clone();
    let waiter = anyrt::spawn(async move { *m2.lock().await += 1 });
    anyrt::time::sleep(Duration::from_millis(2)).await;
    drop(g);
    within("the next waiter after a cancelled one", waiter)
        .await
        .unwrap();
    assert_eq!(*m.try_lock().unwrap(), 1);
}

#[anyrt::test]
async fn rwlock_readers_share_writers_exclude() {
    let l = Arc::new(RwLock::new(0));
    let r1 = l.read().await;
    let r2 = l.read().await;
    assert_eq!(*r1 + *r2, 0);
    let l2 = l.clone();
    let writer = anyrt::spawn(async move { *l2.write().await = 5 });
    anyrt::time::sleep(Duration::from_millis(5)).await;
    assert!(!writer.is_finished(), "the writer waits for the readers");
    drop((r1, r2));
    within("the writer", writer).await.unwrap();
    assert_eq!(*l.read().await, 5);
    let r = anyrt::time::timeout(Duration::from_millis(5), async {
        let _w = l.write().await;
        std::future::pending::<()>().await
    })
    .await;
    assert!(r.is_err());
    assert!(l.try_write().is_some(), "a cancelled writer holds nothing");
}

#[anyrt::test]
async fn semaphore_caps_concurrency() {
    let sem = Arc::new(Semaphore::new(3));
    let inside = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (sem, inside, max) = (sem.clone(), inside.clone(), max.clone());
            anyrt::spawn(async move {
                let _p = sem.acquire_arc().await.unwrap();
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                anyrt::time::sleep(Duration::from_millis(1)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
            })
        })
        .collect();
    for t in tasks {
        within("a task", t).await.unwrap();
    }
    assert_eq!(max.load(Ordering::SeqCst), 3);
    assert_eq!(sem.available_permits(), 3);
    let p = sem.acquire().await.unwrap();
    p.forget();
    sem.add_permits(1);
    assert_eq!(sem.available_permits(), 3);
    // A cancelled acquire takes nothing.
    let all: Vec<_> = (0..3).map(|_| sem.try_acquire().unwrap()).collect();
    assert!(
        anyrt::time::timeout(Duration::from_millis(5), sem.acquire())
            .await
            .is_err()
    );
    drop(all);
    assert_eq!(sem.available_permits(), 3);
}

#[anyrt::test]
async fn a_closed_semaphore_turns_every_acquire_away() {
    let sem = Arc::new(Semaphore::new(1));
    let held = sem.acquire().await.unwrap();
    // A waiter, parked before the close: it must fail, not wait for ever.
    let waiter = anyrt::spawn({
        let sem = sem.clone();
        async move { sem.acquire_arc().await.map(drop) }
    });
    anyrt::time::sleep(Duration::from_millis(5)).await;
    assert!(!sem.is_closed());
    sem.close();
    assert!(sem.is_closed());
    assert!(within("the waiter", waiter).await.unwrap().is_err());
    assert!(sem.acquire().await.is_err());
    assert!(sem.try_acquire().unwrap_err().is_closed());
    let blocking = {
        let sem = sem.clone();
        anyrt::spawn_blocking(move || sem.acquire_blocking().is_err())
    };
    assert!(within("acquire_blocking", blocking).await.unwrap());
    // The permit taken before the close stays valid; dropping it returns it, unusable.
    drop(held);
    assert_eq!(sem.available_permits(), 1);
    assert!(sem.try_acquire().is_err());
}

#[anyrt::test]
async fn notify_wakes_tasks_and_threads() {
    let n = Arc::new(Notify::new());
    let n2 = n.clone();
    let waiter = anyrt::spawn(async move { n2.notified().await });
    anyrt::time::sleep(Duration::from_millis(2)).await;
    n.notify_one();
    within("notify_one", waiter).await.unwrap();
    // A permit stored before anyone waits.
    n.notify_one();
    within("stored permit", n.notified()).await;
    // notify_waiters wakes everyone waiting, from a plain thread. It wakes only waiters
    // registered before it (as tokio's): each task registers (`enable`) and says so before
    // the call, so a slow machine cannot make the test race.
    let (ready_tx, ready_rx) = anyrt::channel::unbounded();
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let n = n.clone();
            let ready = ready_tx.clone();
            anyrt::spawn(async move {
                let mut notified = std::pin::pin!(n.notified());
                notified.as_mut().enable();
                ready.send(()).await.unwrap();
                notified.await
            })
        })
        .collect();
    for _ in 0..3 {
        within("a waiter registers", ready_rx.recv()).await.unwrap();
    }
    let n3 = n.clone();
    std::thread::spawn(move || n3.notify_waiters())
        .join()
        .unwrap();
    for w in waiters {
        within("notify_waiters", w).await.unwrap();
    }
    // A cancelled notified() does not swallow a notify_one meant for the next waiter.
    assert!(anyrt::time::timeout(Duration::from_millis(2), n.notified())
        .await
        .is_err());
    n.notify_one();
    within("after a cancelled waiter", n.notified()).await;
}

#[anyrt::test]
async fn barrier_releases_all_with_one_leader() {
    let b = Arc::new(Barrier::new(4));
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let b = b.clone();
            anyrt::spawn(async move { b.wait().await.is_leader() })
        })
        .collect();
    let b2 = b.clone();
    let blocking = anyrt::spawn_blocking(move || b2.wait_blocking().is_leader());
    let mut leaders = usize::from(within("blocking party", blocking).await.unwrap());
    for t in tasks {
        leaders += usize::from(within("a party", t).await.unwrap());
    }
    assert_eq!(leaders, 1);
}

#[anyrt::test]
async fn once_cell_initialises_once() {
    // Not a static: the three backends' tests run in parallel.
    let cell_owner = OnceCell::new();
    let cell: &OnceCell<u32> = &cell_owner;
    let runs = Arc::new(AtomicUsize::new(0));
    let shared = Arc::new(OnceCell::new());
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (cell, runs) = (shared.clone(), runs.clone());
            anyrt::spawn(async move {
                *cell
                    .get_or_init(|| async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        anyrt::time::sleep(Duration::from_millis(5)).await;
                        42
                    })
                    .await
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(within("a task", t).await.unwrap(), 42);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // A cancelled initialiser leaves the cell empty for the next one.
    let r = anyrt::time::timeout(
        Duration::from_millis(2),
        cell.get_or_init(std::future::pending),
    )
    .await;
    assert!(r.is_err());
    assert!(!cell.is_initialized());
    assert_eq!(*within("init", cell.get_or_init(|| async { 7 })).await, 7);
    assert_eq!(cell.set(8).await, Err(8));
    assert_eq!(*within("wait", cell.wait()).await, 7);
}

#[anyrt::test]
async fn blocking_methods_panic_in_async_code_and_work_in_spawn_blocking() {
    let m = Arc::new(Mutex::new(0));
    let l = Arc::new(RwLock::new(0));
    let s = Arc::new(Semaphore::new(1));
    let b = Arc::new(Barrier::new(1));
    for msg in [
        catch_panic(|| drop(m.lock_blocking())),
        catch_panic(|| drop(l.read_blocking())),
        catch_panic(|| drop(l.write_blocking())),
        catch_panic(|| drop(s.acquire_blocking())),
        catch_panic(|| b.wait_blocking()).map(|_| ()),
    ] {
        let msg = msg.unwrap_err();
        assert!(msg.contains("spawn_blocking"), "{msg}");
    }
    let done = anyrt::spawn_blocking(move || {
        *m.lock_blocking() += 1;
        *l.write_blocking() += 1;
        let _p = s.acquire_blocking();
        b.wait_blocking().is_leader() && *m.lock_blocking() == 1 && *l.read_blocking() == 1
    });
    assert!(within("spawn_blocking", done).await.unwrap());
}

/// A mutex shared by tasks of two runtimes of different backends.
#[test]
fn mutex_and_notify_across_backends() {
    let backends = compiled_backends();
    if backends.len() < 2 {
        return;
    }
    let (a, b) = (backends[0], backends[1]);
    let rt_a = anyrt::Runtime::new(a).unwrap();
    let rt_b = anyrt::Runtime::new(b).unwrap();
    let m = Arc::new(Mutex::new(Vec::new()));
    let n = Arc::new(Notify::new());
    let (m2, n2) = (m.clone(), n.clone());
    let waiter = rt_b.spawn(async move {
        n2.notified().await;
        m2.lock().await.push(Backend::current());
    });
    let (m3, n3) = (m.clone(), n.clone());
    rt_a.block_on(async move {
        m3.lock().await.push(Backend::current());
        n3.notify_one();
    });
    rt_a.block_on(within("the waiter on the other backend", waiter))
        .unwrap();
    assert_eq!(*m.lock_blocking(), [Some(a), Some(b)]);
}
