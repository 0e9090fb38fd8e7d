//! The Docker runtime: `kybd agent --runtime docker` runs pods as real containers (a pause container per
//! pod holding its network), driven by kyb and the real kubectl, with a locally built busybox image.

use kyb_e2e::{bin, busybox_image, eventually, kubectl, Kybd};
use serde_json::Value;

/// A Deployment whose pods serve a page with their name, environment and working directory on :8080.
fn web(replicas: usize, image: &str) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: {image}
        imagePullPolicy: IfNotPresent
        workingDir: /www
        env:
        - name: GREETING
          value: hello
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        command: ["/bin/busybox", "sh", "-c"]
        args: ["echo \"$POD_NAME $GREETING $(/bin/busybox pwd)\" > index.html && exec /bin/busybox httpd -f -p 8080 -h ."]
"#
    )
}

/// A ConfigMap, a Secret, and a pod whose init container renders a page from them into an emptyDir.
fn site(image: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: ConfigMap
metadata: {{name: site}}
data: {{title: from a configmap}}
---
apiVersion: v1
kind: Secret
metadata: {{name: creds}}
data: {{token: czNjcmV0}}
---
apiVersion: v1
kind: Pod
metadata: {{name: site}}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {{name: work, emptyDir: {{}}}}
  - {{name: creds, secret: {{secretName: creds}}}}
  initContainers:
  - name: render
    image: {image}
    imagePullPolicy: IfNotPresent
    envFrom: [{{configMapRef: {{name: site}}}}]
    env: [{{name: TOKEN_FILE, value: /creds/token}}]
    command: ["/bin/busybox", "sh", "-c", "echo \"$title $(/bin/busybox cat $TOKEN_FILE)\" > /work/index.html"]
    volumeMounts: [{{name: work, mountPath: /work}}, {{name: creds, mountPath: /creds, readOnly: true}}]
  containers:
  - name: serve
    image: {image}
    imagePullPolicy: IfNotPresent
    env: [{{name: TITLE, valueFrom: {{configMapKeyRef: {{name: site, key: title}}}}}}]
    command: ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/work"]
    volumeMounts: [{{name: work, mountPath: /work}}]
"#
    )
}

/// The page the pod serves on :8080, once it runs.
fn page_of(k: &Kybd, pod: &str) -> Option<String> {
    eventually(60, || {
        let p = k.get(&["pod", pod]);
        let ip = p["status"]["podIP"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (p["status"]["phase"] == "Running" && !ip.is_empty())
            .then(|| http_get(&format!("http://{ip}:8080/")))
            .flatten()
    })
}

pub(crate) fn http_get(url: &str) -> Option<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(3)))
        .build()
        .into();
    agent
        .get(url)
        .call()
        .ok()?
        .into_body()
        .read_to_string()
        .ok()
}

/// The running, not-deleting pods of the app: (name, IP).
fn running(k: &Kybd, app: &str) -> Vec<(String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut pods: Vec<(String, String)> = k
        .running_pods(&format!("app={app}"))
        .iter()
        .map(|p| (text(&p["metadata"]["name"]), text(&p["status"]["podIP"])))
        .collect();
    pods.sort();
    pods
}

pub(crate) fn container_status(k: &Kybd, pod: &str) -> Value {
    k.get(&["pod", pod])["status"]["containerStatuses"][0].clone()
}

/// `kyb exec -it` in a tmux window: the container's terminal has the window's size, follows a resize, and
/// the session's exit code comes back once the shell exits.
fn tty_session(k: &Kybd, pod: &str) {
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux {args:?}: {e}"))
    };
    let session = format!("kyb-exec-{}", std::process::id());
    let done = k.dir.0.join("tty-exit");
    let command = format!(
        "KUBECONFIG={} {} exec -it {pod} -- /bin/busybox sh; echo $? > {}",
        k.kubeconfig.display(),
        bin("kyb").display(),
        done.display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);
    struct Kill(String);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = std::process::Command::new("tmux")
                .args(["kill-session", "-t", &self.0])
                .output();
        }
    }
    let _kill = Kill(session.clone());
    let screen = || {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", &session]).stdout).into_owned()
    };
    let saw = |what: &str| eventually(20, || screen().contains(what).then_some(())).is_some();
    assert!(saw("#"), "no prompt:\n{}", screen());
    tmux(&[
        "send-keys",
        "-t",
        &session,
        "/bin/busybox stty size",
        "Enter",
    ]);
    assert!(saw("30 100"), "{}", screen());
    tmux(&["resize-window", "-t", &session, "-x", "120", "-y", "40"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    tmux(&[
        "send-keys",
        "-t",
        &session,
        "/bin/busybox stty size",
        "Enter",
    ]);
    assert!(saw("40 120"), "{}", screen());
    tmux(&["send-keys", "-t", &session, "exit 6", "Enter"]);
    let code = eventually(20, || {
        std::fs::read_to_string(&done)
            .ok()
            .filter(|c| !c.is_empty())
    });
    assert_eq!(code.as_deref(), Some("6\n"));
}

/// Waits up to `secs` for the pod's first container status to satisfy `done`, and returns it.
pub(crate) fn status_when(k: &Kybd, pod: &str, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
    eventually(secs, || Some(container_status(k, pod)).filter(|s| done(s)))
        .unwrap_or_else(|| panic!("{pod}: {}", container_status(k, pod)))
}

#[test]
fn docker_pods_serve_restart_fail_and_survive_an_agent_restart() {
    let image = busybox_image();
    let k = Kybd::start();
    let mut node = k.docker_node();
    let (kc, kyb) = (kubectl(), bin("kyb"));
    let registered = eventually(30, || {
        let n = k.get(&["node", &node.name]);
        n["status"]["nodeInfo"]["containerRuntimeVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("docker://"))
            .then_some(n)
    });
    assert!(
        registered.is_some(),
        "the docker node never registered:\n{}",
        k.log()
    );

    // Three replicas reach Running and Ready, and each pod answers on its own IP with what it was given.
    k.ok(&kc, &["apply", "-f", "-"], Some(&web(3, image)));
    let out = k.ok(
        &kc,
        &["rollout", "status", "deploy/web", "--timeout=120s"],
        None,
    );
    assert!(out.ends_with("successfully rolled out\n"), "{out}");
    let pods = running(&k, "web");
    assert_eq!(pods.len(), 3, "{pods:?}");
    for (name, ip) in &pods {
        let page = eventually(20, || http_get(&format!("http://{ip}:8080/")));
        assert_eq!(
            page.as_deref(),
            Some(format!("{name} hello /www\n").as_str())
        );
        let s = container_status(&k, name);
        assert_eq!(
            (&s["ready"], &s["restartCount"]),
            (&Value::from(true), &Value::from(0))
        );
        assert!(s["containerID"]
            .as_str()
            .is_some_and(|id| id.starts_with("docker://")));
    }
    // A pause container and an app container per pod, no more.
    assert_eq!(node.containers(&["status=running"]).len(), 6);

    // Cluster DNS: from a pod, a Service's name gives its cluster IP, a headless one its pods, an
    // ExternalName its CNAME, as kube-dns answers them.
    let services = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web-headless}\nspec: {clusterIP: None, selector: {app: web}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: ext}\nspec: {type: ExternalName, externalName: web.default.svc.cluster.local}\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(services));
    let cluster_ip = k.get(&["svc", "web"])["spec"]["clusterIP"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let lookup = |name: &str| {
        let out = k.run(
            &kyb,
            &["exec", &pods[0].0, "--", "/bin/busybox", "nslookup", name],
            None,
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let answer = eventually(30, || {
        Some(lookup("web.default.svc.cluster.local")).filter(|a| a.contains(&cluster_ip))
    });
    assert!(
        answer.is_some(),
        "{}",
        lookup("web.default.svc.cluster.local")
    );
    let headless = eventually(30, || {
        Some(lookup("web-headless.default.svc.cluster.local"))
            .filter(|a| pods.iter().all(|(_, ip)| a.contains(ip.as_str())))
    });
    assert!(
        headless.is_some(),
        "{}",
        lookup("web-headless.default.svc.cluster.local")
    );
    let external = lookup("ext.default.svc.cluster.local");
    assert!(
        external.contains("canonical name = web.default.svc.cluster.local"),
        "{external}"
    );
    let resolv = k.ok(
        &kyb,
        &[
            "exec",
            &pods[0].0,
            "--",
            "/bin/busybox",
            "cat",
            "/etc/resolv.conf",
        ],
        None,
    );
    assert!(
        resolv.contains("search default.svc.cluster.local svc.cluster.local cluster.local"),
        "{resolv}"
    );
    assert!(resolv.contains("ndots:5"), "{resolv}");

    // Exec into a Docker container: the exit code, piped stdin, and a terminal driven in tmux whose
    // resize reaches the container; then kyb cp round-trips a folder with the image's busybox tar.
    let web0 = pods[0].0.clone();
    let out = k.run(
        &kyb,
        &[
            "exec",
            &web0,
            "--",
            "/bin/busybox",
            "sh",
            "-c",
            "echo in-docker; exit 4",
        ],
        None,
    );
    assert_eq!(
        (
            String::from_utf8_lossy(&out.stdout).as_ref(),
            out.status.code()
        ),
        ("in-docker\n", Some(4))
    );
    assert_eq!(
        k.ok(
            &kc,
            &["exec", "-i", &web0, "--", "/bin/busybox", "cat"],
            Some("piped\n")
        ),
        "piped\n"
    );
    tty_session(&k, &web0);
    // Attach reaches a container's own stdin (stdinOnce: it closes when the attach does).
    let echoer = format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: echoer}}\nspec:\n  restartPolicy: Never\n  containers:\n  - {{name: c, image: {image}, imagePullPolicy: IfNotPresent, stdin: true, stdinOnce: true, command: [/bin/busybox, sh, -c, 'while read l; do echo got $l; done']}}\n");
    k.ok(&kc, &["apply", "-f", "-"], Some(&echoer));
    status_when(&k, "echoer", 30, |s| s["state"]["running"].is_object());
    assert_eq!(
        k.ok(&kyb, &["attach", "-i", "echoer"], Some("hello\n")),
        "got hello\n"
    );
    k.ok(&kc, &["delete", "pod", "echoer", "--grace-period=1"], None);
    let work = kyb_e2e::TempDir::new("docker-cp");
    std::fs::create_dir_all(work.0.join("src/sub")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(work.0.join("src/sub/note.txt"), "from the host\n")
        .unwrap_or_else(|e| panic!("{e}"));
    k.ok(
        &kyb,
        &[
            "cp",
            &work.0.join("src").to_string_lossy(),
            &format!("{web0}:/tmp/up"),
        ],
        None,
    );
    let inside = k.ok(
        &kyb,
        &[
            "exec",
            &web0,
            "--",
            "/bin/busybox",
            "cat",
            "/tmp/up/sub/note.txt",
        ],
        None,
    );
    assert_eq!(inside, "from the host\n");
    k.ok(
        &kc,
        &[
            "cp",
            &format!("{web0}:/tmp/up"),
            &work.0.join("back").to_string_lossy(),
        ],
        None,
    );
    let back = std::fs::read_to_string(work.0.join("back/sub/note.txt")).unwrap_or_default();
    assert_eq!(back, "from the host\n");
    // Port-forward reaches the container's port on its own network.
    let (_pf, _pf_out, local) = crate::portforward::forward(&k, &[&web0, ":8080"]);
    let page = http_get(&format!("http://127.0.0.1:{local}/"));
    assert_eq!(page, Some(format!("{web0} hello /www\n")));

    // A crashing container is restarted with kube's back-off and shows CrashLoopBackOff.
    k.ok(
        &kyb,
        &[
            "run",
            "crash",
            &format!("--image={image}"),
            "--image-pull-policy=IfNotPresent",
            "--command",
            "--",
            "/bin/busybox",
            "false",
        ],
        None,
    );
    let crashed = status_when(&k, "crash", 40, |s| {
        s["state"]["waiting"]["reason"] == "CrashLoopBackOff"
            && s["restartCount"].as_i64() >= Some(1)
    });
    assert_eq!(crashed["lastState"]["terminated"]["exitCode"], 1);
    assert_eq!(crashed["lastState"]["terminated"]["reason"], "Error");
    let table = k.ok(&kc, &["get", "pod", "crash"], None);
    assert!(table.contains("CrashLoopBackOff"), "{table}");

    // restartPolicy Never: the exit code and phase as Kubernetes reports them.
    k.ok(
        &kyb,
        &[
            "run",
            "fail",
            &format!("--image={image}"),
            "--image-pull-policy=IfNotPresent",
            "--restart=Never",
            "--command",
            "--",
            "/bin/busybox",
            "sh",
            "-c",
            "echo bye > /dev/termination-log; exit 3",
        ],
        None,
    );
    let failed = eventually(30, || {
        let p = k.get(&["pod", "fail"]);
        (p["status"]["phase"] == "Failed").then_some(p)
    })
    .unwrap_or_else(|| panic!("fail never failed: {}", k.get(&["pod", "fail"])["status"]));
    let term = &failed["status"]["containerStatuses"][0]["state"]["terminated"];
    assert_eq!(
        (&term["exitCode"], &term["reason"], &term["message"]),
        (
            &Value::from(3),
            &Value::from("Error"),
            &Value::from("bye\n")
        )
    );
    // With FallbackToLogsOnError, a failure that wrote no message is told by the end of its log.
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&format!(
            r#"apiVersion: v1
kind: Pod
metadata: {{name: told}}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: {image}
    imagePullPolicy: IfNotPresent
    terminationMessagePolicy: FallbackToLogsOnError
    command: ["/bin/busybox", "sh", "-c", "echo oops; exit 2"]
"#
        )),
    );
    let told = status_when(&k, "told", 30, |s| s["state"]["terminated"].is_object());
    assert_eq!(told["state"]["terminated"]["message"], "oops\n", "{told}");
    // Its log, from Docker through the kubelet's server and the API server, to kyb and kubectl.
    assert_eq!(k.ok(&kyb, &["logs", "told"], None), "oops\n");
    assert_eq!(
        k.ok(&kc, &["logs", "told", "--timestamps"], None)
            .split_once(' ')
            .map(|(_, l)| l),
        Some("oops\n")
    );
    k.ok(&kc, &["delete", "pod", "told", "--grace-period=1"], None);

    // An image that is not there under pull policy Never is reported, not pulled.
    k.ok(
        &kyb,
        &[
            "run",
            "nope",
            "--image=kybernet-test/missing:1",
            "--image-pull-policy=Never",
        ],
        None,
    );
    let never = status_when(&k, "nope", 30, |s| {
        s["state"]["waiting"]["reason"] == "ErrImageNeverPull"
    });
    assert_eq!(
        never["state"]["waiting"]["message"],
        "Container image \"kybernet-test/missing:1\" is not present with pull policy of Never"
    );

    // An init container renders a page into an emptyDir from a ConfigMap (envFrom) and a Secret volume; the
    // app container serves it, with a ConfigMap key in its own environment.
    k.ok(&kc, &["apply", "-f", "-"], Some(&site(image)));
    let served = page_of(&k, "site");
    assert_eq!(
        served.as_deref(),
        Some("from a configmap s3cret\n"),
        "{}",
        k.get(&["pod", "site"])["status"]
    );
    let site_status = k.get(&["pod", "site"])["status"].clone();
    assert_eq!(
        site_status["initContainerStatuses"][0]["state"]["terminated"]["reason"],
        "Completed"
    );
    assert_eq!(site_status["initContainerStatuses"][0]["ready"], true);
    let initialized = site_status["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Initialized"))
        .cloned();
    assert_eq!(
        initialized.map(|c| c["status"].clone()),
        Some(Value::from("True"))
    );
    // The Secret behind one of its volumes deleted under it, the running pod runs on and says so.
    k.ok(&kc, &["delete", "secret", "creds"], None);
    // Longer than a steady pod's resync (5 s), so that the agent has looked again.
    std::thread::sleep(std::time::Duration::from_secs(7));
    let after = container_status(&k, "site");
    assert!(
        after["state"]["running"].is_object() && after["ready"] == true,
        "{after}"
    );

    // The downward API, as a volume and as environment; a projected volume joining a ConfigMap key and a
    // pod field in one folder.
    k.ok(&kc, &["apply", "-f", "-"], Some(&format!(r#"apiVersion: v1
kind: Pod
metadata: {{name: downward, labels: {{tier: web}}}}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: info
    downwardAPI:
      items:
      - {{path: labels, fieldRef: {{fieldPath: metadata.labels}}}}
      - {{path: mem, resourceFieldRef: {{containerName: web, resource: limits.memory, divisor: 1Mi}}}}
  - name: all
    projected:
      sources:
      - configMap: {{name: site, items: [{{key: title, path: cm/title}}]}}
      - downwardAPI: {{items: [{{path: name, fieldRef: {{fieldPath: metadata.name}}}}]}}
  containers:
  - name: web
    image: {image}
    imagePullPolicy: IfNotPresent
    resources: {{limits: {{cpu: 250m, memory: 64Mi}}}}
    env: [{{name: CPU, valueFrom: {{resourceFieldRef: {{resource: limits.cpu, divisor: 1m}}}}}}]
    volumeMounts: [{{name: info, mountPath: /etc/podinfo}}, {{name: all, mountPath: /etc/all}}]
    command: ["/bin/busybox", "sh", "-c", "cd /tmp && echo $CPU $(/bin/busybox cat /etc/podinfo/mem) $(/bin/busybox cat /etc/podinfo/labels) $(/bin/busybox cat /etc/all/cm/title) $(/bin/busybox cat /etc/all/name) > index.html && exec /bin/busybox httpd -f -p 8080 -h /tmp"]
"#)));
    let info = page_of(&k, "downward");
    assert_eq!(
        info.as_deref(),
        Some("250 64 tier=\"web\" from a configmap downward\n")
    );
    k.ok(
        &kc,
        &["delete", "pod", "downward", "--grace-period=1"],
        None,
    );

    // A reference to a ConfigMap that is not there keeps the container from starting, with kube's reason.
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&format!(
            r#"apiVersion: v1
kind: Pod
metadata: {{name: broken}}
spec:
  containers:
  - name: app
    image: {image}
    imagePullPolicy: IfNotPresent
    env: [{{name: X, valueFrom: {{configMapKeyRef: {{name: missing, key: x}}}}}}]
"#
        )),
    );
    let broken = status_when(&k, "broken", 30, |s| {
        s["state"]["waiting"]["reason"] == "CreateContainerConfigError"
    });
    assert_eq!(
        broken["state"]["waiting"]["message"],
        "configmap \"missing\" not found"
    );

    // A memory limit that is exceeded ends the container as OOMKilled.
    k.ok(&kc, &["apply", "-f", "-"], Some(&format!(r#"apiVersion: v1
kind: Pod
metadata: {{name: hog}}
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: {image}
    imagePullPolicy: IfNotPresent
    resources:
      limits: {{memory: 16Mi}}
    command: ["/bin/busybox", "sh", "-c", "a=$(/bin/busybox head -c 67108864 /dev/zero | /bin/busybox tr '\\0' x)"]
"#)));
    let oom = status_when(&k, "hog", 60, |s| s["state"]["terminated"].is_object());
    assert_eq!(oom["state"]["terminated"]["reason"], "OOMKilled", "{oom}");
    k.ok(
        &kc,
        &["delete", "pod", "site", "broken", "hog", "--grace-period=1"],
        None,
    );

    // Probes: readiness holds Ready back until the page exists; a failing liveness probe restarts.
    k.ok(&kc, &["apply", "-f", "-"], Some(&format!(r#"apiVersion: v1
kind: Pod
metadata: {{name: probed}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: {image}
    imagePullPolicy: IfNotPresent
    command: ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /www && /bin/busybox httpd -p 8080 -h /www && /bin/busybox sleep 4 && echo up > /www/ready && /bin/busybox touch /tmp/alive && /bin/busybox sleep 3 && /bin/busybox rm /tmp/alive && exec /bin/busybox sleep 3600"]
    readinessProbe:
      httpGet: {{path: /ready, port: 8080}}
      periodSeconds: 1
    livenessProbe:
      exec: {{command: ["/bin/busybox", "cat", "/tmp/alive"]}}
      initialDelaySeconds: 5
      periodSeconds: 1
      failureThreshold: 2
"#)));
    let unready = eventually(30, || {
        let s = container_status(&k, "probed");
        (s["state"]["running"].is_object() && s["ready"] == false).then_some(())
    });
    assert!(
        unready.is_some(),
        "readiness did not hold the container back: {}",
        container_status(&k, "probed")
    );
    let ready = eventually(30, || {
        (container_status(&k, "probed")["ready"] == true).then_some(())
    });
    assert!(ready.is_some(), "{}", container_status(&k, "probed"));
    let restarted = eventually(60, || {
        (container_status(&k, "probed")["restartCount"].as_i64() >= Some(1)).then_some(())
    });
    assert!(
        restarted.is_some(),
        "liveness never restarted it: {}",
        container_status(&k, "probed")
    );
    let events = k.ok(
        &kyb,
        &[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=probed",
        ],
        None,
    );
    assert!(events.contains("Liveness probe failed:"), "{events}");
    assert!(
        events.contains("Container web failed liveness probe, will be restarted"),
        "{events}"
    );
    k.ok(&kc, &["delete", "pod", "probed", "--grace-period=1"], None);

    // A host port reaches the pod from the host's loopback; the user comes from the securityContext; a
    // read-only root filesystem refuses writes.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("a free port: {e}"));
    k.ok(&kc, &["apply", "-f", "-"], Some(&format!(r#"apiVersion: v1
kind: Pod
metadata: {{name: secured}}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {{runAsUser: 1000}}
  containers:
  - name: web
    image: {image}
    imagePullPolicy: IfNotPresent
    securityContext: {{runAsGroup: 2000}}
    ports: [{{containerPort: 8080, hostPort: {port}, hostIP: 127.0.0.1}}]
    command: ["/bin/busybox", "sh", "-c", "cd /tmp && echo $(/bin/busybox id -u):$(/bin/busybox id -g) > index.html && exec /bin/busybox httpd -f -p 8080 -h /tmp"]
---
apiVersion: v1
kind: Pod
metadata: {{name: readonly}}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: {image}
    imagePullPolicy: IfNotPresent
    securityContext: {{readOnlyRootFilesystem: true}}
    command: ["/bin/busybox", "touch", "/x"]
"#)));
    let page = eventually(60, || http_get(&format!("http://127.0.0.1:{port}/")));
    assert_eq!(page.as_deref(), Some("1000:2000\n"));
    let refused = status_when(&k, "readonly", 30, |s| s["state"]["terminated"].is_object());
    assert_eq!(refused["state"]["terminated"]["exitCode"], 1, "{refused}");
    k.ok(
        &kc,
        &["delete", "pod", "secured", "readonly", "--grace-period=1"],
        None,
    );

    // A claim gets a volume from the local-path provisioner, and its data outlives the pod that wrote it.
    let once = |name: &str, script: &str| {
        format!(
            r#"apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  restartPolicy: Never
  volumes: [{{name: data, persistentVolumeClaim: {{claimName: data}}}}]
  containers:
  - name: app
    image: {image}
    imagePullPolicy: IfNotPresent
    command: ["/bin/busybox", "sh", "-c", "{script}"]
    volumeMounts: [{{name: data, mountPath: /data}}]
"#
        )
    };
    let claim = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(claim));
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&once("writer", "echo kept > /data/f")),
    );
    let phase = |pod: &str| {
        k.get(&["pod", pod])["status"]["phase"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        eventually(60, || (phase("writer") == "Succeeded").then_some(())).is_some(),
        "{}",
        k.get(&["pod", "writer"])["status"]
    );
    let bound = k.get(&["pvc", "data"]);
    assert_eq!(bound["status"]["phase"], "Bound", "{bound}");
    assert_eq!(bound["spec"]["storageClassName"], "local-path");
    k.ok(&kc, &["delete", "pod", "writer"], None);
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&once("reader", "test $(/bin/busybox cat /data/f) = kept")),
    );
    assert!(
        eventually(60, || (phase("reader") == "Succeeded").then_some(())).is_some(),
        "{}",
        k.get(&["pod", "reader"])["status"]
    );
    // The claim gone, its volume goes too.
    let volume = bound["spec"]["volumeName"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    k.ok(&kc, &["delete", "pod", "reader"], None);
    k.ok(&kc, &["delete", "pvc", "data"], None);
    let released = eventually(30, || {
        (!k.run(&kyb, &["get", "pv", &volume], None).status.success()).then_some(())
    });
    assert!(released.is_some(), "{volume} outlived its claim");

    // Lifecycle hooks: postStart runs after the start, preStop before the stop, both seen on the host.
    let host = kyb_e2e::TempDir::new("hooks");
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&format!(
            r#"apiVersion: v1
kind: Pod
metadata: {{name: hooks}}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{{name: host, hostPath: {{path: "{dir}"}}}}]
  containers:
  - name: app
    image: {image}
    imagePullPolicy: IfNotPresent
    command: ["/bin/busybox", "sleep", "3600"]
    volumeMounts: [{{name: host, mountPath: /host}}]
    lifecycle:
      postStart: {{exec: {{command: ["/bin/busybox", "sh", "-c", "echo started > /host/post"]}}}}
      preStop: {{exec: {{command: ["/bin/busybox", "sh", "-c", "echo stopping > /host/pre"]}}}}
"#,
            dir = host.0.display()
        )),
    );
    let post = eventually(30, || std::fs::read_to_string(host.0.join("post")).ok());
    assert_eq!(post.as_deref(), Some("started\n"));
    assert!(!host.0.join("pre").exists());
    k.ok(&kc, &["delete", "pod", "hooks"], None);
    assert_eq!(
        std::fs::read_to_string(host.0.join("pre")).ok().as_deref(),
        Some("stopping\n")
    );

    // A deleted pod's containers go, and its ReplicaSet replaces it.
    let (victim, _) = pods[0].clone();
    let uid = k.get(&["pod", &victim])["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    k.ok(&kc, &["delete", "pod", &victim], None);
    let label = format!("label=io.kybernet.pod-uid={uid}");
    assert!(
        node.containers(&[&label]).is_empty(),
        "{victim}'s containers outlived it"
    );
    let replaced = eventually(60, || {
        let now = running(&k, "web");
        (now.len() == 3 && !now.iter().any(|(n, _)| *n == victim)).then_some(now)
    });
    assert!(replaced.is_some(), "{:?}", running(&k, "web"));

    // Finished pods keep their exited containers but not their sandboxes; deleting them removes the rest.
    let fail_uid = failed["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let fail_label = format!("label=io.kybernet.pod-uid={fail_uid}");
    let stopped = eventually(20, || {
        let all = node.containers(&[&fail_label]).len();
        let up = node.containers(&[&fail_label, "status=running"]).len();
        (all == 2 && up == 0).then_some(())
    });
    assert!(stopped.is_some(), "fail's sandbox still runs");
    k.ok(
        &kc,
        &["delete", "pod", "crash", "fail", "nope", "--grace-period=1"],
        None,
    );
    assert!(node.containers(&[&fail_label]).is_empty());

    // A killed agent, started again, adopts the running containers: no duplicates, no losses.
    // Meanwhile a container of this node that belongs to no pod appears; the restarted agent removes it.
    let before = node.containers(&["status=running"]);
    node.kill_agent();
    let stray = std::process::Command::new("docker")
        .args([
            "run",
            "-d",
            "--label",
            &format!("io.kybernet.node={}", node.name),
            "--label",
            "io.kybernet.pod-uid=gone",
            "kybernet/pause:1",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(stray, "could not start the stray container");
    k.restart_docker_agent(&mut node);
    let settled = eventually(30, || {
        (node.containers(&[]).len() == before.len()).then_some(())
    });
    assert!(settled.is_some(), "the stray container stayed");
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(node.containers(&["status=running"]), before);
    for (name, ip) in running(&k, "web") {
        assert_eq!(
            http_get(&format!("http://{ip}:8080/")),
            Some(format!("{name} hello /www\n"))
        );
    }
}
