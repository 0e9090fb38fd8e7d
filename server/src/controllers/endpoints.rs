//! The Endpoints and EndpointSlice controllers (kube's endpoint and endpointslice controllers, one sync per
//! Service): for a Service with a selector, the pods it selects that have an address and have not finished
//! become its endpoints, ready or not by their Ready condition (all ready under publishNotReadyAddresses),
//! with each service port's target resolved per pod (named ports by the pod's own container ports). The
//! Endpoints object is named as the Service; the EndpointSlices (`<service>-xxxxx`, at most 100 endpoints
//! each, one group per resolved port set) are owned by it. Services without a selector are left alone, so
//! their Endpoints can be written by hand.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kyb_api::client::{Client, Method};
use kyb_api::selector::LabelSelector;
use serde_json::{json, Value};

use super::replicaset::is_ready;
use super::runtime::{inform, Change, Informers, Queue, Store};
use super::{namespace_and_name, send_unless_gone, str_at};

/// The label kube's EndpointSlice controller marks its slices with.
const MANAGED_BY: &str = "endpointslice-controller.k8s.io";
/// Endpoints per slice, as kube's `--max-endpoints-per-slice` defaults.
const PER_SLICE: usize = 100;

struct Controller {
    client: Client,
    services: Store,
    pods: Store,
    endpoints: Store,
    slices: Store,
}

/// One selected pod as an endpoint: its address, readiness and the ports its service's ports resolve to.
struct Member {
    ip: String,
    ready: bool,
    terminating: bool,
    target_ref: Value,
    node: String,
    hostname: Option<String>,
    /// (name, port, protocol) per service port the pod has a target for.
    ports: Vec<(String, i64, String)>,
}

/// A service port's target in a pod (kube's FindPort): a number, or the pod's container port by name and
/// protocol.
fn find_port(pod: &Value, service_port: &Value) -> Option<i64> {
    let protocol = match str_at(service_port, "/protocol") {
        "" => "TCP",
        p => p,
    };
    match service_port.get("targetPort") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(name)) => pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|c| c["ports"].as_array().into_iter().flatten())
            .find(|p| {
                p["name"] == name.as_str()
                    && match str_at(p, "/protocol") {
                        "" => protocol == "TCP",
                        pp => pp == protocol,
                    }
            })
            .and_then(|p| p["containerPort"].as_i64()),
        _ => service_port["port"].as_i64(),
    }
}

/// The service's members among `pods` (kube's ShouldPodBeInEndpoints, terminating pods included: the
/// slices keep them with their condition, Endpoints only under publishNotReadyAddresses).
fn members(service: &Value, pods: &[Arc<Value>]) -> Vec<Member> {
    let name = str_at(service, "/metadata/name");
    let ports: Vec<Value> = service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    for pod in pods {
        let ip = str_at(pod, "/status/podIP");
        if ip.is_empty() || matches!(str_at(pod, "/status/phase"), "Succeeded" | "Failed") {
            continue;
        }
        let (ns, pod_name) = namespace_and_name(pod);
        let hostname = (str_at(pod, "/spec/subdomain") == name)
            .then(|| str_at(pod, "/spec/hostname").to_string())
            .filter(|h| !h.is_empty());
        out.push(Member {
            ip: ip.to_string(),
            ready: is_ready(pod),
            terminating: pod.pointer("/metadata/deletionTimestamp").is_some(),
            target_ref: json!({"kind": "Pod", "namespace": ns, "name": pod_name, "uid": str_at(pod, "/metadata/uid")}),
            node: str_at(pod, "/spec/nodeName").to_string(),
            hostname,
            ports: ports
                .iter()
                .filter_map(|p| {
                    let protocol = match str_at(p, "/protocol") {
                        "" => "TCP",
                        other => other,
                    };
                    Some((str_at(p, "/name").to_string(), find_port(pod, p)?, protocol.to_string()))
                })
                .collect(),
        });
    }
    out
}

/// Ports as Endpoints carry them (a name only when there is one).
fn port_values(ports: &[(String, i64, String)]) -> Vec<Value> {
    let mut sorted = ports.to_vec();
    sorted.sort();
    sorted
        .into_iter()
        .map(|(name, port, protocol)| {
            let mut p = json!({"port": port, "protocol": protocol});
            if !name.is_empty() {
                p["name"] = json!(name);
            }
            p
        })
        .collect()
}

/// Ports as EndpointSlices carry them: the name always, empty or not, as kube's controller writes it
/// (kubectl's describe reads it without checking).
fn slice_ports(ports: &[(String, i64, String)]) -> Vec<Value> {
    let mut sorted = ports.to_vec();
    sorted.sort();
    sorted
        .into_iter()
        .map(|(name, port, protocol)| json!({"name": name, "port": port, "protocol": protocol}))
        .collect()
}

/// The Endpoints subsets (kube's RepackSubsets): one per distinct port set, addresses sorted by IP.
fn subsets(service: &Value, members: &[Member]) -> Vec<Value> {
    let publish = service
        .pointer("/spec/publishNotReadyAddresses")
        .and_then(Value::as_bool)
        == Some(true);
    let headless = str_at(service, "/spec/clusterIP") == "None";
    let no_ports = service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    // By port set: (ports, ready addresses, not-ready addresses).
    type Group = (Vec<Value>, Vec<Value>, Vec<Value>);
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for m in members {
        if m.terminating && !publish {
            continue;
        }
        if m.ports.is_empty() && !(no_ports && headless) {
            continue;
        }
        let ports = port_values(&m.ports);
        let key = serde_json::to_string(&ports).unwrap_or_default();
        let mut address = json!({"ip": m.ip, "targetRef": m.target_ref});
        if !m.node.is_empty() {
            address["nodeName"] = json!(m.node);
        }
        if let Some(h) = &m.hostname {
            address["hostname"] = json!(h);
        }
        let entry = groups
            .entry(key)
            .or_insert_with(|| (ports, Vec::new(), Vec::new()));
        if m.ready || publish {
            entry.1.push(address);
        } else {
            entry.2.push(address);
        }
    }
    groups
        .into_values()
        .map(|(ports, mut ready, mut unready)| {
            let by_ip = |a: &Value, b: &Value| str_at(a, "/ip").cmp(str_at(b, "/ip"));
            ready.sort_by(by_ip);
            unready.sort_by(by_ip);
            let mut subset = json!({});
            if !ready.is_empty() {
                subset["addresses"] = json!(ready);
            }
            if !unready.is_empty() {
                subset["notReadyAddresses"] = json!(unready);
            }
            if !ports.is_empty() {
                subset["ports"] = json!(ports);
            }
            subset
        })
        .collect()
}

/// The slices' contents: per resolved port set, the endpoints in chunks of [`PER_SLICE`].
fn slice_contents(members: &[Member]) -> Vec<(Vec<Value>, Vec<Value>)> {
    let mut groups: BTreeMap<String, (Vec<Value>, Vec<Value>)> = BTreeMap::new();
    for m in members {
        let ports = slice_ports(&m.ports);
        let key = serde_json::to_string(&ports).unwrap_or_default();
        let mut endpoint = json!({
            "addresses": [m.ip],
            "conditions": {"ready": m.ready && !m.terminating, "serving": m.ready, "terminating": m.terminating},
            "targetRef": m.target_ref,
        });
        if !m.node.is_empty() {
            endpoint["nodeName"] = json!(m.node);
        }
        if let Some(h) = &m.hostname {
            endpoint["hostname"] = json!(h);
        }
        groups
            .entry(key)
            .or_insert_with(|| (ports, Vec::new()))
            .1
            .push(endpoint);
    }
    let mut out = Vec::new();
    for (ports, mut endpoints) in groups.into_values() {
        endpoints.sort_by(|a, b| str_at(a, "/addresses/0").cmp(str_at(b, "/addresses/0")));
        for chunk in endpoints.chunks(PER_SLICE) {
            out.push((ports.clone(), chunk.to_vec()));
        }
    }
    out
}

/// The labels the Service's Endpoints and slices carry: the Service's own, and the headless mark.
fn service_labels(service: &Value) -> Value {
    let mut labels = service
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or(json!({}));
    if str_at(service, "/spec/clusterIP") == "None" {
        labels["service.kubernetes.io/headless"] = json!("");
    }
    labels
}

impl Controller {
    /// Writes `object` in the collection at `base`: over `old` (a PUT at its name, with its
    /// resourceVersion, so that a concurrent write is a conflict), or as a new object.
    async fn write(
        &self,
        base: &str,
        old: Option<&Value>,
        mut object: Value,
    ) -> Result<Value, kyb_api::client::ClientError> {
        let Some(old) = old else {
            return self
                .client
                .send_json(Method::POST, base, "application/json", &object)
                .await;
        };
        let name = str_at(old, "/metadata/name").to_string();
        object["metadata"]["name"] = json!(name);
        object["metadata"]["resourceVersion"] = old
            .pointer("/metadata/resourceVersion")
            .cloned()
            .unwrap_or(Value::Null);
        self.client
            .send_json(
                Method::PUT,
                &format!("{base}/{name}"),
                "application/json",
                &object,
            )
            .await
    }

    async fn put_endpoints(&self, service: &Value, subsets: Vec<Value>) -> Result<(), String> {
        let (ns, name) = namespace_and_name(service);
        let labels = service_labels(service);
        let key = format!("{ns}/{name}");
        let existing = self.endpoints.get(&key);
        if let Some(e) = &existing {
            let same_subsets = e.get("subsets").cloned().unwrap_or(json!([])) == json!(subsets);
            if same_subsets && e.pointer("/metadata/labels").cloned().unwrap_or(json!({})) == labels
            {
                return Ok(());
            }
        }
        let object = json!({"apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": name, "namespace": ns, "labels": labels}, "subsets": subsets});
        let base = format!("/api/v1/namespaces/{ns}/endpoints");
        match self.write(&base, existing.as_deref(), object).await {
            Ok(_) => Ok(()),
            // Someone wrote it first: the next sync reads it again.
            Err(e) if e.status().is_some_and(|s| s.code == 409) => {
                Err("endpoints changed; retrying".into())
            }
            Err(e) => Err(e.to_string()),
        }
    }

    async fn put_slices(
        &self,
        service: &Value,
        contents: Vec<(Vec<Value>, Vec<Value>)>,
    ) -> Result<(), String> {
        let (ns, name) = namespace_and_name(service);
        let uid = str_at(service, "/metadata/uid");
        let mut existing: Vec<Arc<Value>> = self.slices.filter(|s| {
            namespace_and_name(s).0 == ns
                && str_at(s, "/metadata/labels/kubernetes.io~1service-name") == name
                && str_at(
                    s,
                    "/metadata/labels/endpointslice.kubernetes.io~1managed-by",
                ) == MANAGED_BY
        });
        existing.sort_by(|a, b| str_at(a, "/metadata/name").cmp(str_at(b, "/metadata/name")));
        let base = format!("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices");
        let mut labels = service_labels(service);
        labels["kubernetes.io/service-name"] = json!(name);
        labels["endpointslice.kubernetes.io/managed-by"] = json!(MANAGED_BY);
        // A service with no endpoints still has one (empty) slice, as kube keeps one.
        let contents = if contents.is_empty() {
            vec![(Vec::new(), Vec::new())]
        } else {
            contents
        };
        let wanted = contents.len();
        for (i, (ports, endpoints)) in contents.into_iter().enumerate() {
            let mut slice = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"namespace": ns, "labels": labels,
                    "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": name, "uid": uid,
                        "controller": true, "blockOwnerDeletion": true}]},
                "addressType": "IPv4", "endpoints": endpoints, "ports": ports});
            let old = existing.get(i).map(|o| o.as_ref());
            if let Some(old) = old {
                let same = old.get("endpoints").cloned().unwrap_or(json!([])) == slice["endpoints"]
                    && old.get("ports").cloned().unwrap_or(json!([])) == slice["ports"]
                    && old.pointer("/metadata/labels") == Some(&labels);
                if same {
                    continue;
                }
            } else {
                slice["metadata"]["generateName"] = json!(format!("{name}-"));
            }
            self.write(&base, old, slice)
                .await
                .map_err(|e| e.to_string())?;
        }
        for old in existing.iter().skip(wanted) {
            let path = format!("{base}/{}", str_at(old, "/metadata/name"));
            send_unless_gone(
                &self.client,
                Method::DELETE,
                &path,
                "application/json",
                &json!({}),
            )
            .await?;
        }
        Ok(())
    }
}

async fn sync(c: &Controller, key: &str) -> Result<Option<Duration>, String> {
    let (ns, name) = key.split_once('/').unwrap_or(("", key));
    let Some(service) = c.services.get(key) else {
        // The Service is gone: so is its Endpoints (its slices go with it by their owner reference).
        let path = format!("/api/v1/namespaces/{ns}/endpoints/{name}");
        send_unless_gone(
            &c.client,
            Method::DELETE,
            &path,
            "application/json",
            &json!({}),
        )
        .await?;
        return Ok(None);
    };
    let selector = service
        .pointer("/spec/selector")
        .filter(|s| s.as_object().is_some_and(|m| !m.is_empty()));
    let Some(selector) = selector else {
        return Ok(None);
    };
    if service.pointer("/metadata/deletionTimestamp").is_some()
        || str_at(&service, "/spec/type") == "ExternalName"
    {
        return Ok(None);
    }
    let selector =
        LabelSelector::from_json(&json!({"matchLabels": selector})).map_err(|e| e.to_string())?;
    let pods: Vec<Arc<Value>> = c
        .pods
        .in_namespace(ns)
        .into_iter()
        .filter(|p| selector.matches(p.pointer("/metadata/labels").and_then(Value::as_object)))
        .collect();
    let members = members(&service, &pods);
    c.put_endpoints(&service, subsets(&service, &members))
        .await?;
    c.put_slices(&service, slice_contents(&members)).await?;
    Ok(None)
}

/// Runs both controllers until the process ends.
pub async fn run(informers: Informers, workers: usize) {
    let client = informers.client().clone();
    let (services, mut service_changes) = inform(&informers, "/api/v1/services").await;
    let (pods, mut pod_changes) = inform(&informers, "/api/v1/pods").await;
    let (endpoints, mut endpoint_changes) = inform(&informers, "/api/v1/endpoints").await;
    let (slices, mut slice_changes) =
        inform(&informers, "/apis/discovery.k8s.io/v1/endpointslices").await;
    let c = Arc::new(Controller {
        client,
        services,
        pods,
        endpoints,
        slices,
    });
    let queue = Queue::serve(&c, workers, |c, k| async move { sync(&c, &k).await });
    loop {
        tokio::select! {
            change = service_changes.recv() => match change {
                Some(change) => queue.add(change.key()),
                None => return,
            },
            change = pod_changes.recv() => {
                let pod = match &change {
                    Some(Change::Upsert { new, .. }) => new.clone(),
                    Some(Change::Gone(p)) => p.clone(),
                    None => return,
                };
                // Every service of the namespace looks again: a pod's labels may have moved it in or out.
                let (ns, _) = namespace_and_name(&pod);
                for svc in c.services.in_namespace(ns) {
                    queue.add(crate::informer::key(&svc));
                }
            }
            // Its own objects changed by someone else are put back.
            change = endpoint_changes.recv() => match change {
                Some(change) => queue.add(change.key()),
                None => return,
            },
            change = slice_changes.recv() => match change {
                Some(Change::Upsert { new, .. }) | Some(Change::Gone(new)) => {
                    let (ns, _) = namespace_and_name(&new);
                    let service = str_at(&new, "/metadata/labels/kubernetes.io~1service-name");
                    if !service.is_empty() {
                        queue.add(format!("{ns}/{service}"));
                    }
                }
                None => return,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, ip: &str, ready: bool) -> Arc<Value> {
        Arc::new(
            json!({"metadata": {"name": name, "namespace": "ns", "uid": name},
            "spec": {"nodeName": "n", "containers": [{"ports": [{"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIP": ip,
                "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}}),
        )
    }

    #[test]
    fn target_ports_resolve_per_pod_and_readiness_splits_addresses() {
        let svc = json!({"metadata": {"name": "web"}, "spec": {"ports": [
            {"name": "web", "port": 80, "targetPort": "http"}, {"name": "admin", "port": 81, "targetPort": "missing"}]}});
        let pods = [
            pod("a", "10.0.0.2", true),
            pod("b", "10.0.0.1", false),
            pod("c", "", true),
        ];
        let m = members(&svc, &pods);
        assert_eq!(m.len(), 2, "a pod with no address is left out");
        assert_eq!(
            m[0].ports,
            vec![("web".to_string(), 8080, "TCP".to_string())]
        );
        let subsets = subsets(&svc, &m);
        assert_eq!(subsets.len(), 1);
        assert_eq!(subsets[0]["addresses"][0]["ip"], "10.0.0.2");
        assert_eq!(subsets[0]["notReadyAddresses"][0]["ip"], "10.0.0.1");
        let slices = slice_contents(&m);
        assert_eq!(slices.len(), 1);
        assert_eq!(
            slices[0].1[0]["addresses"][0], "10.0.0.1",
            "sorted by address"
        );
        assert_eq!(slices[0].1[0]["conditions"]["ready"], false);
    }

    #[test]
    fn numbered_and_defaulted_targets() {
        let p = pod("a", "10.0.0.2", true);
        assert_eq!(
            find_port(&p, &json!({"port": 80, "targetPort": 9090})),
            Some(9090)
        );
        assert_eq!(find_port(&p, &json!({"port": 80})), Some(80));
        assert_eq!(
            find_port(
                &p,
                &json!({"port": 80, "targetPort": "http", "protocol": "UDP"})
            ),
            None
        );
    }
}
