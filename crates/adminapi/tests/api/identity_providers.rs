//! The Identity Providers and External Idp groups over HTTP: a community administrator creates,
//! fetches, updates and deletes providers (sealed and plain preview); one of each type per
//! community (409 on a second, by create and by update); the rules refuse what they must, naming
//! the field; a user who is not an administrator, a call without a login and another community
//! are refused; an OIDC client secret is sealed, kept by an update that leaves it out, opened
//! only by the platform's own flows and never seen in the database file or a reply; and the
//! store keeps one contract on SQLite and PostgreSQL.

use std::sync::Arc;

use adminapi::domain::identity_providers::{Kind, Providers};
use adminapi::domain::secrets::Sealer;
use adminapi::domain::tenancy;
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, call_plain, platform, uid_of};
use crate::secret_store::{contains, database_bytes};
use kit::testing::Storage;

const SECRET: &str = "Oidc-Client-Secret-7d1e90";

/// A self-signed certificate of an IdP, PEM.
pub fn idp_certificate() -> String {
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
    let params = rcgen::CertificateParams::new(vec!["idp.example.org".to_owned()]).unwrap();
    params.self_signed(&key).unwrap().pem()
}

/// The platform's providers of `kind` as its own flows see them.
fn providers_of(p: &Platform, kind: Kind) -> Providers {
    let env = std::collections::BTreeMap::from([("DATA_DIR".to_owned(), p.data_dir.clone())]);
    let settings = kit::Settings::from_source(&env, adminapi::SERVICE, 0).unwrap();
    let store = match kind {
        Kind::Idp => p.stores.identity_providers.clone(),
        Kind::External => p.stores.external_idps.clone(),
    };
    Providers::new(kind, store, Arc::new(Sealer::from_settings(&settings).unwrap()))
}

fn with(base: &Value, extra: Value) -> Value {
    let mut body = base.clone();
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    body
}

/// Runs the group at `prefix` (`/idp`, `/external_idp`) through its rules on `storage`.
async fn a_group(storage: Storage, prefix: &str, kind: Kind) {
    let Some(p) = platform(storage, "identity providers", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let ids = json!({"tenantId": p.tenant, "communityId": p.community});
    let fetch = format!("{prefix}/fetch");
    let cert = idp_certificate();
    let saml = json!({"type": "saml", "name": "Corporate ADFS", "entityId": "https://idp.example.org/adfs",
        "ssoUrl": "https://idp.example.org/adfs/ls", "certificate": cert, "provisionUsers": true});
    let oidc = json!({"type": "oidc", "name": "Okta", "issuer": "https://corp.okta.example",
        "clientId": "0oa1bc", "clientSecret": SECRET, "authorizationUrl": "https://corp.okta.example/authorize",
        "tokenUrl": "https://corp.okta.example/token"});

    let (s, r) = call(url, Method::POST, &fetch, auth, Some(&ids)).await;
    assert_eq!((s, r), (200, json!([])));
    let before = envelope::wire::now_epoch();
    let (s, made) = call(url, Method::PUT, prefix, auth, Some(&saml)).await;
    assert_eq!(s, 200, "{made}");
    let id = made["id"].as_str().unwrap().to_owned();
    let ts = made["createdTs"].as_i64().unwrap();
    assert!(ts >= before && kit::ids::object_id("id", &id).is_ok(), "{made}");
    let jane_uid = uid_of(&p, "jane").await;
    assert_eq!(
        made,
        json!({"id": id, "tenantId": p.tenant, "communityId": p.community, "type": "saml", "name": "Corporate ADFS",
            "enabled": true, "provisionUsers": true, "entityId": "https://idp.example.org/adfs",
            "ssoUrl": "https://idp.example.org/adfs/ls", "certificate": cert.trim(), "clientSecretSet": false,
            "createdBy": jane_uid, "createdTs": ts, "updatedBy": jane_uid, "updatedTs": ts})
    );
    // One of each type per community.
    let (s, r) = call(url, Method::PUT, prefix, auth, Some(&with(&saml, json!({"name": "Second"})))).await;
    assert_error(s, &r, 409, "already has an");
    let (s, o) = call_plain(url, Method::PUT, prefix, auth, &oidc).await;
    assert_eq!((s, o["clientSecretSet"].as_bool(), o.get("clientSecret")), (200, Some(true), None), "{o}");
    assert_eq!(o["scopes"], json!(["openid", "email", "profile"]));
    let oidc_id = o["id"].as_str().unwrap().to_owned();
    assert!(!o.to_string().contains(SECRET));

    // The rules, naming the field and never echoing a value.
    let (s, r) = call(url, Method::DELETE, &format!("{prefix}/{oidc_id}"), auth, Some(&json!({}))).await;
    assert_eq!(s, 204, "{r}");
    for (extra, message) in [
        (json!({"type": "ldap"}), "type must be one of saml, oidc"),
        (json!({"name": " "}), "name must be 1 to 100"),
        (json!({"issuer": "ftp://corp.okta.example"}), "issuer must be an http(s) URL"),
        (json!({"tokenUrl": "not a url"}), "tokenUrl must be an http(s) URL"),
        (json!({"clientSecret": "short"}), "clientSecret must be 8 to 512"),
        (json!({"scopes": ["email"]}), "scopes must be up to 32 scope tokens including openid"),
        (json!({"certificate": cert}), "certificate is not a field of a oidc provider"),
        (json!({"note": "x"}), "unknown field"),
    ] {
        let (s, r) = call(url, Method::PUT, prefix, auth, Some(&with(&oidc, extra.clone()))).await;
        assert_error(s, &r, 400, message);
        assert!(!r.to_string().contains(SECRET), "{r}");
    }
    let mut no_secret = oidc.clone();
    no_secret.as_object_mut().unwrap().remove("clientSecret");
    let (s, r) = call(url, Method::PUT, prefix, auth, Some(&no_secret)).await;
    assert_error(s, &r, 400, "clientSecret is required for an oidc provider");
    let garbled = "-----BEGIN CERTIFICATE-----\nMIIBbm90IGEgY2VydA==\n-----END CERTIFICATE-----";
    for (extra, message) in [
        (json!({"certificate": garbled}), "certificate must be a PEM X.509 certificate"),
        (json!({"ssoUrl": "javascript:alert(1)"}), "ssoUrl must be an http(s) URL"),
        (json!({"clientId": "x"}), "clientId is not a field of a saml provider"),
    ] {
        let (s, r) = call(url, Method::PATCH, &format!("{prefix}/{id}"), auth, Some(&extra)).await;
        assert_error(s, &r, 400, message);
    }
    let mut no_cert = saml.clone();
    no_cert.as_object_mut().unwrap().remove("certificate");
    let (s, r) = call(url, Method::PUT, prefix, auth, Some(&no_cert)).await;
    assert_error(s, &r, 400, "certificate is required for a saml provider");

    // Update: the fields given; a secret left out is kept; another type when it is free.
    let flows = providers_of(&p, kind);
    let (s, o) = call(url, Method::PUT, prefix, auth, Some(&oidc)).await;
    assert_eq!(s, 200, "{o}");
    let oidc_id = o["id"].as_str().unwrap().to_owned();
    let (s, r) =
        call(url, Method::PATCH, &format!("{prefix}/{oidc_id}"), auth, Some(&json!({"name": "Okta SSO"}))).await;
    assert_eq!((s, r["name"].as_str(), r["clientSecretSet"].as_bool()), (200, Some("Okta SSO"), Some(true)), "{r}");
    assert_eq!(flows.client_secret(&p.community, &oidc_id).await.unwrap().unwrap().as_str(), SECRET);
    let rotated = json!({"clientSecret": "Rotated-Secret-2024-#x"});
    assert_eq!(call(url, Method::PATCH, &format!("{prefix}/{oidc_id}"), auth, Some(&rotated)).await.0, 200);
    assert_eq!(flows.client_secret(&p.community, &oidc_id).await.unwrap().unwrap().as_str(), "Rotated-Secret-2024-#x");
    let (s, r) = call(
        url,
        Method::PATCH,
        &format!("{prefix}/{oidc_id}"),
        auth,
        Some(&json!({"type": "saml",
        "entityId": "e", "ssoUrl": "https://x.example", "certificate": cert})),
    )
    .await;
    assert_error(s, &r, 409, "already has an");
    let (s, r) = call(url, Method::PATCH, &format!("{prefix}/{}", "0".repeat(24)), auth, Some(&json!({}))).await;
    assert_error(s, &r, 404, "the community has no");
    let (s, r) = call(url, Method::PATCH, &format!("{prefix}/not-an-id"), auth, Some(&json!({}))).await;
    assert_error(s, &r, 400, "id");

    // Fetch: all, or some; sealed and plain alike; never a secret.
    let (s, list) = call(url, Method::POST, &fetch, auth, Some(&ids)).await;
    assert_eq!(s, 200, "{list}");
    let got: Vec<&str> = list.as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(got, [id.as_str(), oidc_id.as_str()]);
    assert!(!list.to_string().contains("Rotated-Secret"));
    let only = match kind {
        Kind::Idp => with(&ids, json!({"type": "oidc"})),
        Kind::External => with(&ids, json!({"ids": [oidc_id, "0".repeat(24)]})),
    };
    let (s, one) = call_plain(url, Method::POST, &fetch, auth, &only).await;
    assert_eq!((s, one.as_array().map(Vec::len), one[0]["id"].as_str()), (200, Some(1), Some(oidc_id.as_str())));
    if storage == Storage::Embedded {
        let bytes = database_bytes(&p.data_dir);
        assert!(!contains(&bytes, SECRET) && !contains(&bytes, "Rotated-Secret-2024"));
    }

    // Who may: an administrator of the community, logged in.
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let (s, r) = call(url, Method::POST, &fetch, Some(&bob), Some(&ids)).await;
    assert_error(s, &r, 403, "may not call this endpoint");
    let (s, r) = call(url, Method::PUT, prefix, Some(&bob), Some(&oidc)).await;
    assert_error(s, &r, 403, "may not call this endpoint");
    assert_eq!(call(url, Method::POST, &fetch, None, Some(&ids)).await.0, 401);
    let other = tenancy::create_community(&*p.stores.tenancy, &p.tenant, "partners").await.unwrap();
    let elsewhere = json!({"tenantId": p.tenant, "communityId": other.id});
    let (s, r) = call(url, Method::POST, &fetch, auth, Some(&elsewhere)).await;
    assert_error(s, &r, 403, "may not act in this community");
    let (s, r) = call(url, Method::DELETE, &format!("{prefix}/{id}"), auth, Some(&elsewhere)).await;
    assert_error(s, &r, 403, "may not act in this community");

    // Delete: once, then 404; the secret goes with it.
    let (s, _) = call(url, Method::DELETE, &format!("{prefix}/{oidc_id}"), auth, Some(&json!({}))).await;
    assert_eq!(s, 204);
    let (s, r) = call(url, Method::DELETE, &format!("{prefix}/{oidc_id}"), auth, Some(&json!({}))).await;
    assert_error(s, &r, 404, "the community has no");
    assert!(flows.client_secret(&p.community, &oidc_id).await.is_err());

    // Every write in the audit log, by field names.
    let changes = p.stores.audit.changes(&p.community, 100).await.unwrap();
    let record = kind.record_kind();
    let mine: Vec<(&str, &str)> = changes
        .iter()
        .filter(|c| c.kind == record && c.record == oidc_id)
        .map(|c| (c.action.as_str(), c.fields.join(",").leak() as &str))
        .rev()
        .collect();
    assert_eq!(
        mine,
        [
            (
                "create",
                "authorizationUrl,clientId,clientSecret,enabled,issuer,name,provisionUsers,scopes,tokenUrl,type"
            ),
            ("update", "name"),
            ("update", "clientSecret"),
            ("delete", ""),
        ]
    );
    assert!(changes.iter().filter(|c| c.kind == record).all(|c| c.actor == jane_uid));
}

#[tokio::test]
async fn an_administrator_manages_identity_providers() {
    a_group(Storage::Embedded, "/idp", Kind::Idp).await;
}

#[tokio::test]
async fn an_administrator_manages_external_idps() {
    a_group(Storage::Embedded, "/external_idp", Kind::External).await;
}

#[tokio::test]
async fn external_idps_on_postgresql() {
    a_group(Storage::Postgres, "/external_idp", Kind::External).await;
}
