//! The StatefulSet controller: pods with stable names `<set>-<ordinal>`, hostnames and claims, created in
//! order (OrderedReady, each waiting for the one before to be ready) or all at once (Parallel), removed from
//! the highest ordinal down, and rolled to a new template from the highest ordinal down to the partition.
//! Each template is a ControllerRevision; `status.currentRevision` and `updateRevision` name them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kyb_api::client::Method;
use kyb_api::selector::LabelSelector;
use serde_json::{json, Map, Value};

use super::deployment::template_hash;
use super::history::{self, HASH_LABEL};
use super::replicaset::{is_available, is_ready, pod_from_template, Expectations, PodControl};
use super::runtime::{cache, inform, Informers, Queue, Store};
use super::{namespace_and_name, send_unless_gone, str_at};

const KIND: (&str, &str) = ("apps/v1", "StatefulSet");
const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

fn int(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

fn selector(set: &Value) -> Option<LabelSelector> {
    LabelSelector::from_json(set.pointer("/spec/selector")?)
        .ok()
        .filter(|s| !s.is_empty())
}

/// The ordinal in a pod's name, if it is one of this set's names.
fn ordinal(set_name: &str, pod: &Value) -> Option<i64> {
    namespace_and_name(pod)
        .1
        .strip_prefix(set_name)?
        .strip_prefix('-')?
        .parse()
        .ok()
        .filter(|n: &i64| *n >= 0)
}

/// The claim a pod gets from one volumeClaimTemplate: `<template>-<pod>`.
fn claim_name(template: &Value, pod: &str) -> String {
    format!("{}-{pod}", str_at(template, "/metadata/name"))
}

/// The set as it was at a revision: its revision's patch applied to it (kube's ApplyRevision).
fn at_revision(set: &Value, revision: &Value) -> Option<Value> {
    let data = revision.get("data")?;
    kyb_api::strategic::apply(set, data, "apps", "StatefulSet").ok()
}

/// The pod for one ordinal from `set` (the set at the revision `revision`), with its identity and claims.
fn identity_pod(set: &Value, revision: &str, ord: i64) -> Value {
    let (_, set_name) = namespace_and_name(set);
    let name = format!("{set_name}-{ord}");
    let mut pod = pod_from_template(KIND, set);
    let meta = &mut pod["metadata"];
    if let Some(m) = meta.as_object_mut() {
        m.remove("generateName");
    }
    meta["name"] = json!(name);
    if !meta.get("labels").is_some_and(Value::is_object) {
        meta["labels"] = json!({});
    }
    meta["labels"][POD_NAME_LABEL] = json!(name);
    meta["labels"][POD_INDEX_LABEL] = json!(ord.to_string());
    meta["labels"][HASH_LABEL] = json!(revision);
    pod["spec"]["hostname"] = json!(name);
    let service = str_at(set, "/spec/serviceName");
    if !service.is_empty() {
        pod["spec"]["subdomain"] = json!(service);
    }
    let claims = templates(set);
    if !claims.is_empty() {
        let mut volumes: Vec<Value> = pod["spec"]
            .get("volumes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for t in &claims {
            let vname = str_at(t, "/metadata/name");
            volumes.retain(|v| v["name"] != vname);
            volumes.push(json!({"name": vname, "persistentVolumeClaim": {"claimName": claim_name(t, &name)}}));
        }
        pod["spec"]["volumes"] = json!(volumes);
    }
    pod
}

fn templates(set: &Value) -> Vec<Value> {
    set.pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Running, ready and not going: what OrderedReady waits for before touching the next ordinal.
fn healthy(pod: &Value) -> bool {
    str_at(pod, "/status/phase") == "Running" && is_ready(pod) && !terminating(pod)
}

fn terminating(pod: &Value) -> bool {
    pod.pointer("/metadata/deletionTimestamp").is_some()
}

struct Controller {
    sets: Store,
    revisions: Store,
    claims: Store,
    pc: PodControl,
}

impl Controller {
    async fn record(&self, set: &Value, kind: &str, reason: &str, message: &str) {
        self.pc.record(set, kind, reason, message).await;
    }

    /// Creates the pod's missing claims, then the pod (kube's createPersistentVolumeClaims and CreatePod).
    async fn create(&self, set: &Value, pod: &Value) -> Result<(), String> {
        let (ns, set_name) = namespace_and_name(set);
        let (_, name) = namespace_and_name(pod);
        let match_labels = set
            .pointer("/spec/selector/matchLabels")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let delete_with_set = str_at(
            set,
            "/spec/persistentVolumeClaimRetentionPolicy/whenDeleted",
        ) == "Delete";
        for t in templates(set) {
            let claim = claim_name(&t, name);
            if self.claims.get(&format!("{ns}/{claim}")).is_some() {
                continue;
            }
            let mut meta: Map<String, Value> = t
                .get("metadata")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let mut labels = meta
                .get("labels")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            labels.extend(match_labels.clone());
            meta.insert("labels".into(), json!(labels));
            meta.insert("name".into(), json!(claim));
            meta.insert("namespace".into(), json!(ns));
            if delete_with_set {
                meta.insert("ownerReferences".into(), json!([{"apiVersion": KIND.0, "kind": KIND.1, "name": set_name,
                    "uid": str_at(set, "/metadata/uid"), "controller": true, "blockOwnerDeletion": true}]));
            }
            let body = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
                "spec": t.get("spec").cloned().unwrap_or(json!({}))});
            let path = format!("/api/v1/namespaces/{ns}/persistentvolumeclaims");
            match self
                .pc
                .client
                .send_json(Method::POST, &path, "application/json", &body)
                .await
            {
                Ok(_) => {
                    let message = format!(
                        "create Claim {claim} Pod {name} in StatefulSet {set_name} success"
                    );
                    self.record(set, "Normal", "SuccessfulCreate", &message)
                        .await;
                }
                Err(e) if e.status().is_some_and(|s| s.code == 409) => {}
                Err(e) => {
                    let message = format!("create Claim {claim} for Pod {name} in StatefulSet {set_name} failed error: {e}");
                    self.record(set, "Warning", "FailedCreate", &message).await;
                    return Err(e.to_string());
                }
            }
        }
        let path = format!("/api/v1/namespaces/{ns}/pods");
        match self
            .pc
            .client
            .send_json(Method::POST, &path, "application/json", pod)
            .await
        {
            Ok(_) => {
                let message = format!("create Pod {name} in StatefulSet {set_name} successful");
                self.record(set, "Normal", "SuccessfulCreate", &message)
                    .await;
                Ok(())
            }
            // The old pod of that name is still going; its removal brings another sync.
            Err(e) if e.status().is_some_and(|s| s.code == 409) => Ok(()),
            Err(e) => {
                let message =
                    format!("create Pod {name} in StatefulSet {set_name} failed error: {e}");
                self.record(set, "Warning", "FailedCreate", &message).await;
                Err(e.to_string())
            }
        }
    }

    async fn delete(&self, set: &Value, pod: &Value) -> Result<(), String> {
        let (ns, set_name) = namespace_and_name(set);
        let (_, name) = namespace_and_name(pod);
        let path = format!("/api/v1/namespaces/{ns}/pods/{name}");
        let options = json!({"apiVersion": "v1", "kind": "DeleteOptions",
            "preconditions": {"uid": str_at(pod, "/metadata/uid")}});
        send_unless_gone(
            &self.pc.client,
            Method::DELETE,
            &path,
            "application/json",
            &options,
        )
        .await?;
        let message = format!("delete Pod {name} in StatefulSet {set_name} successful");
        self.record(set, "Normal", "SuccessfulDelete", &message)
            .await;
        Ok(())
    }

    /// With `whenScaled: Delete`, a scaled-away pod's claims are handed to the pod, so that the garbage
    /// collector removes them with it (kube's claim retention).
    async fn release_claims(&self, set: &Value, pod: &Value) -> Result<(), String> {
        if str_at(set, "/spec/persistentVolumeClaimRetentionPolicy/whenScaled") != "Delete" {
            return Ok(());
        }
        let (ns, name) = namespace_and_name(pod);
        for t in templates(set) {
            let claim = claim_name(&t, name);
            let patch = json!({"metadata": {"ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": name,
                "uid": str_at(pod, "/metadata/uid"), "controller": false}]}});
            let path = format!("/api/v1/namespaces/{ns}/persistentvolumeclaims/{claim}");
            send_unless_gone(
                &self.pc.client,
                Method::PATCH,
                &path,
                "application/merge-patch+json",
                &patch,
            )
            .await?;
        }
        Ok(())
    }
}

async fn sync(c: &Controller, k: &str) -> Result<Option<Duration>, String> {
    let Some(set) = c.sets.get(k) else {
        return Ok(None);
    };
    if terminating(&set) {
        return Ok(None);
    }
    let Some(sel) = selector(&set) else {
        return Ok(None);
    };
    let (_, set_name) = namespace_and_name(&set);
    let collisions = int(&set, "/status/collisionCount").unwrap_or(0);
    let template = set.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let hash = template_hash(&template, collisions);
    history::current(&c.pc.client, &c.revisions, &set, KIND, &hash).await?;
    let update_revision = format!("{set_name}-{hash}");
    let status_current = str_at(&set, "/status/currentRevision").to_string();
    let current_revision = if status_current.is_empty() {
        update_revision.clone()
    } else {
        status_current
    };
    // The set as its current revision had it, for pods below the partition.
    let current_set = if current_revision == update_revision {
        None
    } else {
        let (ns, _) = namespace_and_name(&set);
        c.revisions
            .get(&format!("{ns}/{current_revision}"))
            .and_then(|r| at_revision(&set, &r))
    };
    let owned = c.pc.claim(&set, &sel).await?;
    let replicas = int(&set, "/spec/replicas")
        .unwrap_or(1)
        .clamp(0, i64::from(i32::MAX));
    let start = int(&set, "/spec/ordinals/start").unwrap_or(0).max(0);
    let parallel = str_at(&set, "/spec/podManagementPolicy") == "Parallel";
    let on_delete = str_at(&set, "/spec/updateStrategy/type") == "OnDelete";
    let partition = int(&set, "/spec/updateStrategy/rollingUpdate/partition")
        .unwrap_or(0)
        .max(0);
    let min_ready = int(&set, "/spec/minReadySeconds").unwrap_or(0);
    let now = chrono::Utc::now();

    let mut wanted: BTreeMap<i64, Option<Arc<Value>>> =
        (start..start + replicas).map(|o| (o, None)).collect();
    let mut condemned: Vec<(i64, Arc<Value>)> = Vec::new();
    for pod in &owned {
        let Some(ord) = ordinal(set_name, pod) else {
            continue;
        };
        match wanted.get_mut(&ord) {
            Some(slot) => *slot = Some(pod.clone()),
            None => condemned.push((ord, pod.clone())),
        }
    }
    condemned.sort_by_key(|(o, _)| std::cmp::Reverse(*o));
    let revision_of =
        |p: &Value| str_at(p, "/metadata/labels/controller-revision-hash").to_string();

    // Status first, from what exists now.
    let mut status = set.get("status").cloned().unwrap_or(json!({}));
    let live: Vec<&Arc<Value>> = owned
        .iter()
        .filter(|p| ordinal(set_name, p).is_some())
        .collect();
    let count = |f: &dyn Fn(&Value) -> bool| live.iter().filter(|p| f(p.as_ref())).count() as i64;
    let ready = count(&|p| healthy(p));
    let available = count(&|p| healthy(p) && is_available(p, min_ready, now));
    let updated = count(&|p| revision_of(p) == update_revision);
    let mut current = count(&|p| revision_of(p) == current_revision);
    let mut current_name = current_revision.clone();
    // A finished rolling update: every pod at the update revision and ready.
    if !on_delete
        && updated == live.len() as i64
        && live.len() as i64 == replicas
        && ready == replicas
    {
        current_name = update_revision.clone();
        current = updated;
    }
    status["replicas"] = json!(live.len());
    status["readyReplicas"] = json!(ready);
    status["availableReplicas"] = json!(available);
    status["currentReplicas"] = json!(current);
    status["updatedReplicas"] = json!(updated);
    status["currentRevision"] = json!(current_name);
    status["updateRevision"] = json!(update_revision);
    status["collisionCount"] = json!(collisions);
    if let Some(g) = set.pointer("/metadata/generation") {
        status["observedGeneration"] = g.clone();
    }
    let (ns, _) = namespace_and_name(&set);
    let path = format!("/apis/apps/v1/namespaces/{ns}/statefulsets/{set_name}");
    if super::write_status(&c.pc.client, &path, &set, status)
        .await?
        .is_none()
    {
        return Ok(None);
    }

    // Replicas: create missing ordinals in order (OrderedReady waits for each to be ready), replace failed pods.
    for (&ord, slot) in &wanted {
        match slot {
            Some(pod) if str_at(pod, "/status/phase") == "Failed" && !terminating(pod) => {
                c.delete(&set, pod).await?;
                if !parallel {
                    return Ok(None);
                }
            }
            Some(pod) => {
                if !parallel && !healthy(pod) {
                    return Ok(None);
                }
            }
            None => {
                // Below the partition (counted from the first ordinal) pods keep the current revision;
                // under OnDelete a replaced pod takes the new template, as kube's newVersionedStatefulSetPod.
                let below_partition = !on_delete && ord - start < partition;
                let pod = match (&current_set, below_partition) {
                    (Some(old), true) => identity_pod(old, &current_revision, ord),
                    _ => identity_pod(&set, &update_revision, ord),
                };
                c.create(&set, &pod).await?;
                if !parallel {
                    return Ok(None);
                }
            }
        }
    }
    // Scale down from the highest ordinal; OrderedReady one at a time, once every replica is ready.
    if let Some((_, first)) = condemned.first() {
        if condemned.iter().any(|(_, p)| terminating(p)) && !parallel {
            return Ok(None);
        }
        let victims: Vec<&Arc<Value>> = if parallel {
            condemned.iter().map(|(_, p)| p).collect()
        } else {
            vec![first]
        };
        for p in victims.into_iter().filter(|p| !terminating(p)) {
            c.release_claims(&set, p).await?;
            c.delete(&set, p).await?;
        }
        return Ok(None);
    }
    // RollingUpdate: once all are ready, replace the highest-ordinal pod not at the update revision, down to
    // the partition, one at a time.
    if on_delete
        || wanted
            .values()
            .any(|p| p.as_ref().is_none_or(|p| !healthy(p)))
    {
        return Ok(None);
    }
    if let Some(stale) = wanted
        .iter()
        .rev()
        .filter(|(ord, _)| **ord - start >= partition)
        .filter_map(|(_, p)| p.as_ref())
        .find(|p| revision_of(p) != update_revision)
    {
        c.delete(&set, stale).await?;
    }
    let live_revisions: Vec<String> = owned.iter().map(|p| revision_of(p)).collect();
    let live_hashes: Vec<&str> = live_revisions
        .iter()
        .filter_map(|r| r.strip_prefix(set_name)?.strip_prefix('-'))
        .collect();
    history::trim(&c.pc.client, &c.revisions, &set, &hash, &live_hashes).await?;
    Ok(None)
}

/// Runs the StatefulSet controller until the process ends.
pub async fn run(informers: Informers, workers: usize) {
    let client = informers.client().clone();
    let (sets, mut set_changes) = inform(&informers, "/apis/apps/v1/statefulsets").await;
    let (revisions, mut revision_changes) =
        inform(&informers, "/apis/apps/v1/controllerrevisions").await;
    // Claims are only looked up.
    let claims = cache(&informers, "/api/v1/persistentvolumeclaims").await;
    let (pods, mut pod_changes) = inform(&informers, "/api/v1/pods").await;
    let c = Arc::new(Controller {
        sets,
        revisions,
        claims,
        pc: PodControl {
            client,
            pods,
            kind: KIND,
            component: "statefulset-controller",
            expectations: Expectations::default(),
            finalizer: None,
        },
    });
    let queue = Queue::serve(&c, workers, |c, k| async move { sync(&c, &k).await });
    loop {
        tokio::select! {
            change = set_changes.recv() => match change {
                Some(change) => queue.add(change.key()),
                None => return,
            },
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

    fn set() -> Value {
        json!({"metadata": {"name": "web", "namespace": "ns", "uid": "u1"},
            "spec": {"serviceName": "nginx", "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}],
                    "volumes": [{"name": "www", "emptyDir": {}}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]}})
    }

    #[test]
    fn pods_get_a_stable_identity_and_their_claims() {
        let p = identity_pod(&set(), "web-abc", 2);
        assert_eq!(p["metadata"]["name"], "web-2");
        assert!(p["metadata"].get("generateName").is_none());
        assert_eq!(p["metadata"]["labels"][POD_NAME_LABEL], "web-2");
        assert_eq!(p["metadata"]["labels"][POD_INDEX_LABEL], "2");
        assert_eq!(p["metadata"]["labels"][HASH_LABEL], "web-abc");
        assert_eq!(p["spec"]["hostname"], "web-2");
        assert_eq!(p["spec"]["subdomain"], "nginx");
        // The claim replaces the template's volume of the same name.
        assert_eq!(
            p["spec"]["volumes"],
            json!([{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-2"}}])
        );
        assert_eq!(ordinal("web", &p), Some(2));
        assert_eq!(
            ordinal("web", &json!({"metadata": {"name": "web-x"}})),
            None
        );
        assert_eq!(ordinal("we", &json!({"metadata": {"name": "web-1"}})), None);
    }

    #[test]
    fn a_revision_restores_its_template() {
        let revision = json!({"data": {"spec": {"template": {"$patch": "replace",
            "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "old"}]}}}}});
        let at = at_revision(&set(), &revision);
        assert_eq!(
            at.map(|s| s["spec"]["template"]["spec"]["containers"][0]["image"].clone()),
            Some(json!("old"))
        );
    }
}
