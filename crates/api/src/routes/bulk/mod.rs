//! `/api/bulk-transfers`: upload, status, list, reports (CSV, pain.002).

pub mod callback_view;
pub mod create;
pub mod decide;
pub mod intake;
pub mod list;
pub mod pain002;
pub mod payment_file;
pub mod report;
pub mod retry;
pub mod run_fields;
pub mod status;
pub mod verification;
pub mod views;

use crate::error::ApiError;

/// Parses a page size: `default` when absent, refused outside `1..=max`.
pub fn parse_limit(limit: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::unprocessable(
            "invalid_limit",
            format!("limit must be between 1 and {max}"),
        )),
    }
}

/// Parses an opaque cursor returned as `nextCursor` by an earlier page.
pub fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| ApiError::unprocessable("invalid_cursor", "cursor is not valid")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn limits_and_cursors() {
        assert_eq!(parse_limit(None, 1000, 10_000).unwrap(), 1000);
        assert_eq!(parse_limit(Some(10_000), 1000, 10_000).unwrap(), 10_000);
        assert!(parse_limit(Some(10_001), 1000, 10_000).is_err());
        assert!(parse_limit(Some(0), 1000, 10_000).is_err());
        assert_eq!(parse_cursor(Some("42")).unwrap(), Some(42));
        assert_eq!(parse_cursor(Some("")).unwrap(), None);
        assert!(parse_cursor(Some("-1")).is_err());
        assert!(parse_cursor(Some("abc")).is_err());
    }
}
