//! A pod's status from its containers, as the kubelet computes it: container states with reasons, last
//! states and restart counts, then the phase (kube's getPhase) and the pod conditions.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::runtime::Container;
use crate::controllers::str_at;

/// What one pass learnt besides the containers themselves.
pub struct Seen<'a> {
    /// Why containers wait, by name: (reason, message).
    pub waiting: &'a HashMap<String, (String, String)>,
    /// The probes' verdicts by container name: (ready, started).
    pub probed: &'a HashMap<String, (bool, bool)>,
    /// Termination messages of ended containers, by container id.
    pub messages: &'a HashMap<String, String>,
    pub pod_ip: &'a str,
    pub host_ip: &'a str,
    /// The runtime's scheme for container ids.
    pub scheme: &'a str,
}

fn stamp(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(crate::controllers::stamp)
}

fn terminated(c: &Container, seen: &Seen) -> Value {
    let reason = if c.oom_killed {
        "OOMKilled"
    } else if c.exit_code == 0 {
        "Completed"
    } else {
        "Error"
    };
    let mut t = json!({"exitCode": c.exit_code, "reason": reason, "startedAt": stamp(c.started_at),
        "finishedAt": stamp(c.finished_at), "containerID": format!("{}://{}", seen.scheme, c.id)});
    if let Some(m) = seen.messages.get(&c.id).filter(|m| !m.is_empty()) {
        t["message"] = json!(m);
    }
    t
}

/// Counts of containers by state, as kube's getPhase tallies them.
#[derive(Default)]
struct Tally {
    running: usize,
    waiting: usize,
    stopped: usize,
    succeeded: usize,
}

/// The statuses of one list of containers (`containers` or `initContainers`).
fn container_statuses(
    specs: &[Value],
    containers: &[Container],
    seen: &Seen,
    init: bool,
) -> (Vec<Value>, Tally) {
    let mut tally = Tally::default();
    let mut statuses = Vec::new();
    for spec in specs {
        let cname = str_at(spec, "/name");
        let mut mine: Vec<&Container> = containers.iter().filter(|c| c.name == cname).collect();
        mine.sort_by_key(|c| std::cmp::Reverse(c.attempt));
        let (latest, previous) = (mine.first(), mine.get(1));
        let mut s = Map::new();
        s.insert("name".into(), json!(cname));
        s.insert("image".into(), json!(str_at(spec, "/image")));
        let image_id = latest
            .filter(|c| !c.image_id.is_empty())
            .map(|c| format!("{}://{}", seen.scheme, c.image_id));
        s.insert("imageID".into(), json!(image_id.unwrap_or_default()));
        s.insert(
            "restartCount".into(),
            json!(latest.map_or(0, |c| c.attempt)),
        );
        let state = match (latest, seen.waiting.get(cname)) {
            (_, Some((reason, message))) => {
                json!({"waiting": {"reason": reason, "message": message}})
            }
            (Some(c), None) if c.running => {
                json!({"running": {"startedAt": stamp(c.started_at)}})
            }
            (Some(c), None) => json!({"terminated": terminated(c, seen)}),
            (None, None) if init => json!({"waiting": {"reason": "PodInitializing"}}),
            (None, None) => json!({"waiting": {"reason": "ContainerCreating"}}),
        };
        let last = match (seen.waiting.contains_key(cname), latest, previous) {
            (true, Some(c), _) if !c.running => json!({"terminated": terminated(c, seen)}),
            (_, _, Some(p)) => json!({"terminated": terminated(p, seen)}),
            _ => json!({}),
        };
        if let Some(c) = latest {
            s.insert(
                "containerID".into(),
                json!(format!("{}://{}", seen.scheme, c.id)),
            );
        }
        let is_running = state.get("running").is_some();
        let succeeded = state["terminated"]["exitCode"] == 0;
        if is_running {
            tally.running += 1;
        } else if state.get("terminated").is_some() {
            tally.stopped += 1;
            if succeeded {
                tally.succeeded += 1;
            }
        } else if last.get("terminated").is_some() {
            tally.stopped += 1;
        } else {
            tally.waiting += 1;
        }
        // An init container is ready once it has succeeded; an app container while it runs and its
        // readiness (and startup) probes pass.
        let (probe_ready, probe_started) = if init {
            (true, true)
        } else {
            seen.probed.get(cname).copied().unwrap_or((true, true))
        };
        let ready = if init {
            succeeded
        } else {
            is_running && probe_ready
        };
        s.insert("ready".into(), json!(ready));
        s.insert("started".into(), json!(is_running && probe_started));
        s.insert("state".into(), state);
        s.insert("lastState".into(), last);
        statuses.push(Value::Object(s));
    }
    (statuses, tally)
}

/// The pod status Kubernetes reports for these containers (kube's getPhase and condition rules).
pub fn status_of(pod: &Value, containers: &[Container], seen: &Seen) -> Value {
    let list = |key: &str| -> Vec<Value> {
        pod.pointer(&format!("/spec/{key}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (init_specs, specs) = (list("initContainers"), list("containers"));

    let (init_statuses, init) = container_statuses(&init_specs, containers, seen, true);
    let (statuses, apps) = container_statuses(&specs, containers, seen, false);
    let policy = pod
        .pointer("/spec/restartPolicy")
        .and_then(Value::as_str)
        .unwrap_or("Always");
    let initialized = init.succeeded == init_specs.len();
    let init_failed = policy == "Never"
        && init_statuses.iter().any(|s| {
            s["state"]["terminated"]["exitCode"]
                .as_i64()
                .is_some_and(|c| c != 0)
        });
    let phase = if init_failed {
        "Failed"
    } else if !initialized || apps.waiting > 0 {
        "Pending"
    } else if apps.running > 0 {
        "Running"
    } else if apps.stopped > 0 {
        match policy {
            "Always" => "Running",
            _ if apps.stopped == apps.succeeded => "Succeeded",
            "Never" => "Failed",
            _ => "Running",
        }
    } else {
        "Pending"
    };
    let all_ready = initialized && !specs.is_empty() && statuses.iter().all(|c| c["ready"] == true);
    let now = super::now();
    let unready = |list: &[Value]| -> String {
        let names: Vec<&str> = list
            .iter()
            .filter(|c| c["ready"] != true)
            .filter_map(|c| c["name"].as_str())
            .collect();
        names.join(" ")
    };
    let condition = |t: &str, ok: bool, reason: &str, message: String| -> Value {
        let s = if ok { "True" } else { "False" };
        let old = pod
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| c["type"] == t && c["status"] == s))
            .and_then(|c| c.get("lastTransitionTime").cloned());
        let mut c = json!({"type": t, "status": s, "lastProbeTime": null,
            "lastTransitionTime": old.unwrap_or(json!(now))});
        if !ok {
            c["reason"] = json!(reason);
            c["message"] = json!(message);
        }
        c
    };
    let not_ready = format!("containers with unready status: [{}]", unready(&statuses));
    let start = pod
        .pointer("/status/startTime")
        .cloned()
        .unwrap_or(json!(now));
    let mut status = json!({
        "phase": phase, "hostIP": seen.host_ip, "hostIPs": [{"ip": seen.host_ip}], "startTime": start,
        "conditions": [
            condition("PodReadyToStartContainers", true, "", String::new()),
            condition("Initialized", initialized, "ContainersNotInitialized",
                format!("containers with incomplete status: [{}]", unready(&init_statuses))),
            condition("Ready", all_ready, "ContainersNotReady", not_ready.clone()),
            condition("ContainersReady", all_ready, "ContainersNotReady", not_ready),
            condition("PodScheduled", true, "", String::new()),
        ],
        "containerStatuses": statuses,
        "qosClass": pod.pointer("/status/qosClass").cloned().unwrap_or(json!("BestEffort")),
    });
    if !init_statuses.is_empty() {
        status["initContainerStatuses"] = json!(init_statuses);
    }
    if !seen.pod_ip.is_empty() {
        status["podIP"] = json!(seen.pod_ip);
        status["podIPs"] = json!([{"ip": seen.pod_ip}]);
    }
    status
}
