//! Streams on a process-runtime node (`KYB_BENCH_ONLY=streams`): the round trip of `exec -- true` from
//! kyb and kubectl, each a whole command as a user runs it, and port-forward throughput for one large
//! download through kyb and kubectl beside the same download straight from the pod's address, in one run.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{agent, free_port, pct, post_json, start_kybd, temp_dir, BoxError, Proc, KUBECTL};

/// Bytes in the file served for the throughput runs.
const SIZE: usize = 256 << 20;
/// exec round trips timed per client.
const EXECS: usize = 40;

/// Downloads `url` whole; MB/s.
fn download(url: &str) -> Result<f64, BoxError> {
    let start = Instant::now();
    let resp = agent()
        .get(url)
        .call()
        .map_err(|e| format!("GET {url}: {e}"))?;
    let mut body = resp.into_body().into_reader();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0usize;
    loop {
        let n = body
            .read(&mut buf)
            .map_err(|e| format!("reading {url} after {total} bytes: {e}"))?;
        if n == 0 {
            break;
        }
        total += n;
    }
    if total != SIZE {
        return Err(format!("{url}: {total} of {SIZE} bytes").into());
    }
    Ok(total as f64 / (1 << 20) as f64 / start.elapsed().as_secs_f64())
}

/// The best of three downloads through a `port-forward` started with `client`.
fn forwarded(client: &Path, kubeconfig: &Path, pod: &str, port: u16) -> Result<f64, BoxError> {
    let mut child = Command::new(client)
        .args(["port-forward", pod, &format!(":{port}")])
        .env("KUBECONFIG", kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    // Its output is read to the end: a client whose stdout is closed may die of SIGPIPE (kubectl does).
    let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    out.read_line(&mut line)?;
    let drain = std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let local: u16 = line
        .strip_prefix("Forwarding from 127.0.0.1:")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("{}: unexpected {line:?}", client.display()))?;
    let url = format!("http://127.0.0.1:{local}/big");
    let best = (0..3)
        .map(|_| download(&url))
        .collect::<Result<Vec<f64>, _>>();
    let _ = child.kill();
    let _ = child.wait();
    let _ = drain.join();
    Ok(best?.into_iter().fold(0.0, f64::max))
}

/// `exec -- true` round trips with `client`: sorted wall times.
fn execs(client: &Path, kubeconfig: &Path, pod: &str) -> Result<Vec<Duration>, BoxError> {
    let mut times = Vec::new();
    for _ in 0..EXECS + 2 {
        let start = Instant::now();
        let ok = Command::new(client)
            .args(["exec", pod, "--", "true"])
            .env("KUBECONFIG", kubeconfig)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?
            .success();
        if !ok {
            return Err(format!("{} exec failed", client.display()).into());
        }
        times.push(start.elapsed());
    }
    // The first two warm caches (discovery, the kubelet's connection).
    times.drain(..2);
    times.sort();
    Ok(times)
}

pub fn bench(bin: &Path, kyb: &Path) -> Result<(), BoxError> {
    let (kybd, url) = start_kybd(bin, "streams")?;
    let kubeconfig = kybd.dir.join("kubeconfig.yaml");
    let root = temp_dir("streams-node");
    let node = format!("kyb-bench-streams-{}", std::process::id());
    let root_arg = root.to_string_lossy().into_owned();
    let _agent = Proc::component(
        bin,
        "agent",
        &url,
        &[
            "--runtime",
            "process",
            "--node-name",
            &node,
            "--root-dir",
            &root_arg,
            "--kubelet-port",
            "0",
        ],
    )?;
    let a = agent();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !a
        .get(&format!("{url}/api/v1/nodes/{node}"))
        .call()
        .is_ok_and(|r| r.status().is_success())
    {
        if Instant::now() > deadline {
            return Err("the process node did not register".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let www = temp_dir("streams-www");
    std::fs::write(www.join("big"), vec![7u8; SIZE])?;
    let port = free_port()?;
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "serve"},
        "spec": {"nodeName": node, "terminationGracePeriodSeconds": 0, "containers": [{"name": "c", "image": "none",
            "command": ["busybox", "httpd", "-f", "-p", format!("127.0.0.1:{port}"), "-h", www.to_string_lossy()]}]}});
    if !post_json(&a, &format!("{url}/api/v1/namespaces/default/pods"), &pod) {
        return Err("creating the pod failed".into());
    }
    let pod_url = format!("{url}/api/v1/namespaces/default/pods/serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let p: Value = a.get(&pod_url).call()?.body_mut().read_json()?;
        if p["status"]["phase"] == "Running" && wait_port(port) {
            break;
        }
        if Instant::now() > deadline {
            return Err("the pod did not run".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let kyb_execs = execs(kyb, &kubeconfig, "serve")?;
    let kubectl_execs = execs(Path::new(KUBECTL), &kubeconfig, "serve")?;
    let direct = (0..3)
        .map(|_| download(&format!("http://127.0.0.1:{port}/big")))
        .collect::<Result<Vec<f64>, _>>()?
        .into_iter()
        .fold(0.0, f64::max);
    let through_kyb = forwarded(kyb, &kubeconfig, "serve", port)?;
    let through_kubectl = forwarded(Path::new(KUBECTL), &kubeconfig, "serve", port)?;
    let _ = a.delete(&pod_url).call();
    // The agent stops the pod's process as the pod goes (its processes outlive an agent by design).
    // The pod goes with its process before the node's folder does.
    let deadline = Instant::now() + Duration::from_secs(20);
    while a
        .get(&pod_url)
        .call()
        .is_ok_and(|r| r.status().is_success())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_dir_all(&www);
    println!("Streams on a process-runtime node (goals: exec round trip under 50 ms; port-forward at least 50% of direct)");
    println!(
        "{:>44} | {:>9} | {:>9}",
        "exec -- true, whole command", "p50 ms", "p99 ms"
    );
    for (who, t) in [("kyb", &kyb_execs), ("kubectl 1.32", &kubectl_execs)] {
        println!("{who:>44} | {:>9.1} | {:>9.1}", pct(t, 0.5), pct(t, 0.99));
    }
    println!(
        "{:>44} | {:>9} | {:>9}",
        format!("{} MiB download, best of 3", SIZE >> 20),
        "MB/s",
        "of direct"
    );
    for (who, rate) in [
        ("direct to the pod's address", direct),
        ("through kyb port-forward", through_kyb),
        ("through kubectl 1.32 port-forward", through_kubectl),
    ] {
        println!("{who:>44} | {rate:>9.0} | {:>8.0}%", rate / direct * 100.0);
    }
    // Whatever the node's containers left running goes (their processes outlive the agent by design).
    kyb_e2e::kill_process_containers(&root);
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}

/// Whether something listens on the loopback port yet.
fn wait_port(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}
