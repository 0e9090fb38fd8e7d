//! The storage interface: a revisioned key-value store in etcd's shape, so backends can be swapped by endpoint URL.

mod redb_store;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

pub use redb_store::RedbStore;

/// A boxed future, so that `Store` can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One stored value and the revision that last wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kv {
    pub key: String,
    pub value: Arc<[u8]>,
    /// The revision of the last write: `metadata.resourceVersion`.
    pub revision: u64,
}

/// A change, delivered to watchers in revision order.
#[derive(Debug, Clone)]
pub struct Event {
    pub revision: u64,
    pub key: String,
    /// The new value; `None` for a delete.
    pub value: Option<Arc<[u8]>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("key {0} already exists")]
    AlreadyExists(String),
    #[error("key {0} not found")]
    NotFound(String),
    /// The compare-and-swap precondition failed: the key is at another revision.
    #[error("key {key} is at revision {current}")]
    Conflict { key: String, current: u64 },
    #[error("storage backend failed: {0}")]
    Backend(String),
    #[error("unsupported datastore endpoint {0:?}")]
    UnsupportedEndpoint(String),
}

/// The revisioned store every apiserver write goes through.
///
/// The revision is one global counter, as in etcd. Writes are durable when they return.
pub trait Store: Send + Sync {
    /// The latest committed revision.
    fn revision(&self) -> u64;
    /// All values under `prefix`, with the revision they were read at.
    fn list(&self, prefix: &str) -> BoxFuture<'_, Result<(Vec<Kv>, u64), StoreError>>;
    /// Fails with `AlreadyExists` when the key is present. Returns the new revision.
    fn create(&self, key: String, value: Vec<u8>) -> BoxFuture<'_, Result<u64, StoreError>>;
    /// Replaces the value when the key's revision is `expected` (or always, when `None`).
    fn update(
        &self,
        key: String,
        value: Vec<u8>,
        expected: Option<u64>,
    ) -> BoxFuture<'_, Result<u64, StoreError>>;
    /// Deletes the key when its revision is `expected` (or always). Returns the deleting revision and the old value.
    fn delete(
        &self,
        key: String,
        expected: Option<u64>,
    ) -> BoxFuture<'_, Result<(u64, Kv), StoreError>>;
    /// Every committed change from now on, in revision order.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Event>>;
}

/// Opens the backend an endpoint URL names: empty for the embedded store under `data_dir`.
pub fn open(endpoint: &str, data_dir: &Path) -> Result<Arc<dyn Store>, StoreError> {
    if endpoint.is_empty() {
        Ok(Arc::new(RedbStore::open(&data_dir.join("state.redb"))?))
    } else {
        Err(StoreError::UnsupportedEndpoint(endpoint.to_string()))
    }
}
