//! The catalog group Authenticate V 2: `POST /v2/request_access`, the journey login of the
//! admin console. With a password and / or a one-time passcode (`web_otp` or `any_otp`) it signs
//! the user in as `POST /verifyuser` does, through the community's authentication journeys
//! ([`crate::routes::authenticate::steps`]), and answers the access JWT, or, when the journey
//! asks for a passcode after the password, `next: {step: "need_mfa", allowed_factors,
//! step_token}`; the `step_token` and a passcode finish. The other facts (hardware and app OTPs,
//! security keys, SAML, behavior, PIN, EAM) come with the factors and federation issues and are a
//! clear 400 until then.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::{ApiError, Body, Caller};
use kit::app::Platform;
use kit::directory::{Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::user_token::{self, Opened};
use crate::routes::authenticate::steps::{self, Outcome, RequestFacts};
use crate::users_mgmt::Factors;

/// A text fact, when given (not empty).
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(request_access)]
}

/// Body of `POST /v2/request_access`: the facts of one step of the login journey.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RequestAccessRequest {
    tenantId: Option<String>,
    communityId: Option<String>,
    username: Option<String>,
    password: Option<String>,
    web_otp: Option<String>,
    hw_otp: Option<String>,
    mobile_totp: Option<String>,
    any_otp: Option<String>,
    profile_otp: Option<String>,
    uwlSessionId: Option<String>,
    SAMLResponse: Option<String>,
    mobile: Option<String>,
    landline: Option<String>,
    challengeHash: Option<String>,
    biometricConsentAccepted: Option<bool>,
    #[schema(value_type = Option<Object>)]
    webauthnAssertion: Option<Value>,
    isPreauthenticated: Option<bool>,
    interactionUid: Option<String>,
    #[schema(value_type = Option<Object>)]
    behavior_auth: Option<Value>,
    user_pin: Option<String>,
    /// Not in the catalog's body: the `step_token` of a `need_mfa` answer, given back with
    /// `web_otp` or `any_otp` to finish the login.
    step_token: Option<String>,
}

impl std::fmt::Debug for RequestAccessRequest {
    /// Without the facts.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestAccessRequest").field("communityId", &self.communityId).finish_non_exhaustive()
    }
}

impl RequestAccessRequest {
    /// The first fact given that is not built yet.
    fn unsupported_fact(&self) -> Option<&'static str> {
        let texts = [
            ("hw_otp", &self.hw_otp),
            ("mobile_totp", &self.mobile_totp),
            ("profile_otp", &self.profile_otp),
            ("uwlSessionId", &self.uwlSessionId),
            ("SAMLResponse", &self.SAMLResponse),
            ("mobile", &self.mobile),
            ("landline", &self.landline),
            ("challengeHash", &self.challengeHash),
            ("interactionUid", &self.interactionUid),
            ("user_pin", &self.user_pin),
        ];
        let text = texts.iter().find(|(_, v)| v.as_deref().is_some_and(|v| !v.is_empty())).map(|(n, _)| *n);
        text.or_else(|| self.webauthnAssertion.as_ref().map(|_| "webauthnAssertion"))
            .or_else(|| self.behavior_auth.as_ref().map(|_| "behavior_auth"))
            .or_else(|| (self.isPreauthenticated == Some(true)).then_some("isPreauthenticated"))
            .or_else(|| self.biometricConsentAccepted.map(|_| "biometricConsentAccepted"))
    }
}

/// Request access with facts.
///
/// One step of the login journey. Built: `tenantId`, `communityId`, `username` and `password`
/// and / or a one-time passcode (`web_otp`, or `any_otp`: a code from `PUT /generate/otp` or a
/// helpdesk passcode, single use) of a user of the community's db module (checked by
/// users-mgmt). The community's authentication journey of the login then decides (the client's
/// address, the `facts` header's `deviceId` and `deviceDomain`, the requesting app, the user's
/// username and groups): none or `allow` answers `jwt`, the access token, and the `user`; `deny`
/// is a 403; `mfa_required` after the password alone answers `next: {step: "need_mfa",
/// allowed_factors, step_token}` (no JWT; the token lives 300 s and is spent by its first use),
/// and a second call with `step_token` and `web_otp` or `any_otp` (a passcode from
/// `PUT /generate/otp` with the step token as `user_token`) answers the `jwt`; a passcode without
/// the password: 401. Any other fact is not available yet (400, naming it). A wrong password or
/// passcode, an unknown, locked or disabled user: the same 401; `web_otp` and `any_otp` together
/// are a 400. No license.
#[utoipa::path(
    post,
    path = "/v2/request_access",
    request_body = Sealable<RequestAccessRequest>,
    responses(
        (status = 200, description = "`jwt` and `user`, or `next`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or facts header, no password nor otp; a fact that is not available yet", body = ErrorBody),
        (status = 401, description = "Invalid username or credentials; an invalid, expired or used step_token; the password is required first", body = ErrorBody),
        (status = 403, description = "Denied by the community's authentication journey", body = ErrorBody),
        (status = 404, description = "No such tenant and community", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn request_access(
    caller: Caller,
    req: HttpRequest,
    body: Body<RequestAccessRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    if let Some(fact) = r.unsupported_fact() {
        return Err(
            ApiError::bad_request(format!("{fact} is not available yet: request access with a password")).into()
        );
    }
    let facts = RequestFacts::of(&req, &caller, &state)?;
    let required = |v: &Option<String>, name: &str| {
        v.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| ApiError::bad_request(format!("{name} is required")))
    };
    let (tenant_id, community_id) = (required(&r.tenantId, "tenantId")?, required(&r.communityId, "communityId")?);
    let otp = match (given(&r.web_otp), given(&r.any_otp)) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("give web_otp or any_otp, not both").into()),
        (web, any) => web.or(any),
    };
    let named = Named { community_id: &community_id, tenant_id: Some(&tenant_id), community_name: None };
    if let Some(token) = given(&r.step_token) {
        let (Some(passcode), None) = (otp, given(&r.password)) else {
            return Err(ApiError::bad_request("step_token goes with web_otp or any_otp (and no password)").into());
        };
        let community = locate(&**platform.directory, named).await?;
        let now = state.clock.epoch_secs();
        // A username given beside the token must be the token's user.
        let step = match user_token::open_any(&state.sealer, token, &community.tenant_id, &community.id, now) {
            Ok(Opened::Step(step))
                if given(&r.username).is_none_or(|u| u.trim().eq_ignore_ascii_case(&step.user.username)) =>
            {
                step
            }
            _ => return Err(ApiError::unauthorized("step_token is invalid or expired: request access again").into()),
        };
        let signed = steps::finish(&state, &platform, &community, ("step_token", &step), passcode).await?;
        let reply = json!({"jwt": signed.token, "user": signed.user});
        return Ok(caller.reply_like(encrypted, StatusCode::OK, &reply)?);
    }
    let username = required(&r.username, "username")?;
    let factors = Factors::given(r.password.as_deref(), otp);
    if factors.is_empty() {
        return Err(ApiError::bad_request("password, web_otp or any_otp is required").into());
    }
    let community = locate(&**platform.directory, named).await?;
    let reply = match steps::log_in(&state, &platform, &facts, &community, &username, factors, None).await? {
        Outcome::SignedIn(signed) => json!({"jwt": signed.token, "user": signed.user}),
        Outcome::Next { token, allowed_factors, .. } => {
            json!({"next": {"step": "need_mfa", "allowed_factors": allowed_factors, "step_token": token}})
        }
    };
    Ok(caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
