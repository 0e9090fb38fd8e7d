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

/// This very `kyb` with the connection flags it was given, for the commands the dashboard runs.
fn kyb_with(o: &Overrides) -> Vec<String> {
    let program = std::env::current_exe()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "kyb".into());
    let mut out = vec![program];
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
    let flags = [
        ("--kubeconfig", o.kubeconfig.as_deref().map(path)),
        ("--context", o.context.clone()),
        ("--cluster", o.cluster.clone()),
        ("--user", o.user.clone()),
        ("--server", o.server.clone()),
        ("--token", o.token.clone()),
        (
            "--certificate-authority",
            o.certificate_authority.as_deref().map(path),
        ),
        (
            "--client-certificate",
            o.client_certificate.as_deref().map(path),
        ),
        ("--client-key", o.client_key.as_deref().map(path)),
    ];
    for (flag, value) in flags {
        if let Some(v) = value {
            out.extend([flag.to_string(), v]);
        }
    }
    if o.insecure_skip_tls_verify {
        out.push("--insecure-skip-tls-verify".into());
    }
    out
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
    let contexts = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let base = overrides.clone();
    let connect: kyb_tui::ConnectFn = Arc::new(move |name: &str| {
        let mut o = base.clone();
        o.context = Some(name.to_string());
        let kubeconfig = load_kubeconfig(o.kubeconfig.as_deref()).map_err(|e| e.to_string())?;
        let rest = RestConfig::resolve(&kubeconfig, &o).map_err(|e| e.to_string())?;
        let client = kyb_api::client::Client::new(&rest).map_err(|e| e.to_string())?;
        let namespace = client.namespace.clone();
        Ok((client, namespace))
    });
    let options = kyb_tui::Options {
        kyb: kyb_with(overrides),
        contexts,
        connect,
        config: kyb_tui::config::default_path(),
        client: ctx.client.clone(),
        context,
        namespace: (!args.all_namespaces).then(|| ctx.namespace().to_string()),
        readonly: args.readonly,
        describe,
        yaml: crate::print::yaml::to_yaml,
    };
    kyb_tui::run(options).await.map_err(CliError::Msg)
}
