//! `anyrt::fs` on every backend: the calls on paths, `File`'s buffered reads, writes and
//! seeks, `read_dir` past one batch, and the same error (kind and system error number) for
//! the same bad input everywhere; under sim, the simulated disk's crashes, torn writes and
//! injected faults, seeds that replay, and a write-ahead log's missing sync found by the
//! exploration.
#![cfg(target_os = "linux")]

use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};

use anyrt::fs::{self, File, OpenOptions};
use anyrt::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use anyrt::Backend;
use futures::StreamExt;

/// A directory of the test's own: under sim `/<name>` on the simulated disk, else one in
/// the system's temporary directory, removed when dropped.
struct Scratch {
    path: PathBuf,
    real: bool,
}

impl Scratch {
    async fn new(name: &str) -> Scratch {
        let backend = Backend::current().expect("inside a test runtime");
        let real = backend != Backend::Sim;
        let path = if real {
            std::env::temp_dir().join(format!(
                "anyrt-fs-{}-{backend:?}-{name}",
                std::process::id()
            ))
        } else {
            PathBuf::from("/").join(name)
        };
        let _ = fs::remove_dir_all(&path).await;
        fs::create_dir_all(&path).await.unwrap();
        Scratch { path, real }
    }

    fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.path.join(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.real {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[anyrt::test]
async fn calls_on_paths_do_what_std_fs_does() {
    let dir = Scratch::new("paths").await;
    let a = dir.join("a.txt");
    fs::write(&a, b"hello").await.unwrap();
    assert_eq!(fs::read(&a).await.unwrap(), b"hello");
    assert_eq!(fs::read_to_string(&a).await.unwrap(), "hello");
    let meta = fs::metadata(&a).await.unwrap();
    assert!(meta.is_file() && !meta.is_dir());
    assert_eq!(meta.len(), 5);
    assert!(meta.modified().is_ok());

    assert_eq!(fs::copy(&a, dir.join("b.txt")).await.unwrap(), 5);
    fs::rename(dir.join("b.txt"), dir.join("c.txt"))
        .await
        .unwrap();
    assert!(!fs::try_exists(dir.join("b.txt")).await.unwrap());
    assert_eq!(fs::read(dir.join("c.txt")).await.unwrap(), b"hello");
    fs::remove_file(dir.join("c.txt")).await.unwrap();
    assert!(!fs::try_exists(dir.join("c.txt")).await.unwrap());

    fs::create_dir_all(dir.join("x/y/z")).await.unwrap();
    fs::create_dir_all(dir.join("x/y")).await.unwrap(); // already there: no error
    assert!(fs::metadata(dir.join("x/y")).await.unwrap().is_dir());
    fs::create_dir(dir.join("x/w")).await.unwrap();
    fs::remove_dir(dir.join("x/w")).await.unwrap();

    fs::symlink(&a, dir.join("link")).await.unwrap();
    assert!(fs::symlink_metadata(dir.join("link"))
        .await
        .unwrap()
        .is_symlink());
    assert!(fs::metadata(dir.join("link")).await.unwrap().is_file());
    assert_eq!(fs::read_link(dir.join("link")).await.unwrap(), a);
    let canonical = fs::canonicalize(dir.join("x/y/../../link")).await.unwrap();
    assert_eq!(canonical, fs::canonicalize(&a).await.unwrap());
    assert!(canonical.is_absolute());

    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&a, std::fs::Permissions::from_mode(0o600))
        .await
        .unwrap();
    assert_eq!(
        fs::metadata(&a).await.unwrap().permissions().mode() & 0o777,
        0o600
    );

    // remove_dir_all of a symbolic link removes the link, not what it points to.
    fs::symlink(dir.join("x"), dir.join("x-link"))
        .await
        .unwrap();
    fs::remove_dir_all(dir.join("x-link")).await.unwrap();
    assert!(fs::try_exists(dir.join("x/y/z")).await.unwrap());
    fs::remove_dir_all(dir.join("x")).await.unwrap();
    assert!(!fs::try_exists(dir.join("x")).await.unwrap());
}

/// Asserts `result` failed with `kind` and the system's error number `errno`.
#[track_caller]
fn fails_with<T: std::fmt::Debug>(
    what: &str,
    result: std::io::Result<T>,
    kind: ErrorKind,
    errno: Option<i32>,
) {
    let backend = Backend::current();
    match result {
        Ok(v) => panic!("{what} on {backend:?}: succeeded with {v:?}, expected {kind:?}"),
        Err(e) => {
            assert_eq!(e.kind(), kind, "{what} on {backend:?}: {e}");
            assert_eq!(e.raw_os_error(), errno, "{what} on {backend:?}: {e}");
        }
    }
}

#[anyrt::test]
async fn bad_input_fails_with_the_same_error_on_every_backend() {
    let dir = Scratch::new("bad-input").await;
    let file = dir.join("file");
    fs::write(&file, b"x").await.unwrap();
    let sub = dir.join("sub");
    fs::create_dir(&sub).await.unwrap();
    fs::write(sub.join("inner"), b"").await.unwrap();
    let os = Some;

    fails_with(
        "read of a missing file",
        fs::read(dir.join("missing")).await,
        ErrorKind::NotFound,
        os(libc::ENOENT),
    );
    fails_with(
        "metadata of a missing file",
        fs::metadata(dir.join("missing")).await,
        ErrorKind::NotFound,
        os(libc::ENOENT),
    );
    fails_with(
        "create_dir in a missing directory",
        fs::create_dir(dir.join("no/such")).await,
        ErrorKind::NotFound,
        os(libc::ENOENT),
    );
    fails_with(
        "create_dir of an existing one",
        fs::create_dir(&sub).await,
        ErrorKind::AlreadyExists,
        os(libc::EEXIST),
    );
    fails_with(
        "read of a directory",
        fs::read(&sub).await,
        ErrorKind::IsADirectory,
        os(libc::EISDIR),
    );
    fails_with(
        "a directory opened for writing",
        File::create(&sub).await,
        ErrorKind::IsADirectory,
        os(libc::EISDIR),
    );
    fails_with(
        "remove_file of a directory",
        fs::remove_file(&sub).await,
        ErrorKind::IsADirectory,
        os(libc::EISDIR),
    );
    fails_with(
        "remove_dir of a full directory",
        fs::remove_dir(&sub).await,
        ErrorKind::DirectoryNotEmpty,
        os(libc::ENOTEMPTY),
    );
    fails_with(
        "remove_dir of a file",
        fs::remove_dir(&file).await,
        ErrorKind::NotADirectory,
        os(libc::ENOTDIR),
    );
    fails_with(
        "a path through a file",
        fs::read(file.join("below")).await,
        ErrorKind::NotADirectory,
        os(libc::ENOTDIR),
    );
    fails_with(
        "create_new of an existing file",
        File::create_new(&file).await,
        ErrorKind::AlreadyExists,
        os(libc::EEXIST),
    );
    fails_with(
        "a directory renamed into itself",
        fs::rename(&sub, sub.join("deeper")).await,
        ErrorKind::InvalidInput,
        os(libc::EINVAL),
    );
    fails_with(
        "a file renamed over a directory",
        fs::rename(&file, &sub).await,
        ErrorKind::IsADirectory,
        os(libc::EISDIR),
    );
    fails_with(
        "read_link of a file",
        fs::read_link(&file).await,
        ErrorKind::InvalidInput,
        os(libc::EINVAL),
    );
    fails_with(
        "read_dir of a file",
        fs::read_dir(&file).await,
        ErrorKind::NotADirectory,
        os(libc::ENOTDIR),
    );

    // Options that ask for nothing, or create without write access: anyrt's own check.
    fails_with(
        "no access mode",
        OpenOptions::new().open(&file).await,
        ErrorKind::InvalidInput,
        None,
    );
    fails_with(
        "create without write",
        OpenOptions::new().read(true).create(true).open(&file).await,
        ErrorKind::InvalidInput,
        None,
    );

    // Contents that are not UTF-8.
    fs::write(&file, [0xff, 0xfe]).await.unwrap();
    fails_with(
        "read_to_string of bytes",
        fs::read_to_string(&file).await,
        ErrorKind::InvalidData,
        None,
    );

    // A file nobody may write: the system keeps this one read-only even for root; the
    // simulated process is not root, so a read-only file of its own does.
    let locked = Path::new("/proc/sys/kernel/osrelease");
    if Backend::current() == Some(Backend::Sim) {
        use std::os::unix::fs::PermissionsExt;
        fs::create_dir_all("/proc/sys/kernel").await.unwrap();
        fs::write(locked, b"6.1.0\n").await.unwrap();
        fs::set_permissions(locked, std::fs::Permissions::from_mode(0o444))
            .await
            .unwrap();
    }
    fails_with(
        "a read-only file opened for writing",
        OpenOptions::new().write(true).open(locked).await,
        ErrorKind::PermissionDenied,
        os(libc::EACCES),
    );
}

#[anyrt::test]
async fn a_file_reads_writes_and_seeks_as_tokio_fs_file() {
    let dir = Scratch::new("file").await;
    let path = dir.join("data");
    let mut f = File::create(&path).await.unwrap();
    f.write_all(b"hello world").await.unwrap();
    f.flush().await.unwrap();
    f.sync_all().await.unwrap();
    assert_eq!(f.metadata().await.unwrap().len(), 11);
    drop(f);

    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .await
        .unwrap();
    assert_eq!(f.seek(SeekFrom::Start(6)).await.unwrap(), 6);
    let mut word = [0; 5];
    f.read_exact(&mut word).await.unwrap();
    assert_eq!(&word, b"world");
    assert_eq!(f.read(&mut word).await.unwrap(), 0, "end of file");

    // A write after a read lands where the read stopped, not where it read ahead to.
    f.seek(SeekFrom::Start(0)).await.unwrap();
    let mut two = [0; 2];
    f.read_exact(&mut two).await.unwrap();
    f.write_all(b"YY").await.unwrap();
    f.flush().await.unwrap();
    assert_eq!(fs::read(&path).await.unwrap(), b"heYYo world");
    assert_eq!(f.stream_position().await.unwrap(), 4);

    f.set_len(4).await.unwrap();
    assert_eq!(fs::read(&path).await.unwrap(), b"heYY");
    f.seek(SeekFrom::End(0)).await.unwrap();
    f.write_all(b"!").await.unwrap();
    f.sync_data().await.unwrap();
    assert_eq!(fs::read(&path).await.unwrap(), b"heYY!");

    // Append mode writes at the end whatever the position.
    let mut log = OpenOptions::new().append(true).open(&path).await.unwrap();
    log.write_all(b" and more").await.unwrap();
    log.flush().await.unwrap();
    let mut all = String::new();
    File::open(&path)
        .await
        .unwrap()
        .read_to_string(&mut all)
        .await
        .unwrap();
    assert_eq!(all, "heYY! and more");

    // A big write, in more than one piece of the 2 MiB buffer.
    let big: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let mut f = File::create(dir.join("big")).await.unwrap();
    f.write_all(&big).await.unwrap();
    f.flush().await.unwrap();
    let mut back = Vec::new();
    File::open(dir.join("big"))
        .await
        .unwrap()
        .read_to_end(&mut back)
        .await
        .unwrap();
    assert!(back == big, "a 5 MiB file came back different");
    assert_eq!(f.backend(), Backend::current().unwrap());
}

#[anyrt::test]
async fn read_dir_lists_every_entry_past_one_batch() {
    let dir = Scratch::new("read-dir").await;
    for i in 0..100 {
        fs::write(dir.join(format!("f{i:03}")), b"").await.unwrap();
    }
    fs::create_dir(dir.join("sub")).await.unwrap();

    let mut names = Vec::new();
    let mut entries = fs::read_dir(&dir.path).await.unwrap();
    while let Some(e) = entries.next_entry().await.unwrap() {
        let t = e.file_type().await.unwrap();
        assert_eq!(t.is_dir(), e.file_name() == "sub");
        assert_eq!(e.path(), dir.join(e.file_name()));
        names.push(e.file_name().into_string().unwrap());
    }
    assert_eq!(entries.next_entry().await.unwrap().map(|e| e.path()), None);
    names.sort();
    let mut expected: Vec<String> = (0..100).map(|i| format!("f{i:03}")).collect();
    expected.push("sub".into());
    assert_eq!(names, expected);

    // The same as a Stream.
    let streamed: Vec<_> = fs::read_dir(&dir.path).await.unwrap().collect().await;
    assert_eq!(streamed.len(), 101);
    let meta = streamed[0].as_ref().unwrap().metadata().await.unwrap();
    assert!(meta.is_file() || meta.is_dir());
}

// -------------------------------------------------------------------------------------------
// The simulated disk.

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use anyrt::sim::fs as disk;
    use anyrt::sim::Explore;
    use anyrt_tests::{assert_seeds_replay, catch_panic};
    use std::time::{Duration, Instant};

    /// Opens (making) `path` for appending and makes its name durable.
    async fn durable_log(path: &str) -> File {
        let log = OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .await
            .unwrap();
        let parent = Path::new(path).parent().unwrap();
        File::open(parent).await.unwrap().sync_all().await.unwrap();
        log
    }

    #[anyrt::test(sim)]
    async fn a_crash_loses_what_was_not_synced() {
        // Synced name and bytes survive; bytes written after the sync do not.
        let mut log = durable_log("/log").await;
        log.write_all(b"kept").await.unwrap();
        log.sync_data().await.unwrap();
        log.write_all(b" lost").await.unwrap();
        log.flush().await.unwrap();
        // A rename not followed by a directory sync is undone.
        fs::write("/new", b"new").await.unwrap();
        File::open("/new").await.unwrap().sync_all().await.unwrap();
        File::open("/").await.unwrap().sync_all().await.unwrap();
        // A file whose name was never synced is gone, however synced its bytes.
        let mut orphan = File::create("/orphan").await.unwrap();
        orphan
            .write_all(b"synced bytes, unsynced name")
            .await
            .unwrap();
        orphan.sync_all().await.unwrap();
        fs::rename("/new", "/renamed").await.unwrap();
        assert_eq!(fs::read("/log").await.unwrap(), b"kept lost");

        disk::crash();

        fails_with(
            "a file whose name was not synced",
            fs::read("/orphan").await,
            ErrorKind::NotFound,
            Some(libc::ENOENT),
        );
        assert_eq!(fs::read("/log").await.unwrap(), b"kept");
        assert_eq!(fs::read("/new").await.unwrap(), b"new");
        assert!(!fs::try_exists("/renamed").await.unwrap());
        // Files opened before the crash are dead, and say so.
        let err = log.sync_all().await.unwrap_err();
        assert!(err.to_string().contains("crashed"), "{err}");
        // The disk works after it.
        fs::write("/after", b"ok").await.unwrap();
        assert_eq!(fs::read("/after").await.unwrap(), b"ok");
    }

    #[anyrt::test(sim)]
    async fn a_crash_with_torn_writes_keeps_a_prefix_of_the_unsynced_writes() {
        disk::set_torn_writes(true);
        let mut seen = std::collections::BTreeSet::new();
        for round in 0..40 {
            let path = format!("/torn{round}");
            let mut log = durable_log(&path).await;
            log.write_all(b"base|").await.unwrap();
            log.sync_data().await.unwrap();
            for chunk in [&b"aaaa"[..], b"bbbb", b"cccc"] {
                log.write_all(chunk).await.unwrap();
                log.flush().await.unwrap();
            }
            disk::crash();
            let kept = fs::read(&path).await.unwrap();
            let full = b"base|aaaabbbbcccc";
            assert!(
                full.starts_with(&kept) && kept.len() >= 5,
                "round {round}: {kept:?}"
            );
            seen.insert(kept.len());
        }
        assert!(seen.len() > 3, "the cut points do not vary: {seen:?}");
    }

    #[anyrt::test(sim)]
    async fn injected_faults_fail_with_the_systems_errors() {
        let mut f = File::create("/f").await.unwrap();
        disk::fail_next(disk::Fault::NoSpace);
        // The write is buffered: its failure comes back from the next call, as tokio's.
        f.write_all(b"x").await.unwrap();
        fails_with(
            "a flush after a write into a full disk",
            f.flush().await,
            ErrorKind::StorageFull,
            Some(libc::ENOSPC),
        );
        disk::fail_next(disk::Fault::Io);
        fails_with(
            "a sync that fails",
            f.sync_all().await,
            std::io::Error::from_raw_os_error(libc::EIO).kind(),
            Some(libc::EIO),
        );
    }

    #[anyrt::test(sim)]
    async fn a_disk_of_bounded_capacity_fills_up() {
        disk::set_capacity(Some(10));
        let mut f = File::create("/f").await.unwrap();
        f.write_all(b"0123456789").await.unwrap();
        f.flush().await.unwrap();
        f.write_all(b"x").await.unwrap();
        fails_with(
            "a write past the capacity",
            f.flush().await,
            ErrorKind::StorageFull,
            Some(libc::ENOSPC),
        );
        fails_with(
            "fs::write past the capacity",
            fs::write("/g", b"y").await,
            ErrorKind::StorageFull,
            Some(libc::ENOSPC),
        );
        disk::set_capacity(None);
        fs::write("/g", b"y").await.unwrap();
    }

    #[anyrt::test(sim)]
    async fn each_host_has_its_own_disk() {
        let a: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        let b: std::net::IpAddr = "10.0.0.2".parse().unwrap();
        anyrt::sim::net::host(a, fs::write("/id", b"a"))
            .await
            .unwrap();
        anyrt::sim::net::host(b, fs::write("/id", b"b"))
            .await
            .unwrap();
        assert_eq!(
            anyrt::sim::net::host(a, fs::read("/id")).await.unwrap(),
            b"a"
        );
        assert_eq!(
            anyrt::sim::net::host(b, fs::read("/id")).await.unwrap(),
            b"b"
        );
        assert!(
            !fs::try_exists("/id").await.unwrap(),
            "the loopback host's disk is its own"
        );
        disk::crash_host(a);
        assert!(!anyrt::sim::net::host(a, fs::try_exists("/id"))
            .await
            .unwrap());
        assert!(anyrt::sim::net::host(b, fs::try_exists("/id"))
            .await
            .unwrap());
    }

    /// A write-ahead log: a writer appends records and acknowledges each (the caller may
    /// then rely on it); a crash comes at a time; after it, every acknowledged record must
    /// be in the log. `sync_every`: the writer syncs after that many records (1: after
    /// each, before acknowledging it: correct; more: it acknowledges records not yet
    /// durable, the bug).
    async fn wal_survives_a_crash(sync_every: usize) {
        let mut log = durable_log("/wal").await;
        let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = {
            let acked = acked.clone();
            anyrt::spawn(async move {
                let mut pending = Vec::new();
                for i in 0..40u32 {
                    if log.write_all(format!("{i}\n").as_bytes()).await.is_err() {
                        return;
                    }
                    pending.push(i);
                    if pending.len() == sync_every {
                        if log.sync_data().await.is_err() {
                            return;
                        }
                        acked.lock().unwrap().append(&mut pending);
                    } else if sync_every > 1 {
                        // The bug: acknowledged once written, before its sync.
                        acked.lock().unwrap().extend(pending.last());
                    }
                }
            })
        };
        anyrt::time::sleep(Duration::from_micros(900)).await;
        disk::crash();
        writer.await.unwrap();
        let recovered = fs::read_to_string("/wal").await.unwrap();
        let recovered: Vec<u32> = recovered.lines().map(|l| l.parse().unwrap()).collect();
        let acked = acked.lock().unwrap().clone();
        for i in acked {
            assert!(
                recovered.contains(&i),
                "record {i} was acknowledged and lost in the crash"
            );
        }
    }

    #[test]
    fn the_exploration_finds_a_missing_sync_and_replays_it() {
        let failure = Explore::seeds(200)
            .run(|| wal_survives_a_crash(4))
            .expect_err("no seed found the acknowledged-before-synced record");
        assert!(
            failure.message().contains("acknowledged and lost"),
            "{}",
            failure.message()
        );
        let token = failure.replay().to_string();
        let again = Explore::replay(&token)
            .unwrap()
            .run(|| wal_survives_a_crash(4))
            .expect_err("the token did not replay the failure");
        assert_eq!(again.message(), failure.message());
    }

    /// The bar: 1,000 seeds of a crash-consistency test (measured and printed; the suite
    /// asserts no wall-clock time).
    #[test]
    fn a_correct_log_survives_a_thousand_crashes() {
        let start = Instant::now();
        let explored = Explore::seeds(1000).run(|| wal_survives_a_crash(1));
        if let Err(failure) = explored {
            panic!("{}", failure.report("(this test)"));
        }
        eprintln!(
            "1000 seeds of the write-ahead log's crash test: {:?}",
            start.elapsed()
        );
    }

    #[test]
    fn file_calls_replay_by_seed() {
        assert_seeds_replay("the order of two tasks' file calls", 12, |seed| {
            let rt = anyrt::Runtime::builder(Backend::Sim)
                .seed(seed)
                .build()
                .unwrap();
            rt.block_on(async {
                let a = anyrt::spawn(async {
                    for i in 0..4 {
                        let mut f = OpenOptions::new()
                            .append(true)
                            .create(true)
                            .open("/shared")
                            .await
                            .unwrap();
                        f.write_all(format!("a{i} ").as_bytes()).await.unwrap();
                        f.flush().await.unwrap();
                    }
                });
                let b = anyrt::spawn(async {
                    for i in 0..4 {
                        let mut f = OpenOptions::new()
                            .append(true)
                            .create(true)
                            .open("/shared")
                            .await
                            .unwrap();
                        f.write_all(format!("b{i} ").as_bytes()).await.unwrap();
                        f.flush().await.unwrap();
                    }
                });
                a.await.unwrap();
                b.await.unwrap();
                fs::read_to_string("/shared").await.unwrap()
            })
        });
    }

    #[test]
    fn the_controls_panic_outside_a_simulation() {
        let msg = catch_panic(disk::crash).unwrap_err();
        assert!(msg.contains("outside a simulation"), "{msg}");
    }
}
