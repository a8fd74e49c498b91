//! `PUT /generate/account_otp` over HTTP: a logged-in user's rolling code, the same on every call
//! within a step, another user's different, and at most 20 a minute.

use kit::testing::Storage;
use reqwest::Method;

use crate::login::{assert_error, bearer, call, platform};

#[tokio::test]
async fn a_user_gets_their_rolling_code_a_limited_number_of_times() {
    let Some(p) = platform(Storage::Embedded, "account otp", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let (jane, bob) =
        (bearer(&p.token("jane", "Quartz-Meadow-71").await), bearer(&p.token("bob", "Violet-Harbor-58").await));
    let (s, first) = call(url, Method::PUT, "/generate/account_otp", Some(&jane), None).await;
    assert_eq!(s, 200, "{first}");
    let code = first["code"].as_str().unwrap();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{first}");
    let remaining = first["secondsRemaining"].as_u64().unwrap();
    assert!((1..=30).contains(&remaining), "{first}");
    let (s, again) = call(url, Method::PUT, "/generate/account_otp", Some(&jane), None).await;
    let (_, bobs) = call(url, Method::PUT, "/generate/account_otp", Some(&bob), None).await;
    assert_eq!(s, 200);
    if again["secondsRemaining"].as_u64().unwrap() <= remaining {
        assert_eq!(again["code"], first["code"], "the same step, the same code");
        assert_ne!(bobs["code"], first["code"], "another user, another code (1 in a million to collide)");
    }
    // 20 a minute: within 45 calls one is refused, even if a minute ends among them.
    let mut refused = false;
    for _ in 0..45 {
        let (s, r) = call(url, Method::PUT, "/generate/account_otp", Some(&jane), None).await;
        if s == 429 {
            assert_error(s, &r, 429, "too many account OTPs");
            refused = true;
            break;
        }
        assert_eq!(s, 200, "{r}");
    }
    assert!(refused, "the limit holds");
    let (s, _) = call(url, Method::PUT, "/generate/account_otp", None, None).await;
    assert_eq!(s, 401);
}
