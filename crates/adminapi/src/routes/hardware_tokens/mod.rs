//! The catalog group Hardware tokens: HOTP and TOTP tokens of the session's community imported
//! from CSV (a file or text), listed, edited, deleted, resynchronised ([`tokens`]), and assigned
//! to and taken from users ([`assignments`]). Administrators. A seed is never answered or logged;
//! per-row errors name the row. The rules live in [`crate::domain::hardware_tokens`].

pub mod assignments;
pub mod tokens;

use std::future::{Ready, ready};

use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use envelope::ApiError;
use futures_util::StreamExt as _;
use kit::access::{Describe, Requirement};
use kit::{Endpoint, endpoint};
use zeroize::Zeroizing;

use crate::domain::hardware_tokens::csv::MAX_BYTES;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(tokens::fetch_tokens),
        endpoint!(tokens::import_tokens_file),
        endpoint!(tokens::import_tokens_text),
        endpoint!(tokens::edit_token),
        endpoint!(tokens::delete_tokens),
        endpoint!(tokens::resync_token),
        endpoint!(assignments::fetch_assignments),
        endpoint!(assignments::assign_file),
        endpoint!(assignments::assign_list),
        endpoint!(assignments::assign_text),
        endpoint!(assignments::unassign_list),
    ]
}

/// A CSV upload, read as a stream of multipart parts.
pub struct CsvForm(Multipart);

impl FromRequest for CsvForm {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(Ok(Self(Multipart::new(req.headers(), payload.take()))))
    }
}

impl Describe for CsvForm {
    fn describe(r: &mut Requirement) {
        r.body = true;
    }
}

fn not_multipart() -> ApiError {
    ApiError::bad_request("the body must be multipart/form-data with the CSV in the field file or csv")
}

impl CsvForm {
    /// The UTF-8 text of the `file` (or `csv`) part; the whole body may hold at most
    /// [`MAX_BYTES`] bytes (413 beyond).
    pub async fn text(self) -> Result<Zeroizing<String>, ApiError> {
        let (mut form, mut file, mut total) = (self.0, None, 0usize);
        while let Some(field) = form.next().await {
            let mut field = field.map_err(|_| not_multipart())?;
            let wanted = file.is_none() && matches!(field.name(), Some("file" | "csv"));
            let mut bytes = Zeroizing::new(Vec::new());
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|_| not_multipart())?;
                total += chunk.len();
                if total > MAX_BYTES {
                    let message = format!("the upload must be at most {MAX_BYTES} bytes");
                    return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message));
                }
                if wanted {
                    bytes.extend_from_slice(&chunk);
                }
            }
            if wanted {
                file = Some(bytes);
            }
        }
        let bytes = file.ok_or_else(not_multipart)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| ApiError::bad_request("the CSV file must be UTF-8 text"))?;
        Ok(Zeroizing::new(text.to_owned()))
    }
}
