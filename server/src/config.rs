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
    /// Events kept in memory for resuming watches; older resourceVersions get 410 Expired.
    #[arg(long, default_value_t = 10_000)]
    pub watch_window: usize,
    /// Seconds between BOOKMARK events on watches that allow them.
    #[arg(long, default_value_t = 60, hide = true)]
    pub watch_bookmark_interval: u64,
}

/// The server's settings after validation.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub kubeconfig: PathBuf,
    pub datastore_endpoint: String,
    pub agent: bool,
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
            api: ApiSettings {
                watch_window: a.watch_window.max(1),
                bookmark_interval: std::time::Duration::from_secs(a.watch_bookmark_interval.max(1)),
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
            watch_window: 10,
            watch_bookmark_interval: 60,
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
