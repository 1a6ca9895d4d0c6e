//! `anyrt::select!`, `join!`, `try_join!` and `anyrt::stream`'s merges on every backend:
//! the first branch to complete wins and the others are dropped, unbiased order is fair,
//! `biased;` is not, a pattern that does not match disables its branch, preconditions,
//! `else`, the panic with every branch disabled, handlers that return or break; a
//! `StreamMap` drops ended streams; under sim, a seed replays the choices.

use std::time::Duration;

use anyrt_tests::*;

#[anyrt::test]
async fn the_first_to_complete_wins_and_the_others_are_dropped() {
    let flag = DropFlag::new();
    let guard = flag.guard();
    let won = anyrt::select! {
        _ = async move { let _g = guard; std::future::pending::<()>().await } => "pending",
        v = async { 5 } => { assert_eq!(v, 5); "ready" }
    };
    assert_eq!(won, "ready");
    assert!(flag.is_dropped(), "the losing future was not dropped");
}

#[anyrt::test]
async fn unbiased_order_is_fair_and_biased_is_not() {
    let mut wins = [0u32; 2];
    for _ in 0..400 {
        let i = anyrt::select! {
            _ = async {} => 0,
            _ = async {} => 1,
        };
        wins[i] += 1;
    }
    assert!(
        wins.iter().all(|&w| w >= 100),
        "unbiased select! picked {wins:?}"
    );
    for _ in 0..50 {
        let i = anyrt::select! {
            biased;
            _ = async {} => 0,
            _ = async {} => 1,
        };
        assert_eq!(i, 0);
    }
}

#[anyrt::test]
async fn an_output_that_does_not_match_disables_its_branch() {
    let got = anyrt::select! {
        Some(v) = async { None::<u32> } => v,
        v = async {
            anyrt::time::sleep(Duration::from_millis(5)).await;
            7
        } => v,
    };
    assert_eq!(got, 7);
    // Every branch disabled: `else`.
    let got = anyrt::select! {
        Ok(v) = async { Err::<u32, ()>(()) } => v,
        Some(v) = async { None::<u32> } => v,
        else => 0,
    };
    assert_eq!(got, 0);
}

#[anyrt::test]
async fn a_false_precondition_builds_the_future_but_never_polls_it() {
    let built = std::cell::Cell::new(false);
    let got = anyrt::select! {
        _ = { built.set(true); async { panic!("polled a disabled branch") } }, if false => 0,
        v = async { 1 } => v,
    };
    assert_eq!(got, 1);
    assert!(
        built.get(),
        "the disabled branch's future was not evaluated"
    );
}

#[anyrt::test]
async fn every_branch_disabled_without_else_panics_saying_so() {
    let task = anyrt::spawn(async {
        anyrt::select! {
            Some(v) = async { None::<u8> } => v,
        }
    });
    let err = within("task", task).await.unwrap_err();
    let msg = panic_message(&*err.into_panic());
    assert!(
        msg.contains("all branches of select! are disabled"),
        "{msg}"
    );
    assert!(msg.contains("no `else` branch"), "{msg}");
}

#[anyrt::test]
async fn patterns_bind_as_written() {
    struct Point {
        x: i32,
        y: i32,
    }
    let got = anyrt::select! {
        Point { x, y: 2 } = async { Point { x: 1, y: 2 } } => x,
    };
    assert_eq!(got, 1);
    let got = anyrt::select! {
        (a, mut b) = async { (1, 2) } => { b += a; b }
    };
    assert_eq!(got, 3);
    let got = anyrt::select! {
        whole @ (Some(1) | Some(2)) = async { Some(2) } => whole,
        else => None,
    };
    assert_eq!(got, Some(2));
    let text = String::from("kept");
    let got = anyrt::select! {
        ref s = async { text } => s.len(),
    };
    assert_eq!(got, 4);
}

async fn first_even(values: Vec<u32>) -> Result<u32, String> {
    let (tx, rx) = anyrt::channel::unbounded();
    for v in values {
        tx.try_send(v).unwrap();
    }
    drop(tx);
    loop {
        anyrt::select! {
            r = rx.recv() => {
                let v = r.map_err(|_| "none even".to_owned())?;
                if v % 2 == 0 {
                    return Ok(v);
                }
            }
        }
    }
}

#[anyrt::test]
async fn handlers_return_break_and_use_question_mark() {
    assert_eq!(first_even(vec![1, 3, 4, 5]).await, Ok(4));
    assert_eq!(first_even(vec![1, 3]).await, Err("none even".to_owned()));
    let mut n = 0;
    loop {
        anyrt::select! {
            _ = anyrt::task::yield_now() => n += 1,
        }
        if n == 3 {
            break;
        }
    }
    assert_eq!(n, 3);
}

#[anyrt::test]
async fn a_future_kept_across_iterations_with_mut_ref() {
    let mut deadline = std::pin::pin!(anyrt::time::sleep(Duration::from_millis(20)));
    let mut ticks = 0u32;
    loop {
        anyrt::select! {
            biased;
            _ = &mut deadline => break,
            _ = anyrt::time::sleep(Duration::from_millis(1)) => ticks += 1,
        }
    }
    assert!(ticks >= 1, "the sleep never won before the deadline");
}

#[anyrt::test]
async fn join_and_try_join() {
    let (a, b) = anyrt::join!(
        async {
            anyrt::time::sleep(Duration::from_millis(2)).await;
            1
        },
        async { 2 }
    );
    assert_eq!((a, b), (1, 2));

    let flag = DropFlag::new();
    let guard = flag.guard();
    let r: Result<((), ()), &str> = anyrt::try_join!(
        async move {
            let _g = guard;
            std::future::pending::<Result<(), &str>>().await
        },
        async { Err("failed") }
    );
    assert_eq!(r, Err("failed"));
    assert!(flag.is_dropped(), "try_join! kept a future after an error");
    let ok: Result<(u8,), ()> = anyrt::try_join!(async { Ok(9) });
    assert_eq!(ok, Ok((9,)));
}

/// Which branch wins, 64 times, under one seed.
#[cfg(feature = "sim")]
fn winners(seed: u64) -> Vec<u8> {
    let rt = anyrt::Runtime::builder(anyrt::Backend::Sim)
        .seed(seed)
        .build()
        .unwrap();
    rt.block_on(async {
        let mut out = Vec::new();
        for _ in 0..64 {
            out.push(anyrt::select! {
                _ = async {} => 0u8,
                _ = async {} => 1,
                _ = async {} => 2,
            });
        }
        out
    })
}

#[cfg(feature = "sim")]
#[test]
fn under_sim_a_seed_replays_the_choices_of_select() {
    assert_seeds_replay("select!'s unbiased choices", 8, winners);
}

#[anyrt::test]
async fn a_stream_map_merges_by_key_and_drops_ended_streams() {
    use anyrt::stream::StreamMap;
    use futures::stream::{self, StreamExt};

    let mut map = StreamMap::new();
    let (tx, rx) = anyrt::channel::unbounded::<u32>();
    map.insert("live", rx.boxed());
    map.insert("short", stream::iter([1u32, 2]).boxed());
    assert!(map.insert("short", stream::iter([5u32]).boxed()).is_some());
    assert_eq!(map.len(), 2);
    tx.send(7).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(within("next", map.next()).await.unwrap());
    }
    got.sort();
    assert_eq!(got, [("live", 7), ("short", 5)]);
    // "short" ended at its next poll and is gone; "live" is pending.
    let nothing = anyrt::time::timeout(Duration::from_millis(5), map.next()).await;
    assert!(nothing.is_err());
    assert!(!map.contains_key("short"));
    drop(tx);
    assert_eq!(within("end", map.next()).await, None);
    assert!(map.is_empty());
}

#[anyrt::test]
async fn a_stream_map_and_merge_are_fair() {
    use anyrt::stream::{merge, StreamMap};
    use futures::stream::{self, StreamExt};

    let mut map = StreamMap::new();
    map.insert(0usize, stream::repeat(()).boxed());
    map.insert(1usize, stream::repeat(()).boxed());
    let mut wins = [0u32; 2];
    for _ in 0..400 {
        wins[map.next().await.unwrap().0] += 1;
    }
    assert!(wins.iter().all(|&w| w >= 100), "StreamMap served {wins:?}");

    let mut m = merge(stream::repeat(0usize), stream::repeat(1usize));
    let mut wins = [0u32; 2];
    for _ in 0..400 {
        wins[m.next().await.unwrap()] += 1;
    }
    assert!(wins.iter().all(|&w| w >= 100), "merge served {wins:?}");
}

#[cfg(feature = "sim")]
#[test]
fn under_sim_a_seed_replays_a_stream_maps_order() {
    use futures::stream::{self, StreamExt};
    let run = |seed: u64| {
        let rt = anyrt::Runtime::builder(anyrt::Backend::Sim)
            .seed(seed)
            .build()
            .unwrap();
        rt.block_on(async {
            let mut map = anyrt::stream::StreamMap::new();
            for k in 0..3u8 {
                map.insert(k, stream::repeat(k).take(20).boxed());
            }
            map.map(|(k, _)| k).collect::<Vec<u8>>().await
        })
    };
    assert_seeds_replay("the order a StreamMap serves", 8, run);
}
