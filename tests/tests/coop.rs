//! A task looping over anyrt futures that are ready at once yields at least once every 128
//! such operations, on every backend (tokio's co-op budget on tokio, an equivalent counter
//! elsewhere): it can neither starve a one-worker runtime nor escape `abort()`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyrt::time::Instant;
use anyrt_tests::*;

/// The most ready operations a task may run before another task of its one-worker runtime
/// gets a turn. The budget is 128 operations per yield; how soon the executor runs another
/// task after a yield is its own policy (async-executor runs the yielding worker's local
/// queue first and looks at the global one every few dozen tasks), so the bound leaves room
/// for that. Without the budget the other task never runs.
const BOUND: u32 = 50_000;

/// One ready operation of each kind the rule names.
#[derive(Clone, Copy, Debug)]
enum Op {
    Channel,
    SleepZero,
    PastDeadline,
    TimeoutOfReady,
    Mutex,
    Semaphore,
    /// A `timeout` that has expired around a loop of ready sleeps: the timeout swallows the
    /// `Pending` of the spent budget (the loop runs until the budget is spent, then the
    /// timeout gives `Elapsed`), so the task yields only if the budget stays spent.
    ExpiredTimeout,
}

const OPS: [Op; 7] = [
    Op::Channel,
    Op::SleepZero,
    Op::PastDeadline,
    Op::TimeoutOfReady,
    Op::Mutex,
    Op::Semaphore,
    Op::ExpiredTimeout,
];

/// A future that runs `op` once; everything it needs is made once per loop.
struct Kit {
    tx: anyrt::channel::Sender<u8>,
    rx: anyrt::channel::Receiver<u8>,
    lock: anyrt::sync::Mutex<u8>,
    sem: anyrt::sync::Semaphore,
    past: Instant,
}

impl Kit {
    fn new() -> Kit {
        let (tx, rx) = anyrt::channel::bounded(1);
        Kit {
            tx,
            rx,
            lock: anyrt::sync::Mutex::new(0),
            sem: anyrt::sync::Semaphore::new(1),
            past: Instant::now(),
        }
    }

    fn run(&self, op: Op) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            match op {
                Op::Channel => {
                    self.tx.send(1).await.unwrap();
                    self.rx.recv().await.unwrap();
                }
                Op::SleepZero => anyrt::time::sleep(Duration::ZERO).await,
                Op::PastDeadline => anyrt::time::sleep_until(self.past).await,
                Op::TimeoutOfReady => {
                    anyrt::time::timeout(Duration::from_secs(60), async {})
                        .await
                        .unwrap();
                }
                Op::Mutex => {
                    let mut n = self.lock.lock().await;
                    *n = n.wrapping_add(1);
                }
                Op::Semaphore => drop(self.sem.acquire().await.unwrap()),
                Op::ExpiredTimeout => {
                    let spin = async {
                        loop {
                            anyrt::time::sleep(Duration::ZERO).await;
                        }
                    };
                    let _ = anyrt::time::timeout(Duration::from_nanos(1), spin).await;
                }
            }
        })
    }
}

#[anyrt::test(worker_threads = 1)]
async fn a_loop_of_ready_operations_lets_other_tasks_run() {
    for op in OPS {
        // The looping task spawns the other one itself, once it is looping, and counts from
        // there: a count from a spawn made elsewhere would include however long that thread
        // took to get to it (a loaded machine once made it 50,049).
        let looping = anyrt::spawn(async move {
            let kit = Kit::new();
            let other_ran = Arc::new(AtomicBool::new(false));
            for _ in 0..100 {
                kit.run(op).await;
            }
            let other = anyrt::spawn({
                let other_ran = other_ran.clone();
                async move { other_ran.store(true, Ordering::SeqCst) }
            });
            let mut n = 0u32;
            // Without a yield the other task never runs on the only worker: stop at
            // 20 * BOUND so that the test fails instead of hanging.
            while !other_ran.load(Ordering::SeqCst) && n < 20 * BOUND {
                kit.run(op).await;
                n += 1;
            }
            (n, other)
        });
        let (n, other) = within("the looping task", looping).await.unwrap();
        within("the other task", other).await.unwrap();
        assert!(
            n <= BOUND,
            "{op:?}: {n} ready operations ran before another task of the runtime could run"
        );
    }
}

#[anyrt::test(worker_threads = 1)]
async fn abort_reaches_a_loop_of_ready_operations() {
    for op in OPS {
        let mut looping = anyrt::spawn(async move {
            let kit = Kit::new();
            // Bounded (in time: the runtime's only worker may be the one running this, and
            // its timers with it), so that a loop abort cannot reach ends the test instead of
            // hanging it.
            let give_up = std::time::Instant::now() + Duration::from_secs(5);
            while std::time::Instant::now() < give_up {
                kit.run(op).await;
            }
            "ran to its end: abort never reached it"
        });
        anyrt::time::sleep(Duration::from_millis(2)).await;
        looping.abort();
        let out = within("the aborted loop", looping).await;
        match out {
            Err(e) => assert!(e.is_cancelled(), "{op:?}: {e:?}"),
            Ok(msg) => panic!("{op:?}: the aborted loop {msg}"),
        }
    }
}
