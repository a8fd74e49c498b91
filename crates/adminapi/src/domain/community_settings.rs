//! A community's other settings: the branding of its login pages, whether users may register
//! themselves (per community, and for the whole instance), the attributes a session shares, and
//! how long a login session lasts. Each is a [`Setting`] with documented defaults.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::DomainError;
use super::config::Setting;
use super::login_settings::{at_most, one_of, url_or_empty, within};

/// Refuses what is not a hex color (`ABC123`, `#abc`, `#AABBCCDD`), naming the field.
fn hex_color(field: &str, value: &str) -> Result<(), DomainError> {
    let digits = value.strip_prefix('#').unwrap_or(value);
    if matches!(digits.len(), 3 | 6 | 8) && digits.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(DomainError::Invalid(format!("{field} must be a hex color")))
    }
}

/// The largest image a branding field holds (base64 or an image URL), in characters.
pub const MAX_IMAGE_CHARS: usize = 3 * 1024 * 1024;

/// Refuses what is neither empty, base64 (or a `data:image/...;base64,` URL) nor an http(s) URL.
fn image(field: &str, value: &str) -> Result<(), DomainError> {
    at_most(field, value, MAX_IMAGE_CHARS)?;
    if value.starts_with("http://") || value.starts_with("https://") {
        return url_or_empty(field, value);
    }
    let data = match value.strip_prefix("data:image/") {
        Some(rest) => rest.split_once(";base64,").map(|(_, d)| d).unwrap_or("!"),
        None => value,
    };
    let base64 = data.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'));
    if base64 { Ok(()) } else { Err(DomainError::Invalid(format!("{field} must be a base64 image or an image URL"))) }
}

/// The mobile app download link shown instead of the default one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppDownloadOverride {
    pub enabled: bool,
    /// Required when enabled; at most 1024 characters.
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub url: String,
}

/// The branding of the community's login pages. Defaults: a dark left panel and a white right
/// one, blue buttons and links, no images, username login labelled "Username".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct Branding {
    pub bg_color_left_panel: String,
    pub bg_color_right_panel: String,
    pub heading_text_color: String,
    pub primary_button_color: String,
    pub active_tab_text_color: String,
    pub links_color: String,
    /// Base64 (or an image URL), at most 3 MiB.
    pub community_logo_img: String,
    /// Base64 (or an image URL), at most 3 MiB.
    pub bg_img_left_panel: String,
    pub qr_code_logo: String,
    pub qr_code_corner_squares_color: String,
    pub qr_code_dots_color: String,
    /// `qr` or `username`.
    pub default_login_method: String,
    pub username_label: String,
    pub heading_label: String,
    pub disclaimer_message: String,
    pub helpDeskButtonEnabled: bool,
    /// At most 16 KiB of JSON.
    #[schema(value_type = Object)]
    pub helpDeskButtonData: Map<String, Value>,
    pub bg_img_fullscreen_enabled: bool,
    pub app_download_override: AppDownloadOverride,
    pub username_hidden_on_desktop: bool,
    pub copyright_message_disabled: bool,
}

impl Default for Branding {
    fn default() -> Self {
        Self {
            bg_color_left_panel: "#1A1F36".into(),
            bg_color_right_panel: "#FFFFFF".into(),
            heading_text_color: "#1A1F36".into(),
            primary_button_color: "#0067B8".into(),
            active_tab_text_color: "#0067B8".into(),
            links_color: "#0067B8".into(),
            community_logo_img: String::new(),
            bg_img_left_panel: String::new(),
            qr_code_logo: String::new(),
            qr_code_corner_squares_color: "#000000".into(),
            qr_code_dots_color: "#000000".into(),
            default_login_method: "username".into(),
            username_label: "Username".into(),
            heading_label: "Sign in".into(),
            disclaimer_message: String::new(),
            helpDeskButtonEnabled: false,
            helpDeskButtonData: Map::new(),
            bg_img_fullscreen_enabled: false,
            app_download_override: AppDownloadOverride::default(),
            username_hidden_on_desktop: false,
            copyright_message_disabled: false,
        }
    }
}

impl Setting for Branding {
    const KIND: &'static str = "branding";
    const REQUIRED: &'static [&'static str] = &[
        "bg_color_left_panel",
        "bg_color_right_panel",
        "heading_text_color",
        "primary_button_color",
        "active_tab_text_color",
        "links_color",
        "community_logo_img",
        "bg_img_left_panel",
    ];

    fn validate(&self) -> Result<(), DomainError> {
        for (field, color) in [
            ("bg_color_left_panel", &self.bg_color_left_panel),
            ("bg_color_right_panel", &self.bg_color_right_panel),
            ("heading_text_color", &self.heading_text_color),
            ("primary_button_color", &self.primary_button_color),
            ("active_tab_text_color", &self.active_tab_text_color),
            ("links_color", &self.links_color),
            ("qr_code_corner_squares_color", &self.qr_code_corner_squares_color),
            ("qr_code_dots_color", &self.qr_code_dots_color),
        ] {
            hex_color(field, color)?;
        }
        image("community_logo_img", &self.community_logo_img)?;
        image("bg_img_left_panel", &self.bg_img_left_panel)?;
        url_or_empty("qr_code_logo", &self.qr_code_logo)?;
        one_of("default_login_method", &self.default_login_method, &["qr", "username"])?;
        at_most("username_label", &self.username_label, 256)?;
        at_most("heading_label", &self.heading_label, 256)?;
        at_most("disclaimer_message", &self.disclaimer_message, 4096)?;
        if Value::Object(self.helpDeskButtonData.clone()).to_string().len() > 16 * 1024 {
            return Err(DomainError::Invalid("helpDeskButtonData must be at most 16 KiB".into()));
        }
        let app = &self.app_download_override;
        at_most("app_download_override.content", &app.content, 1024)?;
        url_or_empty("app_download_override.url", &app.url)?;
        if app.enabled && app.content.trim().is_empty() {
            return Err(DomainError::Invalid("app_download_override.content is required when enabled".into()));
        }
        Ok(())
    }
}

/// Whether users may register themselves in the community. Default: no.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfRegistration {
    pub allowed: bool,
}

impl Setting for SelfRegistration {
    const KIND: &'static str = "self_registration_config";
    const REQUIRED: &'static [&'static str] = &["allowed"];
}

/// Whether any community of the instance may let users register themselves (kept under
/// [`INSTANCE`]). Default: yes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceSelfRegistration {
    pub allowed: bool,
}

impl Default for InstanceSelfRegistration {
    fn default() -> Self {
        Self { allowed: true }
    }
}

impl Setting for InstanceSelfRegistration {
    const KIND: &'static str = "instance_self_registration_config";
    const REQUIRED: &'static [&'static str] = &["allowed"];
}

/// The owner of the instance-wide settings (no community has this id).
pub const INSTANCE: &str = "*";

/// The session attributes every community shares (the global baseline).
pub const BASELINE_SESSION_ATTRIBUTES: [&str; 6] =
    ["ip", "userAgent", "authenticationMethod", "did", "ial", "createdTS"];
/// The attributes written to the ledger.
pub const LEDGER_ATTRIBUTES: [&str; 3] = ["did", "ial", "authenticationMethod"];
/// The identity attributes and their display names.
pub const IDENTITY_ATTRIBUTES: [(&str, &str); 6] = [
    ("firstname", "First name"),
    ("lastname", "Last name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("dob", "Date of birth"),
    ("username", "Username"),
];

/// The community's own session attributes, beside the baseline. Default: none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionAttributes {
    /// Up to 100 names of 1 to 64 letters, digits, `_`, `-` or `.`, each once.
    pub blockid_session_attributes: Vec<String>,
}

impl Setting for SessionAttributes {
    const KIND: &'static str = "session_attributes";
    const REQUIRED: &'static [&'static str] = &["blockid_session_attributes"];

    fn validate(&self) -> Result<(), DomainError> {
        let names = &self.blockid_session_attributes;
        if names.len() > 100 {
            return Err(DomainError::Invalid("data must hold at most 100 attributes".into()));
        }
        for (i, name) in names.iter().enumerate() {
            let ok = (1..=64).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
            if !ok {
                return Err(DomainError::Invalid(format!("data[{i}] must be 1 to 64 letters, digits, _, - or .")));
            }
            if names[..i].contains(name) {
                return Err(DomainError::Invalid(format!("data[{i}] is listed twice")));
            }
        }
        Ok(())
    }
}

/// How long a login session of the community lasts (`PATCH /environment`). Default: the
/// deployment's `ADMIN_SESSION_TTL_SECONDS`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct SessionEnvironment {
    /// 5 to 10080 (a week); unset: the deployment's default.
    pub sessionMaxAgeMinute: Option<u64>,
}

impl Setting for SessionEnvironment {
    const KIND: &'static str = "environment";

    fn validate(&self) -> Result<(), DomainError> {
        match self.sessionMaxAgeMinute {
            Some(minutes) => within("sessionMaxAgeMinute", minutes, 5..=10_080),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branding_checks_colors_images_and_the_override() {
        let mut b = Branding::default();
        assert!(b.validate().is_ok());
        b.links_color = "ABC123".into();
        assert!(b.validate().is_ok(), "the spec's colors come without #");
        b.links_color = "blue".into();
        assert_eq!(b.validate().unwrap_err().to_string(), "links_color must be a hex color");
        b.links_color = "#abc".into();
        b.community_logo_img = "iVBORw0KGgo=".into();
        assert!(b.validate().is_ok());
        b.community_logo_img = "data:image/png;base64,iVBORw0KGgo=".into();
        assert!(b.validate().is_ok());
        b.community_logo_img = "<svg onload=alert(1)>".into();
        assert!(b.validate().is_err());
        b.community_logo_img = String::new();
        b.app_download_override.enabled = true;
        assert_eq!(b.validate().unwrap_err().to_string(), "app_download_override.content is required when enabled");
    }

    #[test]
    fn session_attributes_and_the_session_age_are_bounded() {
        let ok = SessionAttributes { blockid_session_attributes: vec!["department".into(), "cost.center".into()] };
        assert!(ok.validate().is_ok());
        let bad = SessionAttributes { blockid_session_attributes: vec!["a b".into()] };
        assert!(bad.validate().is_err());
        let twice = SessionAttributes { blockid_session_attributes: vec!["x".into(), "x".into()] };
        assert_eq!(twice.validate().unwrap_err().to_string(), "data[1] is listed twice");
        assert!(SessionEnvironment { sessionMaxAgeMinute: Some(4) }.validate().is_err());
        assert!(SessionEnvironment { sessionMaxAgeMinute: Some(60) }.validate().is_ok());
    }
}
