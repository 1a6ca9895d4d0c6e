//! The simulated disks (features `sim` and `fs`): under the sim backend, `anyrt::fs` runs
//! on an in-memory file system per simulated host, never on the machine's disk; this module
//! cuts their power and makes them fail.
//!
//! The model (the whole of it is in `anyrt_sim::fs`'s docs):
//! - each host (an address set by [`anyrt::sim::net::host`](crate::sim::net::host); the
//!   loopback host without one) has its own file system, starting empty; relative paths
//!   start at `/`; each call takes a seeded virtual latency ([`set_latency`]);
//! - **durability as POSIX promises it:** a file's bytes are durable once `sync_all` or
//!   `sync_data` returned after the last change; a name in a directory (a file made,
//!   renamed, removed) once the directory itself was synced (`File::open(dir)` then
//!   `sync_all`);
//! - [`crash`] / [`crash_host`] lose everything not durable, and every file opened before
//!   fails from then on; with [`set_torn_writes`], a crash keeps a seeded part of the
//!   unsynced writes, the last one cut at a seeded byte;
//! - [`fail_next`], [`set_error_rate`] and [`set_capacity`] make calls fail with `EIO` or
//!   `ENOSPC`, with the system's error (kind and message) as `std::fs` gives it;
//! - the simulated process owns every file and is not root: a file without its owner's
//!   write bit cannot be opened for writing (`PermissionDenied`).
//!
//! A write-ahead log that acknowledges a record before syncing it, found by the crash:
//!
//! ```
//! use anyrt::fs::{self, OpenOptions};
//! use anyrt::io::AsyncWriteExt;
//! use anyrt::{Backend, Runtime};
//!
//! let rt = Runtime::builder(Backend::Sim).seed(1).build().unwrap();
//! rt.block_on(async {
//!     let mut log = OpenOptions::new().append(true).create(true).open("/wal").await?;
//!     fs::File::open("/").await?.sync_all().await?; // the name "wal" is durable
//!     log.write_all(b"record 1\n").await?;
//!     log.sync_data().await?; // record 1 is durable
//!     log.write_all(b"record 2\n").await?;
//!     log.flush().await?; // written, not synced
//!
//!     anyrt::sim::fs::crash();
//!     assert_eq!(fs::read("/wal").await?, b"record 1\n");
//!     // The file opened before the crash is dead.
//!     assert!(log.write_all(b"record 3\n").await.is_err() || log.flush().await.is_err());
//!     std::io::Result::Ok(())
//! })
//! .unwrap();
//! ```

#[doc(inline)]
pub use anyrt_sim::fs::{
    crash, crash_host, fail_next, set_capacity, set_error_rate, set_latency, set_torn_writes,
    Fault, DEFAULT_LATENCY,
};
