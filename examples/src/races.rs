//! A corpus of racy programs, written against anyrt alone: each panics when its race
//! happens. Real multi-threaded runtimes show each race in some runs; the simulation must
//! find each within 1,000 seeds and replay it (`tests/tests/sim.rs`, `--example races`).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyrt::channel;
use anyrt::task::yield_now;

/// A racy program: its name and a future that panics when the race happens.
pub type Program = (
    &'static str,
    fn() -> Pin<Box<dyn Future<Output = ()> + Send>>,
);

/// The corpus.
pub const PROGRAMS: [Program; 8] = [
    ("lost update", || Box::pin(lost_update())),
    ("check then act", || Box::pin(check_then_act())),
    (
        "publish order on two channels",
        || Box::pin(publish_order()),
    ),
    ("a slow consumer", || Box::pin(slow_consumer())),
    ("a timer racing a reply", || Box::pin(timer_races_reply())),
    ("a close racing a send", || Box::pin(close_races_send())),
    ("a double initialisation", || Box::pin(double_init())),
    ("an abort between two writes", || {
        Box::pin(abort_between_writes())
    }),
];

/// Two tasks add to a counter with a read, an await, and a write.
pub async fn lost_update() {
    let counter = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let counter = counter.clone();
            anyrt::spawn(async move {
                let seen = counter.load(Ordering::SeqCst);
                yield_now().await;
                counter.store(seen + 1, Ordering::SeqCst);
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(counter.load(Ordering::SeqCst), 2, "an update was lost");
}

/// Two tasks register a name if it is not taken, looking it up before an await.
pub async fn check_then_act() {
    let names = Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let names = names.clone();
            anyrt::spawn(async move {
                let taken = names.lock().unwrap().contains(&"alice");
                if !taken {
                    anyrt::time::sleep(Duration::from_micros(10)).await; // "check the database"
                    names.lock().unwrap().push("alice");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        names.lock().unwrap().len(),
        1,
        "the name was registered twice"
    );
}

/// A publisher sends an update on one channel, then its acknowledgement on another; the
/// subscriber assumes the update is handled before the acknowledgement.
pub async fn publish_order() {
    let (updates_tx, updates) = channel::unbounded::<u32>();
    let (acks_tx, acks) = channel::unbounded::<u32>();
    let applied = Arc::new(AtomicU32::new(0));
    let updater = {
        let applied = applied.clone();
        anyrt::spawn(async move {
            while let Ok(v) = updates.recv().await {
                applied.store(v, Ordering::SeqCst);
            }
        })
    };
    let acker = {
        let applied = applied.clone();
        anyrt::spawn(async move {
            while let Ok(v) = acks.recv().await {
                assert_eq!(
                    applied.load(Ordering::SeqCst),
                    v,
                    "acknowledged before applied"
                );
            }
        })
    };
    for v in 1..=3 {
        updates_tx.send(v).await.unwrap();
        acks_tx.send(v).await.unwrap();
    }
    drop((updates_tx, acks_tx));
    updater.await.unwrap();
    if let Err(e) = acker.await {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// "Surely the consumer has run by now": a check after a short sleep.
pub async fn slow_consumer() {
    let seen = Arc::new(AtomicU32::new(0));
    let (tx, rx) = channel::bounded(1);
    let consumer = {
        let seen = seen.clone();
        anyrt::spawn(async move {
            let v = rx.recv().await.unwrap();
            seen.store(v, Ordering::SeqCst);
        })
    };
    tx.send(7).await.unwrap();
    anyrt::time::sleep(Duration::from_micros(100)).await;
    assert_eq!(
        seen.load(Ordering::SeqCst),
        7,
        "the consumer had not run yet"
    );
    consumer.await.unwrap();
}

/// A reply expected within 300 µs, from a task that computes for a while first.
pub async fn timer_races_reply() {
    let (tx, rx) = channel::bounded::<u32>(1);
    anyrt::spawn(async move {
        for _ in 0..3 {
            yield_now().await;
        }
        anyrt::time::sleep(Duration::from_micros(250)).await;
        let _ = tx.send(1).await;
    });
    let reply = anyrt::time::timeout(Duration::from_micros(300), rx.recv()).await;
    assert!(reply.is_ok(), "no reply within 300 µs");
}

/// A consumer that stops at the first sign of a closed channel, without draining it.
pub async fn close_races_send() {
    let (tx, rx) = channel::bounded::<u32>(4);
    let consumer = anyrt::spawn(async move {
        let mut got = 0;
        loop {
            if rx.is_closed() {
                return got; // the bug: messages may still be queued
            }
            match rx.try_recv() {
                Ok(_) => got += 1,
                Err(_) => yield_now().await,
            }
        }
    });
    tx.send(1).await.unwrap();
    drop(tx);
    assert_eq!(
        consumer.await.unwrap(),
        1,
        "a message sent before the close was lost"
    );
}

/// Lazy initialisation checked before an await and set after it.
pub async fn double_init() {
    let cell: Arc<Mutex<Option<u32>>> = Arc::default();
    let inits = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let (cell, inits) = (cell.clone(), inits.clone());
            anyrt::spawn(async move {
                if cell.lock().unwrap().is_none() {
                    yield_now().await; // "load the configuration"
                    inits.fetch_add(1, Ordering::SeqCst);
                    *cell.lock().unwrap() = Some(42);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(inits.load(Ordering::SeqCst), 1, "initialised twice");
}

/// A task that writes two halves of a record with an await between, aborted by a
/// supervisor after a while: the record is left half written.
pub async fn abort_between_writes() {
    let record = Arc::new(Mutex::new((0u32, 0u32)));
    let mut writer = {
        let record = record.clone();
        anyrt::spawn(async move {
            for i in 1.. {
                record.lock().unwrap().0 = i;
                yield_now().await;
                record.lock().unwrap().1 = i;
                anyrt::time::sleep(Duration::from_micros(20)).await;
            }
        })
    };
    anyrt::time::sleep(Duration::from_micros(200)).await;
    writer.abort();
    let _ = writer.await;
    let (a, b) = *record.lock().unwrap();
    assert_eq!(a, b, "the record was left half written");
}

/// How the simulation found a program's race.
#[cfg(feature = "sim")]
#[derive(Debug)]
pub struct Found {
    /// The search that found it: "random", "PCT", with or without delays.
    pub how: &'static str,
    /// The seeds the search ran, the failing one included.
    pub seeds: u64,
    /// The shrunk replay token.
    pub token: String,
    /// Whether the token failed again in each of 20 replays.
    pub replays: u32,
}

/// Looks for `program`'s race with 1,000 seeds of each search in turn (random, PCT of depth
/// 3, then each with scheduling delays), then replays the token 20 times.
#[cfg(feature = "sim")]
pub fn find(program: fn() -> Pin<Box<dyn Future<Output = ()> + Send>>) -> Option<Found> {
    use anyrt::sim::{Explore, Scheduler};
    let searches: [(&'static str, Explore); 4] = [
        ("random", Explore::seeds(1000).delays(false)),
        (
            "PCT",
            Explore::seeds(1000)
                .scheduler(Scheduler::Pct { depth: 3 })
                .delays(false),
        ),
        ("random + delays", Explore::seeds(1000).delays(true)),
        (
            "PCT + delays",
            Explore::seeds(1000)
                .scheduler(Scheduler::Pct { depth: 3 })
                .delays(true),
        ),
    ];
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut found = None;
    for (how, explore) in searches {
        if let Err(failure) = explore.run(program) {
            let token = failure.replay().to_string();
            let delays = how.contains("delays");
            let replays = (0..20)
                .filter(|_| {
                    let replay = Explore::replay(&token).expect("a token").delays(delays);
                    replay.run(program).is_err()
                })
                .count() as u32;
            found = Some(Found {
                how,
                seeds: failure.seed() + 1,
                token,
                replays,
            });
            break;
        }
    }
    std::panic::set_hook(hook);
    found
}
