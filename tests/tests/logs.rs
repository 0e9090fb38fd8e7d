//! Pod logs through the API server's `pods/log`, proxied to the kubelet's streaming server, from pods on
//! the process runtime: `kyb logs` with its flags and forms, the real kubectl, and the Python client.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use kyb_e2e::{bin, eventually, kubectl, python, scripts_dir, Kybd, TempDir};

use crate::docker::status_when;

fn pod(name: &str, labels: &str, policy: &str, containers: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {{{labels}}}}}\nspec:\n  restartPolicy: {policy}\n  terminationGracePeriodSeconds: 1\n  containers:\n{containers}")
}

fn container(name: &str, script: &str) -> String {
    format!("  - name: {name}\n    image: none\n    command: [\"sh\", \"-c\", {script:?}]\n")
}

#[test]
fn logs_stream_from_the_kubelet_to_kyb_kubectl_and_python() {
    let k = Kybd::start();
    let _node = k.process_node();
    let (kc, kyb) = (kubectl(), bin("kyb"));
    let work = TempDir::new("logs");
    let go = work.0.join("go");

    // A pod that writes three lines and, a moment later (stdout and stderr are separate pipes, so their
    // order is only kept across a pause), one on stderr, then sleeps.
    let talk = container(
        "c",
        "echo line 1; echo line 2; echo line 3; sleep 0.5; echo err >&2; exec sleep 600",
    );
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&pod("talk", "app: talk", "Always", &talk)),
    );
    let whole = eventually(30, || {
        let out = k.run(&kyb, &["logs", "talk"], None);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (text.lines().count() == 4).then_some(text)
    })
    .unwrap_or_else(|| panic!("no logs:\n{}", k.log()));
    assert_eq!(whole, "line 1\nline 2\nline 3\nerr\n");
    assert_eq!(k.ok(&kc, &["logs", "talk"], None), whole);
    assert_eq!(k.ok(&kyb, &["logs", "pod/talk", "--tail=1"], None), "err\n");
    assert_eq!(
        k.ok(&kyb, &["logs", "talk", "--limit-bytes=8"], None),
        "line 1\nl"
    );
    assert_eq!(k.ok(&kyb, &["logs", "talk", "--since=1h"], None), whole);
    assert_eq!(
        k.ok(
            &kyb,
            &["logs", "talk", "--since-time=2999-01-01T00:00:00Z"],
            None
        ),
        ""
    );
    let stamped = k.ok(&kyb, &["logs", "talk", "--timestamps", "--tail=1"], None);
    let (stamp, line) = stamped.split_once(' ').unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(stamp).is_ok(),
        "{stamped}"
    );
    assert_eq!(line, "err\n");
    let script = scripts_dir().join("logs.py");
    let py = k.ok(
        &python(),
        &[script.to_str().unwrap_or_default(), "talk"],
        None,
    );
    assert_eq!(
        py.trim(),
        "'line 1\\nline 2\\nline 3\\nerr\\n' 'err\\n' 'line 1\\nline 2\\nline 3\\nerr\\n'"
    );

    // -f sees a line as soon as it is written, and ends when the container does.
    let waiter = format!(
        "echo start; while [ ! -f {} ]; do sleep 0.1; done; echo after",
        go.display()
    );
    let follow = container("c", &waiter);
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&pod("follow", "app: follow", "Never", &follow)),
    );
    status_when(&k, "follow", 30, |s| s["state"]["running"].is_object());
    let mut child = Command::new(&kyb)
        .args(["logs", "-f", "follow"])
        .env("KUBECONFIG", &k.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("kyb logs -f: {e}"));
    let mut lines =
        BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("no stdout"))).lines();
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("start"));
    std::fs::write(&go, b"").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("after"));
    assert!(
        lines.next().is_none(),
        "the stream went on after the container ended"
    );
    assert!(child.wait().is_ok_and(|s| s.success()));

    // --previous shows the crashed instance's output.
    let crash = container("c", "echo attempt $(date +%s%N); exit 1");
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&pod("crash", "app: crash", "Always", &crash)),
    );
    status_when(&k, "crash", 40, |s| s["restartCount"].as_i64() >= Some(1));
    let previous = k.ok(&kyb, &["logs", "crash", "--previous"], None);
    assert!(previous.starts_with("attempt "), "{previous}");
    assert_eq!(k.ok(&kc, &["logs", "crash", "-p"], None), previous);

    // Several containers: the default one, one by name, every one; several pods by selector with prefixes;
    // a workload through one of its pods.
    let two = [
        container("a", "echo from a; exec sleep 600"),
        container("b", "echo from b; exec sleep 600"),
    ]
    .concat();
    for name in ["duo-1", "duo-2"] {
        k.ok(
            &kc,
            &["apply", "-f", "-"],
            Some(&pod(name, "app: duo", "Always", &two)),
        );
    }
    for name in ["duo-1", "duo-2"] {
        status_when(&k, name, 30, |s| s["state"]["running"].is_object());
    }
    let out = k.run(&kyb, &["logs", "duo-1"], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from a\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Defaulted container \"a\" out of: a, b\n"
    );
    assert_eq!(k.ok(&kyb, &["logs", "duo-1", "b"], None), "from b\n");
    assert_eq!(k.ok(&kyb, &["logs", "duo-1", "-c", "b"], None), "from b\n");
    assert_eq!(
        k.ok(&kyb, &["logs", "duo-1", "--all-containers"], None),
        "from a\nfrom b\n"
    );
    let mut prefixed: Vec<String> = k
        .ok(
            &kyb,
            &["logs", "-l", "app=duo", "--all-containers", "--prefix"],
            None,
        )
        .lines()
        .map(String::from)
        .collect();
    prefixed.sort();
    assert_eq!(
        prefixed,
        [
            "[pod/duo-1/a] from a",
            "[pod/duo-1/b] from b",
            "[pod/duo-2/a] from a",
            "[pod/duo-2/b] from b"
        ]
    );
    let kubectl_prefixed = k.ok(&kc, &["logs", "-l", "app=duo", "-c", "b", "--prefix"], None);
    let mut kubectl_lines: Vec<&str> = kubectl_prefixed.lines().collect();
    kubectl_lines.sort();
    assert_eq!(
        kubectl_lines,
        ["[pod/duo-1/b] from b", "[pod/duo-2/b] from b"]
    );
    let rs = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: duo}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: duo}}\n  template:\n    metadata: {labels: {app: duo}}\n    spec:\n      containers: [{name: a, image: none, command: [sleep, '600']}]\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(rs));
    let out = k.run(&kyb, &["logs", "rs/duo", "-c", "b"], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from b\n");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("Found 2 pods, using pod/duo-"));

    // Bad input gets kubectl's words.
    let err = k.fails(&kyb, &["logs", "talk", "-c", "nope"], None);
    assert_eq!(err, "error: container nope is not valid for pod talk\n");
    let err = k.fails(&kyb, &["logs", "absent"], None);
    assert_eq!(
        err,
        "Error from server (NotFound): pods \"absent\" not found\n"
    );
    let err = k.fails(&kyb, &["logs", "talk", "--previous"], None);
    assert_eq!(err, "Error from server (BadRequest): previous terminated container \"c\" in pod \"talk\" not found\n");
    let err = k.fails(&kyb, &["logs", "talk", "--tail=-5"], None);
    assert_eq!(err, "error: --tail must be greater than or equal to -1\n");
    let err = k.fails(
        &kyb,
        &[
            "logs",
            "-f",
            "-l",
            "app=duo",
            "--all-containers",
            "--max-log-requests=3",
        ],
        None,
    );
    assert_eq!(err, "error: you are attempting to follow 4 log streams, but maximum allowed concurrency is 3, use --max-log-requests to increase the limit\n");
    let err = k.fails(&kyb, &["logs"], None);
    assert!(
        err.starts_with("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'."),
        "{err}"
    );
    let (code, status) =
        k.get_json("/api/v1/namespaces/default/pods/talk/log?tailLines=-1&sinceSeconds=0");
    assert_eq!(code, 422);
    assert_eq!(status["message"], "PodLogOptions \"talk\" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, sinceSeconds: Invalid value: 0: must be greater than 0]");
    let (code, status) = k.get_json("/api/v1/namespaces/default/pods/duo-1/log");
    assert_eq!(code, 400);
    assert_eq!(
        status["message"],
        "a container name must be specified for pod duo-1, choose one of: [a b]"
    );

    k.ok(&kc, &["delete", "rs", "duo"], None);
    k.ok(&kc, &["delete", "pod", "--all", "--grace-period=1"], None);
}
