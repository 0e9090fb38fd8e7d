//! The service proxy, in userspace mode: on the node's address it listens on every NodePort (and, for
//! LoadBalancer Services, on the service port, where k3s's ServiceLB would) and carries each connection to
//! one of the Service's ready endpoints, in turn, or by client address under sessionAffinity ClientIP.
//! Listeners follow Services and Endpoints as they change. Cluster IPs need packet rewriting (iptables or
//! nftables), which this mode does not do; the log says so.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use kyb_api::client::Client;
use serde_json::Value;

use crate::controllers::str_at;
use crate::informer;

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

/// Runs the proxy on `address` until the process ends.
pub async fn run(client: Client, address: String) {
    tracing::info!(
        address,
        mode = "userspace",
        "service proxy: node ports and load balancer ports are served here; cluster IPs are not (no packet rewriting in this mode)"
    );
    let state = Arc::new(State::default());
    let (tx, mut changed) = tokio::sync::mpsc::unbounded_channel::<()>();
    for (path, services) in [("/api/v1/services", true), ("/api/v1/endpoints", false)] {
        let mut feed = informer::start(client.clone(), path.to_string());
        let (state, tx) = (state.clone(), tx.clone());
        tokio::spawn(async move {
            while let Some(update) = feed.recv().await {
                informer::apply(
                    if services {
                        &state.services
                    } else {
                        &state.endpoints
                    },
                    update,
                );
                if services && tx.send(()).is_err() {
                    return;
                }
            }
        });
    }
    drop(tx);
    let mut running: HashMap<Frontend, tokio::task::JoinHandle<()>> = HashMap::new();
    while changed.recv().await.is_some() {
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
