//! hyper 1.x on anyrt (feature `hyper`): [`Executor`] and [`Timer`] for hyper's builders,
//! and hyper's `rt::Read`/`rt::Write` on [`anyrt::net`](crate::net)'s streams, so a hyper
//! server or client runs on any backend with no tokio adapter.
//!
//! ```
//! use anyrt::compat::hyper::{Executor, Timer};
//! use anyrt::net::{TcpListener, TcpStream};
//! use std::convert::Infallible;
//!
//! async fn hello(
//!     _: hyper::Request<hyper::body::Incoming>,
//! ) -> Result<hyper::Response<String>, Infallible> {
//!     Ok(hyper::Response::new("hello".to_owned()))
//! }
//!
//! anyrt::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     anyrt::spawn(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         hyper::server::conn::http1::Builder::new()
//!             .timer(Timer::new())
//!             .serve_connection(stream, hyper::service::service_fn(hello))
//!             .await
//!             .unwrap();
//!     });
//!
//!     let stream = TcpStream::connect(addr).await.unwrap();
//!     let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, String>(stream)
//!         .await
//!         .unwrap();
//!     anyrt::spawn(conn);
//!     let req = hyper::Request::get("/").header("host", "localhost").body(String::new()).unwrap();
//!     let resp = sender.send_request(req).await.unwrap();
//!     assert_eq!(resp.status(), 200);
//!     # let _ = Executor::new();
//! });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::time::Sleep;
use crate::Handle;

/// hyper's `rt::Executor`: each future hyper hands over (an HTTP/2 stream, a connection's
/// background task) is an anyrt task, detached. [`new`](Self::new) spawns where
/// [`anyrt::spawn`](crate::spawn) would; [`on`](Self::on) onto one runtime.
#[derive(Debug, Clone, Default)]
pub struct Executor {
    handle: Option<Handle>,
}

impl Executor {
    /// Spawns where [`anyrt::spawn`](crate::spawn) would, at each call.
    pub fn new() -> Executor {
        Executor { handle: None }
    }

    /// Spawns onto `handle`'s runtime.
    pub fn on(handle: Handle) -> Executor {
        Executor {
            handle: Some(handle),
        }
    }
}

impl<F> hyper::rt::Executor<F> for Executor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        match &self.handle {
            Some(h) => drop(h.spawn(future)),
            None => drop(crate::spawn(future)),
        }
    }
}

/// hyper's `rt::Timer` on anyrt's timer (header-read timeouts, keep-alive): sleeps on the
/// backend in effect where hyper asks for them, and `now()` reads anyrt's clock
/// ([`anyrt::time::Instant::now`](crate::time::Instant::now)), the backend's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timer {
    _private: (),
}

impl Timer {
    /// The timer.
    pub fn new() -> Timer {
        Timer { _private: () }
    }
}

impl hyper::rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep {
            sleep: crate::time::sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep {
            sleep: crate::time::sleep_until(deadline.into()),
        })
    }

    fn now(&self) -> std::time::Instant {
        crate::time::Instant::now().into()
    }
}

pin_project_lite::pin_project! {
    /// An anyrt sleep as hyper's `rt::Sleep`.
    struct HyperSleep {
        #[pin]
        sleep: Sleep,
    }
}

impl Future for HyperSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().sleep.poll(cx)
    }
}

impl hyper::rt::Sleep for HyperSleep {}
