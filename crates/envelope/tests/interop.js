// An independent implementation of the BlockID wire crypto with Node's built-in `crypto`, used by
// node_interop.rs. Reads one JSON command on stdin, writes one JSON answer on stdout.
'use strict';
const crypto = require('crypto');

const b64url = (buf) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const jwkCurve = { secp256k1: 'secp256k1', prime256v1: 'P-256' };

function encrypt(key, text) {
  const iv = crypto.randomBytes(16);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]).toString('base64');
}

function decrypt(key, b64) {
  const raw = Buffer.from(b64, 'base64');
  const d = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, 16));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(16, raw.length - 16)), d.final()]).toString('utf8');
}

function privateKeyObject(curve, priv, pub64) {
  const pub = Buffer.from(pub64, 'base64');
  return crypto.createPrivateKey({
    key: { kty: 'EC', crv: jwkCurve[curve], d: b64url(Buffer.from(priv, 'base64')), x: b64url(pub.subarray(0, 32)), y: b64url(pub.subarray(32)) },
    format: 'jwk',
  });
}

function publicKeyObject(curve, pub64) {
  const pub = Buffer.from(pub64, 'base64');
  return crypto.createPublicKey({
    key: { kty: 'EC', crv: jwkCurve[curve], x: b64url(pub.subarray(0, 32)), y: b64url(pub.subarray(32)) },
    format: 'jwk',
  });
}

let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const cmd = JSON.parse(input);
  const ecdh = crypto.createECDH(cmd.curve);
  if (cmd.privateKey) ecdh.setPrivateKey(Buffer.from(cmd.privateKey, 'base64'));
  else ecdh.generateKeys();
  const pub64 = ecdh.getPublicKey().subarray(1).toString('base64');
  const peer = Buffer.concat([Buffer.from([4]), Buffer.from(cmd.peerPublicKey, 'base64')]);
  const shared = ecdh.computeSecret(peer);
  const out = { publicKey: pub64, privateKey: ecdh.getPrivateKey().toString('base64'), sharedHex: shared.toString('hex') };
  if (cmd.encrypt !== undefined) out.ciphertext = encrypt(shared, cmd.encrypt);
  if (cmd.decrypt !== undefined) out.plaintext = decrypt(shared, cmd.decrypt);
  if (cmd.sign !== undefined) {
    const key = privateKeyObject(cmd.curve, out.privateKey, pub64);
    out.signatures = cmd.sign.map((m) => crypto.sign('sha256', Buffer.from(m), key).toString('base64'));
  }
  if (cmd.verify !== undefined) {
    out.verified = crypto.verify('sha256', Buffer.from(cmd.verify.message), publicKeyObject(cmd.curve, cmd.peerPublicKey), Buffer.from(cmd.verify.signature, 'base64'));
  }
  process.stdout.write(JSON.stringify(out));
});
