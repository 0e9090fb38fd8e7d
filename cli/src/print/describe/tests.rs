//! Tests against `kubectl describe` output captured from kubectl 1.32 (talking to kybd): the objects, events
//! and related objects come from `kubectl get -o json`; `now` is when the capture ran. Go prints secret and
//! config map data in random map order; the expectations list it sorted, as this port does.

use super::{describe, wants, Extra, Related};
use chrono::{DateTime, Utc};
use serde_json::Value;

const CAPTURED: &str = include_str!("testdata/captured.json");

fn check(case: &str, group: &str, plural: &str) {
    let all: Value = serde_json::from_str(CAPTURED).unwrap();
    let c = &all[case];
    let obj = &c["obj"];
    let mut related = Vec::new();
    for want in wants(group, plural) {
        let (_, _, res) = want.resource();
        for item in all["_related"].as_array().unwrap() {
            let kind = item["kind"].as_str().unwrap_or("");
            let same_ns = item["metadata"]["namespace"] == obj["metadata"]["namespace"];
            let keep = match want {
                Related::PodsOnNode => {
                    kind == "Pod" && item["spec"]["nodeName"] == obj["metadata"]["name"]
                }
                Related::QuotasInNamespace | Related::LimitRangesInNamespace => {
                    item["metadata"]["namespace"] == obj["metadata"]["name"]
                        && (kind
                            == if res == "resourcequotas" {
                                "ResourceQuota"
                            } else {
                                "LimitRange"
                            })
                }
                Related::NodeLease => false,
                _ => {
                    same_ns
                        && res.trim_end_matches('s') == kind.to_lowercase().trim_end_matches('s')
                }
            };
            if keep {
                related.push(item.clone());
            }
        }
        if want == Related::NodeLease {
            related.push(all["_lease"].clone());
        }
    }
    let extra = Extra {
        events: c["events"].as_array().unwrap().clone(),
        related,
    };
    let now = DateTime::<Utc>::from_timestamp(c["now"].as_i64().unwrap(), 0).unwrap();
    let got = describe(group, plural, obj, &extra, now);
    let expected = c["expected"].as_str().unwrap();
    assert_eq!(
        got, expected,
        "\n--- got ---\n{got}\n--- expected ---\n{expected}"
    );
}

#[test]
fn pod_running_with_restarts_and_events() {
    check("pod_web1", "", "pods");
}

#[test]
fn pod_pending_minimal() {
    check("pod_lone", "", "pods");
}

#[test]
fn pod_controlled_by_replicaset() {
    check("pod_p1", "", "pods");
}

#[test]
fn deployment() {
    check("deploy", "apps", "deployments");
}

#[test]
fn replicaset() {
    check("rs", "apps", "replicasets");
}

#[test]
fn replication_controller() {
    check("rc", "", "replicationcontrollers");
}

#[test]
fn daemonset() {
    check("ds", "apps", "daemonsets");
}

#[test]
fn statefulset() {
    check("sts", "apps", "statefulsets");
}

#[test]
fn job() {
    check("job", "batch", "jobs");
}

#[test]
fn cronjob() {
    check("cj", "batch", "cronjobs");
}

#[test]
fn service_node_port() {
    check("svc", "", "services");
}

#[test]
fn service_cluster_ip() {
    check("svc_k", "", "services");
}

#[test]
fn endpoints() {
    check("ep", "", "endpoints");
}

#[test]
fn node() {
    check("node", "", "nodes");
}

#[test]
fn namespace_with_quota_and_limits() {
    check("ns_team", "", "namespaces");
}

#[test]
fn namespace_plain() {
    check("ns_default", "", "namespaces");
}

#[test]
fn configmap() {
    check("cm", "", "configmaps");
}

#[test]
fn secret() {
    check("secret", "", "secrets");
}

#[test]
fn ingress() {
    check("ing", "networking.k8s.io", "ingresses");
}

#[test]
fn persistent_volume() {
    check("pv", "", "persistentvolumes");
}

#[test]
fn generic_lease() {
    check("lease", "coordination.k8s.io", "leases");
}

#[test]
fn hostile_input_does_not_panic() {
    let extra = Extra {
        events: vec![Value::Null, serde_json::json!({"count": "x"})],
        related: vec![Value::Null],
    };
    let now = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
    for (g, p) in [
        ("", "pods"),
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("", "replicationcontrollers"),
        ("apps", "daemonsets"),
        ("apps", "statefulsets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("", "services"),
        ("", "endpoints"),
        ("", "nodes"),
        ("", "namespaces"),
        ("", "configmaps"),
        ("", "secrets"),
        ("networking.k8s.io", "ingresses"),
        ("", "persistentvolumes"),
        ("x", "y"),
    ] {
        for obj in [
            Value::Null,
            serde_json::json!([1]),
            serde_json::json!({"spec": 3, "status": {"conditions": [1]}}),
        ] {
            assert!(describe(g, p, &obj, &extra, now).ends_with('\n'));
        }
    }
}
