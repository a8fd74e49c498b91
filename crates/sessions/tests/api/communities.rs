//! A license limited to some communities, from a license authority plugged in without touching
//! the handlers: sessions of other communities can be neither created nor polled with it.

use std::sync::Arc;

use envelope::LicenseKey;
use kit::Level;
use kit::license::{License, LicenseAuthority, LicenseError};
use kit::testing::{Storage, spawn_service, test_env};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const NARROW_KEY: &str = "narrow-license";

/// `APP_KEY` for every community, `NARROW_KEY` only for community "other".
struct TwoKeys;

#[async_trait::async_trait]
impl LicenseAuthority for TwoKeys {
    async fn check(&self, key: &LicenseKey) -> Result<License, LicenseError> {
        match key.expose() {
            APP_KEY => Ok(License { level: Level::App, tag: "wide".into(), communities: None, infra: false }),
            NARROW_KEY => Ok(License {
                level: Level::AppExt,
                tag: "narrow".into(),
                communities: Some(vec!["other".into()]),
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
        let app = spawn_service(sessions::SERVICE, &env, |s| sessions::build_with(s, Some(Arc::new(TwoKeys)))).await;
        let url = app.url.as_str();
        let narrow = browser(NARROW_KEY);
        let reply = plain(&narrow, url, Method::PUT, "/session/new", Some(&new_session_body())).await;
        assert_error(reply.status, &reply.body, 403, "not authorized for this community");
        let mut other = new_session_body();
        other["origin"]["communityId"] = json!("other");
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
