//! Namespace termination: a deleted namespace empties itself, then drops its `kubernetes` finalizer and goes.
//!
//! This runs beside the API because, until the controller manager exists, nothing else would finish it;
//! it acts only through the same delete and finalize paths that clients use.

use std::sync::Arc;
use std::time::Duration;

use kyb_api::registry::{self, RESOURCES};
use serde_json::{json, Value};

use super::crud::{delete_object, read, store_update};
use super::Api;

/// Starts termination of namespaces left Terminating by an earlier run.
pub fn resume(api: &Arc<Api>) {
    let Some(ns) = registry::lookup("", "v1", "namespaces") else {
        return;
    };
    let all = api
        .cache
        .list(&ns.storage_prefix(), None, None, |o| {
            o.meta_str("deletionTimestamp").is_some()
        })
        .items;
    for obj in all {
        if let Some(name) = obj.meta_str("name") {
            finalize_later(api, name.to_string());
        }
    }
}

/// Empties the namespace in the background, then finalizes it.
pub fn finalize_later(api: &Api, name: String) {
    let api = api.clone();
    tokio::spawn(async move {
        loop {
            match finalize_once(&api, &name).await {
                Ok(true) => return,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(namespace = name, error = ?e, "namespace termination step failed")
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
}

/// One pass: delete what is left; when nothing is, finalize. Returns true when the namespace is gone.
async fn finalize_once(api: &Api, name: &str) -> Result<bool, super::error::ApiError> {
    let Some(namespaces) = registry::lookup("", "v1", "namespaces") else {
        return Ok(true);
    };
    let mut remaining = 0;
    for r in RESOURCES
        .iter()
        .filter(|r| r.namespaced && r.is_storage_form())
    {
        let prefix = format!("{}{name}/", r.storage_prefix());
        let objs = api.cache.list(&prefix, None, None, |_| true).items;
        for obj in objs {
            remaining += 1;
            if obj.meta_str("deletionTimestamp").is_none() {
                delete_object(api, r, &obj.value(), Some(0), Default::default(), false).await?;
            }
        }
    }
    if remaining > 0 {
        return Ok(false);
    }
    let current = match read(api, namespaces, None, name).await {
        Ok(c) => c,
        Err(_) => return Ok(true),
    };
    let mut new = current.clone();
    let finalizers: Vec<Value> = new
        .pointer("/spec/finalizers")
        .and_then(Value::as_array)
        .map(|f| {
            f.iter()
                .filter(|x| x.as_str() != Some("kubernetes"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    new["spec"]["finalizers"] = json!(finalizers);
    store_update(api, namespaces, &current, new, false).await?;
    Ok(read(api, namespaces, None, name).await.is_err())
}
