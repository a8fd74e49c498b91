//! Path parameters that carry a secret (a one-time code a helper SDK puts in the URL): a route
//! declares them with [`super::Endpoint::secret_path_params`], [`super::Table::mount`] registers
//! the templates as app data, and the request log ([`crate::request_log`]) records `{name}` in
//! their place, so the value reaches no log line, span field or exported trace.
//!
//! Matching is segment by segment against those few templates only (empty segments skipped, as
//! the path normalisation does; static segments compared after percent-decoding), so it costs
//! nothing measurable beside the request, and a request that the router would send to such a
//! route is redacted however its path is spelt.

use std::borrow::Cow;

#[derive(Debug)]
enum Segment {
    Static(String),
    Param,
    Secret(String),
}

/// The route templates with secret path parameters.
#[derive(Debug, Default)]
pub struct SecretPaths {
    templates: Vec<Vec<Segment>>,
}

/// `text` with its `%XX` escapes decoded (for comparison only; invalid escapes stay).
fn decoded(text: &str) -> Cow<'_, [u8]> {
    if !text.contains('%') {
        return Cow::Borrowed(text.as_bytes());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'%'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

impl SecretPaths {
    /// The templates (`/a/{name}/{code}`) of `routes`, each with the names of its secret
    /// parameters; routes without any are left out.
    pub fn new<'a>(routes: impl IntoIterator<Item = (&'a str, &'a [&'static str])>) -> Self {
        let templates = routes
            .into_iter()
            .filter(|(_, secret)| !secret.is_empty())
            .map(|(path, secret)| {
                path.split('/')
                    .filter(|s| !s.is_empty())
                    .map(|seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(name) if secret.contains(&name) => Segment::Secret(name.to_owned()),
                        Some(_) => Segment::Param,
                        None => Segment::Static(seg.to_owned()),
                    })
                    .collect()
            })
            .collect();
        Self { templates }
    }

    /// Whether no route has a secret parameter.
    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// `target` (a path with its query) with the values of secret parameters replaced by
    /// `{name}`; unchanged when it matches no template.
    pub fn redact<'t>(&self, target: &'t str) -> Cow<'t, str> {
        if self.templates.is_empty() {
            return Cow::Borrowed(target);
        }
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let matches = |t: &Vec<Segment>| {
            t.len() == segments.len()
                && t.iter().zip(&segments).all(|(t, s)| match t {
                    Segment::Static(text) => *decoded(s) == *text.as_bytes(),
                    Segment::Param | Segment::Secret(_) => true,
                })
        };
        let Some(template) = self.templates.iter().find(|t| matches(t)) else { return Cow::Borrowed(target) };
        let mut out = String::with_capacity(target.len());
        for (t, s) in template.iter().zip(&segments) {
            out.push('/');
            match t {
                Segment::Secret(name) => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
                _ => out.push_str(s),
            }
        }
        if let Some(q) = query {
            out.push('?');
            out.push_str(q);
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> SecretPaths {
        SecretPaths::new([
            ("/api/acr/{communityName}/{code}", &["code"][..]),
            ("/api/acr/{communityName}/{code}/redeem", &["code"][..]),
            ("/session/{sessionId}", &[][..]),
        ])
    }

    #[test]
    fn secret_segments_are_replaced_by_their_name() {
        let p = paths();
        assert_eq!(p.redact("/api/acr/default/S3cr3t-c0de"), "/api/acr/default/{code}");
        assert_eq!(p.redact("/api/acr/default/S3cr3t-c0de/redeem?x=1"), "/api/acr/default/{code}/redeem?x=1");
        // However the path is spelt for the router: extra slashes, escapes in static segments.
        assert_eq!(p.redact("//api/acr//default/S3cr3t-c0de/"), "/api/acr/default/{code}");
        assert_eq!(p.redact("/%61pi/acr/default/S3cr3t-c0de/redee%6D"), "/%61pi/acr/default/{code}/redee%6D");
    }

    #[test]
    fn other_paths_are_untouched() {
        let p = paths();
        for target in ["/session/abc", "/api/acr/default", "/api/acr/a/b/c/d", "/healthz?x=%zz", ""] {
            assert!(matches!(p.redact(target), Cow::Borrowed(t) if t == target), "{target}");
        }
        assert!(SecretPaths::default().is_empty() && !p.is_empty());
        assert_eq!(SecretPaths::new([("/session/{sessionId}", &[][..])]).redact("/session/x"), "/session/x");
    }
}
