//! PodTopologySpread: a filter enforcing `whenUnsatisfiable: DoNotSchedule` spread constraints (maxSkew
//! over the domains of nodes carrying the topology key), and a scorer favouring the emptier domains for
//! `ScheduleAnyway` constraints.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};

use super::node_affinity::required_matches;
use super::taint_toleration::first_untolerated_taint;
use super::{
    array, label, label_selector_matches, labels, namespace, peer_nodes, string, strings,
    MAX_NODE_SCORE,
};
use crate::scheduler::framework::{
    FilterPlugin, NodeCheck, NodeInfo, ScorePlugin, Snapshot, Status,
};

/// kube-scheduler's reason when placing the pod would exceed maxSkew.
pub const ERR_CONSTRAINTS: &str = "node(s) didn't match pod topology spread constraints";
/// kube-scheduler's reason when the node lacks a constraint's topology key.
pub const ERR_MISSING_LABEL: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// The label kube-scheduler counts per node rather than per domain when scoring.
const HOSTNAME: &str = "kubernetes.io/hostname";

/// One spread constraint of the incoming pod.
struct Constraint<'a> {
    max_skew: i64,
    key: &'a str,
    /// labelSelector with matchLabelKeys merged in as `key In (pod's value)`.
    selector: Value,
    min_domains: i64,
    /// nodeAffinityPolicy Honor (the default): only nodes the pod's node affinity accepts count.
    honor_affinity: bool,
    /// nodeTaintsPolicy Honor (default Ignore): only nodes whose taints the pod tolerates count.
    honor_taints: bool,
}

impl Constraint<'_> {
    /// Whether `node`'s pods and domain take part in this constraint's counting.
    fn includes(&self, pod: &Value, node: &NodeInfo) -> bool {
        (!self.honor_affinity || required_matches(pod, &node.node))
            && (!self.honor_taints || first_untolerated_taint(pod, node).is_none())
    }

    /// Pods on `node` in the incoming pod's namespace, not being deleted, that the selector matches.
    fn count(&self, ns: &str, node: &NodeInfo) -> i64 {
        let n = node
            .pods
            .iter()
            .filter(|p| namespace(p) == ns)
            .filter(|p| super::at(p, "/metadata/deletionTimestamp").is_none_or(Value::is_null))
            .filter(|p| label_selector_matches(Some(&self.selector), labels(p)))
            .count();
        i64::try_from(n).unwrap_or(i64::MAX)
    }
}

/// The pod's constraints with the given whenUnsatisfiable.
fn constraints<'a>(pod: &'a Value, when: &str) -> Vec<Constraint<'a>> {
    array(pod, "/spec/topologySpreadConstraints")
        .iter()
        .filter(|c| string(c, "/whenUnsatisfiable") == when)
        .map(|c| {
            let mut selector = c.get("labelSelector").cloned().unwrap_or(Value::Null);
            // matchLabelKeys narrows the selector to pods sharing the incoming pod's values (e.g. its
            // pod-template-hash); a null selector stays null, matching nothing.
            if let Some(sel) = selector.as_object_mut() {
                let extra: Vec<Value> = strings(c.get("matchLabelKeys"))
                    .into_iter()
                    .filter_map(|k| {
                        Some(json!({"key": k, "operator": "In", "values": [label(pod, k)?]}))
                    })
                    .collect();
                if !extra.is_empty() {
                    let exprs = sel.entry("matchExpressions").or_insert_with(|| json!([]));
                    if let Some(a) = exprs.as_array_mut() {
                        a.extend(extra);
                    }
                }
            }
            let int =
                |name: &str, default: i64| c.get(name).and_then(Value::as_i64).unwrap_or(default);
            Constraint {
                max_skew: int("maxSkew", 1),
                key: string(c, "/topologyKey"),
                selector,
                min_domains: int("minDomains", 1),
                honor_affinity: string(c, "/nodeAffinityPolicy") != "Ignore",
                honor_taints: string(c, "/nodeTaintsPolicy") == "Honor",
            }
        })
        .collect()
}

/// Whether the node carries every constraint's topology key.
fn has_all_keys(node: &NodeInfo, cs: &[Constraint<'_>]) -> bool {
    cs.iter().all(|c| node.label(c.key).is_some())
}

/// One DoNotSchedule constraint, counted once over the cluster for the incoming pod.
struct Counted<'a> {
    constraint: Constraint<'a>,
    /// Matching pods per domain, over nodes that carry every key and pass the inclusion policies; a
    /// domain with no matching pods still counts, with 0.
    domains: HashMap<&'a str, i64>,
    /// The smallest domain count (0 when there are fewer domains than minDomains).
    min: i64,
    /// 1 if the incoming pod matches its own selector (placing it adds one to the domain).
    self_match: i64,
}

/// Counts the pod's DoNotSchedule constraints over `peers`; None when it has none.
fn spread_state<'a>(pod: &'a Value, peers: &[&'a NodeInfo]) -> Option<Vec<Counted<'a>>> {
    let cs = constraints(pod, "DoNotSchedule");
    if cs.is_empty() {
        return None;
    }
    let ns = namespace(pod);
    let eligible: Vec<&NodeInfo> = peers
        .iter()
        .copied()
        .filter(|n| has_all_keys(n, &cs))
        .collect();
    let mut counted = Vec::with_capacity(cs.len());
    for c in cs {
        let mut domains: HashMap<&str, i64> = HashMap::new();
        for n in eligible.iter().filter(|n| c.includes(pod, n)) {
            if let Some(v) = n.label(c.key) {
                *domains.entry(v).or_insert(0) += c.count(ns, n);
            }
        }
        let min = if i64::try_from(domains.len()).unwrap_or(i64::MAX) < c.min_domains {
            0
        } else {
            domains.values().copied().min().unwrap_or(0)
        };
        let self_match = i64::from(label_selector_matches(Some(&c.selector), labels(pod)));
        counted.push(Counted {
            constraint: c,
            domains,
            min,
            self_match,
        });
    }
    Some(counted)
}

/// Whether placing the pod on `node` keeps every constraint within its maxSkew.
fn within_skew(counted: &[Counted<'_>], node: &NodeInfo) -> Status {
    for c in counted {
        let Some(value) = node.label(c.constraint.key) else {
            return Status::UnschedulableAndUnresolvable(ERR_MISSING_LABEL.to_string());
        };
        let skew = c
            .domains
            .get(value)
            .copied()
            .unwrap_or(0)
            .saturating_add(c.self_match)
            .saturating_sub(c.min);
        if skew > c.constraint.max_skew {
            return Status::Unschedulable(ERR_CONSTRAINTS.to_string());
        }
    }
    Status::Success
}

/// The PodTopologySpread filter.
pub struct PodTopologySpread;

impl FilterPlugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }

    fn prepare<'a>(&'a self, pod: &'a Value, snapshot: &'a Snapshot) -> Option<NodeCheck<'a>> {
        let peers: Vec<&NodeInfo> = snapshot.nodes.iter().collect();
        let counted = spread_state(pod, &peers)?;
        Some(Box::new(move |node| within_skew(&counted, node)))
    }

    fn filter(&self, pod: &Value, node: &NodeInfo, snapshot: &Snapshot) -> Status {
        match spread_state(pod, &peer_nodes(node, snapshot)) {
            Some(counted) => within_skew(&counted, node),
            None => Status::Success,
        }
    }
}

/// The PodTopologySpread scorer (weight 2 in the default profile).
///
/// Only the pod's own ScheduleAnyway constraints count: kube-scheduler's system-default constraints
/// (derived from the Services and controllers selecting the pod) are not applied.
pub struct PodTopologySpreadScore;

/// Raw scores (lower is better) for every peer node; None for nodes lacking a topology key.
fn raw_scores(pod: &Value, cs: &[Constraint<'_>], peers: &[&NodeInfo]) -> Vec<Option<i64>> {
    let ns = namespace(pod);
    let eligible: Vec<&NodeInfo> = peers
        .iter()
        .copied()
        .filter(|n| has_all_keys(n, cs))
        .collect();
    // Per constraint: matching pods per domain, and the log-scaled weight that keeps constraints with
    // many small domains from outweighing those with few large ones.
    let mut counts: Vec<HashMap<&str, i64>> = Vec::with_capacity(cs.len());
    let mut weights = Vec::with_capacity(cs.len());
    for c in cs {
        let mut domains: HashMap<&str, i64> = HashMap::new();
        if c.key != HOSTNAME {
            for n in &eligible {
                if let Some(v) = n.label(c.key) {
                    domains.entry(v).or_insert(0);
                }
            }
            for n in eligible.iter().filter(|n| c.includes(pod, n)) {
                if let Some(v) = n.label(c.key) {
                    *domains.entry(v).or_insert(0) += c.count(ns, n);
                }
            }
        }
        let size = if c.key == HOSTNAME {
            eligible.len()
        } else {
            domains.len()
        };
        weights.push((size as f64 + 2.0).ln());
        counts.push(domains);
    }
    peers
        .iter()
        .map(|n| {
            if !has_all_keys(n, cs) {
                return None;
            }
            let mut score = 0.0;
            for (i, c) in cs.iter().enumerate() {
                let cnt = if c.key == HOSTNAME {
                    c.count(ns, n)
                } else {
                    n.label(c.key)
                        .and_then(|v| counts[i].get(v))
                        .copied()
                        .unwrap_or(0)
                };
                score += cnt as f64 * weights[i] + c.max_skew.saturating_sub(1) as f64;
            }
            Some(score.round() as i64)
        })
        .collect()
}

impl ScorePlugin for PodTopologySpreadScore {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }

    fn score_all(&self, pod: &Value, nodes: &[&NodeInfo], snapshot: &Snapshot) -> Vec<i64> {
        let cs = constraints(pod, "ScheduleAnyway");
        if cs.is_empty() {
            return vec![0; nodes.len()];
        }
        let known: HashSet<&str> = snapshot.nodes.iter().map(NodeInfo::name).collect();
        let mut peers: Vec<&NodeInfo> = snapshot.nodes.iter().collect();
        peers.extend(nodes.iter().copied().filter(|n| !known.contains(n.name())));
        let raw = raw_scores(pod, &cs, &peers);
        let index: HashMap<&str, usize> = peers
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name(), i))
            .collect();
        // Counted across the cluster, normalised over the nodes being scored.
        let own: Vec<Option<i64>> = nodes
            .iter()
            .map(|n| index.get(n.name()).and_then(|&i| raw[i]))
            .collect();
        let min = own.iter().flatten().copied().min().unwrap_or(0);
        let max = own.iter().flatten().copied().max().unwrap_or(0).max(0);
        own.into_iter()
            .map(|own| match own {
                None => 0,
                Some(_) if max == 0 => MAX_NODE_SCORE,
                // Reversed: the node with the fewest matching pods gets 100.
                Some(own) => {
                    MAX_NODE_SCORE.saturating_mul(max.saturating_add(min).saturating_sub(own)) / max
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
    use crate::scheduler::plugins::testutil::{node, pod, score_of, simple};

    fn web() -> Value {
        pod("w", json!({"app": "web"}), json!({}))
    }

    fn zone_node(name: &str, zone: &str, n: usize) -> NodeInfo {
        node(
            name,
            json!({"zone": zone}),
            json!([]),
            json!({}),
            (0..n).map(|_| web()).collect(),
        )
    }

    fn spreading(when: &str, extra: Value) -> Value {
        let mut c = json!({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": {"app": "web"}}});
        if let (Some(c), Some(e)) = (c.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        pod(
            "p",
            json!({"app": "web"}),
            json!({"topologySpreadConstraints": [c]}),
        )
    }

    #[test]
    fn filter_enforces_max_skew() {
        let a = zone_node("a", "z1", 2);
        let b = zone_node("b", "z2", 1);
        let bare = simple("c", json!({}));
        let s = Snapshot::new(vec![a.clone(), b.clone(), bare.clone()]);
        let p = spreading("DoNotSchedule", json!({}));
        assert_eq!(
            PodTopologySpread.filter(&p, &a, &s),
            Status::Unschedulable(ERR_CONSTRAINTS.into())
        );
        assert_eq!(PodTopologySpread.filter(&p, &b, &s), Status::Success);
        assert_eq!(
            PodTopologySpread.filter(&p, &bare, &s),
            Status::UnschedulableAndUnresolvable(ERR_MISSING_LABEL.into())
        );
        // ScheduleAnyway constraints never filter.
        assert_eq!(
            PodTopologySpread.filter(&spreading("ScheduleAnyway", json!({})), &a, &s),
            Status::Success
        );
        // minDomains above the domain count makes the global minimum 0.
        let p = spreading("DoNotSchedule", json!({"minDomains": 3}));
        assert_eq!(
            PodTopologySpread.filter(&p, &b, &s),
            Status::Unschedulable(ERR_CONSTRAINTS.into())
        );
    }

    #[test]
    fn node_affinity_limits_domains() {
        let a = zone_node("a", "z1", 1);
        let b = zone_node("b", "z2", 0);
        let s = Snapshot::new(vec![a.clone(), b.clone()]);
        let mut p = spreading("DoNotSchedule", json!({}));
        assert_eq!(
            PodTopologySpread.filter(&p, &a, &s),
            Status::Unschedulable(ERR_CONSTRAINTS.into())
        );
        // With z2 excluded by nodeSelector, z1 is the only domain and its own minimum.
        if let Some(spec) = p.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("nodeSelector".into(), json!({"zone": "z1"}));
        }
        assert_eq!(PodTopologySpread.filter(&p, &a, &s), Status::Success);
    }

    #[test]
    fn match_label_keys_narrow_selector() {
        let old = pod("o", json!({"app": "web", "hash": "old"}), json!({}));
        let a = node(
            "a",
            json!({"zone": "z1"}),
            json!([]),
            json!({}),
            vec![old.clone(), old],
        );
        let b = zone_node("b", "z2", 0);
        let s = Snapshot::new(vec![a.clone(), b.clone()]);
        let mut p = spreading("DoNotSchedule", json!({"matchLabelKeys": ["hash"]}));
        if let Some(l) = p
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
        {
            l.insert("hash".into(), json!("new"));
        }
        assert_eq!(PodTopologySpread.filter(&p, &a, &s), Status::Success);
    }

    #[test]
    fn score_prefers_emptier_domains() {
        let a = zone_node("a", "z1", 3);
        let b = zone_node("b", "z2", 1);
        let c = zone_node("c", "z3", 0);
        let bare = simple("d", json!({}));
        let s = Snapshot::new(vec![a.clone(), b.clone(), c.clone(), bare.clone()]);
        let p = spreading("ScheduleAnyway", json!({}));
        let (sa, sb, sc) = (
            score_of(&PodTopologySpreadScore, &p, &a, &s),
            score_of(&PodTopologySpreadScore, &p, &b, &s),
            score_of(&PodTopologySpreadScore, &p, &c, &s),
        );
        assert!(sc > sb && sb > sa, "{sa} {sb} {sc}");
        assert_eq!(sc, 100);
        assert_eq!(score_of(&PodTopologySpreadScore, &p, &bare, &s), 0);
        assert_eq!(
            score_of(
                &PodTopologySpreadScore,
                &spreading("DoNotSchedule", json!({})),
                &a,
                &s
            ),
            0
        );
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let a = zone_node("a", "z1", 1);
        let s = Snapshot::new(vec![a.clone()]);
        for when in ["DoNotSchedule", "ScheduleAnyway"] {
            let p = spreading(when, json!({"maxSkew": i64::MIN, "minDomains": i64::MAX}));
            let _ = PodTopologySpread.filter(&p, &a, &s);
            let _ = score_of(&PodTopologySpreadScore, &p, &a, &s);
        }
    }
}
