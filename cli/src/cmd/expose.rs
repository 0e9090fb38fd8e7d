//! `kyb expose (TYPE NAME | TYPE/NAME) [--port] [--target-port] [--name] [--type] ...`, as kubectl exposes:
//! a Service selecting what a pod, Service, ReplicationController, Deployment or ReplicaSet selects, on the
//! ports given or found in it (several found ports are named `port-1`, `port-2`, ...), labelled as the
//! object unless `--labels` says otherwise.

use clap::Args;
use serde_json::{json, Map, Value};

use super::create::{create_all, Verb};
use super::get::encode;
use super::manifests::Manifest;
use super::{unknown_type, CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct ExposeArgs {
    /// TYPE NAME or TYPE/NAME
    args: Vec<String>,
    /// The port that the service should serve on. Copied from the resource being exposed, if unspecified
    #[arg(long)]
    port: Option<String>,
    /// Name or number for the port on the container that the service should direct traffic to. Optional.
    #[arg(long)]
    target_port: Option<String>,
    /// The network protocol for the service to be created. Default is 'TCP'.
    #[arg(long)]
    protocol: Option<String>,
    /// The name for the newly created object.
    #[arg(long)]
    name: Option<String>,
    /// Type for this service: ClusterIP, NodePort, LoadBalancer, or ExternalName. Default is 'ClusterIP'.
    #[arg(long = "type")]
    service_type: Option<String>,
    /// A label selector to use for this service. Only equality-based selector requirements are supported.
    #[arg(short = 'l', long)]
    selector: Option<String>,
    /// Labels to apply to the service created by this call.
    #[arg(long)]
    labels: Option<String>,
    /// Additional external IP address (not managed by Kubernetes) to accept for the service.
    #[arg(long)]
    external_ip: Option<String>,
    /// ClusterIP to be assigned to the service. Leave empty to auto-allocate, or set to 'None' to create a headless service.
    #[arg(long)]
    cluster_ip: Option<String>,
    /// If non-empty, set the session affinity for the service to this; legal values: 'None', 'ClientIP'
    #[arg(long)]
    session_affinity: Option<String>,
    #[arg(long, default_value = "none", num_args = 0..=1, default_missing_value = "client")]
    dry_run: String,
    #[arg(short = 'o', long)]
    output: Option<String>,
}

/// `a=b,c=d` as a map, as kubectl's parseLabels reads it.
fn parse_labels(s: &str) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for pair in s.split(',') {
        match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                out.insert(k.to_string(), json!(v));
            }
            _ => return Err(format!("invalid label spec: {pair}")),
        }
    }
    Ok(out)
}

/// The selector of what is exposed (kubectl's MapBasedSelectorForObject).
fn selector_of(kind: &str, obj: &Value) -> Result<Map<String, Value>, String> {
    let map = |v: &Value| v.as_object().cloned().unwrap_or_default();
    match kind {
        "Pod" if map(&obj["metadata"]["labels"]).is_empty() => Err(
            "couldn't retrieve selectors via --selector flag or introspection: the pod has no labels and cannot be exposed"
                .into(),
        ),
        "Pod" => Ok(map(&obj["metadata"]["labels"])),
        "Service" | "ReplicationController" => Ok(map(&obj["spec"]["selector"])),
        "Deployment" | "ReplicaSet" => {
            let sel = &obj["spec"]["selector"];
            if sel["matchExpressions"]
                .as_array()
                .is_some_and(|e| !e.is_empty())
            {
                return Err(format!(
                    "couldn't convert expressions - {:?} to map-based selector format",
                    sel["matchExpressions"].to_string()
                ));
            }
            Ok(map(&sel["matchLabels"]))
        }
        other => Err(format!("cannot expose a {other}")),
    }
}

/// The ports and their protocols found in what is exposed (kubectl's PortsForObject and
/// ProtocolsForObject): container ports of a pod or template, or a Service's own ports.
fn ports_of(kind: &str, obj: &Value) -> Vec<(String, String)> {
    let containers = match kind {
        "Pod" => &obj["spec"]["containers"],
        "Service" => {
            return obj["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    let protocol = p["protocol"].as_str().unwrap_or("TCP").to_string();
                    (p["port"].to_string(), protocol)
                })
                .collect();
        }
        _ => &obj["spec"]["template"]["spec"]["containers"],
    };
    containers
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["ports"].as_array().into_iter().flatten())
        .map(|p| {
            let protocol = p["protocol"].as_str().unwrap_or("TCP").to_string();
            (p["containerPort"].to_string(), protocol)
        })
        .collect()
}

/// The Service kubectl's expose generator makes.
fn service(a: &ExposeArgs, kind: &str, obj: &Value) -> Result<Value, String> {
    let selector = match &a.selector {
        Some(s) => parse_labels(s)?,
        None => selector_of(kind, obj)?,
    };
    if selector.is_empty() {
        return Err("selector must be specified".into());
    }
    let found = ports_of(kind, obj);
    let ports: Vec<(String, Option<String>)> = match &a.port {
        Some(p) => vec![(p.clone(), None)],
        None if found.is_empty() => {
            return Err("couldn't find port via --port flag or introspection".into())
        }
        None => found
            .iter()
            .map(|(p, proto)| (p.clone(), Some(proto.clone())))
            .collect(),
    };
    let many = ports.len() > 1;
    let mut out = Vec::new();
    for (i, (port, found_protocol)) in ports.iter().enumerate() {
        let number: i64 = port
            .parse()
            .map_err(|_| format!("strconv.Atoi: parsing {port:?}: invalid syntax"))?;
        let protocol = a
            .protocol
            .clone()
            .or_else(|| found_protocol.clone())
            .unwrap_or_else(|| "TCP".into());
        let mut p = Map::new();
        if many {
            p.insert("name".into(), json!(format!("port-{}", i + 1)));
        }
        p.insert("protocol".into(), json!(protocol));
        p.insert("port".into(), json!(number));
        let target = match &a.target_port {
            Some(t) => match t.parse::<i64>() {
                Ok(n) => json!(n),
                Err(_) => json!(t),
            },
            None => json!(number),
        };
        p.insert("targetPort".into(), target);
        out.push(Value::Object(p));
    }
    let name = a
        .name
        .clone()
        .or_else(|| obj["metadata"]["name"].as_str().map(String::from))
        .ok_or("name must be specified")?;
    let labels = match &a.labels {
        Some(l) => Some(parse_labels(l)?),
        None => obj["metadata"]["labels"]
            .as_object()
            .cloned()
            .filter(|m| !m.is_empty()),
    };
    let mut metadata = json!({"name": name, "creationTimestamp": null});
    if let Some(l) = labels {
        metadata["labels"] = json!(l);
    }
    let mut spec = json!({"ports": out, "selector": selector});
    if let Some(ip) = &a.cluster_ip {
        spec["clusterIP"] = json!(ip);
    }
    if let Some(t) = &a.service_type {
        spec["type"] = json!(t);
    }
    if let Some(ip) = &a.external_ip {
        spec["externalIPs"] = json!([ip]);
    }
    if let Some(affinity) = &a.session_affinity {
        if !matches!(affinity.as_str(), "None" | "ClientIP") {
            return Err(format!("unknown session affinity: {affinity}"));
        }
        spec["sessionAffinity"] = json!(affinity);
    }
    Ok(
        json!({"kind": "Service", "apiVersion": "v1", "metadata": metadata, "spec": spec,
        "status": {"loadBalancer": {}}}),
    )
}

pub async fn run(ctx: &Ctx, a: ExposeArgs) -> CliResult {
    let (typed, name) = match a.args.as_slice() {
        [one] => match one.split_once('/') {
            Some((t, n)) => (t.to_string(), n.to_string()),
            None => return Err(unknown_type(one)),
        },
        [t, n] => (t.clone(), n.clone()),
        _ => {
            return Err(CliError::Msg(
                "You must provide one or more resources by argument or filename.".into(),
            ))
        }
    };
    let discovery = ctx.discovery(false).await?;
    let resource = discovery
        .resolve(&typed)
        .ok_or_else(|| unknown_type(&typed))?;
    let path = format!("{}/{}", resource.path(Some(ctx.namespace())), encode(&name));
    let obj = ctx.client.get_json(&path).await?;
    let service = service(&a, &resource.kind, &obj).map_err(CliError::Msg)?;
    let manifest = Manifest {
        source: String::new(),
        object: service,
    };
    let verb = Verb {
        done: "exposed",
        manager: "kubectl-expose",
    };
    create_all(
        ctx,
        vec![manifest],
        &a.dry_run,
        a.output.as_deref(),
        (true, None),
        &verb,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_ports_come_from_what_is_exposed() {
        let deploy = json!({"metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"spec": {"containers": [
                {"ports": [{"containerPort": 8080}, {"containerPort": 53, "protocol": "UDP"}]}]}}}});
        let selector = selector_of("Deployment", &deploy).unwrap_or_default();
        assert_eq!(Value::Object(selector), json!({"app": "web"}));
        assert_eq!(
            ports_of("Deployment", &deploy),
            [
                ("8080".to_string(), "TCP".to_string()),
                ("53".to_string(), "UDP".to_string())
            ]
        );
        assert_eq!(
            selector_of("ConfigMap", &deploy),
            Err("cannot expose a ConfigMap".to_string())
        );
    }
}
