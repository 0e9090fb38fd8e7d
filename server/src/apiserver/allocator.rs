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

/// The service CIDR k3s uses, the default; the first address is the `kubernetes` service's.
pub const SERVICE_CIDR: &str = "10.43.0.0/16";
/// The node port range Kubernetes uses, the default.
pub const NODE_PORT_RANGE: &str = "30000-32767";
/// How long a fresh allocation is held back from others while its create reaches the cache.
const HOLD: Duration = Duration::from_secs(30);

/// Cluster IPs from the service CIDR and node ports from their range; allocations handed out but perhaps
/// not yet visible in the watch cache are held back.
pub struct Allocator {
    /// The service network's first address and size.
    net: u32,
    size: u32,
    cidr: String,
    node_ports: std::ops::RangeInclusive<u16>,
    // A std mutex: held only to pick numbers, never across an await.
    held: Mutex<Vec<(Held, Instant)>>,
}

impl Default for Allocator {
    fn default() -> Self {
        Allocator::new(SERVICE_CIDR, NODE_PORT_RANGE).unwrap_or_else(|_| Allocator {
            net: u32::from_be_bytes([10, 43, 0, 0]),
            size: 1 << 16,
            cidr: SERVICE_CIDR.into(),
            node_ports: 30000..=32767,
            held: Mutex::default(),
        })
    }
}

impl Allocator {
    /// From `--service-cidr` (an IPv4 network of at least 8 addresses) and `--service-node-port-range`
    /// (`low-high`).
    pub fn new(cidr: &str, ports: &str) -> Result<Self, String> {
        let bad_cidr = || {
            format!("invalid --service-cidr {cidr:?}: want an IPv4 network such as 10.43.0.0/16")
        };
        let (ip, bits) = cidr.split_once('/').ok_or_else(bad_cidr)?;
        let ip: Ipv4Addr = ip.parse().map_err(|_| bad_cidr())?;
        let bits: u32 = bits
            .parse()
            .ok()
            .filter(|b| (8..=29).contains(b))
            .ok_or_else(bad_cidr)?;
        let size = 1u32 << (32 - bits);
        let net = u32::from(ip) & !(size - 1);
        let bad_ports = || {
            format!(
                "invalid --service-node-port-range {ports:?}: want low-high, such as 30000-32767"
            )
        };
        let (low, high) = ports.split_once('-').ok_or_else(bad_ports)?;
        let (low, high): (u16, u16) = (
            low.trim().parse().map_err(|_| bad_ports())?,
            high.trim().parse().map_err(|_| bad_ports())?,
        );
        if low == 0 || low > high {
            return Err(bad_ports());
        }
        Ok(Allocator {
            net,
            size,
            cidr: format!("{}/{bits}", Ipv4Addr::from(net)),
            node_ports: low..=high,
            held: Mutex::default(),
        })
    }

    /// The `kubernetes` service's address: the network's first.
    pub fn kubernetes_ip(&self) -> String {
        Ipv4Addr::from(self.net + 1).to_string()
    }
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
                    .filter(|n| n & !(self.size - 1) == self.net);
                let Some(n) = parsed else {
                    return Err(invalid(resource, &name, "spec.clusterIPs".into(), format!("Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {}", self.cidr)));
                };
                if used.contains(&Held::Ip(n)) {
                    return Err(invalid(resource, &name, "spec.clusterIPs".into(), format!("Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: provided IP is already allocated")));
                }
                fresh.push(Held::Ip(n));
                Some(ip)
            }
            (_, None, None) => {
                let seed = uuid::Uuid::new_v4().as_u128() as u32;
                let (net, size) = (self.net, self.size);
                // Not the network's address, the `kubernetes` service's, nor the broadcast address.
                let n = (0..size)
                    .map(|i| net | ((seed.wrapping_add(i)) % size))
                    .filter(|n| !matches!(n - net, 0 | 1) && n - net != size - 1)
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
                        let n16 = u16::try_from(n)
                            .ok()
                            .filter(|n| self.node_ports.contains(n));
                        let Some(n16) = n16 else {
                            return Err(invalid(resource, &name, format!("spec.ports[{i}].nodePort"), format!("Invalid value: {n}: provided port is not in the valid range. The range of valid ports is {}-{}", self.node_ports.start(), self.node_ports.end())));
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
                        let span = (self.node_ports.end() - self.node_ports.start()) as u32 + 1;
                        let seed = uuid::Uuid::new_v4().as_u128() as u32;
                        (0..span)
                            .map(|k| {
                                self.node_ports.start() + ((seed.wrapping_add(k)) % span) as u16
                            })
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
