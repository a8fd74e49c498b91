//! The catalog group Consents: the consent documents of the administrator's community
//! ([`crate::domain::consents`]): `PUT /config/consents` adds a version of a type,
//! `GET /config/consents/{type}` reads the current one with the hashes of all versions, and
//! `GET /config/consents/ipfs/{ipfsHash}` reads any version by its hash. Reads are sealed; a
//! write is answered like its request (sealed, or plain for the preview).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Serialize;
use utoipa::ToSchema;

use crate::State;
use crate::domain::audit::{Change, changed_fields};
use crate::domain::consents::{self, ConsentDocument, ConsentVersion, HISTORY_LIMIT};
use crate::routes::users::home_of;
use crate::session::{AdminSession, Administrator};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(put_consent), endpoint!(get_consent), endpoint!(get_consent_by_hash)]
}

/// One version in a consent's history.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub ipfs_hash: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// A consent type's current document, its hash (`null` before the first write) and its versions,
/// newest first (at most 100).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsentView {
    #[serde(flatten)]
    pub document: ConsentDocument,
    pub ipfs_hash: Option<String>,
    pub history: Vec<HistoryEntry>,
}

/// A stored version: the document, its hash and when it was written.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionView {
    #[serde(flatten)]
    pub document: ConsentDocument,
    pub ipfs_hash: String,
    /// RFC 3339.
    pub updated_at: String,
}

fn rfc3339(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn view(consent_type: &str, versions: &[ConsentVersion]) -> ConsentView {
    let document = versions.first().map(|v| v.document.clone()).unwrap_or_else(|| ConsentDocument {
        consent_type: consent_type.to_owned(),
        is_enabled: false,
        title: String::new(),
        subtitle: String::new(),
        body: String::new(),
        acknowledge_text: String::new(),
    });
    ConsentView {
        document,
        ipfs_hash: versions.first().map(|v| v.ipfs_hash.clone()),
        history: versions
            .iter()
            .map(|v| HistoryEntry { ipfs_hash: v.ipfs_hash.clone(), updated_at: rfc3339(v.updated_at) })
            .collect(),
    }
}

/// Create or update consent configuration.
///
/// For the administrator's community: `type` (`biometric`), `isEnabled` (a boolean), and, when
/// enabled, `title`, `body` (base64) and `acknowledgeText`; `subtitle` optional. A document that
/// differs from the current one becomes a new version named by its CIDv0 (the hash `ipfs add`
/// gives its compact JSON), recorded in the audit log by the names of the changed fields. The
/// reply is the type's configuration as `GET /config/consents/{type}` shows it. Administrators.
#[utoipa::path(
    put,
    path = "/config/consents",
    request_body = Sealable<ConsentDocument>,
    responses(
        (status = 200, description = "The consent configuration, sealed when the request was", body = Sealable<ConsentView>),
        (status = 400, description = "An unknown type, a missing text when enabled, a body not in base64", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn put_consent(
    admin: AdminSession<Administrator>,
    body: Body<ConsentDocument>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let (document, bytes) = consents::check(value)?;
    let ipfs_hash = consents::cid_v0(&bytes);
    let store = &state.stores.consents;
    let mut versions = store.history(&community.id, &document.consent_type, HISTORY_LIMIT).await?;
    if versions.first().map(|v| v.ipfs_hash.as_str()) != Some(ipfs_hash.as_str()) {
        let now = state.clock.epoch_secs();
        let json = |d: &ConsentDocument| serde_json::to_value(d).unwrap_or_default();
        let before = versions.first().map(|v| json(&v.document)).unwrap_or_else(|| serde_json::json!({}));
        let change = Change {
            tenant_id: community.tenant_id.clone(),
            community_id: community.id.clone(),
            kind: "consent".into(),
            record: document.consent_type.clone(),
            action: if versions.is_empty() { "create" } else { "update" }.into(),
            fields: changed_fields(&before, &json(&document)),
            actor: admin.session.uid.clone(),
            at: now,
        };
        let version = ConsentVersion {
            tenant_id: community.tenant_id.clone(),
            community_id: community.id.clone(),
            ipfs_hash,
            document,
            updated_by: admin.session.uid.clone(),
            updated_at: now,
        };
        store.put(&version, &change).await?;
        tracing::info!(consent_type = %version.document.consent_type, "consent document changed");
        versions.insert(0, version);
        versions.truncate(HISTORY_LIMIT as usize);
    }
    let consent_type = versions.first().map(|v| v.document.consent_type.clone()).unwrap_or_default();
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &view(&consent_type, &versions))?)
}

/// Get consent configuration by type.
///
/// The administrator's community's current document of `type` (`biometric`), its hash and the
/// hashes of all its versions, newest first; before the first write, a disabled consent with
/// empty texts, `ipfsHash` `null` and no history. Sealed. Administrators.
#[utoipa::path(
    get,
    path = "/config/consents/{type}",
    params(("type" = String, Path, description = "The consent type (biometric)")),
    responses(
        (status = 200, description = "The consent configuration, sealed", body = Sealable<ConsentView>),
        (status = 400, description = "An unknown type", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn get_consent(
    admin: AdminSession<Administrator>,
    consent_type: web::Path<String>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let consent_type = consents::consent_type(&consent_type)?;
    let community = home_of(&platform, &admin).await?;
    let versions = state.stores.consents.history(&community.id, &consent_type, HISTORY_LIMIT).await?;
    Ok(admin.caller.reply(&view(&consent_type, &versions))?)
}

/// Get historical consent by IPFS hash.
///
/// A version of any consent document of the administrator's community, by its CIDv0: the
/// document, its hash and when it was written. Sealed. Administrators.
#[utoipa::path(
    get,
    path = "/config/consents/ipfs/{ipfsHash}",
    params(("ipfsHash" = String, Path, description = "The CIDv0 of the document (Qm…)")),
    responses(
        (status = 200, description = "The version, sealed", body = Sealable<VersionView>),
        (status = 400, description = "Not a CIDv0", body = ErrorBody),
        (status = 404, description = "No such version in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn get_consent_by_hash(
    admin: AdminSession<Administrator>,
    ipfs_hash: web::Path<String>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let hash = consents::ipfs_hash(&ipfs_hash)?;
    let community = home_of(&platform, &admin).await?;
    let found = state
        .stores
        .consents
        .by_hash(&community.id, &hash)
        .await?
        .ok_or_else(|| ApiError::not_found("no consent document with this ipfsHash in the community"))?;
    let reply =
        VersionView { document: found.document, ipfs_hash: found.ipfs_hash, updated_at: rfc3339(found.updated_at) };
    Ok(admin.caller.reply(&reply)?)
}
