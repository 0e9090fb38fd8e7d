//! The Deployment controller: one ReplicaSet per pod template (`<deployment>-<pod-template-hash>`), rolled
//! from old to new by RollingUpdate (maxSurge, maxUnavailable) or Recreate, with kube-controller-manager's
//! revision annotations, proportional scaling, history clean-up, and the status and conditions that
//! `kubectl rollout status` reads. It reads ReplicaSet status (which the ReplicaSet controller keeps) rather
//! than pods, and acts only by writing ReplicaSets.

use std::sync::Arc;
use std::time::Duration;

use kyb_api::client::{Client, Method};
use kyb_api::selector::LabelSelector;
use serde_json::{json, Map, Value};

use kyb_api::template::{revision, without_hash, HASH_LABEL, REVISION};

use super::replicaset::controller_ref;
use super::runtime::{cache, inform, Change, Informers, Queue, Store};
use super::{condition, namespace_and_name, object_event, str_at};
use crate::informer::key;

const COMPONENT: &str = "deployment-controller";
const DESIRED: &str = "deployment.kubernetes.io/desired-replicas";
const MAX: &str = "deployment.kubernetes.io/max-replicas";
const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

const KIND: (&str, &str) = ("apps/v1", "Deployment");

fn int(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// Kubernetes keeps counts in an int32; clamping there keeps sums of user-given counts from overflowing.
const MAX_COUNT: i64 = i32::MAX as i64;

fn replicas(obj: &Value) -> i64 {
    obj.pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .clamp(0, MAX_COUNT)
}

/// One annotation of an object.
fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    obj.pointer("/metadata/annotations")?.get(key)
}

/// kube's pod-template-hash: FNV-1a (32 bits) over the template and the collision count, written with the
/// alphabet that avoids vowels and look-alike digits (`rand.SafeEncodeString`).
pub fn template_hash(template: &Value, collisions: i64) -> String {
    let mut h: u32 = 0x811c_9dc5;
    let text = serde_json::to_string(template).unwrap_or_default();
    let count = if collisions > 0 {
        collisions.to_string()
    } else {
        String::new()
    };
    for b in text.bytes().chain(count.bytes()) {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    const SAFE: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    h.to_string()
        .bytes()
        .map(|b| char::from(SAFE[usize::from(b) % SAFE.len()]))
        .collect()
}

/// A RollingUpdate bound: an absolute number, or a percentage of `of` (surge rounds up, unavailable down).
fn resolve(bound: Option<&Value>, of: i64, round_up: bool, default: &str) -> i64 {
    let v = bound.cloned().unwrap_or(json!(default));
    let count = |n: i64| n.clamp(0, MAX_COUNT);
    count(match &v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => match s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
            Some(p) if round_up => (count(p) * count(of) + 99) / 100,
            Some(p) => count(p) * count(of) / 100,
            None => s.parse().unwrap_or(0),
        },
        _ => 0,
    })
}

/// maxSurge and maxUnavailable for a deployment (both 0 would deadlock; kube then allows one unavailable).
pub fn surge_and_unavailable(d: &Value) -> (i64, i64) {
    if str_at(d, "/spec/strategy/type") == "Recreate" {
        return (0, 0);
    }
    let want = replicas(d);
    let ru = d.pointer("/spec/strategy/rollingUpdate");
    let surge = resolve(ru.and_then(|r| r.get("maxSurge")), want, true, "25%");
    let unavailable = resolve(ru.and_then(|r| r.get("maxUnavailable")), want, false, "25%");
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

struct Controller {
    client: Client,
    deployments: Store,
    replica_sets: Store,
    pods: Store,
}

fn rs_path(ns: &str, name: &str) -> String {
    format!("/apis/apps/v1/namespaces/{ns}/replicasets/{name}")
}

impl Controller {
    /// The ReplicaSets the deployment controls, adopting matching orphans as kube does.
    async fn owned(&self, d: &Value, sel: &LabelSelector) -> Result<Vec<Arc<Value>>, String> {
        let (ns, name) = namespace_and_name(d);
        let uid = str_at(d, "/metadata/uid");
        let mut out = Vec::new();
        for rs in self.replica_sets.claimable(ns, uid) {
            match controller_ref(&rs) {
                Some(r) if str_at(r, "/uid") == uid => out.push(rs),
                None if sel.matches(rs.pointer("/metadata/labels").and_then(Value::as_object))
                    && d.pointer("/metadata/deletionTimestamp").is_none() =>
                {
                    let (_, rs_name) = namespace_and_name(&rs);
                    let patch = json!({"metadata": {"uid": str_at(&rs, "/metadata/uid"), "ownerReferences": [
                        {"apiVersion": KIND.0, "kind": KIND.1, "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true}]}});
                    match self
                        .client
                        .send_json(
                            Method::PATCH,
                            &rs_path(ns, rs_name),
                            "application/strategic-merge-patch+json",
                            &patch,
                        )
                        .await
                    {
                        Ok(adopted) => out.push(Arc::new(adopted)),
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(e.to_string()),
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Writes a ReplicaSet back whole (its resourceVersion guards against a lost update).
    async fn put_replica_set(&self, rs: &Value) -> Result<Value, String> {
        let (ns, name) = namespace_and_name(rs);
        self.client
            .send_json(Method::PUT, &rs_path(ns, name), "application/json", rs)
            .await
            .map_err(|e| e.to_string())
    }

    async fn scaling_event(&self, d: &Value, message: &str) {
        object_event(
            &self.client,
            COMPONENT,
            KIND,
            d,
            "Normal",
            "ScalingReplicaSet",
            message,
        )
        .await;
    }

    /// Writes a ReplicaSet's replicas and the deployment's size annotations, recording the scaling.
    async fn scale(&self, d: &Value, rs: &Value, to: i64) -> Result<Value, String> {
        let (surge, _) = surge_and_unavailable(d);
        let from = replicas(rs);
        let annotations =
            json!({DESIRED: replicas(d).to_string(), MAX: (replicas(d) + surge).to_string()});
        let same_annotations = annotations
            .as_object()
            .is_some_and(|a| a.iter().all(|(k, v)| annotation(rs, k) == Some(v)));
        if from == to && same_annotations {
            return Ok(rs.clone());
        }
        let (_, name) = namespace_and_name(rs);
        let mut updated = rs.clone();
        updated["spec"]["replicas"] = json!(to);
        if let Some(a) = annotations.as_object() {
            let meta = &mut updated["metadata"];
            if !meta.get("annotations").is_some_and(Value::is_object) {
                meta["annotations"] = json!({});
            }
            for (k, v) in a {
                meta["annotations"][k] = v.clone();
            }
        }
        let saved = self.put_replica_set(&updated).await?;
        if from != to {
            let way = if to > from { "up" } else { "down" };
            let message = format!("Scaled {way} replica set {name} to {to} from {from}");
            self.scaling_event(d, &message).await;
        }
        Ok(saved)
    }

    /// Finds the ReplicaSet for the current template, creating it (at `initial` replicas) when asked, and
    /// keeps revision numbers as kube does: the new set's revision is the highest old one plus one.
    async fn new_replica_set(
        &self,
        d: &Value,
        all: &[Arc<Value>],
        create: bool,
        initial: i64,
    ) -> Result<Option<Value>, String> {
        let template = without_hash(d.pointer("/spec/template"));
        let existing = all
            .iter()
            .find(|rs| without_hash(rs.pointer("/spec/template")) == template);
        let max_old = all
            .iter()
            .filter(|rs| existing.is_none_or(|e| !Arc::ptr_eq(e, rs)))
            .map(|rs| revision(rs))
            .max()
            .unwrap_or(0);
        let want_revision = (max_old + 1).to_string();
        let cause = annotation(d, CHANGE_CAUSE);
        let (ns, d_name) = namespace_and_name(d);
        if let Some(rs) = existing {
            // A set used again gets the newest revision, and the deployment's change-cause.
            let stale = revision(rs) <= max_old
                || (cause.is_some() && annotation(rs, CHANGE_CAUSE) != cause);
            if !stale {
                return Ok(Some((**rs).clone()));
            }
            let mut updated = (**rs).clone();
            if !updated["metadata"]
                .get("annotations")
                .is_some_and(Value::is_object)
            {
                updated["metadata"]["annotations"] = json!({});
            }
            if revision(rs) <= max_old {
                updated["metadata"]["annotations"][REVISION] = json!(want_revision);
            }
            if let Some(c) = cause {
                updated["metadata"]["annotations"][CHANGE_CAUSE] = c.clone();
            }
            return self.put_replica_set(&updated).await.map(Some);
        }
        if !create {
            return Ok(None);
        }
        let collisions = int(d, "/status/collisionCount");
        let hash = template_hash(&template, collisions);
        let mut rs_template = template.clone();
        rs_template["metadata"]["labels"][HASH_LABEL] = json!(hash);
        let mut selector = d.pointer("/spec/selector").cloned().unwrap_or(json!({}));
        selector["matchLabels"][HASH_LABEL] = json!(hash);
        let mut labels = template
            .pointer("/metadata/labels")
            .cloned()
            .unwrap_or(json!({}));
        labels[HASH_LABEL] = json!(hash);
        let (surge, _) = surge_and_unavailable(d);
        let mut annotations: Map<String, Value> = d
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
            .map(|a| {
                a.iter()
                    .filter(|(k, _)| {
                        *k != REVISION && *k != "kubectl.kubernetes.io/last-applied-configuration"
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        annotations.insert(REVISION.into(), json!(want_revision));
        annotations.insert(DESIRED.into(), json!(replicas(d).to_string()));
        annotations.insert(MAX.into(), json!((replicas(d) + surge).to_string()));
        let name = format!("{d_name}-{hash}");
        let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": ns, "labels": labels, "annotations": annotations,
                "ownerReferences": [{"apiVersion": KIND.0, "kind": KIND.1, "name": d_name, "uid": str_at(d, "/metadata/uid"),
                    "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"replicas": initial, "minReadySeconds": int(d, "/spec/minReadySeconds"),
                "selector": selector, "template": rs_template}});
        let path = format!("/apis/apps/v1/namespaces/{ns}/replicasets");
        match self
            .client
            .send_json(Method::POST, &path, "application/json", &rs)
            .await
        {
            Ok(created) => {
                let message = format!("Scaled up replica set {name} to {initial}");
                self.scaling_event(d, &message).await;
                Ok(Some(created))
            }
            Err(e) if e.status().is_some_and(|s| s.code == 409) => {
                // Ours already, and the cache had not caught up: use it.
                if let Ok(existing) = self.client.get_json(&rs_path(ns, &name)).await {
                    let mine = controller_ref(&existing)
                        .is_some_and(|r| str_at(r, "/uid") == str_at(d, "/metadata/uid"));
                    if mine && without_hash(existing.pointer("/spec/template")) == template {
                        return Ok(Some(existing));
                    }
                }
                // A set of that name that is not this template's: count a collision, so the next hash differs.
                let mut status = d.get("status").cloned().unwrap_or(json!({}));
                status["collisionCount"] = json!(collisions + 1);
                self.write_status(d, status).await?;
                Err(format!(
                    "replica set {name} already exists with another template"
                ))
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// Whether any pod of the old sets still exists and has not finished, terminating or not (Recreate
    /// waits for them all, as kube's `oldPodsRunning` does), from the shared pod cache.
    fn old_pods_remain(&self, olds: &[Value]) -> bool {
        olds.iter().any(|old| {
            let (ns, _) = namespace_and_name(old);
            let uid = str_at(old, "/metadata/uid");
            self.pods.claimable(ns, uid).iter().any(|p| {
                controller_ref(p).is_some_and(|r| str_at(r, "/uid") == uid)
                    && !matches!(str_at(p, "/status/phase"), "Succeeded" | "Failed")
            })
        })
    }

    async fn write_status(&self, d: &Value, status: Value) -> Result<(), String> {
        let (ns, name) = namespace_and_name(d);
        let path = format!("/apis/apps/v1/namespaces/{ns}/deployments/{name}");
        super::write_status(&self.client, &path, d, status)
            .await
            .map(|_| ())
    }
}

/// One status condition, keeping lastTransitionTime while the status stays the same.
fn set_condition(status: &mut Value, kind: &str, state: &str, reason: &str, message: &str) {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut conditions: Vec<Value> = status
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let old = conditions.iter().position(|c| c["type"] == kind);
    let transition = old
        .map(|i| &conditions[i])
        .filter(|c| c["status"] == state)
        .and_then(|c| c.get("lastTransitionTime").cloned())
        .unwrap_or(json!(now));
    let update = match old.map(|i| &conditions[i]) {
        Some(c) if c["status"] == state && c["reason"] == reason && c["message"] == message => {
            c.get("lastUpdateTime").cloned().unwrap_or(json!(now))
        }
        _ => json!(now),
    };
    let c = json!({"type": kind, "status": state, "lastUpdateTime": update, "lastTransitionTime": transition,
        "reason": reason, "message": message});
    match old {
        Some(i) => conditions[i] = c,
        None => conditions.push(c),
    }
    status["conditions"] = json!(conditions);
}

/// Scales the active sets proportionally when the deployment's size changed in the middle of a rollout,
/// as kube's `scale` does: the difference goes to the sets in proportion to their size, largest first.
async fn proportional(c: &Controller, d: &Value, active: &mut [Value]) -> Result<bool, String> {
    let want = replicas(d);
    let (surge, _) = surge_and_unavailable(d);
    let desired_of =
        |rs: &Value| -> Option<i64> { annotation(rs, DESIRED)?.as_str()?.parse().ok() };
    if active.len() < 2 || active.iter().all(|rs| desired_of(rs) == Some(want)) {
        return Ok(false);
    }
    let allowed = want + surge;
    let current: i64 = active.iter().map(replicas).sum();
    let mut left = allowed - current;
    if left == 0 {
        return Ok(false);
    }
    active.sort_by_key(|rs| std::cmp::Reverse(replicas(rs)));
    let mut targets: Vec<i64> = active.iter().map(replicas).collect();
    for (i, rs) in active.iter().enumerate() {
        if left == 0 {
            break;
        }
        let share = if current > 0 {
            (replicas(rs) * (allowed - current)) / current
        } else {
            0
        };
        let share = if share == 0 { left.signum() } else { share };
        let share = if left > 0 {
            share.min(left)
        } else {
            share.max(left)
        };
        targets[i] = (targets[i] + share).max(0);
        left -= share;
    }
    if left != 0 {
        targets[0] = (targets[0] + left).max(0);
    }
    for (rs, to) in active.iter_mut().zip(targets) {
        *rs = c.scale(d, rs, to).await?;
    }
    Ok(true)
}

async fn sync(c: &Controller, k: &str) -> Result<Option<Duration>, String> {
    let Some(d) = c.deployments.get(k) else {
        return Ok(None);
    };
    let d: Value = (*d).clone();
    if d.pointer("/metadata/deletionTimestamp").is_some() {
        return Ok(None);
    }
    let Some(sel) = d
        .pointer("/spec/selector")
        .and_then(|s| LabelSelector::from_json(s).ok())
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    let all = c.owned(&d, &sel).await?;
    let want = replicas(&d);
    let paused = d.pointer("/spec/paused").and_then(Value::as_bool) == Some(true);
    let recreate = str_at(&d, "/spec/strategy/type") == "Recreate";
    let (surge, max_unavailable) = surge_and_unavailable(&d);
    let mut status = d.get("status").cloned().unwrap_or(json!({}));
    let old_active: i64 = all.iter().map(|rs| replicas(rs)).sum();

    // The new set: created at its full size when nothing else runs, or at what surge allows.
    let mut new_rs = c.new_replica_set(&d, &all, false, 0).await?;
    if new_rs.is_none() && !paused {
        let initial = if recreate || old_active == 0 {
            if recreate && old_active > 0 {
                0
            } else {
                want
            }
        } else {
            (want + surge - old_active).clamp(0, want)
        };
        new_rs = c.new_replica_set(&d, &all, true, initial).await?;
        if let Some(rs) = &new_rs {
            let message = format!("Created new replica set \"{}\"", namespace_and_name(rs).1);
            set_condition(
                &mut status,
                "Progressing",
                "True",
                "NewReplicaSetCreated",
                &message,
            );
        }
    }
    let new_uid = new_rs
        .as_ref()
        .map(|rs| str_at(rs, "/metadata/uid").to_string());
    let mut olds: Vec<Value> = all
        .iter()
        .filter(|rs| Some(str_at(rs, "/metadata/uid")) != new_uid.as_deref())
        .map(|rs| (**rs).clone())
        .collect();
    olds.sort_by(|a, b| {
        str_at(a, "/metadata/creationTimestamp").cmp(str_at(b, "/metadata/creationTimestamp"))
    });

    let mut active: Vec<Value> = olds
        .iter()
        .filter(|rs| replicas(rs) > 0)
        .cloned()
        .chain(new_rs.clone())
        .collect();
    let scaled = proportional(c, &d, &mut active).await?;
    if scaled {
        // Sizes changed; the sets' watch events bring the next step.
    } else if paused {
        // Paused: no rollout, but scaling still applies. With one active set it takes the full size; with
        // none, the newest set does (kube's `scale`).
        let only = match active.as_slice() {
            [one] => Some(one.clone()),
            [] => all
                .iter()
                .max_by_key(|rs| revision(rs))
                .map(|rs| (**rs).clone()),
            _ => None,
        };
        if let Some(rs) = only.filter(|rs| replicas(rs) != want) {
            c.scale(&d, &rs, want).await?;
        }
    } else if let Some(rs) = new_rs.clone() {
        if recreate {
            for old in olds.iter().filter(|o| replicas(o) > 0) {
                c.scale(&d, old, 0).await?;
            }
            // The new pods start only once every old one has gone, terminating ones included.
            if c.old_pods_remain(&olds) {
                return Ok(Some(Duration::from_millis(500)));
            }
            if replicas(&rs) != want {
                new_rs = Some(c.scale(&d, &rs, want).await?);
            }
        } else {
            // Scale the new set up within maxSurge...
            let total: i64 = olds.iter().map(replicas).sum::<i64>() + replicas(&rs);
            let target = if replicas(&rs) > want {
                want
            } else {
                let room = (want + surge - total).max(0);
                replicas(&rs) + room.min(want - replicas(&rs))
            };
            let rs = c.scale(&d, &rs, target).await?;
            // ...and the old ones down within maxUnavailable, unhealthy pods first.
            let min_available = want - max_unavailable;
            let new_unavailable = (replicas(&rs) - int(&rs, "/status/availableReplicas")).max(0);
            let total: i64 = olds.iter().map(replicas).sum::<i64>() + replicas(&rs);
            let mut budget = total - min_available - new_unavailable;
            for old in olds.iter_mut().filter(|o| replicas(o) > 0) {
                if budget <= 0 {
                    break;
                }
                let unhealthy = (replicas(old) - int(old, "/status/availableReplicas")).max(0);
                let cut = unhealthy.min(budget);
                if cut > 0 {
                    *old = c.scale(&d, old, replicas(old) - cut).await?;
                    budget -= cut;
                }
            }
            let available: i64 = olds
                .iter()
                .chain([&rs])
                .map(|r| int(r, "/status/availableReplicas"))
                .sum();
            let mut budget = (available - min_available).min(budget);
            for old in olds.iter_mut().filter(|o| replicas(o) > 0) {
                if budget <= 0 {
                    break;
                }
                let cut = replicas(old).min(budget);
                *old = c.scale(&d, old, replicas(old) - cut).await?;
                budget -= cut;
            }
            new_rs = Some(rs);
        }
    }

    // History: old sets scaled to nothing beyond revisionHistoryLimit go, oldest first.
    let limit = d
        .pointer("/spec/revisionHistoryLimit")
        .and_then(Value::as_i64)
        .unwrap_or(10)
        .max(0);
    let idle: Vec<&Value> = olds
        .iter()
        .filter(|o| replicas(o) == 0 && int(o, "/status/replicas") == 0)
        .collect();
    let excess = idle.len().saturating_sub(limit as usize);
    for old in idle.into_iter().take(excess) {
        let (ns, name) = namespace_and_name(old);
        match c
            .client
            .send(Method::DELETE, &rs_path(ns, name), "application/json", None)
            .await
        {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.to_string()),
        }
    }

    // Status, from the sets' own status.
    let sets: Vec<&Value> = olds.iter().chain(new_rs.as_ref()).collect();
    let sum = |p: &str| -> i64 { sets.iter().map(|rs| int(rs, p)).sum() };
    let available = sum("/status/availableReplicas");
    let spec_total: i64 = sets.iter().map(|rs| replicas(rs)).sum();
    let updated = new_rs.as_ref().map_or(0, |rs| int(rs, "/status/replicas"));
    status["observedGeneration"] = d
        .pointer("/metadata/generation")
        .cloned()
        .unwrap_or(json!(1));
    status["replicas"] = json!(sum("/status/replicas"));
    status["updatedReplicas"] = json!(updated);
    status["readyReplicas"] = json!(sum("/status/readyReplicas"));
    status["availableReplicas"] = json!(available);
    status["unavailableReplicas"] = json!((spec_total - available).max(0));
    if available >= want - max_unavailable {
        set_condition(
            &mut status,
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        );
    } else {
        set_condition(
            &mut status,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        );
    }
    let rs_name = new_rs
        .as_ref()
        .map(|rs| namespace_and_name(rs).1.to_string())
        .unwrap_or_default();
    let complete = new_rs.is_some()
        && updated == want
        && int(
            new_rs.as_ref().unwrap_or(&Value::Null),
            "/status/availableReplicas",
        ) == want
        && sum("/status/replicas") == updated;
    let mut recheck = None;
    if paused {
        set_condition(
            &mut status,
            "Progressing",
            "Unknown",
            "DeploymentPaused",
            "Deployment is paused",
        );
    } else if let Some(deadline) = d
        .pointer("/spec/progressDeadlineSeconds")
        .and_then(Value::as_i64)
        .map(|s| s.clamp(0, i64::from(i32::MAX)))
    {
        let before = d.get("status").cloned().unwrap_or(json!({}));
        let reason = condition(&status, "Progressing").map(|p| p["reason"].clone());
        if reason.as_ref().is_some_and(|r| r == "DeploymentPaused") {
            set_condition(
                &mut status,
                "Progressing",
                "Unknown",
                "DeploymentResumed",
                "Deployment is resumed",
            );
        }
        // kube's DeploymentProgressing: more updated, ready or available pods, or fewer old ones.
        let grew = |f: &str| int(&status, f) > int(&before, f);
        let old_pods = |s: &Value| int(s, "/replicas") - int(s, "/updatedReplicas");
        let progressed = grew("/updatedReplicas")
            || grew("/readyReplicas")
            || grew("/availableReplicas")
            || old_pods(&status) < old_pods(&before);
        if complete {
            set_condition(
                &mut status,
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                &format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
            );
        } else if progressed || reason.is_none() {
            set_condition(
                &mut status,
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                &format!("ReplicaSet \"{rs_name}\" is progressing."),
            );
        } else if reason
            .as_ref()
            .is_none_or(|r| r != "ProgressDeadlineExceeded")
        {
            // No progress since the condition's last update: past the deadline, the rollout has failed.
            let since = condition(&status, "Progressing")
                .and_then(|p| p.get("lastUpdateTime"))
                .and_then(Value::as_str)
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            let elapsed = since.map_or(0, |t| {
                chrono::Utc::now().signed_duration_since(t).num_seconds()
            });
            if elapsed >= deadline {
                set_condition(
                    &mut status,
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    &format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
                );
            } else {
                recheck = Some(Duration::from_secs((deadline - elapsed).max(1) as u64));
            }
        }
    }
    if let Some(rs) = &new_rs {
        let rev = revision(rs).to_string();
        if annotation(&d, REVISION).and_then(Value::as_str) != Some(rev.as_str()) {
            let (ns, name) = namespace_and_name(&d);
            let patch = json!({"metadata": {"annotations": {REVISION: rev}}});
            let path = format!("/apis/apps/v1/namespaces/{ns}/deployments/{name}");
            c.client
                .send_json(Method::PATCH, &path, "application/merge-patch+json", &patch)
                .await
                .map_err(|e| e.to_string())?;
            return Ok(None); // The annotation's own watch event brings the status write.
        }
    }
    c.write_status(&d, status).await?;
    Ok(recheck)
}

/// Runs the Deployment controller until the process ends.
pub async fn run(informers: Informers, workers: usize) {
    let client = informers.client().clone();
    let (deployments, mut deployment_changes) =
        inform(&informers, "/apis/apps/v1/deployments").await;
    let (replica_sets, mut rs_changes) = inform(&informers, "/apis/apps/v1/replicasets").await;
    // Only read: Recreate waits on it.
    let pods = cache(&informers, "/api/v1/pods").await;
    let c = Arc::new(Controller {
        client,
        deployments,
        replica_sets,
        pods,
    });
    let queue = Queue::serve(&c, workers, |c, k| async move { sync(&c, &k).await });
    let owner_key = |rs: &Value| -> Option<String> {
        let r = controller_ref(rs).filter(|r| r["kind"] == "Deployment")?;
        Some(format!(
            "{}/{}",
            namespace_and_name(rs).0,
            str_at(r, "/name")
        ))
    };
    loop {
        tokio::select! {
            change = deployment_changes.recv() => match change {
                Some(Change::Upsert { new, .. }) => queue.add(key(&new)),
                Some(Change::Gone(_)) => {}
                None => return,
            },
            change = rs_changes.recv() => {
                let rs = match change {
                    Some(Change::Upsert { new, .. }) => new,
                    Some(Change::Gone(old)) => old,
                    None => return,
                };
                match owner_key(&rs) {
                    Some(k) => queue.add(k),
                    // An orphan may be adopted by a deployment whose selector matches it.
                    None => {
                        let ns = namespace_and_name(&rs).0;
                        for d in c.deployments.in_namespace(ns) {
                            let matches = d.pointer("/spec/selector")
                                .and_then(|s| LabelSelector::from_json(s).ok())
                                .is_some_and(|s| !s.is_empty() && s.matches(rs.pointer("/metadata/labels").and_then(Value::as_object)));
                            if matches {
                                queue.add(key(&d));
                            }
                        }
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
    fn surge_and_unavailable_round_as_kube_does() {
        let d = |strategy: Value, n: i64| json!({"spec": {"replicas": n, "strategy": strategy}});
        assert_eq!(surge_and_unavailable(&d(json!({}), 10)), (3, 2));
        assert_eq!(
            surge_and_unavailable(&d(
                json!({"rollingUpdate": {"maxSurge": 2, "maxUnavailable": "50%"}}),
                5
            )),
            (2, 2)
        );
        assert_eq!(
            surge_and_unavailable(&d(
                json!({"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}),
                5
            )),
            (0, 1)
        );
        // Counts beyond int32 (which the API server does not yet refuse) are clamped, not overflowed.
        let huge = d(
            json!({"rollingUpdate": {"maxSurge": i64::MAX, "maxUnavailable": "9223372036854775807%"}}),
            i64::MAX,
        );
        assert_eq!(
            surge_and_unavailable(&huge),
            (i64::from(i32::MAX), i64::from(i32::MAX))
        );
        assert_eq!(
            surge_and_unavailable(&d(json!({"type": "Recreate"}), 5)),
            (0, 0)
        );
        assert_eq!(
            surge_and_unavailable(&d(
                json!({"rollingUpdate": {"maxSurge": "1%", "maxUnavailable": "1%"}}),
                3
            )),
            (1, 0)
        );
    }

    #[test]
    fn template_hashes_are_stable_safe_and_collision_aware() {
        let t = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "a"}]}});
        let h = template_hash(&t, 0);
        assert_eq!(h, template_hash(&t.clone(), 0));
        assert!(
            h.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)),
            "{h}"
        );
        assert_ne!(h, template_hash(&t, 1));
        let mut other = t.clone();
        other["spec"]["containers"][0]["image"] = json!("b");
        assert_ne!(h, template_hash(&other, 0));
    }

    #[test]
    fn conditions_keep_their_transition_time() {
        let mut s = json!({"conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
            "message": "m", "lastTransitionTime": "2020-01-01T00:00:00Z", "lastUpdateTime": "2020-01-01T00:00:00Z"}]});
        set_condition(&mut s, "Available", "True", "MinimumReplicasAvailable", "m");
        assert_eq!(
            s["conditions"][0]["lastTransitionTime"],
            "2020-01-01T00:00:00Z"
        );
        assert_eq!(s["conditions"][0]["lastUpdateTime"], "2020-01-01T00:00:00Z");
        set_condition(
            &mut s,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "n",
        );
        assert_ne!(
            s["conditions"][0]["lastTransitionTime"],
            "2020-01-01T00:00:00Z"
        );
        set_condition(&mut s, "Progressing", "True", "ReplicaSetUpdated", "p");
        assert_eq!(s["conditions"].as_array().map(Vec::len), Some(2));
    }
}
