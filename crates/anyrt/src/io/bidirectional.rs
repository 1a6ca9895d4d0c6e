//! Two copies at once: tokio's `copy_bidirectional`.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// Copies `a` to `b` and `b` to `a` at the same time until both have reached end-of-file,
/// shutting each writing side down (futures-io's `close`) once its source is done: what a
/// proxy runs between a client and a server. Gives the bytes copied `a` → `b` and `b` → `a`.
///
/// # Errors
///
/// The first error of either side; the copy stops there (bytes already read from one side
/// and not yet written to the other are lost).
///
/// ```
/// use anyrt::io::{copy_bidirectional, duplex, AsyncReadExt, AsyncWriteExt};
///
/// anyrt::block_on(async {
///     let (mut client, mut proxy_a) = duplex(64);
///     let (mut proxy_b, mut server) = duplex(64);
///     let proxy = anyrt::spawn(async move {
///         copy_bidirectional(&mut proxy_a, &mut proxy_b).await
///     });
///     client.write_all(b"request").await.unwrap();
///     client.shutdown().await.unwrap();
///     let mut got = Vec::new();
///     server.read_to_end(&mut got).await.unwrap();
///     server.write_all(b"reply!").await.unwrap();
///     server.shutdown().await.unwrap();
///     let mut reply = Vec::new();
///     client.read_to_end(&mut reply).await.unwrap();
///     assert_eq!((got.as_slice(), reply.as_slice()), (&b"request"[..], &b"reply!"[..]));
///     assert_eq!(proxy.await.unwrap().unwrap(), (7, 6));
/// });
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut a_to_b = Copy::new();
    let mut b_to_a = Copy::new();
    poll_fn(|cx| {
        let ab = a_to_b.poll_copy(cx, &mut *a, &mut *b)?;
        let ba = b_to_a.poll_copy(cx, &mut *b, &mut *a)?;
        match (ab, ba) {
            (Poll::Ready(ab), Poll::Ready(ba)) => Poll::Ready(Ok((ab, ba))),
            _ => Poll::Pending,
        }
    })
    .await
}

/// One direction: a buffer between a read and its writes.
struct Copy {
    buf: Box<[u8]>,
    pos: usize,
    cap: usize,
    amount: u64,
    read_done: bool,
    need_flush: bool,
    closed: bool,
}

impl Copy {
    fn new() -> Copy {
        Copy {
            buf: vec![0; 8 * 1024].into_boxed_slice(),
            pos: 0,
            cap: 0,
            amount: 0,
            read_done: false,
            need_flush: false,
            closed: false,
        }
    }

    fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        r: &mut R,
        w: &mut W,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + Unpin + ?Sized,
        W: AsyncWrite + Unpin + ?Sized,
    {
        loop {
            if self.closed {
                return Poll::Ready(Ok(self.amount));
            }
            // Empty buffer: fill it.
            if self.pos == self.cap && !self.read_done {
                match Pin::new(&mut *r).poll_read(cx, &mut self.buf) {
                    Poll::Ready(Ok(0)) => self.read_done = true,
                    Poll::Ready(Ok(n)) => {
                        self.pos = 0;
                        self.cap = n;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {
                        // Nothing to read for now: what was written must not sit in a
                        // buffering writer meanwhile.
                        if self.need_flush {
                            ready!(Pin::new(&mut *w).poll_flush(cx))?;
                            self.need_flush = false;
                        }
                        return Poll::Pending;
                    }
                }
            }
            // Write out what is buffered.
            while self.pos < self.cap {
                let n = ready!(Pin::new(&mut *w).poll_write(cx, &self.buf[self.pos..self.cap]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "copy_bidirectional: the writer accepted no bytes",
                    )));
                }
                self.pos += n;
                self.amount += n as u64;
                self.need_flush = true;
            }
            if self.read_done {
                ready!(Pin::new(&mut *w).poll_close(cx))?;
                self.closed = true;
            }
        }
    }
}
