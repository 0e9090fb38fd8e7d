//! Strict field validation (`fieldValidation=Strict`): fields an object's kind does not declare are a 400 naming them.
//! The declared fields come from the same schema table the protobuf decoder uses.

use kyb_api::registry::Resource;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use kyb_api::wire::{kind_message, message, F, I, R, T};

/// Messages with their own JSON forms (strings, numbers or free JSON): nothing inside them to check.
const OPAQUE: &[&str] = &[
    "meta.Time",
    "meta.MicroTime",
    "meta.Duration",
    "res.Quantity",
    "intstr.IntOrString",
    "rt.RawExtension",
    "meta.FieldsV1",
];
/// Deeper than any real object; a bound against hostile nesting.
const MAX_DEPTH: usize = 64;

/// The field declared under JSON name `key` in `msg`, looking through inlined embedded structs.
fn field(msg: &str, key: &str) -> Option<&'static F> {
    message(msg).iter().find_map(|f| match f {
        F(_, _, T::M(inner), flags) if flags & I != 0 => field(inner, key),
        F(_, name, _, _) if *name == key => Some(f),
        _ => None,
    })
}

fn walk(msg: &str, v: &Value, path: &str, unknown: &mut Vec<String>, depth: usize) {
    if depth > MAX_DEPTH || OPAQUE.contains(&msg) {
        return;
    }
    // Wrong types are validation's business, not this check's.
    let Some(obj) = v.as_object() else { return };
    for (key, val) in obj {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if depth == 0 && matches!(key.as_str(), "apiVersion" | "kind") {
            continue;
        }
        match field(msg, key) {
            None => unknown.push(here),
            Some(F(_, _, T::M(inner), flags)) if flags & R != 0 => {
                for (i, item) in val.as_array().into_iter().flatten().enumerate() {
                    walk(inner, item, &format!("{here}[{i}]"), unknown, depth + 1);
                }
            }
            Some(F(_, _, T::M(inner), _)) => walk(inner, val, &here, unknown, depth + 1),
            Some(F(_, _, T::MM(inner), _)) => {
                for (k, item) in val.as_object().into_iter().flatten() {
                    walk(inner, item, &format!("{here}[{k}]"), unknown, depth + 1);
                }
            }
            Some(_) => {}
        }
    }
}

/// Under `strict`, refuses an object with fields its kind does not declare. `obj` is in its stored form.
pub fn check(resource: &Resource, obj: &Value, strict: bool) -> ApiResult<()> {
    if !strict {
        return Ok(());
    }
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or(resource.kind);
    let Some(msg) = kind_message(api_version, kind) else {
        return Ok(());
    };
    let mut unknown = Vec::new();
    walk(msg, obj, "", &mut unknown, 0);
    if unknown.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = unknown
        .iter()
        .map(|f| format!("unknown field {f:?}"))
        .collect();
    Err(ApiError::bad_request(format!(
        "strict decoding error: {}",
        list.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployments() -> &'static Resource {
        kyb_api::registry::lookup("apps", "v1", "deployments").expect("deployments served")
    }

    #[test]
    fn names_unknown_fields_with_their_paths() {
        let obj = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","lables":{}},
            "spec":{"template":{"spec":{"containers":[{"name":"a","imagee":"b"}]}}}});
        let Err(ApiError(s)) = check(deployments(), &obj, true) else {
            panic!("accepted")
        };
        assert_eq!(s.code, 400);
        assert_eq!(
            s.message,
            "strict decoding error: unknown field \"metadata.lables\", unknown field \"spec.template.spec.containers[0].imagee\""
        );
        assert!(check(deployments(), &obj, false).is_ok());
    }

    #[test]
    fn accepts_every_declared_field_including_inlined_and_opaque_ones() {
        let obj = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","creationTimestamp":null},
            "spec":{"replicas":1,"strategy":{"rollingUpdate":{"maxSurge":"25%"}},"template":{"spec":{
                "volumes":[{"name":"v","configMap":{"name":"c","items":[{"key":"k","path":"p"}]}}],
                "containers":[{"name":"a","image":"b","resources":{"limits":{"cpu":"1"}},
                    "livenessProbe":{"httpGet":{"path":"/","port":8080}},"env":[{"name":"E","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}]}}}});
        assert!(check(deployments(), &obj, true).is_ok());
        let svc = kyb_api::registry::lookup("", "v1", "services").expect("services served");
        let bad = json!({"apiVersion":"v1","kind":"Service","spec":{"ports":[{"port":80,"targetPort":"http","nodeport":1}]}});
        let Err(ApiError(s)) = check(svc, &bad, true) else {
            panic!("accepted")
        };
        assert!(
            s.message.contains("\"spec.ports[0].nodeport\""),
            "{}",
            s.message
        );
    }
}
