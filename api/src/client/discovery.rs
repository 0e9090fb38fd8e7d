//! Discovery: the resources a server serves, fetched in one aggregated request per root when the server
//! offers it, cached on disk as kubectl caches it, and the name resolution `kubectl get` does with it.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Client, ClientError};

/// How long a cached discovery answer is trusted, as kubectl's disk cache.
const CACHE_TTL: Duration = Duration::from_secs(6 * 3600);
const ACCEPT_AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

/// One resource at one group version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiResource {
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The plural, as in the URL.
    pub name: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub verbs: Vec<String>,
    /// Whether `version` is the group's preferred version.
    pub preferred: bool,
}

impl ApiResource {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The collection path, in a namespace or across all of them.
    pub fn path(&self, namespace: Option<&str>) -> String {
        let root = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{root}/namespaces/{ns}/{}", self.name),
            _ => format!("{root}/{}", self.name),
        }
    }

    /// `deployment.apps` or `pod`: how kubectl names the kind in `-o name` and multi-type tables.
    pub fn kind_group(&self) -> String {
        let kind = self.kind.to_lowercase();
        if self.group.is_empty() {
            kind
        } else {
            format!("{kind}.{}", self.group)
        }
    }
}

/// Everything a server serves.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Discovery {
    pub resources: Vec<ApiResource>,
    /// Group versions, each group's preferred version first.
    pub groups: Vec<(String, Vec<String>)>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn cache_path(host: &str) -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let safe: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(
        PathBuf::from(home)
            .join(".kube/cache/kyb-discovery")
            .join(format!("{safe}.json")),
    )
}

impl Discovery {
    /// The cached discovery for this server, or a fresh one (then cached) when the cache is missing, old, or `refresh`.
    pub async fn load(client: &Client, refresh: bool) -> Result<Discovery, ClientError> {
        let path = cache_path(&client.host);
        if !refresh {
            if let Some(d) = path.as_ref().and_then(Self::read_cache) {
                return Ok(d);
            }
        }
        let d = Self::fetch(client).await?;
        if let Some(p) = path {
            // The cache is an optimisation: failing to write it is not an error.
            if let (Some(dir), Ok(text)) = (p.parent(), serde_json::to_vec(&d)) {
                let _ = std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&p, text));
            }
        }
        Ok(d)
    }

    fn read_cache(p: &PathBuf) -> Option<Discovery> {
        let age = std::fs::metadata(p).ok()?.modified().ok()?;
        if SystemTime::now().duration_since(age).ok()? > CACHE_TTL {
            return None;
        }
        serde_json::from_slice(&std::fs::read(p).ok()?).ok()
    }

    /// Asks the server: aggregated discovery when it answers with it, else the legacy per-group-version lists.
    pub async fn fetch(client: &Client) -> Result<Discovery, ClientError> {
        let mut d = Discovery::default();
        for root in ["/api", "/apis"] {
            let resp = client
                .send(reqwest::Method::GET, root, ACCEPT_AGGREGATED, None)
                .await?;
            let body = resp.json()?;
            if resp.content_type.contains("as=APIGroupDiscoveryList") {
                d.add_aggregated(&body);
            } else if root == "/api" {
                for v in strings(body.get("versions")) {
                    let list = client.get_json(&format!("/api/{v}")).await?;
                    d.add_legacy("", &v, &list, true);
                    d.groups.push((String::new(), vec![v]));
                }
            } else {
                for g in body
                    .get("groups")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let name = g
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let preferred = g
                        .pointer("/preferredVersion/version")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let mut versions: Vec<String> = g
                        .get("versions")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|v| {
                            v.get("version").and_then(Value::as_str).map(str::to_string)
                        })
                        .collect();
                    versions.sort_by_key(|v| *v != preferred);
                    for v in &versions {
                        let list = client.get_json(&format!("/apis/{name}/{v}")).await?;
                        d.add_legacy(&name, v, &list, *v == preferred);
                    }
                    d.groups.push((name, versions));
                }
            }
        }
        Ok(d)
    }

    fn add_legacy(&mut self, group: &str, version: &str, list: &Value, preferred: bool) {
        for r in list
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = r.get("name").and_then(Value::as_str).unwrap_or_default();
            if name.contains('/') {
                continue; // Subresources are not resource types.
            }
            self.resources.push(ApiResource {
                group: group.to_string(),
                version: version.to_string(),
                kind: r
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                name: name.to_string(),
                singular: r
                    .get("singularName")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                namespaced: r
                    .get("namespaced")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                short_names: strings(r.get("shortNames")),
                categories: strings(r.get("categories")),
                verbs: strings(r.get("verbs")),
                preferred,
            });
        }
    }

    fn add_aggregated(&mut self, body: &Value) {
        for item in body
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let group = item
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let mut versions = Vec::new();
            for (i, v) in item
                .get("versions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let version = v
                    .get("version")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                for r in v
                    .get("resources")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    self.resources.push(ApiResource {
                        group: group.clone(),
                        version: version.clone(),
                        kind: r
                            .pointer("/responseKind/kind")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        name: r
                            .get("resource")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        singular: r
                            .get("singularResource")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        namespaced: r.get("scope").and_then(Value::as_str) == Some("Namespaced"),
                        short_names: strings(r.get("shortNames")),
                        categories: strings(r.get("categories")),
                        verbs: strings(r.get("verbs")),
                        preferred: i == 0,
                    });
                }
                versions.push(version);
            }
            self.groups.push((group, versions));
        }
    }

    /// Resolves what a user typed (`po`, `pods`, `pod`, `Pod`, `deployments.apps`, `deploy.v1.apps`) as kubectl's RESTMapper does.
    pub fn resolve(&self, typed: &str) -> Option<&ApiResource> {
        let typed = typed.to_lowercase();
        let candidates = |name: &str, group: Option<&str>, version: Option<&str>| {
            self.resources
                .iter()
                .filter(move |r| group.is_none_or(|g| r.group == g))
                .filter(move |r| match version {
                    Some(v) => r.version == v,
                    None => r.preferred,
                })
                .find(|r| {
                    let name = name.to_string();
                    r.name == name
                        || r.singular == name
                        || r.kind.to_lowercase() == name
                        || r.short_names.contains(&name)
                })
        };
        if let Some(found) = candidates(&typed, None, None) {
            return Some(found);
        }
        let (name, rest) = typed.split_once('.')?;
        if let Some(found) = candidates(name, Some(rest), None) {
            return Some(found);
        }
        let (version, group) = rest.split_once('.')?;
        candidates(name, Some(group), Some(version))
    }

    /// The preferred resources in a category (`all`), in discovery order.
    pub fn category(&self, category: &str) -> Vec<&ApiResource> {
        self.resources
            .iter()
            .filter(|r| r.preferred && r.categories.iter().any(|c| c == category))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Discovery {
        let mut d = Discovery::default();
        d.add_aggregated(&json!({"items": [
            {"metadata": {"name": ""}, "versions": [{"version": "v1", "resources": [
                {"resource": "pods", "responseKind": {"kind": "Pod"}, "scope": "Namespaced", "singularResource": "pod", "shortNames": ["po"], "categories": ["all"], "verbs": ["get"]}]}]},
            {"metadata": {"name": "apps"}, "versions": [{"version": "v1", "resources": [
                {"resource": "deployments", "responseKind": {"kind": "Deployment"}, "scope": "Namespaced", "singularResource": "deployment", "shortNames": ["deploy"], "categories": ["all"]}]}]},
            {"metadata": {"name": "autoscaling"}, "versions": [
                {"version": "v2", "resources": [{"resource": "horizontalpodautoscalers", "responseKind": {"kind": "HorizontalPodAutoscaler"}, "scope": "Namespaced", "shortNames": ["hpa"]}]},
                {"version": "v1", "resources": [{"resource": "horizontalpodautoscalers", "responseKind": {"kind": "HorizontalPodAutoscaler"}, "scope": "Namespaced", "shortNames": ["hpa"]}]}]}
        ]}));
        d
    }

    #[test]
    fn resolves_every_name_form() {
        let d = sample();
        for typed in ["po", "pod", "pods", "Pod", "PODS"] {
            assert_eq!(
                d.resolve(typed).map(|r| r.name.as_str()),
                Some("pods"),
                "{typed}"
            );
        }
        for typed in [
            "deploy",
            "deployments.apps",
            "deployment.apps",
            "deployments.v1.apps",
        ] {
            assert_eq!(
                d.resolve(typed).map(|r| r.kind_group()),
                Some("deployment.apps".to_string()),
                "{typed}"
            );
        }
        assert_eq!(d.resolve("hpa").map(|r| r.version.as_str()), Some("v2"));
        assert_eq!(
            d.resolve("hpa.v1.autoscaling").map(|r| r.version.as_str()),
            Some("v1")
        );
        assert!(d.resolve("widgets").is_none());
        assert!(d.resolve("deployments.nope").is_none());
    }

    #[test]
    fn paths_and_categories() {
        let d = sample();
        let deploy = d.resolve("deploy").expect("deploy");
        assert_eq!(
            deploy.path(Some("web")),
            "/apis/apps/v1/namespaces/web/deployments"
        );
        assert_eq!(deploy.path(None), "/apis/apps/v1/deployments");
        let all: Vec<&str> = d.category("all").iter().map(|r| r.name.as_str()).collect();
        assert_eq!(all, ["pods", "deployments"]);
    }
}
