//! This host as a node with a real container runtime: registration with the host's facts (cores, memory,
//! ephemeral storage, kernel, OS, addresses and the pressure conditions), the Lease heartbeat, and a worker
//! per pod bound here (`pods.rs`), woken by the pod's changes and by its containers' exits.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kyb_api::client::{Client, ClientError};
use serde_json::{json, Value};
use tokio::sync::watch;

use super::runtime::ContainerRuntime;
use super::Pressure;
use crate::controllers::str_at;
use crate::informer::{self, Update};

/// How this host runs as a node.
#[derive(Debug, Clone)]
pub struct HostNode {
    pub name: String,
    pub lease_interval: Duration,
    /// Where pod volumes (and the process runtime's containers) live: `<root>/pods/<uid>/...`.
    pub root_dir: PathBuf,
    /// The port of the kubelet's streaming server (0: any free one), on the node's address.
    pub kubelet_port: u16,
}

/// What every pod worker shares about the node.
pub struct Host {
    pub client: Client,
    pub name: String,
    pub root_dir: PathBuf,
    /// The node's address, as pods see it (`status.hostIP`).
    pub ip: String,
    /// The credential the API server calls the kubelet's server with.
    pub token: String,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// This host's cores.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A `/proc/meminfo` field, in KiB.
fn meminfo_kib(field: &str) -> Option<u64> {
    read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// This host's memory, in KiB (`MemTotal`).
pub fn memory_kib() -> u64 {
    meminfo_kib("MemTotal").unwrap_or(0)
}

/// This host's architecture, as Kubernetes names it.
fn arch() -> String {
    std::env::consts::ARCH
        .replace("x86_64", "amd64")
        .replace("aarch64", "arm64")
}

/// The size and free space, in bytes, of the filesystem holding `dir`.
fn filesystem(dir: &Path) -> Option<(u64, u64)> {
    let mut probe = dir;
    while !probe.exists() {
        probe = probe.parent()?;
    }
    let s = rustix::fs::statvfs(probe).ok()?;
    Some((s.f_blocks * s.f_frsize, s.f_bavail * s.f_frsize))
}

/// The kubelet's default hard eviction thresholds, read as pressure: under 100 MiB of memory available,
/// under 10% of the node's filesystem free, or over 90% of the process ids in use.
fn pressure(root: &Path) -> Pressure {
    let memory = meminfo_kib("MemAvailable").is_some_and(|kib| kib < 100 * 1024);
    let disk = filesystem(root).is_some_and(|(size, free)| size > 0 && free * 10 < size);
    let pid_max: u64 = read("/proc/sys/kernel/pid_max").trim().parse().unwrap_or(0);
    let threads: u64 = read("/proc/loadavg")
        .split_whitespace()
        .nth(3)
        .and_then(|f| f.split_once('/'))
        .and_then(|(_, total)| total.parse().ok())
        .unwrap_or(0);
    let pid = pid_max > 0 && threads * 10 > pid_max * 9;
    Pressure { memory, disk, pid }
}

/// The Node object for this host: its cores, memory, storage, kernel, OS, runtime and conditions.
fn node_object(node: &HostNode, runtime: &str, address: &str, port: u16) -> Value {
    let (cpus, memory_kib) = (cores(), memory_kib());
    let os_image = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| "Linux".into());
    let mut resources =
        json!({"cpu": cpus.to_string(), "memory": format!("{memory_kib}Ki"), "pods": "110"});
    if let Some((size, _)) = filesystem(&node.root_dir) {
        resources["ephemeral-storage"] = json!(format!("{}Ki", size / 1024));
    }
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": node.name, "labels": {"kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux",
            "kubernetes.io/arch": arch()}},
        "spec": {},
        "status": {
            "capacity": resources, "allocatable": resources,
            "conditions": super::conditions(pressure(&node.root_dir)),
            "addresses": [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": node.name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
            "nodeInfo": {
                "machineID": read("/etc/machine-id").trim(), "systemUUID": read("/etc/machine-id").trim(), "bootID": read("/proc/sys/kernel/random/boot_id").trim(),
                "kernelVersion": read("/proc/sys/kernel/osrelease").trim(), "osImage": os_image,
                "containerRuntimeVersion": runtime, "kubeletVersion": "v1.32.0-kybernet", "kubeProxyVersion": "v1.32.0-kybernet",
                "operatingSystem": "linux", "architecture": arch(),
            },
        },
    })
}

/// Each pod's worker, by pod uid: the channel its pod's latest version goes through. A std mutex: it is
/// never held across an await.
type Workers = Arc<std::sync::Mutex<HashMap<String, watch::Sender<Value>>>>;

/// Runs this host as a node on `runtime` until the process ends. `version` is the runtime as the node
/// reports it (`docker://28.2.2`), `address` the host's address on the pods' network.
pub async fn run<R: ContainerRuntime>(
    client: Client,
    node: HostNode,
    runtime: R,
    version: String,
    address: String,
) -> Result<(), ClientError> {
    // The kubelet listens on the node's address, where the API server reaches it, and nowhere else.
    let listener = match tokio::net::TcpListener::bind((address.as_str(), node.kubelet_port)).await
    {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(port = node.kubelet_port, error = %e, "the kubelet port is taken; using a free one");
            tokio::net::TcpListener::bind((address.as_str(), 0))
                .await
                .map_err(|e| ClientError::Other(format!("binding the kubelet's server: {e}")))?
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    super::register(&client, &node_object(&node, &version, &address, port)).await?;
    tracing::info!(
        node = node.name,
        runtime = version,
        address,
        "node registered"
    );
    let heartbeat = {
        let (client, node, version, address) = (
            client.clone(),
            node.clone(),
            version.clone(),
            address.clone(),
        );
        tokio::spawn(async move {
            let duration = (node.lease_interval.as_secs() * 4).max(10);
            let mut ticks = 0u64;
            loop {
                if let Err(e) = super::renew_lease(&client, &node.name, duration).await {
                    tracing::warn!(error = %e, "lease renewal failed");
                }
                if ticks % 6 == 5 {
                    let node = node_object(&node, &version, &address, port);
                    let _ = super::register(&client, &node).await;
                }
                ticks += 1;
                tokio::time::sleep(node.lease_interval).await;
            }
        })
    };
    let host = Host {
        client: client.clone(),
        name: node.name.clone(),
        root_dir: node.root_dir.clone(),
        ip: address,
        token: kubelet_token(&client).await,
    };
    let ctx = Arc::new(super::pods::Ctx::new(host, runtime));
    let server = tokio::spawn(super::server::serve(ctx.clone(), listener));
    let workers: Workers = Arc::default();
    // A container of ours that ends wakes its pod's worker at once (kube's PLEG, from the runtime's events).
    let (exits_tx, mut exits) = tokio::sync::mpsc::unbounded_channel();
    let watcher = {
        let ctx = ctx.clone();
        tokio::spawn(async move { ctx.runtime.watch_exits(exits_tx).await })
    };
    let waker = {
        let workers = workers.clone();
        tokio::spawn(async move {
            while let Some(uid) = exits.recv().await {
                if let Ok(workers) = workers.lock() {
                    if let Some(tx) = workers.get(&uid) {
                        tx.send_modify(|_| {});
                    }
                }
            }
        })
    };
    let path = format!(
        "/api/v1/pods?fieldSelector=spec.nodeName%3D{}",
        ctx.host.name
    );
    let mut feed = informer::start(client, path);
    while let Some(update) = feed.recv().await {
        let pods = match update {
            Update::Reset(items) => {
                remove_strays(&ctx.runtime, &items).await;
                items
            }
            Update::Added(p) | Update::Modified(p) => vec![p],
            // Gone from the API (a forced delete, or no grace period): its containers stop at once.
            Update::Deleted(mut p) => {
                if let Some(meta) = p.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.entry("deletionTimestamp")
                        .or_insert_with(|| json!(super::now()));
                    meta.insert("deletionGracePeriodSeconds".into(), json!(0));
                }
                vec![p]
            }
        };
        let Ok(mut workers) = workers.lock() else {
            break;
        };
        for pod in pods {
            let uid = str_at(&pod, "/metadata/uid").to_string();
            workers.retain(|_, tx| !tx.is_closed());
            match workers.get(&uid) {
                Some(tx) => {
                    let _ = tx.send(pod);
                }
                None => {
                    let (tx, rx) = watch::channel(pod);
                    tokio::spawn(super::pods::worker(ctx.clone(), rx));
                    workers.insert(uid, tx);
                }
            }
        }
    }
    for task in [watcher, waker, heartbeat, server] {
        task.abort();
    }
    Ok(())
}

/// The credential the API server calls kubelets with, from its Secret (which it makes at boot).
async fn kubelet_token(client: &Client) -> String {
    use base64::Engine;
    let path = "/api/v1/namespaces/kube-system/secrets/kybernet-kubelet";
    for _ in 0..30 {
        match client.get_json(path).await {
            Ok(secret) => {
                let token = base64::engine::general_purpose::STANDARD
                    .decode(str_at(&secret, "/data/token"))
                    .ok()
                    .and_then(|t| String::from_utf8(t).ok())
                    .unwrap_or_default();
                return token;
            }
            Err(e) => tracing::warn!(error = %e, "reading the kubelet credential"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tracing::error!("no kubelet credential: the kubelet's server refuses every request");
    String::new()
}

/// Removes this node's containers that belong to no pod bound here (left by a pod deleted while the agent
/// was down), after a full list of the node's pods.
async fn remove_strays<R: ContainerRuntime>(runtime: &R, pods: &[Value]) {
    let uids: HashSet<&str> = pods.iter().map(|p| str_at(p, "/metadata/uid")).collect();
    let Ok(list) = runtime.node_containers().await else {
        return;
    };
    for (id, uid) in list {
        if !uids.contains(uid.as_str()) {
            tracing::info!(
                container = id,
                pod_uid = uid,
                "removing a container that belongs to no pod"
            );
            runtime.remove(&id).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_host_reports_its_filesystem_and_pressure_conditions() {
        let (size, free) = filesystem(Path::new("/tmp/no/such/folder")).unwrap_or_default();
        assert!(size > 0 && free <= size);
        let node = HostNode {
            name: "n".into(),
            lease_interval: Duration::from_secs(10),
            root_dir: "/tmp".into(),
            kubelet_port: 0,
        };
        let obj = node_object(&node, "process://1", "127.0.0.1", 10250);
        assert_eq!(
            obj["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"],
            10250
        );
        assert!(obj["status"]["capacity"]["ephemeral-storage"]
            .as_str()
            .is_some_and(|s| s.ends_with("Ki")));
        let types: Vec<&str> = obj["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["type"].as_str())
            .collect();
        assert_eq!(
            types,
            ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
        );
    }
}
