//! Which user holds which token: list, assign (a list, a CSV file or text), unassign. Users are
//! looked up at users-mgmt in the community's db module.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::CommunityRef;
use kit::openapi::{ErrorBody, Sealable, SealedBody};
use kit::{AppResult, DomainError};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::CsvForm;
use super::tokens::{CsvTextRequest, page};
use crate::State;
use crate::domain::hardware_tokens::{Outcome, assignments};
use crate::routes::users::{home_of, uid_of};
use crate::session::{AdminSession, Administrator};

/// The most items in one list.
const MAX_ITEMS: usize = 1000;

/// One user-token mapping.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mapping {
    username: String,
    serial_number: String,
}

/// Body of `PUT` and `DELETE /hardwaretokens/usertokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingsRequest {
    list: Vec<Mapping>,
}

/// Assigns each `(row, serialNumber, username)`, looking the users up at users-mgmt.
async fn assign_all(
    state: &State,
    admin: &AdminSession<Administrator>,
    community: &CommunityRef,
    rows: Vec<(usize, String, String)>,
    mut outcome: Outcome,
) -> AppResult<Outcome> {
    let module = state.users_mgmt.login_module(community).await?;
    let now = state.clock.epoch_secs();
    for (row, serial, username) in rows {
        let uid = match &module {
            Some(module) => match uid_of(state, community, module, username.trim()).await {
                Ok(uid) => Some(uid),
                Err(kit::AppError::Api(e)) if e.status() == StatusCode::NOT_FOUND => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let result = match uid {
            Some(uid) => {
                state.hardware_tokens.assign(&community.id, &admin.session.uid, &serial, (&username, &uid), now).await
            }
            None => Err(DomainError::NotFound("user not found".into())),
        };
        let result = result.map_err(|e| match e {
            DomainError::Store(s) => DomainError::Store(s),
            e => DomainError::Invalid(format!("row {row}: {e}")),
        });
        outcome.count(row, result)?;
    }
    tracing::info!(applied = outcome.applied, errors = outcome.errors.len(), "hardware tokens assigned");
    Ok(outcome)
}

fn listed(list: Vec<Mapping>) -> Result<Vec<(usize, String, String)>, ApiError> {
    if list.is_empty() || list.len() > MAX_ITEMS {
        return Err(ApiError::bad_request(format!("list must hold 1 to {MAX_ITEMS} mappings")));
    }
    Ok(list.into_iter().enumerate().map(|(i, m)| (i + 1, m.serial_number, m.username)).collect())
}

/// Body of `POST /hardwaretokens/usertokens/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct FetchAssignmentsRequest {
    pSize: Option<u64>,
    pIndex: Option<u64>,
    /// `{"username": ..., "serialNumber": ...}`, each optional and exact.
    query: Option<Value>,
}

/// Fetch all the Users or Tokens assigned.
///
/// A page of the community's assignments `{username, serialNumber, type}`, filtered by
/// `query.username` and `query.serialNumber`. Sealed when the request was. Administrators.
#[utoipa::path(
    post,
    path = "/hardwaretokens/usertokens/fetch",
    request_body = Sealable<FetchAssignmentsRequest>,
    responses(
        (status = 200, description = "`data`, `total`, `pIndex`, `pSize`", body = Sealable<Object>),
        (status = 400, description = "A bad page", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_assignments(
    admin: AdminSession<Administrator>,
    body: Body<FetchAssignmentsRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let (index, size) = page(r.pIndex, r.pSize)?;
    let filter = |key: &str| r.query.as_ref().and_then(|q| q.get(key)).and_then(Value::as_str).map(str::to_owned);
    let (user, serial) = (filter("username").map(|u| u.trim().to_lowercase()), filter("serialNumber"));
    let tokens = state.hardware_tokens.list(&community.id).await?;
    let matching: Vec<Value> = tokens
        .iter()
        .filter_map(|t| t.username.as_ref().map(|u| (t, u)))
        .filter(|(t, u)| user.as_ref().is_none_or(|w| w == *u) && serial.as_ref().is_none_or(|s| *s == t.serial_number))
        .map(|(t, u)| json!({"username": u, "serialNumber": t.serial_number, "type": t.token_type}))
        .collect();
    let skip = usize::try_from(index.saturating_mul(size)).unwrap_or(usize::MAX);
    let data: Vec<&Value> = matching.iter().skip(skip).take(usize::try_from(size).unwrap_or(usize::MAX)).collect();
    let reply = json!({"data": data, "total": matching.len(), "pIndex": index, "pSize": size});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Assign users to tokens.
///
/// Each `{username, serialNumber}` of `list` (1 to 1000): the user must exist in the community's
/// db module and the token must not be another user's. Answers `{applied, errors: [{row,
/// message}]}` (rows from 1), sealed when the request was. Administrators.
#[utoipa::path(
    put,
    path = "/hardwaretokens/usertokens",
    request_body = Sealable<MappingsRequest>,
    responses(
        (status = 200, description = "`applied`, `errors`", body = Sealable<Object>),
        (status = 400, description = "An empty or too long list", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn assign_list(
    admin: AdminSession<Administrator>,
    body: Body<MappingsRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let rows = listed(r.list)?;
    let community = home_of(&platform, &admin).await?;
    let outcome = assign_all(&state, &admin, &community, rows, Outcome::default()).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &outcome)?)
}

/// Assign users to tokens from CSV text.
///
/// `csv_text` with the columns `serialNumber` and `username`, assigned as by
/// `PUT /hardwaretokens/usertokens`; errors name their line. Administrators.
#[utoipa::path(
    put,
    path = "/hardwaretokens/usertokens/csv_text",
    request_body = Sealable<CsvTextRequest>,
    responses(
        (status = 200, description = "`applied`, `errors`", body = Sealable<Object>),
        (status = 400, description = "A bad header, too long", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn assign_text(
    admin: AdminSession<Administrator>,
    body: Body<CsvTextRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let (rows, errors) = assignments(&r.csv_text)?;
    let outcome = assign_all(&state, &admin, &community, rows, Outcome { applied: 0, errors }).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &outcome)?)
}

/// Upload CSV file to assign users to tokens.
///
/// `multipart/form-data` with a CSV (columns `serialNumber`, `username`) in the field `file` (or
/// `csv`), at most 1 MiB, assigned as by `PUT /hardwaretokens/usertokens`. Answers `{applied,
/// errors}`, sealed. Administrators.
#[utoipa::path(
    post,
    path = "/hardwaretokens/usertokens/import_csv",
    request_body(content_type = "multipart/form-data", description = "The CSV in the field `file` or `csv`"),
    responses(
        (status = 200, description = "`applied`, `errors`, sealed", body = SealedBody),
        (status = 400, description = "Not multipart, no file, a bad header", body = ErrorBody),
        (status = 413, description = "Larger than 1 MiB", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn assign_file(
    admin: AdminSession<Administrator>,
    form: CsvForm,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = home_of(&platform, &admin).await?;
    let text = form.text().await?;
    let (rows, errors) = assignments(&text)?;
    let outcome = assign_all(&state, &admin, &community, rows, Outcome { applied: 0, errors }).await?;
    Ok(admin.caller.reply(&outcome)?)
}

/// Unassign users from the tokens.
///
/// Takes each token of `list` (1 to 1000 `{username, serialNumber}`) from its user. 204 when
/// every mapping held; otherwise 200 with `{applied, errors}`, sealed when the request was.
/// Administrators.
#[utoipa::path(
    delete,
    path = "/hardwaretokens/usertokens",
    request_body = Sealable<MappingsRequest>,
    responses(
        (status = 204, description = "Every mapping taken"),
        (status = 200, description = "`applied`, `errors`: some mappings did not hold", body = Sealable<Object>),
        (status = 400, description = "An empty or too long list", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn unassign_list(
    admin: AdminSession<Administrator>,
    body: Body<MappingsRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let rows = listed(r.list)?;
    let community = home_of(&platform, &admin).await?;
    let now = state.clock.epoch_secs();
    let mut outcome = Outcome::default();
    for (row, serial, username) in rows {
        let result = state.hardware_tokens.unassign(&community.id, &admin.session.uid, &serial, &username, now).await;
        let result = result.map_err(|e| match e {
            DomainError::Store(s) => DomainError::Store(s),
            e => DomainError::Invalid(format!("row {row}: {e}")),
        });
        outcome.count(row, result)?;
    }
    tracing::info!(applied = outcome.applied, errors = outcome.errors.len(), "hardware tokens unassigned");
    if outcome.errors.is_empty() {
        return Ok(HttpResponse::NoContent().finish());
    }
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &outcome)?)
}
