//! Kerberos login (`GET …/request_access_with_kerberos`) against a real MIT KDC
//! (`kit::testing::kdc`), a real users-mgmt and `curl --negotiate` as the client: curl's first
//! request gets the 401 `WWW-Authenticate: Negotiate`, its second carries the SPNEGO token made by
//! MIT's library from the user's `kinit` ticket, and the reply is a login session's JWT.

use base64::Engine as _;
use kit::testing::Storage;
use kit::testing::kdc::{Cache, Kdc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{assert_error, bearer, call, caller, platform};

const SERVICE: &str = "HTTP/127.0.0.1";

/// `curl --negotiate` of `path` on `url` with `cache`'s ticket and the envelope headers of a
/// fresh caller: the status and the opened reply.
async fn negotiate(kdc: &Kdc, cache: &Cache, url: &str, path: &str) -> (u16, Value) {
    let client = caller();
    let peer = client.peer(url).await.unwrap();
    let mut curl = kdc.curl(cache);
    curl.args(["--negotiate", "-u", ":", "-s", "-w", "\n%{http_code}"]);
    for (name, value) in client.headers(&peer).unwrap().pairs() {
        curl.arg("-H").arg(format!("{name}: {value}"));
    }
    let out = curl.arg(format!("{url}{path}")).output().unwrap();
    assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, status) = text.rsplit_once('\n').unwrap();
    let status: u16 = status.trim().parse().unwrap();
    let reply = envelope::client::open_reply(status, body.as_bytes(), &peer.shared);
    (reply.status, reply.body)
}

#[tokio::test]
async fn curl_negotiate_signs_a_kerberos_user_in() {
    let Some(kdc) = Kdc::start("kerberos login", "TEST.LOCAL") else { return };
    kdc.add_user("bob", "Bob-Krb-1");
    kdc.add_user("mallory", "Mallory-Krb-1");
    kdc.add_service(SERVICE);
    let keytab = base64::engine::general_purpose::STANDARD.encode(kdc.keytab(SERVICE));
    let Some(p) = platform(Storage::Embedded, "kerberos login", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let body = json!({"kerberos_config": {"enabled": true, "keytab_file": keytab}});
    p.users_call(Method::PATCH, &format!("/module/{}", p.module), body).await;
    let path = format!("/tenant/{}/community/{}/request_access_with_kerberos", p.tenant, p.community);

    // Without a token: the challenge, before anything is checked.
    let r = reqwest::Client::new().get(format!("{url}{path}")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(r.headers().get("www-authenticate").and_then(|h| h.to_str().ok()), Some("Negotiate"));
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["statusCode"], 401, "{e}");

    // bob's ticket: a login session with bob's role, whose JWT works.
    let bob = kdc.kinit("bob", "Bob-Krb-1", None);
    let (s, r) = negotiate(&kdc, &bob, url, &path).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["user"]["username"].as_str(), &r["user"]["roles"]), (Some("bob"), &json!(["user"])));
    assert!(r["user"].get("proof_of_authentication_jwt").is_none(), "{r}");
    let token = r["jwt_token"].as_str().unwrap();
    let (s, out) = call(url, Method::GET, "/logout", Some(&bearer(token)), None).await;
    assert_eq!(s, 204, "{out}");

    // A client who is no user of the community: 401, with the challenge again.
    let mallory = kdc.kinit("mallory", "Mallory-Krb-1", None);
    let (s, e) = negotiate(&kdc, &mallory, url, &path).await;
    assert_error(s, &e, 401, "invalid username or credentials");

    // A token that is not SPNEGO: 400.
    let (s, e) = call(url, Method::GET, &path, Some("Negotiate YWJj"), None).await;
    assert_error(s, &e, 400, "ktoken");
}
