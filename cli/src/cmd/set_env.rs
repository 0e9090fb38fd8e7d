//! `kyb set env` and `kyb set resources`: edit the containers of a pod template (chosen by a `-c` glob)
//! and send the result as a JSON patch of the changed containers, as kubectl's outcome.

use serde_json::{json, Map, Value};

use super::set::{pod_spec_path, EnvArgs, ResourcesArgs};
use super::targets::ObjRef;
use super::{CliError, CliResult, Ctx};

/// `path.Match` with `*` and `?`, as kubectl matches `--containers`.
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    go(&p, &n)
}

/// Applies `edit` to every container (and init container) the glob selects; returns the JSON patch that
/// replaces the changed ones (each guarded by a test of its name), or None when nothing changed, and
/// whether any container matched at all.
fn edit_containers(
    obj: &Value,
    kind: &str,
    containers: &str,
    mut edit: impl FnMut(&mut Value) -> CliResult,
) -> CliResult<(Option<Value>, bool)> {
    let base: String = pod_spec_path(kind)
        .iter()
        .map(|k| format!("/{k}"))
        .collect();
    let mut ops = Vec::new();
    let mut matched = false;
    for list in ["initContainers", "containers"] {
        let items = obj
            .pointer(&format!("{base}/{list}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, c) in items.iter().enumerate() {
            let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
            if !glob(containers, name) {
                continue;
            }
            matched = true;
            let mut changed = c.clone();
            edit(&mut changed)?;
            if changed != *c {
                let path = format!("{base}/{list}/{i}");
                ops.push(json!({"op": "test", "path": format!("{path}/name"), "value": name}));
                ops.push(json!({"op": "replace", "path": path, "value": changed}));
            }
        }
    }
    Ok(((!ops.is_empty()).then(|| json!(ops)), matched))
}

/// kubectl's keyToEnvName: upper case, with anything but letters, digits and `_` made `_`.
fn env_name(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Splits `TYPE NAME KEY=VAL KEY-` into the objects and the environment (kubectl's
/// SplitEnvironmentFromResources: the trailing arguments that set or remove a variable).
fn split_env(args: &[String]) -> (Vec<String>, Vec<String>) {
    let is_env = |a: &String| a.contains('=') || (a.ends_with('-') && a.len() > 1);
    let first_env = args.iter().rposition(|a| !is_env(a)).map_or(0, |i| i + 1);
    (args[..first_env].to_vec(), args[first_env..].to_vec())
}

/// The variables `--from=configmap/NAME` or `--from=secret/NAME` injects, by reference.
async fn from_source(ctx: &Ctx, a: &EnvArgs) -> CliResult<Vec<Value>> {
    let Some(from) = &a.from else {
        return Ok(Vec::new());
    };
    let (kind, name) = from.split_once('/').unwrap_or(("", from));
    let (plural, reference) = match kind {
        "configmap" | "configmaps" | "cm" => ("configmaps", "configMapKeyRef"),
        "secret" | "secrets" => ("secrets", "secretKeyRef"),
        _ => {
            return Err(CliError::Msg(format!(
                "unsupported resource specified in --from: {from}"
            )))
        }
    };
    let path = format!("/api/v1/namespaces/{}/{plural}/{name}", ctx.namespace());
    let source = ctx.client.get_json(&path).await?;
    let mut keys: Vec<String> = ["data", "binaryData"]
        .iter()
        .filter_map(|f| source.get(*f).and_then(Value::as_object))
        .flat_map(|m| m.keys().cloned())
        .filter(|k| a.keys.is_empty() || a.keys.contains(k))
        .collect();
    keys.sort();
    for k in keys.iter().filter(|k| env_name(k) != **k) {
        eprintln!("Warning: key {k} transferred to {}", env_name(k));
    }
    Ok(keys
        .iter()
        .map(|k| {
            json!({"name": format!("{}{}", a.prefix, env_name(k)),
                "valueFrom": {reference: {"name": name, "key": k}}})
        })
        .collect())
}

/// One line of `set env --list` for a variable.
fn listed(var: &Value) -> String {
    let name = var["name"].as_str().unwrap_or_default();
    if let Some(v) = var.get("value").and_then(Value::as_str) {
        return format!("{name}={v}");
    }
    let from = &var["valueFrom"];
    if let Some(r) = from.get("configMapKeyRef") {
        return format!(
            "# {name} from configmap {}, key {}",
            r["name"].as_str().unwrap_or_default(),
            r["key"].as_str().unwrap_or_default()
        );
    }
    if let Some(r) = from.get("secretKeyRef") {
        return format!(
            "# {name} from secret {}, key {}",
            r["name"].as_str().unwrap_or_default(),
            r["key"].as_str().unwrap_or_default()
        );
    }
    if let Some(r) = from.get("fieldRef") {
        return format!(
            "# {name} from field path {}",
            r["fieldPath"].as_str().unwrap_or_default()
        );
    }
    if let Some(r) = from.get("resourceFieldRef") {
        return format!(
            "# {name} from resource {}",
            r["resource"].as_str().unwrap_or_default()
        );
    }
    format!("{name}=")
}

pub async fn env(ctx: &Ctx, a: EnvArgs) -> CliResult {
    let suffix = a.objects.dry_run_suffix()?;
    let (resources, mut pairs) = split_env(&a.args);
    pairs.extend(a.env.iter().cloned());
    let mut set: Vec<Value> = Vec::new();
    let mut remove: Vec<String> = Vec::new();
    for p in &pairs {
        match p.split_once('=') {
            Some((k, v)) => set.push(json!({"name": k, "value": v})),
            None => remove.push(p.trim_end_matches('-').to_string()),
        }
    }
    set.extend(from_source(ctx, &a).await?);
    for (o, obj) in a.objects.resolve(ctx, &resources).await? {
        if a.list {
            list(&o, &obj, &a.containers);
            continue;
        }
        let (patch, matched) = edit_containers(&obj, &o.resource.kind, &a.containers, |c| {
            let mut vars: Vec<Value> = c
                .get("env")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for new in &set {
                match vars.iter_mut().find(|v| v["name"] == new["name"]) {
                    Some(old) if !a.overwrite && old != new => {
                        return Err(CliError::Msg(format!(
                            "{}/{} '{}' already has a value ({}), and --overwrite is false",
                            o.resource.name,
                            o.name,
                            new["name"].as_str().unwrap_or_default(),
                            old["value"].as_str().unwrap_or_default()
                        )))
                    }
                    Some(old) => *old = new.clone(),
                    None => vars.push(new.clone()),
                }
            }
            vars.retain(|v| !remove.iter().any(|r| v["name"] == r.as_str()));
            if vars.is_empty() {
                if let Some(m) = c.as_object_mut() {
                    m.remove("env");
                }
            } else {
                c["env"] = json!(vars);
            }
            Ok(())
        })?;
        if !matched {
            eprintln!(
                "Warning: {}/{} does not have any containers matching {:?}",
                o.resource.kind, o.name, a.containers
            );
        }
        let Some(patch) = patch else { continue };
        a.objects
            .send(ctx, &o, "application/json-patch+json", &patch)
            .await?;
        a.objects.report(&o, &format!("env updated{suffix}"));
    }
    Ok(())
}

/// `set env --list`: each selected container's variables, headed as kubectl heads them.
fn list(o: &ObjRef, obj: &Value, containers: &str) {
    let base: String = pod_spec_path(&o.resource.kind)
        .iter()
        .map(|k| format!("/{k}"))
        .collect();
    for list in ["initContainers", "containers"] {
        for c in obj
            .pointer(&format!("{base}/{list}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = c["name"].as_str().unwrap_or_default();
            if !glob(containers, name) {
                continue;
            }
            let what = if list == "initContainers" {
                "init container"
            } else {
                "container"
            };
            println!("# {} {}, {what} {name}", o.resource.kind, o.name);
            for var in c.get("env").and_then(Value::as_array).into_iter().flatten() {
                println!("{}", listed(var));
            }
        }
    }
}

/// `cpu=200m,memory=512Mi` → a resource list.
fn quantities(spec: &str) -> CliResult<Map<String, Value>> {
    let mut out = Map::new();
    for part in spec.split(',').filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return Err(CliError::Msg(format!(
                "invalid resource specification: {part:?}"
            )));
        };
        if kyb_api::quantity::parse_milli(v).is_none() {
            return Err(CliError::Msg(
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'".into(),
            ));
        }
        out.insert(k.to_string(), json!(v));
    }
    Ok(out)
}

pub async fn resources(ctx: &Ctx, a: ResourcesArgs) -> CliResult {
    let suffix = a.objects.dry_run_suffix()?;
    let limits = quantities(a.limits.as_deref().unwrap_or_default())?;
    let requests = quantities(a.requests.as_deref().unwrap_or_default())?;
    if limits.is_empty() && requests.is_empty() {
        return Err(CliError::Msg(
            "you must specify an update to requests or limits (in the form of --requests/--limits)"
                .into(),
        ));
    }
    let mut missing = false;
    for (o, obj) in a.objects.resolve(ctx, &a.args).await? {
        let (patch, matched) = edit_containers(&obj, &o.resource.kind, &a.containers, |c| {
            for (field, values) in [("limits", &limits), ("requests", &requests)] {
                for (k, v) in values.iter() {
                    c["resources"][field][k] = v.clone();
                }
            }
            Ok(())
        })?;
        missing |= !matched;
        let Some(patch) = patch else { continue };
        a.objects
            .send(ctx, &o, "application/json-patch+json", &patch)
            .await?;
        a.objects
            .report(&o, &format!("resource requirements updated{suffix}"));
    }
    if missing {
        return Err(CliError::Msg(format!(
            "unable to find container named {}",
            a.containers
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_env_names_and_arguments() {
        assert!(glob("*", "web") && glob("w?b", "web") && glob("side*", "sidecar"));
        assert!(!glob("web", "web2") && !glob("a*b", "ac"));
        assert_eq!(env_name("log.level-x"), "LOG_LEVEL_X");
        let args: Vec<String> = ["deploy/web", "A=1", "B-"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            split_env(&args),
            (
                vec!["deploy/web".to_string()],
                vec!["A=1".to_string(), "B-".to_string()]
            )
        );
        let args: Vec<String> = ["deployment", "web", "A=1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(split_env(&args).0, ["deployment", "web"]);
    }

    #[test]
    fn only_changed_containers_are_patched() {
        let d = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}]}, {"name": "b"}]}}}});
        let (patch, matched) = edit_containers(&d, "Deployment", "a", |c| {
            c["env"][0]["value"] = json!("2");
            Ok(())
        })
        .unwrap_or_default();
        assert!(matched);
        assert_eq!(
            patch,
            Some(
                json!([{"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "a"},
                {"op": "replace", "path": "/spec/template/spec/containers/0", "value": {"name": "a", "env": [{"name": "X", "value": "2"}]}}])
            )
        );
        let (none, _) = edit_containers(&d, "Deployment", "*", |_| Ok(())).unwrap_or_default();
        assert_eq!(none, None);
    }
}
