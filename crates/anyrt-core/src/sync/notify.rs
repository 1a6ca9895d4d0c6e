use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

/// Wakes tasks without sending data.
///
/// [`notify_one`](Self::notify_one) wakes one waiter, or, if none is waiting, stores one
/// permit so the next [`notified`](Self::notified) returns at once (at most one permit is
/// stored). [`notify_waiters`](Self::notify_waiters) wakes every task waiting now and stores
/// nothing.
///
/// Built on `tokio::sync::Notify` (tokio's `sync` feature only: no runtime in it).
///
/// ```
/// anyrt::block_on(async {
///     use std::sync::Arc;
///
///     let notify = Arc::new(anyrt::sync::Notify::new());
///     let n2 = notify.clone();
///     std::thread::spawn(move || n2.notify_one());
///     notify.notified().await;
/// });
/// ```
pub struct Notify {
    inner: tokio::sync::Notify,
}

impl Notify {
    /// Creates a `Notify` with no stored permit. Usable in a `static`.
    ///
    /// ```
    /// static READY: anyrt::sync::Notify = anyrt::sync::Notify::new();
    /// READY.notify_one();
    /// ```
    pub const fn new() -> Self {
        Notify {
            inner: tokio::sync::Notify::const_new(),
        }
    }

    /// A future that completes when this task is notified.
    ///
    /// It consumes a stored permit if there is one. It counts as waiting for
    /// [`notify_waiters`](Self::notify_waiters) from the moment it is created (not first
    /// polled). [`Notified::enable`] registers it for `notify_one` too before the first poll.
    ///
    /// **Cancel-safe:** dropping a future that had received a `notify_one` wake-up passes
    /// the wake-up on to another waiter (or back as the stored permit): it is not lost.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let n = anyrt::sync::Notify::new();
    ///     n.notify_one(); // stored
    ///     n.notified().await; // consumes the permit
    /// });
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            inner: self.inner.notified(),
        }
    }

    /// Wakes one waiting task (the one that waited longest), or stores a permit for the next
    /// [`notified`](Self::notified) if none is waiting.
    ///
    /// ```
    /// let n = anyrt::sync::Notify::new();
    /// n.notify_one();
    /// n.notify_one(); // still one permit
    /// ```
    pub fn notify_one(&self) {
        self.inner.notify_one()
    }

    /// Like [`notify_one`](Self::notify_one), but wakes the task that started waiting last.
    ///
    /// ```
    /// anyrt::sync::Notify::new().notify_last();
    /// ```
    pub fn notify_last(&self) {
        self.inner.notify_last()
    }

    /// Wakes every task waiting now (every [`Notified`] created before this call). Stores
    /// no permit.
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let n = anyrt::sync::Notify::new();
    ///     let a = n.notified();
    ///     let b = n.notified();
    ///     n.notify_waiters();
    ///     a.await;
    ///     b.await;
    /// });
    /// ```
    pub fn notify_waiters(&self) {
        self.inner.notify_waiters()
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify").finish_non_exhaustive()
    }
}

pin_project! {
    /// The future of [`Notify::notified`]. Cancel-safe (see there).
    ///
    /// ```
    /// anyrt::block_on(async {
    ///     let n = anyrt::sync::Notify::new();
    ///     let fut: anyrt::sync::Notified<'_> = n.notified();
    ///     n.notify_waiters();
    ///     fut.await;
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Notified<'a> {
        #[pin]
        inner: tokio::sync::futures::Notified<'a>,
    }
}

impl Notified<'_> {
    /// Registers this future as a waiter for `notify_one` without polling it; returns
    /// `true` if it has already been notified. Use it to avoid missing a `notify_one` sent
    /// between creating the future and awaiting it.
    ///
    /// ```
    /// let n = anyrt::sync::Notify::new();
    /// let mut fut = std::pin::pin!(n.notified());
    /// assert!(!fut.as_mut().enable());
    /// n.notify_one();
    /// assert!(fut.as_mut().enable());
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.project().inner.enable()
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        std::task::ready!(crate::coop::poll_proceed_unless_tokio(cx));
        self.project().inner.poll(cx)
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").finish_non_exhaustive()
    }
}
