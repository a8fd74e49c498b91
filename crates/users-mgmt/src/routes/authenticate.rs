//! Authentication of User Management (`user/authenticate`, `user/validate_user_password`) and
//! the JWT group (`jwt/verifyToken`): factors checked by [`crate::domain::authentication`], a
//! proof of authentication signed with the service key ([`crate::domain::proof`]) on success.
//!
//! An `otp` is checked by adminapi ([`crate::domain::otp`]); while adminapi does not serve OTPs
//! it is refused with a 400, never a success. A `ktoken` (Kerberos) is checked with the modules'
//! keytabs ([`super::ktoken`]); with `scep: true` the reply carries SCEP credentials
//! ([`super::scep`]).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body, Caller};
use kit::app::Platform;
use kit::directory::CommunityRef;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, DomainError, Endpoint, Licensed, endpoint};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::authentication::{self, Authenticated, Checker, Factors};
use crate::domain::directory::{Verdict, people};
use crate::domain::modules::{self, Module};
use crate::domain::otp::OtpError;
use crate::domain::proof::{self, Claims};
use crate::domain::users;
use kit::directory::Located;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(authenticate_user), endpoint!(validate_user_password), endpoint!(verify_token)]
}

/// The module of a request: in the community, enabled, and one whose users live here.
pub(crate) async fn local_module(state: &State, community_id: &str, module_id: &str) -> Result<Module, DomainError> {
    modules::find_local(&*state.stores.modules, community_id, module_id).await
}

/// The module of a request that reads users: in the community, enabled, a `db` module or a
/// directory reached over LDAP (`ldap`, `ad`); an `azuread` module is 400 (not reached yet).
pub(crate) async fn user_module(state: &State, community_id: &str, module_id: &str) -> Result<Module, DomainError> {
    let module = modules::find_enabled(&*state.stores.modules, community_id, module_id).await?;
    if module.module_type.is_directory() && !module.module_type.is_ldap() {
        return modules::find_local(&*state.stores.modules, community_id, module_id).await;
    }
    Ok(module)
}

/// Where the local record of a directory user of `module` goes.
pub(crate) fn home<'a>(community: &'a CommunityRef, module: &'a Module) -> users::Home<'a> {
    users::Home {
        tenant_id: &community.tenant_id,
        tenant_dns: &community.tenant_dns,
        community_id: &community.id,
        module_id: &module.id,
    }
}

/// A directory user of `module` named `name`, with the directory's verdict on `password` when
/// one is given (a user bind); `None` when the directory does not know the name. The user's
/// local record is made or brought up to date.
async fn directory_user(
    state: &State,
    community: &CommunityRef,
    module: &Module,
    name: &str,
    password: Option<&str>,
) -> AppResult<Option<(users::User, Option<bool>)>> {
    let directory = state.directory();
    let (person, verdict) = match password {
        Some(password) => match directory.authenticate(module, name, password).await? {
            Verdict::Unknown => return Ok(None),
            Verdict::Known { person, password_ok } => (*person, Some(password_ok)),
        },
        None => match directory.find(module, name).await? {
            None => return Ok(None),
            Some(person) => (person, None),
        },
    };
    let mut user = people::record(&*state.stores.users, home(community, module), &person).await?;
    user.disabled |= person.disabled;
    Ok(Some((user, verdict)))
}

/// The checker of the service's stores.
pub(crate) fn checker(state: &State) -> Checker<'_> {
    Checker {
        users: &*state.stores.users,
        pins: &*state.stores.pins,
        hasher: &state.hasher,
        lockout: &state.lockout,
        decoy: &state.decoy_hash,
    }
}

/// Asks the OTP verifier whether `code` is the passcode of `username`: an OTP that cannot be
/// checked is a 400 (not served, not configured) or a 503 (adminapi unreachable), never a pass.
pub(crate) async fn otp_verdict(
    state: &State,
    community: &CommunityRef,
    username: &str,
    code: &str,
) -> AppResult<bool> {
    state.otp.verify(community, username, code).await.map_err(|e| match e {
        OtpError::Unavailable(why) => {
            tracing::warn!(reason = %why, "the otp verifier is unavailable");
            ApiError::unavailable("otp verification is unavailable, try again").into()
        }
        refused => ApiError::bad_request(refused.to_string()).into(),
    })
}

/// Checks `factors` for `username` in the first of `module_ids` (each enabled, local) that
/// holds the user, with `otp` (a one-time passcode) checked by the verifier for the user found
/// (or the name given, for an unknown user); a refusal is a 401 with the refusal's message.
pub(crate) async fn authenticated(
    state: &State,
    community: &CommunityRef,
    module_ids: &[String],
    username: &str,
    mut factors: Factors<'_>,
    otp: Option<&str>,
) -> AppResult<Authenticated> {
    let community_id = community.id.as_str();
    let name = users::username(username)?;
    let mut user = None;
    let mut in_directory = false;
    for id in module_ids {
        let module = user_module(state, community_id, id).await?;
        if module.module_type.is_ldap() {
            in_directory = true;
            if let Some((found, verdict)) = directory_user(state, community, &module, &name, factors.password).await? {
                factors.password_checked = verdict;
                user = Some(found);
                break;
            }
        } else if let Some(found) = state.stores.users.by_username(community_id, &module.id, &name).await? {
            user = Some(found);
            break;
        }
    }
    if user.is_none() && in_directory {
        // Refused without the decoy hash: the directory's search already took its time.
        factors.password_checked = Some(false);
    }
    if let Some(code) = otp {
        let holder = user.as_ref().map_or(name.as_str(), |u| u.username.as_str());
        factors.otp = Some(otp_verdict(state, community, holder, code).await?);
    }
    let now = envelope::wire::now_epoch();
    match authentication::check(checker(state), user, factors, now).await? {
        Ok(done) => Ok(done),
        Err(refusal) => {
            tracing::info!(refusal = ?refusal, "authentication refused");
            Err(ApiError::unauthorized(refusal.message()).into())
        }
    }
}

/// A proof of authentication of `who` for the caller's application, sealed for `referrer` when
/// one is given (ECDH of the service key with it).
pub(crate) fn proof_for(
    platform: &Platform,
    state: &State,
    caller: &Caller,
    community: &CommunityRef,
    who: &Authenticated,
    referrer: Option<&str>,
) -> AppResult<String> {
    let now = envelope::wire::now_epoch();
    let claims = Claims {
        iss: proof::ISSUER.into(),
        sub: who.user.uid.clone(),
        aud: caller.request_id().appid.clone(),
        tenant: community.tenant_id.clone(),
        community: community.id.clone(),
        methods: who.methods.iter().map(|m| (*m).to_owned()).collect(),
        iat: now,
        exp: now.saturating_add(i64::try_from(state.proof_ttl.as_secs()).unwrap_or(i64::MAX)),
        jti: uuid::Uuid::new_v4().to_string(),
    };
    let token = proof::issue(&platform.keys, &claims)?;
    match referrer.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(token),
        Some(referrer) => {
            let shared = platform
                .keys
                .shared_key_with(referrer)
                .map_err(|_| ApiError::bad_request("referrerPublicKey must be a public key of the service's curve"))?;
            Ok(shared.encrypt(&token).map_err(|_| ApiError::internal())?)
        }
    }
}

/// Body of `user/authenticate`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthenticateRequest {
    auth_module: Option<String>,
    auth_modules: Option<Vec<String>>,
    username: Option<String>,
    password: Option<String>,
    ktoken: Option<String>,
    otp: Option<String>,
    pin: Option<String>,
    /// The proof is encrypted for this key (ECDH with the service key) when given.
    referrer_public_key: Option<String>,
    scep: Option<bool>,
    service_name: Option<String>,
}

impl std::fmt::Debug for AuthenticateRequest {
    /// Without the factors.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticateRequest").field("auth_module", &self.auth_module).finish_non_exhaustive()
    }
}

fn given(v: Option<&String>) -> Option<&str> {
    v.map(String::as_str).filter(|s| !s.is_empty())
}

/// Authenticate a user.
///
/// With at least one factor: `password` (argon2id; for an `ldap` or `ad` module, a bind as the
/// user the module's search finds) and / or `pin` (SHA-512). On success the
/// user and `proof_of_authentication_jwt`, a JWT signed with the service key (ES256K or
/// ES256) whose `methods` name the factors checked; with `referrerPublicKey`, the JWT is
/// encrypted for that key. An unknown user and a wrong factor get the same 401; a locked or
/// disabled user is refused (401) even with the right factors. An `otp` is checked by
/// adminapi (400 while adminapi does not serve OTPs, 503 when it cannot be reached); a `ktoken`
/// (SPNEGO / Kerberos, base64) is checked with the keytab of the modules named, as
/// `user/verify_user_ktoken` does, its client being the user (`username` may be left out; when
/// given it must be the client's name). With `scep: true`, the reply also carries
/// `scepCredentials`, enrolled at the module's SCEP server as `user/scepcredentials` does (400
/// when the module has no SCEP). A directory that cannot be reached is a 503 (its hosts marked
/// down), never a success. Any valid key.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user/authenticate",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<AuthenticateRequest>,
    responses(
        (status = 200, description = "The user with `proof_of_authentication_jwt`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "No factor, a malformed ktoken, a bad body, a module that is missing, disabled or azuread", body = ErrorBody),
        (status = 401, description = "Invalid username or credentials; a locked or disabled user", body = ErrorBody),
        (status = 503, description = "The module's directory cannot be reached", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(methods = tracing::field::Empty))]
pub async fn authenticate_user(
    auth: Licensed<AnyLevel>,
    community: Located,
    body: Body<AuthenticateRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let Located(community) = community;
    let _ = &r.service_name;
    let mut factors =
        Factors { password: given(r.password.as_ref()), pin: given(r.pin.as_ref()), ..Factors::default() };
    let otp = given(r.otp.as_ref());
    let ktoken = given(r.ktoken.as_ref());
    if factors.password.is_none() && factors.pin.is_none() && otp.is_none() && ktoken.is_none() {
        return Err(ApiError::bad_request("at least one factor is required: password, pin, otp or ktoken").into());
    }
    let mut modules: Vec<String> = r.auth_module.iter().chain(r.auth_modules.iter().flatten()).cloned().collect();
    if modules.is_empty() {
        return Err(ApiError::bad_request("authModule is required").into());
    }
    let mut username = r.username.clone();
    if let Some(ktoken) = ktoken {
        let (module, name) =
            super::ktoken::authenticate_holder(&state, &platform, &community, &modules, username.as_deref(), ktoken)
                .await?;
        modules = vec![module.id];
        username = Some(name);
        factors.ktoken = Some(true);
    }
    let username = username.as_deref().ok_or_else(|| ApiError::bad_request("username is required"))?;
    let who = authenticated(&state, &community, &modules, username, factors, otp).await?;
    tracing::Span::current().record("methods", who.methods.join(",").as_str());
    let token = proof_for(&platform, &state, &auth.caller, &community, &who, r.referrer_public_key.as_deref())?;
    let mut reply = who.user.to_reply(None);
    reply["proof_of_authentication_jwt"] = Value::String(token);
    if r.scep == Some(true) {
        let module = user_module(&state, &community.id, &who.user.module_id).await?;
        reply["scepCredentials"] = super::scep::credentials_of(&state, &module, &who.user.username).await?;
    }
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `user/validate_user_password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValidatePasswordRequest {
    auth_module: String,
    username: String,
    /// A directory user's DN: the user is found by `username`, so it has no effect.
    dn: Option<String>,
    password: String,
    referrer_public_key: Option<String>,
}

impl std::fmt::Debug for ValidatePasswordRequest {
    /// Without the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidatePasswordRequest").field("auth_module", &self.auth_module).finish_non_exhaustive()
    }
}

/// Validate a user's password.
///
/// The password of the module's user checked as `user/authenticate` does (same refusals,
/// same lockout); on success `username`, `moduleId` and `proof_of_authentication_jwt`. Any
/// valid key.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user/validate_user_password",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<ValidatePasswordRequest>,
    responses(
        (status = 200, description = "`username`, `moduleId`, `proof_of_authentication_jwt`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, a module that is missing, disabled or azuread", body = ErrorBody),
        (status = 503, description = "The module's directory cannot be reached", body = ErrorBody),
        (status = 401, description = "Invalid username or credentials; a locked or disabled user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn validate_user_password(
    auth: Licensed<AnyLevel>,
    community: Located,
    body: Body<ValidatePasswordRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let Located(community) = community;
    let _ = &r.dn;
    if r.password.is_empty() {
        return Err(ApiError::bad_request("password is required").into());
    }
    let factors = Factors { password: Some(&r.password), ..Factors::default() };
    let modules = std::slice::from_ref(&r.auth_module);
    let who = authenticated(&state, &community, modules, &r.username, factors, None).await?;
    let token = proof_for(&platform, &state, &auth.caller, &community, &who, r.referrer_public_key.as_deref())?;
    let reply =
        json!({"username": who.user.username, "moduleId": who.user.module_id, "proof_of_authentication_jwt": token});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `jwt/verifyToken`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyTokenRequest {
    /// A proof of authentication.
    token: String,
    /// When given, the token's `aud` must be this.
    audience: Option<String>,
}

/// Verify a JWT.
///
/// A proof of authentication made by this service: its signature with the service key, its
/// expiry and, when `audience` is given, its audience. The decoded claims with
/// `isAuthenticated: true`; 401 saying why otherwise. No license.
#[utoipa::path(
    post,
    path = "/jwt/verifyToken",
    request_body = VerifyTokenRequest,
    responses(
        (status = 200, description = "The decoded claims and `isAuthenticated: true`", body = Object),
        (status = 401, description = "A token that is malformed, not signed by the service, expired or for another audience", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn verify_token(
    body: web::Json<VerifyTokenRequest>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let r = body.into_inner();
    let now = envelope::wire::now_epoch();
    let claims = proof::verify(platform.keys.public(), &r.token, r.audience.as_deref(), now).map_err(|e| {
        tracing::info!(reason = %e, "token refused");
        ApiError::unauthorized(e.to_string())
    })?;
    let mut reply = serde_json::to_value(&claims).map_err(|_| ApiError::internal())?;
    reply["isAuthenticated"] = Value::Bool(true);
    Ok(HttpResponse::Ok().json(reply))
}
