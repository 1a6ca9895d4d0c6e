//! The system's file system: `std::fs`, what tokio, smol and async-std's [`Fs`](super::Fs)
//! see.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::{DirEntry, FileHandle, FileSystem, Metadata, OpenOptions};

/// The system's file system (one value, shared).
pub fn file_system() -> Arc<dyn FileSystem> {
    static OS: OnceLock<Arc<OsFs>> = OnceLock::new();
    OS.get_or_init(|| Arc::new(OsFs)).clone()
}

/// `std::fs`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsFs;

/// A `std::fs::File` as a [`FileHandle`].
#[derive(Debug)]
pub struct OsFile(pub fs::File);

impl FileSystem for OsFs {
    fn open(&self, path: &Path, o: &OpenOptions) -> io::Result<Arc<dyn FileHandle>> {
        o.check()?;
        let file = fs::OpenOptions::new()
            .read(o.read)
            .write(o.write)
            .append(o.append)
            .truncate(o.truncate)
            .create(o.create)
            .create_new(o.create_new)
            .mode(o.mode)
            .open(path)?;
        Ok(Arc::new(OsFile(file)))
    }

    /// `std::fs::read`: what tokio's and async-fs's `read` call (sized from the metadata).
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        fs::read(path)
    }

    fn copy(&self, from: &Path, to: &Path) -> io::Result<u64> {
        fs::copy(from, to)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        fs::remove_dir(path)
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        fs::remove_dir_all(path)
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        fs::create_dir(path)
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        fs::create_dir_all(path)
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        Ok((&fs::metadata(path)?).into())
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<Metadata> {
        Ok((&fs::symlink_metadata(path)?).into())
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        fs::canonicalize(path)
    }

    fn read_dir(
        &self,
        path: &Path,
    ) -> io::Result<Box<dyn Iterator<Item = io::Result<DirEntry>> + Send>> {
        let entries = fs::read_dir(path)?.map(|entry| {
            let entry = entry?;
            Ok(DirEntry {
                file_name: entry.file_name(),
                file_type: entry.file_type()?.into(),
            })
        });
        Ok(Box::new(entries))
    }

    fn symlink(&self, target: &Path, link: &Path) -> io::Result<()> {
        std::os::unix::fs::symlink(target, link)
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        fs::read_link(path)
    }

    fn set_permissions(&self, path: &Path, mode: u32) -> io::Result<()> {
        fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o7777))
    }
}

impl FileHandle for OsFile {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.0).read(buf)
    }

    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        (&self.0).write(buf)
    }

    fn seek(&self, pos: SeekFrom) -> io::Result<u64> {
        (&self.0).seek(pos)
    }

    fn set_len(&self, size: u64) -> io::Result<()> {
        self.0.set_len(size)
    }

    fn sync_all(&self) -> io::Result<()> {
        self.0.sync_all()
    }

    fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data()
    }

    fn metadata(&self) -> io::Result<Metadata> {
        Ok((&self.0.metadata()?).into())
    }

    fn set_permissions(&self, mode: u32) -> io::Result<()> {
        self.0
            .set_permissions(fs::Permissions::from_mode(mode & 0o7777))
    }

    fn as_std(&self) -> Option<&fs::File> {
        Some(&self.0)
    }
}
