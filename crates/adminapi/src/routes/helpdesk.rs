//! The catalog group Helpdesk: `POST /helpdesk-passcode/generate`, a one-time passcode of a user
//! that an administrator (or the helpdesk) reads out to them. It is answered sealed only, never
//! sent by email or SMS, and verifies through `POST /api/r2/otp/verify` like any other passcode
//! (so users-mgmt takes it as a login's `otp`). Each one is in the audit log, without the code.

use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::domain::audit::Change;
use crate::domain::login_settings::MfaSettings;
use crate::domain::otp::{self, Kind};
use crate::routes::otp::user_id;
use crate::routes::users::{community_of, uid_of};
use crate::session::{AdminSession, HelpdeskPasscode};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(generate_passcode)]
}

/// The only `serviceName` the spec names.
pub const SERVICE_NAME: &str = "1KosmosHelpdeskAdminCode";
/// The validity a passcode may be given (seconds).
pub const VALIDITY: std::ops::RangeInclusive<u64> = 60..=86_400;
/// Digits of a helpdesk passcode: more than an emailed code's, as it may live a day.
pub const LENGTH: usize = 8;

/// Body of `POST /helpdesk-passcode/generate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HelpdeskPasscodeRequest {
    /// The user (the username of the community's login module).
    user_id: String,
    community_id: String,
    tenant_id: String,
    /// 60 to 86400.
    validity_seconds: u64,
    /// `1KosmosHelpdeskAdminCode`.
    service_name: String,
}

/// Generate Helpdesk Passcode.
///
/// A one-time passcode of 8 digits for `userId` (a user of the community's login module),
/// valid `validitySeconds` (60 to 86400), single use, void after the community's
/// `otpMaxAttempts` wrong codes, at most 5 per user per 15 minutes (else 429). Answered sealed
/// only (a plain body is refused) with `passcode`, `validitySeconds` and `expiresAt`; not sent
/// to the user. It verifies through `POST /api/r2/otp/verify`. Needs
/// `user.helpdesk-passcode.generate` (helpdesk and administrators).
#[utoipa::path(
    post,
    path = "/helpdesk-passcode/generate",
    request_body = Sealable<HelpdeskPasscodeRequest>,
    responses(
        (status = 200, description = "`passcode`, `validitySeconds`, `expiresAt`, sealed", body = Sealable<Object>),
        (status = 400, description = "A bad or plain body, serviceName or validitySeconds out of range", body = ErrorBody),
        (status = 403, description = "A role without the permission, or another community", body = ErrorBody),
        (status = 404, description = "No such community or user", body = ErrorBody),
        (status = 429, description = "Too many passcodes for this user", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn generate_passcode(
    admin: AdminSession<HelpdeskPasscode>,
    body: Body<HelpdeskPasscodeRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    if !encrypted {
        return Err(ApiError::bad_request("the passcode is only answered sealed: send the body encrypted").into());
    }
    if r.service_name != SERVICE_NAME {
        return Err(ApiError::bad_request(format!("serviceName must be \"{SERVICE_NAME}\"")).into());
    }
    if !VALIDITY.contains(&r.validity_seconds) {
        return Err(ApiError::bad_request(format!(
            "validitySeconds must be {} to {}",
            VALIDITY.start(),
            VALIDITY.end()
        ))
        .into());
    }
    let user = user_id(&r.user_id)?;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    let module =
        state.users_mgmt.login_module(&community).await?.ok_or_else(|| ApiError::not_found("user not found"))?;
    let uid = uid_of(&state, &community, &module, user).await?;
    let mfa: MfaSettings = state.configs.get(&community.id).await?;
    let now = state.clock.epoch_secs();
    let request = otp::Request {
        community_id: &community.id,
        user_id: user,
        kind: Kind::Helpdesk,
        length: LENGTH,
        validity_seconds: r.validity_seconds,
        max_attempts: mfa.otpMaxAttempts,
    };
    let issued = state.otps.issue(&request, now).await?;
    let change = Change {
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        kind: "helpdesk_passcode".into(),
        record: uid,
        action: "create".into(),
        fields: vec!["validitySeconds".into()],
        actor: admin.session.uid.clone(),
        at: now,
    };
    state.stores.audit.record(&change).await?;
    tracing::info!("helpdesk passcode generated");
    let reply = json!({
        "passcode": issued.code.as_str(),
        "validitySeconds": r.validity_seconds,
        "expiresAt": issued.expires_at,
    });
    Ok(admin.caller.reply(&reply)?)
}
