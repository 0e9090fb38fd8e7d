//! `kyb dashboard`: the terminal UI of kyb-tui, given kyb's describe and YAML printers.

use std::sync::Arc;

use clap::Args;
use kyb_api::client::{load_kubeconfig, Overrides, RestConfig};

use super::{CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Start with every namespace's objects.
    #[arg(short = 'A', long)]
    all_namespaces: bool,
    /// Look only: no delete and no scale.
    #[arg(long)]
    readonly: bool,
}

pub async fn run(ctx: &Ctx, overrides: &Overrides, args: DashboardArgs) -> CliResult {
    let kubeconfig = load_kubeconfig(overrides.kubeconfig.as_deref())?;
    let context = RestConfig::resolve(&kubeconfig, overrides)?
        .context
        .unwrap_or_default();
    let describe: kyb_tui::DescribeFn = Arc::new(|client, view, namespace, name| {
        Box::pin(async move {
            super::describe::page(client, view, namespace, name)
                .await
                .map_err(|e| e.to_string().trim_start_matches("error: ").to_string())
        })
    });
    let options = kyb_tui::Options {
        client: ctx.client.clone(),
        context,
        namespace: (!args.all_namespaces).then(|| ctx.namespace().to_string()),
        readonly: args.readonly,
        describe,
        yaml: crate::print::yaml::to_yaml,
    };
    kyb_tui::run(options).await.map_err(CliError::Msg)
}
