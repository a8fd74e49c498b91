//! Self-signed certificates made on request (`POST /certificate/generate`): a fresh key pair
//! (RSA 2048/3072/4096 signed with SHA-256/384/512, or ECDSA P-256/P-384) and an X.509 v3
//! certificate for it, with the subject the caller names, valid from now for a bounded number of
//! days. Nothing is stored: the key exists only in the reply (which the route seals).
//!
//! Keys come from rcgen's aws-lc-rs backend (RSA generation included; no OpenSSL).

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, RsaKeySize, SignatureAlgorithm};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use super::DomainError;

/// The longest validity, in days (10 years).
pub const MAX_DAYS: u32 = 3650;
/// The longest subject field (X.520's upper bound for a common name).
const MAX_NAME: usize = 64;
/// The most subject alternative names.
const MAX_ALT_NAMES: usize = 20;

/// What to make: the spec's `keySize`, `algorithm` and `expirationDays`, and the subject.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CertificateRequest {
    /// RSA: 2048, 3072 or 4096 bits; ECDSA: 256 (P-256) or 384 (P-384).
    pub key_size: u32,
    /// `sha256`, `sha384` or `sha512` (an RSA key signed with that digest), or `ecdsa`.
    pub algorithm: String,
    /// Validity from now, 1 to 3650 days.
    pub expiration_days: u32,
    /// The subject's CN (default `localhost`); at most 64 characters, as the other names.
    pub common_name: Option<String>,
    pub organization: Option<String>,
    pub organizational_unit: Option<String>,
    /// Two letters (ISO 3166).
    pub country: Option<String>,
    pub state: Option<String>,
    pub locality: Option<String>,
    /// DNS names or IP addresses (at most 20).
    #[serde(default)]
    pub subject_alt_names: Vec<String>,
}

/// The key and signature of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa { bits: u32, alg: &'static SignatureAlgorithm },
    Ec { alg: &'static SignatureAlgorithm },
}

/// The made certificate, as the spec's reply.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedCertificate {
    /// PEM `CERTIFICATE`.
    pub cert: String,
    /// PEM PKCS#8 `PRIVATE KEY`.
    pub private_key: String,
    /// Of the certificate's DER, as uppercase hex pairs joined by `:` (as `openssl x509 -fingerprint`).
    pub fingerprints: Fingerprints,
    pub key_size: u32,
    pub algorithm: String,
    /// RFC 3339.
    pub expiration_date: String,
}

impl std::fmt::Debug for GeneratedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedCertificate").field("fingerprints", &self.fingerprints).finish_non_exhaustive()
    }
}

/// The certificate's fingerprints.
#[derive(Debug, Serialize, ToSchema)]
pub struct Fingerprints {
    pub sha1: String,
    pub sha256: String,
    pub sha384: String,
    pub sha512: String,
}

/// The key kind of `algorithm` and `key_size`, or the 400 naming what is allowed.
pub fn key_kind(algorithm: &str, key_size: u32) -> Result<KeyKind, DomainError> {
    let rsa = |alg| match key_size {
        2048 | 3072 | 4096 => Ok(KeyKind::Rsa { bits: key_size, alg }),
        _ => Err(DomainError::Invalid("keySize must be 2048, 3072 or 4096 for an RSA algorithm".into())),
    };
    match algorithm.to_ascii_lowercase().as_str() {
        "sha256" => rsa(&rcgen::PKCS_RSA_SHA256),
        "sha384" => rsa(&rcgen::PKCS_RSA_SHA384),
        "sha512" => rsa(&rcgen::PKCS_RSA_SHA512),
        "ecdsa" => match key_size {
            256 => Ok(KeyKind::Ec { alg: &rcgen::PKCS_ECDSA_P256_SHA256 }),
            384 => Ok(KeyKind::Ec { alg: &rcgen::PKCS_ECDSA_P384_SHA384 }),
            _ => Err(DomainError::Invalid("keySize must be 256 or 384 for ecdsa".into())),
        },
        _ => Err(DomainError::Invalid("algorithm must be sha256, sha384, sha512 or ecdsa".into())),
    }
}

fn name(field: &str, value: Option<&String>) -> Result<Option<String>, DomainError> {
    let Some(v) = value.map(|v| v.trim()).filter(|v| !v.is_empty()) else { return Ok(None) };
    if v.chars().count() > MAX_NAME || v.chars().any(char::is_control) {
        return Err(DomainError::Invalid(format!("{field} must be at most {MAX_NAME} printable characters")));
    }
    Ok(Some(v.to_owned()))
}

/// The certificate's parameters from the request, checked; refuses (400) naming the field.
pub fn params(r: &CertificateRequest, now: i64) -> Result<(KeyKind, CertificateParams), DomainError> {
    let kind = key_kind(&r.algorithm, r.key_size)?;
    if r.expiration_days == 0 || r.expiration_days > MAX_DAYS {
        return Err(DomainError::Invalid(format!("expirationDays must be from 1 to {MAX_DAYS}")));
    }
    if r.subject_alt_names.len() > MAX_ALT_NAMES {
        return Err(DomainError::Invalid(format!("subjectAltNames must hold at most {MAX_ALT_NAMES} names")));
    }
    let mut params = CertificateParams::new(r.subject_alt_names.clone())
        .map_err(|_| DomainError::Invalid("subjectAltNames must be DNS names or IP addresses".into()))?;
    let mut dn = DistinguishedName::new();
    let cn = name("commonName", r.common_name.as_ref())?.unwrap_or_else(|| "localhost".to_owned());
    dn.push(DnType::CommonName, cn);
    for (field, value, ty) in [
        ("organization", &r.organization, DnType::OrganizationName),
        ("organizationalUnit", &r.organizational_unit, DnType::OrganizationalUnitName),
        ("state", &r.state, DnType::StateOrProvinceName),
        ("locality", &r.locality, DnType::LocalityName),
    ] {
        if let Some(v) = name(field, value.as_ref())? {
            dn.push(ty, v);
        }
    }
    if let Some(c) = name("country", r.country.as_ref())? {
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(DomainError::Invalid("country must be two letters".into()));
        }
        dn.push(DnType::CountryName, c.to_ascii_uppercase());
    }
    params.distinguished_name = dn;
    let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).map_err(|_| DomainError::Invalid("bad time".into()));
    params.not_before = at(now)?;
    params.not_after = at(now + i64::from(r.expiration_days) * 86_400)?;
    Ok((kind, params))
}

/// Makes the key and the self-signed certificate (CPU-heavy for RSA: run it on a blocking thread).
pub fn generate(r: &CertificateRequest, now: i64) -> Result<GeneratedCertificate, DomainError> {
    let (kind, params) = params(r, now)?;
    let failed = |what: &str, e: rcgen::Error| DomainError::Store(kit::StoreError::Corrupt(format!("{what}: {e}")));
    let key = match kind {
        KeyKind::Rsa { bits, alg } => {
            let size = match bits {
                2048 => RsaKeySize::_2048,
                3072 => RsaKeySize::_3072,
                _ => RsaKeySize::_4096,
            };
            KeyPair::generate_rsa_for(alg, size)
        }
        KeyKind::Ec { alg } => KeyPair::generate_for(alg),
    }
    .map_err(|e| failed("key generation", e))?;
    let cert = params.self_signed(&key).map_err(|e| failed("certificate signing", e))?;
    let der: &[u8] = cert.der();
    let expiration_date = params.not_after.format(&Rfc3339).map_err(|_| DomainError::Invalid("bad time".into()))?;
    Ok(GeneratedCertificate {
        cert: cert.pem(),
        private_key: key.serialize_pem(),
        fingerprints: Fingerprints {
            sha1: colon_hex(&Sha1::digest(der)),
            sha256: colon_hex(&Sha256::digest(der)),
            sha384: colon_hex(&Sha384::digest(der)),
            sha512: colon_hex(&Sha512::digest(der)),
        },
        key_size: r.key_size,
        algorithm: r.algorithm.to_ascii_lowercase(),
        expiration_date,
    })
}

/// `AB:CD:…`.
fn colon_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(algorithm: &str, key_size: u32, days: u32) -> CertificateRequest {
        serde_json::from_value(serde_json::json!({"algorithm": algorithm, "keySize": key_size, "expirationDays": days}))
            .unwrap()
    }

    #[test]
    fn algorithms_and_sizes_are_bounded() {
        assert!(matches!(key_kind("SHA256", 3072), Ok(KeyKind::Rsa { bits: 3072, .. })));
        assert!(matches!(key_kind("ecdsa", 384), Ok(KeyKind::Ec { .. })));
        for (alg, size) in [("sha256", 1024), ("sha1", 2048), ("ecdsa", 521), ("md5", 2048)] {
            assert!(matches!(key_kind(alg, size), Err(DomainError::Invalid(_))), "{alg} {size}");
        }
        assert!(params(&request("sha256", 2048, 0), 0).is_err());
        assert!(params(&request("sha256", 2048, MAX_DAYS + 1), 0).is_err());
        let mut r = request("ecdsa", 256, 1);
        r.country = Some("USA".into());
        assert!(matches!(params(&r, 0), Err(DomainError::Invalid(m)) if m == "country must be two letters"));
    }

    #[test]
    fn an_ec_certificate_is_made() {
        let g = generate(&request("ecdsa", 256, 30), 1_700_000_000).unwrap();
        assert!(g.cert.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(g.private_key.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(g.fingerprints.sha256.len(), 32 * 3 - 1);
        assert_eq!(g.expiration_date, "2023-12-14T22:13:20Z");
    }
}
