//! The README's walk-through, as a newcomer runs it: bootstrap (as `make run` does it, with the
//! services up: the db module and the administrator too), then `blockid-call` with the bootstrap
//! license finds the module, creates a user in the bootstrap community, finds it,
//! authenticates it with its password and verifies the proof of authentication it got; the
//! bootstrap administrator logs in to adminapi, generates a helpdesk passcode for the user, and
//! the user authenticates at users-mgmt with it once (users-mgmt asks adminapi to verify it).

use std::process::Command;

use serde_json::{Value, json};
use tests_e2e::{Stack, bin_dir, start_stack};

const INFRA: &str = "walkthrough-infra-license";

/// An `adminapi` command with the environment `make run` gives it.
fn adminapi(stack: &Stack, args: &[&str]) -> Value {
    let out = Command::new(bin_dir().join("adminapi"))
        .args(args)
        .env("DATA_DIR", &stack.data_dir)
        .env("SERVICE_DIRECTORY", stack.service_directory())
        .env("INFRA_LICENSE_KEY", INFRA)
        .output()
        .unwrap();
    assert!(out.status.success(), "adminapi {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `blockid-call --license <key> <method> <url> [body]`: the status and the opened reply
/// (an empty license: none; `jwt`: `--authorization`).
fn call(license: &str, method: &str, url: &str, body: Option<&Value>) -> (u16, Value) {
    call_as(license, None, method, url, body)
}

fn call_as(license: &str, jwt: Option<&str>, method: &str, url: &str, body: Option<&Value>) -> (u16, Value) {
    tests_e2e::blockid_call((!license.is_empty()).then_some(license), jwt, method, url, body)
}

#[tokio::test]
async fn a_newcomer_creates_a_module_and_a_user_with_the_bootstrap_license() {
    // As `make run` starts it: with an INFRA_LICENSE_KEY, users-mgmt's own license to adminapi.
    let stack = start_stack(&[("INFRA_LICENSE_KEY", INFRA)]).await.unwrap();
    let boot_file = stack.data_dir.join("bootstrap.json");
    let boot = adminapi(&stack, &["bootstrap", "--out", boot_file.to_str().unwrap()]);
    let (key, tenant, community) = (
        boot["licenseKey"].as_str().unwrap(),
        boot["tenantId"].as_str().unwrap(),
        boot["communityId"].as_str().unwrap(),
    );
    let base = format!("{}/tenant/{tenant}/community/{community}", stack.users_mgmt.url);

    // The bootstrap made the community's db module (the administrator's).
    let module_id = boot["admin"]["moduleId"].as_str().unwrap();
    let (s, modules) = call(key, "POST", &format!("{base}/modules/fetch"), Some(&json!({})));
    assert_eq!(
        (s, modules[0]["_id"].as_str(), modules[0]["type"].as_str()),
        (200, Some(module_id), Some("db")),
        "{modules}"
    );
    let users = json!({"authModule": module_id, "users": [{"username": "jane", "password": "Correct-Horse-42", "email1": "jane@example.com"}]});
    let (s, created) = call(key, "PUT", &format!("{base}/users/create"), Some(&users));
    assert_eq!((s, created["created"].as_u64()), (200, Some(1)), "{created}");
    let (s, found) = call(
        key,
        "POST",
        &format!("{base}/user/fetch_single_user_by_username"),
        Some(&json!({"authModule": module_id, "username": "jane"})),
    );
    assert_eq!((s, found["data"]["email"].as_str()), (200, Some("jane@example.com")), "{found}");
    let login = json!({"authModule": module_id, "username": "jane", "password": "Correct-Horse-42"});
    let (s, authenticated) = call(key, "POST", &format!("{base}/user/authenticate"), Some(&login));
    assert_eq!((s, authenticated["username"].as_str()), (200, Some("jane")), "{authenticated}");
    let proof = authenticated["proof_of_authentication_jwt"].as_str().unwrap();
    let out = Command::new(bin_dir().join("blockid-call"))
        .args(["--plain", "POST", &format!("{}/jwt/verifyToken", stack.users_mgmt.url)])
        .arg(json!({"token": proof}).to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("200") && text.contains("\"isAuthenticated\": true"), "{text}");
    let wrong = json!({"authModule": module_id, "username": "jane", "password": "wrong-password-1"});
    let (s, _) = call(key, "POST", &format!("{base}/user/authenticate"), Some(&wrong));
    assert_eq!(s, 401);
    // A one-time passcode goes to adminapi, which has issued none: refused like a wrong password.
    let otp = json!({"authModule": module_id, "username": "jane", "otp": "123456"});
    let (s, refused) = call(key, "POST", &format!("{base}/user/authenticate"), Some(&otp));
    assert_eq!(s, 401, "{refused}");
    let (s, refused) =
        call("not-a-license", "POST", &format!("{base}/users/count"), Some(&json!({"authModule": module_id})));
    assert_eq!((s, refused["statusCode"].as_u64()), (401, Some(401)), "{refused}");

    // The bootstrap administrator logs in to adminapi (no license) and out again.
    let admin = &boot["admin"];
    assert_eq!(admin["username"], "admin");
    let credentials =
        json!({"tenantId": tenant, "communityId": community, "username": "admin", "password": admin["password"]});
    let (s, login) = call("", "POST", &format!("{}/verifyuser", stack.adminapi.url), Some(&credentials));
    assert_eq!((s, login["user"]["roles"].clone()), (200, json!(["tenant_admin"])), "{login}");
    let jwt = login["jwt_token"].as_str().unwrap();
    // The administrator generates a helpdesk passcode for jane; she logs in with it once.
    let ask = json!({"userId": "jane", "tenantId": tenant, "communityId": community, "validitySeconds": 300,
        "serviceName": "1KosmosHelpdeskAdminCode"});
    let (s, passcode) =
        call_as("", Some(jwt), "POST", &format!("{}/helpdesk-passcode/generate", stack.adminapi.url), Some(&ask));
    assert_eq!(s, 200, "{passcode}");
    let code = passcode["passcode"].as_str().unwrap();
    let otp = json!({"authModule": module_id, "username": "jane", "otp": code});
    let (s, signed_in) = call(key, "POST", &format!("{base}/user/authenticate"), Some(&otp));
    assert_eq!(s, 200, "{signed_in}");
    let (s, _) = call(key, "POST", &format!("{base}/user/authenticate"), Some(&otp));
    assert_eq!(s, 401, "a passcode is used once");
    let (s, _) = call_as("", Some(jwt), "GET", &format!("{}/logout", stack.adminapi.url), None);
    assert_eq!(s, 204);
    let (s, _) = call_as("", Some(jwt), "GET", &format!("{}/logout", stack.adminapi.url), None);
    assert_eq!(s, 401, "the token ended with its session");
    // A second bootstrap changes nothing: the same administrator and password.
    let again = adminapi(&stack, &["bootstrap", "--out", boot_file.to_str().unwrap()]);
    assert_eq!(again["admin"], boot["admin"]);
}
