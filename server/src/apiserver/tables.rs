//! Server-side `meta.k8s.io/v1` Table columns and cells, mirroring Kubernetes' `pkg/printers/internalversion`.
//!
//! Objects arrive as raw JSON written by users, so every accessor tolerates
//! missing or wrong-typed fields and falls back to what the Go printer would
//! show for the zero value. Workload printers (pods, apps, batch) live in the
//! `tables_workloads.rs` sibling.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use kyb_api::duration::human_duration;

#[path = "tables_workloads.rs"]
mod workloads;

/// One `TableColumnDefinition` of a `meta.k8s.io/v1` Table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Human-readable header, e.g. "Nominated Node"; kubectl upper-cases it.
    pub name: &'static str,
    /// OpenAPI type: "string", "integer", "boolean", "date", ...
    pub type_: &'static str,
    /// OpenAPI format hint; "name" marks the column holding the object name.
    pub format: &'static str,
    /// What the column shows.
    pub description: &'static str,
    /// 0 for default output, 1 for columns shown only with `-o wide`.
    pub priority: i32,
}

const NAME_DESC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const CREATED_DESC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

pub(crate) const fn col(
    name: &'static str,
    type_: &'static str,
    description: &'static str,
) -> Column {
    Column {
        name,
        type_,
        format: "",
        description,
        priority: 0,
    }
}

pub(crate) const fn wide(
    name: &'static str,
    type_: &'static str,
    description: &'static str,
) -> Column {
    Column {
        name,
        type_,
        format: "",
        description,
        priority: 1,
    }
}

pub(crate) const NAME: Column = Column {
    name: "Name",
    type_: "string",
    format: "name",
    description: NAME_DESC,
    priority: 0,
};
pub(crate) const AGE: Column = col("Age", "string", CREATED_DESC);

/// The apiserver's default table convertor, used for kinds without a printer.
const DEFAULT_COLUMNS: &[Column] = &[NAME, col("Created At", "date", CREATED_DESC)];

const NAMESPACE_COLUMNS: &[Column] = &[
    NAME,
    col("Status", "string", "The status of the namespace"),
    AGE,
];

const SERVICE_COLUMNS: &[Column] = &[
    NAME,
    col("Type", "string", "How the Service is exposed."),
    col("Cluster-IP", "string", "The IP address of the service."),
    col(
        "External-IP",
        "string",
        "External addresses that accept traffic.",
    ),
    col("Port(s)", "string", "Ports exposed by this service."),
    AGE,
    wide("Selector", "string", "Pods that receive the traffic."),
];

const ENDPOINTS_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Endpoints",
        "string",
        "Addresses and ports of the endpoints.",
    ),
    AGE,
];

const CONFIGMAP_COLUMNS: &[Column] = &[NAME, col("Data", "string", "Number of data entries."), AGE];

const SECRET_COLUMNS: &[Column] = &[
    NAME,
    col("Type", "string", "Type of the secret data."),
    col("Data", "string", "Number of data entries."),
    AGE,
];

const SERVICE_ACCOUNT_COLUMNS: &[Column] = &[
    NAME,
    col("Secrets", "string", "Number of secrets listed."),
    AGE,
];

const EVENT_COLUMNS: &[Column] = &[
    col("Last Seen", "string", "When the event last occurred."),
    col("Type", "string", "Type of this event (Normal, Warning)."),
    col("Reason", "string", "Short reason for the event."),
    col("Object", "string", "The object this event is about."),
    wide("Subobject", "string", "Field path within the object."),
    wide("Source", "string", "The component reporting this event."),
    col("Message", "string", "Human-readable description."),
    wide("First Seen", "string", "When the event first occurred."),
    wide("Count", "string", "How often the event occurred."),
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: NAME_DESC,
        priority: 1,
    },
];

const NODE_COLUMNS: &[Column] = &[
    NAME,
    col("Status", "string", "The status of the node"),
    col("Roles", "string", "The roles of the node"),
    AGE,
    col("Version", "string", "Kubelet version of the node."),
    wide("Internal-IP", "string", "Addresses of the node."),
    wide("External-IP", "string", "Addresses of the node."),
    wide("OS-Image", "string", "OS image of the node."),
    wide("Kernel-Version", "string", "Kernel version of the node."),
    wide("Container-Runtime", "string", "Container runtime version."),
];

const RESOURCE_QUOTA_COLUMNS: &[Column] = &[
    NAME,
    AGE,
    col("Request", "string", "Used/hard requests."),
    col("Limit", "string", "Used/hard limits."),
];

const PV_COLUMNS: &[Column] = &[
    NAME,
    col("Capacity", "string", "Storage capacity of the volume."),
    col("Access Modes", "string", "Ways the volume can be mounted."),
    col("Reclaim Policy", "string", "What happens when released."),
    col("Status", "string", "Phase of the volume."),
    col("Claim", "string", "The bound claim."),
    col("StorageClass", "string", "StorageClass of the pv"),
    col(
        "VolumeAttributesClass",
        "string",
        "VolumeAttributesClass of the pv",
    ),
    col("Reason", "string", "Why the volume failed."),
    AGE,
    wide("VolumeMode", "string", "Filesystem or Block."),
];

const PVC_COLUMNS: &[Column] = &[
    NAME,
    col("Status", "string", "Phase of the claim."),
    col("Volume", "string", "The bound volume."),
    col("Capacity", "string", "Capacity of the bound volume."),
    col(
        "Access Modes",
        "string",
        "Access modes of the bound volume.",
    ),
    col("StorageClass", "string", "StorageClass of the pvc"),
    col(
        "VolumeAttributesClass",
        "string",
        "VolumeAttributesClass of the pvc",
    ),
    AGE,
    wide("VolumeMode", "string", "Filesystem or Block."),
];

const INGRESS_COLUMNS: &[Column] = &[
    NAME,
    col("Class", "string", "The IngressClass of the ingress."),
    col("Hosts", "string", "Hosts matched by the rules."),
    col("Address", "string", "Load-balancer ingress points."),
    col("Ports", "string", "Ports that are open."),
    AGE,
];

const INGRESS_CLASS_COLUMNS: &[Column] = &[
    NAME,
    col("Controller", "string", "Controller handling this class."),
    col("Parameters", "string", "Resource with extra parameters."),
    AGE,
];

const STORAGE_CLASS_COLUMNS: &[Column] = &[
    NAME,
    col("Provisioner", "string", "provisioner indicates the type of the provisioner."),
    col("ReclaimPolicy", "string", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete."),
    col("VolumeBindingMode", "string", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature."),
    col("AllowVolumeExpansion", "string", "allowVolumeExpansion shows whether the storage class allow volume expand."),
    AGE,
];

const NETWORK_POLICY_COLUMNS: &[Column] = &[
    NAME,
    col("Pod-Selector", "string", "Pods the policy applies to."),
    AGE,
];

const LEASE_COLUMNS: &[Column] = &[NAME, col("Holder", "string", "Holder of the lease."), AGE];

const ENDPOINT_SLICE_COLUMNS: &[Column] = &[
    NAME,
    col("AddressType", "string", "Type of the addresses."),
    col("Ports", "string", "Ports of the endpoints."),
    col("Endpoints", "string", "Addresses of the endpoints."),
    AGE,
];

const PDB_COLUMNS: &[Column] = &[
    NAME,
    col("Min Available", "string", "Minimum available pods."),
    col("Max Unavailable", "string", "Maximum unavailable pods."),
    col(
        "Allowed Disruptions",
        "integer",
        "Pods that may be disrupted now.",
    ),
    AGE,
];

/// Columns for a resource, keyed by API group ("" for core) and plural.
///
/// Unknown resources get the apiserver's generic "Name" / "Created At" pair.
pub fn columns(group: &str, plural: &str) -> &'static [Column] {
    if let Some(cols) = workloads::columns(group, plural) {
        return cols;
    }
    match (group, plural) {
        ("", "namespaces") => NAMESPACE_COLUMNS,
        ("", "services") => SERVICE_COLUMNS,
        ("", "endpoints") => ENDPOINTS_COLUMNS,
        ("", "configmaps") => CONFIGMAP_COLUMNS,
        ("", "secrets") => SECRET_COLUMNS,
        ("", "serviceaccounts") => SERVICE_ACCOUNT_COLUMNS,
        ("", "events") | ("events.k8s.io", "events") => EVENT_COLUMNS,
        ("", "nodes") => NODE_COLUMNS,
        ("", "resourcequotas") => RESOURCE_QUOTA_COLUMNS,
        ("", "persistentvolumes") => PV_COLUMNS,
        ("", "persistentvolumeclaims") => PVC_COLUMNS,
        ("networking.k8s.io", "ingresses") => INGRESS_COLUMNS,
        ("networking.k8s.io", "ingressclasses") => INGRESS_CLASS_COLUMNS,
        ("networking.k8s.io", "networkpolicies") => NETWORK_POLICY_COLUMNS,
        ("storage.k8s.io", "storageclasses") => STORAGE_CLASS_COLUMNS,
        ("coordination.k8s.io", "leases") => LEASE_COLUMNS,
        ("discovery.k8s.io", "endpointslices") => ENDPOINT_SLICE_COLUMNS,
        ("policy", "poddisruptionbudgets") => PDB_COLUMNS,
        // LimitRanges have no printer upstream either: they use the default pair.
        _ => DEFAULT_COLUMNS,
    }
}

/// The cells for one object, in the same order and number as [`columns`].
///
/// `now` is the reference time for AGE-like columns. Wide cells are always
/// included; numbers are JSON numbers where the Go printer emits int64.
pub fn cells(group: &str, plural: &str, obj: &Value, now: DateTime<Utc>) -> Vec<Value> {
    if let Some(row) = workloads::cells(group, plural, obj, now) {
        return row;
    }
    let age = age(obj, now);
    match (group, plural) {
        ("", "namespaces") => vec![name(obj), st(obj, &["status", "phase"]).into(), age],
        ("", "services") => service(obj, age),
        ("", "endpoints") => vec![
            name(obj),
            format_endpoints(list(obj, &["subsets"])).into(),
            age,
        ],
        ("", "configmaps") => {
            let n = map_len(obj, &["data"]) + map_len(obj, &["binaryData"]);
            vec![name(obj), Value::from(n), age]
        }
        ("", "secrets") => vec![
            name(obj),
            st(obj, &["type"]).into(),
            Value::from(secret_keys(obj)),
            age,
        ],
        ("", "serviceaccounts") => vec![name(obj), Value::from(list(obj, &["secrets"]).len()), age],
        ("", "events") => event(obj, now, &CORE_EVENT),
        ("events.k8s.io", "events") => event(obj, now, &EVENTS_V1_EVENT),
        ("", "nodes") => node(obj, age),
        ("", "resourcequotas") => resource_quota(obj, age),
        ("", "persistentvolumes") => persistent_volume(obj, age),
        ("", "persistentvolumeclaims") => persistent_volume_claim(obj, age),
        ("networking.k8s.io", "ingresses") => ingress(obj, age),
        ("networking.k8s.io", "ingressclasses") => ingress_class(obj, age),
        ("storage.k8s.io", "storageclasses") => storage_class_row(obj, age),
        ("networking.k8s.io", "networkpolicies") => {
            // A missing podSelector is the empty selector, which selects everything.
            let sel = at(obj, &["spec", "podSelector"]).filter(|s| !s.is_null());
            let text = if sel.is_some() {
                format_label_selector(sel)
            } else {
                "<none>".to_string()
            };
            vec![name(obj), text.into(), age]
        }
        ("coordination.k8s.io", "leases") => {
            vec![name(obj), st(obj, &["spec", "holderIdentity"]).into(), age]
        }
        ("discovery.k8s.io", "endpointslices") => endpoint_slice(obj, age),
        ("policy", "poddisruptionbudgets") => vec![
            name(obj),
            int_or_string(at(obj, &["spec", "minAvailable"])).into(),
            int_or_string(at(obj, &["spec", "maxUnavailable"])).into(),
            Value::from(int(obj, &["status", "disruptionsAllowed"])),
            age,
        ],
        _ => vec![name(obj), created_at(obj).into()],
    }
}

// ---- JSON access that never panics -------------------------------------------------------

pub(crate) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// The string at `path`, or "" (Go's zero value) when missing or not a string.
pub(crate) fn st<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    at(v, path).and_then(Value::as_str).unwrap_or("")
}

pub(crate) fn num(v: &Value, path: &[&str]) -> Option<i64> {
    at(v, path).and_then(|x| x.as_i64().or_else(|| x.as_f64().map(|f| f as i64)))
}

pub(crate) fn int(v: &Value, path: &[&str]) -> i64 {
    num(v, path).unwrap_or(0)
}

pub(crate) fn list<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

pub(crate) fn obj_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Map<String, Value>> {
    at(v, path).and_then(Value::as_object)
}

fn map_len(v: &Value, path: &[&str]) -> usize {
    obj_at(v, path).map_or(0, Map::len)
}

/// Present and not null: Go's non-nil pointer.
pub(crate) fn present(v: &Value, path: &[&str]) -> bool {
    at(v, path).is_some_and(|x| !x.is_null())
}

pub(crate) fn name(obj: &Value) -> Value {
    st(obj, &["metadata", "name"]).into()
}

pub(crate) fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s.to_string()
    }
}

/// A resource.Quantity rendered as stored; a missing map entry is Go's zero Quantity.
pub(crate) fn quantity(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "0".to_string(),
    }
}

fn int_or_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => "N/A".to_string(),
    }
}

// ---- time -----------------------------------------------------------------------------------

pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `duration.HumanDuration(now - t)`, including Go's tolerance of up to ~2s of clock skew.
pub(crate) fn human_since(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    human_delta(now.signed_duration_since(t))
}

pub(crate) fn human_delta(delta: chrono::TimeDelta) -> String {
    match delta.to_std() {
        Ok(d) => human_duration(d),
        Err(_) if delta.num_seconds() < -1 => "<invalid>".to_string(),
        Err(_) => "0s".to_string(),
    }
}

/// translateTimestampSince: "<unknown>" for an unset (or unparseable) timestamp.
pub(crate) fn since(ts: &str, now: DateTime<Utc>) -> String {
    parse_time(ts).map_or_else(|| "<unknown>".to_string(), |t| human_since(t, now))
}

pub(crate) fn age(obj: &Value, now: DateTime<Utc>) -> Value {
    since(st(obj, &["metadata", "creationTimestamp"]), now).into()
}

fn created_at(obj: &Value) -> String {
    // The default convertor formats the Go zero time when the field is unset.
    parse_time(st(obj, &["metadata", "creationTimestamp"])).map_or_else(
        || "0001-01-01T00:00:00Z".to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

// ---- labels and selectors -----------------------------------------------------------------

/// labels.FormatLabels: sorted `k=v` pairs, "<none>" when empty.
pub(crate) fn format_labels(m: Option<&Map<String, Value>>) -> String {
    let mut pairs: Vec<String> = m
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    pairs.sort();
    if pairs.is_empty() {
        "<none>".to_string()
    } else {
        pairs.join(",")
    }
}

/// `LabelSelectorAsSelector(sel).String()`; `Err` where Go would fail to convert.
pub(crate) fn selector_string(sel: Option<&Value>) -> Result<String, ()> {
    let sel = match sel {
        None | Some(Value::Null) => return Ok(String::new()),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(()),
    };
    let mut reqs: Vec<(String, String)> = Vec::new();
    match sel.get("matchLabels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let v = v.as_str().ok_or(())?;
                reqs.push((k.clone(), format!("{k}={v}")));
            }
        }
        Some(_) => return Err(()),
    }
    let exprs = match sel.get("matchExpressions") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => return Err(()),
    };
    for e in exprs {
        let key = st(e, &["key"]);
        let mut values = list(e, &["values"])
            .iter()
            .map(|v| v.as_str().ok_or(()))
            .collect::<Result<Vec<_>, _>>()?;
        values.sort_unstable();
        let text = match (st(e, &["operator"]), values.is_empty()) {
            ("In", false) => format!("{key} in ({})", values.join(",")),
            ("NotIn", false) => format!("{key} notin ({})", values.join(",")),
            ("Exists", true) => key.to_string(),
            ("DoesNotExist", true) => format!("!{key}"),
            _ => return Err(()),
        };
        reqs.push((key.to_string(), text));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(reqs
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(","))
}

/// metav1.FormatLabelSelector: "<none>" for an empty selector, "<error>" for an invalid one.
pub(crate) fn format_label_selector(sel: Option<&Value>) -> String {
    match selector_string(sel) {
        Err(()) => "<error>".to_string(),
        Ok(s) if s.is_empty() => "<none>".to_string(),
        Ok(s) => s,
    }
}

// ---- core printers ------------------------------------------------------------------------

fn secret_keys(obj: &Value) -> usize {
    // stringData is merged into data on write by a real apiserver; count the union.
    let data = obj_at(obj, &["data"]);
    let extra = obj_at(obj, &["stringData"])
        .into_iter()
        .flatten()
        .filter(|(k, _)| !data.is_some_and(|d| d.contains_key(*k)))
        .count();
    data.map_or(0, Map::len) + extra
}

fn service(obj: &Value, age: Value) -> Vec<Value> {
    let spec = at(obj, &["spec"]).unwrap_or(&Value::Null);
    // The apiserver defaults an empty type to ClusterIP.
    let ty = match st(spec, &["type"]) {
        "" => "ClusterIP",
        t => t,
    };
    let cluster_ip = list(spec, &["clusterIPs"])
        .first()
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| st(spec, &["clusterIP"]));
    let external_ips: Vec<&str> = list(spec, &["externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let external = match ty {
        "ClusterIP" | "NodePort" if external_ips.is_empty() => "<none>".to_string(),
        "ClusterIP" | "NodePort" => external_ips.join(","),
        "LoadBalancer" => {
            let mut all = load_balancer_ingress(list(obj, &["status", "loadBalancer", "ingress"]));
            all.extend(external_ips.iter().map(|s| s.to_string()));
            if all.is_empty() {
                "<pending>".to_string()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => st(spec, &["externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = list(spec, &["ports"])
        .iter()
        .map(|p| {
            let proto = match st(p, &["protocol"]) {
                "" => "TCP",
                s => s,
            };
            let port = int(p, &["port"]);
            match int(p, &["nodePort"]) {
                np if np > 0 => format!("{port}:{np}/{proto}"),
                _ => format!("{port}/{proto}"),
            }
        })
        .collect();
    let ports = if ports.is_empty() {
        "<none>".to_string()
    } else {
        ports.join(",")
    };
    vec![
        name(obj),
        ty.into(),
        or_none(cluster_ip).into(),
        external.into(),
        ports.into(),
        age,
        format_labels(obj_at(spec, &["selector"])).into(),
    ]
}

/// Distinct load-balancer IPs (or hostnames when there is no IP), sorted as Go's sets.List does.
fn load_balancer_ingress(ingress: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = ingress
        .iter()
        .filter_map(|i| match (st(i, &["ip"]), st(i, &["hostname"])) {
            ("", "") => None,
            ("", h) => Some(h.to_string()),
            (ip, _) => Some(ip.to_string()),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// At most three entries, then " + N more...".
fn with_more(list: &[String], total: usize, empty: &str) -> String {
    const MAX: usize = 3;
    if total > MAX {
        return format!(
            "{} + {} more...",
            list[..MAX.min(list.len())].join(","),
            total - MAX
        );
    }
    if list.is_empty() {
        empty.to_string()
    } else {
        list.join(",")
    }
}

fn format_endpoints(subsets: &[Value]) -> String {
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut shown = Vec::new();
    let mut count = 0;
    for ss in subsets {
        let addrs: Vec<&str> = list(ss, &["addresses"])
            .iter()
            .map(|a| st(a, &["ip"]))
            .collect();
        let ports = list(ss, &["ports"]);
        if ports.is_empty() {
            // Headless services may have no ports at all.
            count += addrs.len();
            shown.extend(addrs.iter().map(|a| a.to_string()));
            continue;
        }
        for p in ports {
            count += addrs.len();
            shown.extend(addrs.iter().map(|a| join_host_port(a, int(p, &["port"]))));
        }
    }
    shown.truncate(3);
    // Go returns "" (not "<none>") when subsets exist but hold no addresses.
    with_more(&shown, count, "")
}

fn endpoint_slice(obj: &Value, age: Value) -> Vec<Value> {
    let ports: Vec<String> = list(obj, &["ports"])
        .iter()
        .map(|p| match (num(p, &["port"]), st(p, &["name"])) {
            (Some(n), _) => n.to_string(),
            (None, "") if !present(p, &["name"]) => "*".to_string(),
            (None, n) => n.to_string(),
        })
        .collect();
    let addrs: Vec<String> = list(obj, &["endpoints"])
        .iter()
        .flat_map(|e| {
            list(e, &["addresses"])
                .iter()
                .map(|a| a.as_str().unwrap_or_default().to_string())
        })
        .collect();
    vec![
        name(obj),
        st(obj, &["addressType"]).into(),
        with_more(&ports, ports.len(), "<unset>").into(),
        with_more(&addrs, addrs.len(), "<unset>").into(),
        age,
    ]
}

/// Where a core/v1 or events.k8s.io/v1 Event keeps each printed field.
struct EventFields {
    first: &'static str,
    last: &'static str,
    count: &'static str,
    source: &'static str,
    object: &'static str,
    message: &'static str,
    controller: &'static str,
}

const CORE_EVENT: EventFields = EventFields {
    first: "firstTimestamp",
    last: "lastTimestamp",
    count: "count",
    source: "source",
    object: "involvedObject",
    message: "message",
    controller: "reportingComponent",
};

const EVENTS_V1_EVENT: EventFields = EventFields {
    first: "deprecatedFirstTimestamp",
    last: "deprecatedLastTimestamp",
    count: "deprecatedCount",
    source: "deprecatedSource",
    object: "regarding",
    message: "note",
    controller: "reportingController",
};

fn event(obj: &Value, now: DateTime<Utc>, f: &EventFields) -> Vec<Value> {
    let first = match st(obj, &[f.first]) {
        "" => since(st(obj, &["eventTime"]), now),
        t => since(t, now),
    };
    let mut last = match st(obj, &[f.last]) {
        "" => first.clone(),
        t => since(t, now),
    };
    let mut count = int(obj, &[f.count]);
    if present(obj, &["series"]) {
        last = since(st(obj, &["series", "lastObservedTime"]), now);
        count = int(obj, &["series", "count"]);
    } else if count == 0 {
        // Singleton events don't set a count in the new API.
        count = 1;
    }
    let kind = st(obj, &[f.object, "kind"]).to_lowercase();
    let target = match st(obj, &[f.object, "name"]) {
        "" => kind,
        n => format!("{kind}/{n}"),
    };
    let component = match st(obj, &[f.source, "component"]) {
        "" => st(obj, &[f.controller]),
        c => c,
    };
    let instance = match st(obj, &[f.source, "host"]) {
        "" => st(obj, &["reportingInstance"]),
        h => h,
    };
    let source = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };
    vec![
        last.into(),
        st(obj, &["type"]).into(),
        st(obj, &["reason"]).into(),
        target.into(),
        st(obj, &[f.object, "fieldPath"]).into(),
        source.into(),
        st(obj, &[f.message]).trim().into(),
        first.into(),
        Value::from(count),
        name(obj),
    ]
}

fn node(obj: &Value, age: Value) -> Vec<Value> {
    // Later duplicates of a condition type win, as they do in Go's map.
    let ready = list(obj, &["status", "conditions"])
        .iter()
        .rev()
        .find(|c| st(c, &["type"]) == "Ready");
    let mut status = vec![match ready {
        Some(c) if st(c, &["status"]) == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if at(obj, &["spec", "unschedulable"])
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        status.push("SchedulingDisabled");
    }
    let mut roles: Vec<&str> = obj_at(obj, &["metadata", "labels"])
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
            Some(role) if !role.is_empty() => Some(role),
            Some(_) => None,
            None if k == "kubernetes.io/role" => v.as_str().filter(|r| !r.is_empty()),
            None => None,
        })
        .collect();
    roles.sort_unstable();
    roles.dedup();
    let address = |ty: &str| {
        let found = list(obj, &["status", "addresses"])
            .iter()
            .find(|a| st(a, &["type"]) == ty);
        found.map_or("<none>", |a| st(a, &["address"])).to_string()
    };
    let info = |field: &str| match st(obj, &["status", "nodeInfo", field]) {
        "" => "<unknown>".to_string(),
        s => s.to_string(),
    };
    vec![
        name(obj),
        status.join(",").into(),
        or_none(&roles.join(",")).into(),
        age,
        st(obj, &["status", "nodeInfo", "kubeletVersion"]).into(),
        address("InternalIP").into(),
        address("ExternalIP").into(),
        info("osImage").into(),
        info("kernelVersion").into(),
        info("containerRuntimeVersion").into(),
    ]
}

fn resource_quota(obj: &Value, age: Value) -> Vec<Value> {
    let mut hard: Vec<(&String, &Value)> = obj_at(obj, &["status", "hard"])
        .into_iter()
        .flatten()
        .collect();
    hard.sort_by(|a, b| a.0.cmp(b.0));
    let (mut requests, mut limits) = (Vec::new(), Vec::new());
    for (res, hard_qty) in hard {
        let used = quantity(at(obj, &["status", "used", res.as_str()]));
        let entry = format!("{res}: {used}/{}", quantity(Some(hard_qty)));
        if res.starts_with("limits.") {
            limits.push(entry);
        } else {
            requests.push(entry);
        }
    }
    vec![
        name(obj),
        age,
        requests.join(", ").into(),
        limits.join(", ").into(),
    ]
}

/// GetAccessModesAsString: abbreviations in a fixed order, without duplicates.
fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|v| v.as_str() == Some(m));
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(m, _)| has(m))
    .map(|(_, abbr)| *abbr)
    .collect::<Vec<_>>()
    .join(",")
}

/// The beta annotation still wins over spec.storageClassName, as in the Go helpers.
fn storage_class(obj: &Value) -> String {
    match st(
        obj,
        &[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ],
    ) {
        "" => st(obj, &["spec", "storageClassName"]).to_string(),
        a => a.to_string(),
    }
}

fn unset_or(obj: &Value, path: &[&str]) -> Value {
    at(obj, path)
        .and_then(Value::as_str)
        .unwrap_or("<unset>")
        .into()
}

fn persistent_volume(obj: &Value, age: Value) -> Vec<Value> {
    let claim = if present(obj, &["spec", "claimRef"]) {
        format!(
            "{}/{}",
            st(obj, &["spec", "claimRef", "namespace"]),
            st(obj, &["spec", "claimRef", "name"])
        )
    } else {
        String::new()
    };
    let phase = if present(obj, &["metadata", "deletionTimestamp"]) {
        "Terminating"
    } else {
        st(obj, &["status", "phase"])
    };
    vec![
        name(obj),
        quantity(at(obj, &["spec", "capacity", "storage"])).into(),
        access_modes(list(obj, &["spec", "accessModes"])).into(),
        st(obj, &["spec", "persistentVolumeReclaimPolicy"]).into(),
        phase.into(),
        claim.into(),
        storage_class(obj).into(),
        unset_or(obj, &["spec", "volumeAttributesClassName"]),
        st(obj, &["status", "reason"]).into(),
        age,
        unset_or(obj, &["spec", "volumeMode"]),
    ]
}

fn persistent_volume_claim(obj: &Value, age: Value) -> Vec<Value> {
    let phase = if present(obj, &["metadata", "deletionTimestamp"]) {
        "Terminating"
    } else {
        st(obj, &["status", "phase"])
    };
    let volume = st(obj, &["spec", "volumeName"]);
    // Capacity and modes are only meaningful once the claim is bound to a volume.
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity(at(obj, &["status", "capacity", "storage"])),
            access_modes(list(obj, &["status", "accessModes"])),
        )
    };
    vec![
        name(obj),
        phase.into(),
        volume.into(),
        capacity.into(),
        modes.into(),
        storage_class(obj).into(),
        unset_or(obj, &["spec", "volumeAttributesClassName"]),
        age,
        unset_or(obj, &["spec", "volumeMode"]),
    ]
}

fn ingress(obj: &Value, age: Value) -> Vec<Value> {
    let rules = list(obj, &["spec", "rules"]);
    let mut hosts = Vec::new();
    let mut more = false;
    for rule in rules {
        if hosts.len() == 3 {
            more = true;
        }
        let host = st(rule, &["host"]);
        if !more && !host.is_empty() {
            hosts.push(host);
        }
    }
    let hosts = match (hosts.is_empty(), more) {
        (true, _) => "*".to_string(),
        (false, true) => format!("{} + {} more...", hosts.join(","), rules.len() - 3),
        (false, false) => hosts.join(","),
    };
    let ports = if list(obj, &["spec", "tls"]).is_empty() {
        "80"
    } else {
        "80, 443"
    };
    vec![
        name(obj),
        at(obj, &["spec", "ingressClassName"])
            .and_then(Value::as_str)
            .unwrap_or("<none>")
            .into(),
        hosts.into(),
        load_balancer_ingress(list(obj, &["status", "loadBalancer", "ingress"]))
            .join(",")
            .into(),
        ports.into(),
        age,
    ]
}

fn ingress_class(obj: &Value, age: Value) -> Vec<Value> {
    let params = match at(obj, &["spec", "parameters"]) {
        Some(p) if !p.is_null() => {
            let group = at(p, &["apiGroup"])
                .and_then(Value::as_str)
                .map(|g| format!(".{g}"))
                .unwrap_or_default();
            format!("{}{group}/{}", st(p, &["kind"]), st(p, &["name"]))
        }
        _ => "<none>".to_string(),
    };
    vec![
        name(obj),
        st(obj, &["spec", "controller"]).into(),
        params.into(),
        age,
    ]
}

/// kube's printStorageClass: the default class is marked in its name; unset fields print their defaults.
fn storage_class_row(obj: &Value, age: Value) -> Vec<Value> {
    let mut shown = st(obj, &["metadata", "name"]).to_string();
    if is_default_class(obj) {
        shown.push_str(" (default)");
    }
    let or = |field: &str, default: &str| -> Value {
        match at(obj, &[field]).and_then(Value::as_str) {
            Some(v) => v.into(),
            None => default.into(),
        }
    };
    let expansion = at(obj, &["allowVolumeExpansion"])
        .and_then(Value::as_bool)
        .unwrap_or(false);
    vec![
        shown.into(),
        st(obj, &["provisioner"]).into(),
        or("reclaimPolicy", "Delete"),
        or("volumeBindingMode", "Immediate"),
        Value::from(expansion),
        age,
    ]
}

/// Whether a StorageClass is marked as the default (kube's IsDefaultAnnotation, beta key included).
pub fn is_default_class(obj: &Value) -> bool {
    [
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    ]
    .iter()
    .any(|k| at(obj, &["metadata", "annotations", k]).and_then(Value::as_str) == Some("true"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        parse_time("2024-05-01T12:00:00Z").expect("valid test time")
    }

    #[test]
    fn node_port_service() {
        let svc = json!({
            "metadata": {"name": "web", "creationTimestamp": "2024-05-01T11:57:00Z"},
            "spec": {
                "type": "NodePort",
                "clusterIP": "10.96.0.12",
                "clusterIPs": ["10.96.0.12"],
                "selector": {"tier": "front", "app": "nginx"},
                "ports": [
                    {"port": 80, "protocol": "TCP", "nodePort": 30080},
                    {"port": 443, "nodePort": 30443},
                    {"port": 53, "protocol": "UDP"}
                ]
            }
        });
        let row = cells("", "services", &svc, now());
        assert_eq!(
            row,
            vec![
                json!("web"),
                json!("NodePort"),
                json!("10.96.0.12"),
                json!("<none>"),
                json!("80:30080/TCP,443:30443/TCP,53/UDP"),
                json!("3m"),
                json!("app=nginx,tier=front"),
            ]
        );
    }

    #[test]
    fn load_balancer_external_ip() {
        let mut svc = json!({"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer"}});
        assert_eq!(cells("", "services", &svc, now())[3], json!("<pending>"));
        svc["status"] =
            json!({"loadBalancer": {"ingress": [{"hostname": "b.example"}, {"ip": "1.2.3.4"}]}});
        assert_eq!(
            cells("", "services", &svc, now())[3],
            json!("1.2.3.4,b.example")
        );
        assert_eq!(cells("", "services", &svc, now())[4], json!("<none>"));
        assert_eq!(cells("", "services", &svc, now())[5], json!("<unknown>"));
    }

    #[test]
    fn node_status_and_roles() {
        let node = json!({
            "metadata": {"name": "n1", "creationTimestamp": "2024-04-21T12:00:00Z",
                "labels": {"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "master"}},
            "spec": {"unschedulable": true},
            "status": {
                "conditions": [{"type": "Ready", "status": "True"}],
                "addresses": [{"type": "InternalIP", "address": "10.0.0.5"}],
                "nodeInfo": {"kubeletVersion": "v1.30.0", "osImage": "Debian"}
            }
        });
        let row = cells("", "nodes", &node, now());
        let want = [
            "n1",
            "Ready,SchedulingDisabled",
            "control-plane,master",
            "10d",
            "v1.30.0",
            "10.0.0.5",
            "<none>",
            "Debian",
            "<unknown>",
            "<unknown>",
        ];
        assert_eq!(row, want.map(Value::from).to_vec());
    }

    #[test]
    fn selectors() {
        let sel = json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                {"key": "zone", "operator": "DoesNotExist"}
            ]
        });
        assert_eq!(
            format_label_selector(Some(&sel)),
            "app=web,env in (dev,prod),!zone"
        );
        assert_eq!(format_label_selector(Some(&json!({}))), "<none>");
        assert_eq!(format_label_selector(None), "<none>");
        let bad = json!({"matchExpressions": [{"key": "a", "operator": "In"}]});
        assert_eq!(format_label_selector(Some(&bad)), "<error>");
        assert_eq!(format_labels(None), "<none>");
    }

    #[test]
    fn events_and_defaults() {
        let ev = json!({
            "metadata": {"name": "web.17a"},
            "involvedObject": {"kind": "Pod", "name": "web-0"},
            "type": "Warning", "reason": "BackOff", "message": " Back-off restarting \n",
            "source": {"component": "kubelet", "host": "n1"},
            "firstTimestamp": "2024-05-01T11:00:00Z", "lastTimestamp": "2024-05-01T11:59:30Z", "count": 7
        });
        let want = json!([
            "30s",
            "Warning",
            "BackOff",
            "pod/web-0",
            "",
            "kubelet, n1",
            "Back-off restarting",
            "60m",
            7,
            "web.17a"
        ]);
        assert_eq!(Value::from(cells("", "events", &ev, now())), want);
        let lr = json!({"metadata": {"name": "limits", "creationTimestamp": "2024-01-02T03:04:05+01:00"}});
        assert_eq!(columns("", "limitranges")[1].name, "Created At");
        assert_eq!(
            cells("", "limitranges", &lr, now()),
            vec![json!("limits"), json!("2024-01-02T02:04:05Z")]
        );
    }

    const RESOURCES: &[(&str, &str)] = &[
        ("", "pods"),
        ("", "namespaces"),
        ("", "services"),
        ("", "endpoints"),
        ("", "configmaps"),
        ("", "secrets"),
        ("", "serviceaccounts"),
        ("", "events"),
        ("", "nodes"),
        ("", "replicationcontrollers"),
        ("", "limitranges"),
        ("", "resourcequotas"),
        ("", "persistentvolumes"),
        ("", "persistentvolumeclaims"),
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "daemonsets"),
        ("apps", "statefulsets"),
        ("apps", "controllerrevisions"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("autoscaling", "horizontalpodautoscalers"),
        ("networking.k8s.io", "ingresses"),
        ("networking.k8s.io", "ingressclasses"),
        ("networking.k8s.io", "networkpolicies"),
        ("storage.k8s.io", "storageclasses"),
        ("coordination.k8s.io", "leases"),
        ("discovery.k8s.io", "endpointslices"),
        ("policy", "poddisruptionbudgets"),
        ("events.k8s.io", "events"),
        ("example.com", "widgets"),
    ];

    #[test]
    fn every_resource_survives_hostile_objects() {
        let hostile = [
            json!({}),
            json!(null),
            json!([1, 2]),
            json!({"metadata": 5, "spec": "x", "status": [true], "subsets": {}, "data": 3}),
            json!({"metadata": {"name": 7, "creationTimestamp": "yesterday", "deletionTimestamp": 1},
                   "spec": {"selector": {"matchLabels": {"a": 1}}, "ports": [{"port": "x"}], "metrics": [{}],
                            "containers": [null], "replicas": "3", "podSelector": 4},
                   "status": {"containerStatuses": [{"state": {"terminated": 1}}], "conditions": [5],
                              "initContainerStatuses": [{"state": "bad"}], "hard": {"cpu": 2}}}),
        ];
        for (group, plural) in RESOURCES {
            let n = columns(group, plural).len();
            for obj in &hostile {
                assert_eq!(
                    cells(group, plural, obj, now()).len(),
                    n,
                    "{group}/{plural} {obj}"
                );
            }
        }
    }
}
