//! The library of the tour's crash step: a write-ahead log that appends records and
//! acknowledges each, written against `anyrt::fs` alone. `group` records share one sync
//! (group commit); with `ack_before_sync` a record is acknowledged once written, before the
//! sync that makes it durable: the bug a crash shows.

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyrt::fs::{File, OpenOptions};
use anyrt::io::AsyncWriteExt;

/// How the log commits.
#[derive(Debug, Clone, Copy)]
pub struct Commit {
    /// Records per sync.
    pub group: usize,
    /// Acknowledge a record as soon as it is written (the bug), not after its sync.
    pub ack_before_sync: bool,
}

/// Opens (making) the log at `path` and makes its name durable.
pub async fn open(path: &Path) -> io::Result<File> {
    let log = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .await?;
    let dir = path.parent().unwrap_or(Path::new("/"));
    File::open(dir).await?.sync_all().await?;
    Ok(log)
}

/// Appends records `0..n` (one line each), acknowledging each into `acked` as `commit`
/// says; stops at the first error (a crash kills the file).
pub async fn append(mut log: File, n: u32, commit: Commit, acked: Arc<Mutex<Vec<u32>>>) {
    let mut pending = Vec::new();
    for i in 0..n {
        if log.write_all(format!("{i}\n").as_bytes()).await.is_err() {
            return;
        }
        pending.push(i);
        if commit.ack_before_sync {
            acked.lock().unwrap().push(i);
        }
        if pending.len() == commit.group {
            if log.sync_data().await.is_err() {
                return;
            }
            let synced = std::mem::take(&mut pending);
            if !commit.ack_before_sync {
                acked.lock().unwrap().extend(synced);
            }
        }
    }
}

/// The records a restart finds in the log.
pub async fn recover(path: &Path) -> io::Result<Vec<u32>> {
    let text = anyrt::fs::read_to_string(path).await?;
    Ok(text.lines().filter_map(|l| l.parse().ok()).collect())
}
