//! Cluster IPs and node ports for Services, allocated by the API server as in Kubernetes.

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kyb_api::registry::Resource;
use serde_json::{json, Value};

use super::error::{ApiError, ApiResult};
use super::validation::Cause;
use super::{meta, WatchCache};

/// The service CIDR, as k3s sets it: 10.43.0.0/16. The first address is the `kubernetes` service's.
pub const SERVICE_NET: u32 = u32::from_be_bytes([10, 43, 0, 0]);
const SERVICE_NET_SIZE: u32 = 1 << 16;
pub const KUBERNETES_SERVICE_IP: &str = "10.43.0.1";
const NODE_PORTS: std::ops::RangeInclusive<u16> = 30000..=32767;
/// How long a fresh allocation is held back from others while its create reaches the cache.
const HOLD: Duration = Duration::from_secs(30);

/// Allocations handed out but perhaps not yet visible in the watch cache.
#[derive(Default)]
pub struct Allocator {
    // A std mutex: held only to pick numbers, never across an await.
    held: Mutex<Vec<(Held, Instant)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Held {
    Ip(u32),
    Port(u16),
}

fn in_use(cache: &WatchCache, services: &Resource, skip_uid: Option<&str>) -> HashSet<Held> {
    let all = cache
        .list(&services.storage_prefix(), None, None, |_| true)
        .items;
    let mut used = HashSet::new();
    for svc in all
        .iter()
        .filter(|s| skip_uid.is_none() || s.meta_str("uid") != skip_uid)
        .map(|s| s.value())
    {
        if let Some(ip) = svc
            .pointer("/spec/clusterIP")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Ipv4Addr>().ok())
        {
            used.insert(Held::Ip(u32::from(ip)));
        }
        for p in svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = p.get("nodePort").and_then(Value::as_u64) {
                used.insert(Held::Port(n as u16));
            }
        }
    }
    used
}

fn invalid(resource: &Resource, name: &str, field: String, message: String) -> ApiError {
    meta::invalid(
        resource,
        name,
        &[Cause {
            reason: "FieldValueInvalid",
            field,
            message,
        }],
    )
}

impl Allocator {
    /// Fills in spec.clusterIP(s) and node ports of a Service, keeping what `old` had allocated and refusing taken values.
    pub fn assign(
        &self,
        cache: &WatchCache,
        resource: &Resource,
        svc: &mut Value,
        old: Option<&Value>,
    ) -> ApiResult<()> {
        let name = meta::name(svc).unwrap_or_default().to_string();
        let Some(spec) = svc.get_mut("spec").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let kind = spec
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP")
            .to_string();
        let Ok(mut held) = self.held.lock() else {
            return Ok(());
        };
        held.retain(|(_, at)| at.elapsed() < HOLD);
        let mut used = in_use(cache, resource, old.and_then(|o| meta::str_field(o, "uid")));
        used.extend(held.iter().map(|(h, _)| *h));
        let mut fresh = Vec::new();

        let old_ip = old
            .and_then(|o| o.pointer("/spec/clusterIP"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let given = spec
            .get("clusterIP")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let ip = match (kind.as_str(), given, old_ip) {
            ("ExternalName", _, _) => None,
            (_, Some(ip), _) if ip == "None" => Some(ip),
            (_, None, Some(old)) => Some(old),
            (_, Some(ip), Some(old)) if ip == old => Some(ip),
            (_, Some(ip), _) => {
                let parsed = ip
                    .parse::<Ipv4Addr>()
                    .map(u32::from)
                    .ok()
                    .filter(|n| n & !(SERVICE_NET_SIZE - 1) == SERVICE_NET);
                let Some(n) = parsed else {
                    return Err(invalid(resource, &name, "spec.clusterIPs".into(), format!("Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is 10.43.0.0/16")));
                };
                if used.contains(&Held::Ip(n)) {
                    return Err(invalid(resource, &name, "spec.clusterIPs".into(), format!("Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: provided IP is already allocated")));
                }
                fresh.push(Held::Ip(n));
                Some(ip)
            }
            (_, None, None) => {
                let seed = uuid::Uuid::new_v4().as_u128() as u32;
                let n = (0..SERVICE_NET_SIZE)
                    .map(|i| SERVICE_NET | ((seed.wrapping_add(i)) % SERVICE_NET_SIZE))
                    .filter(|n| n & 0xff != 0 && n & 0xffff != 0xffff && n & 0xffff != 1)
                    .find(|n| !used.contains(&Held::Ip(*n)))
                    .ok_or_else(|| {
                        ApiError::from(kyb_api::status::Status::internal(
                            "failed to allocate a serviceIP: range is full",
                        ))
                    })?;
                fresh.push(Held::Ip(n));
                Some(Ipv4Addr::from(n).to_string())
            }
        };
        match ip {
            Some(ip) => {
                spec.insert("clusterIP".into(), json!(ip));
                spec.insert("clusterIPs".into(), json!([ip]));
                if ip != "None" || !spec.contains_key("ipFamilies") {
                    spec.insert("ipFamilies".into(), json!(["IPv4"]));
                }
            }
            None => {
                spec.remove("clusterIP");
                spec.remove("clusterIPs");
            }
        }

        if matches!(kind.as_str(), "NodePort" | "LoadBalancer") {
            let old_ports: Vec<Value> = old
                .and_then(|o| o.pointer("/spec/ports"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let ports = spec.get_mut("ports").and_then(Value::as_array_mut);
            for (i, p) in ports.into_iter().flatten().enumerate() {
                let given = p
                    .get("nodePort")
                    .and_then(Value::as_u64)
                    .filter(|n| *n != 0);
                let previous = old_ports
                    .iter()
                    .find(|o| {
                        o.get("port") == p.get("port") && o.get("protocol") == p.get("protocol")
                    })
                    .and_then(|o| o.get("nodePort"))
                    .and_then(Value::as_u64);
                let port = match (given, previous) {
                    (Some(n), Some(prev)) if n == prev => n as u16,
                    (None, Some(prev)) => prev as u16,
                    (Some(n), _) => {
                        let n16 = u16::try_from(n).ok().filter(|n| NODE_PORTS.contains(n));
                        let Some(n16) = n16 else {
                            return Err(invalid(resource, &name, format!("spec.ports[{i}].nodePort"), format!("Invalid value: {n}: provided port is not in the valid range. The range of valid ports is 30000-32767")));
                        };
                        if used.contains(&Held::Port(n16)) || fresh.contains(&Held::Port(n16)) {
                            return Err(invalid(
                                resource,
                                &name,
                                format!("spec.ports[{i}].nodePort"),
                                format!("Invalid value: {n}: provided port is already allocated"),
                            ));
                        }
                        n16
                    }
                    (None, None) => {
                        let span = (NODE_PORTS.end() - NODE_PORTS.start()) as u32 + 1;
                        let seed = uuid::Uuid::new_v4().as_u128() as u32;
                        (0..span)
                            .map(|k| NODE_PORTS.start() + ((seed.wrapping_add(k)) % span) as u16)
                            .find(|n| {
                                !used.contains(&Held::Port(*n)) && !fresh.contains(&Held::Port(*n))
                            })
                            .ok_or_else(|| {
                                ApiError::from(kyb_api::status::Status::internal(
                                    "failed to allocate a nodePort: range is full",
                                ))
                            })?
                    }
                };
                fresh.push(Held::Port(port));
                p["nodePort"] = json!(port);
            }
        }
        let now = Instant::now();
        held.extend(fresh.into_iter().map(|h| (h, now)));
        Ok(())
    }
}
