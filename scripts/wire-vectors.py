#!/usr/bin/env python3
"""Writes crates/envelope/tests/data/wire-vectors.json: the wire protocol computed by an
independent implementation (Python `cryptography`, OpenSSL underneath), so the Rust tests catch a
change of the wire without Node. Run it again only to add vectors; the committed file is the
reference.

Each vector: two private keys (base64 of the 32-byte scalar), their public keys as the SDKs encode
them (base64 of X||Y, no 0x04), the shared key (base64 of the raw ECDH X coordinate, no KDF), and a
message sealed with it (base64 of iv(16) || ciphertext || tag(16), AES-256-GCM)."""
import base64, json, os, sys
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

b64 = lambda b: base64.b64encode(b).decode()

def vector(curve, name, message):
    a, b = ec.generate_private_key(curve), ec.generate_private_key(curve)
    def pub(k):
        n = k.public_key().public_numbers()
        return n.x.to_bytes(32, "big") + n.y.to_bytes(32, "big")
    shared = a.exchange(ec.ECDH(), b.public_key())
    iv = os.urandom(16)
    sealed = AESGCM(shared).encrypt(iv, message.encode(), None)
    return {
        "curve": name,
        "a_private": b64(a.private_numbers().private_value.to_bytes(32, "big")),
        "a_public": b64(pub(a)),
        "b_private": b64(b.private_numbers().private_value.to_bytes(32, "big")),
        "b_public": b64(pub(b)),
        "shared": b64(shared),
        "message": message,
        "sealed": b64(iv + sealed),
    }

messages = ['{"ts":1700000000,"uuid":"3f1c9a2e-1111-4a4a-8c8c-000000000001","appid":"vectors"}', "", "ünïcödé ✓ " * 20]
out = {
    "generator": "scripts/wire-vectors.py, Python cryptography " + __import__("cryptography").__version__,
    "vectors": [vector(c, n, m) for c, n in [(ec.SECP256K1(), "secp256k1"), (ec.SECP256R1(), "prime256v1")] for m in messages],
}
path = sys.argv[1] if len(sys.argv) > 1 else "crates/envelope/tests/data/wire-vectors.json"
with open(path, "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(path)
