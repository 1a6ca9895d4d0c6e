//! No heap allocation per spawn beyond what the native runtime's own spawn makes: a counting
//! global allocator (counting on the calling thread only) compares `anyrt::spawn` with the
//! native spawn on each backend. Its own test binary, since the allocator is process-wide.

#[allow(unused_imports)]
use anyrt::{Backend, Runtime};
use anyrt_test_support::alloc::{count_this_thread, CountingAlloc};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Spawns per measured round.
#[allow(dead_code)]
const N: usize = 2000;

/// Allocations made on this thread by `f`.
#[allow(dead_code)]
fn allocations(f: impl FnOnce()) -> usize {
    count_this_thread(f).1 as usize
}

/// Allocations of `N` spawns through `spawn`, after a warm-up round; the handles are kept (in
/// a vector allocated beforehand) until after counting.
#[allow(dead_code)]
fn per_round<H>(mut spawn: impl FnMut() -> H) -> usize {
    let mut best = usize::MAX;
    for _ in 0..3 {
        let mut v = Vec::with_capacity(N);
        let n = allocations(|| {
            for _ in 0..N {
                v.push(spawn());
            }
        });
        best = best.min(n);
        drop(v);
    }
    best
}

#[allow(dead_code)]
fn assert_no_more(backend: &str, anyrt: usize, native: usize) {
    // Allow amortised growth of queues (well under one allocation per 50 spawns).
    assert!(
        anyrt <= native + N / 50,
        "{backend}: {N} × anyrt::spawn made {anyrt} allocations, {N} × the native spawn {native}"
    );
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_spawn_allocates_no_more_than_native() {
    let native_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let native = native_rt.block_on(async { per_round(|| tokio::spawn(async {})) });
    // anyrt's own tokio runtime, and anyrt inside the foreign one.
    let rt = Runtime::new(Backend::Tokio).unwrap();
    let ours = rt.block_on(async { per_round(|| anyrt::spawn(async {})) });
    let foreign = native_rt.block_on(async { per_round(|| anyrt::spawn(async {})) });
    assert_no_more("tokio", ours, native);
    assert_no_more("tokio (foreign runtime)", foreign, native);
}

#[cfg(feature = "smol")]
#[test]
fn smol_spawn_allocates_no_more_than_native() {
    let ex = smol::Executor::new();
    let native = per_round(|| ex.spawn(async {}));
    let rt = Runtime::new(Backend::Smol).unwrap();
    let ours = rt.block_on(async { per_round(|| anyrt::spawn(async {})) });
    let through_handle = {
        let h = rt.handle();
        per_round(|| h.spawn(async {}))
    };
    assert_no_more("smol", ours, native);
    assert_no_more("smol (Handle::spawn)", through_handle, native);
}

#[cfg(feature = "async-std")]
#[test]
fn async_std_spawn_allocates_no_more_than_native() {
    let native =
        async_std::task::block_on(async { per_round(|| async_std::task::spawn(async {})) });
    let rt = Runtime::new(Backend::AsyncStd).unwrap();
    let ours = rt.block_on(async { per_round(|| anyrt::spawn(async {})) });
    assert_no_more("async-std", ours, native);
}

anyrt::task_local! {
    static PLAIN: u64;
    inherit static INHERITED: u64;
}

/// A task-local costs nothing at a spawn unless it is inherited, and an inherited one costs
/// at most one allocation per spawn (its clone's box), on every backend.
#[test]
fn an_inherited_task_local_costs_at_most_one_allocation_per_spawn() {
    for backend in Backend::enabled() {
        let rt = Runtime::new(*backend).unwrap();
        let bare = rt.block_on(async { per_round(|| anyrt::spawn(async {})) });
        let plain = rt.block_on(PLAIN.scope(1, async { per_round(|| anyrt::spawn(async {})) }));
        let inherited =
            rt.block_on(INHERITED.scope(1, async { per_round(|| anyrt::spawn(async {})) }));
        assert_no_more(&format!("{backend} (a plain key in scope)"), plain, bare);
        assert!(
            inherited <= bare + N + N / 50,
            "{backend}: {N} spawns with an inherited key in scope made {inherited} allocations, \
             {bare} without"
        );
        // And the value does arrive (the counting above is of the real path).
        let seen = rt.block_on(INHERITED.scope(5, async {
            anyrt::spawn(async { INHERITED.get() }).await.unwrap()
        }));
        assert_eq!(seen, 5);
        eprintln!("{backend}: {N} spawns: {bare} allocations bare, {plain} with a plain key, {inherited} with an inherited key");
    }
}

/// Write-then-read round trips of 64 bytes per measured run of the socket test.
#[allow(dead_code)]
const TRIPS: usize = 1000;

#[allow(dead_code)]
fn std_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    for x in [&c, &s] {
        x.set_nonblocking(true).unwrap();
        x.set_nodelay(true).unwrap();
    }
    (c, s)
}

#[allow(dead_code)]
async fn trips<S: futures::AsyncRead + futures::AsyncWrite + Unpin>(a: &mut S, b: &mut S) {
    use futures::{AsyncReadExt, AsyncWriteExt};
    let mut buf = [7u8; 64];
    for _ in 0..TRIPS {
        a.write_all(&buf).await.unwrap();
        b.read_exact(&mut buf).await.unwrap();
    }
}

/// The fewest allocations of three runs of `run` (after a warm-up run).
#[allow(dead_code)]
fn fewest(mut run: impl FnMut()) -> usize {
    run();
    (0..3).map(|_| allocations(&mut run)).min().unwrap()
}

/// No allocation per read or write beyond the native socket's: `TRIPS` round trips on a
/// loopback pair, everything on this thread (a current-thread runtime), through
/// `anyrt::net::TcpStream` and through the backend's own socket.
#[cfg(all(feature = "_real", unix))]
#[test]
fn socket_reads_and_writes_allocate_no_more_than_native() {
    for &backend in Backend::enabled().iter().filter(|&&b| b != Backend::Sim) {
        let rt = Runtime::builder(backend).current_thread().build().unwrap();
        let (c, s) = std_pair();
        let (mut c, mut s) = rt.block_on(async {
            (
                anyrt::net::TcpStream::try_from(c).unwrap(),
                anyrt::net::TcpStream::try_from(s).unwrap(),
            )
        });
        let ours = fewest(|| rt.block_on(trips(&mut c, &mut s)));
        let (c, s) = std_pair();
        let native = match backend {
            #[cfg(feature = "tokio")]
            Backend::Tokio => {
                let trt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let (mut c, mut s) = trt.block_on(async {
                    (
                        tokio::net::TcpStream::from_std(c).unwrap(),
                        tokio::net::TcpStream::from_std(s).unwrap(),
                    )
                });
                fewest(|| {
                    trt.block_on(async {
                        use tokio::io::{AsyncReadExt, AsyncWriteExt};
                        let mut buf = [7u8; 64];
                        for _ in 0..TRIPS {
                            c.write_all(&buf).await.unwrap();
                            s.read_exact(&mut buf).await.unwrap();
                        }
                    })
                })
            }
            #[cfg(feature = "smol")]
            Backend::Smol => {
                let mut c = smol::Async::new(c).unwrap();
                let mut s = smol::Async::new(s).unwrap();
                fewest(|| smol::block_on(trips(&mut c, &mut s)))
            }
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => {
                let mut c = async_std::net::TcpStream::from(c);
                let mut s = async_std::net::TcpStream::from(s);
                fewest(|| async_std::task::block_on(trips(&mut c, &mut s)))
            }
            _ => unreachable!("a real backend"),
        };
        eprintln!("{backend}: {TRIPS} round trips (2 × {TRIPS} reads and writes): {ours} allocations through anyrt::net, {native} natively");
        // A block_on's own few allocations aside (well under one per 50 operations).
        assert!(
            ours <= native + TRIPS / 50,
            "{backend}: {TRIPS} round trips made {ours} allocations through anyrt::net, {native} natively"
        );
    }
}

/// A bounded(1) ping-pong between two futures of one task (on this thread): waiting on a
/// channel takes a reusable slot in it, so 1,000 round trips (2,000 waits) allocate nothing
/// beyond the block_on's own. (On async-channel, the base before anyrt's own core, each wait
/// allocated a listener: about 2,000 here.)
#[cfg(feature = "_backend")]
#[test]
fn channel_waits_allocate_nothing() {
    use anyrt::channel::bounded;
    const TRIPS: u32 = 1000;
    let n = fewest(|| {
        anyrt::block_on(async {
            let (to_b, from_a) = bounded::<u32>(1);
            let (to_a, from_b) = bounded::<u32>(1);
            let a = async {
                for i in 0..TRIPS {
                    to_b.send(i).await.unwrap();
                    assert_eq!(from_b.recv().await, Ok(i + 1));
                }
            };
            let b = async {
                for _ in 0..TRIPS {
                    let v = from_a.recv().await.unwrap();
                    to_a.send(v + 1).await.unwrap();
                }
            };
            futures::join!(a, b);
        })
    });
    assert!(n <= 20, "{n} allocations for {TRIPS} round trips");
}
