//! The process runtime: `kybd agent --runtime process` runs pods as host processes, with the same pod
//! lifecycle as on Docker (restart policies and back-off, probes, hooks, init containers, ConfigMap and
//! Secret values, status, graceful deletion, adoption after an agent restart), driven by kyb and the real
//! kubectl. Commands are the host's `sh` and Debian's static busybox.

use kyb_e2e::{bin, eventually, free_port, kubectl, Kybd, TempDir};
use serde_json::Value;

use crate::docker::{container_status, http_get, status_when};

/// A one-replica Deployment whose pod serves a page with its name, a ConfigMap value, a Secret value and
/// its working directory, on the host's loopback; readiness waits for the page, preStop leaves a mark.
fn web(port: u16, dir: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: ConfigMap
metadata: {{name: site}}
data: {{title: from-a-configmap}}
---
apiVersion: v1
kind: Secret
metadata: {{name: creds}}
data: {{token: czNjcmV0}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      terminationGracePeriodSeconds: 5
      initContainers:
      - name: prepare
        image: none
        command: ["sh", "-c", "mkdir -p {dir}/www && echo initialized > {dir}/www/init"]
      containers:
      - name: web
        image: none
        workingDir: {dir}/www
        env:
        - name: POD_NAME
          valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}
        - name: TITLE
          valueFrom: {{configMapKeyRef: {{name: site, key: title}}}}
        - name: TOKEN
          valueFrom: {{secretKeyRef: {{name: creds, key: token}}}}
        command: ["sh", "-c"]
        args: ["echo \"$POD_NAME $TITLE $TOKEN $(pwd) $(cat init)\" > index.html && exec busybox httpd -f -p 127.0.0.1:{port} -h ."]
        readinessProbe:
          httpGet: {{path: /index.html, port: {port}}}
          periodSeconds: 1
        lifecycle:
          preStop:
            exec:
              command: ["sh", "-c", "echo $POD_NAME > {dir}/stopped"]
"#
    )
}

/// A pod with one container running `script` under `sh -c`, and the given restart policy and extras.
fn pod(name: &str, policy: &str, script: &str, extra: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  restartPolicy: {policy}
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: none
    command: ["sh", "-c", {script:?}]
{extra}"#
    )
}

#[test]
fn process_pods_serve_restart_fail_and_survive_an_agent_restart() {
    let k = Kybd::start();
    let mut node = k.process_node();
    let (kc, kyb) = (kubectl(), bin("kyb"));
    let work = TempDir::new("process-pods");
    let dir = work.0.to_string_lossy().into_owned();
    let registered = eventually(30, || {
        let n = k.get(&["node", &node.name]);
        (n["status"]["nodeInfo"]["containerRuntimeVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("process://"))
            && n["status"]["capacity"]["ephemeral-storage"].is_string())
        .then_some(n)
    });
    let n = registered.unwrap_or_else(|| panic!("the process node never registered:\n{}", k.log()));
    let conditions: Vec<(&str, &str)> = n["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["type"].as_str().unwrap_or(""),
                c["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(conditions[3], ("Ready", "KubeletReady"), "{conditions:?}");
    assert_eq!(conditions[0].0, "MemoryPressure");

    // The Deployment's pod runs its init container first, then serves what it was given, and turns Ready
    // once its readiness probe passes.
    let port = free_port();
    k.ok(&kc, &["apply", "-f", "-"], Some(&web(port, &dir)));
    let out = k.ok(
        &kc,
        &["rollout", "status", "deploy/web", "--timeout=60s"],
        None,
    );
    assert!(out.ends_with("successfully rolled out\n"), "{out}");
    let pods = k.running_pods("app=web");
    let first = pods[0]["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(pods[0]["status"]["podIP"], "127.0.0.1");
    let page = eventually(20, || http_get(&format!("http://127.0.0.1:{port}/")));
    assert_eq!(
        page,
        Some(format!(
            "{first} from-a-configmap s3cret {dir}/www initialized\n"
        ))
    );
    let s = container_status(&k, &first);
    assert_eq!(
        (&s["ready"], &s["restartCount"]),
        (&Value::from(true), &Value::from(0))
    );
    assert!(s["containerID"]
        .as_str()
        .is_some_and(|id| id.starts_with("process://")));
    let init = &k.get(&["pod", &first])["status"]["initContainerStatuses"][0];
    assert_eq!(init["state"]["terminated"]["reason"], "Completed");
    let wide = k.ok(&kc, &["get", "pods", "-o", "wide"], None);
    assert!(
        wide.contains(&node.name) && wide.contains("127.0.0.1"),
        "{wide}"
    );

    // A crashing container is restarted with kube's back-off, which grows.
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&pod("crash", "Always", "echo boom; exit 3", "")),
    );
    let backing_off = |restarts: i64| {
        let s = status_when(&k, "crash", 40, |s| {
            s["state"]["waiting"]["reason"] == "CrashLoopBackOff"
                && s["restartCount"].as_i64() == Some(restarts)
        });
        let message = s["state"]["waiting"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (s, message)
    };
    let (_, message) = backing_off(0);
    assert!(
        message.starts_with("back-off 10s restarting failed container=main pod=crash_default("),
        "{message}"
    );
    let (crashed, message) = backing_off(1);
    assert!(message.starts_with("back-off 20s "), "{message}");
    assert_eq!(crashed["lastState"]["terminated"]["exitCode"], 3);
    assert_eq!(crashed["lastState"]["terminated"]["reason"], "Error");
    let table = k.ok(&kyb, &["get", "pod", "crash"], None);
    assert!(table.contains("CrashLoopBackOff"), "{table}");

    // A failing liveness probe kills the container, which is started again.
    let live = "    livenessProbe:\n      exec: {command: [\"sh\", \"-c\", \"test -f /nonexistent\"]}\n      periodSeconds: 1\n      failureThreshold: 1\n";
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&pod("unwell", "Always", "exec sleep 3600", live)),
    );
    let restarted = status_when(&k, "unwell", 40, |s| s["restartCount"].as_i64() >= Some(1));
    assert_eq!(
        restarted["lastState"]["terminated"]["exitCode"], 143,
        "{restarted}"
    );
    let events = k.ok(
        &kc,
        &[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=unwell",
        ],
        None,
    );
    assert!(
        events.contains("Unhealthy") && events.contains("Killing"),
        "{events}"
    );

    // restartPolicy Never: the exit code, FallbackToLogsOnError's message and the phase.
    let told = "    terminationMessagePolicy: FallbackToLogsOnError\n";
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&pod("once", "Never", "echo last words; exit 4", told)),
    );
    let once = status_when(&k, "once", 30, |s| s["state"]["terminated"].is_object());
    assert_eq!(once["state"]["terminated"]["exitCode"], 4);
    assert_eq!(once["state"]["terminated"]["message"], "last words\n");
    let phase = eventually(10, || {
        Some(k.get(&["pod", "once"])["status"]["phase"].clone()).filter(|p| p == "Failed")
    });
    assert!(phase.is_some());

    // Bad input gets kube's waiting reasons: a program that is not there, a ConfigMap that is not there.
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(
            &pod("missing", "Always", "true", "")
                .replace("[\"sh\", \"-c\", \"true\"]", "[\"no-such-program\"]"),
        ),
    );
    let missing = status_when(&k, "missing", 30, |s| {
        !s["state"]["waiting"]["message"].is_null()
    });
    assert_eq!(
        missing["state"]["waiting"]["reason"],
        "CreateContainerError"
    );
    assert!(
        missing["state"]["waiting"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("\"no-such-program\": executable file not found in $PATH")),
        "{missing}"
    );
    let config = "    env: [{name: X, valueFrom: {configMapKeyRef: {name: absent, key: x}}}]\n";
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&pod("broken", "Always", "sleep 60", config)),
    );
    let broken = status_when(&k, "broken", 30, |s| {
        s["state"]["waiting"]["reason"] == "CreateContainerConfigError"
    });
    assert_eq!(
        broken["state"]["waiting"]["message"],
        "configmap \"absent\" not found"
    );

    // A forced delete (no grace period) stops the pod's process at once.
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&pod("forced", "Always", "exec sleep 3600", "")),
    );
    status_when(&k, "forced", 30, |s| s["state"]["running"].is_object());
    let with_forced = node.running();
    k.ok(
        &kc,
        &["delete", "pod", "forced", "--grace-period=0", "--force"],
        None,
    );
    let stopped = eventually(20, || {
        (node.running().len() + 1 == with_forced.len()).then_some(())
    });
    assert!(stopped.is_some(), "still running: {:?}", node.running());

    // Deleting pods stops and removes their processes.
    k.ok(
        &kc,
        &[
            "delete", "pod", "crash", "unwell", "once", "missing", "broken",
        ],
        None,
    );

    // A killed agent, started again, adopts the running processes: no duplicates, no losses. A pod
    // deleted meanwhile has its processes removed by the restarted agent.
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&pod("doomed", "Always", "exec sleep 3600", "")),
    );
    status_when(&k, "doomed", 30, |s| s["state"]["running"].is_object());
    let before = node.running();
    node.kill_agent();
    k.ok(
        &kc,
        &["delete", "pod", "doomed", "--grace-period=0", "--force"],
        None,
    );
    k.restart_process_agent(&mut node);
    let settled = eventually(30, || {
        (node.running().len() + 1 == before.len()).then(|| node.running())
    });
    let after = settled.unwrap_or_else(|| panic!("the stray stayed: {:?}", node.running()));
    assert!(
        after.iter().all(|id| before.contains(id)),
        "{before:?} -> {after:?}"
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(node.running(), after);
    assert_eq!(container_status(&k, &first)["restartCount"], 0);
    assert!(http_get(&format!("http://127.0.0.1:{port}/")).is_some());

    // Deleting the pod runs preStop, stops it within its grace period, and its ReplicaSet replaces it.
    k.ok(&kyb, &["delete", "pod", &first], None);
    let mark = std::fs::read_to_string(work.0.join("stopped")).unwrap_or_default();
    assert_eq!(mark, format!("{first}\n"));
    let replaced = eventually(60, || {
        let pods = k.running_pods("app=web");
        let name = pods.first()?["metadata"]["name"].as_str()?.to_string();
        (name != first).then_some(name)
    });
    let second = replaced.unwrap_or_else(|| panic!("no new pod:\n{}", k.log()));
    let page = eventually(20, || {
        http_get(&format!("http://127.0.0.1:{port}/")).filter(|p| p.starts_with(&second))
    });
    assert!(page.is_some());

    // Everything deleted, nothing of it keeps running.
    k.ok(&kc, &["delete", "deploy/web"], None);
    k.ok(&kc, &["delete", "pod", "--all", "--grace-period=1"], None);
    let gone = eventually(60, || node.running().is_empty().then_some(()));
    assert!(gone.is_some(), "still running: {:?}", node.running());
}

#[test]
fn plain_kybd_without_docker_runs_pods_as_processes() {
    // No Docker daemon answers at this socket, so the embedded agent takes the process runtime.
    let k = Kybd::start_with_agent(&[("DOCKER_HOST", "unix:///nonexistent/docker.sock")]);
    let kc = kubectl();
    let node = eventually(30, || {
        let nodes = k.get(&["nodes"]);
        let n = nodes["items"].as_array()?.first()?.clone();
        n["status"]["nodeInfo"]["containerRuntimeVersion"]
            .as_str()?
            .starts_with("process://")
            .then_some(n)
    })
    .unwrap_or_else(|| panic!("no process node:\n{}", k.log()));
    let name = node["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let _cleanup = kyb_e2e::ProcessNode::at(&name, k.dir.0.join("agent"));
    let work = TempDir::new("plain-kybd");
    let answer = work.0.join("answer");
    let script = format!("echo $((6*7)) > {} && exec sleep 600", answer.display());
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&pod("answer", "Always", &script, "")),
    );
    status_when(&k, "answer", 30, |s| s["state"]["running"].is_object());
    assert_eq!(std::fs::read_to_string(&answer).unwrap_or_default(), "42\n");
    let running = kyb_e2e::ProcessNode::at(&name, k.dir.0.join("agent"));
    assert_eq!(running.running().len(), 1);
    k.ok(&kc, &["delete", "pod", "answer", "--grace-period=1"], None);
    assert!(running.running().is_empty(), "{:?}", running.running());
}
