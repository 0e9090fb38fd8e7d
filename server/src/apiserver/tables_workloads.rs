//! Table printers for workloads: pods, apps, batch and autoscaling (a part of `tables`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{
    age, at, col, format_label_selector, format_labels, human_delta, human_since, int, list, name,
    num, obj_at, or_none, parse_time, present, quantity, selector_string, since, st, wide, Column,
    AGE, NAME,
};

const CONTAINERS: Column = wide(
    "Containers",
    "string",
    "Names of each container in the template.",
);
const IMAGES: Column = wide(
    "Images",
    "string",
    "Images referenced by each container in the template.",
);
const SELECTOR: Column = wide(
    "Selector",
    "string",
    "A label query over pods that should match the replica count.",
);

const POD_COLUMNS: &[Column] = &[
    NAME,
    col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    col("Status", "string", "The aggregate status of the containers in this pod."),
    col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
    AGE,
    wide("IP", "string", "podIP address allocated to the pod. Routable at least within the cluster."),
    wide("Node", "string", "NodeName indicates in which node this pod is scheduled."),
    wide("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node."),
    wide("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness."),
];

const REPLICATION_CONTROLLER_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Desired",
        "integer",
        "Replicas is the number of desired replicas.",
    ),
    col(
        "Current",
        "integer",
        "Replicas is the most recently observed number of replicas.",
    ),
    col(
        "Ready",
        "integer",
        "The number of ready replicas for this replication controller.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const REPLICA_SET_COLUMNS: &[Column] = &[
    NAME,
    col(
        "Desired",
        "integer",
        "Replicas is the number of desired pods.",
    ),
    col(
        "Current",
        "integer",
        "Replicas is the most recently observed number of non-terminating pods.",
    ),
    col(
        "Ready",
        "integer",
        "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const DEPLOYMENT_COLUMNS: &[Column] = &[
    NAME,
    col("Ready", "string", "Number of the pod with ready state"),
    col("Up-to-date", "string", "Total number of non-terminating pods targeted by this deployment that have the desired template spec."),
    col("Available", "string", "Total number of available non-terminating pods targeted by this deployment."),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const DAEMON_SET_COLUMNS: &[Column] = &[
    NAME,
    col("Desired", "integer", "The total number of nodes that should be running the daemon pod."),
    col("Current", "integer", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
    col("Ready", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition."),
    col("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
    col("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available."),
    col("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node."),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const STATEFUL_SET_COLUMNS: &[Column] = &[
    NAME,
    col("Ready", "string", "Number of the pod with ready state"),
    AGE,
    CONTAINERS,
    IMAGES,
];

const CONTROLLER_REVISION_COLUMNS: &[Column] = &[
    NAME,
    col("Controller", "string", "Controller of the object"),
    col(
        "Revision",
        "string",
        "Revision indicates the revision of the state represented by Data.",
    ),
    AGE,
];

const JOB_COLUMNS: &[Column] = &[
    NAME,
    col("Status", "string", "Status of the job."),
    col(
        "Completions",
        "string",
        "The number of pods which reached phase Succeeded.",
    ),
    col("Duration", "string", "Time required to complete the job."),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const CRON_JOB_COLUMNS: &[Column] = &[
    NAME,
    col("Schedule", "string", "The schedule in Cron format."),
    col(
        "Timezone",
        "string",
        "The time zone name for the given schedule.",
    ),
    col(
        "Suspend",
        "boolean",
        "This flag tells the controller to suspend subsequent executions.",
    ),
    col(
        "Active",
        "integer",
        "A list of pointers to currently running jobs.",
    ),
    col(
        "Last Schedule",
        "string",
        "Information when was the last time the job was successfully scheduled.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const HPA_COLUMNS: &[Column] = &[
    NAME,
    col("Reference", "string", "scaleTargetRef points to the target resource to scale."),
    col("Targets", "string", "metrics contains the specifications for which to use to calculate the desired replica count."),
    col("MinPods", "string", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down."),
    col("MaxPods", "string", "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up."),
    col("Replicas", "string", "currentReplicas is current number of replicas of pods managed by this autoscaler."),
    AGE,
];

pub(super) fn columns(group: &str, plural: &str) -> Option<&'static [Column]> {
    Some(match (group, plural) {
        ("", "pods") => POD_COLUMNS,
        ("", "replicationcontrollers") => REPLICATION_CONTROLLER_COLUMNS,
        ("apps", "deployments") => DEPLOYMENT_COLUMNS,
        ("apps", "replicasets") => REPLICA_SET_COLUMNS,
        ("apps", "daemonsets") => DAEMON_SET_COLUMNS,
        ("apps", "statefulsets") => STATEFUL_SET_COLUMNS,
        ("apps", "controllerrevisions") => CONTROLLER_REVISION_COLUMNS,
        ("batch", "jobs") => JOB_COLUMNS,
        ("batch", "cronjobs") => CRON_JOB_COLUMNS,
        ("autoscaling", "horizontalpodautoscalers") => HPA_COLUMNS,
        _ => return None,
    })
}

pub(super) fn cells(
    group: &str,
    plural: &str,
    obj: &Value,
    now: DateTime<Utc>,
) -> Option<Vec<Value>> {
    let age = age(obj, now);
    Some(match (group, plural) {
        ("", "pods") => pod(obj, now, age),
        ("", "replicationcontrollers") => {
            let mut row = replicas_row(obj, age);
            row.push(format_labels(obj_at(obj, &["spec", "selector"])).into());
            row
        }
        ("apps", "replicasets") => {
            let mut row = replicas_row(obj, age);
            row.push(format_label_selector(at(obj, &["spec", "selector"])).into());
            row
        }
        ("apps", "deployments") => deployment(obj, age),
        ("apps", "daemonsets") => daemon_set(obj, age),
        ("apps", "statefulsets") => {
            let ready = format!(
                "{}/{}",
                int(obj, &["status", "readyReplicas"]),
                desired(obj)
            );
            let (names, images) = containers(obj, &["spec", "template", "spec", "containers"]);
            vec![name(obj), ready.into(), age, names.into(), images.into()]
        }
        ("apps", "controllerrevisions") => {
            vec![
                name(obj),
                controller_of(obj).into(),
                Value::from(int(obj, &["revision"])),
                age,
            ]
        }
        ("batch", "jobs") => job(obj, now, age),
        ("batch", "cronjobs") => cron_job(obj, now, age),
        ("autoscaling", "horizontalpodautoscalers") => hpa(obj, age),
        _ => return None,
    })
}

/// spec.replicas as the apiserver would have defaulted it.
fn desired(obj: &Value) -> i64 {
    num(obj, &["spec", "replicas"]).unwrap_or(1)
}

/// Container names and images of a pod template, each comma-joined.
fn containers(obj: &Value, path: &[&str]) -> (String, String) {
    let cs = list(obj, path);
    let names: Vec<&str> = cs.iter().map(|c| st(c, &["name"])).collect();
    let images: Vec<&str> = cs.iter().map(|c| st(c, &["image"])).collect();
    (names.join(","), images.join(","))
}

/// Name, Desired, Current, Ready, Age, Containers, Images: shared by RCs and ReplicaSets.
fn replicas_row(obj: &Value, age: Value) -> Vec<Value> {
    let (names, images) = containers(obj, &["spec", "template", "spec", "containers"]);
    vec![
        name(obj),
        Value::from(desired(obj)),
        Value::from(int(obj, &["status", "replicas"])),
        Value::from(int(obj, &["status", "readyReplicas"])),
        age,
        names.into(),
        images.into(),
    ]
}

fn deployment(obj: &Value, age: Value) -> Vec<Value> {
    let ready = format!(
        "{}/{}",
        int(obj, &["status", "readyReplicas"]),
        desired(obj)
    );
    let (names, images) = containers(obj, &["spec", "template", "spec", "containers"]);
    // Unlike FormatLabelSelector, the deployment printer shows an empty selector as "".
    let selector = selector_string(at(obj, &["spec", "selector"]))
        .unwrap_or_else(|()| "<invalid>".to_string());
    vec![
        name(obj),
        ready.into(),
        Value::from(int(obj, &["status", "updatedReplicas"])),
        Value::from(int(obj, &["status", "availableReplicas"])),
        age,
        names.into(),
        images.into(),
        selector.into(),
    ]
}

fn daemon_set(obj: &Value, age: Value) -> Vec<Value> {
    let status = |f: &str| Value::from(int(obj, &["status", f]));
    let (names, images) = containers(obj, &["spec", "template", "spec", "containers"]);
    vec![
        name(obj),
        status("desiredNumberScheduled"),
        status("currentNumberScheduled"),
        status("numberReady"),
        status("updatedNumberScheduled"),
        status("numberAvailable"),
        format_labels(obj_at(obj, &["spec", "template", "spec", "nodeSelector"])).into(),
        age,
        names.into(),
        images.into(),
        format_label_selector(at(obj, &["spec", "selector"])).into(),
    ]
}

/// The controlling owner as "kind.group/name", lower-cased like formatResourceName.
fn controller_of(obj: &Value) -> String {
    let owners = list(obj, &["metadata", "ownerReferences"]);
    let Some(owner) = owners
        .iter()
        .find(|o| at(o, &["controller"]).and_then(Value::as_bool) == Some(true))
    else {
        return "<none>".to_string();
    };
    let group = st(owner, &["apiVersion"])
        .rsplit_once('/')
        .map_or("", |(g, _)| g);
    let kind = st(owner, &["kind"]);
    let owner_name = st(owner, &["name"]);
    match (kind, group) {
        ("", "") => owner_name.to_string(),
        (k, "") => format!("{}/{owner_name}", k.to_lowercase()),
        (k, g) => format!("{}.{}/{owner_name}", k.to_lowercase(), g.to_lowercase()),
    }
}

fn condition_true(conditions: &[Value], ty: &str) -> bool {
    conditions
        .iter()
        .find(|c| st(c, &["type"]) == ty)
        .is_some_and(|c| st(c, &["status"]) == "True")
}

fn job(obj: &Value, now: DateTime<Utc>, age: Value) -> Vec<Value> {
    let succeeded = int(obj, &["status", "succeeded"]);
    let completions = match num(obj, &["spec", "completions"]) {
        Some(c) => format!("{succeeded}/{c}"),
        None => match num(obj, &["spec", "parallelism"]).unwrap_or(0) {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let start = parse_time(st(obj, &["status", "startTime"]));
    let end = parse_time(st(obj, &["status", "completionTime"]));
    let duration = match (start, end) {
        (None, _) => String::new(),
        (Some(s), None) => human_since(s, now),
        (Some(s), Some(e)) => human_delta(e.signed_duration_since(s)),
    };
    let conds = list(obj, &["status", "conditions"]);
    let status = if condition_true(conds, "Complete") {
        "Complete"
    } else if condition_true(conds, "Failed") {
        "Failed"
    } else if present(obj, &["metadata", "deletionTimestamp"]) {
        "Terminating"
    } else if condition_true(conds, "Suspended") {
        "Suspended"
    } else if condition_true(conds, "FailureTarget") {
        "FailureTarget"
    } else if condition_true(conds, "SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else {
        "Running"
    };
    let (names, images) = containers(obj, &["spec", "template", "spec", "containers"]);
    vec![
        name(obj),
        status.into(),
        completions.into(),
        duration.into(),
        age,
        names.into(),
        images.into(),
        format_label_selector(at(obj, &["spec", "selector"])).into(),
    ]
}

fn cron_job(obj: &Value, now: DateTime<Utc>, age: Value) -> Vec<Value> {
    let last = match st(obj, &["status", "lastScheduleTime"]) {
        "" => "<none>".to_string(),
        t => since(t, now),
    };
    let suspend = match at(obj, &["spec", "suspend"]).and_then(Value::as_bool) {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    };
    let template = ["spec", "jobTemplate", "spec"];
    let (names, images) = containers(
        obj,
        &[&template[..], &["template", "spec", "containers"]].concat(),
    );
    vec![
        name(obj),
        st(obj, &["spec", "schedule"]).into(),
        at(obj, &["spec", "timeZone"])
            .and_then(Value::as_str)
            .unwrap_or("<none>")
            .into(),
        suspend.into(),
        Value::from(list(obj, &["status", "active"]).len()),
        last.into(),
        age,
        names.into(),
        images.into(),
        format_label_selector(at(obj, &[&template[..], &["selector"]].concat())).into(),
    ]
}

fn hpa(obj: &Value, age: Value) -> Vec<Value> {
    let reference = format!(
        "{}/{}",
        st(obj, &["spec", "scaleTargetRef", "kind"]),
        st(obj, &["spec", "scaleTargetRef", "name"])
    );
    let min =
        num(obj, &["spec", "minReplicas"]).map_or_else(|| "<unset>".to_string(), |n| n.to_string());
    vec![
        name(obj),
        reference.into(),
        hpa_targets(obj).into(),
        min.into(),
        Value::from(int(obj, &["spec", "maxReplicas"])),
        Value::from(int(obj, &["status", "currentReplicas"])),
        age,
    ]
}

/// A `*resource.Quantity` as Go prints it, "<nil>" when the pointer is unset.
fn qty_ptr(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "<nil>".to_string(),
        v => quantity(v),
    }
}

fn percent(v: Option<i64>, missing: &str) -> String {
    v.map_or_else(|| missing.to_string(), |p| format!("{p}%"))
}

/// formatHPAMetrics for autoscaling/v2 objects, with autoscaling/v1's CPU target mapped the way
/// the v1-to-internal conversion maps it.
fn hpa_targets(obj: &Value) -> String {
    let specs = list(obj, &["spec", "metrics"]);
    let statuses = list(obj, &["status", "currentMetrics"]);
    if specs.is_empty() {
        return match num(obj, &["spec", "targetCPUUtilizationPercentage"]) {
            Some(target) => {
                let current = percent(
                    num(obj, &["status", "currentCPUUtilizationPercentage"]),
                    "<unknown>",
                );
                format!("cpu: {current}/{target}%")
            }
            None => "<none>".to_string(),
        };
    }
    let mut out: Vec<String> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let status = statuses.get(i).unwrap_or(&Value::Null);
        let unknown = || "<unknown>".to_string();
        let text = match st(spec, &["type"]) {
            ty @ ("External" | "Object") => {
                let key = if ty == "External" {
                    "external"
                } else {
                    "object"
                };
                let current = at(status, &[key, "current"]).filter(|c| !c.is_null());
                match at(spec, &[key, "target", "averageValue"]).filter(|v| !v.is_null()) {
                    Some(avg) => {
                        let cur = current
                            .and_then(|c| c.get("averageValue"))
                            .filter(|v| !v.is_null());
                        format!(
                            "{}/{} (avg)",
                            cur.map_or_else(unknown, |c| quantity(Some(c))),
                            quantity(Some(avg))
                        )
                    }
                    None => {
                        let cur = current.map_or_else(unknown, |c| qty_ptr(c.get("value")));
                        format!("{cur}/{}", qty_ptr(at(spec, &[key, "target", "value"])))
                    }
                }
            }
            "Pods" => {
                let cur = at(status, &["pods", "current"]).filter(|c| !c.is_null());
                let cur = cur.map_or_else(unknown, |c| qty_ptr(c.get("averageValue")));
                format!(
                    "{cur}/{}",
                    qty_ptr(at(spec, &["pods", "target", "averageValue"]))
                )
            }
            ty @ ("Resource" | "ContainerResource") => {
                let key = if ty == "Resource" {
                    "resource"
                } else {
                    "containerResource"
                };
                let res = st(spec, &[key, "name"]);
                let current = at(status, &[key, "current"]).filter(|c| !c.is_null());
                match at(spec, &[key, "target", "averageValue"]).filter(|v| !v.is_null()) {
                    Some(avg) => {
                        let cur = current.map_or_else(unknown, |c| qty_ptr(c.get("averageValue")));
                        format!("{res}: {cur}/{}", quantity(Some(avg)))
                    }
                    None => {
                        let cur = percent(
                            current.and_then(|c| num(c, &["averageUtilization"])),
                            "<unknown>",
                        );
                        let target =
                            percent(num(spec, &[key, "target", "averageUtilization"]), "<auto>");
                        format!("{res}: {cur}/{target}")
                    }
                }
            }
            _ => "<unknown type>".to_string(),
        };
        out.push(text);
    }
    const MAX: usize = 2;
    let count = out.len();
    if count > MAX {
        out.truncate(MAX);
        return format!("{} + {} more...", out.join(", "), count - MAX);
    }
    out.join(", ")
}

// ---- pods -----------------------------------------------------------------------------------

/// lastState.terminated.finishedAt of a container status, when set.
fn last_finished(c: &Value) -> Option<DateTime<Utc>> {
    parse_time(st(c, &["lastState", "terminated", "finishedAt"]))
}

fn keep_latest(latest: &mut Option<DateTime<Utc>>, t: Option<DateTime<Utc>>) {
    if t > *latest {
        *latest = t;
    }
}

fn state<'a>(c: &'a Value, which: &str) -> Option<&'a Value> {
    at(c, &["state", which]).filter(|v| v.is_object())
}

/// "Signal:N" or "ExitCode:N" for a termination without a reason.
fn exit_text(t: &Value) -> String {
    match int(t, &["signal"]) {
        0 => format!("ExitCode:{}", int(t, &["exitCode"])),
        s => format!("Signal:{s}"),
    }
}

/// printPod: the READY / STATUS / RESTARTS logic of `kubectl get pods`.
fn pod(obj: &Value, now: DateTime<Utc>, age: Value) -> Vec<Value> {
    let phase = st(obj, &["status", "phase"]);
    let status_reason = st(obj, &["status", "reason"]);
    let mut reason = if status_reason.is_empty() {
        phase.to_string()
    } else {
        status_reason.to_string()
    };
    let conditions = list(obj, &["status", "conditions"]);
    if conditions
        .iter()
        .any(|c| st(c, &["type"]) == "PodScheduled" && st(c, &["reason"]) == "SchedulingGated")
    {
        reason = "SchedulingGated".to_string();
    }

    let init_specs = list(obj, &["spec", "initContainers"]);
    // Sidecars (restartable init containers) count as regular containers once started.
    let is_sidecar = |name: &str| {
        init_specs
            .iter()
            .any(|c| st(c, &["name"]) == name && st(c, &["restartPolicy"]) == "Always")
    };
    let sidecars = init_specs
        .iter()
        .filter(|c| st(c, &["restartPolicy"]) == "Always")
        .count();
    let total = list(obj, &["spec", "containers"]).len() + sidecars;
    let mut ready = 0;
    let (mut restarts, mut sidecar_restarts) = (0i64, 0i64);
    let (mut last_restart, mut last_sidecar_restart) = (None, None);

    let mut initializing = false;
    for (i, c) in list(obj, &["status", "initContainerStatuses"])
        .iter()
        .enumerate()
    {
        let count = int(c, &["restartCount"]);
        restarts += count;
        keep_latest(&mut last_restart, last_finished(c));
        let sidecar = is_sidecar(st(c, &["name"]));
        if sidecar {
            sidecar_restarts += count;
            keep_latest(&mut last_sidecar_restart, last_finished(c));
        }
        let terminated = state(c, "terminated");
        if terminated.is_some_and(|t| int(t, &["exitCode"]) == 0) {
            continue;
        }
        if sidecar && at(c, &["started"]).and_then(Value::as_bool) == Some(true) {
            if at(c, &["ready"]).and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        let waiting = state(c, "waiting").map_or("", |w| st(w, &["reason"]));
        reason = match terminated {
            Some(t) if st(t, &["reason"]).is_empty() => format!("Init:{}", exit_text(t)),
            Some(t) => format!("Init:{}", st(t, &["reason"])),
            None if !waiting.is_empty() && waiting != "PodInitializing" => {
                format!("Init:{waiting}")
            }
            None => format!("Init:{i}/{}", init_specs.len()),
        };
        initializing = true;
        break;
    }

    if !initializing || condition_true(conditions, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        // Walk backwards so the first container's reason is the one that sticks.
        for c in list(obj, &["status", "containerStatuses"]).iter().rev() {
            restarts += int(c, &["restartCount"]);
            keep_latest(&mut last_restart, last_finished(c));
            let waiting = state(c, "waiting").map_or("", |w| st(w, &["reason"]));
            let terminated = state(c, "terminated");
            if !waiting.is_empty() {
                reason = waiting.to_string();
            } else if let Some(t) = terminated {
                reason = match st(t, &["reason"]) {
                    "" => exit_text(t),
                    r => r.to_string(),
                };
            } else if at(c, &["ready"]).and_then(Value::as_bool) == Some(true)
                && state(c, "running").is_some()
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if condition_true(conditions, "Ready") {
                "Running"
            } else {
                "NotReady"
            }
            .to_string();
        }
    }

    let deleting = present(obj, &["metadata", "deletionTimestamp"]);
    if deleting && status_reason == "NodeLost" {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_string();
    }

    let restarts = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", human_since(t, now)),
        _ => restarts.to_string(),
    };
    let pod_ip = list(obj, &["status", "podIPs"])
        .first()
        .map(|p| st(p, &["ip"]))
        .filter(|ip| !ip.is_empty())
        .unwrap_or_else(|| st(obj, &["status", "podIP"]));
    let gates = list(obj, &["spec", "readinessGates"]);
    let gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let met = gates
            .iter()
            .filter(|g| {
                let ty = st(g, &["conditionType"]);
                conditions
                    .iter()
                    .find(|c| st(c, &["type"]) == ty)
                    .is_some_and(|c| st(c, &["status"]) == "True")
            })
            .count();
        format!("{met}/{}", gates.len())
    };
    vec![
        name(obj),
        format!("{ready}/{total}").into(),
        reason.into(),
        restarts.into(),
        age,
        or_none(pod_ip).into(),
        or_none(st(obj, &["spec", "nodeName"])).into(),
        or_none(st(obj, &["status", "nominatedNodeName"])).into(),
        gates.into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::{cells, columns};
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        parse_time("2024-05-01T12:00:00Z").expect("valid test time")
    }

    #[test]
    fn crash_looping_pod() {
        let pod = json!({
            "metadata": {"name": "api-7d9f", "creationTimestamp": "2024-05-01T09:00:00Z"},
            "spec": {"nodeName": "worker-1", "containers": [{"name": "api"}, {"name": "proxy"}]},
            "status": {
                "phase": "Running",
                "podIP": "10.244.1.7",
                "podIPs": [{"ip": "10.244.1.7"}],
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [
                    {"name": "api", "ready": false, "restartCount": 5,
                     "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                     "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                                  "finishedAt": "2024-05-01T11:55:00Z"}}},
                    {"name": "proxy", "ready": true, "restartCount": 0,
                     "state": {"running": {"startedAt": "2024-05-01T09:00:05Z"}}}
                ]
            }
        });
        let want = json!([
            "api-7d9f",
            "1/2",
            "CrashLoopBackOff",
            "5 (5m ago)",
            "3h",
            "10.244.1.7",
            "worker-1",
            "<none>",
            "<none>"
        ]);
        assert_eq!(Value::from(cells("", "pods", &pod, now())), want);
        let names: Vec<_> = columns("", "pods")
            .iter()
            .map(|c| (c.name, c.priority))
            .collect();
        assert_eq!(names[8], ("Readiness Gates", 1));
    }

    fn pod_status(obj: Value) -> Value {
        cells("", "pods", &obj, now())[2].clone()
    }

    #[test]
    fn pod_status_reasons() {
        let init = json!({
            "spec": {"initContainers": [{"name": "a"}, {"name": "b"}], "containers": [{"name": "c"}]},
            "status": {"phase": "Pending", "initContainerStatuses": [
                {"name": "a", "state": {"terminated": {"exitCode": 0}}},
                {"name": "b", "state": {"running": {}}}]}
        });
        assert_eq!(pod_status(init), json!("Init:1/2"));
        let init_failed = json!({"status": {"initContainerStatuses": [
            {"name": "a", "state": {"terminated": {"exitCode": 2}}}]}});
        assert_eq!(pod_status(init_failed), json!("Init:ExitCode:2"));
        let done = json!({"status": {"phase": "Succeeded", "containerStatuses": [
            {"state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}});
        assert_eq!(pod_status(done.clone()), json!("Completed"));
        let mut deleted = done;
        deleted["metadata"] = json!({"deletionTimestamp": "2024-05-01T11:00:00Z"});
        assert_eq!(pod_status(deleted), json!("Completed"));
        let running = json!({"metadata": {"deletionTimestamp": "2024-05-01T11:00:00Z"},
            "status": {"phase": "Running"}});
        assert_eq!(pod_status(running), json!("Terminating"));
        let lost = json!({"metadata": {"deletionTimestamp": "2024-05-01T11:00:00Z"},
            "status": {"phase": "Running", "reason": "NodeLost"}});
        assert_eq!(pod_status(lost), json!("Unknown"));
    }

    #[test]
    fn deployment_row() {
        let deploy = json!({
            "metadata": {"name": "nginx", "creationTimestamp": "2024-04-29T09:00:00Z"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "nginx"}},
                "template": {"spec": {"containers": [
                    {"name": "nginx", "image": "nginx:1.25"}, {"name": "log", "image": "busybox"}]}}
            },
            "status": {"readyReplicas": 1, "updatedReplicas": 3, "availableReplicas": 1}
        });
        let want = json!([
            "nginx",
            "1/3",
            3,
            1,
            "2d3h",
            "nginx,log",
            "nginx:1.25,busybox",
            "app=nginx"
        ]);
        assert_eq!(
            Value::from(cells("apps", "deployments", &deploy, now())),
            want
        );
    }

    #[test]
    fn job_and_cronjob_rows() {
        let job = json!({
            "metadata": {"name": "pi", "creationTimestamp": "2024-05-01T11:00:00Z"},
            "spec": {"completions": 1, "template": {"spec": {"containers": [{"name": "pi", "image": "perl"}]}}},
            "status": {"succeeded": 1, "startTime": "2024-05-01T11:00:00Z",
                       "completionTime": "2024-05-01T11:03:02Z",
                       "conditions": [{"type": "Complete", "status": "True"}]}
        });
        let want = json!(["pi", "Complete", "1/1", "3m2s", "60m", "pi", "perl", "<none>"]);
        assert_eq!(Value::from(cells("batch", "jobs", &job, now())), want);
        let cron = json!({"metadata": {"name": "c"}, "spec": {"schedule": "*/5 * * * *", "suspend": false}});
        let want = json!([
            "c",
            "*/5 * * * *",
            "<none>",
            "False",
            0,
            "<none>",
            "<unknown>",
            "",
            "",
            "<none>"
        ]);
        assert_eq!(Value::from(cells("batch", "cronjobs", &cron, now())), want);
    }

    #[test]
    fn hpa_targets_column() {
        let hpa = json!({"spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 5,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 80}}}]},
            "status": {"currentReplicas": 2, "currentMetrics": [{"type": "Resource",
                "resource": {"name": "cpu", "current": {"averageUtilization": 35}}}]}});
        let row = cells("autoscaling", "horizontalpodautoscalers", &hpa, now());
        assert_eq!(
            row[1..6],
            [
                json!("Deployment/web"),
                json!("cpu: 35%/80%"),
                json!("<unset>"),
                json!(5),
                json!(2)
            ]
        );
    }
}
