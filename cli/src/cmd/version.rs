//! `kyb version`: the client's version, and the server's from `/version`.

use clap::Args;
use serde_json::Value;

use super::{CliResult, Ctx};

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// If true, shows client version only (no server required).
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    client: bool,
    /// One of 'yaml' or 'json'.
    #[arg(short = 'o', long)]
    output: Option<String>,
}

/// The Kubernetes version whose kubectl kyb follows.
const KUBECTL_COMPAT: &str = "v1.32.0";

pub async fn run(ctx: &Ctx, args: VersionArgs) -> CliResult {
    let client_version = serde_json::json!({
        "major": "1", "minor": "32", "gitVersion": format!("{KUBECTL_COMPAT}-kyb.{}", env!("CARGO_PKG_VERSION")),
        "gitCommit": "", "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z", "goVersion": "rust",
        "compiler": "rustc", "platform": format!("{}/{}", std::env::consts::OS, if std::env::consts::ARCH == "x86_64" { "amd64" } else { std::env::consts::ARCH }),
    });
    let server = if args.client {
        None
    } else {
        Some(ctx.client.get_json("/version").await?)
    };
    match args.output.as_deref() {
        Some(fmt @ ("json" | "yaml")) => {
            let mut v = serde_json::json!({"clientVersion": client_version});
            if let Some(s) = server {
                v["serverVersion"] = s;
            }
            print!(
                "{}",
                if fmt == "json" {
                    crate::print::json::to_json(&v)
                } else {
                    crate::print::yaml::to_yaml(&v)
                }
            );
        }
        Some(other) => {
            return Err(super::CliError::Msg(format!(
                "--output must be 'yaml' or 'json', got {other:?}"
            )))
        }
        None => {
            println!(
                "Client Version: {}",
                client_version["gitVersion"].as_str().unwrap_or_default()
            );
            if let Some(s) = server {
                println!(
                    "Server Version: {}",
                    s.get("gitVersion")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}
