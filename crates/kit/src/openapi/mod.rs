//! The OpenAPI documents of the services, generated from the code.
//!
//! Each handler carries `#[utoipa::path]`; the route table ([`crate::routing::Table`]) keeps,
//! for each of its routes, the [`Entry`] the macro `endpoint!` made from it, and [`build`] turns
//! them into the document of the table the service really serves: the catalog group as tag of
//! every catalog operation, a 501 operation for every catalog endpoint not built yet, the routes
//! outside the catalog with their reason, the headers, license levels and error rows implied by
//! each handler's extractors, the security schemes and the error schema. The document is printed
//! by `<binary> openapi`, served at `GET /openapi.json` and committed as
//! `proto-docs/<service>.json`.

use std::process::ExitCode;

use actix_web::HttpResponse;
use utoipa::openapi::path::{Operation, PathItem, PathsMap};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{Components, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::access::Requirement;
use crate::catalog::{catalog, find};

mod checks;
mod operation;
mod parts;

pub use checks::{missing_operations, problems, schema_collisions};
use parts::SCHEMES;
pub use parts::{
    CallerHeaders, ErrorBody, LicensedHeaders, OptionalCallerHeaders, PlainLicenseHeader, Sealable, SealedBody,
    SessionHeader,
};

/// The description of a catalog endpoint that answers 501.
pub const NOT_IMPLEMENTED: &str = "Not implemented yet";
/// The tag of the routes served outside the catalog.
pub const EXTRA_TAG: &str = "Outside the catalog";
/// The path of the document on every service.
pub const DOCUMENT_PATH: &str = "/openapi.json";

/// Why `GET /openapi.json` exists outside the catalog.
pub const DOCUMENT_REASON: &str =
    "operators: this service's OpenAPI document, generated from the code (as proto-docs/<service>.json)";

/// How one route of a table is documented: what `#[utoipa::path]` generated for its handler,
/// what its extractors ask of a request, and (for a route outside the catalog) why it exists.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The HTTP method names (`GET`, …).
    pub methods: Vec<&'static str>,
    /// The path, in the catalog's `{param}` syntax.
    pub path: String,
    /// The handler's operation.
    pub operation: fn() -> Operation,
    /// The schemas the operation refers to.
    pub schemas: fn(&mut Vec<(String, RefOr<Schema>)>),
    /// What the handler's extractors ask of a request.
    pub requirement: Requirement,
    /// Why it is served outside the catalog; `None` for a catalog endpoint.
    pub reason: Option<&'static str>,
}

/// A service's document, built on first use (it never changes while the process runs).
pub struct Document {
    service: &'static str,
    description: &'static str,
    entries: Vec<Entry>,
    built: std::sync::OnceLock<OpenApi>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document").field("service", &self.service).finish_non_exhaustive()
    }
}

impl Document {
    /// The document of the routes `entries` of `service`.
    pub fn new(service: &'static str, description: &'static str, entries: Vec<Entry>) -> Self {
        Self { service, description, entries, built: std::sync::OnceLock::new() }
    }

    /// The document.
    pub fn get(&self) -> &OpenApi {
        self.built.get_or_init(|| build(self.service, self.description, &self.entries))
    }
}

/// The OpenAPI document of this service.
///
/// The whole route table: built operations, catalog endpoints answering 501, and the routes
/// served outside the catalog. No authentication.
#[utoipa::path(
    get,
    path = "/openapi.json",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = serde_json::Value))
)]
pub async fn openapi_json(document: actix_web::web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok().json(document.get())
}

/// `true` when the binary was started as `<binary> openapi`.
pub fn requested() -> bool {
    std::env::args().nth(1).as_deref() == Some("openapi")
}

/// The committed form of a document: pretty JSON and a final newline.
pub fn to_file_text(doc: &OpenApi) -> Result<String, serde_json::Error> {
    Ok(format!("{}\n", doc.to_pretty_json()?))
}

/// Prints a document as `<binary> openapi` does.
pub fn print(doc: &OpenApi) -> ExitCode {
    match to_file_text(doc) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("openapi: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The operation slot of a path item for an HTTP method name.
pub(crate) fn slot<'a>(item: &'a mut PathItem, method: &str) -> Option<&'a mut Option<Operation>> {
    match method {
        "GET" => Some(&mut item.get),
        "PUT" => Some(&mut item.put),
        "POST" => Some(&mut item.post),
        "DELETE" => Some(&mut item.delete),
        "PATCH" => Some(&mut item.patch),
        "HEAD" => Some(&mut item.head),
        "OPTIONS" => Some(&mut item.options),
        "TRACE" => Some(&mut item.trace),
        _ => None,
    }
}

/// The (method, operation) pairs of a path item.
pub fn operations(item: &PathItem) -> impl Iterator<Item = (&'static str, &Operation)> {
    [
        ("GET", &item.get),
        ("PUT", &item.put),
        ("POST", &item.post),
        ("DELETE", &item.delete),
        ("PATCH", &item.patch),
        ("HEAD", &item.head),
        ("OPTIONS", &item.options),
        ("TRACE", &item.trace),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
}

/// Whether `doc` has an operation for `method` and `path`.
pub fn has_operation(doc: &OpenApi, method: &str, path: &str) -> bool {
    doc.paths.paths.get(path).is_some_and(|item| operations(item).any(|(m, _)| m == method))
}

/// The document of the route table of `service` whose routes are `entries`: every catalog
/// operation tagged with its group, a 501 operation for every catalog endpoint not built, the
/// routes outside the catalog tagged and explained, the headers, levels and error rows that the
/// handlers' extractors imply, the security schemes and the error schema.
pub fn build(service: &str, description: &str, entries: &[Entry]) -> OpenApi {
    let info = InfoBuilder::new()
        .title(service)
        .description(Some(description))
        .license(Some(LicenseBuilder::new().name("Apache-2.0").identifier(Some("Apache-2.0")).build()))
        .version(env!("CARGO_PKG_VERSION"))
        .build();
    let mut doc = OpenApiBuilder::new().info(info).build();
    let mut schemas = Vec::new();
    for entry in entries {
        (entry.schemas)(&mut schemas);
        let mut op = (entry.operation)();
        operation::complete(&mut op, entry.requirement);
        for method in &entry.methods {
            let mut op = op.clone();
            if let Some(c) = find(service, method, &entry.path) {
                op.tags = Some(vec![c.group.clone()]);
            } else if let Some(reason) = entry.reason {
                op.tags = Some(vec![EXTRA_TAG.to_owned()]);
                let text = format!("Outside the catalog: {reason}.");
                op.description = Some(match op.description.take() {
                    Some(d) if !d.is_empty() => format!("{d}\n\n{text}"),
                    _ => text,
                });
            }
            operation::secure(&mut op);
            let item = doc.paths.paths.entry(entry.path.clone()).or_default();
            if let Some(slot) = slot(item, method) {
                *slot = Some(op);
            }
        }
    }
    for entry in catalog(service) {
        if has_operation(&doc, &entry.method, &entry.path) {
            continue;
        }
        let item = doc.paths.paths.entry(entry.path.clone()).or_default();
        if let Some(slot) = slot(item, &entry.method) {
            *slot = Some(operation::not_built(entry));
        }
    }
    doc.paths.paths = order(std::mem::take(&mut doc.paths.paths), service);
    let components = doc.components.get_or_insert_with(Components::new);
    components.schemas.extend(schemas);
    components.schemas.insert(ErrorBody::name().into_owned(), ErrorBody::schema());
    for (name, description) in SCHEMES {
        components.add_security_scheme(
            name,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(name, description))),
        );
    }
    doc
}

/// The paths in catalog order, then the others (extras) in their order.
fn order(mut paths: PathsMap<String, PathItem>, service: &str) -> PathsMap<String, PathItem> {
    let mut ordered = PathsMap::new();
    for entry in catalog(service) {
        if let Some(item) = paths.shift_remove(&entry.path) {
            ordered.insert(entry.path.clone(), item);
        }
    }
    ordered.extend(paths);
    ordered
}
