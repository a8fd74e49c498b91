//! The endpoints every service has, checked as a client sees them.

/// Checks `/healthz`, `/publickeys`, `/metrics`, `/sd`, `/environment` and `/ecdsa_helper` of a
/// running service, as a client sees them.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub async fn assert_common_endpoints(url: &str, service: &str, system_key: &str) {
    use envelope::{Curve, KeyPair};
    use serde_json::{Value, json};

    let http = reqwest::Client::new();
    let get = |path: &str, license: Option<&str>| {
        let mut req = http.get(format!("{url}{path}"));
        if let Some(l) = license {
            req = req.header("license", l);
        }
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };

    let (s, health) = get("/healthz", None).await;
    assert_eq!(s, 200, "{health}");
    assert_eq!(health["status"], "all services operational");
    assert_eq!(health["code"], "200");
    let version = health["version"].as_str().unwrap();
    let parts: Vec<&str> = version.split('.').collect();
    assert!(parts.len() >= 2 && parts.last().unwrap().parse::<u64>().is_ok(), "version {version}");
    let (_, keys) = get("/publickeys", None).await;
    assert_eq!(keys["publicKey"], health["publicKey"]);
    let service_key = keys["publicKey"].as_str().unwrap().to_owned();
    assert!(envelope::PublicKey::from_base64(Curve::Secp256k1, &service_key).is_ok());

    let metrics = http.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status().as_u16(), 200);
    let page = metrics.text().await.unwrap();
    assert!(page.contains("http_requests_total{") && page.contains("route=\"/publickeys\""), "{page}");

    let (s, sd) = get("/sd", None).await;
    assert_eq!(s, 200);
    assert!(sd.is_object());

    // The reference: sessions shows its environment to a system key of type hawk (the plain
    // `license` header); users-mgmt and adminapi to anyone, with nothing secret in it.
    if service == "sessions" {
        let (s, err) = get("/environment", None).await;
        assert_eq!((s, err["statusCode"].as_u64()), (401, Some(401)), "{err}");
        let (s, _) = get("/environment", Some("not-a-license")).await;
        assert_eq!(s, 401);
        let (s, env) = get("/environment", Some(system_key)).await;
        assert_eq!(s, 200, "{env}");
        assert!(env["service_directory"].is_object() && env["database"].is_string(), "{env}");
    } else {
        let (s, env) = get("/environment", None).await;
        assert_eq!(s, 200, "{env}");
        let mut fields: Vec<&str> = env.as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["EC_CURVE_NAME", "allowed_time_span", "service", "version"], "nothing more: {env}");
    }
    let (_, env) = get("/environment", Some(system_key)).await;
    assert_eq!(env["service"], service);
    // The names the SDKs read (BIDECDSA.getECCurveName, BIDCaas.getEnvironment).
    assert_eq!(env["allowed_time_span"], 60);
    assert_eq!(env["EC_CURVE_NAME"], "secp256k1");

    let a = KeyPair::generate(Curve::Secp256k1).unwrap();
    let b = KeyPair::generate(Curve::Secp256k1).unwrap();
    let helper_at = |path: &str, body: Value| {
        let req = http.post(format!("{url}{path}")).json(&body);
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let helper = |method: &str, body: Value| helper_at(&format!("/ecdsa_helper/{method}"), body);
    let (s, enc) = helper(
        "encrypt",
        json!({"dataStr": "hello", "publicKey": b.public_base64(), "privateKey": a.private().to_base64().as_str()}),
    )
    .await;
    assert_eq!(s, 200, "{enc}");
    let ciphertext = enc["data"].as_str().unwrap();
    assert_eq!(b.shared_key_with(a.public_base64()).unwrap().decrypt(ciphertext).unwrap(), "hello");
    let (s, dec) = helper(
        "decrypt",
        json!({"dataStr": ciphertext, "publicKey": a.public_base64(), "privateKey": b.private().to_base64().as_str()}),
    )
    .await;
    assert_eq!((s, dec["data"].as_str()), (200, Some("hello")));
    let (s, default) = helper_at(
        "/ecdsa_helper",
        json!({"dataStr": "plain", "publicKey": b.public_base64(), "privateKey": a.private().to_base64().as_str()}),
    )
    .await;
    assert_eq!(s, 200, "without a method the helper encrypts: {default}");
    let ciphertext = default["data"].as_str().unwrap();
    assert_eq!(b.shared_key_with(a.public_base64()).unwrap().decrypt(ciphertext).unwrap(), "plain");
    let good = json!({"dataStr": "x", "publicKey": b.public_base64(), "privateKey": a.private().to_base64().as_str()});
    let (s, e) = helper("sign", good.clone()).await;
    assert_eq!(s, 400, "{e}");
    let (s, _) =
        helper("encrypt", json!({"dataStr": "x", "publicKey": "AAAA", "privateKey": a.private().to_base64().as_str()}))
            .await;
    assert_eq!(s, 400);
    let (s, _) = helper("encrypt", json!({"dataStr": "x", "publicKey": b.public_base64(), "privateKey": "!!"})).await;
    assert_eq!(s, 400);
    let (s, _) = helper("decrypt", json!({"dataStr": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "publicKey": a.public_base64(), "privateKey": b.private().to_base64().as_str()})).await;
    assert_eq!(s, 400);
    let resp = http.get(format!("{url}/ecdsa_helper/encrypt")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
}
