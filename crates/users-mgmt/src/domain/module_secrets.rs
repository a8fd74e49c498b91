//! The credentials of auth modules (`bindpassword`, `clientSecret`: [`SECRET_FIELDS`]) sealed
//! at rest with the deployment's [`Sealer`], each bound to its community, module and field, so
//! that a sealed value copied to another module or field does not open.

use kit::sealer::Sealer;
use kit::{DomainError, StoreError};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::modules::{Module, SECRET_FIELDS};

/// Seals the credentials `config` holds in clear (those of a request) for `module`'s place.
pub(crate) fn seal_secrets(
    sealer: &Sealer,
    community_id: &str,
    id: &str,
    config: &mut Map<String, Value>,
) -> Result<(), DomainError> {
    for field in SECRET_FIELDS {
        if let Some(Value::String(clear)) = config.get(field) {
            let sealed = sealer
                .seal(&[community_id, id, field], clear)
                .map_err(|e| DomainError::Store(StoreError::Unavailable(format!("sealing a credential: {e}"))))?;
            config.insert(field.to_owned(), Value::String(sealed));
        }
    }
    Ok(())
}

/// Opens the sealed credential `field` of `module`.
pub fn open_secret(
    sealer: &Sealer,
    module: &Module,
    field: &str,
    sealed: &str,
) -> Result<Zeroizing<String>, DomainError> {
    sealer.open(&[&module.community_id, &module.id, field], sealed).map_err(|e| {
        tracing::warn!(module = %module.id, field, reason = %e, "a stored credential does not open");
        DomainError::Invalid(format!(
            "the module's config.{field} cannot be read with this deployment's key: set it again (PATCH the module's config)"
        ))
    })
}
