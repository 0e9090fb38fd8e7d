//! NodeResourcesFit (filter): the pod's requests must fit in what the node has left, and the node must
//! have room for one more pod.

use serde_json::Value;

use crate::scheduler::framework::{FilterPlugin, NodeInfo, Snapshot, Status};

/// The NodeResourcesFit filter.
///
/// A node short of several resources fails with every reason, in kube-scheduler's order ("Too many
/// pods", "Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage"), joined by '\n'
/// in one status: callers split on '\n' to count each reason separately in FailedScheduling, as
/// kube-scheduler does.
pub struct NodeResourcesFit;

impl FilterPlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }

    fn filter(&self, pod: &Value, node: &NodeInfo, snapshot: &Snapshot) -> Status {
        let want = snapshot.requests_of(pod).0;
        let alloc = &node.allocatable;
        let used = &node.requested;
        let mut reasons: Vec<&str> = Vec::new();
        // The request's size alone rules the node out whatever else leaves it, so preemption cannot help.
        let mut unresolvable = false;
        let pods_now = i64::try_from(node.pods.len()).unwrap_or(i64::MAX);
        if pods_now.saturating_add(1) > alloc.pods {
            reasons.push("Too many pods");
        }
        let checks = [
            (
                want.milli_cpu,
                alloc.milli_cpu,
                used.milli_cpu,
                "Insufficient cpu",
            ),
            (
                want.memory,
                alloc.memory,
                used.memory,
                "Insufficient memory",
            ),
            (
                want.ephemeral_storage,
                alloc.ephemeral_storage,
                used.ephemeral_storage,
                "Insufficient ephemeral-storage",
            ),
        ];
        for (req, cap, taken, reason) in checks {
            // A zero request always fits, even on an overcommitted node.
            if req > 0 && req > cap.saturating_sub(taken) {
                reasons.push(reason);
                unresolvable |= req > cap;
            }
        }
        match (reasons.is_empty(), unresolvable) {
            (true, _) => Status::Success,
            (false, false) => Status::Unschedulable(reasons.join("\n")),
            (false, true) => Status::UnschedulableAndUnresolvable(reasons.join("\n")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{node, pod, requesting};
    use serde_json::json;

    #[test]
    fn fits_and_reports_each_shortage() {
        let existing = requesting("1500m", "1Gi");
        let n = node(
            "a",
            json!({}),
            json!([]),
            json!({"cpu": "2", "memory": "2Gi", "pods": "2"}),
            vec![existing],
        );
        let s = Snapshot::default();
        assert_eq!(
            NodeResourcesFit.filter(&requesting("500m", "1Gi"), &n, &s),
            Status::Success
        );
        assert_eq!(
            NodeResourcesFit.filter(&requesting("600m", "2Gi"), &n, &s),
            Status::Unschedulable("Insufficient cpu\nInsufficient memory".into())
        );
        assert_eq!(
            NodeResourcesFit.filter(&requesting("3", "1Mi"), &n, &s),
            Status::UnschedulableAndUnresolvable("Insufficient cpu".into())
        );
        let eph = pod(
            "p",
            json!({}),
            json!({"containers": [{"resources": {"requests": {"ephemeral-storage": "1Gi"}}}]}),
        );
        assert_eq!(
            NodeResourcesFit.filter(&eph, &n, &s),
            Status::UnschedulableAndUnresolvable("Insufficient ephemeral-storage".into())
        );
    }

    #[test]
    fn counts_pods_and_lets_empty_requests_through() {
        let full = node(
            "a",
            json!({}),
            json!([]),
            json!({"cpu": "1", "pods": "1"}),
            vec![requesting("2", "0")],
        );
        let s = Snapshot::default();
        let empty = pod("p", json!({}), json!({"containers": [{}]}));
        assert_eq!(
            NodeResourcesFit.filter(&empty, &full, &s),
            Status::Unschedulable("Too many pods".into())
        );
        let roomy = node(
            "b",
            json!({}),
            json!([]),
            json!({"cpu": "1", "pods": "5"}),
            vec![requesting("2", "0")],
        );
        assert_eq!(NodeResourcesFit.filter(&empty, &roomy, &s), Status::Success);
    }
}
