//! A community's other settings over HTTP: branding (read without a login), self-registration
//! (per community, bounded by the super admin's instance config), session attributes (whole for
//! administrators, identity only for others), the configuration read by key path, and the login
//! session age set through `PATCH /environment`.

use std::sync::Arc;

use adminapi::domain::authz;
use envelope::{Client, Curve, KeyPair};
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, call_plain, platform, uid_of};
use kit::testing::Storage;

fn branding(p: &Platform) -> Value {
    json!({"tenantId": p.tenant, "communityId": p.community, "bg_color_left_panel": "ABC123",
        "bg_color_right_panel": "#ffffff", "heading_text_color": "#000", "primary_button_color": "#112233",
        "active_tab_text_color": "#445566", "links_color": "#778899", "community_logo_img": "iVBORw0KGgo=",
        "bg_img_left_panel": "https://cdn.example.com/left.png", "default_login_method": "qr"})
}

#[tokio::test]
async fn branding_is_read_without_a_login_and_set_by_administrators() {
    let Some(p) = platform(Storage::Embedded, "branding", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let ids = json!({"tenantId": p.tenant, "communityId": p.community});

    // A login page: signed headers, no license, no login.
    let page = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap();
    let reply = page.call(Method::POST, url, "/branding/fetch", Some(&ids)).await.unwrap();
    assert_eq!((reply.status, reply.sealed), (200, true));
    assert_eq!(
        (reply.body["default_login_method"].as_str(), reply.body["links_color"].as_str()),
        (Some("username"), Some("#0067B8"))
    );

    let (s, r) = call(url, Method::PUT, "/branding", Some(&jane), Some(&branding(&p))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["default_login_method"].as_str(), r["username_label"].as_str()), (Some("qr"), Some("Username")));
    let (s, r) = call_plain(url, Method::POST, "/branding/fetch", None, &ids).await;
    assert_eq!((s, r["bg_color_left_panel"].as_str()), (200, Some("ABC123")), "{r}");

    let mut bad = branding(&p);
    bad["links_color"] = json!("javascript:alert(1)");
    let (s, r) = call(url, Method::PUT, "/branding", Some(&jane), Some(&bad)).await;
    assert_error(s, &r, 400, "links_color must be a hex color");
    assert!(!r.to_string().contains("javascript"), "{r}");
    let mut missing = branding(&p);
    missing.as_object_mut().unwrap().remove("community_logo_img");
    let (s, r) = call(url, Method::PUT, "/branding", Some(&jane), Some(&missing)).await;
    assert_error(s, &r, 400, "community_logo_img is required");
    let mut enabled = branding(&p);
    enabled["app_download_override"] = json!({"enabled": true});
    let (s, r) = call(url, Method::PUT, "/branding", Some(&jane), Some(&enabled)).await;
    assert_error(s, &r, 400, "app_download_override.content is required when enabled");

    let nowhere = json!({"tenantId": p.tenant, "communityId": "6a0000000000000000000009"});
    let reply = page.call(Method::POST, url, "/branding/fetch", Some(&nowhere)).await.unwrap();
    assert_eq!(reply.status, 404, "{}", reply.body);
}

#[tokio::test]
async fn self_registration_is_bounded_by_the_instance_and_only_a_super_admin_sets_that() {
    let Some(p) = platform(Storage::Embedded, "self registration", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let ids = json!({"tenantId": p.tenant, "communityId": p.community});

    let (s, r) = call(url, Method::POST, "/config/self_registration_config/fetch", Some(&jane), Some(&ids)).await;
    assert_eq!((s, r), (200, json!({"allowed": false})));
    let (s, r) =
        call(url, Method::PUT, "/config/self_registration_config", Some(&jane), Some(&json!({"allowed": true}))).await;
    assert_eq!((s, r), (200, json!({"allowed": true})));
    let (s, r) = call(url, Method::GET, "/instance_config/self_registration_config", Some(&jane), None).await;
    assert_error(s, &r, 403, "may not");

    // bob becomes a super admin (from the command line in a deployment) and closes the instance.
    let bob_uid = uid_of(&p, "bob").await;
    authz::assign(&*p.stores.authz, &p.tenant, &p.community, &bob_uid, "super_admin", "tests").await.unwrap();
    let root = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let (s, r) = call(url, Method::GET, "/instance_config/self_registration_config", Some(&root), None).await;
    assert_eq!((s, r), (200, json!({"allowed": true})));
    let (s, r) = call(
        url,
        Method::PUT,
        "/instance_config/self_registration_config",
        Some(&root),
        Some(&json!({"allowed": false})),
    )
    .await;
    assert_eq!((s, r), (200, json!({"allowed": false})));
    let (s, r) =
        call(url, Method::PUT, "/config/self_registration_config", Some(&jane), Some(&json!({"allowed": true}))).await;
    assert_error(s, &r, 403, "the instance does not allow self-registration");
    let (s, _) =
        call(url, Method::PUT, "/config/self_registration_config", Some(&jane), Some(&json!({"allowed": false}))).await;
    assert_eq!(s, 200, "closing is always allowed");
    let instance = p.stores.audit.changes("*", 10).await.unwrap();
    assert_eq!((instance.len(), instance[0].actor.as_str()), (1, bob_uid.as_str()));
}

#[tokio::test]
async fn session_attributes_and_the_configuration_by_key_path() {
    let Some(p) = platform(Storage::Embedded, "session attributes", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);

    let set = json!({"tenantId": p.tenant, "communityId": p.community, "data": ["department", "cost.center"]});
    let (s, r) = call(url, Method::PUT, "/config/session_attributes", Some(&jane), Some(&set)).await;
    assert_eq!((s, r), (200, json!({"custom": ["department", "cost.center"]})));
    let (s, r) =
        call(url, Method::PUT, "/config/session_attributes", Some(&jane), Some(&json!({"data": ["a b"]}))).await;
    assert_error(s, &r, 400, "data[0] must be 1 to 64 letters");

    let all = json!({"tenantId": p.tenant, "communityId": p.community});
    let (s, r) = call(url, Method::POST, "/config/session_attributes/fetch", Some(&jane), Some(&all)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["custom"], json!(["department", "cost.center"]));
    assert!(r["baseline"].as_array().unwrap().contains(&json!("did")) && r["ledger"].is_array(), "{r}");
    assert_eq!(r["identity"][0], json!({"attribute": "firstname", "displayName": "First name"}));
    let (s, r) = call(url, Method::POST, "/config/session_attributes/fetch", Some(&bob), Some(&all)).await;
    let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!((s, keys), (200, vec!["identity"]), "a user sees identity only");
    let only = json!({"local_key_paths": [], "global_key_paths": ["blockid_ledger_attributes"]});
    let (_, r) = call(url, Method::POST, "/config/session_attributes/fetch", Some(&jane), Some(&only)).await;
    assert_eq!(r.as_object().unwrap().keys().map(String::as_str).collect::<Vec<_>>(), vec!["ledger"]);
    let wrong = json!({"global_key_paths": ["secrets"]});
    let (s, r) = call(url, Method::POST, "/config/session_attributes/fetch", Some(&jane), Some(&wrong)).await;
    assert_error(s, &r, 400, "global_key_paths[0] must be one of");

    let paths = json!({"key_paths": ["mfa_settings.otpMaxAttempts", "session_attributes", "identity_attributes", "branding.links_color"]});
    let (s, r) = call(url, Method::POST, "/config/fetch", Some(&jane), Some(&paths)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["mfa_settings.otpMaxAttempts"], json!(5));
    assert_eq!(r["session_attributes"], json!({"blockid_session_attributes": ["department", "cost.center"]}));
    assert_eq!(r["branding.links_color"], json!("#0067B8"));
    for bad in
        [json!({"key_paths": ["mfa_settings.nope"]}), json!({"key_paths": ["passwords"]}), json!({"key_paths": []})]
    {
        let (s, r) = call(url, Method::POST, "/config/fetch", Some(&jane), Some(&bad)).await;
        assert_eq!(s, 400, "{bad}: {r}");
    }
}

fn lifetime(token: &str) -> i64 {
    use base64::Engine as _;
    let part = token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap();
    claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()
}

#[tokio::test]
async fn the_environment_sets_how_long_the_communitys_logins_last() {
    let Some(p) = platform(Storage::Embedded, "environment", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = p.token("jane", "Quartz-Meadow-71").await;
    assert_eq!(lifetime(&jane), 3600, "the deployment's ADMIN_SESSION_TTL_SECONDS");
    let (s, r) =
        call(url, Method::PATCH, "/environment", Some(&bearer(&jane)), Some(&json!({"sessionMaxAgeMinute": 5}))).await;
    assert_eq!((s, r), (200, json!({"sessionMaxAgeMinute": 5})));
    assert_eq!(lifetime(&p.token("bob", "Violet-Harbor-58").await), 300);
    let (s, r) =
        call(url, Method::PATCH, "/environment", Some(&bearer(&jane)), Some(&json!({"sessionMaxAgeMinute": 1}))).await;
    assert_error(s, &r, 400, "sessionMaxAgeMinute must be from 5 to 10080");
    let (s, r) = call(url, Method::PATCH, "/environment", Some(&bearer(&jane)), Some(&json!({}))).await;
    assert_error(s, &r, 400, "sessionMaxAgeMinute is required");
    let (s, r) =
        call(url, Method::PATCH, "/environment", Some(&bearer(&jane)), Some(&json!({"sessionMaxAgeMinute": null})))
            .await;
    assert_eq!((s, r), (200, json!({"sessionMaxAgeMinute": null})), "null: the deployment's default again");
    assert_eq!(lifetime(&p.token("bob", "Violet-Harbor-58").await), 3600);
    let (s, r) = call(url, Method::GET, "/environment", None, None).await;
    assert_eq!(s, 200, "the open GET stays open: {r}");
}
