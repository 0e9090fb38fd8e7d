//! The simulated runtime: pods bound to a simulated node become Running and Ready at once, with an IP from
//! the node's range; the `kybernet.io/simulate-exit` annotation (`code=N,after=Ds`) makes their containers
//! exit, for Jobs and crash loops; deleted pods are removed after their grace period.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kyb_api::client::{Client, Method};
use serde_json::{json, Value};

use crate::informer::key;

/// The annotation that scripts a simulated container exit.
pub const EXIT_ANNOTATION: &str = "kybernet.io/simulate-exit";

/// The pods this agent is playing: what it has done to each, so that every change is made once.
pub struct Pods {
    client: Client,
    cidrs: Arc<HashMap<String, String>>,
    // A std mutex: held only to update the maps, never across an await.
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// Pods started, by key, with their uid.
    started: HashMap<String, String>,
    /// Next host number per node, for pod IPs.
    next_ip: HashMap<String, u32>,
    deleting: HashSet<String>,
}

/// `code=1,after=5s` → (exit code, delay).
fn parse_exit(spec: &str) -> Option<(i64, Duration)> {
    let mut code = None;
    let mut after = Duration::ZERO;
    for part in spec.split(',') {
        match part.trim().split_once('=') {
            Some(("code", c)) => code = c.trim().parse().ok(),
            Some(("after", d)) => {
                let d = d.trim();
                let secs: f64 = d
                    .strip_suffix("ms")
                    .map(|m| m.parse::<f64>().map(|v| v / 1000.0))
                    .or_else(|| d.strip_suffix('s').map(str::parse))
                    .unwrap_or_else(|| d.parse())
                    .ok()?;
                after = Duration::from_secs_f64(secs.max(0.0));
            }
            _ => {}
        }
    }
    Some((code?, after))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn condition(t: &str, status: &str) -> Value {
    json!({"type": t, "status": status, "lastProbeTime": null, "lastTransitionTime": now()})
}

/// The status of a pod whose containers all run.
fn running_status(pod: &Value, ip: &str, host_ip: &str, restarts: i64) -> Value {
    let statuses: Vec<Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
            json!({"name": name, "ready": true, "started": true, "restartCount": restarts,
                "image": c.get("image").cloned().unwrap_or(Value::Null), "imageID": "", "containerID": format!("simulated://{name}"),
                "state": {"running": {"startedAt": now()}}})
        })
        .collect();
    json!({
        "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": host_ip, "hostIPs": [{"ip": host_ip}], "startTime": now(),
        "conditions": [condition("PodReadyToStartContainers", "True"), condition("Initialized", "True"), condition("Ready", "True"), condition("ContainersReady", "True"), condition("PodScheduled", "True")],
        "containerStatuses": statuses,
    })
}

/// The status after the containers exited with `code`: the pod is done (restartPolicy Never, or OnFailure and success).
fn exited_status(pod: &Value, code: i64) -> Value {
    let phase = if code == 0 { "Succeeded" } else { "Failed" };
    let reason = if code == 0 { "Completed" } else { "Error" };
    let statuses: Vec<Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
            json!({"name": name, "ready": false, "started": false, "restartCount": 0, "image": c.get("image").cloned().unwrap_or(Value::Null),
                "imageID": "", "containerID": format!("simulated://{name}"),
                "state": {"terminated": {"exitCode": code, "reason": reason, "startedAt": now(), "finishedAt": now()}}})
        })
        .collect();
    json!({"phase": phase, "conditions": [condition("Ready", "False"), condition("ContainersReady", "False")], "containerStatuses": statuses})
}

impl Pods {
    pub fn new(client: Client, cidrs: Arc<HashMap<String, String>>) -> Pods {
        Pods {
            client,
            cidrs,
            state: Arc::default(),
        }
    }

    /// Reacts to a pod's current state: starts pods newly bound to our nodes, removes deleted ones.
    pub fn observe(&self, pod: &Value, ours: &HashSet<String>) {
        let Some(node) = pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .filter(|n| ours.contains(*n))
        else {
            return;
        };
        let k = key(pod);
        let uid = pod
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if pod.pointer("/metadata/deletionTimestamp").is_some() {
            if state.deleting.insert(k.clone()) {
                let grace = pod
                    .pointer("/metadata/deletionGracePeriodSeconds")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                tokio::spawn(finish_deletion(
                    self.client.clone(),
                    pod.clone(),
                    Duration::from_secs(grace.min(1)),
                ));
            }
            return;
        }
        if state.started.get(&k) == Some(&uid) {
            return;
        }
        state.started.insert(k.clone(), uid);
        let prefix = self
            .cidrs
            .get(node)
            .cloned()
            .unwrap_or_else(|| "10.64.0".into());
        let next = state.next_ip.entry(node.to_string()).or_insert(2);
        // Host numbers 2..=254 of the node's /24, then around again (simulated pods never talk).
        let ip = format!("{prefix}.{}", *next);
        *next = if *next >= 254 { 2 } else { *next + 1 };
        let host_ip = format!("{prefix}.1");
        drop(state);
        tokio::spawn(start(self.client.clone(), pod.clone(), ip, host_ip));
    }

    pub fn forget(&self, pod: &Value) {
        if let Ok(mut state) = self.state.lock() {
            let k = key(pod);
            state.started.remove(&k);
            state.deleting.remove(&k);
        }
    }
}

fn status_path(pod: &Value) -> String {
    let (ns, name) = crate::controllers::namespace_and_name(pod);
    format!("/api/v1/namespaces/{ns}/pods/{name}/status")
}

async fn patch_status(client: &Client, pod: &Value, status: Value) {
    let body = serde_json::to_vec(&json!({"status": status})).unwrap_or_default();
    if let Err(e) = client
        .send(
            Method::PATCH,
            &status_path(pod),
            "application/json",
            Some(("application/merge-patch+json", body)),
        )
        .await
    {
        tracing::debug!(pod = key(pod), error = %e, "status update failed");
    }
}

/// Runs the pod: Running at once; with the exit annotation, an exit after the delay, then a restart or the end.
async fn start(client: Client, pod: Value, ip: String, host_ip: String) {
    patch_status(&client, &pod, running_status(&pod, &ip, &host_ip, 0)).await;
    let Some((code, after)) = pod
        .pointer(&format!(
            "/metadata/annotations/{}",
            EXIT_ANNOTATION.replace('/', "~1")
        ))
        .and_then(Value::as_str)
        .and_then(parse_exit)
    else {
        return;
    };
    let policy = pod
        .pointer("/spec/restartPolicy")
        .and_then(Value::as_str)
        .unwrap_or("Always")
        .to_string();
    let mut restarts = 0;
    loop {
        tokio::time::sleep(after).await;
        let restart = policy == "Always" || (policy == "OnFailure" && code != 0);
        if !restart {
            patch_status(&client, &pod, exited_status(&pod, code)).await;
            return;
        }
        restarts += 1;
        let mut status = running_status(&pod, &ip, &host_ip, restarts);
        if let Some(list) = status
            .get_mut("containerStatuses")
            .and_then(Value::as_array_mut)
        {
            for c in list {
                c["lastState"] = json!({"terminated": {"exitCode": code, "reason": if code == 0 { "Completed" } else { "Error" }, "startedAt": now(), "finishedAt": now()}});
            }
        }
        patch_status(&client, &pod, status).await;
    }
}

/// Removes a pod marked for deletion, after its grace period (shortened: nothing runs to stop). As the
/// kubelet does since Kubernetes 1.27, a pod still running ends in phase Failed first, its containers
/// stopped by SIGTERM (exit code 143), so that a finalizer holding it (a Job's) sees how it ended.
async fn finish_deletion(client: Client, pod: Value, grace: Duration) {
    tokio::time::sleep(grace).await;
    let (key, uid) = (
        key(&pod),
        crate::controllers::str_at(&pod, "/metadata/uid").to_string(),
    );
    let phase = crate::controllers::str_at(&pod, "/status/phase");
    if !matches!(phase, "Succeeded" | "Failed") {
        patch_status(&client, &pod, exited_status(&pod, 143)).await;
    }
    let (ns, name) = key.split_once('/').unwrap_or(("default", &key));
    let body = serde_json::to_vec(&json!({"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0, "preconditions": {"uid": uid}})).unwrap_or_default();
    let path = format!("/api/v1/namespaces/{ns}/pods/{name}");
    if let Err(e) = client
        .send(
            Method::DELETE,
            &path,
            "application/json",
            Some(("application/json", body)),
        )
        .await
    {
        if !e.is_not_found() {
            tracing::debug!(pod = key, error = %e, "removing the pod failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_annotations() {
        assert_eq!(
            parse_exit("code=1,after=5s"),
            Some((1, Duration::from_secs(5)))
        );
        assert_eq!(
            parse_exit("code=0,after=250ms"),
            Some((0, Duration::from_millis(250)))
        );
        assert_eq!(parse_exit("code=3"), Some((3, Duration::ZERO)));
        assert_eq!(parse_exit("after=1s"), None);
        assert_eq!(parse_exit("code=x"), None);
    }

    #[test]
    fn running_pods_report_ready_containers() {
        let pod = json!({"spec": {"containers": [{"name": "a", "image": "busybox"}]}});
        let s = running_status(&pod, "10.64.0.2", "10.64.0.1", 2);
        assert_eq!(
            (s["phase"].as_str(), s["podIP"].as_str()),
            (Some("Running"), Some("10.64.0.2"))
        );
        assert_eq!(s["containerStatuses"][0]["restartCount"], 2);
        assert_eq!(s["containerStatuses"][0]["ready"], true);
        assert_eq!(exited_status(&pod, 0)["phase"], "Succeeded");
        assert_eq!(exited_status(&pod, 2)["phase"], "Failed");
    }
}
