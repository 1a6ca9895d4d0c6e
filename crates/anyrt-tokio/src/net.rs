//! Sockets on tokio's reactor: an `AsyncFd` registered with the IO driver of the tokio
//! runtime the calling thread is inside, else with the process-wide runtime's.

use std::fmt;
use std::io;
use std::task::{ready, Context, Poll};

use anyrt_core::net::{Interest, Io, Reactor};
use tokio::io::unix::AsyncFd;

use crate::{global, Tokio};

impl Reactor for Tokio {
    type Source<T: Io> = Source<T>;
}

/// A socket registered with a tokio runtime's IO driver. It works when polled from any
/// thread while that runtime runs; once the runtime has shut down, its operations fail
/// with an `io::Error`.
pub struct Source<T: Io>(AsyncFd<T>);

impl<T: Io> fmt::Debug for Source<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Source").field(self.0.get_ref()).finish()
    }
}

impl<T: Io> anyrt_core::net::Source<T> for Source<T> {
    fn new(io: T) -> io::Result<Self> {
        global::with_fallback_handle(|h| {
            let _entered = h.enter();
            // `AsyncFd::new`, not `register` (tokio 1.54, unsafe): anyrt supports tokio from
            // 1.47. What `register` asks the caller to promise holds for every `Io`: the
            // facade registers std sockets, which own their descriptor for their lifetime.
            #[allow(deprecated)]
            AsyncFd::new(io).map(Source)
        })
    }

    fn get_ref(&self) -> &T {
        self.0.get_ref()
    }

    fn into_inner(self) -> io::Result<T> {
        Ok(self.0.into_inner())
    }

    #[inline]
    fn poll_with<R>(
        &self,
        interest: Interest,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let mut guard = ready!(match interest {
                Interest::Read => self.0.poll_read_ready(cx),
                Interest::Write => self.0.poll_write_ready(cx),
            })?;
            // `try_io` clears the readiness only on `WouldBlock`; then wait again.
            if let Ok(res) = guard.try_io(|fd| op(fd.get_ref())) {
                return Poll::Ready(res);
            }
        }
    }
}
