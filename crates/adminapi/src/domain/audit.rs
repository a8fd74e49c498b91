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
    fn changed_fields_are_the_keys_whose_values_differ() {
        let before = json!({"a": 1, "b": {"x": true}, "c": "same"});
        let after = json!({"a": 2, "b": {"x": true}, "c": "same", "d": null});
        assert_eq!(changed_fields(&before, &after), vec!["a".to_owned(), "d".to_owned()]);
        assert_eq!(changed_fields(&json!({"a": 1}), &json!({})), vec!["a".to_owned()]);
        assert!(changed_fields(&after, &after).is_empty());
        assert_eq!(changed_fields(&json!(1), &json!(2)), vec!["value".to_owned()]);
    }
}
