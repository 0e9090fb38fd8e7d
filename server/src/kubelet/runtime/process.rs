//! The process runtime, for machines without Docker (like Nomad's raw_exec): each container is a host
//! process. It gives the same pod lifecycle as Docker (restart policies and back-off, probes against the
//! node's address, hooks, status, graceful deletion, adoption after a restart) but no isolation: no
//! images, no network namespace (pods share the host's, so their IP is the node's), no mounts (volumes are
//! made on disk but a process sees the host's filesystem), no limits and no users.
//!
//! Each container is run by a shim, `kybd shim <dir>`, in a process group of its own so that it outlives
//! the agent: it starts the command in a further group, writes its output to `<dir>/log` in the CRI log
//! format, and records the start and the exit in `<dir>/state.json`. A restarted agent reads those files
//! and so adopts what runs.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    Container, ContainerRuntime, ExecSession, LogOptions, LogStream, RuntimeError, Sandbox, Spec,
};

/// What a container is started from, written by the agent for the shim.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    pod_uid: String,
    name: String,
    attempt: u32,
    argv: Vec<String>,
    env: Vec<(String, String)>,
    working_dir: Option<String>,
}

/// What the shim records.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct State {
    /// The shim's own pid, to tell whether it still runs.
    shim: u32,
    /// The command's pid, which is also its process group.
    pid: u32,
    started_at: Option<chrono::DateTime<chrono::Utc>>,
    exit_code: Option<i64>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A node's pods as host processes under `dir`.
pub struct ProcessRuntime {
    dir: PathBuf,
    /// The program that runs as the shim: this kybd.
    shim: PathBuf,
    host_ip: String,
}

/// The search path containers get when they set none: Docker's default.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl ProcessRuntime {
    /// Keeps containers under `dir`; pods get `host_ip` as their address.
    pub fn new(dir: PathBuf, host_ip: &str) -> Result<Self, RuntimeError> {
        std::fs::create_dir_all(&dir).map_err(|e| RuntimeError::io(dir.display(), e))?;
        let shim = std::env::current_exe().map_err(|e| RuntimeError::io("finding kybd", e))?;
        Ok(ProcessRuntime {
            dir,
            shim,
            host_ip: host_ip.to_string(),
        })
    }

    /// The runtime as the node reports it.
    pub fn version() -> String {
        format!("process://{}", env!("CARGO_PKG_VERSION"))
    }

    fn ids(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect()
    }

    fn read(&self, id: &str) -> Option<(Config, State)> {
        let dir = self.dir.join(id);
        let config = serde_json::from_slice(&std::fs::read(dir.join("config.json")).ok()?).ok()?;
        let state = std::fs::read(dir.join("state.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Some((config, state))
    }

    /// The container as it is now: a shim that died without recording an exit counts as killed.
    fn container(&self, id: &str) -> Option<(Config, Container)> {
        let (config, state) = self.read(id)?;
        let alive = shim_alive(state.shim, &self.dir.join(id));
        let running = state.exit_code.is_none() && state.pid != 0 && alive;
        let lost = state.exit_code.is_none() && !running;
        let c = Container {
            id: id.to_string(),
            name: config.name.clone(),
            attempt: config.attempt,
            running,
            exit_code: state.exit_code.unwrap_or(if lost { 137 } else { 0 }),
            oom_killed: false,
            started_at: state.started_at,
            finished_at: state
                .finished_at
                .or(if lost { state.started_at } else { None }),
            image_id: String::new(),
        };
        Some((config, c))
    }
}

/// Whether the shim of a container still runs: its pid, with its container's folder on the command line
/// (so that a reused pid does not count).
fn shim_alive(pid: u32, dir: &Path) -> bool {
    pid != 0
        && std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&*dir.to_string_lossy()))
}

fn signal_group(pid: u32, signal: rustix::process::Signal) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}

/// Where a program is found: itself when it names a path, else the first match on the search path.
fn resolve(program: &str, path: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let p = PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    path.split(':')
        .map(|d| Path::new(d).join(program))
        .find(|p| executable(p))
}

fn env_pairs(env: &[String]) -> Vec<(String, String)> {
    env.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (kv.clone(), String::new()),
        })
        .collect()
}

impl ContainerRuntime for ProcessRuntime {
    fn scheme(&self) -> &'static str {
        "process"
    }

    async fn containers(&self, pod_uid: &str) -> Result<Vec<Container>, RuntimeError> {
        let prefix = format!("{pod_uid}_");
        Ok(self
            .ids()
            .iter()
            .filter(|id| id.starts_with(&prefix))
            .filter_map(|id| self.container(id))
            .map(|(_, c)| c)
            .collect())
    }

    async fn node_containers(&self) -> Result<Vec<(String, String)>, RuntimeError> {
        Ok(self
            .ids()
            .into_iter()
            .filter_map(|id| {
                let (config, _) = self.read(&id)?;
                Some((id, config.pod_uid))
            })
            .collect())
    }

    async fn sandbox(
        &self,
        _pod: &Value,
        _containers: &[Container],
    ) -> Result<Sandbox, RuntimeError> {
        // Pods share the host's network: nothing to hold, and the pod's address is the node's.
        Ok(Sandbox {
            id: String::new(),
            ip: self.host_ip.clone(),
            created: false,
        })
    }

    async fn image_present(&self, _image: &str) -> bool {
        true
    }

    async fn pull(&self, _image: &str) -> Result<(), String> {
        Ok(())
    }

    async fn start(&self, spec: Spec) -> Result<String, RuntimeError> {
        let argv: Vec<String> = spec
            .command
            .into_iter()
            .flatten()
            .chain(spec.args.into_iter().flatten())
            .collect();
        let Some(program) = argv.first() else {
            return Err(RuntimeError::Refused(
                "the process runtime needs a command or args: it has no image to take one from"
                    .into(),
            ));
        };
        let mut env = env_pairs(&spec.env);
        let path = match env.iter().find(|(k, _)| k == "PATH") {
            Some((_, p)) => p.clone(),
            None => {
                env.insert(0, ("PATH".into(), DEFAULT_PATH.into()));
                DEFAULT_PATH.into()
            }
        };
        if !env.iter().any(|(k, _)| k == "HOSTNAME") {
            env.insert(0, ("HOSTNAME".into(), spec.pod_name.clone()));
        }
        if resolve(program, &path).is_none() {
            return Err(RuntimeError::Refused(format!(
                "exec: {program:?}: executable file not found in $PATH"
            )));
        }
        if let Some(wd) = spec.working_dir.as_deref() {
            if !Path::new(wd).is_dir() {
                return Err(RuntimeError::Refused(format!(
                    "chdir to cwd ({wd:?}) set in config.json failed: no such file or directory"
                )));
            }
        }
        let id = format!("{}_{}_{}", spec.pod_uid, spec.name, spec.attempt);
        let dir = self.dir.join(&id);
        std::fs::create_dir_all(&dir).map_err(|e| RuntimeError::io(dir.display(), e))?;
        let config = Config {
            pod_uid: spec.pod_uid,
            name: spec.name,
            attempt: spec.attempt,
            argv,
            env,
            working_dir: spec.working_dir,
        };
        let body = serde_json::to_vec(&config).map_err(|e| RuntimeError::Refused(e.to_string()))?;
        std::fs::write(dir.join("config.json"), body)
            .map_err(|e| RuntimeError::io(dir.display(), e))?;
        let mut child = tokio::process::Command::new(&self.shim)
            .arg("shim")
            .arg(&dir)
            .process_group(0)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| RuntimeError::io("starting the shim", e))?;
        // Reap the shim when it ends (a shim adopted after a restart is reaped by init instead).
        tokio::spawn(async move {
            let _ = child.wait().await;
        });
        // The shim records the start at once; wait for it, so the next listing shows the container.
        for _ in 0..200 {
            if self
                .read(&id)
                .is_some_and(|(_, s)| s.pid != 0 || s.exit_code.is_some())
            {
                return Ok(id);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err(RuntimeError::Refused(format!(
            "the shim of {id} did not record a start"
        )))
    }

    async fn stop(&self, id: &str, grace: Duration) {
        let Some((_, state)) = self.read(id) else {
            return;
        };
        if state.exit_code.is_some() || state.pid == 0 {
            return;
        }
        let ended = || self.read(id).is_none_or(|(_, s)| s.exit_code.is_some());
        signal_group(state.pid, rustix::process::Signal::TERM);
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline && !ended() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if !ended() {
            signal_group(state.pid, rustix::process::Signal::KILL);
        }
        for _ in 0..100 {
            if ended() || !shim_alive(state.shim, &self.dir.join(id)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn remove(&self, id: &str) {
        self.stop(id, Duration::ZERO).await;
        let dir = self.dir.join(id);
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::debug!(container = id, error = %e, "removing a container failed");
        }
    }

    async fn exec(&self, id: &str, command: Vec<String>, timeout: Duration) -> Result<(), String> {
        let Some((config, c)) = self.container(id) else {
            return Err(format!("container {id} not found"));
        };
        if !c.running {
            return Err(format!("container {id} is not running"));
        }
        let Some(program) = command.first() else {
            return Err("no command to run".into());
        };
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(&command[1..])
            .env_clear()
            .envs(config.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        if let Some(wd) = &config.working_dir {
            cmd.current_dir(wd);
        }
        match tokio::time::timeout(timeout, cmd.output()).await {
            Err(_) => Err(format!("command timed out after {}s", timeout.as_secs())),
            Ok(Err(e)) => Err(format!("exec: {program:?}: {e}")),
            Ok(Ok(out)) if out.status.success() => Ok(()),
            Ok(Ok(out)) => {
                let text = [out.stdout, out.stderr].concat();
                let code = out.status.code().map_or(-1, i64::from);
                Err(super::exec_failure(
                    &command,
                    code,
                    &String::from_utf8_lossy(&text),
                ))
            }
        }
    }

    async fn exec_session(
        &self,
        id: &str,
        command: Vec<String>,
        stdin: bool,
        tty: bool,
    ) -> Result<ExecSession, RuntimeError> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Some((config, c)) = self.container(id) else {
            return Err(RuntimeError::Refused(format!("container {id} not found")));
        };
        if !c.running {
            return Err(RuntimeError::Refused(format!(
                "container {id} is not running"
            )));
        }
        if tty {
            return Err(RuntimeError::Refused(
                "the process runtime cannot give a command a terminal (tty)".into(),
            ));
        }
        let Some((program, args)) = command.split_first() else {
            return Err(RuntimeError::Refused("no command to run".into()));
        };
        let path = config
            .env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map_or(DEFAULT_PATH, |(_, v)| v.as_str());
        if resolve(program, path).is_none() {
            return Err(RuntimeError::Refused(format!(
                "exec: {program:?}: executable file not found in $PATH"
            )));
        }
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(config.env.iter().map(|(k, v)| (k, v)))
            .stdin(if stdin {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            })
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        if let Some(wd) = &config.working_dir {
            cmd.current_dir(wd);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| RuntimeError::io(format!("exec {program:?}"), e))?;
        let (out_tx, out_rx) = tokio::sync::mpsc::channel(64);
        let (exit_tx, exit_rx) = tokio::sync::oneshot::channel();
        let (resize_tx, _) = tokio::sync::mpsc::channel(1);
        let stdin_tx = child.stdin.take().map(|mut input| {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(64);
            tokio::spawn(async move {
                while let Some(data) = rx.recv().await {
                    if input.write_all(&data).await.is_err() {
                        break;
                    }
                }
            });
            tx
        });
        let pipes: Vec<(u8, Box<dyn tokio::io::AsyncRead + Send + Unpin>)> = [
            child.stdout.take().map(|o| (1u8, Box::new(o) as Box<_>)),
            child.stderr.take().map(|e| (2u8, Box::new(e) as Box<_>)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let readers: Vec<_> = pipes
            .into_iter()
            .map(|(channel, mut pipe)| {
                let tx = out_tx.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    while let Ok(n) = pipe.read(&mut buf).await {
                        if n == 0
                            || tx
                                .send((channel, bytes::Bytes::copy_from_slice(&buf[..n])))
                                .await
                                .is_err()
                        {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(out_tx);
        tokio::spawn(async move {
            for r in readers {
                let _ = r.await;
            }
            let code = match child.wait().await {
                Ok(s) => s.code().map_or(-1, i64::from),
                Err(_) => -1,
            };
            let _ = exit_tx.send(code);
        });
        Ok(ExecSession {
            stdin: stdin_tx,
            output: out_rx,
            resize: resize_tx,
            exit: exit_rx,
        })
    }

    async fn attach_session(
        &self,
        id: &str,
        stdin: bool,
        tty: bool,
    ) -> Result<ExecSession, RuntimeError> {
        if stdin || tty {
            return Err(RuntimeError::Refused(
                "the process runtime cannot attach to a container's input or give it a terminal"
                    .into(),
            ));
        }
        let dir = self.dir.join(id);
        let Some((_, c)) = self.container(id) else {
            return Err(RuntimeError::Refused(format!("container {id} not found")));
        };
        if !c.running {
            return Err(RuntimeError::Refused(format!(
                "container {id} is not running"
            )));
        }
        let (out_tx, out_rx) = tokio::sync::mpsc::channel(64);
        let (exit_tx, exit_rx) = tokio::sync::oneshot::channel();
        let (resize_tx, _) = tokio::sync::mpsc::channel(1);
        // From the end of what is written now: output as it comes, by its stream, until the end.
        let mut offset = std::fs::metadata(dir.join("log")).map_or(0, |m| m.len() as usize);
        tokio::spawn(async move {
            let ended = |dir: &Path| {
                std::fs::read(dir.join("state.json"))
                    .ok()
                    .and_then(|b| serde_json::from_slice::<State>(&b).ok())
                    .and_then(|s| s.exit_code)
            };
            loop {
                let code = ended(&dir);
                let text = std::fs::read(dir.join("log")).unwrap_or_default();
                let whole = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                for line in text
                    .get(offset..whole)
                    .unwrap_or_default()
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                {
                    let channel = if line.split(|b| *b == b' ').nth(1) == Some(b"stderr".as_slice())
                    {
                        2
                    } else {
                        1
                    };
                    let body = bytes::Bytes::from(render(line, false));
                    if out_tx.send((channel, body)).await.is_err() {
                        return;
                    }
                }
                offset = offset.max(whole);
                if let Some(code) = code {
                    drop(out_tx);
                    let _ = exit_tx.send(code);
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Ok(ExecSession {
            stdin: None,
            output: out_rx,
            resize: resize_tx,
            exit: exit_rx,
        })
    }

    async fn logs(&self, id: &str, options: LogOptions) -> Result<LogStream, RuntimeError> {
        let dir = self.dir.join(id);
        if !dir.join("config.json").exists() {
            return Err(RuntimeError::Refused(format!("container {id} not found")));
        }
        let text = std::fs::read(dir.join("log")).unwrap_or_default();
        // Only whole lines: a line still being written is read on the next look.
        let whole = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let mut lines: Vec<&[u8]> = text[..whole]
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .filter(|l| {
                options
                    .since
                    .is_none_or(|since| cri_time(l).is_none_or(|t| t >= since))
            })
            .collect();
        if let Some(n) = options.tail {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            lines.drain(..lines.len().saturating_sub(n));
        }
        let first: Vec<u8> = lines
            .iter()
            .flat_map(|l| render(l, options.timestamps))
            .collect();
        let first = bytes::Bytes::from(first);
        if !options.follow {
            return Ok(Box::pin(futures::stream::once(async { Ok(first) })));
        }
        // Following: new whole lines as they come, until the container has ended and all is read.
        let state = (Some(first), whole, dir, options.timestamps);
        let stream = futures::stream::unfold(state, |(first, offset, dir, ts)| async move {
            if let Some(first) = first.filter(|f| !f.is_empty()) {
                return Some((Ok(first), (None, offset, dir, ts)));
            }
            loop {
                let ended = std::fs::read(dir.join("state.json"))
                    .ok()
                    .and_then(|b| serde_json::from_slice::<State>(&b).ok())
                    .is_none_or(|s| s.exit_code.is_some());
                let text = std::fs::read(dir.join("log")).unwrap_or_default();
                let whole = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                if whole > offset {
                    let out: Vec<u8> = text[offset..whole]
                        .split(|b| *b == b'\n')
                        .filter(|l| !l.is_empty())
                        .flat_map(|l| render(l, ts))
                        .collect();
                    return Some((Ok(bytes::Bytes::from(out)), (None, whole, dir, ts)));
                }
                if ended {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Ok(Box::pin(stream))
    }

    async fn log_tail(&self, id: &str, lines: usize) -> String {
        let text = std::fs::read(self.dir.join(id).join("log")).unwrap_or_default();
        let all: Vec<&[u8]> = text
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let out: Vec<u8> = all[all.len().saturating_sub(lines)..]
            .iter()
            .flat_map(|l| render(l, false))
            .collect();
        String::from_utf8_lossy(&out).into_owned()
    }

    async fn watch_exits(&self, tx: tokio::sync::mpsc::UnboundedSender<String>) {
        let mut seen: HashSet<String> = HashSet::new();
        let mut first = true;
        while !tx.is_closed() {
            let ids = self.ids();
            seen.retain(|id| ids.contains(id));
            for id in ids {
                if seen.contains(&id) {
                    continue;
                }
                let Some((config, c)) = self.container(&id) else {
                    continue;
                };
                if !c.running && c.started_at.is_some() {
                    seen.insert(id);
                    if !first && tx.send(config.pod_uid).is_err() {
                        return;
                    }
                }
            }
            first = false;
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// The time a CRI log line was written.
fn cri_time(line: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    let end = line.iter().position(|b| *b == b' ')?;
    let text = std::str::from_utf8(&line[..end]).ok()?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A CRI log line (`<time> <stream> <F|P> <text>`) as `kubectl logs` shows it: the text, with its time in
/// front when asked, and a newline unless the line was a partial one.
fn render(line: &[u8], timestamps: bool) -> Vec<u8> {
    let mut parts = line.splitn(4, |b| *b == b' ');
    let (time, _stream, tag, body) = (parts.next(), parts.next(), parts.next(), parts.next());
    let mut out = Vec::new();
    if timestamps {
        out.extend_from_slice(time.unwrap_or_default());
        out.push(b' ');
    }
    out.extend_from_slice(body.unwrap_or_default());
    if tag != Some(b"P".as_slice()) {
        out.push(b'\n');
    }
    out
}

/// Writes `state` where the agent reads it, whole or not at all.
fn record(dir: &Path, state: &State) -> std::io::Result<()> {
    let tmp = dir.join("state.json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec(state).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(tmp, dir.join("state.json"))
}

/// Copies one output stream into the log, a line at a time in the CRI format (`<time> <stream> F <line>`;
/// `P` for a last line with no newline).
fn copy_lines(
    from: impl std::io::Read,
    stream: &'static str,
    log: std::sync::Arc<std::sync::Mutex<std::fs::File>>,
) {
    let mut reader = std::io::BufReader::new(from);
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
        let (body, tag) = match line.strip_suffix(b"\n") {
            Some(b) => (b, "F"),
            None => (line.as_slice(), "P"),
        };
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        // A std mutex: held only for one write, by threads with no async runtime.
        if let Ok(mut f) = log.lock() {
            let mut entry = format!("{now} {stream} {tag} ").into_bytes();
            entry.extend_from_slice(body);
            entry.push(b'\n');
            let _ = f.write_all(&entry);
        }
        line.clear();
    }
}

/// The shim (`kybd shim <dir>`): runs one container's command to its end, recording it in `dir`. Returns
/// the exit code for the shim itself.
pub fn shim(dir: &Path) -> i32 {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let config: Config = match std::fs::read(dir.join("config.json"))
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kybd shim: {}: {e}", dir.display());
            return 2;
        }
    };
    let log = match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("log"))
    {
        Ok(f) => std::sync::Arc::new(std::sync::Mutex::new(f)),
        Err(e) => {
            eprintln!("kybd shim: {}: {e}", dir.display());
            return 2;
        }
    };
    let mut state = State {
        shim: std::process::id(),
        started_at: Some(chrono::Utc::now()),
        ..Default::default()
    };
    let Some((program, args)) = config.argv.split_first() else {
        return 2;
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(config.env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0);
    if let Some(wd) = &config.working_dir {
        cmd.current_dir(wd);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let text = format!("exec {program:?}: {e}");
            copy_lines(text.as_bytes(), "stderr", log);
            state.exit_code = Some(128);
            state.finished_at = Some(chrono::Utc::now());
            let _ = record(dir, &state);
            return 0;
        }
    };
    state.pid = child.id();
    if record(dir, &state).is_err() {
        let _ = child.kill();
    }
    let copiers: Vec<std::thread::JoinHandle<()>> = [
        child
            .stdout
            .take()
            .map(|o| Box::new(o) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|e| Box::new(e) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .zip(["stdout", "stderr"])
    .filter_map(|(from, stream)| {
        let (from, log) = (from?, log.clone());
        Some(std::thread::spawn(move || copy_lines(from, stream, log)))
    })
    .collect();
    let status = child.wait();
    // As when a container's first process ends, whatever it left behind in its group goes too.
    signal_group(state.pid, rustix::process::Signal::KILL);
    for c in copiers {
        let _ = c.join();
    }
    state.exit_code = Some(match status {
        Ok(s) => s
            .code()
            .map(i64::from)
            .or_else(|| s.signal().map(|sig| 128 + i64::from(sig)))
            .unwrap_or(255),
        Err(_) => 255,
    });
    state.finished_at = Some(chrono::Utc::now());
    match record(dir, &state) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_resolve_on_the_search_path_or_as_paths() {
        assert!(resolve("sh", DEFAULT_PATH).is_some());
        assert!(resolve("/bin/sh", "").is_some());
        assert!(resolve("no-such-program-here", DEFAULT_PATH).is_none());
        // A file that is not executable is not a program.
        let plain = std::env::temp_dir().join(format!("kyb-plain-{}", std::process::id()));
        let _ = std::fs::write(&plain, b"x");
        let found = resolve(&plain.to_string_lossy(), DEFAULT_PATH);
        let _ = std::fs::remove_file(&plain);
        assert!(found.is_none());
    }

    #[test]
    fn cri_log_lines_keep_partial_lines_apart() {
        let dir = std::env::temp_dir().join(format!("kyb-log-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = std::fs::File::create(dir.join("log"))
            .map(|f| std::sync::Arc::new(std::sync::Mutex::new(f)));
        if let Ok(f) = file {
            copy_lines(&b"one\ntwo"[..], "stdout", f);
        }
        let text = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        let tags: Vec<(&str, &str)> = text
            .lines()
            .filter_map(|l| {
                let mut p = l.splitn(4, ' ');
                let _ = p.next();
                Some((p.nth(1)?, p.next()?))
            })
            .collect();
        assert_eq!(tags, [("F", "one"), ("P", "two")]);
    }
}
