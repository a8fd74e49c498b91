//! Access codes (catalog group Users): `POST /users/accesscodes/fetch` lists a community's codes
//! (administrators any user's, other users their own) and `DELETE /users/accesscode/{code}`
//! deletes one (administrators). Lists show each code's metadata and short `id`, never the code.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::{Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::community_of;
use crate::State;
use crate::domain::access_codes;
use crate::domain::roles::permission;
use crate::session::{AdminSession, Administrator, LoggedIn};

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    // The path may hold the code itself: the request log records `{code}`.
    vec![endpoint!(fetch_access_codes), endpoint!(delete_access_code).secret_path_params(&["code"])]
}

/// The most uids one fetch names.
const MAX_UIDS: usize = 100;

/// The community of `POST /users/accesscodes/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct AccessCodesCommunity {
    id: String,
    /// When given, it must be the community's name.
    name: Option<String>,
    /// Not used.
    publicKey: Option<String>,
}

/// Body of `POST /users/accesscodes/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessCodesFetchRequest {
    /// The caller as the console sends it (`uid`, `username`, `authModuleId`): not used, the
    /// login session is the caller.
    #[schema(value_type = Object)]
    user: Value,
    community: AccessCodesCommunity,
    /// Only the codes of these users.
    uids: Option<Vec<String>>,
}

/// Fetch list of Accesscodes.
///
/// The access codes of the community `community.id`, newest first, of the users `uids` only when
/// given: each with its short `id`, `type`, `status` (`active`, `redeemed`, `revoked`, `expired`),
/// `createdBy`, `createdTime`, `expiresAt` and `accesscodepayload` (the user and where it was
/// sent), never the code. Administrators get any user's codes of their community; other users
/// only their own (without `uids`, their own; `uids` naming another user: 403).
#[utoipa::path(
    post,
    path = "/users/accesscodes/fetch",
    request_body = Sealable<AccessCodesFetchRequest>,
    responses(
        (status = 200, description = "`data`: the codes, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body", body = ErrorBody),
        (status = 403, description = "Another community, or another user's codes without being an administrator", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_access_codes(
    admin: AdminSession<LoggedIn>,
    body: Body<AccessCodesFetchRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let _ = (&r.user, &r.community.publicKey);
    let named = Named { community_id: &r.community.id, tenant_id: None, community_name: r.community.name.as_deref() };
    let community = locate(&**platform.directory, named).await?;
    admin.require_community(&community.tenant_id, &community.id)?;
    let own = vec![admin.session.uid.clone()];
    let uids = match r.uids {
        Some(uids) if uids.len() > MAX_UIDS => {
            return Err(ApiError::bad_request(format!("uids must name at most {MAX_UIDS} users")).into());
        }
        Some(uids) => {
            let uids: Vec<String> = uids.iter().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect();
            if uids.iter().any(|u| *u != admin.session.uid) {
                admin.require(permission::ADMIN)?;
            }
            Some(uids)
        }
        None if admin.role.grants(permission::ADMIN) => None,
        None => Some(own),
    };
    let codes = state.access_codes.list(&community.id, uids.as_deref()).await?;
    let now = state.clock.epoch_secs();
    let data: Vec<Value> = codes.iter().map(|c| access_codes::view(c, &community, now)).collect();
    tracing::info!(count = data.len(), "access codes listed");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &json!({ "data": data }))?)
}

/// Delete an access code.
///
/// Deletes the access code `code`: its `id` as lists show it (or the code itself). A code of a
/// community beyond the session's reach is unknown (404). An administrator.
#[utoipa::path(
    delete,
    path = "/users/accesscode/{code}",
    params(("code" = String, Path, description = "The access code's id (24 hex digits), or the code")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an administrator", body = ErrorBody),
        (status = 404, description = "No such access code", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_access_code(
    admin: AdminSession<Administrator>,
    code: web::Path<String>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let unknown = || ApiError::not_found("no such access code");
    let record = state.access_codes.find_by_id_or_code(&code).await?.ok_or_else(unknown)?;
    community_of(&platform, &admin, &record.tenant_id, &record.community_id).await.map_err(|_| unknown())?;
    state.access_codes.delete(&record, &admin.session.uid, state.clock.epoch_secs()).await?;
    tracing::info!(id = %record.id, "access code deleted");
    Ok(HttpResponse::NoContent().finish())
}
