//! InterPodAffinity: a filter for required pod affinity and anti-affinity (the incoming pod's, and
//! existing pods' anti-affinity against it), and a scorer for the preferred terms on both sides.

use std::collections::HashMap;

use serde_json::Value;

use super::{
    array, label_selector_matches, labels, namespace, peer_nodes, string, strings, MAX_NODE_SCORE,
};
use crate::scheduler::framework::{
    FilterPlugin, NodeCheck, NodeInfo, ScorePlugin, Snapshot, Status,
};

/// kube-scheduler's reason when the pod's required affinity finds no matching pods in the node's domain.
pub const ERR_AFFINITY: &str = "node(s) didn't match pod affinity rules";
/// kube-scheduler's reason when the pod's required anti-affinity finds matching pods in the domain.
pub const ERR_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
/// kube-scheduler's reason when a pod in the node's domain has anti-affinity against the incoming pod.
pub const ERR_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";

/// The weight an existing pod's *required* affinity term lends to pods it matches when scoring
/// (kube-scheduler's default hardPodAffinityWeight).
const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// A PodAffinityTerm read relative to the pod that declares it.
struct Term<'a> {
    topology_key: &'a str,
    selector: Option<&'a Value>,
    namespaces: Vec<&'a str>,
    /// An empty namespaceSelector (`{}`) selects every namespace.
    all_namespaces: bool,
    weight: i64,
}

impl<'a> Term<'a> {
    fn new(owner: &'a Value, term: &'a Value, weight: i64) -> Term<'a> {
        let mut namespaces = strings(term.get("namespaces"));
        let ns_selector = term.get("namespaceSelector").filter(|s| !s.is_null());
        // With neither namespaces nor a namespaceSelector, the term means the owner's own namespace.
        if namespaces.is_empty() && ns_selector.is_none() {
            namespaces.push(namespace(owner));
        }
        // A non-empty namespaceSelector needs namespace labels, which the snapshot lacks: it selects
        // no namespace beyond the listed ones.
        let all_namespaces = ns_selector.is_some_and(|s| {
            s.get("matchLabels")
                .and_then(Value::as_object)
                .is_none_or(|m| m.is_empty())
                && array(s, "/matchExpressions").is_empty()
        });
        Term {
            topology_key: string(term, "/topologyKey"),
            selector: term.get("labelSelector"),
            namespaces,
            all_namespaces,
            weight,
        }
    }

    /// Whether `pod` is one of the pods this term selects.
    fn matches(&self, pod: &Value) -> bool {
        (self.all_namespaces || self.namespaces.contains(&namespace(pod)))
            && label_selector_matches(self.selector, labels(pod))
    }
}

/// The required terms of `kind` ("podAffinity" or "podAntiAffinity").
fn required<'a>(pod: &'a Value, kind: &str) -> Vec<Term<'a>> {
    array(
        pod,
        &format!("/spec/affinity/{kind}/requiredDuringSchedulingIgnoredDuringExecution"),
    )
    .iter()
    .map(|t| Term::new(pod, t, 1))
    .collect()
}

/// The preferred terms of `kind`, weighted.
fn preferred<'a>(pod: &'a Value, kind: &str) -> Vec<Term<'a>> {
    array(
        pod,
        &format!("/spec/affinity/{kind}/preferredDuringSchedulingIgnoredDuringExecution"),
    )
    .iter()
    .filter_map(|w| {
        let weight = w.get("weight").and_then(Value::as_i64).unwrap_or(0);
        Some(Term::new(pod, w.get("podAffinityTerm")?, weight))
    })
    .collect()
}

/// Counts or weights per topology domain (label key, label value).
type Domains<'a> = HashMap<(&'a str, &'a str), i64>;

/// Adds `by` to the domain of `node` for `key`, if the node has that label.
fn bump<'a>(domains: &mut Domains<'a>, node: &'a NodeInfo, key: &'a str, by: i64) {
    if let Some(v) = node.label(key) {
        // Saturating: weights come from user objects and must not overflow into a panic.
        let slot = domains.entry((key, v)).or_insert(0);
        *slot = slot.saturating_add(by);
    }
}

/// The node's value for `key` with the count of that domain, or None if the node lacks the label.
fn domain_count(domains: &Domains<'_>, node: &NodeInfo, key: &str) -> Option<i64> {
    let v = node.label(key)?;
    Some(domains.get(&(key, v)).copied().unwrap_or(0))
}

/// What the InterPodAffinity filter needs for one incoming pod, counted once over the cluster.
struct AffinityState<'a> {
    affinity: Vec<Term<'a>>,
    anti: Vec<Term<'a>>,
    /// Domains holding a pod that matches *all* of the incoming pod's affinity terms.
    affinity_counts: Domains<'a>,
    /// Domains holding pods that the incoming pod's anti-affinity terms select.
    anti_counts: Domains<'a>,
    /// Domains fenced off by existing pods whose required anti-affinity selects the incoming pod.
    fenced: Domains<'a>,
}

impl<'a> AffinityState<'a> {
    /// None when neither the pod nor any placed pod has a required term: nothing to check.
    fn new(pod: &'a Value, peers: &[&'a NodeInfo], snapshot: &Snapshot) -> Option<Self> {
        let affinity = required(pod, "podAffinity");
        let anti = required(pod, "podAntiAffinity");
        if affinity.is_empty() && anti.is_empty() && !snapshot.any_required_anti_affinity {
            return None;
        }
        let mut st = AffinityState {
            affinity,
            anti,
            affinity_counts: Domains::new(),
            anti_counts: Domains::new(),
            fenced: Domains::new(),
        };
        for n in peers {
            if !st.affinity.is_empty() {
                let matching = n
                    .pods
                    .iter()
                    .filter(|p| st.affinity.iter().all(|t| t.matches(p)))
                    .count();
                if matching > 0 {
                    for t in &st.affinity {
                        let by = i64::try_from(matching).unwrap_or(i64::MAX);
                        bump(&mut st.affinity_counts, n, t.topology_key, by);
                    }
                }
            }
            for p in &n.pods {
                for t in st.anti.iter().filter(|t| t.matches(p)) {
                    bump(&mut st.anti_counts, n, t.topology_key, 1);
                }
                if snapshot.any_required_anti_affinity {
                    for t in required(p, "podAntiAffinity")
                        .iter()
                        .filter(|t| t.matches(pod))
                    {
                        bump(&mut st.fenced, n, t.topology_key, 1);
                    }
                }
            }
        }
        Some(st)
    }

    fn check(&self, pod: &Value, node: &NodeInfo) -> Status {
        if !self.affinity.is_empty() {
            let mut pods_exist = true;
            for t in &self.affinity {
                match domain_count(&self.affinity_counts, node, t.topology_key) {
                    None => return Status::UnschedulableAndUnresolvable(ERR_AFFINITY.to_string()),
                    Some(c) if c <= 0 => pods_exist = false,
                    Some(_) => {}
                }
            }
            // The first pod of a group that selects itself may go anywhere with the topology labels,
            // or such groups could never start.
            let first_of_group =
                self.affinity_counts.is_empty() && self.affinity.iter().all(|t| t.matches(pod));
            if !pods_exist && !first_of_group {
                return Status::UnschedulableAndUnresolvable(ERR_AFFINITY.to_string());
            }
        }
        if self
            .anti
            .iter()
            .any(|t| domain_count(&self.anti_counts, node, t.topology_key).unwrap_or(0) > 0)
        {
            return Status::Unschedulable(ERR_ANTI_AFFINITY.to_string());
        }
        if !self.fenced.is_empty() {
            let hit = node.labels.iter().any(|(k, v)| {
                v.as_str()
                    .is_some_and(|v| self.fenced.get(&(k.as_str(), v)).is_some_and(|c| *c > 0))
            });
            if hit {
                return Status::Unschedulable(ERR_EXISTING_ANTI_AFFINITY.to_string());
            }
        }
        Status::Success
    }
}

/// The InterPodAffinity filter.
pub struct InterPodAffinity;

impl FilterPlugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        "InterPodAffinity"
    }

    fn prepare<'a>(&'a self, pod: &'a Value, snapshot: &'a Snapshot) -> Option<NodeCheck<'a>> {
        let peers: Vec<&NodeInfo> = snapshot.nodes.iter().collect();
        let st = AffinityState::new(pod, &peers, snapshot)?;
        Some(Box::new(move |node| st.check(pod, node)))
    }

    fn filter(&self, pod: &Value, node: &NodeInfo, snapshot: &Snapshot) -> Status {
        match AffinityState::new(pod, &peer_nodes(node, snapshot), snapshot) {
            Some(st) => st.check(pod, node),
            None => Status::Success,
        }
    }
}

/// The InterPodAffinity scorer (weight 2 in the default profile).
pub struct InterPodAffinityScore;

/// Weights per domain from the incoming pod's preferred terms and existing pods' terms towards it.
fn topology_scores<'a>(pod: &'a Value, peers: &[&'a NodeInfo]) -> Domains<'a> {
    let pref = preferred(pod, "podAffinity");
    let pref_anti = preferred(pod, "podAntiAffinity");
    let mut scores = Domains::new();
    for n in peers {
        for p in &n.pods {
            for t in pref.iter().filter(|t| t.matches(p)) {
                bump(&mut scores, n, t.topology_key, t.weight);
            }
            for t in pref_anti.iter().filter(|t| t.matches(p)) {
                bump(&mut scores, n, t.topology_key, -t.weight);
            }
            // Existing pods' terms, read relative to the existing pod, scored towards the incoming pod.
            let sides = [
                (required(p, "podAffinity"), Some(HARD_POD_AFFINITY_WEIGHT)),
                (preferred(p, "podAffinity"), None),
                (preferred(p, "podAntiAffinity"), None),
            ];
            for (i, (terms, fixed)) in sides.iter().enumerate() {
                let sign = if i == 2 { -1 } else { 1 };
                for t in terms.iter().filter(|t| t.matches(pod)) {
                    bump(
                        &mut scores,
                        n,
                        t.topology_key,
                        fixed.unwrap_or(t.weight).saturating_mul(sign),
                    );
                }
            }
        }
    }
    scores
}

/// The sum of the domain weights over the node's labels.
fn node_total(scores: &Domains<'_>, node: &NodeInfo) -> i64 {
    node.labels
        .iter()
        .filter_map(|(k, v)| scores.get(&(k.as_str(), v.as_str()?)))
        .fold(0i64, |a, b| a.saturating_add(*b))
}

impl ScorePlugin for InterPodAffinityScore {
    fn name(&self) -> &'static str {
        "InterPodAffinity"
    }

    fn score_all(&self, pod: &Value, nodes: &[&NodeInfo], snapshot: &Snapshot) -> Vec<i64> {
        let own_terms = !preferred(pod, "podAffinity").is_empty()
            || !preferred(pod, "podAntiAffinity").is_empty();
        if !own_terms && !snapshot.any_pod_affinity {
            return vec![0; nodes.len()];
        }
        let known: std::collections::HashSet<&str> =
            snapshot.nodes.iter().map(NodeInfo::name).collect();
        let mut peers: Vec<&NodeInfo> = snapshot.nodes.iter().collect();
        peers.extend(nodes.iter().copied().filter(|n| !known.contains(n.name())));
        let scores = topology_scores(pod, &peers);
        if scores.is_empty() {
            return vec![0; nodes.len()];
        }
        // Counted across the cluster, normalised over the nodes being scored.
        let totals: Vec<i64> = nodes.iter().map(|n| node_total(&scores, n)).collect();
        let min = totals.iter().copied().min().unwrap_or(0);
        let max = totals.iter().copied().max().unwrap_or(0);
        if max <= min {
            return vec![0; nodes.len()];
        }
        // Min-max normalisation: the least attractive node 0, the most 100.
        let scale = |own: i64| {
            (MAX_NODE_SCORE as f64 * ((own as f64 - min as f64) / (max as f64 - min as f64))) as i64
        };
        totals.into_iter().map(scale).collect()
    }

    fn weight(&self) -> i64 {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{node, pod, score_of, simple};
    use serde_json::json;

    fn zone_node(name: &str, zone: &str, pods: Vec<Value>) -> NodeInfo {
        node(name, json!({"zone": zone}), json!([]), json!({}), pods)
    }

    fn term(app: &str) -> Value {
        json!({"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": "zone"})
    }

    fn with(kind: &str, terms: Value) -> Value {
        pod(
            "p",
            json!({"app": "web"}),
            json!({"affinity": {kind: {"requiredDuringSchedulingIgnoredDuringExecution": terms}}}),
        )
    }

    #[test]
    fn required_affinity() {
        let db = pod("db", json!({"app": "db"}), json!({}));
        let a = zone_node("a", "z1", vec![db]);
        let b = zone_node("b", "z1", vec![]);
        let c = zone_node("c", "z2", vec![]);
        let bare = simple("d", json!({}));
        let s = Snapshot::new(vec![a.clone(), b.clone(), c.clone(), bare.clone()]);
        let p = with("podAffinity", json!([term("db")]));
        assert_eq!(InterPodAffinity.filter(&p, &a, &s), Status::Success);
        assert_eq!(InterPodAffinity.filter(&p, &b, &s), Status::Success);
        let fail = Status::UnschedulableAndUnresolvable(ERR_AFFINITY.into());
        assert_eq!(InterPodAffinity.filter(&p, &c, &s), fail);
        assert_eq!(InterPodAffinity.filter(&p, &bare, &s), fail);
        // Another namespace holds no match.
        let other = with(
            "podAffinity",
            json!([{"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "zone", "namespaces": ["x"]}]),
        );
        assert_eq!(InterPodAffinity.filter(&other, &a, &s), fail);
        // The first pod of a self-selecting group may start anywhere with the label.
        let selfish = with("podAffinity", json!([term("web")]));
        assert_eq!(InterPodAffinity.filter(&selfish, &c, &s), Status::Success);
        assert_eq!(InterPodAffinity.filter(&selfish, &bare, &s), fail);
    }

    #[test]
    fn required_anti_affinity_both_ways() {
        let db = pod("db", json!({"app": "db"}), json!({}));
        let a = zone_node("a", "z1", vec![db]);
        let b = zone_node("b", "z1", vec![]);
        let c = zone_node("c", "z2", vec![]);
        let s = Snapshot::new(vec![a.clone(), b.clone(), c.clone()]);
        let p = with("podAntiAffinity", json!([term("db")]));
        assert_eq!(
            InterPodAffinity.filter(&p, &b, &s),
            Status::Unschedulable(ERR_ANTI_AFFINITY.into())
        );
        assert_eq!(InterPodAffinity.filter(&p, &c, &s), Status::Success);

        let guard = pod(
            "g",
            json!({}),
            json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term("web")]}}}),
        );
        let a = zone_node("a", "z1", vec![guard]);
        let s = Snapshot::new(vec![a.clone(), b.clone(), c.clone()]);
        let plain = pod("p", json!({"app": "web"}), json!({}));
        assert_eq!(
            InterPodAffinity.filter(&plain, &b, &s),
            Status::Unschedulable(ERR_EXISTING_ANTI_AFFINITY.into())
        );
        assert_eq!(InterPodAffinity.filter(&plain, &c, &s), Status::Success);
    }

    #[test]
    fn preferred_scores() {
        let db = pod("db", json!({"app": "db"}), json!({}));
        let a = zone_node("a", "z1", vec![db]);
        let b = zone_node("b", "z2", vec![]);
        let s = Snapshot::new(vec![a.clone(), b.clone()]);
        let p = pod(
            "p",
            json!({"app": "web"}),
            json!({"affinity": {"podAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "podAffinityTerm": term("db")}]}}}),
        );
        assert_eq!(score_of(&InterPodAffinityScore, &p, &a, &s), 100);
        assert_eq!(score_of(&InterPodAffinityScore, &p, &b, &s), 0);
        let p = pod(
            "p",
            json!({"app": "web"}),
            json!({"affinity": {"podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "podAffinityTerm": term("db")}]}}}),
        );
        assert_eq!(score_of(&InterPodAffinityScore, &p, &a, &s), 0);
        assert_eq!(score_of(&InterPodAffinityScore, &p, &b, &s), 100);
        // An existing pod's required affinity towards the incoming pod attracts it too.
        let fan = pod(
            "f",
            json!({}),
            json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term("web")]}}}),
        );
        let c = zone_node("c", "z3", vec![fan]);
        let s = Snapshot::new(vec![b.clone(), c.clone()]);
        let plain = pod("p", json!({"app": "web"}), json!({}));
        assert_eq!(score_of(&InterPodAffinityScore, &plain, &c, &s), 100);
        assert_eq!(score_of(&InterPodAffinityScore, &plain, &b, &s), 0);
    }

    #[test]
    fn extreme_weights_do_not_panic() {
        let db = pod(
            "db",
            json!({"app": "db"}),
            json!({"affinity": {"podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": i64::MIN, "podAffinityTerm": term("web")}]}}}),
        );
        let a = zone_node("a", "z1", vec![db.clone(), db]);
        let s = Snapshot::new(vec![a.clone()]);
        let p = pod(
            "p",
            json!({"app": "web"}),
            json!({"affinity": {"podAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": i64::MAX, "podAffinityTerm": term("db")}]}}}),
        );
        let _ = score_of(&InterPodAffinityScore, &p, &a, &s);
    }
}
