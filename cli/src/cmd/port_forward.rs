//! `kyb port-forward (POD | TYPE/NAME) [LOCAL:]REMOTE...`, as kubectl forwards: each local connection is
//! carried over its own websocket to `pods/portforward` in kube's port-forward protocol (data on channel 0,
//! errors on channel 1, each opened with the port). Services map their ports to the pods' target ports,
//! named ports are looked up in the pod, `:REMOTE` takes a free local port, and `--address` picks where to
//! listen. The command ends, with kubectl's words, when the pod goes away.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::protocol::{Message, Role};
use tokio_tungstenite::WebSocketStream;

use super::get::encode;
use super::{CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct PortForwardArgs {
    /// POD or TYPE/NAME, then [LOCAL_PORT:]REMOTE_PORT...
    args: Vec<String>,
    /// Addresses to listen on (comma separated). Only accepts IP addresses or localhost as a value.
    #[arg(long, default_value = "localhost", value_delimiter = ',')]
    address: Vec<String>,
    /// How long to wait for a workload's pod to exist (e.g. 5s, 2m).
    #[arg(long, default_value = "1m")]
    pod_running_timeout: String,
}

/// A container port by number or name.
fn container_port(pod: &Value, port: &str) -> Result<u16, String> {
    if let Ok(n) = port.parse::<u16>() {
        return Ok(n);
    }
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["ports"].as_array().into_iter().flatten())
        .find(|p| p["name"] == port)
        .and_then(|p| p["containerPort"].as_u64())
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| {
            format!(
                "Pod '{}' does not have a named port '{port}'",
                pod["metadata"]["name"].as_str().unwrap_or_default()
            )
        })
}

/// A service port's target in the pod (kubectl's translateServicePortToTargetPort).
fn service_target(service: &Value, pod: &Value, port: &str) -> Result<u16, String> {
    let name = service["metadata"]["name"].as_str().unwrap_or_default();
    let wanted: Option<u16> = port.parse().ok();
    let found = service["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| match wanted {
            Some(n) => p["port"].as_u64() == Some(u64::from(n)),
            None => p["name"] == port,
        })
        .ok_or_else(|| format!("Service {name} does not have a service port {port}"))?;
    match &found["targetPort"] {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| format!("invalid target port {n}")),
        Value::String(named) => container_port(pod, named),
        _ => found["port"]
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| "invalid service port".to_string()),
    }
}

/// Where to listen: `localhost` is both loopbacks, as kubectl takes it.
fn listen_addresses(addresses: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for a in addresses {
        match a.as_str() {
            "localhost" => out.extend(["127.0.0.1".to_string(), "::1".to_string()]),
            other => out.push(other.to_string()),
        }
    }
    out
}

/// A line on stdout; a reader that has gone away is no reason to stop forwarding.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn shown(address: &str) -> String {
    if address.contains(':') {
        format!("[{address}]")
    } else {
        address.to_string()
    }
}

pub async fn run(ctx: &Ctx, a: PortForwardArgs) -> CliResult {
    if a.args.len() < 2 {
        return Err(CliError::Msg(
            "TYPE/NAME and list of ports are required for port-forward".into(),
        ));
    }
    let target = &a.args[0];
    let timeout = super::logs::running_timeout(&a.pod_running_timeout, Duration::from_secs(60))?;
    let pod = super::logs::pod_for(ctx, target, timeout).await?;
    let service = match target.split_once('/') {
        Some(("svc" | "service" | "services", name)) => Some(
            ctx.client
                .get_json(&format!(
                    "/api/v1/namespaces/{}/services/{}",
                    ctx.namespace(),
                    encode(name)
                ))
                .await?,
        ),
        _ => None,
    };
    let mut mappings = Vec::new();
    for spec in &a.args[1..] {
        let (local, remote) = match spec.split_once(':') {
            Some((l, r)) => (l, r),
            None => (spec.as_str(), spec.as_str()),
        };
        let remote_port = match &service {
            Some(svc) => service_target(svc, &pod, remote),
            None => container_port(&pod, remote),
        }
        .map_err(CliError::Msg)?;
        // With no local part, a number listens on itself and a name on the port it names.
        let local_port: u16 = match (spec.contains(':'), local) {
            (true, "") => 0,
            (false, l) if l.parse::<u16>().is_err() => remote_port,
            (_, l) => l.parse().map_err(|_| {
                CliError::Msg(format!("Error parsing local port '{l}': not a number"))
            })?,
        };
        mappings.push((local_port, remote_port));
    }
    let phase = pod["status"]["phase"].as_str().unwrap_or_default();
    if phase != "Running" {
        return Err(CliError::Msg(format!(
            "unable to forward port because pod is not running. Current status={phase}"
        )));
    }
    let name = pod["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let uid = pod["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut listeners = Vec::new();
    for (local, remote) in &mappings {
        let mut port = *local;
        for address in listen_addresses(&a.address) {
            match tokio::net::TcpListener::bind((address.as_str(), port)).await {
                Ok(l) => {
                    port = l.local_addr().map(|a| a.port()).unwrap_or(port);
                    say(&format!(
                        "Forwarding from {}:{port} -> {remote}",
                        shown(&address)
                    ));
                    listeners.push((l, port, *remote));
                }
                Err(e) if address == "::1" && a.address.iter().any(|x| x == "localhost") => {
                    let _ = e; // no IPv6 loopback here: IPv4 serves
                }
                Err(e) => eprintln!("Unable to listen on port {port}: {e}"),
            }
        }
    }
    if listeners.is_empty() {
        let wanted: Vec<String> = mappings
            .iter()
            .map(|(l, r)| format!("{{{l} {r}}}"))
            .collect();
        return Err(CliError::Msg(format!(
            "unable to listen on any of the requested ports: [{}]",
            wanted.join(" ")
        )));
    }
    for (listener, local, remote) in listeners {
        let client = ctx.client.clone();
        let name = name.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                say(&format!("Handling connection for {local}"));
                let (client, name) = (client.clone(), name.clone());
                tokio::spawn(async move {
                    let ctx = Ctx { client };
                    if let Err(e) = carry(&ctx, &name, conn, remote).await {
                        eprintln!(
                            "error: an error occurred forwarding {local} -> {remote}: {}",
                            e.to_string().trim_start_matches("error: ")
                        );
                    }
                });
            }
        });
    }
    // Until the pod goes away (or is replaced), or the user stops us.
    let path = format!(
        "/api/v1/namespaces/{}/pods/{}",
        ctx.namespace(),
        encode(&name)
    );
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let gone = match ctx.client.get_json(&path).await {
            Ok(p) => {
                p["metadata"]["uid"] != uid.as_str()
                    || p["metadata"]["deletionTimestamp"].is_string()
                    || p["status"]["phase"] != "Running"
            }
            Err(e) => e.is_not_found(),
        };
        if gone {
            return Err(CliError::Msg("lost connection to pod".into()));
        }
    }
}

/// One local connection, carried to the pod's port over its own websocket.
async fn carry(ctx: &Ctx, pod: &str, conn: tokio::net::TcpStream, port: u16) -> CliResult {
    let path = format!(
        "/api/v1/namespaces/{}/pods/{}/portforward?ports={port}",
        ctx.namespace(),
        encode(pod)
    );
    let (raw, _) = ctx.client.upgrade(&path, &["v4.channel.k8s.io"]).await?;
    let socket = WebSocketStream::from_raw_socket(raw, Role::Client, None).await;
    let (mut sink, mut stream) = socket.split();
    let (mut read, mut write) = conn.into_split();
    let upstream = tokio::spawn(async move {
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut frame = Vec::with_capacity(n + 1);
                    frame.push(0u8);
                    frame.extend_from_slice(&buf[..n]);
                    if sink.send(Message::Binary(frame.into())).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = sink.close().await;
    });
    // The first message on each channel is the port; the rest of channel 0 is the pod's bytes.
    let mut opened = [false, false];
    let mut failure = None;
    while let Some(message) = stream.next().await {
        let data = match message {
            Ok(Message::Binary(b)) => b.to_vec(),
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        let Some((channel, rest)) = data.split_first() else {
            continue;
        };
        let slot = usize::from(*channel).min(1);
        if !opened[slot] {
            opened[slot] = true;
            continue;
        }
        if *channel == 0 {
            if write.write_all(rest).await.is_err() {
                break;
            }
        } else if !rest.is_empty() {
            failure = Some(String::from_utf8_lossy(rest).into_owned());
        }
    }
    upstream.abort();
    let _ = write.shutdown().await;
    match failure {
        Some(message) => Err(CliError::Msg(message)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn service_ports_map_to_the_pods_target_ports() {
        let pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"ports": [{"name": "http", "containerPort": 8080}]}]}});
        let svc = json!({"metadata": {"name": "web"}, "spec": {"ports": [
            {"name": "web", "port": 80, "targetPort": "http"}, {"port": 81, "targetPort": 9000}, {"port": 82}]}});
        assert_eq!(service_target(&svc, &pod, "80"), Ok(8080));
        assert_eq!(service_target(&svc, &pod, "web"), Ok(8080));
        assert_eq!(service_target(&svc, &pod, "81"), Ok(9000));
        assert_eq!(service_target(&svc, &pod, "82"), Ok(82));
        assert_eq!(
            service_target(&svc, &pod, "83"),
            Err("Service web does not have a service port 83".into())
        );
        assert_eq!(container_port(&pod, "http"), Ok(8080));
        assert!(container_port(&pod, "grpc").is_err());
        assert_eq!(
            listen_addresses(&["localhost".into()]),
            ["127.0.0.1", "::1"]
        );
    }
}
