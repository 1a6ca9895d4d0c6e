//! Files (feature `fs`, unix), with the names of `tokio::fs`: [`read`], [`write()`],
//! [`File`], [`OpenOptions`], [`read_dir`], ... on every backend.
//!
//! ```
//! # anyrt::block_on(async {
//! let dir = std::env::temp_dir().join(format!("anyrt-fs-doc-{}", std::process::id()));
//! anyrt::fs::create_dir_all(&dir).await?;
//! anyrt::fs::write(dir.join("greeting"), b"hello").await?;
//! assert_eq!(anyrt::fs::read_to_string(dir.join("greeting")).await?, "hello");
//! anyrt::fs::remove_dir_all(&dir).await?;
//! # std::io::Result::Ok(()) }).unwrap();
//! ```
//!
//! What to know, the same on every backend:
//! - **A call runs where it may block:** on tokio, smol and async-std, `std::fs` on the
//!   backend's blocking pool (what `tokio::fs` and smol's `async-fs` do), so the errors are
//!   the system's: the same `io::ErrorKind` (and message) on every backend for the same bad
//!   input: `NotFound`, `PermissionDenied`, `AlreadyExists`, `IsADirectory` (a directory
//!   read or opened for writing as a file), `NotADirectory`, `DirectoryNotEmpty`,
//!   `InvalidInput` (open options that ask for nothing, or create without write access).
//! - **Under the sim backend** the calls never touch the machine's disk: each simulated host
//!   has an in-memory file system, with a seeded latency per call and the faults of a disk
//!   (lost unsynced writes at a crash, torn writes, `EIO`, `ENOSPC`): see
//!   [`anyrt::sim::fs`](crate::sim::fs).
//! - **Cancel safety.** Dropping the future of a call on a path ([`read`], [`write()`],
//!   [`rename`], ...) does not stop it once it has started: the file may be written, renamed
//!   or removed all the same. [`File`]'s reads and writes are buffered as `tokio::fs::File`'s:
//!   see there.
//! - **Durability** is the system's: [`File::sync_all`] makes a file's bytes durable, and
//!   syncing a directory (`File::open(dir)` then `sync_all`) makes the names in it durable.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

#[allow(unused_imports)] // with no backend compiled in
use anyrt_core::fs::{FileSystem, Fs};
use anyrt_core::Backend;

mod file;
pub(crate) mod read_dir;

pub use anyrt_core::fs::{FileType, Metadata};
pub use file::File;
pub use read_dir::{DirEntry, ReadDir};

type BoxFuture<T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'static>>;

/// Runs `op` on `backend`'s file system, where it may block.
pub(crate) fn run_on<T, F>(backend: Backend, op: F) -> BoxFuture<T>
where
    T: Send + 'static,
    F: FnOnce() -> io::Result<T> + Send + 'static,
{
    dispatch!(backend, P => Box::pin(<P as Fs>::run(op)))
}

/// The file system the calling task sees on `backend`.
pub(crate) fn file_system(backend: Backend) -> Arc<dyn FileSystem> {
    dispatch!(backend, P => <P as Fs>::file_system())
}

/// Runs `op` on the file system of the backend in effect here.
async fn on_fs<T, F>(op: F) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce(&dyn FileSystem) -> io::Result<T> + Send + 'static,
{
    let backend = Backend::selected();
    let fs = file_system(backend);
    run_on(backend, move || op(&*fs)).await
}

/// The whole contents of a file.
///
/// # Errors
///
/// `NotFound`, `PermissionDenied`, `IsADirectory`, ...: `std::fs::read`'s.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    on_fs(move |fs| fs.read(&path)).await
}

/// The whole contents of a file, as UTF-8.
///
/// # Errors
///
/// [`read`]'s, and `InvalidData` for contents that are not UTF-8.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let bytes = read(path).await?;
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the file's contents are not UTF-8: {e}"),
        )
    })
}

/// Writes `contents` as the whole file, making it if needed (truncating it if not).
///
/// # Errors
///
/// `NotFound` (a missing directory), `PermissionDenied`, `IsADirectory`, `StorageFull`, ...
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    on_fs(move |fs| {
        let options = anyrt_core::fs::OpenOptions {
            write: true,
            create: true,
            truncate: true,
            ..Default::default()
        };
        let file = fs.open(&path, &options)?;
        write_all(&*file, &contents)
    })
    .await
}

/// `Write::write_all` over a handle.
pub(crate) fn write_all(file: &dyn anyrt_core::fs::FileHandle, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match file.write(buf) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the file took no more bytes",
                ))
            }
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

macro_rules! path_calls {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident),*) -> $ret:ty;
    )*) => {$(
        $(#[$doc])*
        pub async fn $name($($arg: impl AsRef<Path>),*) -> io::Result<$ret> {
            $(let $arg = $arg.as_ref().to_owned();)*
            on_fs(move |fs| fs.$name($(&$arg),*)).await
        }
    )*};
}

path_calls! {
    /// Copies the contents and permissions of `from` into `to` (made, or truncated); gives
    /// the number of bytes copied.
    ///
    /// # Errors
    ///
    /// `NotFound`, `IsADirectory` (either path a directory), `PermissionDenied`, ...
    fn copy(from, to) -> u64;

    /// Renames `from` to `to`, replacing `to` if it is a file (or an empty directory, when
    /// `from` is one). Atomic: another call sees one name or the other.
    ///
    /// # Errors
    ///
    /// `NotFound`, `IsADirectory` (a file over a directory), `NotADirectory` (a directory
    /// over a file), `DirectoryNotEmpty`, `InvalidInput` (a directory into itself), ...
    fn rename(from, to) -> ();

    /// Removes a file or a symbolic link.
    ///
    /// # Errors
    ///
    /// `NotFound`, `IsADirectory` (use [`remove_dir`]), `PermissionDenied`, ...
    fn remove_file(path) -> ();

    /// Removes an empty directory.
    ///
    /// # Errors
    ///
    /// `NotFound`, `DirectoryNotEmpty` (use [`remove_dir_all`]), `NotADirectory`, ...
    fn remove_dir(path) -> ();

    /// Removes a directory and everything in it (symbolic links are removed, not followed).
    ///
    /// # Errors
    ///
    /// `NotFound`, `NotADirectory`, `PermissionDenied`, ...
    fn remove_dir_all(path) -> ();

    /// Makes a directory; its parent must exist.
    ///
    /// # Errors
    ///
    /// `AlreadyExists`, `NotFound` (a missing parent: use [`create_dir_all`]), ...
    fn create_dir(path) -> ();

    /// Makes a directory and every missing parent; a directory already there is no error.
    ///
    /// # Errors
    ///
    /// `AlreadyExists` (a file in the way), `NotADirectory`, `PermissionDenied`, ...
    fn create_dir_all(path) -> ();

    /// The metadata of `path`, following symbolic links.
    ///
    /// # Errors
    ///
    /// `NotFound`, `NotADirectory`, `PermissionDenied`, ...
    fn metadata(path) -> Metadata;

    /// The metadata of `path` itself: a symbolic link's own.
    ///
    /// # Errors
    ///
    /// As [`metadata`].
    fn symlink_metadata(path) -> Metadata;

    /// The absolute path of `path`, with `.`, `..` and every symbolic link resolved.
    ///
    /// # Errors
    ///
    /// `NotFound` (it must exist), ...
    fn canonicalize(path) -> PathBuf;

    /// The target of a symbolic link.
    ///
    /// # Errors
    ///
    /// `NotFound`, `InvalidInput` (not a symbolic link), ...
    fn read_link(path) -> PathBuf;

    /// Makes a symbolic link at `link` pointing to `target` (which need not exist).
    ///
    /// # Errors
    ///
    /// `AlreadyExists`, `NotFound` (a missing directory), ...
    fn symlink(target, link) -> ();
}

/// Whether `path` exists (following symbolic links): `Ok(false)` for `NotFound`, the error
/// for anything else (a permission denied is not "no").
///
/// # Errors
///
/// [`metadata`]'s, but `NotFound`.
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    match metadata(path).await {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Sets the permissions of `path` (following symbolic links).
///
/// # Errors
///
/// `NotFound`, `PermissionDenied`, ...
pub async fn set_permissions(path: impl AsRef<Path>, perm: std::fs::Permissions) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let path = path.as_ref().to_owned();
    let mode = perm.mode();
    on_fs(move |fs| fs.set_permissions(&path, mode)).await
}

/// The entries of a directory, as [`ReadDir::next_entry`] or a `Stream` (not `.` or `..`;
/// in the order the file system gives).
///
/// # Errors
///
/// `NotFound`, `NotADirectory`, `PermissionDenied`, ...
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let dir: Arc<Path> = Arc::from(path.as_ref());
    let backend = Backend::selected();
    let fs = file_system(backend);
    let listed = dir.clone();
    // The first batch comes with the opening, in one blocking call (as tokio's does).
    let first = run_on(backend, move || {
        Ok(read_dir::first_batch(fs.read_dir(&listed)?))
    })
    .await?;
    Ok(ReadDir::new(backend, dir, first))
}

/// How to open a file, as `std::fs::OpenOptions` (and `tokio::fs::OpenOptions`):
///
/// ```
/// use anyrt::fs::OpenOptions;
/// use anyrt::io::AsyncWriteExt;
///
/// # anyrt::block_on(async {
/// let path = std::env::temp_dir().join(format!("anyrt-options-doc-{}", std::process::id()));
/// let mut log = OpenOptions::new().append(true).create(true).open(&path).await?;
/// log.write_all(b"one line\n").await?;
/// log.sync_all().await?;
/// # anyrt::fs::remove_file(&path).await?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    options: anyrt_core::fs::OpenOptions,
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// Nothing set: say what access to ask for.
    pub fn new() -> OpenOptions {
        OpenOptions {
            options: anyrt_core::fs::OpenOptions::default(),
        }
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.options.read = read;
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.options.write = write;
        self
    }

    /// Every write goes to the end of the file (implies writing).
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.options.append = append;
        self
    }

    /// Truncate the file to zero bytes (needs write access).
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.options.truncate = truncate;
        self
    }

    /// Make the file if it does not exist (needs write access).
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.options.create = create;
        self
    }

    /// Make the file, failing with `AlreadyExists` if it exists (needs write access).
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.options.create_new = create_new;
        self
    }

    /// The permission bits of a file made (before the umask; `0o666` unless set).
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        self.options.mode = mode;
        self
    }

    /// Opens `path` with these options.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for options that ask for no access, or create or truncate without
    /// write access; `NotFound`, `AlreadyExists` (`create_new`), `PermissionDenied`,
    /// `IsADirectory` (a directory opened for writing), ...
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let options = self.options;
        let backend = Backend::selected();
        let fs = file_system(backend);
        let handle = run_on(backend, move || fs.open(&path, &options)).await?;
        Ok(File::new(backend, handle))
    }
}
