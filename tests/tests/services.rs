//! Services. The Endpoints and EndpointSlice controllers on `kybd server` with simulated nodes: a Service's
//! endpoints follow its pods (named target ports, readiness, publishNotReadyAddresses, scaling), headless
//! services, selector-less services whose Endpoints are written by hand, and cleanup with the Service; seen
//! through the real kubectl and kyb. The service proxy: node ports and load balancer ports on a process
//! node, and cluster IPs (iptables mode) from pods on a Docker node.

use std::collections::BTreeSet;

use kyb_e2e::{bin, busybox_image, converge, free_port, kubectl, Kybd};
use serde_json::Value;

/// The IPs in an Endpoints' subsets under `field` (addresses or notReadyAddresses), sorted.
fn ips(ep: &Value, field: &str) -> Vec<String> {
    let mut out: Vec<String> = ep["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s[field].as_array().into_iter().flatten())
        .filter_map(|a| a["ip"].as_str().map(String::from))
        .collect();
    out.sort();
    out
}

fn pod_ips(k: &Kybd, selector: &str) -> Vec<String> {
    let mut out: Vec<String> = k
        .running_pods(selector)
        .iter()
        .filter_map(|p| p["status"]["podIP"].as_str().map(String::from))
        .collect();
    out.sort();
    out
}

#[test]
fn endpoints_and_slices_follow_the_pods_services_select() {
    let k = Kybd::start();
    let _agent = k.simulated_nodes(2, "n-", &[]);
    let (kc, kyb) = (kubectl(), bin("kyb"));
    let web = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, image: busybox:1.36, ports: [{name: http, containerPort: 8080}]}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, labels: {tier: front}}\nspec:\n  selector: {app: web}\n  ports: [{name: web, port: 80, targetPort: http}]\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(web));
    converge(30, "three ready pods", &3, || pod_ips(&k, "app=web").len());
    let want = pod_ips(&k, "app=web");
    converge(30, "the endpoints", &want, || {
        ips(&k.get(&["endpoints", "web"]), "addresses")
    });
    let ep = k.get(&["endpoints", "web"]);
    assert_eq!(
        ep["subsets"][0]["ports"],
        serde_json::json!([{"name": "web", "port": 8080, "protocol": "TCP"}])
    );
    assert_eq!(ep["metadata"]["labels"]["tier"], "front");
    assert_eq!(ep["subsets"][0]["addresses"][0]["targetRef"]["kind"], "Pod");
    // The table, from kyb and kubectl alike.
    let table = k.ok(&kc, &["get", "endpoints", "web"], None);
    assert_eq!(
        k.ok(&kyb, &["get", "endpoints", "web"], None)
            .lines()
            .next(),
        table.lines().next()
    );
    assert!(table.contains(&format!("{}:8080", want[0])), "{table}");

    // One slice, owned by the Service, with the endpoints and their conditions.
    let slices = k.get(&["endpointslices", "-l", "kubernetes.io/service-name=web"]);
    let items = slices["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{slices}");
    let slice = &items[0];
    assert_eq!(slice["metadata"]["ownerReferences"][0]["kind"], "Service");
    assert_eq!(
        slice["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
    assert_eq!(
        slice["ports"],
        serde_json::json!([{"name": "web", "port": 8080, "protocol": "TCP"}])
    );
    assert_eq!(slice["endpoints"].as_array().map(Vec::len), Some(3));
    assert_eq!(slice["endpoints"][0]["conditions"]["ready"], true);

    // kubectl describe reads the slices (an unnamed port's empty name included) and agrees with kyb's.
    let unnamed = "apiVersion: v1\nkind: Service\nmetadata: {name: plain}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(unnamed));
    converge(30, "plain's slice", &3, || {
        k.get(&["endpointslices", "-l", "kubernetes.io/service-name=plain"])["items"][0]
            ["endpoints"]
            .as_array()
            .map_or(0, Vec::len)
    });
    for svc in ["web", "plain"] {
        let described = k.ok(&kc, &["describe", "svc", svc], None);
        assert!(
            described.contains(&format!("{}:8080", want[0])),
            "{described}"
        );
        assert_eq!(k.ok(&kyb, &["describe", "svc", svc], None), described);
    }

    // Scaling changes the endpoints.
    k.ok(&kc, &["scale", "deploy/web", "--replicas=5"], None);
    converge(30, "five endpoints", &5, || {
        ips(&k.get(&["endpoints", "web"]), "addresses").len()
    });

    // A pod that is not ready moves to notReadyAddresses, or stays ready-listed under publishNotReadyAddresses.
    let pod = k.running_pods("app=web")[0]["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let unready = r#"{"status": {"conditions": [{"type": "Ready", "status": "False"}]}}"#;
    k.ok(
        &kc,
        &[
            "patch",
            "pod",
            &pod,
            "--subresource=status",
            "--type=merge",
            "-p",
            unready,
        ],
        None,
    );
    converge(30, "one not-ready address", &1, || {
        ips(&k.get(&["endpoints", "web"]), "notReadyAddresses").len()
    });
    let slice_ready = || -> usize {
        k.get(&["endpointslices", "-l", "kubernetes.io/service-name=web"])["items"][0]["endpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["conditions"]["ready"] == true)
            .count()
    };
    converge(30, "four ready slice endpoints", &4, slice_ready);
    k.ok(
        &kc,
        &[
            "patch",
            "svc",
            "web",
            "--type=merge",
            "-p",
            r#"{"spec": {"publishNotReadyAddresses": true}}"#,
        ],
        None,
    );
    converge(30, "all five published", &5, || {
        ips(&k.get(&["endpoints", "web"]), "addresses").len()
    });

    // A headless service with no ports lists addresses alone, labelled headless.
    let headless = "apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {clusterIP: None, selector: {app: web}}\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(headless));
    converge(30, "headless addresses", &5, || {
        let ep = k.get(&["endpoints", "db"]);
        ips(&ep, "addresses").len() + ips(&ep, "notReadyAddresses").len()
    });
    let ep = k.get(&["endpoints", "db"]);
    assert_eq!(
        ep["metadata"]["labels"]["service.kubernetes.io/headless"],
        ""
    );
    assert!(ep["subsets"][0].get("ports").is_none(), "{ep}");

    // A service without a selector keeps the Endpoints written by hand.
    let external = "apiVersion: v1\nkind: Service\nmetadata: {name: external}\nspec: {ports: [{port: 5432}]}\n---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: external}\nsubsets: [{addresses: [{ip: 192.0.2.10}], ports: [{port: 15432}]}]\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(external));
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(
        ips(&k.get(&["endpoints", "external"]), "addresses"),
        ["192.0.2.10"]
    );
    // A PUT makes Endpoints that do not exist yet (kube allows create on update for them), not ConfigMaps.
    let selectorless = "apiVersion: v1\nkind: Service\nmetadata: {name: made-by-put}\nspec: {ports: [{port: 80}]}\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(selectorless));
    let made = "apiVersion: v1\nkind: Endpoints\nmetadata: {name: made-by-put}\nsubsets: [{addresses: [{ip: 192.0.2.11}], ports: [{port: 80}]}]\n";
    assert_eq!(
        k.ok(&kc, &["replace", "-f", "-"], Some(made)),
        "endpoints/made-by-put replaced\n"
    );
    assert_eq!(
        ips(&k.get(&["endpoints", "made-by-put"]), "addresses"),
        ["192.0.2.11"]
    );
    let out = k.run(
        &kc,
        &["replace", "-f", "-"],
        Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nope}\n"),
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error from server (NotFound): error when replacing \"STDIN\": configmaps \"nope\" not found\n"
    );

    // Endpoints naming no address that traffic may go to are refused, in kube-apiserver's words.
    let bad = "apiVersion: v1\nkind: Endpoints\nmetadata: {name: external}\nsubsets: [{addresses: [{ip: 169.254.1.1}], ports: [{port: 15432}]}]\n";
    let out = k.run(&kc, &["apply", "-f", "-"], Some(bad));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("The Endpoints \"external\" is invalid: subsets[0].addresses[0].ip: Invalid value: \"169.254.1.1\": may not be in the link-local range (169.254.0.0/16, fe80::/10)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A LoadBalancer service is given the ready nodes' addresses, as k3s's ServiceLB gives them.
    k.ok(
        &kc,
        &["create", "service", "loadbalancer", "lb", "--tcp=80"],
        None,
    );
    let mut nodes: Vec<String> = k.get(&["nodes"])["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| {
            n["status"]["addresses"]
                .as_array()?
                .iter()
                .find(|a| a["type"] == "InternalIP")?["address"]
                .as_str()
                .map(String::from)
        })
        .collect();
    nodes.sort();
    let ingress = || -> Vec<String> {
        k.get(&["svc", "lb"])["status"]["loadBalancer"]["ingress"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["ip"].as_str().map(String::from))
            .collect()
    };
    converge(30, "the load balancer's addresses", &nodes, ingress);
    let table = k.ok(&kc, &["get", "svc", "lb"], None);
    assert!(table.contains(&nodes.join(",")), "{table}");
    // (As in Kubernetes, the node port and the traffic policy must go with the type.)
    k.ok(
        &kc,
        &[
            "patch",
            "svc",
            "lb",
            "--type=merge",
            "-p",
            r#"{"spec": {"type": "ClusterIP", "externalTrafficPolicy": null, "ports": [{"name": "80", "port": 80, "targetPort": 80, "protocol": "TCP"}]}}"#,
        ],
        None,
    );
    converge(
        30,
        "no addresses once not a load balancer",
        &Vec::<String>::new(),
        ingress,
    );

    // The Service gone, its Endpoints and slices go too.
    k.ok(&kc, &["delete", "svc", "web"], None);
    converge(30, "endpoints gone", &false, || {
        k.run(&kc, &["get", "endpoints", "web"], None)
            .status
            .success()
    });
    converge(30, "slices gone", &0, || {
        k.get(&["endpointslices", "-l", "kubernetes.io/service-name=web"])["items"]
            .as_array()
            .map_or(0, Vec::len)
    });
}

#[test]
fn cluster_ips_and_node_ports_come_from_the_flags() {
    let k = Kybd::start_with(&[
        "--service-cidr",
        "10.96.0.0/24",
        "--service-node-port-range",
        "31000-31010",
    ]);
    let kc = kubectl();
    assert_eq!(
        k.get(&["svc", "kubernetes"])["spec"]["clusterIP"],
        "10.96.0.1"
    );
    let ip = |name: &str| {
        k.get(&["svc", name])["spec"]["clusterIP"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    // A requested address is honoured (asked for first, so that no random one took it already); a taken
    // or foreign one is refused with kube's words.
    k.ok(
        &kc,
        &[
            "create",
            "service",
            "clusterip",
            "fixed",
            "--tcp=80",
            "--clusterip=10.96.0.50",
        ],
        None,
    );
    assert_eq!(ip("fixed"), "10.96.0.50");
    // One allocated after the requested one never takes its address.
    k.ok(
        &kc,
        &["create", "service", "clusterip", "any", "--tcp=80"],
        None,
    );
    assert!(ip("any").starts_with("10.96.0."), "{}", ip("any"));
    let err = k.fails(
        &kc,
        &[
            "create",
            "service",
            "clusterip",
            "again",
            "--tcp=80",
            "--clusterip=10.96.0.50",
        ],
        None,
    );
    assert!(
        err.contains("failed to allocate IP 10.96.0.50: provided IP is already allocated"),
        "{err}"
    );
    let err = k.fails(
        &kc,
        &[
            "create",
            "service",
            "clusterip",
            "foreign",
            "--tcp=80",
            "--clusterip=10.43.0.9",
        ],
        None,
    );
    assert!(
        err.contains("The range of valid IPs is 10.96.0.0/24"),
        "{err}"
    );
    // Node ports likewise (the fixed one first, so that the free one cannot take it).
    k.ok(
        &kc,
        &[
            "create",
            "service",
            "nodeport",
            "np-fixed",
            "--tcp=80",
            "--node-port=31005",
        ],
        None,
    );
    k.ok(
        &kc,
        &["create", "service", "nodeport", "np", "--tcp=80"],
        None,
    );
    let port = k.get(&["svc", "np"])["spec"]["ports"][0]["nodePort"]
        .as_u64()
        .unwrap_or(0);
    assert!((31000..=31010).contains(&port) && port != 31005, "{port}");
    let err = k.fails(
        &kc,
        &[
            "create",
            "service",
            "nodeport",
            "np-again",
            "--tcp=80",
            "--node-port=31005",
        ],
        None,
    );
    assert!(err.contains("provided port is already allocated"), "{err}");
    let err = k.fails(
        &kc,
        &[
            "create",
            "service",
            "nodeport",
            "np-out",
            "--tcp=80",
            "--node-port=30000",
        ],
        None,
    );
    assert!(
        err.contains("The range of valid ports is 31000-31010"),
        "{err}"
    );
    // A range that is not one is refused at start.
    let out = std::process::Command::new(bin("kybd"))
        .args([
            "server",
            "--listen",
            "127.0.0.1:0",
            "--disable-agent",
            "--service-cidr",
            "bogus",
            "--data-dir",
        ])
        .arg(k.dir.0.join("other"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid --service-cidr \"bogus\""));
}

#[test]
fn node_ports_and_load_balancers_spread_over_ready_endpoints() {
    let k = Kybd::start_with(&["--service-node-port-range", "1024-65535"]);
    let _node = k.process_node();
    let kc = kubectl();
    let work = kyb_e2e::TempDir::new("spread");
    let flag = work.0.join("ready-2");
    std::fs::write(&flag, "").unwrap_or_else(|e| panic!("{e}"));
    // Three pods on the one host, each serving its name on a port of its own, all named `http`.
    for i in 0..3 {
        let dir = work.0.join(format!("www-{i}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("index.html"), format!("pod-{i}\n"))
            .unwrap_or_else(|e| panic!("{e}"));
        let port = free_port();
        let pod = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: spread-{i}, labels: {{app: spread}}}}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: c\n    image: none\n    command: [busybox, httpd, -f, -p, '127.0.0.1:{port}', -h, '{}']\n    ports: [{{name: http, containerPort: {port}}}]\n    readinessProbe:\n      exec: {{command: [test, -e, '{}']}}\n      periodSeconds: 1\n",
            dir.display(),
            if i == 2 { flag.display().to_string() } else { "/".into() }
        );
        k.ok(&kc, &["apply", "-f", "-"], Some(&pod));
    }
    let (node_port, lb_port, sticky_port) = (free_port(), free_port(), free_port());
    let services = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: spread}}\nspec:\n  type: NodePort\n  selector: {{app: spread}}\n  ports: [{{name: web, port: 80, targetPort: http, nodePort: {node_port}}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: spread-lb}}\nspec:\n  type: LoadBalancer\n  selector: {{app: spread}}\n  ports: [{{name: web, port: {lb_port}, targetPort: http}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: sticky}}\nspec:\n  type: NodePort\n  sessionAffinity: ClientIP\n  selector: {{app: spread}}\n  ports: [{{name: web, port: 80, targetPort: http, nodePort: {sticky_port}}}]\n"
    );
    k.ok(&kc, &["apply", "-f", "-"], Some(&services));
    converge(60, "three ready endpoints", &3, || {
        ips(&k.get(&["endpoints", "spread"]), "addresses").len()
    });
    let seen = |port: u16, times: usize| -> std::collections::BTreeSet<String> {
        (0..times)
            .filter_map(|_| crate::docker::http_get(&format!("http://127.0.0.1:{port}/")))
            .collect()
    };
    let all: std::collections::BTreeSet<String> = ["pod-0\n", "pod-1\n", "pod-2\n"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // The node port spreads requests over every ready endpoint; so does the load balancer's port.
    converge(30, "all three behind the node port", &all, || {
        seen(node_port, 12)
    });
    converge(30, "all three behind the load balancer", &all, || {
        seen(lb_port, 12)
    });
    // ClientIP affinity keeps one client on one endpoint.
    converge(30, "one endpoint for one client", &1, || {
        seen(sticky_port, 10).len()
    });
    // A pod that stops being ready gets no more requests.
    std::fs::remove_file(&flag).unwrap_or_else(|e| panic!("{e}"));
    let two: std::collections::BTreeSet<String> = ["pod-0\n", "pod-1\n"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    converge(30, "only the ready two", &two, || seen(node_port, 12));

    // A selector-less Service whose Endpoints name a server outside the cluster, on the loopback.
    let (outside, outside_node_port) = (serve_outside("127.0.0.1"), free_port());
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&outside_service(
            "127.0.0.1",
            outside,
            Some(outside_node_port),
        )),
    );
    let want: std::collections::BTreeSet<String> = ["outside\n".to_string()].into();
    converge(30, "the server outside the cluster", &want, || {
        seen(outside_node_port, 2)
    });
    k.ok(&kc, &["delete", "pod", "--all", "--grace-period=1"], None);
}

/// An HTTP server outside the cluster, on `address`, answering every request with "outside"; its port.
fn serve_outside(address: &str) -> u16 {
    let listener = std::net::TcpListener::bind((address, 0))
        .unwrap_or_else(|e| panic!("binding on {address}: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(
                b"HTTP/1.0 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\noutside\n",
            );
        }
    });
    port
}

/// A selector-less Service named `outside`, its Endpoints written by hand to `ip:port`.
fn outside_service(ip: &str, port: u16, node_port: Option<u16>) -> String {
    let ty = match node_port {
        Some(n) => format!("type: NodePort, ports: [{{port: 80, nodePort: {n}}}]"),
        None => "ports: [{port: 80}]".to_string(),
    };
    format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: outside}}\nspec: {{{ty}}}\n---\napiVersion: v1\nkind: Endpoints\nmetadata: {{name: outside}}\nsubsets: [{{addresses: [{{ip: {ip}}}], ports: [{{port: {port}}}]}}]\n"
    )
}

/// A DNS server of the test's own on the loopback, standing for the host's resolver: every A question is
/// answered with 192.0.2.55, any other with no records. Its port.
fn fake_upstream() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = socket.local_addr().map(|a| a.port()).unwrap_or_default();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            let q = &buf[..n];
            // The question's name: labels from byte 12 to a zero byte; then its type and class.
            let mut i = 12;
            while i < n && q[i] != 0 {
                i += 1 + q[i] as usize;
            }
            if i + 5 > n {
                continue;
            }
            let a = u16::from_be_bytes([q[i + 1], q[i + 2]]) == 1;
            let mut reply = q[..i + 5].to_vec();
            reply[2..12].copy_from_slice(&[0x81, 0x80, 0, 1, 0, u8::from(a), 0, 0, 0, 0]);
            if a {
                reply.extend([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 55]);
            }
            let _ = socket.send_to(&reply, peer);
        }
    });
    port
}

/// The value `f` gives within `secs` seconds.
fn converge_some<T>(secs: u64, f: impl FnMut() -> Option<T>) -> T {
    kyb_e2e::eventually(secs, f).unwrap_or_else(|| panic!("nothing within {secs} s"))
}

/// The pod names that `times` requests to `url` from inside `pod` were answered with.
fn answers(k: &Kybd, pod: &str, url: &str, times: usize) -> BTreeSet<String> {
    let script = format!(
        "for i in $(/bin/busybox seq {times}); do /bin/busybox timeout 5 /bin/busybox wget -qO- {url}; done; true"
    );
    let out = k.run(
        &bin("kyb"),
        &["exec", pod, "--", "/bin/busybox", "sh", "-c", &script],
        None,
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn cluster_ips_answer_from_docker_pods() {
    let k = Kybd::start_with(&["--service-cidr", "10.97.0.0/16"]);
    let upstream = format!("127.0.0.1:{}", fake_upstream());
    let node = k.docker_node_with(&["--cluster-dns-upstream", &upstream]);
    let kc = kubectl();
    let image = busybox_image();
    // Three web pods serving their names, ready while /www/ready exists; a client pod; the Service.
    let manifests = format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: {image}
        imagePullPolicy: IfNotPresent
        env: [{{name: POD_NAME, valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}}}]
        command: [/bin/busybox, sh, -c]
        args: ["/bin/busybox mkdir -p /www && echo $POD_NAME > /www/index.html && /bin/busybox touch /www/ready && exec /bin/busybox httpd -f -p 8080 -h /www"]
        ports: [{{name: http, containerPort: 8080}}]
        readinessProbe:
          exec: {{command: [/bin/busybox, test, -e, /www/ready]}}
          periodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata: {{name: client, labels: {{role: client}}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: {image}
    imagePullPolicy: IfNotPresent
    command: [/bin/busybox, sleep, "3600"]
---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  selector: {{app: web}}
  ports: [{{name: http, port: 80, targetPort: http}}]
"#
    );
    k.ok(&kc, &["apply", "-f", "-"], Some(&manifests));
    converge(90, "three ready web endpoints", &3, || {
        ips(&k.get(&["endpoints", "web"]), "addresses").len()
    });
    converge(60, "the client running", &1, || {
        k.running_pods("role=client").len()
    });
    let names = |k: &Kybd| -> BTreeSet<String> {
        k.running_pods("app=web")
            .iter()
            .filter(|p| {
                p["status"]["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
            .filter_map(|p| p["metadata"]["name"].as_str().map(String::from))
            .collect()
    };
    let all = names(&k);
    assert_eq!(all.len(), 3, "{all:?}");

    // By name, short and whole, and by cluster IP, requests spread over every ready pod.
    let ip = k.get(&["svc", "web"])["spec"]["clusterIP"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(ip.starts_with("10.97."), "{ip}");
    for url in [
        "http://web".to_string(),
        "http://web.default.svc.cluster.local".to_string(),
        format!("http://{ip}/"),
    ] {
        converge(30, &format!("every pod behind {url}"), &all, || {
            answers(&k, "client", &url, 30)
        });
    }
    // A pod reaches itself through its own Service (hairpin).
    let first = all.iter().next().cloned().unwrap_or_default();
    converge(30, "every pod, itself too, from a web pod", &all, || {
        answers(&k, &first, "http://web", 30)
    });

    // A pod that fails readiness gets no traffic, and gets it again once ready.
    k.ok(
        &bin("kyb"),
        &["exec", &first, "--", "/bin/busybox", "rm", "/www/ready"],
        None,
    );
    let others: BTreeSet<String> = all.iter().filter(|n| **n != first).cloned().collect();
    converge(30, "only the two ready pods", &others, || {
        answers(&k, "client", "http://web", 30)
    });
    k.ok(
        &bin("kyb"),
        &["exec", &first, "--", "/bin/busybox", "touch", "/www/ready"],
        None,
    );
    converge(30, "the third back", &all, || {
        answers(&k, "client", "http://web", 30)
    });

    // A selector-less Service whose Endpoints name a server outside the cluster, on this host.
    let gateway = k.get(&["node", &node.name])["status"]["addresses"][0]["address"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let outside_port = serve_outside(&gateway);
    let external = outside_service(&gateway, outside_port, None);
    k.ok(&kc, &["apply", "-f", "-"], Some(&external));
    let want: BTreeSet<String> = ["outside".to_string()].into();
    converge(30, "the server outside the cluster", &want, || {
        answers(&k, "client", "http://outside", 3)
    });

    // UDP through a cluster IP: a Service in front of the node's cluster DNS, asked from the client.
    let dns = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: dns}}\nspec: {{ports: [{{name: dns, port: 53, protocol: UDP}}]}}\n---\napiVersion: v1\nkind: Endpoints\nmetadata: {{name: dns}}\nsubsets: [{{addresses: [{{ip: {gateway}}}], ports: [{{name: dns, port: 53, protocol: UDP}}]}}]\n"
    );
    k.ok(&kc, &["apply", "-f", "-"], Some(&dns));
    let dns_ip = k.get(&["svc", "dns"])["spec"]["clusterIP"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let nslookup = |name: &str, server: &str| {
        let mut args = vec!["exec", "client", "--", "/bin/busybox", "nslookup", name];
        args.extend((!server.is_empty()).then_some(server));
        let out = k.run(&bin("kyb"), &args, None);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let answer = kyb_e2e::eventually(30, || {
        Some(nslookup("web.default.svc.cluster.local", &dns_ip)).filter(|a| a.contains(&ip))
    });
    assert!(
        answer.is_some(),
        "{}",
        nslookup("web.default.svc.cluster.local", &dns_ip)
    );
    // Names outside the cluster go to the host's resolver (here the test's own, on the loopback).
    let forwarded = nslookup("kybernet-upstream.example.", "");
    assert!(forwarded.contains("192.0.2.55"), "{forwarded}");

    // The node port and the load balancer's address answer from the host, on the node's address.
    let lb_port = free_port();
    let exposed = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: web-lb}}\nspec: {{type: LoadBalancer, selector: {{app: web}}, ports: [{{name: http, port: {lb_port}, targetPort: http}}]}}\n"
    );
    k.ok(&kc, &["apply", "-f", "-"], Some(&exposed));
    let node_port = converge_some(30, || {
        k.get(&["svc", "web-lb"])["spec"]["ports"][0]["nodePort"].as_u64()
    });
    let from_host = |port: u64| -> BTreeSet<String> {
        (0..12)
            .filter_map(|_| crate::docker::http_get(&format!("http://{gateway}:{port}/")))
            .map(|page| page.trim().to_string())
            .collect()
    };
    converge(30, "every pod behind the node port", &all, || {
        from_host(node_port)
    });
    converge(30, "every pod behind the load balancer", &all, || {
        from_host(u64::from(lb_port))
    });

    // hostNetwork pods have the node's address; ClusterFirstWithHostNet gives them the cluster's DNS,
    // ClusterFirst the host's resolvers; cluster IPs answer in the host's network too.
    let on_host = |name: &str, policy: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {{role: on-host}}}}\nspec:\n  hostNetwork: true\n  dnsPolicy: {policy}\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: c\n    image: {image}\n    imagePullPolicy: IfNotPresent\n    command: [/bin/busybox, sleep, '3600']\n"
        )
    };
    let both = format!(
        "{}---\n{}",
        on_host("on-host", "ClusterFirstWithHostNet"),
        on_host("on-host-default", "ClusterFirst")
    );
    k.ok(&kc, &["apply", "-f", "-"], Some(&both));
    converge(60, "both hostNetwork pods running", &2, || {
        k.running_pods("role=on-host").len()
    });
    assert_eq!(
        k.get(&["pod", "on-host"])["status"]["podIP"],
        gateway.as_str()
    );
    let resolv = |pod: &str| {
        k.ok(
            &bin("kyb"),
            &["exec", pod, "--", "/bin/busybox", "cat", "/etc/resolv.conf"],
            None,
        )
    };
    let search = "search default.svc.cluster.local svc.cluster.local cluster.local";
    let with_cluster = resolv("on-host");
    assert!(
        with_cluster.contains(search) && with_cluster.contains(&format!("nameserver {gateway}")),
        "{with_cluster}"
    );
    assert!(!resolv("on-host-default").contains(search));
    let from_host = answers(&k, "on-host", "http://web.default.svc.cluster.local", 10);
    assert!(
        !from_host.is_empty() && from_host.is_subset(&all),
        "{from_host:?}"
    );

    // The proxy says which mode it runs in, in /metrics and /proxyMode, as kube-proxy does.
    let base = format!("http://{}", node.proxy_metrics);
    assert_eq!(
        crate::docker::http_get(&format!("{base}/proxyMode")).as_deref(),
        Some("iptables")
    );
    let metrics = crate::docker::http_get(&format!("{base}/metrics")).unwrap_or_default();
    assert!(
        metrics.contains("kybernet_proxy_mode{mode=\"iptables\"} 1"),
        "{metrics}"
    );

    // Scaling down takes the gone pods out of the rules; stopping the node takes the rules off the host.
    k.ok(&kc, &["scale", "deployment", "web", "--replicas=1"], None);
    converge(30, "one pod behind the service", &1, || {
        answers(&k, "client", "http://web", 10).len()
    });
    let rules = || {
        let out = std::process::Command::new("iptables-save")
            .output()
            .unwrap_or_else(|e| panic!("iptables-save: {e}"));
        String::from_utf8_lossy(&out.stdout).contains(&format!("{ip}/32"))
    };
    assert!(rules());
    drop(node);
    assert!(!rules(), "the cluster IP's rules outlived the node");
}
