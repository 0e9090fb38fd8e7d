//! The node agent. With the simulated runtime, one process registers many nodes, keeps their Leases and
//! status fresh, and plays the pods bound to them through their lifecycle without running anything (as KWOK).
//! With a real runtime (`runtime/`), this host is one node whose pods run through `pods.rs`.

mod env;
mod exec_spdy;
mod forward;
pub mod node;
mod pods;
mod probe;
pub mod runtime;
mod server;
mod simulated;
mod spdy;
mod status;
mod volumes;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use kyb_api::client::{Client, ClientError, Method};
use serde_json::{json, Value};

use crate::informer::{self, Update};

/// How the simulated nodes look.
#[derive(Debug, Clone)]
pub struct SimulatedNodes {
    pub count: usize,
    pub prefix: String,
    pub cpu: String,
    pub memory: String,
    pub max_pods: u32,
    /// How often each node renews its Lease.
    pub lease_interval: Duration,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn now_micro() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Node `i`'s pod CIDR: a /24 from 10.64.0.0/10, so that thousands of nodes each get their own.
fn pod_cidr(i: usize) -> (String, String) {
    let (a, b) = (64 + (i / 256) % 64, i % 256);
    (format!("10.{a}.{b}.0/24"), format!("10.{a}.{b}"))
}

fn node_object(cfg: &SimulatedNodes, i: usize) -> Value {
    let name = format!("{}{i}", cfg.prefix);
    let (cidr, _) = pod_cidr(i);
    let resources = json!({"cpu": cfg.cpu, "memory": cfg.memory, "pods": cfg.max_pods.to_string(), "ephemeral-storage": "100Gi"});

    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64", "type": "kybernet-simulated",
        }},
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
        "status": {
            "capacity": resources, "allocatable": resources,
            "conditions": healthy_conditions(),
            "addresses": [{"type": "InternalIP", "address": format!("{}.1", pod_cidr(i).1)}, {"type": "Hostname", "address": name}],
            "nodeInfo": {
                "machineID": format!("simulated-{i}"), "systemUUID": format!("simulated-{i}"), "bootID": format!("simulated-{i}"),
                "kernelVersion": "simulated", "osImage": "Kybernet simulated node", "containerRuntimeVersion": "simulated://0.1.0",
                "kubeletVersion": "v1.32.0-kybernet", "kubeProxyVersion": "v1.32.0-kybernet", "operatingSystem": "linux", "architecture": "amd64",
            },
        },
    })
}

/// The conditions of a node with no pressure and a kubelet posting ready status, in the kubelet's words.
fn healthy_conditions() -> Value {
    conditions(Pressure::default())
}

/// Which of the node's resources run short, by the kubelet's eviction signals.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Pressure {
    pub memory: bool,
    pub disk: bool,
    pub pid: bool,
}

/// The node's conditions in the kubelet's words: the three pressures, then Ready.
fn conditions(p: Pressure) -> Value {
    let now = now();
    let condition = |t: &str, s: &str, reason: &str, message: &str| json!({"type": t, "status": s, "reason": reason, "message": message, "lastHeartbeatTime": now, "lastTransitionTime": now});
    let pressure = |t: &str, on: bool, yes: (&str, &str), no: (&str, &str)| {
        let (reason, message) = if on { yes } else { no };
        condition(t, if on { "True" } else { "False" }, reason, message)
    };
    json!([
        pressure(
            "MemoryPressure",
            p.memory,
            (
                "KubeletHasInsufficientMemory",
                "kubelet has insufficient memory available"
            ),
            (
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available"
            ),
        ),
        pressure(
            "DiskPressure",
            p.disk,
            ("KubeletHasDiskPressure", "kubelet has disk pressure"),
            ("KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ),
        pressure(
            "PIDPressure",
            p.pid,
            (
                "KubeletHasInsufficientPID",
                "kubelet has insufficient PID available"
            ),
            (
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available"
            ),
        ),
        condition(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status"
        ),
    ])
}

/// Creates the node, or brings an existing one's status up to date.
async fn register(client: &Client, node: &Value) -> Result<(), ClientError> {
    let name = node
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match client
        .send_json(Method::POST, "/api/v1/nodes", "application/json", node)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.status().is_some_and(|s| s.code == 409) => {
            let status = json!({"status": node.get("status").cloned().unwrap_or(Value::Null)});
            client
                .send_json(
                    Method::PATCH,
                    &format!("/api/v1/nodes/{name}/status"),
                    "application/merge-patch+json",
                    &status,
                )
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    }
}

/// Renews the node's Lease, creating it the first time.
async fn renew_lease(client: &Client, name: &str, duration: u64) -> Result<(), ClientError> {
    let path = format!("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}");
    let patch = json!({"spec": {"holderIdentity": name, "leaseDurationSeconds": duration, "renewTime": now_micro()}});
    match client
        .send_json(Method::PATCH, &path, "application/merge-patch+json", &patch)
        .await
    {
        Err(e) if e.is_not_found() => {
            let lease = json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name, "namespace": "kube-node-lease"}, "spec": patch["spec"]});
            client
                .send_json(
                    Method::POST,
                    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                    "application/json",
                    &lease,
                )
                .await
                .map(|_| ())
        }
        other => other.map(|_| ()),
    }
}

/// Runs simulated nodes until the process ends.
pub async fn run_simulated(client: Client, cfg: SimulatedNodes) -> Result<(), ClientError> {
    let names: HashSet<String> = (0..cfg.count)
        .map(|i| format!("{}{i}", cfg.prefix))
        .collect();
    for i in 0..cfg.count {
        register(&client, &node_object(&cfg, i)).await?;
    }
    tracing::info!(
        nodes = cfg.count,
        prefix = cfg.prefix,
        "simulated nodes registered"
    );
    let leases = tokio::spawn(heartbeat(client.clone(), cfg.clone()));
    let cidrs: HashMap<String, String> = (0..cfg.count)
        .map(|i| (format!("{}{i}", cfg.prefix), pod_cidr(i).1))
        .collect();
    let pods = simulated::Pods::new(client.clone(), Arc::new(cidrs));
    let mut feed = informer::start(client.clone(), "/api/v1/pods".into());
    while let Some(update) = feed.recv().await {
        match update {
            Update::Reset(items) => {
                for p in items {
                    pods.observe(&p, &names);
                }
            }
            Update::Added(p) | Update::Modified(p) => pods.observe(&p, &names),
            Update::Deleted(p) => pods.forget(&p),
        }
    }
    leases.abort();
    Ok(())
}

/// Lease renewals for every node, spread over the interval; node status heartbeats every minute.
async fn heartbeat(client: Client, cfg: SimulatedNodes) {
    let duration = (cfg.lease_interval.as_secs() * 4).max(10);
    let mut ticks = 0u64;
    loop {
        let started = tokio::time::Instant::now();
        for i in 0..cfg.count {
            let name = format!("{}{i}", cfg.prefix);
            if let Err(e) = renew_lease(&client, &name, duration).await {
                tracing::warn!(node = name, error = %e, "lease renewal failed");
            }
            if ticks % 6 == 5 {
                let _ = register(&client, &node_object(&cfg, i)).await;
            }
        }
        ticks += 1;
        tokio::time::sleep_until(started + cfg.lease_interval).await;
    }
}
