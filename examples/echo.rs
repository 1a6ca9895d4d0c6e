//! The line-protocol echo server and client of `anyrt_examples::echo` (written once on
//! `anyrt::net`), run on every enabled backend, and then across backends: a server on one
//! backend's runtime answering a client on another's.
//!
//! Run it with `cargo run -p anyrt-examples --example echo`.

use anyrt::net::TcpListener;
use anyrt::{Backend, Runtime};
use anyrt_examples::echo;

fn main() {
    // Across runtimes: the real backends (the simulation's sockets live in its memory).
    let backends: Vec<Backend> = Backend::enabled()
        .iter()
        .copied()
        .filter(|&b| b != Backend::Sim)
        .collect();
    for (i, &server_side) in backends.iter().enumerate() {
        let client_side = backends[(i + 1) % backends.len()];
        let server_rt = Runtime::new(server_side).expect("the runtime starts");
        let listener = server_rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind on loopback");
        let addr = listener.local_addr().unwrap();
        let server = server_rt.spawn(echo::serve(listener, 1));

        let client_rt = Runtime::new(client_side).expect("the runtime starts");
        let answers = client_rt
            .block_on(echo::ask(
                addr,
                &["hello", "from", &client_side.to_string()],
            ))
            .expect("the server answers");
        server_rt.block_on(server).unwrap().unwrap();
        println!(
            "server on {:<9} client on {:<9} answers: {answers:?}",
            server_side.to_string(),
            client_side.to_string()
        );
        assert_eq!(
            answers,
            [
                "HELLO",
                "FROM",
                client_side.to_string().to_uppercase().as_str()
            ]
        );
    }
    // The simulation: server and client on its in-memory network, in virtual time.
    if Backend::enabled().contains(&Backend::Sim) {
        let rt = Runtime::new(Backend::Sim).expect("the simulation starts");
        let answers = rt
            .block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await?;
                let addr = listener.local_addr()?;
                let server = anyrt::spawn(echo::serve(listener, 1));
                let answers = echo::ask(addr, &["hello", "from", "sim"]).await?;
                server.await.map_err(std::io::Error::other)??;
                std::io::Result::Ok(answers)
            })
            .expect("the server answers");
        println!("server on sim       client on sim       answers: {answers:?}");
        assert_eq!(answers, ["HELLO", "FROM", "SIM"]);
    }
}
