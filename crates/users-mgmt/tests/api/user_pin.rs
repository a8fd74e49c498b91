//! User PINs over HTTP: register (with a proof of authentication for app keys), update,
//! delete, `is_user_pin_enrolled`, and authentication with a PIN (`user_pin` in the proof).

use reqwest::Method;
use serde_json::{Value, json};

use crate::authenticate::{FAST_ARGON2, authenticate, module_with_user, verify_token};
use crate::helpers::*;

fn pin_body(module: &str, extra: Value) -> Value {
    let mut body = json!({"user": {"username": "jane", "authModule": module}});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    body
}

async fn enrolled(admin: &envelope::Client, url: &str, module: &str) -> bool {
    let (s, r) = sealed(
        admin,
        url,
        Method::POST,
        &community_path("/user/fetch_single_user_by_username"),
        Some(&json!({"authModule": module, "username": "jane"})),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    r["data"]["is_user_pin_enrolled"].as_bool().unwrap()
}

#[tokio::test]
async fn a_pin_is_registered_used_updated_and_deleted() {
    for storage in [kit::testing::Storage::Embedded, kit::testing::Storage::Postgres] {
        let Some(app) = spawn(storage, "user pin", &FAST_ARGON2).await else { continue };
        let url = app.url.as_str();
        let admin = caller(SERVICE_KEY);
        let module = module_with_user(&admin, url, "jane", "Sesame1234").await;
        let register = community_path("/user/user_pin/register");
        assert!(!enrolled(&admin, url, &module).await);

        // An app key needs the user's proof of authentication.
        let app_key = caller(APP_KEY);
        let (s, r) =
            sealed(&app_key, url, Method::POST, &register, Some(&pin_body(&module, json!({"pin": "4321"})))).await;
        assert_error(s, &r, 401, "jwt is required");
        let (s, r) = sealed(
            &app_key,
            url,
            Method::POST,
            &register,
            Some(&pin_body(&module, json!({"pin": "4321", "jwt": "a.b.c"}))),
        )
        .await;
        assert_error(s, &r, 401, "jwt");
        let (s, auth) =
            authenticate(&app_key, url, json!({"authModule": module, "username": "jane", "password": "Sesame1234"}))
                .await;
        assert_eq!(s, 200, "{auth}");
        let jwt = auth["proof_of_authentication_jwt"].as_str().unwrap();
        let (s, r) =
            sealed(&app_key, url, Method::POST, &register, Some(&pin_body(&module, json!({"pin": "12", "jwt": jwt}))))
                .await;
        assert_error(s, &r, 400, "pin must be 4 to 32 characters");
        let (s, r) = sealed(
            &app_key,
            url,
            Method::POST,
            &register,
            Some(&pin_body(&module, json!({"pin": "4321", "jwt": jwt}))),
        )
        .await;
        assert_eq!((s, &r), (200, &json!({"status": true})));
        assert!(enrolled(&admin, url, &module).await);
        let (s, r) =
            sealed(&admin, url, Method::POST, &register, Some(&pin_body(&module, json!({"pin": "9999"})))).await;
        assert_error(s, &r, 405, "already has a PIN");

        // The PIN authenticates, alone or beside the password; the proof says user_pin.
        let (s, r) = authenticate(&admin, url, json!({"authModule": module, "username": "jane", "pin": "4321"})).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["is_user_pin_enrolled"], true);
        let (_, v) = verify_token(url, json!({"token": r["proof_of_authentication_jwt"]})).await;
        assert_eq!(v["methods"], json!(["user_pin"]), "{v}");
        let (s, r) = authenticate(
            &admin,
            url,
            json!({"authModule": module, "username": "jane", "pin": "4321", "password": "Sesame1234"}),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        let (_, v) = verify_token(url, json!({"token": r["proof_of_authentication_jwt"]})).await;
        assert_eq!(v["methods"], json!(["password", "user_pin"]), "{v}");
        // One wrong factor fails the attempt.
        let (s, r) = authenticate(
            &admin,
            url,
            json!({"authModule": module, "username": "jane", "pin": "0000", "password": "Sesame1234"}),
        )
        .await;
        assert_error(s, &r, 401, "invalid username or credentials");

        // Plain preview; update checks currentPin when given.
        let update = community_path("/user/user_pin/update");
        let (s, r) = sealed(
            &admin,
            url,
            Method::PATCH,
            &update,
            Some(&pin_body(&module, json!({"currentPin": "0000", "newPin": "5555"}))),
        )
        .await;
        assert_error(s, &r, 401, "currentPin");
        let (s, r, was_sealed) = plain(
            &admin,
            url,
            Method::PATCH,
            &update,
            Some(&pin_body(&module, json!({"currentPin": "4321", "newPin": "5555"}))),
        )
        .await;
        assert_eq!((s, was_sealed, &r), (200, false, &json!({"status": true})));
        let (s, _) = authenticate(&admin, url, json!({"authModule": module, "username": "jane", "pin": "4321"})).await;
        assert_eq!(s, 401);
        let (s, _) = authenticate(&admin, url, json!({"authModule": module, "username": "jane", "pin": "5555"})).await;
        assert_eq!(s, 200);
        // update is for system, service and service_ext keys.
        let (s, r) =
            sealed(&app_key, url, Method::PATCH, &update, Some(&pin_body(&module, json!({"newPin": "6666"})))).await;
        assert_eq!(s, 403, "{r}");

        let delete = community_path("/user/user_pin");
        let (s, r) = sealed(
            &admin,
            url,
            Method::DELETE,
            &delete,
            Some(&pin_body(&module, json!({"eventInfo": {"initiatedBy": "root"}}))),
        )
        .await;
        assert_eq!(s, 204, "{r}");
        assert!(!enrolled(&admin, url, &module).await);
        let (s, r) = sealed(&admin, url, Method::DELETE, &delete, Some(&pin_body(&module, json!({})))).await;
        assert_error(s, &r, 404, "no PIN");
        let (s, r) =
            sealed(&admin, url, Method::PATCH, &update, Some(&pin_body(&module, json!({"newPin": "7777"})))).await;
        assert_error(s, &r, 404, "no PIN");
        let (s, _) = authenticate(&admin, url, json!({"authModule": module, "username": "jane", "pin": "5555"})).await;
        assert_eq!(s, 401);
        let (s, r) = sealed(
            &admin,
            url,
            Method::POST,
            &register,
            Some(&json!({"user": {"username": "nobody", "authModule": module}, "pin": "1234"})),
        )
        .await;
        assert_error(s, &r, 404, "user not found");
    }
}
