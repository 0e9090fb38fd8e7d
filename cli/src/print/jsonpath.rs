//! kubectl's JSONPath dialect (client-go `util/jsonpath`): parsing, evaluation and the
//! exact text/JSON rendering used by `-o jsonpath`, `-o jsonpath-as-json` and custom-columns.
//!
//! Values are treated the way kubectl sees decoded objects: JSON integers are Go `int64`,
//! other numbers `float64`, and `null` is a nil interface.

use std::borrow::Cow;

use serde_json::{Number, Value};

#[path = "jsonpath_format.rs"]
mod format;
#[path = "jsonpath_parse.rs"]
mod parse;

pub(crate) use format::go_sprint;
use format::{scalar_text, write_json};

use parse::{Node, Param};

/// Errors from parsing or executing a template; the texts match client-go's.
#[derive(Debug, thiserror::Error)]
pub enum JsonPathError {
    /// The template (or a custom-columns spec) is malformed.
    #[error("{0}")]
    Parse(String),
    /// Evaluating the template against an object failed.
    #[error("{0}")]
    Exec(String),
}

/// A parsed JSONPath template.
#[derive(Debug, Clone)]
pub struct JsonPath {
    raw: String,
    nodes: Vec<Node>,
}

/// Ranges recurse once per nesting level; bound that so templates cannot overflow the stack.
const MAX_RANGE_DEPTH: usize = 256;

/// Rewrites a relaxed path the way kubectl's `RelaxedJSONPathExpression` does (used for
/// custom-columns and `--sort-by`): `metadata.name`, `.metadata.name`, `{metadata.name}` and
/// `{.metadata.name}` all become `{.metadata.name}`; an empty string stays empty.
pub fn relaxed_expression(path: &str) -> Result<String, JsonPathError> {
    if path.is_empty() {
        return Ok(String::new());
    }
    let no_braces = |s: &str| !s.contains(['{', '}']);
    // Mirrors `^\{\.?([^{}]+)\}$|^\.?([^{}]+)$`, including the regex backtracking that keeps
    // a lone "." as the captured body (so `{.}` becomes `{..}`).
    let body = if path.len() >= 3
        && path.starts_with('{')
        && path.ends_with('}')
        && no_braces(&path[1..path.len() - 1])
    {
        Some(&path[1..path.len() - 1])
    } else if no_braces(path) {
        Some(path)
    } else {
        None
    };
    match body {
        Some(body) => {
            let field = match body.strip_prefix('.') {
                Some(rest) if !rest.is_empty() => rest,
                _ => body,
            };
            Ok(format!("{{.{field}}}"))
        }
        None => Err(JsonPathError::Parse(
            "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'"
                .to_string(),
        )),
    }
}

impl JsonPath {
    /// Parses a template such as `{range .items[*]}{.metadata.name}{"\n"}{end}`, exactly as
    /// `kubectl -o jsonpath=` does (no relaxation: text outside braces is literal).
    pub fn parse(template: &str) -> Result<Self, JsonPathError> {
        let nodes = parse::parse_template(template).map_err(JsonPathError::Parse)?;
        Ok(JsonPath {
            raw: template.to_string(),
            nodes,
        })
    }

    /// Parses a path after kubectl's relaxation (see [`relaxed_expression`]), as custom-columns
    /// and `--sort-by` do.
    pub fn parse_kubectl(s: &str) -> Result<Self, JsonPathError> {
        Self::parse(&relaxed_expression(s)?)
    }

    /// The template text this was parsed from (after relaxation for [`JsonPath::parse_kubectl`]).
    pub fn template(&self) -> &str {
        &self.raw
    }

    /// Renders like `kubectl -o jsonpath=`: the values of one `{}` action are joined by a
    /// space, strings print raw, maps and arrays as compact Go JSON, scalars as Go's `fmt`.
    /// With `allow_missing_keys` (kubectl's default) a missing field yields nothing instead
    /// of an error.
    pub fn execute(&self, data: &Value, allow_missing_keys: bool) -> Result<String, JsonPathError> {
        let mut out = String::new();
        for results in self.find_results(data, allow_missing_keys)? {
            for (i, value) in results.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                match value {
                    Value::Array(_) | Value::Object(_) => write_json(&mut out, value, None),
                    other => out.push_str(&scalar_text(other)),
                }
            }
        }
        Ok(out)
    }

    /// Renders like `kubectl -o jsonpath-as-json=`: each action's values as a JSON array
    /// indented by four spaces, followed by a newline. Missing keys are allowed.
    pub fn execute_as_json(&self, data: &Value) -> Result<String, JsonPathError> {
        let mut out = String::new();
        for results in self.find_results(data, true)? {
            write_json(&mut out, &Value::Array(results), Some(0));
            out.push('\n');
        }
        Ok(out)
    }

    /// The raw values of each action, with missing keys allowed (as custom-columns uses it).
    pub fn find(&self, data: &Value) -> Result<Vec<Vec<Value>>, JsonPathError> {
        self.find_results(data, true)
    }

    /// The raw values of each action; a missing key is an error unless `allow_missing_keys`.
    pub fn find_results(
        &self,
        data: &Value,
        allow_missing_keys: bool,
    ) -> Result<Vec<Vec<Value>>, JsonPathError> {
        let mut exec = Exec {
            nodes: &self.nodes,
            allow_missing_keys,
            begin_range: 0,
            in_range: 0,
            end_range: 0,
            last_end: None,
        };
        let results = exec
            .find_results(0, Cow::Borrowed(data), 0)
            .map_err(|f| JsonPathError::Exec(f.msg))?;
        Ok(results
            .into_iter()
            .map(|r| r.into_iter().map(Cow::into_owned).collect())
            .collect())
    }
}

/// An evaluation failure. `nonempty` records whether client-go's failing step still handed
/// back values, which an existence filter (`[?(@.x[5])]`) counts as a match.
struct Fail {
    msg: String,
    nonempty: bool,
}

fn fail<T>(msg: impl Into<String>, nonempty: bool) -> Result<T, Fail> {
    Err(Fail {
        msg: msg.into(),
        nonempty,
    })
}

type Vals<'a> = Vec<Cow<'a, Value>>;

/// Evaluation state; the range bookkeeping follows client-go's `FindResults` so unbalanced
/// `range`/`end` templates behave the same.
struct Exec<'t> {
    nodes: &'t [Node],
    allow_missing_keys: bool,
    begin_range: usize,
    in_range: usize,
    end_range: usize,
    /// Index (into the top-level nodes) of the most recent `{end}`.
    last_end: Option<usize>,
}

impl Exec<'_> {
    fn find_results<'a>(
        &mut self,
        from: usize,
        data: Cow<'a, Value>,
        depth: usize,
    ) -> Result<Vec<Vals<'a>>, Fail> {
        if depth > MAX_RANGE_DEPTH {
            return fail("range nested too deeply", false);
        }
        let nodes = self.nodes;
        let cur = vec![data];
        let mut full = Vec::new();
        let mut i = from;
        while i < nodes.len() {
            let results = self.walk(&cur, &nodes[i])?;
            if self.end_range > 0 && self.end_range <= self.in_range {
                self.end_range -= 1;
                self.last_end = Some(i);
                break;
            }
            if self.begin_range > 0 {
                self.begin_range -= 1;
                self.in_range += 1;
                if results.is_empty() {
                    // Still walk the body (its `end` must be seen), discarding output.
                    self.find_results(i + 1, Cow::Owned(Value::Null), depth + 1)?;
                } else {
                    for value in results {
                        full.extend(self.find_results(i + 1, value, depth + 1)?);
                    }
                }
                self.in_range -= 1;
                if let Some(end) = self.last_end.filter(|e| *e > i) {
                    i = end;
                }
                i += 1;
                continue;
            }
            full.push(results);
            i += 1;
        }
        Ok(full)
    }

    fn walk<'a>(&mut self, input: &[Cow<'a, Value>], node: &Node) -> Result<Vals<'a>, Fail> {
        match node {
            Node::List(list) => self.eval_list(input, list),
            Node::Text(text) => Ok(vec![Cow::Owned(Value::String(text.clone()))]),
            Node::Field(name) => self.eval_field(input, name),
            Node::Array(params) => eval_array(input, params),
            Node::Filter { left, right, op } => self.eval_filter(input, left, right, op),
            Node::Int(i) => Ok(vec![Cow::Owned(Value::from(*i)); input.len()]),
            Node::Float(f) => {
                let v = Number::from_f64(*f).map_or(Value::Null, Value::Number);
                Ok(vec![Cow::Owned(v); input.len()])
            }
            Node::Bool(b) => Ok(vec![Cow::Owned(Value::Bool(*b)); input.len()]),
            Node::Wildcard => Ok(input.iter().flat_map(children).collect()),
            Node::Recursive => Ok(eval_recursive(input)),
            Node::Union(branches) => {
                let mut out = Vec::new();
                for branch in branches {
                    let part = self.eval_list(input, branch).map_err(|f| Fail {
                        nonempty: !input.is_empty(),
                        ..f
                    })?;
                    out.extend(part);
                }
                Ok(out)
            }
            Node::Identifier(name) => match name.as_str() {
                "range" => {
                    self.begin_range += 1;
                    Ok(input.to_vec())
                }
                "end" if self.in_range > 0 => {
                    self.end_range += 1;
                    Ok(Vec::new())
                }
                "end" => fail("not in range, nothing to end", false),
                other => fail(
                    format!("unrecognized identifier {other}"),
                    !input.is_empty(),
                ),
            },
        }
    }

    fn eval_list<'a>(
        &mut self,
        input: &[Cow<'a, Value>],
        nodes: &[Node],
    ) -> Result<Vals<'a>, Fail> {
        let mut cur = input.to_vec();
        for node in nodes {
            cur = self.walk(&cur, node)?;
        }
        Ok(cur)
    }

    fn eval_field<'a>(&self, input: &[Cow<'a, Value>], name: &str) -> Result<Vals<'a>, Fail> {
        if input.is_empty() {
            return Ok(Vec::new());
        }
        let results: Vals<'a> = input
            .iter()
            .filter_map(|v| child(v, |v| v.as_object()?.get(name)))
            .collect();
        if results.is_empty() && !self.allow_missing_keys {
            return fail(format!("{name} is not found"), false);
        }
        Ok(results)
    }

    fn eval_filter<'a>(
        &mut self,
        input: &[Cow<'a, Value>],
        left: &[Node],
        right: &[Node],
        op: &str,
    ) -> Result<Vals<'a>, Fail> {
        let mut results = Vec::new();
        for value in input {
            let len = match value.as_ref() {
                Value::Array(items) => items.len(),
                other => {
                    return fail(
                        format!(
                            "{} is not array or slice and cannot be filtered",
                            go_sprint(other)
                        ),
                        true,
                    )
                }
            };
            for idx in 0..len {
                let Some(item) = child(value, |v| v.as_array()?.get(idx)) else {
                    continue;
                };
                let temp = [item];
                let lefts = self.eval_list(&temp, left);
                if op == "exists" {
                    let matched = match &lefts {
                        Ok(l) => !l.is_empty(),
                        Err(f) => f.nonempty,
                    };
                    if matched {
                        results.push(temp[0].clone());
                    }
                    continue;
                }
                let Some(lhs) = single(lefts.map_err(|f| Fail {
                    nonempty: true,
                    ..f
                })?)?
                else {
                    continue;
                };
                let rights = self.eval_list(&temp, right).map_err(|f| Fail {
                    nonempty: true,
                    ..f
                })?;
                let Some(rhs) = single(rights)? else { continue };
                let pass = match op {
                    "<" => less(&lhs, &rhs),
                    ">" => less_equal(&lhs, &rhs).map(|b| !b),
                    "==" => equal(&lhs, &rhs),
                    "!=" => equal(&lhs, &rhs).map(|b| !b),
                    "<=" => less_equal(&lhs, &rhs),
                    ">=" => less(&lhs, &rhs).map(|b| !b),
                    _ => Err(format!("unrecognized filter operator {op}")),
                };
                match pass {
                    Ok(true) => results.push(temp[0].clone()),
                    Ok(false) => {}
                    Err(msg) => return fail(msg, !results.is_empty()),
                }
            }
        }
        Ok(results)
    }
}

/// The only value of a filter operand; `None` when there is none.
fn single(mut values: Vals<'_>) -> Result<Option<Cow<'_, Value>>, Fail> {
    match values.len() {
        0 => Ok(None),
        1 => Ok(values.pop()),
        _ => fail("can only compare one element at a time", true),
    }
}

/// A child of `parent` selected by `pick`, borrowed when the parent is borrowed.
fn child<'a>(
    parent: &Cow<'a, Value>,
    pick: impl for<'v> Fn(&'v Value) -> Option<&'v Value>,
) -> Option<Cow<'a, Value>> {
    match parent {
        Cow::Borrowed(v) => pick(v).map(Cow::Borrowed),
        Cow::Owned(v) => pick(v).map(|c| Cow::Owned(c.clone())),
    }
}

/// What Go's reflection iterates for `*` and `..`: map values, array items, and the bytes
/// of a string (as `uint8` numbers).
fn children<'a>(value: &Cow<'a, Value>) -> Vals<'a> {
    match value.as_ref() {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            keys.into_iter()
                .filter_map(|k| child(value, |v| v.as_object()?.get(k.as_str())))
                .collect()
        }
        Value::Array(items) => (0..items.len())
            .filter_map(|i| child(value, |v| v.as_array()?.get(i)))
            .collect(),
        Value::String(s) => s.bytes().map(|b| Cow::Owned(Value::from(b))).collect(),
        _ => Vec::new(),
    }
}

/// `..`: every value that has children (including the input itself), depth first.
fn eval_recursive<'a>(input: &[Cow<'a, Value>]) -> Vals<'a> {
    let mut out = Vec::new();
    for value in input {
        let kids = children(value);
        if !kids.is_empty() {
            out.push(value.clone());
            out.extend(eval_recursive(&kids));
        }
    }
    out
}

fn eval_array<'a>(input: &[Cow<'a, Value>], node: &[Param; 3]) -> Result<Vals<'a>, Fail> {
    let mut result = Vec::new();
    for value in input {
        let len = match value.as_ref() {
            Value::Null => continue,
            Value::Array(items) => items.len() as i64,
            other => return fail(format!("{} is not array or slice", go_type(other)), true),
        };
        let mut p = *node;
        if !p[0].known {
            p[0].value = 0;
        }
        if p[0].value < 0 {
            p[0].value = p[0].value.wrapping_add(len);
        }
        if !p[1].known {
            p[1].value = len;
        }
        if p[1].value < 0 || (p[1].value == 0 && p[1].derived) {
            p[1].value = p[1].value.wrapping_add(len);
        }
        let (start, end) = (p[0].value, p[1].value);
        if start == end {
            // An empty selection ends evaluation of this node (client-go returns early).
            return Ok(result);
        }
        if start >= len || start < 0 {
            return fail(
                format!("array index out of bounds: index {start}, length {len}"),
                true,
            );
        }
        if end > len || end < 0 {
            return fail(
                format!(
                    "array index out of bounds: index {}, length {len}",
                    end.wrapping_sub(1)
                ),
                true,
            );
        }
        if start > end {
            return fail(
                format!("starting index {start} is greater than ending index {end}"),
                true,
            );
        }
        let step = if p[2].known {
            if p[2].value <= 0 {
                return fail("step must be > 0", true);
            }
            usize::try_from(p[2].value).unwrap_or(usize::MAX)
        } else {
            1
        };
        // Bounds were checked above, so these conversions cannot fail.
        let (start, end) = (
            usize::try_from(start).unwrap_or(0),
            usize::try_from(end).unwrap_or(0),
        );
        for idx in (start..end).step_by(step) {
            if let Some(item) = child(value, |v| v.as_array()?.get(idx)) {
                result.push(item);
            }
        }
    }
    Ok(result)
}

/// Comparison classes of Go's text/template helpers.
#[derive(PartialEq)]
enum Basic<'v> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'v str),
}

fn basic(v: &Value) -> Result<Basic<'_>, String> {
    match v {
        Value::Bool(b) => Ok(Basic::Bool(*b)),
        Value::Number(n) => Ok(match n.as_i64() {
            Some(i) => Basic::Int(i),
            None => Basic::Float(n.as_f64().unwrap_or(f64::NAN)),
        }),
        Value::String(s) => Ok(Basic::Str(s)),
        _ => Err("invalid type for comparison".to_string()),
    }
}

fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    match (basic(a)?, basic(b)?) {
        (Basic::Bool(x), Basic::Bool(y)) => Ok(x == y),
        (Basic::Int(x), Basic::Int(y)) => Ok(x == y),
        (Basic::Float(x), Basic::Float(y)) => Ok(x == y),
        (Basic::Str(x), Basic::Str(y)) => Ok(x == y),
        _ => Err("incompatible types for comparison".to_string()),
    }
}

fn less(a: &Value, b: &Value) -> Result<bool, String> {
    match (basic(a)?, basic(b)?) {
        (Basic::Int(x), Basic::Int(y)) => Ok(x < y),
        (Basic::Float(x), Basic::Float(y)) => Ok(x < y),
        (Basic::Str(x), Basic::Str(y)) => Ok(x < y),
        (Basic::Bool(_), Basic::Bool(_)) => Err("invalid type for comparison".to_string()),
        _ => Err("incompatible types for comparison".to_string()),
    }
}

fn less_equal(a: &Value, b: &Value) -> Result<bool, String> {
    if less(a, b)? {
        return Ok(true);
    }
    equal(a, b)
}

/// Go's type name for a decoded JSON value, as it appears in client-go errors.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "interface {}",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.as_i64().is_some() => "int64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

#[cfg(test)]
mod tests {
    //! Expected outputs were captured from kubectl 1.32 (`create --dry-run=client -o
    //! jsonpath=...` on OBJ, `get -o jsonpath=...` on LIST).
    use super::format::{go_float_v, go_json_float};
    use super::*;

    const OBJ: &str = r##"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w1","namespace":"default","labels":{"app":"web","app.kubernetes.io/name":"wid"}},
 "spec":{"int":3,"neg":-7,"float":1.5,"big":1e6,"bigf":1234567.5,"small":0.00001,"huge":1e21,"h20":1e20,"one":1.0,"t":true,"f":false,"nul":null,
 "str":"a<b>&c","esc":"q\"\\\n\t\u0001\u2028","empty":"","arr":[1,"x",true,null,{"k":"v"},[2,3]],"emptyarr":[],"emptyobj":{},
 "map":{"b":2,"a":"x","c":[1,2],"d":{"e":null}},
 "items":[{"name":"a","n":1,"v":1.5,"tags":["x","y"]},{"name":"b","n":2,"v":2.5},{"name":"c","n":3,"extra":"e"}]}}"##;
    const LIST: &str = r##"{"apiVersion":"v1","items":[{"apiVersion":"v1","data":{"k":"v1","n":"10"},"kind":"ConfigMap","metadata":{"labels":{"app":"web","grp":"g","tier":"fe"},"name":"c1","namespace":"default"}},{"apiVersion":"v1","data":{"k":"v2"},"kind":"ConfigMap","metadata":{"labels":{"app":"web","grp":"g"},"name":"c2","namespace":"default"}},{"apiVersion":"v1","kind":"ConfigMap","metadata":{"labels":{"app":"db","grp":"g"},"name":"c3","namespace":"default"}}],"kind":"List","metadata":{"resourceVersion":""}}"##;

    type Case = (&'static str, Result<&'static str, &'static str>);

    /// Errors are written `P:` (parse) or `E:` (exec) followed by client-go's message.
    fn check(
        data: &str,
        cases: &[Case],
        run: impl Fn(&JsonPath, &Value) -> Result<String, JsonPathError>,
    ) {
        let data: Value = serde_json::from_str(data).unwrap();
        for (template, expected) in cases {
            let got = JsonPath::parse(template)
                .and_then(|p| run(&p, &data))
                .map_err(|e| match e {
                    JsonPathError::Parse(m) => format!("P:{m}"),
                    JsonPathError::Exec(m) => format!("E:{m}"),
                });
            assert_eq!(
                got.as_ref().map(String::as_str).map_err(String::as_str),
                *expected,
                "template {template:?}"
            );
        }
    }

    #[test]
    #[rustfmt::skip]
    fn matches_kubectl_jsonpath() {
        check(OBJ, &[
        ("{.metadata.name}", Ok("w1")),
        ("{.spec.int} {.spec.neg} {.spec.float} {.spec.big} {.spec.bigf} {.spec.small} {.spec.huge} {.spec.h20} {.spec.one}", Ok("3 -7 1.5 1e+06 1.2345675e+06 1e-05 1e+21 1e+20 1")),
        ("{.spec.t}{.spec.f}{.spec.nul}", Ok("truefalsenull")),
        ("{.spec.str}", Ok("a<b>&c")),
        ("{.spec.esc}", Ok("q\"\\\n\t\u{1}\u{2028}")),
        ("{.spec.arr}", Ok("[1,\"x\",true,null,{\"k\":\"v\"},[2,3]]")),
        ("{.spec.arr[*]}", Ok("1 x true null {\"k\":\"v\"} [2,3]")),
        ("{.spec.map}", Ok("{\"a\":\"x\",\"b\":2,\"c\":[1,2],\"d\":{\"e\":null}}")),
        ("{.spec.emptyarr}{.spec.emptyobj}{.spec.empty}|", Ok("[]{}|")),
        ("{.spec.items[*].name}", Ok("a b c")),
        ("{.spec.items[0]}", Ok("{\"n\":1,\"name\":\"a\",\"tags\":[\"x\",\"y\"],\"v\":1.5}")),
        ("{.spec.items[-1].name}", Ok("c")),
        ("{.spec.items[0:2].name}", Ok("a b")),
        ("{.spec.items[1:].name}", Ok("b c")),
        ("{.spec.items[:2].name}", Ok("a b")),
        ("{.spec.items[::2].name}", Ok("a c")),
        ("{.spec.items[-2:].name}", Ok("b c")),
        ("{.spec.items[5].name}", Err("E:array index out of bounds: index 5, length 3")),
        ("{.spec.items[3:1]}", Err("E:array index out of bounds: index 3, length 3")),
        ("{.spec.items[1:1]}x", Ok("x")),
        ("{.spec.items[0:5]}", Err("E:array index out of bounds: index 4, length 3")),
        ("{.spec.items[::0]}", Err("E:step must be > 0")),
        ("{.spec.items[-4]}", Err("E:array index out of bounds: index -1, length 3")),
        ("{.spec.items[-1:]}", Ok("{\"extra\":\"e\",\"n\":3,\"name\":\"c\"}")),
        ("{.spec.items[?(@.name==\"b\")].n}", Ok("2")),
        ("{.spec.items[?(@.n>1)].name}", Ok("b c")),
        ("{.spec.items[?(@.n>=2)].name}", Ok("b c")),
        ("{.spec.items[?(@.n<2)].name}", Ok("a")),
        ("{.spec.items[?(@.n<=2)].name}", Ok("a b")),
        ("{.spec.items[?(@.n!=2)].name}", Ok("a c")),
        ("{.spec.items[?(@.extra)].name}", Ok("c")),
        ("{.spec.items[?(@.v==1.5)].name}", Ok("a")),
        ("{.spec.items[?(@.v>2)].name}", Err("E:incompatible types for comparison")),
        ("{.spec.items[?(@.name=='c')].n}", Ok("3")),
        ("{.spec.items[?(@.n==\"1\")].name}", Err("E:incompatible types for comparison")),
        ("{.spec.items[?(@.tags)].name}", Ok("a")),
        ("{.spec.items[?(@.tags[*])].name}", Ok("a")),
        ("{.spec.items[0,2].name}", Ok("a c")),
        ("{.spec.items[*]['name','n']}", Ok("a b c 1 2 3")),
        ("{.spec.map['a','b']}", Ok("x 2")),
        ("{.spec['int']}", Ok("3")),
        ("{..name}", Ok("w1 a b c")),
        ("{.spec..n}", Ok("1 2 3")),
        ("{..k}", Ok("v")),
        ("{.metadata.labels.app\\.kubernetes\\.io/name}", Ok("wid")),
        ("{.metadata.labels['app.kubernetes.io/name']}", Ok("")),
        ("{$.metadata.name}", Ok("w1")),
        ("{@.metadata.name}", Ok("w1")),
        ("{.spec.map.d}", Ok("{\"e\":null}")),
        ("{range .spec.items[*]}{.name}{\"\\t\"}{.n}{\"\\n\"}{end}", Ok("a\t1\nb\t2\nc\t3\n")),
        ("{range .spec.items[*]}[{.name}]{end}after", Ok("[a][b][c]after")),
        ("{range .spec.items[*]}{.name}:{range .tags[*]}<{@}>{end};{end}", Ok("a:<x><y>;b:;c:;")),
        ("{range .spec.emptyarr[*]}x{.name}{end}done", Ok("done")),
        ("{range .spec.items[*]}{.name}", Ok("abc")),
        ("{end}", Err("E:not in range, nothing to end")),
        ("{.spec.int}{end}", Err("E:not in range, nothing to end")),
        ("name={.metadata.name} int={.spec.int}", Ok("name=w1 int=3")),
        ("{\"\\n\"}", Ok("\n")),
        ("{'a\\'b'}", Ok("a'b")),
        ("{\"\\u00e9\\x41\"}", Ok("éA")),
        ("{\"a\" \"b\"}", Ok("b")),
        ("{.spec.int 5}", Ok("5")),
        ("{.x!}", Ok("")),
        ("{foo}", Err("E:unrecognized identifier foo")),
        ("{true}", Ok("true")),
        ("{3}", Ok("3")),
        ("{1.5}", Ok("1.5")),
        ("{.spec.str[0]}", Err("E:string is not array or slice")),
        ("{.spec.str.*}", Ok("97 60 98 62 38 99")),
        ("{.spec.map[0]}", Err("E:map[string]interface {} is not array or slice")),
        ("{.spec.int[?(@.x)]}", Err("E:3 is not array or slice and cannot be filtered")),
        ("{.spec.nul[0]}x", Ok("x")),
        ("{.spec.nul.x}x", Ok("x")),
        ("{.}x", Ok("x")),
        ("{}x", Ok("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"labels\":{\"app\":\"web\",\"app.kubernetes.io/name\":\"wid\"},\"name\":\"w1\",\"namespace\":\"default\"},\"spec\":{\"arr\":[1,\"x\",true,null,{\"k\":\"v\"},[2,3]],\"big\":1000000,\"bigf\":1234567.5,\"empty\":\"\",\"emptyarr\":[],\"emptyobj\":{},\"esc\":\"q\\\"\\\\\\n\\t\\u0001\\u2028\",\"f\":false,\"float\":1.5,\"h20\":100000000000000000000,\"huge\":1e+21,\"int\":3,\"items\":[{\"n\":1,\"name\":\"a\",\"tags\":[\"x\",\"y\"],\"v\":1.5},{\"n\":2,\"name\":\"b\",\"v\":2.5},{\"extra\":\"e\",\"n\":3,\"name\":\"c\"}],\"map\":{\"a\":\"x\",\"b\":2,\"c\":[1,2],\"d\":{\"e\":null}},\"neg\":-7,\"nul\":null,\"one\":1,\"small\":0.00001,\"str\":\"a\\u003cb\\u003e\\u0026c\",\"t\":true}}x")),
        ("{ .metadata.name }", Ok("w1")),
        ("{.metadata.name}{.metadata.name}", Ok("w1w1")),
        ("{.spec.items[*].n}", Ok("1 2 3")),
        ("{.spec.items[*].missing}x", Ok("x")),
        ("{.spec.items[?(@.name==\"a\")].tags[*]}", Ok("x y")),
        ("{.spec.arr[?(@.k)]}", Ok("{\"k\":\"v\"}")),
        ("{.spec.arr[?(@==\"x\")]}", Err("E:incompatible types for comparison")),
        ("{.spec.items[?(@.n<@.v)].name}", Err("E:incompatible types for comparison")),
        ("{.spec.items[*].tags[0]}", Ok("x")),
        ("{.spec.items[?(@.name==\"a\")]}", Ok("{\"n\":1,\"name\":\"a\",\"tags\":[\"x\",\"y\"],\"v\":1.5}")),
        ("{.spec.items[?(@.n=1)]}", Err("E:unrecognized filter operator =")),
        ("{.spec.items[ 0 , 1 ].name}", Ok("a b")),
        ("{.spec.str\\x}", Ok("")),
        ("{.spec.map[*]}", Err("E:map[string]interface {} is not array or slice")),
        ("{.spec.items[*]}", Ok("{\"n\":1,\"name\":\"a\",\"tags\":[\"x\",\"y\"],\"v\":1.5} {\"n\":2,\"name\":\"b\",\"v\":2.5} {\"extra\":\"e\",\"n\":3,\"name\":\"c\"}")),
        ("{.spec.items[?(@.n>1.5)].name}", Err("E:incompatible types for comparison")),
        ("{.spec.items[?(@.n==true)].name}", Err("E:incompatible types for comparison")),
        ("{.spec.items[?(@.name>\"a\")].name}", Ok("b c")),
        ("{.spec.items[?(@.tags==\"x\")].name}", Err("E:invalid type for comparison")),
        ("{.spec.items[?(@.missing==\"x\")].name}x", Ok("x")),
        ("{.spec.items[?(@.name==\"a\\\")\")].n}", Ok("")),
        ("{.spec.t.x}x", Ok("x")),
        ("{range .spec.items[*]}{range .tags[*]}{@}{end}{end}|", Ok("xy|")),
        ("{.spec.items[*].tags[*]}", Ok("x y")),
        ], |p, d| p.execute(d, true));
    }

    #[test]
    #[rustfmt::skip]
    fn matches_kubectl_without_missing_keys() {
        check(
            OBJ,
            &[
                ("{.nope}", Err("E:nope is not found")),
                ("{.spec.items[*].extra}", Ok("e")),
                ("{range .spec.emptyarr[*]}{.x}{end}", Err("E:x is not found")),
                ("{.spec.items[?(@.extra==\"e\")].name}", Err("E:extra is not found")),
                ("{.spec.nul.x}", Err("E:x is not found")),
                ("{.spec.items[?(@.extra)].name}", Ok("c")),
                ("{.spec.items[*].tags[0]}", Ok("x")),
                ("{.spec.items[?(@.name==\"zz\")].x}", Ok("")),
            ],
            |p, d| p.execute(d, false),
        );
    }

    #[test]
    #[rustfmt::skip]
    fn matches_kubectl_jsonpath_as_json() {
        check(OBJ, &[
        ("{.spec.items[*].name}", Ok("[\n    \"a\",\n    \"b\",\n    \"c\"\n]\n")),
        ("{.metadata.name}{\"\\n\"}", Ok("[\n    \"w1\"\n]\n[\n    \"\\n\"\n]\n")),
        ("{.spec.map}", Ok("[\n    {\n        \"a\": \"x\",\n        \"b\": 2,\n        \"c\": [\n            1,\n            2\n        ],\n        \"d\": {\n            \"e\": null\n        }\n    }\n]\n")),
        ("{range .spec.items[*]}{.name}{end}", Ok("[\n    \"a\"\n]\n[\n    \"b\"\n]\n[\n    \"c\"\n]\n")),
        ("{.nope}", Ok("[]\n")),
        ("{.spec.str}", Ok("[\n    \"a\\u003cb\\u003e\\u0026c\"\n]\n")),
        ("{.spec.emptyarr}", Ok("[\n    []\n]\n")),
        ("{.spec.huge} {.spec.small} {.spec.float} {.spec.big}", Ok("[\n    1e+21\n]\n[\n    \" \"\n]\n[\n    0.00001\n]\n[\n    \" \"\n]\n[\n    1.5\n]\n[\n    \" \"\n]\n[\n    1000000\n]\n")),
        ("text{.spec.int}", Ok("[\n    \"text\"\n]\n[\n    3\n]\n")),
        ("{.spec.esc}", Ok("[\n    \"q\\\"\\\\\\n\\t\\u0001\\u2028\"\n]\n")),
        ], |p, d| p.execute_as_json(d));
    }

    #[test]
    #[rustfmt::skip]
    fn matches_kubectl_on_lists() {
        check(
            LIST,
            &[
                ("{.items[*].metadata.name}", Ok("c1 c2 c3")),
                ("{range .items[*]}{.metadata.name}{\"\\t\"}{.data.k}{\"\\n\"}{end}", Ok("c1\tv1\nc2\tv2\nc3\t\n")),
                ("{.items[?(@.metadata.labels.tier)].metadata.name}", Ok("c1")),
                ("{.items[?(@.metadata.labels.app==\"web\")].metadata.name}", Ok("c1 c2")),
                ("{.items[*].data}", Ok("{\"k\":\"v1\",\"n\":\"10\"} {\"k\":\"v2\"}")),
                ("{.kind} {.metadata}", Ok("List {\"resourceVersion\":\"\"}")),
                ("{.items[0:2].metadata.labels.app}", Ok("web web")),
            ],
            |p, d| p.execute(d, true),
        );
    }

    #[test]
    fn map_wildcards_use_sorted_keys() {
        // Go's map order is random here; sorted order is the stable choice.
        check(
            OBJ,
            &[("{.spec.map.*}", Ok("x 2 [1,2] {\"e\":null}"))],
            |p, d| p.execute(d, true),
        );
    }

    #[test]
    fn existence_filter_counts_failed_index_as_match() {
        check(
            OBJ,
            &[("{.spec.items[?(@.tags[5])].name}", Ok("a"))],
            |p, d| p.execute(d, true),
        );
    }

    #[test]
    fn relaxes_like_kubectl() {
        for (input, want) in [
            ("metadata.name", "{.metadata.name}"),
            (".a", "{.a}"),
            ("{a}", "{.a}"),
            ("{.a}", "{.a}"),
            (".", "{..}"),
            ("{.}", "{..}"),
            ("", ""),
        ] {
            assert_eq!(relaxed_expression(input).unwrap(), want);
        }
        assert!(relaxed_expression("{a}{b}").is_err());
        assert_eq!(
            JsonPath::parse_kubectl("metadata.name").unwrap().template(),
            "{.metadata.name}"
        );
    }

    #[test]
    fn formats_floats_like_go() {
        let cases = [
            (1.5, "1.5", "1.5"),
            (1e6, "1e+06", "1000000"),
            (123456.0, "123456", "123456"),
            (1e-5, "1e-05", "0.00001"),
            (1e-7, "1e-07", "1e-7"),
            (1e21, "1e+21", "1e+21"),
            (-2.5e-300, "-2.5e-300", "-2.5e-300"),
        ];
        for (f, v, json) in cases {
            assert_eq!(
                (go_float_v(f).as_str(), go_json_float(f).as_str()),
                (v, json)
            );
        }
    }

    #[test]
    fn find_returns_values_per_action() {
        let data: Value = serde_json::from_str(OBJ).unwrap();
        let found = JsonPath::parse("{.spec.int}x{.nope}")
            .unwrap()
            .find(&data)
            .unwrap();
        assert_eq!(
            found,
            vec![vec![Value::from(3)], vec![Value::from("x")], vec![]]
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let template = "{range @}".repeat(2000);
        assert!(JsonPath::parse(&template)
            .unwrap()
            .execute(&Value::Null, true)
            .is_err());
    }
}
