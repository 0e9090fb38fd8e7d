//! `kyb delete`: by name, by file, by selector or all, with grace periods, cascading and waiting, as kubectl.

use std::time::{Duration, Instant};

use clap::Args;
use kyb_api::client::{ApiResource, Method};
use serde_json::{json, Value};

use super::get::encode;
use super::manifests;
use super::{unknown_type, CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// TYPE NAME... or TYPE/NAME...
    args: Vec<String>,
    /// Files containing the resources to delete.
    #[arg(short = 'f', long = "filename")]
    filenames: Vec<String>,
    #[arg(short = 'R', long)]
    recursive: bool,
    /// Selector (label query) to filter on.
    #[arg(short = 'l', long)]
    selector: Option<String>,
    /// Selector (field query) to filter on.
    #[arg(long)]
    field_selector: Option<String>,
    /// Delete all resources, in the namespace of the specified resource types.
    #[arg(long)]
    all: bool,
    /// If present, delete the requested object(s) across all namespaces.
    #[arg(short = 'A', long)]
    all_namespaces: bool,
    /// Period of time in seconds given to the resource to terminate gracefully; -1 uses the resource's default.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    grace_period: i64,
    /// If true, immediately remove resources from API and bypass graceful deletion.
    #[arg(long)]
    force: bool,
    /// If true, resources are signaled for immediate shutdown (same as --grace-period=1).
    #[arg(long)]
    now: bool,
    /// Must be "background", "orphan", or "foreground".
    #[arg(long, default_value = "background", default_missing_value = "background", num_args = 0..=1, require_equals = true)]
    cascade: String,
    /// If true, wait for resources to be gone before returning.
    #[arg(long, default_value = "true", default_missing_value = "true", num_args = 0..=1, require_equals = true)]
    wait: String,
    /// The length of time to wait before giving up on a delete, zero means determine a timeout from the size of the object.
    #[arg(long, default_value = "0s")]
    timeout: String,
    /// Treat "resource not found" as a successful delete.
    #[arg(long)]
    ignore_not_found: bool,
    /// Output mode. Use "-o name" for shorter output (resource/name).
    #[arg(short = 'o', long)]
    output: Option<String>,
}

struct Victim {
    resource: ApiResource,
    namespace: Option<String>,
    name: String,
}

fn options_body(args: &DeleteArgs) -> CliResult<Value> {
    let policy = match args.cascade.as_str() {
        "background" | "true" => "Background",
        "foreground" => "Foreground",
        "orphan" | "false" => "Orphan",
        other => return Err(CliError::Msg(format!("invalid cascade value ({other}). Must be \"background\", \"foreground\", or \"orphan\""))),
    };
    let grace = if args.force && args.grace_period < 0 {
        Some(0)
    } else if args.now {
        Some(1)
    } else {
        (args.grace_period >= 0).then_some(args.grace_period)
    };
    if args.grace_period == 0 && !args.force {
        return Err(CliError::Msg(
            "--grace-period=0 must have --force specified".into(),
        ));
    }
    let mut body =
        json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": policy});
    if let Some(g) = grace {
        body["gracePeriodSeconds"] = json!(g);
    }
    Ok(body)
}

async fn victims(ctx: &Ctx, args: &DeleteArgs) -> CliResult<Vec<Victim>> {
    let discovery = ctx.discovery(false).await?;
    let ns = |r: &ApiResource, explicit: Option<&str>| {
        r.namespaced
            .then(|| explicit.unwrap_or(ctx.namespace()).to_string())
    };
    let mut out = Vec::new();
    if !args.filenames.is_empty() {
        for m in manifests::read(&args.filenames, args.recursive)? {
            let r = manifests::resource_of(&discovery, &m)?;
            let name = m
                .object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let namespace = ns(
                r,
                m.object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str),
            );
            out.push(Victim {
                resource: r.clone(),
                namespace,
                name,
            });
        }
        return Ok(out);
    }
    let Some(first) = args.args.first() else {
        return Err(CliError::Msg("You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'".into()));
    };
    if first.contains('/') {
        for a in &args.args {
            let (typed, name) = a.split_once('/').ok_or_else(|| unknown_type(a))?;
            let r = discovery
                .resolve(typed)
                .ok_or_else(|| unknown_type(typed))?;
            out.push(Victim {
                resource: r.clone(),
                namespace: ns(r, None),
                name: name.to_string(),
            });
        }
        return Ok(out);
    }
    for typed in first.split(',') {
        let r = discovery
            .resolve(typed)
            .ok_or_else(|| unknown_type(typed))?;
        if args.args.len() > 1 {
            for name in &args.args[1..] {
                out.push(Victim {
                    resource: r.clone(),
                    namespace: ns(r, None),
                    name: name.clone(),
                });
            }
            continue;
        }
        if !args.all && args.selector.is_none() && args.field_selector.is_none() {
            return Err(CliError::Msg(
                "resource(s) were provided, but no name was specified".into(),
            ));
        }
        // By selector or --all: list, then delete each, as kubectl does.
        let list_ns = (!args.all_namespaces).then(|| ctx.namespace().to_string());
        let mut q = Vec::new();
        if let Some(l) = &args.selector {
            q.push(format!("labelSelector={}", encode(l)));
        }
        if let Some(f) = &args.field_selector {
            q.push(format!("fieldSelector={}", encode(f)));
        }
        let path = format!("{}?{}", r.path(list_ns.as_deref()), q.join("&"));
        let list = ctx.client.get_json(&path).await?;
        for item in list
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = item
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let item_ns = item
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .map(str::to_string);
            out.push(Victim {
                resource: r.clone(),
                namespace: item_ns,
                name,
            });
        }
    }
    Ok(out)
}

pub async fn run(ctx: &Ctx, args: DeleteArgs) -> CliResult {
    let body = options_body(&args)?;
    let timeout = super::parse_duration(&args.timeout)
        .map_err(|_| CliError::Msg(format!("invalid --timeout {}", args.timeout)))?;
    let victims = victims(ctx, &args).await?;
    if victims.is_empty() && args.filenames.is_empty() {
        let typed = !args.args.is_empty();
        if typed && !args.all_namespaces {
            eprintln!("No resources found in {} namespace.", ctx.namespace());
        } else {
            eprintln!("No resources found");
        }
        return Ok(());
    }
    if args.force {
        eprintln!("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.");
    }
    let mut failed = false;
    let mut deleted = Vec::new();
    for v in victims {
        let path = format!(
            "{}/{}",
            v.resource.path(v.namespace.as_deref()),
            encode(&v.name)
        );
        let bytes = serde_json::to_vec(&body).map_err(|e| CliError::Msg(e.to_string()))?;
        match ctx
            .client
            .send(
                Method::DELETE,
                &path,
                "application/json",
                Some(("application/json", bytes)),
            )
            .await
        {
            Ok(_) => {
                if args.output.as_deref() == Some("name") {
                    println!("{}/{}", v.resource.kind_group(), v.name);
                } else {
                    let verb = if args.force {
                        "force deleted"
                    } else {
                        "deleted"
                    };
                    println!("{} \"{}\" {verb}", singular_label(&v.resource), v.name);
                }
                deleted.push(path);
            }
            Err(e) if e.is_not_found() && args.ignore_not_found => {}
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    if args.wait != "false" {
        let deadline = timeout.map(|t| Instant::now() + t);
        for path in deleted {
            loop {
                match ctx
                    .client
                    .send(Method::GET, &path, "application/json", None)
                    .await
                {
                    Err(e) if e.is_not_found() => break,
                    Err(e) => return Err(e.into()),
                    Ok(_) => {}
                }
                if deadline.is_some_and(|d| Instant::now() > d) {
                    return Err(CliError::Msg(format!(
                        "timed out waiting for the condition on {path}"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    if failed {
        return Err(CliError::Reported);
    }
    Ok(())
}

/// `deployment.apps` or `pod`: the singular resource name kubectl prints in `"x" deleted`.
fn singular_label(r: &ApiResource) -> String {
    let singular = if r.singular.is_empty() {
        r.kind.to_lowercase()
    } else {
        r.singular.clone()
    };
    if r.group.is_empty() {
        singular
    } else {
        format!("{singular}.{}", r.group)
    }
}
