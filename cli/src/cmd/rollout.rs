//! `kyb rollout status|history|undo|pause|resume|restart` for deployments, daemonsets and statefulsets, as
//! kubectl runs them: on the client, from the object and its history (a Deployment's ReplicaSets, the
//! others' ControllerRevisions).

use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use kyb_api::client::Method;
use kyb_api::template::{revision, without_hash, HASH_LABEL};
use serde_json::{json, Map, Value};

use super::targets::{self, ObjRef, Selection};
use super::{meta_str, parse_duration, CliError, CliResult, Ctx};

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Show the status of the rollout.
    Status(Target),
    /// View rollout history.
    History(Target),
    /// Undo a previous rollout.
    Undo(Target),
    /// Mark the provided resource as paused.
    Pause(Target),
    /// Resume a paused resource.
    Resume(Target),
    /// Restart a resource.
    Restart(Target),
}

#[derive(Debug, Args)]
pub struct Target {
    /// TYPE NAME or TYPE/NAME
    args: Vec<String>,
    #[arg(short = 'f', long = "filename")]
    filenames: Vec<String>,
    #[arg(short = 'l', long)]
    selector: Option<String>,
    /// The length of time to wait before ending watch (status), zero means never.
    #[arg(long, default_value = "0s")]
    timeout: String,
    /// Watch the status of the rollout until it's done (status).
    #[arg(short = 'w', long, num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", action = clap::ArgAction::Set)]
    watch: bool,
    /// The revision to roll back to (undo); 0 means the previous one.
    #[arg(long, default_value_t = 0)]
    to_revision: i64,
    /// See the details, including podTemplate of the revision specified (history).
    #[arg(long, default_value_t = 0)]
    revision: i64,
    #[arg(short = 'o', long)]
    output: Option<String>,
}

const ANNOTATIONS_KEPT_BY_UNDO: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

fn int(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// kubectl's DeploymentStatusViewer: the line to print, and whether the rollout is done.
fn deployment_status(d: &Value) -> Result<(String, bool), CliError> {
    let name = meta_str(d, "name");
    if int(d, "/metadata/generation") > int(d, "/status/observedGeneration") {
        return Ok((
            "Waiting for deployment spec update to be observed...\n".into(),
            false,
        ));
    }
    let deadline = d
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded");
    if deadline {
        return Err(CliError::Msg(format!(
            "deployment {name:?} exceeded its progress deadline"
        )));
    }
    let want = d
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let updated = int(d, "/status/updatedReplicas");
    let replicas = int(d, "/status/replicas");
    let available = int(d, "/status/availableReplicas");
    let waiting = |what: String| {
        Ok((
            format!("Waiting for deployment {name:?} rollout to finish: {what}...\n"),
            false,
        ))
    };
    if updated < want {
        return waiting(format!(
            "{updated} out of {want} new replicas have been updated"
        ));
    }
    if replicas > updated {
        return waiting(format!(
            "{} old replicas are pending termination",
            replicas - updated
        ));
    }
    if available < updated {
        return waiting(format!(
            "{available} of {updated} updated replicas are available"
        ));
    }
    Ok((
        format!("deployment {name:?} successfully rolled out\n"),
        true,
    ))
}

/// The workloads `rollout` knows.
#[derive(Clone, Copy, PartialEq)]
enum Workload {
    Deployment,
    DaemonSet,
    StatefulSet,
}

fn workload(o: &ObjRef) -> Option<Workload> {
    match (o.resource.group.as_str(), o.resource.kind.as_str()) {
        ("apps", "Deployment") => Some(Workload::Deployment),
        ("apps", "DaemonSet") => Some(Workload::DaemonSet),
        ("apps", "StatefulSet") => Some(Workload::StatefulSet),
        _ => None,
    }
}

/// kubectl's DaemonSetStatusViewer.
fn daemon_set_status(ds: &Value) -> Result<(String, bool), CliError> {
    if ds
        .pointer("/spec/updateStrategy/type")
        .and_then(Value::as_str)
        != Some("RollingUpdate")
    {
        return Err(CliError::Msg(
            "rollout status is only available for RollingUpdate strategy type".into(),
        ));
    }
    if int(ds, "/metadata/generation") > int(ds, "/status/observedGeneration") {
        return Ok((
            "Waiting for daemon set spec update to be observed...\n".into(),
            false,
        ));
    }
    let name = meta_str(ds, "name");
    let desired = int(ds, "/status/desiredNumberScheduled");
    let updated = int(ds, "/status/updatedNumberScheduled");
    let available = int(ds, "/status/numberAvailable");
    if updated < desired {
        return Ok((format!("Waiting for daemon set {name:?} rollout to finish: {updated} out of {desired} new pods have been updated...\n"), false));
    }
    if available < desired {
        return Ok((format!("Waiting for daemon set {name:?} rollout to finish: {available} of {desired} updated pods are available...\n"), false));
    }
    Ok((
        format!("daemon set {name:?} successfully rolled out\n"),
        true,
    ))
}

/// kubectl's StatefulSetStatusViewer.
fn stateful_set_status(sts: &Value) -> Result<(String, bool), CliError> {
    if sts
        .pointer("/spec/updateStrategy/type")
        .and_then(Value::as_str)
        != Some("RollingUpdate")
    {
        return Err(CliError::Msg(
            "rollout status is only available for RollingUpdate strategy type".into(),
        ));
    }
    let observed = int(sts, "/status/observedGeneration");
    if observed == 0 || int(sts, "/metadata/generation") > observed {
        return Ok((
            "Waiting for statefulset spec update to be observed...\n".into(),
            false,
        ));
    }
    let replicas = sts.pointer("/spec/replicas").and_then(Value::as_i64);
    let ready = int(sts, "/status/readyReplicas");
    if let Some(r) = replicas.filter(|r| ready < *r) {
        return Ok((
            format!("Waiting for {} pods to be ready...\n", r - ready),
            false,
        ));
    }
    let updated = int(sts, "/status/updatedReplicas");
    if sts
        .pointer("/spec/updateStrategy/rollingUpdate")
        .is_some_and(|r| !r.is_null())
    {
        let partition = sts
            .pointer("/spec/updateStrategy/rollingUpdate/partition")
            .and_then(Value::as_i64);
        if let (Some(r), Some(p)) = (replicas, partition) {
            if updated < r - p {
                return Ok((format!("Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...\n", r - p), false));
            }
        }
        return Ok((
            format!("partitioned roll out complete: {updated} new pods have been updated...\n"),
            true,
        ));
    }
    let update_revision = sts
        .pointer("/status/updateRevision")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let current_revision = sts
        .pointer("/status/currentRevision")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if update_revision != current_revision {
        return Ok((format!("waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}...\n"), false));
    }
    Ok((
        format!(
            "statefulset rolling update complete {} pods at revision {current_revision}...\n",
            int(sts, "/status/currentReplicas")
        ),
        true,
    ))
}

fn status_of(w: Workload, obj: &Value) -> Result<(String, bool), CliError> {
    match w {
        Workload::Deployment => deployment_status(obj),
        Workload::DaemonSet => daemon_set_status(obj),
        Workload::StatefulSet => stateful_set_status(obj),
    }
}

/// One entry of a workload's history: a Deployment's ReplicaSet, or another's ControllerRevision.
fn revision_of(w: Workload, h: &Value) -> i64 {
    match w {
        Workload::Deployment => revision(h),
        _ => h.get("revision").and_then(Value::as_i64).unwrap_or(0),
    }
}

/// The workload's history (listed in its namespace, kept by owner), by revision.
async fn history(ctx: &Ctx, o: &ObjRef, w: Workload, d: &Value) -> CliResult<Vec<Value>> {
    let uid = d.pointer("/metadata/uid").cloned().unwrap_or(Value::Null);
    let ns = o.namespace.as_deref().unwrap_or(ctx.namespace());
    let plural = if w == Workload::Deployment {
        "replicasets"
    } else {
        "controllerrevisions"
    };
    let list = ctx
        .client
        .get_json(&format!("/apis/apps/v1/namespaces/{ns}/{plural}"))
        .await?;
    let mut sets: Vec<Value> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|rs| {
            rs.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|refs| {
                    refs.iter()
                        .any(|r| r["controller"] == true && r["uid"] == uid)
                })
        })
        .cloned()
        .collect();
    sets.sort_by_key(|h| revision_of(w, h));
    Ok(sets)
}

/// `no status viewer has been implemented for "ReplicaSet.apps"`.
fn unsupported(o: &ObjRef, what: &str) -> CliError {
    let r = &o.resource;
    let kind = if r.group.is_empty() {
        r.kind.clone()
    } else {
        format!("{}.{}", r.kind, r.group)
    };
    CliError::Msg(format!("no {what} has been implemented for {kind:?}"))
}

/// `replicasets.apps "x"`, as kubectl names an object in its errors.
fn named(o: &ObjRef) -> String {
    let r = &o.resource;
    let plural = if r.group.is_empty() {
        r.name.clone()
    } else {
        format!("{}.{}", r.name, r.group)
    };
    format!("{plural} {:?}", o.name)
}

async fn patch_object(ctx: &Ctx, o: &ObjRef, patch: &Value) -> CliResult {
    let smp = "application/strategic-merge-patch+json";
    ctx.client
        .send_json(Method::PATCH, &o.path(), smp, patch)
        .await?;
    Ok(())
}

pub async fn run(ctx: &Ctx, cmd: RolloutCommand) -> CliResult {
    let (verb, t) = match &cmd {
        RolloutCommand::Status(t) => ("status", t),
        RolloutCommand::History(t) => ("history", t),
        RolloutCommand::Undo(t) => ("undo", t),
        RolloutCommand::Pause(t) => ("pause", t),
        RolloutCommand::Resume(t) => ("resume", t),
        RolloutCommand::Restart(t) => ("restart", t),
    };
    if t.args.is_empty() && t.filenames.is_empty() {
        return Err(CliError::Msg("required resource not specified".into()));
    }
    let selection = Selection {
        args: &t.args,
        filenames: &t.filenames,
        recursive: false,
        selector: t.selector.as_deref(),
        field_selector: None,
        all: false,
        all_namespaces: false,
    };
    for o in targets::resolve(ctx, &selection).await? {
        let d = ctx.client.get_json(&o.path()).await?;
        let kind = workload(&o);
        let display = o.display();
        let quiet = t.output.as_deref() == Some("name");
        let done = |what: &str| {
            if quiet {
                println!("{display}");
            } else {
                println!("{display} {what}");
            }
        };
        match verb {
            "status" => {
                let Some(w) = kind else {
                    return Err(unsupported(&o, "status viewer"));
                };
                let timeout = parse_duration(&t.timeout).map_err(|_| {
                    CliError::Msg(format!(
                        "invalid argument {:?} for \"--timeout\" flag",
                        t.timeout
                    ))
                })?;
                let start = Instant::now();
                let mut last = String::new();
                let mut d = d;
                loop {
                    let (line, finished) = status_of(w, &d)?;
                    if line != last {
                        print!("{line}");
                        last = line;
                    }
                    if finished || !t.watch {
                        break;
                    }
                    if timeout.is_some_and(|limit| start.elapsed() >= limit) {
                        return Err(CliError::Msg("timed out waiting for the condition".into()));
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    d = ctx.client.get_json(&o.path()).await?;
                }
            }
            "history" => {
                let Some(w) = kind else {
                    return Err(unsupported(&o, "history viewer"));
                };
                let sets = history(ctx, &o, w, &d).await?;
                if t.revision > 0 {
                    let found = sets.iter().find(|h| revision_of(w, h) == t.revision);
                    let template = match (w, found) {
                        (_, None) => {
                            return Err(CliError::Msg(
                                "unable to find the specified revision".into(),
                            ))
                        }
                        (Workload::Deployment, Some(rs)) => rs.pointer("/spec/template").cloned(),
                        // A ControllerRevision holds the patch that restores its template.
                        (_, Some(r)) => kyb_api::strategic::apply(
                            &d,
                            r.get("data").unwrap_or(&Value::Null),
                            "apps",
                            &o.resource.kind,
                        )
                        .ok()
                        .and_then(|applied| applied.pointer("/spec/template").cloned()),
                    };
                    println!("{display} with revision #{}", t.revision);
                    let text = crate::print::describe::pod_template(&template.unwrap_or_default());
                    println!("{text}");
                    continue;
                }
                if quiet {
                    let kind = if w == Workload::Deployment {
                        "replicaset"
                    } else {
                        "controllerrevision"
                    };
                    for rs in &sets {
                        println!("{kind}.apps/{}", meta_str(rs, "name"));
                    }
                    continue;
                }
                if sets.is_empty() {
                    println!("No rollout history found.");
                    continue;
                }
                let rows: Vec<(String, String)> = sets
                    .iter()
                    .map(|rs| {
                        let cause = rs
                            .pointer("/metadata/annotations/kubernetes.io~1change-cause")
                            .and_then(Value::as_str)
                            .unwrap_or("<none>");
                        (revision_of(w, rs).to_string(), cause.to_string())
                    })
                    .collect();
                let width = rows
                    .iter()
                    .map(|r| r.0.len())
                    .max()
                    .unwrap_or(0)
                    .max("REVISION".len())
                    + 2;
                println!("{display} ");
                println!("{:<width$}CHANGE-CAUSE", "REVISION");
                for (rev, cause) in rows {
                    println!("{rev:<width$}{cause}");
                }
                println!();
            }
            "undo" if kind.is_some_and(|w| w != Workload::Deployment) => {
                let Some(w) = kind else { continue };
                let revisions = history(ctx, &o, w, &d).await?;
                // kubectl's findHistory: 0 means the one before the latest.
                let target = match t.to_revision {
                    0 if revisions.len() >= 2 => revisions.get(revisions.len() - 2),
                    0 => None,
                    n => revisions.iter().find(|r| revision_of(w, r) == n),
                };
                let Some(target) = target else {
                    return Err(CliError::Msg(format!(
                        "unable to find specified revision {} in history",
                        t.to_revision
                    )));
                };
                let data = target.get("data").cloned().unwrap_or(json!({}));
                let applied = kyb_api::strategic::apply(&d, &data, "apps", &o.resource.kind)
                    .map_err(|e| CliError::Msg(e.to_string()))?;
                if applied.pointer("/spec/template") == d.pointer("/spec/template") {
                    done(&format!(
                        "skipped rollback (current template already matches revision {})",
                        t.to_revision
                    ));
                    continue;
                }
                patch_object(ctx, &o, &data).await?;
                done("rolled back");
            }
            "undo" => {
                if kind.is_none() {
                    return Err(unsupported(&o, "rollbacker"));
                }
                let sets = history(ctx, &o, Workload::Deployment, &d).await?;
                let target = if t.to_revision == 0 {
                    if sets.len() < 2 {
                        return Err(CliError::Msg(format!(
                            "no rollout history found for deployment {:?}",
                            meta_str(&d, "name")
                        )));
                    }
                    sets.get(sets.len() - 2)
                } else {
                    sets.iter().find(|rs| revision(rs) == t.to_revision)
                };
                let Some(rs) = target else {
                    return Err(CliError::Msg(format!(
                        "unable to find specified revision {} in history",
                        t.to_revision
                    )));
                };
                if without_hash(rs.pointer("/spec/template"))
                    == without_hash(d.pointer("/spec/template"))
                {
                    let msg = format!(
                        "skipped rollback (current template already matches revision {})",
                        revision(rs)
                    );
                    done(&msg);
                    continue;
                }
                let mut template = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
                if let Some(labels) = template
                    .pointer_mut("/metadata/labels")
                    .and_then(Value::as_object_mut)
                {
                    labels.remove(HASH_LABEL);
                }
                // The deployment keeps its own bookkeeping annotations and takes the set's others.
                let mut annotations = Map::new();
                for k in ANNOTATIONS_KEPT_BY_UNDO {
                    if let Some(v) =
                        d.pointer(&format!("/metadata/annotations/{}", k.replace('/', "~1")))
                    {
                        annotations.insert((*k).to_string(), v.clone());
                    }
                }
                if let Some(a) = rs
                    .pointer("/metadata/annotations")
                    .and_then(Value::as_object)
                {
                    for (k, v) in a
                        .iter()
                        .filter(|(k, _)| !ANNOTATIONS_KEPT_BY_UNDO.contains(&k.as_str()))
                    {
                        annotations.insert(k.clone(), v.clone());
                    }
                }
                let patch = json!([
                    {"op": "replace", "path": "/spec/template", "value": template},
                    {"op": "replace", "path": "/metadata/annotations", "value": annotations},
                ]);
                ctx.client
                    .send_json(
                        Method::PATCH,
                        &o.path(),
                        "application/json-patch+json",
                        &patch,
                    )
                    .await?;
                done("rolled back");
            }
            "pause" | "resume" => {
                if kind != Some(Workload::Deployment) {
                    let ing = if verb == "pause" {
                        "pausing"
                    } else {
                        "resuming"
                    };
                    return Err(CliError::Msg(format!(
                        "{} {ing} is not supported",
                        named(&o)
                    )));
                }
                let pause = verb == "pause";
                let paused = d.pointer("/spec/paused").and_then(Value::as_bool) == Some(true);
                if paused == pause {
                    let state = if pause {
                        "already paused"
                    } else {
                        "not paused"
                    };
                    return Err(CliError::Msg(format!("{} is {state}", named(&o))));
                }
                let patch = json!({"spec": {"paused": pause}});
                patch_object(ctx, &o, &patch).await?;
                done(if pause { "paused" } else { "resumed" });
            }
            _ => {
                if kind.is_none() {
                    return Err(CliError::Msg(format!(
                        "{} restarting is not supported",
                        named(&o)
                    )));
                }
                if d.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
                    return Err(CliError::Msg(format!(
                        "{} can't restart paused deployment (run rollout resume first)",
                        named(&o)
                    )));
                }
                let now = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                let patch = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": now}}}}});
                patch_object(ctx, &o, &patch).await?;
                done("restarted");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(generation: i64, status: Value) -> Value {
        json!({"metadata": {"name": "web", "generation": generation}, "spec": {"replicas": 4}, "status": status})
    }

    #[test]
    fn status_lines_follow_kubectls_viewer() {
        let line = |d: Value| {
            deployment_status(&d)
                .map(|(l, _)| l)
                .unwrap_or_else(|e| e.to_string())
        };
        assert_eq!(
            line(deploy(2, json!({"observedGeneration": 1}))),
            "Waiting for deployment spec update to be observed...\n"
        );
        assert_eq!(
            line(deploy(1, json!({"observedGeneration": 1, "updatedReplicas": 1, "replicas": 4}))),
            "Waiting for deployment \"web\" rollout to finish: 1 out of 4 new replicas have been updated...\n"
        );
        assert_eq!(
            line(deploy(1, json!({"observedGeneration": 1, "updatedReplicas": 4, "replicas": 6}))),
            "Waiting for deployment \"web\" rollout to finish: 2 old replicas are pending termination...\n"
        );
        assert_eq!(
            line(deploy(1, json!({"observedGeneration": 1, "updatedReplicas": 4, "replicas": 4, "availableReplicas": 3}))),
            "Waiting for deployment \"web\" rollout to finish: 3 of 4 updated replicas are available...\n"
        );
        assert_eq!(
            line(deploy(
                1,
                json!({"observedGeneration": 1, "updatedReplicas": 4, "replicas": 4, "availableReplicas": 4})
            )),
            "deployment \"web\" successfully rolled out\n"
        );
        assert_eq!(
            line(deploy(
                1,
                json!({"observedGeneration": 1, "conditions": [{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]})
            )),
            "error: deployment \"web\" exceeded its progress deadline"
        );
    }
}
