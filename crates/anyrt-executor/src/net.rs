//! Sockets on async-io's reactor, shared by the smol and async-std backends.

use std::fmt;
use std::io;
use std::task::{ready, Context, Poll};

use anyrt_core::net::{Interest, Io};
use async_io::Async;

/// A socket registered with async-io's reactor (process-wide: it works when polled from any
/// thread or runtime; the reactor is driven by whichever thread is in `async_io::block_on`,
/// else by async-io's own thread).
pub struct Source<T: Io>(Async<T>);

impl<T: Io> fmt::Debug for Source<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Source").field(self.0.get_ref()).finish()
    }
}

impl<T: Io> anyrt_core::net::Source<T> for Source<T> {
    fn new(io: T) -> io::Result<Self> {
        Async::new(io).map(Source)
    }

    fn get_ref(&self) -> &T {
        self.0.get_ref()
    }

    fn into_inner(self) -> io::Result<T> {
        self.0.into_inner()
    }

    // The operation first, readiness after a `WouldBlock`: async-io's own order (its
    // `poll_readable` reports an event since this task last saw `Pending`).
    #[inline]
    fn poll_with<R>(
        &self,
        interest: Interest,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            match op(self.0.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                res => return Poll::Ready(res),
            }
            ready!(match interest {
                Interest::Read => self.0.poll_readable(cx),
                Interest::Write => self.0.poll_writable(cx),
            })?;
        }
    }
}
