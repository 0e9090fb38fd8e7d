//! Controllers that run beside the API server and reconcile the cluster through it, and what they share.

pub mod node_lifecycle;

use kyb_api::client::{Client, ClientError, Method};
use serde_json::{json, Value};

/// Records an event about a pod from `component`, named as client-go's recorder names them.
pub async fn pod_event(
    client: &Client,
    component: &str,
    pod: &Value,
    kind: &str,
    reason: &str,
    message: &str,
) {
    let (ns, name) = namespace_and_name(pod);
    let now = chrono::Utc::now();
    let ev = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{name}.{:x}", now.timestamp_nanos_opt().unwrap_or_default()), "namespace": ns},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "namespace": ns, "name": name,
            "uid": pod.pointer("/metadata/uid").cloned().unwrap_or(Value::Null), "resourceVersion": pod.pointer("/metadata/resourceVersion").cloned().unwrap_or(Value::Null)},
        "reason": reason, "message": message, "type": kind, "count": 1,
        "source": {"component": component}, "reportingComponent": component, "reportingInstance": component,
        "firstTimestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "lastTimestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    let path = format!("/api/v1/namespaces/{ns}/events");
    if let Err(e) = send_json(client, Method::POST, &path, "application/json", &ev).await {
        tracing::debug!(pod = name, error = %e, "recording an event failed");
    }
}

/// An object's namespace (`default` when it has none) and name.
pub fn namespace_and_name(obj: &Value) -> (&str, &str) {
    let field = |f: &str| {
        obj.get("metadata")
            .and_then(|m| m.get(f))
            .and_then(Value::as_str)
    };
    (
        field("namespace").unwrap_or("default"),
        field("name").unwrap_or_default(),
    )
}

/// Sends `body` as JSON with the given content type, and reads the answer as JSON.
pub async fn send_json(
    client: &Client,
    method: Method,
    path: &str,
    content_type: &str,
    body: &Value,
) -> Result<Value, ClientError> {
    let bytes = serde_json::to_vec(body).map_err(|e| ClientError::Other(e.to_string()))?;
    client
        .send(
            method,
            path,
            "application/json",
            Some((content_type, bytes)),
        )
        .await?
        .json()
}
