//! Cluster DNS on a Docker node, on hickory-server: `<service>.<namespace>.svc.cluster.local` answers with
//! the Service's cluster IP (a headless Service's ready endpoint addresses; an ExternalName Service's CNAME),
//! `<hostname>.<service>...` with a headless endpoint, `_<port>._<proto>.<service>...` with SRV records for
//! named ports, `<a-b-c-d>.<namespace>.pod.cluster.local` with the pod address; other `cluster.local` names
//! do not exist, and every other name is forwarded to the host's first resolver. The node's pods get it as
//! their nameserver under dnsPolicy ClusterFirst.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hickory_server::authority::MessageResponseBuilder;
use hickory_server::proto::op::{Header, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_server::proto::rr::rdata::{A, CNAME, SRV};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::ServerFuture;
use kyb_api::client::Client;
use serde_json::Value;

use crate::controllers::str_at;
use crate::informer;

/// The cluster's domain.
pub const DOMAIN: &str = "cluster.local";
const TTL: u32 = 5;

/// Services and Endpoints by `namespace/name`, kept by watches. A std lock: held only to read or write a
/// map, never across an await.
#[derive(Default)]
pub struct Records {
    services: RwLock<HashMap<String, Value>>,
    endpoints: RwLock<HashMap<String, Value>>,
}

/// What a name resolves to here.
#[derive(Debug, PartialEq)]
enum Lookup {
    Found(Vec<Record>),
    /// A cluster name that does not exist.
    NoSuchName,
    /// Not a cluster name: the host's resolvers answer it.
    Elsewhere,
}

fn record(name: &Name, data: RData) -> Record {
    Record::from_rdata(name.clone(), TTL, data)
}

impl Records {
    fn answer(&self, name: &Name, kind: RecordType) -> Lookup {
        let text = name.to_ascii().trim_end_matches('.').to_ascii_lowercase();
        let Some(local) = text.strip_suffix(&format!(".{DOMAIN}")) else {
            return if text == DOMAIN {
                Lookup::NoSuchName
            } else {
                Lookup::Elsewhere
            };
        };
        let parts: Vec<&str> = local.split('.').collect();
        // Looked up in place under the read locks, which no await crosses: no copy of the maps per query.
        let services = self.services.read().unwrap_or_else(|p| p.into_inner());
        let endpoints = self.endpoints.read().unwrap_or_else(|p| p.into_inner());
        let ready = |ns: &str, svc: &str| -> Vec<(String, String)> {
            endpoints
                .get(&format!("{ns}/{svc}"))
                .and_then(|e| e["subsets"].as_array())
                .into_iter()
                .flatten()
                .flat_map(|s| s["addresses"].as_array().into_iter().flatten())
                .map(|a| {
                    (
                        str_at(a, "/ip").to_string(),
                        str_at(a, "/hostname").to_string(),
                    )
                })
                .collect()
        };
        let a_records = |ips: Vec<String>| -> Vec<Record> {
            ips.iter()
                .filter_map(|ip| Ipv4Addr::from_str(ip).ok())
                .map(|ip| record(name, RData::A(A(ip))))
                .collect()
        };
        let found = |records: Vec<Record>| {
            if records.is_empty() {
                Lookup::NoSuchName
            } else {
                Lookup::Found(records)
            }
        };
        match parts.as_slice() {
            [svc, ns, "svc"] => {
                let Some(s) = services.get(&format!("{ns}/{svc}")) else {
                    return Lookup::NoSuchName;
                };
                if str_at(s, "/spec/type") == "ExternalName" {
                    let target = Name::from_ascii(format!("{}.", str_at(s, "/spec/externalName")));
                    return match target {
                        Ok(t) => Lookup::Found(vec![record(name, RData::CNAME(CNAME(t)))]),
                        Err(_) => Lookup::NoSuchName,
                    };
                }
                if kind != RecordType::A && kind != RecordType::ANY {
                    return Lookup::Found(Vec::new());
                }
                match str_at(s, "/spec/clusterIP") {
                    "None" => found(a_records(
                        ready(ns, svc).into_iter().map(|(ip, _)| ip).collect(),
                    )),
                    "" => Lookup::NoSuchName,
                    ip => found(a_records(vec![ip.to_string()])),
                }
            }
            [host, svc, ns, "svc"] if !host.starts_with('_') => found(a_records(
                ready(ns, svc)
                    .into_iter()
                    .filter(|(_, h)| h == host)
                    .map(|(ip, _)| ip)
                    .collect(),
            )),
            [port, proto, svc, ns, "svc"] => {
                let (Some(port), Some(proto)) = (port.strip_prefix('_'), proto.strip_prefix('_'))
                else {
                    return Lookup::NoSuchName;
                };
                let Some(s) = services.get(&format!("{ns}/{svc}")) else {
                    return Lookup::NoSuchName;
                };
                let target = Name::from_ascii(format!("{svc}.{ns}.svc.{DOMAIN}."));
                let records: Vec<Record> = s["spec"]["ports"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| {
                        str_at(p, "/name") == port
                            && match str_at(p, "/protocol") {
                                "" => proto == "tcp",
                                pr => pr.eq_ignore_ascii_case(proto),
                            }
                    })
                    .filter_map(|p| {
                        let number = u16::try_from(p["port"].as_u64()?).ok()?;
                        Some(record(
                            name,
                            RData::SRV(SRV::new(0, 100, number, target.clone().ok()?)),
                        ))
                    })
                    .collect();
                found(records)
            }
            [dashed, _ns, "pod"] => found(a_records(vec![dashed.replace('-', ".")])),
            _ => Lookup::NoSuchName,
        }
    }
}

struct Handler {
    records: Arc<Records>,
    /// The host's resolver, for names outside the cluster.
    upstream: Option<SocketAddr>,
}

/// Asks `upstream` the same question; its answers and response code.
async fn forward(
    upstream: SocketAddr,
    name: &Name,
    kind: RecordType,
) -> Option<(Vec<Record>, ResponseCode)> {
    let socket = tokio::net::UdpSocket::bind(if upstream.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })
    .await
    .ok()?;
    // A random id, so that answers to someone else's question are not taken for ours.
    let id = std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), name)
        as u16;
    let mut message = Message::new();
    message
        .set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(name.clone(), kind));
    socket
        .send_to(&message.to_vec().ok()?, upstream)
        .await
        .ok()?;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buf))
        .await
        .ok()?
        .ok()?;
    let reply = Message::from_vec(&buf[..n]).ok()?;
    Some((reply.answers().to_vec(), reply.response_code()))
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler>(
        &self,
        request: &Request,
        mut response: R,
    ) -> ResponseInfo {
        let builder = MessageResponseBuilder::from_message_request(request);
        let mut header = Header::response_from_request(request.header());
        let Ok(info) = request.request_info() else {
            header.set_response_code(ResponseCode::FormErr);
            let reply = builder.build_no_records(header);
            return response
                .send_response(reply)
                .await
                .unwrap_or_else(|_| header.into());
        };
        let name: Name = info.query.name().into();
        let kind = info.query.query_type();
        let (records, code, authoritative) = match self.records.answer(&name, kind) {
            Lookup::Found(r) => (r, ResponseCode::NoError, true),
            Lookup::NoSuchName => (Vec::new(), ResponseCode::NXDomain, true),
            Lookup::Elsewhere => match self.upstream {
                Some(up) => match forward(up, &name, kind).await {
                    Some((r, code)) => (r, code, false),
                    None => (Vec::new(), ResponseCode::ServFail, false),
                },
                None => (Vec::new(), ResponseCode::ServFail, false),
            },
        };
        header.set_authoritative(authoritative);
        header.set_recursion_available(true);
        header.set_response_code(code);
        let reply = builder.build(header, records.iter(), [], [], []);
        response
            .send_response(reply)
            .await
            .unwrap_or_else(|_| header.into())
    }
}

/// The host's first resolver that is not `own`, from /etc/resolv.conf.
fn host_resolver(own: &str) -> Option<SocketAddr> {
    std::fs::read_to_string("/etc/resolv.conf")
        .ok()?
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .map(str::trim)
        .filter(|ip| *ip != own)
        .find_map(|ip| {
            format!("{ip}:53")
                .parse()
                .ok()
                .or_else(|| format!("[{ip}]:53").parse().ok())
        })
}

/// Serves cluster DNS on `address`:53 (UDP and TCP) until the process ends, forwarding other names to
/// `upstream` (else the host's first resolver); Err when the port cannot be had, so that the node runs
/// without it.
pub async fn serve(
    client: Client,
    address: &str,
    upstream: Option<SocketAddr>,
) -> std::io::Result<()> {
    let udp = tokio::net::UdpSocket::bind((address, 53)).await?;
    let tcp = tokio::net::TcpListener::bind((address, 53)).await?;
    let records = Arc::new(Records::default());
    for (path, which) in [("/api/v1/services", 0), ("/api/v1/endpoints", 1)] {
        let mut feed = informer::start(client.clone(), path.to_string());
        let records = records.clone();
        tokio::spawn(async move {
            while let Some(update) = feed.recv().await {
                let map = if which == 0 {
                    &records.services
                } else {
                    &records.endpoints
                };
                informer::apply(map, update);
            }
        });
    }
    let handler = Handler {
        records,
        upstream: upstream.or_else(|| host_resolver(address)),
    };
    let mut server = ServerFuture::new(handler);
    server.register_socket(udp);
    server.register_listener(tcp, Duration::from_secs(5));
    tokio::spawn(async move {
        if let Err(e) = server.block_until_done().await {
            tracing::warn!(error = %e, "cluster DNS stopped");
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::informer::Update;
    use serde_json::json;

    fn records() -> Records {
        let r = Records::default();
        let svc = |name: &str, spec: Value| json!({"metadata": {"name": name, "namespace": "default"}, "spec": spec});
        informer::apply(
            &r.services,
            Update::Reset(vec![
                svc(
                    "web",
                    json!({"clusterIP": "10.43.0.9", "ports": [{"name": "http", "port": 80}]}),
                ),
                svc("db", json!({"clusterIP": "None"})),
                svc(
                    "ext",
                    json!({"type": "ExternalName", "externalName": "web.default.svc.cluster.local"}),
                ),
            ]),
        );
        informer::apply(
            &r.endpoints,
            Update::Reset(vec![
                json!({"metadata": {"name": "db", "namespace": "default"},
            "subsets": [{"addresses": [{"ip": "10.88.0.2", "hostname": "db-0"}, {"ip": "10.88.0.3"}]}]}),
            ]),
        );
        r
    }

    fn ask(r: &Records, name: &str, kind: RecordType) -> Vec<String> {
        match r.answer(&Name::from_ascii(name).unwrap_or_default(), kind) {
            Lookup::Found(rs) => rs.iter().map(|r| r.data().to_string()).collect(),
            other => vec![format!("{other:?}")],
        }
    }

    #[test]
    fn cluster_names_resolve_as_kube_dns_answers_them() {
        let r = records();
        assert_eq!(
            ask(&r, "web.default.svc.cluster.local.", RecordType::A),
            ["10.43.0.9"]
        );
        assert_eq!(
            ask(&r, "db.default.svc.cluster.local", RecordType::A),
            ["10.88.0.2", "10.88.0.3"]
        );
        assert_eq!(
            ask(&r, "db-0.db.default.svc.cluster.local", RecordType::A),
            ["10.88.0.2"]
        );
        assert_eq!(
            ask(&r, "ext.default.svc.cluster.local", RecordType::A),
            ["web.default.svc.cluster.local."]
        );
        assert_eq!(
            ask(
                &r,
                "_http._tcp.web.default.svc.cluster.local",
                RecordType::SRV
            ),
            ["0 100 80 web.default.svc.cluster.local."]
        );
        assert_eq!(
            ask(&r, "10-88-0-7.default.pod.cluster.local", RecordType::A),
            ["10.88.0.7"]
        );
        assert_eq!(
            ask(&r, "nope.default.svc.cluster.local", RecordType::A),
            ["NoSuchName"]
        );
        assert_eq!(ask(&r, "example.com", RecordType::A), ["Elsewhere"]);
    }
}
