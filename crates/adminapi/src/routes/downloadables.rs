//! The catalog group Downloadables: the software in `DOWNLOADABLES_DIR`
//! ([`crate::domain::downloadables`]): `POST /downloadables/versions/fetch` lists the versions,
//! `POST /downloadables/artifact/fetch` sends one file.

use std::path::PathBuf;

use actix_web::http::StatusCode;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::io::AsyncReadExt as _;
use utoipa::ToSchema;

use crate::State;
use crate::domain::downloadables::{self, Artifact, Entry, name};
use crate::routes::users::community_of;
use crate::session::{AdminSession, Administrator};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_versions), endpoint!(fetch_artifact)]
}

/// Body of `POST /downloadables/versions/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionsRequest {
    /// Software names (`broker`, `radius`…), at least one.
    software: Vec<String>,
    /// Only the newest version of each (default true).
    latest: Option<bool>,
    /// Systems (`windows`, `linux`, `macos`), at least one.
    os: Vec<String>,
}

/// Reply of `POST /downloadables/versions/fetch`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Versions {
    pub artifacts: Vec<Artifact>,
}

/// Body of `POST /downloadables/artifact/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArtifactRequest {
    tenant_id: String,
    community_id: String,
    /// An auth module of the community (the one the software will use).
    module_id: String,
    /// The software (default `broker`).
    #[serde(rename = "type")]
    software: Option<String>,
    /// The system; needed when the version has a file for each.
    os: Option<String>,
    /// A version, or `latest` (the default).
    version: Option<String>,
}

/// The catalog, read off the async workers; empty without `DOWNLOADABLES_DIR`.
async fn catalog(state: &State) -> AppResult<Vec<Entry>> {
    let Some(dir) = state.assets.downloadables_dir.clone() else { return Ok(Vec::new()) };
    let read =
        tokio::task::spawn_blocking(move || downloadables::catalog(&dir)).await.map_err(kit::AppError::internal)?;
    read.map_err(|e| {
        tracing::warn!(error = %e, "DOWNLOADABLES_DIR cannot be read");
        ApiError::unavailable("the downloadables catalog is unavailable").into()
    })
}

fn names(field: &str, given: &[String]) -> AppResult<Vec<String>> {
    if given.is_empty() {
        return Err(ApiError::bad_request(format!("{field} must list at least one name")).into());
    }
    Ok(given.iter().map(|n| name(field, n).map(|n| n.to_ascii_lowercase())).collect::<Result<_, _>>()?)
}

/// Get software download info.
///
/// The versions of each of `software` for each of `os` (both required, non-empty), newest first;
/// only the newest when `latest` (the default). Empty when no catalog is configured. Answered
/// like the request (sealed, or plain for the preview). Administrators.
#[utoipa::path(
    post,
    path = "/downloadables/versions/fetch",
    request_body = Sealable<VersionsRequest>,
    responses(
        (status = 200, description = "`{artifacts}`, sealed when the request was", body = Sealable<Versions>),
        (status = 400, description = "A missing list or a bad name", body = ErrorBody),
        (status = 503, description = "DOWNLOADABLES_DIR cannot be read", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_versions(
    admin: AdminSession<Administrator>,
    body: Body<VersionsRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let (software, os) = (names("software", &r.software)?, names("os", &r.os)?);
    let entries = catalog(&state).await?;
    let artifacts = downloadables::versions(&entries, &software, &os, r.latest.unwrap_or(true));
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &Versions { artifacts })?)
}

/// Download artifacts.
///
/// The file of `type` (default `broker`) at `version` (default `latest`) for `os`, for a
/// module of the community (`tenantId`, `communityId`, `moduleId`, all required; the module is
/// checked at users-mgmt). The reply is the file itself (`application/octet-stream`, as an
/// attachment). 404 when the catalog has no such file. Administrators.
#[utoipa::path(
    post,
    path = "/downloadables/artifact/fetch",
    request_body = Sealable<ArtifactRequest>,
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 400, description = "A missing field, a bad name, several files for the version", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such module, software, version or file", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_artifact(
    admin: AdminSession<Administrator>,
    body: Body<ArtifactRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    let software = name("type", r.software.as_deref().unwrap_or("broker"))?.to_ascii_lowercase();
    let version = name("version", r.version.as_deref().unwrap_or("latest"))?;
    let os = r.os.as_deref().map(|o| name("os", o)).transpose()?;
    let module = crate::domain::ids::object_id("moduleId", &r.module_id)?;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    let listed = state
        .users_mgmt
        .call(Method::POST, &UsersMgmt::community_path(&community, "/modules/fetch"), &json!({}))
        .await?;
    if !listed.as_array().into_iter().flatten().any(|m| m["_id"].as_str() == Some(module.as_str())) {
        return Err(ApiError::not_found("moduleId is not an auth module of the community").into());
    }
    let entries = catalog(&state).await?;
    let file = downloadables::pick(&entries, &software, os.as_deref(), &version)?;
    tracing::info!(software = %file.software, version = %file.version, "artifact downloaded");
    send(file.path.clone(), file.file_name.clone()).await
}

/// The file at `path` as a streamed attachment named `file_name`.
async fn send(path: PathBuf, file_name: String) -> AppResult<HttpResponse> {
    let unreadable = |e: std::io::Error| {
        tracing::warn!(error = %e, "a downloadable file cannot be read");
        kit::AppError::from(ApiError::unavailable("the downloadables catalog is unavailable"))
    };
    let file = tokio::fs::File::open(&path).await.map_err(unreadable)?;
    let size = file.metadata().await.map_err(unreadable)?.len();
    let chunks = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buffer = vec![0u8; 64 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buffer)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(file_name)],
    };
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header(disposition)
        .no_chunking(size)
        .streaming(chunks))
}
