//! Three-way patches for client-side `kubectl apply`: strategicpatch.CreateThreeWayMergePatch and
//! jsonmergepatch.CreateThreeWayJSONMergePatch, reproduced so `kyb apply` sends kubectl's bytes.
//!
//! As in Go, the strategic patch is `delta` (current → modified, additions and changes only)
//! merged as a patch onto `deletions` (last-applied → modified, deletions only). Go's quirks are
//! kept on purpose (lists sorted by `%v` strings, primitive lists compared after an in-place
//! sort, `$retainKeys` on maps the config did not change), because the goal is byte equality.

use serde_json::{Map, Value};

use super::{lookup, root_type, ListStrategy, SmpError, Ty};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER: &str = "$setElementOrder";
const DELETE_PRIMITIVE: &str = "$deleteFromPrimitiveList";

type Obj = Map<String, Value>;

/// kubectl's three-way strategic merge patch for a built-in kind (`group` "" for core; `kind`
/// e.g. "Deployment").
///
/// `original` is the last-applied configuration (None or null if the object has none),
/// `modified` the new configuration carrying its new last-applied annotation, `current` the live
/// object. The result is `{}` when nothing needs to change.
pub fn three_way(
    original: Option<&Value>,
    modified: &Value,
    current: &Value,
    group: &str,
    kind: &str,
) -> Result<Value, SmpError> {
    let object = |v: &Value, what: &str| match v {
        Value::Object(m) => Ok(m.clone()),
        Value::Null => Ok(Map::new()),
        _ => Err(invalid(format!(
            "invalid JSON document: {what} must be an object"
        ))),
    };
    let original = object(original.unwrap_or(&Value::Null), "original")?;
    let (modified, current) = (object(modified, "modified")?, object(current, "current")?);
    let ty = root_type(group, kind);
    let delta = diff_maps(&current, &modified, ty, Opts::new(true, false))?;
    let deletions = diff_maps(&original, &modified, ty, Opts::new(false, true))?;
    merge_map(deletions, delta, ty).map(Value::Object)
}

/// kubectl's three-way JSON merge patch (RFC 7386 semantics), for kinds without patch metadata.
///
/// Additions and changes come from current → modified, deletions (`null`) from original →
/// modified. A `modified` that is not an object is returned as is (it replaces the document);
/// a non-object `original` or `current` counts as empty.
pub fn three_way_json(original: Option<&Value>, modified: &Value, current: &Value) -> Value {
    let Value::Object(modified) = modified else {
        return modified.clone();
    };
    let object = |v: Option<&Value>| v.and_then(Value::as_object).cloned().unwrap_or_default();
    let additions = filter_nulls(json_diff(&object(Some(current)), modified), false);
    let mut patch = filter_nulls(json_diff(&object(original), modified), true);
    merge_docs(&mut patch, additions);
    Value::Object(patch)
}

fn invalid(msg: impl Into<String>) -> SmpError {
    SmpError::Invalid(msg.into())
}

/// Fields whose Go tag includes patchStrategy "retainKeys" (the shared schema lacks it):
/// DeploymentSpec.strategy, and PodSpec.volumes / resourceClaims ("merge,retainKeys").
fn retains_keys(ty: Ty, field: &str) -> bool {
    matches!(
        (ty, field),
        (Ty::WorkloadSpec, "strategy") | (Ty::PodSpec, "volumes" | "resourceClaims")
    )
}

// Go's view of decoded JSON: apimachinery's decoder makes integral numbers int64 and the rest
// float64, so 1 and 1.0 differ in type; evanphx/json-patch (JSON merge patch) uses float64 only.

/// The Go dynamic type of a value: null, bool, int64, float64, string, list, map.
fn kind(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(n) if n.is_i64() => 2,
        Value::Number(_) => 3,
        Value::String(_) => 4,
        Value::Array(_) => 5,
        Value::Object(_) => 6,
    }
}
const LIST: u8 = 5;
const MAP: u8 = 6;

/// reflect.DeepEqual (also Go's `==` on scalars); `typed` false compares numbers as float64.
fn eq(a: &Value, b: &Value, typed: bool) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if typed => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            (None, None) => x.as_f64() == y.as_f64(),
            _ => false,
        },
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| eq(a, b, typed))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| eq(v, w, typed)))
        }
        _ => a == b,
    }
}

fn deep_eq(a: &Value, b: &Value) -> bool {
    eq(a, b, true)
}

/// Go's `fmt.Sprintf("%v", v)`, by which patch.go sorts and matches list items.
fn go_string(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) if !n.is_i64() => go_float(n.as_f64().unwrap_or(0.0)),
        other => other.to_string(),
    }
}

/// `%v` of a float64 (`%g` with shortest digits): exponent form unless -4 <= exponent < 6.
fn go_float(f: f64) -> String {
    let sci = format!("{f:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    match exp.parse::<i32>() {
        Ok(e) if (-4..6).contains(&e) => format!("{f}"),
        Ok(e) => format!("{mantissa}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()),
        Err(_) => sci,
    }
}

fn merge_value<'a>(v: &'a Value, key: &str) -> Result<&'a Value, SmpError> {
    v.as_object()
        .ok_or_else(|| invalid(format!("expected a map in a merging list, got {v}")))?
        .get(key)
        .ok_or_else(|| {
            invalid(format!(
                "map: {v} does not contain declared merge key: {key}"
            ))
        })
}

/// sliceElementType: the common kind of the items; lists of lists and mixed lists fail.
fn element_kind(a: &[Value], b: &[Value]) -> Result<Option<u8>, SmpError> {
    let mut seen = None;
    for k in a.iter().chain(b).map(kind) {
        if k == LIST || k == 0 {
            return Err(invalid("lists of lists (or of nulls) are not supported"));
        }
        if seen.is_some_and(|s| s != k) {
            return Err(invalid("list element types are not identical"));
        }
        seen = Some(k);
    }
    Ok(seen)
}

// Diffing: diffMaps / diffLists in patch.go.

/// Go's DiffOptions (SetElementOrder is always on for apply).
#[derive(Clone, Copy)]
struct Opts {
    changes: bool,
    deletions: bool,
    retain_keys: bool,
}

impl Opts {
    fn new(changes: bool, deletions: bool) -> Opts {
        let retain_keys = false;
        Opts {
            changes,
            deletions,
            retain_keys,
        }
    }

    fn retaining(self, retain_keys: bool) -> Opts {
        Opts {
            retain_keys,
            ..self
        }
    }
}

fn diff_maps(original: &Obj, modified: &Obj, ty: Ty, opts: Opts) -> Result<Obj, SmpError> {
    let mut patch = Map::new();
    let mut retain = Vec::new();
    for (key, m) in modified {
        if opts.retain_keys && !m.is_null() {
            retain.push(Value::String(key.clone()));
        }
        let changed = match (original.get(key), m) {
            (Some(o), _) if key == DIRECTIVE => {
                if !o.is_string() || !m.is_string() {
                    return Err(invalid(format!(
                        "invalid value for special key: {DIRECTIVE}"
                    )));
                }
                // Kept even when ignoring changes, as Go does.
                if o != m {
                    patch.insert(key.clone(), m.clone());
                }
                false
            }
            (Some(Value::Object(o)), Value::Object(m)) => {
                let sub = opts.retaining(retains_keys(ty, key));
                let p = diff_maps(o, m, lookup(ty, key).ty, sub)?;
                if !p.is_empty() {
                    patch.insert(key.clone(), Value::Object(p));
                }
                false
            }
            (Some(Value::Array(o)), Value::Array(m)) => {
                diff_list_field(key, o, m, ty, opts, &mut patch)?;
                false
            }
            (Some(o), m) => !deep_eq(o, m),
            (None, _) => true,
        };
        if changed && opts.changes {
            patch.insert(key.clone(), m.clone());
        }
    }
    if opts.deletions {
        for key in original.keys().filter(|k| !modified.contains_key(*k)) {
            patch.insert(key.clone(), Value::Null);
        }
    }
    // Go adds the directive even when only the other side has extra keys: that is how apply
    // clears server-side members of a union such as strategy.rollingUpdate.
    let extra = original
        .iter()
        .any(|(k, v)| !v.is_null() && !modified.contains_key(k));
    if !retain.is_empty() && (!patch.is_empty() || extra) {
        retain.sort_by_key(go_string);
        patch.insert(RETAIN_KEYS.to_string(), Value::Array(retain));
    }
    Ok(patch)
}

/// handleSliceDiff: replace-strategy lists are sent whole, merge lists are diffed item by item.
fn diff_list_field(
    key: &str,
    original: &[Value],
    modified: &[Value],
    ty: Ty,
    opts: Opts,
    patch: &mut Obj,
) -> Result<(), SmpError> {
    let meta = lookup(ty, key);
    let ListStrategy::Merge(merge_key) = meta.list else {
        if opts.changes && !slices_eq(original, modified) {
            patch.insert(key.to_string(), Value::Array(modified.to_vec()));
        }
        return Ok(());
    };
    let sub = opts.retaining(retains_keys(ty, key));
    let (add, delete, order) = diff_lists(original, modified, meta.ty, merge_key, sub)?;
    for (k, list) in [
        (key.to_string(), add),
        (format!("{DELETE_PRIMITIVE}/{key}"), delete),
        (format!("{SET_ORDER}/{key}"), order),
    ] {
        if !list.is_empty() {
            patch.insert(k, Value::Array(list));
        }
    }
    Ok(())
}

fn slices_eq(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| deep_eq(x, y))
}

type Lists = (Vec<Value>, Vec<Value>, Vec<Value>);

/// diffLists: returns (patch list, primitive deletion list, `$setElementOrder` list).
fn diff_lists(
    original: &[Value],
    modified: &[Value],
    elem: Ty,
    merge_key: Option<&str>,
    opts: Opts,
) -> Result<Lists, SmpError> {
    if original.is_empty() {
        if modified.is_empty() || !opts.changes {
            return Ok(Default::default());
        }
        return Ok((modified.to_vec(), Vec::new(), Vec::new()));
    }
    if element_kind(original, modified)? != Some(MAP) {
        let (add, delete, sorted_original) = diff_scalar_lists(original, modified, opts);
        let add = sort_by_order(add, modified, None);
        // Go sorts `original` in place before this comparison, so an unsorted but unchanged list
        // still yields an order directive.
        let reorder = opts.changes && !slices_eq(&sorted_original, modified);
        let order = if (opts.deletions && !delete.is_empty()) || reorder {
            modified.to_vec()
        } else {
            Vec::new()
        };
        return Ok((add, delete, order));
    }
    let key = merge_key.unwrap_or("");
    let (changes, deletes) = diff_map_lists(original, modified, elem, key, opts)?;
    let mut list = sort_by_order(changes, modified, Some(key));
    list.extend(deletes);
    let same_order = original.len() == modified.len()
        && original.iter().zip(modified).all(|(o, m)| {
            matches!((merge_value(o, key), merge_value(m, key)), (Ok(a), Ok(b)) if deep_eq(a, b))
        });
    let mut order = Vec::new();
    if (opts.changes && (!list.is_empty() || !same_order)) || (opts.deletions && !list.is_empty()) {
        for v in modified {
            order.push(Value::Object(single(key, merge_value(v, key)?.clone())));
        }
    }
    Ok((list, Vec::new(), order))
}

fn single(key: &str, value: Value) -> Obj {
    Map::from_iter([(key.to_string(), value)])
}

/// One step of patch.go's walk over two lists sorted by their `%v` strings.
enum Step<'a> {
    Both(&'a Value, &'a Value),
    Added(&'a Value),
    Removed(&'a Value),
}

fn walk<'a>(
    o: &'a [(String, Value)],
    m: &'a [(String, Value)],
    mut f: impl FnMut(Step<'a>) -> Result<(), SmpError>,
) -> Result<(), SmpError> {
    let (mut i, mut j) = (0, 0);
    loop {
        let step = match (o.get(i), m.get(j)) {
            (None, None) => return Ok(()),
            (Some(a), Some(b)) if a.0 == b.0 => Step::Both(&a.1, &b.1),
            (None, Some(b)) => Step::Added(&b.1),
            (Some(a), Some(b)) if a.0 > b.0 => Step::Added(&b.1),
            (Some(a), _) => Step::Removed(&a.1),
        };
        match step {
            Step::Both(..) => (i, j) = (i + 1, j + 1),
            Step::Added(_) => j += 1,
            Step::Removed(_) => i += 1,
        }
        f(step)?;
    }
}

/// Pairs items with their `%v` sort strings, sorted (Go's sort is unstable; keys are unique).
fn keyed(
    list: &[Value],
    id: impl Fn(&Value) -> Result<&Value, SmpError>,
) -> Result<Vec<(String, Value)>, SmpError> {
    let mut out = Vec::with_capacity(list.len());
    for v in list {
        out.push((go_string(id(v)?), v.clone()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// diffListsOfScalars: returns additions, deduplicated deletions and the sorted original.
fn diff_scalar_lists(original: &[Value], modified: &[Value], opts: Opts) -> Lists {
    let scalars = |l| keyed(l, |v| Ok(v)).unwrap_or_default();
    let (o, m) = (scalars(original), scalars(modified));
    let (mut add, mut delete) = (Vec::new(), Vec::new());
    let _ = walk(&o, &m, |step| {
        match step {
            Step::Added(v) if opts.changes => add.push(v.clone()),
            Step::Removed(v) if opts.deletions => delete.push(v.clone()),
            _ => {}
        }
        Ok(())
    });
    (
        add,
        go_dedup(delete),
        o.into_iter().map(|(_, v)| v).collect(),
    )
}

/// deduplicateScalars, including its habit of moving the last item into a duplicate's slot.
fn go_dedup(mut s: Vec<Value>) -> Vec<Value> {
    let mut i = 0;
    while i < s.len() {
        let mut j = i + 1;
        while j < s.len() {
            if deep_eq(&s[i], &s[j]) {
                s.swap_remove(j);
            } else {
                j += 1;
            }
        }
        i += 1;
    }
    s
}

/// diffListsOfMaps: returns (changed or added items, `$patch: delete` items).
fn diff_map_lists(
    original: &[Value],
    modified: &[Value],
    elem: Ty,
    key: &str,
    opts: Opts,
) -> Result<(Vec<Value>, Vec<Value>), SmpError> {
    let o = keyed(original, |v| merge_value(v, key))?;
    let m = keyed(modified, |v| merge_value(v, key))?;
    let (mut changes, mut deletes) = (Vec::new(), Vec::new());
    walk(&o, &m, |step| {
        match step {
            Step::Both(Value::Object(a), Value::Object(b)) => {
                let mut p = diff_maps(a, b, elem, opts)?;
                if let (false, Some(id)) = (p.is_empty(), b.get(key)) {
                    p.insert(key.to_string(), id.clone());
                    changes.push(Value::Object(p));
                }
            }
            Step::Added(v) if opts.changes => changes.push(v.clone()),
            Step::Removed(v) if opts.deletions => {
                let mut d = single(key, merge_value(v, key)?.clone());
                d.insert(DIRECTIVE.to_string(), Value::String("delete".to_string()));
                deletes.push(Value::Object(d));
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok((changes, deletes))
}

// Ordering: normalizeElementOrder and friends.

/// Go's index(): position of `v` in `list`, comparing merge key values (or whole scalars).
fn index_of(list: &[Value], v: &Value, key: Option<&str>) -> Option<usize> {
    let id = |x: &Value| match key {
        Some(k) => x.get(k).cloned().unwrap_or(Value::Null),
        None => x.clone(),
    };
    let target = id(v);
    list.iter().position(|x| deep_eq(&id(x), &target))
}

/// Stable sort by position in `order`; with maps, `$patch: delete` items go last. Items missing
/// from `order` (where Go's comparator is inconsistent) stay after the rest.
fn sort_by_order(items: Vec<Value>, order: &[Value], key: Option<&str>) -> Vec<Value> {
    let is_delete = |v: &Value| v.get(DIRECTIVE).and_then(Value::as_str) == Some("delete");
    let (mut keep, deletes): (Vec<Value>, Vec<Value>) = items
        .into_iter()
        .partition(|v| key.is_none() || !is_delete(v));
    keep.sort_by_key(|v| index_of(order, v, key).unwrap_or(usize::MAX));
    keep.extend(deletes);
    keep
}

/// Splits `items` by presence in `by`, orders each part, then interleaves them like
/// mergeSortedSlice: a server-only item goes first only if both items are in `server_order` and
/// it comes first there.
fn normalize_order(
    items: Vec<Value>,
    by: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Result<Vec<Value>, SmpError> {
    if let Some(k) = key {
        for v in items.iter().chain(by).chain(server_order) {
            merge_value(v, k)?;
        }
    }
    let (right, left): (Vec<Value>, Vec<Value>) = items
        .into_iter()
        .partition(|v| index_of(by, v, key).is_some());
    let right = sort_by_order(right, by, key);
    let left = sort_by_order(left, server_order, key);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    loop {
        let take_left = match (l.peek(), r.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => matches!(
                (index_of(server_order, a, key), index_of(server_order, b, key)),
                (Some(x), Some(y)) if x < y
            ),
        };
        out.extend(if take_left { l.next() } else { r.next() });
    }
    Ok(out)
}

// Merging the delta onto the deletions: mergeMap with MergeParallelList and IgnoreUnmatchedNulls
// off, so directives and nulls are carried into the result instead of being acted on.

fn merge_map(mut original: Obj, mut patch: Obj, ty: Ty) -> Result<Obj, SmpError> {
    if let Some(directive) = patch.remove(DIRECTIVE) {
        return match directive.as_str() {
            Some("replace") => Ok(patch),
            Some("delete") => Ok(Map::new()),
            _ => Err(invalid(format!("unknown patch type: {directive}"))),
        };
    }
    if let Some(retain) = patch.remove(RETAIN_KEYS) {
        carry_directive(&mut original, RETAIN_KEYS, retain)?;
    }
    let order_keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ORDER))
        .cloned()
        .collect();
    for order_key in order_keys {
        let Some(order) = patch.remove(&order_key) else {
            continue;
        };
        carry_directive(&mut original, &order_key, order.clone())?;
        let bad = || invalid("invalid patch format of setElementOrder list");
        let (Value::Array(order), Some((_, field))) = (order, order_key.split_once('/')) else {
            return Err(bad());
        };
        let list = |v: Option<Value>| match v {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(invalid(format!("{field} is not a list"))),
        };
        let orig_list = list(original.get(field).cloned())?;
        let patch_list = list(patch.remove(field))?;
        let meta = lookup(ty, field);
        let merged = match (&orig_list, patch_list.clone()) {
            (None, None) => continue,
            (Some(o), None) => o.clone(),
            (None, Some(p)) => p,
            (Some(o), Some(p)) => merge_list(o.clone(), p, meta.ty, meta.list)?,
        };
        let (o, p) = (
            orig_list.unwrap_or_default(),
            patch_list.unwrap_or_default(),
        );
        let key = match meta.list {
            ListStrategy::Merge(k) if element_kind(&o, &p)? == Some(MAP) => k,
            _ => None,
        };
        let sorted = normalize_order(merged, &order, &o, key)?;
        original.insert(field.to_string(), Value::Array(sorted));
    }
    for (key, value) in patch {
        let merged = match original.remove(&key) {
            // Parallel deletion lists and nulls are patch content here, not instructions.
            _ if key.starts_with(DELETE_PRIMITIVE) || value.is_null() => value,
            Some(o) if kind(&o) == kind(&value) => {
                let meta = lookup(ty, &key);
                match (o, value) {
                    (Value::Object(o), Value::Object(p)) => {
                        Value::Object(merge_map(o, p, meta.ty)?)
                    }
                    (Value::Array(o), Value::Array(p)) => {
                        Value::Array(merge_list(o, p, meta.ty, meta.list)?)
                    }
                    (_, p) => p,
                }
            }
            _ => value,
        };
        original.insert(key, merged);
    }
    Ok(original)
}

/// Copies a directive from the delta into the deletions; both derive it from `modified`, so a
/// mismatch means inconsistent inputs.
fn carry_directive(original: &mut Obj, key: &str, value: Value) -> Result<(), SmpError> {
    match original.get(key) {
        Some(existing) if !deep_eq(existing, &value) => Err(invalid(format!(
            "{existing} and {value} are not deep equal: this may happen when calculating the 3-way diff patch"
        ))),
        Some(_) => Ok(()),
        None => {
            original.insert(key.to_string(), value);
            Ok(())
        }
    }
}

/// mergeSliceHandler + mergeSlice, without applying parallel deletion lists.
fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    elem: Ty,
    strategy: ListStrategy,
) -> Result<Vec<Value>, SmpError> {
    let ListStrategy::Merge(merge_key) = strategy else {
        return Ok(patch);
    };
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    if element_kind(&original, &patch)? != Some(MAP) {
        let merged = go_dedup(original.iter().chain(&patch).cloned().collect());
        return normalize_order(merged, &patch, &original, None);
    }
    let key =
        merge_key.ok_or_else(|| invalid("cannot merge lists without merge key for type map"))?;
    let mut original = original;
    let mut plain = Vec::new();
    let mut replace = false;
    for item in patch {
        match item.get(DIRECTIVE).map(Value::as_str) {
            None => plain.push(item),
            Some(Some("delete")) => {
                let id = merge_value(&item, key)?.clone();
                original.retain(|o| !o.get(key).is_some_and(|v| deep_eq(v, &id)));
            }
            Some(Some("replace")) => replace = true,
            Some(Some("merge")) => return Err(invalid("merging lists cannot yet be specified")),
            Some(_) => return Err(invalid(format!("unknown patch type in list item: {item}"))),
        }
    }
    if replace {
        original = std::mem::take(&mut plain);
    }
    let server_order = original.clone();
    for item in &plain {
        let id = merge_value(item, key)?;
        match original
            .iter()
            .position(|o| o.get(key).is_some_and(|v| deep_eq(v, id)))
        {
            Some(i) => {
                let (Value::Object(o), Value::Object(p)) = (&original[i], item) else {
                    return Err(invalid("list element types are not identical"));
                };
                original[i] = Value::Object(merge_map(o.clone(), p.clone(), elem)?);
            }
            None => original.push(item.clone()),
        }
    }
    normalize_order(original, &plain, &server_order, Some(key))
}

// JSON merge patch: evanphx/json-patch v4 CreateMergePatch and MergePatch as jsonmergepatch
// uses them.

fn json_diff(a: &Obj, b: &Obj) -> Obj {
    let mut into = Map::new();
    for (key, bv) in b {
        match (a.get(key), bv) {
            (Some(Value::Object(x)), Value::Object(y)) => {
                let d = json_diff(x, y);
                if !d.is_empty() {
                    into.insert(key.clone(), Value::Object(d));
                }
            }
            (Some(av), _) if eq(av, bv, false) => {}
            _ => {
                into.insert(key.clone(), bv.clone());
            }
        }
    }
    for key in a.keys().filter(|k| !b.contains_key(*k)) {
        into.insert(key.clone(), Value::Null);
    }
    into
}

/// keepOrDeleteNullInObj: keep only the nulls (deletions) or everything but them.
fn filter_nulls(m: Obj, keep_null: bool) -> Obj {
    let mut out = Map::new();
    for (key, v) in m {
        let kept = match v {
            Value::Null if keep_null => Value::Null,
            Value::Null => continue,
            // An explicitly empty map is a value, not an empty patch.
            Value::Object(sub) if sub.is_empty() && !keep_null => Value::Object(sub),
            Value::Object(sub) => {
                let sub = filter_nulls(sub, keep_null);
                if sub.is_empty() {
                    continue;
                }
                Value::Object(sub)
            }
            _ if keep_null => continue,
            other => other,
        };
        out.insert(key, kept);
    }
    out
}

/// RFC 7386 merge of `patch` into `doc` (mergeDocs with mergeMerge=false).
fn merge_docs(doc: &mut Obj, patch: Obj) {
    for (key, v) in patch {
        match (doc.get_mut(&key), v) {
            (_, Value::Null) => {
                doc.remove(&key);
            }
            (Some(Value::Object(cur)), Value::Object(p)) => merge_docs(cur, p),
            (Some(Value::Object(_)), p) => {
                doc.insert(key, p);
            }
            (_, mut p) => {
                prune_nulls(&mut p);
                doc.insert(key, p);
            }
        }
    }
}

/// Drops null members of maps at any depth (nulls inside lists stay).
fn prune_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(prune_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(prune_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LA: &str = "kubectl.kubernetes.io/last-applied-configuration";

    /// Captured from `kubectl.1.32 apply -v=8` against kybd: `last` is the previous config, `config`
    /// the re-applied one, `live` the object before the re-apply and `want` the PATCH body. The
    /// last-applied annotations are left out and rebuilt as kubectl builds them (compact JSON with
    /// sorted keys and a trailing newline; checked against the captures); `<LA>` marks the new one.
    const KUBECTL: &[&str] = &[
        r#"{"name":"cm_finalizers","gk":["","ConfigMap"],"last":{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"finalizers":["x.io/a","x.io/b"],"name":"cm","namespace":"default"}},"config":{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"finalizers":["x.io/c","x.io/a"],"name":"cm","namespace":"default"}},"live":{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"finalizers":["x.io/a","x.io/b"],"name":"cm","namespace":"default"}},"want":{"metadata":{"$deleteFromPrimitiveList/finalizers":["x.io/b"],"$setElementOrder/finalizers":["x.io/c","x.io/a"],"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"},"finalizers":["x.io/c"]}}}"#,
        r#"{"name":"cm_finalizers_unsorted_unchanged","gk":["","ConfigMap"],"last":{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"finalizers":["x.io/b","x.io/a"],"name":"cm2","namespace":"default"}},"config":{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"finalizers":["x.io/b","x.io/a"],"name":"cm2","namespace":"default"}},"live":{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"finalizers":["x.io/b","x.io/a"],"name":"cm2","namespace":"default"}},"want":{"metadata":{"$setElementOrder/finalizers":["x.io/b","x.io/a"]}}}"#,
        r#"{"name":"cm_remove_key","gk":["","ConfigMap"],"last":{"apiVersion":"v1","data":{"a":"1","b":"2"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"cm","namespace":"default"}},"config":{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"cm","namespace":"default"}},"live":{"apiVersion":"v1","data":{"a":"1","b":"2"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"cm","namespace":"default"}},"want":{"data":{"b":null},"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}}}}"#,
        r#"{"name":"deploy_add_annotation","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{"note":"hello"},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>","note":"hello"}}}}"#,
        r#"{"name":"deploy_add_container","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"},{"image":"redis:7","name":"third"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"side"},{"name":"third"}],"containers":[{"image":"redis:7","name":"third"}]}}}}}"#,
        r#"{"name":"deploy_args","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","c"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"side"}],"containers":[{"args":["a","c"],"name":"web"}]}}}}}"#,
        r#"{"name":"deploy_drop_rolling_update","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":1},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"strategy":{"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null}}}}"#,
        r#"{"name":"deploy_env_change","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"9"},{"name":"C","value":"3"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"side"}],"containers":[{"$setElementOrder/env":[{"name":"A"},{"name":"C"}],"env":[{"name":"A","value":"9"},{"name":"C","value":"3"},{"$patch":"delete","name":"B"}],"name":"web"}]}}}}}"#,
        r#"{"name":"deploy_env_prepend","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"env":[{"name":"A","value":"1"},{"name":"B","value":"1"}],"image":"nginx","name":"web"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"command":["sh"],"env":[{"name":"Z","value":"1"},{"name":"A","value":"2"}],"image":"nginx","name":"web"},{"image":"busybox","name":"init"}],"tolerations":[{"key":"k","operator":"Exists"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"env":[{"name":"A","value":"1"},{"name":"B","value":"1"}],"image":"nginx","imagePullPolicy":"Always","name":"web","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"init"}],"containers":[{"$setElementOrder/env":[{"name":"Z"},{"name":"A"}],"command":["sh"],"env":[{"name":"Z","value":"1"},{"name":"A","value":"2"},{"$patch":"delete","name":"B"}],"name":"web"},{"image":"busybox","name":"init"}],"tolerations":[{"key":"k","operator":"Exists"}]}}}}}"#,
        r#"{"name":"deploy_image","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.26","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"side"}],"containers":[{"image":"nginx:1.26","name":"web"}]}}}}}"#,
        r#"{"name":"deploy_ports","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":8080,"name":"alt"}]},{"image":"busybox:1","name":"side"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"side"}],"containers":[{"$setElementOrder/ports":[{"containerPort":8080}],"name":"web","ports":[{"containerPort":8080,"name":"alt"},{"$patch":"delete","containerPort":80}]}]}}}}}"#,
        r#"{"name":"deploy_remove_container","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"$patch":"delete","name":"side"}]}}}}}"#,
        r#"{"name":"deploy_remove_label","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"d","tier":"web"},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"d"},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"d","tier":"web"},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"},"labels":{"tier":null}}}}"#,
        r#"{"name":"deploy_reorder_containers","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"image":"busybox:1","name":"side"},{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"side"},{"name":"web"}]}}}}}"#,
        r#"{"name":"deploy_scaled_in_config","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":5,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"spec":{"replicas":2}}}"#,
        r#"{"name":"deploy_scaled_not_in_config","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.26","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":3,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"side"}],"containers":[{"image":"nginx:1.26","name":"web"}]}}}}}"#,
        r#"{"name":"deploy_strategy_recreate","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":1},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"strategy":{"type":"Recreate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"}}}}"#,
        r#"{"name":"deploy_strategy_unchanged","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"strategy":{"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"strategy":{"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{"spec":{"strategy":{"$retainKeys":["type"]}}}}"#,
        r#"{"name":"deploy_unchanged","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]},{"image":"busybox:1","name":"side"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"},{"image":"busybox:1","imagePullPolicy":"IfNotPresent","name":"side","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"want":{}}"#,
        r#"{"name":"deploy_volumes_retain","gk":["apps","Deployment"],"last":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"image":"nginx","name":"web","volumeMounts":[{"mountPath":"/v","name":"v"}]}],"volumes":[{"emptyDir":{},"name":"v"},{"configMap":{"name":"cm"},"name":"w"}]}}}},"config":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"image":"nginx","name":"web","volumeMounts":[{"mountPath":"/v","name":"v"}]}],"volumes":[{"configMap":{"name":"cm"},"name":"v"},{"configMap":{"name":"cm","optional":true},"name":"w"}]}}}},"live":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"d","namespace":"default"},"spec":{"progressDeadlineSeconds":600,"replicas":1,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"d"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"image":"nginx","imagePullPolicy":"Always","name":"web","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","volumeMounts":[{"mountPath":"/v","name":"v"}]}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30,"volumes":[{"emptyDir":{},"name":"v"},{"configMap":{"defaultMode":420,"name":"cm"},"name":"w"}]}}}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"template":{"spec":{"$setElementOrder/volumes":[{"name":"v"},{"name":"w"}],"volumes":[{"$retainKeys":["configMap","name"],"configMap":{"name":"cm"},"emptyDir":null,"name":"v"},{"$retainKeys":["configMap","name"],"configMap":{"optional":true},"name":"w"}]}}}}}"#,
        r#"{"name":"svc_ports","gk":["","Service"],"last":{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"s","namespace":"default"},"spec":{"ports":[{"name":"http","port":80,"targetPort":8080},{"name":"https","port":443}],"selector":{"app":"d"}}},"config":{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"s","namespace":"default"},"spec":{"ports":[{"name":"http","port":80,"targetPort":9090},{"name":"alt","port":8081}],"selector":{"app":"d"}}},"live":{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"s","namespace":"default"},"spec":{"clusterIP":"10.43.62.178","clusterIPs":["10.43.62.178"],"internalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080},{"name":"https","port":443,"protocol":"TCP","targetPort":443}],"selector":{"app":"d"},"sessionAffinity":"None","type":"ClusterIP"}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"$setElementOrder/ports":[{"port":80},{"port":8081}],"ports":[{"port":80,"targetPort":9090},{"name":"alt","port":8081},{"$patch":"delete","port":443}]}}}"#,
        r#"{"name":"svc_ports_reorder_and_drop","gk":["","Service"],"last":{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"s2","namespace":"default"},"spec":{"ports":[{"name":"a","port":9000},{"name":"b","port":80},{"name":"c","port":443}],"selector":{"app":"d"}}},"config":{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"s2","namespace":"default"},"spec":{"ports":[{"name":"c","port":443},{"name":"a","port":9000,"targetPort":1}],"selector":{"app":"d"}}},"live":{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"s2","namespace":"default"},"spec":{"clusterIP":"10.43.6.42","clusterIPs":["10.43.6.42"],"internalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[{"name":"a","port":9000,"protocol":"TCP","targetPort":9000},{"name":"b","port":80,"protocol":"TCP","targetPort":80},{"name":"c","port":443,"protocol":"TCP","targetPort":443}],"selector":{"app":"d"},"sessionAffinity":"None","type":"ClusterIP"}},"want":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"<LA>"}},"spec":{"$setElementOrder/ports":[{"port":443},{"port":9000}],"ports":[{"port":9000,"targetPort":1},{"$patch":"delete","port":80}]}}}"#,
    ];

    fn last_applied(config: &Value) -> Value {
        Value::String(format!("{}\n", serde_json::to_string(config).unwrap()))
    }

    #[test]
    fn matches_kubectl_captures() {
        for case in KUBECTL {
            let case: Value = serde_json::from_str(case).unwrap();
            let original = case["last"].clone();
            let mut modified = case["config"].clone();
            let new_la = last_applied(&modified);
            modified["metadata"]["annotations"][LA] = new_la.clone();
            let mut current = case["live"].clone();
            current["metadata"]["annotations"][LA] = last_applied(&original);
            let mut want = case["want"].clone();
            if want["metadata"]["annotations"][LA] == "<LA>" {
                want["metadata"]["annotations"][LA] = new_la;
            }
            let (group, kind) = (
                case["gk"][0].as_str().unwrap(),
                case["gk"][1].as_str().unwrap(),
            );
            let got = three_way(Some(&original), &modified, &current, group, kind).unwrap();
            assert_eq!(
                serde_json::to_string(&got).unwrap(),
                serde_json::to_string(&want).unwrap(),
                "{}",
                case["name"]
            );
        }
    }

    #[test]
    fn first_apply_without_original() {
        let modified =
            json!({"metadata": {"name": "d", "labels": {"a": "1"}}, "spec": {"replicas": 2}});
        let current = json!({"metadata": {"name": "d", "uid": "u"}, "spec": {"replicas": 1}});
        let got = three_way(None, &modified, &current, "apps", "Deployment").unwrap();
        assert_eq!(
            got,
            json!({"metadata": {"labels": {"a": "1"}}, "spec": {"replicas": 2}})
        );
    }

    #[test]
    fn number_types_follow_go_decoding() {
        // apimachinery decodes 1 as int64 and 1.0 as float64, so they differ.
        let cur = json!({"spec": {"x": 1, "y": 2}});
        let m = json!({"spec": {"x": 1.0, "y": 2}});
        let got = three_way(None, &m, &cur, "", "ConfigMap").unwrap();
        assert_eq!(got, json!({"spec": {"x": 1.0}}));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let cur = json!({"spec": {"containers": [{"name": "a"}]}});
        let missing_key = json!({"spec": {"containers": [{"image": "x"}]}});
        assert!(three_way(None, &missing_key, &cur, "", "Pod").is_err());
        let mixed = json!({"spec": {"containers": ["a"]}});
        assert!(three_way(None, &mixed, &cur, "", "Pod").is_err());
        let nested = json!({"metadata": {"finalizers": [["a"]]}});
        let cur2 = json!({"metadata": {"finalizers": ["a"]}});
        assert!(three_way(None, &nested, &cur2, "", "Pod").is_err());
        assert!(three_way(Some(&json!([1])), &json!({}), &json!({}), "", "Pod").is_err());
        assert!(three_way(None, &json!("x"), &json!({}), "", "Pod").is_err());
        let directive = json!({"spec": {"$patch": 3}});
        assert!(three_way(
            None,
            &directive,
            &json!({"spec": {"$patch": "x"}}),
            "",
            "Pod"
        )
        .is_err());
    }

    #[test]
    fn retain_keys_on_volume_only_when_touched() {
        let vol = |v: Value| json!({"spec": {"volumes": [v]}});
        let same = vol(json!({"name": "v", "emptyDir": {}}));
        assert_eq!(
            three_way(Some(&same), &same, &same, "", "Pod").unwrap(),
            json!({})
        );
        let cur = vol(json!({"name": "v", "emptyDir": {}, "extra": 1}));
        let got = three_way(Some(&same), &same, &cur, "", "Pod").unwrap();
        let want = json!({"spec": {"$setElementOrder/volumes": [{"name": "v"}],
            "volumes": [{"$retainKeys": ["emptyDir", "name"], "name": "v"}]}});
        assert_eq!(got, want);
    }

    #[test]
    fn go_formatting_and_dedup() {
        assert_eq!(go_string(&json!(8080)), "8080");
        assert_eq!(go_string(&json!(1.5)), "1.5");
        assert_eq!(go_string(&json!(1e21)), "1e+21");
        assert_eq!(go_string(&json!(0.00001)), "1e-05");
        assert_eq!(go_string(&json!(1234567.5)), "1.2345675e+06");
        assert_eq!(go_string(&json!(0.5)), "0.5");
        let dedup = go_dedup(vec![json!("a"), json!("a"), json!("b"), json!("c")]);
        assert_eq!(dedup, vec![json!("a"), json!("c"), json!("b")]);
    }

    #[test]
    fn json_merge_three_way() {
        let original = json!({"metadata": {"labels": {"a": "b", "c": "d"}},
            "spec": {"size": 3, "items": [{"name": "a"}, {"name": "b"}], "nested": {"x": 1, "y": {"z": 2}}}});
        let modified = json!({"metadata": {"labels": {"a": "b"}},
            "spec": {"size": 4, "items": [{"name": "a"}], "nested": {"x": 1, "y": {}}, "extra": {}, "n": null}});
        let current = json!({"metadata": {"labels": {"a": "b", "c": "d"}, "uid": "u"},
            "spec": {"size": 3, "items": [{"name": "a"}, {"name": "b"}], "nested": {"x": 1.0, "y": {"z": 2}, "srv": 1}, "server": "set"}});
        // An explicit null in the config lands in the deletion half and so survives.
        let want = json!({"metadata": {"labels": {"c": null}},
            "spec": {"size": 4, "items": [{"name": "a"}], "nested": {"y": {"z": null}}, "extra": {}, "n": null}});
        assert_eq!(three_way_json(Some(&original), &modified, &current), want);
        assert_eq!(
            three_way_json(Some(&original), &original, &current),
            json!({})
        );
        assert_eq!(three_way_json(None, &json!([1]), &current), json!([1]));
        // Added values lose null members of maps (even inside lists) unless the deletion half
        // already holds that map.
        let added =
            json!({"spec": {"list": [{"a": null, "b": 1}], "m": {"k": {"gone": null, "v": 1}}}});
        let want = json!({"spec": {"list": [{"b": 1}], "m": {"k": {"gone": null, "v": 1}}}});
        assert_eq!(three_way_json(None, &added, &json!({})), want);
    }
}
