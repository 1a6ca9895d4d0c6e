//! The IO beyond sockets on every backend, in one test binary (each binary of the suite is
//! linked once per backend combination CI builds): `anyrt::fs` (fs.rs), `anyrt::io` (io.rs), `anyrt::process` (process.rs), `anyrt::signal`
//! (signal.rs), and tokio code renamed to anyrt (tokio_rename.rs).

mod cancel;
mod fs;
mod io;
mod process;
mod signal;
mod tokio_rename;
