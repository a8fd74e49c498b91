//! The endpoints every service has: `/healthz`, `/publickeys`, `/sd`, `/environment` and
//! `/ecdsa_helper/{method}`.

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, web};
use envelope::{ApiError, KeyPair, PlainLicense};
use serde::{Deserialize, Serialize};

use crate::app::Platform;
use crate::error::AppResult;
use crate::license::{Level, authorize};
use crate::routing::{Endpoint, endpoint};

/// The build version: `<git-tag>.<commit>.<build epoch>` or `<commit>.<build epoch>`.
pub const VERSION: &str = env!("BLOCKID_VERSION");

/// The shared endpoints, for a service's route table.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::GET, "/healthz", healthz),
        endpoint(Method::GET, "/publickeys", publickeys),
        endpoint(Method::GET, "/sd", service_directory),
        endpoint(Method::GET, "/environment", environment),
        endpoint(Method::POST, "/ecdsa_helper/{method}", ecdsa_helper),
    ]
}

/// The health report.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: String,
    pub public_key: String,
    pub code: String,
    pub version: String,
    pub database: String,
    pub cache: String,
}

fn check(backend: &str, result: Result<(), crate::error::StoreError>) -> (bool, String) {
    match result {
        Ok(()) => (true, format!("{backend}: ok")),
        Err(e) => {
            tracing::warn!(%backend, error = %e, "health check failed");
            (false, format!("{backend}: unavailable"))
        }
    }
}

/// Health of the service, its database and its ephemeral store, as they really are.
#[tracing::instrument(skip_all)]
async fn healthz(p: web::Data<Platform>) -> HttpResponse {
    let (db_ok, database) = check(p.db.backend().name(), p.db.ping().await);
    let (cache_ok, cache) = check(p.durable.backend(), p.durable.ping().await);
    let healthy = db_ok && cache_ok;
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
async fn publickeys(p: web::Data<Platform>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "publicKey": p.keys.public_base64() }))
}

/// The service directory from configuration.
async fn service_directory(p: web::Data<Platform>) -> HttpResponse {
    HttpResponse::Ok().json(&p.settings.service_directory)
}

/// What this deployment runs with. Only a system license (in the plain `license` header) may read it.
#[tracing::instrument(skip_all)]
async fn environment(p: web::Data<Platform>, license: PlainLicense) -> AppResult<HttpResponse> {
    let license = license.0.ok_or_else(|| ApiError::unauthorized("license header is required"))?;
    authorize(&*p.licenses.clone().into_inner(), Some(&license), &[Level::System], None).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "service": p.settings.service,
        "version": VERSION,
        "allowed_time_span": p.settings.allowed_time_span.as_secs(),
        "ec_curve_name": p.settings.curve.name(),
        "database": p.db.backend().name(),
        "ephemeral_store": p.durable.backend(),
        "service_directory": p.settings.service_directory,
    })))
}

/// Body of `/ecdsa_helper/{method}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HelperRequest {
    data_str: String,
    public_key: String,
    private_key: String,
}

/// Encrypts or decrypts `dataStr` with the ECDH key of `privateKey` and `publicKey`.
#[tracing::instrument(skip_all, fields(method = %method))]
async fn ecdsa_helper(
    p: web::Data<Platform>,
    method: web::Path<String>,
    body: web::Json<HelperRequest>,
) -> AppResult<HttpResponse> {
    let curve = p.settings.curve;
    let keys = KeyPair::from_private_base64(curve, &body.private_key)
        .map_err(|e| ApiError::bad_request(format!("privateKey is {e}")))?;
    let shared =
        keys.shared_key_with(&body.public_key).map_err(|e| ApiError::bad_request(format!("publicKey is {e}")))?;
    let data = match method.as_str() {
        "encrypt" => shared.encrypt(&body.data_str).map_err(crate::error::AppError::internal)?,
        "decrypt" => shared.decrypt(&body.data_str).map_err(|e| ApiError::bad_request(format!("dataStr {e}")))?,
        other => {
            return Err(ApiError::bad_request(format!("method must be encrypt or decrypt, not {other:?}")).into());
        }
    };
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": data })))
}
