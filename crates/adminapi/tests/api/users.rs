//! Users through adminapi: an administrator creates, fetches, counts, updates, locks and unlocks
//! users, and the records are users-mgmt's (read back there directly); users-mgmt's refusals
//! keep their status and message; a user reads their own profile.

use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, platform};
use kit::testing::Storage;

const STORAGES: [Storage; 2] = [Storage::Embedded, Storage::Postgres];

async fn at_users_mgmt(p: &Platform, username: &str) -> Value {
    let body = json!({"authModule": p.module, "username": username});
    p.users_call(Method::POST, "/user/fetch_single_user_by_username", body).await["data"].clone()
}

#[tokio::test]
async fn an_administrator_manages_users_whose_records_are_users_mgmts() {
    for storage in STORAGES {
        let Some(p) = platform(storage, "admin users", 1, &[]).await else { continue };
        let url = p.admin[0].as_str();
        let jane = p.token("jane", "Quartz-Meadow-71").await;
        let auth = Some(bearer(&jane));
        let auth = auth.as_deref();

        // Create carol as helpdesk: users-mgmt has her, and her login carries the role.
        let carol = json!({"moduleId": p.module, "username": "carol", "password": "Ember-Falcon-63", "firstname": "C", "role": "helpdesk"});
        let (s, r) = call(url, Method::PUT, "/users/create", auth, Some(&carol)).await;
        assert_eq!((s, r["created"].as_u64()), (200, Some(1)), "{r}");
        assert_eq!(at_users_mgmt(&p, "carol").await["firstname"], "C");
        let (s, r) = p.verify_user(0, p.credentials("carol", "Ember-Falcon-63")).await;
        assert_eq!((s, r["user"]["roles"].clone()), (200, json!(["helpdesk"])), "{r}");
        let carol_uid = r["user"]["uid"].as_str().unwrap().to_owned();
        let carol_token = r["jwt_token"].as_str().unwrap().to_owned();
        // users-mgmt's rules hold, in its words: a taken username is a per-user error.
        let (s, r) = call(url, Method::PUT, "/users/create", auth, Some(&carol)).await;
        assert_eq!((s, r["failed"].as_u64()), (200, Some(1)), "{r}");
        assert!(r["errors"][0]["message"].as_str().unwrap().contains("taken"), "{r}");
        let tenant_admin = json!({"moduleId": p.module, "username": "dave", "role": "tenant_admin"});
        let (s, r) = call(url, Method::PUT, "/users/create", auth, Some(&tenant_admin)).await;
        assert_error(s, &r, 403, "may not give the role tenant_admin");

        // Fetch and count.
        let scope = json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": p.module});
        let mut fetch = scope.clone();
        fetch["pSize"] = json!(2);
        let (s, r) = call(url, Method::POST, "/users/fetch", auth, Some(&fetch)).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r.to_string().matches("\"username\"").count(), 2, "a page of two: {r}");
        let (s, r) = call(url, Method::POST, "/users/countAll", auth, Some(&scope)).await;
        assert_eq!((s, r["count"].as_u64()), (200, Some(3)), "{r}");
        let mut query = scope.clone();
        query["query"] = json!({"username": "carol"});
        let (s, r) = call(url, Method::POST, "/users/count", Some(&bearer(&carol_token)), Some(&query)).await;
        assert_eq!((s, r["count"].as_u64()), (200, Some(1)), "helpdesk reads users: {r}");
        let (s, r) = call(url, Method::POST, "/users/countAll", auth, Some(&query)).await;
        assert_error(s, &r, 400, "query is not taken here");

        // Update: fields at users-mgmt, the role here, both checked first.
        let update = |extra: Value| {
            let mut b = json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": p.module, "username": "carol", "uid": carol_uid});
            b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            b
        };
        let (s, r) = call(
            url,
            Method::PATCH,
            "/users/user/update",
            auth,
            Some(&update(json!({"firstname": "Carol", "oldRole": "helpdesk", "newRole": "user"}))),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!((r["firstname"].as_str(), r["roles"].clone()), (Some("Carol"), json!(["user"])));
        assert_eq!(at_users_mgmt(&p, "carol").await["firstname"], "Carol");
        let (s, r) = call(
            url,
            Method::PATCH,
            "/users/user/update",
            auth,
            Some(&update(json!({"firstname": "X", "oldRole": "helpdesk", "newRole": "user"}))),
        )
        .await;
        assert_error(s, &r, 409, "oldRole");
        assert_eq!(at_users_mgmt(&p, "carol").await["firstname"], "Carol", "a refused role change changes nothing");
        let (s, r) =
            call(url, Method::PATCH, "/users/user/update", auth, Some(&update(json!({"password": "Other-Pass-123"}))))
                .await;
        assert_eq!(s, 400, "users-mgmt refuses, in its words: {r}");
        assert!(r["message"].as_str().unwrap().contains("password"), "{r}");
        let mut wrong = update(json!({"firstname": "Y"}));
        wrong["uid"] = json!("someone-else");
        let (s, r) = call(url, Method::PATCH, "/users/user/update", auth, Some(&wrong)).await;
        assert_error(s, &r, 404, "no user");

        // Lock and unlock: the lock is users-mgmt's, so carol cannot sign in meanwhile.
        let (s, r) =
            call(url, Method::POST, "/users/user/lock", auth, Some(&json!({"username": "carol", "lock_duration": 5})))
                .await;
        assert_eq!(s, 204, "{r}");
        let (s, r) = p.verify_user(0, p.credentials("carol", "Ember-Falcon-63")).await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let (s, r) =
            call(url, Method::POST, "/users/user/lock", auth, Some(&json!({"username": "nobody", "lock_duration": 5})))
                .await;
        assert_eq!(s, 404, "{r}");
        let unlock = json!({"username": "carol", "tenantId": p.tenant, "communityId": p.community});
        let (s, r) = call(url, Method::POST, "/users/user/unlock", auth, Some(&unlock)).await;
        assert_eq!(s, 204, "{r}");
        let (s, r) = p.verify_user(0, p.credentials("carol", "Ember-Falcon-63")).await;
        assert_eq!(s, 200, "{r}");

        // Her own profile, with the role she has now.
        let token = r["jwt_token"].as_str().unwrap();
        let (s, r) = call(url, Method::POST, "/users/user/profile/fetch", Some(&bearer(token)), Some(&json!({}))).await;
        assert_eq!((s, r["username"].as_str(), r["roles"].clone()), (200, Some("carol"), json!(["user"])), "{r}");
    }
}

#[tokio::test]
async fn a_detailed_profile_is_a_users_own_or_needs_users_read() {
    let Some(p) = platform(Storage::Embedded, "detail profile", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let (bob, jane) =
        (bearer(&p.token("bob", "Violet-Harbor-58").await), bearer(&p.token("jane", "Quartz-Meadow-71").await));
    let props = json!({"user": {"username": "bob", "authModuleId": p.module}, "mobiles": ["15550002222"]});
    p.users_call(Method::POST, "/user_properties/update", props).await;
    let of = |username: &str| json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": p.module, "user": {"username": username}});

    let (s, r) = call(url, Method::POST, "/users/user/detailProfile/fetch", Some(&bob), Some(&of("bob"))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["username"].as_str(), r["mobiles"].clone(), r["isLocked"].as_bool()),
        (Some("bob"), json!(["15550002222"]), Some(false)),
        "{r}"
    );
    assert_eq!(r["userProperties"]["mobiles"], json!(["15550002222"]));
    // Another user's needs users.read, whether or not they exist.
    for other in ["jane", "nobody"] {
        let (s, r) = call(url, Method::POST, "/users/user/detailProfile/fetch", Some(&bob), Some(&of(other))).await;
        assert_error(s, &r, 403, "may not");
    }
    let (s, r) = call(url, Method::POST, "/users/user/detailProfile/fetch", Some(&jane), Some(&of("bob"))).await;
    assert_eq!((s, r["roles"].clone()), (200, json!(["user"])), "{r}");
    let mut wrong = of("bob");
    wrong["user"]["uid"] = json!("not-bobs");
    let (s, r) = call(url, Method::POST, "/users/user/detailProfile/fetch", Some(&jane), Some(&wrong)).await;
    assert_error(s, &r, 404, "user not found");
    let (s, r) =
        call(url, Method::POST, "/users/user/lock", Some(&jane), Some(&json!({"username": "bob", "lock_duration": 5})))
            .await;
    assert_eq!(s, 204, "{r}");
    let (s, r) = call(url, Method::POST, "/users/user/detailProfile/fetch", Some(&jane), Some(&of("bob"))).await;
    assert_eq!((s, r["isLocked"].as_bool()), (200, Some(true)), "{r}");
}

#[tokio::test]
async fn an_administrator_sees_the_address_their_request_came_from() {
    let Some(p) = platform(Storage::Embedded, "caller ip", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let (s, r) = call(url, Method::GET, "/users/user/ip", Some(&jane), None).await;
    assert_eq!((s, r["ip"].as_str()), (200, Some("127.0.0.1")), "{r}");
}
