//! The scheduler and simulated nodes: `kybd server` (with its scheduler) plus `kybd agent --runtime simulated`,
//! driven with kyb and the real kubectl.

use kyb_e2e::{bin, eventually, kubectl, Kybd};
use serde_json::Value;

fn pod(name: &str, extra_spec: &str, cpu: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n{extra_spec}  containers:\n  - name: c\n    image: busybox:1.36\n    resources:\n      requests:\n        cpu: {cpu}\n")
}

/// Waits until the pod is bound, and returns its node.
fn node_of(k: &Kybd, name: &str) -> Option<String> {
    eventually(20, || {
        k.get(&["pod", name])
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .map(str::to_string)
    })
}

/// Waits for the FailedScheduling message of an unschedulable pod.
fn failed_scheduling(k: &Kybd, name: &str) -> Option<String> {
    eventually(20, || {
        let events = k.get(&[
            "events",
            "--field-selector",
            &format!("involvedObject.name={name},reason=FailedScheduling"),
        ]);
        events
            .pointer("/items/0/message")
            .and_then(Value::as_str)
            .map(str::to_string)
    })
}

fn ready_nodes(k: &Kybd, want: usize) -> bool {
    eventually(20, || {
        let nodes = k.get(&["nodes"]);
        let ready = nodes["items"].as_array().into_iter().flatten().filter(|n| {
            n.pointer("/status/conditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        });
        (ready.count() == want).then_some(())
    })
    .is_some()
}

#[test]
fn pods_land_within_resources_and_constraints() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(3, "n-", &["--cpu", "2", "--memory", "4Gi"]);
    assert!(ready_nodes(&k, 3), "nodes did not register:\n{}", k.log());
    let out = k.ok(&kubectl(), &["get", "nodes"], None);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(
        rows.len() == 3
            && rows
                .iter()
                .all(|r| r[1] == "Ready" && r[4] == "v1.32.0-kybernet"),
        "{out}"
    );

    // Six one-CPU pods fill three two-CPU nodes; they run, with IPs from their nodes' ranges.
    for i in 0..6 {
        k.ok(
            &kubectl(),
            &["create", "-f", "-"],
            Some(&pod(&format!("p{i}"), "", "1")),
        );
    }
    let mut per_node = std::collections::HashMap::new();
    for i in 0..6 {
        let node = node_of(&k, &format!("p{i}"))
            .unwrap_or_else(|| panic!("p{i} was not scheduled:\n{}", k.log()));
        *per_node.entry(node).or_insert(0) += 1;
    }
    assert!(per_node.values().all(|n| *n == 2), "{per_node:?}");
    let running = eventually(20, || {
        let p = k.get(&["pod", "p0"]);
        (p.pointer("/status/phase") == Some(&Value::from("Running")))
            .then(|| {
                p.pointer("/status/podIP")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .flatten()
    });
    assert!(
        running.is_some_and(|ip| ip.starts_with("10.64.")),
        "p0 is not running"
    );
    let scheduled = k.get(&[
        "events",
        "--field-selector",
        "involvedObject.name=p0,reason=Scheduled",
    ]);
    assert!(
        scheduled
            .pointer("/items/0/message")
            .and_then(Value::as_str)
            .is_some_and(|m| m.starts_with("Successfully assigned default/p0 to n-")),
        "{scheduled}"
    );

    // A seventh does not fit; it says why.
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&pod("p6", "", "1")),
    );
    assert_eq!(
        failed_scheduling(&k, "p6").as_deref(),
        Some("0/3 nodes are available: 3 Insufficient cpu.")
    );
    let p6 = k.get(&["pod", "p6"]);
    let condition = p6["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "PodScheduled")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        (condition["status"].as_str(), condition["reason"].as_str()),
        (Some("False"), Some("Unschedulable"))
    );
    // Deleting a pod frees room: the waiting one is scheduled.
    k.ok(&kubectl(), &["delete", "pod", "p0", "--wait=true"], None);
    assert!(
        node_of(&k, "p6").is_some(),
        "p6 was not scheduled after room was freed:\n{}",
        k.log()
    );
}

#[test]
fn selectors_taints_cordons_and_late_nodes() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(3, "n-", &[]);
    assert!(ready_nodes(&k, 3));
    // A selector no node matches waits, then lands once a node is labelled.
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&pod("ssd", "  nodeSelector:\n    disk: ssd\n", "100m")),
    );
    assert_eq!(
        failed_scheduling(&k, "ssd").as_deref(),
        Some("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.")
    );
    k.ok(&bin("kyb"), &["label", "node", "n-1", "disk=ssd"], None);
    assert_eq!(node_of(&k, "ssd").as_deref(), Some("n-1"));

    // Taints keep intolerant pods off; a toleration lets them on.
    for n in ["n-0", "n-2"] {
        k.ok(
            &kubectl(),
            &["taint", "node", n, "dedicated=db:NoSchedule"],
            None,
        );
    }
    k.ok(&kubectl(), &["cordon", "n-1"], None);
    let cordon_taint = ["node.kubernetes.io/unschedulable:NoSchedule".to_string()];
    let tainted = eventually(10, || (taints(&k, "n-1") == cordon_taint).then_some(()));
    assert!(tainted.is_some(), "{:?}", taints(&k, "n-1"));
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&pod("plain", "", "100m")),
    );
    let why = failed_scheduling(&k, "plain").unwrap_or_default();
    assert_eq!(why, "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had untolerated taint {dedicated: db}.");
    let tolerant = "  tolerations:\n  - key: dedicated\n    operator: Equal\n    value: db\n    effect: NoSchedule\n";
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&pod("db", tolerant, "100m")),
    );
    assert!(node_of(&k, "db").is_some_and(|n| n == "n-0" || n == "n-2"));
    // Uncordoning lets the waiting pod onto n-1.
    k.ok(&kubectl(), &["uncordon", "n-1"], None);
    assert_eq!(node_of(&k, "plain").as_deref(), Some("n-1"));
    let untainted = eventually(10, || taints(&k, "n-1").is_empty().then_some(()));
    assert!(untainted.is_some(), "{:?}", taints(&k, "n-1"));
}

#[test]
fn simulated_pods_exit_and_are_removed() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(1, "s-", &[]);
    assert!(ready_nodes(&k, 1));
    let once = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: once\n  annotations:\n    kybernet.io/simulate-exit: code=0,after=200ms\nspec:\n  restartPolicy: Never\n  containers:\n  - name: c\n    image: busybox:1.36\n";
    k.ok(&kubectl(), &["create", "-f", "-"], Some(once));
    let done = eventually(20, || {
        (k.get(&["pod", "once"]).pointer("/status/phase") == Some(&Value::from("Succeeded")))
            .then_some(())
    });
    assert!(done.is_some(), "the pod did not complete");
    let out = k.ok(&kubectl(), &["get", "pod", "once"], None);
    assert!(out.contains("Completed"), "{out}");
    // A bound pod is deleted gracefully: the agent removes it.
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&pod("gone", "", "10m")),
    );
    assert!(node_of(&k, "gone").is_some());
    k.ok(&kubectl(), &["delete", "pod", "gone"], None);
    assert_eq!(k.get_json("/api/v1/namespaces/default/pods/gone").0, 404);
    // The lease is renewed.
    let lease = k.get(&["lease", "-n", "kube-node-lease", "s-0"]);
    assert_eq!(lease["spec"]["holderIdentity"], "s-0");
}

/// cordon, uncordon, taint and drain: the same outputs, errors and exit codes as kubectl, each on its own node.
#[test]
fn node_commands_match_kubectl() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(2, "n-", &[]);
    assert!(ready_nodes(&k, 2));
    let tools = [("kubectl", kubectl(), "n-0"), ("kyb", bin("kyb"), "n-1")];
    let bound = |name: &str, node: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  nodeName: {node}\n  containers:\n  - name: c\n    image: busybox:1.36\n")
    };
    let steps: &[&[&str]] = &[
        &["cordon", "NODE"],
        &["cordon", "NODE"],
        &["uncordon", "NODE"],
        &["uncordon", "NODE"],
        &["taint", "node", "NODE", "dedicated=db:NoSchedule"],
        &["taint", "node", "NODE", "dedicated=web:NoSchedule"],
        &[
            "taint",
            "node",
            "NODE",
            "dedicated=web:NoSchedule",
            "--overwrite",
        ],
        &["taint", "node", "NODE", "spare:PreferNoSchedule"],
        &["taint", "node", "NODE", "dedicated:NoSchedule-"],
        &["taint", "node", "NODE", "dedicated-"],
        &["taint", "node", "NODE", "spare-"],
        &["drain", "NODE"],
        &["drain", "NODE", "--force"],
        &["uncordon", "NODE"],
    ];
    for (who, _, node) in &tools {
        k.ok(
            &kubectl(),
            &["create", "-f", "-"],
            Some(&bound(&format!("solo-{who}"), node)),
        );
    }
    for step in steps {
        let run = |(who, binary, node): &(&str, std::path::PathBuf, &str)| {
            let args: Vec<&str> = step
                .iter()
                .map(|a| if *a == "NODE" { *node } else { *a })
                .collect();
            let out = k.run(binary, &args, None);
            let norm = |b: &[u8]| {
                String::from_utf8_lossy(b)
                    .replace(node, "NODE")
                    .replace(&format!("solo-{who}"), "solo")
            };
            (out.status.code(), norm(&out.stdout), norm(&out.stderr))
        };
        let (want, got) = (run(&tools[0]), run(&tools[1]));
        assert_eq!(want, got, "{step:?}");
    }
    let out = k.ok(&kubectl(), &["get", "pods"], None);
    assert!(!out.contains("solo"), "{out}");
}

fn condition(k: &Kybd, kind: &str, name: &str, type_: &str) -> String {
    k.get(&[kind, name])
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c["type"] == type_)
        .and_then(|c| c["status"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn taints(k: &Kybd, node: &str) -> Vec<String> {
    let node = k.get(&["node", node]);
    node.pointer("/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            format!(
                "{}:{}",
                t["key"].as_str().unwrap_or_default(),
                t["effect"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn terminating(k: &Kybd, pod: &str) -> bool {
    k.get(&["pod", pod])
        .pointer("/metadata/deletionTimestamp")
        .is_some()
}

/// A node whose agent dies goes NotReady and gets the unreachable taints; its pods leave once their default
/// tolerationSeconds run out, except those that tolerate the taint for ever; the node recovers when its agent
/// comes back.
#[test]
fn lost_nodes_are_tainted_and_their_pods_evicted() {
    let k = Kybd::start_with(&[
        "--node-monitor-grace-period",
        "3",
        "--default-toleration-seconds",
        "2",
    ]);
    let lost = k.simulated_nodes(1, "lost-", &[]);
    let _kept = k.simulated_nodes(1, "kept-", &[]);
    assert!(ready_nodes(&k, 2), "nodes did not register:\n{}", k.log());
    let bound = |name: &str, node: &str, tolerations: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  nodeName: {node}\n{tolerations}  containers:\n  - name: c\n    image: busybox:1.36\n")
    };
    let forever = "  tolerations:\n  - operator: Exists\n";
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&bound("plain", "lost-0", "")),
    );
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&bound("stays", "lost-0", forever)),
    );
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&bound("elsewhere", "kept-0", "")),
    );
    // DefaultTolerationSeconds admission: both condition taints, tolerated for the configured time.
    let tolerations = k.ok(
        &kubectl(),
        &[
            "get",
            "pod",
            "plain",
            "-o",
            "jsonpath={range .spec.tolerations[*]}{.key}={.tolerationSeconds} {end}",
        ],
        None,
    );
    assert_eq!(
        tolerations,
        "node.kubernetes.io/not-ready=2 node.kubernetes.io/unreachable=2 "
    );
    let stays = k.get(&["pod", "stays"]);
    assert_eq!(
        stays.pointer("/spec/tolerations").map(|t| t.to_string()),
        Some(r#"[{"operator":"Exists"}]"#.to_string())
    );

    drop(lost);
    let unknown = eventually(30, || {
        (condition(&k, "node", "lost-0", "Ready") == "Unknown").then_some(())
    });
    assert!(unknown.is_some(), "node never went Unknown:\n{}", k.log());
    let out = k.ok(&kubectl(), &["get", "node", "lost-0", "--no-headers"], None);
    assert!(out.split_whitespace().nth(1) == Some("NotReady"), "{out}");
    let want = [
        "node.kubernetes.io/unreachable:NoSchedule",
        "node.kubernetes.io/unreachable:NoExecute",
    ];
    assert!(
        eventually(10, || (taints(&k, "lost-0") == want).then_some(())).is_some(),
        "{:?}",
        taints(&k, "lost-0")
    );
    assert!(
        eventually(15, || terminating(&k, "plain").then_some(())).is_some(),
        "plain was never evicted"
    );
    let events = eventually(10, || {
        let args = [
            "get",
            "events",
            "--field-selector",
            "reason=TaintManagerEviction",
            "-o",
            "name",
        ];
        let out = k.ok(&kubectl(), &args, None);
        (out.lines().count() == 1).then_some(out)
    });
    assert!(events.is_some(), "no single eviction event:\n{}", k.log());
    assert_eq!(condition(&k, "pod", "plain", "Ready"), "False");
    // A new pod cannot land on the lost node; the kept node and its pod are untouched.
    assert_eq!(condition(&k, "node", "kept-0", "Ready"), "True");
    assert!(taints(&k, "kept-0").is_empty());
    assert!(!terminating(&k, "stays") && !terminating(&k, "elsewhere"));
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&pod("fresh", "", "10m")),
    );
    assert_eq!(node_of(&k, "fresh").as_deref(), Some("kept-0"));

    // The agent comes back: the node is Ready again and its condition taints go.
    let _back = k.simulated_nodes(1, "lost-", &[]);
    let recovered = eventually(30, || taints(&k, "lost-0").is_empty().then_some(()));
    assert!(recovered.is_some(), "{:?}", taints(&k, "lost-0"));
    assert_eq!(condition(&k, "node", "lost-0", "Ready"), "True");
    assert!(!terminating(&k, "stays"));
}

/// With 20 simulated nodes: hostname spread and required anti-affinity put pods on distinct nodes, and
/// required affinity puts a pod beside its leader.
#[test]
fn affinity_anti_affinity_and_spread_on_twenty_nodes() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(20, "w-", &[]);
    assert!(ready_nodes(&k, 20), "nodes did not register:\n{}", k.log());
    let labelled = |name: &str, app: &str, extra: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {app}\nspec:\n{extra}  containers:\n  - name: c\n    image: busybox:1.36\n")
    };
    // Two candidate nodes, w-0 nearly full: resource scoring alone would put every pod on w-1.
    let ballast = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ballast\nspec:\n  nodeName: w-0\n  containers:\n  - name: c\n    image: busybox:1.36\n    resources:\n      requests:\n        cpu: \"3\"\n";
    k.ok(&kubectl(), &["create", "-f", "-"], Some(ballast));
    let two_nodes = "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - key: kubernetes.io/hostname\n            operator: In\n            values: [w-0, w-1]\n";
    let spread = format!("{two_nodes}  topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: kubernetes.io/hostname\n    whenUnsatisfiable: DoNotSchedule\n    labelSelector:\n      matchLabels:\n        app: spread\n");
    let anti = format!("{two_nodes}    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - topologyKey: kubernetes.io/hostname\n        labelSelector:\n          matchLabels:\n            app: anti\n");
    let follow = "  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - topologyKey: kubernetes.io/hostname\n        labelSelector:\n          matchLabels:\n            app: leader\n";
    for (group, extra) in [("spread", &spread), ("anti", &anti)] {
        let mut placed = Vec::new();
        for i in 0..2 {
            let name = format!("{group}-{i}");
            k.ok(
                &kubectl(),
                &["create", "-f", "-"],
                Some(&labelled(&name, group, extra)),
            );
            // One at a time, so that each placement sees the previous ones.
            placed.push(node_of(&k, &name).unwrap_or_else(|| panic!("{name} was not scheduled")));
        }
        assert_eq!(placed, ["w-1", "w-0"], "{group}");
    }
    // A third anti-affinity pod has nowhere left to go.
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&labelled("anti-2", "anti", &anti)),
    );
    let why = failed_scheduling(&k, "anti-2").unwrap_or_default();
    assert_eq!(why, "0/20 nodes are available: 18 node(s) didn't match Pod's node affinity/selector, 2 node(s) didn't match pod anti-affinity rules.");
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&labelled("leader", "leader", "")),
    );
    let leader = node_of(&k, "leader");
    assert!(leader.is_some());
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&labelled("follower", "follower", follow)),
    );
    assert_eq!(node_of(&k, "follower"), leader);
    // Affinity to pods that do not exist cannot be met; the scheduler says so.
    let orphan = follow.replace("app: leader", "app: nobody");
    k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&labelled("orphan", "orphan", &orphan)),
    );
    let why = failed_scheduling(&k, "orphan").unwrap_or_default();
    assert_eq!(
        why,
        "0/20 nodes are available: 20 node(s) didn't match pod affinity rules."
    );
}
