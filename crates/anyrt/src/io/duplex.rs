//! An in-memory pipe, both ways: tokio's `duplex`.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// A pair of connected in-memory streams: what one writes, the other reads, through a
/// buffer of at most `max_buf_size` bytes each way (a write waits while it is full).
///
/// Dropping a stream, or `shutdown()` (futures-io's `close`) on it, ends what the other
/// reads with end-of-file once the buffered bytes are read; a write to a stream whose peer
/// is dropped fails with `BrokenPipe`.
///
/// # Panics
///
/// If `max_buf_size` is 0 (no write could ever complete).
///
/// ```
/// use anyrt::io::{duplex, AsyncReadExt, AsyncWriteExt};
///
/// anyrt::block_on(async {
///     let (mut a, mut b) = duplex(4);
///     let writer = anyrt::spawn(async move {
///         a.write_all(b"more than four bytes").await.unwrap(); // waits for the reader
///     });
///     let mut all = String::new();
///     b.read_to_string(&mut all).await.unwrap(); // end-of-file once `a` is dropped
///     writer.await.unwrap();
///     assert_eq!(all, "more than four bytes");
/// });
/// ```
#[track_caller]
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    assert!(
        max_buf_size > 0,
        "anyrt::io::duplex(0): a pipe with no room could never carry a byte; give a size > 0"
    );
    let one = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    let two = Arc::new(Mutex::new(Pipe::new(max_buf_size)));
    (
        DuplexStream {
            read: one.clone(),
            write: two.clone(),
        },
        DuplexStream {
            read: two,
            write: one,
        },
    )
}

/// One end of a [`duplex`] pipe: futures-io's `AsyncRead`/`AsyncWrite`, and tokio's with
/// feature `tokio-io`.
pub struct DuplexStream {
    read: Arc<Mutex<Pipe>>,
    write: Arc<Mutex<Pipe>>,
}

/// One direction. Its methods hand back the waker to wake, which the caller wakes after
/// releasing the lock: a wake may drop a task (a runtime shutting down) whose other end of
/// this pipe takes the same lock in its `Drop`.
struct Pipe {
    buf: VecDeque<u8>,
    max: usize,
    /// No more bytes will come: the writer closed or dropped its end.
    write_closed: bool,
    /// Nobody will read: the reader dropped its end.
    read_closed: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

impl Pipe {
    fn new(max: usize) -> Pipe {
        Pipe {
            buf: VecDeque::new(),
            max,
            write_closed: false,
            read_closed: false,
            read_waker: None,
            write_waker: None,
        }
    }

    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> (Poll<io::Result<usize>>, Option<Waker>) {
        if self.buf.is_empty() {
            if self.write_closed || dst.is_empty() {
                return (Poll::Ready(Ok(0)), None);
            }
            set_waker(&mut self.read_waker, cx);
            return (Poll::Pending, None);
        }
        let n = dst.len().min(self.buf.len());
        for (d, s) in dst.iter_mut().zip(self.buf.drain(..n)) {
            *d = s;
        }
        (Poll::Ready(Ok(n)), self.write_waker.take())
    }

    fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> (Poll<io::Result<usize>>, Option<Waker>) {
        if self.read_closed {
            let e = io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the other end of the duplex pipe was dropped",
            );
            return (Poll::Ready(Err(e)), None);
        }
        if self.write_closed {
            let e = io::Error::new(
                io::ErrorKind::BrokenPipe,
                "this end of the duplex pipe was shut down for writing",
            );
            return (Poll::Ready(Err(e)), None);
        }
        let room = self.max - self.buf.len();
        if room == 0 {
            set_waker(&mut self.write_waker, cx);
            return (Poll::Pending, None);
        }
        let n = room.min(src.len());
        self.buf.extend(&src[..n]);
        (Poll::Ready(Ok(n)), self.read_waker.take())
    }

    fn close_write(&mut self) -> Option<Waker> {
        self.write_closed = true;
        self.read_waker.take()
    }

    /// Also drops the bytes nobody will read.
    fn close_read(&mut self) -> (Option<Waker>, VecDeque<u8>) {
        self.read_closed = true;
        (self.write_waker.take(), std::mem::take(&mut self.buf))
    }
}

/// Wakes what a [`Pipe`] method handed back, once its lock is released.
fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

fn set_waker(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) => w.clone_from(cx.waker()),
        None => *slot = Some(cx.waker().clone()),
    }
}

fn lock(pipe: &Mutex<Pipe>) -> MutexGuard<'_, Pipe> {
    pipe.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DuplexStream {
    fn read_side(&self, cx: &mut Context<'_>, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        let (poll, waker) = lock(&self.read).poll_read(cx, dst);
        wake(waker);
        poll
    }

    fn write_side(&self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        let (poll, waker) = lock(&self.write).poll_write(cx, src);
        wake(waker);
        poll
    }

    fn shutdown_write(&self) {
        let waker = lock(&self.write).close_write();
        wake(waker);
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        self.shutdown_write();
        let (waker, unread) = lock(&self.read).close_read();
        drop(unread);
        wake(waker);
    }
}

impl fmt::Debug for DuplexStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let read = lock(&self.read);
        f.debug_struct("DuplexStream")
            .field("max_buf_size", &read.max)
            .field("readable", &read.buf.len())
            .finish_non_exhaustive()
    }
}

impl futures_io::AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.read_side(cx, buf)
    }
}

/// One `AsyncWrite` body for futures-io's trait and tokio's (whose `close` is `shutdown`).
macro_rules! duplex_write {
    ($close:ident) => {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.write_side(cx, buf)
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn $close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.shutdown_write();
            Poll::Ready(Ok(()))
        }
    };
}

impl futures_io::AsyncWrite for DuplexStream {
    duplex_write!(poll_close);
}

#[cfg(feature = "tokio-io")]
impl tokio_io::io::AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio_io::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = std::task::ready!(self.read_side(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "tokio-io")]
impl tokio_io::io::AsyncWrite for DuplexStream {
    duplex_write!(poll_shutdown);
}
