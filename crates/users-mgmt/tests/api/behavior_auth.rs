//! Behavior auth over HTTP: a random phrase, its registration to completion, validation of the
//! enrolled typist (a proof with the method `behavior_auth`) and refusal of another one,
//! deregistration; the keys that need a user's jwt; refusals counting toward the lockout; the
//! enrollment store on every backend; and the false accept and false reject rates of the score
//! over many synthetic typists.

use kit::testing::{APP_EXT_KEY, INFRA_KEY, SYSTEM_KEY, Storage};
use reqwest::Method;
use serde_json::{Value, json};
use users_mgmt::domain::behavior::{self, BehaviorStore as _, Enrollment, Settings, StepRefusal, pattern, phrases};

use crate::authenticate::{FAST_ARGON2, add_user, authenticate, module_with_user, verify_token};
use crate::helpers::*;
use crate::typists::{Rng, Typist, encode};

const FETCH: &str = "/user/behavior_auth/random_phrase/fetch";
const REGISTER: &str = "/user/behavior_auth/register";
const VALIDATE: &str = "/user/behavior_auth/validate";
const DEREGISTER: &str = "/user/behavior_auth/deregister";

async fn post(client: &envelope::Client, url: &str, rest: &str, body: Value) -> (u16, Value) {
    sealed(client, url, Method::POST, &community_path(rest), Some(&body)).await
}

/// A phrase and its token (`body` is the fetch's body).
async fn fetch(client: &envelope::Client, url: &str, body: Value) -> (String, String) {
    let (s, r) = post(client, url, FETCH, body).await;
    assert_eq!(s, 200, "{r}");
    (r["phrase"].as_str().unwrap().to_owned(), r["user_token"].as_str().unwrap().to_owned())
}

fn step(module: &str, username: &str, phrase: &str, pattern: &str, token: &str) -> Value {
    json!({"authModule": module, "username": username, "phrase": phrase, "pattern": pattern, "user_token": token})
}

/// Enrolls `username` typing as `typist` (`samples` registrations from a phrase fetched with a
/// system key): the phrase and every pattern sent.
async fn enroll(
    url: &str,
    module: &str,
    username: &str,
    typist: &Typist,
    rng: &mut Rng,
    samples: u64,
) -> (String, Vec<String>) {
    let admin = caller(SERVICE_KEY);
    let (phrase, mut token) = fetch(&caller(SYSTEM_KEY), url, json!({})).await;
    let mut sent = Vec::new();
    for i in 1..=samples {
        let pattern = typist.pattern(rng, &phrase);
        let (s, r) = post(&admin, url, REGISTER, step(module, username, &phrase, &pattern, &token)).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["next_step"], if i < samples { "try again" } else { "done" }, "{r}");
        assert_eq!(
            (r["typing_data"]["samples"].as_u64(), r["typing_data"]["required"].as_u64()),
            (Some(i), Some(samples))
        );
        token = r["user_token"].as_str().unwrap().to_owned();
        sent.push(pattern);
    }
    (phrase, sent)
}

async fn validate(client: &envelope::Client, url: &str, module: &str, username: &str, pattern: &str) -> (u16, Value) {
    post(client, url, VALIDATE, json!({"authModule": module, "username": username, "pattern": pattern})).await
}

async fn deregister(client: &envelope::Client, url: &str, body: Value) -> (u16, Value) {
    sealed(client, url, Method::DELETE, &community_path(DEREGISTER), Some(&body)).await
}

#[tokio::test]
async fn a_typist_enrolls_is_recognised_among_others_and_deregisters() {
    crate::captured_logs::start();
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(app) = spawn(storage, "behavior auth", &FAST_ARGON2).await else { continue };
        let url = app.url.as_str();
        let admin = caller(SERVICE_KEY);
        let module = module_with_user(&admin, url, "jane", "Sesame1234").await;
        let mut rng = Rng::new(20_240_611);
        let (jane, other) = (Typist::new(&mut rng), Typist::new(&mut rng));
        let mut secrets: Vec<String> = Vec::new();

        // A phrase: English by default or when unknown, another language when asked.
        let system = caller(SYSTEM_KEY);
        let (s, r) = post(&system, url, FETCH, json!({})).await;
        assert_eq!((s, r["language"].as_str()), (200, Some("en")), "{r}");
        let (phrase, token) = (r["phrase"].as_str().unwrap().to_owned(), r["user_token"].as_str().unwrap().to_owned());
        assert!(phrases::phrases("en").contains(&phrase.as_str()) && !token.contains(&phrase));
        let (s, r) = post(&system, url, FETCH, json!({"language": "de"})).await;
        assert!(s == 200 && phrases::phrases("de").contains(&r["phrase"].as_str().unwrap()), "{r}");
        let (s, r) = post(&system, url, FETCH, json!({"language": "xx"})).await;
        assert_eq!((s, r["language"].as_str()), (200, Some("en")), "{r}");
        let (s, r) = post(&system, url, FETCH, json!({"language": ""})).await;
        assert_error(s, &r, 400, "language must not be empty");

        // Bad steps change nothing.
        let good = jane.pattern(&mut rng, &phrase);
        let wrong_text = jane.pattern(&mut rng, "another text");
        for (body, needle) in [
            (step(&module, "jane", "another text", &good, &token), "phrase must be the phrase of user_token"),
            (step(&module, "jane", &phrase, &wrong_text, &token), "pattern must type phrase exactly"),
            (step(&module, "jane", &phrase, "not base64!", &token), "pattern must be standard base64"),
            (step(&module, "jane", &phrase, &good, "forged"), "user_token is invalid or expired"),
        ] {
            let (s, r) = post(&admin, url, REGISTER, body).await;
            assert_error(s, &r, 400, needle);
        }
        let (s, r) = post(&admin, url, REGISTER, step(&module, "nobody", &phrase, &good, &token)).await;
        assert_error(s, &r, 404, "user not found");

        // Five samples, each step with the token of the one before; a used token is stale.
        let mut token = token;
        let mut used = Vec::new();
        for i in 1..=5u64 {
            let pattern = jane.pattern(&mut rng, &phrase);
            let (s, r) = post(&admin, url, REGISTER, step(&module, "jane", &phrase, &pattern, &token)).await;
            assert_eq!(s, 200, "{r}");
            assert_eq!(r["next_step"], if i < 5 { "try again" } else { "done" }, "{r}");
            assert_eq!(r["typing_data"], json!({"samples": i, "required": 5}));
            used.push(token);
            token = r["user_token"].as_str().unwrap().to_owned();
            secrets.push(pattern);
        }
        let again = jane.pattern(&mut rng, &phrase);
        let (s, r) = post(&admin, url, REGISTER, step(&module, "jane", &phrase, &again, &used[2])).await;
        assert_error(s, &r, 405, "already has a behavior auth phrase");
        let (fresh_phrase, fresh) = fetch(&system, url, json!({})).await;
        let pattern = jane.pattern(&mut rng, &fresh_phrase);
        let (s, r) = post(&admin, url, REGISTER, step(&module, "jane", &fresh_phrase, &pattern, &fresh)).await;
        assert_error(s, &r, 405, "deregister it first");

        // The typist is recognised, by any key, with a proof of behavior_auth; others are not.
        for client in [caller(APP_KEY), caller(SERVICE_EXT_KEY), caller(SERVICE_KEY)] {
            let pattern = jane.pattern(&mut rng, &phrase);
            let (s, r) = validate(&client, url, &module, "jane", &pattern).await;
            assert_eq!(s, 200, "{r}");
            assert_eq!((r["username"].as_str(), r["moduleId"].as_str()), (Some("jane"), Some(module.as_str())));
            assert_eq!(r["typing_data"], json!({"result": true, "compared_samples": 5}));
            let (s, v) = verify_token(url, json!({"token": r["proof_of_authentication_jwt"]})).await;
            assert_eq!((s, &v["methods"], &v["sub"]), (200, &json!(["behavior_auth"]), &r["uid"]), "{v}");
            secrets.push(pattern);
        }
        let impostor = other.pattern(&mut rng, &phrase);
        let (s, r) = validate(&admin, url, &module, "jane", &impostor).await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let (s, r) = validate(&admin, url, &module, "jane", &jane.pattern(&mut rng, "the wrong phrase")).await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let (s, r) = validate(&admin, url, &module, "nobody", &jane.pattern(&mut rng, &phrase)).await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let (s, r) = validate(&admin, url, &module, "jane", &encode(&[])).await;
        assert_error(s, &r, 400, "pattern must hold 1 to 256 keystrokes");
        let (s, r) = validate(&admin, url, &module, "jane", &format!("{impostor}!")).await;
        assert_error(s, &r, 400, "pattern must be standard base64");
        secrets.push(impostor);

        // Deregistered: refused, and deregistering again is no error; enrolling again works.
        let (s, r) = deregister(
            &admin,
            url,
            json!({"authModule": module, "username": "jane", "eventInfo": {"initiatedBy": "root"}}),
        )
        .await;
        assert_eq!(s, 204, "{r}");
        let (s, r) = validate(&admin, url, &module, "jane", &jane.pattern(&mut rng, &phrase)).await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let (s, r) = deregister(&admin, url, json!({"authModule": module, "username": "jane"})).await;
        assert_eq!(s, 204, "{r}");
        let (s, r) = deregister(&admin, url, json!({"authModule": module, "username": "nobody"})).await;
        assert_error(s, &r, 404, "user not found");
        let (phrase, sent) = enroll(url, &module, "jane", &jane, &mut rng, 5).await;
        let (s, r) = validate(&admin, url, &module, "jane", &jane.pattern(&mut rng, &phrase)).await;
        assert_eq!(s, 200, "{r}");
        secrets.extend(sent);

        // No pattern, no timing document and no phrase in the log.
        let log = crate::captured_logs::text();
        assert!(log.contains("E_BEHAVIOR_AUTH_ENROLLED") && log.contains("E_BEHAVIOR_AUTH_UNENROLLED"));
        for s in &secrets {
            assert!(!log.contains(s.as_str()), "a pattern in the log");
        }
        assert!(!log.contains("keystrokes\"") && !log.contains(&phrase), "pattern data in the log");
    }
}

#[tokio::test]
async fn keys_that_act_for_a_user_need_its_jwt() {
    let Some(app) = spawn(Storage::Embedded, "behavior auth keys", &FAST_ARGON2).await else { return };
    let url = app.url.as_str();
    let admin = caller(SERVICE_KEY);
    let module = module_with_user(&admin, url, "jane", "Sesame1234").await;
    add_user(&admin, url, &module, "bob", "Harbor5678").await;
    let app_key = caller(APP_KEY);
    let (s, r) =
        authenticate(&app_key, url, json!({"authModule": module, "username": "jane", "password": "Sesame1234"})).await;
    assert_eq!(s, 200, "{r}");
    let jwt = r["proof_of_authentication_jwt"].as_str().unwrap().to_owned();
    let mut rng = Rng::new(7);
    let jane = Typist::new(&mut rng);

    // The phrase: system and infra keys as they are; service, app and app_ext keys with a jwt;
    // not service_ext keys.
    for key in [SYSTEM_KEY, INFRA_KEY] {
        let (s, r) = post(&caller(key), url, FETCH, json!({})).await;
        assert_eq!(s, 200, "{key}: {r}");
    }
    for key in [SERVICE_KEY, APP_KEY, APP_EXT_KEY] {
        let (s, r) = post(&caller(key), url, FETCH, json!({})).await;
        assert_error(s, &r, 401, "jwt is required for this key");
    }
    let (s, r) = post(&caller(SERVICE_EXT_KEY), url, FETCH, json!({"jwt": jwt})).await;
    assert_eq!(s, 403, "{r}");
    let (s, r) = post(&app_key, url, FETCH, json!({"jwt": "a.b.c"})).await;
    assert_error(s, &r, 401, "jwt: ");
    // The token of a fetch with jane's jwt is jane's only.
    let (phrase, token) = fetch(&app_key, url, json!({"jwt": jwt})).await;
    let pattern = jane.pattern(&mut rng, &phrase);
    let (s, r) = post(&admin, url, REGISTER, step(&module, "bob", &phrase, &pattern, &token)).await;
    assert_error(s, &r, 400, "user_token is for another user");

    // Register: service_ext, app and app_ext keys with the user's own jwt.
    for key in [SERVICE_EXT_KEY, APP_KEY, APP_EXT_KEY] {
        let (s, r) = post(&caller(key), url, REGISTER, step(&module, "jane", &phrase, &pattern, &token)).await;
        assert_error(s, &r, 401, "jwt is required for this key");
    }
    let mut for_bob = step(&module, "bob", &phrase, &pattern, &token);
    for_bob["jwt"] = json!(jwt);
    let (s, r) = post(&app_key, url, REGISTER, for_bob).await;
    assert_error(s, &r, 401, "the token is for another user");
    let mut mine = step(&module, "jane", &phrase, &pattern, &token);
    mine["jwt"] = json!(jwt);
    let (s, r) = post(&caller(SERVICE_EXT_KEY), url, REGISTER, mine).await;
    assert_eq!((s, r["next_step"].as_str()), (200, Some("try again")), "{r}");

    // A token of another community is not one here.
    let other = format!("/tenant/{OTHER_TENANT_ID}/community/{OTHER_COMMUNITY_ID}{FETCH}");
    let (s, r) = sealed(&caller(SYSTEM_KEY), url, Method::POST, &other, Some(&json!({}))).await;
    assert_eq!(s, 200, "{r}");
    let (phrase, token) = (r["phrase"].as_str().unwrap(), r["user_token"].as_str().unwrap());
    let pattern = jane.pattern(&mut rng, phrase);
    let (s, r) = post(&admin, url, REGISTER, step(&module, "jane", phrase, &pattern, token)).await;
    assert_error(s, &r, 400, "user_token is invalid or expired");

    // Deregister: the same rule.
    let me = json!({"authModule": module, "username": "jane"});
    for key in [SERVICE_EXT_KEY, APP_KEY, APP_EXT_KEY] {
        let (s, r) = deregister(&caller(key), url, me.clone()).await;
        assert_error(s, &r, 401, "jwt is required for this key");
    }
    let (s, r) = deregister(&app_key, url, json!({"authModule": module, "username": "bob", "jwt": jwt})).await;
    assert_error(s, &r, 401, "the token is for another user");
    let (s, r) = deregister(&app_key, url, json!({"authModule": module, "username": "jane", "jwt": jwt})).await;
    assert_eq!(s, 204, "{r}");
    let (s, r) = deregister(&caller(SYSTEM_KEY), url, me).await;
    assert_eq!(s, 204, "{r}");
}

#[tokio::test]
async fn refused_patterns_lock_the_user_like_wrong_passwords() {
    let env = [FAST_ARGON2[0], FAST_ARGON2[1], ("LOCKOUT_THRESHOLD", "3"), ("BEHAVIOR_AUTH_ENROLLMENT_SAMPLES", "3")];
    let Some(app) = spawn(Storage::Embedded, "behavior auth lockout", &env).await else { return };
    let url = app.url.as_str();
    let admin = caller(SERVICE_KEY);
    let module = module_with_user(&admin, url, "jane", "Sesame1234").await;
    let mut rng = Rng::new(99);
    let (jane, other) = (Typist::new(&mut rng), Typist::new(&mut rng));
    // Three samples when the deployment says three.
    let (phrase, _) = enroll(url, &module, "jane", &jane, &mut rng, 3).await;
    let (s, r) = validate(&admin, url, &module, "jane", &jane.pattern(&mut rng, &phrase)).await;
    assert_eq!(s, 200, "{r}");

    for _ in 0..3 {
        let (s, r) = validate(&admin, url, &module, "jane", &other.pattern(&mut rng, &phrase)).await;
        assert_error(s, &r, 401, "invalid username or credentials");
    }
    let (s, r) = validate(&admin, url, &module, "jane", &jane.pattern(&mut rng, &phrase)).await;
    assert_error(s, &r, 401, "the user is locked");
    let login = json!({"authModule": module, "username": "jane", "password": "Sesame1234"});
    let (s, r) = authenticate(&admin, url, login).await;
    assert_error(s, &r, 401, "the user is locked");
    let (s, st) = post(&admin, url, "/user/status", json!({"username": "jane"})).await;
    assert_eq!((s, st["reasons"][0]["factor"].as_str()), (200, Some("behavior_auth")), "{st}");
    let unlock =
        json!({"username": "jane", "reason": {"reasonCode": 1, "message": "Admin Action"}, "initiatedby": "root"});
    let (s, r) = sealed(&admin, url, Method::PUT, &community_path("/user/unlock"), Some(&unlock)).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = validate(&admin, url, &module, "jane", &jane.pattern(&mut rng, &phrase)).await;
    assert_eq!(s, 200, "{r}");

    // An admin lock and a disabled user: refused even with the typist's own pattern.
    let lock =
        json!({"username": "jane", "reason": {"reasonCode": 0, "message": "Admin Action"}, "initiatedby": "root"});
    let (s, r) = sealed(&admin, url, Method::PUT, &community_path("/user/lock"), Some(&lock)).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = validate(&admin, url, &module, "jane", &jane.pattern(&mut rng, &phrase)).await;
    assert_error(s, &r, 401, "the user is locked");
    let (s, r) = sealed(&admin, url, Method::PUT, &community_path("/user/unlock"), Some(&unlock)).await;
    assert_eq!(s, 200, "{r}");
    let disable = json!({"authModule": module, "username": "jane", "disabled": true});
    let (s, r) = sealed(&admin, url, Method::PATCH, &community_path("/user/update"), Some(&disable)).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = validate(&admin, url, &module, "jane", &jane.pattern(&mut rng, &phrase)).await;
    assert_error(s, &r, 401, "the user is disabled");
}

/// The enrollment store keeps one contract on SQLite and PostgreSQL (skipped, saying so, when
/// PostgreSQL does not answer), through the registration rule: a first sample starts (or
/// restarts) an enrollment under way, each next one is a compare-and-set on the count, a
/// complete enrollment is kept until deleted.
#[tokio::test]
async fn the_enrollment_store_keeps_one_contract_on_every_backend() {
    use kit::db::{Db, KIT_MIGRATIONS};

    let mut rng = Rng::new(5);
    let typist = Typist::new(&mut rng);
    let phrase = "the quick brown fox jumps over the lazy dog";
    let typing = |rng: &mut Rng| pattern::parse("pattern", &typist.pattern(rng, phrase)).unwrap();
    let settings = Settings { samples: 3 };
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(env) = kit::testing::test_env(storage, "behavior store contract").await else { continue };
        let settings_env = kit::Settings::from_source(&env, users_mgmt::SERVICE, 0).unwrap();
        let db = Db::connect(&settings_env.database_url.0).await.unwrap();
        db.migrate(&[&KIT_MIGRATIONS, &users_mgmt::USERS_MGMT_MIGRATIONS]).await.unwrap();
        let store = users_mgmt::store::SqlBehavior::new(db);
        let key = behavior::user_key("urn:dns:acme.example:community:c:mod:m:uid:u1");
        assert_eq!(key.len(), 128);
        assert_eq!(store.get(&key).await.unwrap(), None);

        let step = |attempts, rng: &mut Rng| {
            let p = typing(rng);
            let store = &store;
            let key = key.clone();
            async move { behavior::register(store, settings, &key, phrase, attempts, &p, 10).await.unwrap() }
        };
        assert_eq!(step(0, &mut rng).await, Ok(1));
        assert_eq!(step(1, &mut rng).await, Ok(2));
        // A replayed step, or a step ahead, is stale; a restart starts over.
        assert_eq!(step(1, &mut rng).await, Err(StepRefusal::Stale));
        assert_eq!(step(5, &mut rng).await, Err(StepRefusal::Stale));
        assert_eq!(step(0, &mut rng).await, Ok(1));
        let e = store.get(&key).await.unwrap().unwrap();
        assert_eq!((e.phrase.as_str(), e.samples.len(), e.complete), (phrase, 1, false));
        assert_eq!(e.samples[0].len(), 2 * phrase.len() - 1);
        let other_phrase = behavior::register(&store, settings, &key, "another", 1, &typing(&mut rng), 11).await;
        assert!(other_phrase.is_err(), "a pattern of another text is a 400");
        assert_eq!(step(1, &mut rng).await, Ok(2));
        assert_eq!(step(2, &mut rng).await, Ok(3));
        let done: Enrollment = store.get(&key).await.unwrap().unwrap();
        assert!(done.complete && done.samples.len() == 3);
        assert_eq!(format!("{done:?}"), "Enrollment { samples: 3, complete: true, .. }");
        // Complete: no restart, no more samples, until deleted.
        assert_eq!(step(0, &mut rng).await, Err(StepRefusal::Enrolled));
        assert_eq!(step(3, &mut rng).await, Err(StepRefusal::Enrolled));
        assert!(behavior::verdict(Some(&done), &typing(&mut rng)));
        assert!(store.delete(&key).await.unwrap());
        assert!(!store.delete(&key).await.unwrap());
        assert_eq!(store.get(&key).await.unwrap(), None);
        assert_eq!(step(0, &mut rng).await, Ok(1));
    }
}

/// The score over many synthetic typists: each enrolls with five typings of a phrase, then five
/// of their own typings and five other typists' are validated. The rates are printed (run with
/// `--nocapture`) and bounded.
#[test]
fn the_same_typist_is_accepted_and_others_are_refused_over_many_trials() {
    let mut rng = Rng::new(1_234_567);
    let (trials, tries) = (600, 5);
    let (mut false_rejects, mut false_accepts) = (0, 0);
    let all: Vec<&str> = phrases::LANGUAGES.iter().flat_map(|l| phrases::phrases(l).iter().copied()).collect();
    for t in 0..trials {
        let phrase = all[t % all.len()];
        let typist = Typist::new(&mut rng);
        let samples = (0..5)
            .map(|_| pattern::parse("p", &typist.pattern(&mut rng, phrase)).unwrap().features(phrase).unwrap())
            .collect();
        let enrolled = Enrollment { phrase: phrase.to_owned(), samples, complete: true };
        for _ in 0..tries {
            let own = pattern::parse("p", &typist.pattern(&mut rng, phrase)).unwrap();
            false_rejects += usize::from(!behavior::verdict(Some(&enrolled), &own));
            let other = Typist::new(&mut rng);
            let theirs = pattern::parse("p", &other.pattern(&mut rng, phrase)).unwrap();
            false_accepts += usize::from(behavior::verdict(Some(&enrolled), &theirs));
        }
    }
    let n = (trials * tries) as f64;
    let (frr, far) = (false_rejects as f64 / n, false_accepts as f64 / n);
    println!(
        "behavior auth over {trials} typists x {tries} tries: false reject rate {frr:.4}, false accept rate {far:.4}"
    );
    assert!(frr < 0.03, "false reject rate {frr}");
    assert!(far < 0.03, "false accept rate {far}");
}
