//! A probe service: the kit platform with one route per extractor, started on a free port.

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use envelope::{Body, Client, Curve, KeyPair, Sealed};
use kit::app::{Application, Platform};
use kit::routing::endpoint;
use kit::testing::{Storage, test_env};
use kit::{AnyLevel, AppResult, Licensed, SystemOnly};
use serde_json::{Value, json};

pub const SYSTEM_KEY: &str = "system-license-for-tests";
pub const APP_KEY: &str = "app-license-for-tests";
pub const INFRA_KEY: &str = "infra-license-for-tests";

pub struct Probe {
    pub url: String,
    pub curve: Curve,
}

async fn echo(auth: Licensed<AnyLevel>, body: Sealed<Value>) -> AppResult<HttpResponse> {
    Ok(auth
        .caller
        .reply(&json!({"echo": body.0, "level": auth.license.level, "appid": auth.caller.request_id().appid}))?)
}

async fn system_only(auth: Licensed<SystemOnly>) -> AppResult<HttpResponse> {
    Ok(auth.caller.reply(&json!({"ok": true}))?)
}

async fn lenient(auth: Licensed<AnyLevel>, body: Body<Value>) -> AppResult<HttpResponse> {
    Ok(auth.caller.reply(&json!({"echo": body.value, "encrypted": body.encrypted}))?)
}

/// A typed body, for the error messages of bodies of the wrong shape.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
pub struct Typed {
    origin: TypedOrigin,
    count: Option<u8>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct TypedOrigin {
    community_id: String,
}

async fn typed(auth: Licensed<AnyLevel>, _body: Sealed<Typed>) -> AppResult<HttpResponse> {
    Ok(auth.caller.reply(&json!({"ok": true}))?)
}

async fn typed_plain(_body: web::Json<Typed>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"ok": true}))
}

async fn number(n: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"n": n.into_inner()}))
}

#[derive(Debug, serde::Deserialize)]
struct Limit {
    limit: u32,
}

async fn query(q: web::Query<Limit>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"limit": q.limit}))
}

async fn segment(value: web::Path<String>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"length": value.len()}))
}

/// Starts the probe on `storage` and `curve`; `None` when that storage is not reachable.
pub async fn probe(storage: Storage, curve: Curve, test: &str) -> Option<Probe> {
    kit::telemetry::init_for_tests();
    let mut env = test_env(storage, test).await?;
    env.insert("EC_CURVE_NAME".into(), curve.name().into());
    env.insert("INFRA_LICENSE_KEY".into(), INFRA_KEY.into());
    env.insert("LICENSE_KEYS".into(), format!("system:{SYSTEM_KEY},app:{APP_KEY}"));
    let settings = kit::Settings::from_source(&env, "sessions", 0).expect("settings");
    let platform = Platform::start(settings, &[]).await.expect("platform");
    let app = Application::bind(platform, |cfg| {
        let mut routes = kit::common::endpoints();
        routes.extend([
            endpoint(Method::POST, "/probe/echo", echo),
            endpoint(Method::GET, "/probe/system", system_only),
            endpoint(Method::POST, "/probe/lenient", lenient),
            endpoint(Method::POST, "/probe/typed", typed),
            endpoint(Method::POST, "/probe/typed-plain", typed_plain),
            endpoint(Method::GET, "/probe/number/{n}", number),
            endpoint(Method::GET, "/probe/query", query),
            endpoint(Method::GET, "/probe/segment/{value}", segment),
        ]);
        kit::routing::mount(cfg, "probe", routes);
    })
    .expect("bind");
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Some(Probe { url, curve })
}

impl Probe {
    /// A client with a fresh key pair and `license`.
    pub fn client(&self, license: &str) -> Client {
        Client::new(Arc::new(KeyPair::generate(self.curve).unwrap())).unwrap().license(license).app_id("tests")
    }
}

/// The storages every wire test runs on.
pub const STORAGES: [Storage; 3] = [Storage::Embedded, Storage::Postgres, Storage::Redis];
