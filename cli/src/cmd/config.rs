//! `kyb config`: view and edit kubeconfig files, as `kubectl config` does.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use kyb_api::client::{load_kubeconfig, Kubeconfig, NamedContext, Overrides};
use serde_json::{json, Value};

use super::{CliError, CliResult};
use crate::print::{table::layout, yaml::to_yaml};

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Display merged kubeconfig settings or a specified kubeconfig file.
    View(ViewArgs),
    /// Display the current-context.
    CurrentContext,
    /// Describe one or many contexts.
    GetContexts(GetContextsArgs),
    /// Set the current-context in a kubeconfig file.
    UseContext { name: String },
    /// Set a context entry in kubeconfig.
    SetContext(SetContextArgs),
}

#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Remove all information not used by current-context from the output.
    #[arg(long)]
    minify: bool,
    /// Display raw byte data and sensitive data.
    #[arg(long)]
    raw: bool,
    /// Output format (yaml or json).
    #[arg(short = 'o', long, default_value = "yaml")]
    output: String,
}

#[derive(Debug, Args)]
pub struct GetContextsArgs {
    names: Vec<String>,
    /// Output format. One of: (name).
    #[arg(short = 'o', long)]
    output: Option<String>,
    #[arg(long)]
    no_headers: bool,
}

#[derive(Debug, Args)]
pub struct SetContextArgs {
    name: Option<String>,
    /// Modify the current context (with the global --namespace, --cluster and --user flags).
    #[arg(long)]
    current: bool,
}

/// The file kubectl writes to: `--kubeconfig`, else the first `KUBECONFIG` entry, else `~/.kube/config`.
fn target_file(o: &Overrides) -> CliResult<PathBuf> {
    if let Some(p) = &o.kubeconfig {
        return Ok(p.clone());
    }
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        if let Some(first) = std::env::split_paths(&list)
            .find(|p| p.exists())
            .or_else(|| std::env::split_paths(&list).next())
        {
            return Ok(first);
        }
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".kube/config"))
        .ok_or_else(|| CliError::Msg("cannot find a kubeconfig file".into()))
}

fn load_one(o: &Overrides) -> CliResult<(PathBuf, Kubeconfig)> {
    let path = target_file(o)?;
    let kc = if path.exists() {
        load_kubeconfig(Some(&path))?
    } else {
        Kubeconfig::default()
    };
    Ok((path, kc))
}

fn save(path: &PathBuf, kc: &Kubeconfig) -> CliResult {
    let v = as_value(kc)?;
    let text = to_yaml(&v);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| CliError::Msg(e.to_string()))?;
    }
    std::fs::write(path, text)
        .map_err(|e| CliError::Msg(format!("writing {}: {e}", path.display())))
}

/// The kubeconfig as kubectl prints it: every top-level key present.
fn as_value(kc: &Kubeconfig) -> CliResult<Value> {
    let mut v = serde_json::to_value(kc).map_err(|e| CliError::Msg(e.to_string()))?;
    for (k, empty) in [
        ("clusters", json!(null)),
        ("contexts", json!(null)),
        ("users", json!(null)),
        ("preferences", json!({})),
        ("current-context", json!("")),
    ] {
        if v.get(k).is_none_or(Value::is_null) {
            v[k] = empty;
        }
    }
    v["apiVersion"] = json!("v1");
    v["kind"] = json!("Config");
    Ok(v)
}

fn redact(v: &mut Value) {
    for c in v
        .get_mut("clusters")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(data) = c.pointer_mut("/cluster/certificate-authority-data") {
            *data = json!("DATA+OMITTED");
        }
    }
    for u in v
        .get_mut("users")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let Some(user) = u.get_mut("user").and_then(Value::as_object_mut) else {
            continue;
        };
        for (k, val) in user.iter_mut() {
            match k.as_str() {
                "client-certificate-data" | "client-key-data" => *val = json!("DATA+OMITTED"),
                "token" | "password" => *val = json!("REDACTED"),
                _ => {}
            }
        }
    }
}

fn minify(v: &mut Value) {
    let current = v
        .get("current-context")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let keep_named = |list: &Value, name: &str| -> Value {
        Value::Array(
            list.as_array()
                .into_iter()
                .flatten()
                .filter(|e| e.get("name").and_then(Value::as_str) == Some(name))
                .cloned()
                .collect(),
        )
    };
    let contexts = keep_named(&v["contexts"], &current);
    let cluster = contexts
        .pointer("/0/context/cluster")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let user = contexts
        .pointer("/0/context/user")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    v["clusters"] = keep_named(&v["clusters"], &cluster);
    v["users"] = keep_named(&v["users"], &user);
    v["contexts"] = contexts;
}

pub fn run(cmd: ConfigCommand, o: &Overrides) -> CliResult {
    match cmd {
        ConfigCommand::View(a) => {
            let kc = load_kubeconfig(o.kubeconfig.as_deref())?;
            let mut v = as_value(&kc)?;
            if a.minify {
                minify(&mut v);
            }
            if !a.raw {
                redact(&mut v);
            }
            match a.output.as_str() {
                "json" => print!("{}", crate::print::json::to_json(&v)),
                "yaml" => print!("{}", to_yaml(&v)),
                other => return Err(CliError::Msg(format!("unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,yaml"))),
            }
            Ok(())
        }
        ConfigCommand::CurrentContext => {
            let kc = load_kubeconfig(o.kubeconfig.as_deref())?;
            match kc.current_context.filter(|c| !c.is_empty()) {
                Some(c) => {
                    println!("{c}");
                    Ok(())
                }
                None => Err(CliError::Msg("current-context is not set".into())),
            }
        }
        ConfigCommand::GetContexts(a) => {
            let kc = load_kubeconfig(o.kubeconfig.as_deref())?;
            let current = kc.current_context.clone().unwrap_or_default();
            let mut contexts: Vec<_> = kc
                .contexts
                .iter()
                .filter(|c| a.names.is_empty() || a.names.contains(&c.name))
                .collect();
            contexts.sort_by(|x, y| x.name.cmp(&y.name));
            if let Some(missing) = a
                .names
                .iter()
                .find(|n| !kc.contexts.iter().any(|c| &c.name == *n))
            {
                return Err(CliError::Msg(format!("context {missing} not found")));
            }
            if a.output.as_deref() == Some("name") {
                for c in contexts {
                    println!("{}", c.name);
                }
                return Ok(());
            }
            let mut rows = Vec::new();
            if !a.no_headers {
                rows.push(
                    ["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]
                        .map(String::from)
                        .to_vec(),
                );
            }
            for c in contexts {
                let ctx = c.context.as_ref();
                rows.push(vec![
                    if c.name == current {
                        "*".into()
                    } else {
                        String::new()
                    },
                    c.name.clone(),
                    ctx.map(|x| x.cluster.clone()).unwrap_or_default(),
                    ctx.and_then(|x| x.user.clone()).unwrap_or_default(),
                    ctx.and_then(|x| x.namespace.clone()).unwrap_or_default(),
                ]);
            }
            print!("{}", layout(&rows));
            Ok(())
        }
        ConfigCommand::UseContext { name } => {
            let merged = load_kubeconfig(o.kubeconfig.as_deref())?;
            if !merged.contexts.iter().any(|c| c.name == name) {
                return Err(CliError::Msg(format!(
                    "no context exists with the name: \"{name}\""
                )));
            }
            let (path, mut kc) = load_one(o)?;
            kc.current_context = Some(name.clone());
            save(&path, &kc)?;
            println!("Switched to context \"{name}\".");
            Ok(())
        }
        ConfigCommand::SetContext(a) => {
            let (path, mut kc) = load_one(o)?;
            let name = match (a.current, a.name) {
                (true, None) => kc
                    .current_context
                    .clone()
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| CliError::Msg("no current context is set".into()))?,
                (false, Some(n)) => n,
                (true, Some(_)) => {
                    return Err(CliError::Msg(
                        "you cannot specify a context name and --current".into(),
                    ))
                }
                (false, None) => {
                    return Err(CliError::Msg(
                        "you must specify a non-empty context name or --current".into(),
                    ))
                }
            };
            let existed = kc.contexts.iter().any(|c| c.name == name);
            if !existed {
                kc.contexts.push(NamedContext {
                    name: name.clone(),
                    context: Some(Default::default()),
                    ..Default::default()
                });
            }
            if let Some(ctx) = kc.contexts.iter_mut().find(|c| c.name == name) {
                let c = ctx.context.get_or_insert_with(Default::default);
                if let Some(ns) = &o.namespace {
                    c.namespace = Some(ns.clone());
                }
                if let Some(cl) = &o.cluster {
                    c.cluster = cl.clone();
                }
                if let Some(u) = &o.user {
                    c.user = Some(u.clone());
                }
            }
            save(&path, &kc)?;
            println!(
                "Context \"{name}\" {}.",
                if existed { "modified" } else { "created" }
            );
            Ok(())
        }
    }
}
