//! `POST /tenant/{tenantId}/community/{communityId}/nonce/sign` and `GET /nonce/validate`.
//! The token format is described in [`crate::domain::nonce`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, Licensed};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::State;
use crate::domain::nonce::{self, NoncePayload, SignRequest};

/// Reply of the sign endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct Signed {
    /// The signed nonce token.
    signed_nonce: String,
}

/// Generate Signature: sign `{publicKey, nonce}` with the service key; `publicKey` must be the
/// caller's own (its `publickey` header), `nonce` a uuid.
///
/// The license must cover `communityId` of the path (checked when the caller is admitted). The
/// body may be sealed; the reply is sealed when it was.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/nonce/sign",
    params(
        ("tenantId" = String, Path, description = "The tenant"),
        ("communityId" = String, Path, description = "The community"),
    ),
    request_body = Sealable<SignRequest>,
    responses(
        (status = 200, description = "The signed nonce", body = Sealable<Signed>),
        (status = 403, description = "The license's level may not call this endpoint, it does not cover the community, or `publicKey` is not the caller's", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn sign(
    auth: Licensed<AnyLevel>,
    body: Body<SignRequest>,
    platform: web::Data<Platform>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let ttl = i64::try_from(state.settings.nonce_ttl.as_secs()).unwrap_or(i64::MAX);
    let token = nonce::sign(&platform.keys, &body.value, auth.caller.public_key(), state.clock.epoch_secs(), ttl)?;
    Ok(auth.caller.reply_like(body.encrypted, StatusCode::OK, &Signed { signed_nonce: token })?)
}

/// Query of the validate endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValidateQuery {
    /// The signed nonce to validate.
    nonce: String,
}

/// Validate Signature: what a signed nonce vouches for, if it is genuine and still valid.
///
/// No authentication.
#[utoipa::path(
    get,
    path = "/nonce/validate",
    params(ValidateQuery),
    responses(
        (status = 200, description = "What the nonce vouches for", body = NoncePayload),
        (status = 400, description = "No or malformed nonce", body = ErrorBody),
        (status = 401, description = "Bad signature, or expired", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn validate(
    query: web::Query<ValidateQuery>,
    platform: web::Data<Platform>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let payload = nonce::validate(platform.keys.public(), &query.nonce, state.clock.epoch_secs())?;
    Ok(HttpResponse::Ok().json(payload))
}
