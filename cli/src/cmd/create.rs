//! `kyb create -f`: create every object in the inputs.

use clap::Args;
use kyb_api::client::Method;
use serde_json::{json, Value};

use super::generators::{self, Generator};
use super::manifests::{self, display_name};
use super::{CliError, CliResult, Ctx};
use crate::print::Output;

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// A generator (`create deployment web --image=nginx`), instead of -f.
    #[command(subcommand)]
    generator: Option<Generator>,
    /// Filename, directory, or URL to files to use to create the resource.
    #[arg(short = 'f', long = "filename")]
    filenames: Vec<String>,
    /// Process the directory used in -f, --filename recursively.
    #[arg(short = 'R', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    recursive: bool,
    /// Output format: json|yaml|name|jsonpath=...
    #[arg(short = 'o', long, global = true)]
    output: Option<String>,
    /// Must be "none", "server", or "client".
    #[arg(long, global = true, default_value = "none", default_missing_value = "client", num_args = 0..=1, require_equals = true)]
    dry_run: String,
}

/// `create job --from=cronjob/NAME`: a Job made from the CronJob's template, owned by it and marked manual, as kubectl makes it.
async fn job_from(ctx: &Ctx, name: &str, from: &str) -> CliResult<Value> {
    let Some(cron) = from
        .strip_prefix("cronjob/")
        .or_else(|| from.strip_prefix("cronjobs/"))
        .or_else(|| from.strip_prefix("cj/"))
    else {
        return Err(CliError::Msg(format!(
            "from must be an existing cronjob: unknown object type {from}"
        )));
    };
    let path = format!(
        "/apis/batch/v1/namespaces/{}/cronjobs/{}",
        super::get::encode(ctx.namespace()),
        super::get::encode(cron)
    );
    let cj = ctx.client.get_json(&path).await?;
    let template = cj
        .pointer("/spec/jobTemplate")
        .cloned()
        .unwrap_or(json!({}));
    let mut annotations = template
        .pointer("/metadata/annotations")
        .cloned()
        .unwrap_or(json!({}));
    annotations["cronjob.kubernetes.io/instantiate"] = json!("manual");
    Ok(json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "annotations": annotations,
            "labels": template.pointer("/metadata/labels").cloned().unwrap_or(json!({})),
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cron, "uid": cj.pointer("/metadata/uid").cloned().unwrap_or(Value::Null), "controller": true}],
        },
        "spec": template.get("spec").cloned().unwrap_or(json!({})),
    }))
}

/// What to create: the generator's object, or every object in the files.
async fn inputs(ctx: &Ctx, args: &CreateArgs) -> CliResult<Vec<manifests::Manifest>> {
    match &args.generator {
        Some(g) => {
            let object = match generators::build(g) {
                Ok(o) => o,
                Err(marker) if marker.starts_with(generators::FROM_CRONJOB_MARKER) => {
                    let from = &marker[generators::FROM_CRONJOB_MARKER.len()..];
                    let Generator::Job { name, .. } = g else {
                        return Err(CliError::Msg(marker));
                    };
                    job_from(ctx, name, from).await?
                }
                Err(e) => return Err(CliError::Msg(e)),
            };
            Ok(vec![manifests::Manifest {
                source: String::new(),
                object,
            }])
        }
        None if args.filenames.is_empty() => {
            Err(CliError::Msg("must specify one of -f and -k".into()))
        }
        None => manifests::read(&args.filenames, args.recursive),
    }
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
    let manifests = inputs(ctx, &args).await?;
    let typed = args.generator.is_some();
    let prefix = args.generator.as_ref().and_then(Generator::failure_prefix);
    create_all(
        ctx,
        manifests,
        &args.dry_run,
        args.output.as_deref(),
        (typed, prefix),
        &CREATE,
    )
    .await
}

/// How a command that creates objects words itself: `create` (`created`, field manager `kubectl-create`),
/// `run`, `expose`.
pub struct Verb {
    pub done: &'static str,
    pub manager: &'static str,
}

pub const CREATE: Verb = Verb {
    done: "created",
    manager: "kubectl-create",
};

/// Creates each object and reports it as kubectl does; `typed` objects (from generators) print as JSON in
/// Go's struct order, and their failures start with `failure_prefix`.
pub async fn create_all(
    ctx: &Ctx,
    manifests: Vec<manifests::Manifest>,
    dry_run: &str,
    output: Option<&str>,
    (typed, failure_prefix): (bool, Option<&str>),
    verb: &Verb,
) -> CliResult {
    let suffix = dry_run_suffix(dry_run)?;
    let output = output.map(|o| Output::parse(Some(o))).transpose()?;
    let discovery = ctx.discovery(false).await?;
    let mut failed = false;
    for m in manifests {
        let resource = match manifests::resource_of(&discovery, &m) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                failed = true;
                continue;
            }
        };
        let ns = m.namespace_or(ctx.namespace());
        let name = m.name();
        let created = if dry_run == "client" {
            m.object.clone()
        } else {
            let mut path = format!(
                "{}?fieldManager={}&fieldValidation=Strict",
                resource.path(Some(&ns)),
                verb.manager
            );
            if dry_run == "server" {
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
                // Generated objects have no file to name: kubectl words each generator's failure its own way.
                Err(e) if m.source.is_empty() => {
                    match (failure_prefix, e.status()) {
                        (Some(p), Some(s)) => eprintln!("error: {p}{}", s.message),
                        _ => eprintln!("{e}"),
                    }
                    failed = true;
                    continue;
                }
                Err(e) => {
                    super::report_source_error(&e, "creating", &m.source);
                    failed = true;
                    continue;
                }
            }
        };
        match &output {
            // kubectl prints its generators' typed objects in Go struct order; objects from files sorted.
            Some(Output::Json) if typed => {
                print!("{}", crate::print::json::to_json_typed(&created))
            }
            Some(o) => print!("{}", o.render_list(vec![created], true)?),
            None => {
                let name = created
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or(&name)
                    .to_string();
                println!("{} {}{suffix}", display_name(resource, &name), verb.done);
            }
        }
    }
    if failed {
        return Err(CliError::Reported);
    }
    Ok(())
}
