//! `block_on`: running a future to completion on the calling thread.

use std::future::Future;

use anyrt_core::context;
use anyrt_core::task::local;

use crate::task::ASYNC;

/// Runs `future` to completion on the calling thread, as `async_std::task::block_on` does.
///
/// Spawns inside it go to async-std's global runtime (or to the anyrt
/// [`Runtime`](crate::Runtime) the thread is inside, in one of its blocking closures);
/// `spawn_local` works inside it, and local tasks still pending when it returns are
/// dropped. Because it runs on `async_std::task::block_on`, async-std's task-locals and
/// `async_std::task::current()` work in the future itself.
///
/// This function does not check whether blocking is allowed here; `anyrt::block_on` does,
/// before calling it.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let _ctx = context::enter(ASYNC);
    // `async_std::task::block_on` rather than bare `async_io::block_on`: the future gets
    // async-std's task-locals (code moved from `#[async_std::main]` keeps working), and
    // async-std's thread-local executor (its `spawn_local`) is driven as natively.
    local::scope(future, async_std::task::block_on)
}
