//! reqwest (built on tokio's reactor) on every backend: a GET against a hyper server served
//! on anyrt's sockets by the test's own runtime (smol's, async-std's or tokio's), through
//! `anyrt::compat::with_tokio`. Without it, reqwest on smol panics with "there is no
//! reactor running, must be called from the context of a Tokio 1.x runtime".

use std::convert::Infallible;
use std::time::Duration;

use anyrt::net::TcpListener;

async fn hello(
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<String>, Infallible> {
    Ok(hyper::Response::new(format!("hello {}", req.uri().path())))
}

#[anyrt::test(tokio, smol, async_std)]
async fn a_reqwest_get_answered_by_a_hyper_server_on_anyrt() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = anyrt::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        hyper::server::conn::http1::Builder::new()
            .serve_connection(stream, hyper::service::service_fn(hello))
            .await
            .unwrap();
    });

    let body = anyrt::time::timeout(
        Duration::from_secs(20),
        anyrt::compat::with_tokio(async move {
            let client = reqwest::Client::builder().no_proxy().build()?;
            let resp = client.get(format!("http://{addr}/reqwest")).send().await?;
            assert_eq!(resp.status(), 200);
            resp.text().await
        }),
    )
    .await
    .expect("the GET finishes in time")
    .expect("the GET succeeds");
    assert_eq!(body, "hello /reqwest");
    // The server ends when the client's pooled connection closes (the client is dropped).
    anyrt::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("the server finishes in time")
        .unwrap();
}
