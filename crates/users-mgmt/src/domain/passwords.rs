//! Password hashing: argon2id (the `argon2` crate) with OWASP's parameters by default
//! (`ARGON2_MEMORY_KIB` 19456, `ARGON2_ITERATIONS` 2, `ARGON2_PARALLELISM` 1), on a blocking
//! thread so a hash never stalls the HTTP workers. Hashes are PHC strings that carry their own
//! parameters, so changing the settings affects new hashes only.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use kit::config::{ConfigError, Settings};
use kit::{DomainError, StoreError};

/// Hashes and verifies passwords with the configured parameters.
#[derive(Debug, Clone)]
pub struct Hasher {
    params: Params,
}

impl Hasher {
    /// From the settings (see the module doc).
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let memory = settings.parse_var("ARGON2_MEMORY_KIB", 19_456u32)?;
        let iterations = settings.parse_var("ARGON2_ITERATIONS", 2u32)?;
        let parallelism = settings.parse_var("ARGON2_PARALLELISM", 1u32)?;
        let params = Params::new(memory, iterations, parallelism, None)
            .map_err(|e| ConfigError(format!("ARGON2_MEMORY_KIB / ARGON2_ITERATIONS / ARGON2_PARALLELISM: {e}")))?;
        Ok(Self { params })
    }

    /// The parameters of new hashes.
    pub fn params(&self) -> &Params {
        &self.params
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string of `password` with a fresh random salt.
    pub async fn hash(&self, password: String) -> Result<String, DomainError> {
        let argon2 = self.argon2();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _in = span.enter();
            argon2.hash_password(password.as_bytes()).map(|h| h.to_string())
        })
        .await
        .map_err(|e| internal(format!("password hashing task: {e}")))?
        .map_err(|e| internal(format!("password hashing: {e}")))
    }

    /// Whether `password` matches the PHC string `stored`, in constant time.
    pub async fn verify(&self, password: String, stored: String) -> Result<bool, DomainError> {
        let argon2 = self.argon2();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _in = span.enter();
            let parsed = PasswordHash::new(&stored).map_err(|e| internal(format!("stored password hash: {e}")))?;
            Ok(argon2.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(|e| internal(format!("password verification task: {e}")))?
    }
}

fn internal(cause: String) -> DomainError {
    DomainError::Store(StoreError::Corrupt(cause))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> Hasher {
        Hasher { params: Params::new(1024, 1, 1, None).unwrap() }
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only_and_is_salted() {
        let h = fast();
        let a = h.hash("Correct#Horse42".into()).await.unwrap();
        let b = h.hash("Correct#Horse42".into()).await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(h.verify("Correct#Horse42".into(), a.clone()).await.unwrap());
        assert!(!h.verify("correct#horse42".into(), a).await.unwrap());
    }

    #[test]
    fn the_defaults_are_owasps() {
        let settings = kit::Settings::from_source(&std::collections::BTreeMap::new(), "users-mgmt", 0).unwrap();
        let p = Hasher::from_settings(&settings).unwrap().params().clone();
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19_456, 2, 1));
    }
}
