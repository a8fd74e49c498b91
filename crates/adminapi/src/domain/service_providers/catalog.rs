//! The service provider catalog (`GET /spcatalog/list`): the featured applications an
//! administrator can add with `PUT /serviceprovider/{type}`, each with its display name, logo,
//! the pattern of its sign-in URL and the template (`type`) that creates it. Fixed in the code:
//! a template is only useful with the code that builds its provider ([`super::featured`]).

use serde::Serialize;
use utoipa::ToSchema;

/// One catalog item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct CatalogItem {
    /// The application's name.
    pub name: &'static str,
    /// A logo (a path under adminapi's images, empty when there is none).
    pub logo: &'static str,
    /// The application's sign-in URL, `{domain}` standing for the customer's domain there.
    pub sso_url: &'static str,
    /// The `{type}` of `PUT /serviceprovider/{type}` that creates it.
    pub template: &'static str,
}

/// The catalog, by key (the template's name).
pub const CATALOG: &[(&str, CatalogItem)] = &[
    ("auth0", CatalogItem { name: "Auth0", logo: "", sso_url: "https://{domain}/login", template: "auth0" }),
    ("okta", CatalogItem { name: "Okta", logo: "", sso_url: "https://{domain}/login/login.htm", template: "okta" }),
    (
        "salesforce",
        CatalogItem {
            name: "Salesforce",
            logo: "",
            sso_url: "https://{domain}.my.salesforce.com",
            template: "salesforce",
        },
    ),
    (
        "forgerock",
        CatalogItem { name: "ForgeRock", logo: "", sso_url: "https://{domain}/am/XUI/", template: "forgerock" },
    ),
    (
        "gsuite",
        CatalogItem {
            name: "Google Workspace",
            logo: "",
            sso_url: "https://www.google.com/a/{domain}/ServiceLogin",
            template: "gsuite",
        },
    ),
    (
        "zendesk",
        CatalogItem {
            name: "Zendesk",
            logo: "",
            sso_url: "https://{domain}.zendesk.com/access/login",
            template: "zendesk",
        },
    ),
];

/// The catalog item of `key`.
pub fn item(key: &str) -> Option<&'static CatalogItem> {
    CATALOG.iter().find(|(k, _)| *k == key).map(|(_, item)| item)
}
