//! The catalog group Certificate: `POST /certificate/generate`, a self-signed certificate and its
//! private key made on request ([`crate::domain::certificates`]). The reply holds the private
//! key, so it is always sealed for the caller: the plain preview is refused.

use actix_web::HttpResponse;
use envelope::{ApiError, Body};
use kit::openapi::{ErrorBody, SealedBody};
use kit::{AppResult, Endpoint, endpoint};

use crate::domain::certificates::{self, CertificateRequest};
use crate::session::{AdminSession, Administrator};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(generate)]
}

/// Generate certificate and private key.
///
/// A fresh key pair and a self-signed X.509 certificate for it. `algorithm` `sha256`, `sha384` or
/// `sha512` makes an RSA key of `keySize` 2048, 3072 or 4096 bits signed with that digest;
/// `ecdsa` makes a P-256 (`keySize` 256) or P-384 (384) key. `expirationDays` 1 to 3650. Optional
/// subject: `commonName` (default `localhost`), `organization`, `organizationalUnit`, `country`
/// (two letters), `state`, `locality`, `subjectAltNames` (DNS names or IPs). The reply
/// (`cert`, `privateKey` as PKCS#8 PEM, `fingerprints`, `keySize`, `algorithm`,
/// `expirationDate`) is always sealed: a plain request is refused (400) because the private key
/// never goes out in the clear. Administrators.
#[utoipa::path(
    post,
    path = "/certificate/generate",
    request_body(content = SealedBody, description = "`{\"data\": \"<encrypted CertificateRequest>\"}` only"),
    responses(
        (status = 200, description = "The certificate and its key, sealed", body = SealedBody),
        (status = 400, description = "A plain body, or a bad algorithm, size, validity or subject field", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn generate(admin: AdminSession<Administrator>, body: Body<CertificateRequest>) -> AppResult<HttpResponse> {
    let Body { value: request, encrypted } = body;
    if !encrypted {
        return Err(ApiError::bad_request(
            "the body must be sealed ({\"data\": \"<encrypted JSON>\"}): the reply holds a private key, never sent in the clear",
        )
        .into());
    }
    let now = envelope::wire::now_epoch();
    // RSA key generation takes up to seconds: off the async workers.
    let made = tokio::task::spawn_blocking(move || certificates::generate(&request, now))
        .await
        .map_err(kit::AppError::internal)??;
    tracing::info!(key_size = made.key_size, algorithm = %made.algorithm, "certificate generated");
    Ok(admin.caller.reply(&made)?)
}
