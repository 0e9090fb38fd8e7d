//! `kyb set image`: change container images in a pod template (or a pod), as kubectl does.

use clap::{Args, Subcommand};
use kyb_api::client::Method;
use serde_json::{json, Value};

use super::create::dry_run_suffix;
use super::targets::{self, Selection};
use super::{CliError, CliResult, Ctx};

#[derive(Debug, Subcommand)]
pub enum SetCommand {
    /// Update the image of a pod template.
    Image(ImageArgs),
}

#[derive(Debug, Args)]
pub struct ImageArgs {
    /// (TYPE NAME | TYPE/NAME) CONTAINER_NAME_1=CONTAINER_IMAGE_1 ... (`*` names every container)
    args: Vec<String>,
    #[arg(short = 'f', long = "filename")]
    filenames: Vec<String>,
    #[arg(short = 'l', long)]
    selector: Option<String>,
    /// Select all resources, in the namespace of the specified resource types.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    all: bool,
    /// Must be "none", "server", or "client".
    #[arg(long, default_value = "none", default_missing_value = "client", num_args = 0..=1, require_equals = true)]
    dry_run: String,
    #[arg(short = 'o', long)]
    output: Option<String>,
}

/// Where a kind keeps its pod spec.
fn pod_spec_path(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &["spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => &["spec", "template", "spec"],
    }
}

/// Sets the images in the object's pod spec; returns the patch for the containers that changed and the
/// container names that were not found.
fn update_images(obj: &Value, kind: &str, images: &[(&str, &str)]) -> (Option<Value>, Vec<String>) {
    let path = pod_spec_path(kind);
    let spec = path.iter().try_fold(obj, |v, k| v.get(*k));
    let mut missing = Vec::new();
    let mut patch_spec = serde_json::Map::new();
    for list in ["initContainers", "containers"] {
        let containers = spec
            .and_then(|s| s.get(list))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let changed: Vec<Value> = containers
            .iter()
            .filter_map(|c| {
                let name = c.get("name").and_then(Value::as_str)?;
                let (_, image) = images.iter().find(|(n, _)| *n == "*" || *n == name)?;
                (c.get("image").and_then(Value::as_str) != Some(*image))
                    .then(|| json!({"name": name, "image": image}))
            })
            .collect();
        if !changed.is_empty() {
            patch_spec.insert(list.into(), json!(changed));
        }
    }
    let has = |name: &str| {
        ["initContainers", "containers"].iter().any(|list| {
            spec.and_then(|s| s.get(*list))
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|c| c["name"] == name))
        })
    };
    for (name, _) in images {
        if *name != "*" && !has(name) {
            missing.push((*name).to_string());
        }
    }
    if patch_spec.is_empty() {
        return (None, missing);
    }
    // Strategic merge: containers merge by name, so only the changed images are sent.
    let patch = path
        .iter()
        .rev()
        .fold(Value::Object(patch_spec), |inner, k| json!({ *k: inner }));
    (Some(patch), missing)
}

pub async fn run(ctx: &Ctx, cmd: SetCommand) -> CliResult {
    let SetCommand::Image(args) = cmd;
    let suffix = dry_run_suffix(&args.dry_run)?;
    let (resources, images): (Vec<String>, Vec<String>) =
        args.args.iter().cloned().partition(|a| !a.contains('='));
    if images.is_empty() {
        return Err(CliError::Msg(
            "at least one image update is required".into(),
        ));
    }
    let images: Vec<(&str, &str)> = images.iter().filter_map(|i| i.split_once('=')).collect();
    let selection = Selection {
        args: &resources,
        filenames: &args.filenames,
        recursive: false,
        selector: args.selector.as_deref(),
        field_selector: None,
        all: args.all,
        all_namespaces: false,
    };
    let mut missing = Vec::new();
    for o in targets::resolve(ctx, &selection).await? {
        let obj = ctx.client.get_json(&o.path()).await?;
        let (patch, absent) = update_images(&obj, &o.resource.kind, &images);
        missing.extend(absent);
        // Nothing to change prints nothing, as kubectl's empty patch does.
        let Some(patch) = patch else { continue };
        if args.dry_run != "client" {
            let dry = if args.dry_run == "server" {
                "?dryRun=All"
            } else {
                ""
            };
            let path = format!("{}{dry}", o.path());
            let smp = "application/strategic-merge-patch+json";
            ctx.client
                .send_json(Method::PATCH, &path, smp, &patch)
                .await?;
        }
        if args.output.as_deref() == Some("name") {
            println!("{}", o.display());
        } else {
            println!("{} image updated{suffix}", o.display());
        }
    }
    if let Some(name) = missing.first() {
        return Err(CliError::Msg(format!(
            "unable to find container named {name:?}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_patch_only_what_changes_in_each_kind() {
        let deploy = json!({"spec": {"template": {"spec": {"initContainers": [{"name": "init", "image": "i:1"}],
            "containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]}}}});
        let (patch, missing) = update_images(
            &deploy,
            "Deployment",
            &[("a", "a:2"), ("b", "b:1"), ("x", "y")],
        );
        assert_eq!(
            patch,
            Some(
                json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:2"}]}}}})
            )
        );
        assert_eq!(missing, ["x"]);
        let (patch, _) = update_images(&deploy, "Deployment", &[("*", "z")]);
        assert_eq!(
            patch,
            Some(
                json!({"spec": {"template": {"spec": {"initContainers": [{"name": "init", "image": "z"}],
                "containers": [{"name": "a", "image": "z"}, {"name": "b", "image": "z"}]}}}})
            )
        );
        let pod = json!({"spec": {"containers": [{"name": "p", "image": "p:1"}]}});
        assert_eq!(update_images(&pod, "Pod", &[("p", "p:1")]).0, None);
        let cj = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "c:1"}]}}}}}});
        assert!(update_images(&cj, "CronJob", &[("c", "c:2")]).0.is_some());
    }
}
