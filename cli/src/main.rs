//! kyb: the kubectl-compatible CLI.

mod cmd;
mod print;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use kyb_api::client::Overrides;

/// kubectl's global flags, accepted before or after the command.
#[derive(Debug, Parser)]
#[command(
    name = "kyb",
    version,
    about = "kyb controls Kubernetes clusters, as kubectl does",
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Path to the kubeconfig file to use for CLI requests.
    #[arg(long, global = true)]
    kubeconfig: Option<PathBuf>,
    /// The name of the kubeconfig context to use.
    #[arg(long, global = true)]
    context: Option<String>,
    /// The name of the kubeconfig cluster to use.
    #[arg(long, global = true)]
    cluster: Option<String>,
    /// The name of the kubeconfig user to use.
    #[arg(long, global = true)]
    user: Option<String>,
    /// If present, the namespace scope for this CLI request.
    #[arg(short = 'n', long, global = true)]
    namespace: Option<String>,
    /// The address and port of the Kubernetes API server.
    #[arg(short = 's', long, global = true)]
    server: Option<String>,
    /// Bearer token for authentication to the API server.
    #[arg(long, global = true)]
    token: Option<String>,
    /// Path to a cert file for the certificate authority.
    #[arg(long, global = true)]
    certificate_authority: Option<PathBuf>,
    /// Path to a client certificate file for TLS.
    #[arg(long, global = true)]
    client_certificate: Option<PathBuf>,
    /// Path to a client key file for TLS.
    #[arg(long, global = true)]
    client_key: Option<PathBuf>,
    /// If true, the server's certificate will not be checked for validity.
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    insecure_skip_tls_verify: bool,
    /// The length of time to wait before giving up on a single server request (e.g. 1s, 2m, 3h; 0 means no timeout).
    #[arg(long, global = true, default_value = "0")]
    request_timeout: String,
    /// Number for the log level verbosity (6 logs requests, 7 their headers, 8 their bodies).
    #[arg(short = 'v', long = "v", global = true, default_value_t = 0)]
    verbosity: u8,
    #[command(subcommand)]
    command: cmd::Command,
}

impl Cli {
    fn overrides(&self) -> Result<Overrides, String> {
        Ok(Overrides {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            cluster: self.cluster.clone(),
            user: self.user.clone(),
            namespace: self.namespace.clone(),
            server: self.server.clone(),
            token: self.token.clone(),
            certificate_authority: self.certificate_authority.clone(),
            client_certificate: self.client_certificate.clone(),
            client_key: self.client_key.clone(),
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            request_timeout: cmd::parse_duration(&self.request_timeout)
                .map_err(|_| "Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)".to_string())?,
            verbosity: self.verbosity,
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = match cli.overrides() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(cmd::run(cli.command, overrides));
    // A read of an interactive stdin (exec -i) may still be blocked in its thread; it must not hold the
    // exit back.
    runtime.shutdown_background();
    code
}
