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
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{
    Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn, PathItem, PathsMap,
};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    Components, ContentBuilder, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, Required,
    ResponseBuilder, Schema, schema::Type,
};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::access::{Auth, Requirement};
use crate::catalog::{CatalogEntry, catalog, find, parameters_of};

/// The description of a catalog endpoint that answers 501.
pub const NOT_IMPLEMENTED: &str = "Not implemented yet";
/// The tag of the routes served outside the catalog.
pub const EXTRA_TAG: &str = "Outside the catalog";
/// The path of the document on every service.
pub const DOCUMENT_PATH: &str = "/openapi.json";

/// The error reply of every endpoint, `{statusCode, error, message}` (`envelope::ErrorBody`).
#[derive(Debug, ToSchema)]
#[schema(example = json!({"statusCode": 401, "error": "Unauthorized", "message": "requestid header is required"}))]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The HTTP status.
    pub status_code: u16,
    /// The status' reason phrase.
    pub error: String,
    /// What went wrong, for a human.
    pub message: String,
}

/// An encrypted JSON body: `data` is `base64(iv || ciphertext || tag)` of the JSON, with the
/// AES-256-GCM key of ECDH(sender's key, receiver's `publickey`).
#[derive(Debug, ToSchema)]
pub struct SealedBody {
    /// The encrypted JSON.
    pub data: String,
}

/// A body sent either sealed (`{"data": "<encrypted JSON>"}`, the wire form the SDKs use) or as
/// the plain JSON; the decrypted content of the sealed form is the plain schema.
#[derive(Debug, ToSchema)]
#[serde(untagged)]
pub enum Sealable<T> {
    /// The encrypted form.
    Sealed(SealedBody),
    /// The plain form, and the decrypted content of the encrypted one.
    Plain(T),
}

/// The authentication headers of a caller holding a license (`Licensed<L>`).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct LicensedHeaders {
    /// The caller's public key (base64), also the ECDH peer of the other headers and the body.
    pub publickey: String,
    /// `{"appid", "uuid", "ts"}` encrypted for the service; `ts` within `allowed_time_span`
    /// seconds of now, each value used once.
    pub requestid: String,
    /// The caller's license key, encrypted for the service.
    pub licensekey: String,
}

/// The authentication headers of a verified caller (`Caller`): the license key is optional.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct CallerHeaders {
    /// The caller's public key (base64), also the ECDH peer of the other headers and the body.
    pub publickey: String,
    /// `{"appid", "uuid", "ts"}` encrypted for the service; `ts` within `allowed_time_span`
    /// seconds of now, each value used once.
    pub requestid: String,
    /// The caller's license key, encrypted for the service.
    pub licensekey: Option<String>,
}

/// Optional authentication headers (`OptionalCaller`): verified when `requestid` is present.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct OptionalCallerHeaders {
    /// The caller's public key (base64); required with `requestid`.
    pub publickey: Option<String>,
    /// `{"appid", "uuid", "ts"}` encrypted for the service; when present, the headers are verified.
    pub requestid: Option<String>,
    /// The caller's license key, encrypted for the service.
    pub licensekey: Option<String>,
}

/// The plain `license` header (`PlainLicense`).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct PlainLicenseHeader {
    /// A license key in the clear.
    pub license: Option<String>,
}

/// The headers documented as security schemes, with their description.
const SCHEMES: [(&str, &str); 4] = [
    ("publickey", "The caller's public key (base64): the ECDH peer of the encrypted headers and body."),
    ("requestid", "`{appid, uuid, ts}` encrypted with ECDH(caller, service): fresh and used once."),
    ("licensekey", "The caller's license key, encrypted with ECDH(caller, service)."),
    ("license", "A license key in the clear (the endpoints that say so)."),
];

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
fn slot<'a>(item: &'a mut PathItem, method: &str) -> Option<&'a mut Option<Operation>> {
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
        complete_operation(&mut op, entry.requirement);
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
            secure(&mut op);
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
            *slot = Some(not_built(entry));
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

/// Schema names that two routes of `entries` use for different schemas: a document can hold
/// only one of them, so the other route would be documented wrongly. Should be empty.
pub fn schema_collisions(entries: &[Entry]) -> Vec<String> {
    let mut seen: std::collections::BTreeMap<String, (String, serde_json::Value)> = Default::default();
    let mut found = Vec::new();
    for entry in entries {
        let mut schemas = Vec::new();
        (entry.schemas)(&mut schemas);
        for (name, schema) in schemas {
            let json = serde_json::to_value(&schema).unwrap_or_default();
            match seen.get(&name) {
                Some((first, other)) if *other != json => {
                    found.push(format!("schema {name}: {first} and {} define it differently", entry.path));
                }
                Some(_) => {}
                None => {
                    seen.insert(name, (entry.path.clone(), json));
                }
            }
        }
    }
    found
}

/// The error rows every endpoint with this requirement can answer, with their description.
fn implied_errors(requirement: Requirement) -> Vec<(&'static str, &'static str)> {
    let mut rows = Vec::new();
    let bad_input = match (requirement.body, requirement.path || requirement.query) {
        (true, true) => Some("Bad body, path parameter or query string"),
        (true, false) => Some("Bad body"),
        (false, true) => Some("Bad path parameter or query string"),
        (false, false) => None,
    };
    match requirement.auth {
        Auth::None => rows.extend(bad_input.map(|d| ("400", d))),
        Auth::OptionalCaller | Auth::Caller => {
            rows.push((
                "400",
                bad_input
                    .map_or("Unreadable authentication header", |_| "Bad input or unreadable authentication header"),
            ));
            rows.push(("401", "Missing, stale, replayed or undecryptable authentication headers"));
            rows.push(("503", "Request verification is unavailable (replay cache)"));
        }
        Auth::PlainLicense(_) => {
            rows.extend(bad_input.map(|d| ("400", d)));
            rows.push(("401", "No license header, or an unknown, disabled or expired license"));
            rows.push(("403", "The license's level may not call this endpoint"));
            rows.push(("503", "The license authority is unavailable"));
        }
        Auth::Licensed(_) => {
            rows.push((
                "400",
                bad_input
                    .map_or("Unreadable authentication header", |_| "Bad input or unreadable authentication header"),
            ));
            rows.push(("401", "Missing or invalid authentication headers, or an unknown, disabled or expired license"));
            rows.push(("403", "The license's level may not call this endpoint, or it does not cover the community"));
            rows.push(("503", "The license authority or request verification is unavailable"));
        }
    }
    rows
}

/// Adds to a handler's operation what its extractors imply: the authentication headers, the
/// accepted license levels (`x-license-levels` and a line of the description) and the error
/// rows. What the handler documents itself is kept.
fn complete_operation(op: &mut Operation, requirement: Requirement) {
    let headers = match requirement.auth {
        Auth::None => Vec::new(),
        Auth::OptionalCaller => OptionalCallerHeaders::into_params(|| Some(ParameterIn::Header)),
        Auth::Caller => CallerHeaders::into_params(|| Some(ParameterIn::Header)),
        Auth::PlainLicense(_) => PlainLicenseHeader::into_params(|| Some(ParameterIn::Header)),
        Auth::Licensed(_) => LicensedHeaders::into_params(|| Some(ParameterIn::Header)),
    };
    for header in headers {
        let params = op.parameters.get_or_insert_with(Vec::new);
        let present = params.iter().any(|p| match p {
            RefOr::T(p) => p.name == header.name && p.parameter_in == ParameterIn::Header,
            RefOr::Ref(_) => false,
        });
        if !present {
            params.push(RefOr::T(header));
        }
    }
    if let Some(accept) = requirement.auth.accept() {
        let names = accept.names();
        let line = format!("License levels: {}.", names.join(", "));
        op.description = Some(match op.description.take() {
            Some(d) if !d.is_empty() => format!("{d}\n\n{line}"),
            _ => line,
        });
        let extensions = op.extensions.get_or_insert_with(Default::default);
        extensions.merge(ExtensionsBuilder::new().add("x-license-levels", serde_json::json!(names)).build());
    }
    for (status, description) in implied_errors(requirement) {
        if op.responses.responses.contains_key(status) {
            continue;
        }
        let error = ContentBuilder::new().schema(Some(Ref::from_schema_name(ErrorBody::name()))).build();
        let response = ResponseBuilder::new().description(description).content("application/json", error).build();
        op.responses.responses.insert(status.to_owned(), RefOr::T(response));
    }
}

/// The security requirements of an operation, from the scheme headers among its parameters:
/// the required ones together, or (none required) optionally the ones it takes.
fn secure(op: &mut Operation) {
    let headers: Vec<(&str, bool)> = op
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            utoipa::openapi::RefOr::T(p) if p.parameter_in == ParameterIn::Header => Some(p),
            _ => None,
        })
        .filter(|p| SCHEMES.iter().any(|(name, _)| *name == p.name))
        .map(|p| (p.name.as_str(), p.required == Required::True))
        .collect();
    if headers.is_empty() {
        return;
    }
    let required: Vec<&str> = headers.iter().filter(|(_, r)| *r).map(|(n, _)| *n).collect();
    let requirement = |names: &[&str]| {
        names.iter().fold(SecurityRequirement::default(), |req, name| req.add(*name, Vec::<String>::new()))
    };
    op.security = Some(if required.is_empty() {
        let present: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
        vec![SecurityRequirement::default(), requirement(&present)]
    } else {
        vec![requirement(&required)]
    });
}

/// The 501 operation of a catalog endpoint not built yet.
fn not_built(entry: &CatalogEntry) -> Operation {
    let params = parameters_of(&entry.path).into_iter().map(|name| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .schema(Some(Schema::from(utoipa::openapi::ObjectBuilder::new().schema_type(Type::String))))
            .build()
    });
    let error = ContentBuilder::new().schema(Some(Ref::from_schema_name(ErrorBody::name()))).build();
    let summary = entry.summary.lines().next().map(str::trim).filter(|s| !s.is_empty());
    OperationBuilder::new()
        .tag(entry.group.clone())
        .summary(summary)
        .description(Some(NOT_IMPLEMENTED))
        .operation_id(Some(operation_id(&entry.method, &entry.path)))
        .parameters(Some(params.collect::<Vec<Parameter>>()))
        .response("501", ResponseBuilder::new().description(NOT_IMPLEMENTED).content("application/json", error))
        .build()
}

/// A stable operation id for an unbuilt endpoint: `post_tenant_tenantId_community`, ….
fn operation_id(method: &str, path: &str) -> String {
    let words = path.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty());
    std::iter::once(method.to_ascii_lowercase()).chain(words.map(str::to_owned)).collect::<Vec<_>>().join("_")
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

/// The routes of `entries` and of the catalog of `service` that `doc` has no operation for, as
/// `METHOD /path`: should be empty.
pub fn missing_operations(doc: &OpenApi, service: &str, entries: &[Entry]) -> Vec<String> {
    let table = entries.iter().flat_map(|e| e.methods.iter().map(|m| (*m, e.path.as_str())));
    let catalogued = catalog(service).map(|c| (c.method.as_str(), c.path.as_str()));
    table
        .chain(catalogued)
        .filter(|(method, path)| !has_operation(doc, method, path))
        .map(|(method, path)| format!("{method} {path}"))
        .collect()
}

/// What makes `doc` an invalid or ambiguous document: duplicate operation ids, path parameters
/// not declared, operations without a response. Should be empty.
pub fn problems(doc: &OpenApi) -> Vec<String> {
    let mut found = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in operations(item) {
            let declared: Vec<&str> = op
                .parameters
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    utoipa::openapi::RefOr::T(p) if p.parameter_in == ParameterIn::Path => Some(p.name.as_str()),
                    _ => None,
                })
                .collect();
            for name in parameters_of(path) {
                if !declared.contains(&name) {
                    found.push(format!("{method} {path}: path parameter {name} is not declared"));
                }
            }
            match &op.operation_id {
                Some(id) if !ids.insert(id.clone()) => {
                    found.push(format!("{method} {path}: duplicate operationId {id}"))
                }
                Some(_) => {}
                None => found.push(format!("{method} {path}: no operationId")),
            }
            if op.responses.responses.is_empty() {
                found.push(format!("{method} {path}: no response"));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_schema_matches_the_wire_shape() {
        let wire = serde_json::to_value(envelope::ApiError::unauthorized("x").body()).unwrap();
        let schema = serde_json::to_value(ErrorBody::schema()).unwrap();
        let mut wire_keys: Vec<&String> = wire.as_object().unwrap().keys().collect();
        let mut schema_keys: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        wire_keys.sort();
        schema_keys.sort();
        assert_eq!(wire_keys, schema_keys);
    }

    #[test]
    fn operation_ids_and_parameters() {
        assert_eq!(operation_id("POST", "/tenant/{tenantId}/x_y"), "post_tenant_tenantId_x_y");
    }
}
