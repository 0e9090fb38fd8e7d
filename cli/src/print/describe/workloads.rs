//! Controllers: deployments, replica sets, replication controllers, daemon sets, stateful sets, jobs, cron jobs.

use super::events::describe_events;
use super::pods::pod_template;
use super::quantity::canonical;
use super::util::{
    annotations, arr, at, controller_of, controller_uid, format_labels, format_selector, i, labels,
    labels_block, map, opt_i, parse_time, rfc1123z, s, selector_string, title_bool,
};
use super::writer::{Writer, L0, L1};
use super::Extra;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// `getPodStatusForController`: phases of the related pods whose controller is `obj`.
fn pod_status_line(obj: &Value, pods: &[Value]) -> String {
    let uid = s(obj, "/metadata/uid");
    let (mut running, mut waiting, mut succeeded, mut failed) = (0, 0, 0, 0);
    for p in pods.iter().filter(|p| controller_uid(p) == Some(uid)) {
        match s(p, "/status/phase") {
            "Running" => running += 1,
            "Pending" => waiting += 1,
            "Succeeded" => succeeded += 1,
            "Failed" => failed += 1,
            _ => {}
        }
    }
    format!("{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed")
}

/// The `Conditions:` table of deployments, replica sets and replication controllers.
fn controller_conditions(w: &mut Writer, obj: &Value) {
    let conds = arr(obj, "/status/conditions");
    if conds.is_empty() {
        return;
    }
    w.w(L0, "Conditions:\n  Type\tStatus\tReason\n");
    w.w(L1, "----\t------\t------\n");
    for c in conds {
        w.w(
            L1,
            &format!(
                "{} \t{}\t{}\n",
                s(c, "/type"),
                s(c, "/status"),
                s(c, "/reason")
            ),
        );
    }
}

/// `describeDeployment`; the replica sets come from `extra.related`.
pub fn describe_deployment(d: &Value, extra: &Extra, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(d, "/metadata/name")));
    w.w(
        L0,
        &format!("Namespace:\t{}\n", s(d, "/metadata/namespace")),
    );
    w.w(
        L0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z(s(d, "/metadata/creationTimestamp"))
        ),
    );
    labels(&mut w, "Labels", d, "/metadata/labels");
    annotations(&mut w, "Annotations", d, "/metadata/annotations");
    w.w(
        L0,
        &format!("Selector:\t{}\n", selector_string(at(d, "/spec/selector"))),
    );
    w.w(
        L0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
            opt_i(d, "/spec/replicas").unwrap_or(1),
            i(d, "/status/updatedReplicas"),
            i(d, "/status/replicas"),
            i(d, "/status/availableReplicas"),
            i(d, "/status/unavailableReplicas")
        ),
    );
    w.w(
        L0,
        &format!("StrategyType:\t{}\n", s(d, "/spec/strategy/type")),
    );
    w.w(
        L0,
        &format!("MinReadySeconds:\t{}\n", i(d, "/spec/minReadySeconds")),
    );
    let ru = at(d, "/spec/strategy/rollingUpdate");
    if !ru.is_null() {
        let show = |v: &Value| {
            if v.is_null() {
                "<nil>".to_string()
            } else {
                super::util::int_or_string(v)
            }
        };
        w.w(
            L0,
            &format!(
                "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
                show(at(ru, "/maxUnavailable")),
                show(at(ru, "/maxSurge"))
            ),
        );
    }
    pod_template(&mut w, at(d, "/spec/template"));
    controller_conditions(&mut w, d);
    let (new, old) = split_replica_sets(d, &extra.related);
    if new.is_some() || !old.is_empty() {
        w.w(
            L0,
            &format!("OldReplicaSets:\t{}\n", replica_sets_text(&old)),
        );
        w.w(
            L0,
            &format!(
                "NewReplicaSet:\t{}\n",
                replica_sets_text(&new.into_iter().collect::<Vec<_>>())
            ),
        );
    }
    describe_events(&mut w, &extra.events, now);
    w.finish()
}

/// deploymentutil's split: replica sets controlled by the deployment; the new one has the deployment's pod
/// template (ignoring the pod-template-hash label), oldest first if several do; the rest are old.
fn split_replica_sets<'a>(d: &Value, related: &'a [Value]) -> (Option<&'a Value>, Vec<&'a Value>) {
    let uid = s(d, "/metadata/uid");
    let mut owned: Vec<&Value> = related
        .iter()
        .filter(|r| s(r, "/kind") != "Pod" && controller_uid(r) == Some(uid))
        .collect();
    owned.sort_by_key(|r| {
        (
            parse_time(s(r, "/metadata/creationTimestamp")),
            s(r, "/metadata/name").to_string(),
        )
    });
    let want = without_hash(at(d, "/spec/template"));
    let new = owned
        .iter()
        .copied()
        .find(|r| without_hash(at(r, "/spec/template")) == want);
    let old = owned
        .iter()
        .copied()
        .filter(|r| new.is_none_or(|n| !std::ptr::eq(*r, n)))
        .collect();
    (new, old)
}

fn without_hash(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(l) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        l.remove("pod-template-hash");
    }
    normalize(&mut t);
    t
}

/// Drops nulls, empty strings and empty maps or lists: Go compares the decoded structs semantically, where
/// those equal an absent field (e.g. the template's `creationTimestamp: null`).
fn normalize(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for child in m.values_mut() {
                normalize(child);
            }
            m.retain(|_, c| !is_empty(c));
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// `printReplicaSetsByLabels`.
fn replica_sets_text(list: &[&Value]) -> String {
    if list.is_empty() {
        return "<none>".to_string();
    }
    list.iter()
        .map(|r| {
            format!(
                "{} ({}/{} replicas created)",
                s(r, "/metadata/name"),
                i(r, "/status/replicas"),
                opt_i(r, "/spec/replicas").unwrap_or(1)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `describeReplicaSet` (apps/v1) and `describeReplicationController` (core/v1, map selector, no owner line).
pub fn describe_replica_set(rs: &Value, extra: &Extra, now: DateTime<Utc>, rc: bool) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(rs, "/metadata/name")));
    w.w(
        L0,
        &format!("Namespace:\t{}\n", s(rs, "/metadata/namespace")),
    );
    let selector = if rc {
        format_labels(rs, "/spec/selector")
    } else {
        format_selector(at(rs, "/spec/selector"))
    };
    w.w(L0, &format!("Selector:\t{selector}\n"));
    labels(&mut w, "Labels", rs, "/metadata/labels");
    annotations(&mut w, "Annotations", rs, "/metadata/annotations");
    if !rc {
        if let Some(c) = controller_of(rs) {
            w.w(L0, &format!("Controlled By:\t{c}\n"));
        }
    }
    w.w(
        L0,
        &format!(
            "Replicas:\t{} current / {} desired\n",
            i(rs, "/status/replicas"),
            opt_i(rs, "/spec/replicas").unwrap_or(1)
        ),
    );
    w.w(
        L0,
        &format!("Pods Status:\t{}\n", pod_status_line(rs, &extra.related)),
    );
    pod_template(&mut w, at(rs, "/spec/template"));
    controller_conditions(&mut w, rs);
    describe_events(&mut w, &extra.events, now);
    w.finish()
}

/// `describeDaemonSet`.
pub fn describe_daemon_set(ds: &Value, extra: &Extra, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(ds, "/metadata/name")));
    w.w(
        L0,
        &format!("Selector:\t{}\n", selector_string(at(ds, "/spec/selector"))),
    );
    let node_selector = map(ds, "/spec/template/spec/nodeSelector");
    let ns_text = node_selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    w.w(
        L0,
        &format!(
            "Node-Selector:\t{}\n",
            if ns_text.is_empty() {
                "<none>"
            } else {
                &ns_text
            }
        ),
    );
    labels(&mut w, "Labels", ds, "/metadata/labels");
    annotations(&mut w, "Annotations", ds, "/metadata/annotations");
    for (title, field) in [
        (
            "Desired Number of Nodes Scheduled",
            "/status/desiredNumberScheduled",
        ),
        (
            "Current Number of Nodes Scheduled",
            "/status/currentNumberScheduled",
        ),
        (
            "Number of Nodes Scheduled with Up-to-date Pods",
            "/status/updatedNumberScheduled",
        ),
        (
            "Number of Nodes Scheduled with Available Pods",
            "/status/numberAvailable",
        ),
        ("Number of Nodes Misscheduled", "/status/numberMisscheduled"),
    ] {
        w.w(L0, &format!("{title}: {}\n", i(ds, field)));
    }
    w.w(
        L0,
        &format!("Pods Status:\t{}\n", pod_status_line(ds, &extra.related)),
    );
    pod_template(&mut w, at(ds, "/spec/template"));
    describe_events(&mut w, &extra.events, now);
    w.finish()
}

/// `describeStatefulSet`.
pub fn describe_stateful_set(ss: &Value, extra: &Extra, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(ss, "/metadata/name")));
    w.w(
        L0,
        &format!("Namespace:\t{}\n", s(ss, "/metadata/namespace")),
    );
    w.w(
        L0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z(s(ss, "/metadata/creationTimestamp"))
        ),
    );
    w.w(
        L0,
        &format!("Selector:\t{}\n", selector_string(at(ss, "/spec/selector"))),
    );
    labels(&mut w, "Labels", ss, "/metadata/labels");
    annotations(&mut w, "Annotations", ss, "/metadata/annotations");
    w.w(
        L0,
        &format!(
            "Replicas:\t{} desired | {} total\n",
            opt_i(ss, "/spec/replicas").unwrap_or(1),
            i(ss, "/status/replicas")
        ),
    );
    w.w(
        L0,
        &format!("Update Strategy:\t{}\n", s(ss, "/spec/updateStrategy/type")),
    );
    let ru = at(ss, "/spec/updateStrategy/rollingUpdate");
    if let Some(p) = opt_i(ru, "/partition") {
        w.w(L1, &format!("Partition:\t{p}\n"));
        let mu = at(ru, "/maxUnavailable");
        if !mu.is_null() {
            w.w(
                L1,
                &format!("MaxUnavailable:\t{}\n", super::util::int_or_string(mu)),
            );
        }
    }
    w.w(
        L0,
        &format!("Pods Status:\t{}\n", pod_status_line(ss, &extra.related)),
    );
    pod_template(&mut w, at(ss, "/spec/template"));
    let templates = arr(ss, "/spec/volumeClaimTemplates");
    if templates.is_empty() {
        w.w(L0, "Volume Claims:\t<none>\n");
    } else {
        w.w(L0, "Volume Claims:\n");
        for pvc in templates {
            w.w(L1, &format!("Name:\t{}\n", s(pvc, "/metadata/name")));
            w.w(L1, &format!("StorageClass:\t{}\n", pvc_class(pvc)));
            labels_block(&mut w, "  ", "Labels", "\t", &map(pvc, "/metadata/labels"));
            labels_block(
                &mut w,
                "  ",
                "Annotations",
                "\t",
                &map(pvc, "/metadata/annotations"),
            );
            let cap = s(pvc, "/spec/resources/requests/storage");
            let cap = if cap.is_empty() {
                "<default>".to_string()
            } else {
                canonical(cap)
            };
            w.w(L1, &format!("Capacity:\t{cap}\n"));
            let modes: Vec<&str> = arr(pvc, "/spec/accessModes")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            w.w(L1, &format!("Access Modes:\t[{}]\n", modes.join(" ")));
        }
    }
    describe_events(&mut w, &extra.events, now);
    w.finish()
}

/// `storageutil.GetPersistentVolumeClaimClass`: the beta annotation wins over spec.storageClassName.
fn pvc_class(pvc: &Value) -> String {
    let ann = at(
        pvc,
        "/metadata/annotations/volume.beta.kubernetes.io~1storage-class",
    );
    match ann.as_str() {
        Some(c) => c.to_string(),
        None => s(pvc, "/spec/storageClassName").to_string(),
    }
}

/// `describeJob`.
pub fn describe_job(job: &Value, extra: &Extra, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(job, "/metadata/name")));
    w.w(
        L0,
        &format!("Namespace:\t{}\n", s(job, "/metadata/namespace")),
    );
    w.w(
        L0,
        &format!(
            "Selector:\t{}\n",
            selector_string(at(job, "/spec/selector"))
        ),
    );
    labels(&mut w, "Labels", job, "/metadata/labels");
    annotations(&mut w, "Annotations", job, "/metadata/annotations");
    if let Some(c) = controller_of(job) {
        w.w(L0, &format!("Controlled By:\t{c}\n"));
    }
    if let Some(p) = opt_i(job, "/spec/parallelism") {
        w.w(L0, &format!("Parallelism:\t{p}\n"));
    }
    match opt_i(job, "/spec/completions") {
        Some(c) => w.w(L0, &format!("Completions:\t{c}\n")),
        None => w.w(L0, "Completions:\t<unset>\n"),
    }
    let mode = s(job, "/spec/completionMode");
    if !mode.is_empty() {
        w.w(L0, &format!("Completion Mode:\t{mode}\n"));
    }
    if let Some(v) = at(job, "/spec/suspend").as_bool() {
        w.w(L0, &format!("Suspend:\t{v}\n"));
    }
    if let Some(v) = opt_i(job, "/spec/backoffLimit") {
        w.w(L0, &format!("Backoff Limit:\t{v}\n"));
    }
    if let Some(v) = opt_i(job, "/spec/ttlSecondsAfterFinished") {
        w.w(L0, &format!("TTL Seconds After Finished:\t{v}\n"));
    }
    let start = s(job, "/status/startTime");
    let done = s(job, "/status/completionTime");
    if !start.is_empty() {
        w.w(L0, &format!("Start Time:\t{}\n", rfc1123z(start)));
    }
    if !done.is_empty() {
        w.w(L0, &format!("Completed At:\t{}\n", rfc1123z(done)));
    }
    if let (Some(a), Some(z)) = (parse_time(start), parse_time(done)) {
        w.w(
            L0,
            &format!(
                "Duration:\t{}\n",
                super::util::human_duration((z - a).num_milliseconds())
            ),
        );
    }
    if let Some(v) = opt_i(job, "/spec/activeDeadlineSeconds") {
        w.w(L0, &format!("Active Deadline Seconds:\t{v}s\n"));
    }
    let (active, succeeded, failed) = (
        i(job, "/status/active"),
        i(job, "/status/succeeded"),
        i(job, "/status/failed"),
    );
    match opt_i(job, "/status/ready") {
        None => w.w(L0, &format!("Pods Statuses:\t{active} Active / {succeeded} Succeeded / {failed} Failed\n")),
        Some(r) => w.w(
            L0,
            &format!("Pods Statuses:\t{active} Active ({r} Ready) / {succeeded} Succeeded / {failed} Failed\n"),
        ),
    }
    if mode == "Indexed" {
        w.w(
            L0,
            &format!(
                "Completed Indexes:\t{}\n",
                cap_indexes(s(job, "/status/completedIndexes"), 50)
            ),
        );
    }
    pod_template(&mut w, at(job, "/spec/template"));
    describe_events(&mut w, &extra.events, now);
    w.finish()
}

/// `capIndexesListOrNone`: the list cut at the first comma after `soft` bytes.
fn cap_indexes(indexes: &str, soft: usize) -> String {
    if indexes.is_empty() {
        return "<none>".to_string();
    }
    match indexes.get(soft..).and_then(|rest| rest.find(',')) {
        Some(pos) => format!("{}...", &indexes[..soft + pos + 1]),
        None => indexes.to_string(),
    }
}

/// `describeCronJob`.
pub fn describe_cron_job(cj: &Value, extra: &Extra, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(cj, "/metadata/name")));
    w.w(
        L0,
        &format!("Namespace:\t{}\n", s(cj, "/metadata/namespace")),
    );
    labels(&mut w, "Labels", cj, "/metadata/labels");
    annotations(&mut w, "Annotations", cj, "/metadata/annotations");
    w.w(L0, &format!("Schedule:\t{}\n", s(cj, "/spec/schedule")));
    w.w(
        L0,
        &format!(
            "Concurrency Policy:\t{}\n",
            s(cj, "/spec/concurrencyPolicy")
        ),
    );
    let suspend = match at(cj, "/spec/suspend").as_bool() {
        Some(v) => title_bool(v),
        None => "<unset>",
    };
    w.w(L0, &format!("Suspend:\t{suspend}\n"));
    let unset = |v: Option<i64>, unit: &str| {
        v.map(|x| format!("{x}{unit}"))
            .unwrap_or_else(|| "<unset>".to_string())
    };
    w.w(
        L0,
        &format!(
            "Successful Job History Limit:\t{}\n",
            unset(opt_i(cj, "/spec/successfulJobsHistoryLimit"), "")
        ),
    );
    w.w(
        L0,
        &format!(
            "Failed Job History Limit:\t{}\n",
            unset(opt_i(cj, "/spec/failedJobsHistoryLimit"), "")
        ),
    );
    w.w(
        L0,
        &format!(
            "Starting Deadline Seconds:\t{}\n",
            unset(opt_i(cj, "/spec/startingDeadlineSeconds"), "s")
        ),
    );
    let jt = at(cj, "/spec/jobTemplate");
    let sel = at(jt, "/spec/selector");
    if sel.is_null() {
        w.w(L0, "Selector:\t<unset>\n");
    } else {
        w.w(L0, &format!("Selector:\t{}\n", selector_string(sel)));
    }
    w.w(
        L0,
        &format!(
            "Parallelism:\t{}\n",
            unset(opt_i(jt, "/spec/parallelism"), "")
        ),
    );
    w.w(
        L0,
        &format!(
            "Completions:\t{}\n",
            unset(opt_i(jt, "/spec/completions"), "")
        ),
    );
    if let Some(v) = opt_i(jt, "/spec/activeDeadlineSeconds") {
        w.w(L0, &format!("Active Deadline Seconds:\t{v}s\n"));
    }
    pod_template(&mut w, at(jt, "/spec/template"));
    let last = s(cj, "/status/lastScheduleTime");
    if last.is_empty() {
        w.w(L0, "Last Schedule Time:\t<unset>\n");
    } else {
        w.w(L0, &format!("Last Schedule Time:\t{}\n", rfc1123z(last)));
    }
    let active: Vec<&str> = arr(cj, "/status/active")
        .iter()
        .map(|j| s(j, "/name"))
        .collect();
    if active.is_empty() {
        w.w(L0, "Active Jobs:\t<none>\n");
    } else {
        w.w(L0, &format!("Active Jobs:\t{}\n", active.join(", ")));
    }
    describe_events(&mut w, &extra.events, now);
    w.finish()
}
