//! Configuration and storage kinds: config maps, secrets, namespaces (with quotas and limit ranges) and
//! persistent volumes.

use super::events::describe_events;
use super::pods::volume_source;
use super::quantity::canonical;
use super::util::{annotations, arr, at, labels, map, s, since};
use super::writer::{Writer, L0, L1};
use super::{kind_of, Extra};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The config map describer: every data value in full, binary data as sizes, then events.
pub fn describe_config_map(cm: &Value, extra: &Extra, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(cm, "/metadata/name")));
    w.w(
        L0,
        &format!("Namespace:\t{}\n", s(cm, "/metadata/namespace")),
    );
    labels(&mut w, "Labels", cm, "/metadata/labels");
    annotations(&mut w, "Annotations", cm, "/metadata/annotations");
    // Go walks these maps in random order; sorted keys are the deterministic equivalent.
    w.w(L0, "\nData\n====\n");
    for (k, v) in map(cm, "/data") {
        w.w(L0, &format!("{k}:\n----\n"));
        w.w(L0, &format!("{v}\n"));
        w.w(L0, "\n");
    }
    w.w(L0, "\nBinaryData\n====\n");
    for (k, v) in map(cm, "/binaryData") {
        w.w(L0, &format!("{k}: {} bytes\n", base64_len(&v)));
    }
    w.w(L0, "\n");
    describe_events(&mut w, &extra.events, now);
    w.finish()
}

/// The secret describer: sizes only (a service-account token is shown), no events section.
pub fn describe_secret(secret: &Value) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(secret, "/metadata/name")));
    w.w(
        L0,
        &format!("Namespace:\t{}\n", s(secret, "/metadata/namespace")),
    );
    labels(&mut w, "Labels", secret, "/metadata/labels");
    annotations(&mut w, "Annotations", secret, "/metadata/annotations");
    let typ = s(secret, "/type");
    w.w(L0, &format!("\nType:\t{typ}\n"));
    w.w(L0, "\nData\n====\n");
    for (k, v) in map(secret, "/data") {
        if k == "token" && typ == "kubernetes.io/service-account-token" {
            let token = base64_decode(&v);
            w.w(L0, &format!("{k}:\t{}\n", String::from_utf8_lossy(&token)));
        } else {
            w.w(L0, &format!("{k}:\t{} bytes\n", base64_len(&v)));
        }
    }
    w.finish()
}

/// Decoded length of standard base64 text.
fn base64_len(text: &str) -> usize {
    base64_decode(text).len()
}

/// A lenient standard-base64 decoder (invalid characters are skipped).
fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// `describeNamespace` with the quotas and limit ranges from `extra.related`.
pub fn describe_namespace(ns: &Value, extra: &Extra) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(ns, "/metadata/name")));
    labels(&mut w, "Labels", ns, "/metadata/labels");
    annotations(&mut w, "Annotations", ns, "/metadata/annotations");
    w.w(L0, &format!("Status:\t{}\n", s(ns, "/status/phase")));
    let conds = arr(ns, "/status/conditions");
    if !conds.is_empty() {
        w.w(L0, "Conditions:\n");
        w.w(L1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n");
        w.w(L1, "----\t------\t------------------\t------\t-------\n");
        for c in conds {
            w.w(
                L1,
                &format!(
                    "{}\t{}\t{}\t{}\t{}\n",
                    s(c, "/type"),
                    s(c, "/status"),
                    super::util::rfc1123z(s(c, "/lastTransitionTime")),
                    s(c, "/reason"),
                    s(c, "/message")
                ),
            );
        }
    }
    let mut quotas: Vec<&Value> = extra
        .related
        .iter()
        .filter(|r| kind_of(r) == "ResourceQuota")
        .collect();
    quotas.sort_by(|a, b| s(a, "/metadata/name").cmp(s(b, "/metadata/name")));
    w.w(L0, "\n");
    if quotas.is_empty() {
        w.w(L0, "No resource quota.\n");
    } else {
        w.w(L0, "Resource Quotas\n");
        for q in quotas {
            w.w(L1, &format!("Name:\t{}\n", s(q, "/metadata/name")));
            let mut scopes: Vec<&str> = arr(q, "/spec/scopes")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            if !scopes.is_empty() {
                scopes.sort();
                w.w(L1, &format!("Scopes:\t{}\n", scopes.join(", ")));
                for scope in &scopes {
                    if let Some(help) = scope_help(scope) {
                        w.w(L1, &format!("* {help}\n"));
                    }
                }
            }
            w.w(L1, "Resource\tUsed\tHard\n");
            w.w(L1, "--------\t---\t---\n");
            let used = at(q, "/status/used");
            for (name, hard) in map(q, "/status/hard") {
                let u = used
                    .get(&name)
                    .and_then(Value::as_str)
                    .map(canonical)
                    .unwrap_or_else(|| "0".to_string());
                w.w(L1, &format!("{name}\t{u}\t{}\n", canonical(&hard)));
            }
        }
    }
    let ranges: Vec<&Value> = extra
        .related
        .iter()
        .filter(|r| kind_of(r) == "LimitRange")
        .collect();
    w.w(L0, "\n");
    if ranges.is_empty() {
        w.w(L0, "No LimitRange resource.\n");
    } else {
        w.w(L0, "Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n");
        w.w(
            L0,
            " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n",
        );
        for lr in ranges {
            for item in arr(lr, "/spec/limits") {
                let fields = [
                    "/min",
                    "/max",
                    "/defaultRequest",
                    "/default",
                    "/maxLimitRequestRatio",
                ];
                let mut names: Vec<String> = fields
                    .iter()
                    .flat_map(|f| map(item, f).into_iter().map(|(k, _)| k))
                    .collect();
                names.sort();
                names.dedup();
                for name in names {
                    let cell = |f: &str| {
                        at(item, f)
                            .get(&name)
                            .map(|v| canonical(&super::util::scalar(v)))
                            .unwrap_or_else(|| "-".to_string())
                    };
                    w.w(
                        L0,
                        &format!(
                            " {}\t{name}\t{}\t{}\t{}\t{}\t{}\n",
                            s(item, "/type"),
                            cell("/min"),
                            cell("/max"),
                            cell("/defaultRequest"),
                            cell("/default"),
                            cell("/maxLimitRequestRatio")
                        ),
                    );
                }
            }
        }
    }
    w.finish()
}

/// `helpTextForResourceQuotaScope`.
fn scope_help(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "Terminating" => "Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system.",
        "NotTerminating" => "Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.",
        "BestEffort" => "Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.",
        "NotBestEffort" => "Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.",
        _ => return None,
    })
}

/// `describePersistentVolume` for the common sources.
pub fn describe_persistent_volume(pv: &Value, extra: &Extra, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(pv, "/metadata/name")));
    labels(&mut w, "Labels", pv, "/metadata/labels");
    annotations(&mut w, "Annotations", pv, "/metadata/annotations");
    let finalizers: Vec<&str> = arr(pv, "/metadata/finalizers")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    w.w(L0, &format!("Finalizers:\t[{}]\n", finalizers.join(" ")));
    let class = at(
        pv,
        "/metadata/annotations/volume.beta.kubernetes.io~1storage-class",
    )
    .as_str()
    .unwrap_or_else(|| s(pv, "/spec/storageClassName"));
    w.w(L0, &format!("StorageClass:\t{class}\n"));
    let deletion = s(pv, "/metadata/deletionTimestamp");
    if deletion.is_empty() {
        w.w(L0, &format!("Status:\t{}\n", s(pv, "/status/phase")));
    } else {
        w.w(
            L0,
            &format!("Status:\tTerminating (lasts {})\n", since(deletion, now)),
        );
    }
    let claim = at(pv, "/spec/claimRef");
    if claim.is_null() {
        w.w(L0, "Claim:\t\n");
    } else {
        w.w(
            L0,
            &format!("Claim:\t{}/{}\n", s(claim, "/namespace"), s(claim, "/name")),
        );
    }
    w.w(
        L0,
        &format!(
            "Reclaim Policy:\t{}\n",
            s(pv, "/spec/persistentVolumeReclaimPolicy")
        ),
    );
    let modes: Vec<&str> = arr(pv, "/spec/accessModes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let short: Vec<&str> = [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(long, _)| modes.contains(long))
    .map(|(_, short)| *short)
    .collect();
    w.w(L0, &format!("Access Modes:\t{}\n", short.join(",")));
    let mode = s(pv, "/spec/volumeMode");
    if !mode.is_empty() {
        w.w(L0, &format!("VolumeMode:\t{mode}\n"));
    }
    let storage = s(pv, "/spec/capacity/storage");
    w.w(
        L0,
        &format!(
            "Capacity:\t{}\n",
            if storage.is_empty() {
                "0".to_string()
            } else {
                canonical(storage)
            }
        ),
    );
    let required = at(pv, "/spec/nodeAffinity/required");
    if required.is_null() {
        w.w(L0, "Node Affinity:\t<none>\n");
    } else {
        w.w(L0, "Node Affinity:\t\n");
        let terms = arr(required, "/nodeSelectorTerms");
        if terms.is_empty() {
            w.w(L1, "Required Terms:\t<none>\n");
        } else {
            w.w(L1, "Required Terms:\t\n");
            for (n, term) in terms.iter().enumerate() {
                w.w(2, &format!("Term {n}:\t"));
                let exprs = arr(term, "/matchExpressions");
                if exprs.is_empty() {
                    w.line("<none>");
                }
                for (k, e) in exprs.iter().enumerate() {
                    if k != 0 {
                        w.w(2, "\t");
                    }
                    let mut text = format!("{} {}", s(e, "/key"), s(e, "/operator").to_lowercase());
                    let values: Vec<&str> =
                        arr(e, "/values").iter().filter_map(Value::as_str).collect();
                    if !values.is_empty() {
                        text.push_str(&format!(" [{}]", values.join(", ")));
                    }
                    w.w(L0, &format!("{text}\n"));
                }
            }
        }
    }
    w.w(L0, &format!("Message:\t{}\n", s(pv, "/status/message")));
    w.w(L0, "Source:\n");
    volume_source(&mut w, at(pv, "/spec"));
    describe_events(&mut w, &extra.events, now);
    w.finish()
}
