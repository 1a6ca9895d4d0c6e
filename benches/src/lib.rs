//! Benchmarks: anyrt against the native runtimes.
