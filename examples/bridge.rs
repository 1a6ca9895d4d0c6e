//! The sync-to-async bridge: `block_on`, `send_blocking`/`recv_blocking`, `spawn_blocking`.
//!
//! Run it with `cargo run -p anyrt-examples --example bridge`
//! (prefix `ANYRT_BACKEND=smol` or `ANYRT_BACKEND=async-std` to run it on another backend).
//!
//! `main` is plain sync code: no runtime, no attribute. Every call below works from there.

use std::thread;
use std::time::Duration;

use anyrt::channel;

fn main() {
    println!("backend: {}", anyrt::Backend::selected());

    // 1. Sync code runs a future to completion with block_on.
    let answer = anyrt::block_on(async {
        anyrt::time::sleep(Duration::from_millis(1)).await;
        42
    });
    println!("block_on from main             -> {answer}");

    // 2. A plain thread produces with send_blocking (waiting while the channel is full);
    //    an async consumer receives with recv().await.
    let (tx, rx) = channel::bounded::<u32>(2);
    let producer = thread::spawn(move || {
        for i in 1..=5 {
            tx.send_blocking(i).expect("the consumer is alive");
        }
        // Dropping `tx` closes the channel: the consumer's loop ends.
    });
    let sum = anyrt::block_on(async move {
        let mut sum = 0;
        while let Ok(i) = rx.recv().await {
            sum += i;
        }
        sum
    });
    producer.join().unwrap();
    println!("thread send_blocking -> async  -> sum {sum}");

    // 3. The other way: an async task produces, a plain thread receives with recv_blocking.
    let (tx, rx) = channel::unbounded::<String>();
    let task = anyrt::spawn(async move {
        for word in ["sync", "meets", "async"] {
            tx.send(word.to_owned()).await.unwrap();
        }
    });
    let consumer = thread::spawn(move || {
        let mut words = Vec::new();
        while let Ok(w) = rx.recv_blocking() {
            words.push(w);
        }
        words.join(" ")
    });
    println!(
        "async send -> thread recv_blocking -> {:?}",
        consumer.join().unwrap()
    );
    anyrt::block_on(task).unwrap();

    // 4. Inside async code, blocking work goes to spawn_blocking; there, block_on and the
    //    _blocking methods work again. Directly in a task, try_block_on refuses.
    anyrt::block_on(async {
        let refused = anyrt::spawn(async { anyrt::try_block_on(async { 1 }) })
            .await
            .unwrap();
        match refused {
            Ok(_) => unreachable!("a task may not block its worker"),
            Err(e) => println!("try_block_on inside a task     -> Err: {e}"),
        }

        let (tx, rx) = channel::bounded::<u64>(1);
        let blocking = anyrt::spawn_blocking(move || {
            thread::sleep(Duration::from_millis(10)); // a blocking call, off the workers
            let nested = anyrt::block_on(async { 2 });
            tx.send_blocking(nested * 21).unwrap();
            anyrt::try_block_on(async {}).is_ok()
        });
        let sent = rx.recv().await.unwrap();
        let ok = blocking.await.unwrap();
        println!(
            "in spawn_blocking: block_on and send_blocking work -> {sent}, try_block_on ok: {ok}"
        );
    });
}
