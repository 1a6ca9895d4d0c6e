//! `block_on` on the calling thread.

use std::future::Future;

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::local;
use anyrt_core::Backend;

/// Runs `future` to completion on the calling thread, on async-io's reactor (as smol's
/// `block_on`; a future ready at its first poll does not reach the reactor, see
/// [`anyrt_executor::block_on`]).
///
/// Inside it, `spawn` goes to the runtime the thread is already inside (in a blocking
/// closure of a `Runtime`), else to the process-wide runtime, and `spawn_local` works (local
/// tasks still pending when it returns are dropped). The calling thread does not run the
/// process-wide runtime's tasks; its workers do.
///
/// Does not check whether blocking is allowed here; the `anyrt` facade does.
#[inline]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let _context = context::enter(ThreadContext::async_on(Backend::Smol));
    local::scope(future, anyrt_executor::block_on)
}
