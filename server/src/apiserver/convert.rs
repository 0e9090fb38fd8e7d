//! Conversion between the version a resource is served in and the one it is stored in:
//! autoscaling/v1 HPAs are stored as v2, events.k8s.io/v1 events as core/v1 events.

use axum::body::Bytes;
use kyb_api::registry::Resource;
use serde_json::{json, Map, Value};

use super::cache::Obj;

/// Converts an object of a served version into the stored version.
pub fn to_storage(resource: &Resource, obj: &mut Value) {
    match (resource.group, resource.version) {
        ("autoscaling", "v1") => hpa_v1_to_v2(obj),
        ("events.k8s.io", _) => rename_fields(obj, "v1", EVENT_FIELDS, false),
        _ => {}
    }
}

/// Converts a stored object into the version the client asked for.
pub fn from_storage(resource: &Resource, obj: &Value) -> Value {
    let mut out = obj.clone();
    match (resource.group, resource.version) {
        ("autoscaling", "v1") => hpa_v2_to_v1(&mut out),
        ("events.k8s.io", v) => {
            rename_fields(&mut out, &format!("events.k8s.io/{v}"), EVENT_FIELDS, true)
        }
        _ => {}
    }
    out
}

/// The bytes of a cached object in the version the client asked for; no copy when that is the stored version.
pub fn presented(resource: &Resource, obj: &Obj) -> Bytes {
    if resource.is_storage_form() {
        return obj.raw.clone();
    }
    Bytes::from(from_storage(resource, &obj.value()).to_string())
}

/// events.k8s.io/v1 field names and their core/v1 counterparts (the rest are shared).
const EVENT_FIELDS: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
    ("reportingController", "reportingComponent"),
];

/// The core/v1 name of an events.k8s.io/v1 field path, for field selectors.
pub fn event_field_to_core(field: &str) -> String {
    for (new, old) in EVENT_FIELDS {
        if let Some(rest) = field.strip_prefix(new) {
            if rest.is_empty() || rest.starts_with('.') {
                return format!("{old}{rest}");
            }
        }
    }
    field.to_string()
}

/// Renames top-level fields between the two event APIs; `to_new` goes from core to events.k8s.io.
fn rename_fields(obj: &mut Value, api_version: &str, pairs: &[(&str, &str)], to_new: bool) {
    let Some(o) = obj.as_object_mut() else { return };
    let mut moved = Map::new();
    for (new, old) in pairs {
        let (from, to) = if to_new { (old, new) } else { (new, old) };
        if let Some(v) = o.remove(*from) {
            moved.insert(to.to_string(), v);
        }
    }
    o.extend(moved);
    o.insert("apiVersion".into(), json!(api_version));
}

fn hpa_v1_to_v2(obj: &mut Value) {
    obj["apiVersion"] = json!("autoscaling/v2");
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        if let Some(target) = spec.remove("targetCPUUtilizationPercentage") {
            spec.insert(
                "metrics".into(),
                json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}]),
            );
        }
    }
    if let Some(status) = obj.get_mut("status").and_then(Value::as_object_mut) {
        if let Some(current) = status.remove("currentCPUUtilizationPercentage") {
            status.insert(
                "currentMetrics".into(),
                json!([{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": current}}}]),
            );
        }
    }
}

fn cpu_metric<'a>(metrics: Option<&'a Value>, field: &str) -> Option<&'a Value> {
    metrics?.as_array()?.iter().find_map(|m| {
        let r = m.get("resource")?;
        (m.get("type")? == "Resource" && r.get("name")? == "cpu")
            .then(|| r.get(field)?.get("averageUtilization"))?
    })
}

fn hpa_v2_to_v1(obj: &mut Value) {
    obj["apiVersion"] = json!("autoscaling/v1");
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        let target = cpu_metric(spec.get("metrics"), "target").cloned();
        spec.remove("metrics");
        spec.remove("behavior");
        if let Some(t) = target {
            spec.insert("targetCPUUtilizationPercentage".into(), t);
        }
    }
    if let Some(status) = obj.get_mut("status").and_then(Value::as_object_mut) {
        let current = cpu_metric(status.get("currentMetrics"), "current").cloned();
        status.remove("currentMetrics");
        status.remove("conditions");
        if let Some(c) = current {
            status.insert("currentCPUUtilizationPercentage".into(), c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hpa_round_trips_between_versions() {
        let v1 = json!({"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","spec":{"maxReplicas":5,"targetCPUUtilizationPercentage":70,"scaleTargetRef":{"kind":"Deployment","name":"web"}}});
        let mut stored = v1.clone();
        hpa_v1_to_v2(&mut stored);
        assert_eq!(
            stored["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            70
        );
        let mut back = stored.clone();
        hpa_v2_to_v1(&mut back);
        assert_eq!(back, v1);
    }

    #[test]
    fn events_convert_between_apis() {
        let Some(events) = kyb_api::registry::lookup("events.k8s.io", "v1", "events") else {
            panic!("events")
        };
        let new = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
            "regarding": {"kind": "Pod", "name": "p"}, "note": "pulled", "reason": "Pulled", "reportingController": "kubelet", "type": "Normal"});
        let mut core = new.clone();
        to_storage(events, &mut core);
        assert_eq!(core["apiVersion"], "v1");
        assert_eq!(core["involvedObject"]["name"], "p");
        assert_eq!(core["message"], "pulled");
        assert_eq!(core["reportingComponent"], "kubelet");
        assert!(core.get("note").is_none());
        assert_eq!(from_storage(events, &core), new);
        assert_eq!(event_field_to_core("regarding.name"), "involvedObject.name");
        assert_eq!(event_field_to_core("reason"), "reason");
    }
}
