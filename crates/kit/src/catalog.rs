//! The API catalog: every endpoint of the reference (`proto-docs/endpoints.json`, a copy of
//! `shared/spec`), embedded at build time. The route tables, the OpenAPI documents and the tests
//! read it from here.

use std::sync::LazyLock;

use serde::Deserialize;

/// One endpoint of the API catalog.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogEntry {
    pub service: String,
    pub method: String,
    pub path: String,
    pub group: String,
    #[serde(default)]
    pub summary: String,
    /// The license levels the reference allows (`system`, `service`, `service_ext`, `app`,
    /// `app_ext`, and `infra` for the deployment's `INFRA_LICENSE_KEY`); empty when it names none.
    #[serde(default)]
    pub auth_levels: Vec<String>,
    /// Whether the reference requires a logged-in user's `authorization` JWT.
    #[serde(default)]
    pub needs_jwt: bool,
}

static CATALOG: LazyLock<Vec<CatalogEntry>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../../proto-docs/endpoints.json")).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the embedded endpoint catalog is unreadable");
        Vec::new()
    })
});

/// The catalog endpoints of one service, in catalog order.
pub fn catalog(service: &str) -> impl Iterator<Item = &'static CatalogEntry> + use<'_> {
    CATALOG.iter().filter(move |e| e.service == service)
}

/// The catalog entry of `method path` on `service`.
pub fn find(service: &str, method: &str, path: &str) -> Option<&'static CatalogEntry> {
    catalog(service).find(|c| c.method == method && c.path == path)
}

/// The 501 reply of a catalog endpoint that is not built yet (it names the endpoint, from the
/// catalog, never from the request).
pub fn not_implemented(method: &str, path: &str) -> envelope::ApiError {
    envelope::ApiError::new(
        actix_web::http::StatusCode::NOT_IMPLEMENTED,
        format!("{method} {path} is not implemented yet"),
    )
}

/// The `{param}` names of a path in the catalog's syntax.
pub fn parameters_of(path: &str) -> Vec<&str> {
    path.split('/').filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_embedded_and_complete() {
        let all: usize = ["users-mgmt", "adminapi", "sessions"].iter().map(|s| catalog(s).count()).sum();
        assert_eq!(all, 306);
        assert!(find("sessions", "PUT", "/session/new").is_some());
        assert!(find("sessions", "GET", "/session/new").is_none());
    }

    #[test]
    fn path_parameters() {
        assert_eq!(parameters_of("/a/{b}/c/{d}"), ["b", "d"]);
        assert!(parameters_of("/healthz").is_empty());
    }
}
