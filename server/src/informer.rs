//! A list-then-watch feed of one resource through the API, as client-go's reflector: it lists, watches from the
//! list's revision, and lists again when the watch ends or its revision has expired (410).

use std::time::Duration;

use kyb_api::client::{Client, Method};
use serde_json::Value;
use tokio::sync::mpsc;

/// What a consumer sees: the whole set again (after a list), or one change.
#[derive(Debug)]
pub enum Update {
    Reset(Vec<Value>),
    Added(Value),
    Modified(Value),
    Deleted(Value),
}

/// Starts feeding `path` (a collection URL, optionally with a query) into a channel until the receiver is dropped.
pub fn start(client: Client, path: String) -> mpsc::Receiver<Update> {
    let (tx, rx) = mpsc::channel(4096);
    tokio::spawn(async move {
        let sep = if path.contains('?') { '&' } else { '?' };
        loop {
            let rv = match client
                .send(Method::GET, &path, "application/json", None)
                .await
                .and_then(|r| r.json())
            {
                Ok(list) => {
                    let rv = list
                        .pointer("/metadata/resourceVersion")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let items = list
                        .get("items")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    if tx.send(Update::Reset(items)).await.is_err() {
                        return;
                    }
                    rv
                }
                Err(e) => {
                    tracing::warn!(path, error = %e, "list failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let watch =
                format!("{path}{sep}watch=true&resourceVersion={rv}&allowWatchBookmarks=true");
            let mut stream = match client.watch(&watch, "application/json").await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(path, error = %e, "watch failed; listing again");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            while let Some(event) = stream.next().await {
                let Ok(event) = event else { break };
                let object = event.get("object").cloned().unwrap_or(Value::Null);
                let update = match event.get("type").and_then(Value::as_str) {
                    Some("ADDED") => Update::Added(object),
                    Some("MODIFIED") => Update::Modified(object),
                    Some("DELETED") => Update::Deleted(object),
                    // BOOKMARK keeps the connection's revision fresh; ERROR (410) means list again.
                    Some("ERROR") => break,
                    _ => continue,
                };
                if tx.send(update).await.is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// `namespace/name` of an object, its identity in the caches.
pub fn key(obj: &Value) -> String {
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    format!("{ns}/{name}")
}

/// Applies a feed's update to a map of its objects by key (what a component that only looks things up
/// keeps). A std lock: held only for the write, never across an await.
pub fn apply(map: &std::sync::RwLock<std::collections::HashMap<String, Value>>, update: Update) {
    let Ok(mut map) = map.write() else { return };
    match update {
        Update::Reset(items) => {
            map.clear();
            for i in items {
                map.insert(key(&i), i);
            }
        }
        Update::Added(i) | Update::Modified(i) => {
            map.insert(key(&i), i);
        }
        Update::Deleted(i) => {
            map.remove(&key(&i));
        }
    }
}
