//! The Docker runtime (a first part of issue 6): one node, this host, whose pods run as Docker containers
//! through bollard. Each pod gets a pause container holding its network namespace on a Kybernet-managed
//! bridge network, and its containers join it. A worker per pod syncs it level-triggered: it creates what is
//! missing, restarts exited containers by the restart policy with kube's back-off, reports the status
//! Kubernetes reports, and on deletion stops the containers within the grace period and removes the pod.
//! Containers are labelled with their pod's uid, so a restarted agent finds (adopts) them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, HostConfig, Ipam, IpamConfig,
    NetworkCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, ListContainersOptions, RemoveContainerOptions,
    StopContainerOptions,
};
use bollard::Docker;
use futures::StreamExt;
use kyb_api::client::{Client, Method};
use serde_json::{json, Map, Value};
use tokio::sync::watch;

use crate::controllers::{namespace_and_name, str_at};
use crate::informer::{self, Update};

/// The image holding each pod's network namespace, built here from [`PAUSE_ELF`] when absent.
pub const PAUSE_IMAGE: &str = "kybernet/pause:1";
/// A 129-byte static x86-64 Linux program that calls pause(2) forever: the whole pause image.
const PAUSE_ELF: &[u8] = &[
    0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, // ELF64, little-endian
    2, 0, 0x3e, 0, 1, 0, 0, 0, // executable, x86-64
    0x78, 0, 0x40, 0, 0, 0, 0, 0, // entry 0x400078
    0x40, 0, 0, 0, 0, 0, 0, 0, // program headers at 64
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // no sections, no flags
    0x40, 0, 0x38, 0, 1, 0, 0, 0, 0, 0, 0, 0, // header sizes, one program header
    1, 0, 0, 0, 5, 0, 0, 0, // PT_LOAD, read and execute
    0, 0, 0, 0, 0, 0, 0, 0, // from offset 0
    0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, // at 0x400000
    0x81, 0, 0, 0, 0, 0, 0, 0, 0x81, 0, 0, 0, 0, 0, 0, 0, // 129 bytes in file and memory
    0, 0x10, 0, 0, 0, 0, 0, 0, // page aligned
    0xb8, 0x22, 0, 0, 0, // mov eax, 34 (pause)
    0x0f, 0x05, // syscall
    0xeb, 0xf7, // jmp back to the mov
];

const LABEL_UID: &str = "io.kybernet.pod-uid";
const LABEL_NODE: &str = "io.kybernet.node";
const LABEL_CONTAINER: &str = "io.kybernet.container";
const LABEL_ATTEMPT: &str = "io.kybernet.attempt";
/// The container name the sandbox is labelled with.
const SANDBOX: &str = "POD";

/// How this host runs as a node.
#[derive(Debug, Clone)]
pub struct DockerNode {
    pub name: String,
    /// The Docker network pods join; made when absent.
    pub network: String,
    /// The network's subnet, when one is wanted (else Docker picks one).
    pub pod_cidr: Option<String>,
    pub lease_interval: Duration,
    /// Where pod volumes live: `<root>/pods/<uid>/volumes/...`.
    pub root_dir: std::path::PathBuf,
}

/// A tar archive holding one executable file, for `docker import`.
fn tar_of(name: &str, body: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    let octal = |field: &mut [u8], v: u64| {
        let s = format!("{:0width$o}\0", v, width = field.len() - 1);
        field.copy_from_slice(s.as_bytes());
    };
    octal(&mut header[100..108], 0o755);
    octal(&mut header[108..116], 0);
    octal(&mut header[116..124], 0);
    octal(&mut header[124..136], body.len() as u64);
    octal(&mut header[136..148], 0);
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    let s = format!("{sum:06o}\0 ");
    header[148..156].copy_from_slice(s.as_bytes());
    let mut out = header.to_vec();
    out.extend_from_slice(body);
    out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
    out
}

async fn ensure_pause_image(docker: &Docker) -> anyhow::Result<()> {
    if docker.inspect_image(PAUSE_IMAGE).await.is_ok() {
        return Ok(());
    }
    let (repo, tag) = PAUSE_IMAGE
        .split_once(':')
        .unwrap_or((PAUSE_IMAGE, "latest"));
    let options = CreateImageOptions {
        from_src: Some("-".into()),
        repo: Some(repo.into()),
        tag: Some(tag.into()),
        changes: vec![r#"ENTRYPOINT ["/pause"]"#.into()],
        ..Default::default()
    };
    let tar = bytes::Bytes::from(tar_of("pause", PAUSE_ELF));
    let mut progress = docker.create_image(Some(options), Some(bollard::body_full(tar)), None);
    while let Some(step) = progress.next().await {
        step.context("importing the pause image")?;
    }
    tracing::info!(image = PAUSE_IMAGE, "built the pause image");
    Ok(())
}

/// The pods' network, made when absent; returns its gateway address.
async fn ensure_network(docker: &Docker, node: &DockerNode) -> anyhow::Result<String> {
    let gateway = |n: &bollard::models::Network| {
        n.ipam
            .as_ref()
            .and_then(|i| i.config.as_ref())
            .and_then(|c| c.first())
            .and_then(|c| c.gateway.clone())
            .unwrap_or_default()
    };
    if let Ok(n) = docker
        .inspect_network(
            &node.network,
            None::<bollard::query_parameters::InspectNetworkOptions>,
        )
        .await
    {
        return Ok(gateway(&n));
    }
    let request = NetworkCreateRequest {
        name: node.network.clone(),
        driver: Some("bridge".into()),
        ipam: node.pod_cidr.as_ref().map(|cidr| Ipam {
            config: Some(vec![IpamConfig {
                subnet: Some(cidr.clone()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        labels: Some(HashMap::from([(LABEL_NODE.to_string(), node.name.clone())])),
        ..Default::default()
    };
    docker
        .create_network(request)
        .await
        .with_context(|| format!("creating the Docker network {}", node.network))?;
    let n = docker
        .inspect_network(
            &node.network,
            None::<bollard::query_parameters::InspectNetworkOptions>,
        )
        .await
        .context("reading the new network")?;
    Ok(gateway(&n))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// This host's cores.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// This host's memory, in KiB (`MemTotal`).
fn memory_kib() -> u64 {
    read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// This host's architecture, as Kubernetes names it.
fn arch() -> String {
    std::env::consts::ARCH
        .replace("x86_64", "amd64")
        .replace("aarch64", "arm64")
}

/// The Node object for this host: its cores, memory, kernel, OS and runtime.
fn node_object(node: &DockerNode, runtime: &str, address: &str) -> Value {
    let (cpus, memory_kib) = (cores(), memory_kib());
    let os_image = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| "Linux".into());
    let resources =
        json!({"cpu": cpus.to_string(), "memory": format!("{memory_kib}Ki"), "pods": "110"});
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": node.name, "labels": {"kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux",
            "kubernetes.io/arch": arch()}},
        "spec": {},
        "status": {
            "capacity": resources, "allocatable": resources,
            "conditions": super::healthy_conditions(),
            "addresses": [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": node.name}],
            "nodeInfo": {
                "machineID": read("/etc/machine-id").trim(), "systemUUID": read("/etc/machine-id").trim(), "bootID": read("/proc/sys/kernel/random/boot_id").trim(),
                "kernelVersion": read("/proc/sys/kernel/osrelease").trim(), "osImage": os_image,
                "containerRuntimeVersion": runtime, "kubeletVersion": "v1.32.0-kybernet", "kubeProxyVersion": "v1.32.0-kybernet",
                "operatingSystem": "linux", "architecture": arch(),
            },
        },
    })
}

/// Whether a Docker daemon answers on the local socket.
pub async fn available() -> bool {
    match Docker::connect_with_socket_defaults() {
        Ok(d) => tokio::time::timeout(Duration::from_secs(2), d.ping())
            .await
            .is_ok_and(|r| r.is_ok()),
        Err(_) => false,
    }
}

/// Runs this host as a Docker node until the process ends.
pub async fn run(client: Client, node: DockerNode) -> anyhow::Result<()> {
    let docker = Docker::connect_with_socket_defaults()
        .context("connecting to Docker")?
        .negotiate_version()
        .await
        .context("asking Docker for its API version")?;
    let version = docker
        .version()
        .await
        .context("asking Docker for its version")?;
    let runtime = format!("docker://{}", version.version.unwrap_or_default());
    ensure_pause_image(&docker).await?;
    let address = ensure_network(&docker, &node).await?;
    super::register(&client, &node_object(&node, &runtime, &address)).await?;
    tracing::info!(
        node = node.name,
        runtime,
        network = node.network,
        "docker node registered"
    );
    let heartbeat = {
        let (client, node, runtime, address) = (
            client.clone(),
            node.clone(),
            runtime.clone(),
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
                    let _ = super::register(&client, &node_object(&node, &runtime, &address)).await;
                }
                ticks += 1;
                tokio::time::sleep(node.lease_interval).await;
            }
        })
    };
    let ctx = Arc::new(Ctx {
        client: client.clone(),
        docker,
        node,
        host_ip: address,
    });
    let workers: Workers = Arc::default();
    // A container of ours that stops wakes its pod's worker at once (kube's PLEG, from Docker's events).
    let events = tokio::spawn(wake_on_exit(ctx.clone(), workers.clone()));
    let path = format!(
        "/api/v1/pods?fieldSelector=spec.nodeName%3D{}",
        ctx.node.name
    );
    let mut feed = informer::start(client, path);
    while let Some(update) = feed.recv().await {
        let pods = match update {
            Update::Reset(items) => {
                remove_strays(&ctx, &items).await;
                items
            }
            Update::Added(p) | Update::Modified(p) | Update::Deleted(p) => vec![p],
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
                    tokio::spawn(worker(ctx.clone(), rx));
                    workers.insert(uid, tx);
                }
            }
        }
    }
    events.abort();
    heartbeat.abort();
    Ok(())
}

/// Removes this node's containers that belong to no pod bound here (left by a pod deleted while the agent
/// was down), after a full list of the node's pods.
async fn remove_strays(ctx: &Ctx, pods: &[Value]) {
    let uids: std::collections::HashSet<&str> =
        pods.iter().map(|p| str_at(p, "/metadata/uid")).collect();
    let filters = HashMap::from([(
        "label".to_string(),
        vec![format!("{LABEL_NODE}={}", ctx.node.name)],
    )]);
    let options = ListContainersOptions {
        all: true,
        filters: Some(filters),
        ..Default::default()
    };
    let Ok(list) = ctx.docker.list_containers(Some(options)).await else {
        return;
    };
    for c in list {
        let uid = c
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_UID))
            .map(String::as_str)
            .unwrap_or_default();
        if uids.contains(uid) {
            continue;
        }
        if let Some(id) = c.id {
            tracing::info!(
                container = id,
                pod_uid = uid,
                "removing a container that belongs to no pod"
            );
            let options = RemoveContainerOptions {
                force: true,
                ..Default::default()
            };
            let _ = ctx.docker.remove_container(&id, Some(options)).await;
        }
    }
}

/// Each pod's worker, by pod uid: the channel its pod's latest version goes through.
type Workers = Arc<std::sync::Mutex<HashMap<String, watch::Sender<Value>>>>;

/// Follows Docker's `die` events for this node's containers and wakes the worker of the pod concerned.
async fn wake_on_exit(ctx: Arc<Ctx>, workers: Workers) {
    loop {
        let filters = HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            ("event".to_string(), vec!["die".to_string()]),
            (
                "label".to_string(),
                vec![format!("{LABEL_NODE}={}", ctx.node.name)],
            ),
        ]);
        let options = bollard::query_parameters::EventsOptions {
            filters: Some(filters),
            ..Default::default()
        };
        let mut stream = ctx.docker.events(Some(options));
        while let Some(Ok(event)) = stream.next().await {
            let uid = event
                .actor
                .and_then(|a| a.attributes)
                .and_then(|mut a| a.remove(LABEL_UID))
                .unwrap_or_default();
            if let Ok(workers) = workers.lock() {
                if let Some(tx) = workers.get(&uid) {
                    tx.send_modify(|_| {});
                }
            }
        }
        // The stream ended (the daemon restarted?): follow again shortly.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

struct Ctx {
    client: Client,
    docker: Docker,
    node: DockerNode,
    host_ip: String,
}

/// One pod's worker: syncs on every change and every second, until the pod is gone.
async fn worker(ctx: Arc<Ctx>, mut pod: watch::Receiver<Value>) {
    let mut state = PodState::default();
    loop {
        let current = pod.borrow_and_update().clone();
        let next = match sync(&ctx, &current, &mut state).await {
            Ok(Next::Gone) => return,
            Ok(Next::Soon) => Duration::from_secs(1),
            Ok(Next::Steady) => STEADY,
            Err(e) => {
                tracing::warn!(pod = crate::informer::key(&current), error = %e, "pod sync failed");
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            changed = pod.changed() => if changed.is_err() { return },
            _ = tokio::time::sleep(next) => {}
        }
    }
}

/// How often a pod whose containers all run as they should, with no probes, is looked at again: each look
/// costs the Docker daemon a list and an inspection per container, which slows every start under way.
const STEADY: Duration = Duration::from_secs(5);

/// When a worker should look at its pod again.
enum Next {
    /// The pod is gone.
    Gone,
    /// Something is under way (starting, backing off, probing): in a second.
    Soon,
    /// All is as it should be: after [`STEADY`], or at the pod's next change.
    Steady,
}

/// What a worker remembers between syncs: image pulls that failed, for their back-off.
#[derive(Default)]
struct PodState {
    pull_failures: HashMap<String, (u32, chrono::DateTime<chrono::Utc>)>,
    /// Probes by container id (a restarted container starts afresh).
    probers: HashMap<String, super::probe::Prober>,
    /// The probes' verdicts by container name: (ready, started).
    probed: HashMap<String, (bool, bool)>,
    /// Termination messages of ended containers, by container id.
    messages: HashMap<String, String>,
}

/// How long an exited container waits before its `restarts`-th start: kube's back-off, begun afresh for
/// a container that had run for 10 minutes.
fn restart_delay(
    restarts: u32,
    started: chrono::DateTime<chrono::Utc>,
    finished: chrono::DateTime<chrono::Utc>,
) -> chrono::Duration {
    if finished - started >= chrono::Duration::minutes(10) {
        backoff(1)
    } else {
        backoff(restarts)
    }
}

/// kube's container back-off: 10 s doubling to 5 minutes.
fn backoff(restarts: u32) -> chrono::Duration {
    chrono::Duration::seconds((10i64 << restarts.saturating_sub(1).min(5)).min(300))
}

async fn containers_of(
    docker: &Docker,
    uid: &str,
) -> anyhow::Result<Vec<ContainerInspectResponse>> {
    let filters = HashMap::from([("label".to_string(), vec![format!("{LABEL_UID}={uid}")])]);
    let list = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await?;
    let mut out = Vec::new();
    for c in list {
        if let Some(id) = c.id {
            if let Ok(i) = docker
                .inspect_container(
                    &id,
                    None::<bollard::query_parameters::InspectContainerOptions>,
                )
                .await
            {
                out.push(i);
            }
        }
    }
    Ok(out)
}

fn label<'a>(c: &'a ContainerInspectResponse, key: &str) -> &'a str {
    c.config
        .as_ref()
        .and_then(|cfg| cfg.labels.as_ref())
        .and_then(|l| l.get(key))
        .map(String::as_str)
        .unwrap_or_default()
}

fn attempt(c: &ContainerInspectResponse) -> u32 {
    label(c, LABEL_ATTEMPT).parse().unwrap_or(0)
}

fn running(c: &ContainerInspectResponse) -> bool {
    c.state.as_ref().and_then(|s| s.running).unwrap_or(false)
}

/// When the container last started (`finished`: last ended), from Docker's RFC 3339 times; None for
/// Docker's zero time.
fn state_time(
    c: &ContainerInspectResponse,
    finished: bool,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = c.state.as_ref()?;
    let t = if finished {
        s.finished_at.as_ref()
    } else {
        s.started_at.as_ref()
    }?;
    let parsed = chrono::DateTime::parse_from_rfc3339(t).ok()?;
    (parsed.timestamp() > 0).then(|| parsed.with_timezone(&chrono::Utc))
}

/// A container time as Kubernetes writes it (seconds).
fn docker_time(c: &ContainerInspectResponse, finished: bool) -> Option<String> {
    state_time(c, finished).map(crate::controllers::stamp)
}

fn terminated(c: &ContainerInspectResponse, messages: &HashMap<String, String>) -> Value {
    let s = c.state.clone().unwrap_or_default();
    let code = s.exit_code.unwrap_or(0);
    let reason = if s.oom_killed == Some(true) {
        "OOMKilled"
    } else if code == 0 {
        "Completed"
    } else {
        "Error"
    };
    let mut t = json!({"exitCode": code, "reason": reason, "startedAt": docker_time(c, false),
        "finishedAt": docker_time(c, true), "containerID": format!("docker://{}", c.id.clone().unwrap_or_default())});
    if let Some(m) =
        c.id.as_ref()
            .and_then(|id| messages.get(id))
            .filter(|m| !m.is_empty())
    {
        t["message"] = json!(m);
    }
    t
}

/// The host file bound at a container's terminationMessagePath, for one attempt.
fn termination_file(ctx: &Ctx, pod: &Value, container: &str, attempt: u32) -> std::path::PathBuf {
    pod_dir(ctx, pod)
        .join("containers")
        .join(container)
        .join(attempt.to_string())
        .join("termination-log")
}

/// What ended containers left as their termination message: the file at terminationMessagePath (at most
/// 4096 bytes), or under FallbackToLogsOnError, for a failure with no message, the last lines of the log.
async fn termination_messages(
    ctx: &Ctx,
    pod: &Value,
    containers: &[ContainerInspectResponse],
    known: &mut HashMap<String, String>,
) {
    let specs: Vec<Value> = ["initContainers", "containers"]
        .iter()
        .filter_map(|f| pod.pointer(&format!("/spec/{f}")).and_then(Value::as_array))
        .flatten()
        .cloned()
        .collect();
    known.retain(|id, _| {
        containers
            .iter()
            .any(|c| c.id.as_deref() == Some(id.as_str()))
    });
    for c in containers
        .iter()
        .filter(|c| !running(c) && label(c, LABEL_CONTAINER) != SANDBOX)
    {
        let Some(id) = c.id.clone() else { continue };
        if known.contains_key(&id) {
            continue;
        }
        let name = label(c, LABEL_CONTAINER);
        let mut message = std::fs::read(termination_file(ctx, pod, name, attempt(c)))
            .map(|b| String::from_utf8_lossy(&b[..b.len().min(4096)]).into_owned())
            .unwrap_or_default();
        let spec = specs.iter().find(|s| s["name"] == name);
        let fallback =
            spec.is_some_and(|s| str_at(s, "/terminationMessagePolicy") == "FallbackToLogsOnError");
        let failed = c.state.as_ref().and_then(|s| s.exit_code).unwrap_or(0) != 0;
        if message.is_empty() && fallback && failed {
            let options = bollard::query_parameters::LogsOptions {
                stdout: true,
                stderr: true,
                tail: "80".into(),
                ..Default::default()
            };
            let mut logs = ctx.docker.logs(&id, Some(options));
            while let Some(Ok(chunk)) = logs.next().await {
                message.push_str(&chunk.to_string());
            }
            let start = message.len().saturating_sub(2048);
            let start = (start..message.len())
                .find(|i| message.is_char_boundary(*i))
                .unwrap_or(message.len());
            message = message[start..].to_string();
        }
        known.insert(id, message);
    }
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(String::from))
            .collect()
    })
}

/// Makes sure the image is there as the pull policy asks; the waiting reason and message when it is not.
async fn image_ready(
    ctx: &Ctx,
    state: &mut PodState,
    image: &str,
    policy: &str,
) -> Option<(&'static str, String)> {
    let present = ctx.docker.inspect_image(image).await.is_ok();
    if present && policy != "Always" {
        return None;
    }
    if policy == "Never" {
        return Some((
            "ErrImageNeverPull",
            format!("Container image {image:?} is not present with pull policy of Never"),
        ));
    }
    let now = chrono::Utc::now();
    if let Some((n, at)) = state.pull_failures.get(image) {
        if now < *at + backoff(*n) {
            return Some((
                "ImagePullBackOff",
                format!("Back-off pulling image {image:?}"),
            ));
        }
    }
    let options = CreateImageOptions {
        from_image: Some(image.into()),
        ..Default::default()
    };
    let mut pull = ctx.docker.create_image(Some(options), None, None);
    let mut failure = None;
    while let Some(step) = pull.next().await {
        if let Err(e) = step {
            failure = Some(e.to_string());
            break;
        }
    }
    match failure {
        None => {
            state.pull_failures.remove(image);
            None
        }
        Some(why) => {
            let n = state.pull_failures.get(image).map_or(0, |f| f.0) + 1;
            state.pull_failures.insert(image.to_string(), (n, now));
            Some((
                "ErrImagePull",
                format!("failed to pull and unpack image {image:?}: {why}"),
            ))
        }
    }
}

fn docker_name(pod: &Value, container: &str, attempt: u32) -> String {
    let (ns, name) = namespace_and_name(pod);
    format!(
        "k8s_{container}_{name}_{ns}_{}_{attempt}",
        str_at(pod, "/metadata/uid")
    )
}

fn labels(ctx: &Ctx, pod: &Value, container: &str, attempt: u32) -> HashMap<String, String> {
    let (ns, name) = namespace_and_name(pod);
    HashMap::from([
        (
            LABEL_UID.to_string(),
            str_at(pod, "/metadata/uid").to_string(),
        ),
        (LABEL_NODE.to_string(), ctx.node.name.clone()),
        (LABEL_CONTAINER.to_string(), container.to_string()),
        (LABEL_ATTEMPT.to_string(), attempt.to_string()),
        ("io.kubernetes.pod.name".to_string(), name.to_string()),
        ("io.kubernetes.pod.namespace".to_string(), ns.to_string()),
    ])
}

async fn create_and_start(
    ctx: &Ctx,
    name: &str,
    body: ContainerCreateBody,
) -> anyhow::Result<String> {
    let options = CreateContainerOptions {
        name: Some(name.to_string()),
        ..Default::default()
    };
    let created = ctx.docker.create_container(Some(options), body).await?;
    if let Err(e) = ctx
        .docker
        .start_container(
            &created.id,
            None::<bollard::query_parameters::StartContainerOptions>,
        )
        .await
    {
        // A container that could not start is not left behind to pile up with each retry.
        let options = RemoveContainerOptions {
            force: true,
            ..Default::default()
        };
        let _ = ctx
            .docker
            .remove_container(&created.id, Some(options))
            .await;
        return Err(e.into());
    }
    Ok(created.id)
}

/// Runs a lifecycle hook (exec or httpGet) against the container, within `budget`.
async fn run_hook(
    docker: &Docker,
    id: &str,
    hook: &Value,
    container: &Value,
    pod_ip: &str,
    budget: Duration,
) -> Result<(), String> {
    match super::probe::action(hook, container) {
        Some(super::probe::Action::Exec(cmd)) => exec_probe(docker, id, cmd, budget).await,
        Some(super::probe::Action::Http { port, path }) => {
            super::probe::http_get(pod_ip, port, &path, budget).await
        }
        Some(super::probe::Action::Tcp { .. }) | None => {
            Err("the hook has no handler it can run".into())
        }
    }
}

async fn remove(ctx: &Ctx, c: &ContainerInspectResponse) {
    if let Some(id) = &c.id {
        let options = RemoveContainerOptions {
            force: true,
            ..Default::default()
        };
        if let Err(e) = ctx.docker.remove_container(id, Some(options)).await {
            tracing::debug!(container = id, error = %e, "removing a container failed");
        }
    }
}

/// Stops and removes the pod's containers within its grace period, then removes the pod object.
async fn tear_down(
    ctx: &Ctx,
    pod: &Value,
    containers: &[ContainerInspectResponse],
) -> anyhow::Result<()> {
    let grace = pod
        .pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(30)
        .clamp(0, 3600) as i32;
    let pod_ip = str_at(pod, "/status/podIP");
    let started = std::time::Instant::now();
    let stops = containers
        .iter()
        .filter(|c| running(c) && label(c, LABEL_CONTAINER) != SANDBOX)
        .map(|c| {
            let id = c.id.clone().unwrap_or_default();
            let spec = pod
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .and_then(|cs| cs.iter().find(|s| s["name"] == label(c, LABEL_CONTAINER)))
                .cloned()
                .unwrap_or(Value::Null);
            async move {
                // preStop runs first, within the grace period; SIGTERM gets what is left of it.
                let budget = Duration::from_secs(grace.max(0) as u64);
                if let Some(hook) = spec.pointer("/lifecycle/preStop") {
                    if let Err(why) = run_hook(&ctx.docker, &id, hook, &spec, pod_ip, budget).await
                    {
                        let message = format!("PreStopHook failed: {why}");
                        crate::controllers::pod_event(
                            &ctx.client,
                            "kubelet",
                            pod,
                            "Warning",
                            "FailedPreStopHook",
                            &message,
                        )
                        .await;
                    }
                }
                let left = budget.saturating_sub(started.elapsed()).as_secs() as i32;
                let options = StopContainerOptions {
                    t: Some(left),
                    ..Default::default()
                };
                let _ = ctx.docker.stop_container(&id, Some(options)).await;
            }
        });
    futures::future::join_all(stops).await;
    if !matches!(str_at(pod, "/status/phase"), "Succeeded" | "Failed") {
        let after = containers_of(&ctx.docker, str_at(pod, "/metadata/uid"))
            .await
            .unwrap_or_default();
        let mut messages = HashMap::new();
        termination_messages(ctx, pod, &after, &mut messages).await;
        let status = status_of(
            ctx,
            pod,
            &after,
            &HashMap::new(),
            "",
            &HashMap::new(),
            &messages,
        );
        let mut status = status;
        status["phase"] = json!(if status["phase"] == "Succeeded" {
            "Succeeded"
        } else {
            "Failed"
        });
        patch_status(ctx, pod, status).await;
    }
    for c in containers {
        remove(ctx, c).await;
    }
    let dir = pod_dir(ctx, pod);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(dir = %dir.display(), error = %e, "removing the pod's folder failed");
        }
    }
    let (ns, name) = namespace_and_name(pod);
    let options = json!({"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
        "preconditions": {"uid": str_at(pod, "/metadata/uid")}});
    let path = format!("/api/v1/namespaces/{ns}/pods/{name}");
    crate::controllers::send_unless_gone(
        &ctx.client,
        Method::DELETE,
        &path,
        "application/json",
        &options,
    )
    .await
    .map_err(anyhow::Error::msg)
}

async fn patch_status(ctx: &Ctx, pod: &Value, status: Value) {
    let (ns, name) = namespace_and_name(pod);
    let path = format!("/api/v1/namespaces/{ns}/pods/{name}/status");
    let body = json!({"status": status});
    if let Err(e) = ctx
        .client
        .send_json(Method::PATCH, &path, "application/merge-patch+json", &body)
        .await
    {
        tracing::debug!(pod = name, error = %e, "status update failed");
    }
}

/// One level-triggered pass over a pod. Returns true once the pod is gone.
async fn sync(ctx: &Ctx, pod: &Value, state: &mut PodState) -> anyhow::Result<Next> {
    let uid = str_at(pod, "/metadata/uid");
    let mut containers = containers_of(&ctx.docker, uid).await?;
    if pod.pointer("/metadata/deletionTimestamp").is_some() {
        tear_down(ctx, pod, &containers).await?;
        return Ok(Next::Gone);
    }
    // A finished pod keeps its exited containers (for their status and, later, logs) but not its sandbox.
    if matches!(str_at(pod, "/status/phase"), "Succeeded" | "Failed") {
        for c in containers.iter().filter(|c| running(c)) {
            let options = StopContainerOptions {
                t: Some(0),
                ..Default::default()
            };
            let _ = ctx
                .docker
                .stop_container(c.id.as_deref().unwrap_or_default(), Some(options))
                .await;
        }
        return Ok(Next::Steady);
    }
    // The sandbox.
    let sandbox = containers
        .iter()
        .filter(|c| label(c, LABEL_CONTAINER) == SANDBOX)
        .max_by_key(|c| attempt(c));
    let sandbox_id = match sandbox {
        Some(s) if running(s) => s.id.clone().unwrap_or_default(),
        other => {
            let next = other.map_or(0, |s| attempt(s) + 1);
            if let Some(old) = other {
                remove(ctx, old).await;
            }
            let hostname = pod
                .pointer("/spec/hostname")
                .and_then(Value::as_str)
                .unwrap_or(namespace_and_name(pod).1);
            let (exposed, bindings) = host_ports(pod);
            let body = ContainerCreateBody {
                image: Some(PAUSE_IMAGE.into()),
                hostname: Some(hostname.chars().take(63).collect()),
                labels: Some(labels(ctx, pod, SANDBOX, next)),
                exposed_ports: (!exposed.is_empty()).then_some(exposed),
                host_config: Some(HostConfig {
                    network_mode: Some(ctx.node.network.clone()),
                    port_bindings: (!bindings.is_empty()).then_some(bindings),
                    ..Default::default()
                }),
                ..Default::default()
            };
            if let Err(e) = create_and_start(ctx, &docker_name(pod, SANDBOX, next), body).await {
                // The network may have gone from under us: make it again for the next attempt.
                let _ = ensure_network(&ctx.docker, &ctx.node).await;
                return Err(e);
            }
            containers = containers_of(&ctx.docker, uid).await?;
            containers
                .iter()
                .find(|c| label(c, LABEL_CONTAINER) == SANDBOX && running(c))
                .and_then(|c| c.id.clone())
                .unwrap_or_default()
        }
    };
    let pod_ip = containers
        .iter()
        .find(|c| c.id.as_deref() == Some(sandbox_id.as_str()))
        .and_then(|c| c.network_settings.as_ref())
        .and_then(|n| n.networks.as_ref())
        .and_then(|n| n.get(&ctx.node.network))
        .and_then(|n| n.ip_address.clone())
        .unwrap_or_default();
    let policy = pod
        .pointer("/spec/restartPolicy")
        .and_then(Value::as_str)
        .unwrap_or("Always");
    let mut waiting: HashMap<String, (String, String)> = HashMap::new();
    let list = |key: &str| -> Vec<Value> {
        pod.pointer(&format!("/spec/{key}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (inits, apps) = (list("initContainers"), list("containers"));
    let mut run = Run {
        ctx,
        pod,
        containers: &containers,
        sandbox_id: &sandbox_id,
        pod_ip: &pod_ip,
        sources: HashMap::new(),
        volumes: HashMap::new(),
        waiting: &mut waiting,
        acted: false,
    };
    let volumes_ready = match prepare_volumes(ctx, pod).await {
        Ok(v) => {
            run.volumes = v;
            true
        }
        // Nothing starts without its volumes; containers already made keep running, and their status
        // stays theirs (a ConfigMap deleted under a running pod does not make it look unstarted).
        Err(message) => {
            for c in inits.iter().chain(&apps) {
                let name = str_at(c, "/name");
                if !containers.iter().any(|x| label(x, LABEL_CONTAINER) == name) {
                    let reason = ("ContainerCreating".to_string(), message.clone());
                    run.waiting.insert(name.to_string(), reason);
                }
            }
            false
        }
    };
    if volumes_ready {
        // Init containers run one at a time, in order, each to success, before any app container starts.
        let mut initialized = true;
        for spec in &inits {
            match run.keep(state, spec, policy != "Never").await? {
                Outcome::Done(0) => continue,
                _ => {
                    initialized = false;
                    break;
                }
            }
        }
        if initialized {
            for spec in &apps {
                let restart =
                    |code: i64| policy == "Always" || (policy == "OnFailure" && code != 0);
                run.keep_with(state, spec, &restart).await?;
            }
        }
    }
    // Read Docker again only if this pass changed what it has (a steady pod costs one listing).
    let containers = if run.acted {
        containers_of(&ctx.docker, uid).await?
    } else {
        containers
    };
    probe(ctx, state, pod, &apps, &containers, &pod_ip).await;
    termination_messages(ctx, pod, &containers, &mut state.messages).await;
    let status = status_of(
        ctx,
        pod,
        &containers,
        &waiting,
        &pod_ip,
        &state.probed,
        &state.messages,
    );
    let current = pod.get("status").cloned().unwrap_or(json!({}));
    let changed = status
        .as_object()
        .is_some_and(|m| m.iter().any(|(k, v)| current.get(k) != Some(v)));
    let probed = apps.iter().chain(&inits).any(|c| {
        ["startupProbe", "livenessProbe", "readinessProbe"]
            .iter()
            .any(|p| c.get(*p).is_some())
    });
    let settled = !changed
        && waiting.is_empty()
        && !probed
        && status["phase"] == "Running"
        && status["containerStatuses"]
            .as_array()
            .is_some_and(|cs| cs.iter().all(|c| c["state"]["running"].is_object()));
    if changed {
        patch_status(ctx, pod, status).await;
    }
    Ok(if settled { Next::Steady } else { Next::Soon })
}

/// Runs the due probes of the pod's running app containers; kills those a liveness or startup probe gave
/// up on (the restart policy then takes over), and reports failures as the kubelet's events.
async fn probe(
    ctx: &Ctx,
    state: &mut PodState,
    pod: &Value,
    specs: &[Value],
    containers: &[ContainerInspectResponse],
    pod_ip: &str,
) {
    let live: Vec<&str> = containers.iter().filter_map(|c| c.id.as_deref()).collect();
    state.probers.retain(|id, _| live.contains(&id.as_str()));
    state.probed.clear();
    for spec in specs {
        let cname = str_at(spec, "/name");
        let Some(c) = containers
            .iter()
            .filter(|c| label(c, LABEL_CONTAINER) == cname && running(c))
            .max_by_key(|c| attempt(c))
        else {
            continue;
        };
        let id = c.id.clone().unwrap_or_default();
        let age = state_time(c, false)
            .and_then(|t| (chrono::Utc::now() - t).to_std().ok())
            .unwrap_or_default();
        let since = std::time::Instant::now()
            .checked_sub(age)
            .unwrap_or_else(std::time::Instant::now);
        let docker = &ctx.docker;
        let run = |action: super::probe::Action, timeout: Duration| {
            let id = id.clone();
            async move {
                match action {
                    super::probe::Action::Exec(cmd) => exec_probe(docker, &id, cmd, timeout).await,
                    super::probe::Action::Http { port, path } => {
                        super::probe::http_get(pod_ip, port, &path, timeout).await
                    }
                    super::probe::Action::Tcp { port } => {
                        super::probe::tcp(pod_ip, port, timeout).await
                    }
                }
            }
        };
        let verdict = state
            .probers
            .entry(id.clone())
            .or_default()
            .pass(spec, since, run)
            .await;
        state
            .probed
            .insert(cname.to_string(), (verdict.ready, verdict.started));
        for message in &verdict.unhealthy {
            crate::controllers::pod_event(
                &ctx.client,
                "kubelet",
                pod,
                "Warning",
                "Unhealthy",
                message,
            )
            .await;
        }
        if let Some((kind, _)) = verdict.kill {
            let message = format!(
                "Container {cname} failed {} probe, will be restarted",
                kind.word().to_lowercase()
            );
            crate::controllers::pod_event(
                &ctx.client,
                "kubelet",
                pod,
                "Normal",
                "Killing",
                &message,
            )
            .await;
            state.probers.remove(&id);
            let grace = pod
                .pointer("/spec/terminationGracePeriodSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(30)
                .clamp(0, 3600) as i32;
            let docker = ctx.docker.clone();
            tokio::spawn(async move {
                let options = StopContainerOptions {
                    t: Some(grace),
                    ..Default::default()
                };
                let _ = docker.stop_container(&id, Some(options)).await;
            });
        }
    }
}

/// An exec probe: the command's exit code decides, and its output is the failure's words.
async fn exec_probe(
    docker: &Docker,
    id: &str,
    cmd: Vec<String>,
    timeout: Duration,
) -> Result<(), String> {
    let attempt = async {
        let config = bollard::models::ExecConfig {
            cmd: Some(cmd.clone()),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..Default::default()
        };
        let exec = docker
            .create_exec(id, config)
            .await
            .map_err(|e| e.to_string())?;
        let mut output = String::new();
        if let bollard::exec::StartExecResults::Attached {
            output: mut out, ..
        } = docker
            .start_exec(&exec.id, None)
            .await
            .map_err(|e| e.to_string())?
        {
            while let Some(Ok(chunk)) = out.next().await {
                output.push_str(&chunk.to_string());
            }
        }
        let code = docker
            .inspect_exec(&exec.id)
            .await
            .map_err(|e| e.to_string())?
            .exit_code
            .unwrap_or(-1);
        if code == 0 {
            Ok(())
        } else if output.trim().is_empty() {
            Err(format!("command {cmd:?} exited with {code}"))
        } else {
            Err(output.trim().to_string())
        }
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .unwrap_or_else(|_| Err(format!("command timed out after {}s", timeout.as_secs())))
}

/// What became of one container in a pass.
enum Outcome {
    Running,
    /// Exited with this code, and is not to be started again.
    Done(i64),
    /// Not running: created just now, backing off, or waiting for something.
    Pending,
}

/// One pass's view of a pod, shared by its containers.
struct Run<'a> {
    ctx: &'a Ctx,
    pod: &'a Value,
    containers: &'a [ContainerInspectResponse],
    sandbox_id: &'a str,
    pod_ip: &'a str,
    /// ConfigMaps and Secrets read this pass, by `kind/name` (None: not found).
    sources: HashMap<String, Option<Value>>,
    volumes: HashMap<String, Volume>,
    waiting: &'a mut HashMap<String, (String, String)>,
    /// Whether this pass created or removed a container, so that what Docker has must be read again.
    acted: bool,
}

impl Run<'_> {
    /// An init container: restarted after a failure unless the policy is Never.
    async fn keep(
        &mut self,
        state: &mut PodState,
        spec: &Value,
        retry: bool,
    ) -> anyhow::Result<Outcome> {
        let restart = |code: i64| retry && code != 0;
        self.keep_with(state, spec, &restart).await
    }

    /// Makes sure the container runs, or has run, as its restart rule says.
    async fn keep_with(
        &mut self,
        state: &mut PodState,
        spec: &Value,
        restart: &(dyn Fn(i64) -> bool + Sync),
    ) -> anyhow::Result<Outcome> {
        let (ctx, pod) = (self.ctx, self.pod);
        let cname = str_at(spec, "/name");
        let uid = str_at(pod, "/metadata/uid");
        let mine: Vec<&ContainerInspectResponse> = self
            .containers
            .iter()
            .filter(|c| label(c, LABEL_CONTAINER) == cname)
            .collect();
        let latest = mine.iter().max_by_key(|c| attempt(c)).copied();
        let next = match latest {
            Some(c) if running(c) => return Ok(Outcome::Running),
            Some(c) => {
                let code = c.state.as_ref().and_then(|s| s.exit_code).unwrap_or(0);
                if !restart(code) {
                    return Ok(Outcome::Done(code));
                }
                let finished = state_time(c, true).unwrap_or_else(chrono::Utc::now);
                let restarts = attempt(c) + 1;
                let started = state_time(c, false).unwrap_or(finished);
                let delay = restart_delay(restarts, started, finished);
                if chrono::Utc::now() < finished + delay {
                    let message = format!(
                        "back-off {}s restarting failed container={cname} pod={}_{}({uid})",
                        delay.num_seconds(),
                        namespace_and_name(pod).1,
                        namespace_and_name(pod).0
                    );
                    self.waiting
                        .insert(cname.to_string(), ("CrashLoopBackOff".into(), message));
                    return Ok(Outcome::Pending);
                }
                // Keep the one before as the previous instance; older ones go.
                for old in mine.iter().filter(|o| attempt(o) < attempt(c)) {
                    self.acted = true;
                    remove(ctx, old).await;
                }
                restarts
            }
            None => 0,
        };
        let image = str_at(spec, "/image");
        let pull = spec
            .get("imagePullPolicy")
            .and_then(Value::as_str)
            .unwrap_or("IfNotPresent");
        if let Some((reason, message)) = image_ready(ctx, state, image, pull).await {
            self.waiting
                .insert(cname.to_string(), (reason.into(), message));
            return Ok(Outcome::Pending);
        }
        let env = match self.environment(spec).await {
            Ok(env) => env,
            Err(message) => {
                self.waiting.insert(
                    cname.to_string(),
                    ("CreateContainerConfigError".into(), message),
                );
                return Ok(Outcome::Pending);
            }
        };
        let (mut binds, tmpfs) = mounts(spec, &self.volumes);
        // The termination message file: a host file bound at terminationMessagePath, as the kubelet does.
        let log = termination_file(ctx, pod, cname, next);
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&log, b"").map_err(|e| anyhow::anyhow!("{}: {e}", log.display()))?;
        let target = match str_at(spec, "/terminationMessagePath") {
            "" => "/dev/termination-log",
            p => p,
        };
        binds.push(format!("{}:{target}", log.display()));
        let limits = |r: &str| {
            spec.pointer(&format!("/resources/limits/{r}"))
                .and_then(Value::as_str)
        };
        let milli = |q: Option<&str>| q.and_then(kyb_api::quantity::parse_milli);
        let requests_cpu = milli(
            spec.pointer("/resources/requests/cpu")
                .and_then(Value::as_str),
        );
        let (user, secured) = security(pod, spec);
        let flag = |f: &str| spec.get(f).and_then(Value::as_bool);
        let body = ContainerCreateBody {
            user,
            open_stdin: flag("stdin"),
            stdin_once: flag("stdinOnce"),
            tty: flag("tty"),
            image: Some(image.into()),
            entrypoint: strings(spec.get("command")),
            cmd: strings(spec.get("args")),
            env: Some(env),
            working_dir: spec
                .get("workingDir")
                .and_then(Value::as_str)
                .map(String::from),
            labels: Some(labels(ctx, pod, cname, next)),
            host_config: Some(HostConfig {
                network_mode: Some(format!("container:{}", self.sandbox_id)),
                binds: (!binds.is_empty()).then_some(binds),
                tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
                // Limits as the kubelet maps them: memory in bytes, CPU in billionths, shares from requests.
                memory: milli(limits("memory")).map(|m| (m / 1000) as i64),
                nano_cpus: milli(limits("cpu")).map(|m| (m * 1_000_000) as i64),
                cpu_shares: requests_cpu.map(|m| ((m * 1024 / 1000) as i64).max(2)),
                ..secured
            }),
            ..Default::default()
        };
        self.acted = true;
        match create_and_start(ctx, &docker_name(pod, cname, next), body).await {
            Err(e) => {
                self.waiting.insert(
                    cname.to_string(),
                    ("CreateContainerError".into(), e.to_string()),
                );
            }
            // postStart runs right after the start; if it fails the container is killed, as the kubelet does.
            Ok(id) => {
                if let Some(hook) = spec.pointer("/lifecycle/postStart") {
                    let budget = Duration::from_secs(30);
                    if let Err(why) =
                        run_hook(&ctx.docker, &id, hook, spec, self.pod_ip, budget).await
                    {
                        let message = format!("PostStartHook failed: {why}");
                        crate::controllers::pod_event(
                            &ctx.client,
                            "kubelet",
                            pod,
                            "Warning",
                            "FailedPostStartHook",
                            &message,
                        )
                        .await;
                        let options = StopContainerOptions {
                            t: Some(0),
                            ..Default::default()
                        };
                        let _ = ctx.docker.stop_container(&id, Some(options)).await;
                    }
                }
            }
        }
        Ok(Outcome::Pending)
    }

    /// A ConfigMap or Secret of the pod's namespace, read once per pass.
    async fn source(&mut self, plural: &str, name: &str) -> Option<Value> {
        let key = format!("{plural}/{name}");
        if let Some(v) = self.sources.get(&key) {
            return v.clone();
        }
        let (ns, _) = namespace_and_name(self.pod);
        let path = format!("/api/v1/namespaces/{ns}/{plural}/{name}");
        let v = self.ctx.client.get_json(&path).await.ok();
        self.sources.insert(key, v.clone());
        v
    }

    /// The container's environment: envFrom first, then env, values and references resolved (kube's
    /// makeEnvironmentVariables); a missing source that is not optional stops the container.
    async fn environment(&mut self, c: &Value) -> Result<Vec<String>, String> {
        let mut vars: Vec<(String, String)> = Vec::new();
        let set = |vars: &mut Vec<(String, String)>, k: String, v: String| match vars
            .iter_mut()
            .find(|(n, _)| *n == k)
        {
            Some(e) => e.1 = v,
            None => vars.push((k, v)),
        };
        for from in c
            .get("envFrom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let prefix = str_at(from, "/prefix");
            let (plural, r) = match (from.get("configMapRef"), from.get("secretRef")) {
                (Some(r), _) => ("configmaps", r),
                (_, Some(r)) => ("secrets", r),
                _ => continue,
            };
            let name = str_at(r, "/name");
            let optional = r.get("optional").and_then(Value::as_bool) == Some(true);
            match self.source(plural, name).await {
                Some(obj) => {
                    for (k, v) in data_of(&obj) {
                        set(
                            &mut vars,
                            format!("{prefix}{k}"),
                            String::from_utf8_lossy(&v).into_owned(),
                        );
                    }
                }
                None if optional => {}
                None => {
                    return Err(format!(
                        "{} {name:?} not found",
                        &plural[..plural.len() - 1]
                    ))
                }
            }
        }
        let fields: Vec<(String, String)> = c
            .get("env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let name = str_at(e, "/name").to_string();
                let path = str_at(e, "/valueFrom/fieldRef/fieldPath");
                if !path.is_empty() {
                    return Some((
                        name,
                        field_value(self.pod, path, self.pod_ip, &self.ctx.host_ip),
                    ));
                }
                let r = e.pointer("/valueFrom/resourceFieldRef")?;
                Some((name, resource_value(self.pod, c, r)))
            })
            .collect();
        for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
            let name = str_at(e, "/name").to_string();
            if let Some(v) = e.get("value").and_then(Value::as_str) {
                set(&mut vars, name, v.to_string());
                continue;
            }
            if let Some((_, v)) = fields.iter().find(|(n, _)| *n == name) {
                set(&mut vars, name, v.clone());
                continue;
            }
            let (plural, r) = match (
                e.pointer("/valueFrom/configMapKeyRef"),
                e.pointer("/valueFrom/secretKeyRef"),
            ) {
                (Some(r), _) => ("configmaps", r),
                (_, Some(r)) => ("secrets", r),
                _ => {
                    set(&mut vars, name, String::new());
                    continue;
                }
            };
            let (source, key) = (str_at(r, "/name"), str_at(r, "/key"));
            let optional = r.get("optional").and_then(Value::as_bool) == Some(true);
            let value = self.source(plural, source).await.and_then(|obj| {
                data_of(&obj)
                    .into_iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v)
            });
            match value {
                Some(v) => set(&mut vars, name, String::from_utf8_lossy(&v).into_owned()),
                None if optional => {}
                None if self
                    .sources
                    .get(&format!("{plural}/{source}"))
                    .is_some_and(Option::is_some) =>
                {
                    return Err(format!(
                        "couldn't find key {key} in {} {}/{source}",
                        if plural == "secrets" {
                            "Secret"
                        } else {
                            "ConfigMap"
                        },
                        namespace_and_name(self.pod).0
                    ));
                }
                None => {
                    return Err(format!(
                        "{} {source:?} not found",
                        &plural[..plural.len() - 1]
                    ))
                }
            }
        }
        Ok(vars.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
    }
}

/// A pod field as the downward API gives it (env fieldRef and downwardAPI volumes).
fn field_value(pod: &Value, path: &str, pod_ip: &str, host_ip: &str) -> String {
    let pairs = |field: &str| -> String {
        let mut lines: Vec<String> = pod
            .pointer(&format!("/metadata/{field}"))
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    Value::String(v.as_str().unwrap_or_default().to_string())
                )
            })
            .collect();
        lines.sort();
        lines.join("\n")
    };
    match path {
        "metadata.name"
        | "metadata.namespace"
        | "metadata.uid"
        | "spec.nodeName"
        | "spec.serviceAccountName" => str_at(pod, &format!("/{}", path.replace('.', "/"))).into(),
        "metadata.labels" => pairs("labels"),
        "metadata.annotations" => pairs("annotations"),
        "status.podIP" => pod_ip.into(),
        "status.hostIP" => host_ip.into(),
        _ => {
            // metadata.labels['key'] and metadata.annotations['key'].
            let keyed = |prefix: &str| {
                path.strip_prefix(prefix)?
                    .strip_suffix("']")
                    .map(String::from)
            };
            if let Some(k) = keyed("metadata.labels['") {
                return pod
                    .pointer("/metadata/labels")
                    .and_then(|l| l.get(&k))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .into();
            }
            if let Some(k) = keyed("metadata.annotations['") {
                return pod
                    .pointer("/metadata/annotations")
                    .and_then(|l| l.get(&k))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .into();
            }
            String::new()
        }
    }
}

/// A container resource as the downward API gives it: the limit or request in units of the divisor,
/// rounded up; an unset limit reads as this host's capacity, as the kubelet reads node allocatable.
fn resource_value(pod: &Value, container: &Value, r: &Value) -> String {
    let named = str_at(r, "/containerName");
    let c = if named.is_empty() {
        container
    } else {
        pod.pointer("/spec/containers")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| c["name"] == named))
            .unwrap_or(container)
    };
    let resource = str_at(r, "/resource");
    let (kind, name) = resource.split_once('.').unwrap_or(("limits", resource));
    let milli = |q: &str| kyb_api::quantity::parse_milli(q);
    let set = c
        .pointer(&format!("/resources/{kind}/{name}"))
        .and_then(Value::as_str)
        .and_then(milli);
    let value = set.unwrap_or_else(|| match name {
        "cpu" => cores() as i128 * 1000,
        "memory" => i128::from(memory_kib()) * 1024 * 1000,
        _ => 0,
    });
    let divisor = r
        .get("divisor")
        .and_then(|d| match d {
            Value::String(s) => milli(s),
            Value::Number(n) => n.as_i64().map(|n| i128::from(n) * 1000),
            _ => None,
        })
        .filter(|d| *d > 0)
        .unwrap_or(1000);
    ((value + divisor - 1) / divisor).to_string()
}

/// The keys and values of a ConfigMap (data and binaryData) or a Secret (data, base64).
fn data_of(obj: &Value) -> Vec<(String, Vec<u8>)> {
    use base64::Engine;
    let secret = obj.get("kind").and_then(Value::as_str) == Some("Secret");
    let mut out = Vec::new();
    for field in ["data", "binaryData", "stringData"] {
        for (k, v) in obj
            .get(field)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let text = v.as_str().unwrap_or_default();
            let bytes = if (secret && field == "data") || field == "binaryData" {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap_or_default()
            } else {
                text.as_bytes().to_vec()
            };
            out.push((k.clone(), bytes));
        }
    }
    out
}

/// Where a volume lives for the containers that mount it.
#[derive(Clone)]
enum Volume {
    Dir(std::path::PathBuf),
    /// emptyDir with medium Memory: a tmpfs per mount.
    Memory,
}

fn pod_dir(ctx: &Ctx, pod: &Value) -> std::path::PathBuf {
    ctx.node
        .root_dir
        .join("pods")
        .join(str_at(pod, "/metadata/uid"))
}

/// Makes the pod's volumes ready: emptyDir and hostPath folders, ConfigMap and Secret files.
async fn prepare_volumes(ctx: &Ctx, pod: &Value) -> Result<HashMap<String, Volume>, String> {
    let mut out = HashMap::new();
    let base = pod_dir(ctx, pod).join("volumes");
    for v in pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = str_at(v, "/name").to_string();
        let volume = if let Some(e) = v.get("emptyDir") {
            if str_at(e, "/medium") == "Memory" {
                Volume::Memory
            } else {
                let dir = base.join("empty-dir").join(&name);
                std::fs::create_dir_all(&dir).map_err(|e| format!("emptyDir {name}: {e}"))?;
                Volume::Dir(dir)
            }
        } else if let Some(h) = v.get("hostPath") {
            let path = std::path::PathBuf::from(str_at(h, "/path"));
            if matches!(str_at(h, "/type"), "DirectoryOrCreate") {
                std::fs::create_dir_all(&path).map_err(|e| format!("hostPath {name}: {e}"))?;
            }
            Volume::Dir(path)
        } else if v.get("configMap").is_some() || v.get("secret").is_some() {
            let dir = base.join("projected").join(&name);
            write_source_volume(ctx, pod, v, &dir).await?;
            Volume::Dir(dir)
        } else if let Some(d) = v.get("downwardAPI") {
            let dir = base.join("downward-api").join(&name);
            write_downward_api(pod, d, &dir)?;
            Volume::Dir(dir)
        } else if let Some(claim) = v.get("persistentVolumeClaim") {
            Volume::Dir(claimed_dir(ctx, pod, str_at(claim, "/claimName")).await?)
        } else {
            continue;
        };
        out.insert(name, volume);
    }
    Ok(out)
}

/// Writes a downwardAPI volume's files: pod fields and container resources, with their modes.
fn write_downward_api(pod: &Value, spec: &Value, dir: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let default_mode = spec
        .get("defaultMode")
        .and_then(Value::as_u64)
        .unwrap_or(0o644) as u32;
    let first = pod
        .pointer("/spec/containers/0")
        .cloned()
        .unwrap_or(Value::Null);
    for item in spec
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let path = str_at(item, "/path");
        if path.is_empty() || path.starts_with('/') || path.split('/').any(|p| p == "..") {
            return Err(format!("invalid downwardAPI path {path:?}"));
        }
        let value = match (
            item.pointer("/fieldRef/fieldPath"),
            item.get("resourceFieldRef"),
        ) {
            (Some(f), _) => field_value(
                pod,
                f.as_str().unwrap_or_default(),
                str_at(pod, "/status/podIP"),
                str_at(pod, "/status/hostIP"),
            ),
            (_, Some(r)) => resource_value(pod, &first, r),
            _ => continue,
        };
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        if std::fs::read_to_string(&file).ok().as_deref() != Some(value.as_str()) {
            std::fs::write(&file, value).map_err(|e| e.to_string())?;
        }
        let mode = item
            .get("mode")
            .and_then(Value::as_u64)
            .map_or(default_mode, |m| m as u32);
        let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o777));
    }
    Ok(())
}

/// The folder of the hostPath volume bound to a claim (the local-path provisioner makes them).
async fn claimed_dir(ctx: &Ctx, pod: &Value, claim: &str) -> Result<std::path::PathBuf, String> {
    let (ns, _) = namespace_and_name(pod);
    let pvc = ctx
        .client
        .get_json(&format!(
            "/api/v1/namespaces/{ns}/persistentvolumeclaims/{claim}"
        ))
        .await
        .map_err(|e| e.to_string())?;
    let volume = str_at(&pvc, "/spec/volumeName");
    if volume.is_empty() || str_at(&pvc, "/status/phase") != "Bound" {
        return Err(format!("persistentvolumeclaim {claim:?} is not bound"));
    }
    let pv = ctx
        .client
        .get_json(&format!("/api/v1/persistentvolumes/{volume}"))
        .await
        .map_err(|e| e.to_string())?;
    let path = str_at(&pv, "/spec/hostPath/path");
    if path.is_empty() {
        return Err(format!(
            "persistentvolume {volume:?} is not a hostPath volume this node can mount"
        ));
    }
    std::fs::create_dir_all(path).map_err(|e| format!("persistentvolume {volume}: {e}"))?;
    Ok(std::path::PathBuf::from(path))
}

/// Writes a ConfigMap or Secret volume's files (its items, or every key), with their modes.
async fn write_source_volume(
    ctx: &Ctx,
    pod: &Value,
    v: &Value,
    dir: &std::path::Path,
) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let (plural, spec, name_field) = match (v.get("configMap"), v.get("secret")) {
        (Some(c), _) => ("configmaps", c, "/name"),
        (_, Some(s)) => ("secrets", s, "/secretName"),
        _ => return Ok(()),
    };
    let source = str_at(spec, name_field);
    let (ns, _) = namespace_and_name(pod);
    let optional = spec.get("optional").and_then(Value::as_bool) == Some(true);
    let data = match ctx
        .client
        .get_json(&format!("/api/v1/namespaces/{ns}/{plural}/{source}"))
        .await
    {
        Ok(obj) => data_of(&obj),
        Err(e) if e.is_not_found() && optional => Vec::new(),
        Err(e) if e.is_not_found() => {
            return Err(format!(
                "MountVolume.SetUp failed for volume {:?} : {} {source:?} not found",
                str_at(v, "/name"),
                &plural[..plural.len() - 1]
            ))
        }
        Err(e) => return Err(e.to_string()),
    };
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let default_mode = spec
        .get("defaultMode")
        .and_then(Value::as_u64)
        .unwrap_or(0o644) as u32;
    let items: Vec<(String, String, u32)> = match spec.get("items").and_then(Value::as_array) {
        Some(items) => items
            .iter()
            .map(|i| {
                let mode = i
                    .get("mode")
                    .and_then(Value::as_u64)
                    .map_or(default_mode, |m| m as u32);
                (
                    str_at(i, "/key").to_string(),
                    str_at(i, "/path").to_string(),
                    mode,
                )
            })
            .collect(),
        None => data
            .iter()
            .map(|(k, _)| (k.clone(), k.clone(), default_mode))
            .collect(),
    };
    for (key, path, mode) in items {
        let Some((_, bytes)) = data.iter().find(|(k, _)| *k == key) else {
            if optional {
                continue;
            }
            return Err(format!(
                "configmap references non-existent config key: {key}"
            ));
        };
        // Paths stay inside the volume: no absolute paths, no `..`.
        if path.starts_with('/') || path.split('/').any(|p| p == "..") {
            return Err(format!(
                "invalid path {path:?} in volume {:?}",
                str_at(v, "/name")
            ));
        }
        let file = dir.join(&path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        if std::fs::read(&file).ok().as_deref() != Some(bytes.as_slice()) {
            let tmp = file.with_extension("kybernet-tmp");
            std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &file).map_err(|e| e.to_string())?;
        }
        let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o777));
    }
    Ok(())
}

/// The pod's host ports, published by its sandbox (which owns the network): Docker's exposed ports and
/// port bindings (`containerPort/protocol` to `hostIP:hostPort`).
fn host_ports(pod: &Value) -> (HashMap<String, HashMap<(), ()>>, bollard::models::PortMap) {
    let (mut exposed, mut bindings) = (HashMap::new(), bollard::models::PortMap::new());
    for c in pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for p in c
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(port), Some(host)) = (
                p.get("containerPort").and_then(Value::as_u64),
                p.get("hostPort").and_then(Value::as_u64).filter(|h| *h > 0),
            ) else {
                continue;
            };
            let protocol = match str_at(p, "/protocol") {
                "" => "tcp".to_string(),
                other => other.to_ascii_lowercase(),
            };
            let key = format!("{port}/{protocol}");
            exposed.insert(key.clone(), HashMap::new());
            let host_ip = str_at(p, "/hostIP");
            let binding = bollard::models::PortBinding {
                host_ip: (!host_ip.is_empty()).then(|| host_ip.to_string()),
                host_port: Some(host.to_string()),
            };
            bindings
                .entry(key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(binding);
        }
    }
    (exposed, bindings)
}

/// The container's securityContext over the pod's, as Docker takes it: the user (`uid[:gid]`), a read-only
/// root filesystem, privileged mode and capabilities.
fn security(pod: &Value, c: &Value) -> (Option<String>, HostConfig) {
    let pick = |field: &str| {
        c.pointer(&format!("/securityContext/{field}"))
            .or_else(|| pod.pointer(&format!("/spec/securityContext/{field}")))
            .filter(|v| !v.is_null())
    };
    let uid = pick("runAsUser").and_then(Value::as_i64);
    let gid = pick("runAsGroup").and_then(Value::as_i64);
    let user = match (uid, gid) {
        (Some(u), Some(g)) => Some(format!("{u}:{g}")),
        (Some(u), None) => Some(u.to_string()),
        (None, Some(g)) => Some(format!("0:{g}")),
        (None, None) => None,
    };
    let caps = |list: &str| -> Option<Vec<String>> {
        let names: Vec<String> = c
            .pointer(&format!("/securityContext/capabilities/{list}"))
            .and_then(Value::as_array)?
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        (!names.is_empty()).then_some(names)
    };
    let flag = |field: &str| {
        c.pointer(&format!("/securityContext/{field}"))
            .and_then(Value::as_bool)
    };
    let host = HostConfig {
        readonly_rootfs: flag("readOnlyRootFilesystem"),
        privileged: flag("privileged"),
        cap_add: caps("add"),
        cap_drop: caps("drop"),
        ..Default::default()
    };
    (user, host)
}

/// The container's mounts: Docker binds (`src:dst[:ro]`) and tmpfs mounts.
fn mounts(c: &Value, volumes: &HashMap<String, Volume>) -> (Vec<String>, HashMap<String, String>) {
    let (mut binds, mut tmpfs) = (Vec::new(), HashMap::new());
    for m in c
        .get("volumeMounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let target = str_at(m, "/mountPath");
        let ro = m.get("readOnly").and_then(Value::as_bool) == Some(true);
        match volumes.get(str_at(m, "/name")) {
            Some(Volume::Dir(dir)) => {
                let sub = str_at(m, "/subPath");
                let src = if sub.is_empty() || sub.split('/').any(|p| p == "..") {
                    dir.clone()
                } else {
                    dir.join(sub)
                };
                if !sub.is_empty() {
                    let _ = std::fs::create_dir_all(&src);
                }
                binds.push(format!(
                    "{}:{target}{}",
                    src.display(),
                    if ro { ":ro" } else { "" }
                ));
            }
            Some(Volume::Memory) => {
                tmpfs.insert(target.to_string(), String::new());
            }
            None => {}
        }
    }
    (binds, tmpfs)
}

/// Counts of containers by state, as kube's getPhase tallies them.
#[derive(Default)]
struct Tally {
    running: usize,
    waiting: usize,
    stopped: usize,
    succeeded: usize,
}

/// The statuses of one list of containers (`containers` or `initContainers`).
fn container_statuses(
    specs: &[Value],
    containers: &[ContainerInspectResponse],
    waiting: &HashMap<String, (String, String)>,
    init: bool,
    probed: &HashMap<String, (bool, bool)>,
    messages: &HashMap<String, String>,
) -> (Vec<Value>, Tally) {
    let mut tally = Tally::default();
    let mut statuses = Vec::new();
    for spec in specs {
        let cname = str_at(spec, "/name");
        let mut mine: Vec<&ContainerInspectResponse> = containers
            .iter()
            .filter(|c| label(c, LABEL_CONTAINER) == cname)
            .collect();
        mine.sort_by_key(|c| std::cmp::Reverse(attempt(c)));
        let (latest, previous) = (mine.first(), mine.get(1));
        let mut s = Map::new();
        s.insert("name".into(), json!(cname));
        s.insert("image".into(), json!(str_at(spec, "/image")));
        let image_id = latest
            .and_then(|c| c.image.clone())
            .map(|i| format!("docker://{i}"));
        s.insert("imageID".into(), json!(image_id.unwrap_or_default()));
        s.insert(
            "restartCount".into(),
            json!(latest.map_or(0, |c| attempt(c))),
        );
        let state = match (latest, waiting.get(cname)) {
            (_, Some((reason, message))) => {
                json!({"waiting": {"reason": reason, "message": message}})
            }
            (Some(c), None) if running(c) => {
                let started = docker_time(c, false);
                json!({"running": {"startedAt": started}})
            }
            (Some(c), None) => json!({"terminated": terminated(c, messages)}),
            (None, None) if init => json!({"waiting": {"reason": "PodInitializing"}}),
            (None, None) => json!({"waiting": {"reason": "ContainerCreating"}}),
        };
        let last = match (waiting.contains_key(cname), latest, previous) {
            (true, Some(c), _) if !running(c) => json!({"terminated": terminated(c, messages)}),
            (_, _, Some(p)) => json!({"terminated": terminated(p, messages)}),
            _ => json!({}),
        };
        if let Some(c) = latest {
            let id = format!("docker://{}", c.id.clone().unwrap_or_default());
            s.insert("containerID".into(), json!(id));
        }
        let is_running = state.get("running").is_some();
        let succeeded = state["terminated"]["exitCode"] == 0;
        if is_running {
            tally.running += 1;
        } else if state.get("terminated").is_some() {
            tally.stopped += 1;
            if succeeded {
                tally.succeeded += 1;
            }
        } else if last.get("terminated").is_some() {
            tally.stopped += 1;
        } else {
            tally.waiting += 1;
        }
        // An init container is ready once it has succeeded; an app container while it runs.
        // An init container is ready once it has succeeded; an app container while it runs and its
        // readiness (and startup) probes pass.
        let (probe_ready, probe_started) = probed.get(cname).copied().unwrap_or((true, true));
        let ready = if init {
            succeeded
        } else {
            is_running && probe_ready
        };
        s.insert("ready".into(), json!(ready));
        s.insert("started".into(), json!(is_running && probe_started));
        s.insert("state".into(), state);
        s.insert("lastState".into(), last);
        statuses.push(Value::Object(s));
    }
    (statuses, tally)
}

/// The pod status Kubernetes reports for these containers (kube's getPhase and condition rules).
fn status_of(
    ctx: &Ctx,
    pod: &Value,
    containers: &[ContainerInspectResponse],
    waiting: &HashMap<String, (String, String)>,
    pod_ip: &str,
    probed: &HashMap<String, (bool, bool)>,
    messages: &HashMap<String, String>,
) -> Value {
    let list = |key: &str| -> Vec<Value> {
        pod.pointer(&format!("/spec/{key}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (init_specs, specs) = (list("initContainers"), list("containers"));
    let none = HashMap::new();
    let (init_statuses, init) =
        container_statuses(&init_specs, containers, waiting, true, &none, messages);
    let (statuses, apps) = container_statuses(&specs, containers, waiting, false, probed, messages);
    let policy = pod
        .pointer("/spec/restartPolicy")
        .and_then(Value::as_str)
        .unwrap_or("Always");
    let initialized = init.succeeded == init_specs.len();
    let init_failed = policy == "Never"
        && init_statuses.iter().any(|s| {
            s["state"]["terminated"]["exitCode"]
                .as_i64()
                .is_some_and(|c| c != 0)
        });
    let phase = if init_failed {
        "Failed"
    } else if !initialized || apps.waiting > 0 {
        "Pending"
    } else if apps.running > 0 {
        "Running"
    } else if apps.stopped > 0 {
        match policy {
            "Always" => "Running",
            _ if apps.stopped == apps.succeeded => "Succeeded",
            "Never" => "Failed",
            _ => "Running",
        }
    } else {
        "Pending"
    };
    let all_ready = initialized && !specs.is_empty() && statuses.iter().all(|c| c["ready"] == true);
    let now = super::now();
    let unready = |list: &[Value]| -> String {
        let names: Vec<&str> = list
            .iter()
            .filter(|c| c["ready"] != true)
            .filter_map(|c| c["name"].as_str())
            .collect();
        names.join(" ")
    };
    let condition = |t: &str, ok: bool, reason: &str, message: String| -> Value {
        let s = if ok { "True" } else { "False" };
        let old = pod
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| c["type"] == t && c["status"] == s))
            .and_then(|c| c.get("lastTransitionTime").cloned());
        let mut c = json!({"type": t, "status": s, "lastProbeTime": null,
            "lastTransitionTime": old.unwrap_or(json!(now))});
        if !ok {
            c["reason"] = json!(reason);
            c["message"] = json!(message);
        }
        c
    };
    let not_ready = format!("containers with unready status: [{}]", unready(&statuses));
    let start = pod
        .pointer("/status/startTime")
        .cloned()
        .unwrap_or(json!(now));
    let mut status = json!({
        "phase": phase, "hostIP": ctx.host_ip, "hostIPs": [{"ip": ctx.host_ip}], "startTime": start,
        "conditions": [
            condition("PodReadyToStartContainers", true, "", String::new()),
            condition("Initialized", initialized, "ContainersNotInitialized",
                format!("containers with incomplete status: [{}]", unready(&init_statuses))),
            condition("Ready", all_ready, "ContainersNotReady", not_ready.clone()),
            condition("ContainersReady", all_ready, "ContainersNotReady", not_ready),
            condition("PodScheduled", true, "", String::new()),
        ],
        "containerStatuses": statuses,
        "qosClass": pod.pointer("/status/qosClass").cloned().unwrap_or(json!("BestEffort")),
    });
    if !init_statuses.is_empty() {
        status["initContainerStatuses"] = json!(init_statuses);
    }
    if !pod_ip.is_empty() {
        status["podIP"] = json!(pod_ip);
        status["podIPs"] = json!([{"ip": pod_ip}]);
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_program_is_a_complete_elf() {
        assert_eq!(PAUSE_ELF.len(), 129);
        assert_eq!(&PAUSE_ELF[..4], b"\x7fELF");
        // Entry point 0x400078 is the first instruction, right after the 120 bytes of headers.
        assert_eq!(
            u64::from_le_bytes(PAUSE_ELF[24..32].try_into().unwrap_or_default()),
            0x400078
        );
        assert_eq!(PAUSE_ELF[120], 0xb8);
    }

    #[test]
    fn tar_headers_carry_a_valid_checksum() {
        let t = tar_of("pause", PAUSE_ELF);
        assert_eq!(t.len() % 512, 0);
        let mut header = t[..512].to_vec();
        let stored = u32::from_str_radix(std::str::from_utf8(&header[148..154]).unwrap_or("0"), 8)
            .unwrap_or(0);
        header[148..156].copy_from_slice(b"        ");
        assert_eq!(stored, header.iter().map(|b| u32::from(*b)).sum::<u32>());
        assert_eq!(&t[512..641], PAUSE_ELF);
    }

    #[test]
    fn the_downward_api_reads_fields_and_resources() {
        let pod = json!({"metadata": {"name": "p", "labels": {"b": "2", "a": "x\"y"}, "annotations": {"k": "v"}},
            "spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "250m", "memory": "64Mi"}}}]}});
        assert_eq!(
            field_value(&pod, "metadata.labels", "", ""),
            "a=\"x\\\"y\"\nb=\"2\""
        );
        assert_eq!(field_value(&pod, "metadata.annotations['k']", "", ""), "v");
        assert_eq!(
            field_value(&pod, "status.podIP", "10.0.0.2", ""),
            "10.0.0.2"
        );
        let c = &pod["spec"]["containers"][0];
        assert_eq!(
            resource_value(&pod, c, &json!({"resource": "limits.cpu", "divisor": "1m"})),
            "250"
        );
        assert_eq!(
            resource_value(&pod, c, &json!({"resource": "limits.cpu"})),
            "1"
        );
        assert_eq!(
            resource_value(
                &pod,
                c,
                &json!({"resource": "limits.memory", "divisor": "1Mi"})
            ),
            "64"
        );
    }

    #[test]
    fn a_long_run_starts_the_back_off_afresh() {
        let t0 = chrono::Utc::now();
        let short = t0 + chrono::Duration::seconds(5);
        let long = t0 + chrono::Duration::minutes(11);
        assert_eq!(restart_delay(4, t0, short).num_seconds(), 80);
        assert_eq!(restart_delay(4, t0, long).num_seconds(), 10);
    }

    #[test]
    fn back_off_doubles_from_ten_seconds_to_five_minutes() {
        assert_eq!(backoff(1).num_seconds(), 10);
        assert_eq!(backoff(2).num_seconds(), 20);
        assert_eq!(backoff(6).num_seconds(), 300);
        assert_eq!(backoff(60).num_seconds(), 300);
    }
}
