//! NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods that tolerate the
//! `node.kubernetes.io/unschedulable:NoSchedule` taint.

use serde_json::{json, Value};

use super::pod_tolerates;
use crate::scheduler::framework::{FilterPlugin, NodeInfo, Snapshot, Status};

/// kube-scheduler's reason for a cordoned node.
pub const ERR_REASON: &str = "node(s) were unschedulable";

/// The NodeUnschedulable filter.
pub struct NodeUnschedulable;

impl FilterPlugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        "NodeUnschedulable"
    }

    fn filter(&self, pod: &Value, node: &NodeInfo, _snapshot: &Snapshot) -> Status {
        if !node.unschedulable {
            return Status::Success;
        }
        // The node lifecycle controller also taints cordoned nodes this way; tolerating the taint is
        // how DaemonSet pods opt in to cordoned nodes.
        let taint = json!({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"});
        if pod_tolerates(pod, &taint) {
            Status::Success
        } else {
            Status::UnschedulableAndUnresolvable(ERR_REASON.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{pod, simple};

    #[test]
    fn cordoned_nodes_need_toleration() {
        let n = simple("a", json!({}));
        let s = Snapshot::default();
        let plain = pod("p", json!({}), json!({}));
        assert_eq!(NodeUnschedulable.filter(&plain, &n, &s), Status::Success);
        let n = NodeInfo::new(json!({"metadata": {"name": "a"}, "spec": {"unschedulable": true}}));
        assert_eq!(
            NodeUnschedulable.filter(&plain, &n, &s),
            Status::UnschedulableAndUnresolvable(ERR_REASON.into())
        );
        let tolerant = pod(
            "p",
            json!({}),
            json!({"tolerations": [
            {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]}),
        );
        assert_eq!(NodeUnschedulable.filter(&tolerant, &n, &s), Status::Success);
    }
}
