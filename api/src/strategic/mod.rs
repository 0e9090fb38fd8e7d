//! Kubernetes strategic merge patch (`application/strategic-merge-patch+json`) applied to JSON values.
//!
//! The Go implementation (k8s.io/apimachinery/pkg/util/strategicpatch) reads merge strategies from
//! struct tags via reflection. We have no Go structs, so the tags that matter are modelled as a
//! small schema tree ([`Ty`] plus [`lookup`]) walked alongside the document.

pub mod diff;

use serde_json::{Map, Value};

/// Errors produced while applying a strategic merge patch.
#[derive(Debug, thiserror::Error)]
pub enum SmpError {
    /// The patch is malformed (bad directive, missing merge key, wrong JSON shape, ...).
    #[error("{0}")]
    Invalid(String),
}

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER_PREFIX: &str = "$setElementOrder/";
const DELETE_PRIMITIVE_PREFIX: &str = "$deleteFromPrimitiveList/";

/// Apply a strategic merge patch `patch` to `original`, for an object of the given kind
/// (group "" for core, e.g. ("apps","Deployment"), ("","Pod"), ("","Service"), ("","Node")).
///
/// Kinds without a schema here still get map merging and `null` deletion, but their lists are
/// replaced wholesale (JSON merge patch semantics); `metadata` is always treated as ObjectMeta.
pub fn apply(original: &Value, patch: &Value, group: &str, kind: &str) -> Result<Value, SmpError> {
    let patch = match patch {
        Value::Object(m) => m.clone(),
        _ => {
            return Err(invalid(
                "invalid JSON document: patch must be a JSON object",
            ));
        }
    };
    let original = match original {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        _ => {
            return Err(invalid(
                "invalid JSON document: original must be a JSON object",
            ));
        }
    };
    merge_map(original, patch, root_type(group, kind)).map(Value::Object)
}

fn invalid(msg: impl Into<String>) -> SmpError {
    SmpError::Invalid(msg.into())
}

fn no_merge_key(m: &Map<String, Value>, key: &str) -> SmpError {
    invalid(format!(
        "map: {} does not contain declared merge key: {key}",
        Value::Object(m.clone())
    ))
}

// ---------------------------------------------------------------------------------------------
// Schema: the subset of Go patch tags (patchStrategy / patchMergeKey) for built-in types.
// ---------------------------------------------------------------------------------------------

/// A node of the schema tree: the Go type found at some path of an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    /// No tag information: maps merge, lists are replaced.
    Any,
    /// Top level of a kind we know nothing about beyond ObjectMeta.
    GenericRoot,
    PodRoot,
    /// Deployment, ReplicaSet, ReplicationController, DaemonSet, StatefulSet.
    WorkloadRoot,
    JobRoot,
    CronJobRoot,
    PodTemplateRoot,
    ServiceRoot,
    NodeRoot,
    /// Kinds whose only tagged field besides metadata is `status.conditions`.
    ConditionsRoot,
    ObjectMeta,
    PodTemplateSpec,
    PodSpec,
    Container,
    PodStatus,
    WorkloadSpec,
    JobSpec,
    CronJobSpec,
    JobTemplateSpec,
    ServiceSpec,
    NodeSpec,
    NodeStatus,
    ConditionsStatus,
}

/// How a list field is patched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListStrategy {
    /// No patchStrategy tag: the patch list replaces the original.
    Replace,
    /// patchStrategy "merge": by merge key for lists of maps, set union (`None`) for primitives.
    Merge(Option<&'static str>),
}

/// Patch metadata for one field: the type of its value (element type for lists) and its strategy.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldMeta {
    pub(crate) ty: Ty,
    pub(crate) list: ListStrategy,
}

pub(crate) fn root_type(group: &str, kind: &str) -> Ty {
    match (group, kind) {
        ("", "Pod") => Ty::PodRoot,
        ("apps" | "extensions", "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet")
        | ("", "ReplicationController") => Ty::WorkloadRoot,
        ("batch", "Job") => Ty::JobRoot,
        ("batch", "CronJob") => Ty::CronJobRoot,
        ("", "PodTemplate") => Ty::PodTemplateRoot,
        ("", "Service") => Ty::ServiceRoot,
        ("", "Node") => Ty::NodeRoot,
        ("", "Namespace" | "PersistentVolumeClaim") => Ty::ConditionsRoot,
        _ => Ty::GenericRoot,
    }
}

pub(crate) fn lookup(ty: Ty, field: &str) -> FieldMeta {
    use ListStrategy::{Merge, Replace};
    let (ty, list) = match (ty, field) {
        (
            Ty::GenericRoot
            | Ty::PodRoot
            | Ty::WorkloadRoot
            | Ty::JobRoot
            | Ty::CronJobRoot
            | Ty::PodTemplateRoot
            | Ty::ServiceRoot
            | Ty::NodeRoot
            | Ty::ConditionsRoot
            | Ty::PodTemplateSpec
            | Ty::JobTemplateSpec,
            "metadata",
        ) => (Ty::ObjectMeta, Replace),
        (Ty::PodRoot, "spec") | (Ty::PodTemplateSpec, "spec") => (Ty::PodSpec, Replace),
        (Ty::PodRoot, "status") => (Ty::PodStatus, Replace),
        (Ty::WorkloadRoot, "spec") => (Ty::WorkloadSpec, Replace),
        (Ty::JobRoot, "spec") | (Ty::JobTemplateSpec, "spec") => (Ty::JobSpec, Replace),
        (Ty::CronJobRoot, "spec") => (Ty::CronJobSpec, Replace),
        (Ty::ServiceRoot, "spec") => (Ty::ServiceSpec, Replace),
        (Ty::NodeRoot, "spec") => (Ty::NodeSpec, Replace),
        (Ty::NodeRoot, "status") => (Ty::NodeStatus, Replace),
        (Ty::WorkloadRoot | Ty::JobRoot | Ty::ServiceRoot | Ty::ConditionsRoot, "status") => {
            (Ty::ConditionsStatus, Replace)
        }
        (Ty::PodTemplateRoot, "template")
        | (Ty::WorkloadSpec, "template")
        | (Ty::JobSpec, "template") => (Ty::PodTemplateSpec, Replace),
        (Ty::CronJobSpec, "jobTemplate") => (Ty::JobTemplateSpec, Replace),
        (Ty::ObjectMeta, "finalizers") => (Ty::Any, Merge(None)),
        (Ty::ObjectMeta, "ownerReferences") => (Ty::Any, Merge(Some("uid"))),
        (Ty::PodSpec, "containers" | "initContainers" | "ephemeralContainers") => {
            (Ty::Container, Merge(Some("name")))
        }
        (Ty::PodSpec, "volumes" | "imagePullSecrets" | "schedulingGates" | "resourceClaims") => {
            (Ty::Any, Merge(Some("name")))
        }
        (Ty::PodSpec, "hostAliases") => (Ty::Any, Merge(Some("ip"))),
        (Ty::PodSpec, "topologySpreadConstraints") => (Ty::Any, Merge(Some("topologyKey"))),
        (Ty::Container, "env") => (Ty::Any, Merge(Some("name"))),
        (Ty::Container, "ports") => (Ty::Any, Merge(Some("containerPort"))),
        (Ty::Container, "volumeMounts") => (Ty::Any, Merge(Some("mountPath"))),
        (Ty::Container, "volumeDevices") => (Ty::Any, Merge(Some("devicePath"))),
        (Ty::PodStatus | Ty::NodeStatus | Ty::ConditionsStatus, "conditions") => {
            (Ty::Any, Merge(Some("type")))
        }
        (Ty::PodStatus, "podIPs" | "hostIPs") => (Ty::Any, Merge(Some("ip"))),
        (Ty::PodStatus, "resourceClaimStatuses") => (Ty::Any, Merge(Some("name"))),
        (Ty::NodeStatus, "addresses") => (Ty::Any, Merge(Some("type"))),
        (Ty::NodeSpec, "podCIDRs") => (Ty::Any, Merge(None)),
        (Ty::ServiceSpec, "ports") => (Ty::Any, Merge(Some("port"))),
        // Everything else (tolerations, taints, containerStatuses, ...) has no patch strategy.
        _ => (Ty::Any, Replace),
    };
    FieldMeta { ty, list }
}

// ---------------------------------------------------------------------------------------------
// Merging
// ---------------------------------------------------------------------------------------------

/// Merge `patch` into `original`, following mergeMap in patch.go.
fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    ty: Ty,
) -> Result<Map<String, Value>, SmpError> {
    if let Some(directive) = patch.remove(DIRECTIVE) {
        return match directive.as_str() {
            // The rest of the patch becomes the value; it is still cleaned of directives and
            // nulls so they never leak into a stored object.
            Some("replace") => merge_map(Map::new(), patch, ty),
            Some("delete") => Ok(Map::new()),
            _ => Err(invalid(format!(
                "unknown patch type: {directive} in map: {}",
                Value::Object(patch)
            ))),
        };
    }

    apply_retain_keys(&mut original, &mut patch)?;
    apply_set_element_order(&mut original, &mut patch, ty)?;

    // Deletions from primitive lists run after additions so that an element both added and
    // deleted in one patch ends up deleted (Go's map order makes this unspecified).
    let mut deletions = Vec::new();
    for (key, patch_value) in patch {
        if let Some(field) = key.strip_prefix(DELETE_PRIMITIVE_PREFIX) {
            deletions.push((field.to_string(), patch_value));
            continue;
        }
        if key.starts_with('$') {
            // Unknown directives are dropped, like unknown fields on a typed decode.
            continue;
        }
        let meta = lookup(ty, &key);
        if patch_value.is_null() {
            original.remove(&key);
            continue;
        }
        let merged = match (original.remove(&key), patch_value) {
            (Some(Value::Object(o)), Value::Object(p)) => Value::Object(merge_map(o, p, meta.ty)?),
            (Some(Value::Array(o)), Value::Array(p)) => Value::Array(merge_list(o, p, meta)?),
            // Absent in the original or of a different JSON type: the patch value wins.
            (_, p) => fresh(p, meta)?,
        };
        original.insert(key, merged);
    }

    for (field, to_delete) in deletions {
        let Value::Array(to_delete) = to_delete else {
            return Err(invalid("invalid patch format of primitive list"));
        };
        if to_delete.iter().any(|v| v.is_object() || v.is_array()) {
            return Err(invalid("invalid patch format of primitive list"));
        }
        if let Some(Value::Array(current)) = original.get_mut(&field) {
            current.retain(|v| !to_delete.iter().any(|d| scalar_eq(v, d)));
        }
    }
    Ok(original)
}

/// Materialise a patch value that has nothing to merge with, stripping directives and nulls.
fn fresh(value: Value, meta: FieldMeta) -> Result<Value, SmpError> {
    match value {
        Value::Object(m) => Ok(Value::Object(merge_map(Map::new(), m, meta.ty)?)),
        Value::Array(items) => Ok(Value::Array(merge_list(Vec::new(), items, meta)?)),
        other => Ok(other),
    }
}

/// `$retainKeys`: drop original keys not listed, after checking the patch only sets listed keys.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), SmpError> {
    let Some(retain) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let bad = || invalid("invalid patch format of retainKeys");
    let Value::Array(retain) = retain else {
        return Err(bad());
    };
    let keep: Vec<&str> = retain.iter().filter_map(Value::as_str).collect();
    for (k, v) in patch.iter() {
        if v.is_null() || k.starts_with(DELETE_PRIMITIVE_PREFIX) || k.starts_with(SET_ORDER_PREFIX)
        {
            continue;
        }
        if !keep.contains(&k.as_str()) {
            return Err(bad());
        }
    }
    original.retain(|k, _| keep.contains(&k.as_str()));
    Ok(())
}

/// `$setElementOrder/<field>`: merge the field's patch list (if any) and then impose the order.
fn apply_set_element_order(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    ty: Ty,
) -> Result<(), SmpError> {
    let keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ORDER_PREFIX))
        .cloned()
        .collect();
    for key in keys {
        let bad = || invalid("invalid patch format of setElementOrder list");
        let Some(Value::Array(order)) = patch.remove(&key) else {
            return Err(bad());
        };
        let field = &key[SET_ORDER_PREFIX.len()..];
        if field.is_empty() {
            return Err(bad());
        }
        let meta = lookup(ty, field);
        let merge_key = match meta.list {
            ListStrategy::Merge(k) => k,
            // Ordering only has meaning for merging lists; the patch list (if any) replaces.
            ListStrategy::Replace => continue,
        };
        let orig_list = match original.remove(field) {
            None => None,
            Some(Value::Array(a)) => Some(a),
            Some(_) => return Err(invalid(format!("{field} in the original is not a list"))),
        };
        let patch_list = match patch.remove(field) {
            None => None,
            Some(Value::Array(a)) => Some(a),
            Some(_) => return Err(invalid(format!("{field} in the patch is not a list"))),
        };
        if let Some(p) = &patch_list {
            validate_order(p, &order, merge_key)?;
        }
        let server_order = orig_list.clone().unwrap_or_default();
        let merged = match (orig_list, patch_list) {
            (None, None) => continue,
            (Some(o), None) => o,
            (None, Some(p)) => merge_list(Vec::new(), p, meta)?,
            (Some(o), Some(p)) => merge_list(o, p, meta)?,
        };
        let (in_order, server_only): (Vec<Value>, Vec<Value>) =
            partition(merged, &order, merge_key)?;
        let sorted = normalize_order(in_order, server_only, &order, &server_order, merge_key)?;
        original.insert(field.to_string(), Value::Array(sorted));
    }
    Ok(())
}

/// Checks that the patch list's items appear in the same relative order as in `order`.
fn validate_order(
    patch: &[Value],
    order: &[Value],
    merge_key: Option<&str>,
) -> Result<(), SmpError> {
    let order_id = |v: &Value| -> Result<Option<Value>, SmpError> {
        match merge_key {
            None => Ok(Some(v.clone())),
            Some(k) => match v {
                Value::Object(m) if m.get(DIRECTIVE).is_some() => Ok(None),
                Value::Object(m) => m
                    .get(k)
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| no_merge_key(m, k)),
                _ => Err(invalid("invalid patch format of setElementOrder list")),
            },
        }
    };
    let mut wanted = Vec::new();
    for v in patch {
        if let Some(id) = order_id(v)? {
            wanted.push(id);
        }
    }
    let mut order_ids = Vec::new();
    for v in order {
        match order_id(v)? {
            Some(id) => order_ids.push(id),
            None => return Err(invalid("invalid patch format of setElementOrder list")),
        }
    }
    let mut it = order_ids.iter();
    for w in &wanted {
        if !it.any(|o| scalar_eq(o, w)) {
            return Err(invalid(format!(
                "The order in patch list: {} doesn't match $setElementOrder list: {}",
                Value::Array(patch.to_vec()),
                Value::Array(order.to_vec())
            )));
        }
    }
    Ok(())
}

/// Merge two lists according to the field's strategy (mergeSliceHandler + mergeSlice).
fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    meta: FieldMeta,
) -> Result<Vec<Value>, SmpError> {
    let merge_key = match meta.list {
        ListStrategy::Replace => {
            let elem = FieldMeta {
                ty: meta.ty,
                list: ListStrategy::Replace,
            };
            return patch.into_iter().map(|v| fresh(v, elem)).collect();
        }
        ListStrategy::Merge(k) => k,
    };
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let is_maps = element_kind(&original, &patch)?;
    if !is_maps {
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for v in original.iter().chain(&patch) {
            if !merged.iter().any(|m| scalar_eq(m, v)) {
                merged.push(v.clone());
            }
        }
        let (in_patch, server_only) = partition(merged, &patch, None)?;
        return normalize_order(in_patch, server_only, &patch, &original, None);
    }
    let Some(key) = merge_key else {
        return Err(invalid("cannot merge lists without merge key for type map"));
    };
    let elem_meta = FieldMeta {
        ty: meta.ty,
        list: ListStrategy::Replace,
    };

    // Directive elements ($patch: delete / replace) are handled before ordinary merging.
    let mut original = original;
    let mut plain = Vec::new();
    let mut replace = false;
    for item in patch {
        let Value::Object(m) = item else {
            return Err(invalid("list element types are not identical"));
        };
        match m.get(DIRECTIVE) {
            None => plain.push(m),
            Some(Value::String(d)) if d == "delete" => {
                let value = m.get(key).ok_or_else(|| no_merge_key(&m, key))?;
                original.retain(|o| !o.get(key).is_some_and(|ov| scalar_eq(ov, value)));
            }
            Some(Value::String(d)) if d == "replace" => replace = true,
            Some(Value::String(d)) if d == "merge" => {
                return Err(invalid(
                    "merging lists cannot yet be specified in the patch",
                ));
            }
            Some(d) => {
                return Err(invalid(format!(
                    "unknown patch type: {d} in map: {}",
                    Value::Object(m.clone())
                )));
            }
        }
    }
    if replace {
        // Only the non-directive elements of the patch survive, in patch order.
        let mut out = Vec::new();
        for m in plain {
            out.push(fresh(Value::Object(m), elem_meta)?);
        }
        return Ok(out);
    }

    let patch_values: Vec<Value> = plain.iter().cloned().map(Value::Object).collect();
    // The order reference is the server's list before additions, as in Go.
    let server_order = original.clone();
    for m in plain {
        let value = m.get(key).cloned().ok_or_else(|| no_merge_key(&m, key))?;
        let pos = original
            .iter()
            .position(|o| o.get(key).is_some_and(|ov| scalar_eq(ov, &value)));
        match pos {
            Some(i) => {
                let existing = std::mem::take(&mut original[i]);
                let Value::Object(existing) = existing else {
                    return Err(invalid("list element types are not identical"));
                };
                original[i] = Value::Object(merge_map(existing, m, meta.ty)?);
            }
            None => original.push(fresh(Value::Object(m), elem_meta)?),
        }
    }
    let (in_patch, server_only) = partition(original, &patch_values, Some(key))?;
    normalize_order(
        in_patch,
        server_only,
        &patch_values,
        &server_order,
        Some(key),
    )
}

/// Returns whether the (non-empty) lists hold maps; rejects mixed element types and nested lists.
fn element_kind(a: &[Value], b: &[Value]) -> Result<bool, SmpError> {
    fn tag(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::Array(_) => 4,
            Value::Object(_) => 5,
        }
    }
    let mut seen = None;
    for v in a.iter().chain(b) {
        let t = tag(v);
        if t == 4 {
            return Err(invalid("lists of lists are not supported"));
        }
        match seen {
            None => seen = Some(t),
            Some(s) if s != t => return Err(invalid("list element types are not identical")),
            Some(_) => {}
        }
    }
    Ok(seen == Some(5))
}

/// Identity of a list element: its merge key value for maps, itself for primitives.
fn identity<'a>(v: &'a Value, merge_key: Option<&str>) -> Result<&'a Value, SmpError> {
    match (merge_key, v) {
        (None, _) => Ok(v),
        (Some(k), Value::Object(m)) => m.get(k).ok_or_else(|| no_merge_key(m, k)),
        (Some(_), _) => Err(invalid("list element types are not identical")),
    }
}

fn position(list: &[Value], id: &Value, merge_key: Option<&str>) -> Option<usize> {
    list.iter()
        .position(|v| identity(v, merge_key).is_ok_and(|x| scalar_eq(x, id)))
}

/// Split `items` into those whose identity appears in `by` and the rest, keeping order.
fn partition(
    items: Vec<Value>,
    by: &[Value],
    merge_key: Option<&str>,
) -> Result<(Vec<Value>, Vec<Value>), SmpError> {
    let mut yes = Vec::new();
    let mut no = Vec::new();
    for item in items {
        let found = position(by, identity(&item, merge_key)?, merge_key).is_some();
        if found {
            yes.push(item)
        } else {
            no.push(item)
        }
    }
    Ok((yes, no))
}

/// Sort patch items by `patch_order` and server-only items by `server_order`, then interleave
/// them (normalizeElementOrder + mergeSortedSlice): a server-only item goes before a patch item
/// only when both occur in `server_order` and it came first there. Hence, like Kubernetes, new
/// items without a `$setElementOrder` end up ahead of the items the server already had.
fn normalize_order(
    patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: Option<&str>,
) -> Result<Vec<Value>, SmpError> {
    let patch_items = sort_by_order(patch_items, patch_order, merge_key)?;
    let server_only = sort_by_order(server_only, server_order, merge_key)?;
    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = patch_items.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                let li = position(server_order, identity(l, merge_key)?, merge_key);
                let ri = position(server_order, identity(r, merge_key)?, merge_key);
                matches!((li, ri), (Some(a), Some(b)) if a < b)
            }
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    Ok(out)
}

/// Stable sort by position in `order`; items missing from `order` keep their relative place
/// after the ones found.
fn sort_by_order(
    items: Vec<Value>,
    order: &[Value],
    merge_key: Option<&str>,
) -> Result<Vec<Value>, SmpError> {
    let mut keyed = Vec::with_capacity(items.len());
    for item in items {
        let pos = position(order, identity(&item, merge_key)?, merge_key).unwrap_or(usize::MAX);
        keyed.push((pos, item));
    }
    keyed.sort_by_key(|(pos, _)| *pos);
    Ok(keyed.into_iter().map(|(_, v)| v).collect())
}

/// Equality as Go's `==` on decoded JSON: all numbers are float64 there, so 80 equals 80.0.
fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(containers: Value) -> Value {
        json!({"metadata": {"name": "d"}, "spec": {"replicas": 1, "template": {"spec": {"containers": containers}}}})
    }

    fn containers(v: &Value) -> &Value {
        &v["spec"]["template"]["spec"]["containers"]
    }

    #[test]
    fn deployment_containers_merge_by_name() {
        let orig = deploy(json!([{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]));
        let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "b:2"}]}}}});
        let out = apply(&orig, &patch, "apps", "Deployment").unwrap();
        assert_eq!(
            containers(&out),
            &json!([{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:2"}])
        );
        assert_eq!(out["spec"]["replicas"], 1);
    }

    #[test]
    fn unknown_kind_replaces_lists_but_merges_maps() {
        let orig = json!({"spec": {"items": [{"name": "a"}], "x": 1, "y": 2}});
        let patch = json!({"spec": {"items": [{"name": "b"}], "y": null}});
        let out = apply(&orig, &patch, "example.com", "Widget").unwrap();
        assert_eq!(out, json!({"spec": {"items": [{"name": "b"}], "x": 1}}));
    }

    #[test]
    fn new_items_go_first_without_set_element_order() {
        // Matches mergeSortedSlice: items unknown to the server precede server-only items.
        let orig = deploy(json!([{"name": "a"}]));
        let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "z"}]}}}});
        let out = apply(&orig, &patch, "apps", "Deployment").unwrap();
        assert_eq!(containers(&out), &json!([{"name": "z"}, {"name": "a"}]));
    }

    #[test]
    fn set_element_order() {
        let orig = deploy(json!([{"name": "a"}, {"name": "b"}, {"name": "c"}]));
        let patch = json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}, {"name": "d"}],
            "containers": [{"name": "d", "image": "d"}]}}}});
        let out = apply(&orig, &patch, "apps", "Deployment").unwrap();
        assert_eq!(
            containers(&out),
            &json!([{"name": "c"}, {"name": "a"}, {"name": "b"}, {"name": "d", "image": "d"}])
        );
        assert!(out["spec"]["template"]["spec"]
            .get("$setElementOrder/containers")
            .is_none());
    }

    #[test]
    fn set_element_order_primitives_keeps_server_items() {
        let orig = json!({"metadata": {"finalizers": ["1", "2", "4"]}});
        let patch = json!({"metadata": {"$setElementOrder/finalizers": ["1", "2", "3"], "finalizers": ["3"]}});
        let out = apply(&orig, &patch, "", "Pod").unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["1", "2", "3", "4"]));
    }

    #[test]
    fn patch_delete_in_list() {
        let orig = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        let patch = json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}});
        let out = apply(&orig, &patch, "", "Pod").unwrap();
        assert_eq!(out["spec"]["containers"], json!([{"name": "b"}]));
    }

    #[test]
    fn patch_replace_in_list_and_map() {
        let orig = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}], "nodeSelector": {"x": "1"}}});
        let patch = json!({"spec": {
            "containers": [{"name": "c"}, {"$patch": "replace"}],
            "nodeSelector": {"y": "2", "$patch": "replace"}}});
        let out = apply(&orig, &patch, "", "Pod").unwrap();
        assert_eq!(out["spec"]["containers"], json!([{"name": "c"}]));
        assert_eq!(out["spec"]["nodeSelector"], json!({"y": "2"}));
    }

    #[test]
    fn patch_delete_on_map() {
        let orig = json!({"spec": {"affinity": {"nodeAffinity": {}}, "x": 1}});
        let patch = json!({"spec": {"affinity": {"$patch": "delete"}}});
        let out = apply(&orig, &patch, "", "Pod").unwrap();
        assert_eq!(out["spec"], json!({"affinity": {}, "x": 1}));
    }

    #[test]
    fn retain_keys() {
        let orig = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
        let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}});
        let out = apply(&orig, &patch, "apps", "Deployment").unwrap();
        assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
        let bad = json!({"spec": {"strategy": {"$retainKeys": ["type"], "other": 1}}});
        assert!(apply(&orig, &bad, "apps", "Deployment").is_err());
    }

    #[test]
    fn finalizers_union_and_delete_from_primitive_list() {
        let orig = json!({"metadata": {"finalizers": ["a", "b"]}});
        let patch = json!({"metadata": {"finalizers": ["b", "c"]}});
        let out = apply(&orig, &patch, "example.com", "Widget").unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["a", "b", "c"]));
        let patch = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}});
        let out = apply(&out, &patch, "example.com", "Widget").unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["b", "c"]));
    }

    #[test]
    fn path_aware_keys() {
        // Container ports merge by containerPort, Service ports by port.
        let pod = json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80, "name": "http"}]}]}});
        let patch = json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}});
        let out = apply(&pod, &patch, "", "Pod").unwrap();
        assert_eq!(
            out["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 80, "name": "http", "protocol": "TCP"}])
        );

        let svc = json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}});
        let patch = json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}});
        let out = apply(&svc, &patch, "", "Service").unwrap();
        assert_eq!(
            out["spec"]["ports"],
            json!([{"port": 80, "targetPort": 9090}, {"port": 443}])
        );
    }

    #[test]
    fn cronjob_env_and_node_lists() {
        let cj = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]}}}}}});
        let patch = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "env": [{"name": "B", "value": "3"}]}]}}}}}});
        let out = apply(&cj, &patch, "batch", "CronJob").unwrap();
        let env = &out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(
            env,
            &json!([{"name": "A", "value": "1"}, {"name": "B", "value": "3"}])
        );

        let node = json!({"spec": {"taints": [{"key": "a", "effect": "NoSchedule"}]},
            "status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "DiskPressure", "status": "False"}]}});
        let patch = json!({"spec": {"taints": [{"key": "b", "effect": "NoSchedule"}]},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        let out = apply(&node, &patch, "", "Node").unwrap();
        assert_eq!(
            out["spec"]["taints"],
            json!([{"key": "b", "effect": "NoSchedule"}])
        );
        assert_eq!(
            out["status"]["conditions"],
            json!([{"type": "Ready", "status": "True"}, {"type": "DiskPressure", "status": "False"}])
        );
    }

    #[test]
    fn tolerations_and_container_statuses_replace() {
        let pod = json!({"spec": {"tolerations": [{"key": "a"}]}, "status": {"containerStatuses": [{"name": "a"}, {"name": "b"}]}});
        let patch = json!({"spec": {"tolerations": [{"key": "b"}]}, "status": {"containerStatuses": [{"name": "a", "ready": true}]}});
        let out = apply(&pod, &patch, "", "Pod").unwrap();
        assert_eq!(out["spec"]["tolerations"], json!([{"key": "b"}]));
        assert_eq!(
            out["status"]["containerStatuses"],
            json!([{"name": "a", "ready": true}])
        );
    }

    #[test]
    fn new_values_are_cleaned_of_directives_and_nulls() {
        let orig = json!({"spec": {}});
        let patch = json!({"spec": {"containers": [{"name": "a", "image": null, "$setElementOrder/env": [{"name": "X"}], "env": [{"name": "X"}]}]}});
        let out = apply(&orig, &patch, "", "Pod").unwrap();
        assert_eq!(
            out["spec"]["containers"],
            json!([{"name": "a", "env": [{"name": "X"}]}])
        );
    }

    #[test]
    fn invalid_patches() {
        let orig = json!({"spec": {"containers": [{"name": "a"}]}});
        let missing_key = json!({"spec": {"containers": [{"image": "x"}]}});
        assert!(
            matches!(apply(&orig, &missing_key, "", "Pod"), Err(SmpError::Invalid(m)) if m.contains("merge key: name"))
        );
        let bad_directive = json!({"spec": {"$patch": "explode"}});
        assert!(apply(&orig, &bad_directive, "", "Pod").is_err());
        assert!(apply(&orig, &json!([1]), "", "Pod").is_err());
        let lists_of_lists = json!({"metadata": {"finalizers": [["a"]]}});
        assert!(apply(
            &json!({"metadata": {"finalizers": ["x"]}}),
            &lists_of_lists,
            "",
            "Pod"
        )
        .is_err());
        let bad_order = json!({"spec": {"$setElementOrder/containers": "nope"}});
        assert!(apply(&orig, &bad_order, "", "Pod").is_err());
    }
}
