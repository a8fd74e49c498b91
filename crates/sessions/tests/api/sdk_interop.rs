//! The login driven by an independent, SDK-shaped client: `sdk_flow.js` does what the Node
//! helper's BIDSessions does, with Node's own crypto. Skipped, saying so, without `node`.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_node_client_shaped_like_the_helper_sdk_completes_a_login() {
    for storage in [kit::testing::Storage::Embedded, kit::testing::Storage::Redis] {
        let Some(app) = spawn(storage, "node sdk", &[]).await else { continue };
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/sdk_flow.js");
        let out = match tokio::process::Command::new("node")
            .arg(script)
            .arg(&app.url)
            .arg(APP_KEY)
            .args([kit::testing::COMMUNITY_ID, kit::testing::COMMUNITY_NAME])
            .output()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                kit::testing::skip(&format!("node is not available ({e})"));
                return;
            }
        };
        assert!(out.status.success(), "node failed: {}", String::from_utf8_lossy(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["createStatus"], 201, "{report}");
        assert_eq!(report["pendingStatus"], 404, "{report}");
        assert_eq!(report["infoPublicKeyIsBrowser"], true, "{report}");
        assert_eq!(report["authStatus"], 200, "{report}");
        assert!(report["auth"]["id"].is_string(), "{report}");
        assert_eq!(report["pollStatus"], 200, "{report}");
        assert_eq!(report["replyPublicKeyIsPhone"], true, "{report}");
        assert_eq!(report["user_data"], json!({"did": "did:node", "userid": "node-user"}));
        assert_eq!(report["secondPollStatus"], 410, "{report}");
    }
}
