//! Port-forwarding on the kubelet: `/portForward/{namespace}/{pod}` in kube's three dialects. A websocket
//! in `v4.channel.k8s.io` carries the ports of `?ports=` on channels 2i (data) and 2i+1 (errors), each
//! opened with the port in two little-endian bytes (kyb, the Python client). SPDY/3.1 carries one pair of
//! streams (error and data) per forwarded connection, either over an HTTP upgrade to `SPDY/3.1` (kubectl
//! up to 1.30) or tunnelled through a websocket in `SPDY/3.1+portforward.k8s.io` (kubectl 1.31 and later).
//! Every connection goes to the pod's address.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use kyb_api::status::Status;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::pods::Ctx;
use super::runtime::ContainerRuntime;
use super::server::{authorized_pod, status};
use super::spdy::{self, Frame, Out, Writer, FIN};

/// The websocket subprotocol kubectl 1.31+ tunnels SPDY in.
const SPDY_TUNNEL: &str = "SPDY/3.1+portforward.k8s.io";
/// What the SPDY upgrade names as its stream protocol.
const PORT_FORWARD_PROTOCOL: &str = "portforward.k8s.io";

/// Where a pod's forwarded connections go, and how errors name it.
#[derive(Clone)]
struct Target {
    ip: String,
    pod: String,
    uid: String,
}

impl Target {
    fn failure(&self, port: u16, e: &std::io::Error) -> String {
        format!(
            "error forwarding port {port} to pod {}, uid {}: failed to connect to {}:{port}: {e}",
            self.pod, self.uid, self.ip
        )
    }
}

/// The ports a port-forward asks for, as the kubelet parses them (`ports=80&ports=8080,9090`).
fn forward_ports(query: &[(String, String)]) -> Result<Vec<u16>, String> {
    let mut ports = Vec::new();
    for value in query.iter().filter(|(k, _)| k == "ports").map(|(_, v)| v) {
        for p in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let port: u16 = p
                .parse()
                .map_err(|e| format!("unable to parse {p:?} as a port: {e}"))?;
            if port == 0 {
                return Err(format!("port {p:?} must be > 0"));
            }
            ports.push(port);
        }
    }
    if ports.is_empty() {
        return Err("query parameter \"port\" is required".into());
    }
    Ok(ports)
}

/// Carries each port's bytes between the websocket and a connection to the pod, until either side ends.
async fn forward(mut socket: WebSocket, ports: Vec<u16>, target: Target) {
    let frame = |channel: usize, data: &[u8]| {
        let mut f = Vec::with_capacity(data.len() + 1);
        f.push(u8::try_from(channel).unwrap_or(u8::MAX));
        f.extend_from_slice(data);
        Message::Binary(f.into())
    };
    for (i, port) in ports.iter().enumerate() {
        for channel in [2 * i, 2 * i + 1] {
            if socket
                .send(frame(channel, &port.to_le_bytes()))
                .await
                .is_err()
            {
                return;
            }
        }
    }
    let mut streams = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        match tokio::net::TcpStream::connect((target.ip.as_str(), *port)).await {
            Ok(stream) => streams.push(Some(stream)),
            Err(e) => {
                streams.push(None);
                let message = target.failure(*port, &e);
                let _ = socket.send(frame(2 * i + 1, message.as_bytes())).await;
            }
        }
    }
    // Each port's bytes from the pod go straight into the websocket (a tokio mutex: held across the
    // send, uncontended with one port); the websocket's frames go to their port's connection.
    let (sink, mut incoming) = socket.split();
    let sink = Arc::new(tokio::sync::Mutex::new(sink));
    let mut writers = Vec::new();
    let mut readers = Vec::new();
    for (i, stream) in streams.into_iter().enumerate() {
        let Some(stream) = stream else {
            writers.push(None);
            continue;
        };
        let (mut read, write) = stream.into_split();
        writers.push(Some(write));
        let sink = sink.clone();
        readers.push(tokio::spawn(async move {
            // Read straight in after the channel byte, so that each frame is built once.
            let mut buf = vec![0u8; 256 * 1024 + 1];
            buf[0] = u8::try_from(2 * i).unwrap_or(u8::MAX);
            loop {
                match read.read(&mut buf[1..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let message = Message::Binary(buf[..=n].to_vec().into());
                        if sink.lock().await.send(message).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }));
    }
    if readers.is_empty() {
        let _ = sink.lock().await.send(Message::Close(None)).await;
        return;
    }
    let mut inbound = tokio::spawn(async move {
        while let Some(Ok(message)) = incoming.next().await {
            let data: Vec<u8> = match message {
                Message::Binary(b) => b.to_vec(),
                Message::Text(t) => t.as_bytes().to_vec(),
                Message::Close(_) => break,
                _ => continue,
            };
            if let Some((channel, rest)) = data.split_first() {
                let i = usize::from(*channel) / 2;
                if usize::from(*channel) % 2 == 0 {
                    if let Some(Some(w)) = writers.get_mut(i) {
                        if w.write_all(rest).await.is_err() {
                            writers[i] = None;
                        }
                    }
                }
            }
        }
    });
    // Done when every pod connection has ended, or when the client has gone.
    let aborts: Vec<_> = readers.iter().map(|r| r.abort_handle()).collect();
    tokio::select! {
        _ = futures::future::join_all(readers) => inbound.abort(),
        _ = &mut inbound => {
            for a in aborts {
                a.abort();
            }
            return;
        }
    }
    let _ = sink.lock().await.send(Message::Close(None)).await;
}

/// GET or POST `/portForward/{namespace}/{pod}`: an upgrade to one of the three dialects.
pub async fn port_forward<R: ContainerRuntime>(
    State(ctx): State<Arc<Ctx<R>>>,
    Path((namespace, pod)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
    req: Request<Body>,
) -> Response {
    let pod = match authorized_pod(&ctx, req.headers(), &namespace, &pod).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let text = |p: &str| {
        pod.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let target = Target {
        ip: text("/status/podIP"),
        pod: text("/metadata/name"),
        uid: text("/metadata/uid"),
    };
    if target.ip.is_empty() || text("/status/phase") != "Running" {
        return status(Status::bad_request(format!(
            "pod {} is not running and has no address to forward to",
            target.pod
        )));
    }
    let header_has = |headers: &HeaderMap, name: &str, want: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|v| v.trim().eq_ignore_ascii_case(want))
    };
    if header_has(req.headers(), "upgrade", "SPDY/3.1") {
        if !header_has(
            req.headers(),
            "x-stream-protocol-version",
            PORT_FORWARD_PROTOCOL,
        ) {
            return status(Status::bad_request(format!(
                "unable to upgrade: no stream protocol in common with the client (want {PORT_FORWARD_PROTOCOL})"
            )));
        }
        let mut req = req;
        let upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            if let Ok(io) = upgrade.await {
                spdy_session(hyper_util::rt::TokioIo::new(io), target).await;
            }
        });
        return (
            StatusCode::SWITCHING_PROTOCOLS,
            [
                (header::CONNECTION, "Upgrade"),
                (header::UPGRADE, "SPDY/3.1"),
                (
                    header::HeaderName::from_static("x-stream-protocol-version"),
                    PORT_FORWARD_PROTOCOL,
                ),
            ],
        )
            .into_response();
    }
    let tunnelled = header_has(req.headers(), "sec-websocket-protocol", SPDY_TUNNEL);
    let (mut parts, _) = req.into_parts();
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    if tunnelled {
        return ws
            .protocols([SPDY_TUNNEL])
            .on_upgrade(move |socket| async move { spdy_session(bridge(socket), target).await });
    }
    let ports = match forward_ports(&query) {
        Ok(p) => p,
        Err(message) => return status(Status::bad_request(message)),
    };
    ws.protocols(["v4.channel.k8s.io"])
        .on_upgrade(move |socket| forward(socket, ports, target))
}

/// A websocket's binary messages as one byte stream each way (how SPDY is tunnelled).
fn bridge(socket: WebSocket) -> tokio::io::DuplexStream {
    let (ours, theirs) = tokio::io::duplex(256 * 1024);
    let (mut from_peer, mut to_peer) = tokio::io::split(ours);
    let (mut ws_tx, mut ws_rx) = socket.split();
    tokio::spawn(async move {
        while let Some(Ok(message)) = ws_rx.next().await {
            match message {
                Message::Binary(b) if to_peer.write_all(&b).await.is_err() => break,
                Message::Close(_) => break,
                _ => {}
            }
        }
        let _ = to_peer.shutdown().await;
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match from_peer.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if ws_tx
                        .send(Message::Binary(buf[..n].to_vec().into()))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
        let _ = ws_tx.close().await;
    });
    theirs
}

/// One forwarded connection's two streams, as they arrive.
#[derive(Default)]
struct Pair {
    error: Option<u32>,
    data: Option<u32>,
    port: u16,
}

/// A SPDY port-forward session: replies to every stream, and for each complete pair (error and data
/// streams of one request id) connects to the pod's port and carries the data stream's bytes both ways.
async fn spdy_session<IO>(io: IO, target: Target)
where
    IO: AsyncRead + AsyncWrite + Send + 'static,
{
    let (tx, mut reader, writer) = spdy::start(io);
    let mut pairs: HashMap<String, Pair> = HashMap::new();
    let mut inputs: HashMap<u32, tokio::sync::mpsc::UnboundedSender<Option<Vec<u8>>>> =
        HashMap::new();
    let mut closed_early: Vec<u32> = Vec::new();
    while let Ok(Some(frame)) = reader.next().await {
        match frame {
            Frame::SynStream { id, flags, headers } => {
                let _ = tx.send(Out::Reply(id));
                let get = |k: &str| {
                    headers
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.split('\0').next().unwrap_or_default().to_string())
                        .unwrap_or_default()
                };
                let pair = pairs.entry(get("requestid")).or_default();
                pair.port = get("port").parse().unwrap_or(pair.port);
                match get("streamtype").as_str() {
                    "error" => pair.error = Some(id),
                    "data" => pair.data = Some(id),
                    other => {
                        tracing::debug!(
                            stream = id,
                            kind = other,
                            "an unknown port-forward stream"
                        );
                        let _ = tx.send(Out::Frame(Writer::rst_stream(id, 1)));
                        continue;
                    }
                }
                if flags & FIN != 0 {
                    closed_early.push(id);
                }
                let request = get("requestid");
                if let Some(Pair {
                    error: Some(error),
                    data: Some(data),
                    port,
                }) = pairs.get(&request)
                {
                    let (error, data, port) = (*error, *data, *port);
                    pairs.remove(&request);
                    let (in_tx, in_rx) = tokio::sync::mpsc::unbounded_channel();
                    if closed_early.contains(&data) {
                        let _ = in_tx.send(None);
                    } else {
                        inputs.insert(data, in_tx);
                    }
                    tokio::spawn(carry(target.clone(), port, error, data, in_rx, tx.clone()));
                }
            }
            Frame::Data { id, flags, data } => {
                if let Some(input) = inputs.get(&id) {
                    if !data.is_empty() {
                        let _ = input.send(Some(data));
                    }
                    if flags & FIN != 0 {
                        let _ = input.send(None);
                        inputs.remove(&id);
                    }
                }
            }
            Frame::RstStream { id } => {
                inputs.remove(&id);
            }
            Frame::Ping(n) => {
                let _ = tx.send(Out::Frame(Writer::ping(n)));
            }
            Frame::GoAway => break,
            Frame::Other => {}
        }
    }
    drop(inputs);
    drop(tx);
    let _ = writer.await;
}

/// One forwarded connection over SPDY: the pod's bytes out on the data stream, the client's in from it;
/// a failure to connect is told on the error stream.
async fn carry(
    target: Target,
    port: u16,
    error: u32,
    data: u32,
    mut input: tokio::sync::mpsc::UnboundedReceiver<Option<Vec<u8>>>,
    tx: tokio::sync::mpsc::UnboundedSender<Out>,
) {
    let send = |f: Vec<u8>| {
        let _ = tx.send(Out::Frame(f));
    };
    let stream = match tokio::net::TcpStream::connect((target.ip.as_str(), port)).await {
        Ok(s) => s,
        Err(e) => {
            send(Writer::data(error, 0, target.failure(port, &e).as_bytes()));
            send(Writer::data(error, FIN, &[]));
            send(Writer::data(data, FIN, &[]));
            return;
        }
    };
    let (mut read, mut write) = stream.into_split();
    let inbound = tokio::spawn(async move {
        while let Some(Some(bytes)) = input.recv().await {
            if write.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = write.shutdown().await;
    });
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => send(Writer::data(data, 0, &buf[..n])),
        }
    }
    send(Writer::data(data, FIN, &[]));
    send(Writer::data(error, FIN, &[]));
    inbound.abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_ports_parse_as_the_kubelet_parses_them() {
        let q = |v: &[&str]| -> Vec<(String, String)> {
            v.iter()
                .map(|p| ("ports".to_string(), p.to_string()))
                .collect()
        };
        assert_eq!(
            forward_ports(&q(&["80", "8080,9090"])),
            Ok(vec![80, 8080, 9090])
        );
        assert_eq!(
            forward_ports(&q(&[])),
            Err("query parameter \"port\" is required".into())
        );
        assert_eq!(
            forward_ports(&q(&["0"])),
            Err("port \"0\" must be > 0".into())
        );
        assert!(forward_ports(&q(&["http"]))
            .is_err_and(|e| e.starts_with("unable to parse \"http\" as a port")));
    }
}
