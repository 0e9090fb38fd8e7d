//! Controllers that run beside the API server and reconcile the cluster through it, and what they share.

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod garbage_collector;
pub mod history;
pub mod job;
pub mod namespace;
pub mod node_lifecycle;
pub mod provisioner;
pub mod replicaset;
pub mod runtime;
pub mod servicelb;
pub mod statefulset;

use kyb_api::client::{Client, Method};
use serde_json::{json, Value};

/// Runs the workload controllers (kube-controller-manager's, so far as they are built) until the process ends.
pub async fn run_workload_controllers(client: Client, options: crate::config::ControllerArgs) {
    let informers = runtime::Informers::new(client.clone());
    let storage = options.local_path_dir.clone().unwrap_or_else(|| {
        std::env::var_os("HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_default()
            .join(".local/share/kybernet/storage")
    });
    let i = || informers.clone();
    tokio::join!(
        replicaset::run(i(), replicaset::REPLICA_SET, 4),
        replicaset::run(i(), replicaset::REPLICATION_CONTROLLER, 2),
        deployment::run(i(), 4),
        garbage_collector::run(client.clone(), 4),
        job::run(i(), 4),
        cronjob::run(i(), cronjob::Clock(options.clock_file), 2),
        daemonset::run(i(), 2),
        statefulset::run(i(), 2),
        namespace::run(i(), 2),
        disruption::run(i(), 2),
        endpoints::run(i(), 2),
        servicelb::run(i(), 1),
        provisioner::run(i(), &storage, 1),
    );
}

/// Records an event about a pod from `component`, named as client-go's recorder names them.
pub async fn pod_event(
    client: &Client,
    component: &str,
    pod: &Value,
    kind: &str,
    reason: &str,
    message: &str,
) {
    object_event(client, component, ("v1", "Pod"), pod, kind, reason, message).await
}

/// Records an event about any object (`involved` is its apiVersion and kind), as client-go's recorder does.
pub async fn object_event(
    client: &Client,
    component: &str,
    involved: (&str, &str),
    obj: &Value,
    kind: &str,
    reason: &str,
    message: &str,
) {
    let (ns, name) = namespace_and_name(obj);
    let now = chrono::Utc::now();
    let ev = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{name}.{:x}", now.timestamp_nanos_opt().unwrap_or_default()), "namespace": ns},
        "involvedObject": {"apiVersion": involved.0, "kind": involved.1, "namespace": ns, "name": name,
            "uid": obj.pointer("/metadata/uid").cloned().unwrap_or(Value::Null), "resourceVersion": obj.pointer("/metadata/resourceVersion").cloned().unwrap_or(Value::Null)},
        "reason": reason, "message": message, "type": kind, "count": 1,
        "source": {"component": component}, "reportingComponent": component, "reportingInstance": component,
        "firstTimestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "lastTimestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    let path = format!("/api/v1/namespaces/{ns}/events");
    if let Err(e) = client
        .send_json(Method::POST, &path, "application/json", &ev)
        .await
    {
        tracing::debug!(object = name, error = %e, "recording an event failed");
    }
}

/// The RFC 3339 time at a JSON pointer, if there is one.
pub fn time_at(v: &Value, pointer: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(str_at(v, pointer))
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A time as the API writes it: RFC 3339 in UTC, to the second.
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The status condition of type `kind`, if any.
pub fn condition<'a>(status: &'a Value, kind: &str) -> Option<&'a Value> {
    status
        .get("conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

/// The string at a JSON pointer, or "" when absent.
pub fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The `namespace/name` key of the object's controller, when that is of `kind`: which owner to sync
/// when an object it controls changes.
pub fn controller_key(obj: &Value, kind: &str) -> Option<String> {
    let r = replicaset::controller_ref(obj).filter(|r| str_at(r, "/kind") == kind)?;
    Some(format!(
        "{}/{}",
        namespace_and_name(obj).0,
        str_at(r, "/name")
    ))
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

/// Writes `status` into `obj` through the `/status` subresource of `path` (the object's URL), guarded by its
/// resourceVersion, unless the object has it already; returns the object as it now stands. None when the
/// object changed or went meanwhile: its watch event brings a fresh sync, and nothing that depends on the
/// write may go ahead.
pub async fn write_status(
    client: &Client,
    path: &str,
    obj: &Value,
    status: Value,
) -> Result<Option<Value>, String> {
    if obj.get("status").cloned().unwrap_or(json!({})) == status {
        return Ok(Some(obj.clone()));
    }
    let mut body = obj.clone();
    body["status"] = status;
    let path = format!("{path}/status");
    match client
        .send_json(Method::PUT, &path, "application/json", &body)
        .await
    {
        Ok(written) => Ok(Some(written)),
        Err(e) if e.is_not_found() || e.status().is_some_and(|s| s.code == 409) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// `Client::send_json` for a write whose target may be gone by now: a 404 is no error, and the answer is dropped.
pub async fn send_unless_gone(
    client: &Client,
    method: Method,
    path: &str,
    content_type: &str,
    body: &Value,
) -> Result<(), String> {
    match client.send_json(method, path, content_type, body).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}
