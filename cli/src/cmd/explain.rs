//! `kyb explain`: the fields of a resource from the server's OpenAPI v3 documents, in kubectl's plaintext layout.

use clap::Args;
use kyb_api::client::ApiResource;
use serde_json::Value;

use super::{CliError, CliResult, Ctx};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// RESOURCE[.FIELD...] (for example pods, deployments.spec.strategy)
    target: String,
    /// Print the fields of fields (currently only 1 level deep).
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", action = clap::ArgAction::Set)]
    recursive: bool,
    /// Get different explanations for particular API version (API group/version).
    #[arg(long)]
    api_version: Option<String>,
}

/// Follows `$ref` (also wrapped in `allOf`) to the schema it names.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let target = schema
        .get("$ref")
        .or_else(|| schema.pointer("/allOf/0/$ref"))
        .and_then(Value::as_str);
    match target.and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => doc
            .pointer(&format!(
                "/components/schemas/{}",
                name.replace('~', "~0").replace('/', "~1")
            ))
            .unwrap_or(schema),
        None => schema,
    }
}

/// kubectl's type words: `string`, `integer`, `[]Container`, `map[string]string`, `ObjectMeta`, `Object`.
fn type_name(doc: &Value, schema: &Value) -> String {
    if let Some(r) = schema
        .get("$ref")
        .or_else(|| schema.pointer("/allOf/0/$ref"))
        .and_then(Value::as_str)
    {
        // A named object prints its name; a named primitive (Time, Quantity) its type.
        return match resolve(doc, schema).get("type").and_then(Value::as_str) {
            Some("object") | None => r.rsplit('.').next().unwrap_or(r).to_string(),
            Some(t) => t.to_string(),
        };
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => format!(
            "[]{}",
            schema
                .get("items")
                .map(|i| type_name(doc, i))
                .unwrap_or_default()
        ),
        Some("object") => match schema.get("additionalProperties") {
            Some(v) => format!("map[string]{}", type_name(doc, v)),
            None => "Object".to_string(),
        },
        Some(t) => t.to_string(),
        None => "Object".to_string(),
    }
}

/// The object schema a field's values have (through refs and arrays), for listing its fields.
fn fields_of<'a>(doc: &'a Value, schema: &'a Value) -> Option<&'a serde_json::Map<String, Value>> {
    let s = resolve(doc, schema);
    let s = match s.get("type").and_then(Value::as_str) {
        Some("array") => resolve(doc, s.get("items")?),
        _ => s,
    };
    s.get("properties").and_then(Value::as_object)
}

fn recursive_fields(
    doc: &Value,
    props: &serde_json::Map<String, Value>,
    depth: usize,
    out: &mut String,
) {
    for (name, schema) in props {
        out.push_str(&format!(
            "{}{name}\t<{}>\n",
            "  ".repeat(depth),
            type_name(doc, schema)
        ));
        if depth < 32 {
            if let Some(inner) = fields_of(doc, schema) {
                recursive_fields(doc, inner, depth + 1, out);
            }
        }
    }
}

fn header(r: &ApiResource) -> String {
    let mut out = String::new();
    if !r.group.is_empty() {
        out.push_str(&format!("GROUP:      {}\n", r.group));
    }
    out.push_str(&format!(
        "KIND:       {}\nVERSION:    {}\n\n",
        r.kind, r.version
    ));
    out
}

pub async fn run(ctx: &Ctx, args: ExplainArgs) -> CliResult {
    let discovery = ctx.discovery(false).await?;
    // The longest dotted prefix that names a resource (`ingresses.networking.k8s.io`), then the field path.
    let parts: Vec<&str> = args.target.split('.').collect();
    let found = (1..=parts.len()).rev().find_map(|i| {
        discovery
            .resolve(&parts[..i].join("."))
            .map(|r| (r.clone(), i))
    });
    let Some((mut r, used)) = found else {
        eprintln!(
            "the server doesn't have a resource type \"{}\"",
            parts.first().unwrap_or(&"")
        );
        return Err(CliError::Reported);
    };
    let path: Vec<&str> = parts[used..].to_vec();
    if let Some(gv) = &args.api_version {
        let (g, v) = gv.rsplit_once('/').unwrap_or(("", gv));
        if let Some(other) = discovery
            .resources
            .iter()
            .find(|x| x.name == r.name && x.group == g && x.version == v)
        {
            r = other.clone();
        }
    }
    let index = ctx.client.get_json("/openapi/v3").await?;
    let key = if r.group.is_empty() {
        format!("api/{}", r.version)
    } else {
        format!("apis/{}/{}", r.group, r.version)
    };
    let url = index
        .pointer(&format!(
            "/paths/{}/serverRelativeURL",
            key.replace('/', "~1")
        ))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            CliError::Msg(format!(
                "couldn't find resource for \"{}\"",
                if r.group.is_empty() {
                    format!("/{}, Kind={}", r.version, r.kind)
                } else {
                    format!("{}/{}, Kind={}", r.group, r.version, r.kind)
                }
            ))
        })?;
    let doc = ctx.client.get_json(url).await?;
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let top = schemas
        .values()
        .find(|s| {
            s.get("x-kubernetes-group-version-kind")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|g| {
                    g.get("group").and_then(Value::as_str) == Some(r.group.as_str())
                        && g.get("version").and_then(Value::as_str) == Some(r.version.as_str())
                        && g.get("kind").and_then(Value::as_str) == Some(r.kind.as_str())
                })
        })
        .cloned()
        .ok_or_else(|| {
            CliError::Msg(format!("couldn't find resource for \"{}\"", r.kind_group()))
        })?;
    let mut out = header(&r);
    let mut schema = top.clone();
    let mut field: Option<(&str, String)> = None;
    for (i, name) in path.iter().enumerate() {
        let props = fields_of(&doc, &schema).cloned().unwrap_or_default();
        let Some(next) = props.get(*name) else {
            print!("{out}");
            return Err(CliError::Msg(format!("field \"{name}\" does not exist")));
        };
        if i + 1 == path.len() {
            field = Some((name, type_name(&doc, next)));
        }
        schema = next.clone();
    }
    if let Some((name, ty)) = &field {
        out.push_str(&format!("FIELD: {name} <{ty}>\n\n\n"));
    }
    let description = resolve(&doc, &schema)
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("<empty>");
    out.push_str(&format!("DESCRIPTION:\n    {description}\n"));
    match fields_of(&doc, &schema) {
        Some(props) if args.recursive => {
            out.push_str("FIELDS:\n");
            recursive_fields(&doc, props, 1, &mut out);
            out.push('\n');
        }
        Some(props) => {
            out.push_str("FIELDS:\n");
            for (name, s) in props {
                let d = s
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("<no description>");
                out.push_str(&format!("  {name}\t<{}>\n    {d}\n\n", type_name(&doc, s)));
            }
            out.push('\n');
        }
        None => out.push('\n'),
    }
    print!("{out}");
    Ok(())
}
