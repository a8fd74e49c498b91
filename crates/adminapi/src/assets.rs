//! Settings of the asset endpoints (images, downloadables, platform health), read once at start.

use kit::Settings;
use kit::config::ConfigError;

use crate::domain::images;
use crate::domain::platform_health::{self, Prober};

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
    /// Asks the services of `SERVICE_DIRECTORY` for their health, each given
    /// `PLATFORM_HEALTH_TIMEOUT_MS` (default 2000).
    pub prober: Prober,
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
        let default_ms = u64::try_from(platform_health::DEFAULT_TIMEOUT.as_millis()).unwrap_or(2000);
        let timeout_ms = settings.parse_var("PLATFORM_HEALTH_TIMEOUT_MS", default_ms)?;
        if timeout_ms == 0 || timeout_ms > 60_000 {
            return Err(ConfigError("PLATFORM_HEALTH_TIMEOUT_MS must be from 1 to 60000".into()));
        }
        let prober = Prober::new(std::time::Duration::from_millis(timeout_ms))
            .map_err(|e| ConfigError(format!("platform health client: {e}")))?;
        Ok(Self { image_max_bytes, public_url, downloadables_dir, prober })
    }
}
