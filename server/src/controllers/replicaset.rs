//! The ReplicaSet and ReplicationController controllers: keep `spec.replicas` pods that match the selector,
//! adopting and releasing pods by selector and controller reference, deleting the least valuable pods first,
//! and reporting the counts in status. One implementation serves both kinds, as in kube-controller-manager.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kyb_api::client::{Client, ClientError, Method};
use kyb_api::selector::LabelSelector;
use serde_json::{json, Map, Value};

use super::runtime::{inform, Change, Informers, Queue, Store};
use super::{namespace_and_name, object_event, send_unless_gone};

/// Which of the two kinds a controller instance manages.
#[derive(Clone, Copy)]
pub struct Flavor {
    pub kind: &'static str,
    pub api_version: &'static str,
    /// The collection URL prefix, before `/namespaces/...`.
    pub base: &'static str,
    pub plural: &'static str,
    pub component: &'static str,
}

pub const REPLICA_SET: Flavor = Flavor {
    kind: "ReplicaSet",
    api_version: "apps/v1",
    base: "/apis/apps/v1",
    plural: "replicasets",
    component: "replicaset-controller",
};

pub const REPLICATION_CONTROLLER: Flavor = Flavor {
    kind: "ReplicationController",
    api_version: "v1",
    base: "/api/v1",
    plural: "replicationcontrollers",
    component: "replication-controller",
};

/// How many pods one sync creates or deletes at most (kube-controller-manager's burstReplicas).
const BURST: usize = 500;
/// Expectations older than this are ignored, in case a watch event was missed (kube's 5 minutes).
const EXPECTATIONS_TTL: Duration = Duration::from_secs(300);

/// Creates and deletes this controller made that the pod cache has not shown yet, per owner key: kube's
/// ControllerExpectations, which keep a sync from creating the same pods twice while the cache catches up.
#[derive(Default)]
pub struct Expectations(Mutex<HashMap<String, (i64, i64, Instant)>>);

impl Expectations {
    fn expect(&self, k: &str, adds: i64, dels: i64) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(k.to_string(), (adds, dels, Instant::now()));
        }
    }

    fn observed(&self, k: &str, add: bool) {
        if let Ok(mut m) = self.0.lock() {
            if let Some(e) = m.get_mut(k) {
                if add {
                    e.0 -= 1;
                } else {
                    e.1 -= 1;
                }
            }
        }
    }

    /// Lowers an expectation when a create or delete the controller asked for did not happen.
    fn lower(&self, k: &str, adds: i64, dels: i64) {
        if let Ok(mut m) = self.0.lock() {
            if let Some(e) = m.get_mut(k) {
                e.0 -= adds;
                e.1 -= dels;
            }
        }
    }

    pub fn satisfied(&self, k: &str) -> bool {
        self.0.lock().map_or(true, |m| {
            m.get(k)
                .is_none_or(|(a, d, at)| (*a <= 0 && *d <= 0) || at.elapsed() > EXPECTATIONS_TTL)
        })
    }

    pub fn forget(&self, k: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(k);
        }
    }
}

/// The owner's selector: a LabelSelector for ReplicaSets, a plain label map for ReplicationControllers
/// (which defaults to the template's labels).
fn selector(flavor: Flavor, owner: &Value) -> Option<LabelSelector> {
    let spec = owner.get("spec")?;
    if flavor.kind == "ReplicationController" {
        let map = spec
            .get("selector")
            .filter(|s| s.as_object().is_some_and(|m| !m.is_empty()))
            .or_else(|| spec.pointer("/template/metadata/labels"))?;
        return LabelSelector::from_json(&json!({ "matchLabels": map })).ok();
    }
    let sel = LabelSelector::from_json(spec.get("selector")?).ok()?;
    // An empty selector would select every pod in the namespace; validation forbids it, and so do we.
    (!sel.is_empty()).then_some(sel)
}

fn labels(obj: &Value) -> Option<&Map<String, Value>> {
    obj.pointer("/metadata/labels").and_then(Value::as_object)
}

fn uid(obj: &Value) -> &str {
    super::str_at(obj, "/metadata/uid")
}

/// The ownerReference marked `controller: true`, if any.
pub fn controller_ref(obj: &Value) -> Option<&Value> {
    obj.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
}

/// Whether the pod still counts: not finished, not being deleted.
pub fn is_active(pod: &Value) -> bool {
    !matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    ) && pod.pointer("/metadata/deletionTimestamp").is_none()
}

/// The pod's Ready condition: whether it is True, and since when.
fn ready_since(pod: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    let c = pod
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))?;
    if c.get("status").and_then(Value::as_str) != Some("True") {
        return None;
    }
    let at = c.get("lastTransitionTime").and_then(Value::as_str);
    Some(
        at.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC),
    )
}

/// The pod's Ready condition is True.
pub fn is_ready(pod: &Value) -> bool {
    ready_since(pod).is_some()
}

/// Ready for at least `min_ready` seconds (kube's IsPodAvailable).
pub fn is_available(pod: &Value, min_ready: i64, now: chrono::DateTime<chrono::Utc>) -> bool {
    let min_ready = min_ready.clamp(0, i64::from(i32::MAX));
    ready_since(pod)
        .is_some_and(|since| min_ready <= 0 || since + chrono::Duration::seconds(min_ready) <= now)
}

/// kube's ActivePods ordering for deletion, most deletable first: unscheduled before scheduled, pending
/// before running, not ready before ready, lower pod-deletion-cost first, more restarts first, newer first.
fn deletion_rank(pod: &Value) -> impl Ord {
    let scheduled = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let phase = match pod.pointer("/status/phase").and_then(Value::as_str) {
        Some("Pending") => 0,
        Some("Running") => 2,
        _ => 1,
    };
    let cost: i64 = pod
        .pointer("/metadata/annotations/controller.kubernetes.io~1pod-deletion-cost")
        .and_then(Value::as_str)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let restarts: i64 = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
                .sum()
        })
        .unwrap_or(0);
    let created = pod
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    (
        scheduled,
        phase,
        ready_since(pod).is_some(),
        cost,
        std::cmp::Reverse(restarts),
        std::cmp::Reverse(created),
    )
}

/// A pod made from the owner's template, owned by it (kube's GetPodFromTemplate).
pub fn pod_from_template(kind: (&str, &str), owner: &Value) -> Value {
    let (ns, name) = namespace_and_name(owner);
    let template = owner
        .pointer("/spec/template")
        .cloned()
        .unwrap_or(json!({}));
    let mut metadata = Map::new();
    for f in ["labels", "annotations", "finalizers"] {
        if let Some(v) = template.pointer(&format!("/metadata/{f}")) {
            metadata.insert(f.into(), v.clone());
        }
    }
    metadata.insert("generateName".into(), json!(format!("{name}-")));
    metadata.insert("namespace".into(), json!(ns));
    metadata.insert(
        "ownerReferences".into(),
        json!([{"apiVersion": kind.0, "kind": kind.1, "name": name, "uid": uid(owner),
            "controller": true, "blockOwnerDeletion": true}]),
    );
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
        "spec": template.get("spec").cloned().unwrap_or(json!({}))})
}

struct Controller {
    flavor: Flavor,
    owners: Store,
    pc: PodControl,
}

/// What a controller of pods is: its kind (for owner references and events), its event source, and the
/// pods it creates and deletes (`run` shares one per kind between all syncs).
pub struct PodControl {
    pub client: Client,
    pub pods: Store,
    pub kind: (&'static str, &'static str),
    pub component: &'static str,
    pub expectations: Expectations,
    /// A finalizer every pod of this controller carries, added to pods it adopts (a Job's tracking one).
    pub finalizer: Option<&'static str>,
}

impl PodControl {
    /// The pods an owner controls after adoption and release, as kube's PodControllerRefManager claims them.
    pub async fn claim(
        &self,
        owner: &Value,
        sel: &LabelSelector,
    ) -> Result<Vec<Arc<Value>>, String> {
        let (ns, _) = namespace_and_name(owner);
        let owner_uid = uid(owner);
        let deleting = owner.pointer("/metadata/deletionTimestamp").is_some();
        let mut owned = Vec::new();
        for pod in self.pods.claimable(ns, owner_uid) {
            let matches = sel.matches(labels(&pod));
            match controller_ref(&pod) {
                Some(r) if r.get("uid").and_then(Value::as_str) == Some(owner_uid) => {
                    if matches || deleting {
                        owned.push(pod);
                    } else if is_active(&pod) {
                        // Its labels no longer match: let it go (remove our reference).
                        self.release(&pod, owner_uid).await?;
                    }
                }
                Some(_) => {}
                None => {
                    let adoptable = matches && !deleting && is_active(&pod);
                    if adoptable && self.adopt(owner, &pod).await? {
                        owned.push(pod);
                    }
                }
            }
        }
        Ok(owned)
    }

    async fn adopt(&self, owner: &Value, pod: &Value) -> Result<bool, String> {
        let (ns, name) = namespace_and_name(pod);
        let (_, owner_name) = namespace_and_name(owner);
        // A strategic-merge patch of ownerReferences (merged by uid), with the pod's uid as precondition.
        let mut patch = json!({"metadata": {"uid": uid(pod), "ownerReferences": [{"apiVersion": self.kind.0,
            "kind": self.kind.1, "name": owner_name, "uid": uid(owner), "controller": true, "blockOwnerDeletion": true}]}});
        if let Some(f) = self.finalizer {
            let mut finalizers: Vec<Value> = pod
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if !finalizers.iter().any(|x| x == f) {
                finalizers.push(json!(f));
            }
            patch["metadata"]["finalizers"] = json!(finalizers);
        }
        let path = format!("/api/v1/namespaces/{ns}/pods/{name}");
        match self
            .client
            .send_json(
                Method::PATCH,
                &path,
                "application/strategic-merge-patch+json",
                &patch,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn release(&self, pod: &Value, owner_uid: &str) -> Result<(), String> {
        let (ns, name) = namespace_and_name(pod);
        let patch = json!({"metadata": {"uid": uid(pod), "ownerReferences": [{"$patch": "delete", "uid": owner_uid}]}});
        let path = format!("/api/v1/namespaces/{ns}/pods/{name}");
        let smp = "application/strategic-merge-patch+json";
        send_unless_gone(&self.client, Method::PATCH, &path, smp, &patch).await
    }

    /// Records an event about the owner, from this controller.
    pub async fn record(&self, owner: &Value, kind: &str, reason: &str, message: &str) {
        object_event(
            &self.client,
            self.component,
            self.kind,
            owner,
            kind,
            reason,
            message,
        )
        .await;
    }

    /// Creates pods from `bodies`, expecting them under the owner key `k`. Slow start, as kube does: 1, 2,
    /// 4... creates at a time, stopping at the first failure, so that a template the API server rejects
    /// costs one request rather than hundreds.
    pub async fn create(&self, k: &str, owner: &Value, bodies: Vec<Value>) -> Result<(), String> {
        let (ns, _) = namespace_and_name(owner);
        let n = bodies.len();
        self.expectations.expect(k, n as i64, 0);
        let path = format!("/api/v1/namespaces/{ns}/pods");
        let (mut done, mut batch) = (0usize, 1usize);
        let mut bodies = bodies.into_iter();
        while done < n {
            let size = batch.min(n - done);
            let results = futures::future::join_all(bodies.by_ref().take(size).map(|body| {
                let path = &path;
                async move {
                    self.client
                        .send_json(Method::POST, path, "application/json", &body)
                        .await
                }
            }))
            .await;
            let mut failed = None;
            for r in results {
                match r {
                    Ok(pod) => {
                        let (_, pod_name) = namespace_and_name(&pod);
                        let message = format!("Created pod: {pod_name}");
                        self.record(owner, "Normal", "SuccessfulCreate", &message)
                            .await;
                    }
                    Err(e) => {
                        self.expectations.lower(k, 1, 0);
                        failed = Some(e);
                    }
                }
            }
            done += size;
            if let Some(e) = failed {
                self.expectations.lower(k, (n - done) as i64, 0);
                let message = format!("Error creating: {}", client_message(&e));
                self.record(owner, "Warning", "FailedCreate", &message)
                    .await;
                return Err(e.to_string());
            }
            batch *= 2;
        }
        Ok(())
    }

    /// Deletes `victims`, expecting their deletion under the owner key `k`.
    pub async fn delete(
        &self,
        k: &str,
        owner: &Value,
        victims: &[&Arc<Value>],
    ) -> Result<(), String> {
        self.expectations.expect(k, 0, victims.len() as i64);
        let results = futures::future::join_all(victims.iter().map(|p| {
            let (ns, name) = namespace_and_name(p);
            let path = format!("/api/v1/namespaces/{ns}/pods/{name}");
            async move {
                (
                    name,
                    self.client
                        .send(Method::DELETE, &path, "application/json", None)
                        .await,
                )
            }
        }))
        .await;
        let mut failed = None;
        for (name, r) in results {
            match r {
                Ok(_) => {
                    let message = format!("Deleted pod: {name}");
                    self.record(owner, "Normal", "SuccessfulDelete", &message)
                        .await;
                }
                Err(e) if e.is_not_found() => self.expectations.lower(k, 0, 1),
                Err(e) => {
                    self.expectations.lower(k, 0, 1);
                    failed = Some(e);
                }
            }
        }
        failed.map_or(Ok(()), |e| Err(e.to_string()))
    }

    /// The owner keys a pod change should wake, with the change noted against their expectations: the pod's
    /// controller if it is of our kind, else (for orphans) every owner in the namespace whose selector
    /// matches, which may adopt it; and the same for the pod as it was, since a label or owner change may
    /// concern its previous owner too.
    pub fn route(
        &self,
        owners: &Store,
        change: &Change,
        selector: impl Fn(&Value) -> Option<LabelSelector>,
    ) -> Vec<String> {
        let (old, pod, gone) = match change {
            Change::Upsert { old, new } => (old.as_deref(), &**new, false),
            Change::Gone(p) => (None, &**p, true),
        };
        let owners_of = |pod: &Value| -> Vec<String> {
            let (ns, _) = namespace_and_name(pod);
            match controller_ref(pod) {
                Some(r) if super::str_at(r, "/kind") == self.kind.1 => {
                    vec![format!("{ns}/{}", super::str_at(r, "/name"))]
                }
                Some(_) => Vec::new(),
                None => owners
                    .in_namespace(ns)
                    .iter()
                    .filter(|o| selector(o).is_some_and(|s| s.matches(labels(pod))))
                    .map(|o| crate::informer::key(o))
                    .collect(),
            }
        };
        let mut keys = owners_of(pod);
        keys.extend(old.map(owners_of).unwrap_or_default());
        keys.sort();
        keys.dedup();
        for k in &keys {
            self.observe(k, old, pod, gone);
        }
        keys
    }

    /// Notes a pod change against the owner key `k`: a create the cache now shows, or a deletion, which
    /// counts once the pod is marked for it (kube's updatePod), or when it goes unmarked.
    fn observe(&self, k: &str, old: Option<&Value>, pod: &Value, gone: bool) {
        let deleting = |p: &Value| p.pointer("/metadata/deletionTimestamp").is_some();
        if old.is_none() && !gone && controller_ref(pod).is_some() {
            self.expectations.observed(k, true);
        }
        let marked = !gone && deleting(pod) && old.is_some_and(|o| !deleting(o));
        if marked || (gone && !deleting(pod)) {
            self.expectations.observed(k, false);
        }
    }
}

/// Creates or deletes pods so that `replicas` are active, at most [`BURST`] per sync.
async fn manage(
    c: &Controller,
    k: &str,
    owner: &Value,
    active: &[Arc<Value>],
) -> Result<(), String> {
    let want = owner
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(0) as usize;
    if active.len() < want {
        let n = (want - active.len()).min(BURST);
        let body = pod_from_template(c.pc.kind, owner);
        c.pc.create(k, owner, vec![body; n]).await
    } else if active.len() > want {
        let mut victims: Vec<&Arc<Value>> = active.iter().collect();
        victims.sort_by_key(|p| deletion_rank(p));
        let victims = &victims[..(active.len() - want).min(BURST)];
        c.pc.delete(k, owner, victims).await
    } else {
        Ok(())
    }
}

fn client_message(e: &ClientError) -> String {
    e.status()
        .map(|s| s.message.clone())
        .unwrap_or_else(|| e.to_string())
}

/// Writes status counts when they changed; returns how long until a pod becomes available, if one will.
async fn update_status(
    c: &Controller,
    owner: &Value,
    owned: &[Arc<Value>],
) -> Result<Option<Duration>, String> {
    let now = chrono::Utc::now();
    // Kubernetes keeps these in an int32; clamping keeps date arithmetic on user input from overflowing.
    let min_ready = owner
        .pointer("/spec/minReadySeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .clamp(0, i64::from(i32::MAX));
    let active: Vec<&Arc<Value>> = owned.iter().filter(|p| is_active(p)).collect();
    let template_labels = owner
        .pointer("/spec/template/metadata/labels")
        .and_then(Value::as_object);
    let fully_labeled = active
        .iter()
        .filter(|p| {
            template_labels.is_none_or(|t| {
                t.iter()
                    .all(|(k, v)| labels(p).and_then(|l| l.get(k)) == Some(v))
            })
        })
        .count();
    let ready = active.iter().filter(|p| ready_since(p).is_some()).count();
    let available = active
        .iter()
        .filter(|p| is_available(p, min_ready, now))
        .count();
    // A ready pod that is not yet available becomes so after minReadySeconds: sync again then.
    let recheck = active
        .iter()
        .filter_map(|p| ready_since(p))
        .map(|since| since + chrono::Duration::seconds(min_ready) - now)
        .filter(|d| *d > chrono::Duration::zero())
        .min()
        .and_then(|d| d.to_std().ok());
    let mut status = owner.get("status").cloned().unwrap_or(json!({}));
    status["replicas"] = json!(active.len());
    status["fullyLabeledReplicas"] = json!(fully_labeled);
    status["readyReplicas"] = json!(ready);
    status["availableReplicas"] = json!(available);
    if let Some(g) = owner.pointer("/metadata/generation") {
        status["observedGeneration"] = g.clone();
    }
    let (ns, name) = namespace_and_name(owner);
    let path = format!(
        "{}/namespaces/{ns}/{}/{name}",
        c.flavor.base, c.flavor.plural
    );
    super::write_status(&c.pc.client, &path, owner, status).await?;
    Ok(recheck)
}

async fn sync(c: &Controller, k: &str) -> Result<Option<Duration>, String> {
    let Some(owner) = c.owners.get(k) else {
        c.pc.expectations.forget(k);
        return Ok(None);
    };
    let Some(sel) = selector(c.flavor, &owner) else {
        return Ok(None);
    };
    let owned = c.pc.claim(&owner, &sel).await?;
    let active: Vec<Arc<Value>> = owned.iter().filter(|p| is_active(p)).cloned().collect();
    if c.pc.expectations.satisfied(k) && owner.pointer("/metadata/deletionTimestamp").is_none() {
        manage(c, k, &owner, &active).await?;
    }
    update_status(c, &owner, &owned).await
}

/// Runs the controller for one flavor until the process ends.
pub async fn run(informers: Informers, flavor: Flavor, workers: usize) {
    let client = informers.client().clone();
    let (owners, mut owner_changes) =
        inform(&informers, &format!("{}/{}", flavor.base, flavor.plural)).await;
    let (pods, mut pod_changes) = inform(&informers, "/api/v1/pods").await;
    let c = Arc::new(Controller {
        flavor,
        owners,
        pc: PodControl {
            client,
            pods,
            kind: (flavor.api_version, flavor.kind),
            component: flavor.component,
            expectations: Expectations::default(),
            finalizer: None,
        },
    });
    let queue = Queue::serve(&c, workers, |c, k| async move { sync(&c, &k).await });
    loop {
        tokio::select! {
            change = owner_changes.recv() => match change {
                Some(change) => queue.add(change.key()),
                None => return,
            },
            change = pod_changes.recv() => {
                let Some(change) = change else { return };
                for k in c.pc.route(&c.owners, &change, |o| selector(flavor, o)) {
                    queue.add(k);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, node: &str, phase: &str, ready: bool, created: &str) -> Value {
        json!({"metadata": {"name": name, "creationTimestamp": created},
            "spec": {"nodeName": node},
            "status": {"phase": phase, "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"},
                "lastTransitionTime": "2026-01-01T00:00:00Z"}]}})
    }

    #[test]
    fn the_least_valuable_pods_are_deleted_first() {
        let mut pods = [
            pod("old-ready", "n1", "Running", true, "2026-01-01T00:00:00Z"),
            pod("new-ready", "n1", "Running", true, "2026-01-02T00:00:00Z"),
            pod("not-ready", "n1", "Running", false, "2026-01-01T00:00:00Z"),
            pod("pending", "n1", "Pending", false, "2026-01-01T00:00:00Z"),
            pod("unscheduled", "", "Pending", false, "2026-01-01T00:00:00Z"),
        ];
        pods.sort_by_key(deletion_rank);
        let order: Vec<&str> = pods
            .iter()
            .map(|p| p["metadata"]["name"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            order,
            [
                "unscheduled",
                "pending",
                "not-ready",
                "new-ready",
                "old-ready"
            ]
        );
    }

    #[test]
    fn selectors_of_both_kinds() {
        let rc = json!({"spec": {"template": {"metadata": {"labels": {"app": "web"}}}}});
        let s = selector(REPLICATION_CONTROLLER, &rc);
        assert!(s.is_some_and(|s| s.matches(json!({"app": "web", "x": "y"}).as_object())));
        let rs = json!({"spec": {"selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}}});
        let s = selector(REPLICA_SET, &rs);
        assert!(s.is_some_and(|s| !s.matches(json!({"app": "db"}).as_object())));
        assert!(selector(REPLICA_SET, &json!({"spec": {"selector": {}}})).is_none());
    }

    #[test]
    fn availability_waits_for_min_ready_seconds() {
        let p = pod("a", "n1", "Running", true, "2026-01-01T00:00:00Z");
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_default()
        };
        assert!(!is_available(&p, 10, at("2026-01-01T00:00:05Z")));
        assert!(is_available(&p, 10, at("2026-01-01T00:00:10Z")));
        assert!(is_available(&p, 0, at("2026-01-01T00:00:00Z")));
        // A pod without a transition time, and absurd minReadySeconds, do not overflow the clock.
        let bare = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        assert!(is_available(&bare, 10, at("2026-01-01T00:00:00Z")));
        assert!(!is_available(&p, i64::MAX, at("2026-01-01T00:00:00Z")));
    }

    #[test]
    fn template_pods_are_owned_and_named_after_the_owner() {
        let rs = json!({"metadata": {"name": "web", "namespace": "prod", "uid": "u1"},
            "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        let p = pod_from_template(("apps/v1", "ReplicaSet"), &rs);
        assert_eq!(p["metadata"]["generateName"], "web-");
        assert_eq!(p["metadata"]["namespace"], "prod");
        assert_eq!(p["metadata"]["labels"]["app"], "web");
        assert_eq!(p["metadata"]["ownerReferences"][0]["uid"], "u1");
        assert_eq!(p["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(p["spec"]["containers"][0]["image"], "i");
    }
}
