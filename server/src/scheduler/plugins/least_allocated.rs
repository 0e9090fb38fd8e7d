//! NodeResourcesFit (score, LeastAllocated strategy): prefer nodes with more cpu and memory left after
//! placing the pod, cpu and memory weighted 1 each.

use serde_json::Value;

use super::MAX_NODE_SCORE;
use crate::scheduler::framework::{NodeInfo, ScorePlugin, Snapshot};

/// kube-scheduler's `leastRequestedScore`: the free fraction after placement, 0 when over capacity.
fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity <= 0 || requested > capacity {
        return 0;
    }
    // i128 keeps byte counts times 100 from overflowing.
    let s = (i128::from(capacity) - i128::from(requested)) * i128::from(MAX_NODE_SCORE)
        / i128::from(capacity);
    i64::try_from(s).unwrap_or(0)
}

/// The NodeResourcesFit scorer (weight 1 in the default profile).
///
/// Like kube-scheduler it uses "non-zero" requests: containers without a cpu or memory request count
/// as 100m / 200Mi, both for the pod and for the pods already on the node, so best-effort pods spread.
pub struct LeastAllocated;

impl ScorePlugin for LeastAllocated {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }

    fn score_all(&self, pod: &Value, nodes: &[&NodeInfo], snapshot: &Snapshot) -> Vec<i64> {
        nodes.iter().map(|n| self.score(pod, n, snapshot)).collect()
    }
}

impl LeastAllocated {
    /// One node's score; no normalising across nodes.
    pub fn score(&self, pod: &Value, node: &NodeInfo, snapshot: &Snapshot) -> i64 {
        let mut requested = snapshot.requests_of(pod).1;
        requested.add(&node.non_zero_requested);
        let pairs = [
            (requested.milli_cpu, node.allocatable.milli_cpu),
            (requested.memory, node.allocatable.memory),
        ];
        // A resource the node does not offer at all is left out rather than scored 0.
        let (sum, weights) = pairs
            .iter()
            .filter(|(_, cap)| *cap != 0)
            .fold((0i64, 0i64), |(s, w), &(req, cap)| {
                (s + least_requested(req, cap), w + 1)
            });
        if weights == 0 {
            0
        } else {
            sum / weights
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{node, pod, requesting};
    use serde_json::json;

    #[test]
    fn scores_free_fraction() {
        let n = node(
            "a",
            json!({}),
            json!([]),
            json!({"cpu": "4", "memory": "10Gi"}),
            vec![requesting("1", "2Gi")],
        );
        let s = Snapshot::default();
        // cpu: (4000-2000)*100/4000 = 50; memory: (10-5)*100/10 = 50.
        assert_eq!(LeastAllocated.score(&requesting("1", "3Gi"), &n, &s), 50);
        // cpu over capacity scores 0 for cpu; memory (10-2.5)/10 = 75 → (0+75)/2.
        assert_eq!(LeastAllocated.score(&requesting("4", "512Mi"), &n, &s), 37);
    }

    #[test]
    fn best_effort_pods_count_defaults() {
        let n = node(
            "a",
            json!({}),
            json!([]),
            json!({"cpu": "1", "memory": "1000Mi"}),
            vec![],
        );
        let s = Snapshot::default();
        let be = pod("p", json!({}), json!({"containers": [{}]}));
        // cpu (1000-100)/1000 = 90; memory (1000-200)/1000 = 80.
        assert_eq!(LeastAllocated.score(&be, &n, &s), 85);
        let empty = node("b", json!({}), json!([]), json!({}), vec![]);
        assert_eq!(LeastAllocated.score(&be, &empty, &s), 0);
    }
}
