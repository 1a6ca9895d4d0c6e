//! A line-protocol echo server and client written once on `anyrt::net`: no runtime named.
//! The server answers each line with the line upper-cased; `QUIT` closes the connection.

use std::io;

use anyrt::net::{TcpListener, TcpStream, ToSocketAddrs};
use futures_lite::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Serves connections from `listener` until `connections` of them have ended, each in a
/// task of its own.
pub async fn serve(listener: TcpListener, connections: usize) -> io::Result<()> {
    let mut tasks = anyrt::task::JoinSet::new();
    for _ in 0..connections {
        let (stream, _peer) = listener.accept().await?;
        tasks.spawn(handle(stream));
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(io::Error::other)??;
    }
    Ok(())
}

async fn handle(stream: TcpStream) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = futures_lite::StreamExt::next(&mut lines).await {
        let line = line?;
        if line == "QUIT" {
            break;
        }
        write
            .write_all(format!("{}\n", line.to_uppercase()).as_bytes())
            .await?;
    }
    Ok(())
}

/// Sends each of `lines` to the server at `addr` and gives back its answers.
pub async fn ask(addr: impl ToSocketAddrs, lines: &[&str]) -> io::Result<Vec<String>> {
    let stream = TcpStream::connect_timeout(addr, std::time::Duration::from_secs(5)).await?;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut answers = BufReader::new(read).lines();
    let mut out = Vec::new();
    for line in lines {
        write.write_all(format!("{line}\n").as_bytes()).await?;
        match futures_lite::StreamExt::next(&mut answers).await {
            Some(answer) => out.push(answer?),
            None => return Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }
    write.write_all(b"QUIT\n").await?;
    Ok(out)
}
