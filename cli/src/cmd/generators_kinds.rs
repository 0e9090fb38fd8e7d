//! `create deployment`, `service`, `ingress` and `quota` for the generators module.

use super::ServiceCmd;
use serde_json::{json, Map, Value};

pub(super) fn deployment(
    name: &str,
    images: &[String],
    replicas: i32,
    port: Option<i32>,
    command: &[String],
) -> Result<Value, String> {
    if images.len() > 1 && !command.is_empty() {
        return Err("cannot specify multiple --image options and command".into());
    }
    let mut containers: Vec<Value> = images
        .iter()
        .map(|img| {
            // The container is named after the image's last path element, without tag or digest.
            let last = img.rsplit('/').next().unwrap_or("");
            let base = last
                .split(':')
                .next()
                .unwrap_or("")
                .split('@')
                .next()
                .unwrap_or("");
            let mut cname = base.to_string();
            if cname.contains(['_', '.']) {
                cname = format!("{}-{}", cname.replace(['_', '.'], "-"), random_suffix());
            }
            let mut c = json!({"name": cname, "image": img, "resources": {}});
            if !command.is_empty() {
                c["command"] = json!(command);
            }
            c
        })
        .collect();
    if let (Some(p), Some(first)) = (port.filter(|p| *p >= 0), containers.first_mut()) {
        first["ports"] = json!([{"containerPort": p}]);
    }
    let labels = json!({"app": name});
    let mut m = super::meta(name);
    m["labels"] = labels.clone();
    Ok(
        json!({"kind": "Deployment", "apiVersion": "apps/v1", "metadata": m,
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
            "template": {"metadata": {"creationTimestamp": null, "labels": labels}, "spec": {"containers": containers}},
            "strategy": {}},
        "status": {}}),
    )
}

/// kubectl's 5-character random suffix (apimachinery's consonant-and-digit alphabet) for sanitized container names.
pub(super) fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    let mut x = h.finish();
    (0..5)
        .map(|_| {
            let c = ALPHABET[(x % ALPHABET.len() as u64) as usize] as char;
            x /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

/// Go's `%q`-style quoting, as used in strconv error texts.
pub(super) fn go_quote(s: &str) -> String {
    format!("{s:?}")
}

pub(super) fn port_name_errs(p: &str) -> Vec<&'static str> {
    let mut errs = Vec::new();
    if p.len() > 15 {
        errs.push("must be no more than 15 characters");
    }
    if p.is_empty()
        || !p
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    }
    if !p.chars().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)");
    }
    if p.contains("--") {
        errs.push("must not contain consecutive hyphens");
    }
    if p.starts_with('-') || p.ends_with('-') {
        errs.push("must not begin or end with a hyphen");
    }
    errs
}

/// One `--tcp=port[:targetPort]` entry as a ServicePort.
pub(super) fn service_port(spec: &str, node_port: i32) -> Result<Value, String> {
    let mut parts = spec.split(':');
    let first = parts.next().unwrap_or("");
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.ParseUint: parsing {}: invalid syntax",
            go_quote(first)
        ));
    }
    let port: u16 = first.parse().map_err(|_| {
        format!(
            "strconv.ParseUint: parsing {}: value out of range",
            go_quote(first)
        )
    })?;
    let target = match parts.next() {
        None => json!(port),
        Some(t) => match t.parse::<i64>() {
            Ok(n) if (1..=65535).contains(&n) => json!(n),
            Ok(_) => return Err("must be between 1 and 65535, inclusive".into()),
            Err(_) => {
                let errs = port_name_errs(t);
                if !errs.is_empty() {
                    return Err(errs.join(","));
                }
                json!(t)
            }
        },
    };
    let mut p = json!({"name": spec.replace(':', "-"), "protocol": "TCP", "port": port, "targetPort": target});
    if node_port != 0 {
        p["nodePort"] = json!(node_port);
    }
    Ok(p)
}

pub(super) fn is_dns1123_subdomain(s: &str) -> bool {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    s.len() <= 253 && s.split('.').all(label_ok)
}

pub(super) fn service(s: &ServiceCmd) -> Result<Value, String> {
    let (name, ty, tcp, cluster_ip, node_port, external) = match s {
        ServiceCmd::Clusterip {
            name,
            tcp,
            clusterip,
        } => (
            name,
            "ClusterIP",
            tcp,
            clusterip.as_deref().unwrap_or(""),
            0,
            "",
        ),
        ServiceCmd::Nodeport {
            name,
            tcp,
            node_port,
        } => (name, "NodePort", tcp, "", *node_port, ""),
        ServiceCmd::Loadbalancer { name, tcp } => (name, "LoadBalancer", tcp, "", 0, ""),
        ServiceCmd::Externalname {
            name,
            external_name,
            tcp,
        } => (name, "ExternalName", tcp, "", 0, external_name.as_str()),
    };
    if cluster_ip != "None" && tcp.is_empty() && ty != "ExternalName" {
        return Err("at least one tcp port specifier must be provided".into());
    }
    if ty == "ExternalName" && !is_dns1123_subdomain(external) {
        return Err(format!("invalid service external name {external}"));
    }
    let ports = tcp
        .iter()
        .map(|t| service_port(t, node_port))
        .collect::<Result<Vec<_>, _>>()?;
    let labels = json!({"app": name});
    let mut m = super::meta(name);
    m["labels"] = labels.clone();
    let mut spec = json!({"selector": labels, "type": ty});
    if !ports.is_empty() {
        spec["ports"] = json!(ports);
    }
    if !cluster_ip.is_empty() {
        spec["clusterIP"] = json!(cluster_ip);
    }
    if !external.is_empty() {
        spec["externalName"] = json!(external);
    }
    Ok(
        json!({"kind": "Service", "apiVersion": "v1", "metadata": m, "spec": spec, "status": {"loadBalancer": {}}}),
    )
}

pub(super) fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// kubectl's rule regex `^[\w*\-.]*/[^,=\n]*=[\w-]+:[\w-]+`, matched by hand. kubectl 1.32 accepts anything
/// after the port (its optional `,tls=secret` part is effectively unanchored), so this only checks the prefix.
pub(super) fn rule_valid(rule: &str) -> bool {
    let Some(slash) = rule.find('/') else {
        return false;
    };
    if !rule[..slash]
        .chars()
        .all(|c| is_word(c) || c == '*' || c == '.')
    {
        return false;
    }
    let rest = &rule[slash..];
    let Some(eq) = rest.find(['=', ',', '\n']) else {
        return false;
    };
    if !rest[eq..].starts_with('=') {
        return false;
    }
    let Some((svc, port_tail)) = rest[eq + 1..].split_once(':') else {
        return false;
    };
    !svc.is_empty() && svc.chars().all(is_word) && port_tail.starts_with(is_word)
}

/// `svc:port` as an IngressBackend; a numeric port is a number, anything else a port name (both omitempty).
pub(super) fn backend(svc_port: &str) -> Value {
    let mut parts = svc_port.split(':');
    let (svc, port) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let port = match port.parse::<i64>() {
        // intstr.FromInt truncates to 32 bits.
        Ok(n) if n as i32 != 0 => json!({"number": n as i32}),
        Ok(_) => json!({}),
        Err(_) if port.is_empty() => json!({}),
        Err(_) => json!({"name": port}),
    };
    json!({"service": {"name": svc, "port": port}})
}

pub(super) fn ingress(
    name: &str,
    rules: &[String],
    class: Option<&str>,
    default_backend: Option<&str>,
    annotations: &[String],
) -> Result<Value, String> {
    let default_backend = default_backend.unwrap_or("");
    if default_backend.is_empty() && rules.is_empty() {
        return Err("not enough information provided: every ingress has to either specify a default-backend (which catches all traffic) or a list of rules (which catch specific paths)".into());
    }
    if let Some(bad) = rules.iter().find(|r| !rule_valid(r)) {
        return Err(format!("rule {bad} is invalid and should be in format host/path=svcname:svcport[,tls[=secret]]"));
    }
    let mut ann = Map::new();
    for a in annotations {
        let Some((k, v)) = a.split_once('=') else {
            return Err(format!(
                "annotation {a} is invalid and should be in format key=[value]"
            ));
        };
        ann.insert(k.to_string(), json!(v));
    }
    if !default_backend.is_empty() && default_backend.split(':').count() != 2 {
        return Err("default-backend should be in format servicename:serviceport".into());
    }
    // TLS entries: one per secret, each host listed once (kubectl's buildTLSRules).
    let mut tls: Vec<(Vec<String>, String)> = Vec::new();
    let mut seen_hosts: Vec<String> = Vec::new();
    // HTTP rules grouped by host, in first-seen order.
    let mut http: Vec<(String, Vec<Value>)> = Vec::new();
    for rule in rules {
        let host = rule.split('/').next().unwrap_or("").to_string();
        let parts: Vec<&str> = rule.split(',').collect();
        if parts.len() == 2 && !seen_hosts.contains(&host) {
            let secret = parts[1].split('=').nth(1).unwrap_or("").to_string();
            if let Some(entry) = tls.iter_mut().find(|(_, s)| *s == secret) {
                entry.0.push(host.clone());
            } else if !host.is_empty() || !secret.is_empty() {
                tls.push((
                    if host.is_empty() {
                        vec![]
                    } else {
                        vec![host.clone()]
                    },
                    secret,
                ));
            }
            seen_hosts.push(host.clone());
        }
        let path_svc = parts[0].split_once('/').map(|(_, p)| p).unwrap_or("");
        let mut pieces = path_svc.split('=');
        let (path, svc) = (pieces.next().unwrap_or(""), pieces.next().unwrap_or(""));
        let mut path = format!("/{path}");
        let mut path_type = "Exact";
        if path.ends_with('*') {
            path.pop();
            path_type = "Prefix";
        }
        let p = json!({"path": path, "pathType": path_type, "backend": backend(svc)});
        match http.iter_mut().find(|(h, _)| *h == host) {
            Some((_, paths)) => paths.push(p),
            None => http.push((host, vec![p])),
        }
    }
    let mut spec = Map::new();
    if let Some(c) = class.filter(|c| !c.is_empty()) {
        spec.insert("ingressClassName".into(), json!(c));
    }
    if !default_backend.is_empty() {
        spec.insert("defaultBackend".into(), backend(default_backend));
    }
    if !tls.is_empty() {
        let tls: Vec<Value> = tls
            .into_iter()
            .map(|(hosts, secret)| {
                let mut t = json!({});
                if !hosts.is_empty() {
                    t["hosts"] = json!(hosts);
                }
                if !secret.is_empty() {
                    t["secretName"] = json!(secret);
                }
                t
            })
            .collect();
        spec.insert("tls".into(), json!(tls));
    }
    if !http.is_empty() {
        let rules: Vec<Value> = http
            .into_iter()
            .map(|(host, paths)| {
                let mut r = json!({"http": {"paths": paths}});
                if !host.is_empty() {
                    r["host"] = json!(host);
                }
                r
            })
            .collect();
        spec.insert("rules".into(), json!(rules));
    }
    let mut m = super::meta(name);
    if !ann.is_empty() {
        m["annotations"] = Value::Object(ann);
    }
    Ok(
        json!({"kind": "Ingress", "apiVersion": "networking.k8s.io/v1", "metadata": m, "spec": spec, "status": {"loadBalancer": {}}}),
    )
}

/// Checks a quantity against kubectl's format regex `^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$`.
pub(super) fn quantity_ok(q: &str) -> bool {
    let rest = q.strip_prefix(['+', '-']).unwrap_or(q);
    let num_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    if num_len == 0 {
        return false;
    }
    let suffix = &rest[num_len..];
    let letters = suffix
        .find(|c: char| !"eEinumkKMGTP".contains(c))
        .unwrap_or(suffix.len());
    let exp = &suffix[letters..];
    let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
    exp.chars().all(|c| c.is_ascii_digit())
}

pub(super) fn quota(name: &str, hard: Option<&str>, scopes: Option<&str>) -> Result<Value, String> {
    let mut spec = Map::new();
    if let Some(hard) = hard.filter(|h| !h.is_empty()) {
        let mut list = Map::new();
        for stmt in hard.split(',') {
            let parts: Vec<&str> = stmt.split('=').collect();
            let [res, qty] = parts[..] else {
                return Err(format!(
                    "Invalid argument syntax {stmt}, expected <resource>=<value>"
                ));
            };
            if !quantity_ok(qty) {
                return Err("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'".into());
            }
            // Kept as written: kubectl prints the canonical form of the quantity, which is not reproduced here.
            list.insert(res.to_string(), json!(qty));
        }
        spec.insert("hard".into(), Value::Object(list));
    }
    if let Some(scopes) = scopes.filter(|s| !s.is_empty()) {
        let list: Vec<&str> = scopes.split(',').collect();
        if list.contains(&"") {
            return Err("invalid resource quota scope \"\"".into());
        }
        spec.insert("scopes".into(), json!(list));
    }
    Ok(
        json!({"kind": "ResourceQuota", "apiVersion": "v1", "metadata": super::meta(name), "spec": spec, "status": {}}),
    )
}
