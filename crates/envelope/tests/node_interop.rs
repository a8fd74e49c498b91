//! Interoperability with an independent implementation: Node's built-in `crypto` (ECDH on
//! secp256k1 and prime256v1, AES-256-GCM with a 16-byte IV, ECDSA-SHA256), in both directions.
//! Skipped, saying so, only when `node` is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use envelope::{Curve, KeyPair};
use serde_json::{Value, json};

fn node(cmd: &Value) -> Option<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop.js");
    let mut child = match Command::new("node").arg(script).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => {
            // `.ci/run` sets TEST_BACKENDS_REQUIRED=1: there a missing Node fails the test.
            assert!(
                std::env::var("TEST_BACKENDS_REQUIRED").map_or(true, |v| v.trim() != "1"),
                "node is not available ({e}), and TEST_BACKENDS_REQUIRED=1"
            );
            eprintln!("skipped: node is not available ({e})");
            // As kit::testing::record_skip does (envelope's tests do not depend on kit).
            if let Some(path) = std::env::var_os("TEST_SKIP_LOG") {
                use std::io::Write as _;
                let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
                let _ = file.map(|mut f| writeln!(f, "node is not available: the Node interop tests"));
            }
            return None;
        }
    };
    child.stdin.take().unwrap().write_all(cmd.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "node failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn node_and_envelope_agree_in_both_directions_on_both_curves() {
    for curve in [Curve::Secp256k1, Curve::P256] {
        let ours = KeyPair::generate(curve).unwrap();
        let message = format!("{{\"ts\":1700000000,\"uuid\":\"é-{}\",\"appid\":\"x\"}}", curve.name());
        let Some(first) = node(&json!({
            "curve": curve.name(),
            "peerPublicKey": ours.public_base64(),
            "encrypt": message,
            // Many signatures, so OpenSSL's high-S ones (half of them) are surely among them.
            "sign": (0..16).map(|i| format!("nonce-from-node-{i}")).collect::<Vec<_>>(),
        })) else {
            return;
        };
        let theirs = first["publicKey"].as_str().unwrap();
        let shared = ours.shared_key_with(theirs).unwrap();
        assert_eq!(hex(shared.as_bytes()), first["sharedHex"], "{curve}: same raw ECDH X coordinate");
        assert_eq!(shared.decrypt(first["ciphertext"].as_str().unwrap()).unwrap(), message, "{curve}: node → rust");
        let their_public = envelope::PublicKey::from_base64(curve, theirs).unwrap();
        for (i, sig) in first["signatures"].as_array().unwrap().iter().enumerate() {
            let message = format!("nonce-from-node-{i}");
            assert!(their_public.verify(message.as_bytes(), sig.as_str().unwrap()), "{curve}: node signature {i}");
        }

        // Node's private key in the wire encoding (Node may drop leading zero bytes) imports here.
        let imported = KeyPair::from_private_base64(curve, first["privateKey"].as_str().unwrap()).unwrap();
        assert_eq!(imported.public_base64(), theirs);

        let reply = "réponse ✓ from rust";
        let second = node(&json!({
            "curve": curve.name(),
            "privateKey": first["privateKey"],
            "peerPublicKey": ours.public_base64(),
            "decrypt": shared.encrypt(reply).unwrap(),
            "verify": {"message": "nonce-from-rust", "signature": ours.private().sign(b"nonce-from-rust")},
        }))
        .unwrap();
        assert_eq!(second["plaintext"], reply, "{curve}: rust → node");
        assert_eq!(second["verified"], true, "{curve}: rust signature verified by node");
    }
}
