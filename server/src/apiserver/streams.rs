//! Streaming subresources proxied to the kubelet of the pod's node: `pods/log`, with every PodLogOptions
//! field. The API server finds the node's address and kubelet port in its status and calls the kubelet with
//! the credential it made at boot (the `kube-system/kybernet-kubelet` Secret), as kube-apiserver calls
//! kubelets with its client certificate.

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use kyb_api::client::{Client, ClientError, RestConfig};
use kyb_api::registry;
use kyb_api::status::Status;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::path::Target;
use super::request::Req;
use super::validation::{message, Cause};
use super::{crud, Api};

/// The Secret holding the credential kubelets accept from the API server.
pub const KUBELET_SECRET: (&str, &str) = ("kube-system", "kybernet-kubelet");

fn bad_request(message: String) -> ApiError {
    ApiError::from(Status::bad_request(message))
}

/// A PodLogOptions number, as Go's decoder takes it from the query.
fn number(req: &Req, key: &str) -> ApiResult<Option<i64>> {
    match req.query(key) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            bad_request(format!(
                "strconv.ParseInt: parsing {v:?}: invalid syntax for {key}"
            ))
        }),
    }
}

fn flag(req: &Req, key: &str) -> bool {
    matches!(req.query(key), Some("true" | "1" | "True" | "TRUE"))
}

/// kube's ValidatePodLogOptions.
fn validate(req: &Req, name: &str) -> ApiResult<()> {
    let (tail, limit, since) = (
        number(req, "tailLines")?,
        number(req, "limitBytes")?,
        number(req, "sinceSeconds")?,
    );
    let mut causes = Vec::new();
    let mut invalid = |field: &str, value: i64, detail: &str| {
        causes.push(Cause {
            reason: "FieldValueInvalid",
            field: field.into(),
            message: format!("Invalid value: {value}: {detail}"),
        })
    };
    if let Some(t) = tail.filter(|t| *t < 0) {
        invalid("tailLines", t, "must be greater than or equal to 0");
    }
    if let Some(l) = limit.filter(|l| *l < 1) {
        invalid("limitBytes", l, "must be greater than 0");
    }
    let since_time = req.query("sinceTime").filter(|t| !t.is_empty());
    if let Some(t) = since_time {
        if chrono::DateTime::parse_from_rfc3339(t).is_err() {
            return Err(bad_request(format!(
                "parsing time {t:?} as \"2006-01-02T15:04:05Z07:00\": cannot parse {t:?} as a time"
            )));
        }
    }
    match (since, since_time) {
        (Some(_), Some(_)) => causes.push(Cause {
            reason: "FieldValueForbidden",
            field: String::new(),
            message: "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"
                .into(),
        }),
        (Some(s), None) if s < 1 => invalid("sinceSeconds", s, "must be greater than 0"),
        _ => {}
    }
    if causes.is_empty() {
        return Ok(());
    }
    let status = Status::failure(422, "Invalid", message("PodLogOptions", "", name, &causes))
        .with_details("", "PodLogOptions", name);
    Err(ApiError::from(status))
}

/// The container whose log is asked for: the one named, or the pod's only one (kube's validateContainer).
fn container(pod: &Value, name: &str, asked: Option<&str>) -> ApiResult<String> {
    let names = |field: &str| -> Vec<String> {
        pod.pointer(&format!("/spec/{field}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(String::from))
            .collect()
    };
    let apps = names("containers");
    let all = [
        names("initContainers"),
        apps.clone(),
        names("ephemeralContainers"),
    ]
    .concat();
    match asked.filter(|c| !c.is_empty()) {
        Some(c) if all.iter().any(|n| n == c) => Ok(c.to_string()),
        Some(c) => Err(bad_request(format!(
            "container {c} is not valid for pod {name}"
        ))),
        None if apps.len() == 1 => Ok(apps[0].clone()),
        None if apps.is_empty() => Err(bad_request(format!(
            "a container name must be specified for pod {name}"
        ))),
        None => Err(bad_request(format!(
            "a container name must be specified for pod {name}, choose one of: [{}]",
            all.join(" ")
        ))),
    }
}

/// The client for a node's kubelet: its InternalIP and the port it reports.
async fn kubelet(api: &Api, node: &str) -> ApiResult<Client> {
    let nodes = registry::lookup("", "v1", "nodes")
        .ok_or_else(|| ApiError::from(Status::internal("nodes are not served")))?;
    let node = crud::read(api, nodes, None, node).await?;
    let address = node
        .pointer("/status/addresses")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|a| a["type"] == "InternalIP"))
        .and_then(|a| a["address"].as_str())
        .unwrap_or_default();
    let port = node
        .pointer("/status/daemonEndpoints/kubeletEndpoint/Port")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let name = node
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if address.is_empty() || port == 0 {
        return Err(bad_request(format!(
            "node {name:?} reports no kubelet address and port"
        )));
    }
    let host = if address.contains(':') {
        format!("[{address}]")
    } else {
        address.to_string()
    };
    let config = RestConfig {
        server: format!("http://{host}:{port}"),
        namespace: String::new(),
        context: None,
        token: Some(api.kubelet_token.clone()),
        ca_pem: None,
        identity_pem: None,
        insecure: false,
        timeout: None,
        verbosity: 0,
    };
    Client::new(&config).map_err(|e| ApiError::from(Status::internal(e)))
}

/// A query value with everything but unreserved characters percent-escaped.
fn escape(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// GET `pods/{name}/log`.
pub async fn pod_log(api: &Api, target: &Target, req: &Req) -> ApiResult<Response> {
    let name = target.name.as_deref().unwrap_or_default();
    let ns = target.namespace.as_deref();
    let pod = crud::read(api, target.resource, ns, name).await?;
    validate(req, name)?;
    let container = container(&pod, name, req.query("container"))?;
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if node.is_empty() {
        return Err(bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    let client = kubelet(api, node).await?;
    let mut query: Vec<String> = Vec::new();
    for key in ["follow", "previous", "timestamps"] {
        if flag(req, key) {
            query.push(format!("{key}=true"));
        }
    }
    for key in ["tailLines", "limitBytes", "sinceSeconds", "sinceTime"] {
        if let Some(v) = req.query(key).filter(|v| !v.is_empty()) {
            query.push(format!("{key}={}", escape(v)));
        }
    }
    let path = format!(
        "/containerLogs/{}/{name}/{container}?{}",
        ns.unwrap_or("default"),
        query.join("&")
    );
    let resp = client
        .stream(&path, "text/plain")
        .await
        .map_err(|e| match e {
            ClientError::Status(s) => ApiError::from(*s),
            other => ApiError::from(Status::internal(format!(
                "Get \"{}{path}\": {other}",
                client.base
            ))),
        })?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain")],
        Body::from_stream(resp.bytes_stream()),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_container_is_the_only_one_or_must_be_named() {
        let one = json!({"spec": {"containers": [{"name": "a"}]}});
        assert_eq!(container(&one, "p", None).ok().as_deref(), Some("a"));
        let two = json!({"spec": {"initContainers": [{"name": "i"}], "containers": [{"name": "a"}, {"name": "b"}]}});
        let message = |r: ApiResult<String>| r.err().map(|e| e.0.message).unwrap_or_default();
        assert_eq!(
            message(container(&two, "p", None)),
            "a container name must be specified for pod p, choose one of: [i a b]"
        );
        assert_eq!(container(&two, "p", Some("i")).ok().as_deref(), Some("i"));
        assert_eq!(
            message(container(&two, "p", Some("x"))),
            "container x is not valid for pod p"
        );
    }
}
