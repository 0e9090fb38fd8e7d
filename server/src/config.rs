//! Command-line flags, parsed once into settings; there is no global configuration.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::apiserver::ApiSettings;

#[derive(Debug, Parser)]
#[command(
    name = "kybd",
    version,
    about = "Kybernet: a Kubernetes-compatible control plane and node agent"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags for the default `server` command.
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the control plane (the default).
    Server(ServerArgs),
    /// Run a node agent against an API server.
    Agent(AgentArgs),
    /// Run the scheduler against an API server.
    Scheduler(ClientArgs),
    /// Run the workload controllers and the garbage collector against an API server.
    ControllerManager(ControllerManagerArgs),
    /// Run the service proxy alone on this host (every agent runs one already).
    Proxy(ProxyCommandArgs),
    /// Run one container of the process runtime to its end (started by the agent, not by hand).
    #[command(hide = true)]
    Shim(ShimArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ShimArgs {
    /// The container's folder: its config.json, state.json and log.
    pub dir: PathBuf,
}

/// How a component reaches the API server.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// A kubeconfig whose current context names the API server.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// The API server's URL (instead of a kubeconfig).
    #[arg(long)]
    pub server: Option<String>,
}

impl ClientArgs {
    /// The client these flags describe.
    pub fn client(&self) -> Result<kyb_api::client::Client, kyb_api::client::ClientError> {
        let overrides = kyb_api::client::Overrides {
            kubeconfig: self.kubeconfig.clone(),
            server: self.server.clone(),
            ..Default::default()
        };
        let kubeconfig = match (&self.kubeconfig, &self.server) {
            (None, Some(_)) => Default::default(),
            _ => kyb_api::client::load_kubeconfig(self.kubeconfig.as_deref())?,
        };
        let rest = kyb_api::client::RestConfig::resolve(&kubeconfig, &overrides)?;
        kyb_api::client::Client::new(&rest)
    }
}

#[derive(Debug, Clone, Args)]
pub struct ControllerManagerArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub controllers: ControllerArgs,
}

/// How the controllers run, wherever they run.
#[derive(Debug, Clone, Default, Args)]
pub struct ControllerArgs {
    /// For tests: the CronJob controller reads "now" (RFC 3339) from this file, polled each second, and
    /// uses the system clock while the file is absent or unreadable.
    #[arg(long, hide = true)]
    pub clock_file: Option<PathBuf>,
    /// Where the local-path provisioner makes volumes for claims [default: DATA_DIR/storage for the
    /// server, ~/.local/share/kybernet/storage for the controller manager].
    #[arg(long)]
    pub local_path_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// The container runtime: `auto` (Docker when its daemon answers, else processes), `docker` (this host
    /// as one node, its pods as Docker containers), `process` (its pods as host processes, no isolation)
    /// or `simulated` (no processes; pods report Running at once).
    #[arg(long, default_value = "auto")]
    pub runtime: String,
    /// The node's name (docker and process runtimes) [default: the host name].
    #[arg(long)]
    pub node_name: Option<String>,
    /// The Docker network pods join (docker runtime); made when absent.
    #[arg(long, default_value = "kybernet")]
    pub docker_network: String,
    /// The pod network's subnet (docker runtime), e.g. 10.88.0.0/16 [default: Docker chooses].
    #[arg(long)]
    pub pod_cidr: Option<String>,
    /// Where cluster DNS forwards names outside the cluster (docker runtime), as HOST:PORT [default: the
    /// host's first resolver in /etc/resolv.conf].
    #[arg(long)]
    pub cluster_dns_upstream: Option<SocketAddr>,
    /// The port of the kubelet's streaming server (logs, exec, attach, port-forward), on the node's
    /// address; 0 picks a free one.
    #[arg(long, default_value_t = 10250)]
    pub kubelet_port: u16,
    /// Where the agent keeps pod volumes and process containers [default: ~/.local/share/kybernet/agent].
    #[arg(long)]
    pub root_dir: Option<PathBuf>,
    /// How many nodes this agent registers (simulated runtime).
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// Node names are this prefix and a number.
    #[arg(long, default_value = "kybernet-node-")]
    pub node_name_prefix: String,
    /// CPU capacity of each node.
    #[arg(long, default_value = "4")]
    pub cpu: String,
    /// Memory capacity of each node.
    #[arg(long, default_value = "16Gi")]
    pub memory: String,
    /// Pods each node accepts.
    #[arg(long, default_value_t = 110)]
    pub max_pods: u32,
    /// Seconds between Lease renewals.
    #[arg(long, default_value_t = 10, hide = true)]
    pub lease_interval_seconds: u64,
    #[command(flatten)]
    pub proxy: ProxyArgs,
}

/// How the service proxy runs, in an agent or alone.
#[derive(Debug, Clone, Args)]
pub struct ProxyArgs {
    /// The service proxy's mode: `auto` (iptables where this process may change the host's rules and pods
    /// live on a bridge, else userspace), `iptables`, or `userspace` (node ports and load balancer ports
    /// only: cluster IPs do not answer).
    #[arg(long, default_value = "auto")]
    pub proxy_mode: String,
    /// Where the proxy serves /metrics and /proxyMode; port 0 picks a free one, empty turns them off.
    #[arg(long, default_value = "127.0.0.1:10249")]
    pub metrics_bind_address: String,
}

#[derive(Debug, Clone, Args)]
pub struct ProxyCommandArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub proxy: ProxyArgs,
    /// The name that tags this host's rules [default: the host name].
    #[arg(long)]
    pub hostname_override: Option<String>,
    /// The address node ports and load balancer ports are served on.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind_address: String,
    /// The Docker network the host's pods live on, whose traffic to cluster IPs is rewritten.
    #[arg(long)]
    pub docker_network: Option<String>,
    /// Remove this host's proxy rules (those tagged with its name) and exit.
    #[arg(long)]
    pub cleanup: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Where the embedded store and the kubeconfig live [default: ~/.local/share/kybernet]
    #[arg(long, env = "KYBD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address of the Kubernetes API.
    #[arg(long, default_value = "127.0.0.1:6443")]
    pub listen: String,
    /// Where to write a kubeconfig for this server [default: DATA_DIR/kubeconfig.yaml]
    #[arg(long)]
    pub write_kubeconfig: Option<PathBuf>,
    /// Datastore URL; empty means the embedded store.
    #[arg(long, default_value = "")]
    pub datastore_endpoint: String,
    /// Do not run a node agent in this process.
    #[arg(long)]
    pub disable_agent: bool,
    /// Do not run the scheduler in this process.
    #[arg(long)]
    pub disable_scheduler: bool,
    /// Events kept in memory for resuming watches; older resourceVersions get 410 Expired.
    #[arg(long, default_value_t = 10_000)]
    pub watch_window: usize,
    /// DefaultTolerationSeconds: how long new pods tolerate not-ready and unreachable nodes before eviction.
    #[arg(long, default_value_t = 300)]
    pub default_toleration_seconds: i64,
    /// Seconds without a node heartbeat before the node is marked NotReady (Ready=Unknown) and tainted unreachable.
    #[arg(long, default_value_t = 40)]
    pub node_monitor_grace_period: u64,
    /// Do not run the node lifecycle controller in this process.
    #[arg(long)]
    pub disable_node_lifecycle: bool,
    /// Do not run the workload controllers and the garbage collector in this process.
    #[arg(long)]
    pub disable_controllers: bool,
    #[command(flatten)]
    pub controller_args: ControllerArgs,
    /// Seconds between BOOKMARK events on watches that allow them.
    #[arg(long, default_value_t = 60, hide = true)]
    pub watch_bookmark_interval: u64,
    /// The network cluster IPs are allocated from; its first address is the `kubernetes` service's.
    #[arg(long, default_value = crate::apiserver::SERVICE_CIDR)]
    pub service_cidr: String,
    /// The range node ports are allocated from.
    #[arg(long, default_value = crate::apiserver::NODE_PORT_RANGE)]
    pub service_node_port_range: String,
}

/// The server's settings after validation.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub kubeconfig: PathBuf,
    pub datastore_endpoint: String,
    pub agent: bool,
    pub scheduler: bool,
    pub controllers: Option<ControllerArgs>,
    /// The node lifecycle controller's grace period, when it runs.
    pub node_lifecycle: Option<std::time::Duration>,
    pub api: ApiSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid --listen {0:?}: expected ADDRESS:PORT, e.g. 127.0.0.1:6443")]
    BadListen(String),
    #[error("refusing to listen on {0}: kybd has no authentication yet, so it only listens on loopback addresses (e.g. 127.0.0.1:6443)")]
    NotLoopback(SocketAddr),
    #[error("cannot find a home directory for the default --data-dir; pass --data-dir")]
    NoHome,
}

impl TryFrom<ServerArgs> for ServerSettings {
    type Error = ConfigError;

    fn try_from(a: ServerArgs) -> Result<Self, ConfigError> {
        let listen: SocketAddr = a
            .listen
            .parse()
            .map_err(|_| ConfigError::BadListen(a.listen.clone()))?;
        if !listen.ip().is_loopback() {
            return Err(ConfigError::NotLoopback(listen));
        }
        let data_dir = match a.data_dir {
            Some(d) => d,
            None => std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".local/share/kybernet"))
                .ok_or(ConfigError::NoHome)?,
        };
        let kubeconfig = a
            .write_kubeconfig
            .unwrap_or_else(|| data_dir.join("kubeconfig.yaml"));
        Ok(ServerSettings {
            data_dir,
            listen,
            kubeconfig,
            datastore_endpoint: a.datastore_endpoint,
            agent: !a.disable_agent,
            scheduler: !a.disable_scheduler,
            controllers: (!a.disable_controllers).then_some(a.controller_args),
            node_lifecycle: (!a.disable_node_lifecycle)
                .then(|| std::time::Duration::from_secs(a.node_monitor_grace_period.max(1))),
            api: ApiSettings {
                watch_window: a.watch_window.max(1),
                bookmark_interval: std::time::Duration::from_secs(a.watch_bookmark_interval.max(1)),
                toleration_seconds: a.default_toleration_seconds.max(0),
                service_cidr: a.service_cidr,
                node_port_range: a.service_node_port_range,
            },
        })
    }
}

/// Writes a kubeconfig whose current context, `kybernet`, points at `addr`.
pub fn write_kubeconfig(path: &Path, addr: SocketAddr) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: http://{addr}\n  name: kybernet\ncontexts:\n- context:\n    cluster: kybernet\n    namespace: default\n    user: kybernet\n  name: kybernet\ncurrent-context: kybernet\npreferences: {{}}\nusers:\n- name: kybernet\n  user: {{}}\n"
    );
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(listen: &str) -> ServerArgs {
        ServerArgs {
            data_dir: Some("/tmp/x".into()),
            listen: listen.into(),
            write_kubeconfig: None,
            datastore_endpoint: String::new(),
            disable_agent: false,
            disable_scheduler: false,
            default_toleration_seconds: 300,
            node_monitor_grace_period: 40,
            disable_node_lifecycle: false,
            disable_controllers: false,
            controller_args: ControllerArgs::default(),
            watch_window: 10,
            watch_bookmark_interval: 60,
            service_cidr: "10.43.0.0/16".into(),
            service_node_port_range: "30000-32767".into(),
        }
    }

    #[test]
    fn refuses_non_loopback_listen() {
        assert!(matches!(
            ServerSettings::try_from(args("0.0.0.0:6443")),
            Err(ConfigError::NotLoopback(_))
        ));
        assert!(matches!(
            ServerSettings::try_from(args("localhost")),
            Err(ConfigError::BadListen(_))
        ));
        let ok = ServerSettings::try_from(args("127.0.0.1:0")).ok();
        assert_eq!(
            ok.map(|s| s.kubeconfig),
            Some(PathBuf::from("/tmp/x/kubeconfig.yaml"))
        );
    }
}
