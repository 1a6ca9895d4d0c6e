use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_lite::future::block_on;

use super::*;
use crate::context::{self, ThreadContext};
use crate::Backend;

fn noop_cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

fn panics_in_async<R>(f: impl FnOnce() -> R) -> String {
    let _g = context::enter(ThreadContext::async_on(Backend::Smol));
    let p = catch_unwind(AssertUnwindSafe(f))
        .err()
        .expect("expected a panic");
    p.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn mutex_paths() {
    let m = Mutex::new(0);
    *block_on(m.lock()) += 1;
    {
        let g = m.try_lock().unwrap();
        assert_eq!(*g, 1);
        assert!(m.try_lock().is_none());
        assert_eq!(format!("{m:?}"), "Mutex { <locked> }");
        assert_eq!(format!("{g:?} {g}"), "1 1");
    }
    assert_eq!(format!("{m:?}"), "Mutex { data: 1 }");
    *m.lock_blocking() += 1;
    let mut m = m;
    *m.get_mut() += 1;
    assert_eq!(m.into_inner(), 3);
    assert_eq!(Mutex::<u8>::default().into_inner(), 0);
    assert_eq!(Mutex::from(4).into_inner(), 4);
    let unsized_: &Mutex<[u8]> = &Mutex::new([1, 2]);
    assert_eq!(block_on(unsized_.lock()).len(), 2);
}

#[test]
fn mutex_lock_is_cancel_safe() {
    let m = Mutex::new(0);
    let g = m.try_lock().unwrap();
    {
        let fut = pin!(m.lock());
        assert!(fut.poll(&mut noop_cx()).is_pending());
    }
    drop(g);
    // The dropped waiter holds nothing.
    assert!(m.try_lock().is_some());
}

#[test]
fn mutex_serialises_threads() {
    let m = Arc::new(Mutex::new(0u64));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    block_on(async { *m.lock().await += 1 });
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*m.lock_blocking(), 4000);
}

#[test]
fn rwlock_paths() {
    let l = RwLock::new(1);
    {
        let a = block_on(l.read());
        let b = l.try_read().unwrap();
        assert_eq!(*a + *b, 2);
        assert!(l.try_write().is_none());
        assert_eq!(format!("{a:?}"), "1");
    }
    {
        let mut w = block_on(l.write());
        *w = 2;
        assert!(l.try_read().is_none());
        assert_eq!(format!("{l:?}"), "RwLock { <locked> }");
        assert_eq!(format!("{w:?}"), "2");
    }
    assert_eq!(format!("{l:?}"), "RwLock { data: 2 }");
    *l.try_write().unwrap() += 1;
    *l.write_blocking() += 1;
    assert_eq!(*l.read_blocking(), 4);
    let mut l = l;
    *l.get_mut() += 1;
    assert_eq!(l.into_inner(), 5);
    assert_eq!(RwLock::<u8>::default().into_inner(), 0);
    assert_eq!(RwLock::from(1).into_inner(), 1);
}

#[test]
fn rwlock_dropped_writer_releases_readers() {
    let l = RwLock::new(0);
    let r = l.try_read().unwrap();
    {
        let w = pin!(l.write());
        assert!(w.poll(&mut noop_cx()).is_pending());
    }
    // With the waiting writer gone, new readers and (after r) writers get in.
    assert!(l.try_read().is_some());
    drop(r);
    assert!(l.try_write().is_some());
}

#[test]
fn semaphore_paths() {
    let s = Semaphore::new(2);
    let a = block_on(s.acquire()).unwrap();
    let b = s.try_acquire().unwrap();
    assert_eq!(s.available_permits(), 0);
    assert!(s.try_acquire().is_err());
    {
        let fut = pin!(s.acquire());
        assert!(fut.poll(&mut noop_cx()).is_pending());
    }
    drop(a);
    assert_eq!(s.available_permits(), 1, "a dropped acquire took nothing");
    b.forget();
    assert_eq!(s.available_permits(), 1);
    s.add_permits(2);
    assert_eq!(s.available_permits(), 3);
    let _c = s.acquire_blocking().unwrap();
    assert!(format!("{s:?}").contains("available_permits: 2"));

    let s = Arc::new(Semaphore::new(1));
    let p = block_on(s.acquire_arc()).unwrap();
    assert!(s.try_acquire_arc().is_err());
    std::thread::spawn(move || drop(p)).join().unwrap();
    assert_eq!(s.available_permits(), 1);
    s.try_acquire_arc().unwrap().forget();
    assert_eq!(s.available_permits(), 0);
}

#[test]
fn notify_paths() {
    let n = Notify::new();
    n.notify_one();
    n.notify_one();
    block_on(n.notified()); // the one stored permit
    let mut f = pin!(n.notified());
    assert!(
        f.as_mut().poll(&mut noop_cx()).is_pending(),
        "at most one permit"
    );
    n.notify_waiters();
    assert!(f.as_mut().poll(&mut noop_cx()).is_ready());

    // notify_waiters stores nothing.
    n.notify_waiters();
    let mut f = pin!(n.notified());
    assert!(f.as_mut().poll(&mut noop_cx()).is_pending());
    n.notify_last();
    assert!(f.as_mut().poll(&mut noop_cx()).is_ready());

    let mut f = pin!(n.notified());
    assert!(!f.as_mut().enable());
    n.notify_one();
    assert!(f.as_mut().enable());
    assert!(format!("{n:?} {f:?}").contains("Notified"));
    let _ = Notify::default();
}

#[test]
fn notify_wakeup_passes_on_when_a_waiter_is_dropped() {
    let n = Notify::new();
    let mut a = Box::pin(n.notified());
    let mut b = Box::pin(n.notified());
    assert!(a.as_mut().poll(&mut noop_cx()).is_pending());
    assert!(b.as_mut().poll(&mut noop_cx()).is_pending());
    n.notify_one(); // goes to `a`, the oldest waiter
    drop(a);
    assert_eq!(b.as_mut().poll(&mut noop_cx()), Poll::Ready(()));
}

#[test]
fn barrier_paths() {
    let b = Arc::new(Barrier::new(3));
    let leaders = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (b, l) = (b.clone(), leaders.clone());
            std::thread::spawn(move || {
                if b.wait_blocking().is_leader() {
                    l.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    if block_on(b.wait()).is_leader() {
        leaders.fetch_add(1, Ordering::SeqCst);
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(leaders.load(Ordering::SeqCst), 1);
    // Reusable, and n = 1 never waits.
    assert!(Barrier::new(1).wait_blocking().is_leader());
    assert!(format!("{b:?}").contains("Barrier"));
}

#[test]
fn once_cell_paths() {
    let c = OnceCell::new();
    assert!(!c.is_initialized() && c.get().is_none());
    assert_eq!(
        block_on(c.get_or_try_init(|| async { Err::<u8, _>("e") })),
        Err("e")
    );
    assert!(!c.is_initialized());
    assert_eq!(*block_on(c.get_or_init(|| async { 1 })), 1);
    assert_eq!(*block_on(c.get_or_init(|| async { 2 })), 1);
    assert_eq!(block_on(c.set(3)), Err(3));
    assert_eq!(*block_on(c.wait()), 1);
    assert_eq!(format!("{c:?}"), "OnceCell(1)");
    let mut c = c;
    *c.get_mut().unwrap() = 5;
    assert_eq!(c.take(), Some(5));
    assert_eq!(format!("{c:?}"), "OnceCell(<uninit>)");
    assert_eq!(block_on(c.set(6)), Ok(&6));
    assert_eq!(c.into_inner(), Some(6));
    assert_eq!(OnceCell::<u8>::default().into_inner(), None);
}

#[test]
fn once_cell_cancelled_init_leaves_it_empty() {
    let c = OnceCell::new();
    {
        let fut = pin!(c.get_or_init(std::future::pending::<u8>));
        assert!(fut.poll(&mut noop_cx()).is_pending());
    }
    assert!(!c.is_initialized());
    assert_eq!(*block_on(c.get_or_init(|| async { 7 })), 7);
}

#[test]
fn once_cell_one_initialiser_among_many() {
    let c = Arc::new(OnceCell::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (c, runs) = (c.clone(), runs.clone());
            std::thread::spawn(move || {
                block_on(c.get_or_init(|| async {
                    runs.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    42
                }))
                .to_owned()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 42);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[test]
fn blocking_methods_panic_in_async_context() {
    let m = Mutex::new(0);
    let l = RwLock::new(0);
    let s = Semaphore::new(1);
    let b = Barrier::new(1);
    for msg in [
        panics_in_async(|| drop(m.lock_blocking())),
        panics_in_async(|| drop(l.read_blocking())),
        panics_in_async(|| drop(l.write_blocking())),
        panics_in_async(|| drop(s.acquire_blocking())),
        panics_in_async(|| b.wait_blocking()),
    ] {
        assert!(msg.contains("spawn_blocking"), "{msg}");
        assert!(msg.contains("smol"), "{msg}");
    }
    // Nothing is left held by the refused calls.
    assert!(m.try_lock().is_some() && l.try_write().is_some());
    assert_eq!(s.available_permits(), 1);
}
