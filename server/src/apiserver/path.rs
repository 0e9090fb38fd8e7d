//! Parses Kubernetes REST paths (`/apis/apps/v1/namespaces/x/deployments/y/scale`) against the registry.

use kyb_api::registry::{self, Resource};
use kyb_api::status::Status;

use super::error::{ApiError, ApiResult};

/// What a resource path addresses.
#[derive(Debug, Clone)]
pub struct Target {
    pub resource: &'static Resource,
    /// The namespace in the path; `None` for cluster-scoped kinds and all-namespace lists.
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

/// A parsed request path.
#[derive(Debug)]
pub enum Route {
    /// `/api`, `/apis`, `/api/v1`, `/apis/apps`, `/apis/apps/v1`.
    Discovery {
        group: Option<String>,
        version: Option<String>,
        legacy: bool,
    },
    Resource(Target),
}

/// The apiserver's answer for a path that names nothing it serves.
fn not_found(_path: &str) -> ApiError {
    ApiError::from(Status::failure(
        404,
        "NotFound",
        "the server could not find the requested resource",
    ))
}

/// Splits a path into its route. Unknown groups, versions or resources are 404 NotFound.
pub fn parse(path: &str) -> ApiResult<Route> {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (group, rest, legacy) = match segs.as_slice() {
        ["api", rest @ ..] => ("", rest, true),
        ["apis"] => {
            return Ok(Route::Discovery {
                group: None,
                version: None,
                legacy: false,
            });
        }
        ["apis", group, rest @ ..] => (*group, rest, false),
        _ => return Err(not_found(path)),
    };
    let Some((version, rest)) = rest.split_first() else {
        return Ok(Route::Discovery {
            group: (!legacy).then(|| group.to_string()),
            version: None,
            legacy,
        });
    };
    if registry::resources_in(group, version).next().is_none() {
        return Err(not_found(path));
    }
    if rest.is_empty() {
        return Ok(Route::Discovery {
            group: Some(group.to_string()),
            version: Some(version.to_string()),
            legacy,
        });
    }
    let lookup =
        |plural: &str| registry::lookup(group, version, plural).ok_or_else(|| not_found(path));
    let target = match *rest {
        // `namespaces/x/pods...` addresses namespaced resources; `namespaces/x[/status]` the namespace itself.
        ["namespaces", ns, plural, ref tail @ ..]
            if registry::lookup(group, version, plural).is_some_and(|r| r.namespaced) =>
        {
            let resource = lookup(plural)?;
            let (name, sub) = match tail {
                [] => (None, None),
                [name] => (Some(name), None),
                [name, sub] => (Some(name), Some(sub)),
                _ => return Err(not_found(path)),
            };
            Target {
                resource,
                namespace: Some(ns.to_string()),
                name: name.map(|s| s.to_string()),
                subresource: sub.map(|s| s.to_string()),
            }
        }
        [plural, ref tail @ ..] => {
            let resource = lookup(plural)?;
            let (name, sub) = match tail {
                [] => (None, None),
                [name] => (Some(name), None),
                [name, sub] => (Some(name), Some(sub)),
                _ => return Err(not_found(path)),
            };
            if resource.namespaced && name.is_some() {
                // `/api/v1/pods/x`: namespaced objects are only addressable inside their namespace.
                return Err(not_found(path));
            }
            Target {
                resource,
                namespace: None,
                name: name.map(|s| s.to_string()),
                subresource: sub.map(|s| s.to_string()),
            }
        }
        [] => return Err(not_found(path)),
    };
    if let Some(sub) = &target.subresource {
        if target.resource.subresource(sub).is_none() {
            return Err(not_found(path));
        }
    }
    Ok(Route::Resource(target))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(path: &str) -> Target {
        match parse(path) {
            Ok(Route::Resource(t)) => t,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn namespaced_paths() {
        let t = target("/apis/apps/v1/namespaces/web/deployments/front/scale");
        assert_eq!(t.resource.kind, "Deployment");
        assert_eq!(t.namespace.as_deref(), Some("web"));
        assert_eq!(t.name.as_deref(), Some("front"));
        assert_eq!(t.subresource.as_deref(), Some("scale"));
        let t = target("/api/v1/pods");
        assert_eq!((t.resource.plural, t.namespace), ("pods", None));
    }

    #[test]
    fn namespace_objects_and_their_subresources() {
        let t = target("/api/v1/namespaces/kube-system");
        assert_eq!(
            (t.resource.plural, t.name.as_deref()),
            ("namespaces", Some("kube-system"))
        );
        let t = target("/api/v1/namespaces/x/status");
        assert_eq!(
            (t.name.as_deref(), t.subresource.as_deref()),
            (Some("x"), Some("status"))
        );
        let t = target("/api/v1/namespaces/x/finalize");
        assert_eq!(t.subresource.as_deref(), Some("finalize"));
    }

    #[test]
    fn unknown_things_are_not_found() {
        for p in [
            "/api/v2/pods",
            "/apis/nope/v1",
            "/api/v1/widgets",
            "/api/v1/namespaces/x/pods/y/z/w",
            "/api/v1/namespaces/x/pods/y/bogus",
            "/foo",
        ] {
            assert!(parse(p).is_err(), "{p}");
        }
    }
}
