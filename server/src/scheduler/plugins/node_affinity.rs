//! NodeAffinity: a filter for spec.nodeSelector and required node affinity, and a scorer summing the
//! weights of the preferred node affinity terms a node matches.

use serde_json::Value;

use super::{array, at, default_normalize, label, string, strings};
use crate::scheduler::framework::{
    FilterPlugin, NodeCheck, NodeInfo, ScorePlugin, Snapshot, Status,
};

/// kube-scheduler's reason when the node fails the pod's selector or required affinity.
pub const ERR_REASON: &str = "node(s) didn't match Pod's node affinity/selector";

/// Whether one NodeSelectorRequirement on labels holds. NotIn and DoesNotExist hold for a missing
/// label; Gt and Lt compare a single integer value with the label read as an integer.
fn label_requirement_holds(node: &Value, req: &Value) -> bool {
    let value = label(node, string(req, "/key"));
    let values = strings(req.get("values"));
    let int_cmp = |want: std::cmp::Ordering| -> bool {
        let (Some(v), [bound]) = (value, values.as_slice()) else {
            return false;
        };
        match (v.parse::<i64>(), bound.parse::<i64>()) {
            (Ok(v), Ok(b)) => v.cmp(&b) == want,
            _ => false,
        }
    };
    match string(req, "/operator") {
        "In" => value.is_some_and(|v| values.contains(&v)),
        "NotIn" => value.is_none_or(|v| !values.contains(&v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" => int_cmp(std::cmp::Ordering::Greater),
        "Lt" => int_cmp(std::cmp::Ordering::Less),
        _ => false,
    }
}

/// Whether one matchFields requirement holds; only `metadata.name` with In or NotIn is valid.
fn field_requirement_holds(node: &Value, req: &Value) -> bool {
    if string(req, "/key") != "metadata.name" {
        return false;
    }
    let name = string(node, "/metadata/name");
    let values = strings(req.get("values"));
    match string(req, "/operator") {
        "In" => values.contains(&name),
        "NotIn" => !values.contains(&name),
        _ => false,
    }
}

/// Whether a NodeSelectorTerm matches: every expression and field requirement holds. A term with
/// neither matches nothing, as in kube-scheduler.
pub(crate) fn term_matches(node: &Value, term: &Value) -> bool {
    let exprs = array(term, "/matchExpressions");
    let fields = array(term, "/matchFields");
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    exprs.iter().all(|r| label_requirement_holds(node, r))
        && fields.iter().all(|r| field_requirement_holds(node, r))
}

/// Whether `node` satisfies the pod's spec.nodeSelector and required node affinity (terms ORed).
/// Topology spread reuses this for its default nodeAffinityPolicy Honor.
pub(crate) fn required_matches(pod: &Value, node: &Value) -> bool {
    let selector_ok = at(pod, "/spec/nodeSelector")
        .and_then(Value::as_object)
        .is_none_or(|sel| {
            sel.iter()
                .all(|(k, v)| v.as_str().is_some() && label(node, k) == v.as_str())
        });
    if !selector_ok {
        return false;
    }
    match at(
        pod,
        "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution",
    ) {
        Some(required) if !required.is_null() => array(required, "/nodeSelectorTerms")
            .iter()
            .any(|t| term_matches(node, t)),
        _ => true,
    }
}

/// The NodeAffinity filter.
pub struct NodeAffinity;

impl FilterPlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }

    fn prepare<'a>(&'a self, pod: &'a Value, snapshot: &'a Snapshot) -> Option<NodeCheck<'a>> {
        let selects = at(pod, "/spec/nodeSelector").is_some_and(|s| !s.is_null())
            || at(
                pod,
                "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution",
            )
            .is_some_and(|r| !r.is_null());
        if !selects {
            return None;
        }
        Some(Box::new(move |node| self.filter(pod, node, snapshot)))
    }

    fn filter(&self, pod: &Value, node: &NodeInfo, _snapshot: &Snapshot) -> Status {
        if required_matches(pod, &node.node) {
            Status::Success
        } else {
            // Node labels are not something scheduling other pods can change.
            Status::UnschedulableAndUnresolvable(ERR_REASON.to_string())
        }
    }
}

/// The summed weights of the preferred terms `node` matches (zero-weight terms skipped).
fn preferred_sum(pod: &Value, node: &Value) -> i64 {
    array(
        pod,
        "/spec/affinity/nodeAffinity/preferredDuringSchedulingIgnoredDuringExecution",
    )
    .iter()
    .filter(|t| term_matches(node, t.get("preference").unwrap_or(&Value::Null)))
    .map(|t| t.get("weight").and_then(Value::as_i64).unwrap_or(0))
    .fold(0i64, i64::saturating_add)
}

/// The NodeAffinity scorer (weight 2 in the default profile): preferred-term weights summed, then
/// scaled so the best node gets 100.
pub struct NodeAffinityScore;

impl ScorePlugin for NodeAffinityScore {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }

    fn score_all(&self, pod: &Value, nodes: &[&NodeInfo], _snapshot: &Snapshot) -> Vec<i64> {
        if array(
            pod,
            "/spec/affinity/nodeAffinity/preferredDuringSchedulingIgnoredDuringExecution",
        )
        .is_empty()
        {
            return vec![0; nodes.len()];
        }
        let raw: Vec<i64> = nodes.iter().map(|n| preferred_sum(pod, &n.node)).collect();
        let max = raw.iter().copied().max().unwrap_or(0);
        raw.into_iter()
            .map(|r| {
                if r <= 0 {
                    0
                } else {
                    default_normalize(r, max, false)
                }
            })
            .collect()
    }

    fn weight(&self) -> i64 {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{pod, score_of, simple};
    use serde_json::json;

    fn with_required(terms: Value) -> Value {
        pod(
            "p",
            json!({}),
            json!({"affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}}),
        )
    }

    #[test]
    fn node_selector() {
        let n = simple("a", json!({"disk": "ssd"}));
        let s = Snapshot::default();
        let ok = pod("p", json!({}), json!({"nodeSelector": {"disk": "ssd"}}));
        let bad = pod("p", json!({}), json!({"nodeSelector": {"disk": "hdd"}}));
        assert_eq!(NodeAffinity.filter(&ok, &n, &s), Status::Success);
        assert_eq!(
            NodeAffinity.filter(&bad, &n, &s),
            Status::UnschedulableAndUnresolvable(ERR_REASON.into())
        );
    }

    #[test]
    fn required_terms_and_operators() {
        let n = simple("a", json!({"zone": "z1", "cores": "8"}));
        let s = Snapshot::default();
        let expr = |op: &str, key: &str, values: Value| json!([{"matchExpressions": [{"key": key, "operator": op, "values": values}]}]);
        let ok =
            |terms: Value| NodeAffinity.filter(&with_required(terms), &n, &s) == Status::Success;
        assert!(ok(expr("In", "zone", json!(["z1", "z2"]))));
        assert!(!ok(expr("In", "zone", json!(["z2"]))));
        assert!(ok(expr("NotIn", "zone", json!(["z2"]))));
        assert!(ok(expr("NotIn", "rack", json!(["r1"]))));
        assert!(ok(expr("Exists", "zone", json!([]))));
        assert!(!ok(expr("DoesNotExist", "zone", json!([]))));
        assert!(ok(expr("Gt", "cores", json!(["4"]))));
        assert!(!ok(expr("Lt", "cores", json!(["4"]))));
        assert!(!ok(expr("Gt", "zone", json!(["4"]))));
        assert!(ok(
            json!([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}]}])
        ));
        assert!(!ok(
            json!([{"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["a"]}]}])
        ));
        // Terms are ORed; an empty term matches nothing.
        assert!(ok(
            json!([{}, {"matchExpressions": [{"key": "zone", "operator": "Exists"}]}])
        ));
        assert!(!ok(json!([{}])));
    }

    #[test]
    fn preferred_terms_score() {
        let a = simple("a", json!({"zone": "z1", "disk": "ssd"}));
        let b = simple("b", json!({"zone": "z1"}));
        let c = simple("c", json!({}));
        let s = Snapshot::new(vec![a.clone(), b.clone(), c.clone()]);
        let p = pod(
            "p",
            json!({}),
            json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 20, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1"]}]}},
                {"weight": 60, "preference": {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}}
            ]}}}),
        );
        assert_eq!(score_of(&NodeAffinityScore, &p, &a, &s), 100);
        assert_eq!(score_of(&NodeAffinityScore, &p, &b, &s), 25);
        assert_eq!(score_of(&NodeAffinityScore, &p, &c, &s), 0);
    }
}
