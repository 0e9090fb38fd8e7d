//! NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory would be used in similar
//! proportions after placing the pod.

use serde_json::Value;

use super::MAX_NODE_SCORE;
use crate::scheduler::framework::{NodeInfo, ScorePlugin, Snapshot};

/// The NodeResourcesBalancedAllocation scorer (weight 1 in the default profile).
///
/// Unlike LeastAllocated it uses actual requests (no 100m/200Mi stand-ins). A pod requesting neither
/// cpu nor memory scores 0 everywhere: kube-scheduler skips the plugin for best-effort pods, since
/// they would otherwise all pile onto the most balanced node (kubernetes issue 129138).
pub struct BalancedAllocation;

impl ScorePlugin for BalancedAllocation {
    fn name(&self) -> &'static str {
        "NodeResourcesBalancedAllocation"
    }

    fn score_all(&self, pod: &Value, nodes: &[&NodeInfo], snapshot: &Snapshot) -> Vec<i64> {
        nodes.iter().map(|n| self.score(pod, n, snapshot)).collect()
    }
}

impl BalancedAllocation {
    /// One node's score; no normalising across nodes.
    pub fn score(&self, pod: &Value, node: &NodeInfo, snapshot: &Snapshot) -> i64 {
        let want = snapshot.requests_of(pod).0;
        if want.milli_cpu == 0 && want.memory == 0 {
            return 0;
        }
        let pairs = [
            (
                node.requested.milli_cpu.saturating_add(want.milli_cpu),
                node.allocatable.milli_cpu,
            ),
            (
                node.requested.memory.saturating_add(want.memory),
                node.allocatable.memory,
            ),
        ];
        // Fractions of capacity, capped at 1; resources the node does not offer are left out.
        let fractions: Vec<f64> = pairs
            .iter()
            .filter(|(_, cap)| *cap != 0)
            .map(|&(req, cap)| (req as f64 / cap as f64).min(1.0))
            .collect();
        // With two resources the standard deviation is half their difference; one or none is balanced.
        let std = match fractions.as_slice() {
            [a, b] => ((a - b) / 2.0).abs(),
            _ => 0.0,
        };
        ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{node, pod, requesting};
    use serde_json::json;

    #[test]
    fn prefers_balanced_use() {
        let n = node(
            "a",
            json!({}),
            json!([]),
            json!({"cpu": "4", "memory": "4Gi"}),
            vec![],
        );
        let s = Snapshot::default();
        assert_eq!(
            BalancedAllocation.score(&requesting("2", "2Gi"), &n, &s),
            100
        );
        // cpu 1.0, memory 0.25: std 0.375 → 62.
        assert_eq!(
            BalancedAllocation.score(&requesting("4", "1Gi"), &n, &s),
            62
        );
        // Over capacity caps at 1.
        assert_eq!(
            BalancedAllocation.score(&requesting("8", "4Gi"), &n, &s),
            100
        );
    }

    #[test]
    fn skips_best_effort_pods() {
        let n = node(
            "a",
            json!({}),
            json!([]),
            json!({"cpu": "4", "memory": "4Gi"}),
            vec![requesting("4", "0")],
        );
        let s = Snapshot::default();
        assert_eq!(
            BalancedAllocation.score(&pod("p", json!({}), json!({"containers": [{}]})), &n, &s),
            0
        );
    }
}
