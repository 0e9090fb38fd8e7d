//! Pod spec validation (pods and every workload's pod template), split out of `validation.rs` for size.

use super::{
    dns1123_label, dns1123_subdomain, go_quote, go_value, join, port_name, port_num, port_or_name,
    validate_annotations, validate_labels, Errs,
};
use serde_json::Value;
use std::collections::BTreeSet;

/// Validates a `PodTemplateSpec` at `path` (e.g. "spec.template").
pub(super) fn pod_template(e: &mut Errs, tmpl: &Value, path: &str) {
    if !tmpl.is_object() {
        e.type_err(path, tmpl, "object");
        return;
    }
    let mp = join(path, "metadata");
    let meta = tmpl.get("metadata").cloned().unwrap_or(Value::Null);
    if !meta.is_null() && !meta.is_object() {
        e.type_err(&mp, &meta, "object");
    } else {
        validate_labels(e, &meta, "labels", &mp);
        validate_annotations(e, &meta, "annotations", &mp);
    }
    let sp = join(path, "spec");
    let spec = tmpl.get("spec").unwrap_or(&Value::Null);
    pod_spec(e, spec, &sp);
    if spec
        .get("ephemeralContainers")
        .is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()))
    {
        e.forbidden(
            &join(&sp, "ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        );
    }
}

/// Validates a `PodSpec` at `path` (e.g. "spec" or "spec.template.spec").
pub(super) fn pod_spec(e: &mut Errs, spec: &Value, path: &str) {
    if !spec.is_null() && !spec.is_object() {
        e.type_err(path, spec, "object");
        return;
    }
    let volumes = volumes(e, spec, path);
    let host_network = spec.get("hostNetwork").and_then(Value::as_bool) == Some(true);
    let containers = e.arr(spec, "containers", path);
    if containers.is_empty() {
        e.required(&join(path, "containers"), "");
    }
    let mut names = BTreeSet::new();
    for (i, c) in containers.iter().enumerate() {
        container(
            e,
            c,
            &format!("{path}.containers[{i}]"),
            &volumes,
            &mut names,
            None,
            host_network,
        );
    }
    for (i, c) in e.arr(spec, "initContainers", path).iter().enumerate() {
        let sidecar = c.get("restartPolicy").and_then(Value::as_str) == Some("Always");
        container(
            e,
            c,
            &format!("{path}.initContainers[{i}]"),
            &volumes,
            &mut names,
            Some(sidecar),
            host_network,
        );
    }
    match e.str(spec, "restartPolicy", path) {
        "" | "Always" | "OnFailure" | "Never" => {}
        other => e.not_supported(
            &join(path, "restartPolicy"),
            other,
            &["Always", "OnFailure", "Never"],
        ),
    }
    match e.str(spec, "dnsPolicy", path) {
        "" | "ClusterFirst" | "ClusterFirstWithHostNet" | "Default" | "None" => {}
        other => e.not_supported(
            &join(path, "dnsPolicy"),
            other,
            &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"],
        ),
    }
    if let Some(ads) = e.int(spec, "activeDeadlineSeconds", path) {
        if !(1..=i32::MAX as i64).contains(&ads) {
            e.invalid(
                &join(path, "activeDeadlineSeconds"),
                &ads.to_string(),
                "must be between 1 and 2147483647, inclusive",
            );
        }
    }
    validate_labels(e, spec, "nodeSelector", path);
    let sa = e.str(spec, "serviceAccountName", path);
    if !sa.is_empty() {
        e.invalid_all(
            &join(path, "serviceAccountName"),
            &go_quote(sa),
            dns1123_subdomain(sa),
        );
    }
    for key in ["hostname", "subdomain"] {
        let v = e.str(spec, key, path);
        if !v.is_empty() {
            e.invalid_all(&join(path, key), &go_quote(v), dns1123_label(v));
        }
    }
    for (i, t) in e.arr(spec, "tolerations", path).iter().enumerate() {
        let tp = format!("{path}.tolerations[{i}]");
        match e.str(t, "operator", &tp) {
            "" | "Equal" | "Exists" => {}
            other => e.not_supported(&join(&tp, "operator"), other, &["Equal", "Exists"]),
        }
        match e.str(t, "effect", &tp) {
            "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute" => {}
            other => e.not_supported(
                &join(&tp, "effect"),
                other,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            ),
        }
    }
}

/// Validates volumes and returns their names, which volume mounts must refer to.
fn volumes(e: &mut Errs, spec: &Value, path: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, v) in e.arr(spec, "volumes", path).iter().enumerate() {
        let vp = format!("{path}.volumes[{i}]");
        if !v.is_object() {
            e.type_err(&vp, v, "object");
            continue;
        }
        let sources: Vec<&str> = super::super::defaults::volume_sources()
            .iter()
            .copied()
            .filter(|k| v.get(*k).is_some_and(|x| !x.is_null()))
            .collect();
        match sources.as_slice() {
            [] => e.required(&vp, "must specify a volume type"),
            [_] => {}
            [_, second, ..] => e.forbidden(
                &join(&vp, second),
                "may not specify more than 1 volume type",
            ),
        }
        let name = e.str(v, "name", &vp);
        let np = join(&vp, "name");
        if name.is_empty() {
            e.required(&np, "");
        } else {
            e.invalid_all(&np, &go_quote(name), dns1123_label(name));
        }
        if !names.insert(name.to_string()) {
            e.duplicate(&np, &go_quote(name));
        }
        for key in ["configMap", "secret"] {
            if let Some(src) = v.get(key).filter(|s| s.is_object()) {
                let sp = join(&vp, key);
                if let Some(mode) = e.int(src, "defaultMode", &sp) {
                    if !(0..=0o777).contains(&mode) {
                        e.invalid(
                            &join(&sp, "defaultMode"),
                            &mode.to_string(),
                            "must be a number between 0 and 0777 (octal), both inclusive",
                        );
                    }
                }
            }
        }
        if let Some(pvc) = v.get("persistentVolumeClaim").filter(|s| s.is_object()) {
            let pp = join(&vp, "persistentVolumeClaim");
            if e.str(pvc, "claimName", &pp).is_empty() {
                e.required(&join(&pp, "claimName"), "");
            }
        }
        if let Some(hp) = v.get("hostPath").filter(|s| s.is_object()) {
            let hpp = join(&vp, "hostPath");
            if e.str(hp, "path", &hpp).is_empty() {
                e.required(&join(&hpp, "path"), "");
            }
        }
    }
    names
}

/// Validates one container; `init` is `Some(is_sidecar)` for init containers.
fn container(
    e: &mut Errs,
    c: &Value,
    path: &str,
    volumes: &BTreeSet<String>,
    names: &mut BTreeSet<String>,
    init: Option<bool>,
    host_network: bool,
) {
    if !c.is_object() {
        e.type_err(path, c, "object");
        return;
    }
    let name = e.str(c, "name", path);
    let np = join(path, "name");
    if name.is_empty() {
        e.required(&np, "");
    } else {
        e.invalid_all(&np, &go_quote(name), dns1123_label(name));
        if !names.insert(name.to_string()) {
            e.duplicate(&np, &go_quote(name));
        }
    }
    let image = e.str(c, "image", path);
    if image.is_empty() {
        e.required(&join(path, "image"), "");
    } else if image.trim() != image {
        e.invalid(
            &join(path, "image"),
            &go_quote(image),
            "must not have leading or trailing whitespace",
        );
    }
    match e.str(c, "imagePullPolicy", path) {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => e.required(&join(path, "imagePullPolicy"), ""),
        other => e.not_supported(
            &join(path, "imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        ),
    }
    match e.str(c, "terminationMessagePolicy", path) {
        "File" | "FallbackToLogsOnError" => {}
        "" => e.required(&join(path, "terminationMessagePolicy"), ""),
        other => e.not_supported(
            &join(path, "terminationMessagePolicy"),
            other,
            &["File", "FallbackToLogsOnError"],
        ),
    }
    match (init, e.str(c, "restartPolicy", path)) {
        (_, "") => {}
        (Some(_), "Always") => {}
        (Some(_), other) => e.not_supported(&join(path, "restartPolicy"), other, &["Always"]),
        (None, _) => e.forbidden(
            &join(path, "restartPolicy"),
            "may not be set for non-init containers",
        ),
    }
    ports(e, c, path, host_network);
    env(e, c, path);
    mounts(e, c, path, volumes);
    resources(e, c, path);
    for (key, must_be_one) in [
        ("livenessProbe", true),
        ("readinessProbe", false),
        ("startupProbe", true),
    ] {
        let Some(p) = c.get(key).filter(|p| !p.is_null()) else {
            continue;
        };
        let pp = join(path, key);
        if init == Some(false) {
            e.forbidden(
                &pp,
                "may not be set for init containers without restartPolicy=Always",
            );
            continue;
        }
        probe(e, p, &pp, must_be_one);
    }
}

fn ports(e: &mut Errs, c: &Value, path: &str, host_network: bool) {
    let mut names = BTreeSet::new();
    for (i, p) in e.arr(c, "ports", path).iter().enumerate() {
        let pp = format!("{path}.ports[{i}]");
        let name = e.str(p, "name", &pp);
        if !name.is_empty() {
            let msgs = port_name(name);
            if !msgs.is_empty() {
                e.invalid_all(&join(&pp, "name"), &go_quote(name), msgs);
            } else if !names.insert(name) {
                e.duplicate(&join(&pp, "name"), &go_quote(name));
            }
        }
        let cp = e.int(p, "containerPort", &pp).unwrap_or(0);
        if cp == 0 {
            e.required(&join(&pp, "containerPort"), "");
        } else {
            e.invalid_all(&join(&pp, "containerPort"), &cp.to_string(), port_num(cp));
        }
        let hp = e.int(p, "hostPort", &pp).unwrap_or(0);
        if hp != 0 {
            e.invalid_all(&join(&pp, "hostPort"), &hp.to_string(), port_num(hp));
            if host_network && hp != cp {
                e.invalid(
                    &join(&pp, "containerPort"),
                    &cp.to_string(),
                    "must match `hostPort` when `hostNetwork` is true",
                );
            }
        }
        match e.str(p, "protocol", &pp) {
            "TCP" | "UDP" | "SCTP" => {}
            "" => e.required(&join(&pp, "protocol"), ""),
            other => e.not_supported(&join(&pp, "protocol"), other, &["SCTP", "TCP", "UDP"]),
        }
    }
}

fn env(e: &mut Errs, c: &Value, path: &str) {
    for (i, v) in e.arr(c, "env", path).iter().enumerate() {
        let ep = format!("{path}.env[{i}]");
        let name = e.str(v, "name", &ep);
        let np = join(&ep, "name");
        // Current (relaxed) rule: any printable ASCII except '='.
        if name.is_empty() {
            e.required(&np, "");
            e.invalid(&np, "\"\"", "environment variable name must be non-empty");
        } else if name
            .chars()
            .any(|ch| !(' '..='~').contains(&ch) || ch == '=')
        {
            e.invalid(&np, &go_quote(name), "a valid environment variable name must consist only of printable ASCII characters other than '='");
        }
        let Some(from) = v.get("valueFrom").filter(|f| !f.is_null()) else {
            continue;
        };
        let fp = join(&ep, "valueFrom");
        let n = [
            "fieldRef",
            "resourceFieldRef",
            "configMapKeyRef",
            "secretKeyRef",
            "fileKeyRef",
        ]
        .iter()
        .filter(|k| from.get(**k).is_some_and(|x| !x.is_null()))
        .count();
        if n == 0 {
            e.invalid(&fp, "\"\"", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
        } else if n > 1 {
            e.invalid(
                &fp,
                "\"\"",
                "may not have more than one field specified at a time",
            );
        }
        if !e.str(v, "value", &ep).is_empty() {
            e.invalid(
                &fp,
                "\"\"",
                "may not be specified when `value` is not empty",
            );
        }
        for key in ["configMapKeyRef", "secretKeyRef"] {
            if let Some(r) = from.get(key).filter(|r| r.is_object()) {
                let rp = join(&fp, key);
                if e.str(r, "key", &rp).is_empty() {
                    e.required(&join(&rp, "key"), "");
                }
            }
        }
        if let Some(r) = from.get("fieldRef").filter(|r| r.is_object()) {
            let rp = join(&fp, "fieldRef");
            if e.str(r, "fieldPath", &rp).is_empty() {
                e.required(&join(&rp, "fieldPath"), "");
            }
        }
    }
}

fn mounts(e: &mut Errs, c: &Value, path: &str, volumes: &BTreeSet<String>) {
    let mut paths = BTreeSet::new();
    for (i, m) in e.arr(c, "volumeMounts", path).iter().enumerate() {
        let mp = format!("{path}.volumeMounts[{i}]");
        let name = e.str(m, "name", &mp);
        if name.is_empty() {
            e.required(&join(&mp, "name"), "");
        }
        if !volumes.contains(name) {
            e.not_found(&join(&mp, "name"), &go_quote(name));
        }
        let mount_path = e.str(m, "mountPath", &mp);
        if mount_path.is_empty() {
            e.required(&join(&mp, "mountPath"), "");
        }
        if !paths.insert(mount_path) {
            e.invalid(
                &join(&mp, "mountPath"),
                &go_quote(mount_path),
                "must be unique",
            );
        }
        let sub = e.str(m, "subPath", &mp);
        if sub.starts_with('/') {
            e.invalid(
                &join(&mp, "subPath"),
                &go_quote(sub),
                "must be a relative path",
            );
        }
        if sub.split('/').any(|seg| seg == "..") {
            e.invalid(
                &join(&mp, "subPath"),
                &go_quote(sub),
                "must not contain '..'",
            );
        }
    }
}

fn probe(e: &mut Errs, p: &Value, path: &str, success_must_be_one: bool) {
    for k in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        if let Some(n) = e.int(p, k, path) {
            if n < 0 {
                e.invalid(
                    &join(path, k),
                    &n.to_string(),
                    "must be greater than or equal to 0",
                );
            }
        }
    }
    if success_must_be_one {
        if let Some(n) = p
            .get("successThreshold")
            .and_then(Value::as_i64)
            .filter(|n| *n != 1)
        {
            e.invalid(&join(path, "successThreshold"), &n.to_string(), "must be 1");
        }
    }
    let handlers: Vec<&str> = ["exec", "httpGet", "tcpSocket", "grpc"]
        .into_iter()
        .filter(|k| p.get(*k).is_some_and(|x| !x.is_null()))
        .collect();
    match handlers.as_slice() {
        [] => e.required(path, "must specify a handler type"),
        [_] => {}
        [_, second, ..] => e.forbidden(
            &join(path, second),
            "may not specify more than 1 handler type",
        ),
    }
    for k in ["httpGet", "tcpSocket"] {
        if let Some(h) = p.get(k).filter(|h| h.is_object()) {
            let hp = join(path, k);
            match h.get("port") {
                None | Some(Value::Null) => e.required(&join(&hp, "port"), ""),
                port => port_or_name(e, port, &join(&hp, "port")),
            }
        }
    }
}

/// Parses a resource quantity ("100m", "1Gi", "1e3") to a number, good enough for comparisons.
pub(super) fn parse_quantity(v: &Value) -> Option<f64> {
    let s = match v {
        Value::String(s) => s.as_str(),
        Value::Number(n) => return n.as_f64(),
        _ => return None,
    };
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let body = num.strip_prefix(['+', '-']).unwrap_or(num);
    if body.is_empty() || body.contains(['+', '-']) || body.matches('.').count() > 1 || body == "."
    {
        return None;
    }
    let n: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => 10f64.powi(exp[1..].parse::<i32>().ok()?),
        _ => return None,
    };
    Some(n * mult)
}

const QUANTITY_FORMAT: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

fn resources(e: &mut Errs, c: &Value, path: &str) {
    let rp = join(path, "resources");
    let Some(res) = e
        .obj(c, "resources", path)
        .map(|m| Value::Object(m.clone()))
    else {
        return;
    };
    let lp = join(&rp, "limits");
    let qp = join(&rp, "requests");
    let limits = e.obj(&res, "limits", &rp).cloned().unwrap_or_default();
    let requests = e.obj(&res, "requests", &rp).cloned().unwrap_or_default();
    let mut parsed_limits = std::collections::BTreeMap::new();
    for (name, q) in &limits {
        let fp = format!("{lp}[{name}]");
        resource_name(e, name, &fp);
        match parse_quantity(q) {
            None => e.invalid(&fp, &go_value(q), QUANTITY_FORMAT),
            Some(n) if n < 0.0 => {
                e.invalid(&fp, &quantity_text(q), "must be greater than or equal to 0")
            }
            Some(n) => {
                let raw = q.as_str().map_or_else(|| q.to_string(), str::to_string);
                parsed_limits.insert(name.as_str(), (n, raw));
            }
        }
    }
    for (name, q) in &requests {
        let fp = format!("{qp}[{name}]");
        resource_name(e, name, &fp);
        let Some(n) = parse_quantity(q) else {
            e.invalid(&fp, &go_value(q), QUANTITY_FORMAT);
            continue;
        };
        if n < 0.0 {
            e.invalid(&fp, &quantity_text(q), "must be greater than or equal to 0");
        }
        let overcommit = is_overcommit_allowed(name);
        match parsed_limits.get(name.as_str()) {
            Some((lim, text)) if !overcommit && n != *lim => e.invalid(
                &qp,
                &quantity_text(q),
                &format!("must be equal to {name} limit of {text}"),
            ),
            Some((lim, text)) if n > *lim => e.invalid(
                &qp,
                &quantity_text(q),
                &format!("must be less than or equal to {name} limit of {text}"),
            ),
            None if !overcommit && !limits.contains_key(name) => {
                e.required(&lp, "Limit must be set for non overcommitable resources")
            }
            _ => {}
        }
    }
}

/// Quantity as Go prints `Quantity.String()` inside quotes; we keep the user's spelling.
fn quantity_text(q: &Value) -> String {
    match q {
        Value::String(s) => go_quote(s),
        other => go_quote(&other.to_string()),
    }
}

fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

fn is_overcommit_allowed(name: &str) -> bool {
    is_native(name) && !name.starts_with("hugepages-")
}

fn resource_name(e: &mut Errs, name: &str, field: &str) {
    let standard =
        matches!(name, "cpu" | "memory" | "ephemeral-storage") || name.starts_with("hugepages-");
    if standard {
        return;
    }
    let msgs = super::qualified_name(name);
    if !msgs.is_empty() {
        e.invalid_all(field, &go_quote(name), msgs);
    } else if is_native(name) {
        e.invalid(
            field,
            &go_quote(name),
            "must be a standard resource for containers",
        );
    }
}

const POD_UPDATE_FORBIDDEN: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// Pod spec mutability on update: only the fields named in the real error message may change.
pub(super) fn pod_update(e: &mut Errs, new: &Value, old: &Value) {
    let old_ads = old.get("activeDeadlineSeconds").and_then(Value::as_i64);
    let new_ads = new.get("activeDeadlineSeconds").and_then(Value::as_i64);
    match (old_ads, new_ads) {
        (Some(_), None) => e.invalid(
            "spec.activeDeadlineSeconds",
            "null",
            "must not update from a positive integer to nil value",
        ),
        (Some(o), Some(n)) if n > o => e.invalid(
            "spec.activeDeadlineSeconds",
            &n.to_string(),
            "must be less than or equal to previous value",
        ),
        _ => {}
    }
    // Overwrite the mutable fields of the new spec with the old values; anything left different is forbidden.
    let mut munged = new.clone();
    if let (Some(m), Some(o)) = (munged.as_object_mut(), old.as_object()) {
        for key in [
            "activeDeadlineSeconds",
            "tolerations",
            "terminationGracePeriodSeconds",
        ] {
            match o.get(key) {
                Some(v) => m.insert(key.to_string(), v.clone()),
                None => m.remove(key),
            };
        }
        for key in ["containers", "initContainers"] {
            let old_list = o.get(key).and_then(Value::as_array);
            if let (Some(new_list), Some(old_list)) =
                (m.get_mut(key).and_then(Value::as_array_mut), old_list)
            {
                for (n, o) in new_list.iter_mut().zip(old_list) {
                    if let (Some(nm), Some(img)) = (n.as_object_mut(), o.get("image")) {
                        nm.insert("image".into(), img.clone());
                    }
                }
            }
        }
    }
    if &munged != old {
        e.forbidden("spec", POD_UPDATE_FORBIDDEN);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{test_support::*, validate};
    use serde_json::json;

    #[test]
    fn pod_errors() {
        let pod = json!({"metadata": {"name": "p"}, "spec": {"restartPolicy": "Sometimes", "containers": [
            {"name": "c", "image": "", "ports": [{"containerPort": 70000, "protocol": "HTTP"}],
             "volumeMounts": [{"name": "missing", "mountPath": "/x"}], "env": [{"name": "A=B"}]},
            {"name": "c", "image": "x", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]}});
        let got = texts(&run("", "pods", pod));
        let want = [
            "spec.containers[0].image: Required value",
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
            "spec.containers[0].volumeMounts[0].name: Not found: \"missing\"",
            "spec.containers[1].name: Duplicate value: \"c\"",
            "spec.containers[1].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1",
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
        ];
        assert_eq!(got, want);
        let c = run(
            "",
            "pods",
            json!({"metadata": {"name": "p"}, "spec": {"containers": []}}),
        );
        assert_eq!(texts(&c), vec!["spec.containers: Required value"]);
    }

    #[test]
    fn pod_update_rules() {
        let mut old = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "a:1"}]}});
        super::super::super::defaults::apply("", "pods", &mut old);
        let mut new = old.clone();
        new["spec"]["containers"][0]["image"] = json!("a:2");
        assert!(validate("", "pods", &new, Some(&old)).is_empty());
        new["spec"]["restartPolicy"] = json!("Never");
        let c = validate("", "pods", &new, Some(&old));
        assert_eq!(c.len(), 1);
        assert!(c[0]
            .message
            .starts_with("Forbidden: pod updates may not change fields other than"));
    }
}
