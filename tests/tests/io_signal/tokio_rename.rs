//! Common tokio library code with `tokio::` replaced by `anyrt::` (and `tokio::sync::` by
//! `anyrt::sync::`/`anyrt::channel::`): it must compile and run on every backend. Each line
//! here is one a blind rename of tokio's teaching server hit.

use std::sync::Arc;

use anyrt::channel::broadcast::{self, error::RecvError};
use anyrt::sync::{OwnedSemaphorePermit, Semaphore};
use anyrt::time::{self, Duration};
use anyrt_tests::*;

#[anyrt::test]
async fn a_renamed_tokio_program_runs() {
    // tokio::time::{self, Duration}
    time::sleep(Duration::from_millis(1)).await;

    // tokio::sync::broadcast::error::RecvError
    let (tx, mut rx) = broadcast::channel::<u32>(4);
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(rx.recv().await, Ok(1));
    assert_eq!(rx.recv().await, Err(RecvError::Closed));

    // Semaphore::acquire_owned, moved into a spawned task.
    let limit = Arc::new(Semaphore::new(1));
    let permit: OwnedSemaphorePermit = limit.clone().acquire_owned().await.unwrap();
    let task = anyrt::spawn(async move {
        let _permit = permit;
    });
    within("task", task).await.unwrap();
    assert_eq!(limit.available_permits(), 1);
}

// A start-up that returns io::Result, as with tokio's `Builder::build()?`.
fn start() -> std::io::Result<anyrt::Runtime> {
    Ok(anyrt::Runtime::builder(anyrt::Backend::enabled()[0]).build()?)
}

#[test]
fn a_runtime_error_converts_into_io_error() {
    let rt = start().unwrap();
    assert_eq!(rt.block_on(async { 7 }), 7);
    let missing = missing_backends();
    if let Some(&b) = missing.first() {
        let err: std::io::Error = anyrt::Runtime::builder(b).build().unwrap_err().into();
        assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
        assert!(
            err.to_string()
                .contains(&format!("enable the `{b}` feature")),
            "{err}"
        );
    }
}

/// A line-echo server written as with tokio (listener loop, a connection limit, a shutdown
/// broadcast, `select!` between work and shutdown, split halves, buffered lines, `ctrl_c`),
/// with `tokio::` renamed: only the lines marked differ from the tokio original.
mod server {
    use std::sync::Arc;

    use anyrt::channel::broadcast;
    use anyrt::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use anyrt::net::{TcpListener, TcpStream};
    use anyrt::sync::{Mutex, Semaphore};
    use anyrt::time::{timeout, Duration};
    use futures::StreamExt; // differs: tokio's `Lines::next_line` is a `Stream` here

    pub(super) struct Server {
        pub(super) listener: TcpListener,
        pub(super) limit: Arc<Semaphore>,
        pub(super) shutdown: broadcast::Sender<()>,
        pub(super) served: Arc<Mutex<u32>>,
    }

    impl Server {
        pub(super) async fn run(self) -> std::io::Result<()> {
            let mut stop = self.shutdown.subscribe();
            loop {
                let permit = self.limit.clone().acquire_owned().await.unwrap();
                let (socket, _) = anyrt::select! {
                    res = self.listener.accept() => res?,
                    _ = stop.recv() => return Ok(()),
                    _ = anyrt::signal::ctrl_c() => return Ok(()),
                };
                let mut stop = self.shutdown.subscribe();
                let served = self.served.clone();
                anyrt::spawn(async move {
                    let _permit = permit;
                    anyrt::select! {
                        _ = handle(socket) => *served.lock().await += 1,
                        _ = stop.recv() => {}
                    }
                });
            }
        }
    }

    async fn handle(mut socket: TcpStream) -> std::io::Result<()> {
        let (rd, mut wr) = socket.split();
        let mut lines = BufReader::new(rd).lines();
        while let Some(line) = lines.next().await {
            let line = line?;
            wr.write_all(line.to_uppercase().as_bytes()).await?;
            wr.write_u8(b'\n').await?;
        }
        wr.shutdown().await
    }

    pub(super) async fn ask(addr: std::net::SocketAddr, text: &str) -> std::io::Result<String> {
        let mut stream = timeout(Duration::from_secs(5), TcpStream::connect(addr)).await??;
        stream.write_all(text.as_bytes()).await?;
        stream.shutdown().await?;
        let mut reply = String::new();
        BufReader::new(stream).read_line(&mut reply).await?;
        Ok(reply)
    }
}

#[anyrt::test]
async fn a_renamed_tokio_server_runs() {
    use anyrt::net::TcpListener;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (shutdown, _) = broadcast::channel(1);
    let served = Arc::new(anyrt::sync::Mutex::new(0));
    let server = server::Server {
        listener,
        limit: Arc::new(Semaphore::new(2)),
        shutdown: shutdown.clone(),
        served: served.clone(),
    };
    let running = anyrt::spawn(server.run());
    let (a, b, c) = anyrt::join!(
        server::ask(addr, "one\n"),
        server::ask(addr, "two\n"),
        server::ask(addr, "three\n"),
    );
    assert_eq!(
        (a.unwrap(), b.unwrap(), c.unwrap()),
        ("ONE\n".into(), "TWO\n".into(), "THREE\n".into())
    );
    eventually("three connections counted", || {
        served.try_lock().map(|n| *n == 3).unwrap_or(false)
    })
    .await;
    shutdown.send(()).unwrap();
    within("server stops", running).await.unwrap().unwrap();
}

/// tokio::fs code, renamed: a config file written atomically (write a temporary file, sync
/// it, rename it over the old one, sync the directory), read back, listed.
async fn save_config(dir: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use anyrt::io::AsyncWriteExt;
    let tmp = dir.join("config.tmp");
    let mut file = anyrt::fs::File::create(&tmp).await?;
    file.write_all(contents.as_bytes()).await?;
    file.sync_all().await?;
    anyrt::fs::rename(&tmp, dir.join("config")).await?;
    anyrt::fs::File::open(dir).await?.sync_all().await?;
    Ok(())
}

#[anyrt::test]
async fn renamed_tokio_fs_code_runs() {
    let dir = match anyrt::Backend::current() {
        Some(anyrt::Backend::Sim) => std::path::PathBuf::from("/etc/app"),
        backend => std::env::temp_dir().join(format!(
            "anyrt-rename-fs-{}-{backend:?}",
            std::process::id()
        )),
    };
    anyrt::fs::create_dir_all(&dir).await.unwrap();
    save_config(&dir, "port = 1\n").await.unwrap();
    save_config(&dir, "port = 2\n").await.unwrap();
    assert_eq!(
        anyrt::fs::read_to_string(dir.join("config")).await.unwrap(),
        "port = 2\n"
    );
    let mut entries = anyrt::fs::read_dir(&dir).await.unwrap();
    let mut names = Vec::new();
    while let Some(entry) = entries.next_entry().await.unwrap() {
        names.push(entry.file_name());
    }
    assert_eq!(names, ["config"]);
    anyrt::fs::remove_dir_all(&dir).await.unwrap();
}

/// tokio::process code, renamed: run a program, feed its stdin, read its stdout by lines.
#[anyrt::test(tokio, smol, async_std)]
async fn renamed_tokio_process_code_runs() {
    use anyrt::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use futures::StreamExt as _; // differs: tokio's `Lines::next_line` is a `Stream` here
    use std::process::Stdio;
    let mut child = anyrt::process::Command::new("sort")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"b\nc\na\n").await.unwrap();
    drop(stdin);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut sorted = Vec::new();
    while let Some(line) = within("sort's output", lines.next()).await {
        sorted.push(line.unwrap());
    }
    assert_eq!(sorted, ["a", "b", "c"]);
    assert!(within("sort", child.wait()).await.unwrap().success());
}
