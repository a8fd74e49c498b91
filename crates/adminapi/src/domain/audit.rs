//! Who changed what in a community's configuration, and when: one [`Change`] per write of a
//! setting, a secret, a message gateway or a template, kept for the reports. A change names the
//! kind of record, the action and the fields that changed, never their values (a value may be a
//! secret or a credential).

use async_trait::async_trait;
use kit::StoreError;
use serde::Serialize;

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub tenant_id: String,
    pub community_id: String,
    /// The kind of record (`mfa_settings`, `secret`, `msg_gateway`, `template`…).
    pub kind: String,
    /// The record within its kind (a secret's key, a gateway's id; empty for a setting).
    pub record: String,
    /// `set`, `create`, `update` or `delete`.
    pub action: String,
    /// The names of the fields that changed (top level, sorted).
    pub fields: Vec<String>,
    /// The uid of the logged-in user who made the change.
    pub actor: String,
    /// Epoch seconds.
    pub at: i64,
}

/// Where changes are kept (`crate::store::SqlAudit`).
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Records one change.
    async fn record(&self, change: &Change) -> Result<(), StoreError>;
    /// The community's changes, newest first, at most `limit`.
    async fn changes(&self, community_id: &str, limit: u32) -> Result<Vec<Change>, StoreError>;
    /// The community's changes made at `[from, to]` (epoch seconds), by `actor` when given:
    /// how many, and `limit` of them from `offset`, newest first (the audit log report).
    async fn page(&self, query: &ChangeQuery<'_>, offset: u64, limit: u64) -> Result<(u64, Vec<Change>), StoreError>;
}

/// Which changes the audit log report reads.
#[derive(Debug, Clone, Copy)]
pub struct ChangeQuery<'a> {
    pub community_id: &'a str,
    /// Epoch seconds, inclusive.
    pub from: i64,
    /// Epoch seconds, inclusive.
    pub to: i64,
    pub actor: Option<&'a str>,
}

/// The event name of a change in the audit log report: the spec's names where one fits
/// (`E_SP_CREATED`, `E_ROLE_CHANGED`, `E_IDP_CONFIGURATION_MODIFIED`…), else
/// `E_<KIND>_<CREATED|MODIFIED|DELETED>`.
pub fn event_name(kind: &str, action: &str) -> String {
    let done = match action {
        "create" => "CREATED",
        "delete" => "DELETED",
        _ => "MODIFIED",
    };
    match kind {
        "service_provider" => format!("E_SP_{done}"),
        "role" | "roles" => "E_ROLE_CHANGED".to_owned(),
        "branding" => "E_BRANDING_MODIFIED".to_owned(),
        "identity_provider" | "external_idp" | "idp_config" => "E_IDP_CONFIGURATION_MODIFIED".to_owned(),
        "auth_journey" => "E_ADAPTIVEAUTH_MODIFIED".to_owned(),
        other => format!("E_{}_{done}", other.to_ascii_uppercase()),
    }
}

/// A change as an event of the audit log report (`eventCategory` `AUDIT_LOG`).
pub fn audit_event(c: &Change) -> serde_json::Value {
    let at = c.at.saturating_mul(1000);
    serde_json::json!({
        "eventCategory": "AUDIT_LOG",
        "eventName": event_name(&c.kind, &c.action),
        "tenant_id": c.tenant_id,
        "community_id": c.community_id,
        "user_id": c.actor,
        "kind": c.kind,
        "record": c.record,
        "action": c.action,
        "fields": c.fields,
        "event_ts": at,
        "date": super::reports::window::format_date(at),
    })
}

/// The top-level fields whose values differ between `before` and `after` (objects; anything else
/// counts as one field named `value`), sorted.
pub fn changed_fields(before: &serde_json::Value, after: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let (Value::Object(b), Value::Object(a)) = (before, after) else {
        return if before == after { Vec::new() } else { vec!["value".to_owned()] };
    };
    let mut fields: Vec<String> =
        a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)).cloned().collect::<Vec<_>>();
    fields.sort();
    fields.dedup();
    fields
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn changes_are_named_as_the_spec_names_audit_events() {
        assert_eq!(event_name("service_provider", "create"), "E_SP_CREATED");
        assert_eq!(event_name("service_provider", "update"), "E_SP_MODIFIED");
        assert_eq!(event_name("external_idp", "delete"), "E_IDP_CONFIGURATION_MODIFIED");
        assert_eq!(event_name("msg_gateway", "delete"), "E_MSG_GATEWAY_DELETED");
        assert_eq!(event_name("mfa_settings", "set"), "E_MFA_SETTINGS_MODIFIED");
        let c = Change {
            tenant_id: "t".into(),
            community_id: "c".into(),
            kind: "secret".into(),
            record: "k".into(),
            action: "create".into(),
            fields: vec!["value".into()],
            actor: "u1".into(),
            at: 1_700_000_000,
        };
        let e = audit_event(&c);
        assert_eq!(
            (e["eventCategory"].as_str(), e["eventName"].as_str()),
            (Some("AUDIT_LOG"), Some("E_SECRET_CREATED"))
        );
        assert_eq!(
            (e["event_ts"].as_i64(), e["date"].as_str()),
            (Some(1_700_000_000_000), Some("2023-11-14 22:13:20.000"))
        );
    }

    #[test]
    fn changed_fields_are_the_keys_whose_values_differ() {
        let before = json!({"a": 1, "b": {"x": true}, "c": "same"});
        let after = json!({"a": 2, "b": {"x": true}, "c": "same", "d": null});
        assert_eq!(changed_fields(&before, &after), vec!["a".to_owned(), "d".to_owned()]);
        assert_eq!(changed_fields(&json!({"a": 1}), &json!({})), vec!["a".to_owned()]);
        assert!(changed_fields(&after, &after).is_empty());
        assert_eq!(changed_fields(&json!(1), &json!(2)), vec!["value".to_owned()]);
    }
}
