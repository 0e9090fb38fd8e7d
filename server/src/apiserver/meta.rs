//! Object metadata rules shared by every verb: keys, names, uids, timestamps and version conversion.

use kyb_api::registry::Resource;
use kyb_api::status::Status;
use serde_json::{json, Map, Value};

use super::error::{ApiError, ApiResult};
use super::path::Target;

/// The store key of one object.
pub fn key(resource: &Resource, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) if resource.namespaced => format!("{}{ns}/{name}", resource.storage_prefix()),
        _ => format!("{}{name}", resource.storage_prefix()),
    }
}

/// The key prefix a list or watch of `target` covers.
pub fn list_prefix(target: &Target) -> String {
    match &target.namespace {
        Some(ns) => format!("{}{ns}/", target.resource.storage_prefix()),
        None => target.resource.storage_prefix(),
    }
}

pub fn meta(obj: &Value) -> Option<&Map<String, Value>> {
    obj.get("metadata").and_then(Value::as_object)
}

pub fn meta_mut(obj: &mut Value) -> ApiResult<&mut Map<String, Value>> {
    let o = obj
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("the body must be a JSON object"))?;
    let m = o.entry("metadata").or_insert_with(|| json!({}));
    if m.is_null() {
        *m = json!({});
    }
    m.as_object_mut()
        .ok_or_else(|| ApiError::bad_request("metadata must be an object"))
}

pub fn str_field<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    meta(obj).and_then(|m| m.get(field)).and_then(Value::as_str)
}

pub fn name(obj: &Value) -> Option<&str> {
    str_field(obj, "name").filter(|s| !s.is_empty())
}

pub fn resource_version(obj: &Value) -> Option<&str> {
    str_field(obj, "resourceVersion").filter(|s| !s.is_empty())
}

/// Parses a resourceVersion the client sent; anything but a decimal revision is a 400.
pub fn parse_rv(rv: &str) -> ApiResult<u64> {
    rv.parse::<u64>()
        .map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv}")))
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Five characters from Kubernetes' alphabet for generated names (no vowels, no confusable digits).
pub fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .take(5)
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// Checks `apiVersion` and `kind` against the endpoint (filling them when absent), and converts to the storage version.
pub fn check_type(resource: &Resource, obj: &mut Value) -> ApiResult<()> {
    let Some(o) = obj.as_object_mut() else {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    };
    let want = resource.api_version();
    match o.get("apiVersion") {
        None | Some(Value::Null) => {
            o.insert("apiVersion".into(), Value::String(want.clone()));
        }
        Some(Value::String(v)) if *v == want => {}
        Some(v) => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({}) does not match the expected API version ({want})",
                v.as_str().unwrap_or("<invalid>")
            )))
        }
    }
    match o.get("kind") {
        None | Some(Value::Null) => {
            o.insert("kind".into(), Value::String(resource.kind.into()));
        }
        Some(Value::String(k)) if k == resource.kind => {}
        Some(k) => {
            return Err(ApiError::bad_request(format!(
                "{} in version {:?} cannot be handled as a {}: the kind in the data does not match the endpoint",
                k.as_str().unwrap_or("<invalid>"),
                resource.version,
                resource.kind
            )))
        }
    }
    if let Some(msg) = kyb_api::wire::kind_message(&resource.api_version(), resource.kind) {
        if let Some(why) = unrepresentable(msg, obj, "") {
            return Err(ApiError::bad_request(format!(
                "{} in version {:?} cannot be handled as a {}: json: {why}",
                resource.kind, resource.version, resource.kind
            )));
        }
    }
    super::convert::to_storage(resource, obj);
    Ok(())
}

/// The first number in `obj` that its Go field could not hold (an int32 beyond ±2^31, a fraction in an
/// integer), worded as Go's JSON decoder refuses it. Kubernetes decodes into typed structs, so such a body
/// never reaches validation there; here the schema table stands in for the structs.
fn unrepresentable(msg: &'static str, obj: &Value, path: &str) -> Option<String> {
    use kyb_api::wire::{message, F, I, R, T};
    let go_type = msg.rsplit('.').next().unwrap_or(msg);
    for F(_, name, ty, flags) in message(msg) {
        if flags & I != 0 {
            if let T::M(inner) = ty {
                if let Some(why) = unrepresentable(inner, obj, path) {
                    return Some(why);
                }
            }
            continue;
        }
        let Some(v) = obj.get(*name).filter(|v| !v.is_null()) else {
            continue;
        };
        let here = if path.is_empty() {
            (*name).to_string()
        } else {
            format!("{path}.{name}")
        };
        let items: Vec<&Value> = match (flags & R != 0, v) {
            (true, Value::Array(a)) => a.iter().collect(),
            (true, _) => continue,
            (false, v) => vec![v],
        };
        for item in items {
            let why = match ty {
                T::I32 | T::I64 => {
                    let Value::Number(n) = item else { continue };
                    let fits = match ty {
                        T::I32 => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
                        _ => n.as_i64().is_some(),
                    };
                    let bits = if matches!(ty, T::I32) {
                        "int32"
                    } else {
                        "int64"
                    };
                    (!fits).then(|| {
                        format!("cannot unmarshal number {n} into Go struct field {go_type}.{here} of type {bits}")
                    })
                }
                T::M(inner) => unrepresentable(inner, item, &here),
                T::MM(inner) => item
                    .as_object()
                    .and_then(|m| m.values().find_map(|v| unrepresentable(inner, v, &here))),
                _ => None,
            };
            if why.is_some() {
                return why;
            }
        }
    }
    None
}

/// The name in the body must be the name in the URL; an empty one takes the URL's.
pub fn check_name(obj: &mut Value, url_name: &str) -> ApiResult<()> {
    let m = meta_mut(obj)?;
    match m.get("name").and_then(Value::as_str) {
        None | Some("") => {
            m.insert("name".into(), Value::String(url_name.into()));
            Ok(())
        }
        Some(n) if n == url_name => Ok(()),
        Some(n) => Err(ApiError::bad_request(format!(
            "the name of the object ({n}) does not match the name on the URL ({url_name})"
        ))),
    }
}

/// The namespace in the body must be the one in the URL; cluster-scoped objects carry none.
pub fn check_namespace(
    resource: &Resource,
    obj: &mut Value,
    url_ns: Option<&str>,
) -> ApiResult<()> {
    let m = meta_mut(obj)?;
    if !resource.namespaced {
        // Kubernetes clears a namespace given for a cluster-scoped kind.
        m.remove("namespace");
        return Ok(());
    }
    let Some(url_ns) = url_ns else {
        return Err(ApiError::bad_request(format!(
            "{} are namespaced: use a path with namespaces/<namespace>/",
            resource.plural
        )));
    };
    match m.get("namespace").and_then(Value::as_str) {
        None | Some("") => {
            m.insert("namespace".into(), Value::String(url_ns.into()));
            Ok(())
        }
        Some(n) if n == url_ns => Ok(()),
        Some(_) => Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        )),
    }
}

/// The Status for a failed validation: 422 Invalid with one cause per field.
pub fn invalid(resource: &Resource, name: &str, causes: &[super::validation::Cause]) -> ApiError {
    let mut s = Status::failure(
        422,
        "Invalid",
        super::validation::message(resource.kind, resource.group, name, causes),
    )
    .with_details(resource.group, resource.kind, name);
    if let Some(d) = s.details.as_mut() {
        d.causes = causes
            .iter()
            .map(|c| kyb_api::status::StatusCause {
                reason: c.reason.into(),
                message: c.message.clone(),
                field: c.field.clone(),
            })
            .collect();
    }
    ApiError::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_suffixes_use_the_safe_alphabet() {
        let s = random_suffix();
        assert_eq!(s.len(), 5);
        assert!(s.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
    }
}
