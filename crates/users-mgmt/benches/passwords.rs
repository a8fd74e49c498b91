//! What a password login costs: one argon2id hash at the defaults (OWASP m=19456 KiB, t=2, p=1),
//! and the password policy check beside it. `cargo bench -p users-mgmt` (release build).

#![allow(clippy::expect_used)] // a benchmark fails loudly on a broken setup

use criterion::{Criterion, criterion_group, criterion_main};
use users_mgmt::domain::password_policy::PasswordPolicy;
use users_mgmt::domain::passwords::Hasher;

fn passwords(c: &mut Criterion) {
    let settings = kit::Settings::from_source(&std::collections::BTreeMap::new(), "users-mgmt", 0).expect("settings");
    let hasher = Hasher::from_settings(&settings).expect("hasher");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let stored = runtime.block_on(hasher.hash("Correct-Horse-42".into())).expect("hash");
    let mut group = c.benchmark_group("argon2id (OWASP)");
    group.sample_size(20);
    group.bench_function("hash", |b| b.iter(|| runtime.block_on(hasher.hash("Correct-Horse-42".into()))));
    group.bench_function("verify", |b| {
        b.iter(|| runtime.block_on(hasher.verify("Correct-Horse-42".into(), stored.clone())))
    });
    group.finish();
    let policy = PasswordPolicy::default();
    c.bench_function("password policy check", |b| b.iter(|| policy.check("Correct-Horse-42", "jane")));
}

criterion_group!(benches, passwords);
criterion_main!(benches);
