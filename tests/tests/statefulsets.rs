//! StatefulSets: ordered creation and removal, stable names and claims, partitioned rolling updates, and
//! ControllerRevision history, on `kybd server` with simulated nodes, driven by kyb and the real kubectl.

use std::collections::HashMap;

use kyb_e2e::{bin, converge, eventually, kubectl, Kybd};
use serde_json::Value;

use super::controllers::same;

fn stateful_set(name: &str, replicas: usize, extra_spec: &str) -> String {
    format!("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {name}\nspec:\n  serviceName: {name}\n  replicas: {replicas}\n{extra_spec}  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: c\n        image: busybox:1.36\n  volumeClaimTemplates:\n  - metadata:\n      name: data\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources:\n        requests:\n          storage: 1Gi\n")
}

/// Name → image of the live (not deleting, running) pods of `app`.
fn images(k: &Kybd, app: &str) -> HashMap<String, String> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    k.running_pods(&format!("app={app}"))
        .iter()
        .map(|p| {
            (
                text(&p["metadata"]["name"]),
                text(&p["spec"]["containers"][0]["image"]),
            )
        })
        .collect()
}

/// `rollout status` until done. StatefulSets defaulted with a RollingUpdate partition (0) report as
/// partitioned roll-outs, as kubectl words it.
fn rolled_out(k: &Kybd, program: &std::path::Path, n: usize) {
    let out = k.ok(
        program,
        &["rollout", "status", "sts/web", "--timeout=60s"],
        None,
    );
    let want = format!("partitioned roll out complete: {n} new pods have been updated...\n");
    assert!(out.ends_with(&want), "{out}");
}

fn names(k: &Kybd, app: &str) -> Vec<String> {
    let mut n: Vec<String> = images(k, app).into_keys().collect();
    n.sort();
    n
}

fn settle(k: &Kybd, app: &str, want: &[&str]) {
    converge(30, app, want, || names(k, app));
}

/// Watches `app`'s pods in the background until `until` holds of the events so far, and returns them as
/// (type, name, ready) triples.
fn record(
    k: &Kybd,
    app: &str,
    until: fn(&[(String, String, bool)]) -> bool,
) -> std::thread::JoinHandle<Vec<(String, String, bool)>> {
    let events = k.watch(&format!(
        "/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3D{app}&timeoutSeconds=60"
    ));
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for e in events {
            let obj = &e["object"];
            let ready = obj["status"]["conditions"].as_array().is_some_and(|c| {
                c.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            });
            let kind = if e["type"] != "DELETED" && !obj["metadata"]["deletionTimestamp"].is_null()
            {
                "DELETING".to_string()
            } else {
                e["type"].as_str().unwrap_or_default().to_string()
            };
            seen.push((
                kind,
                obj["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                ready,
            ));
            if until(&seen) {
                break;
            }
        }
        seen
    })
}

#[test]
fn stateful_sets_keep_order_identity_and_partitions() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(3, "n-", &[]);
    let (kc, kyb) = (kubectl(), bin("kyb"));

    // OrderedReady: each pod is created only once the one before it is ready.
    let created = record(&k, "web", |seen| {
        seen.iter().any(|(_, n, ready)| n == "web-2" && *ready)
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    k.ok(
        &kyb,
        &["apply", "-f", "-"],
        Some(&stateful_set("web", 3, "")),
    );
    let seen = created.join().unwrap_or_default();
    let added: Vec<&str> = seen
        .iter()
        .filter(|(t, _, _)| t == "ADDED")
        .map(|(_, n, _)| n.as_str())
        .collect();
    assert_eq!(added, ["web-0", "web-1", "web-2"], "{seen:?}");
    for (i, name) in ["web-1", "web-2"].iter().enumerate() {
        let at = seen
            .iter()
            .position(|(t, n, _)| t == "ADDED" && n == name)
            .unwrap_or(0);
        let before = format!("web-{i}");
        assert!(
            seen[..at]
                .iter()
                .any(|(_, n, ready)| *n == before && *ready),
            "{name} was created before {before} was ready: {seen:?}"
        );
    }
    rolled_out(&k, &kc, 3);

    // Stable identity: hostname, subdomain, labels and one claim per pod.
    let pod = k.get(&["pod", "web-1"]);
    assert_eq!(pod["spec"]["hostname"], "web-1");
    assert_eq!(pod["spec"]["subdomain"], "web");
    assert_eq!(
        pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"],
        "web-1"
    );
    assert_eq!(
        pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"],
        "1"
    );
    assert_eq!(
        pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "data-web-1"
    );
    let claims = k.ok(&kc, &["get", "pvc", "-l", "app=web", "-o", "name"], None);
    assert_eq!(
        claims,
        "persistentvolumeclaim/data-web-0\npersistentvolumeclaim/data-web-1\npersistentvolumeclaim/data-web-2\n"
    );

    // A deleted pod comes back under its own name.
    let uid = pod["metadata"]["uid"].clone();
    k.ok(&kyb, &["delete", "pod", "web-1", "--wait=false"], None);
    let back = eventually(30, || {
        let p = k.get(&["pod", "web-1"]);
        (p["metadata"]["uid"] != uid && p["status"]["phase"] == "Running").then_some(())
    });
    assert!(back.is_some(), "web-1 did not come back");

    // Scaling down removes the highest ordinals first, one at a time.
    let removed = record(&k, "web", |seen| {
        seen.iter().filter(|(t, _, _)| t == "DELETED").count() == 2
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    k.ok(&kc, &["scale", "sts", "web", "--replicas=1"], None);
    let seen = removed.join().unwrap_or_default();
    let deleted: Vec<&str> = seen
        .iter()
        .filter(|(t, _, _)| t == "DELETED")
        .map(|(_, n, _)| n.as_str())
        .collect();
    assert_eq!(deleted, ["web-2", "web-1"], "{seen:?}");
    let marked = seen
        .iter()
        .position(|(t, n, _)| t == "DELETING" && n == "web-1")
        .unwrap_or(0);
    let gone = seen
        .iter()
        .position(|(t, n, _)| t == "DELETED" && n == "web-2")
        .unwrap_or(usize::MAX);
    assert!(
        gone < marked,
        "web-1 was deleted before web-2 was gone: {seen:?}"
    );
    settle(&k, "web", &["web-0"]);
    // Claims stay (whenScaled: Retain).
    assert!(k
        .ok(&kc, &["get", "pvc", "data-web-2", "-o", "name"], None)
        .contains("data-web-2"));

    // A partitioned rolling update replaces only the ordinals at or above the partition, highest first.
    k.ok(&kc, &["scale", "sts", "web", "--replicas=3"], None);
    settle(&k, "web", &["web-0", "web-1", "web-2"]);
    k.ok(
        &kc,
        &[
            "patch",
            "sts",
            "web",
            "-p",
            r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":1}}}}"#,
        ],
        None,
    );
    k.ok(&kc, &["set", "image", "sts/web", "c=busybox:1.37"], None);
    rolled_out(&k, &kc, 2);
    let now = eventually(30, || {
        let i = images(&k, "web");
        (i.len() == 3 && i["web-1"] == "busybox:1.37" && i["web-2"] == "busybox:1.37").then_some(i)
    })
    .unwrap_or_else(|| panic!("web-1 and web-2 were not updated: {:?}", images(&k, "web")));
    assert_eq!(now["web-0"], "busybox:1.36");
    k.ok(
        &kc,
        &[
            "patch",
            "sts",
            "web",
            "-p",
            r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}"#,
        ],
        None,
    );
    let all = eventually(30, || {
        images(&k, "web")
            .values()
            .all(|i| i == "busybox:1.37")
            .then_some(())
    });
    assert!(all.is_some(), "{:?}", images(&k, "web"));
    let status = eventually(30, || {
        let s = k.get(&["sts", "web"])["status"].clone();
        (s["currentRevision"] == s["updateRevision"] && s["updatedReplicas"] == 3).then_some(s)
    });
    assert!(status.is_some(), "{}", k.get(&["sts", "web"])["status"]);

    // History and undo through ControllerRevisions, from kubectl and kyb alike.
    let history = same(&k, &["rollout", "history", "sts/web"]);
    same(&k, &["rollout", "history", "sts/web", "--revision=2"]);
    assert!(
        history.contains("REVISION  CHANGE-CAUSE\n1         <none>\n2         <none>"),
        "{history}"
    );
    same(&k, &["rollout", "pause", "sts/web"]);
    k.ok(&kc, &["rollout", "undo", "sts/web"], None);
    let undone = eventually(30, || {
        let i = images(&k, "web");
        (i.len() == 3 && i.values().all(|i| i == "busybox:1.36")).then_some(())
    });
    assert!(undone.is_some(), "{:?}", images(&k, "web"));
    rolled_out(&k, &kyb, 3);

    // Parallel creates and removes without waiting; deleting the set takes its pods and keeps the claims.
    k.ok(
        &kyb,
        &["apply", "-f", "-"],
        Some(&stateful_set("par", 3, "  podManagementPolicy: Parallel\n")),
    );
    settle(&k, "par", &["par-0", "par-1", "par-2"]);
    k.ok(&kc, &["delete", "sts", "web"], None);
    settle(&k, "web", &[]);
    let kept = k.ok(&kc, &["get", "pvc", "-l", "app=web", "-o", "name"], None);
    assert_eq!(kept.lines().count(), 3, "{kept}");
    let _: Value = k.get(&["sts", "par"]);
}
