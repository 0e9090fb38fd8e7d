//! The Job controller: runs pods until `completions` succeed (or one does, for a work queue), at most
//! `parallelism` at a time, one per index in Indexed mode; retries failures with exponential back-off up to
//! `backoffLimit`; enforces `activeDeadlineSeconds`; honours `suspend`; and deletes finished Jobs after
//! `ttlSecondsAfterFinished`. Finished pods are counted as kube counts them, through the
//! `batch.kubernetes.io/job-tracking` finalizer and `status.uncountedTerminatedPods`, so that a pod deleted
//! after it finished is never lost from (or counted twice in) `succeeded` and `failed`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use kyb_api::client::{Client, Method};
use kyb_api::selector::LabelSelector;
use serde_json::{json, Value};

use super::replicaset::{
    controller_ref, is_active, is_ready, pod_from_template, Expectations, PodControl,
};
use super::runtime::{inform, Change, Informers, Queue, Store};
use super::{condition, namespace_and_name, send_unless_gone, stamp, str_at, time_at};

const KIND: (&str, &str) = ("batch/v1", "Job");
/// Held on every pod the controller creates until the pod's end is counted in the Job's status.
pub const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
/// The annotation (and label) carrying an Indexed Job pod's index.
pub const INDEX_KEY: &str = "batch.kubernetes.io/job-completion-index";
/// kube's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff.
const FIRST_BACKOFF: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// At most this many pods created or deleted per sync (kube's MaxPodCreateDeletePerSync).
const BURST: usize = 500;

fn int(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

fn condition_true(status: &Value, kind: &str) -> bool {
    condition(status, kind).is_some_and(|c| c["status"] == "True")
}

/// Sets a Job condition (Jobs carry lastProbeTime, not lastUpdateTime); returns whether it changed.
fn set_condition(status: &mut Value, kind: &str, state: &str, reason: &str, message: &str) -> bool {
    if condition(status, kind)
        .is_some_and(|c| c["status"] == state && c["reason"] == reason && c["message"] == message)
    {
        return false;
    }
    let now = json!(stamp(Utc::now()));
    let c = json!({"type": kind, "status": state, "reason": reason, "message": message,
        "lastProbeTime": now, "lastTransitionTime": now});
    let mut conditions: Vec<Value> = status
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    match conditions.iter().position(|x| x["type"] == kind) {
        Some(i) => conditions[i] = c,
        None => conditions.push(c),
    }
    status["conditions"] = json!(conditions);
    true
}

/// The condition that finished the Job (Complete or Failed), if it has finished.
pub fn finished(job: &Value) -> Option<&Value> {
    let status = job.get("status")?;
    ["Complete", "Failed"]
        .iter()
        .find_map(|k| condition(status, k).filter(|c| c["status"] == "True"))
}

/// `1,3-5,7` → {1, 3, 4, 5, 7}; anything unreadable is skipped.
fn parse_indexes(s: &str) -> BTreeSet<i64> {
    let mut out = BTreeSet::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(a), Ok(b)) = (a.trim().parse::<i64>(), b.trim().parse::<i64>()) {
            if a <= b && b - a < 1_000_000 {
                out.extend(a..=b);
            }
        }
    }
    out
}

/// The inverse of [`parse_indexes`], as kube writes it: a run of consecutive indexes becomes `a-b`.
fn format_indexes(set: &BTreeSet<i64>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<(i64, i64)> = None;
    for &i in set {
        run = match run {
            Some((a, b)) if i == b + 1 => Some((a, i)),
            Some(r) => {
                parts.push(range(r));
                Some((i, i))
            }
            None => Some((i, i)),
        };
    }
    parts.extend(run.map(range));
    parts.join(",")
}

fn range((a, b): (i64, i64)) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

fn phase(pod: &Value) -> &str {
    str_at(pod, "/status/phase")
}

fn tracked(pod: &Value) -> bool {
    pod.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|x| x == TRACKING_FINALIZER))
}

fn deleting(pod: &Value) -> bool {
    pod.pointer("/metadata/deletionTimestamp").is_some()
}

/// The pod's index in an Indexed Job.
fn index_of(pod: &Value) -> Option<i64> {
    pod.pointer("/metadata/annotations")?
        .get(INDEX_KEY)?
        .as_str()?
        .parse()
        .ok()
}

/// How a pod ended, once it has: kube's default podReplacementPolicy (TerminatingOrFailed) counts a pod
/// being deleted before it succeeded as failed.
fn outcome(pod: &Value) -> Option<bool> {
    match phase(pod) {
        "Succeeded" => Some(true),
        "Failed" => Some(false),
        _ if deleting(pod) => Some(false),
        _ => None,
    }
}

/// Container restarts of a pod (for restartPolicy OnFailure, which retries in place).
fn restarts(pod: &Value) -> i64 {
    ["initContainerStatuses", "containerStatuses"]
        .iter()
        .filter_map(|f| pod.get("status")?.get(*f)?.as_array())
        .flatten()
        .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
        .sum()
}

/// The job's selector; the API server generates one (on its controller-uid label) unless the user chose to.
fn selector(job: &Value) -> Option<LabelSelector> {
    let sel = LabelSelector::from_json(job.pointer("/spec/selector")?).ok()?;
    (!sel.is_empty()).then_some(sel)
}

/// A pod for the Job, with the tracking finalizer; in Indexed mode, for one index: its annotation and
/// label, a name and hostname with the index, and `JOB_COMPLETION_INDEX` in every container.
fn job_pod(job: &Value, index: Option<i64>) -> Value {
    let mut pod = pod_from_template(KIND, job);
    let meta = &mut pod["metadata"];
    let mut finalizers = meta
        .get("finalizers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    finalizers.push(json!(TRACKING_FINALIZER));
    meta["finalizers"] = json!(finalizers);
    let Some(i) = index else { return pod };
    let (_, name) = namespace_and_name(job);
    meta["generateName"] = json!(format!("{name}-{i}-"));
    for f in ["annotations", "labels"] {
        if !meta.get(f).is_some_and(Value::is_object) {
            meta[f] = json!({});
        }
        meta[f][INDEX_KEY] = json!(i.to_string());
    }
    pod["spec"]["hostname"] = json!(format!("{name}-{i}"));
    let env = json!({"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {"apiVersion": "v1",
        "fieldPath": format!("metadata.annotations['{INDEX_KEY}']")}}});
    for list in ["initContainers", "containers"] {
        let Some(cs) = pod["spec"].get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for c in cs {
            let mut vars = c
                .get("env")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            vars.push(env.clone());
            c["env"] = json!(vars);
        }
    }
    pod
}

/// The pods that failed since the Job's last success, and when the latest was seen: what the next pod
/// waits on. Kept by pod uid, so that a sync repeated after a lost status write counts nothing twice.
#[derive(Default)]
struct Backoff(Mutex<HashMap<String, Failures>>);

/// A Job's failed pods since its last success, and when the latest failure was seen.
type Failures = (HashSet<String>, DateTime<Utc>);

impl Backoff {
    fn record(&self, uid: &str, failed: &[String], succeeded: bool, now: DateTime<Utc>) {
        let Ok(mut m) = self.0.lock() else { return };
        if succeeded {
            m.remove(uid);
        }
        if failed.is_empty() {
            return;
        }
        let e = m.entry(uid.to_string()).or_insert((HashSet::new(), now));
        for pod in failed {
            if e.0.insert(pod.clone()) {
                e.1 = now;
            }
        }
    }

    /// How long new pods must still wait: 10 s after the first failure, doubling to 10 minutes.
    fn wait(&self, uid: &str, now: DateTime<Utc>) -> Option<Duration> {
        let m = self.0.lock().ok()?;
        let (pods, at) = m.get(uid)?;
        let n = u32::try_from(pods.len()).unwrap_or(u32::MAX);
        let delay = FIRST_BACKOFF
            .saturating_mul(1u32 << n.saturating_sub(1).min(16))
            .min(MAX_BACKOFF);
        let until = *at + chrono::Duration::from_std(delay).ok()?;
        (until > now).then(|| (until - now).to_std().ok()).flatten()
    }

    fn forget(&self, uid: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(uid);
        }
    }
}

struct Controller {
    jobs: Store,
    pc: PodControl,
    backoff: Backoff,
    /// The resourceVersion of each Job's last status write: until the cache shows it, a sync could count a
    /// pod released since then nowhere and start another (kube's finalizer expectations).
    written: Mutex<HashMap<String, u64>>,
}

fn resource_version(obj: &Value) -> u64 {
    str_at(obj, "/metadata/resourceVersion")
        .parse()
        .unwrap_or(0)
}

/// Removes the tracking finalizer, guarded by the pod's resourceVersion so a concurrent change is not lost.
async fn untrack(client: &Client, pod: &Value) -> Result<(), String> {
    let (ns, name) = namespace_and_name(pod);
    let rest: Vec<&Value> = pod
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|f| *f != TRACKING_FINALIZER)
        .collect();
    let patch = json!({"metadata": {"finalizers": rest,
        "resourceVersion": str_at(pod, "/metadata/resourceVersion")}});
    let path = format!("/api/v1/namespaces/{ns}/pods/{name}");
    match client
        .send_json(Method::PATCH, &path, "application/merge-patch+json", &patch)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        // The pod changed: its watch event brings another sync, which tries again.
        Err(e) if e.status().is_some_and(|s| s.code == 409) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// What a sync decided the Job is heading for.
enum Verdict {
    Running,
    Suspended,
    Succeeded,
    Failed(&'static str, &'static str),
}

async fn sync(c: &Controller, k: &str) -> Result<Option<Duration>, String> {
    let client = &c.pc.client;
    let Some(job) = c.jobs.get(k) else {
        c.pc.expectations.forget(k);
        return Ok(None);
    };
    let uid = str_at(&job, "/metadata/uid");
    let now = Utc::now();
    let behind = c
        .written
        .lock()
        .ok()
        .and_then(|w| w.get(uid).copied())
        .is_some_and(|rv| resource_version(&job) < rv);
    if behind {
        return Ok(Some(Duration::from_millis(50)));
    }
    // A Job being deleted, or finished, lets go of its pods' finalizers so that nothing holds them.
    if deleting(&job) || finished(&job).is_some() {
        for pod in c.pods_of(&job).filter(|p| tracked(p)) {
            untrack(client, &pod).await?;
        }
        c.backoff.forget(uid);
        if let Ok(mut w) = c.written.lock() {
            w.remove(uid);
        }
        return if deleting(&job) {
            Ok(None)
        } else {
            expire(c, &job, now).await
        };
    }
    let Some(sel) = selector(&job) else {
        return Ok(None);
    };
    let owned = c.pc.claim(&job, &sel).await?;
    let spec = job.get("spec").cloned().unwrap_or(json!({}));
    let mut status = job.get("status").cloned().unwrap_or(json!({}));
    let indexed = str_at(&spec, "/completionMode") == "Indexed";
    let completions = int(&spec, "/completions");
    let mut succeeded = int(&status, "/succeeded").unwrap_or(0);
    let mut failed = int(&status, "/failed").unwrap_or(0);
    let mut done_indexes = parse_indexes(str_at(&status, "/completedIndexes"));
    let uids = |kind: &str| -> Vec<String> {
        status
            .pointer(&format!("/uncountedTerminatedPods/{kind}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|u| u.as_str().map(String::from))
            .collect()
    };
    let (mut won, mut lost): (Vec<String>, Vec<String>) = (uids("succeeded"), uids("failed"));
    // Pods whose end is in uncountedTerminatedPods and whose finalizer is gone now count for good.
    let by_uid: HashMap<&str, &Arc<Value>> = owned
        .iter()
        .map(|p| (str_at(p, "/metadata/uid"), p))
        .collect();
    let settled = |u: &String| by_uid.get(u.as_str()).is_none_or(|p| !tracked(p));
    let before_counts = (won.len(), lost.len());
    won.retain(|u| !settled(u));
    lost.retain(|u| !settled(u));
    succeeded += (before_counts.0 - won.len()) as i64;
    failed += (before_counts.1 - lost.len()) as i64;
    // Pods that ended and still hold the finalizer go into uncountedTerminatedPods first.
    let (mut new_won, mut new_lost) = (false, Vec::new());
    for pod in owned.iter().filter(|p| tracked(p)) {
        let pod_uid = str_at(pod, "/metadata/uid").to_string();
        if won.contains(&pod_uid) || lost.contains(&pod_uid) {
            continue;
        }
        match outcome(pod) {
            Some(true) => {
                if let Some(i) = index_of(pod).filter(|i| completions.is_some_and(|c| *i < c)) {
                    done_indexes.insert(i);
                }
                won.push(pod_uid);
                new_won = true;
            }
            Some(false) => {
                lost.push(pod_uid.clone());
                new_lost.push(pod_uid);
            }
            None => {}
        }
    }
    c.backoff.record(uid, &new_lost, new_won, now);
    let total_won = succeeded + won.len() as i64;
    let total_lost = failed + lost.len() as i64;
    let active: Vec<&Arc<Value>> = owned.iter().filter(|p| is_active(p)).collect();
    let terminating = owned
        .iter()
        .filter(|p| deleting(p) && !matches!(phase(p), "Succeeded" | "Failed"))
        .count();

    let suspended = spec.get("suspend").and_then(Value::as_bool) == Some(true);
    let on_failure = str_at(&spec, "/template/spec/restartPolicy") == "OnFailure";
    let backoff_limit = int(&spec, "/backoffLimit").unwrap_or(6);
    // kube's two limits: failed pods beyond backoffLimit, and (OnFailure) container restarts reaching it.
    let restarted: i64 = if on_failure {
        active.iter().map(|p| restarts(p)).sum()
    } else {
        0
    };
    let past_limit = total_lost > backoff_limit
        || (on_failure && restarted > 0 && restarted >= backoff_limit.max(1));
    let deadline = int(&spec, "/activeDeadlineSeconds")
        .zip(time_at(&status, "/startTime"))
        .map(|(s, start)| start + chrono::Duration::seconds(s.clamp(0, i64::from(i32::MAX))));
    let complete = if indexed {
        completions.is_some_and(|c| done_indexes.len() as i64 >= c)
    } else {
        match completions {
            Some(c) => total_won >= c,
            None => total_won > 0 && active.is_empty(),
        }
    };
    let verdict =
        if let Some(c) = condition(&status, "FailureTarget").filter(|c| c["status"] == "True") {
            let reason = if c["reason"] == "DeadlineExceeded" {
                "DeadlineExceeded"
            } else {
                "BackoffLimitExceeded"
            };
            Verdict::Failed(reason, failure_message(reason))
        } else if condition_true(&status, "SuccessCriteriaMet") || complete {
            Verdict::Succeeded
        } else if past_limit {
            Verdict::Failed(
                "BackoffLimitExceeded",
                failure_message("BackoffLimitExceeded"),
            )
        } else if !suspended && deadline.is_some_and(|d| d <= now) {
            Verdict::Failed("DeadlineExceeded", failure_message("DeadlineExceeded"))
        } else if suspended {
            Verdict::Suspended
        } else {
            Verdict::Running
        };

    let mut requeue = None;
    let mut events: Vec<(&str, &str, String)> = Vec::new();
    let settled_all = active.is_empty() && terminating == 0 && won.is_empty() && lost.is_empty();
    match verdict {
        Verdict::Failed(reason, message) => {
            if set_condition(&mut status, "FailureTarget", "True", reason, message) {
                events.push(("Warning", reason, message.to_string()));
            }
            c.stop(k, &job, &active).await?;
            if settled_all {
                set_condition(&mut status, "Failed", "True", reason, message);
            }
        }
        Verdict::Succeeded => {
            let (reason, message) = (
                "CompletionsReached",
                "Reached expected number of succeeded pods",
            );
            set_condition(&mut status, "SuccessCriteriaMet", "True", reason, message);
            c.stop(k, &job, &active).await?;
            if settled_all {
                set_condition(&mut status, "Complete", "True", reason, message);
                status["completionTime"] = json!(stamp(now));
                events.push(("Normal", "Completed", "Job completed".to_string()));
            }
        }
        Verdict::Suspended => {
            c.stop(k, &job, &active).await?;
            if set_condition(
                &mut status,
                "Suspended",
                "True",
                "JobSuspended",
                "Job suspended",
            ) {
                events.push(("Normal", "Suspended", "Job suspended".to_string()));
            }
        }
        Verdict::Running => {
            if condition_true(&status, "Suspended") {
                set_condition(
                    &mut status,
                    "Suspended",
                    "False",
                    "JobResumed",
                    "Job resumed",
                );
                events.push(("Normal", "Resumed", "Job resumed".to_string()));
                // The deadline counts from the resume.
                status["startTime"] = json!(stamp(now));
            }
            if status.get("startTime").is_none_or(Value::is_null) {
                status["startTime"] = json!(stamp(now));
            }
            if let Some(s) = int(&spec, "/activeDeadlineSeconds") {
                let start = time_at(&status, "/startTime").unwrap_or(now);
                let left = start + chrono::Duration::seconds(s.clamp(0, i64::from(i32::MAX))) - now;
                requeue = left.to_std().ok();
            }
            let parallelism = int(&spec, "/parallelism").unwrap_or(1).max(0);
            let want = match (indexed, completions) {
                (true, Some(n)) => parallelism.min(n - done_indexes.len() as i64),
                (false, Some(n)) => parallelism.min(n - total_won),
                // A work queue: once one pod succeeded no new ones start, and the running ones finish.
                (_, None) if total_won > 0 => active.len() as i64,
                (_, None) => parallelism,
            }
            .max(0) as usize;
            if c.pc.expectations.satisfied(k) {
                if active.len() < want {
                    match c.backoff.wait(uid, now) {
                        Some(wait) => {
                            requeue = Some(requeue.map_or(wait, |r: Duration| r.min(wait)))
                        }
                        None => {
                            let n = (want - active.len()).min(BURST);
                            let bodies = if indexed {
                                let busy: HashSet<i64> =
                                    active.iter().filter_map(|p| index_of(p)).collect();
                                (0..completions.unwrap_or(0))
                                    .filter(|i| !done_indexes.contains(i) && !busy.contains(i))
                                    .take(n)
                                    .map(|i| job_pod(&job, Some(i)))
                                    .collect()
                            } else {
                                vec![job_pod(&job, None); n]
                            };
                            c.pc.create(k, &job, bodies).await?;
                        }
                    }
                } else if active.len() > want {
                    // Parallelism went down: the newest pods go first.
                    let mut extra = active.clone();
                    extra.sort_by_key(|p| {
                        std::cmp::Reverse(str_at(p, "/metadata/creationTimestamp").to_string())
                    });
                    extra.truncate((active.len() - want).min(BURST));
                    c.pc.delete(k, &job, &extra).await?;
                }
            }
        }
    }

    status["active"] = json!(active.len());
    status["ready"] = json!(active.iter().filter(|p| is_ready(p)).count());
    status["terminating"] = json!(terminating);
    status["succeeded"] = json!(succeeded);
    status["failed"] = json!(failed);
    status["uncountedTerminatedPods"] = json!({});
    if !won.is_empty() {
        status["uncountedTerminatedPods"]["succeeded"] = json!(won);
    }
    if !lost.is_empty() {
        status["uncountedTerminatedPods"]["failed"] = json!(lost);
    }
    if indexed {
        status["completedIndexes"] = json!(format_indexes(&done_indexes));
    }
    let (ns, name) = namespace_and_name(&job);
    let path = format!("/apis/batch/v1/namespaces/{ns}/jobs/{name}");
    // The finalizers stay until a status that counts their pods is written.
    let Some(written) = super::write_status(client, &path, &job, status).await? else {
        return Ok(None);
    };
    if let Ok(mut w) = c.written.lock() {
        w.insert(uid.to_string(), resource_version(&written));
    }
    for (kind, reason, message) in events {
        c.pc.record(&job, kind, reason, &message).await;
    }
    // Their ends are in the status now: release the pods, whose next event moves them into the counts.
    let counted: HashSet<&String> = won.iter().chain(lost.iter()).collect();
    for pod in owned.iter().filter(|p| tracked(p)) {
        if counted.contains(&str_at(pod, "/metadata/uid").to_string()) {
            untrack(client, pod).await?;
        }
    }
    Ok(requeue)
}

fn failure_message(reason: &str) -> &'static str {
    if reason == "DeadlineExceeded" {
        "Job was active longer than specified deadline"
    } else {
        "Job has reached the specified backoff limit"
    }
}

/// The TTL-after-finished controller's part: deletes a finished Job (and, in the background, its pods)
/// `ttlSecondsAfterFinished` after it finished, or says when to look again.
async fn expire(
    c: &Controller,
    job: &Value,
    now: DateTime<Utc>,
) -> Result<Option<Duration>, String> {
    let Some(ttl) = int(job, "/spec/ttlSecondsAfterFinished") else {
        return Ok(None);
    };
    let finished_at = time_at(job, "/status/completionTime")
        .or_else(|| finished(job).and_then(|c| time_at(c, "/lastTransitionTime")))
        .unwrap_or(now);
    let due = finished_at + chrono::Duration::seconds(ttl.clamp(0, i64::from(i32::MAX)));
    if due > now {
        return Ok((due - now).to_std().ok());
    }
    let (ns, name) = namespace_and_name(job);
    let path = format!("/apis/batch/v1/namespaces/{ns}/jobs/{name}");
    let options = json!({"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background",
        "preconditions": {"uid": str_at(job, "/metadata/uid")}});
    send_unless_gone(
        &c.pc.client,
        Method::DELETE,
        &path,
        "application/json",
        &options,
    )
    .await?;
    Ok(None)
}

impl Controller {
    /// The pods the Job controls, from the cache.
    fn pods_of<'a>(&'a self, job: &'a Value) -> impl Iterator<Item = Arc<Value>> + 'a {
        let (ns, _) = namespace_and_name(job);
        let uid = str_at(job, "/metadata/uid");
        self.pc
            .pods
            .claimable(ns, uid)
            .into_iter()
            .filter(move |p| controller_ref(p).is_some_and(|r| str_at(r, "/uid") == uid))
    }

    /// Deletes the Job's running pods (it finished or was suspended).
    async fn stop(&self, k: &str, job: &Value, active: &[&Arc<Value>]) -> Result<(), String> {
        if active.is_empty() || !self.pc.expectations.satisfied(k) {
            return Ok(());
        }
        let n = active.len().min(BURST);
        self.pc.delete(k, job, &active[..n]).await
    }
}

/// Whether a pod holds the tracking finalizer for a Job that no longer exists (or is another Job of that
/// name), so that nothing would ever release it.
fn orphaned(jobs: &Store, pod: &Value) -> bool {
    if !tracked(pod) {
        return false;
    }
    let Some(r) = controller_ref(pod).filter(|r| str_at(r, "/kind") == KIND.1) else {
        return true;
    };
    let (ns, _) = namespace_and_name(pod);
    jobs.get(&format!("{ns}/{}", str_at(r, "/name")))
        .is_none_or(|j| str_at(&j, "/metadata/uid") != str_at(r, "/uid"))
}

/// Runs the Job controller until the process ends.
pub async fn run(informers: Informers, workers: usize) {
    let client = informers.client().clone();
    let (jobs, mut job_changes) = inform(&informers, "/apis/batch/v1/jobs").await;
    let (pods, mut pod_changes) = inform(&informers, "/api/v1/pods").await;
    let c = Arc::new(Controller {
        jobs,
        pc: PodControl {
            client,
            pods,
            kind: KIND,
            component: "job-controller",
            expectations: Expectations::default(),
            finalizer: Some(TRACKING_FINALIZER),
        },
        backoff: Backoff::default(),
        written: Mutex::default(),
    });
    let queue = Queue::serve(&c, workers, |c, k| async move { sync(&c, &k).await });
    loop {
        tokio::select! {
            change = job_changes.recv() => match change {
                Some(change) => queue.add(change.key()),
                None => return,
            },
            change = pod_changes.recv() => {
                let Some(change) = change else { return };
                if let Change::Upsert { new, .. } = &change {
                    if orphaned(&c.jobs, new) {
                        let (client, pod) = (c.pc.client.clone(), new.clone());
                        tokio::spawn(async move {
                            if let Err(e) = untrack(&client, &pod).await {
                                tracing::debug!(error = e, "releasing an orphaned Job pod failed");
                            }
                        });
                    }
                }
                for k in c.pc.route(&c.jobs, &change, selector) {
                    queue.add(k);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_indexes_read_and_write_as_kube_writes_them() {
        let set = parse_indexes("0,2-4,7, 9-9,x,5-3");
        assert_eq!(set.iter().copied().collect::<Vec<_>>(), [0, 2, 3, 4, 7, 9]);
        assert_eq!(format_indexes(&set), "0,2-4,7,9");
        assert_eq!(format_indexes(&BTreeSet::new()), "");
        assert_eq!(format_indexes(&parse_indexes("1,2")), "1-2");
    }

    #[test]
    fn pods_end_as_kube_counts_them() {
        let pod = |phase: &str, deleting: bool| {
            let mut p = json!({"metadata": {}, "status": {"phase": phase}});
            if deleting {
                p["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
            }
            p
        };
        assert_eq!(outcome(&pod("Succeeded", true)), Some(true));
        assert_eq!(outcome(&pod("Failed", false)), Some(false));
        assert_eq!(outcome(&pod("Running", true)), Some(false));
        assert_eq!(outcome(&pod("Running", false)), None);
    }

    #[test]
    fn indexed_pods_carry_their_index() {
        let job = json!({"metadata": {"name": "work", "namespace": "ns", "uid": "u"},
            "spec": {"template": {"metadata": {"labels": {"job-name": "work"}},
                "spec": {"containers": [{"name": "c", "image": "i", "env": [{"name": "A", "value": "1"}]}]}}}});
        let p = job_pod(&job, Some(3));
        assert_eq!(p["metadata"]["generateName"], "work-3-");
        assert_eq!(p["metadata"]["annotations"][INDEX_KEY], "3");
        assert_eq!(p["metadata"]["labels"][INDEX_KEY], "3");
        assert_eq!(p["metadata"]["labels"]["job-name"], "work");
        assert_eq!(p["metadata"]["finalizers"], json!([TRACKING_FINALIZER]));
        assert_eq!(p["spec"]["hostname"], "work-3");
        assert_eq!(
            p["spec"]["containers"][0]["env"][1]["name"],
            "JOB_COMPLETION_INDEX"
        );
        assert_eq!(p["metadata"]["ownerReferences"][0]["kind"], "Job");
        let plain = job_pod(&job, None);
        assert_eq!(plain["metadata"]["generateName"], "work-");
        assert!(plain["spec"].get("hostname").is_none());
    }

    #[test]
    fn back_off_doubles_from_ten_seconds_and_resets_on_success() {
        let b = Backoff::default();
        let t0 = Utc::now();
        let pods = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(b.wait("u", t0), None);
        b.record("u", &pods(&["p1"]), false, t0);
        let w = b.wait("u", t0).unwrap_or_default();
        assert!(w > Duration::from_secs(9) && w <= FIRST_BACKOFF);
        // The same failure seen again (a repeated sync) counts once.
        b.record("u", &pods(&["p1"]), false, t0);
        assert!(b.wait("u", t0).unwrap_or_default() <= FIRST_BACKOFF);
        b.record("u", &pods(&["p2"]), false, t0);
        let w = b.wait("u", t0).unwrap_or_default();
        assert!(w > Duration::from_secs(19) && w <= Duration::from_secs(20));
        let many: Vec<String> = (0..20).map(|i| format!("q{i}")).collect();
        b.record("u", &many, false, t0);
        assert!(b.wait("u", t0).unwrap_or_default() <= MAX_BACKOFF);
        assert_eq!(b.wait("u", t0 + chrono::Duration::seconds(601)), None);
        b.record("u", &[], true, t0);
        assert_eq!(b.wait("u", t0), None);
    }
}
