//! Files, the fourth part of the IO contract (feature `fs`, unix): [`Fs`], where a backend's
//! file-system calls run and which file system they see.
//!
//! A file-system call blocks (no system runtime has a readiness reactor for regular files),
//! so the contract is two functions: [`Fs::file_system`], the [`FileSystem`] the calling task
//! sees, and [`Fs::run`], where a call on it runs.
//!
//! - tokio, smol and async-std take the defaults: the system's file system ([`os`], `std::fs`)
//!   and their own blocking pool ([`Provider::spawn_blocking`]): what `tokio::fs` and smol's
//!   `async-fs` do, one implementation, so the same bad input fails with the same error.
//! - the simulation answers with an in-memory file system per simulated host, whose calls
//!   take a seeded (virtual) latency and can lose unsynced writes in a simulated crash.
//!
//! The facade's `anyrt::fs` is written once over these traits.

use std::ffi::OsString;
use std::fmt;
use std::future::Future;
use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::Provider;

pub mod os;

/// The file system of a backend, and where its calls run.
///
/// A backend on the system's files writes `impl Fs for MyBackend {}`: the defaults run
/// `std::fs` on the backend's blocking pool.
pub trait Fs: Provider {
    /// The file system the calling task sees (the simulation: its host's).
    fn file_system() -> Arc<dyn FileSystem> {
        os::file_system()
    }

    /// Runs `op`, a call on a [`FileSystem`] or a [`FileHandle`], where it may block, and
    /// gives its result. Dropping the future does not stop `op` once it has started.
    ///
    /// A panic in `op` resumes in the caller; a runtime shutting down before `op` ran gives
    /// an `Other` error saying so.
    fn run<T, F>(op: F) -> impl Future<Output = io::Result<T>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce() -> io::Result<T> + Send + 'static,
    {
        let handle = Self::spawn_blocking(op);
        async move {
            match handle.await {
                Ok(result) => result,
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(_) => Err(io::Error::other(
                    "the runtime shut down before this file operation ran",
                )),
            }
        }
    }
}

/// A file system: the calls of `std::fs` on paths. Every method blocks; [`Fs::run`] says
/// where it runs.
///
/// The errors are `std::fs`'s on Linux, by kind: `NotFound`, `AlreadyExists`,
/// `IsADirectory`, `NotADirectory`, `DirectoryNotEmpty`, `PermissionDenied`,
/// `InvalidInput`, `StorageFull`.
pub trait FileSystem: fmt::Debug + Send + Sync + 'static {
    /// Opens (or creates) the file at `path` as `options` say.
    fn open(&self, path: &Path, options: &OpenOptions) -> io::Result<Arc<dyn FileHandle>>;

    /// The whole contents of the file at `path` (by default: [`open`](Self::open) and read
    /// to the end).
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let file = self.open(
            path,
            &OpenOptions {
                read: true,
                ..OpenOptions::default()
            },
        )?;
        let mut out = Vec::new();
        let mut chunk = [0u8; 8 * 1024];
        loop {
            match file.read(&mut chunk) {
                Ok(0) => return Ok(out),
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Copies the contents (and permissions) of `from` into `to`, made or truncated; gives
    /// the number of bytes.
    fn copy(&self, from: &Path, to: &Path) -> io::Result<u64>;

    /// Renames `from` to `to`, replacing `to` if it is a file (or an empty directory, when
    /// `from` is one).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;

    /// Removes a file (or a symbolic link).
    fn remove_file(&self, path: &Path) -> io::Result<()>;

    /// Removes an empty directory.
    fn remove_dir(&self, path: &Path) -> io::Result<()>;

    /// Removes a directory and everything in it.
    fn remove_dir_all(&self, path: &Path) -> io::Result<()>;

    /// Makes a directory (its parent must exist).
    fn create_dir(&self, path: &Path) -> io::Result<()>;

    /// Makes a directory and its missing parents.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;

    /// The metadata of `path`, following symbolic links.
    fn metadata(&self, path: &Path) -> io::Result<Metadata>;

    /// The metadata of `path` itself (a symbolic link's own).
    fn symlink_metadata(&self, path: &Path) -> io::Result<Metadata>;

    /// The absolute path of `path`, with every symbolic link resolved.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;

    /// The entries of a directory (not `.` or `..`), in the order the file system gives.
    fn read_dir(
        &self,
        path: &Path,
    ) -> io::Result<Box<dyn Iterator<Item = io::Result<DirEntry>> + Send>>;

    /// Makes a symbolic link at `link` pointing to `target`.
    fn symlink(&self, target: &Path, link: &Path) -> io::Result<()>;

    /// The target of a symbolic link.
    fn read_link(&self, path: &Path) -> io::Result<PathBuf>;

    /// Sets the permission bits (`mode & 0o7777`) of `path`.
    fn set_permissions(&self, path: &Path, mode: u32) -> io::Result<()>;
}

/// An open file of a [`FileSystem`]: `std::fs::File`'s calls through a shared reference.
pub trait FileHandle: fmt::Debug + Send + Sync + 'static {
    /// Reads at the file's position, advancing it.
    fn read(&self, buf: &mut [u8]) -> io::Result<usize>;

    /// Writes at the file's position (at its end, in append mode), advancing it.
    fn write(&self, buf: &[u8]) -> io::Result<usize>;

    /// Moves the file's position.
    fn seek(&self, pos: SeekFrom) -> io::Result<u64>;

    /// Truncates or extends the file to `size` bytes.
    fn set_len(&self, size: u64) -> io::Result<()>;

    /// Makes the file's contents and metadata durable (and, on a directory, its entries).
    fn sync_all(&self) -> io::Result<()>;

    /// Makes the file's contents durable.
    fn sync_data(&self) -> io::Result<()>;

    /// The file's metadata.
    fn metadata(&self) -> io::Result<Metadata>;

    /// Sets the file's permission bits.
    fn set_permissions(&self, mode: u32) -> io::Result<()>;

    /// The `std::fs::File` behind it, on the system's file system.
    fn as_std(&self) -> Option<&std::fs::File> {
        None
    }
}

/// How to open a file: `std::fs::OpenOptions`' flags, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)]
pub struct OpenOptions {
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Every write goes to the end (implies writing).
    pub append: bool,
    /// Truncate to zero bytes when opened.
    pub truncate: bool,
    /// Create the file if it does not exist.
    pub create: bool,
    /// Create the file, failing with `AlreadyExists` if it exists.
    pub create_new: bool,
    /// The permission bits of a created file, before the umask (`0o666` unless set).
    pub mode: u32,
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions {
            read: false,
            write: false,
            append: false,
            truncate: false,
            create: false,
            create_new: false,
            mode: 0o666,
        }
    }
}

impl OpenOptions {
    /// `std::fs`'s check of a combination, the same on every file system: `InvalidInput`
    /// for no access mode, or for creating or truncating without write access.
    ///
    /// # Errors
    ///
    /// `InvalidInput`, naming what is wrong.
    pub fn check(&self) -> io::Result<()> {
        let writes = self.write || self.append;
        if !self.read && !writes {
            return Err(invalid(
                "open options allow neither reading nor writing: call read(true), write(true) or append(true)",
            ));
        }
        if !writes && (self.truncate || self.create || self.create_new) {
            return Err(invalid(
                "open options create or truncate a file without write access: add write(true)",
            ));
        }
        if self.append && self.truncate && !self.create_new {
            return Err(invalid("open options both append and truncate: choose one"));
        }
        Ok(())
    }
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// Anything else (a socket, a pipe, a device).
    Other,
}

impl FileType {
    /// A regular file.
    pub fn is_file(&self) -> bool {
        *self == FileType::File
    }

    /// A directory.
    pub fn is_dir(&self) -> bool {
        *self == FileType::Dir
    }

    /// A symbolic link.
    pub fn is_symlink(&self) -> bool {
        *self == FileType::Symlink
    }
}

impl From<std::fs::FileType> for FileType {
    fn from(t: std::fs::FileType) -> FileType {
        if t.is_file() {
            FileType::File
        } else if t.is_dir() {
            FileType::Dir
        } else if t.is_symlink() {
            FileType::Symlink
        } else {
            FileType::Other
        }
    }
}

/// The metadata of a file, on any file system (`std::fs::Metadata` has no constructor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// What it is.
    pub file_type: FileType,
    /// Its size in bytes.
    pub len: u64,
    /// Its permission bits (`st_mode & 0o7777`).
    pub mode: u32,
    /// When its contents last changed.
    pub modified: Option<SystemTime>,
    /// When it was last read.
    pub accessed: Option<SystemTime>,
    /// When it was made.
    pub created: Option<SystemTime>,
}

impl From<&std::fs::Metadata> for Metadata {
    fn from(m: &std::fs::Metadata) -> Metadata {
        use std::os::unix::fs::PermissionsExt;
        Metadata {
            file_type: m.file_type().into(),
            len: m.len(),
            mode: m.permissions().mode() & 0o7777,
            modified: m.modified().ok(),
            accessed: m.accessed().ok(),
            created: m.created().ok(),
        }
    }
}

impl Metadata {
    /// What the path names.
    pub fn file_type(&self) -> FileType {
        self.file_type
    }

    /// A regular file.
    pub fn is_file(&self) -> bool {
        self.file_type.is_file()
    }

    /// A directory.
    pub fn is_dir(&self) -> bool {
        self.file_type.is_dir()
    }

    /// A symbolic link (a `symlink_metadata`'s; `metadata` follows them).
    pub fn is_symlink(&self) -> bool {
        self.file_type.is_symlink()
    }

    /// The size in bytes.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The permissions, as std's type.
    pub fn permissions(&self) -> std::fs::Permissions {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(self.mode)
    }

    /// When the contents last changed.
    ///
    /// # Errors
    ///
    /// `Unsupported` where the file system does not keep it.
    pub fn modified(&self) -> io::Result<std::time::SystemTime> {
        self.modified.ok_or_else(no_time)
    }

    /// When the file was last read.
    ///
    /// # Errors
    ///
    /// As [`modified`](Self::modified).
    pub fn accessed(&self) -> io::Result<std::time::SystemTime> {
        self.accessed.ok_or_else(no_time)
    }

    /// When the file was made.
    ///
    /// # Errors
    ///
    /// As [`modified`](Self::modified).
    pub fn created(&self) -> io::Result<std::time::SystemTime> {
        self.created.ok_or_else(no_time)
    }
}

fn no_time() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "this file system does not keep this time",
    )
}

/// An entry of a directory ([`FileSystem::read_dir`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name (the facade joins it to the directory's path when asked).
    pub file_name: OsString,
    /// What it is (a symbolic link is not followed).
    pub file_type: FileType,
}
