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
use framework::{FilterPlugin, NodeInfo, ScorePlugin, Snapshot, Status};
use queue::Queue;

/// The name pods ask for in `spec.schedulerName` (empty means this one too).
pub const NAME: &str = "default-scheduler";
/// Unschedulable pods are retried at least this often, even if no event suggests they may fit now.
const RETRY_UNSCHEDULABLE: Duration = Duration::from_secs(30);
/// How often pods whose backoff has ended move to the active queue.
const BACKOFF_TICK: Duration = Duration::from_millis(200);

/// The cluster as the scheduler sees it, kept up to date from the watches.
#[derive(Default)]
struct Cache {
    nodes: BTreeMap<String, Arc<Value>>,
    /// Every pod that is not finished, by `namespace/name`.
    pods: HashMap<String, Arc<Value>>,
    /// Pods this scheduler bound, with their node, until the watch shows them bound.
    assumed: HashMap<String, String>,
    /// What each cached pod's decisions need, worked out once when the pod arrives.
    facts: HashMap<String, PodFacts>,
    /// Each node's allocatable, worked out when the node arrives.
    allocatable: HashMap<String, Resources>,
}

/// A cached pod's requests (plain and non-zero), node, and whether it has inter-pod affinity terms.
#[derive(Default)]
struct PodFacts {
    requests: Resources,
    non_zero: Resources,
    node: Option<String>,
    pod_affinity: bool,
    required_anti_affinity: bool,
}

impl Cache {
    fn put_pod(&mut self, k: String, pod: Value) {
        let (pod_affinity, required_anti_affinity) = framework::pod_affinity_terms(&pod);
        let facts = PodFacts {
            requests: Resources::of_pod(&pod),
            non_zero: Resources::of_pod_non_zero(&pod),
            node: node_of(&pod).map(str::to_string),
            pod_affinity,
            required_anti_affinity,
        };
        self.facts.insert(k.clone(), facts);
        self.pods.insert(k, Arc::new(pod));
    }

    fn drop_pod(&mut self, k: &str) {
        self.pods.remove(k);
        self.facts.remove(k);
    }

    fn put_node(&mut self, node: Value) {
        let name = node
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        self.allocatable.insert(
            name,
            Resources::from_list(node.pointer("/status/allocatable")),
        );
        self.nodes.insert(key(&node), Arc::new(node));
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

impl Cache {
    fn snapshot(&self) -> Snapshot {
        let mut by_node: HashMap<&str, (Vec<Arc<Value>>, Resources, Resources)> = HashMap::new();
        let (mut pod_affinity, mut required_anti_affinity) = (false, false);
        for (k, p) in &self.pods {
            let Some(f) = self.facts.get(k) else { continue };
            let node = f
                .node
                .as_deref()
                .or_else(|| self.assumed.get(k).map(String::as_str));
            if let Some(n) = node {
                let slot = by_node.entry(n).or_default();
                slot.0.push(p.clone());
                slot.1.add(&f.requests);
                slot.2.add(&f.non_zero);
                pod_affinity |= f.pod_affinity;
                required_anti_affinity |= f.required_anti_affinity;
            }
        }
        let nodes = self
            .nodes
            .values()
            .map(|n| {
                let name = n
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let (pods, requested, non_zero_requested) =
                    by_node.remove(name).unwrap_or_default();
                NodeInfo {
                    node: n.clone(),
                    allocatable: self.allocatable.get(name).copied().unwrap_or_default(),
                    requested,
                    non_zero_requested,
                    pods,
                }
            })
            .collect();
        Snapshot::with_flags(nodes, pod_affinity, required_anti_affinity)
    }
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
            let verdict = self
                .filters
                .iter()
                .map(|f| (f.name(), f.filter(pod, node, snapshot)))
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
            .map(|(n, total)| (total, n.name().to_string()))
            .fold(None::<(i64, String)>, |best, (score, name)| match best {
                Some((b, _)) if b >= score => best,
                _ => Some((score, name)),
            });
        match best {
            Some((_, name)) => Decision::Node(name),
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
    crate::controllers::send_json(client, Method::POST, &path, "application/json", &binding)
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
                    Update::Reset(items) => {
                        cache.nodes.clear();
                        cache.allocatable.clear();
                        for n in items {
                            cache.put_node(n);
                        }
                    }
                    Update::Added(n) | Update::Modified(n) => cache.put_node(n),
                    Update::Deleted(n) => {
                        cache.nodes.remove(&key(&n));
                    }
                }
                queue.wake(Instant::now());
            }
            update = pods.recv() => {
                let Some(update) = update else { return };
                let changed = match update {
                    Update::Reset(items) => {
                        cache.pods.clear();
                        cache.facts.clear();
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
                cache.assumed.remove(&k);
                queue.failed(k, Instant::now());
            }
            _ = retry.tick() => queue.wake(Instant::now()),
            _ = backoff_tick.tick() => queue.flush(Instant::now()),
            _ = std::future::ready(()), if queue.has_active() => {
                let Some(k) = queue.pop() else { continue };
                let Some(pod) = cache.pods.get(&k).cloned() else { continue };
                if !wants_scheduling(&pod) || cache.assumed.contains_key(&k) {
                    continue;
                }
                let decision = framework.decide(&pod, &cache.snapshot().for_pod(&pod));
                match decision {
                    Decision::Node(node) => {
                        // Assume the placement at once and bind in the background, as kube-scheduler's binding
                        // cycle does, so that the next pod is placed without waiting for this one's writes.
                        cache.assumed.insert(k.clone(), node.clone());
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
