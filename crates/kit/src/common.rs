//! The endpoints every service has: `/healthz`, `/publickeys`, `/sd`, `/environment` and
//! `/ecdsa_helper/{method}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, KeyPair};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::VERSION;
use crate::app::Platform;
use crate::error::AppResult;
use crate::license::{PlainLicensed, SystemOnly};
use crate::routing::Endpoint;

/// The shared endpoints (catalog groups Healthz, Public Key, Service Directory, Environment and
/// ECDSA Helper), for a service's route table.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        crate::endpoint!(healthz),
        crate::endpoint!(publickeys),
        crate::endpoint!(service_directory),
        crate::endpoint!(environment),
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

/// Reply of `GET /environment`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Environment {
    pub service: String,
    pub version: String,
    /// Seconds a `requestid` stays valid around its `ts`.
    pub allowed_time_span: u64,
    pub ec_curve_name: String,
    pub database: String,
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
/// No authentication. Service name → base URL.
#[utoipa::path(
    get,
    path = "/sd",
    responses((status = 200, description = "The directory", body = std::collections::BTreeMap<String, String>))
)]
async fn service_directory(p: web::Data<Platform>) -> HttpResponse {
    HttpResponse::Ok().json(&p.settings.service_directory)
}

/// What this deployment runs with.
///
/// The license is presented in the clear, in the `license` header.
#[utoipa::path(get, path = "/environment", responses((status = 200, description = "The environment", body = Environment)))]
#[tracing::instrument(skip_all)]
async fn environment(p: web::Data<Platform>, _license: PlainLicensed<SystemOnly>) -> HttpResponse {
    HttpResponse::Ok().json(Environment {
        service: p.settings.service.to_owned(),
        version: VERSION.to_owned(),
        allowed_time_span: p.settings.allowed_time_span.as_secs(),
        ec_curve_name: p.settings.curve.name().to_owned(),
        database: p.db.backend().name().to_owned(),
        ephemeral_store: p.durable.backend().to_owned(),
        service_directory: p.settings.service_directory.clone(),
    })
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
