//! SCEP enrollment (RFC 8894) of a user's certificate at the SCEP server an auth module names
//! (`config.scepenabled`, `scepurl`, `challengeurl`): `GetCACert`, a fresh RSA-2048 key pair and
//! its CSR (subject `CN=<username>`, the challenge password fetched from `challengeurl` when one
//! is set), a PKCSReq enveloped for the CA and signed by a transient self-signed certificate,
//! `PKIOperation` by POST, and the CertRep checked ([`message::cert_rep`]) and opened. The
//! credentials are the certificate, the private key (PKCS#8) and the public key (SPKI), DER in
//! base64. RustCrypto throughout (`rsa`, `x509-cert`, `cms`); nothing is stored.

pub mod message;

use std::str::FromStr as _;

use der::Encode as _;
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
use serde_json::{Map, Value};
use sha2::Digest as _;
use x509_cert::Certificate;
use x509_cert::builder::{Builder as _, CertificateBuilder, RequestBuilder};
use x509_cert::ext::pkix::name::DirectoryString;
use x509_cert::name::Name;
use x509_cert::request::attributes::ChallengePassword;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;
use zeroize::Zeroizing;

/// Why an enrollment failed.
#[derive(Debug, thiserror::Error)]
pub enum ScepError {
    /// The module is not set up for SCEP (a 400).
    #[error("{0}")]
    NotConfigured(String),
    /// The server cannot be reached (a 503).
    #[error("{0}")]
    Unreachable(String),
    /// The server answered something that is not SCEP, or not to us (a 502).
    #[error("{0}")]
    Server(String),
    /// The server refused or left the request pending (a 502 saying so).
    #[error("{0}")]
    Refused(String),
    /// Building a message failed (a 500).
    #[error("{0}")]
    Internal(String),
}

/// Where the SCEP server of a module is.
#[derive(Debug, Clone)]
pub struct Server {
    pub url: url::Url,
    pub challenge_url: Option<url::Url>,
}

impl Server {
    /// The SCEP server of a module's config: `scepenabled` must be true and `scepurl` an http(s) URL.
    pub fn of(config: &Map<String, Value>) -> Result<Self, ScepError> {
        let on = match config.get("scepenabled") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        };
        if !on {
            return Err(ScepError::NotConfigured("the auth module does not have scepenabled".into()));
        }
        let parse = |field: &str| -> Result<Option<url::Url>, ScepError> {
            match config.get(field).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(text) => {
                    url::Url::parse(text).ok().filter(|u| matches!(u.scheme(), "http" | "https")).map(Some).ok_or_else(
                        || ScepError::NotConfigured(format!("the auth module's config.{field} must be an http(s) URL")),
                    )
                }
            }
        };
        let url = parse("scepurl")?
            .ok_or_else(|| ScepError::NotConfigured("the auth module's config.scepurl is required for SCEP".into()))?;
        Ok(Self { url, challenge_url: parse("challengeurl")? })
    }
}

/// A user's new certificate and key pair (DER).
pub struct Credentials {
    pub certificate: Vec<u8>,
    pub private_key: Zeroizing<Vec<u8>>,
    pub public_key: Vec<u8>,
}

fn internal(e: impl std::fmt::Display) -> ScepError {
    ScepError::Internal(e.to_string())
}

fn unreachable(e: &reqwest::Error) -> ScepError {
    tracing::warn!(reason = %e, "the SCEP server cannot be reached");
    ScepError::Unreachable("the SCEP server cannot be reached".into())
}

fn operation(url: &url::Url, op: &str) -> url::Url {
    let mut url = url.clone();
    url.query_pairs_mut().append_pair("operation", op);
    url
}

/// The challenge password at `url`: the page's text (an NDES admin page: the bold value).
async fn challenge(http: &reqwest::Client, url: &url::Url) -> Result<String, ScepError> {
    let body = http.get(url.clone()).send().await.map_err(|e| unreachable(&e))?;
    if !body.status().is_success() {
        return Err(ScepError::Server(format!("the challenge URL answered {}", body.status().as_u16())));
    }
    let text = body.text().await.map_err(|e| unreachable(&e))?;
    let lower = text.to_ascii_lowercase();
    let value = match (lower.find("<b>"), lower.find("</b>")) {
        (Some(a), Some(b)) if b > a + 3 => &text[a + 3..b],
        _ => text.as_str(),
    };
    let value = value.trim();
    if value.is_empty() || value.len() > 255 {
        return Err(ScepError::Server("the challenge URL gave no challenge password".into()));
    }
    Ok(value.to_owned())
}

/// A CN with the RFC 4514 specials escaped.
fn common_name(username: &str) -> Result<Name, ScepError> {
    let mut escaped = String::new();
    for (i, c) in username.chars().enumerate() {
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') || (i == 0 && matches!(c, '#' | ' ')) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    Name::from_str(&format!("CN={escaped}"))
        .map_err(|_| ScepError::NotConfigured("username cannot be a certificate subject".into()))
}

/// The builder profile of the transient self-signed certificate that signs the request.
struct SelfSigned(Name);

impl x509_cert::builder::profile::BuilderProfile for SelfSigned {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.0.clone()
    }

    fn build_extensions(
        &self,
        _: x509_cert::spki::SubjectPublicKeyInfoRef<'_>,
        _: x509_cert::spki::SubjectPublicKeyInfoRef<'_>,
        _: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<x509_cert::ext::Extension>> {
        Ok(Vec::new())
    }
}

/// Enrolls `username` at `server`.
pub async fn enroll(http: &reqwest::Client, server: &Server, username: &str) -> Result<Credentials, ScepError> {
    let ca = http.get(operation(&server.url, "GetCACert")).send().await.map_err(|e| unreachable(&e))?;
    if !ca.status().is_success() {
        return Err(ScepError::Server(format!("GetCACert answered {}", ca.status().as_u16())));
    }
    let ca = ca.bytes().await.map_err(|e| unreachable(&e))?;
    let trusted = message::ca_certificates(&ca)?;
    // An RA certificate (not self-issued) takes the request when there is one, else the CA's.
    let recipient = trusted
        .iter()
        .find(|c| c.tbs_certificate().issuer() != c.tbs_certificate().subject())
        .or_else(|| trusted.first())
        .ok_or_else(|| ScepError::Server("GetCACert holds no certificate".into()))?
        .clone();
    let password = match &server.challenge_url {
        Some(url) => Some(challenge(http, url).await?),
        None => None,
    };
    let key =
        tokio::task::spawn_blocking(|| rsa::RsaPrivateKey::new(&mut rand_core::UnwrapErr(getrandom::SysRng), 2048))
            .await
            .map_err(internal)?
            .map_err(internal)?;
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
    let subject = common_name(username)?;
    let mut request = RequestBuilder::new(subject.clone()).map_err(internal)?;
    if let Some(p) = password {
        request.add_attribute(&ChallengePassword(DirectoryString::Utf8String(p))).map_err(internal)?;
    }
    let csr = request.build::<_, rsa::pkcs1v15::Signature>(&signer).map_err(internal)?;
    let csr_der = csr.to_der().map_err(internal)?;
    let public_key = rsa::RsaPublicKey::from(&key).to_public_key_der().map_err(internal)?.into_vec();
    let spki = SubjectPublicKeyInfoOwned::try_from(public_key.as_slice()).map_err(internal)?;
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(internal)?;
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    let validity = Validity::from_now(std::time::Duration::from_secs(3600)).map_err(internal)?;
    let signer_cert: Certificate =
        CertificateBuilder::new(SelfSigned(subject), SerialNumber::new(&serial).map_err(internal)?, validity, spki)
            .map_err(internal)?
            .build::<_, rsa::pkcs1v15::Signature>(&signer)
            .map_err(internal)?;
    let transaction_id = hex::encode(sha2::Sha256::digest(&public_key));
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(internal)?;
    let req = message::Request {
        csr_der: &csr_der,
        recipient: &recipient,
        signer: &signer,
        signer_cert: &signer_cert,
        transaction_id: &transaction_id,
        nonce: &nonce,
    };
    let body = message::pkcs_req(&req)?;
    let reply = http
        .post(operation(&server.url, "PKIOperation"))
        .header(reqwest::header::CONTENT_TYPE, "application/x-pki-message")
        .body(body)
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    if !reply.status().is_success() {
        return Err(ScepError::Server(format!("PKIOperation answered {}", reply.status().as_u16())));
    }
    let reply = reply.bytes().await.map_err(|e| unreachable(&e))?;
    let certificate = message::cert_rep(&reply, &trusted, &nonce, &key)?;
    Ok(Credentials {
        certificate: certificate.to_der().map_err(internal)?,
        private_key: Zeroizing::new(key.to_pkcs8_der().map_err(internal)?.as_bytes().to_vec()),
        public_key,
    })
}
