//! get, create, update and delete of single objects, with Kubernetes' metadata, finalizer and namespace rules.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kyb_api::registry::{self, Resource};
use kyb_api::status::Status;
use serde_json::{json, Value};

use super::cache::Obj;
use super::convert;
use super::error::{ApiError, ApiResult};
use super::meta::{self, key};
use super::path::Target;
use super::request::{json as json_response, Req};
use super::{defaults, list, validation, Api};
use crate::store::StoreError;

/// The namespaces Kubernetes creates at boot.
const SYSTEM_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];

fn namespaces() -> &'static Resource {
    // The registry always serves namespaces; the table is static.
    registry::lookup("", "v1", "namespaces").unwrap_or(&registry::RESOURCES[0])
}

pub async fn ensure_system_namespaces(api: &Arc<Api>) -> Result<(), StoreError> {
    let mut boot: Vec<(&Resource, Option<&str>, Value)> = SYSTEM_NAMESPACES
        .iter()
        .map(|ns| {
            (
                namespaces(),
                None,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            )
        })
        .collect();
    if let Some(services) = registry::lookup("", "v1", "services") {
        boot.push((services, Some("default"), json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"type": "ClusterIP", "clusterIP": api.allocator.kubernetes_ip(), "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]},
        })));
    }
    if let Some(secrets) = registry::lookup("", "v1", "secrets") {
        use base64::Engine;
        let (ns, name) = super::streams::KUBELET_SECRET;
        let token = base64::engine::general_purpose::STANDARD.encode(&api.kubelet_token);
        boot.push((
            secrets,
            Some(ns),
            json!({
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": name, "namespace": ns},
                "data": {"token": token},
            }),
        ));
    }
    for (resource, ns, obj) in boot {
        if api
            .cache
            .get(&key(resource, ns, meta::name(&obj).unwrap_or_default()))
            .is_some()
        {
            continue;
        }
        match create_object(api, resource, ns, obj, false).await {
            Ok(_) => {}
            Err(ApiError(s)) if s.reason == "AlreadyExists" => {}
            Err(ApiError(s)) => return Err(StoreError::Backend(s.message)),
        }
    }
    Ok(())
}

/// The credential kubelets accept from this server: the one kept in its Secret, or a new one on first boot.
pub fn kubelet_token(cache: &super::WatchCache) -> String {
    use base64::Engine;
    let (ns, name) = super::streams::KUBELET_SECRET;
    let kept = registry::lookup("", "v1", "secrets")
        .and_then(|secrets| cache.get(&key(secrets, Some(ns), name)))
        .and_then(|obj| {
            let token = obj.value().pointer("/data/token")?.as_str()?.to_string();
            base64::engine::general_purpose::STANDARD.decode(token).ok()
        })
        .and_then(|t| String::from_utf8(t).ok())
        .filter(|t| !t.is_empty());
    kept.unwrap_or_else(|| {
        format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        )
    })
}

/// Reads one cached object, after the cache has caught up with every acknowledged write.
pub async fn read_obj(
    api: &Api,
    resource: &Resource,
    namespace: Option<&str>,
    name: &str,
) -> ApiResult<Arc<Obj>> {
    api.cache.wait_for(api.store.revision()).await;
    api.cache
        .get(&key(resource, namespace, name))
        .ok_or_else(|| ApiError::from(Status::not_found(resource.group, resource.plural, name)))
}

/// Reads one object as a value, for the verbs that change it.
pub async fn read(
    api: &Api,
    resource: &Resource,
    namespace: Option<&str>,
    name: &str,
) -> ApiResult<Value> {
    Ok(read_obj(api, resource, namespace, name).await?.value())
}

fn target_name(target: &Target) -> &str {
    target.name.as_deref().unwrap_or_default()
}

/// Answers with one object in the representation the client accepts.
pub fn respond(
    req: &Req,
    resource: &Resource,
    obj: &Value,
    code: StatusCode,
) -> ApiResult<Response> {
    Ok(match req.output()? {
        super::request::Output::Object => {
            json_response(code, &convert::from_storage(resource, obj))
        }
        super::request::Output::Table(include) => json_response(
            code,
            &list::table(
                resource,
                [obj],
                include,
                meta::resource_version(obj).unwrap_or(""),
                true,
            ),
        ),
        super::request::Output::Metadata => json_response(code, &list::partial(obj)),
    })
}

pub async fn get(api: &Arc<Api>, target: &Target, req: &Req) -> ApiResult<Response> {
    let resource = target.resource;
    let obj = read_obj(
        api,
        resource,
        target.namespace.as_deref(),
        target_name(target),
    )
    .await?;
    if req.output()? == super::request::Output::Object {
        let body = convert::presented(resource, &obj);
        return Ok((
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response());
    }
    respond(req, resource, &obj.value(), StatusCode::OK)
}

pub async fn create(api: &Arc<Api>, target: &Target, req: &Req) -> ApiResult<Response> {
    let mut obj = req.value()?;
    meta::check_type(target.resource, &mut obj)?;
    meta::check_namespace(target.resource, &mut obj, target.namespace.as_deref())?;
    super::fields::check(target.resource, &obj, req.strict_fields()?)?;
    let created = create_object(
        api,
        target.resource,
        target.namespace.as_deref(),
        obj,
        req.dry_run()?,
    )
    .await?;
    respond(req, target.resource, &created, StatusCode::CREATED)
}

/// Refuses objects in a namespace that is missing (404) or being deleted (403).
async fn check_namespace_open(
    api: &Api,
    resource: &Resource,
    ns: &str,
    name: &str,
) -> ApiResult<()> {
    let nsobj = read(api, namespaces(), None, ns).await?;
    if meta::str_field(&nsobj, "deletionTimestamp").is_some() {
        let mut s = Status::failure(
            403,
            "Forbidden",
            format!(
                "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                resource.qualified_plural()
            ),
        )
        .with_details(resource.group, resource.plural, name);
        if let Some(d) = s.details.as_mut() {
            d.causes.push(kyb_api::status::StatusCause {
                reason: "NamespaceTerminating".into(),
                message: format!("namespace {ns} is being terminated"),
                field: "metadata.namespace".into(),
            });
        }
        return Err(ApiError::from(s));
    }
    Ok(())
}

/// The DefaultTolerationSeconds admission: pods tolerate not-ready and unreachable nodes for a while, so that
/// taint-based eviction moves them off a lost node after that long.
fn default_tolerations(pod: &mut Value, seconds: i64) {
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let list = spec.entry("tolerations").or_insert_with(|| json!([]));
    let Some(list) = list.as_array_mut() else {
        return;
    };
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        let tolerated = list.iter().any(|t| {
            let key_ok = t
                .get("key")
                .and_then(Value::as_str)
                .is_none_or(|k| k.is_empty() || k == key);
            let effect_ok = t
                .get("effect")
                .and_then(Value::as_str)
                .is_none_or(|e| e.is_empty() || e == "NoExecute");
            key_ok && effect_ok
        });
        if !tolerated {
            list.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}));
        }
    }
}

/// Kubernetes resets the status of most kinds on create: it is the controllers' to write.
fn reset_status_on_create(resource: &Resource, obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else { return };
    match (resource.group, resource.plural) {
        ("", "pods") => {
            let qos = qos_class(o.get("spec"));
            o.insert(
                "status".into(),
                json!({"phase": "Pending", "qosClass": qos}),
            );
        }
        ("", "namespaces") => {
            o.insert("status".into(), json!({"phase": "Active"}));
        }
        ("", "persistentvolumeclaims" | "persistentvolumes") => {
            o.insert("status".into(), json!({"phase": "Pending"}));
        }
        ("", "services") => {
            o.insert("status".into(), json!({"loadBalancer": {}}));
        }
        ("", "nodes") => {}
        _ if resource.has_status() => {
            o.remove("status");
        }
        _ => {}
    }
}

/// The pod's QoS class, as Kubernetes derives it from requests and limits.
fn qos_class(spec: Option<&Value>) -> &'static str {
    let containers = spec
        .into_iter()
        .flat_map(|s| {
            ["containers", "initContainers"]
                .into_iter()
                .filter_map(move |f| s.get(f))
        })
        .filter_map(Value::as_array)
        .flatten();
    let (mut any, mut guaranteed) = (false, true);
    for c in containers {
        let res = c.get("resources");
        let req = res
            .and_then(|r| r.get("requests"))
            .and_then(Value::as_object);
        let lim = res.and_then(|r| r.get("limits")).and_then(Value::as_object);
        for r in ["cpu", "memory"] {
            let l = lim.and_then(|m| m.get(r));
            let q = req.and_then(|m| m.get(r)).or(l);
            any |= q.is_some() || l.is_some();
            guaranteed &= l.is_some() && q == l;
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

/// Creates an object after the Kubernetes create rules: names, uid, timestamps, defaults, validation.
pub async fn create_object(
    api: &Api,
    resource: &Resource,
    namespace: Option<&str>,
    mut obj: Value,
    dry_run: bool,
) -> ApiResult<Value> {
    let m = meta::meta_mut(&mut obj)?;
    let name = match m
        .get("name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        Some(n) => n.to_string(),
        None => match m
            .get("generateName")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            Some(prefix) => {
                let base: String = prefix.chars().take(58).collect();
                format!("{base}{}", meta::random_suffix())
            }
            None => {
                return Err(meta::invalid(
                    resource,
                    "",
                    &[validation::Cause {
                        reason: "FieldValueRequired",
                        field: "metadata.name".into(),
                        message: "Required value: name or generateName is required".into(),
                    }],
                ))
            }
        },
    };
    m.insert("name".into(), json!(name));
    m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
    m.insert("creationTimestamp".into(), json!(meta::now()));
    if tracks_generation(resource) {
        m.insert("generation".into(), json!(1));
    } else {
        m.remove("generation");
    }
    for transient in [
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        m.remove(transient);
    }
    if let Some(ns) = namespace {
        if resource.plural != "namespaces" {
            check_namespace_open(api, resource, ns, &name).await?;
        }
    }
    reset_status_on_create(resource, &mut obj);
    if resource.group.is_empty() && resource.plural == "pods" {
        default_tolerations(&mut obj, api.toleration_seconds);
    }
    if resource.group == "batch" && resource.plural == "jobs" {
        generate_job_selector(&mut obj);
    }
    if resource.group.is_empty() && resource.plural == "persistentvolumeclaims" {
        default_storage_class(api, &mut obj);
    }
    defaults::apply(resource.group, resource.plural, &mut obj);
    let causes = validation::validate(resource.group, resource.plural, &obj, None);
    if !causes.is_empty() {
        return Err(meta::invalid(resource, &name, &causes));
    }
    if is_service(resource) {
        api.allocator.assign(&api.cache, resource, &mut obj, None)?;
    }
    let k = key(resource, namespace, &name);
    if dry_run {
        if api.cache.get(&k).is_some() {
            return Err(ApiError::from(Status::already_exists(
                resource.group,
                resource.plural,
                &name,
            )));
        }
        return Ok(obj);
    }
    let bytes = serde_json::to_vec(&obj).map_err(|e| ApiError::from(Status::internal(e)))?;
    let rev = api
        .store
        .create(k, bytes)
        .await
        .map_err(|e| ApiError::from_store(e, resource, &name))?;
    stamp(&mut obj, rev);
    Ok(obj)
}

/// kube's DefaultStorageClass admission: a claim that names no class (as opposed to the empty class) gets
/// the default one; the newest, when several are marked default.
fn default_storage_class(api: &Api, claim: &mut Value) {
    let Some(spec) = claim.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if spec.get("storageClassName").is_some_and(|v| !v.is_null()) {
        return;
    }
    let Some(classes) = registry::lookup("storage.k8s.io", "v1", "storageclasses") else {
        return;
    };
    let page = api
        .cache
        .list(&classes.storage_prefix(), None, None, |_| true);
    let newest = page
        .items
        .iter()
        .map(|o| o.value())
        .filter(super::tables::is_default_class)
        .max_by(|a, b| {
            let order = |c: &Value| {
                (
                    c.pointer("/metadata/creationTimestamp")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    c.pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                )
            };
            order(a).cmp(&order(b))
        });
    if let Some(name) = newest.as_ref().and_then(|c| c.pointer("/metadata/name")) {
        spec.insert("storageClassName".into(), name.clone());
    }
}

/// The kinds whose strategies keep metadata.generation: those a controller reconciles from a spec.
fn tracks_generation(resource: &Resource) -> bool {
    matches!(
        resource.group,
        "apps" | "batch" | "autoscaling" | "policy" | "networking.k8s.io"
    ) || (resource.group.is_empty() && resource.plural == "replicationcontrollers")
}

fn is_service(resource: &Resource) -> bool {
    resource.group.is_empty() && resource.plural == "services"
}

/// Jobs without `manualSelector` select their pods by the job's uid, as the Job REST strategy arranges.
fn generate_job_selector(job: &mut Value) {
    if job.pointer("/spec/manualSelector") == Some(&json!(true)) {
        return;
    }
    let uid = job.pointer("/metadata/uid").cloned().unwrap_or(Value::Null);
    let name = job
        .pointer("/metadata/name")
        .cloned()
        .unwrap_or(Value::Null);
    let Some(spec) = job.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    spec.insert(
        "selector".into(),
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
    );
    let template = spec.entry("template").or_insert_with(|| json!({}));
    if !template.is_object() {
        return;
    }
    let labels = template
        .as_object_mut()
        .map(|t| t.entry("metadata").or_insert_with(|| json!({})));
    if let Some(Value::Object(m)) = labels {
        let labels = m.entry("labels").or_insert_with(|| json!({}));
        if let Some(l) = labels.as_object_mut() {
            for (k, v) in [
                ("batch.kubernetes.io/controller-uid", &uid),
                ("batch.kubernetes.io/job-name", &name),
                ("controller-uid", &uid),
                ("job-name", &name),
            ] {
                l.insert(k.into(), v.clone());
            }
        }
    }
}

fn stamp(obj: &mut Value, rev: u64) {
    if let Ok(m) = meta::meta_mut(obj) {
        m.insert("resourceVersion".into(), json!(rev.to_string()));
    }
}

pub async fn update(api: &Arc<Api>, target: &Target, req: &Req) -> ApiResult<Response> {
    let resource = target.resource;
    let name = target_name(target);
    let mut obj = req.value()?;
    meta::check_type(resource, &mut obj)?;
    meta::check_name(&mut obj, name)?;
    meta::check_namespace(resource, &mut obj, target.namespace.as_deref())?;
    super::fields::check(resource, &obj, req.strict_fields()?)?;
    let current = match read(api, resource, target.namespace.as_deref(), name).await {
        // Some kinds are made by a PUT of one that does not exist yet, as their kube strategies allow.
        Err(e)
            if e.0.code == 404
                && target.subresource.is_none()
                && meta::resource_version(&obj).is_none()
                && creates_on_update(resource) =>
        {
            let ns = target.namespace.as_deref();
            let created = create_object(api, resource, ns, obj, req.dry_run()?).await?;
            return respond(req, resource, &created, StatusCode::CREATED);
        }
        other => other?,
    };
    if let Some(rv) = meta::resource_version(&obj) {
        if Some(rv) != meta::resource_version(&current) {
            meta::parse_rv(rv)?;
            return Err(ApiError::from(Status::conflict(
                resource.group,
                resource.plural,
                name,
            )));
        }
    }
    let new = merge_for_subresource(resource, &current, obj, target.subresource.as_deref());
    let saved = store_update(api, resource, &current, new, req.dry_run()?).await?;
    respond(req, resource, &saved, StatusCode::OK)
}

/// The kinds whose kube strategies allow create on update (`AllowCreateOnUpdate`).
fn creates_on_update(resource: &Resource) -> bool {
    matches!(
        (resource.group, resource.plural),
        ("", "endpoints" | "events" | "limitranges")
            | ("events.k8s.io", "events")
            | ("coordination.k8s.io", "leases")
    )
}

/// Builds the object a write produces: a main-resource write keeps the stored status, a status write keeps everything but status, and `finalize` takes only the namespace's spec.finalizers.
pub fn merge_for_subresource(
    resource: &Resource,
    current: &Value,
    mut incoming: Value,
    sub: Option<&str>,
) -> Value {
    match sub {
        Some("status") => {
            let mut out = current.clone();
            out["status"] = incoming.get("status").cloned().unwrap_or(json!({}));
            out
        }
        Some("finalize") => {
            let mut out = current.clone();
            out["spec"]["finalizers"] = incoming
                .pointer("/spec/finalizers")
                .cloned()
                .unwrap_or(json!([]));
            out
        }
        _ => {
            if resource.has_status() {
                match current.get("status") {
                    Some(s) => incoming["status"] = s.clone(),
                    None => {
                        if let Some(o) = incoming.as_object_mut() {
                            o.remove("status");
                        }
                    }
                }
            }
            incoming
        }
    }
}

/// Writes `new` over `current` with compare-and-swap on current's revision, applying the update rules.
pub async fn store_update(
    api: &Api,
    resource: &Resource,
    current: &Value,
    mut new: Value,
    dry_run: bool,
) -> ApiResult<Value> {
    let name = meta::name(current).unwrap_or_default().to_string();
    let namespace = meta::str_field(current, "namespace").map(str::to_string);
    let cur_meta = meta::meta(current).cloned().unwrap_or_default();
    {
        let m = meta::meta_mut(&mut new)?;
        for keep in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "namespace",
            "name",
            "generation",
        ] {
            match cur_meta.get(keep) {
                Some(v) => m.insert(keep.into(), v.clone()),
                None => m.remove(keep),
            };
        }
        m.remove("resourceVersion");
        m.remove("selfLink");
    }
    defaults::apply(resource.group, resource.plural, &mut new);
    // Compared after defaulting, so that omitting a defaulted field is not a change.
    if tracks_generation(resource) && new.get("spec") != current.get("spec") {
        let generation = cur_meta
            .get("generation")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        new["metadata"]["generation"] = json!(generation);
    }
    if is_service(resource) {
        api.allocator
            .assign(&api.cache, resource, &mut new, Some(current))?;
    }
    let causes = validation::validate(resource.group, resource.plural, &new, Some(current));
    if !causes.is_empty() {
        return Err(meta::invalid(resource, &name, &causes));
    }
    let expected = meta::resource_version(current).and_then(|rv| rv.parse::<u64>().ok());
    let k = key(resource, namespace.as_deref(), &name);
    // Removing the last finalizer deletes the object once no grace period is running (kube's
    // ShouldDeleteDuringUpdate): a pod still stopping is removed by the kubelet's own final delete.
    let finalized = meta::str_field(&new, "deletionTimestamp").is_some()
        && no_finalizers(resource, &new)
        && new
            .pointer("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            == 0;
    if let Some(rv) = current.pointer("/metadata/resourceVersion") {
        new["metadata"]["resourceVersion"] = rv.clone();
    }
    // A dry run writes nothing, so the object keeps the revision it had.
    if dry_run || new == *current {
        return Ok(new); // A no-op write keeps the resourceVersion too, as in Kubernetes.
    }
    if finalized {
        let (rev, _) = api
            .store
            .delete(k, expected)
            .await
            .map_err(|e| ApiError::from_store(e, resource, &name))?;
        stamp(&mut new, rev);
        return Ok(new);
    }
    if let Ok(m) = meta::meta_mut(&mut new) {
        m.remove("resourceVersion");
    }
    let bytes = serde_json::to_vec(&new).map_err(|e| ApiError::from(Status::internal(e)))?;
    let rev = api
        .store
        .update(k, bytes, expected)
        .await
        .map_err(|e| ApiError::from_store(e, resource, &name))?;
    stamp(&mut new, rev);
    Ok(new)
}

fn no_finalizers(resource: &Resource, obj: &Value) -> bool {
    let empty = |v: Option<&Value>| v.and_then(Value::as_array).is_none_or(|a| a.is_empty());
    empty(obj.pointer("/metadata/finalizers"))
        && (resource.plural != "namespaces" || empty(obj.pointer("/spec/finalizers")))
}

/// DeleteOptions from the body and the query.
#[derive(Debug, Default)]
pub struct DeleteOptions {
    pub grace: Option<i64>,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
    pub propagation: Propagation,
}

/// What happens to an object's dependents (DeleteOptions.propagationPolicy); the garbage collector carries
/// it out from the finalizer the API server leaves on the owner.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// The owner goes at once; the collector deletes the dependents afterwards (the default).
    #[default]
    Background,
    /// The owner stays, with the `foregroundDeletion` finalizer, until its blocking dependents are gone.
    Foreground,
    /// The owner stays, with the `orphan` finalizer, until the dependents' references to it are removed.
    Orphan,
}

impl Propagation {
    fn parse(v: &str) -> ApiResult<Propagation> {
        match v {
            "Background" => Ok(Propagation::Background),
            "Foreground" => Ok(Propagation::Foreground),
            "Orphan" => Ok(Propagation::Orphan),
            other => Err(ApiError::from(Status::failure(
                422,
                "Invalid",
                format!("DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""),
            ))),
        }
    }

    /// The finalizer that holds the owner while the collector works.
    fn finalizer(self) -> Option<&'static str> {
        match self {
            Propagation::Background => None,
            Propagation::Foreground => Some("foregroundDeletion"),
            Propagation::Orphan => Some("orphan"),
        }
    }
}

fn delete_options(req: &Req) -> ApiResult<DeleteOptions> {
    let mut opts = DeleteOptions {
        grace: req.int("gracePeriodSeconds")?,
        ..Default::default()
    };
    if let Some(p) = req.query("propagationPolicy") {
        opts.propagation = Propagation::parse(p)?;
    }
    if let Some(o) = req.query("orphanDependents") {
        if o == "true" {
            opts.propagation = Propagation::Orphan;
        }
    }
    if !req.body.is_empty() {
        let body = req.value()?;
        if let Some(g) = body.get("gracePeriodSeconds").and_then(Value::as_i64) {
            opts.grace = Some(g);
        }
        match body.get("propagationPolicy").and_then(Value::as_str) {
            Some(p) => opts.propagation = Propagation::parse(p)?,
            // The deprecated orphanDependents, which propagationPolicy replaced.
            None => {
                if body.get("orphanDependents").and_then(Value::as_bool) == Some(true) {
                    opts.propagation = Propagation::Orphan;
                }
            }
        }
        if let Some(p) = body.get("preconditions") {
            opts.uid = p.get("uid").and_then(Value::as_str).map(str::to_string);
            opts.resource_version = p
                .get("resourceVersion")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
    }
    Ok(opts)
}

pub async fn delete(api: &Arc<Api>, target: &Target, req: &Req) -> ApiResult<Response> {
    let opts = delete_options(req)?;
    let resource = target.resource;
    let name = target_name(target);
    let current = read(api, resource, target.namespace.as_deref(), name).await?;
    let precondition_failed = |what: &str, want: &str, have: &str| {
        ApiError::from(
            Status::failure(
                409,
                "Conflict",
                format!("Operation cannot be fulfilled on {} \"{name}\": Precondition failed: {what} in precondition: {want}, {what} in object meta: {have}", resource.qualified_plural()),
            )
            .with_details(resource.group, resource.plural, name),
        )
    };
    if let Some(uid) = &opts.uid {
        let have = meta::str_field(&current, "uid").unwrap_or_default();
        if uid != have {
            return Err(precondition_failed("UID", uid, have));
        }
    }
    if let Some(rv) = &opts.resource_version {
        let have = meta::resource_version(&current).unwrap_or_default();
        if rv != have {
            return Err(precondition_failed("ResourceVersion", rv, have));
        }
    }
    // With preconditions the object read is the one to delete: a change meanwhile is a Conflict.
    let retry = opts.uid.is_none() && opts.resource_version.is_none();
    let (grace, propagation, dry_run) = (opts.grace, opts.propagation, req.dry_run()?);
    let out = match retry {
        true => delete_object(api, resource, &current, grace, propagation, dry_run).await?,
        false => delete_once(api, resource, &current, grace, propagation, dry_run).await?,
    };
    respond(req, resource, &out, StatusCode::OK)
}

/// Deletes an object, or marks it for deletion when finalizers, a namespace's contents or a running pod's
/// grace period must come first. An object changed meanwhile (a kubelet's status write, say) is read again
/// and the delete tried again, as kube's GuaranteedUpdate does: a delete without preconditions never
/// answers Conflict.
pub async fn delete_object(
    api: &Api,
    resource: &Resource,
    current: &Value,
    grace: Option<i64>,
    propagation: Propagation,
    dry_run: bool,
) -> ApiResult<Value> {
    let namespace = meta::str_field(current, "namespace").map(str::to_string);
    let name = meta::name(current).unwrap_or_default().to_string();
    let mut current = current.clone();
    for _ in 0..8 {
        match delete_once(api, resource, &current, grace, propagation, dry_run).await {
            Err(e) if e.0.code == 409 => {
                current = read(api, resource, namespace.as_deref(), &name).await?;
            }
            done => return done,
        }
    }
    delete_once(api, resource, &current, grace, propagation, dry_run).await
}

async fn delete_once(
    api: &Api,
    resource: &Resource,
    current: &Value,
    grace: Option<i64>,
    propagation: Propagation,
    dry_run: bool,
) -> ApiResult<Value> {
    let name = meta::name(current).unwrap_or_default().to_string();
    let being_deleted = meta::str_field(current, "deletionTimestamp").is_some();
    let is_namespace = resource.group.is_empty() && resource.plural == "namespaces";
    if is_namespace {
        if SYSTEM_NAMESPACES[1..].contains(&name.as_str()) || name == "default" {
            return Err(ApiError::from(
                Status::failure(
                    403,
                    "Forbidden",
                    format!(
                        "namespaces \"{name}\" is forbidden: this namespace may not be deleted"
                    ),
                )
                .with_details("", "namespaces", &name),
            ));
        }
        if being_deleted {
            return Ok(current.clone());
        }
        let mut new = current.clone();
        new["metadata"]["deletionTimestamp"] = json!(meta::now());
        new["metadata"]["deletionGracePeriodSeconds"] = json!(0);
        new["status"]["phase"] = json!("Terminating");
        // The namespace controller empties it and then removes its `kubernetes` finalizer.
        return store_raw_update(api, resource, current, new, dry_run).await;
    }
    // Orphan and Foreground hold the owner with a finalizer that the garbage collector removes.
    let held;
    let current = match propagation.finalizer() {
        Some(f) if !being_deleted => {
            let mut obj = current.clone();
            let list = meta::meta_mut(&mut obj)?
                .entry("finalizers")
                .or_insert_with(|| json!([]));
            if let Some(a) = list.as_array_mut() {
                if !a.iter().any(|x| x == f) {
                    a.push(json!(f));
                }
            }
            held = obj;
            &held
        }
        _ => current,
    };
    let has_finalizers = !no_finalizers(resource, current);
    let pod_grace = if resource.group.is_empty()
        && resource.plural == "pods"
        && current.pointer("/spec/nodeName").is_some()
    {
        let g = grace
            .or_else(|| {
                current
                    .pointer("/spec/terminationGracePeriodSeconds")
                    .and_then(Value::as_i64)
            })
            .unwrap_or(30);
        (g > 0).then_some(g)
    } else {
        None
    };
    if has_finalizers || pod_grace.is_some() {
        let g = pod_grace.unwrap_or(0);
        // Deleting again only ever shortens the grace period (the kubelet's final delete sets it to 0).
        let running = current
            .pointer("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_i64);
        if being_deleted && Some(g) >= running {
            return Ok(current.clone());
        }
        let mut new = current.clone();
        let at = chrono::Utc::now() + chrono::Duration::seconds(g);
        new["metadata"]["deletionTimestamp"] =
            json!(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        new["metadata"]["deletionGracePeriodSeconds"] = json!(g);
        return store_raw_update(api, resource, current, new, dry_run).await;
    }
    let mut last = current.clone();
    if dry_run {
        return Ok(last);
    }
    let k = key(resource, meta::str_field(current, "namespace"), &name);
    let expected = meta::resource_version(current).and_then(|rv| rv.parse::<u64>().ok());
    let (rev, _) = api
        .store
        .delete(k, expected)
        .await
        .map_err(|e| ApiError::from_store(e, resource, &name))?;
    stamp(&mut last, rev);
    Ok(last)
}

/// A write of server-owned fields (deletion marks, a binding), skipping the user-write rules.
pub async fn store_raw_update(
    api: &Api,
    resource: &Resource,
    current: &Value,
    mut new: Value,
    dry_run: bool,
) -> ApiResult<Value> {
    if dry_run {
        return Ok(new);
    }
    let name = meta::name(current).unwrap_or_default().to_string();
    let k = key(resource, meta::str_field(current, "namespace"), &name);
    let expected = meta::resource_version(current).and_then(|rv| rv.parse::<u64>().ok());
    if let Ok(m) = meta::meta_mut(&mut new) {
        m.remove("resourceVersion");
    }
    let bytes = serde_json::to_vec(&new).map_err(|e| ApiError::from(Status::internal(e)))?;
    let rev = api
        .store
        .update(k, bytes, expected)
        .await
        .map_err(|e| ApiError::from_store(e, resource, &name))?;
    stamp(&mut new, rev);
    Ok(new)
}

pub async fn delete_collection(api: &Arc<Api>, target: &Target, req: &Req) -> ApiResult<Response> {
    if !target.resource.verbs.contains(&"deletecollection") {
        return Err(ApiError::from(Status::method_not_allowed(format!(
            "the server does not allow this method on the requested resource (delete {})",
            target.resource.plural
        ))));
    }
    let opts = delete_options(req)?;
    let dry_run = req.dry_run()?;
    let items = list::select(api, target, req).await?;
    let mut deleted = Vec::with_capacity(items.len());
    for obj in items {
        match delete_object(
            api,
            target.resource,
            &obj.value(),
            opts.grace,
            opts.propagation,
            dry_run,
        )
        .await
        {
            Ok(v) => deleted.push(convert::from_storage(target.resource, &v)),
            Err(ApiError(s)) if s.code == 404 || s.code == 409 => {}
            Err(e) => return Err(e),
        }
    }
    let list = json!({
        "kind": format!("{}List", target.resource.kind),
        "apiVersion": target.resource.api_version(),
        "metadata": {"resourceVersion": api.store.revision().to_string()},
        "items": deleted,
    });
    Ok(json_response(StatusCode::OK, &list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_classes() {
        assert_eq!(
            qos_class(Some(&json!({"containers":[{"name":"a"}]}))),
            "BestEffort"
        );
        let g = json!({"containers":[{"resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]});
        assert_eq!(qos_class(Some(&g)), "Guaranteed");
        let b = json!({"containers":[{"resources":{"requests":{"cpu":"100m"}}}]});
        assert_eq!(qos_class(Some(&b)), "Burstable");
    }
}
