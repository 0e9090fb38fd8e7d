//! TaintToleration: a filter rejecting nodes with an untolerated NoSchedule or NoExecute taint, and a
//! scorer preferring nodes with fewer untolerated PreferNoSchedule taints.

use serde_json::Value;

use super::{array, default_normalize, string, toleration_tolerates};
use crate::scheduler::framework::{FilterPlugin, NodeInfo, ScorePlugin, Snapshot, Status};

/// The first NoSchedule/NoExecute taint of `node` that `pod` does not tolerate, in the node's order.
pub(crate) fn first_untolerated_taint<'a>(pod: &Value, node: &'a NodeInfo) -> Option<&'a Value> {
    if node.taints.is_empty() {
        return None;
    }
    let tolerations = array(pod, "/spec/tolerations");
    node.taints.iter().find(|taint| {
        matches!(string(taint, "/effect"), "NoSchedule" | "NoExecute")
            && !tolerations.iter().any(|t| toleration_tolerates(t, taint))
    })
}

/// The TaintToleration filter.
pub struct TaintToleration;

impl FilterPlugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }

    fn filter(&self, pod: &Value, node: &NodeInfo, _snapshot: &Snapshot) -> Status {
        match first_untolerated_taint(pod, node) {
            None => Status::Success,
            // kube-scheduler 1.32 names the taint as `{key: value}` (value empty when unset).
            Some(taint) => Status::UnschedulableAndUnresolvable(format!(
                "node(s) had untolerated taint {{{}: {}}}",
                string(taint, "/key"),
                string(taint, "/value")
            )),
        }
    }
}

/// How many PreferNoSchedule taints of `node` the pod does not tolerate. Only tolerations with an
/// empty or PreferNoSchedule effect count, as kube-scheduler's PreScore keeps only those.
fn intolerable_prefer_no_schedule(pod: &Value, node: &NodeInfo) -> i64 {
    if node.taints.is_empty() {
        return 0;
    }
    let tolerations: Vec<&Value> = array(pod, "/spec/tolerations")
        .iter()
        .filter(|t| matches!(string(t, "/effect"), "" | "PreferNoSchedule"))
        .collect();
    let count = node
        .taints
        .iter()
        .filter(|taint| string(taint, "/effect") == "PreferNoSchedule")
        .filter(|taint| !tolerations.iter().any(|t| toleration_tolerates(t, taint)))
        .count();
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// The TaintToleration scorer (weight 3 in the default profile): 100 for the nodes with the fewest
/// intolerable PreferNoSchedule taints, scaled down towards 0 for the most.
pub struct TaintTolerationScore;

impl ScorePlugin for TaintTolerationScore {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }

    fn score_all(&self, pod: &Value, nodes: &[&NodeInfo], _snapshot: &Snapshot) -> Vec<i64> {
        let raw: Vec<i64> = nodes
            .iter()
            .map(|n| intolerable_prefer_no_schedule(pod, n))
            .collect();
        let max = raw.iter().copied().max().unwrap_or(0);
        raw.into_iter()
            .map(|r| default_normalize(r, max, true))
            .collect()
    }

    fn weight(&self) -> i64 {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{node, pod, score_of};
    use serde_json::json;

    fn tainted(name: &str, taints: Value) -> NodeInfo {
        node(name, json!({}), taints, json!({}), vec![])
    }

    #[test]
    fn filter_reports_first_untolerated_taint() {
        let n = tainted(
            "a",
            json!([
                {"key": "soft", "value": "x", "effect": "PreferNoSchedule"},
                {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
                {"key": "gone", "effect": "NoExecute"}
            ]),
        );
        let s = Snapshot::default();
        let p = pod("p", json!({}), json!({}));
        assert_eq!(
            TaintToleration.filter(&p, &n, &s),
            Status::UnschedulableAndUnresolvable(
                "node(s) had untolerated taint {dedicated: gpu}".into()
            )
        );
        let p = pod(
            "p",
            json!({}),
            json!({"tolerations": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}),
        );
        assert_eq!(
            TaintToleration.filter(&p, &n, &s),
            Status::UnschedulableAndUnresolvable("node(s) had untolerated taint {gone: }".into())
        );
        let p = pod(
            "p",
            json!({}),
            json!({"tolerations": [{"operator": "Exists"}]}),
        );
        assert_eq!(TaintToleration.filter(&p, &n, &s), Status::Success);
    }

    #[test]
    fn score_prefers_fewer_soft_taints() {
        let soft = |k: &str| json!({"key": k, "effect": "PreferNoSchedule"});
        let a = tainted("a", json!([]));
        let b = tainted("b", json!([soft("x")]));
        let c = tainted("c", json!([soft("x"), soft("y")]));
        let s = Snapshot::new(vec![a.clone(), b.clone(), c.clone()]);
        let p = pod("p", json!({}), json!({}));
        assert_eq!(score_of(&TaintTolerationScore, &p, &a, &s), 100);
        assert_eq!(score_of(&TaintTolerationScore, &p, &b, &s), 50);
        assert_eq!(score_of(&TaintTolerationScore, &p, &c, &s), 0);
        // A NoSchedule-only toleration does not count towards PreferNoSchedule taints.
        let p = pod(
            "p",
            json!({}),
            json!({"tolerations": [{"key": "x", "operator": "Exists", "effect": "NoSchedule"}]}),
        );
        assert_eq!(score_of(&TaintTolerationScore, &p, &b, &s), 50);
        let p = pod(
            "p",
            json!({}),
            json!({"tolerations": [{"key": "x", "operator": "Exists"}]}),
        );
        assert_eq!(score_of(&TaintTolerationScore, &p, &b, &s), 100);
    }
}
