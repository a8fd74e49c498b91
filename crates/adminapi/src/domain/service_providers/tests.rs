//! The rules of service provider configurations, without HTTP.

use serde_json::json;

use super::*;
use crate::domain::ids;

fn request(value: serde_json::Value) -> ServiceProviderRequest {
    serde_json::from_value(value).unwrap()
}

fn saml(extra: serde_json::Value) -> serde_json::Value {
    let mut config = json!({
        "accessUrl": "https://app.example.com/",
        "entityId": "https://app.example.com/saml",
        "assertionMethod": "post",
        "assertionConsumerServiceURL": "https://app.example.com/acs",
        "logoutRequestSignRequired": false,
        "logoutResponseSignRequired": false,
        "authRequestSignRequired": false,
        "assertionSignRequired": true,
        "nameid": {"format": "emailAddress", "value": "email", "attribute_type": "identity"},
        "attributes": [{"claim_name": "mail", "attribute_name": "email", "attribute_type": "identity"}],
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    json!({"name": "App", "type": "saml", "saml_config": config})
}

fn oidc(extra: serde_json::Value) -> serde_json::Value {
    let mut config = json!({
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": ["https://rp.example.com/cb"],
        "scope": ["openid", "email"],
        "id_token_signed_response_alg": "ES256",
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    json!({"name": "RP", "type": "oidc", "oidc_config": config})
}

fn refusal(value: serde_json::Value) -> String {
    match check(request(value), None) {
        Err(DomainError::Invalid(m)) => m,
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[test]
fn a_saml_provider_is_checked_field_by_field() {
    let doc = check(request(saml(json!({}))), None).unwrap();
    let config = doc.saml_config.as_ref().unwrap();
    assert_eq!(config.signing_algo, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "RSA_SHA256 by default");
    assert!(ids::is_object_id(&config.id) && ids::is_object_id(&config.attributes[0].id));
    assert!(!config.idp_initiated && config.relay_state.is_empty());
    assert!(doc.oidc_config.is_none() && doc.environment.is_empty());

    assert!(refusal(saml(json!({"entityId": ""}))).contains("entityId"));
    assert!(refusal(saml(json!({"assertionConsumerServiceURL": "ftp://x"}))).contains("assertionConsumerServiceURL"));
    assert!(refusal(saml(json!({"assertionMethod": "artifact"}))).contains("assertionMethod must be one of"));
    assert!(refusal(saml(json!({"signingAlgo": "RSA_MD5"}))).contains("signingAlgo"));
    assert!(refusal(saml(json!({"authRequestSignRequired": true}))).contains("signingCert is required"));
    assert!(refusal(saml(json!({"signingCert": "not a cert"}))).contains("signingCert must be an X.509"));
    assert!(refusal(saml(json!({"encryptAssertion": true}))).contains("encryptionCert is required"));
    assert!(
        refusal(saml(json!({"keyTransportAlgorithm": "http://www.w3.org/2001/04/xmlenc#rsa-1_5"})))
            .contains("keyTransportAlgorithm")
    );
    assert!(
        refusal(saml(json!({"nameid": {"format": "email", "value": "e", "attribute_type": "identity"}})))
            .contains("nameid.format")
    );
    assert!(
        refusal(saml(json!({"nameid": {"format": "persistent", "value": "e", "attribute_type": "disk"}})))
            .contains("nameid.attribute_type")
    );
    let static_without_value = json!({"attributes": [{"claim_name": "c", "attribute_name": "a", "attribute_type": "session", "value_type": "static"}]});
    assert!(refusal(saml(static_without_value)).contains("attributes[0].value is required when value_type is static"));
    assert!(refusal(saml(json!({"relayState": "javascript:alert(1)"}))).contains("relayState"));
    let cert = rcgen::generate_simple_self_signed(vec!["sp.example.com".into()]).unwrap().cert;
    let pem = cert.pem();
    let signed = check(request(saml(json!({"authRequestSignRequired": true, "signingCert": pem}))), None).unwrap();
    assert_eq!(signed.saml_config.unwrap().signing_cert.as_deref(), Some(pem.trim()));
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD.encode(cert.der());
    let encrypted = json!({"encryptAssertion": true, "encryptionCert": der, "encryptionAlgorithm": "http://www.w3.org/2001/04/xmlenc#aes128-gcm"});
    let config = check(request(saml(encrypted)), None).unwrap().saml_config.unwrap();
    assert_eq!(
        config.encryption_algorithm.as_deref(),
        Some("http://www.w3.org/2009/xmlenc11#aes128-gcm"),
        "the spec's URI read as XML-Enc 1.1's"
    );
    assert_eq!(config.key_transport_algorithm.as_deref(), Some("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"));
}

#[test]
fn a_type_takes_only_its_own_configuration() {
    let mut both = saml(json!({}));
    both["oidc_config"] = oidc(json!({}))["oidc_config"].clone();
    assert_eq!(refusal(both), "oidc_config is only for type oidc");
    assert_eq!(refusal(json!({"name": "x", "type": "oidc"})), "oidc_config is required for type oidc");
    assert!(refusal(json!({"name": "x", "type": "cas"})).contains("type must be one of"));
    let mut label = saml(json!({}));
    label["mobileAppLabel"] = json!("App");
    assert_eq!(refusal(label), "mobileAppLabel is only for type oidc");
    let mut long = oidc(json!({}));
    long["mobileAppLabel"] = json!("sixteen chars!!!");
    assert!(refusal(long).contains("mobileAppLabel must be at most 15"));
    assert!(
        serde_json::from_value::<ServiceProviderRequest>(json!({"name": "x", "type": "oidc", "colour": 1})).is_err()
    );
}

#[test]
fn an_oidc_client_registers_exact_redirect_uris_and_known_scopes() {
    let doc = check(request(oidc(json!({}))), None).unwrap();
    let client = doc.oidc_config.as_ref().unwrap();
    assert_eq!(client.client_id.len(), 32);
    assert_eq!(client.token_endpoint_auth_method, "client_secret_basic");
    assert!(!client.is_public());
    assert!(refusal(oidc(json!({"grant_types": ["implicit"]}))).contains("grant_types may hold"));
    assert!(refusal(oidc(json!({"grant_types": ["refresh_token"]}))).contains("must hold authorization_code"));
    assert!(refusal(oidc(json!({"scope": ["email"]}))).contains("scope must hold openid"));
    assert!(refusal(oidc(json!({"id_token_signed_response_alg": "HS256"}))).contains("ES256, RS256"));
    assert!(refusal(oidc(json!({"redirect_uris": []}))).contains("redirect_uris must hold"));
    for bad in ["https://rp.example.com/cb#frag", "http://rp.example.com/cb", "javascript:alert(1)", "/relative"] {
        assert!(refusal(oidc(json!({"redirect_uris": [bad]}))).contains("redirect_uris"), "{bad}");
    }
    for good in ["http://127.0.0.1:8080/cb", "com.example.app:/callback", "https://rp.example.com/cb?x=1"] {
        assert!(check(request(oidc(json!({"redirect_uris": [good]}))), None).is_ok(), "{good}");
    }
    // An update keeps the client id and may not turn a confidential client public.
    let again = check(request(oidc(json!({"scope": ["openid"]}))), Some(&doc)).unwrap();
    assert_eq!(again.oidc_config.as_ref().unwrap().client_id, client.client_id);
    let public = request(oidc(json!({"token_endpoint_auth_method": "none"})));
    assert!(matches!(check(public, Some(&doc)), Err(DomainError::Invalid(m)) if m.contains("cannot change")));
    let as_saml = request(saml(json!({})));
    assert!(matches!(check(as_saml, Some(&doc)), Err(DomainError::Invalid(m)) if m.contains("type cannot change")));
}

#[test]
fn an_update_keeps_the_ids_of_what_it_sends_back() {
    let first = check(request(saml(json!({}))), None).unwrap();
    let kept = &first.saml_config.as_ref().unwrap().attributes[0];
    let attrs = json!({"attributes": [
        {"_id": kept.id, "uuid": "ignored", "claim_name": "mail2", "attribute_name": "email", "attribute_type": "identity"},
        {"claim_name": "role", "attribute_name": "role", "attribute_type": "session", "value_type": "static", "value": ["a", "b"]},
    ]});
    let second = check(request(saml(attrs)), Some(&first)).unwrap();
    let config = second.saml_config.as_ref().unwrap();
    assert_eq!(config.id, first.saml_config.as_ref().unwrap().id);
    assert_eq!(
        (config.attributes[0].id.as_str(), config.attributes[0].uuid.as_str()),
        (kept.id.as_str(), kept.uuid.as_str())
    );
    assert_ne!(config.attributes[1].id, kept.id);
    assert_eq!(config.attributes[1].value, Some(json!(["a", "b"])));
    assert_eq!(changed(Some(&first), &second), ["saml_config"]);
}

#[test]
fn client_secrets_are_kept_as_macs() {
    let sealer = kit::sealer::Sealer::from_key(&[9; 32]);
    let secret = oidc_client::new_client_secret().unwrap();
    assert_eq!(secret.len(), 43);
    let mac = oidc_client::secret_mac(&sealer, "client", &secret);
    assert!(!mac.contains(secret.as_str()));
    assert!(oidc_client::secret_matches(&sealer, "client", &secret, &mac));
    assert!(!oidc_client::secret_matches(&sealer, "other", &secret, &mac), "bound to the client id");
    assert!(!oidc_client::secret_matches(&sealer, "client", "wrong", &mac));
}
