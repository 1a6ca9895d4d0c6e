//! IO utilities over the futures-io traits (feature `io`; no runtime needed): what a
//! protocol implementation needs on top of `AsyncRead`/`AsyncWrite`, with tokio's names so
//! that a port of `tokio::io` code is a rename.
//!
//! Most of it is futures-util's `io` module, re-exported: [`BufReader`], [`BufWriter`],
//! [`copy`], [`copy_buf`], [`split`], [`empty`], [`sink`], [`repeat`], [`Cursor`],
//! [`AsyncBufReadExt`] (with `lines()`, a `Stream` of lines). Written here, since no
//! well-kept crate has them for these traits:
//! - [`AsyncReadExt`] and [`AsyncWriteExt`]: futures-util's methods (`read_exact`,
//!   `read_to_end`, `write_all`, `flush`, `close`, ...) plus tokio's integer reads and writes
//!   (`read_u32`, `write_u64_le`, ...), `read_buf` into a [`bytes::BufMut`] and
//!   `write_all_buf` from a [`bytes::Buf`], and `shutdown()` (futures-io's `close`);
//! - [`duplex`]: an in-memory pipe with a bounded buffer, both ways;
//! - [`copy_bidirectional`]: a proxy's two copies at once.
//!
//! Both trait families: every type here implements futures-io's traits; [`DuplexStream`]
//! also tokio's with feature `tokio-io`, as `anyrt::net`'s streams do, so tokio's own
//! `tokio::io` utilities work on them too.
//!
//! ```
//! use anyrt::io::{duplex, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
//!
//! anyrt::block_on(async {
//!     let (mut client, server) = duplex(64);
//!     client.write_u32(7).await?;
//!     client.write_all(b"hello\nworld\n").await?;
//!     client.shutdown().await?;
//!
//!     let mut server = BufReader::new(server);
//!     assert_eq!(server.read_u32().await?, 7);
//!     let mut line = String::new();
//!     server.read_line(&mut line).await?;
//!     assert_eq!(line, "hello\n");
//!     let mut rest = Vec::new();
//!     server.read_to_end(&mut rest).await?;
//!     assert_eq!(rest, b"world\n");
//!     Ok::<_, std::io::Error>(())
//! })
//! .unwrap();
//! ```
//!
//! Cancel safety (tokio's rules): `read`, `read_buf`, `write`, `flush` and `shutdown` are
//! cancel-safe; `read_exact`, the integer reads, `read_to_end` and `read_to_string` may have
//! consumed data when dropped (what they read is lost with them); `write_all`,
//! `write_all_buf` and the integer writes may have written part of their bytes.

mod bidirectional;
mod duplex;
mod ext;

pub use bidirectional::copy_bidirectional;
pub use duplex::{duplex, DuplexStream};
pub use ext::{AsyncReadExt, AsyncWriteExt, ReadBuf, ReadNum, WriteAllBuf, WriteNum};

#[doc(no_inline)]
pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
#[doc(no_inline)]
pub use futures_util::io::{
    copy, copy_buf, empty, repeat, sink, AsyncBufReadExt, AsyncSeekExt, BufReader, BufWriter,
    Cursor, Empty, Lines, ReadHalf, Repeat, Sink, WriteHalf,
};

/// Splits one stream into a reading half and a writing half that can move to different
/// tasks (futures-util's, a lock shared by the halves; `ReadHalf::reunite` joins them).
///
/// ```
/// use anyrt::io::{duplex, split, AsyncReadExt, AsyncWriteExt};
///
/// anyrt::block_on(async {
///     let (a, mut b) = duplex(16);
///     let (mut read, mut write) = split(a);
///     write.write_all(b"ping").await.unwrap();
///     let mut got = [0u8; 4];
///     b.read_exact(&mut got).await.unwrap();
///     b.write_all(&got).await.unwrap();
///     read.read_exact(&mut got).await.unwrap();
///     assert_eq!(&got, b"ping");
/// });
/// ```
pub fn split<T: AsyncRead + AsyncWrite>(stream: T) -> (ReadHalf<T>, WriteHalf<T>) {
    futures_util::io::AsyncReadExt::split(stream)
}
