//! `kyb get`: one or many resources, as the server's Tables or in every `-o` format, optionally watched.

use clap::Args;
use kyb_api::client::{ApiResource, Discovery, Method, ACCEPT_JSON, ACCEPT_TABLE};
use serde_json::{json, Value};

use super::{unknown_type, CliError, CliResult, Ctx};
use crate::print::{self, Output};

#[derive(Debug, Args)]
pub struct GetArgs {
    /// TYPE[.VERSION][.GROUP][,TYPE...] [NAME...] or TYPE/NAME...
    args: Vec<String>,
    /// Output format: json|yaml|name|wide|jsonpath=...|jsonpath-as-json=...|custom-columns=...|custom-columns-file=...
    #[arg(short = 'o', long)]
    output: Option<String>,
    /// Selector (label query) to filter on, supports '=', '==', '!=', 'in', 'notin'.
    #[arg(short = 'l', long)]
    selector: Option<String>,
    /// Selector (field query) to filter on.
    #[arg(long)]
    field_selector: Option<String>,
    /// List the requested object(s) across all namespaces.
    #[arg(short = 'A', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    all_namespaces: bool,
    /// After listing/getting the requested object, watch for changes.
    #[arg(short = 'w', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    watch: bool,
    /// Watch for changes to the requested object(s), without listing/getting first.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    watch_only: bool,
    /// When printing, show all labels as the last column.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    show_labels: bool,
    /// Accepts a comma separated list of labels that are going to be presented as columns.
    #[arg(short = 'L', long = "label-columns", value_delimiter = ',')]
    label_columns: Vec<String>,
    /// Sort list types using this field specification (a JSONPath expression).
    #[arg(long)]
    sort_by: Option<String>,
    /// When using the default or custom-column output format, don't print headers.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    no_headers: bool,
    /// Return large lists in chunks rather than all at once. Pass 0 to disable.
    #[arg(long, default_value_t = 500)]
    chunk_size: i64,
    /// If present, list the resource type for the requested object(s).
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    show_kind: bool,
    /// If the requested object does not exist the command will return exit code 0.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    ignore_not_found: bool,
}

/// One resource type and the names asked for (none: the whole list).
struct Target {
    resource: ApiResource,
    names: Vec<String>,
}

fn targets(d: &Discovery, args: &[String]) -> CliResult<Vec<Target>> {
    let Some(first) = args.first() else {
        return Err(CliError::Msg("Required resource not specified.\nUse \"kyb explain <resource>\" for a detailed description of that resource (e.g. kyb explain pods).\nSee 'kyb get -h' for help and examples".into()));
    };
    let mut out: Vec<Target> = Vec::new();
    if first.contains('/') {
        for a in args {
            let Some((typed, name)) = a.split_once('/') else {
                return Err(CliError::Msg("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kyb get resource/<resource_name>' instead of 'kyb get resource resource/<resource_name>'".to_string()));
            };
            let r = d.resolve(typed).ok_or_else(|| unknown_type(typed))?;
            add(&mut out, r, [name.to_string()]);
        }
        return Ok(out);
    }
    for typed in first.split(',').filter(|t| !t.is_empty()) {
        let resources: Vec<&ApiResource> = match d.resolve(typed) {
            Some(r) => vec![r],
            None if !d.category(typed).is_empty() => d.category(typed),
            None => return Err(unknown_type(typed)),
        };
        for r in resources {
            add(&mut out, r, args[1..].iter().cloned());
        }
    }
    Ok(out)
}

/// Adds names to the target for `r`, creating it in first-seen order.
fn add(out: &mut Vec<Target>, r: &ApiResource, names: impl IntoIterator<Item = String>) {
    match out.iter_mut().find(|t| t.resource == *r) {
        Some(t) => t.names.extend(names),
        None => out.push(Target {
            resource: r.clone(),
            names: names.into_iter().collect(),
        }),
    }
}

fn query(labels: Option<&str>, fields: Option<&str>, extra: &[(&str, String)]) -> String {
    let mut q: Vec<String> = Vec::new();
    if let Some(l) = labels {
        q.push(format!("labelSelector={}", encode(l)));
    }
    if let Some(f) = fields {
        q.push(format!("fieldSelector={}", encode(f)));
    }
    for (k, v) in extra {
        q.push(format!("{k}={}", encode(v)));
    }
    if q.is_empty() {
        String::new()
    } else {
        format!("?{}", q.join("&"))
    }
}

pub use kyb_api::client::encode;

/// What one target returned: a Table (rows merged across pages and names) or objects.
struct Fetched {
    target: Target,
    table: Option<Value>,
    items: Vec<Value>,
    /// Items already printed as List members (`-o json|yaml` of lists), so that no page stays parsed.
    rendered: Vec<String>,
    list_rv: String,
}

async fn fetch(
    ctx: &Ctx,
    args: &GetArgs,
    target: Target,
    as_table: bool,
    prerender: Option<&Output>,
    errors: &mut bool,
) -> CliResult<Fetched> {
    let ns = (!args.all_namespaces).then(|| ctx.namespace().to_string());
    let base = target.resource.path(ns.as_deref());
    let accept = if as_table { ACCEPT_TABLE } else { ACCEPT_JSON };
    let mut pages: Vec<Value> = Vec::new();
    let mut list_rv = String::new();
    if target.names.is_empty() {
        let mut cont: Option<String> = None;
        loop {
            let mut extra: Vec<(&str, String)> = Vec::new();
            if args.chunk_size > 0 {
                extra.push(("limit", args.chunk_size.to_string()));
            }
            if let Some(c) = &cont {
                extra.push(("continue", c.clone()));
            }
            if as_table {
                // Rows carry metadata only when a column needs it (namespace, labels); --sort-by needs whole objects.
                let needs_meta =
                    args.all_namespaces || args.show_labels || !args.label_columns.is_empty();
                match (args.sort_by.is_some(), needs_meta) {
                    (true, _) => extra.push(("includeObject", "Object".into())),
                    (false, false) => extra.push(("includeObject", "None".into())),
                    (false, true) => {}
                }
            }
            let q = query(
                args.selector.as_deref(),
                args.field_selector.as_deref(),
                &extra,
            );
            let page = ctx
                .client
                .send(Method::GET, &format!("{base}{q}"), accept, None)
                .await?
                .json()?;
            list_rv = page
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            cont = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            pages.push(page);
            if cont.is_none() {
                break;
            }
        }
    } else {
        for name in &target.names {
            let path = format!("{base}/{}", encode(name));
            match ctx.client.send(Method::GET, &path, accept, None).await {
                Ok(r) => pages.push(r.json()?),
                Err(e) if e.is_not_found() && args.ignore_not_found => {}
                Err(e) => {
                    eprintln!("{e}");
                    *errors = true;
                }
            }
        }
    }
    let mut fetched = Fetched {
        target,
        table: None,
        items: Vec::new(),
        rendered: Vec::new(),
        list_rv,
    };
    for mut page in pages {
        if as_table && page.get("kind").and_then(Value::as_str) == Some("Table") {
            match &mut fetched.table {
                None => fetched.table = Some(page),
                Some(t) => {
                    let rows = page
                        .get("rows")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    if let Some(all) = t.get_mut("rows").and_then(Value::as_array_mut) {
                        all.extend(rows);
                    }
                }
            }
        } else if let Some(Value::Array(items)) = page.get_mut("items").map(Value::take) {
            let api_version = fetched.target.resource.api_version();
            for mut item in items {
                // List items may omit their type; kubectl fills it in.
                item["apiVersion"] = json!(api_version);
                item["kind"] = json!(fetched.target.resource.kind);
                match prerender.and_then(|o| o.list_item(&item)) {
                    Some(text) => fetched.rendered.push(text),
                    None => fetched.items.push(item),
                }
            }
        } else {
            fetched.items.push(page);
        }
    }
    Ok(fetched)
}

fn row_count(f: &Fetched) -> usize {
    match &f.table {
        Some(t) => t.get("rows").and_then(Value::as_array).map_or(0, Vec::len),
        None => f.items.len() + f.rendered.len(),
    }
}

pub async fn run(ctx: &Ctx, args: GetArgs) -> CliResult {
    let output = Output::parse(args.output.as_deref())?;
    let mut discovery = ctx.discovery(false).await?;
    let targets = match targets(&discovery, &args.args) {
        Ok(t) => t,
        // A type missing from a stale cache may have been added since: ask the server again once.
        Err(CliError::Msg(m)) if m.starts_with("the server doesn't have") => {
            discovery = ctx.discovery(true).await?;
            targets(&discovery, &args.args)?
        }
        Err(e) => return Err(e),
    };
    let single_object = targets.len() == 1 && targets[0].names.len() == 1;
    let show_kind = args.show_kind || targets.len() > 1;
    let as_table = output.is_table();
    let mut errors = false;
    let mut fetched = Vec::new();
    // Lists printed as JSON or YAML are rendered page by page; sorting needs every object first.
    let prerender = (!single_object && args.sort_by.is_none() && !args.watch && !args.watch_only)
        .then_some(&output);
    for t in targets {
        fetched.push(fetch(ctx, &args, t, as_table, prerender, &mut errors).await?);
    }
    let total: usize = fetched.iter().map(row_count).sum();
    if !args.watch_only {
        if total == 0 && !errors && !single_object {
            if as_table || output == Output::Name || matches!(output, Output::CustomColumns(_)) {
                let namespaced = fetched.iter().all(|f| f.target.resource.namespaced);
                if args.all_namespaces || !namespaced {
                    eprintln!("No resources found");
                } else {
                    eprintln!("No resources found in {} namespace.", ctx.namespace());
                }
            } else {
                print!("{}", output.render_list(Vec::new(), false)?);
            }
        } else if as_table {
            let mut first = true;
            for f in fetched.iter().filter(|f| row_count(f) > 0) {
                let Some(table) = &f.table else { continue };
                if !first {
                    println!();
                }
                first = false;
                let opts = table_options(&args, &output, f, show_kind);
                let mut rows = print::table::table_rows(table, &opts);
                if let Some(sort) = &args.sort_by {
                    print::sort_table_rows(&mut rows, table, sort, !args.no_headers)?;
                }
                print!("{}", print::table::layout(&rows));
            }
        } else {
            let rendered: Vec<String> = fetched
                .iter_mut()
                .flat_map(|f| std::mem::take(&mut f.rendered))
                .collect();
            if let Some(text) = output.assemble_list(&rendered) {
                print!("{text}");
            } else {
                let mut items: Vec<Value> = fetched
                    .iter_mut()
                    .flat_map(|f| std::mem::take(&mut f.items))
                    .collect();
                if let Some(sort) = &args.sort_by {
                    print::sort_objects(&mut items, sort)?;
                }
                let single = single_object && items.len() == 1;
                print!("{}", output.render_list(items, single)?);
            }
        }
    }
    if args.watch || args.watch_only {
        let [f] = fetched.as_slice() else {
            return Err(CliError::Msg(
                "you may only specify a single resource type".into(),
            ));
        };
        watch(ctx, &args, &output, f).await?;
    }
    if errors {
        return Err(CliError::Reported);
    }
    Ok(())
}

fn table_options(
    args: &GetArgs,
    output: &Output,
    f: &Fetched,
    show_kind: bool,
) -> print::table::TableOptions {
    print::table::TableOptions {
        wide: *output == Output::Wide,
        no_headers: args.no_headers,
        show_kind: show_kind.then(|| f.target.resource.kind_group()),
        with_namespace: args.all_namespaces && f.target.resource.namespaced,
        show_labels: args.show_labels,
        label_columns: args.label_columns.clone(),
    }
}

/// Follows changes after the listed revision, printing each as kubectl does.
async fn watch(ctx: &Ctx, args: &GetArgs, output: &Output, f: &Fetched) -> CliResult {
    let ns = (!args.all_namespaces).then(|| ctx.namespace().to_string());
    let mut extra: Vec<(&str, String)> = vec![("watch", "true".into())];
    if !f.list_rv.is_empty() && !args.watch_only {
        extra.push(("resourceVersion", f.list_rv.clone()));
    }
    // A watch of one named object is a watch of the list narrowed to its name, as kubectl does it.
    let fields = match (f.target.names.as_slice(), &args.field_selector) {
        ([name], Some(fs)) => Some(format!("metadata.name={name},{fs}")),
        ([name], None) => Some(format!("metadata.name={name}")),
        (_, fs) => fs.clone(),
    };
    let q = query(args.selector.as_deref(), fields.as_deref(), &extra);
    let path = format!("{}{q}", f.target.resource.path(ns.as_deref()));
    let as_table = output.is_table();
    let mut stream = ctx
        .client
        .watch(&path, if as_table { ACCEPT_TABLE } else { ACCEPT_JSON })
        .await?;
    // One tabwriter for the listing and every event, as kubectl's: columns never shrink as events arrive.
    let mut writer = print::tabwriter::TABLES.session();
    if let Some(t) = &f.table {
        let listed = print::table::table_rows(t, &table_options(args, output, f, args.show_kind));
        writer.write(&print::table::tab_text(&listed));
    }
    let mut columns = f
        .table
        .as_ref()
        .and_then(|t| t.get("columnDefinitions").cloned());
    let mut printed_header = f.table.as_ref().is_some_and(|t| {
        t.get("rows")
            .and_then(Value::as_array)
            .is_some_and(|r| !r.is_empty())
    }) && !args.watch_only;
    while let Some(event) = stream.next().await {
        let event = event?;
        let kind = event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let object = event.get("object").cloned().unwrap_or(Value::Null);
        if kind == "ERROR" {
            let status: kyb_api::status::Status =
                serde_json::from_value(object).map_err(|e| CliError::Msg(e.to_string()))?;
            return Err(kyb_api::client::ClientError::Status(Box::new(status)).into());
        }
        if kind == "BOOKMARK" {
            continue;
        }
        if as_table {
            let mut table = object;
            match table.get("columnDefinitions").and_then(Value::as_array) {
                Some(c) if !c.is_empty() => columns = Some(Value::Array(c.clone())),
                _ => {
                    if let Some(c) = &columns {
                        table["columnDefinitions"] = c.clone();
                    }
                }
            }
            let mut opts = table_options(args, output, f, args.show_kind);
            opts.no_headers = args.no_headers || printed_header;
            let rows = print::table::table_rows(&table, &opts);
            print!("{}", writer.write(&print::table::tab_text(&rows)));
            printed_header = true;
        } else {
            print!("{}", output.render_list(vec![object], true)?);
        }
    }
    Ok(())
}
