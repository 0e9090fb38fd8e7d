//! kubeconfig loading (`--kubeconfig`, or the merged `KUBECONFIG` list, or `~/.kube/config`) and its
//! resolution, with kubectl's override flags, into what a client needs to reach one server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use kube::config::{AuthInfo, Cluster, Context, Kubeconfig};
use secrecy::ExposeSecret;

use super::ClientError;

/// kubectl's global connection flags.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    pub namespace: Option<String>,
    pub server: Option<String>,
    pub token: Option<String>,
    pub certificate_authority: Option<PathBuf>,
    pub client_certificate: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub insecure_skip_tls_verify: bool,
    pub request_timeout: Option<Duration>,
    pub verbosity: u8,
}

/// Everything needed to talk to one server.
#[derive(Debug, Clone)]
pub struct RestConfig {
    pub server: String,
    pub namespace: String,
    pub context: Option<String>,
    pub token: Option<String>,
    pub ca_pem: Option<Vec<u8>>,
    /// Client certificate and key, PEM, concatenated.
    pub identity_pem: Option<Vec<u8>>,
    pub insecure: bool,
    pub timeout: Option<Duration>,
    pub verbosity: u8,
}

fn config_error(path: &Path, e: impl std::fmt::Display) -> ClientError {
    ClientError::Other(format!(
        "error loading config file \"{}\": {e}",
        path.display()
    ))
}

/// Loads the kubeconfig kubectl would: the `--kubeconfig` file, else every file in `KUBECONFIG` merged
/// (the first to set a name wins), else `~/.kube/config`; nothing at all is an empty config.
pub fn load_kubeconfig(explicit: Option<&Path>) -> Result<Kubeconfig, ClientError> {
    if let Some(p) = explicit {
        if !p.exists() {
            return Err(ClientError::Other(format!(
                "stat {}: no such file or directory",
                p.display()
            )));
        }
        return Kubeconfig::read_from(p).map_err(|e| config_error(p, e));
    }
    let paths: Vec<PathBuf> = match std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        Some(list) => std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".kube/config"))
            .into_iter()
            .collect(),
    };
    let mut merged: Option<Kubeconfig> = None;
    for p in paths.iter().filter(|p| p.exists()) {
        let next = Kubeconfig::read_from(p).map_err(|e| config_error(p, e))?;
        merged = Some(match merged {
            None => next,
            Some(m) => m.merge(next).map_err(|e| config_error(p, e))?,
        });
    }
    Ok(merged.unwrap_or_default())
}

fn read_file(p: &Path) -> Result<Vec<u8>, ClientError> {
    std::fs::read(p).map_err(|e| ClientError::Other(format!("open {}: {e}", p.display())))
}

fn decode_data(field: &str, data: &str) -> Result<Vec<u8>, ClientError> {
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| ClientError::Other(format!("invalid {field}: {e}")))
}

impl RestConfig {
    /// Picks the context (flag, else current-context), its cluster and user (flags override), and the namespace.
    pub fn resolve(kc: &Kubeconfig, o: &Overrides) -> Result<RestConfig, ClientError> {
        let context_name = o
            .context
            .clone()
            .or_else(|| kc.current_context.clone())
            .filter(|c| !c.is_empty());
        let context: Option<&Context> = match &context_name {
            Some(name) => match kc.contexts.iter().find(|c| &c.name == name) {
                Some(c) => c.context.as_ref(),
                None if o.context.is_some() => {
                    return Err(ClientError::Other(format!(
                        "context was not found for specified context: {name}"
                    )));
                }
                None => None,
            },
            None => None,
        };
        let cluster_name = o
            .cluster
            .clone()
            .or_else(|| context.map(|c| c.cluster.clone()));
        let cluster: Option<&Cluster> = match &cluster_name {
            Some(name) => match kc.clusters.iter().find(|c| &c.name == name) {
                Some(c) => c.cluster.as_ref(),
                None if o.cluster.is_some() => {
                    return Err(ClientError::Other(format!(
                        "cluster \"{name}\" does not exist"
                    )));
                }
                None => None,
            },
            None => None,
        };
        let user_name = o
            .user
            .clone()
            .or_else(|| context.and_then(|c| c.user.clone()));
        let user: Option<&AuthInfo> = match &user_name {
            Some(name) => match kc.auth_infos.iter().find(|u| &u.name == name) {
                Some(u) => u.auth_info.as_ref(),
                None if o.user.is_some() => {
                    return Err(ClientError::Other(format!(
                        "auth info \"{name}\" does not exist"
                    )));
                }
                None => None,
            },
            None => None,
        };
        let server = o
            .server
            .clone()
            .or_else(|| cluster.and_then(|c| c.server.clone()))
            .unwrap_or_else(|| "http://localhost:8080".to_string());
        // A bare host:port means https, as in kubectl.
        let server = if server.contains("://") {
            server
        } else {
            format!("https://{server}")
        };
        let namespace = o
            .namespace
            .clone()
            .or_else(|| context.and_then(|c| c.namespace.clone()))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".to_string());
        let token = match (&o.token, user) {
            (Some(t), _) => Some(t.clone()),
            (None, Some(u)) => match (&u.token, &u.token_file) {
                (Some(t), _) => Some(t.expose_secret().to_string()),
                (None, Some(f)) => Some(
                    String::from_utf8_lossy(&read_file(Path::new(f))?)
                        .trim()
                        .to_string(),
                ),
                _ => None,
            },
            _ => None,
        };
        let ca_pem = match (&o.certificate_authority, cluster) {
            (Some(p), _) => Some(read_file(p)?),
            (None, Some(c)) => match (&c.certificate_authority_data, &c.certificate_authority) {
                (Some(d), _) => Some(decode_data("certificate-authority-data", d)?),
                (None, Some(f)) => Some(read_file(Path::new(f))?),
                _ => None,
            },
            _ => None,
        };
        let cert = match (&o.client_certificate, user) {
            (Some(p), _) => Some(read_file(p)?),
            (None, Some(u)) => match (&u.client_certificate_data, &u.client_certificate) {
                (Some(d), _) => Some(decode_data("client-certificate-data", d)?),
                (None, Some(f)) => Some(read_file(Path::new(f))?),
                _ => None,
            },
            _ => None,
        };
        let key = match (&o.client_key, user) {
            (Some(p), _) => Some(read_file(p)?),
            (None, Some(u)) => match (&u.client_key_data, &u.client_key) {
                (Some(d), _) => Some(decode_data("client-key-data", d.expose_secret())?),
                (None, Some(f)) => Some(read_file(Path::new(f))?),
                _ => None,
            },
            _ => None,
        };
        let identity_pem = match (cert, key) {
            (Some(mut c), Some(k)) => {
                c.push(b'\n');
                c.extend(k);
                Some(c)
            }
            (None, None) => None,
            _ => {
                return Err(ClientError::Other(
                    "client-cert and client-key must be specified together".into(),
                ))
            }
        };
        Ok(RestConfig {
            server,
            namespace,
            context: context_name,
            token,
            ca_pem,
            identity_pem,
            insecure: o.insecure_skip_tls_verify
                || cluster
                    .and_then(|c| c.insecure_skip_tls_verify)
                    .unwrap_or(false),
            timeout: o.request_timeout,
            verbosity: o.verbosity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "apiVersion: v1\nkind: Config\ncurrent-context: a\nclusters:\n- name: c1\n  cluster:\n    server: http://127.0.0.1:1\ncontexts:\n- name: a\n  context:\n    cluster: c1\n    user: u1\n    namespace: team\nusers:\n- name: u1\n  user:\n    token: secret-one\n";
    const TWO: &str = "apiVersion: v1\nkind: Config\ncurrent-context: b\nclusters:\n- name: c1\n  cluster:\n    server: http://127.0.0.1:9\n- name: c2\n  cluster:\n    server: 127.0.0.1:2\ncontexts:\n- name: b\n  context:\n    cluster: c2\nusers: []\n";

    fn merged() -> Kubeconfig {
        let one = Kubeconfig::from_yaml(ONE).expect("one");
        let two = Kubeconfig::from_yaml(TWO).expect("two");
        one.merge(two).expect("merge")
    }

    #[test]
    fn first_file_wins_when_merging() {
        let kc = merged();
        assert_eq!(kc.current_context.as_deref(), Some("a"));
        let cfg = RestConfig::resolve(&kc, &Overrides::default()).expect("resolve");
        assert_eq!(cfg.server, "http://127.0.0.1:1");
        assert_eq!(cfg.namespace, "team");
        assert_eq!(cfg.token.as_deref(), Some("secret-one"));
    }

    #[test]
    fn flags_override_the_context() {
        let kc = merged();
        let o = Overrides {
            context: Some("b".into()),
            namespace: Some("ns".into()),
            ..Default::default()
        };
        let cfg = RestConfig::resolve(&kc, &o).expect("resolve");
        assert_eq!(
            (cfg.server.as_str(), cfg.namespace.as_str(), cfg.token),
            ("https://127.0.0.1:2", "ns", None)
        );
        let o = Overrides {
            server: Some("http://x:3".into()),
            token: Some("t".into()),
            ..Default::default()
        };
        let cfg = RestConfig::resolve(&kc, &o).expect("resolve");
        assert_eq!(
            (cfg.server.as_str(), cfg.token.as_deref()),
            ("http://x:3", Some("t"))
        );
        let o = Overrides {
            context: Some("nope".into()),
            ..Default::default()
        };
        assert!(RestConfig::resolve(&kc, &o).is_err());
    }

    #[test]
    fn no_config_means_localhost_8080() {
        let cfg =
            RestConfig::resolve(&Kubeconfig::default(), &Overrides::default()).expect("resolve");
        assert_eq!(
            (cfg.server.as_str(), cfg.namespace.as_str()),
            ("http://localhost:8080", "default")
        );
    }
}
