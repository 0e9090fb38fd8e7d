//! `/openapi/v3`: OpenAPI 3 documents generated from the same schema table the protobuf decoder and the strict
//! field check use. They let `kubectl explain` work, and tell kubectl that every resource validates fields on
//! the server (the PATCH operations list `fieldValidation`), so it sends `fieldValidation=Strict` and skips
//! client-side schema checks.

use kyb_api::registry::{self, Resource};
use serde_json::{json, Map, Value};

use kyb_api::wire::{kind_message, message as fields, F, I, R, T};

/// Bumps whenever the documents change, so that clients' caches (keyed by this hash) refresh.
const HASH: &str = concat!("kybernet-", env!("CARGO_PKG_VERSION"), "-1");

/// The OpenAPI name of a message of the schema table (`apps.Deployment` is `io.k8s.api.apps.v1.Deployment`).
fn long_name(short: &str) -> String {
    let (pkg, name) = short.split_once('.').unwrap_or(("", short));
    let prefix = match pkg {
        "core" => "io.k8s.api.core.v1",
        "apps" => "io.k8s.api.apps.v1",
        "batch" => "io.k8s.api.batch.v1",
        "as1" => "io.k8s.api.autoscaling.v1",
        "as2" => "io.k8s.api.autoscaling.v2",
        "coord" => "io.k8s.api.coordination.v1",
        "disc" => "io.k8s.api.discovery.v1",
        "events" => "io.k8s.api.events.v1",
        "net" => "io.k8s.api.networking.v1",
        "policy" => "io.k8s.api.policy.v1",
        "sched" => "io.k8s.api.scheduling.v1",
        "sa3" => "io.k8s.api.scheduling.v1alpha3",
        "meta" => "io.k8s.apimachinery.pkg.apis.meta.v1",
        "res" => "io.k8s.apimachinery.pkg.api.resource",
        "intstr" => "io.k8s.apimachinery.pkg.util.intstr",
        "rt" => "io.k8s.apimachinery.pkg.runtime",
        other => return format!("io.k8s.api.{other}.{name}"),
    };
    format!("{prefix}.{name}")
}

/// Messages with their own JSON forms, and the schema Kubernetes publishes for each.
fn special(short: &str) -> Option<Value> {
    Some(match short {
        "meta.Time" | "meta.MicroTime" => json!({"type": "string", "format": "date-time"}),
        "meta.Duration" => json!({"type": "string"}),
        "res.Quantity" => json!({"type": "string"}),
        "intstr.IntOrString" => {
            json!({"type": "string", "format": "int-or-string", "x-kubernetes-int-or-string": true})
        }
        "rt.RawExtension" | "meta.FieldsV1" => json!({"type": "object"}),
        _ => return None,
    })
}

fn reference(msg: &str) -> Value {
    json!({"allOf": [{"$ref": format!("#/components/schemas/{}", long_name(msg))}], "default": {}})
}

fn property(ty: T, flags: u8, pending: &mut Vec<&'static str>) -> Value {
    let one = match ty {
        T::S => json!({"type": "string", "default": ""}),
        T::I32 => json!({"type": "integer", "format": "int32"}),
        T::I64 => json!({"type": "integer", "format": "int64"}),
        T::B => json!({"type": "boolean"}),
        T::MS => {
            json!({"type": "object", "additionalProperties": {"type": "string", "default": ""}})
        }
        T::MY => {
            json!({"type": "object", "additionalProperties": {"type": "string", "format": "byte"}})
        }
        T::MM(m) => {
            pending.push(m);
            json!({"type": "object", "additionalProperties": reference(m)})
        }
        T::M(m) => {
            pending.push(m);
            reference(m)
        }
    };
    if flags & R != 0 {
        let mut item = one;
        if let Some(o) = item.as_object_mut() {
            o.remove("default");
        }
        json!({"type": "array", "items": item})
    } else {
        one
    }
}

/// The properties of a message, with inlined embeddings merged in.
fn properties(msg: &'static str, pending: &mut Vec<&'static str>, out: &mut Map<String, Value>) {
    for f in fields(msg) {
        match f {
            F(_, _, T::M(inner), flags) if flags & I != 0 => properties(inner, pending, out),
            F(_, name, ty, flags) => {
                out.insert((*name).to_string(), property(*ty, *flags, pending));
            }
        }
    }
}

/// The components of one group version: its kinds and everything they reach.
fn schemas(
    resources: &[&'static Resource],
) -> (Map<String, Value>, Vec<(String, &'static Resource)>) {
    let mut out = Map::new();
    let mut pending: Vec<&'static str> = Vec::new();
    let mut tops = Vec::new();
    for r in resources {
        let api_version = r.api_version();
        let Some(msg) = kind_message(&api_version, r.kind) else {
            continue;
        };
        let mut props = Map::new();
        props.insert("apiVersion".into(), json!({"type": "string"}));
        props.insert("kind".into(), json!({"type": "string"}));
        properties(msg, &mut pending, &mut props);
        let name = long_name(msg);
        out.insert(
            name.clone(),
            json!({"type": "object", "properties": props, "x-kubernetes-group-version-kind": [{"group": r.group, "kind": r.kind, "version": r.version}]}),
        );
        tops.push((name, *r));
    }
    while let Some(msg) = pending.pop() {
        let name = long_name(msg);
        if out.contains_key(&name) {
            continue;
        }
        let schema = match special(msg) {
            Some(s) => s,
            None => {
                let mut props = Map::new();
                properties(msg, &mut pending, &mut props);
                json!({"type": "object", "properties": props})
            }
        };
        out.insert(name, schema);
    }
    (out, tops)
}

fn root(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: where each group version's document is.
pub fn index() -> Value {
    let mut paths = Map::new();
    for (group, versions) in registry::group_versions() {
        for v in versions {
            let r = root(group, v);
            paths.insert(
                r.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{r}?hash={HASH}")}),
            );
        }
    }
    json!({"paths": paths})
}

/// `/openapi/v3/apis/<group>/<version>`: the document of one group version, or `None` for one not served.
pub fn document(path: &str) -> Option<Value> {
    let (group, version) = match path
        .trim_matches('/')
        .split('/')
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["api", v] => ("", *v),
        ["apis", g, v] => (*g, *v),
        _ => return None,
    };
    let resources: Vec<&'static Resource> = registry::resources_in(group, version).collect();
    if resources.is_empty() {
        return None;
    }
    let (components, tops) = schemas(&resources);
    let mut paths = Map::new();
    for r in &resources {
        let gvk = json!({"group": r.group, "version": r.version, "kind": r.kind});
        let ns = if r.namespaced {
            "/namespaces/{namespace}"
        } else {
            ""
        };
        let item = format!("/{}{ns}/{}/{{name}}", root(group, version), r.plural);
        let reply = tops
            .iter()
            .find(|(_, t)| t.kind == r.kind)
            .map(|(n, _)| json!({"$ref": format!("#/components/schemas/{n}")}))
            .unwrap_or(json!({}));
        paths.insert(
            item,
            json!({
                "get": {"x-kubernetes-action": "get", "x-kubernetes-group-version-kind": gvk, "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": reply}}}}},
                "patch": {
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}}],
                    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": reply}}}},
                },
            }),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": format!("v1.{}.0", super::discovery::KUBE_MINOR)},
        "paths": paths,
        "components": {"schemas": components},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_carry_every_kind_and_what_it_reaches() {
        let doc = document("/apis/apps/v1").expect("apps/v1");
        let schemas = &doc["components"]["schemas"];
        let deploy = &schemas["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            deploy["x-kubernetes-group-version-kind"][0]["kind"],
            "Deployment"
        );
        assert_eq!(
            deploy["properties"]["metadata"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
        let container = &schemas["io.k8s.api.core.v1.Container"]["properties"];
        assert_eq!(container["image"]["type"], "string");
        assert_eq!(container["ports"]["type"], "array");
        assert_eq!(
            schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
                ["x-kubernetes-int-or-string"],
            true
        );
        // Inlined embeddings (a volume's source) appear as the volume's own fields.
        assert!(schemas["io.k8s.api.core.v1.Volume"]["properties"]
            .get("configMap")
            .is_some());
        let patch =
            &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(patch["parameters"][0]["name"], "fieldValidation");
        assert!(document("/apis/nope/v1").is_none());
        assert!(index()["paths"]["api/v1"]["serverRelativeURL"]
            .as_str()
            .is_some_and(|u| u.starts_with("/openapi/v3/api/v1?hash=")));
    }
}
