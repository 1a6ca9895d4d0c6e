//! `AsyncReadExt` and `AsyncWriteExt`: futures-util's methods, tokio's integer reads and
//! writes, `read_buf`, `write_all_buf` and `shutdown`.

use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::io::{
    Chain, Close, Flush, Read, ReadExact, ReadToEnd, ReadToString, Take, Write, WriteAll,
};

/// Declares the integer reads: `name => type, from_bytes`.
macro_rules! read_nums {
    ($($(#[$doc:meta])* $name:ident => $ty:ty, $from:ident;)*) => {$(
        $(#[$doc])*
        fn $name(&mut self) -> ReadNum<'_, Self, $ty>
        where
            Self: Unpin,
        {
            ReadNum::new(self, |b| <$ty>::$from(b.try_into().unwrap()))
        }
    )*};
}

/// Declares the integer writes: `name => type, to_bytes`.
macro_rules! write_nums {
    ($($(#[$doc:meta])* $name:ident => $ty:ty, $to:ident;)*) => {$(
        $(#[$doc])*
        fn $name(&mut self, n: $ty) -> WriteNum<'_, Self>
        where
            Self: Unpin,
        {
            WriteNum::new(self, &n.$to())
        }
    )*};
}

/// Reading methods for every futures-io [`AsyncRead`], with tokio's names.
///
/// ```
/// use anyrt::io::AsyncReadExt;
///
/// anyrt::block_on(async {
///     let mut input: &[u8] = &[0, 0, 1, 0, 9, b'h', b'i'];
///     assert_eq!(input.read_u32().await.unwrap(), 256);
///     assert_eq!(input.read_u8().await.unwrap(), 9);
///     let mut rest = bytes::BytesMut::new();
///     while input.read_buf(&mut rest).await.unwrap() > 0 {}
///     assert_eq!(&rest[..], b"hi");
///     // Too few bytes left for a u16: end-of-file.
///     let err = input.read_u16().await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
/// });
/// ```
pub trait AsyncReadExt: AsyncRead {
    /// Reads some bytes into `buf`: how many (0 at end-of-file). Cancel-safe.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> Read<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read(self, buf)
    }

    /// Fills `buf`, or fails with `UnexpectedEof`. Not cancel-safe: bytes read before a drop
    /// are lost with it.
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadExact<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read_exact(self, buf)
    }

    /// Appends everything up to end-of-file to `buf`: how many bytes.
    fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> ReadToEnd<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read_to_end(self, buf)
    }

    /// Appends everything up to end-of-file to `buf`, which must be UTF-8 (`InvalidData`
    /// otherwise, with `buf` unchanged).
    fn read_to_string<'a>(&'a mut self, buf: &'a mut String) -> ReadToString<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read_to_string(self, buf)
    }

    /// Reads some bytes into the spare room of `buf` (a `BytesMut`, a `Vec<u8>`, ...), which
    /// grows if it has none: how many (0 at end-of-file). Cancel-safe.
    fn read_buf<'a, B: bytes::BufMut + ?Sized>(&'a mut self, buf: &'a mut B) -> ReadBuf<'a, Self, B>
    where
        Self: Unpin,
    {
        ReadBuf { reader: self, buf }
    }

    /// At most `limit` bytes of this reader.
    fn take(self, limit: u64) -> Take<Self>
    where
        Self: Sized,
    {
        futures_util::io::AsyncReadExt::take(self, limit)
    }

    /// This reader, then `next`.
    fn chain<R: AsyncRead>(self, next: R) -> Chain<Self, R>
    where
        Self: Sized,
    {
        futures_util::io::AsyncReadExt::chain(self, next)
    }

    read_nums! {
        /// Reads a `u8`.
        read_u8 => u8, from_be_bytes;
        /// Reads an `i8`.
        read_i8 => i8, from_be_bytes;
        /// Reads a big-endian `u16`.
        read_u16 => u16, from_be_bytes;
        /// Reads a big-endian `i16`.
        read_i16 => i16, from_be_bytes;
        /// Reads a big-endian `u32`.
        read_u32 => u32, from_be_bytes;
        /// Reads a big-endian `i32`.
        read_i32 => i32, from_be_bytes;
        /// Reads a big-endian `u64`.
        read_u64 => u64, from_be_bytes;
        /// Reads a big-endian `i64`.
        read_i64 => i64, from_be_bytes;
        /// Reads a big-endian `u128`.
        read_u128 => u128, from_be_bytes;
        /// Reads a big-endian `i128`.
        read_i128 => i128, from_be_bytes;
        /// Reads a big-endian `f32`.
        read_f32 => f32, from_be_bytes;
        /// Reads a big-endian `f64`.
        read_f64 => f64, from_be_bytes;
        /// Reads a little-endian `u16`.
        read_u16_le => u16, from_le_bytes;
        /// Reads a little-endian `i16`.
        read_i16_le => i16, from_le_bytes;
        /// Reads a little-endian `u32`.
        read_u32_le => u32, from_le_bytes;
        /// Reads a little-endian `i32`.
        read_i32_le => i32, from_le_bytes;
        /// Reads a little-endian `u64`.
        read_u64_le => u64, from_le_bytes;
        /// Reads a little-endian `i64`.
        read_i64_le => i64, from_le_bytes;
        /// Reads a little-endian `u128`.
        read_u128_le => u128, from_le_bytes;
        /// Reads a little-endian `i128`.
        read_i128_le => i128, from_le_bytes;
        /// Reads a little-endian `f32`.
        read_f32_le => f32, from_le_bytes;
        /// Reads a little-endian `f64`.
        read_f64_le => f64, from_le_bytes;
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}

/// Writing methods for every futures-io [`AsyncWrite`], with tokio's names.
///
/// ```
/// use anyrt::io::AsyncWriteExt;
///
/// anyrt::block_on(async {
///     let mut out = Vec::new();
///     out.write_u16(0x0102).await.unwrap();
///     out.write_u32_le(1).await.unwrap();
///     out.write_all(b"!").await.unwrap();
///     out.shutdown().await.unwrap();
///     assert_eq!(out, [1, 2, 1, 0, 0, 0, b'!']);
/// });
/// ```
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some of `buf`: how many bytes. Cancel-safe.
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> Write<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::write(self, buf)
    }

    /// Writes all of `buf`. Not cancel-safe: a dropped call may have written part of it.
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> WriteAll<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::write_all(self, buf)
    }

    /// Writes all of `buf`'s remaining bytes, advancing it as they go (so a dropped call
    /// leaves in `buf` exactly what was not written).
    fn write_all_buf<'a, B: bytes::Buf + ?Sized>(
        &'a mut self,
        buf: &'a mut B,
    ) -> WriteAllBuf<'a, Self, B>
    where
        Self: Unpin,
    {
        WriteAllBuf { writer: self, buf }
    }

    /// Flushes what is buffered. Cancel-safe.
    fn flush(&mut self) -> Flush<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::flush(self)
    }

    /// Flushes and shuts the writing side down (futures-io's `close`): the peer reads
    /// end-of-file.
    fn close(&mut self) -> Close<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::close(self)
    }

    /// tokio's name for [`close`](Self::close).
    fn shutdown(&mut self) -> Close<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::close(self)
    }

    write_nums! {
        /// Writes a `u8`.
        write_u8 => u8, to_be_bytes;
        /// Writes an `i8`.
        write_i8 => i8, to_be_bytes;
        /// Writes a big-endian `u16`.
        write_u16 => u16, to_be_bytes;
        /// Writes a big-endian `i16`.
        write_i16 => i16, to_be_bytes;
        /// Writes a big-endian `u32`.
        write_u32 => u32, to_be_bytes;
        /// Writes a big-endian `i32`.
        write_i32 => i32, to_be_bytes;
        /// Writes a big-endian `u64`.
        write_u64 => u64, to_be_bytes;
        /// Writes a big-endian `i64`.
        write_i64 => i64, to_be_bytes;
        /// Writes a big-endian `u128`.
        write_u128 => u128, to_be_bytes;
        /// Writes a big-endian `i128`.
        write_i128 => i128, to_be_bytes;
        /// Writes a big-endian `f32`.
        write_f32 => f32, to_be_bytes;
        /// Writes a big-endian `f64`.
        write_f64 => f64, to_be_bytes;
        /// Writes a little-endian `u16`.
        write_u16_le => u16, to_le_bytes;
        /// Writes a little-endian `i16`.
        write_i16_le => i16, to_le_bytes;
        /// Writes a little-endian `u32`.
        write_u32_le => u32, to_le_bytes;
        /// Writes a little-endian `i32`.
        write_i32_le => i32, to_le_bytes;
        /// Writes a little-endian `u64`.
        write_u64_le => u64, to_le_bytes;
        /// Writes a little-endian `i64`.
        write_i64_le => i64, to_le_bytes;
        /// Writes a little-endian `u128`.
        write_u128_le => u128, to_le_bytes;
        /// Writes a little-endian `i128`.
        write_i128_le => i128, to_le_bytes;
        /// Writes a little-endian `f32`.
        write_f32_le => f32, to_le_bytes;
        /// Writes a little-endian `f64`.
        write_f64_le => f64, to_le_bytes;
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}

/// The future of an integer read ([`AsyncReadExt::read_u32`], ...).
#[must_use = "futures do nothing unless polled"]
pub struct ReadNum<'a, R: ?Sized, T> {
    reader: &'a mut R,
    buf: [u8; 16],
    len: usize,
    filled: usize,
    from: fn(&[u8]) -> T,
    _out: PhantomData<fn() -> T>,
}

impl<'a, R: ?Sized, T> ReadNum<'a, R, T> {
    fn new(reader: &'a mut R, from: fn(&[u8]) -> T) -> Self {
        ReadNum {
            reader,
            buf: [0; 16],
            len: size_of::<T>(),
            filled: 0,
            from,
            _out: PhantomData,
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized, T> Future for ReadNum<'_, R, T> {
    type Output = io::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let this = self.get_mut();
        while this.filled < this.len {
            let dst = &mut this.buf[this.filled..this.len];
            let n = ready!(Pin::new(&mut *this.reader).poll_read(cx, dst))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "end-of-file after {} of the {} bytes of a number",
                        this.filled, this.len
                    ),
                )));
            }
            this.filled += n;
        }
        Poll::Ready(Ok((this.from)(&this.buf[..this.len])))
    }
}

/// The future of an integer write ([`AsyncWriteExt::write_u32`], ...).
#[must_use = "futures do nothing unless polled"]
pub struct WriteNum<'a, W: ?Sized> {
    writer: &'a mut W,
    buf: [u8; 16],
    len: usize,
    written: usize,
}

impl<'a, W: ?Sized> WriteNum<'a, W> {
    fn new(writer: &'a mut W, bytes: &[u8]) -> Self {
        let mut buf = [0; 16];
        buf[..bytes.len()].copy_from_slice(bytes);
        WriteNum {
            writer,
            buf,
            len: bytes.len(),
            written: 0,
        }
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteNum<'_, W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while this.written < this.len {
            let src = &this.buf[this.written..this.len];
            let n = ready!(Pin::new(&mut *this.writer).poll_write(cx, src))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.written += n;
        }
        Poll::Ready(Ok(()))
    }
}

/// The future of [`AsyncReadExt::read_buf`].
#[must_use = "futures do nothing unless polled"]
pub struct ReadBuf<'a, R: ?Sized, B: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut B,
}

impl<R: AsyncRead + Unpin + ?Sized, B: bytes::BufMut + ?Sized> Future for ReadBuf<'_, R, B> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.buf.has_remaining_mut() {
            return Poll::Ready(Ok(0));
        }
        // futures-io reads into initialised bytes: a stack buffer, then one copy into the
        // spare room (no unsafe code to hand uninitialised memory to a reader).
        let mut tmp = [0u8; 8192];
        let room = this.buf.chunk_mut().len().min(tmp.len());
        let n = ready!(Pin::new(&mut *this.reader).poll_read(cx, &mut tmp[..room]))?;
        this.buf.put_slice(&tmp[..n]);
        Poll::Ready(Ok(n))
    }
}

/// The future of [`AsyncWriteExt::write_all_buf`].
#[must_use = "futures do nothing unless polled"]
pub struct WriteAllBuf<'a, W: ?Sized, B: ?Sized> {
    writer: &'a mut W,
    buf: &'a mut B,
}

impl<W: AsyncWrite + Unpin + ?Sized, B: bytes::Buf + ?Sized> Future for WriteAllBuf<'_, W, B> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while this.buf.has_remaining() {
            let n = ready!(Pin::new(&mut *this.writer).poll_write(cx, this.buf.chunk()))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.buf.advance(n);
        }
        Poll::Ready(Ok(()))
    }
}

/// `Debug` for the futures above: what they have done so far.
macro_rules! progress_debug {
    ($($ty:ident<$($p:ident),*> { $($field:ident),* };)*) => {$(
        impl<$($p: ?Sized),*> fmt::Debug for $ty<'_, $($p),*> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    )*};
}

progress_debug! {
    WriteNum<W> { len, written };
    ReadBuf<R, B> {};
    WriteAllBuf<W, B> {};
}

impl<R: ?Sized, T> fmt::Debug for ReadNum<'_, R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadNum")
            .field("len", &self.len)
            .field("filled", &self.filled)
            .finish_non_exhaustive()
    }
}
