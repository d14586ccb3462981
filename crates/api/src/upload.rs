//! Reading the multipart upload of `POST /api/bulk-transfers`.
//!
//! Accepted fields: exactly one `file`, and at most one each of `callback_url`,
//! `allow_duplicate_payees`, `force`, `period`, `execute_at`, `expected_count`, `expected_total` and
//! `allow_repeat_in_period`. Anything else is refused with 422 before any work is
//! done. The size limit is enforced while the body streams in (413 as soon as it is passed), never
//! after buffering the whole body.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures::StreamExt;

use crate::error::ApiError;

/// Room for multipart boundaries and part headers on top of `MAX_UPLOAD_BYTES` when judging a
/// declared `Content-Length`.
const MULTIPART_OVERHEAD: usize = 64 * 1024;
/// Longest accepted text field.
const MAX_TEXT_FIELD: usize = 4 * 1024;

/// The fields of an upload.
#[derive(Debug, Clone, Default)]
pub struct UploadForm {
    /// The file's bytes.
    pub file: Vec<u8>,
    /// The file name the client sent, if any.
    pub file_name: Option<String>,
    /// `callback_url`, as sent (validated later).
    pub callback_url: Option<String>,
    /// `allow_duplicate_payees=true`.
    pub allow_duplicate_payees: bool,
    /// `force=true`: accept a file already uploaded in the last 24 h.
    pub force: bool,
    /// `period` (`YYYY-MM`), as sent (validated later).
    pub period: Option<String>,
    /// `execute_at` (RFC 3339), as sent.
    pub execute_at: Option<String>,
    /// `expected_count`, as sent.
    pub expected_count: Option<String>,
    /// `expected_total` (minor units), as sent.
    pub expected_total: Option<String>,
    /// `allow_repeat_in_period=true`.
    pub allow_repeat_in_period: bool,
}

fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::unprocessable(code, message)
}

fn multipart_error(e: MultipartError, limit: usize) -> ApiError {
    match e {
        MultipartError::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit },
        other => invalid(
            "invalid_multipart",
            format!("malformed multipart body: {other}"),
        ),
    }
}

/// Refuses a request that is not `multipart/form-data` with 415.
fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let ok = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("multipart/form-data")
        })
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "expected Content-Type: multipart/form-data with a `file` field".into(),
        ))
    }
}

/// Refuses at once a body whose declared length is clearly over the limit.
fn check_declared_length(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(n) if n > limit.saturating_add(MULTIPART_OVERHEAD) => {
            Err(ApiError::PayloadTooLarge { limit })
        }
        _ => Ok(()),
    }
}

/// Appends the field's chunks to `out`, failing with 413 once `*total` passes `limit`.
async fn read_field(
    field: &mut Field,
    out: &mut Vec<u8>,
    total: &mut usize,
    limit: usize,
    field_limit: usize,
) -> Result<(), ApiError> {
    let start = out.len();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| multipart_error(e, limit))?;
        *total = total.saturating_add(chunk.len());
        if *total > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        if out.len() - start + chunk.len() > field_limit {
            return Err(invalid(
                "field_too_long",
                format!("a text field is limited to {field_limit} bytes"),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(())
}

async fn read_text(
    field: &mut Field,
    name: &str,
    total: &mut usize,
    limit: usize,
) -> Result<String, ApiError> {
    let mut buf = Vec::new();
    read_field(field, &mut buf, total, limit, MAX_TEXT_FIELD).await?;
    String::from_utf8(buf)
        .map(|s| s.trim().to_string())
        .map_err(|_| invalid("invalid_field", format!("`{name}` is not UTF-8 text")))
}

/// Parses `true/false` (also `1/0`, `yes/no`, `on/off`).
fn parse_flag(name: &str, value: &str) -> Result<bool, ApiError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(invalid(
            "invalid_field",
            format!("`{name}` must be true or false"),
        )),
    }
}

fn once<T>(slot: &Option<T>, name: &str) -> Result<(), ApiError> {
    if slot.is_some() {
        return Err(invalid(
            "duplicate_field",
            format!("the field `{name}` is sent more than once"),
        ));
    }
    Ok(())
}

/// Reads the whole form from the request, enforcing `limit` bytes of field data.
pub async fn read_upload(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<UploadForm, ApiError> {
    check_content_type(req)?;
    check_declared_length(req, limit)?;
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut total = 0usize;
    let mut file: Option<(Vec<u8>, Option<String>)> = None;
    let mut callback: Option<String> = None;
    let mut dup_payees: Option<bool> = None;
    let mut force: Option<bool> = None;
    let mut repeat: Option<bool> = None;
    let mut texts: [(&str, Option<String>); 4] = [
        ("period", None),
        ("execute_at", None),
        ("expected_count", None),
        ("expected_total", None),
    ];

    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| multipart_error(e, limit))?;
        let name = field
            .name()
            .map(str::to_string)
            .ok_or_else(|| invalid("invalid_multipart", "a form field has no name"))?;
        match name.as_str() {
            "file" => {
                once(&file, &name)?;
                let file_name = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .map(str::to_string);
                let mut bytes = Vec::new();
                read_field(&mut field, &mut bytes, &mut total, limit, usize::MAX).await?;
                file = Some((bytes, file_name));
            }
            "callback_url" => {
                once(&callback, &name)?;
                let text = read_text(&mut field, &name, &mut total, limit).await?;
                callback = Some(text);
            }
            "allow_duplicate_payees" => {
                once(&dup_payees, &name)?;
                let text = read_text(&mut field, &name, &mut total, limit).await?;
                dup_payees = Some(parse_flag(&name, &text)?);
            }
            "force" => {
                once(&force, &name)?;
                let text = read_text(&mut field, &name, &mut total, limit).await?;
                force = Some(parse_flag(&name, &text)?);
            }
            "allow_repeat_in_period" => {
                once(&repeat, &name)?;
                let text = read_text(&mut field, &name, &mut total, limit).await?;
                repeat = Some(parse_flag(&name, &text)?);
            }
            n if texts.iter().any(|(k, _)| *k == n) => {
                let text = read_text(&mut field, &name, &mut total, limit).await?;
                for (k, slot) in texts.iter_mut() {
                    if *k == n {
                        once(slot, &name)?;
                        *slot = Some(text.clone());
                    }
                }
            }
            other => {
                return Err(invalid(
                    "unknown_field",
                    format!(
                        "unknown form field `{other}` (expected file, callback_url, \
                         allow_duplicate_payees, force, period, execute_at, expected_count, \
                         expected_total, allow_repeat_in_period)"
                    ),
                ));
            }
        }
    }
    let (file, file_name) =
        file.ok_or_else(|| invalid("missing_file", "the form has no `file` field"))?;
    Ok(UploadForm {
        file,
        file_name,
        callback_url: callback.filter(|c| !c.is_empty()),
        allow_duplicate_payees: dup_payees.unwrap_or(false),
        force: force.unwrap_or(false),
        period: texts[0].1.take().filter(|v| !v.is_empty()),
        execute_at: texts[1].1.take().filter(|v| !v.is_empty()),
        expected_count: texts[2].1.take().filter(|v| !v.is_empty()),
        expected_total: texts[3].1.take().filter(|v| !v.is_empty()),
        allow_repeat_in_period: repeat.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn flags() {
        assert!(parse_flag("force", "TRUE").unwrap());
        assert!(!parse_flag("force", "0").unwrap());
        assert!(parse_flag("force", "maybe").is_err());
    }
}
