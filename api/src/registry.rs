//! The one table of every kind Kybernet serves: discovery, routing and the CLI's name resolution all read it.

/// A subresource row, as discovery lists it (`deployments/scale`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subresource {
    /// The path segment after the object name, e.g. `scale`.
    pub name: &'static str,
    /// The kind the subresource speaks; `None` means the parent's kind.
    pub kind: Option<(&'static str, &'static str, &'static str)>,
    pub verbs: &'static [&'static str],
}

/// One served resource at one group version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub verbs: &'static [&'static str],
    pub subresources: &'static [Subresource],
    /// The group and version objects are stored in, so that every version of one resource
    /// (autoscaling v1 and v2, core and events.k8s.io events) shares its objects.
    pub storage: (&'static str, &'static str),
}

impl Resource {
    /// `v1` or `apps/v1`: the value of `apiVersion` for this resource.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `deployments.apps`: the name Kubernetes uses in error messages.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The key prefix under which this resource's objects are stored, shared by all its versions.
    pub fn storage_prefix(&self) -> String {
        let group = if self.storage.0.is_empty() {
            "core"
        } else {
            self.storage.0
        };
        format!("/registry/{group}/{}/", self.plural)
    }

    /// Whether objects of this resource are stored in the form it serves (no conversion needed).
    pub fn is_storage_form(&self) -> bool {
        self.storage == (self.group, self.version)
    }

    pub fn subresource(&self, name: &str) -> Option<&'static Subresource> {
        self.subresources.iter().find(|s| s.name == name)
    }

    /// Whether the object kind carries a `status` subresource (status writes ignore spec and the reverse).
    pub fn has_status(&self) -> bool {
        self.subresource("status").is_some()
    }
}

/// The verbs of an ordinary stored resource.
pub const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const NO_DELETECOLLECTION: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];
const STATUS_VERBS: &[&str] = &["get", "patch", "update"];

const STATUS: Subresource = Subresource {
    name: "status",
    kind: None,
    verbs: STATUS_VERBS,
};
const SCALE: Subresource = Subresource {
    name: "scale",
    kind: Some(("autoscaling", "v1", "Scale")),
    verbs: STATUS_VERBS,
};
const STATUS_SCALE: &[Subresource] = &[STATUS, SCALE];
const ONLY_STATUS: &[Subresource] = &[STATUS];
const POD_SUBS: &[Subresource] = &[
    STATUS,
    Subresource {
        name: "binding",
        kind: Some(("", "v1", "Binding")),
        verbs: &["create"],
    },
    Subresource {
        name: "eviction",
        kind: Some(("policy", "v1", "Eviction")),
        verbs: &["create"],
    },
    Subresource {
        name: "log",
        kind: Some(("", "v1", "Pod")),
        verbs: &["get"],
    },
    Subresource {
        name: "exec",
        kind: Some(("", "v1", "PodExecOptions")),
        verbs: &["create", "get"],
    },
    Subresource {
        name: "attach",
        kind: Some(("", "v1", "PodAttachOptions")),
        verbs: &["create", "get"],
    },
    Subresource {
        name: "portforward",
        kind: Some(("", "v1", "PodPortForwardOptions")),
        verbs: &["create", "get"],
    },
];
const NAMESPACE_SUBS: &[Subresource] = &[
    Subresource {
        name: "finalize",
        kind: None,
        verbs: &["update"],
    },
    STATUS,
];

#[allow(clippy::too_many_arguments)]
const fn res(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    subresources: &'static [Subresource],
) -> Resource {
    Resource {
        group,
        version,
        kind,
        plural,
        singular,
        namespaced,
        short_names,
        categories,
        verbs: ALL_VERBS,
        subresources,
        storage: (group, version),
    }
}

const ALL: &[&str] = &["all"];
const NONE: &[&str] = &[];

/// Every resource served, in discovery order.
#[rustfmt::skip]
pub static RESOURCES: &[Resource] = &[
    // core/v1
    res("", "v1", "ConfigMap", "configmaps", "configmap", true, &["cm"], NONE, &[]),
    res("", "v1", "Endpoints", "endpoints", "endpoints", true, &["ep"], NONE, &[]),
    res("", "v1", "Event", "events", "event", true, &["ev"], NONE, &[]),
    res("", "v1", "LimitRange", "limitranges", "limitrange", true, &["limits"], NONE, &[]),
    Resource { verbs: NO_DELETECOLLECTION, ..res("", "v1", "Namespace", "namespaces", "namespace", false, &["ns"], NONE, NAMESPACE_SUBS) },
    res("", "v1", "Node", "nodes", "node", false, &["no"], NONE, ONLY_STATUS),
    res("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", true, &["pvc"], NONE, ONLY_STATUS),
    res("", "v1", "PersistentVolume", "persistentvolumes", "persistentvolume", false, &["pv"], NONE, ONLY_STATUS),
    res("", "v1", "Pod", "pods", "pod", true, &["po"], ALL, POD_SUBS),
    res("", "v1", "ReplicationController", "replicationcontrollers", "replicationcontroller", true, &["rc"], ALL, STATUS_SCALE),
    res("", "v1", "ResourceQuota", "resourcequotas", "resourcequota", true, &["quota"], NONE, ONLY_STATUS),
    res("", "v1", "Secret", "secrets", "secret", true, NONE, NONE, &[]),
    res("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", true, &["sa"], NONE, &[]),
    Resource { verbs: NO_DELETECOLLECTION, ..res("", "v1", "Service", "services", "service", true, &["svc"], ALL, ONLY_STATUS) },
    // apps/v1
    res("apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", true, NONE, NONE, &[]),
    res("apps", "v1", "DaemonSet", "daemonsets", "daemonset", true, &["ds"], ALL, ONLY_STATUS),
    res("apps", "v1", "Deployment", "deployments", "deployment", true, &["deploy"], ALL, STATUS_SCALE),
    res("apps", "v1", "ReplicaSet", "replicasets", "replicaset", true, &["rs"], ALL, STATUS_SCALE),
    res("apps", "v1", "StatefulSet", "statefulsets", "statefulset", true, &["sts"], ALL, STATUS_SCALE),
    // batch/v1
    res("batch", "v1", "CronJob", "cronjobs", "cronjob", true, &["cj"], ALL, ONLY_STATUS),
    res("batch", "v1", "Job", "jobs", "job", true, NONE, ALL, ONLY_STATUS),
    // autoscaling: v2 is the storage version; v1 is converted on the way in and out.
    res("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", true, &["hpa"], ALL, ONLY_STATUS),
    Resource { storage: ("autoscaling", "v2"), ..res("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", true, &["hpa"], ALL, ONLY_STATUS) },
    // networking.k8s.io/v1
    res("networking.k8s.io", "v1", "IngressClass", "ingressclasses", "ingressclass", false, NONE, NONE, &[]),
    res("networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", true, &["ing"], NONE, ONLY_STATUS),
    res("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", "networkpolicy", true, &["netpol"], NONE, &[]),
    // coordination.k8s.io/v1
    res("coordination.k8s.io", "v1", "Lease", "leases", "lease", true, NONE, NONE, &[]),
    // discovery.k8s.io/v1
    res("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", true, NONE, NONE, &[]),
    // storage.k8s.io/v1
    res("storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", false, &["sc"], NONE, &[]),
    // policy/v1
    res("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget", true, &["pdb"], NONE, ONLY_STATUS),
    // events.k8s.io/v1: stored as core events and converted, as in Kubernetes.
    Resource { storage: ("", "v1"), ..res("events.k8s.io", "v1", "Event", "events", "event", true, &["ev"], NONE, &[]) },
];

/// The resource served at `group`/`version` under `plural`.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Every group version served, core first, each group with its preferred version first.
pub fn group_versions() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for r in RESOURCES {
        match out.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, versions)) => {
                if !versions.contains(&r.version) {
                    versions.push(r.version);
                }
            }
            None => out.push((r.group, vec![r.version])),
        }
    }
    out
}

/// The resources of one group version, in table order.
pub fn resources_in<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static Resource> + 'a {
    RESOURCES
        .iter()
        .filter(move |r| r.group == group && r.version == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_are_unique_per_group_version() {
        for (i, a) in RESOURCES.iter().enumerate() {
            for b in &RESOURCES[i + 1..] {
                assert!(
                    !(a.group == b.group && a.version == b.version && a.plural == b.plural),
                    "{} twice",
                    a.plural
                );
            }
        }
    }

    #[test]
    fn autoscaling_versions_share_storage() {
        let v1 =
            lookup("autoscaling", "v1", "horizontalpodautoscalers").map(|r| r.storage_prefix());
        let v2 =
            lookup("autoscaling", "v2", "horizontalpodautoscalers").map(|r| r.storage_prefix());
        assert!(v1.is_some());
        assert_eq!(v1, v2);
    }

    #[test]
    fn both_event_apis_share_storage() {
        let core = lookup("", "v1", "events").map(|r| r.storage_prefix());
        let events = lookup("events.k8s.io", "v1", "events").map(|r| r.storage_prefix());
        assert_eq!(core.as_deref(), Some("/registry/core/events/"));
        assert_eq!(core, events);
    }

    #[test]
    fn preferred_version_comes_first() {
        let gv = group_versions();
        assert_eq!(gv[0], ("", vec!["v1"]));
        let autoscaling = gv
            .iter()
            .find(|(g, _)| *g == "autoscaling")
            .map(|(_, v)| v.clone());
        assert_eq!(autoscaling, Some(vec!["v2", "v1"]));
    }
}
