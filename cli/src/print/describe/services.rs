//! Networking kinds: services (with their EndpointSlices), endpoints and ingresses.

use super::events::describe_events;
use super::util::{annotations, arr, at, format_labels, i, labels, s};
use super::writer::{Writer, L0, L1, L2};
use super::{kind_of, Extra};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The EndpointSlices in `related` that belong to the service `name` (label kubernetes.io/service-name).
fn slices_for<'a>(related: &'a [Value], name: &str) -> Vec<&'a Value> {
    related
        .iter()
        .filter(|r| kind_of(r) == "EndpointSlice")
        .filter(|r| s(r, "/metadata/labels/kubernetes.io~1service-name") == name)
        .collect()
}

/// `formatEndpointSlices`: up to three ready `ip:port` entries for the named port, then "+ N more...".
fn format_slices(slices: &[&Value], port_name: &str) -> String {
    if slices.is_empty() {
        return "<none>".to_string();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0usize;
    let ready = |e: &Value| at(e, "/conditions/ready").as_bool().unwrap_or(true);
    for slice in slices {
        let ports = arr(slice, "/ports");
        let endpoints = arr(slice, "/endpoints");
        if ports.is_empty() {
            for e in endpoints {
                if list.len() == MAX {
                    more = true;
                }
                if !ready(e) {
                    continue;
                }
                if !more {
                    list.push(s(e, "/addresses/0").to_string());
                }
                count += 1;
            }
        } else {
            for port in ports {
                if s(port, "/name") != port_name {
                    continue;
                }
                for e in endpoints {
                    if list.len() == MAX {
                        more = true;
                    }
                    if !ready(e) {
                        continue;
                    }
                    if !more {
                        let addr = s(e, "/addresses/0");
                        let p = i(port, "/port");
                        list.push(if addr.contains(':') {
                            format!("[{addr}]:{p}")
                        } else {
                            format!("{addr}:{p}")
                        });
                    }
                    count += 1;
                }
            }
        }
    }
    let text = list.join(",");
    if more {
        format!("{text} + {} more...", count.saturating_sub(MAX))
    } else {
        text
    }
}

/// `describeService`; endpoints come from the EndpointSlices in `extra.related`.
pub fn describe_service(svc: &Value, extra: &Extra, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    let name = s(svc, "/metadata/name");
    w.w(L0, &format!("Name:\t{name}\n"));
    w.w(
        L0,
        &format!("Namespace:\t{}\n", s(svc, "/metadata/namespace")),
    );
    labels(&mut w, "Labels", svc, "/metadata/labels");
    annotations(&mut w, "Annotations", svc, "/metadata/annotations");
    w.w(
        L0,
        &format!("Selector:\t{}\n", format_labels(svc, "/spec/selector")),
    );
    w.w(L0, &format!("Type:\t{}\n", s(svc, "/spec/type")));
    let policy = s(svc, "/spec/ipFamilyPolicy");
    if !policy.is_empty() {
        w.w(L0, &format!("IP Family Policy:\t{policy}\n"));
    }
    let joined = |path: &str| {
        let v: Vec<&str> = arr(svc, path).iter().filter_map(Value::as_str).collect();
        if v.is_empty() {
            "<none>".to_string()
        } else {
            v.join(",")
        }
    };
    w.w(
        L0,
        &format!("IP Families:\t{}\n", joined("/spec/ipFamilies")),
    );
    w.w(L0, &format!("IP:\t{}\n", s(svc, "/spec/clusterIP")));
    w.w(L0, &format!("IPs:\t{}\n", joined("/spec/clusterIPs")));
    if !arr(svc, "/spec/externalIPs").is_empty() {
        w.w(
            L0,
            &format!("External IPs:\t{}\n", joined("/spec/externalIPs")),
        );
    }
    for (field, title) in [
        ("/spec/loadBalancerIP", "Desired LoadBalancer IP"),
        ("/spec/externalName", "External Name"),
    ] {
        let v = s(svc, field);
        if !v.is_empty() {
            w.w(L0, &format!("{title}:\t{v}\n"));
        }
    }
    let ingress = arr(svc, "/status/loadBalancer/ingress");
    if !ingress.is_empty() {
        let list: Vec<String> = ingress
            .iter()
            .map(|g| {
                let ip = s(g, "/ip");
                if ip.is_empty() {
                    s(g, "/hostname").to_string()
                } else if let Some(mode) = at(g, "/ipMode").as_str() {
                    format!("{ip} ({mode})")
                } else {
                    ip.to_string()
                }
            })
            .collect();
        w.w(L0, &format!("LoadBalancer Ingress:\t{}\n", list.join(", ")));
    }
    let slices = slices_for(&extra.related, name);
    for sp in arr(svc, "/spec/ports") {
        let pname = s(sp, "/name");
        let shown = if pname.is_empty() { "<unset>" } else { pname };
        let proto = s(sp, "/protocol");
        w.w(L0, &format!("Port:\t{shown}\t{}/{proto}\n", i(sp, "/port")));
        w.w(
            L0,
            &format!(
                "TargetPort:\t{}/{proto}\n",
                super::util::int_or_string(at(sp, "/targetPort"))
            ),
        );
        let np = i(sp, "/nodePort");
        if np != 0 {
            w.w(L0, &format!("NodePort:\t{shown}\t{np}/{proto}\n"));
        }
        w.w(
            L0,
            &format!("Endpoints:\t{}\n", format_slices(&slices, pname)),
        );
    }
    w.w(
        L0,
        &format!("Session Affinity:\t{}\n", s(svc, "/spec/sessionAffinity")),
    );
    for (field, title) in [
        ("/spec/externalTrafficPolicy", "External Traffic Policy"),
        ("/spec/internalTrafficPolicy", "Internal Traffic Policy"),
    ] {
        let v = s(svc, field);
        if !v.is_empty() {
            w.w(L0, &format!("{title}:\t{v}\n"));
        }
    }
    let hc = i(svc, "/spec/healthCheckNodePort");
    if hc != 0 {
        w.w(L0, &format!("HealthCheck NodePort:\t{hc}\n"));
    }
    if !arr(svc, "/spec/loadBalancerSourceRanges").is_empty() {
        w.w(
            L0,
            &format!(
                "LoadBalancer Source Ranges:\t{}\n",
                joined("/spec/loadBalancerSourceRanges")
            ),
        );
    }
    describe_events(&mut w, &extra.events, now);
    w.finish()
}

/// `describeEndpoints`.
pub fn describe_endpoints(ep: &Value, extra: &Extra, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(ep, "/metadata/name")));
    w.w(
        L0,
        &format!("Namespace:\t{}\n", s(ep, "/metadata/namespace")),
    );
    labels(&mut w, "Labels", ep, "/metadata/labels");
    annotations(&mut w, "Annotations", ep, "/metadata/annotations");
    w.w(L0, "Subsets:\n");
    for subset in arr(ep, "/subsets") {
        let ips = |field: &str| {
            let v: Vec<&str> = arr(subset, field).iter().map(|a| s(a, "/ip")).collect();
            let text = v.join(",");
            if text.is_empty() {
                "<none>".to_string()
            } else {
                text
            }
        };
        w.w(L1, &format!("Addresses:\t{}\n", ips("/addresses")));
        w.w(
            L1,
            &format!("NotReadyAddresses:\t{}\n", ips("/notReadyAddresses")),
        );
        let ports = arr(subset, "/ports");
        if !ports.is_empty() {
            w.w(L1, "Ports:\n");
            w.w(L2, "Name\tPort\tProtocol\n");
            w.w(L2, "----\t----\t--------\n");
            for p in ports {
                let n = s(p, "/name");
                let n = if n.is_empty() { "<unset>" } else { n };
                w.w(
                    L2,
                    &format!("{n}\t{}\t{}\n", i(p, "/port"), s(p, "/protocol")),
                );
            }
        }
        w.w(L0, "\n");
    }
    describe_events(&mut w, &extra.events, now);
    w.finish()
}

/// `describeBackendV1`: "svc:port (endpoints)" using the Services and EndpointSlices in `related`.
fn backend(ns: &str, b: &Value, related: &[Value]) -> String {
    let svc = at(b, "/service");
    if !svc.is_null() {
        let name = s(svc, "/name");
        let number = i(svc, "/port/number");
        let port_name = s(svc, "/port/name");
        let sb = if number != 0 {
            format!("{name}:{number}")
        } else {
            format!("{name}:{port_name}")
        };
        let found = related
            .iter()
            .filter(|r| kind_of(r) == "Service")
            .find(|r| {
                s(r, "/metadata/name") == name
                    && (s(r, "/metadata/namespace") == ns || ns.is_empty())
            });
        let Some(service) = found else {
            return format!("{sb} (<error: services \"{name}\" not found>)");
        };
        let mut sp_name = "";
        for sp in arr(service, "/spec/ports") {
            if (number != 0 && number == i(sp, "/port"))
                || (!port_name.is_empty() && port_name == s(sp, "/name"))
            {
                sp_name = s(sp, "/name");
            }
        }
        let slices = slices_for(related, name);
        return format!("{sb} ({})", format_slices(&slices, sp_name));
    }
    let res = at(b, "/resource");
    if !res.is_null() {
        let group = at(res, "/apiGroup").as_str().unwrap_or("<none>");
        return format!(
            "APIGroup: {group}, Kind: {}, Name: {}",
            s(res, "/kind"),
            s(res, "/name")
        );
    }
    String::new()
}

/// `describeIngressV1`.
pub fn describe_ingress(ing: &Value, extra: &Extra, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    let ns = s(ing, "/metadata/namespace");
    w.w(L0, &format!("Name:\t{}\n", s(ing, "/metadata/name")));
    labels(&mut w, "Labels", ing, "/metadata/labels");
    w.w(L0, &format!("Namespace:\t{ns}\n"));
    let mut addrs: Vec<&str> = arr(ing, "/status/loadBalancer/ingress")
        .iter()
        .map(|g| {
            if s(g, "/ip").is_empty() {
                s(g, "/hostname")
            } else {
                s(g, "/ip")
            }
        })
        .filter(|a| !a.is_empty())
        .collect();
    addrs.sort();
    addrs.dedup();
    w.w(L0, &format!("Address:\t{}\n", addrs.join(",")));
    let class = at(ing, "/spec/ingressClassName")
        .as_str()
        .unwrap_or("<none>");
    w.w(L0, &format!("Ingress Class:\t{class}\n"));
    let def = at(ing, "/spec/defaultBackend");
    let def_text = if def.is_null() {
        "<default>".to_string()
    } else {
        backend(ns, def, &extra.related)
    };
    w.w(L0, &format!("Default backend:\t{def_text}\n"));
    let tls = arr(ing, "/spec/tls");
    if !tls.is_empty() {
        w.w(L0, "TLS:\n");
        for t in tls {
            let hosts: Vec<&str> = arr(t, "/hosts").iter().filter_map(Value::as_str).collect();
            let secret = s(t, "/secretName");
            if secret.is_empty() {
                w.w(L1, &format!("SNI routes {}\n", hosts.join(",")));
            } else {
                w.w(L1, &format!("{secret} terminates {}\n", hosts.join(",")));
            }
        }
    }
    w.w(L0, "Rules:\n  Host\tPath\tBackends\n");
    w.w(L1, "----\t----\t--------\n");
    let mut count = 0;
    for rule in arr(ing, "/spec/rules") {
        if at(rule, "/http").is_null() {
            continue;
        }
        count += 1;
        let host = s(rule, "/host");
        w.w(
            L1,
            &format!("{}\t\n", if host.is_empty() { "*" } else { host }),
        );
        for path in arr(rule, "/http/paths") {
            w.w(
                L2,
                &format!(
                    "\t{} \t{}\n",
                    s(path, "/path"),
                    backend(ns, at(path, "/backend"), &extra.related)
                ),
            );
        }
    }
    if count == 0 {
        w.w(L1, &format!("*\t*\t{def_text}\n"));
    }
    annotations(&mut w, "Annotations", ing, "/metadata/annotations");
    describe_events(&mut w, &extra.events, now);
    w.finish()
}
