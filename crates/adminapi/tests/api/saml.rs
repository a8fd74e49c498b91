//! The SAML 2.0 identity provider driven by an independent service provider: OneLogin's
//! python3-saml (`tests/peers/saml_sp.py`, the Debian package `python3-onelogin-saml2`) signs
//! an AuthnRequest, the test follows it to adminapi's SSO endpoint as a browser would, signs the
//! user in on the login page (`POST /saml/sso`) and posts the response to the SP, which accepts
//! the signed assertion; `xmlsec1 --verify` accepts the response and the assertion with the
//! certificate of the IdP metadata. Refused: a tampered assertion, another audience, an expired
//! assertion, a response to another request (a replayed `InResponseTo`), a replayed or unsigned
//! AuthnRequest, a second completion. Also the HTTP-POST binding and IdP-initiated logins.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, bearer, call, platform};
use kit::testing::Storage;

pub(crate) const LOGIN_PAGE: &str = "https://login.example.com/saml";
pub(crate) const SP_ENTITY: &str = "https://sp.example.com/metadata";
pub(crate) const SP_ACS: &str = "https://sp.example.com/acs";
pub(crate) const PYTHON: &str = "/usr/bin/python3";
pub(crate) const NEEDS: &str = "run scripts/install-test-deps.sh (python3-onelogin-saml2, xmlsec1)";

pub(crate) fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// The SP's key and certificate (PEM).
pub(crate) fn sp_credentials() -> (String, String) {
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
    let params = rcgen::CertificateParams::new(vec!["sp.example.com".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    (key.serialize_pem(), cert.pem())
}

/// Runs one command of the Python SP.
pub(crate) fn sp(command: &Value) -> Value {
    peer("saml_sp.py", command)
}

/// Runs one command of the Python peer `script` (under `tests/peers`).
pub(crate) fn peer(script: &str, command: &Value) -> Value {
    let script = format!("{}/tests/peers/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(PYTHON)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{PYTHON}: {e}: {NEEDS}"));
    child.stdin.take().unwrap().write_all(command.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{script} failed ({NEEDS}): {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `xmlsec1 --verify` of the first signature of `xml` with the certificate `cert_pem`.
pub(crate) fn xmlsec_verifies(xml: &str, cert_pem: &str) -> bool {
    let dir = std::env::temp_dir().join(format!("saml-xmlsec-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (doc, cert) = (dir.join("doc.xml"), dir.join("idp.pem"));
    std::fs::write(&doc, xml).unwrap();
    std::fs::write(&cert, cert_pem).unwrap();
    let out = Command::new("xmlsec1")
        .args(["--verify", "--pubkey-cert-pem"])
        .arg(&cert)
        .args(["--trusted-pem"])
        .arg(&cert)
        .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response"])
        .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"])
        .arg(&doc)
        .output()
        .unwrap_or_else(|e| panic!("xmlsec1: {e}: {NEEDS}"));
    std::fs::remove_dir_all(&dir).ok();
    out.status.success()
}

/// `xml` without its first `<ds:Signature>` (the response's), so that xmlsec1 checks the
/// assertion's.
fn without_first_signature(xml: &str) -> String {
    let start = xml.find("<ds:Signature").unwrap();
    let end = xml[start..].find("</ds:Signature>").unwrap() + start + "</ds:Signature>".len();
    format!("{}{}", &xml[..start], &xml[end..])
}

/// The IdP as the metadata describes it: entity id, SSO URL, certificate (PEM).
pub(crate) async fn idp_metadata(p: &Platform) -> (String, String, String) {
    let url = format!("{}/community/default/idp/{}/metadata", p.admin[0], p.community);
    let resp = reqwest::get(format!("{url}?download=true")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().contains("xml"));
    assert!(resp.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let xml = resp.text().await.unwrap();
    let doc = saml_rs::xml::dom::parse(&xml).unwrap();
    assert_eq!(doc.root.local_name, "EntityDescriptor");
    assert_eq!(doc.root.attr("entityID"), Some(url.as_str()), "the entity id is the metadata URL");
    let cert = xml.split("<ds:X509Certificate>").nth(1).unwrap().split("</ds:X509Certificate>").next().unwrap();
    let pem = format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", cert.trim());
    let sso = xml.split("SingleSignOnService").nth(1).unwrap().split("Location=\"").nth(1).unwrap();
    (url, sso.split('"').next().unwrap().to_owned(), pem)
}

/// A SAML service provider made by jane: its id.
async fn register(p: &Platform, admin: &str, cert: &str, signed_requests: bool, idp_initiated: bool) -> String {
    let body = json!({"name": "Python SP", "type": "saml", "saml_config": {
    "accessUrl": "https://sp.example.com/", "entityId": SP_ENTITY, "assertionMethod": "post",
    "assertionConsumerServiceURL": SP_ACS, "logoutRequestSignRequired": false,
    "logoutResponseSignRequired": false, "authRequestSignRequired": signed_requests,
    "assertionSignRequired": true, "signingCert": cert, "idpInitiated": idp_initiated,
    "relayState": if idp_initiated { "https://sp.example.com/home" } else { "" },
    "nameid": {"format": "emailAddress", "value": "email", "attribute_type": "identity"},
    "attributes": [
        {"claim_name": "mail", "attribute_name": "email", "attribute_type": "identity"},
        {"claim_name": "givenName", "attribute_name": "firstname", "attribute_type": "identity"},
        {"claim_name": "tier", "attribute_name": "tier", "attribute_type": "session",
         "value_type": "static", "value": "gold"},
    ]}});
    let (s, r) = call(&p.admin[0], Method::PUT, "/serviceprovider", Some(admin), Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    r["_id"].as_str().unwrap().to_owned()
}

/// The browser at the IdP's SSO URL: the login page's `SAMLRequest`, or the refusal.
async fn to_login_page(url: &str) -> Result<String, (u16, String)> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = http.get(url).send().await.unwrap();
    follow(resp).await
}

async fn follow(resp: reqwest::Response) -> Result<String, (u16, String)> {
    if resp.status() != 302 {
        return Err((resp.status().as_u16(), resp.text().await.unwrap()));
    }
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(LOGIN_PAGE), "{location}");
    Ok(location.query_pairs().find(|(k, _)| k == "SAMLRequest").unwrap().1.into_owned())
}

#[tokio::test]
async fn a_python_service_provider_signs_a_user_in_and_refuses_what_it_must() {
    // PostgreSQL: the community's key in its table; Redis: the pending requests and the ids seen.
    for storage in [Storage::Embedded, Storage::Postgres, Storage::Redis] {
        let Some(p) = platform(storage, "saml login", 1, &[("SAML_LOGIN_URL", LOGIN_PAGE)]).await else { continue };
        let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
        let people = json!({"authModule": p.module, "users": [{"username": "carol", "password": "Amber-Canyon-93",
            "email1": "carol@example.com", "firstname": "Carol", "lastname": "Reed"}]});
        assert_eq!(p.users_call(Method::PUT, "/users/create", people).await["created"], 1);
        let carol = bearer(&p.token("carol", "Amber-Canyon-93").await);

        let (sp_key, sp_cert) = sp_credentials();
        register(&p, &jane, &sp_cert, true, false).await;
        let (idp_entity, sso, idp_cert) = idp_metadata(&p).await;
        assert_eq!(sso, format!("{}/community/default/sso", p.admin[0]));
        let settings = |entity: &str| {
            json!({"sp": {"entityId": entity, "acs": SP_ACS, "cert": sp_cert, "key": sp_key},
                "idp": {"entityId": idp_entity, "sso": sso, "cert": idp_cert}, "signRequests": true})
        };

        // SP-initiated over HTTP-Redirect, the request signed by the SP.
        let login = sp(&json!({"cmd": "login", "settings": settings(SP_ENTITY), "relayState": "/after"}));
        let url = login["url"].as_str().unwrap();
        assert!(url.contains("Signature="), "{url}");
        let handle = to_login_page(url).await.unwrap();
        // The login page shows the application.
        let info = json!({"tenantId": p.tenant, "communityId": p.community, "SAMLRequest": handle});
        let (s, r) = call(&p.admin[0], Method::POST, "/serviceprovider/publicinfo/fetch", None, Some(&info)).await;
        assert_eq!((s, r["name"].as_str()), (200, Some("Python SP")), "{r}");
        // The same AuthnRequest again: a replay.
        let (status, body) = to_login_page(url).await.unwrap_err();
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("used already"), "{body}");

        let (s, r) =
            call(&p.admin[0], Method::POST, "/saml/sso", Some(&carol), Some(&json!({"SAMLRequest": handle}))).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["sp"], json!({"assertionConsumerServiceURL": SP_ACS, "assertionMethod": "post"}));
        assert_eq!(r["relayState"], "/after");
        let response = r["SAMLResponse"].as_str().unwrap().to_owned();
        // Completed once.
        let (s, _) =
            call(&p.admin[0], Method::POST, "/saml/sso", Some(&carol), Some(&json!({"SAMLRequest": handle}))).await;
        assert_eq!(s, 404);

        let acs = |settings: Value, response: &str, request_id: Option<&str>, offset: i64| {
            sp(&json!({"cmd": "acs", "settings": settings, "SAMLResponse": response, "requestId": request_id,
                "nowOffset": offset}))
        };
        let id = login["id"].as_str().unwrap();
        let accepted = acs(settings(SP_ENTITY), &response, Some(id), 0);
        assert_eq!(accepted["authenticated"], true, "{accepted}");
        assert_eq!(accepted["nameid"], "carol@example.com");
        assert_eq!(accepted["nameidFormat"], "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
        assert_eq!(accepted["attributes"]["mail"], json!(["carol@example.com"]));
        assert_eq!(accepted["attributes"]["givenName"], json!(["Carol"]));
        assert_eq!(accepted["attributes"]["tier"], json!(["gold"]));

        // xmlsec1 accepts the response's signature and the assertion's.
        let xml = String::from_utf8(b64().decode(&response).unwrap()).unwrap();
        assert!(xml.contains(&format!("InResponseTo=\"{id}\"")));
        assert!(xml.contains("xml-exc-c14n#") && xml.contains("rsa-sha256"), "{xml}");
        assert!(xmlsec_verifies(&xml, &idp_cert), "xmlsec1 refused the response");
        assert!(xmlsec_verifies(&without_first_signature(&xml), &idp_cert), "xmlsec1 refused the assertion");

        // A tampered assertion: both refuse it.
        let tampered = xml.replace("carol@example.com", "mallory@example.com");
        assert!(!xmlsec_verifies(&tampered, &idp_cert));
        assert!(!xmlsec_verifies(&without_first_signature(&tampered), &idp_cert));
        let refused = acs(settings(SP_ENTITY), &b64().encode(&tampered), Some(id), 0);
        assert_eq!(refused["authenticated"], false, "{refused}");
        // Another SP (another audience) refuses it.
        let refused = acs(settings("https://other.example.com/metadata"), &response, Some(id), 0);
        assert_eq!(refused["authenticated"], false, "{refused}");
        assert!(refused["reason"].as_str().unwrap().contains("udience"), "{refused}");
        // Expired: the SP's clock past NotOnOrAfter (SAML_ASSERTION_TTL_SECONDS, 300).
        let refused = acs(settings(SP_ENTITY), &response, Some(id), 600);
        assert_eq!(refused["authenticated"], false, "{refused}");
        // A response to another request: the SP's new request is not what it answers.
        let second = sp(&json!({"cmd": "login", "settings": settings(SP_ENTITY)}));
        let refused = acs(settings(SP_ENTITY), &response, second["id"].as_str(), 0);
        assert_eq!(refused["authenticated"], false, "{refused}");
        assert!(refused["reason"].as_str().unwrap().contains("InResponseTo"), "{refused}");

        // A signed request whose RelayState was changed on the way: the signature does not match.
        let login = sp(&json!({"cmd": "login", "settings": settings(SP_ENTITY), "relayState": "/after"}));
        let forged = login["url"].as_str().unwrap().replace("RelayState=%2Fafter", "RelayState=%2Fevil");
        assert_ne!(forged, login["url"].as_str().unwrap());
        let (status, body) = to_login_page(&forged).await.unwrap_err();
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("signature"), "{body}");
        // The genuine one still passes (the forged one was not remembered as seen).
        to_login_page(login["url"].as_str().unwrap()).await.unwrap();

        // An unsigned request to a provider that requires signed ones.
        let mut unsigned = settings(SP_ENTITY);
        unsigned["signRequests"] = json!(false);
        let login = sp(&json!({"cmd": "login", "settings": unsigned}));
        let (status, body) = to_login_page(login["url"].as_str().unwrap()).await.unwrap_err();
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("sign"), "{body}");

        // An unknown handle.
        let (s, _) =
            call(&p.admin[0], Method::POST, "/saml/sso", Some(&carol), Some(&json!({"SAMLRequest": "x"}))).await;
        assert_eq!(s, 404);
    }
}

#[tokio::test]
async fn the_post_binding_and_idp_initiated_logins() {
    let Some(p) = platform(Storage::Embedded, "saml post", 1, &[("SAML_LOGIN_URL", LOGIN_PAGE)]).await else {
        return;
    };
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let people = json!({"authModule": p.module, "users": [{"username": "dave", "password": "Cobalt-River-42",
        "email1": "dave@example.com", "firstname": "Dave"}]});
    assert_eq!(p.users_call(Method::PUT, "/users/create", people).await["created"], 1);
    let dave = bearer(&p.token("dave", "Cobalt-River-42").await);
    let (sp_key, sp_cert) = sp_credentials();
    let sp_id = register(&p, &jane, &sp_cert, false, true).await;
    let (idp_entity, sso, idp_cert) = idp_metadata(&p).await;
    let settings = json!({"sp": {"entityId": SP_ENTITY, "acs": SP_ACS, "cert": sp_cert, "key": sp_key},
        "idp": {"entityId": idp_entity, "sso": sso, "cert": idp_cert}, "signRequests": false});

    // HTTP-POST: the SP's AuthnRequest posted as a form, base64 without DEFLATE.
    let login = sp(&json!({"cmd": "login", "settings": settings}));
    let url = url::Url::parse(login["url"].as_str().unwrap()).unwrap();
    let encoded = url.query_pairs().find(|(k, _)| k == "SAMLRequest").unwrap().1.into_owned();
    let deflated = b64().decode(encoded).unwrap();
    let xml = saml_rs::binding::deflate_raw_decode(&deflated).unwrap();
    let form = [("SAMLRequest", b64().encode(&xml)), ("RelayState", "post-state".to_owned())];
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&form).finish();
    let post = http.post(&sso).header("content-type", "application/x-www-form-urlencoded").body(form);
    let handle = follow(post.send().await.unwrap()).await.unwrap();
    let (s, r) = call(&p.admin[0], Method::POST, "/saml/sso", Some(&dave), Some(&json!({"SAMLRequest": handle}))).await;
    assert_eq!((s, r["relayState"].as_str()), (200, Some("post-state")), "{r}");
    let accepted = sp(&json!({"cmd": "acs", "settings": settings, "SAMLResponse": r["SAMLResponse"],
        "requestId": login["id"]}));
    assert_eq!(
        (accepted["authenticated"].as_bool(), accepted["nameid"].as_str()),
        (Some(true), Some("dave@example.com"))
    );

    // IdP-initiated: an unsolicited response the SP accepts without a request of its own.
    let (s, r) = call(&p.admin[0], Method::POST, &format!("/saml/idp-init/{sp_id}"), Some(&dave), None).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["relayState"], "https://sp.example.com/home");
    let xml = String::from_utf8(b64().decode(r["SAMLResponse"].as_str().unwrap()).unwrap()).unwrap();
    assert!(!xml.contains("InResponseTo"), "{xml}");
    let accepted = sp(&json!({"cmd": "acs", "settings": settings, "SAMLResponse": r["SAMLResponse"]}));
    assert_eq!(accepted["authenticated"], true, "{accepted}");
    // A featured application imported from its own SAML metadata (python3-saml's).
    let mut okta = settings.clone();
    okta["sp"]["entityId"] = json!("https://acme.okta.example.com/sso/saml2/sp");
    okta["signRequests"] = json!(true);
    let metadata = sp(&json!({"cmd": "metadata", "settings": okta}))["xml"].as_str().unwrap().to_owned();
    let body = json!({"name": "Okta", "domain": "acme.okta.example.com", "metadata": metadata});
    let (s, r) = call(&p.admin[0], Method::PUT, "/serviceprovider/okta", Some(&jane), Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    let c = &r["saml_config"];
    assert_eq!(c["entityId"], "https://acme.okta.example.com/sso/saml2/sp");
    assert_eq!(c["assertionConsumerServiceURL"], SP_ACS);
    assert_eq!(c["accessUrl"], "https://acme.okta.example.com/login/login.htm");
    assert_eq!(c["authRequestSignRequired"], true);
    assert!(c["signingCert"].as_str().unwrap().len() > 100);
    let escaped: String = metadata.bytes().map(|b| format!("%{b:02X}")).collect();
    let body = json!({"name": "Okta 2", "domain": "acme.okta.example.com", "metadata": escaped});
    let (s, r) = call(&p.admin[0], Method::PUT, "/serviceprovider/okta", Some(&jane), Some(&body)).await;
    assert_eq!(s, 200, "escape()d metadata: {r}");
    let body = json!({"name": "Okta", "domain": "acme.okta.example.com", "metadata": metadata, "apiToken": "t"});
    let (s, r) = call(&p.admin[0], Method::PUT, "/serviceprovider/okta", Some(&jane), Some(&body)).await;
    assert_eq!(s, 400, "{r}");
    let (s, _) = call(&p.admin[0], Method::PUT, "/serviceprovider/nope", Some(&jane), Some(&body)).await;
    assert_eq!(s, 400);
    let (s, _) = call(&p.admin[0], Method::PUT, "/serviceprovider/okta", Some(&dave), Some(&body)).await;
    assert_eq!(s, 403, "administrators only");

    // An unknown provider: 404.
    let (s, _) = call(&p.admin[0], Method::POST, "/saml/idp-init/0123456789abcdef01234567", Some(&dave), None).await;
    assert_eq!(s, 404);
}

/// The signed assertion of a WS-Fed `wresult`.
fn requested_token(wresult: &str) -> String {
    let start = wresult.find("<t:RequestedSecurityToken>").unwrap() + "<t:RequestedSecurityToken>".len();
    let end = wresult.find("</t:RequestedSecurityToken>").unwrap();
    wresult[start..end].to_owned()
}

#[tokio::test]
async fn a_ws_federation_sign_in_gives_a_token_the_idp_certificate_verifies() {
    let Some(p) = platform(Storage::Embedded, "wsfed", 1, &[("SAML_LOGIN_URL", LOGIN_PAGE)]).await else { return };
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let people = json!({"authModule": p.module, "users": [{"username": "erin", "password": "Maple-Signal-64",
        "email1": "erin@example.com", "firstname": "Erin", "lastname": "Hale"}]});
    assert_eq!(p.users_call(Method::PUT, "/users/create", people).await["created"], 1);
    let erin = bearer(&p.token("erin", "Maple-Signal-64").await);
    const REALM: &str = "urn:example:claims-app";
    const REPLY: &str = "https://rp.example.com/wsfed";
    let body = json!({"name": "Claims app", "type": "wsfed", "wsfed_config": {"realm": REALM, "replyUrl": REPLY}});
    let (s, r) = call(&p.admin[0], Method::PUT, "/serviceprovider", Some(&jane), Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    let (_, _, idp_cert) = idp_metadata(&p).await;

    // The relying party sends the browser to the community's WS-Fed endpoint.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let wsfed = format!("{}/community/default/wsfed", p.admin[0]);
    let signin = [("wa", "wsignin1.0"), ("wtrealm", REALM), ("wctx", "rm=0&id=42")];
    let with = |pairs: &[(&str, &str)]| {
        let mut u = url::Url::parse(&wsfed).unwrap();
        u.query_pairs_mut().extend_pairs(pairs);
        u.to_string()
    };
    let resp = http.get(with(&signin)).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(LOGIN_PAGE));
    let got: std::collections::HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!((got["wtrealm"].as_str(), got["wreply"].as_str(), got["wctx"].as_str()), (REALM, REPLY, "rm=0&id=42"));
    assert_eq!(got["communityId"], p.community);
    // Another realm, another reply URL, another action: refused.
    for bad in [
        vec![("wa", "wsignin1.0"), ("wtrealm", "urn:example:unknown")],
        vec![("wa", "wsignin1.0"), ("wtrealm", REALM), ("wreply", "https://evil.example.com/")],
        vec![("wa", "wattr1.0"), ("wtrealm", REALM)],
    ] {
        let resp = http.get(with(&bad)).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{bad:?}");
    }

    // The login page gets the token for the signed-in user.
    let ask = json!({"wtrealm": REALM, "wa": "wsignin1.0", "wctx": "rm=0&id=42"});
    let (s, r) = call(&p.admin[0], Method::POST, "/wsfed/sso", Some(&erin), Some(&ask)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["action"].as_str(), r["wa"].as_str(), r["wctx"].as_str()),
        (Some(REPLY), Some("wsignin1.0"), Some("rm=0&id=42"))
    );
    let wresult = r["wresult"].as_str().unwrap();
    let token = requested_token(wresult);
    assert!(token.contains(&format!("<saml:Audience>{REALM}</saml:Audience>")), "{token}");
    assert!(token.contains(">erin@example.com</saml:NameID>"), "{token}");
    assert!(token.contains("claims/givenname"), "{token}");
    assert!(xmlsec_verifies(&token, &idp_cert), "xmlsec1 refused the WS-Fed token");
    assert!(!xmlsec_verifies(&token.replace("erin@example.com", "eve@example.com"), &idp_cert));
    // The whole token response parses as XML.
    saml_rs::xml::dom::parse(wresult).unwrap();

    // A realm that is not the community's relying party, or another reply URL: refused.
    let (s, r) =
        call(&p.admin[0], Method::POST, "/wsfed/sso", Some(&erin), Some(&json!({"wtrealm": "urn:example:unknown"})))
            .await;
    assert_eq!(s, 400, "{r}");
    let wrong = json!({"wtrealm": REALM, "wreply": "https://evil.example.com/"});
    let (s, _) = call(&p.admin[0], Method::POST, "/wsfed/sso", Some(&erin), Some(&wrong)).await;
    assert_eq!(s, 400);
}

/// `xmlsec1 --verify` of an AuthnRequest's signature with the certificate `cert_pem`.
fn xmlsec_verifies_request(xml: &str, cert_pem: &str) -> bool {
    let dir = std::env::temp_dir().join(format!("saml-xmlsec-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (doc, cert) = (dir.join("doc.xml"), dir.join("sp.pem"));
    std::fs::write(&doc, xml).unwrap();
    std::fs::write(&cert, cert_pem).unwrap();
    let out = Command::new("xmlsec1")
        .args(["--verify", "--pubkey-cert-pem"])
        .arg(&cert)
        .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest"])
        .arg(&doc)
        .output()
        .unwrap_or_else(|e| panic!("xmlsec1: {e}: {NEEDS}"));
    std::fs::remove_dir_all(&dir).ok();
    out.status.success()
}

#[tokio::test]
async fn a_signed_authn_request_for_the_external_saml_idp() {
    let Some(p) = platform(Storage::Embedded, "saml request", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let body = json!({"tenantId": p.tenant, "communityId": p.community, "relayState": "/home"});
    let generate = "/saml/samlRequest/generate";
    let (s, r) = call(url, Method::POST, generate, auth, Some(&body)).await;
    crate::login::assert_error(s, &r, 404, "the community has no enabled saml external idp");

    let idp = json!({"type": "saml", "name": "ADFS", "entityId": "https://adfs.example.org/trust",
        "ssoUrl": "https://adfs.example.org/adfs/ls?x=1&y=2",
        "certificate": crate::identity_providers::idp_certificate()});
    let (s, made) = call(url, Method::PUT, "/external_idp", auth, Some(&idp)).await;
    assert_eq!(s, 200, "{made}");
    let (s, r) = call(url, Method::POST, generate, auth, Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["url"].as_str(), r["binding"].as_str(), r["RelayState"].as_str()),
        (Some("https://adfs.example.org/adfs/ls?x=1&y=2"), Some("post"), Some("/home"))
    );
    let xml = String::from_utf8(b64().decode(r["SAMLRequest"].as_str().unwrap()).unwrap()).unwrap();
    let doc = saml_rs::xml::dom::parse(&xml).unwrap();
    let (entity, _, cert) = idp_metadata(&p).await;
    assert_eq!(doc.root.local_name, "AuthnRequest");
    assert_eq!(doc.root.attr("ID"), r["requestId"].as_str());
    assert_eq!(doc.root.attr("Destination"), Some("https://adfs.example.org/adfs/ls?x=1&y=2"));
    assert_eq!(
        doc.root.attr("AssertionConsumerServiceURL"),
        Some(format!("{url}/community/default/saml/acs").as_str())
    );
    assert!(xml.contains(&format!("<saml:Issuer>{entity}</saml:Issuer>")), "{xml}");
    // Signed with the community's key: xmlsec1 checks it with the metadata's certificate, and
    // refuses it once altered.
    assert!(xmlsec_verifies_request(&xml, &cert), "{xml}");
    assert!(!xmlsec_verifies_request(&xml.replace("adfs.example.org/adfs", "evil.example.org/adfs"), &cert));
    // Each request is new.
    let (_, again) = call(url, Method::POST, generate, auth, Some(&body)).await;
    assert_ne!(again["requestId"], r["requestId"]);

    // By id; refusals.
    let mut by_id = body.clone();
    by_id["idpId"] = made["id"].clone();
    assert_eq!(call(url, Method::POST, generate, auth, Some(&by_id)).await.0, 200);
    by_id["idpId"] = json!("nope");
    let (s, r) = call(url, Method::POST, generate, auth, Some(&by_id)).await;
    crate::login::assert_error(s, &r, 400, "idpId");
    by_id["idpId"] = json!("0".repeat(24));
    assert_eq!(call(url, Method::POST, generate, auth, Some(&by_id)).await.0, 404);
    let mut long = body.clone();
    long["relayState"] = json!("x".repeat(81));
    let (s, r) = call(url, Method::POST, generate, auth, Some(&long)).await;
    crate::login::assert_error(s, &r, 400, "relayState must be at most 80 bytes");
    assert_eq!(call(url, Method::POST, generate, None, Some(&body)).await.0, 401);
    let other = adminapi::domain::tenancy::create_community(&*p.stores.tenancy, &p.tenant, "partners").await.unwrap();
    let elsewhere = json!({"tenantId": p.tenant, "communityId": other.id});
    let (s, r) = call(url, Method::POST, generate, auth, Some(&elsewhere)).await;
    crate::login::assert_error(s, &r, 403, "may not act in this community");
}
