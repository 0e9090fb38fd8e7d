//! The scheduler: watches nodes and pods through the API, and binds each pending pod of `default-scheduler` to
//! the best node that passes every filter, recording `Scheduled` or `FailedScheduling` as kube-scheduler does.
//! Unschedulable pods wait until the cluster changes (a node appears or changes, a pod goes), then try again.

pub mod framework;
pub mod plugins;
mod queue;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use kyb_api::client::{Client, ClientError, Method};
use kyb_api::quantity::Resources;
use serde_json::{json, Value};

use tokio::time::Instant;

use crate::informer::{self, key, Update};
use framework::{FilterPlugin, NodeCheck, NodeInfo, ScorePlugin, Snapshot, Status};
use queue::Queue;

/// The name pods ask for in `spec.schedulerName` (empty means this one too).
pub const NAME: &str = "default-scheduler";
/// Unschedulable pods are retried at least this often, even if no event suggests they may fit now.
const RETRY_UNSCHEDULABLE: Duration = Duration::from_secs(30);
/// How often pods whose backoff has ended move to the active queue.
const BACKOFF_TICK: Duration = Duration::from_millis(200);

/// The cluster as the scheduler sees it, kept up to date from the watches. The snapshot that decisions read
/// is part of it and is updated per event, as kube-scheduler's cache is, rather than rebuilt per decision.
#[derive(Default)]
struct Cache {
    /// Every node, in name order, with the pods placed on it.
    snapshot: Snapshot,
    /// Each node's position in `snapshot.nodes`.
    index: HashMap<String, usize>,
    /// Every pod that is not finished, by `namespace/name`, with what decisions need of it.
    pods: HashMap<String, CachedPod>,
    /// Pods this scheduler bound, with their node, until the watch shows them bound.
    assumed: HashMap<String, String>,
    /// The node of every pod counted on one (bound or assumed); a pod whose node is not known yet is
    /// counted when the node arrives.
    placed: HashMap<String, String>,
    /// How many placed pods have inter-pod affinity terms, and required anti-affinity terms.
    with_pod_affinity: usize,
    with_required_anti_affinity: usize,
}

/// A cached pod, with what decisions need of it worked out once when it arrives: its requests (plain and
/// non-zero), node, and whether it has inter-pod affinity terms.
struct CachedPod {
    pod: Arc<Value>,
    requests: Resources,
    non_zero: Resources,
    node: Option<String>,
    pod_affinity: bool,
    required_anti_affinity: bool,
}

/// Counts a pod on a node.
fn count_on(info: &mut NodeInfo, f: &CachedPod) {
    info.pods.push(f.pod.clone());
    info.requested.add(&f.requests);
    info.non_zero_requested.add(&f.non_zero);
}

fn node_name(node: &Value) -> &str {
    node.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

impl Cache {
    fn put_pod(&mut self, k: String, pod: Value) {
        self.unplace(&k);
        let (pod_affinity, required_anti_affinity) = framework::pod_affinity_terms(&pod);
        let cached = CachedPod {
            requests: Resources::of_pod(&pod),
            non_zero: Resources::of_pod_non_zero(&pod),
            node: node_of(&pod).map(str::to_string),
            pod_affinity,
            required_anti_affinity,
            pod: Arc::new(pod),
        };
        self.pods.insert(k.clone(), cached);
        self.place(&k);
    }

    fn drop_pod(&mut self, k: &str) {
        self.unplace(k);
        self.pods.remove(k);
    }

    /// Records that this scheduler chose `node` for the pod, before the binding is written.
    fn assume(&mut self, k: &str, node: String) {
        self.unplace(k);
        self.assumed.insert(k.to_string(), node);
        self.place(k);
    }

    /// Forgets an assumption (the binding failed, or the watch now shows where the pod is).
    fn forget(&mut self, k: &str) {
        if self.assumed.remove(k).is_some() {
            self.unplace(k);
            self.place(k);
        }
    }

    /// Counts the pod on its node (bound, else assumed), if it has one.
    fn place(&mut self, k: &str) {
        let Some(f) = self.pods.get(k) else {
            return;
        };
        let Some(node) = f.node.clone().or_else(|| self.assumed.get(k).cloned()) else {
            return;
        };
        self.with_pod_affinity += usize::from(f.pod_affinity);
        self.with_required_anti_affinity += usize::from(f.required_anti_affinity);
        if let Some(&i) = self.index.get(&node) {
            count_on(&mut self.snapshot.nodes[i], f);
        }
        self.placed.insert(k.to_string(), node);
        self.set_flags();
    }

    /// Takes the pod off the node it is counted on, if any.
    fn unplace(&mut self, k: &str) {
        let Some(node) = self.placed.remove(k) else {
            return;
        };
        let Some(f) = self.pods.get(k) else {
            return;
        };
        self.with_pod_affinity -= usize::from(f.pod_affinity);
        self.with_required_anti_affinity -= usize::from(f.required_anti_affinity);
        if let Some(&i) = self.index.get(&node) {
            let info = &mut self.snapshot.nodes[i];
            info.pods.retain(|p| !Arc::ptr_eq(p, &f.pod));
            info.requested.sub(&f.requests);
            info.non_zero_requested.sub(&f.non_zero);
        }
        self.set_flags();
    }

    fn set_flags(&mut self) {
        self.snapshot.any_pod_affinity = self.with_pod_affinity > 0;
        self.snapshot.any_required_anti_affinity = self.with_required_anti_affinity > 0;
    }

    fn put_node(&mut self, node: Value) {
        let name = node_name(&node).to_string();
        if let Some(&i) = self.index.get(&name) {
            let old = &mut self.snapshot.nodes[i];
            let mut info = NodeInfo::new(node);
            info.pods = std::mem::take(&mut old.pods);
            info.requested = old.requested;
            info.non_zero_requested = old.non_zero_requested;
            *old = info;
            return;
        }
        let at = self
            .snapshot
            .nodes
            .partition_point(|n| n.name() < name.as_str());
        self.snapshot.nodes.insert(at, NodeInfo::new(node));
        self.reindex();
        self.count_placed_pods(|n| n == name);
    }

    fn drop_node(&mut self, node: &Value) {
        if let Some(i) = self.index.get(node_name(node)).copied() {
            self.snapshot.nodes.remove(i);
            self.reindex();
        }
    }

    /// Replaces every node at once, as after a relist.
    fn reset_nodes(&mut self, items: Vec<Value>) {
        let mut infos: Vec<NodeInfo> = items.into_iter().map(NodeInfo::new).collect();
        infos.sort_by(|a, b| a.name().cmp(b.name()));
        infos.dedup_by(|a, b| a.name() == b.name());
        self.snapshot.nodes = infos;
        self.reindex();
        self.count_placed_pods(|_| true);
    }

    /// Counts the placed pods whose node `which` picks on that node, if the node is known.
    fn count_placed_pods(&mut self, which: impl Fn(&str) -> bool) {
        for (k, node) in self.placed.iter().filter(|(_, n)| which(n)) {
            let (Some(&i), Some(f)) = (self.index.get(node), self.pods.get(k)) else {
                continue;
            };
            count_on(&mut self.snapshot.nodes[i], f);
        }
    }

    /// Replaces every pod at once, as after a relist.
    fn reset_pods(&mut self) {
        self.pods.clear();
        self.placed.clear();
        self.with_pod_affinity = 0;
        self.with_required_anti_affinity = 0;
        self.set_flags();
        for info in &mut self.snapshot.nodes {
            info.pods.clear();
            info.requested = Resources::default();
            info.non_zero_requested = Resources::default();
        }
    }

    fn reindex(&mut self) {
        self.index = self
            .snapshot
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name().to_string(), i))
            .collect();
    }
}

fn is_finished(pod: &Value) -> bool {
    matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    )
}

fn node_of(pod: &Value) -> Option<&str> {
    pod.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
}

/// Whether this scheduler should place the pod.
fn wants_scheduling(pod: &Value) -> bool {
    let ours = pod
        .pointer("/spec/schedulerName")
        .and_then(Value::as_str)
        .is_none_or(|s| s.is_empty() || s == NAME);
    ours && node_of(pod).is_none()
        && pod.pointer("/metadata/deletionTimestamp").is_none()
        && !is_finished(pod)
}

/// kube-scheduler's FailedScheduling message: `0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu.`
pub fn failure_message(total: usize, reasons: &[String]) -> String {
    if total == 0 {
        return "no nodes available to schedule pods".to_string();
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in reasons {
        for part in r.split('\n').filter(|p| !p.is_empty()) {
            *counts.entry(part).or_default() += 1;
        }
    }
    // kube-scheduler sorts the "count reason" strings themselves.
    let mut parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    format!("0/{total} nodes are available: {}.", parts.join(", "))
}

/// The outcome of one scheduling attempt.
enum Decision {
    Node(String),
    Unschedulable(String),
}

struct Framework {
    filters: Vec<Box<dyn FilterPlugin>>,
    scores: Vec<Box<dyn ScorePlugin>>,
    /// Where the next search for feasible nodes starts.
    next_start: std::sync::atomic::AtomicUsize,
}

/// How many feasible nodes a search looks for (kube-scheduler's adaptive `percentageOfNodesToScore`): every
/// node in small clusters, then a share falling from 50% by one point per 125 nodes, never under 5% or 100.
fn feasible_nodes_to_find(all: usize) -> usize {
    const MIN_FEASIBLE: usize = 100;
    if all < MIN_FEASIBLE {
        return all;
    }
    let percent = 50usize.saturating_sub(all / 125).max(5);
    (all * percent / 100).max(MIN_FEASIBLE)
}

impl Framework {
    fn decide(&self, pod: &Value, snapshot: &Snapshot) -> Decision {
        let mut fits = Vec::new();
        let mut reasons = Vec::new();
        // Like kube-scheduler, stop once enough feasible nodes are found, and start each search where the
        // previous one stopped, so that every node gets its turn.
        let filters: Vec<(&str, NodeCheck)> = self
            .filters
            .iter()
            .filter_map(|f| Some((f.name(), f.prepare(pod, snapshot)?)))
            .collect();
        let all = snapshot.nodes.len();
        let want = feasible_nodes_to_find(all);
        let start = self.next_start.load(std::sync::atomic::Ordering::Relaxed) % all.max(1);
        let mut examined = 0;
        for node in snapshot.nodes[start..]
            .iter()
            .chain(&snapshot.nodes[..start])
        {
            if fits.len() >= want {
                break;
            }
            examined += 1;
            let verdict = filters
                .iter()
                .map(|(name, check)| (*name, check(node)))
                .find(|(_, s)| *s != Status::Success);
            match verdict {
                None => fits.push(node),
                Some((
                    plugin,
                    Status::Unschedulable(r) | Status::UnschedulableAndUnresolvable(r),
                )) => {
                    tracing::trace!(node = node.name(), plugin, reason = r, "filtered out");
                    reasons.push(r);
                }
                Some((_, Status::Success)) => {}
            }
        }
        self.next_start.store(
            (start + examined) % all.max(1),
            std::sync::atomic::Ordering::Relaxed,
        );
        // The highest total score wins; ties go to the first node examined, so placement is deterministic.
        let mut totals = vec![0i64; fits.len()];
        for s in &self.scores {
            let scores = s.score_all(pod, &fits, snapshot);
            tracing::trace!(plugin = s.name(), ?scores, "scored");
            for (total, score) in totals.iter_mut().zip(scores) {
                *total = total.saturating_add(s.weight().saturating_mul(score));
            }
        }
        let best = fits
            .iter()
            .zip(totals)
            .fold(None::<(i64, &NodeInfo)>, |best, (node, score)| match best {
                Some((b, _)) if b >= score => best,
                _ => Some((score, node)),
            });
        match best {
            Some((_, node)) => Decision::Node(node.name().to_string()),
            None => Decision::Unschedulable(failure_message(snapshot.nodes.len(), &reasons)),
        }
    }
}

/// Marks the pod's PodScheduled condition False with the reason, as kube-scheduler does for unschedulable pods.
async fn mark_unschedulable(client: &Client, pod: &Value, message: &str) {
    let (ns, name) = crate::controllers::namespace_and_name(pod);
    let mut conditions: Vec<Value> = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    conditions.retain(|c| c.get("type").and_then(Value::as_str) != Some("PodScheduled"));
    conditions.push(json!({"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
        "lastProbeTime": null, "lastTransitionTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)}));
    let body =
        serde_json::to_vec(&json!({"status": {"conditions": conditions}})).unwrap_or_default();
    let path = format!("/api/v1/namespaces/{ns}/pods/{name}/status");
    let _ = client
        .send(
            Method::PATCH,
            &path,
            "application/json",
            Some(("application/merge-patch+json", body)),
        )
        .await;
}

/// Binds the pod to the node through `pods/binding`.
async fn bind(client: &Client, pod: &Value, node: &str) -> Result<(), ClientError> {
    let (ns, name) = crate::controllers::namespace_and_name(pod);
    let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name, "namespace": ns},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node}});
    let path = format!("/api/v1/namespaces/{ns}/pods/{name}/binding");
    client
        .send_json(Method::POST, &path, "application/json", &binding)
        .await
        .map(|_| ())
}

/// Schedules pods until the process ends.
pub async fn run(client: Client) {
    let framework = Framework {
        filters: plugins::default_filters(),
        scores: plugins::default_scores(),
        next_start: Default::default(),
    };
    let mut nodes = informer::start(client.clone(), "/api/v1/nodes".into());
    let mut pods = informer::start(client.clone(), "/api/v1/pods".into());
    let mut cache = Cache::default();
    let mut queue = Queue::default();
    let mut retry = tokio::time::interval(RETRY_UNSCHEDULABLE);
    let mut backoff_tick = tokio::time::interval(BACKOFF_TICK);
    let (bind_failed_tx, mut bind_failed) = tokio::sync::mpsc::unbounded_channel::<String>();
    loop {
        tokio::select! {
            biased;
            update = nodes.recv() => {
                let Some(update) = update else { return };
                match update {
                    Update::Reset(items) => cache.reset_nodes(items),
                    Update::Added(n) | Update::Modified(n) => cache.put_node(n),
                    Update::Deleted(n) => cache.drop_node(&n),
                }
                queue.wake(Instant::now());
            }
            update = pods.recv() => {
                let Some(update) = update else { return };
                let changed = match update {
                    Update::Reset(items) => {
                        cache.reset_pods();
                        items.into_iter().map(Some).collect::<Vec<_>>()
                    }
                    Update::Added(p) | Update::Modified(p) => vec![Some(p)],
                    Update::Deleted(p) => {
                        let k = key(&p);
                        cache.drop_pod(&k);
                        cache.assumed.remove(&k);
                        queue.forget(&k);
                        // A pod going frees room.
                        queue.wake(Instant::now());
                        vec![None]
                    }
                };
                for p in changed.into_iter().flatten() {
                    let k = key(&p);
                    if node_of(&p).is_some() {
                        cache.assumed.remove(&k);
                        queue.forget(&k);
                    }
                    if is_finished(&p) {
                        cache.drop_pod(&k);
                        queue.wake(Instant::now());
                        continue;
                    }
                    let pending = wants_scheduling(&p) && !cache.assumed.contains_key(&k);
                    cache.put_pod(k.clone(), p);
                    if pending {
                        queue.add(k);
                    }
                }
            }
            Some(k) = bind_failed.recv() => {
                cache.forget(&k);
                queue.failed(k, Instant::now());
            }
            _ = retry.tick() => queue.wake(Instant::now()),
            _ = backoff_tick.tick() => queue.flush(Instant::now()),
            _ = std::future::ready(()), if queue.has_active() => {
                let Some(k) = queue.pop() else { continue };
                let Some(pod) = cache.pods.get(&k).map(|c| c.pod.clone()) else { continue };
                if !wants_scheduling(&pod) || cache.assumed.contains_key(&k) {
                    continue;
                }
                cache.snapshot.set_incoming(&pod);
                let decision = framework.decide(&pod, &cache.snapshot);
                match decision {
                    Decision::Node(node) => {
                        // Assume the placement at once and bind in the background, as kube-scheduler's binding
                        // cycle does, so that the next pod is placed without waiting for this one's writes.
                        cache.assume(&k, node.clone());
                        let (client, failed) = (client.clone(), bind_failed_tx.clone());
                        tokio::spawn(async move {
                            match bind(&client, &pod, &node).await {
                                Ok(()) => {
                                    let (ns, name) = k.split_once('/').unwrap_or(("default", &k));
                                    let message = format!("Successfully assigned {ns}/{name} to {node}");
                                    crate::controllers::pod_event(&client, NAME, &pod, "Normal", "Scheduled", &message).await;
                                }
                                Err(e) => {
                                    tracing::debug!(pod = k, error = %e, "binding failed; will retry");
                                    let _ = failed.send(k);
                                }
                            }
                        });
                    }
                    Decision::Unschedulable(message) => {
                        crate::controllers::pod_event(&client, NAME, &pod, "Warning", "FailedScheduling", &message).await;
                        mark_unschedulable(&client, &pod, &message).await;
                        queue.failed(k, Instant::now());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_node(name: &str) -> Value {
        json!({"metadata": {"name": name}, "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}})
    }

    fn test_pod(name: &str, node: Option<&str>, cpu: &str, anti: bool) -> Value {
        let mut pod = json!({"metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"resources": {"requests": {"cpu": cpu}}}]}});
        if let Some(n) = node {
            pod["spec"]["nodeName"] = json!(n);
        }
        if anti {
            pod["spec"]["affinity"] = json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {}, "topologyKey": "kubernetes.io/hostname"}]}});
        }
        pod
    }

    /// Each node's pods (sorted names) and requested cpu, read from the incremental snapshot.
    fn counted(cache: &Cache) -> Vec<(String, Vec<String>, i64, i64)> {
        cache
            .snapshot
            .nodes
            .iter()
            .map(|n| {
                let mut pods: Vec<String> = n.pods.iter().map(|p| key(p)).collect();
                pods.sort();
                let row = (
                    n.name().to_string(),
                    pods,
                    n.requested.milli_cpu,
                    n.requested.pods,
                );
                assert_eq!(
                    cache.index.get(n.name()),
                    cache
                        .snapshot
                        .nodes
                        .iter()
                        .position(|m| m.name() == n.name())
                        .as_ref()
                );
                row
            })
            .collect()
    }

    fn row(node: &str, pods: &[&str], cpu: i64) -> (String, Vec<String>, i64, i64) {
        let pods: Vec<String> = pods.iter().map(|p| format!("default/{p}")).collect();
        let n = pods.len() as i64;
        (node.to_string(), pods, cpu, n)
    }

    #[test]
    fn the_snapshot_follows_pods_nodes_and_assumptions_incrementally() {
        let mut cache = Cache::default();
        // A bound pod seen before its node is counted once the node arrives.
        cache.put_pod("default/a".into(), test_pod("a", Some("n2"), "100m", false));
        cache.put_node(test_node("n2"));
        cache.put_node(test_node("n1"));
        assert_eq!(
            counted(&cache),
            vec![row("n1", &[], 0), row("n2", &["a"], 100)]
        );

        // A pending pod counts nowhere until assumed; a failed binding takes it back off.
        cache.put_pod("default/b".into(), test_pod("b", None, "200m", true));
        assert!(!cache.snapshot.any_required_anti_affinity);
        cache.assume("default/b", "n1".into());
        assert!(cache.snapshot.any_required_anti_affinity && cache.snapshot.any_pod_affinity);
        assert_eq!(
            counted(&cache),
            vec![row("n1", &["b"], 200), row("n2", &["a"], 100)]
        );
        cache.forget("default/b");
        assert!(!cache.snapshot.any_required_anti_affinity);
        assert_eq!(
            counted(&cache),
            vec![row("n1", &[], 0), row("n2", &["a"], 100)]
        );

        // Assumed on n1, then the watch shows it bound to n2: it moves, counted once.
        cache.assume("default/b", "n1".into());
        cache.assumed.remove("default/b");
        cache.put_pod("default/b".into(), test_pod("b", Some("n2"), "200m", true));
        assert_eq!(
            counted(&cache),
            vec![row("n1", &[], 0), row("n2", &["a", "b"], 300)]
        );

        // An update replaces the pod in place; a changed request is counted anew.
        cache.put_pod("default/a".into(), test_pod("a", Some("n2"), "50m", false));
        assert_eq!(
            counted(&cache),
            vec![row("n1", &[], 0), row("n2", &["a", "b"], 250)]
        );
        assert_eq!(cache.snapshot.nodes[1].pods.len(), 2);

        // A node that goes and comes back brings its pods' counts back; deleted pods free room.
        cache.drop_node(&test_node("n2"));
        assert_eq!(counted(&cache), vec![row("n1", &[], 0)]);
        cache.put_node(test_node("n3"));
        cache.put_node(test_node("n2"));
        assert_eq!(
            counted(&cache),
            vec![
                row("n1", &[], 0),
                row("n2", &["a", "b"], 250),
                row("n3", &[], 0)
            ]
        );
        cache.drop_pod("default/b");
        assert!(!cache.snapshot.any_pod_affinity);
        assert_eq!(
            counted(&cache),
            vec![row("n1", &[], 0), row("n2", &["a"], 50), row("n3", &[], 0)]
        );

        // Relists rebuild the same picture, keeping this scheduler's assumptions.
        cache.put_pod("default/c".into(), test_pod("c", None, "1", false));
        cache.assume("default/c", "n3".into());
        cache.reset_nodes(vec![test_node("n3"), test_node("n2"), test_node("n3")]);
        assert_eq!(
            counted(&cache),
            vec![row("n2", &["a"], 50), row("n3", &["c"], 1000)]
        );
        cache.reset_pods();
        assert_eq!(counted(&cache), vec![row("n2", &[], 0), row("n3", &[], 0)]);
        cache.put_pod("default/c".into(), test_pod("c", None, "1", false));
        assert_eq!(
            counted(&cache),
            vec![row("n2", &[], 0), row("n3", &["c"], 1000)]
        );
    }

    #[test]
    fn feasible_node_search_shrinks_with_the_cluster() {
        assert_eq!(feasible_nodes_to_find(3), 3);
        assert_eq!(feasible_nodes_to_find(150), 100);
        assert_eq!(feasible_nodes_to_find(1000), 420);
        assert_eq!(feasible_nodes_to_find(5000), 500);
        assert_eq!(feasible_nodes_to_find(50_000), 2500);
    }

    #[test]
    fn failure_messages_count_reasons_like_kube_scheduler() {
        let reasons = vec![
            "Insufficient cpu".to_string(),
            "node(s) had untolerated taint {k: v}".to_string(),
            "Insufficient cpu\nInsufficient memory".to_string(),
        ];
        assert_eq!(failure_message(3, &reasons), "0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu.");
        assert_eq!(
            failure_message(0, &[]),
            "no nodes available to schedule pods"
        );
    }
}
