//! Bad input gets a Kubernetes Status with the right code and reason: never a 500, a panic or a hang.

use kyb_e2e::{kubectl, Kybd};
use serde_json::{json, Value};

/// Asserts a Failure Status with `code` and `reason`, returning its message.
fn status(resp: &(u16, Value), code: u16, reason: &str) -> String {
    let (got, body) = resp;
    assert_eq!(*got, code, "HTTP status, body: {body}");
    assert_eq!(body["kind"], "Status", "body: {body}");
    assert_eq!(body["status"], "Failure");
    assert_eq!(body["code"], code);
    assert_eq!(body["reason"], reason, "body: {body}");
    body["message"].as_str().unwrap_or_default().to_string()
}

#[test]
fn every_bad_request_gets_a_status() {
    let k = Kybd::api_only();
    let pods = "/api/v1/namespaces/default/pods";
    let cms = "/api/v1/namespaces/default/configmaps";

    let m = status(
        &k.http("POST", cms, "application/json", b"{\"metadata\": {"),
        400,
        "BadRequest",
    );
    assert!(m.contains("JSON"), "{m}");
    status(
        &k.http("POST", cms, "application/yaml", b"metadata: [unclosed"),
        400,
        "BadRequest",
    );
    status(
        &k.http("POST", cms, "application/json", b"[1,2]"),
        400,
        "BadRequest",
    );

    let wrong_version =
        json!({"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "a"}});
    let m = status(
        &k.http(
            "POST",
            cms,
            "application/json",
            wrong_version.to_string().as_bytes(),
        ),
        400,
        "BadRequest",
    );
    assert!(m.contains("does not match the expected API version"), "{m}");
    // Numbers a typed Go field could not hold are refused while decoding, as Kubernetes refuses them.
    let deployments = "/apis/apps/v1/namespaces/default/deployments";
    let huge = json!({"metadata": {"name": "huge"}, "spec": {"replicas": 3_000_000_000u64,
        "selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
        "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    let m = status(
        &k.http(
            "POST",
            deployments,
            "application/json",
            huge.to_string().as_bytes(),
        ),
        400,
        "BadRequest",
    );
    assert_eq!(m, "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal number 3000000000 into Go struct field DeploymentSpec.spec.replicas of type int32");
    let fraction = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i",
        "ports": [{"containerPort": 80.5}]}]}});
    let m = status(
        &k.http(
            "POST",
            pods,
            "application/json",
            fraction.to_string().as_bytes(),
        ),
        400,
        "BadRequest",
    );
    assert!(m.ends_with("cannot unmarshal number 80.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"), "{m}");
    let wrong_kind = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a"}});
    status(
        &k.http(
            "POST",
            cms,
            "application/json",
            wrong_kind.to_string().as_bytes(),
        ),
        400,
        "BadRequest",
    );

    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}});
    assert_eq!(
        k.http("POST", cms, "application/json", cm.to_string().as_bytes())
            .0,
        201
    );
    let renamed = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}});
    let m = status(
        &k.http(
            "PUT",
            &format!("{cms}/a"),
            "application/json",
            renamed.to_string().as_bytes(),
        ),
        400,
        "BadRequest",
    );
    assert_eq!(
        m,
        "the name of the object (b) does not match the name on the URL (a)"
    );
    let other_ns = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "kube-system"}});
    status(
        &k.http(
            "POST",
            cms,
            "application/json",
            other_ns.to_string().as_bytes(),
        ),
        400,
        "BadRequest",
    );

    status(
        &k.get_json("/api/v1/namespaces/default/widgets"),
        404,
        "NotFound",
    );
    status(
        &k.get_json("/apis/nope.example.com/v1/things"),
        404,
        "NotFound",
    );
    // A namespace in the path of a cluster-scoped kind names nothing.
    status(
        &k.get_json("/api/v1/namespaces/default/nodes"),
        404,
        "NotFound",
    );
    status(
        &k.http(
            "POST",
            "/api/v1/namespaces/default/nodes",
            "application/json",
            b"{}",
        ),
        404,
        "NotFound",
    );

    status(
        &k.http("POST", cms, "text/plain", b"hello"),
        415,
        "UnsupportedMediaType",
    );
    let big = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"x": "y".repeat(3 * 1024 * 1024 + 1)}});
    status(
        &k.http("POST", cms, "application/json", big.to_string().as_bytes()),
        413,
        "RequestEntityTooLarge",
    );

    let typo = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox", "imagee": "x"}]}});
    let m = status(
        &k.http(
            "POST",
            &format!("{pods}?fieldValidation=Strict"),
            "application/json",
            typo.to_string().as_bytes(),
        ),
        400,
        "BadRequest",
    );
    assert!(
        m.contains("unknown field \"spec.containers[0].imagee\""),
        "{m}"
    );
    // Without Strict the same object is accepted (the unknown field is dropped by nothing but stored as sent).
    assert_eq!(
        k.http(
            "POST",
            &format!("{pods}?fieldValidation=Ignore"),
            "application/json",
            typo.to_string().as_bytes()
        )
        .0,
        201
    );

    let invalid = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "Bad_Name"}, "spec": {"containers": [{"name": "c"}]}});
    let (code, body) = k.http(
        "POST",
        pods,
        "application/json",
        invalid.to_string().as_bytes(),
    );
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["reason"], "Invalid");
    let fields: Vec<&str> = body["details"]["causes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"metadata.name") && fields.contains(&"spec.containers[0].image"),
        "{body}"
    );

    status(
        &k.get_json(&format!("{pods}?labelSelector=a%20in%20(")),
        400,
        "BadRequest",
    );
    status(
        &k.get_json(&format!("{pods}?fieldSelector=spec.bogus%3Dx")),
        400,
        "BadRequest",
    );
    status(&k.get_json(&format!("{pods}?limit=abc")), 400, "BadRequest");
    status(
        &k.get_json(&format!("{pods}?limit=1&continue=garbage")),
        400,
        "BadRequest",
    );
    status(
        &k.get_json(&format!("{pods}?resourceVersion=xyz")),
        400,
        "BadRequest",
    );
    status(
        &k.http(
            "POST",
            &format!("{cms}?dryRun=Sometimes"),
            "application/json",
            cm.to_string().as_bytes(),
        ),
        400,
        "BadRequest",
    );
    status(
        &k.http(
            "PATCH",
            &format!("{cms}/a"),
            "application/json-patch+json",
            b"{\"op\":1}",
        ),
        400,
        "BadRequest",
    );
    status(
        &k.http(
            "PATCH",
            &format!("{cms}/a"),
            "application/json-patch+json",
            br#"[{"op":"remove","path":"/nope/x"}]"#,
        ),
        422,
        "Invalid",
    );
    status(
        &k.http(
            "PATCH",
            &format!("{cms}/a"),
            "application/apply-patch+yaml",
            b"metadata: {}",
        ),
        422,
        "Invalid",
    );
    status(
        &k.http(
            "PATCH",
            &format!("{cms}/zzz"),
            "application/merge-patch+json",
            b"{}",
        ),
        404,
        "NotFound",
    );
    status(
        &k.http("DELETE", &format!("{cms}/zzz"), "application/json", b""),
        404,
        "NotFound",
    );
    status(
        &k.http(
            "DELETE",
            &format!("{cms}/a"),
            "application/json",
            b"{not json",
        ),
        400,
        "BadRequest",
    );
    status(
        &k.http("POST", &format!("{cms}/a"), "application/json", b"{}"),
        405,
        "MethodNotAllowed",
    );

    // kubectl shows these the way it shows a real apiserver's errors.
    let err = k.fails(&kubectl(), &["get", "pods", "nope"], None);
    assert_eq!(
        err.trim(),
        "Error from server (NotFound): pods \"nope\" not found"
    );
    let err = k.fails(
        &kubectl(),
        &["create", "-f", "-"],
        Some("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"),
    );
    assert!(
        err.contains("Error from server (AlreadyExists)")
            && err.contains("configmaps \"a\" already exists"),
        "{err}"
    );

    assert_eq!(k.http_raw("GET", "/healthz", &[], b"").0, 200);
    assert!(!k.log().contains("panicked"), "{}", k.log());
}
