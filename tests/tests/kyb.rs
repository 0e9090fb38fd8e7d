//! Golden tests: `kyb` and the real kubectl against the same kybd, same objects; stdout and exit codes must match.

use std::path::PathBuf;

use kyb_e2e::{bin, kubectl, Kybd};

/// kubectl's human ages (`5s`, `3m2s`, `2d3h`).
fn is_age(token: &str) -> bool {
    let mut digits = false;
    let mut units = 0;
    for c in token.chars() {
        match c {
            '0'..='9' => digits = true,
            's' | 'm' | 'h' | 'd' | 'y' if digits => {
                digits = false;
                units += 1;
            }
            _ => return false,
        }
    }
    units > 0 && !digits
}

/// Ages are the only thing normalised: each becomes `<age>`, and then runs of spaces collapse, since an age's width moves the columns after it.
fn normalise(text: &str) -> String {
    text.lines()
        .map(|l| {
            l.split_whitespace()
                .map(|t| if is_age(t) { "<age>" } else { t })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

struct Pair {
    k: Kybd,
    kyb: PathBuf,
}

impl Pair {
    fn new() -> Pair {
        // No controllers: the two clients must see the same objects, not a rollout moving between runs.
        let k = Kybd::api_only();
        let web = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests/web.yaml");
        k.ok(
            &kubectl(),
            &["apply", "-f", web.to_str().unwrap_or_default()],
            None,
        );
        k.ok(&kubectl(), &["create", "namespace", "team"], None);
        k.ok(
            &kubectl(),
            &[
                "-n",
                "team",
                "create",
                "configmap",
                "settings",
                "--from-literal=mode=fast",
                "--from-literal=level=3",
            ],
            None,
        );
        k.ok(
            &kubectl(),
            &["label", "configmap", "web-content", "tier=front"],
            None,
        );
        k.ok(
            &kubectl(),
            &["create", "service", "nodeport", "edge", "--tcp=80:8080"],
            None,
        );
        k.ok(
            &kubectl(),
            &[
                "run",
                "solo",
                "--image=busybox:1.36",
                "--restart=Never",
                "--labels=app=solo",
            ],
            None,
        );
        Pair { k, kyb: bin("kyb") }
    }

    /// Runs both and compares exit status and stdout; `exact` compares byte for byte.
    fn same(&self, args: &[&str], exact: bool) {
        let want = self.k.run(&kubectl(), args, None);
        let got = self.k.run(&self.kyb, args, None);
        let (w, g) = (
            String::from_utf8_lossy(&want.stdout),
            String::from_utf8_lossy(&got.stdout),
        );
        assert_eq!(
            want.status.code(),
            got.status.code(),
            "exit codes differ for {args:?}\nkubectl stderr: {}\nkyb stderr: {}",
            String::from_utf8_lossy(&want.stderr),
            String::from_utf8_lossy(&got.stderr)
        );
        if exact {
            assert_eq!(
                w,
                g,
                "stdout differs for {args:?}\nkyb stderr: {}",
                String::from_utf8_lossy(&got.stderr)
            );
        } else {
            assert_eq!(
                normalise(&w),
                normalise(&g),
                "stdout differs for {args:?}\n--- kubectl\n{w}--- kyb\n{g}"
            );
        }
    }

    /// Compares stderr too (for errors, where kubectl's words are the interface).
    fn same_error(&self, args: &[&str]) {
        self.same(args, true);
        let want = self.k.run(&kubectl(), args, None);
        let got = self.k.run(&self.kyb, args, None);
        assert_eq!(
            String::from_utf8_lossy(&want.stderr),
            String::from_utf8_lossy(&got.stderr),
            "stderr differs for {args:?}"
        );
    }
}

#[test]
fn get_tables_match_kubectl() {
    let p = Pair::new();
    for args in [
        vec!["get", "deployments"],
        vec!["get", "deploy", "-o", "wide"],
        vec!["get", "pods"],
        vec!["get", "svc"],
        vec!["get", "services", "-o", "wide"],
        vec!["get", "cm", "-A"],
        vec!["get", "configmaps", "--all-namespaces", "--show-labels"],
        vec!["get", "cm", "-L", "tier"],
        vec!["get", "ns"],
        vec!["get", "namespace", "team", "default"],
        vec!["get", "deploy,svc"],
        vec!["get", "all"],
        vec!["get", "deployment/web", "svc/edge"],
        vec!["get", "cm", "--no-headers"],
        vec!["get", "cm", "--show-kind"],
        vec!["get", "pods", "-l", "app=solo"],
        vec!["get", "cm", "--field-selector", "metadata.name=web-content"],
        vec!["get", "svc", "--sort-by", ".metadata.name"],
        vec!["get", "deployments.apps"],
        vec!["get", "deployment.v1.apps", "web"],
        vec!["get", "pods", "-n", "team"],
    ] {
        p.same(&args, false);
    }
}

#[test]
fn get_formats_match_kubectl_exactly() {
    let p = Pair::new();
    for args in [
        vec!["get", "deploy", "web", "-o", "yaml"],
        vec!["get", "deploy", "web", "-o", "json"],
        vec!["get", "cm", "-o", "yaml"],
        vec!["get", "svc", "-o", "json"],
        vec!["get", "deploy", "web", "-o", "name"],
        vec!["get", "all", "-o", "name"],
        vec!["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"],
        vec!["get", "pods", "-o", "jsonpath={range .items[*]}{.metadata.name}{\"\\t\"}{.spec.restartPolicy}{\"\\n\"}{end}"],
        vec!["get", "cm", "-o", "jsonpath={.items[*].metadata.name}"],
        vec!["get", "deploy", "-o", "jsonpath-as-json={.items[*].spec.replicas}"],
        vec!["get", "svc", "-o", "custom-columns=NAME:.metadata.name,TYPE:.spec.type,PORTS:.spec.ports[*].port"],
        vec!["get", "cm", "-A", "-o", "custom-columns=NS:.metadata.namespace,NAME:.metadata.name,DATA:.data"],
        vec!["get", "deploy", "web", "-o", "jsonpath={.metadata.labels}"],
    ] {
        p.same(&args, true);
    }
}

#[test]
fn discovery_and_config_commands_match_kubectl() {
    let p = Pair::new();
    for args in [
        vec!["api-resources"],
        vec!["api-resources", "-o", "wide"],
        vec!["api-resources", "-o", "name"],
        vec!["api-resources", "--namespaced=false"],
        vec!["api-resources", "--api-group=apps"],
        vec!["api-versions"],
        vec!["config", "view"],
        vec!["config", "view", "--minify"],
        vec!["config", "view", "-o", "json"],
        vec!["config", "get-contexts"],
        vec!["config", "current-context"],
    ] {
        p.same(&args, true);
    }
}

#[test]
fn errors_match_kubectl() {
    let p = Pair::new();
    p.same_error(&["get", "pods", "nope"]);
    p.same_error(&["get", "widgets"]);
    p.same_error(&["get", "deploy", "web", "nope", "-o", "name"]);
    p.same_error(&["get", "pods", "nope", "--ignore-not-found"]);
    p.same_error(&["get", "cm", "-n", "empty-ns"]);
    p.same_error(&["get", "nodes"]);
    p.same_error(&["get", "deploy", "-o", "toml"]);
    p.same_error(&["delete", "pod", "nope"]);
    p.same_error(&["config", "use-context", "nope"]);
    let invalid = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers:\n  - name: c\n";
    let (want, got) = (
        p.k.run(&kubectl(), &["create", "-f", "-"], Some(invalid)),
        p.k.run(&p.kyb, &["create", "-f", "-"], Some(invalid)),
    );
    assert_eq!(
        (want.status.code(), String::from_utf8_lossy(&want.stderr)),
        (got.status.code(), String::from_utf8_lossy(&got.stderr))
    );
    // A server that is not there.
    let args = ["--server", "http://127.0.0.1:1", "get", "pods"];
    let want = p.k.run(&kubectl(), &args, None);
    let got = p.k.run(&p.kyb, &args, None);
    assert_eq!(want.status.code(), got.status.code());
    assert_eq!(String::from_utf8_lossy(&got.stderr).trim(), "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?");
}

#[test]
fn create_and_delete_match_kubectl() {
    let p = Pair::new();
    let dir = kyb_e2e::TempDir::new("kyb-create");
    for who in ["kubectl", "kyb"] {
        let file = dir.0.join(format!("{who}.yaml"));
        let text = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: made-by-{who}\ndata:\n  a: b\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d-{who}\nspec:\n  selector:\n    matchLabels: {{app: d}}\n  template:\n    metadata:\n      labels: {{app: d}}\n    spec:\n      containers:\n      - name: c\n        image: busybox:1.36\n");
        let _ = std::fs::write(&file, text);
    }
    let run = |who: &str, args: &[&str]| {
        let binary = if who == "kubectl" {
            kubectl()
        } else {
            p.kyb.clone()
        };
        let out = p.k.run(&binary, args, None);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).replace(who, "WHO"),
            String::from_utf8_lossy(&out.stderr).replace(who, "WHO"),
        )
    };
    let files: Vec<String> = ["kubectl", "kyb"]
        .iter()
        .map(|w| dir.0.join(format!("{w}.yaml")).display().to_string())
        .collect();
    assert_eq!(
        run("kubectl", &["create", "-f", &files[0]]),
        run("kyb", &["create", "-f", &files[1]])
    );
    // Creating again fails the same way.
    let (a, b) = (
        run("kubectl", &["create", "-f", &files[0]]),
        run("kyb", &["create", "-f", &files[1]]),
    );
    assert_eq!((a.0, a.1), (b.0, b.1));
    assert_eq!(
        a.2.replace(&files[0], "F")
            .replace(&files[0].replace("kubectl", "WHO"), "F"),
        b.2.replace(&files[1].replace("kyb", "WHO"), "F")
    );
    assert_eq!(
        run("kubectl", &["delete", "-f", &files[0]]),
        run("kyb", &["delete", "-f", &files[1]])
    );
    p.k.ok(
        &kubectl(),
        &["create", "configmap", "x1", "--from-literal=a=b"],
        None,
    );
    p.k.ok(
        &kubectl(),
        &["create", "configmap", "x2", "--from-literal=a=b"],
        None,
    );
    p.k.ok(&kubectl(), &["label", "cm", "x1", "x2", "batch=one"], None);
    let out = p.k.ok(&p.kyb, &["delete", "cm", "-l", "batch=one"], None);
    assert_eq!(out, "configmap \"x1\" deleted\nconfigmap \"x2\" deleted\n");
    assert_eq!(
        p.k.ok(&p.kyb, &["get", "cm", "-l", "batch", "-o", "name"], None),
        ""
    );
}

/// Client-side apply: the same outputs as kubectl through create, unchanged and configured, and the same objects after.
#[test]
fn apply_matches_kubectl() {
    let p = Pair::new();
    let dir = kyb_e2e::TempDir::new("kyb-apply");
    let manifest = |who: &str, image: &str, extra_env: bool| {
        let env = if extra_env {
            "\n        env:\n        - name: MODE\n          value: fast"
        } else {
            ""
        };
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{who}\n  labels: {{app: a}}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: a-{who}}}\n  template:\n    metadata:\n      labels: {{app: a-{who}}}\n    spec:\n      containers:\n      - name: main\n        image: {image}{env}\n      - name: side\n        image: busybox:1.36\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf-{who}\ndata:\n  a: \"1\"\n")
    };
    let step = |image: &str, env: bool| -> Vec<String> {
        ["kubectl", "kyb"]
            .iter()
            .map(|who| {
                let file = dir.0.join(format!("{who}.yaml"));
                let _ = std::fs::write(&file, manifest(who, image, env));
                let binary = if *who == "kubectl" {
                    kubectl()
                } else {
                    p.kyb.clone()
                };
                p.k.ok(
                    &binary,
                    &["apply", "-f", file.to_str().unwrap_or_default()],
                    None,
                )
                .replace(who, "WHO")
            })
            .collect()
    };
    for (image, env, want) in [
        (
            "nginx:1.25",
            false,
            "deployment.apps/app-WHO created\nconfigmap/conf-WHO created\n",
        ),
        (
            "nginx:1.25",
            false,
            "deployment.apps/app-WHO unchanged\nconfigmap/conf-WHO unchanged\n",
        ),
        (
            "nginx:1.27",
            true,
            "deployment.apps/app-WHO configured\nconfigmap/conf-WHO unchanged\n",
        ),
        (
            "nginx:1.27",
            false,
            "deployment.apps/app-WHO configured\nconfigmap/conf-WHO unchanged\n",
        ),
    ] {
        let outs = step(image, env);
        assert_eq!(outs[0], want, "kubectl");
        assert_eq!(outs[1], want, "kyb");
    }
    // A field the server changed (scale) is reset by the next apply when the file sets it, as with kubectl.
    for who in ["kubectl", "kyb"] {
        p.k.ok(
            &kubectl(),
            &["scale", "deploy", &format!("app-{who}"), "--replicas=5"],
            None,
        );
    }
    step("nginx:1.27", false);
    let spec = |who: &str| {
        let out = p.k.ok(
            &kubectl(),
            &["get", "deploy", &format!("app-{who}"), "-o", "json"],
            None,
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        let mark = format!("-{who}");
        (
            v["spec"].to_string().replace(&mark, "-WHO"),
            v["metadata"]["annotations"]
                .to_string()
                .replace(&mark, "-WHO"),
        )
    };
    assert_eq!(spec("kubectl"), spec("kyb"));
}

/// label, annotate and patch: each tool on its own ConfigMap, same outputs, exit codes, errors and results.
#[test]
fn metadata_and_patch_commands_match_kubectl() {
    let p = Pair::new();
    for who in ["kubectl", "kyb"] {
        p.k.ok(
            &kubectl(),
            &[
                "create",
                "configmap",
                &format!("c-{who}"),
                "--from-literal=a=b",
            ],
            None,
        );
    }
    let steps: &[&[&str]] = &[
        &["label", "cm", "c-WHO", "tier=front"],
        &["label", "cm", "c-WHO", "tier=back"],
        &["label", "cm", "c-WHO", "tier=back", "--overwrite"],
        &["label", "cm", "c-WHO", "tier=back", "--overwrite"],
        &["label", "cm", "c-WHO", "--list"],
        &["label", "cm", "c-WHO", "tier-", "gone-"],
        &["annotate", "cm", "c-WHO", "note=hello", "owner=team"],
        &["annotate", "cm", "c-WHO", "note-"],
        &["patch", "cm", "c-WHO", "-p", r#"{"data":{"k":"v"}}"#],
        &[
            "patch",
            "cm",
            "c-WHO",
            "--type=merge",
            "-p",
            "data:\n  m: merged",
        ],
        &[
            "patch",
            "cm",
            "c-WHO",
            "--type=json",
            "-p",
            r#"[{"op":"add","path":"/data/j","value":"1"}]"#,
        ],
        &[
            "patch",
            "cm",
            "c-WHO",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/data/nope"}]"#,
        ],
        &["patch", "cm", "c-WHO", "-p", "not-an-object"],
        &["patch", "cm", "missing-WHO", "-p", "{}"],
    ];
    for step in steps {
        let run = |who: &str| {
            let args: Vec<String> = step.iter().map(|a| a.replace("WHO", who)).collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let binary = if who == "kubectl" {
                kubectl()
            } else {
                p.kyb.clone()
            };
            let out = p.k.run(&binary, &args, None);
            let norm = |b: &[u8]| String::from_utf8_lossy(b).replace(&format!("-{who}"), "-WHO");
            (out.status.code(), norm(&out.stdout), norm(&out.stderr))
        };
        let (want, got) = (run("kubectl"), run("kyb"));
        assert_eq!(
            (want.0, &want.1),
            (got.0, &got.1),
            "{step:?}: kyb stderr {}",
            got.2
        );
        if want.0 != Some(0) {
            assert_eq!(want.2, got.2, "{step:?}: stderr");
        }
    }
    let object = |who: &str| {
        let v: serde_json::Value = serde_json::from_str(&p.k.ok(
            &kubectl(),
            &["get", "cm", &format!("c-{who}"), "-o", "json"],
            None,
        ))
        .unwrap_or_default();
        (
            v["data"].clone(),
            v["metadata"]["labels"].clone(),
            v["metadata"]["annotations"].clone(),
        )
    };
    assert_eq!(object("kubectl"), object("kyb"));
}

/// edit: the editor's change is patched in; a rejected change reopens with the reason, and saving it unchanged gives up.
#[test]
fn edit_round_trips_through_the_editor() {
    let p = Pair::new();
    let edit = |editor: &str| {
        let mut cmd = std::process::Command::new(&p.kyb);
        cmd.args(["edit", "deployment", "web"])
            .env("KUBECONFIG", &p.k.kubeconfig)
            .env("HOME", &p.k.dir.0)
            .env("KUBE_EDITOR", editor);
        cmd.output().unwrap_or_else(|e| panic!("kyb edit: {e}"))
    };
    let out = edit("sed -i 's/replicas: 2/replicas: 4/'");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "deployment.apps/web edited\n"
    );
    assert_eq!(
        p.k.ok(
            &kubectl(),
            &["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"],
            None
        ),
        "4"
    );
    let out = edit("true");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Edit cancelled, no changes made.\n"
    );
    // The server refuses a negative replica count; the reopened file (with the reason on top) is saved as is.
    let log = kyb_e2e::TempDir::new("edit-log");
    let seen = log.0.join("seen");
    let out = edit(&format!(
        "sh -c 'cp \"$0\" {}.$$; sed -i \"s/replicas: 4/replicas: -1/\" \"$0\"'",
        seen.display()
    ));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("Edit cancelled, no valid changes were saved."),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reopened: Vec<String> = std::fs::read_dir(&log.0)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(
        reopened
            .iter()
            .any(|t| t.contains("# deployments.apps \"web\" was not valid:")
                && t.contains("spec.replicas")),
        "{reopened:?}"
    );
    assert_eq!(
        p.k.ok(
            &kubectl(),
            &["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"],
            None
        ),
        "4"
    );
}

/// Editing kubeconfig files: the same messages, exit codes and resulting files as kubectl.
#[test]
fn kubeconfig_editing_matches_kubectl() {
    let p = Pair::new();
    let dir = kyb_e2e::TempDir::new("kubeconfigs");
    let steps: &[&[&str]] = &[
        &[
            "config",
            "set-cluster",
            "far",
            "--server=https://10.1.2.3:6443",
            "--insecure-skip-tls-verify=true",
        ],
        &["config", "set-credentials", "bob", "--token=abc"],
        &[
            "config",
            "set-context",
            "work",
            "--cluster=far",
            "--user=bob",
            "--namespace=team",
        ],
        &["config", "use-context", "work"],
        &["config", "current-context"],
        &["config", "get-contexts"],
        &["config", "set-context", "--current", "--namespace=other"],
        &["config", "rename-context", "work", "job"],
        &["config", "rename-context", "nope", "x"],
        &["config", "view"],
        &["config", "view", "--raw"],
        &["config", "delete-context", "job"],
        &["config", "delete-context", "job"],
        &["config", "delete-user", "bob"],
        &["config", "delete-cluster", "far"],
        &["config", "view"],
    ];
    let files: Vec<std::path::PathBuf> = ["kubectl", "kyb"]
        .iter()
        .map(|w| dir.0.join(format!("{w}.yaml")))
        .collect();
    for f in &files {
        let _ = std::fs::copy(&p.k.kubeconfig, f);
    }
    for step in steps {
        let run = |i: usize| {
            let binary = if i == 0 { kubectl() } else { p.kyb.clone() };
            let mut args: Vec<&str> = step.to_vec();
            let file = files[i].display().to_string();
            args.push("--kubeconfig");
            args.push(&file);
            let out = p.k.run(&binary, &args, None);
            let norm = |b: &[u8]| String::from_utf8_lossy(b).replace(&file, "FILE");
            (out.status.code(), norm(&out.stdout), norm(&out.stderr))
        };
        let (want, got) = (run(0), run(1));
        assert_eq!(want, got, "{step:?}");
    }
    assert_eq!(
        std::fs::read_to_string(&files[0]).ok(),
        std::fs::read_to_string(&files[1]).ok()
    );
    p.same(&["cluster-info"], true);
    let out = p.k.ok(&p.kyb, &["completion", "bash"], None);
    assert!(out.contains("_kyb()") && out.contains("complete"), "{out}");
}

/// diff: the same differences and exit codes as kubectl (temporary paths, times and new uids normalised).
#[test]
fn diff_matches_kubectl() {
    let p = Pair::new();
    let dir = kyb_e2e::TempDir::new("diff");
    let web = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests/web.yaml"),
    )
    .unwrap_or_default();
    let cases = [
        ("same.yaml", web.clone()),
        (
            "changed.yaml",
            web.replace("busybox:1.36", "busybox:1.37")
                .replace("replicas: 2", "replicas: 3"),
        ),
        (
            "new.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: brand-new\ndata:\n  a: b\n"
                .to_string(),
        ),
    ];
    let scrub = |s: &str| -> String {
        s.lines()
            .filter(|l| {
                !(l.starts_with("diff -u -N")
                    || l.starts_with("--- ")
                    || l.starts_with("+++ ")
                    || l.contains("uid: ")
                    || l.contains("creationTimestamp:"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (name, text) in cases {
        let file = dir.0.join(name);
        let _ = std::fs::write(&file, text);
        let f = file.display().to_string();
        let (want, got) = (
            p.k.run(&kubectl(), &["diff", "-f", &f], None),
            p.k.run(&p.kyb, &["diff", "-f", &f], None),
        );
        assert_eq!(
            want.status.code(),
            got.status.code(),
            "{name}: {}",
            String::from_utf8_lossy(&got.stderr)
        );
        assert_eq!(
            scrub(&String::from_utf8_lossy(&want.stdout)),
            scrub(&String::from_utf8_lossy(&got.stdout)),
            "{name}"
        );
    }
}

/// The create generators: dry-run output byte for byte, then real creates with the same messages.
#[test]
fn create_generators_match_kubectl() {
    let p = Pair::new();
    let gens: &[&[&str]] = &[
        &["create", "namespace", "gen-ns"],
        &[
            "create",
            "deployment",
            "gen-web",
            "--image=nginx:1.27",
            "--replicas=3",
            "--port=80",
        ],
        &[
            "create",
            "configmap",
            "gen-cm",
            "--from-literal=a=1",
            "--from-literal=b=two",
        ],
        &[
            "create",
            "secret",
            "generic",
            "gen-secret",
            "--from-literal=password=hunter2",
        ],
        &[
            "create",
            "secret",
            "docker-registry",
            "gen-reg",
            "--docker-username=u",
            "--docker-password=p",
            "--docker-server=registry.local",
        ],
        &["create", "service", "clusterip", "gen-svc", "--tcp=80:8080"],
        &["create", "service", "nodeport", "gen-np", "--tcp=443:8443"],
        &[
            "create",
            "service",
            "externalname",
            "gen-ext",
            "--external-name=example.com",
        ],
        &[
            "create",
            "job",
            "gen-job",
            "--image=busybox",
            "--",
            "echo",
            "hi",
        ],
        &[
            "create",
            "cronjob",
            "gen-cron",
            "--image=busybox",
            "--schedule=*/5 * * * *",
        ],
        &["create", "serviceaccount", "gen-sa"],
        &[
            "create",
            "ingress",
            "gen-ing",
            "--rule=a.example.com/*=gen-svc:80",
        ],
        &["create", "quota", "gen-quota", "--hard=pods=10,services=5"],
        &["create", "configmap", "bad", "--from-literal=novalue"],
        &["create", "service", "clusterip", "bad", "--tcp=x"],
        &[
            "run",
            "gen-run",
            "--image=busybox",
            "--labels=a=b,c=d",
            "--env=A=1",
            "--port=80",
            "--restart=Never",
            "--",
            "sleep",
            "10",
        ],
        &[
            "run",
            "gen-cmd",
            "--image=busybox",
            "--command",
            "--",
            "sh",
            "-c",
            "true",
        ],
        &[
            "expose",
            "deployment",
            "web",
            "--port=80",
            "--target-port=8080",
            "--name=gen-exp",
        ],
        &["expose", "svc/web", "--name=gen-exp2", "--type=NodePort"],
        &[
            "expose",
            "deploy",
            "web",
            "--name=gen-exp3",
            "--labels=a=b",
            "--session-affinity=ClientIP",
        ],
        &["expose", "configmap", "web-content"],
        &["expose", "deploy", "web", "--session-affinity=Sticky"],
        &["run", "bad", "--image=busybox", "--labels=nolabel"],
        &["run", "bad", "--image=busybox", "--restart=Sometimes"],
        &["run", "--image=busybox"],
    ];
    // Flags go before a trailing `-- command`.
    let with = |g: &[&'static str], extra: &[&'static str]| -> Vec<&'static str> {
        let at = g.iter().position(|a| *a == "--").unwrap_or(g.len());
        [&g[..at], extra, &g[at..]].concat()
    };
    for g in gens {
        p.same(&with(g, &["--dry-run=client", "-o", "json"]), true);
        p.same(&with(g, &["--dry-run=client", "-o", "yaml"]), true);
        p.same(&with(g, &["--dry-run=server", "-o", "name"]), true);
    }
    for g in gens {
        let run = |who: &str| {
            let args: Vec<String> = g
                .iter()
                .map(|a| {
                    // Names (given as arguments or as --name) differ per client, so both can create.
                    if a.starts_with("gen-") || a.starts_with("--name=gen-") {
                        format!("{a}-{who}")
                    } else {
                        a.to_string()
                    }
                })
                .collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let binary = if who == "kubectl" {
                kubectl()
            } else {
                p.kyb.clone()
            };
            let out = p.k.run(&binary, &args, None);
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).replace(&format!("-{who}"), ""),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        assert_eq!(run("kubectl"), run("kyb"), "{g:?}");
        // A second create fails, worded per generator as kubectl words it.
        let (kubectl_again, kyb_again) = (run("kubectl"), run("kyb"));
        let same_words = |(code, out, err): (Option<i32>, String, String), who: &str| {
            (code, out, err.replace(&format!("-{who}"), ""))
        };
        assert_eq!(
            same_words(kubectl_again, "kubectl"),
            same_words(kyb_again, "kyb"),
            "{g:?} twice"
        );
    }
    p.k.ok(
        &kubectl(),
        &[
            "create",
            "cronjob",
            "nightly",
            "--image=busybox",
            "--schedule=0 3 * * *",
        ],
        None,
    );
    let out = p.k.ok(
        &p.kyb,
        &["create", "job", "manual-run", "--from=cronjob/nightly"],
        None,
    );
    assert_eq!(out, "job.batch/manual-run created\n");
    let job: serde_json::Value = serde_json::from_str(&p.k.ok(
        &kubectl(),
        &["get", "job", "manual-run", "-o", "json"],
        None,
    ))
    .unwrap_or_default();
    assert_eq!(
        job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    assert_eq!(job["metadata"]["ownerReferences"][0]["name"], "nightly");
}

/// describe: the same text as kubectl (ages normalised), with related objects and events.
#[test]
fn describe_matches_kubectl() {
    let p = Pair::new();
    let event = "apiVersion: v1\nkind: Event\nmetadata:\n  name: web-scaled\ninvolvedObject:\n  apiVersion: apps/v1\n  kind: Deployment\n  name: web\n  namespace: default\n  uid: UID\nreason: ScalingReplicaSet\nmessage: Scaled up replica set web-1 to 2\ntype: Normal\nsource:\n  component: deployment-controller\ncount: 1\nfirstTimestamp: \"2026-01-01T00:00:00Z\"\nlastTimestamp: \"2026-01-01T00:00:00Z\"\n";
    let uid = p.k.ok(
        &kubectl(),
        &["get", "deploy", "web", "-o", "jsonpath={.metadata.uid}"],
        None,
    );
    p.k.ok(
        &kubectl(),
        &["create", "-f", "-"],
        Some(&event.replace("UID", &uid)),
    );
    p.k.ok(
        &kubectl(),
        &[
            "create",
            "secret",
            "generic",
            "creds",
            "--from-literal=user=admin",
            "--from-literal=password=hunter2",
        ],
        None,
    );
    let node = "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  labels:\n    kubernetes.io/hostname: n1\nspec:\n  podCIDR: 10.42.0.0/24\nstatus:\n  capacity: {cpu: \"4\", memory: 8Gi, pods: \"110\"}\n  allocatable: {cpu: \"4\", memory: 8Gi, pods: \"110\"}\n  addresses:\n  - {type: InternalIP, address: 10.0.0.5}\n  - {type: Hostname, address: n1}\n  conditions:\n  - {type: Ready, status: \"True\", reason: KubeletReady, message: kubelet is posting ready status, lastHeartbeatTime: \"2026-01-01T00:00:00Z\", lastTransitionTime: \"2026-01-01T00:00:00Z\"}\n  nodeInfo: {architecture: amd64, bootID: b, containerRuntimeVersion: docker://28.2.2, kernelVersion: 6.1.0, kubeProxyVersion: v1.32.0, kubeletVersion: v1.32.0, machineID: m, operatingSystem: linux, osImage: Debian GNU/Linux 12, systemUUID: s}\n";
    p.k.ok(&kubectl(), &["create", "-f", "-"], Some(node));
    let bound = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: on-n1\nspec:\n  nodeName: n1\n  containers:\n  - name: c\n    image: busybox:1.36\n    resources:\n      requests: {cpu: 250m, memory: 64Mi}\n      limits: {cpu: 500m, memory: 128Mi}\n";
    p.k.ok(&kubectl(), &["create", "-f", "-"], Some(bound));
    for args in [
        vec!["describe", "node", "n1"],
        vec!["describe", "pod", "on-n1"],
        vec!["describe", "deployment", "web"],
        vec!["describe", "svc", "web"],
        vec!["describe", "service/edge"],
        vec!["describe", "configmap", "web-content"],
        vec!["describe", "pod", "solo"],
        vec!["describe", "ns", "team"],
        vec!["describe", "deploy"],
        vec!["describe", "deploy", "we"],
        vec!["describe", "pod", "nope"],
    ] {
        p.same(&args, false);
    }
    // kubectl lists a secret's keys in Go's random map order: compare its lines as a set.
    let sorted_lines = |program: &std::path::Path| {
        let out = p.k.ok(program, &["describe", "secret", "creds"], None);
        let mut lines: Vec<String> = normalise(&out).lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted_lines(&kubectl()), sorted_lines(&p.kyb));
}

/// explain: the same text as kubectl from the server's OpenAPI v3 documents.
#[test]
fn explain_matches_kubectl() {
    let p = Pair::new();
    for args in [
        vec!["explain", "deployment"],
        vec!["explain", "pods"],
        vec!["explain", "cm"],
        vec!["explain", "deployment.spec.strategy"],
        vec!["explain", "deployment.spec.strategy", "--recursive"],
        vec!["explain", "deployment.spec.replicas"],
        vec!["explain", "pod.spec.containers.ports"],
        vec!["explain", "pod.metadata.labels"],
        vec!["explain", "svc.spec.ports.targetPort"],
        vec!["explain", "hpa", "--api-version=autoscaling/v1"],
        vec!["explain", "ingresses.networking.k8s.io"],
    ] {
        p.same(&args, true);
    }
    p.same_error(&["explain", "deployment.spec.nope"]);
    p.same_error(&["explain", "nope"]);
}

/// apply --prune, view-last-applied and set-last-applied, beside kubectl.
#[test]
fn apply_prune_and_last_applied_match_kubectl() {
    let p = Pair::new();
    let dir = kyb_e2e::TempDir::new("prune");
    let cms = |who: &str, names: &[&str]| -> String {
        names.iter().map(|n| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}-{who}\n  labels:\n    set: s-{who}\ndata:\n  k: v\n")).collect::<Vec<_>>().join("---\n")
    };
    let run = |who: &str, names: &[&str], extra: &[&str]| {
        let file = dir.0.join(format!("{who}.yaml"));
        let _ = std::fs::write(&file, cms(who, names));
        let binary = if who == "kubectl" {
            kubectl()
        } else {
            p.kyb.clone()
        };
        let selector = format!("set=s-{who}");
        let mut args = vec!["apply", "-f", file.to_str().unwrap_or_default()];
        args.extend_from_slice(extra);
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("SELECTOR", &selector))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = p.k.run(&binary, &args, None);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).replace(&format!("-{who}"), "-WHO"),
        )
    };
    assert_eq!(
        run("kubectl", &["a", "b", "c"], &[]),
        run("kyb", &["a", "b", "c"], &[])
    );
    assert_eq!(
        run("kubectl", &["a"], &["--prune", "-l", "SELECTOR"]),
        run("kyb", &["a"], &["--prune", "-l", "SELECTOR"])
    );
    assert_eq!(
        run("kubectl", &["a"], &["--prune"]),
        run("kyb", &["a"], &["--prune"])
    );
    p.same(&["apply", "view-last-applied", "deployment", "web"], true);
    p.same(
        &["apply", "view-last-applied", "deployment/web", "-o", "json"],
        true,
    );
    p.same_error(&["apply", "view-last-applied", "svc", "edge"]);
    let file = dir.0.join("set.yaml");
    let _ = std::fs::write(
        &file,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: edge\nspec:\n  ports:\n  - port: 81\n",
    );
    let f = file.display().to_string();
    p.same_error(&["apply", "set-last-applied", "-f", &f]);
    p.same(
        &["apply", "set-last-applied", "-f", &f, "--create-annotation"],
        true,
    );
    p.same(&["apply", "view-last-applied", "svc", "edge"], true);
}

/// get -w: the same lines as kubectl for the listing and for changes that follow.
#[test]
fn get_watch_matches_kubectl() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};
    let p = Pair::new();
    let watch = |binary: &std::path::Path| {
        let mut child = Command::new(binary)
            .args(["get", "configmaps", "-w"])
            .env("KUBECONFIG", &p.k.kubeconfig)
            .env("HOME", &p.k.dir.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let (sink, stdout) = (lines.clone(), child.stdout.take());
        std::thread::spawn(move || {
            for line in stdout
                .map(BufReader::new)
                .into_iter()
                .flat_map(|r| r.lines())
                .map_while(Result::ok)
            {
                if let Ok(mut l) = sink.lock() {
                    l.push(line);
                }
            }
        });
        (child, lines)
    };
    let count = |l: &Arc<Mutex<Vec<String>>>| l.lock().map(|v| v.len()).unwrap_or(0);
    let (mut a, la) = watch(&kubectl());
    let (mut b, lb) = watch(&p.kyb);
    // The listing: a header and the ConfigMap of the default namespace.
    assert!(
        kyb_e2e::eventually(30, || (count(&la) >= 2 && count(&lb) >= 2).then_some(())).is_some(),
        "watches did not start"
    );
    let want = count(&la) + 3;
    p.k.ok(
        &kubectl(),
        &["create", "configmap", "watched-one", "--from-literal=a=b"],
        None,
    );
    p.k.ok(
        &kubectl(),
        &["label", "configmap", "watched-one", "x=y"],
        None,
    );
    p.k.ok(&kubectl(), &["delete", "configmap", "watched-one"], None);
    let seen = kyb_e2e::eventually(30, || {
        (count(&la) >= want && count(&lb) >= want).then_some(())
    });
    let _ = (a.kill(), b.kill(), a.wait(), b.wait());
    let text = |l: &Arc<Mutex<Vec<String>>>| l.lock().map(|v| v.join("\n")).unwrap_or_default();
    assert!(
        seen.is_some(),
        "wanted {want} lines; kubectl:\n{}\nkyb:\n{}",
        text(&la),
        text(&lb)
    );
    assert_eq!(normalise(&text(&la)), normalise(&text(&lb)));
}
