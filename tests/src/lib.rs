//! The end-to-end harness: a fresh `kybd` on a free loopback port per test, and the real clients to drive it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The folder holding the workspace's built binaries (`target/debug`).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // The test binary lives in target/<profile>/deps/.
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A workspace binary by name, failing clearly when it has not been built.
pub fn bin(name: &str) -> PathBuf {
    let p = bin_dir().join(name);
    assert!(
        p.exists(),
        "{} is missing: run `cargo build --workspace --bins` before the tests",
        p.display()
    );
    p
}

/// A temporary folder removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("kyb-e2e-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("creating {}: {e}", p.display()));
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `kybd server` with its own data folder.
pub struct Kybd {
    child: Option<Child>,
    pub dir: TempDir,
    pub url: String,
    pub kubeconfig: PathBuf,
    log: PathBuf,
}

impl Kybd {
    /// Starts kybd on a free port with a fresh data folder.
    pub fn start() -> Kybd {
        Kybd::start_in(TempDir::new("kybd"), &[])
    }

    /// Starts kybd without its workload controllers: for tests of the API server's own semantics, and for
    /// comparing clients, where objects must stay as the tests leave them.
    pub fn api_only() -> Kybd {
        Kybd::start_with(&["--disable-controllers"])
    }

    /// Starts kybd with extra flags.
    pub fn start_with(args: &[&str]) -> Kybd {
        Kybd::start_in(TempDir::new("kybd"), args)
    }

    /// Starts kybd with its embedded node agent (every other start disables it), with extra environment.
    pub fn start_with_agent(env: &[(&str, &str)]) -> Kybd {
        Kybd::launch(TempDir::new("kybd"), &[], true, env)
    }

    /// Starts kybd on an existing data folder (for restart tests).
    pub fn start_in(dir: TempDir, extra: &[&str]) -> Kybd {
        Kybd::launch(dir, extra, false, &[])
    }

    fn launch(dir: TempDir, extra: &[&str], agent: bool, env: &[(&str, &str)]) -> Kybd {
        let kubeconfig = dir.0.join("kubeconfig.yaml");
        let _ = std::fs::remove_file(&kubeconfig);
        let log = dir.0.join(format!(
            "kybd-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let logfile = std::fs::File::create(&log).unwrap_or_else(|e| panic!("creating log: {e}"));
        // A restart may keep its port (`--listen` among the extras), so that clients find it again.
        let listen = (!extra.contains(&"--listen")).then_some(["--listen", "127.0.0.1:0"]);
        let child = Command::new(bin("kybd"))
            .arg("server")
            .args(listen.into_iter().flatten())
            .args((!agent).then_some("--disable-agent"))
            .arg("--data-dir")
            .arg(&dir.0)
            .args(extra)
            .env("KYBD_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(logfile)
            .spawn()
            .unwrap_or_else(|e| panic!("starting kybd: {e}"));
        let mut k = Kybd {
            child: Some(child),
            dir,
            url: String::new(),
            kubeconfig,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(text) = std::fs::read_to_string(&k.kubeconfig) {
                if let Some(line) = text.lines().find(|l| l.trim_start().starts_with("server:")) {
                    k.url = line
                        .trim_start()
                        .trim_start_matches("server:")
                        .trim()
                        .to_string();
                    break;
                }
            }
            if let Some(Ok(Some(status))) = k.child.as_mut().map(|c| c.try_wait()) {
                panic!("kybd exited early ({status}):\n{}", k.log());
            }
            assert!(
                Instant::now() < deadline,
                "kybd did not start:\n{}",
                k.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        k
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the server with SIGKILL and hands back its data folder.
    pub fn kill9(mut self) -> TempDir {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let dir = std::mem::replace(&mut self.dir, TempDir(PathBuf::new()));
        std::mem::forget(self);
        dir
    }

    /// Runs a client binary with this server's kubeconfig.
    pub fn run(&self, program: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", &self.dir.0);
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            let _ = pipe.write_all(input.as_bytes());
        }
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("waiting for {}: {e}", program.display()))
    }

    /// Runs a client and asserts success, printing everything on failure.
    pub fn ok(&self, program: &Path, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(program, args, stdin);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{} {args:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{}\nserver log:\n{}",
            program.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        stdout
    }

    /// Runs a client expecting failure; returns stderr.
    pub fn fails(&self, program: &Path, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(program, args, stdin);
        assert!(
            !out.status.success(),
            "{} {args:?} unexpectedly succeeded:\n{}",
            program.display(),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// A raw HTTP request; returns the status and the body parsed as JSON (Null when it is not JSON).
    pub fn http(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
        let (code, text) = self.http_raw(method, path, &[("Content-Type", content_type)], body);
        (code, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A raw HTTP request with extra headers; returns the status and the body text.
    pub fn http_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("{}{path}", self.url);
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(body.to_vec())
            .unwrap_or_else(|e| panic!("building request: {e}"));
        let mut resp = agent
            .run(req)
            .unwrap_or_else(|e| panic!("{method} {url}: {e}\n{}", self.log()));
        let code = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap_or_default();
        (code, text)
    }

    pub fn get_json(&self, path: &str) -> (u16, Value) {
        self.http("GET", path, "application/json", b"")
    }

    /// Opens a watch and returns a reader of its event lines.
    pub fn watch(&self, path: &str) -> impl Iterator<Item = Value> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("{}{path}", self.url);
        let resp = agent
            .get(&url)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let reader = BufReader::new(resp.into_body().into_reader());
        reader
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str(&l).ok())
    }
}

impl Drop for Kybd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A child process killed (and waited for) on drop.
pub struct Guard(pub Child);

impl Guard {
    /// Stops the process as a signal from its operator would (SIGTERM), killing it if it has not ended
    /// within ten seconds.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.0.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Kybd {
    /// Starts `kybd agent` against this server with the given flags; its log goes to the server's folder.
    pub fn agent(&self, args: &[&str]) -> Guard {
        // Each agent's proxy metrics on a port of its own, unless the test names one.
        let mut args = args.to_vec();
        if !args.contains(&"--metrics-bind-address") {
            args.extend(["--metrics-bind-address", "127.0.0.1:0"]);
        }
        self.component("agent", &args)
    }

    /// Starts `kybd controller-manager` against this server (for a server started without its own).
    pub fn controller_manager(&self) -> Guard {
        self.component("controller-manager", &[])
    }

    fn component(&self, command: &str, args: &[&str]) -> Guard {
        let log = std::fs::File::create(
            self.dir
                .0
                .join(format!("{command}-{}.log", std::process::id())),
        )
        .unwrap_or_else(|e| panic!("{command} log: {e}"));
        let child = Command::new(bin("kybd"))
            .args([command, "--server", &self.url])
            .args(args)
            .env("KYBD_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting kybd {command}: {e}"));
        Guard(child)
    }

    /// Starts `kybd agent --runtime simulated` with `count` nodes named `prefix0`, `prefix1`, ..., renewing
    /// their Leases every second, plus any `extra` flags.
    pub fn simulated_nodes(&self, count: usize, prefix: &str, extra: &[&str]) -> Guard {
        let count = count.to_string();
        let mut args = vec![
            "--runtime",
            "simulated",
            "--nodes",
            &count,
            "--node-name-prefix",
            prefix,
        ];
        args.extend_from_slice(extra);
        args.extend(["--lease-interval-seconds", "1"]);
        self.agent(&args)
    }

    /// The pods `selector` picks that run and are not being deleted.
    pub fn running_pods(&self, selector: &str) -> Vec<Value> {
        self.get(&["pods", "-l", selector])["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| {
                p["metadata"]["deletionTimestamp"].is_null() && p["status"]["phase"] == "Running"
            })
            .cloned()
            .collect()
    }

    /// `kyb get ARGS -o json`, parsed (Null if kyb failed).
    pub fn get(&self, args: &[&str]) -> Value {
        let mut all = vec!["get"];
        all.extend_from_slice(args);
        all.extend(["-o", "json"]);
        let out = self.run(&bin("kyb"), &all, None);
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }
}

/// kubectl 1.32, the binary itself rather than the version dispatcher.
/// Waits up to `secs` for `f()` to give `want`, failing with `what` and what it gave last.
pub fn converge<T, W>(secs: u64, what: &str, want: &W, mut f: impl FnMut() -> T)
where
    T: PartialEq<W> + std::fmt::Debug,
    W: std::fmt::Debug + ?Sized,
{
    let reached = eventually(secs, || (f() == *want).then_some(()));
    assert!(reached.is_some(), "{what}: want {want:?}, have {:?}", f());
}

pub fn kubectl() -> PathBuf {
    let direct = PathBuf::from("/usr/lib/google-cloud-sdk/bin/kubectl.1.32");
    if direct.exists() {
        direct
    } else {
        PathBuf::from("/usr/bin/kubectl")
    }
}

/// Debian's kubectl 1.20, unpacked by `.ci/run` into a private folder (never over /usr/bin/kubectl).
pub fn kubectl_120() -> Option<PathBuf> {
    let dir = std::env::var_os("KYB_KUBECTL_120")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/kybernet-test/kubectl-1.20/usr/bin/kubectl"));
    dir.exists().then_some(dir)
}

/// Debian's Python, which has `python3-kubernetes`.
pub fn python() -> PathBuf {
    PathBuf::from("/usr/bin/python3")
}

/// The folder of the test scripts in this crate.
pub fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// Polls `f` until it returns Some, for up to `secs` seconds.
pub fn eventually<T>(secs: u64, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The image the Docker tests run, built once per test process by `scripts/busybox-image.sh` (Debian's
/// static busybox and a link per applet, `FROM scratch`), since nothing can be pulled here.
pub const BUSYBOX_IMAGE: &str = "kybernet-test/busybox:1.36";

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running docker {args:?}: {e}"))
}

/// Builds [`BUSYBOX_IMAGE`] unless it exists.
pub fn busybox_image() -> &'static str {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        if docker(&["image", "inspect", BUSYBOX_IMAGE])
            .status
            .success()
        {
            return;
        }
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/busybox-image.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg(BUSYBOX_IMAGE)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{}: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    });
    BUSYBOX_IMAGE
}

/// A `kybd agent --runtime docker` node of a test's own, with its own Docker network. Dropping it stops the
/// agent and removes every container and the network it made, even when the test failed.
pub struct DockerNode {
    agent: Option<Guard>,
    pub name: String,
    pub network: String,
    /// Where the node's service proxy serves /metrics and /proxyMode.
    pub proxy_metrics: String,
    /// Flags the agent is started with besides the harness's own.
    extra: Vec<String>,
}

impl DockerNode {
    /// Stops the agent (as a crash would: SIGKILL), leaving its containers running.
    pub fn kill_agent(&mut self) {
        self.agent.take();
    }

    /// The ids of this node's containers that pass every `docker ps` filter given (`status=running`, ...).
    pub fn containers(&self, filters: &[&str]) -> Vec<String> {
        let label = format!("label=io.kybernet.node={}", self.name);
        let mut args = vec!["ps", "-aq", "--no-trunc", "--filter", &label];
        for f in filters {
            args.extend(["--filter", f]);
        }
        let out = docker(&args);
        let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        ids.sort();
        ids
    }
}

impl Drop for DockerNode {
    fn drop(&mut self) {
        // A stopping agent takes its proxy rules off the host; one that was killed leaves them to --cleanup.
        if let Some(agent) = self.agent.take() {
            agent.stop();
        }
        let _ = Command::new(bin("kybd"))
            .args(["proxy", "--cleanup", "--hostname-override", &self.name])
            .stderr(Stdio::null())
            .status();
        let ids = self.containers(&[]);
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids.iter().map(String::as_str));
            docker(&args);
        }
        // An agent killed while asking for its network may have it made just after: look again.
        for _ in 0..5 {
            docker(&["network", "rm", &self.network]);
            if !docker(&["network", "inspect", &self.network])
                .status
                .success()
            {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

impl Kybd {
    /// Starts a Docker node (see [`DockerNode`]) against this server.
    pub fn docker_node(&self) -> DockerNode {
        self.docker_node_with(&[])
    }

    /// Starts a Docker node whose agent is given `extra` flags too.
    pub fn docker_node_with(&self, extra: &[&str]) -> DockerNode {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("kyb-e2e-{}-{n}", std::process::id());
        let mut node = DockerNode {
            agent: None,
            network: name.clone(),
            name: name.clone(),
            proxy_metrics: format!("127.0.0.1:{}", free_port()),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        node.agent = Some(self.start_docker_agent(&node));
        node
    }

    /// Starts (again) the agent of a Docker node.
    pub fn start_docker_agent(&self, node: &DockerNode) -> Guard {
        let root = self.dir.0.join(format!("agent-{}", node.name));
        let root = root.to_string_lossy();
        let mut args = vec![
            "--runtime",
            "docker",
            "--node-name",
            &node.name,
            "--docker-network",
            &node.network,
            "--root-dir",
            &root,
            "--kubelet-port",
            "0",
            "--lease-interval-seconds",
            "1",
            "--metrics-bind-address",
            &node.proxy_metrics,
        ];
        args.extend(node.extra.iter().map(String::as_str));
        self.agent(&args)
    }

    /// Restarts a Docker node's agent after [`DockerNode::kill_agent`].
    pub fn restart_docker_agent(&self, node: &mut DockerNode) {
        node.agent = Some(self.start_docker_agent(node));
    }
}

/// A `kybd agent --runtime process` node of a test's own: its pods run as host processes under its own
/// root folder. Dropping it stops the agent and kills every process its containers started, even when the
/// test failed.
pub struct ProcessNode {
    agent: Option<Guard>,
    pub name: String,
    pub root: PathBuf,
}

impl ProcessNode {
    /// The process node an agent runs elsewhere (say, embedded in kybd) under `root`: dropping it kills
    /// what its containers left running.
    pub fn at(name: &str, root: PathBuf) -> ProcessNode {
        ProcessNode {
            agent: None,
            name: name.to_string(),
            root,
        }
    }

    /// Stops the agent (as a crash would: SIGKILL), leaving its containers running.
    pub fn kill_agent(&mut self) {
        self.agent.take();
    }

    /// Each container's recorded state (`state.json`), by container id.
    fn states(&self) -> Vec<(String, Value)> {
        states_at(&self.root)
    }

    /// The ids of this node's containers whose command still runs, sorted.
    pub fn running(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .states()
            .into_iter()
            .filter(|(_, s)| {
                s["exitCode"].is_null()
                    && s["pid"]
                        .as_u64()
                        .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists())
            })
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        ids
    }
}

impl Drop for ProcessNode {
    fn drop(&mut self) {
        self.agent.take();
        kill_process_containers(&self.root);
    }
}

/// Each container's recorded state under a process-runtime node's `root`, by container id.
fn states_at(root: &Path) -> Vec<(String, Value)> {
    let Ok(entries) = std::fs::read_dir(root.join("containers")) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| {
            let e = e.ok()?;
            let state = std::fs::read(e.path().join("state.json")).ok()?;
            Some((
                e.file_name().to_string_lossy().into_owned(),
                serde_json::from_slice(&state).ok()?,
            ))
        })
        .collect()
}

/// Kills what a process-runtime node under `root` left running (its containers' processes outlive the
/// agent by design), from the shims' state files.
pub fn kill_process_containers(root: &Path) {
    for (_, s) in states_at(root) {
        for (key, group) in [("pid", true), ("shim", false)] {
            if let Some(pid) = s[key].as_u64().filter(|p| *p > 1) {
                let target = if group {
                    format!("-{pid}")
                } else {
                    pid.to_string()
                };
                let _ = Command::new("kill")
                    .args(["-9", "--", &target])
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

impl Kybd {
    /// Starts a process-runtime node (see [`ProcessNode`]) against this server.
    pub fn process_node(&self) -> ProcessNode {
        let name = format!("kyb-proc-{}", std::process::id());
        let mut node = ProcessNode {
            agent: None,
            root: self.dir.0.join(format!("agent-{name}")),
            name,
        };
        self.restart_process_agent(&mut node);
        node
    }

    /// Starts (again) the agent of a process node.
    pub fn restart_process_agent(&self, node: &mut ProcessNode) {
        node.agent = Some(self.agent(&[
            "--runtime",
            "process",
            "--node-name",
            &node.name,
            "--root-dir",
            &node.root.to_string_lossy(),
            "--kubelet-port",
            "0",
            "--lease-interval-seconds",
            "1",
        ]));
    }
}
