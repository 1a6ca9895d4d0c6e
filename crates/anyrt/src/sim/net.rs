//! The simulated network (features `sim` and `net`): under the sim backend, `anyrt::net`'s
//! TCP and UDP sockets travel through the simulation's memory, each segment after a latency
//! drawn from the seed, so a client/server test replays exactly; this module shapes that
//! network. Every function but [`host`] and [`current_host`] panics outside a simulation.
//!
//! ```
//! use anyrt::net::{TcpListener, TcpStream};
//! use anyrt::sim::net::{host, isolate, rejoin};
//! use anyrt::{Backend, Runtime};
//! use std::net::IpAddr;
//! use std::time::Duration;
//!
//! let rt = Runtime::builder(Backend::Sim).seed(1).build().unwrap();
//! rt.block_on(async {
//!     let server: IpAddr = "10.0.0.1".parse().unwrap();
//!     let client: IpAddr = "10.0.0.2".parse().unwrap();
//!     let listener = TcpListener::bind((server, 80)).await.unwrap();
//!     anyrt::spawn(async move {
//!         while let Ok((_stream, _peer)) = listener.accept().await {}
//!     });
//!
//!     // The server's machine is unreachable: a connect waits, and its timeout fires.
//!     isolate(server);
//!     let err = host(client, TcpStream::connect_timeout((server, 80), Duration::from_secs(3)))
//!         .await
//!         .unwrap_err();
//!     assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
//!
//!     // Back: the connection leaves from the client's address.
//!     rejoin(server);
//!     let stream = host(client, TcpStream::connect((server, 80))).await.unwrap();
//!     assert_eq!(stream.local_addr().unwrap().ip(), client);
//! });
//! ```
//!
//! The model (see `anyrt_sim::net` for the whole of it): every address is a host, and any
//! can be bound; loopback traffic and a host's traffic to itself are never cut. TCP is
//! reliable and ordered (a cut link holds its data until repaired); UDP datagrams each take
//! their own latency and can be lost ([`set_udp_loss`]) or dropped when the link is cut.
//! `localhost` resolves to `127.0.0.1`, other names to what [`add_host`] gave them. Unix
//! sockets are named by paths of the simulation's own (no file is made). Multicast,
//! `TryFrom<std::net::…>` and `into_std` are not part of it: they fail with `Unsupported`
//! under the sim backend.

pub use anyrt_sim::net::{
    add_host, current_host, heal, host, isolate, partition, rejoin, repair, set_latency,
    set_udp_loss, DEFAULT_LATENCY, TCP_BUFFER, UDP_QUEUE,
};
