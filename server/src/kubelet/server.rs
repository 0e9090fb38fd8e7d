//! The kubelet's streaming server, on every node: `GET /containerLogs/{namespace}/{pod}/{container}` with
//! PodLogOptions, and `/exec/{namespace}/{pod}/{container}` (and `/attach/...`) over a websocket in the `v5.channel.k8s.io` and
//! `v4.channel.k8s.io` protocols (channel 0 stdin, 1 stdout, 2 stderr, 3 the ending Status, 4 resize, 255
//! close), from the container runtime, and `/portForward/{namespace}/{pod}?ports=...` over a websocket in
//! kube's port-forward protocol (data on channel 2i and errors on 2i+1 for the i-th port, each opened with
//! the port in two little-endian bytes) to the pod's address. Only the API server may call it: requests carry the bearer
//! credential it keeps in the `kube-system/kybernet-kubelet` Secret.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::StreamExt;
use kyb_api::status::Status;
use serde_json::Value;

use super::exec_spdy;
use super::pods::Ctx;
use super::runtime::{ContainerRuntime, ExecSession, LogOptions};

pub(super) fn status(s: Status) -> Response {
    let code = StatusCode::from_u16(s.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&s).unwrap_or_default(),
    )
        .into_response()
}

/// Serves until the process ends.
pub async fn serve<R: ContainerRuntime>(ctx: Arc<Ctx<R>>, listener: tokio::net::TcpListener) {
    let app = Router::new()
        .route(
            "/containerLogs/{namespace}/{pod}/{container}",
            get(container_logs::<R>),
        )
        .route(
            "/exec/{namespace}/{pod}/{container}",
            get(exec::<R>).post(exec::<R>),
        )
        .route(
            "/attach/{namespace}/{pod}/{container}",
            get(attach::<R>).post(attach::<R>),
        )
        .route(
            "/portForward/{namespace}/{pod}",
            get(super::forward::port_forward::<R>).post(super::forward::port_forward::<R>),
        )
        .with_state(ctx);
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "the kubelet's server stopped");
    }
}

/// The runtime's id of the container whose log is asked for, from the pod's status as the kubelet wrote it
/// (the kubelet's validateContainerLogStatus, with its words).
fn log_container(pod: &Value, name: &str, previous: bool) -> Result<String, String> {
    let pod_name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let statuses = ["initContainerStatuses", "containerStatuses"]
        .iter()
        .filter_map(|f| {
            pod.pointer(&format!("/status/{f}"))
                .and_then(Value::as_array)
        })
        .flatten();
    let Some(s) = statuses.into_iter().find(|s| s["name"] == name) else {
        return Err(format!(
            "container {name:?} in pod {pod_name:?} is waiting to start: ContainerCreating"
        ));
    };
    let id_of = |v: &Value| {
        v.as_str()
            .filter(|id| !id.is_empty())
            .map(|id| id.split_once("://").map_or(id, |(_, id)| id).to_string())
    };
    let last = id_of(&s["lastState"]["terminated"]["containerID"]);
    let state = &s["state"];
    if previous {
        return last.ok_or_else(|| {
            format!("previous terminated container {name:?} in pod {pod_name:?} not found")
        });
    }
    let terminated = format!("container {name:?} in pod {pod_name:?} is terminated");
    if state["running"].is_object() {
        return id_of(&s["containerID"]).ok_or(terminated);
    }
    if state["terminated"].is_object() {
        return id_of(&state["terminated"]["containerID"])
            .or(last)
            .ok_or(terminated);
    }
    if let Some(id) = last {
        return Ok(id);
    }
    let why = match state["waiting"]["reason"].as_str() {
        Some("ErrImagePull") => "image can't be pulled".to_string(),
        Some("ImagePullBackOff") => "trying and failing to pull image".to_string(),
        Some(reason) => reason.to_string(),
        None => {
            return Err(format!(
                "container {name:?} in pod {pod_name:?} is waiting to start - no logs yet"
            ))
        }
    };
    Err(format!(
        "container {name:?} in pod {pod_name:?} is waiting to start: {why}"
    ))
}

/// A query flag as Go's strconv.ParseBool reads it (clients send `true`, `True` or `1`).
fn go_bool(v: &str) -> bool {
    matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// PodLogOptions from the query, as the API server passed them on (already validated there).
fn options(q: &HashMap<String, String>) -> (LogOptions, bool, Option<u64>) {
    let flag = |k: &str| q.get(k).is_some_and(|v| go_bool(v));
    let number = |k: &str| q.get(k).and_then(|v| v.parse::<u64>().ok());
    let since = match (number("sinceSeconds"), q.get("sinceTime")) {
        (Some(secs), _) => {
            Some(chrono::Utc::now() - chrono::Duration::seconds(i64::try_from(secs).unwrap_or(0)))
        }
        (None, Some(t)) => chrono::DateTime::parse_from_rfc3339(t)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc)),
        (None, None) => None,
    };
    let options = LogOptions {
        follow: flag("follow"),
        timestamps: flag("timestamps"),
        tail: number("tailLines"),
        since,
    };
    (options, flag("previous"), number("limitBytes"))
}

/// The pod a request is about, once its credential is checked.
pub(super) async fn authorized_pod<R>(
    ctx: &Ctx<R>,
    headers: &HeaderMap,
    namespace: &str,
    pod: &str,
) -> Result<Value, Response> {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !ctx.host.token.is_empty() && t == ctx.host.token);
    if !authorized {
        return Err(status(Status::failure(401, "Unauthorized", "Unauthorized")));
    }
    let path = format!("/api/v1/namespaces/{namespace}/pods/{pod}");
    match ctx.host.client.get_json(&path).await {
        Ok(p) => Ok(p),
        Err(kyb_api::client::ClientError::Status(s)) => Err(status(*s)),
        Err(e) => Err(status(Status::internal(e))),
    }
}

/// The running container an exec or attach is for, once the request's credential and the pod are checked.
async fn session_target<R>(
    ctx: &Ctx<R>,
    headers: &HeaderMap,
    namespace: &str,
    pod: &str,
    container: &str,
) -> Result<String, Response> {
    let pod = authorized_pod(ctx, headers, namespace, pod).await?;
    running_container(&pod, container).ok_or_else(|| {
        status(Status::failure(
            404,
            "NotFound",
            format!("container not found ({container:?})"),
        ))
    })
}

/// The running container's runtime id, from the pod's status.
fn running_container(pod: &Value, name: &str) -> Option<String> {
    ["initContainerStatuses", "containerStatuses"]
        .iter()
        .filter_map(|f| {
            pod.pointer(&format!("/status/{f}"))
                .and_then(Value::as_array)
        })
        .flatten()
        .find(|s| s["name"] == name && s["state"]["running"].is_object())
        .and_then(|s| s["containerID"].as_str())
        .map(|id| id.split_once("://").map_or(id, |(_, id)| id).to_string())
}

async fn exec<R: ContainerRuntime>(
    State(ctx): State<Arc<Ctx<R>>>,
    Path((namespace, pod, container)): Path<(String, String, String)>,
    Query(query): Query<Vec<(String, String)>>,
    req: Request<Body>,
) -> Response {
    let id = match session_target(&ctx, req.headers(), &namespace, &pod, &container).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    let command: Vec<String> = query
        .iter()
        .filter(|(k, _)| k == "command")
        .map(|(_, v)| v.clone())
        .collect();
    if command.is_empty() {
        return status(Status::bad_request(
            "you must specify at least one command for the container",
        ));
    }
    let want = expect(&query);
    let session = match ctx
        .runtime
        .exec_session(&id, command, want.stdin, want.tty)
        .await
    {
        Ok(s) => s,
        Err(e) => return status(Status::internal(e)),
    };
    upgrade(req, session, want).await
}

/// What the request asks for (stdin, stdout, stderr, tty): the session's shape, and the streams a SPDY
/// client must open.
fn expect(query: &[(String, String)]) -> exec_spdy::Expect {
    let flag = |k: &str| query.iter().any(|(q, v)| q == k && go_bool(v));
    exec_spdy::Expect {
        stdin: flag("stdin"),
        stdout: flag("stdout"),
        stderr: flag("stderr"),
        tty: flag("tty"),
    }
}

/// Serves an exec or attach session over what the client asked for: SPDY/3.1 (kubectl up to 1.29) or a
/// websocket in the channel protocols.
async fn upgrade(req: Request<Body>, session: ExecSession, expect: exec_spdy::Expect) -> Response {
    let spdy = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("SPDY/3.1"));
    if spdy {
        let offered: Vec<String> = req
            .headers()
            .get_all("x-stream-protocol-version")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_string())
            .collect();
        if !offered.iter().any(|p| p == exec_spdy::PROTOCOL) {
            return status(Status::failure(
                403,
                "Forbidden",
                format!(
                    "unable to upgrade: unable to negotiate protocol: client supports {offered:?}, server accepts [{:?}]",
                    exec_spdy::PROTOCOL
                ),
            ));
        }
        let mut req = req;
        let io = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            if let Ok(io) = io.await {
                exec_spdy::serve(
                    hyper_util::rt::TokioIo::new(io),
                    session,
                    expect,
                    exit_status,
                )
                .await;
            }
        });
        return (
            StatusCode::SWITCHING_PROTOCOLS,
            [
                (header::CONNECTION, "Upgrade"),
                (header::UPGRADE, "SPDY/3.1"),
                (
                    header::HeaderName::from_static("x-stream-protocol-version"),
                    exec_spdy::PROTOCOL,
                ),
            ],
        )
            .into_response();
    }
    let (mut parts, _) = req.into_parts();
    match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws
            .protocols(["v5.channel.k8s.io", "v4.channel.k8s.io"])
            .on_upgrade(move |socket| relay(socket, session)),
        Err(rejection) => rejection.into_response(),
    }
}

async fn attach<R: ContainerRuntime>(
    State(ctx): State<Arc<Ctx<R>>>,
    Path((namespace, pod, container)): Path<(String, String, String)>,
    Query(query): Query<Vec<(String, String)>>,
    req: Request<Body>,
) -> Response {
    let id = match session_target(&ctx, req.headers(), &namespace, &pod, &container).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    let want = expect(&query);
    let session = match ctx.runtime.attach_session(&id, want.stdin, want.tty).await {
        Ok(s) => s,
        Err(e) => return status(Status::bad_request(e.to_string())),
    };
    upgrade(req, session, want).await
}

/// The Status an exec ends with on channel 3, as kube's remotecommand writes it.
fn exit_status(code: i64) -> Vec<u8> {
    let status = if code == 0 {
        serde_json::json!({"metadata": {}, "status": "Success"})
    } else {
        serde_json::json!({"metadata": {}, "status": "Failure",
            "message": format!("command terminated with non-zero exit code: error executing command, exit code {code}"),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]}})
    };
    let mut frame = vec![3u8];
    frame.extend(serde_json::to_vec(&status).unwrap_or_default());
    frame
}

/// Carries an exec's streams over the websocket until the command's output ends, then sends its Status.
async fn relay(mut socket: WebSocket, mut session: ExecSession) {
    let mut stdin = session.stdin.take();
    loop {
        tokio::select! {
            message = socket.recv() => {
                let data: Vec<u8> = match message {
                    Some(Ok(Message::Binary(b))) => b.to_vec(),
                    Some(Ok(Message::Text(t))) => t.as_bytes().to_vec(),
                    Some(Ok(_)) => continue,
                    // The client went away: the command's input ends, and its output goes nowhere.
                    None | Some(Err(_)) => return,
                };
                match data.split_first() {
                    Some((0, rest)) => {
                        if let Some(tx) = &stdin {
                            let _ = tx.send(bytes::Bytes::copy_from_slice(rest)).await;
                        }
                    }
                    Some((4, rest)) => {
                        if let Ok(size) = serde_json::from_slice::<Value>(rest) {
                            let dim = |k: &str| size[k].as_u64().and_then(|v| u16::try_from(v).ok());
                            if let (Some(w), Some(h)) = (dim("Width"), dim("Height")) {
                                let _ = session.resize.send((w, h)).await;
                            }
                        }
                    }
                    // v5: the client closed a stream; stdin is the only one it can close.
                    Some((255, [0, ..])) => stdin = None,
                    _ => {}
                }
            }
            out = session.output.recv() => match out {
                Some((channel, data)) => {
                    let mut frame = Vec::with_capacity(data.len() + 1);
                    frame.push(channel);
                    frame.extend_from_slice(&data);
                    if socket.send(Message::Binary(frame.into())).await.is_err() {
                        return;
                    }
                }
                None => break,
            },
        }
    }
    drop(stdin);
    let code = session.exit.await.unwrap_or(-1);
    let _ = socket.send(Message::Binary(exit_status(code).into())).await;
    let normal = axum::extract::ws::CloseFrame {
        code: axum::extract::ws::close_code::NORMAL,
        reason: "".into(),
    };
    let _ = socket.send(Message::Close(Some(normal))).await;
}

async fn container_logs<R: ContainerRuntime>(
    State(ctx): State<Arc<Ctx<R>>>,
    Path((namespace, pod, container)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let pod = match authorized_pod(&ctx, &headers, &namespace, &pod).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (options, previous, limit) = options(&query);
    let id = match log_container(&pod, &container, previous) {
        Ok(id) => id,
        Err(message) => return status(Status::bad_request(message)),
    };
    let stream = match ctx.runtime.logs(&id, options).await {
        Ok(s) => s,
        Err(e) => return status(Status::bad_request(e.to_string())),
    };
    // limitBytes: the stream ends once that much has gone out.
    let stream = match limit {
        None => stream,
        Some(limit) => {
            let left = usize::try_from(limit).unwrap_or(usize::MAX);
            stream
                .scan(left, |left, chunk| {
                    let next = match chunk {
                        _ if *left == 0 => None,
                        Ok(mut bytes) => {
                            bytes.truncate(*left);
                            *left -= bytes.len();
                            Some(Ok(bytes))
                        }
                        Err(e) => Some(Err(e)),
                    };
                    futures::future::ready(next)
                })
                .boxed()
        }
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain")],
        Body::from_stream(stream),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_log_comes_from_the_container_the_status_names() {
        let pod = |state: Value, last: Value| {
            json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [{"name": "c",
                "containerID": "docker://now", "state": state, "lastState": last}]}})
        };
        let running = pod(json!({"running": {}}), json!({}));
        assert_eq!(log_container(&running, "c", false), Ok("now".into()));
        assert_eq!(
            log_container(&running, "c", true),
            Err("previous terminated container \"c\" in pod \"p\" not found".into())
        );
        let crashed = pod(
            json!({"waiting": {"reason": "CrashLoopBackOff"}}),
            json!({"terminated": {"containerID": "process://before"}}),
        );
        assert_eq!(log_container(&crashed, "c", false), Ok("before".into()));
        assert_eq!(log_container(&crashed, "c", true), Ok("before".into()));
        let pulling = pod(
            json!({"waiting": {"reason": "ImagePullBackOff"}}),
            json!({}),
        );
        assert_eq!(
            log_container(&pulling, "c", false),
            Err("container \"c\" in pod \"p\" is waiting to start: trying and failing to pull image".into())
        );
    }
}
