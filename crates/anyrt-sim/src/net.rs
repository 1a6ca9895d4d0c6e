//! The network half of the contract (feature `net`): not built yet. Every socket made under
//! the simulation fails with `Unsupported`, naming the way out, rather than running on a
//! real reactor whose readiness the virtual clock cannot see (a timeout around a real
//! accept would fire at once, since time jumps while the socket waits).

use std::convert::Infallible;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::task::{Context, Poll};

use anyrt_core::net::{Io, Reactor, Source};

use crate::Sim;

/// What `anyrt::net` says under the simulation.
pub const NET_UNSUPPORTED: &str = "anyrt::net is not available on the sim backend yet: its \
     in-memory network is still to come. Run the tests that open sockets on tokio, smol or \
     async-std (`#[anyrt::test(tokio, smol, async_std)]`)";

impl Reactor for Sim {
    type Source<T: Io> = NoNetwork<T>;
}

/// The source of the simulation: never built ([`Source::new`] fails).
pub struct NoNetwork<T>(Infallible, PhantomData<fn() -> T>);

impl<T> fmt::Debug for NoNetwork<T> {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {}
    }
}

impl<T: Io> Source<T> for NoNetwork<T> {
    fn new(_: T) -> io::Result<Self> {
        Err(io::Error::new(io::ErrorKind::Unsupported, NET_UNSUPPORTED))
    }
    fn get_ref(&self) -> &T {
        match self.0 {}
    }
    fn into_inner(self) -> io::Result<T> {
        match self.0 {}
    }
    fn poll_read_with<R>(
        &self,
        _: &mut Context<'_>,
        _: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        match self.0 {}
    }
    fn poll_write_with<R>(
        &self,
        _: &mut Context<'_>,
        _: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        match self.0 {}
    }
}
