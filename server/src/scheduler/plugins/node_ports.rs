//! NodePorts: a pod's host ports must be free on the node.

use serde_json::Value;

use super::{array, string};
use crate::scheduler::framework::{FilterPlugin, NodeCheck, NodeInfo, Snapshot, Status};

/// kube-scheduler's reason for a host port clash.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

/// One host port binding, with kube-scheduler's defaults applied (IP 0.0.0.0, protocol TCP).
#[derive(Debug, PartialEq, Eq)]
struct HostPort<'a> {
    ip: &'a str,
    protocol: &'a str,
    port: i64,
}

/// The host ports a pod binds: those of its containers and of its sidecar (restartPolicy Always)
/// init containers, which run for the pod's whole life; other init containers have exited by then.
fn host_ports(pod: &Value) -> Vec<HostPort<'_>> {
    let sidecars = array(pod, "/spec/initContainers")
        .iter()
        .filter(|c| string(c, "/restartPolicy") == "Always");
    sidecars
        .chain(array(pod, "/spec/containers"))
        .flat_map(|c| array(c, "/ports"))
        .filter_map(|p| {
            let port = p
                .get("hostPort")
                .and_then(Value::as_i64)
                .filter(|&p| p > 0)?;
            let ip = match string(p, "/hostIP") {
                "" => "0.0.0.0",
                ip => ip,
            };
            let protocol = match string(p, "/protocol") {
                "" => "TCP",
                pr => pr,
            };
            Some(HostPort { ip, protocol, port })
        })
        .collect()
}

/// Whether binding `want` clashes with `used`: same protocol and port, and the same IP or either one
/// the wildcard 0.0.0.0.
fn conflicts(want: &HostPort<'_>, used: &HostPort<'_>) -> bool {
    want.port == used.port
        && want.protocol == used.protocol
        && (want.ip == used.ip || want.ip == "0.0.0.0" || used.ip == "0.0.0.0")
}

/// The NodePorts filter.
pub struct NodePorts;

impl FilterPlugin for NodePorts {
    fn name(&self) -> &'static str {
        "NodePorts"
    }

    fn prepare<'a>(&'a self, pod: &'a Value, _snapshot: &'a Snapshot) -> Option<NodeCheck<'a>> {
        let wanted = host_ports(pod);
        if wanted.is_empty() {
            return None;
        }
        Some(Box::new(move |node| ports_free(&wanted, node)))
    }

    fn filter(&self, pod: &Value, node: &NodeInfo, _snapshot: &Snapshot) -> Status {
        ports_free(&host_ports(pod), node)
    }
}

/// Whether none of `wanted` clashes with a host port of the pods on `node`.
fn ports_free(wanted: &[HostPort<'_>], node: &NodeInfo) -> Status {
    let clash = !wanted.is_empty()
        && node
            .pods
            .iter()
            .flat_map(|p| host_ports(p))
            .any(|used| wanted.iter().any(|w| conflicts(w, &used)));
    if clash {
        // Unschedulable (not unresolvable): preempting the holder frees the port.
        Status::Unschedulable(ERR_REASON.to_string())
    } else {
        Status::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testutil::{node, pod};
    use serde_json::json;

    fn with_port(port: Value) -> Value {
        pod("p", json!({}), json!({"containers": [{"ports": [port]}]}))
    }

    #[test]
    fn detects_clashes() {
        let holder =
            with_port(json!({"containerPort": 80, "hostPort": 8080, "hostIP": "10.0.0.1"}));
        let n = node("a", json!({}), json!([]), json!({}), vec![holder]);
        let s = Snapshot::default();
        let fail = Status::Unschedulable(ERR_REASON.into());
        assert_eq!(
            NodePorts.filter(&with_port(json!({"hostPort": 8080})), &n, &s),
            fail
        );
        assert_eq!(
            NodePorts.filter(
                &with_port(json!({"hostPort": 8080, "hostIP": "10.0.0.1"})),
                &n,
                &s
            ),
            fail
        );
        assert_eq!(
            NodePorts.filter(
                &with_port(json!({"hostPort": 8080, "hostIP": "10.0.0.2"})),
                &n,
                &s
            ),
            Status::Success
        );
        assert_eq!(
            NodePorts.filter(
                &with_port(json!({"hostPort": 8080, "protocol": "UDP"})),
                &n,
                &s
            ),
            Status::Success
        );
        assert_eq!(
            NodePorts.filter(&with_port(json!({"containerPort": 8080})), &n, &s),
            Status::Success
        );
    }

    #[test]
    fn sidecar_ports_count() {
        let holder = pod(
            "h",
            json!({}),
            json!({"initContainers": [
                {"restartPolicy": "Always", "ports": [{"hostPort": 9000}]},
                {"ports": [{"hostPort": 9001}]}
            ]}),
        );
        let n = node("a", json!({}), json!([]), json!({}), vec![holder]);
        let s = Snapshot::default();
        assert_eq!(
            NodePorts.filter(&with_port(json!({"hostPort": 9000})), &n, &s),
            Status::Unschedulable(ERR_REASON.into())
        );
        assert_eq!(
            NodePorts.filter(&with_port(json!({"hostPort": 9001})), &n, &s),
            Status::Success
        );
    }
}
