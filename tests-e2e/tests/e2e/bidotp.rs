//! The helper SDKs' `BIDOTP.requestOTP` then `verifyOTP` against the stack `make run` starts, in
//! the SDK's own shape: the service directory (`sd.adminconsole`) and the community's
//! `publicKey` from `community_info/fetch`, headers encrypted with the key shared with that
//! public key (`appid` `fixme`, as the SDK sends it), plain JSON bodies, a `data` reply opened
//! when there is one. The passcode travels through the community's SMTP gateway to a real SMTP
//! server started here, set up by the bootstrap administrator.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use envelope::{Client, Curve, KeyPair, Peer};
use kit::testing::smtp::smtp_server;
use reqwest::Method;
use serde_json::{Value, json};
use tests_e2e::{Stack, bin_dir, blockid_call, start_stack};

const INFRA: &str = "bidotp-infra-license";

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

/// The SDK after `BIDSDK.setupTenant`: its key pair, its license, the community info and the
/// service directory it loaded.
struct Sdk {
    client: Client,
    peer: Peer,
    adminconsole: String,
    tenant_id: String,
    community_id: String,
}

impl Sdk {
    async fn setup(adminapi_url: &str, dns: &str, license: &str) -> Self {
        let http = reqwest::Client::new();
        let info: Value = http
            .post(format!("{adminapi_url}/community_info/fetch"))
            .json(&json!({"dns": dns, "communityName": "default"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let sd: Value = http.get(format!("{adminapi_url}/sd")).send().await.unwrap().json().await.unwrap();
        let keys = Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap());
        let community_key = info["community"]["publicKey"].as_str().unwrap().to_owned();
        let shared = keys.shared_key_with(&community_key).unwrap();
        Self {
            client: Client::new(keys).unwrap().license(license).app_id("fixme"),
            peer: Peer { public_key: community_key, shared },
            adminconsole: sd["adminconsole"].as_str().unwrap().to_owned(),
            tenant_id: info["tenant"]["id"].as_str().unwrap().to_owned(),
            community_id: info["community"]["id"].as_str().unwrap().to_owned(),
        }
    }

    /// A POST of a plain JSON body with the SDK's encrypted headers: the status and the reply
    /// (its `data` opened when it has one).
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let headers = self.client.headers(&self.peer).unwrap();
        let reply =
            self.client.send(Method::POST, &self.adminconsole, path, &headers, Some(body), &self.peer).await.unwrap();
        (reply.status, reply.body)
    }

    async fn request_otp(&self, user: &str, email_to: &str) -> (u16, Value) {
        let body =
            json!({"userId": user, "communityId": self.community_id, "tenantId": self.tenant_id, "emailTo": email_to});
        self.post("/api/r2/otp/generate", &body).await
    }

    async fn verify_otp(&self, user: &str, code: &str) -> (u16, Value) {
        let body = json!({"userId": user, "code": code, "communityId": self.community_id, "tenantId": self.tenant_id});
        self.post("/api/r2/otp/verify", &body).await
    }
}

/// The one 6-digit run in the body of an email.
fn code_in(data: &str) -> String {
    let body = data.split_once("\r\n\r\n").unwrap().1;
    let runs: Vec<&str> = body.split(|c: char| !c.is_ascii_digit()).filter(|r| r.len() == 6).collect();
    assert_eq!(runs.len(), 1, "one code in {body}");
    runs[0].to_owned()
}

#[tokio::test]
async fn bidotp_request_and_verify_work_unchanged_against_the_stack() {
    let (smtp_port, mut mails) = smtp_server().await;
    let stack = start_stack(&[("INFRA_LICENSE_KEY", INFRA)]).await.unwrap();
    let boot_file = stack.data_dir.join("bootstrap.json");
    let boot = adminapi(&stack, &["bootstrap", "--out", boot_file.to_str().unwrap()]);
    let (tenant, community) = (boot["tenantId"].as_str().unwrap(), boot["communityId"].as_str().unwrap());
    let app = adminapi(&stack, &["license", "create", "--level", "app", "--communities", community, "--tag", "sdk"]);
    let app_key = app["keySecret"].as_str().unwrap();
    let url = stack.adminapi.url.as_str();

    // The bootstrap administrator points the community's email gateway at the SMTP server.
    let login = json!({"tenantId": tenant, "communityId": community, "username": boot["admin"]["username"],
                       "password": boot["admin"]["password"]});
    let (s, signed_in) = blockid_call(None, None, "POST", &format!("{url}/verifyuser"), Some(&login));
    assert_eq!(s, 200, "{signed_in}");
    let jwt = signed_in["jwt_token"].as_str().unwrap();
    let gateway = json!({"tenantId": tenant, "communityId": community, "type": "smtp", "channels": ["email"],
                         "protocol": "smtp-insecure", "auth": "true", "username": "mailer",
                         "password": "Smtp-Canary-Password-91b7", "name": "Test SMTP",
                         "serviceUrl": "127.0.0.1", "port": smtp_port, "senderEmail": "noreply@example.com"});
    let (s, r) = blockid_call(None, Some(jwt), "POST", &format!("{url}/msg_gateway/create"), Some(&gateway));
    assert_eq!(s, 200, "{r}");

    // BIDSDK.setupTenant({dns, communityName: "default"}, app license).
    let dns = boot["dns"].as_str().unwrap();
    let sdk = Sdk::setup(url, dns, app_key).await;
    assert_eq!(sdk.adminconsole, stack.adminapi.url, "sd.adminconsole is adminapi");
    assert_eq!((sdk.tenant_id.as_str(), sdk.community_id.as_str()), (tenant, community));

    let (s, r) = sdk.request_otp("jane", "jane@example.com").await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["message"], "OTP sent", "{r}");
    let mail = tokio::time::timeout(Duration::from_secs(30), mails.recv()).await.unwrap().unwrap();
    assert_eq!(mail.rcpt_to, vec!["<jane@example.com>".to_owned()]);
    let code = code_in(&mail.data);
    assert!(!r.to_string().contains(&code), "the reply never holds the passcode");

    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let (s, r) = sdk.verify_otp("jane", &wrong).await;
    assert_eq!(s, 401, "{r}");
    let (s, r) = sdk.verify_otp("jane", &code).await;
    assert_eq!((s, r), (200, json!({"message": "OTP verified"})));
    let (s, r) = sdk.verify_otp("jane", &code).await;
    assert_eq!(s, 401, "a passcode is used once: {r}");

    // Another community's license may not ask for this community's passcodes.
    let other = adminapi(&stack, &["community", "create", "--tenant", tenant, "--name", "other"]);
    let other_id = other["id"].as_str().unwrap();
    let stranger = adminapi(&stack, &["license", "create", "--level", "app", "--communities", other_id, "--tag", "x"]);
    let outsider = Sdk::setup(url, dns, stranger["keySecret"].as_str().unwrap()).await;
    let (s, r) = outsider.request_otp("jane", "jane@example.com").await;
    assert_eq!(s, 403, "{r}");
}
