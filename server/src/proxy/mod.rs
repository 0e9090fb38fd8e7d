//! The service proxy, in every node agent. On the node's address it listens on every NodePort (and, for
//! LoadBalancer Services, on the service port, where k3s's ServiceLB would) and carries each connection to
//! one of the Service's ready endpoints, in turn, or by client address under sessionAffinity ClientIP.
//! In iptables mode (where this process may change the host's rules) cluster IPs and external IPs answer
//! too, through NAT rules (`iptables.rs`); in userspace mode they do not. The log and `/metrics` say which.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use kyb_api::client::Client;
use serde_json::Value;

use crate::controllers::str_at;
use crate::informer;

mod iptables;
pub use iptables::cleanup;
use iptables::Iptables;

/// What one listener serves: a Service's port, by the Service's key and the port's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Frontend {
    port: u16,
    service: String,
    port_name: String,
    affinity: bool,
}

/// Services and Endpoints by key, as the watches last told them. A std lock: never held across an await.
#[derive(Default)]
struct State {
    services: RwLock<HashMap<String, Value>>,
    endpoints: RwLock<HashMap<String, Value>>,
}

/// The listeners the Services ask for: node ports, and the service ports of LoadBalancer Services (TCP).
fn frontends(services: &HashMap<String, Value>) -> Vec<Frontend> {
    let mut out = Vec::new();
    for (key, s) in services {
        let kind = str_at(s, "/spec/type");
        if !matches!(kind, "NodePort" | "LoadBalancer") {
            continue;
        }
        let affinity = str_at(s, "/spec/sessionAffinity") == "ClientIP";
        for p in s["spec"]["ports"].as_array().into_iter().flatten() {
            if !matches!(str_at(p, "/protocol"), "" | "TCP") {
                continue;
            }
            let name = str_at(p, "/name").to_string();
            let mut ports = vec![p["nodePort"].as_u64()];
            if kind == "LoadBalancer" {
                ports.push(p["port"].as_u64());
            }
            for port in ports
                .into_iter()
                .flatten()
                .filter_map(|n| u16::try_from(n).ok())
            {
                out.push(Frontend {
                    port,
                    service: key.clone(),
                    port_name: name.clone(),
                    affinity,
                });
            }
        }
    }
    out.sort_by(|a, b| (a.port, &a.service).cmp(&(b.port, &b.service)));
    out.dedup_by_key(|f| f.port);
    out
}

/// The ready endpoints of a Service's port, as `ip:port`.
fn backends(endpoints: &HashMap<String, Value>, service: &str, port_name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for subset in endpoints
        .get(service)
        .and_then(|e| e["subsets"].as_array())
        .into_iter()
        .flatten()
    {
        let Some(port) = subset["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| str_at(p, "/name") == port_name)
            .and_then(|p| p["port"].as_u64())
        else {
            continue;
        };
        for a in subset["addresses"].as_array().into_iter().flatten() {
            out.push(format!("{}:{port}", str_at(a, "/ip")));
        }
    }
    out.sort();
    out
}

/// Serves one frontend until aborted.
async fn listen(listener: tokio::net::TcpListener, front: Frontend, state: Arc<State>) {
    let turn = Arc::new(AtomicUsize::new(0));
    let hasher = std::collections::hash_map::RandomState::new();
    while let Ok((mut client, peer)) = listener.accept().await {
        let choices = state
            .endpoints
            .read()
            .map(|m| backends(&m, &front.service, &front.port_name))
            .unwrap_or_default();
        if choices.is_empty() {
            // No ready endpoint: refuse the connection, as kube-proxy's REJECT does.
            continue;
        }
        let pick = if front.affinity {
            (hasher.hash_one(peer.ip()) as usize) % choices.len()
        } else {
            turn.fetch_add(1, Ordering::Relaxed) % choices.len()
        };
        let backend = choices[pick].clone();
        tokio::spawn(async move {
            match tokio::net::TcpStream::connect(&backend).await {
                Ok(mut upstream) => {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
                Err(e) => tracing::debug!(backend, error = %e, "a service backend refused"),
            }
        });
    }
}

/// How the proxy was asked to run, from `kybd agent` or `kybd proxy`.
pub struct Options {
    /// The node's name: it tags the node's iptables chains.
    pub node: String,
    /// The node's address, where node ports and load balancer ports are served.
    pub address: String,
    /// `auto`, `iptables` or `userspace`.
    pub mode: String,
    /// The pods' bridge interface and subnet, when pods live on one.
    pub bridge: Option<String>,
    pub pod_subnet: Option<String>,
    /// Where `/metrics` and `/proxyMode` are served; empty for nowhere.
    pub metrics_address: String,
}

/// What the proxy has done, for `/metrics`.
#[derive(Default)]
struct Metrics {
    syncs: AtomicU64,
    sync_errors: AtomicU64,
    sync_micros: AtomicU64,
    last_sync_unix_millis: AtomicU64,
}

/// A running proxy; [`Proxy::stop`] takes its rules off the host.
pub struct Proxy {
    task: tokio::task::JoinHandle<()>,
    rules: Option<Arc<Mutex<Iptables>>>,
}

impl Proxy {
    /// Starts the proxy in the mode asked for (`auto`: iptables where this process may change the host's
    /// rules and pods live on a bridge, else userspace). Fails only when iptables was asked for and cannot be.
    pub async fn start(client: Client, options: Options) -> Result<Proxy, String> {
        let rules = match options.mode.as_str() {
            "userspace" => None,
            "iptables" | "auto" => {
                let (node, bridge, subnet) = (
                    options.node.clone(),
                    options.bridge.clone(),
                    options.pod_subnet.clone(),
                );
                let wanted = options.mode == "iptables" || bridge.is_some();
                let started = match wanted {
                    true => {
                        tokio::task::spawn_blocking(move || Iptables::start(&node, bridge, subnet))
                            .await
                            .map_err(|e| e.to_string())
                            .and_then(|r| r)
                    }
                    false => Err("pods share the host's network".to_string()),
                };
                match started {
                    Ok(r) => Some(Arc::new(Mutex::new(r))),
                    Err(e) if options.mode == "auto" => {
                        tracing::info!(reason = e, "service proxy: iptables mode not used");
                        None
                    }
                    Err(e) => return Err(format!("--proxy-mode iptables: {e}")),
                }
            }
            other => {
                return Err(format!(
                    "unknown proxy mode {other:?}: use auto, iptables or userspace"
                ))
            }
        };
        let mode = if rules.is_some() {
            "iptables"
        } else {
            "userspace"
        };
        match mode {
            "iptables" => tracing::info!(
                address = options.address,
                mode,
                "service proxy: cluster IPs by iptables rules; node ports and load balancer ports by listeners here"
            ),
            _ => tracing::info!(
                address = options.address,
                mode,
                "service proxy: node ports and load balancer ports are served here; cluster IPs are not (this mode rewrites no packets)"
            ),
        }
        let metrics = Arc::new(Metrics::default());
        if !options.metrics_address.is_empty() {
            serve_metrics(&options.metrics_address, mode, metrics.clone()).await;
        }
        let task = tokio::spawn(run(client, options.address, rules.clone(), metrics));
        Ok(Proxy { task, rules })
    }

    /// Stops proxying and removes the rules from the host.
    pub async fn stop(self) {
        self.task.abort();
        if let Some(rules) = self.rules {
            let _ = tokio::task::spawn_blocking(move || {
                if let Ok(mut r) = rules.lock() {
                    r.stop();
                }
            })
            .await;
        }
    }
}

/// Serves `/metrics` (Prometheus text) and `/proxyMode`, as kube-proxy does on its metrics address.
async fn serve_metrics(address: &str, mode: &'static str, metrics: Arc<Metrics>) {
    use axum::routing::get;
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(address, error = %e, "service proxy: no metrics");
            return;
        }
    };
    if let Ok(bound) = listener.local_addr() {
        tracing::info!(address = %bound, "service proxy metrics");
    }
    let app = axum::Router::new()
        .route("/proxyMode", get(move || async move { mode }))
        .route(
            "/metrics",
            get(move || async move {
                let m = &metrics;
                let micros = m.sync_micros.load(Ordering::Relaxed);
                format!(
                    "# HELP kybernet_proxy_mode The service proxy's mode: 1 for the one in use.\n\
                     # TYPE kybernet_proxy_mode gauge\n\
                     kybernet_proxy_mode{{mode=\"{mode}\"}} 1\n\
                     # HELP kybernet_proxy_sync_rules_total Times the proxy wrote its rules or listeners.\n\
                     # TYPE kybernet_proxy_sync_rules_total counter\n\
                     kybernet_proxy_sync_rules_total {}\n\
                     # HELP kybernet_proxy_sync_rules_errors_total Syncs that failed.\n\
                     # TYPE kybernet_proxy_sync_rules_errors_total counter\n\
                     kybernet_proxy_sync_rules_errors_total {}\n\
                     # HELP kybernet_proxy_sync_rules_duration_seconds_sum Time spent writing rules.\n\
                     # TYPE kybernet_proxy_sync_rules_duration_seconds_sum counter\n\
                     kybernet_proxy_sync_rules_duration_seconds_sum {}\n\
                     # HELP kybernet_proxy_sync_rules_last_timestamp_seconds When the last sync ended.\n\
                     # TYPE kybernet_proxy_sync_rules_last_timestamp_seconds gauge\n\
                     kybernet_proxy_sync_rules_last_timestamp_seconds {}\n",
                    m.syncs.load(Ordering::Relaxed),
                    m.sync_errors.load(Ordering::Relaxed),
                    micros as f64 / 1e6,
                    m.last_sync_unix_millis.load(Ordering::Relaxed) as f64 / 1e3,
                )
            }),
        );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "service proxy metrics stopped");
        }
    });
}

/// Follows Services and Endpoints, and keeps the listeners (and the rules, in iptables mode) in step.
async fn run(
    client: Client,
    address: String,
    rules: Option<Arc<Mutex<Iptables>>>,
    metrics: Arc<Metrics>,
) {
    let state = Arc::new(State::default());
    // Each change says which feed it came from and whether it was a whole list.
    let (tx, mut changed) = tokio::sync::mpsc::unbounded_channel::<(usize, bool)>();
    for (feed_at, path) in ["/api/v1/services", "/api/v1/endpoints"]
        .into_iter()
        .enumerate()
    {
        let mut feed = informer::start(client.clone(), path.to_string());
        let (state, tx) = (state.clone(), tx.clone());
        tokio::spawn(async move {
            while let Some(update) = feed.recv().await {
                let listed = matches!(update, informer::Update::Reset(_));
                let map = match feed_at {
                    0 => &state.services,
                    _ => &state.endpoints,
                };
                informer::apply(map, update);
                if tx.send((feed_at, listed)).is_err() {
                    return;
                }
            }
        });
    }
    drop(tx);
    let mut running: HashMap<Frontend, tokio::task::JoinHandle<()>> = HashMap::new();
    // Every minute the rules are written whole again, as kube-proxy's periodic sync does.
    let mut refresh = tokio::time::interval(std::time::Duration::from_secs(60));
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Nothing is written until both Services and Endpoints have been listed, as kube-proxy waits for its
    // caches: rules from half the picture would refuse every Service for a moment.
    let mut listed = [false; 2];
    loop {
        tokio::select! {
            more = changed.recv() => match more {
                Some((feed, whole)) => listed[feed] |= whole,
                None => break,
            },
            _ = refresh.tick() => {
                if let Some(Ok(mut r)) = rules.as_ref().map(|r| r.lock()) {
                    r.refresh();
                }
            }
        }
        // One sync for everything that arrived meanwhile.
        while let Ok((feed, whole)) = changed.try_recv() {
            listed[feed] |= whole;
        }
        if !listed.iter().all(|l| *l) {
            continue;
        }
        let began = std::time::Instant::now();
        if let Some(rules) = &rules {
            let (rules, state) = (rules.clone(), state.clone());
            let synced = tokio::task::spawn_blocking(move || {
                let services = state.services.read().map_err(|e| e.to_string())?;
                let endpoints = state.endpoints.read().map_err(|e| e.to_string())?;
                let mut rules = rules.lock().map_err(|e| e.to_string())?;
                rules.sync(&services, &endpoints)
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
            if let Err(e) = synced {
                metrics.sync_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = e, "service proxy: writing the rules failed");
            }
        }
        let wanted = state
            .services
            .read()
            .map(|m| frontends(&m))
            .unwrap_or_default();
        running.retain(|front, task| {
            let keep = wanted.contains(front);
            if !keep {
                task.abort();
            }
            keep
        });
        for front in wanted {
            if running.contains_key(&front) {
                continue;
            }
            match tokio::net::TcpListener::bind((address.as_str(), front.port)).await {
                Ok(l) => {
                    let task = tokio::spawn(listen(l, front.clone(), state.clone()));
                    running.insert(front, task);
                }
                Err(e) => {
                    tracing::warn!(port = front.port, service = front.service, error = %e, "cannot serve a node port")
                }
            }
        }
        metrics.syncs.fetch_add(1, Ordering::Relaxed);
        metrics
            .sync_micros
            .fetch_add(began.elapsed().as_micros() as u64, Ordering::Relaxed);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        metrics.last_sync_unix_millis.store(now, Ordering::Relaxed);
    }
    for task in running.values() {
        task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn node_ports_and_load_balancer_ports_reach_ready_endpoints() {
        let services = HashMap::from([
            (
                "ns/web".to_string(),
                json!({"spec": {"type": "LoadBalancer", "ports": [{"name": "http", "port": 80, "nodePort": 30080}]}}),
            ),
            (
                "ns/in".to_string(),
                json!({"spec": {"type": "ClusterIP", "ports": [{"port": 81}]}}),
            ),
        ]);
        let ports: Vec<u16> = frontends(&services).iter().map(|f| f.port).collect();
        assert_eq!(ports, [80, 30080]);
        let endpoints = HashMap::from([(
            "ns/web".to_string(),
            json!({"subsets": [
            {"addresses": [{"ip": "10.0.0.2"}], "notReadyAddresses": [{"ip": "10.0.0.3"}], "ports": [{"name": "http", "port": 8080}]}]}),
        )]);
        assert_eq!(backends(&endpoints, "ns/web", "http"), ["10.0.0.2:8080"]);
        assert!(backends(&endpoints, "ns/web", "other").is_empty());
    }
}
