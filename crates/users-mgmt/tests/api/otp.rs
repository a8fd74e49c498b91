//! One-time passcodes over HTTP: users-mgmt asks adminapi (`POST /api/r2/otp/verify`, signed
//! with its own service license) whenever a request carries an `otp`. adminapi's OTP side comes
//! with the factors issue, so these tests stand up an adminapi peer of their own on loopback
//! that checks the signed headers as adminapi does and knows one passcode per user. The real
//! adminapi (no OTPs yet) is driven by the e2e tests: a clear 400, never a success.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use envelope::{Curve, KeyPair};
use reqwest::Method;
use serde_json::{Value, json};

use crate::authenticate::{FAST_ARGON2, add_user, authenticate, module_with_user};
use crate::helpers::*;
use kit::testing::Storage;

/// What the peer answers at the verification path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// As adminapi with OTPs: 200 for a user's passcode, 401 otherwise.
    Verifies,
    /// As an adminapi without OTPs: 404.
    NotServed,
}

/// A stand-in for adminapi's OTP verification, and every call it received.
struct Peer {
    url: String,
    calls: Arc<Mutex<Vec<Value>>>,
}

/// The passcodes the peer accepts: `(userId, code)`.
const PASSCODES: [(&str, &str); 3] = [("jane", "424242"), ("newbie", "135790"), ("sam", "246810")];

async fn verify(
    req: HttpRequest,
    body: web::Json<Value>,
    keys: web::Data<KeyPair>,
    st: web::Data<(Mode, Arc<Mutex<Vec<Value>>>)>,
) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let refuse = |status: u16, message: &str| {
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .json(json!({"statusCode": status, "error": "refused", "message": message}))
    };
    let Ok(shared) = keys.shared_key_with(&header("publickey")) else { return refuse(401, "publickey") };
    let license = shared.decrypt(&header("licensekey")).unwrap_or_default();
    let request_id: Value =
        shared.decrypt(&header("requestid")).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    let (mode, calls) = (st.0, &st.1);
    calls.lock().unwrap().push(json!({"license": license, "appid": request_id["appid"], "body": body.0.clone()}));
    if license != kit::testing::INFRA_KEY || !request_id["ts"].is_i64() {
        return refuse(401, "license");
    }
    if mode == Mode::NotServed {
        return refuse(404, "not found");
    }
    let (user, code) = (body["userId"].as_str().unwrap_or_default(), body["code"].as_str().unwrap_or_default());
    let community_ok = body["communityId"] == COMMUNITY_ID && body["tenantId"] == TENANT_ID;
    if community_ok && PASSCODES.contains(&(user, code)) {
        HttpResponse::Ok().json(json!({"message": "OTP verified"}))
    } else {
        refuse(401, "invalid otp")
    }
}

async fn start_peer(mode: Mode) -> Peer {
    let keys = web::Data::new(KeyPair::generate(Curve::Secp256k1).unwrap());
    let calls = Arc::new(Mutex::new(Vec::new()));
    let st = web::Data::new((mode, calls.clone()));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let server = HttpServer::new(move || {
        let public = keys.public_base64().to_owned();
        App::new()
            .app_data(keys.clone())
            .app_data(st.clone())
            .route(
                "/publickeys",
                web::get().to(move || {
                    let public = public.clone();
                    async move { HttpResponse::Ok().json(json!({"publicKey": public})) }
                }),
            )
            .route("/api/r2/otp/verify", web::post().to(verify))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    Peer { url, calls }
}

fn directory(url: &str) -> String {
    json!({"adminapi": url}).to_string()
}

async fn lock_status(url: &str, username: &str) -> Value {
    let body = json!({"username": username});
    let (s, r) = sealed(&caller(SERVICE_KEY), url, Method::POST, &community_path("/user/status"), Some(&body)).await;
    assert_eq!(s, 200, "{r}");
    r
}

#[tokio::test]
async fn an_otp_that_adminapi_accepts_authenticates_and_wrong_ones_lock_the_user() {
    for storage in STORAGES {
        let peer = start_peer(Mode::Verifies).await;
        let dir = directory(&peer.url);
        let env = [FAST_ARGON2[0], FAST_ARGON2[1], ("LOCKOUT_THRESHOLD", "3"), ("SERVICE_DIRECTORY", dir.as_str())];
        let Some(app) = spawn(storage, "otp authenticate", &env).await else { continue };
        let url = app.url.as_str();
        let module = module_with_user(&caller(SERVICE_KEY), url, "jane", "Sesame1234").await;
        let client = caller(APP_KEY);

        let (s, r) =
            authenticate(&client, url, json!({"authModule": module, "username": "Jane", "otp": "424242"})).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["username"], "jane");
        assert!(r["proof_of_authentication_jwt"].is_string(), "{r}");
        // adminapi was asked for the stored username, in this tenant and community, with
        // users-mgmt's own license.
        let call = peer.calls.lock().unwrap().last().cloned().unwrap();
        assert_eq!(call["license"], kit::testing::INFRA_KEY);
        assert_eq!(call["appid"], "users-mgmt");
        assert_eq!(
            call["body"],
            json!({"userId": "jane", "code": "424242", "communityId": COMMUNITY_ID, "tenantId": TENANT_ID})
        );

        // The proof names both factors when both were checked.
        let both = json!({"authModule": module, "username": "jane", "password": "Sesame1234", "otp": "424242"});
        let (s, r) = authenticate(&client, url, both).await;
        assert_eq!(s, 200, "{r}");
        let verified = verify_proof(url, r["proof_of_authentication_jwt"].as_str().unwrap()).await;
        assert_eq!(verified["methods"], json!(["password", "otp"]));
        // A right password does not carry a wrong passcode.
        let wrong_otp = json!({"authModule": module, "username": "jane", "password": "Sesame1234", "otp": "000000"});
        let (s, r) = authenticate(&client, url, wrong_otp).await;
        assert_error(s, &r, 401, "invalid username or credentials");

        // An unknown user's passcode is refused like a wrong one.
        let (s, r) =
            authenticate(&client, url, json!({"authModule": module, "username": "ghost", "otp": "424242"})).await;
        assert_error(s, &r, 401, "invalid username or credentials");

        // Two more wrong passcodes reach the threshold (3): the right one is refused, then.
        for _ in 0..2 {
            let (s, r) =
                authenticate(&client, url, json!({"authModule": module, "username": "jane", "otp": "111111"})).await;
            assert_error(s, &r, 401, "invalid username or credentials");
        }
        let (s, r) =
            authenticate(&client, url, json!({"authModule": module, "username": "jane", "otp": "424242"})).await;
        assert_error(s, &r, 401, "locked");
        let status = lock_status(url, "jane").await;
        assert_eq!(status["reasons"][0]["factor"], "otp", "{status}");
    }
}

/// `jwt/verifyToken` of a proof: its claims.
async fn verify_proof(url: &str, token: &str) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{url}/jwt/verifyToken"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn an_app_key_creates_one_user_with_the_otp_adminapi_accepts() {
    let peer = start_peer(Mode::Verifies).await;
    let dir = directory(&peer.url);
    let env = [FAST_ARGON2[0], FAST_ARGON2[1], ("SERVICE_DIRECTORY", dir.as_str())];
    let Some(app) = spawn(Storage::Embedded, "otp create", &env).await else { return };
    let url = app.url.as_str();
    let module = module_with_user(&caller(SERVICE_KEY), url, "jane", "Sesame1234").await;
    let app_key = caller(APP_KEY);
    let create = |otp: Option<&str>, users: Value| {
        let mut body = json!({"authModule": module, "users": users});
        if let Some(otp) = otp {
            body["otp"] = json!(otp);
        }
        body
    };
    let path = community_path("/users/create");
    let newbie = json!([{"username": "newbie", "password": "Fresh-Start-12"}]);

    let (s, r) = sealed(&app_key, url, Method::PUT, &path, Some(&create(None, newbie.clone()))).await;
    assert_error(s, &r, 403, "with an otp");
    let two = json!([{"username": "newbie"}, {"username": "sam"}]);
    let (s, r) = sealed(&app_key, url, Method::PUT, &path, Some(&create(Some("135790"), two))).await;
    assert_error(s, &r, 403, "single user");
    // Another user's passcode is not this one's.
    let (s, r) = sealed(&app_key, url, Method::PUT, &path, Some(&create(Some("246810"), newbie.clone()))).await;
    assert_error(s, &r, 401, "invalid otp");

    let (s, r) = sealed(&app_key, url, Method::PUT, &path, Some(&create(Some("135790"), newbie))).await;
    assert_eq!((s, r["created"].as_u64()), (200, Some(1)), "{r}");
    let (s, r) =
        authenticate(&app_key, url, json!({"authModule": module, "username": "newbie", "password": "Fresh-Start-12"}))
            .await;
    assert_eq!(s, 200, "the created user signs in: {r}");
}

#[tokio::test]
async fn a_user_changes_the_password_with_an_otp_instead_of_the_current_one() {
    let peer = start_peer(Mode::Verifies).await;
    let dir = directory(&peer.url);
    let env = [FAST_ARGON2[0], FAST_ARGON2[1], ("SERVICE_DIRECTORY", dir.as_str())];
    let Some(app) = spawn(Storage::Embedded, "otp changepassword", &env).await else { return };
    let url = app.url.as_str();
    let admin = caller(SERVICE_KEY);
    let module = module_with_user(&admin, url, "jane", "Sesame1234").await;
    add_user(&admin, url, &module, "sam", "Hobbit-Garden-7").await;
    let path = community_path("/user/changepassword");
    let change = |username: &str, otp: &str| json!({"authModule": module, "username": username, "otp": otp, "newPassword": "Brandnew9876"});

    let (s, r) = sealed(&admin, url, Method::POST, &path, Some(&change("jane", "999999"))).await;
    assert_error(s, &r, 401, "invalid username or credentials");
    let (s, r) = sealed(&admin, url, Method::POST, &path, Some(&change("sam", "246810"))).await;
    assert_eq!(s, 200, "{r}");
    let old =
        authenticate(&admin, url, json!({"authModule": module, "username": "sam", "password": "Hobbit-Garden-7"}))
            .await;
    assert_eq!(old.0, 401, "{}", old.1);
    let new =
        authenticate(&admin, url, json!({"authModule": module, "username": "sam", "password": "Brandnew9876"})).await;
    assert_eq!(new.0, 200, "{}", new.1);
}

#[tokio::test]
async fn an_otp_that_cannot_be_checked_is_never_a_success() {
    // adminapi without OTPs (404 at the path), no adminapi configured, adminapi unreachable.
    let peer = start_peer(Mode::NotServed).await;
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let cases = [
        (Some(directory(&peer.url)), 400, "not available yet"),
        (None, 400, "not configured"),
        (Some(directory(&closed)), 503, "otp verification is unavailable"),
    ];
    for (dir, status, needle) in cases {
        let mut env = vec![FAST_ARGON2[0], FAST_ARGON2[1]];
        if let Some(dir) = dir.as_deref() {
            env.push(("SERVICE_DIRECTORY", dir));
        }
        let Some(app) = spawn(Storage::Embedded, "otp unavailable", &env).await else { return };
        let url = app.url.as_str();
        let admin = caller(SERVICE_KEY);
        let module = module_with_user(&admin, url, "jane", "Sesame1234").await;
        let (s, r) =
            authenticate(&admin, url, json!({"authModule": module, "username": "jane", "otp": "424242"})).await;
        assert_error(s, &r, status, needle);
        let body = json!({"authModule": module, "otp": "135790", "users": [{"username": "newbie"}]});
        let (s, r) = sealed(&caller(APP_KEY), url, Method::PUT, &community_path("/users/create"), Some(&body)).await;
        assert_error(s, &r, status, needle);
        // Nothing was created, and the wrong-otp path did not count as a failure either.
        let (s, r) =
            sealed(&admin, url, Method::POST, &community_path("/users/count"), Some(&json!({"authModule": module})))
                .await;
        assert_eq!((s, r["count"].as_u64()), (200, Some(1)), "{r}");
    }
    assert!(peer.calls.lock().unwrap().iter().all(|c| c["license"] == kit::testing::INFRA_KEY));
}
