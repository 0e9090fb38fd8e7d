//! `-o json` output identical to kubectl's `json.MarshalIndent(obj, "", "    ")`: sorted keys, Go's
//! HTML-safe string escaping, Go's float formatting, four-space indent and a trailing newline.

use kyb_api::wire::{self, F, I, T};
use serde_json::{Number, Value};

/// One object (or List) as kubectl -o json prints it, ending with a newline.
pub fn to_json(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, 0, Shape::Sorted);
    out.push('\n');
    out
}

/// As [`to_json`], but a typed Kubernetes object keeps its Go struct field order (kind and apiVersion first,
/// then the fields in declaration order), as kubectl prints the objects its own generators build.
pub fn to_json_typed(v: &Value) -> String {
    let api_version = v
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    let Some(msg) = wire::kind_message(api_version, kind) else {
        return to_json(v);
    };
    let mut out = String::new();
    write_value(&mut out, v, 0, Shape::Top(msg));
    out.push('\n');
    out
}

/// A kubeconfig as kubectl prints `config view -o json`: in the field order of client-go's `Config` structs.
pub fn to_json_kubeconfig(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, 0, Shape::Fixed(CONFIG));
    out.push('\n');
    out
}

const fn plain(name: &'static str) -> (&'static str, Shape) {
    (name, Shape::Sorted)
}

const CONFIG: &[(&str, Shape)] = &[
    plain("kind"),
    plain("apiVersion"),
    (
        "preferences",
        Shape::Fixed(&[plain("colors"), plain("extensions")]),
    ),
    (
        "clusters",
        Shape::Fixed(&[plain("name"), ("cluster", Shape::Fixed(CLUSTER))]),
    ),
    (
        "users",
        Shape::Fixed(&[plain("name"), ("user", Shape::Fixed(AUTH_INFO))]),
    ),
    (
        "contexts",
        Shape::Fixed(&[plain("name"), ("context", Shape::Fixed(CONTEXT))]),
    ),
    plain("current-context"),
    plain("extensions"),
];
const CLUSTER: &[(&str, Shape)] = &[
    plain("server"),
    plain("tls-server-name"),
    plain("insecure-skip-tls-verify"),
    plain("certificate-authority"),
    plain("certificate-authority-data"),
    plain("proxy-url"),
    plain("disable-compression"),
    plain("extensions"),
];
const AUTH_INFO: &[(&str, Shape)] = &[
    plain("client-certificate"),
    plain("client-certificate-data"),
    plain("client-key"),
    plain("client-key-data"),
    plain("token"),
    plain("tokenFile"),
    plain("as"),
    plain("as-uid"),
    plain("as-groups"),
    plain("as-user-extra"),
    plain("username"),
    plain("password"),
    plain("auth-provider"),
    plain("exec"),
    plain("extensions"),
];
const CONTEXT: &[(&str, Shape)] = &[
    plain("cluster"),
    plain("user"),
    plain("namespace"),
    plain("extensions"),
];

/// How an object's keys are ordered: sorted (Go maps), or in a message's declaration order.
#[derive(Clone, Copy)]
enum Shape {
    /// A struct whose field order is given here (types the wire schema table does not hold).
    Fixed(&'static [(&'static str, Shape)]),
    Sorted,
    /// A top-level kind: `kind` and `apiVersion` (Go's inlined TypeMeta) come first.
    Top(&'static str),
    Message(&'static str),
    /// A map whose values are messages.
    MapOf(&'static str),
}

/// Messages whose JSON is a string, a number or free-form JSON rather than their fields.
fn opaque(msg: &str) -> bool {
    matches!(
        msg,
        "meta.Time"
            | "meta.MicroTime"
            | "meta.Duration"
            | "res.Quantity"
            | "intstr.IntOrString"
            | "rt.RawExtension"
            | "meta.FieldsV1"
    )
}

/// Messages whose Go field order differs from their protobuf field numbers (fields added later, declared
/// earlier): the Go order of the fields concerned.
fn go_order(msg: &str) -> &'static [&'static str] {
    match msg {
        "net.HTTPIngressPath" => &["path", "pathType", "backend"],
        "core.ServiceSpec" => &["ports", "selector", "clusterIP", "clusterIPs", "type"],
        "core.PodSpec" => &["volumes", "initContainers", "containers"],
        _ => &[],
    }
}

/// A message's JSON fields in declaration order, inlined embeddings flattened, with the shape of each value.
fn declared(msg: &'static str, out: &mut Vec<(&'static str, Shape)>) {
    let mut fields: Vec<&F> = wire::message(msg).iter().collect();
    let first = go_order(msg);
    // Fields named by the override come first, in its order; the rest keep their numbered order after them.
    fields.sort_by_key(|f| {
        first
            .iter()
            .position(|n| *n == f.1)
            .map_or((1, f.0), |i| (0, i as u32))
    });
    for F(_, name, ty, flags) in fields {
        match ty {
            T::M(inner) if flags & I != 0 => declared(inner, out),
            T::M(m) if !opaque(m) => out.push((name, Shape::Message(m))),
            T::MM(m) if !opaque(m) => out.push((name, Shape::MapOf(m))),
            _ => out.push((name, Shape::Sorted)),
        }
    }
}

/// The keys of `m` in the order `shape` gives, each with the shape of its value; keys no declaration names follow, sorted.
fn ordered_keys(m: &serde_json::Map<String, Value>, shape: Shape) -> Vec<(&String, Shape)> {
    let mut fields = Vec::new();
    match shape {
        Shape::Top(msg) => {
            fields.push(("kind", Shape::Sorted));
            fields.push(("apiVersion", Shape::Sorted));
            declared(msg, &mut fields);
        }
        Shape::Message(msg) => declared(msg, &mut fields),
        Shape::Fixed(order) => fields.extend_from_slice(order),
        Shape::MapOf(_) | Shape::Sorted => {}
    }
    let mut keys: Vec<(&String, Shape)> = Vec::new();
    for (name, child) in &fields {
        if let Some((k, _)) = m.get_key_value(*name) {
            if !keys.iter().any(|(seen, _)| *seen == k) {
                keys.push((k, *child));
            }
        }
    }
    let value_shape = match shape {
        Shape::MapOf(msg) => Shape::Message(msg),
        _ => Shape::Sorted,
    };
    let mut rest: Vec<&String> = m
        .keys()
        .filter(|k| !keys.iter().any(|(seen, _)| seen == k))
        .collect();
    rest.sort();
    keys.extend(rest.into_iter().map(|k| (k, value_shape)));
    keys
}

fn newline_indent(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("    ");
    }
}

fn write_value(out: &mut String, v: &Value, depth: usize, shape: Shape) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => write_string(out, s),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(out, depth + 1);
                write_value(out, item, depth + 1, shape);
            }
            newline_indent(out, depth);
            out.push(']');
        }
        Value::Object(m) => {
            // Go encodes map[string]interface{} with keys sorted bytewise, structs in declaration order.
            out.push('{');
            for (i, (k, child)) in ordered_keys(m, shape).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(out, depth + 1);
                write_string(out, k);
                out.push_str(": ");
                if let Some(val) = m.get(k) {
                    write_value(out, val, depth + 1, child);
                }
            }
            newline_indent(out, depth);
            out.push('}');
        }
    }
}

/// Go's `encoding/json` string encoding with HTML escaping on (kubectl never turns it off).
fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' | '\0'..='\u{1F}' => {
                let u = u32::from(c);
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(char::from(HEX[((u >> shift) & 0xF) as usize]));
                }
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// Go's float64 JSON form: integral values without a fraction, `e` notation below 1e-6 and from 1e21.
fn number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    // kubectl decodes numbers outside int64 as float64 too, so 2^64-1 prints as 18446744073709552000.
    let f = n.as_f64().unwrap_or(0.0);
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust's `{:e}` is the shortest round-trip form ("1e21", "1.5e-7"); Go writes "1e+21", "1.5e-7".
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else {
        // Rust's Display is the shortest round-trip digits without exponent ("2", "-0", "0.000001",
        // "18446744073709552000"), as Go's 'f' format with precision -1.
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_and_empty() {
        let v = json!({"b": [1, {"x": []}], "a": {}, "c": "<b>&\u{1}\u{8}"});
        let want = "{\n    \"a\": {},\n    \"b\": [\n        1,\n        {\n            \"x\": []\n        }\n    ],\n    \"c\": \"\\u003cb\\u003e\\u0026\\u0001\\b\"\n}\n";
        assert_eq!(to_json(&v), want);
    }

    #[test]
    fn floats() {
        let f = |x: f64| number(&Number::from_f64(x).unwrap());
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(2.0), "2");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(1e20), "100000000000000000000");
        assert_eq!(f(1.5e-7), "1.5e-7");
        assert_eq!(f(0.000001), "0.000001");
        assert_eq!(f(-0.0), "-0");
        assert_eq!(to_json(&json!("x")), "\"x\"\n");
    }
}
