//! CAPTCHA verification of the invitation endpoints, by reCAPTCHA's `siteverify` protocol: a
//! `POST` of the form `secret=<the community's secret>&response=<the client's token>` to the
//! verification URL (`CAPTCHA_VERIFY_URL`, e.g. `https://www.google.com/recaptcha/api/siteverify`;
//! hCaptcha and Turnstile speak the same protocol), answered with JSON whose `success` says
//! whether the token is good. The secret is the community's secret-store entry [`SECRET_TAG`].
//! Neither the token nor the secret is ever logged or put in an error.

use kit::config::{ConfigError, Settings};
use serde::Deserialize;

use super::DomainError;

/// The tag of the community's CAPTCHA secret in its secret store.
pub const SECRET_TAG: &str = "captcha_secret";
/// The longest token sent to the verifier (reCAPTCHA's are about 2 KB).
pub const MAX_TOKEN: usize = 8192;

/// Checks CAPTCHA tokens against the configured verifier.
#[derive(Clone)]
pub struct Verifier {
    url: Option<String>,
    client: reqwest::Client,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("configured", &self.url.is_some()).finish_non_exhaustive()
    }
}

/// The part of the verifier's answer that decides.
#[derive(Deserialize)]
struct Answer {
    success: bool,
}

/// `text` percent-encoded for a form body (everything but the unreserved characters).
fn form_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `CAPTCHA_VERIFY_URL`: an http(s) URL, or unset (no verifier).
pub fn url_setting(settings: &Settings) -> Result<Option<String>, ConfigError> {
    let url = settings.var("CAPTCHA_VERIFY_URL")?;
    match url {
        Some(u) if !(u.starts_with("https://") || u.starts_with("http://")) || u.contains(char::is_whitespace) => {
            Err(ConfigError("CAPTCHA_VERIFY_URL must be an http(s) URL".into()))
        }
        other => Ok(other),
    }
}

impl Verifier {
    /// Posting to `url` (none: no verifier is configured) with `client` (which has a timeout).
    pub fn new(url: Option<String>, client: reqwest::Client) -> Self {
        Self { url, client }
    }

    /// Whether a verifier is configured.
    pub fn configured(&self) -> bool {
        self.url.is_some()
    }

    /// Whether the verifier accepts `token` under `secret`: 400 for a token too long, 503 when
    /// no verifier is configured or it does not answer as the protocol says.
    pub async fn verify(&self, secret: &str, token: &str) -> Result<bool, DomainError> {
        let Some(url) = &self.url else {
            return Err(DomainError::Busy("no CAPTCHA verifier is configured".into()));
        };
        if token.len() > MAX_TOKEN {
            return Err(DomainError::Invalid(format!("the CAPTCHA token must be at most {MAX_TOKEN} bytes")));
        }
        let body = format!("secret={}&response={}", form_value(secret), form_value(token));
        let unavailable = || DomainError::Busy("the CAPTCHA verifier is unavailable, try again".into());
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => {
                tracing::warn!(status = r.status().as_u16(), "the CAPTCHA verifier refused the request");
                return Err(unavailable());
            }
            Err(e) => {
                tracing::warn!(error = %e.without_url(), "the CAPTCHA verifier is unreachable");
                return Err(unavailable());
            }
        };
        match response.json::<Answer>().await {
            Ok(answer) => Ok(answer.success),
            Err(_) => {
                tracing::warn!("the CAPTCHA verifier answered something else than its protocol's JSON");
                Err(unavailable())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_escape_everything_but_the_unreserved_characters() {
        assert_eq!(form_value("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(form_value("a b&c=d+e/é"), "a%20b%26c%3Dd%2Be%2F%C3%A9");
    }

    #[tokio::test]
    async fn without_a_url_nothing_is_verified() {
        let v = Verifier::new(None, reqwest::Client::new());
        assert!(!v.configured());
        assert!(matches!(v.verify("s", "t").await, Err(DomainError::Busy(_))));
        assert!(!format!("{v:?}").contains("http"));
    }
}
