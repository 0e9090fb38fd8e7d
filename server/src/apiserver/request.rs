//! Reading a request: the body (bounded), query parameters, content types and the output the client accepts.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use kyb_api::status::Status;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::MAX_BODY;

/// A request with its body read.
pub struct Req {
    pub method: Method,
    pub headers: HeaderMap,
    pub query: HashMap<String, String>,
    pub body: Bytes,
}

/// The representation the client asked for in `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Object,
    /// A `meta.k8s.io/v1` Table; the flag tells whether rows carry metadata (`includeObject=Metadata`, the default), whole objects, or nothing.
    Table(Include),
    /// `PartialObjectMetadata` / `PartialObjectMetadataList`.
    Metadata,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    None,
    Metadata,
    Object,
}

/// The media types of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyType {
    Json,
    Yaml,
    JsonPatch,
    MergePatch,
    StrategicMergePatch,
    ApplyPatch,
    /// `application/vnd.kubernetes.protobuf`, which typed Go clients send.
    Protobuf,
}

fn unsupported_media(ct: &str) -> ApiError {
    ApiError::from(Status::failure(
        415,
        "UnsupportedMediaType",
        format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {ct:?})"),
    ))
}

impl Req {
    /// Reads the body, refusing more than 3 MiB with 413.
    pub async fn read(req: Request<Body>) -> ApiResult<Req> {
        let (parts, body) = req.into_parts();
        let query = parts.uri.query().map(form_urlencoded).unwrap_or_default();
        let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
            ApiError::from(Status::failure(
                413,
                "RequestEntityTooLarge",
                format!("Request entity too large: limit is {MAX_BODY}"),
            ))
        })?;
        Ok(Req {
            method: parts.method,
            headers: parts.headers,
            query,
            body,
        })
    }

    pub fn query(&self, key: &str) -> Option<&str> {
        self.query
            .get(key)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// A boolean parameter, parsed as leniently as Go's strconv.ParseBool.
    pub fn flag(&self, key: &str) -> bool {
        matches!(
            self.query(key),
            Some("1" | "t" | "T" | "true" | "TRUE" | "True")
        )
    }

    /// An integer parameter; a malformed one is a 400.
    pub fn int(&self, key: &str) -> ApiResult<Option<i64>> {
        self.query(key)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ApiError::bad_request(format!(
                        "invalid value {v:?} for query parameter {key}: must be an integer"
                    ))
                })
            })
            .transpose()
    }

    /// `dryRun=All` (the only value Kubernetes accepts besides none).
    pub fn dry_run(&self) -> ApiResult<bool> {
        match self.query("dryRun") {
            None => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::from(Status::failure(
                400,
                "BadRequest",
                format!("Invalid dryRun value: {other:?}: supported values: \"All\""),
            ))),
        }
    }

    /// `fieldValidation`: Ignore, Warn or Strict (the default for kubectl).
    pub fn strict_fields(&self) -> ApiResult<bool> {
        match self.query("fieldValidation") {
            None | Some("Ignore" | "Warn") => Ok(false),
            Some("Strict") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "fieldValidation parameter unsupported: {other:?}, supported values are Ignore, Warn, Strict"
            ))),
        }
    }

    pub fn body_type(&self) -> ApiResult<BodyType> {
        let ct = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json");
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Ok(match mime.as_str() {
            "" | "application/json" | "*/*" => BodyType::Json,
            "application/yaml" | "application/x-yaml" | "text/yaml" => BodyType::Yaml,
            "application/json-patch+json" => BodyType::JsonPatch,
            "application/merge-patch+json" => BodyType::MergePatch,
            "application/strategic-merge-patch+json" => BodyType::StrategicMergePatch,
            "application/apply-patch+yaml" => BodyType::ApplyPatch,
            "application/vnd.kubernetes.protobuf" => BodyType::Protobuf,
            _ => return Err(unsupported_media(ct)),
        })
    }

    /// Decodes a JSON or YAML body (by Content-Type) into a value.
    pub fn value(&self) -> ApiResult<Value> {
        let kind = self.body_type()?;
        decode(&self.body, kind)
    }

    /// What the client will accept back, from the first `Accept` entry we can produce.
    pub fn output(&self) -> ApiResult<Output> {
        let accept = self
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json");
        for entry in accept.split(',') {
            let mut parts = entry.split(';').map(str::trim);
            let mime = parts.next().unwrap_or("");
            let params: HashMap<&str, &str> = parts.filter_map(|p| p.split_once('=')).collect();
            if !matches!(
                mime,
                "application/json" | "application/*" | "*/*" | "application/yaml"
            ) {
                continue;
            }
            match params.get("as").copied() {
                None => return Ok(Output::Object),
                Some("Table") if params.get("g") == Some(&"meta.k8s.io") => {
                    let include = match self.query("includeObject") {
                        Some("None") => Include::None,
                        Some("Object") => Include::Object,
                        _ => Include::Metadata,
                    };
                    return Ok(Output::Table(include));
                }
                Some("PartialObjectMetadata" | "PartialObjectMetadataList")
                    if params.get("g") == Some(&"meta.k8s.io") =>
                {
                    return Ok(Output::Metadata)
                }
                Some(_) => continue,
            }
        }
        Err(ApiError::from(Status::failure(
            406,
            "NotAcceptable",
            format!("only the following media types are accepted: application/json, application/yaml (asked for {accept:?})"),
        )))
    }
}

/// Decodes a body of the given type. Malformed input is a 400 naming the problem.
pub fn decode(body: &[u8], kind: BodyType) -> ApiResult<Value> {
    match kind {
        BodyType::Yaml | BodyType::ApplyPatch => {
            let text = std::str::from_utf8(body)
                .map_err(|e| ApiError::bad_request(format!("body is not UTF-8: {e}")))?;
            serde_saphyr::from_str::<Value>(text)
                .map_err(|e| ApiError::bad_request(format!("error converting YAML to JSON: {e}")))
        }
        BodyType::Protobuf => super::protobuf::decode(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding protobuf: {e}"))),
        _ => serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding JSON: {e}"))),
    }
}

/// Minimal `application/x-www-form-urlencoded` parsing, as the query string uses it.
fn form_urlencoded(q: &str) -> HashMap<String, String> {
    fn unescape(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = bytes
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (unescape(k), unescape(v)),
            None => (unescape(p), String::new()),
        })
        .collect()
}

/// A JSON response with the given status code.
pub fn json(code: StatusCode, v: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(v) {
        Ok(body) => (code, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => ApiError::from(Status::internal(e)).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_unescape() {
        let q = form_urlencoded("labelSelector=app%3Dweb%2Ctier+in+(a)&watch=1&x=%zz&y=%4");
        assert_eq!(q["labelSelector"], "app=web,tier in (a)");
        assert_eq!(q["watch"], "1");
        assert_eq!(q["x"], "%zz");
        assert_eq!(q["y"], "%4");
    }
}
