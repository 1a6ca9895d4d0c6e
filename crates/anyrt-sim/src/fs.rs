//! Files inside a simulation (feature `fs`): an in-memory file system per simulated host,
//! the simulation's answer to [`Fs`], with the faults a disk has.
//!
//! Under the sim backend `anyrt::fs` never touches the machine's disk. Each simulated host
//! (an IP address, as the network has them: `anyrt::sim::net::host` sets it for a task; the
//! loopback addresses are one host) has a file system of its own, starting with an empty
//! root directory. Relative paths are taken from `/`. Each call takes a latency drawn from
//! the seed ([`set_latency`]), so a seed gives one interleaving of file calls with the rest
//! of the test and replays it.
//!
//! **Durability, as POSIX promises it (not as a kind file system gives it):**
//! - a file's contents are durable once `sync_all` or `sync_data` has returned since the
//!   last change;
//! - a name in a directory (a file made, renamed or removed; a directory made) is durable
//!   once the directory itself has been synced: `File::open(dir)` then `sync_all`.
//!
//! [`crash`] (every host) and [`crash_host`] cut the power: what is not durable is lost,
//! every file opened before fails from then on, and the host's file system is what its disk
//! held. With [`set_torn_writes`], a crash keeps a seeded part of the unsynced writes
//! instead, the last one cut at a seeded byte, as a disk that wrote some pages back.
//!
//! **Faults:** [`fail_next`] makes the next call of a kind fail (`EIO`, `ENOSPC`);
//! [`set_error_rate`] makes each read, write or sync fail with `EIO` with a seeded
//! probability; [`set_capacity`] bounds a host's bytes (a write beyond fails with
//! `StorageFull`). The errors are the system's, by number: the same kind and message as
//! `std::fs` gives on Linux.
//!
//! **Permissions:** the simulated process is the owner of every file and not root: a file
//! without its owner's write bit cannot be opened for writing (`PermissionDenied`).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{self, SeekFrom};
use std::net::{IpAddr, Ipv4Addr};
use std::ops::RangeInclusive;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use anyrt_core::fs::{DirEntry, FileHandle, FileSystem, FileType, Fs, Metadata, OpenOptions};

use crate::rng::Rng;
use crate::runtime::{self, Shared};
use crate::Sim;

/// The latency of a file call unless [`set_latency`] says otherwise.
pub const DEFAULT_LATENCY: RangeInclusive<Duration> =
    Duration::from_micros(10)..=Duration::from_micros(100);

/// The root directory's inode.
const ROOT: u64 = 1;
/// The most symbolic links one lookup follows (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;
/// The permission bits a created file or directory loses (the usual umask).
const UMASK: u32 = 0o022;
/// The wall-clock time of the simulation's virtual origin, for files' times.
const EPOCH_SECS: u64 = 1_700_000_000;

/// A fault [`fail_next`] injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// The next read, write or sync (of a file or a directory) fails with `EIO`.
    Io,
    /// The next call that needs space (a write, a `set_len` that grows, a file or
    /// directory made) fails with `ENOSPC` (`StorageFull`).
    NoSpace,
}

// -------------------------------------------------------------------------------------------
// The state: one per simulation, every host's disk.

pub(crate) struct Disks {
    rng: Rng,
    latency: (Duration, Duration),
    error_rate: f64,
    torn_writes: bool,
    capacity: Option<u64>,
    pending: Vec<Fault>,
    hosts: BTreeMap<IpAddr, Tree>,
}

impl Disks {
    pub(crate) fn new(seed: u64) -> Disks {
        Disks {
            rng: Rng::new(seed ^ 0x6A09_E667_F3BC_C908),
            latency: (*DEFAULT_LATENCY.start(), *DEFAULT_LATENCY.end()),
            error_rate: 0.0,
            torn_writes: false,
            capacity: None,
            pending: Vec::new(),
            hosts: BTreeMap::new(),
        }
    }

    fn tree(&mut self, host: IpAddr) -> &mut Tree {
        self.hosts.entry(host).or_insert_with(Tree::new)
    }

    fn latency(&mut self) -> Duration {
        let (lo, hi) = self.latency;
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo).as_nanos().min(u128::from(u64::MAX)) as u64;
        lo + Duration::from_nanos(self.rng.next_u64() % (span + 1))
    }

    /// Takes an injected fault of `kind`, or draws an `EIO` at the error rate (for `Io`).
    fn fault(&mut self, kind: Fault) -> io::Result<()> {
        if let Some(i) = self.pending.iter().position(|f| *f == kind) {
            self.pending.remove(i);
            return Err(errno(fault_errno(kind)));
        }
        if kind == Fault::Io && self.error_rate > 0.0 {
            let draw = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            if draw < self.error_rate {
                return Err(errno(libc::EIO));
            }
        }
        Ok(())
    }
}

fn fault_errno(kind: Fault) -> i32 {
    match kind {
        Fault::Io => libc::EIO,
        Fault::NoSpace => libc::ENOSPC,
    }
}

/// The system's error for `code`: the kind and message `std::fs` gives.
fn errno(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

struct Node {
    kind: Kind,
    mode: u32,
    modified: Duration,
    created: Duration,
}

enum Kind {
    File(Data),
    Dir(Entries),
    Symlink(PathBuf),
}

/// A file's bytes: what it holds now, what its disk holds, and the changes in between.
struct Data {
    now: Vec<u8>,
    durable: Vec<u8>,
    unsynced: Vec<Change>,
}

enum Change {
    Write(u64, Vec<u8>),
    SetLen(u64),
}

impl Change {
    fn apply(&self, data: &mut Vec<u8>) {
        match self {
            Change::Write(at, bytes) => write_at(data, *at, bytes),
            Change::SetLen(len) => data.resize(*len as usize, 0),
        }
    }
}

fn write_at(data: &mut Vec<u8>, at: u64, bytes: &[u8]) {
    let at = at as usize;
    if data.len() < at + bytes.len() {
        data.resize(at + bytes.len(), 0);
    }
    data[at..at + bytes.len()].copy_from_slice(bytes);
}

/// A directory's names: now, and on its disk.
struct Entries {
    now: BTreeMap<OsString, u64>,
    durable: BTreeMap<OsString, u64>,
}

/// One host's file system.
struct Tree {
    nodes: BTreeMap<u64, Node>,
    next: u64,
    /// Counts crashes: a handle opened before the last one is dead.
    generation: u64,
    /// The handles open on each inode.
    open: BTreeMap<u64, usize>,
}

/// Where a path leads: its directory, its last name (`None`: the path names the root or
/// ends in `.`/`..`), and the inode there if any.
struct Lookup {
    parent: u64,
    name: Option<OsString>,
    ino: Option<u64>,
    /// The canonical path of what it names.
    canonical: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        let mut nodes = BTreeMap::new();
        nodes.insert(
            ROOT,
            Node {
                kind: Kind::Dir(Entries {
                    now: BTreeMap::new(),
                    durable: BTreeMap::new(),
                }),
                mode: 0o755,
                modified: Duration::ZERO,
                created: Duration::ZERO,
            },
        );
        Tree {
            nodes,
            next: ROOT + 1,
            generation: 0,
            open: BTreeMap::new(),
        }
    }

    fn used(&self) -> u64 {
        self.nodes
            .values()
            .map(|n| match &n.kind {
                Kind::File(d) => d.now.len() as u64,
                _ => 0,
            })
            .sum()
    }

    fn node(&self, ino: u64) -> &Node {
        &self.nodes[&ino]
    }

    fn node_mut(&mut self, ino: u64) -> &mut Node {
        self.nodes.get_mut(&ino).expect("a live inode")
    }

    fn entries(&self, ino: u64) -> io::Result<&Entries> {
        match &self.node(ino).kind {
            Kind::Dir(e) => Ok(e),
            _ => Err(errno(libc::ENOTDIR)),
        }
    }

    fn entries_mut(&mut self, ino: u64) -> io::Result<&mut Entries> {
        match &mut self.node_mut(ino).kind {
            Kind::Dir(e) => Ok(e),
            _ => Err(errno(libc::ENOTDIR)),
        }
    }

    /// Follows `path` from the root (a relative path too), through symbolic links (the last
    /// one only if `follow_last`).
    fn walk(&self, path: &Path, follow_last: bool) -> io::Result<Lookup> {
        if path.as_os_str().is_empty() {
            return Err(errno(libc::ENOENT));
        }
        // The steps left, the next one last.
        let mut queue: Vec<Step> = steps(path);
        // The directories walked through, with their names: `..` goes back one.
        let mut trail: Vec<(u64, OsString)> = Vec::new();
        let mut cur = ROOT;
        let mut links = 0;
        while let Some(step) = queue.pop() {
            match step {
                Step::Root => {
                    cur = ROOT;
                    trail.clear();
                }
                Step::Cur => {}
                Step::Parent => {
                    trail.pop();
                    cur = trail.last().map_or(ROOT, |(ino, _)| *ino);
                }
                Step::Name(name) => {
                    let entries = self.entries(cur)?;
                    let last = queue.is_empty();
                    match entries.now.get(&name).copied() {
                        None if last => {
                            let mut c = canonical_of(&trail);
                            c.push(&name);
                            return Ok(Lookup {
                                parent: cur,
                                name: Some(name),
                                ino: None,
                                canonical: c,
                            });
                        }
                        None => return Err(errno(libc::ENOENT)),
                        Some(ino) => {
                            if let Kind::Symlink(target) = &self.node(ino).kind {
                                if !last || follow_last {
                                    links += 1;
                                    if links > MAX_LINKS {
                                        return Err(errno(libc::ELOOP));
                                    }
                                    queue.extend(steps(target));
                                    continue;
                                }
                            }
                            if last {
                                let mut c = canonical_of(&trail);
                                c.push(&name);
                                return Ok(Lookup {
                                    parent: cur,
                                    name: Some(name),
                                    ino: Some(ino),
                                    canonical: c,
                                });
                            }
                            trail.push((ino, name));
                            cur = ino;
                        }
                    }
                }
            }
        }
        let parent = match trail.len() {
            0 | 1 => ROOT,
            n => trail[n - 2].0,
        };
        Ok(Lookup {
            parent,
            name: None,
            ino: Some(cur),
            canonical: canonical_of(&trail),
        })
    }

    fn existing(&self, path: &Path, follow_last: bool) -> io::Result<(Lookup, u64)> {
        let l = self.walk(path, follow_last)?;
        match l.ino {
            Some(ino) => Ok((l, ino)),
            None => Err(errno(libc::ENOENT)),
        }
    }

    fn add(&mut self, kind: Kind, mode: u32, now: Duration) -> u64 {
        let ino = self.next;
        self.next += 1;
        self.nodes.insert(
            ino,
            Node {
                kind,
                mode,
                modified: now,
                created: now,
            },
        );
        ino
    }

    fn link(&mut self, dir: u64, name: OsString, ino: u64, now: Duration) -> io::Result<()> {
        self.entries_mut(dir)?.now.insert(name, ino);
        self.node_mut(dir).modified = now;
        Ok(())
    }

    fn unlink(&mut self, dir: u64, name: &OsStr, now: Duration) {
        if let Ok(e) = self.entries_mut(dir) {
            e.now.remove(name);
        }
        self.node_mut(dir).modified = now;
        self.collect();
    }

    /// Drops the inodes no name reaches, now or on the disk.
    fn collect(&mut self) {
        let mut live = std::collections::BTreeSet::new();
        let mut todo = vec![ROOT];
        while let Some(ino) = todo.pop() {
            if !live.insert(ino) {
                continue;
            }
            if let Some(Node {
                kind: Kind::Dir(e), ..
            }) = self.nodes.get(&ino)
            {
                todo.extend(e.now.values().chain(e.durable.values()).copied());
            }
        }
        // An unlinked file stays while a handle holds it open.
        let open = &self.open;
        self.nodes
            .retain(|ino, _| live.contains(ino) || open.contains_key(ino));
    }

    fn metadata(&self, ino: u64) -> Metadata {
        let node = self.node(ino);
        let (file_type, len) = match &node.kind {
            Kind::File(d) => (FileType::File, d.now.len() as u64),
            Kind::Dir(_) => (FileType::Dir, 4096),
            Kind::Symlink(t) => (FileType::Symlink, t.as_os_str().len() as u64),
        };
        let at = |d: Duration| Some(SystemTime::UNIX_EPOCH + Duration::from_secs(EPOCH_SECS) + d);
        Metadata {
            file_type,
            len,
            mode: node.mode,
            modified: at(node.modified),
            accessed: at(node.modified),
            created: at(node.created),
        }
    }

    /// A power cut: every name and byte not durable is lost (a seeded part of the unsynced
    /// writes kept, with `torn`).
    fn crash(&mut self, torn: Option<&mut Rng>) {
        self.generation += 1;
        self.open.clear();
        let mut rng = torn;
        for node in self.nodes.values_mut() {
            match &mut node.kind {
                Kind::File(d) => {
                    let mut kept = d.durable.clone();
                    if let Some(rng) = rng.as_deref_mut() {
                        let n = d.unsynced.len();
                        let whole = rng.below(n + 1);
                        for c in &d.unsynced[..whole] {
                            c.apply(&mut kept);
                        }
                        if let Some(Change::Write(at, bytes)) = d.unsynced.get(whole) {
                            let cut = rng.below(bytes.len() + 1);
                            write_at(&mut kept, *at, &bytes[..cut]);
                        }
                    }
                    d.now = kept.clone();
                    d.durable = kept;
                    d.unsynced.clear();
                }
                Kind::Dir(e) => e.now = e.durable.clone(),
                Kind::Symlink(_) => {}
            }
        }
        self.collect();
    }
}

enum Step {
    Root,
    Cur,
    Parent,
    Name(OsString),
}

/// `path`'s components as steps, the first one last (a stack).
fn steps(path: &Path) -> Vec<Step> {
    path.components()
        .rev()
        .map(|c| match c {
            Component::RootDir | Component::Prefix(_) => Step::Root,
            Component::CurDir => Step::Cur,
            Component::ParentDir => Step::Parent,
            Component::Normal(n) => Step::Name(n.to_owned()),
        })
        .collect()
}

fn canonical_of(trail: &[(u64, OsString)]) -> PathBuf {
    let mut p = PathBuf::from("/");
    p.extend(trail.iter().map(|(_, n)| n));
    p
}

// -------------------------------------------------------------------------------------------
// The contract.

impl Fs for Sim {
    fn file_system() -> Arc<dyn FileSystem> {
        let shared = runtime::current_or_global();
        Arc::new(HostFs {
            disks: shared.disks.clone(),
            shared: Arc::downgrade(&shared),
            host: current_host(),
        })
    }

    #[allow(clippy::manual_async_fn)] // the trait's signature (Send + 'static)
    fn run<T, F>(op: F) -> impl std::future::Future<Output = io::Result<T>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce() -> io::Result<T> + Send + 'static,
    {
        async move {
            let latency = lock(&runtime::current_or_global().disks).latency();
            <Sim as anyrt_core::Provider>::sleep(latency).await;
            op()
        }
    }
}

/// The host the calling task is on: `anyrt::sim::net::host`'s, the loopback host without.
fn current_host() -> IpAddr {
    #[cfg(all(feature = "net", unix))]
    if let Some(ip) = crate::net::current_host() {
        if !ip.is_loopback() {
            return ip;
        }
    }
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

/// The file system of one simulated host.
struct HostFs {
    disks: SharedDisks,
    shared: Weak<Shared>,
    host: IpAddr,
}

impl fmt::Debug for HostFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimFs").field("host", &self.host).finish()
    }
}

/// The simulation's virtual time now, as an offset from its origin (zero once it is gone).
fn clock(shared: &Weak<Shared>) -> Duration {
    shared
        .upgrade()
        .map_or(Duration::ZERO, |s| runtime::offset_of(s.now()))
}

impl HostFs {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Disks, &mut Tree, Duration) -> io::Result<T>,
    ) -> io::Result<T> {
        let now = clock(&self.shared);
        let mut disks = lock(&self.disks);
        let mut tree = std::mem::replace(disks.tree(self.host), Tree::placeholder());
        let out = f(&mut disks, &mut tree, now);
        *disks.tree(self.host) = tree;
        out
    }
}

impl Tree {
    /// An empty stand-in while a call holds the real tree apart from the disks.
    fn placeholder() -> Tree {
        Tree {
            nodes: BTreeMap::new(),
            next: 0,
            generation: 0,
            open: BTreeMap::new(),
        }
    }
}

impl FileSystem for HostFs {
    fn open(&self, path: &Path, o: &OpenOptions) -> io::Result<Arc<dyn FileHandle>> {
        o.check()?;

        let (ino, generation) = self.with(|disks, t, now| {
            let l = t.walk(path, true)?;
            let writes = o.write || o.append;
            let ino = match l.ino {
                Some(_) if o.create_new => return Err(errno(libc::EEXIST)),
                Some(ino) => {
                    let node = t.node(ino);
                    match &node.kind {
                        Kind::Dir(_) if writes => return Err(errno(libc::EISDIR)),
                        _ => {}
                    }
                    if (writes && node.mode & 0o200 == 0) || (o.read && node.mode & 0o400 == 0) {
                        return Err(errno(libc::EACCES));
                    }
                    if o.truncate {
                        if let Kind::File(d) = &mut t.node_mut(ino).kind {
                            if !d.now.is_empty() {
                                d.now.clear();
                                d.unsynced.push(Change::SetLen(0));
                            }
                        }
                        t.node_mut(ino).modified = now;
                    }
                    ino
                }
                None if o.create || o.create_new => {
                    let Some(name) = l.name else {
                        return Err(errno(libc::EISDIR));
                    };
                    disks.fault(Fault::NoSpace)?;
                    let ino = t.add(
                        Kind::File(Data {
                            now: Vec::new(),
                            durable: Vec::new(),
                            unsynced: Vec::new(),
                        }),
                        o.mode & 0o7777 & !UMASK,
                        now,
                    );
                    t.link(l.parent, name, ino, now)?;
                    ino
                }
                None => return Err(errno(libc::ENOENT)),
            };
            *t.open.entry(ino).or_default() += 1;
            Ok((ino, t.generation))
        })?;
        Ok(Arc::new(SimFile {
            disks: self.disks.clone(),
            shared: self.shared.clone(),
            host: self.host,
            ino,
            generation,
            read: o.read,
            write: o.write || o.append,
            append: o.append,
            pos: Mutex::new(0),
        }))
    }

    fn copy(&self, from: &Path, to: &Path) -> io::Result<u64> {
        self.with(|disks, t, now| {
            let (_, src) = t.existing(from, true)?;
            let (bytes, mode) = match &t.node(src).kind {
                Kind::File(d) => (d.now.clone(), t.node(src).mode),
                Kind::Dir(_) => return Err(errno(libc::EISDIR)),
                Kind::Symlink(_) => unreachable!("followed"),
            };
            let l = t.walk(to, true)?;
            let dst = match l.ino {
                Some(ino) => match &t.node(ino).kind {
                    Kind::Dir(_) => return Err(errno(libc::EISDIR)),
                    _ => ino,
                },
                None => {
                    let name = l.name.ok_or_else(|| errno(libc::EISDIR))?;
                    let ino = t.add(
                        Kind::File(Data {
                            now: Vec::new(),
                            durable: Vec::new(),
                            unsynced: Vec::new(),
                        }),
                        mode,
                        now,
                    );
                    t.link(l.parent, name, ino, now)?;
                    ino
                }
            };
            let len = bytes.len() as u64;
            if let Some(cap) = disks.capacity {
                if t.used() + len > cap {
                    return Err(errno(libc::ENOSPC));
                }
            }
            disks.fault(Fault::NoSpace)?;
            let node = t.node_mut(dst);
            node.mode = mode;
            node.modified = now;
            if let Kind::File(d) = &mut node.kind {
                d.unsynced.push(Change::SetLen(0));
                d.unsynced.push(Change::Write(0, bytes.clone()));
                d.now = bytes;
            }
            Ok(len)
        })
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.with(|_, t, now| {
            let (src, ino) = t.existing(from, false)?;
            let src_name = src.name.ok_or_else(|| errno(libc::EBUSY))?;
            let dst = t.walk(to, false)?;
            let dst_name = dst.name.ok_or_else(|| errno(libc::EBUSY))?;
            let src_is_dir = matches!(t.node(ino).kind, Kind::Dir(_));
            if src_is_dir
                && dst.canonical.starts_with(&src.canonical)
                && dst.canonical != src.canonical
            {
                return Err(errno(libc::EINVAL));
            }
            if let Some(old) = dst.ino {
                if old == ino {
                    return Ok(());
                }
                match (&t.node(old).kind, src_is_dir) {
                    (Kind::Dir(e), true) if !e.now.is_empty() => {
                        return Err(errno(libc::ENOTEMPTY))
                    }
                    (Kind::Dir(_), true) => {}
                    (Kind::Dir(_), false) => return Err(errno(libc::EISDIR)),
                    (_, true) => return Err(errno(libc::ENOTDIR)),
                    _ => {}
                }
            }
            t.entries_mut(src.parent)?.now.remove(&src_name);
            t.node_mut(src.parent).modified = now;
            t.link(dst.parent, dst_name, ino, now)?;
            t.collect();
            Ok(())
        })
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.with(|_, t, now| {
            let (l, ino) = t.existing(path, false)?;
            if matches!(t.node(ino).kind, Kind::Dir(_)) {
                return Err(errno(libc::EISDIR));
            }
            t.unlink(l.parent, l.name.as_deref().expect("a named file"), now);
            Ok(())
        })
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        self.with(|_, t, now| {
            let (l, ino) = t.existing(path, false)?;
            let entries = t.entries(ino)?;
            if !entries.now.is_empty() {
                return Err(errno(libc::ENOTEMPTY));
            }
            let Some(name) = l.name else {
                return Err(errno(libc::EBUSY));
            };
            t.unlink(l.parent, &name, now);
            Ok(())
        })
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.with(|_, t, now| {
            let (l, ino) = t.existing(path, false)?;
            // A symbolic link is removed, not followed (std's rule).
            if !matches!(t.node(ino).kind, Kind::Symlink(_)) {
                t.entries(ino)?;
            }
            let Some(name) = l.name else {
                return Err(errno(libc::EBUSY));
            };
            t.unlink(l.parent, &name, now);
            Ok(())
        })
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        self.with(|disks, t, now| {
            let l = t.walk(path, false)?;
            if l.ino.is_some() {
                return Err(errno(libc::EEXIST));
            }
            disks.fault(Fault::NoSpace)?;
            let name = l.name.expect("a missing path has a name");
            let ino = t.add(
                Kind::Dir(Entries {
                    now: BTreeMap::new(),
                    durable: BTreeMap::new(),
                }),
                0o777 & !UMASK,
                now,
            );
            t.link(l.parent, name, ino, now)
        })
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut made = PathBuf::new();
        for c in path.components() {
            made.push(c);
            match self.create_dir(&made) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if !self.metadata(&made)?.file_type.is_dir() {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        self.with(|_, t, _| {
            let (_, ino) = t.existing(path, true)?;
            Ok(t.metadata(ino))
        })
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<Metadata> {
        self.with(|_, t, _| {
            let (_, ino) = t.existing(path, false)?;
            Ok(t.metadata(ino))
        })
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.with(|_, t, _| {
            let (l, _) = t.existing(path, true)?;
            Ok(l.canonical)
        })
    }

    fn read_dir(
        &self,
        path: &Path,
    ) -> io::Result<Box<dyn Iterator<Item = io::Result<DirEntry>> + Send>> {
        self.with(|disks, t, _| {
            let (_, ino) = t.existing(path, true)?;
            disks.fault(Fault::Io)?;
            let entries: Vec<io::Result<DirEntry>> = t
                .entries(ino)?
                .now
                .iter()
                .map(|(name, &ino)| {
                    Ok(DirEntry {
                        file_name: name.clone(),
                        file_type: t.metadata(ino).file_type,
                    })
                })
                .collect();
            Ok(Box::new(entries.into_iter()) as Box<dyn Iterator<Item = _> + Send>)
        })
    }

    fn symlink(&self, target: &Path, link: &Path) -> io::Result<()> {
        self.with(|_, t, now| {
            let l = t.walk(link, false)?;
            if l.ino.is_some() {
                return Err(errno(libc::EEXIST));
            }
            let name = l.name.expect("a missing path has a name");
            let ino = t.add(Kind::Symlink(target.to_owned()), 0o777, now);
            t.link(l.parent, name, ino, now)
        })
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        self.with(|_, t, _| {
            let (_, ino) = t.existing(path, false)?;
            match &t.node(ino).kind {
                Kind::Symlink(target) => Ok(target.clone()),
                _ => Err(errno(libc::EINVAL)),
            }
        })
    }

    fn set_permissions(&self, path: &Path, mode: u32) -> io::Result<()> {
        self.with(|_, t, _| {
            let (_, ino) = t.existing(path, true)?;
            t.node_mut(ino).mode = mode & 0o7777;
            Ok(())
        })
    }
}

/// An open file of a simulated host.
struct SimFile {
    disks: SharedDisks,
    shared: Weak<Shared>,
    host: IpAddr,
    ino: u64,
    generation: u64,
    read: bool,
    write: bool,
    append: bool,
    pos: Mutex<u64>,
}

impl fmt::Debug for SimFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimFile")
            .field("host", &self.host)
            .field("inode", &self.ino)
            .finish_non_exhaustive()
    }
}

impl Drop for SimFile {
    fn drop(&mut self) {
        let mut disks = lock(&self.disks);
        let t = disks.tree(self.host);
        if t.generation == self.generation {
            if let Some(n) = t.open.get_mut(&self.ino) {
                *n -= 1;
                if *n == 0 {
                    t.open.remove(&self.ino);
                    t.collect();
                }
            }
        }
    }
}

const CRASHED: &str = "this file was opened before the simulated host crashed \
     (anyrt::sim::fs::crash): open it again";

impl SimFile {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Disks, &mut Tree, &mut u64, Duration) -> io::Result<T>,
    ) -> io::Result<T> {
        let now = clock(&self.shared);
        let mut pos = self.pos.lock().unwrap_or_else(PoisonError::into_inner);
        let mut disks = lock(&self.disks);
        let mut tree = std::mem::replace(disks.tree(self.host), Tree::placeholder());
        let out = if tree.generation != self.generation || !tree.nodes.contains_key(&self.ino) {
            Err(io::Error::other(CRASHED))
        } else {
            f(&mut disks, &mut tree, &mut pos, now)
        };
        *disks.tree(self.host) = tree;
        out
    }

    fn sync(&self, _all: bool) -> io::Result<()> {
        self.with(|disks, t, _, _| {
            disks.fault(Fault::Io)?;
            match &mut t.node_mut(self.ino).kind {
                Kind::File(d) => {
                    d.durable = d.now.clone();
                    d.unsynced.clear();
                }
                Kind::Dir(e) => e.durable = e.now.clone(),
                Kind::Symlink(_) => {}
            }
            t.collect();
            Ok(())
        })
    }
}

impl FileHandle for SimFile {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.read {
            return Err(errno(libc::EBADF));
        }
        self.with(|disks, t, pos, _| {
            let data = match &t.node(self.ino).kind {
                Kind::File(d) => &d.now,
                Kind::Dir(_) => return Err(errno(libc::EISDIR)),
                Kind::Symlink(_) => unreachable!("opened through"),
            };
            disks.fault(Fault::Io)?;
            let start = (*pos as usize).min(data.len());
            let n = buf.len().min(data.len() - start);
            buf[..n].copy_from_slice(&data[start..start + n]);
            *pos += n as u64;
            Ok(n)
        })
    }

    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        if !self.write {
            return Err(errno(libc::EBADF));
        }

        self.with(|disks, t, pos, now| {
            disks.fault(Fault::Io)?;
            let len = match &t.node(self.ino).kind {
                Kind::File(d) => d.now.len() as u64,
                _ => return Err(errno(libc::EISDIR)),
            };
            if self.append {
                *pos = len;
            }
            let grows = (*pos + buf.len() as u64).saturating_sub(len);
            let mut n = buf.len();
            if grows > 0 {
                disks.fault(Fault::NoSpace)?;
                if let Some(cap) = disks.capacity {
                    let free = cap.saturating_sub(t.used());
                    if free == 0 {
                        return Err(errno(libc::ENOSPC));
                    }
                    n = n.min((buf.len() as u64 - grows + free) as usize);
                }
            }
            let at = *pos;
            let node = t.node_mut(self.ino);
            node.modified = now;
            if let Kind::File(d) = &mut node.kind {
                write_at(&mut d.now, at, &buf[..n]);
                d.unsynced.push(Change::Write(at, buf[..n].to_vec()));
            }
            *pos += n as u64;
            Ok(n)
        })
    }

    fn seek(&self, to: SeekFrom) -> io::Result<u64> {
        self.with(|_, t, pos, _| {
            let len = match &t.node(self.ino).kind {
                Kind::File(d) => d.now.len() as i128,
                _ => 0,
            };
            let target = match to {
                SeekFrom::Start(n) => i128::from(n),
                SeekFrom::End(d) => len + i128::from(d),
                SeekFrom::Current(d) => i128::from(*pos) + i128::from(d),
            };
            if target < 0 {
                return Err(errno(libc::EINVAL));
            }
            *pos = target as u64;
            Ok(*pos)
        })
    }

    fn set_len(&self, size: u64) -> io::Result<()> {
        if !self.write {
            return Err(errno(libc::EINVAL));
        }
        self.with(|disks, t, _, now| {
            let len = match &t.node(self.ino).kind {
                Kind::File(d) => d.now.len() as u64,
                _ => return Err(errno(libc::EISDIR)),
            };
            if size > len {
                disks.fault(Fault::NoSpace)?;
                if let Some(cap) = disks.capacity {
                    if t.used() + (size - len) > cap {
                        return Err(errno(libc::ENOSPC));
                    }
                }
            }
            let node = t.node_mut(self.ino);
            node.modified = now;
            if let Kind::File(d) = &mut node.kind {
                d.now.resize(size as usize, 0);
                d.unsynced.push(Change::SetLen(size));
            }
            Ok(())
        })
    }

    fn sync_all(&self) -> io::Result<()> {
        self.sync(true)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.sync(false)
    }

    fn metadata(&self) -> io::Result<Metadata> {
        self.with(|_, t, _, _| Ok(t.metadata(self.ino)))
    }

    fn set_permissions(&self, mode: u32) -> io::Result<()> {
        self.with(|_, t, _, _| {
            t.node_mut(self.ino).mode = mode & 0o7777;
            Ok(())
        })
    }
}

// -------------------------------------------------------------------------------------------
// The test's controls.

/// The simulation the calling thread is inside.
#[track_caller]
fn inside(what: &str) -> Arc<Shared> {
    match runtime::current() {
        Some(shared) => shared,
        None => panic!(
            "anyrt::sim::fs::{what} was called outside a simulation: it acts on the simulated \
             disks of the Backend::Sim runtime the calling thread is inside (call it from a \
             task or a block_on of that runtime)"
        ),
    }
}

/// Cuts the power of every simulated host: each loses what is not durable (see the
/// module's docs), and every file opened before fails from then on.
///
/// # Panics
///
/// Outside a simulation.
#[track_caller]
pub fn crash() {
    let shared = inside("crash");
    let mut disks = lock(&shared.disks);
    let Disks {
        hosts,
        rng,
        torn_writes,
        ..
    } = &mut *disks;
    for tree in hosts.values_mut() {
        tree.crash(torn_writes.then_some(&mut *rng));
    }
}

/// Cuts the power of one simulated host ([`crash`] for one; the loopback addresses name one
/// host).
///
/// # Panics
///
/// Outside a simulation.
#[track_caller]
pub fn crash_host(host: IpAddr) {
    let host = if host.is_loopback() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host
    };
    let shared = inside("crash_host");
    let mut disks = lock(&shared.disks);
    let torn = disks.torn_writes;
    let mut rng = disks.rng.clone();
    disks.rng.next_u64();
    disks.tree(host).crash(torn.then_some(&mut rng));
}

/// With `on`, a crash keeps a seeded part of each file's unsynced writes (whole writes in
/// order, the last one kept cut at a seeded byte), as a disk that wrote some of its pages
/// back before the power went. Off (the default), a crash keeps only what was synced.
///
/// # Panics
///
/// Outside a simulation.
#[track_caller]
pub fn set_torn_writes(on: bool) {
    lock(&inside("set_torn_writes").disks).torn_writes = on;
}

/// Makes the next call of `fault`'s kind fail, on any host (calls queue: two calls, two
/// failures).
///
/// # Panics
///
/// Outside a simulation.
#[track_caller]
pub fn fail_next(fault: Fault) {
    lock(&inside("fail_next").disks).pending.push(fault);
}

/// Each read, write and sync (and `read_dir`) fails with `EIO` with probability `rate`,
/// drawn from the seed. 0 (the default) turns it off.
///
/// # Panics
///
/// Outside a simulation, or with `rate` outside `0.0..=1.0`.
#[track_caller]
pub fn set_error_rate(rate: f64) {
    assert!(
        (0.0..=1.0).contains(&rate),
        "anyrt::sim::fs::set_error_rate({rate}): a probability is between 0.0 and 1.0"
    );
    lock(&inside("set_error_rate").disks).error_rate = rate;
}

/// Bounds each host's disk to `bytes` of file contents (`None`, the default: unbounded). A
/// write beyond writes what fits, then fails with `ENOSPC` (`StorageFull`).
///
/// # Panics
///
/// Outside a simulation.
#[track_caller]
pub fn set_capacity(bytes: Option<u64>) {
    lock(&inside("set_capacity").disks).capacity = bytes;
}

/// Sets the range each file call's latency is drawn from ([`DEFAULT_LATENCY`] unless set).
///
/// # Panics
///
/// Outside a simulation, or with an empty range.
#[track_caller]
pub fn set_latency(range: RangeInclusive<Duration>) {
    assert!(
        range.start() <= range.end(),
        "anyrt::sim::fs::set_latency({range:?}): the range is empty"
    );
    lock(&inside("set_latency").disks).latency = (*range.start(), *range.end());
}

/// The simulation's disks, shared by its file systems and open files (which hold them, not
/// the simulation: an open file never keeps a runtime alive).
pub(crate) type SharedDisks = Arc<Mutex<Disks>>;

fn lock(disks: &SharedDisks) -> MutexGuard<'_, Disks> {
    disks.lock().unwrap_or_else(PoisonError::into_inner)
}
