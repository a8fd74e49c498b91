//! The dispatcher: the app's only service. A radix tree (`matchit`) over every route of the
//! table finds the route of a request in time proportional to the path's length, whatever the
//! number of routes (actix's own router tries every route's pattern in turn). Then:
//! - no route: a JSON 404; a route without this method: a JSON 405 with `Allow`;
//! - a catalog endpoint not built yet: a 501 naming it;
//! - a built route: its path parameters are set, the caller is verified as the handler's type
//!   requires ([`crate::access`]), the `tenantId` / `communityId` of the path are checked to
//!   exist and belong together ([`crate::directory`], 404), the license is admitted, and only
//!   then does the handler run.
//!
//! The matched template is kept in the request's extensions ([`matched`]) for logs and metrics.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::dev::{Payload, Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{FromRequest as _, HttpMessage as _, HttpRequest, ResponseError as _, Route};
use envelope::{ApiError, Caller};
use futures_util::future::LocalBoxFuture;

use crate::access::{Auth, Requirement};

/// A built route, ready to mount.
pub struct Built {
    pub methods: Vec<Method>,
    pub path: String,
    pub requirement: Requirement,
    pub route: Route,
}

/// The route template a request matched.
#[derive(Debug, Clone)]
struct Matched(Arc<str>);

/// The route template (`/session/{sessionId}`) `req` matched, if any.
pub fn matched(req: &HttpRequest) -> Option<Arc<str>> {
    req.extensions().get::<Matched>().map(|m| m.0.clone())
}

enum Target {
    Built(usize, Requirement),
    Pending,
}

struct Slot {
    method: Method,
    template: Arc<str>,
    target: Target,
}

/// The routes of one path shape (same segments, parameters in the same places).
struct Node {
    /// The parameter names of each slot's template, by position; slots sharing a node may name
    /// their parameters differently (`/serviceprovider/{id}` and `/serviceprovider/{type}`).
    names: Vec<Vec<String>>,
    slots: Vec<Slot>,
}

/// The compiled table, shared by the workers.
pub struct Tree {
    router: matchit::Router<usize>,
    nodes: Vec<Node>,
}

/// `/a/{x}/b/{y}` → `/a/{p0}/b/{p1}` and `[x, y]`.
fn shape(path: &str) -> (String, Vec<String>) {
    let mut names = Vec::new();
    let segments: Vec<String> = path
        .split('/')
        .map(|seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                names.push(name.to_owned());
                format!("{{p{}}}", names.len() - 1)
            }
            None => seg.to_owned(),
        })
        .collect();
    (segments.join("/"), names)
}

impl Tree {
    /// Compiles the built routes (`(methods, path, requirement)` by service index) and the
    /// pending catalog endpoints; fails on a route registered twice or paths the tree cannot hold.
    pub fn compile(built: &[(Vec<Method>, String, Requirement)], pending: &[(Method, String)]) -> Result<Self, String> {
        let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
        let mut nodes: Vec<Node> = Vec::new();
        let mut router = matchit::Router::new();
        let all = built
            .iter()
            .enumerate()
            .flat_map(|(i, (methods, path, req))| methods.iter().map(move |m| (m, path, Target::Built(i, *req))))
            .chain(pending.iter().map(|(m, path)| (m, path, Target::Pending)));
        for (method, path, target) in all {
            let (key, names) = shape(path);
            let index = match shapes.get(&key) {
                Some(i) => *i,
                None => {
                    router.insert(key.clone(), nodes.len()).map_err(|e| format!("{path}: {e}"))?;
                    shapes.insert(key, nodes.len());
                    nodes.push(Node { names: Vec::new(), slots: Vec::new() });
                    nodes.len() - 1
                }
            };
            let node = &mut nodes[index];
            if node.slots.iter().any(|s| s.method == *method) {
                return Err(format!("{method} {path} is routed twice"));
            }
            node.names.push(names);
            node.slots.push(Slot { method: method.clone(), template: Arc::from(path.as_str()), target });
        }
        Ok(Self { router, nodes })
    }
}

/// The dispatcher's factory, registered as the app's default service.
pub struct Dispatch {
    tree: Result<Arc<Tree>, String>,
    routes: Vec<Route>,
}

impl Dispatch {
    /// A dispatcher over `built` routes and the `pending` catalog endpoints (501).
    pub fn new(built: Vec<Built>, pending: Vec<(Method, String)>) -> Self {
        let shapes: Vec<_> = built.iter().map(|b| (b.methods.clone(), b.path.clone(), b.requirement)).collect();
        let tree = Tree::compile(&shapes, &pending).map(Arc::new);
        Self { tree, routes: built.into_iter().map(|b| b.route).collect() }
    }
}

type RouteService = <Route as ServiceFactory<ServiceRequest>>::Service;

impl ServiceFactory<ServiceRequest> for Dispatch {
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Config = ();
    type Service = Dispatcher;
    type InitError = ();
    type Future = LocalBoxFuture<'static, Result<Dispatcher, ()>>;

    fn new_service(&self, _: ()) -> Self::Future {
        let tree = self.tree.clone();
        let services: Vec<_> = self.routes.iter().map(|r| r.new_service(())).collect();
        Box::pin(async move {
            let tree = tree.map_err(|e| tracing::error!(error = %e, "the route table is invalid"))?;
            let services = futures_util::future::try_join_all(services).await?;
            Ok(Dispatcher { tree, services: Rc::new(services) })
        })
    }
}

/// The dispatcher of one worker.
pub struct Dispatcher {
    tree: Arc<Tree>,
    services: Rc<Vec<RouteService>>,
}

fn reply(req: ServiceRequest, err: &ApiError) -> ServiceResponse {
    req.into_response(err.error_response())
}

/// Verifies the caller as the handler's type requires, then that the tenant and community of the
/// path exist and belong together ([`crate::directory::check_path`]), then the license, then the session when one is needed: all
/// before the handler reads anything.
async fn admit(req: &HttpRequest, requirement: Requirement) -> Result<(), ApiError> {
    let verify = match requirement.auth {
        Auth::None | Auth::PlainLicense(_) => false,
        Auth::OptionalCaller => req.headers().contains_key(envelope::wire::REQUEST_ID),
        Auth::Caller | Auth::Licensed(_) => true,
    };
    if verify {
        Caller::from_request(req, &mut Payload::None).await?;
    }
    crate::directory::check_path(req).await?;
    match requirement.auth {
        Auth::PlainLicense(accept) => crate::license::admit_plain(req, accept).await.map(drop)?,
        Auth::Licensed(accept) => crate::license::admit(req, accept).await.map(drop)?,
        Auth::None | Auth::OptionalCaller | Auth::Caller => {}
    }
    if let Some(permission) = requirement.session {
        let Some(gate) = req.app_data::<actix_web::web::Data<dyn crate::access::SessionGate>>() else {
            tracing::error!("a route needs a session but no SessionGate is registered");
            return Err(ApiError::internal());
        };
        gate.admit(req, permission).await?;
    }
    Ok(())
}

impl Service<ServiceRequest> for Dispatcher {
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<ServiceResponse, actix_web::Error>>;

    actix_web::dev::always_ready!();

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let found = self.tree.router.at(req.match_info().as_str()).ok().map(|m| {
            let params: Vec<String> = m.params.iter().map(|(_, v)| v.to_owned()).collect();
            (*m.value, params)
        });
        let Some((index, params)) = found else {
            let err = crate::error::not_found(req.request());
            return Box::pin(async move { Ok(reply(req, &err)) });
        };
        let node = &self.tree.nodes[index];
        let Some(slot) = node.slots.iter().position(|s| s.method == req.method()) else {
            let allowed: Vec<&str> = node.slots.iter().map(|s| s.method.as_str()).collect();
            let err = crate::error::method_not_allowed(&allowed);
            let allow = allowed.join(", ");
            return Box::pin(async move {
                let mut res = reply(req, &err);
                if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow) {
                    res.headers_mut().insert(actix_web::http::header::ALLOW, v);
                }
                Ok(res)
            });
        };
        for (name, value) in node.names[slot].iter().zip(params) {
            req.match_info_mut().add_static(name.clone(), value);
        }
        let Slot { template, target, method } = &node.slots[slot];
        req.extensions_mut().insert(Matched(template.clone()));
        match *target {
            Target::Pending => {
                let err = crate::catalog::not_implemented(method.as_str(), template);
                Box::pin(async move { Ok(reply(req, &err)) })
            }
            Target::Built(service, requirement) => {
                let services = self.services.clone();
                Box::pin(async move {
                    if let Err(err) = admit(req.request(), requirement).await {
                        return Ok(reply(req, &err));
                    }
                    match services.get(service) {
                        Some(s) => s.call(req).await,
                        None => Ok(reply(req, &ApiError::internal())),
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_number_parameters_by_position() {
        assert_eq!(shape("/a/{x}/b/{y}"), ("/a/{p0}/b/{p1}".to_owned(), vec!["x".to_owned(), "y".to_owned()]));
        assert_eq!(shape("/healthz").0, "/healthz");
    }

    #[test]
    fn every_catalog_compiles_and_statics_win_over_parameters() {
        for service in ["users-mgmt", "adminapi", "sessions"] {
            let pending: Vec<_> = crate::catalog::catalog(service)
                .map(|c| (Method::from_bytes(c.method.as_bytes()).unwrap(), c.path.clone()))
                .collect();
            let tree = Tree::compile(&[], &pending).unwrap();
            assert!(tree.router.at("/definitely/not/routed").is_err());
            if service == "sessions" {
                let new = &tree.nodes[*tree.router.at("/session/new").unwrap().value];
                assert_eq!(&*new.slots[0].template, "/session/new");
                let id = &tree.nodes[*tree.router.at("/session/abc").unwrap().value];
                assert_eq!(&*id.slots[0].template, "/session/{sessionId}");
            }
        }
    }

    #[test]
    fn a_route_registered_twice_is_refused() {
        let pending = vec![(Method::GET, "/a/{x}".to_owned()), (Method::GET, "/a/{y}".to_owned())];
        assert!(Tree::compile(&[], &pending).err().unwrap().contains("twice"));
        let shared = vec![(Method::GET, "/a/{x}".to_owned()), (Method::PUT, "/a/{y}".to_owned())];
        let tree = Tree::compile(&[], &shared).unwrap();
        assert_eq!(tree.nodes[0].names, [vec!["x".to_owned()], vec!["y".to_owned()]]);
    }
}
