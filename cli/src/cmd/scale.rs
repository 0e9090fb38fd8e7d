//! `kyb scale`: set spec.replicas through the `scale` subresource, with kubectl's preconditions
//! (`--current-replicas`, `--resource-version`) and its messages.

use clap::Args;
use kyb_api::client::Method;
use serde_json::{json, Value};

use super::create::dry_run_suffix;
use super::targets::{self, Selection};
use super::{CliError, CliResult, Ctx};
use crate::print::Output;

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// TYPE NAME... or TYPE/NAME...
    args: Vec<String>,
    #[arg(short = 'f', long = "filename")]
    filenames: Vec<String>,
    #[arg(short = 'R', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    recursive: bool,
    /// The new desired number of replicas. Required.
    #[arg(long, allow_negative_numbers = true)]
    replicas: Option<i64>,
    /// Precondition for current size. Requires that the current size of the resource match this value in order to scale. -1 (default) for no condition.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    current_replicas: i64,
    /// Precondition for resource version. Requires that the current resource version match this value in order to scale.
    #[arg(long)]
    resource_version: Option<String>,
    #[arg(short = 'l', long)]
    selector: Option<String>,
    /// Select all resources in the namespace of the specified resource types.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    all: bool,
    #[arg(short = 'A', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    all_namespaces: bool,
    /// Must be "none", "server", or "client".
    #[arg(long, default_value = "none", default_missing_value = "client", num_args = 0..=1, require_equals = true)]
    dry_run: String,
    #[arg(short = 'o', long)]
    output: Option<String>,
}

/// kubectl's precondition failure: `Expected replicas to be 7, was 3`.
fn precondition(what: &str, want: &str, have: &str) -> CliError {
    CliError::Msg(format!("Expected {what} to be {want}, was {have}"))
}

pub async fn run(ctx: &Ctx, args: ScaleArgs) -> CliResult {
    let Some(replicas) = args.replicas else {
        return Err(CliError::Msg(
            "required flag(s) \"replicas\" not set".into(),
        ));
    };
    if replicas < 0 {
        return Err(CliError::Msg(
            "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"
                .into(),
        ));
    }
    let suffix = dry_run_suffix(&args.dry_run)?;
    let output = args
        .output
        .as_deref()
        .map(|o| Output::parse(Some(o)))
        .transpose()?;
    let selection = Selection {
        args: &args.args,
        filenames: &args.filenames,
        recursive: args.recursive,
        selector: args.selector.as_deref(),
        field_selector: None,
        all: args.all,
        all_namespaces: args.all_namespaces,
    };
    // Like kubectl's builder, read every object first; scale only those that exist.
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for o in targets::resolve(ctx, &selection).await? {
        match ctx.client.get_json(&o.path()).await {
            Ok(obj) => found.push((o, obj)),
            Err(e) => missing.push(e),
        }
    }
    if found.is_empty() {
        return Err(CliError::Msg(match missing.first() {
            Some(e) => format!(
                "no objects passed to scale {}",
                e.status()
                    .map(|s| s.message.clone())
                    .unwrap_or_else(|| e.to_string())
            ),
            None => "no objects passed to scale".into(),
        }));
    }
    let mut failed = !missing.is_empty();
    for (o, obj) in found {
        let path = format!("{}/scale", o.path());
        let dry = if args.dry_run == "server" {
            "?dryRun=All"
        } else {
            ""
        };
        let result = if args.current_replicas >= 0 || args.resource_version.is_some() {
            // With preconditions kubectl reads the Scale, checks it, and writes it back whole, so that a
            // change in between is a conflict rather than a lost update.
            let mut scale = ctx.client.get_json(&path).await?;
            let have = scale
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if args.current_replicas >= 0 && have != args.current_replicas {
                return Err(precondition(
                    "replicas",
                    &args.current_replicas.to_string(),
                    &have.to_string(),
                ));
            }
            let rv = scale
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if let Some(want) = args.resource_version.as_deref().filter(|w| *w != rv) {
                return Err(precondition("resource version", want, &rv));
            }
            scale["spec"]["replicas"] = json!(replicas);
            if args.dry_run == "client" {
                Ok(())
            } else {
                ctx.client
                    .send_json(
                        Method::PUT,
                        &format!("{path}{dry}"),
                        "application/json",
                        &scale,
                    )
                    .await
                    .map(|_| ())
            }
        } else if args.dry_run == "client" {
            Ok(())
        } else {
            let patch = json!({"spec": {"replicas": replicas}});
            ctx.client
                .send_json(
                    Method::PATCH,
                    &format!("{path}{dry}"),
                    "application/merge-patch+json",
                    &patch,
                )
                .await
                .map(|_| ())
        };
        if let Err(e) = result {
            eprintln!("{e}");
            failed = true;
            continue;
        }
        match &output {
            Some(Output::Name) => println!("{}", o.display()),
            Some(out) => print!("{}", out.render_list(vec![obj], true)?),
            None => println!("{} scaled{suffix}", o.display()),
        }
    }
    for e in missing {
        eprintln!("{e}");
    }
    if failed {
        return Err(CliError::Reported);
    }
    Ok(())
}
