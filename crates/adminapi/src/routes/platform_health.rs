//! `GET /platform_health` (catalog group Healthz): adminapi's own health and that of every
//! service in `SERVICE_DIRECTORY` ([`crate::domain::platform_health`]).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kit::app::Platform;
use kit::{AppResult, Endpoint, endpoint};
use serde::Serialize;
use utoipa::ToSchema;

use crate::State;
use crate::domain::platform_health::ServiceHealth;

/// The endpoints.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(platform_health)]
}

/// The platform's health.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformHealth {
    /// `all services operational`, or `degraded: ` and the names of the services down.
    pub status: String,
    /// adminapi's public key (base64), as `/publickeys`.
    pub public_key: String,
    /// `200`, or `503` when a service is down (also the HTTP status).
    pub code: String,
    /// adminapi's build version.
    pub version: String,
    /// adminapi first, then the directory's services by name.
    pub services: Vec<ServiceHealth>,
}

/// Get Platform Health.
///
/// No authentication. adminapi's health (its database and ephemeral store) and the `/healthz`
/// of every service in `SERVICE_DIRECTORY`, asked at once with a short timeout
/// (`PLATFORM_HEALTH_TIMEOUT_MS`, default 2000). A service that does not answer 200 in time is
/// `down`, and then the status says `degraded` and the code is 503.
#[utoipa::path(
    get,
    path = "/platform_health",
    responses(
        (status = 200, description = "Every service operational", body = PlatformHealth),
        (status = 503, description = "A service is down", body = PlatformHealth),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn platform_health(p: web::Data<Platform>, state: web::Data<State>) -> AppResult<HttpResponse> {
    let own = p.health.status(&p.db, &p.durable).await;
    let me = ServiceHealth {
        name: crate::SERVICE.into(),
        status: if own.healthy() { "operational" } else { "down" }.into(),
        code: Some(if own.healthy() { 200 } else { 503 }),
        version: Some(kit::VERSION.into()),
    };
    let others = state.assets.prober.probe_all(&p.settings.service_directory, crate::SERVICE).await;
    let services: Vec<ServiceHealth> = std::iter::once(me).chain(others).collect();
    let down: Vec<&str> = services.iter().filter(|s| !s.is_up()).map(|s| s.name.as_str()).collect();
    let (status, text) = if down.is_empty() {
        (StatusCode::OK, "all services operational".to_owned())
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, format!("degraded: {} down", down.join(", ")))
    };
    Ok(HttpResponse::build(status).json(PlatformHealth {
        status: text,
        public_key: p.keys.public_base64().to_owned(),
        code: status.as_u16().to_string(),
        version: kit::VERSION.into(),
        services,
    }))
}
