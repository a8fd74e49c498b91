//! Admitting a caller: its license checked against what the endpoint accepts, once per request,
//! and the extractors that carry the result to the handler (`Licensed<L>`, `PlainLicensed<L>`).

use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, web};
use envelope::{ApiError, Caller, LicenseKey};
use futures_util::future::LocalBoxFuture;

use super::{Accept, Levels, License, LicenseAuthority};

/// A verified caller holding a license accepted by `L`, valid for the `communityId` of the path
/// when there is one.
#[derive(Debug)]
pub struct Licensed<L> {
    pub caller: Caller,
    /// The license key the caller presented (verified; handle as a secret).
    pub key: LicenseKey,
    pub license: License,
    levels: PhantomData<L>,
}

/// Checks `key` against `authority` and what the endpoint accepts; with `community`, that the
/// license may act on it.
pub async fn authorize(
    authority: &dyn LicenseAuthority,
    key: Option<&LicenseKey>,
    accept: Accept,
    community: Option<&str>,
) -> Result<License, ApiError> {
    let key = key.ok_or_else(|| ApiError::unauthorized("licensekey header is required"))?;
    let (license, allowed) = authority.check_for(key, community).await?;
    if !accept.allows(&license) {
        return Err(ApiError::forbidden(format!(
            "a {} license cannot call this endpoint (allowed: {})",
            license.level,
            accept.names().join(", ")
        )));
    }
    if community.is_some() && !allowed {
        return Err(ApiError::forbidden("the license is not authorized for this community"));
    }
    Ok(license)
}

/// The license authority registered in the app.
pub fn authority(req: &HttpRequest) -> Result<Arc<dyn LicenseAuthority>, ApiError> {
    req.app_data::<web::Data<dyn LicenseAuthority>>().map(|d| d.clone().into_inner()).ok_or_else(|| {
        tracing::error!("no LicenseAuthority registered as app data");
        ApiError::internal()
    })
}

/// A request's admission, kept in its extensions so the check runs once per request.
#[derive(Clone)]
struct Admitted {
    accept: Accept,
    caller: Caller,
    key: LicenseKey,
    license: License,
}

/// Verifies the caller of `req` and its license against `accept` (and the `communityId` of the
/// path, which the router has already found to exist, see [`crate::directory::check_path`]),
/// once per request: the router calls it before the handler's extractors run, so a
/// request is authorized before its body is read; `Licensed<L>` then finds the result.
pub async fn admit(req: &HttpRequest, accept: Accept) -> Result<(Caller, LicenseKey, License), ApiError> {
    let done = req.extensions().get::<Admitted>().filter(|a| a.accept == accept).cloned();
    if let Some(a) = done {
        return Ok((a.caller, a.key, a.license));
    }
    let caller = Caller::from_request(req, &mut Payload::None).await?;
    let key = caller.license_key().cloned().ok_or_else(|| ApiError::unauthorized("licensekey header is required"))?;
    let community = req.match_info().get("communityId").map(str::to_owned);
    let license = authorize(&*authority(req)?, Some(&key), accept, community.as_deref()).await?;
    req.extensions_mut().insert(Admitted {
        accept,
        caller: caller.clone(),
        key: key.clone(),
        license: license.clone(),
    });
    Ok((caller, key, license))
}

/// Checks the plain `license` header of `req` against `accept`.
pub async fn admit_plain(req: &HttpRequest, accept: Accept) -> Result<(LicenseKey, License), ApiError> {
    let key = envelope::server::header(req.headers(), "license")?
        .map(|k| LicenseKey::new(&k))
        .ok_or_else(|| ApiError::unauthorized("license header is required"))?;
    let license = authorize(&*authority(req)?, Some(&key), accept, None).await?;
    Ok((key, license))
}

impl<L: Levels + 'static> FromRequest for Licensed<L> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (caller, key, license) = admit(&req, L::ACCEPT).await?;
            Ok(Self { caller, key, license, levels: PhantomData })
        })
    }
}

/// A license accepted by `L`, presented in the clear in the `license` header (the endpoints
/// the reference documents that way).
#[derive(Debug)]
pub struct PlainLicensed<L> {
    /// The license key (verified; handle as a secret).
    pub key: LicenseKey,
    pub license: License,
    levels: PhantomData<L>,
}

impl<L: Levels + 'static> FromRequest for PlainLicensed<L> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (key, license) = admit_plain(&req, L::ACCEPT).await?;
            Ok(Self { key, license, levels: PhantomData })
        })
    }
}
