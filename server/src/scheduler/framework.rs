//! The scheduling framework, in kube-scheduler's shape: Filter plugins rule nodes out with a reason, Score
//! plugins rank the nodes left (0 to 100 each, times the plugin's weight).

use std::sync::Arc;

use kyb_api::quantity::Resources;
use serde_json::Value;

/// A node as the scheduler sees it: the object, the pods assigned to it, and what they request.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub node: Arc<Value>,
    /// Pods bound to this node that are not finished (phase neither Succeeded nor Failed).
    pub pods: Vec<Arc<Value>>,
    /// The sum of the effective requests of `pods` (as `Resources::of_pod` computes them), with `pods` counting pods.
    pub requested: Resources,
    /// `status.allocatable`, with `pods` the number of pods allowed.
    pub allocatable: Resources,
}

impl NodeInfo {
    pub fn name(&self) -> &str {
        self.node
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// Every node, for plugins that look across nodes (inter-pod affinity, topology spread).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub nodes: Vec<NodeInfo>,
}

/// A filter's verdict for one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Success,
    /// The node does not fit now; the reason is counted in FailedScheduling (`Insufficient cpu`,
    /// `node(s) had untolerated taint {k: v}`), and cluster changes may make it fit later.
    Unschedulable(String),
    /// The node cannot fit this pod whatever changes on other pods (e.g. its selector does not match).
    UnschedulableAndUnresolvable(String),
}

/// Rules nodes out.
pub trait FilterPlugin: Send + Sync {
    fn name(&self) -> &'static str;
    fn filter(&self, pod: &Value, node: &NodeInfo, snapshot: &Snapshot) -> Status;
}

/// Ranks the nodes that passed every filter.
pub trait ScorePlugin: Send + Sync {
    fn name(&self) -> &'static str;
    /// 0 (worst) to 100 (best).
    fn score(&self, pod: &Value, node: &NodeInfo, snapshot: &Snapshot) -> i64;
    fn weight(&self) -> i64 {
        1
    }
}
