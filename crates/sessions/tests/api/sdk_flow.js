// The login as the 1Kosmos Node helper (BIDSessions) performs it, written independently with
// Node's built-in `crypto` and `fetch`: createNewSession, fetchSessionInfo, authenticateSession
// (the phone), pollSession (the browser decrypts `data` with ECDH(its key, reply.publicKey)).
// Usage: node sdk_flow.js <base url> <license key> <community id> <community name>; prints one JSON
// report on stdout.
'use strict';
const crypto = require('crypto');

const [url, license, communityId, communityName] = process.argv.slice(2);

function keys() {
  const ecdh = crypto.createECDH('secp256k1');
  ecdh.generateKeys();
  return { ecdh, pub: ecdh.getPublicKey().subarray(1).toString('base64') };
}

function shared(k, peer64) {
  return k.ecdh.computeSecret(Buffer.concat([Buffer.from([4]), Buffer.from(peer64, 'base64')]));
}

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

function headers(k, servicePublicKey, licenseKey) {
  const key = shared(k, servicePublicKey);
  const requestId = { ts: Math.round(new Date().getTime() / 1000), appid: 'fixme', uuid: crypto.randomUUID() };
  const h = { 'Content-Type': 'application/json', charset: 'utf-8', publickey: k.pub, requestid: encrypt(key, JSON.stringify(requestId)) };
  if (licenseKey) h.licensekey = encrypt(key, licenseKey);
  return h;
}

(async () => {
  const out = {};
  const servicePublicKey = (await (await fetch(`${url}/publickeys`)).json()).publicKey;
  const browser = keys();
  const phone = keys();

  const req = {
    origin: { tag: 'acme', url: 'https://admin.acme.example', communityName, communityId, authPage: 'blockid://authenticate' },
    scopes: '',
    authtype: 'none',
    metadata: undefined,
  };
  let r = await fetch(`${url}/session/new`, { method: 'put', body: JSON.stringify(req), headers: headers(browser, servicePublicKey, license) });
  out.createStatus = r.status;
  const { sessionId } = await r.json();
  out.sessionId = sessionId;

  const poll = () => fetch(`${url}/session/${sessionId}/response`, { method: 'get', headers: headers(browser, servicePublicKey, license) });
  r = await poll();
  out.pendingStatus = r.status;

  const info = await (await fetch(`${url}/session/${sessionId}`)).json();
  out.infoPublicKeyIsBrowser = info.publicKey === browser.pub;

  const user = { did: 'did:node', userid: 'node-user' };
  const body = { data: encrypt(shared(phone, info.publicKey), JSON.stringify(user)), publicKey: phone.pub, did: user.did, appid: 'com.node.blockid', ial: 'IAL1', eventData: 'e' };
  r = await fetch(`${url}/session/${sessionId}/authenticate`, { method: 'post', body: JSON.stringify(body), headers: headers(phone, servicePublicKey) });
  out.authStatus = r.status;
  out.auth = await r.json();

  r = await poll();
  out.pollStatus = r.status;
  const ret = await r.json();
  out.replyPublicKeyIsPhone = ret.publicKey === phone.pub;
  out.user_data = JSON.parse(decrypt(shared(browser, ret.publicKey), ret.data));

  r = await poll();
  out.secondPollStatus = r.status;
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
