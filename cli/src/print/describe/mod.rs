//! `kubectl describe` output as pure functions from API objects (JSON) to text, laid out byte for byte as
//! kubectl 1.32 prints it; the caller fetches the object, its events and the related objects named by `wants`.

mod config;
mod events;
mod nodes;
mod pods;
mod quantity;
mod services;
mod util;
mod workloads;
mod writer;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde_json::Value;
use util::{at, s};
use writer::{Writer, L0};

/// What the describer needs besides the object.
pub struct Extra {
    /// The core/v1 Event objects about the object, already filtered by the caller (involvedObject
    /// uid/name/namespace/kind; for nodes kubectl also matches events whose involvedObject.uid is the node name).
    /// Order does not matter: they are sorted by lastTimestamp here.
    pub events: Vec<Value>,
    /// The related objects `wants` asked for, all in one list. Each item should carry its `kind` (list items
    /// from the API lack it: copy it from the list's kind minus "List"); items without one are classified by
    /// their shape.
    pub related: Vec<Value>,
}

/// A kind of related object a describer needs; the caller fetches it and puts the items in `Extra::related`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Related {
    /// core/v1 pods in the object's namespace matching its spec.selector (a LabelSelector, or a plain map for
    /// replication controllers); only those whose controller ownerReference has the object's uid are counted,
    /// so listing all pods of the namespace is also correct.
    PodsBySelector,
    /// core/v1 pods in all namespaces with fieldSelector
    /// `spec.nodeName=<node>,status.phase!=Succeeded,status.phase!=Failed`.
    PodsOnNode,
    /// coordination.k8s.io/v1 Lease named like the node in namespace `kube-node-lease` (absent if not found).
    NodeLease,
    /// apps/v1 replicasets in the deployment's namespace (optionally filtered by its spec.selector); those whose
    /// controller ownerReference is the deployment are split into new and old.
    ReplicaSetsInNamespace,
    /// discovery.k8s.io/v1 endpointslices in the service's namespace with label
    /// `kubernetes.io/service-name=<service name>`.
    EndpointSlicesForService,
    /// core/v1 services in the ingress's namespace (the backends are looked up by name).
    ServicesInNamespace,
    /// discovery.k8s.io/v1 endpointslices in the ingress's namespace (filtered here by the service-name label).
    EndpointSlicesInNamespace,
    /// core/v1 resourcequotas in the namespace being described (the namespace is the object's name).
    QuotasInNamespace,
    /// core/v1 limitranges in the namespace being described.
    LimitRangesInNamespace,
}

impl Related {
    /// (group, version, plural) of the objects to list.
    pub fn resource(&self) -> (&'static str, &'static str, &'static str) {
        match self {
            Related::PodsBySelector | Related::PodsOnNode => ("", "v1", "pods"),
            Related::NodeLease => ("coordination.k8s.io", "v1", "leases"),
            Related::ReplicaSetsInNamespace => ("apps", "v1", "replicasets"),
            Related::EndpointSlicesForService | Related::EndpointSlicesInNamespace => {
                ("discovery.k8s.io", "v1", "endpointslices")
            }
            Related::ServicesInNamespace => ("", "v1", "services"),
            Related::QuotasInNamespace => ("", "v1", "resourcequotas"),
            Related::LimitRangesInNamespace => ("", "v1", "limitranges"),
        }
    }
}

/// Which related objects `describe` wants for a resource (see each `Related` variant for exact semantics).
pub fn wants(group: &str, plural: &str) -> Vec<Related> {
    match (group, plural) {
        ("apps", "deployments") => vec![Related::ReplicaSetsInNamespace],
        ("apps", "replicasets")
        | ("", "replicationcontrollers")
        | ("apps", "daemonsets")
        | ("apps", "statefulsets") => {
            vec![Related::PodsBySelector]
        }
        ("", "nodes") => vec![Related::PodsOnNode, Related::NodeLease],
        ("", "services") => vec![Related::EndpointSlicesForService],
        ("networking.k8s.io", "ingresses") => vec![
            Related::ServicesInNamespace,
            Related::EndpointSlicesInNamespace,
        ],
        ("", "namespaces") => vec![Related::QuotasInNamespace, Related::LimitRangesInNamespace],
        _ => Vec::new(),
    }
}

/// The description of one object of the given resource (group "" for core, plural e.g. "pods"), at `now`, as
/// kubectl describe prints it, ending with "\n". Kinds without a specific describer get the generic one.
pub fn describe(
    group: &str,
    plural: &str,
    obj: &Value,
    extra: &Extra,
    now: DateTime<Utc>,
) -> String {
    match (group, plural) {
        ("", "pods") => pods::describe_pod(obj, &extra.events, now),
        ("apps", "deployments") => workloads::describe_deployment(obj, extra, now),
        ("apps", "replicasets") => workloads::describe_replica_set(obj, extra, now, false),
        ("", "replicationcontrollers") => workloads::describe_replica_set(obj, extra, now, true),
        ("apps", "daemonsets") => workloads::describe_daemon_set(obj, extra, now),
        ("apps", "statefulsets") => workloads::describe_stateful_set(obj, extra, now),
        ("batch", "jobs") => workloads::describe_job(obj, extra, now),
        ("batch", "cronjobs") => workloads::describe_cron_job(obj, extra, now),
        ("", "services") => services::describe_service(obj, extra, now),
        ("", "endpoints") => services::describe_endpoints(obj, extra, now),
        ("networking.k8s.io", "ingresses") => services::describe_ingress(obj, extra, now),
        ("", "nodes") => nodes::describe_node(obj, extra, now),
        ("", "namespaces") => config::describe_namespace(obj, extra),
        ("", "configmaps") => config::describe_config_map(obj, extra, now),
        ("", "secrets") => config::describe_secret(obj),
        ("", "persistentvolumes") => config::describe_persistent_volume(obj, extra, now),
        _ => generic(obj, extra, now),
    }
}

/// The kind of a related item: its `kind` field, else a guess from its shape.
/// kubectl's DescribePodTemplate on its own, as `rollout history --revision` prints it: into a plain
/// buffer, its tabs not aligned.
pub fn pod_template(template: &Value) -> String {
    let mut w = Writer::new();
    pods::pod_template(&mut w, template);
    w.raw()
}

pub(crate) fn kind_of(v: &Value) -> &str {
    let k = s(v, "/kind");
    if !k.is_empty() {
        return k;
    }
    let has = |p: &str| !at(v, p).is_null();
    if has("/spec/containers") {
        "Pod"
    } else if has("/addressType") {
        "EndpointSlice"
    } else if has("/spec/limits") {
        "LimitRange"
    } else if has("/spec/hard") || has("/status/hard") || has("/spec/scopes") {
        "ResourceQuota"
    } else if has("/spec/holderIdentity")
        || has("/spec/renewTime")
        || has("/spec/leaseDurationSeconds")
    {
        "Lease"
    } else if has("/spec/template") {
        "ReplicaSet"
    } else if has("/spec/ports") || has("/spec/clusterIP") || has("/spec/type") {
        "Service"
    } else {
        ""
    }
}

/// kubectl's generic describer: name, namespace, labels, annotations, then every other field with a
/// "smart" label, nested two spaces per level, then events.
fn generic(obj: &Value, extra: &Extra, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(obj, "/metadata/name")));
    w.w(
        L0,
        &format!("Namespace:\t{}\n", s(obj, "/metadata/namespace")),
    );
    util::labels(&mut w, "Labels", obj, "/metadata/labels");
    util::annotations(&mut w, "Annotations", obj, "/metadata/annotations");
    if let Some(m) = obj.as_object() {
        content(&mut w, 0, m, "");
    }
    events::describe_events(&mut w, &extra.events, now);
    w.finish()
}

/// The fields the generic describer leaves out (already shown, or noise).
const SKIP: [&str; 5] = [
    ".metadata.managedFields",
    ".metadata.name",
    ".metadata.namespace",
    ".metadata.labels",
    ".metadata.annotations",
];

/// `printUnstructuredContent`: sorted keys; maps and lists open a nested block.
fn content(w: &mut Writer, level: usize, m: &serde_json::Map<String, Value>, prefix: &str) {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    for key in keys {
        let path = format!("{prefix}.{key}");
        if SKIP.contains(&path.as_str()) {
            continue;
        }
        let value = &m[key];
        match value {
            Value::Object(child) => {
                w.w(level, &format!("{}:\n", smart_label(key)));
                content(w, level + 1, child, &path);
            }
            Value::Array(items) => {
                w.w(level, &format!("{}:\n", smart_label(key)));
                for item in items {
                    match item {
                        Value::Object(child) => content(w, level + 1, child, &path),
                        other => w.w(level + 1, &format!("{}\n", go_value(other))),
                    }
                }
            }
            other => w.w(
                level,
                &format!("{}:\t{}\n", smart_label(key), go_value(other)),
            ),
        }
    }
}

/// Go's `%v` of an unstructured value (lists as `[a b]`, maps as `map[k:v]`).
fn go_value(v: &Value) -> String {
    match v {
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(go_value).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_value(&m[*k])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n.as_f64().map(go_float).unwrap_or_else(|| n.to_string()),
        },
        other => util::scalar(other),
    }
}

/// Go's `%v` (`%g`) of a float64 for the common magnitudes.
fn go_float(f: f64) -> String {
    if f != 0.0 && (f.abs() >= 1e21 || f.abs() < 1e-4) {
        let text = format!("{f:e}");
        match text.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = e.strip_prefix('-').map(|d| ("-", d)).unwrap_or(("+", e));
                format!("{m}e{sign}{digits:0>2}")
            }
            None => text,
        }
    } else {
        format!("{f}")
    }
}

/// kubectl's `smartLabelFor`: camel-case words title-cased and joined by spaces, with common acronyms
/// upper-cased; fields with characters other than letters and '-' are shown as they are.
fn smart_label(field: &str) -> String {
    if field.chars().any(|c| !c.is_alphabetic() && c != '-') {
        return field.to_string();
    }
    let mut parts: Vec<Vec<char>> = Vec::new();
    let mut last = 0;
    for c in field.chars() {
        let class = if c.is_lowercase() {
            1
        } else if c.is_uppercase() {
            2
        } else if c.is_numeric() {
            3
        } else {
            4
        };
        match parts.last_mut() {
            Some(p) if class == last => p.push(c),
            _ => parts.push(vec![c]),
        }
        last = class;
    }
    // "PDFL" + "oader" becomes "PDF" + "Loader".
    for n in 0..parts.len().saturating_sub(1) {
        let upper_then_lower = parts[n].first().is_some_and(|c| c.is_uppercase())
            && parts[n + 1].first().is_some_and(|c| c.is_lowercase());
        if upper_then_lower {
            if let Some(moved) = parts[n].pop() {
                parts[n + 1].insert(0, moved);
            }
        }
    }
    let words: Vec<String> = parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.into_iter().collect::<String>())
        .filter(|p| p != "_")
        .map(|p| {
            let upper = p.to_uppercase();
            if ["API", "URL", "UID", "OSB", "GUID"].contains(&upper.as_str()) {
                upper
            } else {
                let mut chars = p.chars();
                match chars.next() {
                    Some(first) => first.to_uppercase().chain(chars).collect(),
                    None => String::new(),
                }
            }
        })
        .collect();
    words.join(" ")
}
