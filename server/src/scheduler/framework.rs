//! The scheduling framework, in kube-scheduler's shape: Filter plugins rule nodes out with a reason, Score
//! plugins rank the nodes left (0 to 100 each, times the plugin's weight).

use std::sync::Arc;

use kyb_api::quantity::Resources;
use serde_json::{Map, Value};

/// A node as the scheduler sees it: the object, the pods assigned to it, and what they request.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub node: Arc<Value>,
    /// `metadata.name`, read once.
    name: String,
    /// Pods bound to this node that are not finished (phase neither Succeeded nor Failed).
    pub pods: Vec<Arc<Value>>,
    /// The sum of the effective requests of `pods` (as `Resources::of_pod` computes them), with `pods` counting pods.
    pub requested: Resources,
    /// The same sum with kube-scheduler's non-zero defaults (100m cpu, 200Mi memory for unset requests).
    pub non_zero_requested: Resources,
    /// `status.allocatable`, with `pods` the number of pods allowed.
    pub allocatable: Resources,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// `spec.taints`, copied out of the object so that filters reach them without walking it.
    pub taints: Vec<Value>,
    /// `metadata.labels`, copied out likewise: topology plugins read them on every node for every pod.
    pub labels: Map<String, Value>,
}

impl NodeInfo {
    /// A node with no pods counted on it yet.
    pub fn new(node: Value) -> NodeInfo {
        let spec = node.get("spec");
        NodeInfo {
            name: node
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            allocatable: Resources::from_list(node.pointer("/status/allocatable")),
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            unschedulable: spec
                .and_then(|s| s.get("unschedulable"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            taints: spec
                .and_then(|s| s.get("taints"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            labels: node
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            pods: Vec::new(),
            node: Arc::new(node),
        }
    }

    /// One label's value.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key)?.as_str()
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Every node, for plugins that look across nodes (inter-pod affinity, topology spread).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub nodes: Vec<NodeInfo>,
    /// Whether any placed pod has a required anti-affinity term: only then must every placement look at
    /// every pod for terms that could fence the incoming pod off.
    pub any_required_anti_affinity: bool,
    /// Whether any placed pod has inter-pod affinity or anti-affinity terms at all.
    pub any_pod_affinity: bool,
    /// The incoming pod's requests (plain and non-zero), when the snapshot is for one pod's decision.
    incoming: Option<(Resources, Resources)>,
}

/// Whether the pod has inter-pod affinity or anti-affinity terms at all, and whether it has required
/// anti-affinity terms.
pub fn pod_affinity_terms(pod: &Value) -> (bool, bool) {
    let affinity = pod.pointer("/spec/affinity");
    let any = affinity
        .is_some_and(|a| a.get("podAffinity").is_some() || a.get("podAntiAffinity").is_some());
    let required_anti = affinity
        .and_then(|a| a.pointer("/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution"))
        .is_some();
    (any, required_anti)
}

impl Snapshot {
    /// Fixes the pod the next decision is for, so that its requests are worked out once, not per node.
    pub fn set_incoming(&mut self, pod: &Value) {
        self.incoming = Some((Resources::of_pod(pod), Resources::of_pod_non_zero(pod)));
    }

    /// The incoming pod's requests and its non-zero requests.
    pub fn requests_of(&self, pod: &Value) -> (Resources, Resources) {
        self.incoming
            .unwrap_or_else(|| (Resources::of_pod(pod), Resources::of_pod_non_zero(pod)))
    }

    /// A snapshot of `nodes`, for tests: the flags are worked out from the pods.
    #[cfg(test)]
    pub fn new(nodes: Vec<NodeInfo>) -> Snapshot {
        let pods = || nodes.iter().flat_map(|n| &n.pods);
        let any_pod_affinity = pods().any(|p| pod_affinity_terms(p).0);
        let any_required_anti_affinity = pods().any(|p| pod_affinity_terms(p).1);
        Snapshot {
            nodes,
            any_required_anti_affinity,
            any_pod_affinity,
            incoming: None,
        }
    }
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

/// A filter readied for one pod's decision: it checks one node.
pub type NodeCheck<'a> = Box<dyn Fn(&NodeInfo) -> Status + 'a>;

/// Rules nodes out.
pub trait FilterPlugin: Send + Sync {
    fn name(&self) -> &'static str;
    /// kube-scheduler's PreFilter: readies the filter for one pod, working out once what every node's
    /// check needs (pods per topology domain, say). None is PreFilter's Skip: the plugin has nothing to
    /// check for this pod. By default each node is checked with `filter`.
    fn prepare<'a>(&'a self, pod: &'a Value, snapshot: &'a Snapshot) -> Option<NodeCheck<'a>> {
        Some(Box::new(move |node| self.filter(pod, node, snapshot)))
    }
    /// Checks one node on its own, doing any cluster-wide counting itself.
    fn filter(&self, pod: &Value, node: &NodeInfo, snapshot: &Snapshot) -> Status;
}

/// Ranks the nodes that passed every filter.
pub trait ScorePlugin: Send + Sync {
    fn name(&self) -> &'static str;
    /// The scores of `nodes` (the nodes that passed every filter), in order, each 0 (worst) to 100 (best).
    /// Plugins that normalise (kube-scheduler's NormalizeScore) scale over `nodes` only, as kube-scheduler
    /// does; counts that look across the cluster (pods per topology domain) still read the whole snapshot.
    fn score_all(&self, pod: &Value, nodes: &[&NodeInfo], snapshot: &Snapshot) -> Vec<i64>;
    fn weight(&self) -> i64 {
        1
    }
}
