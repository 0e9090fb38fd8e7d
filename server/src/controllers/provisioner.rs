//! The local-path provisioner, as k3s ships one: a PersistentVolumeClaim that names no storage class (or
//! `local-path`) gets a hostPath PersistentVolume of its own under `--local-path-dir`, bound to it both ways;
//! when the claim goes, so do the volume (reclaim policy Delete) and its folder. The Docker kubelet mounts
//! the volume's folder, so the data outlives the pods that use it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kyb_api::client::{Client, Method};
use serde_json::{json, Value};

use super::runtime::{cache, inform, Change, Informers, Queue, Store};
use super::{namespace_and_name, send_unless_gone, str_at};

/// The storage class this provisioner answers for (and the one claims without a class get).
pub const CLASS: &str = "local-path";

struct Controller {
    client: Client,
    claims: Store,
    volumes: Store,
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

/// Whether this provisioner serves the claim's class.
fn ours(claim: &Value) -> bool {
    matches!(
        claim
            .pointer("/spec/storageClassName")
            .and_then(Value::as_str),
        None | Some("") | Some(CLASS)
    )
}

/// Binds the claim to a volume of its own, making the volume first.
async fn sync(c: &Controller, k: &str) -> Result<Option<Duration>, String> {
    let Some(claim) = c.claims.get(k) else {
        return Ok(None);
    };
    if !ours(&claim) || claim.pointer("/metadata/deletionTimestamp").is_some() {
        return Ok(None);
    }
    let (ns, name) = namespace_and_name(&claim);
    let volume = pv_name(&claim);
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
            "metadata": {"name": volume, "annotations": {"pv.kubernetes.io/provisioned-by": "kybernet.io/local-path"}},
            "spec": {"capacity": {"storage": storage}, "accessModes": modes, "persistentVolumeReclaimPolicy": "Delete",
                "storageClassName": CLASS, "volumeMode": "Filesystem",
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
        c.merge(
            &base,
            json!({"spec": {"volumeName": volume, "storageClassName": CLASS}}),
        )
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

/// Runs the provisioner until the process ends.
pub async fn run(informers: Informers, dir: &Path, workers: usize) {
    let client = informers.client().clone();
    let (claims, mut claim_changes) = inform(&informers, "/api/v1/persistentvolumeclaims").await;
    // Volumes are only looked up.
    let volumes = cache(&informers, "/api/v1/persistentvolumes").await;
    let c = Arc::new(Controller {
        client,
        claims,
        volumes,
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
    fn claims_without_a_class_are_ours() {
        assert!(ours(&json!({"spec": {}})));
        assert!(ours(&json!({"spec": {"storageClassName": "local-path"}})));
        assert!(!ours(&json!({"spec": {"storageClassName": "fast-ssd"}})));
        assert_eq!(pv_name(&json!({"metadata": {"uid": "u1"}})), "pvc-u1");
    }
}
