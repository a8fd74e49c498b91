//! Settings of the asset endpoints (images, downloadables, platform health), read once at start.

use kit::Settings;
use kit::config::ConfigError;

use crate::domain::images;

/// What the asset endpoints need from the configuration.
#[derive(Debug, Clone)]
pub struct Assets {
    /// `IMAGE_MAX_BYTES`, default 2 MiB: the largest image upload.
    pub image_max_bytes: usize,
    /// The base of the image URLs: `adminapi` in `SERVICE_DIRECTORY` when it is named there,
    /// else the scheme and host the upload was sent to.
    pub public_url: Option<String>,
    /// `DOWNLOADABLES_DIR`: the software catalog (`<software>/<version>/<files>`); none: empty.
    pub downloadables_dir: Option<std::path::PathBuf>,
}

impl Assets {
    /// From the service's settings.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let image_max_bytes = settings.parse_var("IMAGE_MAX_BYTES", images::DEFAULT_MAX_BYTES)?;
        if image_max_bytes == 0 {
            return Err(ConfigError("IMAGE_MAX_BYTES must be at least 1".into()));
        }
        let public_url = settings.service_url(crate::SERVICE).map(|u| u.trim_end_matches('/').to_owned());
        let downloadables_dir = settings.var("DOWNLOADABLES_DIR")?.map(std::path::PathBuf::from);
        Ok(Self { image_max_bytes, public_url, downloadables_dir })
    }
}
