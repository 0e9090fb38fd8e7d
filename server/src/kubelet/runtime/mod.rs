//! The container runtimes a node agent drives: one trait, [`ContainerRuntime`], with Docker (real
//! containers, a pause container per pod) and host processes (machines without Docker) behind it. The pod
//! worker in `kubelet::pods` is written against the trait alone, so both runtimes share one pod lifecycle:
//! restarts and back-off, probes, hooks, status and graceful deletion. (The simulated runtime plays pods
//! at the pod level, with no containers to run, so it stands apart in `kubelet::simulated`.)

pub mod docker;
pub mod process;

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// The container name a pod's sandbox is known by.
pub const SANDBOX: &str = "POD";

/// What went wrong in a runtime.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Docker(#[from] bollard::errors::Error),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Refused(String),
}

impl RuntimeError {
    pub fn io(what: impl std::fmt::Display, source: std::io::Error) -> Self {
        RuntimeError::Io {
            what: what.to_string(),
            source,
        }
    }
}

/// One container of a pod, as the runtime last saw it.
#[derive(Debug, Clone, Default)]
pub struct Container {
    /// The runtime's id (what `containerID` carries after the scheme).
    pub id: String,
    /// The pod's name for it, or [`SANDBOX`].
    pub name: String,
    /// Which start of the container this is, from 0: its restart count.
    pub attempt: u32,
    pub running: bool,
    pub exit_code: i64,
    pub oom_killed: bool,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub image_id: String,
}

/// A pod's sandbox: what holds its network.
#[derive(Debug, Clone, Default)]
pub struct Sandbox {
    pub id: String,
    /// The pod's IP address.
    pub ip: String,
    /// Whether it was made just now (the pod's containers are then read again).
    pub created: bool,
}

/// A bind of a host folder or file into a container.
#[derive(Debug, Clone)]
pub struct Mount {
    pub source: std::path::PathBuf,
    pub target: String,
    pub read_only: bool,
}

/// Everything a container is made from, resolved by the pod worker.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub pod_uid: String,
    pub pod_name: String,
    pub namespace: String,
    pub name: String,
    pub attempt: u32,
    pub sandbox: String,
    pub image: String,
    pub command: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
    /// `NAME=value` pairs.
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    pub mounts: Vec<Mount>,
    /// Paths that get a tmpfs of their own.
    pub tmpfs: Vec<String>,
    pub stdin: Option<bool>,
    pub stdin_once: Option<bool>,
    pub tty: Option<bool>,
    /// `uid[:gid]`.
    pub user: Option<String>,
    pub read_only_root: Option<bool>,
    pub privileged: Option<bool>,
    pub cap_add: Option<Vec<String>>,
    pub cap_drop: Option<Vec<String>>,
    /// Memory limit in bytes.
    pub memory: Option<i64>,
    /// CPU limit in billionths of a core.
    pub nano_cpus: Option<i64>,
    /// CPU shares, from the request.
    pub cpu_shares: Option<i64>,
}

/// Which part of a container's output to read: PodLogOptions as the kubelet applies them (the byte limit is
/// applied by the caller).
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// Keep streaming until the container ends.
    pub follow: bool,
    /// Start each line with its RFC 3339 time and a space.
    pub timestamps: bool,
    /// Only the last lines.
    pub tail: Option<u64>,
    /// Only lines written at or after this time.
    pub since: Option<DateTime<Utc>>,
}

/// A container's output as it arrives.
pub type LogStream = futures::stream::BoxStream<'static, Result<bytes::Bytes, std::io::Error>>;

/// An interactive command running in a container: what `kubectl exec` talks to.
pub struct ExecSession {
    /// The command's standard input, when it has one; dropping it closes the input.
    pub stdin: Option<tokio::sync::mpsc::Sender<bytes::Bytes>>,
    /// Output as it comes: (1 stdout or 2 stderr, bytes). Ends when the command's output does.
    pub output: tokio::sync::mpsc::Receiver<(u8, bytes::Bytes)>,
    /// Terminal size changes: (width, height).
    pub resize: tokio::sync::mpsc::Sender<(u16, u16)>,
    /// The exit code, once the command has ended.
    pub exit: tokio::sync::oneshot::Receiver<i64>,
}

/// A way to run a node's containers. Every call is level-triggered: the pod worker reads
/// [`ContainerRuntime::containers`] and acts on what it finds, so a runtime keeps no pod state of its own
/// beyond what it can list again after a restart.
pub trait ContainerRuntime: Send + Sync + 'static {
    /// The scheme of container ids in pod status, e.g. `docker`.
    fn scheme(&self) -> &'static str;

    /// The pod's containers, its sandbox among them, found by the pod's uid.
    fn containers(
        &self,
        pod_uid: &str,
    ) -> impl Future<Output = Result<Vec<Container>, RuntimeError>> + Send;

    /// Every container of this node, as (id, pod uid): for removing those whose pod is gone.
    fn node_containers(
        &self,
    ) -> impl Future<Output = Result<Vec<(String, String)>, RuntimeError>> + Send;

    /// Makes sure the pod's sandbox runs, replacing a dead one; `containers` is what the pod has now.
    fn sandbox(
        &self,
        pod: &Value,
        containers: &[Container],
    ) -> impl Future<Output = Result<Sandbox, RuntimeError>> + Send;

    /// Whether the image is here.
    fn image_present(&self, image: &str) -> impl Future<Output = bool> + Send;

    /// Pulls the image; the registry's words on failure.
    fn pull(&self, image: &str) -> impl Future<Output = Result<(), String>> + Send;

    /// Creates and starts a container; its id.
    fn start(&self, spec: Spec) -> impl Future<Output = Result<String, RuntimeError>> + Send;

    /// Stops a container: SIGTERM, then SIGKILL after `grace`.
    fn stop(&self, id: &str, grace: Duration) -> impl Future<Output = ()> + Send;

    /// Removes a container, stopping it first if it runs.
    fn remove(&self, id: &str) -> impl Future<Output = ()> + Send;

    /// Runs a command in a running container within `timeout`: Ok on exit code 0, else the output (or
    /// the exit code) as the failure's words.
    fn exec(
        &self,
        id: &str,
        command: Vec<String>,
        timeout: Duration,
    ) -> impl Future<Output = Result<(), String>> + Send;

    /// Starts `command` in a running container, with its input attached when `stdin` and on a terminal
    /// when `tty`.
    fn exec_session(
        &self,
        id: &str,
        command: Vec<String>,
        stdin: bool,
        tty: bool,
    ) -> impl Future<Output = Result<ExecSession, RuntimeError>> + Send;

    /// Attaches to a running container's own process: its output from now on, and its input when `stdin`
    /// (on Docker, for containers made with `stdin: true`).
    fn attach_session(
        &self,
        id: &str,
        stdin: bool,
        tty: bool,
    ) -> impl Future<Output = Result<ExecSession, RuntimeError>> + Send;

    /// A container's output (stdout and stderr interleaved), as `options` asks.
    fn logs(
        &self,
        id: &str,
        options: LogOptions,
    ) -> impl Future<Output = Result<LogStream, RuntimeError>> + Send;

    /// The last `lines` lines of a container's output.
    fn log_tail(&self, id: &str, lines: usize) -> impl Future<Output = String> + Send;

    /// Follows the ends of this node's containers, sending each one's pod uid, until the receiver goes.
    fn watch_exits(
        &self,
        tx: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> impl Future<Output = ()> + Send;
}

/// The error an exec gives for a non-zero exit: the output, or failing that the code.
pub fn exec_failure(command: &[String], code: i64, output: &str) -> String {
    if output.trim().is_empty() {
        format!("command {command:?} exited with {code}")
    } else {
        output.trim().to_string()
    }
}
