//! `kyb` against recorded responses of a real Kubernetes API server (written from the Kubernetes API
//! reference: legacy discovery only, JSON with struct field order, items without apiVersion/kind), to show
//! that kyb depends on nothing specific to kybd.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use kyb_e2e::{bin, TempDir};

const API: &str = r#"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.1:6443"}]}"#;
const APIS: &str = r#"{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}}]}"#;
const CORE: &str = r#"{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["po"],"categories":["all"],"storageVersionHash":"xPOwRZ+Yhw8="},{"name":"pods/log","singularName":"","namespaced":true,"kind":"Pod","verbs":["get"]}]}"#;
const APPS: &str = r#"{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"apps/v1","resources":[{"name":"deployments","singularName":"deployment","namespaced":true,"kind":"Deployment","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["deploy"],"categories":["all"]}]}"#;
const PODS_TABLE: &str = r#"{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"5821"},"columnDefinitions":[{"name":"Name","type":"string","format":"name","description":"Name must be unique within a namespace.","priority":0},{"name":"Ready","type":"string","format":"","description":"The aggregate readiness state of this pod for accepting traffic.","priority":0},{"name":"Status","type":"string","format":"","description":"The aggregate status of the containers in this pod.","priority":0},{"name":"Restarts","type":"string","format":"","description":"The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.","priority":0},{"name":"Age","type":"string","format":"","description":"CreationTimestamp is a timestamp representing the server time when this object was created.","priority":0},{"name":"IP","type":"string","format":"","description":"podIP is an IP address allocated to the pod.","priority":1},{"name":"Node","type":"string","format":"","description":"nodeName indicates in which node this pod is scheduled.","priority":1},{"name":"Nominated Node","type":"string","format":"","description":"nominatedNodeName is set only when this pod preempts other pods on the node.","priority":1},{"name":"Readiness Gates","type":"string","format":"","description":"If specified, all readiness gates will be evaluated for pod readiness.","priority":1}],"rows":[{"cells":["nginx-7c79c4bf97-8qlnm","1/1","Running","0","4d2h","10.244.0.12","kind-control-plane","\u003cnone\u003e","\u003cnone\u003e"],"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"nginx-7c79c4bf97-8qlnm","namespace":"default","uid":"5a3c6a4e-2d1f-4b8e-9c1a-0f6e7d8c9b0a","resourceVersion":"1203","creationTimestamp":"2026-11-17T21:00:00Z","labels":{"app":"nginx","pod-template-hash":"7c79c4bf97"}}}},{"cells":["redis-0","0/1","CrashLoopBackOff","12 (2m14s ago)","1d","10.244.0.15","kind-control-plane","\u003cnone\u003e","\u003cnone\u003e"],"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"redis-0","namespace":"default","uid":"0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e","resourceVersion":"5800","creationTimestamp":"2026-11-20T21:00:00Z","labels":{"app":"redis"}}}}]}"#;
const PODS_LIST: &str = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"5821"},"items":[{"metadata":{"name":"nginx-7c79c4bf97-8qlnm","namespace":"default","uid":"5a3c6a4e-2d1f-4b8e-9c1a-0f6e7d8c9b0a","resourceVersion":"1203","creationTimestamp":"2026-11-17T21:00:00Z","labels":{"app":"nginx","pod-template-hash":"7c79c4bf97"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}],"nodeName":"kind-control-plane"},"status":{"phase":"Running","podIP":"10.244.0.12"}}]}"#;
const NOT_FOUND: &str = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"pods"},"code":404}"#;

/// Serves the recordings on a loopback port until dropped; answers 406 to aggregated-discovery-only requests never (it ignores Accept, as an old server does).
struct Recorded {
    url: String,
    stop: Arc<AtomicBool>,
}

impl Recorded {
    fn start() -> Recorded {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let url = format!(
            "http://{}",
            listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default()
        );
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut conn) = conn else { continue };
                let mut reader =
                    BufReader::new(conn.try_clone().unwrap_or_else(|e| panic!("clone: {e}")));
                loop {
                    let mut request = String::new();
                    if reader.read_line(&mut request).unwrap_or(0) == 0 {
                        break;
                    }
                    let mut accept_table = false;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                        if h.to_ascii_lowercase().starts_with("accept:") && h.contains("as=Table") {
                            accept_table = true;
                        }
                    }
                    let path = request
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_string();
                    let (code, body) = match path.split('?').next().unwrap_or_default() {
                        "/api" => (200, API),
                        "/apis" => (200, APIS),
                        "/api/v1" => (200, CORE),
                        "/apis/apps/v1" => (200, APPS),
                        "/api/v1/namespaces/default/pods" if accept_table => (200, PODS_TABLE),
                        "/api/v1/namespaces/default/pods" => (200, PODS_LIST),
                        _ => (404, NOT_FOUND),
                    };
                    let reason = if code == 200 { "OK" } else { "Not Found" };
                    let resp = format!("HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                    if conn.write_all(resp.as_bytes()).is_err() {
                        break;
                    }
                }
            }
        });
        Recorded { url, stop }
    }
}

impl Drop for Recorded {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn kyb(server: &Recorded, home: &TempDir, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(bin("kyb"))
        .args(["--server", &server.url])
        .args(args)
        .env("HOME", &home.0)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap_or_else(|e| panic!("kyb: {e}"));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn kyb_reads_a_real_servers_answers() {
    let server = Recorded::start();
    let home = TempDir::new("recorded");
    let (code, out, err) = kyb(&server, &home, &["get", "pods"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        out,
        "NAME                     READY   STATUS             RESTARTS         AGE\nnginx-7c79c4bf97-8qlnm   1/1     Running            0                4d2h\nredis-0                  0/1     CrashLoopBackOff   12 (2m14s ago)   1d\n"
    );
    let (_, out, _) = kyb(
        &server,
        &home,
        &["get", "po", "-o", "wide", "--show-labels"],
    );
    assert!(out.starts_with("NAME                     READY   STATUS             RESTARTS         AGE    IP            NODE                 NOMINATED NODE   READINESS GATES   LABELS\n"), "{out}");
    assert!(
        out.contains("app=nginx,pod-template-hash=7c79c4bf97\n"),
        "{out}"
    );
    // List items come without apiVersion and kind from a real server; kyb fills them in, as kubectl does.
    let (_, out, _) = kyb(&server, &home, &["get", "pods", "-o", "name"]);
    assert_eq!(out, "pod/nginx-7c79c4bf97-8qlnm\n");
    let (_, out, _) = kyb(
        &server,
        &home,
        &[
            "get",
            "pods",
            "-o",
            "jsonpath={.items[0].kind} {.items[0].spec.containers[0].image}",
        ],
    );
    assert_eq!(out, "Pod nginx:1.27");
    let (code, _, err) = kyb(&server, &home, &["get", "pod", "nope"]);
    assert_eq!(
        (code, err.as_str()),
        (
            Some(1),
            "Error from server (NotFound): pods \"nope\" not found\n"
        )
    );
    let (code, _, err) = kyb(&server, &home, &["get", "widgets"]);
    assert_eq!(
        (code, err.as_str()),
        (
            Some(1),
            "error: the server doesn't have a resource type \"widgets\"\n"
        )
    );
    let (_, out, _) = kyb(&server, &home, &["api-resources", "--no-headers"]);
    assert_eq!(out, "pods          po       v1        true   Pod\ndeployments   deploy   apps/v1   true   Deployment\n");
}
