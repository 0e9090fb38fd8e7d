//! The garbage collector: deletes objects whose owners (ownerReferences) are all gone, and carries out the
//! Orphan and Foreground propagation that the API server records on a deleted owner as the `orphan` and
//! `foregroundDeletion` finalizers. Like kube-controller-manager's, it keeps a graph of owners and dependents
//! from watches on every kind, and checks an owner it has not seen against the API before acting.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use kyb_api::client::{Client, Method};
use kyb_api::registry::{Resource, RESOURCES};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::runtime::{inform_with, Change, Queue};
use super::{send_unless_gone, str_at};

const ORPHAN: &str = "orphan";
const FOREGROUND: &str = "foregroundDeletion";

/// One ownerReference.
#[derive(Clone)]
struct OwnerRef {
    uid: String,
    api_version: String,
    kind: String,
    name: String,
    block: bool,
}

/// One object in the graph.
struct Node {
    resource: &'static Resource,
    namespace: Option<String>,
    name: String,
    owners: Vec<OwnerRef>,
    deleting: bool,
    finalizers: Vec<String>,
}

impl Node {
    fn path(&self) -> String {
        object_path(self.resource, self.namespace.as_deref(), &self.name)
    }

    fn held_by(&self, finalizer: &str) -> bool {
        self.deleting && self.finalizers.iter().any(|f| f == finalizer)
    }
}

#[derive(Default)]
struct Graph {
    nodes: HashMap<String, Node>,
    /// Owner uid to the uids of the objects that name it.
    dependents: HashMap<String, HashSet<String>>,
}

fn object_path(resource: &Resource, namespace: Option<&str>, name: &str) -> String {
    let base = if resource.group.is_empty() {
        format!("/api/{}", resource.version)
    } else {
        format!("/apis/{}/{}", resource.group, resource.version)
    };
    match namespace.filter(|_| resource.namespaced) {
        Some(ns) => format!("{base}/namespaces/{ns}/{}/{name}", resource.plural),
        None => format!("{base}/{}/{name}", resource.plural),
    }
}

/// The served resource an ownerReference's apiVersion and kind name.
fn resource_of(api_version: &str, kind: &str) -> Option<&'static Resource> {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.kind == kind)
}

fn node_of(resource: &'static Resource, obj: &Value) -> Node {
    let owners = obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .map(|r| OwnerRef {
                    uid: str_at(r, "/uid").to_string(),
                    api_version: str_at(r, "/apiVersion").to_string(),
                    kind: str_at(r, "/kind").to_string(),
                    name: str_at(r, "/name").to_string(),
                    block: r.get("blockOwnerDeletion").and_then(Value::as_bool) == Some(true),
                })
                .filter(|r| !r.uid.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Node {
        resource,
        namespace: obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_string),
        name: str_at(obj, "/metadata/name").to_string(),
        owners,
        deleting: obj.pointer("/metadata/deletionTimestamp").is_some(),
        finalizers: obj
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Work items, by kind of attempt and uid.
enum Item<'a> {
    /// Delete the object if its owners are gone, or drop references to the gone ones.
    Collect(&'a str),
    /// Remove every dependent's reference to this owner, then its `orphan` finalizer.
    Orphan(&'a str),
    /// Delete this owner's blocking dependents, then remove its `foregroundDeletion` finalizer.
    Foreground(&'a str),
}

impl<'a> Item<'a> {
    fn parse(k: &'a str) -> Option<Item<'a>> {
        let (kind, uid) = k.split_once(':')?;
        match kind {
            "collect" => Some(Item::Collect(uid)),
            "orphan" => Some(Item::Orphan(uid)),
            "foreground" => Some(Item::Foreground(uid)),
            _ => None,
        }
    }
}

struct Collector {
    client: Client,
    graph: Mutex<Graph>,
}

impl Graph {
    /// Takes an object out, and returns the work its going calls for.
    fn remove(&mut self, uid: &str, work: &mut Vec<String>) {
        let g = self;
        if let Some(old) = g.nodes.remove(uid) {
            for o in &old.owners {
                if let Some(d) = g.dependents.get_mut(&o.uid) {
                    d.remove(uid);
                    if d.is_empty() {
                        g.dependents.remove(&o.uid);
                    }
                }
                // An owner deleting in the foreground may be waiting for this one.
                if g.nodes.get(&o.uid).is_some_and(|n| n.held_by(FOREGROUND)) {
                    work.push(format!("foreground:{}", o.uid));
                }
            }
        }
        // Whatever named this object as an owner may now be garbage.
        for d in g.dependents.get(uid).into_iter().flatten() {
            work.push(format!("collect:{d}"));
        }
    }

    /// Applies one change, and returns the work it calls for.
    fn apply(&mut self, resource: &'static Resource, change: Change) -> Vec<String> {
        let g = self;
        let mut work = Vec::new();
        match change {
            Change::Gone(obj) => g.remove(str_at(&obj, "/metadata/uid"), &mut work),
            Change::Upsert { old, new } => {
                let uid = str_at(&new, "/metadata/uid").to_string();
                if let Some(old) = old {
                    let old_uid = str_at(&old, "/metadata/uid");
                    if old_uid != uid {
                        g.remove(old_uid, &mut work);
                    } else if let Some(n) = g.nodes.remove(&uid) {
                        for o in &n.owners {
                            if let Some(d) = g.dependents.get_mut(&o.uid) {
                                d.remove(&uid);
                            }
                        }
                    }
                }
                let node = node_of(resource, &new);
                for o in &node.owners {
                    g.dependents
                        .entry(o.uid.clone())
                        .or_default()
                        .insert(uid.clone());
                    let owner = g.nodes.get(&o.uid);
                    // An owner not in the graph may be gone, or merely not listed yet: the work item checks.
                    if owner.is_none_or(|n| n.held_by(FOREGROUND)) {
                        work.push(format!("collect:{uid}"));
                    }
                }
                if node.held_by(ORPHAN) {
                    work.push(format!("orphan:{uid}"));
                }
                if node.held_by(FOREGROUND) {
                    work.push(format!("foreground:{uid}"));
                }
                g.nodes.insert(uid, node);
            }
        }
        work
    }
}

impl Collector {
    /// Whether the owner a reference names exists with that uid, asking the API when the graph lacks it.
    async fn owner_exists(&self, namespace: Option<&str>, r: &OwnerRef) -> Result<bool, String> {
        if self
            .graph
            .lock()
            .map(|g| g.nodes.contains_key(&r.uid))
            .unwrap_or(false)
        {
            return Ok(true);
        }
        // A kind this server does not serve cannot be checked; keep the dependent rather than guess.
        let Some(resource) = resource_of(&r.api_version, &r.kind) else {
            return Ok(true);
        };
        match self
            .client
            .get_json(&object_path(resource, namespace, &r.name))
            .await
        {
            Ok(owner) => Ok(str_at(&owner, "/metadata/uid") == r.uid),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn collect(&self, uid: &str) -> Result<(), String> {
        let Some((resource, path, namespace, has_dependents)) =
            self.graph.lock().ok().and_then(|g| {
                let n = g.nodes.get(uid)?;
                let has = g.dependents.get(uid).is_some_and(|d| !d.is_empty());
                Some((n.resource, n.path(), n.namespace.clone(), has))
            })
        else {
            return Ok(());
        };
        // The object as it is now, not as the cache last saw it (kube's attemptToDeleteItem does the same):
        // its owner may have orphaned it a moment ago, in an event still on its way here.
        let owners = match self.client.get_json(&path).await {
            Ok(live) if str_at(&live, "/metadata/uid") == uid => node_of(resource, &live).owners,
            Ok(_) => return Ok(()),
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        if owners.is_empty() {
            return Ok(());
        }
        let mut gone = Vec::new();
        let mut waiting = Vec::new();
        for r in &owners {
            if !self.owner_exists(namespace.as_deref(), r).await? {
                gone.push(r.uid.clone());
                continue;
            }
            let foreground = self
                .graph
                .lock()
                .map(|g| g.nodes.get(&r.uid).is_some_and(|n| n.held_by(FOREGROUND)))
                .unwrap_or(false);
            if foreground && r.block {
                waiting.push(r.uid.clone());
            }
        }
        let solid = owners.len() - gone.len() - waiting.len();
        if solid == 0 {
            // Every owner is gone or waiting for its dependents: delete this one, in the foreground when
            // it has dependents of its own and an owner waits on it, so that the wait covers them too.
            let policy = if !waiting.is_empty() && has_dependents {
                "Foreground"
            } else {
                "Background"
            };
            let body = json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": policy,
                "preconditions": {"uid": uid}});
            return match self
                .client
                .send_json(Method::DELETE, &path, "application/json", &body)
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if e.is_not_found() || e.status().is_some_and(|s| s.code == 409) => Ok(()),
                Err(e) => Err(e.to_string()),
            };
        }
        // Some owners remain: drop the references to the gone and the waiting ones.
        gone.extend(waiting);
        if gone.is_empty() {
            return Ok(());
        }
        let refs: Vec<Value> = gone
            .iter()
            .map(|u| json!({"$patch": "delete", "uid": u}))
            .collect();
        self.patch(
            &path,
            json!({"metadata": {"uid": uid, "ownerReferences": refs}}),
        )
        .await
    }

    async fn patch(&self, path: &str, patch: Value) -> Result<(), String> {
        let smp = "application/strategic-merge-patch+json";
        send_unless_gone(&self.client, Method::PATCH, path, smp, &patch).await
    }

    async fn orphan(&self, uid: &str) -> Result<(), String> {
        let Some((path, dependents)) = self.graph.lock().ok().and_then(|g| {
            let n = g.nodes.get(uid).filter(|n| n.held_by(ORPHAN))?;
            let deps: Vec<(String, String)> = g
                .dependents
                .get(uid)
                .into_iter()
                .flatten()
                .filter_map(|d| Some((d.clone(), g.nodes.get(d)?.path())))
                .collect();
            Some((n.path(), deps))
        }) else {
            return Ok(());
        };
        for (dep_uid, dep_path) in dependents {
            let patch = json!({"metadata": {"uid": dep_uid, "ownerReferences": [{"$patch": "delete", "uid": uid}]}});
            self.patch(&dep_path, patch).await?;
        }
        self.remove_finalizer(&path, uid, ORPHAN).await
    }

    async fn foreground(&self, uid: &str) -> Result<(), String> {
        let Some((path, blocking)) = self.graph.lock().ok().and_then(|g| {
            let n = g.nodes.get(uid).filter(|n| n.held_by(FOREGROUND))?;
            let blocking: Vec<String> = g
                .dependents
                .get(uid)
                .into_iter()
                .flatten()
                .filter(|d| {
                    g.nodes
                        .get(*d)
                        .is_some_and(|dep| dep.owners.iter().any(|o| o.uid == uid && o.block))
                })
                .cloned()
                .collect();
            Some((n.path(), blocking))
        }) else {
            return Ok(());
        };
        if blocking.is_empty() {
            return self.remove_finalizer(&path, uid, FOREGROUND).await;
        }
        for d in blocking {
            Box::pin(self.collect(&d)).await?;
        }
        Ok(())
    }

    /// Removes one finalizer from the object, with its resourceVersion as precondition.
    async fn remove_finalizer(&self, path: &str, uid: &str, finalizer: &str) -> Result<(), String> {
        let current = match self.client.get_json(path).await {
            Ok(c) if str_at(&c, "/metadata/uid") == uid => c,
            Ok(_) => return Ok(()),
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        let finalizers: Vec<Value> = current
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter(|f| *f != finalizer).cloned().collect())
            .unwrap_or_default();
        let patch = json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": current.pointer("/metadata/resourceVersion")},
            {"op": "replace", "path": "/metadata/finalizers", "value": finalizers},
        ]);
        self.client
            .send_json(Method::PATCH, path, "application/json-patch+json", &patch)
            .await
            .map(|_| ())
            .or_else(|e| {
                if e.is_not_found() {
                    Ok(())
                } else {
                    Err(e.to_string())
                }
            })
    }
}

/// Just the metadata the collector reads, so that its caches of every object in the cluster stay small.
fn owner_fields(obj: Value) -> Value {
    let Value::Object(mut top) = obj else {
        return Value::Null;
    };
    let Some(Value::Object(meta)) = top.remove("metadata") else {
        return json!({});
    };
    let kept: serde_json::Map<String, Value> = meta
        .into_iter()
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "name"
                    | "namespace"
                    | "uid"
                    | "ownerReferences"
                    | "finalizers"
                    | "deletionTimestamp"
            )
        })
        .collect();
    json!({ "metadata": kept })
}

/// The kinds the collector watches: every stored kind once (in the version it is stored in), events aside.
fn watched() -> impl Iterator<Item = &'static Resource> {
    RESOURCES
        .iter()
        .filter(|r| r.is_storage_form() && r.verbs.contains(&"watch") && r.plural != "events")
}

/// Runs the garbage collector until the process ends.
pub async fn run(client: Client, workers: usize) {
    let (tx, mut changes) = mpsc::unbounded_channel::<(&'static Resource, Change)>();
    for resource in watched() {
        let path = object_path(resource, None, "");
        let (_, mut rx) =
            inform_with(client.clone(), path.trim_end_matches('/'), owner_fields).await;
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(c) = rx.recv().await {
                if tx.send((resource, c)).is_err() {
                    return;
                }
            }
        });
    }
    drop(tx);
    let collector = Arc::new(Collector {
        client,
        graph: Mutex::new(Graph::default()),
    });
    let queue = Arc::new(Queue::default());
    let worker = collector.clone();
    queue.run(workers, move |k: String| {
        let c = worker.clone();
        async move {
            match Item::parse(&k) {
                Some(Item::Collect(uid)) => c.collect(uid).await.map(|_| None),
                Some(Item::Orphan(uid)) => c.orphan(uid).await.map(|_| None),
                Some(Item::Foreground(uid)) => c.foreground(uid).await.map(|_| None),
                None => Ok(None),
            }
        }
    });
    while let Some((resource, change)) = changes.recv().await {
        let work = match collector.graph.lock() {
            Ok(mut g) => g.apply(resource, change),
            Err(_) => return,
        };
        for k in work {
            queue.add(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_references_resolve_to_served_kinds_and_paths() {
        let rs = resource_of("apps/v1", "ReplicaSet");
        assert_eq!(
            rs.map(|r| object_path(r, Some("prod"), "web")).as_deref(),
            Some("/apis/apps/v1/namespaces/prod/replicasets/web")
        );
        let node = resource_of("v1", "Node");
        assert_eq!(
            node.map(|r| object_path(r, Some("ignored"), "n1"))
                .as_deref(),
            Some("/api/v1/nodes/n1")
        );
        assert!(resource_of("example.com/v1", "Widget").is_none());
        assert!(watched().all(|r| r.plural != "events"));
        assert_eq!(
            watched()
                .filter(|r| r.plural == "horizontalpodautoscalers")
                .count(),
            1
        );
    }

    #[test]
    fn the_cache_keeps_only_owner_metadata() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": []},
            "metadata": {"name": "p", "namespace": "ns", "uid": "u", "labels": {"a": "b"}, "finalizers": ["f"],
                "ownerReferences": [{"uid": "o"}], "managedFields": [{}], "deletionTimestamp": "t"}});
        assert_eq!(
            owner_fields(pod),
            json!({"metadata": {"name": "p", "namespace": "ns", "uid": "u", "finalizers": ["f"],
                "ownerReferences": [{"uid": "o"}], "deletionTimestamp": "t"}})
        );
    }

    fn obj(uid: &str, owners: Value, finalizers: Value, deleting: bool) -> Arc<Value> {
        let mut o = json!({"metadata": {"name": uid, "namespace": "default", "uid": uid,
            "ownerReferences": owners, "finalizers": finalizers}});
        if deleting {
            o["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        Arc::new(o)
    }

    #[test]
    fn the_graph_asks_for_the_right_work() {
        let mut c = Graph::default();
        let (pods, rs) = (
            resource_of("v1", "Pod").unwrap_or(&RESOURCES[0]),
            resource_of("apps/v1", "ReplicaSet").unwrap_or(&RESOURCES[0]),
        );
        let owned_by = |u: &str| json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": u, "uid": u, "blockOwnerDeletion": true}]);
        // A dependent whose owner is not in the graph is checked.
        let w = c.apply(
            pods,
            Change::Upsert {
                old: None,
                new: obj("p1", owned_by("r1"), json!([]), false),
            },
        );
        assert_eq!(w, ["collect:p1"]);
        // Once the owner is known, its dependents are left alone...
        assert!(c
            .apply(
                rs,
                Change::Upsert {
                    old: None,
                    new: obj("r1", json!([]), json!([]), false)
                }
            )
            .is_empty());
        assert!(c
            .apply(
                pods,
                Change::Upsert {
                    old: None,
                    new: obj("p2", owned_by("r1"), json!([]), false)
                }
            )
            .is_empty());
        // ...until it is deleted in the foreground (its dependents are collected) or goes.
        let mut w = c.apply(
            rs,
            Change::Upsert {
                old: None,
                new: obj("r1", json!([]), json!(["foregroundDeletion"]), true),
            },
        );
        w.sort();
        assert_eq!(w, ["foreground:r1"]);
        let mut w = c.apply(rs, Change::Gone(obj("r1", json!([]), json!([]), false)));
        w.sort();
        assert_eq!(w, ["collect:p1", "collect:p2"]);
        // Orphaning is asked for by the finalizer.
        let w = c.apply(
            rs,
            Change::Upsert {
                old: None,
                new: obj("r2", json!([]), json!(["orphan"]), true),
            },
        );
        assert_eq!(w, ["orphan:r2"]);
        // A pod that goes wakes the foreground owner waiting on it.
        c.apply(
            rs,
            Change::Upsert {
                old: None,
                new: obj("r3", json!([]), json!(["foregroundDeletion"]), true),
            },
        );
        c.apply(
            pods,
            Change::Upsert {
                old: None,
                new: obj("p3", owned_by("r3"), json!([]), false),
            },
        );
        let w = c.apply(
            pods,
            Change::Gone(obj("p3", owned_by("r3"), json!([]), false)),
        );
        assert_eq!(w, ["foreground:r3"]);
    }
}
