//! Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) into the
//! JSON form the real apiserver would produce by decoding into the Go struct and re-encoding it
//! with `encoding/json` (omitempty, pointers, inlined embeddings and custom marshalers included).

use kyb_api::wire as schema;

use schema::{F, I, MSGS, O, P, R, T};
use serde_json::{Map, Value};

/// Why a protobuf body could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum ProtoError {
    /// The bytes are not a well-formed Kubernetes protobuf envelope or message.
    #[error("{0}")]
    Invalid(String),
    /// The envelope names a kind (as `apiVersion/kind`) this decoder has no schema for.
    #[error("no protobuf schema for {0}")]
    UnknownKind(String),
}

type Result<T> = std::result::Result<T, ProtoError>;

fn invalid(msg: impl Into<String>) -> ProtoError {
    ProtoError::Invalid(msg.into())
}

/// Prefix that marks every Kubernetes protobuf body.
const MAGIC: &[u8] = b"k8s\0";

/// Deeper nesting than any real object reaches; bounds recursion on hostile input.
const MAX_DEPTH: usize = 64;

/// `time.Time{}.Unix()` in Go: the wire form of a zero `metav1.Time`.
const GO_ZERO_TIME_SECS: i64 = -62_135_596_800;

/// Decodes a Kubernetes protobuf body: the 4-byte magic `k8s\0`, then a runtime.Unknown
/// {typeMeta{apiVersion=1,kind=2}=1, raw=2, contentEncoding=3, contentType=4}, whose `raw` is the
/// message of the kind named in typeMeta. Returns the object as Kubernetes JSON, with apiVersion
/// and kind set.
pub fn decode(body: &[u8]) -> Result<Value> {
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or_else(|| invalid("protobuf body does not start with the k8s magic prefix"))?;
    let (mut api_version, mut kind, mut raw, mut encoding) =
        (String::new(), String::new(), &[][..], String::new());
    let mut rd = Reader::new(envelope);
    while let Some((num, wire)) = rd.next_field()? {
        match num {
            1 => {
                let mut tm = Reader::new(wire.bytes("typeMeta")?);
                while let Some((n, w)) = tm.next_field()? {
                    match n {
                        1 => api_version = w.string("apiVersion")?,
                        2 => kind = w.string("kind")?,
                        _ => {}
                    }
                }
            }
            2 => raw = wire.bytes("raw")?,
            3 => encoding = wire.string("contentEncoding")?,
            _ => {}
        }
    }
    if !encoding.is_empty() {
        return Err(invalid(format!(
            "unsupported protobuf contentEncoding {encoding:?}"
        )));
    }
    let msg = schema::kind_message(&api_version, &kind)
        .ok_or_else(|| ProtoError::UnknownKind(format!("{api_version}/{kind}")))?;
    let mut obj = match decode_message(msg, &[raw], 0)? {
        Value::Object(m) => m,
        _ => return Err(invalid(format!("{kind} did not decode to an object"))),
    };
    obj.insert("apiVersion".into(), Value::String(api_version));
    obj.insert("kind".into(), Value::String(kind));
    Ok(Value::Object(obj))
}

/// One field's payload as read off the wire.
#[derive(Clone, Copy)]
enum Wire<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32,
}

impl<'a> Wire<'a> {
    fn bytes(self, what: &str) -> Result<&'a [u8]> {
        match self {
            Wire::Bytes(b) => Ok(b),
            _ => Err(invalid(format!(
                "wrong wire type for {what}: expected length-delimited"
            ))),
        }
    }

    fn string(self, what: &str) -> Result<String> {
        // Go's string conversion keeps invalid UTF-8 and encoding/json then writes U+FFFD.
        Ok(String::from_utf8_lossy(self.bytes(what)?).into_owned())
    }

    fn varint(self, what: &str) -> Result<u64> {
        match self {
            Wire::Varint(v) => Ok(v),
            _ => Err(invalid(format!(
                "wrong wire type for {what}: expected varint"
            ))),
        }
    }
}

/// A cursor over one protobuf message's bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| invalid("truncated varint"))?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(invalid("varint longer than 10 bytes"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len());
        let end = end.ok_or_else(|| invalid("truncated protobuf field"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// Reads the next field, or `None` at the end of the message.
    fn next_field(&mut self) -> Result<Option<(u32, Wire<'a>)>> {
        if self.at_end() {
            return Ok(None);
        }
        let key = self.varint()?;
        let num = u32::try_from(key >> 3).map_err(|_| invalid("field number out of range"))?;
        if num == 0 {
            return Err(invalid("field number 0"));
        }
        let wire = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Wire::Fixed64
            }
            2 => {
                let len =
                    usize::try_from(self.varint()?).map_err(|_| invalid("length out of range"))?;
                Wire::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Wire::Fixed32
            }
            t => return Err(invalid(format!("unsupported wire type {t}"))),
        };
        Ok(Some((num, wire)))
    }
}

/// What has been read for one schema field while scanning a message.
enum Slot<'a> {
    Absent,
    Scalar(Value),
    /// Pieces of a singular embedded message; protobuf merges repeated occurrences, which is the
    /// same as decoding their concatenation.
    Msg(Vec<&'a [u8]>),
    List(Vec<Value>),
    Map(Map<String, Value>),
}

fn lookup(name: &str) -> Result<&'static [F]> {
    MSGS.binary_search_by(|(n, _)| n.cmp(&name))
        .map(|i| MSGS[i].1)
        .map_err(|_| ProtoError::UnknownKind(name.to_string()))
}

/// Decodes the message `name` from the concatenation of `parts` (no parts: Go's zero value).
fn decode_message(name: &str, parts: &[&[u8]], depth: usize) -> Result<Value> {
    if depth > MAX_DEPTH {
        return Err(invalid("protobuf message nested too deeply"));
    }
    if let Some(v) = decode_special(name, parts)? {
        return Ok(v);
    }
    let fields = lookup(name)?;
    let mut slots: Vec<Slot> = fields.iter().map(|_| Slot::Absent).collect();
    for part in parts {
        let mut rd = Reader::new(part);
        while let Some((num, wire)) = rd.next_field()? {
            // Unknown fields are skipped, as the Go decoder does.
            let Some(idx) = fields.iter().position(|f| f.0 == num) else {
                continue;
            };
            read_field(&fields[idx], wire, &mut slots[idx], depth)?;
        }
    }
    let mut out = Map::new();
    let mut inlined = Vec::new();
    for (f, slot) in fields.iter().zip(slots) {
        let F(_, json, ty, flags) = *f;
        let value = match slot {
            Slot::Absent | Slot::List(_) | Slot::Map(_) if is_empty_collection(&slot, f) => {
                if flags & (P | O) != 0 {
                    continue;
                }
                // A nil slice or map without omitempty is written as null.
                Value::Null
            }
            Slot::Absent if flags & P != 0 => continue,
            Slot::Absent => match ty {
                T::S => Value::String(String::new()),
                T::I32 | T::I64 => Value::from(0),
                T::B => Value::Bool(false),
                T::M(m) => decode_message(m, &[], depth + 1)?,
                T::MS | T::MY | T::MM(_) => Value::Null,
            },
            Slot::Scalar(v) => v,
            Slot::Msg(parts) => match ty {
                T::M(m) => decode_message(m, &parts, depth + 1)?,
                _ => return Err(invalid("internal: message slot for a scalar field")),
            },
            Slot::List(items) => Value::Array(items),
            Slot::Map(m) => Value::Object(m),
        };
        // omitempty never drops structs in encoding/json, and pointers keep explicit zeros.
        let struct_field = matches!(ty, T::M(_)) && flags & R == 0;
        if flags & O != 0 && flags & P == 0 && !struct_field && is_zero(&value) {
            continue;
        }
        if flags & I != 0 {
            inlined.push(value);
        } else {
            out.insert(json.to_string(), value);
        }
    }
    // Go promotes an embedded struct's fields unless the outer struct has one of the same name.
    for v in inlined {
        if let Value::Object(m) = v {
            for (k, v) in m {
                out.entry(k).or_insert(v);
            }
        }
    }
    Ok(Value::Object(out))
}

fn is_empty_collection(slot: &Slot, f: &F) -> bool {
    match slot {
        Slot::List(items) => items.is_empty(),
        Slot::Map(m) => m.is_empty(),
        Slot::Absent => f.3 & R != 0 || matches!(f.2, T::MS | T::MY | T::MM(_)),
        _ => false,
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_i64() == Some(0),
        Value::Bool(b) => !b,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        Value::Null => false,
    }
}

/// Reads one occurrence of field `f` into its slot.
fn read_field<'a>(f: &F, wire: Wire<'a>, slot: &mut Slot<'a>, depth: usize) -> Result<()> {
    let F(_, json, ty, flags) = *f;
    let what = if json.is_empty() {
        "inlined field"
    } else {
        json
    };
    if flags & R != 0 {
        if !matches!(slot, Slot::List(_)) {
            *slot = Slot::List(Vec::new());
        }
        let Slot::List(items) = slot else {
            return Err(invalid("internal: list slot"));
        };
        match (ty, wire) {
            // Packed encoding of repeated varints.
            (T::I32 | T::I64 | T::B, Wire::Bytes(b)) => {
                let mut rd = Reader::new(b);
                while !rd.at_end() {
                    items.push(scalar(ty, rd.varint()?));
                }
            }
            (T::I32 | T::I64 | T::B, w) => items.push(scalar(ty, w.varint(what)?)),
            (T::S, w) => items.push(Value::String(w.string(what)?)),
            (T::M(m), w) => items.push(decode_message(m, &[w.bytes(what)?], depth + 1)?),
            _ => return Err(invalid(format!("unsupported repeated type for {what}"))),
        }
        return Ok(());
    }
    match ty {
        T::S => *slot = Slot::Scalar(Value::String(wire.string(what)?)),
        T::I32 | T::I64 | T::B => *slot = Slot::Scalar(scalar(ty, wire.varint(what)?)),
        T::M(_) => {
            let b = wire.bytes(what)?;
            match slot {
                Slot::Msg(parts) => parts.push(b),
                _ => *slot = Slot::Msg(vec![b]),
            }
        }
        T::MS | T::MY | T::MM(_) => {
            let (k, v) = map_entry(ty, wire.bytes(what)?, depth)?;
            match slot {
                Slot::Map(m) => {
                    m.insert(k, v);
                }
                _ => *slot = Slot::Map(Map::from_iter([(k, v)])),
            }
        }
    }
    Ok(())
}

/// Converts a varint to JSON the way Go's int32/int64/bool conversions read it.
fn scalar(ty: T, v: u64) -> Value {
    match ty {
        T::B => Value::Bool(v != 0),
        // Truncation and sign reinterpretation are exactly what Go's generated decoder does.
        T::I32 => Value::from(v as i32),
        _ => Value::from(v as i64),
    }
}

/// Decodes a map entry {key=1, value=2}; a missing part is its zero value, as in Go.
fn map_entry(ty: T, entry: &[u8], depth: usize) -> Result<(String, Value)> {
    let mut key = String::new();
    let mut val: Option<Value> = None;
    let mut msg_parts = Vec::new();
    let mut rd = Reader::new(entry);
    while let Some((n, w)) = rd.next_field()? {
        match (n, ty) {
            (1, _) => key = w.string("map key")?,
            (2, T::MS) => val = Some(Value::String(w.string("map value")?)),
            (2, T::MY) => val = Some(Value::String(base64(w.bytes("map value")?))),
            (2, T::MM(_)) => msg_parts.push(w.bytes("map value")?),
            _ => {}
        }
    }
    let val = match (val, ty) {
        (Some(v), _) => v,
        (None, T::MM(m)) => decode_message(m, &msg_parts, depth + 1)?,
        (None, _) => Value::String(String::new()),
    };
    Ok((key, val))
}

/// Messages whose Go types have custom JSON marshalers; `None` for ordinary messages.
fn decode_special(name: &str, parts: &[&[u8]]) -> Result<Option<Value>> {
    let v = match name {
        "meta.Time" | "meta.MicroTime" => {
            let (mut secs, mut nanos) = (0i64, 0i64);
            let mut seen = false;
            for_each_field(parts, |n, w| {
                match n {
                    1 => secs = w.varint("seconds")? as i64,
                    2 => nanos = i64::from(w.varint("nanos")? as i32),
                    _ => {}
                }
                seen = true;
                Ok(())
            })?;
            timestamp(name == "meta.MicroTime", seen, secs, nanos)?
        }
        "meta.Duration" => {
            let mut ns = 0i64;
            for_each_field(parts, |n, w| {
                if n == 1 {
                    ns = w.varint("duration")? as i64;
                }
                Ok(())
            })?;
            Value::String(go_duration(ns))
        }
        "res.Quantity" => {
            let mut s = None;
            for_each_field(parts, |n, w| {
                if n == 1 {
                    s = Some(w.string("quantity")?);
                }
                Ok(())
            })?;
            match s {
                // A zero Quantity marshals as "0"; Go clients never put "" on the wire.
                None => Value::String("0".into()),
                Some(s) if s.is_empty() => return Err(invalid("empty quantity")),
                Some(s) => Value::String(s),
            }
        }
        "intstr.IntOrString" => {
            let (mut kind, mut int_val, mut str_val) = (0i64, 0i32, String::new());
            for_each_field(parts, |n, w| {
                match n {
                    1 => kind = w.varint("type")? as i64,
                    2 => int_val = w.varint("intVal")? as i32,
                    3 => str_val = w.string("strVal")?,
                    _ => {}
                }
                Ok(())
            })?;
            match kind {
                0 => Value::from(int_val),
                1 => Value::String(str_val),
                k => return Err(invalid(format!("impossible IntOrString type {k}"))),
            }
        }
        "rt.RawExtension" | "meta.FieldsV1" => {
            let mut raw: Option<&[u8]> = None;
            for_each_field(parts, |n, w| {
                if n == 1 {
                    raw = Some(w.bytes("raw")?);
                }
                Ok(())
            })?;
            match raw {
                None | Some([]) => Value::Null,
                Some(b) => serde_json::from_slice(b)
                    .map_err(|e| invalid(format!("embedded raw object is not JSON: {e}")))?,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(v))
}

fn for_each_field<'a>(
    parts: &[&'a [u8]],
    mut f: impl FnMut(u32, Wire<'a>) -> Result<()>,
) -> Result<()> {
    for part in parts {
        let mut rd = Reader::new(part);
        while let Some((n, w)) = rd.next_field()? {
            f(n, w)?;
        }
    }
    Ok(())
}

/// metav1.Time (seconds precision) or MicroTime (microseconds) as RFC 3339 in UTC; zero is null.
fn timestamp(micro: bool, seen: bool, secs: i64, nanos: i64) -> Result<Value> {
    // Time drops nanos on decode; MicroTime truncates them to microseconds.
    let nanos = if micro { nanos - nanos % 1000 } else { 0 };
    if !seen || (secs == GO_ZERO_TIME_SECS && nanos == 0) {
        return Ok(Value::Null);
    }
    let dt = chrono::DateTime::from_timestamp(secs, 0)
        .and_then(|d| d.checked_add_signed(chrono::TimeDelta::nanoseconds(nanos)))
        .ok_or_else(|| invalid("timestamp out of range"))?;
    let year = chrono::Datelike::year(&dt);
    if !(0..=9999).contains(&year) {
        return Err(invalid("timestamp year outside of range [0,9999]"));
    }
    let fmt = if micro {
        "%Y-%m-%dT%H:%M:%S%.6fZ"
    } else {
        "%Y-%m-%dT%H:%M:%SZ"
    };
    Ok(Value::String(dt.format(fmt).to_string()))
}

/// Go's `time.Duration.String`, e.g. "1h0m0s", "1.5s", "300ms", "0s".
fn go_duration(d: i64) -> String {
    let mut u = d.unsigned_abs();
    let sign = if d < 0 { "-" } else { "" };
    if u < 1_000_000_000 {
        if u == 0 {
            return "0s".into();
        }
        let (prec, unit) = match u {
            0..1_000 => (0, "ns"),
            1_000..1_000_000 => (3, "µs"),
            _ => (6, "ms"),
        };
        let (int, frac) = split_frac(u, prec);
        return format!("{sign}{int}{frac}{unit}");
    }
    let frac;
    (u, frac) = split_frac(u, 9);
    let (secs, mins, hours) = (u % 60, (u / 60) % 60, u / 3600);
    let mut out = sign.to_string();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if u >= 60 {
        out.push_str(&format!("{mins}m"));
    }
    out.push_str(&format!("{secs}{frac}s"));
    out
}

/// Splits `v` into `v / 10^prec` and the fraction as ".ddd" without trailing zeros ("" if 0).
fn split_frac(v: u64, prec: u32) -> (u64, String) {
    let p = 10u64.pow(prec);
    let digits = format!("{:0width$}", v % p, width = prec as usize);
    let digits = digits.trim_end_matches('0');
    let frac = if digits.is_empty() {
        String::new()
    } else {
        format!(".{digits}")
    };
    (v / p, frac)
}

/// Standard base64 with padding, as encoding/json writes `[]byte`.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "protobuf_tests.rs"]
mod tests;
