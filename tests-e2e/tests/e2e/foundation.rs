//! The system starts, every service is healthy and answers signed requests from an SDK-like client.

use std::sync::Arc;

use envelope::{Client, Curve, KeyPair};
use serde_json::Value;
use tests_e2e::start_stack;

const SYSTEM_KEY: &str = "e2e-system-license";

#[tokio::test]
async fn the_three_services_start_and_answer_as_an_sdk_expects() {
    let stack = start_stack(&[("LICENSE_KEYS", &format!("system:{SYSTEM_KEY}"))]).await.unwrap();
    let http = reqwest::Client::new();
    let mut keys = Vec::new();
    for svc in [&stack.users_mgmt, &stack.adminapi, &stack.sessions] {
        let health: Value = http.get(format!("{}/healthz", svc.url)).send().await.unwrap().json().await.unwrap();
        assert_eq!(health["status"], "all services operational", "{}", svc.name);
        keys.push(health["publicKey"].as_str().unwrap().to_owned());

        let sd: Value = http.get(format!("{}/sd", svc.url)).send().await.unwrap().json().await.unwrap();
        assert_eq!(sd["sessions"], stack.sessions.url, "{}", svc.name);

        let env = http.get(format!("{}/environment", svc.url)).header("license", SYSTEM_KEY).send().await.unwrap();
        assert_eq!(env.status().as_u16(), 200, "{}", svc.name);

        // A client that knows only the base URL finds the service key and shares a key with it.
        let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap();
        let peer = client.peer(&svc.url).await.unwrap();
        assert_eq!(peer.public_key, keys[keys.len() - 1]);
    }
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 3, "each service has its own key pair");
}
