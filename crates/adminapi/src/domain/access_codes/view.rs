//! How a code is shown (lists, the SDK's fetch): its metadata in the reference's shape, never
//! the code.

use kit::directory::CommunityRef;
use serde_json::{Map, Value, json};

use super::AccessCode;

/// The wire form of `code` at `now` in `community`: `id` (the short non-secret id), `type`,
/// `status` (`active`, `redeemed`, `revoked` or `expired`), who made it and when, its expiry and
/// `accesscodepayload` (the user and where it was sent); once redeemed, when and by whom.
pub fn view(code: &AccessCode, community: &CommunityRef, now: i64) -> Value {
    let mut payload = Map::new();
    payload.insert("authModuleId".into(), json!(code.module_id));
    payload.insert("uid".into(), json!(code.uid));
    payload.insert("userid".into(), json!(code.username));
    payload.insert("dns".into(), json!(community.tenant_dns));
    if let Some(email) = &code.email_to {
        payload.insert("invite_email".into(), json!(email));
    }
    if let Some(phone) = &code.sms_to {
        payload.insert("invite_phone".into(), json!(phone));
    }
    let mut out = json!({
        "id": code.id,
        "type": code.purpose.wire_type(),
        "status": code.state(now).as_str(),
        "tenantId": code.tenant_id,
        "communityId": code.community_id,
        "createdBy": code.created_by,
        "createdTime": code.created_at,
        "expiresAt": code.expires_at,
        "ttl_seconds": code.expires_at.saturating_sub(code.created_at),
        "accesscodepayload": payload,
    });
    if let Some(at) = code.redeemed_at {
        out["redeemedAt"] = json!(at);
    }
    if let Some(result) = code.redeem_result.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()) {
        out["redeem_result"] = result;
    }
    out
}
