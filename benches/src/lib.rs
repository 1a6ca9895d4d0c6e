//! Benchmarks: anyrt against the native runtimes, side by side.
//!
//! The report is the `compare` binary (`cargo run --release -p anyrt-benches --bin
//! compare`); this library holds what it measures: the [`workloads`], written natively and
//! through anyrt for each backend, and the counting allocators of the [`alloc`] passes.

pub mod alloc;
pub mod hyper_native;
pub mod workloads;
