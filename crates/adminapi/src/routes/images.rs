//! The catalog group Image: `POST /image/upload` takes an image as `multipart/form-data` (its
//! file in the field `image` or `file`), checks it ([`crate::domain::images`]) and answers the
//! URL where adminapi serves it: `GET /images/{sha256}`, outside the catalog, open to anyone
//! (login pages show the images), with the image's type, `nosniff` and a year of caching (an
//! image never changes under its hash).

use std::future::{Ready, ready};

use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use envelope::ApiError;
use futures_util::StreamExt as _;
use kit::access::{Describe, Requirement};
use kit::app::Platform;
use kit::openapi::{ErrorBody, SealedBody};
use kit::{AppResult, Endpoint, endpoint};
use serde::Serialize;
use utoipa::ToSchema;

use crate::State;
use crate::domain::audit::Change;
use crate::domain::images;
use crate::routes::users::home_of;
use crate::session::{AdminSession, Administrator};

/// The endpoints of the group and the route that serves the images.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(upload),
        endpoint!(serve).outside_catalog("login pages and the admin console: the images POST /image/upload answers"),
    ]
}

/// The body of an upload, read as a stream of multipart parts.
pub struct ImageForm(Multipart);

impl FromRequest for ImageForm {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(Ok(Self(Multipart::new(req.headers(), payload.take()))))
    }
}

impl Describe for ImageForm {
    fn describe(r: &mut Requirement) {
        r.body = true;
    }
}

/// Reply of `POST /image/upload`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Uploaded {
    /// Where adminapi serves the image.
    pub url: String,
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the upload must be at most {max} bytes"))
}

fn not_multipart() -> ApiError {
    ApiError::bad_request("the body must be multipart/form-data with the image in the field image or file")
}

/// The bytes of the `image` (or `file`) part; the whole body may hold at most `max` bytes.
async fn read_image(mut form: Multipart, max: usize) -> Result<Vec<u8>, ApiError> {
    let (mut image, mut total) = (None, 0usize);
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| not_multipart())?;
        let wanted = image.is_none() && matches!(field.name(), Some("image" | "file"));
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| not_multipart())?;
            total += chunk.len();
            if total > max {
                return Err(too_large(max));
            }
            if wanted {
                bytes.extend_from_slice(&chunk);
            }
        }
        if wanted {
            image = Some(bytes);
        }
    }
    image.ok_or_else(not_multipart)
}

/// Upload Image.
///
/// `multipart/form-data` with the file in the field `image` (or `file`): a PNG, JPEG or WebP
/// image, recognized by its content (SVG is refused), at most `IMAGE_MAX_BYTES` (default 2 MiB;
/// 413 beyond). The reply `{url}` is sealed. The image is kept once under the SHA-256 of its
/// bytes; the upload is recorded in the community's audit log. Administrators.
#[utoipa::path(
    post,
    path = "/image/upload",
    request_body(content_type = "multipart/form-data", description = "The image in the field `image` or `file`"),
    responses(
        (status = 200, description = "`{url}`, sealed", body = SealedBody),
        (status = 400, description = "Not multipart, no image field, not a PNG, JPEG or WebP", body = ErrorBody),
        (status = 413, description = "Larger than IMAGE_MAX_BYTES", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn upload(
    admin: AdminSession<Administrator>,
    form: ImageForm,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = home_of(&platform, &admin).await?;
    let bytes = read_image(form.0, state.assets.image_max_bytes).await?;
    let now = state.clock.epoch_secs();
    let image = images::accept(bytes, now)?;
    let change = Change {
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        kind: "image".into(),
        record: image.sha256.clone(),
        action: "create".into(),
        fields: vec!["content".into()],
        actor: admin.session.uid.clone(),
        at: now,
    };
    state.stores.images.put(&image, &change).await?;
    tracing::info!(size = image.content.len(), content_type = image.content_type, "image uploaded");
    let base = match &state.assets.public_url {
        Some(url) => url.clone(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    };
    Ok(admin.caller.reply(&Uploaded { url: format!("{base}/images/{}", image.sha256) })?)
}

/// An uploaded image.
///
/// No authentication: the images of login pages. The bytes as uploaded, with their type,
/// `X-Content-Type-Options: nosniff`, a restrictive `Content-Security-Policy` and
/// `Cache-Control: public, max-age=31536000, immutable`.
#[utoipa::path(
    get,
    path = "/images/{sha256}",
    params(("sha256" = String, Path, description = "The SHA-256 of the image (64 hex digits)")),
    responses(
        (status = 200, description = "The image", content_type = "image/png"),
        (status = 400, description = "Not 64 hex digits", body = ErrorBody),
        (status = 404, description = "No such image", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn serve(sha256: web::Path<String>, state: web::Data<State>) -> AppResult<HttpResponse> {
    let hash = images::hash_of(&sha256)?;
    let image = state.stores.images.get(&hash).await?.ok_or_else(|| ApiError::not_found("no such image"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(image.content_type)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .insert_header((header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")))
        .insert_header((header::ETAG, format!("\"{hash}\"")))
        .body(image.content))
}
