//! A container's environment, as the kubelet's makeEnvironmentVariables builds it: envFrom first, then
//! env, with values, downward API fields, resources and ConfigMap or Secret keys resolved.

use std::collections::HashMap;

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
}

impl<'a> Sources<'a> {
    pub fn new(host: &'a Host, pod: &'a Value) -> Self {
        Sources {
            host,
            pod,
            cache: HashMap::new(),
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
                set(&mut vars, name, v.to_string());
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
        Ok(vars.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
    }
}
