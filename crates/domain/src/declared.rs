//! The check of a file against the figures its payment order declares.
//!
//! A fund's payment order often states how many beneficiaries it pays and how much in all; a file
//! that disagrees with its own order was exported wrongly (a missing sheet, a duplicated block) and is
//! refused before anything is stored.

pub use crate::error::DeclaredTotalsMismatch;

/// Checks the file's row `count` and `total` (minor units) against the declared ones.
///
/// A figure the order does not declare (`None`) is not checked; with neither declared the check
/// passes. When both are declared and either differs, the error names both pairs.
pub fn check_declared_totals(
    expected_count: Option<i64>,
    expected_total: Option<i64>,
    count: i64,
    total: i64,
) -> Result<(), DeclaredTotalsMismatch> {
    match (expected_count, expected_total) {
        (None, None) => Ok(()),
        (Some(declared), None) if declared != count => Err(DeclaredTotalsMismatch::Count {
            file: count,
            declared,
        }),
        (None, Some(declared)) if declared != total => Err(DeclaredTotalsMismatch::Total {
            file: total,
            declared,
        }),
        (Some(declared_count), Some(declared_total))
            if declared_count != count || declared_total != total =>
        {
            Err(DeclaredTotalsMismatch::CountAndTotal {
                file_count: count,
                file_total: total,
                declared_count,
                declared_total,
            })
        }
        (Some(_), None) | (None, Some(_)) | (Some(_), Some(_)) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn nothing_declared_passes() {
        assert_eq!(check_declared_totals(None, None, 5, 37_500), Ok(()));
    }

    #[test]
    fn matching_figures_pass() {
        assert_eq!(check_declared_totals(Some(5), None, 5, 37_500), Ok(()));
        assert_eq!(check_declared_totals(None, Some(37_500), 5, 37_500), Ok(()));
        assert_eq!(
            check_declared_totals(Some(5), Some(37_500), 5, 37_500),
            Ok(())
        );
    }

    #[test]
    fn count_differs_with_both_declared() {
        let err = check_declared_totals(Some(6), Some(37_500), 5, 37_500).unwrap_err();
        assert_eq!(err.code(), "declared_totals_mismatch");
        assert_eq!(
            err.to_string(),
            "the file has 5 rows totalling 37500, the payment order declares 6 rows totalling 37500"
        );
    }

    #[test]
    fn total_differs_with_both_declared() {
        let err = check_declared_totals(Some(5), Some(40_000), 5, 37_500).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the file has 5 rows totalling 37500, the payment order declares 5 rows totalling 40000"
        );
    }

    #[test]
    fn only_count_declared() {
        let err = check_declared_totals(Some(1), None, 2, 10).unwrap_err();
        assert_eq!(
            err,
            DeclaredTotalsMismatch::Count {
                file: 2,
                declared: 1
            }
        );
        assert_eq!(
            err.to_string(),
            "the file has 2 rows, the payment order declares 1 row"
        );
        assert_eq!(err.code(), "declared_totals_mismatch");
    }

    #[test]
    fn only_total_declared() {
        let err = check_declared_totals(None, Some(37_600), 5, 37_500).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the file's rows total 37500, the payment order declares a total of 37600"
        );
        assert_eq!(err.code(), "declared_totals_mismatch");
    }

    #[test]
    fn an_undeclared_figure_is_not_checked() {
        // The total is wildly off but was not declared: only the count is compared.
        assert_eq!(check_declared_totals(Some(5), None, 5, 1), Ok(()));
        assert_eq!(check_declared_totals(None, Some(1), 999, 1), Ok(()));
    }
}
