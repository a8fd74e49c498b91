//! A community's SAML signing credential: an RSA 2048 key and a self-signed X.509 certificate
//! (SHA-256, ten years), made on first use. The private key is kept sealed by the deployment's
//! key, bound to the community; the certificate is public (the IdP metadata carries it, and the
//! service providers pin it).

use std::sync::Arc;

use async_trait::async_trait;
use kit::StoreError;
use kit::sealer::Sealer;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, RsaKeySize};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::domain::DomainError;

/// How long a community's certificate is valid (days).
pub const CERTIFICATE_DAYS: i64 = 3650;

/// A stored credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    pub community_id: String,
    pub tenant_id: String,
    /// The PKCS#8 PEM private key, sealed ([`Sealer`]).
    pub private_sealed: String,
    /// The certificate (PEM).
    pub certificate_pem: String,
    /// Epoch seconds.
    pub created_at: i64,
}

/// Where credentials are kept (`crate::store::SqlSamlKeys`).
#[async_trait]
pub trait SamlKeyStore: Send + Sync {
    /// The community's credential.
    async fn get(&self, community_id: &str) -> Result<Option<CredentialRecord>, StoreError>;
    /// Keeps `record` unless its community has one already (`false` then).
    async fn insert(&self, record: &CredentialRecord) -> Result<bool, StoreError>;
}

/// A credential ready to sign.
pub struct Credential {
    /// The PKCS#8 PEM private key.
    pub key_pem: Zeroizing<String>,
    /// The certificate (PEM).
    pub certificate_pem: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential").finish_non_exhaustive()
    }
}

impl Credential {
    /// The certificate as metadata and `KeyInfo` carry it: base64 DER, no PEM armour.
    pub fn certificate_base64(&self) -> String {
        self.certificate_pem.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect()
    }
}

fn internal(message: String) -> DomainError {
    DomainError::Store(StoreError::Corrupt(message))
}

const PURPOSE: &str = "saml-idp-key";

/// A new credential for the community named `name` (CPU-heavy: RSA key generation).
pub fn generate(
    sealer: &Sealer,
    tenant_id: &str,
    community_id: &str,
    name: &str,
    now: i64,
) -> Result<CredentialRecord, DomainError> {
    let failed = |what: &str, e: rcgen::Error| internal(format!("{what}: {e}"));
    let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_2048)
        .map_err(|e| failed("SAML key generation", e))?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| failed("SAML certificate", e))?;
    let mut dn = DistinguishedName::new();
    let common_name: String = format!("{name} SAML IdP").chars().take(64).collect();
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).map_err(|_| internal("SAML certificate: bad time".into()));
    params.not_before = at(now.saturating_sub(300))?;
    params.not_after = at(now.saturating_add(CERTIFICATE_DAYS * 86_400))?;
    let cert = params.self_signed(&key).map_err(|e| failed("SAML certificate signing", e))?;
    let key_pem = Zeroizing::new(key.serialize_pem());
    let private_sealed =
        sealer.seal(&[PURPOSE, community_id], &key_pem).map_err(|e| internal(format!("sealing a SAML key: {e}")))?;
    Ok(CredentialRecord {
        community_id: community_id.to_owned(),
        tenant_id: tenant_id.to_owned(),
        private_sealed,
        certificate_pem: cert.pem(),
        created_at: now,
    })
}

/// The credential of a stored record.
pub fn open(sealer: &Sealer, record: &CredentialRecord) -> Result<Credential, DomainError> {
    let key_pem = sealer
        .open(&[PURPOSE, &record.community_id], &record.private_sealed)
        .map_err(|e| internal(format!("saml_idp_keys.private_sealed: {e}")))?;
    Ok(Credential { key_pem, certificate_pem: record.certificate_pem.clone() })
}

/// The communities' credentials.
#[derive(Clone)]
pub struct Credentials {
    store: Arc<dyn SamlKeyStore>,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

impl Credentials {
    /// Credentials kept in `store`, sealed by `sealer`.
    pub fn new(store: Arc<dyn SamlKeyStore>, sealer: Arc<Sealer>) -> Self {
        Self { store, sealer }
    }

    /// The community's credential, made on first use (of two instances making it at once, the
    /// first stored wins and both use it).
    pub async fn of(&self, tenant_id: &str, community_id: &str, name: &str) -> Result<Credential, DomainError> {
        if let Some(found) = self.store.get(community_id).await? {
            return open(&self.sealer, &found);
        }
        let (sealer, t, c, n) = (self.sealer.clone(), tenant_id.to_owned(), community_id.to_owned(), name.to_owned());
        let now = envelope::wire::now_epoch();
        let record = tokio::task::spawn_blocking(move || generate(&sealer, &t, &c, &n, now))
            .await
            .map_err(|_| internal("SAML key generation stopped".into()))??;
        if self.store.insert(&record).await? {
            tracing::info!("SAML IdP signing credential made");
            return open(&self.sealer, &record);
        }
        let found = self.store.get(community_id).await?.ok_or_else(|| internal("saml_idp_keys: lost".into()))?;
        open(&self.sealer, &found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_is_sealed_for_its_community_and_its_certificate_parses() {
        let sealer = Sealer::from_key(&[3; 32]);
        let record = generate(&sealer, "t", "c", "default", 1_700_000_000).unwrap();
        assert!(!record.private_sealed.contains("PRIVATE KEY"));
        let credential = open(&sealer, &record).unwrap();
        assert!(credential.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, credential.certificate_base64())
            .unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert!(cert.subject().to_string().contains("default SAML IdP"));
        let moved = CredentialRecord { community_id: "other".into(), ..record };
        assert!(open(&sealer, &moved).is_err());
    }
}
