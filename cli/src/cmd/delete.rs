//! `kyb delete`: by name, by file, by selector or all, with grace periods, cascading and waiting, as kubectl.

use std::time::{Duration, Instant};

use clap::Args;
use kyb_api::client::{ApiResource, Method};
use serde_json::{json, Value};

use super::targets::{self, Selection};
use super::{CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// TYPE NAME... or TYPE/NAME...
    args: Vec<String>,
    /// Files containing the resources to delete.
    #[arg(short = 'f', long = "filename")]
    filenames: Vec<String>,
    #[arg(short = 'R', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    recursive: bool,
    /// Selector (label query) to filter on.
    #[arg(short = 'l', long)]
    selector: Option<String>,
    /// Selector (field query) to filter on.
    #[arg(long)]
    field_selector: Option<String>,
    /// Delete all resources, in the namespace of the specified resource types.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    all: bool,
    /// If present, delete the requested object(s) across all namespaces.
    #[arg(short = 'A', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    all_namespaces: bool,
    /// Period of time in seconds given to the resource to terminate gracefully; -1 uses the resource's default.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    grace_period: i64,
    /// If true, immediately remove resources from API and bypass graceful deletion.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    force: bool,
    /// If true, resources are signaled for immediate shutdown (same as --grace-period=1).
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
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
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    ignore_not_found: bool,
    /// Output mode. Use "-o name" for shorter output (resource/name).
    #[arg(short = 'o', long)]
    output: Option<String>,
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

pub async fn run(ctx: &Ctx, args: DeleteArgs) -> CliResult {
    let body = options_body(&args)?;
    let timeout = super::parse_duration(&args.timeout)
        .map_err(|_| CliError::Msg(format!("invalid --timeout {}", args.timeout)))?;
    let selection = Selection {
        args: &args.args,
        filenames: &args.filenames,
        recursive: args.recursive,
        selector: args.selector.as_deref(),
        field_selector: args.field_selector.as_deref(),
        all: args.all,
        all_namespaces: args.all_namespaces,
    };
    let victims = targets::resolve(ctx, &selection).await?;
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
        let path = v.path();
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
