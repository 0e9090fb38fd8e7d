//! ControllerRevisions, as the DaemonSet and StatefulSet controllers keep them: one per pod template,
//! named `<owner>-<hash>`, holding the patch that restores that template (what `kubectl rollout undo`
//! applies), numbered so that the current template always has the highest revision.

use kyb_api::client::{Client, Method};
use serde_json::{json, Value};

use super::runtime::{controller_uid, Store};
use super::{namespace_and_name, send_unless_gone, str_at};

/// The label naming a pod's (and a revision's) template hash.
pub const HASH_LABEL: &str = "controller-revision-hash";

fn path(ns: &str, name: &str) -> String {
    format!("/apis/apps/v1/namespaces/{ns}/controllerrevisions/{name}")
}

/// The owner's revisions, by the controller reference on them.
pub fn owned(revisions: &Store, owner: &Value) -> Vec<std::sync::Arc<Value>> {
    let (ns, _) = namespace_and_name(owner);
    let uid = str_at(owner, "/metadata/uid");
    revisions
        .claimable(ns, uid)
        .into_iter()
        .filter(|r| controller_uid(r) == uid)
        .collect()
}

fn number(r: &Value) -> i64 {
    r.get("revision").and_then(Value::as_i64).unwrap_or(0)
}

/// The patch restoring the owner's template (kube's getPatch). kubectl's `rollout undo` compares it byte
/// for byte with the same patch made from the live object by Go, whose typed ObjectMeta always carries
/// `creationTimestamp` (null when unset), so ours does too.
fn data(owner: &Value) -> Value {
    let mut template = owner
        .pointer("/spec/template")
        .cloned()
        .unwrap_or(json!({}));
    if !template.get("metadata").is_some_and(Value::is_object) {
        template["metadata"] = json!({});
    }
    if template["metadata"].get("creationTimestamp").is_none() {
        template["metadata"]["creationTimestamp"] = Value::Null;
    }
    template["$patch"] = json!("replace");
    json!({"spec": {"template": template}})
}

/// Makes sure the owner's current template (hash `hash`) has a revision, the highest one, and returns its
/// number. A template seen before (a rollback) gets its old revision renumbered, as kube does.
pub async fn current(
    client: &Client,
    revisions: &Store,
    owner: &Value,
    kind: (&str, &str),
    hash: &str,
) -> Result<i64, String> {
    let (ns, name) = namespace_and_name(owner);
    let mine = owned(revisions, owner);
    let latest = mine.iter().map(|r| number(r)).max().unwrap_or(0);
    let revision_name = format!("{name}-{hash}");
    if let Some(r) = mine
        .iter()
        .find(|r| namespace_and_name(r).1 == revision_name)
    {
        if number(r) == latest {
            return Ok(latest);
        }
        let patch = json!({"revision": latest + 1});
        client
            .send_json(
                Method::PATCH,
                &path(ns, &revision_name),
                "application/merge-patch+json",
                &patch,
            )
            .await
            .map_err(|e| e.to_string())?;
        return Ok(latest + 1);
    }
    let mut labels = owner
        .pointer("/spec/template/metadata/labels")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or(json!({}));
    labels[HASH_LABEL] = json!(hash);
    let mut meta = json!({"name": revision_name, "namespace": ns, "labels": labels,
        "ownerReferences": [{"apiVersion": kind.0, "kind": kind.1, "name": name,
            "uid": str_at(owner, "/metadata/uid"), "controller": true, "blockOwnerDeletion": true}]});
    if let Some(a) = owner.pointer("/metadata/annotations") {
        meta["annotations"] = a.clone();
    }
    let body = json!({"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": meta,
        "data": data(owner), "revision": latest + 1});
    let collection = format!("/apis/apps/v1/namespaces/{ns}/controllerrevisions");
    match client
        .send_json(Method::POST, &collection, "application/json", &body)
        .await
    {
        Ok(_) => Ok(latest + 1),
        Err(e) if e.status().is_some_and(|s| s.code == 409) => {
            resolve_clash(client, owner, kind, &revision_name, &body).await
        }
        Err(e) => Err(e.to_string()),
    }
}

/// A revision of that name exists but is not the owner's (or not cached yet). An orphan with the same
/// template (left by `--cascade=orphan`) is adopted; anything else is a hash collision, which kube settles
/// by counting it in the owner's `status.collisionCount`, so that the next sync hashes anew.
async fn resolve_clash(
    client: &Client,
    owner: &Value,
    kind: (&str, &str),
    revision_name: &str,
    wanted: &Value,
) -> Result<i64, String> {
    let (ns, name) = namespace_and_name(owner);
    let existing = client
        .get_json(&path(ns, revision_name))
        .await
        .map_err(|e| e.to_string())?;
    let owner_uid = str_at(owner, "/metadata/uid");
    let controller = controller_uid(&existing);
    if controller == owner_uid {
        // Ours, and the cache had not caught up: the next sync finds it.
        return Err(format!(
            "controller revision {revision_name} is not cached yet"
        ));
    }
    if controller.is_empty() && existing.get("data") == wanted.get("data") {
        let patch = json!({"metadata": {"uid": str_at(&existing, "/metadata/uid"),
            "ownerReferences": wanted.pointer("/metadata/ownerReferences").cloned().unwrap_or(json!([]))}});
        client
            .send_json(
                Method::PATCH,
                &path(ns, revision_name),
                "application/merge-patch+json",
                &patch,
            )
            .await
            .map_err(|e| e.to_string())?;
        return Ok(number(&existing));
    }
    let collisions = owner
        .pointer("/status/collisionCount")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let plural = format!("{}s", kind.1.to_ascii_lowercase());
    let owner_path = format!("/apis/apps/v1/namespaces/{ns}/{plural}/{name}/status");
    let patch = json!({"status": {"collisionCount": collisions + 1}});
    client
        .send_json(
            Method::PATCH,
            &owner_path,
            "application/merge-patch+json",
            &patch,
        )
        .await
        .map_err(|e| e.to_string())?;
    Err(format!(
        "controller revision {revision_name} belongs to another owner; collision counted"
    ))
}

/// Deletes the oldest revisions beyond `revisionHistoryLimit`, sparing the current one and any that live
/// pods still run (their hash is in `live`).
pub async fn trim(
    client: &Client,
    revisions: &Store,
    owner: &Value,
    current_hash: &str,
    live: &[&str],
) -> Result<(), String> {
    let limit = owner
        .pointer("/spec/revisionHistoryLimit")
        .and_then(Value::as_i64)
        .unwrap_or(10)
        .max(0) as usize;
    let mut old: Vec<std::sync::Arc<Value>> = owned(revisions, owner)
        .into_iter()
        .filter(|r| {
            let hash = str_at(r, "/metadata/labels/controller-revision-hash");
            hash != current_hash && !live.contains(&hash)
        })
        .collect();
    if old.len() <= limit {
        return Ok(());
    }
    old.sort_by_key(|r| number(r));
    for r in &old[..old.len() - limit] {
        let (ns, name) = namespace_and_name(r);
        send_unless_gone(
            client,
            Method::DELETE,
            &path(ns, name),
            "application/json",
            &json!({"apiVersion": "v1", "kind": "DeleteOptions"}),
        )
        .await?;
    }
    Ok(())
}
