//! Pure functions from objects to text, one file per kubectl output format, and the `-o` flag that picks one.

pub mod custom_columns;
pub mod describe;
pub mod json;
pub mod jsonpath;
pub mod table;
pub mod tabwriter;
pub mod yaml;

use serde_json::{json, Value};

use crate::cmd::{CliError, CliResult};

/// The output format `-o` chose.
pub enum Output {
    Table,
    Wide,
    Yaml,
    Json,
    Name,
    JsonPath {
        template: jsonpath::JsonPath,
        as_json: bool,
    },
    CustomColumns(Vec<custom_columns::Column>),
}

impl PartialEq for Output {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

const ALLOWED: &str = "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml";

fn jsonpath_error(template: &str, e: impl std::fmt::Display) -> CliError {
    CliError::Msg(format!("error parsing jsonpath {template}, {e}"))
}

impl Output {
    pub fn parse(flag: Option<&str>) -> CliResult<Output> {
        let Some(flag) = flag.filter(|f| !f.is_empty()) else {
            return Ok(Output::Table);
        };
        let (format, arg) = match flag.split_once('=') {
            Some((f, a)) => (f, Some(a)),
            None => (flag, None),
        };
        Ok(match (format, arg) {
            ("wide", None) => Output::Wide,
            ("yaml", None) => Output::Yaml,
            ("json", None) => Output::Json,
            ("name", None) => Output::Name,
            ("jsonpath" | "jsonpath-as-json", Some(t)) => Output::JsonPath {
                // `-o jsonpath=` takes the template as written; only custom-columns and --sort-by relax it.
                template: jsonpath::JsonPath::parse(t).map_err(|e| jsonpath_error(t, e))?,
                as_json: format == "jsonpath-as-json",
            },
            ("jsonpath" | "jsonpath-as-json" | "custom-columns" | "custom-columns-file", None) => {
                return Err(CliError::Msg("template format specified but no template given".into()))
            }
            ("custom-columns", Some(spec)) => {
                Output::CustomColumns(custom_columns::parse_spec(spec).map_err(|e| CliError::Msg(e.to_string()))?)
            }
            ("custom-columns-file", Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|e| CliError::Msg(format!("error reading template {path}, {e}")))?;
                Output::CustomColumns(custom_columns::parse_file(&text).map_err(|e| CliError::Msg(e.to_string()))?)
            }
            _ => {
                return Err(CliError::Msg(format!(
                    "unable to match a printer suitable for the output format \"{flag}\", allowed formats are: {ALLOWED}"
                )))
            }
        })
    }

    /// One object as a member of a printed List, for the formats that can print a List piece by piece.
    pub fn list_item(&self, item: &Value) -> Option<String> {
        match self {
            // Inside `"items": [`, two levels deep.
            Output::Json => Some(
                json::to_json(item)
                    .lines()
                    .map(|l| format!("        {l}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            // A sequence entry: `- ` before the first line, two spaces before the rest.
            Output::Yaml => {
                let text = yaml::try_to_yaml(item).ok()?;
                let mut out = String::new();
                for (i, line) in text.lines().enumerate() {
                    out.push_str(if i == 0 {
                        "- "
                    } else if line.is_empty() {
                        ""
                    } else {
                        "  "
                    });
                    out.push_str(line);
                    out.push('\n');
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// The List around items rendered by [`Output::list_item`], as `render_list` would print it; `None` when
    /// there are none, or the format does not print Lists piece by piece.
    pub fn assemble_list(&self, items: &[String]) -> Option<String> {
        if items.is_empty() {
            return None;
        }
        match self {
            Output::Json => Some(format!(
                "{{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n{}\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {{\n        \"resourceVersion\": \"\"\n    }}\n}}\n",
                items.join(",\n")
            )),
            Output::Yaml => Some(format!("apiVersion: v1\nitems:\n{}kind: List\nmetadata:\n  resourceVersion: \"\"\n", items.concat())),
            _ => None,
        }
    }

    /// Whether this format prints the server's Table.
    pub fn is_table(&self) -> bool {
        matches!(self, Output::Table | Output::Wide)
    }

    /// Renders objects: one object alone when `single`, else kubectl's `List` around them.
    pub fn render_list(&self, items: Vec<Value>, single: bool) -> CliResult<String> {
        let subject = if single && items.len() == 1 {
            items.into_iter().next().unwrap_or(Value::Null)
        } else {
            json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
        };
        // The objects themselves, for the formats that print one line or row per object.
        let items: &[Value] = match subject.get("items").and_then(Value::as_array) {
            Some(list) if subject.get("kind").and_then(Value::as_str) == Some("List") => list,
            _ => std::slice::from_ref(&subject),
        };
        Ok(match self {
            Output::Yaml => yaml::try_to_yaml(&subject).map_err(CliError::Msg)?,
            Output::Json => json::to_json(&subject),
            Output::Name => items.iter().map(|i| format!("{}\n", name_of(i))).collect(),
            Output::JsonPath { template, as_json } => {
                let out = if *as_json {
                    template.execute_as_json(&subject)
                } else {
                    template.execute(&subject, true)
                };
                out.map_err(|e| CliError::Msg(format!("error executing jsonpath {:?}: Error executing template: {e}. Printing more information for debugging the template:", template.template())))?
            }
            Output::CustomColumns(columns) => {
                let mut rows = vec![custom_columns::headers(columns)];
                rows.extend(
                    custom_columns::rows(columns, items)
                        .map_err(|e| CliError::Msg(e.to_string()))?,
                );
                table::layout(&rows)
            }
            Output::Table | Output::Wide => String::new(),
        })
    }
}

/// `deployment.apps/web`: the form of `-o name`.
pub fn name_of(obj: &Value) -> String {
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase();
    let group = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .and_then(|v| v.rsplit_once('/'))
        .map(|(g, _)| g);
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match group {
        Some(g) => format!("{kind}.{g}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// The sort key `--sort-by` takes from an object.
fn sort_key(template: &jsonpath::JsonPath, obj: &Value) -> Option<Value> {
    template.find(obj).ok()?.into_iter().flatten().next()
}

fn compare(a: &Option<Value>, b: &Option<Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn parse_sort(spec: &str) -> CliResult<jsonpath::JsonPath> {
    jsonpath::JsonPath::parse_kubectl(spec).map_err(|e| jsonpath_error(spec, e))
}

/// `--sort-by` over objects (stable, as kubectl's).
pub fn sort_objects(items: &mut [Value], spec: &str) -> CliResult {
    let template = parse_sort(spec)?;
    items.sort_by_cached_key(|o| SortKey(sort_key(&template, o)));
    Ok(())
}

/// `--sort-by` over table rows, by the objects the server put in the Table's rows.
pub fn sort_table_rows(
    rows: &mut [Vec<String>],
    table: &Value,
    spec: &str,
    header: bool,
) -> CliResult {
    let template = parse_sort(spec)?;
    let objects: Vec<Value> = table
        .get("rows")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| r.get("object").cloned().unwrap_or(Value::Null))
        .collect();
    let body = if header && !rows.is_empty() {
        &mut rows[1..]
    } else {
        rows
    };
    if body.len() != objects.len() {
        return Ok(());
    }
    let mut keyed: Vec<(SortKey, Vec<String>)> = objects
        .iter()
        .map(|o| SortKey(sort_key(&template, o)))
        .zip(body.iter().cloned())
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    for (slot, (_, row)) in body.iter_mut().zip(keyed) {
        *slot = row;
    }
    Ok(())
}

#[derive(PartialEq, Eq)]
struct SortKey(Option<Value>);

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        compare(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_group() {
        assert_eq!(
            name_of(
                &json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}})
            ),
            "deployment.apps/web"
        );
        assert_eq!(
            name_of(&json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}})),
            "pod/p"
        );
    }

    #[test]
    fn lists_printed_piece_by_piece_equal_lists_printed_whole() {
        let items = vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"text": "line one\nline two\n", "n": "1"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}, "data": {}}),
        ];
        for output in [Output::Json, Output::Yaml] {
            let pieces: Vec<String> = items.iter().filter_map(|i| output.list_item(i)).collect();
            let whole = output.render_list(items.clone(), false).ok();
            assert_eq!(output.assemble_list(&pieces), whole);
        }
    }

    #[test]
    fn unknown_formats_are_refused() {
        assert!(
            matches!(Output::parse(Some("toml")), Err(CliError::Msg(m)) if m.starts_with("unable to match a printer"))
        );
        assert!(Output::parse(Some("wide")).is_ok_and(|o| o == Output::Wide));
    }
}
