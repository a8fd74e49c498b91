//! The `kerberos_config` of an auth module (`{"enabled": bool, "keytab_file": "<base64 MIT
//! keytab>"}`): the keytab of the module's service principal, with which `user/verify_user_ktoken`
//! and the `ktoken` factor of `user/authenticate` check SPNEGO tickets ([`super::kerberos`]).
//!
//! It is kept in the stored config under [`FIELD`], the keytab sealed at rest like the directory
//! credentials (bound to the community, the module and the field); a reply shows it beside
//! `config` with `enabled` and whether a keytab is set, never the keytab.

use base64::Engine as _;
use kit::DomainError;
use kit::sealer::Sealer;
use serde_json::{Map, Value, json};

use super::kerberos::Keytab;
use super::module_secrets::open_secret;
use super::modules::Module;

/// The key of the Kerberos configuration in a stored module's config.
pub const FIELD: &str = "kerberos_config";
/// The sealed keytab's field (what the seal is bound to).
const KEYTAB: &str = "keytab_file";

fn invalid(m: &str) -> DomainError {
    DomainError::Invalid(m.to_owned())
}

/// Sets the `kerberos_config` a request `given` into `config` (the stored config of module `id`):
/// checked (`enabled` a boolean, `keytab_file` a base64 MIT keytab) and sealed; a `keytab_file`
/// left out keeps the one of `previous` (the stored `kerberos_config`).
pub fn apply(
    sealer: &Sealer,
    community_id: &str,
    id: &str,
    config: &mut Map<String, Value>,
    given: Value,
    previous: Option<&Value>,
) -> Result<(), DomainError> {
    let Value::Object(given) = given else { return Err(invalid("kerberos_config must be an object")) };
    let mut stored = Map::new();
    for (k, v) in &given {
        match (k.as_str(), v) {
            ("enabled", Value::Bool(on)) => {
                stored.insert("enabled".into(), Value::Bool(*on));
            }
            ("enabled", _) => return Err(invalid("kerberos_config.enabled must be true or false")),
            (KEYTAB, Value::String(text)) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map_err(|_| invalid("kerberos_config.keytab_file must be a keytab file in base64"))?;
                Keytab::parse(&bytes).map_err(|e| DomainError::Invalid(format!("kerberos_config.keytab_file: {e}")))?;
                let sealed = sealer
                    .seal(&[community_id, id, KEYTAB], text.trim())
                    .map_err(|e| DomainError::Store(kit::StoreError::Unavailable(format!("sealing a keytab: {e}"))))?;
                stored.insert(KEYTAB.into(), Value::String(sealed));
            }
            (KEYTAB, _) => return Err(invalid("kerberos_config.keytab_file must be a keytab file in base64")),
            _ => return Err(invalid("kerberos_config may only hold enabled and keytab_file")),
        }
    }
    if !stored.contains_key(KEYTAB)
        && let Some(kept) = previous.and_then(|p| p.get(KEYTAB))
    {
        stored.insert(KEYTAB.into(), kept.clone());
    }
    if stored.get("enabled") == Some(&Value::Bool(true)) && !stored.contains_key(KEYTAB) {
        return Err(invalid("kerberos_config.keytab_file is required when kerberos_config.enabled is true"));
    }
    config.insert(FIELD.into(), Value::Object(stored));
    Ok(())
}

/// What a reply shows of a stored `kerberos_config` (taken out of `config`).
pub fn reply_part(config: &mut Map<String, Value>) -> Value {
    match config.remove(FIELD) {
        Some(Value::Object(k)) => json!({
            "enabled": k.get("enabled").and_then(Value::as_bool).unwrap_or(false),
            "keytab_file_set": k.contains_key(KEYTAB),
        }),
        _ => Value::Null,
    }
}

/// Whether `module` checks Kerberos tickets.
pub fn enabled(module: &Module) -> bool {
    module.config.get(FIELD).and_then(|k| k.get("enabled")).and_then(Value::as_bool) == Some(true)
}

/// The keytab of `module` when its Kerberos is enabled.
pub fn keytab(sealer: &Sealer, module: &Module) -> Result<Option<Keytab>, DomainError> {
    if !enabled(module) {
        return Ok(None);
    }
    let Some(sealed) = module.config.get(FIELD).and_then(|k| k.get(KEYTAB)).and_then(Value::as_str) else {
        return Ok(None);
    };
    let text = open_secret(sealer, module, KEYTAB, sealed)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|_| DomainError::Invalid("the module's kerberos_config.keytab_file is not base64".into()))?;
    let keytab = Keytab::parse(&bytes).map_err(|e| DomainError::Invalid(format!("the module's keytab: {e}")))?;
    Ok(Some(keytab))
}
