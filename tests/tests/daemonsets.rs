//! DaemonSets: `kybd server` with simulated nodes added, tainted and labelled while it runs, driven by kyb
//! and the real kubectl (`taint`, `label`, `rollout`).

use kyb_e2e::{bin, converge, eventually, kubectl, Kybd};
use serde_json::Value;

use super::controllers::{rolled_out, same, watch_bounds};

fn daemon_set(name: &str, image: &str, extra_pod_spec: &str) -> String {
    format!("apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: {name}\nspec:\n  updateStrategy:\n    rollingUpdate:\n      maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n{extra_pod_spec}      containers:\n      - name: c\n        image: {image}\n")
}

/// The nodes that run a live pod of the DaemonSet `app`, sorted (a node twice if it runs two).
fn nodes_of(k: &Kybd, app: &str) -> Vec<String> {
    let mut nodes: Vec<String> = k
        .running_pods(&format!("app={app}"))
        .iter()
        .filter_map(|p| p["spec"]["nodeName"].as_str().map(String::from))
        .collect();
    nodes.sort();
    nodes
}

fn runs_on(k: &Kybd, app: &str, want: &[&str]) {
    converge(30, &format!("{app}'s nodes"), want, || nodes_of(k, app));
}

#[test]
fn daemon_sets_follow_nodes_and_taints_and_roll_out() {
    let k = Kybd::start();
    let _first = k.simulated_nodes(3, "n-", &[]);
    let (kc, kyb) = (kubectl(), bin("kyb"));
    k.ok(
        &kyb,
        &["apply", "-f", "-"],
        Some(&daemon_set("agent", "busybox:1.36", "")),
    );
    runs_on(&k, "agent", &["n-0", "n-1", "n-2"]);
    let done = rolled_out(&k, &kc, "ds/agent");
    assert_eq!(
        done.lines().last(),
        Some("daemon set \"agent\" successfully rolled out")
    );
    // Pods are placed by the scheduler, held to their node by a node-name affinity, and tolerate node trouble.
    let pod = &k.get(&["pods", "-l", "app=agent"])["items"][0];
    assert_eq!(
        pod.pointer("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchFields/0/values/0"),
        pod.pointer("/spec/nodeName")
    );
    assert!(pod["metadata"]["labels"]["controller-revision-hash"].is_string());

    // New nodes get a pod.
    let _second = k.simulated_nodes(2, "m-", &[]);
    runs_on(&k, "agent", &["m-0", "m-1", "n-0", "n-1", "n-2"]);

    // NoSchedule keeps the running pod (misscheduled now); NoExecute evicts it; untainting brings it back.
    k.ok(
        &kc,
        &["taint", "nodes", "n-1", "dedicated=db:NoSchedule"],
        None,
    );
    let status = eventually(20, || {
        let s = k.get(&["ds", "agent"])["status"].clone();
        (s["desiredNumberScheduled"] == 4).then_some(s)
    })
    .unwrap_or_else(|| {
        panic!(
            "desired never fell to 4: {}",
            k.get(&["ds", "agent"])["status"]
        )
    });
    assert_eq!(status["numberMisscheduled"], 1, "{status}");
    assert_eq!(nodes_of(&k, "agent").len(), 5);
    k.ok(
        &kc,
        &["taint", "nodes", "n-1", "dedicated=db:NoExecute"],
        None,
    );
    runs_on(&k, "agent", &["m-0", "m-1", "n-0", "n-2"]);
    k.ok(&kc, &["taint", "nodes", "n-1", "dedicated-"], None);
    runs_on(&k, "agent", &["m-0", "m-1", "n-0", "n-1", "n-2"]);
    // A cordoned node keeps its daemon.
    k.ok(&kc, &["cordon", "n-2"], None);

    // A deleted pod comes back on its node.
    let victim = k.get(&[
        "pods",
        "-l",
        "app=agent",
        "--field-selector",
        "spec.nodeName=n-0",
    ]);
    let victim = victim["items"][0]["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    k.ok(&kyb, &["delete", "pod", &victim, "--wait=false"], None);
    let back = eventually(30, || {
        let now = k.get(&[
            "pods",
            "-l",
            "app=agent",
            "--field-selector",
            "spec.nodeName=n-0",
        ]);
        let names: Vec<&str> = now["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| {
                p["status"]["phase"] == "Running" && p["metadata"]["deletionTimestamp"].is_null()
            })
            .filter_map(|p| p["metadata"]["name"].as_str())
            .collect();
        (names.len() == 1 && names[0] != victim).then_some(())
    });
    assert!(back.is_some(), "n-0 lost its daemon");
    runs_on(&k, "agent", &["m-0", "m-1", "n-0", "n-1", "n-2"]);

    // A rolling update never has more than one node without a ready daemon, nor two daemons on a node.
    let bounds = watch_bounds(&k, "agent", 5);
    std::thread::sleep(std::time::Duration::from_millis(300));
    k.ok(&kc, &["set", "image", "ds/agent", "c=busybox:1.37"], None);
    rolled_out(&k, &kc, "ds/agent");
    k.ok(
        &kc,
        &["run", "stop", "--image=x", "--labels=app=agent"],
        None,
    );
    let (most, fewest) = bounds.join().unwrap_or((usize::MAX, 0));
    assert!(most <= 5, "maxSurge 0 broken: {most} pods at once");
    assert!(
        fewest >= 4,
        "maxUnavailable 1 broken: {fewest} ready at one point"
    );
    k.ok(&kc, &["delete", "pod", "stop", "--wait=false"], None);
    runs_on(&k, "agent", &["m-0", "m-1", "n-0", "n-1", "n-2"]);
    let images = eventually(20, || {
        let pods = k.get(&["pods", "-l", "app=agent"]);
        let images: Vec<String> = pods["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
            .filter_map(|p| {
                p["spec"]["containers"][0]["image"]
                    .as_str()
                    .map(String::from)
            })
            .collect();
        (images.len() == 5 && images.iter().all(|i| i == "busybox:1.37")).then_some(())
    });
    assert!(images.is_some(), "not every daemon runs the new image");

    // History and undo through ControllerRevisions, from kubectl and kyb alike.
    let history = same(&k, &["rollout", "history", "ds/agent"]);
    same(&k, &["rollout", "history", "ds/agent", "--revision=2"]);
    assert!(
        history.contains("REVISION  CHANGE-CAUSE\n1         <none>\n2         <none>"),
        "{history}"
    );
    same(&k, &["rollout", "undo", "ds/agent", "--to-revision=9"]);
    same(&k, &["rollout", "pause", "ds/agent"]);
    same(&k, &["rollout", "status", "ds/agent"]);
    k.ok(&kyb, &["rollout", "undo", "ds/agent"], None);
    rolled_out(&k, &kyb, "ds/agent");
    let image = k.ok(
        &kc,
        &[
            "get",
            "ds",
            "agent",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ],
        None,
    );
    assert_eq!(image, "busybox:1.36");
    assert_eq!(
        same(&k, &["rollout", "undo", "ds/agent", "--to-revision=3"]).trim(),
        "daemonset.apps/agent skipped rollback (current template already matches revision 3)"
    );
    let revisions = k.get(&["controllerrevisions", "-l", "app=agent"]);
    let numbers: Vec<i64> = revisions["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["revision"].as_i64())
        .collect();
    assert_eq!(
        numbers.len(),
        2,
        "undo must reuse the first revision: {numbers:?}"
    );

    // OnDelete: a new template waits until a pod is deleted, and only that pod's replacement takes it.
    let on_delete = r#"{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}"#;
    k.ok(
        &kc,
        &["patch", "ds", "agent", "--type=merge", "-p", on_delete],
        None,
    );
    k.ok(&kc, &["set", "image", "ds/agent", "c=busybox:1.38"], None);
    let image_on = |node: &str| {
        let pods = k.get(&[
            "pods",
            "-l",
            "app=agent",
            "--field-selector",
            &format!("spec.nodeName={node}"),
        ]);
        pods["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| {
                p["metadata"]["deletionTimestamp"].is_null() && p["status"]["phase"] == "Running"
            })
            .filter_map(|p| {
                p["spec"]["containers"][0]["image"]
                    .as_str()
                    .map(String::from)
            })
            .collect::<Vec<_>>()
    };
    let observed = eventually(20, || {
        (k.get(&["ds", "agent"])["status"]["observedGeneration"]
            == k.get(&["ds", "agent"])["metadata"]["generation"])
            .then_some(())
    });
    assert!(observed.is_some());
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(
        image_on("m-1"),
        ["busybox:1.36"],
        "OnDelete replaced a pod by itself"
    );
    let victim = k.get(&[
        "pods",
        "-l",
        "app=agent",
        "--field-selector",
        "spec.nodeName=m-1",
    ]);
    let victim = victim["items"][0]["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    k.ok(&kyb, &["delete", "pod", &victim, "--wait=false"], None);
    let replaced = eventually(30, || (image_on("m-1") == ["busybox:1.38"]).then_some(()));
    assert!(
        replaced.is_some(),
        "m-1 runs {:?}; its pods: {}; the DaemonSet: {}",
        image_on("m-1"),
        k.get(&[
            "pods",
            "-l",
            "app=agent",
            "--field-selector",
            "spec.nodeName=m-1"
        ]),
        k.get(&["ds", "agent"])
    );
    assert_eq!(image_on("m-0"), ["busybox:1.36"]);

    // A nodeSelector picks nodes by label, as they are labelled.
    let ssd = daemon_set(
        "ssd",
        "busybox:1.36",
        "      nodeSelector:\n        disk: ssd\n",
    );
    k.ok(&kc, &["apply", "-f", "-"], Some(&ssd));
    let status = eventually(20, || {
        let s = k.get(&["ds", "ssd"])["status"].clone();
        (s["observedGeneration"] == 1).then_some(s)
    });
    assert_eq!(
        status.map(|s| s["desiredNumberScheduled"].clone()),
        Some(Value::from(0))
    );
    k.ok(&kc, &["label", "node", "m-0", "disk=ssd"], None);
    runs_on(&k, "ssd", &["m-0"]);

    // Deleting the DaemonSet takes its pods.
    k.ok(&kc, &["delete", "ds", "agent"], None);
    runs_on(&k, "agent", &[]);
}
