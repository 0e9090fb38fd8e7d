//! Tests for the protobuf decoder: hand-encoded messages and bodies captured from kubectl 1.32.

use super::*;
use kyb_api::wire::KINDS;
use serde_json::json;

/// Test-only protobuf writer.
#[derive(Default, Clone)]
struct Enc(Vec<u8>);

impl Enc {
    fn varint(mut self, mut v: u64) -> Self {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
        self
    }
    fn key(self, n: u32, wt: u64) -> Self {
        self.varint((u64::from(n) << 3) | wt)
    }
    fn int(self, n: u32, v: i64) -> Self {
        self.key(n, 0).varint(v as u64)
    }
    fn bytes(self, n: u32, b: &[u8]) -> Self {
        let mut e = self.key(n, 2).varint(b.len() as u64);
        e.0.extend_from_slice(b);
        e
    }
    fn str(self, n: u32, s: &str) -> Self {
        self.bytes(n, s.as_bytes())
    }
    fn msg(self, n: u32, m: Enc) -> Self {
        self.bytes(n, &m.0)
    }
    fn map(self, n: u32, k: &str, v: &str) -> Self {
        self.msg(n, Enc::default().str(1, k).str(2, v))
    }
}

fn e() -> Enc {
    Enc::default()
}

fn envelope(api_version: &str, kind: &str, raw: Enc) -> Vec<u8> {
    let unknown = e()
        .msg(1, e().str(1, api_version).str(2, kind))
        .msg(2, raw)
        .str(3, "")
        .str(4, "");
    let mut body = MAGIC.to_vec();
    body.extend_from_slice(&unknown.0);
    body
}

fn decode_ok(api_version: &str, kind: &str, raw: Enc) -> Value {
    decode(&envelope(api_version, kind, raw)).unwrap()
}

/// ObjectMeta as gogo writes it for a fresh object: all non-pointer scalars, zero time.
fn meta(name: &str) -> Enc {
    e().str(1, name)
        .str(2, "")
        .str(3, "")
        .str(4, "")
        .str(5, "")
        .str(6, "")
        .int(7, 0)
        .msg(8, e())
}

#[test]
fn namespace() {
    let raw = e().msg(1, meta("foo")).msg(2, e()).msg(3, e().str(1, ""));
    assert_eq!(
        decode_ok("v1", "Namespace", raw),
        json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "foo", "creationTimestamp": null}, "spec": {}, "status": {}})
    );
}

#[test]
fn deployment_like_kubectl_create() {
    let labels = |m: Enc| m.map(11, "app", "web");
    let container = e()
        .str(1, "nginx")
        .str(2, "nginx")
        .msg(8, e())
        .str(5, "")
        .int(16, 0);
    let pod_spec = e()
        .msg(2, container)
        .str(3, "")
        .str(6, "")
        .str(8, "")
        .int(11, 0);
    let spec = e()
        .int(1, 2)
        .msg(2, e().map(1, "app", "web"))
        .msg(3, e().msg(1, labels(meta(""))).msg(2, pod_spec))
        .msg(4, e().str(1, ""))
        .int(5, 0);
    let status = e().int(1, 0).int(2, 0).int(3, 0);
    let raw = e().msg(1, labels(meta("web"))).msg(2, spec).msg(3, status);
    assert_eq!(
        decode_ok("apps/v1", "Deployment", raw),
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "creationTimestamp": null, "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}
                },
                "strategy": {}
            },
            "status": {}
        })
    );
}

#[test]
fn secret_bytes_are_base64() {
    let data = |k: &str, v: &[u8]| e().str(1, k).bytes(2, v);
    let raw = e()
        .msg(1, meta("s"))
        .msg(2, data("a", b"hello"))
        .msg(2, data("b", &[0xff, 0, 1, 2]))
        .msg(2, data("c", b""))
        .str(3, "Opaque")
        .map(4, "x", "y");
    assert_eq!(
        decode_ok("v1", "Secret", raw),
        json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "creationTimestamp": null},
            "data": {"a": "aGVsbG8=", "b": "/wABAg==", "c": ""},
            "stringData": {"x": "y"}, "type": "Opaque"})
    );
}

#[test]
fn delete_options_keep_pointer_zeros() {
    let raw = e().int(1, 0).str(4, "Background").int(3, 0);
    assert_eq!(
        decode_ok("v1", "DeleteOptions", raw),
        json!({"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
            "orphanDependents": false, "propagationPolicy": "Background"})
    );
    // DeleteOptions is accepted in whatever group version the client encoded it.
    let v = decode_ok("apps/v1", "DeleteOptions", e().str(5, "All"));
    assert_eq!(
        v,
        json!({"apiVersion": "apps/v1", "kind": "DeleteOptions", "dryRun": ["All"]})
    );
}

#[test]
fn service_int_or_string() {
    let port = |name: &str, p: i64, target: Enc| {
        e().str(1, name)
            .str(2, "TCP")
            .int(3, p)
            .msg(4, target)
            .int(5, 0)
    };
    let spec = e()
        .msg(1, port("http", 80, e().int(1, 0).int(2, 8080).str(3, "")))
        .msg(1, port("web", 81, e().int(1, 1).int(2, 0).str(3, "web")))
        .msg(1, port("zero", 82, e()))
        .map(2, "app", "web")
        .str(4, "ClusterIP");
    let raw = e().msg(1, meta("svc")).msg(2, spec).msg(3, e().msg(1, e()));
    assert_eq!(
        decode_ok("v1", "Service", raw),
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "svc", "creationTimestamp": null},
            "spec": {
                "ports": [
                    {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
                    {"name": "web", "protocol": "TCP", "port": 81, "targetPort": "web"},
                    {"name": "zero", "protocol": "TCP", "port": 82, "targetPort": 0}
                ],
                "selector": {"app": "web"},
                "type": "ClusterIP"
            },
            "status": {"loadBalancer": {}}})
    );
}

#[test]
fn pod_inlines_volume_source_and_keeps_pointers() {
    let volume = e()
        .str(1, "cfg")
        .msg(2, e().msg(19, e().msg(1, e().str(1, "cm")).int(3, 420)));
    let sc = e().int(2, 0).int(6, 0);
    let container = e().str(1, "c").msg(8, e()).msg(15, sc);
    let spec = e().msg(1, volume).msg(2, container).int(4, 30).int(21, 0);
    let raw = e().msg(1, meta("p")).msg(2, spec);
    let v = decode_ok("v1", "Pod", raw);
    assert_eq!(
        v["spec"],
        json!({
            "volumes": [{"name": "cfg", "configMap": {"name": "cm", "defaultMode": 420}}],
            "containers": [{"name": "c", "resources": {},
                "securityContext": {"privileged": false, "readOnlyRootFilesystem": false}}],
            "terminationGracePeriodSeconds": 30,
            "automountServiceAccountToken": false
        })
    );
    assert_eq!(v["status"], json!({}));
}

#[test]
fn times_durations_and_quantities() {
    let ts = |s: i64, n: i64| e().int(1, s).int(2, n);
    let lease_spec = e()
        .str(1, "me")
        .int(2, 15)
        .msg(3, ts(1_136_214_245, 123_456_789))
        .msg(4, ts(1_136_214_245, 0));
    let v = decode_ok(
        "coordination.k8s.io/v1",
        "Lease",
        e().msg(1, meta("l")).msg(2, lease_spec),
    );
    assert_eq!(
        v["spec"],
        json!({"holderIdentity": "me", "leaseDurationSeconds": 15,
            "acquireTime": "2006-01-02T15:04:05.123456Z", "renewTime": "2006-01-02T15:04:05.000000Z"})
    );
    let meta_with_time = meta("x").msg(8, ts(1_136_214_245, 999)).map(12, "a", "b");
    let hard = e().str(1, "cpu").msg(2, e().str(1, "500m"));
    let zero_q = e().str(1, "pods");
    let raw = e()
        .msg(1, meta_with_time)
        .msg(2, e().msg(1, hard).msg(1, zero_q));
    let v = decode_ok("v1", "ResourceQuota", raw);
    assert_eq!(
        v["metadata"]["creationTimestamp"],
        json!("2006-01-02T15:04:05Z")
    );
    assert_eq!(v["spec"], json!({"hard": {"cpu": "500m", "pods": "0"}}));
    assert_eq!(v["status"], json!({}));

    for (ns, s) in [
        (0, "0s"),
        (1, "1ns"),
        (1_500, "1.5µs"),
        (300_000_000, "300ms"),
        (1_500_000_000, "1.5s"),
        (90_000_000_000, "1m30s"),
        (3_600_000_000_000, "1h0m0s"),
        (-3_723_000_000_000, "-1h2m3s"),
    ] {
        assert_eq!(go_duration(ns), s);
    }
    assert_eq!(
        timestamp(false, true, GO_ZERO_TIME_SECS, 0).unwrap(),
        Value::Null
    );
    assert_eq!(
        timestamp(false, true, 0, 5).unwrap(),
        json!("1970-01-01T00:00:00Z")
    );
}

#[test]
fn packed_and_unpacked_repeated_ints() {
    // supplementalGroups once packed, once unpacked; both append.
    let groups = e().bytes(4, &e().varint(1).varint(2).0).int(4, 3);
    let raw = e().msg(1, meta("p")).msg(2, e().msg(14, groups));
    let v = decode_ok("v1", "Pod", raw);
    assert_eq!(
        v["spec"]["securityContext"],
        json!({"supplementalGroups": [1, 2, 3]})
    );
    assert_eq!(v["spec"]["containers"], Value::Null);
}

#[test]
fn raw_extension_is_embedded_json() {
    let raw = e()
        .msg(1, meta("r"))
        .msg(2, e().str(1, r#"{"a":[1,true]}"#))
        .int(3, 4);
    let v = decode_ok("apps/v1", "ControllerRevision", raw);
    assert_eq!(v["data"], json!({"a": [1, true]}));
    assert_eq!(v["revision"], json!(4));
    let bad = e().msg(2, e().str(1, "{"));
    assert!(matches!(
        decode(&envelope("apps/v1", "ControllerRevision", bad)),
        Err(ProtoError::Invalid(_))
    ));
}

#[test]
fn base64_matches_std_encoding() {
    for (input, out) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
    ] {
        assert_eq!(base64(input.as_bytes()), out);
    }
}

#[test]
fn malformed_input_is_an_error() {
    let good = envelope("v1", "Namespace", e().msg(1, meta("foo")));
    for cut in 0..good.len() {
        // Every prefix either decodes (a field boundary) or fails cleanly.
        let _ = decode(&good[..cut]);
    }
    assert!(matches!(decode(&good[..7]), Err(ProtoError::Invalid(_))));
    assert!(matches!(decode(b"k8s"), Err(ProtoError::Invalid(_))));
    assert!(matches!(
        decode(b"{\"kind\":\"Pod\"}"),
        Err(ProtoError::Invalid(_))
    ));
    assert!(matches!(
        decode(&envelope("v1", "Frobnicator", e())),
        Err(ProtoError::UnknownKind(_))
    ));
    assert!(matches!(
        decode(&envelope("apps/v2", "Deployment", e())),
        Err(ProtoError::UnknownKind(_))
    ));
    // metadata.name as a varint: wrong wire type.
    let wrong = e().msg(1, e().int(1, 7));
    assert!(matches!(
        decode(&envelope("v1", "Namespace", wrong)),
        Err(ProtoError::Invalid(_))
    ));
    // A length that runs past the end of the buffer.
    let mut body = envelope("v1", "Namespace", e());
    body.extend_from_slice(&[0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert!(matches!(decode(&body), Err(ProtoError::Invalid(_))));
    // Group wire types are not used by Kubernetes.
    let mut body = MAGIC.to_vec();
    body.push(0x0b);
    assert!(matches!(decode(&body), Err(ProtoError::Invalid(_))));
}

#[test]
fn deep_nesting_is_capped() {
    // No kind here is recursive enough to reach the cap from the wire, so start past it.
    assert!(matches!(
        decode_message("meta.ObjectMeta", &[], MAX_DEPTH + 1),
        Err(ProtoError::Invalid(_))
    ));
}

#[test]
fn schema_table_is_sorted_and_closed() {
    assert!(MSGS.windows(2).all(|w| w[0].0 < w[1].0));
    let special = |m: &str| decode_special(m, &[]).unwrap().is_some();
    for (name, fields) in MSGS {
        for f in *fields {
            if let T::M(m) | T::MM(m) = f.2 {
                assert!(special(m) || lookup(m).is_ok(), "{name}.{} -> {m}", f.1);
            }
        }
    }
    for (_, _, m) in KINDS {
        assert!(lookup(m).is_ok(), "{m}");
        // The zero value of every kind decodes.
        assert!(decode_message(m, &[], 0).is_ok(), "{m}");
    }
}

/// `kubectl create deployment web --image=nginx --replicas=2` as kubectl 1.32 sent it.
const KUBECTL_DEPLOYMENT: &[u8] = b"k8s\x00\x0a\x15\x0a\x07apps/v1\x12\x0aDeployment\x12\xab\x01\x0a\x1f\x0a\x03web\x12\x00\x1a\x00\x22\x00*\x002\x008\x00B\x00Z\x0a\x0a\x03app\x12\x03web\x12z\x08\x02\x12\x0c\x0a\x0a\x0a\x03app\x12\x03web\x1a`\x0a\x1c\x0a\x00\x12\x00\x1a\x00\x22\x00*\x002\x008\x00B\x00Z\x0a\x0a\x03app\x12\x03web\x12@\x12\x22\x0a\x05nginx\x12\x05nginx*\x00B\x00j\x00r\x00\x80\x01\x00\x88\x01\x00\x90\x01\x00\xa2\x01\x00\x1a\x002\x00B\x00J\x00R\x00X\x00`\x00h\x00\x82\x01\x00\x8a\x01\x00\x9a\x01\x00\xc2\x01\x00\x22\x02\x0a\x00(\x008\x00\x1a\x0c\x08\x00\x10\x00\x18\x00 \x00(\x008\x00\x1a\x00\x22\x00";

/// `kubectl create service clusterip svc --tcp=80:8080` as kubectl 1.32 sent it.
const KUBECTL_SERVICE: &[u8] = b"k8s\x00\x0a\x0d\x0a\x02v1\x12\x07Service\x12i\x0a\x1f\x0a\x03svc\x12\x00\x1a\x00\x22\x00*\x002\x008\x00B\x00Z\x0a\x0a\x03app\x12\x03svc\x12B\x0a\x1b\x0a\x0780-8080\x12\x03TCP\x18P\x22\x07\x08\x00\x10\x90?\x1a\x00(\x00\x12\x0a\x0a\x03app\x12\x03svc\x1a\x00\x22\x09ClusterIP:\x00B\x00R\x00Z\x00`\x00h\x00\x1a\x02\x0a\x00\x1a\x00\x22\x00";

/// The expected values are kubectl's own `--dry-run=client -o json` output for the same command.
#[test]
fn captured_kubectl_bodies() {
    assert_eq!(
        decode(KUBECTL_DEPLOYMENT).unwrap(),
        json!({
            "kind": "Deployment", "apiVersion": "apps/v1",
            "metadata": {"name": "web", "creationTimestamp": null, "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}
                },
                "strategy": {}
            },
            "status": {}
        })
    );
    assert_eq!(
        decode(KUBECTL_SERVICE).unwrap(),
        json!({"kind": "Service", "apiVersion": "v1",
            "metadata": {"name": "svc", "creationTimestamp": null, "labels": {"app": "svc"}},
            "spec": {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
                "selector": {"app": "svc"}, "type": "ClusterIP"},
            "status": {"loadBalancer": {}}})
    );
}

#[test]
fn eviction_with_delete_options() {
    let raw = e().msg(1, meta("p").str(3, "ns")).msg(2, e().int(1, 5));
    assert_eq!(
        decode_ok("policy/v1", "Eviction", raw),
        json!({"apiVersion": "policy/v1", "kind": "Eviction",
            "metadata": {"name": "p", "namespace": "ns", "creationTimestamp": null},
            "deleteOptions": {"gracePeriodSeconds": 5}})
    );
}
