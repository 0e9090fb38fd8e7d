//! Validation of workload controllers, Services, ConfigMaps and Secrets (split from `validation.rs` for size).

use super::{
    config_key, dns1123_label, dns1123_subdomain, go_quote, go_selector, go_string_map, go_value,
    immutable, join, nonnegative, pod, port_num, port_or_name, selector_is_empty, selector_matches,
    validate_labels, validate_selector, Errs,
};
use serde_json::Value;
use std::collections::BTreeSet;

pub(super) fn apps_workload(e: &mut Errs, plural: &str, spec: &Value, old_spec: Option<&Value>) {
    let (what, kind) = match plural {
        "deployments" => ("deployment", "Deployment"),
        "replicasets" => ("deployment", "ReplicaSet"), // Kubernetes reuses the Deployment wording here.
        "daemonsets" => ("daemonset", "DaemonSet"),
        _ => ("statefulset", "StatefulSet"),
    };
    if plural != "daemonsets" {
        nonnegative(e, spec, "replicas", "spec");
    }
    nonnegative(e, spec, "minReadySeconds", "spec");
    nonnegative(e, spec, "revisionHistoryLimit", "spec");
    match spec.get("selector").filter(|s| !s.is_null()) {
        None => e.required("spec.selector", ""),
        Some(sel) if !sel.is_object() => e.type_err("spec.selector", sel, "object"),
        Some(sel) => {
            validate_selector(e, sel, "spec.selector");
            if selector_is_empty(sel) {
                e.invalid(
                    "spec.selector",
                    &go_selector(sel),
                    &format!("empty selector is invalid for {what}"),
                );
            } else {
                let labels = spec.pointer("/template/metadata/labels");
                if !selector_matches(sel, labels) {
                    e.invalid(
                        "spec.template.metadata.labels",
                        &go_string_map(labels),
                        "`selector` does not match template `labels`",
                    );
                }
            }
        }
    }
    workload_template(e, spec, "spec.template", kind);
    match plural {
        "deployments" => {
            let st = spec.get("strategy").unwrap_or(&Value::Null);
            match e.str(st, "type", "spec.strategy") {
                "Recreate" if st.get("rollingUpdate").is_some_and(|r| !r.is_null()) => e.forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                ),
                "Recreate" | "RollingUpdate" => {}
                "" => e.required("spec.strategy.type", ""),
                other => {
                    e.not_supported("spec.strategy.type", other, &["Recreate", "RollingUpdate"])
                }
            }
            nonnegative(e, spec, "progressDeadlineSeconds", "spec");
            let pds = spec.get("progressDeadlineSeconds").and_then(Value::as_i64);
            let mrs = spec
                .get("minReadySeconds")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if let Some(p) = pds.filter(|p| *p <= mrs) {
                e.invalid(
                    "spec.progressDeadlineSeconds",
                    &p.to_string(),
                    "must be greater than minReadySeconds",
                );
            }
        }
        "daemonsets" | "statefulsets" => {
            let st = spec.get("updateStrategy").unwrap_or(&Value::Null);
            match e.str(st, "type", "spec.updateStrategy") {
                "OnDelete" | "RollingUpdate" => {}
                "" => e.required("spec.updateStrategy.type", ""),
                other => e.not_supported(
                    "spec.updateStrategy.type",
                    other,
                    &["OnDelete", "RollingUpdate"],
                ),
            }
            if plural == "statefulsets" {
                match e.str(spec, "podManagementPolicy", "spec") {
                    "OrderedReady" | "Parallel" => {}
                    "" => e.required("spec.podManagementPolicy", ""),
                    other => e.not_supported(
                        "spec.podManagementPolicy",
                        other,
                        &["OrderedReady", "Parallel"],
                    ),
                }
            }
        }
        _ => {}
    }
    let Some(old) = old_spec else { return };
    immutable(
        e,
        spec.get("selector"),
        old.get("selector"),
        "spec.selector",
        go_selector,
    );
    if plural == "statefulsets" {
        // Only these StatefulSet spec fields may change after creation.
        let strip = |s: &Value| {
            let mut s = s.as_object().cloned().unwrap_or_default();
            for k in [
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            ] {
                s.remove(k);
            }
            s
        };
        if strip(spec) != strip(old) {
            e.forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
        }
    }
}

/// Pod template checks shared by controllers whose pods must run forever.
fn workload_template(e: &mut Errs, spec: &Value, path: &str, kind: &str) {
    let Some(tmpl) = spec.get("template").filter(|t| !t.is_null()) else {
        e.required(path, "");
        return;
    };
    pod::pod_template(e, tmpl, path);
    let ps = tmpl.get("spec").unwrap_or(&Value::Null);
    let rp = ps
        .get("restartPolicy")
        .and_then(Value::as_str)
        .unwrap_or("");
    if rp != "Always" {
        e.not_supported(&format!("{path}.spec.restartPolicy"), rp, &["Always"]);
    }
    if ps
        .get("activeDeadlineSeconds")
        .is_some_and(|v| !v.is_null())
    {
        let f = format!("{path}.spec.activeDeadlineSeconds");
        if kind == "ReplicaSet" || kind == "Deployment" {
            let v = go_value(&ps["activeDeadlineSeconds"]);
            e.invalid(
                &f,
                &v,
                "activeDeadlineSeconds in ReplicaSet is not Supported",
            );
        } else {
            e.forbidden(
                &f,
                &format!("activeDeadlineSeconds in {kind} is not Supported"),
            );
        }
    }
}

pub(super) fn replication_controller(e: &mut Errs, spec: &Value) {
    nonnegative(e, spec, "replicas", "spec");
    nonnegative(e, spec, "minReadySeconds", "spec");
    let selector: Vec<(&str, &str)> = e.str_map(spec, "selector", "spec");
    if selector.is_empty() {
        e.required("spec.selector", "");
    } else {
        validate_labels(e, spec, "selector", "spec");
        let labels = spec.pointer("/template/metadata/labels");
        let ok = selector
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(*k)).and_then(Value::as_str) == Some(*v));
        if !ok {
            e.invalid(
                "spec.template.metadata.labels",
                &go_string_map(labels),
                "`selector` does not match template `labels`",
            );
        }
    }
    workload_template(e, spec, "spec.template", "ReplicationController");
}

pub(super) fn job(e: &mut Errs, spec: &Value, path: &str, old_spec: Option<&Value>) {
    for k in [
        "parallelism",
        "completions",
        "backoffLimit",
        "activeDeadlineSeconds",
        "ttlSecondsAfterFinished",
    ] {
        nonnegative(e, spec, k, path);
    }
    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    match spec.get("selector").filter(|s| !s.is_null()) {
        None if manual => e.required(&join(path, "selector"), ""),
        None => {}
        Some(sel) => {
            let sp = join(path, "selector");
            validate_selector(e, sel, &sp);
            let labels = spec.pointer("/template/metadata/labels");
            if !selector_is_empty(sel) && !selector_matches(sel, labels) {
                e.invalid(
                    &format!("{path}.template.metadata.labels"),
                    &go_string_map(labels),
                    "`selector` does not match template `labels`",
                );
            }
        }
    }
    match e.str(spec, "completionMode", path) {
        "" | "NonIndexed" => {}
        "Indexed" => {
            if spec.get("completions").is_none_or(Value::is_null) {
                e.required(
                    &join(path, "completions"),
                    "when completion mode is Indexed",
                );
            }
        }
        other => e.not_supported(
            &join(path, "completionMode"),
            other,
            &["NonIndexed", "Indexed"],
        ),
    }
    let tp = join(path, "template");
    let Some(tmpl) = spec.get("template").filter(|t| !t.is_null()) else {
        e.required(&tp, "");
        return;
    };
    pod::pod_template(e, tmpl, &tp);
    // Job templates are not defaulted to Always, so a missing policy reads as the API's implicit "Always".
    let rp = tmpl
        .pointer("/spec/restartPolicy")
        .and_then(Value::as_str)
        .unwrap_or("Always");
    if rp != "OnFailure" && rp != "Never" {
        e.not_supported(
            &format!("{tp}.spec.restartPolicy"),
            rp,
            &["OnFailure", "Never"],
        );
    }
    let Some(old) = old_spec else { return };
    immutable(
        e,
        spec.get("selector"),
        old.get("selector"),
        &join(path, "selector"),
        go_selector,
    );
    immutable(
        e,
        spec.get("completionMode"),
        old.get("completionMode"),
        &join(path, "completionMode"),
        go_value,
    );
    // The template may only change while the Job is suspended (so no pods exist from the old one).
    let suspended = old.get("suspend").and_then(Value::as_bool) == Some(true);
    if !suspended {
        immutable(e, spec.get("template"), old.get("template"), &tp, |v| {
            v.to_string()
        });
    }
}

pub(super) fn cron_job(e: &mut Errs, spec: &Value) {
    let schedule = e.str(spec, "schedule", "spec");
    if schedule.is_empty() {
        e.required("spec.schedule", "");
    } else if schedule.contains("TZ") {
        e.invalid(
            "spec.schedule",
            &go_quote(schedule),
            "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
        );
    } else if let Err(why) = crate::cron::parse(schedule, None) {
        e.invalid("spec.schedule", &go_quote(schedule), &why);
    }
    let zone = e.str(spec, "timeZone", "spec");
    if !zone.is_empty() && crate::cron::zone(zone).is_err() {
        e.invalid(
            "spec.timeZone",
            &go_quote(zone),
            &format!("unknown time zone {zone}"),
        );
    }
    match e.str(spec, "concurrencyPolicy", "spec") {
        "Allow" | "Forbid" | "Replace" => {}
        "" => e.required("spec.concurrencyPolicy", ""),
        other => e.not_supported(
            "spec.concurrencyPolicy",
            other,
            &["Allow", "Forbid", "Replace"],
        ),
    }
    for k in [
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
    ] {
        nonnegative(e, spec, k, "spec");
    }
    let jt = spec.get("jobTemplate").unwrap_or(&Value::Null);
    validate_labels(e, jt, "labels", "spec.jobTemplate.metadata");
    let js = jt.get("spec").unwrap_or(&Value::Null);
    job(e, js, "spec.jobTemplate.spec", None);
}

// ---------------------------------------------------------------------------------------------
// Services, ConfigMaps, Secrets.

/// `ValidateNonSpecialIP`, less its loopback rule: an address traffic may be sent to.
fn non_special_ip(e: &mut Errs, field: &str, ip: &str) {
    let Ok(parsed) = ip.parse::<std::net::IpAddr>() else {
        e.invalid(field, &go_quote(ip), "must be a valid IP address");
        return;
    };
    let (link_local, link_local_multicast) = match parsed {
        std::net::IpAddr::V4(a) => (a.is_link_local(), a.octets()[..3] == [224, 0, 0]),
        std::net::IpAddr::V6(a) => (
            a.segments()[0] & 0xffc0 == 0xfe80,
            a.segments()[0] & 0xff0f == 0xff02,
        ),
    };
    let value = go_quote(ip);
    if parsed.is_unspecified() {
        e.invalid(field, &value, &format!("may not be unspecified ({ip})"));
    }
    // Kubernetes refuses loopback addresses too; here process-runtime pods live on 127.0.0.1, and
    // Endpoints written by hand may name a server on the node's loopback.
    if link_local {
        e.invalid(
            field,
            &value,
            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        );
    }
    if link_local_multicast {
        e.invalid(
            field,
            &value,
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        );
    }
}

/// Endpoints, as `ValidateEndpoints`: every subset has addresses, every address is one traffic may be sent
/// to, every port is a port.
pub(super) fn endpoints(e: &mut Errs, obj: &Value) {
    for (i, subset) in e.arr(obj, "subsets", "").iter().enumerate() {
        let path = format!("subsets[{i}]");
        let ready = e.arr(subset, "addresses", &path);
        let not_ready = e.arr(subset, "notReadyAddresses", &path);
        if ready.is_empty() && not_ready.is_empty() {
            e.required(&path, "must specify `addresses` or `notReadyAddresses`");
        }
        for (field, list) in [("addresses", ready), ("notReadyAddresses", not_ready)] {
            for (j, a) in list.iter().enumerate() {
                let p = format!("{path}.{field}[{j}]");
                let ip = e.str(a, "ip", &p);
                non_special_ip(e, &format!("{p}.ip"), ip);
            }
        }
        let ports = e.arr(subset, "ports", &path);
        for (j, port) in ports.iter().enumerate() {
            let pp = format!("{path}.ports[{j}]");
            let n = e.int(port, "port", &pp).unwrap_or(0);
            e.invalid_all(&format!("{pp}.port"), &n.to_string(), port_num(n));
            match e.str(port, "protocol", &pp) {
                "TCP" | "UDP" | "SCTP" | "" => {}
                other => e.not_supported(&format!("{pp}.protocol"), other, &["SCTP", "TCP", "UDP"]),
            }
        }
    }
}

pub(super) fn service(e: &mut Errs, spec: &Value, old_spec: Option<&Value>) {
    let ty = e.str(spec, "type", "spec");
    let cluster_ip = e.str(spec, "clusterIP", "spec");
    let headless = cluster_ip == "None";
    match ty {
        "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName" => {}
        "" => e.required("spec.type", ""),
        other => e.not_supported(
            "spec.type",
            other,
            &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
        ),
    }
    if ty == "ExternalName" {
        let ext = e.str(spec, "externalName", "spec");
        if ext.is_empty() {
            e.required("spec.externalName", "");
        } else {
            e.invalid_all(
                "spec.externalName",
                &go_quote(ext),
                dns1123_subdomain(ext.trim_end_matches('.')),
            );
        }
        if !cluster_ip.is_empty() && !headless {
            e.forbidden(
                "spec.clusterIPs",
                "may not be set for ExternalName services",
            );
        }
    } else if !cluster_ip.is_empty() && !headless && cluster_ip.parse::<std::net::IpAddr>().is_err()
    {
        e.invalid(
            "spec.clusterIPs[0]",
            &go_quote(cluster_ip),
            "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
        );
    }
    let ports = e.arr(spec, "ports", "spec");
    if ports.is_empty() && !headless && ty != "ExternalName" {
        e.required("spec.ports", "");
    }
    let mut names = BTreeSet::new();
    let mut node_ports = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let pp = format!("spec.ports[{i}]");
        let name = e.str(p, "name", &pp);
        if ports.len() > 1 && name.is_empty() {
            e.required(&format!("{pp}.name"), "");
        } else if !name.is_empty() {
            e.invalid_all(&format!("{pp}.name"), &go_quote(name), dns1123_label(name));
            if !names.insert(name) {
                e.duplicate(&format!("{pp}.name"), &go_quote(name));
            }
        }
        let port = e.int(p, "port", &pp).unwrap_or(0);
        e.invalid_all(&format!("{pp}.port"), &port.to_string(), port_num(port));
        match e.str(p, "protocol", &pp) {
            "TCP" | "UDP" | "SCTP" => {}
            "" => e.required(&format!("{pp}.protocol"), ""),
            other => e.not_supported(&format!("{pp}.protocol"), other, &["SCTP", "TCP", "UDP"]),
        }
        port_or_name(e, p.get("targetPort"), &format!("{pp}.targetPort"));
        if let Some(np) = e.int(p, "nodePort", &pp).filter(|n| *n != 0) {
            let f = format!("{pp}.nodePort");
            // The range is the allocator's to check (it is `--service-node-port-range`), as in kube.
            if ty != "NodePort" && ty != "LoadBalancer" {
                e.forbidden(&f, &format!("may not be used when `type` is '{ty}'"));
            } else if !node_ports.insert((
                np,
                p.get("protocol").and_then(Value::as_str).unwrap_or("TCP"),
            )) {
                e.duplicate(&f, &np.to_string());
            }
        }
    }
    validate_labels(e, spec, "selector", "spec");
    match e.str(spec, "sessionAffinity", "spec") {
        "None" | "ClientIP" => {}
        "" => e.required("spec.sessionAffinity", ""),
        other => e.not_supported("spec.sessionAffinity", other, &["ClientIP", "None"]),
    }
    for k in ["externalTrafficPolicy", "internalTrafficPolicy"] {
        match e.str(spec, k, "spec") {
            "" | "Cluster" | "Local" => {}
            other => e.not_supported(&join("spec", k), other, &["Cluster", "Local"]),
        }
    }
    let etp = e.str(spec, "externalTrafficPolicy", "spec");
    if !etp.is_empty() && ty != "NodePort" && ty != "LoadBalancer" {
        e.invalid(
            "spec.externalTrafficPolicy",
            &go_quote(etp),
            "may only be set for externally-accessible services",
        );
    }
    match e.str(spec, "ipFamilyPolicy", "spec") {
        "" | "SingleStack" | "PreferDualStack" | "RequireDualStack" => {}
        other => e.not_supported(
            "spec.ipFamilyPolicy",
            other,
            &["PreferDualStack", "RequireDualStack", "SingleStack"],
        ),
    }
    let Some(old) = old_spec else { return };
    let old_ip = old.get("clusterIP").and_then(Value::as_str).unwrap_or("");
    let old_ty = old.get("type").and_then(Value::as_str).unwrap_or("");
    // An empty new clusterIP means "keep the allocated one"; the caller carries it over.
    if old_ty != "ExternalName"
        && ty != "ExternalName"
        && !old_ip.is_empty()
        && !cluster_ip.is_empty()
        && old_ip != cluster_ip
    {
        e.invalid(
            "spec.clusterIP",
            &go_quote(cluster_ip),
            "field is immutable",
        );
    }
}

const MAX_DATA_SIZE: usize = 1024 * 1024;

/// kube's ValidateStorageClass and, given the stored class, ValidateStorageClassUpdate.
pub(super) fn storage_class(e: &mut Errs, obj: &Value, old: Option<&Value>) {
    let provisioner = e.str(obj, "provisioner", "provisioner");
    if provisioner.is_empty() {
        e.required("provisioner", "");
    } else {
        let lower = provisioner.to_lowercase();
        e.invalid_all(
            "provisioner",
            &go_quote(&lower),
            super::qualified_name(&lower),
        );
    }
    let policy = e.str(obj, "reclaimPolicy", "reclaimPolicy");
    if !policy.is_empty() && !["Delete", "Retain"].contains(&policy) {
        e.not_supported("reclaimPolicy", policy, &["Delete", "Retain"]);
    }
    let mode = e.str(obj, "volumeBindingMode", "volumeBindingMode");
    let modes = ["Immediate", "WaitForFirstConsumer"];
    if mode.is_empty() {
        e.required("volumeBindingMode", "");
    } else if !modes.contains(&mode) {
        e.not_supported("volumeBindingMode", mode, &modes);
    }
    let Some(old) = old else { return };
    let field = |o: &Value, f: &str| o.get(f).filter(|v| !v.is_null()).cloned();
    for (f, what) in [
        ("parameters", "parameters"),
        ("provisioner", "provisioner"),
        ("reclaimPolicy", "reclaimPolicy"),
    ] {
        if field(obj, f) != field(old, f) {
            e.forbidden(f, &format!("updates to {what} are forbidden."));
        }
    }
    if field(obj, "volumeBindingMode") != field(old, "volumeBindingMode") {
        e.invalid("volumeBindingMode", &go_quote(mode), "field is immutable");
    }
}

pub(super) fn config_map(e: &mut Errs, obj: &Value) {
    let mut total = 0;
    let data = e.str_map(obj, "data", "");
    for (k, v) in &data {
        e.invalid_all(&format!("data[{k}]"), &go_quote(k), config_key(k));
        total += v.len();
    }
    for (k, v) in e.str_map(obj, "binaryData", "") {
        e.invalid_all(&format!("binaryData[{k}]"), &go_quote(k), config_key(k));
        if data.iter().any(|(d, _)| *d == k) {
            e.invalid(
                &format!("binaryData[{k}]"),
                &go_quote(k),
                "duplicate of key present in data",
            );
        }
        total += decoded_len(v);
    }
    if total > MAX_DATA_SIZE {
        e.too_long("", MAX_DATA_SIZE);
    }
}

/// Size of base64 data once decoded (the API stores bytes; JSON carries base64).
fn decoded_len(b64: &str) -> usize {
    let pad = b64.bytes().rev().take_while(|&c| c == b'=').count();
    (b64.len() / 4 * 3).saturating_sub(pad)
}

pub(super) fn secret(e: &mut Errs, obj: &Value, old: Option<&Value>) {
    let mut total = 0;
    let data = e.str_map(obj, "data", "");
    for (k, v) in &data {
        e.invalid_all(&format!("data[{k}]"), &go_quote(k), config_key(k));
        total += decoded_len(v);
    }
    for (k, v) in e.str_map(obj, "stringData", "") {
        e.invalid_all(&format!("stringData[{k}]"), &go_quote(k), config_key(k));
        total += v.len();
    }
    if total > MAX_DATA_SIZE {
        e.too_long("data", MAX_DATA_SIZE);
    }
    let has = |k: &str| {
        data.iter().any(|(d, _)| *d == k) || obj.get("stringData").and_then(|s| s.get(k)).is_some()
    };
    let ty = e.str(obj, "type", "");
    let required: &[&str] = match ty {
        "kubernetes.io/tls" => &["tls.crt", "tls.key"],
        "kubernetes.io/dockerconfigjson" => &[".dockerconfigjson"],
        "kubernetes.io/dockercfg" => &[".dockercfg"],
        "kubernetes.io/ssh-auth" => &["ssh-privatekey"],
        _ => &[],
    };
    for k in required {
        if !has(k) {
            e.required(&format!("data[{k}]"), "");
        }
    }
    if let Some(old) = old {
        immutable(e, obj.get("type"), old.get("type"), "type", go_value);
        if old.get("immutable").and_then(Value::as_bool) == Some(true)
            && obj.get("data") != old.get("data")
        {
            e.forbidden("data", "field is immutable when `immutable` is set");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{message, test_support::*, validate};
    use serde_json::{json, Value};

    #[test]
    fn workloads() {
        let c = run(
            "apps",
            "deployments",
            deployment(json!({"matchLabels": {"app": "y"}}), json!({"app": "x"})),
        );
        assert_eq!(texts(&c), vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`"]);
        assert_eq!(
            message("Deployment", "apps", "web", &c),
            "Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`"
        );
        let mut d = deployment(Value::Null, json!({"app": "x"}));
        d["spec"]["replicas"] = json!(-1);
        let c = run("apps", "deployments", d);
        assert_eq!(
            texts(&c),
            vec![
                "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
                "spec.selector: Required value"
            ]
        );
        assert_eq!(message("Deployment", "apps", "web", &c), "Deployment.apps \"web\" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.selector: Required value]");
        let mut old = deployment(
            json!({"matchLabels": {"app": "x"}}),
            json!({"app": "x", "v": "1"}),
        );
        let mut new = deployment(
            json!({"matchLabels": {"app": "x", "v": "1"}}),
            json!({"app": "x", "v": "1"}),
        );
        super::super::super::defaults::apply("apps", "deployments", &mut old);
        super::super::super::defaults::apply("apps", "deployments", &mut new);
        let c = validate("apps", "deployments", &new, Some(&old));
        assert_eq!(texts(&c), vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"x\", \"v\":\"1\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"]);
        let mut ds = deployment(json!({"matchLabels": {"app": "x"}}), json!({"app": "x"}));
        ds["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
        let c = run("apps", "daemonsets", ds);
        assert_eq!(texts(&c), vec!["spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""]);
        let job = json!({"metadata": {"name": "j"}, "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "b"}]}}}});
        let c = run("batch", "jobs", job);
        assert_eq!(texts(&c), vec!["spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""]);
        let cj = json!({"metadata": {"name": "c"}, "spec": {"schedule": "* * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "b"}]}}}}}});
        let c = run("batch", "cronjobs", cj);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "spec.schedule");
        let rc = json!({"metadata": {"name": "r"}, "spec": {"selector": {"a": "b"}, "template": {"metadata": {"labels": {"a": "c"}},
            "spec": {"containers": [{"name": "c", "image": "b"}]}}}});
        assert_eq!(run("", "replicationcontrollers", rc).len(), 1);
    }

    #[test]
    fn endpoints_name_addresses_traffic_may_go_to() {
        let ep = json!({"metadata": {"name": "e"}, "subsets": [
            {"addresses": [{"ip": "127.0.0.1"}, {"ip": "10.0.0.1"}], "notReadyAddresses": [{"ip": "bogus"}],
             "ports": [{"port": 70000}, {"port": 80, "protocol": "HTTP"}]},
            {"ports": [{"port": 80}]},
            {"addresses": [{"ip": "169.254.1.1"}, {"ip": "0.0.0.0"}, {"ip": "224.0.0.5"}]}]});
        assert_eq!(texts(&run("", "endpoints", ep)), vec![
            "subsets[0].notReadyAddresses[0].ip: Invalid value: \"bogus\": must be a valid IP address",
            "subsets[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "subsets[0].ports[1].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`",
            "subsets[2].addresses[0].ip: Invalid value: \"169.254.1.1\": may not be in the link-local range (169.254.0.0/16, fe80::/10)",
            "subsets[2].addresses[1].ip: Invalid value: \"0.0.0.0\": may not be unspecified (0.0.0.0)",
            "subsets[2].addresses[2].ip: Invalid value: \"224.0.0.5\": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        ]);
    }

    #[test]
    fn services_configmaps_secrets() {
        let svc = json!({"metadata": {"name": "s"}, "spec": {"type": "Weird", "ports": [{"port": 80, "nodePort": 80}, {"port": 0, "name": "a"}]}});
        let got = texts(&run("", "services", svc));
        assert_eq!(got, vec![
            "spec.type: Unsupported value: \"Weird\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
            "spec.ports[0].name: Required value",
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'Weird'",
            "spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
        ]);
        // Out of range is the allocator's error, not validation's.
        let np = json!({"metadata": {"name": "s"}, "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 80}]}});
        assert!(run("", "services", np).is_empty());
        assert!(run(
            "",
            "services",
            json!({"metadata": {"name": "h"}, "spec": {"clusterIP": "None"}})
        )
        .is_empty());
        assert!(run("", "services", json!({"metadata": {"name": "h"}, "spec": {"type": "ExternalName", "externalName": "a.b"}})).is_empty());
        let old = json!({"metadata": {"name": "s"}, "spec": {"clusterIP": "10.0.0.1", "type": "ClusterIP", "ports": [{"port": 80}]}});
        let mut new = old.clone();
        new["spec"]["clusterIP"] = json!("10.0.0.2");
        super::super::super::defaults::apply("", "services", &mut new);
        assert_eq!(
            texts(&validate("", "services", &new, Some(&old))),
            vec!["spec.clusterIP: Invalid value: \"10.0.0.2\": field is immutable"]
        );
        let cm = json!({"metadata": {"name": "c"}, "data": {"bad key": "v", "ok.key": "v"}});
        assert_eq!(texts(&run("", "configmaps", cm)), vec!["data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]);
        let big = "A".repeat(1024 * 1024 * 2);
        let s = json!({"metadata": {"name": "s"}, "data": {"k": big}});
        assert_eq!(
            texts(&run("", "secrets", s)),
            vec!["data: Too long: must have at most 1048576 bytes"]
        );
    }
}
