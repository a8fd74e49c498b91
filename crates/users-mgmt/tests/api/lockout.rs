//! Account lockout over HTTP: failed attempts lock at the threshold, status v1 and v2, admin
//! lock and unlock, `DELETE factor_lock`; and exactness under concurrency across two instances
//! sharing PostgreSQL and Redis.

use reqwest::Method;
use serde_json::{Value, json};

use crate::authenticate::{FAST_ARGON2, authenticate, module_with_user};
use crate::helpers::*;

fn with_threshold(n: &'static str) -> [(&'static str, &'static str); 3] {
    [FAST_ARGON2[0], FAST_ARGON2[1], ("LOCKOUT_THRESHOLD", n)]
}

async fn status(admin: &envelope::Client, url: &str, username: &str) -> Value {
    let (s, r) =
        sealed(admin, url, Method::POST, &community_path("/user/status"), Some(&json!({"username": username}))).await;
    assert_eq!(s, 200, "{r}");
    r
}

#[tokio::test]
async fn failed_attempts_and_admins_lock_and_unlock() {
    for storage in STORAGES {
        let Some(app) = spawn(storage, "lockout", &with_threshold("3")).await else { continue };
        let url = app.url.as_str();
        let admin = caller(SERVICE_KEY);
        let module = module_with_user(&admin, url, "jane", "Sesame1234").await;
        let login = |password: &str| json!({"authModule": module, "username": "jane", "password": password});

        // A success forgets earlier failures.
        for _ in 0..2 {
            assert_eq!(authenticate(&admin, url, login("Wrong12345")).await.0, 401);
        }
        assert_eq!(authenticate(&admin, url, login("Sesame1234")).await.0, 200);
        for _ in 0..3 {
            let (s, r) = authenticate(&admin, url, login("Wrong12345")).await;
            assert_error(s, &r, 401, "invalid username or credentials");
        }
        // Locked: the right password is refused and the reply says so; a wrong one, and an
        // unknown user, say no more than before.
        let (s, r) = authenticate(&admin, url, login("Sesame1234")).await;
        assert_error(s, &r, 401, "locked");
        let (s, r) = authenticate(&admin, url, login("Wrong12345")).await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let (s, r) =
            authenticate(&admin, url, json!({"authModule": module, "username": "ghost", "password": "Wrong12345"}))
                .await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let st = status(&admin, url, "jane").await;
        assert_eq!(st["lock_events"], 1, "{st}");
        assert_eq!(
            (st["reasons"][0]["reasonCode"].as_i64(), st["reasons"][0]["factor"].as_str()),
            (Some(1), Some("password")),
            "{st}"
        );

        // DELETE factor_lock resets the password factor.
        let (s, found) = sealed(
            &admin,
            url,
            Method::POST,
            &community_path("/user/fetch_single_user_by_username"),
            Some(&json!({"authModule": module, "username": "jane"})),
        )
        .await;
        assert_eq!(s, 200);
        let uid = found["data"]["uid"].as_str().unwrap().to_owned();
        let factor_lock = community_path("/factor_lock");
        let (s, r) = sealed(
            &admin,
            url,
            Method::DELETE,
            &factor_lock,
            Some(&json!({"userId": uid, "factor": "face", "authModuleId": module})),
        )
        .await;
        assert_error(s, &r, 400, "factor must be one of");
        let (s, r) = sealed(
            &caller(SERVICE_EXT_KEY),
            url,
            Method::DELETE,
            &factor_lock,
            Some(&json!({"userId": uid, "factor": "password", "authModuleId": module})),
        )
        .await;
        assert_eq!(s, 403, "{r}");
        let (s, r) = sealed(
            &admin,
            url,
            Method::DELETE,
            &factor_lock,
            Some(&json!({"userId": uid, "factor": "password", "authModuleId": module})),
        )
        .await;
        assert_eq!(s, 204, "{r}");
        assert_eq!(authenticate(&admin, url, login("Sesame1234")).await.0, 200);
        assert_eq!(status(&admin, url, "jane").await["reasons"], json!([]));

        // An admin lock (v1) refuses every factor until unlocked.
        let lock = community_path("/user/lock");
        let (s, r) = sealed(
            &admin,
            url,
            Method::PUT,
            &lock,
            Some(&json!({"username": "jane", "reason": {"reasonCode": 3, "message": "x"}, "initiatedby": "root"})),
        )
        .await;
        assert_error(s, &r, 400, "Admin Action");
        let (s, r) = sealed(&admin, url, Method::PUT, &lock, Some(&json!({"username": "ghost", "reason": {"reasonCode": 0, "message": "Admin Action"}, "initiatedby": "root"}))).await;
        assert_error(s, &r, 404, "user not found");
        let (s, r) = sealed(&admin, url, Method::PUT, &lock, Some(&json!({"username": "JANE", "reason": {"reasonCode": 0, "message": "Admin Action"}, "initiatedby": "root"}))).await;
        assert_eq!(s, 200, "{r}");
        let (s, r) = authenticate(&admin, url, login("Sesame1234")).await;
        assert_error(s, &r, 401, "locked");
        let st = status(&admin, url, "jane").await;
        assert_eq!(
            (st["reasons"][0]["reasonCode"].as_i64(), st["reasons"][0]["initiatedby"].as_str()),
            (Some(0), Some("root")),
            "{st}"
        );
        let (s, r) = sealed(&admin, url, Method::PUT, &community_path("/user/unlock"), Some(&json!({"username": "jane", "reason": {"reasonCode": 1, "message": "Admin Action"}, "initiatedby": "root"}))).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(authenticate(&admin, url, login("Sesame1234")).await.0, 200);

        // v2, by user id, with an expiry; system and service keys only.
        let v2 = |rest: &str| format!("/v2/tenant/{TENANT_ID}/community/{COMMUNITY_ID}{rest}");
        let (s, r) = sealed(
            &caller(SERVICE_EXT_KEY),
            url,
            Method::POST,
            &v2("/user/lock/status"),
            Some(&json!({"userId": uid})),
        )
        .await;
        assert_eq!(s, 403, "{r}");
        let (s, r) = sealed(&admin, url, Method::POST, &v2("/user/lock/status"), Some(&json!({"userId": uid}))).await;
        assert_eq!((s, r["locked"].as_bool(), r["userId"].as_str()), (200, Some(false), Some(uid.as_str())), "{r}");
        let (s, r) = sealed(
            &admin,
            url,
            Method::PUT,
            &v2("/user/lock"),
            Some(&json!({"userId": uid, "initiatedby": "root", "expiryInMunites": 0})),
        )
        .await;
        assert_error(s, &r, 400, "expiryInMunites");
        let (s, r) = sealed(
            &admin,
            url,
            Method::PUT,
            &v2("/user/lock"),
            Some(&json!({"userId": uid, "initiatedby": "root", "message": "Admin Action", "expiryInMunites": 30})),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        let (s, r, _) = plain(&admin, url, Method::POST, &v2("/user/lock/status"), Some(&json!({"userId": uid}))).await;
        assert_eq!(
            (s, r["locked"].as_bool(), r["lockedBy"].as_str(), r["message"].as_str()),
            (200, Some(true), Some("root"), Some("Admin Action")),
            "{r}"
        );
        assert!(r["expiresDate"].is_string(), "{r}");
        assert_eq!(authenticate(&admin, url, login("Sesame1234")).await.0, 401);
        let (s, r) =
            sealed(&admin, url, Method::PUT, &v2("/user/unlock"), Some(&json!({"userId": uid, "initiatedby": "root"})))
                .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(authenticate(&admin, url, login("Sesame1234")).await.0, 200);
        let (s, r) =
            sealed(&admin, url, Method::POST, &v2("/user/lock/status"), Some(&json!({"userId": "nope"}))).await;
        assert_error(s, &r, 404, "user not found");
    }
}

#[tokio::test]
async fn lockout_is_exact_under_concurrency_across_two_instances() {
    use kit::testing::{APP_EXT_KEY, INFRA_KEY, SYSTEM_KEY, reachable_redis, spawn_service, test_env};
    let Some(mut env) = test_env(kit::testing::Storage::Postgres, "lockout race").await else { return };
    let Some(redis) = reachable_redis("lockout race").await else { return };
    env.insert("REDIS_URL".into(), redis);
    env.insert("REDIS_PREFIX".into(), format!("test:{}:", uuid::Uuid::new_v4().simple()));
    env.insert(
        "LICENSE_KEYS".into(),
        format!("system:{SYSTEM_KEY},service:{SERVICE_KEY},service_ext:{SERVICE_EXT_KEY},app:{APP_KEY},app_ext:{APP_EXT_KEY}"),
    );
    env.insert("INFRA_LICENSE_KEY".into(), INFRA_KEY.into());
    for (k, v) in with_threshold("5") {
        env.insert(k.into(), v.into());
    }
    let one = spawn_service(users_mgmt::SERVICE, &env, users_mgmt::build).await;
    let two = spawn_service(users_mgmt::SERVICE, &env, users_mgmt::build).await;
    let (a, b) = (caller(SERVICE_KEY), caller(SERVICE_KEY));
    let module = module_with_user(&a, &one.url, "jane", "Sesame1234").await;
    let login = |password: &str| json!({"authModule": module, "username": "jane", "password": password});
    // The user exists on both.
    assert_eq!(authenticate(&b, &two.url, login("Sesame1234")).await.0, 200);

    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (client, url) = if i % 2 == 0 { (a.clone(), one.url.clone()) } else { (b.clone(), two.url.clone()) };
            let body = login("Wrong12345");
            tokio::spawn(async move { authenticate(&client, &url, body).await })
        })
        .collect();
    for task in tasks {
        let (s, r) = task.await.unwrap();
        assert_error(s, &r, 401, "invalid username or credentials");
    }
    for (client, url) in [(&a, &one.url), (&b, &two.url)] {
        let st = status(client, url, "jane").await;
        assert_eq!(st["lock_events"], 1, "exactly one lock event: {st}");
        let (s, r) = authenticate(client, url, login("Sesame1234")).await;
        assert_error(s, &r, 401, "locked");
    }
    let (s, r) = sealed(
        &b,
        &two.url,
        Method::PUT,
        &community_path("/user/unlock"),
        Some(
            &json!({"username": "jane", "reason": {"reasonCode": 0, "message": "Admin Action"}, "initiatedby": "root"}),
        ),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    for (client, url) in [(&a, &one.url), (&b, &two.url)] {
        assert_eq!(authenticate(client, url, login("Sesame1234")).await.0, 200);
    }
}
