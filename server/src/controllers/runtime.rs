//! What the workload controllers share, in client-go's shape: informers that keep one collection in memory
//! from a list and a watch (listing again after a 410), and a keyed work queue that runs one sync per key at
//! a time, retries failures with backoff, and requeues after a delay when a sync asks for it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use kyb_api::client::Client;
use serde_json::Value;
use tokio::sync::{mpsc, Notify};

use crate::informer::{self, key, Update};

/// A collection as last seen, by `namespace/name`, indexed by controller.
#[derive(Clone, Default)]
pub struct Store(Arc<RwLock<Inner>>);

#[derive(Default)]
struct Inner {
    objects: HashMap<String, Arc<Value>>,
    /// Keys by the uid of their controller (ownerReference with `controller: true`); "" for none.
    by_controller: HashMap<String, HashSet<String>>,
}

/// The uid of the object's controller, or "" when it has none.
pub fn controller_uid(obj: &Value) -> &str {
    super::replicaset::controller_ref(obj)
        .and_then(|r| r.get("uid"))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

impl Inner {
    fn unindex(&mut self, k: &str, obj: &Value) {
        let uid = controller_uid(obj);
        if let Some(keys) = self.by_controller.get_mut(uid) {
            keys.remove(k);
            if keys.is_empty() {
                self.by_controller.remove(uid);
            }
        }
    }
}

impl Store {
    pub fn get(&self, k: &str) -> Option<Arc<Value>> {
        self.0.read().ok()?.objects.get(k).cloned()
    }

    /// Every object for which `keep` holds.
    pub fn filter(&self, keep: impl Fn(&Value) -> bool) -> Vec<Arc<Value>> {
        self.0
            .read()
            .map(|m| m.objects.values().filter(|v| keep(v)).cloned().collect())
            .unwrap_or_default()
    }

    /// The objects of one namespace.
    pub fn in_namespace(&self, ns: &str) -> Vec<Arc<Value>> {
        self.filter(|v| super::namespace_and_name(v).0 == ns)
    }

    /// The objects in `ns` whose controller has this uid, plus those with no controller (which it may
    /// adopt): what a controller claims from, without scanning the whole collection.
    pub fn claimable(&self, ns: &str, controller: &str) -> Vec<Arc<Value>> {
        let Ok(inner) = self.0.read() else {
            return Vec::new();
        };
        let uids: &[&str] = if controller.is_empty() {
            &[""]
        } else {
            &[controller, ""]
        };
        uids.iter()
            .filter_map(|uid| inner.by_controller.get(*uid))
            .flatten()
            .filter_map(|k| inner.objects.get(k))
            .filter(|v| super::namespace_and_name(v).0 == ns)
            .cloned()
            .collect()
    }

    fn put(&self, obj: Value) -> (Option<Arc<Value>>, Arc<Value>) {
        let new = Arc::new(obj);
        let k = key(&new);
        let Ok(mut inner) = self.0.write() else {
            return (None, new);
        };
        let old = inner.objects.insert(k.clone(), new.clone());
        if let Some(old) = &old {
            inner.unindex(&k, old);
        }
        inner
            .by_controller
            .entry(controller_uid(&new).to_string())
            .or_default()
            .insert(k);
        (old, new)
    }

    fn remove(&self, k: &str) -> Option<Arc<Value>> {
        let mut inner = self.0.write().ok()?;
        let old = inner.objects.remove(k)?;
        inner.unindex(k, &old);
        Some(old)
    }

    fn keys(&self) -> HashSet<String> {
        self.0
            .read()
            .map(|m| m.objects.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// One change to a store, as the controllers' handlers see it.
#[derive(Clone)]
pub enum Change {
    /// Added or modified: the object before (if it was known) and after.
    Upsert {
        old: Option<Arc<Value>>,
        new: Arc<Value>,
    },
    /// Deleted, or gone from a relist.
    Gone(Arc<Value>),
}

impl Change {
    /// The object the change is about (as it is now, or as it was last seen).
    pub fn object(&self) -> &Arc<Value> {
        match self {
            Change::Upsert { new, .. } => new,
            Change::Gone(old) => old,
        }
    }

    /// The `namespace/name` key of the object the change is about.
    pub fn key(&self) -> String {
        key(self.object())
    }
}

/// One watched collection: its store, the subscribers its changes go to, and whether the first list is in.
#[derive(Clone)]
struct Feed {
    store: Store,
    subscribers: Arc<Mutex<Vec<mpsc::UnboundedSender<Change>>>>,
    synced: tokio::sync::watch::Receiver<bool>,
}

impl Feed {
    /// Starts listing and watching `path`, keeping each object in the shape `shape` gives it.
    fn start(client: Client, path: &str, shape: fn(Value) -> Value) -> Feed {
        let store = Store::default();
        let subscribers: Arc<Mutex<Vec<mpsc::UnboundedSender<Change>>>> = Arc::default();
        let (synced_tx, synced) = tokio::sync::watch::channel(false);
        let mut updates = informer::start(client, path.to_string());
        let (fed, subs) = (store.clone(), subscribers.clone());
        tokio::spawn(async move {
            while let Some(update) = updates.recv().await {
                // The store changes and the changes go out under one lock, so that a subscriber joining
                // meanwhile sees each object either in its snapshot or as a change, never neither.
                let Ok(mut subs) = subs.lock() else { return };
                let changes = match update {
                    Update::Reset(items) => {
                        let mut stale = fed.keys();
                        let mut changes: Vec<Change> = items
                            .into_iter()
                            .map(shape)
                            .map(|obj| {
                                stale.remove(&key(&obj));
                                let (old, new) = fed.put(obj);
                                Change::Upsert { old, new }
                            })
                            .collect();
                        changes
                            .extend(stale.iter().filter_map(|k| fed.remove(k)).map(Change::Gone));
                        let _ = synced_tx.send(true);
                        changes
                    }
                    Update::Added(obj) | Update::Modified(obj) => {
                        let (old, new) = fed.put(shape(obj));
                        vec![Change::Upsert { old, new }]
                    }
                    Update::Deleted(obj) => {
                        let gone = fed
                            .remove(&key(&obj))
                            .unwrap_or_else(|| Arc::new(shape(obj)));
                        vec![Change::Gone(gone)]
                    }
                };
                subs.retain(|tx| changes.iter().all(|c| tx.send(c.clone()).is_ok()));
            }
        });
        Feed {
            store,
            subscribers,
            synced,
        }
    }

    /// A new subscriber: once the first list is in, every object so far as an upsert, then every change.
    async fn subscribe(&self) -> (Store, mpsc::UnboundedReceiver<Change>) {
        let mut synced = self.synced.clone();
        let _ = synced.wait_for(|s| *s).await;
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut subs) = self.subscribers.lock() {
            for obj in self.store.filter(|_| true) {
                let _ = tx.send(Change::Upsert {
                    old: None,
                    new: obj,
                });
            }
            subs.push(tx);
        }
        (self.store.clone(), rx)
    }
}

/// The informers of one process, shared by its controllers: one cache and one watch per collection,
/// however many controllers read it (client-go's SharedInformerFactory).
#[derive(Clone)]
pub struct Informers {
    client: Client,
    feeds: Arc<tokio::sync::Mutex<HashMap<String, Feed>>>,
}

impl Informers {
    pub fn new(client: Client) -> Informers {
        Informers {
            client,
            feeds: Arc::default(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Informers {
    /// The shared feed of a collection URL, started if it is the first asked for.
    async fn feed(&self, path: &str) -> Feed {
        self.feeds
            .lock()
            .await
            .entry(path.to_string())
            .or_insert_with(|| Feed::start(self.client.clone(), path, |obj| obj))
            .clone()
    }
}

/// Subscribes to the shared informer on a collection URL, starting it if it is the first. Returns once the
/// first list is in the store, so that controllers never act on a cache that has not caught up, with the
/// store and its changes (starting with every object already there).
pub async fn inform(informers: &Informers, path: &str) -> (Store, mpsc::UnboundedReceiver<Change>) {
    informers.feed(path).await.subscribe().await
}

/// The shared informer's store of a collection URL, for a controller that only looks objects up: kept
/// current by the feed itself, with no changes to hand out. Returns once the first list is in.
pub async fn cache(informers: &Informers, path: &str) -> Store {
    let feed = informers.feed(path).await;
    let mut synced = feed.synced.clone();
    let _ = synced.wait_for(|s| *s).await;
    feed.store
}

/// An informer of its own, keeping each object only in the shape `shape` gives it: a controller that needs
/// a few fields of every object in the cluster (the garbage collector) keeps just those.
pub async fn inform_with(
    client: Client,
    path: &str,
    shape: fn(Value) -> Value,
) -> (Store, mpsc::UnboundedReceiver<Change>) {
    Feed::start(client, path, shape).subscribe().await
}

/// The first retry waits this long, doubling per failure up to [`MAX_BACKOFF`] (client-go's 5 ms to 1000 s
/// is tuned for large clusters; a short ceiling suits one machine).
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Default)]
struct QueueState {
    ready: VecDeque<String>,
    /// Keys in `ready`.
    queued: HashSet<String>,
    /// Keys being synced now.
    active: HashSet<String>,
    /// Keys added while being synced: queued again when that sync ends.
    again: HashSet<String>,
    /// Keys waiting for a delayed add, and when it is due: one timer per key, the earliest.
    delayed: HashMap<String, tokio::time::Instant>,
    failures: HashMap<String, u32>,
}

/// A keyed work queue: a key is never synced by two workers at once, and adding a queued key is a no-op.
#[derive(Default)]
pub struct Queue {
    state: Mutex<QueueState>,
    notify: Notify,
}

impl Queue {
    pub fn add(&self, k: String) {
        let Ok(mut s) = self.state.lock() else { return };
        if s.active.contains(&k) {
            s.again.insert(k);
        } else if s.queued.insert(k.clone()) {
            s.ready.push_back(k);
            self.notify.notify_one();
        }
    }

    /// Adds the key of the object's controller, when that is of `kind` (an object it owns changed).
    pub fn add_controller_of(&self, obj: &Value, kind: &str) {
        if let Some(k) = super::controller_key(obj, kind) {
            self.add(k);
        }
    }

    /// Adds the key after `delay`, unless it is due sooner already (client-go's AddAfter).
    pub fn add_after(self: &Arc<Self>, k: String, delay: Duration) {
        let due = tokio::time::Instant::now() + delay;
        {
            let Ok(mut s) = self.state.lock() else { return };
            if s.delayed.get(&k).is_some_and(|at| *at <= due) {
                return;
            }
            s.delayed.insert(k.clone(), due);
        }
        let q = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(due).await;
            let mine = q.state.lock().is_ok_and(|mut s| {
                let current = s.delayed.get(&k) == Some(&due);
                if current {
                    s.delayed.remove(&k);
                }
                current
            });
            // A sooner timer replaced this one and has added the key already.
            if mine {
                q.add(k);
            }
        });
    }

    /// Waits for a key to sync, and marks it active.
    async fn next(&self) -> String {
        loop {
            let notified = self.notify.notified();
            if let Ok(mut s) = self.state.lock() {
                if let Some(k) = s.ready.pop_front() {
                    s.queued.remove(&k);
                    s.active.insert(k.clone());
                    if !s.ready.is_empty() {
                        self.notify.notify_one();
                    }
                    return k;
                }
            }
            notified.await;
        }
    }

    /// Ends a sync: failures are retried with backoff, a requested delay requeues, and a key added during
    /// the sync goes round again.
    fn done(self: &Arc<Self>, k: String, outcome: Result<Option<Duration>, String>) {
        let retry = {
            let Ok(mut s) = self.state.lock() else { return };
            s.active.remove(&k);
            let retry = match &outcome {
                Ok(_) => {
                    s.failures.remove(&k);
                    None
                }
                Err(_) => {
                    let n = s.failures.entry(k.clone()).or_insert(0);
                    *n = n.saturating_add(1);
                    Some(
                        FIRST_BACKOFF
                            .saturating_mul(1u32 << (*n - 1).min(16))
                            .min(MAX_BACKOFF),
                    )
                }
            };
            if s.again.remove(&k) {
                drop(s);
                self.add(k.clone());
            }
            retry
        };
        match (outcome, retry) {
            (Err(e), Some(wait)) => {
                tracing::debug!(key = k, error = e, ?wait, "sync failed; retrying");
                self.add_after(k, wait);
            }
            (Ok(Some(after)), _) => self.add_after(k, after),
            _ => {}
        }
    }

    /// A queue whose `workers` loops call `sync(controller, key)`, until the process ends.
    pub fn serve<C, F, Fut>(controller: &Arc<C>, workers: usize, sync: F) -> Arc<Queue>
    where
        C: Send + Sync + 'static,
        F: Fn(Arc<C>, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Duration>, String>> + Send,
    {
        let queue = Arc::new(Queue::default());
        let c = controller.clone();
        queue.run(workers, move |k| sync(c.clone(), k));
        queue
    }

    /// Runs `workers` loops that take keys and call `sync` on them, until the process ends.
    pub fn run<F, Fut>(self: &Arc<Self>, workers: usize, sync: F)
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Duration>, String>> + Send,
    {
        let sync = Arc::new(sync);
        for _ in 0..workers.max(1) {
            let (q, sync) = (self.clone(), sync.clone());
            tokio::spawn(async move {
                loop {
                    let k = q.next().await;
                    let outcome = sync(k.clone()).await;
                    q.done(k, outcome);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn stores_index_objects_by_controller() {
        let obj = |ns: &str, name: &str, owner: Option<&str>| {
            let refs = owner.map_or(
                serde_json::json!([]),
                |u| serde_json::json!([{"uid": u, "controller": true}]),
            );
            serde_json::json!({"metadata": {"namespace": ns, "name": name, "ownerReferences": refs}})
        };
        let names = |v: Vec<Arc<Value>>| {
            let mut n: Vec<String> = v.iter().map(|o| key(o)).collect();
            n.sort();
            n
        };
        let s = Store::default();
        s.put(obj("a", "p1", Some("u1")));
        s.put(obj("a", "p2", Some("u2")));
        s.put(obj("a", "p3", None));
        s.put(obj("b", "p4", None));
        assert_eq!(names(s.claimable("a", "u1")), ["a/p1", "a/p3"]);
        // Released: the object moves to the uncontrolled ones; removed: it goes from the index.
        s.put(obj("a", "p1", None));
        assert_eq!(names(s.claimable("a", "u1")), ["a/p1", "a/p3"]);
        assert_eq!(names(s.claimable("a", "u2")), ["a/p1", "a/p2", "a/p3"]);
        s.remove("a/p2");
        assert_eq!(names(s.claimable("a", "u2")), ["a/p1", "a/p3"]);
        assert_eq!(names(s.claimable("b", "")), ["b/p4"]);
    }

    #[tokio::test]
    async fn one_sync_per_key_and_failures_retry() {
        let q = Arc::new(Queue::default());
        // Adding a queued key again is a no-op.
        for _ in 0..5 {
            q.add("ns/a".into());
        }
        q.add("ns/b".into());
        let running = Arc::new(Mutex::new(HashSet::<String>::new()));
        let overlaps = Arc::new(AtomicUsize::new(0));
        let calls = Arc::new(Mutex::new(Vec::<String>::new()));
        let (r, o, c, again) = (running.clone(), overlaps.clone(), calls.clone(), q.clone());
        q.run(4, move |k: String| {
            let (r, o, c, again) = (r.clone(), o.clone(), c.clone(), again.clone());
            async move {
                if !r.lock().map_err(|e| e.to_string())?.insert(k.clone()) {
                    o.fetch_add(1, Ordering::SeqCst);
                }
                // Adding the key while it syncs must not start a second sync beside this one.
                again.add(k.clone());
                tokio::time::sleep(Duration::from_millis(20)).await;
                r.lock().map_err(|e| e.to_string())?.remove(&k);
                let n = {
                    let mut c = c.lock().map_err(|e| e.to_string())?;
                    c.push(k.clone());
                    c.iter().filter(|x| **x == k).count()
                };
                match (k.as_str(), n) {
                    // "a" fails once, then comes round again after its backoff.
                    ("ns/a", 1) => Err("first attempt".to_string()),
                    _ => Ok(None),
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(overlaps.load(Ordering::SeqCst), 0);
        let calls = calls.lock().map(|c| c.clone()).unwrap_or_default();
        // Each sync re-adds its key, so both keep coming round; "a" also retried after failing.
        assert!(calls.iter().filter(|k| *k == "ns/a").count() >= 2);
        assert!(calls.iter().filter(|k| *k == "ns/b").count() >= 2);
    }
}
