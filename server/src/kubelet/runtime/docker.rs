//! The Docker runtime, through bollard: each pod gets a pause container holding its network namespace on a
//! Kybernet-managed bridge network, and its containers join it. Containers are labelled with their pod's
//! uid, container name and attempt, so a restarted agent finds (adopts) them.

use std::collections::HashMap;
use std::time::Duration;

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
use serde_json::Value;

use super::{
    Container, ContainerRuntime, ExecSession, LogOptions, LogStream, RuntimeError, Sandbox, Spec,
    SANDBOX,
};
use crate::controllers::{namespace_and_name, str_at};

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

async fn ensure_pause_image(docker: &Docker) -> Result<(), RuntimeError> {
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
        step?;
    }
    tracing::info!(image = PAUSE_IMAGE, "built the pause image");
    Ok(())
}

/// Whether a Docker daemon answers on the local socket.
pub async fn available() -> bool {
    match Docker::connect_with_local_defaults() {
        Ok(d) => tokio::time::timeout(Duration::from_secs(2), d.ping())
            .await
            .is_ok_and(|r| r.is_ok()),
        Err(_) => false,
    }
}

/// A node's pods as Docker containers.
pub struct DockerRuntime {
    docker: Docker,
    node: String,
    /// The Docker network pods join; made when absent.
    network: String,
    /// The network's subnet, when one is wanted (else Docker picks one).
    pod_cidr: Option<String>,
    /// The cluster DNS server pods are given under dnsPolicy ClusterFirst, when this node serves one.
    pub dns: Option<String>,
    /// The host's address on the pods' network: the IP of hostNetwork pods.
    host_ip: String,
}

/// What connecting found: the runtime, its version as the node reports it, and the pods' network.
pub struct Connected {
    pub runtime: DockerRuntime,
    pub version: String,
    pub network: PodNetwork,
}

/// A pods' network as the host sees it.
pub struct PodNetwork {
    /// The host's address on it: the pods' gateway.
    pub gateway: String,
    /// The bridge interface, as Docker names it.
    pub bridge: String,
    pub subnet: String,
}

impl PodNetwork {
    fn of(n: &bollard::models::Network) -> PodNetwork {
        let ipam = n
            .ipam
            .as_ref()
            .and_then(|i| i.config.as_ref())
            .and_then(|c| c.first());
        let bridge = n
            .options
            .as_ref()
            .and_then(|o| o.get("com.docker.network.bridge.name"))
            .cloned()
            .unwrap_or_else(|| {
                let id = n.id.as_deref().unwrap_or_default();
                format!("br-{}", id.get(..12).unwrap_or(id))
            });
        PodNetwork {
            gateway: ipam.and_then(|c| c.gateway.clone()).unwrap_or_default(),
            bridge,
            subnet: ipam.and_then(|c| c.subnet.clone()).unwrap_or_default(),
        }
    }
}

/// Lets a pod reach itself through its own Service: with the bridge's traffic passing iptables, a
/// connection DNATed back to its sender leaves by the port it came in on, which a bridge port allows only in
/// hairpin mode (the kubelet's `--hairpin-mode=hairpin-veth`). Sets it on every port of `bridge` lacking it.
fn hairpin(bridge: &str) {
    let Ok(ports) = std::fs::read_dir(format!("/sys/class/net/{bridge}/brif")) else {
        return;
    };
    for port in ports.flatten() {
        let mode = port.path().join("hairpin_mode");
        if std::fs::read_to_string(&mode).is_ok_and(|m| m.trim() == "0") {
            if let Err(e) = std::fs::write(&mode, "1") {
                tracing::debug!(port = %port.path().display(), error = %e, "no hairpin mode");
            }
        }
    }
}

/// The named Docker network, as [`PodNetwork`].
pub async fn pod_network(name: &str) -> Result<PodNetwork, RuntimeError> {
    let docker = Docker::connect_with_local_defaults()?;
    let n = docker
        .inspect_network(
            name,
            None::<bollard::query_parameters::InspectNetworkOptions>,
        )
        .await?;
    Ok(PodNetwork::of(&n))
}

impl DockerRuntime {
    /// Connects to the local daemon, builds the pause image if absent and makes the pods' network.
    pub async fn connect(
        node: &str,
        network: &str,
        pod_cidr: Option<String>,
    ) -> Result<Connected, RuntimeError> {
        let docker = Docker::connect_with_local_defaults()?
            .negotiate_version()
            .await?;
        let version = docker.version().await?;
        let version = format!("docker://{}", version.version.unwrap_or_default());
        ensure_pause_image(&docker).await?;
        let mut runtime = DockerRuntime {
            docker,
            node: node.to_string(),
            network: network.to_string(),
            pod_cidr,
            dns: None,
            host_ip: String::new(),
        };
        let network = runtime.ensure_network().await?;
        runtime.host_ip = network.gateway.clone();
        Ok(Connected {
            runtime,
            version,
            network,
        })
    }

    /// The pods' network, made when absent.
    async fn ensure_network(&self) -> Result<PodNetwork, RuntimeError> {
        let inspect = || {
            self.docker.inspect_network(
                &self.network,
                None::<bollard::query_parameters::InspectNetworkOptions>,
            )
        };
        if let Ok(n) = inspect().await {
            return Ok(PodNetwork::of(&n));
        }
        let request = NetworkCreateRequest {
            name: self.network.clone(),
            driver: Some("bridge".into()),
            ipam: self.pod_cidr.as_ref().map(|cidr| Ipam {
                config: Some(vec![IpamConfig {
                    subnet: Some(cidr.clone()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            labels: Some(HashMap::from([(LABEL_NODE.to_string(), self.node.clone())])),
            ..Default::default()
        };
        self.docker.create_network(request).await?;
        Ok(PodNetwork::of(&inspect().await?))
    }

    fn labels(
        &self,
        uid: &str,
        pod: &str,
        ns: &str,
        container: &str,
        attempt: u32,
    ) -> HashMap<String, String> {
        HashMap::from([
            (LABEL_UID.to_string(), uid.to_string()),
            (LABEL_NODE.to_string(), self.node.clone()),
            (LABEL_CONTAINER.to_string(), container.to_string()),
            (LABEL_ATTEMPT.to_string(), attempt.to_string()),
            ("io.kubernetes.pod.name".to_string(), pod.to_string()),
            ("io.kubernetes.pod.namespace".to_string(), ns.to_string()),
        ])
    }

    async fn create_and_start(
        &self,
        name: &str,
        body: ContainerCreateBody,
    ) -> Result<String, RuntimeError> {
        let options = CreateContainerOptions {
            name: Some(name.to_string()),
            ..Default::default()
        };
        let created = self.docker.create_container(Some(options), body).await?;
        if let Err(e) = self
            .docker
            .start_container(
                &created.id,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
        {
            // A container that could not start is not left behind to pile up with each retry.
            self.remove(&created.id).await;
            return Err(e.into());
        }
        Ok(created.id)
    }

    async fn inspect(&self, id: &str) -> Option<ContainerInspectResponse> {
        self.docker
            .inspect_container(
                id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .ok()
    }
}

/// How a session's terminal is resized: (width, height).
type Resize = Box<dyn Fn(u16, u16) -> futures::future::BoxFuture<'static, ()> + Send + Sync>;

/// An exec or attach as an [`ExecSession`]: stdin pumped into Docker's input (closed when the sender
/// goes), output split into stdout and stderr, resizes passed on, and the exit code once output ends.
fn session(
    mut output: std::pin::Pin<
        Box<
            dyn futures::Stream<
                    Item = Result<bollard::container::LogOutput, bollard::errors::Error>,
                > + Send,
        >,
    >,
    mut input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
    stdin: bool,
    resize: Resize,
    exit: futures::future::BoxFuture<'static, i64>,
) -> ExecSession {
    use tokio::io::AsyncWriteExt;
    let (out_tx, out_rx) = tokio::sync::mpsc::channel(64);
    let (exit_tx, exit_rx) = tokio::sync::oneshot::channel();
    let (resize_tx, mut resize_rx) = tokio::sync::mpsc::channel::<(u16, u16)>(4);
    let stdin_tx = stdin.then(|| {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(64);
        tokio::spawn(async move {
            while let Some(data) = rx.recv().await {
                if input.write_all(&data).await.is_err() {
                    break;
                }
                let _ = input.flush().await;
            }
            let _ = input.shutdown().await;
        });
        tx
    });
    tokio::spawn(async move {
        while let Some((w, h)) = resize_rx.recv().await {
            resize(w, h).await;
        }
    });
    tokio::spawn(async move {
        while let Some(Ok(chunk)) = output.next().await {
            let (channel, bytes) = match chunk {
                bollard::container::LogOutput::StdErr { message } => (2, message),
                other => (1, other.into_bytes()),
            };
            if out_tx.send((channel, bytes)).await.is_err() {
                break;
            }
        }
        drop(out_tx);
        let _ = exit_tx.send(exit.await);
    });
    ExecSession {
        stdin: stdin_tx,
        output: out_rx,
        resize: resize_tx,
        exit: exit_rx,
    }
}

/// The sandbox's resolver settings by the pod's dnsPolicy, as the kubelet writes resolv.conf: ClusterFirst
/// (the default) points at the cluster DNS with kube's search path and ndots 5; None takes dnsConfig
/// alone; Default keeps the host's. dnsConfig adds to whatever the policy gave.
type DnsSettings = (
    Option<Vec<String>>,
    Option<Vec<String>>,
    Option<Vec<String>>,
);

fn dns_settings(pod: &Value, cluster_dns: Option<&str>) -> DnsSettings {
    let list = |path: &str| -> Vec<String> {
        pod.pointer(path)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    let ns = str_at(pod, "/metadata/namespace");
    // ClusterFirst gives a hostNetwork pod the host's resolvers; ClusterFirstWithHostNet gives it the
    // cluster's.
    let host_network = pod.pointer("/spec/hostNetwork").and_then(Value::as_bool) == Some(true);
    let cluster = match str_at(pod, "/spec/dnsPolicy") {
        "" | "ClusterFirst" => !host_network,
        "ClusterFirstWithHostNet" => true,
        _ => false,
    };
    let (mut servers, mut searches, mut options) = match (cluster, cluster_dns) {
        (true, Some(dns)) => (
            vec![dns.to_string()],
            vec![
                format!("{ns}.svc.{}", crate::dns::DOMAIN),
                format!("svc.{}", crate::dns::DOMAIN),
                crate::dns::DOMAIN.to_string(),
            ],
            vec!["ndots:5".to_string()],
        ),
        _ => (Vec::new(), Vec::new(), Vec::new()),
    };
    servers.extend(list("/spec/dnsConfig/nameservers"));
    searches.extend(list("/spec/dnsConfig/searches"));
    for o in pod
        .pointer("/spec/dnsConfig/options")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match (o["name"].as_str(), o["value"].as_str()) {
            (Some(n), Some(v)) => options.push(format!("{n}:{v}")),
            (Some(n), None) => options.push(n.to_string()),
            _ => {}
        }
    }
    let some = |v: Vec<String>| (!v.is_empty()).then_some(v);
    (some(servers), some(searches), some(options))
}

/// Docker's name for a pod's container, as the kubelet's dockershim named them.
fn docker_name(uid: &str, pod: &str, ns: &str, container: &str, attempt: u32) -> String {
    format!("k8s_{container}_{pod}_{ns}_{uid}_{attempt}")
}

fn label<'a>(c: &'a ContainerInspectResponse, key: &str) -> &'a str {
    c.config
        .as_ref()
        .and_then(|cfg| cfg.labels.as_ref())
        .and_then(|l| l.get(key))
        .map(String::as_str)
        .unwrap_or_default()
}

/// A Docker time (RFC 3339); None for Docker's zero time.
fn docker_time(t: Option<&String>) -> Option<chrono::DateTime<chrono::Utc>> {
    let parsed = chrono::DateTime::parse_from_rfc3339(t?).ok()?;
    (parsed.timestamp() > 0).then(|| parsed.with_timezone(&chrono::Utc))
}

fn container(c: &ContainerInspectResponse) -> Container {
    let s = c.state.clone().unwrap_or_default();
    Container {
        id: c.id.clone().unwrap_or_default(),
        name: label(c, LABEL_CONTAINER).to_string(),
        attempt: label(c, LABEL_ATTEMPT).parse().unwrap_or(0),
        running: s.running.unwrap_or(false),
        exit_code: s.exit_code.unwrap_or(0),
        oom_killed: s.oom_killed == Some(true),
        started_at: docker_time(s.started_at.as_ref()),
        finished_at: docker_time(s.finished_at.as_ref()),
        image_id: c.image.clone().unwrap_or_default(),
    }
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

impl ContainerRuntime for DockerRuntime {
    fn scheme(&self) -> &'static str {
        "docker"
    }

    async fn containers(&self, pod_uid: &str) -> Result<Vec<Container>, RuntimeError> {
        let filters =
            HashMap::from([("label".to_string(), vec![format!("{LABEL_UID}={pod_uid}")])]);
        let list = self
            .docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..Default::default()
            }))
            .await?;
        let mut out = Vec::new();
        for id in list.into_iter().filter_map(|c| c.id) {
            if let Some(i) = self.inspect(&id).await {
                out.push(container(&i));
            }
        }
        Ok(out)
    }

    async fn node_containers(&self) -> Result<Vec<(String, String)>, RuntimeError> {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![format!("{LABEL_NODE}={}", self.node)],
        )]);
        let options = ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        };
        let list = self.docker.list_containers(Some(options)).await?;
        Ok(list
            .into_iter()
            .filter_map(|c| {
                let uid = c.labels.as_ref()?.get(LABEL_UID)?.clone();
                Some((c.id?, uid))
            })
            .collect())
    }

    async fn sandbox(
        &self,
        pod: &Value,
        containers: &[Container],
    ) -> Result<Sandbox, RuntimeError> {
        let latest = containers
            .iter()
            .filter(|c| c.name == SANDBOX)
            .max_by_key(|c| c.attempt);
        let host_network = pod.pointer("/spec/hostNetwork").and_then(Value::as_bool) == Some(true);
        let ip_of = |i: &ContainerInspectResponse| {
            if host_network {
                return self.host_ip.clone();
            }
            i.network_settings
                .as_ref()
                .and_then(|n| n.networks.as_ref())
                .and_then(|n| n.get(&self.network))
                .and_then(|n| n.ip_address.clone())
                .unwrap_or_default()
        };
        if let Some(s) = latest.filter(|s| s.running) {
            let ip = self
                .inspect(&s.id)
                .await
                .map(|i| ip_of(&i))
                .unwrap_or_default();
            return Ok(Sandbox {
                id: s.id.clone(),
                ip,
                created: false,
            });
        }
        let next = latest.map_or(0, |s| s.attempt + 1);
        if let Some(old) = latest {
            self.remove(&old.id).await;
        }
        let (ns, name) = namespace_and_name(pod);
        let uid = str_at(pod, "/metadata/uid");
        let hostname = pod
            .pointer("/spec/hostname")
            .and_then(Value::as_str)
            .unwrap_or(name);
        let (exposed, bindings) = host_ports(pod);
        let (dns, dns_search, dns_options) = dns_settings(pod, self.dns.as_deref());
        // A hostNetwork pod lives in the host's network and takes its name, as the kubelet runs it; its
        // ports are the host's own.
        let body = ContainerCreateBody {
            image: Some(PAUSE_IMAGE.into()),
            hostname: (!host_network).then(|| hostname.chars().take(63).collect()),
            labels: Some(self.labels(uid, name, ns, SANDBOX, next)),
            exposed_ports: (!exposed.is_empty() && !host_network).then_some(exposed),
            host_config: Some(HostConfig {
                network_mode: Some(match host_network {
                    true => "host".into(),
                    false => self.network.clone(),
                }),
                uts_mode: host_network.then(|| "host".into()),
                port_bindings: (!bindings.is_empty() && !host_network).then_some(bindings),
                dns,
                dns_search,
                dns_options,
                ..Default::default()
            }),
            ..Default::default()
        };
        let id = match self
            .create_and_start(&docker_name(uid, name, ns, SANDBOX, next), body)
            .await
        {
            Ok(id) => id,
            Err(e) => {
                // The network may have gone from under us: make it again for the next attempt.
                let _ = self.ensure_network().await;
                return Err(e);
            }
        };
        let ip = self
            .inspect(&id)
            .await
            .map(|i| ip_of(&i))
            .unwrap_or_default();
        if let Ok(n) = self.ensure_network().await {
            hairpin(&n.bridge);
        }
        Ok(Sandbox {
            id,
            ip,
            created: true,
        })
    }

    async fn image_present(&self, image: &str) -> bool {
        self.docker.inspect_image(image).await.is_ok()
    }

    async fn pull(&self, image: &str) -> Result<(), String> {
        let options = CreateImageOptions {
            from_image: Some(image.into()),
            ..Default::default()
        };
        let mut pull = self.docker.create_image(Some(options), None, None);
        while let Some(step) = pull.next().await {
            step.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    async fn start(&self, spec: Spec) -> Result<String, RuntimeError> {
        let binds: Vec<String> = spec
            .mounts
            .iter()
            .map(|m| {
                let ro = if m.read_only { ":ro" } else { "" };
                format!("{}:{}{ro}", m.source.display(), m.target)
            })
            .collect();
        let tmpfs: HashMap<String, String> = spec
            .tmpfs
            .iter()
            .map(|t| (t.clone(), String::new()))
            .collect();
        let body = ContainerCreateBody {
            user: spec.user,
            open_stdin: spec.stdin,
            stdin_once: spec.stdin_once,
            tty: spec.tty,
            image: Some(spec.image),
            entrypoint: spec.command,
            cmd: spec.args,
            env: Some(spec.env),
            working_dir: spec.working_dir,
            labels: Some(self.labels(
                &spec.pod_uid,
                &spec.pod_name,
                &spec.namespace,
                &spec.name,
                spec.attempt,
            )),
            host_config: Some(HostConfig {
                network_mode: Some(format!("container:{}", spec.sandbox)),
                binds: (!binds.is_empty()).then_some(binds),
                tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
                memory: spec.memory,
                nano_cpus: spec.nano_cpus,
                cpu_shares: spec.cpu_shares,
                readonly_rootfs: spec.read_only_root,
                privileged: spec.privileged,
                cap_add: spec.cap_add,
                cap_drop: spec.cap_drop,
                ..Default::default()
            }),
            ..Default::default()
        };
        let name = docker_name(
            &spec.pod_uid,
            &spec.pod_name,
            &spec.namespace,
            &spec.name,
            spec.attempt,
        );
        self.create_and_start(&name, body).await
    }

    async fn stop(&self, id: &str, grace: Duration) {
        let options = StopContainerOptions {
            t: Some(grace.as_secs().min(3600) as i32),
            ..Default::default()
        };
        let _ = self.docker.stop_container(id, Some(options)).await;
    }

    async fn remove(&self, id: &str) {
        let options = RemoveContainerOptions {
            force: true,
            ..Default::default()
        };
        if let Err(e) = self.docker.remove_container(id, Some(options)).await {
            tracing::debug!(container = id, error = %e, "removing a container failed");
        }
    }

    async fn exec(&self, id: &str, command: Vec<String>, timeout: Duration) -> Result<(), String> {
        let attempt = async {
            let config = bollard::models::ExecConfig {
                cmd: Some(command.clone()),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            };
            let exec = self
                .docker
                .create_exec(id, config)
                .await
                .map_err(|e| e.to_string())?;
            let mut output = String::new();
            if let bollard::exec::StartExecResults::Attached {
                output: mut out, ..
            } = self
                .docker
                .start_exec(&exec.id, None)
                .await
                .map_err(|e| e.to_string())?
            {
                while let Some(Ok(chunk)) = out.next().await {
                    output.push_str(&chunk.to_string());
                }
            }
            let code = self
                .docker
                .inspect_exec(&exec.id)
                .await
                .map_err(|e| e.to_string())?
                .exit_code
                .unwrap_or(-1);
            match code {
                0 => Ok(()),
                _ => Err(super::exec_failure(&command, code, &output)),
            }
        };
        tokio::time::timeout(timeout, attempt)
            .await
            .unwrap_or_else(|_| Err(format!("command timed out after {}s", timeout.as_secs())))
    }

    async fn exec_session(
        &self,
        id: &str,
        command: Vec<String>,
        stdin: bool,
        tty: bool,
    ) -> Result<ExecSession, RuntimeError> {
        let config = bollard::models::ExecConfig {
            cmd: Some(command),
            attach_stdin: Some(stdin),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(tty),
            ..Default::default()
        };
        let exec = self.docker.create_exec(id, config).await?.id;
        let options = bollard::exec::StartExecOptions {
            tty,
            ..Default::default()
        };
        let bollard::exec::StartExecResults::Attached { output, input } =
            self.docker.start_exec(&exec, Some(options)).await?
        else {
            return Err(RuntimeError::Refused("the exec started detached".into()));
        };
        let docker = self.docker.clone();
        let resize_id = exec.clone();
        let resize: Resize = Box::new(move |w, h| {
            let (docker, id) = (docker.clone(), resize_id.clone());
            Box::pin(async move {
                let size = bollard::query_parameters::ResizeExecOptions {
                    w: i32::from(w),
                    h: i32::from(h),
                };
                let _ = docker.resize_exec(&id, size).await;
            })
        });
        let docker = self.docker.clone();
        // The output ends a moment before Docker has the exit code.
        let exit = Box::pin(async move {
            for _ in 0..50 {
                match docker.inspect_exec(&exec).await {
                    Ok(i) if i.running == Some(true) => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    Ok(i) => return i.exit_code.unwrap_or(-1),
                    Err(_) => break,
                }
            }
            -1
        });
        Ok(session(output, input, stdin, resize, exit))
    }

    async fn attach_session(
        &self,
        id: &str,
        stdin: bool,
        _tty: bool,
    ) -> Result<ExecSession, RuntimeError> {
        let options = bollard::query_parameters::AttachContainerOptions {
            stdin,
            stdout: true,
            stderr: true,
            stream: true,
            logs: false,
            detach_keys: None,
        };
        let bollard::container::AttachContainerResults { output, input } =
            self.docker.attach_container(id, Some(options)).await?;
        let docker = self.docker.clone();
        let resize_id = id.to_string();
        let resize: Resize = Box::new(move |w, h| {
            let (docker, id) = (docker.clone(), resize_id.clone());
            Box::pin(async move {
                let size = bollard::query_parameters::ResizeContainerTTYOptions {
                    w: i32::from(w),
                    h: i32::from(h),
                };
                let _ = docker.resize_container_tty(&id, size).await;
            })
        });
        let (docker, container) = (self.docker.clone(), id.to_string());
        let exit = Box::pin(async move {
            docker
                .inspect_container(
                    &container,
                    None::<bollard::query_parameters::InspectContainerOptions>,
                )
                .await
                .ok()
                .and_then(|c| c.state?.exit_code)
                .unwrap_or(0)
        });
        Ok(session(output, input, stdin, resize, exit))
    }

    async fn logs(&self, id: &str, options: LogOptions) -> Result<LogStream, RuntimeError> {
        // Ask first, so that a container that is gone is an error rather than an empty stream.
        self.docker
            .inspect_container(
                id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await?;
        let query = bollard::query_parameters::LogsOptions {
            follow: options.follow,
            stdout: true,
            stderr: true,
            timestamps: options.timestamps,
            since: options
                .since
                .map_or(0, |t| i32::try_from(t.timestamp()).unwrap_or(i32::MAX)),
            tail: options.tail.map_or("all".into(), |n| n.to_string()),
            ..Default::default()
        };
        let stream = self
            .docker
            .logs(id, Some(query))
            .map(|chunk| chunk.map(|c| c.into_bytes()).map_err(std::io::Error::other));
        Ok(Box::pin(stream))
    }

    async fn log_tail(&self, id: &str, lines: usize) -> String {
        let options = bollard::query_parameters::LogsOptions {
            stdout: true,
            stderr: true,
            tail: lines.to_string(),
            ..Default::default()
        };
        let mut out = String::new();
        let mut logs = self.docker.logs(id, Some(options));
        while let Some(Ok(chunk)) = logs.next().await {
            out.push_str(&chunk.to_string());
        }
        out
    }

    async fn watch_exits(&self, tx: tokio::sync::mpsc::UnboundedSender<String>) {
        while !tx.is_closed() {
            let filters = HashMap::from([
                ("type".to_string(), vec!["container".to_string()]),
                ("event".to_string(), vec!["die".to_string()]),
                (
                    "label".to_string(),
                    vec![format!("{LABEL_NODE}={}", self.node)],
                ),
            ]);
            let options = bollard::query_parameters::EventsOptions {
                filters: Some(filters),
                ..Default::default()
            };
            let mut stream = self.docker.events(Some(options));
            while let Some(Ok(event)) = stream.next().await {
                let uid = event
                    .actor
                    .and_then(|a| a.attributes)
                    .and_then(|mut a| a.remove(LABEL_UID))
                    .unwrap_or_default();
                if tx.send(uid).is_err() {
                    return;
                }
            }
            // The stream ended (the daemon restarted?): follow again shortly.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_follows_the_policy_and_the_host_network() {
        let servers = |spec: Value| {
            let pod = serde_json::json!({"metadata": {"namespace": "ns"}, "spec": spec});
            dns_settings(&pod, Some("172.18.0.1")).0
        };
        let cluster = Some(vec!["172.18.0.1".to_string()]);
        assert_eq!(servers(serde_json::json!({})), cluster);
        assert_eq!(servers(serde_json::json!({"hostNetwork": true})), None);
        assert_eq!(
            servers(
                serde_json::json!({"hostNetwork": true, "dnsPolicy": "ClusterFirstWithHostNet"})
            ),
            cluster
        );
        assert_eq!(servers(serde_json::json!({"dnsPolicy": "Default"})), None);
        assert_eq!(
            servers(
                serde_json::json!({"dnsPolicy": "None", "dnsConfig": {"nameservers": ["192.0.2.1"]}})
            ),
            Some(vec!["192.0.2.1".to_string()])
        );
        let pod = serde_json::json!({"metadata": {"namespace": "ns"}, "spec": {}});
        let (_, search, options) = dns_settings(&pod, Some("172.18.0.1"));
        assert_eq!(
            search,
            Some(vec![
                "ns.svc.cluster.local".to_string(),
                "svc.cluster.local".to_string(),
                "cluster.local".to_string()
            ])
        );
        assert_eq!(options, Some(vec!["ndots:5".to_string()]));
    }

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
}
