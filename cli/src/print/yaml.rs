//! `-o yaml` output identical to kubectl's: the object goes through sigs.k8s.io/yaml (JSON → go-yaml v2),
//! so this file re-implements go-yaml v2's YAML 1.1 resolver, key order and libyaml emitter for JSON values.
//!
//! serde-saphyr is not used here: its serializer cannot reproduce go-yaml's choice between plain, single- and
//! double-quoted scalars, its folding of long scalars at column 80, its "natural" key order (`a2` < `a10`) or
//! YAML 1.1 resolution (`y`, `on`, `0b1`, `1:20` need quotes).

use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;

/// One object (or List) as kubectl -o yaml prints it, ending with a newline.
pub fn to_yaml(v: &Value) -> String {
    let mut e = Emitter::new();
    e.node(v, Ctx::default());
    // Document end: go-yaml writes an indent (a line break unless already at a fresh line); `finish()` clears
    // open_ended so no "..." marker follows a root scalar.
    e.indent = -1;
    e.write_indent();
    e.out
}

/// Like [`to_yaml`], but fails as kubectl does ("yaml: control characters are not allowed") when a string
/// holds a character go-yaml's reader rejects once Go's JSON encoder has left it unescaped (DEL, C1 controls
/// other than NEL, U+FFFE, U+FFFF).
pub fn try_to_yaml(v: &Value) -> Result<String, String> {
    fn bad(v: &Value) -> bool {
        let bad_str = |s: &str| {
            s.chars()
                .any(|c| matches!(u32::from(c), 0x7F..=0x84 | 0x86..=0x9F | 0xFFFE | 0xFFFF))
        };
        match v {
            Value::String(s) => bad_str(s),
            Value::Array(a) => a.iter().any(bad),
            Value::Object(m) => m.iter().any(|(k, v)| bad_str(k) || bad(v)),
            _ => false,
        }
    }
    if bad(v) {
        return Err("yaml: control characters are not allowed".into());
    }
    Ok(to_yaml(v))
}

/// go-yaml reads Go's JSON text back as YAML, and Go leaves NEL (U+0085) unescaped, so a raw NEL is a line
/// break inside a double-quoted scalar and gets folded: spaces around it vanish, one break becomes a space and
/// n > 1 breaks become n-1 newlines.
fn fold_nel(s: &str) -> Cow<'_, str> {
    if !s.contains('\u{85}') {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        // Find a run of spaces and NELs that contains at least one NEL.
        let mut j = i;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        if chars.get(j) != Some(&'\u{85}') {
            out.extend(&chars[i..j.max(i + 1).min(chars.len())]);
            i = j.max(i + 1);
            continue;
        }
        let mut breaks = 0;
        while j < chars.len() && (chars[j] == ' ' || chars[j] == '\u{85}') {
            breaks += usize::from(chars[j] == '\u{85}');
            j += 1;
        }
        if breaks == 1 {
            out.push(' ');
        } else {
            out.extend(std::iter::repeat_n('\n', breaks - 1));
        }
        i = j;
    }
    Cow::Owned(out)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which is also what `fmt.Sprint(float64)` prints.
pub(crate) fn go_float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let neg = f.is_sign_negative();
    let sign = if neg { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0");
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as Go's shortest mode does.
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    let exp: i64 = exp.parse().unwrap_or(0);
    let nd = digits.len() as i64;
    let dp = exp + 1;
    let mut out = String::from(sign);
    // Shortest mode uses precision 6 to choose between %e and %f.
    if !(-4..6).contains(&exp) {
        out.push(char::from(digits.first().copied().unwrap_or(b'0')));
        if nd > 1 {
            out.push('.');
            out.extend(digits.iter().skip(1).map(|&d| char::from(d)));
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        out.push_str(&a.to_string());
    } else {
        let digit = |i: i64| -> char {
            usize::try_from(i)
                .ok()
                .and_then(|i| digits.get(i))
                .map_or('0', |&d| char::from(d))
        };
        if dp > 0 {
            (0..dp).for_each(|i| out.push(digit(i)));
        } else {
            out.push('0');
        }
        let prec = (nd - dp).max(0);
        if prec > 0 {
            out.push('.');
            (1..=prec).for_each(|i| out.push(digit(dp + i - 1)));
        }
    }
    out
}

/// A JSON number as go-yaml prints it after sigs.k8s.io/yaml round-trips it through Go's JSON encoder.
fn number_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    // kubectl decodes numbers outside int64 (and any with a fraction or exponent) as float64. Go's JSON
    // encoder writes it with the shortest digits (Rust's Display gives the same text below 1e21), and go-yaml
    // reads that text back as an integer when it fits in 64 bits.
    let f = n.as_f64().unwrap_or(0.0);
    if f.abs() < 1e21 {
        let text = format!("{f}");
        let t = text.strip_prefix('-').unwrap_or(&text);
        if !t.contains('.') && (text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok()) {
            return text.parse::<i64>().map_or(text.clone(), |i| i.to_string());
        }
    }
    go_float_g(f)
}

/// go-yaml v2's map key order (`keyList.Less`) for string keys: letters sort before non-letters and runs
/// of digits compare numerically.
fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let digit = |c: char| c.is_ascii_digit();
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if ar[i] == '0' || br[i] == '0' {
            // A zero inside a number that already had a non-zero digit is significant.
            for j in (0..i).rev() {
                if !digit(ar[j]) {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && digit(ar[ai]) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && digit(br[bi]) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

fn sorted_entries(m: &Map<String, Value>) -> Vec<(Cow<'_, str>, &Value)> {
    let mut v: Vec<(Cow<'_, str>, &Value)> = m.iter().map(|(k, v)| (fold_nel(k), v)).collect();
    v.sort_by(|a, b| {
        if key_less(&a.0, &b.0) {
            Ordering::Less
        } else if key_less(&b.0, &a.0) {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    });
    v
}

// ---- YAML 1.1 resolution (go-yaml v2 resolve.go): does a plain scalar read back as a string? ----

/// Go's `strconv.ParseInt(s, 0, 64)` / `ParseUint(s, 0, 64)` success, for underscore-free input.
fn go_parses_as_int(s: &str) -> bool {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => (0, s),
    };
    if body.is_empty() {
        return false;
    }
    let b = body.as_bytes();
    let (base, digits) = if b[0] == b'0' && b.len() >= 3 && b[1].eq_ignore_ascii_case(&b'b') {
        (2, &body[2..])
    } else if b[0] == b'0' && b.len() >= 3 && b[1].eq_ignore_ascii_case(&b'o') {
        (8, &body[2..])
    } else if b[0] == b'0' && b.len() >= 3 && b[1].eq_ignore_ascii_case(&b'x') {
        (16, &body[2..])
    } else if b[0] == b'0' {
        (8, &body[1..])
    } else {
        (10, body)
    };
    let Some(mag) = parse_radix(digits, base, true) else {
        return false;
    };
    match sign {
        0 => true,
        1 => mag <= i64::MAX as u64,
        _ => mag <= i64::MAX as u64 + 1,
    }
}

/// Unsigned digits in `base` fitting in u64; `allow_empty` mirrors Go accepting "0" as octal with no digits.
fn parse_radix(digits: &str, base: u32, allow_empty: bool) -> Option<u64> {
    if digits.is_empty() && !allow_empty {
        return None;
    }
    let mut v: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(36).filter(|&d| d < base)?;
        v = v.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    Some(v)
}

/// Go's `strconv.ParseInt(s, 2, 64)` or `ParseUint(s, 2, 64)` success.
fn go_parses_binary(s: &str) -> bool {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    match parse_radix(body, 2, false) {
        Some(m) if neg => m <= i64::MAX as u64 + 1,
        Some(_) => true,
        None => false,
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, go-yaml's float syntax.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let count = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if count(&mut i) == 0 {
            return false;
        }
    } else {
        if count(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            count(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if count(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseFloat` success for a string starting with '.' (no sign, hex or inf/nan possible).
fn go_parses_dot_float(s: &str) -> bool {
    if s.contains('_') && !underscore_ok(s) {
        return false;
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    // Underscores inside the exponent are fine for Go; once removed the syntax is go-yaml's float form.
    yaml_style_float(&plain) && plain.parse::<f64>().is_ok_and(f64::is_finite)
}

/// go-yaml's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let st = i;
        while i < b.len() && b[i].is_ascii_digit() && i - st < 2 {
            i += 1;
        }
        match i - st {
            1 => {}
            2 if b[st] <= b'5' => {}
            // Backtracking cases such as ":7" followed by a digit cannot match the regex either.
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

fn days_in(month: u32, year: i64) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Go's `getnum(s, false)`: one or two digits.
fn getnum(s: &[u8]) -> Option<(u32, &[u8])> {
    let d0 = *s.first().filter(|c| c.is_ascii_digit())?;
    match s.get(1) {
        Some(d1) if d1.is_ascii_digit() => {
            Some((u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'), &s[2..]))
        }
        _ => Some((u32::from(d0 - b'0'), &s[1..])),
    }
}

/// go-yaml's `parseTimestamp`: the layouts `2006-1-2T15:4:5.999999999Z07:00` (also with `t`),
/// `2006-1-2 15:4:5.999999999` and `2006-1-2` as Go's `time.Parse` accepts them.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: i64 = s[..4].parse().unwrap_or(0);
    let date = || -> Option<&[u8]> {
        let (month, rest) = getnum(&b[5..])?;
        let rest = rest.strip_prefix(b"-")?;
        let (day, rest) = getnum(rest)?;
        ((1..=12).contains(&month) && day >= 1 && day <= days_in(month, year)).then_some(rest)
    };
    let Some(rest) = date() else { return false };
    if rest.is_empty() {
        return true;
    }
    let (sep, rest) = (rest[0], &rest[1..]);
    if !matches!(sep, b'T' | b't' | b' ') {
        return false;
    }
    let time = || -> Option<&[u8]> {
        let (h, r) = getnum(rest)?;
        let (m, r) = getnum(r.strip_prefix(b":")?)?;
        let (sec, mut r) = getnum(r.strip_prefix(b":")?)?;
        if h >= 24 || m >= 60 || sec >= 60 {
            return None;
        }
        if r.len() >= 2 && matches!(r[0], b'.' | b',') && r[1].is_ascii_digit() {
            r = &r[1..];
            while r.first().is_some_and(u8::is_ascii_digit) {
                r = &r[1..];
            }
        }
        Some(r)
    };
    let Some(zone) = time() else { return false };
    if sep == b' ' {
        return zone.is_empty();
    }
    match zone {
        b"Z" => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let two = |a: u8, c: u8| a.is_ascii_digit() && c.is_ascii_digit();
            two(*h1, *h2)
                && two(*m1, *m2)
                && u32::from(h1 - b'0') * 10 + u32::from(h2 - b'0') <= 24
                && u32::from(m1 - b'0') * 10 + u32::from(m2 - b'0') <= 60
        }
        _ => false,
    }
}

/// Whether go-yaml would read `s` back as a string if it were written plain (its `resolve` returns !!str).
fn resolves_to_str(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no",
        "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null",
        "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF",
    ];
    // go-yaml consults its table only when the first byte hints at a non-string (so "<<" stays a string).
    let hinted = s
        .bytes()
        .next()
        .is_none_or(|c| c.is_ascii_digit() || b"+-yYnNtTfFoO~.".contains(&c));
    if hinted && SPECIAL.contains(&s) {
        return false;
    }
    match s.as_bytes().first() {
        Some(b'.') => !go_parses_dot_float(s),
        Some(c) if c.is_ascii_digit() || *c == b'+' || *c == b'-' => {
            if is_timestamp(s) {
                return false;
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            if go_parses_as_int(&plain) {
                return false;
            }
            if yaml_style_float(&plain) && plain.parse::<f64>().is_ok_and(f64::is_finite) {
                return false;
            }
            if let Some(rest) = plain.strip_prefix("0b") {
                return !go_parses_binary(rest);
            }
            if let Some(rest) = plain.strip_prefix("-0b") {
                return !go_parses_binary(&format!("-{rest}"));
            }
            true
        }
        _ => true,
    }
}

// ---- the libyaml emitter, specialised to the events go-yaml produces for JSON values ----

const BEST_INDENT: i64 = 2;
const BEST_WIDTH: i64 = 80;

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    mapping: bool,
    simple_key: bool,
}

/// What libyaml's `yaml_emitter_analyze_scalar` learns about a scalar.
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_printable(c: char) -> bool {
    let u = u32::from(c);
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

fn is_blankz(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\0' || is_break(c)
}

fn analyze(v: &[char]) -> Analysis {
    if v.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    // Only block context matters: go-yaml emits flow style for empty collections alone, which hold no scalars.
    let mut block_ind = v.len() >= 3 && (v[..3] == ['-', '-', '-'] || v[..3] == ['.', '.', '.']);
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    for (i, &c) in v.iter().enumerate() {
        let followed_by_ws = v.get(i + 1).is_none_or(|&n| n == ' ' || n == '\t');
        block_ind |= if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => true,
                '?' | ':' | '-' => followed_by_ws,
                _ => false,
            }
        } else {
            (c == ':' && followed_by_ws) || (c == '#' && preceded_by_ws)
        };
        if !is_printable(c) {
            special = true;
        }
        let last = i + 1 == v.len();
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= last;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= last;
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = is_blankz(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_ind {
        a.block_plain_allowed = false;
    }
    a
}

struct Emitter {
    out: String,
    column: i64,
    indent: i64,
    indents: Vec<i64>,
    whitespace: bool,
    indention: bool,
}

impl Emitter {
    fn new() -> Self {
        Emitter {
            out: String::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
        }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// libyaml's `write_break`: '\n' is a line break; other break characters are copied and reset the column.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        ind.chars().for_each(|c| self.put(c));
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn node(&mut self, v: &Value, ctx: Ctx) {
        match v {
            Value::Null => self.scalar("null", Style::Plain, ctx),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain, ctx),
            Value::Number(n) => self.scalar(&number_text(n), Style::Plain, ctx),
            Value::String(s) => self.string(&fold_nel(s), ctx),
            Value::Array(a) if a.is_empty() => self.empty_flow("[", "]"),
            Value::Object(m) if m.is_empty() => self.empty_flow("{", "}"),
            Value::Array(a) => self.block_sequence(a, ctx),
            Value::Object(m) => self.block_mapping(m, ctx),
        }
    }

    /// go-yaml's `stringv`: literal for multi-line, plain unless it would read back as another type.
    fn string(&mut self, s: &str, ctx: Ctx) {
        let style = if s.contains('\n') {
            Style::Literal
        } else if resolves_to_str(s) && !is_base60_float(s) {
            Style::Plain
        } else {
            Style::Double
        };
        self.scalar(s, style, ctx);
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    fn block_sequence(&mut self, items: &[Value], ctx: Ctx) {
        // Sequences inside a mapping are not indented ("indentless"), as in `containers:\n- name: x`.
        self.increase_indent(false, ctx.mapping && !self.indention);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Ctx::default());
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, m: &Map<String, Value>, _ctx: Ctx) {
        self.increase_indent(false, false);
        for (k, v) in sorted_entries(m) {
            self.write_indent();
            let key: Vec<char> = k.chars().collect();
            let simple = !analyze(&key).multiline && k.len() <= 128;
            if simple {
                self.string(
                    &k,
                    Ctx {
                        mapping: true,
                        simple_key: true,
                    },
                );
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.string(
                    &k,
                    Ctx {
                        mapping: true,
                        ..Ctx::default()
                    },
                );
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(
                v,
                Ctx {
                    mapping: true,
                    ..Ctx::default()
                },
            );
        }
        self.pop_indent();
    }

    fn scalar(&mut self, s: &str, requested: Style, ctx: Ctx) {
        let v: Vec<char> = s.chars().collect();
        let a = analyze(&v);
        let mut style = requested;
        if ctx.simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && (!a.block_plain_allowed || (v.is_empty() && ctx.simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || ctx.simple_key) {
            style = Style::Double;
        }
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain_or_single(&v, allow_breaks, false),
            Style::Single => self.write_plain_or_single(&v, allow_breaks, true),
            Style::Double => self.write_double(&v, allow_breaks),
            Style::Literal => self.write_literal(&v),
        }
        self.pop_indent();
    }

    /// libyaml's plain and single-quoted writers, which differ only in the quotes and doubling `'`. Leading
    /// and trailing spaces never reach the plain writer, so the single-quoted fold condition serves both.
    fn write_plain_or_single(&mut self, v: &[char], allow_breaks: bool, quoted: bool) {
        if quoted {
            self.write_indicator("'", true, false, false);
        } else if !self.whitespace {
            self.put(' ');
        }
        let (mut spaces, mut breaks) = (false, false);
        for (i, &c) in v.iter().enumerate() {
            if c == ' ' {
                let next_space = v.get(i + 1).is_none_or(|&n| n == ' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && !next_space {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if quoted && c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        if quoted {
            self.write_indicator("'", false, false, false);
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, v: &[char], allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        // libyaml's is_bom looks at the start of the whole value, so a leading BOM escapes every character.
        let bom = v.first() == Some(&'\u{FEFF}');
        let mut spaces = false;
        for (i, &c) in v.iter().enumerate() {
            if !is_printable(c) || bom || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                let short = match c {
                    '\0' => Some('0'),
                    '\u{07}' => Some('a'),
                    '\u{08}' => Some('b'),
                    '\t' => Some('t'),
                    '\n' => Some('n'),
                    '\u{0B}' => Some('v'),
                    '\u{0C}' => Some('f'),
                    '\r' => Some('r'),
                    '\u{1B}' => Some('e'),
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    '\u{85}' => Some('N'),
                    '\u{A0}' => Some('_'),
                    '\u{2028}' => Some('L'),
                    '\u{2029}' => Some('P'),
                    _ => None,
                };
                match short {
                    Some(e) => self.put(e),
                    None => {
                        let u = u32::from(c);
                        let (p, w) = if u <= 0xFF {
                            ('x', 2)
                        } else if u <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(p);
                        format!("{u:0w$X}").chars().for_each(|h| self.put(h));
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i + 1 < v.len() {
                    self.write_indent();
                    if v.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, v: &[char]) {
        self.write_indicator("|", true, false, false);
        if v.first().is_some_and(|&c| c == ' ' || is_break(c)) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        // Chomping: '-' without a final break, '+' with two (or a lone break), none (clip) with exactly one.
        let n = v.len();
        let chomp = if n == 0 || !is_break(v[n - 1]) {
            Some("-")
        } else if n == 1 || is_break(v[n - 2]) {
            Some("+")
        } else {
            None
        };
        if let Some(ch) = chomp {
            self.write_indicator(ch, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in v {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected strings captured from kubectl 1.32 `get -o yaml`.
    #[test]
    fn kubectl_quoting_and_blocks() {
        let v = json!({"data": {"amp": "&x", "bool": "true", "colon": "a: b", "date": "2024-01-01T00:00:00Z",
            "empty": "", "emoji": "\u{1F600}", "lt": "<<", "multi": "l1\nl2\n", "trail": "a\n\n", "num": "1",
            "q": "'q'", "sexa": "190:20:30", "sp": "  i\nl", "tab": "a\tb", "sp_nl": "a \nb", "y": "x",
            "a10": "x", "a2": "x", "nel": "a\u{85}b"},
            "spec": {"r": 2, "f": 1.5, "big": 1e21, "l": [], "m": {}, "c": [{"name": "x", "a": ["a"]}], "z": null}});
        let want = "data:\n  a2: x\n  a10: x\n  amp: '&x'\n  bool: \"true\"\n  colon: 'a: b'\n  \
            date: \"2024-01-01T00:00:00Z\"\n  emoji: \"\\U0001F600\"\n  empty: \"\"\n  lt: <<\n  \
            multi: |\n    l1\n    l2\n  nel: a b\n  num: \"1\"\n  q: '''q'''\n  sexa: \"190:20:30\"\n  \
            sp: |2-\n      i\n    l\n  sp_nl: \"a \\nb\"\n  tab: \"a\\tb\"\n  trail: |+\n    a\n\n  \
            \"y\": x\nspec:\n  big: 1e+21\n  c:\n  - a:\n    - a\n    name: x\n  f: 1.5\n  l: []\n  m: {}\n  \
            r: 2\n  z: null\n";
        assert_eq!(to_yaml(&v), want);
    }

    #[test]
    fn folds_long_scalars_at_80() {
        let long = "The quick brown fox jumps over the lazy dog and keeps running through the forest until it \
                    reaches the river";
        let v = json!({"a": {"plain": long, "single": format!("#{long}")}});
        let want = "a:\n  plain: The quick brown fox jumps over the lazy dog and keeps running through the\n    \
                    forest until it reaches the river\n  single: '#The quick brown fox jumps over the lazy dog and \
                    keeps running through\n    the forest until it reaches the river'\n";
        assert_eq!(to_yaml(&v), want);
    }

    #[test]
    fn resolver_and_floats() {
        for s in [
            "0x1F", "0o17", "017", "1e3", "+1", "-1", "1_000", ".5", "2024-1-2", "-0b101", "0b-1",
        ] {
            assert!(!resolves_to_str(s), "{s}");
        }
        for s in [
            "0b2",
            "1e400",
            "0x",
            "1e",
            "._5",
            "2024-13-01",
            "2024-01-01T25:00:00Z",
            "-",
            "abc",
        ] {
            assert!(resolves_to_str(s), "{s}");
        }
        assert_eq!(go_float_g(1234567.5), "1.2345675e+06");
        assert_eq!(go_float_g(123456.5), "123456.5");
        assert_eq!(go_float_g(0.00001), "1e-05");
        assert!(try_to_yaml(&json!({"a": "a\u{7f}"})).is_err());
        assert_eq!(to_yaml(&json!("x")), "x\n");
    }
}
