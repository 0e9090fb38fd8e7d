//! Naming the objects a command acts on, as kubectl's resource builder does: `TYPE NAME...`, `TYPE/NAME...`,
//! `-f` files, or `TYPE` with `-l`/`--field-selector`/`--all`.

use kyb_api::client::ApiResource;
use serde_json::Value;

use super::get::encode;
use super::manifests;
use super::{unknown_type, CliError, CliResult, Ctx};

/// One object to act on.
pub struct ObjRef {
    pub resource: ApiResource,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjRef {
    /// The object's URL path.
    pub fn path(&self) -> String {
        format!(
            "{}/{}",
            self.resource.path(self.namespace.as_deref()),
            encode(&self.name)
        )
    }

    /// `deployment.apps/web`.
    pub fn display(&self) -> String {
        format!("{}/{}", self.resource.kind_group(), self.name)
    }
}

/// How the objects were named on the command line.
pub struct Selection<'a> {
    pub args: &'a [String],
    pub filenames: &'a [String],
    pub recursive: bool,
    pub selector: Option<&'a str>,
    pub field_selector: Option<&'a str>,
    pub all: bool,
    pub all_namespaces: bool,
}

pub const NO_RESOURCES: &str = "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'";

/// Resolves a selection to objects, listing the server for selector and `--all` forms.
pub async fn resolve(ctx: &Ctx, sel: &Selection<'_>) -> CliResult<Vec<ObjRef>> {
    let discovery = ctx.discovery(false).await?;
    let ns = |r: &ApiResource, explicit: Option<&str>| {
        r.namespaced
            .then(|| explicit.unwrap_or(ctx.namespace()).to_string())
    };
    let mut out = Vec::new();
    if !sel.filenames.is_empty() {
        for m in manifests::read(sel.filenames, sel.recursive)? {
            let r = manifests::resource_of(&discovery, &m)?;
            let name = m.name();
            let namespace = ns(
                r,
                m.object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str),
            );
            out.push(ObjRef {
                resource: r.clone(),
                namespace,
                name,
            });
        }
        return Ok(out);
    }
    let Some(first) = sel.args.first() else {
        return Err(CliError::Msg(NO_RESOURCES.into()));
    };
    if first.contains('/') {
        for a in sel.args {
            let (typed, name) = a.split_once('/').ok_or_else(|| unknown_type(a))?;
            let r = discovery
                .resolve(typed)
                .ok_or_else(|| unknown_type(typed))?;
            out.push(ObjRef {
                resource: r.clone(),
                namespace: ns(r, None),
                name: name.to_string(),
            });
        }
        return Ok(out);
    }
    for typed in first.split(',') {
        let r = discovery
            .resolve(typed)
            .ok_or_else(|| unknown_type(typed))?;
        if sel.args.len() > 1 {
            for name in &sel.args[1..] {
                out.push(ObjRef {
                    resource: r.clone(),
                    namespace: ns(r, None),
                    name: name.clone(),
                });
            }
            continue;
        }
        if !sel.all && sel.selector.is_none() && sel.field_selector.is_none() {
            return Err(CliError::Msg(
                "resource(s) were provided, but no name was specified".into(),
            ));
        }
        let list_ns = (!sel.all_namespaces).then(|| ctx.namespace().to_string());
        let mut q = Vec::new();
        if let Some(l) = sel.selector {
            q.push(format!("labelSelector={}", encode(l)));
        }
        if let Some(f) = sel.field_selector {
            q.push(format!("fieldSelector={}", encode(f)));
        }
        let list = ctx
            .client
            .get_json(&format!("{}?{}", r.path(list_ns.as_deref()), q.join("&")))
            .await?;
        for item in list
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = super::meta_str(item, "name");
            let namespace = item
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .map(str::to_string);
            out.push(ObjRef {
                resource: r.clone(),
                namespace,
                name,
            });
        }
    }
    Ok(out)
}
