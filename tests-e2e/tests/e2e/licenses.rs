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
