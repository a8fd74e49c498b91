//! The Service Providers and Service Provider Catalog groups over HTTP: SAML, OIDC and WS-Fed
//! providers created, read, listed, updated and deleted by an administrator of the community;
//! an OIDC client's secret shown once; refusals naming the field; the IdP-initiated apps for
//! any logged-in user; the open public info; the access rules; the audit log. And the store
//! contract of service providers and signing keys on SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{assert_error, bearer, call, call_plain, platform};
use adminapi::domain::audit::Change;
use adminapi::domain::oidc::keys::{self, KeyRecord};
use adminapi::domain::service_providers::{self as sp, ServiceProvider, SpType};
use kit::testing::Storage;

fn saml_body(name: &str, idp_initiated: bool) -> Value {
    json!({"name": name, "environment": "prod", "type": "saml", "logo": "https://app.example.com/logo.png",
    "saml_config": {
        "idpInitiated": idp_initiated,
        "accessUrl": "https://app.example.com/",
        "entityId": "https://app.example.com/saml",
        "assertionMethod": "post",
        "assertionConsumerServiceURL": "https://app.example.com/acs",
        "logoutRequestSignRequired": false,
        "logoutResponseSignRequired": false,
        "authRequestSignRequired": false,
        "assertionSignRequired": true,
        "signingAlgo": "RSA_SHA256",
        "relayState": "https://app.example.com/home",
        "nameid": {"format": "emailAddress", "value": "email", "attribute_type": "identity"},
        "attributes": [{"claim_name": "mail", "attribute_name": "email", "attribute_type": "identity"}],
        "metadata": "%3CEntityDescriptor/%3E"
    }})
}

fn oidc_body() -> Value {
    json!({"name": "Portal", "type": "oidc", "mobileAppLabel": "Portal", "hideBanner": true,
        "oidc_config": {"grant_types": ["authorization_code"], "redirect_uris": ["https://portal.example.com/cb"],
            "scope": ["openid", "email"], "id_token_signed_response_alg": "RS256"}})
}

#[tokio::test]
async fn an_administrator_manages_the_communitys_service_providers() {
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(p) = platform(storage, "service providers", 1, &[]).await else { continue };
        let url = p.admin[0].as_str();
        let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
        let auth = Some(jane.as_str());

        let (s, saml) = call(url, Method::PUT, "/serviceprovider", auth, Some(&saml_body("Wiki", true))).await;
        assert_eq!(s, 200, "{saml}");
        let saml_id = saml["_id"].as_str().unwrap().to_owned();
        assert_eq!((saml["type"].as_str(), saml["communityId"].as_str()), (Some("saml"), Some(p.community.as_str())));
        assert_eq!(saml["saml_config"]["signingAlgo"], "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
        assert_eq!(saml["saml_config"]["attributes"][0]["attribute_type"], "identity");
        assert_eq!(saml["__v"], 0);

        let (s, oidc) = call(url, Method::PUT, "/serviceprovider", auth, Some(&oidc_body())).await;
        assert_eq!(s, 200, "{oidc}");
        let oidc_id = oidc["_id"].as_str().unwrap().to_owned();
        let secret = oidc["oidc_config"]["client_secret"].as_str().unwrap().to_owned();
        let client_id = oidc["oidc_config"]["client_id"].as_str().unwrap().to_owned();
        assert_eq!((secret.len(), client_id.len()), (43, 32));
        assert_eq!(oidc["oidc_config"]["token_endpoint_auth_method"], "client_secret_basic");
        assert_eq!((oidc["mobileAppLabel"].as_str(), oidc["hideBanner"].as_bool()), (Some("Portal"), Some(true)));

        let wsfed = json!({"name": "Legacy", "type": "wsfed",
            "wsfed_config": {"realm": "urn:legacy:app", "replyUrl": "https://legacy.example.com/wsfed"}});
        let (s, ws) = call_plain(url, Method::PUT, "/serviceprovider", auth, &wsfed).await;
        assert_eq!((s, ws["wsfed_config"]["tokenType"].as_str()), (200, Some("SAML20")), "{ws}");

        // Reads never show the secret.
        let (s, read) = call(url, Method::GET, &format!("/serviceprovider/{oidc_id}"), auth, None).await;
        assert_eq!(s, 200, "{read}");
        assert_eq!(read["oidc_config"]["client_id"].as_str(), Some(client_id.as_str()));
        assert!(!read.to_string().contains(&secret), "{read}");
        let (s, all) = call(url, Method::POST, "/serviceprovider/fetch", auth, Some(&json!({}))).await;
        assert_eq!(s, 200, "{all}");
        let names: Vec<&str> = all.as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Wiki", "Portal", "Legacy"]);
        assert!(!all.to_string().contains(&secret));
        let (_, only) = call(url, Method::POST, "/serviceprovider/fetch", auth, Some(&json!({"type": "oidc"}))).await;
        assert_eq!(only.as_array().unwrap().len(), 1);
        let row = p.stores.service_providers.get(&p.community, &oidc_id).await.unwrap().unwrap();
        assert!(!format!("{row:?}").contains(&secret), "the store keeps a MAC only");

        // An update keeps the client id, bumps the version, refuses a change of type.
        let mut changed = oidc_body();
        changed["oidc_config"]["scope"] = json!(["openid"]);
        changed["oidc_config"]["client_id"] = json!("ignored");
        let (s, up) = call(url, Method::PATCH, &format!("/serviceprovider/{oidc_id}"), auth, Some(&changed)).await;
        assert_eq!(s, 200, "{up}");
        assert_eq!((up["oidc_config"]["client_id"].as_str(), up["__v"].as_i64()), (Some(client_id.as_str()), Some(1)));
        assert_eq!(up["oidc_config"]["scope"], json!(["openid"]));
        let (s, r) =
            call(url, Method::PATCH, &format!("/serviceprovider/{oidc_id}"), auth, Some(&saml_body("x", false))).await;
        assert_error(s, &r, 400, "type cannot change");

        // Refusals name the field, never echo the value.
        for (body, needle) in [
            (json!({"name": "x", "type": "saml"}), "saml_config is required for type saml"),
            (json!({"name": "", "type": "oidc", "oidc_config": oidc_body()["oidc_config"]}), "name must be 1 to 100"),
            (json!({"name": "x", "type": "kerberos"}), "type must be one of"),
            (
                {
                    let mut b = oidc_body();
                    b["oidc_config"]["redirect_uris"] = json!(["https://x.example.com/cb#secret-fragment"]);
                    b
                },
                "redirect_uris",
            ),
            (
                {
                    let mut b = oidc_body();
                    b["mobileAppLabel"] = json!("A label too long!");
                    b
                },
                "mobileAppLabel must be at most 15",
            ),
            (
                {
                    let mut b = saml_body("x", false);
                    b["saml_config"]["authRequestSignRequired"] = json!(true);
                    b
                },
                "signingCert is required",
            ),
            (
                {
                    let mut b = saml_body("x", false);
                    b["saml_config"]["nameid"]["attribute_type"] = json!("cookie");
                    b
                },
                "nameid.attribute_type",
            ),
            (
                {
                    let mut b = saml_body("x", false);
                    b["saml_config"]["extra"] = json!(1);
                    b
                },
                "unknown field",
            ),
        ] {
            let (s, r) = call(url, Method::PUT, "/serviceprovider", auth, Some(&body)).await;
            assert_error(s, &r, 400, needle);
            assert!(!r.to_string().contains("secret-fragment"));
        }
        let (s, r) = call(url, Method::GET, "/serviceprovider/not-an-id", auth, None).await;
        assert_error(s, &r, 400, "id must be a 24-hex-digit id");
        let (s, r) = call(url, Method::GET, "/serviceprovider/6a0000000000000000000000", auth, None).await;
        assert_error(s, &r, 404, "no such service provider");

        // Any logged-in user sees the IdP-initiated apps; only administrators manage.
        let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
        let (s, apps) = call(url, Method::GET, "/serviceprovider/idp-initiated", Some(&bob), None).await;
        assert_eq!(s, 200, "{apps}");
        assert_eq!(
            apps,
            json!([{"_id": saml_id, "name": "Wiki", "logo": "https://app.example.com/logo.png", "type": "saml", "idpInitiated": true}])
        );
        for (method, path, body) in [
            (Method::GET, format!("/serviceprovider/{saml_id}"), None),
            (Method::POST, "/serviceprovider/fetch".to_owned(), Some(json!({}))),
            (Method::PUT, "/serviceprovider".to_owned(), Some(saml_body("x", false))),
            (Method::PATCH, format!("/serviceprovider/{saml_id}"), Some(saml_body("x", false))),
            (Method::DELETE, format!("/serviceprovider/{saml_id}"), None),
            (Method::GET, "/spcatalog/list".to_owned(), None),
        ] {
            let (s, _) = call(url, method.clone(), &path, Some(&bob), body.as_ref()).await;
            assert_eq!(s, 403, "{method} {path}");
            let (s, _) = call(url, method.clone(), &path, None, body.as_ref()).await;
            assert_eq!(s, 401, "{method} {path}");
        }

        // The catalog.
        let (s, catalog) = call(url, Method::GET, "/spcatalog/list", auth, None).await;
        assert_eq!(s, 200, "{catalog}");
        assert_eq!(catalog["okta"]["template"], "okta");
        assert_eq!(catalog.as_object().unwrap().len(), 6);

        // Public info: exactly one request, of the community (tests/api/saml.rs reads a real one).
        let info = |extra: Value| {
            let mut b = json!({"tenantId": p.tenant, "communityId": p.community});
            for (k, v) in extra.as_object().unwrap() {
                b[k] = v.clone();
            }
            b
        };
        let path = "/serviceprovider/publicinfo/fetch";
        let (s, r) = call(url, Method::POST, path, None, Some(&info(json!({})))).await;
        assert_error(s, &r, 400, "exactly one of SAMLRequest and OIDCRequest");
        let (s, r) = call(url, Method::POST, path, None, Some(&info(json!({"OIDCRequest": "nope"})))).await;
        assert_error(s, &r, 404, "no pending OIDC request");
        let (s, r) = call(url, Method::POST, path, None, Some(&info(json!({"SAMLRequest": "PHNhbWw+"})))).await;
        assert_error(s, &r, 404, "no pending SAML request");

        // Delete once; the audit log has every change by field names.
        let (s, _) = call(url, Method::DELETE, &format!("/serviceprovider/{saml_id}"), auth, None).await;
        assert_eq!(s, 204);
        let (s, _) = call(url, Method::DELETE, &format!("/serviceprovider/{saml_id}"), auth, None).await;
        assert_eq!(s, 404);
        let changes = p.stores.audit.changes(&p.community, 20).await.unwrap();
        let mine: Vec<(&str, &str)> = changes
            .iter()
            .filter(|c| c.kind == "service_provider")
            .map(|c| (c.action.as_str(), c.record.as_str()))
            .collect();
        assert_eq!(mine.len(), 5, "{mine:?}");
        assert!(mine.contains(&("delete", saml_id.as_str())) && mine.contains(&("update", oidc_id.as_str())));
        let update = changes.iter().find(|c| c.kind == "service_provider" && c.action == "update").unwrap();
        assert_eq!(update.fields, ["oidc_config"]);
        assert!(!format!("{changes:?}").contains(&secret));
    }
}

fn provider(id: &str, community: &str, document: sp::SpDocument, at: i64) -> ServiceProvider {
    ServiceProvider {
        id: id.into(),
        tenant_id: "6a00000000000000000000a1".into(),
        community_id: community.into(),
        document,
        client_secret_mac: None,
        version: 0,
        created_by: "u1".into(),
        created_at: at,
        updated_at: at,
    }
}

fn change(community: &str, record: &str, action: &str) -> Change {
    Change {
        tenant_id: "6a00000000000000000000a1".into(),
        community_id: community.into(),
        kind: "service_provider".into(),
        record: record.into(),
        action: action.into(),
        fields: vec![],
        actor: "u1".into(),
        at: 1,
    }
}

/// The service provider and signing key stores keep one contract on SQLite and PostgreSQL.
#[tokio::test]
async fn the_service_provider_and_key_stores_keep_one_contract_on_every_backend() {
    use kit::db::{Db, KIT_MIGRATIONS};

    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(env) = kit::testing::test_env(storage, "sp stores contract").await else { continue };
        let settings = kit::Settings::from_source(&env, adminapi::SERVICE, 0).unwrap();
        let db = Db::connect(&settings.database_url.0).await.unwrap();
        db.migrate(&[&KIT_MIGRATIONS, &adminapi::ADMINAPI_MIGRATIONS]).await.unwrap();
        let stores = adminapi::store::Stores::sql(&db);
        let store = &stores.service_providers;
        let (c1, c2) = ("6a00000000000000000000c1", "6a00000000000000000000c2");
        let doc = |v: Value| sp::check(serde_json::from_value(v).unwrap(), None).unwrap();

        let wiki = provider("6a0000000000000000000001", c1, doc(saml_body("Wiki", true)), 100);
        let mut portal = provider("6a0000000000000000000002", c1, doc(oidc_body()), 101);
        portal.client_secret_mac = Some("ab".repeat(32));
        let other = provider("6a0000000000000000000003", c2, doc(saml_body("Other", true)), 99);
        for p in [&wiki, &portal, &other] {
            store.insert(p, &change(&p.community_id, &p.id, "create")).await.unwrap();
        }
        assert_eq!(store.get(c1, &wiki.id).await.unwrap().as_ref(), Some(&wiki), "{storage:?}");
        assert!(store.get(c2, &wiki.id).await.unwrap().is_none(), "scoped to its community");
        let ids = |v: Vec<ServiceProvider>| v.into_iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(ids(store.list(c1, None, 10).await.unwrap()), [wiki.id.clone(), portal.id.clone()]);
        assert_eq!(ids(store.list(c1, Some(SpType::Oidc), 10).await.unwrap()), [portal.id.clone()]);
        assert_eq!(ids(store.list(c1, None, 1).await.unwrap()).len(), 1);
        assert_eq!(ids(store.idp_initiated(c1).await.unwrap()), std::slice::from_ref(&wiki.id));
        let found = store.by_client_id(portal.client_id().unwrap()).await.unwrap().unwrap();
        assert_eq!(found, portal);
        let again = provider("6a0000000000000000000004", c2, portal.document.clone(), 1);
        assert!(store.insert(&again, &change(c2, "x", "create")).await.is_err(), "a client id is unique");

        let mut renamed = wiki.clone();
        renamed.document.saml_config.as_mut().unwrap().idp_initiated = false;
        renamed.version = 1;
        assert!(store.update(&renamed, 0, &change(c1, &wiki.id, "update")).await.unwrap());
        assert!(!store.update(&renamed, 0, &change(c1, &wiki.id, "update")).await.unwrap(), "a stale version loses");
        assert!(store.idp_initiated(c1).await.unwrap().is_empty(), "the column follows the document");
        assert!(store.delete(c1, &wiki.id, &change(c1, &wiki.id, "delete")).await.unwrap());
        assert!(!store.delete(c1, &wiki.id, &change(c1, &wiki.id, "delete")).await.unwrap());
        assert!(
            !store.delete(c1, &other.id, &change(c1, &other.id, "delete")).await.unwrap(),
            "not another community's"
        );
        let audit = stores.audit.changes(c1, 20).await.unwrap();
        assert_eq!(audit.len(), 4, "{storage:?}: two creates, one update, one delete in c1");

        // Signing keys: one current key per community and algorithm, retired ones published
        // until their tokens expire.
        let keys_store = &stores.oidc_keys;
        let sealer = kit::sealer::Sealer::from_key(&[3; 32]);
        let k1 = keys::generate(&sealer, "t", c1, "ES256", 1000).unwrap();
        assert!(keys_store.replace(None, 1000, 1000, &k1).await.unwrap());
        let k1b = keys::generate(&sealer, "t", c1, "ES256", 1001).unwrap();
        assert!(!keys_store.replace(None, 1001, 1001, &k1b).await.unwrap(), "{storage:?}: one current key");
        let r1 = keys::generate(&sealer, "t", c1, "RS256", 1002).unwrap();
        assert!(keys_store.replace(None, 1002, 1002, &r1).await.unwrap(), "one per algorithm");
        assert_eq!(keys_store.current(c1, "ES256").await.unwrap().as_ref(), Some(&k1));
        let k2 = keys::generate(&sealer, "t", c1, "ES256", 2000).unwrap();
        assert!(keys_store.replace(Some(&k1.kid), 2000, 5000, &k2).await.unwrap());
        let k3 = keys::generate(&sealer, "t", c1, "ES256", 2001).unwrap();
        assert!(!keys_store.replace(Some(&k1.kid), 2001, 5001, &k3).await.unwrap(), "a stale rotation loses");
        let kids = |v: Vec<KeyRecord>| v.into_iter().map(|k| k.kid).collect::<Vec<_>>();
        assert_eq!(
            kids(keys_store.published(c1, 4999).await.unwrap()),
            [k2.kid.clone(), r1.kid.clone(), k1.kid.clone()]
        );
        assert_eq!(kids(keys_store.published(c1, 5000).await.unwrap()), [k2.kid.clone(), r1.kid.clone()]);
        assert!(keys_store.published(c2, 0).await.unwrap().is_empty());
        let retired: Vec<KeyRecord> =
            keys_store.published(c1, 0).await.unwrap().into_iter().filter(|k| k.kid == k1.kid).collect();
        assert_eq!((retired[0].retired_at, retired[0].publish_until), (Some(2000), Some(5000)));
        let signer = keys::open(&sealer, &keys_store.current(c1, "ES256").await.unwrap().unwrap()).unwrap();
        assert_eq!(signer.kid, k2.kid);
    }
}
