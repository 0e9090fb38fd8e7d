//! Server-side defaulting of built-in kinds, mirroring the Kubernetes defaulters so stored objects look like a real cluster's.

use serde_json::{json, Value};

/// Fill in Kubernetes defaults in place. `group` is "" for core; `plural` e.g. "pods". Unknown kinds: no-op.
///
/// Values of the wrong JSON type are left untouched; validation reports them.
pub fn apply(group: &str, plural: &str, obj: &mut Value) {
    match (group, plural) {
        ("", "pods") => pod(obj),
        ("", "replicationcontrollers") => replication_controller(obj),
        ("", "services") => service(obj),
        ("", "namespaces") => namespace(obj),
        ("", "secrets") => set(obj, "type", json!("Opaque")),
        ("", "persistentvolumeclaims") => pvc(obj),
        ("", "persistentvolumes") => {
            if let Some(spec) = child(obj, "spec") {
                set(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
                set(spec, "volumeMode", json!("Filesystem"));
            }
            if let Some(status) = child(obj, "status") {
                set(status, "phase", json!("Pending"));
            }
        }
        ("", "endpoints") => {
            for subset in items(obj, "subsets") {
                for port in items(subset, "ports") {
                    set(port, "protocol", json!("TCP"));
                }
            }
        }
        ("storage.k8s.io", "storageclasses") => {
            set(obj, "reclaimPolicy", json!("Delete"));
            set(obj, "volumeBindingMode", json!("Immediate"));
        }
        ("apps", "deployments") => deployment(obj),
        ("apps", "replicasets") => {
            if let Some(spec) = child(obj, "spec") {
                set(spec, "replicas", json!(1));
                template(spec, "template", true);
            }
        }
        ("apps", "daemonsets") => daemon_set(obj),
        ("apps", "statefulsets") => stateful_set(obj),
        ("batch", "jobs") => job(obj),
        ("batch", "cronjobs") => cron_job(obj),
        _ => {}
    }
}

/// Inserts `key: value` when the key is absent or null; non-objects are ignored.
fn set(obj: &mut Value, key: &str, value: Value) {
    if let Some(map) = obj.as_object_mut() {
        match map.get(key) {
            None | Some(Value::Null) => {
                map.insert(key.to_string(), value);
            }
            Some(_) => {}
        }
    }
}

/// Returns the object under `key`, creating an empty one when absent. `None` if either side is not an object.
fn child<'a>(obj: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    set(obj, key, json!({}));
    obj.as_object_mut()?.get_mut(key).filter(|v| v.is_object())
}

/// Returns the object under `key` only if it already exists.
fn existing<'a>(obj: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    obj.as_object_mut()?.get_mut(key).filter(|v| v.is_object())
}

/// Iterates the object elements of the array under `key` (missing or mistyped arrays yield nothing).
fn items<'a>(obj: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    obj.as_object_mut()
        .and_then(|m| m.get_mut(key))
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter(|v| v.is_object())
}

fn is_empty_map(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(_) => false,
    }
}

fn pod(obj: &mut Value) {
    if let Some(spec) = child(obj, "spec") {
        pod_spec(spec, true);
        // Pod-only defaults: templates keep these unset, as in Kubernetes (SetDefaults_Pod and the Priority admission plugin).
        set(spec, "enableServiceLinks", json!(true));
        set(spec, "priority", json!(0));
        set(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
        // The ServiceAccount admission plugin's default; serviceAccount is its deprecated alias.
        set(spec, "serviceAccountName", json!("default"));
        let sa = spec
            .get("serviceAccountName")
            .cloned()
            .unwrap_or(json!("default"));
        set(spec, "serviceAccount", sa);
        // Pods (not templates) get requests copied from limits, so the scheduler sees what the kubelet enforces.
        for key in ["containers", "initContainers"] {
            for c in items(spec, key) {
                requests_from_limits(c);
            }
        }
    }
}

fn requests_from_limits(container: &mut Value) {
    let Some(res) = child(container, "resources") else {
        return;
    };
    let Some(limits) = res.get("limits").and_then(Value::as_object).cloned() else {
        return;
    };
    if let Some(requests) = child(res, "requests").and_then(Value::as_object_mut) {
        for (k, v) in limits {
            requests.entry(k).or_insert(v);
        }
    }
}

/// Defaults the pod template at `spec[key]`; `restart_always` is false for Job templates, which must choose themselves.
fn template(spec: &mut Value, key: &str, restart_always: bool) {
    if let Some(t) = child(spec, key) {
        if let Some(ps) = child(t, "spec") {
            pod_spec(ps, restart_always);
        }
    }
}

fn pod_spec(spec: &mut Value, restart_always: bool) {
    set(spec, "dnsPolicy", json!("ClusterFirst"));
    if restart_always {
        set(spec, "restartPolicy", json!("Always"));
    }
    set(spec, "terminationGracePeriodSeconds", json!(30));
    set(spec, "securityContext", json!({}));
    set(spec, "schedulerName", json!("default-scheduler"));
    let host_network = spec.get("hostNetwork").and_then(Value::as_bool) == Some(true);
    for key in ["containers", "initContainers", "ephemeralContainers"] {
        for c in items(spec, key) {
            container(c, host_network);
        }
    }
    for v in items(spec, "volumes") {
        volume(v);
    }
}

fn container(c: &mut Value, host_network: bool) {
    let image = c
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    set(c, "imagePullPolicy", json!(pull_policy(&image)));
    set(c, "terminationMessagePath", json!("/dev/termination-log"));
    set(c, "terminationMessagePolicy", json!("File"));
    set(c, "resources", json!({}));
    for p in items(c, "ports") {
        set(p, "protocol", json!("TCP"));
        // With host networking the host port is the container port.
        if host_network {
            if let Some(cp) = p.get("containerPort").cloned() {
                set(p, "hostPort", cp);
            }
        }
    }
    for e in items(c, "env") {
        if let Some(from) = existing(e, "valueFrom") {
            if let Some(fr) = existing(from, "fieldRef") {
                set(fr, "apiVersion", json!("v1"));
            }
        }
    }
    for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = existing(c, key) {
            set(p, "timeoutSeconds", json!(1));
            set(p, "periodSeconds", json!(10));
            set(p, "successThreshold", json!(1));
            set(p, "failureThreshold", json!(3));
            handler(p);
        }
    }
    if let Some(lc) = existing(c, "lifecycle") {
        for key in ["postStart", "preStop"] {
            if let Some(h) = existing(lc, key) {
                handler(h);
            }
        }
    }
}

fn handler(h: &mut Value) {
    if let Some(get) = existing(h, "httpGet") {
        set(get, "path", json!("/"));
        set(get, "scheme", json!("HTTP"));
    }
}

/// `Always` for untagged or `:latest` images, `IfNotPresent` otherwise; a digest counts as a pinned tag.
pub(crate) fn pull_policy(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    // Only a colon after the last slash is a tag; earlier ones are registry ports.
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) if tag != "latest" => "IfNotPresent",
        _ => "Always",
    }
}

const VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

/// Source keys a volume may carry; shared with validation.
pub(crate) fn volume_sources() -> &'static [&'static str] {
    VOLUME_SOURCES
}

fn volume(v: &mut Value) {
    let has_source = v.as_object().is_some_and(|m| {
        VOLUME_SOURCES
            .iter()
            .any(|k| m.get(*k).is_some_and(|x| !x.is_null()))
    });
    if !has_source {
        set(v, "emptyDir", json!({}));
    }
    for key in ["configMap", "secret", "downwardAPI", "projected"] {
        if let Some(src) = existing(v, key) {
            set(src, "defaultMode", json!(420));
        }
    }
    if let Some(hp) = existing(v, "hostPath") {
        set(hp, "type", json!(""));
    }
    if let Some(d) = existing(v, "downwardAPI") {
        for item in items(d, "items") {
            if let Some(fr) = existing(item, "fieldRef") {
                set(fr, "apiVersion", json!("v1"));
            }
        }
    }
    if let Some(p) = existing(v, "projected") {
        for src in items(p, "sources") {
            if let Some(d) = existing(src, "downwardAPI") {
                for item in items(d, "items") {
                    if let Some(fr) = existing(item, "fieldRef") {
                        set(fr, "apiVersion", json!("v1"));
                    }
                }
            }
            if let Some(t) = existing(src, "serviceAccountToken") {
                set(t, "expirationSeconds", json!(3600));
            }
        }
    }
}

fn replication_controller(obj: &mut Value) {
    let tmpl_labels = obj
        .pointer("/spec/template/metadata/labels")
        .filter(|l| !is_empty_map(Some(l)))
        .cloned();
    if let Some(spec) = child(obj, "spec") {
        set(spec, "replicas", json!(1));
        if let Some(labels) = &tmpl_labels {
            if is_empty_map(spec.get("selector")) {
                if let Some(m) = spec.as_object_mut() {
                    m.insert("selector".into(), labels.clone());
                }
            }
        }
        template(spec, "template", true);
    }
    if let Some(labels) = tmpl_labels {
        if let Some(meta) = child(obj, "metadata") {
            if is_empty_map(meta.get("labels")) {
                if let Some(m) = meta.as_object_mut() {
                    m.insert("labels".into(), labels);
                }
            }
        }
    }
}

fn service(obj: &mut Value) {
    let Some(spec) = child(obj, "spec") else {
        return;
    };
    set(spec, "type", json!("ClusterIP"));
    set(spec, "sessionAffinity", json!("None"));
    let ty = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if spec.get("sessionAffinity").and_then(Value::as_str) == Some("ClientIP") {
        if let Some(cfg) = child(spec, "sessionAffinityConfig") {
            if let Some(cip) = child(cfg, "clientIP") {
                set(cip, "timeoutSeconds", json!(10800));
            }
        }
    }
    for p in items(spec, "ports") {
        set(p, "protocol", json!("TCP"));
        // targetPort follows port when unset (or zero / empty, which the API treats as unset).
        let unset = match p.get("targetPort") {
            None | Some(Value::Null) => true,
            Some(Value::Number(n)) => n.as_i64() == Some(0),
            Some(Value::String(s)) => s.is_empty(),
            Some(_) => false,
        };
        if unset {
            if let (Some(port), Some(m)) = (p.get("port").cloned(), p.as_object_mut()) {
                m.insert("targetPort".into(), port);
            }
        }
    }
    if ty != "ExternalName" {
        set(spec, "ipFamilyPolicy", json!("SingleStack"));
        set(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    if ty == "NodePort" || ty == "LoadBalancer" {
        set(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if ty == "LoadBalancer" {
        set(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
}

fn namespace(obj: &mut Value) {
    if let Some(spec) = child(obj, "spec") {
        set(spec, "finalizers", json!(["kubernetes"]));
    }
    if let Some(status) = child(obj, "status") {
        set(status, "phase", json!("Active"));
    }
}

fn pvc(obj: &mut Value) {
    if let Some(spec) = child(obj, "spec") {
        set(spec, "volumeMode", json!("Filesystem"));
    }
    if let Some(status) = child(obj, "status") {
        set(status, "phase", json!("Pending"));
    }
}

fn deployment(obj: &mut Value) {
    let Some(spec) = child(obj, "spec") else {
        return;
    };
    set(spec, "replicas", json!(1));
    if let Some(strategy) = child(spec, "strategy") {
        set(strategy, "type", json!("RollingUpdate"));
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
            if let Some(ru) = child(strategy, "rollingUpdate") {
                set(ru, "maxUnavailable", json!("25%"));
                set(ru, "maxSurge", json!("25%"));
            }
        }
    }
    set(spec, "revisionHistoryLimit", json!(10));
    set(spec, "progressDeadlineSeconds", json!(600));
    template(spec, "template", true);
}

fn daemon_set(obj: &mut Value) {
    let Some(spec) = child(obj, "spec") else {
        return;
    };
    if let Some(strategy) = child(spec, "updateStrategy") {
        set(strategy, "type", json!("RollingUpdate"));
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
            if let Some(ru) = child(strategy, "rollingUpdate") {
                set(ru, "maxUnavailable", json!(1));
                set(ru, "maxSurge", json!(0));
            }
        }
    }
    set(spec, "revisionHistoryLimit", json!(10));
    template(spec, "template", true);
}

fn stateful_set(obj: &mut Value) {
    let Some(spec) = child(obj, "spec") else {
        return;
    };
    set(spec, "replicas", json!(1));
    set(spec, "podManagementPolicy", json!("OrderedReady"));
    if let Some(strategy) = child(spec, "updateStrategy") {
        set(strategy, "type", json!("RollingUpdate"));
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
            if let Some(ru) = child(strategy, "rollingUpdate") {
                set(ru, "partition", json!(0));
            }
        }
    }
    set(spec, "revisionHistoryLimit", json!(10));
    if let Some(p) = child(spec, "persistentVolumeClaimRetentionPolicy") {
        set(p, "whenDeleted", json!("Retain"));
        set(p, "whenScaled", json!("Retain"));
    }
    for t in items(spec, "volumeClaimTemplates") {
        pvc(t);
    }
    template(spec, "template", true);
}

fn job(obj: &mut Value) {
    let tmpl_labels = obj
        .pointer("/spec/template/metadata/labels")
        .filter(|l| !is_empty_map(Some(l)))
        .cloned();
    if let Some(spec) = child(obj, "spec") {
        job_spec(spec);
    }
    // Like the real defaulter, a label-less Job inherits its template's labels.
    if let Some(labels) = tmpl_labels {
        if let Some(meta) = child(obj, "metadata") {
            if is_empty_map(meta.get("labels")) {
                if let Some(m) = meta.as_object_mut() {
                    m.insert("labels".into(), labels);
                }
            }
        }
    }
}

fn job_spec(spec: &mut Value) {
    let unset = |s: &Value, k: &str| s.get(k).is_none_or(Value::is_null);
    if unset(spec, "completions") && unset(spec, "parallelism") {
        set(spec, "completions", json!(1));
    }
    set(spec, "parallelism", json!(1));
    let backoff = if unset(spec, "backoffLimitPerIndex") {
        6
    } else {
        i32::MAX as i64
    };
    set(spec, "backoffLimit", json!(backoff));
    set(spec, "completionMode", json!("NonIndexed"));
    set(spec, "suspend", json!(false));
    let replacement = if unset(spec, "podFailurePolicy") {
        "TerminatingOrFailed"
    } else {
        "Failed"
    };
    set(spec, "podReplacementPolicy", json!(replacement));
    if let Some(pfp) = existing(spec, "podFailurePolicy") {
        for rule in items(pfp, "rules") {
            for cond in items(rule, "onPodConditions") {
                set(cond, "status", json!("True"));
            }
        }
    }
    template(spec, "template", false);
}

fn cron_job(obj: &mut Value) {
    let Some(spec) = child(obj, "spec") else {
        return;
    };
    set(spec, "concurrencyPolicy", json!("Allow"));
    set(spec, "suspend", json!(false));
    set(spec, "successfulJobsHistoryLimit", json!(3));
    set(spec, "failedJobsHistoryLimit", json!(1));
    // The job template is not a Job, so only its pod template is defaulted.
    if let Some(jt) = child(spec, "jobTemplate") {
        if let Some(js) = child(jt, "spec") {
            template(js, "template", false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_rules() {
        assert_eq!(pull_policy("nginx"), "Always");
        assert_eq!(pull_policy("nginx:latest"), "Always");
        assert_eq!(pull_policy("nginx:1.25"), "IfNotPresent");
        assert_eq!(pull_policy("host:5000/img"), "Always");
        assert_eq!(pull_policy("host:5000/img:v1"), "IfNotPresent");
        assert_eq!(pull_policy("img@sha256:abcd"), "IfNotPresent");
    }

    #[test]
    fn pod_defaults() {
        let mut p = json!({"spec": {"containers": [{"name": "c", "image": "nginx",
            "ports": [{"containerPort": 80}],
            "resources": {"limits": {"cpu": "1"}},
            "livenessProbe": {"httpGet": {"port": 80}},
            "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}],
            "volumes": [{"name": "v"}, {"name": "cm", "configMap": {"name": "x"}}]}});
        apply("", "pods", &mut p);
        let s = &p["spec"];
        assert_eq!(s["restartPolicy"], "Always");
        assert_eq!(s["terminationGracePeriodSeconds"], 30);
        assert_eq!(s["schedulerName"], "default-scheduler");
        let c = &s["containers"][0];
        assert_eq!(c["imagePullPolicy"], "Always");
        assert_eq!(c["terminationMessagePath"], "/dev/termination-log");
        assert_eq!(c["ports"][0]["protocol"], "TCP");
        assert_eq!(c["resources"]["requests"]["cpu"], "1");
        assert_eq!(c["livenessProbe"]["httpGet"]["scheme"], "HTTP");
        assert_eq!(c["livenessProbe"]["failureThreshold"], 3);
        assert_eq!(c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
        assert_eq!(s["volumes"][0]["emptyDir"], json!({}));
        assert_eq!(s["volumes"][1]["configMap"]["defaultMode"], 420);
    }

    #[test]
    fn workload_defaults() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}}});
        apply("apps", "deployments", &mut d);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent"
        );
        let mut j = json!({"spec": {"parallelism": 3, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}}});
        apply("batch", "jobs", &mut j);
        assert!(j["spec"].get("completions").is_none());
        assert_eq!(j["spec"]["backoffLimit"], 6);
        assert!(j["spec"]["template"]["spec"].get("restartPolicy").is_none());
        assert_eq!(j["metadata"]["labels"]["a"], "b");
        let mut rc = json!({"spec": {"template": {"metadata": {"labels": {"app": "x"}}}}});
        apply("", "replicationcontrollers", &mut rc);
        assert_eq!(rc["spec"]["selector"]["app"], "x");
        assert_eq!(rc["metadata"]["labels"]["app"], "x");
    }

    #[test]
    fn service_defaults_and_bad_types() {
        let mut s = json!({"spec": {"type": "NodePort", "ports": [{"port": 80}]}});
        apply("", "services", &mut s);
        assert_eq!(s["spec"]["ports"][0]["targetPort"], 80);
        assert_eq!(s["spec"]["externalTrafficPolicy"], "Cluster");
        let mut bad = json!({"spec": "nope"});
        apply("", "services", &mut bad);
        assert_eq!(bad, json!({"spec": "nope"}));
        let mut bad2 = json!([1, 2]);
        apply("apps", "deployments", &mut bad2);
    }
}
