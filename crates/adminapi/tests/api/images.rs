//! `POST /image/upload` over HTTP: a real PNG and JPEG uploaded as multipart with the encrypted
//! headers and an admin JWT, served back byte for byte at the answered URL with their type,
//! `nosniff` and long caching; a text file named `.png`, an SVG and an oversized image refused;
//! the upload in the audit log; the access rules.

use std::sync::Arc;

use envelope::{Client, Curve, KeyPair};
use reqwest::Method;
use serde_json::Value;

use crate::login::{Platform, assert_error, bearer, platform};
use kit::testing::Storage;

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A valid 1×1 RGB PNG (one red pixel), its pixels in a stored (uncompressed) zlib stream.
pub fn tiny_png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    let raw = [0u8, 0xFF, 0, 0]; // filter byte, then R G B
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    let mut zlib = vec![0x78, 0x01, 0x01, 4, 0, 0xFB, 0xFF];
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// A valid 1×1 baseline JPEG (written by Pillow: `Image.new("RGB", (1, 1), "red").save(…, "JPEG")`).
const TINY_JPEG_HEX: &str = include_str!("tiny.jpg.hex");

fn tiny_jpeg() -> Vec<u8> {
    hex::decode(TINY_JPEG_HEX.trim()).unwrap()
}

/// A `multipart/form-data` body with one file part.
pub fn multipart(field: &str, filename: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----blockid-test-boundary-7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// An upload with the encrypted headers and `authorization`: the status and the opened reply.
async fn upload(url: &str, authorization: Option<&str>, form: (String, Vec<u8>)) -> (u16, Value) {
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().app_id("admin-console");
    let peer = client.peer(url).await.unwrap();
    let mut req = client.http().request(Method::POST, format!("{url}/image/upload"));
    for (name, value) in client.headers(&peer).unwrap().pairs() {
        req = req.header(name, value);
    }
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let resp = req.header("content-type", form.0).body(form.1).send().await.unwrap();
    let status = resp.status().as_u16();
    let reply = envelope::client::open_reply(status, &resp.bytes().await.unwrap(), &peer.shared);
    (reply.status, reply.body)
}

async fn jane(p: &Platform) -> String {
    bearer(&p.token("jane", "Quartz-Meadow-71").await)
}

#[tokio::test]
async fn an_administrator_uploads_images_served_as_they_were() {
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(p) = platform(storage, "images", 1, &[("IMAGE_MAX_BYTES", "4096")]).await else { continue };
        let url = p.admin[0].as_str();
        let auth = jane(&p).await;
        let http = reqwest::Client::new();
        for (bytes, field, content_type) in [(tiny_png(), "image", "image/png"), (tiny_jpeg(), "file", "image/jpeg")] {
            // The declared type does not matter: the content decides.
            let (s, r) =
                upload(url, Some(&auth), multipart(field, "logo.bin", "application/octet-stream", &bytes)).await;
            assert_eq!(s, 200, "{r}");
            let served = r["url"].as_str().unwrap();
            use sha2::Digest as _;
            assert_eq!(served, format!("{url}/images/{}", hex::encode(sha2::Sha256::digest(&bytes))));
            let got = http.get(served).send().await.unwrap();
            assert_eq!(got.status().as_u16(), 200);
            let h = got.headers();
            assert_eq!(h["content-type"], content_type);
            assert_eq!(h["x-content-type-options"], "nosniff");
            assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
            assert_eq!(got.bytes().await.unwrap().to_vec(), bytes, "served bytes equal the upload");
            // The same image again: the same URL.
            let (s, again) = upload(url, Some(&auth), multipart("image", "again.png", content_type, &bytes)).await;
            assert_eq!((s, again["url"].as_str()), (200, Some(served)));
        }
        let changes = p.stores.audit.changes(&p.community, 10).await.unwrap();
        assert_eq!(changes.iter().filter(|c| c.kind == "image").count(), 4, "{changes:?}");
        assert_eq!(changes[0].fields, vec!["content".to_owned()]);

        let text = multipart("image", "notes.png", "image/png", b"just some text, not an image");
        let (s, r) = upload(url, Some(&auth), text).await;
        assert_error(s, &r, 400, "must be a PNG, JPEG or WebP");
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        let (s, r) = upload(url, Some(&auth), multipart("image", "logo.svg", "image/svg+xml", svg)).await;
        assert_error(s, &r, 400, "SVG is not accepted");
        let mut big = tiny_png();
        big.resize(5000, 0);
        let (s, r) = upload(url, Some(&auth), multipart("image", "big.png", "image/png", &big)).await;
        assert_error(s, &r, 413, "at most 4096 bytes");
        let (s, r) = upload(url, Some(&auth), multipart("other", "logo.png", "image/png", &tiny_png())).await;
        assert_error(s, &r, 400, "field image or file");

        let missing = http.get(format!("{url}/images/{}", "0".repeat(64))).send().await.unwrap();
        assert_eq!(missing.status().as_u16(), 404);
        let bad = http.get(format!("{url}/images/not-a-hash")).send().await.unwrap();
        assert_eq!(bad.status().as_u16(), 400);

        let (s, _) = upload(url, None, multipart("image", "a.png", "image/png", &tiny_png())).await;
        assert_eq!(s, 401);
        let bob = bearer(&p.token("bob", "Violet-Harbor-58").await);
        let (s, _) = upload(url, Some(&bob), multipart("image", "a.png", "image/png", &tiny_png())).await;
        assert_eq!(s, 403);
    }
}
