//! The route table of a service: every endpoint registered once, by [`endpoint!`], which gives
//! both its actix route and its OpenAPI operation, and every catalog endpoint not built yet
//! answering 501 with its name.
//!
//! A route module (one per catalog group) lists its endpoints:
//!
//! ```ignore
//! pub fn endpoints() -> Vec<Endpoint> {
//!     vec![endpoint!(create), endpoint!(poll)]
//! }
//! ```
//!
//! and the service's `routes/mod.rs` gathers the modules into a [`Table`]. Routes outside the
//! catalog (the helper SDKs call a few) are marked with [`Endpoint::outside_catalog`] and the
//! reason they exist; the catalog test refuses any other route the catalog does not list.
//!
//! Requests are dispatched by a radix tree over the whole table (see [`dispatch`]): matching
//! costs the same whatever the number of routes, and the caller of a licensed endpoint is
//! admitted before the handler's extractors read anything.

pub mod dispatch;
pub mod secret_paths;

use actix_web::dev::{Handler, ServiceRequest};
use actix_web::http::Method;
use actix_web::{FromRequest, Responder, Route, web};
use utoipa::openapi::path::HttpMethod;

use crate::access::{Describe, Requirement, requirement_of};
use crate::catalog::{catalog, find};
use crate::openapi::{DOCUMENT_REASON, Document, Entry};

#[doc(hidden)]
pub use pastey as __pastey;

/// A route-table entry for a handler carrying `#[utoipa::path]`: `endpoint!(create)` or
/// `endpoint!(session::create)`. Method and path come from the handler's `#[utoipa::path]`, the
/// license levels and headers from its extractors.
#[macro_export]
macro_rules! endpoint {
    ($first:ident $(:: $rest:ident)*) => { $crate::endpoint!(@split [] $first $($rest)*) };
    (@split [$($pre:ident)*] $head:ident $($tail:ident)+) => { $crate::endpoint!(@split [$($pre)* $head] $($tail)+) };
    (@split [$($pre:ident)*] $last:ident) => {
        $crate::routing::__pastey::paste! {
            $crate::routing::Endpoint::new::<$($pre ::)* [<__path_ $last>], _, _>($($pre ::)* $last)
        }
    };
}

/// One route of a table: its documentation and its handler.
pub struct Endpoint {
    entry: Entry,
    route: Route,
    /// Path parameters whose values the request log must not show.
    secret: &'static [&'static str],
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.entry.methods.join(","), self.entry.path)
    }
}

fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Head => "HEAD",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Trace => "TRACE",
    }
}

impl Endpoint {
    /// The entry of `handler`, documented by `P` (the type `#[utoipa::path]` generated for it);
    /// use [`endpoint!`] rather than naming `P`.
    pub fn new<P, F, Args>(handler: F) -> Self
    where
        P: utoipa::Path + utoipa::__dev::SchemaReferences,
        F: Handler<Args>,
        Args: FromRequest + Describe + 'static,
        F::Output: Responder + 'static,
    {
        let entry = Entry {
            methods: P::methods().iter().map(method_name).collect(),
            path: P::path(),
            operation: P::operation,
            schemas: <P as utoipa::__dev::SchemaReferences>::schemas,
            requirement: requirement_of::<Args>(),
            reason: None,
        };
        Self { entry, route: web::to(handler), secret: &[] }
    }

    /// Marks a route the catalog does not list, with who calls it and why.
    #[must_use]
    pub fn outside_catalog(mut self, reason: &'static str) -> Self {
        self.entry.reason = Some(reason);
        self
    }

    /// Marks path parameters that carry a secret (a one-time code an SDK puts in the path): the
    /// request log records `{name}` instead of their values ([`secret_paths`]).
    #[must_use]
    pub fn secret_path_params(mut self, names: &'static [&'static str]) -> Self {
        self.secret = names;
        self
    }

    /// The path parameters marked secret.
    pub fn secret_params(&self) -> &'static [&'static str] {
        self.secret
    }

    /// The method names.
    pub fn methods(&self) -> &[&'static str] {
        &self.entry.methods
    }

    /// The path, in the catalog's `{param}` syntax.
    pub fn path(&self) -> &str {
        &self.entry.path
    }

    /// What the handler asks of a request.
    pub fn requirement(&self) -> Requirement {
        self.entry.requirement
    }

    /// Why the route is outside the catalog, if it is.
    pub fn reason(&self) -> Option<&'static str> {
        self.entry.reason
    }

    /// The documentation of the route.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }
}

/// The route table of a service.
#[derive(Debug)]
pub struct Table {
    service: &'static str,
    description: &'static str,
    endpoints: Vec<Endpoint>,
}

impl Table {
    /// An empty table of `service` (its name in the catalog); `description` heads its document.
    /// `GET /openapi.json` and `GET /metrics` are always there.
    pub fn new(service: &'static str, description: &'static str) -> Self {
        let document = endpoint!(crate::openapi::openapi_json).outside_catalog(DOCUMENT_REASON);
        let metrics = endpoint!(crate::metrics::endpoint).outside_catalog(crate::metrics::REASON);
        Self { service, description, endpoints: vec![document, metrics] }
    }

    /// Adds the endpoints of a route module.
    #[must_use]
    pub fn with(mut self, endpoints: impl IntoIterator<Item = Endpoint>) -> Self {
        self.endpoints.extend(endpoints);
        self
    }

    /// The service.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// Every route of the table, `GET /openapi.json` included.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The documentation of every route.
    pub fn entries(&self) -> Vec<Entry> {
        self.endpoints.iter().map(|e| e.entry.clone()).collect()
    }

    /// The OpenAPI document of the table.
    pub fn openapi(&self) -> utoipa::openapi::OpenApi {
        crate::openapi::build(self.service, self.description, &self.entries())
    }

    /// Routes that are neither in the catalog nor marked outside it, and routes marked outside
    /// the catalog that it lists: both should be empty.
    pub fn catalog_mismatches(&self) -> Vec<String> {
        let mut found = Vec::new();
        for e in &self.endpoints {
            for m in &e.entry.methods {
                let listed = find(self.service, m, &e.entry.path).is_some();
                match (listed, e.entry.reason) {
                    (false, None) => found.push(format!("{m} {} is not in the catalog", e.entry.path)),
                    (true, Some(_)) => {
                        found.push(format!("{m} {} is in the catalog but marked outside it", e.entry.path))
                    }
                    _ => {}
                }
            }
        }
        found
    }

    /// Mounts the table: the dispatcher as the app's only service (built routes, 501s for the
    /// catalog endpoints not built, JSON 404 / 405), and the document at `/openapi.json`.
    pub fn mount(self, cfg: &mut web::ServiceConfig) {
        let built = |c: &&crate::catalog::CatalogEntry| {
            self.endpoints.iter().any(|e| e.entry.path == c.path && e.entry.methods.contains(&c.method.as_str()))
        };
        let pending: Vec<(Method, String)> = catalog(self.service)
            .filter(|c| !built(c))
            .filter_map(|c| Some((Method::from_bytes(c.method.as_bytes()).ok()?, c.path.clone())))
            .collect();
        let document = Document::new(self.service, self.description, self.entries());
        cfg.app_data(web::Data::new(document));
        let secret = secret_paths::SecretPaths::new(self.endpoints.iter().map(|e| (e.entry.path.as_str(), e.secret)));
        cfg.app_data(web::Data::new(secret));
        let routes = self
            .endpoints
            .into_iter()
            .map(|e| dispatch::Built {
                methods: methods(&e.entry.methods),
                path: e.entry.path,
                requirement: e.entry.requirement,
                route: e.route,
            })
            .collect();
        cfg.default_service(dispatch::Dispatch::new(routes, pending));
    }
}

fn methods(names: &[&'static str]) -> Vec<Method> {
    names.iter().filter_map(|m| Method::from_bytes(m.as_bytes()).ok()).collect()
}

/// The route template (`/session/{sessionId}`) a request matched, for logs and metrics; `None`
/// when it matched no route.
pub fn template(req: &ServiceRequest) -> Option<std::sync::Arc<str>> {
    dispatch::matched(req.request())
}
