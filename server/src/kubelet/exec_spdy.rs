//! exec and attach over SPDY/3.1, as kubectl up to 1.29 speaks them (`X-Stream-Protocol-Version:
//! v4.channel.k8s.io`): the client opens one stream per `streamtype` (error, and stdin, stdout, stderr and
//! resize as asked), the kubelet replies to each, carries the session's bytes on them, and ends with the
//! command's Status on the error stream, as on the websocket's channel 3.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};

use super::runtime::ExecSession;
use super::spdy::{self, Frame, Out, Writer, FIN};

/// The one stream protocol served over SPDY.
pub const PROTOCOL: &str = "v4.channel.k8s.io";

/// Which streams the client must open before the session starts, from the request's flags.
#[derive(Clone, Copy)]
pub struct Expect {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

impl Expect {
    fn wanted(&self) -> Vec<&'static str> {
        let mut w = vec!["error"];
        for (on, kind) in [
            (self.stdin, "stdin"),
            (self.stdout, "stdout"),
            (self.stderr && !self.tty, "stderr"),
            (self.tty, "resize"),
        ] {
            if on {
                w.push(kind);
            }
        }
        w
    }
}

/// The terminal sizes in a resize stream's bytes: JSON objects one after another.
fn sizes(data: &[u8]) -> Vec<(u16, u16)> {
    serde_json::Deserializer::from_slice(data)
        .into_iter::<Value>()
        .flatten()
        .filter_map(|size| {
            let dim = |k: &str| size[k].as_u64().and_then(|v| u16::try_from(v).ok());
            Some((dim("Width")?, dim("Height")?))
        })
        .collect()
}

/// Runs an exec or attach session over a SPDY connection.
pub async fn serve<IO>(
    io: IO,
    mut session: ExecSession,
    expect: Expect,
    exit_status: fn(i64) -> Vec<u8>,
) where
    IO: AsyncRead + AsyncWrite + Send + 'static,
{
    let (tx, mut reader, writer) = spdy::start(io);
    // Frames are read in a task of their own: a read cut short by select! would lose the stream's place.
    let (frames_tx, mut frames) = tokio::sync::mpsc::channel::<Frame>(64);
    let reader = tokio::spawn(async move {
        while let Ok(Some(frame)) = reader.next().await {
            if frames_tx.send(frame).await.is_err() {
                break;
            }
        }
    });
    let mut ids: HashMap<String, u32> = HashMap::new();
    let wanted = expect.wanted();
    let mut stdin = session.stdin.take();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    // Until every expected stream is open; then output may flow.
    let mut started = false;
    loop {
        if !started && wanted.iter().all(|w| ids.contains_key(*w)) {
            started = true;
        }
        tokio::select! {
            frame = frames.recv() => match frame {
                Some(Frame::SynStream { id, flags, headers }) => {
                    let _ = tx.send(Out::Reply(id));
                    let kind = headers
                        .iter()
                        .find(|(k, _)| k == "streamtype")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    if kind == "stdin" && flags & FIN != 0 {
                        stdin = None;
                    }
                    ids.insert(kind, id);
                }
                Some(Frame::Data { id, flags, data }) => {
                    if Some(&id) == ids.get("stdin") {
                        if let Some(input) = &stdin {
                            if !data.is_empty() {
                                let _ = input.send(bytes::Bytes::from(data)).await;
                            }
                        }
                        if flags & FIN != 0 {
                            stdin = None;
                        }
                    } else if Some(&id) == ids.get("resize") {
                        for size in sizes(&data) {
                            let _ = session.resize.send(size).await;
                        }
                    }
                }
                Some(Frame::Ping(n)) => {
                    let _ = tx.send(Out::Frame(Writer::ping(n)));
                }
                Some(Frame::RstStream { .. }) | Some(Frame::Other) => {}
                // The client went away, or is done with the connection.
                Some(Frame::GoAway) | None => break,
            },
            out = session.output.recv(), if started => match out {
                Some((channel, data)) => {
                    let kind = if channel == 2 { "stderr" } else { "stdout" };
                    if let Some(id) = ids.get(kind) {
                        let _ = tx.send(Out::Frame(Writer::data(*id, 0, &data)));
                    }
                }
                None => {
                    drop(stdin.take());
                    for kind in ["stdout", "stderr"] {
                        if let Some(id) = ids.get(kind) {
                            let _ = tx.send(Out::Frame(Writer::data(*id, FIN, &[])));
                        }
                    }
                    let code = (&mut session.exit).await.unwrap_or(-1);
                    if let Some(id) = ids.get("error") {
                        // The Status without the websocket's channel byte.
                        let status = exit_status(code);
                        let _ = tx.send(Out::Frame(Writer::data(*id, 0, status.get(1..).unwrap_or_default())));
                        let _ = tx.send(Out::Frame(Writer::data(*id, FIN, &[])));
                    }
                    // The client closes the connection once it has read the Status.
                    let _ = tokio::time::timeout(Duration::from_secs(5), async {
                        while frames.recv().await.is_some() {}
                    })
                    .await;
                    break;
                }
            },
            _ = tokio::time::sleep_until(deadline), if !started => {
                tracing::debug!("a SPDY exec never opened its streams");
                break;
            }
        }
    }
    reader.abort();
    drop(tx);
    let _ = writer.await;
}
