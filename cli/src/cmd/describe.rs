//! `kyb describe`: one object or many, with the related objects and events each describer needs, as kubectl.

use clap::Args;
use kyb_api::client::{ApiResource, Method};
use serde_json::Value;

use super::get::encode;
use super::{unknown_type, CliError, CliResult, Ctx};
use crate::print::describe::{self, Extra, Related};

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// TYPE [NAME_PREFIX...] or TYPE/NAME...
    args: Vec<String>,
    #[arg(short = 'l', long)]
    selector: Option<String>,
    #[arg(short = 'A', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    all_namespaces: bool,
    /// If true, display events related to the described object.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", action = clap::ArgAction::Set)]
    show_events: bool,
}

/// Items of a list, each with its kind set (list items come without it).
fn items(list: &Value) -> Vec<Value> {
    let kind = list
        .get("kind")
        .and_then(Value::as_str)
        .and_then(|k| k.strip_suffix("List"))
        .unwrap_or_default()
        .to_string();
    list.get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|i| {
            let mut i = i.clone();
            if i.get("kind").is_none() {
                i["kind"] = Value::String(kind.clone());
            }
            i
        })
        .collect()
}

fn path_of(group: &str, version: &str, plural: &str, ns: Option<&str>) -> String {
    let root = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    match ns {
        Some(ns) => format!("{root}/namespaces/{ns}/{plural}"),
        None => format!("{root}/{plural}"),
    }
}

async fn list(ctx: &Ctx, path: &str) -> Vec<Value> {
    // A related list the server cannot give only narrows the description, as with kubectl.
    match ctx.client.get_json(path).await {
        Ok(l) => items(&l),
        Err(_) => Vec::new(),
    }
}

async fn related(ctx: &Ctx, r: &ApiResource, obj: &Value) -> Vec<Value> {
    let ns = super::meta_str(obj, "namespace");
    let name = super::meta_str(obj, "name");
    let mut out = Vec::new();
    for want in describe::wants(&r.group, &r.name) {
        let (g, v, p) = want.resource();
        let path = match want {
            Related::PodsOnNode => format!(
                "{}?fieldSelector={}",
                path_of(g, v, p, None),
                encode(&format!(
                    "spec.nodeName={name},status.phase!=Succeeded,status.phase!=Failed"
                ))
            ),
            Related::NodeLease => format!(
                "{}/{}",
                path_of(g, v, p, Some("kube-node-lease")),
                encode(&name)
            ),
            Related::EndpointSlicesForService => format!(
                "{}?labelSelector={}",
                path_of(g, v, p, Some(&ns)),
                encode(&format!("kubernetes.io/service-name={name}"))
            ),
            _ => path_of(g, v, p, Some(&ns)),
        };
        if want == Related::NodeLease {
            if let Ok(mut lease) = ctx.client.get_json(&path).await {
                if lease.get("kind").is_none() {
                    lease["kind"] = Value::String("Lease".into());
                }
                out.push(lease);
            }
            continue;
        }
        out.extend(list(ctx, &path).await);
    }
    out
}

/// The events about an object, as kubectl selects them: by involved object name, namespace and uid, and kind except for pods.
async fn events(ctx: &Ctx, r: &ApiResource, obj: &Value) -> Vec<Value> {
    let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str);
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let uid = obj
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut fields = format!("involvedObject.name={name}");
    if let Some(ns) = ns {
        fields.push_str(&format!(",involvedObject.namespace={ns}"));
    }
    let path = format!(
        "{}?fieldSelector={}",
        path_of(
            "",
            "v1",
            "events",
            ns.or(Some("default")).filter(|_| ns.is_some())
        ),
        encode(&fields)
    );
    let is_node = r.group.is_empty() && r.name == "nodes";
    list(ctx, &path)
        .await
        .into_iter()
        .filter(|e| {
            let io = |f: &str| {
                e.pointer(&format!("/involvedObject/{f}"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let uid_ok = io("uid") == uid || (is_node && io("uid") == name);
            let kind_ok = (r.group.is_empty() && r.name == "pods") || io("kind") == r.kind;
            uid_ok && kind_ok
        })
        .collect()
}

/// The objects named: exact names, else (as kubectl) every object whose name starts with what was typed.
/// Each with whether it was found by prefix, which kubectl prints differently (each followed by a blank line).
async fn objects(ctx: &Ctx, args: &DescribeArgs) -> CliResult<Vec<(ApiResource, Value, bool)>> {
    let discovery = ctx.discovery(false).await?;
    let Some(first) = args.args.first() else {
        return Err(CliError::Msg(super::targets::NO_RESOURCES.into()));
    };
    let ns = (!args.all_namespaces).then(|| ctx.namespace().to_string());
    let mut out = Vec::new();
    let mut wanted: Vec<(ApiResource, Option<String>)> = Vec::new();
    if first.contains('/') {
        for a in &args.args {
            let (typed, name) = a.split_once('/').ok_or_else(|| unknown_type(a))?;
            wanted.push((
                discovery
                    .resolve(typed)
                    .ok_or_else(|| unknown_type(typed))?
                    .clone(),
                Some(name.to_string()),
            ));
        }
    } else {
        let r = discovery
            .resolve(first)
            .ok_or_else(|| unknown_type(first))?;
        if args.args.len() == 1 {
            wanted.push((r.clone(), None));
        }
        for name in &args.args[1..] {
            wanted.push((r.clone(), Some(name.clone())));
        }
    }
    for (r, name) in wanted {
        let base = r.path(ns.as_deref());
        match name {
            Some(name) => match ctx
                .client
                .send(
                    Method::GET,
                    &format!("{base}/{}", encode(&name)),
                    "application/json",
                    None,
                )
                .await
            {
                Ok(resp) => {
                    let mut obj = resp.json()?;
                    obj["kind"] = Value::String(r.kind.clone());
                    out.push((r, obj, false));
                }
                Err(e) if e.is_not_found() => {
                    let matching: Vec<Value> = list(ctx, &base)
                        .await
                        .into_iter()
                        .filter(|o| {
                            o.pointer("/metadata/name")
                                .and_then(Value::as_str)
                                .is_some_and(|n| n.starts_with(&name))
                        })
                        .collect();
                    if matching.is_empty() {
                        return Err(e.into());
                    }
                    out.extend(matching.into_iter().map(|o| (r.clone(), o, true)));
                }
                Err(e) => return Err(e.into()),
            },
            None => {
                let q = args
                    .selector
                    .as_ref()
                    .map(|l| format!("?labelSelector={}", encode(l)))
                    .unwrap_or_default();
                let found = ctx.client.get_json(&format!("{base}{q}")).await?;
                out.extend(items(&found).into_iter().map(|o| (r.clone(), o, false)));
            }
        }
    }
    Ok(out)
}

/// One object's describe text, as `kyb describe TYPE NAME` prints it, for the dashboard.
pub async fn page(
    client: kyb_api::client::Client,
    view: kyb_tui::app::View,
    namespace: String,
    name: String,
) -> CliResult<String> {
    let ctx = Ctx { client };
    let r = ApiResource {
        group: view.group,
        version: view.version,
        kind: view.kind,
        name: view.plural,
        singular: String::new(),
        namespaced: view.namespaced,
        short_names: Vec::new(),
        categories: Vec::new(),
        verbs: Vec::new(),
        preferred: true,
    };
    let ns = (!namespace.is_empty()).then_some(namespace.as_str());
    let path = format!("{}/{}", r.path(ns), encode(&name));
    let mut obj = ctx.client.get_json(&path).await?;
    obj["kind"] = Value::String(r.kind.clone());
    let extra = Extra {
        events: events(&ctx, &r, &obj).await,
        related: related(&ctx, &r, &obj).await,
    };
    Ok(describe::describe(
        &r.group,
        &r.name,
        &obj,
        &extra,
        chrono::Utc::now(),
    ))
}

pub async fn run(ctx: &Ctx, args: DescribeArgs) -> CliResult {
    let found = objects(ctx, &args).await?;
    if found.is_empty() {
        if args.all_namespaces {
            eprintln!("No resources found");
        } else {
            eprintln!("No resources found in {} namespace.", ctx.namespace());
        }
        return Ok(());
    }
    let now = chrono::Utc::now();
    for (i, (r, obj, by_prefix)) in found.iter().enumerate() {
        let extra = Extra {
            events: if args.show_events {
                events(ctx, r, obj).await
            } else {
                Vec::new()
            },
            related: related(ctx, r, obj).await,
        };
        let text = describe::describe(&r.group, &r.name, obj, &extra, now);
        if *by_prefix {
            println!("{text}");
            continue;
        }
        if i > 0 {
            print!("\n\n");
        }
        print!("{text}");
    }
    Ok(())
}
