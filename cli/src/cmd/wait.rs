//! `kyb wait --for=delete|create|condition=NAME[=VALUE]|jsonpath=EXPR[=VALUE]`, as kubectl waits: every
//! named object in turn, within one `--timeout` (30 s; 0 checks once; negative waits a week), printing
//! `KIND/NAME condition met` for each.

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::Value;

use super::targets::{self, ObjRef, Selection};
use super::{parse_duration, CliError, CliResult, Ctx};
use crate::print::jsonpath::JsonPath;

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// TYPE NAME, TYPE/NAME, or TYPE with -l or --all
    args: Vec<String>,
    #[arg(short = 'f', long = "filename")]
    filenames: Vec<String>,
    #[arg(short = 'R', long)]
    recursive: bool,
    #[arg(short = 'l', long)]
    selector: Option<String>,
    #[arg(long)]
    field_selector: Option<String>,
    #[arg(long)]
    all: bool,
    #[arg(short = 'A', long)]
    all_namespaces: bool,
    /// The condition to wait on: [create|delete|condition=condition-name[=condition-value]|jsonpath='{JSONPath expression}'=[JSONPath value]].
    #[arg(long = "for")]
    wait_for: Option<String>,
    /// The length of time to wait before giving up. Zero means check once and don't wait, negative means wait for a week.
    #[arg(long, default_value = "30s", allow_hyphen_values = true)]
    timeout: String,
    #[arg(short = 'o', long)]
    output: Option<String>,
}

/// What to wait for.
#[derive(Debug, PartialEq)]
enum For {
    Delete,
    Create,
    /// A status condition by type (case-insensitive), with the status it must have (default "true").
    Condition(String, String),
    /// A JSONPath expression, and the value it must print (or, without one, only that it finds something).
    JsonPath(String, Option<String>),
}

fn parse_for(s: &str) -> Result<For, String> {
    let lower = s.to_ascii_lowercase();
    if lower == "delete" {
        return Ok(For::Delete);
    }
    if lower == "create" {
        return Ok(For::Create);
    }
    if let Some(rest) = s.strip_prefix("condition=") {
        let (name, value) = rest.split_once('=').unwrap_or((rest, "true"));
        return Ok(For::Condition(name.to_string(), value.to_string()));
    }
    if let Some(rest) = s.strip_prefix("jsonpath=") {
        // `{.status.phase}=Running`: the value follows the expression's closing brace.
        let split = rest.rfind('}').map_or(rest.find('='), |close| {
            rest[close..].find('=').map(|i| close + i)
        });
        let (expr, value) = match split {
            Some(i) => (&rest[..i], Some(rest[i + 1..].to_string())),
            None => (rest, None),
        };
        if expr.is_empty() || value.as_deref().is_some_and(|v| v.contains('=')) {
            return Err("jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'".into());
        }
        return Ok(For::JsonPath(expr.to_string(), value));
    }
    Err(format!("unrecognized condition: {s:?}"))
}

/// Whether `obj` meets a condition or JSONPath wait (kubectl's checkCondition and JSONPath waits).
fn met(obj: &Value, what: &For) -> Result<bool, CliError> {
    match what {
        For::Condition(name, value) => {
            let generation = obj.pointer("/metadata/generation").and_then(Value::as_i64);
            Ok(obj
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|c| {
                    c.get("type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.eq_ignore_ascii_case(name))
                })
                // A condition written for an older generation does not count yet.
                .filter(|c| {
                    c.get("observedGeneration")
                        .and_then(Value::as_i64)
                        .is_none_or(|g| Some(g) == generation)
                })
                .any(|c| {
                    c.get("status")
                        .and_then(Value::as_str)
                        .is_some_and(|s| s.eq_ignore_ascii_case(value))
                }))
        }
        For::JsonPath(expr, value) => {
            let path = JsonPath::parse_kubectl(expr).map_err(|e| CliError::Msg(e.to_string()))?;
            let found = path.find(obj).unwrap_or_default();
            let values: Vec<&Value> = found.iter().flatten().collect();
            Ok(match value {
                None => !values.is_empty(),
                Some(want) => {
                    values.len() == 1
                        && match values[0] {
                            Value::String(s) => s == want,
                            other => serde_json::from_str::<Value>(want).is_ok_and(|w| &w == other),
                        }
                }
            })
        }
        For::Delete | For::Create => Ok(false),
    }
}

/// `pods/web`: how kubectl names an object when a wait times out.
fn object_name(o: &ObjRef) -> String {
    format!("{}/{}", o.resource.name, o.name)
}

pub async fn run(ctx: &Ctx, a: WaitArgs) -> CliResult {
    let Some(spec) = a.wait_for.as_deref() else {
        return Err(CliError::Msg("--for must be specified".into()));
    };
    let what = parse_for(spec).map_err(CliError::Msg)?;
    let timeout = match a.timeout.strip_prefix('-') {
        Some(_) => Some(Duration::from_secs(7 * 24 * 3600)),
        None => parse_duration(&a.timeout).map_err(|_| {
            CliError::Msg(format!(
                "invalid argument {:?} for \"--timeout\" flag",
                a.timeout
            ))
        })?,
    };
    let deadline = Instant::now() + timeout.unwrap_or_default();
    let selection = Selection {
        args: &a.args,
        filenames: &a.filenames,
        recursive: a.recursive,
        selector: a.selector.as_deref(),
        field_selector: a.field_selector.as_deref(),
        all: a.all,
        all_namespaces: a.all_namespaces,
    };
    let objects = targets::resolve(ctx, &selection).await?;
    if objects.is_empty() {
        return Err(CliError::Msg("no matching resources found".into()));
    }
    let quiet = a.output.as_deref() == Some("name");
    for o in &objects {
        let mut first = true;
        loop {
            let absent_ok = matches!(what, For::Delete | For::Create);
            let current = match ctx.client.get_json(&o.path()).await {
                Ok(obj) => Some(obj),
                Err(e) if e.is_not_found() && absent_ok => None,
                Err(e) => return Err(e.into()),
            };
            let done = match (&what, &current) {
                (For::Delete, None) | (For::Create, Some(_)) => true,
                (_, Some(obj)) => met(obj, &what)?,
                (_, None) => false,
            };
            // Gone before the wait began: kubectl has nothing to report.
            if done && first && current.is_none() {
                break;
            }
            first = false;
            if done {
                if quiet {
                    println!("{}", o.display());
                } else {
                    println!("{} condition met", o.display());
                }
                break;
            }
            if Instant::now() >= deadline {
                // With no timeout the object was checked once, and kubectl says so.
                let why = if timeout.is_none() {
                    "condition not met for"
                } else {
                    "timed out waiting for the condition on"
                };
                return Err(CliError::Msg(format!("{why} {}", object_name(o))));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_for_flag_reads_as_kubectl_reads_it() {
        assert_eq!(parse_for("delete"), Ok(For::Delete));
        assert_eq!(
            parse_for("condition=Ready"),
            Ok(For::Condition("Ready".into(), "true".into()))
        );
        assert_eq!(
            parse_for("condition=Available=False"),
            Ok(For::Condition("Available".into(), "False".into()))
        );
        assert_eq!(
            parse_for("jsonpath={.status.phase}=Running"),
            Ok(For::JsonPath(
                "{.status.phase}".into(),
                Some("Running".into())
            ))
        );
        assert_eq!(
            parse_for("jsonpath={.metadata.labels.a=b}"),
            Ok(For::JsonPath("{.metadata.labels.a=b}".into(), None))
        );
        assert_eq!(
            parse_for("ready"),
            Err("unrecognized condition: \"ready\"".into())
        );
    }

    #[test]
    fn conditions_match_by_type_status_and_generation() {
        let obj = json!({"metadata": {"generation": 2}, "status": {"phase": "Running", "replicas": 3,
            "conditions": [{"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True", "observedGeneration": 1}]}});
        let check = |f: &str| parse_for(f).ok().and_then(|w| met(&obj, &w).ok());
        assert_eq!(check("condition=available"), Some(true));
        assert_eq!(check("condition=Available=false"), Some(false));
        assert_eq!(check("condition=Progressing"), Some(false));
        assert_eq!(check("jsonpath={.status.phase}=Running"), Some(true));
        assert_eq!(check("jsonpath={.status.replicas}=3"), Some(true));
        assert_eq!(check("jsonpath={.status.replicas}=4"), Some(false));
        assert_eq!(check("jsonpath={.status.phase}"), Some(true));
        assert_eq!(check("jsonpath={.status.missing}"), Some(false));
    }
}
