//! The `#[anyrt::test]` and `#[anyrt::main]` attributes.
//!
//! **Who should depend on this crate:** nobody directly. Use the attributes through the
//! `anyrt` facade (its `macros` feature, on by default) as `#[anyrt::test]` and
//! `#[anyrt::main]`; the expansion names paths in `anyrt` (`::anyrt::__private`), so it
//! only compiles where `anyrt` is a dependency under that name. The examples here compile
//! and run against `anyrt` (a dev-dependency).
//!
//! # Features
//!
//! `tokio`, `smol`, `async-std`, `sim`: turned on by `anyrt`'s features of the same names, so
//! that `#[anyrt::test]` generates a test only for the backends compiled in.
//!
//! # `#[anyrt::test]`
//!
//! Writes an async test once and runs it on every backend enabled in `anyrt`:
//!
//! ```
//! #[anyrt::test]
//! async fn sleeps() {
//!     anyrt::time::sleep(std::time::Duration::from_millis(1)).await;
//! }
//! # fn main() {}
//! ```
//!
//! becomes a module `sleeps` with one `#[test]` per enabled backend: `sleeps::tokio`,
//! `sleeps::smol`, `sleeps::async_std` and `sleeps::sim` (so `cargo test sleeps::smol` runs
//! one of them; `sleeps::sim` runs the body under the deterministic simulation, one seed or,
//! with `sim(seeds = N)`, N of them). Each runs the body on a fresh `anyrt::Runtime` of its
//! backend; a failure (a panic, or an
//! `Err` from a body that returns `Result<(), E>` with `E: Debug`) names the test and the
//! backend. See [`macro@test`] for the arguments and the exact expansion.
//!
//! # `#[anyrt::main]`
//!
//! Makes an `async fn main` sync: it blocks on the body with `anyrt::block_on` (the default
//! backend selection), or on a fresh runtime of the backend given:
//!
//! ```
//! #[anyrt::main]
//! async fn main() -> std::io::Result<()> {
//!     anyrt::time::sleep(std::time::Duration::from_millis(1)).await;
//!     Ok(())
//! }
//! ```
//!
//! See [`macro@main`].
//!
//! # Errors
//!
//! Misuse is a compile error with the span of the token at fault, listing what would have
//! been valid. The function is still emitted next to the error, so the rest of the crate
//! (and an IDE) keeps seeing it.

#![forbid(unsafe_code)]

mod args;
mod entry;
mod select;

use proc_macro::TokenStream;

/// Runs an async test on every backend enabled in `anyrt`, each on a fresh runtime.
///
/// ```
/// #[anyrt::test]
/// async fn answers() {
///     let handle = anyrt::spawn(async { 6 * 7 });
///     assert_eq!(handle.await.unwrap(), 42);
/// }
///
/// #[anyrt::test(tokio, smol, worker_threads = 2)]
/// async fn reads_config() -> Result<(), std::io::Error> {
///     anyrt::spawn_blocking(|| std::fs::metadata("Cargo.toml")).await.unwrap()?;
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// # Arguments
///
/// A comma-separated list, all optional:
///
/// - backends: `tokio`, `smol`, `async_std`, `sim`. Only the tests for these are generated;
///   without any, one per backend. A backend whose feature is not enabled in `anyrt` gets no
///   test (features stay additive: this is never an error). With no backend enabled at all,
///   one test, `<name>::no_backend_enabled`, fails with a message naming the features to
///   enable: "running 0 tests ... ok" would hide that nothing ran. The async-std backend is written
///   `async_std`, as an identifier; `async-std` and string literals are rejected with a hint.
/// - `worker_threads = N`: the size of each test's runtime (a positive integer literal).
///   Without it, the backend's default (the number of CPUs).
/// - `current_thread`: each test's runtime runs its tasks on the test's own thread, as
///   `#[tokio::test]` does by default (the flavour to port such tests to). Not with
///   `worker_threads`.
/// - `sim(..)`, naming the simulation backend with options: `seeds = N` explores N seeds
///   (`ANYRT_SIM_SEEDS` overrides; `ANYRT_SIM_SEED` picks one), `pct = D` uses the PCT
///   scheduler of depth D, `fifo` runs tasks in the order they were woken (for tests that
///   assume a one-thread runtime's order: `spawn_local` tasks after their spawner too),
///   `no_delays` turns off the seeded scheduling delays (on by default: some woken tasks are
///   held back for a seeded time, which finds races that need a slow task),
///   `check` runs each seed twice and fails if the traces differ. The
///   first failing seed is printed with the command that reruns it, and its shrunk schedule
///   as `ANYRT_SIM_REPLAY=<token>`, which replays it exactly. Plain `sim` (or no backend
///   named, with the `sim` feature on) runs one seed.
///
/// ```
/// #[anyrt::test(tokio, sim(seeds = 50))]
/// async fn counts_every_hit() {
///     let hits = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
///     let tasks: Vec<_> = (0..4)
///         .map(|_| {
///             let hits = hits.clone();
///             anyrt::spawn(async move {
///                 hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
///             })
///         })
///         .collect();
///     for t in tasks {
///         t.await.unwrap();
///     }
///     assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 4);
/// }
/// # fn main() {}
/// ```
///
/// # A sync test per backend
///
/// On a sync function that takes a `Backend` (`fn name(b: Backend)`), it generates one sync
/// test per backend instead, each calling the function with its backend: for tests that
/// build, drop or outlive a `Runtime` themselves, which an async test, already inside one,
/// cannot. Backend names are the only arguments it takes.
///
/// ```
/// use anyrt::{Backend, Runtime};
///
/// #[anyrt::test]
/// fn a_runtime_dropped_from_a_plain_thread(b: Backend) {
///     let rt = Runtime::new(b).unwrap();
///     assert_eq!(rt.block_on(async { 1 + 1 }), 2);
///     drop(rt);
/// }
/// # fn main() {}
/// ```
///
/// # The function
///
/// An `async fn` without parameters or generics, returning `()` or a `Result<(), E>` with
/// `E: Debug` (any path to `Result`, such as `std::io::Result<()>`, works). Its other
/// attributes go where they act: `#[cfg]` on everything; lint attributes (`allow`, `warn`,
/// `deny`, `forbid`, `expect`) on the body; docs on the module and the tests; everything
/// else (`#[should_panic]`, `#[ignore]`, `#[cfg_attr]`, other attribute macros) on each
/// generated `#[test]` function. Do not add `#[test]` yourself.
///
/// # Expansion
///
/// ```text
/// #[allow(dead_code)] #[doc(hidden)]
/// async fn __anyrt_test_answers_tokio() { /* the body */ }
/// // a copy for `smol` and `async_std` too: each test has its own `static`s
///
/// mod answers {
///     #[::core::prelude::v1::test]
///     fn tokio() {
///         ::anyrt::__private::run_test(
///             ::core::module_path!(),            // "my_crate::answers"
///             ::anyrt::__private::Backend::Tokio,
///             ::core::option::Option::None,      // Some(N) with worker_threads = N
///             false,                             // true with current_thread
///             super::__anyrt_test_answers_tokio(),
///         );
///     }
///     // the same for `smol` and `async_std`, if enabled in `anyrt`
/// }
/// ```
///
/// The body stays in the enclosing module, so every path in it means what it meant before.
/// The module takes the name of the function: the function's own name is free for no other
/// item in that module's type namespace (another `mod answers`, say).
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::test(args.into(), item.into()).into()
}

/// Runs an `async fn` to completion from sync code, typically `main`.
///
/// ```
/// #[anyrt::main]
/// async fn main() {
///     let answer = anyrt::spawn(async { 6 * 7 }).await.unwrap();
///     println!("{answer}");
/// }
/// ```
///
/// # Arguments
///
/// - at most one backend, `tokio`, `smol` or `async_std`: the body runs on a fresh runtime of
///   it (an error at run time, with a message, if its feature is not enabled in `anyrt`).
///   Without one, the body runs through `anyrt::block_on`, on the selected backend (see
///   `anyrt::Backend::selected`: `set_default_backend`, `ANYRT_BACKEND`, the features).
/// - `worker_threads = N`: the runtime's size (a positive integer literal); or
///   `current_thread`: a runtime that runs its tasks on the main thread.
///
/// # The function
///
/// Any `async fn`; it returns what it returned before. Named `main`, it cannot take
/// arguments. On another function, parameters and generics are allowed: the body is an
/// `async move` block that captures them.
///
/// # Expansion
///
/// ```text
/// fn main() {
///     ::anyrt::__private::run_main(
///         ::core::option::Option::None, // Some(::anyrt::__private::Backend::Smol) with `smol`
///         ::core::option::Option::None, // Some(N) with worker_threads = N
///         false,                        // true with current_thread
///         async move { /* the body */ },
///     )
/// }
/// ```
///
/// Inner attributes of the body (`#![allow(..)]`) become outer attributes of the function.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::main(args.into(), item.into()).into()
}

/// Waits on several futures at once and runs the handler of the first to complete, with
/// tokio's syntax: `pattern = future (, if precondition)? => handler`, an optional
/// `else => handler` (when every branch is disabled) and `biased;` (poll in order).
/// Documented at `anyrt::select!`.
#[proc_macro]
pub fn select(input: TokenStream) -> TokenStream {
    select::select(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Awaits every future, concurrently, and gives their outputs as a tuple: tokio's `join!`.
/// Documented at `anyrt::join!`.
#[proc_macro]
pub fn join(input: TokenStream) -> TokenStream {
    select::join(input.into(), false)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Awaits every future returning a `Result`, concurrently, until all are `Ok` or one is
/// `Err`: tokio's `try_join!`. Documented at `anyrt::try_join!`.
#[proc_macro]
pub fn try_join(input: TokenStream) -> TokenStream {
    select::join(input.into(), true)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
