//! The wire against an independent implementation, without Node: `data/wire-vectors.json` was
//! computed by Python `cryptography` (OpenSSL) with `scripts/wire-vectors.py`. Each vector pins the
//! public key encoding (X||Y without 0x04), the shared key (the raw ECDH X coordinate, no KDF, in
//! both directions) and AES-256-GCM with a 16-byte IV; a change to any of them fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use envelope::{Curve, KeyPair, SharedKey};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let text = include_str!("data/wire-vectors.json");
    let file: Value = serde_json::from_str(text).unwrap();
    let vectors = file["vectors"].as_array().unwrap().clone();
    assert_eq!(vectors.len(), 6, "three messages on each curve");
    vectors
}

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field].as_str().unwrap()
}

#[test]
fn keys_and_shared_keys_match_an_independent_implementation() {
    for v in vectors() {
        let curve = Curve::from_name(text(&v, "curve")).unwrap();
        let a = KeyPair::from_private_base64(curve, text(&v, "a_private")).unwrap();
        let b = KeyPair::from_private_base64(curve, text(&v, "b_private")).unwrap();
        assert_eq!((a.public_base64(), b.public_base64()), (text(&v, "a_public"), text(&v, "b_public")));
        let expected = base64::engine::general_purpose::STANDARD.decode(text(&v, "shared")).unwrap();
        let ab = a.shared_key_with(text(&v, "b_public")).unwrap();
        let ba = b.shared_key_with(text(&v, "a_public")).unwrap();
        assert_eq!((ab.as_bytes().as_slice(), ba.as_bytes().as_slice()), (expected.as_slice(), expected.as_slice()));
    }
}

#[test]
fn ciphertexts_open_both_ways_with_the_shared_key() {
    for v in vectors() {
        let curve = Curve::from_name(text(&v, "curve")).unwrap();
        let a = KeyPair::from_private_base64(curve, text(&v, "a_private")).unwrap();
        // Theirs opens with ours…
        let key = a.shared_key_with(text(&v, "b_public")).unwrap();
        assert_eq!(key.decrypt(text(&v, "sealed")).unwrap(), text(&v, "message"));
        // …and ours with the key they computed.
        let raw: [u8; 32] =
            base64::engine::general_purpose::STANDARD.decode(text(&v, "shared")).unwrap().try_into().unwrap();
        let ours = key.encrypt(text(&v, "message")).unwrap();
        assert_eq!(SharedKey::from_bytes(raw).decrypt(&ours).unwrap(), text(&v, "message"));
        let layout = base64::engine::general_purpose::STANDARD.decode(&ours).unwrap();
        assert_eq!(layout.len(), 16 + text(&v, "message").len() + 16, "iv(16) || ciphertext || tag(16)");
    }
}
