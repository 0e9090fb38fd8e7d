//! Controllers that run beside the API server and reconcile the cluster through it, and what they share.

pub mod node_lifecycle;

use kyb_api::client::{Client, Method};
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
    let ns = pod
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
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
    let body = serde_json::to_vec(&ev).unwrap_or_default();
    let path = format!("/api/v1/namespaces/{ns}/events");
    if let Err(e) = client
        .send(
            Method::POST,
            &path,
            "application/json",
            Some(("application/json", body)),
        )
        .await
    {
        tracing::debug!(pod = name, error = %e, "recording an event failed");
    }
}
