//! The parts of `apply` around the last-applied annotation: `view-last-applied`, `set-last-applied`, and `--prune`.

use clap::Subcommand;
use kyb_api::client::{Discovery, Method};
use serde_json::{json, Value};

use super::apply::LAST_APPLIED;
use super::get::encode;
use super::manifests;
use super::targets::{self, Selection};
use super::{CliError, CliResult, Ctx};
use crate::print::{json::to_json, yaml::to_yaml};

#[derive(Debug, Subcommand)]
pub enum LastApplied {
    /// View the latest last-applied-configuration annotations of a resource/object.
    ViewLastApplied {
        args: Vec<String>,
        #[arg(short = 'f', long = "filename")]
        filenames: Vec<String>,
        /// Output format. Must be one of (yaml, json).
        #[arg(short = 'o', long, default_value = "yaml")]
        output: String,
    },
    /// Set the last-applied-configuration annotation on a live object to match the contents of a file.
    SetLastApplied {
        #[arg(short = 'f', long = "filename", required = true)]
        filenames: Vec<String>,
        /// Will create 'last-applied-configuration' annotations if current objects doesn't have one.
        #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
        create_annotation: bool,
    },
}

/// The resources `--prune` considers, as kubectl's default allowlist.
const PRUNED: &[&str] = &[
    "configmaps",
    "endpoints",
    "namespaces",
    "persistentvolumeclaims",
    "persistentvolumes",
    "pods",
    "replicationcontrollers",
    "secrets",
    "services",
    "jobs.batch",
    "cronjobs.batch",
    "ingresses.networking.k8s.io",
    "daemonsets.apps",
    "deployments.apps",
    "replicasets.apps",
    "statefulsets.apps",
];

pub async fn run(ctx: &Ctx, cmd: LastApplied) -> CliResult {
    match cmd {
        LastApplied::ViewLastApplied {
            args,
            filenames,
            output,
        } => {
            let sel = Selection {
                args: &args,
                filenames: &filenames,
                recursive: false,
                selector: None,
                field_selector: None,
                all: false,
                all_namespaces: false,
            };
            for o in targets::resolve(ctx, &sel).await? {
                let obj = ctx.client.get_json(&o.path()).await?;
                let pointer = format!("/metadata/annotations/{}", LAST_APPLIED.replace('/', "~1"));
                // kubectl prints nothing for an object that was never applied.
                let Some(text) = obj.pointer(&pointer).and_then(Value::as_str) else {
                    continue;
                };
                let v: Value = serde_json::from_str(text).map_err(|e| {
                    CliError::Msg(format!(
                        "the last-applied-configuration annotation is not JSON: {e}"
                    ))
                })?;
                match output.as_str() {
                    "yaml" => print!("{}", to_yaml(&v)),
                    // This command indents JSON by two spaces, where `get -o json` uses four.
                    "json" => {
                        for line in to_json(&v).lines() {
                            let depth = line.len() - line.trim_start_matches(' ').len();
                            println!("{}{}", " ".repeat(depth / 2), line.trim_start_matches(' '));
                        }
                    }
                    other => return Err(CliError::Msg(format!("unexpected -o output mode: {other}, the flag 'output' must be one of yaml|json"))),
                }
            }
            Ok(())
        }
        LastApplied::SetLastApplied {
            filenames,
            create_annotation,
        } => {
            let discovery = ctx.discovery(false).await?;
            for m in manifests::read(&filenames, false)? {
                let r = manifests::resource_of(&discovery, &m)?;
                let ns = m.namespace_or(ctx.namespace());
                let name = m.name();
                let path = format!("{}/{}", r.path(Some(&ns)), encode(&name));
                let live = ctx.client.get_json(&path).await?;
                if live
                    .pointer(&format!(
                        "/metadata/annotations/{}",
                        LAST_APPLIED.replace('/', "~1")
                    ))
                    .is_none()
                    && !create_annotation
                {
                    return Err(CliError::Msg(format!(
                        "no last-applied-configuration annotation found on resource: {name}, to create the annotation, run the command with --create-annotation"
                    )));
                }
                let mut config = m.object.clone();
                if r.namespaced {
                    config["metadata"]["namespace"] = json!(ns);
                }
                let annotated = super::apply::annotated_config(&config)?;
                let value = annotated
                    .pointer(&format!(
                        "/metadata/annotations/{}",
                        LAST_APPLIED.replace('/', "~1")
                    ))
                    .cloned()
                    .unwrap_or(Value::Null);
                let patch = json!({"metadata": {"annotations": {LAST_APPLIED: value}}});
                let body = serde_json::to_vec(&patch).map_err(|e| CliError::Msg(e.to_string()))?;
                ctx.client
                    .send(
                        Method::PATCH,
                        &path,
                        "application/json",
                        Some(("application/merge-patch+json", body)),
                    )
                    .await?;
                println!("{}/{name} configured", r.kind_group());
            }
            Ok(())
        }
    }
}

/// Deletes objects of the pruned types that match the selector, carry the annotation, and were not just applied.
pub async fn prune(
    ctx: &Ctx,
    d: &Discovery,
    selector: Option<&str>,
    applied: &[(String, String, String)],
    suffix: &str,
    dry_run: bool,
) -> CliResult {
    let ns = ctx.namespace().to_string();
    for typed in PRUNED {
        let Some(r) = d.resolve(typed) else { continue };
        let q = selector
            .map(|l| format!("?labelSelector={}", encode(l)))
            .unwrap_or_default();
        let list = ctx
            .client
            .get_json(&format!("{}{q}", r.path(Some(&ns))))
            .await?;
        for item in list
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = item
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let item_ns = item
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let annotated = item
                .pointer(&format!(
                    "/metadata/annotations/{}",
                    LAST_APPLIED.replace('/', "~1")
                ))
                .is_some();
            let kept = applied
                .iter()
                .any(|(k, n, x)| *k == r.kind_group() && n == item_ns && x == name);
            if !annotated || kept {
                continue;
            }
            if !dry_run {
                let path = format!(
                    "{}/{}",
                    r.path(Some(item_ns).filter(|n| !n.is_empty())),
                    encode(name)
                );
                let body = serde_json::to_vec(&json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"})).unwrap_or_default();
                ctx.client
                    .send(
                        Method::DELETE,
                        &path,
                        "application/json",
                        Some(("application/json", body)),
                    )
                    .await?;
            }
            println!("{}/{name} pruned{suffix}", r.kind_group());
        }
    }
    Ok(())
}
