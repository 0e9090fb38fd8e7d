//! The Kubernetes REST API: routing, request decoding and response negotiation. Verb families live in sibling files.

mod allocator;
mod cache;
mod convert;
mod crud;
mod defaults;
mod discovery;
mod error;
mod fields;
mod list;
mod meta;
mod openapi;
mod patch;
mod path;
mod protobuf;
mod request;
mod streams;
mod subresources;
pub(crate) mod tables;
mod validation;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use kyb_api::status::Status;
use tokio::net::TcpListener;

pub use allocator::{NODE_PORT_RANGE, SERVICE_CIDR};
pub use cache::WatchCache;
use error::{ApiError, ApiResult};
use path::Route;
use request::Req;

use crate::store::{Store, StoreError};

/// The largest request body accepted, as in Kubernetes.
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// Everything a request handler needs; cloning shares it.
#[derive(Clone)]
pub struct Api {
    pub store: Arc<dyn Store>,
    pub cache: Arc<WatchCache>,
    pub allocator: Arc<allocator::Allocator>,
    /// How often watches that asked for bookmarks get one.
    pub bookmark_interval: std::time::Duration,
    /// DefaultTolerationSeconds: how long new pods tolerate not-ready and unreachable nodes.
    pub toleration_seconds: i64,
    /// What kubelets accept from this server (kept in the `kube-system/kybernet-kubelet` Secret).
    pub kubelet_token: String,
}

/// Settings of the API server that come from flags.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// How many recent events the watch cache keeps for watch resumption.
    pub watch_window: usize,
    pub bookmark_interval: std::time::Duration,
    pub toleration_seconds: i64,
    /// `--service-cidr`: where cluster IPs come from.
    pub service_cidr: String,
    /// `--service-node-port-range`: where node ports come from.
    pub node_port_range: String,
}

impl Api {
    /// Loads the watch cache and makes sure the system namespaces exist.
    pub async fn start(
        store: Arc<dyn Store>,
        settings: &ApiSettings,
    ) -> Result<Arc<Self>, StoreError> {
        let cache = WatchCache::start(store.clone(), settings.watch_window).await?;
        let kubelet_token = crud::kubelet_token(&cache);
        let api = Arc::new(Api {
            store,
            cache,
            allocator: Arc::new(
                allocator::Allocator::new(&settings.service_cidr, &settings.node_port_range)
                    .map_err(StoreError::Backend)?,
            ),
            bookmark_interval: settings.bookmark_interval,
            toleration_seconds: settings.toleration_seconds,
            kubelet_token,
        });
        crud::ensure_system_namespaces(&api).await?;
        Ok(api)
    }
}

/// Serves the API on `listener` until `shutdown` completes, then drains in-flight requests.
pub async fn serve(
    listener: TcpListener,
    api: Arc<Api>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new().fallback(handle).with_state(api);
    // Watches (the embedded components' among them) never end by themselves: once asked to stop, open
    // requests get a few seconds, then the server stops regardless.
    let (stopping, mut stopped) = tokio::sync::watch::channel(false);
    let signal = async move {
        shutdown.await;
        let _ = stopping.send(true);
    };
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signal);
    tokio::select! {
        r = std::future::IntoFuture::into_future(server) => r,
        _ = async {
            let _ = stopped.wait_for(|s| *s).await;
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        } => {
            tracing::info!("open requests did not finish within 5 s of the stop signal; stopping anyway");
            Ok(())
        }
    }
}

async fn handle(
    State(api): State<Arc<Api>>,
    ConnectInfo(_peer): ConnectInfo<SocketAddr>,
    req: Request<Body>,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let response = match route(&api, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    tracing::debug!(%method, path, status = response.status().as_u16(), elapsed = ?started.elapsed(), "request");
    response
}

async fn route(api: &Arc<Api>, req: Request<Body>) -> ApiResult<Response> {
    let path = req.uri().path().to_string();
    match (req.method(), path.as_str()) {
        (&Method::GET, "/healthz" | "/livez" | "/readyz") => {
            return Ok(
                (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "ok").into_response(),
            )
        }
        (&Method::GET, "/version") => return Ok(discovery::version()),
        (&Method::GET, "/openapi/v2") => return Ok(discovery::openapi_v2()),
        (&Method::GET, "/openapi/v3") => {
            return Ok(request::json(StatusCode::OK, &openapi::index()))
        }
        (&Method::GET, p) if p.starts_with("/openapi/v3/") => {
            if let Some(doc) = openapi::document(&p["/openapi/v3".len()..]) {
                return Ok(request::json(StatusCode::OK, &doc));
            }
            return Err(ApiError::from(Status::failure(
                404,
                "NotFound",
                "the server could not find the requested resource",
            )));
        }
        (_, p) if p.starts_with("/openapi/") => {
            return Err(ApiError::from(Status::failure(
                404,
                "NotFound",
                "the server could not find the requested resource",
            )))
        }
        _ => {}
    }
    if streams::is_stream_upgrade(&req) {
        return streams::upgrade(api, req).await;
    }
    let req = Req::read(req).await?;
    match path::parse(&path)? {
        Route::Discovery {
            group,
            version,
            legacy,
        } => {
            if req.method != Method::GET {
                return Err(ApiError::from(Status::method_not_allowed(format!(
                    "{} is not supported on discovery paths",
                    req.method
                ))));
            }
            discovery::serve(&req, group.as_deref(), version.as_deref(), legacy)
        }
        Route::Resource(target) => dispatch(api, target, req).await,
    }
}

async fn dispatch(api: &Arc<Api>, target: path::Target, req: Req) -> ApiResult<Response> {
    let sub = target.subresource.clone();
    match (&req.method, target.name.is_some(), sub.as_deref()) {
        (&Method::GET, false, None) => list::list_or_watch(api, &target, &req).await,
        (&Method::GET, true, None | Some("status")) => crud::get(api, &target, &req).await,
        (&Method::POST, false, None) => crud::create(api, &target, &req).await,
        (&Method::PUT, true, None | Some("status") | Some("finalize")) => {
            crud::update(api, &target, &req).await
        }
        (&Method::PATCH, true, None | Some("status")) => patch::patch(api, &target, &req).await,
        (&Method::DELETE, true, None) => crud::delete(api, &target, &req).await,
        (&Method::DELETE, false, None) => crud::delete_collection(api, &target, &req).await,
        (_, true, Some("scale")) => subresources::scale(api, &target, &req).await,
        (&Method::POST, true, Some("binding")) => subresources::binding(api, &target, &req).await,
        (&Method::POST, true, Some("eviction")) => subresources::eviction(api, &target, &req).await,
        (&Method::GET, true, Some("log")) => streams::pod_log(api, &target, &req).await,
        (m, _, _) => Err(ApiError::from(Status::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({m})"
        )))),
    }
}
