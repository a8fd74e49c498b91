//! Admin login across processes, as an operator and the admin console do it: the bootstrap
//! administrator logs in at adminapi (`blockid-call`, no license), creates, fetches, updates and
//! locks a user through adminapi (the record is found in users-mgmt), and two adminapi instances
//! on one database refuse a session ended on either at once.

use std::process::Command;

use serde_json::{Value, json};
use tests_e2e::{bin_dir, blockid_call as call, start_on_free_port, start_stack};

fn adminapi(data_dir: &std::path::Path, args: &[&str]) -> Value {
    let out = Command::new(bin_dir().join("adminapi")).args(args).env("DATA_DIR", data_dir).output().unwrap();
    assert!(out.status.success(), "adminapi {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn the_bootstrap_admin_manages_a_user_through_adminapi_and_sessions_end_on_every_instance() {
    let infra = "e2e-admin-login-infra";
    let stack = start_stack(&[("INFRA_LICENSE_KEY", infra)]).await.unwrap();
    let out = stack.data_dir.join("bootstrap.json");
    // As `make run` runs it once the services answer: the administrator too.
    let boot = Command::new(bin_dir().join("adminapi"))
        .args(["bootstrap", "--out", out.to_str().unwrap()])
        .env("DATA_DIR", &stack.data_dir)
        .env("SERVICE_DIRECTORY", stack.service_directory())
        .env("INFRA_LICENSE_KEY", infra)
        .output()
        .unwrap();
    assert!(boot.status.success(), "{}", String::from_utf8_lossy(&boot.stderr));
    let boot: Value = serde_json::from_slice(&boot.stdout).unwrap();
    let (key, tenant, community) = (
        boot["licenseKey"].as_str().unwrap(),
        boot["tenantId"].as_str().unwrap(),
        boot["communityId"].as_str().unwrap(),
    );
    let module = boot["admin"]["moduleId"].as_str().unwrap();
    let users = format!("{}/tenant/{tenant}/community/{community}", stack.users_mgmt.url);

    // A second adminapi on the same database and users-mgmt.
    let directory = json!({"users-mgmt": stack.users_mgmt.url, "licenses": stack.adminapi.url});
    let env: Vec<(String, String)> = vec![
        ("DATA_DIR".into(), stack.data_dir.display().to_string()),
        ("SERVICE_DIRECTORY".into(), directory.to_string()),
        ("INFRA_LICENSE_KEY".into(), infra.into()),
    ];
    let second = start_on_free_port("adminapi", &env).await.unwrap();
    let (one, two) = (stack.adminapi.url.as_str(), second.url.as_str());

    let login = |url: &str, username: &str, password: &str| {
        let body = json!({"tenantId": tenant, "communityId": community, "username": username, "password": password});
        call(None, None, "POST", &format!("{url}/verifyuser"), Some(&body))
    };
    let (s, r) = login(one, "admin", boot["admin"]["password"].as_str().unwrap());
    assert_eq!((s, r["user"]["roles"].clone()), (200, json!(["tenant_admin"])), "{r}");
    let admin = r["jwt_token"].as_str().unwrap().to_owned();
    let admin = Some(admin.as_str());

    // Through adminapi: create, fetch, update, lock; the record is users-mgmt's.
    let bob = json!({"moduleId": module, "username": "bob", "password": "Meadow-Cipher-9146", "firstname": "Bob"});
    let (s, r) = call(None, admin, "PUT", &format!("{one}/users/create"), Some(&bob));
    assert_eq!((s, r["created"].as_u64()), (200, Some(1)), "{r}");
    let scope = json!({"tenantId": tenant, "communityId": community, "moduleId": module, "query": {"username": "bob"}});
    let (s, r) = call(None, admin, "POST", &format!("{two}/users/fetch"), Some(&scope));
    assert_eq!(s, 200, "{r}");
    assert!(r.to_string().contains("\"bob\""), "{r}");
    let (s, found) = call(
        Some(key),
        None,
        "POST",
        &format!("{users}/user/fetch_single_user_by_username"),
        Some(&json!({"authModule": module, "username": "bob"})),
    );
    assert_eq!((s, found["data"]["firstname"].as_str()), (200, Some("Bob")), "{found}");
    let uid = found["data"]["uid"].as_str().unwrap();
    let update = json!({"tenantId": tenant, "communityId": community, "moduleId": module, "username": "bob", "uid": uid, "firstname": "Robert"});
    let (s, r) = call(None, admin, "PATCH", &format!("{one}/users/user/update"), Some(&update));
    assert_eq!((s, r["firstname"].as_str()), (200, Some("Robert")), "{r}");
    let (_, found) = call(
        Some(key),
        None,
        "POST",
        &format!("{users}/user/fetch_single_user_by_username"),
        Some(&json!({"authModule": module, "username": "bob"})),
    );
    assert_eq!(found["data"]["firstname"], "Robert", "{found}");
    let (s, r) = login(two, "bob", "Meadow-Cipher-9146");
    assert_eq!((s, r["user"]["roles"].clone()), (200, json!(["user"])), "{r}");
    let bob_token = r["jwt_token"].as_str().unwrap().to_owned();
    let (s, r) = call(
        None,
        admin,
        "POST",
        &format!("{two}/users/user/lock"),
        Some(&json!({"username": "bob", "lock_duration": 10})),
    );
    assert_eq!(s, 204, "{r}");
    let (s, status) = call(Some(key), None, "POST", &format!("{users}/user/status"), Some(&json!({"username": "bob"})));
    assert_eq!(
        (s, status["reasons"][0]["reasonCode"].as_i64()),
        (200, Some(0)),
        "users-mgmt holds the admin lock: {status}"
    );
    let (s, r) = login(one, "bob", "Meadow-Cipher-9146");
    assert_eq!(s, 401, "a locked user cannot sign in: {r}");

    // bob may not end the admin's sessions; the admin (on the other instance) ends bob's.
    let admin_user = json!({"username": "admin", "moduleId": module});
    let (s, r) =
        call(None, Some(&bob_token), "DELETE", &format!("{one}/loginsessions/admin/user/all"), Some(&admin_user));
    assert_eq!(s, 403, "{r}");
    let bob_user = json!({"username": "bob", "moduleId": module});
    let (s, r) = call(None, admin, "DELETE", &format!("{one}/loginsessions/admin/user/all"), Some(&bob_user));
    assert_eq!(s, 204, "{r}");
    let (s, r) = call(None, Some(&bob_token), "GET", &format!("{two}/logout"), None);
    assert_eq!(s, 401, "bob's session ended on the first instance is refused by the second: {r}");

    // The admin logs out on the second instance: the first refuses the token at once.
    let (s, r) = call(None, admin, "GET", &format!("{two}/logout"), None);
    assert_eq!(s, 204, "{r}");
    let (s, r) = call(None, admin, "POST", &format!("{one}/users/fetch"), Some(&scope));
    assert_eq!(s, 401, "{r}");

    // Roles also come from the command line.
    let granted =
        adminapi(&stack.data_dir, &["role", "grant", "--community", community, "--uid", uid, "--role", "helpdesk"]);
    assert_eq!(granted["role"], "helpdesk");
}
