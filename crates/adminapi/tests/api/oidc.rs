//! The OpenID Connect provider driven by an independent relying party (the `openidconnect`
//! crate): discovery, a full authorization code + PKCE login through the login page's
//! `POST /oidc/sso`, the ID token validated against the published JWKS (ES256 and RS256
//! clients), userinfo, refresh tokens replaced at each use, key rotation with the old key still
//! published; and the refusals: an unregistered redirect_uri, a reused code, a wrong PKCE
//! verifier, a wrong secret, a public client without PKCE, another community's user.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, bearer, call, platform, uid_of};
use kit::testing::Storage;

const LOGIN_PAGE: &str = "https://login.example.com/oidc";
const CALLBACK: &str = "https://rp.example.com/callback";

type Reply = Pin<Box<dyn Future<Output = Result<openidconnect::HttpResponse, reqwest::Error>>>>;

/// The relying party's HTTP client: reqwest, no redirects followed.
fn rp_http() -> impl Fn(openidconnect::HttpRequest) -> Reply {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    move |request: openidconnect::HttpRequest| -> Reply {
        let client = client.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let mut r = client.request(parts.method, parts.uri.to_string()).body(body);
            for (k, v) in &parts.headers {
                r = r.header(k, v);
            }
            let resp = r.send().await?;
            let mut out = openidconnect::http::Response::builder().status(resp.status());
            for (k, v) in resp.headers() {
                out = out.header(k, v);
            }
            Ok(out.body(resp.bytes().await?.to_vec()).unwrap())
        })
    }
}

fn issuer(p: &Platform) -> String {
    format!("{}/tenant/{}/community/{}/oidc", p.admin[0], p.tenant, p.community)
}

/// An OIDC service provider made by jane: its client id and secret (none for a public client).
async fn register(p: &Platform, admin: &str, alg: &str, public: bool) -> (String, Option<String>) {
    let mut config = json!({"grant_types": ["authorization_code", "refresh_token"], "redirect_uris": [CALLBACK],
        "scope": ["openid", "profile", "email"], "id_token_signed_response_alg": alg});
    if public {
        config["token_endpoint_auth_method"] = json!("none");
    }
    let body = json!({"name": format!("RP {alg}"), "type": "oidc", "oidc_config": config});
    let (s, r) = call(&p.admin[0], Method::PUT, "/serviceprovider", Some(admin), Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    let client = &r["oidc_config"];
    (client["client_id"].as_str().unwrap().to_owned(), client["client_secret"].as_str().map(str::to_owned))
}

/// Follows an authorization URL as a browser would up to the login page: the `OIDCRequest`.
async fn to_login_page(url: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 302, "{}", resp.text().await.unwrap());
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(LOGIN_PAGE), "{location}");
    location.query_pairs().find(|(k, _)| k == "OIDCRequest").unwrap().1.into_owned()
}

/// The login page: the user signs in and completes the request; the code and the state the
/// client gets back.
async fn sign_in(p: &Platform, user: &str, password: &str, oidc_request: &str) -> (String, String) {
    let token = bearer(&p.token(user, password).await);
    let (s, r) =
        call(&p.admin[0], Method::POST, "/oidc/sso", Some(&token), Some(&json!({"OIDCRequest": oidc_request}))).await;
    assert_eq!(s, 200, "{r}");
    let back = url::Url::parse(r["redirect_uri"].as_str().unwrap()).unwrap();
    assert!(back.as_str().starts_with(CALLBACK), "{back}");
    let get = |name: &str| back.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap();
    assert_eq!(get("code"), r["code"].as_str().unwrap());
    (get("code"), get("state"))
}

fn client(
    metadata: CoreProviderMetadata,
    id: &str,
    secret: Option<&str>,
) -> openidconnect::core::CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
> {
    CoreClient::from_provider_metadata(metadata, ClientId::new(id.into()), secret.map(|s| ClientSecret::new(s.into())))
        .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap())
}

/// The token endpoint called by hand (for the refusals the RP library would not send).
async fn token_call(p: &Platform, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> (u16, Value) {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut req = reqwest::Client::new()
        .post(format!("{}/token", issuer(p)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    assert_eq!(resp.headers()["cache-control"], "no-store");
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn a_relying_party_signs_a_user_in_with_code_and_pkce() {
    // Redis: the pending requests, codes and tokens live there when the deployment has it.
    for storage in [Storage::Embedded, Storage::Postgres, Storage::Redis] {
        let Some(p) = platform(storage, "oidc login", 1, &[("OIDC_LOGIN_URL", LOGIN_PAGE)]).await else { continue };
        let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
        let people = json!({"authModule": p.module, "users": [{"username": "carol", "password": "Amber-Canyon-93",
            "email1": "carol@example.com", "firstname": "Carol", "lastname": "Reed"}]});
        assert_eq!(p.users_call(Method::PUT, "/users/create", people).await["created"], 1);
        let carol_uid = uid_of(&p, "carol").await;
        let http = rp_http();

        for alg in ["ES256", "RS256"] {
            let (client_id, secret) = register(&p, &jane, alg, false).await;
            let metadata =
                CoreProviderMetadata::discover_async(IssuerUrl::new(issuer(&p)).unwrap(), &http).await.unwrap();
            let rp = client(metadata, &client_id, secret.as_deref());
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            let (url, csrf, nonce) = rp
                .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
                .add_scope(Scope::new("profile".into()))
                .add_scope(Scope::new("email".into()))
                .set_pkce_challenge(challenge)
                .url();
            let oidc_request = to_login_page(url.as_str()).await;

            // The login page shows the application.
            let info = json!({"tenantId": p.tenant, "communityId": p.community, "OIDCRequest": oidc_request});
            let (s, r) = call(&p.admin[0], Method::POST, "/serviceprovider/publicinfo/fetch", None, Some(&info)).await;
            assert_eq!((s, r["name"].as_str()), (200, Some(format!("RP {alg}").as_str())), "{r}");
            assert_eq!(r["scope"], json!(["openid", "profile", "email"]));
            assert_eq!((r["hideBanner"].as_bool(), r["mobileAppLabel"].as_str()), (Some(false), None), "{r}");

            let (code, state) = sign_in(&p, "carol", "Amber-Canyon-93", &oidc_request).await;
            assert_eq!(&state, csrf.secret());
            let tokens = rp
                .exchange_code(AuthorizationCode::new(code.clone()))
                .unwrap()
                .set_pkce_verifier(verifier)
                .request_async(&http)
                .await
                .unwrap();
            let id_token = tokens.id_token().unwrap();
            let algs = [if alg == "ES256" {
                CoreJwsSigningAlgorithm::EcdsaP256Sha256
            } else {
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256
            }];
            let verifier = rp.id_token_verifier().set_allowed_algs(algs);
            let claims = id_token.claims(&verifier, &nonce).unwrap();
            assert_eq!(claims.subject().as_str(), carol_uid);
            assert_eq!(claims.email().map(|e| e.as_str()), Some("carol@example.com"));
            assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some("carol"));
            assert!(claims.expiration() > chrono::Utc::now());
            if let Some(hash) = claims.access_token_hash() {
                let computed = AccessTokenHash::from_token(
                    tokens.access_token(),
                    id_token.signing_alg().unwrap(),
                    id_token.signing_key(&verifier).unwrap(),
                )
                .unwrap();
                assert_eq!(hash, &computed);
            }

            // Userinfo by the access token.
            let info: CoreUserInfoClaims = rp
                .user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
                .unwrap()
                .request_async(&http)
                .await
                .unwrap();
            assert_eq!(info.email().map(|e| e.as_str()), Some("carol@example.com"));
            assert_eq!(info.given_name().and_then(|n| n.get(None)).map(|n| n.as_str()), Some("Carol"));

            // A refresh token is replaced at each use.
            let refresh = tokens.refresh_token().unwrap().clone();
            let renewed = rp.exchange_refresh_token(&refresh).unwrap().request_async(&http).await.unwrap();
            assert_ne!(renewed.access_token().secret(), tokens.access_token().secret());
            let renewed_id = renewed.id_token().unwrap().claims(&verifier, |_: Option<&Nonce>| Ok(())).unwrap();
            assert_eq!(renewed_id.subject().as_str(), carol_uid);
            assert!(rp.exchange_refresh_token(&refresh).unwrap().request_async(&http).await.is_err(), "used once");
            // The code is spent; a second use revokes what the first was given (RFC 6749 4.1.2).
            let again = rp
                .exchange_code(AuthorizationCode::new(code.clone()))
                .unwrap()
                .set_pkce_verifier(PkceCodeVerifier::new("x".repeat(43)))
                .request_async(&http)
                .await;
            assert!(again.is_err());
            let form = [
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", &"x".repeat(43)),
            ];
            let (s, r) = token_call(&p, &form, Some((&client_id, secret.as_deref().unwrap()))).await;
            assert_eq!((s, r["error"].as_str()), (400, Some("invalid_grant")), "{r}");

            // Every token of the code goes, the ones refreshed from it too.
            let (s, r) = token_call(
                &p,
                &[("grant_type", "refresh_token"), ("refresh_token", renewed.refresh_token().unwrap().secret())],
                Some((&client_id, secret.as_deref().unwrap())),
            )
            .await;
            assert_eq!((s, r["error"].as_str()), (400, Some("invalid_grant")), "a refreshed token is revoked too: {r}");
            for access in [tokens.access_token(), renewed.access_token()] {
                let info: Result<CoreUserInfoClaims, _> =
                    rp.user_info(access.clone(), None).unwrap().request_async(&http).await;
                assert!(format!("{info:?}").contains("401"), "{info:?}");
            }
        }
    }
}

#[tokio::test]
async fn the_provider_refuses_what_rfc_6749_and_7636_refuse() {
    let Some(p) = platform(Storage::Embedded, "oidc refusals", 1, &[("OIDC_LOGIN_URL", LOGIN_PAGE)]).await else {
        return;
    };
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let (client_id, secret) = register(&p, &jane, "ES256", false).await;
    let secret = secret.unwrap();
    let http = rp_http();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer(&p)).unwrap(), &http).await.unwrap();
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // An unregistered redirect_uri is refused to the user agent, never redirected to.
    let rp_elsewhere = client(metadata.clone(), &client_id, Some(&secret))
        .set_redirect_uri(RedirectUrl::new("https://evil.example.com/callback".into()).unwrap());
    let (url, _, _) = rp_elsewhere
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .url();
    let resp = raw.get(url.as_str()).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("redirect_uri is not registered"), "{body}");
    assert!(!body.to_string().contains("evil.example.com"), "the value is not echoed");

    // A scope the client is not registered for goes back to the client, with the state.
    let rp = client(metadata.clone(), &client_id, Some(&secret));
    let (url, csrf, _) = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("offline_access".into()))
        .url();
    let resp = raw.get(url.as_str()).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let back = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(back.as_str().starts_with(CALLBACK));
    let pairs: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!((pairs["error"].as_str(), pairs["state"].as_str()), ("invalid_scope", csrf.secret().as_str()));

    // A wrong PKCE verifier, and the code is spent by the attempt.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .set_pkce_challenge(challenge)
        .url();
    let (code, _) = sign_in(&p, "bob", "Violet-Harbor-58", &to_login_page(url.as_str()).await).await;
    let wrong = PkceCodeVerifier::new("a".repeat(64));
    let refused = rp
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(wrong)
        .request_async(&http)
        .await;
    assert!(format!("{refused:?}").contains("invalid_grant"), "{refused:?}");
    let right =
        rp.exchange_code(AuthorizationCode::new(code)).unwrap().set_pkce_verifier(verifier).request_async(&http).await;
    assert!(right.is_err(), "the code was spent by the wrong attempt");

    // A redirect_uri other than the authorization request's; a wrong secret; a verifier missing.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .set_pkce_challenge(challenge)
        .url();
    let (code, _) = sign_in(&p, "bob", "Violet-Harbor-58", &to_login_page(url.as_str()).await).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier.secret().as_str()),
    ];
    let (s, r) = token_call(&p, &form, Some((&client_id, "not-the-secret"))).await;
    assert_eq!((s, r["error"].as_str()), (401, Some("invalid_client")), "{r}");
    let mut elsewhere = form;
    elsewhere[2] = ("redirect_uri", "https://rp.example.com/other");
    let (s, r) = token_call(&p, &elsewhere, Some((&client_id, &secret))).await;
    assert_eq!((s, r["error"].as_str()), (400, Some("invalid_grant")), "{r}");
    assert!(r["error_description"].as_str().unwrap().contains("redirect_uri"), "{r}");
    assert_eq!(r["statusCode"], 400);
    let (s, r) = token_call(&p, &[("grant_type", "password")], Some((&client_id, &secret))).await;
    assert_eq!((s, r["error"].as_str()), (400, Some("unsupported_grant_type")), "{r}");

    // A public client must use PKCE.
    let (public_id, none) = register(&p, &jane, "ES256", true).await;
    assert!(none.is_none(), "a public client has no secret");
    let public = client(metadata.clone(), &public_id, None);
    let (url, _, _) =
        public.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random).url();
    let resp = raw.get(url.as_str()).send().await.unwrap();
    let back = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(back.query().unwrap().contains("error=invalid_request"), "{back}");
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = public
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .set_pkce_challenge(challenge)
        .url();
    let (code, _) = sign_in(&p, "bob", "Violet-Harbor-58", &to_login_page(url.as_str()).await).await;
    let tokens = public
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let verifier = public.id_token_verifier().set_allowed_algs([CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let claims = tokens.id_token().unwrap().claims(&verifier, &nonce).unwrap();
    assert_eq!(claims.subject().as_str(), uid_of(&p, "bob").await);
    assert!(claims.email().is_none() && claims.preferred_username().is_none(), "only the openid scope was asked");

    // Deleting the client ends what it was given.
    let userinfo = || async {
        let resp = raw
            .get(format!("{}/userinfo", issuer(&p)))
            .bearer_auth(tokens.access_token().secret())
            .send()
            .await
            .unwrap();
        let challenge = resp.headers().get("www-authenticate").map(|h| h.to_str().unwrap().to_owned());
        (resp.status().as_u16(), challenge, resp.json::<Value>().await.unwrap())
    };
    let (s, _, info) = userinfo().await;
    assert_eq!((s, info["sub"].as_str()), (200, Some(claims.subject().as_str())));
    let (s, listed) =
        call(&p.admin[0], Method::POST, "/serviceprovider/fetch", Some(&jane), Some(&json!({"type": "oidc"}))).await;
    assert_eq!(s, 200);
    let sp_id = listed.as_array().unwrap().iter().find(|x| x["oidc_config"]["client_id"] == json!(public_id)).unwrap()
        ["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _) = call(&p.admin[0], Method::DELETE, &format!("/serviceprovider/{sp_id}"), Some(&jane), None).await;
    assert_eq!(s, 204);
    let (s, challenge, _) = userinfo().await;
    assert_eq!(s, 401);
    assert!(challenge.unwrap().starts_with("Bearer error=\"invalid_token\""));
    let refresh = tokens.refresh_token().unwrap().secret().clone();
    let (s, r) = token_call(
        &p,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", &public_id)],
        None,
    )
    .await;
    assert_eq!((s, r["error"].as_str()), (401, Some("invalid_client")), "{r}");

    // A pending request completes once, for a user of its community only; no login, no SSO.
    let (url, _, _) =
        rp.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random).url();
    let pending = to_login_page(url.as_str()).await;
    let (s, _) = call(&p.admin[0], Method::POST, "/oidc/sso", None, Some(&json!({"OIDCRequest": pending}))).await;
    assert_eq!(s, 401);
    sign_in(&p, "bob", "Violet-Harbor-58", &pending).await;
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let (s, r) = call(&p.admin[0], Method::POST, "/oidc/sso", Some(&bob), Some(&json!({"OIDCRequest": pending}))).await;
    assert_eq!(s, 404, "{r}");
    let (s, r) = call(&p.admin[0], Method::POST, "/oidc/sso", Some(&bob), Some(&json!({"OIDCRequest": 7}))).await;
    assert_eq!(s, 400, "{r}");

    // A service provider that forces re-authentication (and prompt=login, and max_age) wants a
    // login newer than the request: an older one gets 420 and the request waits.
    let forced = json!({"name": "Forced", "type": "oidc", "forceReauthentication": true, "oidc_config": {
        "grant_types": ["authorization_code"], "redirect_uris": [CALLBACK], "scope": ["openid"],
        "id_token_signed_response_alg": "ES256"}});
    let (s, r) = call(&p.admin[0], Method::PUT, "/serviceprovider", Some(&jane), Some(&forced)).await;
    assert_eq!(s, 200, "{r}");
    let forced_client = client(
        metadata.clone(),
        r["oidc_config"]["client_id"].as_str().unwrap(),
        r["oidc_config"]["client_secret"].as_str(),
    );
    let older = bearer(&p.token("bob", "Violet-Harbor-58").await);
    // Logins and requests are dated in seconds: the request comes two seconds later.
    p.clock.advance(std::time::Duration::from_secs(2));
    let (url, _, _) = forced_client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .url();
    let waiting = to_login_page(url.as_str()).await;
    let (s, r) =
        call(&p.admin[0], Method::POST, "/oidc/sso", Some(&older), Some(&json!({"OIDCRequest": waiting}))).await;
    assert_eq!((s, r["statusCode"].as_u64()), (420, Some(420)), "{r}");
    sign_in(&p, "bob", "Violet-Harbor-58", &waiting).await;
    let (url, _, _) = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_extra_param("prompt", "login")
        .url();
    let waiting = to_login_page(url.as_str()).await;
    let (s, _) =
        call(&p.admin[0], Method::POST, "/oidc/sso", Some(&older), Some(&json!({"OIDCRequest": waiting}))).await;
    assert_eq!(s, 420, "prompt=login");
    let (url, _, _) = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_extra_param("max_age", "3600")
        .url();
    let (s, r) = call(
        &p.admin[0],
        Method::POST,
        "/oidc/sso",
        Some(&older),
        Some(&json!({"OIDCRequest": to_login_page(url.as_str()).await})),
    )
    .await;
    assert_eq!(s, 200, "a login within max_age: {r}");

    // Another community's path does not know the client.
    let other = tenancy_community(&p).await;
    let url = format!(
        "{}/tenant/{}/community/{other}/oidc/authorize?client_id={client_id}&redirect_uri={CALLBACK}&response_type=code&scope=openid",
        p.admin[0], p.tenant
    );
    let resp = raw.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let (s, _) = call(
        &p.admin[0],
        Method::GET,
        &format!("/tenant/{}/community/6a0000000000000000000000/oidc/jwks", p.tenant),
        None,
        None,
    )
    .await;
    assert_eq!(s, 404);
}

/// A second community of the platform's tenant.
async fn tenancy_community(p: &Platform) -> String {
    adminapi::domain::tenancy::create_community(&*p.stores.tenancy, &p.tenant, "second").await.unwrap().id
}

#[tokio::test]
async fn a_rotated_key_stays_published_until_its_tokens_expire() {
    use adminapi::domain::oidc::keys::KeySet;
    use kit::sealer::Sealer;

    let Some(p) = platform(Storage::Embedded, "oidc rotation", 1, &[("OIDC_LOGIN_URL", LOGIN_PAGE)]).await else {
        return;
    };
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let (client_id, secret) = register(&p, &jane, "ES256", false).await;
    let http = rp_http();
    let login = |metadata: CoreProviderMetadata| {
        let (client_id, secret, http, p) = (client_id.clone(), secret.clone(), &http, &p);
        async move {
            let rp = client(metadata, &client_id, secret.as_deref());
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            let (url, _, nonce) = rp
                .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
                .set_pkce_challenge(challenge)
                .url();
            let (code, _) = sign_in(p, "bob", "Violet-Harbor-58", &to_login_page(url.as_str()).await).await;
            let tokens = rp
                .exchange_code(AuthorizationCode::new(code))
                .unwrap()
                .set_pkce_verifier(verifier)
                .request_async(http)
                .await
                .unwrap();
            (tokens.id_token().unwrap().clone(), nonce)
        }
    };
    let jwks = || async { reqwest::get(format!("{}/jwks", issuer(&p))).await.unwrap().json::<Value>().await.unwrap() };
    let ec_kids = |set: Value| -> Vec<String> {
        set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["kty"] == "EC")
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    let published = jwks().await;
    let kinds: Vec<(&str, &str)> = published["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kty"].as_str().unwrap(), k["alg"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds.len(), 2, "{published}");
    assert!(kinds.contains(&("EC", "ES256")) && kinds.contains(&("RSA", "RS256")), "{published}");
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(
            published["keys"].as_array().unwrap().iter().all(|k| k.get(private).is_none()),
            "never the private part"
        );
    }
    let old_kid = ec_kids(published.clone())[0].clone();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer(&p)).unwrap(), &http).await.unwrap();
    let (old_token, old_nonce) = login(metadata).await;
    assert_eq!(jwks().await, published, "the first token is signed by the published key");

    // Rotate with the deployment's key (as the CLI does).
    let key = std::fs::read_to_string(format!("{}/{}", p.data_dir, kit::sealer::KEY_FILE)).unwrap();
    let sealer = Arc::new(Sealer::from_base64(key.trim()).unwrap());
    let keys = KeySet::new(p.stores.oidc_keys.clone(), sealer, 90 * 86_400, 3660);
    let now = envelope::wire::now_epoch();
    let new_kid = keys.rotate(&p.tenant, &p.community, "ES256", now).await.unwrap();
    assert_eq!(
        ec_kids(jwks().await),
        [new_kid.clone(), old_kid.clone()],
        "the new key first, the old one still published"
    );

    // A relying party that fetches the set again validates old and new tokens.
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer(&p)).unwrap(), &http).await.unwrap();
    let (new_token, new_nonce) = login(metadata.clone()).await;
    let rp = client(metadata, &client_id, secret.as_deref());
    let verifier = rp.id_token_verifier().set_allowed_algs([CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    assert!(new_token.claims(&verifier, &new_nonce).is_ok());
    assert!(old_token.claims(&verifier, &old_nonce).is_ok(), "the retired key still verifies its tokens");
    let header: Value = {
        use base64::Engine as _;
        let part = new_token.to_string().split('.').next().unwrap().to_owned();
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    assert_eq!(header["kid"], json!(new_kid));
    // Once its tokens have expired, the old key is no longer published.
    let later = keys_published(&p, now + 3661).await;
    assert!(later.contains(&new_kid) && !later.contains(&old_kid), "{later:?}");
}

async fn keys_published(p: &Platform, at: i64) -> Vec<String> {
    p.stores.oidc_keys.published(&p.community, at).await.unwrap().into_iter().map(|k| k.kid).collect()
}
