//! Hardware tokens over HTTP: tokens imported from CSV text and a file (a bad seed is a row
//! error naming its row), listed without seeds, assigned to bob (an unknown user is a row error),
//! a token code verifies once at `POST /api/r2/otp/verify` when the MFA settings show hardware
//! codes, resync moves the counter; administrators only; no seed in a reply, the database or
//! the log.

use std::sync::Arc;

use adminapi::domain::hardware_tokens::codes::hotp;
use envelope::{Client, Curve, KeyPair};
use kit::testing::{SERVICE_KEY, Storage};
use reqwest::Method;
use serde_json::{Value, json};

use crate::images::multipart;
use crate::login::{assert_error, bearer, call, platform};
use crate::secret_store::{contains, database_bytes};

const SEED_HEX: &str = "3132333435363738393031323334353637383930";
const SEED: &[u8] = b"12345678901234567890";
const SEED_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const FILE_SEED_HEX: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";

/// A multipart upload to `path` with the encrypted headers: the status, the opened reply and
/// whether it was sealed.
async fn upload(url: &str, path: &str, auth: Option<&str>, form: (String, Vec<u8>)) -> (u16, Value, bool) {
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().app_id("admin-console");
    let peer = client.peer(url).await.unwrap();
    let mut req = client.http().request(Method::POST, format!("{url}{path}"));
    for (name, value) in client.headers(&peer).unwrap().pairs() {
        req = req.header(name, value);
    }
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let resp = req.header("content-type", form.0).body(form.1).send().await.unwrap();
    let status = resp.status().as_u16();
    let reply = envelope::client::open_reply(status, &resp.bytes().await.unwrap(), &peer.shared);
    (reply.status, reply.body, reply.sealed)
}

/// `POST /api/r2/otp/verify` as users-mgmt makes it (a license, a sealed body).
async fn verify(url: &str, tenant: &str, community: &str, user: &str, code: &str) -> u16 {
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().app_id("sdk");
    let body = json!({"userId": user, "code": code, "tenantId": tenant, "communityId": community});
    client.license(SERVICE_KEY).call(Method::POST, url, "/api/r2/otp/verify", Some(&body)).await.unwrap().status
}

#[tokio::test]
async fn tokens_are_imported_assigned_verified_once_and_resynced_without_leaking_seeds() {
    crate::captured_logs::start();
    let Some(p) = platform(Storage::Embedded, "hardware tokens", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
    let auth = Some(jane.as_str());
    let mut replies = Vec::new();

    // CSV text: a HOTP seed in hex, a bad seed (row 3), a TOTP seed in base32.
    let csv = format!(
        "serialNumber,seed,seedFormat,type\nHT-1,{SEED_HEX},hex,hotp\nHT-2,zz-not-hex,,\nHT-3,{SEED_B32},base32,totp\n"
    );
    let (s, r) = call(url, Method::PUT, "/hardwaretokens/tokens", auth, Some(&json!({"csv_text": csv}))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        r,
        json!({"applied": 2, "errors": [{"row": 3, "message": "row 3: seed must be an even number of hex digits"}]})
    );
    let (s, r) = call(
        url,
        Method::PUT,
        "/hardwaretokens/tokens",
        auth,
        Some(&json!({"csv_text": format!("serialNumber,seed\nHT-1,{SEED_HEX}")})),
    )
    .await;
    assert_eq!((s, &r["errors"][0]["message"]), (200, &json!("row 2: serialNumber is already imported")), "{r}");

    // A file.
    let file = format!("serialNumber,seed\nHT-4,{FILE_SEED_HEX}\n");
    let form = multipart("file", "tokens.csv", "text/csv", file.as_bytes());
    let (s, r, sealed) = upload(url, "/hardwaretokens/import_csv", auth, form).await;
    assert_eq!((s, sealed, r.clone()), (200, true, json!({"applied": 1, "errors": []})));

    // Listed without seeds.
    let (s, r) =
        call(url, Method::POST, "/hardwaretokens/fetch", auth, Some(&json!({"returnAssignedUserCount": true}))).await;
    assert_eq!((s, r["total"].as_u64()), (200, Some(3)), "{r}");
    let serials: Vec<&str> =
        r["data"].as_array().unwrap().iter().map(|t| t["serialNumber"].as_str().unwrap()).collect();
    assert_eq!(serials, ["HT-1", "HT-3", "HT-4"]);
    assert_eq!((r["data"][1]["type"].as_str(), r["data"][0]["assignedUserCount"].as_u64()), (Some("totp"), Some(0)));
    replies.push(r);
    let query = json!({"query": {"serialNumbers": ["/t-4/"]}});
    let (s, r) = call(url, Method::POST, "/hardwaretokens/fetch", auth, Some(&query)).await;
    assert_eq!((s, r["total"].as_u64(), r["data"][0]["serialNumber"].as_str()), (200, Some(1), Some("HT-4")));

    // Assigned to bob; an unknown user is a row error.
    let list =
        json!({"list": [{"username": "bob", "serialNumber": "HT-1"}, {"username": "nobody", "serialNumber": "HT-4"}]});
    let (s, r) = call(url, Method::PUT, "/hardwaretokens/usertokens", auth, Some(&list)).await;
    assert_eq!((s, r), (200, json!({"applied": 1, "errors": [{"row": 2, "message": "row 2: user not found"}]})));
    let (s, r) = call(url, Method::POST, "/hardwaretokens/usertokens/fetch", auth, Some(&json!({}))).await;
    assert_eq!((s, &r["data"]), (200, &json!([{"username": "bob", "serialNumber": "HT-1", "type": "hotp"}])));

    // Hardware codes count only when the MFA settings show them.
    let code = hotp(SEED, 0, 6);
    assert_eq!(verify(url, &p.tenant, &p.community, "bob", &code).await, 401);
    let mfa = json!({"tenantId": p.tenant, "communityId": p.community, "show_otp_email": true,
        "show_otp_phone": false, "show_otp_voice": false, "show_otp_hardware": true});
    let (s, r) = call(url, Method::PUT, "/config/authentication/mfa_settings", auth, Some(&mfa)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(verify(url, &p.tenant, &p.community, "bob", &code).await, 200);
    assert_eq!(verify(url, &p.tenant, &p.community, "bob", &code).await, 401, "a code is used once");
    assert_eq!(verify(url, &p.tenant, &p.community, "jane", &hotp(SEED, 1, 6)).await, 401, "not jane's token");

    // Beyond the look-ahead window, then resynchronised with three consecutive codes.
    assert_eq!(verify(url, &p.tenant, &p.community, "bob", &hotp(SEED, 40, 6)).await, 401);
    let resync = json!({"serialNumber": "HT-1", "code1": hotp(SEED, 37, 6), "code2": hotp(SEED, 38, 6), "code3": hotp(SEED, 39, 6)});
    let (s, r) = call(url, Method::POST, "/hardwaretokens/resync", auth, Some(&resync)).await;
    assert_eq!((s, r["counter"].as_u64()), (200, Some(40)), "{r}");
    assert_eq!(verify(url, &p.tenant, &p.community, "bob", &hotp(SEED, 40, 6)).await, 200);
    let (s, r) = call(url, Method::POST, "/hardwaretokens/resync", auth, Some(&resync)).await;
    assert_error(s, &r, 400, "the codes are not three consecutive codes of this token");

    // Edited, unassigned, deleted.
    let id = replies[0]["data"][2]["_id"].as_str().unwrap().to_owned();
    let (s, r) = call(url, Method::PATCH, &format!("/hardwaretokens/tokens/{id}"), auth, Some(&json!({}))).await;
    assert_error(s, &r, 400, "seed or counter is required");
    let (s, r) =
        call(url, Method::PATCH, &format!("/hardwaretokens/tokens/{id}"), auth, Some(&json!({"counter": 5}))).await;
    assert_eq!((s, r["counter"].as_u64(), r.get("seed")), (200, Some(5), None), "{r}");
    let unassign = json!({"list": [{"username": "bob", "serialNumber": "HT-1"}]});
    let (s, _) = call(url, Method::DELETE, "/hardwaretokens/usertokens", auth, Some(&unassign)).await;
    assert_eq!(s, 204);
    assert_eq!(verify(url, &p.tenant, &p.community, "bob", &hotp(SEED, 41, 6)).await, 401, "no token any more");
    let delete = json!({"serialNumbers": ["HT-4", "HT-9"]});
    let (s, r) = call(url, Method::DELETE, "/hardwaretokens/tokens", auth, Some(&delete)).await;
    assert_eq!((s, r), (200, json!({"deletedCount": 1})));

    // Administrators only.
    let (s, r) = call(url, Method::POST, "/hardwaretokens/fetch", Some(&bob), Some(&json!({}))).await;
    assert_error(s, &r, 403, "may not call this endpoint");
    let (s, _) = call(url, Method::POST, "/hardwaretokens/fetch", None, Some(&json!({}))).await;
    assert_eq!(s, 401);
    let form = multipart("file", "tokens.csv", "text/csv", file.as_bytes());
    assert_eq!(upload(url, "/hardwaretokens/import_csv", Some(&bob), form).await.0, 403);

    // No seed in a reply, the database or the log.
    let db = database_bytes(&p.data_dir);
    let log = crate::captured_logs::text();
    for seed in [SEED_HEX, SEED_B32, FILE_SEED_HEX, "12345678901234567890"] {
        assert!(!replies.iter().any(|r| r.to_string().contains(seed)), "a seed in a reply");
        assert!(!contains(&db, seed), "a seed in the database");
        assert!(!log.contains(seed), "a seed in the log");
    }
    assert!(log.contains("hardware tokens imported"), "the capture saw the requests");
}
