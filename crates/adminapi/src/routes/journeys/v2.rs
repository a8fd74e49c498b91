//! The handlers of Authentication Journey V 2: the v2 view ([`View::V2`]) of the same records,
//! with its fetch filters (`category`, `requestingAppId`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::views::{JourneyV2Request, View};
use super::{DeleteJourneyRequest, JourneyPath, create, delete, fetch, target, update};
use crate::State;
use crate::domain::journeys::{AppMatch, Journey};
use crate::session::{AdminSession, Administrator};

/// Body of `POST /v2/authenticationJourney/fetch`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FetchJourneysV2Request {
    /// The community (default: the session's).
    tenant_id: Option<String>,
    community_id: Option<String>,
    /// Only these journeys.
    ids: Option<Vec<String>>,
    /// Only the journeys whose `requestingAppId` condition names this app.
    requesting_app_id: Option<String>,
    /// Only the journeys of this category.
    category: Option<String>,
}

/// Fetch AuthenticationJourney (v2).
///
/// The community's journeys (default: the session's), oldest first, in the v2 view (`name`,
/// `usernames`, `requestingAppId` for v1's `journeyName`, `username`, `application`); `ids`,
/// `category` and `requestingAppId` (journeys whose `requestingAppId` condition names the app,
/// without case) keep only those. Administrators, in their community.
#[utoipa::path(
    post,
    path = "/v2/authenticationJourney/fetch",
    request_body = Sealable<FetchJourneysV2Request>,
    responses(
        (status = 200, description = "The journeys, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body; an id that is not 24 hex digits", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_journeys_v2(
    admin: AdminSession<Administrator>,
    body: Body<FetchJourneysV2Request>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = target(&platform, &admin, r.tenant_id.as_deref(), r.community_id.as_deref()).await?;
    let (app, category) = (r.requesting_app_id.as_deref().map(str::trim), r.category.as_deref().map(str::trim));
    let keep = |j: &Journey| {
        let names_app = |app: &str| match &j.draft.conditions.app {
            Some(AppMatch::Eq(one)) => one.eq_ignore_ascii_case(app),
            Some(AppMatch::In(list)) => list.iter().any(|a| a.eq_ignore_ascii_case(app)),
            None => false,
        };
        app.is_none_or(names_app) && category.is_none_or(|c| j.draft.category.as_deref() == Some(c))
    };
    let list = fetch(&state, &community, r.ids, View::V2, keep).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &list)?)
}

/// Create V2 Authentication Journey.
///
/// A journey in the v2 view: `name` (required, unique in the community), `enabled`, `category`,
/// `groups`, `deviceId`, `requestingAppId` (`eq` one text, or `in` a list), `usernames` (`in`),
/// `ip` (`in_range`), `domain` and `decision`, checked as `PUT /authenticationJourney` checks
/// them. Answers the journey. Administrators, in their community.
#[utoipa::path(
    put,
    path = "/v2/authenticationJourney",
    request_body = Sealable<JourneyV2Request>,
    responses(
        (status = 200, description = "The journey, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing, unknown or invalid field (named); 100 journeys already", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 409, description = "The community has a journey of that name", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_journey_v2(
    admin: AdminSession<Administrator>,
    body: Body<Value>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    create(admin, body, View::V2, &state, &platform).await
}

/// Update V2 Authentication Journey.
///
/// Changes journey `id` in the v2 view: the fields given replace the stored ones, a `null`
/// removes a condition; the result is checked as a create. Administrators, in their community.
#[utoipa::path(
    patch,
    path = "/v2/authenticationJourney/{id}",
    params(("id" = String, Path, description = "The journey's `id`")),
    request_body = Sealable<JourneyV2Request>,
    responses(
        (status = 200, description = "The journey, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "An invalid field (named); an id that is not 24 hex digits", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such journey in the community", body = ErrorBody),
        (status = 409, description = "The community has a journey of that name", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_journey_v2(
    admin: AdminSession<Administrator>,
    path: web::Path<JourneyPath>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    update(admin, &path.id, body, View::V2, &state, &platform).await
}

/// Delete AuthenticationJourney (v2).
///
/// Deletes journey `id` of the community (`tenantId` / `communityId`, default the session's).
/// 204. Administrators, in their community.
#[utoipa::path(
    delete,
    path = "/v2/authenticationJourney/{id}",
    params(("id" = String, Path, description = "The journey's `id`")),
    request_body = Sealable<DeleteJourneyRequest>,
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "An id that is not 24 hex digits", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such journey in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_journey_v2(
    admin: AdminSession<Administrator>,
    path: web::Path<JourneyPath>,
    body: Body<DeleteJourneyRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    delete(admin, &path.id, body.value, &state, &platform).await
}
