//! `-o custom-columns=HEADER:path,...` and `-o custom-columns-file=`: parsing the column specs
//! and computing each cell's text exactly as kubectl does (table layout is the caller's).

use serde_json::Value;

use super::jsonpath::{go_sprint, relaxed_expression, JsonPath, JsonPathError};

/// One user-specified column.
#[derive(Debug, Clone)]
pub struct Column {
    /// Header text, printed as given.
    pub header: String,
    /// The (relaxed) JSONPath selecting the cell values.
    pub path: JsonPath,
}

/// Parses `NAME:.metadata.name,IMAGE:.spec.containers[*].image`. Paths are relaxed as kubectl
/// does (`metadata.name`, `{.metadata.name}`, ...). Spec errors for every column are reported
/// before any JSONPath parse error, matching kubectl's order.
pub fn parse_spec(spec: &str) -> Result<Vec<Column>, JsonPathError> {
    if spec.is_empty() {
        return Err(JsonPathError::Parse(
            "custom-columns format specified but no custom columns given".to_string(),
        ));
    }
    let mut pairs = Vec::new();
    for part in spec.split(',') {
        let Some((header, path)) = part.split_once(':') else {
            return Err(JsonPathError::Parse(format!(
                "unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"
            )));
        };
        pairs.push((header.to_string(), relaxed_expression(path)?));
    }
    build(pairs)
}

/// Parses a custom-columns file: the first line holds whitespace-separated headers, the second
/// the matching paths; further lines are ignored (as in kubectl).
pub fn parse_file(text: &str) -> Result<Vec<Column>, JsonPathError> {
    const FORMAT: &str = "Expected format is one line of space separated headers, one line of space separated column specs.";
    let mut lines = scan_lines(text);
    let headers: Vec<&str> = match lines.next() {
        Some(line) => line.split_whitespace().collect(),
        None => {
            return Err(JsonPathError::Parse(format!(
                "invalid template, missing header line. {FORMAT}"
            )))
        }
    };
    let specs: Vec<&str> = match lines.next() {
        Some(line) => line.split_whitespace().collect(),
        None => {
            return Err(JsonPathError::Parse(format!(
                "invalid template, missing spec line. {FORMAT}"
            )))
        }
    };
    if headers.len() != specs.len() {
        return Err(JsonPathError::Parse(format!(
            "number of headers ({}) and field specifications ({}) don't match",
            headers.len(),
            specs.len()
        )));
    }
    let mut pairs = Vec::new();
    for (header, spec) in headers.into_iter().zip(specs) {
        pairs.push((header.to_string(), relaxed_expression(spec)?));
    }
    build(pairs)
}

/// Lines as Go's `bufio.ScanLines` yields them: no trailing empty line, `\r\n` accepted.
fn scan_lines(text: &str) -> impl Iterator<Item = &str> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines = if text.is_empty() {
        None
    } else {
        Some(body.split('\n'))
    };
    lines
        .into_iter()
        .flatten()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
}

fn build(pairs: Vec<(String, String)>) -> Result<Vec<Column>, JsonPathError> {
    pairs
        .into_iter()
        .map(|(header, path)| {
            Ok(Column {
                header,
                path: JsonPath::parse(&path)?,
            })
        })
        .collect()
}

/// The header row.
pub fn headers(columns: &[Column]) -> Vec<String> {
    columns.iter().map(|c| c.header.clone()).collect()
}

/// One row of cells per object (pass list items, not the list). A cell is every value found,
/// printed like Go's `fmt.Sprint` and joined with `,`; `<none>` when the path finds nothing.
pub fn rows(columns: &[Column], objects: &[Value]) -> Result<Vec<Vec<String>>, JsonPathError> {
    objects
        .iter()
        .map(|obj| columns.iter().map(|col| cell(&col.path, obj)).collect())
        .collect()
}

fn cell(path: &JsonPath, obj: &Value) -> Result<String, JsonPathError> {
    let results = path.find(obj)?;
    let mut parts = Vec::new();
    // kubectl only looks at the first action's values to decide on `<none>`.
    if results.first().is_none_or(Vec::is_empty) {
        parts.push("<none>".to_string());
    }
    for value in results.iter().flatten() {
        parts.push(escape_terminal(&go_sprint(value)));
    }
    Ok(parts.join(","))
}

/// kubectl's `EscapeTerminal`: neutralises escape sequences and carriage returns.
fn escape_terminal(s: &str) -> String {
    s.replace('\x1b', "^[").replace('\r', "\\r")
}

#[cfg(test)]
mod tests {
    //! Expected cells were captured from `kubectl get -o custom-columns=X:<path>` (1.32).
    use super::*;

    const W1: &str = r##"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"creationTimestamp":"2026-11-21T23:22:58Z","labels":{"app":"web","app.kubernetes.io/name":"wid"},"name":"w1","namespace":"default","resourceVersion":"7","uid":"13c0bb8a-3970-4b3d-99c8-2de5df4495aa"},"spec":{"arr":[1,"x",true,null,{"k":"v"},[2,3]],"big":1000000,"bigf":1234567.5,"empty":"","emptyarr":[],"emptyobj":{},"esc":"q\"\\\n\t\u0001 ","f":false,"float":1.5,"h20":1e+20,"huge":1e+21,"int":3,"items":[{"n":1,"name":"a","tags":["x","y"],"v":1.5},{"n":2,"name":"b","v":2.5},{"extra":"e","n":3,"name":"c"}],"map":{"a":"x","b":2,"c":[1,2],"d":{"e":null}},"neg":-7,"nul":null,"one":1,"small":0.00001,"str":"a<b>&c","t":true}}"##;
    const LIST: &str = r##"{"apiVersion":"v1","items":[{"apiVersion":"v1","data":{"k":"v1","n":"10"},"kind":"ConfigMap","metadata":{"labels":{"app":"web","grp":"g","tier":"fe"},"name":"c1","namespace":"default"}},{"apiVersion":"v1","data":{"k":"v2"},"kind":"ConfigMap","metadata":{"labels":{"app":"web","grp":"g"},"name":"c2","namespace":"default"}},{"apiVersion":"v1","kind":"ConfigMap","metadata":{"labels":{"app":"db","grp":"g"},"name":"c3","namespace":"default"}}],"kind":"List","metadata":{"resourceVersion":""}}"##;

    fn cells(data: &str, items: bool, cases: &[(&str, &[&str])]) {
        let data: Value = serde_json::from_str(data).unwrap();
        let objects = if items {
            data["items"].as_array().unwrap().clone()
        } else {
            vec![data]
        };
        for (path, want) in cases {
            let columns = parse_spec(&format!("X:{path}")).unwrap();
            assert_eq!(headers(&columns), ["X"]);
            let got: Vec<String> = rows(&columns, &objects)
                .unwrap()
                .into_iter()
                .map(|r| r.join("|"))
                .collect();
            assert_eq!(got, *want, "path {path:?}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn matches_kubectl_single_object() {
        cells(W1, false, &[
        (".metadata.name", &["w1"]),
        ("metadata.name", &["w1"]),
        ("{.metadata.labels}", &["map[app:web app.kubernetes.io/name:wid]"]),
        ("{data.k}", &["<none>"]),
        (".spec.map", &["map[a:x b:2 c:[1 2] d:map[e:<nil>]]"]),
        (".spec.arr", &["[1 x true <nil> map[k:v] [2 3]]"]),
        (".spec.float", &["1.5"]),
        (".spec.big", &["1000000"]),
        (".spec.nul", &["<nil>"]),
        (".spec.items[*].name", &["a,b,c"]),
        (".spec.emptyarr", &["[]"]),
        (".spec.emptyobj", &["map[]"]),
        (".spec.huge", &["1e+21"]),
        (".spec.small", &["1e-05"]),
        (".spec.bigf", &["1.2345675e+06"]),
        (".spec.h20", &["1e+20"]),
        (".spec.t", &["true"]),
        (".spec.empty", &[""]),
        (".spec.items[*].tags", &["[x y]"]),
        (".nope", &["<none>"]),
        ("{$.metadata.name}", &["<none>"]),
        ("", &["<none>"]),
        ("..name", &["w1,a,b,c"]),
        (".spec.items[?(@.n>1)].name", &["b,c"]),
        (".spec.items[*].extra", &["e"]),
        (".spec.int", &["3"]),
        (".data", &["<none>"]),
        ("{.metadata.labels.app}", &["web"]),
        ("metadata.labels.app\\.kubernetes\\.io/name", &["wid"]),
        ("{.metadata.labels['app']}", &["web"]),
        (".spec.items[*]", &["map[n:1 name:a tags:[x y] v:1.5],map[n:2 name:b v:2.5],map[extra:e n:3 name:c]"]),
        (".spec.items[0].v", &["1.5"]),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn matches_kubectl_list_items() {
        cells(
            LIST,
            true,
            &[
                (".metadata.name", &["c1", "c2", "c3"]),
                ("metadata.name", &["c1", "c2", "c3"]),
                ("{.metadata.labels}", &["map[app:web grp:g tier:fe]", "map[app:web grp:g]", "map[app:db grp:g]"]),
                ("{data.k}", &["v1", "v2", "<none>"]),
                (".spec.map", &["<none>", "<none>", "<none>"]),
                (".spec.arr", &["<none>", "<none>", "<none>"]),
                (".spec.float", &["<none>", "<none>", "<none>"]),
                (".spec.big", &["<none>", "<none>", "<none>"]),
                (".spec.nul", &["<none>", "<none>", "<none>"]),
                (".spec.items[*].name", &["<none>", "<none>", "<none>"]),
                (".spec.emptyarr", &["<none>", "<none>", "<none>"]),
                (".spec.emptyobj", &["<none>", "<none>", "<none>"]),
                (".spec.huge", &["<none>", "<none>", "<none>"]),
                (".spec.small", &["<none>", "<none>", "<none>"]),
                (".spec.bigf", &["<none>", "<none>", "<none>"]),
                (".spec.h20", &["<none>", "<none>", "<none>"]),
                (".spec.t", &["<none>", "<none>", "<none>"]),
                (".spec.empty", &["<none>", "<none>", "<none>"]),
                (".spec.items[*].tags", &["<none>", "<none>", "<none>"]),
                (".nope", &["<none>", "<none>", "<none>"]),
                ("{$.metadata.name}", &["<none>", "<none>", "<none>"]),
                ("", &["<none>", "<none>", "<none>"]),
                ("..name", &["c1", "c2", "c3"]),
                (".spec.items[?(@.n>1)].name", &["<none>", "<none>", "<none>"]),
                (".spec.items[*].extra", &["<none>", "<none>", "<none>"]),
                (".spec.int", &["<none>", "<none>", "<none>"]),
                (".data", &["map[k:v1 n:10]", "map[k:v2]", "<none>"]),
                ("{.metadata.labels.app}", &["web", "web", "db"]),
                ("metadata.labels.app\\.kubernetes\\.io/name", &["<none>", "<none>", "<none>"]),
                ("{.metadata.labels['app']}", &["web", "web", "db"]),
                (".spec.items[*]", &["<none>", "<none>", "<none>"]),
                (".spec.items[0].v", &["<none>", "<none>", "<none>"]),
            ],
        );
    }

    #[test]
    #[rustfmt::skip]
    fn spec_errors_match_kubectl() {
        let data: Value = serde_json::from_str(W1).unwrap();
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("bad", Err("P:unexpected custom-columns spec: bad, expected <header>:<json-path-expr>")),
            ("X:{a}{b}", Err("P:unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'")),
            ("X:.spec.items[", Err("P:unterminated array")),
            ("X:.x!", Ok("<none>")),
            ("X:{range .x}", Ok("<none>")),
            ("A:.a,B", Err("P:unexpected custom-columns spec: B, expected <header>:<json-path-expr>")),
            ("A:{.x}}", Err("P:unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'")),
            ("", Err("P:custom-columns format specified but no custom columns given")),
        ];
        for (spec, expected) in cases {
            let got = parse_spec(spec)
                .and_then(|c| rows(&c, std::slice::from_ref(&data)))
                .map(|r| r.concat().join("|"));
            let got = got.map_err(|e| format!("P:{e}"));
            assert_eq!(
                got.as_ref().map(String::as_str).map_err(String::as_str),
                *expected,
                "spec {spec:?}"
            );
        }
    }

    #[test]
    fn parses_columns_file() {
        let data: Value = serde_json::from_str(W1).unwrap();
        let columns = parse_file("A   B\r\n.metadata.name {.spec.int}\nignored\n").unwrap();
        assert_eq!(headers(&columns), ["A", "B"]);
        assert_eq!(rows(&columns, &[data]).unwrap(), [["w1", "3"]]);
        let err = parse_file("A B\n.metadata.name\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "number of headers (2) and field specifications (1) don't match"
        );
        assert!(parse_file("")
            .unwrap_err()
            .to_string()
            .contains("missing header line"));
        assert!(parse_file("A\n")
            .unwrap_err()
            .to_string()
            .contains("missing spec line"));
    }

    #[test]
    fn escapes_terminal_sequences() {
        let columns = parse_spec("X:.a").unwrap();
        let data = serde_json::json!({"a": "x\u{1b}[31m\ry"});
        assert_eq!(rows(&columns, &[data]).unwrap(), [["x^[[31m\\ry"]]);
    }
}
