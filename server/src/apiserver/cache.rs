//! The watch cache: the current objects and a window of recent events in memory, fed by the store's event stream.
//! Gets, lists and watches are served from here; only writes reach the store.
//!
//! Objects are held as their JSON bytes plus a small index (name, namespace, labels and the kind's
//! selectable fields), so lists and watches copy bytes instead of re-serializing, and memory stays close
//! to the size of the JSON itself.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use serde_json::{json, Value};
use tokio::sync::{broadcast, watch};

use crate::store::{Event, Store, StoreError};

/// The prefix every object key starts with.
pub const ROOT: &str = "/registry/";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One cached object: its JSON with `metadata.resourceVersion` stamped, what selectors read, and its Table row.
#[derive(Debug)]
pub struct Obj {
    pub raw: Bytes,
    /// `{"metadata": {name, namespace, labels, uid, deletionTimestamp}, ...selectable fields}`.
    index: Value,
    /// The Table cells, computed when the object was stored; `None` when cells other than the age move with time.
    row: Option<Row>,
}

/// Precomputed Table cells: only the Age columns are recomputed when a Table is served.
#[derive(Debug)]
struct Row {
    cells: Vec<Value>,
    ages: Vec<usize>,
    created: Option<chrono::DateTime<chrono::Utc>>,
}

impl Row {
    /// Cells at two instants far apart; the ones that differ move with time. Only Age columns may.
    fn compute(group: &str, plural: &str, v: &Value) -> Option<Row> {
        let now = chrono::Utc::now();
        let cells = super::tables::cells(group, plural, v, now);
        let later = super::tables::cells(group, plural, v, now + chrono::Duration::days(3650));
        let columns = super::tables::columns(group, plural);
        let mut ages = Vec::new();
        for (i, (a, b)) in cells.iter().zip(&later).enumerate() {
            if a != b {
                if columns.get(i).is_some_and(|c| c.name == "Age") {
                    ages.push(i);
                } else {
                    return None;
                }
            }
        }
        let created = v
            .pointer("/metadata/creationTimestamp")
            .and_then(Value::as_str)
            .and_then(super::tables::parse_time);
        Some(Row {
            cells,
            ages,
            created,
        })
    }
}

impl Obj {
    /// Builds a cached object from a parsed value already stamped with its revision.
    fn new(v: &Value, kind: (&str, &str), selectable: &[&str]) -> Option<Obj> {
        let raw = Bytes::from(serde_json::to_vec(v).ok()?);
        let meta = v.get("metadata");
        let mut m = serde_json::Map::new();
        for f in ["name", "namespace", "labels", "uid", "deletionTimestamp"] {
            if let Some(x) = meta.and_then(|m| m.get(f)) {
                m.insert(f.into(), x.clone());
            }
        }
        let mut index = json!({ "metadata": m });
        for path in selectable {
            if let Some(x) = path.split('.').try_fold(v, |v, p| v.get(p)) {
                let mut slot = &mut index;
                for part in path.split('.') {
                    slot = &mut slot[part];
                }
                *slot = x.clone();
            }
        }
        Some(Obj {
            raw,
            index,
            row: Row::compute(kind.0, kind.1, v),
        })
    }

    /// The Table cells at `now` from the stored row, for a resource served in its stored form.
    pub fn cells_at(
        &self,
        resource: &kyb_api::registry::Resource,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<Vec<Value>> {
        let row = self.row.as_ref().filter(|_| resource.is_storage_form())?;
        let mut cells = row.cells.clone();
        for &i in &row.ages {
            let age = match row.created {
                Some(t) => super::tables::human_since(t, now),
                None => "<unknown>".to_string(),
            };
            if let Some(c) = cells.get_mut(i) {
                *c = Value::String(age);
            }
        }
        Some(cells)
    }

    /// The bytes of `metadata` inside the stored JSON, found without building a value tree.
    pub fn raw_metadata(&self) -> &[u8] {
        #[derive(serde::Deserialize)]
        struct View<'a> {
            #[serde(borrow)]
            metadata: Option<&'a serde_json::value::RawValue>,
        }
        match serde_json::from_slice::<View>(&self.raw) {
            Ok(View { metadata: Some(m) }) => m.get().as_bytes(),
            _ => b"{}",
        }
    }

    /// The full object.
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.raw).unwrap_or(Value::Null)
    }

    /// Name, namespace, labels, uid, deletionTimestamp and the kind's selectable fields, for selectors.
    pub fn index(&self) -> &Value {
        &self.index
    }

    pub fn meta_str(&self, field: &str) -> Option<&str> {
        self.index["metadata"].get(field).and_then(Value::as_str)
    }
}

/// One change, with the object after it (for a delete: the last state, at the deleting revision).
#[derive(Debug)]
pub struct CacheEvent {
    pub revision: u64,
    pub key: String,
    pub kind: EventType,
    pub object: Arc<Obj>,
    /// The object before the change, so a selector watch can tell an object leaving its set.
    pub prev: Option<Arc<Obj>>,
}

struct Inner {
    revision: u64,
    objects: BTreeMap<String, Arc<Obj>>,
    history: VecDeque<Arc<CacheEvent>>,
    /// Every event after this revision is in `history`.
    oldest: u64,
}

/// One page of a list: the objects, the revision they were read at, and the key to continue after when the limit cut the list.
pub struct Page {
    pub items: Vec<Arc<Obj>>,
    pub revision: u64,
    pub cont: Option<String>,
}

/// Why a watch cannot start.
#[derive(Debug)]
pub enum WatchStart {
    /// The requested revision fell out of the window: 410 Expired.
    TooOld { requested: u64, oldest: u64 },
}

/// A watch's start: the events it must replay, then the live feed.
pub struct Subscription {
    pub backlog: Vec<Arc<CacheEvent>>,
    pub live: broadcast::Receiver<Arc<CacheEvent>>,
}

pub struct WatchCache {
    // A std lock: no await ever happens while it is held, and every critical section is short.
    inner: RwLock<Inner>,
    events: broadcast::Sender<Arc<CacheEvent>>,
    progress: watch::Sender<u64>,
    capacity: usize,
}

/// The stored group and plural a key belongs to (`/registry/core/pods/...` is ("", "pods")).
fn kind_of(key: &str) -> (&str, &str) {
    let mut parts = key.strip_prefix(ROOT).unwrap_or(key).split('/');
    let group = match parts.next() {
        Some("core") | None => "",
        Some(g) => g,
    };
    (group, parts.next().unwrap_or_default())
}

/// Builds the cached form of a value: bytes, selector index, Table row.
fn cached(key: &str, v: &Value) -> Option<Obj> {
    let kind = kind_of(key);
    Obj::new(v, kind, super::list::selectable_fields(kind.0, kind.1))
}

/// Parses a stored value, stamps its resourceVersion, and indexes it.
fn materialize(key: &str, bytes: &[u8], revision: u64) -> Option<Obj> {
    let mut v: Value = serde_json::from_slice(bytes).ok()?;
    stamp(&mut v, revision);
    cached(key, &v)
}

fn stamp(v: &mut Value, revision: u64) {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert(
            "resourceVersion".into(),
            Value::String(revision.to_string()),
        );
    }
}

impl WatchCache {
    /// Loads every object from the store and follows its events from then on.
    pub async fn start(store: Arc<dyn Store>, capacity: usize) -> Result<Arc<Self>, StoreError> {
        let feed = store.subscribe();
        let (objects, revision) = Self::load(store.as_ref()).await?;
        // Watchers that fall further behind than this are ended and resume from their last revision.
        let (events, _) = broadcast::channel(capacity.clamp(1024, 1 << 14));
        let (progress, _) = watch::channel(revision);
        let cache = Arc::new(WatchCache {
            inner: RwLock::new(Inner {
                revision,
                objects,
                history: VecDeque::with_capacity(capacity.min(1 << 16)),
                oldest: revision,
            }),
            events,
            progress,
            capacity,
        });
        tokio::spawn(cache.clone().follow(store, feed));
        Ok(cache)
    }

    async fn load(store: &dyn Store) -> Result<(BTreeMap<String, Arc<Obj>>, u64), StoreError> {
        let (kvs, revision) = store.list(ROOT).await?;
        let objects = kvs
            .into_iter()
            .filter_map(|kv| {
                let o = materialize(&kv.key, &kv.value, kv.revision);
                if o.is_none() {
                    tracing::warn!(key = kv.key, "skipping undecodable stored object");
                }
                Some((kv.key, Arc::new(o?)))
            })
            .collect();
        Ok((objects, revision))
    }

    async fn follow(
        self: Arc<Self>,
        store: Arc<dyn Store>,
        mut feed: broadcast::Receiver<Arc<Event>>,
    ) {
        loop {
            match feed.recv().await {
                Ok(event) => self.apply(&event),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "watch cache fell behind the store; reloading");
                    feed = store.subscribe();
                    match Self::load(store.as_ref()).await {
                        Ok((objects, revision)) => self.reset(objects, revision),
                        Err(e) => tracing::error!(error = %e, "watch cache reload failed"),
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// Replaces the state after a reload; watchers older than this get 410 and relist.
    fn reset(&self, objects: BTreeMap<String, Arc<Obj>>, revision: u64) {
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        inner.objects = objects;
        inner.history.clear();
        inner.revision = revision;
        inner.oldest = revision;
        drop(inner);
        self.progress.send_replace(revision);
    }

    fn apply(&self, event: &Event) {
        // Parsing and indexing happen before the lock is taken.
        let new = event
            .value
            .as_ref()
            .and_then(|bytes| materialize(&event.key, bytes, event.revision).map(Arc::new));
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        if event.revision <= inner.revision {
            return; // Already part of the loaded state.
        }
        let prev = inner.objects.get(&event.key).cloned();
        let change = match (new, &prev) {
            (Some(obj), _) => {
                inner.objects.insert(event.key.clone(), obj.clone());
                let kind = if prev.is_some() {
                    EventType::Modified
                } else {
                    EventType::Added
                };
                Some((kind, obj))
            }
            (None, Some(old)) if event.value.is_none() => {
                inner.objects.remove(&event.key);
                let mut last = old.value();
                stamp(&mut last, event.revision);
                cached(&event.key, &last).map(|o| (EventType::Deleted, Arc::new(o)))
            }
            _ => None,
        };
        inner.revision = event.revision;
        if let Some((kind, object)) = change {
            let ev = Arc::new(CacheEvent {
                revision: event.revision,
                key: event.key.clone(),
                kind,
                object,
                prev,
            });
            if inner.history.len() >= self.capacity {
                if let Some(old) = inner.history.pop_front() {
                    inner.oldest = old.revision;
                }
            }
            inner.history.push_back(ev.clone());
            // Sent under the lock so that a subscriber taken under the lock sees each event exactly once.
            let _ = self.events.send(ev);
        }
        let rev = inner.revision;
        drop(inner);
        self.progress.send_replace(rev);
    }

    /// Waits until the cache has caught up with `revision`, so that reads follow writes.
    pub async fn wait_for(&self, revision: u64) -> bool {
        let mut rx = self.progress.subscribe();
        let caught_up =
            tokio::time::timeout(Duration::from_secs(3), rx.wait_for(|r| *r >= revision)).await;
        matches!(caught_up, Ok(Ok(_)))
    }

    pub fn revision(&self) -> u64 {
        self.inner.read().map(|i| i.revision).unwrap_or(0)
    }

    pub fn get(&self, key: &str) -> Option<Arc<Obj>> {
        self.inner.read().ok()?.objects.get(key).cloned()
    }

    /// Objects under `prefix` after the key `after`, up to `limit` of those `keep` accepts.
    pub fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: Option<usize>,
        keep: impl Fn(&Obj) -> bool,
    ) -> Page {
        let Ok(inner) = self.inner.read() else {
            return Page {
                items: Vec::new(),
                revision: 0,
                cont: None,
            };
        };
        let (items, cont) = page(range(&inner.objects, prefix, after), limit, keep);
        Page {
            items,
            revision: inner.revision,
            cont,
        }
    }

    /// Like `list`, but as the objects stood at revision `at`, rebuilt by undoing the window's later events.
    /// This keeps the pages of one paged list consistent. `TooOld` when the window no longer reaches back to `at`.
    pub fn list_at(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: Option<usize>,
        keep: impl Fn(&Obj) -> bool,
        at: u64,
    ) -> Result<Page, WatchStart> {
        let inner = self.inner.read().map_err(|_| WatchStart::TooOld {
            requested: at,
            oldest: 0,
        })?;
        if at >= inner.revision {
            let (items, cont) = page(range(&inner.objects, prefix, after), limit, keep);
            return Ok(Page {
                items,
                revision: inner.revision,
                cont,
            });
        }
        if at < inner.oldest {
            return Err(WatchStart::TooOld {
                requested: at,
                oldest: inner.oldest,
            });
        }
        let mut state: BTreeMap<&String, &Arc<Obj>> =
            range(&inner.objects, prefix, after).collect();
        let mut undone = std::collections::HashSet::new();
        let in_range = |k: &str| k.starts_with(prefix) && after.is_none_or(|a| k > a);
        // The first event after `at` for a key holds, in `prev`, the key's state at `at`.
        for e in inner
            .history
            .iter()
            .filter(|e| e.revision > at && in_range(&e.key))
        {
            if undone.insert(&e.key) {
                match &e.prev {
                    Some(p) => state.insert(&e.key, p),
                    None => state.remove(&e.key),
                };
            }
        }
        let (items, cont) = page(state.into_iter(), limit, keep);
        Ok(Page {
            items,
            revision: at,
            cont,
        })
    }

    /// Starts a watch of `prefix`: from `since` (replaying later events) or, with `None`, from the current state as ADDED events.
    pub fn subscribe(&self, prefix: &str, since: Option<u64>) -> Result<Subscription, WatchStart> {
        let inner = self.inner.read().map_err(|_| WatchStart::TooOld {
            requested: 0,
            oldest: 0,
        })?;
        let live = self.events.subscribe();
        let backlog = match since {
            None => inner
                .objects
                .range(prefix.to_string()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .map(|(k, o)| {
                    Arc::new(CacheEvent {
                        revision: inner.revision,
                        key: k.clone(),
                        kind: EventType::Added,
                        object: o.clone(),
                        prev: None,
                    })
                })
                .collect(),
            Some(rev) if rev < inner.oldest => {
                return Err(WatchStart::TooOld {
                    requested: rev,
                    oldest: inner.oldest,
                });
            }
            Some(rev) => inner
                .history
                .iter()
                .filter(|e| e.revision > rev && e.key.starts_with(prefix))
                .cloned()
                .collect(),
        };
        Ok(Subscription { backlog, live })
    }
}

/// The objects under `prefix` after the key `after`, in key order.
fn range<'a>(
    objects: &'a BTreeMap<String, Arc<Obj>>,
    prefix: &'a str,
    after: Option<&str>,
) -> impl Iterator<Item = (&'a String, &'a Arc<Obj>)> {
    let start = match after {
        Some(k) => std::ops::Bound::Excluded(k.to_string()),
        None => std::ops::Bound::Included(prefix.to_string()),
    };
    objects
        .range((start, std::ops::Bound::Unbounded))
        .take_while(move |(k, _)| k.starts_with(prefix))
}

/// Up to `limit` of the objects `keep` accepts, and the key to continue after when the limit cut the list.
fn page<'a>(
    entries: impl Iterator<Item = (&'a String, &'a Arc<Obj>)>,
    limit: Option<usize>,
    keep: impl Fn(&Obj) -> bool,
) -> (Vec<Arc<Obj>>, Option<String>) {
    let mut out = Vec::new();
    let mut last_key: Option<&String> = None;
    for (key, obj) in entries.filter(|(_, o)| keep(o)) {
        if limit.is_some_and(|l| out.len() >= l) {
            return (out, last_key.cloned());
        }
        out.push(obj.clone());
        last_key = Some(key);
    }
    (out, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_keeps_metadata_and_selectable_fields_only() {
        let pod = json!({"metadata": {"name": "p", "namespace": "d", "labels": {"a": "b"}, "annotations": {"big": "x"}},
            "spec": {"nodeName": "n1", "containers": []}, "status": {"phase": "Running"}});
        let o =
            materialize("/registry/core/pods/d/p", pod.to_string().as_bytes(), 7).expect("indexed");
        assert_eq!(o.index()["spec"]["nodeName"], "n1");
        assert_eq!(o.index()["status"]["phase"], "Running");
        assert_eq!(o.index()["metadata"]["labels"]["a"], "b");
        assert!(o.index()["metadata"].get("annotations").is_none());
        assert_eq!(o.value()["metadata"]["resourceVersion"], "7");
        assert_eq!(o.meta_str("name"), Some("p"));
    }

    #[test]
    fn stored_rows_recompute_only_the_age() {
        let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        let o = cached("/registry/apps/deployments/default/web", &deploy).expect("cached");
        let Some(apps) = kyb_api::registry::lookup("apps", "v1", "deployments") else {
            panic!("deployments")
        };
        let now = chrono::Utc::now();
        let cells = o.cells_at(apps, now).expect("reusable row");
        assert_eq!(
            cells,
            super::super::tables::cells("apps", "deployments", &deploy, now)
        );
        // A restarted container's "(5m ago)" moves with time: such rows are printed afresh.
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "c", "restartCount": 3, "ready": true,
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2020-01-01T00:10:00Z"}}}]}});
        let o = cached("/registry/core/pods/default/p", &pod).expect("cached");
        let Some(pods) = kyb_api::registry::lookup("", "v1", "pods") else {
            panic!("pods")
        };
        assert!(o.cells_at(pods, now).is_none());
        assert!(o.raw_metadata().starts_with(b"{\"creationTimestamp\""));
    }
}
