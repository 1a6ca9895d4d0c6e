//! What every stream shares (TCP and Unix streams and their owned halves): reads, writes
//! and shutdown through the contract's `StreamOps`, and the IO trait impls.

/// What the IO trait impls call on the `backend_enum!` of a stream kind: each method is
/// `StreamOps`'s of the backend's stream (`shutdown_write`: the write side's shutdown, which
/// the peer reads as end-of-file; already shut down or disconnected is not an error).
macro_rules! stream_io_enum {
    ($io:ident) => {
        impl $io {
            #[inline]
            pub(crate) fn poll_read(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                forward!(self, $io, StreamOps::poll_read(cx, buf))
            }

            #[cfg(any(feature = "tokio-io", feature = "hyper"))]
            #[inline]
            pub(crate) fn poll_read_uninit(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [std::mem::MaybeUninit<u8>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                forward!(self, $io, StreamOps::poll_read_uninit(cx, buf))
            }

            #[inline]
            pub(crate) fn poll_write(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                forward!(self, $io, StreamOps::poll_write(cx, buf))
            }

            #[inline]
            pub(crate) fn poll_write_vectored(
                &self,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                forward!(self, $io, StreamOps::poll_write_vectored(cx, bufs))
            }

            pub(crate) fn shutdown_write(&self) -> std::task::Poll<std::io::Result<()>> {
                let shutdown: std::io::Result<()> =
                    forward!(self, $io, StreamOps::shutdown(std::net::Shutdown::Write));
                match shutdown {
                    // Already shut down, or the peer went away: nothing left to close.
                    Err(e) if e.kind() == std::io::ErrorKind::NotConnected => {
                        std::task::Poll::Ready(Ok(()))
                    }
                    r => std::task::Poll::Ready(r),
                }
            }
        }
    };
}

/// The write methods futures' `AsyncWrite`, tokio's and hyper's `rt::Write` share (the same
/// signatures), given how to reach a stream's socket enum from `&self` and the name of the
/// trait's shutdown method (`poll_close` for futures, `poll_shutdown` for the others).
macro_rules! write_methods {
    (|$this:ident| $reg:expr, $shutdown:ident) => {
        #[inline]
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let $this = &*self;
            ($reg).poll_write(cx, buf)
        }

        fn poll_write_vectored(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            bufs: &[std::io::IoSlice<'_>],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let $this = &*self;
            ($reg).poll_write_vectored(cx, bufs)
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }

        /// Shuts the write side down: the peer reads end-of-file.
        fn $shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            let $this = &*self;
            ($reg).shutdown_write()
        }
    };
}

/// futures-io `AsyncRead`/`AsyncWrite` (and tokio's with `tokio-io`, hyper's with `hyper`)
/// for a stream type, given how to reach its socket enum from `&self`.
macro_rules! impl_stream_io {
    ($ty:ty, |$this:ident| $reg:expr) => {
        impl futures_io::AsyncRead for $ty {
            #[inline]
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                ($reg).poll_read(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            write_methods!(|$this| $reg, poll_close);
        }

        #[cfg(feature = "tokio-io")]
        impl tokio_io::io::AsyncRead for $ty {
            #[inline]
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio_io::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = &*self;
                let n = std::task::ready!(($reg).poll_read_uninit(
                    cx,
                    // SAFETY: only written to (by `read(2)`), never de-initialised.
                    #[allow(unsafe_code)]
                    unsafe {
                        buf.unfilled_mut()
                    }
                ))?;
                // SAFETY: `read(2)` initialised the first `n` bytes of the unfilled part.
                #[allow(unsafe_code)]
                unsafe {
                    buf.assume_init(n)
                };
                buf.advance(n);
                std::task::Poll::Ready(Ok(()))
            }
        }

        #[cfg(feature = "tokio-io")]
        impl tokio_io::io::AsyncWrite for $ty {
            write_methods!(|$this| $reg, poll_shutdown);

            fn is_write_vectored(&self) -> bool {
                true
            }
        }

        #[cfg(feature = "hyper")]
        impl hyper::rt::Read for $ty {
            #[inline]
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                mut buf: hyper::rt::ReadBufCursor<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = &*self;
                let n = std::task::ready!(($reg).poll_read_uninit(
                    cx,
                    // SAFETY: only written to (by `read(2)`), never de-initialised.
                    #[allow(unsafe_code)]
                    unsafe {
                        buf.as_mut()
                    }
                ))?;
                // SAFETY: `read(2)` initialised the first `n` bytes of the cursor.
                #[allow(unsafe_code)]
                unsafe {
                    buf.advance(n)
                };
                std::task::Poll::Ready(Ok(()))
            }
        }

        #[cfg(feature = "hyper")]
        impl hyper::rt::Write for $ty {
            write_methods!(|$this| $reg, poll_shutdown);

            fn is_write_vectored(&self) -> bool {
                true
            }
        }
    };
}

/// The owned read and write halves of a stream type (`into_split`, `reunite`).
macro_rules! owned_halves {
    ($stream:ident, $addr:ty, $what:literal) => {
        /// The read half of a
        #[doc = concat!("[`", stringify!($stream), "`](super::", stringify!($stream), ")")]
        /// from `into_split`: reads (futures' `AsyncRead`, and tokio's with `tokio-io`).
        /// Dropping it leaves the write half working.
        #[derive(Debug)]
        pub struct OwnedReadHalf {
            pub(super) inner: std::sync::Arc<$stream>,
        }

        /// The write half of a
        #[doc = concat!("[`", stringify!($stream), "`](super::", stringify!($stream), ")")]
        /// from `into_split`: writes. Dropping it shuts the write side down (the peer reads
        /// end-of-file), as tokio's does; [`forget`](Self::forget) drops it without that.
        #[derive(Debug)]
        pub struct OwnedWriteHalf {
            pub(super) inner: std::sync::Arc<$stream>,
            pub(super) shutdown_on_drop: bool,
        }

        /// The error of `reunite` with halves of two different streams: both are handed
        /// back.
        #[derive(Debug)]
        #[non_exhaustive]
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(
                    f,
                    concat!(
                        "tried to reunite halves of two different ",
                        $what,
                        "s: pass the halves that into_split returned together"
                    )
                )
            }
        }

        impl std::error::Error for ReuniteError {}

        pub(super) fn split(stream: $stream) -> (OwnedReadHalf, OwnedWriteHalf) {
            let inner = std::sync::Arc::new(stream);
            (
                OwnedReadHalf {
                    inner: inner.clone(),
                },
                OwnedWriteHalf {
                    inner,
                    shutdown_on_drop: true,
                },
            )
        }

        pub(super) fn reunite(
            read: OwnedReadHalf,
            mut write: OwnedWriteHalf,
        ) -> Result<$stream, ReuniteError> {
            if !std::sync::Arc::ptr_eq(&read.inner, &write.inner) {
                return Err(ReuniteError(read, write));
            }
            write.shutdown_on_drop = false;
            let inner = write.inner.clone();
            drop(write);
            drop(read);
            Ok(std::sync::Arc::try_unwrap(inner)
                .unwrap_or_else(|_| unreachable!("only the two halves held the stream")))
        }

        impl OwnedReadHalf {
            /// Puts the stream back together with its write half.
            ///
            /// # Errors
            ///
            /// Halves of two different streams: both are handed back.
            pub fn reunite(self, other: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
                reunite(self, other)
            }

            /// Reads into `buf`; `Ok(0)` at end-of-file. Cancel-safe.
            ///
            /// # Errors
            ///
            /// The system's (a reset peer: `ConnectionReset`).
            pub async fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.inner.read(buf).await
            }

            /// The peer's address.
            ///
            /// # Errors
            ///
            /// The system's.
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.inner.peer_addr()
            }

            /// The local address.
            ///
            /// # Errors
            ///
            /// The system's.
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.inner.local_addr()
            }
        }

        impl OwnedWriteHalf {
            /// Puts the stream back together with its read half.
            ///
            /// # Errors
            ///
            /// Halves of two different streams: both are handed back.
            pub fn reunite(self, other: OwnedReadHalf) -> Result<$stream, ReuniteError> {
                reunite(other, self)
            }

            /// Drops the half without shutting the write side down.
            pub fn forget(mut self) {
                self.shutdown_on_drop = false;
            }

            /// Writes some of `buf` (one system call); the count written. Cancel-safe.
            ///
            /// # Errors
            ///
            /// The system's (`BrokenPipe` once the peer has gone).
            pub async fn write(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.inner.write(buf).await
            }

            /// The peer's address.
            ///
            /// # Errors
            ///
            /// The system's.
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.inner.peer_addr()
            }

            /// The local address.
            ///
            /// # Errors
            ///
            /// The system's.
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.inner.local_addr()
            }
        }

        impl Drop for OwnedWriteHalf {
            fn drop(&mut self) {
                if self.shutdown_on_drop {
                    let _ = self.inner.io.shutdown_write();
                }
            }
        }

        impl_stream_io!(OwnedReadHalf, |this| &this.inner.io);
        impl_stream_io!(OwnedWriteHalf, |this| &this.inner.io);

        /// The read half of a
        #[doc = concat!("[`", stringify!($stream), "`](super::", stringify!($stream), ")")]
        /// borrowed by `split` (tokio's): reads, while the [`WriteHalf`] writes.
        #[derive(Debug)]
        pub struct ReadHalf<'a> {
            pub(super) inner: &'a $stream,
        }

        /// The write half of a
        #[doc = concat!("[`", stringify!($stream), "`](super::", stringify!($stream), ")")]
        /// borrowed by `split` (tokio's): writes. Dropping it does not shut the write side
        /// down (`shutdown()`/`close()` does).
        #[derive(Debug)]
        pub struct WriteHalf<'a> {
            pub(super) inner: &'a $stream,
        }

        impl_stream_io!(ReadHalf<'_>, |this| &this.inner.io);
        impl_stream_io!(WriteHalf<'_>, |this| &this.inner.io);
    };
}
