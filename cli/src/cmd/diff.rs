//! `kyb diff -f`: the live objects beside what applying the files would make of them (a server dry-run),
//! compared by `diff -u -N` (or `$KUBECTL_EXTERNAL_DIFF`), with kubectl's exit codes: 0 same, 1 different, >1 error.

use std::path::Path;

use clap::Args;
use kyb_api::client::{ApiResource, Method};
use serde_json::Value;

use super::apply::{apply_one, ApplyArgs};
use super::get::encode;
use super::manifests;
use super::{CliError, CliResult, Ctx};
use crate::print::yaml::to_yaml;

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[arg(short = 'f', long = "filename", required = true)]
    filenames: Vec<String>,
    #[arg(short = 'R', long)]
    recursive: bool,
    /// If true, apply runs in the server instead of the client.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    server_side: bool,
}

/// kubectl's file name for an object: `apps.v1.Deployment.default.web`, `v1.ConfigMap.default.x`.
fn file_name(r: &ApiResource, ns: &str, name: &str) -> String {
    let group = if r.group.is_empty() {
        String::new()
    } else {
        format!("{}.", r.group)
    };
    format!("{group}{}.{}.{ns}.{name}", r.version, r.kind)
}

/// What kubectl leaves out of both sides: server bookkeeping nobody edits, and secret values.
fn prepare(mut v: Value) -> Value {
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    if v.get("kind").and_then(Value::as_str) == Some("Secret") {
        for field in ["data", "stringData"] {
            if let Some(d) = v.get_mut(field).and_then(Value::as_object_mut) {
                for val in d.values_mut() {
                    *val = Value::String("***".into());
                }
            }
        }
    }
    v
}

fn write(dir: &Path, file: &str, v: Option<Value>) -> CliResult {
    let text = v.map(|v| to_yaml(&prepare(v))).unwrap_or_default();
    std::fs::write(dir.join(file), text).map_err(|e| CliError::Msg(format!("writing {file}: {e}")))
}

fn temp_dir(prefix: &str) -> CliResult<std::path::PathBuf> {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("{prefix}-{}{n}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Msg(format!("creating {}: {e}", dir.display())))?;
    Ok(dir)
}

pub async fn run(ctx: &Ctx, args: DiffArgs) -> CliResult {
    let discovery = ctx.discovery(false).await?;
    let (live_dir, merged_dir) = (temp_dir("LIVE")?, temp_dir("MERGED")?);
    let result: CliResult<Option<i32>> = async {
        let apply = ApplyArgs::dry_run_server(args.server_side);
        for m in manifests::read(&args.filenames, args.recursive)? {
            let r = manifests::resource_of(&discovery, &m)?;
            let ns = if r.namespaced {
                m.object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or(ctx.namespace())
                    .to_string()
            } else {
                String::new()
            };
            let name = m.name();
            let live = match ctx
                .client
                .send(
                    Method::GET,
                    &format!("{}/{}", r.path(Some(&ns)), encode(&name)),
                    "application/json",
                    None,
                )
                .await
            {
                Ok(resp) => Some(resp.json()?),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e.into()),
            };
            let merged = apply_one(ctx, &apply, r, &m)
                .await
                .map_err(|_| CliError::Reported)?
                .0;
            let file = file_name(r, &ns, &name);
            write(&live_dir, &file, live)?;
            write(&merged_dir, &file, Some(merged))?;
        }
        let program = std::env::var("KUBECTL_EXTERNAL_DIFF")
            .ok()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| "diff -u -N".to_string());
        let mut words = program.split_whitespace();
        let status = std::process::Command::new(words.next().unwrap_or("diff"))
            .args(words)
            .arg(&live_dir)
            .arg(&merged_dir)
            .status()
            .map_err(|e| CliError::Msg(format!("failed to run \"{program}\": {e}")))?;
        Ok(status.code())
    }
    .await;
    let _ = std::fs::remove_dir_all(&live_dir);
    let _ = std::fs::remove_dir_all(&merged_dir);
    match result? {
        Some(0) => Ok(()),
        Some(1) => Err(CliError::Reported),
        _ => Err(CliError::Exit(2)),
    }
}
