//! [`File`]: an open file with the IO traits, buffered as `tokio::fs::File` is.

use std::fmt;
use std::io::{self, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use anyrt_core::fs::{FileHandle, Metadata};
use anyrt_core::Backend;

use super::{run_on, BoxFuture, OpenOptions};

/// The most bytes one read or write of a [`File`] moves (tokio's default).
const MAX_BUF: usize = 2 * 1024 * 1024;

/// An open file, on every backend, as `tokio::fs::File`: futures' `AsyncRead`,
/// `AsyncWrite` and `AsyncSeek` (tokio's with feature `tokio-io`), and `sync_all`,
/// `set_len`, `metadata`, ...
///
/// ```
/// use anyrt::fs::File;
/// use anyrt::io::{AsyncReadExt, AsyncWriteExt};
///
/// # anyrt::block_on(async {
/// let path = std::env::temp_dir().join(format!("anyrt-file-doc-{}", std::process::id()));
/// let mut file = File::create(&path).await?;
/// file.write_all(b"ten bytes!").await?;
/// file.sync_all().await?; // waits for the write, then makes it durable
///
/// let mut back = String::new();
/// File::open(&path).await?.read_to_string(&mut back).await?;
/// assert_eq!(back, "ten bytes!");
/// # anyrt::fs::remove_file(&path).await?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
///
/// **Buffered as tokio's.** A write copies the bytes (up to 2 MiB) and returns at once; the
/// write runs in the background, and its error (a full disk, say) comes back from the next
/// call: a write, a `flush`, `sync_all`. Flush (or `sync_all`) before dropping a file whose
/// last write's result matters: a dropped file's last write still runs, but its error is
/// lost. A read fills a buffer of up to the caller's size and gives from it.
///
/// **Cancel safety.** Dropping a read future (a `read`, `read_exact`, ...) leaves the read
/// running: its bytes are not lost, the next read gives them. Dropping a write future
/// after it returned `Pending` (only a write waiting for the one before): nothing of it was
/// taken. The file's position is the one after the last completed call as seen through this
/// `File` (reads ahead into the buffer are seeked back before a write or seek).
pub struct File {
    backend: Backend,
    handle: Arc<dyn FileHandle>,
    state: State,
    /// The kind of the failure of a background write, given by the next call.
    last_write_err: Option<io::Error>,
    /// The position the last completed seek gave.
    pos: u64,
    /// A seek of futures' `poll_seek` is in flight.
    seeking: bool,
}

enum State {
    Idle(Option<Buf>),
    Busy(BoxFuture<(Operation, Buf)>),
}

enum Operation {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
}

impl File {
    pub(crate) fn new(backend: Backend, handle: Arc<dyn FileHandle>) -> File {
        File {
            backend,
            handle,
            state: State::Idle(Some(Buf::default())),
            last_write_err: None,
            pos: 0,
            seeking: false,
        }
    }

    /// Opens `path` for reading.
    ///
    /// # Errors
    ///
    /// `NotFound`, `PermissionDenied`, ...
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens `path` for writing, made if missing, truncated if not.
    ///
    /// # Errors
    ///
    /// `NotFound` (a missing directory), `PermissionDenied`, `IsADirectory`, ...
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Makes `path` and opens it for writing, failing with `AlreadyExists` if it exists.
    ///
    /// # Errors
    ///
    /// `AlreadyExists`, `NotFound` (a missing directory), ...
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// [`OpenOptions::new`].
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps a `std::fs::File` opened elsewhere: its calls run on the blocking pool of the
    /// backend in effect here (under the sim backend, on the machine's disk, not simulated).
    pub fn from_std(std: std::fs::File) -> File {
        File::new(
            Backend::selected(),
            Arc::new(anyrt_core::fs::os::OsFile(std)),
        )
    }

    /// The `std::fs::File` behind it (a duplicate of its descriptor, sharing its position),
    /// once the call in flight has finished.
    ///
    /// # Errors
    ///
    /// The in-flight write's; `Unsupported` for a file of the simulation's file system.
    pub async fn into_std(mut self) -> io::Result<std::fs::File> {
        self.complete().await?;
        match self.handle.as_std() {
            Some(std) => std.try_clone(),
            None => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "this file is on the simulation's in-memory file system: it has no std::fs::File",
            )),
        }
    }

    /// The backend whose blocking pool (or simulated disk) it is on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Waits for the call in flight (a background write's error is returned here).
    async fn complete(&mut self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_idle(cx)).await
    }

    /// Runs `op` on the handle once the call in flight has finished.
    async fn call<T, F>(&mut self, op: F) -> io::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn FileHandle) -> io::Result<T> + Send + 'static,
    {
        self.complete().await?;
        let handle = self.handle.clone();
        run_on(self.backend, move || op(&*handle)).await
    }

    /// Makes the file's contents and metadata durable, after the write in flight.
    ///
    /// # Errors
    ///
    /// The write in flight's; the system's (`EIO`).
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.call(|h| h.sync_all()).await
    }

    /// Makes the file's contents durable, after the write in flight.
    ///
    /// # Errors
    ///
    /// As [`sync_all`](Self::sync_all).
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.call(|h| h.sync_data()).await
    }

    /// Truncates or extends the file to `size` bytes (the position stays where it is).
    ///
    /// # Errors
    ///
    /// `InvalidInput` (a file not open for writing), `StorageFull`, ...
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        // Bytes read ahead are stale after a truncation: seek back over them first.
        let back = match &mut self.state {
            State::Idle(Some(buf)) => buf.discard_read(),
            _ => 0,
        };
        self.call(move |h| {
            if back != 0 {
                h.seek(SeekFrom::Current(back))?;
            }
            h.set_len(size)
        })
        .await
    }

    /// The file's metadata.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let handle = self.handle.clone();
        run_on(self.backend, move || handle.metadata()).await
    }

    /// Sets the file's permissions.
    ///
    /// # Errors
    ///
    /// The system's.
    pub async fn set_permissions(&self, perm: std::fs::Permissions) -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let handle = self.handle.clone();
        let mode = perm.mode();
        run_on(self.backend, move || handle.set_permissions(mode)).await
    }

    /// Starts `op` in the background.
    fn start(
        &mut self,
        buf: Buf,
        op: impl FnOnce(&dyn FileHandle, &mut Buf) -> Operation + Send + 'static,
    ) {
        let handle = self.handle.clone();
        let mut buf = buf;
        self.state = State::Busy(run_on(self.backend, move || {
            let op = op(&*handle, &mut buf);
            Ok((op, buf))
        }));
    }

    /// Waits for the call in flight; `Ready(Err)` for a failed write (given once).
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.state {
                State::Idle(_) => {
                    return Poll::Ready(match self.last_write_err.take() {
                        Some(e) => Err(e),
                        None => Ok(()),
                    })
                }
                State::Busy(fut) => {
                    let done = ready!(fut.as_mut().poll(cx));
                    self.finish(done);
                }
            }
        }
    }

    /// Takes a finished call's result into the state: a write's error is kept for the next
    /// call, a seek's position recorded; a read's bytes stay in the buffer.
    fn finish(&mut self, done: io::Result<(Operation, Buf)>) -> Option<Operation> {
        match done {
            Ok((op, buf)) => {
                self.state = State::Idle(Some(buf));
                match op {
                    Operation::Write(Err(e)) => {
                        self.last_write_err = Some(e);
                        None
                    }
                    Operation::Write(Ok(())) => None,
                    Operation::Seek(Ok(pos)) => {
                        self.pos = pos;
                        Some(Operation::Seek(Ok(pos)))
                    }
                    other => Some(other),
                }
            }
            Err(e) => {
                // The runtime went away: the buffer went with the call.
                self.state = State::Idle(Some(Buf::default()));
                Some(Operation::Read(Err(e)))
            }
        }
    }

    fn read_into(&mut self, cx: &mut Context<'_>, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            match &mut self.state {
                State::Idle(slot) => {
                    let mut buf = slot.take().unwrap_or_default();
                    if !buf.is_empty() || dst.is_empty() {
                        let n = buf.copy_to(dst);
                        *slot = Some(buf);
                        return Poll::Ready(Ok(n));
                    }
                    let want = dst.len().min(MAX_BUF);
                    self.start(buf, move |h, buf| Operation::Read(buf.read_from(h, want)));
                }
                State::Busy(fut) => {
                    let done = ready!(fut.as_mut().poll(cx));
                    match self.finish(done) {
                        Some(Operation::Read(Ok(_))) => {
                            let State::Idle(Some(buf)) = &mut self.state else {
                                unreachable!("finish leaves the file idle")
                            };
                            return Poll::Ready(Ok(buf.copy_to(dst)));
                        }
                        Some(Operation::Read(Err(e))) => return Poll::Ready(Err(e)),
                        _ => {}
                    }
                }
            }
        }
    }

    fn write_from(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(e) = self.last_write_err.take() {
            return Poll::Ready(Err(e));
        }
        loop {
            match &mut self.state {
                State::Idle(slot) => {
                    let mut buf = slot.take().unwrap_or_default();
                    let back = buf.discard_read();
                    let n = buf.copy_from(src, MAX_BUF);
                    self.start(buf, move |h, buf| {
                        let res = if back != 0 {
                            h.seek(SeekFrom::Current(back))
                                .and_then(|_| buf.write_to(h))
                        } else {
                            buf.write_to(h)
                        };
                        Operation::Write(res)
                    });
                    return Poll::Ready(Ok(n));
                }
                State::Busy(fut) => {
                    let done = ready!(fut.as_mut().poll(cx));
                    self.finish(done);
                    if let Some(e) = self.last_write_err.take() {
                        return Poll::Ready(Err(e));
                    }
                }
            }
        }
    }

    fn seek_to(&mut self, cx: &mut Context<'_>, mut to: SeekFrom) -> Poll<io::Result<u64>> {
        loop {
            match &mut self.state {
                State::Idle(slot) if !self.seeking => {
                    let mut buf = slot.take().unwrap_or_default();
                    let back = buf.discard_read();
                    if let SeekFrom::Current(offset) = &mut to {
                        *offset += back;
                    }
                    self.seeking = true;
                    self.start(buf, move |h, _| Operation::Seek(h.seek(to)));
                }
                State::Idle(_) => {
                    // The seek's result was taken by a call in between (a flush): its
                    // position stands.
                    self.seeking = false;
                    return Poll::Ready(Ok(self.pos));
                }
                State::Busy(fut) => {
                    let done = ready!(fut.as_mut().poll(cx));
                    if let Some(Operation::Seek(res)) = self.finish(done) {
                        if std::mem::take(&mut self.seeking) {
                            return Poll::Ready(res);
                        }
                    }
                }
            }
        }
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("backend", &self.backend)
            .field("handle", &self.handle)
            .field("busy", &matches!(self.state, State::Busy(_)))
            .finish_non_exhaustive()
    }
}

impl futures_io::AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().read_into(cx, buf)
    }
}

impl futures_io::AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_from(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_idle(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_idle(cx)
    }
}

impl futures_io::AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        self.get_mut().seek_to(cx, pos)
    }
}

#[cfg(feature = "tokio-io")]
impl tokio_io::io::AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio_io::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(self.get_mut().read_into(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "tokio-io")]
impl tokio_io::io::AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_from(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_idle(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_idle(cx)
    }
}

#[cfg(feature = "tokio-io")]
impl tokio_io::io::AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        if matches!(this.state, State::Busy(_)) {
            return Err(io::Error::other(
                "another file operation is pending: call poll_complete before start_seek",
            ));
        }
        // Starts the seek (an idle file's first poll does nothing else).
        let waker = std::task::Waker::noop();
        let _ = this.seek_to(&mut Context::from_waker(waker), position);
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        if this.seeking {
            return this.seek_to(cx, SeekFrom::Current(0));
        }
        ready!(this.poll_idle(cx))?;
        Poll::Ready(Ok(this.pos))
    }
}

/// The bytes of one read or write in flight, as tokio's `io::blocking::Buf`.
#[derive(Default)]
struct Buf {
    bytes: Vec<u8>,
    at: usize,
}

impl Buf {
    fn is_empty(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = dst.len().min(self.bytes.len() - self.at);
        dst[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        if self.is_empty() {
            self.bytes.clear();
            self.at = 0;
        }
        n
    }

    fn copy_from(&mut self, src: &[u8], max: usize) -> usize {
        debug_assert!(self.is_empty());
        let n = src.len().min(max);
        self.bytes.clear();
        self.at = 0;
        self.bytes.extend_from_slice(&src[..n]);
        n
    }

    /// Drops the bytes read ahead and not given: how far to seek back over them.
    fn discard_read(&mut self) -> i64 {
        let back = -((self.bytes.len() - self.at) as i64);
        self.bytes.clear();
        self.at = 0;
        back
    }

    fn read_from(&mut self, h: &dyn FileHandle, want: usize) -> io::Result<usize> {
        self.bytes.resize(want, 0);
        self.at = 0;
        let res = loop {
            match h.read(&mut self.bytes) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        self.bytes.truncate(*res.as_ref().unwrap_or(&0));
        res
    }

    fn write_to(&mut self, h: &dyn FileHandle) -> io::Result<()> {
        let res = super::write_all(h, &self.bytes[self.at..]);
        self.bytes.clear();
        self.at = 0;
        res
    }
}
