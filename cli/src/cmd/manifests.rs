//! Reading `-f` inputs: files, folders (`-R`), stdin, multi-document YAML or JSON, and mapping each object to its resource.

use std::path::{Path, PathBuf};

use kyb_api::client::{ApiResource, Discovery};
use serde_json::Value;

use super::{CliError, CliResult};

/// One object read from an input, with where it came from (for messages).
pub struct Manifest {
    pub source: String,
    pub object: Value,
}

impl Manifest {
    /// `metadata.name`, or empty.
    pub fn name(&self) -> String {
        super::meta_str(&self.object, "name")
    }

    /// `metadata.namespace`, or `default` (the context's) when the file sets none.
    pub fn namespace_or(&self, default: &str) -> String {
        self.object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_string()
    }
}

fn files_in(path: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> CliResult {
    let entries = std::fs::read_dir(path)
        .map_err(|e| CliError::Msg(format!("error reading {}: {e}", path.display())))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            if recursive {
                files_in(&p, recursive, out)?;
            }
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
    Ok(())
}

/// Parses one input's text: a JSON document, or a stream of YAML documents; `List` kinds are flattened.
pub fn parse(source: &str, text: &str) -> CliResult<Vec<Manifest>> {
    let docs: Vec<Value> = if text.trim_start().starts_with('{') {
        vec![serde_json::from_str(text)
            .map_err(|e| CliError::Msg(format!("error parsing {source}: {e}")))?]
    } else {
        serde_saphyr::from_multiple::<Value>(text)
            .map_err(|e| CliError::Msg(format!("error parsing {source}: {e}")))?
    };
    let mut out = Vec::new();
    for doc in docs.into_iter().filter(|d| !d.is_null()) {
        if !doc.is_object() {
            return Err(CliError::Msg(format!(
                "error parsing {source}: the document is not an object"
            )));
        }
        let is_list = doc
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
            && doc.get("items").is_some_and(Value::is_array);
        if is_list {
            for item in doc
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push(Manifest {
                    source: source.to_string(),
                    object: item.clone(),
                });
            }
        } else {
            out.push(Manifest {
                source: source.to_string(),
                object: doc,
            });
        }
    }
    Ok(out)
}

/// Reads every `-f` input in order.
pub fn read(inputs: &[String], recursive: bool) -> CliResult<Vec<Manifest>> {
    let mut out = Vec::new();
    for input in inputs {
        if input == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| CliError::Msg(format!("reading stdin: {e}")))?;
            out.extend(parse("STDIN", &text)?);
            continue;
        }
        let path = Path::new(input);
        let files = if path.is_dir() {
            let mut files = Vec::new();
            files_in(path, recursive, &mut files)?;
            files
        } else if path.exists() {
            vec![path.to_path_buf()]
        } else {
            return Err(CliError::Msg(format!(
                "the path \"{input}\" does not exist"
            )));
        };
        for f in files {
            let text = std::fs::read_to_string(&f)
                .map_err(|e| CliError::Msg(format!("error reading {}: {e}", f.display())))?;
            out.extend(parse(&f.display().to_string(), &text)?);
        }
    }
    Ok(out)
}

/// The resource an object's apiVersion and kind name.
pub fn resource_of<'a>(d: &'a Discovery, m: &Manifest) -> CliResult<&'a ApiResource> {
    let api_version = m
        .object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = m
        .object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = m
        .object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let ns = m
        .object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if api_version.is_empty() || kind.is_empty() {
        return Err(CliError::Msg(format!(
            "error validating \"{}\": error validating data: [apiVersion not set, kind not set]; if you choose to ignore these errors, turn validation off with --validate=false",
            m.source
        )));
    }
    d.resources.iter().find(|r| r.api_version() == api_version && r.kind == kind).ok_or_else(|| {
        CliError::Msg(format!(
            "resource mapping not found for name: \"{name}\" namespace: \"{ns}\" from \"{}\": no matches for kind \"{kind}\" in version \"{api_version}\"\nensure CRDs are installed first",
            m.source
        ))
    })
}

/// `deployment.apps/web`: how kubectl names an object in its messages.
pub fn display_name(r: &ApiResource, name: &str) -> String {
    format!("{}/{name}", r.kind_group())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_document_yaml_and_lists() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: b\n";
        let m = parse("f.yaml", text).expect("parsed");
        let names: Vec<&str> = m
            .iter()
            .filter_map(|x| x.object.pointer("/metadata/name").and_then(Value::as_str))
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert!(parse("bad.yaml", "a: [1").is_err());
        assert!(parse("scalar.yaml", "just text").is_err());
    }
}
