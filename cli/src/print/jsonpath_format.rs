//! Go-compatible rendering of decoded JSON values for the JSONPath printer: `fmt.Sprint`
//! (`map[k:v]`, `<nil>`, `%v` floats) and `encoding/json` output (sorted keys, HTML-safe
//! escapes, Go float formats, `MarshalIndent` with four spaces).

use serde_json::{Map, Value};

/// A scalar as kubectl's jsonpath printer writes it (`fmt.Fprint`, but nil as `null`).
pub(super) fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::String(s) => s.clone(),
        other => go_sprint(other),
    }
}

/// Go's `fmt.Sprint` of a decoded JSON value: `map[a:1 b:[x y]]`, `<nil>`, floats as `%v`.
pub(crate) fn go_sprint(v: &Value) -> String {
    let mut out = String::new();
    write_sprint(&mut out, v);
    out
}

fn write_sprint(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => out.push_str(&i.to_string()),
            None => out.push_str(&go_float_v(n.as_f64().unwrap_or(f64::NAN))),
        },
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_sprint(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("map[");
            for (i, (k, item)) in sorted(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_sprint(out, item);
            }
            out.push(']');
        }
    }
}

/// Splits a finite, non-zero float into its shortest round-trip mantissa and exponent,
/// e.g. 1234567.5 -> ("1.2345675", 6).
fn float_parts(f: f64) -> (String, i32) {
    let s = format!("{f:e}");
    match s.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse().unwrap_or(0)),
        None => (s, 0),
    }
}

/// Go's `%v` for float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): shortest digits, in
/// exponent form when the decimal exponent is < -4 or >= 6 (`1e+06`, `1.2345675e+06`).
pub(super) fn go_float_v(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let (mantissa, exp) = float_parts(f);
    if (-4..6).contains(&exp) {
        format!("{f}")
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// Go's `encoding/json` float format: exponent form below 1e-6 and from 1e21 on.
pub(super) fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let (mantissa, exp) = float_parts(f);
        let sign = if exp < 0 { '-' } else { '+' };
        // Go writes at least two exponent digits, then trims `e-07` to `e-7`.
        if exp < 0 {
            format!("{mantissa}e-{}", exp.abs())
        } else {
            format!("{mantissa}e{sign}{exp:02}")
        }
    } else {
        format!("{f}")
    }
}

fn sorted(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// Writes `v` as Go's `json.Marshal` would (sorted keys, HTML-safe escapes), or like
/// `json.MarshalIndent(v, "", "    ")` when `indent` holds the current nesting level.
pub(super) fn write_json(out: &mut String, v: &Value, indent: Option<usize>) {
    let newline = |out: &mut String, level: usize| {
        out.push('\n');
        for _ in 0..level {
            out.push_str("    ");
        }
    };
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => out.push_str(&i.to_string()),
            None => out.push_str(&go_json_float(n.as_f64().unwrap_or(0.0))),
        },
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(level) = indent {
                    newline(out, level + 1);
                }
                write_json(out, item, indent.map(|l| l + 1));
            }
            if let (Some(level), false) = (indent, items.is_empty()) {
                newline(out, level);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in sorted(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(level) = indent {
                    newline(out, level + 1);
                }
                write_json_string(out, k);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(out, item, indent.map(|l| l + 1));
            }
            if let (Some(level), false) = (indent, map.is_empty()) {
                newline(out, level);
            }
            out.push('}');
        }
    }
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            // Go escapes HTML-significant characters and the JS line separators too.
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
