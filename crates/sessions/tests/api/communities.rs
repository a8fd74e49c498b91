//! A license limited to some communities, from a license authority plugged in without touching
//! the handlers: sessions of other communities can be neither created nor polled with it.

use std::sync::Arc;

use envelope::LicenseKey;
use kit::Level;
use kit::license::{KeyType, License, LicenseAuthority, LicenseError};
use kit::testing::{
    COMMUNITY_ID, OTHER_COMMUNITY_ID, OTHER_COMMUNITY_NAME, OTHER_TENANT_ID, Storage, TENANT_ID, spawn_service,
    test_env,
};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const NARROW_KEY: &str = "narrow-license";

/// `APP_KEY` for every community, `NARROW_KEY` only for `OTHER_COMMUNITY_ID`.
struct TwoKeys;

#[async_trait::async_trait]
impl LicenseAuthority for TwoKeys {
    async fn check(&self, key: &LicenseKey) -> Result<License, LicenseError> {
        match key.expose() {
            APP_KEY => Ok(License {
                level: Level::App,
                key_type: KeyType::Hawk,
                tag: "wide".into(),
                communities: None,
                infra: false,
            }),
            NARROW_KEY => Ok(License {
                level: Level::AppExt,
                key_type: KeyType::Hawk,
                tag: "narrow".into(),
                communities: Some(vec![OTHER_COMMUNITY_ID.into()]),
                infra: false,
            }),
            _ => Err(LicenseError::Unknown),
        }
    }
}

#[tokio::test]
async fn a_community_license_only_reaches_its_communities() {
    for storage in [Storage::Embedded, Storage::Redis] {
        let Some(env) = test_env(storage, "communities").await else { continue };
        let app = spawn_service(sessions::SERVICE, &env, |s| {
            sessions::build_with(s, Some(Arc::new(TwoKeys)), Arc::new(kit::clock::SystemClock))
        })
        .await;
        let url = app.url.as_str();
        let narrow = browser(NARROW_KEY);
        let reply = plain(&narrow, url, Method::PUT, "/session/new", Some(&new_session_body())).await;
        assert_error(reply.status, &reply.body, 403, "not authorized for this community");
        let mut other = new_session_body();
        other["origin"]["communityId"] = json!(OTHER_COMMUNITY_ID);
        other["origin"]["communityName"] = json!(OTHER_COMMUNITY_NAME);
        let reply = plain(&narrow, url, Method::PUT, "/session/new", Some(&other)).await;
        assert_eq!(reply.status, 201, "{}", reply.body);

        // A session of another community, created with the wide key, cannot be polled with the
        // narrow one, even by the same key pair.
        let wide_then_narrow = envelope::Client::new(narrow.keys().clone()).unwrap();
        let session_id = create_session(url, &wide_then_narrow.clone().license(APP_KEY)).await;
        let (status, body) = poll(url, &wide_then_narrow.clone().license(NARROW_KEY), &session_id, false).await;
        assert_error(status, &body, 403, "not authorized for the community of this session");
        assert!(!body.to_string().contains("5f3d8d0cd866fa61019cf968"), "the creator's community is not shown: {body}");
        let (status, body) = poll(url, &wide_then_narrow.license(APP_KEY), &session_id, false).await;
        assert_error(status, &body, 404, "no response");
    }
}

#[tokio::test]
async fn a_community_that_does_not_exist_or_is_misnamed_is_404_before_any_session() {
    for storage in [Storage::Embedded, Storage::Redis] {
        let Some(app) = spawn(storage, "unknown communities", &[]).await else { continue };
        let url = app.url.as_str();
        let wide = browser(APP_KEY);
        let unknown = "5f3d8d0cd866fa61019cf999";
        let mut body = new_session_body();
        body["origin"]["communityId"] = json!(unknown);
        let reply = plain(&wide, url, Method::PUT, "/session/new", Some(&body)).await;
        assert_error(reply.status, &reply.body, 404, "no community has this communityId");
        assert!(!reply.body.to_string().contains(unknown), "{}", reply.body);
        body["origin"]["communityId"] = json!("not-an-object-id");
        let reply = plain(&wide, url, Method::PUT, "/session/new", Some(&body)).await;
        assert_error(reply.status, &reply.body, 404, "no community has this communityId");

        // The id of one community with the name of another.
        let mut misnamed = new_session_body();
        misnamed["origin"]["communityName"] = json!(OTHER_COMMUNITY_NAME);
        let reply = plain(&wide, url, Method::PUT, "/session/new", Some(&misnamed)).await;
        assert_error(reply.status, &reply.body, 404, "communityName is not the name of the community");
        assert!(!reply.body.to_string().contains(OTHER_COMMUNITY_NAME), "{}", reply.body);

        // The id in capitals is the same community; the session keeps the canonical id, so a
        // key limited to that community can poll it.
        let mut upper = new_session_body();
        upper["origin"]["communityId"] = json!(COMMUNITY_ID.to_ascii_uppercase());
        let reply = plain(&wide, url, Method::PUT, "/session/new", Some(&upper)).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let info: serde_json::Value =
            reqwest::get(format!("{url}/session/{}", reply.body["sessionId"].as_str().unwrap()))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        assert_eq!(info["origin"]["communityId"], COMMUNITY_ID, "{info}");

        // nonce/sign names both in its path: the community must exist and be the tenant's.
        let service = browser(SERVICE_KEY);
        let nonce = |tenant: &str, community: &str| {
            let request =
                json!({"publicKey": service.keys().public_base64(), "nonce": uuid::Uuid::new_v4().to_string()});
            (format!("/tenant/{tenant}/community/{community}/nonce/sign"), request)
        };
        for (tenant, community, status) in [
            (TENANT_ID, COMMUNITY_ID, 200),
            (OTHER_TENANT_ID, COMMUNITY_ID, 404),
            (TENANT_ID, OTHER_COMMUNITY_ID, 404),
            (TENANT_ID, unknown, 404),
            (OTHER_TENANT_ID, OTHER_COMMUNITY_ID, 200),
        ] {
            let (path, request) = nonce(tenant, community);
            let reply = service.call(Method::POST, url, &path, Some(&request)).await.unwrap();
            assert_eq!(reply.status, status, "{tenant} {community}: {}", reply.body);
        }
    }
}
