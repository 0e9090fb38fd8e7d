//! Jobs: `kybd server` with simulated nodes whose containers exit as the `kybernet.io/simulate-exit`
//! annotation scripts, driven by kyb and the real kubectl (`wait`, `get`).

use kyb_e2e::{bin, eventually, kubectl, Kybd};
use serde_json::Value;

/// A Job manifest: `spec` lines (two-space indented) go before the template; `exit` scripts the containers.
fn job(name: &str, spec: &str, exit: &str, restart: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{spec}  template:\n    metadata:\n      annotations:\n        kybernet.io/simulate-exit: \"{exit}\"\n    spec:\n      restartPolicy: {restart}\n      containers:\n      - name: c\n        image: busybox:1.36\n"
    )
}

fn pods_of_job(k: &Kybd, name: &str) -> Vec<Value> {
    k.get(&["pods", "-l", &format!("job-name={name}")])["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn condition(job: &Value, kind: &str) -> Value {
    job.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == kind))
        .cloned()
        .unwrap_or(Value::Null)
}

/// `kubectl wait` for a Job condition, as a user would.
fn wait_for(k: &Kybd, job: &str, condition: &str) {
    let out = k.ok(
        &kubectl(),
        &[
            "wait",
            &format!("--for=condition={condition}"),
            &format!("job/{job}"),
            "--timeout=60s",
        ],
        None,
    );
    assert_eq!(out.trim(), format!("job.batch/{job} condition met"));
}

fn events_for(k: &Kybd, name: &str) -> String {
    k.ok(
        &bin("kyb"),
        &[
            "get",
            "events",
            "--field-selector",
            &format!("involvedObject.kind=Job,involvedObject.name={name}"),
        ],
        None,
    )
}

#[test]
fn jobs_run_to_completion_in_parallel_and_by_index() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(2, "n-", &[]);
    let kyb = bin("kyb");
    let manifest = job(
        "work",
        "  completions: 3\n  parallelism: 2\n",
        "code=0,after=1s",
        "Never",
    );
    // Never more than `parallelism` pods run at once: the active count is watched throughout.
    let events = k.watch(
        "/api/v1/namespaces/default/pods?watch=true&labelSelector=job-name%3Dwork&timeoutSeconds=60",
    );
    let watcher = std::thread::spawn(move || {
        let mut phases = std::collections::HashMap::new();
        let mut most = 0;
        for e in events {
            let obj = &e["object"];
            let name = obj["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let phase = obj["status"]["phase"]
                .as_str()
                .unwrap_or("Pending")
                .to_string();
            phases.insert(name, phase);
            let active = phases
                .values()
                .filter(|p| !matches!(p.as_str(), "Succeeded" | "Failed"));
            most = most.max(active.count());
            if phases.values().filter(|p| *p == "Succeeded").count() == 3 {
                break;
            }
        }
        most
    });
    k.ok(&kyb, &["apply", "-f", "-"], Some(&manifest));
    let done = eventually(60, || {
        let j = k.get(&["job", "work"]);
        (!condition(&j, "Complete").is_null()).then_some(j)
    })
    .unwrap_or_else(|| panic!("work never completed: {}", k.get(&["job", "work"])));
    wait_for(&k, "work", "complete");
    assert_eq!(
        watcher.join().ok(),
        Some(2),
        "parallelism 2 was not what ran"
    );
    let status = &done["status"];
    assert_eq!(
        (
            status["succeeded"].as_i64(),
            status["failed"].as_i64(),
            status["active"].as_i64()
        ),
        (Some(3), Some(0), Some(0)),
        "{status}"
    );
    assert!(status["completionTime"].is_string() && status["startTime"].is_string());
    assert_eq!(status["uncountedTerminatedPods"], serde_json::json!({}));
    let complete = condition(&done, "Complete");
    assert_eq!(
        (&complete["status"], &complete["reason"]),
        (&Value::from("True"), &Value::from("CompletionsReached"))
    );
    // Three pods, all Succeeded, none still held by the tracking finalizer.
    let pods = pods_of_job(&k, "work");
    assert_eq!(pods.len(), 3, "{pods:?}");
    for p in &pods {
        assert_eq!(p["status"]["phase"], "Succeeded");
        assert!(p["metadata"]["finalizers"]
            .as_array()
            .is_none_or(|f| f.is_empty()));
        assert_eq!(p["metadata"]["ownerReferences"][0]["kind"], "Job");
    }
    let events = events_for(&k, "work");
    assert_eq!(events.matches("Created pod: work-").count(), 3, "{events}");
    assert!(events.contains("Job completed"), "{events}");
    // kubectl's own columns, from the server's table.
    let table = k.ok(&kubectl(), &["get", "job", "work"], None);
    assert!(
        table.contains("Complete") && table.contains("3/3"),
        "{table}"
    );

    // Indexed: one pod per index, each told its index, and completedIndexes in kube's range form.
    let manifest = job(
        "idx",
        "  completions: 3\n  parallelism: 3\n  completionMode: Indexed\n",
        "code=0,after=500ms",
        "Never",
    );
    k.ok(&kubectl(), &["apply", "-f", "-"], Some(&manifest));
    wait_for(&k, "idx", "complete");
    let j = k.get(&["job", "idx"]);
    assert_eq!(j["status"]["completedIndexes"], "0-2", "{}", j["status"]);
    let mut indexes: Vec<String> = pods_of_job(&k, "idx")
        .iter()
        .map(|p| {
            let i = p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert_eq!(p["spec"]["hostname"], format!("idx-{i}"));
            assert!(p["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(&format!("idx-{i}-"))));
            i
        })
        .collect();
    indexes.sort();
    assert_eq!(indexes, ["0", "1", "2"]);

    // ttlSecondsAfterFinished: 0 removes the finished Job and its pods.
    let manifest = job(
        "brief",
        "  ttlSecondsAfterFinished: 0\n",
        "code=0,after=200ms",
        "Never",
    );
    k.ok(&kyb, &["apply", "-f", "-"], Some(&manifest));
    let gone = eventually(60, || {
        let out = k.run(&kyb, &["get", "job", "brief"], None);
        (!out.status.success() && pods_of_job(&k, "brief").is_empty()).then_some(())
    });
    assert!(gone.is_some(), "brief outlived its TTL");
}

#[test]
fn failing_jobs_back_off_then_fail_and_deadlines_stop_them() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(2, "n-", &[]);
    let kyb = bin("kyb");
    // backoffLimit 1: the first failure is retried (after kube's 10 s back-off), the second fails the Job.
    let manifest = job(
        "flaky",
        "  backoffLimit: 1\n",
        "code=1,after=200ms",
        "Never",
    );
    k.ok(&kyb, &["apply", "-f", "-"], Some(&manifest));
    wait_for(&k, "flaky", "failed");
    let j = k.get(&["job", "flaky"]);
    assert_eq!(j["status"]["failed"], 2, "{}", j["status"]);
    assert_eq!(j["status"]["succeeded"], 0);
    let failed = condition(&j, "Failed");
    assert_eq!(failed["reason"], "BackoffLimitExceeded");
    assert_eq!(
        failed["message"],
        "Job has reached the specified backoff limit"
    );
    let mut pods = pods_of_job(&k, "flaky");
    assert_eq!(pods.len(), 2);
    pods.sort_by_key(|p| p["metadata"]["creationTimestamp"].to_string());
    let time = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_default())
            .map(|t| t.timestamp())
            .unwrap_or_default()
    };
    let first_end =
        time(&pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"]);
    let retry = time(&pods[1]["metadata"]["creationTimestamp"]);
    assert!(
        retry - first_end >= 9,
        "the retry came {}s after the failure, inside the 10 s back-off",
        retry - first_end
    );
    let events = events_for(&k, "flaky");
    assert!(
        events.contains("BackoffLimitExceeded")
            && events.contains("Job has reached the specified backoff limit"),
        "{events}"
    );

    // OnFailure retries in place: restarts count against the limit.
    let manifest = job(
        "crashy",
        "  backoffLimit: 2\n",
        "code=1,after=300ms",
        "OnFailure",
    );
    k.ok(&kyb, &["apply", "-f", "-"], Some(&manifest));
    wait_for(&k, "crashy", "failed");
    assert_eq!(
        condition(&k.get(&["job", "crashy"]), "Failed")["reason"],
        "BackoffLimitExceeded"
    );

    // activeDeadlineSeconds: running pods are stopped and the Job fails with DeadlineExceeded.
    let manifest = job(
        "slow",
        "  activeDeadlineSeconds: 2\n  parallelism: 2\n  completions: 4\n",
        "",
        "Never",
    );
    k.ok(&kyb, &["apply", "-f", "-"], Some(&manifest));
    wait_for(&k, "slow", "failed");
    let j = k.get(&["job", "slow"]);
    let failed = condition(&j, "Failed");
    assert_eq!(failed["reason"], "DeadlineExceeded");
    assert_eq!(
        failed["message"],
        "Job was active longer than specified deadline"
    );
    assert_eq!(j["status"]["active"], 0);
    assert_eq!(j["status"]["failed"], 2, "{}", j["status"]);
    let left = eventually(30, || {
        Some(pods_of_job(&k, "slow")).filter(|p| p.iter().all(|p| p["status"]["phase"] == "Failed"))
    });
    assert!(left.is_some(), "slow's pods kept running");

    // Suspended: no pods until resumed; then it runs to completion.
    let manifest = job(
        "later",
        "  suspend: true\n  completions: 2\n",
        "code=0,after=200ms",
        "Never",
    );
    k.ok(&kyb, &["apply", "-f", "-"], Some(&manifest));
    let suspended = eventually(20, || {
        let j = k.get(&["job", "later"]);
        (condition(&j, "Suspended")["status"] == "True").then_some(j)
    });
    assert!(suspended.is_some(), "later never reported Suspended");
    assert!(pods_of_job(&k, "later").is_empty());
    k.ok(
        &kubectl(),
        &[
            "patch",
            "job",
            "later",
            "-p",
            r#"{"spec":{"suspend":false}}"#,
        ],
        None,
    );
    wait_for(&k, "later", "complete");
    let j = k.get(&["job", "later"]);
    assert_eq!(condition(&j, "Suspended")["reason"], "JobResumed");
    assert_eq!(j["status"]["succeeded"], 2);
    let events = events_for(&k, "later");
    assert!(
        events.contains("Job suspended") && events.contains("Job resumed"),
        "{events}"
    );

    // Bad input gets the API's answer, not a Job.
    let bad = job("bad", "  completions: -1\n", "", "Never");
    let err = k.fails(&kyb, &["apply", "-f", "-"], Some(&bad));
    assert!(
        err.contains("spec.completions: Invalid value: -1: must be greater than or equal to 0"),
        "{err}"
    );
    let bad = job("bad", "", "", "Always");
    let err = k.fails(&kyb, &["apply", "-f", "-"], Some(&bad));
    assert!(
        err.contains("spec.template.spec.restartPolicy: Unsupported value: \"Always\""),
        "{err}"
    );
}

/// A CronJob manifest; `spec` lines (two-space indented) go beside the schedule.
fn cron_job(name: &str, schedule: &str, spec: &str, exit: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {name}\nspec:\n  schedule: \"{schedule}\"\n{spec}  jobTemplate:\n    spec:\n      template:\n        metadata:\n          annotations:\n            kybernet.io/simulate-exit: \"{exit}\"\n        spec:\n          restartPolicy: Never\n          containers:\n          - name: c\n            image: busybox:1.36\n"
    )
}

fn job_names(k: &Kybd, owner: &str) -> Vec<String> {
    let mut names: Vec<String> = k.get(&["jobs"])["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|j| j["metadata"]["ownerReferences"][0]["name"] == owner)
        .filter(|j| j["metadata"]["deletionTimestamp"].is_null())
        .filter_map(|j| j["metadata"]["name"].as_str().map(String::from))
        .collect();
    names.sort();
    names
}

#[test]
fn cron_jobs_fire_on_a_mocked_clock() {
    let dir = kyb_e2e::TempDir::new("clock");
    let clock = dir.0.join("now");
    let k = Kybd::start_with(&["--clock-file", &clock.to_string_lossy()]);
    let _agent = k.simulated_nodes(2, "n-", &[]);
    let kyb = bin("kyb");
    // Tomorrow at midnight UTC, so that every time the test sets comes after the CronJobs' creation.
    let t0 = (chrono::Utc::now() + chrono::Duration::days(1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default();
    let set_clock = |t: chrono::DateTime<chrono::Utc>| {
        std::fs::write(&clock, t.to_rfc3339()).unwrap_or_else(|e| panic!("writing the clock: {e}"))
    };
    let minutes = |t: chrono::DateTime<chrono::Utc>| t.timestamp() / 60;
    let secs = chrono::Duration::seconds;
    set_clock(t0 + secs(10));
    k.ok(
        &kyb,
        &["apply", "-f", "-"],
        Some(&cron_job(
            "tick",
            "*/5 * * * *",
            "  concurrencyPolicy: Forbid\n  startingDeadlineSeconds: 120\n",
            "",
        )),
    );
    // 09:00 in Tokyo is midnight UTC.
    k.ok(
        &kubectl(),
        &["apply", "-f", "-"],
        Some(&cron_job(
            "daily",
            "0 9 * * *",
            "  timeZone: Asia/Tokyo\n  startingDeadlineSeconds: 300\n  successfulJobsHistoryLimit: 1\n",
            "code=0,after=200ms",
        )),
    );
    let first_tick = format!("tick-{}", minutes(t0));
    let first_daily = format!("daily-{}", minutes(t0));
    let fired = eventually(60, || {
        (job_names(&k, "tick") == [first_tick.clone()]
            && job_names(&k, "daily") == [first_daily.clone()])
        .then_some(())
    });
    assert!(
        fired.is_some(),
        "jobs: {:?} {:?}",
        job_names(&k, "tick"),
        job_names(&k, "daily")
    );
    let j = k.get(&["job", &first_daily]);
    assert_eq!(
        j["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"],
        format!("{}T09:00:00+09:00", t0.format("%Y-%m-%d"))
    );
    wait_for(&k, &first_daily, "complete");
    let cj = eventually(60, || {
        let cj = k.get(&["cronjob", "daily"]);
        cj["status"]["lastSuccessfulTime"].is_string().then_some(cj)
    })
    .unwrap_or_else(|| {
        panic!(
            "daily never saw its job succeed: {}",
            k.get(&["cronjob", "daily"])
        )
    });
    assert_eq!(
        cj["status"]["lastScheduleTime"],
        t0.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    assert!(cj["status"]["active"].is_null(), "{}", cj["status"]);
    let tick = k.get(&["cronjob", "tick"]);
    assert_eq!(tick["status"]["active"][0]["name"], first_tick.as_str());
    let events = |name: &str| {
        k.ok(
            &kyb,
            &[
                "get",
                "events",
                "--field-selector",
                &format!("involvedObject.kind=CronJob,involvedObject.name={name}"),
            ],
            None,
        )
    };
    assert!(events("tick").contains(&format!("Created job {first_tick}")));
    let seen = eventually(60, || {
        events("daily")
            .contains(&format!(
                "Saw completed job: {first_daily}, condition: Complete"
            ))
            .then_some(())
    });
    assert!(seen.is_some(), "{}", events("daily"));

    // Forbid: the next time comes while the first tick still runs, so nothing starts.
    set_clock(t0 + secs(5 * 60 + 10));
    let held = eventually(60, || {
        events("tick").contains("JobAlreadyActive").then_some(())
    });
    assert!(held.is_some(), "{}", events("tick"));
    assert_eq!(job_names(&k, "tick"), std::slice::from_ref(&first_tick));

    // Replace: the running job goes and a new one takes its place.
    k.ok(
        &kubectl(),
        &[
            "patch",
            "cronjob",
            "tick",
            "-p",
            r#"{"spec":{"concurrencyPolicy":"Replace"}}"#,
        ],
        None,
    );
    set_clock(t0 + secs(10 * 60 + 10));
    let replaced = format!("tick-{}", minutes(t0 + secs(600)));
    let swapped = eventually(60, || {
        (job_names(&k, "tick") == [replaced.clone()]).then_some(())
    });
    assert!(swapped.is_some(), "{:?}", job_names(&k, "tick"));
    assert!(events("tick").contains(&format!("Deleted job {first_tick}")));

    // Suspended, tick makes nothing; daily fires the next day, and its history keeps one success.
    k.ok(
        &kyb,
        &[
            "patch",
            "cronjob",
            "tick",
            "-p",
            r#"{"spec":{"suspend":true}}"#,
        ],
        None,
    );
    std::thread::sleep(std::time::Duration::from_secs(1));
    set_clock(t0 + secs(86_400 + 10));
    let second_daily = format!("daily-{}", minutes(t0 + secs(86_400)));
    let trimmed = eventually(60, || {
        (job_names(&k, "daily") == [second_daily.clone()]).then_some(())
    });
    assert!(trimmed.is_some(), "{:?}", job_names(&k, "daily"));
    assert_eq!(job_names(&k, "tick"), [replaced]);

    // `create job --from` runs the template by hand.
    k.ok(
        &kyb,
        &["create", "job", "by-hand", "--from=cronjob/daily"],
        None,
    );
    let manual = k.get(&["job", "by-hand"]);
    assert_eq!(
        manual["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    wait_for(&k, "by-hand", "complete");

    // Bad schedules and zones get the API's answer.
    let err = k.fails(
        &kyb,
        &["apply", "-f", "-"],
        Some(&cron_job("bad", "61 * * * *", "", "")),
    );
    assert!(
        err.contains(r#"spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61"#),
        "{err}"
    );
    let err = k.fails(
        &kyb,
        &["apply", "-f", "-"],
        Some(&cron_job("bad", "@daily", "  timeZone: Mars/Olympus\n", "")),
    );
    assert!(
        err.contains(
            r#"spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus"#
        ),
        "{err}"
    );
}
