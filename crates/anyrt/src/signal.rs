//! Signals (feature `signal`, unix): [`ctrl_c`], and [`unix::signal`] for a stream of one
//! signal's deliveries, on every backend, with the names of `tokio::signal`.
//!
//! ```no_run
//! # async fn serve() {}
//! # anyrt::block_on(async {
//! // Run until Ctrl-C.
//! let mut server = anyrt::spawn(serve());
//! anyrt::signal::ctrl_c().await.expect("cannot listen to Ctrl-C");
//! server.abort();
//! # });
//! ```
//!
//! What to know, the same on every backend:
//! - **Every listener sees every delivery.** Several listeners of one signal, in one process,
//!   each get it. Deliveries that arrive before a listener is polled coalesce into one.
//! - **Only from registration on.** A listener sees the deliveries that arrive after it is
//!   created ([`ctrl_c`]: after its first poll).
//! - **The default action does not come back.** Once a listener of a signal has been
//!   registered, the process keeps the handler for good: after the last listener is dropped,
//!   `SIGINT` no longer terminates the process (as with tokio).
//! - **Bad numbers** ([`unix::SignalKind::from_raw`] of a number that is no signal, or of
//!   `SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`): an `InvalidInput` error naming it,
//!   never a panic.
//! - **A listener belongs to the backend in effect where it is created** (its reactor on
//!   tokio, smol and async-std: one handler, signal-hook-registry's, on all three) and works
//!   when polled from any runtime.
//! - **Under the sim backend** a real signal never reaches a simulation: the simulated
//!   process's listeners see only [`anyrt::sim::signal::raise`](crate::sim::signal::raise),
//!   at a step of the seeded schedule.
//!
//! Cancel safety: [`Signal::recv`](unix::Signal::recv) and [`ctrl_c`] are cancel-safe (a
//! delivery is taken only by the call that returns it; a dropped [`ctrl_c`] unregisters).

use std::io;

/// Waits for the next Ctrl-C (`SIGINT`) after the first poll of this future.
///
/// # Errors
///
/// The system refusing the handler.
///
/// ```
/// # #[cfg(feature = "sim")] {
/// use anyrt::{Backend, Runtime};
/// use anyrt::signal::unix::SignalKind;
///
/// // Under the simulation, a Ctrl-C is raised by the test.
/// let rt = Runtime::builder(Backend::Sim).build().unwrap();
/// rt.block_on(async {
///     let stop = anyrt::spawn(anyrt::signal::ctrl_c());
///     anyrt::task::yield_now().await; // the listener is registered at its first poll
///     anyrt::sim::signal::raise(SignalKind::interrupt());
///     stop.await.unwrap().unwrap();
/// });
/// # }
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    unix::signal(unix::SignalKind::interrupt())?.recv().await;
    Ok(())
}

/// Unix signals by number.
pub mod unix {
    use std::fmt;
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    #[doc(inline)]
    pub use anyrt_core::signal::SignalKind;
    #[allow(unused_imports)] // with no backend compiled in
    use anyrt_core::signal::{SignalOps, Signals};

    backend_enum! {
        enum SignalInner(<Signals>::Signal);
    }

    /// Listens to `kind` from now on, on the backend in effect here
    /// ([`Backend::selected`](crate::Backend::selected)).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a number that is no signal of this system or that no handler may
    /// take (`SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`); the system's otherwise.
    ///
    /// ```
    /// use anyrt::signal::unix::{signal, SignalKind};
    ///
    /// anyrt::block_on(async {
    ///     let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
    ///     # #[cfg(not(feature = "sim"))] {
    ///     unsafe { libc::raise(libc::SIGUSR1) };
    ///     assert_eq!(usr1.recv().await, Some(()));
    ///     # }
    ///
    ///     let err = signal(SignalKind::from_raw(libc::SIGKILL)).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// });
    /// ```
    pub fn signal(kind: SignalKind) -> io::Result<Signal> {
        let inner: io::Result<SignalInner> = dispatch!(anyrt_core::Backend::selected(), P, wrap = SignalInner => {
            <P as Signals>::signal(kind).map(wrap)
        });
        Ok(Signal { inner: inner? })
    }

    /// A listener of one signal ([`signal`]); also a `Stream` of its deliveries.
    pub struct Signal {
        inner: SignalInner,
    }

    impl Signal {
        /// The next delivery: `Some(())` once one (or several, coalesced) has arrived since
        /// the last; `None` when none can come any more (a listener's descriptors failing).
        ///
        /// Cancel-safe.
        pub async fn recv(&mut self) -> Option<()> {
            std::future::poll_fn(|cx| self.poll_recv(cx)).await
        }

        /// [`recv`](Self::recv) as a poll: `Pending` registers the task's waker.
        pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
            each_backend!(&mut self.inner, SignalInner, s, P => s.poll_recv(cx))
        }

        /// The signal it listens to.
        pub fn kind(&self) -> SignalKind {
            each_backend!(&self.inner, SignalInner, s, P => s.kind())
        }

        /// The backend it was created on.
        pub fn backend(&self) -> crate::Backend {
            backend_of!(&self.inner, SignalInner)
        }
    }

    impl futures_core::Stream for Signal {
        type Item = ();

        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
            self.get_mut().poll_recv(cx)
        }
    }

    impl fmt::Debug for Signal {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Signal")
                .field("kind", &self.kind())
                .field("backend", &self.backend())
                .finish()
        }
    }
}
