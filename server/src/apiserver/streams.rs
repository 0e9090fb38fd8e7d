//! Streaming subresources proxied to the kubelet of the pod's node: `pods/log`, with every PodLogOptions
//! field, and the upgraded connections of `pods/exec` (websocket channel protocols), spliced through to
//! the kubelet byte for byte once it has agreed to the upgrade. The API server finds the node's address and kubelet port in its status and calls the kubelet with
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
    matches!(
        req.query(key),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True")
    )
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

/// The node a pod is bound to.
fn node_of<'a>(pod: &'a Value, name: &str) -> ApiResult<&'a str> {
    pod.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad_request(format!("pod {name} does not have a host assigned")))
}

/// A node's kubelet as `host:port`: its InternalIP and the port it reports.
async fn kubelet_endpoint(api: &Api, node: &str) -> ApiResult<String> {
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
    Ok(format!("{host}:{port}"))
}

/// The client for a node's kubelet.
async fn kubelet(api: &Api, node: &str) -> ApiResult<Client> {
    let endpoint = kubelet_endpoint(api, node).await?;
    let config = RestConfig {
        server: format!("http://{endpoint}"),
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

/// Whether a request asks to upgrade a pod's `exec`, `attach` or `portforward` into a stream.
pub fn is_stream_upgrade(req: &axum::http::Request<Body>) -> bool {
    let parts: Vec<&str> = req.uri().path().split('/').collect();
    req.headers().contains_key(header::UPGRADE)
        && matches!(
            parts.as_slice(),
            [
                "",
                "api",
                "v1",
                "namespaces",
                _,
                "pods",
                _,
                "exec" | "attach" | "portforward"
            ]
        )
}

/// The response head a kubelet answered an upgrade with, and any bytes that came after it.
struct Head {
    status: StatusCode,
    headers: Vec<(String, String)>,
    rest: Vec<u8>,
}

async fn read_head(kubelet: &mut tokio::net::TcpStream) -> std::io::Result<Head> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return Err(std::io::Error::other(
                "the kubelet's answer has no end of headers",
            ));
        }
        let mut chunk = [0u8; 4096];
        let n = kubelet.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("the kubelet closed the connection"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let text = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = text.split("\r\n");
    let code = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse::<u16>().ok())
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or_else(|| std::io::Error::other("the kubelet's answer has no status"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Head {
        status: code,
        headers,
        rest: buf[end..].to_vec(),
    })
}

/// `pods/{name}/exec`, `attach` or `portforward` with an Upgrade: checks the pod and container, asks the pod's kubelet for the same
/// upgrade, and once it agrees, splices the two connections together.
pub async fn upgrade(api: &Api, mut req: axum::http::Request<Body>) -> ApiResult<Response> {
    use tokio::io::AsyncWriteExt;
    let path = req.uri().path().to_string();
    let parts: Vec<&str> = path.split('/').collect();
    let (ns, name, sub) = (parts[4], parts[6], parts[7]);
    let pods = registry::lookup("", "v1", "pods")
        .ok_or_else(|| ApiError::from(Status::internal("pods are not served")))?;
    let pod = crud::read(api, pods, Some(ns), name).await?;
    let query = req.uri().query().unwrap_or_default().to_string();
    let asked = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "container")
        .map(|(_, v)| v.to_string());
    // The kubelet's paths: /exec and /attach name the container, /portForward only the pod.
    let target = match sub {
        "portforward" => format!("/portForward/{ns}/{name}"),
        _ => format!(
            "/{sub}/{ns}/{name}/{}",
            container(&pod, name, asked.as_deref())?
        ),
    };
    let node = node_of(&pod, name)?;
    let endpoint = kubelet_endpoint(api, node).await?;
    let unreachable = |e: std::io::Error| {
        ApiError::from(Status::internal(format!(
            "error dialing backend: dial tcp {endpoint}: {e}"
        )))
    };
    let mut kubelet = tokio::net::TcpStream::connect(&endpoint)
        .await
        .map_err(unreachable)?;
    let mut head = format!(
        "GET {target}?{query} HTTP/1.1\r\nHost: {endpoint}\r\nAuthorization: Bearer {}\r\n",
        api.kubelet_token
    );
    for (k, v) in req.headers() {
        if matches!(k.as_str(), "host" | "authorization" | "content-length") {
            continue;
        }
        if let Ok(v) = v.to_str() {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("\r\n");
    kubelet
        .write_all(head.as_bytes())
        .await
        .map_err(unreachable)?;
    let answer = read_head(&mut kubelet).await.map_err(unreachable)?;
    let mut response = Response::builder().status(answer.status);
    for (k, v) in &answer.headers {
        if !k.eq_ignore_ascii_case("content-length")
            || answer.status != StatusCode::SWITCHING_PROTOCOLS
        {
            response = response.header(k.as_str(), v.as_str());
        }
    }
    if answer.status != StatusCode::SWITCHING_PROTOCOLS {
        // A refusal (a Status, most often): pass it on whole.
        use tokio::io::AsyncReadExt;
        let length = answer
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0)
            .min(1024 * 1024);
        let mut body = answer.rest;
        while body.len() < length {
            let mut chunk = vec![0u8; length - body.len()];
            match kubelet.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => body.extend_from_slice(&chunk[..n]),
            }
        }
        return response
            .body(Body::from(body))
            .map_err(|e| ApiError::from(Status::internal(e)));
    }
    let client = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let Ok(upgraded) = client.await else {
            return;
        };
        let mut client = hyper_util::rt::TokioIo::new(upgraded);
        if client.write_all(&answer.rest).await.is_ok() {
            let _ = tokio::io::copy_bidirectional_with_sizes(
                &mut client,
                &mut kubelet,
                256 << 10,
                256 << 10,
            )
            .await;
        }
    });
    response
        .body(Body::empty())
        .map_err(|e| ApiError::from(Status::internal(e)))
}

/// GET `pods/{name}/log`.
pub async fn pod_log(api: &Api, target: &Target, req: &Req) -> ApiResult<Response> {
    let name = target.name.as_deref().unwrap_or_default();
    let ns = target.namespace.as_deref();
    let pod = crud::read(api, target.resource, ns, name).await?;
    validate(req, name)?;
    let container = container(&pod, name, req.query("container"))?;
    let node = node_of(&pod, name)?;
    let client = kubelet(api, node).await?;
    let mut query: Vec<String> = Vec::new();
    for key in ["follow", "previous", "timestamps"] {
        if flag(req, key) {
            query.push(format!("{key}=true"));
        }
    }
    for key in ["tailLines", "limitBytes", "sinceSeconds", "sinceTime"] {
        if let Some(v) = req.query(key).filter(|v| !v.is_empty()) {
            query.push(format!("{key}={}", kyb_api::client::encode(v)));
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
