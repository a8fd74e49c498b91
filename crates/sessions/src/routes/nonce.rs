//! `POST /tenant/{tenantId}/community/{communityId}/nonce/sign` and `GET /nonce/validate`.
//! The token format is described in [`crate::domain::nonce`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
use kit::{AnyLevel, AppResult, Licensed};
use serde::{Deserialize, Serialize};

use crate::config::SessionSettings;
use crate::domain::nonce::{self, SignRequest};

/// Reply of the sign endpoint.
#[derive(Debug, Serialize)]
struct Signed {
    signed_nonce: String,
}

/// Generate Signature: sign `{publicKey, nonce}` with the service key.
///
/// Any license level, covering `communityId` of the path (checked by the extractor).
#[tracing::instrument(skip_all)]
pub async fn sign(
    auth: Licensed<AnyLevel>,
    body: Body<SignRequest>,
    platform: web::Data<Platform>,
    settings: web::Data<SessionSettings>,
) -> AppResult<HttpResponse> {
    let ttl = i64::try_from(settings.nonce_ttl.as_secs()).unwrap_or(i64::MAX);
    let token = nonce::sign(&platform.keys, &body.value, envelope::wire::now_epoch(), ttl)?;
    Ok(auth.caller.reply_like(body.encrypted, StatusCode::OK, &Signed { signed_nonce: token })?)
}

/// Query of the validate endpoint.
#[derive(Debug, Deserialize)]
pub struct ValidateQuery {
    nonce: String,
}

/// Validate Signature: what a signed nonce vouches for, if it is genuine and still valid.
#[tracing::instrument(skip_all)]
pub async fn validate(query: web::Query<ValidateQuery>, platform: web::Data<Platform>) -> AppResult<HttpResponse> {
    let payload = nonce::validate(platform.keys.public(), &query.nonce, envelope::wire::now_epoch())?;
    Ok(HttpResponse::Ok().json(payload))
}
