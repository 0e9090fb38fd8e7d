//! The node lifecycle controller, as kube-controller-manager's: it watches each node's heartbeats (its Lease
//! and its Ready condition), marks a node whose kubelet has gone quiet for the grace period as `Ready=Unknown`,
//! keeps the `not-ready` and `unreachable` taints in step with the Ready condition (and `unschedulable` with
//! cordons), and evicts the pods on a node with a NoExecute taint that they do not tolerate, or once their
//! `tolerationSeconds` have run out.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kyb_api::client::{Client, ClientError, Method};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::informer::{self, key, Update};
use crate::scheduler::plugins::{array, string, toleration_tolerates};

const NOT_READY: &str = "node.kubernetes.io/not-ready";
const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
/// How often heartbeats, taints and evictions are checked.
const TICK: Duration = Duration::from_secs(1);

/// The last heartbeat the controller saw from a node, and when it saw it change (on this controller's clock,
/// so that clock skew between the node and the control plane does not matter).
struct Heartbeat {
    probe: String,
    seen: Instant,
}

#[derive(Default)]
struct State {
    nodes: HashMap<String, Value>,
    /// Each node's Lease `renewTime`.
    leases: HashMap<String, String>,
    heartbeats: HashMap<String, Heartbeat>,
    /// Pods bound to a node and not yet being deleted, by `namespace/name`.
    pods: HashMap<String, Value>,
}

fn name(obj: &Value) -> String {
    string(obj, "/metadata/name").to_string()
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn ready_status(node: &Value) -> Option<&str> {
    array(node, "/status/conditions")
        .iter()
        .find(|c| string(c, "/type") == "Ready")
        .map(|c| string(c, "/status"))
}

/// The taints the Ready condition calls for: not-ready when False, unreachable when Unknown.
fn condition_taint_key(node: &Value) -> Option<&'static str> {
    match ready_status(node) {
        Some("False") => Some(NOT_READY),
        Some("Unknown") => Some(UNREACHABLE),
        _ => None,
    }
}

/// The node's taints with the condition taints brought in step with its Ready condition and with
/// `spec.unschedulable` (TaintNodesByCondition), or `None` when they already are. Kept taints keep their
/// `timeAdded`.
fn desired_taints(node: &Value) -> Option<Vec<Value>> {
    let current = array(node, "/spec/taints");
    let mut want: Vec<(&str, &str)> = Vec::new();
    if let Some(k) = condition_taint_key(node) {
        want.extend([(k, "NoSchedule"), (k, "NoExecute")]);
    }
    if node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        want.push((UNSCHEDULABLE, "NoSchedule"));
    }
    let ours = |t: &Value| matches!(string(t, "/key"), NOT_READY | UNREACHABLE | UNSCHEDULABLE);
    let wanted = |t: &Value| want.contains(&(string(t, "/key"), string(t, "/effect")));
    let mut taints: Vec<Value> = current
        .iter()
        .filter(|t| !ours(t) || wanted(t))
        .cloned()
        .collect();
    for (k, effect) in &want {
        let present = taints
            .iter()
            .any(|t| string(t, "/key") == *k && string(t, "/effect") == *effect);
        if !present {
            let mut taint = json!({"key": k, "effect": effect});
            if *effect == "NoExecute" {
                taint["timeAdded"] = json!(now());
            }
            taints.push(taint);
        }
    }
    (taints.len() != current.len() || taints.iter().zip(current).any(|(a, b)| a != b))
        .then_some(taints)
}

/// When the pod must leave its node: now for a NoExecute taint it does not tolerate, `timeAdded` plus the
/// shortest matching `tolerationSeconds` otherwise, never while every such taint is tolerated forever.
fn eviction_deadline(pod: &Value, node: &Value) -> Option<DateTime<Utc>> {
    let tolerations = array(pod, "/spec/tolerations");
    let mut deadline: Option<DateTime<Utc>> = None;
    for taint in array(node, "/spec/taints") {
        if string(taint, "/effect") != "NoExecute" {
            continue;
        }
        let added = DateTime::parse_from_rfc3339(string(taint, "/timeAdded"))
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|_| Utc::now());
        let matching: Vec<&Value> = tolerations
            .iter()
            .filter(|t| toleration_tolerates(t, taint))
            .collect();
        let at = if matching.is_empty() {
            Some(added)
        } else {
            // The shortest tolerationSeconds wins; only when none sets one is the taint tolerated for ever.
            matching
                .iter()
                .filter_map(|t| t.get("tolerationSeconds"))
                .map(|s| s.as_i64().unwrap_or(0).max(0))
                .min()
                .map(|s| added + chrono::Duration::seconds(s))
        };
        deadline = match (deadline, at) {
            (Some(d), Some(a)) => Some(d.min(a)),
            (d, a) => d.or(a),
        };
    }
    deadline
}

/// Applies one informer update to a map keyed by `key_of`, keeping what `keep` makes of each object (dropping
/// the entry when it makes nothing).
fn apply<T>(
    map: &mut HashMap<String, T>,
    update: Update,
    key_of: fn(&Value) -> String,
    keep: impl Fn(Value) -> Option<T>,
) {
    let put = |map: &mut HashMap<String, T>, o: Value| {
        let k = key_of(&o);
        match keep(o) {
            Some(v) => map.insert(k, v),
            None => map.remove(&k),
        };
    };
    match update {
        Update::Reset(items) => {
            map.clear();
            for o in items {
                put(map, o);
            }
        }
        Update::Added(o) | Update::Modified(o) => put(map, o),
        Update::Deleted(o) => {
            map.remove(&key_of(&o));
        }
    }
}

/// Runs the controller until the process ends. `grace` is `--node-monitor-grace-period`.
pub async fn run(client: Client, grace: Duration) {
    let mut nodes = informer::start(client.clone(), "/api/v1/nodes".into());
    let mut leases = informer::start(
        client.clone(),
        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases".into(),
    );
    let mut pods = informer::start(client.clone(), "/api/v1/pods".into());
    let mut state = State::default();
    let mut tick = tokio::time::interval(TICK);
    // Leases are kept as their renewTime, pods only while bound and not being deleted.
    let lease_renewal = |l: Value| Some(string(&l, "/spec/renewTime").to_string());
    let bound_pod = |p: Value| {
        let bound = !string(&p, "/spec/nodeName").is_empty()
            && p.pointer("/metadata/deletionTimestamp").is_none();
        bound.then_some(p)
    };
    loop {
        tokio::select! {
            Some(u) = nodes.recv() => apply(&mut state.nodes, u, name, Some),
            Some(u) = leases.recv() => apply(&mut state.leases, u, name, lease_renewal),
            Some(u) = pods.recv() => apply(&mut state.pods, u, key, bound_pod),
            _ = tick.tick() => reconcile(&client, &mut state, grace).await,
            else => return,
        }
    }
}

async fn reconcile(client: &Client, state: &mut State, grace: Duration) {
    let now = Instant::now();
    let names: Vec<String> = state.nodes.keys().cloned().collect();
    state.heartbeats.retain(|n, _| state.nodes.contains_key(n));
    for n in &names {
        let Some(node) = state.nodes.get(n) else {
            continue;
        };
        let ready_beat = array(node, "/status/conditions")
            .iter()
            .find(|c| string(c, "/type") == "Ready")
            .map(|c| string(c, "/lastHeartbeatTime"))
            .unwrap_or_default();
        let probe = format!(
            "{}|{ready_beat}",
            state.leases.get(n).map(String::as_str).unwrap_or_default()
        );
        let beat = state
            .heartbeats
            .entry(n.clone())
            .or_insert_with(|| Heartbeat {
                probe: probe.clone(),
                seen: now,
            });
        if beat.probe != probe {
            *beat = Heartbeat { probe, seen: now };
        }
        if now.duration_since(beat.seen) > grace && ready_status(node) != Some("Unknown") {
            match mark_unknown(client, node).await {
                Ok(updated) => {
                    tracing::info!(
                        node = n,
                        "node stopped posting status; marked Ready=Unknown"
                    );
                    mark_pods_not_ready(client, state, n).await;
                    state.nodes.insert(n.clone(), updated);
                }
                Err(e) => tracing::warn!(node = n, error = %e, "marking node Unknown failed"),
            }
        }
        let Some(node) = state.nodes.get(n) else {
            continue;
        };
        if let Some(taints) = desired_taints(node) {
            let patch = json!({"metadata": {"resourceVersion": string(node, "/metadata/resourceVersion")}, "spec": {"taints": taints}});
            match merge_patch(client, &format!("/api/v1/nodes/{n}"), &patch).await {
                Ok(updated) => {
                    state.nodes.insert(n.clone(), updated);
                }
                // A conflict means the watch has a newer node; the next tick uses it.
                Err(e) => tracing::debug!(node = n, error = %e, "updating condition taints failed"),
            }
        }
    }
    evict(client, state).await;
}

async fn merge_patch(client: &Client, path: &str, patch: &Value) -> Result<Value, ClientError> {
    client
        .send_json(Method::PATCH, path, "application/merge-patch+json", patch)
        .await
}

/// Sets every node condition to Unknown, as the controller does when the kubelet stops posting status.
async fn mark_unknown(client: &Client, node: &Value) -> Result<Value, ClientError> {
    let now = now();
    let mut conditions: Vec<Value> = array(node, "/status/conditions").to_vec();
    for c in conditions.iter_mut() {
        c["status"] = json!("Unknown");
        c["reason"] = json!("NodeStatusUnknown");
        c["message"] = json!("Kubelet stopped posting node status.");
        c["lastTransitionTime"] = json!(now);
    }
    if !conditions.iter().any(|c| string(c, "/type") == "Ready") {
        conditions.push(json!({"type": "Ready", "status": "Unknown", "reason": "NodeStatusNeverUpdated",
            "message": "Kubelet never posted node status.", "lastHeartbeatTime": now, "lastTransitionTime": now}));
    }
    let patch = json!({"metadata": {"resourceVersion": string(node, "/metadata/resourceVersion")}, "status": {"conditions": conditions}});
    merge_patch(
        client,
        &format!("/api/v1/nodes/{}/status", name(node)),
        &patch,
    )
    .await
}

/// Marks the Ready condition of the node's pods False, so that services stop sending them traffic.
async fn mark_pods_not_ready(client: &Client, state: &State, node: &str) {
    for pod in state
        .pods
        .values()
        .filter(|p| string(p, "/spec/nodeName") == node)
    {
        let path = format!(
            "/api/v1/namespaces/{}/pods/{}/status",
            string(pod, "/metadata/namespace"),
            name(pod)
        );
        let patch = json!({"status": {"conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": now()}]}});
        let smp = "application/strategic-merge-patch+json";
        if let Err(e) = client.send_json(Method::PATCH, &path, smp, &patch).await {
            tracing::debug!(pod = key(pod), error = %e, "marking pod not ready failed");
        }
    }
}

/// Deletes the pods whose eviction deadline has passed, recording a `TaintManagerEviction` event for each.
async fn evict(client: &Client, state: &mut State) {
    let now = Utc::now();
    let due: Vec<String> = state
        .pods
        .iter()
        .filter(|(_, pod)| {
            state
                .nodes
                .get(string(pod, "/spec/nodeName"))
                .and_then(|node| eviction_deadline(pod, node))
                .is_some_and(|at| at <= now)
        })
        .map(|(k, _)| k.clone())
        .collect();
    for k in due {
        let Some(pod) = state.pods.remove(&k) else {
            continue;
        };
        let ns = string(&pod, "/metadata/namespace");
        let path = format!("/api/v1/namespaces/{ns}/pods/{}", name(&pod));
        match client
            .send(Method::DELETE, &path, "application/json", None)
            .await
        {
            Ok(_) => {
                tracing::info!(pod = k, "evicting pod from tainted node");
                let message = format!("Marking for deletion Pod {k}");
                super::pod_event(
                    client,
                    "taint-eviction-controller",
                    &pod,
                    "Normal",
                    "TaintManagerEviction",
                    &message,
                )
                .await;
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => tracing::warn!(pod = k, error = %e, "evicting pod failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(ready: &str, taints: Value) -> Value {
        json!({"metadata": {"name": "n"}, "spec": {"taints": taints},
            "status": {"conditions": [{"type": "Ready", "status": ready}]}})
    }

    #[test]
    fn condition_taints_follow_ready() {
        let unknown = desired_taints(&node(
            "Unknown",
            json!([{"key": "a", "effect": "NoSchedule"}]),
        ))
        .unwrap_or_default();
        let keys: Vec<(&str, &str)> = unknown
            .iter()
            .map(|t| (string(t, "/key"), string(t, "/effect")))
            .collect();
        assert_eq!(
            keys,
            [
                ("a", "NoSchedule"),
                (UNREACHABLE, "NoSchedule"),
                (UNREACHABLE, "NoExecute")
            ]
        );
        // Back to Ready: only the unrelated taint stays.
        let recovered = desired_taints(&node("True", json!(unknown))).unwrap_or_default();
        assert_eq!(recovered, [json!({"key": "a", "effect": "NoSchedule"})]);
        // Already in step: nothing to do.
        assert!(desired_taints(&node("True", json!([]))).is_none());
        let not_ready = desired_taints(&node("False", json!([]))).unwrap_or_default();
        assert!(not_ready.iter().all(|t| string(t, "/key") == NOT_READY));
        assert!(desired_taints(&node("False", json!(not_ready))).is_none());
        // A cordon adds the unschedulable taint; an uncordon takes it away.
        let mut cordoned = node("True", json!([]));
        cordoned["spec"]["unschedulable"] = json!(true);
        let with = desired_taints(&cordoned).unwrap_or_default();
        assert_eq!(
            with,
            [json!({"key": UNSCHEDULABLE, "effect": "NoSchedule"})]
        );
        cordoned["spec"]["taints"] = json!(with);
        assert!(desired_taints(&cordoned).is_none());
        cordoned["spec"]["unschedulable"] = json!(false);
        assert_eq!(desired_taints(&cordoned), Some(vec![]));
    }

    #[test]
    fn eviction_follows_tolerations() {
        let added = "2026-01-01T00:00:00Z";
        let tainted = node(
            "Unknown",
            json!([{"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": added}]),
        );
        let at = |tolerations: Value| {
            eviction_deadline(&json!({"spec": {"tolerations": tolerations}}), &tainted)
        };
        let base = DateTime::parse_from_rfc3339(added)
            .map(|t| t.with_timezone(&Utc))
            .ok();
        assert_eq!(at(json!([])), base, "untolerated: evicted at once");
        let timed = json!([{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"operator": "Exists", "tolerationSeconds": 60}]);
        assert_eq!(
            at(timed),
            base.map(|b| b + chrono::Duration::seconds(60)),
            "shortest matching toleration"
        );
        assert_eq!(
            at(json!([{"operator": "Exists"}])),
            None,
            "tolerated for ever"
        );
        let mixed = json!([{"operator": "Exists"}, {"key": UNREACHABLE, "operator": "Exists", "tolerationSeconds": 5}]);
        assert_eq!(
            at(mixed),
            base.map(|b| b + chrono::Duration::seconds(5)),
            "a timed toleration limits an open one"
        );
        assert_eq!(
            eviction_deadline(&json!({}), &node("True", json!([]))),
            None
        );
    }
}
