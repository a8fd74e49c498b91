//! Reading and writing a community's settings ([`crate::domain::config`]) the way every settings
//! endpoint does: read from the session's community or the one a body names, written from a
//! body's fields (`tenantId` and `communityId` name the community, the session's by default), and
//! answered as the setting now is, sealed or plain like the request.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use envelope::Body;
use kit::AppResult;
use kit::app::Platform;
use kit::directory::CommunityRef;
use serde_json::{Map, Value};

use crate::State;
use crate::domain::config::{self, Owner, Setting};
use crate::domain::secrets::sealing;
use crate::routes::users::community_of;
use crate::session::AdminSession;

/// Removes `field` (a string) from a body.
pub(crate) fn take_text(body: &mut Map<String, Value>, field: &str) -> Option<String> {
    body.remove(field).and_then(|v| v.as_str().map(str::to_owned))
}

/// The community `tenantId` and `communityId` of `body` name (each the session's when left out),
/// which the session must reach; both are removed from the body.
pub(crate) async fn named_community<P>(
    admin: &AdminSession<P>,
    body: &mut Map<String, Value>,
    platform: &Platform,
) -> AppResult<CommunityRef> {
    let s = &admin.session;
    let tenant = take_text(body, "tenantId").unwrap_or_else(|| s.tenant_id.clone());
    let community = take_text(body, "communityId").unwrap_or_else(|| s.community_id.clone());
    community_of(platform, admin, &tenant, &community).await
}

/// The setting `T` of the session's own community, sealed.
pub(crate) async fn read<T: Setting, P>(
    admin: &AdminSession<P>,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let community = community_of(platform, admin, &admin.session.tenant_id, &admin.session.community_id).await?;
    let value = state.configs.get::<T>(&community.id).await?;
    Ok(admin.caller.reply(&value)?)
}

/// The setting `T` of the community a body names, sealed or plain like the request.
pub(crate) async fn read_named<T: Setting, P>(
    admin: &AdminSession<P>,
    body: Body<Map<String, Value>>,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let Body { value: mut given, encrypted } = body;
    let community = named_community(admin, &mut given, platform).await?;
    let value = state.configs.get::<T>(&community.id).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &value)?)
}

/// Writes the setting `T` of `owner` from `given` (see [`config::apply`]) as the session's user.
pub(crate) async fn store<T: Setting, P>(
    admin: &AdminSession<P>,
    state: &State,
    owner: Owner<'_>,
    given: Map<String, Value>,
) -> AppResult<T> {
    let current = state.configs.get::<T>(owner.community_id).await?;
    let next = config::apply(&current, given)?;
    state.configs.set(owner, &admin.session.uid, &next).await?;
    Ok(next)
}

/// Writes the setting `T` of the community the body names from the body's other fields, and
/// answers the setting as it now is.
pub(crate) async fn write<T: Setting, P>(
    admin: &AdminSession<P>,
    body: Body<Map<String, Value>>,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let Body { value: mut given, encrypted } = body;
    let community = named_community(admin, &mut given, platform).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let next: T = store(admin, state, owner, given).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &next)?)
}

/// Seals `plaintext` as the field `field` of the setting `kind` of `community_id` (bound to that
/// place: it opens nowhere else).
pub(crate) fn seal_field(
    state: &State,
    community_id: &str,
    kind: &str,
    field: &str,
    plaintext: &str,
) -> AppResult<String> {
    Ok(state.sealer.seal(&[community_id, kind, field], plaintext).map_err(sealing)?)
}

/// Opens what [`seal_field`] sealed for the same place; a value that does not open is an
/// internal error (another key, or a damaged row), logged without the value.
pub(crate) fn open_field(
    state: &State,
    community_id: &str,
    kind: &str,
    field: &str,
    sealed: &str,
) -> AppResult<zeroize::Zeroizing<String>> {
    state.sealer.open(&[community_id, kind, field], sealed).map_err(|e| {
        tracing::error!(kind, field, error = %e, "a sealed setting does not open");
        envelope::ApiError::internal().into()
    })
}
