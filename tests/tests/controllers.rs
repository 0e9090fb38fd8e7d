//! The workload controllers and the garbage collector: `kybd server` (with its controllers and scheduler)
//! plus simulated nodes, driven with kyb and the real kubectl.

use kyb_e2e::{bin, converge, eventually, kubectl, Kybd};
use serde_json::Value;

fn replica_set(name: &str, replicas: usize) -> String {
    format!("apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: c\n        image: busybox:1.36\n")
}

/// The names of the running, not-deleting pods labelled `app=NAME`, sorted.
fn pods_of(k: &Kybd, app: &str) -> Vec<String> {
    let mut names: Vec<String> = k
        .running_pods(&format!("app={app}"))
        .iter()
        .filter_map(|p| p.pointer("/metadata/name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

/// Waits until exactly `n` pods of the app run, and returns their names.
fn settle(k: &Kybd, app: &str, n: usize) -> Vec<String> {
    eventually(30, || Some(pods_of(k, app)).filter(|p| p.len() == n))
        .unwrap_or_else(|| panic!("{app} never settled at {n} pods: {:?}", pods_of(k, app)))
}

fn owner_uids(pod: &Value) -> Vec<String> {
    pod.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("uid").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

#[test]
fn replica_sets_heal_scale_adopt_and_release() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(3, "n-", &[]);
    let kyb = bin("kyb");
    k.ok(&kyb, &["apply", "-f", "-"], Some(&replica_set("web", 3)));
    let first = settle(&k, "web", 3);
    let rs = k.get(&["rs", "web"]);
    let uid = rs
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    for name in &first {
        assert_eq!(
            owner_uids(&k.get(&["pod", name])),
            std::slice::from_ref(&uid),
            "{name} is not owned by web"
        );
    }
    // Status counts, as kubectl's columns read them.
    let status = eventually(20, || {
        let s = k.get(&["rs", "web"])["status"].clone();
        (s["availableReplicas"] == 3).then_some(s)
    })
    .unwrap_or_else(|| panic!("web never reported 3 available"));
    assert_eq!(
        (
            status["replicas"].as_i64(),
            status["readyReplicas"].as_i64()
        ),
        (Some(3), Some(3))
    );
    assert_eq!(status["fullyLabeledReplicas"], 3);
    let events = k.ok(
        &kyb,
        &[
            "get",
            "events",
            "--field-selector",
            "involvedObject.kind=ReplicaSet,reason=SuccessfulCreate",
        ],
        None,
    );
    assert!(
        events.contains(&format!("Created pod: {}", first[0])),
        "{events}"
    );

    // A deleted pod is replaced by a new one.
    k.ok(&kyb, &["delete", "pod", &first[0], "--wait=false"], None);
    let healed = eventually(30, || {
        Some(pods_of(&k, "web")).filter(|p| p.len() == 3 && !p.contains(&first[0]))
    });
    assert!(
        healed.is_some(),
        "the deleted pod was not replaced: {:?}",
        pods_of(&k, "web")
    );

    // Scaling from kubectl and kyb, with kubectl's preconditions and messages.
    assert_eq!(
        k.ok(&kubectl(), &["scale", "rs", "web", "--replicas=5"], None)
            .trim(),
        "replicaset.apps/web scaled"
    );
    settle(&k, "web", 5);
    for client in [&kubectl(), &kyb] {
        let err = k.fails(
            client,
            &["scale", "rs", "web", "--replicas=2", "--current-replicas=9"],
            None,
        );
        assert_eq!(err.trim(), "error: Expected replicas to be 9, was 5");
        let err = k.fails(client, &["scale", "rs", "web", "--replicas=-1"], None);
        assert_eq!(err.trim(), "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0");
        let err = k.fails(client, &["scale", "rs", "web"], None);
        assert_eq!(err.trim(), "error: required flag(s) \"replicas\" not set");
        let err = k.fails(client, &["scale", "rs", "nope", "--replicas=1"], None);
        assert_eq!(
            err.trim(),
            "error: no objects passed to scale replicasets.apps \"nope\" not found"
        );
    }
    let out = k.ok(
        &kyb,
        &["scale", "rs/web", "--replicas=2", "--current-replicas=5"],
        None,
    );
    assert_eq!(out.trim(), "replicaset.apps/web scaled");
    settle(&k, "web", 2);

    // A bare pod that matches is adopted, and then the surplus goes.
    k.ok(
        &kyb,
        &["run", "stray", "--image=busybox:1.36", "--labels=app=web"],
        None,
    );
    eventually(30, || {
        let pods = pods_of(&k, "web");
        let owned = pods
            .iter()
            .filter(|p| owner_uids(&k.get(&["pod", p])) == [uid.clone()])
            .count();
        (pods.len() == 2 && owned == 2).then_some(())
    })
    .unwrap_or_else(|| {
        panic!(
            "the stray pod was not adopted and trimmed: {:?}",
            pods_of(&k, "web")
        )
    });

    // A pod whose labels stop matching is released and replaced.
    let released = pods_of(&k, "web")[0].clone();
    k.ok(
        &kyb,
        &["label", "pod", &released, "app=other", "--overwrite"],
        None,
    );
    eventually(30, || {
        let free = owner_uids(&k.get(&["pod", &released])).is_empty();
        let pods = pods_of(&k, "web");
        (free && pods.len() == 2 && !pods.contains(&released)).then_some(())
    })
    .unwrap_or_else(|| panic!("{released} was not released and replaced"));
}

#[test]
fn replication_controllers_from_kubectl() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(2, "n-", &[]);
    let kc = kubectl();
    let rc = "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: legacy\nspec:\n  replicas: 2\n  template:\n    metadata:\n      labels:\n        app: legacy\n    spec:\n      containers:\n      - name: c\n        image: busybox:1.36\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(rc));
    let pods = settle(&k, "legacy", 2);
    k.ok(&kc, &["delete", "pod", &pods[0], "--wait=false"], None);
    eventually(30, || {
        Some(pods_of(&k, "legacy")).filter(|p| p.len() == 2 && !p.contains(&pods[0]))
    })
    .unwrap_or_else(|| panic!("the rc did not replace {}", pods[0]));
    assert_eq!(
        k.ok(&kc, &["scale", "rc", "legacy", "--replicas=4"], None)
            .trim(),
        "replicationcontroller/legacy scaled"
    );
    settle(&k, "legacy", 4);
    let ready = eventually(20, || {
        let out = k.ok(
            &kc,
            &[
                "get",
                "rc",
                "legacy",
                "-o",
                "jsonpath={.status.readyReplicas}/{.status.availableReplicas}",
            ],
            None,
        );
        (out == "4/4").then_some(out)
    });
    assert!(
        ready.is_some(),
        "the rc's status never reached 4 ready and available"
    );
}

#[test]
fn garbage_collection_follows_the_cascade() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(2, "n-", &[]);
    let (kyb, kc) = (bin("kyb"), kubectl());
    k.ok(&kyb, &["apply", "-f", "-"], Some(&replica_set("gc", 2)));
    let pods = settle(&k, "gc", 2);

    // Orphan: the owner goes, the pods stay with no reference to it, and a new owner adopts them.
    k.ok(&kyb, &["delete", "rs", "gc", "--cascade=orphan"], None);
    eventually(20, || {
        k.get(&["rs"])["items"]
            .as_array()
            .filter(|a| a.is_empty())
            .map(|_| ())
    })
    .unwrap_or_else(|| panic!("the orphaning delete did not finish"));
    for p in &pods {
        assert!(
            owner_uids(&k.get(&["pod", p])).is_empty(),
            "{p} still names its deleted owner"
        );
    }
    k.ok(&kyb, &["apply", "-f", "-"], Some(&replica_set("gc", 2)));
    let uid = eventually(10, || {
        k.get(&["rs", "gc"])
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .map(str::to_string)
    })
    .unwrap_or_default();
    eventually(30, || {
        pods.iter()
            .all(|p| owner_uids(&k.get(&["pod", p])) == [uid.clone()])
            .then_some(())
    })
    .unwrap_or_else(|| panic!("the orphans were not adopted"));
    assert_eq!(pods_of(&k, "gc"), pods, "adoption must not create new pods");

    // Foreground: the owner waits, with its finalizer, until its pods are gone.
    k.ok(
        &kc,
        &["delete", "rs", "gc", "--cascade=foreground", "--wait=false"],
        None,
    );
    let held = k.get(&["rs", "gc"]);
    let finalizers = held
        .pointer("/metadata/finalizers")
        .cloned()
        .unwrap_or(Value::Null);
    assert!(
        finalizers.to_string().contains("foregroundDeletion") || held.is_null(),
        "{held}"
    );
    eventually(30, || {
        (k.get(&["rs"])["items"]
            .as_array()
            .is_some_and(|a| a.is_empty())
            && pods_of(&k, "gc").is_empty())
        .then_some(())
    })
    .unwrap_or_else(|| panic!("the foreground delete left {:?}", pods_of(&k, "gc")));

    // Background, kubectl's default: the owner goes at once and its pods after it.
    k.ok(&kyb, &["apply", "-f", "-"], Some(&replica_set("gc", 2)));
    settle(&k, "gc", 2);
    k.ok(&kc, &["delete", "rs", "gc"], None);
    eventually(30, || {
        let list = k.get(&["pods", "-l", "app=gc"]);
        list["items"]
            .as_array()
            .filter(|a| a.is_empty())
            .map(|_| ())
    })
    .unwrap_or_else(|| panic!("the background delete left pods"));

    // A bad policy is a 422 that names the allowed values, and deletes nothing.
    k.ok(&kyb, &["apply", "-f", "-"], Some(&replica_set("kept", 1)));
    let (code, status) = k.http(
        "DELETE",
        "/apis/apps/v1/namespaces/default/replicasets/kept?propagationPolicy=Sideways",
        "application/json",
        b"",
    );
    assert_eq!(code, 422, "{status}");
    assert_eq!(status["reason"], "Invalid");
    assert!(status["message"]
        .as_str()
        .unwrap_or_default()
        .contains("supported values: \"Foreground\", \"Background\", \"Orphan\""));
    let err = k.fails(&kyb, &["delete", "rs", "kept", "--cascade=sideways"], None);
    assert!(err.contains("invalid cascade value (sideways)"), "{err}");
    assert_eq!(k.get(&["rs", "kept"])["metadata"]["name"], "kept");
}

fn deployment(name: &str, replicas: usize, image: &str, extra_spec: &str) -> String {
    format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n{extra_spec}  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: c\n        image: {image}\n")
}

/// `kubectl create deployment NAME --image=busybox:1.36 --replicas=N`.
fn create_deployment(k: &Kybd, name: &str, replicas: usize) {
    let replicas = format!("--replicas={replicas}");
    let args = [
        "create",
        "deployment",
        name,
        "--image=busybox:1.36",
        &replicas,
    ];
    k.ok(&kubectl(), &args, None);
}

/// Waits (through `rollout status`) until the deployment has rolled out, and returns what it printed.
pub(crate) fn rolled_out(k: &Kybd, program: &std::path::Path, target: &str) -> String {
    let out = k.ok(
        program,
        &["rollout", "status", target, "--timeout=60s"],
        None,
    );
    assert!(out.ends_with("successfully rolled out\n"), "{out}");
    out
}

fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// Watches the app's pods in the background until a pod named `stop` appears, and returns the most pods
/// that existed (not being deleted) at once and the fewest ready ones, counted on every watch event once all
/// `replicas` first stood ready.
pub(crate) fn watch_bounds(
    k: &Kybd,
    app: &str,
    replicas: usize,
) -> std::thread::JoinHandle<(usize, usize)> {
    let events = k.watch(&format!(
        "/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3D{app}&timeoutSeconds=120"
    ));
    std::thread::spawn(move || {
        let mut pods: std::collections::HashMap<String, (bool, bool)> = Default::default();
        let (mut most, mut fewest, mut armed) = (0, usize::MAX, false);
        for e in events {
            let obj = &e["object"];
            let name = obj
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if name == "stop" {
                break;
            }
            if e["type"] == "DELETED" {
                pods.remove(&name);
            } else {
                let deleting = obj.pointer("/metadata/deletionTimestamp").is_some();
                pods.insert(name, (deleting, is_ready(obj)));
            }
            let live = pods.values().filter(|(deleting, _)| !deleting).count();
            let ready = pods
                .values()
                .filter(|(deleting, ready)| !deleting && *ready)
                .count();
            armed |= ready == replicas && live == replicas;
            if armed {
                most = most.max(live);
                fewest = fewest.min(ready);
            }
        }
        (most, fewest)
    })
}

#[test]
fn deployments_roll_out_within_their_bounds_and_roll_back() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(3, "n-", &[]);
    let (kyb, kc) = (bin("kyb"), kubectl());
    let strategy = "  strategy:\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 1\n";
    k.ok(
        &kyb,
        &["apply", "-f", "-"],
        Some(&deployment("roll", 4, "busybox:1.36", strategy)),
    );
    let done = rolled_out(&k, &kc, "deploy/roll");
    assert!(
        done.ends_with("deployment \"roll\" successfully rolled out\n"),
        "{done}"
    );
    let rs = k.get(&["rs", "-l", "app=roll"]);
    let name = rs
        .pointer("/items/0/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let hash = rs
        .pointer("/items/0/metadata/labels/pod-template-hash")
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert_eq!(name, format!("roll-{hash}"));
    assert_eq!(
        rs.pointer("/items/0/metadata/annotations/deployment.kubernetes.io~1revision"),
        Some(&Value::from("1"))
    );

    // A rolling update keeps at most replicas + maxSurge pods, and at least replicas - maxUnavailable ready,
    // on every watch event.
    let bounds = watch_bounds(&k, "roll", 4);
    std::thread::sleep(std::time::Duration::from_millis(300));
    k.ok(
        &kc,
        &["set", "image", "deploy/roll", "c=busybox:1.37"],
        None,
    );
    rolled_out(&k, &kc, "deploy/roll");
    k.ok(
        &kc,
        &["run", "stop", "--image=x", "--labels=app=roll"],
        None,
    );
    let (most, fewest) = bounds.join().unwrap_or((usize::MAX, 0));
    assert!(most <= 5, "maxSurge broken: {most} pods at once");
    assert!(
        fewest >= 3,
        "maxUnavailable broken: {fewest} ready at one point"
    );
    k.ok(&kc, &["delete", "pod", "stop", "--wait=false"], None);
    // Events are recorded after the writes they describe, so the last may still be on its way. The last
    // step's size depends on how soon the new pods were ready (1 or 2 old ones may go at once, both
    // within maxUnavailable), so only its end is fixed.
    let scaled_down = format!("Scaled down replica set {name} to 0 from ");
    let events = || {
        let filter = "involvedObject.kind=Deployment,involvedObject.name=roll";
        k.ok(&kyb, &["get", "events", "--field-selector", filter], None)
    };
    eventually(10, || events().contains(&scaled_down).then_some(()))
        .unwrap_or_else(|| panic!("no \"{scaled_down}\" event:\n{}", events()));

    // History and undo, from the real kubectl.
    let history = k.ok(&kc, &["rollout", "history", "deploy/roll"], None);
    assert!(
        history.contains("REVISION  CHANGE-CAUSE\n1         <none>\n2         <none>"),
        "{history}"
    );
    k.ok(&kc, &["rollout", "undo", "deploy/roll"], None);
    rolled_out(&k, &kc, "deploy/roll");
    let image = k.ok(&kc, &["get", "deploy", "roll", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}"], None);
    assert_eq!(image, "busybox:1.36 3");
    let sets = k.ok(&kc, &["get", "rs", "-l", "app=roll", "-o", "custom-columns=N:.metadata.name,R:.metadata.annotations.deployment\\.kubernetes\\.io/revision,I:.spec.template.spec.containers[0].image,D:.spec.replicas"], None);
    assert_eq!(
        sets.lines().count(),
        3,
        "undo must reuse the first set:\n{sets}"
    );

    // A paused rollout holds, though scaling still applies; resuming rolls it out.
    k.ok(&kc, &["rollout", "pause", "deploy/roll"], None);
    k.ok(
        &kc,
        &["set", "image", "deploy/roll", "c=busybox:1.38"],
        None,
    );
    k.ok(&kc, &["scale", "deploy/roll", "--replicas=5"], None);
    settle(&k, "roll", 5);
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(
        k.get(&["rs", "-l", "app=roll"])["items"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "a paused deployment made a set"
    );
    let reason = k.ok(
        &kc,
        &[
            "get",
            "deploy",
            "roll",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Progressing\")].reason}",
        ],
        None,
    );
    assert_eq!(reason, "DeploymentPaused");
    k.ok(&kc, &["rollout", "resume", "deploy/roll"], None);
    rolled_out(&k, &kc, "deploy/roll");
    let images = k.ok(
        &kc,
        &[
            "get",
            "pods",
            "-l",
            "app=roll",
            "-o",
            "jsonpath={.items[*].spec.containers[0].image}",
        ],
        None,
    );
    assert_eq!(
        images.split(' ').filter(|i| *i == "busybox:1.38").count(),
        5,
        "{images}"
    );

    // restart rolls every pod.
    let before = pods_of(&k, "roll");
    k.ok(&kc, &["rollout", "restart", "deploy/roll"], None);
    rolled_out(&k, &kc, "deploy/roll");
    let after = settle(&k, "roll", 5);
    assert!(
        after.iter().all(|p| !before.contains(p)),
        "{before:?} -> {after:?}"
    );

    // Deleting with --cascade=orphan keeps the sets and pods; a plain delete takes them all.
    k.ok(
        &kyb,
        &["delete", "deploy", "roll", "--cascade=orphan"],
        None,
    );
    std::thread::sleep(std::time::Duration::from_secs(1));
    let sets = k.get(&["rs", "-l", "app=roll"]);
    assert!(
        sets["items"]
            .as_array()
            .is_some_and(|a| a.len() >= 2 && a.iter().all(|r| owner_uids(r).is_empty())),
        "{sets}"
    );
    assert_eq!(pods_of(&k, "roll").len(), 5);
    k.ok(
        &kyb,
        &["apply", "-f", "-"],
        Some(&deployment("gone", 2, "busybox:1.36", "")),
    );
    settle(&k, "gone", 2);
    k.ok(&kc, &["delete", "deploy", "gone"], None);
    eventually(30, || {
        (k.get(&["rs", "-l", "app=gone"])["items"]
            .as_array()
            .is_some_and(|a| a.is_empty())
            && pods_of(&k, "gone").is_empty())
        .then_some(())
    })
    .unwrap_or_else(|| panic!("deleting the deployment left its sets or pods"));
}

#[test]
fn stalled_rollouts_exceed_their_deadline_and_recreate_waits() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(2, "n-", &[]);
    let kc = kubectl();
    // Pods that no node can take never become available: the rollout fails at its deadline.
    let stuck = "  progressDeadlineSeconds: 2\n";
    let manifest = deployment("stuck", 2, "busybox:1.36", stuck).replace(
        "    spec:\n",
        "    spec:\n      nodeSelector:\n        nowhere: \"true\"\n",
    );
    k.ok(&kc, &["apply", "-f", "-"], Some(&manifest));
    let out = k.run(
        &kc,
        &["rollout", "status", "deploy/stuck", "--timeout=30s"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: deployment \"stuck\" exceeded its progress deadline"
    );

    // Recreate: every old pod is gone before a new one is made.
    let recreate = "  strategy:\n    type: Recreate\n";
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&deployment("rec", 3, "busybox:1.36", recreate)),
    );
    rolled_out(&k, &kc, "deploy/rec");
    let old_hash = k
        .get(&["rs", "-l", "app=rec"])
        .pointer("/items/0/metadata/labels/pod-template-hash")
        .cloned()
        .unwrap_or(Value::Null);
    let events = k.watch(
        "/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Drec&timeoutSeconds=120",
    );
    let watcher = std::thread::spawn(move || {
        let mut live: std::collections::HashMap<String, bool> = Default::default();
        let mut mixed = false;
        for e in events {
            let obj = &e["object"];
            let name = obj
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if name == "stop" {
                break;
            }
            let old = obj.pointer("/metadata/labels/pod-template-hash") == Some(&old_hash);
            if e["type"] == "DELETED" {
                live.remove(&name);
            } else {
                live.insert(name, old);
            }
            mixed |= live.values().any(|o| *o) && live.values().any(|o| !*o);
        }
        mixed
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    k.ok(&kc, &["set", "image", "deploy/rec", "c=busybox:1.37"], None);
    rolled_out(&k, &kc, "deploy/rec");
    k.ok(&kc, &["run", "stop", "--image=x", "--labels=app=rec"], None);
    assert!(
        !watcher.join().unwrap_or(true),
        "Recreate ran old and new pods side by side"
    );
    k.ok(&kc, &["delete", "pod", "stop", "--wait=false"], None);
    assert_eq!(settle(&k, "rec", 3).len(), 3);
}

/// Runs the same command with kubectl and kyb, and asserts the same exit code, output and errors.
pub(crate) fn same(k: &Kybd, args: &[&str]) -> String {
    let run = |program: &std::path::Path| {
        let out = k.run(program, args, None);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (theirs, ours) = (run(&kubectl()), run(&bin("kyb")));
    assert_eq!(theirs, ours, "kubectl vs kyb: {args:?}");
    ours.1
}

#[test]
fn rollout_commands_match_kubectl() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(2, "n-", &[]);
    let kc = kubectl();
    create_deployment(&k, "web", 2);
    rolled_out(&k, &kc, "deploy/web");
    assert_eq!(
        same(&k, &["rollout", "status", "deploy/web"]),
        "deployment \"web\" successfully rolled out\n"
    );
    same(&k, &["rollout", "undo", "deploy/web"]);
    same(&k, &["rollout", "history", "deploy/web"]);
    k.ok(
        &kc,
        &["set", "image", "deploy/web", "busybox=busybox:1.37"],
        None,
    );
    rolled_out(&k, &kc, "deploy/web");
    let history = same(&k, &["rollout", "history", "deploy/web"]);
    assert!(
        history.starts_with("deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2"),
        "{history}"
    );
    same(&k, &["rollout", "history", "deploy/web", "-o", "name"]);
    same(&k, &["rollout", "history", "deploy/web", "--revision=1"]);
    same(&k, &["rollout", "history", "deploy/web", "--revision=99"]);
    same(&k, &["rollout", "undo", "deploy/web", "--to-revision=9"]);
    same(&k, &["rollout", "undo", "deploy/web", "--to-revision=2"]);
    same(&k, &["rollout", "resume", "deploy/web"]);
    same(&k, &["rollout", "status", "deploy/nope"]);
    same(&k, &["rollout", "status"]);
    same(&k, &["rollout", "pause", "rc/nope"]);

    // kyb drives the rollout on its own: pause, restart refused, resume, restart, undo.
    let kyb = bin("kyb");
    assert_eq!(
        k.ok(&kyb, &["rollout", "pause", "deploy/web"], None),
        "deployment.apps/web paused\n"
    );
    same(&k, &["rollout", "pause", "deploy/web"]);
    same(&k, &["rollout", "restart", "deploy/web"]);
    assert_eq!(
        k.ok(&kyb, &["rollout", "resume", "deploy/web"], None),
        "deployment.apps/web resumed\n"
    );
    let before = settle(&k, "web", 2);
    assert_eq!(
        k.ok(&kyb, &["rollout", "restart", "deploy/web"], None),
        "deployment.apps/web restarted\n"
    );
    let status = rolled_out(&k, &kyb, "deploy/web");
    assert!(
        status.ends_with("deployment \"web\" successfully rolled out\n"),
        "{status}"
    );
    let after = settle(&k, "web", 2);
    assert!(
        after.iter().all(|p| !before.contains(p)),
        "restart kept {before:?}"
    );
    assert_eq!(
        k.ok(
            &kyb,
            &["rollout", "undo", "deploy/web", "--to-revision=1"],
            None
        ),
        "deployment.apps/web rolled back\n"
    );
    rolled_out(&k, &kyb, "deploy/web");
    let image = k.ok(
        &kc,
        &[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ],
        None,
    );
    assert_eq!(image, "busybox:1.36");
    same(&k, &["rollout", "history", "deploy/web"]);
}

/// Runs `steps` from kubectl and from kyb, each on its own deployment, cronjob and pod (wk, ck, pk for
/// kubectl; wy, cy, py for kyb), so that every step meets the same state, and asserts that the exit codes,
/// outputs and errors match (names put back to X before comparing). `setup` runs first for each.
fn transcripts_match(k: &Kybd, steps: &[&str], setup: &[&str]) {
    let kc = kubectl();
    let transcript = |who: &str, program: &std::path::Path| -> Vec<(Option<i32>, String, String)> {
        k.ok(
            &kc,
            &[
                "create",
                "deployment",
                &format!("w{who}"),
                "--image=busybox:1.36",
            ],
            None,
        );
        k.ok(
            &kc,
            &[
                "create",
                "cronjob",
                &format!("c{who}"),
                "--image=b",
                "--schedule=* * * * *",
            ],
            None,
        );
        k.ok(&kc, &["run", &format!("p{who}"), "--image=b"], None);
        for line in setup {
            let line = line.replace('X', who);
            k.ok(&kc, &line.split(' ').collect::<Vec<_>>(), None);
        }
        steps
            .iter()
            .map(|step| {
                let line = step.replace('X', who);
                let args: Vec<&str> = line.split(' ').collect();
                let out = k.run(program, &args, None);
                let mine = |s: &[u8]| {
                    let text = String::from_utf8_lossy(s).into_owned();
                    ["w", "c", "p", "settings", "tokens"]
                        .iter()
                        .fold(text, |t, p| {
                            t.replace(&format!("{p}{who}"), &format!("{p}X"))
                        })
                };
                (out.status.code(), mine(&out.stdout), mine(&out.stderr))
            })
            .collect()
    };
    let theirs = transcript("k", &kc);
    let ours = transcript("y", &bin("kyb"));
    for ((step, t), o) in steps.iter().zip(&theirs).zip(&ours) {
        assert_eq!(t, o, "{step}");
    }
}

/// The containers of kubectl's and kyb's deployments, which the same steps must have left the same.
fn same_containers(k: &Kybd) {
    let containers = |who: &str| {
        let c = k.get(&["deploy", &format!("w{who}")])["spec"]["template"]["spec"]["containers"]
            .to_string();
        ["settings", "tokens"]
            .iter()
            .fold(c, |c, p| c.replace(&format!("{p}{who}"), &format!("{p}X")))
    };
    assert_eq!(containers("k"), containers("y"));
}

#[test]
fn set_image_matches_kubectl() {
    let k = Kybd::api_only();
    let steps: &[&str] = &[
        "set image deploy/wX busybox=b:2",
        "set image deploy/wX busybox=b:2",
        "set image deploy/wX nope=b:2",
        "set image deploy/wX *=b:3",
        "set image deploy/wX busybox=b:4 -o name",
        "set image cronjob/cX cX=b:5",
        "set image pod/pX pX=b:6",
        "set image deploy/nope x=y",
        "set image deploy/wX",
        "set image deploy/wX busybox=b:7 --dry-run=client",
        "set image deploy/wX busybox=b:8 --dry-run=server",
        "set image deploy/wX busybox=b:9 nope=c",
    ];
    transcripts_match(&k, steps, &[]);
    same_containers(&k);
    let image =
        k.get(&["deploy", "wy"])["spec"]["template"]["spec"]["containers"][0]["image"].clone();
    assert_eq!(image, "b:9");
}

#[test]
fn set_env_and_resources_match_kubectl() {
    let k = Kybd::api_only();
    let steps: &[&str] = &[
        "set env deploy/wX A=1 B=2",
        "set env deploy/wX A=1",
        "set env deploy/wX A=3 --overwrite=false",
        "set env deploy/wX A=4 -o name",
        "set env deploy/wX --list",
        "set env deploy/wX B-",
        "set env deploy/wX --from=configmap/settingsX --prefix=APP_",
        "set env deploy/wX --from=secret/tokensX --keys=api-key",
        "set env deploy/wX --list",
        "set env deploy/wX C=5 --dry-run=client",
        "set env deploy/wX C=6 -c nope",
        "set env cronjob/cX D=7",
        "set env deploy/wX",
        "set env deploy/nope A=1",
        "set env deploy/wX --from=configmap/missing",
        "set resources deploy/wX --limits=cpu=200m,memory=512Mi --requests=cpu=100m",
        "set resources deploy/wX --limits=cpu=200m",
        "set resources deploy/wX --requests=memory=64Mi -o name",
        "set resources deploy/wX -c nope --limits=cpu=1",
        "set resources deploy/wX",
        "set resources deploy/wX --limits=cpu=lots",
        "set resources deploy/wX --limits=cpu=300m --dry-run=server",
    ];
    let setup = &[
        "create configmap settingsX --from-literal=log.level=debug",
        "create secret generic tokensX --from-literal=api-key=s3cret --from-literal=other=x",
    ];
    transcripts_match(&k, steps, setup);
    same_containers(&k);
}

#[test]
fn resizing_mid_rollout_scales_both_sets_in_proportion() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(2, "n-", &["--max-pods", "110"]);
    let kc = kubectl();
    let strategy = "  strategy:\n    rollingUpdate:\n      maxSurge: 2\n      maxUnavailable: 0\n";
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&deployment("prop", 10, "busybox:1.36", strategy)),
    );
    rolled_out(&k, &kc, "deploy/prop");
    // The new template fits no node, so the rollout stalls with the old set at 10 and the new one at 2.
    let patch = r#"{"spec":{"template":{"spec":{"nodeSelector":{"nowhere":"true"}}}}}"#;
    k.ok(&kc, &["patch", "deploy/prop", "-p", patch], None);
    let sizes = |k: &Kybd| -> Vec<i64> {
        let sets = k.get(&["rs", "-l", "app=prop"]);
        let mut sizes: Vec<i64> = sets["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|rs| rs.pointer("/spec/replicas").and_then(Value::as_i64))
            .collect();
        sizes.sort();
        sizes
    };
    eventually(30, || (sizes(&k) == [2, 10]).then_some(()))
        .unwrap_or_else(|| panic!("the rollout did not stall at [2, 10]: {:?}", sizes(&k)));
    // Doubling the deployment grows both sets, to replicas + maxSurge in all, the bigger set by more.
    k.ok(&kc, &["scale", "deploy/prop", "--replicas=20"], None);
    let grown = eventually(30, || {
        Some(sizes(&k)).filter(|s| s.iter().sum::<i64>() == 22)
    })
    .unwrap_or_else(|| panic!("the sets did not grow to 22 in all: {:?}", sizes(&k)));
    assert!(grown[0] > 2 && grown[1] > 10, "{grown:?}");
    assert!(
        grown[1] - 10 > grown[0] - 2,
        "the bigger set should take the bigger share: {grown:?}"
    );
}

#[test]
fn namespaces_get_default_accounts_and_empty_themselves_when_deleted() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(2, "n-", &[]);
    let (kc, kyb) = (kubectl(), bin("kyb"));
    k.ok(&kc, &["create", "namespace", "team"], None);
    let account = || {
        k.run(
            &kc,
            &[
                "get",
                "serviceaccount",
                "default",
                "-n",
                "team",
                "-o",
                "name",
            ],
            None,
        )
    };
    let made = eventually(20, || account().status.success().then_some(()));
    assert!(made.is_some(), "team never got a default ServiceAccount");
    // Deleted, it comes back.
    k.ok(
        &kc,
        &["delete", "serviceaccount", "default", "-n", "team"],
        None,
    );
    let back = eventually(20, || account().status.success().then_some(()));
    assert!(
        back.is_some(),
        "the default ServiceAccount was not made again"
    );

    // Workloads, their pods and plain objects all go with the namespace.
    k.ok(
        &kc,
        &[
            "create",
            "deployment",
            "web",
            "-n",
            "team",
            "--image=busybox:1.36",
            "--replicas=3",
        ],
        None,
    );
    k.ok(
        &kc,
        &[
            "create",
            "configmap",
            "settings",
            "-n",
            "team",
            "--from-literal=a=b",
        ],
        None,
    );
    k.ok(
        &kyb,
        &[
            "create",
            "job",
            "once",
            "-n",
            "team",
            "--image=busybox:1.36",
        ],
        None,
    );
    let running = eventually(30, || {
        let pods = k.get(&["pods", "-n", "team"]);
        let n = pods["items"].as_array().map_or(0, |p| {
            p.iter()
                .filter(|p| p["status"]["phase"] == "Running")
                .count()
        });
        (n == 4).then_some(())
    });
    assert!(
        running.is_some(),
        "{}",
        k.ok(&kyb, &["get", "pods", "-n", "team"], None)
    );
    k.ok(&kc, &["delete", "namespace", "team", "--timeout=60s"], None);
    let err = k.fails(&kyb, &["get", "namespace", "team"], None);
    assert!(err.contains("namespaces \"team\" not found"), "{err}");
    for kind in [
        "pods",
        "replicasets",
        "deployments",
        "jobs",
        "configmaps",
        "serviceaccounts",
    ] {
        let left = k.get(&[kind, "-n", "team"]);
        assert_eq!(
            left["items"].as_array().map(Vec::len),
            Some(0),
            "{kind} left: {left}"
        );
    }
}

#[test]
fn disruption_budgets_count_pods_and_ration_evictions() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(3, "n-", &[]);
    let kc = kubectl();
    create_deployment(&k, "web", 3);
    k.ok(
        &kc,
        &[
            "create",
            "poddisruptionbudget",
            "web",
            "--selector=app=web",
            "--min-available=2",
        ],
        None,
    );
    let budget = |name: &str| k.get(&["pdb", name])["status"].clone();
    let counted = eventually(30, || {
        let s = budget("web");
        (s["currentHealthy"] == 3 && s["disruptionsAllowed"] == 1).then_some(s)
    })
    .unwrap_or_else(|| {
        panic!(
            "web's budget never counted 3 healthy pods: {}",
            budget("web")
        )
    });
    assert_eq!(
        (&counted["expectedPods"], &counted["desiredHealthy"]),
        (&Value::from(3), &Value::from(2))
    );
    assert_eq!(counted["conditions"][0]["reason"], "SufficientPods");
    let table = k.ok(&kc, &["get", "pdb", "web"], None);
    assert!(
        table
            .lines()
            .nth(1)
            .is_some_and(|l| l.split_whitespace().nth(3) == Some("1")),
        "{table}"
    );

    // One eviction spends the one allowed disruption; the next is refused until the pod is replaced.
    let pods = settle(&k, "web", 3);
    let evict = |pod: &str| {
        let body = format!(
            r#"{{"apiVersion":"policy/v1","kind":"Eviction","metadata":{{"name":"{pod}"}}}}"#
        );
        k.http(
            "POST",
            &format!("/api/v1/namespaces/default/pods/{pod}/eviction"),
            "application/json",
            body.as_bytes(),
        )
    };
    assert_eq!(evict(&pods[0]).0, 201);
    let (code, refusal) = evict(&pods[1]);
    assert_eq!(
        (code, refusal["reason"].as_str()),
        (429, Some("TooManyRequests")),
        "{refusal}"
    );
    assert_eq!(
        refusal["details"]["causes"][0]["reason"],
        "DisruptionBudget"
    );
    let later = eventually(30, || (evict(&pods[1]).0 == 201).then_some(()));
    assert!(
        later.is_some(),
        "the second eviction never went through: {}",
        budget("web")
    );

    // kubectl drain evicts through the budget, waiting where it must, and empties the node.
    let node = k.get(&["pod", &pods[2]])["spec"]["nodeName"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    k.ok(
        &kc,
        &["drain", &node, "--ignore-daemonsets", "--timeout=60s"],
        None,
    );
    let on_node = k.get(&["pods", "--field-selector", &format!("spec.nodeName={node}")]);
    let live = on_node["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .count();
    assert_eq!(live, 0, "{on_node}");

    // Percentages are taken of the owners' scale: maxUnavailable 50% of 4 rounds up to 2.
    create_deployment(&k, "api", 4);
    k.ok(
        &kc,
        &[
            "create",
            "pdb",
            "api",
            "--selector=app=api",
            "--max-unavailable=50%",
        ],
        None,
    );
    let counted = eventually(30, || {
        let s = budget("api");
        (s["currentHealthy"] == 4).then_some(s)
    })
    .unwrap_or_else(|| panic!("{}", budget("api")));
    assert_eq!(
        (
            &counted["expectedPods"],
            &counted["desiredHealthy"],
            &counted["disruptionsAllowed"]
        ),
        (&Value::from(4), &Value::from(2), &Value::from(2))
    );
}

/// The images of the live pods selected by `selector`, sorted.
fn images_of(k: &Kybd, selector: &str) -> Vec<String> {
    let mut images: Vec<String> = k
        .running_pods(selector)
        .iter()
        .filter_map(|p| {
            p["spec"]["containers"][0]["image"]
                .as_str()
                .map(String::from)
        })
        .collect();
    images.sort();
    images
}

fn pods_become(k: &Kybd, selector: &str, want: &[&str]) {
    converge(30, selector, want, || images_of(k, selector));
}

/// docs/canary.md, step by step, with its manifests.
#[test]
fn canary_and_blue_green_guide_runs_as_written() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(3, "n-", &[]);
    let kyb = bin("kyb");
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests/canary");
    let file = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let status = |d: &str| {
        let out = k.ok(&kyb, &["rollout", "status", d, "--timeout=60s"], None);
        assert!(out.ends_with("successfully rolled out\n"), "{out}");
    };

    // Canary, steps 1 to 3.
    k.ok(
        &kyb,
        &[
            "apply",
            "-f",
            &file("service.yaml"),
            "-f",
            &file("stable.yaml"),
        ],
        None,
    );
    status("deployment/shop-stable");
    k.ok(&kyb, &["apply", "-f", &file("canary.yaml")], None);
    status("deployment/shop-canary");
    pods_become(
        &k,
        "app=shop",
        &[
            "busybox:1.36",
            "busybox:1.36",
            "busybox:1.36",
            "busybox:1.37",
        ],
    );
    let tracks = k.ok(
        &kyb,
        &["get", "pods", "-l", "app=shop", "-L", "track"],
        None,
    );
    assert_eq!(
        tracks.lines().filter(|l| l.ends_with(" stable")).count(),
        3,
        "{tracks}"
    );
    assert_eq!(
        tracks.lines().filter(|l| l.ends_with(" canary")).count(),
        1,
        "{tracks}"
    );
    k.ok(
        &kyb,
        &["scale", "deployment/shop-canary", "--replicas=3"],
        None,
    );
    pods_become(&k, "app=shop,track=canary", &["busybox:1.37"; 3]);

    // Step 4: promote.
    k.ok(
        &kyb,
        &[
            "set",
            "image",
            "deployment/shop-stable",
            "shop=busybox:1.37",
        ],
        None,
    );
    status("deployment/shop-stable");
    k.ok(&kyb, &["delete", "deployment", "shop-canary"], None);
    pods_become(&k, "app=shop", &["busybox:1.37"; 3]);

    // Step 5: and back.
    let history = k.ok(
        &kyb,
        &["rollout", "history", "deployment/shop-stable"],
        None,
    );
    assert!(
        history.contains("1         shop 1.36 on the stable track"),
        "{history}"
    );
    k.ok(&kyb, &["rollout", "undo", "deployment/shop-stable"], None);
    status("deployment/shop-stable");
    pods_become(&k, "app=shop", &["busybox:1.36"; 3]);

    // Blue-green.
    k.ok(&kyb, &["apply", "-f", &file("blue-green.yaml")], None);
    status("deployment/checkout-blue");
    status("deployment/checkout-green");
    pods_become(&k, "app=checkout,version=blue", &["busybox:1.36"; 2]);
    k.ok(
        &kyb,
        &[
            "patch",
            "service",
            "checkout",
            "-p",
            r#"{"spec":{"selector":{"app":"checkout","version":"green"}}}"#,
        ],
        None,
    );
    let version = k.ok(
        &kyb,
        &[
            "get",
            "service",
            "checkout",
            "-o",
            "jsonpath={.spec.selector.version}",
        ],
        None,
    );
    assert_eq!(version, "green");
    k.ok(
        &kyb,
        &["scale", "deployment/checkout-blue", "--replicas=0"],
        None,
    );
    pods_become(&k, "app=checkout", &["busybox:1.37"; 2]);
}

#[test]
fn wait_matches_kubectl() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(2, "n-", &[]);
    let kyb = bin("kyb");
    create_deployment(&k, "web", 2);
    let met = k.ok(
        &kyb,
        &[
            "wait",
            "--for=condition=Available",
            "deployment/web",
            "--timeout=60s",
        ],
        None,
    );
    assert_eq!(met, "deployment.apps/web condition met\n");
    for args in [
        vec!["wait", "--for=condition=available", "deploy/web"],
        vec![
            "wait",
            "--for=jsonpath={.status.readyReplicas}=2",
            "deploy/web",
        ],
        vec![
            "wait",
            "--for=jsonpath={.spec.replicas}",
            "deploy/web",
            "-o",
            "name",
        ],
        vec![
            "wait",
            "--for=condition=Available=false",
            "deploy/web",
            "--timeout=1s",
        ],
        vec![
            "wait",
            "--for=jsonpath={.status.readyReplicas}=7",
            "deploy/web",
            "--timeout=0",
        ],
        vec!["wait", "--for=condition=Ready", "pod/nope", "--timeout=1s"],
        vec!["wait", "--for=condition=Ready", "pods", "-l", "app=none"],
        vec!["wait", "--for=bogus", "deploy/web"],
        vec!["wait", "--for=create", "deploy/web"],
    ] {
        same(&k, &args);
    }
    // Pods, by label, and their deletion.
    let pods = settle(&k, "web", 2);
    same(
        &k,
        &["wait", "--for=condition=Ready", "pods", "-l", "app=web"],
    );
    k.ok(&kyb, &["delete", "pod", &pods[0], "--wait=false"], None);
    let gone = k.ok(
        &kyb,
        &[
            "wait",
            "--for=delete",
            &format!("pod/{}", pods[0]),
            "--timeout=60s",
        ],
        None,
    );
    assert_eq!(gone, format!("pod/{} condition met\n", pods[0]));
    same(
        &k,
        &[
            "wait",
            "--for=delete",
            &format!("pod/{}", pods[0]),
            "--timeout=1s",
        ],
    );
}
