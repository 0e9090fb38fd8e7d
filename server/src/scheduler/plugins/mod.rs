//! kube-scheduler's default in-tree plugins, and the selector, toleration and normalising helpers they share.

use serde_json::{Map, Value};

use crate::scheduler::framework::{FilterPlugin, NodeInfo, ScorePlugin, Snapshot};

pub mod balanced_allocation;
pub mod inter_pod_affinity;
pub mod least_allocated;
pub mod node_affinity;
pub mod node_name;
pub mod node_ports;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod taint_toleration;
pub mod topology_spread;

/// kube-scheduler's top score for one plugin on one node.
pub const MAX_NODE_SCORE: i64 = 100;

/// The filters of kube-scheduler's default profile, in its order (volume plugins aside).
pub fn default_filters() -> Vec<Box<dyn FilterPlugin>> {
    vec![
        Box::new(node_unschedulable::NodeUnschedulable),
        Box::new(node_name::NodeName),
        Box::new(taint_toleration::TaintToleration),
        Box::new(node_affinity::NodeAffinity),
        Box::new(node_ports::NodePorts),
        Box::new(node_resources_fit::NodeResourcesFit),
        Box::new(topology_spread::PodTopologySpread),
        Box::new(inter_pod_affinity::InterPodAffinity),
    ]
}

/// The scorers of kube-scheduler's default profile, in its order and with its weights (ImageLocality aside).
pub fn default_scores() -> Vec<Box<dyn ScorePlugin>> {
    vec![
        Box::new(taint_toleration::TaintTolerationScore),
        Box::new(node_affinity::NodeAffinityScore),
        Box::new(least_allocated::LeastAllocated),
        Box::new(topology_spread::PodTopologySpreadScore),
        Box::new(inter_pod_affinity::InterPodAffinityScore),
        Box::new(balanced_allocation::BalancedAllocation),
    ]
}

/// The value at a JSON pointer made of plain keys and indexes (no `~` escapes), like `Value::pointer`
/// but without allocating for each step: the filters and scorers call this for every node they look at.
pub(crate) fn at<'a>(v: &'a Value, pointer: &str) -> Option<&'a Value> {
    let path = pointer.strip_prefix('/')?;
    path.split('/').try_fold(v, |v, step| match v {
        Value::Object(m) => m.get(step),
        Value::Array(a) => a.get(step.parse::<usize>().ok()?),
        _ => None,
    })
}

/// The array at `pointer`, or an empty slice when absent or not an array.
pub(crate) fn array<'a>(v: &'a Value, pointer: &str) -> &'a [Value] {
    at(v, pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The string at `pointer`, or "" when absent.
pub(crate) fn string<'a>(v: &'a Value, pointer: &str) -> &'a str {
    at(v, pointer).and_then(Value::as_str).unwrap_or_default()
}

/// An object's `metadata.labels`.
pub(crate) fn labels(obj: &Value) -> Option<&Map<String, Value>> {
    at(obj, "/metadata/labels").and_then(Value::as_object)
}

/// One label's value.
pub(crate) fn label<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    labels(obj)?.get(key)?.as_str()
}

/// A pod's namespace, "default" when unset as the API server would have defaulted it.
pub(crate) fn namespace(obj: &Value) -> &str {
    match string(obj, "/metadata/namespace") {
        "" => "default",
        ns => ns,
    }
}

/// The strings of a JSON array (non-strings skipped).
pub(crate) fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether a metav1 LabelSelector matches `labels`. A null selector matches nothing and `{}` matches
/// everything, as `LabelSelectorAsSelector` makes them; an unknown operator matches nothing (the API
/// server rejects such selectors, and kube-scheduler treats the parse error as no match).
pub(crate) fn label_selector_matches(
    selector: Option<&Value>,
    labels: Option<&Map<String, Value>>,
) -> bool {
    let Some(selector) = selector.filter(|s| !s.is_null()) else {
        return false;
    };
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    if let Some(ml) = selector.get("matchLabels").and_then(Value::as_object) {
        if !ml
            .iter()
            .all(|(k, v)| v.as_str().is_some() && get(k) == v.as_str())
        {
            return false;
        }
    }
    array(selector, "/matchExpressions").iter().all(|e| {
        let key = string(e, "/key");
        let values = strings(e.get("values"));
        match (string(e, "/operator"), get(key)) {
            ("In", Some(v)) => values.contains(&v),
            ("In", None) => false,
            ("NotIn", Some(v)) => !values.contains(&v),
            ("NotIn", None) => true,
            ("Exists", v) => v.is_some(),
            ("DoesNotExist", v) => v.is_none(),
            _ => false,
        }
    })
}

/// Whether one toleration tolerates one taint (`Toleration.ToleratesTaint`): an empty effect matches
/// every effect, an empty key with Exists matches every key, and "" operator means Equal.
pub(crate) fn toleration_tolerates(toleration: &Value, taint: &Value) -> bool {
    let t_effect = string(toleration, "/effect");
    if !t_effect.is_empty() && t_effect != string(taint, "/effect") {
        return false;
    }
    let t_key = string(toleration, "/key");
    if !t_key.is_empty() && t_key != string(taint, "/key") {
        return false;
    }
    match string(toleration, "/operator") {
        "Exists" => true,
        // An empty key is only valid with Exists; with Equal it tolerates nothing.
        "" | "Equal" => {
            !t_key.is_empty() && string(toleration, "/value") == string(taint, "/value")
        }
        _ => false,
    }
}

/// Whether any of the pod's tolerations tolerates `taint`.
pub(crate) fn pod_tolerates(pod: &Value, taint: &Value) -> bool {
    array(pod, "/spec/tolerations")
        .iter()
        .any(|t| toleration_tolerates(t, taint))
}

/// `pluginhelper.DefaultNormalizeScore`: scale so the best raw score is 100 (or, reversed, so the
/// highest raw score gets 0); when every raw score is 0, all get 0 (100 when reversed).
pub(crate) fn default_normalize(raw: i64, max: i64, reverse: bool) -> i64 {
    if max <= 0 {
        return if reverse { MAX_NODE_SCORE } else { 0 };
    }
    let s = raw.saturating_mul(MAX_NODE_SCORE) / max;
    if reverse {
        MAX_NODE_SCORE - s
    } else {
        s
    }
}

/// The nodes a filter counts across (pods per topology domain): the snapshot, plus `node` if the
/// snapshot lacks it.
pub(crate) fn peer_nodes<'a>(node: &'a NodeInfo, snapshot: &'a Snapshot) -> Vec<&'a NodeInfo> {
    let mut nodes: Vec<&NodeInfo> = snapshot.nodes.iter().collect();
    if !nodes.iter().any(|n| n.name() == node.name()) {
        nodes.push(node);
    }
    nodes
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Builders for tests.
    use std::sync::Arc;

    use kyb_api::quantity::Resources;
    use serde_json::{json, Value};

    use crate::scheduler::framework::{NodeInfo, ScorePlugin, Snapshot};

    /// A node with labels, taints and allocatable, holding `pods`.
    pub fn node(
        name: &str,
        labels: Value,
        taints: Value,
        allocatable: Value,
        pods: Vec<Value>,
    ) -> NodeInfo {
        let mut l = labels;
        if let Some(m) = l.as_object_mut() {
            m.entry("kubernetes.io/hostname")
                .or_insert_with(|| json!(name));
        }
        let node = json!({"metadata": {"name": name, "labels": l}, "spec": {"taints": taints},
            "status": {"allocatable": allocatable}});
        let (mut requested, mut non_zero_requested) = (Resources::default(), Resources::default());
        for p in &pods {
            requested.add(&Resources::of_pod(p));
            non_zero_requested.add(&Resources::of_pod_non_zero(p));
        }
        let mut info = NodeInfo::new(node);
        info.pods = pods.into_iter().map(Arc::new).collect();
        info.requested = requested;
        info.non_zero_requested = non_zero_requested;
        info
    }

    /// `node`'s score from `plugin` when every node of the snapshot (plus `node`) passed filtering.
    pub fn score_of(
        plugin: &dyn ScorePlugin,
        pod: &Value,
        node: &NodeInfo,
        snapshot: &Snapshot,
    ) -> i64 {
        let mut nodes: Vec<&NodeInfo> = snapshot.nodes.iter().collect();
        if !nodes.iter().any(|n| n.name() == node.name()) {
            nodes.push(node);
        }
        let at = nodes.iter().position(|n| n.name() == node.name());
        plugin.score_all(pod, &nodes, snapshot)[at.unwrap_or_default()]
    }

    /// A plain node with generous allocatable.
    pub fn simple(name: &str, labels: Value) -> NodeInfo {
        node(
            name,
            labels,
            json!([]),
            json!({"cpu": "4", "memory": "8Gi", "pods": "110"}),
            vec![],
        )
    }

    /// A pod in `default` with labels and a spec.
    pub fn pod(name: &str, labels: Value, spec: Value) -> Value {
        json!({"metadata": {"name": name, "namespace": "default", "labels": labels}, "spec": spec})
    }

    /// A pod `p` with one container requesting `cpu` and `memory`.
    pub fn requesting(cpu: &str, memory: &str) -> Value {
        pod(
            "p",
            json!({}),
            json!({"containers": [{"resources": {"requests": {"cpu": cpu, "memory": memory}}}]}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selectors() {
        let l = json!({"app": "web", "tier": "front"});
        let l = l.as_object();
        assert!(!label_selector_matches(None, l));
        assert!(label_selector_matches(Some(&json!({})), l));
        assert!(label_selector_matches(
            Some(&json!({"matchLabels": {"app": "web"}})),
            l
        ));
        assert!(!label_selector_matches(
            Some(&json!({"matchLabels": {"app": "db"}})),
            l
        ));
        let e = |op: &str, key: &str, vals: Value| json!({"matchExpressions": [{"key": key, "operator": op, "values": vals}]});
        assert!(label_selector_matches(
            Some(&e("In", "app", json!(["web", "x"]))),
            l
        ));
        assert!(label_selector_matches(
            Some(&e("NotIn", "zone", json!(["a"]))),
            l
        ));
        assert!(!label_selector_matches(
            Some(&e("Exists", "zone", json!([]))),
            l
        ));
        assert!(label_selector_matches(
            Some(&e("DoesNotExist", "zone", json!([]))),
            l
        ));
        assert!(!label_selector_matches(
            Some(&e("Bogus", "app", json!([]))),
            l
        ));
    }

    #[test]
    fn tolerations() {
        let taint = json!({"key": "k", "value": "v", "effect": "NoSchedule"});
        assert!(toleration_tolerates(
            &json!({"key": "k", "value": "v"}),
            &taint
        ));
        assert!(toleration_tolerates(
            &json!({"key": "k", "operator": "Exists", "effect": "NoSchedule"}),
            &taint
        ));
        assert!(toleration_tolerates(&json!({"operator": "Exists"}), &taint));
        assert!(!toleration_tolerates(
            &json!({"key": "k", "value": "w"}),
            &taint
        ));
        assert!(!toleration_tolerates(
            &json!({"key": "k", "operator": "Exists", "effect": "NoExecute"}),
            &taint
        ));
        assert!(!toleration_tolerates(&json!({"value": "v"}), &taint));
    }

    #[test]
    fn normalising() {
        assert_eq!(default_normalize(5, 10, false), 50);
        assert_eq!(default_normalize(5, 10, true), 50);
        assert_eq!(default_normalize(0, 0, false), 0);
        assert_eq!(default_normalize(0, 0, true), 100);
    }

    #[test]
    fn default_lists() {
        let f: Vec<_> = default_filters().iter().map(|p| p.name()).collect();
        assert_eq!(f[0], "NodeUnschedulable");
        assert_eq!(f.len(), 8);
        let s: i64 = default_scores().iter().map(|p| p.weight()).sum();
        assert_eq!(s, 3 + 2 + 1 + 2 + 2 + 1);
    }

    #[test]
    fn prepared_filters_agree_with_node_by_node_filtering() {
        use crate::scheduler::framework::{Snapshot, Status};
        let web = |name: &str| testutil::pod(name, json!({"app": "web"}), json!({}));
        let fencing = testutil::pod(
            "f",
            json!({"app": "db"}),
            json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"}]}}}),
        );
        let zone = |name: &str, zone: &str, pods: Vec<Value>| {
            testutil::node(name, json!({"zone": zone}), json!([]), json!({}), pods)
        };
        let s = Snapshot::new(vec![
            zone("a", "z1", vec![web("w1"), web("w2")]),
            zone("b", "z2", vec![web("w3")]),
            zone("c", "z3", vec![fencing]),
            zone("d", "z4", vec![]),
            testutil::simple("e", json!({})),
        ]);
        let pods = [
            testutil::pod(
                "p",
                json!({"app": "web"}),
                json!({"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone",
                "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "web"}}}]}),
            ),
            testutil::pod(
                "p",
                json!({"app": "api"}),
                json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"}]}}}),
            ),
            testutil::pod(
                "p",
                json!({"app": "api"}),
                json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"}]}}}),
            ),
            web("p"),
        ];
        let mut verdicts = Vec::new();
        for pod in &pods {
            for f in default_filters() {
                let check = f.prepare(pod, &s);
                for node in &s.nodes {
                    let prepared = check.as_ref().map_or(Status::Success, |c| c(node));
                    assert_eq!(
                        prepared,
                        f.filter(pod, node, &s),
                        "{} on {}",
                        f.name(),
                        node.name()
                    );
                    verdicts.push(prepared == Status::Success);
                }
            }
        }
        // The cases bite: some nodes pass and some do not.
        assert!(verdicts.contains(&true) && verdicts.contains(&false));
    }

    #[test]
    fn filters_skip_pods_they_have_nothing_to_check_for() {
        use crate::scheduler::framework::Snapshot;
        let filters = default_filters();
        let applying = |pod: &Value, snapshot: &Snapshot| -> Vec<&'static str> {
            filters
                .iter()
                .filter(|f| f.prepare(pod, snapshot).is_some())
                .map(|f| f.name())
                .collect()
        };
        let empty = Snapshot::default();
        let always = ["NodeUnschedulable", "TaintToleration", "NodeResourcesFit"];
        let plain = testutil::pod("p", json!({}), json!({"containers": [{}]}));
        assert_eq!(applying(&plain, &empty), always);
        let constrained = testutil::pod(
            "p",
            json!({"app": "web"}),
            json!({"nodeName": "n1", "nodeSelector": {"disk": "ssd"},
                "containers": [{"ports": [{"containerPort": 80, "hostPort": 8080}]}],
                "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {"matchLabels": {"app": "web"}}}],
                "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {}, "topologyKey": "kubernetes.io/hostname"}]}}}),
        );
        assert_eq!(applying(&constrained, &empty).len(), 8);
        let affinity_only = testutil::pod(
            "p",
            json!({}),
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "disk", "operator": "Exists"}]}]}}}}),
        );
        assert!(applying(&affinity_only, &empty).contains(&"NodeAffinity"));
        // An existing pod's required anti-affinity may fence off any incoming pod.
        let fenced = Snapshot::new(vec![testutil::node(
            "a",
            json!({}),
            json!([]),
            json!({}),
            vec![constrained.clone()],
        )]);
        assert!(applying(&plain, &fenced).contains(&"InterPodAffinity"));
    }
}
