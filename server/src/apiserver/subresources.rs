//! The subresources with their own kinds: `scale`, `pods/binding` and `pods/eviction`.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use kyb_api::selector::LabelSelector;
use kyb_api::status::Status;
use serde_json::{json, Value};

use super::crud::{self, store_update};
use super::error::{ApiError, ApiResult};
use super::meta;
use super::path::Target;
use super::request::{json as json_response, BodyType, Req};
use super::{patch, Api};

/// The selector of a workload as the Scale status gives it: a label selector string.
fn selector_string(obj: &Value) -> String {
    let sel = obj.pointer("/spec/selector");
    // ReplicationControllers have a plain map; the apps kinds a LabelSelector.
    let labels = sel
        .and_then(|s| s.get("matchLabels"))
        .or(sel.filter(|s| s.get("matchExpressions").is_none()));
    let mut parts: Vec<String> = labels
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    for e in sel
        .and_then(|s| s.get("matchExpressions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match e.get("operator").and_then(Value::as_str) {
            Some("In") => format!("{key} in ({})", values.join(",")),
            Some("NotIn") => format!("{key} notin ({})", values.join(",")),
            Some("DoesNotExist") => format!("!{key}"),
            _ => key.to_string(),
        });
    }
    parts.join(",")
}

fn scale_of(obj: &Value) -> Value {
    let m = meta::meta(obj).cloned().unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": m.get("name"), "namespace": m.get("namespace"), "uid": m.get("uid"),
            "resourceVersion": m.get("resourceVersion"), "creationTimestamp": m.get("creationTimestamp"),
        },
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(0))},
        "status": {
            "replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)),
            "selector": selector_string(obj),
        },
    })
}

/// GET, PUT and PATCH of `<workload>/scale`: the Scale object maps onto spec.replicas.
pub async fn scale(api: &Arc<Api>, target: &Target, req: &Req) -> ApiResult<Response> {
    let resource = target.resource;
    let name = target.name.as_deref().unwrap_or_default();
    let current = crud::read(api, resource, target.namespace.as_deref(), name).await?;
    let scale = scale_of(&current);
    let wanted = match req.method {
        Method::GET => return Ok(json_response(StatusCode::OK, &scale)),
        Method::PUT => req.value()?,
        Method::PATCH => {
            let kind = req.body_type()?;
            if kind == BodyType::ApplyPatch {
                return Err(ApiError::bad_request(
                    "apply patches are not supported on the scale subresource",
                ));
            }
            patch::apply_patch(resource, &scale, kind, &req.body)?
        }
        _ => {
            return Err(ApiError::from(Status::method_not_allowed(
                "the server does not allow this method on the requested resource",
            )))
        }
    };
    if let Some(rv) = meta::resource_version(&wanted) {
        if Some(rv) != meta::resource_version(&current) {
            return Err(ApiError::from(Status::conflict(
                resource.group,
                resource.plural,
                name,
            )));
        }
    }
    let replicas = match wanted.pointer("/spec/replicas") {
        Some(Value::Number(n)) if n.as_i64().is_some_and(|r| (0..=i32::MAX as i64).contains(&r)) => n.clone(),
        Some(v) => {
            return Err(ApiError::from(Status::failure(
                422,
                "Invalid",
                format!("Scale.autoscaling \"{name}\" is invalid: spec.replicas: Invalid value: {v}: must be greater than or equal to 0"),
            )))
        }
        None => serde_json::Number::from(0),
    };
    let mut new = current.clone();
    new["spec"]["replicas"] = Value::Number(replicas);
    let saved = store_update(api, resource, &current, new, req.dry_run()?).await?;
    Ok(json_response(StatusCode::OK, &scale_of(&saved)))
}

/// `pods/binding`: sets spec.nodeName once, as the scheduler does.
pub async fn binding(api: &Arc<Api>, target: &Target, req: &Req) -> ApiResult<Response> {
    let resource = target.resource;
    let name = target.name.as_deref().unwrap_or_default();
    let body = req.value()?;
    let node = body
        .pointer("/target/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if node.is_empty() {
        return Err(ApiError::from(Status::failure(
            422,
            "Invalid",
            format!("Binding \"{name}\" is invalid: target.name: Required value"),
        )));
    }
    let current = crud::read(api, resource, target.namespace.as_deref(), name).await?;
    if meta::str_field(&current, "deletionTimestamp").is_some() {
        return Err(ApiError::from(Status::failure(409, "Conflict", format!("Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is being deleted, cannot be assigned to a host"))));
    }
    if let Some(existing) = current
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        return Err(ApiError::from(Status::failure(409, "Conflict", format!("Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is already assigned to node \"{existing}\""))));
    }
    let mut new = current.clone();
    new["spec"]["nodeName"] = json!(node);
    let conditions = new["status"]
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut conditions: Vec<Value> = conditions
        .into_iter()
        .filter(|c| c.get("type") != Some(&json!("PodScheduled")))
        .collect();
    conditions.push(json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": meta::now()}));
    new["status"]["conditions"] = Value::Array(conditions);
    // Binding is the scheduler's write of spec.nodeName, so it bypasses the spec-immutability of pods.
    crud::store_raw_update(api, resource, &current, new, req.dry_run()?).await?;
    Ok(json_response(StatusCode::CREATED, &Status::success()))
}

/// A 429 from a disruption budget, with kube's wording and its cause.
fn budget_refusal(message: &str, cause: String) -> ApiError {
    let mut s = Status::failure(429, "TooManyRequests", message);
    s.details = Some(kyb_api::status::StatusDetails {
        causes: vec![kyb_api::status::StatusCause {
            reason: "DisruptionBudget".into(),
            message: cause,
            field: String::new(),
        }],
        ..Default::default()
    });
    ApiError::from(s)
}

/// Spends one of the budget's allowed disruptions on the pod, recording it in `disruptedPods` (kube's
/// checkAndDecrement), or refuses. Returns whether the write lost a race and should be tried again.
async fn spend_disruption(
    api: &Api,
    pdbs: &kyb_api::registry::Resource,
    pdb: &Value,
    pod: &str,
    dry_run: bool,
) -> ApiResult<bool> {
    let pdb_name = meta::name(pdb).unwrap_or_default();
    let status = |f: &str| {
        pdb.pointer(&format!("/status/{f}"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    if status("observedGeneration")
        < pdb
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    {
        return Err(budget_refusal(
            "Cannot evict pod as it would violate the pod's disruption budget.",
            format!("The disruption budget {pdb_name} is still being processed by the server."),
        ));
    }
    let allowed = status("disruptionsAllowed");
    if allowed < 0 {
        return Err(ApiError::from(Status::failure(
            403,
            "Forbidden",
            "pdb disruptions allowed is negative",
        )));
    }
    if allowed == 0 {
        return Err(budget_refusal(
            "Cannot evict pod as it would violate the pod's disruption budget.",
            format!(
                "The disruption budget {pdb_name} needs {} healthy pods and has {} currently",
                status("desiredHealthy"),
                status("currentHealthy")
            ),
        ));
    }
    let mut new = pdb.clone();
    new["status"]["disruptionsAllowed"] = json!(allowed - 1);
    if !new["status"]
        .get("disruptedPods")
        .is_some_and(Value::is_object)
    {
        new["status"]["disruptedPods"] = json!({});
    }
    new["status"]["disruptedPods"][pod] = json!(meta::now());
    match crud::store_raw_update(api, pdbs, pdb, new, dry_run).await {
        Ok(_) => Ok(false),
        Err(ApiError(s)) if s.code == 409 => Ok(true),
        Err(e) => Err(e),
    }
}

/// `pods/eviction`: deletes the pod if no PodDisruptionBudget forbids it (429), spending one of the
/// budget's allowed disruptions, as kube's eviction REST does.
pub async fn eviction(api: &Arc<Api>, target: &Target, req: &Req) -> ApiResult<Response> {
    let resource = target.resource;
    let name = target.name.as_deref().unwrap_or_default();
    let ns = target.namespace.as_deref();
    let body = req.value()?;
    let dry_run = req.dry_run()?;
    let current = crud::read(api, resource, ns, name).await?;
    let labels = meta::meta(&current)
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .cloned();
    // Pods that are done, not yet running, or already going need no budget (kube's canIgnorePDB).
    let phase = current
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let ignore = matches!(phase, "Succeeded" | "Failed" | "Pending")
        || meta::str_field(&current, "deletionTimestamp").is_some();
    let pdbs =
        kyb_api::registry::lookup("policy", "v1", "poddisruptionbudgets").filter(|_| !ignore);
    // A lost race over the budget's status is tried again, a few times, as kube does.
    const ATTEMPTS: usize = 5;
    for attempt in 1..=ATTEMPTS {
        let Some(pdbs) = pdbs else { break };
        let prefix = format!("{}{}/", pdbs.storage_prefix(), ns.unwrap_or_default());
        let budgets: Vec<Value> = api
            .cache
            .list(&prefix, None, None, |_| true)
            .items
            .iter()
            .map(|b| b.value())
            .filter(|pdb| {
                pdb.pointer("/spec/selector")
                    .and_then(|s| LabelSelector::from_json(s).ok())
                    .is_some_and(|sel| !sel.is_empty() && sel.matches(labels.as_ref()))
            })
            .collect();
        let pdb = match budgets.as_slice() {
            [] => break,
            [one] => one,
            _ => {
                return Err(ApiError::from(Status::internal(
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                )))
            }
        };
        // An unready pod may go while the budget is otherwise met (unhealthyPodEvictionPolicy).
        let ready = current
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            });
        if !ready {
            let policy = pdb
                .pointer("/spec/unhealthyPodEvictionPolicy")
                .and_then(Value::as_str);
            let healthy = pdb
                .pointer("/status/currentHealthy")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let desired = pdb
                .pointer("/status/desiredHealthy")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if policy == Some("AlwaysAllow") || (healthy >= desired && desired > 0) {
                break;
            }
        }
        match spend_disruption(api, pdbs, pdb, name, dry_run).await? {
            false => break,
            true if attempt == ATTEMPTS => {
                let message = format!("Operation cannot be fulfilled on poddisruptionbudgets.policy {:?}: the object has been modified; please apply your changes to the latest version and try again", meta::name(pdb).unwrap_or_default());
                return Err(ApiError::from(Status::failure(409, "Conflict", message)));
            }
            true => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    let grace = body
        .pointer("/deleteOptions/gracePeriodSeconds")
        .and_then(Value::as_i64);
    crud::delete_object(api, resource, &current, grace, Default::default(), dry_run).await?;
    Ok(json_response(StatusCode::CREATED, &Status::success()))
}
