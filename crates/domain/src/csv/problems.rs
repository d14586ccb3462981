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

/// Problems with their sort key (line, column position in the file).
#[derive(Debug, Default)]
pub(crate) struct Problems {
    items: Vec<(u64, usize, RowProblem)>,
}

impl Problems {
    pub(crate) fn push(&mut self, line: u64, col: usize, field: &str, code: &str, message: String) {
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
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Codes recorded so far.
    pub(crate) fn iter_codes(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|(_, _, p)| p.code.as_str())
    }

    /// Drops every problem recorded for `line` (used when the line turns out unreadable as a whole).
    pub(crate) fn forget_line(&mut self, line: u64) {
        self.items.retain(|(l, _, _)| *l != line);
    }

    /// The problems sorted by line, then by column position; stable for equal keys.
    pub(crate) fn into_sorted(mut self) -> Vec<RowProblem> {
        self.items.sort_by_key(|(line, col, _)| (*line, *col));
        self.items.into_iter().map(|(_, _, p)| p).collect()
    }
}
