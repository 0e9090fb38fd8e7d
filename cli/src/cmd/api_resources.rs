//! `kyb api-resources` and `kyb api-versions`, from discovery.

use clap::Args;
use kyb_api::client::ApiResource;

use super::{CliError, CliResult, Ctx};
use crate::print::table::layout;

#[derive(Debug, Args)]
pub struct ApiResourcesArgs {
    /// Output format. One of: (wide, name).
    #[arg(short = 'o', long)]
    output: Option<String>,
    /// If false, non-namespaced resources will be returned, otherwise returning namespaced resources by default.
    #[arg(long)]
    namespaced: Option<bool>,
    /// Limit to resources in the specified API group.
    #[arg(long)]
    api_group: Option<String>,
    /// Limit to resources that support the specified verbs.
    #[arg(long, value_delimiter = ',')]
    verbs: Vec<String>,
    /// When using the default or custom-column output format, don't print headers.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    no_headers: bool,
    /// Limit to resources that belong to the specified categories.
    #[arg(long, value_delimiter = ',')]
    categories: Vec<String>,
}

fn keep(a: &ApiResourcesArgs, r: &ApiResource) -> bool {
    r.preferred
        && a.namespaced.is_none_or(|n| n == r.namespaced)
        && a.api_group.as_deref().is_none_or(|g| g == r.group)
        && a.verbs.iter().all(|v| r.verbs.contains(v))
        && a.categories.iter().all(|c| r.categories.contains(c))
}

pub async fn run(ctx: &Ctx, args: ApiResourcesArgs) -> CliResult {
    let wide = match args.output.as_deref() {
        None => false,
        Some("wide") => true,
        Some("name") => false,
        Some(other) => return Err(CliError::Msg(format!("--output {other} is not available"))),
    };
    let discovery = ctx.discovery(false).await?;
    let mut resources: Vec<&ApiResource> = discovery
        .resources
        .iter()
        .filter(|r| keep(&args, r))
        .collect();
    resources.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
    if args.output.as_deref() == Some("name") {
        for r in resources {
            if r.group.is_empty() {
                println!("{}", r.name);
            } else {
                println!("{}.{}", r.name, r.group);
            }
        }
        return Ok(());
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    if !args.no_headers {
        let mut header = vec!["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"];
        if wide {
            header.extend(["VERBS", "CATEGORIES"]);
        }
        rows.push(header.into_iter().map(String::from).collect());
    }
    for r in resources {
        let mut row = vec![
            r.name.clone(),
            r.short_names.join(","),
            r.api_version(),
            r.namespaced.to_string(),
            r.kind.clone(),
        ];
        if wide {
            row.push(r.verbs.join(","));
            row.push(r.categories.join(","));
        }
        rows.push(row);
    }
    print!("{}", layout(&rows));
    Ok(())
}

pub async fn versions(ctx: &Ctx) -> CliResult {
    let discovery = ctx.discovery(false).await?;
    let mut all: Vec<String> = discovery
        .groups
        .iter()
        .flat_map(|(g, vs)| {
            vs.iter().map(move |v| {
                if g.is_empty() {
                    v.clone()
                } else {
                    format!("{g}/{v}")
                }
            })
        })
        .collect();
    all.sort();
    all.dedup();
    for v in all {
        println!("{v}");
    }
    Ok(())
}
