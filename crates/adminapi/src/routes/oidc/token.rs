//! `POST …/oidc/token` (the authorization code and refresh token grants, client secret basic,
//! post or none) and `GET …/oidc/userinfo` (the user's claims by an access token). Errors are
//! RFC 6749 5.2's (`{"error": "invalid_grant", "error_description": …}`, 400, or 401 for
//! `invalid_client`), with the platform's `statusCode` and `message` beside them; replies are
//! never cached.

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, web};
use kit::app::Platform;
use kit::{AppError, AppResult};
use serde_json::json;

use super::{CommunityPath, community, issuer};
use crate::State;
use crate::domain::oidc::token::{self as rules, OAuthError, TokenFailure, TokenResponse};

/// A form of OAuth parameters, in their order (a repeated one is refused by the rules).
#[derive(Debug, serde::Deserialize)]
#[serde(transparent)]
pub struct OAuthForm(pub Vec<(String, String)>);

impl utoipa::PartialSchema for OAuthForm {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .description(Some("OAuth 2.0 parameters, application/x-www-form-urlencoded"))
            .additional_properties(Some(
                utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String),
            ))
            .into()
    }
}

impl utoipa::ToSchema for OAuthForm {}

fn oauth_error(e: &OAuthError) -> HttpResponse {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut reply = HttpResponse::build(status);
    reply.insert_header((CACHE_CONTROL, "no-store")).insert_header((PRAGMA, "no-cache"));
    if e.basic {
        reply.insert_header((WWW_AUTHENTICATE, "Basic realm=\"oidc\""));
    }
    reply.json(json!({
        "statusCode": e.status,
        "error": e.error,
        "error_description": e.description,
        "message": format!("{}: {}", e.error, e.description),
    }))
}

fn failed(f: TokenFailure) -> AppResult<HttpResponse> {
    match f {
        TokenFailure::OAuth(e) => {
            tracing::debug!(error = e.error, "token request refused");
            Ok(oauth_error(&e))
        }
        TokenFailure::Domain(d) => Err(AppError::from(d)),
    }
}

/// OpenID Connect token endpoint.
///
/// Form fields (`application/x-www-form-urlencoded`): `grant_type` `authorization_code` with
/// `code`, `redirect_uri` (the authorization request's) and `code_verifier` (when it had a PKCE
/// challenge), or `refresh_token` with `refresh_token` and an optional narrower `scope`. The
/// client authenticates with HTTP Basic or `client_id` + `client_secret` in the form; a public
/// client sends `client_id` only. A code is spent by its first use. The reply: `access_token`,
/// `token_type`, `expires_in`, `id_token`, `refresh_token` (for clients with that grant type,
/// replaced at each use) and `scope`.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/oidc/token",
    params(
        ("tenantId" = String, Path, description = "The tenant's id"),
        ("communityId" = String, Path, description = "The community's id"),
    ),
    responses(
        (status = 200, description = "The tokens", body = TokenResponse),
        (status = 400, description = "RFC 6749 5.2 error (invalid_request, invalid_grant, unsupported_grant_type…)", body = Object),
        (status = 401, description = "invalid_client", body = Object),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn token(
    path: web::Path<CommunityPath>,
    req: HttpRequest,
    form: web::Form<OAuthForm>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = community(&platform, &path).await?;
    let form = form.into_inner().0;
    let authorization = req.headers().get(AUTHORIZATION).and_then(|h| h.to_str().ok());
    let auth = match rules::client_auth(authorization, &form) {
        Ok(a) => a,
        Err(e) => return Ok(oauth_error(&e)),
    };
    let sp = state.stores.service_providers.by_client_id(&auth.client_id).await?;
    let Some(sp) = sp.filter(|s| s.community_id == community.id) else {
        return Ok(oauth_error(&OAuthError {
            status: 401,
            error: "invalid_client",
            description: "client authentication failed".into(),
            basic: authorization.is_some(),
        }));
    };
    if let Err(e) = rules::authenticate(&state.sealer, &sp, &auth) {
        return Ok(oauth_error(&e));
    }
    let issuer = issuer(&state, &req, &community);
    let now = state.clock.epoch_secs();
    let result = match rules::single(&form, "grant_type") {
        Err(e) => return Ok(oauth_error(&e)),
        Ok(Some("authorization_code")) => state.oidc.exchange_code(&sp, &form, &issuer, now).await,
        Ok(Some("refresh_token")) => state.oidc.refresh(&sp, &form, &issuer, now).await,
        Ok(Some(_)) => {
            Err(OAuthError::new("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
                .into())
        }
        Ok(None) => Err(OAuthError::new("invalid_request", "grant_type is required").into()),
    };
    match result {
        Ok(tokens) => {
            tracing::info!(client_id = %auth.client_id, "OIDC tokens issued");
            Ok(HttpResponse::Ok()
                .insert_header((CACHE_CONTROL, "no-store"))
                .insert_header((PRAGMA, "no-cache"))
                .json(tokens))
        }
        Err(f) => failed(f),
    }
}

/// OpenID Connect userinfo endpoint.
///
/// The claims of the user an access token (`authorization: Bearer …`) was issued for, as its
/// scopes release them: `sub`, and `preferred_username`, `name`, `given_name`, `family_name`
/// (`profile`), `email` (`email`). A missing, unknown or expired token, or one of another
/// community or of a deleted client: 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/oidc/userinfo",
    params(
        ("tenantId" = String, Path, description = "The tenant's id"),
        ("communityId" = String, Path, description = "The community's id"),
    ),
    responses(
        (status = 200, description = "The user's claims", body = Object),
        (status = 401, description = "No valid access token", body = Object),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn userinfo(
    path: web::Path<CommunityPath>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = community(&platform, &path).await?;
    let refuse = |description: &str| {
        HttpResponse::Unauthorized()
            .insert_header((WWW_AUTHENTICATE, format!("Bearer error=\"invalid_token\", error_description=\"{description}\"")))
            .json(json!({"statusCode": 401, "error": "invalid_token", "error_description": description, "message": description}))
    };
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    let Some(token) = token else { return Ok(refuse("a Bearer access token is required")) };
    let Some(grant) = state.oidc.access(&token).await? else {
        return Ok(refuse("the access token is unknown or expired"));
    };
    if grant.community_id != community.id {
        return Ok(refuse("the access token is of another community"));
    }
    // A deleted client's tokens stop working.
    if state.stores.service_providers.by_client_id(&grant.client_id).await?.is_none() {
        return Ok(refuse("the access token's client no longer exists"));
    }
    Ok(HttpResponse::Ok().insert_header((CACHE_CONTROL, "no-store")).json(grant.user_claims()))
}
