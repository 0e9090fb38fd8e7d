//! The workload controllers and the garbage collector: `kybd server` (with its controllers and scheduler)
//! plus simulated nodes, driven with kyb and the real kubectl.

use kyb_e2e::{bin, eventually, kubectl, Kybd};
use serde_json::Value;

fn replica_set(name: &str, replicas: usize) -> String {
    format!("apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: c\n        image: busybox:1.36\n")
}

/// The names of the running, not-deleting pods labelled `app=NAME`, sorted.
fn pods_of(k: &Kybd, app: &str) -> Vec<String> {
    let list = k.get(&["pods", "-l", &format!("app={app}")]);
    let mut names: Vec<String> = list
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
        .filter(|p| p.pointer("/status/phase").and_then(Value::as_str) == Some("Running"))
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
