//! The kubelet's streaming server, on every node: `GET /containerLogs/{namespace}/{pod}/{container}` with
//! PodLogOptions, from the container runtime. Only the API server may call it: requests carry the bearer
//! credential it keeps in the `kube-system/kybernet-kubelet` Secret.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::StreamExt;
use kyb_api::status::Status;
use serde_json::Value;

use super::pods::Ctx;
use super::runtime::{ContainerRuntime, LogOptions};

fn status(s: Status) -> Response {
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

/// PodLogOptions from the query, as the API server passed them on (already validated there).
fn options(q: &HashMap<String, String>) -> (LogOptions, bool, Option<u64>) {
    let flag = |k: &str| q.get(k).is_some_and(|v| v == "true");
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

async fn container_logs<R: ContainerRuntime>(
    State(ctx): State<Arc<Ctx<R>>>,
    Path((namespace, pod, container)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !ctx.host.token.is_empty() && t == ctx.host.token);
    if !authorized {
        return status(Status::failure(401, "Unauthorized", "Unauthorized"));
    }
    let path = format!("/api/v1/namespaces/{namespace}/pods/{pod}");
    let pod = match ctx.host.client.get_json(&path).await {
        Ok(p) => p,
        Err(kyb_api::client::ClientError::Status(s)) => return status(*s),
        Err(e) => return status(Status::internal(e)),
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
