//! The proxy's iptables mode: cluster IPs (and external IPs) become NAT rules, as kube-proxy's iptables mode
//! writes them. Every Service port has a chain that picks one ready endpoint at random (or keeps a client on
//! its endpoint under sessionAffinity ClientIP, with the `recent` match); every endpoint has a chain that
//! DNATs to it. A Service port with no ready endpoint, and any other port of a cluster IP, is rejected in
//! the filter table, so that nothing meant for a cluster IP is routed off the host.
//!
//! All chains carry a tag made from the node's name, so that several agents on one host (as in the tests)
//! keep to their own. Each sync rewrites them at once with `iptables-restore --noflush`; stopping removes
//! them and the jumps into them.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::controllers::str_at;

/// The bit marking a connection for masquerade, as kube-proxy's.
const MASQ_MARK: &str = "0x4000/0x4000";
/// How long a client stays on its endpoint under sessionAffinity ClientIP, unless the Service says.
const DEFAULT_AFFINITY_SECONDS: u64 = 10800;

/// Where this node's rules hook in, and which chains are its own.
pub struct Iptables {
    tag: String,
    /// The pods' bridge, when pods live on one: only their traffic enters by PREROUTING.
    bridge: Option<String>,
    /// The pods' subnet: traffic from elsewhere is masqueraded, so that replies come back through us.
    pod_subnet: Option<String>,
    /// Chains the last sync wrote, by table, to remove when a sync no longer needs them.
    chains: HashMap<&'static str, BTreeSet<String>>,
    /// The last rules written, to skip a sync that would change nothing; emptied by [`Iptables::refresh`].
    last: String,
}

/// One table's rules as `iptables-restore` reads them.
#[derive(Default)]
struct Table {
    chains: BTreeSet<String>,
    rules: Vec<String>,
}

impl Table {
    fn add(&mut self, chain: &str, rule: String) {
        self.chains.insert(chain.to_string());
        self.rules.push(format!("-A {chain} {rule}"));
    }
}

/// A stable, short hash (FNV-1a), for chain names that outlive the process.
fn short_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{:08X}", (h >> 32) as u32 ^ h as u32)
}

fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Result<String, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .map_err(|e| format!("{program}: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Iptables {
    /// Sets up this node's chains and the jumps into them, or says why the host's rules cannot be changed.
    pub fn start(
        node: &str,
        bridge: Option<String>,
        pod_subnet: Option<String>,
    ) -> Result<Iptables, String> {
        let mut me = Iptables {
            tag: short_hash(node),
            bridge,
            pod_subnet,
            chains: HashMap::new(),
            last: String::new(),
        };
        // Chains left by an agent of this node that did not stop cleanly stay, serving, until the first
        // sync (after Services and Endpoints are listed) rewrites them and removes those no longer wanted.
        for table in ["nat", "filter"] {
            let (chains, _) = ours(table, &me.tag)?;
            me.chains.insert(table, chains);
        }
        let roots = [
            ("nat", me.chain("SERVICES", "")),
            ("nat", me.chain("POSTROUTING", "")),
            ("filter", me.chain("FILTER", "")),
        ];
        for (table, chain) in &roots {
            if run("iptables", &["-w", "-t", table, "-S", chain], None).is_err() {
                run("iptables", &["-w", "-t", table, "-N", chain], None)?;
            }
        }
        me.ensure_jumps()?;
        Ok(me)
    }

    /// Makes the next sync write every rule again and check the jumps into them, in case something else
    /// (a firewall reload, say) took them away.
    pub fn refresh(&mut self) {
        self.last.clear();
    }

    /// Puts back any jump into our chains that is missing.
    fn ensure_jumps(&self) -> Result<(), String> {
        for (table, hook, jump) in self.jumps() {
            let mut rule = vec!["-w", "-t", table, "-C", hook.as_str()];
            rule.extend(jump.iter().map(String::as_str));
            if run("iptables", &rule, None).is_err() {
                rule[3] = "-I";
                rule.insert(5, "1");
                run("iptables", &rule, None)?;
            }
        }
        Ok(())
    }

    fn chain(&self, kind: &str, key: &str) -> String {
        match key {
            "" => format!("KYB-{kind}-{}", self.tag),
            _ => format!("KYB-{kind}-{}-{}", self.tag, short_hash(key)),
        }
    }

    /// The rules in the built-in chains that lead into ours: (table, built-in chain, rule).
    fn jumps(&self) -> Vec<(&'static str, String, Vec<String>)> {
        let services = self.chain("SERVICES", "");
        let mut prerouting = match &self.bridge {
            Some(b) => vec!["-i".to_string(), b.clone()],
            None => Vec::new(),
        };
        prerouting.extend(["-j".to_string(), services.clone()]);
        let filter = self.chain("FILTER", "");
        let mut out = vec![("nat", "OUTPUT".to_string(), vec!["-j".into(), services])];
        if self.bridge.is_some() {
            out.push(("nat", "PREROUTING".to_string(), prerouting));
        }
        out.push((
            "nat",
            "POSTROUTING".to_string(),
            vec!["-j".into(), self.chain("POSTROUTING", "")],
        ));
        // Only a connection's first packet is looked at, as kube-proxy's filter jumps do.
        for hook in ["FORWARD", "OUTPUT"] {
            let jump = ["-m", "conntrack", "--ctstate", "NEW", "-j", filter.as_str()];
            out.push(("filter", hook.to_string(), jump.map(String::from).to_vec()));
        }
        out
    }

    /// Writes the rules the Services and their Endpoints ask for; returns whether anything changed.
    pub fn sync(
        &mut self,
        services: &HashMap<String, Value>,
        endpoints: &HashMap<String, Value>,
    ) -> Result<bool, String> {
        let (nat, filter) = self.render(services, endpoints);
        let mut text = String::new();
        for (name, table) in [("nat", &nat), ("filter", &filter)] {
            text.push_str(&format!("*{name}\n"));
            let old = self.chains.get(name).cloned().unwrap_or_default();
            for chain in table.chains.union(&old) {
                text.push_str(&format!(":{chain} - [0:0]\n"));
            }
            for rule in &table.rules {
                text.push_str(rule);
                text.push('\n');
            }
            for stale in old.difference(&table.chains) {
                text.push_str(&format!("-X {stale}\n"));
            }
            text.push_str("COMMIT\n");
        }
        if text == self.last {
            return Ok(false);
        }
        run("iptables-restore", &["-w", "--noflush"], Some(&text))?;
        if self.last.is_empty() {
            self.ensure_jumps()?;
        }
        self.chains.insert("nat", nat.chains);
        self.chains.insert("filter", filter.chains);
        self.last = text;
        Ok(true)
    }

    /// The nat and filter rules for these Services.
    fn render(
        &self,
        services: &HashMap<String, Value>,
        endpoints: &HashMap<String, Value>,
    ) -> (Table, Table) {
        let (mut nat, mut filter) = (Table::default(), Table::default());
        let root = self.chain("SERVICES", "");
        let reject = self.chain("FILTER", "");
        nat.chains.insert(root.clone());
        filter.chains.insert(reject.clone());
        nat.add(
            &self.chain("POSTROUTING", ""),
            format!("-m mark --mark {MASQ_MARK} -j MASQUERADE"),
        );
        let mut keys: Vec<&String> = services.keys().collect();
        keys.sort();
        let mut cluster_ips = BTreeSet::new();
        for key in keys {
            let s = &services[key];
            let ip = str_at(s, "/spec/clusterIP");
            if ip.is_empty() || ip == "None" || str_at(s, "/spec/type") == "ExternalName" {
                continue;
            }
            let mut addresses = vec![ip.to_string()];
            addresses.extend(
                s["spec"]["externalIPs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string),
            );
            cluster_ips.insert(ip.to_string());
            let affinity = (str_at(s, "/spec/sessionAffinity") == "ClientIP").then(|| {
                s.pointer("/spec/sessionAffinityConfig/clientIP/timeoutSeconds")
                    .and_then(Value::as_u64)
                    .unwrap_or(DEFAULT_AFFINITY_SECONDS)
            });
            for p in s["spec"]["ports"].as_array().into_iter().flatten() {
                let Some(port) = p["port"].as_u64() else {
                    continue;
                };
                let protocol = match str_at(p, "/protocol") {
                    "" => "tcp".to_string(),
                    other => other.to_lowercase(),
                };
                let name = str_at(p, "/name");
                let what = format!("{key}:{name}");
                let backends = super::backends(endpoints, key, name);
                let matches = |address: &str| {
                    format!(
                        "-d {address}/32 -p {protocol} -m {protocol} --dport {port} -m comment --comment \"{what}\""
                    )
                };
                if backends.is_empty() {
                    for a in &addresses {
                        filter.add(
                            &reject,
                            format!(
                                "{} -j REJECT --reject-with icmp-port-unreachable",
                                matches(a)
                            ),
                        );
                    }
                    continue;
                }
                let svc = self.chain("SVC", &format!("{what}/{protocol}"));
                for a in &addresses {
                    nat.add(&root, format!("{} -j {svc}", matches(a)));
                }
                if let Some(subnet) = &self.pod_subnet {
                    nat.add(
                        &svc,
                        format!("! -s {subnet} -j MARK --set-xmark {MASQ_MARK}"),
                    );
                }
                let seps: Vec<String> = backends
                    .iter()
                    .map(|b| self.chain("SEP", &format!("{what}/{protocol}/{b}")))
                    .collect();
                if let Some(seconds) = affinity {
                    for sep in &seps {
                        nat.add(
                            &svc,
                            format!("-m recent --name {sep} --rcheck --seconds {seconds} --reap --rsource -j {sep}"),
                        );
                    }
                }
                let n = seps.len();
                for (i, sep) in seps.iter().enumerate() {
                    if i + 1 < n {
                        let probability = 1.0 / (n - i) as f64;
                        nat.add(
                            &svc,
                            format!(
                                "-m statistic --mode random --probability {probability:.11} -j {sep}"
                            ),
                        );
                    } else {
                        nat.add(&svc, format!("-j {sep}"));
                    }
                }
                for (sep, backend) in seps.iter().zip(&backends) {
                    let ip = backend.rsplit_once(':').map_or("", |(ip, _)| ip);
                    nat.add(sep, format!("-s {ip}/32 -j MARK --set-xmark {MASQ_MARK}"));
                    let remember = match affinity {
                        Some(_) => format!("-m recent --name {sep} --set --rsource "),
                        None => String::new(),
                    };
                    nat.add(
                        sep,
                        format!("-p {protocol} {remember}-j DNAT --to-destination {backend}"),
                    );
                }
            }
        }
        // Any other port of a cluster IP: refused here rather than routed out of the host.
        for ip in cluster_ips {
            filter.add(
                &reject,
                format!("-d {ip}/32 -j REJECT --reject-with icmp-port-unreachable"),
            );
        }
        (nat, filter)
    }

    /// Removes this node's chains and the jumps into them.
    pub fn stop(&mut self) {
        match remove(&self.tag) {
            Ok(()) => tracing::info!(tag = self.tag, "service proxy rules removed"),
            Err(e) => tracing::warn!(error = e, "removing the service proxy's rules"),
        }
        self.chains.clear();
    }
}

/// The chains in `table` tagged for `tag`, and the rules elsewhere that jump into them (as `-A` lines).
fn ours(table: &str, tag: &str) -> Result<(BTreeSet<String>, Vec<String>), String> {
    let saved = run("iptables-save", &["-t", table], None)?;
    let mine = |chain: &str| chain.starts_with("KYB-") && chain.contains(tag);
    let chains = saved
        .lines()
        .filter_map(|l| l.strip_prefix(':'))
        .filter_map(|l| l.split(' ').next())
        .filter(|c| mine(c))
        .map(str::to_string)
        .collect();
    let jumps = saved
        .lines()
        .filter(|l| {
            let mut words = l.split(' ');
            words.next() == Some("-A")
                && words.next().is_some_and(|c| !mine(c))
                && l.split(" -j ").nth(1).is_some_and(&mine)
        })
        .map(str::to_string)
        .collect();
    Ok((chains, jumps))
}

/// Removes every chain tagged for `tag`, and the jumps into them, whoever wrote them (`kybd proxy --cleanup`
/// and a stopping proxy alike).
fn remove(tag: &str) -> Result<(), String> {
    let mut text = String::new();
    for table in ["nat", "filter"] {
        let (chains, jumps) = ours(table, tag)?;
        for jump in jumps {
            let mut rule = vec!["-w", "-t", table, "-D"];
            rule.extend(jump.split(' ').skip(1));
            run("iptables", &rule, None)?;
        }
        text.push_str(&format!("*{table}\n"));
        for chain in &chains {
            text.push_str(&format!(":{chain} - [0:0]\n"));
        }
        for chain in &chains {
            text.push_str(&format!("-X {chain}\n"));
        }
        text.push_str("COMMIT\n");
    }
    run("iptables-restore", &["-w", "--noflush"], Some(&text)).map(|_| ())
}

/// Removes the rules of the node named `node`, as `kybd proxy --cleanup` does.
pub fn cleanup(node: &str) -> Result<(), String> {
    remove(&short_hash(node))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(affinity: bool) -> (Table, Table) {
        let me = Iptables {
            tag: short_hash("node-a"),
            bridge: Some("br-test".into()),
            pod_subnet: Some("172.30.0.0/16".into()),
            chains: HashMap::new(),
            last: String::new(),
        };
        let mut web = json!({"spec": {"clusterIP": "10.43.0.20", "externalIPs": ["192.0.2.7"], "ports": [
            {"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]}});
        if affinity {
            web["spec"]["sessionAffinity"] = json!("ClientIP");
        }
        let services = HashMap::from([
            ("ns/web".to_string(), web),
            (
                "ns/headless".to_string(),
                json!({"spec": {"clusterIP": "None", "ports": [{"port": 80}]}}),
            ),
        ]);
        let endpoints = HashMap::from([(
            "ns/web".to_string(),
            json!({"subsets": [{"addresses": [{"ip": "172.30.0.2"}, {"ip": "172.30.0.3"}, {"ip": "172.30.0.4"}],
                "notReadyAddresses": [{"ip": "172.30.0.5"}], "ports": [{"name": "http", "port": 8080}]}]}),
        )]);
        me.render(&services, &endpoints)
    }

    #[test]
    fn ready_endpoints_share_a_service_port_evenly_and_others_are_rejected() {
        let (nat, filter) = rules(false);
        let nat = nat.rules.join("\n");
        let filter = filter.rules.join("\n");
        // Both addresses of the port lead to its chain; the endpoints are picked with 1/3, 1/2, then the rest.
        assert_eq!(nat.matches("--dport 80 ").count(), 2, "{nat}");
        assert!(nat.contains("--probability 0.33333333333 "), "{nat}");
        assert!(nat.contains("--probability 0.50000000000 "), "{nat}");
        for ip in ["172.30.0.2", "172.30.0.3", "172.30.0.4"] {
            assert!(
                nat.contains(&format!("DNAT --to-destination {ip}:8080")),
                "{nat}"
            );
        }
        assert!(
            !nat.contains("172.30.0.5"),
            "not-ready endpoint used: {nat}"
        );
        assert!(nat.contains("! -s 172.30.0.0/16 -j MARK"), "{nat}");
        assert!(!nat.contains("recent"), "{nat}");
        // The UDP port has no endpoints, so it is refused; so is any other port of the cluster IP.
        assert!(
            filter.contains("-d 10.43.0.20/32 -p udp -m udp --dport 53"),
            "{filter}"
        );
        assert!(
            filter.ends_with("-d 10.43.0.20/32 -j REJECT --reject-with icmp-port-unreachable"),
            "{filter}"
        );
        assert!(!nat.contains("None") && !filter.contains("None"));
    }

    #[test]
    fn client_ip_affinity_remembers_the_endpoint() {
        let (nat, _) = rules(true);
        let nat = nat.rules.join("\n");
        assert_eq!(
            nat.matches("--rcheck --seconds 10800 --reap --rsource")
                .count(),
            3
        );
        assert_eq!(nat.matches("--set --rsource -j DNAT").count(), 3);
    }

    #[test]
    fn chain_names_fit_and_stay_the_same() {
        assert_eq!(short_hash("node-a"), short_hash("node-a"));
        assert_ne!(short_hash("node-a"), short_hash("node-b"));
        let (nat, _) = rules(true);
        for chain in &nat.chains {
            assert!(chain.len() <= 28, "{chain} is too long for iptables");
        }
    }
}
