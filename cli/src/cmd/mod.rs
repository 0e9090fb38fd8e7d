//! The commands, one file each, and what they share: the connection context and kubectl's error reporting.

mod api_resources;
mod apply;
mod apply_last;
mod attach;
mod cluster_info;
mod config;
mod cp;
mod create;
mod dashboard;
mod delete;
mod describe;
mod diff;
mod edit;
mod exec;
mod explain;
mod expose;
mod generators;
mod get;
mod label;
mod logs;
mod manifests;
mod node;
mod patch;
mod port_forward;
mod replace;
mod rollout;
mod run;
mod scale;
mod set;
mod set_env;
mod targets;
mod version;
mod wait;

use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use kyb_api::client::{load_kubeconfig, Client, ClientError, Discovery, Overrides, RestConfig};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Display one or many resources.
    Get(get::GetArgs),
    /// Delete resources by file names, resources and names, or by resources and label selector.
    Delete(delete::DeleteArgs),
    /// Create a resource from a file or from stdin.
    Create(create::CreateArgs),
    /// Apply a configuration to a resource by file name or stdin.
    Apply(apply::ApplyArgs),
    /// Show details of a specific resource or group of resources.
    Describe(describe::DescribeArgs),
    /// Diff the live version against a would-be applied version.
    Diff(diff::DiffArgs),
    /// Get documentation for a resource.
    Explain(explain::ExplainArgs),
    /// Edit a resource on the server.
    Edit(edit::EditArgs),
    /// Update fields of a resource.
    Patch(patch::PatchArgs),
    /// Replace a resource by file name or stdin.
    Replace(replace::ReplaceArgs),
    /// Update the labels on a resource.
    Label(label::MetaArgs),
    /// Update the annotations on a resource.
    Annotate(label::MetaArgs),
    /// Print the supported API resources on the server.
    ApiResources(api_resources::ApiResourcesArgs),
    /// Print the supported API versions on the server, in the form of "group/version".
    ApiVersions,
    /// Print the client and server version information.
    Version(version::VersionArgs),
    /// Modify kubeconfig files.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Mark node as unschedulable.
    Cordon(node::CordonArgs),
    /// Mark node as schedulable.
    Uncordon(node::CordonArgs),
    /// Drain node in preparation for maintenance.
    Drain(node::DrainArgs),
    /// Update the taints on one or more nodes.
    Taint(node::TaintArgs),
    /// Manage the rollout of a resource.
    #[command(subcommand)]
    Rollout(rollout::RolloutCommand),
    /// Set specific features on objects.
    #[command(subcommand)]
    Set(set::SetCommand),
    /// Run a particular image in a pod.
    Run(run::RunArgs),
    /// Set a new size for a deployment, replica set, replication controller, or stateful set.
    Scale(scale::ScaleArgs),
    /// Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service.
    Expose(expose::ExposeArgs),
    /// Attach to a running container.
    Attach(attach::AttachArgs),
    /// Forward one or more local ports to a pod.
    PortForward(port_forward::PortForwardArgs),
    /// Copy files and directories to and from containers.
    Cp(cp::CpArgs),
    /// Execute a command in a container.
    Exec(exec::ExecArgs),
    /// Print the logs for a container in a pod.
    Logs(logs::LogsArgs),
    /// Experimental: Wait for a specific condition on one or many resources.
    Wait(wait::WaitArgs),
    /// Display addresses of the control plane and services with label kubernetes.io/cluster-service=true.
    ClusterInfo,
    /// Output shell completion code for the specified shell (bash, zsh or fish).
    Completion { shell: clap_complete::Shell },
    /// The terminal dashboard: live lists, describe, YAML, scale and delete.
    Dashboard(dashboard::DashboardArgs),
}

/// A command's failure, printed the way kubectl prints it.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Client(#[from] ClientError),
    /// Printed as `error: ...`.
    #[error("error: {0}")]
    Msg(String),
    /// Already reported; only the exit code is left.
    #[error("")]
    Reported,
    /// Already reported; exit with this code.
    #[error("")]
    Exit(u8),
}

pub type CliResult<T = ()> = Result<T, CliError>;

/// The connection a command works through.
pub struct Ctx {
    pub client: Client,
}

impl Ctx {
    fn new(overrides: &Overrides) -> CliResult<Ctx> {
        let kubeconfig = load_kubeconfig(overrides.kubeconfig.as_deref())?;
        let rest = RestConfig::resolve(&kubeconfig, overrides)?;
        let client = Client::new(&rest)?;
        Ok(Ctx { client })
    }

    /// The namespace of the context or `-n`.
    pub fn namespace(&self) -> &str {
        &self.client.namespace
    }

    /// Discovery, from the disk cache when it is fresh.
    pub async fn discovery(&self, refresh: bool) -> CliResult<Discovery> {
        Ok(Discovery::load(&self.client, refresh).await?)
    }
}

pub async fn run(command: Command, overrides: Overrides) -> ExitCode {
    let result = match command {
        Command::Config(c) => config::run(c, &overrides),
        Command::Completion { shell } => {
            let mut cli = <crate::Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cli, "kyb", &mut std::io::stdout());
            Ok(())
        }
        other => match Ctx::new(&overrides) {
            Ok(ctx) => match other {
                Command::Get(a) => get::run(&ctx, a).await,
                Command::Delete(a) => delete::run(&ctx, a).await,
                Command::Create(a) => create::run(&ctx, a).await,
                Command::Apply(a) => apply::run(&ctx, a).await,
                Command::Edit(a) => edit::run(&ctx, a).await,
                Command::Diff(a) => diff::run(&ctx, a).await,
                Command::Describe(a) => describe::run(&ctx, a).await,
                Command::Explain(a) => explain::run(&ctx, a).await,
                Command::Patch(a) => patch::run(&ctx, a).await,
                Command::Replace(a) => replace::run(&ctx, a).await,
                Command::Label(a) => label::run(&ctx, a, label::Which::Labels).await,
                Command::Annotate(a) => label::run(&ctx, a, label::Which::Annotations).await,
                Command::ApiResources(a) => api_resources::run(&ctx, a).await,
                Command::ApiVersions => api_resources::versions(&ctx).await,
                Command::ClusterInfo => cluster_info::run(&ctx).await,
                Command::Cordon(a) => node::cordon(&ctx, a, true).await,
                Command::Uncordon(a) => node::cordon(&ctx, a, false).await,
                Command::Drain(a) => node::drain(&ctx, a).await,
                Command::Taint(a) => node::taint(&ctx, a).await,
                Command::Scale(a) => scale::run(&ctx, a).await,
                Command::Wait(a) => wait::run(&ctx, a).await,
                Command::Logs(a) => logs::run(&ctx, a).await,
                Command::Exec(a) => exec::run(&ctx, a).await,
                Command::Cp(a) => cp::run(&ctx, a).await,
                Command::PortForward(a) => port_forward::run(&ctx, a).await,
                Command::Attach(a) => attach::run(&ctx, a).await,
                Command::Expose(a) => expose::run(&ctx, a).await,
                Command::Run(a) => run::run(&ctx, a).await,
                Command::Rollout(a) => rollout::run(&ctx, a).await,
                Command::Set(a) => set::run(&ctx, a).await,
                Command::Version(a) => version::run(&ctx, a).await,
                Command::Dashboard(a) => dashboard::run(&ctx, &overrides, a).await,
                Command::Config(_) | Command::Completion { .. } => Ok(()),
            },
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Reported) => ExitCode::FAILURE,
        Err(CliError::Exit(code)) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Parses kubectl's `--request-timeout` (`0`, `30`, `1s`, `2m`, `3h`); zero means none.
pub fn parse_duration(s: &str) -> Result<Option<Duration>, ()> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num.parse().map_err(|_| ())?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "ms" => return Ok((n > 0).then(|| Duration::from_millis(n))),
        _ => return Err(()),
    };
    Ok((secs > 0).then(|| Duration::from_secs(secs)))
}

/// A string field of an object's metadata (`name`, `namespace`), or empty.
pub fn meta_str(obj: &serde_json::Value, field: &str) -> String {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Reports a failed write of an object read from `source`, as kubectl's AddSourceToErr and checkErr word it.
pub fn report_source_error(e: &ClientError, verb: &str, source: &str) {
    match e.status() {
        // Invalid keeps its own wording, built from the causes.
        Some(s) if s.reason != "Invalid" => eprintln!(
            "Error from server ({}): error when {verb} \"{source}\": {}",
            s.reason, s.message
        ),
        _ => eprintln!("{e}"),
    }
}

/// `error: the server doesn't have a resource type "foo"`.
pub fn unknown_type(typed: &str) -> CliError {
    CliError::Msg(format!(
        "the server doesn't have a resource type \"{typed}\""
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_timeouts() {
        assert_eq!(parse_duration("0"), Ok(None));
        assert_eq!(parse_duration("30"), Ok(Some(Duration::from_secs(30))));
        assert_eq!(parse_duration("2m"), Ok(Some(Duration::from_secs(120))));
        assert!(parse_duration("soon").is_err());
    }
}
