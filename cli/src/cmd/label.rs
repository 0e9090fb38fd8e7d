//! `kyb label` and `kyb annotate`: change metadata maps with merge patches, as kubectl does.

use clap::Args;
use kyb_api::client::Method;
use serde_json::{json, Map, Value};

use super::targets::{self, Selection};
use super::{CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct MetaArgs {
    /// TYPE NAME... KEY_1=VAL_1 ... KEY_N- (or TYPE/NAME...)
    args: Vec<String>,
    #[arg(short = 'f', long = "filename")]
    filenames: Vec<String>,
    #[arg(short = 'R', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    recursive: bool,
    /// If true, overwrite existing values.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    overwrite: bool,
    /// If true, display the values for a given resource.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    list: bool,
    #[arg(short = 'l', long)]
    selector: Option<String>,
    #[arg(long)]
    field_selector: Option<String>,
    /// Select all resources, in the namespace of the specified resource types.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    all: bool,
    #[arg(short = 'A', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    all_namespaces: bool,
    /// Only update if the object is at this resourceVersion.
    #[arg(long)]
    resource_version: Option<String>,
    #[arg(short = 'o', long)]
    output: Option<String>,
}

/// Which metadata map the command edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Labels,
    Annotations,
}

impl Which {
    fn field(self) -> &'static str {
        match self {
            Which::Labels => "labels",
            Which::Annotations => "annotations",
        }
    }

    fn singular(self) -> &'static str {
        match self {
            Which::Labels => "label",
            Which::Annotations => "annotation",
        }
    }
}

/// Splits `TYPE NAME... k=v k-` into the resource words and the changes (kubectl: the first argument with `=` or a trailing `-` starts the changes).
fn split(args: &[String]) -> (Vec<String>, Vec<(String, Option<String>)>) {
    let at = args
        .iter()
        .position(|a| a.contains('=') || (a.ends_with('-') && a.len() > 1))
        .unwrap_or(args.len());
    let changes = args[at..]
        .iter()
        .map(|a| match a.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (a.trim_end_matches('-').to_string(), None),
        })
        .collect();
    (args[..at].to_vec(), changes)
}

pub async fn run(ctx: &Ctx, args: MetaArgs, which: Which) -> CliResult {
    let (resources, changes) = split(&args.args);
    if changes.is_empty() && !args.list {
        return Err(CliError::Msg(format!(
            "at least one {} update is required",
            which.singular()
        )));
    }
    let selection = Selection {
        args: &resources,
        filenames: &args.filenames,
        recursive: args.recursive,
        selector: args.selector.as_deref(),
        field_selector: args.field_selector.as_deref(),
        all: args.all,
        all_namespaces: args.all_namespaces,
    };
    let objects = targets::resolve(ctx, &selection).await?;
    let mut failed = false;
    for o in objects {
        let current = match ctx.client.get_json(&o.path()).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{e}");
                failed = true;
                continue;
            }
        };
        let existing: Map<String, Value> = current
            .pointer(&format!("/metadata/{}", which.field()))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if args.list {
            for (k, v) in &existing {
                println!("{k}={}", v.as_str().unwrap_or_default());
            }
            continue;
        }
        let mut patch = Map::new();
        for (k, v) in &changes {
            match (v, existing.get(k)) {
                (Some(v), Some(old)) if old.as_str() != Some(v.as_str()) && !args.overwrite => {
                    return Err(CliError::Msg(format!(
                        "'{k}' already has a value ({}), and --overwrite is false",
                        old.as_str().unwrap_or_default()
                    )));
                }
                (Some(v), Some(old)) if old.as_str() == Some(v.as_str()) => {}
                (Some(v), _) => {
                    patch.insert(k.clone(), json!(v));
                }
                (None, Some(_)) => {
                    patch.insert(k.clone(), Value::Null);
                }
                // kubectl reports this on stdout and carries on.
                (None, None) => println!("{} \"{k}\" not found.", which.singular()),
            }
        }
        let removals_only = !patch.is_empty() && patch.values().all(Value::is_null);
        let verb = match (which, patch.is_empty(), removals_only) {
            (Which::Labels, true, _) => "not labeled",
            (Which::Labels, false, true) => "unlabeled",
            (Which::Labels, false, false) => "labeled",
            (Which::Annotations, _, _) => "annotated",
        };
        if !patch.is_empty() {
            let mut body = json!({"metadata": {which.field(): patch}});
            if let Some(rv) = &args.resource_version {
                body["metadata"]["resourceVersion"] = json!(rv);
            }
            let path = format!("{}?fieldManager=kubectl-{}", o.path(), which.singular());
            let bytes = serde_json::to_vec(&body).map_err(|e| CliError::Msg(e.to_string()))?;
            if let Err(e) = ctx
                .client
                .send(
                    Method::PATCH,
                    &path,
                    "application/json",
                    Some(("application/merge-patch+json", bytes)),
                )
                .await
            {
                eprintln!("{e}");
                failed = true;
                continue;
            }
        }
        match args.output.as_deref() {
            Some("name") => println!("{}", o.display()),
            _ => println!("{} {verb}", o.display()),
        }
    }
    if failed {
        return Err(CliError::Reported);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_resources_from_changes() {
        let args: Vec<String> = ["deploy", "web", "a=1", "b-"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (r, c) = split(&args);
        assert_eq!(r, ["deploy", "web"]);
        assert_eq!(
            c,
            vec![
                ("a".to_string(), Some("1".to_string())),
                ("b".to_string(), None)
            ]
        );
    }
}
