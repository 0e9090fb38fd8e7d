//! list and watch: selectors, paging, the watch stream, and Table and metadata-only renderings.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use kyb_api::registry::Resource;
use kyb_api::selector::{FieldSelector, LabelSelector};
use kyb_api::status::Status;
use serde_json::{json, Value};

use super::cache::{CacheEvent, EventType, Obj, WatchStart};
use super::error::{ApiError, ApiResult};
use super::meta::{self, list_prefix};
use super::path::Target;
use super::request::{json as json_response, Include, Output, Req};
use super::{convert, tables, Api};

/// Label and field selectors of a request, checked against what the resource supports.
struct Filter {
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn from(req: &Req, resource: &Resource) -> ApiResult<Filter> {
        let labels = LabelSelector::parse(req.query("labelSelector").unwrap_or(""))
            .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?;
        let mut fields = FieldSelector::parse(req.query("fieldSelector").unwrap_or(""))
            .map_err(|e| ApiError::bad_request(format!("invalid field selector: {e}")))?;
        for f in fields.fields() {
            if !field_supported(resource, f) {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {f}"
                )));
            }
        }
        if resource.group == "events.k8s.io" {
            // Selectors read the stored (core/v1) form of the event.
            fields.rename_fields(convert::event_field_to_core);
        }
        Ok(Filter { labels, fields })
    }

    fn matches(&self, obj: &Obj) -> bool {
        let index = obj.index();
        self.labels
            .matches(index["metadata"].get("labels").and_then(Value::as_object))
            && self.fields.matches(index)
    }
}

/// The field selectors Kubernetes supports for each kind besides metadata.name and metadata.namespace
/// (its field label conversion functions). The watch cache indexes exactly these.
pub fn selectable_fields(group: &str, plural: &str) -> &'static [&'static str] {
    match (group, plural) {
        ("", "pods") => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        ("", "events") => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        ("events.k8s.io", "events") => &[
            "regarding.kind",
            "regarding.namespace",
            "regarding.name",
            "regarding.uid",
            "regarding.apiVersion",
            "regarding.resourceVersion",
            "regarding.fieldPath",
            "reason",
            "type",
            "reportingController",
        ],
        ("", "secrets") => &["type"],
        ("", "nodes") => &["spec.unschedulable"],
        ("", "namespaces") => &["status.phase"],
        ("", "replicationcontrollers") | ("apps", "replicasets") => &["status.replicas"],
        ("batch", "jobs") => &["status.successful"],
        _ => &[],
    }
}

fn field_supported(resource: &Resource, field: &str) -> bool {
    matches!(field, "metadata.name" | "metadata.namespace")
        || selectable_fields(resource.group, resource.plural).contains(&field)
}

/// The objects a list of `target` returns (all pages), for deletecollection.
pub async fn select(api: &Api, target: &Target, req: &Req) -> ApiResult<Vec<Arc<Obj>>> {
    let filter = Filter::from(req, target.resource)?;
    api.cache.wait_for(api.store.revision()).await;
    Ok(api
        .cache
        .list(&list_prefix(target), None, None, |o| filter.matches(o))
        .items)
}

pub async fn list_or_watch(api: &Arc<Api>, target: &Target, req: &Req) -> ApiResult<Response> {
    let filter = Filter::from(req, target.resource)?;
    let output = req.output()?;
    if req.flag("watch") {
        return watch(api, target, req, filter, output);
    }
    let limit = req.int("limit")?.filter(|l| *l > 0).map(|l| l as usize);
    let token = req.query("continue").map(decode_continue).transpose()?;
    let requested = req
        .query("resourceVersion")
        .filter(|rv| *rv != "0")
        .map(meta::parse_rv)
        .transpose()?;
    if token.is_some() && requested.is_some() {
        return Err(ApiError::bad_request(
            "specifying resource version is not allowed when using continue",
        ));
    }
    let exact = match req.query("resourceVersionMatch") {
        None | Some("NotOlderThan") => false,
        Some("Exact") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "resourceVersionMatch: Unsupported value: {other:?}: supported values: \"Exact\", \"NotOlderThan\""
            )))
        }
    };
    match requested {
        Some(rv) if !api.cache.wait_for(rv).await => {
            return Err(ApiError::from(Status::failure(
                504,
                "Timeout",
                format!(
                    "Timeout: Too large resource version: {rv}, current: {}",
                    api.cache.revision()
                ),
            )));
        }
        Some(_) => {}
        None => {
            api.cache.wait_for(api.store.revision()).await;
        }
    }
    let prefix = list_prefix(target);
    let after = token.as_ref().map(|t| t.1.as_str());
    // Later pages of a paged list, and exact-revision lists, see the objects as they stood at that revision.
    let snapshot = token.as_ref().map(|t| t.0).or(requested.filter(|_| exact));
    let page = match snapshot {
        Some(at) => api.cache.list_at(&prefix, after, limit, |o| filter.matches(o), at).map_err(|_| {
            ApiError::from(Status::expired(if token.is_some() {
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.".to_string()
            } else {
                format!("too old resource version: {at}")
            }))
        })?,
        None => api.cache.list(&prefix, after, limit, |o| filter.matches(o)),
    };
    let (items, rev) = (page.items, page.revision.to_string());
    let cont = page.cont.map(|k| encode_continue(&rev, &k));
    let resource = target.resource;
    let body = match output {
        Output::Table(include) => {
            let body = table_bytes(resource, &items, include, &rev, cont.as_deref(), true);
            return Ok((
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response());
        }
        Output::Metadata => json!({
            "kind": "PartialObjectMetadataList",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": list_meta(&rev, cont.as_deref()),
            "items": items.iter().map(|o| partial(&o.value())).collect::<Vec<_>>(),
        }),
        Output::Object => {
            // The items are copied as stored bytes: no object is parsed or re-serialized.
            let head = json!({"kind": format!("{}List", resource.kind), "apiVersion": resource.api_version(), "metadata": list_meta(&rev, cont.as_deref())});
            let mut body =
                Vec::with_capacity(items.iter().map(|o| o.raw.len() + 1).sum::<usize>() + 256);
            let head = head.to_string();
            body.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
            body.extend_from_slice(b",\"items\":[");
            for (i, o) in items.iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(&convert::presented(resource, o));
            }
            body.extend_from_slice(b"]}");
            return Ok((
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response());
        }
    };
    Ok(json_response(StatusCode::OK, &body))
}

fn list_meta(rev: &str, cont: Option<&str>) -> Value {
    match cont {
        Some(c) => json!({"resourceVersion": rev, "continue": c}),
        None => json!({"resourceVersion": rev}),
    }
}

/// Continue tokens carry the key to resume after; they are opaque to clients.
fn encode_continue(rev: &str, key: &str) -> String {
    let raw = json!({"rv": rev, "start": key}).to_string();
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The revision a continue token was issued at, and the key to resume after.
fn decode_continue(token: &str) -> ApiResult<(u64, String)> {
    let bad = || {
        ApiError::from(Status::failure(
            400,
            "BadRequest",
            "continue key is not valid: malformed token",
        ))
    };
    if !token.len().is_multiple_of(2) {
        return Err(bad());
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let v: Value = serde_json::from_slice(&bytes.ok_or_else(bad)?).map_err(|_| bad())?;
    let rev = v
        .get("rv")
        .and_then(Value::as_str)
        .and_then(|r| r.parse::<u64>().ok());
    let start = v.get("start").and_then(Value::as_str).map(str::to_string);
    rev.zip(start).ok_or_else(bad)
}

/// An object reduced to `PartialObjectMetadata`.
pub fn partial(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata").cloned().unwrap_or(json!({}))})
}

/// A `meta.k8s.io/v1` Table of `objs`, with the server-side columns for the resource.
/// Objects are taken one at a time, so a large list never holds every parsed object at once.
pub fn table<V: std::borrow::Borrow<Value>>(
    resource: &Resource,
    objs: impl IntoIterator<Item = V>,
    include: Include,
    rev: &str,
    with_columns: bool,
) -> Value {
    let now = chrono::Utc::now();
    let columns = if with_columns {
        column_definitions(resource)
    } else {
        Vec::new()
    };
    let rows: Vec<Value> = objs
        .into_iter()
        .map(|o| {
            let stored = o.borrow();
            // The printers read the served form.
            let converted =
                (!resource.is_storage_form()).then(|| convert::from_storage(resource, stored));
            let o = converted.as_ref().unwrap_or(stored);
            let cells = tables::cells(resource.group, resource.plural, o, now);
            match include {
                Include::None => json!({"cells": cells}),
                Include::Metadata => json!({"cells": cells, "object": partial(o)}),
                Include::Object => json!({"cells": cells, "object": o}),
            }
        })
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rev}, "columnDefinitions": columns, "rows": rows})
}

fn column_definitions(resource: &Resource) -> Vec<Value> {
    tables::columns(resource.group, resource.plural)
        .iter()
        .map(|c| json!({"name": c.name, "type": c.type_, "format": c.format, "description": c.description, "priority": c.priority}))
        .collect()
}

/// A Table of cached objects, assembled as bytes. Cells come from each object's stored row (only the
/// age recomputed); the metadata is copied out of the stored JSON. Objects whose cells move with time are printed afresh.
pub fn table_bytes(
    resource: &Resource,
    objs: &[Arc<Obj>],
    include: Include,
    rev: &str,
    cont: Option<&str>,
    with_columns: bool,
) -> Vec<u8> {
    let now = chrono::Utc::now();
    let columns = if with_columns {
        column_definitions(resource)
    } else {
        Vec::new()
    };
    let head = json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta(rev, cont), "columnDefinitions": columns}).to_string();
    let mut out = Vec::with_capacity(objs.len() * 512 + head.len() + 16);
    out.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
    out.extend_from_slice(b",\"rows\":[");
    for (i, o) in objs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let cells = o.cells_at(resource, now).unwrap_or_else(|| {
            let served = convert::from_storage(resource, &o.value());
            tables::cells(resource.group, resource.plural, &served, now)
        });
        out.extend_from_slice(b"{\"cells\":");
        // Writing a Value into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, &cells);
        match include {
            Include::None => {}
            Include::Metadata => {
                out.extend_from_slice(b",\"object\":{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":");
                out.extend_from_slice(o.raw_metadata());
                out.push(b'}');
            }
            Include::Object => {
                out.extend_from_slice(b",\"object\":");
                out.extend_from_slice(&convert::presented(resource, o));
            }
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    out
}

fn watch(
    api: &Arc<Api>,
    target: &Target,
    req: &Req,
    filter: Filter,
    output: Output,
) -> ApiResult<Response> {
    let since = match req.query("resourceVersion") {
        None | Some("0") => None,
        Some(rv) => Some(meta::parse_rv(rv)?),
    };
    let timeout = Duration::from_secs(
        req.int("timeoutSeconds")?
            .filter(|t| *t > 0)
            .unwrap_or(1800) as u64,
    );
    let bookmarks = req.flag("allowWatchBookmarks");
    let resource = target.resource;
    let prefix = list_prefix(target);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    match api.cache.subscribe(&prefix, since) {
        Err(WatchStart::TooOld { requested, oldest }) => {
            let status =
                Status::expired(format!("too old resource version: {requested} ({oldest})"));
            let line = json!({"type": "ERROR", "object": status}).to_string() + "\n";
            let _ = tx.try_send(Ok(Bytes::from(line)));
        }
        Ok(sub) => {
            let api = api.clone();
            tokio::spawn(async move {
                let mut w = Watcher {
                    resource,
                    prefix,
                    filter,
                    output,
                    first: true,
                    last_rev: 0,
                };
                let deadline = tokio::time::sleep(timeout);
                tokio::pin!(deadline);
                for ev in sub.backlog {
                    w.last_rev = w.last_rev.max(ev.revision);
                    if let Some(line) = w.render(&ev) {
                        if tx.send(Ok(line)).await.is_err() {
                            return;
                        }
                    }
                }
                let mut live = sub.live;
                let mut ticker = tokio::time::interval(api.bookmark_interval);
                ticker.tick().await;
                loop {
                    tokio::select! {
                        _ = &mut deadline => return,
                        _ = tx.closed() => return,
                        _ = ticker.tick(), if bookmarks => {
                            let rev = api.cache.revision().max(w.last_rev);
                            if tx.send(Ok(w.bookmark(rev))).await.is_err() { return; }
                        }
                        ev = live.recv() => match ev {
                            Ok(ev) if ev.revision > w.last_rev || w.last_rev == 0 => {
                                w.last_rev = ev.revision;
                                if let Some(line) = w.render(&ev) {
                                    if tx.send(Ok(line)).await.is_err() { return; }
                                }
                            }
                            Ok(_) => {}
                            // A watcher that fell behind is ended; the client resumes from its last revision.
                            Err(_) => return,
                        },
                    }
                }
            });
        }
    }
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json;stream=watch"),
            (header::CACHE_CONTROL, "no-cache, private"),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

struct Watcher {
    resource: &'static Resource,
    prefix: String,
    filter: Filter,
    output: Output,
    first: bool,
    last_rev: u64,
}

impl Watcher {
    /// One event line, or none when the object is outside the watch. Objects moving out of a selector's set are DELETED, as in Kubernetes.
    fn render(&mut self, ev: &CacheEvent) -> Option<Bytes> {
        if !ev.key.starts_with(&self.prefix) {
            return None;
        }
        let now = self.filter.matches(&ev.object);
        let before = ev.prev.as_ref().is_some_and(|p| self.filter.matches(p));
        let kind = match (ev.kind, before, now) {
            (EventType::Deleted, _, true) => EventType::Deleted,
            (EventType::Deleted, _, false) => return None,
            (EventType::Added, _, true) => EventType::Added,
            (EventType::Modified, true, true) => EventType::Modified,
            (EventType::Modified, false, true) => EventType::Added,
            (EventType::Modified, true, false) => EventType::Deleted,
            (_, _, false) => return None,
        };
        let object = match self.output {
            Output::Object => convert::presented(self.resource, &ev.object),
            Output::Metadata => Bytes::from(partial(&ev.object.value()).to_string()),
            Output::Table(include) => {
                let rev = ev.revision.to_string();
                let t = table_bytes(
                    self.resource,
                    std::slice::from_ref(&ev.object),
                    include,
                    &rev,
                    None,
                    self.first,
                );
                self.first = false;
                Bytes::from(t)
            }
        };
        let mut line = Vec::with_capacity(object.len() + 32);
        line.extend_from_slice(b"{\"type\":\"");
        line.extend_from_slice(kind.as_str().as_bytes());
        line.extend_from_slice(b"\",\"object\":");
        line.extend_from_slice(&object);
        line.extend_from_slice(b"}\n");
        Some(Bytes::from(line))
    }

    fn bookmark(&self, rev: u64) -> Bytes {
        let object = json!({"kind": self.resource.kind, "apiVersion": self.resource.api_version(), "metadata": {"resourceVersion": rev.to_string()}});
        Bytes::from(json!({"type": "BOOKMARK", "object": object}).to_string() + "\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip_and_reject_garbage() {
        let t = encode_continue("12", "/registry/core/pods/default/a");
        assert_eq!(
            decode_continue(&t).ok(),
            Some((12, "/registry/core/pods/default/a".to_string()))
        );
        assert!(decode_continue("zz").is_err());
        assert!(decode_continue("abc").is_err());
    }
}
