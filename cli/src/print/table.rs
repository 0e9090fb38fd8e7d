//! kubectl's table output: the tabwriter layout as cli-runtime configures it, and cli-runtime's
//! `printTable`/`decorateTable` for server-side Tables.

use serde_json::Value;

use super::tabwriter::TABLES;

/// Lay out rows (the first usually the header) as kubectl does.
///
/// Each row is written as its cells joined by tabs plus a newline, then formatted like cli-runtime's tabwriter:
/// columns as wide as their widest cell plus 3 and at least 6; the last cell of a line is never padded, so an
/// empty last cell leaves the previous column's padding as trailing spaces, exactly as kubectl prints it.
pub fn layout(rows: &[Vec<String>]) -> String {
    TABLES.write(&tab_text(rows))
}

/// Rows as tabwriter input: cells joined by tabs, one line each.
pub fn tab_text(rows: &[Vec<String>]) -> String {
    let mut text = String::new();
    for row in rows {
        text.push_str(&row.join("\t"));
        text.push('\n');
    }
    text
}

/// How a server-side Table is decorated, mirroring kubectl's `PrintOptions`.
#[derive(Debug, Clone, Default)]
pub struct TableOptions {
    /// `-o wide`: also show columns with priority > 0.
    pub wide: bool,
    /// `--no-headers`.
    pub no_headers: bool,
    /// `--show-kind` (or several kinds): prefix the name column with this lower-cased `kind.group/`.
    pub show_kind: Option<String>,
    /// `-A`: a NAMESPACE column first, from each row's `object.metadata.namespace`.
    pub with_namespace: bool,
    /// `--show-labels`: a LABELS column last.
    pub show_labels: bool,
    /// `-L key`: one column per key, headed by the upper-cased last path segment of the key.
    pub label_columns: Vec<String>,
}

/// Rows from a meta.k8s.io/v1 Table JSON, header first unless `no_headers`, ready for [`layout`].
///
/// Mirrors kubectl: no rows at all (not even a header) for an empty table; priority > 0 columns only when
/// wide; nil cells empty; strings cut at the first `\n`, `\r` or `\f` with "..." appended; ESC shown as `^[`;
/// other values as Go's `fmt.Sprint`; cells beyond the column definitions dropped.
pub fn table_rows(table: &Value, opts: &TableOptions) -> Vec<Vec<String>> {
    let empty = Vec::new();
    let defs = table
        .get("columnDefinitions")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let rows = table
        .get("rows")
        .and_then(Value::as_array)
        .unwrap_or(&empty);

    // (header name, priority, type, format) after decoration.
    let mut columns: Vec<(String, i64)> = Vec::new();
    if opts.with_namespace {
        columns.push(("Namespace".into(), 0));
    }
    for d in defs {
        let name = d
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        columns.push((name, d.get("priority").and_then(Value::as_i64).unwrap_or(0)));
    }
    for key in &opts.label_columns {
        columns.push((key.rsplit('/').next().unwrap_or_default().to_string(), 0));
    }
    if opts.show_labels {
        columns.push(("Labels".into(), 0));
    }
    let name_column = opts
        .show_kind
        .as_ref()
        .filter(|k| !k.is_empty())
        .and_then(|_| {
            defs.iter().position(|d| {
                d.get("format").and_then(Value::as_str) == Some("name")
                    && d.get("type").and_then(Value::as_str) == Some("string")
            })
        });
    let visible = |p: i64| opts.wide || p == 0;

    let mut out = Vec::new();
    if rows.is_empty() {
        return out;
    }
    if !opts.no_headers {
        out.push(
            columns
                .iter()
                .filter(|c| visible(c.1))
                .map(|c| c.0.to_uppercase())
                .collect(),
        );
    }
    let width = columns.len();
    for row in rows {
        let mut cells: Vec<Value> = row
            .get("cells")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if let (Some(i), Some(kind)) = (name_column, &opts.show_kind) {
            if let Some(c) = cells.get_mut(i) {
                let name = match &*c {
                    Value::String(s) => s.clone(),
                    Value::Null => "%!s(<nil>)".into(),
                    other => sprint(other),
                };
                *c = Value::String(format!("{}/{}", kind.to_lowercase(), name));
            }
        }
        let include_labels = !opts.label_columns.is_empty() || opts.show_labels;
        if include_labels || opts.with_namespace {
            match row.get("object").filter(|o| o.is_object()) {
                Some(obj) => {
                    let meta = obj.get("metadata");
                    if opts.with_namespace {
                        let ns = meta
                            .and_then(|m| m.get("namespace"))
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        cells.insert(0, Value::String(ns.into()));
                    }
                    if include_labels {
                        let labels = meta
                            .and_then(|m| m.get("labels"))
                            .and_then(Value::as_object);
                        let get = |k: &str| {
                            labels
                                .and_then(|l| l.get(k))
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                        };
                        for key in &opts.label_columns {
                            cells.push(Value::String(get(key).into()));
                        }
                        if opts.show_labels {
                            cells.push(Value::String(format_labels(labels)));
                        }
                    }
                }
                None => {
                    // No object metadata: kubectl adds a nil namespace cell and pads (about half of) the rest
                    // with nils, its loop bound shrinking as it appends.
                    if opts.with_namespace {
                        cells.insert(0, Value::Null);
                    }
                    let mut j = 0;
                    while j < width.saturating_sub(cells.len()) {
                        cells.push(Value::Null);
                        j += 1;
                    }
                }
            }
        }
        let line: Vec<String> = cells
            .iter()
            .zip(columns.iter())
            .filter(|(_, col)| visible(col.1))
            .map(|(cell, _)| format_cell(cell))
            .collect();
        out.push(line);
    }
    out
}

/// kubectl's `labels.FormatLabels`: sorted `k=v` pairs joined by commas, `<none>` when there are none.
fn format_labels(labels: Option<&serde_json::Map<String, Value>>) -> String {
    let mut pairs: Vec<String> = labels
        .map(|l| {
            l.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    if pairs.is_empty() {
        return "<none>".into();
    }
    pairs.sort();
    pairs.join(",")
}

/// One cell as `printTable` writes it (before tabwriter).
fn format_cell(cell: &Value) -> String {
    match cell {
        Value::Null => String::new(),
        Value::String(s) => match s.find(['\u{0C}', '\n', '\r']) {
            Some(i) => format!("{}...", escape_terminal(&s[..i])),
            None => escape_terminal(s),
        },
        other => escape_terminal(&sprint(other)),
    }
}

/// cli-runtime's `WriteEscaped`: ESC and CR cannot reach the terminal raw.
fn escape_terminal(s: &str) -> String {
    s.replace('\u{1B}', "^[").replace('\r', "\\r")
}

/// Go's `fmt.Sprint` of a JSON-decoded value (int64, float64, bool, string, map, slice, nil).
fn sprint(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else {
                // Numbers outside int64 or with a fraction or exponent decode to float64 in kubectl.
                super::yaml::go_float_g(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::Array(a) => format!("[{}]", a.iter().map(sprint).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", m.get(k).map(sprint).unwrap_or_default()))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(r: &[&[&str]]) -> Vec<Vec<String>> {
        r.iter()
            .map(|row| row.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn layout_like_tabwriter() {
        let r = rows(&[
            &["NAME", "READY", "AGE"],
            &["api-server-long-name", "0/1", "3s"],
            &["web", "0/2", "3s"],
        ]);
        assert_eq!(
            layout(&r),
            "NAME                   READY   AGE\napi-server-long-name   0/1     3s\nweb                    0/2     3s\n"
        );
        // Minimum width 6, empty last cell keeps the padding, rune widths.
        let r = rows(&[&["cm4", "8", "24s"], &["é", "", ""], &["short"]]);
        assert_eq!(layout(&r), "cm4   8     24s\né           \nshort\n");
        assert_eq!(layout(&[]), "");
    }

    #[test]
    fn server_table() {
        let t = json!({
            "columnDefinitions": [
                {"name": "Name", "type": "string", "format": "name", "priority": 0},
                {"name": "Data", "type": "integer", "format": "", "priority": 0},
                {"name": "Extra", "type": "string", "format": "", "priority": 1}],
            "rows": [
                {"cells": ["cm1", 65, "a\nb"], "object": {"metadata": {"namespace": "default", "labels": {"b": "2", "a": "1"}}}},
                {"cells": ["c2", 1.5, null], "object": {"metadata": {"namespace": "other"}}}]});
        let opts = TableOptions {
            wide: true,
            show_kind: Some("ConfigMap".into()),
            with_namespace: true,
            show_labels: true,
            label_columns: vec!["example.com/a".into()],
            ..TableOptions::default()
        };
        assert_eq!(
            table_rows(&t, &opts),
            rows(&[
                &["NAMESPACE", "NAME", "DATA", "EXTRA", "A", "LABELS"],
                &["default", "configmap/cm1", "65", "a...", "", "a=1,b=2"],
                &["other", "configmap/c2", "1.5", "", "", "<none>"],
            ])
        );
        let plain = table_rows(
            &t,
            &TableOptions {
                no_headers: true,
                ..TableOptions::default()
            },
        );
        assert_eq!(plain, rows(&[&["cm1", "65"], &["c2", "1.5"]]));
        assert!(table_rows(&json!({"columnDefinitions": [], "rows": []}), &opts).is_empty());
    }
}
