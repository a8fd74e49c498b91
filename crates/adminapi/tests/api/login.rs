//! Admin login over HTTP: `POST /verifyuser` and `POST /v2/request_access` check the password
//! with a real users-mgmt (started beside adminapi), answer an access JWT, and the JWT opens the
//! endpoints that need a login (`GET /logout`, the login sessions group) until its session ends,
//! on every adminapi instance sharing the store at once; roles decide who may end whose sessions.

use std::sync::Arc;

use adminapi::domain::{authz, tenancy};
use adminapi::store::Stores;
use envelope::wire::SealedBody;
use envelope::{Client, Curve, KeyPair};
use kit::db::{Db, KIT_MIGRATIONS};
use kit::testing::{INFRA_KEY, SERVICE_KEY, Storage, spawn_service, test_env};
use reqwest::Method;
use serde_json::{Value, json};

const STORAGES: [Storage; 3] = [Storage::Embedded, Storage::Postgres, Storage::Redis];
const FAST_ARGON2: [(&str, &str); 2] = [("ARGON2_MEMORY_KIB", "1024"), ("ARGON2_ITERATIONS", "1")];

/// adminapi (one or two instances on one store) and users-mgmt, with a tenant, a community, its
/// db module and two users: jane (community_admin) and bob (no role: user).
pub struct Platform {
    pub admin: Vec<String>,
    pub users: String,
    pub tenant: String,
    pub community: String,
    pub module: String,
    pub stores: Stores,
    /// adminapi's `DATA_DIR` (its SQLite file, when embedded, and its generated keys).
    pub data_dir: String,
    /// The sessions service, when started ([`sessions_platform`]).
    pub sessions: Option<String>,
}

/// adminapi's environment on `storage` (with its INFRA key) and its database, migrated, holding a
/// tenant and its community `default`.
async fn admin_env(
    storage: Storage,
    test: &str,
) -> Option<(std::collections::BTreeMap<String, String>, Stores, tenancy::Tenant, tenancy::Community)> {
    let mut env = test_env(storage, test).await?;
    env.insert("LICENSE_KEYS".into(), format!("service:{SERVICE_KEY}"));
    env.insert("INFRA_LICENSE_KEY".into(), INFRA_KEY.into());
    let settings = kit::Settings::from_source(&env, adminapi::SERVICE, 0).unwrap();
    let db = Db::connect(&settings.database_url.0).await.unwrap();
    db.migrate(&[&KIT_MIGRATIONS, &adminapi::ADMINAPI_MIGRATIONS]).await.unwrap();
    let stores = Stores::sql(&db);
    let t = tenancy::create_tenant(&*stores.tenancy, "acme.example.com", "Acme", "acme").await.unwrap();
    let c = tenancy::create_community(&*stores.tenancy, &t.id, "default").await.unwrap();
    Some((env, stores, t, c))
}

pub async fn platform(storage: Storage, test: &str, instances: usize, extra: &[(&str, &str)]) -> Option<Platform> {
    platform_with(storage, test, instances, extra, false, false, None).await
}

/// [`platform`] with one adminapi instance going by `clock` (`State::clock`).
pub async fn clocked_platform(storage: Storage, test: &str, clock: Arc<dyn kit::clock::WallClock>) -> Option<Platform> {
    platform_with(storage, test, 1, &[], false, false, Some(clock)).await
}

/// [`platform`] with one adminapi instance and the sessions service beside it (in adminapi's
/// `SERVICE_DIRECTORY`), for the QR logins.
pub async fn sessions_platform(storage: Storage, test: &str) -> Option<Platform> {
    platform_with(storage, test, 1, &[], false, true, None).await
}

/// [`platform`] with one adminapi instance that users-mgmt knows (`SERVICE_DIRECTORY`), so that
/// users-mgmt asks it to verify one-time passcodes (with its INFRA key). adminapi's port is
/// chosen before users-mgmt starts (a free port, released and taken again by adminapi).
pub async fn linked_platform(storage: Storage, test: &str) -> Option<Platform> {
    platform_with(storage, test, 1, &[], true, false, None).await
}

/// [`linked_platform`] with `extra` settings for both services.
pub async fn linked_platform_with(storage: Storage, test: &str, extra: &[(&str, &str)]) -> Option<Platform> {
    platform_with(storage, test, 1, extra, true, false, None).await
}

async fn platform_with(
    storage: Storage,
    test: &str,
    instances: usize,
    extra: &[(&str, &str)],
    linked: bool,
    with_sessions: bool,
    clock: Option<Arc<dyn kit::clock::WallClock>>,
) -> Option<Platform> {
    let (mut env, stores, t, c) = admin_env(storage, test).await?;

    // users-mgmt knows the community locally and takes adminapi's INFRA key (service level).
    let communities = json!([{"tenantId": t.id, "communityId": c.id, "communityName": "default"}]).to_string();
    let mut users_env = vec![FAST_ARGON2[0], FAST_ARGON2[1], ("LOCAL_COMMUNITIES", communities.as_str())];
    users_env.extend_from_slice(extra);
    let directory;
    if linked {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        directory = json!({"adminapi": format!("http://127.0.0.1:{port}")}).to_string();
        users_env.push(("SERVICE_DIRECTORY", directory.as_str()));
        env.insert("PORT".into(), port.to_string());
    }
    let users =
        kit::testing::spawn_with_keys(users_mgmt::SERVICE, users_mgmt::build, storage, test, &users_env).await?.url;
    let mut services = json!({"users-mgmt": users});
    let mut sessions = None;
    if with_sessions {
        let local = [("LOCAL_COMMUNITIES", communities.as_str())];
        let url = kit::testing::spawn_with_keys(sessions::SERVICE, sessions::build, storage, test, &local).await?.url;
        services["sessions"] = json!(url);
        sessions = Some(url);
    }
    env.insert("SERVICE_DIRECTORY".into(), services.to_string());
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let data_dir = env["DATA_DIR"].clone();
    let mut admin = Vec::new();
    for _ in 0..instances {
        let service = match &clock {
            Some(c) => spawn_service(adminapi::SERVICE, &env, |s| adminapi::build_with_clock(s, c.clone())).await,
            None => spawn_service(adminapi::SERVICE, &env, adminapi::build).await,
        };
        admin.push(service.url);
    }
    let p = Platform { admin, users, tenant: t.id, community: c.id, module: String::new(), stores, data_dir, sessions };
    let module = p.users_call(Method::PUT, "/module/create", json!({"type": "db", "name": "Users"})).await["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let people = json!({"authModule": module, "users": [
        {"username": "jane", "password": "Quartz-Meadow-71"},
        {"username": "bob", "password": "Violet-Harbor-58"},
    ]});
    assert_eq!(p.users_call(Method::PUT, "/users/create", people).await["created"], 2);
    let jane = p
        .users_call(
            Method::POST,
            "/user/fetch_single_user_by_username",
            json!({"authModule": module, "username": "jane"}),
        )
        .await;
    let uid = jane["data"]["uid"].as_str().unwrap();
    authz::assign(&*p.stores.authz, &p.tenant, &p.community, uid, "community_admin", "tests").await.unwrap();
    Some(Platform { module, ..p })
}

impl Platform {
    pub async fn users_call(&self, method: Method, rest: &str, body: Value) -> Value {
        let path = format!("/tenant/{}/community/{}{rest}", self.tenant, self.community);
        let reply = caller().license(SERVICE_KEY).call(method, &self.users, &path, Some(&body)).await.unwrap();
        assert!(reply.status < 300, "{rest}: {} {}", reply.status, reply.body);
        reply.body
    }

    pub fn credentials(&self, username: &str, password: &str) -> Value {
        json!({"tenantId": self.tenant, "communityId": self.community, "username": username, "password": password})
    }

    /// `POST /verifyuser` on instance `i`, sealed.
    pub async fn verify_user(&self, i: usize, body: Value) -> (u16, Value) {
        call(&self.admin[i], Method::POST, "/verifyuser", None, Some(&body)).await
    }

    /// A login of `username` on instance 0: its access token.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let (s, r) = self.verify_user(0, self.credentials(username, password)).await;
        assert_eq!(s, 200, "{r}");
        r["jwt_token"].as_str().unwrap().to_owned()
    }
}

/// A caller with a key of its own (the admin console in a browser).
pub fn caller() -> Client {
    Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().app_id("admin-console")
}

/// A signed call with an optional `authorization` header and a sealed body: the status and the
/// opened reply.
pub async fn call(
    url: &str,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let reply = send(&caller(), url, method, path, authorization, body, true).await;
    (reply.status, reply.body)
}

/// [`call`] as `client`, whose key stays the same from call to call.
pub async fn call_as(
    client: &Client,
    url: &str,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let reply = send(client, url, method, path, authorization, body, true).await;
    (reply.status, reply.body)
}

/// [`call`] with a plain JSON body (the spec's "unencrypted preview"): the status and the reply,
/// which must be plain too.
pub async fn call_plain(
    url: &str,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let reply = send(&caller(), url, method, path, authorization, Some(body), false).await;
    assert!(!reply.sealed, "a plain request gets a plain reply: {}", reply.body);
    (reply.status, reply.body)
}

async fn send(
    client: &Client,
    url: &str,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<&Value>,
    sealed: bool,
) -> envelope::Reply {
    let peer = client.peer(url).await.unwrap();
    let mut req = client.http().request(method, format!("{url}{path}"));
    for (name, value) in client.headers(&peer).unwrap().pairs() {
        req = req.header(name, value);
    }
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    match body {
        Some(b) if sealed => req = req.json(&SealedBody::seal(&peer.shared, b).unwrap()),
        Some(b) => req = req.json(b),
        None => {}
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    envelope::client::open_reply(status, &bytes, &peer.shared)
}

/// The uid of `username` in the platform's module.
pub async fn uid_of(p: &Platform, username: &str) -> String {
    let body = json!({"authModule": p.module, "username": username});
    p.users_call(Method::POST, "/user/fetch_single_user_by_username", body).await["data"]["uid"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub fn assert_error(status: u16, body: &Value, expected: u16, needle: &str) {
    assert_eq!(status, expected, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "message {message:?} lacks {needle:?}");
}

#[tokio::test]
async fn a_user_signs_in_and_the_token_works_until_logout() {
    for storage in STORAGES {
        let Some(p) = platform(storage, "admin login", 1, &[]).await else { continue };
        let (s, r) = p.verify_user(0, p.credentials("Bob", "Violet-Harbor-58")).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!((r["user"]["username"].as_str(), r["user"]["roles"].clone()), (Some("bob"), json!(["user"])));
        assert!(r["user"].get("proof_of_authentication_jwt").is_none() && !r.to_string().contains("Violet-Harbor-58"));
        let token = r["jwt_token"].as_str().unwrap();
        // The claims name the user, the community and the role; adminapi signed them.
        let claims: Value = {
            use base64::Engine as _;
            let part = token.split('.').nth(1).unwrap();
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
        };
        assert_eq!((claims["iss"].as_str(), claims["sub"].as_str()), (Some("adminapi"), r["user"]["uid"].as_str()));
        assert_eq!(
            (claims["tenant"].as_str(), claims["community"].as_str()),
            (Some(p.tenant.as_str()), Some(p.community.as_str()))
        );
        assert_eq!(claims["roles"], json!(["user"]));

        // Every refusal of the user is the same 401.
        for (user, password) in [("bob", "wrong-password-1"), ("ghost", "Violet-Harbor-58")] {
            let (s, r) = p.verify_user(0, p.credentials(user, password)).await;
            assert_error(s, &r, 401, "invalid username or credentials");
        }
        let otp = json!({"tenantId": p.tenant, "communityId": p.community, "username": "bob", "otp": "123456"});
        let (s, r) = p.verify_user(0, otp).await;
        // Without adminapi in its SERVICE_DIRECTORY, users-mgmt cannot check a passcode: never a pass.
        assert_error(s, &r, 400, "otp verification is not configured");
        let elsewhere = json!({"tenantId": "6a0000000000000000000001", "communityId": p.community, "username": "bob", "password": "x"});
        let (s, r) = p.verify_user(0, elsewhere).await;
        assert_eq!(s, 404, "{r}");

        // The v2 journey: a password gives the token; another fact is not available yet.
        let (s, r) = call(
            &p.admin[0],
            Method::POST,
            "/v2/request_access",
            None,
            Some(&p.credentials("bob", "Violet-Harbor-58")),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        let second = r["jwt"].as_str().unwrap().to_owned();
        let mut facts = p.credentials("bob", "Violet-Harbor-58");
        facts["hw_otp"] = json!("123456");
        let (s, r) = call(&p.admin[0], Method::POST, "/v2/request_access", None, Some(&facts)).await;
        assert_error(s, &r, 400, "hw_otp is not available yet");

        // Logout: no token, a bad one, then the token (Bearer), which ends its session only.
        let (s, r) = call(&p.admin[0], Method::GET, "/logout", None, None).await;
        assert_error(s, &r, 401, "authorization header is required");
        let (s, r) = call(&p.admin[0], Method::GET, "/logout", Some("Bearer not.a.token"), None).await;
        assert_error(s, &r, 401, "not an access token");
        let (s, r) = call(&p.admin[0], Method::GET, "/logout", Some(&bearer(token)), None).await;
        assert_eq!(s, 204, "{r}");
        let (s, r) = call(&p.admin[0], Method::GET, "/logout", Some(&bearer(token)), None).await;
        assert_error(s, &r, 401, "the login session has ended");
        // The other login lives on; the bare token works too.
        let (s, r) = call(&p.admin[0], Method::GET, "/logout", Some(&second), None).await;
        assert_eq!(s, 204, "{r}");
    }
}

#[tokio::test]
async fn a_logout_on_one_instance_is_refused_on_the_other_at_once() {
    for storage in STORAGES {
        let Some(p) = platform(storage, "admin login two instances", 2, &[]).await else { continue };
        let token = p.token("bob", "Violet-Harbor-58").await;
        let keep = json!({"username": "bob", "moduleId": p.module});
        let (s, r) =
            call(&p.admin[1], Method::DELETE, "/loginsessions/user/other", Some(&bearer(&token)), Some(&keep)).await;
        assert_eq!(s, 204, "the second instance takes the first's token: {r}");
        let (s, r) = call(&p.admin[0], Method::GET, "/logout", Some(&bearer(&token)), None).await;
        assert_eq!(s, 204, "{r}");
        let (s, r) =
            call(&p.admin[1], Method::DELETE, "/loginsessions/user/other", Some(&bearer(&token)), Some(&keep)).await;
        assert_error(s, &r, 401, "the login session has ended");
    }
}

#[tokio::test]
async fn roles_decide_who_ends_whose_sessions() {
    let Some(p) = platform(Storage::Embedded, "admin login roles", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let (bob_1, bob_2, bob_3) = (
        p.token("bob", "Violet-Harbor-58").await,
        p.token("bob", "Violet-Harbor-58").await,
        p.token("bob", "Violet-Harbor-58").await,
    );
    let jane = p.token("jane", "Quartz-Meadow-71").await;
    let bob = json!({"username": "bob", "moduleId": p.module});

    // A user ends their other sessions, not someone else's.
    let (s, r) = call(
        url,
        Method::DELETE,
        "/loginsessions/user/other",
        Some(&bearer(&bob_1)),
        Some(&json!({"username": "jane", "moduleId": p.module})),
    )
    .await;
    assert_error(s, &r, 403, "must be the logged-in user's");
    let (s, r) = call(url, Method::DELETE, "/loginsessions/user/other", Some(&bearer(&bob_1)), Some(&bob)).await;
    assert_eq!(s, 204, "{r}");
    let (s, r) = call(url, Method::GET, "/logout", Some(&bearer(&bob_2)), None).await;
    assert_error(s, &r, 401, "ended");
    // A user may not end another user's sessions; a community admin may.
    let (s, r) = call(url, Method::DELETE, "/loginsessions/admin/user/all", Some(&bearer(&bob_1)), Some(&bob)).await;
    assert_error(s, &r, 403, "the role user may not call this endpoint");
    let (s, r) = call(
        url,
        Method::DELETE,
        "/loginsessions/admin/user/all",
        Some(&bearer(&jane)),
        Some(&json!({"username": "bob"})),
    )
    .await;
    assert_error(s, &r, 400, "go together");
    let (s, r) = call(url, Method::DELETE, "/loginsessions/admin/user/all", Some(&bearer(&jane)), Some(&bob)).await;
    assert_eq!(s, 204, "{r}");
    for t in [&bob_1, &bob_3] {
        let (s, r) = call(url, Method::GET, "/logout", Some(&bearer(t)), None).await;
        assert_error(s, &r, 401, "ended");
    }
    // Without a user, the administrator's own sessions end.
    let (s, r) =
        call(url, Method::DELETE, "/loginsessions/admin/user/all", Some(&bearer(&jane)), Some(&json!({}))).await;
    assert_eq!(s, 204, "{r}");
    let (s, r) = call(url, Method::GET, "/logout", Some(&bearer(&jane)), None).await;
    assert_error(s, &r, 401, "ended");
}

#[tokio::test]
async fn a_token_expires_with_its_session() {
    let Some(p) = platform(Storage::Embedded, "admin login expiry", 1, &[("ADMIN_SESSION_TTL_SECONDS", "1")]).await
    else {
        return;
    };
    let token = p.token("bob", "Violet-Harbor-58").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (s, r) = call(&p.admin[0], Method::GET, "/logout", Some(&bearer(&token)), None).await;
    assert_error(s, &r, 401, "expired");
}

#[tokio::test]
async fn without_users_mgmt_a_login_is_503_and_nothing_else() {
    let (mut env, _, t, c) = admin_env(Storage::Embedded, "admin login no users-mgmt").await.unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    env.insert("SERVICE_DIRECTORY".into(), json!({"users-mgmt": format!("http://127.0.0.1:{closed}")}).to_string());
    let url = spawn_service(adminapi::SERVICE, &env, adminapi::build).await.url;
    let body = json!({"tenantId": t.id, "communityId": c.id, "username": "bob", "password": "Violet-Harbor-58"});
    let (s, r) = call(&url, Method::POST, "/verifyuser", None, Some(&body)).await;
    assert_error(s, &r, 503, "users-mgmt is unavailable");
}
