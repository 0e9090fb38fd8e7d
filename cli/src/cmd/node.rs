//! `kyb cordon`, `uncordon`, `taint` and `drain`: node maintenance as kubectl does it, through patches and evictions.

use std::time::{Duration, Instant};

use clap::Args;
use kyb_api::client::{Client, ClientError, Method};
use serde_json::{json, Value};

use super::get::encode;
use super::{meta_str, CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct CordonArgs {
    /// NODE...
    nodes: Vec<String>,
    /// Selector (label query) to filter nodes on.
    #[arg(short = 'l', long)]
    selector: Option<String>,
}

#[derive(Debug, Args)]
pub struct TaintArgs {
    /// node NODE... KEY_1=VAL_1:TAINT_EFFECT_1 ... KEY_N:TAINT_EFFECT_N-
    args: Vec<String>,
    /// If true, allow taints to be overwritten.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    overwrite: bool,
    #[arg(short = 'l', long)]
    selector: Option<String>,
    /// Select all nodes in the cluster.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    all: bool,
}

#[derive(Debug, Args)]
pub struct DrainArgs {
    /// NODE...
    nodes: Vec<String>,
    /// Ignore DaemonSet-managed pods.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    ignore_daemonsets: bool,
    /// Continue even if there are pods using emptyDir (local data that will be deleted when the node is drained).
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    delete_emptydir_data: bool,
    /// Continue even if there are pods that do not declare a controller.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    force: bool,
    /// Period of time in seconds given to each pod to terminate gracefully. If negative, the default value specified in the pod will be used.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    grace_period: i64,
    /// The length of time to wait before giving up, zero means infinite.
    #[arg(long, default_value = "0s")]
    timeout: String,
    /// Label selector to filter pods on the node.
    #[arg(long)]
    pod_selector: Option<String>,
    /// Selector (label query) to filter nodes on.
    #[arg(short = 'l', long)]
    selector: Option<String>,
}

/// The nodes named, or those the selector picks.
async fn node_names(
    ctx: &Ctx,
    names: &[String],
    selector: Option<&str>,
    all: bool,
) -> CliResult<Vec<String>> {
    if !names.is_empty() {
        return Ok(names.to_vec());
    }
    if selector.is_none() && !all {
        return Err(CliError::Msg(
            "resource(s) were provided, but no name was specified".into(),
        ));
    }
    let q = selector
        .map(|l| format!("?labelSelector={}", encode(l)))
        .unwrap_or_default();
    let list = ctx.client.get_json(&format!("/api/v1/nodes{q}")).await?;
    Ok(list
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|n| meta_str(n, "name"))
        .collect())
}

async fn patch_node(client: &Client, name: &str, patch: &Value) -> Result<(), ClientError> {
    client
        .send_json(
            Method::PATCH,
            &format!("/api/v1/nodes/{}", encode(name)),
            "application/strategic-merge-patch+json",
            patch,
        )
        .await
        .map(|_| ())
}

/// Sets `spec.unschedulable`, printing what kubectl prints.
async fn set_unschedulable(client: &Client, name: &str, on: bool) -> CliResult {
    let node = client
        .get_json(&format!("/api/v1/nodes/{}", encode(name)))
        .await?;
    let now = node
        .pointer("/spec/unschedulable")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let word = if on { "cordoned" } else { "uncordoned" };
    if now == on {
        println!("node/{name} already {word}");
        return Ok(());
    }
    patch_node(
        client,
        name,
        &json!({"spec": {"unschedulable": if on { json!(true) } else { Value::Null }}}),
    )
    .await?;
    println!("node/{name} {word}");
    Ok(())
}

pub async fn cordon(ctx: &Ctx, args: CordonArgs, on: bool) -> CliResult {
    for name in node_names(ctx, &args.nodes, args.selector.as_deref(), false).await? {
        set_unschedulable(&ctx.client, &name, on).await?;
    }
    Ok(())
}

/// A taint change: add (or overwrite) `key=value:effect`, or remove by key (and effect).
#[derive(Debug, PartialEq)]
enum TaintChange {
    Add {
        key: String,
        value: String,
        effect: String,
    },
    Remove {
        key: String,
        effect: Option<String>,
    },
}

const EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];

fn parse_taint(spec: &str) -> CliResult<TaintChange> {
    let invalid = || {
        CliError::Msg(format!("invalid taint spec: {spec}, unknown taint spec format, taint spec must be of the form key=value:effect, key:effect, key:effect- or key-"))
    };
    if let Some(rest) = spec.strip_suffix('-') {
        return Ok(match rest.split_once(':') {
            Some((key, effect)) if EFFECTS.contains(&effect) => TaintChange::Remove {
                key: key.into(),
                effect: Some(effect.into()),
            },
            Some(_) => return Err(invalid()),
            None => TaintChange::Remove {
                key: rest.into(),
                effect: None,
            },
        });
    }
    let (kv, effect) = spec.split_once(':').ok_or_else(invalid)?;
    if !EFFECTS.contains(&effect) {
        return Err(CliError::Msg(format!(
            "invalid taint effect: {effect}, unsupported taint effect"
        )));
    }
    let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
    if key.is_empty() {
        return Err(invalid());
    }
    Ok(TaintChange::Add {
        key: key.into(),
        value: value.into(),
        effect: effect.into(),
    })
}

pub async fn taint(ctx: &Ctx, args: TaintArgs) -> CliResult {
    let Some((kind, rest)) = args.args.split_first() else {
        return Err(CliError::Msg(
            "at least one taint update is required".into(),
        ));
    };
    if !matches!(kind.as_str(), "node" | "nodes" | "no") {
        return Err(CliError::Msg(format!(
            "invalid resource type {kind}, only node types are supported"
        )));
    }
    let at = rest
        .iter()
        .position(|a| a.contains(':') || a.contains('=') || a.ends_with('-'))
        .unwrap_or(rest.len());
    let (names, specs) = rest.split_at(at);
    if specs.is_empty() {
        return Err(CliError::Msg(
            "at least one taint update is required".into(),
        ));
    }
    let changes = specs
        .iter()
        .map(|s| parse_taint(s))
        .collect::<CliResult<Vec<_>>>()?;
    for name in node_names(ctx, names, args.selector.as_deref(), args.all).await? {
        let node = ctx
            .client
            .get_json(&format!("/api/v1/nodes/{}", encode(&name)))
            .await?;
        let mut taints: Vec<Value> = node
            .pointer("/spec/taints")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let (mut added, mut removed, mut replaced) = (false, false, false);
        for change in &changes {
            match change {
                TaintChange::Add { key, value, effect } => {
                    let same =
                        |t: &Value| t["key"] == key.as_str() && t["effect"] == effect.as_str();
                    if let Some(existing) = taints.iter_mut().find(|t| same(t)) {
                        if !args.overwrite {
                            return Err(CliError::Msg(format!("node {name} already has {key} taint(s) with same effect(s) and --overwrite is false")));
                        }
                        *existing = taint_value(key, value, effect);
                        replaced = true;
                    } else {
                        taints.push(taint_value(key, value, effect));
                        added = true;
                    }
                }
                TaintChange::Remove { key, effect } => {
                    let before = taints.len();
                    taints.retain(|t| {
                        !(t["key"] == key.as_str()
                            && effect.as_ref().is_none_or(|e| t["effect"] == e.as_str()))
                    });
                    if taints.len() == before {
                        return Err(CliError::Msg(format!("taint {key:?} not found")));
                    }
                    removed = true;
                }
            }
        }
        let list = if taints.is_empty() {
            Value::Null
        } else {
            Value::Array(taints)
        };
        let body = serde_json::to_vec(&json!({"spec": {"taints": list}}))
            .map_err(|e| CliError::Msg(e.to_string()))?;
        ctx.client
            .send(
                Method::PATCH,
                &format!("/api/v1/nodes/{}", encode(&name)),
                "application/json",
                Some(("application/merge-patch+json", body)),
            )
            .await?;
        let word = match (added, removed, replaced) {
            (true, false, false) => "tainted",
            (false, true, false) => "untainted",
            _ => "modified",
        };
        println!("node/{name} {word}");
    }
    Ok(())
}

fn taint_value(key: &str, value: &str, effect: &str) -> Value {
    if value.is_empty() {
        json!({"key": key, "effect": effect})
    } else {
        json!({"key": key, "value": value, "effect": effect})
    }
}

/// Why a pod cannot simply be evicted, in kubectl's words, or `None` when it can.
fn blocker(pod: &Value, args: &DrainArgs) -> (Option<&'static str>, Option<&'static str>) {
    let controller = pod
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|o| o["controller"] == true);
    let finished = matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    );
    if controller.is_some_and(|c| c["kind"] == "DaemonSet") {
        return if args.ignore_daemonsets {
            (None, Some("ignoring DaemonSet-managed Pods"))
        } else {
            (
                Some("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"),
                None,
            )
        };
    }
    if controller.is_none() && !finished {
        return if args.force {
            (None, Some("deleting Pods that declare no controller"))
        } else {
            (
                Some("cannot delete Pods that declare no controller (use --force to override)"),
                None,
            )
        };
    }
    let empty_dir = pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|v| v.get("emptyDir").is_some());
    if empty_dir && !finished {
        return if args.delete_emptydir_data {
            (None, Some("deleting Pods with local storage"))
        } else {
            (Some("cannot delete Pods with local storage (use --delete-emptydir-data to override)"), None)
        };
    }
    (None, None)
}

pub async fn drain(ctx: &Ctx, args: DrainArgs) -> CliResult {
    let timeout = super::parse_duration(&args.timeout)
        .map_err(|_| CliError::Msg(format!("invalid --timeout {}", args.timeout)))?;
    for name in node_names(ctx, &args.nodes, args.selector.as_deref(), false).await? {
        set_unschedulable(&ctx.client, &name, true).await?;
        let mut q = format!(
            "?fieldSelector={}",
            encode(&format!("spec.nodeName={name}"))
        );
        if let Some(sel) = &args.pod_selector {
            q.push_str(&format!("&labelSelector={}", encode(sel)));
        }
        let pods = ctx.client.get_json(&format!("/api/v1/pods{q}")).await?;
        let pods: Vec<Value> = pods
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let id = |p: &Value| format!("{}/{}", meta_str(p, "namespace"), meta_str(p, "name"));
        let mut errors: Vec<(&str, Vec<String>)> = Vec::new();
        let mut warnings: Vec<(&str, Vec<String>)> = Vec::new();
        let mut evict = Vec::new();
        for p in &pods {
            let (error, warning) = blocker(p, &args);
            let group = |list: &mut Vec<(&'static str, Vec<String>)>, msg: &'static str| match list
                .iter_mut()
                .find(|(m, _)| *m == msg)
            {
                Some((_, ids)) => ids.push(id(p)),
                None => list.push((msg, vec![id(p)])),
            };
            match (error, warning) {
                (Some(e), _) => group(&mut errors, e),
                (None, Some(w)) => {
                    group(&mut warnings, w);
                    if w != "ignoring DaemonSet-managed Pods" {
                        evict.push(p.clone());
                    }
                }
                (None, None) => evict.push(p.clone()),
            }
        }
        if !errors.is_empty() {
            // kubectl's own wording, including its doubled "cannot delete".
            let detail = errors
                .iter()
                .map(|(m, ids)| format!("{m}: {}", ids.join(", ")))
                .collect::<Vec<_>>()
                .join(", ");
            eprintln!("error: unable to drain node {name:?} due to error: cannot delete {detail}, continuing command...");
            eprintln!("There are pending nodes to be drained:\n {name}\ncannot delete {detail}");
            return Err(CliError::Reported);
        }
        for (m, ids) in &warnings {
            eprintln!("Warning: {m}: {}", ids.join(", "));
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        for p in &evict {
            println!("evicting pod {}", id(p));
            evict_pod(&ctx.client, p, args.grace_period, deadline).await?;
        }
        for p in &evict {
            wait_gone(&ctx.client, p, deadline).await?;
            println!("pod/{} evicted", meta_str(p, "name"));
        }
        println!("node/{name} drained");
    }
    Ok(())
}

/// Evicts through `pods/eviction`, retrying every 5 s while a disruption budget forbids it, as kubectl does.
async fn evict_pod(
    client: &Client,
    pod: &Value,
    grace: i64,
    deadline: Option<Instant>,
) -> CliResult {
    let (ns, name) = (meta_str(pod, "namespace"), meta_str(pod, "name"));
    let mut eviction = json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": ns}});
    if grace >= 0 {
        eviction["deleteOptions"] = json!({"gracePeriodSeconds": grace});
    }
    let body = serde_json::to_vec(&eviction).map_err(|e| CliError::Msg(e.to_string()))?;
    let path = format!(
        "/api/v1/namespaces/{}/pods/{}/eviction",
        encode(&ns),
        encode(&name)
    );
    loop {
        match client
            .send(
                Method::POST,
                &path,
                "application/json",
                Some(("application/json", body.clone())),
            )
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) if e.status().is_some_and(|s| s.code == 429) => {
                let message = e.status().map(|s| s.message.clone()).unwrap_or_default();
                eprintln!(
                    "error when evicting pods/{name:?} -n {ns:?} (will retry after 5s): {message}"
                );
                if deadline.is_some_and(|d| Instant::now() > d) {
                    return Err(CliError::Msg(format!(
                        "error when evicting pods/{name:?} -n {ns:?}: global timeout reached"
                    )));
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

async fn wait_gone(client: &Client, pod: &Value, deadline: Option<Instant>) -> CliResult {
    let path = format!(
        "/api/v1/namespaces/{}/pods/{}",
        encode(&meta_str(pod, "namespace")),
        encode(&meta_str(pod, "name"))
    );
    let uid = meta_str(pod, "uid");
    loop {
        match client.get_json(&path).await {
            Err(e) if e.is_not_found() => return Ok(()),
            Ok(p) if meta_str(&p, "uid") != uid => return Ok(()),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            return Err(CliError::Msg(format!(
                "error when waiting for pod {:?} terminating: global timeout reached",
                meta_str(pod, "name")
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taint_specs() {
        assert_eq!(
            parse_taint("a=b:NoSchedule").ok(),
            Some(TaintChange::Add {
                key: "a".into(),
                value: "b".into(),
                effect: "NoSchedule".into()
            })
        );
        assert_eq!(
            parse_taint("a:NoExecute").ok(),
            Some(TaintChange::Add {
                key: "a".into(),
                value: String::new(),
                effect: "NoExecute".into()
            })
        );
        assert_eq!(
            parse_taint("a:NoSchedule-").ok(),
            Some(TaintChange::Remove {
                key: "a".into(),
                effect: Some("NoSchedule".into())
            })
        );
        assert_eq!(
            parse_taint("a-").ok(),
            Some(TaintChange::Remove {
                key: "a".into(),
                effect: None
            })
        );
        assert!(parse_taint("a=b:Sometimes").is_err());
    }
}
