//! Channels that work on every runtime, across runtimes, and from plain threads.
//!
//! Nothing here needs a runtime: a [`Sender`] can live in a tokio task while its
//! [`Receiver`] is in a smol task, an async-std task, or a plain thread using
//! [`recv_blocking`](Receiver::recv_blocking).
//!
//! | kind | create | for |
//! |---|---|---|
//! | multi-producer multi-consumer, bounded | [`bounded(cap)`](bounded) | work queues, pipelines with back-pressure |
//! | multi-producer multi-consumer, unbounded | [`unbounded()`](unbounded) | when the producer cannot wait (and is known to be slower) |
//! | one value, once | [`oneshot::channel()`](oneshot::channel) | a reply, a completion signal |
//! | every receiver gets every value | [`broadcast::channel(cap)`](broadcast::channel) | events fanned out to many listeners |
//! | the latest value | [`watch::channel(init)`](watch::channel) | configuration, state, shutdown flags |
//!
//! # Rules (the same on every backend)
//!
//! - **Cancel safety.** Every async method says whether it is cancel-safe. For the
//!   multi-producer channels: dropping a pending `recv()` (the losing arm of a `select!`, a
//!   timeout) never loses a message, and dropping a pending `send()` never delivers its
//!   message afterwards (the message is dropped with the future).
//! - **Nothing is lost on error.** [`SendError`] and [`TrySendError`] hand the message back
//!   through `into_inner()`. A closed channel is an error value, never a panic or a hang.
//! - **Close.** A channel closes when every sender is dropped, when every receiver is
//!   dropped, or on `close()`. Receivers still get the messages left in it, then
//!   [`RecvError`].
//! - **Messages left behind** are dropped with the last half of the channel, oldest first.
//!   If one's destructor panics, the others are still dropped while that panic unwinds
//!   (std's rule for `Vec` and `VecDeque`; a second panic aborts the process), and the panic
//!   reaches whoever dropped the last half. None is leaked.
//! - **Blocking bridge.** The `_blocking` methods block the calling thread. They work on plain
//!   threads and inside `anyrt::spawn_blocking`; inside an async task or `block_on` of an
//!   anyrt runtime they panic with a message naming `spawn_blocking` instead of stalling or
//!   deadlocking the runtime. Inside a runtime anyrt cannot see (a foreign smol or futures
//!   executor), nothing can be checked: do not block there.
//! - **Co-op budget.** On tokio, `send` and `recv` take part in the task's co-op budget as
//!   tokio's own channels do, so a loop over an always-ready channel still lets other tasks
//!   on the worker run.
//! - **`bounded(0)` panics** with a message: there is no rendezvous channel (see
//!   [`bounded`]).
//!
//! # What they are built on, and why
//!
//! - [`bounded`] / [`unbounded`]: a core of anyrt's own, with async-channel's API and rules
//!   (it was built on async-channel before): a lock-free queue and lists of waiting tasks,
//!   locked only when someone waits. A task that waits takes a reusable slot in the channel
//!   instead of allocating a listener (async-channel allocates one per wait), and no
//!   operation spins a thread waiting for another: the bounded queue (a ring of stamped
//!   slots, as concurrent-queue's) reads a slot that another thread is half-way through as
//!   busy, and the task is polled again after the runtime's other ready tasks, where
//!   concurrent-queue spins the thread until that thread, maybe preempted, finishes. Measured by `--bin channels`: with more
//!   runnable threads than cores that spin made many-to-one workloads 5-10 times slower
//!   in some runs. Runtime-independent; the futures are cancel-safe in both directions (a `send`
//!   future pushes its message only in the poll that completes; a `recv` future pops only in
//!   the poll that completes, and a waiter woken that goes away without taking its message
//!   or place hands its turn to the next one); the blocking methods park the thread on the
//!   same waits. flume is ruled out: its send future can deliver its message after being
//!   dropped.
//! - [`oneshot`], [`broadcast`], [`watch`]: `tokio::sync`, compiled with only its `sync`
//!   feature, which has no runtime in it and runs under any executor. They are the most used
//!   and most reviewed implementations of these three shapes, their receive futures are
//!   cancel-safe, tokio's broadcast reports exactly how many values a lagging receiver
//!   missed, and inside tokio tasks they use tokio's own co-op budget. (async-broadcast
//!   blocks senders instead of dropping old values unless switched to overflow mode, and
//!   there is no well-kept runtime-independent watch channel elsewhere.) anyrt wraps them so
//!   the `_blocking` methods follow anyrt's rule rather than tokio's "cannot block inside a
//!   runtime" panic, which tokio raises only inside tokio.
//!
//! ```
//! anyrt::block_on(async {
//!     use anyrt::channel::{bounded, oneshot};
//!
//!     // A worker that answers requests: each request carries its own reply channel.
//!     let (tx, rx) = bounded::<(u32, oneshot::Sender<u32>)>(16);
//!     let worker = std::thread::spawn(move || {
//!         while let Ok((n, reply)) = rx.recv_blocking() {
//!             let _ = reply.send(n * 2);
//!         }
//!     });
//!     let (reply_tx, reply_rx) = oneshot::channel();
//!     tx.send((21, reply_tx)).await.unwrap();
//!     assert_eq!(reply_rx.await, Ok(42));
//!     drop(tx);
//!     worker.join().unwrap();
//! });
//! ```

pub mod broadcast;
mod chan;
mod error;
mod mpmc;
pub mod oneshot;
mod ring;
pub mod watch;

use std::future::Future;
#[cfg(not(loom))]
use std::pin::pin;
#[cfg(not(loom))]
use std::sync::Arc;
#[cfg(not(loom))]
use std::task::{Context, Poll, Wake, Waker};

#[cfg(not(loom))]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(not(loom))]
use std::thread::{self, Thread};

pub use error::{RecvError, SendError, TryRecvError, TrySendError};
pub use mpmc::{bounded, unbounded, Closed, Receiver, RecvFuture, SendFuture, Sender};

/// Panics if the calling thread is in an async context anyrt can see, where blocking would
/// stall the runtime or deadlock.
#[track_caller]
#[inline]
pub(crate) fn assert_can_block(what: &'static str) {
    if let Err(e) = crate::check_can_block() {
        blocking_in_async(what, e.backend)
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn blocking_in_async(what: &'static str, backend: Option<crate::Backend>) -> ! {
    let on = match backend {
        Some(b) => format!(" (a {b} task or block_on)"),
        None => String::new(),
    };
    panic!(
        "{what} called inside async code{on}: blocking this thread would stall its runtime \
         or deadlock. Use the async form with .await instead, or move the blocking call into \
         anyrt::spawn_blocking (or a plain thread), where it works"
    )
}

/// Runs a future to completion on the calling thread, parking between polls. Only for the
/// `_blocking` methods, after [`assert_can_block`].
///
/// The future is polled again only once its waker was woken: a stray unpark (any code may
/// unpark any thread) parks again, so that a lost wake-up hangs here as it would in a task,
/// instead of being hidden by a poll that happens to come.
#[cfg(not(loom))]
pub(crate) fn park_on<F: Future>(fut: F) -> F::Output {
    struct Unparker {
        thread: Thread,
        woken: AtomicBool,
    }

    impl Wake for Unparker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.store(true, Ordering::Release);
            self.thread.unpark();
        }
    }

    let mut fut = pin!(fut);
    let unparker = Arc::new(Unparker {
        thread: thread::current(),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(unparker.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        while !unparker.woken.swap(false, Ordering::Acquire) {
            thread::park();
        }
    }
}

/// Under loom: loom's own `block_on`, which also polls again only once woken.
#[cfg(loom)]
pub(crate) fn park_on<F: Future>(fut: F) -> F::Output {
    loom::future::block_on(fut)
}

/// A hook that freezes a receive or a send at a named point of its poll, on the thread that
/// sets it: the deterministic tests of interleavings a test cannot otherwise reach (one
/// receiver half-way through its poll while another is in the middle of its own).
#[cfg(all(test, not(loom)))]
pub(crate) mod pause {
    use std::cell::RefCell;

    type Hook = Box<dyn FnMut(&'static str)>;

    thread_local! {
        static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
    }

    /// Calls `f` with the name of every point this thread's polls reach.
    pub(crate) fn set(f: impl FnMut(&'static str) + 'static) {
        HOOK.with(|h| *h.borrow_mut() = Some(Box::new(f)));
    }

    pub(crate) fn point(name: &'static str) {
        HOOK.with(|h| {
            if let Some(f) = h.borrow_mut().as_mut() {
                f(name);
            }
        });
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod tests;
