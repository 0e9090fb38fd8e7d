//! Strict field validation (`fieldValidation=Strict`): unknown fields in the parts of objects we know the schema of are a 400 naming them.

use kyb_api::registry::Resource;
use serde_json::Value;

use super::error::{ApiError, ApiResult};

const OBJECT_META: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];
const POD_SPEC: &[&str] = &[
    "volumes",
    "initContainers",
    "containers",
    "ephemeralContainers",
    "restartPolicy",
    "terminationGracePeriodSeconds",
    "activeDeadlineSeconds",
    "dnsPolicy",
    "nodeSelector",
    "serviceAccountName",
    "serviceAccount",
    "automountServiceAccountToken",
    "nodeName",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "shareProcessNamespace",
    "securityContext",
    "imagePullSecrets",
    "hostname",
    "subdomain",
    "affinity",
    "schedulerName",
    "tolerations",
    "hostAliases",
    "priorityClassName",
    "priority",
    "dnsConfig",
    "readinessGates",
    "runtimeClassName",
    "enableServiceLinks",
    "preemptionPolicy",
    "overhead",
    "topologySpreadConstraints",
    "setHostnameAsFQDN",
    "os",
    "hostUsers",
    "schedulingGates",
    "resourceClaims",
    "resources",
];
const CONTAINER: &[&str] = &[
    "name",
    "image",
    "command",
    "args",
    "workingDir",
    "ports",
    "envFrom",
    "env",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "volumeMounts",
    "volumeDevices",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "imagePullPolicy",
    "securityContext",
    "stdin",
    "stdinOnce",
    "tty",
    "targetContainerName",
];
const TEMPLATE: &[&str] = &["metadata", "spec"];
const DEPLOYMENT_SPEC: &[&str] = &[
    "replicas",
    "selector",
    "template",
    "strategy",
    "minReadySeconds",
    "revisionHistoryLimit",
    "paused",
    "progressDeadlineSeconds",
];
const SERVICE_SPEC: &[&str] = &[
    "ports",
    "selector",
    "clusterIP",
    "clusterIPs",
    "type",
    "externalIPs",
    "sessionAffinity",
    "loadBalancerIP",
    "loadBalancerSourceRanges",
    "externalName",
    "externalTrafficPolicy",
    "healthCheckNodePort",
    "publishNotReadyAddresses",
    "sessionAffinityConfig",
    "ipFamilies",
    "ipFamilyPolicy",
    "allocateLoadBalancerNodePorts",
    "loadBalancerClass",
    "internalTrafficPolicy",
    "trafficDistribution",
];

/// The top-level fields of each kind besides apiVersion, kind and metadata.
fn top_level(resource: &Resource) -> Option<&'static [&'static str]> {
    Some(match (resource.group, resource.plural) {
        ("", "configmaps") => &["data", "binaryData", "immutable"],
        ("", "secrets") => &["data", "stringData", "type", "immutable"],
        ("", "endpoints") => &["subsets"],
        ("", "serviceaccounts") => &[
            "secrets",
            "imagePullSecrets",
            "automountServiceAccountToken",
        ],
        ("", "events") => &[
            "involvedObject",
            "reason",
            "message",
            "source",
            "firstTimestamp",
            "lastTimestamp",
            "count",
            "type",
            "eventTime",
            "series",
            "action",
            "related",
            "reportingComponent",
            "reportingInstance",
        ],
        ("events.k8s.io", "events") => &[
            "eventTime",
            "series",
            "reportingController",
            "reportingInstance",
            "action",
            "reason",
            "regarding",
            "related",
            "note",
            "type",
            "deprecatedSource",
            "deprecatedFirstTimestamp",
            "deprecatedLastTimestamp",
            "deprecatedCount",
        ],
        ("apps", "controllerrevisions") => &["data", "revision"],
        ("discovery.k8s.io", "endpointslices") => &["addressType", "endpoints", "ports"],
        _ => &["spec", "status"],
    })
}

struct Walker<'a> {
    unknown: &'a mut Vec<String>,
}

impl Walker<'_> {
    fn object(&mut self, v: Option<&Value>, path: &str, known: &[&str]) {
        let Some(map) = v.and_then(Value::as_object) else {
            return;
        };
        for k in map.keys() {
            if !known.contains(&k.as_str()) {
                self.unknown.push(if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                });
            }
        }
    }

    fn pod_spec(&mut self, v: Option<&Value>, path: &str) {
        self.object(v, path, POD_SPEC);
        for list in ["containers", "initContainers"] {
            let items = v.and_then(|s| s.get(list)).and_then(Value::as_array);
            for (i, c) in items.into_iter().flatten().enumerate() {
                self.object(Some(c), &format!("{path}.{list}[{i}]"), CONTAINER);
            }
        }
    }

    fn template(&mut self, v: Option<&Value>, path: &str) {
        self.object(v, path, TEMPLATE);
        self.object(
            v.and_then(|t| t.get("metadata")),
            &format!("{path}.metadata"),
            OBJECT_META,
        );
        self.pod_spec(v.and_then(|t| t.get("spec")), &format!("{path}.spec"));
    }
}

/// Under `strict`, refuses an object with fields its kind does not declare (in the parts modelled here).
pub fn check(resource: &Resource, obj: &Value, strict: bool) -> ApiResult<()> {
    if !strict {
        return Ok(());
    }
    let mut unknown = Vec::new();
    let mut w = Walker {
        unknown: &mut unknown,
    };
    if let Some(fields) = top_level(resource) {
        let mut known = vec!["apiVersion", "kind", "metadata"];
        known.extend_from_slice(fields);
        w.object(Some(obj), "", &known);
    }
    w.object(obj.get("metadata"), "metadata", OBJECT_META);
    let spec = obj.get("spec");
    match (resource.group, resource.plural) {
        ("", "pods") => w.pod_spec(spec, "spec"),
        ("", "services") => w.object(spec, "spec", SERVICE_SPEC),
        ("apps", "deployments") => {
            w.object(spec, "spec", DEPLOYMENT_SPEC);
            w.template(spec.and_then(|s| s.get("template")), "spec.template");
        }
        ("apps", "replicasets" | "daemonsets" | "statefulsets")
        | ("", "replicationcontrollers")
        | ("batch", "jobs") => {
            w.template(spec.and_then(|s| s.get("template")), "spec.template");
        }
        ("batch", "cronjobs") => {
            w.template(
                spec.and_then(|s| s.pointer("/jobTemplate/spec/template")),
                "spec.jobTemplate.spec.template",
            );
        }
        _ => {}
    }
    if unknown.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = unknown
        .iter()
        .map(|f| format!("unknown field {f:?}"))
        .collect();
    Err(ApiError::bad_request(format!(
        "strict decoding error: {}",
        list.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_unknown_fields_with_their_paths() {
        let Some(deploy) = kyb_api::registry::lookup("apps", "v1", "deployments") else {
            panic!("no deployments")
        };
        let obj = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","lables":{}},
            "spec":{"template":{"spec":{"containers":[{"name":"a","imagee":"b"}]}}}});
        let Err(ApiError(s)) = check(deploy, &obj, true) else {
            panic!("accepted")
        };
        assert_eq!(s.code, 400);
        assert_eq!(s.message, "strict decoding error: unknown field \"metadata.lables\", unknown field \"spec.template.spec.containers[0].imagee\"");
        assert!(check(deploy, &obj, false).is_ok());
    }
}
