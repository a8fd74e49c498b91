//! The endpoints every service has: `/healthz`, `/publickeys`, `/sd`, `/environment` and
//! `/ecdsa_helper/{method}`.
//!
//! `GET /environment` comes in two forms, as in the reference: open, with nothing secret in it
//! (users-mgmt and adminapi: [`open_environment`]), and behind a system key of type hawk in the
//! plain `license` header, with the deployment's storage and directory too (sessions:
//! [`system_environment`]). The SDKs read `EC_CURVE_NAME` and `allowed_time_span` from it
//! (`BIDECDSA.getECCurveName`, `BIDCaas.getEnvironment`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, KeyPair};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::VERSION;
use crate::app::Platform;
use crate::error::AppResult;
use crate::license::{KeyType, PlainLicensed, SystemOnly};
use crate::routing::Endpoint;

/// The shared endpoints (catalog groups Healthz, Public Key, Service Directory and ECDSA Helper),
/// for a service's route table; add the service's form of `GET /environment` beside them.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        crate::endpoint!(healthz),
        crate::endpoint!(publickeys),
        crate::endpoint!(service_directory),
        crate::endpoint!(ecdsa_helper),
        crate::endpoint!(ecdsa_helper_default)
            .outside_catalog("the reference's optional method of /ecdsa_helper/{method}: encrypt by default"),
    ]
}

/// The health report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `all services operational` or `degraded`.
    pub status: String,
    /// The service's public key (base64).
    pub public_key: String,
    /// The HTTP status, as text.
    pub code: String,
    /// The build version.
    pub version: String,
    /// `<backend>: ok` or `<backend>: unavailable`.
    pub database: String,
    /// The ephemeral store: `<backend>: ok` or `<backend>: unavailable`.
    pub cache: String,
}

/// Reply of `GET /publickeys`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeys {
    /// The service's public key (base64).
    pub public_key: String,
}

/// `GET /environment` without authentication, as users-mgmt and adminapi serve it.
pub fn open_environment() -> Endpoint {
    crate::endpoint!(environment)
}

/// `GET /environment` for a system key of type hawk, as sessions serves it.
pub fn system_environment() -> Endpoint {
    crate::endpoint!(licensed_environment)
}

/// Reply of the open `GET /environment`: what a client needs to talk to the service.
#[derive(Debug, Serialize, ToSchema)]
pub struct Environment {
    pub service: String,
    pub version: String,
    /// Seconds a `requestid` stays valid around its `ts`.
    pub allowed_time_span: u64,
    /// The curve of the service's keys (`secp256k1` or `prime256v1`), under the name the SDKs read.
    #[serde(rename = "EC_CURVE_NAME")]
    pub ec_curve_name: String,
}

/// Reply of `GET /environment` for a system key: the open fields and how the deployment runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct SystemEnvironment {
    #[serde(flatten)]
    pub environment: Environment,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// Where ephemeral state lives: `redis`, or the database.
    pub ephemeral_store: String,
    pub service_directory: std::collections::BTreeMap<String, String>,
}

/// Reply of `POST /ecdsa_helper/{method}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HelperReply {
    /// The encrypted or decrypted `dataStr`.
    pub data: String,
}

/// Health of the service, its database and its ephemeral store, as they really are.
///
/// No authentication.
#[utoipa::path(
    get,
    path = "/healthz",
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 503, description = "The database or the ephemeral store is unavailable", body = Health),
    )
)]
#[tracing::instrument(skip_all)]
async fn healthz(p: web::Data<Platform>) -> HttpResponse {
    let now = p.health.status(&p.db, &p.durable).await;
    let (healthy, database, cache) = (now.healthy(), now.database.to_string(), now.cache.to_string());
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    HttpResponse::build(status).json(Health {
        status: if healthy { "all services operational".into() } else { "degraded".into() },
        public_key: p.keys.public_base64().to_owned(),
        code: status.as_u16().to_string(),
        version: VERSION.into(),
        database,
        cache,
    })
}

/// The service's public key.
///
/// No authentication.
#[utoipa::path(get, path = "/publickeys", responses((status = 200, description = "The key", body = PublicKeys)))]
async fn publickeys(p: web::Data<Platform>) -> HttpResponse {
    HttpResponse::Ok().json(PublicKeys { public_key: p.keys.public_base64().to_owned() })
}

/// The service directory from configuration.
///
/// No authentication. Service name → base URL; `adminconsole`, the helper SDKs' name for
/// adminapi (`BIDOTP`, `BIDUsers` call `sd.adminconsole`), is added when the directory names
/// `adminapi` but not `adminconsole`.
#[utoipa::path(
    get,
    path = "/sd",
    responses((status = 200, description = "The directory", body = std::collections::BTreeMap<String, String>))
)]
async fn service_directory(p: web::Data<Platform>) -> HttpResponse {
    HttpResponse::Ok().json(with_sdk_names(&p.settings.service_directory))
}

/// The directory with the SDKs' names of its services.
fn with_sdk_names(
    directory: &std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeMap<String, String> {
    let mut named = directory.clone();
    if let Some(adminapi) = directory.get("adminapi") {
        named.entry("adminconsole".to_owned()).or_insert_with(|| adminapi.clone());
    }
    named
}

/// What a client needs to talk to this service: its curve and the `requestid` time window.
///
/// No authentication; nothing secret.
#[utoipa::path(get, path = "/environment", responses((status = 200, description = "The environment", body = Environment)))]
async fn environment(p: web::Data<Platform>) -> HttpResponse {
    HttpResponse::Ok().json(open_fields(&p))
}

/// What this deployment runs with: the open fields, its storage and its service directory.
///
/// The system key is presented in the clear, in the `license` header, and must be of type hawk.
#[utoipa::path(
    get,
    path = "/environment",
    responses(
        (status = 200, description = "The environment", body = SystemEnvironment),
        (status = 403, description = "Not a system key, or a system key of type ecdsa", body = crate::openapi::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
async fn licensed_environment(p: web::Data<Platform>, license: PlainLicensed<SystemOnly>) -> AppResult<HttpResponse> {
    if license.license.key_type != KeyType::Hawk {
        return Err(ApiError::forbidden("only a system key of type hawk can retrieve the environment").into());
    }
    Ok(HttpResponse::Ok().json(SystemEnvironment {
        environment: open_fields(&p),
        database: p.db.backend().name().to_owned(),
        ephemeral_store: p.durable.backend().to_owned(),
        service_directory: p.settings.service_directory.clone(),
    }))
}

fn open_fields(p: &Platform) -> Environment {
    Environment {
        service: p.settings.service.to_owned(),
        version: VERSION.to_owned(),
        allowed_time_span: p.settings.allowed_time_span.as_secs(),
        ec_curve_name: p.settings.curve.name().to_owned(),
    }
}

/// Body of `/ecdsa_helper/{method}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct HelperRequest {
    /// The text to encrypt, or the ciphertext to decrypt.
    data_str: String,
    /// The peer's public key (base64).
    public_key: String,
    /// The private key (base64) of the other side.
    private_key: String,
}

/// Encrypts or decrypts `dataStr` with the ECDH key of `privateKey` and `publicKey`.
///
/// No authentication (a developer helper, as in the reference).
#[utoipa::path(
    post,
    path = "/ecdsa_helper/{method}",
    params(("method" = String, Path, description = "`encrypt` or `decrypt`")),
    request_body = HelperRequest,
    responses(
        (status = 200, description = "The result", body = HelperReply),
        (status = 400, description = "Bad body, key, ciphertext or method", body = crate::openapi::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
async fn ecdsa_helper(
    p: web::Data<Platform>,
    method: web::Path<String>,
    body: web::Json<HelperRequest>,
) -> AppResult<HttpResponse> {
    helper(&p, &method, &body)
}

/// `POST /ecdsa_helper/{method}` without a method: the reference's default, `encrypt`.
#[utoipa::path(
    post,
    path = "/ecdsa_helper",
    request_body = HelperRequest,
    responses(
        (status = 200, description = "The encrypted `dataStr`", body = HelperReply),
        (status = 400, description = "Bad body or key", body = crate::openapi::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
async fn ecdsa_helper_default(p: web::Data<Platform>, body: web::Json<HelperRequest>) -> AppResult<HttpResponse> {
    helper(&p, "encrypt", &body)
}

fn helper(p: &Platform, method: &str, body: &HelperRequest) -> AppResult<HttpResponse> {
    let curve = p.settings.curve;
    let keys = KeyPair::from_private_base64(curve, &body.private_key)
        .map_err(|e| ApiError::bad_request(format!("privateKey is {e}")))?;
    let shared =
        keys.shared_key_with(&body.public_key).map_err(|e| ApiError::bad_request(format!("publicKey is {e}")))?;
    let data = match method {
        "encrypt" => shared.encrypt(&body.data_str).map_err(crate::error::AppError::internal)?,
        "decrypt" => shared.decrypt(&body.data_str).map_err(|e| ApiError::bad_request(format!("dataStr {e}")))?,
        _ => return Err(ApiError::bad_request("method must be encrypt or decrypt").into()),
    };
    Ok(HttpResponse::Ok().json(HelperReply { data }))
}
