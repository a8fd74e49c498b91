//! SCEP enrollment (`user/scepcredentials`) against a real SCEP server, micromdm's `scepserver`
//! (`kit::testing::scep`), with its challenge password served at the module's `challengeurl`;
//! the certificate, key pair and chain checked by the `openssl` CLI.

use std::io::Write as _;
use std::process::Command;

use base64::Engine as _;
use kit::testing::scep::ScepServer;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::authenticate::{FAST_ARGON2, add_user};
use crate::helpers::*;

/// An HTTP server that answers every request with `body` (an NDES-like challenge page).
async fn challenge_page(body: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/certsrv/mscep_admin/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 2048];
            let _ = socket.read(&mut buf).await;
            let reply = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });
    url
}

fn der(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap()
}

/// `openssl args…` with `input` on stdin: its stdout.
fn openssl(args: &[&str], input: &[u8]) -> String {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn module(admin: &envelope::Client, url: &str, config: Value) -> String {
    let body = json!({"type": "db", "name": "Users", "config": config});
    let (s, m) = sealed(admin, url, Method::PUT, &community_path("/module/create"), Some(&body)).await;
    assert_eq!(s, 200, "{m}");
    m["_id"].as_str().unwrap().to_owned()
}

async fn credentials(client: &envelope::Client, url: &str, module: &str, username: &str) -> (u16, Value) {
    let body = json!({"authModule": module, "username": username});
    sealed(client, url, Method::POST, &community_path("/user/scepcredentials"), Some(&body)).await
}

#[tokio::test]
async fn a_user_gets_a_certificate_from_the_scep_server() {
    let Some(scep) = ScepServer::start("scep credentials", Some("Chal-lenge-42")) else { return };
    let Some(app) = spawn(kit::testing::Storage::Embedded, "scep credentials", &FAST_ARGON2).await else { return };
    let url = app.url.as_str();
    let admin = caller(SERVICE_KEY);
    let page =
        challenge_page("<html><body>The enrollment challenge password is: <B> Chal-lenge-42 </B></body></html>").await;
    let config = json!({"scepenabled": true, "scepurl": scep.url(), "challengeurl": page});
    let module = module(&admin, url, config).await;
    add_user(&admin, url, &module, "jane", "Sesame1234").await;

    let (s, r) = credentials(&admin, url, &module, "JANE").await;
    assert_eq!(s, 200, "{r}\n{}", scep.log());
    let c = &r["scepCredentials"];
    let (cert, key, public) = (der(&c["certificate"]), der(&c["privatekey"]), der(&c["publickey"]));
    // Issued by the server's CA for CN=jane, and the key pair is the certificate's.
    let subject = openssl(&["x509", "-inform", "DER", "-noout", "-subject"], &cert);
    assert!(subject.contains("CN = jane") || subject.contains("CN=jane"), "{subject}");
    let pem = openssl(&["x509", "-inform", "DER", "-outform", "PEM"], &cert);
    let ca = scep.dir().join("depot").join("ca.pem");
    let verified = openssl(&["verify", "-CAfile", ca.to_str().unwrap()], pem.as_bytes());
    assert!(verified.contains("OK"), "{verified}");
    let cert_key = openssl(&["x509", "-noout", "-pubkey"], pem.as_bytes());
    let from_private = openssl(&["pkey", "-inform", "DER", "-pubout"], &key);
    let from_public = openssl(&["pkey", "-pubin", "-inform", "DER", "-pubout"], &public);
    assert_eq!((&cert_key, &cert_key), (&from_private, &from_public));

    // `scep: true` in user/authenticate: the credentials come with the proof (for another user:
    // scepserver refuses a second certificate for a subject that has a valid one).
    add_user(&admin, url, &module, "joe", "Sesame1234").await;
    let body = json!({"authModule": module, "username": "joe", "password": "Sesame1234", "scep": true});
    let (s, r) = crate::authenticate::authenticate(&admin, url, body).await;
    assert_eq!(s, 200, "{r}");
    let cert = der(&r["scepCredentials"]["certificate"]);
    let subject = openssl(&["x509", "-inform", "DER", "-noout", "-subject"], &cert);
    assert!(subject.contains("CN = joe") || subject.contains("CN=joe"), "{subject}");
    // A second certificate for jane: the server's refusal, said as such.
    let (s, e) = credentials(&admin, url, &module, "jane").await;
    assert_error(s, &e, 502, "refused");
    assert!(r["proof_of_authentication_jwt"].is_string(), "{r}");

    // Only system and service keys; an unknown user is a 404.
    let (s, e) = credentials(&caller(APP_KEY), url, &module, "jane").await;
    assert_eq!(s, 403, "{e}");
    let (s, e) = credentials(&admin, url, &module, "nobody").await;
    assert_error(s, &e, 404, "user");
}

#[tokio::test]
async fn scep_refusals_are_clear() {
    let Some(scep) = ScepServer::start("scep refusals", Some("Chal-lenge-42")) else { return };
    let Some(app) = spawn(kit::testing::Storage::Embedded, "scep refusals", &FAST_ARGON2).await else { return };
    let url = app.url.as_str();
    let admin = caller(SERVICE_KEY);

    // A wrong challenge password: the server's refusal, as a 502.
    let page = challenge_page("wrong-challenge").await;
    let module_id =
        module(&admin, url, json!({"scepenabled": true, "scepurl": scep.url(), "challengeurl": page})).await;
    add_user(&admin, url, &module_id, "jane", "Sesame1234").await;
    let (s, e) = credentials(&admin, url, &module_id, "jane").await;
    assert_error(s, &e, 502, "refused");

    // SCEP off, or no server there.
    let body = json!({"config": {"scepenabled": false, "scepurl": scep.url()}});
    let path = community_path(&format!("/module/{module_id}"));
    let (s, m) = sealed(&admin, url, Method::PATCH, &path, Some(&body)).await;
    assert_eq!(s, 200, "{m}");
    let (s, e) = credentials(&admin, url, &module_id, "jane").await;
    assert_error(s, &e, 400, "scepenabled");
    let body = json!({"config": {"scepenabled": true, "scepurl": "http://127.0.0.1:9/scep"}});
    let (s, m) = sealed(&admin, url, Method::PATCH, &path, Some(&body)).await;
    assert_eq!(s, 200, "{m}");
    let (s, e) = credentials(&admin, url, &module_id, "jane").await;
    assert_error(s, &e, 503, "cannot be reached");
}
