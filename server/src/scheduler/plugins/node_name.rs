//! NodeName: a pod that names its node (spec.nodeName) fits only that node.

use serde_json::Value;

use super::string;
use crate::scheduler::framework::{FilterPlugin, NodeCheck, NodeInfo, Snapshot, Status};

/// kube-scheduler's reason when spec.nodeName names another node.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

/// The NodeName filter.
pub struct NodeName;

impl FilterPlugin for NodeName {
    fn name(&self) -> &'static str {
        "NodeName"
    }

    fn prepare<'a>(&'a self, pod: &'a Value, _snapshot: &'a Snapshot) -> Option<NodeCheck<'a>> {
        let wanted = string(pod, "/spec/nodeName");
        if wanted.is_empty() {
            return None;
        }
        Some(Box::new(move |node| named(wanted, node)))
    }

    fn filter(&self, pod: &Value, node: &NodeInfo, _snapshot: &Snapshot) -> Status {
        named(string(pod, "/spec/nodeName"), node)
    }
}

/// Whether `node` is the one the pod names (any node when it names none).
fn named(wanted: &str, node: &NodeInfo) -> Status {
    if wanted.is_empty() || wanted == node.name() {
        Status::Success
    } else {
        // No change elsewhere in the cluster can rename this node.
        Status::UnschedulableAndUnresolvable(ERR_REASON.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{pod, simple};
    use serde_json::json;

    #[test]
    fn matches_requested_name() {
        let n = simple("a", json!({}));
        let s = Snapshot::default();
        assert_eq!(
            NodeName.filter(&pod("p", json!({}), json!({})), &n, &s),
            Status::Success
        );
        assert_eq!(
            NodeName.filter(&pod("p", json!({}), json!({"nodeName": "a"})), &n, &s),
            Status::Success
        );
        assert_eq!(
            NodeName.filter(&pod("p", json!({}), json!({"nodeName": "b"})), &n, &s),
            Status::UnschedulableAndUnresolvable(ERR_REASON.into())
        );
    }
}
