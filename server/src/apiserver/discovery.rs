//! Discovery (legacy and aggregated v2), `/version`, and the OpenAPI endpoints.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use kyb_api::registry::{self, Resource};
use kyb_api::status::Status;
use serde_json::{json, Value};

use super::error::{ApiError, ApiResult};
use super::request::{json as json_response, Req};

/// The Kubernetes version whose API we serve.
pub const KUBE_MINOR: &str = "32";

pub fn version() -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "major": "1",
            "minor": KUBE_MINOR,
            "gitVersion": format!("v1.{KUBE_MINOR}.0-kybernet.{}", env!("CARGO_PKG_VERSION")),
            "gitCommit": "",
            "gitTreeState": "clean",
            "buildDate": "1970-01-01T00:00:00Z",
            "goVersion": "rust",
            "compiler": "rustc",
            "platform": format!("{}/{}", std::env::consts::OS, if std::env::consts::ARCH == "x86_64" { "amd64" } else { std::env::consts::ARCH }),
        }),
    )
}

/// `/openapi/v2`: an empty protobuf document, which clients accept and which makes them skip client-side schema checks.
pub fn openapi_v2() -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
        )],
        Vec::<u8>::new(),
    )
        .into_response()
}

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

fn api_resource(r: &Resource) -> Value {
    json!({
        "name": r.plural,
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": r.verbs,
        "shortNames": r.short_names,
        "categories": r.categories,
    })
}

fn resource_list(group: &str, version: &str) -> Value {
    let mut resources = Vec::new();
    for r in registry::resources_in(group, version) {
        resources.push(api_resource(r));
        for s in r.subresources {
            let mut row = json!({
                "name": format!("{}/{}", r.plural, s.name),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": s.kind.map(|k| k.2).unwrap_or(r.kind),
                "verbs": s.verbs,
            });
            if let Some((g, v, _)) = s.kind {
                row["group"] = json!(g);
                row["version"] = json!(v);
            }
            resources.push(row);
        }
    }
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version(group, version), "resources": resources})
}

fn api_group(group: &str, versions: &[&str]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": group_version(group, v), "version": v}))
        .collect();
    json!({"name": group, "versions": vs, "preferredVersion": vs.first()})
}

/// The aggregated discovery version the client asked for in `Accept`, if any.
fn aggregated(req: &Req) -> Option<&'static str> {
    let accept = req.headers.get(header::ACCEPT)?.to_str().ok()?;
    for entry in accept.split(',') {
        let params: Vec<&str> = entry.split(';').map(str::trim).collect();
        let has = |p: &str| params.contains(&p);
        if has("as=APIGroupDiscoveryList") && has("g=apidiscovery.k8s.io") {
            if has("v=v2") {
                return Some("v2");
            }
            if has("v=v2beta1") {
                return Some("v2beta1");
            }
        }
        if params.first().is_some_and(|m| *m == "application/json") && params.len() == 1 {
            return None;
        }
    }
    None
}

fn discovery_group(group: &str, versions: &[&str]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            let resources: Vec<Value> = registry::resources_in(group, v)
                .map(|r| {
                    let subs: Vec<Value> = r
                        .subresources
                        .iter()
                        .map(|s| {
                            let (g, ver, k) = s.kind.unwrap_or((r.group, r.version, r.kind));
                            json!({"subresource": s.name, "responseKind": {"group": g, "version": ver, "kind": k}, "verbs": s.verbs})
                        })
                        .collect();
                    json!({
                        "resource": r.plural,
                        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                        "singularResource": r.singular,
                        "verbs": r.verbs,
                        "shortNames": r.short_names,
                        "categories": r.categories,
                        "subresources": subs,
                    })
                })
                .collect();
            json!({"version": v, "resources": resources, "freshness": "Current"})
        })
        .collect();
    json!({"metadata": {"name": group, "creationTimestamp": null}, "versions": versions})
}

/// Answers `/api`, `/apis`, `/apis/<group>` and the group-version resource lists.
pub fn serve(
    req: &Req,
    group: Option<&str>,
    version: Option<&str>,
    legacy: bool,
) -> ApiResult<Response> {
    let groups = registry::group_versions();
    if version.is_none() {
        if let Some(v) = aggregated(req) {
            let items: Vec<Value> = groups
                .iter()
                .filter(|(g, _)| g.is_empty() == legacy)
                .map(|(g, vs)| discovery_group(g, vs))
                .collect();
            let body = json!({"kind": "APIGroupDiscoveryList", "apiVersion": format!("apidiscovery.k8s.io/{v}"), "metadata": {}, "items": items});
            let ct =
                format!("application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList");
            return Ok((
                StatusCode::OK,
                [(header::CONTENT_TYPE, ct)],
                body.to_string(),
            )
                .into_response());
        }
    }
    let body = match (legacy, group, version) {
        (true, _, None) => {
            json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}]})
        }
        (true, _, Some(v)) => resource_list("", v),
        (false, None, _) => {
            let list: Vec<Value> = groups
                .iter()
                .filter(|(g, _)| !g.is_empty())
                .map(|(g, vs)| api_group(g, vs))
                .collect();
            json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": list})
        }
        (false, Some(g), None) => match groups.iter().find(|(name, _)| name == &g) {
            Some((name, vs)) => {
                let mut v = api_group(name, vs);
                v["kind"] = json!("APIGroup");
                v["apiVersion"] = json!("v1");
                v
            }
            None => {
                return Err(ApiError::from(Status::failure(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                )))
            }
        },
        (false, Some(g), Some(v)) => resource_list(g, v),
    };
    Ok(json_response(StatusCode::OK, &body))
}
