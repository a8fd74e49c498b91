//! The whole platform as a customer sees it: `adminapi` bootstraps a tenant, community and system
//! license and issues an app license limited to that community from its command line; a web app
//! logs a user in through `sessions`, whose license checks go to `adminapi` over the wire.

use std::process::Command;
use std::sync::Arc;

use envelope::{Client, Curve, KeyPair};
use reqwest::Method;
use serde_json::{Value, json};
use tests_e2e::{Stack, bin_dir, start_stack};

fn adminapi(stack: &Stack, args: &[&str]) -> Value {
    let out = Command::new(bin_dir().join("adminapi")).args(args).env("DATA_DIR", &stack.data_dir).output().unwrap();
    assert!(out.status.success(), "adminapi {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn new_session(community_id: &str) -> Value {
    named_session(community_id, "default")
}

fn named_session(community_id: &str, community_name: &str) -> Value {
    json!({
        "origin": {"tag": "acme", "url": "https://acme.example", "communityName": community_name,
                   "communityId": community_id, "authPage": "blockid://authenticate"},
        "scopes": "windows", "authtype": "none", "metadata": {"purpose": "e2e"}
    })
}

#[tokio::test]
async fn a_login_through_sessions_with_a_license_issued_by_adminapi() {
    let stack = start_stack(&[]).await.unwrap();
    let boot_file = stack.data_dir.join("bootstrap.json");
    let boot = adminapi(&stack, &["bootstrap", "--out", boot_file.to_str().unwrap()]);
    let community = boot["communityId"].as_str().unwrap();
    let app = adminapi(&stack, &["license", "create", "--level", "app", "--communities", community, "--tag", "web"]);
    let app_key = app["keySecret"].as_str().unwrap();
    let url = stack.sessions.url.as_str();

    // The web app: its own key pair and the app license, as the SDK's BIDSessions holds them.
    let browser = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(app_key);
    let created = browser.call(Method::PUT, url, "/session/new", Some(&new_session(community))).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let session_id = created.body["sessionId"].as_str().unwrap().to_owned();

    // The license is limited to its community: a session for another one is refused.
    let tenant = boot["tenantId"].as_str().unwrap();
    let other = adminapi(&stack, &["community", "create", "--tenant", tenant, "--name", "other"]);
    let other_id = other["id"].as_str().unwrap();
    let refused = browser.call(Method::PUT, url, "/session/new", Some(&named_session(other_id, "other"))).await;
    assert_eq!(refused.unwrap().status, 403);
    // sessions asks adminapi which communities exist: one that does not, or a name that is not
    // the community's, is 404.
    let missing = browser.call(Method::PUT, url, "/session/new", Some(&new_session("0123456789abcdef01234567"))).await;
    assert_eq!(missing.unwrap().status, 404);
    let misnamed = browser.call(Method::PUT, url, "/session/new", Some(&named_session(community, "other"))).await;
    assert_eq!(misnamed.unwrap().status, 404);
    // A key adminapi never issued is refused by the authority.
    let stranger = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license("never-issued");
    assert_eq!(
        stranger.call(Method::PUT, url, "/session/new", Some(&new_session(community))).await.unwrap().status,
        401
    );

    // The phone reads the session (public) and answers with data only the web app can open.
    let info: Value = reqwest::get(format!("{url}/session/{session_id}")).await.unwrap().json().await.unwrap();
    let phone = KeyPair::generate(Curve::Secp256k1).unwrap();
    let to_browser = phone.shared_key_with(info["publicKey"].as_str().unwrap()).unwrap();
    let user = json!({"userid": "jane@acme.example", "did": "did:e2e:jane"});
    let answer = json!({"data": to_browser.encrypt(&user.to_string()).unwrap(), "publicKey": phone.public_base64(),
                        "did": "did:e2e:jane", "appid": "com.onekosmos.blockid", "ial": "IAL2", "eventData": {"mode": "authenticator"}});
    let answered = reqwest::Client::new()
        .post(format!("{url}/session/{session_id}/authenticate"))
        .json(&answer)
        .send()
        .await
        .unwrap();
    let status = answered.status().as_u16();
    assert_eq!(status, 200, "{}", answered.text().await.unwrap());

    // The web app polls: plain JSON whose data it opens with ECDH(its key, the phone's key).
    let poll = browser.call::<Value>(Method::GET, url, &format!("/session/{session_id}/response"), None).await.unwrap();
    assert_eq!(poll.status, 200, "{}", poll.body);
    let from_phone = browser.keys().shared_key_with(poll.body["publicKey"].as_str().unwrap()).unwrap();
    let opened: Value =
        serde_json::from_str(&from_phone.decrypt(poll.body["data"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(opened, user);
    assert_eq!(poll.body["eventData"], json!({"mode": "authenticator"}), "eventData comes back as the phone sent it");
    let again =
        browser.call::<Value>(Method::GET, url, &format!("/session/{session_id}/response"), None).await.unwrap();
    assert_eq!(again.status, 410, "the answer is handed out once");
}
