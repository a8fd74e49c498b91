//! Licenses across processes: the bootstrap command creates a system license in adminapi's
//! database, users-mgmt checks keys with adminapi (the `licenses` authority), and answers 503
//! when the authority is down.

use std::process::Command;
use std::sync::Arc;

use envelope::{Client, Curve, KeyPair};
use reqwest::Method;
use serde_json::Value;
use tests_e2e::{Stack, bin_dir, start_stack};

/// Runs `adminapi <args>` on the stack's data folder and returns its JSON output.
fn adminapi(stack: &Stack, args: &[&str]) -> Value {
    let out = Command::new(bin_dir().join("adminapi")).args(args).env("DATA_DIR", &stack.data_dir).output().unwrap();
    assert!(out.status.success(), "adminapi {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn status(url: &str, key: &str) -> (u16, Value) {
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(key);
    let reply = client.call::<()>(Method::GET, url, "/servicekeys", None).await.unwrap();
    (reply.status, reply.body)
}

#[tokio::test]
async fn users_mgmt_checks_keys_with_the_bootstrapped_authority() {
    let stack = start_stack(&[]).await.unwrap();
    let out = stack.data_dir.join("bootstrap.json");
    let out = out.to_str().unwrap();
    let boot = adminapi(&stack, &["bootstrap", "--out", out]);
    assert_eq!(adminapi(&stack, &["bootstrap", "--out", out]), boot, "a second bootstrap reuses everything");
    let system = boot["licenseKey"].as_str().unwrap();
    assert_eq!(boot["communityName"], "default");

    let (s, keys) = status(&stack.users_mgmt.url, system).await;
    assert_eq!(s, 200, "{keys}");
    assert!(keys.as_array().unwrap().iter().any(|k| k["keySecret"] == system && k["authLevel"] == "system"));

    let service = adminapi(&stack, &["license", "create", "--level", "service", "--tag", "e2e"]);
    let (s, _) = status(&stack.users_mgmt.url, service["keySecret"].as_str().unwrap()).await;
    assert_eq!(s, 403, "a service key cannot list service keys");
    let (s, _) = status(&stack.users_mgmt.url, "never-issued").await;
    assert_eq!(s, 401);

    // The authority goes away: a key not in users-mgmt's cache gets a clear 503, nothing crashes.
    let Stack { users_mgmt, adminapi: authority, .. } = stack;
    drop(authority);
    let other = KeyPair::generate(Curve::Secp256k1).unwrap();
    let (s, body) = status(&users_mgmt.url, other.public_base64()).await;
    assert_eq!((s, body["statusCode"].as_u64()), (503, Some(503)), "{body}");
    let health = reqwest::get(format!("{}/healthz", users_mgmt.url)).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

/// `GET /environment` as the reference has it: open on users-mgmt and adminapi; on sessions only
/// for a system key of type hawk, checked with the authority (an ecdsa system key is 403).
#[tokio::test]
async fn the_environment_is_open_except_on_sessions_where_a_hawk_system_key_is_needed() {
    let stack = start_stack(&[]).await.unwrap();
    let out = stack.data_dir.join("bootstrap.json");
    let boot = adminapi(&stack, &["bootstrap", "--out", out.to_str().unwrap()]);
    let hawk = boot["licenseKey"].as_str().unwrap();
    let ecdsa = adminapi(&stack, &["license", "create", "--level", "system", "--type", "ecdsa", "--tag", "e2e"]);
    let ecdsa = ecdsa["keySecret"].as_str().unwrap();
    let http = reqwest::Client::new();
    let get = |url: String, license: Option<&str>| {
        let mut req = http.get(url);
        if let Some(l) = license {
            req = req.header("license", l);
        }
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    for svc in [&stack.users_mgmt, &stack.adminapi] {
        let (s, env) = get(format!("{}/environment", svc.url), None).await;
        assert_eq!(s, 200, "{}: {env}", svc.name);
        assert_eq!((env["EC_CURVE_NAME"].as_str(), env["allowed_time_span"].as_u64()), (Some("secp256k1"), Some(60)));
        assert!(env.get("service_directory").is_none() && env.get("database").is_none(), "{env}");
    }
    let sessions = format!("{}/environment", stack.sessions.url);
    let (s, env) = get(sessions.clone(), Some(hawk)).await;
    assert_eq!(s, 200, "{env}");
    assert_eq!(env["service"], "sessions");
    let (s, body) = get(sessions.clone(), Some(ecdsa)).await;
    assert_eq!((s, body["statusCode"].as_u64()), (403, Some(403)), "{body}");
    assert!(body["message"].as_str().unwrap().contains("hawk"), "{body}");
    let (s, _) = get(sessions, None).await;
    assert_eq!(s, 401);
}

/// The tenant and community of a path are checked with adminapi: nonce/sign answers for the
/// bootstrapped pair, and 404 for a community of another tenant or one that does not exist.
#[tokio::test]
async fn a_path_naming_a_community_of_another_tenant_is_404() {
    let stack = start_stack(&[]).await.unwrap();
    let out = stack.data_dir.join("bootstrap.json");
    let boot = adminapi(&stack, &["bootstrap", "--out", out.to_str().unwrap()]);
    let (tenant, community) = (boot["tenantId"].as_str().unwrap(), boot["communityId"].as_str().unwrap());
    let other_tenant = adminapi(&stack, &["tenant", "create", "--dns", "other.example.com", "--name", "Other"]);
    let other_tenant = other_tenant["id"].as_str().unwrap();
    let service = adminapi(&stack, &["license", "create", "--level", "service", "--tag", "e2e"]);
    let caller = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap()))
        .unwrap()
        .license(service["keySecret"].as_str().unwrap());
    let sign = |tenant: &str, community: &str| {
        let path = format!("/tenant/{tenant}/community/{community}/nonce/sign");
        let body =
            serde_json::json!({"publicKey": caller.keys().public_base64(), "nonce": uuid::Uuid::new_v4().to_string()});
        let caller = caller.clone();
        let url = stack.sessions.url.clone();
        async move { caller.call(Method::POST, &url, &path, Some(&body)).await.unwrap() }
    };
    let signed = sign(tenant, community).await;
    assert_eq!(signed.status, 200, "{}", signed.body);
    let foreign = sign(other_tenant, community).await;
    assert_eq!((foreign.status, foreign.body["statusCode"].as_u64()), (404, Some(404)), "{}", foreign.body);
    let missing = sign(tenant, "0123456789abcdef01234567").await;
    assert_eq!(missing.status, 404, "{}", missing.body);
}
