//! Kerberos sign-in of User Management (`user/verify_user_ktoken`, and the `ktoken` factor of
//! `user/authenticate`): a SPNEGO / Kerberos AP-REQ checked with the keytab of an auth module
//! ([`crate::domain::module_kerberos`], [`crate::domain::kerberos`]), each authenticator accepted
//! once (kept in the durable ephemeral store for twice the clock skew, so replicas refuse each
//! other's replays), the client principal mapped to the module's user of that name, then the
//! same checks, lockout and proof of authentication as `user/authenticate`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use base64::Engine as _;
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::{CommunityRef, Located};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, Endpoint, Licensed, endpoint};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::authenticate::{authenticated, proof_for};
use crate::State;
use crate::domain::authentication::Factors;
use crate::domain::kerberos::{self, Refused};
use crate::domain::module_kerberos;
use crate::domain::modules::Module;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(verify_user_ktoken)]
}

/// The refusal of a ticket whose client is no user: the same as a wrong factor's.
fn refused() -> ApiError {
    ApiError::unauthorized("invalid username or credentials")
}

/// The module and the username of the client of the Kerberos token `ktoken` (base64), checked
/// with the keytabs of `modules` (those without Kerberos enabled are passed over): a malformed
/// token is a 400, a refused ticket (another key or realm, expired, replayed) a 401.
pub(crate) async fn ticket_holder(
    state: &State,
    platform: &Platform,
    modules: Vec<Module>,
    ktoken: &str,
) -> AppResult<(Module, String)> {
    let token = ktoken.trim();
    let token = token.strip_prefix("Negotiate ").unwrap_or(token).trim();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| ApiError::bad_request("ktoken must be a SPNEGO or Kerberos token in base64"))?;
    let mut holders = Vec::new();
    for module in modules {
        if let Some(keytab) = module_kerberos::keytab(&state.sealer, &module)? {
            holders.push((module, keytab));
        }
    }
    if holders.is_empty() {
        return Err(ApiError::bad_request("no enabled auth module of the community has kerberos_config enabled").into());
    }
    let keytabs: Vec<_> = holders.iter().map(|(_, k)| k).collect();
    let now = envelope::wire::now_epoch();
    let (index, client) = kerberos::accept(&bytes, &keytabs, now, state.kerberos_skew).map_err(|e| match e {
        Refused::Malformed(m) => ApiError::bad_request(m),
        refusal => {
            tracing::info!(reason = %refusal, "kerberos ticket refused");
            ApiError::unauthorized(format!("kerberos ticket refused: {refusal}"))
        }
    })?;
    let ttl = std::time::Duration::from_secs(u64::try_from(state.kerberos_skew).unwrap_or(0) * 2 + 1);
    let key = format!("krb5-authenticator:{}", client.replay_key);
    if !platform.durable.put_if_absent(&key, "1", ttl).await? {
        tracing::info!("kerberos authenticator replayed");
        return Err(ApiError::unauthorized("kerberos ticket refused: the authenticator was already used").into());
    }
    let (module, _) = holders.swap_remove(index);
    let [name] = client.name.as_slice() else {
        tracing::info!("kerberos client is not a user principal");
        return Err(refused().into());
    };
    tracing::info!(module = %module.id, "kerberos ticket accepted");
    Ok((module, name.clone()))
}

/// The enabled modules of `community` whose Kerberos is enabled.
async fn kerberos_modules(state: &State, community: &CommunityRef) -> AppResult<Vec<Module>> {
    let all = state.stores.modules.list(&community.id).await?;
    Ok(all.into_iter().filter(|m| m.enabled && module_kerberos::enabled(m)).collect())
}

/// Body of `user/verify_user_ktoken`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifyKtokenRequest {
    /// A SPNEGO (or bare Kerberos GSS-API) token, base64, for the service principal of an auth
    /// module's keytab.
    ktoken: String,
    /// Only these fields of the user (with `username`, `uid` and `moduleId`) when given.
    attributes: Option<Vec<String>>,
    /// The proof is encrypted for this key (ECDH with the service key) when given.
    referrer_public_key: Option<String>,
}

impl std::fmt::Debug for VerifyKtokenRequest {
    /// Without the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyKtokenRequest").finish_non_exhaustive()
    }
}

/// Verify user ktoken.
///
/// `ktoken`, a SPNEGO / Kerberos AP-REQ (base64) for the service principal of the keytab of one
/// of the community's enabled auth modules (`kerberos_config`): the ticket is decrypted with the
/// keytab, its authenticator with the ticket's session key; it must be valid now, the client's
/// clock within `KERBEROS_CLOCK_SKEW_SECONDS` (300) of ours, the client of the service's realm,
/// the authenticator never seen before. The client principal (`name@REALM`) is the module's user
/// `name`. On success the user (only the `attributes` asked for, when given) and `proof_of_authentication_jwt` (methods `ktoken`) as
/// `user/authenticate` answers, encrypted for `referrerPublicKey` when given. A refused ticket is
/// a 401 saying why; an unknown, locked or disabled user a 401 as `user/authenticate`'s. Any
/// valid key.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user/verify_user_ktoken",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<VerifyKtokenRequest>,
    responses(
        (status = 200, description = "The user with `proof_of_authentication_jwt`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, a token that is not SPNEGO / Kerberos, no module with Kerberos enabled", body = ErrorBody),
        (status = 401, description = "A refused ticket (another key or realm, expired, clock skew, replayed); an unknown, locked or disabled user", body = ErrorBody),
        (status = 503, description = "The module's directory cannot be reached", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn verify_user_ktoken(
    auth: Licensed<AnyLevel>,
    community: Located,
    body: Body<VerifyKtokenRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let Located(community) = community;
    let modules = kerberos_modules(&state, &community).await?;
    let (module, name) = ticket_holder(&state, &platform, modules, &r.ktoken).await?;
    let factors = Factors { ktoken: Some(true), ..Factors::default() };
    let who = authenticated(&state, &community, std::slice::from_ref(&module.id), &name, factors, None).await?;
    let token = proof_for(&platform, &state, &auth.caller, &community, &who, r.referrer_public_key.as_deref())?;
    let mut reply = who.user.to_reply(r.attributes.as_deref());
    reply["proof_of_authentication_jwt"] = Value::String(token);
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// The module and username of a `user/authenticate` with a `ktoken`: the ticket checked with
/// the keytabs of the modules named (`module_ids`), the client the user named when `username`
/// is given (else the same 401 as a wrong factor).
pub(crate) async fn authenticate_holder(
    state: &State,
    platform: &Platform,
    community: &CommunityRef,
    module_ids: &[String],
    username: Option<&str>,
    ktoken: &str,
) -> AppResult<(Module, String)> {
    let mut modules = Vec::new();
    for id in module_ids {
        modules.push(super::authenticate::user_module(state, &community.id, id).await?);
    }
    let (module, name) = ticket_holder(state, platform, modules, ktoken).await?;
    if let Some(given) = username
        && !given.trim().eq_ignore_ascii_case(&name)
    {
        tracing::info!("ktoken refused: its client is not the username given");
        return Err(refused().into());
    }
    Ok((module, name))
}
