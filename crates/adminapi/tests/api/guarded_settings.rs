//! The settings that carry secrets, over HTTP: the password reset's user profile API credential
//! and the identity provider's private keys are written, kept sealed (absent from the database
//! file and from every reply), and used: the transformation test calls a real profile API the test
//! starts, with the credential, and maps its answer in the script sandbox.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine as _;
use reqwest::Method;
use serde_json::json;
use tokio::sync::mpsc;

use crate::login::{assert_error, bearer, call, platform};
use crate::secret_store::database_bytes;
use kit::testing::Storage;

const PROFILE_PASSWORD: &str = "Pr0file-Api-Secret-7731";
const SCRIPT: &str = "(p) => ({firstname: p.first_name, lastname: p.last_name, dob: p.birth})";

/// A user profile API on loopback: `GET /users/bob` answers bob's profile, anything else 404;
/// each request's path and `authorization` header are sent on `hits`.
async fn profile_api() -> (String, mpsc::UnboundedReceiver<(String, Option<String>)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = HttpServer::new(move || {
        let tx = tx.clone();
        App::new().default_service(web::to(move |req: HttpRequest| {
            let tx = tx.clone();
            async move {
                let auth = req.headers().get("authorization").map(|v| v.to_str().unwrap().to_owned());
                tx.send((req.path().to_owned(), auth)).unwrap();
                if req.path() == "/users/bob" {
                    HttpResponse::Ok().json(json!({"first_name": "Bob", "last_name": "Stone", "birth": "1990-01-02"}))
                } else {
                    HttpResponse::NotFound().finish()
                }
            }
        }))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let url = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    tokio::spawn(server.run());
    (url, rx)
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn the_password_reset_keeps_its_credential_sealed_and_tests_its_transformation() {
    let Some(p) = platform(Storage::Embedded, "password reset", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let (api, mut hits) = profile_api().await;

    let (s, r) = call(url, Method::GET, "/config/authentication/password_reset", auth, None).await;
    assert_eq!(
        (s, r["default_input_method"].as_str(), r["sspr"]["enabled"].as_bool()),
        (200, Some("username"), Some(false))
    );

    let mut reset = json!({"default_input_method": "email", "sspr": {"enabled": true, "user_profile_api": {
        "enabled": true, "provider": "hr", "transformationB64": b64(SCRIPT),
        "api": {"url": format!("{api}/users/{{username}}"), "type": "GET", "auth": "basic"}}}});
    let (s, r) = call(url, Method::PUT, "/config/authentication/password_reset", auth, Some(&reset)).await;
    assert_error(s, &r, 400, "sspr.user_profile_api.api.credential.password is required for basic auth");
    reset["sspr"]["user_profile_api"]["api"]["credential"] = json!({"username": "svc"});
    let (s, r) = call(url, Method::PUT, "/config/authentication/password_reset", auth, Some(&reset)).await;
    assert_error(s, &r, 400, "credential.password is required");
    reset["sspr"]["user_profile_api"]["api"]["credential"] = json!({"username": "svc", "password": PROFILE_PASSWORD});
    let (s, r) = call(url, Method::PUT, "/config/authentication/password_reset", auth, Some(&reset)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        r["sspr"]["user_profile_api"]["api"],
        json!({"url": format!("{api}/users/{{username}}"), "type": "GET", "auth": "basic"})
    );
    assert!(!r.to_string().contains(PROFILE_PASSWORD), "{r}");

    // The test of the transformation: the API is called with the credential, the script maps.
    let run = |username: &str| json!({"username": username});
    let (s, r) =
        call(url, Method::POST, "/config/authentication/sspr/execute_transformation_script", auth, Some(&run("bob")))
            .await;
    assert_eq!((s, r), (200, json!({"firstname": "Bob", "lastname": "Stone", "dob": "1990-01-02"})));
    let (path, authorization) = hits.recv().await.unwrap();
    let expected = format!("Basic {}", b64(&format!("svc:{PROFILE_PASSWORD}")));
    assert_eq!((path.as_str(), authorization.as_deref()), ("/users/bob", Some(expected.as_str())));
    let (s, r) =
        call(url, Method::POST, "/config/authentication/sspr/execute_transformation_script", auth, Some(&run("a b/c")))
            .await;
    assert_error(s, &r, 502, "the user profile API answered 404");
    assert_eq!(hits.recv().await.unwrap().0, "/users/a%20b%2Fc", "the username is one path segment");

    // A write without the credential keeps it; a script that fails is named, not run elsewhere.
    reset["sspr"]["user_profile_api"]["api"].as_object_mut().unwrap().remove("credential");
    reset["sspr"]["user_profile_api"]["transformationB64"] = json!(b64("(p) => ({firstname: p.nope.x})"));
    let (s, _) = call(url, Method::PUT, "/config/authentication/password_reset", auth, Some(&reset)).await;
    assert_eq!(s, 200);
    let (s, r) =
        call(url, Method::POST, "/config/authentication/sspr/execute_transformation_script", auth, Some(&run("bob")))
            .await;
    assert_error(s, &r, 400, "TypeError");
    assert_eq!(hits.recv().await.unwrap().1.as_deref(), Some(expected.as_str()), "the stored credential stayed");

    let db = String::from_utf8_lossy(&database_bytes(&p.data_dir)).into_owned();
    assert!(!db.contains(PROFILE_PASSWORD) && db.contains("password_reset_secrets"), "sealed at rest");
    let (s, r) =
        call(url, Method::POST, "/config/fetch", auth, Some(&json!({"key_paths": ["password_reset_secrets"]}))).await;
    assert_eq!(s, 400, "the sealed kind is not readable by key path: {r}");
    let changes = p.stores.audit.changes(&p.community, 10).await.unwrap();
    let sealed = changes.iter().find(|c| c.kind == "password_reset_secrets").unwrap();
    assert_eq!(sealed.fields, vec!["credential"]);
}

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydA==\n-----END CERTIFICATE-----";
const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSigN1ngKeyX\n-----END PRIVATE KEY-----";

#[tokio::test]
async fn the_identity_providers_keys_are_sealed_and_never_returned() {
    let Some(p) = platform(Storage::Embedded, "idp config", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let auth = Some(jane.as_str());
    let mut idp = json!({"tenantId": p.tenant, "communityId": p.community, "signingCert": CERT, "encryptionCert": CERT,
        "entityId": "https://acme.example.com/idp", "authnRequestsSigned": true, "sso_bindings": ["HTTP-POST", "HTTP-Redirect"],
        "slo_bindings": ["HTTP-Redirect"]});
    let (s, r) = call(url, Method::PUT, "/config/idp_config", auth, Some(&idp)).await;
    assert_error(s, &r, 400, "signingKey is required");
    idp["signingKey"] = json!("not a key");
    idp["encryptionKey"] = json!(KEY);
    let (s, r) = call(url, Method::PUT, "/config/idp_config", auth, Some(&idp)).await;
    assert_error(s, &r, 400, "signingKey must be a PEM PRIVATE KEY");
    idp["signingKey"] = json!(KEY);
    let (s, r) = call(url, Method::PUT, "/config/idp_config", auth, Some(&idp)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["signingKeySet"].as_bool(), r["encryptionKeySet"].as_bool()), (Some(true), Some(true)));
    assert!(!r.to_string().contains("SigN1ngKeyX") && r.get("signingKey").is_none(), "{r}");

    // Later writes may leave the keys out: they stay.
    let mut later = idp.clone();
    for field in ["signingKey", "encryptionKey"] {
        later.as_object_mut().unwrap().remove(field);
    }
    later["slo_bindings"] = json!([]);
    let (s, r) = call(url, Method::PUT, "/config/idp_config", auth, Some(&later)).await;
    assert_eq!((s, r["signingKeySet"].as_bool(), r["slo_bindings"].clone()), (200, Some(true), json!([])));
    let ids = json!({"tenantId": p.tenant, "communityId": p.community});
    let (s, r) = call(url, Method::POST, "/config/idp_config/fetch", auth, Some(&ids)).await;
    assert_eq!(
        (s, r["entityId"].as_str(), r["encryptionKeySet"].as_bool()),
        (200, Some("https://acme.example.com/idp"), Some(true))
    );
    assert!(!r.to_string().contains("PRIVATE KEY"), "{r}");
    let mut bad = later.clone();
    bad["sso_bindings"] = json!(["SOAP"]);
    let (s, r) = call(url, Method::PUT, "/config/idp_config", auth, Some(&bad)).await;
    assert_error(s, &r, 400, "sso_bindings[0] must be one of HTTP-Redirect, HTTP-POST");

    let db = String::from_utf8_lossy(&database_bytes(&p.data_dir)).into_owned();
    assert!(!db.contains("SigN1ngKeyX") && db.contains("idp_config_secrets"), "sealed at rest");
}
