//! The DaemonSet controller: one pod on every node the DaemonSet may run on (its nodeSelector, required
//! node affinity and the node's taints decide), placed through the scheduler with a node-name affinity, as
//! kube-controller-manager does; rolled to a new template with RollingUpdate (maxUnavailable, maxSurge) or
//! OnDelete; with a ControllerRevision per template for `rollout history` and `undo`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use kyb_api::selector::LabelSelector;
use serde_json::{json, Value};

use super::deployment::template_hash;
use super::history::{self, HASH_LABEL};
use super::replicaset::{
    is_active, is_available, is_ready, pod_from_template, Expectations, PodControl,
};
use super::runtime::{inform, Change, Informers, Queue, Store};
use super::{namespace_and_name, str_at};
use crate::scheduler::plugins::node_affinity::required_matches;
use crate::scheduler::plugins::pod_tolerates;

const KIND: (&str, &str) = ("apps/v1", "DaemonSet");
const GENERATION_LABEL: &str = "pod-template-generation";
const COUNT_MAX: i64 = i32::MAX as i64;

/// The tolerations every daemon pod gets (kube's AddOrUpdateDaemonPodTolerations), so that daemons keep
/// running through node trouble and on cordoned nodes.
fn daemon_tolerations(host_network: bool) -> Vec<Value> {
    let mut t = vec![
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if host_network {
        t.push(("node.kubernetes.io/network-unavailable", "NoSchedule"));
    }
    t.into_iter()
        .map(|(key, effect)| json!({"key": key, "operator": "Exists", "effect": effect}))
        .collect()
}

/// The DaemonSet's pod for `node`, labelled with the template's hash and generation.
fn daemon_pod(ds: &Value, hash: &str, node: &str) -> Value {
    let mut pod = pod_from_template(KIND, ds);
    let meta = &mut pod["metadata"];
    if !meta.get("labels").is_some_and(Value::is_object) {
        meta["labels"] = json!({});
    }
    meta["labels"][HASH_LABEL] = json!(hash);
    if let Some(g) = ds.pointer("/metadata/generation").and_then(Value::as_i64) {
        meta["labels"][GENERATION_LABEL] = json!(g.to_string());
    }
    with_daemon_tolerations(&mut pod);
    // The scheduler places it, held to this node by a node-name term (kube's
    // ReplaceDaemonSetPodNodeNameNodeAffinity); the label terms were checked by the controller already.
    pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = json!({
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]});
    pod
}

fn with_daemon_tolerations(pod: &mut Value) {
    let host_network = pod.pointer("/spec/hostNetwork").and_then(Value::as_bool) == Some(true);
    let mut tolerations = pod
        .pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for t in daemon_tolerations(host_network) {
        let same = |x: &Value| x["key"] == t["key"] && x["effect"] == t["effect"];
        if !tolerations.iter().any(same) {
            tolerations.push(t);
        }
    }
    pod["spec"]["tolerations"] = json!(tolerations);
}

/// kube's NodeShouldRunDaemonPod: whether a new daemon pod may start on the node (selector, affinity and
/// every NoSchedule and NoExecute taint tolerated), and whether one already there may stay (only
/// untolerated NoExecute taints and a changed selector evict).
pub fn should_run(ds: &Value, node: &Value) -> (bool, bool) {
    let mut pod = json!({"spec": ds.pointer("/spec/template/spec").cloned().unwrap_or(json!({}))});
    with_daemon_tolerations(&mut pod);
    if !required_matches(&pod, node) {
        return (false, false);
    }
    let mut run = true;
    for taint in node
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if pod_tolerates(&pod, taint) {
            continue;
        }
        match str_at(taint, "/effect") {
            "NoExecute" => return (false, false),
            "NoSchedule" => run = false,
            _ => {}
        }
    }
    (run, true)
}

/// The node a daemon pod is for: where it runs, or the node its node-name affinity names.
fn target_node(pod: &Value) -> Option<&str> {
    let bound = str_at(pod, "/spec/nodeName");
    if !bound.is_empty() {
        return Some(bound);
    }
    pod.pointer("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")?
        .as_array()?
        .iter()
        .flat_map(|t| t.get("matchFields").and_then(Value::as_array).into_iter().flatten())
        .find(|f| f["key"] == "metadata.name" && f["operator"] == "In")
        .and_then(|f| f.pointer("/values/0"))
        .and_then(Value::as_str)
}

fn hash_of(pod: &Value) -> &str {
    str_at(pod, "/metadata/labels/controller-revision-hash")
}

/// A rolling-update bound, an absolute number or a percentage of `of` rounded up (kube scales both of
/// a DaemonSet's bounds that way).
fn bound(v: Option<&Value>, of: i64, default: i64) -> i64 {
    let n = match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(default),
        Some(Value::String(s)) => match s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
            Some(p) => (p.clamp(0, 100) * of + 99) / 100,
            None => s.parse().unwrap_or(default),
        },
        _ => default,
    };
    n.clamp(0, COUNT_MAX)
}

struct Controller {
    sets: Store,
    nodes: Store,
    revisions: Store,
    pc: PodControl,
    /// Failed daemon pods per `DaemonSet uid/node`: how many, and when the last was killed. A node whose
    /// daemon keeps failing gets its next one after a back-off (kube's failedPodsBackoff, 1 s to 15 min).
    failures: std::sync::Mutex<HashMap<String, (u32, std::time::Instant)>>,
}

impl Controller {
    /// How long the node must still wait before a new daemon pod, if it must.
    fn backing_off(&self, key: &str) -> Option<Duration> {
        let failures = self.failures.lock().ok()?;
        let (n, at) = failures.get(key)?;
        let wait =
            Duration::from_secs(1 << n.saturating_sub(1).min(10)).min(Duration::from_secs(900));
        wait.checked_sub(at.elapsed())
    }

    /// A daemon that became available ends its node's back-off.
    fn recovered(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(key);
        }
    }

    fn failed(&self, key: String) {
        if let Ok(mut failures) = self.failures.lock() {
            let e = failures
                .entry(key)
                .or_insert((0, std::time::Instant::now()));
            e.0 = e.0.saturating_add(1);
            e.1 = std::time::Instant::now();
        }
    }
}

async fn sync(c: &Controller, k: &str) -> Result<Option<Duration>, String> {
    let Some(ds) = c.sets.get(k) else {
        c.pc.expectations.forget(k);
        return Ok(None);
    };
    if ds.pointer("/metadata/deletionTimestamp").is_some() {
        return Ok(None);
    }
    let Some(sel) = ds
        .pointer("/spec/selector")
        .and_then(|s| LabelSelector::from_json(s).ok())
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    let collisions = ds
        .pointer("/status/collisionCount")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let template = ds.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let hash = template_hash(&template, collisions);
    history::current(&c.pc.client, &c.revisions, &ds, KIND, &hash).await?;
    let owned = c.pc.claim(&ds, &sel).await?;
    let mut by_node: BTreeMap<String, Vec<Arc<Value>>> = BTreeMap::new();
    for pod in owned
        .iter()
        .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
    {
        if let Some(node) = target_node(pod) {
            by_node
                .entry(node.to_string())
                .or_default()
                .push(pod.clone());
        }
    }
    let now = chrono::Utc::now();
    let min_ready = ds
        .pointer("/spec/minReadySeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let available = |p: &Value| is_active(p) && is_available(p, min_ready, now);
    let rolling = str_at(&ds, "/spec/updateStrategy/type") != "OnDelete";

    let nodes = c.nodes.filter(|_| true);
    let node_names: HashSet<&str> = nodes.iter().map(|n| namespace_and_name(n).1).collect();
    let mut creates: Vec<Value> = Vec::new();
    let mut deletes: Vec<Arc<Value>> = Vec::new();
    let mut failed_seen: Vec<(String, String)> = Vec::new();
    let (mut desired, mut current, mut misscheduled) = (0i64, 0i64, 0i64);
    let (mut ready, mut avail, mut updated) = (0i64, 0i64, 0i64);
    let mut eligible: Vec<String> = Vec::new();
    let mut retry: Option<Duration> = None;
    for node in &nodes {
        let (_, name) = namespace_and_name(node);
        let (run, stay) = should_run(&ds, node);
        let here = by_node.get(name).map(Vec::as_slice).unwrap_or_default();
        if run {
            desired += 1;
        }
        if !here.is_empty() {
            if run {
                current += 1;
            } else {
                misscheduled += 1;
            }
        }
        if !stay {
            deletes.extend(here.iter().cloned());
            continue;
        }
        // Failed daemon pods are killed, and replaced on the next pass.
        let (failed, alive): (Vec<&Arc<Value>>, Vec<&Arc<Value>>) = here
            .iter()
            .partition(|p| str_at(p, "/status/phase") == "Failed");
        for p in failed {
            failed_seen.push((namespace_and_name(p).1.to_string(), name.to_string()));
            deletes.push(p.clone());
        }
        let alive: Vec<&Arc<Value>> = alive.into_iter().filter(|p| is_active(p)).collect();
        if run {
            eligible.push(name.to_string());
        }
        if alive.is_empty() {
            let key = format!("{}/{name}", str_at(&ds, "/metadata/uid"));
            match c.backing_off(&key) {
                Some(wait) => retry = Some(retry.map_or(wait, |r: Duration| r.min(wait))),
                None if run => creates.push(daemon_pod(&ds, &hash, name)),
                None => {}
            }
            continue;
        }
        for p in &alive {
            if run {
                if is_ready(p) {
                    ready += 1;
                }
                if available(p) {
                    c.recovered(&format!("{}/{name}", str_at(&ds, "/metadata/uid")));
                    avail += 1;
                }
                if hash_of(p) == hash {
                    updated += 1;
                }
            }
        }
        if alive.len() > 1 {
            // Keep one: during a surge the old available pod and the new one; otherwise the oldest.
            let mut sorted = alive.clone();
            sorted.sort_by_key(|p| str_at(p, "/metadata/creationTimestamp").to_string());
            let new = sorted.iter().rev().find(|p| hash_of(p) == hash).copied();
            let surging = rolling
                && new.is_some()
                && sorted.len() == 2
                && sorted.iter().any(|p| hash_of(p) != hash);
            if !surging {
                deletes.extend(sorted[1..].iter().map(|p| (*p).clone()));
            }
        }
    }
    // Pods on nodes that are gone.
    for (node, on) in &by_node {
        if !node_names.contains(node.as_str()) {
            deletes.extend(on.iter().cloned());
        }
    }

    // RollingUpdate: replace old pods within maxUnavailable (deleting first) or maxSurge (creating first).
    if rolling && deletes.is_empty() && creates.is_empty() {
        let ru = ds.pointer("/spec/updateStrategy/rollingUpdate");
        let max_surge = bound(ru.and_then(|r| r.get("maxSurge")), desired, 0);
        let max_unavailable = bound(ru.and_then(|r| r.get("maxUnavailable")), desired, 1);
        let (mut unavailable, mut surging) = (0i64, 0i64);
        let (mut forced, mut candidates): (Vec<Arc<Value>>, Vec<Arc<Value>>) =
            (Vec::new(), Vec::new());
        let mut surge_to: Vec<String> = Vec::new();
        for name in &eligible {
            let pods: Vec<&Arc<Value>> = by_node
                .get(name)
                .map(|on| on.iter().filter(|p| is_active(p)).collect())
                .unwrap_or_default();
            let new = pods.iter().find(|p| hash_of(p) == hash);
            let old = pods.iter().find(|p| hash_of(p) != hash);
            match (new, old) {
                (Some(n), None) => {
                    if !available(n) {
                        unavailable += 1;
                    }
                }
                (None, Some(o)) if !available(o) => forced.push((*o).clone()),
                (None, Some(o)) if max_surge == 0 => candidates.push((*o).clone()),
                (None, Some(_)) => surge_to.push(name.clone()),
                (Some(n), Some(o)) => {
                    if available(n) {
                        forced.push((*o).clone());
                    } else {
                        surging += 1;
                    }
                }
                (None, None) => unavailable += 1,
            }
        }
        if max_surge == 0 {
            let room = (max_unavailable - unavailable).max(0) as usize;
            forced.extend(candidates.into_iter().take(room));
        } else {
            let room = (max_surge - surging).max(0) as usize;
            creates.extend(
                surge_to
                    .iter()
                    .take(room)
                    .map(|n| daemon_pod(&ds, &hash, n)),
            );
        }
        deletes.extend(forced);
    }

    if c.pc.expectations.satisfied(k) {
        for (pod, node) in &failed_seen {
            c.failed(format!("{}/{node}", str_at(&ds, "/metadata/uid")));
            let message = format!(
                "Found failed daemon pod {}/{pod} on node {node}, will try to kill it",
                namespace_and_name(&ds).0
            );
            c.pc.record(&ds, "Warning", "FailedDaemonPod", &message)
                .await;
        }
        if !deletes.is_empty() {
            let victims: Vec<&Arc<Value>> = deletes.iter().collect();
            c.pc.delete(k, &ds, &victims).await?;
        } else if !creates.is_empty() {
            c.pc.create(k, &ds, creates).await?;
        }
    }

    let live: Vec<&str> = owned.iter().map(|p| hash_of(p)).collect();
    history::trim(&c.pc.client, &c.revisions, &ds, &hash, &live).await?;
    let mut status = ds.get("status").cloned().unwrap_or(json!({}));
    status["desiredNumberScheduled"] = json!(desired);
    status["currentNumberScheduled"] = json!(current);
    status["numberMisscheduled"] = json!(misscheduled);
    status["numberReady"] = json!(ready);
    status["numberAvailable"] = json!(avail);
    status["numberUnavailable"] = json!((desired - avail).max(0));
    status["updatedNumberScheduled"] = json!(updated);
    if let Some(g) = ds.pointer("/metadata/generation") {
        status["observedGeneration"] = g.clone();
    }
    let (ns, name) = namespace_and_name(&ds);
    let path = format!("/apis/apps/v1/namespaces/{ns}/daemonsets/{name}");
    super::write_status(&c.pc.client, &path, &ds, status).await?;
    // A ready pod becomes available after minReadySeconds: look again then.
    let available_later = (min_ready > 0 && ready > avail)
        .then(|| Duration::from_secs(min_ready.clamp(1, 3600) as u64));
    Ok(match (available_later, retry) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

fn selector(ds: &Value) -> Option<LabelSelector> {
    LabelSelector::from_json(ds.pointer("/spec/selector")?)
        .ok()
        .filter(|s| !s.is_empty())
}

/// Runs the DaemonSet controller until the process ends.
pub async fn run(informers: Informers, workers: usize) {
    let client = informers.client().clone();
    let (sets, mut set_changes) = inform(&informers, "/apis/apps/v1/daemonsets").await;
    let (nodes, mut node_changes) = inform(&informers, "/api/v1/nodes").await;
    let (revisions, mut revision_changes) =
        inform(&informers, "/apis/apps/v1/controllerrevisions").await;
    let (pods, mut pod_changes) = inform(&informers, "/api/v1/pods").await;
    let c = Arc::new(Controller {
        sets,
        nodes,
        revisions,
        failures: std::sync::Mutex::default(),
        pc: PodControl {
            client,
            pods,
            kind: KIND,
            component: "daemonset-controller",
            expectations: Expectations::default(),
            finalizer: None,
        },
    });
    let queue = Queue::serve(&c, workers, |c, k| async move { sync(&c, &k).await });
    let all = |queue: &Queue| {
        for ds in c.sets.filter(|_| true) {
            queue.add(crate::informer::key(&ds));
        }
    };
    loop {
        tokio::select! {
            change = set_changes.recv() => match change {
                Some(change) => queue.add(change.key()),
                None => return,
            },
            change = node_changes.recv() => {
                let Some(change) = change else { return };
                // A node added, gone, relabelled or retainted may change where every DaemonSet runs.
                let relevant = match &change {
                    Change::Upsert { old: Some(old), new } => {
                        ["/metadata/labels", "/spec/taints", "/spec/unschedulable"]
                            .iter()
                            .any(|p| old.pointer(p) != new.pointer(p))
                    }
                    _ => true,
                };
                if relevant {
                    all(&queue);
                }
            }
            change = revision_changes.recv() => match change {
                Some(change) => queue.add_controller_of(change.object(), KIND.1),
                None => return,
            },
            change = pod_changes.recv() => {
                let Some(change) = change else { return };
                for k in c.pc.route(&c.sets, &change, selector) {
                    queue.add(k);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(spec: Value) -> Value {
        json!({"metadata": {"name": "agent", "namespace": "kube-system", "uid": "u1", "generation": 3},
            "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {"metadata": {"labels": {"app": "agent"}}, "spec": spec}}})
    }

    fn node(labels: Value, taints: Value) -> Value {
        json!({"metadata": {"name": "n1", "labels": labels}, "spec": {"taints": taints}})
    }

    #[test]
    fn nodes_are_chosen_by_selector_affinity_and_taints() {
        let plain = ds(json!({"containers": [{"name": "c", "image": "i"}]}));
        assert_eq!(
            should_run(&plain, &node(json!({}), json!([]))),
            (true, true)
        );
        // A cordoned node and node trouble are tolerated by every daemon pod.
        let cordoned = node(
            json!({}),
            json!([{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]),
        );
        assert_eq!(should_run(&plain, &cordoned), (true, true));
        // NoSchedule keeps new pods off but lets running ones stay; NoExecute evicts.
        let no_schedule = node(
            json!({}),
            json!([{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]),
        );
        assert_eq!(should_run(&plain, &no_schedule), (false, true));
        let no_execute = node(
            json!({}),
            json!([{"key": "dedicated", "value": "db", "effect": "NoExecute"}]),
        );
        assert_eq!(should_run(&plain, &no_execute), (false, false));
        let tolerant = ds(json!({"tolerations": [{"key": "dedicated", "operator": "Exists"}]}));
        assert_eq!(should_run(&tolerant, &no_execute), (true, true));
        let picky = ds(json!({"nodeSelector": {"disk": "ssd"}}));
        assert_eq!(
            should_run(&picky, &node(json!({"disk": "hdd"}), json!([]))),
            (false, false)
        );
        assert_eq!(
            should_run(&picky, &node(json!({"disk": "ssd"}), json!([]))),
            (true, true)
        );
    }

    #[test]
    fn daemon_pods_are_pinned_labelled_and_tolerant() {
        let set = ds(
            json!({"containers": [{"name": "c", "image": "i"}], "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "a", "operator": "Exists"}]}]}}}}),
        );
        let p = daemon_pod(&set, "h1", "n7");
        assert_eq!(target_node(&p), Some("n7"));
        assert_eq!(p["metadata"]["labels"][HASH_LABEL], "h1");
        assert_eq!(p["metadata"]["labels"][GENERATION_LABEL], "3");
        assert_eq!(p["metadata"]["generateName"], "agent-");
        let terms = &p["spec"]["affinity"]["nodeAffinity"]
            ["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
        assert_eq!(terms.as_array().map(Vec::len), Some(1));
        let tolerations = p["spec"]["tolerations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(tolerations.len(), 6);
        assert!(tolerations
            .iter()
            .any(|t| t["key"] == "node.kubernetes.io/unreachable" && t["effect"] == "NoExecute"));
    }

    #[test]
    fn rolling_bounds_round_up() {
        assert_eq!(bound(Some(&json!("10%")), 15, 1), 2);
        assert_eq!(bound(Some(&json!(3)), 15, 1), 3);
        assert_eq!(bound(None, 15, 1), 1);
        assert_eq!(bound(Some(&json!("0%")), 15, 1), 0);
    }
}
