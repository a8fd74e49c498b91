//! The custom script of an auth module (`PATCH /auth_modules/updateJs/{moduleId}`): JavaScript
//! that turns the profile of a module's user into what the module hands on. It is checked on write
//! by running it in the [sandbox](super::scripts) on [`sample_input`] (it must compile, end within
//! the limits and give JSON), and kept by adminapi keyed by module id (users-mgmt's module update
//! has no field for it), each write recorded in the audit log.

use async_trait::async_trait;
use kit::StoreError;
use serde_json::{Value, json};

use super::DomainError;
use super::audit::Change;
use super::config::Owner;
use super::scripts::Sandbox;
use super::scripts::transform::decode_script;

/// A module's script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleScript {
    pub module_id: String,
    /// The script as given: base64 of its UTF-8 text.
    pub script_b64: String,
    pub updated_by: String,
    /// Epoch seconds.
    pub updated_at: i64,
}

/// Where module scripts are kept (`crate::store::SqlModuleScripts`).
#[async_trait]
pub trait ModuleScriptStore: Send + Sync {
    /// The module's script, if one was set.
    async fn get(&self, module_id: &str) -> Result<Option<ModuleScript>, StoreError>;
    /// Sets the module's script and records `change`, both or neither.
    async fn put(&self, script: &ModuleScript, change: &Change) -> Result<(), StoreError>;
}

/// The input a module script is checked with: a user's profile as a module gives it.
pub fn sample_input() -> Value {
    json!({
        "username": "ann.example",
        "firstname": "Ann",
        "lastname": "Example",
        "email": "ann@example.com",
        "phone": "+15550100",
        "attributes": {"employeeId": "E-0001"},
    })
}

/// Checks `script_b64` (base64 of the script, the body's `data`) in `sandbox` on
/// [`sample_input`] and sets it as the script of `module_id`: the script as stored.
pub async fn set(
    store: &dyn ModuleScriptStore,
    sandbox: &Sandbox,
    owner: Owner<'_>,
    module_id: &str,
    script_b64: &str,
    actor: &str,
    at: i64,
) -> Result<ModuleScript, DomainError> {
    let script = decode_script("data", script_b64)?;
    sandbox.run(&script, &sample_input()).await?;
    let before = store.get(module_id).await?;
    let stored = ModuleScript {
        module_id: module_id.to_owned(),
        script_b64: script_b64.trim().to_owned(),
        updated_by: actor.to_owned(),
        updated_at: at,
    };
    let change = Change {
        tenant_id: owner.tenant_id.to_owned(),
        community_id: owner.community_id.to_owned(),
        kind: "module_script".to_owned(),
        record: module_id.to_owned(),
        action: if before.is_some() { "update" } else { "create" }.to_owned(),
        fields: if before.is_some_and(|b| b.script_b64 == stored.script_b64) {
            Vec::new()
        } else {
            vec!["script".to_owned()]
        },
        actor: actor.to_owned(),
        at,
    };
    store.put(&stored, &change).await?;
    tracing::info!(action = change.action.as_str(), "an auth module's script changed");
    Ok(stored)
}
