//! Admin login across processes, as an operator and the admin console do it: bootstrap, a user
//! made in users-mgmt with the bootstrap license, a role given with `adminapi role grant`, a login
//! at adminapi (`blockid-call`, no license), and two adminapi instances on one database: a
//! session ended on one is refused by the other at once.

use std::process::Command;

use serde_json::{Value, json};
use tests_e2e::{bin_dir, free_port, start, start_stack};

fn adminapi(data_dir: &std::path::Path, args: &[&str]) -> Value {
    let out = Command::new(bin_dir().join("adminapi")).args(args).env("DATA_DIR", data_dir).output().unwrap();
    assert!(out.status.success(), "adminapi {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `blockid-call [--license KEY] [--authorization JWT] METHOD URL [BODY]`: status and reply.
fn call(license: Option<&str>, token: Option<&str>, method: &str, url: &str, body: Option<&Value>) -> (u16, Value) {
    let mut cmd = Command::new(bin_dir().join("blockid-call"));
    cmd.env_remove("BLOCKID_LICENSE").env_remove("BLOCKID_AUTHORIZATION");
    if let Some(l) = license {
        cmd.args(["--license", l]);
    }
    if let Some(t) = token {
        cmd.args(["--authorization", t]);
    }
    cmd.args([method, url]);
    if let Some(b) = body {
        cmd.arg(b.to_string());
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let (status, json) = text
        .split_once('\n')
        .unwrap_or_else(|| panic!("blockid-call printed {text:?}; {}", String::from_utf8_lossy(&out.stderr)));
    (status.trim().parse().unwrap(), serde_json::from_str(json).unwrap())
}

#[tokio::test]
async fn a_granted_admin_signs_in_and_sessions_end_on_every_instance() {
    let infra = "e2e-admin-login-infra";
    let stack = start_stack(&[("INFRA_LICENSE_KEY", infra)]).await.unwrap();
    let out = stack.data_dir.join("bootstrap.json");
    let boot = adminapi(&stack.data_dir, &["bootstrap", "--out", out.to_str().unwrap()]);
    let (key, tenant, community) = (
        boot["licenseKey"].as_str().unwrap(),
        boot["tenantId"].as_str().unwrap(),
        boot["communityId"].as_str().unwrap(),
    );
    let users = format!("{}/tenant/{tenant}/community/{community}", stack.users_mgmt.url);
    let (s, module) =
        call(Some(key), None, "PUT", &format!("{users}/module/create"), Some(&json!({"type": "db", "name": "Users"})));
    assert_eq!(s, 200, "{module}");
    let module = module["_id"].as_str().unwrap().to_owned();
    let people = json!({"authModule": module, "users": [
        {"username": "ada", "password": "Lantern-Orbit-5582"},
        {"username": "bob", "password": "Meadow-Cipher-9146"},
    ]});
    let (s, r) = call(Some(key), None, "PUT", &format!("{users}/users/create"), Some(&people));
    assert_eq!((s, r["created"].as_u64()), (200, Some(2)), "{r}");
    let (s, ada) = call(
        Some(key),
        None,
        "POST",
        &format!("{users}/user/fetch_single_user_by_username"),
        Some(&json!({"authModule": module, "username": "ada"})),
    );
    assert_eq!(s, 200, "{ada}");
    let granted = adminapi(
        &stack.data_dir,
        &[
            "role",
            "grant",
            "--community",
            community,
            "--uid",
            ada["data"]["uid"].as_str().unwrap(),
            "--role",
            "community_admin",
        ],
    );
    assert_eq!(granted["role"], "community_admin");

    // A second adminapi on the same database and users-mgmt.
    let port = free_port();
    let directory = json!({"users-mgmt": stack.users_mgmt.url, "licenses": stack.adminapi.url});
    let env: Vec<(String, String)> = vec![
        ("DATA_DIR".into(), stack.data_dir.display().to_string()),
        ("SERVICE_DIRECTORY".into(), directory.to_string()),
        ("INFRA_LICENSE_KEY".into(), infra.into()),
    ];
    let second = start("adminapi", port, &env).await.unwrap();
    let (one, two) = (stack.adminapi.url.as_str(), second.url.as_str());

    let login = |url: &str, username: &str, password: &str| {
        let body = json!({"tenantId": tenant, "communityId": community, "username": username, "password": password});
        call(None, None, "POST", &format!("{url}/verifyuser"), Some(&body))
    };
    let (s, r) = login(one, "ada", "Lantern-Orbit-5582");
    assert_eq!((s, r["user"]["roles"].clone()), (200, json!(["community_admin"])), "{r}");
    let ada_token = r["jwt_token"].as_str().unwrap().to_owned();
    let (s, r) = login(two, "bob", "Meadow-Cipher-9146");
    assert_eq!((s, r["user"]["roles"].clone()), (200, json!(["user"])), "{r}");
    let bob_token = r["jwt_token"].as_str().unwrap().to_owned();
    let (s, r) = login(one, "bob", "not-his-password-1");
    assert_eq!(s, 401, "{r}");

    // bob may not end ada's sessions; ada (on the other instance) ends bob's.
    let ada_user = json!({"username": "ada", "moduleId": module});
    let (s, r) =
        call(None, Some(&bob_token), "DELETE", &format!("{one}/loginsessions/admin/user/all"), Some(&ada_user));
    assert_eq!(s, 403, "{r}");
    let bob_user = json!({"username": "bob", "moduleId": module});
    let (s, r) =
        call(None, Some(&ada_token), "DELETE", &format!("{one}/loginsessions/admin/user/all"), Some(&bob_user));
    assert_eq!(s, 204, "{r}");
    let (s, r) = call(None, Some(&bob_token), "GET", &format!("{two}/logout"), None);
    assert_eq!(s, 401, "bob's session ended on the first instance is refused by the second: {r}");

    // ada logs out on the second instance: the first refuses her token at once.
    let (s, r) = call(None, Some(&ada_token), "GET", &format!("{two}/logout"), None);
    assert_eq!(s, 204, "{r}");
    let (s, r) =
        call(None, Some(&ada_token), "DELETE", &format!("{one}/loginsessions/admin/user/all"), Some(&bob_user));
    assert_eq!(s, 401, "{r}");
}
