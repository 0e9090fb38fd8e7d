//! `kyb run NAME --image=IMAGE`: create one Pod, shaped as kubectl's run generator shapes it.

use clap::Args;
use serde_json::{json, Map, Value};

use super::create::create_all;
use super::manifests::Manifest;
use super::{CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// NAME [-- COMMAND_OR_ARGS...]
    name: Option<String>,
    /// The container's args (or, with --command, its command).
    #[arg(last = true)]
    rest: Vec<String>,
    /// The image for the container to run.
    #[arg(long)]
    image: Option<String>,
    /// Comma separated labels to apply to the pod. Will override the default `run=NAME` label.
    #[arg(short = 'l', long)]
    labels: Option<String>,
    /// Environment variables to set in the container.
    #[arg(long)]
    env: Vec<String>,
    /// The port that this container exposes.
    #[arg(long)]
    port: Option<String>,
    /// The restart policy for this Pod: Always, OnFailure or Never.
    #[arg(long, default_value = "Always")]
    restart: String,
    /// The image pull policy for the container.
    #[arg(long)]
    image_pull_policy: Option<String>,
    /// If true and extra arguments are present, use them as the 'command' field instead of 'args'.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    command: bool,
    /// Annotations to apply to the pod.
    #[arg(long)]
    annotations: Vec<String>,
    /// Must be "none", "server", or "client".
    #[arg(long, default_value = "none", default_missing_value = "client", num_args = 0..=1, require_equals = true)]
    dry_run: String,
    #[arg(short = 'o', long)]
    output: Option<String>,
}

const HELP_HINT: &str = "\nSee 'kubectl run -h' for help and examples";

/// `k=v,k2=v2` as kubectl's run parses `--labels`.
fn parse_labels(spec: &str) -> Result<Map<String, Value>, String> {
    spec.split(',')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), json!(v))),
            _ => Err(format!("unexpected label spec: {pair}")),
        })
        .collect()
}

/// The Pod, with kubectl's fields in kubectl's order (its JSON printer keeps Go's struct order).
fn pod(name: &str, image: &str, args: &RunArgs) -> Result<Value, String> {
    let labels = match &args.labels {
        Some(l) => parse_labels(l)?,
        None => [("run".to_string(), json!(name))].into_iter().collect(),
    };
    let mut container = Map::new();
    container.insert("name".into(), json!(name));
    container.insert("image".into(), json!(image));
    if !args.rest.is_empty() {
        let field = if args.command { "command" } else { "args" };
        container.insert(field.into(), json!(args.rest));
    }
    if let Some(port) = &args.port {
        let port: i64 = port
            .parse()
            .map_err(|_| format!("invalid argument \"{port}\" for \"--port\" flag"))?;
        container.insert("ports".into(), json!([{"containerPort": port}]));
    }
    if !args.env.is_empty() {
        let env = args
            .env
            .iter()
            .map(|e| match e.split_once('=') {
                Some((k, v)) if !k.is_empty() => Ok(json!({"name": k, "value": v})),
                _ => Err(format!("invalid env: {e}")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        container.insert("env".into(), json!(env));
    }
    container.insert("resources".into(), json!({}));
    if let Some(p) = &args.image_pull_policy {
        container.insert("imagePullPolicy".into(), json!(p));
    }
    let mut metadata = json!({"name": name, "creationTimestamp": null, "labels": labels});
    if !args.annotations.is_empty() {
        let annotations: Map<String, Value> = args
            .annotations
            .iter()
            .map(|a| match a.split_once('=') {
                Some((k, v)) => Ok((k.to_string(), json!(v))),
                None => Err(format!("invalid annotation spec: {a}")),
            })
            .collect::<Result<_, String>>()?;
        metadata["annotations"] = json!(annotations);
    }
    Ok(json!({
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": metadata,
        "spec": {"containers": [container], "restartPolicy": args.restart, "dnsPolicy": "ClusterFirst"},
        "status": {},
    }))
}

pub async fn run(ctx: &Ctx, args: RunArgs) -> CliResult {
    let Some(image) = args.image.clone() else {
        return Err(CliError::Msg("required flag(s) \"image\" not set".into()));
    };
    let Some(name) = args.name.clone() else {
        return Err(CliError::Msg(format!(
            "NAME is required for run{HELP_HINT}"
        )));
    };
    if !matches!(args.restart.as_str(), "Always" | "OnFailure" | "Never") {
        return Err(CliError::Msg(format!(
            "invalid restart policy: {}{HELP_HINT}",
            args.restart
        )));
    }
    let object = pod(&name, &image, &args).map_err(CliError::Msg)?;
    let manifest = Manifest {
        source: String::new(),
        object,
    };
    let verb = super::create::Verb {
        done: "created",
        manager: "kubectl-run",
    };
    create_all(
        ctx,
        vec![manifest],
        &args.dry_run,
        args.output.as_deref(),
        (true, None),
        &verb,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunArgs,
    }

    fn parse(argv: &[&str]) -> RunArgs {
        let mut all = vec!["run"];
        all.extend_from_slice(argv);
        Cli::try_parse_from(all)
            .unwrap_or_else(|e| panic!("{e}"))
            .run
    }

    #[test]
    fn pods_look_like_kubectls() {
        let a = parse(&[
            "x",
            "--image=busybox",
            "--labels=a=b,c=d",
            "--env=A=1",
            "--port=80",
            "--restart=Never",
            "--",
            "sleep",
            "10",
        ]);
        let p = pod("x", "busybox", &a).unwrap_or_default();
        assert_eq!(p["metadata"]["labels"], json!({"a": "b", "c": "d"}));
        assert_eq!(p["spec"]["containers"][0]["args"], json!(["sleep", "10"]));
        assert_eq!(
            p["spec"]["containers"][0]["env"],
            json!([{"name": "A", "value": "1"}])
        );
        assert_eq!(
            p["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 80}])
        );
        assert_eq!(p["spec"]["restartPolicy"], "Never");
        let plain = pod(
            "x",
            "busybox",
            &parse(&["x", "--image=busybox", "--command", "--", "sh"]),
        )
        .unwrap_or_default();
        assert_eq!(plain["metadata"]["labels"], json!({"run": "x"}));
        assert_eq!(plain["spec"]["containers"][0]["command"], json!(["sh"]));
        assert_eq!(
            pod("x", "b", &parse(&["x", "--labels=bad"])),
            Err("unexpected label spec: bad".into())
        );
        assert_eq!(
            pod("x", "b", &parse(&["x", "--env=NOEQ"])),
            Err("invalid env: NOEQ".into())
        );
    }
}
