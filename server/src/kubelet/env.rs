//! A container's environment, as the kubelet's makeEnvironmentVariables builds it: envFrom first, then
//! env, with values, downward API fields, resources and ConfigMap or Secret keys resolved, then the
//! services' variables the container has not set itself.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::node::Host;
use super::volumes::{data_of, field_value, resource_value};
use crate::controllers::{namespace_and_name, str_at};

/// The ConfigMaps and Secrets of a pod's namespace, each read at most once per pass.
pub struct Sources<'a> {
    host: &'a Host,
    pod: &'a Value,
    /// By `plural/name`; None: not found.
    cache: HashMap<String, Option<Value>>,
    /// The services' variables, once read (the same for every container of the pod).
    services: Option<Vec<(String, String)>>,
}

/// Expands `$(NAME)` references as the kubelet does (kube's expansion.Expand): a defined name becomes its
/// value, `$$` is a literal `$`, and anything else (undefined names, unclosed references) stays as written.
pub fn expand(input: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if after.is_empty() {
            out.push('$');
            rest = after;
            break;
        }
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(') {
            match inner.find(')') {
                Some(end) => {
                    let name = &inner[..end];
                    match lookup(name) {
                        Some(v) => out.push_str(&v),
                        None => out.push_str(&format!("$({name})")),
                    }
                    rest = &inner[end + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = inner;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A name as an environment variable's (kube's makeEnvVariableName).
fn env_name(s: &str) -> String {
    s.replace('-', "_").to_uppercase()
}

/// A service's variables (kube's envvars.FromServices): `NAME_SERVICE_HOST`, `_SERVICE_PORT` and one per
/// named port, and the Docker-link ones, `NAME_PORT` and `NAME_PORT_<port>_<PROTO>` with `_PROTO`, `_PORT`
/// and `_ADDR`.
fn service_variables(service: &Value) -> Vec<(String, String)> {
    let ip = str_at(service, "/spec/clusterIP");
    let ports: Vec<&Value> = service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if ip.is_empty() || ip == "None" || ports.is_empty() {
        return Vec::new();
    }
    let prefix = env_name(str_at(service, "/metadata/name"));
    let port_of = |p: &Value| p["port"].as_i64().unwrap_or(0);
    let mut out = vec![
        (format!("{prefix}_SERVICE_HOST"), ip.to_string()),
        (
            format!("{prefix}_SERVICE_PORT"),
            port_of(ports[0]).to_string(),
        ),
    ];
    for p in &ports {
        let name = str_at(p, "/name");
        if !name.is_empty() {
            out.push((
                format!("{prefix}_SERVICE_PORT_{}", env_name(name)),
                port_of(p).to_string(),
            ));
        }
    }
    for (i, p) in ports.iter().enumerate() {
        let protocol = match str_at(p, "/protocol") {
            "" => "TCP",
            other => other,
        };
        let lower = protocol.to_lowercase();
        let url = format!("{lower}://{ip}:{}", port_of(p));
        if i == 0 {
            out.push((format!("{prefix}_PORT"), url.clone()));
        }
        let port_prefix = format!("{prefix}_PORT_{}_{}", port_of(p), protocol.to_uppercase());
        out.push((port_prefix.clone(), url));
        out.push((format!("{port_prefix}_PROTO"), lower));
        out.push((format!("{port_prefix}_PORT"), port_of(p).to_string()));
        out.push((format!("{port_prefix}_ADDR"), ip.to_string()));
    }
    out
}

impl<'a> Sources<'a> {
    /// The variables of the services a container sees: those of its namespace under enableServiceLinks
    /// (the default), and always the `kubernetes` service of `default`, as the kubelet gives them.
    async fn service_variables(&mut self) -> Vec<(String, String)> {
        if let Some(v) = &self.services {
            return v.clone();
        }
        let (ns, _) = namespace_and_name(self.pod);
        let links = self
            .pod
            .pointer("/spec/enableServiceLinks")
            .and_then(Value::as_bool)
            != Some(false);
        let mut services: BTreeMap<String, Value> = BTreeMap::new();
        if links {
            let path = format!("/api/v1/namespaces/{ns}/services");
            if let Ok(list) = self.host.client.get_json(&path).await {
                for s in list["items"].as_array().into_iter().flatten() {
                    services.insert(str_at(s, "/metadata/name").to_string(), s.clone());
                }
            }
        }
        if ns == "default" || !services.contains_key("kubernetes") {
            if let Ok(s) = self
                .host
                .client
                .get_json("/api/v1/namespaces/default/services/kubernetes")
                .await
            {
                services.insert("kubernetes".into(), s);
            }
        }
        let variables: Vec<(String, String)> =
            services.values().flat_map(service_variables).collect();
        self.services = Some(variables.clone());
        variables
    }

    pub fn new(host: &'a Host, pod: &'a Value) -> Self {
        Sources {
            host,
            pod,
            cache: HashMap::new(),
            services: None,
        }
    }

    async fn get(&mut self, plural: &str, name: &str) -> Option<Value> {
        let key = format!("{plural}/{name}");
        if let Some(v) = self.cache.get(&key) {
            return v.clone();
        }
        let (ns, _) = namespace_and_name(self.pod);
        let path = format!("/api/v1/namespaces/{ns}/{plural}/{name}");
        let v = self.host.client.get_json(&path).await.ok();
        self.cache.insert(key, v.clone());
        v
    }

    /// The container's environment as `NAME=value`; a missing source that is not optional stops the
    /// container, with the kubelet's words.
    pub async fn environment(&mut self, c: &Value, pod_ip: &str) -> Result<Vec<String>, String> {
        let services = self.service_variables().await;
        let mut vars: Vec<(String, String)> = Vec::new();
        let set = |vars: &mut Vec<(String, String)>, k: String, v: String| match vars
            .iter_mut()
            .find(|(n, _)| *n == k)
        {
            Some(e) => e.1 = v,
            None => vars.push((k, v)),
        };
        for from in c
            .get("envFrom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let prefix = str_at(from, "/prefix");
            let (plural, r) = match (from.get("configMapRef"), from.get("secretRef")) {
                (Some(r), _) => ("configmaps", r),
                (_, Some(r)) => ("secrets", r),
                _ => continue,
            };
            let name = str_at(r, "/name");
            let optional = r.get("optional").and_then(Value::as_bool) == Some(true);
            match self.get(plural, name).await {
                Some(obj) => {
                    for (k, v) in data_of(&obj) {
                        set(
                            &mut vars,
                            format!("{prefix}{k}"),
                            String::from_utf8_lossy(&v).into_owned(),
                        );
                    }
                }
                None if optional => {}
                None => {
                    return Err(format!(
                        "{} {name:?} not found",
                        &plural[..plural.len() - 1]
                    ))
                }
            }
        }
        let fields: Vec<(String, String)> = c
            .get("env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let name = str_at(e, "/name").to_string();
                let path = str_at(e, "/valueFrom/fieldRef/fieldPath");
                if !path.is_empty() {
                    return Some((name, field_value(self.pod, path, pod_ip, &self.host.ip)));
                }
                let r = e.pointer("/valueFrom/resourceFieldRef")?;
                Some((name, resource_value(self.pod, c, r)))
            })
            .collect();
        for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
            let name = str_at(e, "/name").to_string();
            if let Some(v) = e.get("value").and_then(Value::as_str) {
                // $(NAME) takes what is defined so far, the services' variables included.
                let value = expand(v, |n| {
                    vars.iter()
                        .chain(services.iter())
                        .find(|(k, _)| k == n)
                        .map(|(_, v)| v.clone())
                });
                set(&mut vars, name, value);
                continue;
            }
            if let Some((_, v)) = fields.iter().find(|(n, _)| *n == name) {
                set(&mut vars, name, v.clone());
                continue;
            }
            let (plural, r) = match (
                e.pointer("/valueFrom/configMapKeyRef"),
                e.pointer("/valueFrom/secretKeyRef"),
            ) {
                (Some(r), _) => ("configmaps", r),
                (_, Some(r)) => ("secrets", r),
                _ => {
                    set(&mut vars, name, String::new());
                    continue;
                }
            };
            let (source, key) = (str_at(r, "/name"), str_at(r, "/key"));
            let optional = r.get("optional").and_then(Value::as_bool) == Some(true);
            let value = self.get(plural, source).await.and_then(|obj| {
                data_of(&obj)
                    .into_iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v)
            });
            match value {
                Some(v) => set(&mut vars, name, String::from_utf8_lossy(&v).into_owned()),
                None if optional => {}
                None if self
                    .cache
                    .get(&format!("{plural}/{source}"))
                    .is_some_and(Option::is_some) =>
                {
                    return Err(format!(
                        "couldn't find key {key} in {} {}/{source}",
                        if plural == "secrets" {
                            "Secret"
                        } else {
                            "ConfigMap"
                        },
                        namespace_and_name(self.pod).0
                    ));
                }
                None => {
                    return Err(format!(
                        "{} {source:?} not found",
                        &plural[..plural.len() - 1]
                    ))
                }
            }
        }
        // Then the services' variables, where the container set none of the same name.
        for (k, v) in services {
            if !vars.iter().any(|(n, _)| *n == k) {
                vars.push((k, v));
            }
        }
        Ok(vars.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_expand_as_the_kubelets() {
        let lookup = |n: &str| (n == "A").then(|| "one".to_string());
        assert_eq!(expand("x$(A)y", lookup), "xoney");
        assert_eq!(
            expand("$(B) and $$(A) and $(A", lookup),
            "$(B) and $(A) and $(A"
        );
        assert_eq!(expand("cost: $5 $", lookup), "cost: $5 $");
    }

    #[test]
    fn service_variables_are_the_kubelets() {
        let svc = json!({"metadata": {"name": "my-web"}, "spec": {"clusterIP": "10.43.0.9",
            "ports": [{"name": "http", "port": 80}, {"name": "dns-udp", "port": 53, "protocol": "UDP"}]}});
        let vars: BTreeMap<String, String> = service_variables(&svc).into_iter().collect();
        assert_eq!(vars["MY_WEB_SERVICE_HOST"], "10.43.0.9");
        assert_eq!(vars["MY_WEB_SERVICE_PORT"], "80");
        assert_eq!(vars["MY_WEB_SERVICE_PORT_DNS_UDP"], "53");
        assert_eq!(vars["MY_WEB_PORT"], "tcp://10.43.0.9:80");
        assert_eq!(vars["MY_WEB_PORT_53_UDP"], "udp://10.43.0.9:53");
        assert_eq!(vars["MY_WEB_PORT_53_UDP_PROTO"], "udp");
        assert_eq!(vars["MY_WEB_PORT_80_TCP_ADDR"], "10.43.0.9");
        let headless = json!({"metadata": {"name": "db"}, "spec": {"clusterIP": "None", "ports": [{"port": 5432}]}});
        assert!(service_variables(&headless).is_empty());
    }
}
