//! The local-path provisioner, as k3s ships one. At start it makes the `local-path` StorageClass, marked
//! default, so that the API server's DefaultStorageClass admission gives it to claims that name no class. A
//! PersistentVolumeClaim of a class whose provisioner is this one gets a hostPath PersistentVolume of its own
//! under `--local-path-dir`, bound to it both ways; when the claim goes, so do the volume (under the class's
//! reclaim policy Delete) and its folder. The kubelet mounts the volume's folder, so the data outlives the
//! pods that use it. Claims made before any default class existed get one once it does (kube's retroactive
//! default class assignment).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kyb_api::client::{Client, Method};
use serde_json::{json, Value};

use super::runtime::{cache, inform, Change, Informers, Queue, Store};
use super::{namespace_and_name, send_unless_gone, str_at};

/// The storage class made at start, marked default.
pub const CLASS: &str = "local-path";
/// The provisioner name classes give to be served here.
pub const PROVISIONER: &str = "kybernet.io/local-path";

struct Controller {
    client: Client,
    claims: Store,
    volumes: Store,
    classes: Store,
    dir: PathBuf,
}

impl Controller {
    /// A JSON merge patch of `path`, no error if the object is gone.
    async fn merge(&self, path: &str, patch: Value) -> Result<(), String> {
        let ct = "application/merge-patch+json";
        send_unless_gone(&self.client, Method::PATCH, path, ct, &patch).await
    }
}

fn pv_name(claim: &Value) -> String {
    format!("pvc-{}", str_at(claim, "/metadata/uid"))
}

/// The class this provisioner serves the claim under, if any: a class with this provisioner.
fn ours(claim: &Value, classes: &[Value]) -> Option<Value> {
    let name = claim.pointer("/spec/storageClassName")?.as_str()?;
    classes
        .iter()
        .find(|c| str_at(c, "/metadata/name") == name && str_at(c, "/provisioner") == PROVISIONER)
        .cloned()
}

/// The default class: the newest of those marked default.
fn default_class(classes: &[Value]) -> Option<&Value> {
    classes
        .iter()
        .filter(|c| crate::apiserver::tables::is_default_class(c))
        .max_by_key(|c| {
            (
                str_at(c, "/metadata/creationTimestamp"),
                str_at(c, "/metadata/name"),
            )
        })
}

/// Binds the claim to a volume of its own, making the volume first.
async fn sync(c: &Controller, k: &str) -> Result<Option<Duration>, String> {
    let Some(claim) = c.claims.get(k) else {
        return Ok(None);
    };
    if claim.pointer("/metadata/deletionTimestamp").is_some() {
        return Ok(None);
    }
    let classes: Vec<Value> = c
        .classes
        .filter(|_| true)
        .iter()
        .map(|v| Value::clone(v))
        .collect();
    let (ns, name) = namespace_and_name(&claim);
    if claim
        .pointer("/spec/storageClassName")
        .is_none_or(Value::is_null)
        && str_at(&claim, "/spec/volumeName").is_empty()
    {
        // A claim that names no class gets the default once there is one; until then it waits.
        let Some(default) = default_class(&classes) else {
            return Ok(Some(Duration::from_secs(5)));
        };
        let path = format!("/api/v1/namespaces/{ns}/persistentvolumeclaims/{name}");
        let class = str_at(default, "/metadata/name");
        c.merge(&path, json!({"spec": {"storageClassName": class}}))
            .await?;
        return Ok(None);
    }
    let Some(class) = ours(&claim, &classes) else {
        return Ok(None);
    };
    let volume = pv_name(&claim);
    let class_name = str_at(&class, "/metadata/name");
    let reclaim = match str_at(&class, "/reclaimPolicy") {
        "" => "Delete",
        p => p,
    };
    let bound_to = str_at(&claim, "/spec/volumeName");
    if !bound_to.is_empty() && bound_to != volume {
        return Ok(None); // bound by someone else
    }
    let storage = claim
        .pointer("/spec/resources/requests/storage")
        .cloned()
        .unwrap_or(json!("1Gi"));
    let modes = claim
        .pointer("/spec/accessModes")
        .cloned()
        .unwrap_or(json!(["ReadWriteOnce"]));
    if c.volumes.get(&format!("/{volume}")).is_none() {
        let path = c.dir.join(format!("{volume}_{ns}_{name}"));
        let pv = json!({"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": volume, "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
            "spec": {"capacity": {"storage": storage}, "accessModes": modes, "persistentVolumeReclaimPolicy": reclaim,
                "storageClassName": class_name, "volumeMode": "Filesystem",
                "hostPath": {"path": path.to_string_lossy(), "type": "DirectoryOrCreate"},
                "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": ns, "name": name,
                    "uid": str_at(&claim, "/metadata/uid")}}});
        match c
            .client
            .send_json(
                Method::POST,
                "/api/v1/persistentvolumes",
                "application/json",
                &pv,
            )
            .await
        {
            Ok(_) => {}
            Err(e) if e.status().is_some_and(|s| s.code == 409) => {}
            Err(e) => return Err(e.to_string()),
        }
        let path = format!("/api/v1/persistentvolumes/{volume}/status");
        c.merge(&path, json!({"status": {"phase": "Bound"}}))
            .await?;
    }
    if bound_to.is_empty() || str_at(&claim, "/status/phase") != "Bound" {
        let base = format!("/api/v1/namespaces/{ns}/persistentvolumeclaims/{name}");
        c.merge(&base, json!({"spec": {"volumeName": volume}}))
            .await?;
        let status = json!({"status": {"phase": "Bound", "accessModes": modes, "capacity": {"storage": storage}}});
        c.merge(&format!("{base}/status"), status).await?;
    }
    Ok(None)
}

/// A claim is gone: its volume (reclaim policy Delete) and the volume's folder go too.
async fn reclaim(c: &Controller, claim: &Value) {
    let volume = pv_name(claim);
    let Some(pv) = c.volumes.get(&format!("/{volume}")) else {
        return;
    };
    if str_at(&pv, "/spec/claimRef/uid") != str_at(claim, "/metadata/uid")
        || str_at(&pv, "/spec/persistentVolumeReclaimPolicy") != "Delete"
    {
        return;
    }
    let path = PathBuf::from(str_at(&pv, "/spec/hostPath/path"));
    // Only folders this provisioner made, under its own directory.
    if path.starts_with(&c.dir) && path != c.dir {
        if let Err(e) = std::fs::remove_dir_all(&path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %path.display(), error = %e, "removing a volume's folder failed");
            }
        }
    }
    let options = json!({"apiVersion": "v1", "kind": "DeleteOptions"});
    let url = format!("/api/v1/persistentvolumes/{volume}");
    if let Err(e) = send_unless_gone(
        &c.client,
        Method::DELETE,
        &url,
        "application/json",
        &options,
    )
    .await
    {
        tracing::warn!(volume, error = e, "deleting a released volume failed");
    }
}

/// Makes the `local-path` class, marked default, unless a class of that name is there already.
async fn ensure_class(client: &Client) {
    let class = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": CLASS, "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": PROVISIONER, "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"});
    let path = "/apis/storage.k8s.io/v1/storageclasses";
    match client
        .send_json(Method::POST, path, "application/json", &class)
        .await
    {
        Err(e) if e.status().is_none_or(|s| s.code != 409) => {
            tracing::warn!(error = %e, "making the local-path storage class failed");
        }
        _ => {}
    }
}

/// Runs the provisioner until the process ends.
pub async fn run(informers: Informers, dir: &Path, workers: usize) {
    let client = informers.client().clone();
    ensure_class(&client).await;
    let (claims, mut claim_changes) = inform(&informers, "/api/v1/persistentvolumeclaims").await;
    // Volumes and classes are only looked up.
    let volumes = cache(&informers, "/api/v1/persistentvolumes").await;
    let classes = cache(&informers, "/apis/storage.k8s.io/v1/storageclasses").await;
    let c = Arc::new(Controller {
        client,
        claims,
        volumes,
        classes,
        dir: dir.to_path_buf(),
    });
    let queue = Queue::serve(&c, workers, |c, k| async move { sync(&c, &k).await });
    while let Some(change) = claim_changes.recv().await {
        match change {
            Change::Gone(claim) => reclaim(&c, &claim).await,
            change => queue.add(change.key()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_of_classes_with_this_provisioner_are_ours() {
        let classes = [
            json!({"metadata": {"name": "local-path", "creationTimestamp": "2026-01-01T00:00:00Z",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}, "provisioner": PROVISIONER}),
            json!({"metadata": {"name": "slow", "creationTimestamp": "2026-02-01T00:00:00Z"}, "provisioner": PROVISIONER}),
            json!({"metadata": {"name": "fast-ssd", "creationTimestamp": "2026-03-01T00:00:00Z",
                "annotations": {"storageclass.beta.kubernetes.io/is-default-class": "true"}}, "provisioner": "ebs"}),
        ];
        let claim = |class: Value| json!({"spec": {"storageClassName": class}});
        assert!(ours(&claim(json!("local-path")), &classes).is_some());
        assert!(ours(&claim(json!("slow")), &classes).is_some());
        assert!(ours(&claim(json!("fast-ssd")), &classes).is_none());
        assert!(ours(&claim(json!("")), &classes).is_none());
        assert!(ours(&json!({"spec": {}}), &classes).is_none());
        // The newest default wins, as in kube.
        assert_eq!(
            default_class(&classes).map(|c| str_at(c, "/metadata/name")),
            Some("fast-ssd")
        );
        assert_eq!(pv_name(&json!({"metadata": {"uid": "u1"}})), "pvc-u1");
    }
}
