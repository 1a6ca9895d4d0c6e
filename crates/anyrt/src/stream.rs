//! Stream merges whose order a simulation seeds: [`StreamMap`] (tokio-stream's keyed merge)
//! and [`merge`]. Each poll starts from a stream chosen by anyrt's per-thread generator
//! (`anyrt_core::rand`), as `anyrt::select!` does, so that under the sim backend a seed
//! replays which stream was served first; tokio-stream's `StreamMap` draws from a generator
//! the simulation does not see.

use std::borrow::Borrow;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

/// Streams by key, merged: yields `(key, item)` from whichever stream has an item, starting
/// each poll from a random one; a stream that ends is removed (and the map yields `None`
/// once it is empty). tokio-stream's `StreamMap` API: [`insert`](Self::insert),
/// [`remove`](Self::remove), [`keys`](Self::keys), ...
///
/// Keys are compared with `==` (a linear scan, as tokio-stream's): for the dozens of
/// streams a connection or a subscription list holds.
///
/// ```
/// use anyrt::stream::StreamMap;
/// use futures_util::stream::{self, StreamExt};
///
/// anyrt::block_on(async {
///     let mut map = StreamMap::new();
///     map.insert("a", stream::iter([1, 2]).boxed());
///     map.insert("b", stream::iter([10]).boxed());
///     let mut got = Vec::new();
///     while let Some((key, v)) = map.next().await {
///         got.push((key, v));
///     }
///     got.sort();
///     assert_eq!(got, [("a", 1), ("a", 2), ("b", 10)]);
///     assert!(map.is_empty()); // each stream was removed when it ended
/// });
/// ```
pub struct StreamMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> StreamMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        StreamMap {
            entries: Vec::new(),
        }
    }

    /// An empty map with room for `capacity` streams.
    pub fn with_capacity(capacity: usize) -> Self {
        StreamMap {
            entries: Vec::with_capacity(capacity),
        }
    }

    /// The number of streams.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds no stream.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes every stream.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The keys, in insertion order (a removal moves the last stream into the gap).
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The streams.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The streams, mutably.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// The keys and their streams.
    pub fn iter(&self) -> impl Iterator<Item = &(K, V)> {
        self.entries.iter()
    }

    /// The keys and their streams, the streams mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut (K, V)> {
        self.entries.iter_mut()
    }
}

impl<K: PartialEq, V> StreamMap<K, V> {
    /// Adds `stream` under `key`; the stream it replaces, if any.
    pub fn insert(&mut self, key: K, stream: V) -> Option<V> {
        let old = self.remove(&key);
        self.entries.push((key, stream));
        old
    }

    /// Removes the stream under `key`.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        let i = self.entries.iter().position(|(k, _)| k.borrow() == key)?;
        Some(self.entries.swap_remove(i).1)
    }

    /// Whether a stream is under `key`.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.entries.iter().any(|(k, _)| k.borrow() == key)
    }
}

impl<K, V> Default for StreamMap<K, V> {
    fn default() -> Self {
        StreamMap::new()
    }
}

impl<K: fmt::Debug, V> fmt::Debug for StreamMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamMap")
            .field("keys", &self.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<K, V> Stream for StreamMap<K, V>
where
    K: Clone + Unpin,
    V: Stream + Unpin,
{
    type Item = (K, V::Item);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let mut n = this.entries.len();
        if n == 0 {
            return Poll::Ready(None);
        }
        let mut i = anyrt_core::rand::below(n as u32) as usize;
        let mut tried = 0;
        while tried < n {
            match Pin::new(&mut this.entries[i].1).poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    return Poll::Ready(Some((this.entries[i].0.clone(), item)))
                }
                Poll::Ready(None) => {
                    // Ended: removed; the last entry moves into `i`, still to be tried.
                    this.entries.swap_remove(i);
                    n -= 1;
                    if n == 0 {
                        return Poll::Ready(None);
                    }
                    if i == n {
                        i = 0;
                    }
                }
                Poll::Pending => {
                    tried += 1;
                    i = if i + 1 == n { 0 } else { i + 1 };
                }
            }
        }
        Poll::Pending
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let mut low = 0usize;
        let mut high = Some(0usize);
        for (_, s) in &self.entries {
            let (l, h) = s.size_hint();
            low = low.saturating_add(l);
            high = match (high, h) {
                (Some(a), Some(b)) => a.checked_add(b),
                _ => None,
            };
        }
        (low, high)
    }
}

/// Two streams of one item type, merged: each poll starts from one of them at random (the
/// generator the simulation seeds); ends when both have.
///
/// ```
/// use futures_util::stream::{self, StreamExt};
///
/// anyrt::block_on(async {
///     let mut all: Vec<u32> = anyrt::stream::merge(stream::iter([1, 2]), stream::iter([3]))
///         .collect()
///         .await;
///     all.sort();
///     assert_eq!(all, [1, 2, 3]);
/// });
/// ```
pub fn merge<A, B>(a: A, b: B) -> Merge<A, B>
where
    A: Stream,
    B: Stream<Item = A::Item>,
{
    Merge {
        a: Some(a),
        b: Some(b),
    }
}

/// The stream of [`merge`].
#[derive(Debug)]
pub struct Merge<A, B> {
    a: Option<A>,
    b: Option<B>,
}

impl<A, B> Stream for Merge<A, B>
where
    A: Stream + Unpin,
    B: Stream<Item = A::Item> + Unpin,
{
    type Item = A::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<A::Item>> {
        let this = self.get_mut();
        let a_first = anyrt_core::rand::below(2) == 0;
        for turn in 0..2 {
            let item = if (turn == 0) == a_first {
                poll_side(&mut this.a, cx)
            } else {
                poll_side(&mut this.b, cx)
            };
            if let Poll::Ready(Some(item)) = item {
                return Poll::Ready(Some(item));
            }
        }
        if this.a.is_none() && this.b.is_none() {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}

/// Polls one side; an ended side becomes `None`.
fn poll_side<S: Stream + Unpin>(
    side: &mut Option<S>,
    cx: &mut Context<'_>,
) -> Poll<Option<S::Item>> {
    let Some(s) = side else {
        return Poll::Ready(None);
    };
    let r = Pin::new(s).poll_next(cx);
    if let Poll::Ready(None) = r {
        *side = None;
    }
    r
}
