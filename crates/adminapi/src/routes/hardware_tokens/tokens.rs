//! The tokens themselves: list, import (a CSV file or text), edit, delete, resynchronise.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable, SealedBody};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::CsvForm;
use crate::State;
use crate::domain::config::Owner;
use crate::domain::hardware_tokens::{TokenInfo, seed_format};
use crate::routes::users::home_of;
use crate::session::{AdminSession, Administrator};

/// The largest page.
const MAX_PAGE: u64 = 100;

/// Body of `POST /hardwaretokens/fetch`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(non_snake_case)]
pub struct FetchTokensRequest {
    /// Tokens per page (1 to 100, default 25).
    pSize: Option<u64>,
    /// The page, from 0.
    pIndex: Option<u64>,
    /// `{"serialNumbers": [...]}`: exact serial numbers, or `/text/` for those containing text.
    query: Option<Value>,
    return_assigned_user_count: Option<bool>,
    return_activity_status: Option<bool>,
}

/// Whether `serial` is named by one of `wanted` (`/text/`: contains text, without case).
pub(crate) fn named(serial: &str, wanted: &[String]) -> bool {
    wanted.iter().any(|w| match w.strip_prefix('/').and_then(|w| w.strip_suffix('/')) {
        Some(part) => serial.to_lowercase().contains(&part.to_lowercase()),
        None => serial == w,
    })
}

/// The `(pIndex, pSize)` of a page request.
pub(super) fn page(index: Option<u64>, size: Option<u64>) -> Result<(u64, u64), ApiError> {
    let size = size.unwrap_or(25);
    if size == 0 || size > MAX_PAGE {
        return Err(ApiError::bad_request(format!("pSize must be 1 to {MAX_PAGE}")));
    }
    Ok((index.unwrap_or(0), size))
}

/// Fetch all the Hardware tokens.
///
/// A page of the community's tokens by serial number: `_id`, `serialNumber`, `type`, `digits`,
/// `period`, `counter`, `username`, times; never the seed. `query.serialNumbers` filters (a
/// `/text/` entry matches serial numbers containing it); `returnAssignedUserCount` and
/// `returnActivityStatus` add `assignedUserCount` and `activityStatus` (`used`, `unused`).
/// Sealed when the request was. Administrators.
#[utoipa::path(
    post,
    path = "/hardwaretokens/fetch",
    request_body = Sealable<FetchTokensRequest>,
    responses(
        (status = 200, description = "`data`, `total`, `pIndex`, `pSize`", body = Sealable<Object>),
        (status = 400, description = "A bad page or query", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_tokens(
    admin: AdminSession<Administrator>,
    body: Body<FetchTokensRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let (index, size) = page(r.pIndex, r.pSize)?;
    let wanted: Option<Vec<String>> = match r.query.as_ref().and_then(|q| q.get("serialNumbers")) {
        None | Some(Value::Null) => None,
        Some(list) => Some(
            serde_json::from_value(list.clone())
                .map_err(|_| ApiError::bad_request("query.serialNumbers must be an array of strings"))?,
        ),
    };
    let tokens = state.hardware_tokens.list(&community.id).await?;
    let matching: Vec<_> =
        tokens.iter().filter(|t| wanted.as_ref().is_none_or(|w| named(&t.serial_number, w))).collect();
    let skip = usize::try_from(index.saturating_mul(size)).unwrap_or(usize::MAX);
    let take = usize::try_from(size).unwrap_or(usize::MAX);
    let data: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(take)
        .map(|t| {
            let mut item = json!(TokenInfo::from(*t));
            if r.return_assigned_user_count == Some(true) {
                item["assignedUserCount"] = json!(u8::from(t.username.is_some()));
            }
            if r.return_activity_status == Some(true) {
                item["activityStatus"] = json!(if t.last_used_at.is_some() { "used" } else { "unused" });
            }
            item
        })
        .collect();
    let reply = json!({"data": data, "total": matching.len(), "pIndex": index, "pSize": size});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Upload hardware tokens CSV file.
///
/// `multipart/form-data` with a CSV in the field `file` (or `csv`), at most 1 MiB: a header
/// naming `serialNumber` and `seed`, optionally `seedFormat` (`hex`, the default, or `base32`),
/// `type` (`hotp`, the default, or `totp`), `counter`, `digits` (6 to 8), `period` (10 to 300 s).
/// Seeds of 80 to 512 bits, sealed at rest. Answers `{applied, errors: [{row, message}]}`
/// (sealed), each error naming its line. Administrators.
#[utoipa::path(
    post,
    path = "/hardwaretokens/import_csv",
    request_body(content_type = "multipart/form-data", description = "The CSV in the field `file` or `csv`"),
    responses(
        (status = 200, description = "`applied`, `errors`, sealed", body = SealedBody),
        (status = 400, description = "Not multipart, no file, not UTF-8, a bad header", body = ErrorBody),
        (status = 413, description = "Larger than 1 MiB", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn import_tokens_file(
    admin: AdminSession<Administrator>,
    form: CsvForm,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = home_of(&platform, &admin).await?;
    let text = form.text().await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let outcome = state.hardware_tokens.import(owner, &admin.session.uid, &text, state.clock.epoch_secs()).await?;
    tracing::info!(applied = outcome.applied, errors = outcome.errors.len(), "hardware tokens imported");
    Ok(admin.caller.reply(&outcome)?)
}

/// Body of `PUT /hardwaretokens/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CsvTextRequest {
    /// The CSV text.
    pub csv_text: String,
}

/// Create Hardware tokens from CSV text.
///
/// `csv_text` in the format of `POST /hardwaretokens/import_csv`. Answers `{applied, errors:
/// [{row, message}]}`, sealed when the request was. Administrators.
#[utoipa::path(
    put,
    path = "/hardwaretokens/tokens",
    request_body = Sealable<CsvTextRequest>,
    responses(
        (status = 200, description = "`applied`, `errors`", body = Sealable<Object>),
        (status = 400, description = "No csv_text, a bad header, too long", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn import_tokens_text(
    admin: AdminSession<Administrator>,
    body: Body<CsvTextRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let outcome =
        state.hardware_tokens.import(owner, &admin.session.uid, &r.csv_text, state.clock.epoch_secs()).await?;
    tracing::info!(applied = outcome.applied, errors = outcome.errors.len(), "hardware tokens imported");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &outcome)?)
}

/// Body of `PATCH /hardwaretokens/tokens/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EditTokenRequest {
    /// The new seed (hex unless `seedFormat` says `base32`).
    seed: Option<String>,
    seed_format: Option<String>,
    /// The next counter (HOTP) or the first acceptable time step (TOTP).
    counter: Option<u64>,
}

/// Edit Hardware tokens.
///
/// Replaces the seed (hex, or base32 with `seedFormat`) and/or the counter of the community's
/// token `id`: 400 when neither is given, 404 for no such token. Answers the token without its
/// seed, sealed when the request was. Administrators.
#[utoipa::path(
    patch,
    path = "/hardwaretokens/tokens/{id}",
    params(("id" = String, Path, description = "The token's `_id`")),
    request_body = Sealable<EditTokenRequest>,
    responses(
        (status = 200, description = "The token, without its seed", body = Sealable<Object>),
        (status = 400, description = "Nothing to change, a bad seed", body = ErrorBody),
        (status = 404, description = "No such token", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn edit_token(
    admin: AdminSession<Administrator>,
    id: web::Path<String>,
    body: Body<EditTokenRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let format = seed_format(r.seed_format.as_deref())?;
    let seed = r.seed.as_deref().map(|s| (s, format));
    let now = state.clock.epoch_secs();
    let token = state.hardware_tokens.edit(&community.id, &admin.session.uid, &id, seed, r.counter, now).await?;
    tracing::info!("hardware token edited");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &TokenInfo::from(&token))?)
}

/// Body of `DELETE /hardwaretokens/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteTokensRequest {
    serial_numbers: Vec<String>,
}

/// Delete Hardware tokens.
///
/// Deletes the community's tokens with these serial numbers (1 to 1000); those it does not have
/// are skipped. Answers `{deletedCount}`, sealed when the request was. Administrators.
#[utoipa::path(
    delete,
    path = "/hardwaretokens/tokens",
    request_body = Sealable<DeleteTokensRequest>,
    responses(
        (status = 200, description = "`deletedCount`", body = Sealable<Object>),
        (status = 400, description = "No serial numbers, or more than 1000", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_tokens(
    admin: AdminSession<Administrator>,
    body: Body<DeleteTokensRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    if r.serial_numbers.is_empty() || r.serial_numbers.len() > 1000 {
        return Err(ApiError::bad_request("serialNumbers must hold 1 to 1000 serial numbers").into());
    }
    let community = home_of(&platform, &admin).await?;
    let now = state.clock.epoch_secs();
    let mut deleted = 0u64;
    for serial in &r.serial_numbers {
        match state.hardware_tokens.delete(&community.id, &admin.session.uid, serial, now).await {
            Ok(()) => deleted += 1,
            Err(kit::DomainError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(deleted, "hardware tokens deleted");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &json!({"deletedCount": deleted}))?)
}

/// Body of `POST /hardwaretokens/resync`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResyncRequest {
    code1: String,
    code2: String,
    code3: String,
    serial_number: String,
}

/// Re-sync Hardware token.
///
/// Three consecutive codes of the token `serialNumber` move its counter past them: HOTP searches
/// 1000 counters ahead of the current one, TOTP 1000 steps either side of now (the token's clock
/// drift is kept). 400 when no run of the three codes is found. Answers `{message, counter}`,
/// sealed when the request was. Administrators.
#[utoipa::path(
    post,
    path = "/hardwaretokens/resync",
    request_body = Sealable<ResyncRequest>,
    responses(
        (status = 200, description = "`message`, `counter`", body = Sealable<Object>),
        (status = 400, description = "Not three consecutive codes of the token", body = ErrorBody),
        (status = 404, description = "No such token", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn resync_token(
    admin: AdminSession<Administrator>,
    body: Body<ResyncRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let codes = [r.code1.as_str(), r.code2.as_str(), r.code3.as_str()];
    let now = state.clock.epoch_secs();
    let token = state.hardware_tokens.resync(&community.id, &admin.session.uid, &r.serial_number, codes, now).await?;
    tracing::info!("hardware token resynchronised");
    let reply = json!({"message": "hardware token resynchronised", "counter": token.counter});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
