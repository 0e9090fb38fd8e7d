//! Pod templates as the workload controllers and kubectl's rollout commands compare them: ignoring the
//! `pod-template-hash` label, and with absent, null and empty fields all alike, as Go's typed comparison
//! (`apiequality.Semantic.DeepEqual`) treats them.

use serde_json::{json, Map, Value};

/// The label a Deployment's ReplicaSets and pods carry, naming their template.
pub const HASH_LABEL: &str = "pod-template-hash";
/// The annotation numbering a Deployment's ReplicaSets in rollout order.
pub const REVISION: &str = "deployment.kubernetes.io/revision";

/// A Deployment ReplicaSet's revision (0 when unset or malformed).
pub fn revision(rs: &Value) -> i64 {
    rs.pointer("/metadata/annotations")
        .and_then(|a| a.get(REVISION))
        .and_then(Value::as_str)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// The value with nulls and empty objects and arrays left out: kube compares templates as typed objects,
/// where an absent field, a null and an empty map or list are the same (kubectl's rollback sends
/// `creationTimestamp: null` that the stored template lacks, say).
pub fn normalized(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Object(m) => {
            let m: Map<String, Value> = m
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), normalized(v)?)))
                .collect();
            (!m.is_empty()).then_some(Value::Object(m))
        }
        Value::Array(a) if a.is_empty() => None,
        Value::Array(a) => Some(Value::Array(
            a.iter()
                .map(|v| normalized(v).unwrap_or(Value::Null))
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

/// The template, normalised, with the pod-template-hash label taken out: what a ReplicaSet and its
/// deployment are compared (and hashed) by.
pub fn without_hash(template: Option<&Value>) -> Value {
    let mut t = template.cloned().unwrap_or(Value::Null);
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(HASH_LABEL);
    }
    normalized(&t).unwrap_or(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_set_templates_compare_without_their_hash() {
        let d = json!({"metadata": {"labels": {"app": "web"}}, "spec": {}});
        let rs =
            json!({"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}}, "spec": {}});
        assert_eq!(without_hash(Some(&rs)), without_hash(Some(&d)));
        assert_eq!(
            without_hash(Some(&rs)),
            json!({"metadata": {"labels": {"app": "web"}}})
        );
        assert_eq!(
            without_hash(Some(
                &json!({"metadata": {"labels": {"pod-template-hash": "x"}}})
            )),
            json!({})
        );
    }
}
