//! `kyb patch`: strategic (default), merge or JSON patches from `-p` or `--patch-file`, as kubectl sends them.

use clap::Args;
use kyb_api::client::Method;
use serde_json::Value;

use super::targets::{self, Selection};
use super::{CliError, CliResult, Ctx};
use crate::print::Output;

#[derive(Debug, Args)]
pub struct PatchArgs {
    /// TYPE NAME or TYPE/NAME
    args: Vec<String>,
    #[arg(short = 'f', long = "filename")]
    filenames: Vec<String>,
    /// The patch to be applied to the resource JSON file.
    #[arg(short = 'p', long)]
    patch: Option<String>,
    /// A file containing a patch to be applied to the resource.
    #[arg(long)]
    patch_file: Option<String>,
    /// The type of patch being provided; one of [json merge strategic].
    #[arg(long = "type", default_value = "strategic")]
    patch_type: String,
    /// If true, patch will operate on the content of the file, not the server-side resource.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    local: bool,
    /// The subresource to patch (status, scale).
    #[arg(long)]
    subresource: Option<String>,
    #[arg(short = 'o', long)]
    output: Option<String>,
    #[arg(long, default_value = "none", default_missing_value = "client", num_args = 0..=1, require_equals = true)]
    dry_run: String,
}

pub async fn run(ctx: &Ctx, args: PatchArgs) -> CliResult {
    let content_type = match args.patch_type.as_str() {
        "strategic" => "application/strategic-merge-patch+json",
        "merge" => "application/merge-patch+json",
        "json" => "application/json-patch+json",
        other => {
            return Err(CliError::Msg(format!(
                "--type must be one of [json merge strategic], not \"{other}\""
            )))
        }
    };
    let text = match (&args.patch, &args.patch_file) {
        (Some(p), None) => p.clone(),
        (None, Some(f)) => std::fs::read_to_string(f)
            .map_err(|e| CliError::Msg(format!("unable to read patch file: {e}")))?,
        (Some(_), Some(_)) => {
            return Err(CliError::Msg(
                "both patch and patch-file cannot be specified".into(),
            ))
        }
        (None, None) => {
            return Err(CliError::Msg(
                "must specify --patch or --patch-file containing the contents of the patch".into(),
            ))
        }
    };
    // kubectl reads the patch as YAML (a superset of JSON) and sends it as JSON.
    let patch: Value = serde_saphyr::from_str(&text)
        .map_err(|e| CliError::Msg(format!("unable to parse \"{text}\": {e}")))?;
    let body = serde_json::to_vec(&patch).map_err(|e| CliError::Msg(e.to_string()))?;
    let output = args
        .output
        .as_deref()
        .map(|o| Output::parse(Some(o)))
        .transpose()?;
    let selection = Selection {
        args: &args.args,
        filenames: &args.filenames,
        recursive: false,
        selector: None,
        field_selector: None,
        all: false,
        all_namespaces: false,
    };
    let objects = targets::resolve(ctx, &selection).await?;
    let dry = match args.dry_run.as_str() {
        "server" => "&dryRun=All",
        _ => "",
    };
    let mut failed = false;
    for o in objects {
        let sub = args
            .subresource
            .as_deref()
            .map(|s| format!("/{s}"))
            .unwrap_or_default();
        let path = format!("{}{sub}?fieldManager=kubectl-patch{dry}", o.path());
        match ctx
            .client
            .send(
                Method::PATCH,
                &path,
                "application/json",
                Some((content_type, body.clone())),
            )
            .await
        {
            Ok(resp) => match &output {
                Some(out) => print!("{}", out.render_list(vec![resp.json()?], true)?),
                None => println!("{} patched", o.display()),
            },
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    if failed {
        return Err(CliError::Reported);
    }
    Ok(())
}
