//! Every endpoint of the API catalog is routed in its service from day one: the service's route
//! table lists what is built, and every other catalog endpoint answers 501 with its name.
//!
//! The catalog is `proto-docs/endpoints.json` (a copy of the API reference), embedded at build time.
//!
//! A few endpoints the helper SDKs call are not in the catalog (the license checks of
//! `BIDLicenses`, `community_info`). A service serves them through a separate, documented list of
//! [`ExtraRoute`]s passed to [`mount_with_extras`]: every catalog route is routed, and every served
//! route is either in the catalog or in that list, with the reason it exists.

use std::sync::LazyLock;

use actix_web::dev::{Handler, ResourceDef};
use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder, Route, web};
use envelope::ApiError;
use serde::Deserialize;

/// One endpoint of the API catalog.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogEntry {
    pub service: String,
    pub method: String,
    pub path: String,
    pub group: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub auth_levels: Vec<String>,
}

static CATALOG: LazyLock<Vec<CatalogEntry>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../../proto-docs/endpoints.json")).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the embedded endpoint catalog is unreadable");
        Vec::new()
    })
});

/// The catalog endpoints of one service.
pub fn catalog(service: &str) -> impl Iterator<Item = &'static CatalogEntry> + use<'_> {
    CATALOG.iter().filter(move |e| e.service == service)
}

/// A built endpoint: method, path (in the catalog's `{param}` syntax) and its actix route.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    route: Route,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// A route-table entry for `handler`.
pub fn endpoint<F, Args>(method: Method, path: &'static str, handler: F) -> Endpoint
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    Endpoint { route: web::method(method.clone()).to(handler), method, path }
}

/// The 501 reply of a catalog endpoint that is not built yet.
pub fn not_implemented(method: &str, path: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_IMPLEMENTED, format!("{method} {path} is not implemented yet"))
}

/// Routes that `built` holds but the catalog of `service` does not: should be empty.
pub fn uncatalogued(service: &str, built: &[Endpoint]) -> Vec<String> {
    built
        .iter()
        .filter(|b| !catalog(service).any(|c| c.method == b.method.as_str() && c.path == b.path))
        .map(|b| format!("{} {}", b.method, b.path))
        .collect()
}

/// The endpoints of `endpoints` that the catalog of `service` lists: an extras list must leave
/// this empty (an extra that the catalog knows belongs in the route table).
pub fn catalogued(service: &str, endpoints: &[Endpoint]) -> Vec<String> {
    endpoints
        .iter()
        .filter(|b| catalog(service).any(|c| c.method == b.method.as_str() && c.path == b.path))
        .map(|b| format!("{} {}", b.method, b.path))
        .collect()
}

/// A route a service serves outside the catalog, with why it exists (for the reader of the
/// route table and for the catalog test).
#[derive(Debug)]
pub struct ExtraRoute {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// Who calls it and why it is not in the catalog.
    pub reason: &'static str,
}

/// An extra route for `handler`, with its reason.
pub fn extra<F, Args>(method: Method, path: &'static str, reason: &'static str, handler: F) -> ExtraRoute
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    ExtraRoute { endpoint: endpoint(method, path, handler), reason }
}

/// [`mount_with_extras`], plus `GET /openapi.json` serving `document` (every service has it, as
/// it has the 501s: see [`crate::openapi`]).
pub fn mount_documented(
    cfg: &mut web::ServiceConfig,
    service: &str,
    built: Vec<Endpoint>,
    mut extras: Vec<ExtraRoute>,
    document: crate::openapi::DocumentFn,
) {
    extras.push(crate::openapi::route(document));
    mount_with_extras(cfg, service, built, extras);
}

/// Static segments sort before parameters, so `/session/new` wins over `/session/{id}`.
fn specificity(path: &str) -> Vec<bool> {
    path.split('/').map(|seg| seg.starts_with('{')).collect()
}

/// Every (method, path) a service answers, for the 405 / 404 decision.
#[derive(Debug, Default)]
pub struct RouteTable(Vec<(Method, ResourceDef)>);

impl RouteTable {
    /// The methods routed for a path.
    pub fn methods_for(&self, path: &str) -> Vec<Method> {
        self.0.iter().filter(|(_, def)| def.is_match(path)).map(|(m, _)| m.clone()).collect()
    }
}

/// Mounts the built endpoints, a 501 for each catalog endpoint of `service` not among them, and
/// the JSON 404 / 405 fallback.
pub fn mount(cfg: &mut web::ServiceConfig, service: &str, built: Vec<Endpoint>) {
    mount_with_extras(cfg, service, built, Vec::new());
}

/// [`mount`], plus `extras`: routes served outside the catalog (see the module documentation).
pub fn mount_with_extras(cfg: &mut web::ServiceConfig, service: &str, built: Vec<Endpoint>, extras: Vec<ExtraRoute>) {
    let built = built.into_iter().chain(extras.into_iter().map(|e| e.endpoint));
    let mut all: Vec<(Method, &'static str, Route)> = built.map(|e| (e.method, e.path, e.route)).collect();
    for entry in catalog(service) {
        let Ok(method) = Method::from_bytes(entry.method.as_bytes()) else { continue };
        if all.iter().any(|(m, p, _)| *m == method && *p == entry.path) {
            continue;
        }
        let (m, p) = (entry.method.as_str(), entry.path.as_str());
        let route =
            web::method(method.clone()).to(move || async move { Err::<HttpResponse, _>(not_implemented(m, p)) });
        all.push((method, p, route));
    }
    all.sort_by_key(|(_, path, _)| specificity(path));
    let mut table = RouteTable::default();
    for (method, path, route) in all {
        table.0.push((method, ResourceDef::new(path)));
        cfg.route(path, route);
    }
    cfg.app_data(web::Data::new(table));
    cfg.default_service(web::to(fallback));
}

/// The default service: 405 with `Allow` for a known path, JSON 404 otherwise.
pub async fn fallback(req: HttpRequest, table: web::Data<RouteTable>) -> HttpResponse {
    let methods = table.methods_for(req.path());
    if methods.is_empty() {
        return actix_web::ResponseError::error_response(&crate::error::not_found(&req));
    }
    let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
    let err = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} is not allowed on {} (allowed: {})", req.method(), req.path(), allow.join(", ")),
    );
    let mut res = actix_web::ResponseError::error_response(&err);
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow.join(", ")) {
        res.headers_mut().insert(actix_web::http::header::ALLOW, v);
    }
    res
}
