//! `POST /certificate/generate` over HTTP: an RSA and an ECDSA certificate parsed back with an
//! independent X.509 parser (subject, key type and size, validity, the key matching the
//! certificate), the plain preview refused (the reply holds a private key), bad sizes refused by
//! name, and the access rules.

use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{assert_error, bearer, call, call_plain, platform};
use kit::testing::Storage;

/// The certificate of a reply, parsed, with its public key's SubjectPublicKeyInfo DER.
fn check_pair(reply: &Value) -> (Vec<u8>, String, i64, i64, PublicKeyInfo) {
    let pem = reply["cert"].as_str().unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let cert = pem.parse_x509().unwrap();
    let cn = cert.subject().iter_common_name().next().unwrap().as_str().unwrap().to_owned();
    let key = rcgen::KeyPair::from_pem(reply["privateKey"].as_str().unwrap()).unwrap();
    assert_eq!(
        rcgen::PublicKeyData::subject_public_key_info(&key),
        cert.public_key().raw.to_vec(),
        "the private key is the certificate's"
    );
    assert_eq!(cert.subject(), cert.issuer(), "self-signed");
    let info = match cert.public_key().parsed().unwrap() {
        x509_parser::public_key::PublicKey::RSA(rsa) => PublicKeyInfo::Rsa(rsa.key_size()),
        x509_parser::public_key::PublicKey::EC(ec) => PublicKeyInfo::Ec(ec.key_size()),
        other => panic!("unexpected key {other:?}"),
    };
    let (from, to) = (cert.validity().not_before.timestamp(), cert.validity().not_after.timestamp());
    (pem.contents.clone(), cn, from, to, info)
}

#[derive(Debug, PartialEq)]
enum PublicKeyInfo {
    Rsa(usize),
    Ec(usize),
}

#[tokio::test]
async fn an_administrator_generates_certificates() {
    let Some(p) = platform(Storage::Embedded, "certificates", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());

    let rsa = json!({"keySize": 2048, "algorithm": "sha256", "expirationDays": 365,
        "commonName": "idp.acme.example.com", "organization": "Acme", "country": "us",
        "subjectAltNames": ["idp.acme.example.com"]});
    let before = envelope::wire::now_epoch();
    let (s, r) = call(url, Method::POST, "/certificate/generate", auth, Some(&rsa)).await;
    assert_eq!(s, 200, "{r}");
    let (der, cn, from, to, key) = check_pair(&r);
    assert_eq!((cn.as_str(), key), ("idp.acme.example.com", PublicKeyInfo::Rsa(2048)));
    assert!(from >= before - 1 && from <= envelope::wire::now_epoch(), "valid from now");
    assert_eq!(to - from, 365 * 86_400);
    assert_eq!((r["keySize"].as_u64(), r["algorithm"].as_str()), (Some(2048), Some("sha256")));
    let sha256: String = {
        use sha2::Digest as _;
        sha2::Sha256::digest(&der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
    };
    assert_eq!(r["fingerprints"]["sha256"].as_str(), Some(sha256.as_str()));
    let expires = chrono::DateTime::parse_from_rfc3339(r["expirationDate"].as_str().unwrap()).unwrap();
    assert_eq!(expires.timestamp(), to);

    let ec = json!({"keySize": 384, "algorithm": "ecdsa", "expirationDays": 1});
    let (s, r) = call(url, Method::POST, "/certificate/generate", auth, Some(&ec)).await;
    assert_eq!(s, 200, "{r}");
    let (_, cn, from, to, key) = check_pair(&r);
    assert_eq!((cn.as_str(), key, to - from), ("localhost", PublicKeyInfo::Ec(384), 86_400));

    // Refusals name the field.
    for (body, needle) in [
        (json!({"keySize": 1024, "algorithm": "sha256", "expirationDays": 365}), "keySize must be 2048, 3072 or 4096"),
        (json!({"keySize": 2048, "algorithm": "md5", "expirationDays": 365}), "algorithm must be"),
        (
            json!({"keySize": 2048, "algorithm": "sha256", "expirationDays": 3651}),
            "expirationDays must be from 1 to 3650",
        ),
        (json!({"keySize": 2048, "algorithm": "sha256"}), "expirationDays"),
    ] {
        let (s, r) = call(url, Method::POST, "/certificate/generate", auth, Some(&body)).await;
        assert_error(s, &r, 400, needle);
    }
    // The private key never goes out plain.
    let (s, r) = call_plain(url, Method::POST, "/certificate/generate", auth, &ec).await;
    assert_error(s, &r, 400, "never sent in the clear");
    assert!(r.get("privateKey").is_none());

    let (s, _) = call(url, Method::POST, "/certificate/generate", None, Some(&ec)).await;
    assert_eq!(s, 401);
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let (s, _) = call(url, Method::POST, "/certificate/generate", Some(&bob), Some(&ec)).await;
    assert_eq!(s, 403);
}
