//! The community as a SAML service provider of its external IdP, and single logout at its own
//! IdP, each driven by an independent peer:
//! - the assertion consumer service takes responses that OneLogin's python3-saml signs
//!   (`tests/peers/saml_idp.py`) for an AuthnRequest of `POST /saml/samlRequest/generate`; the
//!   login reaches the console as a one-time code that `POST /saml/acs/token` redeems. Refused:
//!   a tampered assertion, a signature by another key, another audience, an expired assertion,
//!   an unsolicited response, a replayed one, an unknown user where the IdP does not provision;
//!   provisioned at first login where it does.
//! - python3-saml as a service provider (`tests/peers/saml_sp.py`) signs a user in, then sends a
//!   signed `LogoutRequest` naming the assertion's `SessionIndex`: the login session ends and the
//!   provider accepts the signed `LogoutResponse`. Refused: a replayed, altered or unsigned
//!   request.
//! - the community as an OpenID Connect relying party of its `oidc` external IdP (code flow,
//!   PKCE, state and nonce) against the platform's own OpenID provider: the ID token is verified
//!   with the provider's JWKS; a used state, an error answer and another issuer are refused.

use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, platform};
use crate::saml::{LOGIN_PAGE, SP_ACS, SP_ENTITY, b64, idp_metadata, peer, sp, sp_credentials};
use base64::Engine as _;
use kit::testing::Storage;

const IDP_ENTITY: &str = "https://idp.example.org/saml";
const IDP_SSO: &str = "https://idp.example.org/saml/sso";
const LOGOUT_PAGE: &str = "https://login.example.com/logout";
const SP_SLO: &str = "https://sp.example.com/slo";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A key and certificate of `host` (PEM).
fn credentials(host: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
    let cert = rcgen::CertificateParams::new(vec![host.to_owned()]).unwrap().self_signed(&key).unwrap();
    (key.serialize_pem(), cert.pem())
}

/// A new AuthnRequest to the external IdP: its id.
async fn generate(p: &Platform, admin: &str) -> String {
    let body = json!({"tenantId": p.tenant, "communityId": p.community});
    let (s, r) = call(&p.admin[0], Method::POST, "/saml/samlRequest/generate", Some(admin), Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    r["requestId"].as_str().unwrap().to_owned()
}

/// The IdP's response, signed with `key`: `fields` overrides the defaults.
fn idp_response(p: &Platform, key: &str, cert: &str, audience: &str, fields: Value) -> String {
    let mut command = json!({"cmd": "response", "key": key, "cert": cert, "issuer": IDP_ENTITY,
        "destination": format!("{}/community/default/saml/acs", p.admin[0]), "audience": audience,
        "nameId": "carol", "attributes": {"mail": ["carol@example.com"]}});
    for (k, v) in fields.as_object().unwrap() {
        command[k] = v.clone();
    }
    peer("saml_idp.py", &command)["SAMLResponse"].as_str().unwrap().to_owned()
}

/// Posts `response` to the ACS (the HTTP-POST binding's form).
async fn post_acs(p: &Platform, response: &str, relay_state: Option<&str>) -> reqwest::Response {
    let mut form = vec![("SAMLResponse", response)];
    form.extend(relay_state.map(|r| ("RelayState", r)));
    let url = format!("{}/community/default/saml/acs", p.admin[0]);
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    no_redirects()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The refusal of an ACS call: its status and message.
async fn refused(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    (status, body["message"].as_str().unwrap_or_default().to_owned())
}

/// The one-time code of an accepted response (302 to the login page), checked against `target`.
fn code_of(resp: &reqwest::Response, target: &str) -> String {
    assert_eq!(resp.status(), 302);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(target), "{location}");
    location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned()
}

#[tokio::test]
async fn an_external_idp_signs_users_in_through_the_acs_and_what_it_must_refuse_is_refused() {
    // Redis: the requests sent and the codes live in the ephemeral store.
    for storage in [Storage::Embedded, Storage::Redis] {
        let Some(p) = platform(storage, "saml acs", 1, &[("SAML_LOGIN_URL", LOGIN_PAGE)]).await else { continue };
        let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
        let people = json!({"authModule": p.module, "users": [{"username": "carol", "password": "Amber-Canyon-93",
            "email1": "carol@example.com", "firstname": "Carol", "lastname": "Reed"}]});
        assert_eq!(p.users_call(Method::PUT, "/users/create", people).await["created"], 1);
        let (key, cert) = credentials("idp.example.org");
        let idp = json!({"type": "saml", "name": "Corporate IdP", "entityId": IDP_ENTITY, "ssoUrl": IDP_SSO,
            "certificate": cert});
        let (s, made) = call(&p.admin[0], Method::PUT, "/external_idp", Some(&jane), Some(&idp)).await;
        assert_eq!(s, 200, "{made}");
        let (audience, _, _) = idp_metadata(&p).await;

        // A response to a request made here: 302 to the RelayState path with a one-time code.
        let request = generate(&p, &jane).await;
        let response = idp_response(&p, &key, &cert, &audience, json!({"inResponseTo": request}));
        let accepted = post_acs(&p, &response, Some("/console/home")).await;
        let code = code_of(&accepted, "https://login.example.com/console/home?");
        let location = accepted.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.contains(&format!("communityId={}", p.community)), "{location}");
        // The console redeems it, once, for carol's login.
        let (s, r) = call(&p.admin[0], Method::POST, "/saml/acs/token", None, Some(&json!({"code": code}))).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            (r["user"]["username"].as_str(), r["user"]["roles"].as_array().map(Vec::len)),
            (Some("carol"), Some(1))
        );
        let carol = bearer(r["jwt_token"].as_str().unwrap());
        let handle = json!({"SAMLRequest": "x"});
        assert_eq!(
            call(&p.admin[0], Method::POST, "/saml/sso", Some(&carol), Some(&handle)).await.0,
            404,
            "a live login"
        );
        let (s, r) = call(&p.admin[0], Method::POST, "/saml/acs/token", None, Some(&json!({"code": code}))).await;
        assert_error(s, &r, 401, "redeemed already");
        // The same response again: answered already.
        let (s, m) = refused(post_acs(&p, &response, None).await).await;
        assert_eq!(s, 400, "{m}");
        assert!(m.contains("answered already"), "{m}");

        // Without RelayState: the login page; the GET form of the binding answers alike (with
        // the assertion alone signed, to keep the URL short).
        let request = generate(&p, &jane).await;
        let fields = json!({"inResponseTo": request, "signResponse": false});
        let response = idp_response(&p, &key, &cert, &audience, fields);
        let url = format!("{}/community/default/saml/acs", p.admin[0]);
        let query =
            url::form_urlencoded::Serializer::new(String::new()).append_pair("SAMLResponse", &response).finish();
        let resp = no_redirects().get(format!("{url}?{query}")).send().await.unwrap();
        code_of(&resp, &format!("{LOGIN_PAGE}?code="));

        // Refusals, each for a fresh request.
        let cases: [(Value, &str); 5] = [
            (json!({"audience": "https://other.example.com/metadata"}), "audience"),
            (json!({"skew": -1000}), "expired"),
            (json!({"signAssertion": false, "signResponse": false}), "signature"),
            (json!({"status": "Responder"}), "status"),
            (json!({"inResponseTo": null}), "unsolicited"),
        ];
        for (fields, needle) in cases {
            let request = generate(&p, &jane).await;
            let mut fields = fields;
            if fields.get("inResponseTo").is_none() {
                fields["inResponseTo"] = json!(request);
            }
            let audience = fields.get("audience").and_then(Value::as_str).unwrap_or(&audience).to_owned();
            let response = idp_response(&p, &key, &cert, &audience, fields.clone());
            let (s, m) = refused(post_acs(&p, &response, None).await).await;
            assert_eq!(s, 400, "{fields}: {m}");
            assert!(m.contains(needle), "{fields}: {m}");
        }
        // Signed by another key than the registered certificate.
        let (other_key, other_cert) = credentials("evil.example.org");
        let request = generate(&p, &jane).await;
        let forged = idp_response(&p, &other_key, &other_cert, &audience, json!({"inResponseTo": request}));
        let (s, m) = refused(post_acs(&p, &forged, None).await).await;
        assert_eq!(s, 400, "{m}");
        assert!(m.contains("signature"), "{m}");
        // A tampered assertion: the user changed after signing.
        let genuine = idp_response(&p, &key, &cert, &audience, json!({"inResponseTo": request}));
        let xml = String::from_utf8(b64().decode(&genuine).unwrap()).unwrap();
        let tampered = b64().encode(xml.replace(">carol<", ">jane<"));
        let (s, m) = refused(post_acs(&p, &tampered, None).await).await;
        assert_eq!(s, 400, "{m}");
        assert!(m.contains("signature"), "{m}");
        // The refusals took nothing: the genuine response to that request still signs in.
        code_of(&post_acs(&p, &genuine, None).await, LOGIN_PAGE);
        // A RelayState elsewhere than the login page's origin is not followed.
        let request = generate(&p, &jane).await;
        let response = idp_response(&p, &key, &cert, &audience, json!({"inResponseTo": request}));
        let (s, m) = refused(post_acs(&p, &response, Some("https://evil.example.com/steal")).await).await;
        assert_eq!(s, 400, "{m}");
        assert!(m.contains("RelayState"), "{m}");
        let (s, m) = refused(post_acs(&p, "", None).await).await;
        assert_eq!((s, m.as_str()), (400, "SAMLResponse is required"));

        // A user the community does not know: refused, until the IdP provisions users.
        let request = generate(&p, &jane).await;
        let dave = json!({"inResponseTo": request, "nameId": "dave",
            "attributes": {"mail": ["dave@example.com"], "givenName": ["Dave"], "sn": ["Hale"]}});
        let response = idp_response(&p, &key, &cert, &audience, dave.clone());
        let (s, m) = refused(post_acs(&p, &response, None).await).await;
        assert_eq!(s, 401, "{m}");
        assert!(m.contains("not a user of this community"), "{m}");
        let id = made["id"].as_str().unwrap();
        let patch = json!({"provisionUsers": true});
        let (s, r) = call(&p.admin[0], Method::PATCH, &format!("/external_idp/{id}"), Some(&jane), Some(&patch)).await;
        assert_eq!(s, 200, "{r}");
        let request = generate(&p, &jane).await;
        let mut again = dave.clone();
        again["inResponseTo"] = json!(request);
        let response = idp_response(&p, &key, &cert, &audience, again);
        let code = code_of(&post_acs(&p, &response, None).await, LOGIN_PAGE);
        let (s, r) = call(&p.admin[0], Method::POST, "/saml/acs/token", None, Some(&json!({"code": code}))).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["user"]["username"], "dave");
        let found = p
            .users_call(
                Method::POST,
                "/user/fetch_single_user_by_username",
                json!({"authModule": p.module, "username": "dave"}),
            )
            .await;
        assert_eq!(
            (found["data"]["email1"].as_str(), found["data"]["firstname"].as_str(), found["data"]["lastname"].as_str()),
            (Some("dave@example.com"), Some("Dave"), Some("Hale")),
            "{found}"
        );
        // Provisioned without a password: the IdP is the only way in.
        let (s, _) = p.verify_user(0, p.credentials("dave", "Any-Password-1")).await;
        assert_eq!(s, 401);
    }
}

/// The Python SP's settings, with its single logout service.
fn sp_settings(sp_key: &str, sp_cert: &str, idp: &(String, String, String), slo: &str, sign: bool) -> Value {
    let (entity, sso, cert) = idp;
    json!({"sp": {"entityId": SP_ENTITY, "acs": SP_ACS, "slo": SP_SLO, "cert": sp_cert, "key": sp_key},
        "idp": {"entityId": entity, "sso": sso, "slo": slo, "cert": cert}, "signRequests": sign})
}

/// Signs carol in at the Python SP through the community's IdP: the assertion's session index.
async fn sp_login(p: &Platform, carol: &str, settings: &Value) -> String {
    let login = sp(&json!({"cmd": "login", "settings": settings}));
    let resp = no_redirects().get(login["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let handle = location.query_pairs().find(|(k, _)| k == "SAMLRequest").unwrap().1.into_owned();
    let (s, r) = call(&p.admin[0], Method::POST, "/saml/sso", Some(carol), Some(&json!({"SAMLRequest": handle}))).await;
    assert_eq!(s, 200, "{r}");
    let accepted = sp(&json!({"cmd": "acs", "settings": settings, "SAMLResponse": r["SAMLResponse"],
        "requestId": login["id"]}));
    assert_eq!(accepted["authenticated"], true, "{accepted}");
    accepted["sessionIndex"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_service_provider_logs_the_user_out_of_the_idp_with_a_signed_logout_request() {
    let extra = [("SAML_LOGIN_URL", LOGIN_PAGE), ("SAML_LOGOUT_URL", LOGOUT_PAGE)];
    for storage in [Storage::Embedded, Storage::Redis] {
        let Some(p) = platform(storage, "saml slo", 1, &extra).await else { continue };
        let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
        let people = json!({"authModule": p.module, "users": [{"username": "carol", "password": "Amber-Canyon-93",
            "email1": "carol@example.com", "firstname": "Carol", "lastname": "Reed"}]});
        assert_eq!(p.users_call(Method::PUT, "/users/create", people).await["created"], 1);
        let idp = idp_metadata(&p).await;
        let slo = format!("{}/community/default/slo", p.admin[0]);
        let (sp_key, sp_cert) = sp_credentials();
        let settings = sp_settings(&sp_key, &sp_cert, &idp, &slo, true);
        // Registered from its own metadata, which names its single logout service.
        let metadata = sp(&json!({"cmd": "metadata", "settings": settings}))["xml"].as_str().unwrap().to_owned();
        assert!(metadata.contains(SP_SLO), "{metadata}");
        let body = json!({"name": "Python SP", "type": "saml", "saml_config": {
            "accessUrl": "https://sp.example.com/", "entityId": SP_ENTITY, "assertionMethod": "post",
            "assertionConsumerServiceURL": SP_ACS, "logoutRequestSignRequired": true,
            "logoutResponseSignRequired": true, "authRequestSignRequired": true,
            "assertionSignRequired": true, "signingCert": sp_cert, "metadata": metadata,
            "nameid": {"format": "emailAddress", "value": "email", "attribute_type": "identity"},
            "attributes": [{"claim_name": "mail", "attribute_name": "email", "attribute_type": "identity"}]}});
        let (s, r) = call(&p.admin[0], Method::PUT, "/serviceprovider", Some(&jane), Some(&body)).await;
        assert_eq!(s, 200, "{r}");

        let carol = bearer(&p.token("carol", "Amber-Canyon-93").await);
        let other = bearer(&p.token("carol", "Amber-Canyon-93").await);
        let index = sp_login(&p, &carol, &settings).await;
        assert!(index.starts_with('_') && index.len() == 41, "{index}");
        let live = |token: String| {
            let url = p.admin[0].clone();
            async move { call(&url, Method::POST, "/saml/sso", Some(&token), Some(&json!({"SAMLRequest": "x"}))).await.0 }
        };
        assert_eq!(live(carol.clone()).await, 404, "carol is signed in");

        // The SP's signed LogoutRequest: the session ends, the SP accepts the signed answer.
        let logout = sp(&json!({"cmd": "logout", "settings": settings, "nameId": "carol@example.com",
            "sessionIndex": index, "relayState": "/bye"}));
        let url = logout["url"].as_str().unwrap().to_owned();
        assert!(url.starts_with(&slo) && url.contains("Signature="), "{url}");
        let resp = no_redirects().get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 302, "{}", resp.text().await.unwrap());
        let back = resp.headers()["location"].to_str().unwrap().to_owned();
        assert!(back.starts_with(&format!("{SP_SLO}?SAMLResponse=")) && back.contains("Signature="), "{back}");
        let checked = sp(&json!({"cmd": "sls", "settings": settings, "url": back, "requestId": logout["id"]}));
        assert_eq!(checked["errors"], json!([]), "{checked}");
        let (s, r) =
            call(&p.admin[0], Method::POST, "/saml/sso", Some(&carol), Some(&json!({"SAMLRequest": "x"}))).await;
        assert_error(s, &r, 401, "ended");
        // Only the session the assertion named: carol's other login lives on.
        assert_eq!(live(other.clone()).await, 404);

        // The same request again: refused.
        let resp = no_redirects().get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp.text().await.unwrap().contains("used already"));
        // Altered on the way (the RelayState): the signature no longer matches.
        let index = sp_login(&p, &other, &settings).await;
        let logout = sp(&json!({"cmd": "logout", "settings": settings, "sessionIndex": index,
            "nameId": "carol@example.com", "relayState": "/bye"}));
        let forged = logout["url"].as_str().unwrap().replace("RelayState=%2Fbye", "RelayState=%2Fevil");
        let resp = no_redirects().get(&forged).send().await.unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp.text().await.unwrap().contains("signature"));
        assert_eq!(live(other.clone()).await, 404, "a refused request ends nothing");
        // Unsigned, to a provider that must sign: refused.
        let text = sp(&json!({"cmd": "logout", "settings": sp_settings(&sp_key, &sp_cert, &idp, &slo, false),
            "sessionIndex": index, "nameId": "carol@example.com"}))["url"]
            .as_str()
            .unwrap()
            .to_owned();
        let stripped: Vec<String> = text
            .split(['?', '&'])
            .skip(1)
            .filter(|kv| !kv.starts_with("Signature=") && !kv.starts_with("SigAlg="))
            .map(str::to_owned)
            .collect();
        let resp = no_redirects().get(format!("{slo}?{}", stripped.join("&"))).send().await.unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp.text().await.unwrap().contains("must sign"));
        assert_eq!(live(other).await, 404);

        // A visit without a request: the console's logout page.
        let resp = no_redirects().get(&slo).send().await.unwrap();
        assert_eq!(resp.status(), 302);
        assert!(
            resp.headers()["location"].to_str().unwrap().starts_with(&format!("{LOGOUT_PAGE}?communityName=default"))
        );
    }
}

/// Follows a 302: its location.
async fn redirected(url: &str) -> String {
    let resp = no_redirects().get(url).send().await.unwrap();
    assert_eq!(resp.status(), 302, "{url}: {}", resp.text().await.unwrap());
    resp.headers()["location"].to_str().unwrap().to_owned()
}

fn query_value(url: &str, name: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

#[tokio::test]
async fn an_external_openid_provider_signs_users_in_with_code_pkce_and_a_verified_id_token() {
    // The OpenID provider is the community's own (`/oidc`, checked against the `openidconnect`
    // crate in `oidc.rs`): its ID tokens, JWKS and token endpoint are what the relying party meets.
    const OP_LOGIN: &str = "https://op-login.example.com/";
    let extra = [("OIDC_LOGIN_URL", OP_LOGIN), ("SAML_LOGIN_URL", LOGIN_PAGE)];
    for storage in [Storage::Embedded, Storage::Redis] {
        let Some(p) = platform(storage, "oidc external", 1, &extra).await else { continue };
        let url = p.admin[0].clone();
        let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
        let people = json!({"authModule": p.module, "users": [{"username": "carol", "password": "Amber-Canyon-93",
            "email1": "carol@example.com", "firstname": "Carol", "lastname": "Reed"}]});
        assert_eq!(p.users_call(Method::PUT, "/users/create", people).await["created"], 1);
        let community = format!("/tenant/{}/community/{}", p.tenant, p.community);
        let callback = format!("{url}{community}/external_idp/oidc/callback");
        let client = json!({"name": "Console RP", "type": "oidc", "oidc_config": {
            "grant_types": ["authorization_code"], "redirect_uris": [callback],
            "scope": ["openid", "profile", "email"], "id_token_signed_response_alg": "RS256"}});
        let (s, r) = call(&url, Method::PUT, "/serviceprovider", Some(&jane), Some(&client)).await;
        assert_eq!(s, 200, "{r}");
        let (client_id, secret) = (&r["oidc_config"]["client_id"], &r["oidc_config"]["client_secret"]);
        let issuer = format!("{url}{community}/oidc");
        let discovery: Value =
            reqwest::get(format!("{issuer}/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
        let idp = json!({"type": "oidc", "name": "Corporate OP", "issuer": issuer, "clientId": client_id,
            "clientSecret": secret, "authorizationUrl": discovery["authorization_endpoint"],
            "tokenUrl": discovery["token_endpoint"], "jwksUrl": discovery["jwks_uri"]});
        let (s, made) = call(&url, Method::PUT, "/external_idp", Some(&jane), Some(&idp)).await;
        assert_eq!(s, 200, "{made}");

        // The browser: login → the OP → its login page → the OP's answer → the callback.
        let carol = bearer(&p.token("carol", "Amber-Canyon-93").await);
        let sign_in = |relay: &'static str| {
            let (url, community, carol) = (url.clone(), community.clone(), carol.clone());
            async move {
                let to_op = redirected(&format!("{url}{community}/external_idp/oidc/login?relayState={relay}")).await;
                assert!(to_op.contains("code_challenge=") && to_op.contains("nonce="), "{to_op}");
                let to_page = redirected(&to_op).await;
                assert!(to_page.starts_with(OP_LOGIN), "{to_page}");
                let request = json!({"OIDCRequest": query_value(&to_page, "OIDCRequest")});
                let (s, r) = call(&url, Method::POST, "/oidc/sso", Some(&carol), Some(&request)).await;
                assert_eq!(s, 200, "{r}");
                r["redirect_uri"].as_str().unwrap().to_owned()
            }
        };
        let back = sign_in("%2Fconsole").await;
        assert!(back.starts_with(&callback), "{back}");
        let to_console = redirected(&back).await;
        assert!(to_console.starts_with("https://login.example.com/console?code="), "{to_console}");
        let code = json!({"code": query_value(&to_console, "code")});
        let (s, r) = call(&url, Method::POST, "/saml/acs/token", None, Some(&code)).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["user"]["username"], "carol");
        // The OP's answer again: its state was used.
        let resp = no_redirects().get(&back).send().await.unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp.text().await.unwrap().contains("state does not name a pending login"));
        // An error answer, and a state made up.
        let back = sign_in("%2Fconsole").await;
        let errored = back.replace("code=", "error=access_denied&code=");
        let resp = no_redirects().get(&errored).send().await.unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp.text().await.unwrap().contains("answered an error"));
        let resp = no_redirects().get(format!("{callback}?code=x&state={}", "A".repeat(43))).send().await.unwrap();
        assert_eq!(resp.status(), 400);

        // An ID token from another issuer than the one registered: refused.
        let id = made["id"].as_str().unwrap();
        let patch = json!({"issuer": "https://other-op.example.com/oidc"});
        let (s, r) = call(&url, Method::PATCH, &format!("/external_idp/{id}"), Some(&jane), Some(&patch)).await;
        assert_eq!(s, 200, "{r}");
        let back = sign_in("%2Fconsole").await;
        let resp = no_redirects().get(&back).send().await.unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp.text().await.unwrap().contains("iss"));
        // Another client's id: the OP's token endpoint refuses the code.
        let patch = json!({"issuer": issuer, "clientId": "someone-else"});
        assert_eq!(call(&url, Method::PATCH, &format!("/external_idp/{id}"), Some(&jane), Some(&patch)).await.0, 200);
        let resp = no_redirects().get(format!("{url}{community}/external_idp/oidc/login")).send().await.unwrap();
        let to_op = resp.headers()["location"].to_str().unwrap().to_owned();
        assert!(to_op.contains("client_id=someone-else"), "{to_op}");
        // A RelayState elsewhere than the console's origin is refused before leaving.
        let resp = no_redirects()
            .get(format!("{url}{community}/external_idp/oidc/login?relayState=https%3A%2F%2Fevil.example.com%2F"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
    }
}
