//! The built-in service load balancer's status, as k3s's ServiceLB publishes it: each LoadBalancer Service
//! gets the addresses of the ready nodes (ExternalIP, else InternalIP) in `status.loadBalancer.ingress`;
//! other Services have it cleared. Traffic to those addresses reaches the Service through its node ports
//! once the service proxy (not built yet) programs them.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use kyb_api::client::{Client, Method};
use serde_json::{json, Value};

use super::runtime::{inform, Informers, Queue, Store};
use super::{send_unless_gone, str_at};

struct Controller {
    client: Client,
    services: Store,
    nodes: Store,
}

/// The ready nodes' addresses, as ServiceLB would advertise them.
fn node_addresses(nodes: &[Arc<Value>]) -> Vec<Value> {
    let ready = |n: &Value| {
        n.pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
    };
    let ips: BTreeSet<String> = nodes
        .iter()
        .filter(|n| ready(n) && n.pointer("/spec/unschedulable") != Some(&json!(true)))
        .filter_map(|n| {
            let addresses = n.pointer("/status/addresses").and_then(Value::as_array)?;
            let of = |t: &str| {
                addresses
                    .iter()
                    .find(|a| a["type"] == t)
                    .and_then(|a| a["address"].as_str())
                    .map(String::from)
            };
            of("ExternalIP").or_else(|| of("InternalIP"))
        })
        .collect();
    ips.into_iter().map(|ip| json!({"ip": ip})).collect()
}

async fn sync(c: &Controller, key: &str) -> Result<Option<Duration>, String> {
    let Some(svc) = c.services.get(key) else {
        return Ok(None);
    };
    let want = if str_at(&svc, "/spec/type") == "LoadBalancer" {
        node_addresses(&c.nodes.filter(|_| true))
    } else {
        Vec::new()
    };
    let have = svc
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if have == want {
        return Ok(None);
    }
    let (ns, name) = super::namespace_and_name(&svc);
    let path = format!("/api/v1/namespaces/{ns}/services/{name}/status");
    let ingress = if want.is_empty() {
        Value::Null
    } else {
        json!(want)
    };
    let patch = json!({"status": {"loadBalancer": {"ingress": ingress}}});
    send_unless_gone(
        &c.client,
        Method::PATCH,
        &path,
        "application/merge-patch+json",
        &patch,
    )
    .await?;
    Ok(None)
}

/// Runs the controller until the process ends.
pub async fn run(informers: Informers, workers: usize) {
    let client = informers.client().clone();
    let (services, mut service_changes) = inform(&informers, "/api/v1/services").await;
    let (nodes, mut node_changes) = inform(&informers, "/api/v1/nodes").await;
    let c = Arc::new(Controller {
        client,
        services,
        nodes,
    });
    let queue = Queue::serve(&c, workers, |c, k| async move { sync(&c, &k).await });
    loop {
        tokio::select! {
            change = service_changes.recv() => match change {
                Some(change) => queue.add(change.key()),
                None => return,
            },
            // Nodes coming, going or changing readiness move every load balancer's addresses.
            change = node_changes.recv() => match change {
                Some(_) => {
                    for svc in c.services.filter(|s| str_at(s, "/spec/type") == "LoadBalancer") {
                        queue.add(crate::informer::key(&svc));
                    }
                }
                None => return,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_schedulable_nodes_are_advertised() {
        let node = |ip: &str, ready: &str, external: Option<&str>| {
            let mut addresses = vec![json!({"type": "InternalIP", "address": ip})];
            if let Some(e) = external {
                addresses.push(json!({"type": "ExternalIP", "address": e}));
            }
            Arc::new(
                json!({"status": {"addresses": addresses, "conditions": [{"type": "Ready", "status": ready}]}}),
            )
        };
        let nodes = [
            node("10.0.0.2", "True", None),
            node("10.0.0.3", "False", None),
            node("10.0.0.1", "True", Some("1.2.3.4")),
        ];
        assert_eq!(
            node_addresses(&nodes),
            [json!({"ip": "1.2.3.4"}), json!({"ip": "10.0.0.2"})]
        );
    }
}
