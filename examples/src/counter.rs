//! The library of the tour's simulation step: a hit counter over an async store, with a
//! real bug. `record_hit` reads the count, awaits the store, and writes the count plus one:
//! a hit recorded by another task between the read and the write is lost. On a real
//! runtime that window is a few microseconds and the tour's scenario almost never hits it;
//! a seeded simulation explores the schedules that do.

use std::sync::{Arc, Mutex};

/// An async key-value store with one key (what a database client looks like to the code
/// above it): every call is an await that may let other tasks run.
#[derive(Debug, Clone, Default)]
pub struct Store {
    value: Arc<Mutex<u64>>,
}

impl Store {
    /// Reads the value.
    pub async fn get(&self) -> u64 {
        anyrt::task::yield_now().await; // the round trip to the store
        *self.value.lock().unwrap()
    }

    /// Writes the value.
    pub async fn put(&self, v: u64) {
        anyrt::task::yield_now().await;
        *self.value.lock().unwrap() = v;
    }
}

/// Counts hits in a [`Store`].
#[derive(Debug, Clone, Default)]
pub struct HitCounter {
    store: Store,
}

impl HitCounter {
    /// Records one hit. The bug: a read-modify-write across awaits, with no lock held.
    pub async fn record_hit(&self) {
        let n = self.store.get().await;
        self.store.put(n + 1).await;
    }

    /// The hits recorded.
    pub async fn hits(&self) -> u64 {
        self.store.get().await
    }
}

/// The scenario: one request records a hit at once; another does some work first (50
/// awaits of it) and then records its own. Two hits must be counted; the result is the
/// count.
pub async fn two_requests() -> u64 {
    let counter = HitCounter::default();
    let first = anyrt::spawn({
        let counter = counter.clone();
        async move { counter.record_hit().await }
    });
    let second = anyrt::spawn({
        let counter = counter.clone();
        async move {
            for _ in 0..50 {
                anyrt::task::yield_now().await; // the request's other work
            }
            counter.record_hit().await
        }
    });
    first.await.unwrap();
    second.await.unwrap();
    counter.hits().await
}
