//! [`ReadDir`]: a directory's entries, fetched in batches off the async thread.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use anyrt_core::Backend;

use super::{run_on, BoxFuture, FileType, Metadata};

/// How many entries one blocking call fetches (tokio's batch).
const BATCH: usize = 32;

type Entries = Box<dyn Iterator<Item = io::Result<anyrt_core::fs::DirEntry>> + Send>;

/// Fetched entries, the rest of the listing, and whether the listing has ended.
pub(crate) type Batch = (
    VecDeque<io::Result<anyrt_core::fs::DirEntry>>,
    Entries,
    bool,
);

/// Takes the next batch from `rest` (on the blocking pool).
fn next_batch(
    mut ready: VecDeque<io::Result<anyrt_core::fs::DirEntry>>,
    mut rest: Entries,
) -> Batch {
    ready.extend(rest.by_ref().take(BATCH));
    let done = ready.len() < BATCH;
    (ready, rest, done)
}

/// The first batch of a listing just opened.
pub(crate) fn first_batch(rest: Entries) -> Batch {
    next_batch(VecDeque::new(), rest)
}

/// The entries of a directory ([`read_dir`](super::read_dir)): [`next_entry`](Self::next_entry)
/// as tokio's, and a `Stream` of `io::Result<DirEntry>`.
///
/// ```
/// # anyrt::block_on(async {
/// let dir = std::env::temp_dir().join(format!("anyrt-read-dir-doc-{}", std::process::id()));
/// anyrt::fs::create_dir_all(dir.join("sub")).await?;
/// anyrt::fs::write(dir.join("file"), b"").await?;
///
/// let mut names = Vec::new();
/// let mut entries = anyrt::fs::read_dir(&dir).await?;
/// while let Some(entry) = entries.next_entry().await? {
///     names.push(entry.file_name());
/// }
/// names.sort();
/// assert_eq!(names, ["file", "sub"]);
/// # anyrt::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub struct ReadDir {
    backend: Backend,
    dir: Arc<Path>,
    state: State,
}

enum State {
    Idle(
        Option<(
            VecDeque<io::Result<anyrt_core::fs::DirEntry>>,
            Entries,
            bool,
        )>,
    ),
    Busy(
        BoxFuture<(
            VecDeque<io::Result<anyrt_core::fs::DirEntry>>,
            Entries,
            bool,
        )>,
    ),
}

impl ReadDir {
    pub(crate) fn new(backend: Backend, dir: Arc<Path>, first: Batch) -> ReadDir {
        ReadDir {
            backend,
            dir,
            state: State::Idle(Some(first)),
        }
    }

    /// The next entry, `None` after the last. Cancel-safe: an entry fetched for a dropped
    /// call is given by the next.
    ///
    /// # Errors
    ///
    /// The system's, reading the directory.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        std::future::poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// [`next_entry`](Self::next_entry) as a poll.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(slot) => {
                    let (mut ready, rest, done) = slot.take().expect("a ReadDir in use");
                    if let Some(entry) = ready.pop_front() {
                        *slot = Some((ready, rest, done));
                        let backend = self.backend;
                        let dir = &self.dir;
                        return Poll::Ready(entry.map(|inner| {
                            Some(DirEntry {
                                backend,
                                dir: dir.clone(),
                                inner,
                            })
                        }));
                    }
                    if done {
                        *slot = Some((ready, rest, done));
                        return Poll::Ready(Ok(None));
                    }
                    self.state =
                        State::Busy(run_on(self.backend, move || Ok(next_batch(ready, rest))));
                }
                State::Busy(fut) => {
                    let fetched = ready!(fut.as_mut().poll(cx));
                    match fetched {
                        Ok(batch) => self.state = State::Idle(Some(batch)),
                        Err(e) => {
                            let none: Entries = Box::new(std::iter::empty());
                            self.state = State::Idle(Some((VecDeque::new(), none, true)));
                            return Poll::Ready(Err(e));
                        }
                    }
                }
            }
        }
    }
}

impl futures_core::Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_entry(cx).map(Result::transpose)
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// An entry of a directory ([`ReadDir`]).
#[derive(Debug, Clone)]
pub struct DirEntry {
    backend: Backend,
    dir: Arc<Path>,
    inner: anyrt_core::fs::DirEntry,
}

impl DirEntry {
    /// The directory's path joined with the entry's name.
    pub fn path(&self) -> PathBuf {
        self.dir.join(&self.inner.file_name)
    }

    /// The entry's name.
    pub fn file_name(&self) -> OsString {
        self.inner.file_name.clone()
    }

    /// What it is (a symbolic link is not followed). Known from the listing: no call.
    ///
    /// # Errors
    ///
    /// None today; `Result` as tokio's.
    pub async fn file_type(&self) -> io::Result<FileType> {
        Ok(self.inner.file_type)
    }

    /// The entry's metadata (a symbolic link's own, as `std::fs::DirEntry::metadata`).
    ///
    /// # Errors
    ///
    /// `NotFound` if it was removed since the listing, ...
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let path = self.path();
        let fs = super::file_system(self.backend);
        run_on(self.backend, move || fs.symlink_metadata(&path)).await
    }
}
