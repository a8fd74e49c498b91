//! `GET …/oidc/authorize`: checks an authorization request of one of the community's clients
//! ([`crate::domain::oidc::authorize`]) and sends the user agent to the login page
//! (`OIDC_LOGIN_URL`) with the pending request's `OIDCRequest`; the login page completes it
//! with `POST /oidc/sso`. Without a login page configured the reply is the pending request as
//! JSON. A request naming an unknown client or an unregistered redirect URI is refused here
//! (400, never redirected); other errors go back to the client's redirect URI.

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use envelope::ApiError;
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::ErrorBody;
use serde_json::json;

use super::{CommunityPath, community};
use crate::State;
use crate::domain::oidc::authorize::{self, Refusal};

/// OpenID Connect authorization endpoint.
///
/// The authorization code flow (`response_type=code`) of a client of the community:
/// `client_id`, `redirect_uri` (exactly as registered), `scope` (with `openid`), `state`,
/// `nonce`, `code_challenge` with `code_challenge_method=S256` (required of public clients),
/// `acr_values`. 302 to `OIDC_LOGIN_URL` with `OIDCRequest`, `tenantId` and `communityId`
/// added (200 with them as JSON when no login page is configured); errors after the redirect
/// URI is known: 302 back to it with `error`, `error_description` and `state`.
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/oidc/authorize",
    params(
        ("tenantId" = String, Path, description = "The tenant's id"),
        ("communityId" = String, Path, description = "The community's id"),
        ("client_id" = String, Query, description = "The client's id"),
        ("redirect_uri" = String, Query, description = "A registered redirect URI"),
        ("response_type" = String, Query, description = "code"),
        ("scope" = String, Query, description = "Space-separated, with openid"),
        ("state" = Option<String>, Query, description = "Returned to the client"),
        ("nonce" = Option<String>, Query, description = "Put in the ID token"),
        ("code_challenge" = Option<String>, Query, description = "PKCE S256 challenge"),
        ("code_challenge_method" = Option<String>, Query, description = "S256"),
    ),
    responses(
        (status = 302, description = "To the login page, or back to the client with an error"),
        (status = 200, description = "The pending request (no login page configured)", body = Object),
        (status = 400, description = "An unknown client, a redirect_uri not registered", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn authorize(
    path: web::Path<CommunityPath>,
    query: web::Query<Vec<(String, String)>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = community(&platform, &path).await?;
    let params = query.into_inner();
    let refused = |r: Refusal| -> AppResult<HttpResponse> {
        match r {
            Refusal::Unredirectable(u) => Err(ApiError::bad_request(u.0).into()),
            Refusal::Redirected(r) => {
                tracing::debug!(error = r.error, "authorization request refused back to the client");
                Ok(HttpResponse::Found().insert_header((LOCATION, r.location())).finish())
            }
        }
    };
    let client_id = match authorize::client_id(&params) {
        Ok(c) => c,
        Err(r) => return refused(r),
    };
    let sp = state.stores.service_providers.by_client_id(&client_id).await?;
    let Some(sp) = sp.filter(|s| s.community_id == community.id) else {
        return Err(ApiError::bad_request("client_id is not an OpenID Connect client of this community").into());
    };
    let request = match authorize::check(&params, &sp, state.clock.epoch_secs()) {
        Ok(r) => r,
        Err(r) => return refused(r),
    };
    let id = state.oidc.begin(&request).await?;
    let params = [("OIDCRequest", id.as_str()), ("tenantId", &community.tenant_id), ("communityId", &community.id)];
    Ok(match &state.oidc_login_url {
        Some(login) => HttpResponse::Found()
            .insert_header((LOCATION, authorize::with_query(login, &params)))
            .insert_header(("cache-control", "no-store"))
            .finish(),
        None => HttpResponse::Ok()
            .insert_header(("cache-control", "no-store"))
            .json(json!({"OIDCRequest": id.as_str(), "tenantId": community.tenant_id, "communityId": community.id})),
    })
}
