//! `select!`, `join!` and `try_join!`: tokio's syntax, on every backend, seeded under sim.

/// Waits on several futures at once and runs the handler of the first to complete; the
/// others are dropped. tokio's syntax and rules, so that a port is a rename:
///
/// ```text
/// anyrt::select! {
///     biased;                                  // optional: poll in the order written
///     <pattern> = <future> (, if <precondition>)? => <handler>,
///     ...
///     else => <handler>,                       // optional
/// }
/// ```
///
/// 1. Every precondition is evaluated, then every future expression (in order, also those
///    of branches whose precondition is false: they are built and never polled).
/// 2. The enabled branches are polled, starting from one chosen at random (unbiased), or
///    from the first (`biased;`). The first whose output matches its pattern wins: its
///    handler runs with the pattern's bindings, after every future is dropped. An output
///    that does not match disables its branch, and the others go on.
/// 3. With every branch disabled, `else` runs; with no `else`, a panic.
///
/// **Seeded.** The unbiased choice comes from anyrt's per-thread generator: under the sim
/// backend the simulation seeds it, so a seed replays which branch won. tokio's unbiased
/// `select!` (and futures') draw from a generator the simulation does not control: a seed
/// of a test that uses them does not replay.
///
/// Handlers run in the enclosing async context: `return`, `?`, `break` and `continue` act on
/// the enclosing function or loop.
///
/// Cancel safety is the branches' own: the losing futures are dropped, so in a loop use
/// futures that are cancel-safe (`recv`, `accept`, `sleep`), or keep a future across
/// iterations with `&mut` (pinned with `std::pin::pin!`).
///
/// ```
/// use std::time::Duration;
///
/// anyrt::block_on(async {
///     let (tx, rx) = anyrt::channel::bounded::<u32>(4);
///     let mut deadline = std::pin::pin!(anyrt::time::sleep(Duration::from_secs(5)));
///     tx.send(1).await.unwrap();
///     tx.send(2).await.unwrap();
///     drop(tx);
///     let mut got = Vec::new();
///     loop {
///         anyrt::select! {
///             Ok(v) = rx.recv() => got.push(v),          // Err (closed) disables the branch
///             _ = &mut deadline => panic!("too slow"),
///             else => break,                              // never reached: see below
///         }
///         if got.len() == 2 {
///             break;
///         }
///     }
///     assert_eq!(got, [1, 2]);
///
///     // A precondition, and `else` once every branch is disabled.
///     let ready = true;
///     let which = anyrt::select! {
///         v = async { 7 }, if !ready => v,
///         else => 0,
///     };
///     assert_eq!(which, 0);
/// });
/// ```
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__private::select!($($tokens)*)
    };
}

/// Awaits every future concurrently (in the task that awaits it) and gives their outputs as
/// a tuple, in the order written: tokio's `join!`. Each poll starts one future further on,
/// so that none is always polled first.
///
/// ```
/// anyrt::block_on(async {
///     let (a, b, c) = anyrt::join!(async { 1 }, async { "two" }, anyrt::spawn(async { 3.0 }));
///     assert_eq!((a, b, c.unwrap()), (1, "two", 3.0));
/// });
/// ```
#[macro_export]
macro_rules! join {
    ($($tokens:tt)*) => {
        $crate::__private::join!($($tokens)*)
    };
}

/// Awaits futures that give a `Result` (one error type), concurrently, until all are `Ok`
/// (a tuple of the values) or one is `Err` (that error; the others are dropped): tokio's
/// `try_join!`.
///
/// ```
/// anyrt::block_on(async {
///     let ok: Result<(u8, u16), &str> = anyrt::try_join!(async { Ok(1) }, async { Ok(2) });
///     assert_eq!(ok, Ok((1, 2)));
///     let err: Result<(u8, u16), &str> =
///         anyrt::try_join!(async { Ok(1) }, async { Err("no") });
///     assert_eq!(err, Err("no"));
/// });
/// ```
#[macro_export]
macro_rules! try_join {
    ($($tokens:tt)*) => {
        $crate::__private::try_join!($($tokens)*)
    };
}
