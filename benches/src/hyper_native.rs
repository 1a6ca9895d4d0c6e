//! The native side of the hyper benchmark: hyper 1.x's `rt::Read`/`rt::Write` over each
//! backend's own socket, as a user without anyrt writes them. On tokio, hyper-util's
//! `TokioIo` (reproduced: tokio's `ReadBuf` over hyper's uninitialised buffer); on smol and
//! async-std (which has no hyper adapter; its `TcpStream` wraps the same type), async-io's
//! `Async<TcpStream>`, reading with `read(2)` into hyper's buffer and waiting with
//! `poll_readable`.

use std::io;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// tokio's stream for hyper (hyper-util's `TokioIo`).
#[derive(Debug)]
pub struct TokioIo<T>(pub T);

impl<T: tokio::io::AsyncRead + Unpin> hyper::rt::Read for TokioIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let n = {
            // SAFETY: tokio's `ReadBuf` only writes to the uninitialised part it is given.
            let mut tbuf = tokio::io::ReadBuf::uninit(unsafe { buf.as_mut() });
            ready!(Pin::new(&mut self.0).poll_read(cx, &mut tbuf))?;
            tbuf.filled().len()
        };
        // SAFETY: `poll_read` initialised the first `n` bytes.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: tokio::io::AsyncWrite + Unpin> hyper::rt::Write for TokioIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// async-io's stream for hyper.
#[derive(Debug)]
pub struct AsyncIo(pub async_io::Async<std::net::TcpStream>);

impl hyper::rt::Read for AsyncIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            // SAFETY: `read(2)` only writes to the buffer, at most its length.
            let dst = unsafe { buf.as_mut() };
            // SAFETY: `dst` is valid for writes of `dst.len()` bytes.
            let n = unsafe {
                libc::read(
                    self.0.get_ref().as_raw_fd(),
                    dst.as_mut_ptr().cast(),
                    dst.len(),
                )
            };
            if n >= 0 {
                // SAFETY: `read(2)` initialised the first `n` bytes.
                unsafe { buf.advance(n as usize) };
                return Poll::Ready(Ok(()));
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::WouldBlock {
                return Poll::Ready(Err(e));
            }
            ready!(self.0.poll_readable(cx))?;
        }
    }
}

impl hyper::rt::Write for AsyncIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        futures_lite::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        futures_lite::AsyncWrite::poll_write_vectored(Pin::new(&mut self.0), cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_lite::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_lite::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}
