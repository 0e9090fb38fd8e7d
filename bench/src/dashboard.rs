//! The dashboard at scale (`KYB_BENCH_ONLY=dashboard`): 10,000 pods on simulated nodes and 100 pod updates a
//! second; `kyb dashboard -A` in a real terminal (tmux) watching the pod view, beside `kubectl get pods -A -w`
//! holding the same watch, in one run: the time to the first full screen (or the whole list printed), and
//! the RSS and CPU of each while the updates flow.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{agent, load, post_json, start_kybd, BoxError, Proc, KUBECTL};

const PODS: usize = 10_000;
const NODES: usize = 100;
/// Pod updates a second while measuring, and how long the measuring lasts.
const CHURN: u64 = 100;
const WINDOW: Duration = Duration::from_secs(10);

/// CPU seconds (user and system) and RSS in MB of a process, from /proc.
fn usage(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let cpu: f64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse::<f64>().ok())
        .sum::<f64>()
        / 100.0;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0;
    (cpu, rss)
}

/// Patches `CHURN` pods a second (a label whose value names the round, so that no patch is a no-op that the
/// server would not pass on), round the list, until `stop`.
fn churn(
    url: String,
    round: &'static str,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let a = agent();
        let start = Instant::now();
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let due = start + Duration::from_micros(i * 1_000_000 / CHURN);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let pod = format!(
                "{url}/api/v1/namespaces/default/pods/pod-{}",
                i as usize % PODS
            );
            let body = json!({"metadata": {"labels": {"churn": format!("{round}-{i}")}}});
            let ok = a
                .patch(&pod)
                .header("Content-Type", "application/merge-patch+json")
                .send(body.to_string().as_bytes())
                .is_ok_and(|r| r.status().is_success());
            if ok {
                done.fetch_add(1, Ordering::Relaxed);
            }
            i += 1;
        }
    })
}

/// The process tmux runs in its pane, or its child of that name.
fn pane_process(socket: &str, name: &str) -> Option<u32> {
    let out = Command::new("tmux")
        .args([
            "-L",
            socket,
            "display-message",
            "-p",
            "-t",
            "dash",
            "#{pane_pid}",
        ])
        .output()
        .ok()?;
    let pid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    let comm = |p: u32| std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
    if comm(pid).trim() == name {
        return Some(pid);
    }
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let p: u32 = e.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        let ppid: u32 = stat
            .rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        (ppid == pid && comm(p).trim() == name).then_some(p)
    })
}

/// CPU (% of one core) and RSS (MB, at the end) of `pid` over the window, with the churn running.
fn measure(pid: u32, url: &str, round: &'static str) -> (f64, f64, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let churner = churn(url.to_string(), round, stop.clone(), done.clone());
    let (cpu0, _) = usage(pid);
    let start = Instant::now();
    std::thread::sleep(WINDOW);
    let (cpu1, rss) = usage(pid);
    let secs = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let _ = churner.join();
    (
        100.0 * (cpu1 - cpu0) / secs,
        rss,
        done.load(Ordering::Relaxed) as f64 / secs,
    )
}

pub fn bench(bin: &Path, kyb: &Path) -> Result<(), BoxError> {
    let (server, url) = start_kybd(bin, "dashboard")?;
    let kubeconfig = server.dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!("apiVersion: v1\nkind: Config\ncurrent-context: bench\nclusters:\n- name: bench\n  cluster: {{server: \"{url}\"}}\ncontexts:\n- name: bench\n  context: {{cluster: bench, user: bench}}\nusers:\n- name: bench\n  user: {{}}\n"),
    )?;
    let _nodes = Proc::component(
        bin,
        "agent",
        &url,
        &[
            "--runtime",
            "simulated",
            "--nodes",
            &NODES.to_string(),
            "--max-pods",
            "200",
        ],
    )?;
    let pods_url = format!("{url}/api/v1/namespaces/default/pods");
    let (_, _, failed) = load(16, PODS, move |a, i| {
        let mut p = super::pod(i);
        p["spec"]["nodeName"] = json!(format!("kybernet-node-{}", i % NODES));
        post_json(a, &pods_url, &p)
    });
    if failed > 0 {
        return Err(format!("{failed} pod creates failed").into());
    }
    // Let the simulated kubelets report every pod Running before anything is timed.
    let a = agent();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let running = a
            .get(&format!(
                "{url}/api/v1/pods?fieldSelector=status.phase%3DRunning"
            ))
            .call()
            .ok()
            .and_then(|r| {
                r.into_body()
                    .with_config()
                    .limit(1 << 30)
                    .read_json::<serde_json::Value>()
                    .ok()
            })
            .and_then(|l| l["items"].as_array().map(Vec::len))
            .unwrap_or(0);
        if running >= PODS {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("only {running} of {PODS} pods running").into());
        }
        std::thread::sleep(Duration::from_secs(2));
    }

    // The dashboard, in a terminal of its own.
    let socket = format!("kyb-bench-dash-{}", std::process::id());
    struct Tmux(String);
    impl Drop for Tmux {
        fn drop(&mut self) {
            let _ = Command::new("tmux")
                .args(["-L", &self.0, "kill-server"])
                .output();
        }
    }
    let _tmux = Tmux(socket.clone());
    let started = Instant::now();
    let ok = Command::new("tmux")
        .args([
            "-L",
            &socket,
            "new-session",
            "-d",
            "-s",
            "dash",
            "-x",
            "200",
            "-y",
            "50",
        ])
        .arg(format!(
            "exec env KUBECONFIG={} {} dashboard -A",
            kubeconfig.display(),
            kyb.display()
        ))
        .status()?
        .success();
    if !ok {
        return Err("tmux would not start".into());
    }
    let want = format!("pods(all) [{PODS}]");
    loop {
        let screen = Command::new("tmux")
            .args(["-L", &socket, "capture-pane", "-p", "-t", "dash"])
            .output()?;
        let screen = String::from_utf8_lossy(&screen.stdout);
        if screen.contains(&want) && screen.contains("pod-") {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!("the dashboard did not show {want}").into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let dash_first = started.elapsed();
    let pid = pane_process(&socket, "kyb").ok_or("no kyb process in the pane")?;
    let (dash_cpu, dash_rss, dash_rate) = measure(pid, &url, "dashboard");
    drop(_tmux);

    // kubectl holding the same watch; its output read (and dropped) as it comes.
    let started = Instant::now();
    let mut child = Command::new(KUBECTL)
        .args(["get", "pods", "-A", "-w"])
        .env("KUBECONFIG", &kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    for _ in 0..=PODS {
        line.clear();
        if out.read_line(&mut line)? == 0 {
            return Err("kubectl stopped before the list was printed".into());
        }
    }
    let kubectl_first = started.elapsed();
    let printed = Arc::new(AtomicUsize::new(0));
    let counter = printed.clone();
    let drain = std::thread::spawn(move || {
        let mut line = String::new();
        while out.read_line(&mut line).is_ok_and(|n| n > 0) {
            counter.fetch_add(1, Ordering::Relaxed);
            line.clear();
        }
    });
    let before = printed.load(Ordering::Relaxed);
    let (k_cpu, k_rss, k_rate) = measure(child.id(), &url, "kubectl");
    let lines = (printed.load(Ordering::Relaxed) - before) as f64 / WINDOW.as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    let _ = drain.join();

    println!(
        "Dashboard: {PODS} pods on {NODES} simulated nodes, ~{CHURN} pod updates/s (goals: under 60 MB, under 5% of a core, first screen under 1 s)"
    );
    println!(
        "{:<30} | {:>14} | {:>8} | {:>10} | {:>10}",
        "", "first screen s", "RSS MB", "CPU % core", "updates/s"
    );
    for (what, first, rss, cpu, rate) in [
        (
            "kyb dashboard -A (pods)",
            dash_first,
            dash_rss,
            dash_cpu,
            dash_rate,
        ),
        (
            "kubectl 1.32 get pods -A -w",
            kubectl_first,
            k_rss,
            k_cpu,
            k_rate,
        ),
    ] {
        println!(
            "{what:<30} | {:>14.2} | {rss:>8.1} | {cpu:>10.1} | {rate:>10.0}",
            first.as_secs_f64()
        );
    }
    println!("(kubectl printed {lines:.0} lines/s during its window)");
    println!();
    Ok(())
}
