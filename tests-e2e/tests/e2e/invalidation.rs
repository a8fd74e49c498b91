//! A key disabled, enabled or reset at the authority stops (or starts) working at once on every
//! service sharing Redis, although their license caches keep answers `LICENSE_CACHE_TTL` (300 s
//! by default, kept here) and refusals `LICENSE_NEGATIVE_CACHE_TTL` (10 s): the authority (the
//! `adminapi` process, or its command line) publishes the change and the services drop their
//! cached answers. The bound is the issue's: within one second, polled every 50 ms.

use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use envelope::{Client, Curve, KeyPair};
use reqwest::Method;
use serde_json::{Value, json};
use tests_e2e::{Stack, bin_dir, start_stack};

/// The stack on a fresh Redis prefix, bootstrapped; `None` (skipped) without Redis.
async fn stack_on_redis(test: &str) -> Option<(Stack, Vec<(&'static str, String)>, Value)> {
    let url = kit::testing::reachable_redis(test).await?;
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let stack = start_stack(&[("REDIS_URL", &url), ("REDIS_PREFIX", &prefix)]).await.unwrap();
    let redis = vec![("REDIS_URL", url), ("REDIS_PREFIX", prefix)];
    let out = stack.data_dir.join("bootstrap.json");
    let boot = json_of(&adminapi(&stack, &[], &["bootstrap", "--out", out.to_str().unwrap()]));
    Some((stack, redis, boot))
}

/// Runs `adminapi <args>` on the stack's data folder with `env`; it must succeed.
fn adminapi(stack: &Stack, env: &[(&str, String)], args: &[&str]) -> Output {
    let out = Command::new(bin_dir().join("adminapi"))
        .args(args)
        .env("DATA_DIR", &stack.data_dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(out.status.success(), "adminapi {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

fn client(key: &str) -> Client {
    Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(key)
}

/// `PUT /session/new` at sessions in the bootstrap's community: 201 when the key is accepted.
async fn new_session(stack: &Stack, boot: &Value, key: &str) -> u16 {
    let body = json!({
        "origin": {"tag": "acme", "url": "https://admin.acme.example", "communityName": boot["communityName"],
                   "communityId": boot["communityId"], "authPage": "blockid://authenticate"},
        "scopes": "", "authtype": "none", "metadata": {}
    });
    client(key).call(Method::PUT, &stack.sessions.url, "/session/new", Some(&body)).await.unwrap().status
}

/// `POST …/modules/fetch` at users-mgmt in the bootstrap's community: 200 for an accepted
/// system key. Answered by users-mgmt itself after its license check (`GET /servicekeys` would
/// not do: users-mgmt forwards it to the authority, which checks the key again).
async fn modules(stack: &Stack, boot: &Value, key: &str) -> u16 {
    let path = format!(
        "/tenant/{}/community/{}/modules/fetch",
        boot["tenantId"].as_str().unwrap(),
        boot["communityId"].as_str().unwrap()
    );
    client(key).call(Method::POST, &stack.users_mgmt.url, &path, Some(&json!({}))).await.unwrap().status
}

/// Polls `ask` every 50 ms until it answers `expected`; fails one second after `since` (when the
/// change was made).
async fn within_a_second<F, Fut>(what: &str, since: Instant, expected: u16, ask: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    loop {
        let got = ask().await;
        if got == expected {
            eprintln!("{what}: {expected} {:?} after the change", since.elapsed());
            return;
        }
        assert!(since.elapsed() < Duration::from_secs(1), "{what}: still {got}, not {expected}, after one second");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A new system key (ecdsa: its keyId is not the hash of its secret), by the command line.
fn system_key(stack: &Stack) -> (String, String) {
    let key = json_of(&adminapi(stack, &[], &["license", "create", "--level", "system", "--type", "ecdsa"]));
    (key["keyId"].as_str().unwrap().to_owned(), key["keySecret"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_key_disabled_or_enabled_by_the_command_line_is_refused_or_accepted_everywhere_within_a_second() {
    let Some((stack, redis, boot)) = stack_on_redis("invalidation: disable").await else { return };
    let (key_id, key) = system_key(&stack);
    assert_eq!(new_session(&stack, &boot, &key).await, 201);
    assert_eq!(modules(&stack, &boot, &key).await, 200);

    let out = adminapi(&stack, &redis, &["license", "disable", &key_id]);
    let disabled = Instant::now();
    assert!(out.stderr.is_empty(), "published without a warning: {}", String::from_utf8_lossy(&out.stderr));
    within_a_second("disabled, at sessions", disabled, 401, || new_session(&stack, &boot, &key)).await;
    within_a_second("disabled, at users-mgmt", disabled, 401, || modules(&stack, &boot, &key)).await;

    // The refusals are cached too (10 s): enabling drops them as well.
    adminapi(&stack, &redis, &["license", "enable", &key_id]);
    let enabled = Instant::now();
    within_a_second("enabled, at sessions", enabled, 201, || new_session(&stack, &boot, &key)).await;
    within_a_second("enabled, at users-mgmt", enabled, 200, || modules(&stack, &boot, &key)).await;
}

#[tokio::test]
async fn a_key_reset_at_adminapi_is_refused_at_users_mgmt_within_a_second() {
    let Some((stack, _, boot)) = stack_on_redis("invalidation: reset").await else { return };
    let (key_id, old) = system_key(&stack);
    assert_eq!(modules(&stack, &boot, &old).await, 200);
    assert_eq!(new_session(&stack, &boot, &old).await, 201);

    let system = boot["licenseKey"].as_str().unwrap();
    let path = format!("/servicekey/{}", encode(&key_id));
    let reply = client(system).call::<()>(Method::DELETE, &stack.adminapi.url, &path, None).await.unwrap();
    let reset = Instant::now();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let fresh = reply.body[0]["keySecret"].as_str().unwrap().to_owned();
    within_a_second("reset, at users-mgmt", reset, 401, || modules(&stack, &boot, &old)).await;
    within_a_second("reset, at sessions", reset, 401, || new_session(&stack, &boot, &old)).await;
    assert_eq!(modules(&stack, &boot, &fresh).await, 200, "the new key works");
}

#[tokio::test]
async fn without_a_reachable_redis_the_command_line_warns_and_still_disables() {
    let stack = start_stack(&[]).await.unwrap();
    let out = stack.data_dir.join("bootstrap.json");
    let boot = json_of(&adminapi(&stack, &[], &["bootstrap", "--out", out.to_str().unwrap()]));
    let (key_id, key) = system_key(&stack);
    let unreachable = format!("redis://127.0.0.1:{}", tests_e2e::free_port());
    let out = adminapi(&stack, &[("REDIS_URL", unreachable)], &["license", "disable", &key_id]);
    let warning = String::from_utf8_lossy(&out.stderr);
    assert!(warning.contains("warning") && warning.contains("LICENSE_CACHE_TTL"), "{warning}");
    assert_eq!(json_of(&out)["disabled"], true);
    // No Redis between the services: users-mgmt never cached the key, and the authority refuses it.
    assert_eq!(modules(&stack, &boot, &key).await, 401);
}

/// Percent-encodes a keyId for a path (an ecdsa keyId is base64).
fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
