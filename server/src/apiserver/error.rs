//! The one place where failures become Kubernetes `Status` responses.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use kyb_api::registry::Resource;
use kyb_api::status::Status;

use crate::store::StoreError;

/// A failed API call: always answered with a `Status` body. Boxed, because results are passed around far more than errors.
#[derive(Debug)]
pub struct ApiError(pub Box<Status>);

pub type ApiResult<T> = Result<T, ApiError>;

impl From<Status> for ApiError {
    fn from(s: Status) -> Self {
        ApiError(Box::new(s))
    }
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::from(Status::bad_request(message))
    }

    /// Maps a store failure on `name` of `resource` to the Status Kubernetes gives.
    pub fn from_store(e: StoreError, resource: &Resource, name: &str) -> Self {
        let (g, p) = (resource.group, resource.plural);
        ApiError::from(match e {
            StoreError::AlreadyExists(_) => Status::already_exists(g, p, name),
            StoreError::NotFound(_) => Status::not_found(g, p, name),
            StoreError::Conflict { .. } => Status::conflict(g, p, name),
            other => Status::internal(other),
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.0.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.0).unwrap_or_default();
        (code, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}
