//! The REST API over raw HTTP: discovery, tables, object semantics, subresources, list and watch.

use kyb_e2e::Kybd;
use serde_json::{json, Value};

fn post(k: &Kybd, path: &str, body: Value) -> (u16, Value) {
    k.http(
        "POST",
        path,
        "application/json",
        body.to_string().as_bytes(),
    )
}

fn put(k: &Kybd, path: &str, body: &Value) -> (u16, Value) {
    k.http("PUT", path, "application/json", body.to_string().as_bytes())
}

fn rv(v: &Value) -> u64 {
    v["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn deployment(name: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}}})
}

#[test]
fn health_version_and_discovery() {
    let k = Kybd::api_only();
    for p in ["/healthz", "/livez", "/readyz"] {
        assert_eq!(k.http_raw("GET", p, &[], b""), (200, "ok".to_string()));
    }
    let (_, v) = k.get_json("/version");
    assert_eq!(
        (v["major"].as_str(), v["minor"].as_str()),
        (Some("1"), Some("32"))
    );
    let (_, apis) = k.get_json("/apis");
    let groups: Vec<&str> = apis["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["name"].as_str())
        .collect();
    for g in [
        "apps",
        "batch",
        "autoscaling",
        "networking.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "policy",
        "events.k8s.io",
    ] {
        assert!(groups.contains(&g), "{g} missing from {groups:?}");
    }
    let (_, autoscaling) = k.get_json("/apis/autoscaling");
    assert_eq!(autoscaling["preferredVersion"]["version"], "v2");
    let (_, core) = k.get_json("/api/v1");
    let rows = core["resources"].as_array().cloned().unwrap_or_default();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(row("pods")["shortNames"], json!(["po"]));
    assert_eq!(row("pods")["categories"], json!(["all"]));
    assert_eq!(row("nodes")["namespaced"], false);
    assert_eq!(row("pods/eviction")["group"], "policy");
    let (_, apps) = k.get_json("/apis/apps/v1");
    let scale = apps["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "deployments/scale")
        .cloned();
    assert_eq!(
        scale.map(|s| (s["group"].clone(), s["kind"].clone())),
        Some((json!("autoscaling"), json!("Scale")))
    );

    // Aggregated discovery only when asked for.
    let accept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    let (code, text) = k.http_raw("GET", "/apis", &[("Accept", accept)], b"");
    assert_eq!(code, 200);
    let agg: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(agg["kind"], "APIGroupDiscoveryList");
    let apps = agg["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["metadata"]["name"] == "apps")
        .cloned()
        .unwrap_or(Value::Null);
    let deploy = apps["versions"][0]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["resource"] == "deployments")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(deploy["subresources"].as_array().map(|s| s.len()), Some(2));
    let (_, plain) = k.get_json("/apis");
    assert_eq!(plain["kind"], "APIGroupList");
}

#[test]
fn tables_follow_the_kubernetes_printers() {
    let k = Kybd::api_only();
    assert_eq!(
        post(
            &k,
            "/apis/apps/v1/namespaces/default/deployments",
            deployment("web")
        )
        .0,
        201
    );
    let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    let (code, text) = k.http_raw(
        "GET",
        "/apis/apps/v1/namespaces/default/deployments",
        &[("Accept", accept)],
        b"",
    );
    assert_eq!(code, 200);
    let t: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(t["kind"], "Table");
    let cols: Vec<(&str, i64)> = t["columnDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or(""),
                c["priority"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        cols,
        [
            ("Name", 0),
            ("Ready", 0),
            ("Up-to-date", 0),
            ("Available", 0),
            ("Age", 0),
            ("Containers", 1),
            ("Images", 1),
            ("Selector", 1)
        ]
    );
    let row = &t["rows"][0];
    assert_eq!(row["cells"][0], "web");
    assert_eq!(row["cells"][1], "0/1");
    assert_eq!(row["cells"][6], "busybox:1.36");
    assert_eq!(row["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(row["object"]["metadata"]["name"], "web");
    // Unknown-printer kinds get the generic table.
    post(
        &k,
        "/apis/coordination.k8s.io/v1/namespaces/default/leases",
        json!({"metadata": {"name": "l"}, "spec": {"holderIdentity": "me"}}),
    );
    let (_, text) = k.http_raw(
        "GET",
        "/apis/coordination.k8s.io/v1/namespaces/default/leases",
        &[("Accept", accept)],
        b"",
    );
    let t: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(t["rows"][0]["cells"][0], "l");
}

#[test]
fn object_semantics() {
    let k = Kybd::api_only();
    let base = "/apis/apps/v1/namespaces/default/deployments";
    let (code, d) = post(&k, base, deployment("web"));
    assert_eq!(code, 201);
    assert!(d["metadata"]["uid"].as_str().is_some_and(|u| u.len() == 36));
    assert!(d["metadata"]["creationTimestamp"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert_eq!(d["metadata"]["generation"], 1);
    assert_eq!(d["spec"]["progressDeadlineSeconds"], 600);
    assert_eq!(d["spec"]["template"]["spec"]["restartPolicy"], "Always");
    assert!(d.get("status").is_none());

    // A metadata-only change keeps the generation; a spec change bumps it.
    let mut labeled = d.clone();
    labeled["metadata"]["labels"] = json!({"x": "y"});
    let (code, l) = put(&k, &format!("{base}/web"), &labeled);
    assert_eq!(code, 200);
    assert_eq!(l["metadata"]["generation"], 1);
    assert!(rv(&l) > rv(&d));
    let mut scaled = l.clone();
    scaled["spec"]["replicas"] = json!(3);
    let (_, s) = put(&k, &format!("{base}/web"), &scaled);
    assert_eq!(s["metadata"]["generation"], 2);
    // The stale copy conflicts.
    let (code, c) = put(&k, &format!("{base}/web"), &labeled);
    assert_eq!((code, c["reason"].as_str()), (409, Some("Conflict")));
    assert!(c["message"]
        .as_str()
        .unwrap_or("")
        .contains("the object has been modified"));

    // Status writes ignore spec, spec writes ignore status.
    let mut st = s.clone();
    st["status"] = json!({"replicas": 3, "readyReplicas": 2});
    st["spec"]["replicas"] = json!(9);
    let (code, after) = put(&k, &format!("{base}/web/status"), &st);
    assert_eq!(code, 200, "{after}");
    assert_eq!(
        (
            after["spec"]["replicas"].as_i64(),
            after["status"]["readyReplicas"].as_i64()
        ),
        (Some(3), Some(2))
    );
    let mut sp = after.clone();
    sp["status"] = json!({"replicas": 0});
    sp["spec"]["replicas"] = json!(5);
    let (_, after) = put(&k, &format!("{base}/web"), &sp);
    assert_eq!(
        (
            after["spec"]["replicas"].as_i64(),
            after["status"]["readyReplicas"].as_i64()
        ),
        (Some(5), Some(2))
    );

    // Scale subresource.
    let (_, scale) = k.get_json(&format!("{base}/web/scale"));
    assert_eq!(
        (
            scale["kind"].as_str(),
            scale["spec"]["replicas"].as_i64(),
            scale["status"]["selector"].as_str()
        ),
        (Some("Scale"), Some(5), Some("app=web"))
    );
    let (code, _) = k.http(
        "PATCH",
        &format!("{base}/web/scale"),
        "application/merge-patch+json",
        br#"{"spec":{"replicas":7}}"#,
    );
    assert_eq!(code, 200);
    assert_eq!(k.get_json(&format!("{base}/web")).1["spec"]["replicas"], 7);

    // A write that changes nothing keeps the resourceVersion.
    let (_, cur) = k.get_json(&format!("{base}/web"));
    let (code, same) = put(&k, &format!("{base}/web"), &cur);
    assert_eq!((code, rv(&same)), (200, rv(&cur)));

    // generateName; kinds without a reconciled spec carry no generation.
    let (code, g) = post(
        &k,
        "/api/v1/namespaces/default/configmaps",
        json!({"metadata": {"generateName": "gen-"}}),
    );
    assert_eq!(code, 201);
    assert!(g["metadata"]["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("gen-") && n.len() == 9));
    assert!(g["metadata"].get("generation").is_none(), "{g}");

    // Finalizers hold deletion until they are removed.
    let cm = json!({"metadata": {"name": "held", "finalizers": ["example.com/hold"]}});
    post(&k, "/api/v1/namespaces/default/configmaps", cm);
    let (code, del) = k.http(
        "DELETE",
        "/api/v1/namespaces/default/configmaps/held",
        "application/json",
        b"",
    );
    assert_eq!(code, 200);
    assert!(del["metadata"]["deletionTimestamp"].is_string());
    let (code, still) = k.get_json("/api/v1/namespaces/default/configmaps/held");
    assert_eq!(code, 200);
    let (code, _) = k.http(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/held",
        "application/merge-patch+json",
        br#"{"metadata":{"finalizers":null}}"#,
    );
    assert_eq!(code, 200, "{still}");
    assert_eq!(
        k.get_json("/api/v1/namespaces/default/configmaps/held").0,
        404
    );

    // Missing and terminating namespaces.
    let (code, e) = post(
        &k,
        "/api/v1/namespaces/nope/configmaps",
        json!({"metadata": {"name": "x"}}),
    );
    assert_eq!(
        (code, e["message"].as_str()),
        (404, Some("namespaces \"nope\" not found"))
    );
    post(
        &k,
        "/api/v1/namespaces",
        json!({"metadata": {"name": "doomed"}}),
    );
    post(
        &k,
        "/api/v1/namespaces/doomed/configmaps",
        json!({"metadata": {"name": "blocker", "finalizers": ["example.com/hold"]}}),
    );
    // The namespace controller finishes termination; this server runs without its own.
    let _controllers = k.controller_manager();
    k.http(
        "DELETE",
        "/api/v1/namespaces/doomed",
        "application/json",
        b"",
    );
    let (_, ns) = k.get_json("/api/v1/namespaces/doomed");
    assert_eq!(ns["status"]["phase"], "Terminating");
    let (code, e) = post(
        &k,
        "/api/v1/namespaces/doomed/configmaps",
        json!({"metadata": {"name": "late"}}),
    );
    assert_eq!((code, e["reason"].as_str()), (403, Some("Forbidden")));
    // The controller says what holds the namespace, in the namespace deleter's words.
    let condition = |ns: &Value, kind: &str| {
        ns["status"]["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == kind))
            .map(|c| c["message"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    let held = kyb_e2e::eventually(20, || {
        let (_, ns) = k.get_json("/api/v1/namespaces/doomed");
        (condition(&ns, "NamespaceContentRemaining")
            == "Some resources are remaining: configmaps. has 1 resource instances")
            .then_some(ns)
    })
    .unwrap_or_else(|| panic!("{}", k.get_json("/api/v1/namespaces/doomed").1));
    assert_eq!(
        condition(&held, "NamespaceFinalizersRemaining"),
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    );
    k.http(
        "PATCH",
        "/api/v1/namespaces/doomed/configmaps/blocker",
        "application/merge-patch+json",
        br#"{"metadata":{"finalizers":[]}}"#,
    );
    let gone = kyb_e2e::eventually(20, || {
        (k.get_json("/api/v1/namespaces/doomed").0 == 404).then_some(())
    });
    assert!(gone.is_some(), "namespace not finalized");
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert_eq!(k.get_json(&format!("/api/v1/namespaces/{ns}")).0, 200);
    }
}

#[test]
fn binding_eviction_and_pod_defaults() {
    let k = Kybd::api_only();
    let pods = "/api/v1/namespaces/default/pods";
    let pod = json!({"metadata": {"name": "p", "labels": {"app": "p"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}});
    let (code, p) = post(&k, pods, pod);
    assert_eq!(code, 201);
    assert_eq!(p["status"]["phase"], "Pending");
    assert_eq!(p["status"]["qosClass"], "BestEffort");
    assert_eq!(p["spec"]["containers"][0]["imagePullPolicy"], "Always");
    assert_eq!(p["spec"]["serviceAccountName"], "default");
    let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"}, "target": {"kind": "Node", "name": "n1"}});
    assert_eq!(
        post(&k, &format!("{pods}/p/binding"), binding.clone()).0,
        201
    );
    let (_, p) = k.get_json(&format!("{pods}/p"));
    assert_eq!(p["spec"]["nodeName"], "n1");
    assert_eq!(post(&k, &format!("{pods}/p/binding"), binding).0, 409);

    // A running pod needs its budget's leave to go: a budget no controller has counted yet refuses (429).
    k.http(
        "PATCH",
        &format!("{pods}/p/status"),
        "application/merge-patch+json",
        br#"{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}"#,
    );
    post(
        &k,
        "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
        json!({"metadata": {"name": "b"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "p"}}}}),
    );
    let eviction =
        json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "p"}});
    let (code, e) = post(&k, &format!("{pods}/p/eviction"), eviction.clone());
    assert_eq!((code, e["reason"].as_str()), (429, Some("TooManyRequests")));
    assert_eq!(
        e["details"]["causes"][0]["message"],
        "The disruption budget b is still being processed by the server."
    );
    k.http(
        "DELETE",
        "/apis/policy/v1/namespaces/default/poddisruptionbudgets/b",
        "application/json",
        b"",
    );
    assert_eq!(post(&k, &format!("{pods}/p/eviction"), eviction).0, 201);
    // A bound pod is deleted gracefully: it stays, marked, until its node's agent removes it.
    let (_, p) = k.get_json(&format!("{pods}/p"));
    assert_eq!(p["metadata"]["deletionGracePeriodSeconds"], 30);
    let (code, _) = k.http(
        "DELETE",
        &format!("{pods}/p?gracePeriodSeconds=0"),
        "application/json",
        b"",
    );
    assert_eq!(code, 200);
    assert_eq!(k.get_json(&format!("{pods}/p")).0, 404);
}

#[test]
fn converted_versions_share_objects() {
    let k = Kybd::api_only();
    let v1 = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
        "spec": {"maxReplicas": 5, "targetCPUUtilizationPercentage": 70, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}});
    assert_eq!(
        post(
            &k,
            "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers",
            v1
        )
        .0,
        201
    );
    let (_, v2) = k.get_json("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/h");
    assert_eq!(v2["apiVersion"], "autoscaling/v2");
    assert_eq!(
        v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        70
    );
    let (_, back) =
        k.get_json("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/h");
    assert_eq!(back["spec"]["targetCPUUtilizationPercentage"], 70);

    // Core and events.k8s.io events are one set of objects in two shapes.
    let core = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1"}, "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "default"},
        "reason": "Pulled", "message": "image pulled", "type": "Normal", "source": {"component": "kubelet"}, "count": 2});
    assert_eq!(post(&k, "/api/v1/namespaces/default/events", core).0, 201);
    let (code, ev) = k.get_json("/apis/events.k8s.io/v1/namespaces/default/events/e1");
    assert_eq!(code, 200, "{ev}");
    assert_eq!(
        (
            ev["apiVersion"].as_str(),
            ev["note"].as_str(),
            ev["regarding"]["name"].as_str(),
            ev["deprecatedCount"].as_i64()
        ),
        (
            Some("events.k8s.io/v1"),
            Some("image pulled"),
            Some("web-1"),
            Some(2)
        )
    );
    let (_, l) = k.get_json(
        "/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dweb-1",
    );
    assert_eq!(l["items"].as_array().map(|a| a.len()), Some(1));
    let (_, l) = k.get_json("/api/v1/events?fieldSelector=involvedObject.name%3Dother");
    assert_eq!(l["items"].as_array().map(|a| a.len()), Some(0));
    let new = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e2"}, "eventTime": "2026-01-01T00:00:00.000000Z",
        "regarding": {"kind": "Node", "name": "n1"}, "note": "ready", "reason": "NodeReady", "reportingController": "kubelet", "reportingInstance": "n1", "action": "Ready", "type": "Normal"});
    assert_eq!(
        post(&k, "/apis/events.k8s.io/v1/namespaces/default/events", new).0,
        201
    );
    let (_, old) = k.get_json("/api/v1/namespaces/default/events/e2");
    assert_eq!(
        (
            old["message"].as_str(),
            old["involvedObject"]["name"].as_str(),
            old["reportingComponent"].as_str()
        ),
        (Some("ready"), Some("n1"), Some("kubelet"))
    );
}

#[test]
fn list_selectors_paging_and_watch() {
    let k = Kybd::start_with(&["--watch-window", "20"]);
    let cms = "/api/v1/namespaces/default/configmaps";
    for i in 0..5 {
        post(
            &k,
            cms,
            json!({"metadata": {"name": format!("c{i}"), "labels": {"parity": if i % 2 == 0 { "even" } else { "odd" }}}}),
        );
    }
    let (_, l) = k.get_json(&format!("{cms}?labelSelector=parity%3Deven"));
    let names: Vec<&str> = l["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["c0", "c2", "c4"]);
    let (_, l) = k.get_json(&format!(
        "{cms}?fieldSelector=metadata.name%21%3Dc0&labelSelector=parity%20in%20(even)"
    ));
    assert_eq!(l["items"].as_array().map(|a| a.len()), Some(2));
    let (_, page) = k.get_json(&format!("{cms}?limit=2"));
    assert_eq!(page["items"].as_array().map(|a| a.len()), Some(2));
    let cont = page["metadata"]["continue"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (_, page2) = k.get_json(&format!("{cms}?limit=10&continue={cont}"));
    assert_eq!(page2["items"][0]["metadata"]["name"], "c2");
    assert!(page2["metadata"].get("continue").is_none());
    let (_, all) = k.get_json("/api/v1/configmaps");
    assert!(all["items"].as_array().is_some_and(|a| a.len() >= 5));
    let list_rv = rv(&all);

    // A watch from the list's revision sees later changes only; selectors turn leaving objects into DELETED.
    let mut w = k.watch(&format!(
        "{cms}?watch=1&resourceVersion={list_rv}&labelSelector=parity%3Deven&timeoutSeconds=5"
    ));
    k.http(
        "PATCH",
        &format!("{cms}/c0"),
        "application/merge-patch+json",
        br#"{"metadata":{"labels":{"parity":"odd"}}}"#,
    );
    post(
        &k,
        cms,
        json!({"metadata": {"name": "c6", "labels": {"parity": "even"}}}),
    );
    let first = w.next().unwrap_or(Value::Null);
    assert_eq!(
        (
            first["type"].as_str(),
            first["object"]["metadata"]["name"].as_str()
        ),
        (Some("DELETED"), Some("c0"))
    );
    let second = w.next().unwrap_or(Value::Null);
    assert_eq!(
        (
            second["type"].as_str(),
            second["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("c6"))
    );
    // timeoutSeconds ends the stream.
    assert!(w.next().is_none());

    // Without a revision the watch starts with the current objects as ADDED.
    let mut w = k.watch(&format!(
        "{cms}?watch=true&labelSelector=parity%3Dodd&timeoutSeconds=2"
    ));
    let names: Vec<String> = (0..3)
        .filter_map(|_| w.next())
        .map(|e| {
            format!(
                "{} {}",
                e["type"].as_str().unwrap_or(""),
                e["object"]["metadata"]["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(names, ["ADDED c0", "ADDED c1", "ADDED c3"]);

    // Push the old revision out of the 20-event window: the watch gets 410 Expired.
    for i in 0..25 {
        post(&k, cms, json!({"metadata": {"name": format!("filler{i}")}}));
    }
    let mut w = k.watch(&format!("{cms}?watch=1&resourceVersion={list_rv}"));
    let e = w.next().unwrap_or(Value::Null);
    assert_eq!(
        (
            e["type"].as_str(),
            e["object"]["code"].as_i64(),
            e["object"]["reason"].as_str()
        ),
        (Some("ERROR"), Some(410), Some("Expired"))
    );

    // deletecollection with a selector.
    let (code, _) = k.http(
        "DELETE",
        &format!("{cms}?labelSelector=parity"),
        "application/json",
        b"",
    );
    assert_eq!(code, 200);
    let (_, l) = k.get_json(&format!("{cms}?labelSelector=parity"));
    assert_eq!(l["items"].as_array().map(|a| a.len()), Some(0));
}

#[test]
fn bookmarks_only_when_asked() {
    let k = Kybd::start_with(&["--watch-bookmark-interval", "1"]);
    let cms = "/api/v1/namespaces/default/configmaps";
    let events: Vec<Value> = k
        .watch(&format!("{cms}?watch=1&timeoutSeconds=3"))
        .collect();
    assert!(events.iter().all(|e| e["type"] != "BOOKMARK"), "{events:?}");
    let mut w = k.watch(&format!(
        "{cms}?watch=1&allowWatchBookmarks=true&timeoutSeconds=10"
    ));
    let e = w.next().unwrap_or(Value::Null);
    assert_eq!(
        (e["type"].as_str(), e["object"]["kind"].as_str()),
        (Some("BOOKMARK"), Some("ConfigMap"))
    );
    assert!(rv(&e["object"]) > 0);
}

#[test]
fn paged_lists_are_consistent_snapshots() {
    let k = Kybd::start_with(&["--watch-window", "20"]);
    let cms = "/api/v1/namespaces/default/configmaps";
    for name in ["a", "b", "c", "d"] {
        post(
            &k,
            cms,
            json!({"metadata": {"name": name}, "data": {"v": "1"}}),
        );
    }
    let (_, first) = k.get_json(&format!("{cms}?limit=2"));
    let cont = first["metadata"]["continue"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // Changes after the first page do not show in the later pages.
    k.http("DELETE", &format!("{cms}/c"), "application/json", b"");
    k.http(
        "PATCH",
        &format!("{cms}/d"),
        "application/merge-patch+json",
        br#"{"data":{"v":"2"}}"#,
    );
    post(&k, cms, json!({"metadata": {"name": "e"}}));
    let (code, second) = k.get_json(&format!("{cms}?limit=5&continue={cont}"));
    assert_eq!(code, 200, "{second}");
    let names: Vec<&str> = second["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["c", "d"]);
    assert_eq!(second["items"][1]["data"]["v"], "1");
    assert_eq!(
        second["metadata"]["resourceVersion"],
        first["metadata"]["resourceVersion"]
    );
    // An exact-revision list sees the same past.
    let rv = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default();
    let (_, exact) = k.get_json(&format!(
        "{cms}?resourceVersion={rv}&resourceVersionMatch=Exact"
    ));
    assert_eq!(exact["items"].as_array().map(|a| a.len()), Some(4));
    // Once the window has moved past the first page's revision, the token is expired.
    for i in 0..25 {
        post(&k, cms, json!({"metadata": {"name": format!("filler{i}")}}));
    }
    let (code, gone) = k.get_json(&format!("{cms}?limit=5&continue={cont}"));
    assert_eq!(
        (code, gone["reason"].as_str()),
        (410, Some("Expired")),
        "{gone}"
    );
    let (code, _) = k.get_json(&format!("{cms}?resourceVersion={rv}&continue={cont}"));
    assert_eq!(code, 400);
}

#[test]
fn refuses_a_non_loopback_listen_address() {
    let dir = kyb_e2e::TempDir::new("listen");
    let out = std::process::Command::new(kyb_e2e::bin("kybd"))
        .args(["server", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(&dir.0)
        .output()
        .unwrap_or_else(|e| panic!("running kybd: {e}"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0") && err.contains("loopback"),
        "{err}"
    );
}

/// A delete without preconditions never answers Conflict, even while others write the object (a kubelet's
/// status updates, say): the server reads it again and deletes what is there, as kube's GuaranteedUpdate.
/// With a resourceVersion precondition, a changed object is a Conflict.
#[test]
fn deletes_ride_over_concurrent_writes() {
    let k = Kybd::api_only();
    let pods = "/api/v1/namespaces/default/pods";
    for i in 0..10 {
        let name = format!("busy-{i}");
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": "nowhere", "containers": [{"name": "c", "image": "busybox"}]}});
        assert_eq!(post(&k, pods, pod).0, 201);
        let path = format!("{pods}/{name}");
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let patch = json!({"metadata": {"labels": {"n": n.to_string()}}});
                    k.http(
                        "PATCH",
                        &path,
                        "application/merge-patch+json",
                        patch.to_string().as_bytes(),
                    );
                    n += 1;
                }
            });
            std::thread::sleep(std::time::Duration::from_millis(20));
            let (code, body) = k.http("DELETE", &path, "application/json", b"");
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            assert_eq!(code, 200, "{body}");
        });
    }
    // A stale resourceVersion precondition is refused.
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pinned"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}});
    let (_, made) = post(&k, pods, pod);
    let stale = json!({"preconditions": {"resourceVersion": (rv(&made) - 1).to_string()}});
    let (code, body) = k.http(
        "DELETE",
        &format!("{pods}/pinned"),
        "application/json",
        stale.to_string().as_bytes(),
    );
    assert_eq!(
        (code, body["reason"].as_str()),
        (409, Some("Conflict")),
        "{body}"
    );
}
