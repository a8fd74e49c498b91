//! The admin console's QR login over a real sessions service: a logged-in user links a phone's
//! wallet by answering a `link` session, the linked phone then signs its user in by answering an
//! `authentication` session; devices are listed, unlinked, and refused when they should be.

use std::sync::Arc;

use envelope::{Client, Curve, KeyPair};
use kit::testing::Storage;
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, call_as, sessions_platform, uid_of};

/// A phone with a wallet: its key and DID.
struct Phone {
    keys: KeyPair,
    did: String,
}

impl Phone {
    fn new(did: &str) -> Self {
        Self { keys: KeyPair::generate(Curve::Secp256k1).unwrap(), did: did.to_owned() }
    }

    /// Answers session `id` at the sessions service as the BlockID app does: `data` encrypted for
    /// the session's public key, naming `userid`.
    async fn answer(&self, p: &Platform, id: &str, userid: &str) {
        let sessions = p.sessions.as_deref().unwrap();
        let http = reqwest::Client::new();
        let session: Value = http.get(format!("{sessions}/session/{id}")).send().await.unwrap().json().await.unwrap();
        let creator = session["publicKey"].as_str().unwrap();
        let data = json!({"userid": userid, "did": self.did}).to_string();
        let sealed = self.keys.shared_key_with(creator).unwrap().encrypt(&data).unwrap();
        let answer = json!({"data": sealed, "publicKey": self.keys.public_base64(), "did": self.did,
                            "appid": "com.onekosmos.blockid", "ial": "IAL2",
                            "eventData": {"os": "iOS 19", "deviceName": "Jane's phone"}});
        let reply = http.post(format!("{sessions}/session/{id}/authenticate")).json(&answer).send().await.unwrap();
        assert_eq!(reply.status(), 200, "{}", reply.text().await.unwrap());
    }
}

fn browser() -> Client {
    Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().app_id("admin-console")
}

/// `PUT /session/new` as `browser` for `purpose`: the session id.
async fn new_session(p: &Platform, browser: &Client, purpose: &str) -> String {
    let body = json!({"tag": "admin", "url": "https://admin.example", "communityName": "default",
                      "tenantId": p.tenant, "communityId": p.community, "authtype": "none",
                      "metadata": {"purpose": purpose}});
    let (s, r) = call_as(browser, &p.admin[0], Method::PUT, "/session/new", None, Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["sessionUrl"].as_str(), p.sessions.as_deref(), "{r}");
    assert_eq!(r["sessionEnv"], "local");
    r["sessionId"].as_str().unwrap().to_owned()
}

/// `POST /session/response/fetch` as `browser`, with `token` when given.
async fn fetch(p: &Platform, browser: &Client, id: &str, token: Option<&str>) -> (u16, Value) {
    let body = json!({"sessionId": id, "tenantId": p.tenant, "communityId": p.community, "authenticateMethod": "qr"});
    let auth = token.map(bearer);
    call_as(browser, &p.admin[0], Method::POST, "/session/response/fetch", auth.as_deref(), Some(&body)).await
}

/// Links `phone` to `username` (logged in with `password`): their token.
async fn link(p: &Platform, phone: &Phone, username: &str, password: &str) -> String {
    let token = p.token(username, password).await;
    let console = browser();
    let id = new_session(p, &console, "link").await;
    phone.answer(p, &id, username).await;
    let (s, r) = fetch(p, &console, &id, Some(&token)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["pon_data"]["personId"], phone.did.as_str());
    assert_eq!(r["user"]["username"], username);
    assert!(r.get("jwt_token").is_none(), "a link signs nobody in: {r}");
    token
}

fn devices_body(p: &Platform, uid: &str, username: &str) -> Value {
    json!({"user": {"uid": uid, "username": username, "authModuleId": p.module},
           "community": {"id": p.community, "name": "default", "publicKey": "unused"}})
}

#[tokio::test]
async fn a_linked_phone_signs_its_user_in_by_qr_and_is_listed() {
    for storage in [Storage::Embedded, Storage::Redis] {
        let Some(p) = sessions_platform(storage, "qr login").await else { continue };
        let url = p.admin[0].as_str();
        let phone = Phone::new("did:blockid:jane-phone");
        let jane = link(&p, &phone, "jane", "Quartz-Meadow-71").await;
        let jane_uid = uid_of(&p, "jane").await;

        // Listed, with what the phone reported, and its level.
        let (s, r) = call(
            url,
            Method::POST,
            "/users/user/devices/fetch",
            Some(&bearer(&jane)),
            Some(&devices_body(&p, &jane_uid, "jane")),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["devices"][0]["did"], "did:blockid:jane-phone");
        assert_eq!(r["devices"][0]["publickey"], phone.keys.public_base64());
        assert_eq!(r["devices"][0]["os"], "iOS 19");
        assert_eq!(r["devices"][0]["deviceName"], "Jane's phone");
        assert_eq!(r["list"][0]["userIdList"], json!([jane_uid]));
        assert_eq!(r["list"][0]["pon_ial"], "IAL2");
        let (s, r) = call(url, Method::GET, "/users/user/ial", Some(&bearer(&jane)), None).await;
        assert_eq!((s, r), (200, json!({"ial": "IAL2"})));
        let (s, r) = call(
            url,
            Method::POST,
            "/users/user/login_options/fetch",
            Some(&bearer(&jane)),
            Some(&devices_body(&p, &jane_uid, "jane")),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["devices"].as_array().map(Vec::len), Some(1));
        assert_eq!(r["is_user_pin_enrolled"], false);

        // A QR login answered by the linked phone: jane, with a token that works.
        let console = browser();
        let id = new_session(&p, &console, "authentication").await;
        let (s, r) = fetch(&p, &console, &id, None).await;
        assert_error(s, &r, 404, "");
        phone.answer(&p, &id, "jane").await;
        let (s, r) = fetch(&p, &browser(), &id, None).await;
        assert_error(s, &r, 403, "another caller");
        let (s, r) = fetch(&p, &console, &id, None).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["user"]["username"], "jane");
        assert_eq!(r["user"]["roles"], json!(["community_admin"]));
        assert_eq!(r["pon_data"]["personId"], "did:blockid:jane-phone");
        let token = r["jwt_token"].as_str().unwrap();
        let (s, r) = call(url, Method::GET, "/users/user/ial", Some(&bearer(token)), None).await;
        assert_eq!(s, 200, "{r}");
        // An answer is fetched once.
        let (s, r) = fetch(&p, &console, &id, None).await;
        assert_error(s, &r, 404, "no pending session");
    }
}

#[tokio::test]
async fn unlinked_foreign_and_rekeyed_devices_sign_nobody_in() {
    let Some(p) = sessions_platform(Storage::Embedded, "qr refusals").await else { return };
    let url = p.admin[0].as_str();
    let phone = Phone::new("did:blockid:jane-phone");
    let jane = link(&p, &phone, "jane", "Quartz-Meadow-71").await;
    let (jane_uid, bob_uid) = (uid_of(&p, "jane").await, uid_of(&p, "bob").await);

    // A phone nobody linked.
    let console = browser();
    let id = new_session(&p, &console, "authentication").await;
    Phone::new("did:blockid:stranger").answer(&p, &id, "jane").await;
    let (s, r) = fetch(&p, &console, &id, None).await;
    assert_error(s, &r, 401, "not linked");

    // jane's DID answering with another key (a copied DID).
    let id = new_session(&p, &console, "authentication").await;
    Phone::new("did:blockid:jane-phone").answer(&p, &id, "jane").await;
    let (s, r) = fetch(&p, &console, &id, None).await;
    assert_error(s, &r, 401, "not linked");

    // jane's phone claiming to be bob.
    let id = new_session(&p, &console, "authentication").await;
    phone.answer(&p, &id, "bob").await;
    let (s, r) = fetch(&p, &console, &id, None).await;
    assert_error(s, &r, 401, "another user");

    // A link needs a token, and a DID linked to jane cannot be linked to bob.
    let id = new_session(&p, &console, "link").await;
    phone.answer(&p, &id, "jane").await;
    let (s, r) = fetch(&p, &console, &id, None).await;
    assert_error(s, &r, 401, "authorization");
    let bob = p.token("bob", "Violet-Harbor-58").await;
    let id = new_session(&p, &console, "link").await;
    phone.answer(&p, &id, "bob").await;
    let (s, r) = fetch(&p, &console, &id, Some(&bob)).await;
    assert_error(s, &r, 409, "another user");

    // A step up with bob's token answered by jane's phone.
    let id = new_session(&p, &console, "authentication").await;
    phone.answer(&p, &id, "jane").await;
    let (s, r) = fetch(&p, &console, &id, Some(&bob)).await;
    assert_error(s, &r, 403, "not the logged-in user's");

    // bob reads and unlinks only his own devices; jane (community admin) unlinks anyone's.
    let janes = devices_body(&p, &jane_uid, "jane");
    let (s, r) = call(url, Method::POST, "/users/user/devices/fetch", Some(&bearer(&bob)), Some(&janes)).await;
    assert_error(s, &r, 403, "may not");
    let (s, r) = call(
        url,
        Method::POST,
        "/users/user/devices/fetch",
        Some(&bearer(&bob)),
        Some(&devices_body(&p, &bob_uid, "bob")),
    )
    .await;
    assert_eq!((s, r), (200, json!({"list": [], "devices": []})));
    let mut unlink = janes.clone();
    unlink["did"] = json!("did:blockid:jane-phone");
    let (s, r) = call(url, Method::PATCH, "/users/unlinkuser", Some(&bearer(&bob)), Some(&unlink)).await;
    assert_error(s, &r, 403, "may not");
    let (s, r) = call(url, Method::PATCH, "/users/unlinkuser", Some(&bearer(&jane)), Some(&unlink)).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = call(url, Method::PATCH, "/users/unlinkuser", Some(&bearer(&jane)), Some(&unlink)).await;
    assert_error(s, &r, 404, "no device");

    // Unlinked, the phone signs nobody in; the level falls back.
    let id = new_session(&p, &console, "authentication").await;
    phone.answer(&p, &id, "jane").await;
    let (s, r) = fetch(&p, &console, &id, None).await;
    assert_error(s, &r, 401, "not linked");
    let (s, r) = call(url, Method::GET, "/users/user/ial", Some(&bearer(&jane)), None).await;
    assert_eq!((s, r), (200, json!({"ial": "IAL1"})));
}

#[tokio::test]
async fn a_locked_users_phone_signs_nobody_in_and_bad_sessions_are_refused() {
    let Some(p) = sessions_platform(Storage::Embedded, "qr locked").await else { return };
    let phone = Phone::new("did:blockid:bob-phone");
    let _ = link(&p, &phone, "bob", "Violet-Harbor-58").await;
    let lock =
        json!({"username": "bob", "reason": {"reasonCode": 0, "message": "Admin Action"}, "initiatedby": "tests"});
    p.users_call(Method::PUT, "/user/lock", lock).await;
    let console = browser();
    let id = new_session(&p, &console, "authentication").await;
    phone.answer(&p, &id, "bob").await;
    let (s, r) = fetch(&p, &console, &id, None).await;
    assert_error(s, &r, 401, "may not sign in");

    let url = p.admin[0].as_str();
    let mut body = json!({"tag": "admin", "url": "https://admin.example", "communityName": "other",
                          "tenantId": p.tenant, "communityId": p.community, "authtype": "none"});
    let (s, r) = call(url, Method::PUT, "/session/new", None, Some(&body)).await;
    assert_error(s, &r, 404, "name");
    body["communityName"] = json!("default");
    body["metadata"] = json!({"purpose": "teleport"});
    let (s, r) = call(url, Method::PUT, "/session/new", None, Some(&body)).await;
    assert_error(s, &r, 400, "metadata.purpose");
    let bad = json!({"sessionId": "not-a-uuid", "tenantId": p.tenant, "communityId": p.community});
    let (s, r) = call(url, Method::POST, "/session/response/fetch", None, Some(&bad)).await;
    assert_error(s, &r, 400, "sessionId");
}
