//! `kyb replace -f`: PUT each object (or, with `--force`, delete and create it), as kubectl does.

use std::time::Duration;

use clap::Args;
use kyb_api::client::Method;
use serde_json::json;

use super::get::encode;
use super::manifests::{self, display_name};
use super::{CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct ReplaceArgs {
    #[arg(short = 'f', long = "filename", required = true)]
    filenames: Vec<String>,
    #[arg(short = 'R', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    recursive: bool,
    /// If true, immediately remove resources from API and bypass graceful deletion, then re-create them.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    force: bool,
}

pub async fn run(ctx: &Ctx, args: ReplaceArgs) -> CliResult {
    let discovery = ctx.discovery(false).await?;
    let mut failed = false;
    for m in manifests::read(&args.filenames, args.recursive)? {
        let r = manifests::resource_of(&discovery, &m)?;
        let ns = m.namespace_or(ctx.namespace());
        let name = m.name();
        let path = format!("{}/{}", r.path(Some(&ns)), encode(&name));
        let body = serde_json::to_vec(&m.object).map_err(|e| CliError::Msg(e.to_string()))?;
        let result = if args.force {
            let opts = serde_json::to_vec(
                &json!({"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0}),
            )
            .unwrap_or_default();
            match ctx
                .client
                .send(
                    Method::DELETE,
                    &path,
                    "application/json",
                    Some(("application/json", opts)),
                )
                .await
            {
                Ok(_) => println!("{} \"{name}\" deleted", r.kind_group()),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e.into()),
            }
            // Wait for the old object to be gone before creating its replacement.
            while ctx
                .client
                .send(Method::GET, &path, "application/json", None)
                .await
                .is_ok()
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let create = format!("{}?fieldManager=kubectl-replace", r.path(Some(&ns)));
            ctx.client
                .send(
                    Method::POST,
                    &create,
                    "application/json",
                    Some(("application/json", body)),
                )
                .await
        } else {
            let put = format!("{path}?fieldManager=kubectl-replace&fieldValidation=Strict");
            ctx.client
                .send(
                    Method::PUT,
                    &put,
                    "application/json",
                    Some(("application/json", body)),
                )
                .await
        };
        match result {
            Ok(_) => println!("{} replaced", display_name(r, &name)),
            Err(e) => {
                super::report_source_error(&e, "replacing", &m.source);
                failed = true;
            }
        }
    }
    if failed {
        return Err(CliError::Reported);
    }
    Ok(())
}
