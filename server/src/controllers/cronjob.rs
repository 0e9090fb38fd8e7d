//! The CronJob controller (kube's cronjob-controller v2): creates a Job for the most recent scheduled time
//! that has not had one, honouring suspend, startingDeadlineSeconds and concurrencyPolicy; keeps
//! `status.active`, `lastScheduleTime` and `lastSuccessfulTime`; and deletes finished Jobs beyond the
//! history limits. Its clock can be read from a file (`--clock-file`), so that tests move time by hand.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kyb_api::client::{Client, Method};
use serde_json::{json, Map, Value};

use super::job::finished;
use super::runtime::{inform, Informers, Queue, Store};
use super::{namespace_and_name, object_event, send_unless_gone, stamp, str_at, time_at};
use crate::cron::Schedule;

const KIND: (&str, &str) = ("batch/v1", "CronJob");
const COMPONENT: &str = "cronjob-controller";
/// The annotation on each Job with the time it was scheduled for, in the CronJob's zone.
pub const SCHEDULED_AT: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/// Beyond this many missed start times, the controller warns (kube's limit of 100).
const MISSED_CAP: usize = 100;

/// Where "now" comes from: the system clock, or the RFC 3339 time in a file (for tests).
#[derive(Clone, Default)]
pub struct Clock(pub Option<PathBuf>);

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        self.0
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
            .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
    }
}

/// kube's job name for a scheduled time: the CronJob's name and the time in minutes since the epoch.
pub fn job_name(cron_job: &str, scheduled: DateTime<Utc>) -> String {
    format!("{cron_job}-{}", scheduled.timestamp().div_euclid(60))
}

/// The Job for one scheduled time, from the template (kube's getJobFromTemplate2).
fn job_for(cj: &Value, schedule: &Schedule, at: DateTime<Utc>) -> Value {
    let (ns, name) = namespace_and_name(cj);
    let template = cj
        .pointer("/spec/jobTemplate")
        .cloned()
        .unwrap_or(json!({}));
    let mut meta = Map::new();
    for f in ["labels", "annotations"] {
        meta.insert(
            f.into(),
            template
                .pointer(&format!("/metadata/{f}"))
                .filter(|v| v.is_object())
                .cloned()
                .unwrap_or(json!({})),
        );
    }
    meta["annotations"][SCHEDULED_AT] = json!(schedule.local(at));
    meta.insert("name".into(), json!(job_name(name, at)));
    meta.insert("namespace".into(), json!(ns));
    meta.insert(
        "ownerReferences".into(),
        json!([{"apiVersion": KIND.0, "kind": KIND.1, "name": name, "uid": str_at(cj, "/metadata/uid"),
            "controller": true, "blockOwnerDeletion": true}]),
    );
    json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
        "spec": template.get("spec").cloned().unwrap_or(json!({}))})
}

fn reference(job: &Value) -> Value {
    let (ns, name) = namespace_and_name(job);
    json!({"apiVersion": "batch/v1", "kind": "Job", "name": name, "namespace": ns,
        "uid": str_at(job, "/metadata/uid"), "resourceVersion": str_at(job, "/metadata/resourceVersion")})
}

struct Controller {
    client: Client,
    cron_jobs: Store,
    jobs: Store,
    clock: Clock,
}

impl Controller {
    async fn record(&self, cj: &Value, kind: &str, reason: &str, message: &str) {
        object_event(&self.client, COMPONENT, KIND, cj, kind, reason, message).await;
    }

    /// The Jobs this CronJob controls, oldest first.
    fn jobs_of(&self, cj: &Value) -> Vec<Arc<Value>> {
        let (ns, _) = namespace_and_name(cj);
        let uid = str_at(cj, "/metadata/uid");
        let mut jobs: Vec<Arc<Value>> = self
            .jobs
            .claimable(ns, uid)
            .into_iter()
            .filter(|j| super::runtime::controller_uid(j) == uid)
            .collect();
        jobs.sort_by_key(|j| {
            (
                str_at(j, "/metadata/creationTimestamp").to_string(),
                str_at(j, "/metadata/name").to_string(),
            )
        });
        jobs
    }

    async fn delete_job(&self, cj: &Value, job: &Value) -> Result<(), String> {
        let (ns, name) = namespace_and_name(job);
        let path = format!("/apis/batch/v1/namespaces/{ns}/jobs/{name}");
        let options =
            json!({"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"});
        send_unless_gone(
            &self.client,
            Method::DELETE,
            &path,
            "application/json",
            &options,
        )
        .await?;
        self.record(
            cj,
            "Normal",
            "SuccessfulDelete",
            &format!("Deleted job {name}"),
        )
        .await;
        Ok(())
    }

    /// Deletes the oldest finished Jobs of one outcome beyond `limit`.
    async fn trim(
        &self,
        cj: &Value,
        jobs: &[Arc<Value>],
        kind: &str,
        limit: Option<i64>,
    ) -> Result<(), String> {
        let Some(limit) = limit else { return Ok(()) };
        let done: Vec<&Arc<Value>> = jobs
            .iter()
            .filter(|j| finished(j).is_some_and(|c| c["type"] == kind))
            .collect();
        let extra = done.len().saturating_sub(limit.max(0) as usize);
        for j in &done[..extra] {
            self.delete_job(cj, j).await?;
        }
        Ok(())
    }
}

async fn sync(c: &Controller, k: &str) -> Result<Option<Duration>, String> {
    let Some(cj) = c.cron_jobs.get(k) else {
        return Ok(None);
    };
    if cj.pointer("/metadata/deletionTimestamp").is_some() {
        return Ok(None);
    }
    let now = c.clock.now();
    let (ns, name) = namespace_and_name(&cj);
    let spec = cj.get("spec").cloned().unwrap_or(json!({}));
    let mut status = cj.get("status").cloned().unwrap_or(json!({}));
    let jobs = c.jobs_of(&cj);

    // What finished since the last look: an event per Job, and the latest success.
    let known: Vec<String> = status
        .get("active")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| str_at(r, "/uid").to_string())
        .collect();
    for j in &jobs {
        if let Some(cond) = finished(j) {
            if known.iter().any(|u| u == str_at(j, "/metadata/uid")) {
                let (_, job_name) = namespace_and_name(j);
                let message = format!(
                    "Saw completed job: {job_name}, condition: {}",
                    str_at(cond, "/type")
                );
                c.record(&cj, "Normal", "SawCompletedJob", &message).await;
            }
            if cond["type"] == "Complete" {
                let done = time_at(j, "/status/completionTime");
                if done > time_at(&status, "/lastSuccessfulTime") {
                    status["lastSuccessfulTime"] = json!(done.map(stamp));
                }
            }
        }
    }
    let mut active: Vec<Arc<Value>> = jobs
        .iter()
        .filter(|j| finished(j).is_none())
        .cloned()
        .collect();

    let mut requeue = None;
    let suspended = spec.get("suspend").and_then(Value::as_bool) == Some(true);
    let zone = spec.get("timeZone").and_then(Value::as_str);
    let schedule = match crate::cron::parse(str_at(&spec, "/schedule"), zone) {
        Ok(s) => Some(s),
        Err(why) => {
            let (reason, message) = match zone.filter(|z| crate::cron::zone(z).is_err()) {
                Some(z) => (
                    "UnknownTimeZone",
                    format!("invalid timeZone: {z:?}: unknown time zone {z}"),
                ),
                None => (
                    "UnparseableSchedule",
                    format!(
                        "unparseable schedule: {:?} : {why}",
                        str_at(&spec, "/schedule")
                    ),
                ),
            };
            c.record(&cj, "Warning", reason, &message).await;
            None
        }
    };
    if let (Some(schedule), false) = (&schedule, suspended) {
        let deadline = spec.get("startingDeadlineSeconds").and_then(Value::as_i64);
        let mut earliest = time_at(&status, "/lastScheduleTime")
            .or_else(|| time_at(&cj, "/metadata/creationTimestamp"))
            .unwrap_or(now);
        if let Some(d) = deadline {
            earliest =
                earliest.max(now - chrono::Duration::seconds(d.clamp(0, i64::from(i32::MAX))));
        }
        let (due, missed) = schedule.most_recent(earliest, now, MISSED_CAP + 1);
        if missed > MISSED_CAP {
            let message = format!("too many missed start times: {missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew");
            c.record(&cj, "Warning", "TooManyMissedTimes", &message)
                .await;
        }
        if let Some(at) = due {
            let name_for = job_name(name, at);
            let exists = jobs.iter().any(|j| namespace_and_name(j).1 == name_for);
            let policy = str_at(&spec, "/concurrencyPolicy");
            if exists {
                // Already made for this time (the status write may have failed after the create).
                status["lastScheduleTime"] = json!(stamp(at));
            } else if policy == "Forbid" && !active.is_empty() {
                let message = "Not starting job because prior execution is running and concurrency policy is Forbid";
                c.record(&cj, "Normal", "JobAlreadyActive", message).await;
            } else {
                if policy == "Replace" {
                    for j in &active {
                        c.delete_job(&cj, j).await?;
                    }
                    active.clear();
                }
                let path = format!("/apis/batch/v1/namespaces/{ns}/jobs");
                match c
                    .client
                    .send_json(
                        Method::POST,
                        &path,
                        "application/json",
                        &job_for(&cj, schedule, at),
                    )
                    .await
                {
                    Ok(job) => {
                        c.record(
                            &cj,
                            "Normal",
                            "SuccessfulCreate",
                            &format!("Created job {name_for}"),
                        )
                        .await;
                        active.push(Arc::new(job));
                    }
                    Err(e) if e.status().is_some_and(|s| s.code == 409) => {}
                    Err(e) => {
                        let message = format!(
                            "Error creating job: {}",
                            e.status()
                                .map(|s| s.message.clone())
                                .unwrap_or_else(|| e.to_string())
                        );
                        c.record(&cj, "Warning", "FailedCreate", &message).await;
                        return Err(e.to_string());
                    }
                }
                status["lastScheduleTime"] = json!(stamp(at));
            }
        }
        // Look again at the next scheduled time (a clock read from a file is polled instead).
        requeue = schedule
            .next_after(now)
            .and_then(|next| (next - now).to_std().ok())
            .map(|d| d + Duration::from_millis(100));
    }
    let refs: Vec<Value> = active.iter().map(|j| reference(j)).collect();
    if refs.is_empty() {
        if let Some(m) = status.as_object_mut() {
            m.remove("active");
        }
    } else {
        status["active"] = json!(refs);
    }
    let path = format!("/apis/batch/v1/namespaces/{ns}/cronjobs/{name}");
    if super::write_status(&c.client, &path, &cj, status)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let limit = |f: &str| spec.get(f).and_then(Value::as_i64);
    c.trim(&cj, &jobs, "Complete", limit("successfulJobsHistoryLimit"))
        .await?;
    c.trim(&cj, &jobs, "Failed", limit("failedJobsHistoryLimit"))
        .await?;
    Ok(requeue)
}

/// Runs the CronJob controller until the process ends.
pub async fn run(informers: Informers, clock: Clock, workers: usize) {
    let client = informers.client().clone();
    let (cron_jobs, mut cron_changes) = inform(&informers, "/apis/batch/v1/cronjobs").await;
    let (jobs, mut job_changes) = inform(&informers, "/apis/batch/v1/jobs").await;
    let polled = clock.0.is_some();
    let c = Arc::new(Controller {
        client,
        cron_jobs,
        jobs,
        clock,
    });
    let queue = Queue::serve(&c, workers, move |c, k| async move {
        sync(&c, &k).await.map(|after| after.filter(|_| !polled))
    });
    // A clock from a file moves when the file changes, so every CronJob is looked at each second.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            change = cron_changes.recv() => match change {
                Some(change) => queue.add(change.key()),
                None => return,
            },
            change = job_changes.recv() => match change {
                Some(change) => queue.add_controller_of(change.object(), KIND.1),
                None => return,
            },
            _ = tick.tick(), if polled => {
                for cj in c.cron_jobs.filter(|_| true) {
                    queue.add(crate::informer::key(&cj));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_named_and_stamped_as_kube_does() {
        let at = DateTime::parse_from_rfc3339("2026-01-02T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(
            job_name("nightly", at),
            format!("nightly-{}", at.timestamp() / 60)
        );
        let cj = json!({"metadata": {"name": "nightly", "namespace": "ops", "uid": "u1"},
            "spec": {"jobTemplate": {"metadata": {"labels": {"team": "a"}}, "spec": {"backoffLimit": 2}}}});
        let schedule = crate::cron::parse("0 9 * * *", Some("Asia/Tokyo"));
        let job = schedule.map(|s| job_for(&cj, &s, at)).unwrap_or_default();
        assert_eq!(job["metadata"]["name"], job_name("nightly", at));
        assert_eq!(job["metadata"]["namespace"], "ops");
        assert_eq!(job["metadata"]["labels"]["team"], "a");
        assert_eq!(
            job["metadata"]["annotations"][SCHEDULED_AT],
            "2026-01-02T09:00:00+09:00"
        );
        assert_eq!(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
        assert_eq!(job["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(job["spec"]["backoffLimit"], 2);
    }

    #[test]
    fn a_clock_file_sets_the_time() {
        let dir = std::env::temp_dir().join(format!("kybd-clock-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("now");
        let clock = Clock(Some(file.clone()));
        // No file yet: the system clock.
        assert!((clock.now() - Utc::now()).num_seconds().abs() < 5);
        let _ = std::fs::write(&file, "2030-05-01T12:00:00Z\n");
        assert_eq!(stamp(clock.now()), "2030-05-01T12:00:00Z");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
