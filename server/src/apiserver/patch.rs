//! PATCH: JSON patch, merge patch, strategic merge patch and server-side apply, retried on write conflicts.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use kyb_api::registry::Resource;
use kyb_api::status::Status;
use serde_json::Value;

use super::convert;
use super::crud::{self, merge_for_subresource, store_update};
use super::error::{ApiError, ApiResult};
use super::meta;
use super::path::Target;
use super::request::{decode, BodyType, Req};
use super::Api;
use kyb_api::strategic;

/// How often a patch is re-applied when another writer got in between.
const CONFLICT_RETRIES: usize = 5;

/// Applies a patch document of the given type to `current`.
pub fn apply_patch(
    resource: &Resource,
    current: &Value,
    kind: BodyType,
    body: &[u8],
) -> ApiResult<Value> {
    let patch = decode(body, kind)?;
    let invalid = |e: String| ApiError::from(Status::failure(422, "Invalid", e));
    match kind {
        BodyType::JsonPatch => {
            let ops: json_patch::Patch = serde_json::from_value(patch)
                .map_err(|e| ApiError::bad_request(format!("the server rejected our request due to an error in our request: invalid JSON patch: {e}")))?;
            let mut out = current.clone();
            json_patch::patch(&mut out, &ops).map_err(|e| invalid(format!("the server rejected our request due to an error in our request: {e}")))?;
            Ok(out)
        }
        BodyType::MergePatch => {
            if !patch.is_object() {
                return Err(ApiError::bad_request("a merge patch must be a JSON object"));
            }
            let mut out = current.clone();
            json_patch::merge(&mut out, &patch);
            Ok(out)
        }
        BodyType::StrategicMergePatch => strategic::apply(current, &patch, resource.group, resource.kind)
            .map_err(|e| ApiError::bad_request(e.to_string())),
        BodyType::ApplyPatch => {
            if !patch.is_object() {
                return Err(ApiError::bad_request("an apply patch must be an object"));
            }
            // Applied configuration merges like a strategic patch; it never removes fields it does not mention.
            strategic::apply(current, &patch, resource.group, resource.kind).map_err(|e| ApiError::bad_request(e.to_string()))
        }
        BodyType::Json | BodyType::Yaml | BodyType::Protobuf => Err(ApiError::from(Status::failure(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json",
        ))),
    }
}

pub async fn patch(api: &Arc<Api>, target: &Target, req: &Req) -> ApiResult<Response> {
    let resource = target.resource;
    let name = target.name.as_deref().unwrap_or_default();
    let kind = req.body_type()?;
    let dry_run = req.dry_run()?;
    if kind == BodyType::ApplyPatch && req.query("fieldManager").is_none() {
        return Err(ApiError::from(Status::failure(
            422,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        )));
    }
    for _ in 0..CONFLICT_RETRIES {
        let current = match crud::read(api, resource, target.namespace.as_deref(), name).await {
            Ok(c) => c,
            Err(ApiError(s))
                if s.code == 404
                    && kind == BodyType::ApplyPatch
                    && target.subresource.is_none() =>
            {
                return apply_create(api, target, req).await;
            }
            Err(e) => return Err(e),
        };
        let presented = convert::from_storage(resource, &current);
        let mut patched = apply_patch(resource, &presented, kind, &req.body)?;
        meta::check_type(resource, &mut patched)?;
        meta::check_name(&mut patched, name)?;
        meta::check_namespace(resource, &mut patched, target.namespace.as_deref())?;
        if kind == BodyType::ApplyPatch {
            super::fields::check(resource, &decode(&req.body, kind)?, req.strict_fields()?)?;
        }
        // A resourceVersion the patch writes is a precondition, as in Kubernetes; an untouched one is the current one.
        if meta::resource_version(&patched) != meta::resource_version(&current) {
            return Err(ApiError::from(Status::conflict(
                resource.group,
                resource.plural,
                name,
            )));
        }
        let new = merge_for_subresource(resource, &current, patched, target.subresource.as_deref());
        match store_update(api, resource, &current, new, dry_run).await {
            Ok(saved) => return crud::respond(req, resource, &saved, StatusCode::OK),
            Err(ApiError(s)) if s.reason == "Conflict" => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::from(Status::conflict(
        resource.group,
        resource.plural,
        name,
    )))
}

/// Server-side apply of an absent object creates it.
async fn apply_create(api: &Arc<Api>, target: &Target, req: &Req) -> ApiResult<Response> {
    let resource = target.resource;
    let mut obj = decode(&req.body, BodyType::ApplyPatch)?;
    meta::check_type(resource, &mut obj)?;
    meta::check_name(&mut obj, target.name.as_deref().unwrap_or_default())?;
    meta::check_namespace(resource, &mut obj, target.namespace.as_deref())?;
    super::fields::check(resource, &obj, req.strict_fields()?)?;
    let created = crud::create_object(
        api,
        resource,
        target.namespace.as_deref(),
        obj,
        req.dry_run()?,
    )
    .await?;
    crud::respond(req, resource, &created, StatusCode::CREATED)
}
