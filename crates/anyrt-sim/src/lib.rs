//! The deterministic simulation backend of [anyrt](https://docs.rs/anyrt): every task of a
//! runtime is polled on the one thread that drives it, the next task is picked from a seed,
//! and time is virtual.
//!
//! **Who should use this crate:** almost no one directly. Tests turn on anyrt's `sim`
//! feature and get a `::sim` test from every `#[anyrt::test]`; `anyrt::Runtime::builder(
//! Backend::Sim).seed(..)` builds one by hand; `anyrt` reaches this crate through
//! [`anyrt_core::Provider`].
//!
//! ```
//! use anyrt_core::{Backend, Provider, RuntimeConfig};
//! use anyrt_sim::Sim;
//! use std::time::Duration;
//!
//! let rt = Sim::build(&RuntimeConfig::new().knob(Backend::Sim, anyrt_sim::SEED, 7u64)).unwrap();
//! let (virtual_elapsed, real) = Sim::runtime_block_on(&rt, async {
//!     let real = std::time::Instant::now();
//!     let start = anyrt_core::time::Instant::now(); // the virtual clock
//!     Sim::sleep(Duration::from_secs(3600)).await; // an hour, at once
//!     (start.elapsed(), real.elapsed())
//! });
//! // An hour of virtual time (and the microsecond each poll takes).
//! assert!(virtual_elapsed >= Duration::from_secs(3600));
//! assert!(virtual_elapsed < Duration::from_secs(3601));
//! assert!(real < Duration::from_secs(1));
//! ```
//!
//! How it works:
//!
//! * **One thread.** A [`Runtime`] runs its tasks only inside [`Runtime::block_on`], on the
//!   calling thread. `worker_threads` is accepted (zero is still an error) and ignored.
//! * **A seeded schedule.** At each step the driver picks the next task among the ready
//!   ones (and the future of `block_on`) with the [`Scheduler`](anyrt_core::Scheduler):
//!   uniformly at random, or by PCT's priorities. The seed comes from the configuration,
//!   else `ANYRT_SIM_SEED`, else 0.
//! * **Virtual time.** The clock starts at a fixed origin and moves only when every task is
//!   waiting and no blocking closure runs: it jumps to the earliest timer. Each poll also
//!   takes one microsecond of it, so a task that only ever yields still lets the timeouts
//!   around it fire. Timers due at the
//!   same instant fire in seed order. `anyrt::time::Instant::now()` reads it inside.
//! * **Outside the simulation.** A blocking closure runs on a thread of its own while time
//!   stands still; its result reaches the awaiting task at the first step that finds
//!   nothing else ready and no closure running (results in task order), whenever the thread
//!   happened to finish; what another thread wakes is delivered at the next step that finds
//!   nothing else ready, in task order.
//! * **The trace.** Every step (spawn, poll, delivery, timer fire) is folded into a hash:
//!   the same seed, build and inputs give the same [`Runtime::trace_hash`].
//!
//! What breaks determinism (the trace then differs between runs of one seed): reading
//! `std::time::Instant` or `SystemTime` for decisions, iterating a `HashMap` with its
//! random state, threads the test starts itself that talk to the simulation, real sockets
//! and files whose timing varies, and blocking closures that run longer than a second.
//!
//! Feature `net`: the IO half of the contract ([`Net`](anyrt_core::net::Net), implemented
//! on this crate's sockets), an in-memory network with seeded latency and partitions (see
//! the [`net`] module).

#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]

#[cfg(all(feature = "fs", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "fs")))]
pub mod fs;
#[cfg(all(feature = "net", unix))]
pub mod net;
mod rng;
mod runtime;
mod schedule;
#[cfg(all(feature = "signal", unix))]
pub mod signal;
mod time;
mod trace;

use std::time::Duration;

use anyrt_core::time::Instant;
use anyrt_core::Backend;

pub use runtime::{Handle, Runtime, DELAYS, DELAY_MAX, DELAY_PROBABILITY, SCHEDULER, SEED};
pub use schedule::{ParseScheduleError, Schedule};
pub use time::Sleep;
pub use trace::Event;

#[cfg(all(feature = "net", unix))]
pub use net::NET_UNSUPPORTED;

/// The simulation backend, as the [`Provider`](anyrt_core::Provider) the facade
/// dispatches to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sim;

// Written out: the simulation reads the simulation-only knobs of the config that every
// real backend refuses, and has a clock of its own.
impl anyrt_core::Provider for Sim {
    const BACKEND: Backend = Backend::Sim;
    type Runtime = Runtime;
    type Handle = Handle;
    type Sleep = Sleep;

    fn build(config: &anyrt_core::RuntimeConfig) -> std::io::Result<Runtime> {
        config.check_knobs(Backend::Sim)?;
        Runtime::with_config(config)
    }

    fn runtime_handle(runtime: &Runtime) -> Handle {
        runtime.handle()
    }

    fn runtime_block_on<F: std::future::Future>(runtime: &Runtime, future: F) -> F::Output {
        runtime.block_on(future)
    }

    fn shutdown_timeout(runtime: Runtime, timeout: Duration) {
        runtime.shutdown_timeout(timeout);
    }

    fn handle_block_on<F: std::future::Future>(handle: &Handle, future: F) -> F::Output {
        handle.block_on(future)
    }

    fn current() -> Option<Handle> {
        Handle::current()
    }

    fn global() -> Handle {
        Handle::global()
    }

    #[inline]
    fn spawn<F>(future: F) -> anyrt_core::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        runtime::spawn(future)
    }

    #[inline]
    fn spawn_blocking<F, R>(f: F) -> anyrt_core::task::JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        runtime::spawn_blocking(f)
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        runtime::block_on(future)
    }

    #[inline]
    fn sleep(duration: Duration) -> Sleep {
        Sleep::after(duration)
    }

    #[inline]
    fn sleep_until(deadline: Instant) -> Sleep {
        Sleep::at(deadline)
    }

    /// The virtual time of the simulation the calling thread is inside (the system's clock
    /// outside every simulation). A simulation enters it as the clock of its threads, so
    /// [`Instant::now`] reads it there.
    fn now() -> Instant {
        runtime::virtual_now()
    }
}
anyrt_core::impl_executor!(Handle {
    type Sleep = Sleep;

    fn sleep(&self, duration: Duration) -> Sleep {
        Handle::sleep(self, duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Handle::sleep_until(self, deadline)
    }

    fn now(&self) -> Instant {
        Handle::now(self)
    }
});

anyrt_core::impl_executor!(Runtime {
    type Sleep = Sleep;

    fn sleep(&self, duration: Duration) -> Sleep {
        self.handle().sleep(duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        self.handle().sleep_until(deadline)
    }

    fn now(&self) -> Instant {
        Runtime::now(self)
    }
});

/// The seed of the simulation the calling thread is inside; `None` outside every
/// simulation.
pub fn seed() -> Option<u64> {
    runtime::current().map(|s| s.seed())
}

/// The trace hash so far of the simulation the calling thread is inside.
pub fn trace_hash() -> Option<u64> {
    runtime::current().map(|s| s.trace_hash())
}

/// Signals: [`signal::Signal`], registered in the simulation; a real signal never reaches it.
#[cfg(all(feature = "signal", unix))]
impl anyrt_core::signal::Signals for Sim {
    type Signal = signal::Signal;

    fn signal(kind: anyrt_core::signal::SignalKind) -> std::io::Result<signal::Signal> {
        signal::Signal::new(kind)
    }
}

/// The fault hook: `true` with probability `probability`, drawn from the seed of the
/// simulation the calling thread is inside; always `false` outside one.
pub fn buggify_with(probability: f64) -> bool {
    runtime::current().is_some_and(|s| s.buggify(probability))
}

/// What `anyrt::process` says under the simulation.
#[cfg(all(feature = "process", unix))]
pub const PROCESS_UNSUPPORTED: &str = "a simulation runs no programs: under the sim backend, \
     anyrt::process cannot spawn (a real process would escape the seeded schedule and virtual \
     time). Run the tests that start programs on tokio, smol or async-std \
     (`#[anyrt::test(tokio, smol, async_std)]`), or put the program behind a trait the \
     simulated test implements";

/// No processes in a simulation: every spawn fails with `Unsupported`
/// ([`PROCESS_UNSUPPORTED`]).
#[cfg(all(feature = "process", unix))]
impl anyrt_core::process::Processes for Sim {
    type Child = anyrt_core::process::NoProcess;
    type Stdin = anyrt_core::process::NoProcess;
    type Stdout = anyrt_core::process::NoProcess;
    type Stderr = anyrt_core::process::NoProcess;

    fn spawn(
        command: &mut std::process::Command,
    ) -> std::io::Result<anyrt_core::process::Spawned<Sim>> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!(
                "cannot run {:?}: {PROCESS_UNSUPPORTED}",
                command.get_program()
            ),
        ))
    }
}
