//! The namespace controller: a namespace marked for deletion (Terminating) has everything in it deleted,
//! reports what remains in its status conditions as kube-controller-manager's namespace deleter words
//! them, and once empty drops its `kubernetes` finalizer through the `finalize` subresource and goes.
//! Beside it, the ServiceAccount controller, which gives every namespace its `default` account.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kyb_api::client::{Client, Method};
use kyb_api::registry::{Resource, RESOURCES};
use serde_json::{json, Value};

use super::runtime::{inform, Change, Informers, Queue, Store};
use super::{namespace_and_name, str_at};

/// The finalizer the namespace controller owns.
const FINALIZER: &str = "kubernetes";

/// The namespaced kinds whose objects termination deletes: every stored kind that can be deleted.
fn contents() -> impl Iterator<Item = &'static Resource> {
    RESOURCES
        .iter()
        .filter(|r| r.namespaced && r.is_storage_form() && r.verbs.contains(&"delete"))
}

fn collection(r: &Resource, ns: &str) -> String {
    let base = if r.group.is_empty() {
        format!("/api/{}", r.version)
    } else {
        format!("/apis/{}/{}", r.group, r.version)
    };
    format!("{base}/namespaces/{ns}/{}", r.plural)
}

/// One namespace condition, as the deleter sets them (lastTransitionTime moves only on a status change).
fn condition(status: &mut Value, kind: &str, state: &str, reason: &str, message: &str) {
    let mut list: Vec<Value> = status
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let old = list.iter().position(|c| c["type"] == kind);
    let since = old
        .map(|i| &list[i])
        .filter(|c| c["status"] == state)
        .and_then(|c| c.get("lastTransitionTime").cloned())
        .unwrap_or_else(|| {
            json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        });
    let c = json!({"type": kind, "status": state, "lastTransitionTime": since, "reason": reason, "message": message});
    match old {
        Some(i) => list[i] = c,
        None => list.push(c),
    }
    status["conditions"] = json!(list);
}

/// `pods. has 2 resource instances, ...`: kube's summary of what remains, by `resource.group`.
fn summary(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(what, n)| format!("{what} has {n} resource instances"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One pass over a Terminating namespace: deletes its contents, records what remains, and finalizes it
/// when nothing does. Returns when to look again.
async fn terminate(client: &Client, ns: &Value) -> Result<Option<Duration>, String> {
    let (_, name) = namespace_and_name(ns);
    let mut remaining: BTreeMap<String, usize> = BTreeMap::new();
    let mut held: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for r in contents() {
        let path = collection(r, name);
        let list = match client.get_json(&path).await {
            Ok(l) => l,
            Err(e) if e.is_not_found() => continue,
            Err(e) => {
                failures.push(e.to_string());
                continue;
            }
        };
        let items = list
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if items.is_empty() {
            continue;
        }
        remaining.insert(format!("{}.{}", r.plural, r.group), items.len());
        for obj in &items {
            for f in obj
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                *held.entry(f.to_string()).or_default() += 1;
            }
        }
        if items
            .iter()
            .any(|o| o.pointer("/metadata/deletionTimestamp").is_none())
        {
            let options = json!({"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"});
            let verb_ok = r.verbs.contains(&"deletecollection");
            let result = if verb_ok {
                client
                    .send_json(Method::DELETE, &path, "application/json", &options)
                    .await
                    .map(|_| ())
            } else {
                let mut last = Ok(());
                for obj in &items {
                    let (_, obj_name) = namespace_and_name(obj);
                    let one = format!("{path}/{obj_name}");
                    if let Err(e) = client
                        .send_json(Method::DELETE, &one, "application/json", &options)
                        .await
                    {
                        if !e.is_not_found() {
                            last = Err(e);
                        }
                    }
                }
                last
            };
            if let Err(e) = result {
                failures.push(e.to_string());
            }
        }
    }
    let mut status = ns.get("status").cloned().unwrap_or(json!({}));
    condition(
        &mut status,
        "NamespaceDeletionDiscoveryFailure",
        "False",
        "ResourcesDiscovered",
        "All resources successfully discovered",
    );
    condition(
        &mut status,
        "NamespaceDeletionGroupVersionParsingFailure",
        "False",
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    );
    if failures.is_empty() {
        condition(
            &mut status,
            "NamespaceDeletionContentFailure",
            "False",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
        );
    } else {
        condition(
            &mut status,
            "NamespaceDeletionContentFailure",
            "True",
            "ContentDeletionFailed",
            &failures.join(", "),
        );
    }
    if remaining.is_empty() {
        condition(
            &mut status,
            "NamespaceContentRemaining",
            "False",
            "ContentRemoved",
            "All content successfully removed",
        );
    } else {
        let message = format!("Some resources are remaining: {}", summary(&remaining));
        condition(
            &mut status,
            "NamespaceContentRemaining",
            "True",
            "SomeResourcesRemain",
            &message,
        );
    }
    if held.is_empty() {
        condition(
            &mut status,
            "NamespaceFinalizersRemaining",
            "False",
            "ContentHasNoFinalizers",
            "All content-preserving finalizers finished",
        );
    } else {
        let message = format!(
            "Some content in the namespace has finalizers remaining: {}",
            held.iter()
                .map(|(f, n)| format!("{f} in {n} resource instances"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        condition(
            &mut status,
            "NamespaceFinalizersRemaining",
            "True",
            "SomeFinalizersRemain",
            &message,
        );
    }
    let base = format!("/api/v1/namespaces/{name}");
    if super::write_status(client, &base, ns, status)
        .await?
        .is_none()
    {
        return Ok(Some(Duration::from_millis(200)));
    }
    if !remaining.is_empty() || !failures.is_empty() {
        return Ok(Some(Duration::from_secs(1)));
    }
    // Empty: drop our finalizer (read afresh, since the status write changed the object).
    let current = match client.get_json(&base).await {
        Ok(c) => c,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let finalizers: Vec<Value> = current
        .pointer("/spec/finalizers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|f| *f != FINALIZER)
        .cloned()
        .collect();
    let mut obj = current.clone();
    obj["spec"]["finalizers"] = json!(finalizers);
    match client
        .send_json(
            Method::PUT,
            &format!("{base}/finalize"),
            "application/json",
            &obj,
        )
        .await
    {
        Ok(_) => Ok(None),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) if e.status().is_some_and(|s| s.code == 409) => Ok(Some(Duration::from_millis(200))),
        Err(e) => Err(e.to_string()),
    }
}

/// Gives a live namespace its `default` ServiceAccount when it has none (the ServiceAccount controller).
async fn default_account(client: &Client, accounts: &Store, ns: &Value) -> Result<(), String> {
    let (_, name) = namespace_and_name(ns);
    if ns.pointer("/metadata/deletionTimestamp").is_some()
        || accounts.get(&format!("{name}/default")).is_some()
    {
        return Ok(());
    }
    let body = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": name}});
    let path = format!("/api/v1/namespaces/{name}/serviceaccounts");
    match client
        .send_json(Method::POST, &path, "application/json", &body)
        .await
    {
        Ok(_) => Ok(()),
        // There already, or the namespace started terminating meanwhile (403).
        Err(e)
            if e.status().is_some_and(|s| s.code == 409 || s.code == 403) || e.is_not_found() =>
        {
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Runs the namespace and ServiceAccount controllers until the process ends.
pub async fn run(informers: Informers, workers: usize) {
    let client = informers.client().clone();
    let (namespaces, mut ns_changes) = inform(&informers, "/api/v1/namespaces").await;
    let (accounts, mut account_changes) = inform(&informers, "/api/v1/serviceaccounts").await;
    let queue = Arc::new(Queue::default());
    let (c, ns_store, sa_store) = (client.clone(), namespaces.clone(), accounts.clone());
    queue.run(workers, move |name: String| {
        let (client, namespaces, accounts) = (c.clone(), ns_store.clone(), sa_store.clone());
        async move {
            let Some(ns) = namespaces.get(&format!("/{name}")) else {
                return Ok(None);
            };
            if ns.pointer("/metadata/deletionTimestamp").is_some() {
                terminate(&client, &ns).await
            } else {
                default_account(&client, &accounts, &ns).await.map(|_| None)
            }
        }
    });
    loop {
        tokio::select! {
            change = ns_changes.recv() => match change {
                Some(Change::Upsert { new, .. }) => queue.add(namespace_and_name(&new).1.to_string()),
                Some(Change::Gone(_)) => {}
                None => return,
            },
            change = account_changes.recv() => match change {
                // A deleted default account is made again.
                Some(Change::Gone(old)) if str_at(&old, "/metadata/name") == "default" => {
                    queue.add(namespace_and_name(&old).0.to_string())
                }
                Some(_) => {}
                None => return,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_content_is_summed_up_as_kube_words_it() {
        let mut counts = BTreeMap::new();
        counts.insert("pods.".to_string(), 2);
        counts.insert("deployments.apps".to_string(), 1);
        assert_eq!(
            summary(&counts),
            "deployments.apps has 1 resource instances, pods. has 2 resource instances"
        );
    }

    #[test]
    fn termination_deletes_every_namespaced_stored_kind() {
        let plurals: Vec<&str> = contents().map(|r| r.plural).collect();
        for p in [
            "pods",
            "configmaps",
            "deployments",
            "jobs",
            "events",
            "serviceaccounts",
        ] {
            assert!(plurals.contains(&p), "{p} missing from {plurals:?}");
        }
        assert!(!plurals.contains(&"nodes") && !plurals.contains(&"namespaces"));
    }
}
