//! Use and removal: `behavior_auth/validate` and `behavior_auth/deregister`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::Located;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, Licensed};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{acts_with_jwt, check_user_jwt, named_user};
use crate::State;
use crate::domain::authentication::{self, Factors};
use crate::domain::behavior::{self, pattern};
use crate::domain::users;
use crate::routes::authenticate::{checker, local_module, proof_for};

/// Body of `behavior_auth/validate`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValidateBehaviorRequest {
    auth_module: String,
    username: String,
    /// The typing of the enrolled phrase, in the format of `behavior_auth/register`.
    pattern: String,
    /// `clientIp`, `userAgent`, for the event.
    #[schema(value_type = Option<Object>)]
    event_info: Option<Map<String, Value>>,
}

impl std::fmt::Debug for ValidateBehaviorRequest {
    /// Without the pattern.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidateBehaviorRequest").field("auth_module", &self.auth_module).finish_non_exhaustive()
    }
}

/// Validate behavior authentication (typing pattern)
///
/// The pattern must type the user's enrolled phrase close enough to the enrolled samples
/// (scaled Manhattan distance of dwell and flight times, under a threshold drawn from the
/// samples' own spread). On success what `user/authenticate` answers: the user and
/// `proof_of_authentication_jwt` with `methods: ["behavior_auth"]`, and `typing_data`
/// (`result`, `compared_samples`). Any refusal is a 401: an unknown user, no enrollment, another
/// text or another typist (each counted toward the lockout, factor `behavior_auth`), a locked or
/// disabled user. A pattern that is not in the format is a 400. Any valid key.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user/behavior_auth/validate",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<ValidateBehaviorRequest>,
    responses(
        (status = 200, description = "The user with `proof_of_authentication_jwt` and `typing_data`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A pattern not in the format, a bad body, a module that is missing, disabled or a directory", body = ErrorBody),
        (status = 401, description = "Refused; a locked or disabled user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn validate_behavior(
    auth: Licensed<AnyLevel>,
    community: Located,
    body: Body<ValidateBehaviorRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let Located(community) = community;
    let typed = pattern::parse("pattern", &r.pattern)?;
    let module = local_module(&state, &community.id, &r.auth_module).await?;
    let name = users::username(&r.username)?;
    let user = state.stores.users.by_username(&community.id, &module.id, &name).await?;
    let (verdict, compared) = match &user {
        Some(u) => {
            let enrollment = state.stores.behavior.get(&behavior::user_key(&u.urn)).await?;
            let compared = enrollment.as_ref().map_or(0, |e| e.samples.len());
            (behavior::verdict(enrollment.as_ref(), &typed), compared)
        }
        None => (false, 0),
    };
    let factors = Factors { behavior: Some(verdict), ..Factors::default() };
    let who = match authentication::check(checker(&state), user, factors, envelope::wire::now_epoch()).await? {
        Ok(who) => who,
        Err(refusal) => {
            tracing::info!(refusal = ?refusal, event_info = r.event_info.is_some(), "behavior auth refused");
            return Err(ApiError::unauthorized(refusal.message()).into());
        }
    };
    let token = proof_for(&platform, &state, &auth.caller, &community, &who, None)?;
    let mut reply = who.user.to_reply(None);
    reply["proof_of_authentication_jwt"] = Value::String(token);
    reply["typing_data"] = json!({"result": true, "compared_samples": compared});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `behavior_auth/deregister`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeregisterBehaviorRequest {
    auth_module: String,
    username: String,
    /// A proof of authentication of the user: required for service_ext, app and app_ext keys.
    jwt: Option<String>,
    /// `clientIp`, `userAgent`, `initiatedBy`, for the event.
    #[schema(value_type = Option<Object>)]
    event_info: Option<Map<String, Value>>,
}

impl std::fmt::Debug for DeregisterBehaviorRequest {
    /// Without the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeregisterBehaviorRequest").field("auth_module", &self.auth_module).finish_non_exhaustive()
    }
}

/// Deregister (unenroll) behavior authentication for a user
///
/// Removes the user's phrase and samples (an enrollment under way too); 204 whether or not
/// there was one, and an `E_BEHAVIOR_AUTH_UNENROLLED` event. System and service keys as they
/// are; service_ext, app and app_ext keys with `jwt`, a proof of authentication of the user.
#[utoipa::path(
    delete,
    path = "/tenant/{tenantId}/community/{communityId}/user/behavior_auth/deregister",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<DeregisterBehaviorRequest>,
    responses(
        (status = 204, description = "Deregistered, or there was nothing to deregister"),
        (status = 400, description = "A bad body, a module that is missing, disabled or a directory", body = ErrorBody),
        (status = 401, description = "A key that needs a jwt without a valid one of the user", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn deregister_behavior(
    auth: Licensed<AnyLevel>,
    community: Located,
    body: Body<DeregisterBehaviorRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, .. } = body;
    let Located(community) = community;
    let user = named_user(&state, &community, &r.auth_module, &r.username).await?;
    check_user_jwt(&platform, &community, &user, r.jwt.as_deref(), acts_with_jwt(&auth.license))?;
    let removed = state.stores.behavior.delete(&behavior::user_key(&user.urn)).await?;
    let initiated_by = r.event_info.as_ref().and_then(|e| e.get("initiatedBy")).is_some();
    tracing::info!(event = "E_BEHAVIOR_AUTH_UNENROLLED", removed, initiated_by, "behavior auth deregistered");
    Ok(HttpResponse::NoContent().finish())
}
