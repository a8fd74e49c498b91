//! A user's phone numbers over HTTP: one's own, adding one only with a one-time passcode issued to
//! the user (here a helpdesk passcode an administrator generated), removing without; another
//! user's only for administrators; the numbers kept by users-mgmt.

use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, platform};
use kit::testing::Storage;

fn change(p: &Platform, username: &str, add: Value, remove: Value, otp: Option<&str>) -> Value {
    let mut body = json!({"tenantId": p.tenant, "communityId": p.community,
        "user": {"username": username, "authModuleId": p.module}, "updatePhones": add, "removePhones": remove});
    if let Some(otp) = otp {
        body["otp"] = json!(otp);
    }
    body
}

#[tokio::test]
async fn users_add_their_numbers_with_a_passcode_and_administrators_without() {
    let Some(p) = platform(Storage::Embedded, "phone numbers", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let (bob, jane) =
        (bearer(&p.token("bob", "Violet-Harbor-58").await), bearer(&p.token("jane", "Quartz-Meadow-71").await));
    let path = "/users/user/update_phone_numbers";
    let mobile = json!({"mobiles": ["15550001111"]});

    let (s, r) =
        call(url, Method::POST, path, Some(&bob), Some(&change(&p, "bob", mobile.clone(), json!({}), None))).await;
    assert_error(s, &r, 400, "otp is required to add a phone number");
    let ask = json!({"userId": "bob", "tenantId": p.tenant, "communityId": p.community, "validitySeconds": 300,
        "serviceName": "1KosmosHelpdeskAdminCode"});
    let (s, r) = call(url, Method::POST, "/helpdesk-passcode/generate", Some(&jane), Some(&ask)).await;
    assert_eq!(s, 200, "{r}");
    let passcode = r["passcode"].as_str().unwrap().to_owned();
    let wrong = crate::otp::wrong(&passcode);
    let (s, r) =
        call(url, Method::POST, path, Some(&bob), Some(&change(&p, "bob", mobile.clone(), json!({}), Some(&wrong))))
            .await;
    assert_error(s, &r, 401, "otp is invalid");
    let (s, r) =
        call(url, Method::POST, path, Some(&bob), Some(&change(&p, "bob", mobile.clone(), json!({}), Some(&passcode))))
            .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["mobiles"].clone(), r["user"]["username"].as_str()), (json!(["15550001111"]), Some("bob")), "{r}");
    let another = json!({"mobiles": ["15550002222"]});
    let (s, r) =
        call(url, Method::POST, path, Some(&bob), Some(&change(&p, "bob", another, json!({}), Some(&passcode)))).await;
    assert_error(s, &r, 401, "otp is invalid");

    // Removing needs no passcode; another user's numbers are an administrator's.
    let (s, r) = call(url, Method::POST, path, Some(&bob), Some(&change(&p, "bob", json!({}), mobile, None))).await;
    assert_eq!((s, r["mobiles"].clone()), (200, json!([])), "{r}");
    let (s, r) = call(url, Method::POST, path, Some(&bob), Some(&change(&p, "jane", json!({}), json!({}), None))).await;
    assert_error(s, &r, 403, "may not");
    let landline = json!({"landlines": ["15550003333"]});
    let (s, r) = call(url, Method::POST, path, Some(&jane), Some(&change(&p, "bob", landline, json!({}), None))).await;
    assert_eq!((s, r["landlines"].clone()), (200, json!(["15550003333"])), "{r}");
    let stored = p
        .users_call(
            Method::POST,
            "/user/fetch_single_user_by_username",
            json!({"authModule": p.module, "username": "bob", "includeProperties": true}),
        )
        .await;
    assert_eq!(stored["data"]["userProperties"]["landlines"], json!(["15550003333"]), "{stored}");
    let bad = json!({"mobiles": ["not-a-number"]});
    let (s, r) = call(url, Method::POST, path, Some(&jane), Some(&change(&p, "bob", bad, json!({}), None))).await;
    assert_eq!(s, 400, "users-mgmt's refusal: {r}");
    let mut ghost = change(&p, "ghost", json!({}), json!({}), None);
    ghost["user"]["uid"] = json!("nobody");
    let (s, _) = call(url, Method::POST, path, Some(&jane), Some(&ghost)).await;
    assert_eq!(s, 404);
}
