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
    /// Set a cluster entry in kubeconfig (with the global --server, --certificate-authority and --insecure-skip-tls-verify flags).
    SetCluster { name: String },
    /// Set a user entry in kubeconfig (with the global --token, --client-certificate and --client-key flags).
    SetCredentials {
        name: String,
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        password: Option<String>,
    },
    /// Delete the specified context from the kubeconfig.
    DeleteContext { name: String },
    /// Delete the specified cluster from the kubeconfig.
    DeleteCluster { name: String },
    /// Delete the specified user from the kubeconfig.
    DeleteUser { name: String },
    /// Rename a context from the kubeconfig file.
    RenameContext { old: String, new: String },
}

#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Remove all information not used by current-context from the output.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    minify: bool,
    /// Display raw byte data and sensitive data.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
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
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    no_headers: bool,
}

#[derive(Debug, Args)]
pub struct SetContextArgs {
    name: Option<String>,
    /// Modify the current context (with the global --namespace, --cluster and --user flags).
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
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
    // kubectl keeps these as maps by name, so it writes and prints them sorted by name.
    for list in ["clusters", "contexts", "users"] {
        if let Some(items) = v.get_mut(list).and_then(Value::as_array_mut) {
            items.sort_by(|a, b| {
                a.get("name")
                    .and_then(Value::as_str)
                    .cmp(&b.get("name").and_then(Value::as_str))
            });
        }
    }
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

/// Edits the kubeconfig file as a JSON value, so that fields this program does not model survive.
fn edit_file(
    o: &Overrides,
    change: impl FnOnce(&mut Value, &PathBuf) -> CliResult<String>,
) -> CliResult {
    let (path, kc) = load_one(o)?;
    let mut v = as_value(&kc)?;
    let message = change(&mut v, &path)?;
    let kc: Kubeconfig = serde_json::from_value(v).map_err(|e| CliError::Msg(e.to_string()))?;
    save(&path, &kc)?;
    println!("{message}");
    Ok(())
}

/// The entry called `name` in the list `field` (`clusters`, `users`, `contexts`), created when absent.
fn entry<'a>(v: &'a mut Value, field: &str, inner: &str, name: &str) -> &'a mut Value {
    if !v[field].is_array() {
        v[field] = json!([]);
    }
    let pos = v[field].as_array().and_then(|l| {
        l.iter()
            .position(|e| e.get("name").and_then(Value::as_str) == Some(name))
    });
    let i = match pos {
        Some(i) => i,
        None => {
            if let Some(l) = v[field].as_array_mut() {
                l.push(json!({"name": name}));
            }
            v[field].as_array().map_or(0, |l| l.len().saturating_sub(1))
        }
    };
    if !v[field][i][inner].is_object() {
        v[field][i][inner] = json!({});
    }
    &mut v[field][i][inner]
}

fn remove_entry(v: &mut Value, field: &str, name: &str) -> bool {
    let Some(list) = v.get_mut(field).and_then(Value::as_array_mut) else {
        return false;
    };
    let before = list.len();
    list.retain(|e| e.get("name").and_then(Value::as_str) != Some(name));
    before != list.len()
}

pub fn run(cmd: ConfigCommand, o: &Overrides) -> CliResult {
    match cmd {
        ConfigCommand::SetCluster { name } => edit_file(o, |v, _| {
            let c = entry(v, "clusters", "cluster", &name);
            if let Some(s) = &o.server {
                c["server"] = json!(s);
            }
            if let Some(ca) = &o.certificate_authority {
                c["certificate-authority"] = json!(ca.display().to_string());
            }
            if o.insecure_skip_tls_verify {
                c["insecure-skip-tls-verify"] = json!(true);
            }
            Ok(format!("Cluster \"{name}\" set."))
        }),
        ConfigCommand::SetCredentials {
            name,
            username,
            password,
        } => edit_file(o, |v, _| {
            let u = entry(v, "users", "user", &name);
            for (key, value) in [
                ("token", o.token.clone()),
                (
                    "client-certificate",
                    o.client_certificate
                        .as_ref()
                        .map(|p| p.display().to_string()),
                ),
                (
                    "client-key",
                    o.client_key.as_ref().map(|p| p.display().to_string()),
                ),
                ("username", username),
                ("password", password),
            ] {
                if let Some(value) = value {
                    u[key] = json!(value);
                }
            }
            Ok(format!("User \"{name}\" set."))
        }),
        ConfigCommand::DeleteContext { name } => edit_file(o, |v, path| {
            if !remove_entry(v, "contexts", &name) {
                return Err(CliError::Msg(format!(
                    "cannot delete context {name}, not in {}",
                    path.display()
                )));
            }
            if v.get("current-context").and_then(Value::as_str) == Some(name.as_str()) {
                eprintln!("warning: this removed your active context, use \"kubectl config use-context\" to select a different one");
            }
            Ok(format!("deleted context {name} from {}", path.display()))
        }),
        ConfigCommand::DeleteCluster { name } => edit_file(o, |v, path| {
            if !remove_entry(v, "clusters", &name) {
                return Err(CliError::Msg(format!(
                    "cannot delete cluster {name}, not in {}",
                    path.display()
                )));
            }
            Ok(format!("deleted cluster {name} from {}", path.display()))
        }),
        ConfigCommand::DeleteUser { name } => edit_file(o, |v, path| {
            if !remove_entry(v, "users", &name) {
                return Err(CliError::Msg(format!(
                    "cannot delete user {name}, not in {}",
                    path.display()
                )));
            }
            Ok(format!("deleted user {name} from {}", path.display()))
        }),
        ConfigCommand::RenameContext { old, new } => {
            edit_file(o, |v, path| {
                let contexts = v.get_mut("contexts").and_then(Value::as_array_mut);
                let list = contexts.ok_or_else(|| {
                    CliError::Msg(format!(
                        "cannot rename the context {old:?}, it's not in {}",
                        path.display()
                    ))
                })?;
                if list
                    .iter()
                    .any(|c| c.get("name").and_then(Value::as_str) == Some(new.as_str()))
                {
                    return Err(CliError::Msg(format!("cannot rename the context {old:?}, the context {new:?} already exists in {}", path.display())));
                }
                let Some(c) = list
                    .iter_mut()
                    .find(|c| c.get("name").and_then(Value::as_str) == Some(old.as_str()))
                else {
                    return Err(CliError::Msg(format!(
                        "cannot rename the context {old:?}, it's not in {}",
                        path.display()
                    )));
                };
                c["name"] = json!(new);
                if v.get("current-context").and_then(Value::as_str) == Some(old.as_str()) {
                    v["current-context"] = json!(new);
                }
                Ok(format!("Context \"{old}\" renamed to \"{new}\"."))
            })
        }
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
                "json" => print!("{}", crate::print::json::to_json_kubeconfig(&v)),
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
