//! The community's authentication journeys ([`crate::domain::journeys`]) applied to every login
//! (`POST /verifyuser`, `POST /authenticate`, `POST /v2/request_access`, a security key's
//! `POST /webauthn/authenticate_with_security_key`), and the second step of
//! a login they send to a one-time passcode.
//!
//! The factors are checked at users-mgmt first ([`super::check`]); then the journey of the login
//! is chosen from its facts: the username and groups of the user's record, the client's address,
//! the `deviceId` and `deviceDomain` of the `facts` header, the `appid` of the `requestid`. `allow`
//! (or no journey) opens the session; `deny` is a 403; `mfa_required` lets a login that gave the
//! password and a passcode together in, answers a login that gave the password alone a step token
//! ([`crate::domain::user_token::issue_step`]) for the second step, and refuses a passcode without
//! the password (401): the passcode never stands in for the password there.
//!
//! The client's address is the connection's peer, unless the deployment sets
//! `TRUST_FORWARDED_HEADERS=true`: then actix's `realip_remote_addr` (the first `Forwarded: for=`
//! or `X-Forwarded-For` entry), which is only safe behind a proxy that overwrites those headers.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use envelope::{ApiError, Caller};
use kit::AppResult;
use kit::app::Platform;
use kit::directory::CommunityRef;
use serde::Deserialize;
use serde_json::Value;

use super::{Checked, SignedIn, check, open_session};
use crate::State;
use crate::domain::journeys::evaluate::{self, LoginFacts, Verdict};
use crate::domain::reports;
use crate::domain::user_token::{self, Step, UserRef};
use crate::users_mgmt::Factors;

/// The facts of a login request, before the user is known.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestFacts {
    ip: Option<IpAddr>,
    device_id: Option<String>,
    device_domain: Option<String>,
    app: Option<String>,
}

/// The `facts` header, decrypted: other fields are the SDK's and are not used.
#[derive(Deserialize)]
#[allow(non_snake_case)]
struct FactsHeader {
    deviceId: Option<Value>,
    deviceDomain: Option<Value>,
}

/// An address as actix shows it (`ip`, `ip:port`, `[v6]:port`).
fn address(text: &str) -> Option<IpAddr> {
    text.parse::<SocketAddr>()
        .map(|s| s.ip())
        .ok()
        .or_else(|| text.trim().trim_start_matches('[').trim_end_matches(']').parse().ok())
}

/// A short text fact, when given.
fn text(v: Option<Value>) -> Option<String> {
    v.as_ref().and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty() && s.len() <= 256).map(str::to_owned)
}

/// The client's address: the connection's peer, or the `Forwarded` / `X-Forwarded-For` one when
/// `TRUST_FORWARDED_HEADERS` says a proxy sets them.
pub(crate) fn client_ip(req: &HttpRequest, state: &State) -> Option<IpAddr> {
    if state.trust_forwarded {
        req.connection_info().realip_remote_addr().and_then(address)
    } else {
        req.peer_addr().map(|p| p.ip())
    }
}

impl RequestFacts {
    /// The facts of `req` from `caller` (see the module for the client's address).
    pub(crate) fn of(req: &HttpRequest, caller: &Caller, state: &State) -> Result<Self, ApiError> {
        let ip = client_ip(req, state);
        let header = envelope::server::header(req.headers(), "facts")?
            .map(|sealed| {
                let bad = || ApiError::bad_request("facts header must be a JSON object encrypted with the shared key");
                let json = caller.shared_key().decrypt(&sealed).map_err(|_| bad())?;
                serde_json::from_str::<FactsHeader>(&json).map_err(|_| bad())
            })
            .transpose()?;
        let (device_id, device_domain) = header.map_or((None, None), |h| (text(h.deviceId), text(h.deviceDomain)));
        let app = Some(caller.request_id().appid.trim().to_owned()).filter(|a| !a.is_empty());
        Ok(Self { ip: ip.map(crate::domain::journeys::rules::canonical), device_id, device_domain, app })
    }

    fn for_user(&self, checked: &Checked) -> LoginFacts {
        let groups = checked.user["groups"]
            .as_array()
            .map(|list| list.iter().filter_map(Value::as_str).map(str::to_owned).collect());
        LoginFacts {
            username: checked.username.clone(),
            groups,
            ip: self.ip,
            device_id: self.device_id.clone(),
            device_domain: self.device_domain.clone(),
            app: self.app.clone(),
        }
    }
}

/// How a login went on.
pub(crate) enum Outcome {
    /// In: the user and the access token.
    SignedIn(SignedIn),
    /// The password was right; a passcode must follow, with `token`.
    Next { user: Value, token: String, allowed_factors: Vec<&'static str> },
}

/// Checks `username`'s `factors` in `community` (with `uid`, the user must be that one) and
/// applies the community's journey to the login (see the module).
pub(crate) async fn log_in(
    state: &State,
    platform: &Platform,
    facts: &RequestFacts,
    community: &CommunityRef,
    username: &str,
    factors: Factors<'_>,
    uid: Option<&str>,
) -> AppResult<Outcome> {
    let checked = match check(state, community, username, factors, uid).await {
        Ok(checked) => checked,
        Err(e) => {
            if actix_web::ResponseError::status_code(&e) == actix_web::http::StatusCode::UNAUTHORIZED {
                let name = reports::names::LOGIN_FAILED;
                let event = reports::login_event(
                    name,
                    &community.tenant_id,
                    &community.id,
                    username,
                    "",
                    state.clock.epoch_ms(),
                );
                reports::record_quietly(&*state.stores.report_events, &event).await;
            }
            return Err(e);
        }
    };
    let journeys = state.journeys.list(&community.id).await?;
    let chosen = evaluate::choose(&journeys, &facts.for_user(&checked));
    if let Some(j) = chosen {
        tracing::info!(journey = %j.id, action = j.draft.decision.action.as_str(), "authentication journey applied");
    }
    match evaluate::verdict(chosen.map(|j| &j.draft.decision)) {
        Verdict::Allow => Ok(Outcome::SignedIn(open_session(state, platform, community, checked).await?)),
        Verdict::Deny => Err(ApiError::forbidden("access denied by the community's authentication journey").into()),
        Verdict::Unavailable(methods) => {
            let names: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
            Err(ApiError::forbidden(format!(
                "the community's authentication journey requires {}, which no login offers yet",
                names.join(" or ")
            ))
            .into())
        }
        Verdict::SecondFactor { allowed_factors } => match (factors.password.is_some(), factors.otp.is_some()) {
            (true, true) => Ok(Outcome::SignedIn(open_session(state, platform, community, checked).await?)),
            (true, false) => {
                let user = UserRef {
                    tenant_id: community.tenant_id.clone(),
                    community_id: community.id.clone(),
                    module_id: checked.module.clone(),
                    uid: checked.uid.clone(),
                    username: checked.username.clone(),
                };
                let token = user_token::issue_step(&state.sealer, &user, state.clock.epoch_secs())?;
                tracing::info!("password accepted: a one-time passcode must follow");
                Ok(Outcome::Next { user: checked.user, token, allowed_factors })
            }
            (false, _) => {
                tracing::info!("login refused: the journey requires the password before the passcode");
                Err(ApiError::unauthorized(
                    "the community's authentication journey requires the password first, then a one-time passcode",
                )
                .into())
            }
        },
    }
}

/// Applies the community's journey to a login whose factor adminapi verified itself (a security
/// key with user verification: something held and something known or been, so a journey's
/// `mfa_required` is met) for `checked` (see [`super::check_verified`]): `deny` is a 403.
pub(crate) async fn log_in_verified(
    state: &State,
    platform: &Platform,
    facts: &RequestFacts,
    community: &CommunityRef,
    checked: Checked,
) -> AppResult<SignedIn> {
    let journeys = state.journeys.list(&community.id).await?;
    let chosen = evaluate::choose(&journeys, &facts.for_user(&checked));
    if let Some(j) = chosen {
        tracing::info!(journey = %j.id, action = j.draft.decision.action.as_str(), "authentication journey applied");
    }
    match evaluate::verdict(chosen.map(|j| &j.draft.decision)) {
        Verdict::Allow | Verdict::SecondFactor { .. } => open_session(state, platform, community, checked).await,
        Verdict::Deny => Err(ApiError::forbidden("access denied by the community's authentication journey").into()),
        Verdict::Unavailable(methods) => {
            let names: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
            Err(ApiError::forbidden(format!(
                "the community's authentication journey requires {}, which no login offers yet",
                names.join(" or ")
            ))
            .into())
        }
    }
}

/// The second step: spends `step` (once: a reused token, named `field` in the body, is a 401
/// whatever the passcode), checks `passcode` for the user whose password the first step checked,
/// and opens the session.
pub(crate) async fn finish(
    state: &State,
    platform: &Platform,
    community: &CommunityRef,
    (field, step): (&str, &Step),
    passcode: &str,
) -> AppResult<SignedIn> {
    let now = state.clock.epoch_secs();
    if !user_token::spend(&*platform.durable, step, now).await? {
        tracing::info!("login refused: the step token was already used");
        return Err(ApiError::unauthorized(format!("{field} has already been used: sign in again")).into());
    }
    let factors = Factors::given(None, Some(passcode));
    let checked = check(state, community, &step.user.username, factors, Some(&step.user.uid)).await?;
    open_session(state, platform, community, checked).await
}
