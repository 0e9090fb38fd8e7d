//! The embedded backend on redb: one writer thread that group-commits, so many concurrent writes share one fsync.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::{broadcast, oneshot};

use super::{BoxFuture, Event, Kv, Store, StoreError};

/// key -> revision (8 bytes, little-endian) followed by the JSON value.
const OBJECTS: TableDefinition<&str, &[u8]> = TableDefinition::new("objects");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const REVISION_KEY: &str = "revision";
/// How many queued writes one transaction may take; bounds the latency of the first.
const MAX_BATCH: usize = 512;
const CACHE_BYTES: usize = 32 << 20;
/// Events a slow subscriber may fall behind by before it must reload; the channel keeps this many values alive.
const EVENT_BACKLOG: usize = 16 << 10;

enum Op {
    Create(String, Vec<u8>),
    Update(String, Vec<u8>, Option<u64>),
    Delete(String, Option<u64>),
}

enum Done {
    Written(u64),
    Deleted(u64, Kv),
}

type Reply = oneshot::Sender<Result<Done, StoreError>>;

pub struct RedbStore {
    db: Arc<Database>,
    revision: Arc<AtomicU64>,
    writes: mpsc::Sender<(Op, Reply)>,
    events: broadcast::Sender<Arc<Event>>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn decode(key: &str, raw: &[u8]) -> Result<Kv, StoreError> {
    let (rev, value) = raw
        .split_first_chunk::<8>()
        .ok_or_else(|| backend(format!("corrupt record at {key}")))?;
    Ok(Kv {
        key: key.to_string(),
        value: Arc::from(value),
        revision: u64::from_le_bytes(*rev),
    })
}

fn encode(revision: u64, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + value.len());
    out.extend_from_slice(&revision.to_le_bytes());
    out.extend_from_slice(value);
    out
}

impl RedbStore {
    /// Opens (or creates) the database file and starts the writer thread.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(backend)?;
        }
        // redb's default page cache is 1 GiB; the watch cache already holds every object, so keep this small.
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(backend)?;
        let txn = db.begin_write().map_err(backend)?;
        let revision = {
            txn.open_table(OBJECTS).map_err(backend)?;
            let meta = txn.open_table(META).map_err(backend)?;
            let rev = meta.get(REVISION_KEY).map_err(backend)?.map(|v| v.value());
            rev.unwrap_or(1)
        };
        txn.commit().map_err(backend)?;
        let db = Arc::new(db);
        let revision = Arc::new(AtomicU64::new(revision));
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let (writes, queue) = mpsc::channel();
        let writer = Writer {
            db: db.clone(),
            revision: revision.clone(),
            events: events.clone(),
        };
        std::thread::Builder::new()
            .name("redb-writer".into())
            .spawn(move || writer.run(queue))
            .map_err(backend)?;
        Ok(RedbStore {
            db,
            revision,
            writes,
            events,
        })
    }

    async fn write(&self, op: Op) -> Result<Done, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.writes
            .send((op, tx))
            .map_err(|_| backend("writer stopped"))?;
        rx.await.map_err(|_| backend("writer stopped"))?
    }

    fn read_blocking(db: &Database, prefix: &str) -> Result<(Vec<Kv>, u64), StoreError> {
        let txn = db.begin_read().map_err(backend)?;
        let meta = txn.open_table(META).map_err(backend)?;
        let rev = meta
            .get(REVISION_KEY)
            .map_err(backend)?
            .map(|v| v.value())
            .unwrap_or(1);
        let table = txn.open_table(OBJECTS).map_err(backend)?;
        let mut out = Vec::new();
        for entry in table.range(prefix..).map_err(backend)? {
            let (k, v) = entry.map_err(backend)?;
            let key = k.value();
            if !key.starts_with(prefix) {
                break;
            }
            out.push(decode(key, v.value())?);
        }
        Ok((out, rev))
    }

    async fn read(&self, prefix: &str) -> Result<(Vec<Kv>, u64), StoreError> {
        let db = self.db.clone();
        let prefix = prefix.to_string();
        tokio::task::spawn_blocking(move || Self::read_blocking(&db, &prefix))
            .await
            .map_err(backend)?
    }
}

impl Store for RedbStore {
    fn revision(&self) -> u64 {
        self.revision.load(Ordering::Acquire)
    }

    fn list(&self, prefix: &str) -> BoxFuture<'_, Result<(Vec<Kv>, u64), StoreError>> {
        let prefix = prefix.to_string();
        Box::pin(async move { self.read(&prefix).await })
    }

    fn create(&self, key: String, value: Vec<u8>) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move {
            match self.write(Op::Create(key, value)).await? {
                Done::Written(rev) | Done::Deleted(rev, _) => Ok(rev),
            }
        })
    }

    fn update(
        &self,
        key: String,
        value: Vec<u8>,
        expected: Option<u64>,
    ) -> BoxFuture<'_, Result<u64, StoreError>> {
        Box::pin(async move {
            match self.write(Op::Update(key, value, expected)).await? {
                Done::Written(rev) | Done::Deleted(rev, _) => Ok(rev),
            }
        })
    }

    fn delete(
        &self,
        key: String,
        expected: Option<u64>,
    ) -> BoxFuture<'_, Result<(u64, Kv), StoreError>> {
        Box::pin(async move {
            match self.write(Op::Delete(key.clone(), expected)).await? {
                Done::Deleted(rev, kv) => Ok((rev, kv)),
                Done::Written(_) => Err(backend(format!("delete of {key} wrote a value"))),
            }
        })
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }
}

struct Writer {
    db: Arc<Database>,
    revision: Arc<AtomicU64>,
    events: broadcast::Sender<Arc<Event>>,
}

impl Writer {
    /// Takes every write queued so far into one transaction and one fsync; replies only after the commit.
    fn run(self, queue: mpsc::Receiver<(Op, Reply)>) {
        while let Ok(first) = queue.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
            self.commit(batch);
        }
    }

    fn commit(&self, batch: Vec<(Op, Reply)>) {
        let mut rev = self.revision.load(Ordering::Acquire);
        let mut results = Vec::with_capacity(batch.len());
        let mut events = Vec::new();
        let outcome = (|| -> Result<(), StoreError> {
            let txn = self.db.begin_write().map_err(backend)?;
            {
                let mut table = txn.open_table(OBJECTS).map_err(backend)?;
                for (op, _) in &batch {
                    let result = apply(&mut table, op, rev + 1);
                    if let Ok(done) = &result {
                        rev += 1;
                        events.push(Arc::new(match (op, done) {
                            (Op::Create(k, v) | Op::Update(k, v, _), _) => Event {
                                revision: rev,
                                key: k.clone(),
                                value: Some(Arc::from(v.as_slice())),
                            },
                            (Op::Delete(k, _), _) => Event {
                                revision: rev,
                                key: k.clone(),
                                value: None,
                            },
                        }));
                    }
                    results.push(result);
                }
                let mut meta = txn.open_table(META).map_err(backend)?;
                meta.insert(REVISION_KEY, rev).map_err(backend)?;
            }
            txn.commit().map_err(backend)
        })();
        match outcome {
            Ok(()) => {
                self.revision.store(rev, Ordering::Release);
                for event in events {
                    // No subscriber is fine: the watch cache may not have started yet.
                    let _ = self.events.send(event);
                }
                for ((_, reply), result) in batch.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                for (_, reply) in batch {
                    let _ = reply.send(Err(backend(&e)));
                }
            }
        }
    }
}

fn apply(table: &mut redb::Table<&str, &[u8]>, op: &Op, rev: u64) -> Result<Done, StoreError> {
    let key = match op {
        Op::Create(k, _) | Op::Update(k, _, _) | Op::Delete(k, _) => k.as_str(),
    };
    let current = table
        .get(key)
        .map_err(backend)?
        .map(|v| decode(key, v.value()))
        .transpose()?;
    match (op, current) {
        (Op::Create(..), Some(_)) => Err(StoreError::AlreadyExists(key.into())),
        (Op::Create(_, value), None) => {
            table
                .insert(key, encode(rev, value).as_slice())
                .map_err(backend)?;
            Ok(Done::Written(rev))
        }
        (Op::Update(..) | Op::Delete(..), None) => Err(StoreError::NotFound(key.into())),
        (Op::Update(_, _, Some(expected)) | Op::Delete(_, Some(expected)), Some(cur))
            if cur.revision != *expected =>
        {
            Err(StoreError::Conflict {
                key: key.into(),
                current: cur.revision,
            })
        }
        (Op::Update(_, value, _), Some(_)) => {
            table
                .insert(key, encode(rev, value).as_slice())
                .map_err(backend)?;
            Ok(Done::Written(rev))
        }
        (Op::Delete(..), Some(cur)) => {
            table.remove(key).map_err(backend)?;
            Ok(Done::Deleted(rev, cur))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store() -> (RedbStore, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("kybd-store-{}", uuid::Uuid::new_v4()));
        let store = RedbStore::open(&dir.join("db")).expect("open store");
        (store, dir)
    }

    #[tokio::test]
    async fn create_update_delete_bump_one_revision_each() {
        let (store, dir) = temp_store();
        let start = store.revision();
        let r1 = store
            .create("/a/1".into(), b"{}".to_vec())
            .await
            .expect("create");
        assert_eq!(r1, start + 1);
        assert!(matches!(
            store.create("/a/1".into(), b"{}".to_vec()).await,
            Err(StoreError::AlreadyExists(_))
        ));
        assert!(matches!(
            store.update("/a/1".into(), b"[]".to_vec(), Some(r1 + 7)).await,
            Err(StoreError::Conflict { current, .. }) if current == r1
        ));
        let r2 = store
            .update("/a/1".into(), b"[]".to_vec(), Some(r1))
            .await
            .expect("update");
        assert_eq!(r2, r1 + 1);
        let (list, rev) = store.list("/a/").await.expect("list");
        assert_eq!(rev, r2);
        assert_eq!(&*list[0].value, b"[]");
        let (r3, old) = store.delete("/a/1".into(), None).await.expect("delete");
        assert_eq!((r3, old.revision), (r2 + 1, r2));
        assert!(store.list("/a/1").await.expect("list").0.is_empty());
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn list_stays_inside_its_prefix() {
        let (store, dir) = temp_store();
        for key in ["/a/x", "/a/y", "/ab/z", "/b/w"] {
            store
                .create(key.into(), b"1".to_vec())
                .await
                .expect("create");
        }
        let (list, _) = store.list("/a/").await.expect("list");
        let keys: Vec<_> = list.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["/a/x", "/a/y"]);
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }
}
