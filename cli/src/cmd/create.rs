//! `kyb create -f`: create every object in the inputs.

use clap::Args;
use kyb_api::client::Method;
use serde_json::Value;

use super::manifests::{self, display_name};
use super::{CliError, CliResult, Ctx};
use crate::print::Output;

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Filename, directory, or URL to files to use to create the resource.
    #[arg(short = 'f', long = "filename", required = true)]
    filenames: Vec<String>,
    /// Process the directory used in -f, --filename recursively.
    #[arg(short = 'R', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    recursive: bool,
    /// Output format: json|yaml|name|jsonpath=...
    #[arg(short = 'o', long)]
    output: Option<String>,
    /// Must be "none", "server", or "client".
    #[arg(long, default_value = "none", default_missing_value = "client", num_args = 0..=1, require_equals = true)]
    dry_run: String,
}

/// The suffix kubectl adds to messages in each dry-run mode.
pub fn dry_run_suffix(mode: &str) -> CliResult<&'static str> {
    match mode {
        "none" => Ok(""),
        "client" => Ok(" (dry run)"),
        "server" => Ok(" (server dry run)"),
        other => Err(CliError::Msg(format!(
            "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
        ))),
    }
}

pub async fn run(ctx: &Ctx, args: CreateArgs) -> CliResult {
    let suffix = dry_run_suffix(&args.dry_run)?;
    let output = args
        .output
        .as_deref()
        .map(|o| Output::parse(Some(o)))
        .transpose()?;
    let discovery = ctx.discovery(false).await?;
    let mut failed = false;
    for m in manifests::read(&args.filenames, args.recursive)? {
        let resource = match manifests::resource_of(&discovery, &m) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                failed = true;
                continue;
            }
        };
        let ns = m
            .object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or(ctx.namespace())
            .to_string();
        let name = m
            .object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let created = if args.dry_run == "client" {
            m.object.clone()
        } else {
            let mut path = format!(
                "{}?fieldManager=kubectl-create&fieldValidation=Strict",
                resource.path(Some(&ns))
            );
            if args.dry_run == "server" {
                path.push_str("&dryRun=All");
            }
            let body = serde_json::to_vec(&m.object).map_err(|e| CliError::Msg(e.to_string()))?;
            match ctx
                .client
                .send(
                    Method::POST,
                    &path,
                    "application/json",
                    Some(("application/json", body)),
                )
                .await
            {
                Ok(r) => r.json()?,
                Err(e) => {
                    super::report_source_error(&e, "creating", &m.source);
                    failed = true;
                    continue;
                }
            }
        };
        match &output {
            Some(o) => print!("{}", o.render_list(vec![created], true)?),
            None => {
                let name = created
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or(&name)
                    .to_string();
                println!("{} created{suffix}", display_name(resource, &name));
            }
        }
    }
    if failed {
        return Err(CliError::Reported);
    }
    Ok(())
}
