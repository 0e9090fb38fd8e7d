//! Services on a Docker node (`KYB_BENCH_ONLY=services`): HTTP requests per second and latency from a
//! client pod to three backend pods, through the Service's cluster IP (the proxy's iptables rules) and
//! straight to the pods' addresses, in one run; then how long an Endpoints change takes to reach the rules,
//! and a scale-down to reach the Endpoints.
//!
//! The pods run this very binary (`kyb-bench http-serve` and `kyb-bench http-load`), packed into an image
//! with the libraries `ldd` names, so that neither side is the bottleneck the other is measured against.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{agent, free_port, pct, post_json, temp_dir, wait_http, BoxError, DockerCleanup, Proc};

const IMAGE: &str = "kybernet-bench/http:1";
/// Connections the load generator holds open, and seconds per row.
const CONNECTIONS: usize = 16;
const SECONDS: u64 = 5;

/// `kyb-bench http-serve PORT NAME`: answers every request on PORT and PORT+1 with NAME, keeping
/// connections open. The Service uses PORT and the direct runs PORT+1, so that connections of one run never
/// meet the other's leftover connection-tracking entries.
pub fn serve(port: &str, name: &str) -> Result<(), BoxError> {
    let port: u16 = port.parse()?;
    let second = std::net::TcpListener::bind(("0.0.0.0", port + 1))?;
    let name2 = name.to_string();
    std::thread::spawn(move || accept(second, &name2));
    accept(std::net::TcpListener::bind(("0.0.0.0", port))?, name);
    Ok(())
}

fn accept(listener: std::net::TcpListener, name: &str) {
    let body = format!("{name}\n");
    for conn in listener.incoming().flatten() {
        let body = body.clone();
        std::thread::spawn(move || {
            let _ = conn.set_nodelay(true);
            let Ok(mut out) = conn.try_clone() else {
                return;
            };
            let mut reader = BufReader::new(conn);
            let mut line = String::new();
            loop {
                // A request: its lines up to the blank one (GETs only; no body).
                let mut close = false;
                loop {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == "\r\n" => break,
                        Ok(_) => close |= line.eq_ignore_ascii_case("connection: close\r\n"),
                    }
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{}\r\n{body}",
                    body.len(),
                    if close { "Connection: close\r\n" } else { "" }
                );
                if out.write_all(reply.as_bytes()).is_err() || close {
                    return;
                }
            }
        });
    }
}

/// One request on `conn`; whether a whole 200 came back.
fn request(conn: &mut BufReader<TcpStream>, close: bool) -> bool {
    let ask: &[u8] = if close {
        b"GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n"
    } else {
        b"GET / HTTP/1.1\r\nHost: web\r\n\r\n"
    };
    if conn.get_mut().write_all(ask).is_err() {
        return false;
    }
    let (mut line, mut length, mut ok) = (String::new(), 0usize, false);
    loop {
        line.clear();
        match conn.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {
                ok |= line.starts_with("HTTP/1.1 200");
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
    }
    let mut body = vec![0u8; length];
    ok && conn.read_exact(&mut body).is_ok()
}

/// `kyb-bench http-load TARGETS CLOSE`: CONNECTIONS clients for SECONDS against the comma-separated
/// `host:port` targets (client i uses target i mod n), each on one kept-open connection, or a new one per
/// request when CLOSE is `close`. Prints `{"rps", "p50_ms", "p99_ms", "errors"}`.
pub fn load(targets: &str, close: &str) -> Result<(), BoxError> {
    let targets: Vec<String> = targets.split(',').map(String::from).collect();
    let close = close == "close";
    let until = Instant::now() + Duration::from_secs(SECONDS);
    let all = Arc::new(Mutex::new((Vec::new(), 0usize)));
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let (target, all) = (targets[i % targets.len()].clone(), all.clone());
            std::thread::spawn(move || {
                let (mut times, mut errors) = (Vec::new(), 0usize);
                let mut conn: Option<BufReader<TcpStream>> = None;
                while Instant::now() < until {
                    let start = Instant::now();
                    if conn.is_none() {
                        conn = TcpStream::connect(&target).ok().map(|c| {
                            let _ = c.set_nodelay(true);
                            BufReader::new(c)
                        });
                    }
                    let ok = conn.as_mut().is_some_and(|c| request(c, close));
                    if ok {
                        times.push(start.elapsed());
                    } else {
                        errors += 1;
                    }
                    if close || !ok {
                        conn = None;
                    }
                }
                if let Ok(mut all) = all.lock() {
                    all.0.extend(times);
                    all.1 += errors;
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    let (mut times, errors) = all.lock().map(|a| a.clone()).map_err(|e| e.to_string())?;
    times.sort();
    println!(
        "{}",
        json!({"rps": times.len() as f64 / SECONDS as f64, "p50_ms": pct(&times, 0.5),
            "p99_ms": pct(&times, 0.99), "errors": errors})
    );
    Ok(())
}

/// The image the pods run: this binary and the shared libraries it needs, on nothing else.
fn build_image() -> Result<(), BoxError> {
    let me = std::env::current_exe()?;
    let root = temp_dir("http-image");
    let ldd = Command::new("ldd").arg(&me).output()?;
    let mut files = vec![me.clone()];
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
        let path = line
            .split("=>")
            .last()
            .and_then(|r| r.split_whitespace().next())
            .filter(|p| p.starts_with('/'));
        files.extend(path.map(std::path::PathBuf::from));
    }
    for f in &files {
        let dest = if *f == me {
            root.join("rootfs/kyb-bench")
        } else {
            root.join("rootfs").join(f.strip_prefix("/")?)
        };
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::copy(f, &dest)?;
    }
    let tar = root.join("rootfs.tar");
    let ok = Command::new("tar")
        .arg("-C")
        .arg(root.join("rootfs"))
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()?
        .success()
        && Command::new("docker")
            .args(["import", &tar.to_string_lossy(), IMAGE])
            .stdout(Stdio::null())
            .status()?
            .success();
    let _ = std::fs::remove_dir_all(&root);
    if !ok {
        return Err("building the benchmark's image failed".into());
    }
    Ok(())
}

fn pod(name: &str, node: &str, labels: Value, command: &[&str]) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
        "spec": {"nodeName": node, "terminationGracePeriodSeconds": 1, "containers": [{"name": name,
            "image": IMAGE, "imagePullPolicy": "IfNotPresent", "command": command,
            "ports": [{"containerPort": 8080}]}]}})
}

/// Runs `kyb-bench http-load` in the client pod's container; its figures.
fn measure(node: &str, targets: &str, close: bool) -> Result<Value, BoxError> {
    let id = Command::new("docker")
        .args(["ps", "-q", "--filter"])
        .arg(format!("label=io.kybernet.node={node}"))
        .args(["--filter", "label=io.kybernet.container=client"])
        .output()?;
    let id = String::from_utf8_lossy(&id.stdout).trim().to_string();
    let out = Command::new("docker")
        .args(["exec", &id, "/kyb-bench", "http-load", targets])
        .arg(if close { "close" } else { "keep" })
        .output()?;
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "http-load: {e}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into()
    })
}

/// The ready addresses of an Endpoints object.
fn addresses(ep: &Value) -> Vec<String> {
    ep["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["addresses"].as_array().into_iter().flatten())
        .filter_map(|a| a["ip"].as_str().map(String::from))
        .collect()
}

fn get(url: &str) -> Value {
    agent()
        .get(url)
        .call()
        .ok()
        .and_then(|r| r.into_body().read_json().ok())
        .unwrap_or(Value::Null)
}

/// Waits up to `secs` for `done`, polling every 5 ms; the time it took.
fn until(secs: u64, mut done: impl FnMut() -> bool) -> Result<Duration, BoxError> {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > Duration::from_secs(secs) {
            return Err("timed out".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(start.elapsed())
}

pub fn bench(bin: &Path) -> Result<(), BoxError> {
    build_image()?;
    let dir = temp_dir("services");
    let port = free_port()?;
    let server = Proc {
        child: Command::new(bin)
            .args(["server", "--disable-agent", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(&dir)
            .env("KYBD_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
        dir,
    };
    let url = format!("http://127.0.0.1:{port}");
    wait_http(&format!("{url}/readyz"))?;
    let node = format!("kyb-bench-svc-{}", std::process::id());
    let root = temp_dir("services-agent");
    let _cleanup = DockerCleanup(node.clone(), root.clone(), bin.to_path_buf());
    let agent_proc = super::docker_agent(bin, &url, &node, &root)?;
    let a = agent();
    let pods = format!("{url}/api/v1/namespaces/default/pods");
    until(60, || {
        get(&format!("{url}/api/v1/nodes/{node}"))["kind"] == "Node"
    })?;
    for i in 0..3 {
        let name = format!("web-{i}");
        let p = pod(
            &name,
            &node,
            json!({"app": "web"}),
            &["/kyb-bench", "http-serve", "8080", &name],
        );
        if !post_json(&a, &pods, &p) {
            return Err(format!("creating {name} failed").into());
        }
    }
    let client = pod(
        "client",
        &node,
        json!({"role": "client"}),
        &["/kyb-bench", "http-serve", "8080", "client"],
    );
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}});
    if !post_json(&a, &pods, &client)
        || !post_json(
            &a,
            &format!("{url}/api/v1/namespaces/default/services"),
            &svc,
        )
    {
        return Err("creating the client or the Service failed".into());
    }
    let ep_url = format!("{url}/api/v1/namespaces/default/endpoints/web");
    until(60, || addresses(&get(&ep_url)).len() == 3)?;
    until(60, || {
        get(&format!("{pods}/client"))["status"]["phase"] == "Running"
    })?;
    let cluster_ip = get(&format!("{url}/api/v1/namespaces/default/services/web"))["spec"]
        ["clusterIP"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let direct: Vec<String> = addresses(&get(&ep_url))
        .iter()
        .map(|ip| format!("{ip}:8081"))
        .collect();
    let via = format!("{cluster_ip}:80");
    // The rules are in place once a request through them answers.
    until(30, || {
        measure(&node, &via, true).is_ok_and(|m| m["rps"].as_f64().unwrap_or(0.0) > 0.0)
    })?;

    println!(
        "Services on Docker: a client pod to 3 backend pods, {CONNECTIONS} connections, best of two {SECONDS} s runs (goal: ClusterIP at least 80% of direct)"
    );
    println!(
        "{:<34} | {:>9} {:>8} {:>8} | {:>9} {:>8} {:>8} | {:>6}",
        "", "ClusterIP", "p50 ms", "p99 ms", "direct", "p50 ms", "p99 ms", "ratio"
    );
    for (what, close) in [
        ("requests on kept-open connections", false),
        ("a new connection per request", true),
    ] {
        // Turn about, twice each, keeping each path's better run: the machine's noise is larger than
        // the difference being measured.
        let rps = |m: &Value| m["rps"].as_f64().unwrap_or(0.0);
        let (mut through, mut straight) = (Value::Null, Value::Null);
        for _ in 0..2 {
            let t = measure(&node, &via, close)?;
            if rps(&t) > rps(&through) {
                through = t;
            }
            let d = measure(&node, &direct.join(","), close)?;
            if rps(&d) > rps(&straight) {
                straight = d;
            }
        }
        println!(
            "{what:<34} | {:>9.0} {:>8.2} {:>8.2} | {:>9.0} {:>8.2} {:>8.2} | {:>5.0}%",
            rps(&through),
            through["p50_ms"].as_f64().unwrap_or(0.0),
            through["p99_ms"].as_f64().unwrap_or(0.0),
            rps(&straight),
            straight["p50_ms"].as_f64().unwrap_or(0.0),
            straight["p99_ms"].as_f64().unwrap_or(0.0),
            100.0 * rps(&through) / rps(&straight).max(1.0)
        );
    }

    // An Endpoints change to the rules: a selector-less Service whose Endpoints are rewritten by hand,
    // timed from the write's answer until `iptables-save` shows the new address.
    let probe = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "probe"},
        "spec": {"ports": [{"port": 81}]}});
    post_json(
        &a,
        &format!("{url}/api/v1/namespaces/default/services"),
        &probe,
    );
    // Each write is a PUT, which makes the Endpoints the first time.
    let mut times = Vec::new();
    for i in 1..=20 {
        let ep = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "probe"},
            "subsets": [{"addresses": [{"ip": format!("192.0.2.{i}")}], "ports": [{"port": 9000 + i}]}]});
        let put = a
            .put(&format!("{url}/api/v1/namespaces/default/endpoints/probe"))
            .send_json(&ep)?;
        if !put.status().is_success() {
            return Err(format!("writing the probe's Endpoints: {}", put.status()).into());
        }
        let want = format!("192.0.2.{i}:{}", 9000 + i);
        times.push(until(10, || {
            Command::new("iptables-save")
                .args(["-t", "nat"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(&want))
        })?);
    }
    times.sort();
    println!(
        "Endpoints change to rules (20 changes, polled by iptables-save): p50 {:.0} ms, p99 {:.0} ms",
        pct(&times, 0.5),
        pct(&times, 0.99)
    );

    // Scaling down: deleting a backend pod, until the Endpoints no longer list it.
    let mut times = Vec::new();
    for i in 0..2 {
        let gone = a
            .delete(&format!("{pods}/web-{i}"))
            .call()
            .map(|r| r.status().is_success())
            .unwrap_or(false);
        if !gone {
            return Err(format!("deleting web-{i} failed").into());
        }
        times.push(until(10, || addresses(&get(&ep_url)).len() == 2 - i)?);
    }
    times.sort();
    println!(
        "Pod deleted to its address gone from the Endpoints: {:.0} ms and {:.0} ms",
        pct(&times, 0.0),
        pct(&times, 1.0)
    );
    println!();
    // The agent stops as an operator stops it, taking its rules off the host.
    agent_proc.terminate();
    drop(server);
    Ok(())
}
