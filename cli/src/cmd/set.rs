//! `kyb set image|env|resources`: change container images, environment variables and resource
//! requirements in a pod template (or a pod), as kubectl does.

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
    /// Update environment variables on a pod template.
    Env(EnvArgs),
    /// Update resource requests/limits on objects with pod templates.
    Resources(ResourcesArgs),
}

/// The flags every `set` subcommand shares: which objects, and how to report.
#[derive(Debug, Args)]
pub struct Objects {
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

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// (TYPE NAME | TYPE/NAME) KEY_1=VAL_1 ... KEY_N=VAL_N, or KEY- to remove
    pub(super) args: Vec<String>,
    /// Specify a key-value pair for an environment variable to set into each container.
    #[arg(short = 'e', long = "env")]
    pub(super) env: Vec<String>,
    /// The names of containers in the selected pod templates to change - may use wildcards
    #[arg(short = 'c', long, default_value = "*")]
    pub(super) containers: String,
    /// The name of a resource from which to inject environment variables
    #[arg(long)]
    pub(super) from: Option<String>,
    /// Prefix to append to variable names
    #[arg(long, default_value = "")]
    pub(super) prefix: String,
    /// Comma-separated list of keys to import from specified resource
    #[arg(long, value_delimiter = ',')]
    pub(super) keys: Vec<String>,
    /// If true, display the environment and any changes in the standard format.
    #[arg(long)]
    pub(super) list: bool,
    /// If true, allow environment to be overwritten, otherwise reject updates that overwrite existing environment.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", action = clap::ArgAction::Set)]
    pub(super) overwrite: bool,
    #[command(flatten)]
    pub(super) objects: Objects,
}

#[derive(Debug, Args)]
pub struct ResourcesArgs {
    /// TYPE NAME or TYPE/NAME
    pub(super) args: Vec<String>,
    /// The names of containers in the selected pod templates to change, all containers are selected by default - may use wildcards
    #[arg(short = 'c', long, default_value = "*")]
    pub(super) containers: String,
    /// The resource requirement limits for this container.  For example, 'cpu=200m,memory=512Mi'.
    #[arg(long)]
    pub(super) limits: Option<String>,
    /// The resource requirement requests for this container.  For example, 'cpu=100m,memory=256Mi'.
    #[arg(long)]
    pub(super) requests: Option<String>,
    #[command(flatten)]
    pub(super) objects: Objects,
}

#[derive(Debug, Args)]
pub struct ImageArgs {
    /// (TYPE NAME | TYPE/NAME) CONTAINER_NAME_1=CONTAINER_IMAGE_1 ... (`*` names every container)
    args: Vec<String>,
    #[command(flatten)]
    objects: Objects,
}

impl Objects {
    /// The named objects, each as it is on the server.
    pub(super) async fn resolve(
        &self,
        ctx: &Ctx,
        args: &[String],
    ) -> CliResult<Vec<(targets::ObjRef, Value)>> {
        let selection = Selection {
            args,
            filenames: &self.filenames,
            recursive: false,
            selector: self.selector.as_deref(),
            field_selector: None,
            all: self.all,
            all_namespaces: false,
        };
        let mut out = Vec::new();
        for o in targets::resolve(ctx, &selection).await? {
            let obj = ctx.client.get_json(&o.path()).await?;
            out.push((o, obj));
        }
        Ok(out)
    }

    /// Sends a patch, unless this is a client-side dry run.
    pub(super) async fn send(
        &self,
        ctx: &Ctx,
        o: &targets::ObjRef,
        content_type: &str,
        patch: &Value,
    ) -> CliResult {
        if self.dry_run == "client" {
            return Ok(());
        }
        let dry = if self.dry_run == "server" {
            "?dryRun=All"
        } else {
            ""
        };
        let path = format!("{}{dry}", o.path());
        ctx.client
            .send_json(Method::PATCH, &path, content_type, patch)
            .await?;
        Ok(())
    }

    /// `deployment.apps/web env updated`, or the name alone under `-o name`.
    pub(super) fn report(&self, o: &targets::ObjRef, what: &str) {
        if self.output.as_deref() == Some("name") {
            println!("{}", o.display());
        } else {
            println!("{} {what}", o.display());
        }
    }

    pub(super) fn dry_run_suffix(&self) -> CliResult<&'static str> {
        dry_run_suffix(&self.dry_run)
    }
}

/// Where a kind keeps its pod spec.
pub(super) fn pod_spec_path(kind: &str) -> &'static [&'static str] {
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
    let args = match cmd {
        SetCommand::Image(a) => a,
        SetCommand::Env(a) => return super::set_env::env(ctx, a).await,
        SetCommand::Resources(a) => return super::set_env::resources(ctx, a).await,
    };
    let suffix = dry_run_suffix(&args.objects.dry_run)?;
    let (resources, images): (Vec<String>, Vec<String>) =
        args.args.iter().cloned().partition(|a| !a.contains('='));
    if images.is_empty() {
        return Err(CliError::Msg(
            "at least one image update is required".into(),
        ));
    }
    let images: Vec<(&str, &str)> = images.iter().filter_map(|i| i.split_once('=')).collect();
    let mut missing = Vec::new();
    for (o, obj) in args.objects.resolve(ctx, &resources).await? {
        let (patch, absent) = update_images(&obj, &o.resource.kind, &images);
        missing.extend(absent);
        // Nothing to change prints nothing, as kubectl's empty patch does.
        let Some(patch) = patch else { continue };
        let smp = "application/strategic-merge-patch+json";
        args.objects.send(ctx, &o, smp, &patch).await?;
        args.objects.report(&o, &format!("image updated{suffix}"));
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
