//! Helpers shared by the test binaries.
#![allow(dead_code, unused_imports)]

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

pub(crate) use anyrt_test_support::{
    plain_block_on, thread_name, within_thread as within, DropSignal, LIMIT,
};

/// Polls `f` once with a no-op waker.
pub(crate) fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls an unpinned future once.
pub(crate) fn poll_once_owned<F: Future>(f: F) -> Poll<F::Output> {
    poll_once(pin!(f))
}
