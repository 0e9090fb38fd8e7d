//! Parser for kubectl's JSONPath template dialect, mirroring the grammar (and the
//! quirks) of client-go's `util/jsonpath` parser so templates behave as in kubectl.

/// One bound of a slice `[start:end:step]`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Param {
    /// Whether the bound was given (or derived).
    pub known: bool,
    /// The bound's value.
    pub value: i64,
    /// True for the end bound implied by a plain index `[i]` (it becomes `i+1`).
    pub derived: bool,
}

/// A node of a parsed template.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    /// Literal text, from outside braces or a quoted string.
    Text(String),
    /// `.name` or `['name']`.
    Field(String),
    /// A bare word such as `range` or `end`.
    Identifier(String),
    /// `[i]`, `[a:b:c]`, `[*]`.
    Array([Param; 3]),
    /// `[?(left op right)]`; `op` is `exists` for `[?(@.x)]`.
    Filter {
        left: Vec<Node>,
        right: Vec<Node>,
        op: String,
    },
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `.*`
    Wildcard,
    /// `..`
    Recursive,
    /// `[a,b]`: each branch evaluated on the same input.
    Union(Vec<Vec<Node>>),
    /// The contents of one `{...}` action.
    List(Vec<Node>),
}

/// Sub-templates (unions, filters, quoted keys) are parsed recursively; this bound keeps
/// hostile input from exhausting the stack.
const MAX_DEPTH: usize = 64;

/// Parses a whole template into its top-level nodes (`Text` and `List`).
pub(super) fn parse_template(text: &str) -> Result<Vec<Node>, String> {
    parse_at_depth(text, 0)
}

fn parse_at_depth(text: &str, depth: usize) -> Result<Vec<Node>, String> {
    if depth > MAX_DEPTH {
        return Err("template nested too deeply".to_string());
    }
    let mut p = Parser {
        input: text,
        pos: 0,
        start: 0,
        width: 0,
        depth,
    };
    let mut root = Vec::new();
    loop {
        match text[p.pos..].find('{') {
            None => {
                if p.pos < text.len() {
                    root.push(Node::Text(text[p.pos..].to_string()));
                }
                return Ok(root);
            }
            Some(off) => {
                if off > 0 {
                    root.push(Node::Text(text[p.pos..p.pos + off].to_string()));
                }
                p.pos += off + 1;
                p.start = p.pos;
                root.push(Node::List(p.parse_action()?));
            }
        }
    }
}

/// Parses `text` as the inside of one action, like client-go's `parseAction`: the text is
/// wrapped in braces and only the first action is kept.
fn parse_sub(text: &str, depth: usize) -> Result<Vec<Node>, String> {
    let nodes = parse_at_depth(&format!("{{{text}}}"), depth + 1)?;
    match nodes.into_iter().next() {
        Some(Node::List(list)) => Ok(list),
        _ => Ok(Vec::new()),
    }
}

struct Parser<'s> {
    input: &'s str,
    pos: usize,
    start: usize,
    width: usize,
    depth: usize,
}

impl<'s> Parser<'s> {
    fn next(&mut self) -> Option<char> {
        match self.input[self.pos..].chars().next() {
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                Some(c)
            }
            None => {
                self.width = 0;
                None
            }
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    fn consume(&mut self) -> &'s str {
        let value = &self.input[self.start..self.pos];
        self.start = self.pos;
        value
    }

    /// The byte two before the cursor: the character preceding a just-read quote, used
    /// (as client-go does) to decide whether that quote was escaped.
    fn escaped(&self) -> bool {
        self.pos >= 2 && self.input.as_bytes()[self.pos - 2] == b'\\'
    }

    /// Parses one action up to and including its closing brace.
    fn parse_action(&mut self) -> Result<Vec<Node>, String> {
        let mut cur = Vec::new();
        loop {
            let rest = &self.input[self.pos..];
            if rest.starts_with('}') {
                self.pos += 1;
                self.start = self.pos;
                return Ok(cur);
            }
            if rest.starts_with("[?(") {
                self.parse_filter(&mut cur)?;
                continue;
            }
            if rest.starts_with("..") {
                self.parse_recursive(&mut cur)?;
                continue;
            }
            match self.next() {
                None | Some('\r' | '\n') => return Err("unclosed action".to_string()),
                Some(' ' | '@' | '$') => {
                    // Whitespace and the current/root object markers are no-ops.
                    self.start = self.pos;
                }
                Some('[') => self.parse_array(&mut cur)?,
                Some(q @ ('"' | '\'')) => self.parse_quote(&mut cur, q)?,
                Some('.') => self.parse_field(&mut cur),
                Some(c) if c == '+' || c == '-' || is_digit(c) => {
                    self.backup();
                    self.parse_number(&mut cur)?;
                }
                Some(c) if is_alphanumeric(c) => {
                    self.backup();
                    self.parse_identifier(&mut cur);
                }
                Some(c) => return Err(format!("unrecognized character in action: {}", go_rune(c))),
            }
        }
    }

    fn parse_identifier(&mut self, cur: &mut Vec<Node>) {
        loop {
            let c = self.next();
            if is_terminator(c) {
                self.backup();
                break;
            }
        }
        let value = self.consume();
        cur.push(match value {
            "true" => Node::Bool(true),
            "false" => Node::Bool(false),
            _ => Node::Identifier(value.to_string()),
        });
    }

    fn parse_recursive(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if matches!(cur.last(), Some(Node::Recursive)) {
            return Err("invalid multiple recursive descent".to_string());
        }
        self.pos += 2;
        self.start = self.pos;
        cur.push(Node::Recursive);
        if self.peek().is_some_and(is_alphanumeric) {
            self.parse_field(cur);
        }
        Ok(())
    }

    fn parse_number(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if matches!(self.peek(), Some('+' | '-')) {
            self.next();
        }
        loop {
            match self.next() {
                Some(c) if c == '.' || is_digit(c) => {}
                _ => {
                    self.backup();
                    break;
                }
            }
        }
        let value = self.consume();
        if let Ok(i) = value.parse::<i64>() {
            cur.push(Node::Int(i));
            return Ok(());
        }
        match value.parse::<f64>() {
            // Go's ParseFloat reports overflow as an error; Rust yields infinity.
            Ok(f) if f.is_finite() => {
                cur.push(Node::Float(f));
                Ok(())
            }
            _ => Err(format!("cannot parse number {value}")),
        }
    }

    fn parse_array(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated array".to_string()),
                Some(']') => break,
                Some(_) => {}
            }
        }
        let depth = self.depth;
        let text = self.consume();
        let mut inner = &text[1..text.len() - 1];
        if inner == "*" {
            inner = ":";
        }

        let parts: Vec<&str> = inner.split(',').collect();
        if parts.len() > 1 {
            let mut branches = Vec::with_capacity(parts.len());
            for part in parts {
                branches.push(parse_sub(&format!("[{}]", part.trim_matches(' ')), depth)?);
            }
            cur.push(Node::Union(branches));
            return Ok(());
        }

        // A quoted key such as ['name'] is re-parsed as `.name` (so dots inside it still
        // split fields, as in kubectl).
        if inner.len() >= 2
            && inner.starts_with('\'')
            && inner.ends_with('\'')
            && !inner[1..inner.len() - 1].contains('\'')
        {
            cur.extend(parse_sub(
                &format!(".{}", &inner[1..inner.len() - 1]),
                depth,
            )?);
            return Ok(());
        }

        cur.push(Node::Array(parse_slice(inner)?));
        Ok(())
    }

    fn parse_filter(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        self.pos += 3;
        self.start = self.pos;
        let (mut begin, mut end) = (false, false);
        let mut pair = '"';
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated filter".to_string()),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    if !self.escaped() && q == pair {
                        end = true;
                    }
                }
                // A ')' inside a quoted operand does not close the filter.
                Some(')') if begin == end => break,
                Some(_) => {}
            }
        }
        if self.next() != Some(']') {
            return Err("unclosed array expect ]".to_string());
        }
        let depth = self.depth;
        let text = self.consume();
        let text = &text[..text.len() - 2];
        match split_comparison(text) {
            None => {
                let left = parse_sub(text, depth)?;
                cur.push(Node::Filter {
                    left,
                    right: Vec::new(),
                    op: "exists".to_string(),
                });
            }
            Some((left, op, right)) => {
                let left = parse_sub(left, depth)?;
                let right = parse_sub(right, depth)?;
                cur.push(Node::Filter {
                    left,
                    right,
                    op: op.to_string(),
                });
            }
        }
        Ok(())
    }

    fn parse_quote(&mut self, cur: &mut Vec<Node>, end: char) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated quoted string".to_string()),
                Some(c) if c == end && !self.escaped() => break,
                Some(_) => {}
            }
        }
        let value = self.consume();
        let text = unquote(value).map_err(|e| format!("unquote string {value} error {e}"))?;
        cur.push(Node::Text(text));
        Ok(())
    }

    fn parse_field(&mut self, cur: &mut Vec<Node>) {
        self.start = self.pos;
        loop {
            match self.next() {
                // A backslash escapes the next character (e.g. `\.` in label keys).
                Some('\\') => {
                    self.next();
                }
                c if is_terminator(c) => {
                    self.backup();
                    break;
                }
                _ => {}
            }
        }
        let value = self.consume();
        if value == "*" {
            cur.push(Node::Wildcard);
        } else {
            cur.push(Node::Field(value.replace('\\', "")));
        }
    }
}

/// Splits a filter body like client-go's `^([^!<>=]+)([!<>=]+)(.+?)$`.
fn split_comparison(text: &str) -> Option<(&str, &str, &str)> {
    let is_op = |b: u8| matches!(b, b'!' | b'<' | b'>' | b'=');
    let i = text.bytes().position(is_op)?;
    if i == 0 {
        return None;
    }
    let mut j = i + text[i..].bytes().take_while(|b| is_op(*b)).count();
    if j == text.len() {
        // The right operand needs at least one character, taken back from the operator.
        if j - i < 2 {
            return None;
        }
        j -= 1;
    }
    Some((&text[..i], &text[i..j], &text[j..]))
}

/// Parses `start:end:step` like client-go's slice regex `^(-?\d*)(:-?\d*)?(:-?\d*)?$`.
fn parse_slice(text: &str) -> Result<[Param; 3], String> {
    let pieces: Vec<&str> = text.split(':').collect();
    let valid = |s: &str| {
        let digits = s.strip_prefix('-').unwrap_or(s);
        digits.bytes().all(|b| b.is_ascii_digit())
    };
    if pieces.len() > 3 || !pieces.iter().all(|p| valid(p)) {
        return Err(format!("invalid array index {text}"));
    }
    let mut params = [Param::default(); 3];
    for i in 0..3 {
        match pieces.get(i) {
            // `a:` or `a::` leave this bound open.
            Some(piece) if i > 0 && piece.is_empty() => {}
            Some(piece) if i > 0 || !piece.is_empty() => {
                let value = piece
                    .parse::<i64>()
                    .map_err(|_| format!("array index {piece} is not a number"))?;
                params[i] = Param {
                    known: true,
                    value,
                    derived: false,
                };
            }
            _ if i == 1 => {
                params[1] = Param {
                    known: true,
                    value: params[0].value.wrapping_add(1),
                    derived: true,
                };
            }
            _ => {}
        }
    }
    Ok(params)
}

/// Go's `strconv.Unquote`, extended (like client-go) to single-quoted strings.
fn unquote(s: &str) -> Result<String, &'static str> {
    const SYNTAX: &str = "invalid syntax";
    let quote = s.chars().next().ok_or(SYNTAX)?;
    if s.len() < 2 || !s.ends_with(quote) || !matches!(quote, '"' | '\'') {
        return Err(SYNTAX);
    }
    let inner = &s[1..s.len() - 1];
    if !inner.contains('\\') && !inner.contains(quote) {
        return Ok(inner.to_string());
    }
    // Bytes, because `\xNN` may produce bytes that are not UTF-8 on their own.
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == quote {
            return Err(SYNTAX);
        }
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let e = chars.next().ok_or(SYNTAX)?;
        let simple = match e {
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0b),
            '\\' => Some(b'\\'),
            '\'' | '"' if e == quote => Some(e as u8),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        match e {
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut v: u32 = 0;
                for _ in 0..n {
                    let d = chars.next().and_then(|h| h.to_digit(16)).ok_or(SYNTAX)?;
                    v = (v << 4) | d;
                }
                if e == 'x' {
                    out.push(v as u8);
                } else {
                    let ch = char::from_u32(v).ok_or(SYNTAX)?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
            }
            '0'..='7' => {
                let mut v = e as u32 - '0' as u32;
                for _ in 0..2 {
                    let d = chars.next().and_then(|o| o.to_digit(8)).ok_or(SYNTAX)?;
                    v = (v << 3) | d;
                }
                out.push(u8::try_from(v).map_err(|_| SYNTAX)?);
            }
            _ => return Err(SYNTAX),
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn is_terminator(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => matches!(
            c,
            ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'
        ),
    }
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || is_digit(c)
}

/// Go's `%#U`: `U+0021 '!'`, without the quoted form for non-printable runes.
fn go_rune(c: char) -> String {
    let printable = !c.is_control() && !c.is_whitespace() || c == ' ';
    if printable {
        format!("U+{:04X} '{c}'", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_range_template() {
        let nodes = parse_template("{range .items[*]}{.a}{end}x").unwrap();
        assert_eq!(nodes.len(), 4);
        assert_eq!(nodes[3], Node::Text("x".into()));
        assert!(matches!(&nodes[0], Node::List(l) if l[0] == Node::Identifier("range".into())));
    }

    #[test]
    fn slices_and_comparisons() {
        let p = parse_slice("-1").unwrap();
        assert_eq!((p[0].value, p[1].value, p[1].derived), (-1, 0, true));
        let p = parse_slice("1:").unwrap();
        assert!(p[0].known && !p[1].known && !p[2].known);
        assert_eq!(split_comparison("@.a==\"x\""), Some(("@.a", "==", "\"x\"")));
        assert_eq!(split_comparison("@.a=="), Some(("@.a", "=", "=")));
        assert_eq!(split_comparison("@.a"), None);
        assert_eq!(split_comparison("!@.a"), None);
    }

    /// Messages captured from `kubectl -o jsonpath=<template>` (1.32).
    #[test]
    #[rustfmt::skip]
    fn parse_errors_match_kubectl() {
        let cases = [
            ("{\"unterminated}", "unterminated quoted string"),
            ("{.x", "unclosed action"),
            ("{.spec.items[}", "unterminated array"),
            ("{.spec.items[?(@.n>1]}", "unterminated filter"),
            ("{.spec.items[a]}", "invalid array index a"),
            ("{.spec.items[1:2:3:4]}", "invalid array index 1:2:3:4"),
            ("{....x}", "invalid multiple recursive descent"),
            ("{.spec.map..*}", "unrecognized character in action: U+002A '*'"),
            ("{.spec.items[?(@.n==)]}", "unrecognized character in action: U+003D '='"),
            ("{.spec.items[?(!@.n)]}", "unrecognized character in action: U+0021 '!'"),
            ("{\"\\q\"}", "unquote string \"\\q\" error invalid syntax"),
            ("{.spec.items[-]}", "array index - is not a number"),
            ("{.spec.items[0:x]}", "invalid array index 0:x"),
            ("{\t.x}", "unrecognized character in action: U+0009"),
            ("{.spec.int}}{{.spec.neg}", "unrecognized character in action: U+007B '{'"),
            ("{.spec.items[?(@.name)]", "unclosed action"),
        ];
        for (template, want) in cases {
            assert_eq!(parse_template(template).unwrap_err(), want, "template {template:?}");
        }
    }

    #[test]
    fn unquotes_like_go() {
        assert_eq!(unquote(r#""a\tb""#).unwrap(), "a\tb");
        assert_eq!(unquote(r"'it\'s'").unwrap(), "it's");
        assert_eq!(unquote(r#""\101\x42\u00e9""#).unwrap(), "ABé");
        assert!(unquote(r#""\'""#).is_err());
        assert!(unquote(r#""\400""#).is_err());
    }
}
