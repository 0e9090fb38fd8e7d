//! The HTTP client every Kybernet client shares: kubeconfig resolution, requests with kubectl's
//! `-v` logging, Kubernetes `Status` errors, watch streams and discovery.

mod config;
mod discovery;

use std::time::{Duration, Instant};

pub use config::{load_kubeconfig, Overrides, RestConfig};
pub use discovery::{ApiResource, Discovery};
pub use kube::config::{Kubeconfig, NamedContext};
pub use reqwest::Method;
use reqwest::StatusCode;

use crate::status::Status;

/// Why a request failed, in the forms kubectl reports.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a Status (or an error we turned into one).
    #[error("{}", status_line(.0))]
    Status(Box<Status>),
    #[error(
        "The connection to the server {0} was refused - did you specify the right host or port?"
    )]
    Refused(String),
    #[error("error: You must be logged in to the server (Unauthorized)")]
    Unauthorized,
    /// Any other failure to connect (TLS, DNS, unreachable), with its cause.
    #[error("Unable to connect to the server: {0}")]
    Unreachable(String),
    #[error("error: {0}")]
    Other(String),
}

/// kubectl's `Error from server (Reason): message`, and its own wording for Invalid (cmdutil's checkErr).
fn status_line(s: &Status) -> String {
    if s.reason == "Invalid" {
        let Some(details) = &s.details else {
            return if s.message.is_empty() {
                "The request is invalid".into()
            } else {
                format!("The request is invalid: {}", s.message)
            };
        };
        let head = if !details.kind.is_empty() || !details.name.is_empty() {
            format!("The {} {:?} is invalid", details.kind, details.name)
        } else {
            "The request is invalid".to_string()
        };
        let causes: Vec<String> = details
            .causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        return match causes.as_slice() {
            [] => head,
            [one] => format!("{head}: {one}"),
            many => format!(
                "{head}: \n{}",
                many.iter()
                    .map(|c| format!("* {c}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
    }
    if s.reason.is_empty() {
        format!("Error from server: {}", s.message)
    } else {
        format!("Error from server ({}): {}", s.reason, s.message)
    }
}

impl ClientError {
    /// The Status behind a server error, if that is what this is.
    pub fn status(&self) -> Option<&Status> {
        match self {
            ClientError::Status(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status().is_some_and(|s| s.code == 404)
    }
}

/// A response body with its status and content type.
pub struct Response {
    pub status: StatusCode,
    pub content_type: String,
    pub body: bytes::Bytes,
}

impl Response {
    pub fn json(&self) -> Result<serde_json::Value, ClientError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ClientError::Other(format!("decoding the server's answer: {e}")))
    }
}

/// A client for one server, as a kubeconfig context and flags resolved it.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// `https://host:port`, with no trailing slash.
    pub base: String,
    /// `host:port`, for messages and the discovery cache.
    pub host: String,
    pub namespace: String,
    token: Option<String>,
    verbosity: u8,
}

/// The Accept header kubectl sends for tables.
/// Percent-encoding of a path segment or query value: everything but RFC 3986's unreserved characters.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub const ACCEPT_TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
pub const ACCEPT_JSON: &str = "application/json";

impl Client {
    pub fn new(cfg: &RestConfig) -> Result<Client, ClientError> {
        // One crypto provider (ring) for every TLS user in the process; a second install is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b =
            reqwest::Client::builder().user_agent(concat!("kyb/", env!("CARGO_PKG_VERSION")));
        if let Some(t) = cfg.timeout {
            b = b.timeout(t);
        }
        if cfg.insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        // A given CA is the only one trusted, as in kubectl; plain HTTP needs no roots at all. Only https
        // without a CA loads the system's roots, which costs a few milliseconds of file reads per run.
        if let Some(ca) = &cfg.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(ca)
                .map_err(|e| ClientError::Other(format!("invalid certificate authority: {e}")))?;
            b = b.tls_certs_only(certs);
        } else if cfg.server.starts_with("http://") {
            b = b.tls_certs_only([]);
        }
        if let Some(id) = &cfg.identity_pem {
            let identity = reqwest::Identity::from_pem(id).map_err(|e| {
                ClientError::Other(format!("invalid client certificate or key: {e}"))
            })?;
            b = b.identity(identity);
        }
        let http = b.build().map_err(|e| {
            let cause = std::error::Error::source(&e)
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            ClientError::Other(format!("building the HTTP client: {e}{cause}"))
        })?;
        let base = cfg.server.trim_end_matches('/').to_string();
        let host = base
            .split("://")
            .nth(1)
            .unwrap_or(&base)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        Ok(Client {
            http,
            base,
            host,
            namespace: cfg.namespace.clone(),
            token: cfg.token.clone(),
            verbosity: cfg.verbosity,
        })
    }

    /// The same client, working in another namespace.
    pub fn with_namespace(&self, namespace: &str) -> Client {
        Client {
            namespace: namespace.to_string(),
            ..self.clone()
        }
    }

    /// Sends one request; non-2xx answers become `ClientError::Status`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        accept: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Response, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut req = self
            .http
            .request(method.clone(), &url)
            .header("Accept", accept);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some((ct, bytes)) = body {
            if self.verbosity >= 8 {
                log(&format!(
                    "Request Body: {}",
                    String::from_utf8_lossy(&bytes)
                ));
            }
            req = req.header("Content-Type", ct).body(bytes);
        }
        if self.verbosity >= 7 {
            log(&format!("{method} {url}"));
            log(&format!("Request Headers:\n    Accept: {accept}"));
        }
        let started = Instant::now();
        let resp = req.send().await.map_err(|e| self.transport_error(e))?;
        let status = resp.status();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp.bytes().await.map_err(|e| self.transport_error(e))?;
        if self.verbosity >= 6 {
            log(&format!(
                "{method} {url} {} in {} milliseconds",
                status_text(status),
                started.elapsed().as_millis()
            ));
        }
        if self.verbosity >= 8 {
            log(&format!(
                "Response Body: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        let out = Response {
            status,
            content_type,
            body,
        };
        if status.is_success() {
            return Ok(out);
        }
        Err(error_from(status, &out.body))
    }

    /// GET a path as JSON.
    pub async fn get_json(&self, path: &str) -> Result<serde_json::Value, ClientError> {
        self.send(Method::GET, path, ACCEPT_JSON, None)
            .await?
            .json()
    }

    /// Sends `body` as JSON with the given content type (a patch type, say), and reads the answer as JSON.
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, ClientError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ClientError::Other(e.to_string()))?;
        self.send(method, path, ACCEPT_JSON, Some((content_type, bytes)))
            .await?
            .json()
    }

    /// Opens a watch: each item is one decoded event line.
    pub async fn watch(&self, path: &str, accept: &str) -> Result<WatchStream, ClientError> {
        Ok(WatchStream {
            resp: self.stream(path, accept).await?,
            buf: Vec::new(),
        })
    }

    /// A GET whose body is read as it arrives (logs, watches); non-2xx answers become
    /// `ClientError::Status`.
    pub async fn stream(&self, path: &str, accept: &str) -> Result<reqwest::Response, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.get(&url).header("Accept", accept);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.map_err(|e| self.transport_error(e))?;
        if self.verbosity >= 6 {
            log(&format!("GET {url} {}", status_text(resp.status())));
        }
        if !resp.status().is_success() {
            let status = resp.status();
            let body = resp.bytes().await.unwrap_or_default();
            return Err(error_from(status, &body));
        }
        Ok(resp)
    }

    /// Upgrades a GET of `path` to a websocket speaking one of `protocols`: the raw connection and the
    /// protocol the server chose. A server that refuses answers with its Status, as `ClientError::Status`.
    pub async fn upgrade(
        &self,
        path: &str,
        protocols: &[&str],
    ) -> Result<(reqwest::Upgraded, String), ClientError> {
        use base64::Engine;
        use std::hash::BuildHasher;
        let url = format!("{}{path}", self.base);
        let random = std::collections::hash_map::RandomState::new();
        let mut nonce = random.hash_one(Instant::now()).to_le_bytes().to_vec();
        nonce.extend(random.hash_one(std::process::id()).to_le_bytes());
        let key = base64::engine::general_purpose::STANDARD.encode(nonce);
        let mut req = self
            .http
            .get(&url)
            .version(reqwest::Version::HTTP_11)
            .header("Connection", "Upgrade")
            .header("Upgrade", "websocket")
            .header("Sec-WebSocket-Version", "13")
            .header("Sec-WebSocket-Key", &key)
            .header("Sec-WebSocket-Protocol", protocols.join(", "));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.map_err(|e| self.transport_error(e))?;
        if self.verbosity >= 6 {
            log(&format!("GET {url} {}", status_text(resp.status())));
        }
        if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
            let status = resp.status();
            let body = resp.bytes().await.unwrap_or_default();
            if status.is_success() {
                return Err(ClientError::Other(
                    "unable to upgrade connection: the server did not switch protocols".into(),
                ));
            }
            return Err(error_from(status, &body));
        }
        let protocol = resp
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let upgraded = resp
            .upgrade()
            .await
            .map_err(|e| ClientError::Other(format!("unable to upgrade connection: {e}")))?;
        Ok((upgraded, protocol))
    }

    fn transport_error(&self, e: reqwest::Error) -> ClientError {
        // kubectl says "refused" only for a refused connection; other failures to connect keep their cause.
        let mut refused = false;
        let mut innermost = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            if s.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
            {
                refused = true;
            }
            innermost = s.to_string();
            source = s.source();
        }
        if refused {
            return ClientError::Refused(self.host.clone());
        }
        if e.is_connect() {
            let cause = if innermost.contains("UnknownIssuer") {
                "tls: failed to verify certificate: x509: certificate signed by unknown authority"
                    .to_string()
            } else {
                innermost
            };
            return ClientError::Unreachable(cause);
        }
        if e.is_timeout() {
            return ClientError::Other(format!(
                "the server {} did not answer in time: {e}",
                self.host
            ));
        }
        ClientError::Other(format!("requesting {}: {e}", self.host))
    }
}

/// The event lines of a watch, decoded one at a time.
pub struct WatchStream {
    resp: reqwest::Response,
    buf: Vec<u8>,
}

impl WatchStream {
    /// The next event, or `None` when the server ends the stream.
    pub async fn next(&mut self) -> Option<Result<serde_json::Value, ClientError>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some(
                    serde_json::from_slice(&line)
                        .map_err(|e| ClientError::Other(format!("decoding a watch event: {e}"))),
                );
            }
            match self.resp.chunk().await {
                Ok(Some(chunk)) => self.buf.extend_from_slice(&chunk),
                Ok(None) => return None,
                Err(e) => return Some(Err(ClientError::Other(format!("reading the watch: {e}")))),
            }
        }
    }
}

fn status_text(s: StatusCode) -> String {
    format!("{} {}", s.as_u16(), s.canonical_reason().unwrap_or(""))
}

/// A failed response as kubectl reports it: the server's Status, or one made from the HTTP code.
fn error_from(status: StatusCode, body: &[u8]) -> ClientError {
    if status == StatusCode::UNAUTHORIZED {
        return ClientError::Unauthorized;
    }
    match serde_json::from_slice::<Status>(body) {
        Ok(s) if s.kind == "Status" => ClientError::Status(Box::new(s)),
        _ => {
            let reason = match status.as_u16() {
                404 => "NotFound",
                403 => "Forbidden",
                409 => "Conflict",
                400 => "BadRequest",
                _ => "",
            };
            let text = String::from_utf8_lossy(body).trim().to_string();
            let message = if text.is_empty() {
                "the server could not find the requested resource".to_string()
            } else {
                text
            };
            ClientError::Status(Box::new(Status::failure(status.as_u16(), reason, message)))
        }
    }
}

/// kubectl's klog line prefix for `-v` output.
fn log(message: &str) {
    let now = chrono_like_now();
    eprintln!(
        "I{now} {:>7} round_trippers.go:553] {message}",
        std::process::id()
    );
}

/// `MMDD HH:MM:SS.uuuuuu` in UTC, as klog prints it, without a date library.
fn chrono_like_now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (_, m, day) = civil_from_days(days as i64);
    format!(
        "{m:02}{day:02} {:02}:{:02}:{:02}.{:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_778), (2026, 11, 21));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn errors_read_like_kubectl() {
        let e = error_from(StatusCode::NOT_FOUND, br#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"x\" not found","reason":"NotFound","code":404}"#);
        assert_eq!(
            e.to_string(),
            "Error from server (NotFound): pods \"x\" not found"
        );
        assert_eq!(
            error_from(StatusCode::UNAUTHORIZED, b"").to_string(),
            "error: You must be logged in to the server (Unauthorized)"
        );
        assert_eq!(
            ClientError::Refused("127.0.0.1:6443".into()).to_string(),
            "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?"
        );
    }
}
