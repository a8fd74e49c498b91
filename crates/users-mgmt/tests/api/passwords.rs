//! Password changes over HTTP: the user's (current password required), the admin's, the
//! module's policy on the new password.

use reqwest::Method;
use serde_json::json;

use crate::authenticate::{FAST_ARGON2, authenticate, module_with_user};
use crate::helpers::*;

#[tokio::test]
async fn passwords_change_under_the_module_policy() {
    for storage in [kit::testing::Storage::Embedded, kit::testing::Storage::Postgres] {
        let Some(app) = spawn(storage, "change password", &FAST_ARGON2).await else { continue };
        let url = app.url.as_str();
        let admin = caller(SERVICE_KEY);
        let module = module_with_user(&admin, url, "jane", "Sesame1234").await;
        let user_change = community_path("/user/changepassword");
        let login = |password: &str| json!({"authModule": module, "username": "jane", "password": password});

        let body = json!({"authModule": module, "username": "jane", "currentPassword": "Wrong12345", "newPassword": "Better5678"});
        let (s, r) = sealed(&admin, url, Method::POST, &user_change, Some(&body)).await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let body = json!({"authModule": module, "username": "jane", "newPassword": "Better5678"});
        let (s, r) = sealed(&admin, url, Method::POST, &user_change, Some(&body)).await;
        assert_error(s, &r, 400, "currentPassword");
        let body = json!({"authModule": module, "username": "jane", "otp": "123456", "newPassword": "Better5678"});
        let (s, r) = sealed(&admin, url, Method::POST, &user_change, Some(&body)).await;
        assert_error(s, &r, 400, "otp");
        // The policy: 8 characters, a digit, not the username.
        for (bad, why) in [("short1", "at least 8"), ("nodigitshere", "digit"), ("jane12345", "username")] {
            let body =
                json!({"authModule": module, "username": "jane", "currentPassword": "Sesame1234", "newPassword": bad});
            let (s, r) = sealed(&admin, url, Method::POST, &user_change, Some(&body)).await;
            assert_error(s, &r, 400, why);
            assert!(!r.to_string().contains(bad), "{r}");
        }
        let body = json!({"authModule": module, "username": "jane", "currentPassword": "Sesame1234", "newPassword": "Better5678"});
        let (s, r) = sealed(&admin, url, Method::POST, &user_change, Some(&body)).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(authenticate(&admin, url, login("Sesame1234")).await.0, 401);
        assert_eq!(authenticate(&admin, url, login("Better5678")).await.0, 200);
        // An app key must prove the user's DID, which is not available yet.
        let body = json!({"authModule": module, "username": "jane", "currentPassword": "Better5678", "newPassword": "Other56789",
            "userDid": "did", "userPublicKey": "pk"});
        let (s, r) = sealed(&caller(APP_KEY), url, Method::POST, &user_change, Some(&body)).await;
        assert_error(s, &r, 400, "not available yet");

        // The admin's change needs no current password, and a service-level key.
        let admin_change = community_path("/admin/changepassword");
        let body = json!({"authModule": module, "username": "jane", "newPassword": "Admin12345"});
        let (s, r) = sealed(&caller(APP_KEY), url, Method::POST, &admin_change, Some(&body)).await;
        assert_eq!(s, 403, "{r}");
        let (s, r, _) = plain(&admin, url, Method::POST, &admin_change, Some(&body)).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(authenticate(&admin, url, login("Better5678")).await.0, 401);
        assert_eq!(authenticate(&admin, url, login("Admin12345")).await.0, 200);
        let body = json!({"authModule": module, "username": "jane", "newPassword": "weak"});
        let (s, r) = sealed(&admin, url, Method::POST, &admin_change, Some(&body)).await;
        assert_error(s, &r, 400, "at least 8");
        let body = json!({"authModule": module, "username": "nobody", "newPassword": "Admin12345"});
        let (s, r) = sealed(&admin, url, Method::POST, &admin_change, Some(&body)).await;
        assert_error(s, &r, 404, "user not found");
    }
}
