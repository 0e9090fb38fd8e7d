//! `kyb edit`: the object in `$KUBE_EDITOR` (or `$EDITOR`, or vi), patched back with a strategic merge patch;
//! a rejected edit reopens with the server's reasons on top, as kubectl does.

use std::path::PathBuf;

use clap::Args;
use kyb_api::client::Method;
use kyb_api::strategic::diff;
use serde_json::Value;

use super::targets::{self, ObjRef, Selection};
use super::{CliError, CliResult, Ctx};
use crate::print::{json::to_json, yaml::to_yaml};

#[derive(Debug, Args)]
pub struct EditArgs {
    /// TYPE NAME or TYPE/NAME
    args: Vec<String>,
    #[arg(short = 'f', long = "filename")]
    filenames: Vec<String>,
    /// Output format for the edited text: yaml or json.
    #[arg(short = 'o', long, default_value = "yaml")]
    output: String,
}

const HEADER: &str = "# Please edit the object below. Lines beginning with a '#' will be ignored,\n# and an empty file will abort the edit. If an error occurs while saving this file will be\n# reopened with the relevant failures.\n#\n";

fn editor() -> String {
    ["KUBE_EDITOR", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_string())
}

/// Runs the editor on the file through the shell, as kubectl does (so `EDITOR="code --wait"` works).
fn run_editor(file: &std::path::Path) -> CliResult {
    let cmd = format!("{} {}", editor(), shell_quote(&file.display().to_string()));
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(&cmd)
        .status()
        .map_err(|e| CliError::Msg(format!("unable to launch the editor \"{}\": {e}", editor())))?;
    if !status.success() {
        return Err(CliError::Msg(format!(
            "there was a problem with the editor \"{}\"",
            editor()
        )));
    }
    Ok(())
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn edit_one(ctx: &Ctx, o: &ObjRef, json_out: bool) -> CliResult {
    let original = ctx.client.get_json(&o.path()).await?;
    let render = |v: &Value| if json_out { to_json(v) } else { to_yaml(v) };
    let file: PathBuf = std::env::temp_dir().join(format!(
        "kyb-edit-{}-{}.{}",
        std::process::id(),
        o.name,
        if json_out { "json" } else { "yaml" }
    ));
    let mut errors = String::new();
    let mut text = render(&original);
    let mut last_attempt: Option<Value> = None;
    loop {
        std::fs::write(&file, format!("{HEADER}{errors}{text}"))
            .map_err(|e| CliError::Msg(format!("writing {}: {e}", file.display())))?;
        run_editor(&file)?;
        let edited_text =
            std::fs::read_to_string(&file).map_err(|e| CliError::Msg(e.to_string()))?;
        let body = strip_comments(&edited_text);
        if body.trim().is_empty() {
            let _ = std::fs::remove_file(&file);
            println!("Edit cancelled, no changes made.");
            return Ok(());
        }
        let edited: Value = match serde_saphyr::from_str(&body) {
            Ok(v) => v,
            Err(e) => {
                errors = format!(
                    "# The edited file had a syntax error: {}\n#\n",
                    e.to_string().replace('\n', "\n# ")
                );
                text = body;
                continue;
            }
        };
        if edited == original && errors.is_empty() {
            let _ = std::fs::remove_file(&file);
            println!("Edit cancelled, no changes made.");
            return Ok(());
        }
        // Saving the rejected text again, unchanged, gives up, as kubectl does.
        if edited == original || last_attempt.as_ref() == Some(&edited) {
            return Err(CliError::Msg(format!("Edit cancelled, no valid changes were saved.\nA copy of your changes has been stored to \"{}\"", file.display())));
        }
        let patch = diff::three_way(
            Some(&original),
            &edited,
            &original,
            &o.resource.group,
            &o.resource.kind,
        )
        .map_err(|e| CliError::Msg(e.to_string()))?;
        let bytes = serde_json::to_vec(&patch).map_err(|e| CliError::Msg(e.to_string()))?;
        let path = format!(
            "{}?fieldManager=kubectl-edit&fieldValidation=Strict",
            o.path()
        );
        match ctx
            .client
            .send(
                Method::PATCH,
                &path,
                "application/json",
                Some(("application/strategic-merge-patch+json", bytes)),
            )
            .await
        {
            Ok(_) => {
                let _ = std::fs::remove_file(&file);
                println!("{} edited", o.display());
                return Ok(());
            }
            Err(e) => {
                let reason = match e.status() {
                    Some(s) => {
                        let mut lines = vec![format!(
                            "# {} \"{}\" was not valid:",
                            if o.resource.group.is_empty() {
                                o.resource.name.clone()
                            } else {
                                format!("{}.{}", o.resource.name, o.resource.group)
                            },
                            o.name
                        )];
                        let causes = s
                            .details
                            .as_ref()
                            .map(|d| d.causes.clone())
                            .unwrap_or_default();
                        if causes.is_empty() {
                            lines.push(format!("# * {}", s.message));
                        }
                        for c in causes {
                            lines.push(format!("# * {}: {}", c.field, c.message));
                        }
                        lines.join("\n") + "\n#\n"
                    }
                    None => format!("# {e}\n#\n"),
                };
                errors = reason;
                text = render(&edited);
                last_attempt = Some(edited);
            }
        }
    }
}

pub async fn run(ctx: &Ctx, args: EditArgs) -> CliResult {
    let json_out = match args.output.as_str() {
        "yaml" => false,
        "json" => true,
        other => {
            return Err(CliError::Msg(format!(
                "the edit mode must be yaml or json, not {other:?}"
            )))
        }
    };
    let selection = Selection {
        args: &args.args,
        filenames: &args.filenames,
        recursive: false,
        selector: None,
        field_selector: None,
        all: false,
        all_namespaces: false,
    };
    for o in targets::resolve(ctx, &selection).await? {
        edit_one(ctx, &o, json_out).await?;
    }
    Ok(())
}
