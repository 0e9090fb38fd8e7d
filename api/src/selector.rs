//! Label and field selectors with the syntax and matching rules of k8s.io/apimachinery (labels, fields).

use serde_json::{Map, Value};

/// A selector string or `metav1.LabelSelector` object that could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SelectorError {
    /// Parse or validation failure; the message follows apimachinery's wording where practical.
    #[error("{0}")]
    Parse(String),
}

fn err(msg: impl Into<String>) -> SelectorError {
    SelectorError::Parse(msg.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

#[derive(Debug, Clone, PartialEq)]
struct Requirement {
    key: String,
    op: Op,
    values: Vec<String>,
}

/// A parsed label selector: every requirement must hold (logical AND).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    /// A `null` metav1.LabelSelector selects nothing, unlike an empty one.
    nothing: bool,
}

impl LabelSelector {
    /// Parse kubectl/apimachinery label selector syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
    /// `a notin (x)`, `a` (exists), `!a`, `a>1`, `a<1`, comma-separated; empty string matches
    /// everything. Keys and values are validated like `labels.Parse` does.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let tokens = lex(s)?;
        let mut p = Parser { tokens, pos: 0 };
        let mut requirements = Vec::new();
        loop {
            match p.peek() {
                Tok::End => break,
                Tok::Ident(_) | Tok::Bang => requirements.push(p.requirement()?),
                t => {
                    return Err(err(format!(
                        "found '{}', expected: !, identifier, or 'end of string'",
                        t.text()
                    )));
                }
            }
            match p.next() {
                Tok::End => break,
                Tok::Comma => {
                    if matches!(p.peek(), Tok::End) {
                        return Err(err("found 'end of string', expected: identifier after ','"));
                    }
                }
                t => {
                    return Err(err(format!(
                        "found '{}', expected: ',' or 'end of string'",
                        t.text()
                    )));
                }
            }
        }
        Ok(LabelSelector {
            requirements,
            nothing: false,
        })
    }

    /// Build from a metav1.LabelSelector JSON value
    /// (`{matchLabels, matchExpressions: [{key, operator: In|NotIn|Exists|DoesNotExist, values}]}`).
    /// An object with neither field selects everything; `null` selects nothing (metav1 semantics).
    pub fn from_json(v: &Value) -> Result<Self, SelectorError> {
        let obj = match v {
            Value::Null => {
                return Ok(LabelSelector {
                    requirements: Vec::new(),
                    nothing: true,
                });
            }
            Value::Object(o) => o,
            _ => return Err(err("label selector must be an object")),
        };
        let mut requirements = Vec::new();
        match obj.get("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(labels)) => {
                for (k, v) in labels {
                    let v = v.as_str().ok_or_else(|| {
                        err(format!("matchLabels value for {k:?} must be a string"))
                    })?;
                    requirements.push(new_requirement(k, Op::Equals, vec![v.to_string()])?);
                }
            }
            Some(_) => return Err(err("matchLabels must be an object")),
        }
        match obj.get("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(exprs)) => {
                for e in exprs {
                    requirements.push(expression(e)?);
                }
            }
            Some(_) => return Err(err("matchExpressions must be a list")),
        }
        Ok(LabelSelector {
            requirements,
            nothing: false,
        })
    }

    /// Whether an object with these labels (`None` = no labels) is selected.
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// True when the selector has no requirements and therefore selects everything.
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }
}

fn expression(e: &Value) -> Result<Requirement, SelectorError> {
    let key = e
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| err("matchExpressions entry needs a key"))?;
    let op_name = e
        .get("operator")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let op = match op_name {
        "In" => Op::In,
        "NotIn" => Op::NotIn,
        "Exists" => Op::Exists,
        "DoesNotExist" => Op::DoesNotExist,
        other => {
            return Err(err(format!(
                "{other:?} is not a valid label selector operator"
            )));
        }
    };
    let values = match e.get("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(vs)) => vs
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| err("matchExpressions values must be strings"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(err("matchExpressions values must be a list")),
    };
    new_requirement(key, op, values)
}

/// Validate and build a requirement, like labels.NewRequirement.
fn new_requirement(key: &str, op: Op, values: Vec<String>) -> Result<Requirement, SelectorError> {
    validate_key(key)?;
    match op {
        Op::In | Op::NotIn if values.is_empty() => {
            return Err(err(format!(
                "key: Invalid value: {key:?}: for 'in', 'notin' operators, values set can't be empty"
            )));
        }
        Op::Equals | Op::NotEquals if values.len() != 1 => {
            return Err(err(format!(
                "key: Invalid value: {key:?}: exact-match compatibility requires one single value"
            )));
        }
        Op::Exists | Op::DoesNotExist if !values.is_empty() => {
            return Err(err(format!(
                "key: Invalid value: {key:?}: values set must be empty for exists and does not exist"
            )));
        }
        Op::GreaterThan | Op::LessThan
            if values.len() != 1 || values[0].parse::<i64>().is_err() =>
        {
            return Err(err(format!(
                "key: Invalid value: {key:?}: for 'Gt', 'Lt' operators, exactly one integer value is required"
            )));
        }
        _ => {}
    }
    if !matches!(op, Op::GreaterThan | Op::LessThan) {
        for v in &values {
            validate_value(key, v)?;
        }
    }
    Ok(Requirement {
        key: key.to_string(),
        op,
        values,
    })
}

impl Requirement {
    fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let value = labels.and_then(|l| l.get(&self.key)).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let in_set = |v: &Option<String>| v.as_ref().is_some_and(|v| self.values.contains(v));
        let as_int = |v: &Option<String>| v.as_ref().and_then(|s| s.parse::<i64>().ok());
        let bound = self.values.first().and_then(|s| s.parse::<i64>().ok());
        match self.op {
            Op::Equals | Op::In => in_set(&value),
            // Absent labels satisfy negative requirements, as in Kubernetes.
            Op::NotEquals | Op::NotIn => !in_set(&value),
            Op::Exists => value.is_some(),
            Op::DoesNotExist => value.is_none(),
            Op::GreaterThan => matches!((as_int(&value), bound), (Some(a), Some(b)) if a > b),
            Op::LessThan => matches!((as_int(&value), bound), (Some(a), Some(b)) if a < b),
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Matches `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, the label name/value pattern.
fn is_qualified_part(s: &str) -> bool {
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    ends_ok(s.chars().next()) && ends_ok(s.chars().last()) && s.chars().all(is_name_char)
}

fn is_dns1123_subdomain(s: &str) -> bool {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    !s.is_empty() && s.len() <= 253 && s.split('.').all(label_ok)
}

fn validate_key(key: &str) -> Result<(), SelectorError> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let reason = if name.is_empty() {
        Some("name part must be non-empty".to_string())
    } else if name.len() > 63 {
        Some("name part must be no more than 63 characters".to_string())
    } else if !is_qualified_part(name) {
        Some("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".to_string())
    } else {
        prefix
            .filter(|p| !is_dns1123_subdomain(p))
            .map(|p| format!("prefix part {p:?} must be a lowercase RFC 1123 subdomain"))
    };
    match reason {
        Some(r) => Err(err(format!("key: Invalid value: {key:?}: {r}"))),
        None => Ok(()),
    }
}

fn validate_value(key: &str, value: &str) -> Result<(), SelectorError> {
    if value.is_empty() {
        return Ok(());
    }
    if value.len() > 63 || !is_qualified_part(value) {
        return Err(err(format!(
            "values[0][{key}]: Invalid value: {value:?}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, and be no more than 63 characters"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Bang,
    Eq,
    DoubleEq,
    NotEq,
    Gt,
    Lt,
    In,
    NotIn,
    Open,
    Close,
    Comma,
    End,
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Ident(s) => s.clone(),
            Tok::Bang => "!".into(),
            Tok::Eq => "=".into(),
            Tok::DoubleEq => "==".into(),
            Tok::NotEq => "!=".into(),
            Tok::Gt => ">".into(),
            Tok::Lt => "<".into(),
            Tok::In => "in".into(),
            Tok::NotIn => "notin".into(),
            Tok::Open => "(".into(),
            Tok::Close => ")".into(),
            Tok::Comma => ",".into(),
            Tok::End => "end of string".into(),
        }
    }
}

fn lex(s: &str) -> Result<Vec<Tok>, SelectorError> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (tok, len) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '!' if next == Some('=') => (Tok::NotEq, 2),
            '!' => (Tok::Bang, 1),
            '=' if next == Some('=') => (Tok::DoubleEq, 2),
            '=' => (Tok::Eq, 1),
            '>' => (Tok::Gt, 1),
            '<' => (Tok::Lt, 1),
            '(' => (Tok::Open, 1),
            ')' => (Tok::Close, 1),
            ',' => (Tok::Comma, 1),
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !"!=<>(),".contains(chars[i])
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                out.push(match word.as_str() {
                    "in" => Tok::In,
                    "notin" => Tok::NotIn,
                    _ => Tok::Ident(word),
                });
                continue;
            }
        };
        out.push(tok);
        i += len;
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Tok {
        self.tokens.get(self.pos).cloned().unwrap_or(Tok::End)
    }

    fn next(&mut self) -> Tok {
        let t = self.peek();
        self.pos += 1;
        t
    }

    fn requirement(&mut self) -> Result<Requirement, SelectorError> {
        let negated = matches!(self.peek(), Tok::Bang);
        if negated {
            self.pos += 1;
        }
        let key = match self.next() {
            Tok::Ident(k) => k,
            t => return Err(err(format!("found '{}', expected: identifier", t.text()))),
        };
        if negated {
            return new_requirement(&key, Op::DoesNotExist, Vec::new());
        }
        let op = match self.peek() {
            Tok::End | Tok::Comma => return new_requirement(&key, Op::Exists, Vec::new()),
            Tok::Eq | Tok::DoubleEq => Op::Equals,
            Tok::NotEq => Op::NotEquals,
            Tok::In => Op::In,
            Tok::NotIn => Op::NotIn,
            Tok::Gt => Op::GreaterThan,
            Tok::Lt => Op::LessThan,
            t => {
                return Err(err(format!(
                    "found '{}', expected: {}",
                    t.text(),
                    "'=', '!=', '==', 'in', notin'"
                )));
            }
        };
        self.pos += 1;
        let values = match op {
            Op::In | Op::NotIn => self.value_set()?,
            _ => match self.peek() {
                Tok::Ident(v) => {
                    self.pos += 1;
                    vec![v]
                }
                // `a=` selects the empty value.
                Tok::End | Tok::Comma => vec![String::new()],
                t => return Err(err(format!("found '{}', expected: identifier", t.text()))),
            },
        };
        new_requirement(&key, op, values)
    }

    /// Parses `(v1, v2, ...)`; empty entries such as `(a,)` mean the empty value.
    fn value_set(&mut self) -> Result<Vec<String>, SelectorError> {
        match self.next() {
            Tok::Open => {}
            t => return Err(err(format!("found '{}', expected: '('", t.text()))),
        }
        let mut values = Vec::new();
        let mut expect_value = true;
        loop {
            match self.next() {
                Tok::Ident(v) if expect_value => {
                    values.push(v);
                    expect_value = false;
                }
                Tok::Comma => {
                    if expect_value {
                        values.push(String::new());
                    }
                    expect_value = true;
                }
                Tok::Close => {
                    if expect_value && !values.is_empty() {
                        values.push(String::new());
                    }
                    return Ok(values);
                }
                t => {
                    return Err(err(format!(
                        "found '{}', expected: ',', ')' or identifier",
                        t.text()
                    )));
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct FieldRequirement {
    field: String,
    value: String,
    negate: bool,
}

/// A parsed field selector: `path=value` / `path==value` / `path!=value` terms, ANDed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// Parse `metadata.name=x,spec.nodeName!=y,status.phase==Running`; empty matches all.
    /// Values may escape `\,` `\=` `\\` as fields.ParseSelector allows.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        for term in split_unescaped(s, ',') {
            if term.is_empty() {
                continue;
            }
            let (field, op_len, negate) = find_operator(term).ok_or_else(|| {
                err(format!(
                    "invalid selector: '{s}'; can't understand '{term}'"
                ))
            })?;
            let (lhs, rest) = term.split_at(field);
            let value = unescape(&rest[op_len..])?;
            requirements.push(FieldRequirement {
                field: lhs.to_string(),
                value,
                negate,
            });
        }
        Ok(FieldSelector { requirements })
    }

    /// Field paths this selector uses (so the server can reject unsupported ones).
    pub fn fields(&self) -> Vec<&str> {
        self.requirements.iter().map(|r| r.field.as_str()).collect()
    }

    /// True when there are no terms, i.e. everything matches.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Renames the fields the selector reads, e.g. to the stored form of a converted resource.
    pub fn rename_fields(&mut self, rename: impl Fn(&str) -> String) {
        for r in &mut self.requirements {
            r.field = rename(&r.field);
        }
    }

    /// Match against an object: the dotted path is looked up in the JSON (a missing field counts
    /// as ""), booleans and numbers compare by their string form.
    pub fn matches(&self, obj: &Value) -> bool {
        self.requirements.iter().all(|r| {
            let actual = r
                .field
                .split('.')
                .try_fold(obj, |v, part| v.get(part))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            (actual == r.value) != r.negate
        })
    }
}

/// Split on `sep` where it is not preceded by an escaping backslash.
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Finds the first unescaped operator; returns (byte offset, operator length, negated).
fn find_operator(term: &str) -> Option<(usize, usize, bool)> {
    let bytes = term.as_bytes();
    let mut escaped = false;
    for i in 0..bytes.len() {
        if escaped {
            escaped = false;
            continue;
        }
        match bytes[i] {
            b'\\' => escaped = true,
            b'!' if bytes.get(i + 1) == Some(&b'=') => return Some((i, 2, true)),
            b'=' if bytes.get(i + 1) == Some(&b'=') => return Some((i, 2, false)),
            b'=' => return Some((i, 1, false)),
            _ => {}
        }
    }
    None
}

fn unescape(v: &str) -> Result<String, SelectorError> {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('\\' | ',' | '=')) => out.push(e),
                Some(e) => {
                    return Err(err(format!(
                        "invalid field selector value {v:?}: invalid escape sequence \\{e}"
                    )));
                }
                None => {
                    return Err(err(format!(
                        "invalid field selector value {v:?}: trailing backslash"
                    )));
                }
            },
            ',' | '=' => {
                return Err(err(format!(
                    "invalid field selector value {v:?}: unescaped {c}"
                )));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn parse_and_match_labels() {
        let l = labels(json!({"app": "web", "tier": "fe"}));
        let ok = |s: &str| LabelSelector::parse(s).unwrap().matches(Some(&l));
        assert!(ok(""));
        assert!(ok("app=web"));
        assert!(ok("app==web,tier"));
        assert!(ok("app in (web, db),!missing"));
        assert!(ok("tier notin (be)"));
        assert!(ok("missing!=x"));
        assert!(!ok("app!=web"));
        assert!(!ok("!app"));
        assert!(!ok("missing"));
        assert!(!ok("app in (db)"));
        assert!(LabelSelector::parse("a!=b").unwrap().matches(None));
        assert!(LabelSelector::parse("").unwrap().is_empty());
    }

    #[test]
    fn parse_errors() {
        for bad in [
            "app=",
            "app in ()",
            "a b",
            "=x",
            "app=web,",
            "x in (a",
            "bad key!/x=1",
            "a=b=c",
            "a=-bad",
        ] {
            if bad == "app=" {
                // `app=` is valid: it selects the empty value.
                assert!(LabelSelector::parse(bad).is_ok());
                continue;
            }
            assert!(LabelSelector::parse(bad).is_err(), "{bad} should fail");
        }
        let e = LabelSelector::parse("a in ()").unwrap_err();
        assert!(e.to_string().contains("values set can't be empty"), "{e}");
        assert!(LabelSelector::parse("example.com/app=x").is_ok());
        assert!(LabelSelector::parse("Example_.com/app=x").is_err());
    }

    #[test]
    fn from_json_selector() {
        let l = labels(json!({"app": "web", "env": "prod"}));
        let s = LabelSelector::from_json(&json!({"matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "stage"]},
                                 {"key": "gone", "operator": "DoesNotExist"}]}))
        .unwrap();
        assert!(s.matches(Some(&l)));
        assert!(!s.matches(None));
        let empty = LabelSelector::from_json(&json!({})).unwrap();
        assert!(empty.is_empty() && empty.matches(None));
        assert!(!LabelSelector::from_json(&Value::Null)
            .unwrap()
            .matches(Some(&l)));
        assert!(LabelSelector::from_json(
            &json!({"matchExpressions": [{"key": "a", "operator": "Foo"}]})
        )
        .is_err());
        assert!(LabelSelector::from_json(
            &json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})
        )
        .is_err());
        assert!(LabelSelector::from_json(
            &json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})
        )
        .is_err());
    }

    #[test]
    fn field_selectors() {
        let pod = json!({"metadata": {"name": "p", "namespace": "ns"}, "spec": {"nodeName": "n1", "hostNetwork": true},
            "status": {"phase": "Running"}});
        let ok = |s: &str| FieldSelector::parse(s).unwrap().matches(&pod);
        assert!(ok(""));
        assert!(ok("metadata.name=p,status.phase==Running"));
        assert!(ok("spec.nodeName!=n2"));
        assert!(ok("spec.hostNetwork=true"));
        assert!(ok("spec.schedulerName="));
        assert!(!ok("spec.nodeName!=n1"));
        let s = FieldSelector::parse(r"metadata.name=a\,b\=c\\d,spec.nodeName=x").unwrap();
        assert_eq!(s.fields(), vec!["metadata.name", "spec.nodeName"]);
        assert!(s.matches(&json!({"metadata": {"name": r"a,b=c\d"}, "spec": {"nodeName": "x"}})));
        assert!(FieldSelector::parse("metadata.name").is_err());
        assert!(FieldSelector::parse(r"metadata.name=a\x").is_err());
    }
}
