//! Pod volumes on the node: emptyDir and hostPath folders, ConfigMap, Secret, downwardAPI and projected
//! files (rewritten on every sync, so they follow their sources), and claims bound to hostPath volumes.
//! Also the downward API's field and resource values, which container env shares.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::node::Host;
use super::runtime::Mount;
use crate::controllers::{namespace_and_name, str_at};

/// A pod field as the downward API gives it (env fieldRef and downwardAPI volumes).
pub fn field_value(pod: &Value, path: &str, pod_ip: &str, host_ip: &str) -> String {
    let pairs = |field: &str| -> String {
        let mut lines: Vec<String> = pod
            .pointer(&format!("/metadata/{field}"))
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    Value::String(v.as_str().unwrap_or_default().to_string())
                )
            })
            .collect();
        lines.sort();
        lines.join("\n")
    };
    match path {
        "metadata.name"
        | "metadata.namespace"
        | "metadata.uid"
        | "spec.nodeName"
        | "spec.serviceAccountName" => str_at(pod, &format!("/{}", path.replace('.', "/"))).into(),
        "metadata.labels" => pairs("labels"),
        "metadata.annotations" => pairs("annotations"),
        "status.podIP" => pod_ip.into(),
        "status.hostIP" => host_ip.into(),
        _ => {
            // metadata.labels['key'] and metadata.annotations['key'].
            let keyed = |prefix: &str| {
                path.strip_prefix(prefix)?
                    .strip_suffix("']")
                    .map(String::from)
            };
            if let Some(k) = keyed("metadata.labels['") {
                return pod
                    .pointer("/metadata/labels")
                    .and_then(|l| l.get(&k))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .into();
            }
            if let Some(k) = keyed("metadata.annotations['") {
                return pod
                    .pointer("/metadata/annotations")
                    .and_then(|l| l.get(&k))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .into();
            }
            String::new()
        }
    }
}

/// A container resource as the downward API gives it: the limit or request in units of the divisor,
/// rounded up; an unset limit reads as this host's capacity, as the kubelet reads node allocatable.
pub fn resource_value(pod: &Value, container: &Value, r: &Value) -> String {
    let named = str_at(r, "/containerName");
    let c = if named.is_empty() {
        container
    } else {
        pod.pointer("/spec/containers")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| c["name"] == named))
            .unwrap_or(container)
    };
    let resource = str_at(r, "/resource");
    let (kind, name) = resource.split_once('.').unwrap_or(("limits", resource));
    let milli = |q: &str| kyb_api::quantity::parse_milli(q);
    let set = c
        .pointer(&format!("/resources/{kind}/{name}"))
        .and_then(Value::as_str)
        .and_then(milli);
    let value = set.unwrap_or_else(|| match name {
        "cpu" => super::node::cores() as i128 * 1000,
        "memory" => i128::from(super::node::memory_kib()) * 1024 * 1000,
        _ => 0,
    });
    let divisor = r
        .get("divisor")
        .and_then(|d| match d {
            Value::String(s) => milli(s),
            Value::Number(n) => n.as_i64().map(|n| i128::from(n) * 1000),
            _ => None,
        })
        .filter(|d| *d > 0)
        .unwrap_or(1000);
    ((value + divisor - 1) / divisor).to_string()
}

/// The keys and values of a ConfigMap (data and binaryData) or a Secret (data, base64).
pub fn data_of(obj: &Value) -> Vec<(String, Vec<u8>)> {
    use base64::Engine;
    let secret = obj.get("kind").and_then(Value::as_str) == Some("Secret");
    let mut out = Vec::new();
    for field in ["data", "binaryData", "stringData"] {
        for (k, v) in obj
            .get(field)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let text = v.as_str().unwrap_or_default();
            let bytes = if (secret && field == "data") || field == "binaryData" {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap_or_default()
            } else {
                text.as_bytes().to_vec()
            };
            out.push((k.clone(), bytes));
        }
    }
    out
}

/// Where a volume lives for the containers that mount it.
#[derive(Clone)]
pub enum Volume {
    Dir(PathBuf),
    /// emptyDir with medium Memory: a tmpfs per mount.
    Memory,
}

pub fn pod_dir(host: &Host, pod: &Value) -> PathBuf {
    host.root_dir
        .join("pods")
        .join(str_at(pod, "/metadata/uid"))
}

/// Makes the pod's volumes ready: emptyDir and hostPath folders, ConfigMap, Secret, downwardAPI and
/// projected files, and claimed volumes.
pub async fn prepare(host: &Host, pod: &Value) -> Result<HashMap<String, Volume>, String> {
    let mut out = HashMap::new();
    let base = pod_dir(host, pod).join("volumes");
    for v in pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = str_at(v, "/name").to_string();
        let mode = |spec: &Value| {
            spec.get("defaultMode")
                .and_then(Value::as_u64)
                .unwrap_or(0o644) as u32
        };
        let volume = if let Some(e) = v.get("emptyDir") {
            if str_at(e, "/medium") == "Memory" {
                Volume::Memory
            } else {
                let dir = base.join("empty-dir").join(&name);
                std::fs::create_dir_all(&dir).map_err(|e| format!("emptyDir {name}: {e}"))?;
                Volume::Dir(dir)
            }
        } else if let Some(h) = v.get("hostPath") {
            let path = PathBuf::from(str_at(h, "/path"));
            if matches!(str_at(h, "/type"), "DirectoryOrCreate") {
                std::fs::create_dir_all(&path).map_err(|e| format!("hostPath {name}: {e}"))?;
            }
            Volume::Dir(path)
        } else if let Some(c) = v.get("configMap") {
            let dir = base.join("configmap").join(&name);
            let source = Source::new("configmaps", c, "/name");
            write_source(host, pod, &source, mode(c), &name, &dir).await?;
            Volume::Dir(dir)
        } else if let Some(s) = v.get("secret") {
            let dir = base.join("secret").join(&name);
            let source = Source::new("secrets", s, "/secretName");
            write_source(host, pod, &source, mode(s), &name, &dir).await?;
            Volume::Dir(dir)
        } else if let Some(d) = v.get("downwardAPI") {
            let dir = base.join("downward-api").join(&name);
            write_downward_api(pod, d, mode(d), &dir)?;
            Volume::Dir(dir)
        } else if let Some(p) = v.get("projected") {
            let dir = base.join("projected").join(&name);
            write_projected(host, pod, p, mode(p), &name, &dir).await?;
            Volume::Dir(dir)
        } else if let Some(claim) = v.get("persistentVolumeClaim") {
            Volume::Dir(claimed_dir(host, pod, str_at(claim, "/claimName")).await?)
        } else {
            continue;
        };
        out.insert(name, volume);
    }
    Ok(out)
}

/// A projected volume: its ConfigMap, Secret and downwardAPI sources written into one folder, as the
/// kubelet's projected plugin does. Service account tokens are not projected yet (no token issuer).
async fn write_projected(
    host: &Host,
    pod: &Value,
    spec: &Value,
    default_mode: u32,
    volume: &str,
    dir: &Path,
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for source in spec
        .get("sources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(c) = source.get("configMap") {
            let s = Source::new("configmaps", c, "/name");
            write_source(host, pod, &s, default_mode, volume, dir).await?;
        } else if let Some(s) = source.get("secret") {
            let s = Source::new("secrets", s, "/name");
            write_source(host, pod, &s, default_mode, volume, dir).await?;
        } else if let Some(d) = source.get("downwardAPI") {
            write_downward_api(pod, d, default_mode, dir)?;
        } else if source.get("serviceAccountToken").is_some() {
            return Err(format!(
                "MountVolume.SetUp failed for volume {volume:?} : serviceAccountToken projections are not supported yet"
            ));
        }
    }
    Ok(())
}

/// Writes a downwardAPI volume's files: pod fields and container resources, with their modes.
fn write_downward_api(
    pod: &Value,
    spec: &Value,
    default_mode: u32,
    dir: &Path,
) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let first = pod
        .pointer("/spec/containers/0")
        .cloned()
        .unwrap_or(Value::Null);
    for item in spec
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let path = str_at(item, "/path");
        if path.is_empty() || path.starts_with('/') || path.split('/').any(|p| p == "..") {
            return Err(format!("invalid downwardAPI path {path:?}"));
        }
        let value = match (
            item.pointer("/fieldRef/fieldPath"),
            item.get("resourceFieldRef"),
        ) {
            (Some(f), _) => field_value(
                pod,
                f.as_str().unwrap_or_default(),
                str_at(pod, "/status/podIP"),
                str_at(pod, "/status/hostIP"),
            ),
            (_, Some(r)) => resource_value(pod, &first, r),
            _ => continue,
        };
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        if std::fs::read_to_string(&file).ok().as_deref() != Some(value.as_str()) {
            std::fs::write(&file, value).map_err(|e| e.to_string())?;
        }
        let mode = item
            .get("mode")
            .and_then(Value::as_u64)
            .map_or(default_mode, |m| m as u32);
        let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o777));
    }
    Ok(())
}

/// The folder of the hostPath volume bound to a claim (the local-path provisioner makes them).
async fn claimed_dir(host: &Host, pod: &Value, claim: &str) -> Result<PathBuf, String> {
    let (ns, _) = namespace_and_name(pod);
    let pvc = host
        .client
        .get_json(&format!(
            "/api/v1/namespaces/{ns}/persistentvolumeclaims/{claim}"
        ))
        .await
        .map_err(|e| e.to_string())?;
    let volume = str_at(&pvc, "/spec/volumeName");
    if volume.is_empty() || str_at(&pvc, "/status/phase") != "Bound" {
        return Err(format!("persistentvolumeclaim {claim:?} is not bound"));
    }
    let pv = host
        .client
        .get_json(&format!("/api/v1/persistentvolumes/{volume}"))
        .await
        .map_err(|e| e.to_string())?;
    let path = str_at(&pv, "/spec/hostPath/path");
    if path.is_empty() {
        return Err(format!(
            "persistentvolume {volume:?} is not a hostPath volume this node can mount"
        ));
    }
    std::fs::create_dir_all(path).map_err(|e| format!("persistentvolume {volume}: {e}"))?;
    Ok(PathBuf::from(path))
}

/// A ConfigMap or Secret a volume takes files from.
struct Source<'a> {
    plural: &'static str,
    spec: &'a Value,
    name: &'a str,
}

impl<'a> Source<'a> {
    fn new(plural: &'static str, spec: &'a Value, name_field: &str) -> Self {
        Source {
            plural,
            spec,
            name: str_at(spec, name_field),
        }
    }
}

/// Writes a ConfigMap or Secret source's files (its items, or every key), with their modes.
async fn write_source(
    host: &Host,
    pod: &Value,
    source: &Source<'_>,
    default_mode: u32,
    volume: &str,
    dir: &Path,
) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let (plural, spec, name) = (source.plural, source.spec, source.name);
    let (ns, _) = namespace_and_name(pod);
    let optional = spec.get("optional").and_then(Value::as_bool) == Some(true);
    let data = match host
        .client
        .get_json(&format!("/api/v1/namespaces/{ns}/{plural}/{name}"))
        .await
    {
        Ok(obj) => data_of(&obj),
        Err(e) if e.is_not_found() && optional => Vec::new(),
        Err(e) if e.is_not_found() => {
            return Err(format!(
                "MountVolume.SetUp failed for volume {volume:?} : {} {name:?} not found",
                &plural[..plural.len() - 1]
            ))
        }
        Err(e) => return Err(e.to_string()),
    };
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let items: Vec<(String, String, u32)> = match spec.get("items").and_then(Value::as_array) {
        Some(items) => items
            .iter()
            .map(|i| {
                let mode = i
                    .get("mode")
                    .and_then(Value::as_u64)
                    .map_or(default_mode, |m| m as u32);
                (
                    str_at(i, "/key").to_string(),
                    str_at(i, "/path").to_string(),
                    mode,
                )
            })
            .collect(),
        None => data
            .iter()
            .map(|(k, _)| (k.clone(), k.clone(), default_mode))
            .collect(),
    };
    for (key, path, mode) in items {
        let Some((_, bytes)) = data.iter().find(|(k, _)| *k == key) else {
            if optional {
                continue;
            }
            return Err(format!(
                "configmap references non-existent config key: {key}"
            ));
        };
        // Paths stay inside the volume: no absolute paths, no `..`.
        if path.starts_with('/') || path.split('/').any(|p| p == "..") {
            return Err(format!("invalid path {path:?} in volume {:?}", volume));
        }
        let file = dir.join(&path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        if std::fs::read(&file).ok().as_deref() != Some(bytes.as_slice()) {
            let tmp = file.with_extension("kybernet-tmp");
            std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &file).map_err(|e| e.to_string())?;
        }
        let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o777));
    }
    Ok(())
}

/// The container's mounts: binds of host folders, and tmpfs mounts.
pub fn mounts(c: &Value, volumes: &HashMap<String, Volume>) -> (Vec<Mount>, Vec<String>) {
    let (mut binds, mut tmpfs) = (Vec::new(), Vec::new());
    for m in c
        .get("volumeMounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let target = str_at(m, "/mountPath");
        let read_only = m.get("readOnly").and_then(Value::as_bool) == Some(true);
        match volumes.get(str_at(m, "/name")) {
            Some(Volume::Dir(dir)) => {
                let sub = str_at(m, "/subPath");
                let source = if sub.is_empty() || sub.split('/').any(|p| p == "..") {
                    dir.clone()
                } else {
                    dir.join(sub)
                };
                if !sub.is_empty() {
                    let _ = std::fs::create_dir_all(&source);
                }
                binds.push(Mount {
                    source,
                    target: target.to_string(),
                    read_only,
                });
            }
            Some(Volume::Memory) => tmpfs.push(target.to_string()),
            None => {}
        }
    }
    (binds, tmpfs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_downward_api_reads_fields_and_resources() {
        let pod = json!({"metadata": {"name": "p", "labels": {"b": "2", "a": "x\"y"}, "annotations": {"k": "v"}},
            "spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "250m", "memory": "64Mi"}}}]}});
        assert_eq!(
            field_value(&pod, "metadata.labels", "", ""),
            "a=\"x\\\"y\"\nb=\"2\""
        );
        assert_eq!(field_value(&pod, "metadata.annotations['k']", "", ""), "v");
        assert_eq!(
            field_value(&pod, "status.podIP", "10.0.0.2", ""),
            "10.0.0.2"
        );
        let c = &pod["spec"]["containers"][0];
        assert_eq!(
            resource_value(&pod, c, &json!({"resource": "limits.cpu", "divisor": "1m"})),
            "250"
        );
        assert_eq!(
            resource_value(&pod, c, &json!({"resource": "limits.cpu"})),
            "1"
        );
        assert_eq!(
            resource_value(
                &pod,
                c,
                &json!({"resource": "limits.memory", "divisor": "1Mi"})
            ),
            "64"
        );
    }
}
