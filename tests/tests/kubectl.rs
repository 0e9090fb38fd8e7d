//! The real kubectl (1.32, and Debian's 1.20) against kybd: apply, get in every output, watch, patch, scale, label, annotate, replace, delete.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use kyb_e2e::{eventually, kubectl, kubectl_120, Kybd};
use serde_json::Value;

fn manifest(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("manifests")
        .join(name)
        .display()
        .to_string()
}

fn json_of(k: &Kybd, bin: &Path, args: &[&str]) -> Value {
    let out = k.ok(bin, args, None);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}):\n{out}"))
}

/// Runs the whole everyday flow with one kubectl binary. The controllers are off, so that the workload
/// columns it reads stay as the API server alone leaves them (`tests/tests/controllers.rs` covers them on).
fn everyday_flow(bin: &Path) {
    let k = Kybd::api_only();
    let web = manifest("web.yaml");
    let out = k.ok(bin, &["apply", "-f", &web], None);
    assert_eq!(
        out,
        "deployment.apps/web created\nservice/web created\nconfigmap/web-content created\n"
    );
    let out = k.ok(bin, &["apply", "-f", &web], None);
    assert_eq!(
        out,
        "deployment.apps/web unchanged\nservice/web unchanged\nconfigmap/web-content unchanged\n"
    );

    // Tables come from the server: the columns of printers.go.
    let out = k.ok(bin, &["get", "deployments"], None);
    let mut lines = out.lines();
    assert_eq!(
        lines
            .next()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"])
    );
    let row: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(&row[..4], ["web", "0/2", "0", "0"]);
    let out = k.ok(bin, &["get", "svc", "web", "-o", "wide"], None);
    let row: Vec<&str> = out
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        (row[0], row[1], row[4], row[6]),
        ("web", "ClusterIP", "80/TCP", "app=web"),
        "{out}"
    );
    assert!(row[2].starts_with("10.43."), "cluster IP allocated: {out}");

    assert_eq!(
        k.ok(bin, &["get", "deploy", "web", "-o", "name"], None),
        "deployment.apps/web\n"
    );
    assert_eq!(
        k.ok(
            bin,
            &["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"],
            None
        ),
        "2"
    );
    let out = k.ok(
        bin,
        &[
            "get",
            "deploy",
            "-o",
            "custom-columns=NAME:.metadata.name,IMAGE:.spec.template.spec.containers[0].image",
        ],
        None,
    );
    assert_eq!(out, "NAME   IMAGE\nweb    busybox:1.36\n");
    let yaml = k.ok(bin, &["get", "deploy", "web", "-o", "yaml"], None);
    assert!(
        yaml.contains("revisionHistoryLimit: 10") && yaml.contains("maxSurge: 25%"),
        "defaults applied:\n{yaml}"
    );
    let d = json_of(&k, bin, &["get", "deploy", "web", "-o", "json"]);
    assert_eq!(d["metadata"]["generation"], 1);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"],
        "/dev/termination-log"
    );

    assert_eq!(
        k.ok(bin, &["scale", "deploy", "web", "--replicas=4"], None),
        "deployment.apps/web scaled\n"
    );
    assert_eq!(
        k.ok(
            bin,
            &["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"],
            None
        ),
        "4"
    );
    k.ok(bin, &["label", "deploy", "web", "tier=front"], None);
    k.ok(bin, &["annotate", "deploy", "web", "owner=team-a"], None);
    k.ok(bin, &["patch", "deploy", "web", "-p", r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"busybox:1.37"}]}}}}"#], None);
    k.ok(
        bin,
        &[
            "patch",
            "deploy",
            "web",
            "--type=merge",
            "-p",
            r#"{"spec":{"minReadySeconds":5}}"#,
        ],
        None,
    );
    k.ok(
        bin,
        &[
            "patch",
            "deploy",
            "web",
            "--type=json",
            "-p",
            r#"[{"op":"add","path":"/metadata/labels/patched","value":"json"}]"#,
        ],
        None,
    );
    let d = json_of(&k, bin, &["get", "deploy", "web", "-o", "json"]);
    assert_eq!(d["metadata"]["labels"]["tier"], "front");
    assert_eq!(d["metadata"]["labels"]["patched"], "json");
    assert_eq!(d["metadata"]["annotations"]["owner"], "team-a");
    let containers = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        containers.len(),
        1,
        "strategic merge kept one container by name"
    );
    assert_eq!(containers[0]["image"], "busybox:1.37");
    assert_eq!(
        containers[0]["volumeMounts"][0]["name"], "content",
        "strategic merge kept the other fields"
    );
    assert_eq!(d["spec"]["minReadySeconds"], 5);
    // Scale, label and annotate do not touch the spec's template; two template changes and the scale and minReadySeconds did.
    assert_eq!(d["metadata"]["generation"], 4);

    // Watch: the existing objects, then a new one as it arrives.
    let mut child = Command::new(bin)
        .args(["get", "configmaps", "-w"])
        .env("KUBECONFIG", &k.kubeconfig)
        .env("HOME", &k.dir.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("kubectl get -w: {e}"));
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take();
    std::thread::spawn(move || {
        for line in stdout
            .map(BufReader::new)
            .into_iter()
            .flat_map(|r| r.lines())
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let first: Vec<String> = (0..2)
        .filter_map(|_| rx.recv_timeout(Duration::from_secs(20)).ok())
        .collect();
    assert!(
        first.len() == 2 && first[0].starts_with("NAME") && first[1].starts_with("web-content "),
        "{first:?}"
    );
    k.ok(
        bin,
        &["create", "configmap", "watched", "--from-literal=a=b"],
        None,
    );
    let next = rx.recv_timeout(Duration::from_secs(20));
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        next.as_deref().is_ok_and(|l| l.starts_with("watched ")),
        "{next:?}"
    );

    let changed = std::fs::read_to_string(&web)
        .unwrap_or_default()
        .replace("replicas: 2", "replicas: 3");
    let out = k.ok(bin, &["replace", "-f", "-"], Some(&changed));
    assert!(out.starts_with("deployment.apps/web replaced\n"), "{out}");
    assert_eq!(
        k.ok(
            bin,
            &["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"],
            None
        ),
        "3"
    );

    let out = k.ok(bin, &["apply", "--server-side", "-f", &web], None);
    assert!(
        out.starts_with("deployment.apps/web serverside-applied\n"),
        "{out}"
    );
    let ssa = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-made\ndata:\n  k: v\n";
    assert_eq!(
        k.ok(bin, &["apply", "--server-side", "-f", "-"], Some(ssa)),
        "configmap/ssa-made serverside-applied\n"
    );

    k.ok(bin, &["create", "namespace", "scratch"], None);
    k.ok(bin, &["create", "-n", "scratch", "-f", &web], None);
    assert_eq!(
        k.ok(bin, &["get", "deploy", "-n", "scratch", "-o", "name"], None),
        "deployment.apps/web\n"
    );
    let out = k.ok(bin, &["delete", "-f", &web], None);
    assert_eq!(out, "deployment.apps \"web\" deleted\nservice \"web\" deleted\nconfigmap \"web-content\" deleted\n");
    let err = k.fails(bin, &["get", "deploy", "web"], None);
    assert!(err.contains("deployments.apps \"web\" not found"), "{err}");
    // Deleting a namespace empties it, then it goes: the namespace controller's work, run here as the
    // separate controller manager (this server runs without its own).
    let _controllers = k.controller_manager();
    k.ok(bin, &["delete", "namespace", "scratch"], None);
    let gone = eventually(20, || {
        let out = k.run(bin, &["get", "namespace", "scratch"], None);
        (!out.status.success()).then_some(())
    });
    assert!(
        gone.is_some(),
        "namespace scratch was not finalized:\n{}",
        k.log()
    );
    assert_eq!(
        k.get_json("/apis/apps/v1/namespaces/scratch/deployments/web")
            .0,
        404
    );
}

#[test]
fn kubectl_1_32_everyday_flow() {
    everyday_flow(&kubectl());
}

#[test]
fn kubectl_1_20_everyday_flow() {
    let Some(bin) = kubectl_120() else {
        panic!(
            "Debian's kubectl 1.20 is not unpacked: run `bash scripts/test-deps.sh` (or set KYB_KUBECTL_120)"
        );
    };
    everyday_flow(&bin);
}

/// kubectl 1.32 sends its typed-client writes (the `create` generators, `run`) as protobuf.
#[test]
fn kubectl_1_32_generators_send_protobuf() {
    let k = Kybd::start();
    let bin = kubectl();
    let runs: &[&[&str]] = &[
        &["create", "namespace", "team"],
        &[
            "create",
            "deployment",
            "web",
            "--image=nginx:1.27",
            "--replicas=2",
            "--port=80",
        ],
        &["create", "configmap", "cfg", "--from-literal=a=b"],
        &[
            "create",
            "secret",
            "generic",
            "s",
            "--from-literal=password=hunter2",
        ],
        &["create", "service", "nodeport", "np", "--tcp=80:8080"],
        &["create", "job", "once", "--image=busybox"],
        &[
            "create",
            "cronjob",
            "tick",
            "--image=busybox",
            "--schedule=*/5 * * * *",
        ],
        &["create", "serviceaccount", "robot"],
        &["create", "quota", "q", "--hard=pods=10"],
        &["create", "ingress", "ing", "--rule=a.example.com/=np:80"],
        &[
            "create",
            "poddisruptionbudget",
            "pdb",
            "--selector=app=web",
            "--min-available=1",
        ],
        &[
            "run",
            "solo",
            "--image=busybox",
            "--restart=Never",
            "--labels=app=solo",
        ],
    ];
    for args in runs {
        k.ok(&bin, args, None);
    }
    let d = json_of(&k, &bin, &["get", "deploy", "web", "-o", "json"]);
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"],
        80
    );
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "IfNotPresent"
    );
    let s = json_of(&k, &bin, &["get", "secret", "s", "-o", "json"]);
    assert_eq!(s["data"]["password"], "aHVudGVyMg==");
    let svc = json_of(&k, &bin, &["get", "svc", "np", "-o", "json"]);
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 8080);
    assert!(svc["spec"]["ports"][0]["nodePort"]
        .as_u64()
        .is_some_and(|p| (30000..=32767).contains(&p)));
    let job = json_of(&k, &bin, &["get", "job", "once", "-o", "json"]);
    let uid = job["metadata"]["uid"].clone();
    assert_eq!(
        job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
        uid
    );
    let pod = json_of(&k, &bin, &["get", "pod", "solo", "-o", "json"]);
    assert_eq!(
        (
            pod["spec"]["restartPolicy"].as_str(),
            pod["metadata"]["labels"]["app"].as_str()
        ),
        (Some("Never"), Some("solo"))
    );
    assert_eq!(
        k.ok(
            &bin,
            &["get", "ns", "team", "-o", "jsonpath={.status.phase}"],
            None
        ),
        "Active"
    );
}
