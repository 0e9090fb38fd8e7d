//! kyb-bench: API server figures for kybd beside etcd (Debian's etcd-server) measured in the same run.
//!
//! Run with `bash bench/run.sh`. Figures, not tests: nothing here asserts a time.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod dashboard;
mod services;
mod streams;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections_per_host(128)
        .build()
        .into()
}

/// A server process killed on drop, with its temporary folder.
struct Proc {
    child: Child,
    dir: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Proc {
    /// Starts `kybd SUBCOMMAND --server URL ARGS...` quietly.
    fn component(bin: &Path, subcommand: &str, url: &str, args: &[&str]) -> Result<Proc, BoxError> {
        let child = Command::new(bin)
            .args([subcommand, "--server", url])
            .args(args)
            .env("KYBD_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(Proc {
            child,
            dir: temp_dir(subcommand),
        })
    }

    /// Stops the process with SIGTERM, as an operator would, and waits up to ten seconds for it.
    fn terminate(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// CPU seconds used so far (user and system), from /proc.
    fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
        let after = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        let fields: Vec<f64> = after
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|f| f.parse().ok())
            .collect();
        fields.iter().sum::<f64>() / 100.0
    }

    fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        kb / 1024.0
    }
}

/// A Docker node's leftovers, removed on drop: its containers, its network, its folder, and any proxy rules
/// tagged with its name (`kybd proxy --cleanup`, with the kybd at the path given).
struct DockerCleanup(String, PathBuf, PathBuf);

impl Drop for DockerCleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.1);
        let ids = Command::new("docker")
            .args([
                "ps",
                "-aq",
                "--filter",
                &format!("label=io.kybernet.node={}", self.0),
            ])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if !ids.is_empty() {
            let _ = Command::new("docker")
                .arg("rm")
                .arg("-f")
                .args(&ids)
                .output();
        }
        let _ = Command::new("docker")
            .args(["network", "rm", &self.0])
            .output();
        let _ = Command::new(&self.2)
            .args(["proxy", "--cleanup", "--hostname-override", &self.0])
            .output();
    }
}

/// `kybd agent --runtime docker` as node `node` on a Docker network of that name, quiet, its proxy's
/// metrics off.
fn docker_agent(bin: &Path, url: &str, node: &str, root: &Path) -> Result<Proc, BoxError> {
    let root = root.to_string_lossy();
    Proc::component(
        bin,
        "agent",
        url,
        &[
            "--runtime",
            "docker",
            "--node-name",
            node,
            "--docker-network",
            node,
            "--root-dir",
            &root,
            "--kubelet-port",
            "0",
            "--metrics-bind-address",
            "",
        ],
    )
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kyb-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::create_dir_all(&d);
    d
}

fn free_port() -> Result<u16, BoxError> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn wait_http(url: &str) -> Result<(), BoxError> {
    let a = agent();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if a.get(url).call().is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{url} did not come up").into())
}

/// `kybd server` alone: no agent, and (unless `extra` says otherwise) no scheduler or node lifecycle, so that
/// the figures are the API server's.
fn start_kybd(bin: &Path, tag: &str) -> Result<(Proc, String), BoxError> {
    let dir = temp_dir(tag);
    let port = free_port()?;
    let child = Command::new(bin)
        .args([
            "server",
            "--disable-agent",
            "--disable-scheduler",
            "--disable-node-lifecycle",
            "--disable-controllers",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&dir)
        .env("KYBD_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let url = format!("http://127.0.0.1:{port}");
    let p = Proc { child, dir };
    wait_http(&format!("{url}/readyz"))?;
    Ok((p, url))
}

fn start_etcd() -> Result<(Proc, String), BoxError> {
    let dir = temp_dir("etcd");
    let (client, peer) = (free_port()?, free_port()?);
    let url = format!("http://127.0.0.1:{client}");
    let child = Command::new("etcd")
        .args(["--data-dir"])
        .arg(dir.join("data"))
        .args([
            "--listen-client-urls",
            &url,
            "--advertise-client-urls",
            &url,
        ])
        .args([
            "--listen-peer-urls",
            &format!("http://127.0.0.1:{peer}"),
            "--initial-advertise-peer-urls",
            &format!("http://127.0.0.1:{peer}"),
        ])
        .args([
            "--initial-cluster",
            &format!("default=http://127.0.0.1:{peer}"),
            "--log-level",
            "error",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let p = Proc { child, dir };
    wait_http(&format!("{url}/health"))?;
    Ok((p, url))
}

/// Latencies of `total` requests spread over `clients` threads; `req(agent, i)` sends request i.
fn load(
    clients: usize,
    total: usize,
    req: impl Fn(&ureq::Agent, usize) -> bool + Send + Sync + 'static,
) -> (f64, Vec<Duration>, usize) {
    let req = Arc::new(req);
    let barrier = Arc::new(Barrier::new(clients + 1));
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let (req, barrier) = (req.clone(), barrier.clone());
            std::thread::spawn(move || {
                let a = agent();
                let mut lat = Vec::new();
                let mut failed = 0;
                barrier.wait();
                for i in (c..total).step_by(clients) {
                    let t = Instant::now();
                    if !req(&a, i) {
                        failed += 1;
                    }
                    lat.push(t.elapsed());
                }
                (lat, failed)
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let mut all = Vec::with_capacity(total);
    let mut failed = 0;
    for h in handles {
        if let Ok((l, f)) = h.join() {
            all.extend(l);
            failed += f;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort();
    (total as f64 / secs, all, failed)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn post_json(a: &ureq::Agent, url: &str, body: &Value) -> bool {
    a.post(url)
        .header("Content-Type", "application/json")
        .send(body.to_string().as_bytes())
        .is_ok_and(|r| r.status().is_success())
}

fn b64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, x)| acc | (u32::from(*x) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn pod(i: usize) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("pod-{i}"), "labels": {"app": "bench", "shard": (i % 10).to_string()}},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36", "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}})
}

/// A pod of kube-scheduler's TopologySpreading shape: spread over zones (DoNotSchedule, maxSkew 1) and over
/// hosts (ScheduleAnyway).
fn spread_pod(i: usize) -> Value {
    let mut p = pod(i);
    p["spec"]["topologySpreadConstraints"] = json!([
        {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
         "labelSelector": {"matchLabels": {"app": "bench"}}},
        {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
         "labelSelector": {"matchLabels": {"app": "bench"}}}]);
    p
}

fn node(i: usize) -> Value {
    let resources = json!({"cpu": "32", "memory": "256Gi", "pods": "110"});
    json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": format!("node-{i}"), "labels": {"kubernetes.io/hostname": format!("node-{i}"), "topology.kubernetes.io/zone": format!("zone-{}", i % 3)}},
        "status": {"capacity": resources, "allocatable": resources, "conditions": [{"type": "Ready", "status": "True"}]}})
}

/// Scheduler throughput, as kube-scheduler's SchedulingBasic (with `spread`, TopologySpreading) measures
/// it: `nodes` nodes stored, then `pods` pods created by 64 clients, timed until the last is bound. The
/// scheduler runs as its own process (`kybd scheduler`) so that its RSS is its own.
fn scheduler_bench(bin: &Path, nodes: usize, pods: usize, spread: bool) -> Result<(), BoxError> {
    let (_server, url) = start_kybd(bin, "sched")?;
    let nodes_url = format!("{url}/api/v1/nodes");
    let (_, _, failed) = load(16, nodes, move |a, i| post_json(a, &nodes_url, &node(i)));
    if failed > 0 {
        return Err(format!("{failed} node creates failed").into());
    }
    let scheduler = Proc {
        child: Command::new(bin)
            .args(["scheduler", "--server", &url])
            .env("KYBD_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
        dir: temp_dir("sched-proc"),
    };
    let a = agent();
    let pods_url = format!("{url}/api/v1/namespaces/default/pods");
    let unbound = format!("{pods_url}?fieldSelector=spec.nodeName%3D&limit=1");
    let none_unbound = |a: &ureq::Agent| -> Result<bool, BoxError> {
        let list: Value =
            serde_json::from_slice(&a.get(&unbound).call()?.body_mut().read_to_vec()?)?;
        Ok(list["items"].as_array().is_some_and(|i| i.is_empty()))
    };
    // The scheduler is ready once it has bound a first pod.
    post_json(
        &a,
        &pods_url,
        &json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "warm-up"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !none_unbound(&a)? {
        if Instant::now() > deadline {
            return Err("the scheduler did not bind the warm-up pod".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let start = Instant::now();
    let create_url = pods_url.clone();
    let make = if spread { spread_pod } else { pod };
    let (_, _, failed) = load(64, pods, move |a, i| post_json(a, &create_url, &make(i)));
    let created = start.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    while !none_unbound(&a)? {
        if Instant::now() > deadline {
            return Err("pods were still unbound after 10 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{:>8} | {nodes:>8} | {pods:>8} | {:>10.0} | {:>10.1} | {:>12.1} | {:>9.1}{}",
        if spread { "spread" } else { "basic" },
        pods as f64 / secs,
        secs,
        created.as_secs_f64(),
        scheduler.rss_mb(),
        if failed > 0 {
            format!(" ({failed} creates failed)")
        } else {
            String::new()
        }
    );
    Ok(())
}

/// Issue 5's benchmark: `deployments` Deployments of `replicas` pods on `nodes` simulated nodes, with the
/// scheduler, the controller manager and the agent each in their own process. Times all pods available, then
/// a rolling update of every deployment, and reports the controller manager's CPU and RSS.
fn controllers_bench(
    bin: &Path,
    nodes: usize,
    deployments: usize,
    replicas: usize,
) -> Result<(), BoxError> {
    let (_server, url) = start_kybd(bin, "ctl")?;
    let _scheduler = Proc::component(bin, "scheduler", &url, &[])?;
    let cm = Proc::component(bin, "controller-manager", &url, &[])?;
    let _agent = Proc::component(
        bin,
        "agent",
        &url,
        &[
            "--runtime",
            "simulated",
            "--nodes",
            &nodes.to_string(),
            "--max-pods",
            "110",
        ],
    )?;
    let a = agent();
    let count = |path: &str| -> usize {
        a.get(&format!("{url}{path}"))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_vec().ok())
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|l| l["items"].as_array().map(Vec::len))
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while count("/api/v1/nodes") < nodes {
        if Instant::now() > deadline {
            return Err("the simulated nodes did not register".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let deploy = move |i: usize, image: &str| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": format!("d-{i}")},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": format!("d-{i}")}},
                "template": {"metadata": {"labels": {"app": format!("d-{i}")}},
                    "spec": {"containers": [{"name": "c", "image": image, "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}}})
    };
    // Done when every deployment reports all its pods updated and available for its current generation.
    let settled = |image: &str| -> Result<f64, BoxError> {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(900);
        loop {
            let list: Value = serde_json::from_slice(
                &a.get(&format!(
                    "{url}/apis/apps/v1/namespaces/default/deployments"
                ))
                .call()?
                .body_mut()
                .read_to_vec()?,
            )?;
            let items = list["items"].as_array().cloned().unwrap_or_default();
            let done = items.len() == deployments
                && items.iter().all(|d| {
                    let s = &d["status"];
                    d["spec"]["template"]["spec"]["containers"][0]["image"] == image
                        && s["observedGeneration"] == d["metadata"]["generation"]
                        && s["updatedReplicas"] == replicas
                        && s["availableReplicas"] == replicas
                        && s["replicas"] == replicas
                });
            if done {
                return Ok(start.elapsed().as_secs_f64());
            }
            if Instant::now() > deadline {
                return Err("deployments did not settle within 15 minutes".into());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    };
    let create_url = format!("{url}/apis/apps/v1/namespaces/default/deployments");
    let cpu0 = cm.cpu_seconds();
    let start = Instant::now();
    let (_, _, failed) = load(16, deployments, move |a, i| {
        post_json(a, &create_url, &deploy(i, "busybox:1.36"))
    });
    if failed > 0 {
        return Err(format!("{failed} deployment creates failed").into());
    }
    settled("busybox:1.36")?;
    let available = start.elapsed().as_secs_f64();
    let (cpu1, rss1) = (cm.cpu_seconds(), cm.rss_mb());
    let patch_base = format!("{url}/apis/apps/v1/namespaces/default/deployments");
    let start = Instant::now();
    let (_, _, failed) = load(16, deployments, move |a, i| {
        a.patch(&format!("{patch_base}/d-{i}"))
            .header("Content-Type", "application/strategic-merge-patch+json")
            .send(json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox:1.37"}]}}}}).to_string().as_bytes())
            .is_ok_and(|r| r.status().is_success())
    });
    if failed > 0 {
        return Err(format!("{failed} deployment updates failed").into());
    }
    settled("busybox:1.37")?;
    let rolled = start.elapsed().as_secs_f64();
    println!(
        "{nodes:>8} | {:>12} | {:>12.1} | {:>12.1} | {:>14.1} | {:>12.1} | {:>10.1}",
        format!("{deployments}x{replicas}"),
        available,
        rolled,
        cpu1 - cpu0,
        cm.cpu_seconds() - cpu0,
        rss1.max(cm.rss_mb())
    );
    Ok(())
}

/// Pods started one at a time after the burst in [`docker_bench`].
const SERIAL: usize = 20;

/// Pod start-up on the Docker runtime: `pods` pods (a local busybox image, bound straight to the node) created
/// `clients` at a time, from each create to Running as a watch shows it; beside `docker run -d` of the same
/// image, the same number at the same concurrency; and the agent's RSS with every pod running.
fn docker_bench(bin: &Path, pods: usize, clients: usize) -> Result<(), BoxError> {
    let image = kyb_e2e::busybox_image();
    let (_server, url) = start_kybd(bin, "docker")?;
    let node = format!("kyb-bench-{}", std::process::id());
    let root = temp_dir("docker-agent");
    // Whatever happens, the containers and the network go (after the agent, declared below, stops).
    let _cleanup = DockerCleanup(node.clone(), root.clone(), bin.to_path_buf());
    let agent_proc = docker_agent(bin, &url, &node, &root)?;
    let a = agent();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !a
        .get(&format!("{url}/api/v1/nodes/{node}"))
        .call()
        .is_ok_and(|r| r.status().is_success())
    {
        if Instant::now() > deadline {
            return Err("the docker node did not register".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // The watch notes when each pod is first seen Running.
    let resp = a
        .get(&format!(
            "{url}/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=300"
        ))
        .call()?;
    let running = Arc::new(std::sync::Mutex::new(std::collections::HashMap::<
        String,
        Instant,
    >::new()));
    let seen = running.clone();
    let watcher = std::thread::spawn(move || {
        let reader = BufReader::new(resp.into_body().into_reader());
        for line in reader.lines().map_while(Result::ok) {
            let Ok(e) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let obj = &e["object"];
            if obj["status"]["phase"] == "Running" {
                let name = obj["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if let Ok(mut m) = seen.lock() {
                    m.entry(name).or_insert_with(Instant::now);
                    if m.len() >= pods + SERIAL {
                        return;
                    }
                }
            }
        }
    });
    let created = Arc::new(std::sync::Mutex::new(std::collections::HashMap::<
        String,
        Instant,
    >::new()));
    let marks = created.clone();
    let (pods_url, node_name, image_name) = (
        format!("{url}/api/v1/namespaces/default/pods"),
        node.clone(),
        image.to_string(),
    );
    let (_, _, failed) = load(clients, pods, move |a, i| {
        let name = format!("p-{i}");
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node_name, "terminationGracePeriodSeconds": 0, "containers": [{"name": "c", "image": image_name,
                "imagePullPolicy": "IfNotPresent", "command": ["/bin/busybox", "sleep", "3600"]}]}});
        if let Ok(mut m) = marks.lock() {
            m.insert(name, Instant::now());
        }
        post_json(a, &pods_url, &pod)
    });
    if failed > 0 {
        return Err(format!("{failed} pod creates failed").into());
    }
    // Wait for the burst to be Running (the watcher keeps going for the pods made one at a time below).
    let deadline = Instant::now() + Duration::from_secs(240);
    while running.lock().map_err(|_| "lock")?.len() < pods && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut latencies: Vec<Duration> = {
        let (created, running) = (
            created.lock().map_err(|_| "lock")?,
            running.lock().map_err(|_| "lock")?,
        );
        created
            .iter()
            .filter_map(|(n, t)| running.get(n).map(|r| r.saturating_duration_since(*t)))
            .collect()
    };
    latencies.sort();
    if latencies.len() < pods {
        return Err(format!("only {} of {pods} pods were seen Running", latencies.len()).into());
    }
    let rss = agent_proc.rss_mb();
    // One at a time, on a node already holding the burst: what one pod costs when the daemon is not queued.
    let mut serial = Vec::new();
    for i in 0..SERIAL {
        let name = format!("s-{i}");
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "terminationGracePeriodSeconds": 0, "containers": [{"name": "c", "image": image,
                "imagePullPolicy": "IfNotPresent", "command": ["/bin/busybox", "sleep", "3600"]}]}});
        let t0 = Instant::now();
        if !post_json(&a, &format!("{url}/api/v1/namespaces/default/pods"), &pod) {
            return Err(format!("creating {name} failed").into());
        }
        let deadline = t0 + Duration::from_secs(60);
        let at = loop {
            if let Some(at) = running.lock().map_err(|_| "lock")?.get(&name) {
                break *at;
            }
            if Instant::now() > deadline {
                return Err(format!("{name} never ran").into());
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        serial.push(at.saturating_duration_since(t0));
    }
    serial.sort();
    let _ = watcher.join();
    // The floor: `docker run -d` of the same image, as many, as concurrently, on the same network.
    let (node_label, net, img) = (
        format!("io.kybernet.node={node}"),
        node.clone(),
        image.to_string(),
    );
    let (_, mut floor, failed) = load(clients, pods, move |_, _| {
        Command::new("docker")
            .args([
                "run",
                "-d",
                "--network",
                &net,
                "--label",
                &node_label,
                &img,
                "/bin/busybox",
                "sleep",
                "3600",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    floor.sort();
    if failed > 0 {
        return Err(format!("{failed} docker runs failed").into());
    }
    let mut serial_floor = Vec::new();
    for _ in 0..SERIAL {
        let t0 = Instant::now();
        let ok = Command::new("docker")
            .args(["run", "-d", "--network", &node, "--label"])
            .arg(format!("io.kybernet.node={node}"))
            .args([image, "/bin/busybox", "sleep", "3600"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("docker run failed".into());
        }
        serial_floor.push(t0.elapsed());
    }
    serial_floor.sort();
    println!("Pod start-up on Docker: {pods} pods of a local busybox image, {clients} at a time (goal: p99 under 1 s)");
    println!("{:>40} | {:>9} | {:>9}", "", "p50 ms", "p99 ms");
    println!(
        "{:>40} | {:>9.0} | {:>9.0}",
        "kybd: create to Running on a watch",
        pct(&latencies, 0.5),
        pct(&latencies, 0.99)
    );
    println!(
        "{:>40} | {:>9.0} | {:>9.0}",
        "floor: docker run -d",
        pct(&floor, 0.5),
        pct(&floor, 0.99)
    );
    println!("One at a time, {SERIAL} pods, each created once the one before runs:");
    println!(
        "{:>40} | {:>9.0} | {:>9.0}",
        "kybd: create to Running on a watch",
        pct(&serial, 0.5),
        pct(&serial, 0.99)
    );
    println!(
        "{:>40} | {:>9.0} | {:>9.0}",
        "floor: docker run -d",
        pct(&serial_floor, 0.5),
        pct(&serial_floor, 0.99)
    );
    println!("agent (kubelet) RSS with {pods} pods running: {rss:.1} MB");
    Ok(())
}

fn controllers_table(bin: &Path) -> Result<(), BoxError> {
    let size = |var: &str, default: usize| -> usize {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    println!(
        "\nControllers, end to end through the API (goal: 10,000 pods available in under 60 s)"
    );
    println!(
        "{:>8} | {:>12} | {:>12} | {:>12} | {:>14} | {:>12} | {:>10}",
        "nodes",
        "deployments",
        "available s",
        "rolled s",
        "cm cpu s (up)",
        "cm cpu s (all)",
        "cm MB"
    );
    controllers_bench(
        bin,
        size("KYB_BENCH_CTL_NODES", 1000),
        size("KYB_BENCH_DEPLOYMENTS", 1000),
        size("KYB_BENCH_REPLICAS", 10),
    )
}

/// kubectl 1.32 itself, not the version dispatcher in front of it.
const KUBECTL: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";

/// Wall time and peak RSS (MB) of one command, through GNU time.
fn measure(
    program: &Path,
    args: &[&str],
    kubeconfig: &Path,
    home: &Path,
) -> Result<(Duration, f64), BoxError> {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(program)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", home)
        .stdout(Stdio::null())
        .output()?;
    let wall = start.elapsed();
    if !out.status.success() {
        return Err(format!(
            "{} {args:?} failed: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let kb: f64 = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0.0);
    Ok((wall, kb / 1024.0))
}

/// `kyb get pods` and `-o json` over 1,000 pods, beside kubectl 1.32 on the same server, alternating runs.
fn cli_bench(kybd: &Proc, url: &str, kyb: &Path) -> Result<(), BoxError> {
    let kubeconfig = kybd.dir.join("kubeconfig.yaml");
    let pods = format!("{url}/api/v1/namespaces/default/pods");
    let (rate, _, failed) = load(16, 1000, move |a, i| post_json(a, &pods, &pod(i)));
    println!("CLI: 1000 pods stored ({rate:.0}/s, {failed} failed); median of 10 runs each, alternating, warm discovery caches");
    println!(
        "{:<24} | {:>10} {:>9} | {:>10} {:>9} | {:>7} {:>7}",
        "command", "kyb ms", "kyb MB", "kubectl ms", "kubectl MB", "speed", "memory"
    );
    for args in [vec!["get", "pods"], vec!["get", "pods", "-o", "json"]] {
        let (mut k, mut c) = (Vec::new(), Vec::new());
        // One untimed run each fills the discovery caches, as a user's second command would find them.
        measure(kyb, &args, &kubeconfig, &kybd.dir)?;
        measure(Path::new(KUBECTL), &args, &kubeconfig, &kybd.dir)?;
        for _ in 0..10 {
            k.push(measure(kyb, &args, &kubeconfig, &kybd.dir)?);
            c.push(measure(Path::new(KUBECTL), &args, &kubeconfig, &kybd.dir)?);
        }
        let med = |v: &mut Vec<(Duration, f64)>| {
            v.sort_by_key(|x| x.0);
            let wall = v[v.len() / 2].0.as_secs_f64() * 1000.0;
            let rss = v.iter().map(|x| x.1).fold(0.0, f64::max);
            (wall, rss)
        };
        let ((kw, km), (cw, cm)) = (med(&mut k), med(&mut c));
        println!(
            "{:<24} | {kw:>10.1} {km:>9.1} | {cw:>10.1} {cm:>9.1} | {:>6.1}x {:>6.1}x",
            args.join(" "),
            cw / kw,
            cm / km
        );
    }
    let a = agent();
    let _ = a
        .delete(&format!("{url}/api/v1/namespaces/default/pods"))
        .call();
    println!();
    Ok(())
}

fn main() -> Result<(), BoxError> {
    // Inside the services benchmark's pods, this binary is the HTTP server and the load generator.
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("http-serve") if args.len() == 4 => return services::serve(&args[2], &args[3]),
        Some("http-load") if args.len() == 4 => return services::load(&args[2], &args[3]),
        _ => {}
    }
    let bin = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: kyb-bench PATH/TO/kybd [PATH/TO/kyb]")?;
    let kyb = std::env::args().nth(2).map(PathBuf::from);
    let writes: usize = std::env::var("KYB_BENCH_WRITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let pods: usize = std::env::var("KYB_BENCH_PODS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);

    let sched_nodes: Vec<usize> = std::env::var("KYB_BENCH_SCHED_NODES")
        .unwrap_or_else(|_| "1000,5000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    if std::env::var("KYB_BENCH_ONLY").as_deref() == Ok("scheduler") {
        return scheduler_table(&bin, &sched_nodes, pods);
    }
    if std::env::var("KYB_BENCH_ONLY").as_deref() == Ok("controllers") {
        return controllers_table(&bin);
    }
    if std::env::var("KYB_BENCH_ONLY").as_deref() == Ok("docker") {
        return docker_bench(&bin, 100, 10);
    }
    if std::env::var("KYB_BENCH_ONLY").as_deref() == Ok("dashboard") {
        let kyb = kyb
            .as_deref()
            .ok_or("the dashboard benchmark needs PATH/TO/kyb")?;
        return dashboard::bench(&bin, kyb);
    }
    if std::env::var("KYB_BENCH_ONLY").as_deref() == Ok("services") {
        return services::bench(&bin);
    }
    if std::env::var("KYB_BENCH_ONLY").as_deref() == Ok("streams") {
        let kyb = kyb
            .as_deref()
            .ok_or("the streams benchmark needs PATH/TO/kyb")?;
        return streams::bench(&bin, kyb);
    }

    let (kybd, kurl) = start_kybd(&bin, "kybd")?;
    std::thread::sleep(Duration::from_millis(500));
    let idle_rss = kybd.rss_mb();
    if let Some(kyb) = &kyb {
        cli_bench(&kybd, &kurl, kyb)?;
    }
    let etcd = start_etcd();

    println!("ConfigMap creates over HTTP, {writes} per row (etcd: the same number of puts through its HTTP gateway)");
    println!(
        "{:>8} | {:>12} {:>9} {:>9} | {:>12} {:>9} {:>9}",
        "clients", "kybd op/s", "p50 ms", "p99 ms", "etcd op/s", "p50 ms", "p99 ms"
    );
    for (round, clients) in [1usize, 16, 64].into_iter().enumerate() {
        let url = format!("{kurl}/api/v1/namespaces/default/configmaps");
        let (rate, lat, failed) = load(clients, writes, move |a, i| {
            post_json(
                a,
                &url,
                &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{round}-{i}")}, "data": {"k": "v"}}),
            )
        });
        let mut line = format!(
            "{clients:>8} | {rate:>12.0} {:>9.2} {:>9.2}",
            pct(&lat, 0.5),
            pct(&lat, 0.99)
        );
        if failed > 0 {
            line.push_str(&format!(" ({failed} failed)"));
        }
        match &etcd {
            Ok((_, eurl)) => {
                let url = format!("{eurl}/v3/kv/put");
                let (rate, lat, failed) = load(clients, writes, move |a, i| {
                    post_json(
                        a,
                        &url,
                        &json!({"key": b64(&format!("/registry/configmaps/default/cm-{round}-{i}")), "value": b64("{\"data\":{\"k\":\"v\"}}")}),
                    )
                });
                line.push_str(&format!(
                    " | {rate:>12.0} {:>9.2} {:>9.2}",
                    pct(&lat, 0.5),
                    pct(&lat, 0.99)
                ));
                if failed > 0 {
                    line.push_str(&format!(" ({failed} failed)"));
                }
            }
            Err(e) => line.push_str(&format!(" | etcd unavailable: {e}")),
        }
        println!("{line}");
    }

    // 10,000 pods stored.
    let url = format!("{kurl}/api/v1/namespaces/default/pods");
    let (rate, _, failed) = load(64, pods, move |a, i| post_json(a, &url, &pod(i)));
    std::thread::sleep(Duration::from_millis(300));
    let stored_rss = kybd.rss_mb();
    println!("\nStored {pods} pods at {rate:.0} creates/s ({failed} failed)");
    let a = agent();
    let mut list_ms = Vec::new();
    let mut table_ms = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let mut r = a.get(&format!("{kurl}/api/v1/pods")).call()?;
        let n = r
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()?
            .len();
        list_ms.push((t.elapsed(), n));
        let t = Instant::now();
        let mut r = a
            .get(&format!("{kurl}/api/v1/pods"))
            .header(
                "Accept",
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
            )
            .call()?;
        let _ = r.body_mut().with_config().limit(1 << 30).read_to_vec()?;
        table_ms.push(t.elapsed());
    }
    let mut l: Vec<Duration> = list_ms.iter().map(|x| x.0).collect();
    l.sort();
    table_ms.sort();
    println!(
        "LIST all pods as JSON ({} MB): median {:.1} ms; as a Table: median {:.1} ms",
        list_ms[0].1 / (1 << 20),
        pct(&l, 0.5),
        pct(&table_ms, 0.5)
    );
    if let Ok((_, eurl)) = &etcd {
        let url = format!("{eurl}/v3/kv/put");
        load(64, pods, move |a, i| {
            post_json(
                a,
                &url,
                &json!({"key": b64(&format!("/registry/pods/default/pod-{i}")), "value": b64(&pod(i).to_string())}),
            )
        });
        let mut e = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let body = json!({"key": b64("/registry/pods/"), "range_end": b64("/registry/pods0")});
            let mut r = a
                .post(&format!("{eurl}/v3/kv/range"))
                .send(body.to_string().as_bytes())?;
            let _ = r.body_mut().with_config().limit(1 << 30).read_to_vec()?;
            e.push(t.elapsed());
        }
        e.sort();
        println!(
            "etcd range of the same {pods} pods: median {:.1} ms",
            pct(&e, 0.5)
        );
    }

    // Watch fan-out: 100 watchers each see 100 new objects.
    let watchers = 100;
    let events = 100;
    let ready = Arc::new(Barrier::new(watchers + 1));
    let handles: Vec<_> = (0..watchers)
        .map(|_| {
            let url =
                format!("{kurl}/api/v1/namespaces/default/secrets?watch=1&timeoutSeconds=120");
            let ready = ready.clone();
            std::thread::spawn(move || -> Option<Instant> {
                let r = agent().get(&url).call().ok()?;
                let mut lines = BufReader::new(r.into_body().into_reader()).lines();
                ready.wait();
                let mut n = 0;
                for line in lines.by_ref() {
                    if line.ok()?.contains("\"ADDED\"") {
                        n += 1;
                        if n == events {
                            return Some(Instant::now());
                        }
                    }
                }
                None
            })
        })
        .collect();
    ready.wait();
    let start = Instant::now();
    let url = format!("{kurl}/api/v1/namespaces/default/secrets");
    for i in 0..events {
        post_json(
            &a,
            &url,
            &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": format!("s{i}")}}),
        );
    }
    let writes_done = start.elapsed();
    let mut done: Vec<Duration> = handles
        .into_iter()
        .filter_map(|h| h.join().ok().flatten())
        .map(|t| t - start)
        .collect();
    done.sort();
    println!(
        "\nWatch fan-out: {events} creates (sequential, {:.0} ms) delivered to {}/{watchers} watchers; last watcher done after {:.0} ms",
        writes_done.as_secs_f64() * 1000.0,
        done.len(),
        done.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(f64::NAN)
    );

    std::thread::sleep(Duration::from_millis(300));
    println!(
        "\nRSS of kybd: idle {idle_rss:.1} MB; with {pods} pods (and the ConfigMaps above) stored {stored_rss:.1} MB; after the lists and watches {:.1} MB",
        kybd.rss_mb()
    );
    if let Ok((e, _)) = &etcd {
        println!("RSS of etcd after the same writes: {:.1} MB", e.rss_mb());
    }
    drop((kybd, etcd));
    scheduler_table(&bin, &sched_nodes, pods)?;
    controllers_table(&bin)
}

fn scheduler_table(bin: &Path, nodes: &[usize], pods: usize) -> Result<(), BoxError> {
    println!("\nScheduler throughput, end to end through the API (kube-scheduler's CI floor: 270 pods/s at 5,000 nodes)");
    println!(
        "{:>8} | {:>8} | {:>8} | {:>10} | {:>10} | {:>12} | {:>9}",
        "pods are", "nodes", "pods", "pods/s", "all bound s", "creates done s", "sched MB"
    );
    for &n in nodes {
        scheduler_bench(bin, n, pods, false)?;
    }
    // Spread constraints make each decision count pods per zone across the cluster, once per pod.
    if let Some(&n) = nodes.last() {
        scheduler_bench(bin, n, pods / 5, true)?;
    }
    Ok(())
}
