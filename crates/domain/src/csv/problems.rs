//! Collection of the problems found in a file, sorted at the end.

use serde::{Deserialize, Serialize};

/// One problem found in an uploaded file.
///
/// `line` is the physical line (header = 1). `field` is the canonical column name of the file's format
/// (`amount`, `partyIdentifier`, `montant`, `valeur_id`…), or `header` for a header-level problem,
/// `row` for a problem with the whole line and `file` for the whole file. `code` is one of
/// [`codes`](super::codes) or the `code()` of a [`MoneyError`](crate::MoneyError) or
/// [`PartyError`](crate::PartyError).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RowProblem {
    /// Physical line of the file (header = 1).
    pub line: u64,
    /// Column (canonical name) or `header` / `row` / `file`.
    pub field: String,
    /// Stable machine-readable code.
    pub code: String,
    /// Human-readable explanation for the uploader.
    pub message: String,
}

/// What a refused file gets back: its first problems in file order, and how many there were.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Refusal {
    /// The first [`ParseOptions::max_problems`](super::ParseOptions::max_problems) problems, by
    /// line then column.
    pub problems: Vec<RowProblem>,
    /// Every problem found, also those not listed.
    pub total: usize,
    /// The count of every problem found, by code.
    pub by_code: std::collections::BTreeMap<String, usize>,
}

impl Refusal {
    /// A refusal with this one problem.
    pub(crate) fn single(problem: RowProblem) -> Refusal {
        let mut by_code = std::collections::BTreeMap::new();
        by_code.insert(problem.code.clone(), 1);
        Refusal {
            problems: vec![problem],
            total: 1,
            by_code,
        }
    }
}

/// Problems with their sort key (line, column position in the file), at most about twice `keep`
/// held at once: a file with a wrong value in every cell costs memory for the problems listed,
/// not for all of them. The counts cover every problem.
#[derive(Debug)]
pub(crate) struct Problems {
    items: Vec<(u64, usize, RowProblem)>,
    keep: usize,
    total: usize,
    by_code: std::collections::BTreeMap<String, usize>,
}

impl Default for Problems {
    fn default() -> Self {
        Problems::keeping(usize::MAX)
    }
}

impl Problems {
    /// Lists at most `keep` problems (at least one).
    pub(crate) fn keeping(keep: usize) -> Problems {
        Problems {
            items: Vec::new(),
            keep: keep.max(1),
            total: 0,
            by_code: std::collections::BTreeMap::new(),
        }
    }

    pub(crate) fn push(&mut self, line: u64, col: usize, field: &str, code: &str, message: String) {
        self.total += 1;
        *self.by_code.entry(code.to_owned()).or_default() += 1;
        self.items.push((
            line,
            col,
            RowProblem {
                line,
                field: field.to_owned(),
                code: code.to_owned(),
                message,
            },
        ));
        if self.items.len() >= self.keep.saturating_mul(2) {
            self.trim();
        }
    }

    /// Keeps the `keep` first problems in file order.
    fn trim(&mut self) {
        self.items.sort_by_key(|(line, col, _)| (*line, *col));
        self.items.truncate(self.keep);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Whether a problem with `code` was recorded.
    pub(crate) fn has_code(&self, code: &str) -> bool {
        self.by_code.contains_key(code)
    }

    /// Drops the problems still listed for `line` (used when the line turns out unreadable as a
    /// whole; it is the last line read, so its problems are among those listed unless the list
    /// was already full before it).
    pub(crate) fn forget_line(&mut self, line: u64) {
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.items)
            .into_iter()
            .partition(|(l, _, _)| *l == line);
        self.items = kept;
        for (_, _, p) in gone {
            self.total -= 1;
            if let Some(n) = self.by_code.get_mut(&p.code) {
                *n -= 1;
                if *n == 0 {
                    self.by_code.remove(&p.code);
                }
            }
        }
    }

    /// The refusal: the problems listed sorted by line, then by column (stable for equal keys),
    /// with the counts.
    pub(crate) fn into_refusal(mut self) -> Refusal {
        self.trim();
        Refusal {
            problems: self.items.into_iter().map(|(_, _, p)| p).collect(),
            total: self.total,
            by_code: self.by_code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_first_problems_and_counts_them_all() {
        let mut p = Problems::keeping(3);
        for line in (2..=11).rev() {
            p.push(
                line,
                1,
                "amount",
                "amount_not_positive",
                format!("line {line}"),
            );
            p.push(line, 0, "transferId", "empty_value", String::new());
        }
        let r = p.into_refusal();
        assert_eq!(r.total, 20);
        assert_eq!(r.by_code["amount_not_positive"], 10);
        assert_eq!(r.by_code["empty_value"], 10);
        let keys: Vec<_> = r
            .problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(keys, [(2, "transferId"), (2, "amount"), (3, "transferId")]);
    }

    #[test]
    fn forgetting_a_line_uncounts_it() {
        let mut p = Problems::keeping(10);
        p.push(2, 0, "amount", "amount_empty", String::new());
        p.push(3, 0, "amount", "amount_empty", String::new());
        p.forget_line(3);
        let r = p.into_refusal();
        assert_eq!(
            (r.total, r.by_code["amount_empty"], r.problems.len()),
            (1, 1, 1)
        );
    }
}
