//! Kubernetes-compatible validation of built-in kinds, producing the same field paths and messages as the real apiserver.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

#[path = "validation_kinds.rs"]
mod kinds;
#[path = "validation_pod.rs"]
mod pod;

/// One field error, shaped like a Kubernetes `StatusCause`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    /// "FieldValueRequired" | "FieldValueInvalid" | "FieldValueNotSupported" | "FieldValueDuplicate" |
    /// "FieldValueForbidden" | "FieldValueTooLong" | "FieldValueNotFound" | "FieldValueTypeInvalid".
    pub reason: &'static str,
    /// Field path, e.g. "spec.template.spec.containers[0].image".
    pub field: String,
    /// The error body without the field prefix, e.g. `Required value`.
    pub message: String,
}

/// Validate an object. `old` is `Some` on update, enabling the immutable-field checks.
///
/// `metadata.namespace` is checked for syntax (and forbidden on cluster-scoped kinds) but not
/// required, because the caller fills it from the request path.
pub fn validate(group: &str, plural: &str, obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut e = Errs::default();
    if !obj.is_object() {
        e.type_err("", obj, "object");
        return e.0;
    }
    let old = old.filter(|o| o.is_object());
    validate_meta(&mut e, group, plural, obj);
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let old_spec = old.and_then(|o| o.get("spec"));
    match (group, plural) {
        ("", "pods") => {
            pod::pod_spec(&mut e, spec, "spec");
            if let Some(old_spec) = old_spec {
                pod::pod_update(&mut e, spec, old_spec);
            }
        }
        ("", "replicationcontrollers") => kinds::replication_controller(&mut e, spec),
        ("", "services") => kinds::service(&mut e, spec, old_spec),
        ("", "endpoints") => kinds::endpoints(&mut e, obj),
        ("", "configmaps") => kinds::config_map(&mut e, obj),
        ("", "secrets") => kinds::secret(&mut e, obj, old),
        ("apps", "deployments" | "replicasets" | "daemonsets" | "statefulsets") => {
            kinds::apps_workload(&mut e, plural, spec, old_spec)
        }
        ("batch", "jobs") => kinds::job(&mut e, spec, "spec", old_spec),
        ("batch", "cronjobs") => kinds::cron_job(&mut e, spec),
        ("storage.k8s.io", "storageclasses") => kinds::storage_class(&mut e, obj, old),
        _ => {}
    }
    e.0
}

/// Format causes as the apiserver's `Invalid` status message, e.g. `Pod "x" is invalid: spec.containers: Required value`.
pub fn message(kind: &str, group: &str, name: &str, causes: &[Cause]) -> String {
    let qualified = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    // Like an aggregate error: duplicates collapse, and only a list of several gets brackets.
    let mut seen = BTreeSet::new();
    let mut parts = Vec::new();
    for c in causes {
        let text = format!("{}: {}", c.field, c.message);
        if seen.insert(text.clone()) {
            parts.push(text);
        }
    }
    let body = match parts.len() {
        0 => return format!("{qualified} {} is invalid", go_quote(name)),
        1 => parts.remove(0),
        _ => format!("[{}]", parts.join(", ")),
    };
    format!("{qualified} {} is invalid: {body}", go_quote(name))
}

// ---------------------------------------------------------------------------------------------
// Error collection and Go-style value rendering.

/// Accumulates causes; the helpers build messages exactly like apimachinery's `field.Error`.
#[derive(Default)]
pub(crate) struct Errs(pub(crate) Vec<Cause>);

impl Errs {
    fn push(&mut self, reason: &'static str, field: &str, message: String) {
        self.0.push(Cause {
            reason,
            field: field.to_string(),
            message,
        });
    }
    fn with_detail(head: &str, detail: &str) -> String {
        if detail.is_empty() {
            head.to_string()
        } else {
            format!("{head}: {detail}")
        }
    }
    pub(crate) fn required(&mut self, field: &str, detail: &str) {
        self.push(
            "FieldValueRequired",
            field,
            Self::with_detail("Required value", detail),
        );
    }
    /// `value` is already rendered Go-style (see [`go_quote`], [`go_value`]).
    pub(crate) fn invalid(&mut self, field: &str, value: &str, detail: &str) {
        self.push(
            "FieldValueInvalid",
            field,
            Self::with_detail(&format!("Invalid value: {value}"), detail),
        );
    }
    pub(crate) fn invalid_all(&mut self, field: &str, value: &str, msgs: Vec<String>) {
        for m in msgs {
            self.invalid(field, value, &m);
        }
    }
    pub(crate) fn not_supported(&mut self, field: &str, value: &str, supported: &[&str]) {
        let list: Vec<String> = supported.iter().map(|s| go_quote(s)).collect();
        let detail = format!("supported values: {}", list.join(", "));
        self.push(
            "FieldValueNotSupported",
            field,
            format!("Unsupported value: {}: {detail}", go_quote(value)),
        );
    }
    pub(crate) fn duplicate(&mut self, field: &str, value: &str) {
        self.push(
            "FieldValueDuplicate",
            field,
            format!("Duplicate value: {value}"),
        );
    }
    pub(crate) fn not_found(&mut self, field: &str, value: &str) {
        self.push("FieldValueNotFound", field, format!("Not found: {value}"));
    }
    pub(crate) fn forbidden(&mut self, field: &str, detail: &str) {
        self.push(
            "FieldValueForbidden",
            field,
            Self::with_detail("Forbidden", detail),
        );
    }
    pub(crate) fn too_long(&mut self, field: &str, max: usize) {
        self.push(
            "FieldValueTooLong",
            field,
            format!("Too long: must have at most {max} bytes"),
        );
    }
    /// A JSON value of the wrong type; the real server rejects these while decoding, we report them per field.
    pub(crate) fn type_err(&mut self, field: &str, v: &Value, want: &str) {
        self.push(
            "FieldValueTypeInvalid",
            field,
            format!("Invalid value: {}: must be of type {want}", go_value(v)),
        );
    }

    /// String field; "" when absent or mistyped (mistyped is reported).
    pub(crate) fn str<'a>(&mut self, obj: &'a Value, key: &str, path: &str) -> &'a str {
        match obj.get(key) {
            None | Some(Value::Null) => "",
            Some(Value::String(s)) => s,
            Some(v) => {
                self.type_err(&join(path, key), v, "string");
                ""
            }
        }
    }
    /// Integer field; `None` when absent or mistyped (mistyped is reported).
    pub(crate) fn int(&mut self, obj: &Value, key: &str, path: &str) -> Option<i64> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64() {
                Some(n) => Some(n),
                None => {
                    self.type_err(&join(path, key), v, "integer");
                    None
                }
            },
        }
    }
    /// Array field; empty when absent or mistyped (mistyped is reported).
    pub(crate) fn arr<'a>(&mut self, obj: &'a Value, key: &str, path: &str) -> &'a [Value] {
        match obj.get(key) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(a)) => a,
            Some(v) => {
                self.type_err(&join(path, key), v, "array");
                &[]
            }
        }
    }
    /// Object field; `None` when absent or mistyped (mistyped is reported).
    pub(crate) fn obj<'a>(
        &mut self,
        obj: &'a Value,
        key: &str,
        path: &str,
    ) -> Option<&'a Map<String, Value>> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(v) => {
                self.type_err(&join(path, key), v, "object");
                None
            }
        }
    }
    /// A map of strings (labels, data, ...); non-string values are reported and skipped.
    pub(crate) fn str_map<'a>(
        &mut self,
        obj: &'a Value,
        key: &str,
        path: &str,
    ) -> Vec<(&'a str, &'a str)> {
        let p = join(path, key);
        let mut out = Vec::new();
        for (k, v) in self.obj(obj, key, path).into_iter().flatten() {
            match v {
                Value::String(s) => out.push((k.as_str(), s.as_str())),
                other => self.type_err(&format!("{p}[{k}]"), other, "string"),
            }
        }
        out
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Go's `%q` for strings.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Renders a JSON value roughly the way Go prints the corresponding field value.
pub(crate) fn go_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => go_quote(s),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// `%#v` of a `map[string]string` (Go prints map keys sorted, as does serde_json's map).
pub(crate) fn go_string_map(v: Option<&Value>) -> String {
    match v.and_then(Value::as_object) {
        None => "map[string]string(nil)".into(),
        Some(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), go_value(v)))
                .collect();
            format!("map[string]string{{{}}}", items.join(", "))
        }
    }
}

fn go_selector(v: &Value) -> String {
    let exprs = match v.get("matchExpressions").and_then(Value::as_array) {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|r| {
                    let values = match r.get("values").and_then(Value::as_array) {
                        None => "[]string(nil)".to_string(),
                        Some(vs) => format!(
                            "[]string{{{}}}",
                            vs.iter().map(go_value).collect::<Vec<_>>().join(", ")
                        ),
                    };
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{values}}}",
                        go_value(r.get("key").unwrap_or(&Value::String(String::new()))),
                        go_value(r.get("operator").unwrap_or(&Value::String(String::new()))),
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{exprs}}}",
        go_string_map(v.get("matchLabels"))
    )
}

// ---------------------------------------------------------------------------------------------
// Name syntax (apimachinery pkg/util/validation), returning the real messages.

const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    let mut out = format!("{msg} (e.g. ");
    for (i, ex) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{ex}', "));
    }
    out.push_str(&format!("regex used for validation is '{fmt}')"));
    out
}

pub(crate) fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

fn is_alnum_lower(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

fn label_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && is_alnum_lower(b[0])
        && is_alnum_lower(b[b.len() - 1])
        && b.iter().all(|&c| is_alnum_lower(c) || c == b'-')
}

/// `IsDNS1123Label`.
pub(crate) fn dns1123_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !label_syntax(s) {
        errs.push(regex_error(
            DNS1123_LABEL_MSG,
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?",
            &["my-name", "123-abc"],
        ));
    }
    errs
}

/// `IsDNS1123Subdomain`.
pub(crate) fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !s.split('.').all(label_syntax) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_MSG,
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
            &["example.com"],
        ));
    }
    errs
}

/// `IsDNS1035Label`.
fn dns1035_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !(label_syntax(s) && s.as_bytes()[0].is_ascii_lowercase()) {
        errs.push(regex_error(
            DNS1035_MSG,
            "[a-z]([-a-z0-9]*[a-z0-9])?",
            &["my-name", "abc-123"],
        ));
    }
    errs
}

fn qualified_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `IsQualifiedName`: label and annotation keys.
pub(crate) fn qualified_name(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = s.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".into());
            } else {
                errs.extend(dns1123_subdomain(prefix).into_iter().map(|m| format!("prefix part {m}")));
            }
            *name
        }
        _ => {
            return vec![format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            )]
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".into());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !qualified_syntax(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_MSG,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

fn label_value(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !s.is_empty() && !qualified_syntax(s) {
        errs.push(regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?",
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// `IsValidPortName`.
pub(crate) fn port_name(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 15 {
        errs.push(max_len_error(15));
    }
    if s.is_empty() || !s.bytes().all(|c| is_alnum_lower(c) || c == b'-') {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !s.bytes().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".into());
    }
    if s.contains("--") {
        errs.push("must not contain consecutive hyphens".into());
    }
    if s.starts_with('-') || s.ends_with('-') {
        errs.push("must not begin or end with a hyphen".into());
    }
    errs
}

/// `IsValidPortNum` (1..=65535).
pub(crate) fn port_num(n: i64) -> Vec<String> {
    if (1..=65535).contains(&n) {
        vec![]
    } else {
        vec!["must be between 1 and 65535, inclusive".into()]
    }
}

/// `IsConfigMapKey`, used for ConfigMap and Secret keys.
pub(crate) fn config_key(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(max_len_error(253));
    }
    if s.is_empty()
        || !s
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'))
    {
        errs.push(regex_error(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            "[-._a-zA-Z0-9]+",
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    if s == "." {
        errs.push("must not be '.'".into());
    } else if s == ".." {
        errs.push("must not be '..'".into());
    } else if s.starts_with("..") {
        errs.push("must not start with '..'".into());
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// Object metadata.

const CLUSTER_SCOPED: &[&str] = &[
    "namespaces",
    "nodes",
    "persistentvolumes",
    "clusterroles",
    "clusterrolebindings",
    "storageclasses",
    "customresourcedefinitions",
    "priorityclasses",
    "ingressclasses",
    "csidrivers",
    "csinodes",
    "volumeattachments",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "apiservices",
    "certificatesigningrequests",
    "runtimeclasses",
    "componentstatuses",
];

fn validate_meta(e: &mut Errs, group: &str, plural: &str, obj: &Value) {
    let Some(meta) = e.obj(obj, "metadata", "") else {
        e.required("metadata.name", "name or generateName is required");
        return;
    };
    let meta = Value::Object(meta.clone());
    let name_fn: fn(&str) -> Vec<String> = match (group, plural) {
        ("", "namespaces") | ("apps", "statefulsets") => dns1123_label,
        ("", "services") => dns1035_label,
        ("rbac.authorization.k8s.io", _) => path_segment,
        _ => dns1123_subdomain,
    };
    let generate = e.str(&meta, "generateName", "metadata");
    if !generate.is_empty() {
        // A prefix may end in '-' since a random suffix follows.
        let masked = match generate.strip_suffix('-') {
            Some(rest) if !rest.is_empty() => format!("{rest}a"),
            _ => generate.to_string(),
        };
        e.invalid_all(
            "metadata.generateName",
            &go_quote(generate),
            name_fn(&masked),
        );
    }
    let name = e.str(&meta, "name", "metadata");
    if name.is_empty() {
        if generate.is_empty() {
            e.required("metadata.name", "name or generateName is required");
        }
    } else {
        e.invalid_all("metadata.name", &go_quote(name), name_fn(name));
        if (group, plural) == ("batch", "cronjobs") && name.len() > 52 {
            e.invalid(
                "metadata.name",
                &go_quote(name),
                "must be no more than 52 characters",
            );
        }
    }
    let ns = e.str(&meta, "namespace", "metadata");
    if !ns.is_empty() {
        if CLUSTER_SCOPED.contains(&plural) {
            e.forbidden("metadata.namespace", "not allowed on this type");
        } else {
            e.invalid_all("metadata.namespace", &go_quote(ns), dns1123_label(ns));
        }
    }
    if let Some(g) = e.int(&meta, "generation", "metadata") {
        if g < 0 {
            e.invalid(
                "metadata.generation",
                &g.to_string(),
                "must be greater than or equal to 0",
            );
        }
    }
    validate_labels(e, &meta, "labels", "metadata");
    validate_annotations(e, &meta, "annotations", "metadata");
}

/// `ValidatePathSegmentName`, used by RBAC objects.
fn path_segment(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s == "." || s == ".." {
        errs.push(format!("may not be '{s}'"));
    }
    for bad in ["/", "%"] {
        if s.contains(bad) {
            errs.push(format!("may not contain '{bad}'"));
        }
    }
    errs
}

/// `ValidateLabels`: errors sit on the map's own path, as in Kubernetes.
pub(crate) fn validate_labels(e: &mut Errs, obj: &Value, key: &str, path: &str) {
    let p = join(path, key);
    for (k, v) in e.str_map(obj, key, path) {
        e.invalid_all(&p, &go_quote(k), qualified_name(k));
        e.invalid_all(&p, &go_quote(v), label_value(v));
    }
}

pub(crate) fn validate_annotations(e: &mut Errs, obj: &Value, key: &str, path: &str) {
    let p = join(path, key);
    let mut total = 0usize;
    for (k, v) in e.str_map(obj, key, path) {
        // Annotation keys are case-insensitive qualified names.
        e.invalid_all(&p, &go_quote(k), qualified_name(&k.to_lowercase()));
        total += k.len() + v.len();
    }
    if total > 256 * 1024 {
        e.too_long(&p, 256 * 1024);
    }
}

// ---------------------------------------------------------------------------------------------
// Label selectors.

fn validate_selector(e: &mut Errs, sel: &Value, path: &str) {
    validate_labels(e, sel, "matchLabels", path);
    for (i, r) in e.arr(sel, "matchExpressions", path).iter().enumerate() {
        let rp = format!("{path}.matchExpressions[{i}]");
        let op = e.str(r, "operator", &rp);
        let n_values = e.arr(r, "values", &rp).len();
        match op {
            "In" | "NotIn" if n_values == 0 => e.required(
                &format!("{rp}.values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            ),
            "Exists" | "DoesNotExist" if n_values > 0 => e.forbidden(
                &format!("{rp}.values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => e.invalid(
                &format!("{rp}.operator"),
                &go_quote(other),
                "not a valid selector operator",
            ),
        }
        let key = e.str(r, "key", &rp);
        e.invalid_all(&format!("{rp}.key"), &go_quote(key), qualified_name(key));
    }
}

fn selector_is_empty(sel: &Value) -> bool {
    let n = |k: &str| {
        sel.get(k).map_or(0, |v| {
            v.as_object().map_or(0, Map::len) + v.as_array().map_or(0, Vec::len)
        })
    };
    n("matchLabels") + n("matchExpressions") == 0
}

/// Whether a `metav1.LabelSelector` selects the given labels (an empty selector selects everything).
pub(crate) fn selector_matches(sel: &Value, labels: Option<&Value>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    let labels_ok = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_none_or(|m| {
            m.iter()
                .all(|(k, v)| get(k).is_some_and(|l| Some(l) == v.as_str()))
        });
    let exprs_ok = sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .is_none_or(|a| {
            a.iter().all(|r| {
                let key = r.get("key").and_then(Value::as_str).unwrap_or("");
                let values: Vec<&str> = r
                    .get("values")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let have = get(key);
                match r.get("operator").and_then(Value::as_str).unwrap_or("") {
                    "In" => have.is_some_and(|h| values.contains(&h)),
                    "NotIn" => have.is_none_or(|h| !values.contains(&h)),
                    "Exists" => have.is_some(),
                    "DoesNotExist" => have.is_none(),
                    _ => false,
                }
            })
        });
    labels_ok && exprs_ok
}

fn nonnegative(e: &mut Errs, obj: &Value, key: &str, path: &str) {
    if let Some(n) = e.int(obj, key, path) {
        if n < 0 {
            e.invalid(
                &join(path, key),
                &n.to_string(),
                "must be greater than or equal to 0",
            );
        }
    }
}

fn immutable(
    e: &mut Errs,
    new: Option<&Value>,
    old: Option<&Value>,
    field: &str,
    render: fn(&Value) -> String,
) {
    let norm = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
    if norm(new) != norm(old) {
        e.invalid(
            field,
            &render(new.unwrap_or(&Value::Null)),
            "field is immutable",
        );
    }
}

/// `ValidatePortNumOrName` for an int-or-string field.
pub(crate) fn port_or_name(e: &mut Errs, v: Option<&Value>, field: &str) {
    match v {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => e.invalid_all(field, &go_quote(s), port_name(s)),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(n) => e.invalid_all(field, &n.to_string(), port_num(n)),
            None => e.type_err(field, &Value::Number(n.clone()), "integer or string"),
        },
        Some(other) => e.type_err(field, other, "integer or string"),
    }
}

#[cfg(test)]
mod test_support {
    use super::{validate, Cause};
    use serde_json::{json, Value};

    pub(crate) fn run(group: &str, plural: &str, mut obj: Value) -> Vec<Cause> {
        super::super::defaults::apply(group, plural, &mut obj);
        validate(group, plural, &obj, None)
    }

    pub(crate) fn texts(causes: &[Cause]) -> Vec<String> {
        causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    pub(crate) fn deployment(sel: Value, labels: Value) -> Value {
        json!({"metadata": {"name": "web"}, "spec": {"selector": sel, "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{deployment, run, texts};
    use super::*;
    use serde_json::json;

    #[test]
    fn valid_objects_pass() {
        let pod = json!({"metadata": {"name": "p", "namespace": "default", "labels": {"app": "x"}},
            "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
                "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "1", "memory": "1Gi"}},
                "volumeMounts": [{"name": "v", "mountPath": "/d"}],
                "readinessProbe": {"httpGet": {"port": 80}}}],
                "volumes": [{"name": "v"}]}});
        assert_eq!(run("", "pods", pod), vec![]);
        assert_eq!(
            run(
                "apps",
                "deployments",
                deployment(json!({"matchLabels": {"app": "x"}}), json!({"app": "x"}))
            ),
            vec![]
        );
        let svc = json!({"metadata": {"name": "s"}, "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}});
        assert_eq!(run("", "services", svc), vec![]);
        let job = json!({"metadata": {"name": "j"}, "spec": {"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "c", "image": "busybox"}]}}}});
        assert_eq!(run("batch", "jobs", job), vec![]);
    }

    #[test]
    fn name_messages() {
        let c = run("", "configmaps", json!({"metadata": {"name": "Foo_Bar"}}));
        assert_eq!(texts(&c), vec!["metadata.name: Invalid value: \"Foo_Bar\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]);
        let c = run("", "namespaces", json!({"metadata": {"name": "a.b"}}));
        assert_eq!(c[0].message, "Invalid value: \"a.b\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
        let c = run(
            "",
            "services",
            json!({"metadata": {"name": "1abc"}, "spec": {"ports": [{"port": 1}]}}),
        );
        assert!(c[0].message.contains("a DNS-1035 label"), "{c:?}");
        let c = run("", "secrets", json!({"metadata": {}}));
        assert_eq!(
            texts(&c),
            vec!["metadata.name: Required value: name or generateName is required"]
        );
        assert!(run("", "secrets", json!({"metadata": {"generateName": "x-"}})).is_empty());
        let c = run(
            "",
            "configmaps",
            json!({"metadata": {"name": "a", "labels": {"a/b/c": "x", "k": "-v"}}}),
        );
        assert_eq!(c.len(), 2);
        assert!(c[1]
            .message
            .starts_with("Invalid value: \"-v\": a valid label must be an empty string"));
        let big = "x".repeat(256 * 1024 + 1);
        let c = run(
            "",
            "configmaps",
            json!({"metadata": {"name": "a", "annotations": {"k": big}}}),
        );
        assert_eq!(
            texts(&c),
            vec!["metadata.annotations: Too long: must have at most 262144 bytes"]
        );
        let c = run(
            "",
            "namespaces",
            json!({"metadata": {"name": "a", "namespace": "b"}}),
        );
        assert_eq!(c[0].reason, "FieldValueForbidden");
    }

    #[test]
    fn wrong_types_do_not_panic() {
        for (g, p) in [
            ("", "pods"),
            ("apps", "deployments"),
            ("", "services"),
            ("batch", "cronjobs"),
            ("", "secrets"),
        ] {
            for bad in [
                json!(1),
                json!({"metadata": 3, "spec": "x"}),
                json!({"metadata": {"name": 5, "labels": [1]},
                "spec": {"containers": [7, {"name": 1, "ports": "x", "resources": {"limits": {"cpu": true}}}],
                "selector": 4, "ports": [{"port": "x"}], "template": {"metadata": 1, "spec": []}}, "data": {"a": 1}}),
            ] {
                let mut obj = bad.clone();
                super::super::defaults::apply(g, p, &mut obj);
                let c = validate(g, p, &obj, Some(&bad));
                assert!(!c.is_empty(), "{g}/{p}");
            }
        }
    }
}
