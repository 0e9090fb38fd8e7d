//! `kyb apply -f`: client-side apply with kubectl's last-applied annotation and three-way strategic merge, or `--server-side`.

use clap::Args;
use kyb_api::client::{ApiResource, Method};
use kyb_api::strategic::diff;
use serde_json::{json, Value};

use super::create::dry_run_suffix;
use super::get::encode;
use super::manifests::{self, display_name, Manifest};
use super::{CliError, CliResult, Ctx};
use crate::print::Output;

/// The annotation kubectl keeps the last applied configuration in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// `view-last-applied` or `set-last-applied`, instead of applying.
    #[command(subcommand)]
    last_applied: Option<super::apply_last::LastApplied>,
    /// The files that contain the configurations to apply.
    #[arg(short = 'f', long = "filename")]
    filenames: Vec<String>,
    /// Automatically delete objects that are not in the files but match the selector (-l) or --all, and were applied before.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    prune: bool,
    /// Selector (label query) for --prune.
    #[arg(short = 'l', long)]
    selector: Option<String>,
    /// With --prune, consider every object of the pruned types in the namespace.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    all: bool,
    #[arg(short = 'R', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    recursive: bool,
    /// If true, apply runs in the server instead of the client.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    server_side: bool,
    /// Name of the manager used to track field ownership.
    #[arg(long, default_value = "kubectl")]
    field_manager: String,
    /// If true, server-side apply will force the changes against conflicts.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    force_conflicts: bool,
    /// Must be "none", "server", or "client".
    #[arg(long, default_value = "none", default_missing_value = "client", num_args = 0..=1, require_equals = true)]
    dry_run: String,
    #[arg(short = 'o', long)]
    output: Option<String>,
    /// Whether the last-applied annotation is written (diff's dry runs leave it alone, as kubectl's do).
    #[arg(skip = true)]
    annotate: bool,
}

impl ApplyArgs {
    /// The settings `diff` uses: a server-side dry run of what apply would send.
    pub fn dry_run_server(server_side: bool) -> ApplyArgs {
        ApplyArgs {
            last_applied: None,
            filenames: Vec::new(),
            prune: false,
            selector: None,
            all: false,
            recursive: false,
            server_side,
            field_manager: "kubectl".into(),
            force_conflicts: false,
            dry_run: "server".into(),
            output: None,
            annotate: false,
        }
    }
}

/// The object as applied (kubectl's GetModifiedConfiguration): any last-applied annotation taken out, and with
/// `annotate` put back holding the object's own JSON (compact, keys sorted, newline-terminated, as kubectl writes it).
fn modified_config(obj: &Value, annotate: bool) -> CliResult<Value> {
    let mut config = obj.clone();
    let annotations = config["metadata"]
        .as_object_mut()
        .ok_or_else(|| CliError::Msg("the object has no metadata".into()))?
        .entry("annotations")
        .or_insert_with(|| json!({}));
    if let Some(a) = annotations.as_object_mut() {
        a.remove(LAST_APPLIED);
    }
    if !annotate {
        return Ok(config);
    }
    let text = go_json(&config)? + "\n";
    let mut modified = config;
    modified["metadata"]["annotations"][LAST_APPLIED] = json!(text);
    Ok(modified)
}

/// The config with its last-applied annotation set, as `apply` writes it.
pub fn annotated_config(obj: &Value) -> CliResult<Value> {
    modified_config(obj, true)
}

/// Compact JSON as Go's encoder writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped (they only occur inside strings).
fn go_json(v: &Value) -> CliResult<String> {
    let plain = serde_json::to_string(v).map_err(|e| CliError::Msg(e.to_string()))?;
    Ok(plain
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029"))
}

fn report(e: &kyb_api::client::ClientError, verb: &str, m: &Manifest) {
    super::report_source_error(e, verb, &m.source);
}

pub async fn apply_one(
    ctx: &Ctx,
    args: &ApplyArgs,
    r: &ApiResource,
    m: &Manifest,
) -> Result<(Value, &'static str), ()> {
    let mut obj = m.object.clone();
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or(ctx.namespace())
        .to_string();
    if r.namespaced {
        obj["metadata"]["namespace"] = json!(ns);
    }
    let name = super::meta_str(&obj, "name");
    let path = format!("{}/{}", r.path(Some(&ns)), encode(&name));
    let dry = if args.dry_run == "server" {
        "&dryRun=All"
    } else {
        ""
    };
    let manager = encode(&args.field_manager);
    if args.server_side {
        let body = serde_json::to_vec(&obj).map_err(|_| ())?;
        let q = format!(
            "?fieldManager={manager}&force={}{dry}",
            args.force_conflicts
        );
        return match ctx
            .client
            .send(
                Method::PATCH,
                &format!("{path}{q}"),
                "application/json",
                Some(("application/apply-patch+yaml", body)),
            )
            .await
        {
            Ok(resp) => Ok((resp.json().map_err(|_| ())?, "serverside-applied")),
            Err(e) => {
                report(&e, "patching", m);
                Err(())
            }
        };
    }
    let modified = modified_config(&obj, args.annotate).map_err(|e| eprintln!("{e}"))?;
    let current = match ctx
        .client
        .send(Method::GET, &path, "application/json", None)
        .await
    {
        Ok(resp) => resp.json().map_err(|_| ())?,
        Err(e) if e.is_not_found() => {
            if args.dry_run == "client" {
                return Ok((modified, "created"));
            }
            // Without the annotation, kubectl creates the object exactly as read.
            let created = if args.annotate { &modified } else { &obj };
            let body = serde_json::to_vec(created).map_err(|_| ())?;
            let create = format!(
                "{}?fieldManager=kubectl-client-side-apply&fieldValidation=Strict{dry}",
                r.path(Some(&ns))
            );
            return match ctx
                .client
                .send(
                    Method::POST,
                    &create,
                    "application/json",
                    Some(("application/json", body)),
                )
                .await
            {
                Ok(resp) => Ok((resp.json().map_err(|_| ())?, "created")),
                Err(e) => {
                    report(&e, "creating", m);
                    Err(())
                }
            };
        }
        Err(e) => {
            report(&e, "retrieving current configuration of", m);
            return Err(());
        }
    };
    let original: Option<Value> = current
        .pointer(&format!(
            "/metadata/annotations/{}",
            LAST_APPLIED.replace('~', "~0").replace('/', "~1")
        ))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok());
    let (patch, content_type) = match diff::three_way(
        original.as_ref(),
        &modified,
        &current,
        &r.group,
        &r.kind,
    ) {
        Ok(p) => (p, "application/strategic-merge-patch+json"),
        Err(e) => {
            eprintln!("error: error when creating patch with:\noriginal:\n{}\nmodified:\n{}\ncurrent:\n{}\nfor: \"{}\": {e}", original.unwrap_or_default(), modified, current, m.source);
            return Err(());
        }
    };
    if patch.as_object().is_some_and(|p| p.is_empty()) {
        return Ok((current, "unchanged"));
    }
    if args.dry_run == "client" {
        return Ok((modified, "configured"));
    }
    let body = serde_json::to_vec(&patch).map_err(|_| ())?;
    let q = format!("?fieldManager=kubectl-client-side-apply&fieldValidation=Strict{dry}");
    match ctx
        .client
        .send(
            Method::PATCH,
            &format!("{path}{q}"),
            "application/json",
            Some((content_type, body)),
        )
        .await
    {
        Ok(resp) => Ok((resp.json().map_err(|_| ())?, "configured")),
        Err(e) => {
            report(&e, "patching", m);
            Err(())
        }
    }
}

pub async fn run(ctx: &Ctx, mut args: ApplyArgs) -> CliResult {
    if let Some(sub) = args.last_applied.take() {
        return super::apply_last::run(ctx, sub).await;
    }
    if args.filenames.is_empty() {
        return Err(CliError::Msg("must specify one of -f and -k".into()));
    }
    if args.prune && args.selector.is_none() && !args.all {
        return Err(CliError::Msg("all resources selected for prune without explicitly passing --all. To prune all resources, pass the --all flag. If you did not mean to prune all resources, specify a label selector".into()));
    }
    let suffix = dry_run_suffix(&args.dry_run)?;
    let mut applied: Vec<(String, String, String)> = Vec::new();
    let output = args
        .output
        .as_deref()
        .map(|o| Output::parse(Some(o)))
        .transpose()?;
    let discovery = ctx.discovery(false).await?;
    let mut failed = false;
    for m in manifests::read(&args.filenames, args.recursive)? {
        let r = match manifests::resource_of(&discovery, &m) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                failed = true;
                continue;
            }
        };
        match apply_one(ctx, &args, r, &m).await {
            Ok((obj, verb)) => {
                let ns = super::meta_str(&obj, "namespace");
                let name = super::meta_str(&obj, "name");
                applied.push((r.kind_group(), ns, name));
                match &output {
                    Some(o) => print!("{}", o.render_list(vec![obj], true)?),
                    None => {
                        let name = obj
                            .pointer("/metadata/name")
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        println!("{} {verb}{suffix}", display_name(r, name));
                    }
                }
            }
            Err(()) => failed = true,
        }
    }
    if args.prune && !failed {
        super::apply_last::prune(
            ctx,
            &discovery,
            args.selector.as_deref(),
            &applied,
            suffix,
            args.dry_run != "none",
        )
        .await?;
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
    fn last_applied_escapes_like_go() {
        let obj = json!({"metadata": {"name": "a"}, "data": {"h": "<b>&</b>"}});
        let m = modified_config(&obj, true).expect("annotated");
        assert_eq!(m["metadata"]["annotations"][LAST_APPLIED], "{\"data\":{\"h\":\"\\u003cb\\u003e\\u0026\\u003c/b\\u003e\"},\"metadata\":{\"annotations\":{},\"name\":\"a\"}}\n");
    }

    #[test]
    fn last_applied_is_the_config_itself() {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}, "data": {"k": "v"}});
        let m = modified_config(&obj, true).expect("annotated");
        assert_eq!(
            m["metadata"]["annotations"][LAST_APPLIED],
            "{\"apiVersion\":\"v1\",\"data\":{\"k\":\"v\"},\"kind\":\"ConfigMap\",\"metadata\":{\"annotations\":{},\"name\":\"a\",\"namespace\":\"default\"}}\n"
        );
    }
}
