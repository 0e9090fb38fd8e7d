//! `pods/portforward` over websockets, through the API server to the kubelet, to a pod on the process
//! runtime: kyb port-forward (pod, service and deployment forms, named ports, a free local port, parallel
//! connections, the pod going away), the Python client, and the real kubectl 1.32 (SPDY in a websocket)
//! and 1.27 (SPDY).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use kyb_e2e::{bin, free_port, kubectl, python, scripts_dir, Kybd, TempDir};

use crate::docker::{http_get, status_when};

/// The answers to 20 GETs of `url` made at once.
fn twenty(url: &str) -> Vec<Option<String>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..20).map(|_| s.spawn(|| http_get(url))).collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    })
}

/// A running `kyb port-forward`, killed when dropped.
pub(crate) struct Forward(Child);

impl Drop for Forward {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `kyb port-forward ARGS` and returns it with the local port of its first `Forwarding from` line.
pub(crate) fn forward(
    k: &Kybd,
    args: &[&str],
) -> (Forward, BufReader<std::process::ChildStdout>, u16) {
    forward_with(&bin("kyb"), k, args)
}

/// The same with another client (kubectl).
fn forward_with(
    client: &std::path::Path,
    k: &Kybd,
    args: &[&str],
) -> (Forward, BufReader<std::process::ChildStdout>, u16) {
    let mut child = Command::new(client)
        .arg("port-forward")
        .args(args)
        .env("KUBECONFIG", &k.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("kyb port-forward: {e}"));
    let mut out = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("no stdout")));
    let mut line = String::new();
    let _ = out.read_line(&mut line);
    let port = line
        .strip_prefix("Forwarding from 127.0.0.1:")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    (Forward(child), out, port)
}

#[test]
fn port_forward_reaches_pods_for_kyb_and_python() {
    let k = Kybd::start();
    let _node = k.process_node();
    let (kc, kyb) = (kubectl(), bin("kyb"));
    let www = TempDir::new("www");
    std::fs::write(www.0.join("index.html"), "hello through the tunnel\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let manifest = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      terminationGracePeriodSeconds: 1\n      containers:\n      - name: c\n        image: none\n        command: [busybox, httpd, -f, -p, '127.0.0.1:{port}', -h, '{}']\n        ports: [{{name: http, containerPort: {port}}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  selector: {{app: web}}\n  ports: [{{name: web, port: 80, targetPort: http}}]\n",
        www.0.display()
    );
    k.ok(&kc, &["apply", "-f", "-"], Some(&manifest));
    k.ok(
        &kc,
        &["rollout", "status", "deploy/web", "--timeout=60s"],
        None,
    );
    let pods = k.running_pods("app=web");
    let pod = pods[0]["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    status_when(&k, &pod, 30, |s| s["ready"] == true);

    // A pod's named port on a free local port; 20 connections at once all get the page.
    let (_pf, mut out, local) = forward(&k, &[&format!("pod/{pod}"), ":http"]);
    let url = format!("http://127.0.0.1:{local}/");
    let pages = twenty(&url);
    assert!(
        pages
            .iter()
            .all(|p| p.as_deref() == Some("hello through the tunnel\n")),
        "{pages:?}"
    );
    let mut line = String::new();
    let _ = out.read_line(&mut line);
    assert!(
        line.starts_with("Forwarding from [::1]:")
            || line == format!("Handling connection for {local}\n"),
        "{line}"
    );

    // A service port maps to its pods' target port; a deployment forwards to one of its pods.
    let (_svc, _svc_out, svc_local) = forward(&k, &["svc/web", ":80"]);
    assert_eq!(
        http_get(&format!("http://127.0.0.1:{svc_local}/")).as_deref(),
        Some("hello through the tunnel\n")
    );
    let chosen = free_port();
    let (_deploy, _deploy_out, deploy_local) = forward(
        &k,
        &[
            "deploy/web",
            &format!("{chosen}:{port}"),
            "--address",
            "127.0.0.1",
        ],
    );
    assert_eq!(deploy_local, chosen);
    assert_eq!(
        http_get(&format!("http://127.0.0.1:{chosen}/")).as_deref(),
        Some("hello through the tunnel\n")
    );

    let script = scripts_dir().join("portforward.py");
    let py = k.ok(
        &python(),
        &[script.to_str().unwrap_or_default(), &pod, &port.to_string()],
        None,
    );
    assert_eq!(py.trim(), "HTTP/1.1 200 OK 'hello through the tunnel\\n'");

    // The real kubectl: 1.32 tunnels SPDY through a websocket, 1.27 upgrades to SPDY itself.
    let old = std::path::PathBuf::from("/usr/lib/google-cloud-sdk/bin/kubectl.1.27");
    let mut clients = vec![kc.clone()];
    if old.exists() {
        clients.push(old);
    }
    for client in &clients {
        let (_kubectl, _kubectl_out, local) =
            forward_with(client, &k, &[&pod, &format!(":{port}")]);
        let url = format!("http://127.0.0.1:{local}/");
        let pages = twenty(&url);
        assert!(
            pages
                .iter()
                .all(|p| p.as_deref() == Some("hello through the tunnel\n")),
            "{}: {pages:?}",
            client.display()
        );
    }

    // Bad input gets kubectl's words.
    let err = k.fails(&kyb, &["port-forward", &pod, ":grpc"], None);
    assert_eq!(
        err,
        format!("error: Pod '{pod}' does not have a named port 'grpc'\n")
    );
    let err = k.fails(&kyb, &["port-forward", "svc/web", ":81"], None);
    assert_eq!(err, "error: Service web does not have a service port 81\n");
    let err = k.fails(&kyb, &["port-forward", &pod], None);
    assert_eq!(
        err,
        "error: TYPE/NAME and list of ports are required for port-forward\n"
    );

    // The pod goes away: the forward says so and ends.
    let (mut gone, _, _) = forward(&k, &[&format!("pod/{pod}"), ":http"]);
    k.ok(&kc, &["delete", "pod", &pod, "--grace-period=1"], None);
    let status = kyb_e2e::eventually(20, || gone.0.try_wait().ok().flatten());
    assert_eq!(status.and_then(|s| s.code()), Some(1));
    let mut err = String::new();
    if let Some(mut e) = gone.0.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    assert_eq!(err, "error: lost connection to pod\n");

    k.ok(&kc, &["delete", "deploy/web"], None);
    k.ok(&kc, &["delete", "pod", "--all", "--grace-period=1"], None);
}
