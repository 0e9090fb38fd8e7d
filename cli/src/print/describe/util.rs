//! Small helpers shared by the describers: JSON access that never panics, kubectl's time and age formats, and
//! the multi-line label / annotation / taint / toleration blocks.

use super::writer::{Writer, L0};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The value at a JSON pointer, or `Null` when absent (describers treat absent and null alike).
pub fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    v.pointer(path).unwrap_or(&Value::Null)
}

/// A string at `path`, or "" (Go's zero value) when absent or not a string.
pub fn s<'a>(v: &'a Value, path: &str) -> &'a str {
    at(v, path).as_str().unwrap_or("")
}

/// An integer at `path`, or 0.
pub fn i(v: &Value, path: &str) -> i64 {
    let x = at(v, path);
    x.as_i64()
        .or_else(|| x.as_f64().map(|f| f as i64))
        .unwrap_or(0)
}

/// An integer at `path` when present (pointer fields in Go).
pub fn opt_i(v: &Value, path: &str) -> Option<i64> {
    let x = at(v, path);
    x.as_i64().or_else(|| x.as_f64().map(|f| f as i64))
}

/// A bool at `path`, or false.
pub fn b(v: &Value, path: &str) -> bool {
    at(v, path).as_bool().unwrap_or(false)
}

/// The array at `path`, or an empty slice.
pub fn arr<'a>(v: &'a Value, path: &str) -> &'a [Value] {
    at(v, path).as_array().map(|a| a.as_slice()).unwrap_or(&[])
}

/// A string-to-string map at `path` with sorted keys; non-string values are rendered as JSON.
pub fn map(v: &Value, path: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = at(v, path)
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), scalar(v))).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// A scalar as Go's `%v` prints it (strings bare, numbers and bools as written, null as "<nil>").
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// An int-or-string field (ports, maxSurge) as text.
pub fn int_or_string(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        other => scalar(other),
    }
}

/// Parses an RFC 3339 timestamp as the API serves it.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A timestamp in Go's RFC1123Z layout; absent or unparsable ones print as Go's zero time does.
pub fn rfc1123z(text: &str) -> String {
    match parse_time(text) {
        Some(t) => t.format("%a, %d %b %Y %H:%M:%S %z").to_string(),
        None => "Mon, 01 Jan 0001 00:00:00 +0000".to_string(),
    }
}

/// kubectl's `translateTimestampSince`: "<unknown>" for a zero time, else the human age at `now`.
pub fn since(text: &str, now: DateTime<Utc>) -> String {
    match parse_time(text) {
        Some(t) => human_duration((now - t).num_milliseconds()),
        None => "<unknown>".to_string(),
    }
}

/// apimachinery's `duration.HumanDuration` for a duration in milliseconds, with its handling of clock skew.
pub fn human_duration(ms: i64) -> String {
    match ms / 1000 {
        s if s < -1 => "<invalid>".to_string(),
        s if s < 0 => "0s".to_string(),
        _ => kyb_api::duration::human_duration(std::time::Duration::from_millis(ms.unsigned_abs())),
    }
}

/// Go's `%v` of a bool.
pub fn tf(v: bool) -> &'static str {
    if v {
        "true"
    } else {
        "false"
    }
}

/// kubectl's `printBool`.
pub fn title_bool(v: bool) -> &'static str {
    if v {
        "True"
    } else {
        "False"
    }
}

/// `stringOrNone`.
pub fn or_none(text: &str) -> String {
    if text.is_empty() {
        "<none>".to_string()
    } else {
        text.to_string()
    }
}

/// `labels.FormatLabels`: sorted `k=v` joined by commas, "<none>" when empty.
pub fn format_labels(v: &Value, path: &str) -> String {
    let m = map(v, path);
    if m.is_empty() {
        return "<none>".to_string();
    }
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `metav1.FormatLabelSelector` (and the `labels.Selector` String of the converted selector, which agrees for
/// valid selectors): matchLabels then expressions, "<none>" when empty.
pub fn format_selector(sel: &Value) -> String {
    if sel.is_null() {
        return "<none>".to_string();
    }
    let mut parts: Vec<String> = map(sel, "/matchLabels")
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in arr(sel, "/matchExpressions") {
        let key = s(e, "/key");
        let values: Vec<String> = arr(e, "/values").iter().map(scalar).collect();
        let part = match s(e, "/operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            op => format!("{key} {op} ({})", values.join(",")),
        };
        parts.push(part);
    }
    let text = parts.join(",");
    if text.is_empty() {
        "<none>".to_string()
    } else {
        text
    }
}

/// The `labels.Selector` String of a converted label selector: requirements sorted by key, an empty selector
/// printing as "" (kubectl prints that for `Selector:` of deployments and jobs).
pub fn selector_string(sel: &Value) -> String {
    let mut reqs: Vec<(String, String)> = map(sel, "/matchLabels")
        .into_iter()
        .map(|(k, v)| (k.clone(), format!("{k}={v}")))
        .collect();
    for e in arr(sel, "/matchExpressions") {
        let key = s(e, "/key").to_string();
        let mut values: Vec<String> = arr(e, "/values").iter().map(scalar).collect();
        values.sort();
        let text = match s(e, "/operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.clone(),
            "DoesNotExist" => format!("!{key}"),
            op => format!("{key} {op} ({})", values.join(",")),
        };
        reqs.push((key, text));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    reqs.into_iter().map(|r| r.1).collect::<Vec<_>>().join(",")
}

/// `printLabelsMultilineWithIndent`: the first entry after the title, the rest aligned under it.
pub fn labels_block(
    w: &mut Writer,
    initial: &str,
    title: &str,
    inner: &str,
    entries: &[(String, String)],
) {
    w.w(L0, &format!("{initial}{title}:{inner}"));
    if entries.is_empty() {
        w.line("<none>");
        return;
    }
    for (n, (k, v)) in entries.iter().enumerate() {
        if n != 0 {
            w.w(L0, initial);
            w.w(L0, inner);
        }
        w.w(L0, &format!("{k}={v}\n"));
    }
}

/// `printLabelsMultiline(w, title, labels)` for the map at `path`.
pub fn labels(w: &mut Writer, title: &str, obj: &Value, path: &str) {
    labels_block(w, "", title, "\t", &map(obj, path));
}

const MAX_ANNOTATION_LEN: usize = 140;

/// `printAnnotationsMultiline`: the last-applied-configuration annotation is hidden; long or multi-line values
/// go on their own lines, each shortened to 138 bytes plus "...".
pub fn annotations(w: &mut Writer, title: &str, obj: &Value, path: &str) {
    w.w(L0, &format!("{title}:\t"));
    let entries: Vec<(String, String)> = map(obj, path)
        .into_iter()
        .filter(|(k, _)| k != "kubectl.kubernetes.io/last-applied-configuration")
        .collect();
    if entries.is_empty() {
        w.line("<none>");
        return;
    }
    for (n, (key, value)) in entries.iter().enumerate() {
        if n != 0 {
            w.w(L0, "\t");
        }
        let value = value.strip_suffix('\n').unwrap_or(value);
        if value.len() + key.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            w.w(L0, &format!("{key}:\n"));
            for part in value.split('\n') {
                w.w(
                    L0,
                    &format!("\t  {}\n", shorten(part, MAX_ANNOTATION_LEN - 2)),
                );
            }
        } else {
            w.w(L0, &format!("{key}: {value}\n"));
        }
    }
}

/// Cuts `text` to `max` bytes (backing off to a character boundary, where Go would split a rune) plus "...".
fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// `printTaintsMultilineWithIndent`: taints sorted by effect then key, as `key=value:effect`.
pub fn taints(w: &mut Writer, initial: &str, title: &str, inner: &str, list: &[Value]) {
    w.w(L0, &format!("{initial}{title}:{inner}"));
    if list.is_empty() {
        w.line("<none>");
        return;
    }
    let mut items: Vec<(String, String)> = list
        .iter()
        .map(|t| {
            let (key, value, effect) = (s(t, "/key"), s(t, "/value"), s(t, "/effect"));
            let mut text = key.to_string();
            if !value.is_empty() {
                text.push('=');
                text.push_str(value);
            }
            text.push(':');
            text.push_str(effect);
            (format!("{effect},{key}"), text)
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    for (n, (_, text)) in items.iter().enumerate() {
        if n != 0 {
            w.w(L0, initial);
            w.w(L0, inner);
        }
        w.w(L0, &format!("{text}\n"));
    }
}

/// `printTolerationsMultilineWithIndent`: tolerations sorted by key.
pub fn tolerations(w: &mut Writer, initial: &str, title: &str, list: &[Value]) {
    w.w(L0, &format!("{initial}{title}:\t"));
    if list.is_empty() {
        w.line("<none>");
        return;
    }
    let mut items: Vec<&Value> = list.iter().collect();
    items.sort_by(|a, b| s(a, "/key").cmp(s(b, "/key")));
    for (n, t) in items.iter().enumerate() {
        if n != 0 {
            w.w(L0, initial);
            w.w(L0, "\t");
        }
        let (key, value, effect) = (s(t, "/key"), s(t, "/value"), s(t, "/effect"));
        let mut text = key.to_string();
        if !value.is_empty() {
            text.push_str(&format!("={value}"));
        }
        if !effect.is_empty() {
            text.push_str(&format!(":{effect}"));
        }
        if s(t, "/operator") == "Exists" && value.is_empty() {
            if !key.is_empty() || !effect.is_empty() {
                text.push_str(" op=Exists");
            } else {
                text.push_str("op=Exists");
            }
        }
        if let Some(secs) = opt_i(t, "/tolerationSeconds") {
            text.push_str(&format!(" for {secs}s"));
        }
        w.w(L0, &format!("{text}\n"));
    }
}

/// `printController`: "Kind/name" of the controlling owner reference, if any.
pub fn controller_of(obj: &Value) -> Option<String> {
    arr(obj, "/metadata/ownerReferences")
        .iter()
        .find(|r| b(r, "/controller"))
        .map(|r| format!("{}/{}", s(r, "/kind"), s(r, "/name")))
}

/// The UID of the controlling owner reference.
pub fn controller_uid(obj: &Value) -> Option<&str> {
    arr(obj, "/metadata/ownerReferences")
        .iter()
        .find(|r| b(r, "/controller"))
        .map(|r| s(r, "/uid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(5_000), "5s");
        assert_eq!(human_duration(182_000), "3m2s");
        assert_eq!(human_duration(600_000), "10m");
        assert_eq!(human_duration(13 * 3_600_000), "13h");
        assert_eq!(human_duration(-5_000), "<invalid>");
    }

    #[test]
    fn times() {
        assert_eq!(
            rfc1123z("2026-11-21T23:00:42Z"),
            "Sat, 21 Nov 2026 23:00:42 +0000"
        );
        assert_eq!(rfc1123z(""), "Mon, 01 Jan 0001 00:00:00 +0000");
    }
}
