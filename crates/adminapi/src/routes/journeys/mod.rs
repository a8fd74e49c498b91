//! The catalog groups Authentication Journey and Authentication Journey V 2: a community's
//! authentication journeys ([`crate::domain::journeys`]) created, fetched, updated and deleted by
//! its administrators, in two views of the same records ([`views`]). The login endpoints apply
//! them ([`crate::routes::authenticate::steps`]). The v1 handlers are here, the v2 ones in [`v2`].

pub mod v2;
pub mod views;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
use kit::directory::CommunityRef;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use self::views::{JourneyRequest, View};
use crate::State;
use crate::domain::config::Owner;
use crate::domain::journeys::Journey;
use crate::routes::users::community_of;
use crate::session::{AdminSession, Administrator};

/// The endpoints of Authentication Journey.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_journeys), endpoint!(create_journey), endpoint!(update_journey), endpoint!(delete_journey)]
}

/// The endpoints of Authentication Journey V 2.
pub fn v2_endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(v2::fetch_journeys_v2),
        endpoint!(v2::create_journey_v2),
        endpoint!(v2::update_journey_v2),
        endpoint!(v2::delete_journey_v2),
    ]
}

/// Body of `POST /authenticationJourney/fetch`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FetchJourneysRequest {
    /// The community (default: the session's).
    tenant_id: Option<String>,
    community_id: Option<String>,
    /// Only these journeys.
    ids: Option<Vec<String>>,
}

/// Body of `DELETE /authenticationJourney/{id}` (both views).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteJourneyRequest {
    /// The community (default: the session's).
    tenant_id: Option<String>,
    community_id: Option<String>,
}

/// The id of a journey in a path.
#[derive(Debug, Deserialize)]
pub struct JourneyPath {
    id: String,
}

/// The community `tenantId` / `communityId` name (the session's when left out), within the
/// session's reach (403 otherwise).
pub(crate) async fn target(
    platform: &Platform,
    admin: &AdminSession<Administrator>,
    tenant: Option<&str>,
    community: Option<&str>,
) -> AppResult<CommunityRef> {
    let s = &admin.session;
    community_of(platform, admin, tenant.unwrap_or(&s.tenant_id), community.unwrap_or(&s.community_id)).await
}

/// A text of a body map, when it is one.
fn text<'a>(body: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    body.get(field).and_then(Value::as_str)
}

/// The journeys of the community that `ids` (when given) and `keep` keep, in `view`.
pub(crate) async fn fetch(
    state: &State,
    community: &CommunityRef,
    ids: Option<Vec<String>>,
    view: View,
    keep: impl Fn(&Journey) -> bool,
) -> AppResult<Vec<Value>> {
    let ids = ids
        .map(|ids| {
            ids.iter()
                .enumerate()
                .map(|(i, id)| kit::ids::object_id(&format!("ids[{i}]"), id))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let journeys = state.journeys.list(&community.id).await?;
    Ok(journeys
        .iter()
        .filter(|j| ids.as_ref().is_none_or(|ids| ids.contains(&j.id)) && keep(j))
        .map(|j| views::render(j, view))
        .collect())
}

/// Creates the journey of `body` in `view`.
pub(crate) async fn create(
    admin: AdminSession<Administrator>,
    body: Body<Value>,
    view: View,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let map = value.as_object().cloned().unwrap_or_default();
    let community = target(platform, &admin, text(&map, "tenantId"), text(&map, "communityId")).await?;
    let parts = views::parse(view, value)?;
    views::check_id(&parts, None)?;
    let draft = views::draft(parts, view)?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let journey = state.journeys.create(owner, &admin.session.uid, draft, state.clock.epoch_secs()).await?;
    tracing::info!(journey = %journey.id, "authentication journey created");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &views::render(&journey, view))?)
}

/// Updates journey `id` with `body` in `view` (see [`views::merged`]).
pub(crate) async fn update(
    admin: AdminSession<Administrator>,
    id: &str,
    body: Body<Map<String, Value>>,
    view: View,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let Body { value: patch, encrypted } = body;
    let community = target(platform, &admin, text(&patch, "tenantId"), text(&patch, "communityId")).await?;
    let stored = state.journeys.get(&community.id, id).await?;
    let parts = views::parse(view, views::merged(&stored, view, patch))?;
    views::check_id(&parts, Some(&stored.id))?;
    let draft = views::draft(parts, view)?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let journey = state.journeys.update(owner, &admin.session.uid, &stored.id, draft, state.clock.epoch_secs()).await?;
    tracing::info!(journey = %journey.id, "authentication journey updated");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &views::render(&journey, view))?)
}

/// Deletes journey `id`.
pub(crate) async fn delete(
    admin: AdminSession<Administrator>,
    id: &str,
    body: DeleteJourneyRequest,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let community = target(platform, &admin, body.tenant_id.as_deref(), body.community_id.as_deref()).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    state.journeys.delete(owner, &admin.session.uid, id, state.clock.epoch_secs()).await?;
    tracing::info!("authentication journey deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// Fetch AuthenticationJourney.
///
/// The community's journeys (default: the session's), oldest first, in the v1 view (`id`,
/// `tenantId`, `communityId`, `journeyName`, `enabled`, `category`, the conditions `groups`,
/// `deviceId`, `application`, `username`, `ip`, `domain`, and `decision`); `ids` keeps only
/// those. A list, even of one. Administrators, in their community.
#[utoipa::path(
    post,
    path = "/authenticationJourney/fetch",
    request_body = Sealable<FetchJourneysRequest>,
    responses(
        (status = 200, description = "The journeys, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body; an id that is not 24 hex digits", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_journeys(
    admin: AdminSession<Administrator>,
    body: Body<FetchJourneysRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = target(&platform, &admin, r.tenant_id.as_deref(), r.community_id.as_deref()).await?;
    let list = fetch(&state, &community, r.ids, View::V1, |_| true).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &list)?)
}

/// Create AuthenticationJourney.
///
/// A journey of the community (`tenantId` / `communityId`, default the session's) in the v1
/// view: `journeyName` (required, unique in the community), `enabled` (default true),
/// `category`, conditions (each `{value, operator}`: `groups` and `deviceId` with `overlap`,
/// `application` with `in` (a list) or `eq` (one text), `username` with `in`, `ip` with
/// `in_range` (IPv4 / IPv6 addresses and CIDR networks, host bits zero), and `domain`, a DNS
/// name), and `decision` (`action` `allow`, `deny` or `mfa_required`; `authenticationMethods`,
/// for `mfa_required` only: `password_and_otp`, `helpdesk_otp`, `behavior_auth_and_user_pin`).
/// A bad field is a 400 naming it. Answers the journey. Administrators, in their community.
#[utoipa::path(
    put,
    path = "/authenticationJourney",
    request_body = Sealable<JourneyRequest>,
    responses(
        (status = 200, description = "The journey, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing, unknown or invalid field (named); 100 journeys already", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 409, description = "The community has a journey of that name", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_journey(
    admin: AdminSession<Administrator>,
    body: Body<Value>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    create(admin, body, View::V1, &state, &platform).await
}

/// Update AuthenticationJourney.
///
/// Changes journey `id` of the community (`tenantId` / `communityId`, default the session's):
/// the fields given replace the stored ones, a `null` removes a condition; the result is checked
/// as a create. Answers the journey in the v1 view. Administrators, in their community.
#[utoipa::path(
    patch,
    path = "/authenticationJourney/{id}",
    params(("id" = String, Path, description = "The journey's `id`")),
    request_body = Sealable<JourneyRequest>,
    responses(
        (status = 200, description = "The journey, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "An invalid field (named); an id that is not 24 hex digits", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such journey in the community", body = ErrorBody),
        (status = 409, description = "The community has a journey of that name", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_journey(
    admin: AdminSession<Administrator>,
    path: web::Path<JourneyPath>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    update(admin, &path.id, body, View::V1, &state, &platform).await
}

/// Delete AuthenticationJourney.
///
/// Deletes journey `id` of the community (`tenantId` / `communityId`, default the session's).
/// 204. Administrators, in their community.
#[utoipa::path(
    delete,
    path = "/authenticationJourney/{id}",
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
pub async fn delete_journey(
    admin: AdminSession<Administrator>,
    path: web::Path<JourneyPath>,
    body: Body<DeleteJourneyRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    delete(admin, &path.id, body.value, &state, &platform).await
}
