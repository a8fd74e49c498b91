//! The Consents group over HTTP: the default before any write, versions named by the CIDv0 of
//! their document and kept, an unchanged write adding nothing, any version read back by its hash,
//! refusals naming the field, the plain preview, the audit log, and the access rules.

use adminapi::domain::consents::cid_v0;
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{assert_error, bearer, call, call_plain, platform};
use kit::testing::Storage;

/// The hashed bytes of a reply's document: its six fields as compact JSON, in this order.
fn document_of(r: &Value) -> Vec<u8> {
    let fields = ["type", "isEnabled", "title", "subtitle", "body", "acknowledgeText"];
    let pairs: Vec<String> = fields.iter().map(|f| format!("{}:{}", json!(f), r[*f])).collect();
    format!("{{{}}}", pairs.join(",")).into_bytes()
}

#[tokio::test]
async fn an_administrator_keeps_versions_of_consent_documents() {
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(p) = platform(storage, "consents", 1, &[]).await else { continue };
        let url = p.admin[0].as_str();
        let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
        let auth = Some(jane.as_str());

        let (s, r) = call(url, Method::GET, "/config/consents/biometric", auth, None).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            r,
            json!({"type": "biometric", "isEnabled": false, "title": "", "subtitle": "", "body": "",
                "acknowledgeText": "", "ipfsHash": null, "history": []})
        );

        let first = json!({"type": "biometric", "isEnabled": true, "title": "Biometric consent",
            "body": "V2UgdXNlIHlvdXIgZmFjZS4=", "acknowledgeText": "I agree"});
        let (s, r) = call(url, Method::PUT, "/config/consents", auth, Some(&first)).await;
        assert_eq!(s, 200, "{r}");
        let hash1 = r["ipfsHash"].as_str().unwrap().to_owned();
        assert!(hash1.starts_with("Qm") && hash1.len() == 46, "{hash1}");
        assert_eq!(hash1, cid_v0(&document_of(&r)), "the hash is the document's CIDv0");
        assert_eq!((r["subtitle"].as_str(), r["history"].as_array().unwrap().len()), (Some(""), 1));
        let (_, read) = call(url, Method::GET, "/config/consents/biometric", auth, None).await;
        assert_eq!(read, r);

        // The same document again adds no version.
        let (s, r) = call(url, Method::PUT, "/config/consents", auth, Some(&first)).await;
        assert_eq!((s, r["history"].as_array().unwrap().len()), (200, 1), "{r}");

        // Disabled: the texts may be empty; the plain preview is answered plain.
        let off = json!({"type": "biometric", "isEnabled": false, "title": "", "body": ""});
        let (s, r) = call_plain(url, Method::PUT, "/config/consents", auth, &off).await;
        assert_eq!((s, r["isEnabled"].as_bool()), (200, Some(false)), "{r}");
        let hash2 = r["ipfsHash"].as_str().unwrap().to_owned();
        let history: Vec<&str> =
            r["history"].as_array().unwrap().iter().map(|h| h["ipfsHash"].as_str().unwrap()).collect();
        assert_eq!(history, [hash2.as_str(), hash1.as_str()], "newest first");
        assert!(chrono::DateTime::parse_from_rfc3339(r["history"][1]["updatedAt"].as_str().unwrap()).is_ok());

        let (s, old) = call(url, Method::GET, &format!("/config/consents/ipfs/{hash1}"), auth, None).await;
        assert_eq!(s, 200, "{old}");
        assert_eq!((old["title"].as_str(), old["isEnabled"].as_bool()), (Some("Biometric consent"), Some(true)));
        assert_eq!(old["ipfsHash"].as_str(), Some(hash1.as_str()));

        let changes = p.stores.audit.changes(&p.community, 10).await.unwrap();
        let consent: Vec<_> = changes.iter().filter(|c| c.kind == "consent").collect();
        assert_eq!(consent.len(), 2, "{changes:?}");
        assert_eq!((consent[0].action.as_str(), consent[0].record.as_str()), ("update", "biometric"));
        assert_eq!(consent[0].fields, ["acknowledgeText", "body", "isEnabled", "title"]);
        assert!(!format!("{changes:?}").contains("Biometric consent"), "names, never values");

        // Refusals name the field.
        for (body, needle) in [
            (
                json!({"type": "biometric", "isEnabled": true, "body": "SGk=", "acknowledgeText": "ok"}),
                "title is required",
            ),
            (
                json!({"type": "biometric", "isEnabled": true, "title": "t", "body": "not base64!", "acknowledgeText": "ok"}),
                "body must be base64",
            ),
            (json!({"type": "biometric", "isEnabled": "true"}), "isEnabled"),
            (json!({"type": "marketing", "isEnabled": false}), "type must be one of: biometric"),
            (json!({"type": "biometric", "isEnabled": false, "color": "red"}), "unknown field"),
        ] {
            let (s, r) = call(url, Method::PUT, "/config/consents", auth, Some(&body)).await;
            assert_error(s, &r, 400, needle);
        }
        let (s, r) = call(url, Method::GET, "/config/consents/marketing", auth, None).await;
        assert_error(s, &r, 400, "type must be one of");
        let (s, r) = call(url, Method::GET, "/config/consents/ipfs/not-a-cid", auth, None).await;
        assert_error(s, &r, 400, "ipfsHash must be a CIDv0");
        let unknown = cid_v0(b"never stored");
        let (s, r) = call(url, Method::GET, &format!("/config/consents/ipfs/{unknown}"), auth, None).await;
        assert_error(s, &r, 404, "no consent document");

        let (s, _) = call(url, Method::GET, "/config/consents/biometric", None, None).await;
        assert_eq!(s, 401);
        let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
        for (method, path, body) in [
            (Method::GET, "/config/consents/biometric".to_owned(), None),
            (Method::GET, format!("/config/consents/ipfs/{hash1}"), None),
            (Method::PUT, "/config/consents".to_owned(), Some(&off)),
        ] {
            let (s, _) = call(url, method, &path, Some(&bob), body).await;
            assert_eq!(s, 403, "{path}");
        }
    }
}
