//! The per-request cost of the wire protocol: ECDH (once per new peer), AES-GCM of a header and a
//! body, and the full header verification a service does (with a cached shared key).
//! Run with `cargo bench -p envelope`.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use envelope::{Curve, Envelope, KeyPair, ReplayGuard, RequestId, SignedHeaders};

/// A replay guard that accepts everything: the benchmark measures crypto, not the store.
struct Accept;

#[async_trait::async_trait]
impl ReplayGuard for Accept {
    async fn first_use(&self, _: &str, _: Duration) -> Result<bool, String> {
        Ok(true)
    }
}

fn wire(c: &mut Criterion) {
    for curve in [Curve::Secp256k1, Curve::P256] {
        let service = Arc::new(KeyPair::generate(curve).unwrap());
        let client = KeyPair::generate(curve).unwrap();
        let shared = client.shared_key_with(service.public_base64()).unwrap();
        let body = serde_json::json!({"origin": {"tag": "t", "url": "https://example.test", "communityName": "default",
            "communityId": "5f3d8d0cd866fa61019cf968"}, "scopes": "windows", "authtype": "none", "metadata": {}})
        .to_string();
        let sealed = shared.encrypt(&body).unwrap();

        c.bench_function(&format!("{curve}/ecdh"), |b| {
            b.iter(|| black_box(client.shared_key_with(service.public_base64()).unwrap()))
        });
        c.bench_function(&format!("{curve}/encrypt_body"), |b| b.iter(|| black_box(shared.encrypt(&body).unwrap())));
        c.bench_function(&format!("{curve}/decrypt_body"), |b| b.iter(|| black_box(shared.decrypt(&sealed).unwrap())));
        c.bench_function(&format!("{curve}/sign"), |b| b.iter(|| black_box(client.private().sign(b"nonce"))));

        let env = Envelope::new(service.clone(), Duration::from_secs(60), Arc::new(Accept));
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        c.bench_function(&format!("{curve}/verify_headers"), |b| {
            b.iter_batched(
                || {
                    let h = SignedHeaders::new(&client, &shared, Some("license"), &RequestId::new("bench")).unwrap();
                    let mut map = actix_web::http::header::HeaderMap::new();
                    for (k, v) in h.pairs() {
                        map.insert(
                            actix_web::http::header::HeaderName::from_static(k),
                            actix_web::http::header::HeaderValue::from_str(&v).unwrap(),
                        );
                    }
                    map
                },
                |headers| black_box(rt.block_on(env.verify(&headers)).unwrap()),
                criterion::BatchSize::SmallInput,
            );
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = wire
}
criterion_main!(benches);
