//! Nodes: conditions, capacity, system info, the lease, non-terminated pods and allocated resources.

use super::events::describe_events;
use super::quantity::{canonical, from_json, Quantity};
use super::util::{annotations, arr, at, labels, map, rfc1123z, s, since, taints};
use super::writer::{Writer, L0, L1};
use super::{kind_of, Extra};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// `describeNode`; pods and the node's Lease come from `extra.related`.
pub fn describe_node(node: &Value, extra: &Extra, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    let name = s(node, "/metadata/name");
    w.w(L0, &format!("Name:\t{name}\n"));
    let mut roles: Vec<String> = map(node, "/metadata/labels")
        .into_iter()
        .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
            Some(role) if !role.is_empty() => Some(role.to_string()),
            Some(_) => None,
            None if k == "kubernetes.io/role" && !v.is_empty() => Some(v),
            None => None,
        })
        .collect();
    roles.sort();
    roles.dedup();
    let roles = if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.join(",")
    };
    w.w(L0, &format!("Roles:\t{roles}\n"));
    labels(&mut w, "Labels", node, "/metadata/labels");
    annotations(&mut w, "Annotations", node, "/metadata/annotations");
    w.w(
        L0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z(s(node, "/metadata/creationTimestamp"))
        ),
    );
    taints(&mut w, "", "Taints", "\t", arr(node, "/spec/taints"));
    w.w(
        L0,
        &format!(
            "Unschedulable:\t{}\n",
            super::util::tf(super::util::b(node, "/spec/unschedulable"))
        ),
    );
    match extra.related.iter().find(|r| kind_of(r) == "Lease") {
        Some(lease) => {
            w.w(L0, "Lease:\n");
            let holder = at(lease, "/spec/holderIdentity")
                .as_str()
                .unwrap_or("<unset>");
            w.w(L1, &format!("HolderIdentity:\t{holder}\n"));
            for (field, title) in [
                ("/spec/acquireTime", "AcquireTime"),
                ("/spec/renewTime", "RenewTime"),
            ] {
                let t = s(lease, field);
                let text = if t.is_empty() {
                    "<unset>".to_string()
                } else {
                    rfc1123z(t)
                };
                w.w(L1, &format!("{title}:\t{text}\n"));
            }
        }
        None => w.w(
            L0,
            &format!(
                "Lease:\tFailed to get lease: leases.coordination.k8s.io \"{name}\" not found\n"
            ),
        ),
    }
    let conds = arr(node, "/status/conditions");
    if !conds.is_empty() {
        w.w(
            L0,
            "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n",
        );
        w.w(
            L1,
            "----\t------\t-----------------\t------------------\t------\t-------\n",
        );
        for c in conds {
            w.w(
                L1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}\n",
                    s(c, "/type"),
                    s(c, "/status"),
                    rfc1123z(s(c, "/lastHeartbeatTime")),
                    rfc1123z(s(c, "/lastTransitionTime")),
                    s(c, "/reason"),
                    s(c, "/message")
                ),
            );
        }
    }
    w.w(L0, "Addresses:\n");
    for a in arr(node, "/status/addresses") {
        w.w(L1, &format!("{}:\t{}\n", s(a, "/type"), s(a, "/address")));
    }
    for (field, title) in [
        ("/status/capacity", "Capacity"),
        ("/status/allocatable", "Allocatable"),
    ] {
        let list = map(node, field);
        if !list.is_empty() {
            w.w(L0, &format!("{title}:\n"));
            for (k, v) in list {
                w.w(L0, &format!("  {k}:\t{}\n", canonical(&v)));
            }
        }
    }
    w.w(L0, "System Info:\n");
    for (field, title) in [
        ("machineID", "Machine ID"),
        ("systemUUID", "System UUID"),
        ("bootID", "Boot ID"),
        ("kernelVersion", "Kernel Version"),
        ("osImage", "OS Image"),
        ("operatingSystem", "Operating System"),
        ("architecture", "Architecture"),
        ("containerRuntimeVersion", "Container Runtime Version"),
        ("kubeletVersion", "Kubelet Version"),
        ("kubeProxyVersion", "Kube-Proxy Version"),
    ] {
        w.w(
            L0,
            &format!(
                "  {title}:\t{}\n",
                s(node, &format!("/status/nodeInfo/{field}"))
            ),
        );
    }
    let cidr = s(node, "/spec/podCIDR");
    if !cidr.is_empty() {
        w.w(L0, &format!("PodCIDR:\t{cidr}\n"));
    }
    let cidrs: Vec<&str> = arr(node, "/spec/podCIDRs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !cidrs.is_empty() {
        w.w(L0, &format!("PodCIDRs:\t{}\n", cidrs.join(",")));
    }
    let provider = s(node, "/spec/providerID");
    if !provider.is_empty() {
        w.w(L0, &format!("ProviderID:\t{provider}\n"));
    }
    let pods: Vec<&Value> = extra
        .related
        .iter()
        .filter(|p| kind_of(p) == "Pod")
        .filter(|p| s(p, "/spec/nodeName") == name)
        .filter(|p| !matches!(s(p, "/status/phase"), "Succeeded" | "Failed"))
        .collect();
    node_resources(&mut w, node, &pods, now);
    describe_events(&mut w, &extra.events, now);
    w.finish()
}

type Resources = BTreeMap<String, Quantity>;

/// Adds every quantity of `list` into `into` (the first addend's format wins, as with Go's `Add`).
fn add_list(into: &mut Resources, list: &Resources) {
    for (k, q) in list {
        match into.get_mut(k) {
            Some(have) => have.add(q),
            None => {
                into.insert(k.clone(), *q);
            }
        }
    }
}

/// Keeps the larger quantity per resource.
fn max_list(into: &mut Resources, list: &Resources) {
    for (k, q) in list {
        match into.get_mut(k) {
            Some(have) if q.nanos > have.nanos => *have = *q,
            Some(_) => {}
            None => {
                into.insert(k.clone(), *q);
            }
        }
    }
}

fn parse_list(v: &Value) -> Resources {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, q)| from_json(q).map(|q| (k.clone(), q)))
                .collect()
        })
        .unwrap_or_default()
}

/// `resourcehelper.PodRequestsAndLimits`: containers summed, init containers as a maximum (restartable ones
/// also summed), plus pod overhead.
fn pod_requests_and_limits(pod: &Value) -> (Resources, Resources) {
    let mut out = Vec::new();
    for field in ["/resources/requests", "/resources/limits"] {
        let mut total = Resources::new();
        for c in arr(pod, "/spec/containers") {
            add_list(&mut total, &parse_list(at(c, field)));
        }
        let mut restartable = Resources::new();
        let mut init_max = Resources::new();
        for c in arr(pod, "/spec/initContainers") {
            let list = parse_list(at(c, field));
            let effective = if s(c, "/restartPolicy") == "Always" {
                add_list(&mut total, &list);
                add_list(&mut restartable, &list);
                restartable.clone()
            } else {
                let mut tmp = Resources::new();
                add_list(&mut tmp, &list);
                add_list(&mut tmp, &restartable);
                tmp
            };
            max_list(&mut init_max, &effective);
        }
        max_list(&mut total, &init_max);
        let overhead = parse_list(at(pod, "/spec/overhead"));
        if field.ends_with("requests") {
            add_list(&mut total, &overhead);
        } else {
            for (k, q) in &overhead {
                if let Some(have) = total.get_mut(k).filter(|h| h.nanos != 0) {
                    have.add(q);
                }
            }
        }
        out.push(total);
    }
    let limits = out.pop().unwrap_or_default();
    let requests = out.pop().unwrap_or_default();
    (requests, limits)
}

/// Go's `int64(float64(a) / float64(b) * 100)`, including the value amd64 yields for NaN and infinities.
fn percent(a: i128, b: i128) -> i64 {
    let f = a as f64 / b as f64 * 100.0;
    if f.is_nan() || f.is_infinite() {
        i64::MIN
    } else {
        f as i64
    }
}

/// `describeNodeResource`: the per-pod table and the allocated-resources summary.
fn node_resources(w: &mut Writer, node: &Value, pods: &[&Value], now: DateTime<Utc>) {
    w.w(
        L0,
        &format!("Non-terminated Pods:\t({} in total)\n", pods.len()),
    );
    w.w(
        L1,
        "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n",
    );
    w.w(
        L1,
        "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n",
    );
    let mut allocatable = parse_list(at(node, "/status/allocatable"));
    if allocatable.is_empty() {
        allocatable = parse_list(at(node, "/status/capacity"));
    }
    let zero = Quantity::zero();
    let get = |l: &Resources, k: &str| l.get(k).copied().unwrap_or(zero);
    let alloc_cpu = get(&allocatable, "cpu").milli_value();
    let alloc_mem = get(&allocatable, "memory").value();
    let mut reqs = Resources::new();
    let mut limits = Resources::new();
    for pod in pods {
        let (req, lim) = pod_requests_and_limits(pod);
        let (cr, cl, mr, ml) = (
            get(&req, "cpu"),
            get(&lim, "cpu"),
            get(&req, "memory"),
            get(&lim, "memory"),
        );
        w.w(
            L1,
            &format!(
                "{}\t{}\t\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{}\n",
                s(pod, "/metadata/namespace"),
                s(pod, "/metadata/name"),
                cr.to_string_canonical(),
                percent(cr.milli_value(), alloc_cpu),
                cl.to_string_canonical(),
                percent(cl.milli_value(), alloc_cpu),
                mr.to_string_canonical(),
                percent(mr.value(), alloc_mem),
                ml.to_string_canonical(),
                percent(ml.value(), alloc_mem),
                since(s(pod, "/metadata/creationTimestamp"), now)
            ),
        );
        add_list(&mut reqs, &req);
        add_list(&mut limits, &lim);
    }
    w.w(
        L0,
        "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n",
    );
    w.w(L1, "Resource\tRequests\tLimits\n");
    w.w(L1, "--------\t--------\t------\n");
    let guarded = |a: i128, b: i128| if b != 0 { percent(a, b) } else { 0 };
    let row = |w: &mut Writer, name: &str, milli: bool| {
        let (r, l, a) = (
            get(&reqs, name),
            get(&limits, name),
            get(&allocatable, name),
        );
        let (rv, lv, av) = if milli {
            (r.milli_value(), l.milli_value(), a.milli_value())
        } else {
            (r.value(), l.value(), a.value())
        };
        w.w(
            L1,
            &format!(
                "{name}\t{} ({}%)\t{} ({}%)\n",
                r.to_string_canonical(),
                guarded(rv, av),
                l.to_string_canonical(),
                guarded(lv, av)
            ),
        );
    };
    row(w, "cpu", true);
    row(w, "memory", false);
    row(w, "ephemeral-storage", false);
    for name in allocatable.keys().filter(|k| k.starts_with("hugepages-")) {
        row(w, name, false);
    }
    for name in allocatable.keys().filter(|k| {
        !k.starts_with("hugepages-")
            && !matches!(k.as_str(), "cpu" | "memory" | "ephemeral-storage" | "pods")
    }) {
        w.w(
            L1,
            &format!(
                "{name}\t{}\t{}\n",
                get(&reqs, name).to_string_canonical(),
                get(&limits, name).to_string_canonical()
            ),
        );
    }
}
